//! Who may call 지원-101..104 (ch.3.1, ch.7.2): only the integrated portal. Under mutual TLS the
//! caller's certificate must carry the SERIALNUMBER the participant's copy of the registry
//! (지원-002) gives an org_type `07` institution; providers and operators mount their support routes
//! behind the same check with [`portal_only`].

use crate::registry::org_type;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mydata_spec::{KnownApi, OAuthError};
use mydata_store::Store;
use mydata_web::ApiError;
use mydata_web::tls::{CertificateRefusal, PeerCertificate, check_serial_number, registered_serial_number};
use std::sync::Arc;

/// Checks `peer` against the SERIALNUMBER the registry in `store` gives the integrated portal
/// (org_type 07).
pub async fn check_portal(store: &dyn Store, peer: Option<&PeerCertificate>) -> Result<(), CertificateRefusal> {
    const WHO: &str = "the integrated portal";
    let orgs = store.registry_orgs().await.map_err(|e| {
        tracing::error!(error = %e, "store failure while checking the portal's certificate");
        CertificateRefusal::NotRegistered(WHO.into())
    })?;
    let mut outcome = Err(CertificateRefusal::NotRegistered(WHO.into()));
    for portal in orgs.iter().filter(|o| o.org_type == org_type::PORTAL) {
        outcome = check_serial_number(WHO, &portal.org_code, registered_serial_number(&portal.body), peer);
        if outcome.is_ok() {
            break;
        }
    }
    outcome
}

/// What [`verify_portal_caller`] checks callers against.
#[derive(Clone)]
pub struct PortalCallerCheck {
    /// The participant's copy of the registry (`registry_orgs`).
    pub registry: Arc<dyn Store>,
    /// Off when TLS ends before this server (plain HTTP, an SSL accelerator): ch.3.1 lets the
    /// participant skip the comparison at its own risk.
    pub enabled: bool,
}

/// The refusal of a caller that is not the portal: 첨부1 `unauthorized_client` (HTTP 400) on the
/// token endpoint (지원-101), 40103 (HTTP 401) on the others.
fn refused(path: &str, refusal: CertificateRefusal) -> Response {
    // 지원-101's refusals are OAuth errors.
    if path == KnownApi::ParticipantToken.spec().resource {
        let body = OAuthError { error: "unauthorized_client".into(), error_description: Some(refusal.to_string()) };
        mydata_web::error::json_response(StatusCode::BAD_REQUEST, &body)
    } else {
        ApiError::from(refusal).into_response()
    }
}

/// The layer of 지원-101..104: passes the request on only when the check is off or the caller's
/// certificate is the portal's.
pub async fn verify_portal_caller(State(check): State<PortalCallerCheck>, request: Request, next: Next) -> Response {
    if !check.enabled {
        return next.run(request).await;
    }
    let peer = request.extensions().get::<PeerCertificate>().cloned();
    match check_portal(check.registry.as_ref(), peer.as_ref()).await {
        Ok(()) => next.run(request).await,
        Err(refusal) => refused(request.uri().path(), refusal),
    }
}

/// `routes` (지원-101..104) behind [`verify_portal_caller`] over `registry`, when `enabled`.
pub fn portal_only(routes: Router, registry: Arc<dyn Store>, enabled: bool) -> Router {
    routes.layer(axum::middleware::from_fn_with_state(PortalCallerCheck { registry, enabled }, verify_portal_caller))
}
