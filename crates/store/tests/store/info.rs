//! Information-data store behaviours (change stamps, scheduled-call counters), on both backends.

use mydata_store::*;
use serde_json::json;

fn asset(key: &str, customer: &str, updated_at: i64) -> AssetRow {
    AssetRow {
        org_code: "BANK000001".into(),
        list_api: "은행-001".into(),
        asset_key: key.into(),
        customer_id: customer.into(),
        sort_key: key.into(),
        item: json!({"account_num": key}),
        updated_at,
    }
}

/// A page of assets as their list answers it.
fn listed(page: Page<AssetRow>) -> Page<ListedAsset> {
    let items =
        page.items.into_iter().map(|a| ListedAsset { asset_key: a.asset_key, item_json: a.item.to_string() }).collect();
    Page { items, next: page.next }
}

both_backends!(asset_lists_report_their_latest_change, |store| async move {
    let changed = |list: &'static str| {
        let store = store.clone();
        async move { store.asset_listing("BANK000001", list, "c1", None, 10).await.unwrap().changed_at }
    };
    assert_eq!(changed("은행-001").await, None);
    store.upsert_assets(&[asset("1001", "c1", 100), asset("1002", "c1", 250), asset("2001", "c2", 900)]).await.unwrap();
    assert_eq!(changed("은행-001").await, Some(250));
    // Changing one asset moves the list's stamp (ch.2.1: a changed list is a changed resource).
    store.upsert_assets(&[asset("1001", "c1", 400)]).await.unwrap();
    assert_eq!(changed("은행-001").await, Some(400));
    assert_eq!(changed("은행-002").await, None);
});

both_backends!(an_asset_listing_is_the_page_with_its_stamp_and_reg_date, |store| async move {
    let keys: Vec<String> = (0..5).map(|i| format!("10{i:02}")).collect();
    let rows: Vec<AssetRow> = keys.iter().enumerate().map(|(i, k)| asset(k, "c1", 100 + i as i64)).collect();
    store.upsert_assets(&rows).await.unwrap();
    store.upsert_assets(&[asset("9999", "c2", 999)]).await.unwrap();
    // Unknown customer: the page and stamp still come, reg_date does not.
    let listing = store.asset_listing("BANK000001", "은행-001", "c1", None, 2).await.unwrap();
    assert_eq!(listing.reg_date, None);
    assert_eq!(listing.changed_at, Some(104));
    assert_eq!(listing.page, listed(store.asset_page("BANK000001", "은행-001", "c1", None, 2).await.unwrap()));
    assert_eq!(listing.page.next.as_deref(), Some("1001"), "the cursor is the key, not its stored form");
    assert_eq!(listing.page.items.len(), 2);
    store
        .upsert_customer(&Customer {
            org_code: "BANK000001".into(),
            customer_id: "c1".into(),
            ci: "CI-c1".into(),
            customer_name: "홍길동".into(),
            reg_date: "20200102".into(),
        })
        .await
        .unwrap();
    // Paging past the end: an empty page that still knows the stamp and reg_date.
    let last = store.asset_listing("BANK000001", "은행-001", "c1", Some("1004"), 2).await.unwrap();
    assert_eq!((last.page.items.len(), last.page.next), (0, None));
    assert_eq!((last.changed_at, last.reg_date.as_deref()), (Some(104), Some("20200102")));
    let middle = store.asset_listing("BANK000001", "은행-001", "c1", Some("1001"), 2).await.unwrap();
    assert_eq!(middle.page, listed(store.asset_page("BANK000001", "은행-001", "c1", Some("1001"), 2).await.unwrap()));
});

both_backends!(a_detail_reads_its_asset_with_the_document_asked_for, |store| async move {
    store.upsert_assets(&[asset("1001", "c1", 100)]).await.unwrap();
    store.upsert_documents(&[deposit_document()]).await.unwrap();
    let subject = |key: &'static str, document: Option<(&'static str, &'static str)>| {
        let store = store.clone();
        async move { store.asset_subject("BANK000001", "은행-001", key, document).await.unwrap() }
    };
    let found = subject("1001", Some(("은행-002", "1001"))).await.expect("the asset");
    assert_eq!((found.customer_id.as_str(), found.updated_at), ("c1", 100));
    let document = found.document.expect("the document");
    assert_eq!(document.updated_at, 7);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&document.body_json).unwrap(), deposit_document().body);
    assert_eq!(subject("1001", None).await.unwrap().document, None, "no document unless asked for");
    assert_eq!(subject("1001", Some(("은행-003", "1001"))).await.unwrap().document, None, "no such document");
    assert_eq!(subject("1001", Some(("은행-002", "1001|3"))).await.unwrap().document, None);
    assert_eq!(subject("1002", Some(("은행-002", "1001"))).await, None, "no such asset");
    let other_list = store.asset_subject("BANK000001", "카드-001", "1001", None).await.unwrap();
    assert_eq!(other_list, None, "an asset of another list");
});

