//! `POST /oauth/2.0/token` (개별인증-002 authorization_code, 개별인증-003 refresh_token, 통합인증-002
//! password),
//! `POST /oauth/2.0/revoke` (개별인증-004) and `GET /oauth/2.0/jwks`.

use super::{OAuthFailure, authenticate_client, digest, form_fields};
use crate::Provider;
use crate::metrics::TokenEvent;
use crate::tokens::{AccessClaims, Confirmation, prepare_bound_pair, refresh_bound_access};
use crate::transport::CallerConnection;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use mydata_spec::KnownApi;
use mydata_spec::fields::Location;
use mydata_spec::validate::check_params;
use mydata_store::{Client, Redemption, TokenKind};
use mydata_web::error::json_response;
use mydata_web::tran_id::RequestTranId;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

type Fields = HashMap<String, String>;

/// Checks the request's form fields against the API's table (required, type, length).
fn check_fields(api: KnownApi, fields: &Fields) -> Result<(), OAuthFailure> {
    let spec = api.spec();
    match check_params(&spec.fields().request, Location::Body, fields).first() {
        Some(v) => Err(OAuthFailure::invalid_request(format!("{} {}", v.field, v.problem))),
        None => Ok(()),
    }
}

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map(String::as_str).unwrap_or_default()
}

/// The org_code must be one this server serves.
fn served_org(provider: &Provider, org_code: &str) -> Result<(), OAuthFailure> {
    if provider.config.orgs.iter().any(|o| o.org_code == org_code) {
        Ok(())
    } else {
        Err(OAuthFailure::invalid_request("org_code is not served here"))
    }
}

/// 첨부1: a missing or malformed x-api-tran-id is `invalid_request`.
fn require_tran_id(tran_id: Option<Extension<RequestTranId>>) -> Result<(), OAuthFailure> {
    tran_id.map(|_| ()).ok_or_else(|| OAuthFailure::invalid_request("x-api-tran-id is missing or malformed"))
}

pub async fn token(
    State(provider): State<Arc<Provider>>,
    tran_id: Option<Extension<RequestTranId>>,
    connection: CallerConnection,
    body: Bytes,
) -> Result<Response, OAuthFailure> {
    require_tran_id(tran_id)?;
    let fields = form_fields(&body)?;
    provider.check_oauth_caller(field(&fields, "client_id"), &connection).await?;
    let binding = provider.token_binding(connection.peer.as_ref());
    let now = Utc::now().timestamp();
    let (answer, event) = match fields.get("grant_type").map(String::as_str) {
        None => return Err(OAuthFailure::invalid_request("grant_type is required")),
        Some("authorization_code") => {
            (redeem_code(&provider, &fields, now, binding.as_ref()).await, TokenEvent::Issued)
        }
        Some("refresh_token") => (refresh(&provider, &fields, now, binding.as_ref()).await, TokenEvent::Refreshed),
        Some("password") => {
            (super::integrated::token(&provider, &fields, now, binding.as_ref()).await, TokenEvent::Issued)
        }
        Some(_) => return Err(OAuthFailure::new("unsupported_grant_type", "grant_type is not supported")),
    };
    if answer.is_ok() {
        provider.metrics.token(event);
    }
    answer
}

fn seconds_left(expires_at: i64, now: i64) -> i64 {
    (expires_at - now).max(0)
}

/// The checks every token-endpoint form of `api_id` starts with: its fields, the org_code served
/// here, and the client's credentials. Returns the org_code and the authenticated client.
async fn authenticated_request<'f>(
    provider: &Provider,
    api: KnownApi,
    fields: &'f Fields,
) -> Result<(&'f str, Client), OAuthFailure> {
    check_fields(api, fields)?;
    let org_code = field(fields, "org_code");
    served_org(provider, org_code)?;
    let client = authenticate_client(provider, field(fields, "client_id"), field(fields, "client_secret")).await?;
    Ok((org_code, client))
}

