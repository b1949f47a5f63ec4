//! The collector's throughput: customers × providers fully collected per minute, on the first
//! collection after the consents (12 months of history, `user-consent`) and on the next, incremental
//! one (`scheduled`: search_timestamps and the days since), against in-process providers — one
//! server per institution, every industry in turn — over loopback.

use crate::operator::OPERATOR_ORG;
use crate::scenarios::{CLIENT, CLIENT_SECRET, register_client};
use anyhow::Context;
use mydata_collector::store::ProviderRow;
use mydata_collector::{Collector, CollectorConfig, OperatorStore, Progress, Summary};
use mydata_provider::grant::FullConsent;
use mydata_provider::limits::RateLimits;
use mydata_provider::{Provider, ProviderConfig, ServedOrg};
use mydata_spec::Industry;
use mydata_store::{SqlStore, prelude::*};
use mydata_testdata::{Generator, Institution, everyone, write_people};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct CollectBench {
    /// Institutions, each served by its own in-process provider.
    pub providers: usize,
    /// Customers with data at every institution, each linked at every one.
    pub customers: u64,
    pub seed: u64,
}

/// One collection measured.
#[derive(Debug, Clone)]
pub struct CollectRun {
    pub scenario: String,
    /// Customer × provider consents collected.
    pub consents: usize,
    pub seconds: f64,
    pub summary: Summary,
}

impl CollectRun {
    pub fn consents_per_minute(&self) -> f64 {
        if self.seconds > 0.0 { self.consents as f64 * 60.0 / self.seconds } else { 0.0 }
    }
}

/// Scheduled transmission often enough that the incremental run is allowed every call.
const CYCLE: &str = "10/d";

/// The `index`-th institution: every industry in turn, org_codes `CL` + industry + number.
fn institution(index: usize) -> ServedOrg {
    let industry = Industry::ALL[index % Industry::ALL.len()];
    let position = Industry::ALL.iter().position(|i| *i == industry).unwrap_or_default();
    ServedOrg { org_code: format!("CL{position:02}{index:06}"), industry }
}

/// Temporary databases of one benchmark, removed when dropped.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new() -> anyhow::Result<Scratch> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("mydata-bench-{}-{}", std::process::id(), &unique[..8]));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Scratch(dir))
    }

    pub(crate) fn sqlite(&self, name: &str) -> String {
        sqlite_url(&self.0.join(format!("{name}.db")))
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Generates the institutions' data, starts one provider per institution, and measures the first
/// and the incremental collection of one customer at every provider, then of every customer.
pub async fn run(config: &CollectBench, mut progress: impl FnMut(u64)) -> anyhow::Result<Vec<CollectRun>> {
    let scratch = Scratch::new()?;
    let store = Arc::new(SqlStore::open(&scratch.sqlite("providers")).await?);
    let orgs: Vec<ServedOrg> = (0..config.providers).map(institution).collect();
    let institutions: Vec<Institution> =
        orgs.iter().map(|o| Institution { org_code: o.org_code.clone(), industry: o.industry }).collect();
    let generator = Generator::new(config.seed, mydata_spec::time::korean_date(chrono::Utc::now()));
    let people = everyone(config.seed, config.customers).skip(3);
    write_people(store.as_ref(), &generator, &institutions, people, 200, &mut progress).await?;
    register_client(store.as_ref()).await?;
    let mut providers = Vec::new();
    for org in &orgs {
        let config = ProviderConfig { orgs: vec![org.clone()], lifetimes: Default::default() };
        let provider = Provider::new(store.clone() as Arc<dyn Store>, config).await?;
        provider.set_rate_limits(RateLimits::OFF);
        let base = crate::scenarios::serve(mydata_provider::router(provider.clone())).await?;
        providers.push((org.clone(), provider, base));
    }
    let customers: Vec<String> = store.customers(&orgs[0].org_code).await?.into_iter().map(|c| c.customer_id).collect();
    let one = &customers[..1];
    let mut runs = Vec::new();
    let name = |who: &str| format!("{who} × {} providers", orgs.len());
    runs.extend(collect_twice(&scratch, "one", &name("1 customer"), &providers, one).await?);
    let every = format!("{} customers", customers.len());
    runs.extend(collect_twice(&scratch, "every", &name(&every), &providers, &customers).await?);
    Ok(runs)
}

/// Links `customers` at every provider in a new operator database and collects twice.
async fn collect_twice(
    scratch: &Scratch,
    database: &str,
    scenario: &str,
    providers: &[(ServedOrg, Arc<Provider>, String)],
    customers: &[String],
) -> anyhow::Result<Vec<CollectRun>> {
    let operator = OperatorStore::open(&scratch.sqlite(database)).await?;
    let now = chrono::Utc::now().timestamp();
    let terms =
        FullConsent { client_id: CLIENT, cycle: Some(CYCLE), days: 365, purpose: "벤치마크", binding: None };
    for (org, provider, base) in providers {
        let row = ProviderRow {
            org_code: org.org_code.clone(),
            industry: org.industry.to_string(),
            base_url: base.clone(),
            client_id: CLIENT.into(),
            client_secret: CLIENT_SECRET.into(),
        };
        operator.upsert_provider(&row, now).await?;
        for customer in customers {
            let (consent, pair) = provider.consent_to_everything(org, customer, &terms, now).await?;
            let tokens = pair.into_operator_tokens(consent.scopes.to_string());
            operator.upsert_link(customer, &org.org_code, &tokens, now).await?;
        }
    }
    let mut config = CollectorConfig::new(OPERATOR_ORG);
    // Every provider at once, as an operator refreshing a customer would.
    config.provider_concurrency = providers.len();
    config.progress = Progress::Log;
    let collector = Collector::new(operator, config);
    let consents = providers.len() * customers.len();
    let mut runs = Vec::new();
    for kind in ["first collection", "incremental"] {
        let started = Instant::now();
        let summary = collector.run().await?;
        let seconds = started.elapsed().as_secs_f64();
        if summary.units_failed > 0 {
            tracing::warn!(scenario, kind, failed = summary.units_failed, errors = ?summary.errors, "units failed");
        }
        runs.push(CollectRun { scenario: format!("{scenario}, {kind}"), consents, seconds, summary });
    }
    Ok(runs)
}
