//! [`ImportStore`] on SQL: a batch in one transaction, with upserts that leave a row stored as
//! given untouched (its stamp too), so that a re-import of the same data changes no stamp.

use super::upsert::Upsert;
use super::*;
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

type Tx = sqlx::AnyConnection;

/// Rows per multi-row statement: 500 × 7 columns stays far below both databases' parameter limits.
const CHUNK: usize = 500;

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

async fn remove_customer(tx: &mut Tx, org_code: &str, customer_id: &str, counts: &mut ImportCounts) -> StoreResult<()> {
    for table in ["history", "documents", "assets", "customers"] {
        let done = sqlx::query(&format!("DELETE FROM {table} WHERE org_code = $1 AND customer_id = $2"))
            .bind(org_code)
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        counts.rows_changed += done.rows_affected();
        if table == "customers" {
            counts.customers_removed += done.rows_affected();
        }
    }
    Ok(())
}

/// Rows of `table` (`columns` of each) that the customers of `owners` have at `org_code`, read a
/// chunk of customers at a time.
async fn stored_of(
    tx: &mut Tx,
    backend: Backend,
    table: &str,
    columns: &str,
    org_code: &str,
    owners: &BTreeSet<&str>,
) -> StoreResult<Vec<(String, String, String)>> {
    let owners: Vec<&str> = owners.iter().copied().collect();
    let mut rows = Vec::new();
    for chunk in owners.chunks(CHUNK) {
        let first = if backend == Backend::Sqlite { "?" } else { "$1" };
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE org_code = {first} AND customer_id IN ({})",
            placeholders(backend, 2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(org_code);
        for owner in chunk {
            query = query.bind(*owner);
        }
        for row in query.fetch_all(&mut *tx).await? {
            rows.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
        }
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

async fn write_customers(tx: &mut Tx, backend: Backend, customers: &[Customer]) -> StoreResult<u64> {
    let mut changed = 0;
    for chunk in customers.chunks(CHUNK) {
        let sql = CHANGED_CUSTOMERS.rows(backend, chunk.len());
        let mut query = sqlx::query(&sql);
        for c in chunk {
            query = query.bind(&c.org_code).bind(&c.customer_id).bind(&c.ci).bind(&c.customer_name).bind(&c.reg_date);
        }
        let done = query
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_conflict(e, "a customer's CI, held by another customer,"))?;
        changed += done.rows_affected();
    }
    Ok(changed)
}

/// Deletes what the APIs describing the assets of `list_api` stored about the asset `asset_key`: its
/// subjects are the key, or the key and qualifiers after the separator (`key|…`, below `key}`).
async fn forget_asset(
    tx: &mut Tx,
    org_code: &str,
    customer_id: &str,
    list_api: &str,
    asset_key: &str,
) -> StoreResult<u64> {
    let Some(list) = mydata_spec::catalogue::api(list_api) else { return Ok(0) };
    let describing: BTreeSet<&str> =
        list.industries.iter().flat_map(|&industry| list.detail_apis(industry)).map(|api| api.id).collect();
    let (from, below) = (format!("{asset_key}{}", mydata_spec::subject::SEPARATOR), format!("{asset_key}}}"));
    let mut forgotten = 0;
    for api_id in describing {
        for table in ["documents", "history"] {
            let done = sqlx::query(&format!(
                "DELETE FROM {table} WHERE org_code = $1 AND api_id = $2 AND customer_id = $3 \
                 AND (subject_key = $4 OR (subject_key >= $5 AND subject_key < $6))"
            ))
            .bind(org_code)
            .bind(api_id)
            .bind(customer_id)
            .bind(asset_key)
            .bind(&from)
            .bind(&below)
            .execute(&mut *tx)
            .await?;
            forgotten += done.rows_affected();
        }
    }
    Ok(forgotten)
}

/// Replaces the lists: deletes the assets each list left out (with what was stored about them), then writes the changed ones.
async fn write_lists(
    tx: &mut Tx,
    backend: Backend,
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
        let stored = stored_of(tx, backend, "assets", "customer_id, list_api, asset_key", org_code, &owners).await?;
        for (customer_id, list_api, asset_key) in stored {
            if !replaced.contains(&(org_code, customer_id.as_str(), list_api.as_str()))
                || kept.contains(&(org_code, list_api.as_str(), asset_key.as_str()))
            {
                continue;
            }
            let done = sqlx::query("DELETE FROM assets WHERE org_code = $1 AND list_api = $2 AND asset_key = $3")
                .bind(org_code)
                .bind(&list_api)
                .bind(&asset_key)
                .execute(&mut *tx)
                .await?;
            changed += done.rows_affected();
            changed += forget_asset(tx, org_code, &customer_id, &list_api, &asset_key).await?;
            shrunk.insert((org_code.to_owned(), customer_id, list_api));
        }
    }
    let assets: Vec<&AssetRow> = lists.iter().flat_map(|l| &l.assets).collect();
    for chunk in assets.chunks(CHUNK) {
        let sql = format!("{} RETURNING org_code, customer_id, asset_key", CHANGED_ASSETS.rows(backend, chunk.len()));
        let mut query = sqlx::query(&sql);
        for a in chunk {
            query = query
                .bind(&a.org_code)
                .bind(&a.list_api)
                .bind(&a.asset_key)
                .bind(&a.customer_id)
                .bind(sort_hex(&a.sort_key))
                .bind(wire_json_text(&a.item))
                .bind(now);
        }
        for row in query.fetch_all(&mut *tx).await? {
            written.assets.insert((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
            changed += 1;
        }
    }
    // A list's stamp is its latest asset's: a list that only lost assets moves it on one it kept.
    for list in
        lists.iter().filter(|l| shrunk.contains(&(l.org_code.clone(), l.customer_id.clone(), l.list_api.clone())))
    {
        let Some(first) = list.assets.first() else { continue };
        sqlx::query("UPDATE assets SET updated_at = $1 WHERE org_code = $2 AND list_api = $3 AND asset_key = $4")
            .bind(now)
            .bind(&list.org_code)
            .bind(&list.list_api)
            .bind(&first.asset_key)
            .execute(&mut *tx)
            .await?;
    }
    Ok(changed)
}

async fn write_documents(
    tx: &mut Tx,
    backend: Backend,
    documents: &[Document],
    now: i64,
    written: &mut Written,
) -> StoreResult<u64> {
    let mut changed = 0;
    for chunk in documents.chunks(CHUNK) {
        let sql = format!("{} RETURNING org_code, api_id, subject_key", CHANGED_DOCUMENTS.rows(backend, chunk.len()));
        let mut query = sqlx::query(&sql);
        for d in chunk {
            query = query
                .bind(&d.org_code)
                .bind(&d.api_id)
                .bind(&d.subject_key)
                .bind(&d.customer_id)
                .bind(wire_json_text(&d.body))
                .bind(now);
        }
        for row in query.fetch_all(&mut *tx).await? {
            written.documents.insert((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
            changed += 1;
        }
    }
    Ok(changed)
}

/// Upserts entries (unique by key among themselves), noting the subjects whose entries changed.
async fn write_entries(
    tx: &mut Tx,
    backend: Backend,
    entries: &[&HistoryRow],
    written: &mut Written,
) -> StoreResult<u64> {
    let mut changed = 0;
    for chunk in entries.chunks(CHUNK) {
        let sql = format!(
            "{} RETURNING org_code, customer_id, api_id, subject_key",
            CHANGED_HISTORY.rows(backend, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for h in chunk {
            query = query
                .bind(&h.org_code)
                .bind(&h.api_id)
                .bind(&h.subject_key)
                .bind(sort_hex(&h.sort_key))
                .bind(&h.customer_id)
                .bind(&h.occurred)
                .bind(wire_json_text(&h.body));
        }
        for row in query.fetch_all(&mut *tx).await? {
            written.histories.insert(Subject {
                org_code: row.try_get(0)?,
                customer_id: row.try_get(1)?,
                api_id: row.try_get(2)?,
                subject_key: row.try_get(3)?,
            });
            changed += 1;
        }
    }
    Ok(changed)
}

/// Replaces whole histories: deletes the entries each left out, then writes the changed ones.
async fn write_histories(
    tx: &mut Tx,
    backend: Backend,
    histories: &[HistoryReplacement],
    written: &mut Written,
) -> StoreResult<u64> {
    let mut changed = 0;
    let kept: HashSet<(&str, &str, &str, String)> = histories
        .iter()
        .flat_map(|h| {
            h.entries
                .iter()
                .map(move |e| (h.org_code.as_str(), h.api_id.as_str(), h.subject_key.as_str(), sort_hex(&e.sort_key)))
        })
        .collect();
    let replaced: HashMap<(&str, &str, &str), &HistoryReplacement> =
        histories.iter().map(|h| ((h.org_code.as_str(), h.api_id.as_str(), h.subject_key.as_str()), h)).collect();
    for (org_code, owners) in owners_by_org(histories.iter().map(|h| (h.org_code.as_str(), h.customer_id.as_str()))) {
        let stored = stored_of(tx, backend, "history", "api_id, subject_key, sort_key", org_code, &owners).await?;
        for (api_id, subject_key, sort_key) in stored {
            let Some(history) = replaced.get(&(org_code, api_id.as_str(), subject_key.as_str())) else { continue };
            if kept.contains(&(org_code, api_id.as_str(), subject_key.as_str(), sort_key.clone())) {
                continue;
            }
            let done = sqlx::query(
                "DELETE FROM history WHERE org_code = $1 AND api_id = $2 AND subject_key = $3 AND sort_key = $4",
            )
            .bind(org_code)
            .bind(&api_id)
            .bind(&subject_key)
            .bind(&sort_key)
            .execute(&mut *tx)
            .await?;
            changed += done.rows_affected();
            written.histories.insert(Subject {
                org_code: org_code.to_owned(),
                customer_id: history.customer_id.clone(),
                api_id,
                subject_key,
            });
        }
    }
    let entries: Vec<&HistoryRow> = histories.iter().flat_map(|h| &h.entries).collect();
    changed += write_entries(tx, backend, &entries, written).await?;
    Ok(changed)
}

/// Moves the stamps of the subjects whose entries changed, where this batch did not write them:
/// the asset's (rows answered without a document take theirs) and the document's.
async fn restamp(tx: &mut Tx, written: &Written, now: i64) -> StoreResult<()> {
    for changed in &written.histories {
        let asset_key = changed.subject_key.split(mydata_spec::subject::SEPARATOR).next().unwrap_or_default();
        let asset = (changed.org_code.clone(), changed.customer_id.clone(), asset_key.to_owned());
        if !written.assets.contains(&asset) {
            sqlx::query(
                "UPDATE assets SET updated_at = $1 WHERE org_code = $2 AND customer_id = $3 AND asset_key = $4 \
                 AND updated_at < $1",
            )
            .bind(now)
            .bind(&changed.org_code)
            .bind(&changed.customer_id)
            .bind(asset_key)
            .execute(&mut *tx)
            .await?;
        }
        let document = (changed.org_code.clone(), changed.api_id.clone(), changed.subject_key.clone());
        if !written.documents.contains(&document) {
            sqlx::query(
                "UPDATE documents SET updated_at = $1 WHERE org_code = $2 AND api_id = $3 AND subject_key = $4 \
                 AND updated_at < $1",
            )
            .bind(now)
            .bind(&changed.org_code)
            .bind(&changed.api_id)
            .bind(&changed.subject_key)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

async fn write_batch(tx: &mut Tx, backend: Backend, batch: &ImportBatch, now: i64) -> StoreResult<ImportCounts> {
    let mut counts = ImportCounts::default();
    for (org_code, customer_id) in &batch.removals {
        remove_customer(tx, org_code, customer_id, &mut counts).await?;
    }
    let mut written = Written::default();
    counts.rows_changed += write_customers(tx, backend, &batch.customers).await?;
    counts.rows_changed += write_lists(tx, backend, &batch.lists, now, &mut written).await?;
    counts.rows_changed += write_documents(tx, backend, &batch.documents, now, &mut written).await?;
    counts.rows_changed += write_histories(tx, backend, &batch.histories, &mut written).await?;
    let entries: Vec<&HistoryRow> = batch.entries.iter().collect();
    counts.rows_changed += write_entries(tx, backend, &entries, &mut written).await?;
    restamp(tx, &written, now).await?;
    Ok(counts)
}

#[async_trait]
impl ImportStore for SqlStore {
    async fn import(&self, batch: &ImportBatch, now: i64) -> StoreResult<ImportCounts> {
        let mut tx = self.begin_write().await?;
        let counts = write_batch(&mut tx, self.backend, batch, now).await?;
        tx.commit().await?;
        Ok(counts)
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
