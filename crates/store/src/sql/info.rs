//! [`InformationStore`] on SQL: the reads every information-API call makes, each one statement
//! built once, and the single upserts.

use super::upsert::{ASSETS, CUSTOMERS, DOCUMENTS, HISTORY};
use super::*;

/// The keyset condition of a page: `sort_key {op} ${param}` after a cursor. The first page tests only
/// that the parameter is empty: one `OR` of both would keep SQLite from seeking the index to the
/// cursor, making page 100 read the 1,000 rows before it.
fn keyset(after_cursor: bool, op: &str, param: u8) -> String {
    if after_cursor { format!("AND sort_key {op} ${param}") } else { format!("AND CAST(${param} AS TEXT) = ''") }
}

/// A page of a customer's assets of one list, `columns` of each in `sort_key` order.
fn asset_page_sql(columns: &str, after_cursor: bool) -> String {
    let keyset = keyset(after_cursor, ">", 4);
    format!(
        "SELECT {columns} FROM assets WHERE org_code = $1 AND list_api = $2 AND customer_id = $3 \
         {keyset} ORDER BY sort_key LIMIT $5"
    )
}

/// The columns of an asset as its list answers it ([`ListedAsset`], with the sort key for the cursor).
const LISTED_COLUMNS: &str = "asset_key, sort_key, item";

/// A statement with two variants chosen by a flag (first page or after a cursor, with or without a
/// document), each built once: the reads of every information-API call use them.
struct StatementPair {
    build: fn(bool) -> String,
    built: OnceLock<[String; 2]>,
}

impl StatementPair {
    const fn new(build: fn(bool) -> String) -> StatementPair {
        StatementPair { build, built: OnceLock::new() }
    }

    fn get(&'static self, flag: bool) -> &'static str {
        &self.built.get_or_init(|| [false, true].map(self.build))[usize::from(flag)]
    }
}

/// [`InformationStore::asset_listing`]'s statement: a first row (`0` in the first column) with the
/// customer's reg_date, then the page ([`asset_page_sql`], `1` in the first column). The list's change
/// stamp is the latest of the fifth column: its newest asset's, or the list's own when an import took
/// assets out of it. One statement reads one snapshot, so the stamp never runs ahead of the page.
///
/// Where the newest asset's stamp is read depends on the database. SQLite reads it from the
/// covering index beside the page. On PostgreSQL a first page, which scans the whole list anyway,
/// carries it on its rows (a window over them): a separate index scan is a fifth of the statement's
/// cost there (pgbench), while SQLite takes 30% longer with the window, which makes it sort the page.
/// A page after a cursor sees only part of the list, so it always reads the stamp apart.
fn asset_listing_sql(backend: Backend, after_cursor: bool) -> &'static str {
    static STAMP_APART: StatementPair =
        StatementPair::new(|after_cursor| asset_listing(ListingStamp::Apart { after_cursor }));
    static STAMP_ON_ROWS: OnceLock<String> = OnceLock::new();
    if backend == Backend::Postgres && !after_cursor {
        STAMP_ON_ROWS.get_or_init(|| asset_listing(ListingStamp::OnFirstPageRows))
    } else {
        STAMP_APART.get(after_cursor)
    }
}

/// Where a listing's statement reads the newest asset's stamp ([`asset_listing_sql`]).
#[derive(Debug, Clone, Copy)]
enum ListingStamp {
    /// From the index, beside the page: any page, first or after a cursor.
    Apart { after_cursor: bool },
    /// On the rows of a first page, which holds the whole list (a window over them).
    OnFirstPageRows,
}

fn asset_listing(stamp: ListingStamp) -> String {
    let list_stamp = "SELECT changed_at FROM list_stamps WHERE org_code = $1 AND customer_id = $3 AND list_api = $2";
    let (header_stamp, row_stamp, after_cursor) = match stamp {
        ListingStamp::OnFirstPageRows => (format!("({list_stamp})"), "MAX(updated_at) OVER ()", false),
        ListingStamp::Apart { after_cursor } => (
            format!(
                "(SELECT MAX(stamp) FROM (SELECT MAX(updated_at) AS stamp FROM assets \
                 WHERE org_code = $1 AND list_api = $2 AND customer_id = $3 UNION ALL {list_stamp}) stamps)"
            ),
            "CAST(NULL AS BIGINT)",
            after_cursor,
        ),
    };
    format!(
        "SELECT CAST(0 AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), {header_stamp}, \
           (SELECT reg_date FROM customers WHERE org_code = $1 AND customer_id = $3) \
         UNION ALL SELECT CAST(1 AS BIGINT), {LISTED_COLUMNS}, stamp, NULL FROM ({}) page",
        asset_page_sql(&format!("{LISTED_COLUMNS}, {row_stamp} AS stamp"), after_cursor)
    )
}

