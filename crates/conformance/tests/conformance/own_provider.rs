//! The suite against our own provider, every industry, on both database backends: it must pass,
//! and every API the provider announces must actually have been exercised.

use crate::common;

use mydata_conformance::{Manifest, Status, run};
use mydata_store::Backend;

async fn every_industry_passes(backend: Backend) {
    let own = common::spawn(backend).await;
    let targets = own.targets().await;
    let report = run(&targets, &Manifest::v1(), &common::fast()).await;
    assert!(!report.failed(), "{}", report.to_table());
    assert!(report.ids_with(Status::NotTested).is_empty(), "{}", report.to_table());
    assert!(report.apis.len() > targets.len() * 2, "every industry announces its APIs: {}", report.to_table());
    // The probes that need the optional tokens and assets ran, rather than being skipped.
    for (api, probe) in [
        ("은행-002", "revoked-token"),
        ("은행-002", "scope-not-granted"),
        ("은행-002", "asset-outside-consent"),
        ("할부금융-005", "success"),
        ("은행-004", "period-too-long-scheduled"),
        ("은행-001", "paging"),
        ("은행-001", "list-scope-suffices"),
        ("카드-008", "paging"),
        ("카드-008", "unknown-asset"),
    ] {
        let check = report.apis.iter().find(|a| a.api_id == api).and_then(|a| a.check(probe));
        assert_eq!(check.map(|c| c.status), Some(Status::Pass), "{api} {probe}: {check:?}");
    }
    let junit = report.to_junit();
    assert!(junit.contains("failures=\"0\""), "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_provider_passes_on_sqlite() {
    every_industry_passes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_provider_passes_on_postgres() {
    every_industry_passes(Backend::Postgres).await;
}
