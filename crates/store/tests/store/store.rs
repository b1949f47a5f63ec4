//! Every store behaviour, on SQLite and on PostgreSQL.

use chrono::NaiveDate;
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_store::*;
use serde_json::json;

fn consent(id: &str, assets: &[&str]) -> Consent {
    Consent {
        consent_id: id.into(),
        org_code: "BANK000001".into(),
        customer_id: "c1".into(),
        client_id: "client-1".into(),
        scopes: "bank.list bank.deposit".parse().unwrap(),
        // The tests' assets are accounts of 은행-001.
        assets: assets.iter().map(|key| mydata_spec::AssetId::of("은행-001", *key).unwrap()).collect(),
        is_scheduled: true,
        fnd_cycle: Some("1/w".into()),
        add_cycle: Some("1/w".into()),
        end_date: NaiveDate::from_ymd_opt(2027, 11, 25).unwrap(),
        purpose: "자산관리 서비스 제공".into(),
        period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        options: ConsentOptions { trans_memo: true, merchant_name_regno: false, trans_category: false },
        status: ConsentStatus::Active,
        created_at: 1_700_000_000,
    }
}

fn history(subject: &str, customer: &str, n: usize) -> Vec<HistoryRow> {
    (0..n)
        .map(|i| HistoryRow {
            org_code: "BANK000001".into(),
            api_id: "은행-004".into(),
            subject_key: subject.into(),
            // Mixed case and punctuation: order must be by bytes on every backend.
            sort_key: format!("202109{:02}120000|{}{i:04}", 1 + i % 28, if i % 2 == 0 { "a" } else { "B" }),
            customer_id: customer.into(),
            occurred: format!("202109{:02}", 1 + i % 28),
            body: json!({"trans_amt": format!("{}", i * 1000)}),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_finds_the_schema_current_and_the_data_intact() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = testing::TestDatabase::new(backend).await;
        let first = db.open().await.unwrap();
        assert_eq!(first.backend(), backend);
        first.ping().await.unwrap();
        let org = Org {
            org_code: "BANK000001".into(),
            org_name: "한빛은행".into(),
            industry: "bank".into(),
            org_type: "provider".into(),
            updated_at: 1,
        };
        first.upsert_org(&org).await.unwrap();
        drop(first);
        let second = db.open().await.unwrap();
        assert_eq!(second.orgs().await.unwrap(), vec![org], "{backend:?}");
    }
}

both_backends!(orgs_clients_and_customers_round_trip, |store| async move {
    let org = Org {
        org_code: "CARD000001".into(),
        org_name: "하나로카드".into(),
        industry: "card".into(),
        org_type: "provider".into(),
        updated_at: 10,
    };
    store.upsert_org(&org).await.unwrap();
    store.upsert_org(&Org { org_name: "하나로카드(주)".into(), ..org.clone() }).await.unwrap();
    assert_eq!(store.org("CARD000001").await.unwrap().unwrap().org_name, "하나로카드(주)");
    assert_eq!(store.org("NOPE000000").await.unwrap(), None);

    let client = Client {
        client_id: "client-1".into(),
        client_secret_hash: "abc".into(),
        org_code: "OPER000001".into(),
        client_name: "머니플랜".into(),
        redirect_uris: vec!["https://app.example/cb".into(), "https://app.example/cb2".into()],
        app_schemes: None,
        updated_at: 1,
    };
    store.upsert_client(&client).await.unwrap();
    assert_eq!(store.client("client-1").await.unwrap(), Some(client.clone()));
    assert_eq!(store.client("other").await.unwrap(), None);
    // The registry's app schemes, none at all included, are kept apart from a local client's unknown ones.
    for schemes in [vec!["moneyplan://auth".to_owned(), "moneyplan2://auth".to_owned()], vec![]] {
        let registered = Client { app_schemes: Some(schemes), ..client.clone() };
        store.upsert_client(&registered).await.unwrap();
        assert_eq!(store.client("client-1").await.unwrap(), Some(registered));
    }
    store.upsert_client(&client).await.unwrap();
    assert_eq!(store.client("client-1").await.unwrap().unwrap().app_schemes, None, "overwritten as given");

    let customer = Customer {
        org_code: "CARD000001".into(),
        customer_id: "c1".into(),
        ci: "CI-홍길동".into(),
        customer_name: "홍길동".into(),
        reg_date: "20150301".into(),
    };
    store.upsert_customer(&customer).await.unwrap();
    assert_eq!(store.customer_by_ci("CARD000001", "CI-홍길동").await.unwrap(), Some(customer.clone()));
    assert_eq!(store.customer_by_ci("BANK000001", "CI-홍길동").await.unwrap(), None);
    assert_eq!(store.customers("CARD000001").await.unwrap(), vec![customer]);
});

both_backends!(consents_are_atomic_and_revocable_once, |store| async move {
    let c = consent("consent-1", &["1001", "1002"]);
    store.insert_consent(&c).await.unwrap();
    assert_eq!(store.consent("consent-1").await.unwrap(), Some(c.clone()));

    // A duplicate id is refused and leaves the first record untouched.
    let dup = consent("consent-1", &["9999"]);
    assert!(matches!(store.insert_consent(&dup).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.consent("consent-1").await.unwrap().unwrap().assets, c.assets);

    assert!(store.revoke_consent("consent-1").await.unwrap());
    assert!(!store.revoke_consent("consent-1").await.unwrap(), "second revoke changes nothing");
    assert!(!store.revoke_consent("missing").await.unwrap());
    let revoked = store.consent("consent-1").await.unwrap().unwrap();
    assert_eq!(revoked.status, ConsentStatus::Revoked);

    store.insert_consent(&consent("consent-2", &[])).await.unwrap();
    let listed = store.consents_of_customer("BANK000001", "c1").await.unwrap();
    assert_eq!(listed.len(), 2);
});

both_backends!(asset_lists_page_by_key_per_customer, |store| async move {
    let rows: Vec<AssetRow> = (0..23)
        .map(|i| AssetRow {
            org_code: "BANK000001".into(),
            list_api: "은행-001".into(),
            asset_key: format!("acct{i}"),
            customer_id: if i % 5 == 0 { "other".into() } else { "c1".into() },
            sort_key: format!("1001|{i:020}"),
            item: json!({"account_num": format!("acct{i}")}),
            updated_at: 5,
        })
        .collect();
    store.upsert_assets(&rows).await.unwrap();
    let mine: Vec<_> = rows.iter().filter(|r| r.customer_id == "c1").cloned().collect();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.asset_page("BANK000001", "은행-001", "c1", after.as_deref(), 4).await.unwrap();
        assert!(page.items.len() <= 4);
        seen.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, mine);
    assert_eq!(store.asset("BANK000001", "은행-001", "acct3").await.unwrap(), Some(rows[3].clone()));
});

both_backends!(documents_replace_in_place, |store| async move {
    let mut doc = Document {
        org_code: "BANK000001".into(),
        api_id: "은행-002".into(),
        subject_key: "1001".into(),
        customer_id: "c1".into(),
        body: json!({"balance_amt": "100.5"}),
        updated_at: 1,
    };
    store.upsert_documents(std::slice::from_ref(&doc)).await.unwrap();
    doc.body = json!({"balance_amt": "99"});
    doc.updated_at = 2;
    store.upsert_documents(std::slice::from_ref(&doc)).await.unwrap();
    assert_eq!(store.document("BANK000001", "은행-002", "1001").await.unwrap(), Some(doc));
    assert_eq!(store.document("BANK000001", "은행-003", "1001").await.unwrap(), None);
});

both_backends!(history_pages_newest_first_within_the_period, |store| async move {
    let rows = history("1001", "c1", 60);
    store.upsert_history(&rows).await.unwrap();
    store.upsert_history(&history("1001", "intruder", 3)).await.unwrap();
    let mut expected: Vec<_> = rows
        .iter()
        .filter(|r| r.occurred.as_str() >= "20210905" && r.occurred.as_str() <= "20210920")
        .cloned()
        .collect();
    expected.sort_by(|a, b| b.sort_key.as_bytes().cmp(a.sort_key.as_bytes()));
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let q = HistoryQuery {
            org_code: "BANK000001",
            api_id: "은행-004",
            subject_key: "1001",
            customer_id: "c1",
            from: "20210905",
            to: "20210920",
            before: before.as_deref(),
            limit: 7,
        };
        let page = store.history_page(&q).await.unwrap();
        seen.extend(page.items);
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, testing::history_entries(&expected));
});