/// [`InformationStore::asset_subject`]'s statement: the asset, then the document (`$4`, `$5`) when one is asked
/// for; the index of each answers its part.
fn asset_subject_sql(with_document: bool) -> &'static str {
    static STATEMENTS: StatementPair = StatementPair::new(|with_document| {
        format!(
            "SELECT {} FROM assets a {} WHERE a.org_code = $1 AND a.list_api = $2 AND a.asset_key = $3",
            asset_subject_columns(with_document),
            asset_document_join(with_document)
        )
    });
    STATEMENTS.get(with_document)
}

/// The columns a detail call reads of its asset and, when the API's answer is one, of the document
/// (`$4`, `$5`), from `assets a` and what [`asset_document_join`] joins.
fn asset_subject_columns(with_document: bool) -> &'static str {
    if with_document {
        "a.customer_id, a.updated_at, d.body, d.updated_at, a.item"
    } else {
        "a.customer_id, a.updated_at, CAST(NULL AS TEXT), CAST(NULL AS BIGINT), a.item"
    }
}

/// The document a detail call reads with its asset (`$4`: the API, `$5`: the subject), if any.
fn asset_document_join(with_document: bool) -> &'static str {
    if with_document { "LEFT JOIN documents d ON d.org_code = $1 AND d.api_id = $4 AND d.subject_key = $5" } else { "" }
}

/// An [`AssetSubject`] from the columns of [`asset_subject_columns`], starting at `first`.
fn asset_subject_from(row: &mut ReadRow, first: usize) -> StoreResult<AssetSubject> {
    let document = match (row.text(first + 2)?, row.int(first + 3)?) {
        (Some(body_json), Some(updated_at)) => Some(StoredDocument { body_json, updated_at }),
        _ => None,
    };
    Ok(AssetSubject {
        customer_id: row.required_text(first)?,
        updated_at: row.required_int(first + 1)?,
        item_json: row.required_text(first + 4)?,
        document,
    })
}

/// [`InformationStore::asset_history`]'s statement: a first row (`0` in the first column) with the
/// asset and the document ([`asset_subject_sql`]'s columns), then the page of history
/// ([`history_rows_sql`] from `$4`, its API and subject the document's `$4` and `$5`; `1` in the
/// first column). The page is filtered by the consent's customer, so when the asset is another
/// customer's it is empty, and the caller, which refuses the call then, reads nothing it may not.
fn asset_history_sql(with_document: bool, before_cursor: bool) -> &'static str {
    fn build(with_document: bool, before_cursor: bool) -> String {
        let subject = asset_subject_columns(with_document);
        let join = asset_document_join(with_document);
        format!(
            "SELECT CAST(0 AS BIGINT), {subject}, CAST(NULL AS TEXT) FROM assets a {join} \
             WHERE a.org_code = $1 AND a.list_api = $2 AND a.asset_key = $3 \
             UNION ALL SELECT CAST(1 AS BIGINT), NULL, NULL, body, NULL, NULL, sort_key FROM ({}) page",
            history_rows_sql(4, before_cursor)
        )
    }
    static WITHOUT_DOCUMENT: StatementPair = StatementPair::new(|before_cursor| build(false, before_cursor));
    static WITH_DOCUMENT: StatementPair = StatementPair::new(|before_cursor| build(true, before_cursor));
    if with_document { WITH_DOCUMENT.get(before_cursor) } else { WITHOUT_DOCUMENT.get(before_cursor) }
}

