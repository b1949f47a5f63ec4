//! The portal over mutual TLS 1.3: callers of 지원-001..006 are checked against the SERIALNUMBER
//! the registry holds for their institution (첨부1: `unauthorized_client` on 지원-001, 40103 on the
//! managed APIs).

use mydata_pki::{ClientAuth, OrgSpec, TestPki};
use mydata_portal::registry_file::{RegistryFile, import};
use mydata_portal::{Portal, router};
use mydata_spec::{IssuerType, TranId};
use mydata_store::Backend;
use mydata_store::testing::TestDatabase;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The example registry's bank: its support credentials and the serial_num registered for it.
const BANK: &str = "BANK000001";
const BANK_SUPPORT: (&str, &str) = ("bank000001support", "ChangeMeBankSupportSecret0001");
const BANK_SERIAL_NUM: &str = "1234567890";
/// The example registry's operator, registered without serial_num.
const OPERATOR: &str = "OPERAT0001";
const OPERATOR_SUPPORT: (&str, &str) = ("operat0001support", "ChangeMeOperatorSupportSecret01");
/// An institution of the same PKI that is not the bank.
const ROGUE: &str = "ROGUE00001";

struct TlsPortal {
    base: String,
    pki: TestPki,
    _dirs: (tempfile::TempDir, TestDatabase),
}

async fn spawn() -> TlsPortal {
    let dir = tempfile::tempdir().unwrap();
    let orgs = [
        OrgSpec::derived("PORTAL0001"),
        OrgSpec::new(BANK, BANK_SERIAL_NUM).unwrap(),
        OrgSpec::derived(OPERATOR),
        OrgSpec::new(ROGUE, "999-88-77777").unwrap(),
    ];
    let pki = TestPki::create(dir.path(), &orgs).unwrap();
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = Arc::new(db.open().await.expect("open"));
    let registry = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/registry.toml");
    import(store.as_ref(), &RegistryFile::read(&registry).unwrap(), 1_000).await.unwrap();
    let portal = Portal::new_with_transport(store, "PORTAL0001", Duration::from_secs(3600), true).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let tls = pki.server_tls("PORTAL0001").unwrap().rustls_config(ClientAuth::Required).unwrap();
    tokio::spawn(mydata_web::tls::serve_tls(listener, tls, router(portal), std::future::pending()));
    TlsPortal { base, pki, _dirs: (dir, db) }
}

fn tran_id() -> String {
    TranId::generate(BANK, IssuerType::Provider).to_string()
}

impl TlsPortal {
    fn client_of(&self, org: &str) -> reqwest::Client {
        self.pki.client_tls(org).unwrap().reqwest_builder().unwrap().build().unwrap()
    }

    /// 지원-001 with `credentials`, over a connection presenting `org`'s certificate.
    async fn token(&self, org: &str, (id, secret): (&str, &str)) -> (u16, Value) {
        let form =
            [("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("scope", "manage")];
        let response = self
            .client_of(org)
            .post(format!("{}/mgmts/oauth/2.0/token", self.base))
            .header("x-api-tran-id", tran_id())
            .form(&form)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// 지원-002 with `token`, over a connection presenting `org`'s certificate.
    async fn orgs(&self, org: &str, token: &str) -> (u16, Value) {
        let response = self
            .client_of(org)
            .get(format!("{}/mgmts/orgs?search_timestamp=0", self.base))
            .header("x-api-tran-id", tran_id())
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institution_with_its_own_certificate_is_served() {
    let portal = spawn().await;
    let (status, body) = portal.token(BANK, BANK_SUPPORT).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = portal.orgs(BANK, body["access_token"].as_str().unwrap()).await;
    assert_eq!((status, body["rsp_code"].as_str()), (200, Some("00000")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_institution_s_certificate_is_refused_on_every_support_api() {
    let portal = spawn().await;
    let (status, body) = portal.token(ROGUE, BANK_SUPPORT).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")), "{body}");

    // The bank's own token, presented over another institution's connection.
    let (_, issued) = portal.token(BANK, BANK_SUPPORT).await;
    let (status, body) = portal.orgs(ROGUE, issued["access_token"].as_str().unwrap()).await;
    assert_eq!((status, body["rsp_code"].as_str()), (401, Some("40103")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institution_without_registered_serial_num_is_refused() {
    let portal = spawn().await;
    let (status, body) = portal.token(OPERATOR, OPERATOR_SUPPORT).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")), "{body}");
}