both_backends!(a_history_call_reads_its_asset_and_page_together, |store| async move {
    store.upsert_assets(&[asset("1001", "c1", 100), asset("2001", "c2", 200)]).await.unwrap();
    store.upsert_documents(&[deposit_document()]).await.unwrap();
    let entry = |subject: &str, customer: &str, i: u32| HistoryRow {
        org_code: "BANK000001".into(),
        api_id: "은행-002".into(),
        subject_key: subject.into(),
        sort_key: format!("2026010{}120000|{i}", 1 + i % 3),
        customer_id: customer.into(),
        occurred: format!("2026010{}120000", 1 + i % 3),
        body: json!({"trans_no": i.to_string()}),
    };
    let rows: Vec<HistoryRow> = (0..5).map(|i| entry("1001", "c1", i)).chain([entry("2001", "c2", 9)]).collect();
    store.upsert_history(&rows).await.unwrap();
    fn query<'a>(subject_key: &'a str, before: Option<&'a str>) -> HistoryQuery<'a> {
        HistoryQuery {
            org_code: "BANK000001",
            api_id: "은행-002",
            subject_key,
            customer_id: "c1",
            from: "20260102000000",
            to: "20260103235959",
            before,
            limit: 2,
        }
    }
    // What the two reads it replaces answer, page after page, with and without the document.
    let mut before = None;
    loop {
        let q = query("1001", before.as_deref());
        let (subject, page) = store.asset_history("은행-001", "1001", true, &q).await.unwrap().expect("the asset");
        let alone = store.asset_subject("BANK000001", "은행-001", "1001", Some(("은행-002", "1001"))).await.unwrap();
        assert_eq!(Some(subject), alone);
        assert_eq!(page, store.history_page(&q).await.unwrap());
        let (subject, _) = store.asset_history("은행-001", "1001", false, &q).await.unwrap().unwrap();
        assert_eq!(subject.document, None, "no document unless asked for");
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    let everything = HistoryQuery { limit: 10, ..query("1001", None) };
    let (_, page) = store.asset_history("은행-001", "1001", true, &everything).await.unwrap().unwrap();
    // Entries 1, 2 and 4 fall on 2 and 3 January; newest (greatest sort key) first.
    assert_eq!(page.items, testing::history_entries([&rows[2], &rows[4], &rows[1]]));
    // Another customer's asset: the asset (which the caller refuses) without the other's history.
    let (subject, page) = store.asset_history("은행-001", "2001", false, &query("2001", None)).await.unwrap().unwrap();
    assert_eq!((subject.customer_id.as_str(), page.items.len()), ("c2", 0));
    assert_eq!(store.asset_history("은행-001", "1002", false, &query("1002", None)).await.unwrap(), None);
});

both_backends!(information_data_is_stored_as_wire_json, |store| async move {
    // 첨부2: every value travels as a string; data written with numbers or booleans is stored so.
    let mut numeric = asset("1001", "c1", 100);
    numeric.item = json!({"account_num": "1001", "seqno": 1, "is_minus": false, "rate": 2.5});
    store.upsert_assets(&[numeric]).await.unwrap();
    let document = Document { body: json!({"basic_cnt": 1, "basic_list": [{"amt": 10}]}), ..deposit_document() };
    store.upsert_documents(&[document]).await.unwrap();
    let listing = store.asset_listing("BANK000001", "은행-001", "c1", None, 10).await.unwrap();
    let item: serde_json::Value = serde_json::from_str(&listing.page.items[0].item_json).unwrap();
    assert_eq!(item, json!({"account_num": "1001", "seqno": "1", "is_minus": "false", "rate": "2.5"}));
    let stored = store.asset_subject("BANK000001", "은행-001", "1001", Some(("은행-002", "1001"))).await.unwrap();
    let body = stored.unwrap().document.unwrap().body_json;
    assert_eq!(body, r#"{"basic_cnt":"1","basic_list":[{"amt":"10"}]}"#);
});

both_backends!(periodic_transmissions_count_per_customer_client_api_subject_and_window, |store| async move {
    let call = |client: &'static str,
                customer: &'static str,
                api: &'static str,
                subject: &'static str,
                window: &'static str| {
        PeriodicCall {
            org_code: "BANK000001",
            client_id: client,
            customer_id: customer,
            api_id: api,
            subject_key: subject,
            cycle_window: window,
        }
    };
    let deposit = call("svc1", "c1", "은행-002", "1001", "2026-11-29w");
    assert_eq!(store.periodic_transmissions(&deposit).await.unwrap(), 0);
    assert!(store.take_periodic_transmission(&deposit, 2).await.unwrap());
    assert!(store.take_periodic_transmission(&deposit, 2).await.unwrap());
    assert!(!store.take_periodic_transmission(&deposit, 2).await.unwrap(), "the window's two are used");
    assert_eq!(store.periodic_transmissions(&deposit).await.unwrap(), 2, "a refused take counts nothing");
    // Each other subject, API, customer, client and window has its own allowance.
    for other in [
        call("svc1", "c1", "은행-002", "1002", "2026-11-29w"),
        call("svc1", "c1", "은행-003", "1001", "2026-11-29w"),
        call("svc1", "c2", "은행-002", "1001", "2026-11-29w"),
        call("svc2", "c1", "은행-002", "1001", "2026-11-29w"),
        call("svc1", "c1", "은행-002", "1001", "2026-12-06w"),
    ] {
        assert!(store.take_periodic_transmission(&other, 1).await.unwrap(), "{other:?}");
        assert!(!store.take_periodic_transmission(&other, 1).await.unwrap(), "{other:?}");
    }
    assert!(
        !store.take_periodic_transmission(&call("svc3", "c1", "은행-002", "1001", "2026-11-29w"), 0).await.unwrap()
    );
});

// Concurrent takes of the last transmission: exactly the allowance is granted.
both_backends!(concurrent_takes_never_exceed_the_allowance, |store| async move {
    let store = std::sync::Arc::new(store);
    let takes: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let call = PeriodicCall {
                    org_code: "BANK000001",
                    client_id: "svc1",
                    customer_id: "c1",
                    api_id: "은행-004",
                    subject_key: "1001",
                    cycle_window: "2026-11-29w",
                };
                store.take_periodic_transmission(&call, 3).await.unwrap()
            })
        })
        .collect();
    let mut granted = 0;
    for take in takes {
        granted += usize::from(take.await.unwrap());
    }
    assert_eq!(granted, 3);
});

