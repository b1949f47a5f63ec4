//! `mydata operator` as an operator runs it: configured by a TOML file, serving its pages and its
//! read API, and stopping cleanly on SIGTERM.

use crate::common;

use common::{mydata, start};

#[test]
fn help_teaches_the_operator_service() {
    let out = mydata().args(["operator", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--database",
        "--lease-secs",
        "--once",
        "--read-api-secret",
        "MYDATA_READ_API_SECRET",
        "--portal",
        "--app-scheme",
    ] {
        assert!(help.contains(flag), "operator --help lacks {flag}:\n{help}");
    }
}

#[tokio::test]
async fn configured_by_a_file_it_serves_and_stops_cleanly_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("mydata-operator-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("operator.toml");
    let database = format!("sqlite://{}", dir.join("operator.db").display());
    std::fs::write(
        &config,
        format!(
            "[operator]\nlisten = \"127.0.0.1:0\"\ndatabase = \"{database}\"\nread-api-secret = \"file-secret\"\n\
             customer = [\"demo1:DEMO-CI-demo1\"]\ntick-secs = 1\n"
        ),
    )
    .unwrap();
    let (server, base) = start(&["--config", config.to_str().unwrap(), "operator"]);
    let http = reqwest::Client::new();
    let assets = format!("{base}/api/customers/demo1/assets");
    let held: serde_json::Value =
        http.get(&assets).bearer_auth("file-secret").send().await.unwrap().json().await.unwrap();
    assert_eq!(held["asset_cnt"], "0", "{held}");
    assert_eq!(http.get(&assets).send().await.unwrap().status(), 401);
    let front = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(front.contains("/dashboard?customer=demo1"), "{front}");
    let dashboard = http.get(format!("{base}/dashboard?customer=demo1")).send().await.unwrap();
    assert_eq!(dashboard.status(), 200);

    let status = server.stop();
    assert!(status.success(), "a clean exit on SIGTERM: {status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
