//! Health, readiness and metrics as an operator's monitoring sees them.

use crate::common;

use common::*;
use mydata_provider::{Provider, ProviderConfig, demo_orgs, router};
use mydata_store::{Backend, SqlStore};
use sqlx::Connection;
use std::sync::Arc;

fn metric_value(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_exactly_the_calls_made() {
    let app = spawn(Backend::Sqlite).await;
    for _ in 0..3 {
        let r = app.get("/v1/bank/apis?org_code=BANK000001&client_id=c").send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = app.get("/v1/bank/apis?client_id=c").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = app
        .get("/v1/bank/accounts?org_code=BANK000001&limit=1")
        .header("x-api-type", "scheduled")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let response = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    let calls = |labels: &str| metric_value(&text, &format!("mydata_api_calls_total{{{labels}}}"));
    assert_eq!(calls(r#"api_id="공통-001",rsp_code="00000",api_type="none""#), Some(3.0), "{text}");
    assert_eq!(calls(r#"api_id="공통-001",rsp_code="40001",api_type="none""#), Some(1.0), "{text}");
    assert_eq!(calls(r#"api_id="은행-001",rsp_code="40101",api_type="scheduled""#), Some(1.0), "{text}");
    assert_eq!(metric_value(&text, r#"mydata_api_latency_seconds_count{api_id="공통-001"}"#), Some(4.0), "{text}");
    let pool_max = metric_value(&text, r#"mydata_store_pool_max_connections{pool="main"}"#);
    assert!(pool_max.is_some_and(|m| m > 0.0), "{text}");
    assert!(!text.contains(r#"pool="reads""#), "SQLite files read without a pool: {text}");
}

/// A log writer that takes nothing until the test lets it go.
struct StalledLog(std::sync::mpsc::Receiver<()>);

impl std::io::Write for StalledLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let _ = self.0.recv();
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn log_lines_dropped_by_a_full_queue_are_counted_in_metrics() {
    use std::io::Write;
    let app = spawn(Backend::Sqlite).await;
    let (release, stalled) = std::sync::mpsc::channel();
    let (mut log, guard) = mydata_web::logging::non_blocking(StalledLog(stalled), 1);
    for n in 0..20 {
        log.write_all(format!("line {n}\n").as_bytes()).unwrap();
    }
    let dropped = log.error_counter().dropped_lines() as f64;
    assert!(dropped >= 18.0, "{dropped} lines dropped");
    let text = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    let counted = metric_value(&text, "mydata_log_dropped_lines_total");
    assert!(counted.is_some_and(|c| c >= dropped), "{dropped} dropped: {text}");
    drop(release);
    drop(guard);
}

#[tokio::test]
async fn metrics_count_token_refreshes_and_revocations() {
    use mydata_store::prelude::*;
    let app = spawn(Backend::Sqlite).await;
    app.customer(BANK, "cust-1").await;
    let secret = "clientsecret0123456789";
    app.store
        .upsert_client(&mydata_store::Client {
            client_id: "client1".into(),
            client_secret_hash: mydata_provider::oauth::hash_client_secret(secret),
            org_code: OPERATOR.into(),
            client_name: "operator".into(),
            redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
            app_schemes: None,
            updated_at: 0,
        })
        .await
        .unwrap();
    let (_, pair) = app.consent(BANK, "cust-1", "bank.list", &[], in_a_year()).await;
    let form = |extra: &[(&'static str, &str)]| {
        let mut fields = vec![("org_code", BANK), ("client_id", "client1"), ("client_secret", secret)];
        fields.extend_from_slice(extra);
        fields.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<Vec<_>>()
    };
    let refreshed = app
        .post("/oauth/2.0/token")
        .form(&form(&[("grant_type", "refresh_token"), ("refresh_token", &pair.refresh_token)]))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200, "{:?}", refreshed.text().await);
    let revoked = app.post("/oauth/2.0/revoke").form(&form(&[("token", &pair.refresh_token)])).send().await.unwrap();
    assert_eq!(revoked.status(), 200);
    let text = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(metric_value(&text, r#"mydata_tokens_total{event="refreshed"}"#), Some(1.0), "{text}");
    assert_eq!(metric_value(&text, r#"mydata_tokens_total{event="revoked"}"#), Some(1.0), "{text}");
    assert_eq!(metric_value(&text, r#"mydata_tokens_total{event="issued"}"#), None, "no code was exchanged");
}

#[tokio::test]
async fn liveness_always_and_readiness_only_with_a_reachable_store() {
    // A database of its own, so that it can be closed to connections mid-test.
    let admin_url = std::env::var(mydata_store::testing::POSTGRES_ENV)
        .unwrap_or_else(|_| mydata_store::testing::DEFAULT_POSTGRES.to_owned());
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
    let name = format!("ready_{}", std::process::id());
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let base_url = admin_url.rsplit_once('/').unwrap().0;
    let store = Arc::new(SqlStore::open(&format!("{base_url}/{name}")).await.unwrap());
    let provider =
        Provider::new(store, ProviderConfig { orgs: demo_orgs(), lifetimes: Default::default() }).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(provider)).await });
    let http = reqwest::Client::new();
    let status = |path: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move { http.get(format!("{base}{path}")).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("/health/live").await, 200);
    assert_eq!(status("/health/ready").await, 200);

    let close = format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    );
    for statement in close.split("; ") {
        sqlx::query(statement).execute(&mut admin).await.unwrap();
    }
    assert_eq!(status("/health/ready").await, 503, "store unreachable");
    assert_eq!(status("/health/live").await, 200, "still alive");

    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).execute(&mut admin).await.unwrap();
    assert_eq!(status("/health/ready").await, 200, "ready again");
    let _ = sqlx::query(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        .execute(&mut admin)
        .await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await;
}
