//! The store's roles on SQLite or PostgreSQL through sqlx's `Any` driver: one SQL text for both.
//! Placeholders are `$N`, which both SQLite and PostgreSQL accept. This file opens the store and
//! holds what every role's file shares; each role's statements live in the file named after it.

mod auth_flows;
mod authorization;
mod bulk;
mod import;
mod info;
mod participant;
mod portal;
mod statistics;
mod upsert;
mod writer;

use crate::grant_cache::GrantCache;
use crate::local_read::{LocalReader, LocalRow, Param};
use crate::notify::Announcements;
use crate::pg_read::PgReader;
use crate::*;
use chrono::NaiveDate;
use mydata_domain::Consent;
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The servers' migrations (this crate's `migrations`) and the operator's (beside its SQL, in
/// `crates/collector/migrations`): one database holds both, and its versions were numbered as one
/// sequence, so they run as one set, each version and checksum as before.
static MIGRATOR: std::sync::LazyLock<sqlx::migrate::Migrator> = std::sync::LazyLock::new(|| {
    static SERVERS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
    static OPERATOR: sqlx::migrate::Migrator = sqlx::migrate!("../collector/migrations");
    let mut migrations: Vec<_> = SERVERS.iter().chain(OPERATOR.iter()).cloned().collect();
    migrations.sort_by_key(|migration| migration.version);
    sqlx::migrate::Migrator {
        migrations: migrations.into(),
        ignore_missing: SERVERS.ignore_missing,
        locking: SERVERS.locking,
        no_tx: SERVERS.no_tx,
    }
});

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
    /// On PostgreSQL, the connections imports write through: native ones, whose COPY the `Any`
    /// driver lacks ([`ImportStore`]).
    imports: Option<sqlx::PgPool>,
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
    /// PostgreSQL: connections of their own, sized to the cores
    /// ([`default_postgres_read_connections`]), each carrying many reads at once.
    Postgres(PgReader),
    /// An in-memory SQLite database: the store's pool, whose one connection holds it.
    Pool(AnyPool),
}

/// The PostgreSQL connections that information-API reads share by default: one per core of this
/// machine. Each such read is one short statement that keeps a PostgreSQL process busy on the cores
/// the server runs on too, and each connection carries many reads at once ([`PgReader`]): on two
/// cores 은행-001 ran at 11,200–12,900 req/s over 4 connections, 13,000–14,100 over 2 (BENCHMARKS.md).
/// Writes keep a pool of 16: a transaction holds its connection across several round trips, and
/// with 4 the token endpoints ran at half their rate. A PostgreSQL on machines of its own can take
/// more readers.
fn default_postgres_read_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores).unwrap_or(u32::MAX)
}

/// The file of a `sqlite:` URL, unless the database lives in memory.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, options) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || options.contains("mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

/// The file a `sqlite:` URL names when no such file exists: what a command that only reads refuses
/// rather than have [`SqlStore::open`] create it.
pub fn missing_sqlite_file(url: &str) -> Option<PathBuf> {
    sqlite_file(url).filter(|path| !path.exists())
}

/// The file of a `sqlite:` URL that gives no `mode` of its own: [`SqlStore::open`] creates it when
/// missing, and the pool opens it read-write only ([`classify`]).
fn sqlite_file_to_create(url: &str) -> Option<PathBuf> {
    sqlite_file(url).filter(|_| !url.contains("mode="))
}

/// PostgreSQL connections of concurrent imports (`mydata import`, the ingestion API).
const IMPORT_CONNECTIONS: u32 = 4;

