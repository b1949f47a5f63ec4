//! `mydata pki init` and `mydata serve` over TLS, as a user runs them.

mod common;

use common::*;
use mydata_pki::TestPki;

#[tokio::test]
async fn serve_over_the_pki_that_pki_init_made_announces_https_and_answers_its_clients() {
    let dir = tempfile::tempdir().unwrap();
    let pki_dir = dir.path().join("pki");
    let init = mydata()
        .args(["pki", "init", "--dir", pki_dir.to_str().unwrap()])
        .args(["--org", "BANK000001", "--org", "OPERAT0001:220-81-62517"])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let pki = TestPki::open(&pki_dir).unwrap();
    assert_eq!(pki.org("OPERAT0001").unwrap().serial_number, "2208162517");

    let database = format!("sqlite://{}", dir.path().join("provider.db").display());
    let (_server, url) = start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &database,
        "--org",
        "BANK000001:bank",
        "--tls-dir",
        pki_dir.to_str().unwrap(),
    ]);
    let port = url.strip_prefix("https://127.0.0.1:").unwrap_or_else(|| panic!("an https URL: {url}"));
    let client = pki.client_tls("OPERAT0001").unwrap().reqwest_builder().unwrap().build().unwrap();
    let response = client
        .get(format!("https://localhost:{port}/v1/bank/apis?org_code=BANK000001&client_id=demo"))
        .header("x-api-tran-id", "OPERAT0001M00000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Plain HTTP on the same port fails the handshake: nothing is answered in clear.
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/v1/bank/apis")).send().await;
    assert!(plain.is_err(), "{plain:?}");
}

#[test]
fn requiring_client_certificates_without_their_ca_is_a_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), &["BANK000001".parse().unwrap()]).unwrap();
    let bank = pki.org("BANK000001").unwrap();
    let database = format!("sqlite://{}", dir.path().join("p.db").display());
    let output = mydata()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database, "--require-client-cert"])
        .args(["--cert", bank.server_cert.to_str().unwrap(), "--key", bank.server_key.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--client-ca"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
