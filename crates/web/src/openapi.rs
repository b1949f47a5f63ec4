//! `GET /openapi.json`: the server's OpenAPI description, generated from the catalogue for exactly
//! the APIs the server serves, with its own base URL.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use mydata_spec::Industry;
use mydata_spec::catalogue::ApiSpec;
use std::sync::Arc;

pub const PATH: &str = "/openapi.json";

/// The base URL the caller reached us at (proxies may set `x-forwarded-proto`).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}")
}

/// A route answering with the document for `served` by `institutions`.
pub fn route(
    title: &'static str,
    served: Vec<(&'static ApiSpec, Option<Industry>)>,
    institutions: Vec<(Industry, String)>,
) -> MethodRouter {
    let served = Arc::new((served, institutions));
    get(move |headers: HeaderMap| {
        let served = served.clone();
        async move {
            let (apis, institutions) = served.as_ref();
            let document = mydata_spec::openapi::document(title, &base_url(&headers), apis, institutions);
            let response: Response = crate::error::json_response(StatusCode::OK, &document);
            response
        }
    })
}
