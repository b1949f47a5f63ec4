//! The two 공통 APIs: 공통-001 (the APIs this provider offers, from the catalogue) and 공통-002 (the
//! consent the access token was issued for). Neither reads stored information data.

use super::{InfoCall, success};
use axum::response::Response;
use mydata_domain::Consent;
use mydata_spec::{Industry, RspCode, catalogue};
use mydata_web::ApiError;
use serde_json::{Map, Value, json};

pub fn api_list(call: &InfoCall) -> Result<Response, ApiError> {
    let apis: Vec<Value> = catalogue::info_apis(call.industry)
        .map(|api| json!({"api_code": api.api_code, "api_uri": api.resource}))
        .collect();
    let mut body = Map::new();
    body.insert("version".into(), json!(catalogue::VERSION));
    body.insert("api_cnt".into(), json!(apis.len()));
    body.insert("api_list".into(), Value::Array(apis));
    Ok(success(RspCode::Success, body))
}

/// 공통-002: the consent behind the token. The three options are returned only by the industries the
/// standard names for each (memo: bank, efin; merchant: card, efin, telecom; category: efin).
pub fn consent(call: &InfoCall, consent: &Consent) -> Response {
    use Industry::*;
    let mut body = Map::new();
    body.insert("is_scheduled".into(), json!(consent.is_scheduled));
    if consent.is_scheduled {
        body.insert("fnd_cycle".into(), json!(consent.fnd_cycle));
        body.insert("add_cycle".into(), json!(consent.add_cycle));
    }
    body.insert("end_date".into(), json!(consent.end_date.format("%Y%m%d").to_string()));
    body.insert("purpose".into(), json!(consent.purpose));
    body.insert("period".into(), json!(consent.period.format("%Y%m%d").to_string()));
    let options = [
        ("is_consent_trans_memo", consent.options.trans_memo, &[Bank, Efin][..]),
        ("is_consent_merchant_name_regno", consent.options.merchant_name_regno, &[Card, Efin, Telecom][..]),
        ("is_consent_trans_category", consent.options.trans_category, &[Efin][..]),
    ];
    for (name, chosen, industries) in options {
        if industries.contains(&call.industry) {
            body.insert(name.into(), json!(chosen));
        }
    }
    // An absent cycle is left out rather than sent as null (see docs/spec-decisions.md).
    body.retain(|_, v| !v.is_null());
    success(RspCode::Success, body)
}
