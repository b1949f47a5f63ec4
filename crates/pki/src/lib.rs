//! Transport security between MyData participants (ch.2 "데이터 통신규격": TLS 1.3 with mutual
//! authentication; ch.3.1: the API provider compares the SERIALNUMBER of the caller's certificate
//! with the one the integrated portal registered for the caller's institution).
//!
//! - [`TestPki`] creates and opens a throwaway PKI for the sandbox and tests: one root CA and, per
//!   institution, a server and a client certificate whose subject carries SERIALNUMBER (OID 2.5.4.5).
//! - [`ServerTls`] and [`ClientTls`] turn PEM files — the test PKI's or real ones — into rustls
//!   configurations restricted to TLS 1.3, and the client side into a reqwest builder.
//! - [`CertificateIdentity`] is what a server learns about the peer from its certificate.
//! - [`consent_signing`] signs 통합인증 consents with a customer's certificate, and issues test ones.

mod config;
pub mod consent_signing;
mod identity;
mod test_pki;

pub use config::{ClientAuth, ClientTls, ServerTls};
pub use identity::{CertificateIdentity, SERIAL_NUMBER_OID_ARCS, subject_serial_number, thumbprint_sha256};
pub use test_pki::{MANIFEST_FILE, OrgCertificates, OrgSpec, TestPki};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Pem(PathBuf, String),
    #[error("{0} holds no certificate")]
    NoCertificate(PathBuf),
    #[error("{0} is not a valid PKI manifest: {1}")]
    Manifest(PathBuf, String),
    #[error("{0}")]
    Invalid(String),
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("TLS configuration: {0}")]
    Tls(String),
}
