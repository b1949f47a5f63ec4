//! The provider's own pages (개별인증-001's sign-in and consent screens): plain HTML forms, no script.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const LAYOUT: &str = include_str!("page.html");

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
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    response
}

/// A page that only tells the customer something.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    render(status, title, &format!("<p class=\"notice\">{}</p>", escape(text)))
}
