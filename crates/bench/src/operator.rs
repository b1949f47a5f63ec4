//! The long-running operator's throughput on PostgreSQL: consents collected per minute by one
//! `mydata operator --once` process and by two sharing the operator's database (each consent leased
//! by one of them), against one in-process bank answering account lists — so that the figure is the
//! operator's (its leases, its journal, its database), not the provider's data volume. The same
//! fixture backs the scale-out tests of the `mydata` command, which also count every call the bank
//! answers.

use crate::collect::Scratch;
use crate::scenarios::{CLIENT, CLIENT_SECRET, register_client};
use chrono::{Days, NaiveDate, Utc};
use mydata_collector::OperatorStore;
use mydata_collector::store::ProviderRow;
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_provider::limits::RateLimits;
use mydata_provider::tokens::issue_pair;
use mydata_provider::{Provider, ProviderConfig, ServedOrg};
use mydata_spec::Industry;
use mydata_store::prelude::*;
use mydata_store::{Customer, SqlStore, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The operator's org_code, as the bank knows its client.
pub const OPERATOR_ORG: &str = "OPERAT0001";

/// Calls the bank answered, by access token, path and query.
pub type Calls = Arc<Mutex<HashMap<String, u32>>>;

/// A bank with one consent (to its account list) per customer, and an operator database holding
/// every consent's tokens.
pub struct Fixture {
    pub operator: OperatorStore,
    pub consents: usize,
    pub calls: Calls,
    _scratch: Scratch,
}

/// Starts the bank and fills the operator database at `operator_url` with `consents` consents.
pub async fn fixture(operator_url: &str, consents: usize) -> anyhow::Result<Fixture> {
    let scratch = Scratch::new()?;
    let store = Arc::new(SqlStore::open(&scratch.sqlite("bank")).await?);
    let bank = ServedOrg { org_code: "BANK000001".into(), industry: Industry::Bank };
    let config = ProviderConfig { orgs: vec![bank.clone()], lifetimes: Default::default() };
    let provider = Provider::new(store.clone() as Arc<dyn Store>, config).await?;
    provider.set_rate_limits(RateLimits::OFF);
    register_client(store.as_ref()).await?;
    let calls: Calls = Arc::default();
    let counted = calls.clone();
    let app = mydata_provider::router(provider.clone()).layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let counted = counted.clone();
            async move {
                let token = request.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                let key = format!("{token} {}", request.uri());
                *counted.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default() += 1;
                next.run(request).await
            }
        },
    ));
    let base = crate::scenarios::serve(app).await?;
    let operator = OperatorStore::open(operator_url).await?;
    let now = Utc::now().timestamp();
    let row = ProviderRow {
        org_code: bank.org_code.clone(),
        industry: bank.industry.to_string(),
        base_url: base,
        client_id: CLIENT.into(),
        client_secret: CLIENT_SECRET.into(),
    };
    operator.upsert_provider(&row, now).await?;
    let today = mydata_spec::time::korean_date(Utc::now());
    for n in 0..consents {
        let consent = Consent {
            consent_id: uuid::Uuid::new_v4().to_string(),
            org_code: bank.org_code.clone(),
            customer_id: format!("scale{n:06}"),
            client_id: CLIENT.into(),
            scopes: "bank.list".parse().expect("a bank scope"),
            assets: Default::default(),
            is_scheduled: true,
            fnd_cycle: Some("1/w".into()),
            add_cycle: Some("1/w".into()),
            end_date: today + Days::new(365),
            purpose: "벤치마크".into(),
            period: NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date"),
            options: ConsentOptions::default(),
            status: ConsentStatus::Active,
            created_at: now,
        };
        store
            .upsert_customer(&Customer {
                org_code: bank.org_code.clone(),
                customer_id: consent.customer_id.clone(),
                ci: format!("CI-{}", consent.customer_id),
                customer_name: "고객".into(),
                reg_date: "20200101".into(),
            })
            .await?;
        store.insert_consent(&consent).await?;
        let pair = issue_pair(store.as_ref(), &provider.keys, &consent, Default::default(), now).await?;
        let tokens = pair.into_operator_tokens(consent.scopes.to_string());
        operator.upsert_link(&consent.customer_id, &bank.org_code, &tokens, now).await?;
    }
    Ok(Fixture { operator, consents, calls, _scratch: scratch })
}

impl Fixture {
    /// Forgets every collection, so that every consent is due again (its first collection).
    pub async fn reset(&self) -> anyhow::Result<()> {
        let pool = self.operator.sql().pool();
        for statement in [
            "DELETE FROM op_schedule",
            "DELETE FROM op_journal",
            "DELETE FROM op_resources",
            "DELETE FROM op_cursors",
            "UPDATE op_links SET first_collected_at = NULL",
        ] {
            sqlx::query(statement).execute(pool).await?;
        }
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clear();
        Ok(())
    }

    /// How many consents' collections are done.
    pub async fn done(&self) -> anyhow::Result<usize> {
        Ok(self.operator.schedule().await?.iter().filter(|r| r.done_at.is_some()).count())
    }
}
