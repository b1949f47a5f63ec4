//! Transport security over real TLS 1.3 connections on loopback: mutual authentication, the
//! SERIALNUMBER of the caller's certificate against the registry (ch.3.1, 첨부1 40103 /
//! `unauthorized_client`), and access tokens bound to the certificate they were issued to (RFC 8705).

use crate::common;
use crate::integrated_common;
use crate::oauth_common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use common::{BACKENDS, BANK, OPERATOR, TestApp, expect_code, in_a_year, spawn_tls, tran_id};
use integrated_common::{Signing, fresh_request, trust_ca};
use mydata_collector::store::ProviderRow;
use mydata_collector::{Collector, CollectorConfig, OperatorStore, Summary};
use mydata_domain::Consent;
use mydata_pki::{ClientAuth, ClientTls, OrgSpec, TestPki, thumbprint_sha256};
use mydata_portal::Portal;
use mydata_portal::registry_file::{RegistryFile, import};
use mydata_provider::oauth::hash_client_secret;
use mydata_provider::support::PortalLink;
use mydata_provider::tokens::IssuedPair;
use mydata_provider::transport::TransportPolicy;
use mydata_spec::Industry;
use mydata_spec::IssuerType;
use mydata_store::testing::TestDatabase;
use mydata_store::{Backend, Client, RegistryOrgRow, prelude::*};
use mydata_support::participant::PortalCredential;
use mydata_support::portal_client::PortalAccount;
use mydata_support::secret::hash_client_secret as hash_secret;
use mydata_testdata::{Generator, Institution, Person, demo_people};
use oauth_common::{CUSTOMER, seed};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use std::time::Duration;

/// The operator's service (client_id: letters and digits, as 개별인증-002/003 require) and its secret.
const CLIENT_ID: &str = "operatorClient1";
const CLIENT_SECRET: &str = "operatorSecret1";
/// The operator's business registration number, in its certificates and in the registry.
const OPERATOR_BUSINESS_NUMBER: &str = "220-81-62517";
/// Another institution of the same PKI: a valid certificate that is not the operator's.
const ROGUE: &str = "ROGUE00001";
/// A second certificate with the operator's SERIALNUMBER and another key, as after a renewal.
const RENEWED: &str = "RENEWED001";

/// The bank's number in the example registry (`serial_num` 1234567890), which the portal checks.
const EXAMPLE_BANK_BUSINESS_NUMBER: &str = "123-45-67890";
/// The integrated portal, the only caller of 지원-101..104.
const PORTAL: &str = "PORTAL0001";

/// Our PKI, and another whose CA nobody here trusts.
struct Pkis {
    ours: TestPki,
    foreign: TestPki,
    _dirs: [tempfile::TempDir; 2],
}

fn pkis() -> Pkis {
    let orgs = [
        OrgSpec::new(BANK, EXAMPLE_BANK_BUSINESS_NUMBER).unwrap(),
        OrgSpec::new(OPERATOR, OPERATOR_BUSINESS_NUMBER).unwrap(),
        OrgSpec::new(ROGUE, "999-88-77777").unwrap(),
        OrgSpec::new(RENEWED, OPERATOR_BUSINESS_NUMBER).unwrap(),
        OrgSpec::derived(PORTAL),
    ];
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let ours = TestPki::create(dirs[0].path(), &orgs).unwrap();
    let foreign = TestPki::create(dirs[1].path(), &orgs).unwrap();
    Pkis { ours, foreign, _dirs: dirs }
}

/// The bank over mutual TLS, with the operator's service and its registered SERIALNUMBER, as a
/// registry sync would have left them, and a customer.
async fn spawn_bank(backend: Backend, pki: &TestPki, client_auth: ClientAuth) -> TestApp {
    spawn_bank_with(backend, pki, client_auth, TransportPolicy::mutual_tls()).await
}

