//! The authorization server over HTTP (개별인증-001..004): the whole flow and every failure, on
//! SQLite and PostgreSQL.

use crate::common;
use crate::oauth_common;

use chrono::{Days, Utc};
use common::*;
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_provider::tokens::Lifetimes;
use mydata_provider::{ProviderConfig, demo_orgs};
use mydata_store::{Backend, prelude::*};
use oauth_common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_tokens_data_refresh_retry_and_revocation() {
    for backend in BACKENDS {
        let app = spawn(backend).await;
        seed(&app).await;
        let callback = consent_via_page(&app, &approve_deposit()).await;
        assert_eq!(callback["state"], STATE);
        assert_eq!(callback["api_tran_id"].len(), 25, "echoes the request's x-api-tran-id");

        let (status, tokens) = exchange(&app, &callback["code"], CLIENT_SECRET, REDIRECT).await;
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(tokens["token_type"], "Bearer");
        // A 마이너스통장 is a deposit and a loan (ch.2.2); the list scope is always there.
        assert_eq!(tokens["scope"], "bank.deposit bank.list bank.loan");
        let expires: i64 = tokens["expires_in"].as_str().unwrap().parse().unwrap();
        assert!(expires > 29 * 86_400 && expires <= 31 * 86_400, "never past the consent's end: {expires}");
        assert!(tokens["refresh_token_expires_in"].as_str().is_some());
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

        let (status, accounts) = list_accounts(&app, &access).await;
        assert_eq!(status, 200, "{accounts}");
        let consented: Vec<&str> = accounts["account_list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["is_consent"] == "true")
            .map(|a| a["account_num"].as_str().unwrap())
            .collect();
        assert_eq!(consented, ["1001001"]);

        // Refresh: a new access token; the old one stops at once; a retry gets the same new one.
        let (status, refreshed) = refresh(&app, &refresh_token).await;
        assert_eq!(status, 200, "{refreshed}");
        let renewed = refreshed["access_token"].as_str().unwrap().to_owned();
        assert_ne!(renewed, access);
        let (status, retried) = refresh(&app, &refresh_token).await;
        assert_eq!(status, 200);
        assert_eq!(retried["access_token"], renewed.as_str(), "a retried refresh gets the same token");
        assert_eq!(list_accounts(&app, &access).await.0, 401, "the replaced access token is dead");
        assert_eq!(list_accounts(&app, &renewed).await.0, 200);

        // Revocation with the (old, replaced) access token still withdraws the whole consent.
        let (status, revoked) = revoke(&app, &renewed).await;
        assert_eq!((status, revoked["rsp_code"].as_str()), (200, Some("00000")), "{revoked}");
        let (status, body) = list_accounts(&app, &renewed).await;
        assert_eq!((status, body["rsp_code"].as_str()), (401, Some("40101")));
        assert_oauth_error(&refresh(&app, &refresh_token).await, 400, "invalid_grant");
        let (status, again) = revoke(&app, &renewed).await;
        assert_eq!((status, again["rsp_code"].as_str()), (200, Some("99999")), "RFC 7009: still 200");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_answers_bad_clients_directly_and_other_errors_at_the_callback() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let unknown = authorize(&app, &authorize_query(Some(("client_id", Some("nobody")))), Some(CI)).await;
    assert_eq!(unknown.status(), 400);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(
        (body["error"].as_str(), body["error_description"].as_str()),
        (Some("invalid_request"), Some("invalid_client_id"))
    );
    let elsewhere =
        authorize(&app, &authorize_query(Some(("redirect_uri", Some("https://evil.example/cb")))), Some(CI)).await;
    assert_eq!(elsewhere.status(), 400, "never redirects to an unregistered callback");
    let body: serde_json::Value = elsewhere.json().await.unwrap();
    assert_eq!(body["error_description"], "invalid_redirection");

    let cases = [
        (authorize_query(Some(("response_type", Some("token")))), Some(CI), "unsupported_response_type"),
        (authorize_query(Some(("response_type", None))), Some(CI), "invalid_request"),
        (authorize_query(Some(("org_code", Some("CARD999999")))), Some(CI), "invalid_request"),
        (authorize_query(Some(("state", Some("not valid!")))), Some(CI), "invalid_request"),
        (authorize_query(None), None, "invalid_request"),
    ];
    for (query, ci, error) in cases {
        let response = authorize(&app, &query, ci).await;
        assert_eq!(response.status(), 302);
        let params = callback_params(&location(&response));
        assert_eq!(params["error"], error, "{query:?}");
    }
    let no_tran_id = http_no_redirects()
        .get(format!("{}/oauth/2.0/authorize", app.base))
        .query(&authorize_query(None))
        .header("x-user-ci", CI)
        .send()
        .await
        .unwrap();
    assert_eq!(callback_params(&location(&no_tran_id))["error"], "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customer_or_a_refusal_ends_at_the_callback_and_records_nothing() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let started = authorize(&app, &authorize_query(None), Some("T3RoZXJDdXN0b21lckNJ")).await;
    let page = location(&started);
    let mut browser = Browser::new(&app);
    let refused = browser.post(&format!("{page}/sign-in"), &[("customer_id", CUSTOMER)]).await;
    assert_eq!(callback_params(&location(&refused))["error"], "unauthorized_user", "CI mismatch");
    assert_eq!(browser.get(&page).await.status(), 409, "the session is closed");

    let started = authorize(&app, &authorize_query(None), Some(CI)).await;
    let page = location(&started);
    let mut browser = Browser::new(&app);
    browser.post(&format!("{page}/sign-in"), &[("customer_id", CUSTOMER)]).await;
    let stranger = Browser::new(&app);
    assert_eq!(stranger.get(&page).await.status(), 403, "only the browser that signed in continues");
    let refused = browser.post(&page, &[("decision", "refuse")]).await;
    let params = callback_params(&location(&refused));
    assert_eq!((params["error"].as_str(), params["state"].as_str()), ("access_denied", STATE));
    assert!(app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_failures_leave_the_code_and_the_tokens_as_they_were() {
    for backend in BACKENDS {
        let app = spawn(backend).await;
        seed(&app).await;
        let code = consent_via_page(&app, &approve_deposit()).await["code"].clone();
        assert_oauth_error(&exchange(&app, &code, "wrongsecret", REDIRECT).await, 400, "invalid_client");
        assert_oauth_error(
            &exchange(&app, &code, CLIENT_SECRET, "https://operator.example/other").await,
            400,
            "invalid_grant",
        );
        assert_oauth_error(&exchange(&app, "not-a-code", CLIENT_SECRET, REDIRECT).await, 400, "invalid_grant");
        // The failures above consumed nothing: the code still works, once.
        let (status, first) = exchange(&app, &code, CLIENT_SECRET, REDIRECT).await;
        assert_eq!(status, 200, "{first}");
        let access = first["access_token"].as_str().unwrap();
        assert_eq!(list_accounts(&app, access).await.0, 200);
        // Reuse: refused, and what the first use issued is revoked (RFC 6749 4.1.2).
        assert_oauth_error(&exchange(&app, &code, CLIENT_SECRET, REDIRECT).await, 400, "invalid_grant");
        assert_eq!(list_accounts(&app, access).await.0, 401);
        assert_oauth_error(&refresh(&app, first["refresh_token"].as_str().unwrap()).await, 400, "invalid_grant");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_is_refused_and_issues_nothing() {
    let lifetimes = Lifetimes { code_secs: 0, ..Lifetimes::default() };
    let app = spawn_with(Backend::Sqlite, ProviderConfig { orgs: demo_orgs(), lifetimes }).await;
    seed(&app).await;
    let code = consent_via_page(&app, &approve_deposit()).await["code"].clone();
    assert_oauth_error(&exchange(&app, &code, CLIENT_SECRET, REDIRECT).await, 400, "invalid_grant");
    let consent = &app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap()[0];
    assert!(app.store.live_tokens_of_consent(&consent.consent_id).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_consent_replaces_the_old_one_and_its_tokens() {
    let app = spawn(Backend::Postgres).await;
    seed(&app).await;
    let first =
        exchange(&app, &consent_via_page(&app, &approve_deposit()).await["code"], CLIENT_SECRET, REDIRECT).await;
    let old_access = first.1["access_token"].as_str().unwrap().to_owned();
    let second =
        exchange(&app, &consent_via_page(&app, &approve_deposit()).await["code"], CLIENT_SECRET, REDIRECT).await;
    assert_eq!(second.0, 200);
    assert_eq!(list_accounts(&app, &old_access).await.0, 401, "one token pair per customer and service (ch.3)");
    assert_eq!(list_accounts(&app, second.1["access_token"].as_str().unwrap()).await.0, 200);
}

fn ended_consent() -> Consent {
    let yesterday = Utc::now().date_naive() - Days::new(1);
    Consent {
        consent_id: uuid::Uuid::new_v4().to_string(),
        org_code: BANK.into(),
        customer_id: CUSTOMER.into(),
        client_id: CLIENT_ID.into(),
        scopes: "bank.list".parse().unwrap(),
        assets: Default::default(),
        is_scheduled: false,
        fnd_cycle: None,
        add_cycle: None,
        end_date: yesterday,
        purpose: "테스트".into(),
        period: yesterday,
        options: ConsentOptions::default(),
        status: ConsentStatus::Active,
        created_at: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_and_revoke_refuse_what_is_not_theirs_to_use() {
    for backend in BACKENDS {
        let app = spawn(backend).await;
        seed(&app).await;
        // A consent past its end date: no refresh.
        let consent = ended_consent();
        app.store.insert_consent(&consent).await.unwrap();
        let pair = mydata_provider::tokens::issue_pair(
            app.store.as_ref(),
            &app.provider.keys,
            &consent,
            Lifetimes::default(),
            Utc::now().timestamp() - 2 * 86_400,
        )
        .await
        .unwrap();
        assert_oauth_error(&refresh(&app, &pair.refresh_token).await, 400, "invalid_grant");

        // Tokens of another provider (its own keys) are nobody's here.
        let other = spawn(backend).await;
        seed(&other).await;
        let foreign =
            exchange(&other, &consent_via_page(&other, &approve_deposit()).await["code"], CLIENT_SECRET, REDIRECT)
                .await;
        let foreign_access = foreign.1["access_token"].as_str().unwrap();
        assert_oauth_error(&refresh(&app, foreign.1["refresh_token"].as_str().unwrap()).await, 400, "invalid_grant");
        assert_eq!(revoke(&app, foreign_access).await.1["rsp_code"], "99999");
        assert_eq!(list_accounts(&app, foreign_access).await.0, 401);
        assert_eq!(list_accounts(&other, foreign_access).await.0, 200, "revocation elsewhere touched nothing");

        // Client authentication and the request's form.
        let wrong_secret = form_post(
            &app,
            "/oauth/2.0/revoke",
            &[("org_code", BANK), ("token", foreign_access), ("client_id", CLIENT_ID), ("client_secret", "nope")],
        )
        .await;
        assert_oauth_error(&wrong_secret, 400, "invalid_client");
        let grant = form_post(&app, "/oauth/2.0/token", &[("grant_type", "client_credentials")]).await;
        assert_oauth_error(&grant, 400, "unsupported_grant_type");
        assert_oauth_error(&form_post(&app, "/oauth/2.0/token", &[]).await, 400, "invalid_request");
        let missing = form_post(&app, "/oauth/2.0/token", &[("grant_type", "refresh_token"), ("org_code", BANK)]).await;
        assert_oauth_error(&missing, 400, "invalid_request");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_needs_a_tran_id_and_the_right_method() {
    let app = spawn(Backend::Sqlite).await;
    let response = app
        .http
        .post(format!("{}/oauth/2.0/token", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=refresh_token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("x-api-tran-id").is_some(), "one is generated");
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["error"], "invalid_request");
    let get = app.get("/oauth/2.0/token").send().await.unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.json::<serde_json::Value>().await.unwrap()["error"], "method_not_allowed");
    // A body over the limit axum sets (2 MiB) is an OAuth error too, not axum's line of text.
    for path in ["/oauth/2.0/token", "/oauth/2.0/revoke"] {
        let response = post_oversized_form(&app, path, "grant_type=refresh_token").await;
        assert_eq!(response.status(), 400, "{path}");
        let body = response.json::<serde_json::Value>().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}");
        assert!(body["error_description"].as_str().unwrap().contains("length limit"), "{path}: {body}");
    }
}

/// What the framework refuses of the consent pages' requests is a page for the customer's browser,
/// not the token endpoints' OAuth JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consent_pages_refuse_in_pages() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let page = location(&authorize(&app, &authorize_query(None), Some(CI)).await);
    let is_page = |response: &reqwest::Response| {
        response.headers()["content-type"].to_str().unwrap().starts_with("text/html")
            && response.headers()["cache-control"] == "no-store"
    };
    let oversized = post_oversized_form(&app, &format!("{page}/sign-in"), &format!("customer_id={CUSTOMER}")).await;
    assert!(oversized.status().is_client_error(), "{}", oversized.status());
    assert!(is_page(&oversized));
    assert!(oversized.text().await.unwrap().contains("보낸 내용이 너무 큽니다"));
    let put = app.http.put(format!("{}{page}", app.base)).send().await.unwrap();
    assert_eq!(put.status(), 405);
    assert_eq!(put.headers()["allow"], "GET,HEAD,POST");
    assert!(is_page(&put));
    assert!(put.text().await.unwrap().contains("이런 방식(HTTP method)의 요청을 받지 않습니다"));
    let sign_in_by_get = app.get(&format!("{page}/sign-in")).send().await.unwrap();
    assert_eq!(sign_in_by_get.status(), 405);
    assert!(is_page(&sign_in_by_get));
    // The token endpoint keeps its OAuth errors.
    let get = app.get("/oauth/2.0/token").send().await.unwrap();
    assert_eq!(get.json::<serde_json::Value>().await.unwrap()["error"], "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_keys_keep_verifying_and_are_published() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let before =
        exchange(&app, &consent_via_page(&app, &approve_deposit()).await["code"], CLIENT_SECRET, REDIRECT).await;
    let old_access = before.1["access_token"].as_str().unwrap().to_owned();
    let new_kid = app.provider.keys.rotate(app.store.as_ref(), Utc::now().timestamp()).await.unwrap();
    assert_eq!(list_accounts(&app, &old_access).await.0, 200, "the retired key still verifies");
    let (_, refreshed) = refresh(&app, before.1["refresh_token"].as_str().unwrap()).await;
    let header = jsonwebtoken::decode_header(refreshed["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()), "new tokens are signed with the new key");
    let jwks: serde_json::Value = app.get("/oauth/2.0/jwks").send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids.len(), 2);
    assert!(kids.contains(&new_kid.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_signed_with_a_key_another_instance_added_is_accepted() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let (_, issued) =
        exchange(&app, &consent_via_page(&app, &approve_deposit()).await["code"], CLIENT_SECRET, REDIRECT).await;
    let claims = app.provider.keys.verify(issued["access_token"].as_str().unwrap()).unwrap();
    let consent = app.store.consent(&claims.consent_id).await.unwrap().unwrap();

    // Another instance sharing the store rotates its keys and signs with its new one.
    let other = mydata_provider::tokens::KeyRing::open(app.store.as_ref()).await.unwrap();
    let now = Utc::now().timestamp();
    other.rotate(app.store.as_ref(), now).await.unwrap();
    let pair = mydata_provider::tokens::issue_pair(app.store.as_ref(), &other, &consent, Lifetimes::default(), now)
        .await
        .unwrap();
    assert_eq!(list_accounts(&app, &pair.access_token).await.0, 200, "this instance learns the new key");

    let (unsigned, _) = pair.access_token.rsplit_once('.').unwrap();
    let forged = format!("{unsigned}.{}", "A".repeat(86));
    assert_eq!(list_accounts(&app, &forged).await.0, 401, "a known key with a wrong signature");
}

#[tokio::test]
async fn expired_consent_page_sessions_are_purged_and_pages_leak_no_referrer() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let stale = mydata_store::AuthSession {
        session_digest: "stale".into(),
        org_code: BANK.into(),
        client_id: CLIENT_ID.into(),
        redirect_uri: REDIRECT.into(),
        state: STATE.into(),
        app_scheme: String::new(),
        tran_id: String::new(),
        user_ci: CI.into(),
        customer_id: None,
        browser_digest: None,
        created_at: 0,
        expires_at: 600,
        closed_at: None,
    };
    app.store.insert_auth_session(&stale).await.unwrap();
    let started = authorize(&app, &authorize_query(None), Some(CI)).await;
    assert_eq!(started.status(), 302);
    let page = location(&started);
    // The purge runs beside the request: wait for it, with a bound only a hang would reach.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.store.auth_session("stale").await.unwrap().is_some() {
        assert!(std::time::Instant::now() < deadline, "the expired session is gone");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let digest = mydata_provider::oauth::digest(page.rsplit('/').next().unwrap());
    assert!(app.store.auth_session(&digest).await.unwrap().is_some(), "the live one stays");
    let shown = Browser::new(&app).get(&page).await;
    assert_eq!(shown.headers()["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn a_consent_change_starts_from_the_earlier_choices() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    let page_for_change = || async {
        let started = authorize(&app, &authorize_query(None), Some(CI)).await;
        let page = location(&started);
        let mut browser = Browser::new(&app);
        browser.post(&format!("{page}/sign-in"), &[("customer_id", CUSTOMER)]).await;
        browser.get(&page).await.text().await.unwrap()
    };
    let first = page_for_change().await;
    assert!(!first.contains(" checked") && !first.contains("change-notice"), "nothing chosen before: {first}");

    consent_via_page(&app, &approve_deposit()).await;
    let html = page_for_change().await;
    let input = |value: &str| {
        let at = html.find(&format!("value=\"{value}\"")).unwrap_or_else(|| panic!("{value} offered: {html}"));
        html[at..at + html[at..].find('>').unwrap()].to_owned()
    };
    assert!(input("은행-001:1001001").contains("checked"), "{html}");
    assert!(!input("은행-001:2002002").contains("checked"), "{html}");
    // 입출금 holds only the chosen account, yet its group box is left to the script: without one, a
    // ticked group box would send the group whatever its accounts' boxes say.
    assert!(!input("demand").contains("checked"), "{html}");
    assert!(input("true").contains("checked"), "scheduled as before: {html}");
    assert!(html.contains("<option value=\"1/w\" selected>"), "{html}");
    assert!(html.contains("change-notice"));
    let end = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).format("%Y-%m-%d").to_string();
    assert!(html.contains(&format!("id=\"end_date\" value=\"{end}\"")), "the earlier end date: {html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_scheme_must_be_one_the_service_registered_at_the_portal() {
    for backend in BACKENDS {
        let app = spawn(backend).await;
        seed(&app).await;
        let mut client = app.store.client(CLIENT_ID).await.unwrap().unwrap();
        let with_scheme = |scheme: &str| authorize_query(Some(("app_scheme", Some(scheme))));
        // ch.3 ③: with the registry's list (지원-003 app_scheme_list) the request names one of its schemes.
        client.app_schemes = Some(vec!["otherapp://auth".into(), "mydataapp://auth".into()]);
        app.store.upsert_client(&client).await.unwrap();
        let accepted = authorize(&app, &with_scheme("mydataapp://auth"), Some(CI)).await;
        assert_eq!(accepted.status(), 302);
        assert!(location(&accepted).starts_with("/oauth/2.0/consent/"), "{backend:?}: on to the consent page");
        for unregistered in ["evilapp://auth", "MyDataApp://auth", "mydataapp://auth/more"] {
            let refused = authorize(&app, &with_scheme(unregistered), Some(CI)).await;
            assert_eq!(refused.status(), 302, "{backend:?} {unregistered}");
            let params = callback_params(&location(&refused));
            assert_eq!(params["error"], "invalid_request", "{backend:?} {unregistered}: {params:?}");
            assert_eq!((params["state"].as_str(), params["api_tran_id"].len()), (STATE, 25));
        }
        // A service the registry lists without any app scheme has none a request could name.
        client.app_schemes = Some(Vec::new());
        app.store.upsert_client(&client).await.unwrap();
        let refused = authorize(&app, &with_scheme("mydataapp://auth"), Some(CI)).await;
        assert_eq!(callback_params(&location(&refused))["error"], "invalid_request", "{backend:?}");
        // A client registered locally (`mydata serve --client`): no registry says which are its apps.
        client.app_schemes = None;
        app.store.upsert_client(&client).await.unwrap();
        let local = authorize(&app, &with_scheme("anyapp://auth"), Some(CI)).await;
        assert!(location(&local).starts_with("/oauth/2.0/consent/"), "{backend:?}");
        assert!(app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_groups_box_chooses_all_of_the_group_without_a_script() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    seed_salary_and_savings(&app).await;
    let end = (Utc::now().date_naive() + Days::new(30)).format("%Y-%m-%d").to_string();
    let form = |group: &str| {
        vec![
            ("asset_group", group.to_owned()),
            ("asset", "은행-001:3003003".to_owned()),
            ("cycle", "1/w".to_owned()),
            ("end_date", end.clone()),
            ("decision", "approve".to_owned()),
        ]
    };
    // 입출금 holds the 마이너스통장 and the 월급통장 (첨부3 1001); the 적금 (1003) is 예금·적금.
    let params = consent_via_page(&app, &form("demand")).await;
    assert!(params.contains_key("code"), "{params:?}");
    let consent = &app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap()[0];
    let chosen: Vec<String> = consent.assets.iter().map(|a| a.to_string()).collect();
    assert_eq!(chosen, ["은행-001:1001001", "은행-001:1001004", "은행-001:3003003"]);

    for (group, why) in [("nope", "an unknown group"), ("card", "a group the customer has nothing of")] {
        let params = consent_via_page(&app, &form(group)).await;
        assert_eq!(params["error"], "invalid_request", "{why}: {params:?}");
        let consents = app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap();
        assert_eq!(consents.len(), 1, "{why}: nothing recorded");
        assert_eq!(consents[0].consent_id, consent.consent_id);
    }
}
