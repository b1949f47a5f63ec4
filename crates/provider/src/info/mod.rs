//! Every information API through one pipeline, described by the catalogue:
//! x-api-type → parameters (validated against the field data) → org_code → token → scope → shape.

mod common;
mod periodic;
mod shapes;
mod wire_body;

use crate::Provider;
use crate::tokens::Grant;
use crate::transport::CallerConnection;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{RequestPartsExt, Router};
use mydata_spec::catalogue::{self, Method};
use mydata_spec::fields::Location;
use mydata_spec::paging::Limit;
use mydata_spec::validate::{self, check_params};
use mydata_spec::{ApiKind, ApiSpec, ApiType, Industry, RspCode, api_type};
use mydata_web::ApiError;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// How many items an API without paging answers at most in one response.
const MAX_UNPAGED: u32 = 10_000;

/// Attached to every response of an API of 첨부12 (the information APIs and the authorization
/// server's), so that layers (statistics, metrics, logs) can see which API answered, for which
/// x-api-type, for which client, with which rsp_code (also attached, as [`RspCode`]).
#[derive(Debug, Clone)]
pub struct CalledApi {
    pub api_id: &'static str,
    pub api_type: Option<ApiType>,
    /// The client whose access token verified, or that the request names where no token is asked
    /// for (공통-001's `client_id`, the token endpoint's form); `None` when the call failed before.
    pub client_id: Option<String>,
    /// The institution that answered, where the path does not say (the authorization server's
    /// paths carry no industry).
    pub org_code: Option<String>,
}

/// A validated information-API request, ready for its shape.
pub struct InfoCall {
    pub api: &'static ApiSpec,
    pub industry: Industry,
    pub org_code: String,
    pub api_type: Option<ApiType>,
    /// Query, body and path parameters as strings.
    pub params: HashMap<String, String>,
    /// When the request arrived: the answer's search_timestamp is this, taken before any data is
    /// read, so that a change in the same second is not lost to the next call (ch.2.1).
    pub received_at: chrono::DateTime<chrono::Utc>,
}

impl InfoCall {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn limit(&self) -> Option<Limit> {
        self.param("limit").and_then(|l| Limit::parse(l).ok())
    }
}

fn invalid(problem: impl Into<String>) -> ApiError {
    ApiError::with(RspCode::InvalidParameter, problem)
}

/// The body's fields of `api`'s table as strings. Members the table does not name are ignored
/// whatever they hold, as clients of later versions may send more.
fn body_params(api: &ApiSpec, body: &Bytes) -> Result<HashMap<String, String>, ApiError> {
    if body.is_empty() {
        return Ok(HashMap::new());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| invalid(format!("body is not JSON: {e}")))?;
    let Value::Object(map) = value else { return Err(invalid("body must be a JSON object")) };
    let fields = api.fields();
    map.into_iter()
        .filter(|(_, v)| !v.is_null())
        .filter_map(|(k, v)| fields.request_field(&k).map(|field| (field, v)))
        .map(|(field, v)| {
            let text = validate::body_text(field, &v).map_err(|e| invalid(e.to_string()))?;
            Ok((field.name.clone(), text))
        })
        .collect()
}

fn header_api_type(api: &ApiSpec, headers: &HeaderMap) -> Result<Option<ApiType>, ApiError> {
    let required = api.fields().request_field(api_type::HEADER).is_some_and(|f| f.required);
    match headers.get(api_type::HEADER) {
        None if required => Err(ApiError::with(RspCode::InvalidHeader, "x-api-type is required")),
        None => Ok(None),
        Some(raw) => raw.to_str().ok().and_then(|s| s.parse::<ApiType>().ok()).map(Some).ok_or_else(|| {
            ApiError::with(
                RspCode::InvalidHeader,
                "x-api-type must be scheduled, user-consent, user-refresh or user-search",
            )
        }),
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::with(RspCode::InvalidToken, "Authorization: Bearer <access token> is required"))
}

/// Checks the request against the standard and returns it as an [`InfoCall`].
fn validate(
    provider: &Provider,
    api: &'static ApiSpec,
    industry: Industry,
    headers: &HeaderMap,
    params: HashMap<String, String>,
) -> Result<InfoCall, ApiError> {
    let api_type = header_api_type(api, headers)?;
    if api_type == Some(ApiType::Scheduled) && !provider.takes_scheduled_calls_now(industry) {
        return Err(ApiError::with(
            RspCode::OutsideScheduledHours,
            "scheduled calls are taken only in the registered np_time windows",
        ));
    }
    let location = match api.method {
        Method::Get => Location::Query,
        Method::Post => Location::Body,
    };
    let fields = &api.fields().request;
    if let Some(v) = check_params(fields, location, &params).into_iter().next() {
        return Err(invalid(v.to_string()));
    }
    if let Some(limit) = params.get("limit") {
        Limit::parse(limit).map_err(|e| invalid(e.to_string()))?;
    }
    let served = provider.org_for(industry).expect("routes exist only for served industries");
    if params.get("org_code").is_some_and(|code| *code != served.org_code) {
        return Err(ApiError::with(RspCode::UnknownOrgCode, "org_code is not this institution's"));
    }
    Ok(InfoCall { api, industry, org_code: served.org_code.clone(), api_type, params, received_at: chrono::Utc::now() })
}

