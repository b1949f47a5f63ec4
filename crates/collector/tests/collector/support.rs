//! The operator's support side from outside: a real portal (mydata-portal) and real providers on
//! their own ports, the operator's 지원-101..104 on another. 지원-103 answers exactly a customer's
//! live consents; the 지원-004 the operator sends after real collections counts exactly the calls its
//! client made (as the providers counted them too); over mutual TLS only the portal's certificate
//! reaches the operator's support APIs.

use crate::common;

use chrono::Utc;
use common::*;
use mydata_client::{Client, Credentials};
use mydata_collector::{CollectorConfig, OperatorStore, OperatorSupport, Summary};
use mydata_pki::{ClientAuth, ClientTls, TestPki};
use mydata_portal::registry_file::{OrgEntry, RegistryFile, import};
use mydata_portal::{Portal, router as portal_router};
use mydata_provider::demo_orgs;
use mydata_spec::validate::{check_request_body, check_response};
use mydata_spec::{IssuerType, KnownApi};
use mydata_store::testing::TestDatabase;
use mydata_store::{Backend, SqlStore};
use mydata_support::participant::PortalCredential;
use mydata_support::portal_client::PortalAccount;
use mydata_support::secret::hash_client_secret;
use mydata_support::statistics::inquiry_date_after;
use mydata_support::testing::{PORTAL, PortalCaller, call_counts, received_reports};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
/// The operator's 지원-001 credentials in the example registry.
const OPERATOR_SUPPORT: (&str, &str) = ("operat0001support", "ChangeMeOperatorSupportSecret01");
/// The "지원API 제공용 자격증명" the portal presents to the operator's 지원-101.
const PORTAL_CALLER: (&str, &str) = ("portalcaller01", "PortalCallsOperatorSecret0001");

/// The example registry with every demo institution as a provider at `base`, the collector
/// harness's client as the operator's service, and `serial_num` as `serial` gives it.
fn registry(base: &str, serial: &dyn Fn(&str) -> Option<String>) -> RegistryFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/registry.toml");
    let mut file = RegistryFile::read(&path).expect("the example registry");
    file.orgs.retain(|o| o.org_type != "01");
    for org in &mut file.orgs {
        org.serial_num = serial(&org.org_code);
    }
    file.orgs.extend(demo_orgs().into_iter().map(|org| OrgEntry {
        org_type: "01".into(),
        org_name: org.industry.korean().into(),
        domain: Some(base.into()),
        industry: Some(org.industry.to_string()),
        auth_type: Some("03".into()),
        np_times: vec!["0000:2330".into()],
        serial_num: serial(&org.org_code),
        org_code: org.org_code,
        ..Default::default()
    }));
    file.services[0].client_id = CLIENT_ID.into();
    file.services[0].client_secret = CLIENT_SECRET.into();
    file
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// A portal whose registry is [`registry`] over `backend`; with `tls`, it serves mutual TLS and
/// checks callers' SERIALNUMBER. Returns its store and base URL.
async fn spawn_portal(backend: Backend, file: &RegistryFile, tls: Option<Arc<rustls::ServerConfig>>) -> RunningPortal {
    let db = TestDatabase::new(backend).await;
    let store = Arc::new(db.open().await.unwrap());
    import(store.as_ref(), file, Utc::now().timestamp() - 60).await.unwrap();
    let portal = Portal::new_with_transport(store.clone(), PORTAL, Duration::from_secs(3600), tls.is_some());
    let app = portal_router(portal.await.unwrap());
    let base = match tls {
        None => serve(app).await,
        Some(tls) => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("https://localhost:{}", listener.local_addr().unwrap().port());
            tokio::spawn(mydata_web::tls::serve_tls(listener, tls, app, std::future::pending()));
            base
        }
    };
    RunningPortal { base, store, _db: db }
}

struct RunningPortal {
    base: String,
    store: Arc<SqlStore>,
    _db: TestDatabase,
}

/// The operator as a running server: its store, its support side connected to `portal`, and its
/// 지원-101..104 called as the portal calls them.
struct Operator {
    portal: PortalCaller,
    store: OperatorStore,
    support: Arc<OperatorSupport>,
    _db: TestDatabase,
}

