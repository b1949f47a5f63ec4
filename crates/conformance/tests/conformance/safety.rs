//! The suite is safe to point at a real provider: it never sends more than its request budget, never
//! faster than its rate, and reports what the budget left out as not tested rather than passed.

use crate::common;

use common::proxy;
use mydata_conformance::{Industry, Manifest, Options, Status, run};
use mydata_store::Backend;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_budget_bounds_the_run_and_the_rest_is_not_tested() {
    let own = common::spawn(Backend::Sqlite).await;
    let mut target = own.target(&own.org(Industry::Bank)).await;
    let proxy = proxy::start(&own.base, None).await;
    target.base_url = proxy.base.clone();
    let options = Options { max_requests: 25, requests_per_second: 0.0, ..Default::default() };
    let report = run(&[target], &Manifest::v1(), &options).await;
    assert_eq!(proxy.forwarded.load(Ordering::SeqCst), 25);
    assert_eq!(report.requests, 25);
    assert!(!report.failed(), "{}", report.to_table());
    let exhausted: Vec<_> =
        report.apis.iter().flat_map(|a| &a.checks).filter(|c| c.reason.contains("budget of 25 exhausted")).collect();
    assert!(!exhausted.is_empty(), "{}", report.to_table());
    assert!(exhausted.iter().all(|c| c.status == Status::NotTested), "{exhausted:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_spaced_by_the_rate_limit() {
    let own = common::spawn(Backend::Sqlite).await;
    let mut target = own.target(&own.org(Industry::Bank)).await;
    target.base_url = proxy::start(&own.base, None).await.base;
    let options = Options { max_requests: 6, requests_per_second: 10.0, ..Default::default() };
    let started = Instant::now();
    let report = run(&[target], &Manifest::v1(), &options).await;
    assert_eq!(report.requests, 6);
    // Six requests at ten a second: five gaps of 100 ms at least.
    assert!(started.elapsed() >= Duration::from_millis(500), "{:?}", started.elapsed());
}
