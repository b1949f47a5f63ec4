//! Random sequences of issue / refresh / retried refresh / revoke / time passing, run against the
//! real store and token code: at most one live token pair exists per customer and service, and a
//! revoked (or replaced) consent never yields data.

use crate::common;

use chrono::{Days, Utc};
use common::*;
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_provider::tokens::{IssuedPair, Lifetimes, authenticate, prepare_pair, refresh_access};
use mydata_store::{Backend, ConsentRecord, TokenKind, prelude::*};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Issue,
    Refresh,
    RetryRefresh,
    RefreshAnOldConsent,
    Revoke,
    Wait(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => Just(Step::Issue),
        4 => Just(Step::Refresh),
        2 => Just(Step::RetryRefresh),
        1 => Just(Step::RefreshAnOldConsent),
        1 => Just(Step::Revoke),
        2 => (1i64..90).prop_map(Step::Wait),
    ]
}

fn new_consent(now: i64) -> Consent {
    Consent {
        consent_id: uuid::Uuid::new_v4().to_string(),
        org_code: BANK.into(),
        customer_id: "cust-1".into(),
        client_id: "client-1".into(),
        scopes: "bank.list".parse().unwrap(),
        assets: Default::default(),
        is_scheduled: false,
        fnd_cycle: None,
        add_cycle: None,
        end_date: Utc::now().date_naive() + Days::new(30),
        purpose: "property".into(),
        period: Utc::now().date_naive() + Days::new(30),
        options: ConsentOptions::default(),
        status: ConsentStatus::Active,
        created_at: now,
    }
}

struct Issued {
    consent: Consent,
    pair: IssuedPair,
    /// Every access token ever handed out under this consent.
    access_tokens: Vec<String>,
}

async fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let app = spawn(Backend::Sqlite).await;
    app.customer(BANK, "cust-1").await;
    let store = app.store.as_ref();
    let keys = &app.provider.keys;
    let lifetimes = Lifetimes::default();
    let mut now = Utc::now().timestamp();
    let mut issued: Vec<Issued> = Vec::new();
    for step in steps {
        match step {
            Step::Wait(secs) => now += secs,
            Step::Issue => {
                let consent = new_consent(now);
                let pair = prepare_pair(keys, &consent, lifetimes, now);
                let record = ConsentRecord {
                    consent: &consent,
                    closes_session: None,
                    code: None,
                    tokens: &pair.records,
                    nonces: &[],
                };
                store.record_consent(&record, now).await.unwrap().unwrap();
                let access_tokens = vec![pair.issued.access_token.clone()];
                issued.push(Issued { consent, pair: pair.issued, access_tokens });
            }
            Step::Refresh | Step::RetryRefresh | Step::RefreshAnOldConsent => {
                let target = match step {
                    Step::RefreshAnOldConsent if issued.len() >= 2 => issued.len() - 2,
                    _ if issued.is_empty() => continue,
                    _ => issued.len() - 1,
                };
                let entry = &mut issued[target];
                let claims = keys.verify_signature(&entry.pair.refresh_token).unwrap();
                let record = store.token(&claims.jti).await.unwrap().unwrap();
                let consent = store.consent(&entry.consent.consent_id).await.unwrap().unwrap();
                let attempts = if matches!(step, Step::RetryRefresh) { 2 } else { 1 };
                let mut answers = Vec::new();
                for _ in 0..attempts {
                    answers.push(refresh_access(store, keys, &consent, &record, lifetimes, now).await.unwrap());
                }
                if consent.status == ConsentStatus::Revoked {
                    prop_assert!(answers.iter().all(Result::is_err), "a revoked consent yields no token");
                }
                if let [Ok(first), Ok(second)] = answers.as_slice() {
                    prop_assert_eq!(&first.access_token, &second.access_token, "a retry gets the same token");
                }
                entry.access_tokens.extend(answers.into_iter().flatten().map(|a| a.access_token));
            }
            Step::Revoke => {
                if let Some(last) = issued.last() {
                    store.revoke_consent_and_tokens(&last.consent.consent_id).await.unwrap();
                }
            }
        }
        // At most one consent of this customer and service has live tokens, and at most one pair.
        let mut with_live = 0;
        for entry in &issued {
            let live = store.live_tokens_of_consent(&entry.consent.consent_id).await.unwrap();
            let access = live.iter().filter(|t| t.kind == TokenKind::Access).count();
            let refresh = live.iter().filter(|t| t.kind == TokenKind::Refresh).count();
            prop_assert!(access <= 1 && refresh <= 1, "{access} access and {refresh} refresh tokens live");
            with_live += usize::from(!live.is_empty());
            let status = store.consent(&entry.consent.consent_id).await.unwrap().unwrap().status;
            if status == ConsentStatus::Revoked {
                prop_assert!(live.is_empty());
                for token in &entry.access_tokens {
                    prop_assert!(authenticate(store, keys, BANK, token).await.is_err(), "revoked consent yields data");
                }
            }
        }
        prop_assert!(with_live <= 1, "{with_live} consents with live tokens");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn one_live_pair_and_no_data_after_revocation(steps in prop::collection::vec(step(), 1..25)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(steps))?;
    }
}