async fn operator_linked_to(backend: Backend, portal: &str) -> Operator {
    let (db, store) = operator(backend).await;
    let support = Arc::new(OperatorSupport::start(store.clone(), OPERATOR).await.unwrap());
    support.accept_portal(PortalCredential {
        portal_org_code: PORTAL.into(),
        client_id: PORTAL_CALLER.0.into(),
        secret_hash: hash_client_secret(PORTAL_CALLER.1),
    });
    support.connect_portal(account(portal), None);
    let portal = PortalCaller::new(serve(support.routes(false)).await, reqwest::Client::new());
    Operator { portal, store, support, _db: db }
}

fn account(portal: &str) -> PortalAccount {
    PortalAccount {
        base_url: portal.into(),
        client_id: OPERATOR_SUPPORT.0.into(),
        client_secret: OPERATOR_SUPPORT.1.into(),
        org_code: OPERATOR.into(),
        issuer: IssuerType::Operator,
    }
}

impl Operator {
    async fn manage_token(&self) -> String {
        self.portal.manage_token(PORTAL_CALLER).await
    }

    async fn consents(&self, token: &str, body: &Value) -> (u16, Value) {
        self.portal.post("/mgmts/consents", token, body).await
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.portal.get(path, token).await
    }

    /// A collection run whose calls are counted for 지원-004.
    async fn collect(&self) -> Summary {
        let mut config = CollectorConfig::new(OPERATOR);
        config.statistics = Some(self.support.calls.clone());
        mydata_collector::Collector::new(self.store.clone(), config).run().await.expect("a collection run")
    }
}

