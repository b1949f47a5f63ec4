//! The rules around the data (ch.2.1, ch.3.3): search_timestamp and UP_TO_DATE, the scheduled
//! allowance, consent options, and keyset paging under concurrent inserts — on both backends.

use crate::info_harness;

use chrono::{Days, Utc};
use info_harness::*;
use mydata_spec::catalogue::api;
use mydata_spec::{Industry, RspCode};
use mydata_store::{Backend, prelude::*};
use serde_json::Value;

fn call(id: &str, account: &str) -> Call {
    Call::for_subject(api(id).unwrap(), Industry::Bank, account.to_owned())
}

async fn search_timestamp_answers_up_to_date_until_the_data_changes(backend: Backend) {
    let seeded = seeded(backend).await;
    deposit_account(&seeded.app, "stamp-1", "7001", 3).await;
    // Stamps count whole seconds, and a change within a stamp's own second is sent again: the data
    // and the consent are a minute old, so that the first answer's stamp is later than both.
    let a_minute_ago = Utc::now().timestamp() - 60;
    let mut asset = seeded.app.store.asset(BANK_ORG, "은행-001", "7001").await.unwrap().unwrap();
    asset.updated_at = a_minute_ago;
    seeded.app.store.upsert_assets(&[asset]).await.unwrap();
    let mut document = seeded.app.store.document(BANK_ORG, "은행-002", "7001").await.unwrap().unwrap();
    document.updated_at = a_minute_ago;
    seeded.app.store.upsert_documents(&[document]).await.unwrap();
    let mut consent = consent_record(Industry::Bank, "stamp-1", "bank.list bank.deposit", vec![bank_account("7001")]);
    consent.created_at = a_minute_ago;
    let (_, pair) = seeded.app.issue(consent).await;
    let token = Some(pair.access_token.as_str());
    for (id, touch) in [("은행-001", true), ("은행-002", false)] {
        let first = seeded.expect(&call(id, "7001"), token, RspCode::Success).await;
        let stamp = first["search_timestamp"].as_str().unwrap().to_owned();
        let again = seeded.expect(&call(id, "7001").with("search_timestamp", &stamp), token, RspCode::UpToDate).await;
        assert_eq!(again.as_object().unwrap().keys().collect::<Vec<_>>(), ["rsp_code", "rsp_msg", "search_timestamp"]);
        // An older stamp still gets the data.
        let older = call(id, "7001").with("search_timestamp", "20000101000000");
        seeded.expect(&older, token, RspCode::Success).await;
        // A change after the caller's stamp (a minute from now) makes the data new again.
        let later = Utc::now().timestamp() + 60;
        if touch {
            let mut asset = seeded.app.store.asset(BANK_ORG, "은행-001", "7001").await.unwrap().unwrap();
            asset.updated_at = later;
            seeded.app.store.upsert_assets(&[asset]).await.unwrap();
        } else {
            let mut document = seeded.app.store.document(BANK_ORG, "은행-002", "7001").await.unwrap().unwrap();
            document.updated_at = later;
            seeded.app.store.upsert_documents(&[document]).await.unwrap();
        }
        seeded.expect(&call(id, "7001").with("search_timestamp", &stamp), token, RspCode::Success).await;
    }
}

/// The last 30 days: within the 31 a scheduled call may ask for.
fn recent(call: Call) -> Call {
    let today = korean_today();
    call.with("from_date", &(today - Days::new(30)).format("%Y%m%d").to_string())
        .with("to_date", &today.format("%Y%m%d").to_string())
}

