//! The operator's side of the support APIs (ch.7): 지원-101..104 answered for the portal (지원-102 is
//! the providers'; 지원-103 lists a customer's live consents found by CI; 지원-104 resends 지원-004),
//! the statistics of every call the operator's client makes (첨부12 codes, recorded through a
//! [`CallRecorder`] into the operator's store) sent weekly as 지원-004 per service, and the registry
//! (지원-002) from which it learns where providers are.

use crate::store::{OperatorStore, ProviderRow};
use async_trait::async_trait;
use axum::Router;
use chrono::NaiveDate;
use chrono::Utc;
use mydata_client::{CallObserver, Credentials, Exchange};
use mydata_spec::KnownApi;
use mydata_spec::time::kst;
use mydata_spec::{IssuerType, RspCode};
use mydata_store::{CallStats, ConsentCounts};
use mydata_store::{StoreError, prelude::*};
use mydata_support::participant::{
    self, Availability, ConsentSummary, Participant, PortalCredential, ResendRequest, ServiceConsents, SupportEndpoint,
};
use mydata_support::portal_client::{PortalAccount, PortalClient};
use mydata_support::recorder::{CallEvent, CallRecorder};
use mydata_support::statistics::{SCHEDULED, USER_INVOLVED, mydata_report_with_consents, week_before};
use mydata_support::sync::{RegistrySync, SyncError, SyncSummary};
use mydata_support::tokens::{DEFAULT_LIFETIME, SupportTokens};
use mydata_support::weekly::{DueError, SendError};
use mydata_web::ApiError;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The support setting holding the inquiry_date of the last weekly 지원-004 sent.
const SENT_SETTING: &str = "mydata-statistics-sent-inquiry-date";

/// Counts every exchange of the operator's client that has a 첨부12 code (information APIs,
/// 개별인증-001..004) for 지원-004: per provider, service, code, `x-api-type`, success and time.
pub struct CallStatistics {
    pub recorder: CallRecorder,
    /// The operator's service (client_id) at each provider (org_code), for calls that do not
    /// name it themselves (information APIs carry only the access token).
    services: RwLock<HashMap<String, String>>,
}

impl std::fmt::Debug for CallStatistics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallStatistics").field("dropped", &self.recorder.dropped()).finish_non_exhaustive()
    }
}

impl CallStatistics {
    /// Starts recording into `store` (needs a Tokio runtime).
    pub fn start(store: Arc<dyn Store>) -> CallStatistics {
        CallStatistics { recorder: CallRecorder::start(store), services: RwLock::new(HashMap::new()) }
    }

    /// Learns which service calls each provider.
    pub fn know(&self, providers: &[ProviderRow]) {
        let mut services = self.services.write().unwrap_or_else(|e| e.into_inner());
        for p in providers {
            services.insert(p.org_code.clone(), p.client_id.clone());
        }
    }

    /// Waits until every call recorded so far is in the store.
    pub async fn flush(&self) {
        self.recorder.flush().await
    }
}

impl CallObserver for CallStatistics {
    fn observe(&self, exchange: &Exchange<'_>) {
        let call = exchange.call;
        let Some(api_code) = call.api.api_code else { return };
        let org_code = call.params.get("org_code").cloned();
        let client_id = call.params.get("client_id").cloned().or_else(|| {
            let services = self.services.read().unwrap_or_else(|e| e.into_inner());
            org_code.as_ref().and_then(|org| services.get(org).cloned())
        });
        let (Some(org_code), Some(client_id)) = (org_code, client_id) else {
            self.recorder.record_unattributed();
            return;
        };
        self.recorder.record(CallEvent {
            org_code,
            client_id,
            api_code,
            api_type: call.api_type,
            // An answer is a success: the client turns every 첨부1 error code into an error.
            success: exchange.outcome.is_ok(),
            elapsed_ms: i64::try_from(exchange.elapsed.as_millis()).unwrap_or(i64::MAX),
            at: Utc::now().timestamp(),
            only_registered_client: false,
        });
    }
}

/// What 지원-102..104 need to know about this operator.
struct OperatorParticipant {
    org_code: String,
    store: OperatorStore,
    statistics: Arc<OperatorStatistics>,
}

/// The operator's statistics: its recorder, its store and, once connected, the portal.
struct OperatorStatistics {
    store: OperatorStore,
    calls: Arc<CallStatistics>,
    portal: RwLock<Option<Arc<PortalClient>>>,
}

