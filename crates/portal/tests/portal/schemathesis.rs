//! Schemathesis, driven by the portal's own `/openapi.json`, finds no disagreement between the
//! document and the portal: every request the document allows is answered as documented (but for
//! the statistics, below), every request it forbids is refused, every answer matches its documented
//! schema. All checks, a fixed seed and a bounded number of examples per operation; each 지원 API
//! with the token of an institution that may call it.

use crate::portal::{BANK, CA, OPERATOR, spawn};
use mydata_store::Backend;
use mydata_support::testing::{operations_in, schemathesis, schemathesis_settings};
use std::fmt::Write;

const SEED: u32 = 19;
const EXAMPLES_PER_OPERATION: u32 = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_disagreement_between_the_document_and_the_portal() {
    let portal = spawn(Backend::Sqlite).await;
    let (bank, operator, ca) = (portal.token(BANK).await, portal.token(OPERATOR).await, portal.token(CA).await);
    let mut config = schemathesis_settings(SEED, EXAMPLES_PER_OPERATION);
    for (path, token) in [
        ("/mgmts/orgs", &bank),
        ("/mgmts/services", &bank),
        ("/mgmts/orgs_for_ca", &ca),
        ("/mgmts/statistics/provider", &bank),
        ("/mgmts/statistics/mydata", &operator),
    ] {
        let _ = write!(
            config,
            "\n[[operations]]\ninclude-path = \"{path}\"\nheaders = {{ Authorization = \"Bearer {token}\" }}\n"
        );
        if path.starts_with("/mgmts/statistics/") {
            // A report's counts must equal its lists' lengths and its days be the seven before its
            // Sunday: rules between values that no schema of one value states, so a body the
            // schemas allow may rightly be refused (400). Everything else is checked.
            config.push_str(
                "checks.positive_data_acceptance.expected-statuses = \
                 [\"2xx\", \"3xx\", \"400\", \"401\", \"403\", \"404\", \"409\", \"429\", \"5xx\"]\n",
            );
        }
    }
    let document = format!("{}/openapi.json", portal.base);
    let dir = tempfile::tempdir().unwrap();
    let tested =
        tokio::task::spawn_blocking(move || schemathesis(dir.path(), &document, &config, &[], &[])).await.unwrap();
    let described: serde_json::Value =
        reqwest::get(format!("{}/openapi.json", portal.base)).await.unwrap().json().await.unwrap();
    assert_eq!(tested, operations_in(&described), "every operation of the document was tested");
}
