//! A throwaway PKI for the sandbox and tests: one root CA and, per institution, a server certificate
//! (SANs localhost and 127.0.0.1) and a client certificate, both with the institution's
//! SERIALNUMBER in the subject as ch.3.1 expects of the EV certificates participants register.
//!
//! On disk (`DIR`):
//! ```text
//! pki.json                  the manifest: which org has which files and SERIALNUMBER
//! ca.pem  ca.key            the root CA
//! ORG_CODE/server.pem|key   the institution's server certificate and key
//! ORG_CODE/client.pem|key   the institution's client certificate and key
//! ```

use crate::config::{ClientTls, ServerTls};
use crate::{PkiError, SERIAL_NUMBER_OID_ARCS};
use chrono::Datelike;
use rand::RngCore;
use rcgen::string::PrintableString;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose,
    IsCa, KeyPair, KeyUsagePurpose, date_time_ymd,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The manifest's file name inside the PKI directory.
pub const MANIFEST_FILE: &str = "pki.json";

/// An institution to issue certificates for: its org_code and the SERIALNUMBER its certificates
/// carry (the 10-digit business registration number, 사업자등록번호, without dashes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSpec {
    pub org_code: String,
    pub serial_number: String,
}

impl OrgSpec {
    /// An org with the given business registration number, dashed (`123-45-67890`) or not.
    pub fn new(org_code: &str, business_number: &str) -> Result<OrgSpec, PkiError> {
        let digits: String = business_number.chars().filter(|c| *c != '-').collect();
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PkiError::Invalid(format!(
                "{business_number:?} is not a business registration number (10 digits, NNN-NN-NNNNN)"
            )));
        }
        if org_code.is_empty() || org_code.contains(['/', '\\', '.']) || !org_code.is_ascii() {
            return Err(PkiError::Invalid(format!("{org_code:?} is not an org_code")));
        }
        Ok(OrgSpec { org_code: org_code.to_owned(), serial_number: digits })
    }

    /// An org whose test business registration number is derived from its org_code, so that the
    /// sandbox's certificates and registry agree without anyone choosing numbers.
    pub fn derived(org_code: &str) -> OrgSpec {
        let hash = Sha256::digest(org_code.as_bytes());
        let number = u64::from_be_bytes(hash[..8].try_into().expect("SHA-256 has 32 bytes")) % 10_000_000_000;
        OrgSpec { org_code: org_code.to_owned(), serial_number: format!("{number:010}") }
    }

    /// The dashed form 지원-002's `org_regno` uses (NNN-NN-NNNNN).
    pub fn dashed_business_number(&self) -> String {
        let s = &self.serial_number;
        format!("{}-{}-{}", &s[..3], &s[3..5], &s[5..])
    }
}

impl std::str::FromStr for OrgSpec {
    type Err = PkiError;
    /// `ORG_CODE:BUSINESS_NUMBER`, or `ORG_CODE` alone for a derived test number.
    fn from_str(s: &str) -> Result<OrgSpec, PkiError> {
        match s.split_once(':') {
            Some((code, number)) => OrgSpec::new(code, number),
            None => OrgSpec::new(s, &OrgSpec::derived(s).serial_number),
        }
    }
}

/// The files of one institution, absolute paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgCertificates {
    pub org_code: String,
    pub serial_number: String,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

