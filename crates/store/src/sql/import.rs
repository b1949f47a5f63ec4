//! [`ImportStore`] on SQL: a batch in one transaction, with upserts that leave a row stored as
//! given untouched (its stamp too), so that a re-import of the same data changes no stamp. On
//! PostgreSQL the batch runs on a native connection, whose COPY loads many rows ([`Writer`]).

use super::upsert::Upsert;
use super::writer::{CHUNK, TextRows, Writer};
use super::*;
use mydata_spec::ApiKind;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// [`ASSETS`](super::upsert::ASSETS) that updates only a changed asset.
static CHANGED_ASSETS: Upsert = Upsert::new(
    "assets",
    &["org_code", "list_api", "asset_key", "customer_id", "sort_key", "item", "updated_at"],
    "(org_code, list_api, asset_key) DO UPDATE SET customer_id = excluded.customer_id, \
     sort_key = excluded.sort_key, item = excluded.item, updated_at = excluded.updated_at \
     WHERE assets.item <> excluded.item OR assets.sort_key <> excluded.sort_key \
     OR assets.customer_id <> excluded.customer_id",
);

static CHANGED_DOCUMENTS: Upsert = Upsert::new(
    "documents",
    &["org_code", "api_id", "subject_key", "customer_id", "body", "updated_at"],
    "(org_code, api_id, subject_key) DO UPDATE SET customer_id = excluded.customer_id, \
     body = excluded.body, updated_at = excluded.updated_at \
     WHERE documents.body <> excluded.body OR documents.customer_id <> excluded.customer_id",
);

static CHANGED_HISTORY: Upsert = Upsert::new(
    "history",
    &["org_code", "api_id", "subject_key", "sort_key", "customer_id", "occurred", "body"],
    "(org_code, api_id, subject_key, sort_key) DO UPDATE SET customer_id = excluded.customer_id, \
     occurred = excluded.occurred, body = excluded.body \
     WHERE history.body <> excluded.body OR history.occurred <> excluded.occurred \
     OR history.customer_id <> excluded.customer_id",
);

static CHANGED_CUSTOMERS: Upsert = Upsert::new(
    "customers",
    &["org_code", "customer_id", "ci", "customer_name", "reg_date"],
    "(org_code, customer_id) DO UPDATE SET ci = excluded.ci, customer_name = excluded.customer_name, \
     reg_date = excluded.reg_date WHERE customers.ci <> excluded.ci \
     OR customers.customer_name <> excluded.customer_name OR customers.reg_date <> excluded.reg_date",
);

/// Stamps of lists that lost assets, beside their assets' ([`ImportStore::import`]).
static LIST_STAMPS: Upsert = Upsert::new(
    "list_stamps",
    &["org_code", "customer_id", "list_api", "changed_at"],
    "(org_code, customer_id, list_api) DO UPDATE SET changed_at = excluded.changed_at",
);

/// [`CHANGED_CUSTOMERS`] for customers whose record gave no reg_date: a stored one keeps theirs.
static UNDATED_CUSTOMERS: Upsert = Upsert::new(
    "customers",
    &["org_code", "customer_id", "ci", "customer_name", "reg_date"],
    "(org_code, customer_id) DO UPDATE SET ci = excluded.ci, customer_name = excluded.customer_name \
     WHERE customers.ci <> excluded.ci OR customers.customer_name <> excluded.customer_name",
);

/// `n` placeholders from `$first` on (anonymous `?` on SQLite, whose driver looks names up one by one).
fn placeholders(backend: Backend, first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| if backend == Backend::Sqlite { "?".to_owned() } else { format!("${i}") })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A subject whose stored entries changed: its stamps (the asset's, and the document's where the
/// API answers one) must move, or a collector's search_timestamp would get 00001.
#[derive(PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Subject {
    org_code: String,
    customer_id: String,
    api_id: String,
    subject_key: String,
}