/// 개별인증-002.
async fn redeem_code(
    provider: &Provider,
    fields: &Fields,
    now: i64,
    binding: Option<&Confirmation>,
) -> Result<Response, OAuthFailure> {
    let (org_code, client) = authenticated_request(provider, KnownApi::IssueToken, fields).await?;
    let code_digest = digest(field(fields, "code"));
    let code = provider.store.authorization_code(&code_digest).await?;
    let code = code.ok_or_else(|| OAuthFailure::invalid_grant("unknown authorization code"))?;
    if code.client_id != client.client_id {
        return Err(OAuthFailure::invalid_grant("the code was issued to another client"));
    }
    if code.redirect_uri != field(fields, "redirect_uri") {
        return Err(OAuthFailure::invalid_grant("redirect_uri differs from the authorization request's"));
    }
    let consent = provider.store.consent(&code.consent_id).await?;
    let consent = consent.ok_or_else(|| OAuthFailure::invalid_grant("unknown authorization code"))?;
    if consent.org_code != org_code {
        return Err(OAuthFailure::invalid_grant("the code was issued by another institution"));
    }
    // An expired code is refused before redemption, so it cannot revoke anything either.
    if now >= code.expires_at && code.redeemed_at.is_none() {
        return Err(OAuthFailure::invalid_grant("the authorization code has expired"));
    }
    let pair = prepare_bound_pair(&provider.keys, &consent, provider.config.lifetimes, now, binding);
    match provider.store.redeem_authorization_code(&code_digest, now, &pair.records).await? {
        Redemption::Issued => {}
        Redemption::AlreadyRedeemed => {
            return Err(OAuthFailure::invalid_grant("the authorization code was used before; its tokens are revoked"));
        }
        Redemption::ConsentInactive => return Err(OAuthFailure::invalid_grant("the consent is no longer active")),
        Redemption::NoSuchCode => return Err(OAuthFailure::invalid_grant("unknown authorization code")),
    }
    let issued = pair.issued;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "access_token": issued.access_token,
            "expires_in": seconds_left(issued.access_expires_at, now).to_string(),
            "refresh_token": issued.refresh_token,
            "refresh_token_expires_in": seconds_left(issued.refresh_expires_at, now).to_string(),
            "scope": consent.scopes.to_string(),
        }),
    ))
}

/// A token of ours, issued by `org_code` to `client_id`, signature checked (expiry not).
fn our_token(provider: &Provider, token: &str, org_code: &str, client_id: &str) -> Option<Arc<AccessClaims>> {
    provider.keys.verify_signature(token).filter(|c| c.iss == org_code && c.aud == client_id)
}

/// 개별인증-003.
async fn refresh(
    provider: &Provider,
    fields: &Fields,
    now: i64,
    binding: Option<&Confirmation>,
) -> Result<Response, OAuthFailure> {
    let (org_code, client) = authenticated_request(provider, KnownApi::RefreshToken, fields).await?;
    let token = field(fields, "refresh_token");
    provider.keys.learn_key_of(provider.store.as_ref(), token).await?;
    let claims = our_token(provider, token, org_code, &client.client_id)
        .ok_or_else(|| OAuthFailure::invalid_grant("not a refresh token this institution issued to this client"))?;
    let record = provider.store.token(&claims.jti).await?;
    let record = record
        .filter(|r| r.kind == TokenKind::Refresh && r.consent_id == claims.consent_id)
        .ok_or_else(|| OAuthFailure::invalid_grant("not a refresh token"))?;
    let consent = provider.store.consent(&record.consent_id).await?;
    let consent = consent.ok_or_else(|| OAuthFailure::invalid_grant("unknown consent"))?;
    let lifetimes = provider.config.lifetimes;
    match refresh_bound_access(provider.store.as_ref(), &provider.keys, &consent, &record, lifetimes, now, binding)
        .await?
    {
        Ok(access) => Ok(json_response(
            StatusCode::OK,
            &json!({
                "token_type": "Bearer",
                "access_token": access.access_token,
                "expires_in": seconds_left(access.access_expires_at, now).to_string(),
            }),
        )),
        Err(refusal) => Err(OAuthFailure::invalid_grant(refusal.to_string())),
    }
}

/// 개별인증-004: HTTP 200 whether or not the token was valid (RFC 7009), told apart by rsp_code.
pub async fn revoke(
    State(provider): State<Arc<Provider>>,
    tran_id: Option<Extension<RequestTranId>>,
    connection: CallerConnection,
    body: Bytes,
) -> Result<Response, OAuthFailure> {
    require_tran_id(tran_id)?;
    let fields = form_fields(&body)?;
    provider.check_oauth_caller(field(&fields, "client_id"), &connection).await?;
    let (org_code, client) = authenticated_request(&provider, KnownApi::RevokeToken, &fields).await?;
    let token = field(&fields, "token");
    provider.keys.learn_key_of(provider.store.as_ref(), token).await?;
    let revoked = match our_token(&provider, token, org_code, &client.client_id) {
        Some(claims) => match provider.store.token(&claims.jti).await? {
            Some(record) if record.consent_id == claims.consent_id => {
                provider.store.revoke_consent_and_tokens(&record.consent_id).await?
            }
            _ => false,
        },
        None => false,
    };
    if revoked {
        provider.metrics.token(TokenEvent::Revoked);
    }
    let (rsp_code, rsp_msg) = if revoked {
        ("00000", "접근토큰 및 리프레시토큰 폐기 성공")
    } else {
        ("99999", "폐기하고자 하는 토큰이 유효하지 않음")
    };
    Ok(json_response(StatusCode::OK, &json!({ "rsp_code": rsp_code, "rsp_msg": rsp_msg })))
}

/// The public keys that verify this server's tokens.
/// The keys held in memory; re-read from the store (keys other instances added) at most every
/// 100 ms, however often it is asked for.
pub async fn jwks(State(provider): State<Arc<Provider>>) -> Response {
    if let Err(e) = provider.keys.reload_on_demand(provider.store.as_ref()).await {
        return OAuthFailure::from(e).into_response();
    }
    Json(provider.keys.jwks()).into_response()
}
