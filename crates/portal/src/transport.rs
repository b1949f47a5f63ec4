//! The portal as API provider of 지원-001..006 checks, like any provider (ch.3.1), that the caller's
//! TLS certificate carries the SERIALNUMBER registered for the caller's institution: on 지원-001 the
//! institution of the support client_id in the form, on the managed APIs the institution the bearer
//! token was issued to. Requests whose caller cannot be told (no or invalid credentials) go on to
//! the handlers, which refuse them as before.

use crate::Portal;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mydata_spec::{KnownApi, OAuthError};
use mydata_store::PortalOrg;
use mydata_web::ApiError;
use mydata_web::error::json_response;
use mydata_web::tls::{CertificateRefusal, PeerCertificate, check_serial_number, registered_serial_number};
use std::sync::Arc;

/// A 지원-001 form is a few hundred bytes; anything larger is not one.
const MAX_TOKEN_FORM: usize = 16 * 1024;

fn check(org: &PortalOrg, peer: Option<&PeerCertificate>) -> Result<(), CertificateRefusal> {
    let who = format!("institution {}", org.org_code);
    check_serial_number(&who, &org.org_code, registered_serial_number(&org.body), peer)
}

/// 첨부1 (접근토큰 발급): a failed SERIALNUMBER check is `unauthorized_client`, HTTP 400.
fn unauthorized_client(refusal: CertificateRefusal) -> Response {
    let body = OAuthError { error: "unauthorized_client".into(), error_description: Some(refusal.to_string()) };
    json_response(StatusCode::BAD_REQUEST, &body)
}

/// The layer: active only when the portal was started with client certificates to verify.
pub async fn verify_caller(State(portal): State<Arc<Portal>>, request: Request, next: Next) -> Response {
    if !portal.verify_serial_number {
        return next.run(request).await;
    }
    let peer = request.extensions().get::<PeerCertificate>().cloned();
    if request.uri().path() == KnownApi::PortalToken.spec().resource {
        let (parts, body) = request.into_parts();
        let Ok(form) = axum::body::to_bytes(body, MAX_TOKEN_FORM).await else {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        };
        match token_caller(&portal, &form).await {
            Ok(Some(org)) => {
                if let Err(refusal) = check(&org, peer.as_ref()) {
                    return unauthorized_client(refusal);
                }
            }
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
        return next.run(Request::from_parts(parts, Body::from(form))).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    match bearer_caller(&portal, token.as_deref()).await {
        Ok(Some(org)) => match check(&org, peer.as_ref()) {
            Ok(()) => next.run(request).await,
            Err(refusal) => ApiError::from(refusal).into_response(),
        },
        Ok(None) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// The registered institution whose support client_id the 지원-001 form names.
async fn token_caller(portal: &Portal, form: &Bytes) -> Result<Option<PortalOrg>, ApiError> {
    let Some((_, client_id)) = form_urlencoded::parse(form).find(|(name, _)| name == "client_id") else {
        return Ok(None);
    };
    let org = portal.store.portal_org_by_support_client(&client_id).await?;
    Ok(org.filter(|o| o.deleted_at.is_none()))
}

/// The registered institution a valid support token was issued to.
async fn bearer_caller(portal: &Portal, token: Option<&str>) -> Result<Option<PortalOrg>, ApiError> {
    let Some(claims) = token.and_then(|t| portal.tokens.verify(t)) else { return Ok(None) };
    let org = portal.store.portal_org(&claims.aud).await?;
    Ok(org.filter(|o| o.deleted_at.is_none()))
}
