//! For black-box tests of the support APIs: the portal's calls to a participant's 지원-101..104,
//! waiting for the statistics a participant sends the portal (지원-004/005), and schemathesis runs
//! over a server's OpenAPI document. Every failure panics with what was answered, as a test wants.

use mydata_spec::{IssuerType, KnownApi, TranId};
use mydata_store::{ReceivedStatistics, Store};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// The portal's org_code in the tests' registries.
pub const PORTAL: &str = "PORTAL0001";

/// The example registry's bank (`examples/registry.toml`: BANK000001 with its 지원-001 credential)
/// linked to the portal at `base_url`, which calls the bank's 지원-101 with `caller`; the registry is
/// pulled hourly.
pub fn example_bank_link(base_url: String, caller: (&str, &str)) -> crate::participant::PortalLink {
    crate::participant::PortalLink {
        account: crate::portal_client::PortalAccount {
            base_url,
            client_id: "bank000001support".into(),
            client_secret: "ChangeMeBankSupportSecret0001".into(),
            org_code: "BANK000001".into(),
            issuer: IssuerType::Provider,
        },
        credential: crate::participant::PortalCredential {
            portal_org_code: PORTAL.into(),
            client_id: caller.0.into(),
            secret_hash: crate::secret::hash_client_secret(caller.1),
        },
        refresh_every: Duration::from_secs(3600),
    }
}

/// A valid `x-api-tran-id` of the portal.
pub fn portal_tran_id() -> String {
    TranId::generate(PORTAL, IssuerType::Portal).to_string()
}

/// Calls a participant's 지원-101..104 at `base` as the portal does, over `http` (which carries the
/// portal's client certificate, or not).
#[derive(Debug, Clone)]
pub struct PortalCaller {
    pub base: String,
    pub http: reqwest::Client,
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

impl PortalCaller {
    pub fn new(base: impl Into<String>, http: reqwest::Client) -> PortalCaller {
        PortalCaller { base: base.into(), http }
    }

    /// 지원-101 with `(client_id, client_secret)` and scope `manage`; the transport's own failure
    /// (a refused handshake) is returned, not a panic.
    pub async fn token_response(&self, (id, secret): (&str, &str)) -> reqwest::Result<reqwest::Response> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", mydata_spec::catalogue::MANAGE_SCOPE),
        ];
        let url = format!("{}{}", self.base, KnownApi::ParticipantToken.spec().resource);
        self.http.post(url).header("x-api-tran-id", portal_tran_id()).form(&form).send().await
    }

    /// 지원-101's status and body.
    pub async fn token(&self, credential: (&str, &str)) -> (u16, Value) {
        answer(self.token_response(credential).await.expect("an answer to 지원-101")).await
    }

    /// A `manage` token for `credential`.
    pub async fn manage_token(&self, credential: (&str, &str)) -> String {
        let (status, body) = self.token(credential).await;
        assert_eq!(status, 200, "지원-101: {body}");
        body["access_token"].as_str().expect("an access_token").to_owned()
    }

    /// A GET of a managed API (지원-102, 104) with `token`.
    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let request = self.http.get(format!("{}{path}", self.base)).header("x-api-tran-id", portal_tran_id());
        answer(request.bearer_auth(token).send().await.expect("an answer")).await
    }

    /// A POST of a JSON body to a managed API (지원-103) with `token`.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let request = self.http.post(format!("{}{path}", self.base)).header("x-api-tran-id", portal_tran_id());
        answer(request.bearer_auth(token).json(body).send().await.expect("an answer")).await
    }
}