async fn scheduled_calls_are_limited_per_customer_asset_and_api(backend: Backend) {
    let seeded = seeded(backend).await;
    deposit_account(&seeded.app, "sched-1", "7101", 10).await;
    deposit_account(&seeded.app, "sched-1", "7102", 10).await;
    deposit_account(&seeded.app, "sched-1", "7103", 10).await;
    let mut consent = consent_record(
        Industry::Bank,
        "sched-1",
        "bank.list bank.deposit",
        vec![bank_account("7101"), bank_account("7102"), bank_account("7103")],
    );
    consent.fnd_cycle = Some("1/w".into());
    consent.add_cycle = Some("2/w".into());
    let (_, pair) = seeded.app.issue(consent).await;
    let token = Some(pair.access_token.as_str());
    let scheduled = |call: &Call| {
        let request = seeded.send(call, token, "scheduled");
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body)
        }
    };
    // 기본 API, 1/w: once per asset.
    assert_eq!(scheduled(&call("은행-002", "7101")).await.0, 200);
    let (status, body) = scheduled(&call("은행-002", "7101")).await;
    assert_eq!((status, body["rsp_code"].as_str()), (429, Some("42901")), "{body}");
    assert_eq!(scheduled(&call("은행-002", "7102")).await.0, 200, "counted per asset");
    // The customer present is never blocked by the scheduled counter.
    seeded.expect(&call("은행-002", "7101"), token, RspCode::Success).await;

    // 추가 API, 2/w: the pages of one transmission count once.
    let history = recent(call("은행-004", "7101")).with("limit", "4");
    for _transmission in 0..2 {
        let (status, mut page) = scheduled(&history).await;
        assert_eq!(status, 200, "{page}");
        while let Some(next) = page["next_page"].as_str().map(str::to_owned) {
            let (status, body) = scheduled(&history.clone().with("next_page", &next)).await;
            assert_eq!(status, 200, "a later page is part of the same transmission: {body}");
            page = body;
        }
    }
    assert_eq!(scheduled(&history).await.1["rsp_code"], "42901");

    // Only answers delivered with 00000 count (ch.3.3.2: a failed transmission may be tried again
    // until its first success): a refused period and an up-to-date answer leave the allowance whole.
    let too_long = call("은행-004", "7103")
        .with("from_date", &(korean_today() - Days::new(40)).format("%Y%m%d").to_string())
        .with("to_date", &korean_today().format("%Y%m%d").to_string());
    assert_eq!(scheduled(&too_long).await.1["rsp_code"], "40004");
    let recent_history = recent(call("은행-004", "7103"));
    for _transmission in 0..2 {
        assert_eq!(scheduled(&recent_history).await.1["rsp_code"], "00000");
    }
    assert_eq!(scheduled(&recent_history).await.1["rsp_code"], "42901");
    let basic = call("은행-002", "7103");
    let future = (Utc::now() + chrono::Duration::days(1)).format("%Y%m%d%H%M%S").to_string();
    assert_eq!(scheduled(&basic.clone().with("search_timestamp", &future)).await.1["rsp_code"], "00001");
    assert_eq!(scheduled(&basic).await.1["rsp_code"], "00000", "the 00001 answer used nothing");
    assert_eq!(scheduled(&basic).await.1["rsp_code"], "42901");

    // The allowance is the customer's and the asset's (ch.3.3.1 "고객별/자산별"), not the consent's: a
    // consent given again starts no new one.
    let mut again = consent_record(
        Industry::Bank,
        "sched-1",
        "bank.list bank.deposit",
        vec![bank_account("7101"), bank_account("7102")],
    );
    again.fnd_cycle = Some("1/w".into());
    again.add_cycle = Some("2/w".into());
    let (_, renewed) = seeded.app.issue(again).await;
    let response =
        seeded.send(&call("은행-002", "7101"), Some(&renewed.access_token), "scheduled").send().await.unwrap();
    assert_eq!(
        response.status().as_u16(),
        429,
        "the week's one 은행-002 transmission was made under the first consent"
    );

    // A consent without scheduled transmission allows no scheduled call.
    let mut unscheduled =
        consent_record(Industry::Bank, "sched-1", "bank.list bank.deposit", vec![bank_account("7101")]);
    unscheduled.is_scheduled = false;
    unscheduled.fnd_cycle = None;
    unscheduled.add_cycle = None;
    let (_, other) = seeded.app.issue(unscheduled).await;
    let response = seeded.send(&call("은행-002", "7101"), Some(&other.access_token), "scheduled").send().await;
    assert_eq!(response.unwrap().status().as_u16(), 429);
}

async fn consent_options_decide_the_optional_fields(backend: Backend) {
    let seeded = seeded(backend).await;
    deposit_account(&seeded.app, "opt-1", "7201", 3).await;
    let mut consent = consent_record(Industry::Bank, "opt-1", "bank.list bank.deposit", vec![bank_account("7201")]);
    consent.options.trans_memo = false;
    let (_, without) = seeded.app.issue(consent.clone()).await;
    consent.consent_id = uuid::Uuid::new_v4().to_string();
    consent.options.trans_memo = true;
    let (_, with) = seeded.app.issue(consent).await;
    let history = call("은행-004", "7201");
    let body = seeded.expect(&history, Some(&without.access_token), RspCode::Success).await;
    let items = body["trans_list"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|t| t.get("trans_memo").is_none()), "{body}");
    let body = seeded.expect(&history, Some(&with.access_token), RspCode::Success).await;
    assert!(body["trans_list"].as_array().unwrap().iter().all(|t| t["trans_memo"] == "월급"), "{body}");

    // 공통-002 shows each option only at the industries the standard names for it.
    for (industry, shown) in [
        (Industry::Bank, &["is_consent_trans_memo"][..]),
        (Industry::Card, &["is_consent_merchant_name_regno"][..]),
        (Industry::Efin, &["is_consent_trans_memo", "is_consent_merchant_name_regno", "is_consent_trans_category"][..]),
        (Industry::Insu, &[][..]),
    ] {
        let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
        let consents = Call::for_subject(api("공통-002").unwrap(), industry, CUSTOMER.into());
        let body = seeded.expect(&consents, Some(&token), RspCode::Success).await;
        let options: Vec<&str> =
            body.as_object().unwrap().keys().map(String::as_str).filter(|k| k.starts_with("is_consent_")).collect();
        assert_eq!(options, shown, "{industry}");
    }
}

