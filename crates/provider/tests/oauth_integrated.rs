//! 통합인증-002 over HTTP: a consent signed with a certificate of a trusted test CA buys tokens for
//! exactly what it names; replays, forged or foreign signatures and another customer's CI do not,
//! and leave nothing behind.

mod common;
mod integrated_common;
mod oauth_common;

use common::*;
use integrated_common::*;
use mydata_provider::oauth::signature::TestCertificationAuthority;
use mydata_store::{Backend, prelude::*};
use oauth_common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

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
    let password = b64(&signing.customer.sign(&Sha256::digest(original.as_bytes())));
    let form: Vec<(String, String)> = [
        ("tx_id", tx.clone()),
        ("org_code", BANK.into()),
        ("grant_type", "password".into()),
        ("client_id", CLIENT_ID.into()),
        ("client_secret", CLIENT_SECRET.into()),
        ("ca_code", CA.into()),
        ("username", CI.into()),
        ("request_type", "1".into()),
        ("password_len", password.len().to_string()),
        ("password", password),
        ("auth_type", "1".into()),
        ("consent_type", "1".into()),
        ("consent_len", original.len().to_string()),
        ("consent", original.clone()),
        ("cert_tx_id", "CERTTX0001".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let (status, body) = send(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    assert_oauth_error(&send(&app, &form).await, 400, "invalid_grant");
    let edited = original.replace("2002002", "3003003");
    let swapped = replace(&replace(&form, "consent", &edited), "tx_id", &tx_id(5));
    assert_oauth_error(&send(&app, &swapped).await, 400, "invalid_grant");
}
