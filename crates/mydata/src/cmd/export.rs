//! `mydata export`: stored information data as the NDJSON records `mydata import` reads.

use crate::cli::DatabaseArgs;
use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Only this institution's customers (default: every institution's).
    #[arg(long, value_name = "ORG_CODE")]
    org: Option<String>,
    /// Only this customer (needs --org).
    #[arg(long, value_name = "CUSTOMER_ID", requires = "org")]
    customer: Option<String>,
    /// Where to write the records: a file, or `-` for standard output.
    #[arg(long, default_value = "-", value_name = "FILE")]
    output: String,
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let store = args.database.open_existing().await?;
    let mut out: Box<dyn std::io::Write> = if args.output == "-" {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        let file = std::fs::File::create(&args.output).with_context(|| format!("creating {}", args.output))?;
        Box::new(std::io::BufWriter::new(file))
    };
    let written = mydata_ingest::export(store.as_ref(), args.org.as_deref(), args.customer.as_deref(), &mut out)
        .await
        .map_err(|e| match e {
            mydata_ingest::ExportError::Write(e) if args.output == "-" => crate::stdout::failed_write(e),
            e => anyhow::Error::new(e).context("exporting"),
        })?;
    if let (0, Some(org), Some(customer)) = (written, &args.org, &args.customer) {
        drop(out);
        if args.output != "-" {
            // Nothing was exported: no empty file is left to be taken for an export.
            let _ = std::fs::remove_file(&args.output);
        }
        anyhow::bail!("{org} has no customer {customer}");
    }
    tracing::info!(records = written, "export done");
    Ok(())
}