/// `pki.json`: paths relative to the directory, so the directory can be moved.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    ca_cert: String,
    ca_key: String,
    orgs: Vec<ManifestOrg>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ManifestOrg {
    org_code: String,
    serial_number: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

/// A PKI directory created by [`TestPki::create`].
#[derive(Debug, Clone)]
pub struct TestPki {
    dir: PathBuf,
    manifest: Manifest,
}

/// Which end of a connection a certificate is for.
#[derive(Clone, Copy)]
enum Role {
    Server,
    Client,
}

impl TestPki {
    /// Creates a new root CA and certificates for `orgs` in `dir` (created if missing), replacing
    /// whatever PKI was there.
    pub fn create(dir: &Path, orgs: &[OrgSpec]) -> Result<TestPki, PkiError> {
        for (i, org) in orgs.iter().enumerate() {
            if orgs[..i].iter().any(|o| o.org_code == org.org_code) {
                return Err(PkiError::Invalid(format!("org {} is given twice", org.org_code)));
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| PkiError::Write(dir.into(), e))?;
        let ca = issue_root_ca()?;
        let mut manifest = Manifest { ca_cert: "ca.pem".into(), ca_key: "ca.key".into(), orgs: Vec::new() };
        write(dir, &manifest.ca_cert, &ca.pem())?;
        write(dir, &manifest.ca_key, &ca.key_pem)?;
        for org in orgs {
            let org_dir = dir.join(&org.org_code);
            std::fs::create_dir_all(&org_dir).map_err(|e| PkiError::Write(org_dir.clone(), e))?;
            let entry = ManifestOrg {
                org_code: org.org_code.clone(),
                serial_number: org.serial_number.clone(),
                server_cert: format!("{}/server.pem", org.org_code),
                server_key: format!("{}/server.key", org.org_code),
                client_cert: format!("{}/client.pem", org.org_code),
                client_key: format!("{}/client.key", org.org_code),
            };
            for (role, cert_file, key_file) in [
                (Role::Server, &entry.server_cert, &entry.server_key),
                (Role::Client, &entry.client_cert, &entry.client_key),
            ] {
                let (cert_pem, key_pem) = issue_org_certificate(&ca, org, role)?;
                write(dir, cert_file, &cert_pem)?;
                write(dir, key_file, &key_pem)?;
            }
            manifest.orgs.push(entry);
        }
        let json = serde_json::to_string_pretty(&manifest).expect("the manifest always serializes");
        write(dir, MANIFEST_FILE, &json)?;
        Ok(TestPki { dir: dir.to_owned(), manifest })
    }

    /// Opens a PKI directory by its manifest.
    pub fn open(dir: &Path) -> Result<TestPki, PkiError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| PkiError::Read(path.clone(), e))?;
        let manifest = serde_json::from_str(&text).map_err(|e| PkiError::Manifest(path, e.to_string()))?;
        Ok(TestPki { dir: dir.to_owned(), manifest })
    }

    /// Opens the PKI in `dir` if it has certificates for every org of `orgs` with the same
    /// SERIALNUMBER; otherwise creates a new one (a sandbox restarted with the same orgs keeps its
    /// certificates, so clients configured with them keep working).
    pub fn open_or_create(dir: &Path, orgs: &[OrgSpec]) -> Result<TestPki, PkiError> {
        if let Ok(existing) = TestPki::open(dir) {
            let covers = orgs.iter().all(|wanted| {
                existing.org(&wanted.org_code).is_some_and(|have| have.serial_number == wanted.serial_number)
            });
            if covers {
                return Ok(existing);
            }
        }
        TestPki::create(dir, orgs)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The root CA certificate every server and client of this PKI trusts.
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join(&self.manifest.ca_cert)
    }

    /// Every institution of the PKI, in creation order.
    pub fn orgs(&self) -> Vec<OrgCertificates> {
        self.manifest.orgs.iter().map(|o| self.files(o)).collect()
    }

    pub fn org(&self, org_code: &str) -> Option<OrgCertificates> {
        self.manifest.orgs.iter().find(|o| o.org_code == org_code).map(|o| self.files(o))
    }

    fn files(&self, org: &ManifestOrg) -> OrgCertificates {
        OrgCertificates {
            org_code: org.org_code.clone(),
            serial_number: org.serial_number.clone(),
            server_cert: self.dir.join(&org.server_cert),
            server_key: self.dir.join(&org.server_key),
            client_cert: self.dir.join(&org.client_cert),
            client_key: self.dir.join(&org.client_key),
        }
    }

    fn known(&self, org_code: &str) -> Result<OrgCertificates, PkiError> {
        self.org(org_code)
            .ok_or_else(|| PkiError::Invalid(format!("the PKI in {} has no org {org_code}", self.dir.display())))
    }

    /// What `org_code`'s server serves with; its clients' certificates must chain to this PKI's CA.
    pub fn server_tls(&self, org_code: &str) -> Result<ServerTls, PkiError> {
        let org = self.known(org_code)?;
        Ok(ServerTls { cert_chain: org.server_cert, key: org.server_key, client_ca: Some(self.ca_cert()) })
    }

    /// What `org_code` calls others with: its client certificate, trusting servers of this PKI.
    pub fn client_tls(&self, org_code: &str) -> Result<ClientTls, PkiError> {
        let org = self.known(org_code)?;
        Ok(ClientTls { identity: Some((org.client_cert, org.client_key)), server_roots: self.ca_cert() })
    }

    /// A client without a certificate of its own that trusts this PKI's servers.
    pub fn anonymous_client_tls(&self) -> ClientTls {
        ClientTls { identity: None, server_roots: self.ca_cert() }
    }
}

