//! [`Store`] on SQLite or PostgreSQL through sqlx's `Any` driver: one SQL text for both.
//! Placeholders are `$N`, which both SQLite and PostgreSQL accept.

use crate::grant_cache::GrantCache;
use crate::local_read::{LocalReader, LocalRow, Param};
use crate::notify::Announcements;
use crate::*;
use chrono::NaiveDate;
use mydata_domain::{ConsentOptions, ConsentStatus, ScopeSet};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQL store. Cheap to clone: clones share one pool.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// Shared by clones, so that a write through any clone makes every clone's grants stale.
    grants: Arc<GrantCache<(TokenRecord, Consent)>>,
    /// Where the reads of every information-API call run.
    reads: Arc<Reads>,
    /// The queue of this store's SQLite writers (see [`SqlStore::begin_write`]).
    write_turns: Arc<tokio::sync::Mutex<()>>,
    /// On PostgreSQL, how writes to tokens and consents reach the other servers ([`crate::notify`]).
    announcements: Option<Arc<Announcements>>,
}

/// How long a grant read by this store is reused when nothing was written through it; it is how
/// late a revocation made by another process sharing the database can be seen.
pub const DEFAULT_GRANT_CACHE_TTL: Duration = Duration::from_secs(1);

/// `sql` with `params` bound to `$1`, `$2`, … in order.
fn bound<'q>(sql: &'q str, params: &[Param<'q>]) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    params.iter().fold(sqlx::query(sql), |query, param| match *param {
        Param::Text(text) => query.bind(text),
        Param::Int(number) => query.bind(number),
    })
}

/// Where [`SqlStore::read_first`] and [`SqlStore::read_all`] run their statements.
#[derive(Debug)]
enum Reads {
    /// A SQLite file: on the calling thread.
    Local(LocalReader),
    /// A pool: for PostgreSQL one of their own, sized to the cores
    /// ([`default_postgres_read_connections`]); for an in-memory SQLite database the store's pool,
    /// whose one connection holds it.
    Pool(AnyPool),
}

/// The PostgreSQL connections that information-API reads share by default: two per core of this
/// machine. Each such read is one short statement that keeps a PostgreSQL process busy on the cores
/// the server runs on too; with 16 connections on two cores 은행-001 ran at 6,200 req/s, with 4 at
/// 9,000 (BENCHMARKS.md). Writes keep a pool of 16: a transaction holds its connection across
/// several round trips, and with 4 the token endpoints ran at half their rate. A PostgreSQL on
/// machines of its own can take more readers.
fn default_postgres_read_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(u32::MAX)
}

/// The file of a `sqlite:` URL, unless the database lives in memory.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, options) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || options.contains("mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

/// Splits `sqlite://FILE` / `postgres://…` into a backend and the URL sqlx should open.
fn classify(url: &str) -> StoreResult<(Backend, String)> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        // Create the file on first use, like any embedded database.
        let url = if rest.contains("mode=") || rest.contains(":memory:") {
            url.to_owned()
        } else if rest.contains('?') {
            format!("{url}&mode=rwc")
        } else {
            format!("{url}?mode=rwc")
        };
        Ok((Backend::Sqlite, url))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((Backend::Postgres, url.to_owned()))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}

