//! Certificate identity of callers (ch.3.1 "TLS 인증서 시리얼번호 등록"): on every call the API
//! provider compares the SERIALNUMBER of the caller's TLS certificate with the `serial_num` the
//! integrated portal registered for the caller's institution (지원-002), and access tokens issued
//! over mutual TLS are bound to the certificate they were issued to (RFC 8705).

use crate::Provider;
use crate::oauth::OAuthFailure;
use crate::tokens::{Confirmation, Grant, authenticate_presented};
use mydata_store::{Store, StoreError};
use mydata_web::ApiError;
pub use mydata_web::tls::CertificateRefusal;
use mydata_web::tls::{PeerCertificate, check_serial_number, registered_serial_number};
use std::sync::Arc;

/// What the provider demands of its callers' certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportPolicy {
    /// Information APIs and the token endpoint require a client certificate whose SERIALNUMBER is
    /// the one registered for the caller's institution. Off when TLS ends before this server (the
    /// standard lets a provider behind an SSL accelerator skip the check, at its own risk).
    pub verify_serial_number: bool,
    /// Access tokens issued to a caller with a certificate are bound to it.
    pub bind_tokens: bool,
    /// Browsers reach the consent pages over HTTPS (here or at a TLS-terminating proxy): the consent
    /// cookie is `Secure` with the `__Host-` prefix.
    pub https: bool,
}

impl Default for TransportPolicy {
    /// Plain serving: nothing to verify; tokens are bound whenever a certificate is presented.
    fn default() -> Self {
        TransportPolicy { verify_serial_number: false, bind_tokens: true, https: false }
    }
}

impl TransportPolicy {
    /// Mutual TLS as the standard asks it between participants.
    pub fn mutual_tls() -> Self {
        TransportPolicy { verify_serial_number: true, bind_tokens: true, https: true }
    }
}

/// Checks that `peer` identifies the institution of `client_id`, when `policy` asks for it.
pub async fn check_caller(
    store: &dyn Store,
    policy: TransportPolicy,
    client_id: &str,
    peer: Option<&PeerCertificate>,
) -> Result<Result<(), CertificateRefusal>, StoreError> {
    if !policy.verify_serial_number {
        return Ok(Ok(()));
    }
    let who = format!("client {client_id}");
    let Some(client) = store.client(client_id).await? else {
        return Ok(Err(CertificateRefusal::NotRegistered(who)));
    };
    let org = store.registry_org(&client.org_code).await?;
    let registered = org.as_ref().and_then(|o| registered_serial_number(&o.body));
    Ok(check_serial_number(&who, &client.org_code, registered, peer))
}

impl Provider {
    /// The access token of an information-API call — bound tokens only with their own certificate —
    /// and then the caller's certificate against its institution's registration.
    pub async fn authenticate_call(
        &self,
        org_code: &str,
        bearer: &str,
        peer: Option<&PeerCertificate>,
    ) -> Result<Grant, ApiError> {
        if self.in_maintenance() {
            return Err(ApiError::with(mydata_spec::RspCode::Maintenance, "the provider is down for maintenance"));
        }
        let presented = peer.map(|p| p.thumbprint.as_str());
        let grant = authenticate_presented(self.store.as_ref(), &self.keys, org_code, bearer, presented).await?;
        check_caller(self.store.as_ref(), self.transport, &grant.client_id, peer).await??;
        if let Err(limited) = self.limiters().client_call(&grant.client_id) {
            let detail =
                format!("client {} is over its rate limit; retry in {} s", grant.client_id, limited.retry_after_secs());
            return Err(ApiError::with(mydata_spec::RspCode::ClientTemporarilyRestricted, detail));
        }
        Ok(grant)
    }

    /// What tokens issued on a connection with `peer` are bound to, if anything.
    pub fn token_binding(&self, peer: Option<&PeerCertificate>) -> Option<Confirmation> {
        let peer = peer.filter(|_| self.transport.bind_tokens)?;
        Some(Confirmation { x5t_s256: peer.thumbprint.clone() })
    }
}

impl From<CertificateRefusal> for OAuthFailure {
    /// 첨부1 (접근토큰 발급/갱신/폐기): `unauthorized_client` for a failed SERIALNUMBER check.
    fn from(refusal: CertificateRefusal) -> OAuthFailure {
        OAuthFailure::new("unauthorized_client", refusal.to_string())
    }
}

impl Provider {
    /// The certificate check of the authorization server's token and revocation endpoints, for the
    /// client named in the request.
    pub async fn check_oauth_caller(
        &self,
        client_id: &str,
        peer: Option<&PeerCertificate>,
    ) -> Result<(), OAuthFailure> {
        Ok(check_caller(self.store.as_ref(), self.transport, client_id, peer).await??)
    }
}

/// `routes` (지원-101..104), which only the integrated portal calls: under mutual TLS its certificate
/// must carry the SERIALNUMBER this provider's registry copy gives the portal
/// ([`mydata_support::transport::portal_only`]: `unauthorized_client` on 지원-101, 40103 after).
pub fn portal_only(provider: &Arc<Provider>, routes: axum::Router) -> axum::Router {
    mydata_support::transport::portal_only(routes, provider.store.clone(), provider.transport.verify_serial_number)
}
