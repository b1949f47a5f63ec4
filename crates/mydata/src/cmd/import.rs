//! `mydata import`: an institution's own customers and assets, as NDJSON records in the standard's
//! own shapes (mydata-ingest), checked against the field tables and written atomically.

use crate::cli::DatabaseArgs;
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::BufRead;
use std::num::NonZeroUsize;

/// The record format, shown by `mydata import --help`.
const FORMAT: &str = "\
One record a line (NDJSON):
  a customer     {\"org_code\":\"BANK000001\",\"customer\":{\"customer_id\":\"c1\",\"ci\":\"…\",\"name\":\"홍길동\",\"reg_date\":\"20200301\"}}
  an API's data  {\"org_code\":…,\"customer_id\":…,\"api\":\"은행-001\",\"key\":{…},\"data\":{…}}
                 data is the API's answer without rsp_code, rsp_msg, search_timestamp, next_page and
                 is_consent; a list's or a document's replaces what was stored (an asset left out of
                 its list is gone), a history's one entry is added or updated by its time and number
  a removal      {\"org_code\":…,\"customer_id\":…,\"delete\":true}
Every value is checked against the API's field table. One bad record is a refusal of its whole
batch, naming the line, the field and the rule; the command then exits non-zero.";

#[derive(Args)]
#[command(after_long_help = FORMAT)]
pub struct ImportArgs {
    /// The NDJSON file of records, or `-` for standard input.
    file: String,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Commit every N records. Default: the whole input in one transaction, so that a refused record
    /// writes nothing at all. With --batch, a refusal leaves the batches before the bad record's
    /// written and nothing of its own batch; fix the record and import again from the file's start
    /// (records already written change nothing the second time).
    #[arg(long, value_name = "N")]
    batch: Option<NonZeroUsize>,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    let (input, bar): (Box<dyn BufRead>, ProgressBar) = if args.file == "-" {
        (Box::new(std::io::stdin().lock()), ProgressBar::new_spinner())
    } else {
        let file = std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(std::io::BufReader::new(file)), ProgressBar::new(size))
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} read ({bytes_per_sec}, {eta} left)")
            .context("progress bar template")?,
    );
    let imported =
        mydata_ingest::import(store.as_ref(), input, args.batch.map(NonZeroUsize::get), |bytes| bar.inc(bytes)).await;
    bar.finish_and_clear();
    let summary = imported.context("the import was refused")?;
    println!("imported {summary}");
    tracing::info!(
        records = summary.records,
        customers = summary.customers,
        rows = summary.rows,
        secs = format!("{:.1}", summary.seconds),
        records_per_sec = summary.records_per_second().round(),
        "import done"
    );
    Ok(())
}
