//! The provider's support side from outside: a real portal (mydata-portal) on one port, the provider
//! on another. Registry sync decides which clients the authorization server accepts; 지원-101..104
//! with valid and invalid input; statistics sent after real information-API calls count exactly them.

use chrono::{NaiveDate, Utc};
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_portal::registry_file::{RegistryFile, import};
use mydata_portal::{Portal, router as portal_router};
use mydata_provider::tokens::issue_pair;
use mydata_provider::{Provider, ProviderConfig, demo_orgs, router};
use mydata_spec::validate::check_request_body;
use mydata_spec::{IssuerType, KnownApi, TranId};
use mydata_store::testing::TestDatabase;
use mydata_store::{Backend, Customer, SqlStore, prelude::*};
use mydata_support::secret::hash_client_secret;
use mydata_support::statistics::inquiry_date_after;
use mydata_support::testing::{PortalCaller, call_counts, example_bank_link, portal_tran_id, received_reports};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
const SERVICE: &str = "moneyplannerbook";
const CALLBACK: &str = "https://app.moneyplanner.example/callback";
/// The "지원API 제공용 자격증명" the portal uses to call this provider (지원-101).
const PORTAL_CALLER: (&str, &str) = ("portalcaller01", "PortalCallsProviderSecret0001");

struct Setup {
    provider_base: String,
    portal_store: Arc<SqlStore>,
    store: Arc<SqlStore>,
    provider: Arc<Provider>,
    sync: Arc<mydata_provider::registry::RegistrySync>,
    http: reqwest::Client,
    _dbs: (TestDatabase, TestDatabase),
}

