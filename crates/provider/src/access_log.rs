//! The one middleware that observes every request: one structured log line per request, inside a
//! span that every log line of the request inherits (`x-api-tran-id`, API ID, x-api-type, org_code,
//! client_id, rsp_code, status and latency), and the same answer handed to [`crate::metrics`] and
//! [`crate::stats`]. One layer rather than three: each layer costs every call its own boxed future.
//! Only the route template is logged, never the raw path or query (they can carry asset identifiers),
//! and never a header value other than the transaction ID.

use crate::Provider;
use crate::info::CalledApi;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use mydata_spec::RspCode;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// The request's transaction ID, when it is a valid one.
fn tran_id_of(request: &Request) -> Option<&str> {
    let id = request.headers().get(mydata_spec::tran_id::HEADER)?.to_str().ok()?;
    mydata_spec::TranId::check(id).is_ok().then_some(id)
}

pub async fn record(State(provider): State<Arc<Provider>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map(MatchedPath::as_str);
    let industry = crate::stats::industry_of(request.uri().path());
    // The span's fields are worked out only when it is logged.
    let span = tracing::info_span!(
        "request",
        tran_id = tran_id_of(&request).unwrap_or("-"),
        method = request.method().as_str(),
        route = route.unwrap_or("unmatched"),
        // The institution of a matched route, from the `<industry>` segment of its path.
        org_code = route.and(industry).and_then(|i| provider.org_for(i)).map_or("-", |o| o.org_code.as_str()),
        // Filled in by the pipeline once the access token is verified.
        client_id = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    provider.metrics.observe(&response, elapsed.as_secs_f64());
    provider.support.stats.observe(industry, &response, elapsed);
    let called = response.extensions().get::<CalledApi>();
    let code = response.extensions().get::<RspCode>().map(|c| c.code());
    // The response always carries a tran id, generated when the request's was unusable.
    let answered_id = response.headers().get(mydata_spec::tran_id::HEADER).and_then(|v| v.to_str().ok());
    span.in_scope(|| {
        tracing::info!(
            answered_tran_id = answered_id.unwrap_or("-"),
            api_id = called.map_or("-", |c| c.api_id),
            api_type = called.and_then(|c| c.api_type).map_or("-", |t| t.as_str()),
            rsp_code = code.unwrap_or("-"),
            status = response.status().as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request handled"
        )
    });
    response
}