impl Subject {
    fn of(mut returned: Vec<String>) -> Subject {
        let subject_key = returned.pop().unwrap_or_default();
        let api_id = returned.pop().unwrap_or_default();
        let customer_id = returned.pop().unwrap_or_default();
        let org_code = returned.pop().unwrap_or_default();
        Subject { org_code, customer_id, api_id, subject_key }
    }
}

/// Three returned columns as a key.
fn key3(mut returned: Vec<String>) -> (String, String, String) {
    let third = returned.pop().unwrap_or_default();
    let second = returned.pop().unwrap_or_default();
    (returned.pop().unwrap_or_default(), second, third)
}

/// What this batch wrote, by key, so that stamps it set already are not set again.
#[derive(Default)]
struct Written {
    /// (org_code, customer_id, asset_key) of assets written with the batch's stamp.
    assets: HashSet<(String, String, String)>,
    /// (org_code, api_id, subject_key) of documents written with it.
    documents: HashSet<(String, String, String)>,
    /// Subjects whose entries changed.
    histories: BTreeSet<Subject>,
}

async fn remove_customer(
    w: &mut Writer<'_>,
    org_code: &str,
    customer_id: &str,
    counts: &mut ImportCounts,
) -> StoreResult<()> {
    for table in ["history", "documents", "assets", "list_stamps", "customers"] {
        let sql = format!("DELETE FROM {table} WHERE org_code = $1 AND customer_id = $2");
        let done = w.execute(&sql, &[Param::Text(org_code), Param::Text(customer_id)]).await?;
        counts.rows_changed += done;
        if table == "customers" {
            counts.customers_removed += done;
        }
    }
    Ok(())
}

/// Rows of `table` (`columns` of each, all text) that the customers of `owners` have at
/// `org_code`, read a chunk of customers at a time.
async fn stored_of(
    w: &mut Writer<'_>,
    table: &str,
    columns: &str,
    org_code: &str,
    owners: &BTreeSet<&str>,
) -> StoreResult<TextRows> {
    let backend = w.backend();
    let owners: Vec<&str> = owners.iter().copied().collect();
    let mut rows = Vec::new();
    for chunk in owners.chunks(CHUNK) {
        let first = if backend == Backend::Sqlite { "?" } else { "$1" };
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE org_code = {first} AND customer_id IN ({})",
            placeholders(backend, 2, chunk.len())
        );
        let params: Vec<Param<'_>> = std::iter::once(org_code).chain(chunk.iter().copied()).map(Param::Text).collect();
        rows.extend(w.fetch(&sql, &params, columns.split(',').count()).await?);
    }
    Ok(rows)
}

/// Customers of each institution among `keys`.
fn owners_by_org<'a>(keys: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<&'a str, BTreeSet<&'a str>> {
    let mut owners: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (org_code, customer_id) in keys {
        owners.entry(org_code).or_default().insert(customer_id);
    }
    owners
}

async fn write_customers(w: &mut Writer<'_>, batch: &ImportBatch) -> StoreResult<u64> {
    let mut changed = 0;
    for (upsert, customers) in [(&CHANGED_CUSTOMERS, &batch.customers), (&UNDATED_CUSTOMERS, &batch.undated_customers)]
    {
        let rows: Vec<Vec<Param<'_>>> = customers
            .iter()
            .map(|c| {
                [&c.org_code, &c.customer_id, &c.ci, &c.customer_name, &c.reg_date].map(|t| Param::Text(t)).to_vec()
            })
            .collect();
        let written = w
            .upsert(upsert, &rows, "org_code")
            .await
            .map_err(|e| unique_conflict(e, "a customer's CI, held by another customer,"))?;
        changed += written.rows;
    }
    Ok(changed)
}

