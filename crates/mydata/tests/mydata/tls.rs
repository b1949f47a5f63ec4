//! `mydata pki init` and `mydata serve` over TLS, as a user runs them: serving its callers, and
//! calling the portal with its own client certificate.

use crate::common;

use common::*;
use mydata_pki::{OrgSpec, TestPki};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
        "--demo-sign-in",
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
        .args(["serve", "--demo-sign-in", "--listen", "127.0.0.1:0", "--database", &database, "--require-client-cert"])
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

/// The example registry's bank (its `serial_num` 1234567890) and support credentials.
const BANK: &str = "BANK000001";
const BANK_SUPPORT: [&str; 4] =
    ["--portal-client-id", "bank000001support", "--portal-client-secret", "ChangeMeBankSupportSecret0001"];
/// A service of the example registry: the bank knows it only after pulling the registry.
const SERVICE_CLIENT_ID: &str = "moneyplannerbook";
const SERVICE_CALLBACK: &str = "https://app.moneyplanner.example/callback";

/// A PKI whose bank certificates carry the SERIALNUMBER the example registry gives the bank.
fn example_registry_pki(dir: &Path) -> TestPki {
    let orgs = [OrgSpec::new(BANK, "123-45-67890").unwrap(), OrgSpec::derived("PORTAL0001")];
    TestPki::create(&dir.join("pki"), &orgs).unwrap()
}

/// `mydata portal` over the example registry, demanding a client certificate of `pki`'s CA in the
/// handshake and checking its SERIALNUMBER; its base URL by host name (its certificate's SAN), and
/// its log.
fn start_mutual_tls_portal(dir: &Path, pki: &TestPki) -> (Server, String, PathBuf) {
    let registry = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/registry.toml");
    let database = format!("sqlite://{}", dir.join("portal.db").display());
    let log = dir.join("portal.log");
    let args = ["portal", "--listen", "127.0.0.1:0", "--database", &database, "--registry", registry];
    let tls = ["--tls-dir", pki.dir().to_str().unwrap(), "--require-client-cert"];
    let (portal, url) = start_logging_to(&[&args[..], &tls].concat(), &[], std::fs::File::create(&log).unwrap());
    let port = url.strip_prefix("https://127.0.0.1:").unwrap_or_else(|| panic!("an https URL: {url}"));
    (portal, format!("https://localhost:{port}"), log)
}

