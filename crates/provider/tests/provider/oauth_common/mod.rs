//! The operator's side of the OAuth flow, for the authorization-server tests: a registered client,
//! a customer with assets, and the calls an operator's server and a customer's browser make.

use crate::common::*;
use mydata_provider::oauth::hash_client_secret;
use mydata_store::{AssetRow, Client, prelude::*};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "clientA1";
pub const CLIENT_SECRET: &str = "secretA1secretA1secretA1";
pub const REDIRECT: &str = "https://operator.example/callback";
pub const STATE: &str = "state123";
pub const CUSTOMER: &str = "cust-1";
pub const CI: &str = "Q0ktY3VzdC0xYWJjZGVm";

/// Registers the test client, the customer and three bank accounts (one a 마이너스통장).
pub async fn seed(app: &TestApp) {
    app.store
        .upsert_client(&Client {
            client_id: CLIENT_ID.into(),
            client_secret_hash: hash_client_secret(CLIENT_SECRET),
            org_code: OPERATOR.into(),
            client_name: "테스트 자산관리".into(),
            redirect_uris: vec![REDIRECT.into()],
            app_schemes: None,
            updated_at: 0,
        })
        .await
        .unwrap();
    app.store
        .upsert_customer(&mydata_store::Customer {
            org_code: BANK.into(),
            customer_id: CUSTOMER.into(),
            ci: CI.into(),
            customer_name: "홍길동".into(),
            reg_date: "20150301".into(),
        })
        .await
        .unwrap();
    app.store
        .upsert_assets(&[
            bank_account("1001001", "1001", true, "자유입출금", "1"),
            bank_account("2002002", "2001", false, "자유입출금", "2"),
            bank_account("3003003", "3100", false, "자유입출금", "3"),
        ])
        .await
        .unwrap();
}

/// Adds a second 입출금 account (월급통장, 1001004) and a 적금 (행복적금, 1003005) to the customer's.
pub async fn seed_salary_and_savings(app: &TestApp) {
    app.store
        .upsert_assets(&[
            bank_account("1001004", "1001", false, "월급통장", "4"),
            bank_account("1003005", "1003", false, "행복적금", "5"),
        ])
        .await
        .unwrap();
}

/// Registers the operator's service `client_id` named `name`, whose callback is `callback`.
pub async fn register_service(
    app: &TestApp,
    client_id: &str,
    name: &str,
    callback: &str,
    app_schemes: Option<Vec<String>>,
) {
    app.store
        .upsert_client(&Client {
            client_id: client_id.into(),
            client_secret_hash: hash_client_secret(CLIENT_SECRET),
            org_code: OPERATOR.into(),
            client_name: name.into(),
            redirect_uris: vec![callback.into()],
            app_schemes,
            updated_at: 0,
        })
        .await
        .unwrap();
}

/// 개별인증-001 for the service `client_id` with its `callback`: the consent page's address.
pub async fn consent_page_for(app: &TestApp, client_id: &str, callback: &str) -> String {
    let mut query = authorize_query(Some(("client_id", Some(client_id))));
    query.retain(|(k, _)| k != "redirect_uri");
    query.push(("redirect_uri".into(), callback.into()));
    let started = authorize(app, &query, Some(CI)).await;
    assert_eq!(started.status(), 302);
    format!("{}{}", app.base, location(&started))
}

/// The customer's 은행-001 account `num` of 첨부3 type `kind` (`is_minus`: a 마이너스통장), named
/// `product`, listed `sort`-th.
pub fn bank_account(num: &str, kind: &str, minus: bool, product: &str, sort: &str) -> AssetRow {
    AssetRow {
        org_code: BANK.into(),
        list_api: "은행-001".into(),
        asset_key: num.into(),
        customer_id: CUSTOMER.into(),
        sort_key: sort.into(),
        item: json!({"account_num": num, "is_consent": "false", "seqno": "1", "is_foreign_deposit": "false",
            "prod_name": product, "is_minus": minus.to_string(), "account_type": kind, "account_status": "01"}),
        updated_at: 0,
    }
}

/// POSTs the form `head`, padded past the 2 MiB body limit, to `path` on a connection of its own.
/// The server answers before it has read the whole body and closes the connection, so the client
/// may still be writing when it does: that try fails in transport (a broken pipe), and a next one
/// reads the answer.
pub async fn post_oversized_form(app: &TestApp, path: &str, head: &str) -> reqwest::Response {
    let body = format!("{head}&pad={}", "x".repeat(3 << 20));
    let mut failures = Vec::new();
    for _ in 0..10 {
        let sent = reqwest::Client::new()
            .post(format!("{}{path}", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) => return response,
            Err(e) => failures.push(e.to_string()),
        }
    }
    panic!("no answer to an oversized form at {path}: {failures:?}");
}

