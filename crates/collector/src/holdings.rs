//! What the operator holds about one customer, as its own apps read it (the read API, the
//! dashboard): every collected row with its provider's industry and when it was collected, and one
//! history's entries a page at a time.

use crate::store::OperatorStore;
use mydata_store::{StoreError, StoreResult};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

/// One collected row with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldRow {
    pub org_code: String,
    /// The provider's industry (`bank`, `card`, …).
    pub industry: String,
    pub api_id: String,
    pub subject_key: String,
    pub item_key: String,
    pub body: Value,
    /// Unix seconds.
    pub collected_at: i64,
}

fn held(r: &AnyRow) -> StoreResult<HeldRow> {
    let body: String = r.try_get("body")?;
    Ok(HeldRow {
        org_code: r.try_get("org_code")?,
        industry: r.try_get("industry")?,
        api_id: r.try_get("api_id")?,
        subject_key: r.try_get("subject_key")?,
        item_key: r.try_get("item_key")?,
        body: serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("collected body: {e}")))?,
        collected_at: r.try_get("collected_at")?,
    })
}

const HELD: &str = "SELECT r.org_code, COALESCE(p.industry, '') AS industry, r.api_id, r.subject_key, r.item_key,
       r.body, r.collected_at
     FROM op_resources r LEFT JOIN op_providers p ON p.org_code = r.org_code";

impl OperatorStore {
    /// Everything collected about `customer_id` but history entries' pages: item rows of `api_ids`
    /// (the asset lists) and every whole answer (item_key ''), by provider, API, subject.
    pub async fn holdings(&self, customer_id: &str, list_api_ids: &[&str]) -> StoreResult<Vec<HeldRow>> {
        let lists: Vec<String> = (0..list_api_ids.len()).map(|i| format!("${}", i + 2)).collect();
        let lists = if lists.is_empty() { String::new() } else { format!(" OR r.api_id IN ({})", lists.join(", ")) };
        let sql = format!(
            "{HELD} WHERE r.customer_id = $1 AND (r.item_key = ''{lists})
             ORDER BY r.org_code, r.api_id, r.subject_key, r.item_key"
        );
        let mut query = sqlx::query(&sql).bind(customer_id);
        for id in list_api_ids {
            query = query.bind(*id);
        }
        query.fetch_all(self.sql().pool()).await?.iter().map(held).collect()
    }

    /// The histories kept about `customer_id` (item rows of every API but the asset lists
    /// `list_api_ids`): (org_code, api_id, subject_key), in that order.
    pub async fn history_subjects(
        &self,
        customer_id: &str,
        list_api_ids: &[&str],
    ) -> StoreResult<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT org_code, api_id, subject_key FROM op_resources WHERE customer_id = $1 AND item_key <> ''
             ORDER BY org_code, api_id, subject_key",
        )
        .bind(customer_id)
        .fetch_all(self.sql().pool())
        .await?;
        let mut subjects = Vec::with_capacity(rows.len());
        for r in &rows {
            let api_id: String = r.try_get("api_id")?;
            if !list_api_ids.contains(&api_id.as_str()) {
                subjects.push((r.try_get("org_code")?, api_id, r.try_get("subject_key")?));
            }
        }
        Ok(subjects)
    }

    /// Up to `limit` entries of one history (the items of one API about one subject) after the
    /// entry `after` (an item_key; none: from the first), in item_key order.
    pub async fn history_page(
        &self,
        customer_id: &str,
        org_code: &str,
        api_id: &str,
        subject_key: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<HeldRow>> {
        let rows = sqlx::query(&format!(
            "{HELD} WHERE r.customer_id = $1 AND r.org_code = $2 AND r.api_id = $3 AND r.subject_key = $4
               AND r.item_key <> '' AND r.item_key > $5 ORDER BY r.item_key LIMIT $6"
        ))
        .bind(customer_id)
        .bind(org_code)
        .bind(api_id)
        .bind(subject_key)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(self.sql().pool())
        .await?;
        rows.iter().map(held).collect()
    }
}
