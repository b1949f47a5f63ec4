//! [`AuthorizationStore`] on SQL: consents, tokens, signing keys and the per-call access grant; the
//! multi-statement flows (sessions, codes, refresh, revocation) are in `auth_flows`.

use super::*;
use mydata_domain::{ConsentAssets, ConsentOptions, ConsentStatus, ScopeSet};
use mydata_spec::AssetId;
use std::str::FromStr;

pub(super) fn token_kind_text(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Access => "access",
        TokenKind::Refresh => "refresh",
    }
}

pub(super) fn token_status_text(status: TokenStatus) -> &'static str {
    match status {
        TokenStatus::Active => "active",
        TokenStatus::Rotated => "rotated",
        TokenStatus::Revoked => "revoked",
    }
}

pub(super) fn token_from(row: &AnyRow) -> StoreResult<TokenRecord> {
    token_with_prefix(row, "")
}

/// A token whose columns carry `prefix` (`token_` where a join also selects a consent's columns).
fn token_with_prefix(row: &AnyRow, prefix: &str) -> StoreResult<TokenRecord> {
    let column = |name: &str| format!("{prefix}{name}");
    let kind: String = row.try_get(column("kind").as_str())?;
    let status: String = row.try_get(column("status").as_str())?;
    Ok(TokenRecord {
        jti: row.try_get(column("jti").as_str())?,
        consent_id: row.try_get(column("consent_id").as_str())?,
        client_id: row.try_get(column("client_id").as_str())?,
        kind: match kind.as_str() {
            "access" => TokenKind::Access,
            "refresh" => TokenKind::Refresh,
            _ => return Err(StoreError::Corrupt(format!("token kind {kind:?}"))),
        },
        pair_id: row.try_get(column("pair_id").as_str())?,
        status: match status.as_str() {
            "active" => TokenStatus::Active,
            "rotated" => TokenStatus::Rotated,
            "revoked" => TokenStatus::Revoked,
            _ => return Err(StoreError::Corrupt(format!("token status {status:?}"))),
        },
        expires_at: row.try_get(column("expires_at").as_str())?,
        created_at: row.try_get(column("created_at").as_str())?,
    })
}

/// A token with its consent and the consent's assets — the provider's per-call authentication in
/// one round trip and one row (every row of a result is a hand-off between threads in sqlx's SQLite
/// driver): the assets come joined by U+001F, which no asset key (aN, 첨부2) contains.
fn access_grant_query(join_assets: &str) -> String {
    let consent: Vec<String> = CONSENT_COLUMNS.split(',').map(|c| format!("c.{}", c.trim())).collect();
    let token: Vec<String> =
        ["jti", "consent_id", "client_id", "kind", "pair_id", "status", "expires_at", "created_at"]
            .iter()
            .map(|c| format!("t.{c} AS token_{c}"))
            .collect();
    format!(
        "SELECT {}, {}, (SELECT {join_assets} FROM consent_assets a WHERE a.consent_id = t.consent_id) \
           AS consented_assets \
         FROM tokens t JOIN consents c ON c.consent_id = t.consent_id WHERE t.jti = $1",
        consent.join(", "),
        token.join(", ")
    )
}

static ACCESS_GRANT_SQLITE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| access_grant_query("group_concat(a.list_api || char(30) || a.asset_key, char(31))"));
static ACCESS_GRANT_POSTGRES: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| access_grant_query("string_agg(a.list_api || chr(30) || a.asset_key, chr(31))"));

pub(super) const CONSENT_COLUMNS: &str = "consent_id, org_code, customer_id, client_id, scopes, is_scheduled, fnd_cycle, add_cycle, \
     end_date, purpose, period, consent_trans_memo, consent_merchant_name_regno, consent_trans_category, status, created_at";

impl SqlStore {
    async fn read_access_grant(&self, jti: &str) -> StoreResult<Option<(TokenRecord, Consent)>> {
        let query = match self.backend {
            Backend::Sqlite => ACCESS_GRANT_SQLITE.as_str(),
            Backend::Postgres => ACCESS_GRANT_POSTGRES.as_str(),
        };
        let Some(row) = sqlx::query(query).bind(jti).fetch_optional(&self.pool).await? else { return Ok(None) };
        let joined: Option<String> = row.try_get("consented_assets")?;
        let assets = joined
            .iter()
            .flat_map(|j| j.split('\u{1f}'))
            .map(|asset| {
                let (list, key) = asset.split_once('\u{1e}').unwrap_or(("", asset));
                consented_asset(list, key)
            })
            .collect::<StoreResult<ConsentAssets>>()?;
        Ok(Some((token_with_prefix(&row, "token_")?, consent_with_assets(&row, assets)?)))
    }

