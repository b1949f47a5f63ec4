//! What a certificate says about who holds it.

use crate::consent_signing::SERIAL_NUMBER as SERIAL_NUMBER_OID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::{PrintableStringRef, Utf8StringRef};
use x509_cert::der::{Decode, Tag, Tagged};

/// X.520 serialNumber (2.5.4.5), the subject attribute ch.3.1 calls SERIALNUMBER.
pub const SERIAL_NUMBER_OID_ARCS: [u64; 4] = [2, 5, 4, 5];

/// The identity of a verified peer certificate, as servers hand it to handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIdentity {
    /// The end-entity certificate, DER.
    pub der: Vec<u8>,
    /// The subject's SERIALNUMBER, when the certificate has one (normally the business
    /// registration number, ch.3.1).
    pub serial_number: Option<String>,
    /// Base64url SHA-256 of the DER: the `x5t#S256` of RFC 8705 token binding.
    pub thumbprint: String,
}

impl CertificateIdentity {
    pub fn from_der(der: &[u8]) -> CertificateIdentity {
        CertificateIdentity {
            der: der.to_vec(),
            serial_number: subject_serial_number(der),
            thumbprint: thumbprint_sha256(der),
        }
    }
}

/// Base64url (no padding) of the SHA-256 of a DER certificate (RFC 8705 §3.1 `x5t#S256`).
pub fn thumbprint_sha256(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(der))
}

/// The subject's SERIALNUMBER attribute, if the certificate parses and has exactly one.
/// Two different values would make the comparison with the registry ambiguous, so they count
/// as none.
pub fn subject_serial_number(der: &[u8]) -> Option<String> {
    let certificate = Certificate::from_der(der).ok()?;
    let mut found: Option<String> = None;
    for rdn in certificate.tbs_certificate.subject.0.iter() {
        for attribute in rdn.0.iter() {
            if attribute.oid != SERIAL_NUMBER_OID {
                continue;
            }
            let value = directory_string(&attribute.value)?;
            if found.as_ref().is_some_and(|f| *f != value) {
                return None;
            }
            found = Some(value);
        }
    }
    found
}

/// X.520 allows serialNumber as PrintableString; issuers also use UTF8String.
fn directory_string(value: &x509_cert::attr::AttributeValue) -> Option<String> {
    match value.tag() {
        Tag::PrintableString => value.decode_as::<PrintableStringRef<'_>>().ok().map(|s| s.as_str().to_owned()),
        Tag::Utf8String => value.decode_as::<Utf8StringRef<'_>>().ok().map(|s| s.as_str().to_owned()),
        _ => None,
    }
}
