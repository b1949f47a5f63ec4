//! Records of the authorization server (개별인증-001..004, 통합인증-002).

use crate::StoreResult;
use async_trait::async_trait;
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

/// A key that signs access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    /// JWS algorithm, e.g. `EdDSA`.
    pub algorithm: String,
    /// Base64 of the PKCS#8 private key.
    pub private_pkcs8: String,
    /// Base64url of the raw public key (the JWK `x`).
    pub public_key: String,
    pub created_at: i64,
    /// From this time the key verifies but no longer signs.
    pub retired_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    /// Replaced by a refresh; kept to answer a retried refresh within the grace window.
    Rotated,
    Revoked,
}

/// The server-side record of an issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub jti: String,
    pub consent_id: String,
    pub client_id: String,
    pub kind: TokenKind,
    /// Access and refresh tokens issued together share a pair id.
    pub pair_id: String,
    pub status: TokenStatus,
    pub expires_at: i64,
    pub created_at: i64,
}

/// One client's consents at one institution on one day, as 지원-005 counts them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsentCounts {
    pub client_id: String,
    /// Given that day (new, or changing an earlier one): `consent_new`.
    pub new: i64,
    /// Withdrawn by the customer that day (개별인증-004): `consent_revoke`.
    pub revoked: i64,
    /// Valid at the end of the day: `consent_own`.
    pub own: i64,
}

/// The authorization server's records: consents, tokens, signing keys, consent-page sessions,
/// authorization codes and trusted certification authorities.
#[async_trait]
pub trait AuthorizationStore: Send + Sync + 'static {
    /// Records a consent with its assets atomically; fails with Conflict if the id exists.
    async fn insert_consent(&self, consent: &Consent) -> StoreResult<()>;
    async fn consent(&self, consent_id: &str) -> StoreResult<Option<Consent>>;
    /// Marks a consent revoked; returns whether it was active before.
    async fn revoke_consent(&self, consent_id: &str) -> StoreResult<bool>;
    /// A customer's consents at one provider, newest first.
    async fn consents_of_customer(&self, org_code: &str, customer_id: &str) -> StoreResult<Vec<Consent>>;
    /// Per client with any: consents given and withdrawn at `org_code` in `from..to` (Unix seconds),
    /// and valid at `to`, whose day (YYYYMMDD, for end dates) is `day`.
    async fn consent_counts(&self, org_code: &str, from: i64, to: i64, day: &str) -> StoreResult<Vec<ConsentCounts>>;
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()>;
    /// Retires every signing key but `keep_kid` (they keep verifying, no longer sign).
    async fn retire_signing_keys_except(&self, keep_kid: &str, at: i64) -> StoreResult<u64>;
    async fn insert_tokens(&self, tokens: &[TokenRecord]) -> StoreResult<()>;
    async fn token(&self, jti: &str) -> StoreResult<Option<TokenRecord>>;
    /// A token with the consent it was issued under, read together (each information-API call needs both).
    async fn access_grant(&self, jti: &str) -> StoreResult<Option<(TokenRecord, Consent)>>;
    /// Revokes every token of a consent; returns how many were active.
    async fn revoke_tokens_of_consent(&self, consent_id: &str) -> StoreResult<u64>;
    /// The consent's tokens that are still active.
    async fn live_tokens_of_consent(&self, consent_id: &str) -> StoreResult<Vec<TokenRecord>>;
    /// 개별인증-001: keeps a validated authorization request until the customer answers it.
    async fn insert_auth_session(&self, session: &AuthSession) -> StoreResult<()>;
    async fn auth_session(&self, session_digest: &str) -> StoreResult<Option<AuthSession>>;
    /// Binds an open, unexpired session nobody signed in to yet to a customer and a browser;
    /// false if the session is not in that state.
    async fn sign_in_auth_session(
        &self,
        session_digest: &str,
        customer_id: &str,
        browser_digest: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// Closes an open session (refusal or error); false if it was closed already.
    async fn close_auth_session(&self, session_digest: &str, now: i64) -> StoreResult<bool>;
    /// Deletes the sessions that expired before `before`, answered or not; returns how many.
    async fn purge_auth_sessions(&self, before: i64) -> StoreResult<u64>;
    /// Writes a new consent with its code, tokens and nonces, replacing the customer's earlier
    /// consents with the same client here, all or nothing.
    async fn record_consent(
        &self,
        record: &ConsentRecord<'_>,
        now: i64,
    ) -> StoreResult<Result<(), ConsentRecordRefusal>>;
    async fn authorization_code(&self, code_digest: &str) -> StoreResult<Option<AuthorizationCode>>;
    /// Redeems a code once, recording `tokens` (all of one pair); a second redemption revokes them.
    async fn redeem_authorization_code(
        &self,
        code_digest: &str,
        now: i64,
        tokens: &[TokenRecord],
    ) -> StoreResult<Redemption>;
    /// 개별인증-003: retires the consent's live access token and records `new_access`, or repeats the
    /// access token a refresh with the same refresh token issued less than `grace_secs` ago.
    async fn refresh_access_token(
        &self,
        refresh_jti: &str,
        now: i64,
        grace_secs: i64,
        new_access: &TokenRecord,
    ) -> StoreResult<Rotation>;
    /// Revokes a consent and every token issued under it at once; returns whether it was active.
    async fn revoke_consent_and_tokens(&self, consent_id: &str) -> StoreResult<bool>;
    /// 통합인증-002: registers (or replaces) a trusted certification authority.
    async fn upsert_certificate_authority(&self, ca: &CertificateAuthority) -> StoreResult<()>;
    async fn certificate_authority(&self, ca_code: &str) -> StoreResult<Option<CertificateAuthority>>;
}
