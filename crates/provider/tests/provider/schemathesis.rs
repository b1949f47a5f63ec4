//! Schemathesis, driven by the provider's own `/openapi.json`, finds no disagreement between the
//! document and the server: every request the document allows is answered as documented, every
//! request it forbids is refused, every answer matches its documented schema. All checks, a fixed
//! seed and a bounded number of examples per operation; each industry's operations with a token of
//! that industry's consent, the support APIs with the portal's manage token. The rules relating a
//! request's values to each other, which no schema of one parameter states, are applied to the
//! requests generated as valid by `schemathesis_hooks.py`.

use crate::common;
use crate::info_harness;

use info_harness::*;
use mydata_portal::Portal;
use mydata_portal::registry_file::{RegistryFile, import};
use mydata_spec::Industry;
use mydata_store::testing::TestDatabase;
use mydata_store::{Backend, Client, prelude::*};
use mydata_support::secret::hash_client_secret;
use mydata_support::testing::{PortalCaller, example_bank_link, operations_in, schemathesis, schemathesis_settings};
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const SEED: u32 = 19;
const EXAMPLES_PER_OPERATION: u32 = 12;
/// The "지원API 제공용 자격증명" the portal calls this provider with (지원-101).
const PORTAL_CALLER: (&str, &str) = ("portalcaller01", "PortalCallsProviderSecret0001");

/// The operator's client that authorization and revocation requests name: which clients exist, with
/// which secrets, is the registry's to say, not the document's.
const CLIENT: &str = "stclient01";
const CLIENT_SECRET: &str = "stclientsecret0001";
const REDIRECT: &str = "https://operator.example/callback";

/// schemathesis's configuration: one section per group of operations with its own credentials, and
/// 개별인증-001 for the registered client.
fn config(tokens: &[(String, String)]) -> String {
    let mut toml = schemathesis_settings(SEED, EXAMPLES_PER_OPERATION);
    for (tag, token) in tokens {
        let _ = write!(
            toml,
            "\n[[operations]]\ninclude-tag = \"{tag}\"\nheaders = {{ Authorization = \"Bearer {token}\" }}\n"
        );
    }
    // Once client_id and redirect_uri are known, 개별인증-001 refuses a request by sending the
    // browser back to the operator's callback with the error (첨부1 ②, RFC 6749 4.1.2.1): a 302.
    let _ = write!(
        toml,
        "\n[[operations]]\ninclude-path = \"/oauth/2.0/authorize\"\n\
         parameters = {{ \"query.client_id\" = \"{CLIENT}\", \"query.redirect_uri\" = \"{REDIRECT}\" }}\n\
         [operations.checks.negative_data_rejection]\n\
         expected-statuses = [\"302\", \"400\", \"401\", \"403\", \"404\", \"405\", \"429\"]\n\
         [operations.checks.missing_required_header]\n\
         expected-statuses = [\"302\", \"400\"]\n"
    );
    toml
}

/// A real portal holding the example registry, linked to the provider (the statistics 지원-104 asks
/// to resend go there), whose calls to the provider's support APIs use [`PORTAL_CALLER`].
async fn connect_a_portal(app: &common::TestApp) -> TestDatabase {
    let portal_db = TestDatabase::new(Backend::Sqlite).await;
    let portal_store = Arc::new(portal_db.open().await.unwrap());
    let registry = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/registry.toml");
    import(portal_store.as_ref(), &RegistryFile::read(&registry).unwrap(), 0).await.unwrap();
    let portal = Portal::new(portal_store, "PORTAL0001", Duration::from_secs(3600)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, mydata_portal::router(portal)).await });
    app.provider.support.connect_portal(app.store.clone(), example_bank_link(base_url, PORTAL_CALLER));
    portal_db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_disagreement_between_the_document_and_the_server() {
    let seeded = seeded(Backend::Sqlite).await;
    let mut tokens = Vec::new();
    for industry in Industry::ALL {
        let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
        tokens.push((industry.as_str().to_owned(), token));
    }
    let _portal_db = connect_a_portal(&seeded.app).await;
    seeded
        .app
        .store
        .upsert_client(&Client {
            client_id: CLIENT.into(),
            client_secret_hash: hash_client_secret(CLIENT_SECRET),
            org_code: common::OPERATOR.into(),
            client_name: "schemathesis".into(),
            redirect_uris: vec![REDIRECT.into()],
            app_schemes: None,
            updated_at: 0,
        })
        .await
        .unwrap();
    let portal = PortalCaller::new(seeded.app.base.clone(), seeded.app.http.clone());
    tokens.push(("ParticipantSupport".to_owned(), portal.manage_token(PORTAL_CALLER).await));

    let dir = tempfile::tempdir().unwrap();
    let config = config(&tokens);
    let document = format!("{}/openapi.json", seeded.app.base);
    let hooks = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis_hooks.py");
    let env = [("SCHEMATHESIS_HOOKS", hooks), ("MYDATA_CLIENT_ID", CLIENT), ("MYDATA_CLIENT_SECRET", CLIENT_SECRET)];
    // Two processes, each with about half of the operations (these four industries have 58 of
    // 118), so that both cores fuzz.
    let half = [Industry::Bank, Industry::Card, Industry::Invest, Industry::Efin].map(Industry::as_str).join("|");
    let half = format!("^({half})$");
    let run = |filter: &'static str| {
        let (dir, config, document, half) = (dir.path().to_owned(), config.clone(), document.clone(), half.clone());
        tokio::task::spawn_blocking(move || schemathesis(&dir, &document, &config, &[filter, &half], &env))
    };
    let (first, second) = tokio::join!(run("--include-tag-regex"), run("--exclude-tag-regex"));
    let tested = first.unwrap() + second.unwrap();
    let operations = operations_in(&document_of(&seeded.app).await);
    assert_eq!(tested, operations, "every operation of the document was tested once");
}

async fn document_of(app: &common::TestApp) -> serde_json::Value {
    app.http.get(format!("{}/openapi.json", app.base)).send().await.unwrap().json().await.unwrap()
}
