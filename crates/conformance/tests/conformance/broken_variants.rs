//! The suite catches real faults: each test puts a proxy in front of our (conformant) provider that
//! breaks exactly one thing of one API, and asserts that the report fails exactly that API, on the
//! check that covers the fault.

use crate::common;

use axum::http::{Method, StatusCode};
use common::proxy::{self, Breakage, Fault};
use mydata_conformance::{Manifest, Report, Status, Target, Tokens, run};
use mydata_spec::{Industry, catalogue};
use mydata_store::Backend;

/// Our provider behind the proxy, and the suite's target for `industry` pointed at the proxy.
async fn through_proxy(industry: Industry, breakage: impl FnOnce(&Target) -> Option<Breakage>) -> Report {
    let own = common::spawn(Backend::Sqlite).await;
    let mut target = own.target(&own.org(industry)).await;
    let breakage = breakage(&target);
    target.base_url = proxy::start(&own.base, breakage).await.base;
    run(&[target], &Manifest::v1(), &common::fast()).await
}

async fn bank_through_proxy(breakage: impl FnOnce(&Target) -> Option<Breakage>) -> Report {
    through_proxy(Industry::Bank, breakage).await
}

fn breaking(api_id: &str, fault: Fault) -> Breakage {
    let api = catalogue::api(api_id).unwrap();
    let method = Method::from_bytes(api.method.as_str().as_bytes()).unwrap();
    Breakage { method, path: api.path(api.industries[0]), fault }
}

/// Exactly `api_id` failed, and on `check`; returns the reason given.
fn assert_only_failure<'r>(report: &'r Report, api_id: &str, check: &str) -> &'r str {
    let checked = report.api(api_id).and_then(|a| a.check(check));
    assert_eq!(report.ids_with(Status::Fail), [api_id], "{checked:?}\n{}", report.to_table());
    assert_eq!(checked.map(|c| c.status), Some(Status::Fail), "{checked:?}\n{}", report.to_table());
    checked.map(|c| c.reason.as_str()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transparent_proxy_changes_nothing() {
    let report = bank_through_proxy(|_| None).await;
    assert!(!report.failed(), "{}", report.to_table());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_required_field_fails_its_api() {
    let report =
        bank_through_proxy(|_| Some(breaking("은행-001", Fault::DropField { field: "reg_date".into() }))).await;
    let reason = assert_only_failure(&report, "은행-001", "response-fields");
    assert!(reason.contains("reg_date: is required"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_where_the_standard_wants_a_string_fails_its_api() {
    let report =
        bank_through_proxy(|_| Some(breaking("IRP-001", Fault::StringToNumber { field: "irp_cnt".into() }))).await;
    let reason = assert_only_failure(&report, "IRP-001", "response-fields");
    assert!(reason.contains("must be sent as a string"), "{reason}");
}

/// 공통-002 sends fnd_cycle "is_scheduled=“true” 인 경우" (the suite's consent is a scheduled one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_its_sibling_s_code_requires_missing_fails_its_api() {
    let report =
        bank_through_proxy(|_| Some(breaking("공통-002", Fault::DropField { field: "fnd_cycle".into() }))).await;
    let reason = assert_only_failure(&report, "공통-002", "response-fields");
    assert!(reason.contains("fnd_cycle: is required when is_scheduled is true"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_outside_its_list_fails_its_api() {
    let fault = Fault::SetItemField { list: "card_list".into(), field: "card_type".into(), value: "07".into() };
    let report = through_proxy(Industry::Card, |_| Some(breaking("카드-001", fault))).await;
    assert_only_failure(&report, "카드-001", "code-lists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_outside_its_attachment_s_table_fails_its_api() {
    let fault = Fault::SetItemField { list: "account_list".into(), field: "account_type".into(), value: "9999".into() };
    let report = bank_through_proxy(|_| Some(breaking("은행-001", fault))).await;
    let reason = assert_only_failure(&report, "은행-001", "code-lists");
    assert!(reason.contains("account_type: \"9999\" is not one of its codes (1001,"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_an_asset_of_the_apis_kind_fails_it() {
    // 은행-001 says which accounts are deposits (첨부3 1xxx), so 40402 for them is no "other kind".
    let refuse = Fault::Refuse { status: StatusCode::NOT_FOUND, rsp_code: "40402" };
    let report = bank_through_proxy(|_| Some(breaking("은행-002", refuse))).await;
    let reason = assert_only_failure(&report, "은행-002", "success");
    assert!(reason.contains("40402"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeating_cursor_fails_paging() {
    let report = bank_through_proxy(|_| Some(breaking("은행-001", Fault::RepeatCursor))).await;
    assert_only_failure(&report, "은행-001", "paging");
}

/// The provider behind the proxy answers `api_id` as if the token `accepted` picks were the full one.
async fn bank_accepting(api_id: &str, accepted: fn(&Tokens) -> Option<String>) -> Report {
    bank_through_proxy(|target| {
        let (from, to) = (accepted(&target.tokens).unwrap(), target.tokens.access.clone().unwrap());
        Some(breaking(api_id, Fault::SwapToken { from, to }))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_not_enforced_fails_its_api() {
    let report = bank_accepting("은행-007", |tokens| tokens.narrow.clone()).await;
    assert_only_failure(&report, "은행-007", "scope-not-granted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_still_accepted_fails_its_api() {
    let report = bank_accepting("은행-010", |tokens| tokens.revoked.clone()).await;
    assert_only_failure(&report, "은행-010", "revoked-token");
}
