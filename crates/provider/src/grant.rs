//! A consent given without the consent page: every asset and every scope of the institution's
//! industry, with its first token pair — what a customer who ticks every box gives. The sandbox
//! pre-links its demo customers with it and the benchmarks give their customers consents with it;
//! the standard's own flows (개별인증-001/002, 통합인증-002) stay the only way in from outside.

use crate::tokens::{Confirmation, IssuedPair, prepare_bound_pair};
use crate::{Provider, ServedOrg};
use chrono::{Days, NaiveDate};
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_store::StoreError;

/// What the consent says besides "everything".
#[derive(Debug, Clone)]
pub struct FullConsent<'a> {
    pub client_id: &'a str,
    /// 공통-002 `fnd_cycle`/`add_cycle` of a scheduled consent (`1/w`, `2/d`…); `None`: not scheduled.
    pub cycle: Option<&'a str>,
    /// How long the consent lasts, in days from today (Korean date).
    pub days: u64,
    pub purpose: &'a str,
    /// What the access token is bound to (RFC 8705), if anything.
    pub binding: Option<&'a Confirmation>,
}

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("{customer_id} is not a customer of {org_code}")]
    NoSuchCustomer { customer_id: String, org_code: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Provider {
    /// Records `customer_id`'s consent at `org` to everything its industry offers — every asset of
    /// every asset list and every scope — and issues the consent's token pair.
    pub async fn consent_to_everything(
        &self,
        org: &ServedOrg,
        customer_id: &str,
        terms: &FullConsent<'_>,
        now: i64,
    ) -> Result<(Consent, IssuedPair), GrantError> {
        let store = self.store.as_ref();
        if store.customer(&org.org_code, customer_id).await?.is_none() {
            return Err(GrantError::NoSuchCustomer { customer_id: customer_id.into(), org_code: org.org_code.clone() });
        }
        // What the consent page would offer, every box ticked.
        let assets = crate::oauth::customer_assets(store, &org.org_code, org.industry, customer_id).await?;
        let scopes: Vec<String> = mydata_domain::scope::scopes_of(org.industry).into_iter().collect();
        let today = mydata_spec::time::korean_date(chrono::Utc::now());
        let consent = Consent {
            consent_id: uuid::Uuid::new_v4().to_string(),
            org_code: org.org_code.clone(),
            customer_id: customer_id.into(),
            client_id: terms.client_id.into(),
            scopes: scopes.join(" ").parse().expect("an industry's own scopes always parse"),
            assets: assets.into_iter().map(|a| a.asset).collect(),
            is_scheduled: terms.cycle.is_some(),
            fnd_cycle: terms.cycle.map(Into::into),
            add_cycle: terms.cycle.map(Into::into),
            end_date: today + Days::new(terms.days),
            purpose: terms.purpose.into(),
            period: NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date"),
            options: ConsentOptions { trans_memo: true, merchant_name_regno: true, trans_category: true },
            status: ConsentStatus::Active,
            created_at: now,
        };
        store.insert_consent(&consent).await?;
        let prepared = prepare_bound_pair(&self.keys, &consent, self.config.lifetimes, now, terms.binding);
        store.insert_tokens(&prepared.records).await?;
        Ok((consent, prepared.issued))
    }
}