async fn pages_stay_exact_under_concurrent_inserts(backend: Backend) {
    let seeded = seeded(backend).await;
    deposit_account(&seeded.app, "page-1", "7301", 25).await;
    deposit_account(&seeded.app, "page-1", "7302", 5).await;
    let consent = consent_record(
        Industry::Bank,
        "page-1",
        "bank.list bank.deposit",
        vec![bank_account("7301"), bank_account("7302")],
    );
    let (_, pair) = seeded.app.issue(consent).await;
    let token = Some(pair.access_token.as_str());
    let history = call("은행-004", "7301").with("limit", "7");
    let mut seen = Vec::new();
    let mut page = seeded.expect(&history, token, RspCode::Success).await;
    // Newer transactions arrive while the caller pages: the pages already promised stay exact.
    seeded.app.store.upsert_history(&transactions("page-1", "7301", 100..104)).await.unwrap();
    loop {
        let items = page["trans_list"].as_array().unwrap();
        assert_eq!(page["trans_cnt"], items.len().to_string());
        seen.extend(items.iter().map(|t| t["trans_no"].as_str().unwrap().to_owned()));
        let Some(next) = page["next_page"].as_str().map(str::to_owned) else { break };
        // A cursor is bound to its query: another account or period rejects it.
        let elsewhere = call("은행-004", "7302").with("limit", "7").with("next_page", &next);
        seeded.expect(&elsewhere, token, RspCode::InvalidParameter).await;
        page = seeded.expect(&history.clone().with("next_page", &next), token, RspCode::Success).await;
        assert!(page.get("search_timestamp").is_none());
    }
    let originals: Vec<String> = (0..25).map(|n| format!("T{n}")).collect();
    let older_than_first_page: Vec<&String> = seen.iter().filter(|t| originals.contains(t)).collect();
    assert_eq!(older_than_first_page, originals.iter().collect::<Vec<_>>(), "every original exactly once, in order");
}

async fn optional_qualifiers_name_their_own_answers(backend: Backend) {
    let seeded = seeded(backend).await;
    let (_, token) = seeded.full_consent(Industry::Efin, CUSTOMER).await;
    let data = seeded.of(Industry::Efin, CUSTOMER);
    // 전금-002 answers for the means as a whole and for each account its list item names.
    let per_account = data
        .documents
        .iter()
        .find(|d| d.api_id == "전금-002" && d.subject_key.contains('|'))
        .expect("a generated means with accounts");
    let (fob, account) = per_account.subject_key.split_once('|').unwrap();
    let call = Call::for_subject(api("전금-002").unwrap(), Industry::Efin, fob.to_owned()).with("account_id", account);
    let body = seeded.expect(&call, Some(&token), RspCode::Success).await;
    assert_eq!(body["total_balance_amt"], per_account.body["total_balance_amt"]);
    // An account the means does not have is no asset of the customer.
    seeded.expect(&call.clone().with("account_id", "000-000-000000"), Some(&token), RspCode::AssetNotFound).await;
}

async fn detail_apis_answer_only_for_assets_of_their_kind(backend: Backend) {
    let seeded = seeded(backend).await;
    let (_, token) = seeded.full_consent(Industry::Bank, CUSTOMER).await;
    let data = seeded.of(Industry::Bank, CUSTOMER);
    let loan = data.assets.iter().find(|a| a.item["account_type"].as_str().is_some_and(|t| t.starts_with('3')));
    let loan = &loan.expect("the demo customer has a loan account").asset_key;
    // A deposit API about a (consented) loan account: not a valid asset for it.
    seeded.expect(&call("은행-002", loan), Some(&token), RspCode::AssetNotFound).await;
    // The loan APIs answer for it.
    seeded.expect(&call("은행-008", loan), Some(&token), RspCode::Success).await;
}

mydata_store::each_backend!(
    search_timestamp_answers_up_to_date_until_the_data_changes,
    scheduled_calls_are_limited_per_customer_asset_and_api,
    consent_options_decide_the_optional_fields,
    pages_stay_exact_under_concurrent_inserts,
    optional_qualifiers_name_their_own_answers,
    detail_apis_answer_only_for_assets_of_their_kind,
);