impl OperatorStatistics {
    fn portal(&self) -> Option<Arc<PortalClient>> {
        self.portal.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The services to report: every client_id the operator calls providers with.
    async fn services(&self) -> Result<BTreeSet<String>, StoreError> {
        Ok(self.store.providers().await?.into_iter().map(|p| p.client_id).collect())
    }

    /// The 지원-004 body of one service for one type and week, from the recorded calls.
    async fn report(
        &self,
        client_id: &str,
        stat_type: &str,
        inquiry_date: &str,
    ) -> Result<serde_json::Value, SendError> {
        let week = week_before(inquiry_date)?;
        let (first, last) = (week[0].format("%Y%m%d").to_string(), week[6].format("%Y%m%d").to_string());
        let cells = self.store.sql().call_stats_of_client(client_id, &first, &last).await?;
        let consents =
            if stat_type == USER_INVOLVED { self.consent_counts(client_id, &week, &cells).await? } else { Vec::new() };
        Ok(mydata_report_with_consents(stat_type, inquiry_date, client_id, &cells, &consents)?)
    }

    /// The service's consent counts per day and provider: given (개별인증-002 and 통합인증-002
    /// answered), withdrawn (개별인증-004 answered), both from the calls it made, and valid at the
    /// day's end, from its links as they stand (a link given again since counts from its new date).
    async fn consent_counts(
        &self,
        client_id: &str,
        week: &[NaiveDate],
        cells: &[CallStats],
    ) -> Result<Vec<(String, Vec<(String, ConsentCounts)>)>, StoreError> {
        let code = |api: KnownApi| api.spec().api_code;
        let (issued, integrated, revoked) =
            (code(KnownApi::IssueToken), code(KnownApi::IntegratedToken), code(KnownApi::RevokeToken));
        let rows = sqlx::query(
            "SELECT l.org_code, COALESCE(l.consented_at, l.updated_at) AS since, l.stopped_at, l.end_date
             FROM op_links l JOIN op_providers p ON p.org_code = l.org_code WHERE p.client_id = $1",
        )
        .bind(client_id)
        .fetch_all(self.store.sql().pool())
        .await?;
        let mut links = Vec::with_capacity(rows.len());
        for r in &rows {
            let (org, since, stopped, end): (String, i64, Option<i64>, Option<String>) =
                (r.try_get("org_code")?, r.try_get("since")?, r.try_get("stopped_at")?, r.try_get("end_date")?);
            links.push((org, since, stopped, end));
        }
        let mut days = Vec::with_capacity(week.len());
        for day in week {
            let date = day.format("%Y%m%d").to_string();
            let day_end = (*day + chrono::Days::new(1)).and_time(chrono::NaiveTime::MIN).and_local_timezone(kst());
            let day_end = day_end.single().map_or(i64::MAX, |t| t.timestamp());
            let mut by_org: BTreeMap<String, ConsentCounts> = BTreeMap::new();
            let mut counts = |org: &str, new: i64, withdrawn: i64, own: i64| {
                let entry = by_org
                    .entry(org.to_owned())
                    .or_insert_with(|| ConsentCounts { client_id: client_id.to_owned(), ..Default::default() });
                (entry.new, entry.revoked, entry.own) = (entry.new + new, entry.revoked + withdrawn, entry.own + own);
            };
            for cell in cells.iter().filter(|c| c.stat_date == date) {
                let api = Some(cell.api_code.as_str());
                if api == issued || api == integrated {
                    counts(&cell.org_code, cell.success_cnt, 0, 0);
                } else if api == revoked {
                    counts(&cell.org_code, 0, cell.success_cnt, 0);
                }
            }
            let valid = |(_, since, stopped, end): &&(String, i64, Option<i64>, Option<String>)| {
                *since < day_end && stopped.is_none_or(|at| at >= day_end) && end.as_ref().is_none_or(|e| *e >= date)
            };
            for (org, ..) in links.iter().filter(valid) {
                counts(org, 0, 0, 1);
            }
            days.push((date, by_org.into_iter().collect()));
        }
        Ok(days)
    }

    /// Sends 지원-004 for every service and each of `stat_types`, after writing every call recorded.
    async fn send(&self, inquiry_date: &str, stat_types: &[&str]) -> Result<(), SendError> {
        let portal = self.portal().ok_or(SendError::NotConnected)?;
        self.calls.flush().await;
        for client_id in self.services().await? {
            for stat_type in stat_types {
                let body = self.report(&client_id, stat_type, inquiry_date).await?;
                portal.send_statistics(KnownApi::OperatorStatistics, &body).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Participant for OperatorParticipant {
    fn org_codes(&self) -> Vec<String> {
        vec![self.org_code.clone()]
    }

    fn is_provider(&self) -> bool {
        false
    }

    async fn availability(&self, _org_code: &str) -> Availability {
        // 지원-102 asks providers only; the route answers operators' callers 40401 before asking.
        Availability::Normal
    }

    async fn consents(&self, _org_code: &str, user_ci: &str) -> Result<Option<Vec<ServiceConsents>>, ApiError> {
        let Some(customer_id) = self.store.customer_of_ci(user_ci).await? else { return Ok(None) };
        let today = crate::rules::korean_today().format("%Y%m%d").to_string();
        let mut by_service: BTreeMap<String, Vec<ConsentSummary>> = BTreeMap::new();
        for c in self.store.live_consents(&customer_id, &today).await? {
            by_service.entry(c.client_id).or_default().push(ConsentSummary {
                org_code: c.org_code,
                scope: c.scope,
                consent_date: c.consent_date,
                consent_end_date: c.consent_end_date,
            });
        }
        Ok(Some(by_service.into_iter().map(|(client_id, consents)| ServiceConsents { client_id, consents }).collect()))
    }

    async fn resend_statistics(&self, request: ResendRequest) -> Result<(), ApiError> {
        if self.statistics.portal().is_none() {
            return Err(ApiError::with(RspCode::ProcessingFailed, "no portal is configured"));
        }
        let statistics = self.statistics.clone();
        // The portal's request is answered at once; the reports follow as 지원-004 calls.
        tokio::spawn(async move {
            if let Err(e) = statistics.send(&request.inquiry_date, &request.stat_types).await {
                tracing::warn!(error = %e, "statistics resend (지원-104) failed");
            }
        });
        Ok(())
    }
}

/// The support side of one operator.
pub struct OperatorSupport {
    /// 지원-101..104, refusing every token request until [`OperatorSupport::accept_portal`].
    pub endpoint: Arc<SupportEndpoint>,
    /// Give it to the collector ([`crate::CollectorConfig::statistics`]) and to any other client.
    pub calls: Arc<CallStatistics>,
    org_code: String,
    store: OperatorStore,
    statistics: Arc<OperatorStatistics>,
    sync: RwLock<Option<Arc<RegistrySync>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error("no portal is configured")]
    NotConnected,
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a registry refresh taught the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvidersLearned {
    pub registry: SyncSummary,
    /// Providers (org_type 01 with a domain) upserted into `op_providers`.
    pub providers: usize,
    /// Providers the registry deleted, removed from `op_providers`.
    pub removed: usize,
}

impl ProvidersLearned {
    /// Logs `message` with each count a field of its own, which a log collector can sum and filter.
    pub fn log(&self, message: &str) {
        let registry = &self.registry;
        tracing::info!(
            orgs_upserted = registry.orgs_upserted,
            orgs_removed = registry.orgs_removed,
            clients_upserted = registry.clients_upserted,
            clients_removed = registry.clients_removed,
            providers = self.providers,
            providers_removed = self.removed,
            "{message}"
        );
    }
}

impl OperatorSupport {
    /// Starts the call recorder and prepares 지원-101..104 for `org_code` (the operator's).
    pub async fn start(store: OperatorStore, org_code: &str) -> Result<OperatorSupport, StoreError> {
        let shared: Arc<dyn Store> = Arc::new(store.sql().clone());
        let calls = Arc::new(CallStatistics::start(shared.clone()));
        calls.know(&store.providers().await?);
        let statistics =
            Arc::new(OperatorStatistics { store: store.clone(), calls: calls.clone(), portal: RwLock::new(None) });
        let participant =
            OperatorParticipant { org_code: org_code.to_owned(), store: store.clone(), statistics: statistics.clone() };
        let tokens = SupportTokens::open(shared.as_ref(), org_code, DEFAULT_LIFETIME).await?;
        let endpoint = Arc::new(SupportEndpoint::new(tokens, Arc::new(participant), IssuerType::Operator));
        Ok(OperatorSupport {
            endpoint,
            calls,
            org_code: org_code.to_owned(),
            store,
            statistics,
            sync: RwLock::new(None),
        })
    }

    /// Accepts the portal's "지원API 제공용 자격증명" on 지원-101.
    pub fn accept_portal(&self, credential: PortalCredential) {
        self.endpoint.set_portal_credential(Some(credential));
    }

    /// Connects to the portal with the operator's "지원API 호출용 자격증명" (지원-001), over `tls`
    /// (the operator's client certificate) when given: registry pulls and statistics go there.
    pub fn connect_portal(&self, account: PortalAccount, tls: Option<rustls::ClientConfig>) -> Arc<RegistrySync> {
        let client = Arc::new(match tls {
            Some(tls) => PortalClient::with_tls(account, tls),
            None => PortalClient::new(account),
        });
        *self.statistics.portal.write().unwrap_or_else(|e| e.into_inner()) = Some(client.clone());
        let sync = Arc::new(RegistrySync::for_operator(Arc::new(self.store.sql().clone()), client));
        *self.sync.write().unwrap_or_else(|e| e.into_inner()) = Some(sync.clone());
        sync
    }

    /// Pulls the registry (지원-002) and keeps `op_providers` in line with it: every provider with its
    /// own API server (org_type 01) at its domain, called with the operator's `service`
    /// credentials; a provider the registry deleted is removed (its links then stop collecting).
    pub async fn learn_providers(&self, service: &Credentials) -> Result<ProvidersLearned, LearnError> {
        let sync = self.sync.read().unwrap_or_else(|e| e.into_inner()).clone();
        let sync = sync.ok_or(LearnError::NotConnected)?;
        let before: BTreeSet<String> =
            mydata_support::sync::providers(self.store.sql()).await?.into_iter().map(|p| p.org_code).collect();
        let registry = sync.refresh().await?;
        let now = Utc::now().timestamp();
        let endpoints = mydata_support::sync::providers(self.store.sql()).await?;
        let mut learned = ProvidersLearned { registry, ..Default::default() };
        let mut rows = Vec::new();
        for endpoint in &endpoints {
            let row = ProviderRow {
                org_code: endpoint.org_code.clone(),
                industry: endpoint.industry.clone(),
                base_url: endpoint.base_url.clone(),
                client_id: service.client_id.clone(),
                client_secret: service.client_secret.clone(),
            };
            self.store.upsert_provider(&row, now).await?;
            rows.push(row);
            learned.providers += 1;
        }
        for gone in before.iter().filter(|code| !endpoints.iter().any(|e| &e.org_code == *code)) {
            if self.store.remove_provider(gone).await? {
                learned.removed += 1;
            }
        }
        self.calls.know(&rows);
        Ok(learned)
    }

    /// Learns providers from the registry now and then every `every`, until the task is dropped;
    /// failures are logged and retried at the next interval.
    pub fn spawn_learning(self: &Arc<Self>, service: Credentials, every: Duration) -> tokio::task::JoinHandle<()> {
        let support = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match support.learn_providers(&service).await {
                    // Every few minutes: worth a line only when the registry changed something.
                    Ok(learned) if learned == ProvidersLearned::default() => {}
                    Ok(learned) => learned.log("providers learned from the registry"),
                    Err(e) => tracing::warn!(error = %e, "registry refresh failed; retrying later"),
                }
            }
        })
    }

    /// Sends 지원-004 for every service and each of `stat_types` for the week before `inquiry_date`
    /// (a Sunday), after writing every call recorded so far.
    pub async fn send_statistics(&self, inquiry_date: &str, stat_types: &[&str]) -> Result<(), SendError> {
        self.statistics.send(inquiry_date, stat_types).await
    }

    /// The 지원-004 body of one service, from the recorded calls (after writing every call recorded).
    pub async fn statistics_report(
        &self,
        client_id: &str,
        stat_type: &str,
        inquiry_date: &str,
    ) -> Result<serde_json::Value, SendError> {
        self.calls.flush().await;
        self.statistics.report(client_id, stat_type, inquiry_date).await
    }

    /// Sends the last complete week's 지원-004 (both types) unless it went out already: what a
    /// `mydata collect` run does once, whatever the day, so that a week is sent late rather than never.
    pub async fn send_due_statistics(&self) -> Result<Option<String>, DueError<SendError>> {
        let now = Utc::now().timestamp();
        mydata_support::weekly::send_due(self.store.sql(), SENT_SETTING, now, |inquiry_date| async move {
            self.send_statistics(&inquiry_date, &[SCHEDULED, USER_INVOLVED]).await
        })
        .await
    }

    /// Sends the weekly 지원-004 reports on Sundays (KST: ch.7 has operators send on the Sunday that
    /// closes the week, providers on the Monday after), checking every `every`.
    pub fn spawn_weekly_statistics(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let statistics = self.statistics.clone();
        let store: Arc<dyn Store> = Arc::new(self.store.sql().clone());
        mydata_support::weekly::spawn_weekly(
            store,
            chrono::Weekday::Sun,
            SENT_SETTING.into(),
            every,
            move |inquiry_date| {
                let statistics = statistics.clone();
                async move { statistics.send(&inquiry_date, &[SCHEDULED, USER_INVOLVED]).await }
            },
        )
    }

    /// 지원-101..104, reachable only with the portal's certificate when `verify_portal` (mutual TLS:
    /// the SERIALNUMBER the operator's registry copy gives the portal).
    pub fn routes(&self, verify_portal: bool) -> Router {
        let routes = participant::routes(self.endpoint.clone());
        mydata_support::transport::portal_only(routes, Arc::new(self.store.sql().clone()), verify_portal)
    }

    /// The operator's org_code.
    pub fn org_code(&self) -> &str {
        &self.org_code
    }
}
