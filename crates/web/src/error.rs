//! One error type that becomes the standard's response: HTTP status from 첨부1, body
//! `{"rsp_code", "rsp_msg"}`. Handlers return `Result<_, ApiError>`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mydata_spec::{Envelope, RspCode};
use mydata_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: RspCode,
    /// What exactly was wrong, added to the message (never secrets or personal data).
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(code: RspCode) -> Self {
        ApiError { code, detail: None }
    }

    pub fn with(code: RspCode, detail: impl Into<String>) -> Self {
        ApiError { code, detail: Some(detail.into()) }
    }

    pub fn envelope(&self) -> Envelope {
        match &self.detail {
            Some(detail) => Envelope::with_detail(self.code, detail),
            None => Envelope::new(self.code),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // The cause goes to the log, not to the caller.
        tracing::error!(error = %e, "store failure");
        ApiError::new(RspCode::SystemFailure)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = json_response(status, &self.envelope());
        response.extensions_mut().insert(self.code);
        response
    }
}

/// The standard's JSON content type (ch.5–7: `application/json; charset=UTF-8`).
pub const JSON_UTF8: &str = "application/json; charset=UTF-8";

/// A JSON response with the standard's content type.
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Answers paths no route matches with 40401.
pub async fn not_found() -> ApiError {
    ApiError::new(RspCode::EndpointNotFound)
}

/// Answers a known path with the wrong method with 40501.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(RspCode::MethodNotAllowed)
}
