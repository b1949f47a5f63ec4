//! The portal from outside: 지원-001..006 over HTTP, on SQLite and PostgreSQL, each with valid and
//! invalid input; and the registry file's validation.

use mydata_portal::registry_file::{RegistryFile, import};
use mydata_portal::{Portal, router};
use mydata_spec::validate::{check_response, unnamed_fields};
use mydata_spec::{IssuerType, KnownApi, TranId};
use mydata_store::CallStats;
use mydata_store::testing::TestDatabase;
use mydata_store::{Backend, SqlStore, prelude::*};
use mydata_support::statistics::{mydata_report, provider_report};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
pub(crate) const BANK: (&str, &str) = ("bank000001support", "ChangeMeBankSupportSecret0001");
pub(crate) const OPERATOR: (&str, &str) = ("operat0001support", "ChangeMeOperatorSupportSecret01");
pub(crate) const CA: (&str, &str) = ("caorg00001support", "ChangeMeCaSupportSecret000001");

pub(crate) struct TestPortal {
    pub(crate) base: String,
    http: reqwest::Client,
    store: Arc<SqlStore>,
    backend: Backend,
    _db: TestDatabase,
}

fn example() -> RegistryFile {
    RegistryFile::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/registry.toml")).expect("example")
}

fn tran_id() -> String {
    TranId::generate("BANK000001", IssuerType::Provider).to_string()
}

pub(crate) async fn spawn(backend: Backend) -> TestPortal {
    let db = TestDatabase::new(backend).await;
    let store = Arc::new(db.open().await.expect("open"));
    import(store.as_ref(), &example(), 1_000).await.expect("import the example registry");
    let portal = Portal::new(store.clone(), "PORTAL0001", Duration::from_secs(3600)).await.expect("portal");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(portal)).await });
    TestPortal { base, http: reqwest::Client::new(), store, backend, _db: db }
}

