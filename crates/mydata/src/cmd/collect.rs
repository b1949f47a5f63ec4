//! `mydata collect`: the operator's job — every customer's consented data from every provider, once.

use crate::cli::DatabaseArgs;
use anyhow::Context;
use clap::Args;
use mydata_collector::{Collector, CollectorConfig, OperatorStore, Progress, Summary};
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Args)]
pub struct CollectArgs {
    /// The operator's database (its providers, customers' consents and tokens, collected data).
    #[command(flatten)]
    database: DatabaseArgs,
    /// The operator's org_code, the head of every x-api-tran-id it sends (첨부14).
    #[arg(long, env = "MYDATA_OPERATOR_ORG", default_value = "OPERAT0001")]
    operator_org: String,
    /// Providers collected from at the same time.
    #[arg(long, env = "MYDATA_COLLECT_CONCURRENCY", default_value_t = 4)]
    concurrency: usize,
    /// Seconds one HTTP exchange may take.
    #[arg(long, env = "MYDATA_COLLECT_TIMEOUT", default_value_t = 30)]
    timeout: u64,
    #[command(flatten)]
    tls: super::pki::ClientTlsArgs,
}

pub async fn run(args: CollectArgs) -> anyhow::Result<()> {
    let store = OperatorStore::open(&args.database.database)
        .await
        .with_context(|| format!("opening the database {}", args.database.database))?;
    let mut config = CollectorConfig::new(&args.operator_org);
    config.provider_concurrency = args.concurrency;
    config.timeout = Duration::from_secs(args.timeout);
    config.progress = if std::io::stderr().is_terminal() { Progress::Bar } else { Progress::Log };
    config.tls = args.tls.resolve(&args.operator_org)?.map(std::sync::Arc::new);
    let summary = Collector::new(store, config).run().await?;
    print!("{}", report(&summary));
    Ok(())
}

/// The closing summary, for people.
pub fn report(s: &Summary) -> String {
    let mut out = format!(
        "collection {}{}: {} customers, {} providers, {} calls, {} rows stored\n\
         units: {} done, {} skipped (periodic allowance used), {} failed; {} answered up to date (00001)\n",
        s.run_id,
        if s.resumed { " (resumed)" } else { "" },
        s.customers,
        s.providers,
        s.calls,
        s.rows,
        s.units_done,
        s.units_skipped,
        s.units_failed,
        s.up_to_date,
    );
    let list = |counts: &std::collections::BTreeMap<String, u64>| {
        counts.iter().map(|(k, n)| format!("{k} × {n}")).collect::<Vec<_>>().join(", ")
    };
    if !s.errors.is_empty() {
        out.push_str(&format!("errors by rsp_code: {}\n", list(&s.errors)));
    }
    if !s.stopped.is_empty() {
        out.push_str(&format!("consents stopped: {}\n", list(&s.stopped)));
    }
    out
}
