//! 지원-101..104: the endpoints every provider and operator serves to the portal.
//!
//! A server implements [`Participant`] for what only it knows (its status, its customers' consents,
//! how it resends statistics) and mounts [`routes`]; tokens, credentials, parameter checks and the
//! standard's envelopes are handled here, identically for every participant.

use crate::oauth::{self, CredentialCheck};
use crate::secret::verify_client_secret;
use crate::statistics::week_before;
use crate::tokens::SupportTokens;
use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use mydata_spec::fields::Location;
use mydata_spec::tran_id::TranId;
use mydata_spec::validate::check_params;
use mydata_spec::{Envelope, IssuerType, KnownApi, RspCode, wire};
use mydata_store::StoreError;
use mydata_web::ApiError;
use mydata_web::catalogue_route::{CatalogueRoutes, method_of};
use mydata_web::tran_id::TranIdIssuer;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// 지원-102 `availability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Normal,
    Failure,
    Maintenance,
    Other,
}

impl Availability {
    pub const fn code(self) -> &'static str {
        match self {
            Availability::Normal => "01",
            Availability::Failure => "02",
            Availability::Maintenance => "03",
            Availability::Other => "99",
        }
    }
}

/// 지원-104 `org_type`: which kind of institution the portal asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResendOrgType {
    Operator,
    Recipient,
    Provider,
}

/// A 지원-104 request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResendRequest {
    pub org_code: String,
    pub org_type: ResendOrgType,
    /// A Sunday, YYYYMMDD.
    pub inquiry_date: String,
    /// Which statistics types to resend: `["1", "2"]` for type 0.
    pub stat_types: Vec<&'static str>,
}

/// One customer's consents at one service, for 지원-103 (operators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConsents {
    pub client_id: String,
    pub consents: Vec<ConsentSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentSummary {
    /// The provider's org_code.
    pub org_code: String,
    pub scope: String,
    pub consent_date: String,
    pub consent_end_date: String,
}

/// What a provider or operator answers for itself.
#[async_trait]
pub trait Participant: Send + Sync + 'static {
    /// The org_codes this server answers for.
    fn org_codes(&self) -> Vec<String>;
    /// Whether this server is a provider (serves 지원-102) — operators are not.
    fn is_provider(&self) -> bool;
    /// 지원-102, for one of [`Participant::org_codes`].
    async fn availability(&self, org_code: &str) -> Availability;
    /// 지원-103 (operators): the customer's currently valid consents per service; `None` when the
    /// CI is not a member. Providers are never asked (the route answers 40401 for them).
    async fn consents(&self, org_code: &str, user_ci: &str) -> Result<Option<Vec<ServiceConsents>>, ApiError>;
    /// 지원-104: resend statistics (지원-004/005). Called after the request was accepted; should
    /// start the resend and return without waiting for the portal's answer.
    async fn resend_statistics(&self, request: ResendRequest) -> Result<(), ApiError>;
}

/// The "지원API 제공용 자격증명" the portal issued for calling this participant (ch.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalCredential {
    /// The portal's org_code: the audience of the tokens issued with this credential.
    pub portal_org_code: String,
    pub client_id: String,
    /// [`crate::secret::hash_client_secret`] of the secret.
    pub secret_hash: String,
}

/// How a participant reaches the portal.
#[derive(Debug, Clone)]
pub struct PortalLink {
    /// The "지원API 호출용 자격증명" (지원-001) and the portal's URL.
    pub account: crate::portal_client::PortalAccount,
    /// The "지원API 제공용 자격증명" the portal uses for 지원-101.
    pub credential: PortalCredential,
    /// How often the registry is pulled.
    pub refresh_every: std::time::Duration,
}

/// State of the 지원-101..104 endpoints.
pub struct SupportEndpoint {
    pub tokens: SupportTokens,
    credential: RwLock<Option<PortalCredential>>,
    participant: Arc<dyn Participant>,
    issuer: TranIdIssuer,
}

impl SupportEndpoint {
    /// `tokens` must be issued by the participant's own org_code.
    pub fn new(tokens: SupportTokens, participant: Arc<dyn Participant>, issuer_type: IssuerType) -> Self {
        let issuer = TranIdIssuer { org_code: tokens.issuer().into(), issuer: issuer_type };
        SupportEndpoint { tokens, credential: RwLock::new(None), participant, issuer }
    }