async fn spawn_bank_with(backend: Backend, pki: &TestPki, client_auth: ClientAuth, policy: TransportPolicy) -> TestApp {
    let tls = pki.server_tls(BANK).unwrap().rustls_config(client_auth).unwrap();
    let app = spawn_tls(backend, tls, policy).await;
    let now = Utc::now().timestamp();
    app.store
        .upsert_client(&Client {
            client_id: CLIENT_ID.into(),
            client_secret_hash: hash_client_secret(CLIENT_SECRET),
            org_code: OPERATOR.into(),
            client_name: "자산관리".into(),
            redirect_uris: vec!["https://operator.example/callback".into()],
            app_schemes: None,
            updated_at: now,
        })
        .await
        .unwrap();
    let serial_num = pki.org(OPERATOR).unwrap().serial_number;
    app.store
        .upsert_registry_org(&RegistryOrgRow {
            org_code: OPERATOR.into(),
            org_type: "03".into(),
            body: json!({ "org_name": "마이데이터", "serial_num": serial_num }),
            updated_at: now,
        })
        .await
        .unwrap();
    app.customer(BANK, "cust-1").await;
    app
}

/// A consent of the operator's service for cust-1, and its token pair.
async fn operator_consent(app: &TestApp) -> IssuedPair {
    // The harness's consent, given to our client instead, whose client_id the token endpoint checks.
    let (template, _) = app.consent(BANK, "cust-1", "bank.list", &[], in_a_year()).await;
    let consent =
        Consent { consent_id: format!("{}-operator", template.consent_id), client_id: CLIENT_ID.into(), ..template };
    app.issue(consent).await.1
}

fn https(tls: &ClientTls) -> reqwest::Client {
    tls.reqwest_builder().unwrap().build().unwrap()
}

/// 은행-001, the operator's everyday call.
async fn accounts(app: &TestApp, http: &reqwest::Client, token: &str) -> reqwest::Result<reqwest::Response> {
    http.get(format!("{}/v1/bank/accounts?org_code={BANK}&limit=10", app.base))
        .header("x-api-tran-id", tran_id())
        .header("x-api-type", "user-refresh")
        .bearer_auth(token)
        .send()
        .await
}