/// The customers of lists whose customer record is not in the batch must be stored; the reg_date
/// such a list gives becomes theirs.
async fn date_listed_customers(w: &mut Writer<'_>, batch: &ImportBatch) -> StoreResult<u64> {
    let in_batch: HashSet<(&str, &str)> = batch
        .customers
        .iter()
        .chain(&batch.undated_customers)
        .map(|c| (c.org_code.as_str(), c.customer_id.as_str()))
        .collect();
    let outside: Vec<&ListReplacement> =
        batch.lists.iter().filter(|l| !in_batch.contains(&(l.org_code.as_str(), l.customer_id.as_str()))).collect();
    let mut stored: HashMap<(String, String), String> = HashMap::new();
    for (org_code, owners) in owners_by_org(outside.iter().map(|l| (l.org_code.as_str(), l.customer_id.as_str()))) {
        for mut row in stored_of(w, "customers", "customer_id, reg_date", org_code, &owners).await? {
            let reg_date = row.pop().unwrap_or_default();
            stored.insert((org_code.to_owned(), row.pop().unwrap_or_default()), reg_date);
        }
    }
    let mut changed = 0;
    for list in outside {
        let key = (list.org_code.clone(), list.customer_id.clone());
        let Some(reg_date) = stored.get_mut(&key) else {
            return Err(StoreError::UnknownCustomer { org_code: key.0, customer_id: key.1 });
        };
        let Some(given) = list.reg_date.as_ref().filter(|given| *given != reg_date) else { continue };
        let params = [Param::Text(given), Param::Text(&list.org_code), Param::Text(&list.customer_id)];
        changed +=
            w.execute("UPDATE customers SET reg_date = $1 WHERE org_code = $2 AND customer_id = $3", &params).await?;
        reg_date.clone_from(given);
    }
    Ok(changed)
}

/// Deletes what the APIs describing the assets of `list_api` stored about the asset `asset_key`: its
/// subjects are the key, or the key and qualifiers after the separator (`key|…`). The prefix is
/// compared as text, not as a range (`>= 'key|' AND < 'key}'`), which a PostgreSQL database with a
/// locale's collation orders otherwise than by bytes.
async fn forget_asset(
    w: &mut Writer<'_>,
    org_code: &str,
    customer_id: &str,
    list_api: &str,
    asset_key: &str,
) -> StoreResult<u64> {
    let Some(list) = mydata_spec::catalogue::api(list_api) else { return Ok(0) };
    let describing: BTreeSet<&str> =
        list.industries.iter().flat_map(|&industry| list.detail_apis(industry)).map(|api| api.id).collect();
    let qualified = format!("{asset_key}{}", mydata_spec::subject::SEPARATOR);
    let mut forgotten = 0;
    for api_id in describing {
        for table in ["documents", "history"] {
            let sql = format!(
                "DELETE FROM {table} WHERE org_code = $1 AND api_id = $2 AND customer_id = $3 \
                 AND (subject_key = $4 OR substr(subject_key, 1, length($5)) = $5)"
            );
            let params = [org_code, api_id, customer_id, asset_key, &qualified].map(Param::Text);
            forgotten += w.execute(&sql, &params).await?;
        }
    }
    Ok(forgotten)
}

