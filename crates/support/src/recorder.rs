//! Recording API calls for the statistics of 지원-004/005 without slowing the calls: events go to a
//! bounded channel with `try_send` (a full channel drops the event and counts the drop); one task
//! aggregates them per (institution, client, 첨부12 code, type, KST day, 첨부11 slot) and adds the
//! sums to the store in batches. A provider records the calls it answers, an operator the calls it
//! makes; both read the result back with `ParticipantStore::call_stats*` and [`crate::statistics`].

use crate::statistics::{day_and_slot, stat_type};
use mydata_spec::ApiType;
use mydata_store::{CallStats, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Events waiting for the aggregator at most; beyond, events are dropped (and counted).
const CHANNEL_CAPACITY: usize = 16_384;
/// How often the aggregator writes what it has gathered.
const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// Writes earlier when this many distinct cells are pending.
const MAX_PENDING_CELLS: usize = 2_000;

/// One API call.
#[derive(Debug, Clone)]
pub struct CallEvent {
    /// The provider that answered (the called provider, for an operator).
    pub org_code: String,
    /// The operator's service.
    pub client_id: String,
    /// 첨부12 code, e.g. `BA01`.
    pub api_code: &'static str,
    pub api_type: Option<ApiType>,
    pub success: bool,
    pub elapsed_ms: i64,
    /// Unix seconds of the call.
    pub at: i64,
    /// Count the call only if `client_id` is in the clients table: a provider takes the client from
    /// the bearer token unverified and must not count names nobody registered.
    pub only_registered_client: bool,
}

enum Message {
    Call(CallEvent),
    /// Write everything gathered so far, then answer.
    Flush(oneshot::Sender<()>),
}

/// The sending side, cheap to clone.
#[derive(Clone)]
pub struct CallRecorder {
    sender: mpsc::Sender<Message>,
    dropped: Arc<AtomicU64>,
    unattributed: Arc<AtomicU64>,
}

impl CallRecorder {
    /// Starts the aggregator task over `store` (needs a Tokio runtime).
    pub fn start(store: Arc<dyn Store>) -> CallRecorder {
        let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        let recorder =
            CallRecorder { sender, dropped: Arc::new(AtomicU64::new(0)), unattributed: Arc::new(AtomicU64::new(0)) };
        let aggregator = Aggregator {
            store,
            pending: HashMap::new(),
            known_clients: HashMap::new(),
            unattributed: recorder.unattributed.clone(),
        };
        tokio::spawn(aggregator.run(receiver));
        recorder
    }

    /// Hands the event over without waiting; never blocks the caller.
    pub fn record(&self, event: CallEvent) {
        if self.sender.try_send(Message::Call(event)).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "statistics channel full: call events dropped");
            }
        }
    }

    /// Counts a call that cannot be reported (no institution or client can be named for it).
    pub fn record_unattributed(&self) {
        self.unattributed.fetch_add(1, Ordering::Relaxed);
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

type CellKey = (String, String, &'static str, &'static str, String, &'static str);

struct Aggregator {
    store: Arc<dyn Store>,
    pending: HashMap<CellKey, CallStats>,
    /// Clients found in the clients table (only positive answers: a client registered later counts).
    known_clients: HashMap<String, ()>,
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

    async fn registered(&mut self, client_id: &str) -> bool {
        if self.known_clients.contains_key(client_id) {
            return true;
        }
        match self.store.client(client_id).await {
            Ok(Some(_)) => {
                self.known_clients.insert(client_id.to_owned(), ());
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(error = %e, "statistics: client lookup failed");
                false
            }
        }
    }

    async fn add(&mut self, event: CallEvent) {
        if event.only_registered_client && !self.registered(&event.client_id).await {
            self.unattributed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let (stat_date, tm_slot) = day_and_slot(event.at);
        let kind = stat_type(event.api_type);
        let key = (event.org_code.clone(), event.client_id.clone(), event.api_code, kind, stat_date.clone(), tm_slot);
        let cell = self.pending.entry(key).or_insert_with(|| CallStats {
            org_code: event.org_code,
            client_id: event.client_id,
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