/// Waits until the log at `path` has a line containing `text`; the whole log.
async fn log_line(path: &Path, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = std::fs::read_to_string(path).unwrap();
        if log.contains(text) {
            return log;
        }
        assert!(Instant::now() < deadline, "no {text:?} in {}:\n{log}", path.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A provider started by [`start_bank`], and the log it writes.
struct Bank {
    _server: Server,
    base: String,
    log: PathBuf,
    http: reqwest::Client,
}

/// `mydata serve` for the bank with its server certificate (--cert/--key), linked to `portal`,
/// with `extra` arguments and environment; its database and log are `name`.db and `name`.log in `dir`.
fn start_bank(dir: &Path, name: &str, pki: &TestPki, portal: &str, extra: &[&str], env: &[(&str, &str)]) -> Bank {
    let bank = pki.org(BANK).unwrap();
    let database = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    let log = dir.join(format!("{name}.log"));
    let mut args =
        vec!["serve", "--demo-sign-in", "--listen", "127.0.0.1:0", "--database", &database, "--org", "BANK000001:bank"];
    args.extend(["--cert", bank.server_cert.to_str().unwrap(), "--key", bank.server_key.to_str().unwrap()]);
    args.extend(["--portal", portal]);
    args.extend(BANK_SUPPORT);
    args.extend(["--support-client-id", "portalcaller01", "--support-client-secret", "PortalCallsBankSecret0001"]);
    args.extend(extra);
    let (server, url) = start_logging_to(&args, env, std::fs::File::create(&log).unwrap());
    let port = url.strip_prefix("https://127.0.0.1:").unwrap_or_else(|| panic!("an https URL: {url}"));
    let http = pki.anonymous_client_tls().reqwest_builder().unwrap();
    let http = http.redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Bank { _server: server, base: format!("https://localhost:{port}"), log, http }
}

impl Bank {
    /// 개별인증-001 of the registry's service: the consent page (302 there) once the bank knows the
    /// service from the registry, 400 `invalid_client_id` before.
    async fn authorize_service(&self) -> reqwest::Response {
        self.http
            .get(format!("{}/oauth/2.0/authorize", self.base))
            .query(&[
                ("org_code", BANK),
                ("response_type", "code"),
                ("client_id", SERVICE_CLIENT_ID),
                ("redirect_uri", SERVICE_CALLBACK),
                ("app_scheme", "moneyplanner://auth"),
                ("state", "s1"),
            ])
            .header("x-api-tran-id", "OPERAT0001M00000000000001")
            .header("x-user-ci", "Q0ktY3VzdC0xYWJjZGVm")
            .send()
            .await
            .unwrap()
    }

    async fn knows_the_registry_service(&self) -> bool {
        let response = self.authorize_service().await;
        match response.status().as_u16() {
            302 => {
                let location = response.headers()["location"].to_str().unwrap();
                assert!(location.starts_with("/oauth/2.0/consent/"), "the consent page: {location}");
                true
            }
            400 => {
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(body["error_description"], "invalid_client_id", "{body}");
                false
            }
            status => panic!("unexpected answer {status} to 개별인증-001: {}", response.text().await.unwrap()),
        }
    }
}

#[tokio::test]
async fn serve_with_cert_and_key_pulls_the_registry_from_a_mutual_tls_portal_with_its_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = example_registry_pki(dir.path());
    let (_portal, portal, portal_log) = start_mutual_tls_portal(dir.path(), &pki);
    let bank = pki.org(BANK).unwrap();
    let ca = pki.ca_cert();

    // On the command line.
    let client_identity = [
        "--client-cert",
        bank.client_cert.to_str().unwrap(),
        "--client-key",
        bank.client_key.to_str().unwrap(),
        "--server-ca",
        ca.to_str().unwrap(),
    ];
    let flags = start_bank(dir.path(), "flags", &pki, &portal, &client_identity, &[]);
    let log = log_line(&flags.log, "registry refreshed from the portal").await;
    assert!(!log.contains("without a client certificate"), "{log}");
    let refreshed: serde_json::Value = log
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .find(|line: &serde_json::Value| line["fields"]["message"] == "registry refreshed from the portal")
        .expect("the refresh's line is JSON");
    assert!(refreshed["fields"]["clients_upserted"].as_u64() > Some(0), "counts are fields of their own: {refreshed}");
    assert_eq!(refreshed["fields"]["org_code"], BANK, "whose registry: {refreshed}");
    assert!(flags.knows_the_registry_service().await, "the pulled registry's service is a client now");

    // From the config file and the environment, as every flag can be.
    let config = dir.path().join("mydata.toml");
    let keys = format!(
        "[serve]\nclient-cert = {:?}\nclient-key = {:?}\n",
        bank.client_cert.to_str().unwrap(),
        bank.client_key.to_str().unwrap()
    );
    std::fs::write(&config, keys).unwrap();
    let env = [("MYDATA_CONFIG", config.to_str().unwrap()), ("MYDATA_TLS_SERVER_CA", ca.to_str().unwrap())];
    let configured = start_bank(dir.path(), "configured", &pki, &portal, &[], &env);
    log_line(&configured.log, "registry refreshed from the portal").await;
    assert!(configured.knows_the_registry_service().await);

    // Enforcing the registered caller addresses, set in the file like any flag: the registry's operator
    // calls from 198.51.100.7 (examples/registry.toml), this test from 127.0.0.1.
    let enforcing_config = dir.path().join("enforcing.toml");
    std::fs::write(&enforcing_config, "[serve]\nenforce-registered-ips = true\n").unwrap();
    let env = [("MYDATA_CONFIG", enforcing_config.to_str().unwrap())];
    let enforcing = start_bank(dir.path(), "enforcing", &pki, &portal, &client_identity, &env);
    log_line(&enforcing.log, "registry refreshed from the portal").await;
    let refused = enforcing.authorize_service().await;
    assert_eq!(refused.status(), 400, "개별인증-001 from an address the operator did not register");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client", "{body}");

    let portal_log = std::fs::read_to_string(portal_log).unwrap();
    assert!(!portal_log.contains("TLS handshake refused"), "{portal_log}");
}

#[tokio::test]
async fn serve_with_cert_and_key_but_no_client_identity_is_refused_by_a_mutual_tls_portal_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let pki = example_registry_pki(dir.path());
    let (_portal, portal, portal_log) = start_mutual_tls_portal(dir.path(), &pki);
    let ca = pki.ca_cert();

    // The portal's CA is trusted, so only the missing client certificate can fail the calls.
    let anonymous = start_bank(dir.path(), "anonymous", &pki, &portal, &["--server-ca", ca.to_str().unwrap()], &[]);
    let log = log_line(&anonymous.log, "registry refresh failed").await;
    assert!(log.contains("calling the portal without a client certificate"), "{log}");
    assert!(log.contains("--client-cert"), "the warning names the flag to give: {log}");
    assert!(!log.contains("registry refreshed from the portal"), "{log}");
    log_line(&portal_log, "peer sent no certificates").await;
    assert!(!anonymous.knows_the_registry_service().await, "nothing was pulled");

    // The server certificate is no client certificate (extended key usage serverAuth only): the
    // portal refuses it in the handshake too, which is why --cert/--key are not reused.
    let bank = pki.org(BANK).unwrap();
    let server_cert_as_client = [
        "--client-cert",
        bank.server_cert.to_str().unwrap(),
        "--client-key",
        bank.server_key.to_str().unwrap(),
        "--server-ca",
        ca.to_str().unwrap(),
    ];
    let misused = start_bank(dir.path(), "misused", &pki, &portal, &server_cert_as_client, &[]);
    let log = log_line(&misused.log, "registry refresh failed").await;
    assert!(!log.contains("registry refreshed from the portal"), "{log}");
    log_line(&portal_log, "does not allow extended key usage for client authentication").await;
    assert!(!misused.knows_the_registry_service().await, "nothing was pulled");
}

#[test]
fn the_client_identity_towards_the_portal_needs_its_key_and_the_portal_s_ca_and_excludes_tls_dir() {
    let dir = tempfile::tempdir().unwrap();
    let pki = example_registry_pki(dir.path());
    let bank = pki.org(BANK).unwrap();
    let database = format!("sqlite://{}", dir.path().join("p.db").display());
    let serve = |extra: &[&str]| {
        let mut command = mydata();
        command.args(["serve", "--demo-sign-in", "--listen", "127.0.0.1:0", "--database", &database]);
        let output = command.args(extra).output();
        let output = output.unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let cert = bank.client_cert.to_str().unwrap();
    let key = bank.client_key.to_str().unwrap();
    let err = serve(&["--client-cert", cert, "--client-key", key]);
    assert!(err.contains("--server-ca"), "{err}");
    let err = serve(&["--client-cert", cert, "--server-ca", pki.ca_cert().to_str().unwrap()]);
    assert!(err.contains("--client-key"), "{err}");
    let err = serve(&["--tls-dir", pki.dir().to_str().unwrap(), "--client-cert", cert, "--client-key", key]);
    assert!(err.contains("--tls-dir") && err.contains("cannot be used with"), "{err}");
}