/// Replaces the lists: deletes the assets each list left out (with what was stored about them),
/// writes the changed ones, and stamps the lists that lost assets.
async fn write_lists(
    w: &mut Writer<'_>,
    lists: &[ListReplacement],
    now: i64,
    written: &mut Written,
) -> StoreResult<u64> {
    let mut changed = 0;
    let replaced: HashSet<(&str, &str, &str)> =
        lists.iter().map(|l| (l.org_code.as_str(), l.customer_id.as_str(), l.list_api.as_str())).collect();
    let kept: HashSet<(&str, &str, &str)> = lists
        .iter()
        .flat_map(|l| l.assets.iter().map(move |a| (l.org_code.as_str(), l.list_api.as_str(), a.asset_key.as_str())))
        .collect();
    let mut shrunk = BTreeSet::new();
    for (org_code, owners) in owners_by_org(lists.iter().map(|l| (l.org_code.as_str(), l.customer_id.as_str()))) {
        let stored = stored_of(w, "assets", "customer_id, list_api, asset_key", org_code, &owners).await?;
        for (customer_id, list_api, asset_key) in stored.into_iter().map(key3) {
            if !replaced.contains(&(org_code, customer_id.as_str(), list_api.as_str()))
                || kept.contains(&(org_code, list_api.as_str(), asset_key.as_str()))
            {
                continue;
            }
            let params = [org_code, &list_api, &asset_key].map(Param::Text);
            changed += w
                .execute("DELETE FROM assets WHERE org_code = $1 AND list_api = $2 AND asset_key = $3", &params)
                .await?;
            changed += forget_asset(w, org_code, &customer_id, &list_api, &asset_key).await?;
            shrunk.insert((org_code.to_owned(), customer_id, list_api));
        }
    }
    let assets: Vec<&AssetRow> = lists.iter().flat_map(|l| &l.assets).collect();
    let encoded: Vec<(String, String)> =
        assets.iter().map(|a| (sort_hex(&a.sort_key), wire_json_text(&a.item))).collect();
    let rows: Vec<Vec<Param<'_>>> = assets
        .iter()
        .zip(&encoded)
        .map(|(a, (sort_key, item))| {
            let mut row = [&a.org_code, &a.list_api, &a.asset_key, &a.customer_id, sort_key, item]
                .map(|t| Param::Text(t))
                .to_vec();
            row.push(Param::Int(now));
            row
        })
        .collect();
    let upserted = w.upsert(&CHANGED_ASSETS, &rows, "org_code, customer_id, asset_key").await?;
    written.assets.extend(upserted.keys.into_iter().map(key3));
    changed += upserted.rows;
    // A list that lost assets may keep none to carry its change: the list's own stamp does.
    let stamps: Vec<Vec<Param<'_>>> = shrunk
        .iter()
        .map(|(org_code, customer_id, list_api)| {
            vec![Param::Text(org_code), Param::Text(customer_id), Param::Text(list_api), Param::Int(now)]
        })
        .collect();
    w.upsert(&LIST_STAMPS, &stamps, "org_code").await?;
    Ok(changed)
}

async fn write_documents(
    w: &mut Writer<'_>,
    documents: &[Document],
    now: i64,
    written: &mut Written,
) -> StoreResult<u64> {
    let bodies: Vec<String> = documents.iter().map(|d| wire_json_text(&d.body)).collect();
    let rows: Vec<Vec<Param<'_>>> = documents
        .iter()
        .zip(&bodies)
        .map(|(d, body)| {
            let mut row =
                [&d.org_code, &d.api_id, &d.subject_key, &d.customer_id, body].map(|t| Param::Text(t)).to_vec();
            row.push(Param::Int(now));
            row
        })
        .collect();
    let upserted = w.upsert(&CHANGED_DOCUMENTS, &rows, "org_code, api_id, subject_key").await?;
    written.documents.extend(upserted.keys.into_iter().map(key3));
    Ok(upserted.rows)
}

/// Upserts entries (unique by key among themselves), noting the subjects whose entries changed.
async fn write_entries(w: &mut Writer<'_>, entries: &[&EncodedHistory], written: &mut Written) -> StoreResult<u64> {
    let rows: Vec<Vec<Param<'_>>> = entries
        .iter()
        .map(|h| {
            [&h.org_code, &h.api_id, &h.subject_key, &h.sort_key, &h.customer_id, &h.occurred, &h.body]
                .map(|t| Param::Text(t))
                .to_vec()
        })
        .collect();
    let upserted = w.upsert(&CHANGED_HISTORY, &rows, "org_code, customer_id, api_id, subject_key").await?;
    written.histories.extend(upserted.keys.into_iter().map(Subject::of));
    Ok(upserted.rows)
}