/// Adds `rsp_code`/`rsp_msg` in front of a success body and sends every value as a string.
pub fn success(code: RspCode, body: Map<String, Value>) -> Response {
    let mut wire = wire_body::WireBody::new(code);
    for (name, value) in body {
        wire.value(&name, value);
    }
    wire.finish(code)
}

/// Answers `call`, naming in `caller` the client once its access token has verified.
async fn answer(
    provider: &Provider,
    call: InfoCall,
    headers: &HeaderMap,
    connection: &CallerConnection,
    caller: &mut Option<String>,
) -> Result<Response, ApiError> {
    if call.api.kind() == ApiKind::ApiList {
        // Untokened, it names its caller itself (ch.6.1.1); statistics count it for that client.
        *caller = call.param("client_id").map(str::to_owned);
        return common::api_list(&call);
    }
    let grant: Grant = provider.authenticate_call(&call.org_code, bearer(headers)?, connection).await?;
    // The access log's request span names the caller from here on.
    tracing::Span::current().record("client_id", grant.client_id.as_str());
    *caller = Some(grant.client_id.clone());
    if !grant.consent.scopes.allows(call.api, call.industry) {
        return Err(ApiError::with(
            RspCode::ScopeNotGranted,
            format!("{} needs scope {}", call.api.id, call.api.scope_for(call.industry).unwrap_or_default()),
        ));
    }
    if call.api.kind() == ApiKind::ConsentDetail {
        return Ok(common::consent(&call, &grant.consent));
    }
    shapes::answer(provider, &call, &grant).await
}

/// Validates and answers one request, tagging the response with the API, x-api-type and client
/// it answered for.
async fn handle(
    provider: &Provider,
    api: &'static ApiSpec,
    industry: Industry,
    request: &Parts,
    params: Result<HashMap<String, String>, ApiError>,
) -> Response {
    let headers = &request.headers;
    let connection = CallerConnection::of(request);
    let mut caller = None;
    let result = async {
        let call = validate(provider, api, industry, headers, params?)?;
        answer(provider, call, headers, &connection, &mut caller).await
    }
    .await;
    let mut response = result.into_response();
    let api_type = headers.get(api_type::HEADER).and_then(|v| v.to_str().ok()).and_then(|s| s.parse().ok());
    response.extensions_mut().insert(CalledApi { api_id: api.id, api_type, client_id: caller, org_code: None });
    response
}

/// The query and path parameters of a GET.
async fn query_params(request: &mut Parts) -> Result<HashMap<String, String>, ApiError> {
    let Query(mut params) =
        Query::<HashMap<String, String>>::try_from_uri(&request.uri).map_err(|e| invalid(e.body_text()))?;
    if let Ok(Path(path)) = request.extract::<Path<HashMap<String, String>>>().await {
        params.extend(path);
    }
    Ok(params)
}

/// The largest request body read; information-API requests are a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The parameters of a POST to `api`, from its JSON body.
async fn body_params_of(api: &ApiSpec, body: Body) -> Result<HashMap<String, String>, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| invalid(format!("the body must be JSON of at most {MAX_BODY_BYTES} bytes")))?;
    body_params(api, &bytes)
}

// The handlers take the request whole, so that its headers are read where they are, not copied.
fn route_for(provider: Arc<Provider>, api: &'static ApiSpec, industry: Industry) -> MethodRouter {
    match api.method {
        Method::Get => get(move |request: Request| async move {
            let (mut parts, _) = request.into_parts();
            let params = query_params(&mut parts).await;
            handle(&provider, api, industry, &parts, params).await
        }),
        Method::Post => post(move |request: Request| async move {
            let (parts, body) = request.into_parts();
            let params = body_params_of(api, body).await;
            handle(&provider, api, industry, &parts, params).await
        }),
    }
    .fallback(mydata_web::error::method_not_allowed)
}

/// Routes of every information API of every served industry; all require `x-api-tran-id`.
pub fn routes(provider: Arc<Provider>) -> Router {
    let mut router = Router::new();
    for org in &provider.config.orgs {
        for api in catalogue::info_apis(org.industry) {
            router = router.route(&api.path(org.industry), route_for(provider.clone(), api, org.industry));
            if api.kind() == ApiKind::ApiList {
                // 공통-001 has no version in ch.4, but clients commonly call it under /v1 as well.
                let versioned = format!("/{}{}", catalogue::VERSION, api.path(org.industry));
                router = router.route(&versioned, route_for(provider.clone(), api, org.industry));
            }
        }
    }
    router.layer(axum::middleware::from_fn_with_state(provider.tran_id_issuer(), mydata_web::tran_id::require))
}