fn service() -> Credentials {
    Credentials { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_answers_the_portal_s_support_calls_and_refuses_bad_input() {
    let providers = providers(people(1)).await;
    for backend in BACKENDS {
        let portal = spawn_portal(backend, &registry(&providers.base, &|_| None), None).await;
        let op = operator_linked_to(backend, &portal.base).await;
        // 지원-101: only the portal's credential (the operator's own toward the portal is not it).
        for credential in [(PORTAL_CALLER.0, "WrongSecret"), OPERATOR_SUPPORT] {
            let (status, body) = op.portal.token(credential).await;
            assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")), "{backend:?} {credential:?}");
        }
        let token = op.manage_token().await;

        // 지원-102 is the providers' API.
        let (status, body) = op.get(&format!("/mgmts/status?org_code={OPERATOR}"), &token).await;
        assert_eq!((status, body["rsp_code"].as_str()), (404, Some("40401")), "{backend:?} {body}");

        // 지원-103.
        let member = &providers.people[0];
        op.store.set_customer_ci(&member.customer_id, &member.ci, 0).await.unwrap();
        let (status, body) = op.consents(&token, &json!({"org_code": OPERATOR, "user_ci": member.ci})).await;
        assert_eq!(
            (status, body["is_member"].as_str(), body["service_cnt"].as_str()),
            (200, Some("true"), Some("0")),
            "{backend:?}: a member without consents: {body}"
        );
        let (status, body) = op.consents(&token, &json!({"org_code": OPERATOR, "user_ci": "Tm9ib2R5"})).await;
        assert_eq!((status, body["is_member"].as_str()), (200, Some("false")), "{body}");
        assert!(body.get("service_cnt").is_none(), "nothing else for a non-member: {body}");
        for (request, status_code, rsp_code) in [
            (json!({"org_code": OPERATOR}), 400, "40001"),
            (json!({"user_ci": member.ci}), 400, "40001"),
            (json!({"org_code": "BANK000001", "user_ci": member.ci}), 403, "40303"),
            (json!({"org_code": OPERATOR, "user_ci": ["not", "a", "string"]}), 400, "40001"),
            (json!(["not an object"]), 400, "40001"),
        ] {
            let (status, body) = op.consents(&token, &request).await;
            assert_eq!((status, body["rsp_code"].as_str().unwrap()), (status_code, rsp_code), "{request}: {body}");
        }
        let (status, body) = op.consents("forged", &json!({"org_code": OPERATOR, "user_ci": member.ci})).await;
        assert_eq!((status, body["rsp_code"].as_str()), (401, Some("40101")));
        let untagged = op.portal.http.post(format!("{}/mgmts/consents", op.portal.base)).bearer_auth(&token);
        let untagged = untagged.send().await.unwrap();
        assert_eq!(untagged.status(), 400, "x-api-tran-id is required");
        assert_eq!(untagged.json::<Value>().await.unwrap()["rsp_code"], "40002");
        let (status, _) = op.get("/mgmts/consents", &token).await;
        assert_eq!(status, 405);

        // 지원-104: an operator is asked as org_type 01, for a Sunday, type 0, 1 or 2.
        let resend = |query: &str| format!("/mgmts/req-statistics?org_code={OPERATOR}&{query}");
        for (query, status_code, rsp_code) in [
            ("org_type=03&inquiry_date=20210912&type=0", 400, "40001"),
            ("org_type=01&inquiry_date=20210913&type=0", 400, "40001"),
            ("org_type=01&inquiry_date=20210912&type=3", 400, "40001"),
            ("org_type=01&type=1", 400, "40001"),
        ] {
            let (status, body) = op.get(&resend(query), &token).await;
            assert_eq!((status, body["rsp_code"].as_str().unwrap()), (status_code, rsp_code), "{query}: {body}");
        }
        let (status, body) =
            op.get("/mgmts/req-statistics?org_code=BANK000001&org_type=01&inquiry_date=20210912&type=0", &token).await;
        assert_eq!((status, body["rsp_code"].as_str()), (403, Some("40303")));
        let (status, body) = op.get(&resend("org_type=01&inquiry_date=20210912&type=0"), &token).await;
        assert_eq!((status, body["rsp_code"].as_str()), (200, Some("00000")), "{backend:?} {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_103_answers_exactly_the_customer_s_live_consents() {
    let mut providers = providers(people(2)).await;
    let portal = spawn_portal(Backend::Sqlite, &registry(&providers.base, &|_| None), None).await;
    for backend in BACKENDS {
        let op = operator_linked_to(backend, &portal.base).await;
        providers.consent_everywhere(&op.store).await;
        for who in &providers.people {
            op.store.set_customer_ci(&who.customer_id, &who.ci, 0).await.unwrap();
        }
        // The first collection reads each consent's end date (공통-002).
        op.collect().await;
        let token = op.manage_token().await;
        let today = today().format("%Y%m%d").to_string();
        let listed = |body: &Value| -> BTreeMap<String, Value> {
            assert_eq!(body["service_cnt"], "1", "{body}");
            let service = &body["service_list"][0];
            assert_eq!(service["client_id"], CLIENT_ID);
            let list = service["consent_list"].as_array().unwrap();
            assert_eq!(service["consent_cnt"], list.len().to_string());
            list.iter().map(|c| (c["org_code"].as_str().unwrap().to_owned(), c.clone())).collect()
        };
        let (leaver, stayer) = (&providers.people[0], &providers.people[1]);
        let (status, body) = op.consents(&token, &json!({"org_code": OPERATOR, "user_ci": leaver.ci})).await;
        assert_eq!(status, 200, "{body}");
        let violations = check_response(KnownApi::ParticipantConsents.spec(), &body);
        assert!(violations.is_empty(), "{backend:?}: {violations:?}");
        let consents = listed(&body);
        assert_eq!(consents.len(), demo_orgs().len(), "{backend:?}: one consent per provider");
        for org in demo_orgs() {
            let given = &providers.consents[&(org.org_code.clone(), leaver.customer_id.clone())];
            let answered = &consents[&org.org_code];
            assert_eq!(answered["scope"], given.scopes.to_string());
            assert_eq!(answered["consent_date"], today.as_str());
            assert_eq!(answered["consent_end_date"], given.end_date.format("%Y%m%d").to_string());
        }

        // The leaver withdraws the bank consent (개별인증-004); the next collection sees it revoked.
        let link = op.store.link(&leaver.customer_id, "BANK000001").await.unwrap().unwrap();
        Client::new(OPERATOR)
            .revoke(&providers.base, "BANK000001", &service(), &link.tokens.access_token)
            .await
            .expect("revoked at the provider");
        let summary = op.collect().await;
        assert_eq!(summary.stopped.get("revoked"), Some(&1), "{summary:?}");
        let (_, body) = op.consents(&token, &json!({"org_code": OPERATOR, "user_ci": leaver.ci})).await;
        let consents = listed(&body);
        assert_eq!(consents.len(), demo_orgs().len() - 1, "{backend:?}: the revoked consent is gone: {body}");
        assert!(!consents.contains_key("BANK000001"));
        let (_, body) = op.consents(&token, &json!({"org_code": OPERATOR, "user_ci": stayer.ci})).await;
        assert_eq!(listed(&body).len(), demo_orgs().len(), "{backend:?}: the other customer keeps every consent");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statistics_sent_after_real_collections_count_exactly_the_calls_made() {
    for backend in BACKENDS {
        let mut providers = providers(people(1)).await;
        let portal = spawn_portal(backend, &registry(&providers.base, &|_| None), None).await;
        let op = operator_linked_to(backend, &portal.base).await;
        // The providers come from the registry; the consents are the harness's.
        let learned = op.support.learn_providers(&service()).await.expect("the registry");
        assert_eq!(learned.providers, demo_orgs().len());
        providers.consent_everywhere(&op.store).await;
        let first = op.collect().await;
        let second = op.collect().await;
        assert!(first.calls > 100 && second.calls > 0, "{first:?} {second:?}");

        // The portal asks for this week again (지원-104); the operator sends 지원-004, both types.
        let today = today();
        let inquiry_date = inquiry_date_after(today).format("%Y%m%d").to_string();
        let token = op.manage_token().await;
        let path = format!("/mgmts/req-statistics?org_code={OPERATOR}&org_type=01&inquiry_date={inquiry_date}&type=0");
        let (status, body) = op.get(&path, &token).await;
        assert_eq!((status, body["rsp_code"].as_str()), (200, Some("00000")), "{body}");
        let reports = received_reports(portal.store.as_ref(), "지원-004", 2).await;
        assert_eq!(reports.len(), 2, "{backend:?}: the portal accepted one report per type");
        let report = |stat_type: &str| &reports.iter().find(|r| r.stat_type == stat_type).unwrap().body;
        for stat_type in ["1", "2"] {
            let violations = check_request_body(KnownApi::OperatorStatistics.spec(), report(stat_type));
            assert!(violations.is_empty(), "{backend:?} type {stat_type}: {violations:?}");
            assert_eq!(report(stat_type)["client_id"], CLIENT_ID);
        }
        assert_eq!(reports[0].sender_org_code, OPERATOR);

        // The first collection is user-consent (type 2), the second scheduled (type 1): each
        // report counts exactly that run's calls …
        let day = today.format("%Y%m%d").to_string();
        let total =
            |counted: &BTreeMap<(String, String), (u64, u64)>| counted.values().map(|(s, f)| s + f).sum::<u64>();
        let (user, scheduled) = (call_counts(report("2"), &day), call_counts(report("1"), &day));
        assert_eq!(total(&user), first.calls, "{backend:?}: {first:?}");
        assert_eq!(total(&scheduled), second.calls, "{backend:?}: {second:?}");
        // … per provider, API and result, exactly as each provider counted the calls it answered
        // (its 지원-005, where the counterpart is the operator).
        let by_api = |counted: &BTreeMap<(String, String), (u64, u64)>, org: &str| -> BTreeMap<String, (u64, u64)> {
            counted.iter().filter(|((o, _), _)| o == org).map(|((_, api), n)| (api.clone(), *n)).collect()
        };
        for org in demo_orgs() {
            for (stat_type, counted) in [("2", &user), ("1", &scheduled)] {
                let support = &providers.provider.support;
                let theirs =
                    support.statistics_report(providers.store.as_ref(), &org.org_code, stat_type, &inquiry_date);
                let theirs = call_counts(&theirs.await.unwrap(), &day);
                assert_eq!(
                    by_api(counted, &org.org_code),
                    by_api(&theirs, OPERATOR),
                    "{backend:?} {} type {stat_type}",
                    org.org_code
                );
            }
        }
        // The consent counts (type 2 only): the harness recorded one consent per provider without
        // a token call, so each is owned, none given through 개별인증-002/통합인증-002, none withdrawn.
        let days = report("2")["stat_date_list"].as_array().unwrap();
        let today_entry = days.iter().find(|d| d["stat_date"] == day.as_str()).unwrap();
        let orgs = today_entry["org_list"].as_array().unwrap();
        assert_eq!(orgs.len(), demo_orgs().len(), "{backend:?}");
        for org in orgs {
            let counts = (&org["consent_new"], &org["consent_revoke"], &org["consent_own"]);
            assert_eq!(counts, (&json!("0"), &json!("0"), &json!("1")), "{backend:?}: {org}");
        }
        let scheduled_orgs =
            report("1")["stat_date_list"].as_array().unwrap().iter().flat_map(|d| d["org_list"].as_array().unwrap());
        assert!(
            scheduled_orgs.into_iter().all(|o| o.get("consent_own").is_none()),
            "{backend:?}: type 1 has no counts"
        );
        assert_eq!(op.support.calls.recorder.dropped() + op.support.calls.recorder.unattributed(), 0);
    }
}

/// Our PKI (the portal, the operator, a bank) and another CA's.
fn pkis() -> (TestPki, TestPki, [tempfile::TempDir; 2]) {
    let (ours, foreign) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let orgs = [PORTAL, OPERATOR, "BANK000001"].map(|o| o.parse().unwrap());
    let pki = TestPki::create(ours.path(), &orgs).unwrap();
    let other = TestPki::create(foreign.path(), &[PORTAL.parse().unwrap()]).unwrap();
    (pki, other, [ours, foreign])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_mutual_tls_only_the_portal_s_certificate_reaches_the_operator_s_support_apis() {
    let (pki, foreign, _dirs) = pkis();
    let serial = |org: &str| pki.org(org).map(|o| o.serial_number);
    let file = registry("https://localhost:1", &serial);
    let portal_tls = pki.server_tls(PORTAL).unwrap().rustls_config(ClientAuth::Optional).unwrap();
    let portal = spawn_portal(Backend::Sqlite, &file, Some(portal_tls)).await;

    let (_db, store) = operator(Backend::Sqlite).await;
    let support = OperatorSupport::start(store, OPERATOR).await.unwrap();
    support.accept_portal(PortalCredential {
        portal_org_code: PORTAL.into(),
        client_id: PORTAL_CALLER.0.into(),
        secret_hash: hash_client_secret(PORTAL_CALLER.1),
    });
    // The operator pulls the registry — the portal's SERIALNUMBER with it — with its own certificate.
    support.connect_portal(account(&portal.base), Some(pki.client_tls(OPERATOR).unwrap().rustls_config().unwrap()));
    support.learn_providers(&service()).await.expect("the registry over mutual TLS");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let tls = pki.server_tls(OPERATOR).unwrap().rustls_config(ClientAuth::Optional).unwrap();
    tokio::spawn(mydata_web::tls::serve_tls(listener, tls, support.routes(true), std::future::pending()));
    let caller = |tls: &ClientTls| PortalCaller::new(base.clone(), tls.reqwest_builder().unwrap().build().unwrap());
    let not_a_member = json!({"org_code": OPERATOR, "user_ci": "Tm9ib2R5"});
    let the_portal = caller(&pki.client_tls(PORTAL).unwrap());
    let token = the_portal.manage_token(PORTAL_CALLER).await;
    let (status, body) = the_portal.post("/mgmts/consents", &token, &not_a_member).await;
    assert_eq!((status, body["is_member"].as_str()), (200, Some("false")), "{body}");

    // No certificate (a browser), or a valid certificate of another institution: 40103 on the
    // managed APIs, unauthorized_client on 지원-101, whatever the credentials or token.
    for (who, tls) in
        [("no certificate", pki.anonymous_client_tls()), ("the bank", pki.client_tls("BANK000001").unwrap())]
    {
        let them = caller(&tls);
        let (status, body) = them.token(PORTAL_CALLER).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")), "{who}: {body}");
        let (status, body) = them.post("/mgmts/consents", &token, &not_a_member).await;
        assert_eq!((status, body["rsp_code"].as_str()), (401, Some("40103")), "{who}: {body}");
    }
    // The portal's SERIALNUMBER on a certificate of another CA: the handshake fails.
    let impostor = ClientTls { identity: foreign.client_tls(PORTAL).unwrap().identity, server_roots: pki.ca_cert() };
    let refused = caller(&impostor).token_response(PORTAL_CALLER).await.expect_err("no HTTP answer");
    assert!(refused.status().is_none(), "{refused}");
}