#[tokio::test]
async fn unknown_database_urls_are_refused_with_a_clear_error() {
    let err = SqlStore::open("mysql://localhost/x").await.unwrap_err();
    assert!(err.to_string().contains("neither sqlite:// nor postgres://"), "{err}");
}

both_backends!(tokens_and_keys_round_trip_and_revoke_by_consent, |store| async move {
    let key = SigningKey {
        kid: "k1".into(),
        algorithm: "EdDSA".into(),
        private_pkcs8: "cHJpdmF0ZQ==".into(),
        public_key: "cHVibGlj".into(),
        created_at: 1,
        retired_at: None,
    };
    store.insert_signing_key(&key).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap(), vec![key.clone()]);
    assert!(store.insert_signing_key(&key).await.is_err(), "a kid is unique");

    let token = |jti: &str, consent: &str, kind| TokenRecord {
        jti: jti.into(),
        consent_id: consent.into(),
        client_id: "client-1".into(),
        kind,
        pair_id: format!("pair-{consent}"),
        status: TokenStatus::Active,
        expires_at: 100,
        created_at: 1,
    };
    let tokens = [
        token("a1", "c1", TokenKind::Access),
        token("r1", "c1", TokenKind::Refresh),
        token("a2", "c2", TokenKind::Access),
    ];
    store.insert_tokens(&tokens).await.unwrap();
    assert_eq!(store.token("r1").await.unwrap(), Some(tokens[1].clone()));
    assert_eq!(store.revoke_tokens_of_consent("c1").await.unwrap(), 2);
    assert_eq!(store.revoke_tokens_of_consent("c1").await.unwrap(), 0);
    assert_eq!(store.token("a1").await.unwrap().unwrap().status, TokenStatus::Revoked);
    assert_eq!(store.token("a2").await.unwrap().unwrap().status, TokenStatus::Active);
    assert_eq!(store.token("missing").await.unwrap(), None);
});

