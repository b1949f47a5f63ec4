//! The `mydata` binary as a user runs it.

use crate::common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn serve_announces_its_address_and_answers_the_api_list() {
    let temp = temp_dir("cli");
    let dir = temp.path();
    let database = format!("sqlite://{}", dir.join("x.db").display());
    let (_server, base) = start(&["serve", "--demo-sign-in", "--listen", "127.0.0.1:0", "--database", &database]);
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"), "{base}");
    let response = reqwest::Client::new()
        .get(format!("{base}/v1/bank/apis?org_code=BANK000001&client_id=demo"))
        .header("x-api-tran-id", "OPERAT0001M00000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-api-tran-id"], "OPERAT0001M00000000000001");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["rsp_code"], "00000");
    assert_eq!(body["version"], "v1");
    drop(_server);
}

#[tokio::test]
async fn metrics_listen_moves_metrics_off_the_public_listener() {
    let temp = temp_dir("metrics-listen");
    let dir = temp.path();
    let database = format!("sqlite://{}", dir.join("m.db").display());
    let serve = ["serve", "--demo-sign-in", "--listen", "127.0.0.1:0", "--database", &database];
    let http = reqwest::Client::new();
    // By default /metrics is on the public listener.
    let (server, base) = start(&serve);
    let response = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("mydata_log_dropped_lines_total"));
    drop(server);

    let metrics = format!("127.0.0.1:{}", free_port());
    let (_server, base) = start_with_env(&serve, &[("MYDATA_METRICS_LISTEN", &metrics)]);
    let public = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404, "not on the public listener");
    let body: serde_json::Value = public.json().await.unwrap();
    assert_eq!(body["rsp_code"], "40401", "첨부1: no such endpoint");
    let own = http.get(format!("http://{metrics}/metrics")).send().await.unwrap();
    assert_eq!(own.status(), 200);
    assert!(own.text().await.unwrap().contains("mydata_log_dropped_lines_total"));
    // The information APIs stay on the public listener only.
    let api_list = http
        .get(format!("{base}/v1/bank/apis?org_code=BANK000001&client_id=demo"))
        .header("x-api-tran-id", "OPERAT0001M00000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(api_list.status(), 200);
    let elsewhere = http.get(format!("http://{metrics}/v1/bank/apis")).send().await.unwrap();
    assert_eq!(elsewhere.status(), 404);
}

#[test]
fn help_teaches_every_subcommand() {
    let out = mydata().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("serve"), "{help}");
    let serve = String::from_utf8(mydata().args(["serve", "--help"]).output().unwrap().stdout).unwrap();
    for flag in ["--listen", "--database", "--org", "MYDATA_DATABASE"] {
        assert!(serve.contains(flag), "serve --help lacks {flag}:\n{serve}");
    }
}

#[test]
fn link_teaches_integrated_auth_and_refuses_what_it_cannot_do() {
    let help = String::from_utf8(mydata().args(["link", "--help"]).output().unwrap().stdout).unwrap();
    for flag in ["--integrated", "--customer", "--org", "--sandbox-dir", "--cycle", "at most 50"] {
        assert!(help.contains(flag), "link --help lacks {flag}:\n{help}");
    }
    let temp = temp_dir("link-nothing");
    let dir = temp.path();
    let dir_text = dir.join("sandbox").display().to_string();
    let out = mydata()
        .args(["link", "--integrated", "--customer", "demo2", "--sandbox-dir", &dir_text])
        .env_remove("MYDATA_SANDBOX_DIR")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds no operator database") && err.contains("mydata sandbox"), "{err}");
    let args = ["link", "--integrated", "--customer", "demo2", "--sandbox-dir", &dir_text, "--cycle", "1/d"];
    let out = mydata().args(args).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--cycle"));
}

