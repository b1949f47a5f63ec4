//! The operator's own tables on the shared [`SqlStore`] pool: the same portable SQL on SQLite and
//! PostgreSQL, as the rest of the store (docs/spec-decisions.md, Storage). Their migrations sit
//! beside this file's SQL, in `crates/collector/migrations`; the store runs them with its own.

use mydata_client::{StopReason, Tokens};
use mydata_store::{SqlStore, StoreError, StoreResult};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashSet;

/// A provider the operator collects from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    pub org_code: String,
    pub industry: String,
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
}

/// What 공통-002 said about a consent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsentInfo {
    pub is_scheduled: Option<bool>,
    pub fnd_cycle: Option<String>,
    pub add_cycle: Option<String>,
    /// YYYYMMDD.
    pub end_date: Option<String>,
}

/// One customer's consent at one provider, with its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub customer_id: String,
    pub org_code: String,
    pub tokens: Tokens,
    pub consent: ConsentInfo,
    pub first_collected_at: Option<i64>,
    /// When the customer gave the consent (Unix seconds).
    pub consented_at: Option<i64>,
    /// `revoked`, `consent-ended`, `refresh-expired` (see [`StopReason::code`]).
    pub stop_reason: Option<String>,
    pub stop_detail: Option<String>,
    /// When collection stopped (Unix seconds).
    pub stopped_at: Option<i64>,
}

/// A consent as 지원-103 describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveConsent {
    /// The provider's org_code.
    pub org_code: String,
    /// The operator's service the consent was given to.
    pub client_id: String,
    pub scope: String,
    /// YYYYMMDD (Korean date) the customer gave it.
    pub consent_date: String,
    /// YYYYMMDD, as 공통-002's end_date.
    pub consent_end_date: String,
}

/// Unix seconds as a Korean date, YYYYMMDD.
fn korean_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| mydata_spec::time::korean_date(t).format("%Y%m%d").to_string())
        .unwrap_or_default()
}

/// One stored item.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    pub api_id: String,
    pub subject_key: String,
    pub item_key: String,
    pub body: Value,
}

/// Identifies one unit of collection work: one API about one subject of one customer's consent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnitKey {
    pub customer_id: String,
    pub org_code: String,
    pub api_id: String,
    pub subject_key: String,
}

/// How a unit's items replace what was stored before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// The answer is the whole truth about the subject: items no longer in it are removed.
    Set,
    /// The answer covers a period only: items are added or updated, never removed.
    Add,
}

/// Everything a successful unit stores, written in one transaction with its journal row.
#[derive(Debug, Clone)]
pub struct UnitCommit<'a> {
    pub run_id: &'a str,
    pub key: &'a UnitKey,
    /// None when the provider answered 00001 (nothing changed): the stored items stand.
    pub items: Option<(Replace, Vec<(String, Value)>)>,
    pub search_timestamp: Option<String>,
    /// Last day whose history is now complete (YYYYMMDD).
    pub collected_to: Option<String>,
    /// The cycle window to count a scheduled transmission in.
    pub periodic_window: Option<String>,
    pub calls: u32,
    pub rsp_code: &'a str,
    pub now: i64,
}

/// Outcome of a unit as the journal records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Skipped,
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }
}

/// Why a unit stored nothing.
#[derive(Debug, Clone, Copy)]
pub struct UnitNote<'a> {
    pub outcome: Outcome,
    pub rsp_code: Option<&'a str>,
    pub detail: &'a str,
    pub calls: u32,
}

/// The operator's store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OperatorStore {
    store: SqlStore,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn link_from(row: &AnyRow) -> StoreResult<LinkRow> {
    Ok(LinkRow {
        customer_id: row.try_get("customer_id")?,
        org_code: row.try_get("org_code")?,
        tokens: Tokens {
            access_token: row.try_get("access_token")?,
            access_expires_at: row.try_get("access_expires_at")?,
            refresh_token: row.try_get("refresh_token")?,
            refresh_expires_at: row.try_get("refresh_expires_at")?,
            scope: row.try_get("scope")?,
        },
        consent: ConsentInfo {
            is_scheduled: row.try_get::<Option<i64>, _>("is_scheduled")?.map(|v| v != 0),
            fnd_cycle: row.try_get("fnd_cycle")?,
            add_cycle: row.try_get("add_cycle")?,
            end_date: row.try_get("end_date")?,
        },
        first_collected_at: row.try_get("first_collected_at")?,
        consented_at: row.try_get("consented_at")?,
        stop_reason: row.try_get("stop_reason")?,
        stop_detail: row.try_get("stop_detail")?,
        stopped_at: row.try_get("stopped_at")?,
    })
}

