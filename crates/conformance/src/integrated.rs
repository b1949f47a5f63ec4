//! 통합인증-002 checks: a consent signed with a certificate of a CA the provider trusts buys
//! tokens, and every way a signed consent can be wrong is refused with 첨부1's error for it —
//! `invalid_grant` for a signature that does not verify, a certificate of a CA the provider does
//! not trust, a replayed nonce and a consent signed for another transaction (`tx_id`);
//! `unauthorized_user` for a certificate whose CI is not the customer's (CI 불일치).
//!
//! Unlike the rest of the suite these checks change state at the provider: the happy path records
//! a consent to the customer's asset lists (replacing the customer's earlier one with the service).
//! Point them at a test customer only. The refusals run first, so that the happy path also shows
//! that no refused request used anything up.

use crate::report::{ApiReport, CheckResult, Status};
use chrono::{Days, NaiveDate, Utc};
use mydata_client::integrated::{
    ConsentDocument, ConsentTerms, IntegratedTokenRequest, PersonInfoRequest, RequestType, TargetInfo, tx_id,
};
use mydata_client::{Client, ClientError, Credentials};
use mydata_pki::consent_signing::{CustomerCertificate, TestCertificationAuthority};
use mydata_spec::catalogue::list_scope;
use mydata_spec::{Industry, KnownApi};
use std::sync::atomic::{AtomicU64, Ordering};

/// A customer's signing identity: their certificate (with key) and the CI it carries.
pub struct Signer {
    pub certificate: CustomerCertificate,
    pub ci: String,
}

/// One institution, the operator's service there and the customers who sign.
pub struct IntegratedTarget {
    pub base_url: String,
    pub org_code: String,
    pub industry: Industry,
    /// The operator the consents name as receiver (`rcv_org_code`): the service's org_code.
    pub operator_org: String,
    pub credentials: Credentials,
    /// The CA that issued the customers' certificates, trusted by the provider.
    pub ca_code: String,
    /// The customer the consents are for.
    pub customer: Signer,
    /// Another customer with a certificate of the same CA; without one that check is not tested.
    pub other_customer: Option<Signer>,
}

const CLAUSE_GRANT: &str = "ch.3.2.2, ch.5 통합인증-002; 첨부1 invalid_grant";
const CLAUSE_USER: &str = "ch.3.2.2, ch.5 통합인증-002; 첨부1 unauthorized_user (CI 불일치)";

/// What the customer signed for one request.
struct Signed {
    tx_id: String,
    consent_nonce: String,
    ucpid_nonce: String,
    consent: Vec<u8>,
    person: Vec<u8>,
}

struct Run<'a> {
    target: &'a IntegratedTarget,
    client: Client,
    serial: AtomicU64,
}

impl Run<'_> {
    fn next(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    /// A list-only consent (`request_type` 0) signed by `signer`, with fresh `tx_id` and nonces.
    fn signed(&self, signer: &CustomerCertificate) -> Signed {
        let t = self.target;
        let serial = self.next();
        let tx = tx_id(&t.operator_org, &t.org_code, &t.ca_code, Utc::now(), serial);
        let stamp = Utc::now().timestamp_micros();
        // aNS(30) each: the time in microseconds and the serial, in hex.
        self.sign_as(signer, &tx, &format!("cn{stamp:x}{serial:x}"), &format!("un{stamp:x}{serial:x}"))
    }

    fn sign_as(&self, signer: &CustomerCertificate, tx: &str, consent_nonce: &str, ucpid_nonce: &str) -> Signed {
        let t = self.target;
        let today = mydata_spec::time::korean_date(Utc::now());
        let terms = ConsentTerms {
            fnd_cycle: Some("1/w".into()),
            add_cycle: Some("1/w".into()),
            end_date: today + Days::new(30),
            purpose: "conformance".into(),
            period: NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date"),
        };
        let targets = vec![TargetInfo { scope: list_scope(t.industry), asset_list: Vec::new() }];
        let terms = terms.for_stage(RequestType::AssetLists, today);
        let document = ConsentDocument::new(tx, &t.org_code, &t.operator_org, &terms, consent_nonce, targets);
        let person = PersonInfoRequest::new("conformance.example", ucpid_nonce);
        Signed {
            tx_id: tx.to_owned(),
            consent_nonce: consent_nonce.to_owned(),
            ucpid_nonce: ucpid_nonce.to_owned(),
            consent: signer.sign(&document.to_bytes()),
            person: signer.sign(&person.to_bytes()),
        }
    }

    /// Sends `signed` for the customer, the request's `tx_id` being `tx_id`.
    async fn send(&self, signed: &Signed, tx_id: &str) -> Result<mydata_client::Answer, ClientError> {
        let t = self.target;
        let request = IntegratedTokenRequest {
            org_code: &t.org_code,
            credentials: &t.credentials,
            ca_code: &t.ca_code,
            user_ci: &t.customer.ci,
            request_type: RequestType::AssetLists,
            tx_id,
            signed_consent: &signed.consent,
            signed_person_info_req: &signed.person,
            consent_nonce: &signed.consent_nonce,
            ucpid_nonce: &signed.ucpid_nonce,
        };
        self.client.send(&t.base_url, &request.call()).await
    }

    /// Expects the provider to refuse with HTTP 400 and `error`.
    async fn refused(&self, check: &str, clause: &str, signed: &Signed, tx_id: &str, error: &str) -> CheckResult {
        let (status, reason) = match self.send(signed, tx_id).await {
            Ok(answer) => (Status::Fail, format!("HTTP {}: accepted", answer.status)),
            Err(ClientError::OAuth { status: 400, error: got, description, .. }) if got == error => {
                (Status::Pass, format!("400 {got}: {description}"))
            }
            Err(e) => (Status::Fail, format!("expected HTTP 400 {error}, got {e}")),
        };
        CheckResult { check: check.into(), clause: clause.into(), status, reason }
    }
}

