//! Statistics of every information-API call this provider answers (지원-005): a middleware reads
//! the [`CalledApi`] and [`RspCode`] the pipeline attaches, times the call, and hands an event to a
//! bounded channel without waiting; a background task aggregates the events per (provider, client,
//! 첨부12 code, type, day, 첨부11 slot) and adds them to the store in batches. A full channel drops
//! the event and counts the drop, so statistics can never slow the data path.

use crate::ServedOrg;
use crate::info::CalledApi;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use mydata_spec::{ApiType, Industry, RspCode, catalogue};
use mydata_store::{CallStats, Store};
use mydata_support::statistics::{day_and_slot, stat_type};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Events waiting for the aggregator at most; beyond, events are dropped (and counted).
const CHANNEL_CAPACITY: usize = 16_384;
/// How often the aggregator writes what it has gathered.
const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// Writes earlier when this many distinct cells are pending.
const MAX_PENDING_CELLS: usize = 2_000;

/// One answered call, as the middleware saw it.
#[derive(Debug, Clone)]
struct CallEvent {
    api_code: &'static str,
    api_type: Option<ApiType>,
    success: bool,
    elapsed_ms: i64,
    at: i64,
    industry: Option<Industry>,
    /// The access token's `aud` (client_id) as the token claims it, checked against the clients table
    /// by the aggregator; `None` when the call carried no readable token.
    claimed_client: Option<String>,
}

enum Message {
    Call(CallEvent),
    /// Write everything gathered so far, then answer.
    Flush(oneshot::Sender<()>),
}

/// The sending side, cheap to clone; held by the middleware and by whoever needs a flush.
#[derive(Clone)]
pub struct StatsRecorder {
    sender: mpsc::Sender<Message>,
    dropped: Arc<AtomicU64>,
    unattributed: Arc<AtomicU64>,
}

impl StatsRecorder {
    /// Starts the aggregator for the institutions `orgs` over `store`.
    pub fn start(store: Arc<dyn Store>, orgs: Vec<ServedOrg>) -> StatsRecorder {
        let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        let recorder =
            StatsRecorder { sender, dropped: Arc::new(AtomicU64::new(0)), unattributed: Arc::new(AtomicU64::new(0)) };
        let aggregator = Aggregator {
            store,
            orgs,
            pending: HashMap::new(),
            clients: HashMap::new(),
            unattributed: recorder.unattributed.clone(),
        };
        tokio::spawn(aggregator.run(receiver));
        recorder
    }

    fn record(&self, event: CallEvent) {
        if self.sender.try_send(Message::Call(event)).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "statistics channel full: call events dropped");
            }
        }
    }

    /// Waits until every event recorded before this call is in the store.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Events dropped because the channel was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Calls left out of the statistics because no registered client could be named for them.
    pub fn unattributed(&self) -> u64 {
        self.unattributed.load(Ordering::Relaxed)
    }
}

/// The `aud` claim of a JWS, read without verifying it: the aggregator only uses it to attribute a
/// call to a client that the clients table knows.
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
pub async fn record(State(recorder): State<StatsRecorder>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let industry = industry_of(request.uri().path());
    let claimed_client = claimed_audience(request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()));
    let response = next.run(request).await;
    if let Some(called) = response.extensions().get::<CalledApi>() {
        let api_code = catalogue::api(called.api_id).and_then(|api| api.api_code);
        let rsp_code = response.extensions().get::<RspCode>().copied().unwrap_or(RspCode::UnknownError);
        if let Some(api_code) = api_code {
            recorder.record(CallEvent {
                api_code,
                api_type: called.api_type,
                success: rsp_code.is_success(),
                elapsed_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
                at: Utc::now().timestamp(),
                industry,
                claimed_client,
            });
        }
    }
    response
}

type CellKey = (String, String, &'static str, &'static str, String, &'static str);

struct Aggregator {
    store: Arc<dyn Store>,
    orgs: Vec<ServedOrg>,
    pending: HashMap<CellKey, CallStats>,
    /// client_id → whether the clients table knows it (looked up once per client per process).
    clients: HashMap<String, bool>,
    unattributed: Arc<AtomicU64>,
}

impl Aggregator {
    async fn run(mut self, mut receiver: mpsc::Receiver<Message>) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tokio::select! {
                message = receiver.recv() => match message {
                    Some(Message::Call(event)) => {
                        self.add(event).await;
                        if self.pending.len() >= MAX_PENDING_CELLS {
                            self.write().await;
                        }
                    }
                    Some(Message::Flush(done)) => {
                        self.write().await;
                        let _ = done.send(());
                    }
                    None => {
                        self.write().await;
                        return;
                    }
                },
                _ = tick.tick() => self.write().await,
            }
        }
    }

    async fn known_client(&mut self, client_id: &str) -> bool {
        if let Some(known) = self.clients.get(client_id) {
            return *known;
        }
        match self.store.client(client_id).await {
            Ok(found) => {
                // Only positive answers are cached: a client the registry adds later must count.
                if found.is_some() {
                    self.clients.insert(client_id.to_owned(), true);
                }
                found.is_some()
            }
            Err(e) => {
                tracing::warn!(error = %e, "statistics: client lookup failed");
                false
            }
        }
    }

    async fn add(&mut self, event: CallEvent) {
        let org = event.industry.and_then(|i| self.orgs.iter().find(|o| o.industry == i)).map(|o| o.org_code.clone());
        let client = match event.claimed_client.clone() {
            Some(client) if self.known_client(&client).await => Some(client),
            _ => None,
        };
        let (Some(org_code), Some(client_id)) = (org, client) else {
            self.unattributed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let (stat_date, tm_slot) = day_and_slot(event.at);
        let kind = stat_type(event.api_type);
        let key = (org_code.clone(), client_id.clone(), event.api_code, kind, stat_date.clone(), tm_slot);
        let cell = self.pending.entry(key).or_insert_with(|| CallStats {
            org_code,
            client_id,
            api_code: event.api_code.to_owned(),
            stat_type: kind.to_owned(),
            stat_date,
            tm_slot: tm_slot.to_owned(),
            success_cnt: 0,
            fail_cnt: 0,
            rsp_total_ms: 0,
            rsp_square_total: 0,
        });
        if event.success {
            cell.success_cnt += 1;
        } else {
            cell.fail_cnt += 1;
        }
        cell.rsp_total_ms += event.elapsed_ms;
        cell.rsp_square_total = cell.rsp_square_total.saturating_add(event.elapsed_ms.saturating_mul(event.elapsed_ms));
    }

    /// Adds the pending cells to the store; on failure they stay pending for the next try.
    async fn write(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let cells: Vec<CallStats> = self.pending.values().cloned().collect();
        match self.store.add_call_stats(&cells).await {
            Ok(()) => self.pending.clear(),
            Err(e) => tracing::warn!(error = %e, cells = cells.len(), "statistics: write failed; will retry"),
        }
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
