//! Signatures of 통합인증 consents: CMS SignedData (RFC 5652) made with a customer's certificate
//! (ECDSA P-256, SHA-256), and a test certification authority that issues such certificates — with
//! the customer's CI as the subject's serialNumber — and the CRLs revoking them, for the sandbox, the
//! tests and the conformance suite. Providers verify these signatures
//! (`mydata_provider::oauth::signature::verify`).

use chrono::{Datelike, NaiveDate};
use cms::cert::x509::Certificate;
use cms::cert::x509::attr::{Attribute, AttributeValue};
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
use sha2::{Digest, Sha256};

pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
pub const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// ESS contentIdentifier (RFC 2634 §2.7): the signed attribute that names the transaction a
/// signature belongs to; a 통합인증 CA puts its `cert_tx_id` there (auth_type 1).
pub const ID_CONTENT_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.7");
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
        self.sign_cms(content, None)
    }

    /// Signs `content` as a 사설인증서 CA does (auth_type 1): with signed attributes — content type,
    /// message digest and the CA's transaction `cert_tx_id` as contentIdentifier — so that the
    /// signature covers the transaction as well as the content.
    pub fn sign_in_transaction(&self, content: &[u8], cert_tx_id: &str) -> Vec<u8> {
        let attribute = |oid, value: Any| Attribute {
            oid,
            values: SetOfVec::try_from(vec![AttributeValue::from(value)]).expect("one value"),
        };
        let octets = |bytes: &[u8]| Any::new(Tag::OctetString, bytes).expect("fits an OCTET STRING");
        let attributes = SetOfVec::try_from(vec![
            attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA).expect("an OID encodes")),
            attribute(ID_MESSAGE_DIGEST, octets(&Sha256::digest(content))),
            attribute(ID_CONTENT_IDENTIFIER, octets(cert_tx_id.as_bytes())),
        ])
        .expect("three distinct attributes");
        self.sign_cms(content, Some(attributes))
    }

    /// CMS SignedData of `content`, the signature over `signed_attrs` when given (RFC 5652 §5.4: their
    /// DER as a SET OF), else over the content.
    fn sign_cms(&self, content: &[u8], signed_attrs: Option<SetOfVec<Attribute>>) -> Vec<u8> {
        let certificate = Certificate::from_der(&self.certificate_der).expect("checked when made");
        let signature: DerSignature = match &signed_attrs {
            None => self.key.sign(content),
            Some(attributes) => self.key.sign(&attributes.to_der().expect("attributes encode")),
        };
        let sha256 = AlgorithmIdentifierOwned { oid: ID_SHA_256, parameters: None };
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: certificate.tbs_certificate.issuer.clone(),
                serial_number: certificate.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256.clone(),
            signed_attrs,
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
    /// Where it publishes its CRL: named in every certificate it issues (CRL distribution point).
    crl_url: Option<String>,
}

/// How a test CA is made: the CA certificate's own validity, and where it publishes its CRL.
#[derive(Debug, Clone)]
pub struct CaSettings {
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// An `http://` URL the CA's CRL is served at; `None`: the CA names no CRL.
    pub crl_url: Option<String>,
}

impl Default for CaSettings {
    /// Valid from the start of last year for ten years, publishing no CRL.
    fn default() -> CaSettings {
        let year = chrono::Utc::now().year();
        CaSettings {
            valid_from: NaiveDate::from_ymd_opt(year - 1, 1, 1).expect("1 January exists"),
            valid_until: NaiveDate::from_ymd_opt(year + 10, 1, 1).expect("1 January exists"),
            crl_url: None,
        }
    }
}

/// What a customer certificate's key may be used for (its keyUsage extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerKeyUsage {
    /// digitalSignature and nonRepudiation, as a certificate for signing consents has.
    Signing,
    /// keyEncipherment only: a certificate that must not sign (for negative tests).
    EnciphermentOnly,
}

/// Midnight UTC of `day`, as rcgen takes dates.
macro_rules! rcgen_date {
    ($day:expr) => {{
        let day: NaiveDate = $day;
        rcgen::date_time_ymd(day.year(), day.month() as u8, day.day() as u8)
    }};
}

impl TestCertificationAuthority {
    pub fn generate(ca_code: &str) -> Result<TestCertificationAuthority, rcgen::Error> {
        TestCertificationAuthority::generate_with(ca_code, CaSettings::default())
    }

    pub fn generate_with(ca_code: &str, settings: CaSettings) -> Result<TestCertificationAuthority, rcgen::Error> {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name.push(rcgen::DnType::CountryName, "KR");
        params.distinguished_name.push(rcgen::DnType::OrganizationName, ca_code);
        params.distinguished_name.push(rcgen::DnType::CommonName, format!("{ca_code} 통합인증 테스트 CA"));
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = rcgen_date!(settings.valid_from);
        params.not_after = rcgen_date!(settings.valid_until);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let certificate = params.self_signed(&key)?;
        Ok(TestCertificationAuthority {
            ca_code: ca_code.to_owned(),
            certificate_der: certificate.der().to_vec(),
            issuer: rcgen::Issuer::new(params, key),
            crl_url: settings.crl_url,
        })
    }