impl OperatorStore {
    /// Opens (and migrates) the operator's database.
    pub async fn open(url: &str) -> StoreResult<OperatorStore> {
        Ok(OperatorStore::on(&SqlStore::open(url).await?))
    }

    /// The operator's tables on an open store (migrations 0006 and 0008 ran when it opened).
    pub fn on(store: &SqlStore) -> OperatorStore {
        OperatorStore { store: store.clone() }
    }

    /// The whole store underneath: the tables every participant shares (registry copy, call
    /// statistics, support settings).
    pub fn sql(&self) -> &SqlStore {
        &self.store
    }

    pub async fn upsert_provider(&self, p: &ProviderRow, now: i64) -> StoreResult<()> {
        let _turn = self.store.write_turn().await;
        sqlx::query(
            "INSERT INTO op_providers (org_code, industry, base_url, client_id, client_secret, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (org_code) DO UPDATE SET industry = excluded.industry, base_url = excluded.base_url,
               client_id = excluded.client_id, client_secret = excluded.client_secret, updated_at = excluded.updated_at",
        )
        .bind(&p.org_code)
        .bind(&p.industry)
        .bind(&p.base_url)
        .bind(&p.client_id)
        .bind(&p.client_secret)
        .bind(now)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// Forgets a provider; returns whether it was known.
    pub async fn remove_provider(&self, org_code: &str) -> StoreResult<bool> {
        let _turn = self.store.write_turn().await;
        let done = sqlx::query("DELETE FROM op_providers WHERE org_code = $1")
            .bind(org_code)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn providers(&self) -> StoreResult<Vec<ProviderRow>> {
        let rows = sqlx::query("SELECT * FROM op_providers ORDER BY org_code").fetch_all(self.store.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(ProviderRow {
                    org_code: r.try_get("org_code")?,
                    industry: r.try_get("industry")?,
                    base_url: r.try_get("base_url")?,
                    client_id: r.try_get("client_id")?,
                    client_secret: r.try_get("client_secret")?,
                })
            })
            .collect()
    }

    /// Records a new consent's tokens (after 개별인증-002), given at `now`; a consent given again
    /// restarts collection and forgets what 공통-002 said about the one it replaces, and every cursor
    /// of the link: the new consent may mark other assets, and its lists answer anew (ch.2.1).
    pub async fn upsert_link(&self, customer_id: &str, org_code: &str, tokens: &Tokens, now: i64) -> StoreResult<()> {
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO op_links (customer_id, org_code, access_token, access_expires_at, refresh_token,
               refresh_expires_at, scope, updated_at, consented_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
             ON CONFLICT (customer_id, org_code) DO UPDATE SET access_token = excluded.access_token,
               access_expires_at = excluded.access_expires_at, refresh_token = excluded.refresh_token,
               refresh_expires_at = excluded.refresh_expires_at, scope = excluded.scope,
               first_collected_at = NULL, stop_reason = NULL, stop_detail = NULL, stopped_at = NULL,
               is_scheduled = NULL, fnd_cycle = NULL, add_cycle = NULL, end_date = NULL,
               consented_at = excluded.consented_at, updated_at = excluded.updated_at",
        )
        .bind(customer_id)
        .bind(org_code)
        .bind(&tokens.access_token)
        .bind(tokens.access_expires_at)
        .bind(&tokens.refresh_token)
        .bind(tokens.refresh_expires_at)
        .bind(&tokens.scope)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM op_cursors WHERE customer_id = $1 AND org_code = $2")
            .bind(customer_id)
            .bind(org_code)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every customer's consents, by provider then customer.
    pub async fn links(&self) -> StoreResult<Vec<LinkRow>> {
        let rows =
            sqlx::query("SELECT * FROM op_links ORDER BY org_code, customer_id").fetch_all(self.store.pool()).await?;
        rows.iter().map(link_from).collect()
    }

    /// Whether the customer ever gave a consent here (a link, live or stopped): whom the operator's
    /// dashboard and read API know. The links of a customer who left stay, stopped.
    pub async fn has_links(&self, customer_id: &str) -> StoreResult<bool> {
        let found = sqlx::query("SELECT 1 FROM op_links WHERE customer_id = $1 LIMIT 1")
            .bind(customer_id)
            .fetch_optional(self.store.pool())
            .await?;
        Ok(found.is_some())
    }

    pub async fn link(&self, customer_id: &str, org_code: &str) -> StoreResult<Option<LinkRow>> {
        let row = sqlx::query("SELECT * FROM op_links WHERE customer_id = $1 AND org_code = $2")
            .bind(customer_id)
            .bind(org_code)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(link_from).transpose()
    }

    pub async fn save_tokens(&self, customer_id: &str, org_code: &str, tokens: &Tokens, now: i64) -> StoreResult<()> {
        self.save_tokens_over(customer_id, org_code, None, tokens, now).await.map(drop)
    }

    /// Saves `tokens` for the link, only while it holds the pair whose refresh token is `held`
    /// (`None`: whatever it holds); whether it did.
    pub(crate) async fn save_tokens_over(
        &self,
        customer_id: &str,
        org_code: &str,
        held: Option<&str>,
        tokens: &Tokens,
        now: i64,
    ) -> StoreResult<bool> {
        let _turn = self.store.write_turn().await;
        let done = sqlx::query(
            "UPDATE op_links SET access_token = $3, access_expires_at = $4, refresh_token = $5,
               refresh_expires_at = $6, scope = $7, updated_at = $8
             WHERE customer_id = $1 AND org_code = $2 AND refresh_token = COALESCE($9, refresh_token)",
        )
        .bind(customer_id)
        .bind(org_code)
        .bind(&tokens.access_token)
        .bind(tokens.access_expires_at)
        .bind(&tokens.refresh_token)
        .bind(tokens.refresh_expires_at)
        .bind(&tokens.scope)
        .bind(now)
        .bind(held)
        .execute(self.store.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn stop_link(&self, customer_id: &str, org_code: &str, reason: &StopReason, now: i64) -> StoreResult<()> {
        self.stop_link_over(customer_id, org_code, None, reason, now).await.map(drop)
    }

    /// Stops the link, only while it holds the pair whose refresh token is `held` (`None`: whatever
    /// it holds); whether it did.
    pub(crate) async fn stop_link_over(
        &self,
        customer_id: &str,
        org_code: &str,
        held: Option<&str>,
        reason: &StopReason,
        now: i64,
    ) -> StoreResult<bool> {
        let _turn = self.store.write_turn().await;
        let done = sqlx::query(
            "UPDATE op_links SET stop_reason = $3, stop_detail = $4, stopped_at = $5, updated_at = $5
             WHERE customer_id = $1 AND org_code = $2 AND refresh_token = COALESCE($6, refresh_token)",
        )
        .bind(customer_id)
        .bind(org_code)
        .bind(reason.code())
        .bind(reason.to_string())
        .bind(now)
        .bind(held)
        .execute(self.store.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn set_consent_info(&self, customer_id: &str, org_code: &str, info: &ConsentInfo) -> StoreResult<()> {
        let _turn = self.store.write_turn().await;
        sqlx::query(
            "UPDATE op_links SET is_scheduled = $3, fnd_cycle = $4, add_cycle = $5, end_date = $6
             WHERE customer_id = $1 AND org_code = $2",
        )
        .bind(customer_id)
        .bind(org_code)
        .bind(info.is_scheduled.map(i64::from))
        .bind(&info.fnd_cycle)
        .bind(&info.add_cycle)
        .bind(&info.end_date)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    pub async fn mark_first_collected(&self, customer_id: &str, org_code: &str, now: i64) -> StoreResult<()> {
        let _turn = self.store.write_turn().await;
        sqlx::query(
            "UPDATE op_links SET first_collected_at = $3 WHERE customer_id = $1 AND org_code = $2
               AND first_collected_at IS NULL",
        )
        .bind(customer_id)
        .bind(org_code)
        .bind(now)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// The search_timestamp and the last complete history day of a resource.
    pub async fn cursor(&self, key: &UnitKey) -> StoreResult<(Option<String>, Option<String>)> {
        let row = sqlx::query(
            "SELECT search_timestamp, collected_to FROM op_cursors
             WHERE customer_id = $1 AND org_code = $2 AND api_id = $3 AND subject_key = $4",
        )
        .bind(&key.customer_id)
        .bind(&key.org_code)
        .bind(&key.api_id)
        .bind(&key.subject_key)
        .fetch_optional(self.store.pool())
        .await?;
        match row {
            Some(r) => Ok((r.try_get("search_timestamp")?, r.try_get("collected_to")?)),
            None => Ok((None, None)),
        }
    }

    /// Scheduled calls already made for a resource in a cycle window.
    pub async fn periodic_calls(&self, key: &UnitKey, window: &str) -> StoreResult<u64> {
        let calls: Option<i64> = sqlx::query_scalar(
            "SELECT calls FROM op_periodic_usage WHERE customer_id = $1 AND org_code = $2 AND api_id = $3
               AND subject_key = $4 AND cycle_window = $5",
        )
        .bind(&key.customer_id)
        .bind(&key.org_code)
        .bind(&key.api_id)
        .bind(&key.subject_key)
        .bind(window)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(calls.unwrap_or(0).max(0) as u64)
    }

    /// Stores a successful unit: items, cursor, periodic usage and journal, all or nothing.
    /// Returns how many rows were inserted, changed or removed.
    pub async fn commit_unit(&self, c: &UnitCommit<'_>) -> StoreResult<u64> {
        let k = c.key;
        let mut tx = self.store.begin_write().await?;
        let mut changed = 0;
        if let Some((replace, items)) = &c.items {
            for (item_key, body) in items {
                changed += sqlx::query(
                    "INSERT INTO op_resources (customer_id, org_code, api_id, subject_key, item_key, body, collected_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (customer_id, org_code, api_id, subject_key, item_key)
                     DO UPDATE SET body = excluded.body, collected_at = excluded.collected_at
                     WHERE op_resources.body <> excluded.body",
                )
                .bind(&k.customer_id)
                .bind(&k.org_code)
                .bind(&k.api_id)
                .bind(&k.subject_key)
                .bind(item_key)
                .bind(body.to_string())
                .bind(c.now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            if *replace == Replace::Set {
                let kept: HashSet<&str> = items.iter().map(|(key, _)| key.as_str()).collect();
                let stored: Vec<String> = sqlx::query_scalar(
                    "SELECT item_key FROM op_resources WHERE customer_id = $1 AND org_code = $2 AND api_id = $3
                       AND subject_key = $4",
                )
                .bind(&k.customer_id)
                .bind(&k.org_code)
                .bind(&k.api_id)
                .bind(&k.subject_key)
                .fetch_all(&mut *tx)
                .await?;
                for gone in stored.iter().filter(|s| !kept.contains(s.as_str())) {
                    changed += sqlx::query(
                        "DELETE FROM op_resources WHERE customer_id = $1 AND org_code = $2 AND api_id = $3
                           AND subject_key = $4 AND item_key = $5",
                    )
                    .bind(&k.customer_id)
                    .bind(&k.org_code)
                    .bind(&k.api_id)
                    .bind(&k.subject_key)
                    .bind(gone)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
            }
        }
        if c.search_timestamp.is_some() || c.collected_to.is_some() {
            sqlx::query(
                "INSERT INTO op_cursors (customer_id, org_code, api_id, subject_key, search_timestamp, collected_to, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (customer_id, org_code, api_id, subject_key) DO UPDATE SET
                   search_timestamp = COALESCE(excluded.search_timestamp, op_cursors.search_timestamp),
                   collected_to = COALESCE(excluded.collected_to, op_cursors.collected_to),
                   updated_at = excluded.updated_at",
            )
            .bind(&k.customer_id)
            .bind(&k.org_code)
            .bind(&k.api_id)
            .bind(&k.subject_key)
            .bind(&c.search_timestamp)
            .bind(&c.collected_to)
            .bind(c.now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(window) = &c.periodic_window {
            sqlx::query(
                "INSERT INTO op_periodic_usage (customer_id, org_code, api_id, subject_key, cycle_window, calls)
                 VALUES ($1, $2, $3, $4, $5, 1)
                 ON CONFLICT (customer_id, org_code, api_id, subject_key, cycle_window)
                 DO UPDATE SET calls = op_periodic_usage.calls + 1",
            )
            .bind(&k.customer_id)
            .bind(&k.org_code)
            .bind(&k.api_id)
            .bind(&k.subject_key)
            .bind(window)
            .execute(&mut *tx)
            .await?;
        }
        journal(&mut tx, c.run_id, k, Outcome::Done, Some(c.rsp_code), None, c.calls, changed, c.now).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Records a unit that stored nothing: skipped (allowance used) or failed (with the rsp_code).
    pub async fn record_unit(&self, run_id: &str, key: &UnitKey, note: &UnitNote<'_>, now: i64) -> StoreResult<()> {
        let mut tx = self.store.begin_write().await?;
        journal(&mut tx, run_id, key, note.outcome, note.rsp_code, Some(note.detail), note.calls, 0, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The run to continue: the last interrupted one, or a new one. Returns its id and whether it resumes.
    pub async fn open_run(&self, now: i64) -> StoreResult<(String, bool)> {
        if let Some(run_id) = self.unfinished_run().await? {
            return Ok((run_id, true));
        }
        let run_id = uuid::Uuid::new_v4().simple().to_string();
        let _turn = self.store.write_turn().await;
        sqlx::query("INSERT INTO op_runs (run_id, started_at) VALUES ($1, $2)")
            .bind(&run_id)
            .bind(now)
            .execute(self.store.pool())
            .await?;
        Ok((run_id, false))
    }

    /// The run a crash interrupted (or that is running now), if any.
    pub async fn unfinished_run(&self) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT run_id FROM op_runs WHERE finished_at IS NULL ORDER BY started_at DESC, run_id LIMIT 1",
        )
        .fetch_optional(self.store.pool())
        .await?)
    }

    /// Units of a run that need no more work (done or skipped).
    pub async fn settled_units(&self, run_id: &str) -> StoreResult<HashSet<UnitKey>> {
        let rows = sqlx::query(
            "SELECT customer_id, org_code, api_id, subject_key FROM op_journal
             WHERE run_id = $1 AND outcome <> 'failed'",
        )
        .bind(run_id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UnitKey {
                    customer_id: r.try_get("customer_id")?,
                    org_code: r.try_get("org_code")?,
                    api_id: r.try_get("api_id")?,
                    subject_key: r.try_get("subject_key")?,
                })
            })
            .collect()
    }

    /// Journal rows of a run whose outcome is `outcome`.
    pub async fn journal_count(&self, run_id: &str, outcome: Outcome) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM op_journal WHERE run_id = $1 AND outcome = $2")
            .bind(run_id)
            .bind(outcome.as_str())
            .fetch_one(self.store.pool())
            .await?;
        Ok(n.max(0) as u64)
    }

    /// Units of a run that failed, with the rsp_code (or other label) and what was said.
    pub async fn failures(&self, run_id: &str) -> StoreResult<Vec<(UnitKey, Option<String>, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT customer_id, org_code, api_id, subject_key, rsp_code, detail FROM op_journal
             WHERE run_id = $1 AND outcome = 'failed' ORDER BY org_code, customer_id, api_id, subject_key",
        )
        .bind(run_id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let key = UnitKey {
                    customer_id: r.try_get("customer_id")?,
                    org_code: r.try_get("org_code")?,
                    api_id: r.try_get("api_id")?,
                    subject_key: r.try_get("subject_key")?,
                };
                Ok((key, r.try_get("rsp_code")?, r.try_get("detail")?))
            })
            .collect()
    }

    pub async fn finish_run(&self, run_id: &str, summary: &Value, now: i64) -> StoreResult<()> {
        let _turn = self.store.write_turn().await;
        sqlx::query("UPDATE op_runs SET finished_at = $2, summary = $3 WHERE run_id = $1")
            .bind(run_id)
            .bind(now)
            .bind(summary.to_string())
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Notes the CI (연계정보) of a customer, by which the portal asks for their consents (지원-103).
    pub async fn set_customer_ci(&self, customer_id: &str, ci: &str, now: i64) -> StoreResult<()> {
        let _turn = self.store.write_turn().await;
        sqlx::query(
            "INSERT INTO op_customers (customer_id, ci, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (customer_id) DO UPDATE SET ci = excluded.ci, updated_at = excluded.updated_at",
        )
        .bind(customer_id)
        .bind(ci)
        .bind(now)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// The customer whose CI is `ci`, if they are a customer (a member) of this operator.
    pub async fn customer_of_ci(&self, ci: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("SELECT customer_id FROM op_customers WHERE ci = $1")
            .bind(ci)
            .fetch_optional(self.store.pool())
            .await?)
    }

    /// A customer's consents that are valid on `today` (YYYYMMDD, Korean date): not stopped
    /// (revoked, ended, expired) and not past their end date, by service then provider.
    pub async fn live_consents(&self, customer_id: &str, today: &str) -> StoreResult<Vec<LiveConsent>> {
        let rows = sqlx::query(
            "SELECT l.org_code, p.client_id, l.scope, l.consented_at, l.updated_at, l.end_date, l.refresh_expires_at
             FROM op_links l JOIN op_providers p ON p.org_code = l.org_code
             WHERE l.customer_id = $1 AND l.stop_reason IS NULL
             ORDER BY p.client_id, l.org_code",
        )
        .bind(customer_id)
        .fetch_all(self.store.pool())
        .await?;
        let mut live = Vec::with_capacity(rows.len());
        for r in &rows {
            let consented_at: Option<i64> = r.try_get("consented_at")?;
            let consented_at = match consented_at {
                Some(at) => at,
                None => r.try_get("updated_at")?,
            };
            // Until 공통-002 was read, the refresh token's expiry, which never outlives the consent (ch.2.2).
            let end_date = match r.try_get::<Option<String>, _>("end_date")? {
                Some(date) => date,
                None => korean_date(r.try_get("refresh_expires_at")?),
            };
            if end_date.as_str() < today {
                continue;
            }
            live.push(LiveConsent {
                org_code: r.try_get("org_code")?,
                client_id: r.try_get("client_id")?,
                scope: r.try_get("scope")?,
                consent_date: korean_date(consented_at),
                consent_end_date: end_date,
            });
        }
        Ok(live)
    }

    /// Everything collected for one customer at one provider, by API, subject and item.
    pub async fn resources(&self, customer_id: &str, org_code: &str) -> StoreResult<Vec<ResourceRow>> {
        let rows = sqlx::query(
            "SELECT api_id, subject_key, item_key, body FROM op_resources WHERE customer_id = $1 AND org_code = $2
             ORDER BY api_id, subject_key, item_key",
        )
        .bind(customer_id)
        .bind(org_code)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                Ok(ResourceRow {
                    api_id: r.try_get("api_id")?,
                    subject_key: r.try_get("subject_key")?,
                    item_key: r.try_get("item_key")?,
                    body: serde_json::from_str(&body).map_err(|e| corrupt("collected body", e))?,
                })
            })
            .collect()
    }
}

// One journal row per unit; a resumed run overwrites a failed attempt.
#[allow(clippy::too_many_arguments)]
async fn journal(
    tx: &mut sqlx::AnyConnection,
    run_id: &str,
    k: &UnitKey,
    outcome: Outcome,
    rsp_code: Option<&str>,
    detail: Option<&str>,
    calls: u32,
    changed: u64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO op_journal (run_id, customer_id, org_code, api_id, subject_key, outcome, rsp_code, detail,
           calls, rows_changed, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (run_id, customer_id, org_code, api_id, subject_key) DO UPDATE SET outcome = excluded.outcome,
           rsp_code = excluded.rsp_code, detail = excluded.detail, calls = op_journal.calls + excluded.calls,
           rows_changed = excluded.rows_changed, finished_at = excluded.finished_at",
    )
    .bind(run_id)
    .bind(&k.customer_id)
    .bind(&k.org_code)
    .bind(&k.api_id)
    .bind(&k.subject_key)
    .bind(outcome.as_str())
    .bind(rsp_code)
    .bind(detail)
    .bind(i64::from(calls))
    .bind(changed as i64)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}
