//! `mydata import`, `mydata export` and `mydata testdata --ndjson` run as a user runs them, on
//! SQLite and PostgreSQL: generated records imported and exported back identically, a bad record
//! refused with its line, field and rule and nothing written, and the commands' usage errors.

use crate::common;

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
    if backend == Backend::Postgres {
        // Empty tables filled: PostgreSQL counted them at once (its autovacuum may be late, or off).
        let counted = first.counted_rows("assets").await;
        assert!(counted > 0, "assets counted as {counted} rows after the import");
    }
    let exported = export(&first.url);
    assert_eq!(exported.lines().count(), lines);

    // Export into a file, import the file into an empty database: the same records come out.
    let second = TestDatabase::new(backend).await;
    let file = std::env::temp_dir().join(format!("mydata-export-{}-{backend:?}.ndjson", std::process::id()));
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

mydata_store::each_backend!(generated_records_round_trip);

#[tokio::test]
async fn a_reader_that_stops_early_ends_the_records_quietly() {
    // Twenty people at two institutions: several hundred kilobytes, far more than a pipe holds.
    let generate = ["testdata", "--ndjson", "--customers", "20", "--org", "BANK000001:bank,CARD000001:card"];
    let (status, stderr) = common::read_one_line_of(mydata().args(generate));
    assert!(status.success() && stderr.is_empty(), "testdata: {status}: {stderr}");
    let db = TestDatabase::new(Backend::Sqlite).await;
    let imported = run_with_input(&["import", "--database", &db.url, "-"], &run(&generate).stdout);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let (status, stderr) = common::read_one_line_of(mydata().args(["export", "--database", &db.url]));
    assert!(status.success(), "export: {status}: {stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
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
    let nobody = run(&["export", "--database", &db.url, "--org", "BANK000001", "--customer", "nobody"]);
    assert!(!nobody.status.success());
    assert!(text(&nobody.stderr).contains("BANK000001 has no customer nobody"), "{}", text(&nobody.stderr));
    let output = std::env::temp_dir().join(format!("mydata-nobody-{}.ndjson", std::process::id()));
    let output_name = output.display().to_string();
    let args =
        ["export", "--database", &db.url, "--org", "BANK000001", "--customer", "nobody", "--output", &output_name];
    assert!(!run(&args).status.success());
    assert!(!output.exists(), "an export of nobody left {output_name}");
    // An export reads a database; it does not make an empty one where none was.
    let absent = std::env::temp_dir().join(format!("mydata-absent-{}.db", std::process::id()));
    let out = run(&["export", "--database", &format!("sqlite://{}", absent.display())]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no database"), "{}", text(&out.stderr));
    assert!(!absent.exists(), "export created {}", absent.display());
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

const SECRET: &str = "admin-secret-0123456789";

#[tokio::test]
async fn the_ingestion_api_takes_records_with_its_secret_on_its_own_listener() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let secret_file = std::env::temp_dir().join(format!("mydata-admin-secret-{}", std::process::id()));
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let admin_addr = format!("127.0.0.1:{}", common::free_port());
    let secret_file_name = secret_file.display().to_string();
    let args = [
        "serve",
        "--demo-sign-in",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db.url,
        "--admin-listen",
        &admin_addr,
        "--admin-secret-file",
        &secret_file_name,
    ];
    let (_server, public) = common::start(&args);
    let _ = std::fs::remove_file(&secret_file);
    let admin = format!("http://{admin_addr}");
    let http = reqwest::Client::new();
    let customer = r#"{"org_code":"BANK000001","customer":{"customer_id":"api1","ci":"CI-api1","name":"홍길동","reg_date":"20200101"}}"#;
    let list = r#"{"org_code":"BANK000001","customer_id":"api1","api":"은행-001","data":{"reg_date":"20200101","account_list":[{"account_num":"5550001","prod_name":"자유입출금","account_type":"1001","account_status":"01"}]}}"#;
    let records = format!("{customer}\n{list}\n");

    // Without the secret, or with another, nothing is taken.
    for auth in [None, Some("Bearer wrong-secret-0123456789"), Some("Basic YWRtaW46eA==")] {
        let mut request = http.post(format!("{admin}/ingest")).body(records.clone());
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
    }
    // The public listener has no such API, with or without the secret.
    for path in ["/ingest", "/export"] {
        let response =
            http.post(format!("{public}{path}")).bearer_auth(SECRET).body(records.clone()).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path} on the public listener");
    }

    let response = http.post(format!("{admin}/ingest")).bearer_auth(SECRET).body(records.clone()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!((body["records"].as_u64(), body["customers"].as_u64()), (Some(2), Some(1)), "{body}");

    // One record as JSON, over several lines; then a bad one, refused with nothing written.
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(customer).unwrap()).unwrap();
    let response = http
        .post(format!("{admin}/ingest"))
        .bearer_auth(SECRET)
        .header("content-type", "application/json")
        .body(pretty)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bad = format!("{customer}\n{}\n", list.replace("5550001", "123456789012345678901").replace("api1", "api2"));
    let response = http.post(format!("{admin}/ingest")).bearer_auth(SECRET).body(bad).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["message"], "line 2: 은행-001 data.account_list[0].account_num: aN(20) longer than 20");
    assert_eq!((body["line"].as_u64(), body["field"].as_str()), (Some(2), Some("data.account_list[0].account_num")));
    let not_json = http.post(format!("{admin}/ingest")).bearer_auth(SECRET).body("{").send().await.unwrap();
    assert_eq!(not_json.status(), 400);

    let exported = http
        .get(format!("{admin}/export?org_code=BANK000001&customer_id=api1"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(exported.status(), 200);
    let exported = exported.text().await.unwrap();
    assert_eq!(exported.lines().count(), 2, "{exported}");
    assert!(exported.contains("5550001") && !exported.contains("api2"), "{exported}");
    let unauthorized = http.get(format!("{admin}/export")).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    let lonely = http.get(format!("{admin}/export?customer_id=api1")).bearer_auth(SECRET).send().await.unwrap();
    assert_eq!(lonely.status(), 400);
    let elsewhere = http.get(format!("{admin}/nothing")).bearer_auth(SECRET).send().await.unwrap();
    assert_eq!(elsewhere.status(), 404);

    // What is refused before a handler runs is answered in the same JSON, naming what was wrong.
    let json = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("application/json"), "{status} answered as {content_type}");
        (status, response.json::<serde_json::Value>().await.unwrap())
    };
    let nobody = json(
        http.get(format!("{admin}/export?org_code=BANK000001&customer_id=nobody"))
            .bearer_auth(SECRET)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(nobody.0, 404);
    assert_eq!(nobody.1["message"], "BANK000001 has no customer nobody");
    // A misspelt parameter would otherwise export every customer.
    let misspelt =
        json(http.get(format!("{admin}/export?org=BANK000001")).bearer_auth(SECRET).send().await.unwrap()).await;
    assert_eq!((misspelt.0, misspelt.1["error"].as_str()), (400, Some("refused")));
    assert!(misspelt.1["message"].as_str().unwrap().contains("org"), "{}", misspelt.1);
    let put = json(http.put(format!("{admin}/ingest")).bearer_auth(SECRET).send().await.unwrap()).await;
    assert_eq!((put.0, put.1["error"].as_str()), (405, Some("method_not_allowed")));
    let too_large = vec![b' '; mydata_ingest::admin::MAX_BODY_BYTES + 1];
    let response =
        http.post(format!("{admin}/ingest")).bearer_auth(SECRET).body(too_large.clone()).send().await.unwrap();
    let too_large_answer = json(response).await;
    assert_eq!((too_large_answer.0, too_large_answer.1["error"].as_str()), (413, Some("too_large")));
    assert!(too_large_answer.1["message"].as_str().unwrap().contains("64 MiB"), "{}", too_large_answer.1);
    // Without the secret, a body is refused before it is read: the answer is 401, or the connection
    // closes on the rest of the body the server will not take.
    match http.post(format!("{admin}/ingest")).body(too_large).send().await {
        Ok(response) => assert_eq!(json(response).await.0, 401),
        Err(e) => assert!(e.is_request() && !e.is_timeout(), "{e}"),
    }
}

#[tokio::test]
async fn the_ingestion_api_needs_a_secret() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let addr = format!("127.0.0.1:{}", common::free_port());
    for extra in
        [&["--admin-listen", addr.as_str()][..], &["--admin-listen", addr.as_str(), "--admin-secret", "short"][..]]
    {
        let mut args = vec!["serve", "--demo-sign-in", "--listen", "127.0.0.1:0", "--database", &db.url];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(err.contains("--admin-secret") || err.contains("at least 16"), "{err}");
    }
}
