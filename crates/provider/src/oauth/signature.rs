//! Signed consents of 통합인증: CMS SignedData (RFC 5652) made with the customer's certificate, and a
//! test certification authority that issues such certificates for the sandbox and the tests.
//!
//! Verification accepts one signer using ECDSA P-256 with SHA-256, with or without signed attributes
//! (a message digest then binds them to the content), whose certificate is in the message, was signed
//! by the trusted CA and is valid now. The customer's CI is the certificate subject's serialNumber:
//! the sandbox's stand-in for the CA's UCPID answer (별첨1, which we do not have).

use cms::cert::x509::Certificate;
use cms::cert::x509::der::asn1::{ObjectIdentifier, OctetString, PrintableStringRef, SetOfVec, Utf8StringRef};
use cms::cert::x509::der::{Any, Decode, Encode, Tag, Tagged};
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey};
use sha2::{Digest, Sha256};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SHA_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ECDSA_WITH_SHA_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");

/// What a verified signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The signed content.
    pub content: Vec<u8>,
    /// The CI the signer's certificate carries.
    pub signer_ci: String,
    /// The signer's certificate, DER (to check that two signatures come from one certificate).
    pub signer_certificate: Vec<u8>,
}

fn key_of(certificate: &Certificate) -> Result<VerifyingKey, String> {
    let spki = certificate.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
    VerifyingKey::from_public_key_der(&spki).map_err(|_| "the certificate's key is not ECDSA P-256".to_owned())
}

fn verify_ecdsa(key: &VerifyingKey, algorithm: &AlgorithmIdentifierOwned, message: &[u8], signature: &[u8]) -> bool {
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

/// Checks that `certificate` was issued by `ca` and is valid at `now` (Unix seconds).
fn check_issued_by(certificate: &Certificate, ca: &Certificate, now: i64) -> Result<(), String> {
    if certificate.tbs_certificate.issuer != ca.tbs_certificate.subject {
        return Err("the certificate was not issued by this certification authority".into());
    }
    let tbs = certificate.tbs_certificate.to_der().map_err(|e| e.to_string())?;
    let signature = certificate.signature.raw_bytes();
    if !verify_ecdsa(&key_of(ca)?, &certificate.signature_algorithm, &tbs, signature) {
        return Err("the certificate's signature does not verify".into());
    }
    let validity = &certificate.tbs_certificate.validity;
    let (from, to) =
        (validity.not_before.to_unix_duration().as_secs(), validity.not_after.to_unix_duration().as_secs());
    let now = u64::try_from(now).unwrap_or(0);
    if now < from || now > to {
        return Err("the certificate is not valid now".into());
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
    let message = match &signer.signed_attrs {
        None => content.clone(),
        Some(attributes) => {
            let digest = attributes
                .iter()
                .find(|a| a.oid == ID_MESSAGE_DIGEST)
                .and_then(|a| a.values.iter().next())
                .and_then(|v| v.decode_as::<OctetString>().ok())
                .ok_or("signed attributes without a message digest")?;
            if digest.as_bytes() != Sha256::digest(&content).as_slice() {
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
    Ok(VerifiedSignature { content, signer_ci, signer_certificate })
}

/// A customer's certificate and its private key.
pub struct CustomerCertificate {
    pub certificate_der: Vec<u8>,
    key: SigningKey,
}

impl CustomerCertificate {
    /// The private key as PKCS#8 DER, for handing a sandbox customer their signing identity.
    pub fn private_key_pkcs8_der(&self) -> Vec<u8> {
        use p256::pkcs8::EncodePrivateKey;
        self.key.to_pkcs8_der().expect("a P-256 key encodes as PKCS#8").as_bytes().to_vec()
    }

    /// Signs `content` as CMS SignedData (content included, no signed attributes), DER.
    pub fn sign(&self, content: &[u8]) -> Vec<u8> {
        let certificate = Certificate::from_der(&self.certificate_der).expect("a certificate this module made");
        let signature: DerSignature = self.key.sign(content);
        let sha256 = AlgorithmIdentifierOwned { oid: ID_SHA_256, parameters: None };
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: certificate.tbs_certificate.issuer.clone(),
                serial_number: certificate.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256.clone(),
            signed_attrs: None,
            signature_algorithm: AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA_256, parameters: None },
            signature: OctetString::new(signature.as_bytes()).expect("a signature fits an OCTET STRING"),
            unsigned_attrs: None,
        };
        let econtent = Any::new(Tag::OctetString, content).expect("content fits an OCTET STRING");
        let data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![sha256]).expect("one algorithm"),
            encap_content_info: EncapsulatedContentInfo { econtent_type: ID_DATA, econtent: Some(econtent) },
            certificates: Some(
                CertificateSet::try_from(vec![CertificateChoices::Certificate(certificate)]).expect("one certificate"),
            ),
            crls: None,
            signer_infos: SignerInfos::try_from(vec![signer]).expect("one signer"),
        };
        let content = Any::encode_from(&data).expect("SignedData encodes");
        ContentInfo { content_type: ID_SIGNED_DATA, content }.to_der().expect("ContentInfo encodes")
    }
}

/// A certification authority for the sandbox and the tests (ECDSA P-256).
pub struct TestCertificationAuthority {
    pub ca_code: String,
    pub certificate_der: Vec<u8>,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TestCertificationAuthority {
    pub fn generate(ca_code: &str) -> Result<TestCertificationAuthority, rcgen::Error> {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name.push(rcgen::DnType::CountryName, "KR");
        params.distinguished_name.push(rcgen::DnType::OrganizationName, ca_code);
        params.distinguished_name.push(rcgen::DnType::CommonName, format!("{ca_code} 통합인증 테스트 CA"));
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::DigitalSignature];
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let certificate = params.self_signed(&key)?;
        Ok(TestCertificationAuthority {
            ca_code: ca_code.to_owned(),
            certificate_der: certificate.der().to_vec(),
            issuer: rcgen::Issuer::new(params, key),
        })
    }

    /// A certificate for the customer with `ci`, valid from last year to the year after next.
    pub fn issue(&self, ci: &str, name: &str) -> Result<CustomerCertificate, rcgen::Error> {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name.push(rcgen::DnType::CountryName, "KR");
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let serial = rcgen::string::PrintableString::try_from(ci)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]), rcgen::DnValue::PrintableString(serial));
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let year = chrono::Datelike::year(&chrono::Utc::now());
        params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
        params.not_after = rcgen::date_time_ymd(year + 2, 1, 1);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let certificate = params.signed_by(&key, &self.issuer)?;
        let key = SigningKey::from_pkcs8_der(&key.serialize_der()).map_err(|_| rcgen::Error::CouldNotParseKeyPair)?;
        Ok(CustomerCertificate { certificate_der: certificate.der().to_vec(), key })
    }
}
