//! ch.3.3.3: a provider takes scheduled calls only within the np_time windows it registered, and
//! answers others 50009; calls with the customer present are taken at any time. Read on an
//! injected clock.

use crate::info_harness;

use chrono::{DateTime, TimeZone, Utc};
use info_harness::*;
use mydata_spec::catalogue::api;
use mydata_spec::scheduled_hours::{ManualClock, ScheduledHours};
use mydata_spec::{Industry, RspCode};
use mydata_store::Backend;
use mydata_store::prelude::*;
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

mydata_store::each_backend!(scheduled_calls_outside_the_registered_windows_are_answered_50009);

/// With a portal, each institution's windows are the ones the registry says it registered (지원-002
/// `np_time_list`); one the registry does not list keeps the configured hours.
async fn each_institution_takes_scheduled_calls_in_its_own_registered_windows(backend: Backend) {
    let seeded = seeded(backend).await;
    let provider = &seeded.app.provider;
    let clock = Arc::new(ManualClock::at(korean(12)));
    provider.set_scheduled_hours(ScheduledHours::default(), clock.clone());
    let bank = provider.org_for(Industry::Bank).unwrap().org_code.clone();
    let entry = serde_json::json!({"org_code": bank, "org_type": "01", "np_time_list": [{"np_time": "0000:0600"}]});
    let row =
        mydata_store::RegistryOrgRow { org_code: bank.clone(), org_type: "01".into(), body: entry, updated_at: 0 };
    seeded.app.store.upsert_registry_org(&row).await.unwrap();
    assert!(provider.takes_scheduled_calls_now(Industry::Bank), "until the registry is read: the configured hours");
    provider.learn_registered_hours().await.unwrap();

    let (_, bank_pair) = seeded.app.issue(consent_record(Industry::Bank, "demo1", "bank.list", Vec::new())).await;
    let bank_list = Call::for_subject(api("은행-001").unwrap(), Industry::Bank, "demo1".into());
    let (status, body) = seeded.call(&bank_list, Some(bank_pair.access_token.as_str()), "scheduled").await;
    assert_eq!(body["rsp_code"], RspCode::OutsideScheduledHours.code(), "{status} {body}");
    let (_, card_pair) = seeded.app.issue(consent_record(Industry::Card, "demo1", "card.list", Vec::new())).await;
    let card_list = Call::for_subject(api("카드-001").unwrap(), Industry::Card, "demo1".into());
    let (status, body) = seeded.call(&card_list, Some(card_pair.access_token.as_str()), "scheduled").await;
    assert_eq!(status, 200, "the card company registered no windows: {body}");
    clock.set(korean(3));
    let (status, body) = seeded.call(&bank_list, Some(bank_pair.access_token.as_str()), "scheduled").await;
    assert_eq!(status, 200, "inside the bank's window: {body}");
}

mydata_store::each_backend!(each_institution_takes_scheduled_calls_in_its_own_registered_windows);
