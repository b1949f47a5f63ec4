//! 통합인증's resends against a provider that misbehaves (wiremock): a request without an answer is
//! sent again as it was, a refusal is not, and a resend refused as a replay is reported as
//! uncertain — the lost attempt may have been recorded. Nothing is recorded for any of them.

use async_trait::async_trait;
use chrono::{Days, NaiveDate};
use mydata_client::Client;
use mydata_client::integrated::ConsentTerms;
use mydata_collector::integrated::{
    ConsentSigner, IntegratedAuth, IntegratedConfig, IntegratedError, LinkOutcome, LinkingCustomer,
};
use mydata_collector::{OperatorStore, ProviderRow};
use mydata_store::Backend;
use mydata_store::testing::TestDatabase;
use serde_json::json;
use std::sync::Mutex;
use std::time::Duration;
use wiremock::matchers::{body_string_contains, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Signs nothing real (the mock verifies nothing) and counts its signing acts.
#[derive(Default)]
struct CountingSigner(Mutex<Vec<usize>>);

#[async_trait]
impl ConsentSigner for CountingSigner {
    async fn sign(&self, documents: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, String> {
        self.0.lock().unwrap().push(documents.len());
        Ok(documents.iter().map(|d| d.iter().rev().copied().collect()).collect())
    }
}

fn terms() -> ConsentTerms {
    ConsentTerms {
        fnd_cycle: Some("1/w".into()),
        add_cycle: None,
        end_date: mydata_collector::rules::korean_today() + Days::new(30),
        purpose: "test".into(),
        period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
    }
}

fn provider(org_code: &str, base_url: &str) -> ProviderRow {
    ProviderRow {
        org_code: org_code.into(),
        industry: "bank".into(),
        base_url: base_url.into(),
        client_id: "client".into(),
        client_secret: "secret".into(),
    }
}

async fn link(
    store: &OperatorStore,
    providers: &[ProviderRow],
    signer: &CountingSigner,
) -> Vec<(String, LinkOutcome, u32)> {
    let mut config = IntegratedConfig::new("OPERAT0001", "CA00000001", "operator.example");
    config.retry_delay = Duration::from_millis(10);
    let auth = IntegratedAuth::new(Client::with_timeout("OPERAT0001", Duration::from_secs(5)), store.clone(), config);
    let customer = LinkingCustomer { customer_id: "demo1".into(), ci: "DEMO-CI-demo1".into() };
    let outcomes = auth.link(&customer, providers, &terms(), signer).await.unwrap();
    outcomes.into_iter().map(|o| (o.org_code, o.outcome, o.attempts)).collect()
}

/// 첨부1's answer of a provider under load.
fn unavailable() -> ResponseTemplate {
    ResponseTemplate::new(503).set_body_json(json!({"error": "temporarily_unavailable", "error_description": "busy"}))
}

fn invalid_grant() -> ResponseTemplate {
    ResponseTemplate::new(400)
        .set_body_json(json!({"error": "invalid_grant", "error_description": "a nonce was used before"}))
}

#[tokio::test]
async fn lost_answers_are_resent_refusals_are_not_and_a_refused_resend_is_uncertain() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = OperatorStore::on(&db.open().await.unwrap());
    let (refusing, flaky, down) = (MockServer::start().await, MockServer::start().await, MockServer::start().await);
    let token = || Mock::given(method("POST")).and(path("/oauth/2.0/token"));
    token().and(body_string_contains("request_type=0")).respond_with(invalid_grant()).expect(1).mount(&refusing).await;
    // The first answer is lost (503, temporarily_unavailable); the resend finds the nonces used: the first attempt went through.
    token().respond_with(unavailable()).up_to_n_times(1).with_priority(1).mount(&flaky).await;
    token().respond_with(invalid_grant()).expect(1).with_priority(2).mount(&flaky).await;
    token().respond_with(unavailable()).expect(3).mount(&down).await;

    let signer = CountingSigner::default();
    let providers = [
        provider("BANK000001", &refusing.uri()),
        provider("BANK000002", &flaky.uri()),
        provider("BANK000003", &down.uri()),
    ];
    let outcomes = link(&store, &providers, &signer).await;
    assert!(
        matches!(&outcomes[0], (_, LinkOutcome::Refused { error, .. }, 1) if error == "invalid_grant"),
        "{outcomes:?}"
    );
    assert!(matches!(&outcomes[1], (_, LinkOutcome::Uncertain { .. }, 2)), "{outcomes:?}");
    assert!(matches!(&outcomes[2], (_, LinkOutcome::Unreachable { .. }, 3)), "{outcomes:?}");
    assert_eq!(*signer.0.lock().unwrap(), [6], "one signing act: a consent and a 본인확인 document per provider");
    assert!(store.links().await.unwrap().is_empty(), "nothing recorded");
}

#[tokio::test]
async fn a_selection_beyond_fifty_providers_sends_nothing() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = OperatorStore::on(&db.open().await.unwrap());
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(invalid_grant()).expect(0).mount(&server).await;
    let providers: Vec<ProviderRow> = (0..51).map(|i| provider(&format!("BANK{i:06}"), &server.uri())).collect();
    let auth = IntegratedAuth::new(
        Client::new("OPERAT0001"),
        store.clone(),
        IntegratedConfig::new("OPERAT0001", "CA00000001", "operator.example"),
    );
    let customer = LinkingCustomer { customer_id: "demo1".into(), ci: "DEMO-CI-demo1".into() };
    let signer = CountingSigner::default();
    let refused = auth.link(&customer, &providers, &terms(), &signer).await;
    assert!(matches!(refused, Err(IntegratedError::TooMany(51))), "{refused:?}");
    assert!(signer.0.lock().unwrap().is_empty(), "the customer was not asked to sign");
}

