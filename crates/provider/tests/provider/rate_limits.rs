//! Rate limits, over HTTP: guessing a client's secret locks that client out of the token endpoint
//! (HTTP 429 with an OAuth error) and nobody else; a client over its information-API limit is
//! answered 403 with 40302 (첨부1); one source address flooding the consent pages is limited.

use crate::common;
use crate::oauth_common;

use common::*;
use mydata_provider::limits::RateLimits;
use mydata_provider::oauth::hash_client_secret;
use mydata_store::{Backend, Client, prelude::*};
use oauth_common::*;

#[tokio::test]
async fn forty_bad_secrets_are_limited_before_the_fortieth_and_other_clients_go_on() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    app.store
        .upsert_client(&Client {
            client_id: "goodClient".into(),
            client_secret_hash: hash_client_secret("goodSecretgoodSecret"),
            org_code: OPERATOR.into(),
            client_name: "다른 서비스".into(),
            redirect_uris: vec![REDIRECT.into()],
            app_schemes: None,
            updated_at: 0,
        })
        .await
        .unwrap();
    let code = consent_via_page(&app, &approve_deposit()).await["code"].clone();

    let mut first_limited = None;
    for attempt in 1..=40 {
        let (status, body) = exchange(&app, "not-the-code", "wrongSecretwrongSecret", REDIRECT).await;
        match status {
            400 => assert_eq!(body["error"], "invalid_client", "attempt {attempt}: {body}"),
            429 => {
                assert_eq!(body["error"], "slow_down", "an OAuth error body: {body}");
                assert!(body["error_description"].as_str().unwrap().contains("retry"), "{body}");
                first_limited.get_or_insert(attempt);
            }
            other => panic!("attempt {attempt}: HTTP {other} {body}"),
        }
    }
    let first = first_limited.expect("40 bad secrets in a row were never limited");
    assert!(first < 40, "limited at attempt {first}");

    // Locked out: even the right secret and a good code are refused for now, and nothing is issued.
    let response = app
        .post("/oauth/2.0/token")
        .form(&[
            ("org_code", BANK),
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let consent = &app.store.consents_of_customer(BANK, CUSTOMER).await.unwrap()[0];
    assert!(app.store.live_tokens_of_consent(&consent.consent_id).await.unwrap().is_empty(), "no token issued");

    // Another client from the same address is not slowed: its request is judged on its merits.
    let (status, body) = form_post(
        &app,
        "/oauth/2.0/token",
        &[
            ("org_code", BANK),
            ("grant_type", "authorization_code"),
            ("code", "no-such-code"),
            ("client_id", "goodClient"),
            ("client_secret", "goodSecretgoodSecret"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
}

#[tokio::test]
async fn a_client_over_its_information_api_limit_is_answered_40302() {
    let app = spawn(Backend::Sqlite).await;
    app.provider.set_rate_limits(RateLimits { client_per_sec: 1, ..Default::default() });
    app.customer(BANK, "c1").await;
    let (_, pair) = app.consent(BANK, "c1", "bank.list", &[], in_a_year()).await;
    let call = || app.search("/v1/bank/accounts?org_code=BANK000001&limit=10", &pair.access_token).send();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = call().await.unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 403 {
            expect_code(response, 403, "40302").await;
        }
    }
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert!(statuses.contains(&403), "the burst of two is exceeded: {statuses:?}");
}

#[tokio::test]
async fn one_address_flooding_the_authorization_server_is_limited() {
    let app = spawn(Backend::Sqlite).await;
    app.provider.set_rate_limits(RateLimits { address_per_sec: 2, ..Default::default() });
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(app.http.get(format!("{}/oauth/2.0/consent/nosuchpage", app.base)).send().await.unwrap());
    }
    let limited = statuses.iter().find(|r| r.status() == 429).expect("limited");
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(statuses[0].status(), 404, "the first requests pass");

    let (status, body) = form_post(&app, "/oauth/2.0/revoke", &[("org_code", BANK)]).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("slow_down")), "{body}");
}