    /// A certificate for signing for the customer with `ci`, valid from last year to the year after next.
    pub fn issue(&self, ci: &str, name: &str) -> Result<CustomerCertificate, rcgen::Error> {
        self.issue_for(ci, name, CustomerKeyUsage::Signing)
    }

    /// [`TestCertificationAuthority::issue`] with the key usage `usage`.
    pub fn issue_for(
        &self,
        ci: &str,
        name: &str,
        usage: CustomerKeyUsage,
    ) -> Result<CustomerCertificate, rcgen::Error> {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name.push(rcgen::DnType::CountryName, "KR");
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let serial = rcgen::string::PrintableString::try_from(ci)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]), rcgen::DnValue::PrintableString(serial));
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.key_usages = match usage {
            CustomerKeyUsage::Signing => {
                vec![rcgen::KeyUsagePurpose::DigitalSignature, rcgen::KeyUsagePurpose::ContentCommitment]
            }
            CustomerKeyUsage::EnciphermentOnly => vec![rcgen::KeyUsagePurpose::KeyEncipherment],
        };
        params.crl_distribution_points =
            self.crl_url.iter().map(|url| rcgen::CrlDistributionPoint { uris: vec![url.clone()] }).collect();
        let year = chrono::Utc::now().year();
        params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
        params.not_after = rcgen::date_time_ymd(year + 2, 1, 1);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let certificate = params.signed_by(&key, &self.issuer)?;
        let key = SigningKey::from_pkcs8_der(&key.serialize_der()).map_err(|_| rcgen::Error::CouldNotParseKeyPair)?;
        Ok(CustomerCertificate { certificate_der: certificate.der().to_vec(), key })
    }

    /// A CRL (X.509 v2, DER) signed by this CA that revokes `revoked`, issued `this_update` and
    /// promising the next by `next_update`.
    pub fn crl(
        &self,
        revoked: &[&CustomerCertificate],
        this_update: NaiveDate,
        next_update: NaiveDate,
    ) -> Result<Vec<u8>, rcgen::Error> {
        let mut revoked_certs = Vec::new();
        for certificate in revoked {
            let parsed = Certificate::from_der(&certificate.certificate_der)
                .map_err(|_| rcgen::Error::CouldNotParseCertificate)?;
            revoked_certs.push(rcgen::RevokedCertParams {
                serial_number: rcgen::SerialNumber::from_slice(parsed.tbs_certificate.serial_number.as_bytes()),
                revocation_time: rcgen_date!(this_update),
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            });
        }
        let params = rcgen::CertificateRevocationListParams {
            this_update: rcgen_date!(this_update),
            next_update: rcgen_date!(next_update),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.der().to_vec())
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

    #[test]
    fn a_transaction_signature_names_its_transaction_and_a_crl_its_revoked_certificates() {
        let settings = CaSettings { crl_url: Some("http://ca.example/ca.crl".into()), ..Default::default() };
        let ca = TestCertificationAuthority::generate_with("CA00000001", settings).unwrap();
        let issued = ca.issue("Q0lPRkRFTU8x", "홍길동").unwrap();
        let signed = issued.sign_in_transaction(b"consent hash", "CERTTX0001");
        let data: SignedData = ContentInfo::from_der(&signed).unwrap().content.decode_as().unwrap();
        let attributes = data.signer_infos.0.as_slice()[0].signed_attrs.clone().unwrap();
        let value = |oid| attributes.iter().find(|a| a.oid == oid).unwrap().values.as_slice()[0].clone();
        assert_eq!(value(ID_CONTENT_IDENTIFIER).decode_as::<OctetString>().unwrap().as_bytes(), b"CERTTX0001");
        let digest = value(ID_MESSAGE_DIGEST).decode_as::<OctetString>().unwrap();
        assert_eq!(digest.as_bytes(), Sha256::digest(b"consent hash").as_slice());

        let today = chrono::Utc::now().date_naive();
        let crl = ca.crl(&[&issued], today, today + chrono::Days::new(1)).unwrap();
        let list = cms::cert::x509::crl::CertificateList::from_der(&crl).unwrap().tbs_cert_list;
        let certificate = Certificate::from_der(&issued.certificate_der).unwrap().tbs_certificate;
        let revoked: Vec<_> = list.revoked_certificates.unwrap().into_iter().map(|r| r.serial_number).collect();
        assert_eq!(revoked, [certificate.serial_number]);
        assert_eq!(list.issuer, certificate.issuer);
    }
}
