//! The scheduled-transmission allowance of ch.3.3.1: per customer, asset and API, `fnd_cycle`
//! (기본 APIs) or `add_cycle` (추가 APIs) transmissions per cycle window; the pages of one
//! transmission count once. Customer-present calls (user-*) are never counted.

use chrono::Utc;
use mydata_domain::{Consent, Cycle};
use mydata_spec::{ApiSpec, RspCode};
use mydata_store::{PeriodicCall, Store};
use mydata_web::ApiError;

/// Counts a scheduled call and refuses it with 42901 beyond the consent's allowance. A consent without
/// scheduled transmission (or without a readable cycle) allows no scheduled call at all.
pub async fn admit(store: &dyn Store, consent: &Consent, api: &ApiSpec, subject_key: &str) -> Result<(), ApiError> {
    if api.periodic.is_none() {
        return Ok(());
    }
    let cycle = Cycle::text_for(api, consent.fnd_cycle.as_deref(), consent.add_cycle.as_deref())
        .filter(|_| consent.is_scheduled)
        .and_then(Cycle::parse)
        .ok_or_else(|| ApiError::with(RspCode::LimitExceeded, "the consent does not request scheduled transmission"))?;
    let window = cycle.window(mydata_spec::time::korean_date(Utc::now()));
    let calls = store
        .count_periodic_call(&PeriodicCall {
            consent_id: &consent.consent_id,
            api_id: api.id,
            subject_key,
            cycle_window: &window,
        })
        .await?;
    if calls > cycle.calls {
        return Err(ApiError::with(
            RspCode::LimitExceeded,
            format!("{} scheduled transmission(s) per cycle ({window}) already made", cycle.calls),
        ));
    }
    Ok(())
}
