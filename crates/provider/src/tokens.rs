//! Access tokens as signed JWTs (JWS, ch.2.2) with keys kept in the store, and the checks every
//! information API call makes: signature, expiry, the token's own record, and its consent.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{NaiveDate, Utc};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mydata_domain::{Consent, ConsentError, ScopeSet};
use mydata_spec::RspCode;
use mydata_store::{SigningKey, Store, StoreError, TokenKind, TokenRecord, TokenStatus};
use mydata_web::ApiError;
use serde::{Deserialize, Serialize};
use std::sync::RwLock;

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
}

struct LoadedKey {
    kid: String,
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

/// The keys of one server, loaded from the store; several servers sharing a store share keys.
pub struct KeyRing {
    keys: RwLock<Vec<LoadedKey>>,
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
        Ok(KeyRing { keys: RwLock::new(keys) })
    }

    /// Re-reads the store, picking up keys another instance added or retired.
    pub async fn reload(&self, store: &dyn Store) -> Result<(), StoreError> {
        let keys = store.signing_keys().await?.iter().map(load).collect::<Result<Vec<_>, _>>()?;
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        Ok(())
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
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let key = keys.iter().find(|k| k.kid == kid)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "jti"]);
        jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation).ok().map(|d| d.claims)
    }

    pub fn knows(&self, token: &str) -> bool {
        let Some(kid) = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid) else { return false };
        self.keys.read().unwrap_or_else(|e| e.into_inner()).iter().any(|k| k.kid == kid)
    }
}

/// What a verified access token lets its bearer do.
#[derive(Debug, Clone)]
pub struct Grant {
    pub consent: Consent,
    pub scopes: ScopeSet,
    pub client_id: String,
}

/// Token lifetimes (ch.2.2: access at most 90 days, refresh at most one year).
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub access_secs: i64,
    pub refresh_secs: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes { access_secs: 90 * 86_400, refresh_secs: 365 * 86_400 }
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

fn end_of_day(date: NaiveDate) -> i64 {
    date.and_hms_opt(23, 59, 59).map(|t| t.and_utc().timestamp()).unwrap_or(i64::MAX)
}

/// Issues a new access/refresh pair for `consent`, never outliving the consent's end date.
pub async fn issue_pair(
    store: &dyn Store,
    keys: &KeyRing,
    consent: &Consent,
    lifetimes: Lifetimes,
    now: i64,
) -> Result<IssuedPair, StoreError> {
    let pair_id = uuid::Uuid::new_v4().simple().to_string();
    let consent_end = end_of_day(consent.end_date);
    let access_exp = (now + lifetimes.access_secs).min(consent_end);
    let refresh_exp = (now + lifetimes.refresh_secs).min(consent_end);
    let claims = |jti: &str, exp: i64| AccessClaims {
        iss: consent.org_code.clone(),
        aud: consent.client_id.clone(),
        jti: jti.to_owned(),
        iat: now,
        exp,
        scope: consent.scopes.to_string(),
        consent_id: consent.consent_id.clone(),
    };
    let access_jti = uuid::Uuid::new_v4().simple().to_string();
    let refresh_jti = uuid::Uuid::new_v4().simple().to_string();
    let record = |jti: &str, kind, exp| TokenRecord {
        jti: jti.to_owned(),
        consent_id: consent.consent_id.clone(),
        client_id: consent.client_id.clone(),
        kind,
        pair_id: pair_id.clone(),
        status: TokenStatus::Active,
        expires_at: exp,
        created_at: now,
    };
    store
        .insert_tokens(&[
            record(&access_jti, TokenKind::Access, access_exp),
            record(&refresh_jti, TokenKind::Refresh, refresh_exp),
        ])
        .await?;
    Ok(IssuedPair {
        access_token: keys.sign(&claims(&access_jti, access_exp)),
        access_expires_at: access_exp,
        refresh_token: keys.sign(&claims(&refresh_jti, refresh_exp)),
        refresh_expires_at: refresh_exp,
        pair_id,
    })
}

/// Checks a bearer token for an information API call of the provider `org_code`.
pub async fn authenticate(store: &dyn Store, keys: &KeyRing, org_code: &str, bearer: &str) -> Result<Grant, ApiError> {
    let invalid = |why: &str| ApiError::with(RspCode::InvalidToken, why);
    if !keys.knows(bearer) {
        // A key added by another instance sharing the store.
        keys.reload(store).await?;
    }
    let claims = keys.verify(bearer).ok_or_else(|| invalid("token signature or expiry"))?;
    if claims.iss != org_code {
        return Err(invalid("token of another institution"));
    }
    let record = store.token(&claims.jti).await?.ok_or_else(|| invalid("unknown token"))?;
    if record.kind != TokenKind::Access || record.status != TokenStatus::Active {
        return Err(invalid("token is not a live access token"));
    }
    let consent = store.consent(&claims.consent_id).await?.ok_or_else(|| invalid("unknown consent"))?;
    match consent.check_active(Utc::now().date_naive()) {
        Ok(()) => {}
        Err(ConsentError::Revoked) => return Err(invalid("consent revoked")),
        Err(ConsentError::Ended(_)) => return Err(ApiError::new(RspCode::ConsentEnded)),
    }
    Ok(Grant { scopes: consent.scopes.clone(), client_id: record.client_id, consent })
}