impl SqlStore {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`.
    pub async fn open(url_given: &str) -> StoreResult<SqlStore> {
        SqlStore::open_with(url_given, None).await
    }

    /// [`SqlStore::open`], with `postgres_read_connections` for the reads of information APIs
    /// (default: [`default_postgres_read_connections`]).
    pub async fn open_with(url_given: &str, postgres_read_connections: Option<u32>) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let (backend, url) = classify(url_given)?;
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let read_options = options.clone();
        let file = sqlite_file(url_given);
        let pool = match backend {
            // Each connection to `sqlite::memory:` is a database of its own: the one connection
            // holds it, and must never be closed as idle or old.
            Backend::Sqlite if file.is_none() => {
                options.max_connections(1).idle_timeout(None).max_lifetime(None).connect(&url).await?
            }
            Backend::Sqlite => {
                options
                    .max_connections(8)
                    // An embedded database's connection cannot drop like a network one; the check
                    // would be one more hand-off to the connection's worker thread per statement.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the single writer; busy_timeout queues writers.
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA busy_timeout = 10000",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA foreign_keys = ON",
                            ] {
                                sqlx::query(pragma).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => options.max_connections(16).connect(&url).await?,
        };
        MIGRATOR.run(&pool).await?;
        let reads = match (backend, file) {
            (Backend::Sqlite, Some(file)) => Reads::Local(LocalReader::new(file)),
            (Backend::Sqlite, None) => Reads::Pool(pool.clone()),
            (Backend::Postgres, _) => {
                let connections = postgres_read_connections.unwrap_or_else(default_postgres_read_connections);
                // Opened on first use: commands that never read information APIs open no reader.
                // No ping before each use: sqlx's check is a round trip of its own (Sync and
                // ReadyForQuery), as many as the read itself. A connection lost meanwhile fails
                // its one call and is replaced.
                let read_options = read_options.test_before_acquire(false);
                Reads::Pool(read_options.max_connections(connections.max(1)).connect_lazy(&url)?)
            }
        };
        Ok(SqlStore {
            pool,
            backend,
            grants: Arc::new(GrantCache::new(DEFAULT_GRANT_CACHE_TTL)),
            reads: Arc::new(reads),
            write_turns: Arc::default(),
            announcements: (backend == Backend::Postgres).then(|| Arc::new(Announcements::new(&url))),
        })
    }

    /// Sets how long grants are reused (see [`DEFAULT_GRANT_CACHE_TTL`]); zero reads every call.
    pub fn with_grant_cache_ttl(mut self, ttl: Duration) -> SqlStore {
        self.grants = Arc::new(GrantCache::new(ttl));
        self
    }

    /// On PostgreSQL, from now on drops this store's remembered grants whenever another server
    /// sharing the database writes tokens or consents ([`crate::notify`]); nothing on SQLite. Call
    /// it after [`SqlStore::with_grant_cache_ttl`].
    pub async fn listen_for_revocations(&self) -> StoreResult<()> {
        match &self.announcements {
            Some(announcements) => announcements.listen(&self.grants).await,
            None => Ok(()),
        }
    }

    /// The first row of a read made by every information-API call (see [`Reads`]).
    async fn read_first(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<Option<ReadRow>> {
        Ok(match self.reads.as_ref() {
            Reads::Local(local) => local.first_row(sql, params)?.map(ReadRow::Local),
            Reads::Pool(pool) => bound(sql, params).fetch_optional(pool).await?.map(ReadRow::Sqlx),
        })
    }

    /// Every row of such a read.
    async fn read_all(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<Vec<ReadRow>> {
        Ok(match self.reads.as_ref() {
            Reads::Local(local) => local.rows(sql, params, usize::MAX)?.into_iter().map(ReadRow::Local).collect(),
            Reads::Pool(pool) => bound(sql, params).fetch_all(pool).await?.into_iter().map(ReadRow::Sqlx).collect(),
        })
    }

    /// Runs a write to tokens or consents, then marks every cached grant stale.
    async fn writing_grants<T>(&self, write: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let written = write.await;
        self.grants.invalidate();
        if let (Ok(_), Some(announcements)) = (&written, &self.announcements) {
            announcements.announce(&self.pool).await;
        }
        written
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// a deferred transaction that reads first and writes later fails with SQLITE_BUSY_SNAPSHOT when
    /// another connection wrote in between, which busy_timeout cannot wait out.
    ///
    /// SQLite has one writer at a time, and a writer that finds the lock taken sleeps in SQLite's
    /// busy handler (1, 2, 5, … 100 ms) rather than being woken when it is free: with 32 concurrent
    /// token requests that was a p99 above 100 ms. This store's writers take turns in a queue first.
    ///
    /// The `BEGIN` runs on a task of its own. sqlx's SQLite worker rolls back a `BEGIN` whose caller
    /// has gone, but not one whose caller goes after the answer was sent and before it was read:
    /// that connection went back to the pool holding the write lock, and every later writer failed
    /// with "database is locked". The task always receives its transaction, so dropping it rolls back.
    pub async fn begin_write(&self) -> Result<WriteTransaction, sqlx::Error> {
        let turn = self.write_turn().await;
        let tx = match self.backend {
            Backend::Sqlite => {
                let pool = self.pool.clone();
                tokio::spawn(async move { pool.begin_with("BEGIN IMMEDIATE").await })
                    .await
                    .map_err(|gone| sqlx::Error::Io(std::io::Error::other(gone)))??
            }
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTransaction { tx, _turn: turn })
    }

    /// This store's turn to write: held by [`SqlStore::begin_write`]'s transactions, and by a single
    /// writing statement run on [`SqlStore::pool`], so that it queues with the other writers instead
    /// of sleeping in SQLite's busy handler (under load that sleep made single updates take over a
    /// second). Nothing to wait for on PostgreSQL.
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_turns.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }
}

/// A transaction from [`SqlStore::begin_write`]; statements run on it as on its connection.
pub struct WriteTransaction {
    // Dropped before the turn, so that the next writer finds the transaction ended.
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTransaction {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

/// A row read by [`SqlStore::read_first`], [`SqlStore::read_all`] or through the pool, its columns by position.
enum ReadRow {
    Sqlx(AnyRow),
    Local(LocalRow),
}

impl ReadRow {
    fn text(&mut self, column: usize) -> StoreResult<Option<String>> {
        match self {
            ReadRow::Sqlx(row) => Ok(row.try_get(column)?),
            ReadRow::Local(row) => row.text(column),
        }
    }

    fn int(&self, column: usize) -> StoreResult<Option<i64>> {
        match self {
            ReadRow::Sqlx(row) => Ok(row.try_get(column)?),
            ReadRow::Local(row) => row.int(column),
        }
    }

    fn required_text(&mut self, column: usize) -> StoreResult<String> {
        self.text(column)?.ok_or_else(|| StoreError::Corrupt(format!("column {column} is NULL")))
    }

    fn required_int(&self, column: usize) -> StoreResult<i64> {
        self.int(column)?.ok_or_else(|| StoreError::Corrupt(format!("column {column} is NULL")))
    }
}

/// Sort keys are stored as lowercase hex of their UTF-8 bytes: hex text orders exactly like the
/// bytes under every collation (PostgreSQL databases may use a locale collation, SQLite uses bytes),
/// so keyset pages are identical on both backends.
fn sort_hex(key: &str) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(key.len() * 2);
    for b in key.bytes() {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    hex
}

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

/// [`Store::asset_listing`]'s statement: a first row (`0` in the first column) with the list's change
/// stamp and the customer's reg_date, then the page ([`asset_page_sql`], `1` in the first column).
/// One statement reads one snapshot, so the stamp never runs ahead of the page it comes with.
fn asset_listing_sql(after_cursor: bool) -> &'static str {
    static STATEMENTS: StatementPair = StatementPair::new(|after_cursor| {
        format!(
            "SELECT CAST(0 AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
               (SELECT MAX(updated_at) FROM assets WHERE org_code = $1 AND list_api = $2 AND customer_id = $3), \
               (SELECT reg_date FROM customers WHERE org_code = $1 AND customer_id = $3) \
             UNION ALL SELECT CAST(1 AS BIGINT), {LISTED_COLUMNS}, NULL, NULL FROM ({}) page",
            asset_page_sql(LISTED_COLUMNS, after_cursor)
        )
    });
    STATEMENTS.get(after_cursor)
}

/// [`Store::asset_subject`]'s statement: the asset, then the document (`$4`, `$5`) when one is asked
/// for; the index of each answers its part.
fn asset_subject_sql(with_document: bool) -> &'static str {
    static STATEMENTS: StatementPair = StatementPair::new(|with_document| {
        let (document, join) = if with_document {
            (
                "d.body, d.updated_at",
                "LEFT JOIN documents d ON d.org_code = $1 AND d.api_id = $4 AND d.subject_key = $5",
            )
        } else {
            ("CAST(NULL AS TEXT), CAST(NULL AS BIGINT)", "")
        };
        format!(
            "SELECT a.customer_id, a.updated_at, {document} FROM assets a {join} \
             WHERE a.org_code = $1 AND a.list_api = $2 AND a.asset_key = $3"
        )
    });
    STATEMENTS.get(with_document)
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

/// [`Store::history_page`]'s statement: a page of a subject's rows, newest first.
fn history_page_sql(before_cursor: bool) -> &'static str {
    static STATEMENTS: StatementPair = StatementPair::new(|before_cursor| {
        let keyset = keyset(before_cursor, "<", 7);
        format!(
            "SELECT sort_key, body FROM history \
             WHERE org_code = $1 AND api_id = $2 AND subject_key = $3 AND customer_id = $4 \
             AND occurred >= $5 AND occurred <= $6 {keyset} ORDER BY sort_key DESC LIMIT $8"
        )
    });
    STATEMENTS.get(before_cursor)
}

fn sort_unhex(hex: &str) -> StoreResult<String> {
    let corrupt = || StoreError::Corrupt(format!("sort key {hex:?} is not hex"));
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()).ok_or_else(corrupt))
        .collect::<StoreResult<Vec<u8>>>()?;
    String::from_utf8(bytes).map_err(|_| corrupt())
}

/// The stored text of information data (asset items, documents, history bodies): wire JSON, every
/// number and boolean as a string (첨부2), so that answers carry it as it is.
fn wire_json_text(value: &Value) -> String {
    json_text(&mydata_spec::wire::to_wire(value))
}

fn json_text(value: &Value) -> String {
    thread_local! {
        /// Serializing into a buffer that keeps its capacity, then copying once, avoids growing
        /// every text step by step (a bulk load encodes millions of values).
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        match serde_json::to_writer(&mut *buffer, value) {
            // serde_json writes UTF-8 only.
            Ok(()) => String::from_utf8(buffer.clone()).unwrap_or_else(|_| value.to_string()),
            Err(_) => value.to_string(),
        }
    })
}

fn parse_json(text: &str, what: &str) -> StoreResult<Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn parse_date(text: &str, what: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y%m%d").map_err(|e| StoreError::Corrupt(format!("{what} {text:?}: {e}")))
}

fn org_from(row: &AnyRow) -> StoreResult<Org> {
    Ok(Org {
        org_code: row.try_get("org_code")?,
        org_name: row.try_get("org_name")?,
        industry: row.try_get("industry")?,
        org_type: row.try_get("org_type")?,
        updated_at: row.try_get("updated_at")?,
    })
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

pub(crate) fn token_kind_text(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Access => "access",
        TokenKind::Refresh => "refresh",
    }
}

pub(crate) fn token_status_text(status: TokenStatus) -> &'static str {
    match status {
        TokenStatus::Active => "active",
        TokenStatus::Rotated => "rotated",
        TokenStatus::Revoked => "revoked",
    }
}

pub(crate) fn token_from(row: &AnyRow) -> StoreResult<TokenRecord> {
    token_with_prefix(row, "")
}

/// A token whose columns carry `prefix` (`token_` where a join also selects a consent's columns).
fn token_with_prefix(row: &AnyRow, prefix: &str) -> StoreResult<TokenRecord> {
    let column = |name: &str| format!("{prefix}{name}");
    let kind: String = row.try_get(column("kind").as_str())?;
    let status: String = row.try_get(column("status").as_str())?;
    Ok(TokenRecord {
        jti: row.try_get(column("jti").as_str())?,
        consent_id: row.try_get(column("consent_id").as_str())?,
        client_id: row.try_get(column("client_id").as_str())?,
        kind: match kind.as_str() {
            "access" => TokenKind::Access,
            "refresh" => TokenKind::Refresh,
            _ => return Err(StoreError::Corrupt(format!("token kind {kind:?}"))),
        },
        pair_id: row.try_get(column("pair_id").as_str())?,
        status: match status.as_str() {
            "active" => TokenStatus::Active,
            "rotated" => TokenStatus::Rotated,
            "revoked" => TokenStatus::Revoked,
            _ => return Err(StoreError::Corrupt(format!("token status {status:?}"))),
        },
        expires_at: row.try_get(column("expires_at").as_str())?,
        created_at: row.try_get(column("created_at").as_str())?,
    })
}

/// A token with its consent and the consent's assets — the provider's per-call authentication in
/// one round trip and one row (every row of a result is a hand-off between threads in sqlx's SQLite
/// driver): the assets come joined by U+001F, which no asset key (aN, 첨부2) contains.
fn access_grant_query(join_assets: &str) -> String {
    let consent: Vec<String> = CONSENT_COLUMNS.split(',').map(|c| format!("c.{}", c.trim())).collect();
    let token: Vec<String> =
        ["jti", "consent_id", "client_id", "kind", "pair_id", "status", "expires_at", "created_at"]
            .iter()
            .map(|c| format!("t.{c} AS token_{c}"))
            .collect();
    format!(
        "SELECT {}, {}, (SELECT {join_assets} FROM consent_assets a WHERE a.consent_id = t.consent_id) \
           AS consented_assets \
         FROM tokens t JOIN consents c ON c.consent_id = t.consent_id WHERE t.jti = $1",
        consent.join(", "),
        token.join(", ")
    )
}

static ACCESS_GRANT_SQLITE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| access_grant_query("group_concat(a.asset_key, char(31))"));
static ACCESS_GRANT_POSTGRES: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| access_grant_query("string_agg(a.asset_key, chr(31))"));

/// Rows per multi-row statement of [`Store::load_info`]: 500 × 7 columns stays far below the
/// parameter limits of SQLite (32766) and PostgreSQL (65535).
const BULK_ROWS: usize = 500;

/// `INSERT INTO <table_columns> VALUES ($1, …), (…) ON CONFLICT <on_conflict>` for `rows` rows.
///
/// On SQLite the placeholders are anonymous `?`: sqlx binds each argument after asking SQLite for
/// its parameter's name, which is a linear search through the statement's named parameters, so
/// 3,500 `$N` parameters cost millions of string comparisons per statement (the profile of
/// `mydata testdata` showed half its time there); anonymous parameters have no names to search.
fn bulk_upsert(backend: Backend, table_columns: &str, columns: usize, rows: usize, on_conflict: &str) -> String {
    let mut sql = format!("INSERT INTO {table_columns} VALUES ");
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 1..=columns {
            if c > 1 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => sql.push_str(&format!("${}", r * columns + c)),
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT ");
    sql.push_str(on_conflict);
    sql
}

impl EncodedInfo {
    /// Encodes owned rows, moving their text rather than copying it.
    pub fn encode(
        customers: Vec<Customer>,
        assets: Vec<AssetRow>,
        documents: Vec<Document>,
        history: Vec<HistoryRow>,
    ) -> EncodedInfo {
        EncodedInfo {
            customers,
            assets: assets
                .into_iter()
                .map(|a| EncodedAsset {
                    sort_key: sort_hex(&a.sort_key),
                    item: wire_json_text(&a.item),
                    org_code: a.org_code,
                    list_api: a.list_api,
                    asset_key: a.asset_key,
                    customer_id: a.customer_id,
                    updated_at: a.updated_at,
                })
                .collect(),
            documents: documents
                .into_iter()
                .map(|d| EncodedDocument {
                    body: wire_json_text(&d.body),
                    org_code: d.org_code,
                    api_id: d.api_id,
                    subject_key: d.subject_key,
                    customer_id: d.customer_id,
                    updated_at: d.updated_at,
                })
                .collect(),
            history: history
                .into_iter()
                .map(|h| EncodedHistory {
                    sort_key: sort_hex(&h.sort_key),
                    body: wire_json_text(&h.body),
                    org_code: h.org_code,
                    api_id: h.api_id,
                    subject_key: h.subject_key,
                    customer_id: h.customer_id,
                    occurred: h.occurred,
                })
                .collect(),
        }
    }

    /// Encodes borrowed rows.
    pub fn encode_batch(batch: &InfoBatch<'_>) -> EncodedInfo {
        EncodedInfo::encode(
            batch.customers.to_vec(),
            batch.assets.to_vec(),
            batch.documents.to_vec(),
            batch.history.to_vec(),
        )
    }
}

/// Writes encoded rows with multi-row upserts, [`BULK_ROWS`] rows per statement.
async fn write_encoded(conn: &mut sqlx::AnyConnection, backend: Backend, batch: &EncodedInfo) -> StoreResult<()> {
    for chunk in batch.customers.chunks(BULK_ROWS) {
        let sql = bulk_upsert(
            backend,
            "customers (org_code, customer_id, ci, customer_name, reg_date)",
            5,
            chunk.len(),
            "(org_code, customer_id) DO UPDATE SET ci = excluded.ci, customer_name = excluded.customer_name, \
                 reg_date = excluded.reg_date",
        );
        let mut query = sqlx::query(&sql);
        for c in chunk {
            query = query
                .bind(c.org_code.as_str())
                .bind(c.customer_id.as_str())
                .bind(c.ci.as_str())
                .bind(c.customer_name.as_str())
                .bind(c.reg_date.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    for chunk in batch.assets.chunks(BULK_ROWS) {
        let sql = bulk_upsert(
            backend,
            "assets (org_code, list_api, asset_key, customer_id, sort_key, item, updated_at)",
            7,
            chunk.len(),
            "(org_code, list_api, asset_key) DO UPDATE SET customer_id = excluded.customer_id, \
                 sort_key = excluded.sort_key, item = excluded.item, updated_at = excluded.updated_at",
        );
        let mut query = sqlx::query(&sql);
        for a in chunk {
            query = query
                .bind(a.org_code.as_str())
                .bind(a.list_api.as_str())
                .bind(a.asset_key.as_str())
                .bind(a.customer_id.as_str())
                .bind(a.sort_key.as_str())
                .bind(a.item.as_str())
                .bind(a.updated_at);
        }
        query.execute(&mut *conn).await?;
    }
    for chunk in batch.documents.chunks(BULK_ROWS) {
        let sql = bulk_upsert(
            backend,
            "documents (org_code, api_id, subject_key, customer_id, body, updated_at)",
            6,
            chunk.len(),
            "(org_code, api_id, subject_key) DO UPDATE SET customer_id = excluded.customer_id, \
                 body = excluded.body, updated_at = excluded.updated_at",
        );
        let mut query = sqlx::query(&sql);
        for d in chunk {
            query = query
                .bind(d.org_code.as_str())
                .bind(d.api_id.as_str())
                .bind(d.subject_key.as_str())
                .bind(d.customer_id.as_str())
                .bind(d.body.as_str())
                .bind(d.updated_at);
        }
        query.execute(&mut *conn).await?;
    }
    for chunk in batch.history.chunks(BULK_ROWS) {
        let sql = bulk_upsert(
            backend,
            "history (org_code, api_id, subject_key, sort_key, customer_id, occurred, body)",
            7,
            chunk.len(),
            "(org_code, api_id, subject_key, sort_key) DO UPDATE SET customer_id = excluded.customer_id, \
                 occurred = excluded.occurred, body = excluded.body",
        );
        let mut query = sqlx::query(&sql);
        for h in chunk {
            query = query
                .bind(h.org_code.as_str())
                .bind(h.api_id.as_str())
                .bind(h.subject_key.as_str())
                .bind(h.sort_key.as_str())
                .bind(h.customer_id.as_str())
                .bind(h.occurred.as_str())
                .bind(h.body.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// [`BulkLoad`] through connections of the pool set up for loading while the load lasts: one on
/// SQLite (it has one writer), one per core on PostgreSQL, whose server then works on as many
/// batches at once (with one, the server's single process was the slowest stage of the pipeline).
///
/// On SQLite a second connection checkpoints while the writer writes the next batch: copying the
/// WAL into the database was a quarter of the writer thread's time when the writer's commits did
/// it (automatic checkpoints, now off on the writer).
struct SqlBulkLoad {
    backend: Backend,
    /// Connections waiting for a batch.
    idle: Vec<Loading>,
    /// Batches being written, each giving its connection back.
    writing: tokio::task::JoinSet<StoreResult<Loading>>,
    /// SQLite: the checkpointing connection, idle or at work.
    checkpointer: Option<Checkpointer>,
    /// Batches written since the WAL last started over.
    since_restart: usize,
    /// Statements that put a connection's settings back.
    restore: Vec<String>,
}

enum Checkpointer {
    Idle(Loading),
    Working(tokio::task::JoinHandle<StoreResult<Loading>>),
}

/// Every this many batches the SQLite load lets a checkpoint catch up with everything written
/// before the next batch begins, so that the WAL starts over instead of growing with the load (a
/// checkpoint running beside the writer never finds the WAL wholly copied).
const BULK_WAL_RESTART: usize = 8;

/// A passive checkpoint: copies what is committed, waiting for nobody.
async fn checkpoint(mut loading: Loading) -> StoreResult<Loading> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(loading.connection()).await?;
    Ok(loading)
}

/// A connection with the loading settings: closed when dropped (an error, or a load given up)
/// rather than returned to the pool with them; [`Loading::release`] returns it after restoring.
struct Loading(Option<sqlx::pool::PoolConnection<sqlx::Any>>);

impl Loading {
    fn connection(&mut self) -> &mut sqlx::AnyConnection {
        self.0.as_mut().expect("a loading connection until released")
    }

    async fn release(mut self, restore: &[String], backend: Backend) -> StoreResult<()> {
        for statement in restore {
            sqlx::query(statement).execute(self.connection()).await?;
        }
        if backend == Backend::Sqlite {
            // With synchronous back to NORMAL, a checkpoint syncs the WAL before copying it.
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(self.connection()).await?;
        }
        self.0.take();
        Ok(())
    }
}

impl Drop for Loading {
    fn drop(&mut self) {
        if let Some(connection) = self.0.take() {
            drop(connection.detach());
        }
    }
}

/// Page cache of a bulk-loading SQLite connection (KiB, as `PRAGMA cache_size` takes negative
/// numbers): a batch's index pages stay in memory instead of being spilled and read back.
const BULK_CACHE_KIB: i64 = 65_536;

impl SqlBulkLoad {
    async fn start(store: &SqlStore) -> StoreResult<SqlBulkLoad> {
        let connections = match store.backend {
            Backend::Sqlite => 2, // the writer and the checkpointer
            Backend::Postgres => std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4),
        };
        let mut idle = Vec::new();
        let mut restore = Vec::new();
        for _ in 0..connections {
            let mut loading = Loading(Some(store.pool.acquire().await?));
            let setup: Vec<String> = match store.backend {
                // Loading is repeatable: a crash of the machine mid-load may lose the load (a crash
                // of the process cannot corrupt the database), and synchronous = OFF saves the
                // fsyncs of every checkpoint, which on a busy disk took longer than the writing.
                Backend::Sqlite => {
                    restore.clear();
                    for setting in ["synchronous", "cache_size", "wal_autocheckpoint"] {
                        let value: i64 =
                            sqlx::query_scalar(&format!("PRAGMA {setting}")).fetch_one(loading.connection()).await?;
                        restore.push(format!("PRAGMA {setting} = {value}"));
                    }
                    vec![
                        "PRAGMA synchronous = OFF".into(),
                        format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"),
                        "PRAGMA wal_autocheckpoint = 0".into(),
                    ]
                }
                // Commits do not wait for their WAL flush; a crash may lose the last batches, never
                // make the database inconsistent.
                Backend::Postgres => {
                    restore = vec!["RESET synchronous_commit".into()];
                    vec!["SET synchronous_commit = off".into()]
                }
            };
            for statement in &setup {
                sqlx::query(statement).execute(loading.connection()).await?;
            }
            idle.push(loading);
        }
        let checkpointer = match store.backend {
            Backend::Sqlite => idle.pop().map(Checkpointer::Idle),
            Backend::Postgres => None,
        };
        Ok(SqlBulkLoad {
            backend: store.backend,
            idle,
            writing: tokio::task::JoinSet::new(),
            checkpointer,
            since_restart: 0,
            restore,
        })
    }

    /// The checkpointer back from its work (waiting for it if `wait`), if it is done.
    async fn checkpointer_done(&mut self, wait: bool) -> StoreResult<Option<Loading>> {
        match self.checkpointer.take() {
            None => Ok(None),
            Some(Checkpointer::Idle(loading)) => Ok(Some(loading)),
            Some(Checkpointer::Working(work)) if wait || work.is_finished() => match work.await {
                Ok(done) => done.map(Some),
                Err(failed) => Err(StoreError::Corrupt(format!("a bulk-load checkpoint failed: {failed}"))),
            },
            Some(working) => {
                self.checkpointer = Some(working);
                Ok(None)
            }
        }
    }

    /// SQLite, between batches (no write in flight): starts a checkpoint of what is committed
    /// beside the next batch, or every [`BULK_WAL_RESTART`] batches finishes one first.
    async fn checkpoint_between_batches(&mut self) -> StoreResult<()> {
        self.since_restart += 1;
        let restart = self.since_restart >= BULK_WAL_RESTART;
        let Some(loading) = self.checkpointer_done(restart).await? else { return Ok(()) };
        self.checkpointer = Some(if restart {
            self.since_restart = 0;
            Checkpointer::Idle(checkpoint(loading).await?)
        } else {
            Checkpointer::Working(tokio::spawn(checkpoint(loading)))
        });
        Ok(())
    }

    /// The connection of the next batch written, or its error.
    async fn written(&mut self) -> StoreResult<Option<Loading>> {
        match self.writing.join_next().await {
            None => Ok(None),
            Some(Ok(done)) => done.map(Some),
            Some(Err(failed)) => Err(StoreError::Corrupt(format!("a bulk-load writer failed: {failed}"))),
        }
    }
}

#[async_trait]
impl BulkLoad for SqlBulkLoad {
    async fn load(&mut self, batch: EncodedInfo) -> StoreResult<()> {
        let mut loading = match self.idle.pop() {
            Some(loading) => loading,
            None => self.written().await?.ok_or_else(|| StoreError::Corrupt("no bulk-load connection".into()))?,
        };
        if self.backend == Backend::Sqlite {
            self.checkpoint_between_batches().await?;
        }
        let backend = self.backend;
        self.writing.spawn(async move {
            use sqlx::Connection;
            let mut tx = match backend {
                Backend::Sqlite => loading.connection().begin_with("BEGIN IMMEDIATE").await?,
                Backend::Postgres => loading.connection().begin().await?,
            };
            write_encoded(&mut tx, backend, &batch).await?;
            tx.commit().await?;
            Ok(loading)
        });
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> StoreResult<()> {
        while let Some(loading) = self.written().await? {
            self.idle.push(loading);
        }
        if let Some(loading) = self.checkpointer_done(true).await? {
            self.idle.push(loading);
        }
        for loading in std::mem::take(&mut self.idle) {
            loading.release(&self.restore, self.backend).await?;
        }
        Ok(())
    }
}

/// Cuts a fetched `limit + 1` rows down to `limit` and says where the next page starts.
fn paged<T>(mut items: Vec<T>, limit: u32, key: impl Fn(&T) -> &str) -> Page<T> {
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|last| key(last).to_owned())
    } else {
        None
    };
    Page { items, next }
}

pub(crate) const CONSENT_COLUMNS: &str = "consent_id, org_code, customer_id, client_id, scopes, is_scheduled, fnd_cycle, add_cycle, \
     end_date, purpose, period, consent_trans_memo, consent_merchant_name_regno, consent_trans_category, status, created_at";

impl SqlStore {
    async fn read_access_grant(&self, jti: &str) -> StoreResult<Option<(TokenRecord, Consent)>> {
        let query = match self.backend {
            Backend::Sqlite => ACCESS_GRANT_SQLITE.as_str(),
            Backend::Postgres => ACCESS_GRANT_POSTGRES.as_str(),
        };
        let Some(row) = sqlx::query(query).bind(jti).fetch_optional(&self.pool).await? else { return Ok(None) };
        let joined: Option<String> = row.try_get("consented_assets")?;
        let assets = joined.iter().flat_map(|j| j.split('\u{1f}')).map(str::to_owned).collect();
        Ok(Some((token_with_prefix(&row, "token_")?, consent_with_assets(&row, assets)?)))
    }

    async fn consent_from(&self, row: &AnyRow) -> StoreResult<Consent> {
        let consent_id: String = row.try_get("consent_id")?;
        let assets = sqlx::query("SELECT asset_key FROM consent_assets WHERE consent_id = $1 ORDER BY asset_key")
            .bind(&consent_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("asset_key"))
            .collect::<Result<BTreeSet<_>, _>>()?;
        consent_with_assets(row, assets)
    }
}

/// A consent from its row ([`CONSENT_COLUMNS`]) and its assets.
fn consent_with_assets(row: &AnyRow, assets: BTreeSet<String>) -> StoreResult<Consent> {
    let consent_id: String = row.try_get("consent_id")?;
    let scopes: String = row.try_get("scopes")?;
    let status: String = row.try_get("status")?;
    let end_date: String = row.try_get("end_date")?;
    let period: String = row.try_get("period")?;
    Ok(Consent {
        scopes: ScopeSet::from_str(&scopes).map_err(|e| StoreError::Corrupt(format!("consent scopes: {e}")))?,
        status: ConsentStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("consent status {status:?}")))?,
        end_date: parse_date(&end_date, "consent end_date")?,
        period: parse_date(&period, "consent period")?,
        org_code: row.try_get("org_code")?,
        customer_id: row.try_get("customer_id")?,
        client_id: row.try_get("client_id")?,
        is_scheduled: row.try_get::<i64, _>("is_scheduled")? != 0,
        fnd_cycle: row.try_get("fnd_cycle")?,
        add_cycle: row.try_get("add_cycle")?,
        purpose: row.try_get("purpose")?,
        options: ConsentOptions {
            trans_memo: row.try_get::<i64, _>("consent_trans_memo")? != 0,
            merchant_name_regno: row.try_get::<i64, _>("consent_merchant_name_regno")? != 0,
            trans_category: row.try_get::<i64, _>("consent_trans_category")? != 0,
        },
        created_at: row.try_get("created_at")?,
        assets,
        consent_id,
    })
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn pool_usage(&self) -> Vec<PoolUsage> {
        let usage = |pool: &'static str, of: &AnyPool| PoolUsage {
            pool,
            open: of.size(),
            idle: u32::try_from(of.num_idle()).unwrap_or(u32::MAX),
            max: of.options().get_max_connections(),
        };
        let mut pools = vec![usage("main", &self.pool)];
        if let (Backend::Postgres, Reads::Pool(reads)) = (self.backend, self.reads.as_ref()) {
            pools.push(usage("reads", reads));
        }
        pools
    }

    async fn upsert_org(&self, org: &Org) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO orgs (org_code, org_name, industry, org_type, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_code) DO UPDATE SET org_name = excluded.org_name, industry = excluded.industry, \
             org_type = excluded.org_type, updated_at = excluded.updated_at",
        )
        .bind(&org.org_code)
        .bind(&org.org_name)
        .bind(&org.industry)
        .bind(&org.org_type)
        .bind(org.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn org(&self, org_code: &str) -> StoreResult<Option<Org>> {
        let row =
            sqlx::query("SELECT * FROM orgs WHERE org_code = $1").bind(org_code).fetch_optional(&self.pool).await?;
        row.as_ref().map(org_from).transpose()
    }

    async fn orgs(&self) -> StoreResult<Vec<Org>> {
        let rows = sqlx::query("SELECT * FROM orgs ORDER BY org_code").fetch_all(&self.pool).await?;
        rows.iter().map(org_from).collect()
    }

    async fn upsert_client(&self, client: &Client) -> StoreResult<()> {
        let uris = serde_json::to_string(&client.redirect_uris).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO clients (client_id, client_secret_hash, org_code, client_name, redirect_uris, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id) DO UPDATE SET \
             client_secret_hash = excluded.client_secret_hash, org_code = excluded.org_code, \
             client_name = excluded.client_name, redirect_uris = excluded.redirect_uris, updated_at = excluded.updated_at",
        )
        .bind(&client.client_id)
        .bind(&client.client_secret_hash)
        .bind(&client.org_code)
        .bind(&client.client_name)
        .bind(uris)
        .bind(client.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let Some(row) = sqlx::query("SELECT * FROM clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let uris: String = row.try_get("redirect_uris")?;
        Ok(Some(Client {
            client_id: row.try_get("client_id")?,
            client_secret_hash: row.try_get("client_secret_hash")?,
            org_code: row.try_get("org_code")?,
            client_name: row.try_get("client_name")?,
            redirect_uris: serde_json::from_str(&uris)
                .map_err(|e| StoreError::Corrupt(format!("redirect_uris: {e}")))?,
            updated_at: row.try_get("updated_at")?,
        }))
    }

    async fn upsert_customer(&self, c: &Customer) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO customers (org_code, customer_id, ci, customer_name, reg_date) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_code, customer_id) DO UPDATE SET ci = excluded.ci, \
             customer_name = excluded.customer_name, reg_date = excluded.reg_date",
        )
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

    async fn insert_consent(&self, c: &Consent) -> StoreResult<()> {
        self.writing_grants(async {
            let mut tx = self.begin_write().await?;
            crate::sql_auth::write_consent(&mut tx, c).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn consent(&self, consent_id: &str) -> StoreResult<Option<Consent>> {
        let row = sqlx::query(&format!("SELECT {CONSENT_COLUMNS} FROM consents WHERE consent_id = $1"))
            .bind(consent_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.consent_from(&row).await?)),
            None => Ok(None),
        }
    }

    async fn revoke_consent(&self, consent_id: &str) -> StoreResult<bool> {
        self.writing_grants(async {
            let done = sqlx::query(
                "UPDATE consents SET status = 'revoked', revoked_at = $2, revocation = 'withdrawn' \
                 WHERE consent_id = $1 AND status = 'active'",
            )
            .bind(consent_id)
            .bind(chrono::Utc::now().timestamp())
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn consent_counts(&self, org_code: &str, from: i64, to: i64, day: &str) -> StoreResult<Vec<ConsentCounts>> {
        self.auth_consent_counts(org_code, from, to, day).await
    }

    async fn consents_of_customer(&self, org_code: &str, customer_id: &str) -> StoreResult<Vec<Consent>> {
        let rows = sqlx::query(&format!(
            "SELECT {CONSENT_COLUMNS} FROM consents WHERE org_code = $1 AND customer_id = $2 \
             ORDER BY created_at DESC, consent_id"
        ))
        .bind(org_code)
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        let mut consents = Vec::with_capacity(rows.len());
        for row in &rows {
            consents.push(self.consent_from(row).await?);
        }
        Ok(consents)
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        let rows = sqlx::query("SELECT * FROM signing_keys ORDER BY created_at, kid").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(SigningKey {
                    kid: row.try_get("kid")?,
                    algorithm: row.try_get("algorithm")?,
                    private_pkcs8: row.try_get("private_pkcs8")?,
                    public_key: row.try_get("public_key")?,
                    created_at: row.try_get("created_at")?,
                    retired_at: row.try_get("retired_at")?,
                })
            })
            .collect()
    }

    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, private_pkcs8, public_key, created_at, retired_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key.kid)
        .bind(&key.algorithm)
        .bind(&key.private_pkcs8)
        .bind(&key.public_key)
        .bind(key.created_at)
        .bind(key.retired_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn insert_tokens(&self, tokens: &[TokenRecord]) -> StoreResult<()> {
        self.writing_grants(async {
            let mut tx = self.begin_write().await?;
            crate::sql_auth::write_tokens(&mut tx, tokens).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn token(&self, jti: &str) -> StoreResult<Option<TokenRecord>> {
        let row = sqlx::query("SELECT * FROM tokens WHERE jti = $1").bind(jti).fetch_optional(&self.pool).await?;
        row.as_ref().map(token_from).transpose()
    }

    async fn access_grant(&self, jti: &str) -> StoreResult<Option<(TokenRecord, Consent)>> {
        if let Some(cached) = self.grants.get(jti) {
            return Ok(Some(cached));
        }
        let ticket = self.grants.ticket();
        let read = self.read_access_grant(jti).await?;
        if let Some(grant) = &read {
            self.grants.put(jti, grant, ticket);
        }
        Ok(read)
    }

    async fn revoke_tokens_of_consent(&self, consent_id: &str) -> StoreResult<u64> {
        self.writing_grants(async {
            let done = sqlx::query("UPDATE tokens SET status = 'revoked' WHERE consent_id = $1 AND status = 'active'")
                .bind(consent_id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected())
        })
        .await
    }

    async fn upsert_assets(&self, rows: &[AssetRow]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for a in rows {
            sqlx::query(
                "INSERT INTO assets (org_code, list_api, asset_key, customer_id, sort_key, item, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_code, list_api, asset_key) DO UPDATE SET \
                 customer_id = excluded.customer_id, sort_key = excluded.sort_key, item = excluded.item, \
                 updated_at = excluded.updated_at",
            )
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

    async fn asset_listing(
        &self,
        org_code: &str,
        list_api: &str,
        customer_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<AssetListing> {
        let sql = asset_listing_sql(after.is_some());
        let after = after.map(sort_hex).unwrap_or_default();
        let params = asset_page_params(org_code, list_api, customer_id, &after, limit);
        let mut header = None;
        let mut items = Vec::new();
        for mut row in self.read_all(sql, &params).await? {
            match row.required_int(0)? {
                0 => header = Some((row.int(4)?, row.text(5)?)),
                _ => items.push((
                    row.required_text(2)?,
                    ListedAsset { asset_key: row.required_text(1)?, item_json: row.required_text(3)? },
                )),
            }
        }
        let (changed_at, reg_date) = header.ok_or_else(|| StoreError::Corrupt("no listing row".into()))?;
        // The rows of a compound statement come in no promised order; hex keys order as the keys do.
        items.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        let page = paged(items, limit, |(hex, _)| hex);
        let next = page.next.as_deref().map(sort_unhex).transpose()?;
        let page = Page { items: page.items.into_iter().map(|(_, asset)| asset).collect(), next };
        Ok(AssetListing { changed_at, reg_date, page })
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
        let document = match (row.text(2)?, row.int(3)?) {
            (Some(body_json), Some(updated_at)) => Some(StoredDocument { body_json, updated_at }),
            _ => None,
        };
        Ok(Some(AssetSubject { customer_id: row.required_text(0)?, updated_at: row.required_int(1)?, document }))
    }

    async fn upsert_documents(&self, docs: &[Document]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for d in docs {
            sqlx::query(
                "INSERT INTO documents (org_code, api_id, subject_key, customer_id, body, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_code, api_id, subject_key) DO UPDATE SET \
                 customer_id = excluded.customer_id, body = excluded.body, updated_at = excluded.updated_at",
            )
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
            sqlx::query(
                "INSERT INTO history (org_code, api_id, subject_key, sort_key, customer_id, occurred, body) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_code, api_id, subject_key, sort_key) \
                 DO UPDATE SET customer_id = excluded.customer_id, occurred = excluded.occurred, body = excluded.body",
            )
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
        let params = [
            Param::Text(q.org_code),
            Param::Text(q.api_id),
            Param::Text(q.subject_key),
            Param::Text(q.customer_id),
            Param::Text(q.from),
            Param::Text(q.to),
            Param::Text(&before),
            Param::Int(i64::from(q.limit) + 1),
        ];
        let rows = self.read_all(sql, &params).await?;
        let items = rows
            .into_iter()
            .map(|mut row| Ok((row.required_text(0)?, HistoryEntry { body_json: row.required_text(1)? })))
            .collect::<StoreResult<Vec<_>>>()?;
        // Only the cursor's sort key is decoded; the others only order the rows, as stored.
        let page = paged(items, q.limit, |(hex, _)| hex);
        let next = page.next.as_deref().map(sort_unhex).transpose()?;
        Ok(Page { items: page.items.into_iter().map(|(_, entry)| entry).collect(), next })
    }

    // --- information data ---
    async fn count_periodic_call(&self, call: &PeriodicCall<'_>) -> StoreResult<u64> {
        // One statement, so that concurrent calls never both see the count before their own.
        let row = sqlx::query(
            "INSERT INTO periodic_calls (consent_id, api_id, subject_key, cycle_window, calls) \
             VALUES ($1, $2, $3, $4, 1) ON CONFLICT (consent_id, api_id, subject_key, cycle_window) \
             DO UPDATE SET calls = periodic_calls.calls + 1 RETURNING calls",
        )
        .bind(call.consent_id)
        .bind(call.api_id)
        .bind(call.subject_key)
        .bind(call.cycle_window)
        .fetch_one(&self.pool)
        .await?;
        let calls: i64 = row.try_get("calls")?;
        Ok(calls.max(0) as u64)
    }

    async fn load_info(&self, batch: &InfoBatch<'_>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        write_encoded(&mut tx, self.backend, &EncodedInfo::encode_batch(batch)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn bulk_load(&self) -> StoreResult<Box<dyn BulkLoad>> {
        Ok(Box::new(SqlBulkLoad::start(self).await?))
    }

    // --- portal and support ---
    async fn upsert_portal_org(&self, org: &PortalOrg) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_orgs (org_code, org_type, body, support_client_id, support_secret_hash, created_at, \
             updated_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_code) DO UPDATE SET \
             org_type = excluded.org_type, body = excluded.body, support_client_id = excluded.support_client_id, \
             support_secret_hash = excluded.support_secret_hash, updated_at = excluded.updated_at, \
             deleted_at = excluded.deleted_at",
        )
        .bind(&org.org_code)
        .bind(&org.org_type)
        .bind(json_text(&org.body))
        .bind(&org.support_client_id)
        .bind(&org.support_secret_hash)
        .bind(org.created_at)
        .bind(org.updated_at)
        .bind(org.deleted_at)
        .execute(&self.pool)
        .await
        .map_err(|e| unique_conflict(e, "support client_id"))?;
        Ok(())
    }

    async fn portal_org(&self, org_code: &str) -> StoreResult<Option<PortalOrg>> {
        let row = sqlx::query("SELECT * FROM portal_orgs WHERE org_code = $1")
            .bind(org_code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(portal_org_from).transpose()
    }

    async fn portal_org_by_support_client(&self, client_id: &str) -> StoreResult<Option<PortalOrg>> {
        let row = sqlx::query("SELECT * FROM portal_orgs WHERE support_client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(portal_org_from).transpose()
    }

    async fn portal_orgs_changed_since(&self, since: i64) -> StoreResult<Vec<PortalOrg>> {
        let rows = sqlx::query("SELECT * FROM portal_orgs WHERE updated_at >= $1 ORDER BY org_code")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(portal_org_from).collect()
    }

    async fn upsert_portal_service(&self, service: &PortalService) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_services (client_id, org_code, body, created_at, updated_at, deleted_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id) DO UPDATE SET org_code = excluded.org_code, \
             body = excluded.body, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at",
        )
        .bind(&service.client_id)
        .bind(&service.org_code)
        .bind(json_text(&service.body))
        .bind(service.created_at)
        .bind(service.updated_at)
        .bind(service.deleted_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn portal_service(&self, client_id: &str) -> StoreResult<Option<PortalService>> {
        let row = sqlx::query("SELECT * FROM portal_services WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(portal_service_from).transpose()
    }

    async fn portal_services_changed_since(&self, since: i64) -> StoreResult<Vec<PortalService>> {
        let rows = sqlx::query("SELECT * FROM portal_services WHERE updated_at >= $1 ORDER BY org_code, client_id")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(portal_service_from).collect()
    }

    async fn put_received_statistics(&self, report: &ReceivedStatistics) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_statistics (api_id, sender_org_code, subject, stat_type, inquiry_date, body, \
             received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (api_id, sender_org_code, subject, \
             stat_type, inquiry_date) DO UPDATE SET body = excluded.body, received_at = excluded.received_at",
        )
        .bind(&report.api_id)
        .bind(&report.sender_org_code)
        .bind(&report.subject)
        .bind(&report.stat_type)
        .bind(&report.inquiry_date)
        .bind(json_text(&report.body))
        .bind(report.received_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn received_statistics(&self, api_id: Option<&str>) -> StoreResult<Vec<ReceivedStatistics>> {
        let rows = sqlx::query(
            "SELECT * FROM portal_statistics WHERE $1 = '' OR api_id = $1 \
             ORDER BY inquiry_date DESC, api_id, sender_org_code, subject, stat_type",
        )
        .bind(api_id.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let body: String = row.try_get("body")?;
                Ok(ReceivedStatistics {
                    api_id: row.try_get("api_id")?,
                    sender_org_code: row.try_get("sender_org_code")?,
                    subject: row.try_get("subject")?,
                    stat_type: row.try_get("stat_type")?,
                    inquiry_date: row.try_get("inquiry_date")?,
                    body: parse_json(&body, "statistics body")?,
                    received_at: row.try_get("received_at")?,
                })
            })
            .collect()
    }

    async fn add_call_stats(&self, stats: &[CallStats]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for cell in stats {
            sqlx::query(
                "INSERT INTO api_call_stats (org_code, client_id, api_code, stat_type, stat_date, tm_slot, \
                 success_cnt, fail_cnt, rsp_total_ms, rsp_square_total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (org_code, client_id, api_code, stat_type, stat_date, tm_slot) DO UPDATE SET \
                 success_cnt = api_call_stats.success_cnt + excluded.success_cnt, \
                 fail_cnt = api_call_stats.fail_cnt + excluded.fail_cnt, \
                 rsp_total_ms = api_call_stats.rsp_total_ms + excluded.rsp_total_ms, \
                 rsp_square_total = api_call_stats.rsp_square_total + excluded.rsp_square_total",
            )
            .bind(&cell.org_code)
            .bind(&cell.client_id)
            .bind(&cell.api_code)
            .bind(&cell.stat_type)
            .bind(&cell.stat_date)
            .bind(&cell.tm_slot)
            .bind(cell.success_cnt)
            .bind(cell.fail_cnt)
            .bind(cell.rsp_total_ms)
            .bind(cell.rsp_square_total)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn call_stats(&self, org_code: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>> {
        self.select_call_stats("org_code", org_code, from, to).await
    }

    async fn call_stats_of_client(&self, client_id: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>> {
        self.select_call_stats("client_id", client_id, from, to).await
    }

    async fn upsert_registry_org(&self, org: &RegistryOrgRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO registry_orgs (org_code, org_type, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_code) DO UPDATE SET org_type = excluded.org_type, body = excluded.body, \
             updated_at = excluded.updated_at",
        )
        .bind(&org.org_code)
        .bind(&org.org_type)
        .bind(json_text(&org.body))
        .bind(org.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn remove_registry_org(&self, org_code: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM registry_orgs WHERE org_code = $1").bind(org_code).execute(&self.pool).await?;
        Ok(())
    }

    async fn registry_org(&self, org_code: &str) -> StoreResult<Option<RegistryOrgRow>> {
        let row = sqlx::query("SELECT * FROM registry_orgs WHERE org_code = $1")
            .bind(org_code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(registry_org_from).transpose()
    }

    async fn registry_orgs(&self) -> StoreResult<Vec<RegistryOrgRow>> {
        let rows = sqlx::query("SELECT * FROM registry_orgs ORDER BY org_code").fetch_all(&self.pool).await?;
        rows.iter().map(registry_org_from).collect()
    }

    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM clients WHERE client_id = $1").bind(client_id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn support_setting(&self, name: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM support_settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    async fn set_support_setting(&self, name: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO support_settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn support_setting_or_insert(&self, name: &str, candidate: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO support_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(&self.pool)
            .await?;
        self.support_setting(name)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("setting {name} vanished right after insertion")))
    }

    // --- authorization server ---
    async fn insert_auth_session(&self, session: &AuthSession) -> StoreResult<()> {
        self.auth_insert_session(session).await
    }

    async fn auth_session(&self, session_digest: &str) -> StoreResult<Option<AuthSession>> {
        self.auth_session_by_digest(session_digest).await
    }

    async fn sign_in_auth_session(
        &self,
        session_digest: &str,
        customer_id: &str,
        browser_digest: &str,
        now: i64,
    ) -> StoreResult<bool> {
        self.auth_sign_in(session_digest, customer_id, browser_digest, now).await
    }

    async fn close_auth_session(&self, session_digest: &str, now: i64) -> StoreResult<bool> {
        self.auth_close_session(session_digest, now).await
    }

    async fn record_consent(
        &self,
        record: &ConsentRecord<'_>,
        now: i64,
    ) -> StoreResult<Result<(), ConsentRecordRefusal>> {
        self.writing_grants(async { self.auth_record_consent(record, now).await }).await
    }

    async fn authorization_code(&self, code_digest: &str) -> StoreResult<Option<AuthorizationCode>> {
        self.auth_code(code_digest).await
    }

    async fn redeem_authorization_code(
        &self,
        code_digest: &str,
        now: i64,
        tokens: &[TokenRecord],
    ) -> StoreResult<Redemption> {
        self.writing_grants(async { self.auth_redeem_code(code_digest, now, tokens).await }).await
    }

    async fn refresh_access_token(
        &self,
        refresh_jti: &str,
        now: i64,
        grace_secs: i64,
        new_access: &TokenRecord,
    ) -> StoreResult<Rotation> {
        self.writing_grants(async { self.auth_refresh(refresh_jti, now, grace_secs, new_access).await }).await
    }

    async fn revoke_consent_and_tokens(&self, consent_id: &str) -> StoreResult<bool> {
        self.writing_grants(async { self.auth_revoke_consent(consent_id).await }).await
    }

    async fn retire_signing_keys_except(&self, keep_kid: &str, at: i64) -> StoreResult<u64> {
        self.auth_retire_keys(keep_kid, at).await
    }

    async fn live_tokens_of_consent(&self, consent_id: &str) -> StoreResult<Vec<TokenRecord>> {
        self.auth_live_tokens_of_consent(consent_id).await
    }

    async fn upsert_certificate_authority(&self, ca: &CertificateAuthority) -> StoreResult<()> {
        self.auth_upsert_ca(ca).await
    }

    async fn certificate_authority(&self, ca_code: &str) -> StoreResult<Option<CertificateAuthority>> {
        self.auth_ca(ca_code).await
    }
}

// --- portal and support ---
impl SqlStore {
    /// Call statistics whose `column` (org_code or client_id) is `value`, for stat_dates in from..=to.
    async fn select_call_stats(&self, column: &str, value: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>> {
        let sql = format!(
            "SELECT * FROM api_call_stats WHERE {column} = $1 AND stat_date >= $2 AND stat_date <= $3 \
             ORDER BY stat_date, org_code, client_id, api_code, stat_type, tm_slot"
        );
        let rows = sqlx::query(&sql).bind(value).bind(from).bind(to).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(CallStats {
                    org_code: row.try_get("org_code")?,
                    client_id: row.try_get("client_id")?,
                    api_code: row.try_get("api_code")?,
                    stat_type: row.try_get("stat_type")?,
                    stat_date: row.try_get("stat_date")?,
                    tm_slot: row.try_get("tm_slot")?,
                    success_cnt: row.try_get("success_cnt")?,
                    fail_cnt: row.try_get("fail_cnt")?,
                    rsp_total_ms: row.try_get("rsp_total_ms")?,
                    rsp_square_total: row.try_get("rsp_square_total")?,
                })
            })
            .collect()
    }
}

fn portal_org_from(row: &AnyRow) -> StoreResult<PortalOrg> {
    let body: String = row.try_get("body")?;
    Ok(PortalOrg {
        org_code: row.try_get("org_code")?,
        org_type: row.try_get("org_type")?,
        body: parse_json(&body, "portal org body")?,
        support_client_id: row.try_get("support_client_id")?,
        support_secret_hash: row.try_get("support_secret_hash")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

fn portal_service_from(row: &AnyRow) -> StoreResult<PortalService> {
    let body: String = row.try_get("body")?;
    Ok(PortalService {
        client_id: row.try_get("client_id")?,
        org_code: row.try_get("org_code")?,
        body: parse_json(&body, "portal service body")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

fn registry_org_from(row: &AnyRow) -> StoreResult<RegistryOrgRow> {
    let body: String = row.try_get("body")?;
    Ok(RegistryOrgRow {
        org_code: row.try_get("org_code")?,
        org_type: row.try_get("org_type")?,
        body: parse_json(&body, "registry org body")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A unique-constraint violation becomes a Conflict naming what collided; other errors pass through.
fn unique_conflict(e: sqlx::Error, what: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what.to_owned()),
        _ => StoreError::Database(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_sqlite_url() {
        let file = |url| sqlite_file(url).map(|p| p.display().to_string());
        assert_eq!(file("sqlite://mydata.db"), Some("mydata.db".into()));
        assert_eq!(file("sqlite:///tmp/bench.db?mode=rwc"), Some("/tmp/bench.db".into()));
        assert_eq!(file("sqlite:relative.db"), Some("relative.db".into()));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://shared.db?mode=memory&cache=shared"), None);
        assert_eq!(file("postgres://postgres@127.0.0.1/test"), None);
    }

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
        assert!(plan(history_page_sql(true)).contains("sort_key<?"));
        assert!(plan(asset_listing_sql(true)).contains("sort_key>?"));
        for first_page in [history_page_sql(false), asset_listing_sql(false)] {
            assert!(plan(first_page).contains("USING INDEX"), "{first_page}");
        }
        // A list's change stamp is read from the index, not from every asset's row.
        assert!(plan(asset_listing_sql(false)).contains("USING COVERING INDEX assets_by_customer"));
        // A detail's asset and document are each one seek of a primary key.
        let subject = plan(asset_subject_sql(true));
        assert_eq!(subject.matches("USING INDEX sqlite_autoindex").count(), 2, "{subject}");
        // Rows come in index order: no statement sorts them in a temporary b-tree per call.
        for statement in [history_page_sql(true), asset_listing_sql(true), asset_listing_sql(false)] {
            assert!(!plan(statement).contains("TEMP B-TREE"), "{}", plan(statement));
        }
    }
}
