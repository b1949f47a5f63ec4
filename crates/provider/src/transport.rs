//! Who is calling, as the connection tells it (ch.3.1 "TLS 인증서 시리얼번호 등록"): on every call the
//! API provider compares the SERIALNUMBER of the caller's TLS certificate with the `serial_num` the
//! integrated portal registered for the caller's institution (지원-002), and, where asked to, the
//! caller's address with the institution's registered `ip_list` (첨부1 40102 허용되지 않은 원격지 IP).
//! Access tokens issued over mutual TLS are bound to the certificate they were issued to (RFC 8705).

use crate::Provider;
use crate::oauth::OAuthFailure;
use crate::tokens::{Confirmation, Grant, authenticate_presented};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use mydata_store::{Store, StoreError};
use mydata_support::registry::registered_ips;
use mydata_web::ApiError;
pub use mydata_web::tls::CertificateRefusal;
use mydata_web::tls::{PeerCertificate, check_serial_number, registered_serial_number};
use std::net::{IpAddr, SocketAddr};
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
    /// Information APIs and the authorization server's endpoints take calls of a client only from
    /// the addresses its institution registered (지원-002 `ip_list`). Off by default: the firewall
    /// usually keeps that list, and behind a proxy every caller has the proxy's address.
    pub enforce_registered_ips: bool,
}

impl Default for TransportPolicy {
    /// Plain serving: nothing to verify; tokens are bound whenever a certificate is presented.
    fn default() -> Self {
        TransportPolicy { verify_serial_number: false, bind_tokens: true, https: false, enforce_registered_ips: false }
    }
}

impl TransportPolicy {
    /// Mutual TLS as the standard asks it between participants.
    pub fn mutual_tls() -> Self {
        TransportPolicy { verify_serial_number: true, bind_tokens: true, https: true, enforce_registered_ips: false }
    }
}

/// What the connection tells of a caller: the certificate it presented (mutual TLS) and its address.
#[derive(Debug, Clone, Default)]
pub struct CallerConnection {
    pub peer: Option<PeerCertificate>,
    pub address: Option<IpAddr>,
}

impl CallerConnection {
    pub fn of(parts: &Parts) -> CallerConnection {
        CallerConnection {
            peer: parts.extensions.get::<PeerCertificate>().cloned(),
            address: parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CallerConnection {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(CallerConnection::of(parts))
    }
}

/// Why a caller is not taken for the client it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerRefusal {
    Certificate(CertificateRefusal),
    /// The caller's address (if known) is not one registered for who it claims to be (named).
    Address(Option<IpAddr>, String),
}

impl std::fmt::Display for CallerRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallerRefusal::Certificate(refusal) => refusal.fmt(f),
            CallerRefusal::Address(Some(address), who) => {
                write!(f, "{address} is not an address registered at the portal for {who}")
            }
            CallerRefusal::Address(None, who) => write!(f, "the address of {who}'s call is unknown"),
        }
    }
}

impl From<CallerRefusal> for ApiError {
    /// 첨부1: HTTP 401 with 40102 허용되지 않은 원격지 IP, or 40103 for the certificate.
    fn from(refusal: CallerRefusal) -> ApiError {
        match refusal {
            CallerRefusal::Certificate(refusal) => refusal.into(),
            address => ApiError::with(mydata_spec::RspCode::ForbiddenRemoteIp, address.to_string()),
        }
    }
}

impl From<CallerRefusal> for OAuthFailure {
    /// 첨부1 (개별인증, 접근토큰 발급/갱신/폐기): `unauthorized_client` — "허용되지 않은 원격지 IP, TLS
    /// 인증서 내 SERIALNUMBER 검증 실패 등".
    fn from(refusal: CallerRefusal) -> OAuthFailure {
        OAuthFailure::new("unauthorized_client", refusal.to_string())
    }
}

/// Checks that `connection` comes from the institution of `client_id`, as far as `policy` asks:
/// from an address it registered, with the certificate of the SERIALNUMBER it registered.
pub async fn check_caller(
    store: &dyn Store,
    policy: TransportPolicy,
    client_id: &str,
    connection: &CallerConnection,
) -> Result<Result<(), CallerRefusal>, StoreError> {
    if !policy.verify_serial_number && !policy.enforce_registered_ips {
        return Ok(Ok(()));
    }
    let who = format!("client {client_id}");
    let Some(client) = store.client(client_id).await? else {
        // Nothing is registered for a client the registry does not list.
        return Ok(Err(if policy.verify_serial_number {
            CallerRefusal::Certificate(CertificateRefusal::NotRegistered(who))
        } else {
            CallerRefusal::Address(connection.address, who)
        }));
    };
    let org = store.registry_org(&client.org_code).await?;
    let registered = org.as_ref().map(|o| &o.body);
    if policy.enforce_registered_ips {
        // A server listening on IPv6 sees an IPv4 caller as ::ffff:a.b.c.d.
        let address = connection.address.map(|a| a.to_canonical());
        let allowed = registered.map(registered_ips).unwrap_or_default();
        if !address.is_some_and(|a| allowed.contains(&a)) {
            return Ok(Err(CallerRefusal::Address(address, format!("institution {}", client.org_code))));
        }
    }
    if policy.verify_serial_number {
        let serial = registered.and_then(registered_serial_number);
        let checked = check_serial_number(&who, &client.org_code, serial, connection.peer.as_ref());
        return Ok(checked.map_err(CallerRefusal::Certificate));
    }
    Ok(Ok(()))
}

impl Provider {
    /// The access token of an information-API call — bound tokens only with their own certificate —
    /// and then the caller's certificate against its institution's registration.
    pub async fn authenticate_call(
        &self,
        org_code: &str,
        bearer: &str,
        connection: &CallerConnection,
    ) -> Result<Grant, ApiError> {
        if self.in_maintenance() {
            return Err(ApiError::with(mydata_spec::RspCode::Maintenance, "the provider is down for maintenance"));
        }
        let presented = connection.peer.as_ref().map(|p| p.thumbprint.as_str());
        let grant = authenticate_presented(self.store.as_ref(), &self.keys, org_code, bearer, presented).await?;
        check_caller(self.store.as_ref(), self.transport, &grant.client_id, connection).await??;
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

impl Provider {
    /// The caller check of the authorization server's endpoints, for the client named in the request.
    pub async fn check_oauth_caller(&self, client_id: &str, connection: &CallerConnection) -> Result<(), OAuthFailure> {
        Ok(check_caller(self.store.as_ref(), self.transport, client_id, connection).await??)
    }
}

/// `routes` (지원-101..104), which only the integrated portal calls: under mutual TLS its certificate
/// must carry the SERIALNUMBER this provider's registry copy gives the portal
/// ([`mydata_support::transport::portal_only`]: `unauthorized_client` on 지원-101, 40103 after).
pub fn portal_only(provider: &Arc<Provider>, routes: axum::Router) -> axum::Router {
    mydata_support::transport::portal_only(routes, provider.store.clone(), provider.transport.verify_serial_number)
}
