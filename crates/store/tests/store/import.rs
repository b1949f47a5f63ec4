//! Imports (`ImportStore::import`) on both backends: batches of many rows (on PostgreSQL through
//! COPY) stored exactly as given and all or nothing; a list's stamp when an import empties it; a
//! customer's reg_date whichever import gives it; an asset left out of its list, with what is stored
//! under its qualified subjects, whatever the database's collation.

use mydata_store::testing::TestDatabase;
use mydata_store::*;
use serde_json::json;

const ORG: &str = "CARD000001";
const CARDS: &str = "카드-001";

fn customer(id: &str, reg_date: &str) -> Customer {
    Customer {
        org_code: ORG.into(),
        customer_id: id.into(),
        ci: format!("CI-{id}"),
        customer_name: "김민준".into(),
        reg_date: reg_date.into(),
    }
}

fn card(customer_id: &str, i: usize) -> AssetRow {
    let card_id = format!("{customer_id}-card{i:05}");
    AssetRow {
        org_code: ORG.into(),
        list_api: CARDS.into(),
        sort_key: card_id.clone(),
        customer_id: customer_id.into(),
        // Text COPY must carry as given: quotes and backslashes (escaped in JSON), tabs, newlines.
        item: json!({"card_id": card_id, "card_name": "한빛 \"플래티넘\"\t카드\\n\n", "card_num": i.to_string()}),
        asset_key: card_id,
        updated_at: 0,
    }
}

fn cards(customer_id: &str, reg_date: Option<&str>, count: usize) -> ListReplacement {
    ListReplacement {
        org_code: ORG.into(),
        customer_id: customer_id.into(),
        list_api: CARDS.into(),
        reg_date: reg_date.map(str::to_owned),
        assets: (0..count).map(|i| card(customer_id, i)).collect(),
    }
}

/// A customer with more rows of each kind than one multi-row statement holds.
fn large_batch(id: &str) -> ImportBatch {
    let documents = (0..600)
        .map(|i| Document {
            org_code: ORG.into(),
            api_id: "카드-002".into(),
            subject_key: format!("{id}-card{i:05}"),
            customer_id: id.into(),
            body: json!({"card_type": "01", "annual_fee": i.to_string(), "memo": "a\\b\tc"}),
            updated_at: 0,
        })
        .collect();
    let entries = (0..700)
        .map(|i| HistoryRow {
            org_code: ORG.into(),
            api_id: "카드-004".into(),
            subject_key: format!("{id}-card00000"),
            sort_key: format!("20260101120000|{i:05}"),
            customer_id: id.into(),
            occurred: "20260101120000".into(),
            body: json!({"approved_num": i.to_string(), "merchant_name": "상점\n\"1\""}),
        })
        .map(EncodedHistory::from)
        .collect();
    ImportBatch {
        customers: vec![customer(id, "20200101")],
        lists: vec![cards(id, Some("20200101"), 1_203)],
        documents,
        entries,
        ..ImportBatch::default()
    }
}

async fn listing(store: &SqlStore, customer_id: &str) -> AssetListing {
    store.asset_listing(ORG, CARDS, customer_id, None, 10).await.unwrap()
}

async fn many_rows_are_stored_as_given_all_or_nothing(store: SqlStore) {
    let batch = large_batch("c1");
    let counts = store.import(&batch, 100).await.unwrap();
    assert_eq!(counts.rows_changed, 1 + 1_203 + 600 + 700);
    let stored = store.export_customer(ORG, "c1").await.unwrap();
    assert_eq!(stored.customer.as_ref(), batch.customers.first());
    let items: Vec<_> = stored.assets.iter().map(|a| (&a.asset_key, &a.item, a.updated_at)).collect();
    let given: Vec<_> = batch.lists[0].assets.iter().map(|a| (&a.asset_key, &a.item, 100)).collect();
    assert_eq!(items, given);
    let bodies: Vec<_> = stored.documents.iter().map(|d| &d.body).collect();
    assert_eq!(bodies, batch.documents.iter().map(|d| &d.body).collect::<Vec<_>>());
    assert_eq!(stored.history.len(), 700);
    assert!(stored.history.iter().all(|h| batch.entries.contains(&EncodedHistory::from(h.clone()))));
    // The same batch again changes nothing, stamps included.
    assert_eq!(store.import(&batch, 200).await.unwrap().rows_changed, 0);
    assert_eq!(listing(&store, "c1").await.changed_at, Some(100));

    // A large batch with a customer whose CI another holds writes nothing at all.
    let mut refused = large_batch("c2");
    refused.customers.push(Customer { ci: "CI-c1".into(), ..customer("c3", "20200101") });
    let err = store.import(&refused, 300).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(store.export_customer(ORG, "c2").await.unwrap(), CustomerExport::default());
    assert_eq!(store.export_customer(ORG, "c1").await.unwrap(), stored);

    // One entry of the 700 changed: one row written, that one.
    let mut changed = large_batch("c1");
    changed.entries[350].body = r#"{"approved_num":"changed"}"#.into();
    assert_eq!(store.import(&changed, 400).await.unwrap().rows_changed, 1);
    let history = store.export_customer(ORG, "c1").await.unwrap().history;
    let bodies: Vec<_> = history.into_iter().map(|h| EncodedHistory::from(h).body).collect();
    assert_eq!(bodies.iter().filter(|body| body.contains("changed")).count(), 1);
    assert!(bodies.contains(&changed.entries[350].body));
}

