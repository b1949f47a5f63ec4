//! The client-credentials token endpoint of 지원-001 (portal) and 지원-101 (participants), and the
//! bearer check of every other support API. Token errors follow RFC 6749 (`error`,
//! `error_description`), as 첨부1 and ch.7 say; the other APIs answer the standard envelope.

use crate::tokens::{SupportClaims, SupportTokens};
use async_trait::async_trait;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use mydata_spec::catalogue::MANAGE_SCOPE;
use mydata_spec::validate::check_value;
use mydata_spec::{OAuthError, RspCode};
use mydata_store::StoreError;
use mydata_web::ApiError;
use serde_json::json;
use std::collections::HashMap;

/// Decides whose credentials a client_id/client_secret pair is.
#[async_trait]
pub trait CredentialCheck: Send + Sync {
    /// The org_code the pair belongs to, or `None` when the pair is not valid.
    async fn org_of(&self, client_id: &str, client_secret: &str) -> Result<Option<String>, StoreError>;
}

/// An RFC 6749 §5.2 error, turned into its response at the end.
struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn oauth_error(status: StatusCode, error: &'static str, description: impl Into<String>) -> TokenError {
    TokenError { status, error, description: description.into() }
}

impl TokenError {
    fn into_response(self) -> Response {
        let body = OAuthError { error: self.error.to_owned(), error_description: Some(self.description) };
        mydata_web::error::json_response(self.status, &body)
    }
}

/// A token endpoint asked with another method than POST: 첨부1's 405 `method_not_allowed`.
pub async fn method_not_allowed() -> Response {
    oauth_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "use POST").into_response()
}

fn invalid_request(description: impl Into<String>) -> TokenError {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// Parses an `application/x-www-form-urlencoded` body, refusing repeated parameters (RFC 6749 §3.2).
fn form(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, TokenError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(invalid_request("Content-Type must be application/x-www-form-urlencoded"));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| invalid_request("the body is not a valid form"))?;
    let mut params = HashMap::new();
    for (name, value) in pairs {
        if params.insert(name.clone(), value).is_some() {
            return Err(invalid_request(format!("{name} is repeated")));
        }
    }
    Ok(params)
}

fn required<'a>(params: &'a HashMap<String, String>, name: &str, type_spec: &str) -> Result<&'a str, TokenError> {
    let value = params.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let value = value.ok_or_else(|| invalid_request(format!("{name} is required")))?;
    check_value(type_spec, value).map_err(|problem| invalid_request(format!("{name}: {problem}")))?;
    Ok(value)
}

/// Answers a 지원-001/101 token request: client_credentials with scope `manage` only.
pub async fn token_endpoint(
    tokens: &SupportTokens,
    credentials: &dyn CredentialCheck,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    issue(tokens, credentials, headers, body).await.unwrap_or_else(TokenError::into_response)
}

async fn issue(
    tokens: &SupportTokens,
    credentials: &dyn CredentialCheck,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, TokenError> {
    let tran_id_ok = headers
        .get(mydata_spec::tran_id::HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| mydata_spec::TranId::check(v).is_ok());
    if !tran_id_ok {
        return Err(invalid_request("x-api-tran-id is missing or not in the form of 첨부14"));
    }
    let params = form(headers, body)?;
    let grant_type = required(&params, "grant_type", "aNS(18)")?;
    if grant_type != "client_credentials" {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        ));
    }
    let client_id = required(&params, "client_id", "aN(50)")?;
    let client_secret = required(&params, "client_secret", "aN(50)")?;
    // Any other scope is invalid_scope (RFC 6749 §5.2), not a malformed request.
    let scope = required(&params, "scope", "aNS(1000)")?;
    let org_code = match credentials.org_of(client_id, client_secret).await {
        Ok(Some(org_code)) => org_code,
        Ok(None) => {
            // 첨부1 (접근토큰 발급) answers invalid_client with 400, where RFC 6749 would use 401.
            return Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "unknown client or wrong secret"));
        }
        Err(e) => {
            tracing::error!(error = %e, "store failure while checking support credentials");
            return Err(oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "try again later"));
        }
    };
    if scope != MANAGE_SCOPE {
        return Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", "scope must be manage"));
    }
    let body = json!({
        "token_type": "Bearer",
        "access_token": tokens.issue(&org_code),
        "expires_in": tokens.lifetime().as_secs().to_string(),
        "scope": MANAGE_SCOPE,
    });
    let mut response = mydata_web::error::json_response(StatusCode::OK, &body);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The claims of the request's `Authorization: Bearer` support token: 40101 when it is missing or
/// not valid, 40104 when its scope is not `manage`.
pub fn authorize(tokens: &SupportTokens, headers: &HeaderMap) -> Result<SupportClaims, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::with(RspCode::InvalidToken, "Authorization: Bearer <access token> is required"))?;
    let claims = tokens.verify(token).ok_or_else(|| ApiError::new(RspCode::InvalidToken))?;
    if claims.scope != MANAGE_SCOPE {
        return Err(ApiError::with(RspCode::ScopeNotGranted, "the token's scope is not manage"));
    }
    Ok(claims)
}