    /// Sets (or replaces) the portal's credential; until one is set, 지원-101 refuses every client.
    pub fn set_portal_credential(&self, credential: Option<PortalCredential>) {
        *self.credential.write().unwrap_or_else(|e| e.into_inner()) = credential;
    }
}

#[async_trait]
impl CredentialCheck for SupportEndpoint {
    async fn org_of(&self, client_id: &str, client_secret: &str) -> Result<Option<String>, StoreError> {
        let credential = self.credential.read().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(credential
            .filter(|c| c.client_id == client_id && verify_client_secret(client_secret, &c.secret_hash))
            .map(|c| c.portal_org_code))
    }
}

/// A success body: rsp_code/rsp_msg first, every value a string (첨부2).
pub fn success(body: Map<String, Value>) -> Response {
    let envelope = Envelope::new(RspCode::Success);
    let mut out = Map::with_capacity(body.len() + 2);
    out.insert("rsp_code".into(), envelope.rsp_code.into());
    out.insert("rsp_msg".into(), envelope.rsp_msg.into());
    out.extend(body);
    let mut value = Value::Object(out);
    wire::stringify(&mut value);
    let mut response = mydata_web::error::json_response(StatusCode::OK, &value);
    response.extensions_mut().insert(RspCode::Success);
    response
}

/// Checks query or body parameters against the API's request fields (40001 on the first problem).
pub fn checked_params(api: KnownApi, location: Location, params: &HashMap<String, String>) -> Result<(), ApiError> {
    match check_params(&api.spec().fields().request, location, params).into_iter().next() {
        Some(violation) => Err(ApiError::with(RspCode::InvalidParameter, violation.to_string())),
        None => Ok(()),
    }
}

/// The query of a GET, or 40001 when it does not parse.
pub fn query_params(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<HashMap<String, String>, ApiError> {
    query.map(|Query(q)| q).map_err(|e| ApiError::with(RspCode::InvalidParameter, e.body_text()))
}

fn served(endpoint: &SupportEndpoint, org_code: &str) -> Result<(), ApiError> {
    if endpoint.participant.org_codes().iter().any(|c| c == org_code) {
        Ok(())
    } else {
        Err(ApiError::with(RspCode::UnknownOrgCode, "org_code is not served here"))
    }
}

async fn token(State(endpoint): State<Arc<SupportEndpoint>>, headers: HeaderMap, body: Bytes) -> Response {
    let endpoint = endpoint.as_ref();
    oauth::token_endpoint(&endpoint.tokens, endpoint, &headers, &body).await
}

/// The checked query of a managed GET: token first, then the API's query fields.
fn authorized_query(
    endpoint: &SupportEndpoint,
    headers: &HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    api: KnownApi,
) -> Result<HashMap<String, String>, ApiError> {
    oauth::authorize(&endpoint.tokens, headers)?;
    let params = query_params(query)?;
    checked_params(api, Location::Query, &params)?;
    Ok(params)
}

async fn status(
    State(endpoint): State<Arc<SupportEndpoint>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = authorized_query(&endpoint, &headers, query, KnownApi::ParticipantStatus)?;
    if !endpoint.participant.is_provider() {
        return Err(ApiError::with(RspCode::EndpointNotFound, "지원-102 is served by information providers"));
    }
    let org_code = &params["org_code"];
    served(&endpoint, org_code)?;
    let availability = endpoint.participant.availability(org_code).await;
    let mut body = Map::new();
    body.insert("availability".into(), availability.code().into());
    Ok(success(body))
}

async fn consents(
    State(endpoint): State<Arc<SupportEndpoint>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    oauth::authorize(&endpoint.tokens, &headers)?;
    if endpoint.participant.is_provider() {
        return Err(ApiError::with(RspCode::EndpointNotFound, "지원-103 is served by MyData operators"));
    }
    let params = json_params(&body)?;
    checked_params(KnownApi::ParticipantConsents, Location::Body, &params)?;
    let org_code = &params["org_code"];
    served(&endpoint, org_code)?;
    let Some(services) = endpoint.participant.consents(org_code, &params["user_ci"]).await? else {
        let mut body = Map::new();
        body.insert("is_member".into(), false.into());
        return Ok(success(body));
    };
    let service_list: Vec<Value> = services
        .iter()
        .map(|service| {
            let consent_list: Vec<Value> = service
                .consents
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "org_code": c.org_code, "scope": c.scope,
                        "consent_date": c.consent_date, "consent_end_date": c.consent_end_date,
                    })
                })
                .collect();
            serde_json::json!({
                "client_id": service.client_id, "consent_cnt": consent_list.len(), "consent_list": consent_list,
            })
        })
        .collect();
    let mut body = Map::new();
    body.insert("is_member".into(), true.into());
    body.insert("service_cnt".into(), service_list.len().into());
    body.insert("service_list".into(), service_list.into());
    Ok(success(body))
}

