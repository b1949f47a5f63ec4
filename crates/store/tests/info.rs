//! Information-data store behaviours (change stamps, scheduled-call counters), on both backends.

use mydata_store::*;
use serde_json::json;

fn asset(key: &str, customer: &str, updated_at: i64) -> AssetRow {
    AssetRow {
        org_code: "BANK000001".into(),
        list_api: "은행-001".into(),
        asset_key: key.into(),
        customer_id: customer.into(),
        sort_key: key.into(),
        item: json!({"account_num": key}),
        updated_at,
    }
}

both_backends!(asset_lists_report_their_latest_change, |store| async move {
    assert_eq!(store.assets_changed_at("BANK000001", "은행-001", "c1").await.unwrap(), None);
    store.upsert_assets(&[asset("1001", "c1", 100), asset("1002", "c1", 250), asset("2001", "c2", 900)]).await.unwrap();
    assert_eq!(store.assets_changed_at("BANK000001", "은행-001", "c1").await.unwrap(), Some(250));
    // Changing one asset moves the list's stamp (ch.2.1: a changed list is a changed resource).
    store.upsert_assets(&[asset("1001", "c1", 400)]).await.unwrap();
    assert_eq!(store.assets_changed_at("BANK000001", "은행-001", "c1").await.unwrap(), Some(400));
    assert_eq!(store.assets_changed_at("BANK000001", "은행-002", "c1").await.unwrap(), None);
});

both_backends!(periodic_calls_count_per_consent_api_subject_and_window, |store| async move {
    let call = |api: &'static str, subject: &'static str, window: &'static str| PeriodicCall {
        consent_id: "consent-1",
        api_id: api,
        subject_key: subject,
        cycle_window: window,
    };
    assert_eq!(store.count_periodic_call(&call("은행-002", "1001", "2026-W48")).await.unwrap(), 1);
    assert_eq!(store.count_periodic_call(&call("은행-002", "1001", "2026-W48")).await.unwrap(), 2);
    assert_eq!(store.count_periodic_call(&call("은행-002", "1002", "2026-W48")).await.unwrap(), 1);
    assert_eq!(store.count_periodic_call(&call("은행-003", "1001", "2026-W48")).await.unwrap(), 1);
    assert_eq!(store.count_periodic_call(&call("은행-002", "1001", "2026-W49")).await.unwrap(), 1);
});
