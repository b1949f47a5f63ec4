//! Statistics of every information-API call this provider answers (지원-005): a middleware reads
//! the [`CalledApi`] and [`RspCode`] the pipeline attaches, times the call, names the provider (from
//! the path's industry) and the client (the verified one, else the bearer token's `aud`), and hands
//! the event to the [`CallRecorder`], which never makes the request wait.

use crate::ServedOrg;
use crate::info::CalledApi;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use mydata_spec::{Industry, RspCode, catalogue};
use mydata_store::Store;
use mydata_support::recorder::{CallEvent, CallRecorder};
use std::sync::Arc;
use std::time::Instant;

/// The recorder and what the middleware needs to name the provider of a call.
#[derive(Clone)]
pub struct StatsRecorder {
    pub recorder: CallRecorder,
    orgs: Arc<Vec<ServedOrg>>,
}

impl StatsRecorder {
    pub fn start(store: Arc<dyn Store>, orgs: Vec<ServedOrg>) -> StatsRecorder {
        StatsRecorder { recorder: CallRecorder::start(store), orgs: Arc::new(orgs) }
    }

    /// Waits until every call recorded so far is in the store.
    pub async fn flush(&self) {
        self.recorder.flush().await
    }

    pub fn dropped(&self) -> u64 {
        self.recorder.dropped()
    }

    pub fn unattributed(&self) -> u64 {
        self.recorder.unattributed()
    }
}

/// The `aud` claim of a JWS, read without verifying it: the recorder counts the call only for a
/// client the clients table knows.
fn claimed_audience(authorization: Option<&str>) -> Option<String> {
    let token = authorization?.strip_prefix("Bearer ")?.trim();
    let payload = token.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("aud")?.as_str().map(str::to_owned)
}

/// The `<industry>` segment of an information-API path (`/v1/bank/accounts`, `/bank/apis`).
fn industry_of(path: &str) -> Option<Industry> {
    path.split('/').filter(|s| !s.is_empty()).take(2).find_map(|segment| segment.parse().ok())
}

/// The middleware: records every response that carries a [`CalledApi`].
pub async fn record(State(stats): State<StatsRecorder>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let industry = industry_of(request.uri().path());
    let authorization = request.headers().get(AUTHORIZATION).cloned();
    let response = next.run(request).await;
    let Some(called) = response.extensions().get::<CalledApi>() else { return response };
    let Some(api_code) = catalogue::api(called.api_id).and_then(|api| api.api_code) else { return response };
    // A call refused before its token verified still counts for the client the token names.
    let client =
        called.client_id.clone().or_else(|| claimed_audience(authorization.as_ref().and_then(|v| v.to_str().ok())));
    let org = industry.and_then(|i| stats.orgs.iter().find(|o| o.industry == i));
    let (Some(org), Some(client_id)) = (org, client) else {
        stats.recorder.record_unattributed();
        return response;
    };
    let rsp_code = response.extensions().get::<RspCode>().copied().unwrap_or(RspCode::UnknownError);
    stats.recorder.record(CallEvent {
        org_code: org.org_code.clone(),
        client_id,
        api_code,
        api_type: called.api_type,
        success: rsp_code.is_success(),
        elapsed_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        at: Utc::now().timestamp(),
        only_registered_client: true,
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industry_and_audience_are_read_from_the_request() {
        assert_eq!(industry_of("/v1/bank/accounts"), Some(Industry::Bank));
        assert_eq!(industry_of("/card/apis"), Some(Industry::Card));
        assert_eq!(industry_of("/mgmts/status"), None);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"aud":"svc-1","jti":"x"}"#);
        assert_eq!(claimed_audience(Some(&format!("Bearer h.{payload}.s"))), Some("svc-1".into()));
        assert_eq!(claimed_audience(Some("Bearer not-a-jwt")), None);
        assert_eq!(claimed_audience(None), None);
    }
}