/// A SQLite file's import writes on the calling thread (`rusqlite`), on either kind of runtime.
#[tokio::test]
async fn sqlite_many_rows_are_stored_as_given_all_or_nothing() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    many_rows_are_stored_as_given_all_or_nothing(db.open().await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_multi_threaded_runtime_many_rows_are_stored_as_given_all_or_nothing() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    many_rows_are_stored_as_given_all_or_nothing(db.open().await.unwrap()).await;
}

/// A database in memory lives in the pool's one connection, so its import goes through sqlx.
#[tokio::test]
async fn sqlite_in_memory_many_rows_are_stored_as_given_all_or_nothing() {
    many_rows_are_stored_as_given_all_or_nothing(SqlStore::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
async fn postgres_many_rows_are_stored_as_given_all_or_nothing() {
    let db = TestDatabase::new(Backend::Postgres).await;
    many_rows_are_stored_as_given_all_or_nothing(db.open().await.unwrap()).await;
}

fn list_alone(list: ListReplacement) -> ImportBatch {
    ImportBatch { lists: vec![list], ..ImportBatch::default() }
}

async fn an_emptied_list_changes_its_stamp_once(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let store = db.open().await.unwrap();
    let first = ImportBatch { customers: vec![customer("c1", "20200101")], ..list_alone(cards("c1", None, 3)) };
    store.import(&first, 100).await.unwrap();
    assert_eq!(listing(&store, "c1").await.changed_at, Some(100));
    // Losing an asset moves the stamp though every asset kept is unchanged.
    store.import(&list_alone(cards("c1", None, 2)), 200).await.unwrap();
    assert_eq!(listing(&store, "c1").await.changed_at, Some(200));
    // Emptied: no asset is left to carry the change; the list's own stamp does.
    assert_eq!(store.import(&list_alone(cards("c1", None, 0)), 300).await.unwrap().rows_changed, 2);
    let emptied = listing(&store, "c1").await;
    assert_eq!((emptied.changed_at, emptied.page.items.len()), (Some(300), 0));
    // The same empty list again changes nothing.
    assert_eq!(store.import(&list_alone(cards("c1", None, 0)), 400).await.unwrap().rows_changed, 0);
    assert_eq!(listing(&store, "c1").await.changed_at, Some(300));
    // Filled again, the new asset's stamp is the list's; the customer's removal takes the list's stamp too.
    store.import(&list_alone(cards("c1", None, 1)), 500).await.unwrap();
    assert_eq!(listing(&store, "c1").await.changed_at, Some(500));
    let removal = ImportBatch { removals: vec![(ORG.into(), "c1".into())], ..ImportBatch::default() };
    store.import(&removal, 600).await.unwrap();
    assert_eq!(listing(&store, "c1").await.changed_at, None);
}

mydata_store::each_backend!(an_emptied_list_changes_its_stamp_once);

async fn reg_date_comes_from_whichever_import_gives_it(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let store = db.open().await.unwrap();
    // A customer whose record gives no reg_date: new, they take the day given with them.
    let undated = ImportBatch { undated_customers: vec![customer("c1", "20260101")], ..ImportBatch::default() };
    store.import(&undated, 100).await.unwrap();
    assert_eq!(listing(&store, "c1").await.reg_date.as_deref(), Some("20260101"));
    // A list in a later import gives it.
    store.import(&list_alone(cards("c1", Some("20190301"), 1)), 200).await.unwrap();
    assert_eq!(listing(&store, "c1").await.reg_date.as_deref(), Some("20190301"));
    // The record again without reg_date keeps it; the same list again changes nothing.
    let again = ImportBatch { undated_customers: vec![customer("c1", "20260202")], ..ImportBatch::default() };
    assert_eq!(store.import(&again, 300).await.unwrap().rows_changed, 0);
    assert_eq!(store.import(&list_alone(cards("c1", Some("20190301"), 1)), 300).await.unwrap().rows_changed, 0);
    assert_eq!(listing(&store, "c1").await.reg_date.as_deref(), Some("20190301"));
    // A record that gives one replaces it.
    let dated = ImportBatch { customers: vec![customer("c1", "20180505")], ..ImportBatch::default() };
    store.import(&dated, 400).await.unwrap();
    assert_eq!(listing(&store, "c1").await.reg_date.as_deref(), Some("20180505"));
    // A list of a customer the institution never gave is refused, and nothing of its batch is written.
    let unknown = ImportBatch { customers: vec![customer("c2", "20200101")], ..list_alone(cards("c9", None, 1)) };
    let err = store.import(&unknown, 500).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::UnknownCustomer { org_code, customer_id } if org_code == ORG && customer_id == "c9"),
        "{err}"
    );
    assert_eq!(store.customer(ORG, "c2").await.unwrap(), None);
}

