//! Records of the authorization server (개별인증-001..004, 통합인증-002).

use crate::TokenRecord;
use mydata_domain::Consent;

/// A 개별인증-001 request the provider validated, waiting for the customer on the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSession {
    /// SHA-256 (hex) of the handle in the consent page's URL.
    pub session_digest: String,
    pub org_code: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub app_scheme: String,
    /// The request's x-api-tran-id, returned as `api_tran_id` in the redirect.
    pub tran_id: String,
    /// The CI the operator sent in `x-user-ci`; the customer who signs in must have it.
    pub user_ci: String,
    pub customer_id: Option<String>,
    /// SHA-256 (hex) of the cookie of the browser the customer signed in with.
    pub browser_digest: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub closed_at: Option<i64>,
}

/// An authorization code, stored by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub code_digest: String,
    pub consent_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub redeemed_at: Option<i64>,
    /// The token pair the redemption issued.
    pub pair_id: Option<String>,
}

/// Everything a new consent brings, written in one transaction: the consent replaces the customer's
/// earlier consents with the same client at the same provider (ch.3: one token pair per customer,
/// service and provider; a 전송요구 변경 revokes the old pair).
#[derive(Debug, Clone)]
pub struct ConsentRecord<'a> {
    pub consent: &'a Consent,
    /// The consent-page session this consent finishes (개별인증); it must still be open.
    pub closes_session: Option<&'a str>,
    /// The authorization code to hand out (개별인증).
    pub code: Option<&'a AuthorizationCode>,
    /// Tokens issued at once (통합인증).
    pub tokens: &'a [TokenRecord],
    /// Nonces the customer signed (통합인증), each usable once per CA.
    pub nonces: &'a [(&'a str, &'a str)],
}

/// Why a [`ConsentRecord`] was not written (nothing was).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentRecordRefusal {
    /// The session was closed or expired meanwhile (a double submit).
    SessionClosed,
    /// A nonce was used before (a replay).
    NonceReplayed,
}

/// The outcome of redeeming an authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// The tokens were recorded.
    Issued,
    /// The code was redeemed before; the tokens of that redemption are now revoked.
    AlreadyRedeemed,
    /// The consent was revoked or replaced before the code was redeemed.
    ConsentInactive,
    NoSuchCode,
}

/// The outcome of a refresh (개별인증-003).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The new access token was recorded and the previous one retired.
    Issued,
    /// A retry within the grace window: this live access token answers it again.
    Repeated(TokenRecord),
    Refused(mydata_domain::token::RefreshRefusal),
}

/// A certification authority (통합인증기관) whose customer certificates 통합인증-002 accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateAuthority {
    /// Its org code, as the operator sends it in `ca_code`.
    pub ca_code: String,
    /// The CA certificate, DER.
    pub certificate_der: Vec<u8>,
    pub updated_at: i64,
}
