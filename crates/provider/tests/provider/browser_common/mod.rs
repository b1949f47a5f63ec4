//! Headless Chromium driven through ChromeDriver's W3C WebDriver protocol, for the browser tests
//! (the consent page here, the operator's dashboard in its crate). CI installs Debian's `chromium`
//! and `chromium-driver`; without them these tests fail on purpose.

use axum::extract::Query;
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

/// A ChromeDriver process, killed when dropped.
pub struct Driver {
    child: Child,
    url: String,
    _profile: tempdir::Profile,
}

mod tempdir {
    /// A fresh Chromium profile directory, removed when dropped.
    pub struct Profile(pub std::path::PathBuf);
    impl Drop for Profile {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success()))
        .map(|n| n.to_string())
}

/// How long to wait for chromedriver or a page before calling it a hang.
const WAIT: Duration = Duration::from_secs(30);

pub async fn start_driver() -> Driver {
    let chromedriver = find_program(&["chromedriver"])
        .expect("chromedriver not found: install Debian's `chromium` and `chromium-driver` (.ci/run does)");
    find_program(&["chromium", "chromium-browser"])
        .expect("chromium not found: install Debian's `chromium` and `chromium-driver` (.ci/run does)");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = std::env::temp_dir().join(format!("mydata-chromium-{}-{port}", std::process::id()));
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}"), _profile: tempdir::Profile(profile) };
    let http = reqwest::Client::new();
    // Bounds only a hang: on two busy cores chromedriver and the pages can take seconds.
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        if http.get(format!("{}/status", driver.url)).send().await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer at {}", driver.url);
}

/// One WebDriver session.
pub struct Session {
    http: reqwest::Client,
    base: String,
}

impl Session {
    pub async fn open(driver: &Driver) -> Session {
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--user-data-dir={}", driver._profile.0.display()),
        ];
        let http = reqwest::Client::new();
        let capabilities =
            json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"args": args}}}});
        let created: Value = http
            .post(format!("{}/session", driver.url))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {created}"));
        Session { http, base: format!("{}/session/{id}", driver.url) }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response = self.http.request(method, format!("{}{path}", self.base)).json(&body).send().await.unwrap();
        let value: Value = response.json().await.unwrap();
        assert!(value["value"].get("error").is_none(), "WebDriver {path}: {value}");
        value["value"].clone()
    }

    pub async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url })).await;
    }

    pub async fn element(&self, css: &str) -> String {
        let found = self.call(reqwest::Method::POST, "/element", json!({"using": "css selector", "value": css})).await;
        found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).unwrap().to_owned()
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/click"), json!({})).await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), json!({ "text": text })).await;
    }

    /// Resizes the window to `width`×`height` CSS pixels (a phone is about 390×844).
    pub async fn resize(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", json!({ "width": width, "height": height })).await;
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    pub async fn run(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", json!({ "script": script, "args": [] })).await
    }

    pub async fn page_text(&self) -> String {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": "return document.body.innerText", "args": []}),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The page's text once it contains `expected` (a form submission navigates asynchronously).
    pub async fn wait_for_text(&self, expected: &str) -> String {
        let mut text = String::new();
        let deadline = std::time::Instant::now() + WAIT;
        while std::time::Instant::now() < deadline {
            text = self.page_text().await;
            if text.contains(expected) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {expected:?}: {text}");
    }

    pub async fn close(&self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

/// The operator's callback: hands every query it receives to the test.
pub async fn callback_server() -> (String, mpsc::UnboundedReceiver<HashMap<String, String>>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/callback",
        get(move |Query(params): Query<HashMap<String, String>>| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(params);
                "연결되었습니다"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}