/// `$1`..`$5` of an asset page: the customer's list, the cursor as stored (hex, empty on the first
/// page) and one row more than `limit`, which tells whether a next page exists.
fn asset_page_params<'a>(
    org_code: &'a str,
    list_api: &'a str,
    customer_id: &'a str,
    after_hex: &'a str,
    limit: u32,
) -> [Param<'a>; 5] {
    [
        Param::Text(org_code),
        Param::Text(list_api),
        Param::Text(customer_id),
        Param::Text(after_hex),
        Param::Int(i64::from(limit) + 1),
    ]
}

/// A page of a subject's rows, newest first: the institution is `$1`, [`history_params`] are bound
/// from `$first` on.
fn history_rows_sql(first: u8, before_cursor: bool) -> String {
    let [api, subject, customer, from, to, before, limit] = std::array::from_fn(|i| first + i as u8);
    let keyset = keyset(before_cursor, "<", before);
    format!(
        "SELECT sort_key, body FROM history \
         WHERE org_code = $1 AND api_id = ${api} AND subject_key = ${subject} AND customer_id = ${customer} \
         AND occurred >= ${from} AND occurred <= ${to} {keyset} ORDER BY sort_key DESC LIMIT ${limit}"
    )
}

/// [`InformationStore::history_page`]'s statement: [`history_rows_sql`] from `$2`.
fn history_page_sql(before_cursor: bool) -> &'static str {
    static STATEMENTS: StatementPair = StatementPair::new(|before_cursor| history_rows_sql(2, before_cursor));
    STATEMENTS.get(before_cursor)
}

/// The parameters of a page of history after its institution, in the order [`history_rows_sql`]
/// binds them (`$2`..`$8` in [`history_page_sql`], `$4`..`$10` in [`asset_history_sql`]): the API,
/// the subject, the customer, the period, the cursor as stored (hex, empty on the first page) and one
/// row more than the limit, which tells whether a next page exists.
fn history_params<'a>(q: &HistoryQuery<'a>, before_hex: &'a str) -> [Param<'a>; 7] {
    [
        Param::Text(q.api_id),
        Param::Text(q.subject_key),
        Param::Text(q.customer_id),
        Param::Text(q.from),
        Param::Text(q.to),
        Param::Text(before_hex),
        Param::Int(i64::from(q.limit) + 1),
    ]
}

/// A page of history from entries read newest first with their sort keys as stored (hex): only the
/// cursor's key is decoded, the others only ordered the rows.
fn history_entries(entries: Vec<(String, HistoryEntry)>, limit: u32) -> StoreResult<Page<HistoryEntry>> {
    let page = paged(entries, limit, |(hex, _)| hex);
    let next = page.next.as_deref().map(sort_unhex).transpose()?;
    Ok(Page { items: page.items.into_iter().map(|(_, entry)| entry).collect(), next })
}

fn customer_from(row: &AnyRow) -> StoreResult<Customer> {
    Ok(Customer {
        org_code: row.try_get("org_code")?,
        customer_id: row.try_get("customer_id")?,
        ci: row.try_get("ci")?,
        customer_name: row.try_get("customer_name")?,
        reg_date: row.try_get("reg_date")?,
    })
}

/// The columns [`asset_from`] reads, in its order.
const ASSET_COLUMNS: &str = "org_code, list_api, asset_key, customer_id, sort_key, item, updated_at";

fn asset_from(mut row: ReadRow) -> StoreResult<AssetRow> {
    Ok(AssetRow {
        org_code: row.required_text(0)?,
        list_api: row.required_text(1)?,
        asset_key: row.required_text(2)?,
        customer_id: row.required_text(3)?,
        sort_key: sort_unhex(&row.required_text(4)?)?,
        item: parse_json(&row.required_text(5)?, "asset item")?,
        updated_at: row.required_int(6)?,
    })
}

