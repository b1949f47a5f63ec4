//! [`ImportStore`] on SQL: a batch in one transaction, with upserts that leave a row stored as
//! given untouched (its stamp too), so that a re-import of the same data changes no stamp.

use super::upsert::Upsert;
use super::*;
use std::collections::{BTreeSet, HashSet};

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

/// A history whose entries changed: its subject's stamps (the asset's, and the document's where the
/// API answers one) must move, or a collector's search_timestamp would get 00001.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct ChangedHistory {
    org_code: String,
    customer_id: String,
    api_id: String,
    subject_key: String,
}

async fn upsert_entry(tx: &mut Tx, h: &HistoryRow) -> StoreResult<u64> {
    let done = sqlx::query(CHANGED_HISTORY.single_row())
        .bind(&h.org_code)
        .bind(&h.api_id)
        .bind(&h.subject_key)
        .bind(sort_hex(&h.sort_key))
        .bind(&h.customer_id)
        .bind(&h.occurred)
        .bind(wire_json_text(&h.body))
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected())
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

async fn replace_list(tx: &mut Tx, list: &ListReplacement, now: i64) -> StoreResult<u64> {
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT asset_key FROM assets WHERE org_code = $1 AND customer_id = $2 AND list_api = $3")
            .bind(&list.org_code)
            .bind(&list.customer_id)
            .bind(&list.list_api)
            .fetch_all(&mut *tx)
            .await?;
    let kept: HashSet<&str> = list.assets.iter().map(|a| a.asset_key.as_str()).collect();
    let mut changed = 0;
    for gone in stored.iter().filter(|key| !kept.contains(key.as_str())) {
        let done = sqlx::query("DELETE FROM assets WHERE org_code = $1 AND list_api = $2 AND asset_key = $3")
            .bind(&list.org_code)
            .bind(&list.list_api)
            .bind(gone)
            .execute(&mut *tx)
            .await?;
        changed += done.rows_affected();
    }
    let removed = changed > 0;
    for a in &list.assets {
        let done = sqlx::query(CHANGED_ASSETS.single_row())
            .bind(&a.org_code)
            .bind(&a.list_api)
            .bind(&a.asset_key)
            .bind(&a.customer_id)
            .bind(sort_hex(&a.sort_key))
            .bind(wire_json_text(&a.item))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        changed += done.rows_affected();
    }
    // The list's stamp is its latest asset's: a list that only lost assets moves it on one it kept.
    if let (true, Some(first)) = (removed, list.assets.first()) {
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

/// Replaces a subject's entries; true when any stored entry changed.
async fn replace_history(tx: &mut Tx, history: &HistoryReplacement) -> StoreResult<u64> {
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT sort_key FROM history WHERE org_code = $1 AND api_id = $2 AND subject_key = $3")
            .bind(&history.org_code)
            .bind(&history.api_id)
            .bind(&history.subject_key)
            .fetch_all(&mut *tx)
            .await?;
    let kept: HashSet<String> = history.entries.iter().map(|h| sort_hex(&h.sort_key)).collect();
    let mut changed = 0;
    for gone in stored.iter().filter(|key| !kept.contains(key.as_str())) {
        let done = sqlx::query(
            "DELETE FROM history WHERE org_code = $1 AND api_id = $2 AND subject_key = $3 AND sort_key = $4",
        )
        .bind(&history.org_code)
        .bind(&history.api_id)
        .bind(&history.subject_key)
        .bind(gone)
        .execute(&mut *tx)
        .await?;
        changed += done.rows_affected();
    }
    for entry in &history.entries {
        changed += upsert_entry(tx, entry).await?;
    }
    Ok(changed)
}

/// Moves the stamps of the subject of a changed history: its asset's (rows answered without a
/// document take theirs) and its document's.
async fn restamp(tx: &mut Tx, changed: &ChangedHistory, now: i64) -> StoreResult<()> {
    let asset_key = changed.subject_key.split(mydata_spec::subject::SEPARATOR).next().unwrap_or_default();
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
    Ok(())
}

async fn write_batch(tx: &mut Tx, batch: &ImportBatch, now: i64) -> StoreResult<ImportCounts> {
    let mut counts = ImportCounts::default();
    for (org_code, customer_id) in &batch.removals {
        remove_customer(tx, org_code, customer_id, &mut counts).await?;
    }
    for c in &batch.customers {
        let done = sqlx::query(CHANGED_CUSTOMERS.single_row())
            .bind(&c.org_code)
            .bind(&c.customer_id)
            .bind(&c.ci)
            .bind(&c.customer_name)
            .bind(&c.reg_date)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_conflict(e, &format!("the CI of customer {} at {}", c.customer_id, c.org_code)))?;
        counts.rows_changed += done.rows_affected();
    }
    for list in &batch.lists {
        counts.rows_changed += replace_list(tx, list, now).await?;
    }
    for d in &batch.documents {
        let done = sqlx::query(CHANGED_DOCUMENTS.single_row())
            .bind(&d.org_code)
            .bind(&d.api_id)
            .bind(&d.subject_key)
            .bind(&d.customer_id)
            .bind(wire_json_text(&d.body))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        counts.rows_changed += done.rows_affected();
    }
    let mut restamped = BTreeSet::new();
    let changed_history = |org_code: &str, customer_id: &str, api_id: &str, subject_key: &str| ChangedHistory {
        org_code: org_code.to_owned(),
        customer_id: customer_id.to_owned(),
        api_id: api_id.to_owned(),
        subject_key: subject_key.to_owned(),
    };
    for history in &batch.histories {
        let changed = replace_history(tx, history).await?;
        if changed > 0 {
            counts.rows_changed += changed;
            restamped.insert(changed_history(
                &history.org_code,
                &history.customer_id,
                &history.api_id,
                &history.subject_key,
            ));
        }
    }
    for entry in &batch.entries {
        let changed = upsert_entry(tx, entry).await?;
        if changed > 0 {
            counts.rows_changed += changed;
            restamped.insert(changed_history(&entry.org_code, &entry.customer_id, &entry.api_id, &entry.subject_key));
        }
    }
    for changed in &restamped {
        restamp(tx, changed, now).await?;
    }
    Ok(counts)
}

#[async_trait]
impl ImportStore for SqlStore {
    async fn import(&self, batch: &ImportBatch, now: i64) -> StoreResult<ImportCounts> {
        let mut tx = self.begin_write().await?;
        let counts = write_batch(&mut tx, batch, now).await?;
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
