//! `mydata import`, `mydata export` and `mydata testdata --ndjson` run as a user runs them, on
//! SQLite and PostgreSQL: generated records imported and exported back identically, a bad record
//! refused with its line, field and rule and nothing written, and the commands' usage errors.

mod common;

use common::mydata;
use mydata_store::Backend;
use mydata_store::testing::TestDatabase;
use std::io::Write;
use std::process::{Output, Stdio};

fn run_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut child = mydata()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mydata runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn run(args: &[&str]) -> Output {
    run_with_input(args, b"")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn export(url: &str) -> String {
    let out = run(&["export", "--database", url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

async fn generated_records_round_trip(backend: Backend) {
    let generated = run(&["testdata", "--ndjson", "--customers", "2", "--org", "BANK000001:bank,CARD000001:card"]);
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let records = text(&generated.stdout);
    assert!(records.lines().count() > 20, "{records}");
    assert!(records.lines().all(|l| l.starts_with("{\"org_code\":")));
    let first = TestDatabase::new(backend).await;
    let imported = run_with_input(&["import", "--database", &first.url, "-"], records.as_bytes());
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let summary = text(&imported.stdout);
    let lines = records.lines().count();
    assert!(summary.starts_with(&format!("imported {lines} records, 10 customers, ")), "{summary}");
    assert!(summary.contains("records/s"), "{summary}");
    let exported = export(&first.url);
    assert_eq!(exported.lines().count(), lines);

    // Export into a file, import the file into an empty database: the same records come out.
    let second = TestDatabase::new(backend).await;
    let file = std::env::temp_dir().join(format!("mydata-export-{}.ndjson", std::process::id()));
    let file_name = file.display().to_string();
    let out = run(&["export", "--database", &first.url, "--output", &file_name]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["import", "--database", &second.url, "--batch", "7", &file_name]);
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(export(&second.url), exported);

    // One customer.
    let out = run(&["export", "--database", &first.url, "--org", "CARD000001", "--customer", "demo2"]);
    let one = text(&out.stdout);
    assert!(one.lines().count() > 2 && one.lines().all(|l| l.contains("\"CARD000001\"") && l.contains("demo2")));

    // A bad record on line 2 refuses everything, names line, field and rule, and exits non-zero.
    let bad = format!(
        "{}\n{}\n",
        r#"{"org_code":"BANK000001","customer":{"customer_id":"new","ci":"CI-new","name":"홍길동"}}"#,
        r#"{"org_code":"BANK000001","customer_id":"new","api":"은행-001","data":{"reg_date":"20200101","account_list":[{"account_num":"123456789012345678901","prod_name":"p","account_type":"1001","account_status":"01"}]}}"#
    );
    let out = run_with_input(&["import", "--database", &first.url, "-"], bad.as_bytes());
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("line 2: 은행-001 data.account_list[0].account_num: aN(20) longer than 20"), "{err}");
    assert_eq!(export(&first.url), exported, "the refused batch wrote nothing");
}

#[tokio::test]
async fn sqlite_generated_records_round_trip() {
    generated_records_round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_generated_records_round_trip() {
    generated_records_round_trip(Backend::Postgres).await;
}

#[tokio::test]
async fn usage_errors_are_refused() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let missing = run(&["import", "--database", &db.url, "/nonexistent/records.ndjson"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("opening /nonexistent/records.ndjson"), "{}", text(&missing.stderr));
    let zero = run(&["import", "--database", &db.url, "--batch", "0", "-"]);
    assert!(!zero.status.success());
    let no_file = run(&["import", "--database", &db.url]);
    assert!(!no_file.status.success());
    let customer_alone = run(&["export", "--database", &db.url, "--customer", "demo1"]);
    assert!(!customer_alone.status.success());
    assert!(text(&customer_alone.stderr).contains("--org"), "{}", text(&customer_alone.stderr));
    let help = run(&["import", "--help"]);
    let help = text(&help.stdout);
    assert!(help.contains("--batch") && help.contains("\"delete\":true") && help.contains("refusal"), "{help}");
    // Not JSON at all.
    let out = run_with_input(&["import", "--database", &db.url, "-"], b"\n\nhello\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("line 3: record: is not JSON"), "{}", text(&out.stderr));
}