/// Splits `sqlite://FILE` / `postgres://…` into a backend and the URL sqlx should open. A SQLite file
/// named without a `mode` is opened read-write, never created: [`SqlStore::open`] creates it once, and
/// a file removed under a running server then fails its calls instead of coming back empty when the
/// pool opens another connection.
fn classify(url: &str) -> StoreResult<(Backend, String)> {
    if url.starts_with("sqlite:") {
        let url = match sqlite_file_to_create(url) {
            None => url.to_owned(),
            Some(_) if url.contains('?') => format!("{url}&mode=rw"),
            Some(_) => format!("{url}?mode=rw"),
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
        let file = sqlite_file(url_given);
        // Created on first use, like any embedded database (an empty file is an empty database).
        if let Some(path) = sqlite_file_to_create(url_given) {
            std::fs::OpenOptions::new().append(true).create(true).open(&path).map_err(|e| {
                sqlx::Error::Io(std::io::Error::new(e.kind(), format!("creating {}: {e}", path.display())))
            })?;
        }
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
            Backend::Postgres => match options.max_connections(16).connect(&url).await {
                // The pool retried its connection until the timeout and then says only that: one
                // more attempt, on its own, says why (the server refused, the password is wrong, …).
                Err(sqlx::Error::PoolTimedOut) => {
                    let refused = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.err();
                    return Err(refused.unwrap_or(sqlx::Error::PoolTimedOut).into());
                }
                connected => connected?,
            },
        };
        MIGRATOR.run(&pool).await?;
        let reads = match (backend, file) {
            (Backend::Sqlite, Some(file)) => Reads::Local(LocalReader::new(file)),
            (Backend::Sqlite, None) => Reads::Pool(pool.clone()),
            (Backend::Postgres, _) => {
                let connections = postgres_read_connections.unwrap_or_else(default_postgres_read_connections);
                Reads::Postgres(PgReader::new(&url, usize::try_from(connections).unwrap_or(usize::MAX))?)
            }
        };
        Ok(SqlStore {
            pool,
            backend,
            grants: Arc::new(GrantCache::new(DEFAULT_GRANT_CACHE_TTL)),
            reads: Arc::new(reads),
            write_turns: Arc::default(),
            announcements: (backend == Backend::Postgres).then(|| Arc::new(Announcements::new(&url))),
            imports: match backend {
                // Opened on first use: only imports need them. Each statement of an import is
                // planned for its own values: a plan kept from when the tables were small (they
                // grow by the import itself, faster than autovacuum analyzes them) made the read of
                // a batch's stored history rows take seconds once they held millions.
                Backend::Postgres => Some(
                    sqlx::postgres::PgPoolOptions::new()
                        .max_connections(IMPORT_CONNECTIONS)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_lazy_with(
                            url.parse::<sqlx::postgres::PgConnectOptions>()?
                                .options([("plan_cache_mode", "force_custom_plan")]),
                        ),
                ),
                Backend::Sqlite => None,
            },
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
            Reads::Postgres(postgres) => postgres.rows(sql, params).await?.into_iter().next().map(ReadRow::Postgres),
            Reads::Pool(pool) => bound(sql, params).fetch_optional(pool).await?.map(ReadRow::Sqlx),
        })
    }

    /// Every row of such a read.
    async fn read_all(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<Vec<ReadRow>> {
        Ok(match self.reads.as_ref() {
            Reads::Local(local) => local.rows(sql, params, usize::MAX)?.into_iter().map(ReadRow::Local).collect(),
            Reads::Postgres(postgres) => postgres.rows(sql, params).await?.into_iter().map(ReadRow::Postgres).collect(),
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
    Postgres(tokio_postgres::Row),
}

impl ReadRow {
    fn text(&mut self, column: usize) -> StoreResult<Option<String>> {
        match self {
            ReadRow::Sqlx(row) => Ok(row.try_get(column)?),
            ReadRow::Local(row) => row.text(column),
            ReadRow::Postgres(row) => Ok(row.try_get(column)?),
        }
    }

    fn int(&self, column: usize) -> StoreResult<Option<i64>> {
        match self {
            ReadRow::Sqlx(row) => Ok(row.try_get(column)?),
            ReadRow::Local(row) => row.int(column),
            ReadRow::Postgres(row) => Ok(row.try_get(column)?),
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

/// A unique-constraint violation becomes a Conflict naming what collided; other errors pass through.
fn unique_conflict(e: impl Into<StoreError>, what: &str) -> StoreError {
    match e.into() {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict(what.to_owned())
        }
        StoreError::LocalDatabase(rusqlite::Error::SqliteFailure(failure, _))
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            StoreError::Conflict(what.to_owned())
        }
        other => other,
    }
}

#[async_trait]
impl Database for SqlStore {
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
        if let Reads::Postgres(reads) = self.reads.as_ref() {
            // A read holds no connection to itself: every open one is ready for more.
            let (open, max) = reads.usage();
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            pools.push(PoolUsage { pool: "reads", open: count(open), idle: count(open), max: count(max) });
        }
        pools
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
        // Only a file named without a mode of its own is created by the store and opened read-write.
        let pool_url = |url| classify(url).unwrap().1;
        assert_eq!(pool_url("sqlite://mydata.db"), "sqlite://mydata.db?mode=rw");
        assert_eq!(pool_url("sqlite://mydata.db?cache=shared"), "sqlite://mydata.db?cache=shared&mode=rw");
        assert_eq!(pool_url("sqlite:///tmp/bench.db?mode=rwc"), "sqlite:///tmp/bench.db?mode=rwc");
        assert_eq!(pool_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            pool_url("sqlite://shared.db?mode=memory&cache=shared"),
            "sqlite://shared.db?mode=memory&cache=shared"
        );
    }

    /// An import's statements are planned for their values, however much the import itself has
    /// grown the tables since the connection first ran them.
    #[tokio::test]
    async fn postgres_imports_plan_each_statement_for_its_values() {
        let db = crate::testing::TestDatabase::new(Backend::Postgres).await;
        let store = db.open().await.unwrap();
        let imports = store.imports.as_ref().expect("PostgreSQL imports have connections of their own");
        let mode: String = sqlx::query_scalar("SHOW plan_cache_mode").fetch_one(imports).await.unwrap();
        assert_eq!(mode, "force_custom_plan");
    }

    /// A SQLite import keeps its connection, and its page cache, from batch to batch, and lets go
    /// of it when the import is over.
    #[tokio::test]
    async fn a_sqlite_import_lets_go_of_its_connection_when_it_is_over() {
        let db = crate::testing::TestDatabase::new(Backend::Sqlite).await;
        let store = db.open().await.unwrap();
        let Reads::Local(local) = store.reads.as_ref() else { panic!("a SQLite file reads on the calling thread") };
        let customer = |id: &str| Customer {
            org_code: "BANK000001".into(),
            customer_id: id.into(),
            ci: format!("CI-{id}"),
            customer_name: "김민준".into(),
            reg_date: "20200101".into(),
        };
        let batch = |id: &str| ImportBatch { customers: vec![customer(id)], ..ImportBatch::default() };
        store.import(&batch("c1"), 100).await.unwrap();
        store.import(&batch("c2"), 100).await.unwrap();
        assert!(local.has_import_connection(), "kept between batches");
        assert!(!store.import_finished(2).await.unwrap());
        assert!(!local.has_import_connection(), "closed when the import is over");
        store.import(&batch("c3"), 100).await.unwrap();
        assert_eq!(store.customers("BANK000001").await.unwrap().len(), 3);
    }

    /// One sequence across both sets: databases made before the operator's migrations moved to its
    /// crate record versions 1..9, and later ones follow on.
    #[test]
    fn the_two_sets_of_migrations_are_one_sequence() {
        let versions: Vec<i64> = MIGRATOR.iter().map(|migration| migration.version).collect();
        assert_eq!(versions, (1..=15).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_database_file_removed_under_a_store_is_not_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kept.db");
        let url = format!("sqlite://{}", path.display());
        drop(SqlStore::open(&url).await.unwrap());
        assert!(path.exists(), "created on first use");
        assert!(SqlStore::open(&url).await.is_ok(), "and opened again as it is");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        // What the store's pool does when it opens another connection later.
        let (_, pool_url) = classify(&url).unwrap();
        assert!(<sqlx::AnyConnection as sqlx::Connection>::connect(&pool_url).await.is_err());
        assert!(!path.exists(), "no empty database in its place");
        let missing_dir = format!("sqlite://{}/no/such/dir/x.db", dir.path().display());
        let Err(refused) = SqlStore::open(&missing_dir).await else { panic!("a file in no directory opened") };
        let refused = refused.to_string();
        assert!(refused.contains("creating ") && refused.contains("x.db"), "{refused}");
    }

    #[tokio::test]
    async fn a_postgresql_server_that_cannot_be_reached_says_why() {
        // Nothing listens on port 1: the pool retries until its timeout, then the reason is told.
        let Err(refused) = SqlStore::open("postgres://postgres@127.0.0.1:1/test").await else {
            panic!("a server on port 1 answered")
        };
        let refused = refused.to_string();
        assert!(refused.contains("refused"), "{refused}");
    }

    /// A database at version 9 whose consents name assets by key alone: migration 10 carries each
    /// consent over to the lists holding its keys (both, where a key was listed twice, as it granted).
    async fn consents_carry_over_to_assets_by_list(backend: Backend) {
        use crate::prelude::*;
        let db = crate::testing::TestDatabase::new(backend).await;
        sqlx::any::install_default_drivers();
        let url = match backend {
            Backend::Sqlite => format!("{}?mode=rwc", db.url),
            Backend::Postgres => db.url.clone(),
        };
        let pool = AnyPool::connect(&url).await.unwrap();
        let before: Vec<_> = MIGRATOR.iter().filter(|m| m.version <= 9).cloned().collect();
        let at_nine = sqlx::migrate::Migrator { migrations: before.into(), ..sqlx::migrate::Migrator::DEFAULT };
        at_nine.run(&pool).await.unwrap();
        for statement in [
            "INSERT INTO consents (consent_id, org_code, customer_id, client_id, scopes, is_scheduled, end_date, purpose, \
               period, consent_trans_memo, consent_merchant_name_regno, consent_trans_category, status, created_at) \
             VALUES ('c1', 'BANK000001', 'demo1', 'svc', 'bank.list bank.irp bank.deposit', 0, '20271231', 'p', \
               '99991231', 0, 0, 0, 'active', 1)",
            "INSERT INTO assets (org_code, list_api, asset_key, customer_id, sort_key, item, updated_at) VALUES \
               ('BANK000001', 'IRP-001', '101', 'demo1', '101', '{}', 1), \
               ('BANK000001', '은행-001', '101', 'demo1', '101', '{}', 1), \
               ('BANK000001', '은행-001', '102', 'demo1', '102', '{}', 1), \
               ('BANK000001', '은행-001', '103', 'demo2', '103', '{}', 1)",
            "INSERT INTO consent_assets (consent_id, asset_key) VALUES ('c1', '101'), ('c1', '102'), ('c1', '103'), ('c1', 'gone')",
        ] {
            sqlx::query(statement).execute(&pool).await.unwrap();
        }
        pool.close().await;
        let store = db.open().await.unwrap();
        let consent = store.consent("c1").await.unwrap().unwrap();
        let assets: Vec<String> = consent.assets.iter().map(|a| a.to_string()).collect();
        // demo2's 103 and the vanished key named nothing of this customer's.
        assert_eq!(assets, ["IRP-001:101", "은행-001:101", "은행-001:102"], "{backend:?}");
    }

    crate::each_backend!(consents_carry_over_to_assets_by_list);
}
