//! Signed consents of 통합인증: CMS SignedData (RFC 5652) made with the customer's certificate
//! (made by [`mydata_pki::consent_signing`], re-exported here with its test certification authority).
//!
//! Verification accepts one signer using ECDSA P-256 with SHA-256, with or without signed attributes
//! (a message digest then binds them to the content), whose certificate is in the message, was signed
//! by the trusted CA, is valid now — and so is the CA's own certificate — and whose keyUsage allows
//! signing (digitalSignature or nonRepudiation). Revocation is checked apart ([`super::revocation`]),
//! since it may need the network. The customer's CI is the certificate subject's serialNumber: the
//! sandbox's stand-in for the CA's UCPID answer (별첨1, which we do not have).

use cms::cert::CertificateChoices;
use cms::cert::x509::Certificate;
use cms::cert::x509::der::asn1::{OctetString, PrintableStringRef, Utf8StringRef};
use cms::cert::x509::der::oid::AssociatedOid;
use cms::cert::x509::der::{Decode, Encode, Tag, Tagged};
use cms::cert::x509::ext::pkix::KeyUsage;
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use mydata_pki::consent_signing::{
    ECDSA_WITH_SHA_256, ID_CONTENT_IDENTIFIER, ID_MESSAGE_DIGEST, ID_SHA_256, ID_SIGNED_DATA, SERIAL_NUMBER,
};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

/// What a verified signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The signed content.
    pub content: Vec<u8>,
    /// The CI the signer's certificate carries.
    pub signer_ci: String,
    /// The signer's certificate, DER (to check that two signatures come from one certificate).
    pub signer_certificate: Vec<u8>,
    /// The signed attribute contentIdentifier, when the signature covers one: the transaction a CA
    /// signed in (`cert_tx_id`, auth_type 1).
    pub content_identifier: Option<Vec<u8>>,
}

pub(super) fn key_of(certificate: &Certificate) -> Result<VerifyingKey, String> {
    let spki = certificate.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
    VerifyingKey::from_public_key_der(&spki).map_err(|_| "the certificate's key is not ECDSA P-256".to_owned())
}

