//! 통합인증-002 over HTTP: a consent signed with a certificate of a trusted test CA buys tokens for
//! exactly what it names; replays, forged or foreign signatures, another customer's CI, certificates
//! that may not sign, of an expired CA or revoked by their CA's CRL, terms the standard does not allow
//! and signatures of another CA transaction do not, and leave nothing behind.

use crate::common;
use crate::integrated_common;
use crate::oauth_common;

use chrono::{Datelike, Days, NaiveDate, Utc};
use common::*;
use integrated_common::*;
use mydata_provider::oauth::revocation::RevocationSettings;
use mydata_provider::oauth::signature::{
    CaSettings, CustomerCertificate, CustomerKeyUsage, TestCertificationAuthority,
};
use mydata_store::{Backend, prelude::*};
use oauth_common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

async fn send(app: &TestApp, form: &[(String, String)]) -> (u16, Value) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form_post(app, "/oauth/2.0/token", &pairs).await
}

fn replace(form: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    form.iter().map(|(k, v)| (k.clone(), if k == name { value.to_owned() } else { v.clone() })).collect()
}

async fn consent_count(app: &TestApp) -> usize {
    app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap().len()
}

/// The form of a 사설인증서 (auth_type 1) request: the customer signed the hash of `original` in the
/// CA's transaction `signed_in`, and the operator forwards it under `cert_tx_id`.
fn hash_request(
    signer: &CustomerCertificate,
    tx_id: &str,
    original: &str,
    signed_in: &str,
    cert_tx_id: &str,
) -> Vec<(String, String)> {
    let password = b64(&signer.sign_in_transaction(&Sha256::digest(original.as_bytes()), signed_in));
    second_stage_form(
        tx_id,
        password,
        "1",
        [
            ("consent_len", original.len().to_string()),
            ("consent", original.to_owned()),
            ("cert_tx_id", cert_tx_id.into()),
        ],
    )
}

/// Where a test CA publishes its CRL: an HTTP server on a random port answering every GET with the
/// CRL published last, or 503 while none is.
struct CrlServer {
    url: String,
    published: Arc<Mutex<Option<Vec<u8>>>>,
}

