//! Information data: what the information APIs answer (customers, asset lists, documents about one
//! subject, dated histories) and the periodic calls counted against the allowance (ch.3.3.1).

use crate::StoreResult;
use async_trait::async_trait;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub org_code: String,
    pub customer_id: String,
    /// 연계정보 (CI): the identifier shared across institutions.
    pub ci: String,
    pub customer_name: String,
    /// YYYYMMDD the institution first registered the customer.
    pub reg_date: String,
}

/// One item of an asset list (은행-001's account_list entries, 카드-001's card_list, …).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetRow {
    pub org_code: String,
    /// The list API that returns it, e.g. `은행-001`.
    pub list_api: String,
    pub asset_key: String,
    pub customer_id: String,
    /// Position in the list (ascending), unique within the customer's list.
    pub sort_key: String,
    pub item: Value,
    pub updated_at: i64,
}

/// The body of one answer about one subject (an asset, or the customer for customer-level APIs).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub org_code: String,
    pub api_id: String,
    pub subject_key: String,
    pub customer_id: String,
    pub body: Value,
    pub updated_at: i64,
}

/// One entry of a dated history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub org_code: String,
    pub api_id: String,
    pub subject_key: String,
    /// Unique within the subject; pages run from the greatest to the least.
    pub sort_key: String,
    pub customer_id: String,
    /// DATE or DTIME text used for from/to filtering (compared as text, so both must be zero-padded).
    pub occurred: String,
    pub body: Value,
}

/// A history query: one subject, an inclusive period, and a keyset position.
#[derive(Debug, Clone)]
pub struct HistoryQuery<'a> {
    pub org_code: &'a str,
    pub api_id: &'a str,
    pub subject_key: &'a str,
    pub customer_id: &'a str,
    /// Inclusive bounds compared with `occurred` as text.
    pub from: &'a str,
    pub to: &'a str,
    /// Return only rows whose sort_key is less than this (the previous page's last key).
    pub before: Option<&'a str>,
    pub limit: u32,
}

/// A page of results: `next` is the key to continue after, absent on the last page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// One page of a customer's asset list with what the list API answers besides ([`InformationStore::asset_listing`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetListing {
    /// When any asset of the list last changed, or an import took assets out of it; `None` for a
    /// list that never had any.
    pub changed_at: Option<i64>,
    /// The customer's reg_date at the institution; `None` for an unknown customer.
    pub reg_date: Option<String>,
    pub page: Page<ListedAsset>,
}

/// An asset as its list answers it: the item is the stored JSON text, wire JSON with every value a
/// string (the store writes it so), which the answer carries as it is: serving a list never parses it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedAsset {
    pub asset_key: String,
    pub item_json: String,
}

/// An asset a request names, with the stored answer about it when one was asked for
/// ([`InformationStore::asset_subject`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetSubject {
    pub customer_id: String,
    pub updated_at: i64,
    /// The asset's item as its list answers it (stored JSON text), which tells its status.
    pub item_json: String,
    pub document: Option<StoredDocument>,
}

/// One entry of a history page: its body as the stored JSON text (wire JSON, as [`ListedAsset`]'s item).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub body_json: String,
}

/// A [`Document`]'s body as the stored JSON text (wire JSON, as [`ListedAsset`]'s item).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDocument {
    pub body_json: String,
    pub updated_at: i64,
}

/// Scheduled transmissions of one API about one subject of one customer, for one operator's service,
/// within one cycle window (ch.3.3.1: the allowance is per customer and asset, not per consent).
#[derive(Debug, Clone)]
pub struct PeriodicCall<'a> {
    pub org_code: &'a str,
    pub client_id: &'a str,
    pub customer_id: &'a str,
    pub api_id: &'a str,
    pub subject_key: &'a str,
    /// The window the allowance applies to, e.g. `2026-11-29w` for the week from Sunday 2026-11-29.
    pub cycle_window: &'a str,
}

/// Information data, written one upsert at a time and read by every information-API call.
#[async_trait]
pub trait InformationStore: Send + Sync + 'static {
    async fn upsert_customer(&self, customer: &Customer) -> StoreResult<()>;
    async fn customer(&self, org_code: &str, customer_id: &str) -> StoreResult<Option<Customer>>;
    async fn customer_by_ci(&self, org_code: &str, ci: &str) -> StoreResult<Option<Customer>>;
    async fn customers(&self, org_code: &str) -> StoreResult<Vec<Customer>>;
    /// Whether the institution has any customer: one index probe, whatever their number.
    async fn has_customers(&self, org_code: &str) -> StoreResult<bool>;
    async fn upsert_assets(&self, rows: &[AssetRow]) -> StoreResult<()>;
    /// [`InformationStore::asset_page`] with what an asset-list API answers besides the page, in one read: the
    /// list's latest change (the list's MT of ch.2.1) and the customer's reg_date.
    async fn asset_listing(
        &self,
        org_code: &str,
        list_api: &str,
        customer_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<AssetListing>;
    /// One page of a customer's asset list, ascending by sort_key, after `after`.
    async fn asset_page(
        &self,
        org_code: &str,
        list_api: &str,
        customer_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Page<AssetRow>>;
    async fn asset(&self, org_code: &str, list_api: &str, asset_key: &str) -> StoreResult<Option<AssetRow>>;
    /// The asset of `list_api` keyed `asset_key` and, when `document` names an API and a subject key,
    /// that stored answer, in one read (every detail call needs both).
    async fn asset_subject(
        &self,
        org_code: &str,
        list_api: &str,
        asset_key: &str,
        document: Option<(&str, &str)>,
    ) -> StoreResult<Option<AssetSubject>>;
    /// [`InformationStore::asset_subject`] (the asset `asset_key` of `list_api` and, `with_document`,
    /// the stored answer filed under the history's API and subject) with the page of history that
    /// `history` asks for, in one read: every history call about an asset needs both.
    async fn asset_history(
        &self,
        list_api: &str,
        asset_key: &str,
        with_document: bool,
        history: &HistoryQuery<'_>,
    ) -> StoreResult<Option<(AssetSubject, Page<HistoryEntry>)>>;
    async fn upsert_documents(&self, docs: &[Document]) -> StoreResult<()>;
    async fn document(&self, org_code: &str, api_id: &str, subject_key: &str) -> StoreResult<Option<Document>>;
    async fn upsert_history(&self, rows: &[HistoryRow]) -> StoreResult<()>;
    /// One page of a subject's history within the period, descending by sort_key.
    async fn history_page(&self, query: &HistoryQuery<'_>) -> StoreResult<Page<HistoryEntry>>;
    /// How many scheduled transmissions the window holds.
    async fn periodic_transmissions(&self, call: &PeriodicCall<'_>) -> StoreResult<u64>;
    /// Counts one delivered transmission if the window holds fewer than `allowed`; false when it is
    /// full (a concurrent call took the last one), so the answer must not be delivered.
    async fn take_periodic_transmission(&self, call: &PeriodicCall<'_>, allowed: u64) -> StoreResult<bool>;
}
