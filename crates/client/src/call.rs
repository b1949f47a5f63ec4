//! One generic call, driven by the catalogue: any API of the standard is a [`Call`] on an
//! [`ApiSpec`], so no API can be missing from the client and none needs a hand-written request.

use crate::error::{ClientError, ClientResult};
use mydata_spec::catalogue::{Group, Method};
use mydata_spec::fields::Location;
use mydata_spec::{ApiSpec, ApiType, Industry, IssuerType, RspCode, TranId, api_type, tran_id};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One request to one API; parameters are the wire's strings.
#[derive(Debug, Clone)]
pub struct Call {
    pub api: &'static ApiSpec,
    /// Required for information APIs: it selects the `<industry>` path segment.
    pub industry: Option<Industry>,
    pub api_type: Option<ApiType>,
    pub bearer: Option<String>,
    /// Query (GET), form or JSON body (POST) and `{path}` parameters, by wire name.
    pub params: BTreeMap<String, String>,
    /// Extra headers the API's table asks for (e.g. `x-user-ci` of 개별인증-001).
    pub headers: BTreeMap<String, String>,
}

impl Call {
    pub fn new(api: &'static ApiSpec) -> Call {
        Call { api, industry: None, api_type: None, bearer: None, params: BTreeMap::new(), headers: BTreeMap::new() }
    }

    /// A call to the API with this ID; panics on an ID that is not in the catalogue (a programming error).
    pub fn by_id(id: &str) -> Call {
        Call::new(mydata_spec::catalogue::api(id).unwrap_or_else(|| panic!("{id} is not an API of the standard")))
    }

    pub fn industry(mut self, industry: Industry) -> Call {
        self.industry = Some(industry);
        self
    }

    pub fn api_type(mut self, api_type: ApiType) -> Call {
        self.api_type = Some(api_type);
        self
    }

    pub fn bearer(mut self, token: impl Into<String>) -> Call {
        self.bearer = Some(token.into());
        self
    }

    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Call {
        self.params.insert(name.into(), value.into());
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Call {
        self.headers.insert(name.into(), value.into());
        self
    }

    fn header_field(&self, name: &str) -> Option<bool> {
        self.api.fields().request.iter().find(|f| f.location == Location::Header && f.name == name).map(|f| f.required)
    }

    fn request_error(&self, problem: impl Into<String>) -> ClientError {
        ClientError::Request { api: self.api.id, problem: problem.into() }
    }

    /// The call as it goes on the wire, but for the transaction ID each sending makes.
    pub fn prepare(&self) -> ClientResult<Prepared> {
        let (route, path, params) = self.path_and_params()?;
        let api_type = self.api_type_header()?;
        let bearer = match self.header_field("Authorization") {
            Some(_) => Some(self.bearer.clone().ok_or_else(|| self.request_error("an access token is required"))?),
            None => None,
        };
        let (path, body) = match self.api.method {
            Method::Get if params.is_empty() => (path, Payload::Query),
            Method::Get => {
                let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
                (format!("{path}?{query}"), Payload::Query)
            }
            Method::Post if self.api.fields().takes_form() => (path, Payload::Form(params)),
            Method::Post => (path, Payload::Json(params.into_iter().map(|(k, v)| (k, Value::String(v))).collect())),
        };
        Ok(Prepared { route, path, body, api_type, bearer, headers: self.headers.clone() })
    }

    /// The route, the path with its `{name}` segments filled in, and the parameters left for query or body.
    fn path_and_params(&self) -> ClientResult<(String, String, BTreeMap<String, String>)> {
        let path = match self.api.group {
            Group::Info => {
                let industry = self.industry.ok_or_else(|| self.request_error("an industry is required"))?;
                if !self.api.industries.contains(&industry) {
                    return Err(self.request_error(format!("not served by industry {industry}")));
                }
                self.api.path(industry)
            }
            _ => self.api.resource.to_owned(),
        };
        let mut params = self.params.clone();
        let mut filled = String::with_capacity(path.len());
        let mut rest = path.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map(|c| open + c).ok_or_else(|| self.request_error("bad path"))?;
            let name = &rest[open + 1..close];
            let value =
                params.remove(name).ok_or_else(|| self.request_error(format!("path parameter {name} missing")))?;
            filled.push_str(&rest[..open]);
            filled.push_str(&value);
            rest = &rest[close + 1..];
        }
        filled.push_str(rest);
        Ok((path, filled, params))
    }

