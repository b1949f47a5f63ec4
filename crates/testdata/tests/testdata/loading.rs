//! `write_people` writes exactly what `Generator::customer` makes, whatever its threads and batches
//! do, on both backends.

use chrono::NaiveDate;
use mydata_store::testing::TestDatabase;
use mydata_store::{Backend, EncodedInfo, SqlStore};
use mydata_testdata::{CustomerData, Generator, Institution, everyone, write_people};
use sqlx::Row;

fn generator() -> Generator {
    Generator::new(11, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
}

fn institutions() -> Vec<Institution> {
    Institution::one_per_industry()
}

/// Every stored row of the information tables as text, in key order.
async fn dump(store: &SqlStore) -> Vec<String> {
    let mut out = Vec::new();
    for (table, columns) in [
        ("customers", "org_code, customer_id, ci, customer_name, reg_date"),
        ("assets", "org_code, list_api, asset_key, customer_id, sort_key, item, CAST(updated_at AS TEXT)"),
        ("documents", "org_code, api_id, subject_key, customer_id, body, CAST(updated_at AS TEXT)"),
        ("history", "org_code, api_id, subject_key, sort_key, customer_id, occurred, body"),
    ] {
        let sql = format!("SELECT {columns} FROM {table} ORDER BY 1, 2, 3, 4");
        for row in sqlx::query(&sql).fetch_all(store.pool()).await.unwrap() {
            let fields: Vec<String> = (0..row.len()).map(|i| row.get::<String, _>(i)).collect();
            out.push(format!("{table}: {}", fields.join(" | ")));
        }
    }
    out
}

/// What one customer at a time makes, written through the single-batch path.
async fn expected(people: u64) -> Vec<String> {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.open().await.unwrap();
    let mut all = CustomerData::default();
    for who in everyone(11, people) {
        for org in institutions() {
            all.append(generator().customer(&org, &who));
        }
    }
    let encoded = EncodedInfo::encode(all.customers, all.assets, all.documents, all.history);
    let mut load = mydata_store::BulkStore::bulk_load(&store).await.unwrap();
    load.load(encoded).await.unwrap();
    load.finish().await.unwrap();
    dump(&store).await
}

async fn loaded(backend: Backend, people: u64, batch: usize) -> Vec<String> {
    let db = TestDatabase::new(backend).await;
    let store = db.open().await.unwrap();
    let mut written = 0;
    write_people(&store, &generator(), &institutions(), everyone(11, people), batch, |n| written += n).await.unwrap();
    assert_eq!(written, people + 3, "progress counts every person, the demo customers too");
    dump(&store).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_rows_whatever_the_batches_and_threads() {
    let expected = expected(9).await;
    assert!(expected.len() > 3_000, "{} rows", expected.len());
    assert_eq!(loaded(Backend::Sqlite, 9, 1).await, expected, "one person per batch");
    assert_eq!(loaded(Backend::Sqlite, 9, 5).await, expected, "batches of five");
    assert_eq!(loaded(Backend::Postgres, 9, 4).await, expected, "PostgreSQL");
}
