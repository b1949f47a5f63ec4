//! Access tokens as signed JWTs (JWS, ch.2.2) with keys kept in the store, and the checks every
//! information API call makes: signature, expiry, the token's own record, and its consent.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{NaiveDate, Utc};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mydata_domain::token::{RefreshRefusal, bounded_expiry};
use mydata_domain::{Consent, ConsentError};
use mydata_spec::RspCode;
use mydata_store::{Rotation, SigningKey, Store, StoreError, TokenKind, TokenRecord, TokenStatus};
use mydata_web::ApiError;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};

/// Claims of an access token (ch.2.2's recommended iss/aud/jti/exp/scope, plus the consent).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The provider's org_code.
    pub iss: String,
    /// The operator's client_id.
    pub aud: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub scope: String,
    /// The consent (전송요구) the token was issued under.
    pub consent_id: String,
    /// The client certificate the token is bound to (RFC 8705), when it was issued over mutual TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// RFC 8705 §3.1 confirmation claim: the base64url SHA-256 thumbprint of the bound certificate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Confirmation {
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

struct LoadedKey {
    kid: String,
    /// Base64url of the raw public key, as the JWK `x`.
    public_x: String,
    retired: bool,
    created_at: i64,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

fn load(key: &SigningKey) -> Result<LoadedKey, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("signing key {}: {what}", key.kid));
    let der = STANDARD.decode(&key.private_pkcs8).map_err(|_| corrupt("private key is not base64"))?;
    Ok(LoadedKey {
        kid: key.kid.clone(),
        public_x: key.public_key.clone(),
        retired: key.retired_at.is_some(),
        created_at: key.created_at,
        encoding: EncodingKey::from_ed_der(&der),
        decoding: DecodingKey::from_ed_components(&key.public_key).map_err(|_| corrupt("bad public key"))?,
    })
}

/// Generates a fresh Ed25519 key as the store keeps it.
pub fn generate_key(now: i64) -> SigningKey {
    let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let der = signing.to_pkcs8_der().expect("an Ed25519 key always encodes as PKCS#8");
    SigningKey {
        kid: uuid::Uuid::new_v4().simple().to_string(),
        algorithm: "EdDSA".into(),
        private_pkcs8: STANDARD.encode(der.as_bytes()),
        public_key: URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes()),
        created_at: now,
        retired_at: None,
    }
}

/// Verified tokens held at most (see [`KeyRing::verified`]).
const VERIFIED_CAPACITY: usize = 16_384;

/// The keys of one server, loaded from the store; several servers sharing a store share keys.
pub struct KeyRing {
    keys: RwLock<Vec<LoadedKey>>,
    /// Tokens whose signature checked, with their claims. An operator calls many APIs with one
    /// access token, and the signature check is the largest part of a call's cost; expiry is still
    /// checked on every use.
    verified: quick_cache::sync::Cache<String, Arc<AccessClaims>>,
    /// When the store was last re-read on a caller's account (see [`KeyRing::reload_on_demand`]).
    last_reload: std::sync::Mutex<Option<std::time::Instant>>,
}

/// Callers can make the keys be re-read (a token naming a key not held yet, the JWKS) at most this
/// often: a flood of forged key IDs costs the store a few small reads a second, not one per request.
const RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// Whether `token` looks like a token of ours — a JWS header with alg EdDSA and a key ID as we make
/// them (32 hex digits) — and so may name a key another instance added.
fn shaped_like_ours(token: &str) -> bool {
    match jsonwebtoken::decode_header(token) {
        Ok(header) => {
            header.alg == Algorithm::EdDSA
                && header.kid.is_some_and(|kid| kid.len() == 32 && kid.bytes().all(|b| b.is_ascii_hexdigit()))
        }
        Err(_) => false,
    }
}

impl KeyRing {
    /// Loads the stored keys, creating the first one on a fresh database.
    pub async fn open(store: &dyn Store) -> Result<KeyRing, StoreError> {
        let mut stored = store.signing_keys().await?;
        if !stored.iter().any(|k| k.retired_at.is_none()) {
            let key = generate_key(Utc::now().timestamp());
            store.insert_signing_key(&key).await?;
            stored.push(key);
        }
        let keys = stored.iter().map(load).collect::<Result<Vec<_>, _>>()?;
        Ok(KeyRing {
            keys: RwLock::new(keys),
            verified: quick_cache::sync::Cache::new(VERIFIED_CAPACITY),
            last_reload: Default::default(),
        })
    }

