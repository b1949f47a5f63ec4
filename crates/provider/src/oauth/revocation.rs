//! Revocation of the customer certificates 통합인증-002 accepts: the CRL (X.509 v2) that the
//! certificate's CA publishes at the distribution point the certificate names (RFC 5280 §4.2.1.13),
//! fetched over HTTP, verified against the CA the provider trusts, and kept until the refresh interval
//! or the CRL's own nextUpdate passes, whichever comes first.
//!
//! Fail closed: when no CRL that the CA signed and that is still current can be had, the certificate
//! is not accepted (`temporarily_unavailable`, the operator may try again); a revoked one is refused
//! (`invalid_grant`). A certificate naming no distribution point has no CRL to check: accepted unless
//! the settings require one (docs/spec-decisions.md).

use super::signature::{key_of, key_usage, verify_ecdsa};
use cms::cert::x509::Certificate;
use cms::cert::x509::crl::CertificateList;
use cms::cert::x509::der::oid::AssociatedOid;
use cms::cert::x509::der::{Decode, Encode};
use cms::cert::x509::ext::pkix::CrlDistributionPoints;
use cms::cert::x509::ext::pkix::name::{DistributionPointName, GeneralName};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The largest CRL fetched: big CAs publish CRLs of some megabytes.
const MOST_CRL_BYTES: usize = 32 << 20;

/// How revocation is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationSettings {
    /// Seconds a fetched CRL is used before it is fetched again (never past its nextUpdate).
    pub refresh_secs: u64,
    /// How long one fetch may take.
    pub fetch_timeout: Duration,
    /// Refuse certificates that name no CRL distribution point, whose revocation cannot be checked.
    pub require_distribution_point: bool,
}

impl Default for RevocationSettings {
    /// A CRL is fetched again after an hour (CAs issue them daily or more often), a fetch may take
    /// ten seconds, and certificates naming no distribution point are accepted.
    fn default() -> RevocationSettings {
        RevocationSettings {
            refresh_secs: 3600,
            fetch_timeout: Duration::from_secs(10),
            require_distribution_point: false,
        }
    }
}

/// Why a certificate is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationRefusal {
    #[error("the certificate was revoked by its certification authority")]
    Revoked,
    #[error("the certificate names no CRL distribution point, so its revocation cannot be checked")]
    NoDistributionPoint,
    /// No trusted, current CRL could be had: try again later.
    #[error("the certificate's revocation cannot be checked now: {0}")]
    Unavailable(String),
}

/// A CRL that verified: the serial numbers it revokes and how long it may be used.
#[derive(Debug)]
struct TrustedCrl {
    revoked: HashSet<Vec<u8>>,
    /// Unix seconds after which it is fetched again.
    refresh_at: u64,
}

/// A kept CRL's distribution point and the SHA-256 of the CA certificate that verified it.
type CrlKey = (String, [u8; 32]);

/// Checks certificates against their CAs' CRLs, keeping each CRL for a while.
pub struct RevocationChecker {
    settings: RwLock<RevocationSettings>,
    http: RwLock<reqwest::Client>,
    cache: Mutex<HashMap<CrlKey, Arc<TrustedCrl>>>,
}

fn http_client(settings: &RevocationSettings) -> reqwest::Client {
    reqwest::Client::builder().timeout(settings.fetch_timeout).build().expect("a plain reqwest client builds")
}

impl Default for RevocationChecker {
    fn default() -> RevocationChecker {
        let settings = RevocationSettings::default();
        RevocationChecker {
            http: RwLock::new(http_client(&settings)),
            settings: RwLock::new(settings),
            cache: Default::default(),
        }
    }
}