fn write(dir: &Path, name: &str, contents: &str) -> Result<(), PkiError> {
    let path = dir.join(name);
    std::fs::write(&path, contents).map_err(|e| PkiError::Write(path, e))
}

/// The root CA, with its key kept for issuing.
struct RootCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    key_pem: String,
}

impl RootCa {
    fn pem(&self) -> String {
        self.issuer.pem()
    }
}

/// Validity from the start of last year to ten years on: test certificates must not expire during
/// a long-lived sandbox, and clocks of test machines may lag a little.
fn validity(params: &mut CertificateParams) {
    let year = chrono::Utc::now().year();
    params.not_before = date_time_ymd(year - 1, 1, 1);
    params.not_after = date_time_ymd(year + 10, 1, 1);
}

fn issue_root_ca() -> Result<RootCa, PkiError> {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CountryName, "KR");
    name.push(DnType::OrganizationName, "mydata-rs test PKI");
    // A name of its own per PKI: two test PKIs must not look like one CA to a verifier.
    let mut unique = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut unique);
    let suffix: String = unique.iter().map(|b| format!("{b:02x}")).collect();
    name.push(DnType::CommonName, format!("mydata-rs test root CA {suffix}"));
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    validity(&mut params);
    let key = KeyPair::generate()?;
    let key_pem = key.serialize_pem();
    Ok(RootCa { issuer: CertifiedIssuer::self_signed(params, key)?, key_pem })
}

/// One end-entity certificate of `org`; returns certificate and key as PEM.
fn issue_org_certificate(ca: &RootCa, org: &OrgSpec, role: Role) -> Result<(String, String), PkiError> {
    let mut params = match role {
        Role::Server => CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?,
        Role::Client => CertificateParams::default(),
    };
    let mut name = DistinguishedName::new();
    name.push(DnType::CountryName, "KR");
    name.push(DnType::OrganizationName, org.org_code.as_str());
    name.push(DnType::CommonName, org.org_code.as_str());
    // X.520 types serialNumber as PrintableString; OrgSpec guarantees digits only.
    let serial = PrintableString::try_from(org.serial_number.as_str())?;
    name.push(DnType::CustomDnType(SERIAL_NUMBER_OID_ARCS.to_vec()), DnValue::PrintableString(serial));
    params.distinguished_name = name;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![match role {
        Role::Server => ExtendedKeyUsagePurpose::ServerAuth,
        Role::Client => ExtendedKeyUsagePurpose::ClientAuth,
    }];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params);
    let key = KeyPair::generate()?;
    let certificate = params.signed_by(&key, &ca.issuer)?;
    Ok((certificate.pem(), key.serialize_pem()))
}
