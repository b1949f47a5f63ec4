//! 첨부14: every response carries the request's `x-api-tran-id` (or, where the request had none
//! usable, one this server generates), on errors too.

use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mydata_spec::tran_id::{HEADER, TranId};
use mydata_spec::{IssuerType, RspCode};
use std::sync::Arc;

/// The validated transaction ID of the current request.
#[derive(Debug, Clone)]
pub struct RequestTranId(pub TranId);

/// Who this server is when it has to generate a transaction ID.
#[derive(Debug, Clone)]
pub struct TranIdIssuer {
    pub org_code: Arc<str>,
    pub issuer: IssuerType,
}

fn request_tran_id(request: &Request) -> Option<Result<TranId, String>> {
    let raw = request.headers().get(HEADER)?;
    Some(
        raw.to_str()
            .map_err(|_| "x-api-tran-id is not ASCII".to_owned())
            .and_then(|s| s.parse::<TranId>().map_err(|e| e.to_string())),
    )
}

fn finish(issuer: &TranIdIssuer, echo: Option<TranId>, mut response: Response) -> Response {
    let id = echo.unwrap_or_else(|| TranId::generate(&issuer.org_code, issuer.issuer));
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// Echoes a valid `x-api-tran-id`; routes wrapped by this layer also require it (40002 otherwise).
pub async fn require(State(issuer): State<TranIdIssuer>, mut request: Request, next: Next) -> Response {
    match request_tran_id(&request) {
        Some(Ok(id)) => {
            request.extensions_mut().insert(RequestTranId(id.clone()));
            let response = next.run(request).await;
            finish(&issuer, Some(id), response)
        }
        Some(Err(problem)) => finish(&issuer, None, ApiError::with(RspCode::InvalidHeader, problem).into_response()),
        None => {
            let error = ApiError::with(RspCode::InvalidHeader, "x-api-tran-id is required");
            finish(&issuer, None, error.into_response())
        }
    }
}

/// Echoes a valid `x-api-tran-id` when present and generates one otherwise, without refusing the
/// request: for endpoints a browser calls (the consent page) and for OAuth endpoints, which answer
/// header problems in their own error format.
pub async fn echo(State(issuer): State<TranIdIssuer>, mut request: Request, next: Next) -> Response {
    let id = request_tran_id(&request).and_then(Result::ok);
    if let Some(id) = &id {
        request.extensions_mut().insert(RequestTranId(id.clone()));
    }
    let response = next.run(request).await;
    finish(&issuer, id, response)
}