mydata_store::each_backend!(reg_date_comes_from_whichever_import_gives_it);

/// An asset left out of its list takes along what is stored under its qualified subjects
/// (`account_num|seqno`, as 은행-002 and 은행-004 take both): on PostgreSQL also where the columns
/// compare by a locale's collation (ICU's root, here), which orders `|` unlike its byte.
async fn an_asset_left_out_takes_its_qualified_subjects_along(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let store = db.open().await.unwrap();
    if backend == Backend::Postgres {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        for table in ["documents", "history"] {
            let collated = format!("ALTER TABLE {table} ALTER COLUMN subject_key TYPE TEXT COLLATE \"und-x-icu\"");
            sqlx::query(&collated).execute(&mut conn).await.unwrap();
        }
    }
    const BANK: &str = "BANK000001";
    let account = |account_num: &str| AssetRow {
        org_code: BANK.into(),
        list_api: "은행-001".into(),
        asset_key: account_num.into(),
        customer_id: "c1".into(),
        sort_key: account_num.into(),
        item: json!({"account_num": account_num, "seqno": "1", "account_type": "1001", "account_status": "01"}),
        updated_at: 0,
    };
    let accounts = |account_nums: &[&str]| ListReplacement {
        org_code: BANK.into(),
        customer_id: "c1".into(),
        list_api: "은행-001".into(),
        reg_date: None,
        assets: account_nums.iter().map(|&a| account(a)).collect(),
    };
    let subject = |account_num: &str| format!("{account_num}{}1", mydata_spec::subject::SEPARATOR);
    let basic = |account_num: &str| Document {
        org_code: BANK.into(),
        api_id: "은행-002".into(),
        subject_key: subject(account_num),
        customer_id: "c1".into(),
        body: json!({"basic_cnt": "0", "basic_list": []}),
        updated_at: 0,
    };
    let transaction = |account_num: &str| HistoryRow {
        org_code: BANK.into(),
        api_id: "은행-004".into(),
        subject_key: subject(account_num),
        sort_key: "20260101120000|1".into(),
        customer_id: "c1".into(),
        occurred: "20260101120000".into(),
        body: json!({"trans_dtime": "20260101120000", "trans_no": "1", "trans_amt": "1000"}),
    };
    let first = ImportBatch {
        customers: vec![Customer { org_code: BANK.into(), ..customer("c1", "20200101") }],
        lists: vec![accounts(&["100", "1000"])],
        documents: vec![basic("100"), basic("1000")],
        entries: vec![transaction("100").into(), transaction("1000").into()],
        ..ImportBatch::default()
    };
    store.import(&first, 100).await.unwrap();
    // 1000 is left out: its document and entry go, 100's (a key 1000 begins with) stay.
    let counts = store.import(&ImportBatch { lists: vec![accounts(&["100"])], ..ImportBatch::default() }, 200).await;
    assert_eq!(counts.unwrap().rows_changed, 3, "the asset, its document and its entry");
    let stored = store.export_customer(BANK, "c1").await.unwrap();
    let subjects: Vec<_> = stored.documents.iter().map(|d| d.subject_key.as_str()).collect();
    assert_eq!(subjects, [subject("100")]);
    let subjects: Vec<_> = stored.history.iter().map(|h| h.subject_key.as_str()).collect();
    assert_eq!(subjects, [subject("100")]);
}

mydata_store::each_backend!(an_asset_left_out_takes_its_qualified_subjects_along);

/// After an import that changed a tenth of the information tables or more (autovacuum's rule, at
/// once), PostgreSQL counts them again; after a small one it does not.
#[tokio::test]
async fn postgres_counts_its_tables_again_after_a_large_import() {
    let db = TestDatabase::new(Backend::Postgres).await;
    let store = db.open().await.unwrap();
    let expected = [("assets", 1_203), ("customers", 1), ("documents", 600), ("history", 700)];
    for (table, _) in expected {
        assert_eq!(db.counted_rows(table).await, -1, "a fresh schema's {table} is never counted");
    }
    let counts = store.import(&large_batch("c1"), 100).await.unwrap();
    assert!(!store.import_finished(50).await.unwrap(), "50 rows are under any threshold");
    assert!(store.import_finished(counts.rows_changed).await.unwrap());
    for (table, rows) in expected {
        assert_eq!(db.counted_rows(table).await, rows, "{table}");
    }
    // 300 more rows are under a tenth of the 2,504 counted (and 50).
    assert!(!store.import_finished(300).await.unwrap());
    assert!(store.import_finished(301).await.unwrap());
}

#[tokio::test]
async fn sqlite_imports_leave_statistics_alone() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.open().await.unwrap();
    let counts = store.import(&large_batch("c1"), 100).await.unwrap();
    assert!(!store.import_finished(counts.rows_changed).await.unwrap());
}
