//! The collector against real provider servers started in-process, with the operator's store on
//! SQLite and on PostgreSQL.

use crate::common;

use common::*;
use mydata_client::{Client, StopReason};
use mydata_store::{Backend, HistoryRow, prelude::*};
use serde_json::Value;
use std::time::Duration;

// Each runs with the operator's store on each backend.
mydata_store::each_backend!(
    a_first_collection_equals_the_providers_data_and_a_second_fetches_only_changes,
    a_collection_killed_midway_resumes_without_losing_or_duplicating,
    a_revoked_consent_stops_collection_for_that_customer_only,
);

async fn assert_everything_collected(providers: &Providers, operator: &mydata_collector::OperatorStore) {
    for org in mydata_provider::demo_orgs() {
        for who in &providers.people {
            assert_collected_equals_provider(providers, operator, &org.org_code, &who.customer_id).await;
        }
    }
}

async fn a_first_collection_equals_the_providers_data_and_a_second_fetches_only_changes(backend: Backend) {
    let mut providers = providers(people(3)).await;
    let (_db, operator) = operator(backend).await;
    providers.consent_everywhere(&operator).await;
    let collector = collector(&operator);

    let first = collector.run().await.expect("first run");
    let failures = operator.failures(&first.run_id).await.unwrap();
    assert!(failures.is_empty(), "failed units: {failures:#?}");
    assert_eq!((first.customers, first.providers), (3, 11));
    assert!(first.errors.is_empty(), "every call succeeded: {first:?}");
    assert_eq!(first.units_failed, 0);
    assert!(first.rows > 0 && first.calls >= first.units_done);
    assert_everything_collected(&providers, &operator).await;
    for link in operator.links().await.unwrap() {
        assert!(link.first_collected_at.is_some(), "{} {} complete", link.customer_id, link.org_code);
        assert_eq!(link.consent.fnd_cycle.as_deref(), Some("1/w"), "공통-002 was read");
    }

    // Between runs the bank books one new transaction and one account's details change.
    let demo1 = &providers.people[0].customer_id;
    let bank = &providers.data[&("BANK000001".to_owned(), demo1.clone())];
    let entry = bank.history.iter().find(|h| h.api_id == "은행-004").expect("a deposit transaction").clone();
    let now = chrono::Utc::now();
    // DTIME is Korean time: a stamp in UTC falls on the previous Korean day for nine hours a day.
    let stamp = now.with_timezone(&mydata_spec::time::kst()).format("%Y%m%d%H%M%S").to_string();
    let mut body = entry.body.clone();
    body["trans_dtime"] = Value::String(stamp.clone());
    body["trans_amt"] = Value::String("12345".into());
    let booked = HistoryRow { sort_key: format!("{stamp}|99999"), occurred: stamp.clone(), body, ..entry };
    providers.store.upsert_history(std::slice::from_ref(&booked)).await.unwrap();
    let mut document = bank.documents.iter().find(|d| d.api_id == "은행-003").expect("a deposit detail").clone();
    let changed_field = document
        .body
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())))
        .map(|(k, _)| k.clone())
        .expect("a numeric field");
    document.body[&changed_field] = Value::String("987654321".into());
    document.updated_at = now.timestamp() + 1;
    providers.store.upsert_documents(std::slice::from_ref(&document)).await.unwrap();
    let expected = providers.data.get_mut(&("BANK000001".to_owned(), demo1.clone())).unwrap();
    expected.history.push(booked);
    expected.documents.retain(|d| !(d.api_id == document.api_id && d.subject_key == document.subject_key));
    expected.documents.push(document);

    let second = collector.run().await.expect("second run");
    assert!(second.errors.is_empty(), "{second:?}");
    assert_eq!(second.rows, 2, "exactly the new transaction and the changed detail were stored: {second:?}");
    assert_everything_collected(&providers, &operator).await;

    // The weekly allowance of every resource is used: a third run in the same week calls nothing.
    let third = collector.run().await.expect("third run");
    assert_eq!((third.calls, third.units_done, third.rows), (0, 0, 0), "{third:?}");
    assert_eq!(third.units_skipped, second.units_done);
}

