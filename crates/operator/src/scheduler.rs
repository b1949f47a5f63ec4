//! The long-running operator's collection loop: plan every consent's next collection
//! ([`mydata_collector::schedule`]), lease what is due ([`mydata_collector::lease`]), collect it, and
//! mark it done — sharing the work with any other process on the same PostgreSQL database, and
//! resuming what a dead process left (its leases expire; the journal says what it stored).

use chrono::{DateTime, Utc};
use futures::StreamExt;
use mydata_collector::lease::{Lease, Planned};
use mydata_collector::rights::delete_past_retention;
use mydata_collector::schedule::slot;
use mydata_collector::{CollectError, Collector, OperatorStore, Summary};
use mydata_spec::scheduled_hours::{Clock, ScheduledHours};
use mydata_store::StoreError;
use mydata_store::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How the loop shares and paces its work.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// This process's name on the leases it holds (unique among the processes sharing the database).
    pub owner: String,
    /// Consents collected at the same time.
    pub concurrency: usize,
    /// How long a lease holds without renewal: a dead process's work is taken over after this.
    pub lease: Duration,
    /// How often due work is looked for.
    pub tick: Duration,
    /// When a collection with failed units is tried again …
    pub retry_after: Duration,
    /// … up to this many times in its window; then it waits for the next window.
    pub max_attempts: i64,
    /// How long collected data is kept after its consent stopped or ended (the retention period
    /// customers are told); `None` keeps it.
    pub retention: Option<Duration>,
}

impl SchedulerConfig {
    pub fn new(owner: &str) -> SchedulerConfig {
        SchedulerConfig {
            owner: owner.to_owned(),
            concurrency: 8,
            lease: Duration::from_secs(300),
            tick: Duration::from_secs(30),
            retry_after: Duration::from_secs(15 * 60),
            max_attempts: 3,
            retention: None,
        }
    }
}

/// A process name for leases: host, process id and a random part.
pub fn process_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "operator".into());
    format!("{host}-{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// What one pass over the due work did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Round {
    /// Collections newly planned.
    pub planned: u64,
    /// Consents collected and marked done for their window.
    pub collected: u64,
    /// Collections given back to be tried again later (failed units).
    pub retried: u64,
    /// Scheduled collections found due outside the provider's windows, moved to its next window.
    pub deferred: u64,
    /// Leases that expired while their collection ran (another process took them over).
    pub lost: u64,
    pub units_done: u64,
    pub units_failed: u64,
    pub calls: u64,
    /// Collected items deleted because their retention period had passed.
    pub expired_items: u64,
}

impl Round {
    fn count(&mut self, outcome: Outcome) {
        let summary = match outcome {
            Outcome::Collected(s) => {
                self.collected += 1;
                s
            }
            Outcome::Retried(s) => {
                self.retried += 1;
                s
            }
            Outcome::Lost(s) => {
                self.lost += 1;
                s
            }
            Outcome::Deferred => {
                self.deferred += 1;
                return;
            }
        };
        self.units_done += summary.units_done;
        self.units_failed += summary.units_failed;
        self.calls += summary.calls;
    }

    fn absorb(&mut self, other: Round) {
        self.planned += other.planned;
        self.collected += other.collected;
        self.retried += other.retried;
        self.deferred += other.deferred;
        self.lost += other.lost;
        self.units_done += other.units_done;
        self.units_failed += other.units_failed;
        self.calls += other.calls;
        self.expired_items += other.expired_items;
    }
}

/// The collection loop. One per process.
pub struct Scheduler {
    collector: Collector,
    clock: Arc<dyn Clock>,
    config: SchedulerConfig,
}

enum Outcome {
    Collected(Summary),
    Retried(Summary),
    Deferred,
    Lost(Summary),
}

impl Scheduler {
    pub fn new(collector: Collector, clock: Arc<dyn Clock>, config: SchedulerConfig) -> Scheduler {
        Scheduler { collector, clock, config }
    }

    fn store(&self) -> &OperatorStore {
        self.collector.store()
    }

    fn lease_until(&self, now: DateTime<Utc>) -> i64 {
        now.timestamp() + i64::try_from(self.config.lease.as_secs()).unwrap_or(i64::MAX / 2)
    }

    /// Each provider's 정기적 전송 가능 시간대 from the registry copy (지원-002); a provider the
    /// registry does not list takes scheduled calls at any time.
    async fn hours(&self) -> Result<HashMap<String, ScheduledHours>, StoreError> {
        let orgs = self.store().sql().registry_orgs().await?;
        Ok(orgs.iter().map(|o| (o.org_code.clone(), ScheduledHours::of_registry_entry(&o.body))).collect())
    }

    /// Plans each live consent's collection in the window `now` is in.
    pub async fn plan(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let hours = self.hours().await?;
        let any_time = ScheduledHours::default();
        let last = self.store().last_collections().await?;
        let planned: Vec<Planned> = self
            .store()
            .links()
            .await?
            .into_iter()
            .filter_map(|link| {
                let last_collected = last.get(&(link.customer_id.clone(), link.org_code.clone())).copied();
                let slot = slot(&link, hours.get(&link.org_code).unwrap_or(&any_time), now, last_collected)?;
                Some(Planned { customer_id: link.customer_id, org_code: link.org_code, slot })
            })
            .collect();
        self.store().plan(&planned).await
    }

