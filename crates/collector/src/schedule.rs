//! When each consent is collected by the long-running operator: its first collection at once (the
//! customer is present: `user-consent`), then once per cycle window of its 공통-002 cycles
//! (`fnd_cycle`/`add_cycle`, the shorter of the two), at a moment of the window fixed by a hash of
//! the consent — so that a million consents spread over the week instead of all calling at midnight —
//! moved to the provider's next 정기적 전송 가능 시간대 (ch.3.3.3).

use crate::store::LinkRow;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mydata_domain::cycle::{Cycle, CycleUnit};
use mydata_spec::scheduled_hours::ScheduledHours;
use sha2::{Digest, Sha256};

const DAY_SECONDS: i64 = 24 * 3600;

/// The unit of a 공통-002 cycle (`1/w`, `2/d`, `1/m`).
fn unit_of(cycle: &str) -> Option<CycleUnit> {
    Cycle::parse(cycle).map(|c| c.unit)
}

/// A window of `unit`, as the allowance counts them ([`mydata_domain::cycle`]: a week runs Sunday to
/// Saturday, Korean time).
fn window_of(unit: CycleUnit) -> Cycle {
    Cycle { calls: 1, unit }
}

/// The window's name in the schedule: `D20261206`, `W20261206` (its Sunday), `M20261201`.
pub fn window_name(unit: CycleUnit, day: NaiveDate) -> String {
    let letter = match unit {
        CycleUnit::Day => 'D',
        CycleUnit::Week => 'W',
        CycleUnit::Month => 'M',
    };
    format!("{letter}{}", window_of(unit).window_start(day).format("%Y%m%d"))
}

/// One collection of one consent in the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// `first@<consented_at>` or the window's name.
    pub cycle_window: String,
    /// Unix seconds.
    pub due_at: i64,
}

/// Midnight starting `day`, Korean time.
fn korean_midnight(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    mydata_spec::time::kst().from_local_datetime(&midnight).single().expect("KST has no gaps").with_timezone(&Utc)
}

/// A stable number for the consent, spreading consents over the window.
fn spread_of(link: &LinkRow) -> u64 {
    let hash = Sha256::digest(format!("{}\u{1f}{}", link.customer_id, link.org_code).as_bytes());
    u64::from_be_bytes(hash[..8].try_into().expect("eight bytes"))
}

/// The consent's collection due in the window `now` is in, if it is collected at all: not when
/// stopped, nor (after the first) when the customer asked for no scheduled transmission, nor in a
/// window where it was collected already (`last_collected_at`, the schedule's last completion).
pub fn slot(
    link: &LinkRow,
    hours: &ScheduledHours,
    now: DateTime<Utc>,
    last_collected_at: Option<i64>,
) -> Option<Slot> {
    if link.stop_reason.is_some() {
        return None;
    }
    let consented_at = link.consented_at.unwrap_or(0);
    // Completions before the consent was given belong to a consent it replaced.
    let last_collected_at = last_collected_at.filter(|at| *at >= consented_at);
    if link.first_collected_at.is_none() && last_collected_at.is_none() {
        return Some(Slot { cycle_window: format!("first@{consented_at}"), due_at: consented_at });
    }
    if link.first_collected_at.is_some() && link.consent.is_scheduled == Some(false) {
        return None;
    }
    let cycles = [link.consent.fnd_cycle.as_deref(), link.consent.add_cycle.as_deref()];
    let unit = cycles.into_iter().flatten().filter_map(unit_of).min().unwrap_or(CycleUnit::Week);
    let today = mydata_spec::time::korean_date(now);
    let start = korean_midnight(window_of(unit).window_start(today));
    if last_collected_at.is_some_and(|at| at >= start.timestamp()) {
        return None;
    }
    let length = (korean_midnight(window_of(unit).next_window_start(today)) - start).num_seconds();
    // The provider's windows come back every day: from a moment two days before the window ends,
    // the next one is in the window even when the moment is missed by a little (a late tick, a
    // retry) and the collection waits for the provider's next window.
    let spread = (length - 2 * DAY_SECONDS).max(1) as u64;
    let moment = start + chrono::Duration::seconds((spread_of(link) % spread) as i64);
    Some(Slot { cycle_window: window_name(unit, today), due_at: hours.next_open(moment).timestamp() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ConsentInfo;
    use mydata_client::Tokens;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y%m%d").unwrap()
    }

    fn link(customer: &str, fnd: &str) -> LinkRow {
        LinkRow {
            customer_id: customer.into(),
            org_code: "BANK000001".into(),
            tokens: Tokens {
                access_token: String::new(),
                access_expires_at: 0,
                refresh_token: String::new(),
                refresh_expires_at: 0,
                scope: String::new(),
            },
            consent: ConsentInfo {
                is_scheduled: Some(true),
                fnd_cycle: Some(fnd.into()),
                add_cycle: None,
                end_date: None,
            },
            first_collected_at: Some(1),
            consented_at: Some(1),
            stop_reason: None,
            stop_detail: None,
            stopped_at: None,
        }
    }

    #[test]
    fn weeks_run_sunday_to_saturday() {
        // 2026-12-06 is a Sunday.
        assert_eq!(window_of(CycleUnit::Week).window_start(day("20261206")), day("20261206"));
        assert_eq!(window_of(CycleUnit::Week).window_start(day("20261212")), day("20261206"));
        assert_eq!(window_of(CycleUnit::Week).next_window_start(day("20261212")), day("20261213"));
        assert_eq!(window_name(CycleUnit::Month, day("20261231")), "M20261201");
        assert_eq!(window_of(CycleUnit::Month).next_window_start(day("20261231")), day("20270101"));
    }

    #[test]
    fn consents_spread_over_the_window_inside_the_providers_hours() {
        let hours = ScheduledHours::parse(&["0100:0700"]).unwrap();
        let now = korean_midnight(day("20261208"));
        let (start, end) = (korean_midnight(day("20261206")), korean_midnight(day("20261213")));
        let dues: Vec<i64> =
            (0..50).map(|i| slot(&link(&format!("c{i}"), "1/w"), &hours, now, None).unwrap().due_at).collect();
        for due in &dues {
            let at = DateTime::from_timestamp(*due, 0).unwrap();
            assert!(at >= start && at < end && hours.allows(at), "{at}");
        }
        let days: std::collections::BTreeSet<NaiveDate> =
            dues.iter().map(|d| mydata_spec::time::korean_date(DateTime::from_timestamp(*d, 0).unwrap())).collect();
        assert!(days.len() >= 4, "spread over the week, not bunched: {days:?}");
        assert_eq!(slot(&link("c1", "1/m"), &hours, now, None).unwrap().cycle_window, "M20261201");
        let mut first = link("c1", "1/w");
        first.first_collected_at = None;
        assert_eq!(slot(&first, &hours, now, None).unwrap(), Slot { cycle_window: "first@1".into(), due_at: 1 });
        // Collected first this week: next week's collection is the next one.
        assert_eq!(slot(&first, &hours, now, Some(now.timestamp())), None);
        let next_week = now + chrono::Duration::days(7);
        assert_eq!(slot(&first, &hours, next_week, Some(now.timestamp())).unwrap().cycle_window, "W20261213");
        first.stop_reason = Some("revoked".into());
        assert_eq!(slot(&first, &hours, now, None), None);
    }
}