    async fn consent_from(&self, row: &AnyRow) -> StoreResult<Consent> {
        let consent_id: String = row.try_get("consent_id")?;
        let assets = sqlx::query("SELECT list_api, asset_key FROM consent_assets WHERE consent_id = $1")
            .bind(&consent_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| consented_asset(&r.try_get::<String, _>("list_api")?, r.try_get::<String, _>("asset_key")?))
            .collect::<StoreResult<ConsentAssets>>()?;
        consent_with_assets(row, assets)
    }
}

/// A consented asset as stored: its list's API ID and its key.
fn consented_asset(list: &str, key: impl Into<String>) -> StoreResult<AssetId> {
    AssetId::of(list, key).map_err(|e| StoreError::Corrupt(format!("consented asset: {e}")))
}

/// A consent from its row ([`CONSENT_COLUMNS`]) and its assets.
fn consent_with_assets(row: &AnyRow, assets: ConsentAssets) -> StoreResult<Consent> {
    let consent_id: String = row.try_get("consent_id")?;
    let scopes: String = row.try_get("scopes")?;
    let status: String = row.try_get("status")?;
    let end_date: String = row.try_get("end_date")?;
    let period: String = row.try_get("period")?;
    Ok(Consent {
        scopes: ScopeSet::from_str(&scopes).map_err(|e| StoreError::Corrupt(format!("consent scopes: {e}")))?,
        status: ConsentStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("consent status {status:?}")))?,
        end_date: parse_date(&end_date, "consent end_date")?,
        period: parse_date(&period, "consent period")?,
        org_code: row.try_get("org_code")?,
        customer_id: row.try_get("customer_id")?,
        client_id: row.try_get("client_id")?,
        is_scheduled: row.try_get::<i64, _>("is_scheduled")? != 0,
        fnd_cycle: row.try_get("fnd_cycle")?,
        add_cycle: row.try_get("add_cycle")?,
        purpose: row.try_get("purpose")?,
        options: ConsentOptions {
            trans_memo: row.try_get::<i64, _>("consent_trans_memo")? != 0,
            merchant_name_regno: row.try_get::<i64, _>("consent_merchant_name_regno")? != 0,
            trans_category: row.try_get::<i64, _>("consent_trans_category")? != 0,
        },
        created_at: row.try_get("created_at")?,
        assets,
        consent_id,
    })
}

