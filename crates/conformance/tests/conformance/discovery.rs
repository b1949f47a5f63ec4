//! What the suite tests is what the provider announces: the industry an org_code answers 공통-001
//! under, and the APIs its 공통-001 lists (all of the catalogue's on request).

use crate::common;

use axum::http::Method;
use common::proxy::{self, Breakage, Fault};
use mydata_conformance::http::Session;
use mydata_conformance::{Industry, Manifest, Options, discover, run};
use mydata_spec::catalogue;
use mydata_store::Backend;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_industry_of_an_org_code_is_found_through_its_api_list() {
    let own = common::spawn(Backend::Sqlite).await;
    let mut session = Session::new(20, 0.0, Duration::from_secs(5));
    let manifest = Manifest::v1();
    let found = discover::industries(&mut session, &manifest, &own.base, "CARD000001", common::CLIENT_ID).await;
    assert_eq!(found.unwrap(), [Industry::Card]);
    assert_eq!(session.used(), Industry::ALL.len() as u32, "one request per industry");
}

#[tokio::test]
async fn a_provider_that_does_not_answer_is_not_taken_for_one_serving_no_industry() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut session = Session::new(20, 0.0, Duration::from_secs(5));
    let found = discover::industries(&mut session, &Manifest::v1(), &nobody, "CARD000001", common::CLIENT_ID).await;
    let Err(refused) = found else { panic!("{nobody} answered: {found:?}") };
    let refused = refused.to_string();
    assert!(refused.starts_with("no response: ") && refused.contains("Connection refused"), "{refused}");
    assert_eq!(session.used(), 1, "the first request that gets no answer ends the search");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_announced_apis_are_tested_unless_all_are_asked_for() {
    let own = common::spawn(Backend::Sqlite).await;
    let mut target = own.target(&own.org(Industry::Bank)).await;
    let api_list = catalogue::api("공통-001").unwrap();
    let unannounced = catalogue::api("은행-007").unwrap();
    let hide = Breakage {
        method: Method::GET,
        path: api_list.path(Industry::Bank),
        fault: Fault::DropItem {
            list: "api_list".into(),
            field: "api_code".into(),
            value: unannounced.api_code.unwrap().into(),
        },
    };
    target.base_url = proxy::start(&own.base, Some(hide)).await.base;
    let manifest = Manifest::v1();

    let announced_only = run(std::slice::from_ref(&target), &manifest, &common::fast()).await;
    assert!(announced_only.api(unannounced.id).is_none(), "{}", announced_only.to_table());
    assert_eq!(announced_only.api("은행-004").and_then(|a| a.announced), Some(true));

    let everything = Options { all_catalogue: true, ..common::fast() };
    let all = run(&[target], &manifest, &everything).await;
    let hidden = all.api(unannounced.id).expect("tested on request");
    assert_eq!(hidden.announced, Some(false));
    assert!(!all.failed(), "{}", all.to_table());
}
