//! rustls configurations from PEM files: TLS 1.3 only (ch.2 "TLS 1.3이상 버전 사용"), ring as the
//! crypto provider (the one reqwest's rustls uses, so one provider serves the whole process).

use crate::PkiError;
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Whether a server asks connecting clients for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// No client certificates (server authentication only).
    Off,
    /// A client may present a certificate; one that does not chain to the client CA ends the
    /// handshake, and no certificate at all is left to the application to judge. This suits a
    /// provider whose consent pages are opened by customers' browsers, which have no certificate.
    Optional,
    /// Every client must present a certificate chaining to the client CA, or the handshake fails.
    Required,
}

/// A server's certificate chain and key, and the CA its clients' certificates must chain to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTls {
    pub cert_chain: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

/// A client's certificate and key (its identity towards servers, optional) and the CA certificates
/// it trusts for servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTls {
    pub identity: Option<(PathBuf, PathBuf)>,
    pub server_roots: PathBuf,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls(e: impl std::fmt::Display) -> PkiError {
    PkiError::Tls(e.to_string())
}

/// Every certificate of a PEM file, in order (leaf first for a chain).
pub(crate) fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let bytes = std::fs::read(path).map_err(|e| PkiError::Read(path.into(), e))?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::Pem(path.into(), e.to_string()))?;
    if certificates.is_empty() {
        return Err(PkiError::NoCertificate(path.into()));
    }
    Ok(certificates)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, PkiError> {
    let bytes = std::fs::read(path).map_err(|e| PkiError::Read(path.into(), e))?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| PkiError::Pem(path.into(), e.to_string()))
}

fn root_store(path: &Path) -> Result<RootCertStore, PkiError> {
    let mut roots = RootCertStore::empty();
    for certificate in read_certificates(path)? {
        roots.add(certificate).map_err(|e| PkiError::Pem(path.into(), e.to_string()))?;
    }
    Ok(roots)
}

impl ServerTls {
    /// A TLS 1.3 server configuration offering HTTP/1.1 (the standard's REST over HTTPS).
    pub fn rustls_config(&self, client_auth: ClientAuth) -> Result<Arc<rustls::ServerConfig>, PkiError> {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls)?;
        let builder = match (client_auth, &self.client_ca) {
            (ClientAuth::Off, _) => builder.with_no_client_auth(),
            (_, None) => {
                return Err(PkiError::Invalid("client certificates need the CA they must chain to".into()));
            }
            (auth, Some(ca)) => {
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(root_store(ca)?), provider());
                let verifier = if auth == ClientAuth::Optional { verifier.allow_unauthenticated() } else { verifier };
                builder.with_client_cert_verifier(verifier.build().map_err(tls)?)
            }
        };
        let mut config =
            builder.with_single_cert(read_certificates(&self.cert_chain)?, read_key(&self.key)?).map_err(tls)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

impl ClientTls {
    /// A TLS 1.3 client configuration trusting only `server_roots`, presenting `identity` if any.
    pub fn rustls_config(&self) -> Result<rustls::ClientConfig, PkiError> {
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls)?
            .with_root_certificates(root_store(&self.server_roots)?);
        match &self.identity {
            Some((cert, key)) => builder.with_client_auth_cert(read_certificates(cert)?, read_key(key)?).map_err(tls),
            None => Ok(builder.with_no_client_auth()),
        }
    }

    /// A reqwest builder that speaks only this configuration's TLS: the caller adds timeouts,
    /// redirect policy and the like.
    pub fn reqwest_builder(&self) -> Result<reqwest::ClientBuilder, PkiError> {
        Ok(reqwest::Client::builder().use_preconfigured_tls(self.rustls_config()?).https_only(true))
    }
}
