//! The call recorder never makes a caller wait, and every call is either in the statistics or
//! counted as dropped.

use mydata_store::testing::TestDatabase;
use mydata_store::{Backend, Store};
use mydata_support::recorder::{CallEvent, CallRecorder};
use std::sync::Arc;
use std::time::Instant;

fn event(i: i64) -> CallEvent {
    CallEvent {
        org_code: "BANK000001".into(),
        client_id: "svc".into(),
        api_code: if i % 2 == 0 { "BA01" } else { "BA02" },
        api_type: None,
        success: i % 3 != 0,
        elapsed_ms: i % 50,
        // 2021-09-06 10:00 KST, slot 00.
        at: 1_630_890_000,
        only_registered_client: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_recorded_without_waiting_and_accounted_for_exactly() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store: Arc<dyn Store> = Arc::new(db.open().await.unwrap());
    let recorder = CallRecorder::start(store.clone());
    const CALLS: i64 = 50_000;
    let started = Instant::now();
    for i in 0..CALLS {
        recorder.record(event(i));
    }
    let spent = started.elapsed();
    // try_send only: 50 000 hand-overs take milliseconds; a recorder that waited for the database
    // would take seconds.
    assert!(spent.as_millis() < 1_000, "recording took {spent:?}");
    recorder.flush().await;
    let cells = store.call_stats("BANK000001", "20210906", "20210906").await.unwrap();
    let counted: i64 = cells.iter().map(|c| c.success_cnt + c.fail_cnt).sum();
    assert_eq!(counted + recorder.dropped() as i64, CALLS, "every call is counted or reported dropped");
    assert!(cells.iter().all(|c| c.tm_slot == "00" && c.stat_type == "2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_of_unregistered_clients_are_left_out_when_asked() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store: Arc<dyn Store> = Arc::new(db.open().await.unwrap());
    let recorder = CallRecorder::start(store.clone());
    recorder.record(CallEvent { only_registered_client: true, ..event(1) });
    recorder.record(event(2));
    recorder.flush().await;
    let cells = store.call_stats("BANK000001", "20210906", "20210906").await.unwrap();
    assert_eq!(cells.iter().map(|c| c.success_cnt + c.fail_cnt).sum::<i64>(), 1);
    assert_eq!(recorder.unattributed(), 1);
}
