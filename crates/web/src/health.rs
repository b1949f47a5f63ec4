//! Liveness and readiness for orchestrators: `/health/live` answers while the process serves;
//! `/health/ready` also needs the store to answer, so traffic moves away while the database is down.

use crate::error::json_response;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use mydata_store::Store;
use serde_json::json;
use std::sync::Arc;

pub const LIVE: &str = "/health/live";
pub const READY: &str = "/health/ready";

pub fn routes(store: Arc<dyn Store>) -> Router {
    Router::new().route(LIVE, get(|| async { json_response(StatusCode::OK, &json!({"status": "live"})) })).route(
        READY,
        get(move || {
            let store = store.clone();
            async move {
                match store.ping().await {
                    Ok(()) => json_response(StatusCode::OK, &json!({"status": "ready"})),
                    Err(e) => {
                        tracing::warn!(error = %e, "readiness check: store unreachable");
                        json_response(
                            StatusCode::SERVICE_UNAVAILABLE,
                            &json!({"status": "unavailable", "reason": "store unreachable"}),
                        )
                    }
                }
            }
        }),
    )
}
