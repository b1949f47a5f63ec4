//! The ingestion API for an institution's core systems: the records of `mydata import`, one at a
//! time or as NDJSON, on a listener of its own (`mydata serve --admin-listen`), never on the public
//! one, behind a bearer secret. Answers are JSON with the refusal's line, field and rule.
//!
//! - `POST /ingest` — a body of NDJSON records (or one JSON record, `Content-Type: application/json`),
//!   written in one transaction: all of them or, on a refusal, none;
//! - `GET /export?org_code=…&customer_id=…` — the stored records as NDJSON.
//!
//! The secret is checked before a body is read, so that a caller without it cannot make the server
//! hold a body; whatever is refused — a body over the limit, an unknown query parameter, a method a
//! path lacks — is answered in the same JSON.

use crate::record::Refusal;
use crate::{ImportError, Summary};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mydata_store::{Store, StoreError};
use mydata_web::bearer::presents_secret;
use mydata_web::error::{Rejection, rejections_as};
use serde_json::{Value, json};
use std::sync::Arc;

/// The largest body `POST /ingest` takes; larger loads go through `mydata import` or several calls.
pub const MAX_BODY_BYTES: usize = 64 << 20;

#[derive(Clone)]
struct Admin {
    store: Arc<dyn Store>,
    secret: Arc<str>,
}

/// The ingestion API over `store`, for callers presenting `Authorization: Bearer <secret>`.
pub fn router(store: Arc<dyn Store>, secret: &str) -> Router {
    let admin = Admin { store, secret: secret.into() };
    Router::new()
        .route("/ingest", post(ingest))
        .route("/export", get(export))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "the ingestion API has /ingest and /export") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(rejections_as(rejection))
        .layer(axum::middleware::from_fn_with_state(admin.clone(), authenticate))
        .with_state(admin)
}

/// What axum refused before a handler ran, in this API's JSON; a body over the limit keeps its 413.
fn rejection(rejection: Rejection) -> Response {
    let code = match rejection.status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            let limit =
                format!("a body may hold {} MiB at most; send more through several calls", MAX_BODY_BYTES >> 20);
            return error(rejection.status, "too_large", format!("{}: {limit}", rejection.message));
        }
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        // No path is a 404 from axum: the router's own fallback answers those in this JSON.
        _ => "refused",
    };
    error(rejection.status, code, rejection.message)
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": code, "message": message.into()}))).into_response()
}

/// Refuses, with 401, every request without the secret, before anything of it is read.
async fn authenticate(State(admin): State<Admin>, request: Request, next: Next) -> Response {
    if presents_secret(request.headers(), &admin.secret) {
        return next.run(request).await;
    }
    let mut refused =
        error(StatusCode::UNAUTHORIZED, "unauthorized", "Authorization: Bearer <the admin secret> is required");
    refused.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    refused
}

fn refusal(refused: &Refusal) -> Response {
    let body = json!({"error": "refused", "message": refused.to_string(), "line": refused.line,
                      "api": refused.api, "field": refused.field, "rule": refused.rule});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn summary(done: &Summary) -> Response {
    axum::Json(json!({"records": done.records, "customers": done.customers, "rows": done.rows,
                      "seconds": done.seconds}))
    .into_response()
}

async fn ingest(State(admin): State<Admin>, headers: HeaderMap, body: Bytes) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    // One record as JSON may span lines; as NDJSON it is the one line it becomes.
    let one_line;
    let records: &[u8] = if json {
        match serde_json::from_slice::<Value>(&body) {
            Ok(record) => {
                one_line = record.to_string();
                one_line.as_bytes()
            }
            Err(e) => return error(StatusCode::BAD_REQUEST, "refused", format!("line 1: record: is not JSON: {e}")),
        }
    } else {
        &body
    };
    match crate::import(admin.store.as_ref(), records, None, |_| {}).await {
        Ok(done) => summary(&done),
        Err(ImportError::Refused(refused)) => refusal(&refused),
        Err(read @ ImportError::Read { .. }) => error(StatusCode::BAD_REQUEST, "refused", read.to_string()),
        Err(ImportError::Store { source: StoreError::Conflict(what), .. }) => {
            error(StatusCode::CONFLICT, "conflict", format!("{what} already exists; nothing was written"))
        }
        Err(ImportError::Store { source, .. }) => {
            tracing::error!(error = %source, "an ingestion batch failed in the database");
            error(StatusCode::INTERNAL_SERVER_ERROR, "database", format!("{source}; nothing was written"))
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    org_code: Option<String>,
    customer_id: Option<String>,
}

async fn export(State(admin): State<Admin>, Query(query): Query<ExportQuery>) -> Response {
    if query.customer_id.is_some() && query.org_code.is_none() {
        return error(StatusCode::BAD_REQUEST, "refused", "customer_id needs org_code");
    }
    let mut out = Vec::new();
    match crate::export(admin.store.as_ref(), query.org_code.as_deref(), query.customer_id.as_deref(), &mut out).await {
        Ok(0) if query.customer_id.is_some() => {
            let (org_code, customer_id) = (query.org_code.unwrap_or_default(), query.customer_id.unwrap_or_default());
            error(StatusCode::NOT_FOUND, "not_found", format!("{org_code} has no customer {customer_id}"))
        }
        Ok(_) => ([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "database", e.to_string()),
    }
}
