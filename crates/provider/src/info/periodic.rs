//! The scheduled-transmission allowance of ch.3.3.1: per customer, asset and API, `fnd_cycle`
//! (기본 APIs) or `add_cycle` (추가 APIs) transmissions per cycle window; the pages of one
//! transmission count once. Customer-present calls (user-*) are never counted.

use chrono::{Datelike, Utc};
use mydata_domain::Consent;
use mydata_spec::{ApiSpec, Periodic, RspCode};
use mydata_store::{PeriodicCall, Store};
use mydata_web::ApiError;

/// A cycle as the standard writes it: `count/unit`, unit `d`, `w` or `m` (공통-002).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    pub count: u64,
    pub unit: char,
}

impl Cycle {
    pub fn parse(text: &str) -> Option<Cycle> {
        let (count, unit) = text.split_once('/')?;
        let count = count.parse().ok()?;
        let unit = match unit {
            "d" | "w" | "m" => unit.chars().next()?,
            _ => return None,
        };
        Some(Cycle { count, unit })
    }

    /// The window `now` falls in, in Korean time (the standard's clock): `2026-11-25`, `2026-W48`, `2026-11`.
    pub fn window(&self, now: chrono::DateTime<Utc>) -> String {
        let kst = mydata_spec::time::korean_date(now);
        match self.unit {
            'd' => kst.format("%Y-%m-%d").to_string(),
            'w' => {
                let week = kst.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            _ => kst.format("%Y-%m").to_string(),
        }
    }
}

/// Counts a scheduled call and refuses it with 42901 beyond the consent's allowance. A consent without
/// scheduled transmission (or without a readable cycle) allows no scheduled call at all.
pub async fn admit(store: &dyn Store, consent: &Consent, api: &ApiSpec, subject_key: &str) -> Result<(), ApiError> {
    let cycle_text = match api.periodic {
        Some(Periodic::Basic) => consent.fnd_cycle.as_deref(),
        Some(Periodic::Additional) => consent.add_cycle.as_deref(),
        None => return Ok(()),
    };
    let cycle = cycle_text
        .filter(|_| consent.is_scheduled)
        .and_then(Cycle::parse)
        .ok_or_else(|| ApiError::with(RspCode::LimitExceeded, "the consent does not request scheduled transmission"))?;
    let window = cycle.window(Utc::now());
    let calls = store
        .count_periodic_call(&PeriodicCall {
            consent_id: &consent.consent_id,
            api_id: api.id,
            subject_key,
            cycle_window: &window,
        })
        .await?;
    if calls > cycle.count {
        return Err(ApiError::with(
            RspCode::LimitExceeded,
            format!("{} scheduled transmission(s) per cycle ({window}) already made", cycle.count),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cycles_parse_and_name_their_window_in_korean_time() {
        assert_eq!(Cycle::parse("1/w"), Some(Cycle { count: 1, unit: 'w' }));
        assert_eq!(Cycle::parse("3/d"), Some(Cycle { count: 3, unit: 'd' }));
        for bad in ["", "1", "w/1", "1/y", "x/w"] {
            assert_eq!(Cycle::parse(bad), None, "{bad}");
        }
        // Sunday 2026-11-29 16:00 UTC is Monday 01:00 in Korea: a new week there.
        let late_sunday = Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap();
        assert_eq!(Cycle::parse("1/w").unwrap().window(late_sunday), "2026-W49");
        assert_eq!(Cycle::parse("1/d").unwrap().window(late_sunday), "2026-11-30");
        assert_eq!(Cycle::parse("1/m").unwrap().window(late_sunday), "2026-11");
    }
}