    /// Re-reads the store, picking up keys another instance added or retired.
    pub async fn reload(&self, store: &dyn Store) -> Result<(), StoreError> {
        let keys = store.signing_keys().await?.iter().map(load).collect::<Result<Vec<_>, _>>()?;
        let mut held = self.keys.write().unwrap_or_else(|e| e.into_inner());
        // A key that is gone no longer vouches for the tokens it signed; added or retired keys
        // (retired ones still verify) change nothing about what was verified.
        let removed = held.iter().any(|old| !keys.iter().any(|new| new.kid == old.kid));
        *held = keys;
        if removed {
            self.verified.clear();
        }
        Ok(())
    }

    /// [`KeyRing::reload`] unless one was made on demand within [`RELOAD_INTERVAL`]; whether it was.
    pub async fn reload_on_demand(&self, store: &dyn Store) -> Result<bool, StoreError> {
        {
            let mut last = self.last_reload.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| at.elapsed() < RELOAD_INTERVAL) {
                return Ok(false);
            }
            *last = Some(std::time::Instant::now());
        }
        self.reload(store).await.map(|()| true)
    }

    /// Signs claims with the newest live key.
    pub fn sign(&self, claims: &AccessClaims) -> String {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let key = keys
            .iter()
            .filter(|k| !k.retired)
            .max_by_key(|k| k.created_at)
            .expect("KeyRing::open guarantees a live key");
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding).expect("EdDSA signing of JSON claims cannot fail")
    }

    /// Verifies signature and expiry; `None` for anything that is not a valid token of ours.
    pub fn verify(&self, token: &str) -> Option<Arc<AccessClaims>> {
        // As jsonwebtoken's check with no leeway: a token is valid through its `exp` second.
        self.verify_signature(token).filter(|claims| claims.exp >= Utc::now().timestamp())
    }

    /// Verifies the signature only: revocation accepts expired tokens, so that a customer's
    /// withdrawal works even when the operator holds nothing but an expired access token.
    pub fn verify_signature(&self, token: &str) -> Option<Arc<AccessClaims>> {
        if let Some(claims) = self.verified.get(token) {
            return Some(claims);
        }
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let key = keys.iter().find(|k| k.kid == kid)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "jti"]);
        let claims = Arc::new(jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation).ok()?.claims);
        self.verified.insert(token.to_owned(), claims.clone());
        Some(claims)
    }

    /// The public keys as a JWK Set (RFC 7517), retired ones included while tokens they signed live.
    pub fn jwks(&self) -> serde_json::Value {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let list: Vec<serde_json::Value> = keys
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": k.kid, "x": k.public_x,
                })
            })
            .collect();
        serde_json::json!({ "keys": list })
    }

    /// Adds a new signing key and retires the others: they stop signing at once but keep verifying
    /// the tokens they signed (the overlap), so rotation never logs anyone out.
    pub async fn rotate(&self, store: &dyn Store, now: i64) -> Result<String, StoreError> {
        let key = generate_key(now);
        store.insert_signing_key(&key).await?;
        store.retire_signing_keys_except(&key.kid, now).await?;
        self.reload(store).await?;
        Ok(key.kid)
    }

    fn knows(&self, token: &str) -> bool {
        let Some(kid) = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid) else { return false };
        self.keys.read().unwrap_or_else(|e| e.into_inner()).iter().any(|k| k.kid == kid)
    }

    /// Re-reads the store when `token` names a key this instance does not hold yet: one added by
    /// another instance sharing the store.
    /// Anything else (not a token of ours) never makes it re-read.
    pub async fn learn_key_of(&self, store: &dyn Store, token: &str) -> Result<(), StoreError> {
        if self.knows(token) || !shaped_like_ours(token) {
            return Ok(());
        }
        self.reload_on_demand(store).await.map(|_| ())
    }
}

/// What a verified access token lets its bearer do.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The consent, whose scopes are the token's.
    pub consent: Consent,
    pub client_id: String,
}

/// Token lifetimes (ch.2.2: access at most 90 days, refresh at most one year) and the other clocks
/// of the authorization server. A refresh token lives exactly as long as its consent, whose end
/// date the consent page and 통합인증-002 keep within a year.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub access_secs: i64,
    /// Authorization codes (개별인증-001: at most 10 minutes recommended).
    pub code_secs: i64,
    /// How long the consent page waits for the customer.
    pub session_secs: i64,
    /// How long a repeated refresh gets the answer of the first (a client that lost it retries).
    pub refresh_retry_grace_secs: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes { access_secs: 90 * 86_400, code_secs: 5 * 60, session_secs: 10 * 60, refresh_retry_grace_secs: 60 }
    }
}

