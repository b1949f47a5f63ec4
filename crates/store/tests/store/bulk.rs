//! The bulk-load path (`BulkStore::bulk_load`): the same rows as the single upserts, on both backends,
//! and the connection's loading settings never leak into the pool.

use mydata_store::*;
use serde_json::json;

fn rows(customer: &str) -> (Vec<Customer>, Vec<AssetRow>, Vec<Document>, Vec<HistoryRow>) {
    let customers = vec![Customer {
        org_code: "CARD000001".into(),
        customer_id: customer.into(),
        ci: format!("CI-{customer}"),
        customer_name: "김민준".into(),
        reg_date: "20200101".into(),
    }];
    // More rows than one statement holds, so the statements are chunked.
    let assets: Vec<AssetRow> = (0..1_203)
        .map(|i| AssetRow {
            org_code: "CARD000001".into(),
            list_api: "카드-001".into(),
            asset_key: format!("{customer}-card{i:05}"),
            customer_id: customer.into(),
            sort_key: format!("01|{customer}-card{i:05}"),
            item: json!({"card_id": format!("{customer}-card{i:05}"), "card_name": "한빛 \"플래티넘\" 카드"}),
            updated_at: 10,
        })
        .collect();
    let documents = vec![Document {
        org_code: "CARD000001".into(),
        api_id: "카드-006".into(),
        subject_key: customer.into(),
        customer_id: customer.into(),
        body: json!({"is_revolving": "false", "pay_cnt": "1", "pay_list": [{"seqno": "1", "pay_amt": "1000"}]}),
        updated_at: 5,
    }];
    let history: Vec<HistoryRow> = (0..700)
        .map(|i| HistoryRow {
            org_code: "CARD000001".into(),
            api_id: "카드-004".into(),
            subject_key: customer.into(),
            sort_key: format!("20260101120000|{i:05}"),
            customer_id: customer.into(),
            occurred: "20260101120000".into(),
            body: json!({"seqno": "1", "charge_amt": i.to_string()}),
        })
        .collect();
    (customers, assets, documents, history)
}

fn period<'a>(customer: &'a str) -> HistoryQuery<'a> {
    HistoryQuery {
        org_code: "CARD000001",
        api_id: "카드-004",
        subject_key: customer,
        customer_id: customer,
        from: "20260101000000",
        to: "20260101235959",
        before: None,
        limit: 1_000,
    }
}

both_backends!(a_bulk_load_stores_what_the_single_upserts_store, |store| async move {
    let (customers, assets, documents, history) = rows("c1");
    let batch = EncodedInfo::encode(customers.clone(), assets.clone(), documents.clone(), history.clone());
    // Loading again replaces rather than duplicates.
    for _ in 0..2 {
        let mut load = store.bulk_load().await.unwrap();
        load.load(batch.clone()).await.unwrap();
        load.finish().await.unwrap();
    }
    // Batches written at once (PostgreSQL writes on several connections) all arrive.
    let mut load = store.bulk_load().await.unwrap();
    for customer in ["c3", "c4", "c5"] {
        let (customers, assets, documents, history) = rows(customer);
        load.load(EncodedInfo::encode(customers, assets, documents, history)).await.unwrap();
    }
    load.finish().await.unwrap();
    for customer in ["c3", "c4", "c5"] {
        assert_eq!(store.history_page(&period(customer)).await.unwrap().items.len(), 700, "{customer}");
    }

    // The same rows through the single upserts, for another customer, read back alike.
    let (customers2, assets2, documents2, history2) = rows("c2");
    store.upsert_customer(&customers2[0]).await.unwrap();
    store.upsert_assets(&assets2).await.unwrap();
    store.upsert_documents(&documents2).await.unwrap();
    store.upsert_history(&history2).await.unwrap();

    assert_eq!(store.customers("CARD000001").await.unwrap().len(), 5);
    assert_eq!(store.customer("CARD000001", "c1").await.unwrap().as_ref(), Some(&customers[0]));
    for (customer, assets) in [("c1", &assets), ("c2", &assets2)] {
        let page = store.asset_page("CARD000001", "카드-001", customer, None, 2_000).await.unwrap();
        assert_eq!(&page.items, assets, "every asset, in sort-key order, as written");
    }
    let document = store.document("CARD000001", "카드-006", "c1").await.unwrap().unwrap();
    assert_eq!(document, documents[0]);
    let loaded = store.history_page(&period("c1")).await.unwrap().items;
    let single = store.history_page(&period("c2")).await.unwrap().items;
    assert_eq!(loaded.len(), 700);
    let mut newest_first: Vec<&HistoryRow> = history.iter().collect();
    newest_first.reverse();
    assert_eq!(loaded, testing::history_entries(newest_first), "newest (greatest sort key) first");
    assert_eq!(loaded, single);
});

/// `PRAGMA synchronous` and `wal_autocheckpoint` of as many connections as the pool may hold
/// (SQLite), acquired all at once, so that every connection it keeps is among them.
async fn sqlite_settings(store: &SqlStore) -> Vec<(i64, i64)> {
    let mut held = Vec::new();
    let mut settings = Vec::new();
    for _ in 0..store.pool().options().get_max_connections() {
        let mut connection = store.pool().acquire().await.unwrap();
        let synchronous = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *connection).await.unwrap();
        let checkpoints = sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(&mut *connection).await.unwrap();
        settings.push((synchronous, checkpoints));
        held.push(connection);
    }
    settings
}

both_backends!(loading_settings_stay_with_the_load, |store| async move {
    let (customers, assets, documents, history) = rows("c1");
    let batch = EncodedInfo::encode(customers, assets, documents, history);
    let mut load = store.bulk_load().await.unwrap();
    load.load(batch.clone()).await.unwrap();
    load.finish().await.unwrap();
    // An unfinished load (an error, a caller that gave up) closes its connection.
    let mut abandoned = store.bulk_load().await.unwrap();
    abandoned.load(batch.clone()).await.unwrap();
    drop(abandoned);
    if store.backend() == Backend::Sqlite {
        let settings = sqlite_settings(&store).await;
        assert!(!settings.is_empty());
        assert!(
            settings.iter().all(|&s| s == (1, 1000)),
            "every pooled connection is back to NORMAL and automatic checkpoints: {settings:?}"
        );
    }
    // The store works as before.
    assert_eq!(store.customers("CARD000001").await.unwrap().len(), 1);
    assert_eq!(store.history_page(&period("c1")).await.unwrap().items.len(), 700);
});

/// A bulk load fills tables PostgreSQL has not counted; when it is done, they are counted (as after
/// an import, `ImportStore::import_finished`), so that the reads planned next know their sizes.
#[tokio::test]
async fn postgres_counts_the_tables_a_bulk_load_filled() {
    let db = testing::TestDatabase::new(Backend::Postgres).await;
    let store = db.open().await.unwrap();
    assert_eq!(db.counted_rows("assets").await, -1, "never counted");
    let (customers, assets, documents, history) = rows("c1");
    let mut load = store.bulk_load().await.unwrap();
    load.load(EncodedInfo::encode(customers, assets, documents, history)).await.unwrap();
    load.finish().await.unwrap();
    assert_eq!(db.counted_rows("assets").await, 1_203);
}