both_backends!(an_access_grant_is_the_token_with_its_whole_consent, |store| async move {
    let token = |jti: &str, consent_id: &str| TokenRecord {
        jti: jti.into(),
        consent_id: consent_id.into(),
        client_id: "client-1".into(),
        kind: TokenKind::Access,
        pair_id: format!("pair-{jti}"),
        status: TokenStatus::Active,
        expires_at: 1_800_000_000,
        created_at: 1_700_000_100,
    };
    let with_assets = consent("consent-1", &["1001", "1002", "1003"]);
    let without_assets = consent("consent-2", &[]);
    store.insert_consent(&with_assets).await.unwrap();
    store.insert_consent(&without_assets).await.unwrap();
    store.insert_tokens(&[token("jti-1", "consent-1"), token("jti-2", "consent-2")]).await.unwrap();

    // The same token and consent as reading them one by one.
    let (record, granted) = store.access_grant("jti-1").await.unwrap().unwrap();
    assert_eq!(record, store.token("jti-1").await.unwrap().unwrap());
    assert_eq!(granted, with_assets);
    let (_, granted) = store.access_grant("jti-2").await.unwrap().unwrap();
    assert_eq!(granted, without_assets, "a consent without assets is found too");
    assert_eq!(store.access_grant("missing").await.unwrap(), None);

    // Revocation shows at once.
    store.revoke_consent_and_tokens("consent-1").await.unwrap();
    let (record, granted) = store.access_grant("jti-1").await.unwrap().unwrap();
    assert_eq!(record.status, TokenStatus::Revoked);
    assert_eq!(granted.status, ConsentStatus::Revoked);
});

