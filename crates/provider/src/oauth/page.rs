//! The provider's own pages (개별인증-001's sign-in and consent screens): plain HTML forms that work
//! without a script; one small script of our own makes the consent page quicker to fill in.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

pub use mydata_web::html::escape;

const LAYOUT: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("page.js");

/// The pages' one script, inline.
pub fn script_tag() -> String {
    format!("<script>{SCRIPT}</script>")
}

/// No content but the page's own: its inline styles and, by its hash, its one script.
static CONTENT_SECURITY_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT.as_bytes()));
    let policy =
        format!("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; frame-ancestors 'none'");
    HeaderValue::from_str(&policy).expect("a policy of ASCII text")
});

/// A whole page; `body` is HTML the caller built from escaped parts.
pub fn render(status: StatusCode, title: &str, body: &str) -> Response {
    let html = LAYOUT.replace("{{title}}", &escape(title)).replace("{{body}}", body);
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // The page decides about a customer's data: never cached, never framed by another site.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // The page's address is a secret (the session handle): no link or form sends it on.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("content-security-policy", CONTENT_SECURITY_POLICY.clone());
    response
}

/// A page that only tells the customer something.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    render(status, title, &format!("<p class=\"notice\">{}</p>", escape(text)))
}

/// What the web framework refused of a page's request before the page saw it (a form over the size
/// limit, a form or address it cannot read, a method the page lacks), told as a page: the customer
/// is in a browser, where an OAuth error's JSON would mean nothing.
pub fn refused(rejection: mydata_web::error::Rejection) -> Response {
    let text = match rejection.status {
        StatusCode::METHOD_NOT_ALLOWED => "이 화면은 이런 방식(HTTP method)의 요청을 받지 않습니다.",
        StatusCode::PAYLOAD_TOO_LARGE => "보낸 내용이 너무 큽니다.",
        _ if rejection.message.contains("length limit") => "보낸 내용이 너무 큽니다.",
        _ => "요청을 읽을 수 없습니다. 처음부터 다시 시도해 주십시오.",
    };
    message(rejection.status, "요청을 처리할 수 없습니다", text)
}
