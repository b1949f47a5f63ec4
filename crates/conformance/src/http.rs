//! The suite's only way to the network: one request at a time, never more than the request budget,
//! never faster than the rate limit, so it is safe to point at a real provider.

use mydata_spec::Method;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

/// One request as the suite builds it; parameters travel in the query (GET) or a JSON body (POST),
/// except those the path names (`{card_id}`).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// Path with `{name}` placeholders.
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub params: BTreeMap<String, String>,
}

impl Request {
    /// The concrete path and the parameters left after filling its placeholders.
    fn resolve(&self) -> (String, BTreeMap<String, String>) {
        let mut path = self.path.clone();
        let mut rest = self.params.clone();
        for (name, value) in &self.params {
            let placeholder = format!("{{{name}}}");
            if path.contains(&placeholder) {
                path = path.replace(&placeholder, &path_segment(value));
                rest.remove(name);
            }
        }
        (path, rest)
    }
}

/// `value` as one path segment: everything but RFC 3986's unreserved characters percent-encoded, so
/// a key with `/` or a space stays one segment.
fn path_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub tran_id: Option<String>,
    pub content_type: Option<String>,
    /// The JSON body, or `Err` with why it is not JSON.
    pub body: Result<Value, String>,
}

impl Response {
    pub fn rsp_code(&self) -> Option<&str> {
        self.body.as_ref().ok()?.get("rsp_code")?.as_str()
    }

    /// One line for a report: status, rsp_code and rsp_msg.
    pub fn summary(&self) -> String {
        match &self.body {
            Ok(body) => format!(
                "HTTP {} rsp_code {} ({})",
                self.status,
                body.get("rsp_code").and_then(Value::as_str).unwrap_or("missing"),
                body.get("rsp_msg").and_then(Value::as_str).unwrap_or("")
            ),
            Err(e) => format!("HTTP {} without a JSON body ({e})", self.status),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    #[error("request budget of {0} exhausted")]
    Budget(u32),
    #[error("no response: {0}")]
    Transport(String),
}

/// A request's failure with the cause that says what happened (the connection refused, a
/// certificate not trusted, a timeout): reqwest's own message names only the URL.
pub(crate) fn failure(error: &reqwest::Error) -> String {
    let root = std::iter::successors(Some(error as &dyn std::error::Error), |e| e.source()).last();
    match root {
        Some(root) if root.to_string() != error.to_string() => format!("{error}: {root}"),
        _ => error.to_string(),
    }
}

pub struct Session {
    http: reqwest::Client,
    budget: u32,
    used: u32,
    interval: Duration,
    next_slot: Option<Instant>,
}

impl Session {
    /// `requests_per_second` of 0 means unlimited (for in-process tests).
    pub fn new(budget: u32, requests_per_second: f64, timeout: Duration) -> Session {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client with rustls and default settings always builds");
        let interval =
            if requests_per_second > 0.0 { Duration::from_secs_f64(1.0 / requests_per_second) } else { Duration::ZERO };
        Session { http, budget, used: 0, interval, next_slot: None }
    }

    pub fn used(&self) -> u32 {
        self.used
    }

    pub fn remaining(&self) -> u32 {
        self.budget - self.used
    }

    /// Sends `request` to the provider at `base` (scheme, host and port, without a trailing slash).
    pub async fn send(&mut self, base: &str, request: &Request) -> Result<Response, SendError> {
        if self.used >= self.budget {
            return Err(SendError::Budget(self.budget));
        }
        if let Some(slot) = self.next_slot {
            tokio::time::sleep_until(slot).await;
        }
        self.used += 1;
        self.next_slot = Some(Instant::now() + self.interval);
        let (path, params) = request.resolve();
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let mut builder = match request.method {
            Method::Get => self.http.get(url).query(&params),
            Method::Post => self.http.post(url).json(&params),
        };
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(|e| SendError::Transport(failure(&e)))?;
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (status, tran_id, content_type) =
            (response.status().as_u16(), header(mydata_spec::tran_id::HEADER), header("content-type"));
        let text = response.text().await.map_err(|e| SendError::Transport(failure(&e)))?;
        let body =
            serde_json::from_str(&text).map_err(|e| format!("{e}: {}", text.chars().take(120).collect::<String>()));
        Ok(Response { status, tran_id, content_type, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_fill_their_placeholder_as_one_segment() {
        let request = Request {
            method: Method::Get,
            path: "/v1/card/cards/{card_id}/approval-domestic".into(),
            headers: BTreeMap::new(),
            params: BTreeMap::from([
                ("card_id".to_owned(), "AB 12/3".to_owned()),
                ("org_code".to_owned(), "CARD000001".to_owned()),
            ]),
        };
        let (path, rest) = request.resolve();
        assert_eq!(path, "/v1/card/cards/AB%2012%2F3/approval-domestic");
        assert_eq!(rest.into_keys().collect::<Vec<_>>(), ["org_code"]);
    }
}
