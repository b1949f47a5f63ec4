//! Storage for MyData servers, by role.
//!
//! Each role is a trait in a file of its own: [`InformationStore`] (customers, assets, documents,
//! history, periodic calls), [`BulkStore`] (the test-data generator's loads), [`ImportStore`] (an institution's imports and
//! exports), [`AuthorizationStore`]
//! (consents, tokens, signing keys, sessions, codes, certification authorities), [`PortalStore`] (the
//! integrated portal's registrations and received statistics) and [`ParticipantStore`] (institutions,
//! clients, the registry's copy, call statistics, settings); [`Database`] says which database answers.
//! [`Store`] is every role at once, and [`prelude`] brings every role's methods into scope.
//!
//! [`SqlStore`] implements them on embedded SQLite (the default, a file) or PostgreSQL (for
//! scale-out), chosen by the URL scheme. Both run the same SQL and the same migrations through sqlx's
//! `Any` driver, so a behaviour tested on one is the behaviour of the other.

mod auth;
mod bulk;
mod grant_cache;
mod import;
mod info;
mod local_read;
mod notify;
mod participant;
mod pg_read;
mod portal;
mod sql;
pub mod testing;
mod wal_checkpoints;

pub use auth::*;
pub use bulk::*;
pub use import::*;
pub use info::*;
pub use participant::*;
pub use portal::*;
pub use sql::{DEFAULT_GRANT_CACHE_TTL, SqlStore, WriteTransaction, missing_sqlite_file};

use async_trait::async_trait;

/// Every role's trait, so that one `use mydata_store::prelude::*;` makes every store method callable.
pub mod prelude {
    pub use crate::{
        AuthorizationStore, BulkStore, Database, ImportStore, InformationStore, ParticipantStore, PortalStore, Store,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database URL {0:?} is neither sqlite:// nor postgres://")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From a read on the calling thread (SQLite only).
    #[error("database error: {0}")]
    LocalDatabase(#[from] rusqlite::Error),
    /// From a read of an information-API call on PostgreSQL.
    #[error("database error: {0}")]
    PostgresRead(#[from] tokio_postgres::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0} already exists")]
    Conflict(String),
    /// The operating system refused a thread the store needed.
    #[error("a thread could not start: {0}")]
    Thread(std::io::Error),
    /// Data about a customer the institution has not given (an import's list before its customer).
    #[error("{customer_id} is no customer of {org_code}: a customer's record comes before or with their lists")]
    UnknownCustomer { org_code: String, customer_id: String },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database's own name, for people (reports, messages).
impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// How busy a connection pool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// `main`, or `reads` for the pool of information-API reads on PostgreSQL.
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// The database behind a store. All methods of every role are safe to call concurrently.
#[async_trait]
pub trait Database: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;
    /// Connections open and idle in each pool, for metrics.
    fn pool_usage(&self) -> Vec<PoolUsage>;
}

/// Everything the servers keep: every role at once, for servers that play several (callers hold
/// `Arc<dyn Store>`). Implemented for every type that implements the roles.
pub trait Store:
    Database + InformationStore + BulkStore + ImportStore + AuthorizationStore + PortalStore + ParticipantStore
{
}

impl<T> Store for T where
    T: Database
        + InformationStore
        + BulkStore
        + ImportStore
        + AuthorizationStore
        + PortalStore
        + ParticipantStore
        + ?Sized
{
}
