//! Signatures of 통합인증 consents: CMS SignedData (RFC 5652) made with a customer's certificate
//! (ECDSA P-256, SHA-256), and a test certification authority that issues such certificates — with
//! the customer's CI as the subject's serialNumber — for the sandbox, the tests and the conformance
//! suite. Providers verify these signatures (`mydata_provider::oauth::signature::verify`).

use cms::cert::x509::Certificate;
use cms::cert::x509::der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use cms::cert::x509::der::{Any, Decode, Encode, Tag};
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::DecodePrivateKey;

pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
pub const ID_SHA_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const ECDSA_WITH_SHA_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// X.520 serialNumber: the customer's CI in the sandbox's certificates.
pub const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");

/// A customer's certificate and its private key.
pub struct CustomerCertificate {
    pub certificate_der: Vec<u8>,
    key: SigningKey,
}

impl CustomerCertificate {
    /// A certificate (DER) and its P-256 private key (PKCS#8 DER), as the sandbox writes them.
    pub fn from_der(certificate_der: Vec<u8>, key_pkcs8_der: &[u8]) -> Result<CustomerCertificate, String> {
        Certificate::from_der(&certificate_der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let key = SigningKey::from_pkcs8_der(key_pkcs8_der).map_err(|_| "not a P-256 PKCS#8 private key")?;
        Ok(CustomerCertificate { certificate_der, key })
    }

    /// The private key as PKCS#8 DER, for handing a sandbox customer their signing identity.
    pub fn private_key_pkcs8_der(&self) -> Vec<u8> {
        use p256::pkcs8::EncodePrivateKey;
        self.key.to_pkcs8_der().expect("a P-256 key encodes as PKCS#8").as_bytes().to_vec()
    }

    /// Signs `content` as CMS SignedData (content included, no signed attributes), DER.
    pub fn sign(&self, content: &[u8]) -> Vec<u8> {
        let certificate = Certificate::from_der(&self.certificate_der).expect("checked when made");
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

/// A customer's signing identity as files: `<dir>/<customer_id>.cert.der` (with the CI as its
/// subject serialNumber), `<dir>/<customer_id>.key.der` (PKCS#8) and `<dir>/ca_code`, the CA that
/// issued it — the layout `mydata sandbox` writes under `integrated-auth`.
pub struct SigningIdentity {
    pub certificate: CustomerCertificate,
    /// The CI the certificate carries.
    pub ci: String,
    pub ca_code: String,
}

impl SigningIdentity {
    pub fn open(dir: &std::path::Path, customer_id: &str) -> Result<SigningIdentity, String> {
        let read = |name: String| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))
        };
        let certificate_der = read(format!("{customer_id}.cert.der"))?;
        let key = read(format!("{customer_id}.key.der"))?;
        let ca_code = String::from_utf8(read("ca_code".into())?).map_err(|_| "ca_code is not text".to_owned())?;
        let ci = crate::subject_serial_number(&certificate_der)
            .ok_or_else(|| format!("the certificate of {customer_id} carries no CI (subject serialNumber)"))?;
        let certificate = CustomerCertificate::from_der(certificate_der, &key)?;
        Ok(SigningIdentity { certificate, ci, ca_code: ca_code.trim().to_owned() })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_read_back_from_its_files_signs_as_the_issued_one() {
        let ca = TestCertificationAuthority::generate("CA00000001").unwrap();
        let issued = ca.issue("Q0lPRkRFTU8x", "홍길동").unwrap();
        let read =
            CustomerCertificate::from_der(issued.certificate_der.clone(), &issued.private_key_pkcs8_der()).unwrap();
        let signed = read.sign(b"consent");
        let info = ContentInfo::from_der(&signed).unwrap();
        assert_eq!(info.content_type, ID_SIGNED_DATA);
        let data: SignedData = info.content.decode_as().unwrap();
        let content = data.encap_content_info.econtent.unwrap().decode_as::<OctetString>().unwrap();
        assert_eq!(content.as_bytes(), b"consent");
        assert!(CustomerCertificate::from_der(vec![1, 2, 3], &issued.private_key_pkcs8_der()).is_err());
        assert!(CustomerCertificate::from_der(issued.certificate_der.clone(), b"not a key").is_err());
    }
}
