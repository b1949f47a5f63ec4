//! `mydata operator`: the MyData operator as a long-running service ([`mydata_operator`]).

use super::collect::CollectPortalArgs;
use crate::cli::DatabaseArgs;
use crate::stdout::outln;
use anyhow::Context;
use clap::Args;
use mydata_collector::{Collector, CollectorConfig, OperatorStore, OperatorSupport, Progress};
use mydata_operator::{Customer, OperatorConfig, OperatorWeb, Scheduler, SchedulerConfig};
use mydata_spec::scheduled_hours::SystemClock;
use mydata_web::server;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
#[command(after_help = "Examples:\n  \
    mydata operator --database postgres://postgres@127.0.0.1/test --portal https://portal.example \\\n    \
      --portal-client-id ID --portal-client-secret SECRET --client-id SERVICE --client-secret SECRET \\\n    \
      --read-api-secret $(openssl rand -hex 24)\n  \
    mydata operator --once --database postgres://…   # collect what is due now, beside other processes, and exit")]
pub struct OperatorArgs {
    /// Address of the operator's pages (consent button, callback, dashboard), its support APIs
    /// (지원-101..104) and its read API; port 0 picks a free port (the chosen one is printed).
    #[arg(long, env = "MYDATA_OPERATOR_LISTEN", default_value = "127.0.0.1:8090")]
    listen: String,
    /// The operator's URL as browsers and providers reach it: its 개별인증 callback is
    /// `<URL>/callback`, as registered at the portal. Default: http(s)://<the address listened on>.
    #[arg(long, env = "MYDATA_OPERATOR_URL")]
    public_url: Option<String>,
    /// The operator's database (providers, customers' consents and tokens, collected data, the
    /// schedule). Processes sharing one PostgreSQL database share the collection work.
    #[command(flatten)]
    database: DatabaseArgs,
    /// The operator's org_code, the head of every x-api-tran-id it sends (첨부14).
    #[arg(long, env = "MYDATA_OPERATOR_ORG", default_value = "OPERAT0001")]
    operator_org: String,
    /// The app URL scheme sent with 개별인증-001 (app_scheme): one the service registered at the
    /// portal (지원-003 app_scheme_list), which providers check (ch.3 ③).
    #[arg(long, env = "MYDATA_OPERATOR_APP_SCHEME", default_value = "mydataoperator://consent")]
    app_scheme: String,
    /// A customer signed in to the operator, as CUSTOMER_ID:CI (their 연계정보, by which the portal
    /// asks for their consents, 지원-103); offered consent buttons on the front page. Repeat for several.
    #[arg(long = "customer", env = "MYDATA_OPERATOR_CUSTOMERS", value_delimiter = ',', value_parser = customer)]
    customers: Vec<Customer>,
    /// Consents collected at the same time by this process.
    #[arg(long, env = "MYDATA_OPERATOR_CONCURRENCY", default_value_t = 8)]
    concurrency: usize,
    /// Seconds one HTTP exchange with a provider may take.
    #[arg(long, env = "MYDATA_COLLECT_TIMEOUT", default_value_t = 30)]
    timeout: u64,
    /// Seconds a consent's collection stays leased to this process without renewal (renewed while it
    /// runs): after a crash, another process takes the work over after this.
    #[arg(long, env = "MYDATA_OPERATOR_LEASE_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(3..))]
    lease_secs: u64,
    /// Seconds between looks for due collections.
    #[arg(long, env = "MYDATA_OPERATOR_TICK_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    tick_secs: u64,
    /// Days collected data is kept after its consent was withdrawn or ended: the retention period
    /// customers are told (technical guideline 2022 ch.3). Every collection round deletes what is
    /// older. Without it, collected data is kept until the customer withdraws with deletion or
    /// leaves the service.
    #[arg(long, env = "MYDATA_RETENTION_DAYS", value_parser = clap::value_parser!(u64).range(1..))]
    retention_days: Option<u64>,
    /// The bearer secret the operator's own apps present to the read API
    /// (`GET /api/customers/{customer_id}/assets`, …) and through which they pass on the customer's
    /// requests (`POST /api/customers/{customer_id}/consents/{org_code}/withdraw` with
    /// `{"delete": true}` to delete what was collected too; `DELETE /api/customers/{customer_id}`
    /// to leave the service); without it the read API is not served.
    #[arg(long, env = "MYDATA_READ_API_SECRET")]
    read_api_secret: Option<String>,
    /// Collect what is due now, then exit, without serving pages: a run beside other processes on
    /// the same database (each consent leased by one of them).
    #[arg(long)]
    once: bool,
    #[command(flatten)]
    tls: super::pki::ServerTlsArgs,
    #[command(flatten)]
    portal: CollectPortalArgs,
}