/// Two servers sharing one database: a grant the first has read is reused until its time to live
/// runs out, and never after a write through the first itself.
async fn grants_of_two_instances(backend: Backend) {
    let db = testing::TestDatabase::new(backend).await;
    let ttl = std::time::Duration::from_millis(300);
    let first = db.open().await.unwrap().with_grant_cache_ttl(ttl);
    let second = db.open().await.unwrap();
    let token = |jti: &str| TokenRecord {
        jti: jti.into(),
        consent_id: "consent-1".into(),
        client_id: "client-1".into(),
        kind: TokenKind::Access,
        pair_id: "pair-1".into(),
        status: TokenStatus::Active,
        expires_at: 1_800_000_000,
        created_at: 1_700_000_100,
    };
    first.insert_consent(&consent("consent-1", &["1001"])).await.unwrap();
    first.insert_tokens(&[token("jti-1"), token("jti-2")]).await.unwrap();
    assert_eq!(first.access_grant("jti-1").await.unwrap().unwrap().0.status, TokenStatus::Active);

    second.revoke_tokens_of_consent("consent-1").await.unwrap();
    let (record, _) = first.access_grant("jti-1").await.unwrap().unwrap();
    assert_eq!(record.status, TokenStatus::Active, "within the time to live, the first instance reuses its read");
    tokio::time::sleep(ttl).await;
    let (record, _) = first.access_grant("jti-1").await.unwrap().unwrap();
    assert_eq!(record.status, TokenStatus::Revoked, "after it, the revocation shows");

    // A write through the first instance shows at once, even for a grant read just before it.
    first.insert_tokens(&[token("jti-3")]).await.unwrap();
    first.access_grant("jti-3").await.unwrap().unwrap();
    first.revoke_consent("consent-1").await.unwrap();
    assert_eq!(first.access_grant("jti-3").await.unwrap().unwrap().1.status, ConsentStatus::Revoked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_by_another_instance_shows_within_the_grant_cache_ttl_sqlite() {
    grants_of_two_instances(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_by_another_instance_shows_within_the_grant_cache_ttl_postgres() {
    grants_of_two_instances(Backend::Postgres).await;
}

// A caller can be cancelled at any await (a client hangs up, a collection is killed). However
// late that comes, no transaction stays open on a pooled connection to block the next writer,
// and each write is stored whole or not at all.
both_backends!(writers_cancelled_at_any_point_leave_no_transaction_open, |store| async move {
    use rand::Rng;
    let store = std::sync::Arc::new(store);
    let pair = |n: usize| {
        [TokenKind::Access, TokenKind::Refresh].map(|kind| TokenRecord {
            jti: format!("{n}-{kind:?}"),
            consent_id: "consent-1".into(),
            client_id: "client-1".into(),
            kind,
            pair_id: format!("pair-{n}"),
            status: TokenStatus::Active,
            expires_at: 1_800_000_000,
            created_at: 1_700_000_100,
        })
    };
    for n in 0..300 {
        let writer = tokio::spawn({
            let store = store.clone();
            async move { store.insert_tokens(&pair(n)).await }
        });
        for _ in 0..rand::thread_rng().gen_range(0..40) {
            tokio::task::yield_now().await;
        }
        writer.abort();
        let _ = writer.await;
    }
    store.insert_tokens(&pair(300)).await.expect("the next writer is not blocked");
    for n in 0..=300 {
        let [access, refresh] = pair(n).map(|t| t.jti);
        let stored = (store.token(&access).await.unwrap().is_some(), store.token(&refresh).await.unwrap().is_some());
        assert!(stored == (true, true) || stored == (false, false), "pair {n} stored whole or not at all: {stored:?}");
    }
});
