//! Statistics of every information-API call this provider answers (지원-005): the observing
//! middleware hands over each response with the [`CalledApi`] and [`RspCode`] the pipeline attaches;
//! this names the provider (from the path's industry) and the client (the verified one, else the
//! bearer token's `aud`), and hands the event to the [`CallRecorder`], which never makes the request
//! wait.

use crate::ServedOrg;
use crate::info::CalledApi;
use axum::http::HeaderValue;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use mydata_spec::{Industry, RspCode, catalogue};
use mydata_store::Store;
use mydata_support::recorder::{CallEvent, CallRecorder};
use std::sync::Arc;
use std::time::Duration;

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
pub(crate) fn industry_of(path: &str) -> Option<Industry> {
    path.split('/').filter(|s| !s.is_empty()).take(2).find_map(|segment| segment.parse().ok())
}

impl StatsRecorder {
    /// Records `response` when it carries a [`CalledApi`] (called by [`crate::access_log::record`],
    /// the one middleware that observes every request, with what it kept of the request).
    pub fn observe(
        &self,
        industry: Option<Industry>,
        authorization: Option<&HeaderValue>,
        response: &Response,
        elapsed: Duration,
    ) {
        let Some(called) = response.extensions().get::<CalledApi>() else { return };
        let Some(api_code) = catalogue::api(called.api_id).and_then(|api| api.api_code) else { return };
        let org = match &called.org_code {
            Some(code) => self.orgs.iter().find(|o| &o.org_code == code),
            None => industry.and_then(|i| self.orgs.iter().find(|o| o.industry == i)),
        };
        // A call refused before its token verified still counts for the client the token names.
        let client = called.client_id.clone().or_else(|| claimed_audience(authorization.and_then(|v| v.to_str().ok())));
        let (Some(org), Some(client_id)) = (org, client) else {
            self.recorder.record_unattributed();
            return;
        };
        let rsp_code = response.extensions().get::<RspCode>().copied().unwrap_or(RspCode::UnknownError);
        self.recorder.record(CallEvent {
            org_code: org.org_code.clone(),
            client_id,
            api_code,
            api_type: called.api_type,
            success: rsp_code.is_success(),
            elapsed_ms: i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
            at: Utc::now().timestamp(),
            only_registered_client: true,
        });
    }
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
