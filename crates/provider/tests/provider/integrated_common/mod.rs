//! 통합인증-002 for the authorization-server tests: a certification authority the provider trusts,
//! the customer's certificate it issued, and the signed consent an operator sends for the customer
//! (the client, customer and assets of `oauth_common`).

use crate::common::*;
use crate::oauth_common::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Days, Utc};
use mydata_provider::oauth::signature::{CaSettings, CustomerCertificate, TestCertificationAuthority};
use mydata_store::{CertificateAuthority, prelude::*};
use serde_json::{Value, json};

pub const CA: &str = "CA00000001";

pub struct Signing {
    pub ca: TestCertificationAuthority,
    pub customer: CustomerCertificate,
}

/// Registers a new test CA under [`CA`] and issues the customer's certificate (subject CI = [`CI`]).
pub async fn trust_ca(app: &TestApp) -> Signing {
    trust_ca_with(app, CaSettings::default()).await
}

/// [`trust_ca`] with a CA made as `settings` say.
pub async fn trust_ca_with(app: &TestApp, settings: CaSettings) -> Signing {
    let ca = TestCertificationAuthority::generate_with(CA, settings).unwrap();
    app.store
        .upsert_certificate_authority(&CertificateAuthority {
            ca_code: CA.into(),
            certificate_der: ca.certificate_der.clone(),
            updated_at: 0,
        })
        .await
        .unwrap();
    let customer = ca.issue(CI, "홍길동").unwrap();
    Signing { ca, customer }
}

pub fn tx_id(serial: u32) -> String {
    format!("MD_{OPERATOR}_{BANK}_0000000000_{CA}_{}_{serial:012}", Utc::now().format("%Y%m%d%H%M%S"))
}

/// The consent JSON the customer signs: weekly transmission of the account 2002002 for 90 days.
pub fn consent_document(tx_id: &str, nonce: &str) -> Value {
    json!({
        "tx_id": tx_id,
        "snd_org_code": BANK,
        "rcv_org_code": OPERATOR,
        "is_scheduled": "true",
        "fnd_cycle": "1/w",
        "add_cycle": "1/w",
        "end_date": (Utc::now().date_naive() + Days::new(90)).format("%Y%m%d").to_string(),
        "purpose": "자산관리 서비스 제공",
        "period": "99991231",
        "consent_nonce": nonce,
        "target_info": [{"scope": "bank.list bank.deposit", "asset_list": [{"asset": "2002002"}]}],
    })
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The form of a 공동인증서 (auth_type 0) request signed by `signer`.
pub fn request(
    signer: &CustomerCertificate,
    tx_id: &str,
    consent: &Value,
    consent_nonce: &str,
    ucpid_nonce: &str,
) -> Vec<(String, String)> {
    let password = b64(&signer.sign(consent.to_string().as_bytes()));
    let person = json!({"user_agreement": "본인확인 이용에 동의합니다", "isp_url_info": "operator.example", "ucpid_nonce": ucpid_nonce});
    let person = b64(&signer.sign(person.to_string().as_bytes()));
    second_stage_form(
        tx_id,
        password,
        "0",
        [
            ("signed_person_info_req_len", person.len().to_string()),
            ("signed_person_info_req", person),
            ("consent_nonce", consent_nonce.into()),
            ("ucpid_nonce", ucpid_nonce.into()),
        ],
    )
}

/// The form of a 2차 통합인증-002 request of auth_type (and consent_type) `auth_type`, signed as
/// `password`, with the members of that auth_type.
pub fn second_stage_form<const N: usize>(
    tx_id: &str,
    password: String,
    auth_type: &str,
    members: [(&str, String); N],
) -> Vec<(String, String)> {
    [
        ("tx_id", tx_id.to_owned()),
        ("org_code", BANK.into()),
        ("grant_type", "password".into()),
        ("client_id", CLIENT_ID.into()),
        ("client_secret", CLIENT_SECRET.into()),
        ("ca_code", CA.into()),
        ("username", CI.into()),
        ("request_type", "1".into()),
        ("password_len", password.len().to_string()),
        ("password", password),
        ("auth_type", auth_type.into()),
        ("consent_type", auth_type.into()),
    ]
    .into_iter()
    .chain(members)
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A complete request of `signing`'s customer with fresh values for `serial`: its own tx_id and nonces.
pub fn fresh_request(signing: &Signing, serial: u32) -> Vec<(String, String)> {
    let tx = tx_id(serial);
    let (consent_nonce, ucpid_nonce) = (format!("cn-{serial}"), format!("un-{serial}"));
    request(&signing.customer, &tx, &consent_document(&tx, &consent_nonce), &consent_nonce, &ucpid_nonce)
}
