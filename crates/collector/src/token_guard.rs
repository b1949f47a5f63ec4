//! A token holder's duty (기술 가이드라인): one live token pair per customer, service and provider.
//! A new issuance (개별인증-002, 통합인증-002) while a pair is live is a duplicate issuance: it is
//! detected and logged, the new pair replaces the old, and nothing goes on using the old one — a
//! collection that was holding it may neither write its refreshed pair over the new one nor stop
//! the new link when the provider refuses the old pair.

use crate::store::OperatorStore;
use mydata_client::{StopReason, Tokens};
use mydata_store::StoreResult;

/// What recording an issuance found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issuance {
    /// No live pair was held for this customer at this provider.
    First,
    /// A live pair was held: a duplicate issuance. The older pair is no longer used.
    Duplicate { older_access_token: String },
}

impl OperatorStore {
    /// Records the pair just issued for `customer_id` at `org_code` (with the operator's one service
    /// there), detecting a duplicate issuance.
    pub async fn record_issuance(
        &self,
        customer_id: &str,
        org_code: &str,
        tokens: &Tokens,
        now: i64,
    ) -> StoreResult<Issuance> {
        let held = self.link(customer_id, org_code).await?.filter(|l| l.stop_reason.is_none());
        self.upsert_link(customer_id, org_code, tokens, now).await?;
        Ok(match held {
            Some(older) if older.tokens.access_token != tokens.access_token => {
                tracing::warn!(
                    customer_id,
                    org_code,
                    "duplicate token issuance: a live pair was already held; requests use only the new one"
                );
                Issuance::Duplicate { older_access_token: older.tokens.access_token }
            }
            _ => Issuance::First,
        })
    }

    /// Saves a refreshed pair only if the link still holds the pair it was refreshed from (whose
    /// refresh token was `held_refresh_token`); `false` when a newer issuance replaced it.
    pub async fn save_tokens_if_held(
        &self,
        customer_id: &str,
        org_code: &str,
        held_refresh_token: &str,
        tokens: &Tokens,
        now: i64,
    ) -> StoreResult<bool> {
        self.save_tokens_over(customer_id, org_code, Some(held_refresh_token), tokens, now).await
    }

    /// Stops the link only if it still holds the pair whose refresh token is `held_refresh_token`:
    /// a refusal of a replaced pair says nothing about the new one. `false` when it was replaced.
    pub async fn stop_link_if_held(
        &self,
        customer_id: &str,
        org_code: &str,
        held_refresh_token: &str,
        reason: &StopReason,
        now: i64,
    ) -> StoreResult<bool> {
        self.stop_link_over(customer_id, org_code, Some(held_refresh_token), reason, now).await
    }
}
