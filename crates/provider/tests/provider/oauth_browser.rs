//! 개별인증-001 in a real browser: headless Chromium, driven through ChromeDriver's W3C WebDriver
//! protocol, signs in on the provider's page, picks an account and approves; the operator's callback
//! (a small server in this test) receives code, state and api_tran_id, and the code buys tokens.
//! CI installs Debian's `chromium` and `chromium-driver`; without them this test fails on purpose.

use crate::browser_common;
use crate::common;
use crate::oauth_common;

use browser_common::*;
use common::*;
use mydata_store::{Backend, RegistryOrgRow, prelude::*};
use oauth_common::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_consents_in_chromium_and_the_operator_gets_a_working_code() {
    let driver = start_driver().await;
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let (callback, mut received) = callback_server().await;
    register_service(&app, "browserClient", "브라우저 테스트", &callback, None).await;

    // The operator's server starts 개별인증-001 with the customer's CI and gets the page's address.
    let page = consent_page_for(&app, "browserClient", &callback).await;

    let browser = Session::open(&driver).await;
    browser.go(&page).await;
    let notice = browser.wait_for_text("데모 본인인증입니다").await;
    assert!(notice.contains("실제 서비스가 아니며"), "the demo sign-in says plainly that it is one: {notice}");
    browser.type_into("#customer_id", CUSTOMER).await;
    browser.click("#sign-in").await;
    let text = browser.wait_for_text("보낼 정보").await;
    assert!(text.contains("1001001") && text.contains("3003003"), "the consent page lists the accounts: {text}");
    browser.click("input[value='은행-001:1001001']").await;
    browser.click("#is_scheduled").await;
    browser.click("#approve").await;
    let params =
        tokio::time::timeout(Duration::from_secs(20), received.recv()).await.expect("callback reached").unwrap();
    browser.close().await;

    assert_eq!(params["state"], STATE);
    assert_eq!(params["api_tran_id"].len(), 25);
    let (status, tokens) = exchange_for(&app, "browserClient", &params["code"], CLIENT_SECRET, callback.as_str()).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "bank.deposit bank.list bank.loan");
    let consent = &app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap()[0];
    assert!(consent.is_scheduled && consent.fnd_cycle.as_deref() == Some("1/w"));
    let chosen: Vec<String> = consent.assets.iter().map(|a| a.to_string()).collect();
    assert_eq!(chosen, ["은행-001:1001001"], "the asset is named by its list and its key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_consent_page_speaks_in_names_groups_and_plain_korean() {
    let driver = start_driver().await;
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    seed_salary_and_savings(&app).await;
    // The names the registry gives (지원-002 org_name, 지원-003 service_name).
    for (org_code, org_type, name) in [(BANK, "01", "한빛은행"), (OPERATOR, "03", "머니플래너(주)")] {
        let body = serde_json::json!({ "org_name": name });
        let row = RegistryOrgRow { org_code: org_code.into(), org_type: org_type.into(), body, updated_at: 0 };
        app.store.upsert_registry_org(&row).await.unwrap();
    }
    let (callback, mut received) = callback_server().await;
    register_service(&app, "phoneClient", "머니플래너 가계부", &callback, Some(vec!["mydataapp://auth".into()])).await;
    let page = consent_page_for(&app, "phoneClient", &callback).await;

    let browser = Session::open(&driver).await;
    browser.resize(390, 844).await;
    browser.go(&page).await;
    let sign_in = browser.wait_for_text("데모 본인인증입니다").await;
    assert!(sign_in.contains("머니플래너 가계부") && sign_in.contains("한빛은행"), "names, not codes: {sign_in}");
    assert!(!sign_in.contains(BANK) && !sign_in.contains("phoneClient"), "{sign_in}");
    browser.type_into("#customer_id", CUSTOMER).await;
    browser.click("#sign-in").await;
    let text = browser.wait_for_text("보낼 정보").await;
    for shown in
        ["한빛은행", "머니플래너 가계부", "머니플래너(주)", "월급통장", "행복적금", "입출금", "예금·적금", "대출"]
    {
        assert!(text.contains(shown), "the page shows {shown}: {text}");
    }
    assert!(!text.contains(BANK), "the institution by its name, not its code: {text}");
    assert!(text.contains("주 1회 보냅니다"), "the cycle in plain Korean: {text}");
    let latest = mydata_spec::time::korean_date(chrono::Utc::now()) + chrono::Days::new(365);
    let end_words = format!("{}년 {}월 {}일(", latest.format("%Y"), latest.format("%-m"), latest.format("%-d"));
    assert!(text.contains(&end_words) && text.contains("까지 보내고"), "the end date in words: {text}");

    // It fits a phone: nothing wider than the screen.
    let widths = browser.run("return [window.innerWidth, document.documentElement.scrollWidth]").await;
    let (inner, scrolled) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
    assert!(inner <= 400, "a phone-sized window: {inner}");
    assert!(scrolled <= inner, "no sideways scrolling on a phone: {scrolled} > {inner}");

    // 입출금's box ticks its two accounts and nothing else; unticking one clears the box.
    let ticked = "return Array.from(document.querySelectorAll('input[name=asset]:checked')).map(e => e.value)";
    browser.click("#all-demand").await;
    assert_eq!(browser.run(ticked).await, serde_json::json!(["은행-001:1001001", "은행-001:1001004"]));
    browser.click("input[value='은행-001:1001004']").await;
    assert_eq!(browser.run("return document.getElementById('all-demand').checked").await, false);
    browser.click("input[value='은행-001:1001004']").await;
    assert_eq!(browser.run("return document.getElementById('all-demand').checked").await, true);
    browser.click("input[value='은행-001:1003005']").await;

    // The cycle's words follow the choice.
    browser.click("#is_scheduled").await;
    browser.click("#cycle option[value='1/m']").await;
    let text = browser.wait_for_text("월 1회 보냅니다").await;
    assert!(!text.contains("주 1회 보냅니다"), "{text}");
    browser.click("#approve").await;
    let params =
        tokio::time::timeout(Duration::from_secs(20), received.recv()).await.expect("callback reached").unwrap();
    browser.close().await;
    assert_eq!(params["state"], STATE);

    let consent = &app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap()[0];
    let chosen: Vec<String> = consent.assets.iter().map(|a| a.to_string()).collect();
    assert_eq!(chosen, ["은행-001:1001001", "은행-001:1001004", "은행-001:1003005"], "exactly the chosen assets");
    assert_eq!((consent.fnd_cycle.as_deref(), consent.add_cycle.as_deref()), (Some("1/m"), Some("1/m")));
    assert_eq!(consent.end_date, latest);
    assert_eq!(consent.purpose, "머니플래너 가계부 서비스 제공");
}
