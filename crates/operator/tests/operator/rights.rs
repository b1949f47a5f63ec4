//! The customer's rights, black-box over HTTP (technical guideline 2022 ch.3): after a withdrawal
//! with deletion and after leaving the service, the providers refuse the revoked tokens and neither
//! the read API nor the operator's database holds what was collected; a withdrawal without deletion
//! keeps the data; data of consents stopped longer ago than the retention period is deleted.

use crate::collector_common as common;

use mydata_client::{Call, Client};
use mydata_collector::rights::delete_past_retention;
use mydata_collector::{LinkRow, OperatorStore};
use mydata_spec::{ApiType, Industry, KnownApi, RspCode};
use mydata_store::Backend;
use serde_json::{Value, json};
use std::time::Duration;

const SECRET: &str = "rights-test-secret-0123456789";

async fn serve(store: OperatorStore) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = mydata_operator::read_api::routes(store, Client::new(common::OPERATOR), SECRET.into(), Vec::new());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// What the operator's database holds about `customer`, table by table (rows in each).
async fn held(store: &OperatorStore, customer: &str, org: Option<&str>) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in ["op_resources", "op_cursors", "op_schedule", "op_periodic_usage", "op_journal", "op_customers"] {
        let sql = match org {
            Some(_) if table == "op_customers" || table == "op_journal" => continue,
            Some(_) => format!("SELECT COUNT(*) FROM {table} WHERE customer_id = $1 AND org_code = $2"),
            None => format!("SELECT COUNT(*) FROM {table} WHERE customer_id = $1"),
        };
        let count: i64 = sqlx::query_scalar(&sql)
            .bind(customer)
            .bind(org.unwrap_or_default())
            .fetch_one(store.sql().pool())
            .await
            .unwrap();
        counts.push((table, count));
    }
    counts
}

/// Whether the provider still serves `link`'s access token (공통-002 of its industry).
async fn served(base: &str, industry: Industry, link: &LinkRow) -> Result<(), Option<RspCode>> {
    let call = Call::new(KnownApi::Consents.spec())
        .industry(industry)
        .bearer(&link.tokens.access_token)
        .api_type(ApiType::UserSearch);
    Client::new(common::OPERATOR)
        .send(base, &call.param("org_code", &link.org_code))
        .await
        .map(drop)
        .map_err(|e| e.rsp_code())
}

async fn assets_of(http: &reqwest::Client, base: &str, customer: &str) -> Vec<Value> {
    let response =
        http.get(format!("{base}/api/customers/{customer}/assets")).bearer_auth(SECRET).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["assets"].as_array().unwrap().clone()
}

fn industry_of(org: &str) -> Industry {
    mydata_provider::demo_orgs().into_iter().find(|o| o.org_code == org).unwrap().industry
}

