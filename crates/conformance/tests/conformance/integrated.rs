//! The 통합인증-002 checks against our own provider: every check passes where the provider trusts
//! the customers' CA, each refusal with its 첨부1 error; where it does not, the happy path fails
//! and the replay cannot be tried — the checks judge the provider, not themselves.

use crate::common;

use chrono::Utc;
use mydata_client::{Client, Credentials};
use mydata_conformance::Status;
use mydata_conformance::integrated::{IntegratedTarget, Signer, check};
use mydata_pki::consent_signing::TestCertificationAuthority;
use mydata_provider::oauth::hash_client_secret;
use mydata_spec::Industry;
use mydata_store::{Backend, CertificateAuthority, prelude::*};
use mydata_testdata::demo_people;
use std::time::Duration;

const OPERATOR: &str = "OPERAT0001";
const SECRET: &str = "integratedsecret1";
const CA: &str = "CONFCA0001";

async fn target(own: &common::OwnProvider, trusted: bool) -> IntegratedTarget {
    let bank = own.org(Industry::Bank);
    common::seed(own.store.as_ref(), &bank).await;
    let client = mydata_store::Client {
        client_id: "integratedclient".into(),
        client_secret_hash: hash_client_secret(SECRET),
        org_code: OPERATOR.into(),
        client_name: "통합인증 conformance".into(),
        redirect_uris: Vec::new(),
        app_schemes: None,
        updated_at: Utc::now().timestamp(),
    };
    own.store.upsert_client(&client).await.unwrap();
    let ca = TestCertificationAuthority::generate(CA).unwrap();
    if trusted {
        let record =
            CertificateAuthority { ca_code: CA.into(), certificate_der: ca.certificate_der.clone(), updated_at: 0 };
        own.store.upsert_certificate_authority(&record).await.unwrap();
    }
    let people = demo_people();
    let signer =
        |i: usize| Signer { certificate: ca.issue(&people[i].ci, &people[i].name).unwrap(), ci: people[i].ci.clone() };
    IntegratedTarget {
        base_url: own.base.clone(),
        org_code: bank.org_code.clone(),
        industry: Industry::Bank,
        operator_org: OPERATOR.into(),
        credentials: Credentials { client_id: "integratedclient".into(), client_secret: SECRET.into() },
        ca_code: CA.into(),
        customer: signer(0),
        other_customer: Some(signer(1)),
    }
}

fn status(report: &mydata_conformance::ApiReport, check: &str) -> Status {
    report.check(check).unwrap_or_else(|| panic!("{check} missing: {report:?}")).status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_trusting_the_ca_passes_every_check_with_the_expected_errors() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let own = common::spawn(backend).await;
        let target = target(&own, true).await;
        let report = check(&target, Client::with_timeout(OPERATOR, Duration::from_secs(10))).await;
        for id in [
            "integrated-bad-signature",
            "integrated-foreign-ca",
            "integrated-wrong-tx-id",
            "integrated-other-customer",
            "integrated-happy-path",
            "integrated-replayed-nonce",
        ] {
            assert_eq!(status(&report, id), Status::Pass, "{id}: {report:?}");
        }
        assert!(report.check("integrated-other-customer").unwrap().reason.starts_with("400 unauthorized_user"));
        assert!(report.check("integrated-replayed-nonce").unwrap().reason.starts_with("400 invalid_grant"));
        assert_eq!(report.status(), Status::Pass);
        let consents = own.store.consents_of_customer(&target.org_code, &demo_people()[0].customer_id).await.unwrap();
        assert_eq!(consents.len(), 1, "only the genuine request recorded a consent");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_not_trusting_the_ca_fails_the_happy_path() {
    let own = common::spawn(Backend::Sqlite).await;
    let mut target = target(&own, false).await;
    target.other_customer = None;
    let report = check(&target, Client::with_timeout(OPERATOR, Duration::from_secs(10))).await;
    assert_eq!(status(&report, "integrated-happy-path"), Status::Fail, "{report:?}");
    assert_eq!(status(&report, "integrated-replayed-nonce"), Status::NotTested);
    assert_eq!(status(&report, "integrated-other-customer"), Status::NotTested);
    assert_eq!(report.status(), Status::Fail);
}
