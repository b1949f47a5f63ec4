//! ch.3.3.3: a provider takes scheduled calls only within the np_time windows it registered, and
//! answers others 50009; calls with the customer present are taken at any time. Read on an
//! injected clock.

mod common;
mod info_harness;

use chrono::{DateTime, TimeZone, Utc};
use info_harness::*;
use mydata_spec::catalogue::api;
use mydata_spec::scheduled_hours::{ManualClock, ScheduledHours};
use mydata_spec::{Industry, RspCode};
use mydata_store::Backend;
use std::sync::Arc;

fn korean(h: u32) -> DateTime<Utc> {
    mydata_spec::time::kst().with_ymd_and_hms(2026, 12, 7, h, 0, 0).unwrap().with_timezone(&Utc)
}

async fn scheduled_calls_outside_the_registered_windows_are_answered_50009(backend: Backend) {
    let seeded = seeded(backend).await;
    deposit_account(&seeded.app, "np-1", "7201", 2).await;
    let consent = consent_record(Industry::Bank, "np-1", "bank.list bank.deposit", vec![bank_account("7201")]);
    let (_, pair) = seeded.app.issue(consent).await;
    let token = Some(pair.access_token.as_str());
    let clock = Arc::new(ManualClock::at(korean(12)));
    seeded.app.provider.set_scheduled_hours(ScheduledHours::parse(&["0000:0600"]).unwrap(), clock.clone());
    let list = Call::for_subject(api("은행-001").unwrap(), Industry::Bank, "np-1".into());

    let (status, body) = seeded.call(&list, token, "scheduled").await;
    assert_eq!(
        (status, body["rsp_code"].as_str()),
        (RspCode::OutsideScheduledHours.http_status(), Some(RspCode::OutsideScheduledHours.code())),
        "{body}"
    );
    // The customer present is served whatever the hour.
    let (status, body) = seeded.call(&list, token, "user-search").await;
    assert_eq!(status, 200, "{body}");
    clock.set(korean(3));
    let (status, body) = seeded.call(&list, token, "scheduled").await;
    assert_eq!(status, 200, "inside the window: {body}");
}

on_both_backends!(scheduled_calls_outside_the_registered_windows_are_answered_50009);