/// An access/refresh pair as the token endpoint returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedPair {
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub refresh_expires_at: i64,
    pub pair_id: String,
}

impl IssuedPair {
    /// The pair as an operator keeps it, for an operator in the same process as the provider (the
    /// sandbox's linked demo customers, benchmarks and tests).
    pub fn into_operator_tokens(self, scope: String) -> mydata_client::Tokens {
        mydata_client::Tokens {
            access_token: self.access_token,
            access_expires_at: self.access_expires_at,
            refresh_token: self.refresh_token,
            refresh_expires_at: self.refresh_expires_at,
            scope,
        }
    }
}

/// The last second of the consent's end date in Korea (ch.2: dates are Korean dates), the latest
/// any of its tokens may live.
pub fn end_of_day(date: NaiveDate) -> i64 {
    date.and_hms_opt(23, 59, 59)
        .and_then(|t| t.and_local_timezone(mydata_spec::time::kst()).single())
        .map(|t| t.timestamp())
        .unwrap_or(i64::MAX)
}

fn claims_for(consent: &Consent, jti: &str, iat: i64, exp: i64) -> AccessClaims {
    AccessClaims {
        iss: consent.org_code.clone(),
        aud: consent.client_id.clone(),
        jti: jti.to_owned(),
        iat,
        exp,
        scope: consent.scopes.to_string(),
        consent_id: consent.consent_id.clone(),
        cnf: None,
    }
}

fn new_jti() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn token_record(consent: &Consent, jti: String, kind: TokenKind, pair_id: &str, exp: i64, now: i64) -> TokenRecord {
    TokenRecord {
        jti,
        consent_id: consent.consent_id.clone(),
        client_id: consent.client_id.clone(),
        kind,
        pair_id: pair_id.to_owned(),
        status: TokenStatus::Active,
        expires_at: exp,
        created_at: now,
    }
}

/// A pair for a consent, signed but not yet recorded: the caller records `records` in the same
/// transaction as whatever grants the pair (a code redemption, a signed consent).
pub struct PreparedPair {
    pub records: [TokenRecord; 2],
    pub issued: IssuedPair,
}

/// Signs a new access/refresh pair for `consent`, never outliving the consent's end date.
pub fn prepare_pair(keys: &KeyRing, consent: &Consent, lifetimes: Lifetimes, now: i64) -> PreparedPair {
    prepare_bound_pair(keys, consent, lifetimes, now, None)
}

/// [`prepare_pair`] whose access token is bound to `binding` (RFC 8705). The refresh token is not:
/// an operator whose certificate was renewed refreshes with its new certificate and gets an access
/// token bound to that one, without a new consent.
pub fn prepare_bound_pair(
    keys: &KeyRing,
    consent: &Consent,
    lifetimes: Lifetimes,
    now: i64,
    binding: Option<&Confirmation>,
) -> PreparedPair {
    let pair_id = new_jti();
    let consent_end = end_of_day(consent.end_date);
    let access_exp = bounded_expiry(now, lifetimes.access_secs, consent_end);
    // The refresh token lives until the consent ends, whatever time of day the pair is issued: a
    // one-year consent given this afternoon ends at midnight a year on, not this afternoon.
    let refresh_exp = consent_end;
    let access = token_record(consent, new_jti(), TokenKind::Access, &pair_id, access_exp, now);
    let refresh = token_record(consent, new_jti(), TokenKind::Refresh, &pair_id, refresh_exp, now);
    let issued = IssuedPair {
        access_token: keys
            .sign(&AccessClaims { cnf: binding.cloned(), ..claims_for(consent, &access.jti, now, access_exp) }),
        access_expires_at: access_exp,
        refresh_token: keys.sign(&claims_for(consent, &refresh.jti, now, refresh_exp)),
        refresh_expires_at: refresh_exp,
        pair_id,
    };
    PreparedPair { records: [access, refresh], issued }
}

/// Issues and records a new access/refresh pair for `consent` (for tools and tests; the OAuth
/// endpoints record pairs together with what grants them).
pub async fn issue_pair(
    store: &dyn Store,
    keys: &KeyRing,
    consent: &Consent,
    lifetimes: Lifetimes,
    now: i64,
) -> Result<IssuedPair, StoreError> {
    let prepared = prepare_pair(keys, consent, lifetimes, now);
    store.insert_tokens(&prepared.records).await?;
    Ok(prepared.issued)
}

/// An access token issued by a refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedAccess {
    pub access_token: String,
    pub access_expires_at: i64,
}

