//! Enforcing the caller addresses institutions registered at the portal (지원-002 ip_list, 첨부1
//! 40102 허용되지 않은 원격지 IP): the operator's registered address is served, another loopback
//! address is refused at the information APIs and the authorization server, and the refusals change
//! nothing. On SQLite and PostgreSQL.

use crate::common;
use crate::oauth_common;

use common::*;
use mydata_provider::transport::TransportPolicy;
use mydata_store::{Backend, RegistryOrgRow, prelude::*};
use oauth_common::*;
use serde_json::{Value, json};
use std::net::IpAddr;

const REGISTERED: &str = "127.0.0.1";
const ELSEWHERE: &str = "127.0.0.2";

/// An HTTP client whose connections come from `address` (any 127.0.0.0/8 address is loopback).
fn from(address: &str) -> reqwest::Client {
    let address: IpAddr = address.parse().unwrap();
    reqwest::Client::builder().local_address(address).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn register_operator(app: &TestApp, body: Value) {
    let row = RegistryOrgRow { org_code: OPERATOR.into(), org_type: "03".into(), body, updated_at: 0 };
    app.store.upsert_registry_org(&row).await.unwrap();
}

/// 은행-001 from `address`: the HTTP status and rsp_code.
async fn accounts_from(app: &TestApp, address: &str, token: &str) -> (u16, String) {
    let (status, body) = list_accounts_with(&from(address), app, token).await;
    (status, body["rsp_code"].as_str().unwrap_or_default().to_owned())
}

async fn form_from(app: &TestApp, address: &str, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    form_post_with(&from(address), app, path, form).await
}

fn code_form(code: &str) -> [(&str, &str); 6] {
    [
        ("org_code", BANK),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("redirect_uri", REDIRECT),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_operators_registered_addresses_are_served() {
    for backend in BACKENDS {
        let policy = TransportPolicy { enforce_registered_ips: true, ..TransportPolicy::default() };
        let app = spawn_with_transport(backend, policy).await;
        seed(&app).await;
        register_operator(&app, json!({"org_name": "머니플래너", "ip_cnt": "1", "ip_list": [{"ip": REGISTERED}]}))
            .await;

        // 개별인증-001 from the registered address goes on to the consent page.
        let code = consent_via_page(&app, &approve_deposit()).await["code"].clone();
        let elsewhere = from(ELSEWHERE)
            .get(format!("{}/oauth/2.0/authorize", app.base))
            .query(&authorize_query(None))
            .header("x-api-tran-id", tran_id())
            .header("x-user-ci", CI)
            .send()
            .await
            .unwrap();
        let refused: Value = elsewhere.json().await.unwrap();
        assert_eq!(refused["error"], "unauthorized_client", "{backend:?} 개별인증-001 from elsewhere: {refused}");

        // The token endpoint: refused from elsewhere, and the code is still good from the registered address.
        let (status, refused) = form_from(&app, ELSEWHERE, "/oauth/2.0/token", &code_form(&code)).await;
        assert_eq!((status, refused["error"].as_str()), (400, Some("unauthorized_client")), "{backend:?} {refused}");
        let (status, tokens) = form_from(&app, REGISTERED, "/oauth/2.0/token", &code_form(&code)).await;
        assert_eq!(status, 200, "{backend:?} {tokens}");
        let access = tokens["access_token"].as_str().unwrap();

        // The information APIs: 40102 from elsewhere, served from the registered address.
        assert_eq!(accounts_from(&app, ELSEWHERE, access).await, (401, "40102".into()), "{backend:?}");
        assert_eq!(accounts_from(&app, REGISTERED, access).await, (200, "00000".into()), "{backend:?}");

        // Revocation from elsewhere is refused and revokes nothing.
        let revoke =
            [("org_code", BANK), ("token", access), ("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)];
        let (status, refused) = form_from(&app, ELSEWHERE, "/oauth/2.0/revoke", &revoke).await;
        assert_eq!((status, refused["error"].as_str()), (400, Some("unauthorized_client")), "{backend:?} {refused}");
        assert_eq!(accounts_from(&app, REGISTERED, access).await, (200, "00000".into()), "{backend:?}");

        // An institution that registered no address is served from none.
        register_operator(&app, json!({"org_name": "머니플래너"})).await;
        assert_eq!(accounts_from(&app, REGISTERED, access).await, (401, "40102".into()), "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_enforcement_any_address_is_served() {
    let app = spawn(Backend::Sqlite).await;
    seed(&app).await;
    register_operator(&app, json!({"org_name": "머니플래너", "ip_cnt": "1", "ip_list": [{"ip": "203.0.113.9"}]})).await;
    let code = consent_via_page(&app, &approve_deposit()).await["code"].clone();
    let (status, tokens) = form_from(&app, ELSEWHERE, "/oauth/2.0/token", &code_form(&code)).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(accounts_from(&app, ELSEWHERE, access).await, (200, "00000".into()));
}
