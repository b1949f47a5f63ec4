//! 지원-101..104 as an operator mounts them: the reusable endpoint over HTTP with an operator's
//! answers, so that the operator-only paths (지원-103, org_type 01 resends) are exercised too.

use async_trait::async_trait;
use mydata_spec::{IssuerType, RspCode};
use mydata_store::Backend;
use mydata_store::testing::TestDatabase;
use mydata_support::participant::{
    Availability, ConsentSummary, Participant, PortalCredential, ResendOrgType, ResendRequest, ServiceConsents,
    SupportEndpoint, routes,
};
use mydata_support::secret::hash_client_secret;
use mydata_support::testing::PortalCaller;
use mydata_support::tokens::SupportTokens;
use mydata_web::ApiError;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const OPERATOR: &str = "OPERAT0001";
const MEMBER_CI: &str = "Q0lfbWVtYmVy";

/// An operator with one member who has one consent at one provider, remembering resend requests.
#[derive(Default)]
struct Operator {
    resends: Mutex<Vec<ResendRequest>>,
}

#[async_trait]
impl Participant for Operator {
    fn org_codes(&self) -> Vec<String> {
        vec![OPERATOR.into()]
    }

    fn is_provider(&self) -> bool {
        false
    }

    async fn availability(&self, _org_code: &str) -> Availability {
        Availability::Normal
    }

    async fn consents(&self, _org_code: &str, user_ci: &str) -> Result<Option<Vec<ServiceConsents>>, ApiError> {
        if user_ci != MEMBER_CI {
            return Ok(None);
        }
        Ok(Some(vec![ServiceConsents {
            client_id: "moneyplannerbook".into(),
            consents: vec![ConsentSummary {
                org_code: "BANK000001".into(),
                scope: "bank.list bank.deposit".into(),
                consent_date: "20210901".into(),
                consent_end_date: "20220901".into(),
            }],
        }]))
    }

    async fn resend_statistics(&self, request: ResendRequest) -> Result<(), ApiError> {
        self.resends.lock().unwrap().push(request);
        Ok(())
    }
}

struct Served {
    portal: PortalCaller,
    operator: Arc<Operator>,
    token: String,
    _db: TestDatabase,
}

async fn serve() -> Served {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.open().await.unwrap();
    let tokens = SupportTokens::open(&store, OPERATOR, Duration::from_secs(600)).await.unwrap();
    let operator = Arc::new(Operator::default());
    let endpoint = Arc::new(SupportEndpoint::new(tokens, operator.clone(), IssuerType::Operator));
    endpoint.set_portal_credential(Some(PortalCredential {
        portal_org_code: "PORTAL0001".into(),
        client_id: "portalcaller01".into(),
        secret_hash: hash_client_secret("PortalSecret01"),
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, routes(endpoint)).await });
    let portal = PortalCaller::new(base, reqwest::Client::new());
    let token = portal.manage_token(("portalcaller01", "PortalSecret01")).await;
    Served { portal, operator, token, _db: db }
}

impl Served {
    async fn consents(&self, body: &Value) -> (u16, Value) {
        self.portal.post("/mgmts/consents", &self.token, body).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.portal.get(path, &self.token).await
    }
}

#[tokio::test]
async fn an_operator_answers_a_customers_consents() {
    let s = serve().await;
    let (status, body) = s.consents(&json!({"org_code": OPERATOR, "user_ci": MEMBER_CI})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["is_member"], "true");
    assert_eq!(body["service_cnt"], "1");
    let service = &body["service_list"][0];
    assert_eq!(service["client_id"], "moneyplannerbook");
    assert_eq!(service["consent_cnt"], "1");
    assert_eq!(service["consent_list"][0]["scope"], "bank.list bank.deposit");
    assert_eq!(service["consent_list"][0]["consent_end_date"], "20220901");

    let (status, body) = s.consents(&json!({"org_code": OPERATOR, "user_ci": "Tm9ib2R5"})).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"rsp_code": "00000", "rsp_msg": RspCode::Success.message(), "is_member": "false"}));

    for (request, status_code, rsp_code) in [
        (json!({"org_code": OPERATOR}), 400, "40001"),
        (json!({"org_code": OPERATOR, "user_ci": "not base64!"}), 400, "40001"),
        (json!({"org_code": "BANK000001", "user_ci": MEMBER_CI}), 403, "40303"),
        (json!(["not", "an", "object"]), 400, "40001"),
    ] {
        let (status, body) = s.consents(&request).await;
        assert_eq!((status, body["rsp_code"].as_str().unwrap()), (status_code, rsp_code), "{request}");
    }
}

#[tokio::test]
async fn an_operator_takes_resend_requests_and_has_no_provider_status() {
    let s = serve().await;
    let (status, body) =
        s.get("/mgmts/req-statistics?org_code=OPERAT0001&org_type=01&inquiry_date=20210912&type=2").await;
    assert_eq!((status, body["rsp_code"].as_str().unwrap()), (200, "00000"), "{body}");
    let resends = s.operator.resends.lock().unwrap().clone();
    assert_eq!(
        resends,
        vec![ResendRequest {
            org_code: OPERATOR.into(),
            org_type: ResendOrgType::Operator,
            inquiry_date: "20210912".into(),
            stat_types: vec!["2"],
        }]
    );
    let (status, body) =
        s.get("/mgmts/req-statistics?org_code=OPERAT0001&org_type=03&inquiry_date=20210912&type=2").await;
    assert_eq!((status, body["rsp_code"].as_str().unwrap()), (400, "40001"), "a provider's org_type is refused");
    let (status, body) = s.get("/mgmts/status?org_code=OPERAT0001").await;
    assert_eq!((status, body["rsp_code"].as_str().unwrap()), (404, "40401"), "지원-102 is for providers");
    assert_eq!(s.operator.resends.lock().unwrap().len(), 1, "refused requests reach nobody");
}