/// The reports of `api_id` (`지원-004`/`지원-005`) the portal's `store` holds, once it holds
/// `count` of them; what it holds after ten seconds otherwise.
pub async fn received_reports(store: &dyn Store, api_id: &str, count: usize) -> Vec<ReceivedStatistics> {
    let mut reports = Vec::new();
    for _ in 0..200 {
        reports = store.received_statistics(Some(api_id)).await.expect("the portal's store");
        if reports.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    reports
}

/// `(success, fail)` calls per (counterpart org_code, 첨부12 code) on `stat_date` in a 지원-004
/// (`org_list`: the providers called) or 지원-005 (`mydata_svc_list`: the operators' services)
/// report, both time slots summed; every `<x>_cnt` on the way must match its list.
pub fn call_counts(report: &Value, stat_date: &str) -> BTreeMap<(String, String), (u64, u64)> {
    let list = |value: &Value, name: &str| -> Vec<Value> {
        let items = value[format!("{name}_list")].as_array().cloned().unwrap_or_else(|| panic!("{name}_list: {value}"));
        assert_eq!(value[format!("{name}_cnt")], items.len().to_string(), "{name}_cnt: {value}");
        items
    };
    let days = list(report, "stat_date");
    let day = days.iter().find(|d| d["stat_date"] == stat_date).unwrap_or_else(|| panic!("{stat_date}: {report}"));
    let counterparts = if day.get("org_list").is_some() { list(day, "org") } else { list(day, "mydata_svc") };
    let number = |slot: &Value, name: &str| slot[name].as_str().and_then(|n| n.parse::<u64>().ok()).expect(name);
    let mut counts = BTreeMap::new();
    for counterpart in &counterparts {
        let org_code = counterpart["org_code"].as_str().expect("org_code").to_owned();
        for api in list(counterpart, "api_type") {
            let cell: &mut (u64, u64) =
                counts.entry((org_code.clone(), api["api_type"].as_str().expect("api_type").into())).or_default();
            for slot in list(&api, "tm_slot") {
                cell.0 += number(&slot, "success_api_cnt");
                cell.1 += number(&slot, "fail_api_cnt");
            }
        }
    }
    counts
}

/// The schemathesis release CI installs (.ci/run), which the documents' fuzzing tests drive.
pub const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The head of a schemathesis configuration: a fixed `seed`, `examples` per operation, and no
/// database of examples kept between runs; sections for operations follow it.
pub fn schemathesis_settings(seed: u32, examples: u32) -> String {
    format!("seed = {seed}\n[generation]\nmax-examples = {examples}\ndatabase = \"none\"\n")
}

/// How many operations (a path's methods) an OpenAPI `document` describes.
pub fn operations_in(document: &Value) -> usize {
    document["paths"]
        .as_object()
        .map_or(0, |paths| paths.values().filter_map(Value::as_object).map(|item| item.len()).sum())
}

/// One run of schemathesis (`st run`) over the OpenAPI document at `document`, with every check,
/// `config` as its configuration file and `args` after the document (filters), in a directory of
/// its own under `dir`; one worker, for hypothesis's source caches are not safe across threads, and
/// a race there ends a run with an error of the tool itself now and then. Panics where it finds a
/// disagreement; returns how many operations it tested.
pub fn schemathesis(dir: &std::path::Path, document: &str, config: &str, args: &[&str], env: &[(&str, &str)]) -> usize {
    use std::process::Command;
    let installed = Command::new("st").arg("--version").output();
    assert!(
        installed.as_ref().is_ok_and(|out| out.status.success()),
        "schemathesis's `st` is needed for this test: pip install {SCHEMATHESIS} ({installed:?})"
    );
    let dir = dir.join(format!("run-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a directory for the run");
    let config_file = dir.join("schemathesis.toml");
    std::fs::write(&config_file, config).expect("write schemathesis's configuration");
    let run = Command::new("st")
        .envs(env.iter().copied())
        .arg("--no-color")
        .arg("--config-file")
        .arg(&config_file)
        .args(["run", document])
        .args(args)
        .args(["--checks", "all", "--workers", "1", "--no-shrink"])
        .current_dir(&dir)
        .output()
        .expect("st runs");
    let output = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found disagreements:\n{output}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    println!("{output}");
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix("Tested: ")?.parse().ok())
        .unwrap_or_else(|| panic!("no count of tested operations:\n{output}"))
}
