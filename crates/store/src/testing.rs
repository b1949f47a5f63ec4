//! Throwaway databases for tests, so every test can run on both backends in parallel:
//! a fresh SQLite file, or a fresh PostgreSQL schema in the database named by
//! `MYDATA_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`).

use crate::{Backend, HistoryEntry, HistoryRow, SqlStore, StoreResult};
use rand::Rng;
use sqlx::Connection;
use std::path::PathBuf;

pub const POSTGRES_ENV: &str = "MYDATA_TEST_POSTGRES";
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database that exists for one test and is removed when dropped.
pub struct TestDatabase {
    /// The URL to open it with (`--database` form).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Schema { admin_url: String, schema: String },
}

fn unique_name() -> String {
    format!("t{}_{:08x}", std::process::id(), rand::thread_rng().r#gen::<u32>())
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("mydata-{}.db", unique_name()));
                TestDatabase { url: format!("sqlite://{}", path.display()), cleanup: Cleanup::File(path) }
            }
            Backend::Postgres => {
                sqlx::any::install_default_drivers();
                let admin_url = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
                let schema = unique_name();
                let mut conn = sqlx::AnyConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL for tests at {admin_url} ({POSTGRES_ENV}): {e}"));
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.expect("create test schema");
                let separator = if admin_url.contains('?') { '&' } else { '?' };
                let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
                TestDatabase { url, cleanup: Cleanup::Schema { admin_url, schema } }
            }
        }
    }

    /// Opens (and migrates) a store on this database.
    pub async fn open(&self) -> StoreResult<SqlStore> {
        SqlStore::open(&self.url).await
    }

    /// The rows of `table` as PostgreSQL last counted them for its planner (`reltuples`; -1 for a
    /// table never counted).
    pub async fn counted_rows(&self, table: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.url).await.expect("connect to the test database");
        let sql = format!("SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE oid = '{table}'::regclass");
        sqlx::query_scalar(&sql).fetch_one(&mut conn).await.expect("the table's counted rows")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Schema { admin_url, schema } => {
                let (admin_url, schema) = (admin_url.clone(), schema.clone());
                // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    rt.block_on(async {
                        let mut conn = sqlx::AnyConnection::connect(&admin_url).await.ok()?;
                        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut conn).await.ok()
                    })
                })
                .join();
            }
        }
    }
}

/// Runs the same async test body once on SQLite and once on PostgreSQL, as two named tests.
///
/// ```ignore
/// both_backends!(stores_orgs, |store| async move { ... });
/// ```
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$store:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($store: $crate::SqlStore) {
                $body.await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::testing::TestDatabase::new($crate::Backend::Sqlite).await;
                run(db.open().await.expect("open sqlite")).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::testing::TestDatabase::new($crate::Backend::Postgres).await;
                run(db.open().await.expect("open postgres")).await;
            }
        }
    };
}

/// Runs each async test function taking a [`Backend`](crate::Backend) once on each backend, as two
/// named tests (`name::sqlite`, `name::postgres`) on a two-worker runtime, for tests that open their
/// databases or start their servers themselves; [`both_backends!`] hands its body an opened store
/// instead.
///
/// ```ignore
/// async fn imports_round_trip(backend: Backend) { ... }
/// each_backend!(imports_round_trip);
/// ```
#[macro_export]
macro_rules! each_backend {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test($crate::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$test($crate::Backend::Postgres).await
            }
        }
    )+};
}

/// What a history page answers for `rows` as written, when their bodies are wire JSON already.
pub fn history_entries<'a>(rows: impl IntoIterator<Item = &'a HistoryRow>) -> Vec<HistoryEntry> {
    rows.into_iter().map(|row| HistoryEntry { body_json: row.body.to_string() }).collect()
}
