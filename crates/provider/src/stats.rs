//! Statistics of every information-API call this provider answers (지원-005): the observing
//! middleware hands over each response with the [`CalledApi`] and [`RspCode`] the pipeline attaches;
//! this names the provider (from the path's industry) and the client (the verified one, else the
//! bearer token's `aud`), and hands the event to the [`CallRecorder`], which never makes the request
//! wait.

use crate::ServedOrg;
use crate::info::CalledApi;
use axum::response::Response;
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

/// The `<industry>` segment of an information-API path (`/v1/bank/accounts`, `/bank/apis`).
pub(crate) fn industry_of(path: &str) -> Option<Industry> {
    path.split('/').filter(|s| !s.is_empty()).take(2).find_map(|segment| segment.parse().ok())
}

impl StatsRecorder {
    /// Records `response` when it carries a [`CalledApi`] (called by [`crate::access_log::record`],
    /// the one middleware that observes every request, with what it kept of the request).
    pub fn observe(&self, industry: Option<Industry>, response: &Response, elapsed: Duration) {
        let Some(called) = response.extensions().get::<CalledApi>() else { return };
        let Some(api_code) = catalogue::api(called.api_id).and_then(|api| api.api_code) else { return };
        let org = match &called.org_code {
            Some(code) => self.orgs.iter().find(|o| &o.org_code == code),
            None => industry.and_then(|i| self.orgs.iter().find(|o| o.industry == i)),
        };
        // A call refused before its token verified names no client: what an unverified token claims
        // is anyone's to write, and would charge another client's statistics.
        let (Some(org), Some(client_id)) = (org, called.client_id.clone()) else {
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
    fn the_industry_is_read_from_the_path() {
        assert_eq!(industry_of("/v1/bank/accounts"), Some(Industry::Bank));
        assert_eq!(industry_of("/card/apis"), Some(Industry::Card));
        assert_eq!(industry_of("/mgmts/status"), None);
    }
}