#[async_trait]
impl InformationStore for SqlStore {
    async fn upsert_customer(&self, c: &Customer) -> StoreResult<()> {
        sqlx::query(CUSTOMERS.single_row())
            .bind(&c.org_code)
            .bind(&c.customer_id)
            .bind(&c.ci)
            .bind(&c.customer_name)
            .bind(&c.reg_date)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn customer(&self, org_code: &str, customer_id: &str) -> StoreResult<Option<Customer>> {
        let row = sqlx::query("SELECT * FROM customers WHERE org_code = $1 AND customer_id = $2")
            .bind(org_code)
            .bind(customer_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(customer_from).transpose()
    }

    async fn customer_by_ci(&self, org_code: &str, ci: &str) -> StoreResult<Option<Customer>> {
        let row = sqlx::query("SELECT * FROM customers WHERE org_code = $1 AND ci = $2")
            .bind(org_code)
            .bind(ci)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(customer_from).transpose()
    }

    async fn customers(&self, org_code: &str) -> StoreResult<Vec<Customer>> {
        let rows = sqlx::query("SELECT * FROM customers WHERE org_code = $1 ORDER BY customer_id")
            .bind(org_code)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(customer_from).collect()
    }

    async fn has_customers(&self, org_code: &str) -> StoreResult<bool> {
        let found = sqlx::query("SELECT 1 FROM customers WHERE org_code = $1 LIMIT 1")
            .bind(org_code)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn upsert_assets(&self, rows: &[AssetRow]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for a in rows {
            sqlx::query(ASSETS.single_row())
                .bind(&a.org_code)
                .bind(&a.list_api)
                .bind(&a.asset_key)
                .bind(&a.customer_id)
                .bind(sort_hex(&a.sort_key))
                .bind(wire_json_text(&a.item))
                .bind(a.updated_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn asset_listing(
        &self,
        org_code: &str,
        list_api: &str,
        customer_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<AssetListing> {
        let sql = asset_listing_sql(self.backend, after.is_some());
        let after = after.map(sort_hex).unwrap_or_default();
        let params = asset_page_params(org_code, list_api, customer_id, &after, limit);
        let (mut reg_date, mut changed_at) = (None, None);
        let mut items = Vec::new();
        for mut row in self.read_all(sql, &params).await? {
            changed_at = changed_at.max(row.int(4)?);
            match row.required_int(0)? {
                0 => reg_date = Some(row.text(5)?),
                _ => items.push((
                    row.required_text(2)?,
                    ListedAsset { asset_key: row.required_text(1)?, item_json: row.required_text(3)? },
                )),
            }
        }
        let reg_date = reg_date.ok_or_else(|| StoreError::Corrupt("no listing row".into()))?;
        // The rows of a compound statement come in no promised order; hex keys order as the keys do.
        items.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        let page = paged(items, limit, |(hex, _)| hex);
        let next = page.next.as_deref().map(sort_unhex).transpose()?;
        let page = Page { items: page.items.into_iter().map(|(_, asset)| asset).collect(), next };
        Ok(AssetListing { changed_at, reg_date, page })
    }

    async fn asset_page(
        &self,
        org_code: &str,
        list_api: &str,
        customer_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Page<AssetRow>> {
        let sql = asset_page_sql(ASSET_COLUMNS, after.is_some());
        let after = after.map(sort_hex).unwrap_or_default();
        let params = asset_page_params(org_code, list_api, customer_id, &after, limit);
        let items = self.read_all(&sql, &params).await?.into_iter().map(asset_from).collect::<StoreResult<Vec<_>>>()?;
        Ok(paged(items, limit, |a| &a.sort_key))
    }

    async fn asset(&self, org_code: &str, list_api: &str, asset_key: &str) -> StoreResult<Option<AssetRow>> {
        let sql =
            format!("SELECT {ASSET_COLUMNS} FROM assets WHERE org_code = $1 AND list_api = $2 AND asset_key = $3");
        let params = [Param::Text(org_code), Param::Text(list_api), Param::Text(asset_key)];
        self.read_first(&sql, &params).await?.map(asset_from).transpose()
    }

    async fn asset_subject(
        &self,
        org_code: &str,
        list_api: &str,
        asset_key: &str,
        document: Option<(&str, &str)>,
    ) -> StoreResult<Option<AssetSubject>> {
        let (api_id, subject_key) = document.unwrap_or_default();
        let params = [
            Param::Text(org_code),
            Param::Text(list_api),
            Param::Text(asset_key),
            Param::Text(api_id),
            Param::Text(subject_key),
        ];
        let Some(mut row) = self.read_first(asset_subject_sql(document.is_some()), &params).await? else {
            return Ok(None);
        };
        asset_subject_from(&mut row, 0).map(Some)
    }

    async fn asset_history(
        &self,
        list_api: &str,
        asset_key: &str,
        with_document: bool,
        q: &HistoryQuery<'_>,
    ) -> StoreResult<Option<(AssetSubject, Page<HistoryEntry>)>> {
        let sql = asset_history_sql(with_document, q.before.is_some());
        let before = q.before.map(sort_hex).unwrap_or_default();
        let [api, subject_key, customer, from, to, before, limit] = history_params(q, &before);
        let (org, list, asset) = (Param::Text(q.org_code), Param::Text(list_api), Param::Text(asset_key));
        let params = [org, list, asset, api, subject_key, customer, from, to, before, limit];
        let mut subject = None;
        let mut entries = Vec::new();
        for mut row in self.read_all(sql, &params).await? {
            match row.required_int(0)? {
                0 => subject = Some(asset_subject_from(&mut row, 1)?),
                _ => entries.push((row.required_text(6)?, HistoryEntry { body_json: row.required_text(3)? })),
            }
        }
        let Some(subject) = subject else { return Ok(None) };
        // The rows of a compound statement come in no promised order; hex keys order as the keys do.
        entries.sort_unstable_by(|(a, _), (b, _)| b.cmp(a));
        Ok(Some((subject, history_entries(entries, q.limit)?)))
    }

    async fn upsert_documents(&self, docs: &[Document]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for d in docs {
            sqlx::query(DOCUMENTS.single_row())
                .bind(&d.org_code)
                .bind(&d.api_id)
                .bind(&d.subject_key)
                .bind(&d.customer_id)
                .bind(wire_json_text(&d.body))
                .bind(d.updated_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn document(&self, org_code: &str, api_id: &str, subject_key: &str) -> StoreResult<Option<Document>> {
        let sql = "SELECT customer_id, body, updated_at FROM documents \
                   WHERE org_code = $1 AND api_id = $2 AND subject_key = $3";
        let params = [Param::Text(org_code), Param::Text(api_id), Param::Text(subject_key)];
        let Some(mut row) = self.read_first(sql, &params).await? else { return Ok(None) };
        Ok(Some(Document {
            org_code: org_code.to_owned(),
            api_id: api_id.to_owned(),
            subject_key: subject_key.to_owned(),
            customer_id: row.required_text(0)?,
            body: parse_json(&row.required_text(1)?, "document body")?,
            updated_at: row.required_int(2)?,
        }))
    }

    async fn upsert_history(&self, rows: &[HistoryRow]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for h in rows {
            sqlx::query(HISTORY.single_row())
                .bind(&h.org_code)
                .bind(&h.api_id)
                .bind(&h.subject_key)
                .bind(sort_hex(&h.sort_key))
                .bind(&h.customer_id)
                .bind(&h.occurred)
                .bind(wire_json_text(&h.body))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn history_page(&self, q: &HistoryQuery<'_>) -> StoreResult<Page<HistoryEntry>> {
        let sql = history_page_sql(q.before.is_some());
        let before = q.before.map(sort_hex).unwrap_or_default();
        let [api, subject_key, customer, from, to, before, limit] = history_params(q, &before);
        let params = [Param::Text(q.org_code), api, subject_key, customer, from, to, before, limit];
        let rows = self.read_all(sql, &params).await?;
        let entries = rows
            .into_iter()
            .map(|mut row| Ok((row.required_text(0)?, HistoryEntry { body_json: row.required_text(1)? })))
            .collect::<StoreResult<Vec<_>>>()?;
        history_entries(entries, q.limit)
    }

    async fn periodic_transmissions(&self, call: &PeriodicCall<'_>) -> StoreResult<u64> {
        let row = sqlx::query(
            "SELECT calls FROM periodic_transmissions WHERE org_code = $1 AND client_id = $2 \
             AND customer_id = $3 AND api_id = $4 AND subject_key = $5 AND cycle_window = $6",
        )
        .bind(call.org_code)
        .bind(call.client_id)
        .bind(call.customer_id)
        .bind(call.api_id)
        .bind(call.subject_key)
        .bind(call.cycle_window)
        .fetch_optional(&self.pool)
        .await?;
        let calls: i64 = row.map(|r| r.try_get("calls")).transpose()?.unwrap_or(0);
        Ok(calls.max(0) as u64)
    }

    async fn take_periodic_transmission(&self, call: &PeriodicCall<'_>, allowed: u64) -> StoreResult<bool> {
        if allowed == 0 {
            return Ok(false);
        }
        // One statement, so that two concurrent calls never both take the last transmission.
        let _turn = self.write_turn().await;
        let taken = sqlx::query(
            "INSERT INTO periodic_transmissions \
               (org_code, client_id, customer_id, api_id, subject_key, cycle_window, calls) \
             VALUES ($1, $2, $3, $4, $5, $6, 1) \
             ON CONFLICT (org_code, client_id, customer_id, api_id, subject_key, cycle_window) \
             DO UPDATE SET calls = periodic_transmissions.calls + 1 WHERE periodic_transmissions.calls < $7",
        )
        .bind(call.org_code)
        .bind(call.client_id)
        .bind(call.customer_id)
        .bind(call.api_id)
        .bind(call.subject_key)
        .bind(call.cycle_window)
        .bind(i64::try_from(allowed).unwrap_or(i64::MAX))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Page 100 must cost what page 1 costs: after a cursor, SQLite seeks the index to it.
    #[tokio::test]
    async fn pages_after_a_cursor_seek_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.db");
        SqlStore::open(&format!("sqlite://{}", path.display())).await.unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let plan = |sql: &str| {
            let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            // Unbound parameters are NULL, which the plan does not depend on.
            let mut rows = statement.raw_query();
            let mut details = String::new();
            while let Some(row) = rows.next().unwrap() {
                details.push_str(&row.get::<_, String>(3).unwrap());
                details.push('\n');
            }
            details
        };
        for before_cursor in [history_page_sql(true), asset_history_sql(true, true), asset_history_sql(false, true)] {
            assert!(plan(before_cursor).contains("sort_key<?"), "{before_cursor}");
        }
        assert!(plan(asset_listing_sql(Backend::Sqlite, true)).contains("sort_key>?"));
        for first_page in [history_page_sql(false), asset_listing_sql(Backend::Sqlite, false)] {
            assert!(plan(first_page).contains("USING INDEX"), "{first_page}");
        }
        // A list's change stamp is read from the index, not from every asset's row.
        assert!(plan(asset_listing_sql(Backend::Sqlite, false)).contains("USING COVERING INDEX assets_by_customer"));
        // A detail's asset and document are each one seek of a primary key.
        let subject = plan(asset_subject_sql(true));
        assert_eq!(subject.matches("USING INDEX sqlite_autoindex").count(), 2, "{subject}");
        // Rows come in index order: no statement sorts them in a temporary b-tree per call.
        for statement in [
            history_page_sql(true),
            asset_history_sql(true, false),
            asset_history_sql(true, true),
            asset_listing_sql(Backend::Sqlite, true),
            asset_listing_sql(Backend::Sqlite, false),
        ] {
            assert!(!plan(statement).contains("TEMP B-TREE"), "{}", plan(statement));
        }
    }

    /// On PostgreSQL a first page's stamp comes with its rows: one scan of the list's assets, not two.
    #[tokio::test]
    async fn on_postgres_a_first_page_reads_its_assets_once() {
        use sqlx::Connection;
        let db = crate::testing::TestDatabase::new(Backend::Postgres).await;
        db.open().await.unwrap();
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let plan = |after_cursor| {
            format!(
                "PREPARE listing (text, text, text, text, bigint) AS {}",
                asset_listing_sql(Backend::Postgres, after_cursor)
            )
        };
        let mut scans = Vec::new();
        for (after_cursor, cursor) in [(false, ""), (true, "1000")] {
            sqlx::raw_sql(&plan(after_cursor)).execute(&mut conn).await.unwrap();
            let explain = format!("EXPLAIN EXECUTE listing ('BANK000001', '은행-001', 'c1', '{cursor}', 11)");
            let lines: Vec<String> = sqlx::query_scalar(&explain).fetch_all(&mut conn).await.unwrap();
            scans.push(lines.iter().filter(|line| line.contains(" on assets")).count());
            sqlx::raw_sql("DEALLOCATE listing").execute(&mut conn).await.unwrap();
        }
        assert_eq!(scans, [1, 2], "assets scans of a first page, then of a page after a cursor");
    }
}
