//! Storage for MyData servers.
//!
//! One [`Store`] trait; [`SqlStore`] implements it on embedded SQLite (the default, a file) or
//! PostgreSQL (for scale-out), chosen by the URL scheme. Both run the same SQL and the same
//! migrations through sqlx's `Any` driver, so a behaviour tested on one is the behaviour of the other.

mod auth;
mod grant_cache;
mod local_read;
mod notify;
mod sql;
mod sql_auth;
pub mod testing;

pub use auth::*;
pub use sql::{DEFAULT_GRANT_CACHE_TTL, SqlStore, WriteTransaction};

use async_trait::async_trait;
use mydata_domain::Consent;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database URL {0:?} is neither sqlite:// nor postgres://")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From a read on the calling thread (SQLite only).
    #[error("database error: {0}")]
    LocalDatabase(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0} already exists")]
    Conflict(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An institution in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub org_code: String,
    pub org_name: String,
    pub industry: String,
    /// `provider`, `operator`, `portal`, `relay` or `ca`.
    pub org_type: String,
    pub updated_at: i64,
}

/// A registered OAuth client (a MyData service of an operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub client_id: String,
    /// A one-way hash of the secret (the auth server decides the scheme); never the secret itself.
    pub client_secret_hash: String,
    pub org_code: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub updated_at: i64,
}

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

/// One page of a customer's asset list with what the list API answers besides ([`Store::asset_listing`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetListing {
    /// When any asset of the list last changed; `None` for an empty list.
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
/// ([`Store::asset_subject`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetSubject {
    pub customer_id: String,
    pub updated_at: i64,
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

/// A key that signs access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    /// JWS algorithm, e.g. `EdDSA`.
    pub algorithm: String,
    /// Base64 of the PKCS#8 private key.
    pub private_pkcs8: String,
    /// Base64url of the raw public key (the JWK `x`).
    pub public_key: String,
    pub created_at: i64,
    /// From this time the key verifies but no longer signs.
    pub retired_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    /// Replaced by a refresh; kept to answer a retried refresh within the grace window.
    Rotated,
    Revoked,
}

/// The server-side record of an issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub jti: String,
    pub consent_id: String,
    pub client_id: String,
    pub kind: TokenKind,
    /// Access and refresh tokens issued together share a pair id.
    pub pair_id: String,
    pub status: TokenStatus,
    pub expires_at: i64,
    pub created_at: i64,
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

/// One client's consents at one institution on one day, as 지원-005 counts them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsentCounts {
    pub client_id: String,
    /// Given that day (new, or changing an earlier one): `consent_new`.
    pub new: i64,
    /// Withdrawn by the customer that day (개별인증-004): `consent_revoke`.
    pub revoked: i64,
    /// Valid at the end of the day: `consent_own`.
    pub own: i64,
}