pub(super) fn verify_ecdsa(
    key: &VerifyingKey,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> bool {
    algorithm.oid == ECDSA_WITH_SHA_256
        && DerSignature::from_bytes(signature).is_ok_and(|s| key.verify(message, &s).is_ok())
}

/// The subject's serialNumber (X.520 allows PrintableString; UTF8String is common too).
fn subject_serial(certificate: &Certificate) -> Option<String> {
    let attribute =
        certificate.tbs_certificate.subject.0.iter().flat_map(|rdn| rdn.0.iter()).find(|a| a.oid == SERIAL_NUMBER)?;
    match attribute.value.tag() {
        Tag::PrintableString => attribute.value.decode_as::<PrintableStringRef<'_>>().ok().map(|s| s.to_string()),
        Tag::Utf8String => attribute.value.decode_as::<Utf8StringRef<'_>>().ok().map(|s| s.to_string()),
        _ => None,
    }
}

/// The certificate's keyUsage extension, if it has one (a malformed one counts as none).
pub(super) fn key_usage(certificate: &Certificate) -> Option<KeyUsage> {
    let extension = certificate.tbs_certificate.extensions.iter().flatten().find(|e| e.extn_id == KeyUsage::OID)?;
    KeyUsage::from_der(extension.extn_value.as_bytes()).ok()
}

/// Whether `certificate`'s validity covers `now` (Unix seconds).
fn valid_at(certificate: &Certificate, now: i64) -> bool {
    let validity = &certificate.tbs_certificate.validity;
    let (from, to) =
        (validity.not_before.to_unix_duration().as_secs(), validity.not_after.to_unix_duration().as_secs());
    u64::try_from(now).is_ok_and(|now| (from..=to).contains(&now))
}

/// Checks that `certificate` was issued by `ca`, that both are valid at `now` (Unix seconds), and
/// that `certificate` may sign (keyUsage digitalSignature or nonRepudiation; a certificate for
/// signing consents always states its usage, so one without the extension is refused too).
fn check_issued_by(certificate: &Certificate, ca: &Certificate, now: i64) -> Result<(), String> {
    if certificate.tbs_certificate.issuer != ca.tbs_certificate.subject {
        return Err("the certificate was not issued by this certification authority".into());
    }
    let tbs = certificate.tbs_certificate.to_der().map_err(|e| e.to_string())?;
    let signature = certificate.signature.raw_bytes();
    if !verify_ecdsa(&key_of(ca)?, &certificate.signature_algorithm, &tbs, signature) {
        return Err("the certificate's signature does not verify".into());
    }
    if !valid_at(ca, now) {
        return Err("the certification authority's own certificate is not valid now".into());
    }
    if !valid_at(certificate, now) {
        return Err("the certificate is not valid now".into());
    }
    if !key_usage(certificate).is_some_and(|usage| usage.digital_signature() || usage.non_repudiation()) {
        return Err("the certificate's key usage does not allow signatures".into());
    }
    Ok(())
}

/// Verifies a DER CMS SignedData against the trusted CA certificate (DER).
pub fn verify(signed: &[u8], ca_der: &[u8], now: i64) -> Result<VerifiedSignature, String> {
    let ca = Certificate::from_der(ca_der).map_err(|e| format!("trusted CA certificate: {e}"))?;
    let info = ContentInfo::from_der(signed).map_err(|e| format!("not CMS: {e}"))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err("not CMS SignedData".into());
    }
    let data: SignedData = info.content.decode_as().map_err(|e| format!("not CMS SignedData: {e}"))?;
    let content = data
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("the signed content is missing")?
        .decode_as::<OctetString>()
        .map_err(|e| format!("signed content: {e}"))?
        .into_bytes();
    let [signer] = data.signer_infos.0.as_slice() else { return Err("exactly one signer is accepted".into()) };
    let SignerIdentifier::IssuerAndSerialNumber(id) = &signer.sid else {
        return Err("the signer must be named by issuer and serial number".into());
    };
    let certificate = data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|choice| match choice {
            CertificateChoices::Certificate(c)
                if c.tbs_certificate.issuer == id.issuer && c.tbs_certificate.serial_number == id.serial_number =>
            {
                Some(c)
            }
            _ => None,
        })
        .ok_or("the signer's certificate is not in the message")?;
    check_issued_by(certificate, &ca, now)?;
    if signer.digest_alg.oid != ID_SHA_256 {
        return Err("the digest must be SHA-256".into());
    }
    // A signed attribute's single OCTET STRING value.
    let octets = |oid| {
        let attribute = signer.signed_attrs.iter().flat_map(|set| set.iter()).find(|a| a.oid == oid)?;
        let [value] = attribute.values.as_slice() else { return None };
        value.decode_as::<OctetString>().ok().map(OctetString::into_bytes)
    };
    let message = match &signer.signed_attrs {
        None => content.clone(),
        Some(attributes) => {
            let digest = octets(ID_MESSAGE_DIGEST).ok_or("signed attributes without a message digest")?;
            if digest != Sha256::digest(&content).as_slice() {
                return Err("the message digest does not match the content".into());
            }
            attributes.to_der().map_err(|e| e.to_string())?
        }
    };
    if !verify_ecdsa(&key_of(certificate)?, &signer.signature_algorithm, &message, signer.signature.as_bytes()) {
        return Err("the signature does not verify".into());
    }
    let signer_ci = subject_serial(certificate).ok_or("the certificate carries no CI")?;
    let signer_certificate = certificate.to_der().map_err(|e| e.to_string())?;
    let content_identifier = octets(ID_CONTENT_IDENTIFIER);
    Ok(VerifiedSignature { content, signer_ci, signer_certificate, content_identifier })
}

pub use mydata_pki::consent_signing::{CaSettings, CustomerCertificate, CustomerKeyUsage, TestCertificationAuthority};
