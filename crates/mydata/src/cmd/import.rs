//! `mydata import`: an institution's own customers and assets, as NDJSON records in the standard's
//! own shapes (mydata-ingest), checked against the field tables and written atomically.

use crate::cli::DatabaseArgs;
use crate::stdout::outln;
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
batch, naming the line, the field and the rule; the command then exits non-zero.
On PostgreSQL, an import that changed more than a tenth of the stored information ends with
ANALYZE of its tables, so that the provider's reads are planned on their new sizes at once.";

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
    /// (records already written change nothing the second time). For files of many customers, about
    /// 10,000 records a batch imports fastest and holds one batch in memory instead of the whole file
    /// (BENCHMARKS.md, "Import").
    #[arg(long, value_name = "N")]
    batch: Option<NonZeroUsize>,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    // A file's progress is its bytes read; standard input's length is unknown until its end.
    let (input, bar, template): (Box<dyn BufRead>, ProgressBar, &str) = if args.file == "-" {
        let template = "{spinner} {bytes} read ({bytes_per_sec})";
        (Box::new(std::io::stdin().lock()), ProgressBar::new_spinner(), template)
    } else {
        let file = std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let template = "{bar:40} {bytes}/{total_bytes} read ({bytes_per_sec}, {eta} left)";
        (Box::new(std::io::BufReader::new(file)), ProgressBar::new(size), template)
    };
    bar.set_style(ProgressStyle::with_template(template).context("progress bar template")?);
    let imported =
        mydata_ingest::import(store.as_ref(), input, args.batch.map(NonZeroUsize::get), |bytes| bar.inc(bytes)).await;
    bar.finish_and_clear();
    let summary = imported.context("the import was refused")?;
    outln!("imported {summary}")?;
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

/// The ingestion API of `mydata serve`: the same records over HTTP, on a listener of its own.
#[derive(Args)]
pub struct AdminArgs {
    /// Address of the ingestion API for the institution's systems (`POST /ingest` takes the records
    /// of `mydata import` as NDJSON or one JSON record, `GET /export` gives them back), on its own
    /// listener: it is never served on --listen. Needs --admin-secret or --admin-secret-file.
    #[arg(long, env = "MYDATA_ADMIN_LISTEN", value_name = "ADDR")]
    admin_listen: Option<String>,
    /// The bearer secret callers of the ingestion API present (`Authorization: Bearer S`), at
    /// least 16 characters.
    #[arg(
        long,
        env = "MYDATA_ADMIN_SECRET",
        value_name = "S",
        conflicts_with = "admin_secret_file",
        hide_env_values = true
    )]
    admin_secret: Option<String>,
    /// A file holding the bearer secret (its surrounding whitespace ignored).
    #[arg(long, env = "MYDATA_ADMIN_SECRET_FILE", value_name = "FILE")]
    admin_secret_file: Option<std::path::PathBuf>,
}

/// Shortest admin secret taken: a bearer secret is all that guards the institution's data.
const MIN_SECRET_CHARS: usize = 16;

impl AdminArgs {
    fn secret(&self) -> anyhow::Result<String> {
        let secret = match (&self.admin_secret, &self.admin_secret_file) {
            (Some(secret), _) => secret.clone(),
            (None, Some(file)) => std::fs::read_to_string(file)
                .with_context(|| format!("reading --admin-secret-file {}", file.display()))?
                .trim()
                .to_owned(),
            (None, None) => anyhow::bail!("--admin-listen needs --admin-secret or --admin-secret-file"),
        };
        anyhow::ensure!(
            secret.chars().count() >= MIN_SECRET_CHARS,
            "the admin secret must be at least {MIN_SECRET_CHARS} characters"
        );
        Ok(secret)
    }

    /// Starts the ingestion API when --admin-listen asks for it; it stops with the process's signal.
    pub async fn start(&self, store: std::sync::Arc<dyn mydata_store::Store>) -> anyhow::Result<()> {
        let Some(addr) = &self.admin_listen else { return Ok(()) };
        let router = mydata_ingest::admin::router(store, &self.secret()?);
        let listener = mydata_web::server::bind(addr).await.with_context(|| format!("--admin-listen {addr}"))?;
        tracing::info!(addr = %listener.local_addr()?, "ingestion API started");
        tokio::spawn(async move {
            let shutdown = mydata_web::server::shutdown_signal();
            if let Err(e) = mydata_web::server::serve(listener, router, shutdown).await {
                tracing::error!(error = %e, "the ingestion API stopped");
            }
        });
        Ok(())
    }
}
