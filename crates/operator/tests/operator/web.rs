//! The operator's web face, black-box: spawned on a random port over HTTP beside a real provider
//! in-process (the provider tests' harness, with their registered client and customer), and driven
//! as a customer's browser drives it.

use crate::common;
use crate::integrated_common;
use crate::oauth_common;

use chrono::Utc;
use common::{BACKENDS, BANK, OPERATOR, TestApp, spawn};
use mydata_client::Credentials;
use mydata_collector::integrated::ConsentSigner;
use mydata_collector::store::ProviderRow;
use mydata_collector::{ConsentInfo, OperatorStore, OperatorSupport};
use mydata_operator::{Customer, CustomerSigning, OperatorConfig, OperatorWeb};
use mydata_pki::consent_signing::CustomerCertificate;
use mydata_store::Backend;
use mydata_store::prelude::*;
use mydata_store::testing::TestDatabase;
use oauth_common::{Browser, CI, CLIENT_ID, CLIENT_SECRET, CUSTOMER, REDIRECT, approve_deposit, http_no_redirects};
use std::sync::Arc;

const APP_SCHEME: &str = "mydataoperator://consent";

/// The operator's web face on a random port, with its own database on `backend`.
struct Operator {
    /// Where it listens. Providers know it by its public callback [`REDIRECT`] (as registered at the
    /// portal); the tests' browser follows that redirect here, as a reverse proxy would.
    base: String,
    store: OperatorStore,
    browser: reqwest::Client,
    _db: TestDatabase,
}

/// The operator of the provider tests' client, collecting from `provider`'s bank and offering its
/// customer a consent button there.
async fn spawn_operator(provider: &TestApp, backend: Backend) -> Operator {
    spawn_operator_signing(provider, backend, None).await
}

/// The same, offering 통합인증 with the customer signing through `signing`.
async fn spawn_operator_signing(
    provider: &TestApp,
    backend: Backend,
    signing: Option<Arc<dyn CustomerSigning>>,
) -> Operator {
    oauth_common::seed(provider).await;
    let db = TestDatabase::new(backend).await;
    let store = OperatorStore::on(&db.open().await.expect("operator database"));
    let bank = ProviderRow {
        org_code: BANK.into(),
        industry: "bank".into(),
        base_url: provider.base.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
    };
    store.upsert_provider(&bank, Utc::now().timestamp()).await.unwrap();
    let support = Arc::new(OperatorSupport::start(store.clone(), OPERATOR).await.unwrap());
    let config = OperatorConfig {
        org_code: OPERATOR.into(),
        service: Credentials { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() },
        redirect_uri: REDIRECT.into(),
        app_scheme: APP_SCHEME.into(),
        title: "operator tests".into(),
        tls: None,
    };
    let customers = vec![Customer { customer_id: CUSTOMER.into(), ci: CI.into() }];
    let web = OperatorWeb::new(config, store.clone(), support, vec![bank], customers);
    if let Some(signing) = signing {
        web.offer_integrated(signing);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = web.router(false);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Operator { base, store, browser: http_no_redirects(), _db: db }
}

impl Operator {
    async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.browser.get(format!("{}{path_and_query}", self.base)).send().await.unwrap()
    }

    /// Where the consent button sends the customer's browser: the provider's consent page.
    async fn connect(&self) -> String {
        let connect = self.get(&format!("/connect?customer={CUSTOMER}&org={BANK}")).await;
        assert!(connect.status().is_redirection(), "{}", connect.status());
        connect.headers()["location"].to_str().unwrap().to_owned()
    }

    /// The provider's redirect to [`REDIRECT`], followed to where the operator listens.
    async fn follow_callback(&self, location: &str) -> reqwest::Response {
        let query = location.strip_prefix(REDIRECT).unwrap_or_else(|| panic!("not to the callback: {location}"));
        self.get(&format!("/callback{query}")).await
    }
}

