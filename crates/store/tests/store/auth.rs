//! The authorization server's records, on SQLite and on PostgreSQL: sessions, consent replacement,
//! single-use codes, refresh rotation with retry, revocation, replayed nonces.

use chrono::{Days, NaiveDate, Utc};
use mydata_domain::token::RefreshRefusal;
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_store::*;
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;

fn consent(id: &str, end: NaiveDate) -> Consent {
    Consent {
        consent_id: id.into(),
        org_code: "BANK000001".into(),
        customer_id: "c1".into(),
        client_id: "client-1".into(),
        scopes: "bank.list bank.deposit".parse().unwrap(),
        assets: [mydata_spec::AssetId::of("은행-001", "1001").unwrap()].into_iter().collect(),
        is_scheduled: false,
        fnd_cycle: None,
        add_cycle: None,
        end_date: end,
        purpose: "자산관리".into(),
        period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        options: ConsentOptions::default(),
        status: ConsentStatus::Active,
        created_at: NOW,
    }
}

fn far() -> NaiveDate {
    Utc::now().date_naive() + Days::new(3650)
}

fn token(jti: &str, consent_id: &str, kind: TokenKind, pair: &str) -> TokenRecord {
    TokenRecord {
        jti: jti.into(),
        consent_id: consent_id.into(),
        client_id: "client-1".into(),
        kind,
        pair_id: pair.into(),
        status: TokenStatus::Active,
        expires_at: NOW + 86_400,
        created_at: NOW,
    }
}

fn session(digest: &str) -> AuthSession {
    AuthSession {
        session_digest: digest.into(),
        org_code: "BANK000001".into(),
        client_id: "client-1".into(),
        redirect_uri: "https://op.example/cb".into(),
        state: "s1".into(),
        app_scheme: "app://x".into(),
        tran_id: "OPERAT0001M00000000000001".into(),
        user_ci: "CI1".into(),
        customer_id: None,
        browser_digest: None,
        created_at: NOW,
        expires_at: NOW + 600,
        closed_at: None,
    }
}

fn record<'a>(c: &'a Consent, tokens: &'a [TokenRecord]) -> ConsentRecord<'a> {
    ConsentRecord { consent: c, closes_session: None, code: None, tokens, nonces: &[] }
}

both_backends!(sessions_sign_in_once_and_close_once, |store| async move {
    store.insert_auth_session(&session("d1")).await.unwrap();
    assert!(store.sign_in_auth_session("d1", "c1", "b1", NOW).await.unwrap());
    assert!(!store.sign_in_auth_session("d1", "c2", "b2", NOW).await.unwrap(), "one customer per session");
    let stored = store.auth_session("d1").await.unwrap().unwrap();
    assert_eq!((stored.customer_id.as_deref(), stored.browser_digest.as_deref()), (Some("c1"), Some("b1")));
    store.insert_auth_session(&session("d2")).await.unwrap();
    assert!(!store.sign_in_auth_session("d2", "c1", "b1", NOW + 600).await.unwrap(), "expired");
    assert!(store.close_auth_session("d1", NOW).await.unwrap());
    assert!(!store.close_auth_session("d1", NOW).await.unwrap());
    // A consent for a closed session is refused and writes nothing.
    let c = consent("k1", far());
    let refused =
        store.record_consent(&ConsentRecord { closes_session: Some("d1"), ..record(&c, &[]) }, NOW).await.unwrap();
    assert_eq!(refused, Err(ConsentRecordRefusal::SessionClosed));
    assert_eq!(store.consent("k1").await.unwrap(), None);
});

both_backends!(a_new_consent_replaces_the_old_one_with_its_tokens, |store| async move {
    let old = consent("old", far());
    let old_tokens = [token("a1", "old", TokenKind::Access, "p1"), token("r1", "old", TokenKind::Refresh, "p1")];
    store.record_consent(&record(&old, &old_tokens), NOW).await.unwrap().unwrap();
    let other_client = Consent { consent_id: "other".into(), client_id: "client-2".into(), ..consent("x", far()) };
    store.record_consent(&record(&other_client, &[]), NOW).await.unwrap().unwrap();
    let new = consent("new", far());
    store.record_consent(&record(&new, &[]), NOW).await.unwrap().unwrap();
    assert_eq!(store.consent("old").await.unwrap().unwrap().status, ConsentStatus::Revoked);
    assert_eq!(store.token("a1").await.unwrap().unwrap().status, TokenStatus::Revoked);
    assert_eq!(
        store.consent("other").await.unwrap().unwrap().status,
        ConsentStatus::Active,
        "other services untouched"
    );
    assert_eq!(store.consent("new").await.unwrap().unwrap().status, ConsentStatus::Active);
});