/// 개별인증-003 for a verified refresh token of `consent`: retires the live access token and issues
/// a new one, or — for a retry within the grace window — answers with the one the first attempt issued.
pub async fn refresh_access(
    store: &dyn Store,
    keys: &KeyRing,
    consent: &Consent,
    refresh: &TokenRecord,
    lifetimes: Lifetimes,
    now: i64,
) -> Result<Result<IssuedAccess, RefreshRefusal>, StoreError> {
    refresh_bound_access(store, keys, consent, refresh, lifetimes, now, None).await
}

/// [`refresh_access`] whose new access token is bound to `binding` (RFC 8705).
pub async fn refresh_bound_access(
    store: &dyn Store,
    keys: &KeyRing,
    consent: &Consent,
    refresh: &TokenRecord,
    lifetimes: Lifetimes,
    now: i64,
    binding: Option<&Confirmation>,
) -> Result<Result<IssuedAccess, RefreshRefusal>, StoreError> {
    let exp = bounded_expiry(now, lifetimes.access_secs, end_of_day(consent.end_date));
    let access = token_record(consent, new_jti(), TokenKind::Access, &refresh.pair_id, exp, now);
    let answered =
        match store.refresh_access_token(&refresh.jti, now, lifetimes.refresh_retry_grace_secs, &access).await? {
            Rotation::Issued => access,
            // Ed25519 signatures are deterministic: re-signing the same claims gives the same token.
            Rotation::Repeated(earlier) => earlier,
            Rotation::Refused(why) => return Ok(Err(why)),
        };
    Ok(Ok(IssuedAccess {
        access_token: keys.sign(&AccessClaims {
            cnf: binding.cloned(),
            ..claims_for(consent, &answered.jti, answered.created_at, answered.expires_at)
        }),
        access_expires_at: answered.expires_at,
    }))
}

/// Checks a bearer token for an information API call of the provider `org_code` that came without
/// a client certificate: a token bound to a certificate is refused.
pub async fn authenticate(store: &dyn Store, keys: &KeyRing, org_code: &str, bearer: &str) -> Result<Grant, ApiError> {
    authenticate_presented(store, keys, org_code, bearer, None).await
}