/// Everything the servers keep. All methods are safe to call concurrently.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;
    /// Connections open and idle in each pool, for metrics.
    fn pool_usage(&self) -> Vec<PoolUsage>;

    async fn upsert_org(&self, org: &Org) -> StoreResult<()>;
    async fn org(&self, org_code: &str) -> StoreResult<Option<Org>>;
    async fn orgs(&self) -> StoreResult<Vec<Org>>;

    async fn upsert_client(&self, client: &Client) -> StoreResult<()>;
    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>>;

    async fn upsert_customer(&self, customer: &Customer) -> StoreResult<()>;
    async fn customer(&self, org_code: &str, customer_id: &str) -> StoreResult<Option<Customer>>;
    async fn customer_by_ci(&self, org_code: &str, ci: &str) -> StoreResult<Option<Customer>>;
    async fn customers(&self, org_code: &str) -> StoreResult<Vec<Customer>>;
    /// Whether the institution has any customer: one index probe, whatever their number.
    async fn has_customers(&self, org_code: &str) -> StoreResult<bool>;

    /// Records a consent with its assets atomically; fails with Conflict if the id exists.
    async fn insert_consent(&self, consent: &Consent) -> StoreResult<()>;
    async fn consent(&self, consent_id: &str) -> StoreResult<Option<Consent>>;
    /// Marks a consent revoked; returns whether it was active before.
    async fn revoke_consent(&self, consent_id: &str) -> StoreResult<bool>;
    /// A customer's consents at one provider, newest first.
    async fn consents_of_customer(&self, org_code: &str, customer_id: &str) -> StoreResult<Vec<Consent>>;
    /// Per client with any: consents given and withdrawn at `org_code` in `from..to` (Unix seconds),
    /// and valid at `to`, whose day (YYYYMMDD, for end dates) is `day`.
    async fn consent_counts(&self, org_code: &str, from: i64, to: i64, day: &str) -> StoreResult<Vec<ConsentCounts>>;

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()>;

    async fn insert_tokens(&self, tokens: &[TokenRecord]) -> StoreResult<()>;
    async fn token(&self, jti: &str) -> StoreResult<Option<TokenRecord>>;
    /// A token with the consent it was issued under, read together (each information-API call needs both).
    async fn access_grant(&self, jti: &str) -> StoreResult<Option<(TokenRecord, Consent)>>;
    /// Revokes every token of a consent; returns how many were active.
    async fn revoke_tokens_of_consent(&self, consent_id: &str) -> StoreResult<u64>;

    async fn upsert_assets(&self, rows: &[AssetRow]) -> StoreResult<()>;
    /// [`Store::asset_page`] with what an asset-list API answers besides the page, in one read: the
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

    async fn upsert_documents(&self, docs: &[Document]) -> StoreResult<()>;
    async fn document(&self, org_code: &str, api_id: &str, subject_key: &str) -> StoreResult<Option<Document>>;

    async fn upsert_history(&self, rows: &[HistoryRow]) -> StoreResult<()>;
    /// One page of a subject's history within the period, descending by sort_key.
    async fn history_page(&self, query: &HistoryQuery<'_>) -> StoreResult<Page<HistoryEntry>>;

    // --- information data ---
    /// Counts one scheduled transmission and returns how many this window now holds (this one included).
    async fn count_periodic_call(&self, call: &PeriodicCall<'_>) -> StoreResult<u64>;
    /// Upserts customers, assets, documents and history in one transaction with multi-row
    /// statements: the bulk path of the test-data generator (same effect as the single upserts).
    async fn load_info(&self, batch: &InfoBatch<'_>) -> StoreResult<()>;
    /// Starts a bulk load of information data: the test-data generator's path (see [`BulkLoad`]).
    async fn bulk_load(&self) -> StoreResult<Box<dyn BulkLoad>>;

    // --- portal and support ---
    /// Portal: registers or changes an institution (`deleted_at` set marks it deleted).
    async fn upsert_portal_org(&self, org: &PortalOrg) -> StoreResult<()>;
    async fn portal_org(&self, org_code: &str) -> StoreResult<Option<PortalOrg>>;
    /// Portal: the institution holding a support client_id (지원-001 credentials).
    async fn portal_org_by_support_client(&self, client_id: &str) -> StoreResult<Option<PortalOrg>>;
    /// Portal: institutions changed at or after `since` (Unix seconds), deleted ones included, by org_code.
    async fn portal_orgs_changed_since(&self, since: i64) -> StoreResult<Vec<PortalOrg>>;
    async fn upsert_portal_service(&self, service: &PortalService) -> StoreResult<()>;
    async fn portal_service(&self, client_id: &str) -> StoreResult<Option<PortalService>>;
    /// Portal: services changed at or after `since`, deleted ones included, by org_code then client_id.
    async fn portal_services_changed_since(&self, since: i64) -> StoreResult<Vec<PortalService>>;
    /// Portal: stores a received statistics report, replacing an earlier one with the same key.
    async fn put_received_statistics(&self, report: &ReceivedStatistics) -> StoreResult<()>;
    /// Portal: received reports, optionally of one API (`지원-004`/`지원-005`), newest inquiry_date first.
    async fn received_statistics(&self, api_id: Option<&str>) -> StoreResult<Vec<ReceivedStatistics>>;

    /// Participants: adds counts and sums to the per-slot call statistics (creating rows as needed).
    async fn add_call_stats(&self, stats: &[CallStats]) -> StoreResult<()>;
    /// Participants: call statistics of `org_code` for stat_dates in `from..=to` (YYYYMMDD).
    async fn call_stats(&self, org_code: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>>;
    /// Participants: call statistics of one client (an operator's service) at every institution.
    async fn call_stats_of_client(&self, client_id: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>>;
    /// Participants: keeps the registry's view of an institution (지원-002 row without op_type).
    async fn upsert_registry_org(&self, org: &RegistryOrgRow) -> StoreResult<()>;
    async fn remove_registry_org(&self, org_code: &str) -> StoreResult<()>;
    async fn registry_org(&self, org_code: &str) -> StoreResult<Option<RegistryOrgRow>>;
    async fn registry_orgs(&self) -> StoreResult<Vec<RegistryOrgRow>>;
    /// Removes an OAuth client (a service the registry deleted); returns whether it existed.
    async fn delete_client(&self, client_id: &str) -> StoreResult<bool>;
    /// A named setting; `set_support_setting` overwrites.
    async fn support_setting(&self, name: &str) -> StoreResult<Option<String>>;
    async fn set_support_setting(&self, name: &str, value: &str) -> StoreResult<()>;
    /// Returns the setting `name`, storing `candidate` first if it has none (atomic: concurrent
    /// callers all get the same value), e.g. a signing secret shared by every instance.
    async fn support_setting_or_insert(&self, name: &str, candidate: &str) -> StoreResult<String>;

    // --- authorization server ---
    /// 개별인증-001: keeps a validated authorization request until the customer answers it.
    async fn insert_auth_session(&self, session: &AuthSession) -> StoreResult<()>;
    async fn auth_session(&self, session_digest: &str) -> StoreResult<Option<AuthSession>>;
    /// Binds an open, unexpired session nobody signed in to yet to a customer and a browser;
    /// false if the session is not in that state.
    async fn sign_in_auth_session(
        &self,
        session_digest: &str,
        customer_id: &str,
        browser_digest: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// Closes an open session (refusal or error); false if it was closed already.
    async fn close_auth_session(&self, session_digest: &str, now: i64) -> StoreResult<bool>;
    /// Writes a new consent with its code, tokens and nonces, replacing the customer's earlier
    /// consents with the same client here, all or nothing.
    async fn record_consent(
        &self,
        record: &ConsentRecord<'_>,
        now: i64,
    ) -> StoreResult<Result<(), ConsentRecordRefusal>>;
    async fn authorization_code(&self, code_digest: &str) -> StoreResult<Option<AuthorizationCode>>;
    /// Redeems a code once, recording `tokens` (all of one pair); a second redemption revokes them.
    async fn redeem_authorization_code(
        &self,
        code_digest: &str,
        now: i64,
        tokens: &[TokenRecord],
    ) -> StoreResult<Redemption>;
    /// 개별인증-003: retires the consent's live access token and records `new_access`, or repeats the
    /// access token a refresh with the same refresh token issued less than `grace_secs` ago.
    async fn refresh_access_token(
        &self,
        refresh_jti: &str,
        now: i64,
        grace_secs: i64,
        new_access: &TokenRecord,
    ) -> StoreResult<Rotation>;
    /// Revokes a consent and every token issued under it at once; returns whether it was active.
    async fn revoke_consent_and_tokens(&self, consent_id: &str) -> StoreResult<bool>;
    /// Retires every signing key but `keep_kid` (they keep verifying, no longer sign).
    async fn retire_signing_keys_except(&self, keep_kid: &str, at: i64) -> StoreResult<u64>;
    /// The consent's tokens that are still active.
    async fn live_tokens_of_consent(&self, consent_id: &str) -> StoreResult<Vec<TokenRecord>>;
    /// 통합인증-002: registers (or replaces) a trusted certification authority.
    async fn upsert_certificate_authority(&self, ca: &CertificateAuthority) -> StoreResult<()>;
    async fn certificate_authority(&self, ca_code: &str) -> StoreResult<Option<CertificateAuthority>>;
}

/// Information data to write at once ([`Store::load_info`]).
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

/// One scheduled transmission of one API about one subject, within one cycle window (ch.3.3.1).
#[derive(Debug, Clone)]
pub struct PeriodicCall<'a> {
    pub consent_id: &'a str,
    pub api_id: &'a str,
    pub subject_key: &'a str,
    /// The window the allowance applies to, e.g. `2026-W48` for a weekly cycle.
    pub cycle_window: &'a str,
}

// --- portal and support ---

/// An institution registered at the portal (지원-002, 지원-006).
#[derive(Debug, Clone, PartialEq)]
pub struct PortalOrg {
    pub org_code: String,
    /// 지원-002 org_type code (`01`..`07`, `99`).
    pub org_type: String,
    /// The institution's 지원-002/006 fields as sent on the wire, without `op_type`.
    pub body: Value,
    pub support_client_id: Option<String>,
    pub support_secret_hash: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

/// A MyData service registered at the portal (지원-003).
#[derive(Debug, Clone, PartialEq)]
pub struct PortalService {
    pub client_id: String,
    /// The operator's org_code.
    pub org_code: String,
    /// The service's 지원-003 fields as sent on the wire, without `op_type`.
    pub body: Value,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

/// A statistics report the portal received.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedStatistics {
    /// `지원-004` or `지원-005`.
    pub api_id: String,
    /// The institution whose token sent it.
    pub sender_org_code: String,
    /// What the report is about: the client_id (지원-004) or the provider's org_code (지원-005).
    pub subject: String,
    /// `1` scheduled, `2` user-involved.
    pub stat_type: String,
    pub inquiry_date: String,
    pub body: Value,
    pub received_at: i64,
}

/// Counts and sums of one (institution, client, API, type, day, slot) cell of the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStats {
    /// The provider that answered (or the operator that called).
    pub org_code: String,
    pub client_id: String,
    /// 첨부12 API code, e.g. `BA01`.
    pub api_code: String,
    /// `1` scheduled, `2` user-involved.
    pub stat_type: String,
    /// YYYYMMDD.
    pub stat_date: String,
    /// 첨부11 slot, `00` or `01`.
    pub tm_slot: String,
    pub success_cnt: i64,
    pub fail_cnt: i64,
    pub rsp_total_ms: i64,
    /// Sum of squared response times (ms²), for the standard deviation.
    pub rsp_square_total: i64,
}

/// The registry's view of one institution, as a participant last received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryOrgRow {
    pub org_code: String,
    pub org_type: String,
    /// The 지원-002 fields as received, without `op_type`.
    pub body: Value,
    pub updated_at: i64,
}