/// The `http(s)://` URIs of the certificate's CRL distribution points.
fn distribution_points(certificate: &Certificate) -> Vec<String> {
    let extensions = certificate.tbs_certificate.extensions.iter().flatten();
    let Some(extension) = extensions.into_iter().find(|e| e.extn_id == CrlDistributionPoints::OID) else {
        return Vec::new();
    };
    let Ok(points) = CrlDistributionPoints::from_der(extension.extn_value.as_bytes()) else { return Vec::new() };
    points
        .0
        .iter()
        .filter_map(|point| match &point.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(|name| match name {
            GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
            _ => None,
        })
        .filter(|uri| uri.starts_with("http://") || uri.starts_with("https://"))
        .collect()
}

/// Verifies a DER CRL: issued and signed by `ca` (whose keyUsage, if stated, allows cRLSign), current
/// at `now` (issued, and its nextUpdate not passed), with no critical extension we do not process
/// (delta and partitioned CRLs are not used).
fn verify_crl(der: &[u8], ca: &Certificate, now: u64, refresh_secs: u64) -> Result<TrustedCrl, String> {
    let crl = CertificateList::from_der(der).map_err(|e| format!("not a CRL: {e}"))?;
    let tbs = &crl.tbs_cert_list;
    if tbs.issuer != ca.tbs_certificate.subject {
        return Err("the CRL was not issued by this certification authority".into());
    }
    if key_usage(ca).is_some_and(|usage| !usage.crl_sign()) {
        return Err("the certification authority's key may not sign CRLs".into());
    }
    let signed = tbs.to_der().map_err(|e| e.to_string())?;
    let signature = crl.signature.raw_bytes();
    if tbs.signature != crl.signature_algorithm
        || !verify_ecdsa(&key_of(ca)?, &crl.signature_algorithm, &signed, signature)
    {
        return Err("the CRL's signature does not verify".into());
    }
    if tbs.crl_extensions.iter().flatten().any(|e| e.critical) {
        return Err("the CRL has a critical extension this provider does not process".into());
    }
    let this_update = tbs.this_update.to_unix_duration().as_secs();
    let next_update = tbs.next_update.ok_or("the CRL promises no next update")?.to_unix_duration().as_secs();
    if now < this_update || now > next_update {
        return Err("the CRL is not current".into());
    }
    let revoked = tbs.revoked_certificates.iter().flatten().map(|r| r.serial_number.as_bytes().to_vec()).collect();
    Ok(TrustedCrl { revoked, refresh_at: next_update.min(now.saturating_add(refresh_secs)) })
}

impl RevocationChecker {
    /// Checks revocation as `settings` say from now on; CRLs kept so far are dropped.
    pub fn configure(&self, settings: RevocationSettings) {
        *self.http.write().unwrap_or_else(|e| e.into_inner()) = http_client(&settings);
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn settings(&self) -> RevocationSettings {
        *self.settings.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `certificate`, issued by `ca`, is unrevoked at `now` (Unix seconds).
    pub async fn check(&self, certificate: &Certificate, ca: &Certificate, now: i64) -> Result<(), RevocationRefusal> {
        let points = distribution_points(certificate);
        if points.is_empty() {
            let required = self.settings().require_distribution_point;
            return if required { Err(RevocationRefusal::NoDistributionPoint) } else { Ok(()) };
        }
        let ca_der = ca.to_der().map_err(|e| RevocationRefusal::Unavailable(e.to_string()))?;
        let ca_digest: [u8; 32] = Sha256::digest(ca_der).into();
        let now = u64::try_from(now).unwrap_or(0);
        let mut problems = Vec::new();
        for point in points {
            match self.trusted_crl(&point, ca, ca_digest, now).await {
                Ok(crl) if crl.revoked.contains(certificate.tbs_certificate.serial_number.as_bytes()) => {
                    return Err(RevocationRefusal::Revoked);
                }
                Ok(_) => return Ok(()),
                Err(problem) => problems.push(format!("{point}: {problem}")),
            }
        }
        Err(RevocationRefusal::Unavailable(problems.join("; ")))
    }

    /// The CRL at `point`, kept or fetched anew.
    async fn trusted_crl(
        &self,
        point: &str,
        ca: &Certificate,
        ca_digest: [u8; 32],
        now: u64,
    ) -> Result<Arc<TrustedCrl>, String> {
        let key = (point.to_owned(), ca_digest);
        let kept = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
        if let Some(crl) = kept.filter(|crl| now < crl.refresh_at) {
            return Ok(crl);
        }
        let http = self.http.read().unwrap_or_else(|e| e.into_inner()).clone();
        let response = http.get(point).send().await.map_err(|e| format!("fetching the CRL: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("fetching the CRL: HTTP {}", response.status()));
        }
        if response.content_length().is_some_and(|n| n > MOST_CRL_BYTES as u64) {
            return Err("the CRL is too large".into());
        }
        let body = response.bytes().await.map_err(|e| format!("fetching the CRL: {e}"))?;
        if body.len() > MOST_CRL_BYTES {
            return Err("the CRL is too large".into());
        }
        let crl = Arc::new(verify_crl(&body, ca, now, self.settings().refresh_secs)?);
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key, crl.clone());
        Ok(crl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Days, Utc};
    use mydata_pki::consent_signing::{CaSettings, TestCertificationAuthority};

    fn parse(der: &[u8]) -> Certificate {
        Certificate::from_der(der).unwrap()
    }

    #[test]
    fn a_crl_is_trusted_only_from_its_ca_and_while_current() {
        let url = "http://127.0.0.1:9/ca.crl".to_owned();
        let ca = TestCertificationAuthority::generate_with(
            "CA00000001",
            CaSettings { crl_url: Some(url.clone()), ..Default::default() },
        )
        .unwrap();
        let customer = ca.issue("Q0k=", "홍길동").unwrap();
        assert_eq!(distribution_points(&parse(&customer.certificate_der)), [url]);
        let today = Utc::now().date_naive();
        // Two days ahead, so the next update is more than an hour away at any time of day.
        let (yesterday, tomorrow) = (today - Days::new(1), today + Days::new(1));
        let next_update = today + Days::new(2);
        let next_update_secs = next_update.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() as u64;
        let now = Utc::now().timestamp() as u64;
        let ca_certificate = parse(&ca.certificate_der);

        let der = ca.crl(&[&customer], yesterday, next_update).unwrap();
        let crl = verify_crl(&der, &ca_certificate, now, 3600).unwrap();
        let serial = parse(&customer.certificate_der).tbs_certificate.serial_number.as_bytes().to_vec();
        assert!(crl.revoked.contains(&serial));
        assert_eq!(crl.refresh_at, now + 3600, "refreshed after the interval, before its next update");
        let week = 7 * 24 * 3600;
        assert_eq!(
            verify_crl(&der, &ca_certificate, now, week).unwrap().refresh_at,
            next_update_secs,
            "never kept past its next update"
        );

        let stale = ca.crl(&[], today - Days::new(3), yesterday).unwrap();
        assert!(verify_crl(&stale, &ca_certificate, now, 3600).is_err(), "past its next update");
        // The same name, another key: an attacker's CRL that leaves the certificate out.
        let rogue = TestCertificationAuthority::generate("CA00000001").unwrap();
        let forged = rogue.crl(&[], yesterday, tomorrow).unwrap();
        let refused = verify_crl(&forged, &ca_certificate, now, 3600).unwrap_err();
        assert!(refused.contains("signature"), "{refused}");
        assert!(verify_crl(b"not a CRL", &ca_certificate, now, 3600).is_err());
    }
}
