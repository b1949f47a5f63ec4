//! `mydata collect`: the operator's job — every customer's consented data from every provider, once.

use crate::cli::DatabaseArgs;
use crate::stdout::outln;
use anyhow::Context;
use clap::Args;
use mydata_client::Credentials;
use mydata_collector::{Collector, CollectorConfig, OperatorStore, OperatorSupport, Progress};
use mydata_support::portal_client::PortalAccount;
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
    #[command(flatten)]
    portal: CollectPortalArgs,
}

/// The link to the integrated portal: where providers are (지원-002) and where the operator's call
/// statistics go (지원-004). The same variables as `mydata serve --portal`.
#[derive(Args)]
pub(crate) struct CollectPortalArgs {
    /// The portal's base URL: before collecting, pull the registry and collect from every provider
    /// it lists (org_type 01 at its domain) with --client-id/--client-secret; after, send the last
    /// complete week's 지원-004 if it has not gone out yet. Without it, the providers already in the
    /// database are used.
    #[arg(long = "portal", env = "MYDATA_PORTAL", requires_all = ["portal_client_id", "portal_client_secret", "client_id", "client_secret"])]
    portal: Option<String>,
    /// This operator's client_id at the portal (지원-001, "지원API 호출용").
    #[arg(long, env = "MYDATA_PORTAL_CLIENT_ID")]
    portal_client_id: Option<String>,
    /// This operator's client secret at the portal.
    #[arg(long, env = "MYDATA_PORTAL_CLIENT_SECRET")]
    portal_client_secret: Option<String>,
    /// The operator's service credentials (서비스 자격증명) providers learned from the portal's
    /// registry are called with: client_id …
    #[arg(long, env = "MYDATA_CLIENT_ID")]
    client_id: Option<String>,
    /// … and its secret.
    #[arg(long, env = "MYDATA_CLIENT_SECRET")]
    client_secret: Option<String>,
}

impl CollectPortalArgs {
    pub(crate) fn account(&self, own_org: &str) -> Option<(PortalAccount, Credentials)> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let account = PortalAccount {
            base_url: self.portal.clone()?,
            client_id: text(&self.portal_client_id),
            client_secret: text(&self.portal_client_secret),
            org_code: own_org.to_owned(),
            issuer: mydata_spec::IssuerType::Operator,
        };
        Some((account, Credentials { client_id: text(&self.client_id), client_secret: text(&self.client_secret) }))
    }
}

pub async fn run(args: CollectArgs) -> anyhow::Result<()> {
    let store = OperatorStore::open(&args.database.database)
        .await
        .with_context(|| format!("opening the database {}", args.database.database))?;
    let mut config = CollectorConfig::new(&args.operator_org);
    config.provider_concurrency = args.concurrency;
    config.timeout = Duration::from_secs(args.timeout);
    config.progress = if std::io::stderr().is_terminal() { Progress::Bar } else { Progress::Log };
    let tls = args.tls.resolve(&args.operator_org)?;
    config.tls = tls.clone().map(std::sync::Arc::new);
    // Every call to a provider is counted in the operator's database, for 지원-004.
    let support = OperatorSupport::start(store.clone(), &args.operator_org).await?;
    config.statistics = Some(support.calls.clone());
    let portal = args.portal.account(&args.operator_org);
    if let Some((account, service)) = &portal {
        let url = account.base_url.clone();
        support.connect_portal(account.clone(), tls);
        let learned = support
            .learn_providers(service)
            .await
            .with_context(|| format!("pulling the registry from the portal at {url}"))?;
        learned.log("providers learned from the portal's registry");
        outln!("registry: {} providers from the portal ({} removed)", learned.providers, learned.removed)?;
    }
    let summary = Collector::new(store, config).run().await?;
    support.calls.flush().await;
    crate::stdout::print(mydata_operator::report(&summary))?;
    if portal.is_some() {
        // A week is sent late (on the first run after its Sunday) rather than never; a failure is
        // retried by the next run.
        match support.send_due_statistics().await {
            Ok(Some(inquiry_date)) => outln!("statistics (지원-004) sent for the week before {inquiry_date}")?,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "statistics (지원-004) not sent; the next run tries again"),
        }
    }
    Ok(())
}