async fn a_collection_killed_midway_resumes_without_losing_or_duplicating(backend: Backend) {
    let mut providers = providers(people(2)).await;
    let (_db, operator) = operator(backend).await;
    providers.consent_everywhere(&operator).await;
    let run = tokio::spawn({
        let collector = collector(&operator);
        async move { collector.run().await }
    });
    // Kill it once part of the work is stored.
    let run_id = loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Some(id) = operator.unfinished_run().await.unwrap()
            && operator.journal_count(&id, mydata_collector::store::Outcome::Done).await.unwrap() >= 25
        {
            break id;
        }
        assert!(!run.is_finished(), "the run ended before it could be killed");
    };
    run.abort();
    let _ = run.await;
    assert_eq!(operator.unfinished_run().await.unwrap().as_deref(), Some(run_id.as_str()), "left unfinished");

    let resumed = collector(&operator).run().await.expect("the rerun");
    assert!(resumed.resumed, "the rerun continues the interrupted run");
    assert_eq!(resumed.run_id, run_id);
    assert!(resumed.errors.is_empty(), "{resumed:?}");
    assert_everything_collected(&providers, &operator).await;
    assert_eq!(operator.unfinished_run().await.unwrap(), None);
}

async fn a_revoked_consent_stops_collection_for_that_customer_only(backend: Backend) {
    let mut providers = providers(people(2)).await;
    let (_db, operator) = operator(backend).await;
    providers.consent_everywhere(&operator).await;
    // The second customer withdraws the bank consent: the provider revokes its tokens (개별인증-004).
    let leaver = providers.people[1].customer_id.clone();
    let link = operator.link(&leaver, "BANK000001").await.unwrap().unwrap();
    Client::new(OPERATOR)
        .revoke(&providers.base, "BANK000001", &credentials(), &link.tokens.access_token)
        .await
        .expect("revoked at the provider");

    let summary = collector(&operator).run().await.expect("run");
    assert_eq!(summary.stopped.get(StopReason::Revoked { detail: String::new() }.code()), Some(&1), "{summary:?}");
    let stopped = operator.link(&leaver, "BANK000001").await.unwrap().unwrap();
    assert_eq!(stopped.stop_reason.as_deref(), Some("revoked"));
    assert!(stopped.stop_detail.is_some_and(|d| !d.is_empty()), "why is recorded");
    assert!(operator.resources(&leaver, "BANK000001").await.unwrap().is_empty(), "nothing collected after revocation");
    // Everyone else, the same customer at other providers included, was collected in full.
    for org in mydata_provider::demo_orgs() {
        for who in &providers.people {
            if who.customer_id == leaver && org.org_code == "BANK000001" {
                continue;
            }
            assert_collected_equals_provider(&providers, &operator, &org.org_code, &who.customer_id).await;
        }
    }
    // Stopped for good: the next run does not call the provider for it.
    let again = collector(&operator).run().await.expect("rerun");
    assert!(again.stopped.is_empty(), "{again:?}");
}

mydata_store::each_backend!(an_expiring_token_is_refreshed_at_the_providers_token_endpoint);

async fn an_expiring_token_is_refreshed_at_the_providers_token_endpoint(backend: Backend) {
    let mut providers = providers(people(1)).await;
    let (_db, operator) = operator(backend).await;
    providers.consent_everywhere(&operator).await;
    let customer = providers.people[0].customer_id.clone();
    // The bank's access token is about to expire: the collector refreshes it first (개별인증-003).
    let mut old = operator.link(&customer, "BANK000001").await.unwrap().unwrap().tokens;
    old.access_expires_at = chrono::Utc::now().timestamp() + 5;
    operator.save_tokens(&customer, "BANK000001", &old, 0).await.unwrap();

    let summary = collector(&operator).run().await.expect("run");
    assert!(summary.errors.is_empty() && summary.stopped.is_empty(), "{summary:?}");
    let renewed = operator.link(&customer, "BANK000001").await.unwrap().unwrap();
    assert_ne!(renewed.tokens.access_token, old.access_token, "a new access token was kept");
    assert_eq!(renewed.tokens.refresh_token, old.refresh_token, "개별인증-003 answers no new refresh token");
    assert!(renewed.tokens.access_expires_at > old.access_expires_at);
    assert_collected_equals_provider(&providers, &operator, "BANK000001", &customer).await;

    // Had that answer been lost, the same refresh token sent again is answered within the grace
    // window, with the access token the first refresh issued: the consent is not lost.
    let again = Client::new(OPERATOR)
        .refresh(&providers.base, "BANK000001", &credentials(), &old.refresh_token)
        .await
        .expect("a retried refresh within the grace window");
    assert_eq!(again.access_token, renewed.tokens.access_token);
}
