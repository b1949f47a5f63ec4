//! 통합인증-002 (`grant_type=password`): the operator sends the consent the customer signed with a
//! certificate of a 통합인증기관; the provider verifies the signature against the CA it trusts, checks
//! the CI, the nonces (or, for a 사설인증서, the CA's transaction the signature covers), the consent's
//! contents and terms, and the certificate's revocation, records the consent (replacing the customer's
//! earlier one with this service) and issues tokens for it, all in one transaction.
//!
//! The annexes that define the signed document (별첨1/2) are not part of our text; the document is
//! the JSON the public sources show (auth.md §9), bound to this request by `tx_id` and the nonces.

use super::choices::{AssetChoice, customer_assets};
use super::revocation::RevocationRefusal;
use super::signature::verify;
use super::{OAuthFailure, authenticate_client};
use crate::Provider;
use crate::tokens::{Confirmation, prepare_bound_pair};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use chrono::{NaiveDate, Utc};
use cms::cert::x509::Certificate;
use cms::cert::x509::der::Decode;
use mydata_domain::{Consent, ConsentAssets, ConsentOptions, ConsentStage, ConsentStatus, ConsentTerms, ScopeSet};
use mydata_spec::KnownApi;
use mydata_spec::catalogue::{is_list_scope, list_scope};
use mydata_spec::fields::Location;
use mydata_spec::validate::check_params;
use mydata_store::{ConsentRecord, ConsentRecordRefusal};
use mydata_web::error::json_response;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

type Fields = HashMap<String, String>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map(String::as_str).unwrap_or_default()
}

/// The signed consent (전송요구내역), as the operator builds it per provider.
#[derive(Debug, Deserialize)]
struct SignedConsent {
    tx_id: String,
    snd_org_code: String,
    rcv_org_code: String,
    #[serde(deserialize_with = "mydata_spec::wire::lenient_string")]
    is_scheduled: String,
    fnd_cycle: Option<String>,
    add_cycle: Option<String>,
    end_date: String,
    purpose: String,
    period: String,
    #[serde(default)]
    consent_nonce: Option<String>,
    target_info: Vec<TargetInfo>,
    #[serde(default, deserialize_with = "mydata_spec::wire::lenient_opt_string")]
    is_consent_trans_memo: Option<String>,
    #[serde(default, deserialize_with = "mydata_spec::wire::lenient_opt_string")]
    is_consent_merchant_name_regno: Option<String>,
    #[serde(default, deserialize_with = "mydata_spec::wire::lenient_opt_string")]
    is_consent_trans_category: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TargetInfo {
    scope: String,
    #[serde(default)]
    asset_list: Vec<TargetAsset>,
}

#[derive(Debug, Deserialize)]
struct TargetAsset {
    asset: String,
}

/// The 본인확인 이용동의 the customer signed with the same certificate (auth_type 0).
#[derive(Debug, Deserialize)]
struct PersonInfoRequest {
    ucpid_nonce: String,
}

/// Base64 URL-safe, with or without padding (auth.md: "Base64 URL-safe encoded").
fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).or_else(|_| URL_SAFE.decode(text)).ok()
}

/// `<name>_len` must give the length of `<name>` when both are sent.
fn check_length(fields: &Fields, name: &str) -> Result<(), OAuthFailure> {
    match (fields.get(name), fields.get(&format!("{name}_len"))) {
        (Some(value), Some(len)) if len.parse::<usize>().ok() != Some(value.len()) => {
            Err(OAuthFailure::invalid_request(format!("{name}_len is not the length of {name}")))
        }
        _ => Ok(()),
    }
}

fn bad_grant(description: impl Into<String>) -> OAuthFailure {
    OAuthFailure::invalid_grant(description)
}

fn date(text: &str, name: &str) -> Result<NaiveDate, OAuthFailure> {
    NaiveDate::parse_from_str(text, "%Y%m%d")
        .map_err(|_| OAuthFailure::invalid_request(format!("{name} is not a DATE")))
}

/// The signer's certificate must not be revoked: `invalid_grant` if it is, `temporarily_unavailable`
/// (HTTP 503, try again) while its CA's CRL cannot be had.
async fn check_revocation(provider: &Provider, signer_der: &[u8], ca_der: &[u8], now: i64) -> Result<(), OAuthFailure> {
    let parse = |der: &[u8]| Certificate::from_der(der).map_err(|_| bad_grant("a certificate does not parse"));
    let (certificate, ca) = (parse(signer_der)?, parse(ca_der)?);
    match provider.revocation.check(&certificate, &ca, now).await {
        Ok(()) => Ok(()),
        Err(refusal @ (RevocationRefusal::Revoked | RevocationRefusal::NoDistributionPoint)) => {
            Err(bad_grant(refusal.to_string()))
        }
        Err(RevocationRefusal::Unavailable(problem)) => {
            tracing::warn!(%problem, "a customer certificate's CRL cannot be had; refusing it until it can");
            let mut failure =
                OAuthFailure::new("temporarily_unavailable", "the certificate's revocation cannot be checked now");
            failure.retry_after = Some(CRL_RETRY_AFTER_SECS);
            Err(failure)
        }
    }
}

