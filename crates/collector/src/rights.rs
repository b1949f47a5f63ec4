//! The customer's rights over what the operator holds (technical guideline 2022, ch.3): withdrawing
//! one consent (전송요구 철회) at its provider (개별인증-004), deleting what was collected under it if
//! the customer asks; leaving the service (서비스 탈퇴), which withdraws every consent and deletes
//! everything collected about the customer at once; and deleting collected data once the retention
//! period the customer was told has passed after a consent stopped.

use crate::store::{LinkRow, OperatorStore};
use mydata_client::{Client, ClientError, Credentials, StopReason};
use mydata_store::StoreError;
use std::time::Duration;

/// The detail recorded on a link the customer withdrew.
const WITHDRAWN: &str = "withdrawn by the customer";

#[derive(Debug, thiserror::Error)]
pub enum RightsError {
    #[error("customer {customer_id} has no consent at {org_code}")]
    NoConsent { customer_id: String, org_code: String },
    #[error("customer {0} has no consent at any provider")]
    UnknownCustomer(String),
    #[error("provider {0} is not in the operator's registry")]
    UnknownProvider(String),
    /// The provider did not take the revocation: the consent is still live there, so nothing was
    /// changed here and the customer may try again.
    #[error("{org_code} did not revoke the consent (개별인증-004): {error}")]
    Revocation { org_code: String, error: ClientError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RightsError {
    fn from(e: sqlx::Error) -> Self {
        RightsError::Store(e.into())
    }
}

/// What a withdrawal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub org_code: String,
    /// Whether the provider was asked to revoke the tokens (false: they had stopped already).
    pub revoked: bool,
    /// Collected items deleted.
    pub deleted_items: u64,
}

/// Acts on the customer's requests: revokes at providers with `client`.
pub struct Rights {
    store: OperatorStore,
    client: Client,
}

impl Rights {
    pub fn new(store: OperatorStore, client: Client) -> Rights {
        Rights { store, client }
    }

    /// 전송요구 철회: revokes the customer's consent at `org_code` and stops collecting it; with
    /// `delete`, what was collected under it goes too.
    pub async fn withdraw(
        &self,
        customer_id: &str,
        org_code: &str,
        delete: bool,
        now: i64,
    ) -> Result<Withdrawal, RightsError> {
        let link = self.store.link(customer_id, org_code).await?.ok_or_else(|| RightsError::NoConsent {
            customer_id: customer_id.to_owned(),
            org_code: org_code.to_owned(),
        })?;
        let revoked = self.revoke(&link, now).await?;
        let deleted_items = if delete { delete_collected(&self.store, customer_id, org_code).await? } else { 0 };
        tracing::info!(customer_id, org_code, revoked, deleted_items, "consent withdrawn by the customer");
        Ok(Withdrawal { org_code: org_code.to_owned(), revoked, deleted_items })
    }

    /// 서비스 탈퇴: every consent of the customer withdrawn at its provider (all at once), then
    /// everything collected about them and their CI deleted. If a provider does not take its
    /// revocation, the others are still withdrawn and the error names it; nothing collected is
    /// deleted until every consent is withdrawn, so that asking again finishes the job.
    pub async fn leave(&self, customer_id: &str, now: i64) -> Result<Vec<Withdrawal>, RightsError> {
        let links: Vec<LinkRow> =
            self.store.links().await?.into_iter().filter(|l| l.customer_id == customer_id).collect();
        if links.is_empty() {
            return Err(RightsError::UnknownCustomer(customer_id.to_owned()));
        }
        let revocations = futures::future::join_all(links.iter().map(|link| self.revoke(link, now))).await;
        let mut withdrawn = Vec::new();
        for (link, revoked) in links.iter().zip(revocations) {
            withdrawn.push(Withdrawal { org_code: link.org_code.clone(), revoked: revoked?, deleted_items: 0 });
        }
        let deleted = forget_customer(&self.store, customer_id).await?;
        tracing::info!(customer_id, consents = withdrawn.len(), deleted_items = deleted, "customer left the service");
        if let Some(first) = withdrawn.first_mut() {
            first.deleted_items = deleted;
        }
        Ok(withdrawn)
    }

