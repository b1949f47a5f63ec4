//! The consent page's sign-in at the institution's own login (OpenID Connect), against a real
//! OpenID provider: npm `oidc-provider` under Node.js (tests/oidc_idp; `.ci/run` runs `npm ci`
//! there). Headless Chromium walks the consent: the provider's page, the IdP's login form, back to
//! the consent page and on to the operator's callback. A small proxy in front of the IdP's token
//! endpoint lets the tests corrupt or replay the ID token it answers.
//!
//! Without Node.js on the machine these tests print why and pass without running.

use crate::browser_common;
use crate::common;
use crate::oauth_common;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use browser_common::*;
use common::*;
use mydata_provider::oauth::SIGN_IN_RETURN_PATH;
use mydata_provider::oauth::oidc::{OidcSettings, OidcSignIn};
use mydata_provider::{ProviderConfig, demo_orgs};
use mydata_store::{Backend, prelude::*};
use oauth_common::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const IDP_SECRET: &str = "idp-secret-of-the-provider-0123456789";
/// A customer of the IdP whose CI is someone else's than the one the operator names.
const STRANGER: &str = "stranger";

/// The IdP's Node.js process, stopped when dropped.
struct Idp(Child);

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn node_missing() -> bool {
    let found = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED: Node.js (`node`) is not installed; the OpenID Connect tests need it to run oidc-provider");
    }
    !found
}

/// Starts oidc-provider on a free port, calling itself `issuer`; returns it with its own URL.
fn start_idp(issuer: &str, redirects: &[String]) -> (Idp, String) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc_idp");
    assert!(
        dir.join("node_modules/oidc-provider").exists(),
        "oidc-provider is not installed: run `npm ci` in {} (.ci/run does)",
        dir.display()
    );
    let accounts = json!({ CUSTOMER: CI, STRANGER: "U1RSQU5HRVItQ0k" }).to_string();
    let mut child = Command::new("node")
        .current_dir(&dir)
        .args(["idp.mjs", issuer, &redirects.join(","), IDP_SECRET, &accounts])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let (stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let idp = Idp(child);
    let mut lines = BufReader::new(stdout).lines();
    // "listening on URL as ISSUER": the IdP picks its port itself.
    let url = lines.find_map(|line| line.ok()?.strip_prefix("listening on ")?.split(' ').next().map(str::to_owned));
    let Some(url) = url else {
        let mut why = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut why);
        panic!("oidc-provider did not start: {why}");
    };
    // The rest of its output is read on, so that a write to a full or closed pipe never stops it.
    std::thread::spawn(move || lines.for_each(drop));
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (idp, url)
}

/// What the proxy does to the ID token of the IdP's token answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tamper {
    Pass,
    /// Changes a byte of the signature.
    CorruptSignature,
    /// Answers with the first ID token it ever passed (another sign-in's, with its nonce).
    ReplayFirst,
}

#[derive(Clone)]
struct Proxy {
    idp: String,
    own: String,
    http: reqwest::Client,
    tamper: Arc<Mutex<Tamper>>,
    first: Arc<Mutex<Option<String>>>,
}

/// The IdP's discovery document with the token endpoint moved to the proxy; under `/other` it
/// also names another issuer than the one the IdP signs its tokens with.
async fn discovery(State(proxy): State<Proxy>, other: bool) -> Json<Value> {
    let url = format!("{}/.well-known/openid-configuration", proxy.idp);
    let mut document: Value = proxy.http.get(url).send().await.unwrap().json().await.unwrap();
    document["token_endpoint"] = json!(format!("{}/token", proxy.own));
    if other {
        document["issuer"] = json!(format!("{}/other", proxy.own));
    }
    Json(document)
}

async fn token(State(proxy): State<Proxy>, headers: HeaderMap, body: Bytes) -> (StatusCode, Json<Value>) {
    let mut request = proxy.http.post(format!("{}/token", proxy.idp)).body(body);
    for name in ["authorization", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    let answer = request.send().await.unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let mut body: Value = answer.json().await.unwrap();
    if let Some(id_token) = body["id_token"].as_str().map(str::to_owned) {
        let first = proxy.first.lock().unwrap().get_or_insert(id_token.clone()).clone();
        let tampered = match *proxy.tamper.lock().unwrap() {
            Tamper::Pass => id_token,
            Tamper::ReplayFirst => first,
            Tamper::CorruptSignature => {
                let mut bytes = id_token.into_bytes();
                let at = bytes.len() - 5;
                bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
                String::from_utf8(bytes).unwrap()
            }
        };
        body["id_token"] = json!(tampered);
    }
    (status, Json(body))
}

/// Two providers signing customers in at one IdP: `app` trusts it, `elsewhere` expects another
/// issuer in its ID tokens.
struct Setup {
    app: TestApp,
    elsewhere: TestApp,
    tamper: Arc<Mutex<Tamper>>,
    callback: String,
    received: mpsc::UnboundedReceiver<HashMap<String, String>>,
    _idp: Idp,
}

async fn setup() -> Setup {
    let provider_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy_listener.local_addr().unwrap());
    let return_url = |l: &TcpListener| format!("http://{}{SIGN_IN_RETURN_PATH}", l.local_addr().unwrap());
    let redirects = [return_url(&provider_listener), return_url(&elsewhere_listener)];
    let (idp, idp_url) = start_idp(&proxy_url, &redirects);

    let tamper = Arc::new(Mutex::new(Tamper::Pass));
    let proxy = Proxy {
        idp: idp_url,
        own: proxy_url.clone(),
        http: reqwest::Client::new(),
        tamper: tamper.clone(),
        first: Default::default(),
    };
    let routes = axum::Router::new()
        .route("/.well-known/openid-configuration", get(|s| discovery(s, false)))
        .route("/other/.well-known/openid-configuration", get(|s| discovery(s, true)))
        .route("/token", post(token))
        .with_state(proxy);
    tokio::spawn(async move { axum::serve(proxy_listener, routes).await });

    let relying_party = |issuer: String, redirect: &str| {
        let settings = OidcSettings {
            issuer,
            client_id: "mydata-provider".into(),
            client_secret: Some(IDP_SECRET.into()),
            redirect_url: redirect.to_owned(),
            ci_claim: "ci".into(),
            scopes: vec!["ci".into()],
        };
        Arc::new(OidcSignIn::new(settings).unwrap())
    };
    let config = || ProviderConfig { orgs: demo_orgs(), lifetimes: Default::default() };
    let trusting = relying_party(proxy_url.clone(), &redirects[0]);
    let app = spawn_on(Backend::Sqlite, provider_listener, config(), trusting).await;
    let other = relying_party(format!("{proxy_url}/other"), &redirects[1]);
    let elsewhere = spawn_on(Backend::Sqlite, elsewhere_listener, config(), other).await;

    let (callback, received) = callback_server().await;
    for app in [&app, &elsewhere] {
        seed(app).await;
        register_service(app, "browserClient", "브라우저 테스트", &callback, None).await;
    }
    Setup { app, elsewhere, tamper, callback, received, _idp: idp }
}

