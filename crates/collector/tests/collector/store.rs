//! The operator's tables on both backends: upserts that count only real changes, whole-answer
//! replacement, periodic counters, and the journal a resumed run reads.

use mydata_client::{StopReason, Tokens};
use mydata_collector::OperatorStore;
use mydata_collector::store::{Outcome, Replace, UnitCommit, UnitKey, UnitNote};
use mydata_store::both_backends;
use serde_json::json;

fn key(api: &str, subject: &str) -> UnitKey {
    UnitKey {
        customer_id: "demo1".into(),
        org_code: "BANK000001".into(),
        api_id: api.into(),
        subject_key: subject.into(),
    }
}

fn commit<'a>(
    run: &'a str,
    key: &'a UnitKey,
    items: Option<(Replace, Vec<(String, serde_json::Value)>)>,
) -> UnitCommit<'a> {
    UnitCommit {
        run_id: run,
        key,
        items,
        search_timestamp: Some("20261125100000".into()),
        collected_to: None,
        periodic_window: Some("2026-W48".into()),
        calls: 1,
        rsp_code: "00000",
        now: 1,
    }
}

both_backends!(rows_change_only_when_their_data_does, |store| async move {
    let op = OperatorStore::on(&store);
    let (run, _) = op.open_run(1).await.unwrap();
    let list = key("은행-001", "demo1");
    let items = |balance: &str| {
        vec![
            ("".to_owned(), json!({"reg_date": "20200101"})),
            ("1001".to_owned(), json!({"account_num": "1001", "balance": balance})),
            ("1002".to_owned(), json!({"account_num": "1002"})),
        ]
    };
    assert_eq!(op.commit_unit(&commit(&run, &list, Some((Replace::Set, items("1"))))).await.unwrap(), 3);
    assert_eq!(op.commit_unit(&commit(&run, &list, Some((Replace::Set, items("1"))))).await.unwrap(), 0, "same data");
    assert_eq!(op.commit_unit(&commit(&run, &list, Some((Replace::Set, items("2"))))).await.unwrap(), 1, "one changed");
    // An account closed at the provider leaves the list: the whole answer replaces the stored one.
    let fewer = items("2").into_iter().filter(|(k, _)| k != "1002").collect();
    assert_eq!(op.commit_unit(&commit(&run, &list, Some((Replace::Set, fewer)))).await.unwrap(), 1);
    let stored = op.resources("demo1", "BANK000001").await.unwrap();
    assert_eq!(stored.iter().map(|r| r.item_key.as_str()).collect::<Vec<_>>(), ["", "1001"]);
    // History only ever adds: an overlapping period changes nothing it already has.
    let history = key("은행-004", "1001");
    let entry = |n: u32| (format!("h{n}"), json!({"trans_no": n}));
    op.commit_unit(&commit(&run, &history, Some((Replace::Add, vec![entry(1), entry(2)])))).await.unwrap();
    assert_eq!(
        op.commit_unit(&commit(&run, &history, Some((Replace::Add, vec![entry(2), entry(3)])))).await.unwrap(),
        1
    );
    // 00001: nothing stored changes, the cursor and counters still move.
    assert_eq!(op.commit_unit(&commit(&run, &history, None)).await.unwrap(), 0);
    assert_eq!(op.resources("demo1", "BANK000001").await.unwrap().len(), 5);
    assert_eq!(op.cursor(&history).await.unwrap().0.as_deref(), Some("20261125100000"));
    assert_eq!(op.periodic_calls(&history, "2026-W48").await.unwrap(), 3, "one per transmission");
    assert_eq!(op.periodic_calls(&history, "2026-W49").await.unwrap(), 0);
});

both_backends!(an_unfinished_run_is_resumed_with_its_settled_units, |store| async move {
    let op = OperatorStore::on(&store);
    let (run, resumed) = op.open_run(1).await.unwrap();
    assert!(!resumed);
    let done = key("은행-002", "1001");
    let failed = key("은행-003", "1001");
    op.commit_unit(&commit(&run, &done, None)).await.unwrap();
    let note = UnitNote { outcome: Outcome::Failed, rsp_code: Some("50001"), detail: "시스템장애", calls: 1 };
    op.record_unit(&run, &failed, &note, 2).await.unwrap();
    // The process dies here; the next run continues this one.
    let (again, resumed) = op.open_run(3).await.unwrap();
    assert_eq!((again.as_str(), resumed), (run.as_str(), true));
    let settled = op.settled_units(&run).await.unwrap();
    assert!(settled.contains(&done) && !settled.contains(&failed), "failed units are tried again");
    let failures = op.failures(&run).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].1.as_deref(), Some("50001"));
    op.finish_run(&run, &json!({"done": 1}), 4).await.unwrap();
    assert_eq!(op.unfinished_run().await.unwrap(), None);
    assert_ne!(op.open_run(5).await.unwrap().0, run, "a finished run is not resumed");
});

