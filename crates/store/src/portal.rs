//! The integrated portal's records: registered institutions and services (지원-002, 003, 006) and the
//! statistics reports it received (지원-004, 005).

use crate::StoreResult;
use async_trait::async_trait;
use serde_json::Value;

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

/// The integrated portal's registrations and received statistics.
#[async_trait]
pub trait PortalStore: Send + Sync + 'static {
    /// Registers or changes an institution (`deleted_at` set marks it deleted).
    async fn upsert_portal_org(&self, org: &PortalOrg) -> StoreResult<()>;
    async fn portal_org(&self, org_code: &str) -> StoreResult<Option<PortalOrg>>;
    /// The institution holding a support client_id (지원-001 credentials).
    async fn portal_org_by_support_client(&self, client_id: &str) -> StoreResult<Option<PortalOrg>>;
    /// Institutions changed at or after `since` (Unix seconds), deleted ones included, by org_code.
    async fn portal_orgs_changed_since(&self, since: i64) -> StoreResult<Vec<PortalOrg>>;
    async fn upsert_portal_service(&self, service: &PortalService) -> StoreResult<()>;
    async fn portal_service(&self, client_id: &str) -> StoreResult<Option<PortalService>>;
    /// Services changed at or after `since`, deleted ones included, by org_code then client_id.
    async fn portal_services_changed_since(&self, since: i64) -> StoreResult<Vec<PortalService>>;
    /// Stores a received statistics report, replacing an earlier one with the same key.
    async fn put_received_statistics(&self, report: &ReceivedStatistics) -> StoreResult<()>;
    /// Received reports, optionally of one API (`지원-004`/`지원-005`), newest inquiry_date first.
    async fn received_statistics(&self, api_id: Option<&str>) -> StoreResult<Vec<ReceivedStatistics>>;
}