both_backends!(bulk_loads_upsert_like_the_single_writes, |store| async move {
    let customers: Vec<Customer> = (0..3)
        .map(|i| Customer {
            org_code: "BANK000001".into(),
            customer_id: format!("c{i}"),
            ci: format!("CI{i}"),
            customer_name: "김민준".into(),
            reg_date: "20200101".into(),
        })
        .collect();
    // More rows than one statement holds, so the chunking is exercised.
    let assets: Vec<AssetRow> = (0..1_203).map(|i| asset(&format!("{i:05}"), "c1", 10)).collect();
    let documents = vec![Document {
        org_code: "BANK000001".into(),
        api_id: "은행-002".into(),
        subject_key: "00001".into(),
        customer_id: "c1".into(),
        body: json!({"basic_cnt": "0", "basic_list": []}),
        updated_at: 5,
    }];
    let history: Vec<HistoryRow> = (0..700)
        .map(|i| HistoryRow {
            org_code: "BANK000001".into(),
            api_id: "은행-004".into(),
            subject_key: "00001".into(),
            sort_key: format!("20260101120000|{i:05}"),
            customer_id: "c1".into(),
            occurred: "20260101120000".into(),
            body: json!({"trans_no": i.to_string()}),
        })
        .collect();
    let batch = InfoBatch { customers: &customers, assets: &assets, documents: &documents, history: &history };
    store.load_info(&batch).await.unwrap();
    // Loading again replaces rather than duplicates.
    store.load_info(&batch).await.unwrap();
    assert_eq!(store.customers("BANK000001").await.unwrap().len(), 3);
    let page = store.asset_page("BANK000001", "은행-001", "c1", None, 2_000).await.unwrap();
    assert_eq!(page.items.len(), 1_203);
    assert_eq!(page.items[7], assets[7]);
    assert_eq!(store.document("BANK000001", "은행-002", "00001").await.unwrap().unwrap().body, documents[0].body);
    let query = HistoryQuery {
        org_code: "BANK000001",
        api_id: "은행-004",
        subject_key: "00001",
        customer_id: "c1",
        from: "20260101000000",
        to: "20260101235959",
        before: None,
        limit: 1_000,
    };
    let rows = store.history_page(&query).await.unwrap().items;
    assert_eq!(rows.len(), 700);
    assert_eq!(rows[0], testing::history_entries([&history[699]])[0], "newest (greatest sort key) first");
});

