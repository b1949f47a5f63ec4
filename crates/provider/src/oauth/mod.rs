//! The authorization server (ch.5): 개별인증-001 with the provider's own sign-in and consent pages,
//! the token endpoint (개별인증-002/003), revocation (개별인증-004) and the published signing keys.
//! Errors are RFC 6749 bodies `{"error", "error_description"}` with the statuses of 첨부1.

mod authorize;
mod choices;
mod consent_form;
mod counted;
pub mod customer_auth;
mod integrated;
pub mod oidc;
mod page;
pub mod revocation;
pub mod signature;
mod token;

use crate::Provider;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mydata_spec::OAuthError;
use mydata_spec::catalogue::KnownApi;
use mydata_store::{Client, StoreError};
use mydata_web::catalogue_route::method_of;
use mydata_web::error::json_response;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

pub use choices::{AssetChoice, customer_assets, scopes_for_choice};

/// The routes of the authorization server: its endpoints, whose refusals are OAuth errors, and the
/// customer's pages, whose refusals are pages.
pub fn routes(provider: Arc<Provider>) -> Router {
    let endpoints = Router::new()
        .route(
            KnownApi::Authorize.spec().resource,
            method_of(KnownApi::Authorize, counted::authorize).fallback(method_not_allowed),
        )
        // 개별인증-002, 003 and 통합인증-002 share one path: the grant type tells them apart.
        .route(
            KnownApi::IssueToken.spec().resource,
            method_of(KnownApi::IssueToken, counted::token).fallback(method_not_allowed),
        )
        .route(
            KnownApi::RevokeToken.spec().resource,
            method_of(KnownApi::RevokeToken, counted::revoke).fallback(method_not_allowed),
        )
        .route("/oauth/2.0/jwks", get(token::jwks).fallback(method_not_allowed))
        .layer(mydata_web::error::rejections_as(mydata_web::error::oauth_rejection));
    let pages = Router::new()
        .route("/oauth/2.0/consent/{session}", get(authorize::show).post(authorize::answer))
        .route("/oauth/2.0/consent/{session}/sign-in", post(authorize::sign_in))
        .route(SIGN_IN_RETURN_PATH, get(authorize::sign_in_return))
        .layer(mydata_web::error::rejections_as(page::refused));
    endpoints
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(provider.clone(), limit_by_address))
        .with_state(provider)
}

/// Requests to the authorization server and the consent pages, per source address: over the limit
/// the token endpoints answer HTTP 429 with an OAuth error, the pages a page saying so.
async fn limit_by_address(
    State(provider): State<Arc<Provider>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let address = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip());
    let Some(Err(limited)) = address.map(|ip| provider.limiters().address(ip)) else {
        return next.run(request).await;
    };
    tracing::warn!(address = ?address, "a source address is over its rate limit");
    let path = request.uri().path();
    if [KnownApi::IssueToken, KnownApi::RevokeToken].iter().any(|api| api.spec().resource == path) {
        return OAuthFailure::rate_limited(limited).into_response();
    }
    let mut response = page::message(
        StatusCode::TOO_MANY_REQUESTS,
        "요청 제한",
        "요청이 너무 많습니다. 잠시 후 다시 시도해 주십시오.",
    );
    response.headers_mut().insert(axum::http::header::RETRY_AFTER, limited.retry_after_secs().into());
    response
}

/// Where the customer comes back from the institution's login ([`oidc`]); the IdP must have this
/// provider's public base URL followed by it registered as the redirect URI.
pub const SIGN_IN_RETURN_PATH: &str = "/oauth/2.0/sign-in/return";

/// An OAuth error as 첨부1 lists it (접근토큰 발급/갱신/폐기): the `error` code decides the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthFailure {
    pub error: &'static str,
    pub description: String,
    /// Seconds a rate-limited caller should wait (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl OAuthFailure {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthFailure { error, description: description.into(), retry_after: None }
    }

    /// Too many requests (HTTP 429); `slow_down` is the OAuth error registered for it (RFC 8628).
    pub fn rate_limited(limited: crate::limits::Limited) -> Self {
        let seconds = limited.retry_after_secs();
        OAuthFailure {
            error: "slow_down",
            description: format!("too many requests; retry in {seconds} s"),
            retry_after: Some(seconds),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        OAuthFailure::new("invalid_request", description)
    }

    pub fn invalid_client() -> Self {
        OAuthFailure::new("invalid_client", "client authentication failed")
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        OAuthFailure::new("invalid_grant", description)
    }

    fn status(&self) -> StatusCode {
        match self.error {
            "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            "slow_down" => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<StoreError> for OAuthFailure {
    fn from(e: StoreError) -> Self {
        // The cause goes to the log, not to the caller.
        tracing::error!(error = %e, "store failure in the authorization server");
        OAuthFailure::new("server_error", "server error")
    }
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = json_response(
            status,
            &OAuthError { error: self.error.to_owned(), error_description: Some(self.description) },
        );
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

async fn method_not_allowed() -> OAuthFailure {
    OAuthFailure::new("method_not_allowed", "method not allowed")
}

/// A fresh unguessable secret (256 bits), URL-safe.
fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a secret handed out (session handle, code, cookie): its SHA-256 in hex.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Client secrets are stored as the portal registry stores them (`mydata_support::secret`).
pub use mydata_support::secret::hash_client_secret;

/// Looks up `client_id` and checks `client_secret` against its stored hash. A registered client
/// whose secret failed too often is locked out for a while, whatever it presents (guessing).
async fn authenticate_client(provider: &Provider, client_id: &str, secret: &str) -> Result<Client, OAuthFailure> {
    let limiters = provider.limiters();
    limiters.locked_out(client_id).map_err(OAuthFailure::rate_limited)?;
    let client = provider.store.client(client_id).await?.ok_or_else(OAuthFailure::invalid_client)?;
    if mydata_support::secret::verify_client_secret(secret, &client.client_secret_hash) {
        Ok(client)
    } else {
        tracing::warn!(client_id, "a client authentication failed");
        limiters.failed_authentication(client_id).map_err(OAuthFailure::rate_limited)?;
        Err(OAuthFailure::invalid_client())
    }
}

/// Parses an `application/x-www-form-urlencoded` body, keeping repeated keys (checkbox lists).
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The single-valued fields of a form; a repeated field is a malformed request.
fn form_fields(body: &[u8]) -> Result<HashMap<String, String>, OAuthFailure> {
    let mut fields = HashMap::new();
    for (name, value) in form_pairs(body) {
        if fields.insert(name.clone(), value).is_some() {
            return Err(OAuthFailure::invalid_request(format!("{name} is given twice")));
        }
    }
    Ok(fields)
}
