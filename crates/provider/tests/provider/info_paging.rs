//! Property: paging through a history of any size with any limit yields the whole history, newest
//! first, each entry exactly once — over HTTP, on SQLite and PostgreSQL.

use crate::common;
use crate::info_harness;

use common::*;
use info_harness::*;
use mydata_spec::catalogue::api;
use mydata_spec::{Industry, RspCode};
use proptest::test_runner::{Config, TestRunner};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Pages `account`'s whole history with `limit` and returns the trans_no of every item received.
async fn page_through(app: &Seeded, token: &str, account: &str, limit: u32) -> Vec<String> {
    let first = Call::for_subject(api("은행-004").unwrap(), Industry::Bank, account.to_owned())
        .with("limit", &limit.to_string());
    let mut call = first.clone();
    let mut seen = Vec::new();
    loop {
        let page = app.expect(&call, Some(token), RspCode::Success).await;
        let items = page["trans_list"].as_array().unwrap();
        assert!(items.len() <= limit as usize, "a page holds at most limit items");
        seen.extend(items.iter().map(|t| t["trans_no"].as_str().unwrap().to_owned()));
        match page["next_page"].as_str() {
            Some(next) => {
                assert!(!items.is_empty(), "a page with a next_page is never empty");
                call = first.clone().with("next_page", next);
            }
            None => return seen,
        }
    }
}

#[test]
fn paging_concatenates_to_the_full_history_in_order() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for backend in BACKENDS {
        let seeded = runtime.block_on(async {
            let app = spawn(backend).await;
            app.customer(BANK_ORG, "prop-1").await;
            Seeded { app, generator: mydata_testdata::Generator::new(1, korean_today()), data: Default::default() }
        });
        let accounts = AtomicUsize::new(0);
        let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
        runner
            .run(&(0usize..90, 1u32..40), |(size, limit)| {
                let account = format!("8{:05}", accounts.fetch_add(1, Ordering::Relaxed));
                let seen = runtime.block_on(async {
                    deposit_account(&seeded.app, "prop-1", &account, size).await;
                    let consent = consent_record(
                        Industry::Bank,
                        "prop-1",
                        "bank.list bank.deposit",
                        vec![bank_account(&account)],
                    );
                    let (_, pair) = seeded.app.issue(consent).await;
                    page_through(&seeded, &pair.access_token, &account, limit).await
                });
                // transactions() numbers entries newest first: T0 is the latest.
                let full: Vec<String> = (0..size).map(|n| format!("T{n}")).collect();
                proptest::prop_assert_eq!(seen, full, "size {} limit {} on {:?}", size, limit, backend);
                Ok(())
            })
            .unwrap();
    }
}
