//! Measures generation and loading speed: `cargo run --release -p mydata-testdata --example throughput
//! -- sqlite:///tmp/throughput.db 2000` writes 2,000 customers at every demo institution and prints
//! customers and rows per second.

use mydata_store::{SqlStore, prelude::*};
use mydata_testdata::{Generator, Institution, everyone, write_people};
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "sqlite:///tmp/mydata-throughput.db".into());
    let customers: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1_000);
    if url == "generate" {
        return generate_only(customers);
    }
    let store = SqlStore::open(&url).await.expect("open the database");
    let orgs: Vec<Institution> = Institution::one_per_industry();
    let mut generator = Generator::new(1, chrono::Utc::now().date_naive());
    generator.max_rows = args.next().and_then(|n| n.parse().ok()).unwrap_or(8);
    let started = Instant::now();
    let mut written = 0;
    write_people(&store, &generator, &orgs, everyone(1, customers), 100, |n| written += n).await.expect("write");
    let secs = started.elapsed().as_secs_f64();
    let rows: u64 = store.customers(&orgs[0].org_code).await.map(|c| c.len() as u64).unwrap_or(0);
    println!(
        "{written} customers ({rows} at {}) in {secs:.1}s: {:.0} customers/s",
        orgs[0].org_code,
        written as f64 / secs
    );
}

/// Generation alone, without the database: `… --example throughput -- generate 500`.
fn generate_only(customers: u64) {
    let orgs: Vec<Institution> = Institution::one_per_industry();
    let generator = Generator::new(1, chrono::Utc::now().date_naive());
    let people: Vec<_> = everyone(1, customers).collect();
    let started = Instant::now();
    let data = generator.batch(&orgs, &people);
    println!("generated {} rows for {customers} customers in {:.1}s", data.rows(), started.elapsed().as_secs_f64());
}