both_backends!(codes_redeem_once_and_a_second_use_revokes, |store| async move {
    let c = consent("k1", far());
    let code = AuthorizationCode {
        code_digest: "code1".into(),
        consent_id: "k1".into(),
        client_id: "client-1".into(),
        redirect_uri: "https://op.example/cb".into(),
        created_at: NOW,
        expires_at: NOW + 300,
        redeemed_at: None,
        pair_id: None,
    };
    store.record_consent(&ConsentRecord { code: Some(&code), ..record(&c, &[]) }, NOW).await.unwrap().unwrap();
    assert_eq!(store.authorization_code("code1").await.unwrap(), Some(code));
    let pair = [token("a1", "k1", TokenKind::Access, "p1"), token("r1", "k1", TokenKind::Refresh, "p1")];
    assert_eq!(store.redeem_authorization_code("code1", NOW, &pair).await.unwrap(), Redemption::Issued);
    let again = [token("a2", "k1", TokenKind::Access, "p2"), token("r2", "k1", TokenKind::Refresh, "p2")];
    assert_eq!(store.redeem_authorization_code("code1", NOW, &again).await.unwrap(), Redemption::AlreadyRedeemed);
    assert_eq!(store.token("a2").await.unwrap(), None, "the second use issued nothing");
    assert_eq!(store.token("a1").await.unwrap().unwrap().status, TokenStatus::Revoked);
    assert_eq!(store.redeem_authorization_code("nope", NOW, &again).await.unwrap(), Redemption::NoSuchCode);
});

both_backends!(a_revoked_consent_keeps_its_code_unredeemed, |store| async move {
    let c = consent("k1", far());
    let code = AuthorizationCode {
        code_digest: "code1".into(),
        consent_id: "k1".into(),
        client_id: "client-1".into(),
        redirect_uri: "https://op.example/cb".into(),
        created_at: NOW,
        expires_at: NOW + 300,
        redeemed_at: None,
        pair_id: None,
    };
    store.record_consent(&ConsentRecord { code: Some(&code), ..record(&c, &[]) }, NOW).await.unwrap().unwrap();
    assert!(store.revoke_consent_and_tokens("k1").await.unwrap());
    let pair = [token("a1", "k1", TokenKind::Access, "p1")];
    assert_eq!(store.redeem_authorization_code("code1", NOW, &pair).await.unwrap(), Redemption::ConsentInactive);
    assert_eq!(store.token("a1").await.unwrap(), None);
    assert_eq!(store.authorization_code("code1").await.unwrap().unwrap().redeemed_at, None);
});

both_backends!(refresh_rotates_repeats_within_grace_and_stops_at_revocation, |store| async move {
    let c = consent("k1", far());
    let pair = [token("a1", "k1", TokenKind::Access, "p1"), token("r1", "k1", TokenKind::Refresh, "p1")];
    store.record_consent(&record(&c, &pair), NOW).await.unwrap().unwrap();
    let next = TokenRecord { created_at: NOW + 10, ..token("a2", "k1", TokenKind::Access, "p1") };
    assert_eq!(store.refresh_access_token("r1", NOW + 10, 60, &next).await.unwrap(), Rotation::Issued);
    assert_eq!(store.token("a1").await.unwrap().unwrap().status, TokenStatus::Rotated);
    let retry = token("a3", "k1", TokenKind::Access, "p1");
    assert_eq!(store.refresh_access_token("r1", NOW + 20, 60, &retry).await.unwrap(), Rotation::Repeated(next.clone()));
    assert_eq!(store.token("a3").await.unwrap(), None, "a retry writes nothing");
    let later = TokenRecord { created_at: NOW + 100, ..token("a4", "k1", TokenKind::Access, "p1") };
    assert_eq!(store.refresh_access_token("r1", NOW + 100, 60, &later).await.unwrap(), Rotation::Issued);
    let live = store.live_tokens_of_consent("k1").await.unwrap();
    assert_eq!(live.iter().map(|t| t.jti.as_str()).collect::<Vec<_>>(), ["r1", "a4"]);
    assert!(store.revoke_consent_and_tokens("k1").await.unwrap());
    assert!(store.live_tokens_of_consent("k1").await.unwrap().is_empty());
    let after = token("a5", "k1", TokenKind::Access, "p1");
    assert_eq!(
        store.refresh_access_token("r1", NOW + 200, 60, &after).await.unwrap(),
        Rotation::Refused(RefreshRefusal::RefreshRevoked)
    );
});

