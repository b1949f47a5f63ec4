//! The scheduled-transmission allowance of ch.3.3.1: per customer and asset (for each operator's
//! service) and API, `fnd_cycle` (기본 APIs) or `add_cycle` (추가 APIs) transmissions per cycle
//! window; the pages of one transmission count once. Customer-present calls (user-*) are never
//! counted, and a scheduled call counts only when its answer is delivered with 00000: a failed
//! transmission may be tried again until its first success (ch.3.3.2).

use chrono::{DateTime, Utc};
use mydata_domain::{Consent, Cycle};
use mydata_spec::{ApiSpec, RspCode};
use mydata_store::{PeriodicCall, Store};
use mydata_web::ApiError;

/// One scheduled transmission about to be answered: where it would be counted, and how many the
/// window allows.
pub struct Transmission<'a> {
    call: PeriodicCall<'a>,
    window: String,
    allowed: u64,
}

fn exceeded(allowed: u64, window: &str) -> ApiError {
    ApiError::with(
        RspCode::LimitExceeded,
        format!("{allowed} scheduled transmission(s) per cycle ({window}) already made"),
    )
}

impl<'a> Transmission<'a> {
    /// The transmission of `api` about `subject_key` under `consent` at `now`, refused with 42901 when
    /// the consent asks for no scheduled transmission (or names no readable cycle) or the window is
    /// full already. `None` for an API outside the allowance.
    pub async fn admit(
        store: &dyn Store,
        consent: &'a Consent,
        api: &'static ApiSpec,
        subject_key: &'a str,
        now: DateTime<Utc>,
    ) -> Result<Option<Transmission<'a>>, ApiError> {
        if api.periodic.is_none() {
            return Ok(None);
        }
        let cycle = Cycle::text_for(api, consent.fnd_cycle.as_deref(), consent.add_cycle.as_deref())
            .filter(|_| consent.is_scheduled)
            .and_then(Cycle::parse)
            .ok_or_else(|| {
                ApiError::with(RspCode::LimitExceeded, "the consent does not request scheduled transmission")
            })?;
        let window = cycle.window(mydata_spec::time::korean_date(now));
        let transmission = Transmission {
            call: PeriodicCall {
                org_code: &consent.org_code,
                client_id: &consent.client_id,
                customer_id: &consent.customer_id,
                api_id: api.id,
                subject_key,
                cycle_window: "",
            },
            window,
            allowed: cycle.calls,
        };
        if store.periodic_transmissions(&transmission.call()).await? >= transmission.allowed {
            return Err(exceeded(transmission.allowed, &transmission.window));
        }
        Ok(Some(transmission))
    }

    fn call(&self) -> PeriodicCall<'_> {
        PeriodicCall { cycle_window: &self.window, ..self.call.clone() }
    }

    /// Counts the transmission as its 00000 answer is delivered; 42901 instead when a concurrent call
    /// took the window's last transmission meanwhile.
    pub async fn deliver(&self, store: &dyn Store) -> Result<(), ApiError> {
        if store.take_periodic_transmission(&self.call(), self.allowed).await? {
            Ok(())
        } else {
            Err(exceeded(self.allowed, &self.window))
        }
    }
}
