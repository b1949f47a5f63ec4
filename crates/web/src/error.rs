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

/// What axum's own extractors refuse before a handler runs — a body over the size limit, a query
/// string, path or form that does not parse — they answer in plain text, and a route asked with a
/// method it lacks answers with no body at all. [`answer_rejections`] words each as its router's
/// errors are worded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: StatusCode,
    /// What the extractor said, or the status's reason where it said nothing.
    pub message: String,
}

/// How a router words a [`Rejection`]: [`standard_rejection`], [`oauth_rejection`] or its own.
pub type RejectionFormat = fn(Rejection) -> Response;

/// The longest refusal text of an extractor this reads; theirs are a line.
const REJECTION_TEXT_BYTES: usize = 4096;

/// Middleware ([`rejections_as`]): a client error
/// answered in plain text (axum's extractors), or a 404/405 with no body (axum's router), is answered
/// again by `format`, keeping the other headers (`Allow`). Every other response passes untouched.
pub async fn answer_rejections(
    axum::extract::State(format): axum::extract::State<RejectionFormat>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let from_axum = match content_type {
        Some(content_type) => status.is_client_error() && content_type.starts_with("text/plain"),
        None => matches!(status, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED),
    };
    if !from_axum {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, REJECTION_TEXT_BYTES).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("refused").to_owned() } else { text };
    let mut answer = format(Rejection { status, message });
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &parts.headers {
        answer.headers_mut().entry(name).or_insert_with(|| value.clone());
    }
    answer
}

/// [`answer_rejections`] as a function pointer, so that its layer's type can be named.
type RejectionMiddleware = fn(
    axum::extract::State<RejectionFormat>,
    axum::extract::Request,
    axum::middleware::Next,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

/// The layer of [`answer_rejections`] in `format`.
pub fn rejections_as(
    format: RejectionFormat,
) -> axum::middleware::FromFnLayer<
    RejectionMiddleware,
    RejectionFormat,
    (axum::extract::State<RejectionFormat>, axum::extract::Request),
> {
    axum::middleware::from_fn_with_state(format, |state, request, next| {
        Box::pin(answer_rejections(state, request, next))
    })
}

/// A [`Rejection`] of the standard's APIs, as 첨부1 words it: 40401 for no route, 40501 for a
/// method the route lacks, and 40001 with the extractor's words for the rest — 첨부1 has no code
/// for a body over the limit (HTTP 413), and a request's parameters it cannot read are 40001's.
pub fn standard_rejection(rejection: Rejection) -> Response {
    let error = match rejection.status {
        StatusCode::NOT_FOUND => ApiError::new(RspCode::EndpointNotFound),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(RspCode::MethodNotAllowed),
        _ => ApiError::with(RspCode::InvalidParameter, rejection.message),
    };
    error.into_response()
}

/// A [`Rejection`] of a token endpoint, as RFC 6749 §5.2 words it (첨부1 for 405).
pub fn oauth_rejection(rejection: Rejection) -> Response {
    let (status, error) = match rejection.status {
        StatusCode::METHOD_NOT_ALLOWED => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        _ => (StatusCode::BAD_REQUEST, "invalid_request"),
    };
    let body = mydata_spec::OAuthError { error: error.to_owned(), error_description: Some(rejection.message) };
    json_response(status, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::{Body, Bytes};
    use axum::http::HeaderMap;
    use axum::http::Request;
    use axum::routing::post;
    use serde_json::Value;
    use tower::ServiceExt;

    /// A route that takes a body of at most 8 bytes and a query of one number, behind `format`.
    fn app(format: RejectionFormat) -> Router {
        #[derive(serde::Deserialize)]
        struct Page {
            limit: u32,
        }
        async fn take(page: axum::extract::Query<Page>, _: Bytes) -> String {
            format!("taken, {}", page.limit)
        }
        Router::new()
            .route("/take", post(take))
            .layer(axum::extract::DefaultBodyLimit::max(8))
            .layer(rejections_as(format))
    }

    async fn answer(
        format: RejectionFormat,
        method: &str,
        uri: &str,
        body: &'static str,
    ) -> (StatusCode, HeaderMap, Value) {
        let request = Request::builder().method(method).uri(uri).body(Body::from(body)).unwrap();
        let response = app(format).oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, 1 << 16).await.unwrap();
        (
            parts.status,
            parts.headers,
            serde_json::from_slice(&body).unwrap_or(Value::String(String::from_utf8_lossy(&body).into())),
        )
    }

    #[tokio::test]
    async fn what_axum_refuses_is_answered_in_the_standards_envelope() {
        let (status, headers, body) =
            answer(standard_rejection, "POST", "/take?limit=1", "more than eight bytes").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers[header::CONTENT_TYPE], JSON_UTF8);
        assert_eq!(body["rsp_code"], "40001");
        assert!(body["rsp_msg"].as_str().unwrap().contains("length limit exceeded"), "{body}");

        let (status, _, body) = answer(standard_rejection, "POST", "/take?limit=many", "").await;
        assert_eq!((status, &body["rsp_code"]), (StatusCode::BAD_REQUEST, &Value::from("40001")));
        assert!(body["rsp_msg"].as_str().unwrap().contains("limit"), "{body}");

        let (status, headers, body) = answer(standard_rejection, "GET", "/take?limit=1", "").await;
        assert_eq!((status, &body["rsp_code"]), (StatusCode::METHOD_NOT_ALLOWED, &Value::from("40501")));
        assert_eq!(headers[header::ALLOW], "POST", "the methods the route takes are still named");

        let (status, _, body) = answer(standard_rejection, "GET", "/elsewhere", "").await;
        assert_eq!((status, &body["rsp_code"]), (StatusCode::NOT_FOUND, &Value::from("40401")));
    }

    #[tokio::test]
    async fn a_token_endpoint_words_them_as_oauth_errors() {
        let (status, _, body) = answer(oauth_rejection, "POST", "/take?limit=1", "more than eight bytes").await;
        assert_eq!((status, &body["error"]), (StatusCode::BAD_REQUEST, &Value::from("invalid_request")));
        assert!(body["error_description"].as_str().unwrap().contains("length limit exceeded"), "{body}");
        let (status, _, body) = answer(oauth_rejection, "GET", "/take?limit=1", "").await;
        assert_eq!((status, &body["error"]), (StatusCode::METHOD_NOT_ALLOWED, &Value::from("method_not_allowed")));
    }

    #[tokio::test]
    async fn answers_of_the_handlers_pass_untouched() {
        let (status, _, body) = answer(standard_rejection, "POST", "/take?limit=1", "eight").await;
        assert_eq!((status, body), (StatusCode::OK, Value::from("taken, 1")));
    }
}
