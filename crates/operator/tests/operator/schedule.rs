//! The long-running operator's schedule on an injected clock, against real providers (in-process)
//! that read the same clock: each consent is collected at once after it is given, then once in
//! every week (Sunday to Saturday, Korean time) and not more, and never outside the provider's
//! 정기적 전송 가능 시간대 — the providers would answer such a call 50009, a failed unit.

use crate::collector_common as common;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc};
use mydata_collector::lease::ScheduleRow;
use mydata_operator::{Round, Scheduler, SchedulerConfig};
use mydata_provider::demo_orgs;
use mydata_spec::scheduled_hours::{Clock, ManualClock, ScheduledHours};
use mydata_store::prelude::*;
use mydata_store::{Backend, RegistryOrgRow};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The windows every provider registered at the portal.
const NP_TIME: &str = "0000:0600";

/// The Sunday that starts the (Korean) week of `at`.
fn week_of(at: i64) -> NaiveDate {
    let day = mydata_spec::time::korean_date(DateTime::from_timestamp(at, 0).unwrap());
    day - Days::new(u64::from(day.weekday().num_days_from_sunday()))
}

#[tokio::test]
async fn each_consent_is_collected_once_a_week_and_only_inside_the_providers_hours() {
    let mut providers = common::providers(common::people(1)).await;
    let (_db, store) = common::operator(Backend::Sqlite).await;
    // The providers count their own allowance (42901) on the wall clock, where the simulated weeks
    // below are one: the consents allow a few scheduled calls a week. The operator still collects
    // once per window, which is what is checked.
    providers.consent_everywhere_with(&store, "5/w").await;
    let start = Utc::now();
    let clock = Arc::new(ManualClock::at(start));
    let hours = ScheduledHours::parse(&[NP_TIME]).unwrap();
    providers.provider.set_scheduled_hours(hours.clone(), clock.clone());
    // The operator knows the providers' windows from its registry copy (지원-002).
    for org in demo_orgs() {
        let body =
            serde_json::json!({"org_name": org.org_code, "np_time_cnt": "1", "np_time_list": [{"np_time": NP_TIME}]});
        let row = RegistryOrgRow { org_code: org.org_code.clone(), org_type: "01".into(), body, updated_at: 0 };
        store.sql().upsert_registry_org(&row).await.unwrap();
    }
    let scheduler = Scheduler::new(common::collector(&store), clock.clone(), SchedulerConfig::new("scheduler-test"));
    let (_keep, never) = tokio::sync::watch::channel(false);
    let days = 22;
    let mut collected = 0;
    for _hour in 0..days * 24 {
        let round: Round = scheduler.run_due(&never).await.unwrap();
        assert_eq!((round.units_failed, round.lost), (0, 0), "at {}: {round:?}", clock.now());
        collected += round.collected;
        clock.advance(Duration::hours(1));
    }
    let end = clock.now();

    let rows = store.schedule().await.unwrap();
    let mut by_consent: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for row in &rows {
        by_consent.entry(row.org_code.as_str()).or_default().push(row);
    }
    assert_eq!(by_consent.len(), demo_orgs().len(), "every consent is in the schedule");
    for (org, rows) in by_consent {
        let (first, weekly): (Vec<&ScheduleRow>, Vec<&ScheduleRow>) =
            rows.iter().copied().partition(|r| r.cycle_window.starts_with("first@"));
        assert_eq!(first.len(), 1, "{org}: one first collection");
        assert!(first[0].done_at.is_some_and(|at| at <= start.timestamp() + 3600), "{org}: collected at once");
        // One collection per week: weeks are Sunday to Saturday; the first collection's week needs no other.
        let mut weeks = vec![week_of(first[0].done_at.unwrap())];
        for row in &weekly {
            let Some(done_at) = row.done_at else {
                // Planned for the week the clock stopped in, not due yet.
                assert!(row.due_at > end.timestamp() - 3600, "{org}: {row:?} was due and not collected");
                continue;
            };
            let at = DateTime::from_timestamp(done_at, 0).unwrap();
            assert!(hours.allows(at), "{org}: collected at {at}, outside the provider's {NP_TIME}");
            assert_eq!(row.cycle_window, format!("W{}", week_of(done_at).format("%Y%m%d")), "{org}: in its own week");
            weeks.push(week_of(done_at));
        }
        let distinct: std::collections::BTreeSet<_> = weeks.iter().collect();
        assert_eq!(distinct.len(), weeks.len(), "{org}: not more than once a week: {weeks:?}");
        // Every week that ended before the clock stopped had its collection.
        let mut week = week_of(start.timestamp()) + Days::new(7);
        while mydata_spec::time::korean_date(end) >= week + Days::new(7) {
            assert!(weeks.contains(&week), "{org}: no collection in the week of {week}: {weeks:?}");
            week = week + Days::new(7);
        }
    }
    assert_eq!(collected as usize, rows.iter().filter(|r| r.done_at.is_some()).count());
}