/// (org_code, api_id, subject_key, sort key as stored) of every entry of `histories`.
fn entry_keys(histories: &[HistoryReplacement]) -> HashSet<(&str, &str, &str, &str)> {
    histories
        .iter()
        .flat_map(|h| h.entries.iter().map(move |e| (&*h.org_code, &*h.api_id, &*h.subject_key, &*e.sort_key)))
        .collect()
}

/// Replaces whole histories: deletes the entries each left out, then writes the changed ones.
async fn write_histories(
    w: &mut Writer<'_>,
    histories: &[HistoryReplacement],
    written: &mut Written,
) -> StoreResult<u64> {
    let mut changed = 0;
    // Built only when some stored entry is of a replaced history: a first import has none.
    let mut kept: Option<HashSet<(&str, &str, &str, &str)>> = None;
    let replaced: HashMap<(&str, &str, &str), &HistoryReplacement> =
        histories.iter().map(|h| ((h.org_code.as_str(), h.api_id.as_str(), h.subject_key.as_str()), h)).collect();
    for (org_code, owners) in owners_by_org(histories.iter().map(|h| (h.org_code.as_str(), h.customer_id.as_str()))) {
        let stored = stored_of(w, "history", "api_id, subject_key, sort_key", org_code, &owners).await?;
        for (api_id, subject_key, sort_key) in stored.into_iter().map(key3) {
            let Some(history) = replaced.get(&(org_code, api_id.as_str(), subject_key.as_str())) else { continue };
            let kept = kept.get_or_insert_with(|| entry_keys(histories));
            if kept.contains(&(org_code, api_id.as_str(), subject_key.as_str(), sort_key.as_str())) {
                continue;
            }
            let params = [org_code, &api_id, &subject_key, &sort_key].map(Param::Text);
            changed += w
                .execute(
                    "DELETE FROM history WHERE org_code = $1 AND api_id = $2 AND subject_key = $3 AND sort_key = $4",
                    &params,
                )
                .await?;
            written.histories.insert(Subject {
                org_code: org_code.to_owned(),
                customer_id: history.customer_id.clone(),
                api_id,
                subject_key,
            });
        }
    }
    let entries: Vec<&EncodedHistory> = histories.iter().flat_map(|h| &h.entries).collect();
    changed += write_entries(w, &entries, written).await?;
    Ok(changed)
}

/// Moves the stamps of the subjects whose entries changed, where this batch did not write them:
/// the asset's (rows answered without a document take theirs) and the document's. Subjects that are
/// no asset (customer-level APIs) have no asset's stamp, APIs answering rows alone no document.
async fn restamp(w: &mut Writer<'_>, written: &Written, now: i64) -> StoreResult<()> {
    for changed in &written.histories {
        let api = mydata_spec::catalogue::api(&changed.api_id);
        let asset_key = changed.subject_key.split(mydata_spec::subject::SEPARATOR).next().unwrap_or_default();
        let asset = (changed.org_code.clone(), changed.customer_id.clone(), asset_key.to_owned());
        let of_asset = api.is_none_or(|api| api.resource_key().is_some());
        if of_asset && !written.assets.contains(&asset) {
            let params = [
                Param::Int(now),
                Param::Text(&changed.org_code),
                Param::Text(&changed.customer_id),
                Param::Text(asset_key),
            ];
            w.execute(
                "UPDATE assets SET updated_at = $1 WHERE org_code = $2 AND customer_id = $3 AND asset_key = $4 \
                 AND updated_at < $1",
                &params,
            )
            .await?;
        }
        let document = (changed.org_code.clone(), changed.api_id.clone(), changed.subject_key.clone());
        let with_document = api.is_none_or(|api| api.kind() != ApiKind::Rows { with_document: false });
        if with_document && !written.documents.contains(&document) {
            let params = [
                Param::Int(now),
                Param::Text(&changed.org_code),
                Param::Text(&changed.api_id),
                Param::Text(&changed.subject_key),
            ];
            w.execute(
                "UPDATE documents SET updated_at = $1 WHERE org_code = $2 AND api_id = $3 AND subject_key = $4 \
                 AND updated_at < $1",
                &params,
            )
            .await?;
        }
    }
    Ok(())
}

