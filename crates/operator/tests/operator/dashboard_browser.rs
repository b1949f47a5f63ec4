//! The customer's dashboard in headless Chromium: after a collection from real providers
//! (in-process), the page shows the customer's assets from several institutions, under the names
//! the registry gives them, each asset under its kind with its latest details, transactions and
//! when it was collected.

use crate::browser_common;
use crate::collector_common as common;

use browser_common::{Session, start_driver};
use mydata_provider::demo_orgs;
use mydata_store::prelude::*;
use mydata_store::{Backend, RegistryOrgRow};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_customers_assets_from_several_institutions() {
    let driver = start_driver().await;
    let mut providers = common::providers(common::people(1)).await;
    let (_db, store) = common::operator(Backend::Sqlite).await;
    providers.consent_everywhere(&store).await;
    let summary = common::collector(&store).run().await.unwrap();
    assert_eq!(summary.units_failed, 0, "{summary:?}");
    // The institutions' names, as the operator's registry copy (지원-002) gives them.
    for org in demo_orgs() {
        let body = json!({ "org_name": format!("{} 기관 {}", org.industry.korean(), org.org_code) });
        let row = RegistryOrgRow { org_code: org.org_code.clone(), org_type: "01".into(), body, updated_at: 0 };
        store.sql().upsert_registry_org(&row).await.unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = mydata_operator::dashboard::routes(store, Vec::new());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let customer = providers.people[0].customer_id.clone();
    let browser = Session::open(&driver).await;
    browser.go(&format!("{base}/dashboard?customer={customer}")).await;
    let text = browser.wait_for_text("님의 자산").await;
    let sections = browser
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({
                "script": "return Array.from(document.querySelectorAll('section.institution')).map(s => \
                           [s.dataset.org, s.querySelectorAll('.asset').length, s.querySelectorAll('.collected').length])",
                "args": []
            }),
        )
        .await;
    browser.close().await;
    let shown: Vec<(String, usize, usize)> = sections
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s[0].as_str().unwrap().to_owned(), s[1].as_u64().unwrap() as usize, s[2].as_u64().unwrap() as usize))
        .collect();
    let with_assets: Vec<_> = demo_orgs()
        .into_iter()
        .filter(|org| !providers.data[&(org.org_code.clone(), customer.clone())].assets.is_empty())
        .collect();
    assert!(with_assets.len() >= 2, "the demo customer has assets at several institutions");
    for org in &with_assets {
        let assets = providers.data[&(org.org_code.clone(), customer.clone())].assets.len();
        let section = shown.iter().find(|(code, ..)| *code == org.org_code);
        assert_eq!(
            section.map(|s| (s.1, s.2)),
            Some((assets, assets)),
            "{}: every asset, with when it was collected",
            org.org_code
        );
        assert!(text.contains(&format!("{} 기관 {}", org.industry.korean(), org.org_code)), "{}: named", org.org_code);
    }
    // Kinds and histories by their names in the standard, not their IDs.
    let bank_list = mydata_spec::catalogue::api("은행-001").unwrap();
    assert!(text.contains(bank_list.name), "the bank's accounts under their kind: {text}");
    assert!(text.contains("(최근 5건)"), "latest transactions shown");
    assert!(!text.contains("은행-001"), "no API IDs on the page");
    // Values as their fields define them: 전송요구 여부 in Korean, not the wire's true/false.
    assert!(text.contains("전송요구 여부\t예") || text.contains("전송요구 여부 예"), "{text}");
    assert!(!text.contains("true") && !text.contains("false"), "{text}");
}
