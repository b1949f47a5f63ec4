//! The provider's own pages (개별인증-001's sign-in and consent screens): plain HTML forms that work
//! without a script; one small script of our own makes the consent page quicker to fill in.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

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

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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