fn customer(text: &str) -> Result<Customer, String> {
    let (customer_id, ci) = text.split_once(':').ok_or_else(|| format!("{text:?} is not CUSTOMER_ID:CI"))?;
    if customer_id.is_empty() || ci.is_empty() {
        return Err(format!("{text:?} is not CUSTOMER_ID:CI"));
    }
    Ok(Customer { customer_id: customer_id.into(), ci: ci.into() })
}

pub async fn run(args: OperatorArgs) -> anyhow::Result<()> {
    let store = OperatorStore::open(&args.database.database)
        .await
        .with_context(|| format!("opening the database {}", args.database.database))?;
    let org = args.operator_org.clone();
    let client_tls = args.tls.client_tls(&org)?;
    let support = Arc::new(OperatorSupport::start(store.clone(), &org).await?);
    let mut config = CollectorConfig::new(&org);
    config.timeout = Duration::from_secs(args.timeout);
    config.progress = Progress::Log;
    config.tls = client_tls.clone().map(Arc::new);
    config.statistics = Some(support.calls.clone());
    let portal = args.portal.account(&org);
    let mut background = Vec::new();
    if let Some((account, service)) = &portal {
        let url = account.base_url.clone();
        support.connect_portal(account.clone(), client_tls.clone());
        let learned = support
            .learn_providers(service)
            .await
            .with_context(|| format!("pulling the registry from the portal at {url}"))?;
        learned.log("providers learned from the portal's registry");
        if !args.once {
            background.push(support.spawn_learning(service.clone(), Duration::from_secs(300)));
            background.push(support.spawn_weekly_statistics(Duration::from_secs(3600)));
        }
    }
    let mut schedule = SchedulerConfig::new(&mydata_operator::scheduler::process_name());
    schedule.concurrency = args.concurrency.max(1);
    schedule.lease = Duration::from_secs(args.lease_secs);
    schedule.tick = Duration::from_secs(args.tick_secs);
    schedule.retention = args.retention_days.map(|days| Duration::from_secs(days * 86_400));
    let scheduler = Arc::new(Scheduler::new(Collector::new(store.clone(), config), Arc::new(SystemClock), schedule));

    if args.once {
        let round = scheduler.drain().await?;
        support.calls.flush().await;
        outln!(
            "operator round: {} planned, {} consents collected, {} retried later, {} deferred to the provider's hours, \
             {} leases lost; {} units done, {} failed, {} calls",
            round.planned,
            round.collected,
            round.retried,
            round.deferred,
            round.lost,
            round.units_done,
            round.units_failed,
            round.calls
        )?;
        if portal.is_some()
            && let Err(e) = support.send_due_statistics().await
        {
            tracing::warn!(error = %e, "statistics (지원-004) not sent; the next run tries again");
        }
        return Ok(());
    }

    let server_tls = args.tls.resolve(&org)?;
    let listener = server::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let scheme = if server_tls.is_some() { "https" } else { "http" };
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("{scheme}://{addr}"));
    let providers = store.providers().await?;
    // The service credentials: the portal's registry names them; without a portal, those the
    // providers in the database are called with.
    let service = match (&portal, providers.first()) {
        (Some((_, service)), _) => service.clone(),
        (None, Some(p)) => {
            mydata_client::Credentials { client_id: p.client_id.clone(), client_secret: p.client_secret.clone() }
        }
        (None, None) => mydata_client::Credentials { client_id: String::new(), client_secret: String::new() },
    };
    let web_config = OperatorConfig {
        org_code: org.clone(),
        service,
        redirect_uri: format!("{public_url}/callback"),
        app_scheme: args.app_scheme.clone(),
        title: "마이데이터 operator".into(),
        tls: client_tls,
    };
    let web = OperatorWeb::new(web_config, store.clone(), support.clone(), providers, args.customers.clone());
    let verify_portal = server_tls.as_ref().is_some_and(|t| t.client_certificates);
    let mut router = web.router(verify_portal);
    if let Some(secret) = args.read_api_secret.clone() {
        router = router.merge(web.read_api(secret));
        // A server keeps serving when nothing reads its output.
        let _ = outln!("read API  {public_url}{}  bearer <--read-api-secret>", mydata_operator::read_api::PREFIX);
    }
    let collecting = tokio::spawn(scheduler.serve(server::shutdown_signal()));
    tracing::info!(%addr, url = %public_url, "operator started");
    super::pki::serve(listener, router, server_tls).await?;
    // The pages stopped; the collections under way finish and settle their leases.
    collecting.await.context("the collection loop panicked")?;
    background.iter().for_each(tokio::task::JoinHandle::abort);
    support.calls.flush().await;
    tracing::info!("stopped; leases settled, call statistics flushed");
    Ok(())
}
