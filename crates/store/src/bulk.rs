//! Bulk loads of information data: the test-data generator's path, with the effect of the single
//! upserts of [`InformationStore`](crate::InformationStore).

use crate::{AssetRow, Customer, Document, HistoryRow, StoreResult};
use async_trait::async_trait;

/// Information data to write at once ([`BulkStore::load_info`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct InfoBatch<'a> {
    pub customers: &'a [Customer],
    pub assets: &'a [AssetRow],
    pub documents: &'a [Document],
    pub history: &'a [HistoryRow],
}

/// Information rows in the form they are stored in: JSON as text, sort keys as the store keeps them.
/// Encoding is a large part of a bulk load's work; [`EncodedInfo::encode`] does it apart from the
/// writing, so that it can run on other threads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EncodedInfo {
    pub customers: Vec<Customer>,
    pub assets: Vec<EncodedAsset>,
    pub documents: Vec<EncodedDocument>,
    pub history: Vec<EncodedHistory>,
}

/// An [`AssetRow`] as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedAsset {
    pub org_code: String,
    pub list_api: String,
    pub asset_key: String,
    pub customer_id: String,
    pub sort_key: String,
    pub item: String,
    pub updated_at: i64,
}

/// A [`Document`] as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedDocument {
    pub org_code: String,
    pub api_id: String,
    pub subject_key: String,
    pub customer_id: String,
    pub body: String,
    pub updated_at: i64,
}

/// A [`HistoryRow`] as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedHistory {
    pub org_code: String,
    pub api_id: String,
    pub subject_key: String,
    pub sort_key: String,
    pub customer_id: String,
    pub occurred: String,
    pub body: String,
}

/// A bulk load of information data: batches of rows already encoded ([`EncodedInfo::encode`], which
/// the loader can run on other threads), each written in one transaction with the effect of the
/// single upserts. It writes through connections set up for loading — on SQLite one, with
/// `synchronous = OFF` and a larger page cache; on PostgreSQL one per core, with
/// `synchronous_commit = off` — until [`BulkLoad::finish`] sets them back (and on SQLite
/// checkpoints); a load dropped unfinished closes them instead of returning them to the pool.
#[async_trait]
pub trait BulkLoad: Send {
    /// Starts writing `batch` and returns when a connection took it: batches are written in the
    /// background, concurrently on PostgreSQL (distinct batches must not share rows). A failed
    /// write is reported by a later `load` or by `finish`.
    async fn load(&mut self, batch: EncodedInfo) -> StoreResult<()>;
    /// Waits for every batch to be written, then restores the connections' settings.
    async fn finish(self: Box<Self>) -> StoreResult<()>;
}

impl EncodedInfo {
    /// Rows this batch holds.
    pub fn rows(&self) -> usize {
        self.customers.len() + self.assets.len() + self.documents.len() + self.history.len()
    }
}

/// Loads of information data in batches.
#[async_trait]
pub trait BulkStore: Send + Sync + 'static {
    /// Upserts customers, assets, documents and history in one transaction with multi-row
    /// statements: the bulk path of the test-data generator (same effect as the single upserts).
    async fn load_info(&self, batch: &InfoBatch<'_>) -> StoreResult<()>;
    /// Starts a bulk load of information data: the test-data generator's path (see [`BulkLoad`]).
    async fn bulk_load(&self) -> StoreResult<Box<dyn BulkLoad>>;
}