/// 개별인증-003 with the operator's client credentials.
async fn refresh(app: &TestApp, http: &reqwest::Client, refresh_token: &str) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{}/oauth/2.0/token", app.base))
        .header("x-api-tran-id", tran_id())
        .form(&[
            ("org_code", BANK),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
}

async fn refreshed_access_token(app: &TestApp, http: &reqwest::Client, refresh_token: &str) -> String {
    let response = refresh(app, http, refresh_token).await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("an access token").to_owned()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWS has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn client_cert_thumbprint(pki: &TestPki, org: &str) -> String {
    thumbprint_sha256(&CertificateDer::from_pem_file(pki.org(org).unwrap().client_cert).unwrap())
}

/// The whole error chain of a failed request: the TLS alert is at the bottom.
fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A request refused in the TLS handshake: no HTTP status at all. With TLS 1.3 the client has sent
/// its request before the server's alert arrives, so the client sees either that alert or the
/// connection closing under the request.
fn assert_refused_in_handshake(error: &reqwest::Error, alert: &str) {
    let chain = chain(error);
    assert!(error.status().is_none(), "{chain}");
    assert!(chain.contains(alert) || chain.contains("connection"), "expected {alert}: {chain}");
}

async fn expect_oauth_error(response: reqwest::Response, status: u16, error: &str) {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_with_its_own_certificate_gets_tokens_bound_to_it_and_its_data() {
    let pkis = pkis();
    for backend in BACKENDS {
        let app = spawn_bank(backend, &pkis.ours, ClientAuth::Required).await;
        let operator = https(&pkis.ours.client_tls(OPERATOR).unwrap());
        let pair = operator_consent(&app).await;

        let access = refreshed_access_token(&app, &operator, &pair.refresh_token).await;
        assert_eq!(claims(&access)["cnf"], json!({ "x5t#S256": client_cert_thumbprint(&pkis.ours, OPERATOR) }));
        assert!(claims(&pair.refresh_token).get("cnf").is_none(), "refresh tokens stay unbound");

        let body = expect_code(accounts(&app, &operator, &access).await.unwrap(), 200, "00000").await;
        assert_eq!(body["account_cnt"], "0");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_client_certificate_the_handshake_fails_where_certificates_are_required() {
    let pkis = pkis();
    let app = spawn_bank(Backend::Sqlite, &pkis.ours, ClientAuth::Required).await;
    let pair = operator_consent(&app).await;
    let anonymous = https(&pkis.ours.anonymous_client_tls());
    let error = accounts(&app, &anonymous, &pair.access_token).await.expect_err("no HTTP answer without a certificate");
    assert_refused_in_handshake(&error, "CertificateRequired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_another_ca_fails_the_handshake() {
    let pkis = pkis();
    // The operator's certificate as another CA issued it, presented to a server it does trust.
    let foreign =
        ClientTls { identity: pkis.foreign.client_tls(OPERATOR).unwrap().identity, server_roots: pkis.ours.ca_cert() };
    for client_auth in [ClientAuth::Required, ClientAuth::Optional] {
        let app = spawn_bank(Backend::Sqlite, &pkis.ours, client_auth).await;
        let pair = operator_consent(&app).await;
        let error = accounts(&app, &https(&foreign), &pair.access_token).await.expect_err("foreign CA");
        assert_refused_in_handshake(&error, "UnknownCA");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_of_another_institution_is_refused_with_40103_and_unauthorized_client() {
    let pkis = pkis();
    for backend in BACKENDS {
        let app = spawn_bank(backend, &pkis.ours, ClientAuth::Required).await;
        let pair = operator_consent(&app).await;
        let rogue = https(&pkis.ours.client_tls(ROGUE).unwrap());
        // A valid, unbound token of the operator, presented with someone else's certificate.
        expect_code(accounts(&app, &rogue, &pair.access_token).await.unwrap(), 401, "40103").await;
        expect_oauth_error(refresh(&app, &rogue, &pair.refresh_token).await.unwrap(), 400, "unauthorized_client").await;
        // The operator itself is not affected.
        let operator = https(&pkis.ours.client_tls(OPERATOR).unwrap());
        expect_code(accounts(&app, &operator, &pair.access_token).await.unwrap(), 200, "00000").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_request_needs_the_operators_registered_certificate_too() {
    let pkis = pkis();
    let app = spawn_bank(Backend::Sqlite, &pkis.ours, ClientAuth::Optional).await;
    let no_redirects =
        |tls: ClientTls| tls.reqwest_builder().unwrap().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (tls, who) in [
        (pkis.ours.client_tls(ROGUE).unwrap(), "another institution"),
        (pkis.ours.anonymous_client_tls(), "no certificate"),
    ] {
        let refused = start_authorize(&no_redirects(tls), &app.base).await;
        assert_eq!(refused.status(), 400, "{who}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized_client", "{who}: {body}");
    }
    let accepted = start_authorize(&no_redirects(pkis.ours.client_tls(OPERATOR).unwrap()), &app.base).await;
    assert_eq!(accepted.status(), 302);
    assert!(accepted.headers()["location"].to_str().unwrap().starts_with("/oauth/2.0/consent/"));
}

/// 개별인증-001 for customer `Q0ktY3VzdC0x`, started by `http` as the operator's server starts it.
async fn start_authorize(http: &reqwest::Client, base: &str) -> reqwest::Response {
    http.get(format!("{base}/oauth/2.0/authorize"))
        .header("x-api-tran-id", tran_id())
        .header("x-user-ci", "Q0ktY3VzdC0x")
        .query(&[
            ("org_code", BANK),
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", "https://operator.example/callback"),
            ("app_scheme", "mydataapp://auth"),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_consent_cookie_is_secure_and_host_only() {
    let pkis = pkis();
    let app = spawn_bank(Backend::Sqlite, &pkis.ours, ClientAuth::Optional).await;
    app.store
        .upsert_customer(&mydata_store::Customer {
            org_code: BANK.into(),
            customer_id: "cust-b64".into(),
            ci: "Q0ktY3VzdC0x".into(),
            customer_name: "홍길동".into(),
            reg_date: "20150301".into(),
        })
        .await
        .unwrap();
    let operator = pkis.ours.client_tls(OPERATOR).unwrap().reqwest_builder().unwrap();
    let operator = operator.redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let started = start_authorize(&operator, &app.base).await;
    let page = started.headers()["location"].to_str().unwrap().to_owned();
    let browser = pkis.ours.anonymous_client_tls().reqwest_builder().unwrap();
    let browser = browser.redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed_in =
        browser.post(format!("{}{page}/sign-in", app.base)).form(&[("customer_id", "cust-b64")]).send().await.unwrap();
    assert_eq!(signed_in.status(), 303);
    let set_cookie = signed_in.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("__Host-mydata_consent="), "{set_cookie}");
    assert!(set_cookie.contains("; Secure") && set_cookie.contains("Path=/;"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let shown = browser.get(format!("{}{page}", app.base)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(shown.status(), 200);
    assert!(shown.text().await.unwrap().contains("전송을 요구하는 개인신용정보"));
    // The unprefixed name, as a plain-HTTP page could have set it, does not count.
    let plain = cookie.replacen("__Host-", "", 1);
    let refused = browser.get(format!("{}{page}", app.base)).header("cookie", plain).send().await.unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institution_without_registered_serialnumber_is_refused_with_40103() {
    let pkis = pkis();
    let app = spawn_bank(Backend::Sqlite, &pkis.ours, ClientAuth::Required).await;
    let pair = operator_consent(&app).await;
    let operator = https(&pkis.ours.client_tls(OPERATOR).unwrap());
    app.store.remove_registry_org(OPERATOR).await.unwrap();
    expect_code(accounts(&app, &operator, &pair.access_token).await.unwrap(), 401, "40103").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_certificates_are_optional_callers_without_one_get_40103_and_browsers_still_get_pages() {
    let pkis = pkis();
    let app = spawn_bank(Backend::Sqlite, &pkis.ours, ClientAuth::Optional).await;
    let pair = operator_consent(&app).await;
    let anonymous = https(&pkis.ours.anonymous_client_tls());
    expect_code(accounts(&app, &anonymous, &pair.access_token).await.unwrap(), 401, "40103").await;
    expect_oauth_error(refresh(&app, &anonymous, &pair.refresh_token).await.unwrap(), 400, "unauthorized_client").await;
    // What a customer's browser opens needs no certificate.
    let jwks = anonymous.get(format!("{}/oauth/2.0/jwks", app.base)).send().await.unwrap();
    assert_eq!(jwks.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_bound_to_one_certificate_is_refused_with_another_until_refreshed_with_it() {
    let pkis = pkis();
    for backend in BACKENDS {
        let app = spawn_bank(backend, &pkis.ours, ClientAuth::Required).await;
        let pair = operator_consent(&app).await;
        let operator = https(&pkis.ours.client_tls(OPERATOR).unwrap());
        let bound = refreshed_access_token(&app, &operator, &pair.refresh_token).await;

        // Same SERIALNUMBER, so the institution check passes; another key, so the binding does not.
        let renewed = https(&pkis.ours.client_tls(RENEWED).unwrap());
        let body = expect_code(accounts(&app, &renewed, &bound).await.unwrap(), 401, "40101").await;
        assert!(body["rsp_msg"].as_str().unwrap().contains("certificate"), "{body}");

        // After a renewal the operator refreshes with the new certificate and carries on.
        let rebound = refreshed_access_token(&app, &renewed, &pair.refresh_token).await;
        assert_eq!(claims(&rebound)["cnf"]["x5t#S256"], client_cert_thumbprint(&pkis.ours, RENEWED));
        expect_code(accounts(&app, &renewed, &rebound).await.unwrap(), 200, "00000").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_can_be_turned_off() {
    let pkis = pkis();
    let policy = TransportPolicy { bind_tokens: false, ..TransportPolicy::mutual_tls() };
    let app = spawn_bank_with(Backend::Sqlite, &pkis.ours, ClientAuth::Required, policy).await;
    let pair = operator_consent(&app).await;
    let operator = https(&pkis.ours.client_tls(OPERATOR).unwrap());
    let access = refreshed_access_token(&app, &operator, &pair.refresh_token).await;
    assert!(claims(&access).get("cnf").is_none());
    let renewed = https(&pkis.ours.client_tls(RENEWED).unwrap());
    expect_code(accounts(&app, &renewed, &access).await.unwrap(), 200, "00000").await;
}

/// The bank of [`spawn_bank`] ready for 통합인증-002: the service, customer and accounts the signed
/// consents of `integrated_common` name (the operator's, so its certificate is the one registered),
/// and the certification authority that signed them.
async fn spawn_bank_for_integrated(backend: Backend, pki: &TestPki, client_auth: ClientAuth) -> (TestApp, Signing) {
    let app = spawn_bank(backend, pki, client_auth).await;
    seed(&app).await;
    let signing = trust_ca(&app).await;
    (app, signing)
}

/// 통합인증-002 with a signed `form`.
async fn integrated_token(
    app: &TestApp,
    http: &reqwest::Client,
    form: &[(String, String)],
) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{}/oauth/2.0/token", app.base)).header("x-api-tran-id", tran_id()).form(form).send().await
}

async fn integrated_access_token(app: &TestApp, http: &reqwest::Client, form: &[(String, String)]) -> String {
    let response = integrated_token(app, http, form).await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "bank.deposit bank.list", "{body}");
    body["access_token"].as_str().expect("an access token").to_owned()
}

/// Consents recorded for the customer of the signed consents.
async fn consents(app: &TestApp) -> usize {
    app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap().len()
}

/// The accounts an access token of the signed consent shows as consented.
async fn consented_accounts(app: &TestApp, http: &reqwest::Client, token: &str) -> Vec<String> {
    let body = expect_code(accounts(app, http, token).await.unwrap(), 200, "00000").await;
    let list = body["account_list"].as_array().unwrap_or_else(|| panic!("an account list: {body}"));
    list.iter().filter(|a| a["is_consent"] == "true").map(|a| a["account_num"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integrated_authentication_token_is_bound_to_the_certificate_it_was_requested_over() {
    let pkis = pkis();
    for backend in BACKENDS {
        let (app, signing) = spawn_bank_for_integrated(backend, &pkis.ours, ClientAuth::Required).await;
        let operator = https(&pkis.ours.client_tls(OPERATOR).unwrap());
        let access = integrated_access_token(&app, &operator, &fresh_request(&signing, 1)).await;
        assert_eq!(claims(&access)["cnf"], json!({ "x5t#S256": client_cert_thumbprint(&pkis.ours, OPERATOR) }));
        assert_eq!(consented_accounts(&app, &operator, &access).await, ["2002002"]);

        // Another certificate of the same PKI: the operator's SERIALNUMBER with another key (as after a
        // renewal), and another institution's. The binding refuses both before the institution check.
        for other in [RENEWED, ROGUE] {
            let http = https(&pkis.ours.client_tls(other).unwrap());
            let body = expect_code(accounts(&app, &http, &access).await.unwrap(), 401, "40101").await;
            assert!(body["rsp_msg"].as_str().unwrap().contains("certificate"), "{other}: {body}");
        }
        // The refusals change nothing for the operator itself.
        assert_eq!(consented_accounts(&app, &operator, &access).await, ["2002002"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_integrated_token_request_without_a_client_certificate_is_refused_and_uses_nothing_up() {
    let pkis = pkis();
    let anonymous = https(&pkis.ours.anonymous_client_tls());
    let operator = https(&pkis.ours.client_tls(OPERATOR).unwrap());

    let (app, signing) = spawn_bank_for_integrated(Backend::Sqlite, &pkis.ours, ClientAuth::Required).await;
    let error = integrated_token(&app, &anonymous, &fresh_request(&signing, 1)).await.expect_err("no HTTP answer");
    assert_refused_in_handshake(&error, "CertificateRequired");
    assert_eq!(consents(&app).await, 0);

    for backend in BACKENDS {
        let (app, signing) = spawn_bank_for_integrated(backend, &pkis.ours, ClientAuth::Optional).await;
        let form = fresh_request(&signing, 1);
        expect_oauth_error(integrated_token(&app, &anonymous, &form).await.unwrap(), 400, "unauthorized_client").await;
        assert_eq!(consents(&app).await, 0, "a refused request records no consent");
        // The same signed request, with the operator's certificate: its tx_id and nonces are unused.
        let access = integrated_access_token(&app, &operator, &form).await;
        assert_eq!(consents(&app).await, 1);
        // The token it bought is bound, so a caller without a certificate cannot use it either.
        expect_code(accounts(&app, &anonymous, &access).await.unwrap(), 401, "40101").await;
        assert_eq!(consented_accounts(&app, &operator, &access).await, ["2002002"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_integrated_token_request_needs_the_serialnumber_registered_for_the_operator() {
    let pkis = pkis();
    let rogue = https(&pkis.ours.client_tls(ROGUE).unwrap());
    let operator = https(&pkis.ours.client_tls(OPERATOR).unwrap());
    for backend in BACKENDS {
        let (app, signing) = spawn_bank_for_integrated(backend, &pkis.ours, ClientAuth::Required).await;
        // A valid certificate of the same CA whose SERIALNUMBER is not the operator's.
        let form = fresh_request(&signing, 1);
        expect_oauth_error(integrated_token(&app, &rogue, &form).await.unwrap(), 400, "unauthorized_client").await;
        assert_eq!(consents(&app).await, 0, "a refused request records no consent");
        let access = integrated_access_token(&app, &operator, &form).await;
        assert_eq!(claims(&access)["cnf"]["x5t#S256"], client_cert_thumbprint(&pkis.ours, OPERATOR));

        // The operator's own certificate, once the registry no longer gives its institution a SERIALNUMBER.
        app.store.remove_registry_org(OPERATOR).await.unwrap();
        let refused = integrated_token(&app, &operator, &fresh_request(&signing, 2)).await.unwrap();
        expect_oauth_error(refused, 400, "unauthorized_client").await;
        assert_eq!(consents(&app).await, 1, "only the accepted request recorded a consent");
    }
}

/// The operator's collector for `person`'s account list at the bank, presenting `tls`.
async fn collect_account_list(app: &TestApp, person: &Person, tls: &ClientTls) -> Summary {
    let (_db, operator) = {
        let db = TestDatabase::new(Backend::Sqlite).await;
        let store = OperatorStore::on(&db.open().await.expect("operator database"));
        (db, store)
    };
    let now = Utc::now().timestamp();
    let provider = ProviderRow {
        org_code: BANK.into(),
        industry: "bank".into(),
        base_url: app.base.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
    };
    operator.upsert_provider(&provider, now).await.unwrap();
    let (template, _) = app.consent(BANK, &person.customer_id, "bank.list", &[], in_a_year()).await;
    let consent =
        Consent { consent_id: format!("{}-operator", template.consent_id), client_id: CLIENT_ID.into(), ..template };
    let (consent, pair) = app.issue(consent).await;
    let tokens = pair.into_operator_tokens(consent.scopes.to_string());
    operator.upsert_link(&person.customer_id, BANK, &tokens, now).await.unwrap();
    let mut config = CollectorConfig::new(OPERATOR);
    config.tls = Some(std::sync::Arc::new(tls.rustls_config().unwrap()));
    Collector::new(operator, config).run().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_collects_over_mutual_tls_with_the_operator_certificate_only() {
    let pkis = pkis();
    let app = spawn_bank(Backend::Sqlite, &pkis.ours, ClientAuth::Required).await;
    let person = demo_people().remove(0);
    let bank = Institution { org_code: BANK.into(), industry: Industry::Bank };
    let data = Generator::new(7, Utc::now().date_naive()).customer(&bank, &person);
    data.write(app.store.as_ref()).await.unwrap();
    let accounts = data.assets.iter().filter(|a| a.list_api == "은행-001").count();
    assert!(accounts > 0, "the demo customer has bank accounts");

    let collected = collect_account_list(&app, &person, &pkis.ours.client_tls(OPERATOR).unwrap()).await;
    assert_eq!((collected.units_failed, collected.errors.len()), (0, 0), "{collected:?}");
    assert!(collected.units_done > 0 && collected.rows >= accounts as u64, "{collected:?}");

    let refused = collect_account_list(&app, &person, &pkis.ours.client_tls(ROGUE).unwrap()).await;
    assert_eq!(refused.units_done, 0, "{refused:?}");
    assert!(refused.errors.keys().any(|code| code.contains("40103")), "{refused:?}");
}

/// 지원-101 with made-up credentials, over a connection presenting `org`'s certificate.
async fn support_token(app: &TestApp, pki: &TestPki, org: &str) -> reqwest::Response {
    https(&pki.client_tls(org).unwrap())
        .post(format!("{}/mgmts/oauth/2.0/token", app.base))
        .header("x-api-tran-id", tran_id())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "portal"),
            ("client_secret", "x"),
            ("scope", "manage"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_portal_s_certificate_reaches_the_support_apis() {
    let pkis = pkis();
    let app = spawn_bank(Backend::Sqlite, &pkis.ours, ClientAuth::Required).await;
    let portal = RegistryOrgRow {
        org_code: PORTAL.into(),
        org_type: "07".into(),
        body: json!({ "serial_num": pkis.ours.org(PORTAL).unwrap().serial_number }),
        updated_at: 0,
    };
    app.store.upsert_registry_org(&portal).await.unwrap();

    expect_oauth_error(support_token(&app, &pkis.ours, OPERATOR).await, 400, "unauthorized_client").await;
    let status = https(&pkis.ours.client_tls(OPERATOR).unwrap())
        .get(format!("{}/mgmts/status?search_timestamp=0", app.base))
        .header("x-api-tran-id", tran_id())
        .send()
        .await
        .unwrap();
    expect_code(status, 401, "40103").await;
    // The portal's certificate passes; its made-up credentials are then judged as usual.
    expect_oauth_error(support_token(&app, &pkis.ours, PORTAL).await, 400, "invalid_client").await;
}

/// The portal over mutual TLS with the example registry; its base URL.
async fn spawn_portal(pki: &TestPki) -> (String, TestDatabase) {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = std::sync::Arc::new(db.open().await.unwrap());
    let registry = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/registry.toml");
    import(store.as_ref(), &RegistryFile::read(&registry).unwrap(), Utc::now().timestamp() - 60).await.unwrap();
    let portal = Portal::new_with_transport(store, PORTAL, Duration::from_secs(3600), true).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let tls = pki.server_tls(PORTAL).unwrap().rustls_config(ClientAuth::Required).unwrap();
    tokio::spawn(mydata_web::tls::serve_tls(listener, tls, mydata_portal::router(portal), std::future::pending()));
    (base, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_pulls_the_registry_from_the_portal_over_mutual_tls_with_its_own_certificate() {
    let pkis = pkis();
    let (portal_base, _portal_db) = spawn_portal(&pkis.ours).await;
    let app = spawn_bank(Backend::Sqlite, &pkis.ours, ClientAuth::Required).await;
    let link = || PortalLink {
        account: PortalAccount {
            base_url: portal_base.clone(),
            client_id: "bank000001support".into(),
            client_secret: "ChangeMeBankSupportSecret0001".into(),
            org_code: BANK.into(),
            issuer: IssuerType::Provider,
        },
        credential: PortalCredential {
            portal_org_code: PORTAL.into(),
            client_id: "portalcaller01".into(),
            secret_hash: hash_secret("PortalCallsProviderSecret0001"),
        },
        refresh_every: Duration::from_secs(3600),
    };
    let over = |org: &str| Some(pkis.ours.client_tls(org).unwrap().rustls_config().unwrap());

    let sync = app.provider.support.connect_portal_over(app.store.clone(), link(), over(BANK));
    let summary = sync.refresh().await.expect("the bank's own certificate is accepted");
    assert!(summary.orgs_upserted > 0, "{summary:?}");

    let sync = app.provider.support.connect_portal_over(app.store.clone(), link(), over(ROGUE));
    let refused = sync.refresh().await.expect_err("another institution's certificate is refused");
    assert!(refused.to_string().contains("unauthorized_client"), "{refused}");
}