async fn write_batch(w: &mut Writer<'_>, batch: &ImportBatch, now: i64) -> StoreResult<ImportCounts> {
    let mut counts = ImportCounts::default();
    for (org_code, customer_id) in &batch.removals {
        remove_customer(w, org_code, customer_id, &mut counts).await?;
    }
    let mut written = Written::default();
    counts.rows_changed += write_customers(w, batch).await?;
    counts.rows_changed += date_listed_customers(w, batch).await?;
    counts.rows_changed += write_lists(w, &batch.lists, now, &mut written).await?;
    counts.rows_changed += write_documents(w, &batch.documents, now, &mut written).await?;
    counts.rows_changed += write_histories(w, &batch.histories, &mut written).await?;
    let entries: Vec<&EncodedHistory> = batch.entries.iter().collect();
    counts.rows_changed += write_entries(w, &entries, &mut written).await?;
    restamp(w, &written, now).await?;
    Ok(counts)
}

/// Runs `write` on the calling thread; on a multi-threaded runtime its other tasks move to other
/// threads meanwhile (a large batch writes for seconds).
fn on_this_thread<T>(write: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|runtime| runtime.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(write),
        _ => write(),
    }
}

/// The result of a batch written through [`Writer::Local`], whose statements never wait: its
/// future is ready the first time it is asked.
fn run_to_end<T>(write: impl Future<Output = T>) -> T {
    let mut write = std::pin::pin!(write);
    match write.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(done) => done,
        std::task::Poll::Pending => unreachable!("a SQLite file's import writes on the calling thread"),
    }
}

/// A transaction a batch is written in, on one of [`Writer`]'s connections.
trait BatchTransaction {
    fn writer(&mut self) -> Writer<'_>;
    async fn commit(self) -> StoreResult<()>;
    async fn roll_back(self);
}

impl BatchTransaction for sqlx::Transaction<'_, sqlx::Postgres> {
    fn writer(&mut self) -> Writer<'_> {
        Writer::Postgres(self)
    }

    async fn commit(self) -> StoreResult<()> {
        Ok(sqlx::Transaction::commit(self).await?)
    }

    async fn roll_back(self) {
        let _ = self.rollback().await;
    }
}

/// sqlx's `Any` connection, for a SQLite database in memory.
struct AnyTransaction(WriteTransaction, Backend);

impl BatchTransaction for AnyTransaction {
    fn writer(&mut self) -> Writer<'_> {
        Writer::Any(&mut self.0, self.1)
    }

    async fn commit(self) -> StoreResult<()> {
        Ok(self.0.commit().await?)
    }

    async fn roll_back(self) {
        let _ = self.0.rollback().await;
    }
}

/// A SQLite file's import connection, in a transaction it began.
struct LocalTransaction<'c>(&'c mut rusqlite::Connection);

impl<'c> LocalTransaction<'c> {
    fn begin(conn: &'c mut rusqlite::Connection) -> StoreResult<LocalTransaction<'c>> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(LocalTransaction(conn))
    }
}