#[test]
fn bad_settings_stop_start_up_with_a_message_naming_them() {
    let out = mydata().args(["serve", "--org", "BANK000001:banking"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--org") && err.contains("unknown industry"), "{err}");

    let out = mydata().args(["serve", "--portal", "http://127.0.0.1:9"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--portal-client-id"), "a portal link needs its credentials: {err}");

    let out = mydata().args(["serve", "--client", "OPERAT0001:c1:short:http://x/cb"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("16 to 50 letters or digits"));

    let out = mydata()
        .args(["serve", "--demo-sign-in", "--listen", "127.0.0.1:0", "--database", "mysql://x/y"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("neither sqlite:// nor postgres://"), "{err}");

    // The registered addresses come from the portal's registry: enforcing them needs one.
    let out = mydata().args(["serve", "--demo-sign-in", "--enforce-registered-ips"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--portal"), "{err}");
    let out = mydata().args(["serve", "--demo-sign-in"]).env("MYDATA_ENFORCE_REGISTERED_IPS", "true").output().unwrap();
    assert!(!out.status.success(), "the environment variable is the same setting");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--portal"));
}

#[test]
fn serve_refuses_to_start_without_a_way_to_authenticate_customers() {
    let temp = temp_dir("no-auth");
    let dir = temp.path();
    let database = format!("sqlite://{}", dir.join("x.db").display());
    let out = mydata().args(["serve", "--listen", "127.0.0.1:0", "--database", &database]).output().unwrap();
    assert!(!out.status.success(), "started without a customer authenticator");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--demo-sign-in") && err.contains("--oidc-issuer"), "names both choices: {err}");
    assert!(!dir.join("x.db").exists(), "refused before touching the database");

    let out = mydata()
        .args(["serve", "--demo-sign-in", "--oidc-issuer", "http://127.0.0.1:9", "--oidc-client-id", "c"])
        .args(["--oidc-redirect-url", "http://127.0.0.1:8080/oauth/2.0/sign-in/return"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "the demo and a real sign-in at once");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));

    let out = mydata()
        .args(["serve", "--oidc-issuer", "http://127.0.0.1:9", "--oidc-client-id", "c"])
        .args(["--oidc-redirect-url", "http://127.0.0.1:8080/callback"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/oauth/2.0/sign-in/return"), "the return address the IdP must call: {err}");
}

/// A directory of the test's own, removed when dropped (also when the test fails).
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("mydata-{name}-")).tempdir().unwrap()
}

#[tokio::test]
async fn a_config_file_sets_flags_and_flags_and_environment_win() {
    let temp = temp_dir("config");
    let dir = temp.path();
    let config = dir.join("mydata.toml");
    let database = format!("sqlite://{}", dir.join("x.db").display());
    std::fs::write(
        &config,
        format!(
            "database = \"{database}\"\n[serve]\ndemo-sign-in = true\nlisten = \"127.0.0.1:0\"\norg = [\"CARD000001:card\"]\n"
        ),
    )
    .unwrap();
    let config_arg = config.to_str().unwrap();

    let (server, base) = start(&["--config", config_arg, "serve"]);
    let http = reqwest::Client::new();
    let api_list = |industry: &str, org: &str| {
        http.get(format!("{base}/v1/{industry}/apis?org_code={org}&client_id=demo"))
            .header("x-api-tran-id", "OPERAT0001M00000000000001")
            .send()
    };
    assert_eq!(api_list("card", "CARD000001").await.unwrap().status(), 200, "org from the file");
    assert_eq!(api_list("bank", "BANK000001").await.unwrap().status(), 404, "only the file's org is served");
    drop(server);

    // A flag beats the file.
    let (server, base) = start(&["--config", config_arg, "serve", "--org", "BANK000001:bank"]);
    let response = http
        .get(format!("{base}/v1/bank/apis?org_code=BANK000001&client_id=demo"))
        .header("x-api-tran-id", "OPERAT0001M00000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    drop(server);

    // So does the environment.
    let (server, base) = start_with_env(&["--config", config_arg, "serve"], &[("MYDATA_ORGS", "INSU000001:insu")]);
    let response = http
        .get(format!("{base}/v1/insu/apis?org_code=INSU000001&client_id=demo"))
        .header("x-api-tran-id", "OPERAT0001M00000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    drop(server);
}

#[test]
fn config_file_mistakes_name_the_key() {
    let temp = temp_dir("config-bad");
    let dir = temp.path();
    let config = dir.join("bad.toml");
    std::fs::write(&config, "[serve]\nlisen = \"127.0.0.1:0\"\n").unwrap();
    let out = mydata().args(["--config", config.to_str().unwrap(), "serve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown key `serve.lisen`") && err.contains("listen"), "{err}");

    std::fs::write(&config, "[serve]\norg = [\"BANK000001:banking\"]\n").unwrap();
    let out = mydata().args(["--config", config.to_str().unwrap(), "serve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown industry") && err.contains("serve.org"), "{err}");

    std::fs::write(&config, "[serve\n").unwrap();
    let out = mydata().args(["--config", config.to_str().unwrap(), "serve"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid TOML"));
}

#[test]
fn the_example_config_file_is_valid() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/mydata.toml");
    let out = mydata().args(["--config", example, "serve", "--help"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn logs_of_a_token_and_data_flow_carry_tran_ids_and_no_secrets() {
    let temp = temp_dir("logs");
    let dir = temp.path();
    let database = format!("sqlite://{}", dir.join("p.db").display());
    let log_path = dir.join("provider.log");
    let secret = "operatorsecret0123456789";
    let client = format!("OPERAT0001:logclient:{secret}:http://127.0.0.1:9/callback");
    let log = std::fs::File::create(&log_path).unwrap();
    let (server, base) = start_logging_to(
        &["serve", "--demo-sign-in", "--listen", "127.0.0.1:0", "--database", &database, "--org", "BANK000001:bank"]
            .into_iter()
            .chain(["--client", &client])
            .collect::<Vec<_>>(),
        &[("MYDATA_LOG", "debug")],
        log,
    );
    let token_out = mydata()
        .args([
            "dev-token",
            "--database",
            &database,
            "--customer",
            "demo1",
            "--client",
            "logclient",
            "--scope",
            "bank.list bank.deposit",
        ])
        .output()
        .unwrap();
    assert!(token_out.status.success(), "{}", String::from_utf8_lossy(&token_out.stderr));
    let access = String::from_utf8(token_out.stdout).unwrap().trim().to_owned();
    let refresh = String::from_utf8_lossy(&token_out.stderr).lines().last().unwrap_or_default().trim().to_owned();

    let http = reqwest::Client::new();
    let tran = "OPERAT0001M0000000000LOG1";
    let accounts: serde_json::Value = http
        .get(format!("{base}/v1/bank/accounts?org_code=BANK000001&limit=50"))
        .header("x-api-tran-id", tran)
        .header("x-api-type", "user-refresh")
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts["rsp_code"], "00000", "{accounts}");
    let numbers: Vec<String> = accounts["account_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account_num"].as_str().unwrap().to_owned())
        .collect();
    assert!(!numbers.is_empty());
    for number in &numbers {
        let detail = http
            .post(format!("{base}/v1/bank/accounts/deposit/basic"))
            .header("x-api-tran-id", "OPERAT0001M0000000000LOG2")
            .header("x-api-type", "user-refresh")
            .bearer_auth(&access)
            .json(&serde_json::json!({"org_code": "BANK000001", "account_num": number, "search_timestamp": "0"}))
            .send()
            .await
            .unwrap();
        assert!(detail.status().as_u16() < 500);
    }
    let revoked = http
        .post(format!("{base}/oauth/2.0/revoke"))
        .header("x-api-tran-id", "OPERAT0001M0000000000LOG3")
        .form(&[
            ("org_code", "BANK000001"),
            ("token", access.as_str()),
            ("client_id", "logclient"),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    let status = revoked.status();
    assert_eq!(status, 200, "{:?}", revoked.text().await);
    let _ = server.stop();

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains(tran), "the request's tran id is logged");
    assert!(log.contains("은행-001") && log.contains("logclient"), "API ID and client_id are logged");
    let secrets = [access.as_str(), refresh.as_str(), secret, "DEMO-CI-demo1", "김민준"];
    for needle in secrets.iter().copied().filter(|s| !s.is_empty()).chain(numbers.iter().map(String::as_str)) {
        assert!(!log.contains(needle), "the log contains {needle:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_slow_request_answers_it_and_keeps_its_statistics() {
    use mydata_store::prelude::*;
    let db = mydata_store::testing::TestDatabase::new(mydata_store::Backend::Postgres).await;
    let store = db.open().await.unwrap();
    let secret = "operatorsecret0123456789";
    let client = format!("OPERAT0001:stopclient:{secret}:http://127.0.0.1:9/callback");
    let (mut server, base) = start(&[
        "serve",
        "--demo-sign-in",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db.url,
        "--org",
        "BANK000001:bank",
        "--client",
        &client,
    ]);
    let token_out = mydata()
        .args([
            "dev-token",
            "--database",
            &db.url,
            "--customer",
            "demo1",
            "--client",
            "stopclient",
            "--scope",
            "bank.list",
        ])
        .output()
        .unwrap();
    assert!(token_out.status.success(), "{}", String::from_utf8_lossy(&token_out.stderr));
    let access = String::from_utf8(token_out.stdout).unwrap().trim().to_owned();
    let http = reqwest::Client::new();
    let accounts = || {
        http.get(format!("{base}/v1/bank/accounts?org_code=BANK000001&limit=10"))
            .header("x-api-tran-id", "OPERAT0001M00000000000001")
            .header("x-api-type", "user-refresh")
            .bearer_auth(&access)
            .send()
    };
    for _ in 0..2 {
        assert_eq!(accounts().await.unwrap().status(), 200);
    }

    // Hold the accounts table so that the next call waits inside the server.
    sqlx::any::install_default_drivers();
    let mut lock = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("LOCK TABLE assets IN ACCESS EXCLUSIVE MODE").execute(&mut lock).await.unwrap();
    let slow = tokio::spawn(accounts());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let pid = server.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(server.0.try_wait().unwrap().is_none(), "the server waits for the request in flight");
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();

    let answer = slow.await.unwrap().expect("the slow request is answered");
    assert_eq!(answer.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server stops after the last answer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "a clean exit on SIGTERM: {status:?}");
    let stats = store.call_stats("BANK000001", "00000000", "99999999").await.unwrap();
    let calls: i64 = stats.iter().filter(|s| s.api_code == "BA01").map(|s| s.success_cnt + s.fail_cnt).sum();
    assert_eq!(calls, 3, "every answered call is in the statistics: {stats:?}");
}

#[test]
fn openapi_writes_the_description_a_server_publishes() {
    let temp = temp_dir("openapi");
    let dir = temp.path();
    let file = dir.join("provider.json");
    let out = mydata()
        .args(["openapi", "--org", "BANK000001:bank", "--base-url", "https://bank.example", "--output"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "https://bank.example");
    assert!(doc["paths"]["/v1/bank/accounts/deposit/transactions"].is_object());
    assert!(doc["paths"].get("/v1/card/cards").is_none(), "only the served industries");
    let parameters = doc["paths"]["/v1/bank/accounts"]["get"]["parameters"].as_array().unwrap();
    let org_code = parameters.iter().find(|p| p["name"] == "org_code").unwrap();
    assert_eq!(org_code["schema"]["enum"], serde_json::json!(["BANK000001"]), "the institution the --org names");

    let out = mydata().args(["openapi", "--role", "portal"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["paths"]["/mgmts/orgs"]["get"].is_object());
}

#[test]
fn only_serve_takes_the_settings_of_a_database_it_serves_from() {
    for (command, takes_them) in
        [("serve", true), ("import", false), ("export", false), ("portal", false), ("operator", false)]
    {
        let help = mydata().args([command, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        for flag in ["--grant-cache-ms", "--postgres-read-connections"] {
            assert_eq!(help.contains(flag), takes_them, "{command} --help and {flag}:\n{help}");
        }
    }
    // A config file shared by every command still sets them at its top level.
    let temp = temp_dir("serving-settings");
    let config = temp.path().join("mydata.toml");
    let database = format!("sqlite://{}", temp.path().join("data.db").display());
    std::fs::write(
        &config,
        format!("database = \"{database}\"\ngrant-cache-ms = 500\npostgres-read-connections = 2\n"),
    )
    .unwrap();
    let out = mydata().arg("--config").arg(&config).args(["import", "-"]).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("imported 0 records"));
}

#[test]
fn commands_that_need_stored_data_refuse_a_database_that_is_not_there() {
    let temp = temp_dir("absent");
    let absent = temp.path().join("provider.db");
    let database = format!("sqlite://{}", absent.display());
    let commands: [&[&str]; 2] = [
        &["dev-token", "--customer", "demo1", "--client", "someclient", "--scope", "bank.list"],
        &["portal", "statistics"],
    ];
    for command in commands {
        let out = mydata().args(command).args(["--database", &database]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {stderr}");
        assert!(stderr.contains(&format!("no database at {}", absent.display())), "{command:?}: {stderr}");
        assert!(!absent.exists(), "{command:?} created {}", absent.display());
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    // The description is over a megabyte: far more than a pipe holds, so writing meets the closed pipe.
    let (status, stderr) = common::read_one_line_of(mydata().arg("openapi"));
    assert!(status.success(), "{status}: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
}

#[test]
fn bench_times_start_up_on_a_database_filled_with_customers() {
    let temp = temp_dir("startup");
    let dir = temp.path();
    let database = format!("sqlite://{}", dir.join("startup.db").display());
    let log = dir.join("bench.log");
    let out = mydata()
        .args(["bench", "--only", "start-up", "--startup-database", &database, "--startup-customers", "2000"])
        .args(["--log-file", log.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("2000 customers written to"), "{stdout}");
    assert!(stdout.contains("with 2000 customers: listening after"), "{stdout}");
}

#[test]
fn bench_imports_generated_records_into_both_backends() {
    let temp = temp_dir("import");
    let dir = temp.path();
    let log = dir.join("bench.log");
    let out = mydata()
        .args(["bench", "--only", "import", "--customers", "20", "--import-batch", "150"])
        .args(["--log-file", log.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("## Import") && stdout.contains("for 23 customers at a bank and a card company"),
        "{stdout}"
    );
    assert!(!stdout.contains("## Provider") && !stdout.contains("## Start-up"), "import alone: {stdout}");
    let baseline = table_rows(&stdout, "read as JSON alone");
    assert_eq!(baseline.len(), 1, "the import's baseline beside it: {stdout}");
    assert_eq!(baseline[0][1], "23", "{stdout}");
    for backend in ["SQLite", "PostgreSQL"] {
        let rows = table_rows(&stdout, &format!("| {backend} |"));
        assert_eq!(rows.len(), 1, "{stdout}");
        let cells = &rows[0];
        assert_eq!(cells[1], "23", "{stdout}");
        let records: u64 = cells[2].parse().unwrap();
        let written: u64 = cells[3].parse().unwrap();
        assert!(records > 23 * 2 && written > records, "{stdout}");
        // Each person is a customer of the bank and of the card company: two customer records.
        let (people_rate, customer_rate): (f64, f64) = (cells[5].parse().unwrap(), cells[6].parse().unwrap());
        assert!((customer_rate - 2.0 * people_rate).abs() <= 1.0, "{stdout}");
    }
}

/// The cells of the Markdown table rows of `report` whose scenario contains `scenario`.
fn table_rows<'a>(report: &'a str, scenario: &str) -> Vec<Vec<&'a str>> {
    report
        .lines()
        .filter(|line| line.starts_with("| ") && line.contains(scenario))
        .map(|line| line.trim_matches('|').split('|').map(str::trim).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_loads_one_and_two_serve_processes_on_postgresql_and_times_a_revocation() {
    let db = mydata_store::testing::TestDatabase::new(mydata_store::Backend::Postgres).await;
    let temp = temp_dir("bench-instances");
    let dir = temp.path();
    let log = dir.join("bench.log");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_mydata"))
        .args(["bench", "--database", &db.url, "--only", "instance", "--customers", "60", "--token-holders", "5"])
        .args(["--codes", "10", "--connections", "2", "--seconds", "1", "--no-prism"])
        .args(["--log-file", log.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for instances in ["one instance", "two instances"] {
        let rows = table_rows(&stdout, instances);
        assert_eq!(rows.len(), 3, "은행-001, 은행-002 and the mix on {instances}: {stdout}");
        for cells in rows {
            // Scenario | req/s | p50 | p95 | p99 | errors | …
            assert!(cells[1].parse::<f64>().unwrap() > 0.0, "{cells:?}");
            assert_eq!(cells[5], "0", "only expected answers: {cells:?}");
        }
    }
    assert!(stdout.contains("5 rounds"), "one revocation round per token holder: {stdout}");
    assert!(stdout.contains("still served after 2 s: 0."), "{stdout}");
    // The processes wrote their access log to the benchmark's file.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.lines().any(|l| l.contains("/v1/bank/accounts/deposit/basic")), "access lines in {logged:.300}");
}