both_backends!(refresh_refuses_after_the_consent_ends, |store| async move {
    let ended = consent("k1", NaiveDate::from_ymd_opt(2020, 1, 1).unwrap());
    let pair = [token("a1", "k1", TokenKind::Access, "p1"), token("r1", "k1", TokenKind::Refresh, "p1")];
    store.record_consent(&record(&ended, &pair), NOW).await.unwrap().unwrap();
    let next = token("a2", "k1", TokenKind::Access, "p1");
    assert_eq!(
        store.refresh_access_token("r1", NOW, 60, &next).await.unwrap(),
        Rotation::Refused(RefreshRefusal::ConsentUnusable)
    );
});

both_backends!(concurrent_refreshes_leave_one_live_access_token, |store| async move {
    let c = consent("k1", far());
    let pair = [token("a0", "k1", TokenKind::Access, "p1"), token("r1", "k1", TokenKind::Refresh, "p1")];
    store.record_consent(&record(&c, &pair), NOW).await.unwrap().unwrap();
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let access = token(&format!("a{}", i + 1), "k1", TokenKind::Access, "p1");
                store.refresh_access_token("r1", NOW + 1, 60, &access).await.unwrap()
            })
        })
        .collect();
    let mut issued = 0;
    for task in tasks {
        if task.await.unwrap() == Rotation::Issued {
            issued += 1;
        }
    }
    assert_eq!(issued, 1, "the others repeat the first answer");
    let live = store.live_tokens_of_consent("k1").await.unwrap();
    assert_eq!(live.iter().filter(|t| t.kind == TokenKind::Access).count(), 1);
});

both_backends!(a_nonce_is_used_once_per_ca, |store| async move {
    let first = consent("k1", far());
    let nonces = [("CA00000001", "n1")];
    store.record_consent(&ConsentRecord { nonces: &nonces, ..record(&first, &[]) }, NOW).await.unwrap().unwrap();
    let replay = consent("k2", far());
    let refused = store.record_consent(&ConsentRecord { nonces: &nonces, ..record(&replay, &[]) }, NOW).await.unwrap();
    assert_eq!(refused, Err(ConsentRecordRefusal::NonceReplayed));
    assert_eq!(store.consent("k2").await.unwrap(), None, "nothing of the replay was written");
    assert_eq!(store.consent("k1").await.unwrap().unwrap().status, ConsentStatus::Active, "nor did it replace");
    let other_ca = [("CA00000002", "n1")];
    store.record_consent(&ConsentRecord { nonces: &other_ca, ..record(&replay, &[]) }, NOW).await.unwrap().unwrap();
});

both_backends!(expired_sessions_are_purged_and_live_ones_kept, |store| async move {
    store.insert_auth_session(&session("old")).await.unwrap();
    store.insert_auth_session(&AuthSession { expires_at: NOW + 10_000, ..session("live") }).await.unwrap();
    assert_eq!(store.purge_auth_sessions(NOW + 600).await.unwrap(), 0, "expiring exactly now is kept");
    assert_eq!(store.purge_auth_sessions(NOW + 601).await.unwrap(), 1);
    assert_eq!(store.auth_session("old").await.unwrap(), None);
    assert!(store.auth_session("live").await.unwrap().is_some());
});
