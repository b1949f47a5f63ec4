//! 개별인증-001 in a real browser: headless Chromium, driven through ChromeDriver's W3C WebDriver
//! protocol, signs in on the provider's page, picks an account and approves; the operator's callback
//! (a small server in this test) receives code, state and api_tran_id, and the code buys tokens.
//! CI installs Debian's `chromium` and `chromium-driver`; without them this test fails on purpose.

mod browser_common;
mod common;
mod oauth_common;

use browser_common::*;
use common::*;
use mydata_provider::oauth::hash_client_secret;
use mydata_store::{Backend, Client, prelude::*};
use oauth_common::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_consents_in_chromium_and_the_operator_gets_a_working_code() {
    let driver = start_driver().await;
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let (callback, mut received) = callback_server().await;
    app.store
        .upsert_client(&Client {
            client_id: "browserClient".into(),
            client_secret_hash: hash_client_secret(CLIENT_SECRET),
            org_code: OPERATOR.into(),
            client_name: "브라우저 테스트".into(),
            redirect_uris: vec![callback.clone()],
            updated_at: 0,
        })
        .await
        .unwrap();

    // The operator's server starts 개별인증-001 with the customer's CI and gets the page's address.
    let mut query = authorize_query(Some(("client_id", Some("browserClient"))));
    query.retain(|(k, _)| k != "redirect_uri");
    query.push(("redirect_uri".into(), callback.clone()));
    let started = authorize(&app, &query, Some(CI)).await;
    assert_eq!(started.status(), 302);
    let page = format!("{}{}", app.base, location(&started));

    let browser = Session::open(&driver).await;
    browser.go(&page).await;
    let notice = browser.wait_for_text("데모 본인인증입니다").await;
    assert!(notice.contains("실제 서비스가 아니며"), "the demo sign-in says plainly that it is one: {notice}");
    browser.type_into("#customer_id", CUSTOMER).await;
    browser.click("#sign-in").await;
    let text = browser.wait_for_text("전송을 요구하는 개인신용정보").await;
    assert!(text.contains("1001001") && text.contains("3003003"), "the consent page lists the accounts: {text}");
    browser.click("input[value='은행-001:1001001']").await;
    browser.click("#is_scheduled").await;
    browser.click("#approve").await;
    let params =
        tokio::time::timeout(Duration::from_secs(20), received.recv()).await.expect("callback reached").unwrap();
    browser.close().await;

    assert_eq!(params["state"], STATE);
    assert_eq!(params["api_tran_id"].len(), 25);
    let form = [
        ("org_code", BANK),
        ("grant_type", "authorization_code"),
        ("code", params["code"].as_str()),
        ("client_id", "browserClient"),
        ("client_secret", CLIENT_SECRET),
        ("redirect_uri", callback.as_str()),
    ];
    let (status, tokens) = form_post(&app, "/oauth/2.0/token", &form).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "bank.deposit bank.list bank.loan");
    let consent = &app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap()[0];
    assert!(consent.is_scheduled && consent.fnd_cycle.as_deref() == Some("1/w"));
    let chosen: Vec<String> = consent.assets.iter().map(|a| a.to_string()).collect();
    assert_eq!(chosen, ["은행-001:1001001"], "the asset is named by its list and its key");
}