/// What an operator refused for want of a CRL is told to wait.
const CRL_RETRY_AFTER_SECS: u64 = 60;

pub async fn token(
    provider: &Provider,
    fields: &Fields,
    now: i64,
    binding: Option<&Confirmation>,
) -> Result<Response, OAuthFailure> {
    let spec = KnownApi::IntegratedToken.spec();
    if let Some(v) = check_params(&spec.fields().request, Location::Body, fields).first() {
        return Err(OAuthFailure::invalid_request(format!("{} {}", v.field, v.problem)));
    }
    for name in ["password", "consent", "signed_person_info_req"] {
        check_length(fields, name)?;
    }
    let org_code = field(fields, "org_code");
    let industry = provider
        .config
        .orgs
        .iter()
        .find(|o| o.org_code == org_code)
        .map(|o| o.industry)
        .ok_or_else(|| OAuthFailure::invalid_request("org_code is not served here"))?;
    let client = authenticate_client(provider, field(fields, "client_id"), field(fields, "client_secret")).await?;
    let (auth_type, consent_type) = (field(fields, "auth_type"), field(fields, "consent_type"));
    if !matches!(auth_type, "0" | "1") || !matches!(consent_type, "0" | "1") {
        return Err(OAuthFailure::invalid_request("auth_type and consent_type are 0 or 1"));
    }
    let stage = ConsentStage::of_request_type(field(fields, "request_type"))
        .ok_or_else(|| OAuthFailure::invalid_request("request_type is 0 or 1"))?;
    let ca_code = field(fields, "ca_code");
    let ca = provider.store.certificate_authority(ca_code).await?;
    let ca = ca.ok_or_else(|| bad_grant("ca_code names no certification authority this provider trusts"))?;

    // The consent signature.
    let signed =
        decode(field(fields, "password")).ok_or_else(|| OAuthFailure::invalid_request("password is not Base64"))?;
    let verified = verify(&signed, &ca.certificate_der, now).map_err(bad_grant)?;
    let document = if consent_type == "0" {
        verified.content.clone()
    } else {
        // The customer signed the hash; the original comes in `consent`.
        let original = fields.get("consent").ok_or_else(|| OAuthFailure::invalid_request("consent is required"))?;
        if verified.content != Sha256::digest(original.as_bytes()).as_slice() {
            return Err(bad_grant("the signed hash is not the hash of consent"));
        }
        original.as_bytes().to_vec()
    };
    if verified.signer_ci != field(fields, "username") {
        return Err(OAuthFailure::new("unauthorized_user", "the certificate's CI is not username"));
    }
    let signed_consent: SignedConsent = serde_json::from_slice(&document)
        .map_err(|e| OAuthFailure::invalid_request(format!("the signed consent is not the expected JSON: {e}")))?;

    // Replay protection: the nonces (auth_type 0) or the CA transaction (auth_type 1), and the tx_id.
    let tx_id = field(fields, "tx_id");
    if signed_consent.tx_id != tx_id {
        return Err(bad_grant("the consent was signed for another transaction"));
    }
    let mut nonces: Vec<String> = vec![format!("tx:{tx_id}")];
    if auth_type == "0" {
        let consent_nonce =
            fields.get("consent_nonce").ok_or_else(|| OAuthFailure::invalid_request("consent_nonce is required"))?;
        let ucpid_nonce =
            fields.get("ucpid_nonce").ok_or_else(|| OAuthFailure::invalid_request("ucpid_nonce is required"))?;
        if signed_consent.consent_nonce.as_deref() != Some(consent_nonce.as_str()) {
            return Err(bad_grant("consent_nonce is not the signed one"));
        }
        let person = fields
            .get("signed_person_info_req")
            .and_then(|t| decode(t))
            .ok_or_else(|| OAuthFailure::invalid_request("signed_person_info_req is required (Base64)"))?;
        let person = verify(&person, &ca.certificate_der, now).map_err(bad_grant)?;
        if person.signer_certificate != verified.signer_certificate {
            return Err(bad_grant("the two signatures come from different certificates"));
        }
        let request: PersonInfoRequest = serde_json::from_slice(&person.content)
            .map_err(|e| OAuthFailure::invalid_request(format!("signed_person_info_req: {e}")))?;
        if request.ucpid_nonce != *ucpid_nonce {
            return Err(bad_grant("ucpid_nonce is not the signed one"));
        }
        nonces.push(format!("consent:{consent_nonce}"));
        nonces.push(format!("ucpid:{ucpid_nonce}"));
    } else {
        let cert_tx_id =
            fields.get("cert_tx_id").ok_or_else(|| OAuthFailure::invalid_request("cert_tx_id is required"))?;
        // The CA signs within its transaction: the signature must cover this one, or a signature
        // of another transaction could be sent under a fresh cert_tx_id.
        if verified.content_identifier.as_deref() != Some(cert_tx_id.as_bytes()) {
            return Err(bad_grant("the signature does not cover cert_tx_id (signed attribute contentIdentifier)"));
        }
        nonces.push(format!("cert_tx:{cert_tx_id}"));
    }

    // The consent's contents.
    if signed_consent.snd_org_code != org_code || signed_consent.rcv_org_code != client.org_code {
        return Err(bad_grant("the consent names other institutions"));
    }
    let customer = provider.store.customer_by_ci(org_code, field(fields, "username")).await?;
    let customer = customer.ok_or_else(|| OAuthFailure::new("unauthorized_user", "no such customer here"))?;
    let mut scopes: ScopeSet = list_scope(industry).parse().expect("a list scope");
    let held = customer_assets(provider.store.as_ref(), org_code, industry, &customer.customer_id).await?;
    let mut assets = ConsentAssets::default();
    for target in &signed_consent.target_info {
        let (scope_industry, set) =
            ScopeSet::parse_info(&target.scope).map_err(|e| OAuthFailure::new("invalid_scope", e.to_string()))?;
        if scope_industry != industry {
            return Err(OAuthFailure::new("invalid_scope", "a scope of another industry"));
        }
        // 1st-stage consents (request_type 0) are for asset lists only (auth.md §6).
        if stage == ConsentStage::AssetLists && set.iter().any(|s| !is_list_scope(s)) {
            return Err(OAuthFailure::new("invalid_scope", "request_type 0 grants list scopes only"));
        }
        set.iter().for_each(|s| scopes.insert(s));
        for asset in &target.asset_list {
            // The signed consent names an asset by its key; its list is the one holding that key
            // (keys are unique within an institution), told apart by the target's scopes otherwise.
            let mut named: Vec<&AssetChoice> = held.iter().filter(|h| h.asset.key == asset.asset).collect();
            if named.len() > 1 {
                named.retain(|h| h.scopes.iter().any(|s| set.contains(s)));
            }
            match named.as_slice() {
                [one] => assets.insert(one.asset.clone()),
                [] => {
                    return Err(OAuthFailure::invalid_request(format!(
                        "{} is not an asset of the customer",
                        asset.asset
                    )));
                }
                _ => {
                    return Err(OAuthFailure::invalid_request(format!(
                        "{} names assets of several lists; its scope does not tell which",
                        asset.asset
                    )));
                }
            }
        }
    }
    let today = mydata_spec::time::korean_date(Utc::now());
    let is_scheduled = match signed_consent.is_scheduled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(OAuthFailure::invalid_request("is_scheduled is true or false")),
    };
    let terms = ConsentTerms {
        is_scheduled,
        fnd_cycle: signed_consent.fnd_cycle,
        add_cycle: signed_consent.add_cycle,
        end_date: date(&signed_consent.end_date, "end_date")?,
        period: date(&signed_consent.period, "period")?,
    };
    terms.check(stage, today).map_err(|e| OAuthFailure::invalid_request(e.to_string()))?;
    check_revocation(provider, &verified.signer_certificate, &ca.certificate_der, now).await?;
    let yes = |v: &Option<String>| v.as_deref() == Some("true");
    let consent = Consent {
        consent_id: uuid::Uuid::new_v4().to_string(),
        org_code: org_code.to_owned(),
        customer_id: customer.customer_id,
        client_id: client.client_id,
        scopes,
        assets,
        is_scheduled: terms.is_scheduled,
        fnd_cycle: terms.fnd_cycle,
        add_cycle: terms.add_cycle,
        end_date: terms.end_date,
        purpose: signed_consent.purpose,
        period: terms.period,
        options: ConsentOptions {
            trans_memo: yes(&signed_consent.is_consent_trans_memo),
            merchant_name_regno: yes(&signed_consent.is_consent_merchant_name_regno),
            trans_category: yes(&signed_consent.is_consent_trans_category),
        },
        status: ConsentStatus::Active,
        created_at: now,
    };
    let pair = prepare_bound_pair(&provider.keys, &consent, provider.config.lifetimes, now, binding);
    let nonce_pairs: Vec<(&str, &str)> = nonces.iter().map(|n| (ca_code, n.as_str())).collect();
    let record = ConsentRecord {
        consent: &consent,
        closes_session: None,
        code: None,
        tokens: &pair.records,
        nonces: &nonce_pairs,
    };
    match provider.store.record_consent(&record, now).await? {
        Ok(()) => {}
        Err(ConsentRecordRefusal::NonceReplayed) => return Err(bad_grant("a nonce or transaction was used before")),
        Err(ConsentRecordRefusal::SessionClosed) => return Err(OAuthFailure::new("server_error", "server error")),
    }
    let issued = pair.issued;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "tx_id": tx_id,
            "token_type": "Bearer",
            "access_token": issued.access_token,
            "expires_in": (issued.access_expires_at - now).max(0).to_string(),
            "refresh_token": issued.refresh_token,
            "refresh_token_expires_in": (issued.refresh_expires_at - now).max(0).to_string(),
            "scope": consent.scopes.to_string(),
        }),
    ))
}