/// Runs the 통합인증-002 checks against `target`, calling with `client` (the operator's TLS
/// identity where the provider demands one; `Client::with_timeout` for plain HTTP).
pub async fn check(target: &IntegratedTarget, client: Client) -> ApiReport {
    let spec = KnownApi::IntegratedToken.spec();
    let run = Run { target, client, serial: AtomicU64::new(Utc::now().timestamp_subsec_micros().into()) };
    let mut checks = Vec::new();
    let customer = &target.customer.certificate;

    let mut tampered = run.signed(customer);
    if let Some(last) = tampered.consent.last_mut() {
        *last ^= 1;
    }
    checks
        .push(run.refused("integrated-bad-signature", CLAUSE_GRANT, &tampered, &tampered.tx_id, "invalid_grant").await);

    match TestCertificationAuthority::generate(&target.ca_code).and_then(|ca| ca.issue(&target.customer.ci, "foreign"))
    {
        Ok(foreign) => {
            let signed = run.signed(&foreign);
            checks.push(
                run.refused("integrated-foreign-ca", CLAUSE_GRANT, &signed, &signed.tx_id, "invalid_grant").await,
            );
        }
        Err(e) => checks.push(CheckResult {
            check: "integrated-foreign-ca".into(),
            clause: CLAUSE_GRANT.into(),
            status: Status::NotTested,
            reason: format!("no foreign certificate could be made: {e}"),
        }),
    }

    let genuine = run.signed(customer);
    let other_tx = tx_id(&target.operator_org, &target.org_code, &target.ca_code, Utc::now(), run.next());
    checks.push(run.refused("integrated-wrong-tx-id", CLAUSE_GRANT, &genuine, &other_tx, "invalid_grant").await);

    match &target.other_customer {
        Some(other) => {
            let signed = run.signed(&other.certificate);
            checks.push(
                run.refused("integrated-other-customer", CLAUSE_USER, &signed, &signed.tx_id, "unauthorized_user")
                    .await,
            );
        }
        None => checks.push(CheckResult {
            check: "integrated-other-customer".into(),
            clause: CLAUSE_USER.into(),
            status: Status::NotTested,
            reason: "no other customer's certificate given".into(),
        }),
    }

    // The consent refused under another tx_id, now under its own: accepted, since a refusal uses
    // nothing up; then its nonces again under a new tx_id, signed anew.
    let (status, reason) = match run.send(&genuine, &genuine.tx_id).await {
        Ok(answer) if answer.text("tx_id").as_deref() != Some(genuine.tx_id.as_str()) => {
            (Status::Fail, format!("tx_id {:?} is not the request's", answer.text("tx_id")))
        }
        Ok(answer) if answer.text("access_token").is_none() || answer.text("refresh_token").is_none() => {
            (Status::Fail, "no access_token or refresh_token".into())
        }
        Ok(answer) => {
            (Status::Pass, format!("HTTP {}: scope {}", answer.status, answer.text("scope").unwrap_or_default()))
        }
        Err(e) => (Status::Fail, e.to_string()),
    };
    let accepted = status == Status::Pass;
    checks.push(CheckResult {
        check: "integrated-happy-path".into(),
        clause: "ch.3.2.2, ch.5 통합인증-002".into(),
        status,
        reason,
    });
    if accepted {
        let tx = tx_id(&target.operator_org, &target.org_code, &target.ca_code, Utc::now(), run.next());
        let replay = run.sign_as(customer, &tx, &genuine.consent_nonce, &genuine.ucpid_nonce);
        checks.push(run.refused("integrated-replayed-nonce", CLAUSE_GRANT, &replay, &tx, "invalid_grant").await);
    } else {
        checks.push(CheckResult {
            check: "integrated-replayed-nonce".into(),
            clause: CLAUSE_GRANT.into(),
            status: Status::NotTested,
            reason: "the genuine request was not accepted, so there is no nonce to replay".into(),
        });
    }
    ApiReport {
        api_id: spec.id.into(),
        name: spec.name.into(),
        org_code: target.org_code.clone(),
        industry: target.industry.to_string(),
        method: "POST".into(),
        path: spec.resource.into(),
        announced: None,
        checks,
    }
}