/// A JSON object body as string parameters (numbers and booleans as their text).
pub fn json_params(body: &Bytes) -> Result<HashMap<String, String>, ApiError> {
    let invalid = |problem: &str| ApiError::with(RspCode::InvalidParameter, problem.to_owned());
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid("the body is not JSON"))?;
    let Value::Object(map) = value else { return Err(invalid("the body must be a JSON object")) };
    map.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            Value::Number(n) => Ok((k, n.to_string())),
            Value::Bool(b) => Ok((k, b.to_string())),
            _ => Err(ApiError::with(RspCode::InvalidParameter, format!("{k} must be a string"))),
        })
        .collect()
}

async fn req_statistics(
    State(endpoint): State<Arc<SupportEndpoint>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = authorized_query(&endpoint, &headers, query, KnownApi::StatisticsResend)?;
    let org_code = params["org_code"].clone();
    served(&endpoint, &org_code)?;
    let org_type = match params["org_type"].as_str() {
        "01" => ResendOrgType::Operator,
        "02" => ResendOrgType::Recipient,
        "03" => ResendOrgType::Provider,
        _ => return Err(ApiError::with(RspCode::InvalidParameter, "org_type must be 01, 02 or 03")),
    };
    if (org_type == ResendOrgType::Provider) != endpoint.participant.is_provider() {
        return Err(ApiError::with(RspCode::InvalidParameter, "org_type does not match this institution"));
    }
    let inquiry_date = params["inquiry_date"].clone();
    week_before(&inquiry_date).map_err(|e| ApiError::with(RspCode::InvalidParameter, e.to_string()))?;
    let stat_types = match params["type"].as_str() {
        "0" => vec!["1", "2"],
        "1" => vec!["1"],
        "2" => vec!["2"],
        _ => return Err(ApiError::with(RspCode::InvalidParameter, "type must be 0, 1 or 2")),
    };
    endpoint.participant.resend_statistics(ResendRequest { org_code, org_type, inquiry_date, stat_types }).await?;
    Ok(success(Map::new()))
}

/// 지원-101..104 at `/mgmts/…`. The token endpoint only echoes `x-api-tran-id` (it answers header
/// problems as RFC 6749 errors); the others require it (40002).
pub fn routes(endpoint: Arc<SupportEndpoint>) -> Router {
    let issuer = endpoint.issuer.clone();
    let managed = Router::new()
        .catalogue_route(KnownApi::ParticipantStatus, status)
        .catalogue_route(KnownApi::ParticipantConsents, consents)
        .catalogue_route(KnownApi::StatisticsResend, req_statistics)
        .route_layer(mydata_web::error::rejections_as(mydata_web::error::standard_rejection))
        .layer(axum::middleware::from_fn_with_state(issuer.clone(), mydata_web::tran_id::require));
    Router::new()
        .route(
            KnownApi::ParticipantToken.spec().resource,
            method_of(KnownApi::ParticipantToken, token)
                .fallback(oauth::method_not_allowed)
                .layer(mydata_web::error::rejections_as(mydata_web::error::oauth_rejection)),
        )
        .layer(axum::middleware::from_fn_with_state(issuer, mydata_web::tran_id::echo))
        .merge(managed)
        .with_state(endpoint)
}

/// A transaction ID for a call this participant makes (to the portal).
pub fn new_tran_id(org_code: &str, issuer: IssuerType) -> String {
    TranId::generate(org_code, issuer).to_string()
}
