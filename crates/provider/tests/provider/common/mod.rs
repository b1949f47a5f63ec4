//! A provider spawned on a random port over a throwaway database, for black-box tests.

use chrono::{Days, NaiveDate, Utc};
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_provider::tokens::{IssuedPair, issue_pair};
use mydata_provider::{Provider, ProviderConfig, demo_orgs, router};
use mydata_spec::{IssuerType, TranId};
use mydata_store::testing::TestDatabase;
use mydata_store::{Backend, Customer, SqlStore, prelude::*};
use std::sync::Arc;

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
pub const BANK: &str = "BANK000001";
pub const OPERATOR: &str = "OPERAT0001";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Arc<SqlStore>,
    pub provider: Arc<Provider>,
    _db: TestDatabase,
}

pub fn tran_id() -> String {
    TranId::generate(OPERATOR, IssuerType::Operator).to_string()
}

pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, ProviderConfig { orgs: demo_orgs(), lifetimes: Default::default() }).await
}

/// A provider with its own configuration (lifetimes, institutions).
pub async fn spawn_with(backend: Backend, config: ProviderConfig) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    spawn_on(backend, listener, config, Arc::new(mydata_provider::oauth::customer_auth::DemoSignIn)).await
}

/// A provider on `listener` whose consent page signs customers in with `customer_auth`.
pub async fn spawn_on(
    backend: Backend,
    listener: tokio::net::TcpListener,
    config: ProviderConfig,
    customer_auth: Arc<dyn mydata_provider::oauth::customer_auth::CustomerAuthenticator>,
) -> TestApp {
    serve_plain(backend, listener, config, Default::default(), customer_auth).await
}

/// A provider over plain HTTP on 127.0.0.1 demanding `transport` of its callers.
pub async fn spawn_with_transport(backend: Backend, transport: mydata_provider::transport::TransportPolicy) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = ProviderConfig { orgs: demo_orgs(), lifetimes: Default::default() };
    serve_plain(backend, listener, config, transport, Arc::new(mydata_provider::oauth::customer_auth::DemoSignIn)).await
}

async fn serve_plain(
    backend: Backend,
    listener: tokio::net::TcpListener,
    config: ProviderConfig,
    transport: mydata_provider::transport::TransportPolicy,
    customer_auth: Arc<dyn mydata_provider::oauth::customer_auth::CustomerAuthenticator>,
) -> TestApp {
    let db = TestDatabase::new(backend).await;
    let store = Arc::new(db.open().await.expect("open test database"));
    let provider = Provider::new_with(store.clone(), config, transport, customer_auth).await.expect("provider");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(provider.clone());
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    TestApp { base, http: reqwest::Client::new(), store, provider, _db: db }
}

/// A provider serving over TLS with `tls` and demanding `transport` of its callers' certificates;
/// `base` is `https://localhost:PORT` and `http` a client without certificate: tests build their own.
pub async fn spawn_tls(
    backend: Backend,
    tls: Arc<rustls::ServerConfig>,
    transport: mydata_provider::transport::TransportPolicy,
) -> TestApp {
    let db = TestDatabase::new(backend).await;
    let store = Arc::new(db.open().await.expect("open test database"));
    let config = ProviderConfig { orgs: demo_orgs(), lifetimes: Default::default() };
    let provider = Provider::new_with_transport(store.clone(), config, transport).await.expect("provider");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let app = router(provider.clone());
    tokio::spawn(mydata_web::tls::serve_tls(listener, tls, app, std::future::pending()));
    TestApp { base, http: reqwest::Client::new(), store, provider, _db: db }
}

impl TestApp {
    /// A GET with a valid x-api-tran-id.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base)).header("x-api-tran-id", tran_id())
    }

    /// A GET of an information API as a customer's search (`x-api-type: user-search`) with `access_token`.
    pub fn search(&self, path: &str, access_token: &str) -> reqwest::RequestBuilder {
        self.get(path).bearer_auth(access_token).header("x-api-type", "user-search")
    }

    /// A POST with a valid x-api-tran-id.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base)).header("x-api-tran-id", tran_id())
    }

    pub async fn customer(&self, org_code: &str, customer_id: &str) {
        self.store
            .upsert_customer(&Customer {
                org_code: org_code.into(),
                customer_id: customer_id.into(),
                ci: format!("CI-{customer_id}"),
                customer_name: "홍길동".into(),
                reg_date: "20150301".into(),
            })
            .await
            .unwrap();
    }

    /// Records a consent and issues a token pair for it, as the authorization server would.
    pub async fn consent(
        &self,
        org_code: &str,
        customer_id: &str,
        scopes: &str,
        assets: &[&str],
        end: NaiveDate,
    ) -> (Consent, IssuedPair) {
        let consent = Consent {
            consent_id: uuid::Uuid::new_v4().to_string(),
            org_code: org_code.into(),
            customer_id: customer_id.into(),
            client_id: "client1".into(),
            scopes: scopes.parse().unwrap(),
            // Each asset as `LIST:KEY`.
            assets: assets.iter().map(|a| a.parse::<mydata_spec::AssetId>().unwrap()).collect(),
            is_scheduled: true,
            fnd_cycle: Some("1/w".into()),
            add_cycle: Some("1/w".into()),
            end_date: end,
            purpose: "자산관리".into(),
            period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            options: ConsentOptions::default(),
            status: ConsentStatus::Active,
            created_at: Utc::now().timestamp(),
        };
        self.store.insert_consent(&consent).await.unwrap();
        let pair =
            issue_pair(self.store.as_ref(), &self.provider.keys, &consent, Default::default(), Utc::now().timestamp())
                .await
                .unwrap();
        (consent, pair)
    }
}

pub fn in_a_year() -> NaiveDate {
    Utc::now().date_naive() + Days::new(365)
}

/// Asserts status and rsp_code, and that the response carries a well-formed x-api-tran-id.
pub async fn expect_code(response: reqwest::Response, status: u16, rsp_code: &str) -> serde_json::Value {
    let got = response.status().as_u16();
    let tran_id = response.headers().get("x-api-tran-id").expect("x-api-tran-id on every response").clone();
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(got, status, "HTTP status; body {body}");
    assert!(tran_id.to_str().unwrap().parse::<TranId>().is_ok(), "well-formed x-api-tran-id");
    assert_eq!(body["rsp_code"], rsp_code, "{body}");
    assert!(body["rsp_msg"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    body
}

impl TestApp {
    /// Records `consent` as given (options, cycles, scopes of any shape) and issues a token pair for it.
    pub async fn issue(&self, consent: Consent) -> (Consent, IssuedPair) {
        self.store.insert_consent(&consent).await.unwrap();
        let pair =
            issue_pair(self.store.as_ref(), &self.provider.keys, &consent, Default::default(), Utc::now().timestamp())
                .await
                .unwrap();
        (consent, pair)
    }
}
