//! Given a refresh token and the client's credentials instead of an access token, the suite obtains
//! its access token itself through 개별인증-003 and runs with it.

use crate::common;

use mydata_conformance::discover::{RefreshGrant, TokenError, refresh_access_token};
use mydata_conformance::{Industry, Manifest, Status, run};
use mydata_store::Backend;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_is_obtained_from_a_refresh_token() {
    let own = common::spawn(Backend::Sqlite).await;
    let bank = own.org(Industry::Bank);
    let mut target = own.target(&bank).await;
    own.register_client(&bank, "conformancesecret1").await;
    let (_, pair) = own.token_pair(&bank, "bank.list", &[]).await;
    let grant = RefreshGrant {
        org_code: &bank.org_code,
        client_id: common::CLIENT_ID,
        client_secret: "conformancesecret1",
        refresh_token: &pair.refresh_token,
    };
    let timeout = Duration::from_secs(5);
    let manifest = Manifest::v1();
    let access = refresh_access_token(&own.base, &grant, &manifest.defaults.tran_id_org, timeout).await.unwrap();
    assert_ne!(access, pair.access_token, "a new access token");
    target.tokens.access = Some(access);
    let report = run(&[target], &manifest, &common::fast()).await;
    assert_eq!(report.api("은행-001").map(|a| a.status()), Some(Status::Pass), "{}", report.to_table());

    let wrong = RefreshGrant { client_secret: "notthesecret", ..grant };
    let refused = refresh_access_token(&own.base, &wrong, &manifest.defaults.tran_id_org, timeout).await;
    assert!(
        matches!(&refused, Err(TokenError::Refused { body, .. }) if body.contains("invalid_client")),
        "{refused:?}"
    );
}
