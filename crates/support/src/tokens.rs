//! `manage` access tokens of the support APIs (ch.2.2): JWS (HS256) with iss/aud/jti/iat/exp/scope,
//! no refresh token, at most one year. Both the portal (지원-001) and each participant (지원-101)
//! issue them; the key is kept in the store so every instance and restart verifies the same tokens.

use base64::Engine as _;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mydata_spec::catalogue::MANAGE_SCOPE;
use mydata_store::{Store, StoreResult};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The standard's maximum for support tokens (ch.2.2, 접근토큰 유효기간).
pub const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);
/// What we issue: long enough that callers rarely ask, short enough that a leaked token dies.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

const KEY_SETTING: &str = "support-token-hs256-key";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SupportClaims {
    /// The issuing institution's org_code.
    pub iss: String,
    /// The org_code of the institution the token was issued to.
    pub aud: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub scope: String,
}

/// Issues and verifies the support tokens of one institution.
#[derive(Clone)]
pub struct SupportTokens {
    issuer: String,
    lifetime: Duration,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for SupportTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupportTokens").field("issuer", &self.issuer).field("lifetime", &self.lifetime).finish()
    }
}

impl SupportTokens {
    /// Loads (creating on first use) the signing key from the store.
    pub async fn open(store: &dyn Store, issuer: &str, lifetime: Duration) -> StoreResult<SupportTokens> {
        let mut fresh = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut fresh);
        let candidate = base64::engine::general_purpose::STANDARD.encode(fresh);
        let key = store.support_setting_or_insert(KEY_SETTING, &candidate).await?;
        Ok(SupportTokens {
            issuer: issuer.to_owned(),
            lifetime: lifetime.min(MAX_LIFETIME),
            encoding: EncodingKey::from_secret(key.as_bytes()),
            decoding: DecodingKey::from_secret(key.as_bytes()),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// A token for the institution `audience`.
    pub fn issue(&self, audience: &str) -> String {
        let now = Utc::now().timestamp();
        let claims = SupportClaims {
            iss: self.issuer.clone(),
            aud: audience.to_owned(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iat: now,
            exp: now + self.lifetime.as_secs() as i64,
            scope: MANAGE_SCOPE.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of JSON claims cannot fail")
    }

    /// The claims of a valid, unexpired token this institution issued; `None` otherwise.
    pub fn verify(&self, token: &str) -> Option<SupportClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "jti"]);
        jsonwebtoken::decode::<SupportClaims>(token, &self.decoding, &validation).ok().map(|d| d.claims)
    }
}