    /// `x-api-type` as the API's table asks: required for information APIs, and for 공통-001
    /// (where it is optional) sent only for scheduled calls, as the standard's note says.
    fn api_type_header(&self) -> ClientResult<Option<&'static str>> {
        match (self.header_field(api_type::HEADER), self.api_type) {
            (None, _) => Ok(None),
            (Some(true), None) => Err(self.request_error("x-api-type is required")),
            (Some(true), Some(t)) => Ok(Some(t.as_str())),
            (Some(false), Some(t)) if t.is_scheduled() => Ok(Some(t.as_str())),
            (Some(false), _) => Ok(None),
        }
    }
}

/// A [`Call`] as it goes on the wire, but for its transaction ID: what a load generator sends many
/// times over (`mydata bench`), and what [`Client::send`] sends once.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The route the API is served at, `{name}` segments and all (`/v1/card/cards/{card_id}/…`).
    pub route: String,
    /// The route with its segments filled in and, for a GET, the query after it.
    pub path: String,
    pub body: Payload,
    /// `x-api-type`, where the API's table asks for it.
    pub api_type: Option<&'static str>,
    /// The access token, where the API's table asks for one.
    pub bearer: Option<String>,
    pub headers: BTreeMap<String, String>,
}

impl Prepared {
    /// The request to send to `base_url`, as the transaction `tran_id` (첨부14).
    pub fn request(&self, http: &reqwest::Client, base_url: &str, tran_id: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{}", base_url.trim_end_matches('/'), self.path);
        let mut request = match &self.body {
            Payload::Query => http.get(url),
            Payload::Form(form) => http.post(url).form(form),
            Payload::Json(body) => http.post(url).json(body),
        };
        request = request.header(tran_id::HEADER, tran_id);
        if let Some(api_type) = self.api_type {
            request = request.header(api_type::HEADER, api_type);
        }
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        request
    }
}

/// Where a call's parameters go: a GET's are the path's query; a POST's a form (ch.5's token
/// endpoints) or a JSON object (every value a string, 첨부2).
#[derive(Debug, Clone)]
pub enum Payload {
    Query,
    Form(BTreeMap<String, String>),
    Json(Map<String, Value>),
}

/// What an API answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub api: &'static ApiSpec,
    pub status: u16,
    /// The `x-api-tran-id` the provider answered with.
    pub tran_id: Option<String>,
    /// The JSON body (empty for a redirect).
    pub body: Map<String, Value>,
    /// The `Location` of a 302 (개별인증-001).
    pub location: Option<String>,
}

impl Answer {
    /// A body field as text (the standard sends every value as a string; numbers are accepted too).
    pub fn text(&self, name: &str) -> Option<String> {
        value_text(self.body.get(name)?)
    }

    pub fn rsp_code(&self) -> Option<RspCode> {
        self.body.get("rsp_code").and_then(Value::as_str).and_then(RspCode::from_code)
    }
}

/// A JSON value as the wire's text.
pub fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One exchange the client made: what was sent, what came back, and how long it took.
#[derive(Debug)]
pub struct Exchange<'a> {
    pub base_url: &'a str,
    pub call: &'a Call,
    /// The answer, or why there is none (an error answer of the institution included).
    pub outcome: Result<&'a Answer, &'a ClientError>,
    /// From sending the request to having the whole answer (or giving up).
    pub elapsed: Duration,
}

/// Sees every exchange a [`Client`] makes, after it ended (the operator's call statistics, 지원-004).
/// Called on the calling task: it must not block.
pub trait CallObserver: Send + Sync + std::fmt::Debug {
    fn observe(&self, exchange: &Exchange<'_>);
}

/// The operator's HTTP client for every API of the standard. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// The operator's org_code, the first ten characters of every `x-api-tran-id` it sends (첨부14).
    operator_org: String,
    /// The most pages one paged fetch follows.
    pub page_cap: u32,
    /// `limit` sent on paged APIs.
    pub page_limit: u32,
    observer: Option<Arc<dyn CallObserver>>,
}

