//! `mydata sandbox` as a developer runs it: one command, then the consent page and a collection —
//! over mutual TLS 1.3 with the sandbox's test PKI by default, and over plain HTTP with `--plain-http`.

use mydata_client::{AuthorizeRequest, Call, Client, ClientError, Credentials};
use mydata_pki::{ClientTls, TestPki};
use mydata_spec::{ApiType, Industry, RspCode};
use mydata_support::testing::PortalCaller;
use reqwest::redirect::Policy;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OPERATOR: &str = "OPERAT0001";
const TIMEOUT: Duration = Duration::from_secs(30);

/// The sandbox process, killed when the test ends whatever happens.
struct Sandbox(Child);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the sandbox in `dir` with `extra` arguments; returns it, what it printed, and the
/// operator's URL it announced.
fn start(dir: &Path, extra: &[&str]) -> (Sandbox, Vec<String>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mydata"));
    for var in
        ["MYDATA_DATABASE", "MYDATA_LISTEN", "MYDATA_ORGS", "MYDATA_CONFIG", "MYDATA_SANDBOX_DIR", "MYDATA_PLAIN_HTTP"]
    {
        command.env_remove(var);
    }
    std::fs::create_dir_all(dir).unwrap();
    // Its log, to tell why if it stops before announcing.
    let log_path = dir.join("sandbox.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let dir = dir.display().to_string();
    let mut child = command
        .args(["sandbox", "--dir", &dir, "--customers", "2"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn mydata sandbox");
    let stdout = child.stdout.take().unwrap();
    let sandbox = Sandbox(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut printed = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    while Instant::now() < deadline {
        let Some(line) = lines.next() else {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("the sandbox exited before announcing; its log:\n{log}");
        };
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("listening on ") {
            return (sandbox, printed, url.to_owned());
        }
        printed.push(line);
    }
    panic!("no `listening on` line within 120 s");
}

/// The base URL the sandbox printed for provider `org`.
fn provider_url(printed: &str, org: &str) -> String {
    let line = printed.lines().find(|l| l.trim_start().starts_with(org)).unwrap_or_else(|| panic!("{org}: {printed}"));
    line.split_whitespace().last().unwrap().to_owned()
}

/// A customer's browser on the consent page `consent_page`: signs in as `customer`, approves
/// everything offered, and returns where the provider sends the browser back (the redirect_uri
/// with the authorization code).
async fn consent(browser: &reqwest::Client, consent_page: &str, customer: &str) -> String {
    assert!(consent_page.contains("/oauth/2.0/consent/"), "{consent_page}");
    let page = browser.get(consent_page).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form"), "a sign-in form");
    let signed_in =
        browser.post(format!("{consent_page}/sign-in")).form(&[("customer_id", customer)]).send().await.unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let form = browser.get(consent_page).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    let mut choices: Vec<(String, String)> =
        attribute_values(&form, "name=\"asset\" value=\"").into_iter().map(|v| ("asset".into(), v)).collect();
    choices.extend(attribute_values(&form, "name=\"scope\" value=\"").into_iter().map(|v| ("scope".into(), v)));
    assert!(!choices.is_empty(), "the bank offers {customer}'s accounts:\n{form}");
    let cycle = attribute_values(&form, "<option value=\"").remove(0);
    let end_date = attribute_values(&form, "name=\"end_date\" id=\"end_date\" value=\"").remove(0);
    choices.extend([
        ("is_scheduled".into(), "true".into()),
        ("cycle".into(), cycle),
        ("end_date".into(), end_date),
        ("decision".into(), "approve".into()),
    ]);
    let approved = browser.post(consent_page).header("cookie", &cookie).form(&choices).send().await.unwrap();
    assert!(approved.status().is_redirection(), "{}", approved.status());
    approved.headers()["location"].to_str().unwrap().to_owned()
}

/// The consent button through the operator: demo2 consents at the bank on the provider's page and the
/// operator's callback exchanges the code; then the operator's collect button collects.
async fn consent_and_collect_through_the_operator(browser: &reqwest::Client, operator: &str) {
    // The consent button sends the browser to the provider's own sign-in and consent page.
    let connect = browser.get(format!("{operator}/connect?customer=demo2&org=BANK000001")).send().await.unwrap();
    assert!(connect.status().is_redirection(), "{}", connect.status());
    let consent_page = connect.headers()["location"].to_str().unwrap().to_owned();
    // demo2 signs in and consents to everything offered; the provider sends the browser back to the
    // operator's callback, which exchanges the code for tokens (개별인증-002).
    let callback = consent(browser, &consent_page, "demo2").await;
    assert!(callback.starts_with(&format!("{operator}/callback?")), "{callback}");
    let connected = browser.get(&callback).send().await.unwrap();
    let connected_page = connected.text().await.unwrap();
    assert!(connected_page.contains("전송요구 완료") && connected_page.contains("bank.list"), "{connected_page}");

    // Collecting fetches demo1's data from every provider (consented at start) and demo2's bank data.
    let collected = browser.post(format!("{operator}/collect")).send().await.unwrap();
    assert_eq!(collected.status(), 200);
    let summary = collected.text().await.unwrap();
    assert!(summary.contains("2 customers, 11 providers"), "demo1 everywhere and demo2 at the bank: {summary}");
    let done: u64 = summary.split("units: ").nth(1).and_then(|s| s.split(' ').next()).unwrap().parse().unwrap();
    assert!(done > 100, "{summary}");
    // The generated data has overdraft accounts (is_minus) without the loan details 은행-001's rules
    // promise (은행-008/009); those answer 40402. Anything else is a defect.
    let errors = summary.lines().find_map(|l| l.strip_prefix("errors by rsp_code: ")).unwrap_or("");
    assert!(errors.split(", ").all(|e| e.is_empty() || e.starts_with("40402 ")), "{summary}");
}

/// `mydata ARGS`, with none of the caller's database and TLS settings.
fn collect(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mydata"))
        .args(args)
        .env_remove("MYDATA_DATABASE")
        .env_remove("MYDATA_TLS_DIR")
        .env_remove("MYDATA_TLS_ORG")
        .output()
        .expect("run mydata collect")
}

/// Runs the `mydata collect` command the sandbox printed, beside the running sandbox: nothing
/// changed at the providers, so nothing new is stored.
fn run_printed_collect(printed: &str) {
    let command = printed.lines().map(str::trim).find(|l| l.starts_with("mydata collect ")).expect("a collect command");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let output = collect(&args);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{command}: {report}{}", String::from_utf8_lossy(&output.stderr));
    assert!(report.contains("2 customers, 11 providers, ") && report.contains(" 0 rows stored"), "{report}");
}

/// The operator's 지원-101..104 answer the portal's certificate with the credential the sandbox
/// printed, and no other certificate: demo1's consents at every provider, found by CI (지원-103).
async fn the_portal_asks_the_operator_for_a_customer_s_consents(pki: &TestPki, printed: &str, operator: &str) {
    let credential = ("portaloperat0001", "OPERAT0001PortalCaller1");
    assert!(printed.contains(credential.0) && printed.contains(credential.1), "{printed}");
    let caller = |org: &str| {
        let http = pki.client_tls(org).unwrap().reqwest_builder().unwrap().build().unwrap();
        PortalCaller::new(operator, http)
    };
    let portal = caller("PORTAL0001");
    let token = portal.manage_token(credential).await;
    let demo1 = serde_json::json!({"org_code": OPERATOR, "user_ci": "DEMO-CI-demo1"});
    let (status, body) = portal.post("/mgmts/consents", &token, &demo1).await;
    assert_eq!((status, body["is_member"].as_str()), (200, Some("true")), "{body}");
    assert_eq!(body["service_list"][0]["consent_cnt"], "11", "demo1 consented at every provider: {body}");
    let (status, body) = caller("BANK000001").post("/mgmts/consents", &token, &demo1).await;
    assert_eq!((status, body["rsp_code"].as_str()), (401, Some("40103")), "not the portal's certificate: {body}");
}

#[tokio::test]
async fn one_command_starts_everything_over_mutual_tls_the_consent_page_opens_and_a_collection_runs() {
    let dir = std::env::temp_dir().join(format!("mydata-sandbox-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (_sandbox, printed, operator) = start(&dir, &[]);
    let text = printed.join("\n");
    for org in ["BANK000001", "CARD000001", "INVEST0001", "INSU000001", "EFIN000001", "CAPITAL001", "GINSU00001"] {
        assert!(provider_url(&text, org).starts_with("https://127.0.0.1:"), "{org} is listed over TLS:\n{text}");
    }
    let pki_dir = dir.join("pki");
    let ca = pki_dir.join("ca.pem").display().to_string();
    let tls_dir = format!("--tls-dir {}", pki_dir.display());
    for needed in
        ["demo1", "DEMO-CI-demo2", "client_id", "client_secret", "/connect?customer=", "mydata collect --database"]
    {
        assert!(text.contains(needed), "{needed} is printed:\n{text}");
    }
    assert!(text.contains(&ca) && text.contains(&tls_dir) && text.contains("--plain-http"), "{text}");
    assert!(operator.starts_with("https://127.0.0.1:"), "{operator}");
    // 통합인증-002: a test CA every provider trusts, and the demo customers' certificates and keys.
    let integrated = dir.join("integrated-auth");
    assert!(text.contains(&integrated.display().to_string()), "{text}");
    for file in ["ca.der", "demo1.cert.der", "demo1.key.der", "demo3.cert.der"] {
        assert!(std::fs::metadata(integrated.join(file)).is_ok_and(|m| m.len() > 0), "{file} is written");
    }
    let bank = mydata_store::SqlStore::open(&format!("sqlite://{}", dir.join("provider-BANK000001.db").display()))
        .await
        .unwrap();
    let trusted = mydata_store::AuthorizationStore::certificate_authority(&bank, "SANDBOXCA1")
        .await
        .unwrap()
        .expect("the CA is trusted");
    assert_eq!(trusted.certificate_der, std::fs::read(integrated.join("ca.der")).unwrap());
    let pki = TestPki::open(&pki_dir).expect("the sandbox's test PKI");

    // A browser that trusts the test root CA and has no certificate of its own.
    let browser = pki.anonymous_client_tls().reqwest_builder().unwrap().redirect(Policy::none()).build().unwrap();
    consent_and_collect_through_the_operator(&browser, &operator).await;
    run_printed_collect(&text);
    the_portal_asks_the_operator_for_a_customer_s_consents(&pki, &text, &operator).await;

    // The test as the operator, with its client certificate: demo3 consents at the bank, and the
    // access token the token endpoint issues is bound to that certificate (RFC 8705).
    let bank = provider_url(&text, "BANK000001");
    let as_org = |org: &str| Client::with_tls(OPERATOR, TIMEOUT, pki.client_tls(org).unwrap().rustls_config().unwrap());
    let client = as_org(OPERATOR);
    let redirect_uri = format!("{operator}/callback");
    let request = AuthorizeRequest {
        org_code: "BANK000001",
        client_id: "sandboxoperator",
        redirect_uri: &redirect_uri,
        app_scheme: "mydatasandbox://consent",
        state: "sandboxtest",
        user_ci: "DEMO-CI-demo3",
    };
    let location = client.authorize(&bank, &request).await.unwrap().page().expect("the web method").to_owned();
    let consent_page = if location.starts_with('/') { format!("{bank}{location}") } else { location };
    let callback = consent(&browser, &consent_page, "demo3").await;
    let code = url::Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let creds = Credentials { client_id: "sandboxoperator".into(), client_secret: "sandboxoperatorsecret1".into() };
    let tokens = client.exchange_code(&bank, "BANK000001", &creds, &code, &redirect_uri).await.unwrap();
    let accounts = Call::by_id("은행-001")
        .industry(Industry::Bank)
        .api_type(ApiType::UserConsent)
        .bearer(&tokens.access_token)
        .param("org_code", "BANK000001")
        .param("limit", "10");
    let answer = client.send(&bank, &accounts).await.expect("the bound token with its own certificate");
    assert_eq!(answer.status, 200);
    // The same token over another certificate of the same CA (the bank's own client certificate),
    // or over none, is refused: 40101.
    let refused = as_org("BANK000001").send(&bank, &accounts).await.unwrap_err();
    assert_eq!(refused.rsp_code(), Some(RspCode::InvalidToken), "{refused}");
    let anonymous = Client::with_tls(OPERATOR, TIMEOUT, pki.anonymous_client_tls().rustls_config().unwrap());
    let refused = anonymous.send(&bank, &accounts).await.unwrap_err();
    assert_eq!(refused.rsp_code(), Some(RspCode::InvalidToken), "{refused}");

    // A client certificate of another CA ends the handshake; plain HTTP is not answered.
    let foreign_dir = dir.join("foreign-pki");
    let foreign = TestPki::create(&foreign_dir, &["OPERAT0001".parse().unwrap()]).unwrap();
    let foreign_identity = foreign.client_tls(OPERATOR).unwrap().identity;
    let impostor = ClientTls { identity: foreign_identity, server_roots: pki.ca_cert() };
    let impostor = Client::with_tls(OPERATOR, TIMEOUT, impostor.rustls_config().unwrap());
    let refused = impostor.send(&bank, &accounts).await.unwrap_err();
    assert!(matches!(refused, ClientError::Transport { .. }), "{refused}");
    let plain = reqwest::Client::new().get(bank.replacen("https://", "http://", 1)).send().await;
    assert!(plain.is_err(), "{plain:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn with_plain_http_the_same_flow_runs_without_tls() {
    let dir = std::env::temp_dir().join(format!("mydata-sandbox-plain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (_sandbox, printed, operator) = start(&dir, &["--plain-http"]);
    let text = printed.join("\n");
    assert!(operator.starts_with("http://127.0.0.1:"), "{operator}");
    assert!(provider_url(&text, "BANK000001").starts_with("http://127.0.0.1:"), "{text}");
    assert!(text.contains("plain HTTP") && !text.contains("--tls-dir"), "{text}");
    assert!(!dir.join("pki").exists(), "no PKI is created for plain HTTP");
    let browser = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    the_collection_loop_collects_the_consents_given_at_start(&browser, &text).await;
    consent_and_collect_through_the_operator(&browser, &operator).await;
    run_printed_collect(&text);
    the_read_api_serves_what_was_collected(&browser, &text).await;
    the_conformance_command_checks_integrated_auth(&dir, &provider_url(&text, "BANK000001"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `mydata conformance --integrated-dir` against the sandbox's bank: the 통합인증-002 checks for demo3
/// (whom nothing else here links), with demo1's certificate as another customer's; all pass.
fn the_conformance_command_checks_integrated_auth(dir: &Path, bank: &str) {
    let auth = dir.join("integrated-auth").display().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_mydata"))
        .args(["conformance", "--provider", bank, "--org-code", "BANK000001", "--industry", "bank"])
        .args(["--client-id", "sandboxoperator", "--client-secret", "sandboxoperatorsecret1", "--rate", "0"])
        .args(["--integrated-dir", &auth, "--integrated-customer", "demo3", "--integrated-other-customer", "demo1"])
        .env_remove("MYDATA_CONFORMANCE_TOKEN")
        .env_remove("MYDATA_CONFORMANCE_REFRESH_TOKEN")
        .env_remove("MYDATA_CONFORMANCE_CLIENT_SECRET")
        .output()
        .expect("run mydata conformance");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{table}{}", String::from_utf8_lossy(&output.stderr));
    let row = table.lines().find(|l| l.contains("통합인증-002")).unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("pass") && row.split_whitespace().any(|w| w == "6"), "six checks passed: {row}");
}

/// The sandbox runs `mydata operator`'s collection loop: demo1's consents, given at start, are
/// collected without anyone pressing collect.
async fn the_collection_loop_collects_the_consents_given_at_start(browser: &reqwest::Client, printed: &str) {
    let (url, secret) = read_api(printed);
    let assets = format!("{url}/customers/demo1/assets");
    let started = std::time::Instant::now();
    loop {
        let held: serde_json::Value =
            browser.get(&assets).bearer_auth(secret).send().await.unwrap().json().await.unwrap();
        let orgs: std::collections::BTreeSet<&str> =
            held["assets"].as_array().unwrap().iter().filter_map(|a| a["org_code"].as_str()).collect();
        if orgs.len() == 11 {
            return;
        }
        assert!(started.elapsed().as_secs() < 60, "demo1's assets at every provider within a minute: {orgs:?}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// The read API the sandbox printed (`read API  <url>  bearer <secret>`) answers with the secret only.
async fn the_read_api_serves_what_was_collected(browser: &reqwest::Client, printed: &str) {
    let (url, secret) = read_api(printed);
    let assets = format!("{url}/customers/demo2/assets");
    let held: serde_json::Value = browser.get(&assets).bearer_auth(secret).send().await.unwrap().json().await.unwrap();
    let at_bank = held["assets"].as_array().unwrap().iter().filter(|a| a["org_code"] == "BANK000001").count();
    assert!(at_bank > 0, "demo2's bank assets: {held}");
    assert_eq!(browser.get(&assets).send().await.unwrap().status(), 401);
}

/// The read API's base URL and secret, from the line the sandbox printed (`read API  <url>  bearer <secret>`).
fn read_api(printed: &str) -> (&str, &str) {
    let line = printed.lines().find_map(|l| l.strip_prefix("read API  ")).unwrap_or_else(|| panic!("{printed}"));
    line.split_once("  bearer ").unwrap_or_else(|| panic!("{line}"))
}

/// The values of an HTML attribute wherever `prefix` (ending in `value="`) occurs.
fn attribute_values(html: &str, prefix: &str) -> Vec<String> {
    html.match_indices(prefix)
        .filter_map(|(at, _)| {
            let rest = &html[at + prefix.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

/// `mydata link --integrated` beside the running sandbox; its exit status and standard output.
fn link(dir: &Path, extra: &[&str]) -> (bool, String) {
    let dir = dir.display().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_mydata"))
        .args(["link", "--sandbox-dir", &dir])
        .args(extra)
        .env_remove("MYDATA_SANDBOX_DIR")
        .env_remove("MYDATA_OPERATOR_ORG")
        .output()
        .expect("run mydata link");
    let out = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), out)
}

/// The lines `mydata link` printed per provider: (org_code, outcome).
fn outcomes(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let org = words.next()?;
            let _industry = words.next()?;
            (org.len() == 10 && org.chars().all(|c| c.is_ascii_alphanumeric()))
                .then(|| (org.to_owned(), words.collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

/// Puts `certificate` in place of `customer`'s signing identity in the sandbox's integrated-auth.
fn replace_identity(dir: &Path, customer: &str, certificate: &mydata_pki::consent_signing::CustomerCertificate) {
    let auth = dir.join("integrated-auth");
    std::fs::write(auth.join(format!("{customer}.cert.der")), &certificate.certificate_der).unwrap();
    std::fs::write(auth.join(format!("{customer}.key.der")), certificate.private_key_pkcs8_der()).unwrap();
}

#[tokio::test]
async fn integrated_auth_links_a_demo_customer_at_every_provider_in_one_signature_then_collects() {
    let dir = std::env::temp_dir().join(format!("mydata-sandbox-integrated-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (_sandbox, printed, operator) = start(&dir, &[]);
    let text = printed.join("\n");
    assert!(text.contains("mydata link --integrated --customer demo2 --sandbox-dir"), "{text}");
    let auth = dir.join("integrated-auth");
    let keep = |name: &str| std::fs::read(auth.join(name)).unwrap();
    let (demo3_cert, demo3_key) = (keep("demo3.cert.der"), keep("demo3.key.der"));

    // Refused before anything is sent: no --integrated, a customer without a certificate, a
    // provider the operator does not know.
    let (ok, out) = link(&dir, &["--customer", "demo3"]);
    assert!(!ok && out.contains("--integrated"), "{out}");
    let (ok, out) = link(&dir, &["--integrated", "--customer", "nobody"]);
    assert!(!ok && out.contains("signing identity of nobody"), "{out}");
    let (ok, out) = link(&dir, &["--integrated", "--customer", "demo3", "--org", "NOWHERE001"]);
    assert!(!ok && out.contains("NOWHERE001 is not a provider the operator knows"), "{out}");

    // demo3 signing with demo2's certificate: the CI is not demo3's (unauthorized_user); with a
    // certificate of a CA no provider trusts, carrying demo3's CI: invalid_grant.
    let auth_files = |c: &str| {
        let (cert, key) = (keep(&format!("{c}.cert.der")), keep(&format!("{c}.key.der")));
        mydata_pki::consent_signing::CustomerCertificate::from_der(cert, &key).unwrap()
    };
    replace_identity(&dir, "demo3", &auth_files("demo2"));
    let (ok, out) = link(&dir, &["--integrated", "--customer", "demo3", "--org", "BANK000001", "--org", "CARD000001"]);
    assert!(!ok, "{out}");
    let lines = outcomes(&out);
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines.iter().all(|(_, o)| o.starts_with("refused unauthorized_user")), "{out}");
    let foreign = mydata_pki::consent_signing::TestCertificationAuthority::generate("SANDBOXCA1")
        .unwrap()
        .issue("DEMO-CI-demo3", "박도윤")
        .unwrap();
    replace_identity(&dir, "demo3", &foreign);
    let (ok, out) = link(&dir, &["--integrated", "--customer", "demo3", "--org", "BANK000001", "--org", "CARD000001"]);
    assert!(!ok, "{out}");
    let lines = outcomes(&out);
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines.iter().all(|(_, o)| o.starts_with("refused invalid_grant")), "{out}");
    std::fs::write(auth.join("demo3.cert.der"), &demo3_cert).unwrap();
    std::fs::write(auth.join("demo3.key.der"), &demo3_key).unwrap();

    // The genuine signature: linked at all 11 providers at once.
    let (ok, out) = link(&dir, &["--integrated", "--customer", "demo3"]);
    assert!(ok, "{out}");
    let lines = outcomes(&out);
    assert_eq!(lines.len(), 11, "one line per provider: {out}");
    assert!(lines.iter().all(|(_, o)| o.starts_with("linked")), "{out}");
    assert!(out.contains("통합인증: demo3 linked at 11 of 11 providers"), "{out}");

    // Collecting: demo3's data from every provider lands in the operator's database.
    let database = format!("sqlite://{}", dir.join("operator.db").display());
    let pki = dir.join("pki").display().to_string();
    let output = collect(&["collect", "--database", &database, "--tls-dir", &pki]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}{}", String::from_utf8_lossy(&output.stderr));
    assert!(report.contains("2 customers, 11 providers, "), "demo1 (prelinked) and demo3: {report}");
    let browser =
        reqwest::Client::builder().redirect(Policy::none()).danger_accept_invalid_certs(true).build().unwrap();
    let dashboard = browser.get(format!("{operator}/dashboard?customer=demo3")).send().await.unwrap();
    assert_eq!(dashboard.status(), 200);
    let (url, secret) = read_api(&text);
    let held: serde_json::Value = browser
        .get(format!("{url}/customers/demo3/assets"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let orgs: std::collections::BTreeSet<&str> =
        held["assets"].as_array().unwrap().iter().filter_map(|a| a["org_code"].as_str()).collect();
    assert!(orgs.len() >= 5, "demo3's assets from many institutions: {orgs:?}");

    // Every 통합인증-002 refusal, at a sandbox provider over mutual TLS: the conformance suite's checks
    // for demo2 (nobody links demo2 here), with demo1's certificate as another customer's.
    every_integrated_refusal_at_the_bank(&dir, &provider_url(&text, "BANK000001")).await;

    // The operator's page offers the same, capped at 50 providers.
    let page = browser.get(format!("{operator}/integrated?customer=demo3")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"org\" value=\"BANK000001\"") && page.contains("최대 50개"), "{page}");
    let mut form = vec![("customer".to_owned(), "demo3".to_owned())];
    form.extend((0..51).map(|i| ("org".to_owned(), format!("BANK{i:06}"))));
    let too_many = browser.post(format!("{operator}/integrated")).form(&form).send().await.unwrap();
    assert_eq!(too_many.status(), 400);
    assert!(too_many.text().await.unwrap().contains("최대 50개"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The conformance suite's 통합인증-002 checks against the sandbox's bank, with the operator's
/// client certificate: the happy path, a bad signature, a replayed nonce, a foreign CA, a wrong
/// tx_id and another customer's certificate, each answered with its expected error.
async fn every_integrated_refusal_at_the_bank(dir: &Path, bank: &str) {
    use mydata_conformance::integrated::{IntegratedTarget, Signer, check};
    use mydata_pki::consent_signing::SigningIdentity;
    let auth = dir.join("integrated-auth");
    let signer = |id: &str| {
        let identity = SigningIdentity::open(&auth, id).unwrap();
        (Signer { certificate: identity.certificate, ci: identity.ci }, identity.ca_code)
    };
    let ((customer, ca_code), (other, _)) = (signer("demo2"), signer("demo1"));
    let target = IntegratedTarget {
        base_url: bank.to_owned(),
        org_code: "BANK000001".into(),
        industry: Industry::Bank,
        operator_org: OPERATOR.into(),
        credentials: Credentials {
            client_id: "sandboxoperator".into(),
            client_secret: "sandboxoperatorsecret1".into(),
        },
        ca_code,
        customer,
        other_customer: Some(other),
    };
    let pki = TestPki::open(&dir.join("pki")).unwrap();
    let tls = pki.client_tls(OPERATOR).unwrap().rustls_config().unwrap();
    let report = check(&target, Client::with_tls(OPERATOR, TIMEOUT, tls)).await;
    let passed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == mydata_conformance::Status::Pass)
        .map(|c| c.check.as_str())
        .collect();
    assert_eq!(passed.len(), 6, "{:#?}", report.checks);
}