    /// Plans, then collects everything due until nothing is (or `stop` turns true: the collections
    /// under way finish, nothing new is taken).
    pub async fn run_due(&self, stop: &watch::Receiver<bool>) -> Result<Round, CollectError> {
        let mut round = Round { planned: self.plan(self.clock.now()).await?, ..Round::default() };
        if let Some(retention) = self.config.retention {
            match delete_past_retention(self.store(), retention, self.clock.now().timestamp()).await {
                Ok(deleted) => round.expired_items = deleted,
                Err(e) => {
                    tracing::warn!(error = %e, "deleting data past its retention failed; trying again next round")
                }
            }
        }
        let store = self.store().clone();
        let (owner, clock, lease) = (self.config.owner.clone(), self.clock.clone(), self.config.lease);
        // Leases held are renewed while this round runs, so that only a dead process's work expires.
        let heartbeat = tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                let until = clock.now().timestamp() + lease.as_secs() as i64;
                if let Err(e) = store.renew_leases(&owner, until).await {
                    tracing::warn!(error = %e, "lease renewal failed");
                }
            }
        });
        let result = self.collect_due(stop, &mut round).await;
        heartbeat.abort();
        result.map(|()| round)
    }

    /// Collects everything due now, waiting out other processes' leases on what is left (until they
    /// finish it, or their leases expire because they died and this process takes it over): what
    /// `mydata operator --once` runs.
    pub async fn drain(&self) -> Result<Round, CollectError> {
        let (_keep, never) = watch::channel(false);
        let mut total = Round::default();
        loop {
            total.absorb(self.run_due(&never).await?);
            if self.store().due_undone(self.clock.now().timestamp()).await? == 0 {
                return Ok(total);
            }
            tokio::time::sleep((self.config.lease / 4).min(Duration::from_secs(1))).await;
        }
    }

    /// Collects what is due, keeping `concurrency` collections under way: more are leased whenever
    /// half the slots are free, until none is due (or `stop`).
    async fn collect_due(&self, stop: &watch::Receiver<bool>, round: &mut Round) -> Result<(), CollectError> {
        let hours = self.hours().await?;
        let slots = self.config.concurrency.max(1);
        let mut in_flight = futures::stream::FuturesUnordered::new();
        let (mut exhausted, mut failure) = (false, None);
        loop {
            if !exhausted && failure.is_none() && !*stop.borrow() && in_flight.len() <= slots / 2 {
                let now = self.clock.now();
                let claim = self.store().claim_due(
                    &self.config.owner,
                    now.timestamp(),
                    self.lease_until(now),
                    slots - in_flight.len(),
                );
                tokio::pin!(claim);
                // The collections under way go on meanwhile: on SQLite one of them may hold the
                // write turn the claim waits for.
                let claimed = loop {
                    tokio::select! {
                        claimed = &mut claim => break claimed,
                        Some(outcome) = in_flight.next() => match outcome {
                            Ok(outcome) => round.count(outcome),
                            Err(e) => {
                                failure.get_or_insert(e);
                            }
                        },
                    }
                };
                match claimed {
                    Ok(leases) => {
                        exhausted = leases.is_empty();
                        in_flight.extend(leases.into_iter().map(|lease| self.collect(lease, &hours)));
                    }
                    Err(e) => failure = Some(CollectError::from(e)),
                }
            }
            // The collections under way always finish, so that their leases are settled.
            match in_flight.next().await {
                None => break,
                Some(Ok(outcome)) => round.count(outcome),
                Some(Err(e)) => {
                    failure.get_or_insert(e);
                }
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// One leased collection: scheduled ones only inside the provider's windows (ch.3.3.3).
    async fn collect(&self, lease: Lease, hours: &HashMap<String, ScheduledHours>) -> Result<Outcome, CollectError> {
        let owner = &self.config.owner;
        let now = self.clock.now();
        let provider_hours = hours.get(&lease.org_code).cloned().unwrap_or_default();
        let scheduled = !lease.cycle_window.starts_with("first@");
        if scheduled && !provider_hours.allows(now) {
            self.store().release_lease(owner, &lease, provider_hours.next_open(now).timestamp()).await?;
            return Ok(Outcome::Deferred);
        }
        let today = mydata_spec::time::korean_date(now);
        let summary =
            self.collector.collect_consent(&lease.run_id(), &lease.customer_id, &lease.org_code, today).await?;
        let done_at = self.clock.now();
        tracing::info!(customer_id = %lease.customer_id, org_code = %lease.org_code, window = %lease.cycle_window,
            units = summary.units_done, failed = summary.units_failed, calls = summary.calls, "consent collected");
        if summary.units_failed > 0 && lease.attempts < self.config.max_attempts {
            let retry_at = done_at.timestamp() + self.config.retry_after.as_secs() as i64;
            return Ok(if self.store().release_lease(owner, &lease, retry_at).await? {
                Outcome::Retried(summary)
            } else {
                Outcome::Lost(summary)
            });
        }
        Ok(if self.store().finish_lease(owner, &lease, done_at.timestamp()).await? {
            Outcome::Collected(summary)
        } else {
            Outcome::Lost(summary)
        })
    }

    /// Runs until `shutdown` resolves: a round every tick; at shutdown, the collections under way
    /// finish and their leases are settled before this returns.
    pub async fn serve(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        while !*stopped.borrow() {
            match self.run_due(&stopped).await {
                Ok(round) if round == Round::default() => {}
                Ok(round) => tracing::info!(
                    planned = round.planned,
                    collected = round.collected,
                    retried = round.retried,
                    deferred = round.deferred,
                    lost = round.lost,
                    units_done = round.units_done,
                    units_failed = round.units_failed,
                    calls = round.calls,
                    expired_items = round.expired_items,
                    "collection round"
                ),
                Err(e) => tracing::warn!(error = %e, "collection round failed; trying again next tick"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.tick) => {}
                _ = stopped.changed() => {}
            }
        }
        tracing::info!("collection loop stopped");
    }
}