both_backends!(a_link_keeps_its_tokens_and_why_it_stopped, |store| async move {
    let op = OperatorStore::on(&store);
    let tokens = Tokens {
        access_token: "a1".into(),
        access_expires_at: 10,
        refresh_token: "r1".into(),
        refresh_expires_at: 20,
        scope: "bank.list bank.deposit".into(),
    };
    op.upsert_link("demo1", "BANK000001", &tokens, 1).await.unwrap();
    let renewed = Tokens { access_token: "a2".into(), access_expires_at: 30, ..tokens.clone() };
    op.save_tokens("demo1", "BANK000001", &renewed, 2).await.unwrap();
    op.mark_first_collected("demo1", "BANK000001", 3).await.unwrap();
    op.stop_link("demo1", "BANK000001", &StopReason::ConsentEnded, 4).await.unwrap();
    let link = op.link("demo1", "BANK000001").await.unwrap().unwrap();
    assert_eq!(link.tokens, renewed);
    assert_eq!(link.first_collected_at, Some(3));
    assert_eq!(link.stop_reason.as_deref(), Some("consent-ended"));
    // A new consent (new tokens) restarts collection from the beginning.
    op.upsert_link("demo1", "BANK000001", &tokens, 5).await.unwrap();
    let restarted = op.link("demo1", "BANK000001").await.unwrap().unwrap();
    assert_eq!((restarted.stop_reason, restarted.first_collected_at), (None, None));
});

both_backends!(a_new_consent_forgets_the_links_cursors_only, |store| async move {
    let op = OperatorStore::on(&store);
    let tokens = Tokens {
        access_token: "a1".into(),
        access_expires_at: 10,
        refresh_token: "r1".into(),
        refresh_expires_at: 20,
        scope: "bank.list".into(),
    };
    let (run, _) = op.open_run(1).await.unwrap();
    let mut keys = Vec::new();
    for org in ["BANK000001", "CARD000001"] {
        op.upsert_link("demo1", org, &tokens, 1).await.unwrap();
        let key = UnitKey {
            customer_id: "demo1".into(),
            org_code: org.into(),
            api_id: "은행-001".into(),
            subject_key: "demo1".into(),
        };
        let commit = UnitCommit {
            run_id: &run,
            key: &key,
            items: None,
            search_timestamp: Some("20261201000000".into()),
            collected_to: None,
            periodic_window: None,
            calls: 1,
            rsp_code: "00000",
            now: 2,
        };
        op.commit_unit(&commit).await.unwrap();
        assert_eq!(op.cursor(&key).await.unwrap().0.as_deref(), Some("20261201000000"));
        keys.push(key);
    }
    // The customer consents anew at the bank: what the bank's lists said is no longer current, since
    // the new consent may mark other assets; the card company's cursors stand.
    op.upsert_link("demo1", "BANK000001", &tokens, 3).await.unwrap();
    assert_eq!(op.cursor(&keys[0]).await.unwrap(), (None, None));
    assert_eq!(op.cursor(&keys[1]).await.unwrap().0.as_deref(), Some("20261201000000"));
});

fn pair(name: &str) -> Tokens {
    Tokens {
        access_token: format!("access-{name}"),
        access_expires_at: 100,
        refresh_token: format!("refresh-{name}"),
        refresh_expires_at: 1000,
        scope: "bank.list".into(),
    }
}

// The guideline's duty of a token holder: a second issuance for one customer and provider is
// detected, and the older pair can neither overwrite the new one nor stop the link.
both_backends!(a_duplicate_issuance_is_detected_and_the_older_pair_is_never_used_again, |store| async move {
    use mydata_collector::token_guard::Issuance;
    let op = OperatorStore::on(&store);
    assert_eq!(op.record_issuance("demo1", "BANK000001", &pair("a"), 1).await.unwrap(), Issuance::First);
    assert_eq!(
        op.record_issuance("demo1", "BANK000001", &pair("a"), 2).await.unwrap(),
        Issuance::First,
        "the same pair"
    );
    let second = op.record_issuance("demo1", "BANK000001", &pair("b"), 3).await.unwrap();
    assert_eq!(second, Issuance::Duplicate { older_access_token: "access-a".into() });

    // A collection still holding pair a refreshes it: its result is not written over pair b.
    assert!(!op.save_tokens_if_held("demo1", "BANK000001", "refresh-a", &pair("a2"), 4).await.unwrap());
    // The provider refuses pair a: that does not stop the link, which holds pair b.
    let revoked = StopReason::Revoked { detail: "invalid_grant".into() };
    assert!(!op.stop_link_if_held("demo1", "BANK000001", "refresh-a", &revoked, 5).await.unwrap());
    let link = op.link("demo1", "BANK000001").await.unwrap().unwrap();
    assert_eq!((link.tokens, link.stop_reason), (pair("b"), None));

    // Pair b's own refresh and stop apply.
    assert!(op.save_tokens_if_held("demo1", "BANK000001", "refresh-b", &pair("b2"), 6).await.unwrap());
    assert!(op.stop_link_if_held("demo1", "BANK000001", "refresh-b2", &revoked, 7).await.unwrap());
    let link = op.link("demo1", "BANK000001").await.unwrap().unwrap();
    assert_eq!((link.tokens.access_token.as_str(), link.stop_reason.as_deref()), ("access-b2", Some("revoked")));
    // A stopped link is not live: a new issuance after it is the first again.
    assert_eq!(op.record_issuance("demo1", "BANK000001", &pair("c"), 8).await.unwrap(), Issuance::First);
});
