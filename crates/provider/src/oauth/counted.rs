//! The authorization server's APIs as 첨부12 counts them (AU01 개별인증-001, AU02/AU03 개별인증-002/003,
//! AU04 개별인증-004, AU11 통합인증-002): each answer is tagged with the API, the institution and the
//! client the request names, so that the statistics (지원-005), the metrics and the access log see
//! them as they see the information APIs.

use super::form_pairs;
use crate::Provider;
use crate::info::CalledApi;
use crate::transport::CallerConnection;
use axum::body::Bytes;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mydata_spec::{KnownApi, RspCode};
use mydata_web::tran_id::RequestTranId;
use std::collections::HashMap;
use std::sync::Arc;

/// The rsp_code a refusal of the authorization server stands for (첨부1: its errors are told by
/// HTTP status and `error`).
fn refusal_code(status: StatusCode) -> RspCode {
    match status.as_u16() {
        401 => RspCode::InvalidToken,
        403 => RspCode::InvalidCall,
        404 => RspCode::EndpointNotFound,
        405 => RspCode::MethodNotAllowed,
        400..=499 => RspCode::InvalidParameter,
        _ => RspCode::SystemFailure,
    }
}

/// Tags `response` as an answer of `api` at `org_code` for `client_id`: a success where `succeeded`,
/// else the refusal its status stands for (an rsp_code the handler attached itself stands).
fn tagged(
    mut response: Response,
    api: KnownApi,
    org_code: Option<&str>,
    client_id: Option<&str>,
    succeeded: bool,
) -> Response {
    let code = if succeeded { RspCode::Success } else { refusal_code(response.status()) };
    let extensions = response.extensions_mut();
    if extensions.get::<RspCode>().is_none() {
        extensions.insert(code);
    }
    extensions.insert(CalledApi {
        api_id: api.id(),
        api_type: None,
        client_id: client_id.map(str::to_owned),
        org_code: org_code.map(str::to_owned),
    });
    response
}

/// 개별인증-001: a success is the way on to the consent page; errors go back to the operator or
/// stand on a page of their own.
pub async fn authorize(
    state: State<Arc<Provider>>,
    tran_id: Option<Extension<RequestTranId>>,
    connection: CallerConnection,
    headers: HeaderMap,
    query: Query<HashMap<String, String>>,
) -> Response {
    let (org_code, client_id) = (query.get("org_code").cloned(), query.get("client_id").cloned());
    let response = super::authorize::start(state, tran_id, connection, headers, query).await;
    let location = response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default();
    let succeeded = location.starts_with(super::authorize::CONSENT_PATH);
    tagged(response, KnownApi::Authorize, org_code.as_deref(), client_id.as_deref(), succeeded)
}

/// The token endpoint: 개별인증-002, 개별인증-003 or 통합인증-002, told apart by `grant_type`.
pub async fn token(
    state: State<Arc<Provider>>,
    tran_id: Option<Extension<RequestTranId>>,
    connection: CallerConnection,
    body: Bytes,
) -> Response {
    let form = form_pairs(&body);
    let api = match form_field(&form, "grant_type") {
        Some("refresh_token") => KnownApi::RefreshToken,
        Some("password") => KnownApi::IntegratedToken,
        _ => KnownApi::IssueToken,
    };
    let response = super::token::token(state, tran_id, connection, body.clone()).await.into_response();
    tagged_by_form(response, api, &form)
}

/// 개별인증-004.
pub async fn revoke(
    state: State<Arc<Provider>>,
    tran_id: Option<Extension<RequestTranId>>,
    connection: CallerConnection,
    body: Bytes,
) -> Response {
    let form = form_pairs(&body);
    let response = super::token::revoke(state, tran_id, connection, body.clone()).await.into_response();
    tagged_by_form(response, KnownApi::RevokeToken, &form)
}

fn form_field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Tags a token-endpoint answer by the institution and client its form names; a 2xx is a success.
fn tagged_by_form(response: Response, api: KnownApi, form: &[(String, String)]) -> Response {
    let succeeded = response.status().is_success();
    tagged(response, api, form_field(form, "org_code"), form_field(form, "client_id"), succeeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_code_their_handler_attached() {
        let plain = tagged(StatusCode::BAD_REQUEST.into_response(), KnownApi::IssueToken, Some("B"), Some("c"), false);
        assert_eq!(plain.extensions().get::<RspCode>(), Some(&RspCode::InvalidParameter));
        let called = plain.extensions().get::<CalledApi>().unwrap();
        assert_eq!(
            (called.api_id, called.org_code.as_deref(), called.client_id.as_deref()),
            ("개별인증-002", Some("B"), Some("c"))
        );
        let mut own = StatusCode::OK.into_response();
        own.extensions_mut().insert(RspCode::UnknownError);
        let kept = tagged(own, KnownApi::RevokeToken, None, None, true);
        assert_eq!(kept.extensions().get::<RspCode>(), Some(&RspCode::UnknownError));
    }
}