fn example() -> RegistryFile {
    RegistryFile::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/registry.toml")).expect("example")
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn setup(backend: Backend) -> Setup {
    let portal_db = TestDatabase::new(backend).await;
    let portal_store = Arc::new(portal_db.open().await.unwrap());
    import(portal_store.as_ref(), &example(), Utc::now().timestamp() - 60).await.unwrap();
    let portal = Portal::new(portal_store.clone(), "PORTAL0001", Duration::from_secs(3600)).await.unwrap();
    let portal_base = serve(portal_router(portal)).await;

    let db = TestDatabase::new(backend).await;
    let store = Arc::new(db.open().await.unwrap());
    let provider = Provider::new(store.clone(), ProviderConfig { orgs: demo_orgs(), lifetimes: Default::default() })
        .await
        .unwrap();
    let sync = provider.support.connect_portal(store.clone(), example_bank_link(portal_base, PORTAL_CALLER));
    let provider_base = serve(router(provider.clone())).await;
    Setup { provider_base, portal_store, store, provider, sync, http: reqwest::Client::new(), _dbs: (portal_db, db) }
}

impl Setup {
    /// The provider's 지원-101..104 as the portal calls them.
    fn portal(&self) -> PortalCaller {
        PortalCaller::new(self.provider_base.clone(), self.http.clone())
    }

    async fn portal_token(&self, credential: (&str, &str)) -> (u16, Value) {
        self.portal().token(credential).await
    }

    async fn manage_token(&self) -> String {
        self.portal().manage_token(PORTAL_CALLER).await
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.portal().get(path, token).await
    }

    /// GET /oauth/2.0/authorize for the registry's service: what the authorization server thinks of it.
    async fn authorize(&self, redirect_uri: &str) -> reqwest::Response {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/oauth/2.0/authorize", self.provider_base))
            .header("x-api-tran-id", portal_tran_id())
            .query(&[("client_id", SERVICE), ("redirect_uri", redirect_uri), ("org_code", "BANK000001")])
            .send()
            .await
            .unwrap()
    }

    /// An access token of the registry's service for a consent to `scopes` at the bank.
    async fn data_token(&self, scopes: &str) -> String {
        let customer = Customer {
            org_code: "BANK000001".into(),
            customer_id: "c1".into(),
            ci: "Q0lfYzE=".into(),
            customer_name: "홍길동".into(),
            reg_date: "20150301".into(),
        };
        self.store.upsert_customer(&customer).await.unwrap();
        let consent = Consent {
            consent_id: uuid::Uuid::new_v4().to_string(),
            org_code: "BANK000001".into(),
            customer_id: "c1".into(),
            client_id: SERVICE.into(),
            scopes: scopes.parse().unwrap(),
            assets: Default::default(),
            is_scheduled: true,
            fnd_cycle: Some("1/w".into()),
            add_cycle: Some("1/w".into()),
            end_date: Utc::now().date_naive() + chrono::Days::new(365),
            purpose: "자산관리".into(),
            period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            options: ConsentOptions::default(),
            status: ConsentStatus::Active,
            created_at: Utc::now().timestamp(),
        };
        self.store.insert_consent(&consent).await.unwrap();
        issue_pair(self.store.as_ref(), &self.provider.keys, &consent, Default::default(), Utc::now().timestamp())
            .await
            .unwrap()
            .access_token
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_refresh_decides_which_clients_the_authorization_server_accepts() {
    for backend in BACKENDS {
        let s = setup(backend).await;
        let unknown = s.authorize(CALLBACK).await;
        assert_eq!(unknown.status(), 400, "{backend:?}: before any refresh the service is unknown");
        assert_eq!(unknown.json::<Value>().await.unwrap()["error_description"], "invalid_client_id");

        let summary = s.sync.refresh().await.unwrap();
        assert_eq!((summary.orgs_upserted, summary.clients_upserted), (4, 1), "{backend:?}");
        let client = s.store.client(SERVICE).await.unwrap().expect("the registry's service is a client now");
        assert_eq!(client.client_secret_hash, hash_client_secret("ChangeMeServiceSecret00000000001"));
        assert_eq!(client.redirect_uris, vec![CALLBACK.to_owned()]);
        assert_eq!(client.app_schemes, Some(vec!["moneyplanner://auth".to_owned()]), "지원-003 app_scheme_list");
        assert_eq!(client.org_code, "OPERAT0001");
        let operator = s.store.registry_org("OPERAT0001").await.unwrap().unwrap();
        assert_eq!(operator.body["domain"], "api.moneyplanner.example");
        let accepted = s.authorize(CALLBACK).await;
        assert_ne!(accepted.status(), 400, "{backend:?}: a registered client with its registered callback goes on");
        let other_callback = s.authorize("https://evil.example/callback").await;
        assert_eq!(other_callback.json::<Value>().await.unwrap()["error_description"], "invalid_redirection");

        let token = s.data_token("bank.list").await;
        let accounts = format!("{}/v1/bank/accounts?org_code=BANK000001&limit=10", s.provider_base);
        let body = data_call(&token, "user-search", s.http.get(&accounts)).await;
        assert_eq!(body["rsp_code"], "00000", "{backend:?} {body}");

        // The portal deletes the service and the CA: the next refresh removes them here.
        let mut next = example();
        next.services.clear();
        next.orgs.retain(|o| o.org_code != "CAORG00001");
        import(s.portal_store.as_ref(), &next, Utc::now().timestamp() + 1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let summary = s.sync.refresh().await.unwrap();
        assert_eq!((summary.orgs_removed, summary.clients_removed), (1, 1), "{backend:?} {summary:?}");
        assert!(s.store.client(SERVICE).await.unwrap().is_none());
        assert!(s.store.registry_org("CAORG00001").await.unwrap().is_none());
        let refused = s.authorize(CALLBACK).await;
        assert_eq!(refused.status(), 400, "{backend:?}: a client the registry dropped is refused");
        assert_eq!(refused.json::<Value>().await.unwrap()["error_description"], "invalid_client_id");
        // Its tokens die with it, though this provider does not check certificates.
        let body = data_call(&token, "user-search", s.http.get(&accounts)).await;
        assert_eq!(body["rsp_code"], "40101", "{backend:?}: a deleted service's token: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_gets_a_manage_token_only_with_its_credential() {
    for backend in BACKENDS {
        let s = setup(backend).await;
        let (status, body) = s.portal_token(PORTAL_CALLER).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["token_type"].as_str(), body["scope"].as_str()), (Some("Bearer"), Some("manage")));
        let (status, body) = s.portal_token((PORTAL_CALLER.0, "WrongSecret")).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")), "{backend:?}");
        let (status, body) = s.portal_token(("bank000001support", "ChangeMeBankSupportSecret0001")).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_client")),
            "the provider's own portal credential is not the portal's"
        );
        // A data-API token of a customer is no support token.
        s.sync.refresh().await.unwrap();
        let data_token = s.data_token("bank.list").await;
        let (status, body) = s.get("/mgmts/status?org_code=BANK000001", &data_token).await;
        assert_eq!((status, body["rsp_code"].as_str()), (401, Some("40101")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_consents_and_resend_requests_check_their_input() {
    for backend in BACKENDS {
        let s = setup(backend).await;
        let token = s.manage_token().await;
        let (status, body) = s.get("/mgmts/status?org_code=BANK000001", &token).await;
        assert_eq!(
            (status, body["rsp_code"].as_str(), body["availability"].as_str()),
            (200, Some("00000"), Some("01")),
            "{backend:?} {body}"
        );
        s.provider.set_maintenance(true);
        let (status, body) = s.get("/mgmts/status?org_code=BANK000001", &token).await;
        assert_eq!((status, body["availability"].as_str()), (200, Some("03")), "in maintenance: {body}");
        s.provider.set_maintenance(false);
        for (path, status_code, rsp_code) in [
            ("/mgmts/status", 400, "40001"),
            ("/mgmts/status?org_code=NOTSERVED1", 403, "40303"),
            ("/mgmts/status?org_code=bad!", 400, "40001"),
            ("/mgmts/req-statistics?org_code=BANK000001&org_type=03&inquiry_date=20210913&type=0", 400, "40001"),
            ("/mgmts/req-statistics?org_code=BANK000001&org_type=01&inquiry_date=20210912&type=0", 400, "40001"),
            ("/mgmts/req-statistics?org_code=BANK000001&org_type=03&inquiry_date=20210912&type=4", 400, "40001"),
            ("/mgmts/req-statistics?org_code=BANK000001&org_type=03&type=1", 400, "40001"),
            ("/mgmts/req-statistics?org_code=NOTSERVED1&org_type=03&inquiry_date=20210912&type=1", 403, "40303"),
        ] {
            let (status, body) = s.get(path, &token).await;
            assert_eq!(
                (status, body["rsp_code"].as_str().unwrap()),
                (status_code, rsp_code),
                "{backend:?} {path}: {body}"
            );
        }
        let (status, body) = s.get("/mgmts/status?org_code=BANK000001", "forged").await;
        assert_eq!((status, body["rsp_code"].as_str()), (401, Some("40101")));
        let bare = s
            .http
            .get(format!("{}/mgmts/status?org_code=BANK000001", s.provider_base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(bare.status(), 400, "x-api-tran-id is required");
        // 지원-103 is the operators' API.
        let consents = s
            .http
            .post(format!("{}/mgmts/consents", s.provider_base))
            .header("x-api-tran-id", portal_tran_id())
            .bearer_auth(&token)
            .json(&serde_json::json!({"org_code": "OPERAT0001", "user_ci": "Q0lfMQ=="}))
            .send()
            .await
            .unwrap();
        assert_eq!(consents.status(), 404);
        assert_eq!(consents.json::<Value>().await.unwrap()["rsp_code"], "40401");
        let (status, _) = s.get("/mgmts/consents", &token).await;
        assert_eq!(status, 405);
    }
}

async fn data_call(token: &str, api_type: &str, request: reqwest::RequestBuilder) -> Value {
    let response = request
        .header("x-api-tran-id", portal_tran_id())
        .header("x-api-type", api_type)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

/// `(success, fail)` of one API code in one stat_date of a 지원-005 report, both slots summed; the
/// registry's service is the only one that called.
fn counted(report: &Value, stat_date: &str, api_code: &str) -> (u64, u64) {
    let counts = call_counts(report, stat_date);
    assert!(counts.keys().all(|(org, _)| org == "OPERAT0001"), "{counts:?}");
    counts.get(&("OPERAT0001".to_owned(), api_code.to_owned())).copied().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_sent_after_real_calls_report_exactly_those_calls() {
    for backend in BACKENDS {
        let s = setup(backend).await;
        s.sync.refresh().await.unwrap();
        let token = s.data_token("bank.list bank.deposit").await;
        let accounts = format!("{}/v1/bank/accounts?org_code=BANK000001&limit=10", s.provider_base);
        let basic = format!("{}/v1/bank/accounts/deposit/basic", s.provider_base);
        for _ in 0..3 {
            let body = data_call(&token, "user-refresh", s.http.get(&accounts)).await;
            assert_eq!(body["rsp_code"], "00000", "{body}");
        }
        let body = data_call(&token, "scheduled", s.http.get(&accounts)).await;
        assert_eq!(body["rsp_code"], "00000", "{body}");
        for _ in 0..2 {
            let request = s.http.post(&basic).json(&serde_json::json!({
                "org_code": "BANK000001", "account_num": "99999999", "search_timestamp": "0"
            }));
            let body = data_call(&token, "user-search", request).await;
            assert_ne!(body["rsp_code"], "00000", "{body}");
        }
        // A call without a token counts for nobody: no registered client can be named.
        let anonymous = s
            .http
            .get(&accounts)
            .header("x-api-tran-id", portal_tran_id())
            .header("x-api-type", "user-refresh")
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
        // Nor does one with a forged token naming the service: an unverified claim names nobody.
        use base64::Engine;
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"aud":"{SERVICE}"}}"#));
        let forged = s
            .http
            .get(&accounts)
            .header("x-api-tran-id", portal_tran_id())
            .header("x-api-type", "user-refresh")
            .bearer_auth(format!("eyJhbGciOiJFZERTQSJ9.{claims}.c2ln"))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 401);
        // 첨부12 counts the APIs without a data token too: 공통-001 names its caller itself, and the
        // authorization server's calls name theirs in the form (개별인증-004 here, one refused).
        let api_list = s
            .http
            .get(format!("{}/v1/bank/apis?org_code=BANK000001&client_id={SERVICE}", s.provider_base))
            .header("x-api-tran-id", portal_tran_id())
            .send()
            .await
            .unwrap();
        assert_eq!(api_list.status(), 200);
        for secret in ["not-the-secret", "ChangeMeServiceSecret00000000001"] {
            let revoke = s
                .http
                .post(format!("{}/oauth/2.0/revoke", s.provider_base))
                .header("x-api-tran-id", TranId::generate("OPERAT0001", IssuerType::Operator).to_string())
                .form(&[
                    ("org_code", "BANK000001"),
                    ("client_id", SERVICE),
                    ("client_secret", secret),
                    ("token", token.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(revoke.status().is_success(), secret.starts_with("ChangeMe"), "{backend:?}");
        }

        // The portal asks for this week's statistics (지원-104); the provider sends 지원-005.
        let today = mydata_support::time::kst_of(Utc::now().timestamp()).date_naive();
        let inquiry_date = inquiry_date_after(today).format("%Y%m%d").to_string();
        let manage = s.manage_token().await;
        let path = format!("/mgmts/req-statistics?org_code=BANK000001&org_type=03&inquiry_date={inquiry_date}&type=0");
        let (status, body) = s.get(&path, &manage).await;
        assert_eq!((status, body["rsp_code"].as_str()), (200, Some("00000")), "{backend:?} {body}");
        let reports = received_reports(s.portal_store.as_ref(), "지원-005", 2).await;
        assert_eq!(reports.len(), 2, "{backend:?}: one report per type");
        let report = |stat_type: &str| &reports.iter().find(|r| r.stat_type == stat_type).unwrap().body;
        let day = today.format("%Y%m%d").to_string();
        assert_eq!(counted(report("2"), &day, "BA01"), (3, 0), "{backend:?}: user-involved 은행-001 calls");
        assert_eq!(counted(report("2"), &day, "BA02"), (0, 2), "{backend:?}: failed 은행-002 calls");
        assert_eq!(counted(report("1"), &day, "BA01"), (1, 0), "{backend:?}: the scheduled call");
        assert_eq!(counted(report("1"), &day, "BA02"), (0, 0));
        assert_eq!(counted(report("2"), &day, "CM01"), (1, 0), "{backend:?}: the untokened 공통-001 call");
        assert_eq!(counted(report("2"), &day, "AU04"), (1, 1), "{backend:?}: the revocations, one refused");
        assert!(s.provider.support.stats.unattributed() >= 2, "the anonymous and forged calls were seen and left out");
        assert_eq!(s.provider.support.stats.dropped(), 0);
        assert_eq!(reports[0].sender_org_code, "BANK000001");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_of_type_2_count_the_consents_given_withdrawn_and_valid_each_day() {
    for backend in BACKENDS {
        let s = setup(backend).await;
        s.sync.refresh().await.unwrap();
        let withdrawn = s.data_token("bank.list").await;
        let _kept = s.data_token("bank.list bank.deposit").await;
        // The customer withdraws the first consent through the operator (개별인증-004).
        let revoke = s
            .http
            .post(format!("{}/oauth/2.0/revoke", s.provider_base))
            .header("x-api-tran-id", TranId::generate("OPERAT0001", IssuerType::Operator).to_string())
            .form(&[
                ("org_code", "BANK000001"),
                ("client_id", SERVICE),
                ("client_secret", "ChangeMeServiceSecret00000000001"),
                ("token", withdrawn.as_str()),
            ])
            .send()
            .await
            .unwrap();
        let body: Value = revoke.json().await.unwrap();
        assert_eq!(body["rsp_code"], "00000", "{backend:?} {body}");

        let today = mydata_support::time::kst_of(Utc::now().timestamp()).date_naive();
        let inquiry_date = inquiry_date_after(today).format("%Y%m%d").to_string();
        let day = today.format("%Y%m%d").to_string();
        let report = s.provider.support.statistics_report(s.store.as_ref(), "BANK000001", "2", &inquiry_date).await;
        let report = report.unwrap();
        let violations = check_request_body(KnownApi::ProviderStatistics.spec(), &report);
        assert!(violations.is_empty(), "{backend:?}: {violations:?}");
        let days = report["stat_date_list"].as_array().unwrap();
        let today_entry = days.iter().find(|d| d["stat_date"] == day.as_str()).unwrap();
        let service = &today_entry["mydata_svc_list"][0];
        assert_eq!(service["client_id"], SERVICE, "{backend:?}: listed for its consents, without any call");
        assert_eq!(service["org_code"], "OPERAT0001");
        assert_eq!(
            (&service["consent_new"], &service["consent_revoke"], &service["consent_own"]),
            (&Value::from("2"), &Value::from("1"), &Value::from("1")),
            "{backend:?}: two given, one withdrawn, one valid at the end of the day"
        );
        // Tomorrow's entry (when in the week) still counts the valid consent, nothing new.
        if let Some(next) = days.iter().find(|d| d["stat_date"].as_str() > Some(day.as_str())) {
            let service = &next["mydata_svc_list"][0];
            assert_eq!((&service["consent_new"], &service["consent_own"]), (&Value::from("0"), &Value::from("1")));
        }
        let scheduled =
            s.provider.support.statistics_report(s.store.as_ref(), "BANK000001", "1", &inquiry_date).await.unwrap();
        assert!(
            scheduled["stat_date_list"].as_array().unwrap().iter().all(|d| d["mydata_svc_cnt"] == "0"),
            "{backend:?}: type 1 carries no consent counts and there were no calls: {scheduled}"
        );
    }
}