/// The customer signs in on the consent page `consent_page` and answers `decision` (`approve` or
/// `refuse`) to sending the 마이너스통장 1001001; returns where the provider sends the browser back.
async fn consent(provider: &TestApp, consent_page: &str, decision: &str) -> String {
    let path = consent_page.strip_prefix(&provider.base).expect("the provider's own page");
    let mut browser = Browser::new(provider);
    let signed_in = browser.post(&format!("{path}/sign-in"), &[("customer_id", CUSTOMER)]).await;
    assert_eq!(signed_in.status(), 303);
    let choices = approve_deposit();
    let choices: Vec<(&str, &str)> =
        choices.iter().map(|(k, v)| (*k, if *k == "decision" { decision } else { v.as_str() })).collect();
    let answered = browser.post(path, &choices).await;
    assert_eq!(answered.status(), 302);
    oauth_common::location(&answered)
}

#[tokio::test]
async fn the_consent_button_calls_the_provider_s_authorize_with_the_operator_s_request() {
    let provider = spawn(Backend::Sqlite).await;
    let operator = spawn_operator(&provider, Backend::Sqlite).await;
    let consent_page = operator.connect().await;
    let handle = consent_page
        .strip_prefix(&format!("{}/oauth/2.0/consent/", provider.base))
        .unwrap_or_else(|| panic!("the provider's consent page: {consent_page}"));
    // What the provider received with 개별인증-001.
    let digest = mydata_provider::oauth::digest(handle);
    let session = provider.store.auth_session(&digest).await.unwrap().expect("an authorization session");
    assert_eq!(session.org_code, BANK);
    assert_eq!(session.client_id, CLIENT_ID);
    assert_eq!(session.redirect_uri, REDIRECT);
    assert_eq!(session.app_scheme, APP_SCHEME);
    assert_eq!(session.user_ci, CI, "x-user-ci names the customer");
    assert!(session.tran_id.starts_with(OPERATOR), "the operator's x-api-tran-id: {}", session.tran_id);
    assert!(session.state.len() >= 16, "an unguessable state: {}", session.state);
    let page = reqwest::get(&consent_page).await.unwrap();
    assert_eq!(page.status(), 200);

    // Someone the operator does not know, or a provider it does not collect from, gets a page saying so.
    let stranger = operator.get(&format!("/connect?customer=stranger&org={BANK}")).await;
    assert_eq!(stranger.status(), 404);
    let text = stranger.text().await.unwrap();
    assert!(text.contains("알 수 없는 고객") && text.contains(CUSTOMER), "{text}");
    let nowhere = operator.get(&format!("/connect?customer={CUSTOMER}&org=CARD000001")).await;
    assert_eq!(nowhere.status(), 404);
    assert!(nowhere.text().await.unwrap().contains("알 수 없는 정보제공자"));
    // A link without the customer is a page naming what is missing, not the framework's line of text.
    let incomplete = operator.get(&format!("/connect?org={BANK}")).await;
    assert_eq!(incomplete.status(), 400);
    assert!(incomplete.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let text = incomplete.text().await.unwrap();
    assert!(
        text.contains("요청을 처리할 수 없습니다") && text.contains("요청에 고객 (customer) 항목이 없습니다"),
        "{text}"
    );
    // A method a page does not take is told in words too, its Allow header kept.
    let posted = operator.browser.post(format!("{}/connect", operator.base)).send().await.unwrap();
    assert_eq!(posted.status(), 405);
    assert_eq!(posted.headers()["allow"], "GET,HEAD");
    assert!(posted.text().await.unwrap().contains("이런 방식(HTTP method)의 요청을 받지 않습니다"));
    // A dashboard of someone the operator does not know says so; a signed-in customer without a
    // consent yet has an empty one.
    let stranger = operator.get("/dashboard?customer=stranger").await;
    assert_eq!(stranger.status(), 404);
    let text = stranger.text().await.unwrap();
    assert!(text.contains("알 수 없는 고객") && text.contains("stranger님은 이 운영자의 고객이 아닙니다"), "{text}");
    let own = operator.get(&format!("/dashboard?customer={CUSTOMER}")).await;
    assert_eq!(own.status(), 200);
    assert!(own.text().await.unwrap().contains("수집된 자산이 없습니다"));
    // A path nothing serves: a page for people, 40401 under the support APIs, JSON under the read API.
    let nowhere = operator.get("/nowhere").await;
    assert_eq!(nowhere.status(), 404);
    assert!(nowhere.text().await.unwrap().contains("<code>/nowhere</code>: 이 운영자에게 없는 페이지입니다"));
    let support = operator.get("/mgmts/nowhere").await;
    assert_eq!(support.status(), 404);
    assert_eq!(support.json::<serde_json::Value>().await.unwrap()["rsp_code"], "40401");
    let read_api = operator.get("/api/nowhere").await;
    assert_eq!(read_api.status(), 404);
    assert_eq!(
        read_api.json::<serde_json::Value>().await.unwrap()["error"],
        "/api/nowhere is not a path of the read API"
    );
}

#[tokio::test]
async fn a_callback_with_a_state_the_operator_did_not_issue_is_refused() {
    let provider = spawn(Backend::Sqlite).await;
    let operator = spawn_operator(&provider, Backend::Sqlite).await;
    let consent_page = operator.connect().await;
    let back = consent(&provider, &consent_page, "approve").await;
    let code = url::Url::parse(&back).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    for forged in [format!("?code={code}&state=forged"), format!("?code={code}")] {
        let refused = operator.get(&format!("/callback{forged}")).await;
        assert_eq!(refused.status(), 400, "{forged}");
        assert!(refused.text().await.unwrap().contains("state가 일치하지 않습니다"), "{forged}");
    }
    assert!(operator.store.links().await.unwrap().is_empty(), "no consent was recorded");
}

#[tokio::test]
async fn the_callback_completes_the_link_and_the_collect_page_shows_what_was_collected() {
    for backend in BACKENDS {
        let provider = spawn(backend).await;
        let operator = spawn_operator(&provider, backend).await;
        let front = operator.get("/").await.text().await.unwrap();
        assert!(front.contains(&format!("/connect?customer={CUSTOMER}&amp;org={BANK}")), "{front}");

        let consent_page = operator.connect().await;
        let back = consent(&provider, &consent_page, "approve").await;
        let connected = operator.follow_callback(&back).await;
        assert_eq!(connected.status(), 200, "{backend:?}");
        let page = connected.text().await.unwrap();
        assert!(page.contains("전송요구 완료") && page.contains("bank.list"), "{page}");
        let link = operator.store.link(CUSTOMER, BANK).await.unwrap().expect("the consent is recorded");
        assert!(link.tokens.scope.contains("bank.list"), "{:?}", link.tokens.scope);
        assert_eq!(operator.store.customer_of_ci(CI).await.unwrap().as_deref(), Some(CUSTOMER), "known by CI");
        // A state is good for one callback.
        assert_eq!(operator.follow_callback(&back).await.status(), 400);
        assert!(operator.get("/").await.text().await.unwrap().contains("전송요구 완료"));
        // An extension is offered in the consent's last month only (technical guideline 2022 ch.3).
        let end_in = |days| ConsentInfo {
            end_date: Some(
                (mydata_collector::rules::korean_today() + chrono::Days::new(days)).format("%Y%m%d").to_string(),
            ),
            ..link.consent.clone()
        };
        operator.store.set_consent_info(CUSTOMER, BANK, &end_in(100)).await.unwrap();
        assert!(!operator.get("/").await.text().await.unwrap().contains("기간 연장"));
        operator.store.set_consent_info(CUSTOMER, BANK, &end_in(20)).await.unwrap();
        assert!(operator.get("/").await.text().await.unwrap().contains("기간 연장"));
        operator.store.set_consent_info(CUSTOMER, BANK, &link.consent).await.unwrap();

        // Collecting changes what is stored, so it is a form's POST: the address alone shows the button.
        let button = operator.get("/collect").await;
        assert_eq!(button.status(), 200);
        assert!(button.text().await.unwrap().contains("<form method=\"post\" action=\"/collect\">"));
        assert!(operator.store.resources(CUSTOMER, BANK).await.unwrap().is_empty(), "nothing collected by a GET");
        let collected = operator.browser.post(format!("{}/collect", operator.base)).send().await.unwrap();
        assert_eq!(collected.status(), 200);
        let summary = collected.text().await.unwrap();
        assert!(summary.contains("수집 결과") && summary.contains(": 1 customers, 1 providers, "), "{summary}");
        // "… N calls, R rows stored\nunits: D done, …"
        let number_after = |text: &str| -> u64 {
            summary.split(text).nth(1).and_then(|s| s.split(' ').next()).unwrap().parse().unwrap()
        };
        let (rows_stored, units_done) = (number_after(" calls, "), number_after("units: "));
        assert!(rows_stored > 0 && units_done > 0, "{summary}");
        // The seeded accounts have no detail documents: those APIs answer 40402, and nothing else fails.
        let errors = summary.lines().find_map(|l| l.strip_prefix("errors by rsp_code: ")).unwrap_or("");
        assert!(errors.split(", ").all(|e| e.is_empty() || e.starts_with("40402 ")), "{summary}");
        let collected = operator.store.resources(CUSTOMER, BANK).await.unwrap();
        assert!(collected.iter().any(|r| r.body.to_string().contains("1001001")), "the consented account");
        // The front page names the institution (no registry here: its industry and org_code) and a
        // stopped consent's reason in words.
        let now = Utc::now().timestamp();
        operator.store.stop_link(CUSTOMER, BANK, &mydata_client::StopReason::ConsentEnded, now).await.unwrap();
        let front = operator.get("/").await.text().await.unwrap();
        assert!(front.contains(&format!("은행 {BANK} (은행)")), "{front}");
        assert!(front.contains("중단: 전송요구 기간 종료"), "{front}");
    }
}

#[tokio::test]
async fn a_refused_consent_is_told_to_the_customer_and_records_nothing() {
    let provider = spawn(Backend::Sqlite).await;
    let operator = spawn_operator(&provider, Backend::Sqlite).await;
    let consent_page = operator.connect().await;
    let back = consent(&provider, &consent_page, "refuse").await;
    let told = operator.follow_callback(&back).await;
    assert_eq!(told.status(), 200);
    let page = told.text().await.unwrap();
    assert!(page.contains("전송요구가 완료되지 않았습니다") && page.contains("access_denied"), "{page}");
    assert!(operator.store.links().await.unwrap().is_empty(), "no consent was recorded");
}

/// The customer's device in these tests: their certificate from the provider tests' CA.
struct Device(Arc<CustomerCertificate>);

#[async_trait::async_trait]
impl ConsentSigner for Device {
    async fn sign(&self, documents: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, String> {
        Ok(documents.iter().map(|d| self.0.sign(d)).collect())
    }
}

impl CustomerSigning for Device {
    fn signer(&self, customer_id: &str) -> Option<(Box<dyn ConsentSigner>, String)> {
        (customer_id == CUSTOMER)
            .then(|| (Box::new(Device(self.0.clone())) as Box<dyn ConsentSigner>, integrated_common::CA.to_owned()))
    }
}

#[tokio::test]
async fn the_integrated_page_links_the_chosen_providers_and_caps_a_selection_at_fifty() {
    for backend in BACKENDS {
        let provider = spawn(backend).await;
        let signing = integrated_common::trust_ca(&provider).await;
        let device: Arc<dyn CustomerSigning> = Arc::new(Device(Arc::new(signing.customer)));
        let operator = spawn_operator_signing(&provider, backend, Some(device)).await;
        let front = operator.get("/").await.text().await.unwrap();
        assert!(front.contains(&format!("/integrated?customer={CUSTOMER}")), "{front}");
        let form = operator.get(&format!("/integrated?customer={CUSTOMER}")).await.text().await.unwrap();
        assert!(form.contains(&format!("name=\"org\" value=\"{BANK}\"")) && form.contains("최대 50개"), "{form}");

        let post = |fields: Vec<(String, String)>| {
            operator.browser.post(format!("{}/integrated", operator.base)).form(&fields).send()
        };
        let customer = ("customer".to_owned(), CUSTOMER.to_owned());
        let orgs = |codes: Vec<String>| codes.into_iter().map(|c| ("org".to_owned(), c));
        // 51 providers in one bulk selection (기술 가이드라인 ch.4), none, an unknown one, an unknown customer.
        let fifty_one: Vec<(String, String)> =
            std::iter::once(customer.clone()).chain(orgs((0..51).map(|i| format!("BANK{i:06}")).collect())).collect();
        let refused = post(fifty_one).await.unwrap();
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("51개를 골랐습니다"));
        assert_eq!(post(vec![customer.clone()]).await.unwrap().status(), 400);
        let unknown = post(vec![customer.clone(), ("org".into(), "CARD000001".into())]).await.unwrap();
        assert_eq!(unknown.status(), 400);
        let stranger = post(vec![("customer".into(), "stranger".into()), ("org".into(), BANK.into())]).await.unwrap();
        assert_eq!(stranger.status(), 404);
        assert!(operator.store.links().await.unwrap().is_empty(), "{backend:?}: nothing recorded");

        let linked = post(vec![customer.clone(), ("org".into(), BANK.into())]).await.unwrap();
        assert_eq!(linked.status(), 200);
        let page = linked.text().await.unwrap();
        assert!(
            page.contains("1/1 기관 전송요구 완료") && page.contains("전송요구 완료 (자산 "),
            "{backend:?}: {page}"
        );
        let link = operator.store.link(CUSTOMER, BANK).await.unwrap().expect("the pair is recorded");
        assert!(
            link.tokens.scope.contains("bank.list") && link.tokens.scope.contains("bank.deposit"),
            "{:?}",
            link.tokens
        );
        assert_eq!(link.consent.fnd_cycle.as_deref(), Some("1/w"));
        assert_eq!(operator.store.customer_of_ci(CI).await.unwrap().as_deref(), Some(CUSTOMER));
        // The provider holds the consent the customer signed, with every asset listed.
        let consents = provider.store.consents_of_customer(BANK, CUSTOMER).await.unwrap();
        let live: Vec<_> = consents.iter().filter(|c| c.status == mydata_domain::ConsentStatus::Active).collect();
        assert!(!live.is_empty() && live.iter().any(|c| !c.assets.is_empty()), "{backend:?}: {consents:?}");

        // From the consent's last month, the page offers extending every live consent at once,
        // chosen already (technical guideline 2022 ch.3 라).
        let form = operator.get(&format!("/integrated?customer={CUSTOMER}")).await.text().await.unwrap();
        assert!(!form.contains(" checked") && !form.contains("한 번에 연장"), "{form}");
        let ending = (mydata_collector::rules::korean_today() + chrono::Days::new(10)).format("%Y%m%d").to_string();
        let info = ConsentInfo { end_date: Some(ending), ..link.consent.clone() };
        operator.store.set_consent_info(CUSTOMER, BANK, &info).await.unwrap();
        assert!(operator.get("/").await.text().await.unwrap().contains("통합인증으로 일괄 기간 연장"));
        let form = operator.get(&format!("/integrated?customer={CUSTOMER}")).await.text().await.unwrap();
        assert!(form.contains(&format!("value=\"{BANK}\" checked")) && form.contains("한 번에 연장"), "{form}");

        // Linking again is a second issuance: the page says the new pair replaces the one held.
        let again = post(vec![customer, ("org".into(), BANK.into())]).await.unwrap().text().await.unwrap();
        assert!(again.contains("이전 전송요구를 대신함"), "{again}");
    }
}

#[tokio::test]
async fn without_a_way_to_sign_the_integrated_page_refuses() {
    let provider = spawn(Backend::Sqlite).await;
    let operator = spawn_operator(&provider, Backend::Sqlite).await;
    let fields = [("customer", CUSTOMER), ("org", BANK)];
    let refused = operator.browser.post(format!("{}/integrated", operator.base)).form(&fields).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("인증서가 없습니다"));
    assert!(operator.store.links().await.unwrap().is_empty());
}
