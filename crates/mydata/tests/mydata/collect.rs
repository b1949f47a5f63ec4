//! `mydata collect --portal` as an operator runs it: a portal and a provider it has never been told
//! about are running; the command learns the provider from the registry (지원-002), collects what
//! the customer consented to, and sends its 지원-004.

use crate::common;

use chrono::Utc;
use common::mydata;
use mydata_client::Tokens;
use mydata_collector::OperatorStore;
use mydata_portal::registry_file::{RegistryFile, import};
use mydata_portal::{Portal, router as portal_router};
use mydata_provider::grant::FullConsent;
use mydata_provider::{Provider, ProviderConfig, ServedOrg, router};
use mydata_spec::Industry;
use mydata_store::{SqlStore, prelude::*};
use mydata_testdata::{Generator, Institution, demo_people};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The example registry's operator credentials at the portal (지원-001) and its service.
const OPERATOR_SUPPORT: (&str, &str) = ("operat0001support", "ChangeMeOperatorSupportSecret01");
const SERVICE: (&str, &str) = ("moneyplannerbook", "ChangeMeServiceSecret00000000001");

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// The example registry's bank, with demo1's data, the registry's service as its client, and
/// demo1's consent to everything; returns its URL and demo1's tokens.
async fn bank(dir: &Path) -> (String, Tokens) {
    let store = Arc::new(SqlStore::open(&format!("sqlite://{}", dir.join("bank.db").display())).await.unwrap());
    let bank = ServedOrg { org_code: "BANK000001".into(), industry: Industry::Bank };
    let institutions = [Institution { org_code: bank.org_code.clone(), industry: bank.industry }];
    let generator = Generator::new(1, mydata_spec::time::korean_date(Utc::now()));
    let demo1 = demo_people().into_iter().take(1);
    mydata_testdata::write_people(store.as_ref(), &generator, &institutions, demo1, 10, |_| {}).await.unwrap();
    store
        .upsert_client(&mydata_store::Client {
            client_id: SERVICE.0.into(),
            client_secret_hash: mydata_support::secret::hash_client_secret(SERVICE.1),
            org_code: "OPERAT0001".into(),
            client_name: "머니플래너 가계부".into(),
            redirect_uris: vec!["https://app.moneyplanner.example/callback".into()],
            app_schemes: None,
            updated_at: 0,
        })
        .await
        .unwrap();
    let config = ProviderConfig { orgs: vec![bank.clone()], lifetimes: Default::default() };
    let provider = Provider::new(store, config).await.unwrap();
    let terms =
        FullConsent { client_id: SERVICE.0, cycle: Some("1/w"), days: 365, purpose: "자산관리", binding: None };
    let now = Utc::now().timestamp();
    let (consent, pair) = provider.consent_to_everything(&bank, "demo1", &terms, now).await.unwrap();
    let tokens = pair.into_operator_tokens(consent.scopes.to_string());
    (serve(router(provider)).await, tokens)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_with_a_portal_learns_the_providers_from_the_registry_collects_and_sends_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let (bank_url, tokens) = bank(dir.path()).await;
    let mut registry =
        RegistryFile::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/registry.toml")).unwrap();
    registry.orgs.iter_mut().find(|o| o.org_code == "BANK000001").unwrap().domain = Some(bank_url.clone());
    let portal_store =
        Arc::new(SqlStore::open(&format!("sqlite://{}", dir.path().join("portal.db").display())).await.unwrap());
    import(portal_store.as_ref(), &registry, Utc::now().timestamp()).await.unwrap();
    let portal = Portal::new(portal_store.clone(), "PORTAL0001", Duration::from_secs(3600)).await.unwrap();
    let portal_url = serve(portal_router(portal)).await;

    // The operator's database knows demo1's consent at the bank, but not where the bank is.
    let database = format!("sqlite://{}", dir.path().join("operator.db").display());
    let operator = OperatorStore::open(&database).await.unwrap();
    operator.upsert_link("demo1", "BANK000001", &tokens, Utc::now().timestamp()).await.unwrap();
    assert!(operator.providers().await.unwrap().is_empty());

    // The secrets from the environment, the rest on the command line.
    let collect = || {
        let mut command = mydata();
        command
            .args(["collect", "--database", &database, "--portal", &portal_url])
            .args(["--portal-client-id", OPERATOR_SUPPORT.0, "--client-id", SERVICE.0])
            .env("MYDATA_PORTAL_CLIENT_SECRET", OPERATOR_SUPPORT.1)
            .env("MYDATA_CLIENT_SECRET", SERVICE.1);
        tokio::task::spawn_blocking(move || command.output().unwrap())
    };
    let output = collect().await.unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed}{}", String::from_utf8_lossy(&output.stderr));
    assert!(printed.contains("registry: 1 providers from the portal"), "{printed}");
    assert!(printed.contains("1 customers, 1 providers, "), "{printed}");
    let rows: u64 = printed.split(" rows stored").next().and_then(|s| s.rsplit(' ').next()).unwrap().parse().unwrap();
    assert!(rows > 0, "{printed}");
    assert!(!printed.contains("errors by rsp_code"), "{printed}");
    assert!(printed.contains("statistics (지원-004) sent for the week before "), "{printed}");

    let learned = operator.providers().await.unwrap();
    assert_eq!(learned.len(), 1);
    assert_eq!((learned[0].base_url.as_str(), learned[0].client_id.as_str()), (bank_url.as_str(), SERVICE.0));
    assert!(!operator.resources("demo1", "BANK000001").await.unwrap().is_empty(), "collected from it");
    let reports = portal_store.received_statistics(Some("지원-004")).await.unwrap();
    assert_eq!(reports.len(), 2, "one report per type for the one service");
    assert!(reports.iter().all(|r| r.sender_org_code == "OPERAT0001" && r.subject == SERVICE.0));
    // The portal's operator reads them as JSON lines; there are no providers' (지원-005) yet.
    let portal_database = format!("sqlite://{}", dir.path().join("portal.db").display());
    let printed = |api: &str| {
        let out =
            mydata().args(["portal", "statistics", "--database", &portal_database, "--api", api]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let lines: Vec<serde_json::Value> =
        printed("지원-004").lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert_eq!((line["api_id"].as_str(), line["sender_org_code"].as_str()), (Some("지원-004"), Some("OPERAT0001")));
        assert_eq!(line["subject"], SERVICE.0);
        assert!(line["report"].is_object(), "{line}");
    }
    assert_eq!(printed("지원-005"), "");
    // This week's calls are in the operator's database for next week's report.
    let stats = operator.sql().call_stats("BANK000001", "00000000", "99999999").await.unwrap();
    assert!(stats.iter().any(|s| s.api_code == "BA01" && s.success_cnt >= 1), "{stats:?}");

    // The next run has nothing more to send.
    let output = collect().await.unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed}");
    assert!(!printed.contains("statistics (지원-004) sent"), "{printed}");
}

#[test]
fn collect_needs_every_portal_credential_with_portal() {
    let output = mydata().args(["collect", "--portal", "http://127.0.0.1:9", "--client-id", "svc"]).output().unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("--portal-client-id") && error.contains("--client-secret"), "{error}");
}
