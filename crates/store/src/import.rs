//! Imports of an institution's own data (`mydata import`, the ingestion API): each batch written in
//! one transaction, replacing what its records replace, and touching the change stamps (ch.2.1's
//! MT, which decides 00001) only where stored data really changed. Exports read it back.

#[cfg(doc)]
use crate::StoreError;
use crate::{AssetRow, Customer, Document, EncodedHistory, HistoryRow, StoreResult};
use async_trait::async_trait;

/// A customer's whole asset list as a list API answers it: it replaces what was stored, so an asset
/// left out is gone.
#[derive(Debug, Clone, PartialEq)]
pub struct ListReplacement {
    pub org_code: String,
    pub customer_id: String,
    pub list_api: String,
    /// The customer's registration date the answer gives (its `reg_date`): it becomes the stored
    /// customer's, who must be stored already or come in the same batch.
    pub reg_date: Option<String>,
    /// The list's items; `updated_at` is ignored (the import stamps what changed).
    pub assets: Vec<AssetRow>,
}

/// A subject's history as a whole answer gives it: it replaces the subject's stored entries.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryReplacement {
    pub org_code: String,
    pub customer_id: String,
    pub api_id: String,
    pub subject_key: String,
    pub entries: Vec<EncodedHistory>,
}

/// One batch of an import, already validated; applied in this order, whatever the order of the
/// records: removals, customers, lists, documents, histories replaced, entries upserted. History
/// entries, most of an import's rows, come encoded as stored: encoding them is work the batch's
/// gatherer does beside the writer, the import's critical path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    /// (org_code, customer_id) of customers removed with all their data.
    pub removals: Vec<(String, String)>,
    /// Customers with their registration date.
    pub customers: Vec<Customer>,
    /// Customers whose record gave no registration date: one stored already keeps theirs, a new
    /// one takes the `reg_date` given here.
    pub undated_customers: Vec<Customer>,
    pub lists: Vec<ListReplacement>,
    /// Each replaces the stored answer of its API about its subject; `updated_at` is ignored.
    pub documents: Vec<Document>,
    pub histories: Vec<HistoryReplacement>,
    /// Upserted by their natural identity (the sort key), beside the entries stored.
    pub entries: Vec<EncodedHistory>,
}

/// What a batch changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Rows inserted, updated or deleted (a row stored already as given is not counted).
    pub rows_changed: u64,
    pub customers_removed: u64,
}

/// One customer's stored data at one institution, as an export reads it: assets in list order,
/// history entries newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerExport {
    pub customer: Option<Customer>,
    pub assets: Vec<AssetRow>,
    pub documents: Vec<Document>,
    pub history: Vec<HistoryRow>,
}

#[async_trait]
pub trait ImportStore: Send + Sync + 'static {
    /// Writes `batch` in one transaction: all of it or, on an error, nothing. Rows stored already as
    /// given keep their stamps; a list that lost an asset (or all of them), and an asset whose
    /// history changed, get `now` (Unix seconds) as their stamp. A list of a customer neither stored
    /// nor in the batch is refused ([`StoreError::UnknownCustomer`]).
    async fn import(&self, batch: &ImportBatch, now: i64) -> StoreResult<ImportCounts>;
    /// An import (of one or many batches) that changed `rows_changed` rows is over. On PostgreSQL,
    /// when that is more than autovacuum would wait for (a tenth of the information tables), the
    /// planner counts them again, so that the reads planned next see their new sizes at once:
    /// returns whether it did. On a SQLite file, the imports' connection is closed, letting go of
    /// the page cache it kept for the batches (up to 256 MiB) until the next import.
    async fn import_finished(&self, rows_changed: u64) -> StoreResult<bool>;
    /// Institutions that have customers, in order.
    async fn org_codes(&self) -> StoreResult<Vec<String>>;
    /// Every stored row of one customer at one institution (`customer: None` when unknown).
    async fn export_customer(&self, org_code: &str, customer_id: &str) -> StoreResult<CustomerExport>;
}
