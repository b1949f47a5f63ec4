//! Every benchmark scenario runs against a small dataset and gets only expected answers: the
//! figures of BENCHMARKS.md come from requests the provider really served, not from errors.

use mydata_bench::{BenchConfig, CollectBench, Load, Report};
use std::time::Duration;

/// A small run of every scenario on `database`.
fn small(database: String) -> BenchConfig {
    BenchConfig {
        database,
        postgres_read_connections: None,
        customers: 60,
        token_holders: 10,
        codes: 30,
        prism: false,
        only: None,
        logs_off: true,
        processes: None,
        load: Load {
            connections: 2,
            duration: Duration::from_millis(300),
            warmup: Duration::ZERO,
            max_requests: 10_000,
        },
        // In turns, as the documented run is: single-use codes shared out between them too.
        rounds: 2,
        seed: 7,
    }
}

/// Every run of `report`, logs on and off and its ceiling, got only expected answers.
fn assert_answered(report: &Report) {
    let logs_off = report.logs_off.as_ref().expect("measured with the log quieted too");
    for (run, measured) in [("logs on", &report.measured), ("logs off", logs_off), ("ceiling", &report.ceiling)] {
        assert!(measured.requests > 0, "{} {run}: {measured:?}", report.scenario);
        assert_eq!(measured.errors, 0, "{} {run}: {measured:?}", report.scenario);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_is_answered_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = small(format!("sqlite://{}", dir.path().join("bench.db").display()));
    let mut generated = 0;
    let results = mydata_bench::run(&config, |n| generated += n).await.unwrap();
    let (seconds, reports) = (results.generated, results.reports);
    assert!(seconds.is_some(), "a new database is generated");
    assert_eq!(generated, 63, "60 customers and the three demo customers");
    let names: Vec<&str> = reports.iter().map(|r| r.scenario.as_str()).collect();
    for wanted in ["은행-001", "은행-002", "page 100", "카드-008", "token refresh", "token issue", "mix"] {
        assert!(names.iter().any(|n| n.contains(wanted)), "{wanted} is measured: {names:?}");
    }
    assert!(!names.iter().any(|n| n.contains("two instances")), "two instances only on PostgreSQL: {names:?}");
    assert!(results.revocation.is_none());
    reports.iter().for_each(assert_answered);

    // A second run reuses the dataset (and the deep-paging customer it added).
    let only = BenchConfig { only: Some("은행-001".into()), ..config };
    let results = mydata_bench::run(&only, |_| {}).await.unwrap();
    assert_eq!(results.generated, None);
    assert_eq!(results.reports.len(), 1);
    assert_answered(&results.reports[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_collects_everything_then_only_what_changed() {
    let runs = mydata_bench::collect::run(&CollectBench { providers: 3, customers: 2, seed: 7 }, |_| {}).await.unwrap();
    let scenarios: Vec<&str> = runs.iter().map(|r| r.scenario.as_str()).collect();
    assert_eq!(
        scenarios,
        [
            "1 customer × 3 providers, first collection",
            "1 customer × 3 providers, incremental",
            "2 customers × 3 providers, first collection",
            "2 customers × 3 providers, incremental",
        ]
    );
    for pair in runs.chunks(2) {
        let (first, incremental) = (&pair[0].summary, &pair[1].summary);
        assert_eq!((first.units_failed, incremental.units_failed), (0, 0));
        assert!(first.rows > 0, "the first collection stores the data: {first:?}");
        assert_eq!(incremental.rows, 0, "nothing changed in between: {incremental:?}");
        assert!(incremental.up_to_date > 0, "lists answer 00001 the second time: {incremental:?}");
    }
}
