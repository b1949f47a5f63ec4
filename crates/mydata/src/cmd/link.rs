//! `mydata link --integrated`: links a sandbox customer at the chosen providers with 통합인증
//! ([`mydata_collector::integrated`]), signing with their demo key, and prints one line per provider.

use crate::stdout::outln;
use anyhow::{Context, bail};
use chrono::{Days, NaiveDate};
use clap::Args;
use mydata_client::Client;
use mydata_client::integrated::ConsentTerms;
use mydata_collector::integrated::{IntegratedAuth, IntegratedConfig, LinkingCustomer, StandInSigner};
use mydata_collector::{OperatorStore, OperatorSupport};
use std::path::PathBuf;

#[derive(Args)]
#[command(after_help = "Examples:\n  \
    mydata sandbox --dir .sandbox &\n  \
    mydata link --integrated --customer demo2 --sandbox-dir .sandbox                      # at every provider\n  \
    mydata link --integrated --customer demo2 --org BANK000001 --org CARD000001 --sandbox-dir .sandbox\n\n\
    Each line: ORG_CODE INDUSTRY OUTCOME (linked, refused, unreachable, uncertain, lists unread).\n\
    Exit status: 0 when every provider was linked, 1 otherwise.")]
pub struct LinkArgs {
    /// Link with 통합인증 (통합인증-002 at every chosen provider, the customer signing once per
    /// stage). 개별인증 happens in the customer's browser: open the operator's page instead.
    #[arg(long)]
    integrated: bool,
    /// The operator's customer to link (a demo customer of the sandbox: demo1, demo2, demo3).
    #[arg(long)]
    customer: String,
    /// A provider to link at (its org_code); repeat for several, at most 50. Default: every provider
    /// the operator knows.
    #[arg(long = "org", value_name = "CODE")]
    orgs: Vec<String>,
    /// A running `mydata sandbox`'s directory: its operator database, its test PKI (the operator's
    /// client certificate) and, under integrated-auth/, the customer's certificate and key.
    #[arg(long, env = "MYDATA_SANDBOX_DIR", value_name = "DIR")]
    sandbox_dir: PathBuf,
    /// The operator's org_code.
    #[arg(long, env = "MYDATA_OPERATOR_ORG", default_value = "OPERAT0001")]
    operator_org: String,
    /// 정기적 전송 cycle of basic and additional information (`1/w` or `1/m`); `none` for no
    /// scheduled transmission.
    #[arg(long, default_value = "1/w", value_parser = ["1/w", "1/m", "none"])]
    cycle: String,
    /// Days until the consent ends (전송요구 종료시점; at most a year).
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..=365))]
    days: u64,
    /// The purpose shown to the customer (전송 목적).
    #[arg(long, default_value = "자산관리 서비스 제공")]
    purpose: String,
}

pub async fn run(args: LinkArgs) -> anyhow::Result<()> {
    if !args.integrated {
        bail!(
            "only --integrated links from the command line; 개별인증 needs the customer's browser (the operator's page)"
        );
    }
    let dir = &args.sandbox_dir;
    let database = format!("sqlite://{}", dir.join("operator.db").display());
    if !dir.join("operator.db").exists() {
        bail!("{} holds no operator database: start `mydata sandbox --dir {}` first", dir.display(), dir.display());
    }
    let store = OperatorStore::open(&database).await.with_context(|| format!("opening {database}"))?;
    let signer = StandInSigner::open(&dir.join("integrated-auth"), &args.customer)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("the signing identity of {}", args.customer))?;
    let known = store.providers().await?;
    let providers = if args.orgs.is_empty() {
        known
    } else {
        let mut chosen = Vec::new();
        for org in &args.orgs {
            let found = known.iter().find(|p| &p.org_code == org);
            chosen.push(found.with_context(|| format!("{org} is not a provider the operator knows"))?.clone());
        }
        chosen
    };
    let pki = dir.join("pki");
    let tls = if providers.iter().any(|p| p.base_url.starts_with("https:")) {
        let pki = mydata_pki::TestPki::open(&pki).with_context(|| format!("opening the PKI in {}", pki.display()))?;
        Some(pki.client_tls(&args.operator_org)?.rustls_config()?)
    } else {
        None
    };
    let timeout = mydata_client::call::DEFAULT_TIMEOUT;
    let client = match tls {
        Some(tls) => Client::with_tls(&args.operator_org, timeout, tls),
        None => Client::with_timeout(&args.operator_org, timeout),
    };
    // Every call is counted for 지원-004, as the operator's other calls are.
    let support = OperatorSupport::start(store.clone(), &args.operator_org).await?;
    let client = client.observed(support.calls.clone());
    let config = IntegratedConfig::new(&args.operator_org, signer.ca_code(), "sandbox.operator.example");
    let today = mydata_collector::rules::korean_today();
    let cycle = Some(args.cycle.clone()).filter(|c| c != "none");
    let terms = ConsentTerms {
        fnd_cycle: cycle.clone(),
        add_cycle: cycle,
        end_date: today + Days::new(args.days),
        purpose: args.purpose.clone(),
        period: NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date"),
    };
    // The operator knows its sandbox customers by their CI (연계정보), as it knows any customer.
    let ci = mydata_testdata::demo_people()
        .into_iter()
        .find(|p| p.customer_id == args.customer)
        .map(|p| p.ci)
        .with_context(|| format!("{} is not a demo customer of the sandbox", args.customer))?;
    let customer = LinkingCustomer { customer_id: args.customer.clone(), ci };
    let outcomes = IntegratedAuth::new(client, store, config).link(&customer, &providers, &terms, &signer).await?;
    support.calls.flush().await;
    for o in &outcomes {
        outln!("{:<10} {:<8} {}", o.org_code, o.industry, o.outcome)?;
    }
    let linked = outcomes.iter().filter(|o| o.outcome.is_linked()).count();
    outln!("통합인증: {} linked at {linked} of {} providers", args.customer, outcomes.len())?;
    if linked < outcomes.len() {
        bail!("{} provider(s) not linked", outcomes.len() - linked);
    }
    Ok(())
}