pub fn http_no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The 개별인증-001 query with one parameter replaced (or removed with `None`).
pub fn authorize_query(change: Option<(&str, Option<&str>)>) -> Vec<(String, String)> {
    let mut params = vec![
        ("org_code", BANK),
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("app_scheme", "mydataapp://auth"),
        ("state", STATE),
    ];
    if let Some((name, value)) = change {
        params.retain(|(n, _)| *n != name);
        if let Some(value) = value {
            params.push((name, value));
        }
    }
    params.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// The operator's server calls 개별인증-001 (no redirects followed).
pub async fn authorize(app: &TestApp, query: &[(String, String)], ci: Option<&str>) -> reqwest::Response {
    let mut request = http_no_redirects()
        .get(format!("{}/oauth/2.0/authorize", app.base))
        .query(query)
        .header("x-api-tran-id", tran_id());
    if let Some(ci) = ci {
        request = request.header("x-user-ci", ci);
    }
    request.send().await.unwrap()
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").expect("a Location header").to_str().unwrap().to_owned()
}

/// The query of a redirect to the callback, as a map.
pub fn callback_params(location: &str) -> std::collections::HashMap<String, String> {
    assert!(location.starts_with(REDIRECT), "redirected to the callback: {location}");
    url::Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

/// A browser that keeps the consent page's cookie, without a cookie jar.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser { http: http_no_redirects(), base: app.base.clone(), cookie: None }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        if let Some(set) = response.headers().get("set-cookie") {
            self.cookie = set.to_str().unwrap().split(';').next().map(str::to_owned);
        }
        response
    }
}

/// Runs 개별인증-001 to the end with `choices` and returns the callback's parameters.
pub async fn consent_via_page(app: &TestApp, choices: &[(&str, String)]) -> std::collections::HashMap<String, String> {
    let choices: Vec<(&str, &str)> = choices.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let started = authorize(app, &authorize_query(None), Some(CI)).await;
    assert_eq!(started.status(), 302);
    let page = location(&started);
    let mut browser = Browser::new(app);
    let signed_in = browser.post(&format!("{page}/sign-in"), &[("customer_id", CUSTOMER)]).await;
    assert_eq!(signed_in.status(), 303);
    let form = browser.get(&page).await;
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains("1001001") && html.contains("2002002"), "the customer's accounts are listed");
    let answered = browser.post(&page, &choices).await;
    assert_eq!(answered.status(), 302);
    callback_params(&location(&answered))
}

/// Approves sending the 마이너스통장 1001001, weekly, for 30 days.
pub fn approve_deposit() -> Vec<(&'static str, String)> {
    let end = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).format("%Y-%m-%d").to_string();
    [("asset", "은행-001:1001001"), ("is_scheduled", "true"), ("cycle", "1/w"), ("decision", "approve")]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .chain([("end_date", end)])
        .collect()
}

/// `POST /oauth/2.0/token` or `/revoke` with a form.
pub async fn form_post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    form_post_with(&app.http, app, path, form).await
}

/// [`form_post`] sent by `http` (e.g. from another source address).
pub async fn form_post_with(http: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let response = http
        .post(format!("{}{path}", app.base))
        .header("x-api-tran-id", tran_id())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert!(response.headers().get("x-api-tran-id").is_some(), "x-api-tran-id on every answer");
    (status, response.json().await.unwrap())
}

pub async fn exchange(app: &TestApp, code: &str, secret: &str, redirect: &str) -> (u16, Value) {
    exchange_for(app, CLIENT_ID, code, secret, redirect).await
}

/// 개별인증-002: `client_id` buys tokens with `code`.
pub async fn exchange_for(app: &TestApp, client_id: &str, code: &str, secret: &str, redirect: &str) -> (u16, Value) {
    form_post(
        app,
        "/oauth/2.0/token",
        &[
            ("org_code", BANK),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client_id),
            ("client_secret", secret),
            ("redirect_uri", redirect),
        ],
    )
    .await
}

pub async fn refresh(app: &TestApp, refresh_token: &str) -> (u16, Value) {
    form_post(
        app,
        "/oauth/2.0/token",
        &[
            ("org_code", BANK),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ],
    )
    .await
}

pub async fn revoke(app: &TestApp, token: &str) -> (u16, Value) {
    form_post(
        app,
        "/oauth/2.0/revoke",
        &[("org_code", BANK), ("token", token), ("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
    )
    .await
}

/// 은행-001 with `token`: the HTTP status and rsp_code.
pub async fn list_accounts(app: &TestApp, token: &str) -> (u16, Value) {
    list_accounts_with(&app.http, app, token).await
}

/// [`list_accounts`] sent by `http` (e.g. from another source address).
pub async fn list_accounts_with(http: &reqwest::Client, app: &TestApp, token: &str) -> (u16, Value) {
    let response = http
        .get(format!("{}/v1/bank/accounts?org_code={BANK}&limit=10", app.base))
        .header("x-api-tran-id", tran_id())
        .header("x-api-type", "user-refresh")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

pub fn assert_oauth_error(got: &(u16, Value), status: u16, error: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"], error, "{}", got.1);
}
