//! `mydata sandbox` as a developer runs it: one command, then the consent page and a collection.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The sandbox process, killed when the test ends whatever happens.
struct Sandbox(Child);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the sandbox in `dir`; returns it, what it printed, and the operator's URL it announced.
fn start(dir: &std::path::Path) -> (Sandbox, Vec<String>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mydata"));
    for var in ["MYDATA_DATABASE", "MYDATA_LISTEN", "MYDATA_ORGS", "MYDATA_CONFIG", "MYDATA_SANDBOX_DIR"] {
        command.env_remove(var);
    }
    std::fs::create_dir_all(dir).unwrap();
    // Its log, to tell why if it stops before announcing.
    let log_path = dir.join("sandbox.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let dir = dir.display().to_string();
    let mut child = command
        .args(["sandbox", "--dir", &dir, "--customers", "2"])
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

#[tokio::test]
async fn one_command_starts_everything_the_consent_page_opens_and_a_collection_runs() {
    let dir = std::env::temp_dir().join(format!("mydata-sandbox-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (_sandbox, printed, operator) = start(&dir);
    let text = printed.join("\n");
    for org in ["BANK000001", "CARD000001", "INVEST0001", "INSU000001", "EFIN000001", "CAPITAL001", "GINSU00001"] {
        assert!(text.contains(org), "{org} is listed:\n{text}");
    }
    for needed in
        ["demo1", "DEMO-CI-demo2", "client_id", "client_secret", "/connect?customer=", "mydata collect --database"]
    {
        assert!(text.contains(needed), "{needed} is printed:\n{text}");
    }
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // The consent button sends the browser to the provider's own sign-in and consent page.
    let connect = http.get(format!("{operator}/connect?customer=demo2&org=BANK000001")).send().await.unwrap();
    assert!(connect.status().is_redirection(), "{}", connect.status());
    let consent_page = connect.headers()["location"].to_str().unwrap().to_owned();
    assert!(consent_page.contains("/oauth/2.0/consent/"), "{consent_page}");
    let page = http.get(&consent_page).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form"), "a sign-in form");
    // demo2 signs in and consents to everything offered; the provider sends the browser back to the
    // operator's callback, which exchanges the code for tokens (개별인증-002).
    let signed_in =
        http.post(format!("{consent_page}/sign-in")).form(&[("customer_id", "demo2")]).send().await.unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let form = http.get(&consent_page).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    let mut choices: Vec<(String, String)> =
        attribute_values(&form, "name=\"asset\" value=\"").into_iter().map(|v| ("asset".into(), v)).collect();
    choices.extend(attribute_values(&form, "name=\"scope\" value=\"").into_iter().map(|v| ("scope".into(), v)));
    assert!(!choices.is_empty(), "the bank offers demo2's accounts:\n{form}");
    let cycle = attribute_values(&form, "<option value=\"").remove(0);
    let end_date = attribute_values(&form, "name=\"end_date\" id=\"end_date\" value=\"").remove(0);
    choices.extend([
        ("is_scheduled".into(), "true".into()),
        ("cycle".into(), cycle),
        ("end_date".into(), end_date),
        ("decision".into(), "approve".into()),
    ]);
    let approved = http.post(&consent_page).header("cookie", &cookie).form(&choices).send().await.unwrap();
    assert!(approved.status().is_redirection(), "{}", approved.status());
    let callback = approved.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.starts_with(&format!("{operator}/callback?")), "{callback}");
    let connected = http.get(&callback).send().await.unwrap();
    let connected_page = connected.text().await.unwrap();
    assert!(connected_page.contains("전송요구 완료") && connected_page.contains("bank.list"), "{connected_page}");

    // Collecting fetches demo1's data from every provider (consented at start) and demo2's bank data.
    let collected = http.get(format!("{operator}/collect")).send().await.unwrap();
    assert_eq!(collected.status(), 200);
    let summary = collected.text().await.unwrap();
    assert!(summary.contains("2 customers, 11 providers"), "demo1 everywhere and demo2 at the bank: {summary}");
    let done: u64 = summary.split("units: ").nth(1).and_then(|s| s.split(' ').next()).unwrap().parse().unwrap();
    assert!(done > 100, "{summary}");
    // The generated data has overdraft accounts (is_minus) without the loan details 은행-001's rules
    // promise (은행-008/009); those answer 40402. Anything else is a defect.
    let errors = summary.lines().find_map(|l| l.strip_prefix("errors by rsp_code: ")).unwrap_or("");
    assert!(errors.split(", ").all(|e| e.is_empty() || e.starts_with("40402 ")), "{summary}");

    // `mydata collect` on the operator's database, beside the running sandbox: nothing changed at
    // the providers, so nothing new is stored.
    let database = format!("sqlite://{}", dir.join("operator.db").display());
    let output = Command::new(env!("CARGO_BIN_EXE_mydata"))
        .args(["collect", "--database", &database])
        .env_remove("MYDATA_DATABASE")
        .output()
        .expect("run mydata collect");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}{}", String::from_utf8_lossy(&output.stderr));
    assert!(report.contains("2 customers, 11 providers, ") && report.contains(" 0 rows stored"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
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
