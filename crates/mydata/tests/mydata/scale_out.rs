//! Scale-out on PostgreSQL, black-box: two `mydata operator --once` processes on one operator
//! database share 1,000 consents at a real provider (in-process, counting every call it answers).
//! Each consent is leased by one process at a time: every unit is done exactly once; and when one
//! process is killed with `kill -9` midway, the other takes its expired leases over and finishes —
//! nothing is lost, nothing is stored twice.

use crate::common;

use common::mydata;
use mydata_bench::operator::{Fixture, OPERATOR_ORG, fixture};
use mydata_collector::OperatorStore;
use mydata_store::Backend;
use mydata_store::testing::TestDatabase;
use std::process::{Child, Stdio};
use std::time::Duration;

const CONSENTS: usize = 1000;
const CONCURRENCY: &str = "8";

/// A bank with `CONSENTS` consents and an operator database on PostgreSQL holding their tokens.
async fn setup() -> (TestDatabase, Fixture) {
    let db = TestDatabase::new(Backend::Postgres).await;
    let fixture = fixture(&db.url, CONSENTS).await.unwrap();
    (db, fixture)
}

fn operator_process(database: &str) -> Child {
    mydata()
        .args(["operator", "--once", "--database", database, "--operator-org", OPERATOR_ORG])
        .args(["--concurrency", CONCURRENCY, "--lease-secs", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mydata operator")
}

/// Waits for a child without blocking the runtime the provider answers on.
async fn finish(mut child: Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut stdout = Vec::new();
        std::io::Read::read_to_end(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
        std::process::Output { status, stdout, stderr: Vec::new() }
    })
    .await
    .unwrap()
}

/// Every consent's collection done exactly once, every unit of it journaled done once.
async fn assert_every_unit_done_once(operator: &OperatorStore) {
    let schedule = operator.schedule().await.unwrap();
    assert_eq!(schedule.len(), CONSENTS, "one collection per consent");
    assert!(schedule.iter().all(|r| r.done_at.is_some()), "every consent collected");
    let links = operator.links().await.unwrap();
    assert!(links.iter().all(|l| l.first_collected_at.is_some() && l.stop_reason.is_none()));
    let journal: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT run_id, outcome, COUNT(*) FROM op_journal GROUP BY run_id, outcome ORDER BY run_id, outcome",
    )
    .fetch_all(operator.sql().pool())
    .await
    .unwrap();
    assert!(journal.iter().all(|(_, outcome, _)| outcome == "done"), "no unit failed or skipped");
    assert_eq!(journal.len(), CONSENTS, "one journal run per consent");
    let units: i64 = journal.iter().map(|(_, _, n)| n).sum();
    assert!(units >= CONSENTS as i64, "at least the account list of each consent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_a_thousand_consents_each_unit_done_exactly_once() {
    let (db, fixture) = setup().await;
    let (operator, calls) = (&fixture.operator, &fixture.calls);
    let (a, b) = (operator_process(&db.url), operator_process(&db.url));
    let (a, b) = (finish(a).await, finish(b).await);
    assert!(a.status.success() && b.status.success());
    assert_every_unit_done_once(operator).await;
    let calls = calls.lock().unwrap();
    let twice: Vec<_> = calls.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "calls made twice: {twice:?}");
    // Both processes took a share.
    for output in [&a, &b] {
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("consents collected") && !text.contains(" 0 consents collected"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_midway_loses_nothing_and_nothing_is_done_twice() {
    let (db, fixture) = setup().await;
    let (operator, calls) = (&fixture.operator, &fixture.calls);
    let mut a = operator_process(&db.url);
    let b = operator_process(&db.url);
    // Kill -9 one process once the work is well under way.
    loop {
        if fixture.done().await.unwrap() >= CONSENTS / 4 {
            break;
        }
        assert!(a.try_wait().unwrap().is_none(), "the process to kill finished first");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill().expect("SIGKILL");
    a.wait().unwrap();
    let b = finish(b).await;
    assert!(b.status.success());
    assert_every_unit_done_once(operator).await;
    // A call may have been answered to the killed process before it could store the answer; only
    // the consents it held then (at most its concurrency) were asked again — and stored once.
    let calls = calls.lock().unwrap();
    let twice = calls.values().filter(|n| **n > 1).count();
    assert!(twice <= CONCURRENCY.parse::<usize>().unwrap() * 2, "{twice} calls repeated");
    assert!(calls.values().all(|n| *n <= 2), "no call made more than twice");
}