    /// Revokes a live link at its provider and records the stop; a stopped link is left as it is.
    async fn revoke(&self, link: &LinkRow, now: i64) -> Result<bool, RightsError> {
        if link.stop_reason.is_some() {
            return Ok(false);
        }
        let providers = self.store.providers().await?;
        let provider = providers
            .iter()
            .find(|p| p.org_code == link.org_code)
            .ok_or_else(|| RightsError::UnknownProvider(link.org_code.clone()))?;
        let credentials =
            Credentials { client_id: provider.client_id.clone(), client_secret: provider.client_secret.clone() };
        self.client
            .revoke(&provider.base_url, &provider.org_code, &credentials, &link.tokens.access_token)
            .await
            .map_err(|error| RightsError::Revocation { org_code: link.org_code.clone(), error })?;
        let reason = StopReason::Revoked { detail: WITHDRAWN.into() };
        self.store.stop_link(&link.customer_id, &link.org_code, &reason, now).await?;
        Ok(true)
    }
}

/// Deletes what was collected about the customer at one provider, in one transaction:
/// the items, the cursors that say how far collection got, and the schedule of further collections.
/// Returns how many items were deleted.
async fn delete_collected(store: &OperatorStore, customer_id: &str, org_code: &str) -> Result<u64, RightsError> {
    let mut tx = store.sql().begin_write().await?;
    let mut deleted = 0;
    for table in ["op_resources", "op_cursors", "op_schedule"] {
        let removed = sqlx::query(&format!("DELETE FROM {table} WHERE customer_id = $1 AND org_code = $2"))
            .bind(customer_id)
            .bind(org_code)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if table == "op_resources" {
            deleted = removed;
        }
    }
    tx.commit().await?;
    Ok(deleted)
}

/// Everything about a customer who left, in one transaction: what was collected, how far, the
/// schedule and the periodic-allowance counts, the journal of their collections, their CI and
/// their links' tokens. The links themselves stay, stopped and without tokens, as the record of
/// consents given and withdrawn that the weekly statistics (지원-004) count.
async fn forget_customer(store: &OperatorStore, customer_id: &str) -> Result<u64, RightsError> {
    let mut tx = store.sql().begin_write().await?;
    let mut deleted = 0;
    for table in ["op_resources", "op_cursors", "op_schedule", "op_periodic_usage", "op_journal", "op_customers"] {
        let removed = sqlx::query(&format!("DELETE FROM {table} WHERE customer_id = $1"))
            .bind(customer_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if table == "op_resources" {
            deleted = removed;
        }
    }
    sqlx::query("UPDATE op_links SET access_token = '', refresh_token = '', scope = '' WHERE customer_id = $1")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(deleted)
}

/// Deletes what was collected under consents that stopped, or ended, more than `retention` before
/// `now` (the period the customer was told the operator keeps their data). Returns the items deleted.
pub async fn delete_past_retention(store: &OperatorStore, retention: Duration, now: i64) -> Result<u64, RightsError> {
    let cutoff = now - i64::try_from(retention.as_secs()).unwrap_or(i64::MAX).min(now);
    let cutoff_date = chrono::DateTime::from_timestamp(cutoff, 0)
        .map(|t| mydata_spec::time::korean_date(t).format("%Y%m%d").to_string())
        .unwrap_or_default();
    let expired: Vec<(String, String)> = store
        .links()
        .await?
        .into_iter()
        .filter(|l| {
            let stopped = l.stopped_at.is_some_and(|at| at < cutoff);
            // YYYYMMDD strings order as the dates do.
            let ended = l.consent.end_date.as_deref().is_some_and(|end| end < cutoff_date.as_str());
            stopped || ended
        })
        .map(|l| (l.customer_id, l.org_code))
        .collect();
    let mut deleted = 0;
    for (customer_id, org_code) in expired {
        deleted += delete_collected(store, &customer_id, &org_code).await?;
    }
    if deleted > 0 {
        tracing::info!(
            deleted_items = deleted,
            retention_days = retention.as_secs() / 86_400,
            "collected data past its retention deleted"
        );
    }
    Ok(deleted)
}