/// [`authenticate`] for a call whose connection presented the certificate with thumbprint
/// `presented` (`x5t#S256`): a bound token must be presented with its own certificate (RFC 8705 §3).
pub async fn authenticate_presented(
    store: &dyn Store,
    keys: &KeyRing,
    org_code: &str,
    bearer: &str,
    presented: Option<&str>,
) -> Result<Grant, ApiError> {
    let invalid = |why: &str| ApiError::with(RspCode::InvalidToken, why);
    let claims = match keys.verify(bearer) {
        Some(claims) => claims,
        None if keys.knows(bearer) || !shaped_like_ours(bearer) => return Err(invalid("token signature or expiry")),
        None => {
            // Perhaps signed by a key another instance sharing the store has added since.
            keys.reload_on_demand(store).await?;
            keys.verify(bearer).ok_or_else(|| invalid("token signature or expiry"))?
        }
    };
    if claims.iss != org_code {
        return Err(invalid("token of another institution"));
    }
    if let Some(bound) = &claims.cnf
        && presented != Some(bound.x5t_s256.as_str())
    {
        return Err(invalid("token is bound to another client certificate"));
    }
    let (record, consent) = store.access_grant(&claims.jti).await?.ok_or_else(|| invalid("unknown token"))?;
    if record.kind != TokenKind::Access || record.status != TokenStatus::Active {
        return Err(invalid("token is not a live access token"));
    }
    if consent.consent_id != claims.consent_id {
        return Err(invalid("token of another consent"));
    }
    match consent.check_active(mydata_spec::time::korean_date(Utc::now())) {
        Ok(()) => {}
        Err(ConsentError::Revoked) => return Err(invalid("consent revoked")),
        Err(ConsentError::Ended(_)) => return Err(ApiError::new(RspCode::ConsentEnded)),
    }
    Ok(Grant { client_id: record.client_id, consent })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mydata_store::AuthorizationStore;
    use mydata_store::testing::TestDatabase;

    fn claims(jti: &str, exp: i64) -> AccessClaims {
        AccessClaims {
            iss: "BANK000001".into(),
            aud: "client-1".into(),
            jti: jti.into(),
            iat: exp - 60,
            exp,
            scope: "bank.list".into(),
            consent_id: "consent-1".into(),
            cnf: None,
        }
    }

    #[test]
    fn tokens_end_at_the_korean_end_of_the_consents_last_day() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        // 2026-12-31 23:59:59 KST is 14:59:59 UTC.
        assert_eq!(end_of_day(day), 1_798_729_199);
        assert_eq!(
            chrono::DateTime::from_timestamp(end_of_day(day), 0).unwrap().to_rfc3339(),
            "2026-12-31T14:59:59+00:00"
        );
    }

    #[tokio::test]
    async fn a_refresh_token_lives_until_its_consent_ends_even_a_year_away() {
        let db = TestDatabase::new(mydata_store::Backend::Sqlite).await;
        let store = db.open().await.unwrap();
        let keys = KeyRing::open(&store).await.unwrap();
        let now = Utc::now().timestamp();
        let today = mydata_spec::time::korean_date(Utc::now());
        let end = today + chrono::Days::new(365);
        let consent = mydata_domain::Consent {
            consent_id: "c1".into(),
            org_code: "BANK000001".into(),
            customer_id: "cust".into(),
            client_id: "client".into(),
            scopes: "bank.list".parse().unwrap(),
            assets: Default::default(),
            is_scheduled: false,
            fnd_cycle: None,
            add_cycle: None,
            end_date: end,
            purpose: "p".into(),
            period: end,
            options: Default::default(),
            status: mydata_domain::ConsentStatus::Active,
            created_at: now,
        };
        let pair = prepare_pair(&keys, &consent, Lifetimes::default(), now);
        assert_eq!(pair.issued.refresh_expires_at, end_of_day(end), "not a day early");
        assert!(pair.issued.access_expires_at <= now + 90 * 86_400);
    }

    #[tokio::test]
    async fn only_tokens_shaped_like_ours_make_keys_be_reread_and_a_no_op_reread_keeps_what_was_verified() {
        let db = TestDatabase::new(mydata_store::Backend::Sqlite).await;
        let store = db.open().await.unwrap();
        let keys = KeyRing::open(&store).await.unwrap();
        let now = Utc::now().timestamp();
        let live = keys.sign(&claims("live", now + 3600));
        assert!(keys.verify(&live).is_some());

        // Another instance sharing the store adds a key and signs with it.
        let signed_by_new_key = |created_at: i64| {
            let store = &store;
            async move {
                store.insert_signing_key(&generate_key(created_at)).await.unwrap();
                KeyRing::open(store).await.unwrap().sign(&claims("other", now + 3600))
            }
        };
        let other = signed_by_new_key(now + 10).await;
        for garbage in ["not a token", "eyJhbGciOiJIUzI1NiIsImtpZCI6IngifQ.e30.c2ln", &live.replace('.', "")] {
            keys.learn_key_of(&store, garbage).await.unwrap();
            assert!(!keys.knows(&other), "{garbage:?} made the keys be read again");
        }
        keys.learn_key_of(&store, &other).await.unwrap();
        assert!(keys.knows(&other), "a token of a key another instance added is learnt");
        assert!(keys.verified.get(&live).is_some(), "a reread that removed nothing keeps the verified tokens");

        // A burst of unknown key IDs rereads at most once per interval.
        let third = signed_by_new_key(now + 20).await;
        keys.learn_key_of(&store, &third).await.unwrap();
        assert!(!keys.knows(&third), "within the interval nothing is reread");
        tokio::time::sleep(RELOAD_INTERVAL + std::time::Duration::from_millis(20)).await;
        keys.learn_key_of(&store, &third).await.unwrap();
        assert!(keys.knows(&third));
    }

    #[tokio::test]
    async fn a_verified_token_is_remembered_but_its_expiry_is_checked_on_every_use() {
        let db = TestDatabase::new(mydata_store::Backend::Sqlite).await;
        let store = db.open().await.unwrap();
        let keys = KeyRing::open(&store).await.unwrap();
        let now = Utc::now().timestamp();

        let live = keys.sign(&claims("live", now + 3600));
        assert_eq!(keys.verify(&live).as_deref(), Some(&claims("live", now + 3600)));
        assert_eq!(
            keys.verify(&live).as_deref(),
            Some(&claims("live", now + 3600)),
            "the remembered answer is the same"
        );

        let expired = keys.sign(&claims("expired", now - 1));
        assert!(keys.verify_signature(&expired).is_some(), "revocation accepts an expired token");
        assert_eq!(keys.verify(&expired), None, "a remembered signature does not outlive the token");

        let (unsigned, signature) = live.rsplit_once('.').unwrap();
        let forged = format!("{unsigned}.{}", signature.chars().rev().collect::<String>());
        assert_eq!(keys.verify(&forged), None);
        assert_eq!(keys.verify("not a token"), None);
    }
}