impl CrlServer {
    async fn start() -> CrlServer {
        let published: Arc<Mutex<Option<Vec<u8>>>> = Default::default();
        let served = published.clone();
        let app = axum::Router::new().route(
            "/ca.crl",
            axum::routing::get(move || {
                let crl = served.lock().unwrap().clone();
                async move {
                    match crl {
                        Some(der) => Ok(([("content-type", "application/pkix-crl")], der)),
                        None => Err(axum::http::StatusCode::SERVICE_UNAVAILABLE),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/ca.crl", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        CrlServer { url, published }
    }

    fn publish(&self, crl: Vec<u8>) {
        *self.published.lock().unwrap() = Some(crl);
    }

    /// Answers 503 from now on, as a CA whose CRL server is down.
    fn go_down(&self) {
        *self.published.lock().unwrap() = None;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_consent_buys_tokens_once() {
    for backend in BACKENDS {
        let app = spawn(backend).await;
        seed(&app).await;
        let signing = trust_ca(&app).await;
        let tx = tx_id(1);
        let form = request(&signing.customer, &tx, &consent_document(&tx, "cn-1"), "cn-1", "un-1");
        let (status, body) = send(&app, &form).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["tx_id"], tx.as_str());
        assert_eq!(body["scope"], "bank.deposit bank.list");
        let (status, accounts) = list_accounts(&app, body["access_token"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        let consented: Vec<&str> = accounts["account_list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["is_consent"] == "true")
            .map(|a| a["account_num"].as_str().unwrap())
            .collect();
        assert_eq!(consented, ["2002002"]);
        // Refresh and revocation work on these tokens as on any other (ch.3.2.2.2).
        assert_eq!(refresh(&app, body["refresh_token"].as_str().unwrap()).await.0, 200);

        // The same request again: a replay.
        assert_oauth_error(&send(&app, &form).await, 400, "invalid_grant");
        // A fresh tx_id but the same nonces (signed again): still a replay.
        let tx2 = tx_id(2);
        let again = request(&signing.customer, &tx2, &consent_document(&tx2, "cn-1"), "cn-1", "un-1");
        assert_oauth_error(&send(&app, &again).await, 400, "invalid_grant");
        assert_eq!(consent_count(&app).await, 1, "replays record nothing");
        let _ = &signing.ca;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_foreign_and_mismatched_signatures_are_refused_without_a_trace() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let signing = trust_ca(&app).await;
    let tx = tx_id(3);
    let document = consent_document(&tx, "cn-3");
    let form = request(&signing.customer, &tx, &document, "cn-3", "un-3");

    // A certificate from a CA the provider does not trust, with the same ca_code on its face.
    let rogue = TestCertificationAuthority::generate(CA).unwrap().issue(CI, "홍길동").unwrap();
    assert_oauth_error(&send(&app, &request(&rogue, &tx, &document, "cn-3", "un-3")).await, 400, "invalid_grant");

    // A flipped bit in the signature.
    let mut signed = signing.customer.sign(document.to_string().as_bytes());
    let last = signed.len() - 1;
    signed[last] ^= 1;
    let forged = replace(&replace(&form, "password", &b64(&signed)), "password_len", &b64(&signed).len().to_string());
    assert_oauth_error(&send(&app, &forged).await, 400, "invalid_grant");

    // Another customer's CI in username.
    let other = replace(&form, "username", "T3RoZXJDdXN0b21lckNJ");
    assert_oauth_error(&send(&app, &other).await, 400, "unauthorized_user");
    // A consent_nonce other than the signed one.
    assert_oauth_error(&send(&app, &replace(&form, "consent_nonce", "cn-x")).await, 400, "invalid_grant");
    // An unknown CA.
    assert_oauth_error(&send(&app, &replace(&form, "ca_code", "CA99999999")).await, 400, "invalid_grant");
    // A wrong client secret.
    assert_oauth_error(&send(&app, &replace(&form, "client_secret", "nope")).await, 400, "invalid_client");
    assert_eq!(consent_count(&app).await, 0, "no refused request recorded anything");
    assert_eq!(send(&app, &form).await.0, 200, "the genuine request still works: nothing was used up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_signed_consent_with_a_ca_transaction_is_accepted_once() {
    let app = spawn(Backend::Postgres).await;
    seed(&app).await;
    let signing = trust_ca(&app).await;
    let tx = tx_id(4);
    let mut document = consent_document(&tx, "unused");
    document.as_object_mut().unwrap().remove("consent_nonce");
    let original = document.to_string();
    let form = hash_request(&signing.customer, &tx, &original, "CERTTX0001", "CERTTX0001");
    let (status, body) = send(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    assert_oauth_error(&send(&app, &form).await, 400, "invalid_grant");
    let edited = original.replace("2002002", "3003003");
    let swapped = replace(&replace(&form, "consent", &edited), "tx_id", &tx_id(5));
    assert_oauth_error(&send(&app, &swapped).await, 400, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_signature_counts_only_for_the_transaction_it_covers() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let signing = trust_ca(&app).await;
    let tx = tx_id(6);
    let mut document = consent_document(&tx, "unused");
    document.as_object_mut().unwrap().remove("consent_nonce");
    let original = document.to_string();
    // Signed in the CA's transaction CERTTX0006, sent as if of CERTTX0007 (a fresh nonce).
    let moved = hash_request(&signing.customer, &tx, &original, "CERTTX0006", "CERTTX0007");
    assert_oauth_error(&send(&app, &moved).await, 400, "invalid_grant");
    // A signature that covers no transaction at all.
    let bare = b64(&signing.customer.sign(&Sha256::digest(original.as_bytes())));
    let unbound = replace(&replace(&moved, "password", &bare), "password_len", &bare.len().to_string());
    assert_oauth_error(&send(&app, &replace(&unbound, "cert_tx_id", "CERTTX0006")).await, 400, "invalid_grant");
    assert_eq!(consent_count(&app).await, 0);
    let bound = hash_request(&signing.customer, &tx, &original, "CERTTX0006", "CERTTX0006");
    assert_eq!(send(&app, &bound).await.0, 200, "the transaction signed in is the one accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_may_not_sign_or_whose_ca_expired_is_refused() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let signing = trust_ca(&app).await;
    let cipher_only = signing.ca.issue_for(CI, "홍길동", CustomerKeyUsage::EnciphermentOnly).unwrap();
    let tx = tx_id(7);
    let form = request(&cipher_only, &tx, &consent_document(&tx, "cn-7"), "cn-7", "un-7");
    let (status, body) = send(&app, &form).await;
    assert_oauth_error(&(status, body.clone()), 400, "invalid_grant");
    assert!(body["error_description"].as_str().unwrap().contains("key usage"), "{body}");

    // A CA whose own certificate ended last year, though the customer's certificate is still in date.
    let year = Utc::now().year();
    let ended = CaSettings {
        valid_from: NaiveDate::from_ymd_opt(year - 3, 1, 1).unwrap(),
        valid_until: NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap(),
        crl_url: None,
    };
    let expired = trust_ca_with(&app, ended).await;
    let (status, body) = send(&app, &fresh_request(&expired, 8)).await;
    assert_oauth_error(&(status, body.clone()), 400, "invalid_grant");
    assert!(body["error_description"].as_str().unwrap().contains("certification authority"), "{body}");
    assert_eq!(consent_count(&app).await, 0);
    let current = trust_ca(&app).await;
    assert_eq!(send(&app, &fresh_request(&current, 9)).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_its_ca_revoked_is_refused_and_without_a_trusted_crl_none_is_accepted() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let crl_server = CrlServer::start().await;
    let signing = trust_ca_with(&app, CaSettings { crl_url: Some(crl_server.url.clone()), ..Default::default() }).await;
    let today = Utc::now().date_naive();
    let (yesterday, next_week) = (today - Days::new(1), today + Days::new(7));
    // Fetched at every request, so that each step sees the CRL it publishes.
    let every_time = RevocationSettings { refresh_secs: 0, ..Default::default() };
    app.provider.revocation.configure(every_time);

    // Fail closed: no CRL to be had, no certificate accepted; the operator may try again later.
    let (status, body) = send(&app, &fresh_request(&signing, 10)).await;
    assert_oauth_error(&(status, body), 503, "temporarily_unavailable");
    // A CRL in the CA's name but not signed by it (an attacker's, leaving everyone out) is not trusted.
    let rogue = TestCertificationAuthority::generate(CA).unwrap();
    crl_server.publish(rogue.crl(&[], yesterday, next_week).unwrap());
    assert_oauth_error(&send(&app, &fresh_request(&signing, 11)).await, 503, "temporarily_unavailable");
    // Nor is one past its next update.
    crl_server.publish(signing.ca.crl(&[], today - Days::new(8), yesterday).unwrap());
    assert_oauth_error(&send(&app, &fresh_request(&signing, 12)).await, 503, "temporarily_unavailable");
    assert_eq!(consent_count(&app).await, 0, "nothing recorded while revocation could not be checked");

    // The CA's current CRL revokes someone else: accepted.
    let other = signing.ca.issue("T3RoZXJDdXN0b21lckNJ", "김철수").unwrap();
    crl_server.publish(signing.ca.crl(&[&other], yesterday, next_week).unwrap());
    assert_eq!(send(&app, &fresh_request(&signing, 13)).await.0, 200);
    // Then it revokes the customer's certificate.
    crl_server.publish(signing.ca.crl(&[&other, &signing.customer], yesterday, next_week).unwrap());
    let (status, body) = send(&app, &fresh_request(&signing, 14)).await;
    assert_oauth_error(&(status, body.clone()), 400, "invalid_grant");
    assert!(body["error_description"].as_str().unwrap().contains("revoked"), "{body}");
    assert_eq!(consent_count(&app).await, 1, "the revoked certificate recorded nothing");

    // A CRL is kept for the refresh interval: the CA's server going down does not stop 통합인증.
    app.provider.revocation.configure(RevocationSettings { refresh_secs: 3600, ..every_time });
    crl_server.publish(signing.ca.crl(&[&other], yesterday, next_week).unwrap());
    assert_eq!(send(&app, &fresh_request(&signing, 15)).await.0, 200);
    crl_server.go_down();
    assert_eq!(send(&app, &fresh_request(&signing, 16)).await.0, 200, "the kept CRL answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_naming_no_crl_is_refused_when_one_is_required() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let signing = trust_ca(&app).await;
    app.provider.revocation.configure(RevocationSettings { require_distribution_point: true, ..Default::default() });
    assert_oauth_error(&send(&app, &fresh_request(&signing, 17)).await, 400, "invalid_grant");
    app.provider.revocation.configure(RevocationSettings::default());
    assert_eq!(send(&app, &fresh_request(&signing, 18)).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terms_the_consent_page_would_refuse_are_refused() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let signing = trust_ca(&app).await;
    let today = mydata_spec::time::korean_date(Utc::now());
    let day = |d: NaiveDate| d.format("%Y%m%d").to_string();
    // Each case changes one field of a good consent (None: leaves it out).
    let changes: [(&str, &str, Option<String>); 9] = [
        ("end past a year", "end_date", Some(day(today + Days::new(366)))),
        ("end in the past", "end_date", Some(day(today - Days::new(1)))),
        ("a cycle no customer may choose", "fnd_cycle", Some("2/d".into())),
        ("a malformed cycle", "add_cycle", Some("1/y".into())),
        ("no additional cycle though scheduled", "add_cycle", None),
        ("cycles though not scheduled", "is_scheduled", Some("false".into())),
        ("is_scheduled neither true nor false", "is_scheduled", Some("yes".into())),
        ("a period other than 99991231", "period", Some(day(today + Days::new(30)))),
        ("a period that is no date", "period", Some("99991331".into())),
    ];
    for (serial, (case, name, value)) in (20u32..).zip(changes) {
        let tx = tx_id(serial);
        let mut document = consent_document(&tx, &format!("cn-{serial}"));
        let fields = document.as_object_mut().unwrap();
        match value {
            Some(value) => fields.insert(name.to_owned(), value.into()),
            None => fields.remove(name),
        };
        let form = request(&signing.customer, &tx, &document, &format!("cn-{serial}"), &format!("un-{serial}"));
        let (status, body) = send(&app, &form).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{case}: {body}");
        let reason = body["error_description"].as_str().unwrap_or_default();
        assert!(reason.contains(name), "{case}: the refusal names {name}: {body}");
    }
    // A 1차 consent (request_type 0) lives seven days (공통-002), not a year.
    let tx = tx_id(40);
    let mut lists = consent_document(&tx, "cn-40");
    lists["target_info"] = serde_json::json!([{"scope": "bank.list", "asset_list": []}]);
    let form = replace(&request(&signing.customer, &tx, &lists, "cn-40", "un-40"), "request_type", "0");
    assert_oauth_error(&send(&app, &form).await, 400, "invalid_request");
    assert_eq!(consent_count(&app).await, 0, "no refused consent was recorded");
    lists["end_date"] = day(today + Days::new(7)).into();
    lists["period"] = day(today + Days::new(7)).into();
    let tx = tx_id(41);
    lists["tx_id"] = tx.clone().into();
    lists["consent_nonce"] = "cn-41".into();
    let form = replace(&request(&signing.customer, &tx, &lists, "cn-41", "un-41"), "request_type", "0");
    let (status, body) = send(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "bank.list");
}