impl Setup {
    /// Starts 개별인증-001 at `app` for the customer CI and signs in at the IdP as `login` in
    /// `browser`; returns when the browser is back at the provider.
    async fn sign_in(&self, app: &TestApp, browser: &Session, login: &str) {
        browser.go(&consent_page_for(app, "browserClient", &self.callback).await).await;
        let text = browser.wait_for_text("로그인 화면에서 본인임을 확인합니다").await;
        assert!(!text.contains("데모"), "no demo notice with a real sign-in: {text}");
        browser.click("#sign-in").await;
        browser.wait_for_text("Sign-in").await;
        browser.type_into("input[name=login]", login).await;
        browser.type_into("input[name=password]", "any password").await;
        browser.click("button.login-submit").await;
    }

    async fn callback(&mut self) -> HashMap<String, String> {
        tokio::time::timeout(Duration::from_secs(20), self.received.recv()).await.expect("callback reached").unwrap()
    }
}

async fn nothing_recorded(app: &TestApp) {
    assert!(app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap().is_empty(), "no consent recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_signs_in_at_the_institutions_login_and_consents() {
    if node_missing() {
        return;
    }
    let driver = start_driver().await;
    let mut setup = setup().await;

    let browser = Session::open(&driver).await;
    setup.sign_in(&setup.app, &browser, CUSTOMER).await;
    browser.wait_for_text("전송을 요구하는 개인신용정보").await;
    browser.click("input[value='은행-001:1001001']").await;
    browser.click("#approve").await;
    let params = setup.callback().await;
    browser.close().await;
    assert_eq!(params["state"], STATE, "{params:?}");
    assert!(params.contains_key("code"), "{params:?}");
    let (status, tokens) =
        exchange_for(&setup.app, "browserClient", &params["code"], CLIENT_SECRET, setup.callback.as_str()).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(setup.app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap().len(), 1);

    // The IdP vouches for a customer whose CI is not the one the operator named.
    let browser = Session::open(&driver).await;
    setup.sign_in(&setup.app, &browser, STRANGER).await;
    let params = setup.callback().await;
    browser.close().await;
    assert_eq!(params["error"], "unauthorized_user", "{params:?}");
    assert_eq!(params["state"], STATE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_replayed_or_foreign_id_token_signs_nobody_in() {
    if node_missing() {
        return;
    }
    let driver = start_driver().await;
    let mut setup = setup().await;

    // The first ID token the proxy sees is this sign-in's own (refused: another issuer expected).
    let browser = Session::open(&driver).await;
    setup.sign_in(&setup.elsewhere, &browser, CUSTOMER).await;
    let params = setup.callback().await;
    browser.close().await;
    assert_eq!(params["error"], "access_denied", "a token of another issuer: {params:?}");
    nothing_recorded(&setup.elsewhere).await;

    for (tamper, what) in [(Tamper::CorruptSignature, "a bad signature"), (Tamper::ReplayFirst, "a replayed nonce")] {
        *setup.tamper.lock().unwrap() = tamper;
        let browser = Session::open(&driver).await;
        setup.sign_in(&setup.app, &browser, CUSTOMER).await;
        let params = setup.callback().await;
        browser.close().await;
        assert_eq!(params["error"], "access_denied", "{what}: {params:?}");
        assert_eq!(params["state"], STATE);
        nothing_recorded(&setup.app).await;
    }
}

#[tokio::test]
async fn a_return_from_the_login_without_the_browser_that_started_it_is_refused() {
    if node_missing() {
        return;
    }
    let setup = setup().await;
    let app = &setup.app;
    let started = authorize(app, &authorize_query(None), Some(CI)).await;
    let page = location(&started);
    let handle = page.rsplit('/').next().unwrap();
    // Someone who learned the page's address forges a return with a code of their own.
    let forged = http_no_redirects()
        .get(format!("{}{SIGN_IN_RETURN_PATH}?state={handle}&code=stolen", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 302);
    let params = callback_params(&location(&forged));
    assert_eq!(params["error"], "access_denied");
    nothing_recorded(app).await;
    let unknown = http_no_redirects()
        .get(format!("{}{SIGN_IN_RETURN_PATH}?state=nosuchpage&code=x", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}
