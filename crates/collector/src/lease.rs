//! The schedule's SQL (migration 0012, beside this crate): collections planned per consent and cycle window, leased by
//! one process at a time with an expiry (`FOR UPDATE SKIP LOCKED` on PostgreSQL, where several
//! operator processes share the work; SQLite has one writer and takes its write turn), and marked
//! done so that a window's collection happens once.

use crate::schedule::Slot;
use crate::store::OperatorStore;
use mydata_store::prelude::*;
use mydata_store::{Backend, StoreResult};
use sqlx::Row;
use std::collections::HashMap;

/// A collection planned for one consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub customer_id: String,
    pub org_code: String,
    pub slot: Slot,
}

/// A planned collection this process holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lease {
    pub customer_id: String,
    pub org_code: String,
    pub cycle_window: String,
    /// How many times it was leased, this time included.
    pub attempts: i64,
}

impl Lease {
    /// The collection's journal run: whoever holds the lease next resumes from what it recorded.
    pub fn run_id(&self) -> String {
        format!("schedule/{}/{}/{}", self.cycle_window, self.org_code, self.customer_id)
    }
}

/// One row of the schedule, as tests and pages read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRow {
    pub customer_id: String,
    pub org_code: String,
    pub cycle_window: String,
    pub due_at: i64,
    pub attempts: i64,
    pub done_at: Option<i64>,
}

impl OperatorStore {
    /// Adds the collections not planned yet; returns how many were new.
    pub async fn plan(&self, planned: &[Planned]) -> StoreResult<u64> {
        let mut tx = self.sql().begin_write().await?;
        let mut added = 0;
        for p in planned {
            added += sqlx::query(
                "INSERT INTO op_schedule (customer_id, org_code, cycle_window, due_at, attempts)
                 VALUES ($1, $2, $3, $4, 0) ON CONFLICT (customer_id, org_code, cycle_window) DO NOTHING",
            )
            .bind(&p.customer_id)
            .bind(&p.org_code)
            .bind(&p.slot.cycle_window)
            .bind(p.slot.due_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Leases up to `limit` collections due at `now` that nobody holds (or whose holder's lease
    /// expired), to `owner` until `until`, earliest due first.
    pub async fn claim_due(&self, owner: &str, now: i64, until: i64, limit: usize) -> StoreResult<Vec<Lease>> {
        let skip_locked = match self.sql().backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE op_schedule SET leased_by = $1, lease_until = $2, attempts = attempts + 1
             WHERE (customer_id, org_code, cycle_window) IN (
               SELECT customer_id, org_code, cycle_window FROM op_schedule
               WHERE done_at IS NULL AND due_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
               ORDER BY due_at LIMIT $4 {skip_locked})
             RETURNING customer_id, org_code, cycle_window, attempts"
        );
        let _turn = self.sql().write_turn().await;
        let rows = sqlx::query(&sql)
            .bind(owner)
            .bind(until)
            .bind(now)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.sql().pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Lease {
                    customer_id: r.try_get("customer_id")?,
                    org_code: r.try_get("org_code")?,
                    cycle_window: r.try_get("cycle_window")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Extends every lease `owner` holds to `until`; returns how many it holds.
    pub async fn renew_leases(&self, owner: &str, until: i64) -> StoreResult<u64> {
        let _turn = self.sql().write_turn().await;
        let done = sqlx::query("UPDATE op_schedule SET lease_until = $2 WHERE leased_by = $1 AND done_at IS NULL")
            .bind(owner)
            .bind(until)
            .execute(self.sql().pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Marks a held collection done at `now`; false when the lease was lost (it expired and another
    /// process took it over).
    pub async fn finish_lease(&self, owner: &str, lease: &Lease, now: i64) -> StoreResult<bool> {
        self.settle(owner, lease, "done_at = $5, leased_by = NULL, lease_until = NULL", now).await
    }

    /// Gives a held collection back, due again at `due_at` (a retry, or the provider's next window).
    pub async fn release_lease(&self, owner: &str, lease: &Lease, due_at: i64) -> StoreResult<bool> {
        self.settle(owner, lease, "due_at = $5, leased_by = NULL, lease_until = NULL", due_at).await
    }

    async fn settle(&self, owner: &str, lease: &Lease, set: &str, at: i64) -> StoreResult<bool> {
        let _turn = self.sql().write_turn().await;
        let done = sqlx::query(&format!(
            "UPDATE op_schedule SET {set}
             WHERE customer_id = $1 AND org_code = $2 AND cycle_window = $3 AND leased_by = $4 AND done_at IS NULL"
        ))
        .bind(&lease.customer_id)
        .bind(&lease.org_code)
        .bind(&lease.cycle_window)
        .bind(owner)
        .bind(at)
        .execute(self.sql().pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many collections are due at `now` and not done, leased or not.
    pub async fn due_undone(&self, now: i64) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM op_schedule WHERE done_at IS NULL AND due_at <= $1")
            .bind(now)
            .fetch_one(self.sql().pool())
            .await?;
        Ok(n.max(0) as u64)
    }

    /// When each consent's collection last completed, by (customer, provider).
    pub async fn last_collections(&self) -> StoreResult<HashMap<(String, String), i64>> {
        let rows = sqlx::query(
            "SELECT customer_id, org_code, MAX(done_at) AS done_at FROM op_schedule WHERE done_at IS NOT NULL
             GROUP BY customer_id, org_code",
        )
        .fetch_all(self.sql().pool())
        .await?;
        rows.iter().map(|r| Ok(((r.try_get("customer_id")?, r.try_get("org_code")?), r.try_get("done_at")?))).collect()
    }

    /// The whole schedule, by consent then window.
    pub async fn schedule(&self) -> StoreResult<Vec<ScheduleRow>> {
        let rows = sqlx::query(
            "SELECT customer_id, org_code, cycle_window, due_at, attempts, done_at FROM op_schedule
             ORDER BY customer_id, org_code, due_at, cycle_window",
        )
        .fetch_all(self.sql().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ScheduleRow {
                    customer_id: r.try_get("customer_id")?,
                    org_code: r.try_get("org_code")?,
                    cycle_window: r.try_get("cycle_window")?,
                    due_at: r.try_get("due_at")?,
                    attempts: r.try_get("attempts")?,
                    done_at: r.try_get("done_at")?,
                })
            })
            .collect()
    }
}
