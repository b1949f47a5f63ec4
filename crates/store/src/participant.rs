//! What every participant keeps besides its role's data: institutions and OAuth clients, the
//! registry's copy (지원-002, 003), per-slot call statistics (지원-004, 005) and named settings.

use crate::StoreResult;
use async_trait::async_trait;
use serde_json::Value;

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
    /// The app URL schemes the service registered at the portal (지원-003 `app_scheme_list`); `None`
    /// for a client registered locally, of which no registry says anything.
    pub app_schemes: Option<Vec<String>>,
    pub updated_at: i64,
}

impl Client {
    /// ch.3 ③: whether 개별인증-001's `app_scheme` is one the service registered. A service the
    /// registry lists without any app scheme has none to match (ch.5: operators register theirs
    /// beforehand); a client registered locally is taken at its word.
    pub fn registered_app_scheme(&self, app_scheme: &str) -> bool {
        self.app_schemes.as_ref().is_none_or(|registered| registered.iter().any(|s| s == app_scheme))
    }
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

/// A participant's registry, clients, call statistics and settings.
#[async_trait]
pub trait ParticipantStore: Send + Sync + 'static {
    async fn upsert_org(&self, org: &Org) -> StoreResult<()>;
    async fn org(&self, org_code: &str) -> StoreResult<Option<Org>>;
    async fn orgs(&self) -> StoreResult<Vec<Org>>;
    async fn upsert_client(&self, client: &Client) -> StoreResult<()>;
    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>>;
    /// Deletes a client and revokes every token it holds; false if it was not known.
    async fn delete_client(&self, client_id: &str) -> StoreResult<bool>;
    /// Adds counts and sums to the per-slot call statistics (creating rows as needed).
    async fn add_call_stats(&self, stats: &[CallStats]) -> StoreResult<()>;
    /// Call statistics of `org_code` for stat_dates in `from..=to` (YYYYMMDD).
    async fn call_stats(&self, org_code: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>>;
    /// Call statistics of one client (an operator's service) at every institution.
    async fn call_stats_of_client(&self, client_id: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>>;
    /// Keeps the registry's view of an institution (지원-002 row without op_type).
    async fn upsert_registry_org(&self, org: &RegistryOrgRow) -> StoreResult<()>;
    async fn remove_registry_org(&self, org_code: &str) -> StoreResult<()>;
    async fn registry_org(&self, org_code: &str) -> StoreResult<Option<RegistryOrgRow>>;
    async fn registry_orgs(&self) -> StoreResult<Vec<RegistryOrgRow>>;
    /// A named setting; `set_support_setting` overwrites.
    async fn support_setting(&self, name: &str) -> StoreResult<Option<String>>;
    async fn set_support_setting(&self, name: &str, value: &str) -> StoreResult<()>;
    /// Returns the setting `name`, storing `candidate` first if it has none (atomic: concurrent
    /// callers all get the same value), e.g. a signing secret shared by every instance.
    async fn support_setting_or_insert(&self, name: &str, candidate: &str) -> StoreResult<String>;
}
