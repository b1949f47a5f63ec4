//! PostgreSQL's statistics of the information tables after a large write. The reads of every
//! information-API call are planned from them, once per connection: planned on an empty table's
//! statistics, the customers' key lookup ran as a bitmap heap scan. PostgreSQL's autovacuum counts
//! a table again once a tenth of it changed, but only a while later, and never where it is off;
//! a load or an import that changed that much has it counted at once.

use super::*;

/// The tables information-API reads are planned on.
const INFORMATION_TABLES: [&str; 5] = ["customers", "assets", "documents", "history", "list_stamps"];

/// Has PostgreSQL count the information tables again (`ANALYZE`) when `rows_changed` is more than
/// autovacuum's threshold for them: 50 rows and a tenth of the rows it last counted. Whether it did.
pub(super) async fn refresh_after(conn: &mut sqlx::AnyConnection, rows_changed: u64) -> StoreResult<bool> {
    let tables = INFORMATION_TABLES.map(|table| format!("'{table}'::regclass")).join(", ");
    // `reltuples` is -1 for a table never counted.
    let counted: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COALESCE(SUM(GREATEST(reltuples, 0)), 0) AS BIGINT) FROM pg_class WHERE oid IN ({tables})"
    ))
    .fetch_one(&mut *conn)
    .await?;
    let threshold = 50 + u64::try_from(counted).unwrap_or(0) / 10;
    if rows_changed <= threshold {
        return Ok(false);
    }
    sqlx::query(&format!("ANALYZE {}", INFORMATION_TABLES.join(", "))).execute(&mut *conn).await?;
    tracing::info!(rows_changed, rows_counted_before = counted, "counted the information tables again (ANALYZE)");
    Ok(true)
}