impl BatchTransaction for LocalTransaction<'_> {
    fn writer(&mut self) -> Writer<'_> {
        Writer::Local(self.0)
    }

    async fn commit(self) -> StoreResult<()> {
        Ok(self.0.execute_batch("COMMIT")?)
    }

    async fn roll_back(self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

/// Writes `batch` in `tx` and commits it, or rolls it back when the batch is refused. The rollback
/// comes before the connection goes back to its pool: one left to the transaction's drop waits
/// for the connection's next use, holding the batch's locks (a schema drop after a refused import
/// waited on them for good).
async fn all_or_nothing(mut tx: impl BatchTransaction, batch: &ImportBatch, now: i64) -> StoreResult<ImportCounts> {
    let written = write_batch(&mut tx.writer(), batch, now).await;
    match written {
        Ok(counts) => tx.commit().await.map(|()| counts),
        Err(refused) => {
            tx.roll_back().await;
            Err(refused)
        }
    }
}

#[async_trait]
impl ImportStore for SqlStore {
    async fn import(&self, batch: &ImportBatch, now: i64) -> StoreResult<ImportCounts> {
        if let Some(imports) = &self.imports {
            return all_or_nothing(imports.begin().await?, batch, now).await;
        }
        if let Reads::Local(local) = self.reads.as_ref() {
            let _turn = self.write_turn().await;
            return on_this_thread(|| {
                local.with_import_connection(|conn| {
                    run_to_end(all_or_nothing(LocalTransaction::begin(conn)?, batch, now))
                })?
            });
        }
        all_or_nothing(AnyTransaction(self.begin_write().await?, self.backend), batch, now).await
    }

    async fn import_finished(&self, rows_changed: u64) -> StoreResult<bool> {
        match self.reads.as_ref() {
            Reads::Postgres(_) => statistics::refresh_after(&mut *self.pool.acquire().await?, rows_changed).await,
            // SQLite plans without statistics unless ANALYZE made some, which it then keeps.
            Reads::Local(local) => {
                local.close_import_connection();
                Ok(false)
            }
            Reads::Pool(_) => Ok(false),
        }
    }

    async fn org_codes(&self) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT org_code FROM customers ORDER BY org_code")
            .fetch_all(&self.pool)
            .await?)
    }

    async fn export_customer(&self, org_code: &str, customer_id: &str) -> StoreResult<CustomerExport> {
        let customer = self.customer(org_code, customer_id).await?;
        let assets = sqlx::query(
            "SELECT list_api, asset_key, sort_key, item, updated_at FROM assets \
             WHERE org_code = $1 AND customer_id = $2 ORDER BY list_api, sort_key",
        )
        .bind(org_code)
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(AssetRow {
                org_code: org_code.to_owned(),
                list_api: row.try_get(0)?,
                asset_key: row.try_get(1)?,
                customer_id: customer_id.to_owned(),
                sort_key: sort_unhex(&row.try_get::<String, _>(2)?)?,
                item: parse_json(&row.try_get::<String, _>(3)?, "asset item")?,
                updated_at: row.try_get(4)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let documents = sqlx::query(
            "SELECT api_id, subject_key, body, updated_at FROM documents \
             WHERE org_code = $1 AND customer_id = $2 ORDER BY api_id, subject_key",
        )
        .bind(org_code)
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(Document {
                org_code: org_code.to_owned(),
                api_id: row.try_get(0)?,
                subject_key: row.try_get(1)?,
                customer_id: customer_id.to_owned(),
                body: parse_json(&row.try_get::<String, _>(2)?, "document body")?,
                updated_at: row.try_get(3)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let history = sqlx::query(
            "SELECT api_id, subject_key, sort_key, occurred, body FROM history \
             WHERE org_code = $1 AND customer_id = $2 ORDER BY api_id, subject_key, sort_key DESC",
        )
        .bind(org_code)
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(HistoryRow {
                org_code: org_code.to_owned(),
                api_id: row.try_get(0)?,
                subject_key: row.try_get(1)?,
                sort_key: sort_unhex(&row.try_get::<String, _>(2)?)?,
                customer_id: customer_id.to_owned(),
                occurred: row.try_get(3)?,
                body: parse_json(&row.try_get::<String, _>(4)?, "history entry")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        Ok(CustomerExport { customer, assets, documents, history })
    }
}
