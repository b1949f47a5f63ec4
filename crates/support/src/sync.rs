//! A participant's copy of the portal's registry (ch.3.1 "기관정보/서비스정보 수신"): a sync pulls
//! 지원-002 (and, for providers, 지원-003) with the search_timestamps the portal last answered, and
//! applies the changes: institutions to `registry_orgs`, services to the `clients` table the
//! authorization server checks (secret hashed as `sha256$<hex>`, redirect URIs as registered). A
//! deleted service is removed, so its client is refused from then on. Operators pull institutions
//! only (the portal gives 지원-003 to providers) and learn providers' endpoints with [`providers`].

use crate::portal_client::{PortalClient, PortalError};
use crate::registry::{OpType, base_url, org_type};
use crate::secret::hash_client_secret;
use mydata_store::{Client, RegistryOrgRow, Store, StoreError};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::Mutex;

const ORGS_TIMESTAMP: &str = "registry-orgs-search-timestamp";
const SERVICES_TIMESTAMP: &str = "registry-services-search-timestamp";

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Portal(#[from] PortalError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one refresh applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSummary {
    pub orgs_upserted: usize,
    pub orgs_removed: usize,
    pub clients_upserted: usize,
    pub clients_removed: usize,
}

impl SyncSummary {
    /// Logs `message` for the participant `org_code`, with each count a field of its own, which a
    /// log collector can sum and filter.
    pub fn log(&self, org_code: &str, message: &str) {
        tracing::info!(
            org_code,
            orgs_upserted = self.orgs_upserted,
            orgs_removed = self.orgs_removed,
            clients_upserted = self.clients_upserted,
            clients_removed = self.clients_removed,
            "{message}"
        );
    }
}

pub struct RegistrySync {
    store: Arc<dyn Store>,
    portal: Arc<PortalClient>,
    /// Providers also pull 지원-003 into their clients table.
    pull_services: bool,
    /// One refresh at a time, so timestamps and changes are applied in order.
    running: Mutex<()>,
}

impl RegistrySync {
    /// The participant this sync pulls the registry for.
    pub fn org_code(&self) -> &str {
        &self.portal.account().org_code
    }

    /// A provider's sync: institutions and services.
    pub fn for_provider(store: Arc<dyn Store>, portal: Arc<PortalClient>) -> RegistrySync {
        RegistrySync { store, portal, pull_services: true, running: Mutex::new(()) }
    }

    /// An operator's sync: institutions only.
    pub fn for_operator(store: Arc<dyn Store>, portal: Arc<PortalClient>) -> RegistrySync {
        RegistrySync { store, portal, pull_services: false, running: Mutex::new(()) }
    }

    pub fn portal(&self) -> &Arc<PortalClient> {
        &self.portal
    }

    async fn timestamp(&self, name: &str) -> Result<String, StoreError> {
        Ok(self.store.support_setting(name).await?.unwrap_or_else(|| "0".to_owned()))
    }

    /// Pulls and applies what changed since the last refresh. The new search_timestamp is kept only
    /// after every change was applied, so a failed refresh is simply repeated.
    pub async fn refresh(&self) -> Result<SyncSummary, SyncError> {
        let _one_at_a_time = self.running.lock().await;
        let mut summary = SyncSummary::default();
        let now = chrono::Utc::now().timestamp();

        let orgs = self.portal.orgs(&self.timestamp(ORGS_TIMESTAMP).await?).await?;
        for org in &orgs.orgs {
            if org.op_type == OpType::Delete {
                self.store.remove_registry_org(&org.org_code).await?;
                summary.orgs_removed += 1;
            } else {
                let row = RegistryOrgRow {
                    org_code: org.org_code.clone(),
                    org_type: org.org_type.clone(),
                    body: Value::Object(org.fields.clone()),
                    updated_at: now,
                };
                self.store.upsert_registry_org(&row).await?;
                summary.orgs_upserted += 1;
            }
        }
        if let Some(ts) = &orgs.search_timestamp {
            self.store.set_support_setting(ORGS_TIMESTAMP, ts).await?;
        }

        if !self.pull_services {
            return Ok(summary);
        }
        let services = self.portal.services(&self.timestamp(SERVICES_TIMESTAMP).await?).await?;
        for service in &services.services {
            if service.op_type == OpType::Delete {
                if self.store.delete_client(&service.client_id).await? {
                    summary.clients_removed += 1;
                }
                continue;
            }
            let secret_hash = match (&service.client_secret, self.store.client(&service.client_id).await?) {
                (Some(secret), _) => hash_client_secret(secret),
                (None, Some(known)) => known.client_secret_hash,
                (None, None) => {
                    tracing::warn!(client_id = %service.client_id, "registry service without client_secret skipped");
                    continue;
                }
            };
            self.store
                .upsert_client(&Client {
                    client_id: service.client_id.clone(),
                    client_secret_hash: secret_hash,
                    org_code: service.org_code.clone(),
                    client_name: service.service_name.clone(),
                    redirect_uris: service.redirect_uris.clone(),
                    app_schemes: Some(service.app_schemes.clone()),
                    updated_at: now,
                })
                .await?;
            summary.clients_upserted += 1;
        }
        if let Some(ts) = &services.search_timestamp {
            self.store.set_support_setting(SERVICES_TIMESTAMP, ts).await?;
        }
        Ok(summary)
    }
}

/// A provider's API endpoint as the registry gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEndpoint {
    pub org_code: String,
    pub org_name: String,
    pub industry: String,
    /// <base path> of ch.2.1: information APIs are under `{base_url}/v1/{industry}/…`.
    pub base_url: String,
}

/// The providers with their own API servers (org_type 01) in the participant's copy of the registry.
/// Providers using a relay (02) have no domain: their relay_org_code's institution serves them.
pub async fn providers(store: &dyn Store) -> Result<Vec<ProviderEndpoint>, StoreError> {
    let text = |row: &RegistryOrgRow, name: &str| row.body.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    Ok(store
        .registry_orgs()
        .await?
        .iter()
        .filter(|row| row.org_type == org_type::PROVIDER)
        .filter_map(|row| {
            Some(ProviderEndpoint {
                org_code: row.org_code.clone(),
                org_name: text(row, "org_name").unwrap_or_default(),
                industry: text(row, "industry")?,
                base_url: base_url(&text(row, "domain")?),
            })
        })
        .collect())
}