impl TestPortal {
    async fn token_request(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/mgmts/oauth/2.0/token", self.base))
            .header("x-api-tran-id", tran_id())
            .form(form)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub(crate) async fn token(&self, (id, secret): (&str, &str)) -> String {
        let (status, body) = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
                ("scope", "manage"),
            ])
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("x-api-tran-id", tran_id())
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-api-tran-id", tran_id())
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

fn entry<'a>(list: &'a Value, org_code: &str) -> Option<&'a Value> {
    list["org_list"].as_array().unwrap().iter().find(|o| o["org_code"] == org_code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_go_only_to_registered_institutions_with_scope_manage() {
    for backend in BACKENDS {
        let portal = spawn(backend).await;
        let (status, body) = portal
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", BANK.0),
                ("client_secret", BANK.1),
                ("scope", "manage"),
            ])
            .await;
        assert_eq!(status, 200, "{backend:?} {body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "manage");
        assert_eq!(body["expires_in"], "3600");

        let refused = [
            (
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", BANK.0),
                    ("client_secret", "WrongSecret"),
                    ("scope", "manage"),
                ],
                400,
                "invalid_client",
            ),
            (
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", "nobody"),
                    ("client_secret", BANK.1),
                    ("scope", "manage"),
                ],
                400,
                "invalid_client",
            ),
            (
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", BANK.0),
                    ("client_secret", BANK.1),
                    ("scope", "bank.list"),
                ],
                400,
                "invalid_scope",
            ),
            (
                vec![("grant_type", "password"), ("client_id", BANK.0), ("client_secret", BANK.1), ("scope", "manage")],
                400,
                "unsupported_grant_type",
            ),
            (
                vec![("grant_type", "client_credentials"), ("client_id", BANK.0), ("scope", "manage")],
                400,
                "invalid_request",
            ),
            (
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", "bad id!"),
                    ("client_secret", BANK.1),
                    ("scope", "manage"),
                ],
                400,
                "invalid_request",
            ),
        ];
        for (form, expected_status, error) in refused {
            let (status, body) = portal.token_request(&form).await;
            assert_eq!((status, body["error"].as_str().unwrap()), (expected_status, error), "{backend:?} {form:?}");
            assert!(body["error_description"].is_string());
        }

        // Not a form, no x-api-tran-id, wrong method.
        let url = format!("{}/mgmts/oauth/2.0/token", portal.base);
        let json_body = portal
            .http
            .post(&url)
            .header("x-api-tran-id", tran_id())
            .json(&json!({"grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap();
        assert_eq!(json_body.status(), 400);
        assert_eq!(json_body.json::<Value>().await.unwrap()["error"], "invalid_request");
        let no_tran_id = portal.http.post(&url).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
        assert_eq!(no_tran_id.status(), 400);
        assert!(no_tran_id.headers().contains_key("x-api-tran-id"), "a generated x-api-tran-id comes back");
        assert_eq!(no_tran_id.json::<Value>().await.unwrap()["error"], "invalid_request");
        let get = portal.http.get(&url).header("x-api-tran-id", tran_id()).send().await.unwrap();
        assert_eq!(get.status(), 405);
        assert_eq!(get.json::<Value>().await.unwrap()["error"], "method_not_allowed");

        // An institution deleted from the registry loses its credentials at once.
        let mut without_bank = example();
        without_bank.orgs.retain(|o| o.org_code != "BANK000001");
        import(portal.store.as_ref(), &without_bank, 2_000).await.unwrap();
        let (status, body) = portal
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", BANK.0),
                ("client_secret", BANK.1),
                ("scope", "manage"),
            ])
            .await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")), "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn org_registry_reports_inserts_changes_and_deletions_since_the_search_timestamp() {
    for backend in BACKENDS {
        let portal = spawn(backend).await;
        let token = portal.token(BANK).await;
        let (status, first) = portal.get("/mgmts/orgs?search_timestamp=0", &token).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["rsp_code"], "00000");
        assert_eq!(first["org_cnt"], "4");
        let bank = entry(&first, "BANK000001").unwrap();
        assert_eq!(bank["op_type"], "I");
        assert_eq!(bank["org_type"], "01");
        assert_eq!(bank["industry"], "bank");
        assert_eq!(bank["domain_ip_cnt"], "2");
        assert_eq!(bank["domain_ip_list"][1]["domain_ip"], "203.0.113.11:443");
        assert_eq!(bank["np_time_list"][0]["np_time"], "0000:0600");
        assert!(bank.get("cp_code").is_none(), "지원-006 fields are not in 지원-002");
        assert_eq!(check_response(KnownApi::PortalOrgs.spec(), &first), [], "{first}");
        assert_eq!(unnamed_fields(KnownApi::PortalOrgs.spec(), &first), [], "{first}");
        assert!(bank.get("support_client_id").is_none(), "credentials are never listed");
        let since = first["search_timestamp"].as_str().unwrap().to_owned();
        assert_eq!(since.len(), 14);

        // Nothing changed since: an empty list.
        let (_, unchanged) = portal.get(&format!("/mgmts/orgs?search_timestamp={since}"), &token).await;
        let later = mydata_support::time::parse_search_timestamp(&since).unwrap() + 10;
        assert_eq!(unchanged["org_cnt"], "0", "{backend:?} {unchanged}");

        // Rename the operator, drop the CA, add a card company.
        let mut next = example();
        next.orgs.iter_mut().find(|o| o.org_code == "OPERAT0001").unwrap().org_name = "머니플래너(주)".into();
        next.orgs.retain(|o| o.org_code != "CAORG00001");
        let mut card = next.orgs.iter().find(|o| o.org_code == "BANK000001").unwrap().clone();
        card.org_code = "CARD000001".into();
        card.industry = Some("card".into());
        card.support_client_id = None;
        card.support_client_secret = None;
        next.orgs.push(card);
        let summary = import(portal.store.as_ref(), &next, later).await.unwrap();
        assert_eq!((summary.orgs_added, summary.orgs_changed, summary.orgs_deleted), (1, 1, 1));
        let (_, changes) = portal.get(&format!("/mgmts/orgs?search_timestamp={since}"), &token).await;
        assert_eq!(changes["org_cnt"], "3", "{backend:?} {changes}");
        assert_eq!(entry(&changes, "OPERAT0001").unwrap()["op_type"], "M");
        assert_eq!(entry(&changes, "OPERAT0001").unwrap()["org_name"], "머니플래너(주)");
        assert_eq!(entry(&changes, "CARD000001").unwrap()["op_type"], "I");
        assert_eq!(
            entry(&changes, "CAORG00001").unwrap(),
            &json!({"op_type": "D", "org_code": "CAORG00001", "org_type": "05"})
        );
        // A first caller hears nothing of the deleted institution.
        let (_, all) = portal.get("/mgmts/orgs?search_timestamp=0", &token).await;
        assert!(entry(&all, "CAORG00001").is_none());

        for (path, code) in [
            ("/mgmts/orgs", "40001"),
            ("/mgmts/orgs?search_timestamp=yesterday", "40001"),
            ("/mgmts/orgs?search_timestamp=20211301000000", "40001"),
        ] {
            let (status, body) = portal.get(path, &token).await;
            assert_eq!((status, body["rsp_code"].as_str().unwrap()), (400, code), "{path}");
        }
        let (status, body) = portal.get("/mgmts/orgs?search_timestamp=0", "not-a-token").await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (401, "40101"));
        let bare = portal
            .http
            .get(format!("{}/mgmts/orgs?search_timestamp=0", portal.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(bare.status(), 400, "x-api-tran-id is required");
        assert_eq!(bare.json::<Value>().await.unwrap()["rsp_code"], "40002");
        let (status, body) = portal.post("/mgmts/orgs", &token, &json!({})).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (405, "40501"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_go_to_providers_with_secrets_and_callback_urls() {
    for backend in BACKENDS {
        let portal = spawn(backend).await;
        let (status, body) = portal.get("/mgmts/services?search_timestamp=0", &portal.token(BANK).await).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["org_cnt"], "1");
        let operator = entry(&body, "OPERAT0001").unwrap();
        assert_eq!(operator["service_cnt"], "1");
        let service = &operator["service_list"][0];
        assert_eq!(service["op_type"], "I");
        assert_eq!(service["client_id"], "moneyplannerbook");
        assert_eq!(service["client_secret"], "ChangeMeServiceSecret00000000001");
        assert_eq!(service["redirect_uri_cnt"], "1");
        assert_eq!(service["redirect_uri_list"][0]["redirect_uri"], "https://app.moneyplanner.example/callback");
        assert_eq!(service["app_scheme_list"][0]["app_scheme"], "moneyplanner://auth");

        let (status, body) = portal.get("/mgmts/services?search_timestamp=0", &portal.token(OPERATOR).await).await;
        assert_eq!(
            (status, body["rsp_code"].as_str().unwrap()),
            (403, "40301"),
            "{backend:?}: operators get no secrets"
        );
        let (status, body) = portal.get("/mgmts/services?search_timestamp=-5", &portal.token(BANK).await).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (400, "40001"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certification_authorities_get_their_own_view_of_the_registry() {
    for backend in BACKENDS {
        let portal = spawn(backend).await;
        let (status, body) = portal.get("/mgmts/orgs_for_ca?search_timestamp=0", &portal.token(CA).await).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["org_cnt"], "2", "{backend:?}: providers, operators and relays only");
        let bank = entry(&body, "BANK000001").unwrap();
        assert_eq!(bank["cp_code"], "BANKCP000001");
        assert_eq!(bank["server_cert_issuer_dn"], "cn=yessignCA,ou=AccreditedCA,o=yessign,c=kr");
        assert_eq!(bank["ip_cnt"], "1");
        assert!(bank.get("industry").is_none(), "지원-002 fields are not in 지원-006");
        let operator = entry(&body, "OPERAT0001").unwrap();
        assert!(operator.get("ip_list").is_none() && operator.get("cp_code").is_none());
        assert_eq!(operator["domain"], "api.moneyplanner.example");
        assert_eq!(check_response(KnownApi::PortalOrgsForCa.spec(), &body), [], "{body}");
        assert_eq!(unnamed_fields(KnownApi::PortalOrgsForCa.spec(), &body), [], "{body}");

        let (status, body) = portal.get("/mgmts/orgs_for_ca?search_timestamp=0", &portal.token(BANK).await).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (403, "40301"));
        let (status, body) = portal.get("/mgmts/orgs_for_ca", &portal.token(CA).await).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (400, "40001"));
    }
}

fn cell(api_code: &str, day: &str, slot: &str, success: i64, fail: i64) -> CallStats {
    CallStats {
        org_code: "BANK000001".into(),
        client_id: "moneyplannerbook".into(),
        api_code: api_code.into(),
        stat_type: "2".into(),
        stat_date: day.into(),
        tm_slot: slot.into(),
        success_cnt: success,
        fail_cnt: fail,
        rsp_total_ms: 10 * (success + fail),
        rsp_square_total: 100 * (success + fail),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_statistics_are_checked_and_kept() {
    for backend in BACKENDS {
        let portal = spawn(backend).await;
        let token = portal.token(BANK).await;
        let cells = [cell("BA01", "20210906", "00", 5, 1), cell("BA02", "20210911", "01", 2, 0)];
        let report = provider_report("2", "20210912", None, &cells, &[], &|_| "OPERAT0001".into()).unwrap();
        // Numbers are taken as their text (첨부2) and kept as the standard sends them.
        let mut numbers = report.clone();
        numbers["type"] = json!(2);
        numbers["stat_date_list"][1]["mydata_svc_cnt"] = json!(1);
        let (status, body) = portal.post("/mgmts/statistics/provider", &token, &numbers).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (200, "00000"), "{backend:?} {body}");
        let kept = portal.store.received_statistics(Some("지원-005")).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            (kept[0].subject.as_str(), kept[0].stat_type.as_str(), kept[0].inquiry_date.as_str()),
            ("BANK000001", "2", "20210912")
        );
        assert_eq!(kept[0].body, report);

        // Each refused, its message naming the field and the rule.
        let broken: Vec<(&str, Value)> = vec![
            ("inquiry_date must be a Sunday", {
                let mut r = report.clone();
                r["inquiry_date"] = "20210913".into();
                r
            }),
            ("stat_date_cnt: says 6 but stat_date_list holds 7", {
                let mut r = report.clone();
                r["stat_date_cnt"] = "6".into();
                r
            }),
            ("type: N(1) \"3\" is not one of its codes (1, 2)", {
                let mut r = report.clone();
                r["type"] = "3".into();
                r
            }),
            ("tm_slot must be 00 or 01 (첨부11)", {
                let mut r = report.clone();
                r["stat_date_list"][1]["mydata_svc_list"][0]["api_type_list"][0]["tm_slot_list"][0]["tm_slot"] =
                    "02".into();
                r
            }),
            ("stat_date_list must be the seven days 20210905..20210911", {
                let mut r = report.clone();
                r["stat_date_list"][0]["stat_date"] = "20210904".into();
                r
            }),
            ("org_code NOBODY0001 is not a registered institution", {
                let mut r = report.clone();
                r["stat_date_list"][1]["mydata_svc_list"][0]["org_code"] = "NOBODY0001".into();
                r
            }),
            ("consent_new, consent_revoke and consent_own are not sent with type 1", {
                let mut r = report.clone();
                r["type"] = "1".into();
                r["stat_date_list"][1]["mydata_svc_list"][0]["consent_new"] = "1".into();
                r
            }),
            ("BANK000001 may not report for org_code OPERAT0001", {
                let mut r = report.clone();
                r["org_code"] = "OPERAT0001".into();
                r
            }),
            ("stat_date_list[1].mydata_svc_cnt: says 2 but mydata_svc_list holds 1", {
                let mut r = report.clone();
                r["stat_date_list"][1]["mydata_svc_cnt"] = "2".into();
                r
            }),
            ("stat_date_list[1].mydata_svc_list[0].colour: is not a field of the table", {
                let mut r = report.clone();
                r["stat_date_list"][1]["mydata_svc_list"][0]["colour"] = "red".into();
                r
            }),
            ("stat_date_list: is required", json!({"type": "2", "inquiry_date": "20210912", "stat_date_cnt": "7"})),
        ];
        for (rule, body) in broken {
            let (status, answer) = portal.post("/mgmts/statistics/provider", &token, &body).await;
            assert_eq!((status, answer["rsp_code"].as_str().unwrap()), (400, "40001"), "{backend:?} {rule}: {answer}");
            assert_eq!(answer["rsp_msg"], format!("요청 파라미터 오류 ({rule})"), "{backend:?}");
        }
        let not_json = portal
            .http
            .post(format!("{}/mgmts/statistics/provider", portal.base))
            .header("x-api-tran-id", tran_id())
            .bearer_auth(&token)
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(not_json.status(), 400);

        let (status, answer) = portal.post("/mgmts/statistics/provider", &portal.token(OPERATOR).await, &report).await;
        assert_eq!((status, answer["rsp_code"].as_str().unwrap()), (403, "40301"));
        let (status, answer) = portal.post("/mgmts/statistics/provider", "expired", &report).await;
        assert_eq!((status, answer["rsp_code"].as_str().unwrap()), (401, "40101"));
        assert_eq!(portal.store.received_statistics(None).await.unwrap().len(), 1, "nothing invalid was kept");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_statistics_name_a_registered_service() {
    for backend in BACKENDS {
        let portal = spawn(backend).await;
        let token = portal.token(OPERATOR).await;
        let report =
            mydata_report("2", "20210912", "moneyplannerbook", &[cell("BA01", "20210907", "00", 3, 0)]).unwrap();
        let (status, body) = portal.post("/mgmts/statistics/mydata", &token, &report).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (200, "00000"), "{backend:?} {body}");
        // A resend replaces the earlier report.
        portal.post("/mgmts/statistics/mydata", &token, &report).await;
        let kept = portal.store.received_statistics(Some("지원-004")).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].subject, "moneyplannerbook");

        let mut foreign = report.clone();
        foreign["client_id"] = "someoneelse".into();
        let (status, body) = portal.post("/mgmts/statistics/mydata", &token, &foreign).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (400, "40001"));
        let mut no_avg = report.clone();
        no_avg["stat_date_list"][2]["org_list"][0]["api_type_list"][0]["tm_slot_list"][0]
            .as_object_mut()
            .unwrap()
            .remove("rsp_avg");
        let (status, body) = portal.post("/mgmts/statistics/mydata", &token, &no_avg).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (400, "40001"), "{body}");
        let (status, body) = portal.post("/mgmts/statistics/mydata", &portal.token(BANK).await, &report).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (403, "40301"));
        // A report over the body limit is a parameter 첨부1 cannot take (40001), in its envelope.
        let mut huge = report.clone();
        huge["padding"] = "x".repeat(3 << 20).into();
        let (status, body) = portal.post("/mgmts/statistics/mydata", &token, &huge).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (400, "40001"), "{body}");
        assert!(body["rsp_msg"].as_str().unwrap().contains("length limit"), "{body}");
    }
}

