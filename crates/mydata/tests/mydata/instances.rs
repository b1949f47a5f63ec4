//! Several `mydata serve` processes on one PostgreSQL database, as a provider scales out.

use crate::common;

use common::*;
use std::time::{Duration, Instant};

const SECRET: &str = "instancesecret0123456789";

/// How long the other instance may keep serving a revoked token: far less than the grants it
/// remembers (60 s), so only the revocation's announcement can make it refuse in time.
const ANNOUNCED_WITHIN: Duration = Duration::from_secs(2);

async fn accounts(http: &reqwest::Client, base: &str, token: &str) -> reqwest::StatusCode {
    http.get(format!("{base}/v1/bank/accounts?org_code=BANK000001&limit=1"))
        .header("x-api-tran-id", "OPERAT0001M0000000000INS1")
        .header("x-api-type", "user-refresh")
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_token_revoked_through_one_instance_is_refused_by_the_other() {
    let db = mydata_store::testing::TestDatabase::new(mydata_store::Backend::Postgres).await;
    let client = format!("OPERAT0001:instclient:{SECRET}:http://127.0.0.1:9/callback");
    let serve = |url: &str| {
        start(&[
            "serve",
            "--demo-sign-in",
            "--listen",
            "127.0.0.1:0",
            "--database",
            url,
            "--org",
            "BANK000001:bank",
            "--client",
            &client,
            "--grant-cache-ms",
            "60000",
        ])
    };
    // One after the other: the first migrates and seeds the database.
    let (_first, first) = serve(&db.url);
    let (_second, second) = serve(&db.url);
    let token = mydata()
        .args(["dev-token", "--database", &db.url, "--customer", "demo1", "--client", "instclient"])
        .args(["--scope", "bank.list"])
        .output()
        .unwrap();
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();

    let http = reqwest::Client::new();
    // The second instance now remembers the token's grant for a minute.
    assert_eq!(accounts(&http, &second, &token).await, 200);
    let revoked = http
        .post(format!("{first}/oauth/2.0/revoke"))
        .header("x-api-tran-id", "OPERAT0001M0000000000INS2")
        .form(&[
            ("org_code", "BANK000001"),
            ("token", token.as_str()),
            ("client_id", "instclient"),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200, "{:?}", revoked.text().await);

    let watching_since = Instant::now();
    let mut answer = accounts(&http, &second, &token).await;
    while answer == 200 && watching_since.elapsed() < ANNOUNCED_WITHIN {
        tokio::time::sleep(Duration::from_millis(20)).await;
        answer = accounts(&http, &second, &token).await;
    }
    assert_eq!(answer, 401, "the second instance still serves the revoked token");
    assert_eq!(accounts(&http, &first, &token).await, 401);
}