async fn withdrawal_and_leaving(backend: Backend) {
    let mut providers = common::providers(common::people(2)).await;
    let (_db, store) = common::operator(backend).await;
    providers.consent_everywhere(&store).await;
    let summary = common::collector(&store).run().await.unwrap();
    assert_eq!(summary.units_failed, 0, "{summary:?}");
    let (leaver, stayer) = (providers.people[0].customer_id.clone(), providers.people[1].customer_id.clone());
    let links = store.links().await.unwrap();
    let link =
        |customer: &str, org: &str| links.iter().find(|l| l.customer_id == customer && l.org_code == org).unwrap();
    let base = serve(store.clone()).await;
    let http = reqwest::Client::new();
    let withdraw = |customer: &str, org: &str| format!("{base}/api/customers/{customer}/consents/{org}/withdraw");

    // Withdrawal with deletion: the bank's token is refused, the bank's data is gone, the rest stays.
    let bank = link(&leaver, "BANK000001");
    assert_eq!(served(&providers.base, Industry::Bank, bank).await, Ok(()));
    assert!(held(&store, &leaver, Some("BANK000001")).await.iter().any(|(_, n)| *n > 0));
    let answer = http.post(withdraw(&leaver, "BANK000001")).bearer_auth(SECRET).json(&json!({"delete": true}));
    let answer: Value = answer.send().await.unwrap().json().await.unwrap();
    assert_eq!(answer["revoked"], "true", "{answer}");
    assert_ne!(answer["deleted_cnt"], "0", "{answer}");
    assert_eq!(served(&providers.base, Industry::Bank, bank).await, Err(Some(RspCode::InvalidToken)));
    assert!(held(&store, &leaver, Some("BANK000001")).await.iter().all(|(_, n)| *n == 0), "nothing of the bank's kept");
    let assets = assets_of(&http, &base, &leaver).await;
    assert!(assets.iter().all(|a| a["org_code"] != "BANK000001"), "the read API has none of the bank's assets");
    assert!(assets.iter().any(|a| a["org_code"] == "CARD000001"), "other providers' data stays");

    // Withdrawal without deletion: the token is refused, what was collected stays.
    let card = link(&leaver, "CARD000001");
    let answer = http.post(withdraw(&leaver, "CARD000001")).bearer_auth(SECRET).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(served(&providers.base, Industry::Card, card).await, Err(Some(RspCode::InvalidToken)));
    assert!(assets_of(&http, &base, &leaver).await.iter().any(|a| a["org_code"] == "CARD000001"));
    let again: Value =
        http.post(withdraw(&leaver, "CARD000001")).bearer_auth(SECRET).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["revoked"], "false", "a stopped consent is not revoked twice: {again}");

    // Refusals: no consent there, no secret.
    let unknown = http.post(withdraw(&leaver, "NOSUCHORG1")).bearer_auth(SECRET).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let anonymous = http.post(withdraw(&stayer, "INVEST0001")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(served(&providers.base, Industry::Invest, link(&stayer, "INVEST0001")).await, Ok(()), "nothing revoked");
    let anonymous = http.delete(format!("{base}/api/customers/{stayer}")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // Leaving the service: every token refused, nothing about the customer left.
    let left = http.delete(format!("{base}/api/customers/{leaver}")).bearer_auth(SECRET).send().await.unwrap();
    assert_eq!(left.status(), 200);
    let left: Value = left.json().await.unwrap();
    assert_eq!(left["consents"].as_array().unwrap().len(), links.iter().filter(|l| l.customer_id == leaver).count());
    for l in links.iter().filter(|l| l.customer_id == leaver) {
        let refused = served(&providers.base, industry_of(&l.org_code), l).await;
        assert_eq!(refused, Err(Some(RspCode::InvalidToken)), "{}", l.org_code);
    }
    assert!(held(&store, &leaver, None).await.iter().all(|(_, n)| *n == 0), "{:?}", held(&store, &leaver, None).await);
    assert!(assets_of(&http, &base, &leaver).await.is_empty());
    assert!(
        store.links().await.unwrap().iter().filter(|l| l.customer_id == leaver).all(|l| l
            .tokens
            .access_token
            .is_empty()
            && l.tokens.refresh_token.is_empty()
            && l.stop_reason.is_some())
    );
    // The other customer is untouched.
    assert!(!assets_of(&http, &base, &stayer).await.is_empty());
    assert_eq!(served(&providers.base, Industry::Bank, link(&stayer, "BANK000001")).await, Ok(()));
    let twice = http.delete(format!("{base}/api/customers/nobody")).bearer_auth(SECRET).send().await.unwrap();
    assert_eq!(twice.status(), 404);
}

#[tokio::test]
async fn withdrawal_and_leaving_sqlite() {
    withdrawal_and_leaving(Backend::Sqlite).await;
}

#[tokio::test]
async fn withdrawal_and_leaving_postgres() {
    withdrawal_and_leaving(Backend::Postgres).await;
}

#[tokio::test]
async fn data_past_its_retention_is_deleted() {
    let mut providers = common::providers(common::people(1)).await;
    let (_db, store) = common::operator(Backend::Sqlite).await;
    providers.consent_everywhere(&store).await;
    common::collector(&store).run().await.unwrap();
    let customer = providers.people[0].customer_id.clone();
    let now = chrono::Utc::now().timestamp();
    let day = 86_400;
    // The bank's consent stopped 40 days ago, the card company's 10 days ago; the rest are live.
    let reason = mydata_client::StopReason::Revoked { detail: "withdrawn by the customer".into() };
    store.stop_link(&customer, "BANK000001", &reason, now - 40 * day).await.unwrap();
    store.stop_link(&customer, "CARD000001", &reason, now - 10 * day).await.unwrap();
    let deleted = delete_past_retention(&store, Duration::from_secs(30 * day as u64), now).await.unwrap();
    assert!(deleted > 0);
    let nothing = |counts: Vec<(&str, i64)>| counts.iter().all(|(_, n)| *n == 0);
    assert!(nothing(held(&store, &customer, Some("BANK000001")).await), "past the retention: deleted");
    assert!(!nothing(held(&store, &customer, Some("CARD000001")).await), "within the retention: kept");
    assert!(!nothing(held(&store, &customer, Some("INVEST0001")).await), "a live consent: kept");
    assert_eq!(delete_past_retention(&store, Duration::from_secs(30 * day as u64), now).await.unwrap(), 0);
}