#[test]
fn the_example_registry_is_valid() {
    assert_eq!(example().problems(), Vec::<String>::new());
}

#[test]
fn registry_files_with_mistakes_are_refused_with_every_problem_named() {
    let text = r#"
        [[org]]
        org_code = "bank1"
        org_type = "01"
        org_name = "은행"
        industry = "banking"
        domain = "ftp://files.example"
        np_times = ["0000:0100"]
        domain_ips = ["300.1.1.1"]

        cert_issuer_dn = "yessign"

        [[org]]
        org_code = "OPERAT0001"
        org_type = "09"
        org_name = "사업자"
        domain = "api.example"
        support_client_id = "only-id"

        [[org]]
        org_code = "OPERAT0002"
        org_type = "03"
        org_name = "사업자"
        domain = "api.example"
        industry = "bank"
        np_times = ["0000:0600"]
        cp_code = "CP0000000001"

        [[service]]
        org_code = "OPERAT0001"
        service_name = "앱"
        client_id = "app1"
        client_secret = "secret"
        redirect_uris = ["not a url"]
    "#;
    let file: RegistryFile = toml::from_str(text).unwrap();
    let problems = file.problems().join("\n");
    for expected in [
        "org bank1: org_code must be 10 capital letters or digits",
        "industry \"banking\"",
        "domain \"ftp://files.example\" must be an http(s) host",
        "np_times must be one to three windows of six hours or more in total",
        "domain_ip \"300.1.1.1\"",
        "org_type \"09\" is not one of",
        "support_client_id and support_client_secret go together",
        "org_code OPERAT0001 is not a MyData operator",
        "redirect_uri \"not a url\"",
        "org bank1: cert_issuer_dn: is sent only when org_type is 05",
        "org OPERAT0002: industry: is sent only when org_type is 01 or 02",
        "org OPERAT0002: np_times: is sent only when org_type is 01 or 02",
        "org OPERAT0002: cp_code: is sent only when org_type is 01, 02 or 04",
    ] {
        assert!(problems.contains(expected), "missing {expected:?} in:\n{problems}");
    }
    assert!(!problems.contains("np_time_cnt"), "a refused list is named once, not by its count:\n{problems}");
    assert!(
        toml::from_str::<RegistryFile>("[[org]]\norg_code = \"X\"\ncolour = \"red\"").is_err(),
        "unknown keys are refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_registry_changes_nothing_and_an_unchanged_one_reports_nothing() {
    for backend in BACKENDS {
        let portal = spawn(backend).await;
        let mut bad = example();
        bad.orgs[1].industry = Some("moon".into());
        assert!(import(portal.store.as_ref(), &bad, 5_000).await.is_err());
        let summary = import(portal.store.as_ref(), &example(), 6_000).await.unwrap();
        assert_eq!(summary, Default::default(), "{backend:?}: re-importing the same file changes nothing");
        assert!(portal.store.portal_orgs_changed_since(5_000).await.unwrap().is_empty());
        let _ = portal.backend;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_learns_the_providers_endpoints_from_the_registry() {
    use mydata_support::portal_client::{PortalAccount, PortalClient};
    use mydata_support::sync::{RegistrySync, providers};
    for backend in BACKENDS {
        let portal = spawn(backend).await;
        let operator_db = TestDatabase::new(backend).await;
        let operator_store: Arc<dyn Store> = Arc::new(operator_db.open().await.unwrap());
        let client = PortalClient::new(PortalAccount {
            base_url: portal.base.clone(),
            client_id: OPERATOR.0.into(),
            client_secret: OPERATOR.1.into(),
            org_code: "OPERAT0001".into(),
            issuer: IssuerType::Operator,
        });
        let sync = RegistrySync::for_operator(operator_store.clone(), Arc::new(client));
        let summary = sync.refresh().await.expect("an operator pulls institutions only");
        assert_eq!((summary.orgs_upserted, summary.clients_upserted), (4, 0), "{backend:?}");
        let endpoints = providers(operator_store.as_ref()).await.unwrap();
        assert_eq!(endpoints.len(), 1);
        assert_eq!(endpoints[0].org_code, "BANK000001");
        assert_eq!(endpoints[0].industry, "bank");
        assert_eq!(endpoints[0].base_url, "https://api.hanbit-bank.example");

        // Wrong credentials: the sync fails and keeps nothing new.
        let stranger = PortalClient::new(PortalAccount {
            base_url: portal.base.clone(),
            client_id: OPERATOR.0.into(),
            client_secret: "WrongSecret".into(),
            org_code: "OPERAT0001".into(),
            issuer: IssuerType::Operator,
        });
        let refused = RegistrySync::for_operator(operator_store.clone(), Arc::new(stranger)).refresh().await;
        assert!(refused.is_err(), "{backend:?}");
    }
}