/// Default timeout of one HTTP exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl Client {
    pub fn new(operator_org: &str) -> Client {
        Client::with_timeout(operator_org, DEFAULT_TIMEOUT)
    }

    pub fn with_timeout(operator_org: &str, timeout: Duration) -> Client {
        Client::from_builder(operator_org, timeout, reqwest::Client::builder())
    }

    /// A client speaking only `tls` (e.g. `mydata_pki::ClientTls::rustls_config`): the operator's
    /// certificate towards providers and the roots their server certificates must chain to, so that
    /// calls between participants use mutually authenticated TLS 1.3 (ch.2).
    pub fn with_tls(operator_org: &str, timeout: Duration, tls: rustls::ClientConfig) -> Client {
        Client::from_builder(operator_org, timeout, reqwest::Client::builder().use_preconfigured_tls(tls))
    }

    fn from_builder(operator_org: &str, timeout: Duration, builder: reqwest::ClientBuilder) -> Client {
        let http = builder
            .timeout(timeout)
            // 개별인증-001 answers 302 whose Location the service server hands to its app (ch.3.2.1 ④-2).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client with rustls and no custom roots always builds");
        Client { http, operator_org: operator_org.to_owned(), page_cap: 1000, page_limit: 500, observer: None }
    }

    /// This client reporting every exchange it makes (each page of a paged fetch, token calls
    /// included) to `observer`; a request that could not be built is no exchange.
    pub fn observed(mut self, observer: Arc<dyn CallObserver>) -> Client {
        self.observer = Some(observer);
        self
    }

    pub fn operator_org(&self) -> &str {
        &self.operator_org
    }

    /// Sends one call to the institution at `base_url` and classifies the answer.
    pub async fn send(&self, base_url: &str, call: &Call) -> ClientResult<Answer> {
        let api = call.api;
        let tran_id = TranId::generate(&self.operator_org, IssuerType::Operator);
        let request = call.prepare()?.request(&self.http, base_url, tran_id.as_str());
        let started = Instant::now();
        let outcome = match request.send().await {
            Ok(response) => classify(api, response).await,
            Err(source) => Err(ClientError::Transport { api: api.id, source }),
        };
        if let Some(observer) = &self.observer {
            let elapsed = started.elapsed();
            observer.observe(&Exchange { base_url, call, outcome: outcome.as_ref(), elapsed });
        }
        outcome
    }
}

async fn classify(api: &'static ApiSpec, response: reqwest::Response) -> ClientResult<Answer> {
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let tran_id = header(tran_id::HEADER);
    let location = header("location");
    if response.status().is_redirection() {
        return Ok(Answer { api, status, tran_id, body: Map::new(), location });
    }
    let bytes = response.bytes().await.map_err(|source| ClientError::Transport { api: api.id, source })?;
    let malformed = |problem: String| ClientError::Malformed { api: api.id, problem };
    let body: Map<String, Value> = if bytes.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(malformed(format!("HTTP {status}: the body is not a JSON object"))),
            Err(e) => return Err(malformed(format!("HTTP {status}: the body is not JSON ({e})"))),
        }
    };
    let text = |name: &str| body.get(name).and_then(value_text);
    if let Some(error) = text("error") {
        return Err(ClientError::OAuth {
            api: api.id,
            status,
            error,
            description: text("error_description").unwrap_or_default(),
        });
    }
    match text("rsp_code") {
        Some(code) if status >= 400 || RspCode::from_code(&code).is_some_and(|c| !c.is_success()) => {
            Err(ClientError::Api { api: api.id, status, rsp_code: code, rsp_msg: text("rsp_msg").unwrap_or_default() })
        }
        None if status >= 400 => Err(malformed(format!("HTTP {status} without rsp_code or error"))),
        _ => Ok(Answer { api, status, tran_id, body, location }),
    }
}
