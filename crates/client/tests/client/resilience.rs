//! The client against a misbehaving provider (wiremock): a cursor that repeats, a page cap, and a
//! refresh whose response is lost.

use async_trait::async_trait;
use mydata_client::{
    Call, Client, ClientError, Credentials, RefreshPolicy, StopReason, TokenEndpoint, TokenError, TokenManager,
    TokenSink, Tokens,
};
use mydata_spec::{ApiType, Industry};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{body_string_contains, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn accounts_call() -> Call {
    Call::by_id("은행-001")
        .industry(Industry::Bank)
        .api_type(ApiType::Scheduled)
        .bearer("access")
        .param("org_code", "BANK000001")
}

fn page(items: &[&str], next: Option<&str>) -> ResponseTemplate {
    let mut body = json!({
        "rsp_code": "00000", "rsp_msg": "성공", "reg_date": "20200101",
        "account_cnt": items.len().to_string(),
        "account_list": items.iter().map(|n| json!({"account_num": n, "is_consent": "true"})).collect::<Vec<_>>(),
    });
    if let Some(next) = next {
        body["next_page"] = json!(next);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn paging_joins_pages_and_sends_search_timestamp_only_on_the_first() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/bank/accounts"))
        .and(query_param_is_missing("next_page"))
        .and(query_param("search_timestamp", "0"))
        .respond_with(page(&["1", "2"], Some("P2")))
        .mount(&server)
        .await;
    Mock::given(path("/v1/bank/accounts"))
        .and(query_param("next_page", "P2"))
        .and(query_param_is_missing("search_timestamp"))
        .respond_with(page(&["3"], None))
        .mount(&server)
        .await;
    let fetched = Client::new("OPERAT0001")
        .fetch(&server.uri(), &accounts_call().param("search_timestamp", "0"))
        .await
        .expect("two pages");
    assert_eq!(fetched.pages, 2);
    let numbers: Vec<&str> = fetched.items().iter().map(|i| i["account_num"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["1", "2", "3"]);
    assert_eq!(fetched.answer.text("account_cnt").as_deref(), Some("3"));
    assert_eq!(fetched.answer.text("next_page"), None);
}

#[tokio::test]
async fn a_repeating_cursor_stops_paging() {
    let server = MockServer::start().await;
    // The provider answers every page with the same cursor: following it would never end.
    Mock::given(path("/v1/bank/accounts")).respond_with(page(&["1"], Some("SAME"))).mount(&server).await;
    let error = Client::new("OPERAT0001").fetch(&server.uri(), &accounts_call()).await.unwrap_err();
    assert!(matches!(&error, ClientError::RepeatingCursor { cursor, .. } if cursor == "SAME"), "{error}");
    // First page, then the page the cursor names, whose answer repeats it.
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_list_that_never_ends_stops_at_the_page_cap() {
    let server = MockServer::start().await;
    let counter = Arc::new(Mutex::new(0u32));
    let pages = counter.clone();
    Mock::given(path("/v1/bank/accounts"))
        .respond_with(move |_: &wiremock::Request| {
            let mut n = pages.lock().unwrap();
            *n += 1;
            page(&["1"], Some(&format!("C{n}")))
        })
        .mount(&server)
        .await;
    let mut client = Client::new("OPERAT0001");
    client.page_cap = 5;
    let error = client.fetch(&server.uri(), &accounts_call()).await.unwrap_err();
    assert!(matches!(error, ClientError::PageCap { cap: 5, .. }), "{error}");
    assert_eq!(*counter.lock().unwrap(), 5);
}

/// Records what the manager asks to keep.
#[derive(Default)]
struct Recorder {
    saved: Mutex<Vec<Tokens>>,
    stops: Mutex<Vec<StopReason>>,
}

#[async_trait]
impl TokenSink for Recorder {
    async fn tokens_refreshed(&self, tokens: &Tokens) -> Result<(), String> {
        self.saved.lock().unwrap().push(tokens.clone());
        Ok(())
    }
    async fn stopped(&self, reason: &StopReason) -> Result<(), String> {
        self.stops.lock().unwrap().push(reason.clone());
        Ok(())
    }
}

fn expiring_tokens() -> Tokens {
    let now = chrono::Utc::now().timestamp();
    Tokens {
        access_token: "old-access".into(),
        access_expires_at: now + 10,
        refresh_token: "refresh-1".into(),
        refresh_expires_at: now + 86_400,
        scope: "bank.list".into(),
    }
}

fn manager(server: &MockServer, sink: Arc<Recorder>) -> TokenManager {
    let client = Client::with_timeout("OPERAT0001", Duration::from_millis(300));
    let endpoint = TokenEndpoint {
        base_url: server.uri(),
        org_code: "BANK000001".into(),
        credentials: Credentials { client_id: "client-1".into(), client_secret: "secret".into() },
    };
    let policy = RefreshPolicy { margin_secs: 60, retries: 2, retry_delay: Duration::from_millis(10) };
    TokenManager::new(client, endpoint, expiring_tokens(), policy, sink)
}

#[tokio::test]
async fn a_lost_refresh_response_is_retried_and_the_consent_kept() {
    let server = MockServer::start().await;
    let refreshed = json!({"token_type": "Bearer", "access_token": "new-access", "expires_in": "7776000"});
    // The first answer never arrives in time (the provider processed it; the response was lost) …
    Mock::given(method("POST"))
        .and(path("/oauth/2.0/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=refresh-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&refreshed).set_delay(Duration::from_secs(2)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    // … and the provider answers the repeated refresh within its grace window.
    Mock::given(method("POST"))
        .and(path("/oauth/2.0/token"))
        .and(body_string_contains("refresh_token=refresh-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&refreshed))
        .with_priority(2)
        .mount(&server)
        .await;
    let sink = Arc::new(Recorder::default());
    let tokens = manager(&server, sink.clone());
    // The access token expires within the margin, so asking for it refreshes first.
    assert_eq!(tokens.access_token().await.expect("refreshed despite the lost response"), "new-access");
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "the same refresh token was sent twice");
    let saved = sink.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].access_token, "new-access");
    assert_eq!(saved[0].refresh_token, "refresh-1", "kept: the provider did not rotate it");
    assert!(sink.stops.lock().unwrap().is_empty(), "the consent was not lost");
    assert_eq!(tokens.access_token().await.unwrap(), "new-access", "no second refresh while fresh");
}

#[tokio::test]
async fn a_refused_refresh_stops_the_consent_and_records_why() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth/2.0/token"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": "invalid_grant", "error_description": "consent revoked"})),
        )
        .mount(&server)
        .await;
    let sink = Arc::new(Recorder::default());
    let tokens = manager(&server, sink.clone());
    let error = tokens.access_token().await.unwrap_err();
    assert!(
        matches!(&error, TokenError::Stopped(StopReason::Revoked { detail }) if detail.contains("consent revoked"))
    );
    assert_eq!(sink.stops.lock().unwrap().len(), 1);
    // Stopped for good: no further calls to the provider.
    assert!(matches!(tokens.access_token().await, Err(TokenError::Stopped(_))));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_ended_consent_stops_without_refreshing() {
    let server = MockServer::start().await;
    let sink = Arc::new(Recorder::default());
    let mut fresh = expiring_tokens();
    fresh.access_expires_at += 86_400;
    let client = Client::new("OPERAT0001");
    let endpoint = TokenEndpoint {
        base_url: server.uri(),
        org_code: "BANK000001".into(),
        credentials: Credentials { client_id: "c".into(), client_secret: "s".into() },
    };
    let tokens = TokenManager::new(client, endpoint, fresh, RefreshPolicy::default(), sink.clone());
    let ended = ClientError::Api { api: "은행-001", status: 401, rsp_code: "40106".into(), rsp_msg: String::new() };
    let error = tokens.rejected("old-access", &ended).await.unwrap_err();
    assert!(matches!(error, TokenError::Stopped(StopReason::ConsentEnded)));
    assert_eq!(sink.stops.lock().unwrap().as_slice(), [StopReason::ConsentEnded]);
    assert!(server.received_requests().await.unwrap().is_empty());
}