#[async_trait]
impl AuthorizationStore for SqlStore {
    async fn insert_consent(&self, c: &Consent) -> StoreResult<()> {
        self.writing_grants(async {
            let mut tx = self.begin_write().await?;
            super::auth_flows::write_consent(&mut tx, c).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn consent(&self, consent_id: &str) -> StoreResult<Option<Consent>> {
        let row = sqlx::query(&format!("SELECT {CONSENT_COLUMNS} FROM consents WHERE consent_id = $1"))
            .bind(consent_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.consent_from(&row).await?)),
            None => Ok(None),
        }
    }

    async fn revoke_consent(&self, consent_id: &str) -> StoreResult<bool> {
        self.writing_grants(async {
            let done = sqlx::query(
                "UPDATE consents SET status = 'revoked', revoked_at = $2, revocation = 'withdrawn' \
                 WHERE consent_id = $1 AND status = 'active'",
            )
            .bind(consent_id)
            .bind(chrono::Utc::now().timestamp())
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn consents_of_customer(&self, org_code: &str, customer_id: &str) -> StoreResult<Vec<Consent>> {
        let rows = sqlx::query(&format!(
            "SELECT {CONSENT_COLUMNS} FROM consents WHERE org_code = $1 AND customer_id = $2 \
             ORDER BY created_at DESC, consent_id"
        ))
        .bind(org_code)
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        let mut consents = Vec::with_capacity(rows.len());
        for row in &rows {
            consents.push(self.consent_from(row).await?);
        }
        Ok(consents)
    }

    async fn consent_counts(&self, org_code: &str, from: i64, to: i64, day: &str) -> StoreResult<Vec<ConsentCounts>> {
        self.auth_consent_counts(org_code, from, to, day).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        let rows = sqlx::query("SELECT * FROM signing_keys ORDER BY created_at, kid").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(SigningKey {
                    kid: row.try_get("kid")?,
                    algorithm: row.try_get("algorithm")?,
                    private_pkcs8: row.try_get("private_pkcs8")?,
                    public_key: row.try_get("public_key")?,
                    created_at: row.try_get("created_at")?,
                    retired_at: row.try_get("retired_at")?,
                })
            })
            .collect()
    }

    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, private_pkcs8, public_key, created_at, retired_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key.kid)
        .bind(&key.algorithm)
        .bind(&key.private_pkcs8)
        .bind(&key.public_key)
        .bind(key.created_at)
        .bind(key.retired_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn retire_signing_keys_except(&self, keep_kid: &str, at: i64) -> StoreResult<u64> {
        self.auth_retire_keys(keep_kid, at).await
    }

    async fn insert_tokens(&self, tokens: &[TokenRecord]) -> StoreResult<()> {
        self.writing_grants(async {
            let mut tx = self.begin_write().await?;
            super::auth_flows::write_tokens(&mut tx, tokens).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn token(&self, jti: &str) -> StoreResult<Option<TokenRecord>> {
        let row = sqlx::query("SELECT * FROM tokens WHERE jti = $1").bind(jti).fetch_optional(&self.pool).await?;
        row.as_ref().map(token_from).transpose()
    }

    async fn access_grant(&self, jti: &str) -> StoreResult<Option<(TokenRecord, Consent)>> {
        if let Some(cached) = self.grants.get(jti) {
            return Ok(Some(cached));
        }
        let ticket = self.grants.ticket();
        let read = self.read_access_grant(jti).await?;
        if let Some(grant) = &read {
            self.grants.put(jti, grant, ticket);
        }
        Ok(read)
    }

    async fn revoke_tokens_of_consent(&self, consent_id: &str) -> StoreResult<u64> {
        self.writing_grants(async {
            let done = sqlx::query("UPDATE tokens SET status = 'revoked' WHERE consent_id = $1 AND status = 'active'")
                .bind(consent_id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected())
        })
        .await
    }

    async fn live_tokens_of_consent(&self, consent_id: &str) -> StoreResult<Vec<TokenRecord>> {
        self.auth_live_tokens_of_consent(consent_id).await
    }

    async fn insert_auth_session(&self, session: &AuthSession) -> StoreResult<()> {
        self.auth_insert_session(session).await
    }

    async fn auth_session(&self, session_digest: &str) -> StoreResult<Option<AuthSession>> {
        self.auth_session_by_digest(session_digest).await
    }

    async fn sign_in_auth_session(
        &self,
        session_digest: &str,
        customer_id: &str,
        browser_digest: &str,
        now: i64,
    ) -> StoreResult<bool> {
        self.auth_sign_in(session_digest, customer_id, browser_digest, now).await
    }

    async fn close_auth_session(&self, session_digest: &str, now: i64) -> StoreResult<bool> {
        self.auth_close_session(session_digest, now).await
    }

    async fn purge_auth_sessions(&self, before: i64) -> StoreResult<u64> {
        self.auth_purge_sessions(before).await
    }

    async fn record_consent(
        &self,
        record: &ConsentRecord<'_>,
        now: i64,
    ) -> StoreResult<Result<(), ConsentRecordRefusal>> {
        self.writing_grants(async { self.auth_record_consent(record, now).await }).await
    }

    async fn authorization_code(&self, code_digest: &str) -> StoreResult<Option<AuthorizationCode>> {
        self.auth_code(code_digest).await
    }

    async fn redeem_authorization_code(
        &self,
        code_digest: &str,
        now: i64,
        tokens: &[TokenRecord],
    ) -> StoreResult<Redemption> {
        self.writing_grants(async { self.auth_redeem_code(code_digest, now, tokens).await }).await
    }

    async fn refresh_access_token(
        &self,
        refresh_jti: &str,
        now: i64,
        grace_secs: i64,
        new_access: &TokenRecord,
    ) -> StoreResult<Rotation> {
        self.writing_grants(async { self.auth_refresh(refresh_jti, now, grace_secs, new_access).await }).await
    }

    async fn revoke_consent_and_tokens(&self, consent_id: &str) -> StoreResult<bool> {
        self.writing_grants(async { self.auth_revoke_consent(consent_id).await }).await
    }

    async fn upsert_certificate_authority(&self, ca: &CertificateAuthority) -> StoreResult<()> {
        self.auth_upsert_ca(ca).await
    }

    async fn certificate_authority(&self, ca_code: &str) -> StoreResult<Option<CertificateAuthority>> {
        self.auth_ca(ca_code).await
    }
}