/// A provider's token endpoint that accepts every signed consent: the tokens of a list-only consent,
/// with the request's tx_id echoed.
struct Accepting;

impl wiremock::Respond for Accepting {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let tx_id = url::form_urlencoded::parse(&request.body).find(|(k, _)| k == "tx_id").map(|(_, v)| v.into_owned());
        ResponseTemplate::new(200).set_body_json(json!({
            "tx_id": tx_id, "token_type": "Bearer", "access_token": "first-access", "expires_in": "3600",
            "refresh_token": "first-refresh", "refresh_token_expires_in": "86400", "scope": "bank.list",
        }))
    }
}

#[tokio::test]
async fn a_first_stage_pair_left_without_a_second_is_withdrawn() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = OperatorStore::on(&db.open().await.unwrap());
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/oauth/2.0/token")).respond_with(Accepting).expect(1).mount(&server).await;
    // The lists cannot be read, so no 2차 consent follows.
    let refused =
        ResponseTemplate::new(400).set_body_json(json!({"rsp_code": "40001", "rsp_msg": "요청 파라미터 오류"}));
    Mock::given(method("GET")).and(path_regex("^/v1/bank/")).respond_with(refused).mount(&server).await;
    let revoked = ResponseTemplate::new(200).set_body_json(json!({"rsp_code": "00000", "rsp_msg": "성공"}));
    Mock::given(method("POST"))
        .and(path("/oauth/2.0/revoke"))
        .and(body_string_contains("token=first-access"))
        .respond_with(revoked)
        .expect(1)
        .mount(&server)
        .await;
    let signer = CountingSigner::default();
    let outcomes = link(&store, &[provider("BANK000001", &server.uri())], &signer).await;
    assert!(matches!(&outcomes[0], (_, LinkOutcome::ListsUnread { .. }, 1)), "{outcomes:?}");
    assert_eq!(*signer.0.lock().unwrap(), [2], "the customer signed the 1차 stage only");
    assert!(store.links().await.unwrap().is_empty());
}
