//! Certificate identity of callers (ch.3.1 "TLS 인증서 시리얼번호 등록"): on every call the API
//! provider compares the SERIALNUMBER of the caller's TLS certificate with the `serial_num` the
//! integrated portal registered for the caller's institution (지원-002), and access tokens issued
//! over mutual TLS are bound to the certificate they were issued to (RFC 8705).

use crate::Provider;
use crate::oauth::OAuthFailure;
use crate::tokens::{Confirmation, Grant, authenticate_presented};
use mydata_spec::RspCode;
use mydata_store::{Store, StoreError};
use mydata_web::ApiError;
use mydata_web::tls::PeerCertificate;

/// What the provider demands of its callers' certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportPolicy {
    /// Information APIs and the token endpoint require a client certificate whose SERIALNUMBER is
    /// the one registered for the caller's institution. Off when TLS ends before this server (the
    /// standard lets a provider behind an SSL accelerator skip the check, at its own risk).
    pub verify_serial_number: bool,
    /// Access tokens issued to a caller with a certificate are bound to it.
    pub bind_tokens: bool,
}

impl Default for TransportPolicy {
    /// Plain serving: nothing to verify; tokens are bound whenever a certificate is presented.
    fn default() -> Self {
        TransportPolicy { verify_serial_number: false, bind_tokens: true }
    }
}

impl TransportPolicy {
    /// Mutual TLS as the standard asks it between participants.
    pub fn mutual_tls() -> Self {
        TransportPolicy { verify_serial_number: true, bind_tokens: true }
    }
}

/// Why a caller's certificate does not identify its institution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateRefusal {
    #[error("no client certificate was presented")]
    NoCertificate,
    #[error("the client certificate has no subject SERIALNUMBER")]
    NoSerialNumber,
    #[error("client {0} belongs to no institution with a registered SERIALNUMBER")]
    NotRegistered(String),
    #[error("the client certificate's SERIALNUMBER is not the one registered for institution {0}")]
    Mismatch(String),
}

impl From<CertificateRefusal> for ApiError {
    /// 첨부1: HTTP 401 / 40103 "TLS 인증서 내 SERIALNUMBER 검증 실패".
    fn from(refusal: CertificateRefusal) -> ApiError {
        ApiError::with(RspCode::CertificateSerialMismatch, refusal.to_string())
    }
}

/// The `serial_num` the portal registered for `org_code`, from the provider's copy of 지원-002.
async fn registered_serial_number(store: &dyn Store, org_code: &str) -> Result<Option<String>, StoreError> {
    let Some(org) = store.registry_org(org_code).await? else { return Ok(None) };
    Ok(org.body.get("serial_num").and_then(|v| v.as_str()).map(str::to_owned))
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
    let Some(peer) = peer else { return Ok(Err(CertificateRefusal::NoCertificate)) };
    let Some(presented) = peer.serial_number.as_deref() else { return Ok(Err(CertificateRefusal::NoSerialNumber)) };
    let Some(client) = store.client(client_id).await? else {
        return Ok(Err(CertificateRefusal::NotRegistered(client_id.to_owned())));
    };
    Ok(match registered_serial_number(store, &client.org_code).await? {
        None => Err(CertificateRefusal::NotRegistered(client_id.to_owned())),
        Some(registered) if registered == presented => Ok(()),
        Some(_) => Err(CertificateRefusal::Mismatch(client.org_code)),
    })
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
        let presented = peer.map(|p| p.thumbprint.as_str());
        let grant = authenticate_presented(self.store.as_ref(), &self.keys, org_code, bearer, presented).await?;
        check_caller(self.store.as_ref(), self.transport, &grant.client_id, peer).await??;
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
