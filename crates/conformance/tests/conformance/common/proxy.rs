//! A mutating proxy in front of a real provider: it forwards every request unchanged and breaks
//! exactly one thing of one API, so a test can prove the suite notices.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The one thing the proxy breaks, on requests to `method path` only.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Leaves a field out of every success body.
    DropField { field: String },
    /// Sends a field's string value as a JSON number (첨부2 wants every value as a string).
    StringToNumber { field: String },
    /// Sets `field` of every item of the list `list` to `value`.
    SetItemField { list: String, field: String, value: String },
    /// Answers every request with this error instead of forwarding the provider's answer.
    Refuse { status: StatusCode, rsp_code: &'static str },
    /// Leaves out the items of the list `list` whose `field` is `value` (and counts the rest).
    DropItem { list: String, field: String, value: String },
    /// Answers a request for the next page with the very cursor it sent.
    RepeatCursor,
    /// Replaces the bearer token `from` by `to` before forwarding, so the provider never sees `from`:
    /// a token lacking the scope, or a revoked token, is then accepted.
    SwapToken { from: String, to: String },
}

#[derive(Debug, Clone)]
pub struct Breakage {
    pub method: Method,
    pub path: String,
    pub fault: Fault,
}

struct State {
    upstream: String,
    breakage: Option<Breakage>,
    http: reqwest::Client,
    forwarded: Arc<AtomicUsize>,
}

/// A running proxy.
pub struct Proxy {
    pub base: String,
    /// Requests it has forwarded so far.
    pub forwarded: Arc<AtomicUsize>,
}

/// Starts the proxy in front of `upstream`.
pub async fn start(upstream: &str, breakage: Option<Breakage>) -> Proxy {
    let forwarded = Arc::new(AtomicUsize::new(0));
    let state = Arc::new(State {
        upstream: upstream.to_owned(),
        breakage,
        http: reqwest::Client::new(),
        forwarded: forwarded.clone(),
    });
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let state = state.clone();
        async move { forward(&state, method, uri, headers, body).await }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Proxy { base, forwarded }
}

/// The next_page the request carries, in its query (GET) or JSON body (POST).
fn requested_cursor(uri: &Uri, body: &Bytes) -> Option<String> {
    let from_query =
        uri.query().and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("next_page=").map(str::to_owned)));
    let from_body = || serde_json::from_slice::<Value>(body).ok()?.get("next_page")?.as_str().map(str::to_owned);
    from_query.or_else(from_body)
}

async fn forward(state: &State, method: Method, uri: Uri, mut headers: HeaderMap, body: Bytes) -> Response {
    state.forwarded.fetch_add(1, Ordering::SeqCst);
    let fault = state.breakage.as_ref().filter(|b| b.method == method && b.path == uri.path()).map(|b| &b.fault);
    if let Some(Fault::SwapToken { from, to }) = fault
        && headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {from}"))
    {
        headers.insert("authorization", format!("Bearer {to}").parse().unwrap());
    }
    if let Some(Fault::Refuse { status, rsp_code }) = fault {
        let body = serde_json::json!({"rsp_code": rsp_code, "rsp_msg": "refused by the proxy"});
        let mut response = Response::new(Body::from(body.to_string()));
        *response.status_mut() = *status;
        response.headers_mut().insert("content-type", "application/json".parse().unwrap());
        if let Some(tran_id) = headers.get("x-api-tran-id") {
            response.headers_mut().insert("x-api-tran-id", tran_id.clone());
        }
        return response;
    }
    headers.remove("host");
    headers.remove("content-length");
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let upstream = state
        .http
        .request(method, format!("{}{path_and_query}", state.upstream))
        .headers(headers)
        .body(body.clone())
        .send()
        .await
        .expect("upstream provider answers");
    let status = upstream.status();
    let mut response_headers = upstream.headers().clone();
    let mut bytes = upstream.bytes().await.expect("upstream body").to_vec();
    if let (Some(fault), Ok(Value::Object(mut map))) = (fault, serde_json::from_slice::<Value>(&bytes))
        && status == StatusCode::OK
    {
        match fault {
            Fault::DropField { field } => {
                map.remove(field);
            }
            Fault::StringToNumber { field } => {
                if let Some(number) = map.get(field).and_then(Value::as_str).and_then(|s| s.parse::<i64>().ok()) {
                    map.insert(field.clone(), Value::from(number));
                }
            }
            Fault::SetItemField { list, field, value } => {
                for item in map.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
                    item[field.as_str()] = Value::String(value.clone());
                }
            }
            Fault::DropItem { list, field, value } => {
                if let Some(items) = map.get_mut(list).and_then(Value::as_array_mut) {
                    items.retain(|item| item.get(field).and_then(Value::as_str) != Some(value.as_str()));
                }
                // Only the list changes meaning; its count stays consistent with it.
                mydata_spec::counts::set_counts(&mut map);
            }
            Fault::RepeatCursor => {
                if let Some(cursor) = requested_cursor(&uri, &body) {
                    map.insert("next_page".into(), Value::String(cursor));
                }
            }
            Fault::SwapToken { .. } | Fault::Refuse { .. } => {}
        }
        bytes = serde_json::to_vec(&Value::Object(map)).unwrap();
    }
    response_headers.remove("content-length");
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    response
}