fn deposit_document() -> Document {
    Document {
        org_code: "BANK000001".into(),
        api_id: "은행-002".into(),
        subject_key: "1001".into(),
        customer_id: "c1".into(),
        body: json!({"balance_amt": "1000"}),
        updated_at: 7,
    }
}

/// An in-memory SQLite database has no file for reads on the calling thread: they use the pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_sqlite_database_reads_through_its_pool() {
    let store = SqlStore::open("sqlite::memory:").await.unwrap();
    store.upsert_documents(&[deposit_document()]).await.unwrap();
    assert_eq!(store.document("BANK000001", "은행-002", "1001").await.unwrap(), Some(deposit_document()));
}

/// Information-API reads on PostgreSQL share connections of their own, each carrying many reads at
/// once; with one, concurrent reads all get their answer and see what the writers' pool committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_on_a_one_connection_read_pool_all_answer() {
    let db = testing::TestDatabase::new(Backend::Postgres).await;
    let store = std::sync::Arc::new(SqlStore::open_with(&db.url, Some(1)).await.unwrap());
    store.upsert_assets(&[asset("1001", "c1", 100), asset("1002", "c1", 200)]).await.unwrap();
    let readers: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.asset_listing("BANK000001", "은행-001", "c1", None, 10).await.unwrap() })
        })
        .collect();
    for reader in readers {
        let listing = reader.await.unwrap();
        assert_eq!((listing.changed_at, listing.page.items.len()), (Some(200), 2));
    }
    let reads = store.pool_usage().into_iter().find(|p| p.pool == "reads").expect("the reads' pool is reported");
    assert_eq!(reads.max, 1);
}

/// A read connection that PostgreSQL closes (a restart, an administrator's pg_terminate_backend)
/// is replaced: reads answer again, over a connection of another PostgreSQL process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_read_connection_is_replaced() {
    use sqlx::Connection;
    let db = testing::TestDatabase::new(Backend::Postgres).await;
    let name = format!("lost-read-{}", std::process::id());
    let store = SqlStore::open_with(&format!("{}&application_name={name}", db.url), Some(1)).await.unwrap();
    store.upsert_assets(&[asset("1001", "c1", 100)]).await.unwrap();
    let listed = |listing: mydata_store::AssetListing| listing.page.items.len();
    assert_eq!(listed(store.asset_listing("BANK000001", "은행-001", "c1", None, 10).await.unwrap()), 1);
    let mut admin = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let reader_pids = "SELECT pid FROM pg_stat_activity WHERE application_name = $1";
    let before: Vec<i32> =
        sqlx::query_scalar(reader_pids).bind(format!("{name} (reads)")).fetch_all(&mut admin).await.unwrap();
    assert_eq!(before.len(), 1, "one read connection, named after the URL's application_name");
    sqlx::query("SELECT pg_terminate_backend($1)").bind(before[0]).execute(&mut admin).await.unwrap();
    // The read that meets the closed connection may fail; one after it must not.
    let mut answered = None;
    for _ in 0..100 {
        if let Ok(listing) = store.asset_listing("BANK000001", "은행-001", "c1", None, 10).await {
            answered = Some(listed(listing));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(answered, Some(1), "reads answer again after their connection was closed");
    let after: Vec<i32> =
        sqlx::query_scalar(reader_pids).bind(format!("{name} (reads)")).fetch_all(&mut admin).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_ne!(after, before, "another PostgreSQL process serves the reads");
}
