//! The authorization server's part of [`SqlStore`]: sessions, codes, consent replacement, refresh
//! rotation and revocation. Every change that must be all-or-nothing runs in one transaction whose
//! first statement writes, so that SQLite takes its write lock at once and PostgreSQL locks the
//! consent row: a refresh, a redemption and a revocation of the same consent never interleave.

use super::authorization::{CONSENT_COLUMNS, token_from, token_kind_text, token_status_text};
use crate::*;
use chrono::{DateTime, NaiveDate};
use mydata_domain::Consent;
use mydata_domain::token::{RefreshDecision, RefreshFacts, decide_refresh};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Inserts a consent and its assets; Conflict if the id exists.
pub(super) async fn write_consent(conn: &mut AnyConnection, c: &Consent) -> StoreResult<()> {
    let exists = sqlx::query("SELECT 1 FROM consents WHERE consent_id = $1")
        .bind(&c.consent_id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_some() {
        return Err(StoreError::Conflict(format!("consent {}", c.consent_id)));
    }
    sqlx::query(&format!(
        "INSERT INTO consents ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        CONSENT_COLUMNS
    ))
    .bind(&c.consent_id)
    .bind(&c.org_code)
    .bind(&c.customer_id)
    .bind(&c.client_id)
    .bind(c.scopes.to_string())
    .bind(c.is_scheduled as i64)
    .bind(c.fnd_cycle.clone())
    .bind(c.add_cycle.clone())
    .bind(c.end_date.format("%Y%m%d").to_string())
    .bind(&c.purpose)
    .bind(c.period.format("%Y%m%d").to_string())
    .bind(c.options.trans_memo as i64)
    .bind(c.options.merchant_name_regno as i64)
    .bind(c.options.trans_category as i64)
    .bind(c.status.as_str())
    .bind(c.created_at)
    .execute(&mut *conn)
    .await?;
    for asset in c.assets.iter() {
        sqlx::query("INSERT INTO consent_assets (consent_id, list_api, asset_key) VALUES ($1, $2, $3)")
            .bind(&c.consent_id)
            .bind(asset.list_id())
            .bind(&asset.key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn write_tokens(conn: &mut AnyConnection, tokens: &[TokenRecord]) -> StoreResult<()> {
    for t in tokens {
        sqlx::query(
            "INSERT INTO tokens (jti, consent_id, client_id, kind, pair_id, status, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&t.jti)
        .bind(&t.consent_id)
        .bind(&t.client_id)
        .bind(token_kind_text(t.kind))
        .bind(&t.pair_id)
        .bind(token_status_text(t.status))
        .bind(t.expires_at)
        .bind(t.created_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn session_from(row: &AnyRow) -> StoreResult<AuthSession> {
    Ok(AuthSession {
        session_digest: row.try_get("session_digest")?,
        org_code: row.try_get("org_code")?,
        client_id: row.try_get("client_id")?,
        redirect_uri: row.try_get("redirect_uri")?,
        state: row.try_get("state")?,
        app_scheme: row.try_get("app_scheme")?,
        tran_id: row.try_get("tran_id")?,
        user_ci: row.try_get("user_ci")?,
        customer_id: row.try_get("customer_id")?,
        browser_digest: row.try_get("browser_digest")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

fn code_from(row: &AnyRow) -> StoreResult<AuthorizationCode> {
    Ok(AuthorizationCode {
        code_digest: row.try_get("code_digest")?,
        consent_id: row.try_get("consent_id")?,
        client_id: row.try_get("client_id")?,
        redirect_uri: row.try_get("redirect_uri")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        redeemed_at: row.try_get("redeemed_at")?,
        pair_id: row.try_get("pair_id")?,
    })
}

/// Takes the consent's row lock (PostgreSQL) or the database write lock (SQLite) and says whether
/// the consent is active and not past its end date at `now`.
async fn lock_consent(conn: &mut AnyConnection, consent_id: &str, now: i64) -> StoreResult<bool> {
    sqlx::query("UPDATE consents SET status = status WHERE consent_id = $1")
        .bind(consent_id)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query("SELECT status, end_date FROM consents WHERE consent_id = $1")
        .bind(consent_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(false) };
    let status: String = row.try_get("status")?;
    let end_date: String = row.try_get("end_date")?;
    let end = NaiveDate::parse_from_str(&end_date, "%Y%m%d")
        .map_err(|e| StoreError::Corrupt(format!("consent end_date {end_date:?}: {e}")))?;
    let today = DateTime::from_timestamp(now, 0).map(|t| t.date_naive()).unwrap_or(NaiveDate::MAX);
    Ok(status == "active" && today <= end)
}

/// The customer withdraws the consent (개별인증-004): revoked now, as 지원-005's consent_revoke counts.
async fn revoke_consent_rows(conn: &mut AnyConnection, consent_id: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE consents SET status = 'revoked', revoked_at = $2, revocation = 'withdrawn' \
         WHERE consent_id = $1 AND status = 'active'",
    )
    .bind(consent_id)
    .bind(chrono::Utc::now().timestamp())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE tokens SET status = 'revoked' WHERE consent_id = $1 AND status <> 'revoked'")
        .bind(consent_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

impl SqlStore {
    pub(super) async fn auth_insert_session(&self, s: &AuthSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_sessions (session_digest, org_code, client_id, redirect_uri, state, app_scheme, tran_id, \
             user_ci, customer_id, browser_digest, created_at, expires_at, closed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&s.session_digest)
        .bind(&s.org_code)
        .bind(&s.client_id)
        .bind(&s.redirect_uri)
        .bind(&s.state)
        .bind(&s.app_scheme)
        .bind(&s.tran_id)
        .bind(&s.user_ci)
        .bind(s.customer_id.clone())
        .bind(s.browser_digest.clone())
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(s.closed_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub(super) async fn auth_session_by_digest(&self, digest: &str) -> StoreResult<Option<AuthSession>> {
        let row = sqlx::query("SELECT * FROM auth_sessions WHERE session_digest = $1")
            .bind(digest)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(session_from).transpose()
    }

    pub(super) async fn auth_sign_in(
        &self,
        digest: &str,
        customer_id: &str,
        browser: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE auth_sessions SET customer_id = $2, browser_digest = $3 WHERE session_digest = $1 \
             AND customer_id IS NULL AND closed_at IS NULL AND expires_at > $4",
        )
        .bind(digest)
        .bind(customer_id)
        .bind(browser)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn auth_close_session(&self, digest: &str, now: i64) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE auth_sessions SET closed_at = $2 WHERE session_digest = $1 AND closed_at IS NULL")
                .bind(digest)
                .bind(now)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn auth_purge_sessions(&self, before: i64) -> StoreResult<u64> {
        let done =
            sqlx::query("DELETE FROM auth_sessions WHERE expires_at < $1").bind(before).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }

    pub(super) async fn auth_record_consent(
        &self,
        record: &ConsentRecord<'_>,
        now: i64,
    ) -> StoreResult<Result<(), ConsentRecordRefusal>> {
        let c = record.consent;
        let mut tx = self.begin_write().await?;
        if let Some(session) = record.closes_session {
            let closed = sqlx::query(
                "UPDATE auth_sessions SET closed_at = $2 WHERE session_digest = $1 AND closed_at IS NULL \
                 AND expires_at > $2",
            )
            .bind(session)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if closed.rows_affected() != 1 {
                return Ok(Err(ConsentRecordRefusal::SessionClosed));
            }
        }
        for (ca_code, nonce) in record.nonces {
            let fresh = sqlx::query(
                "INSERT INTO used_nonces (ca_code, nonce, used_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (ca_code, nonce) DO NOTHING",
            )
            .bind(*ca_code)
            .bind(*nonce)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if fresh.rows_affected() != 1 {
                return Ok(Err(ConsentRecordRefusal::NonceReplayed));
            }
        }
        // The new consent replaces every earlier one of this customer with this client here. Consents before tokens:
        // every transaction here locks in that order, so none can deadlock another.
        sqlx::query(
            "UPDATE consents SET status = 'revoked', revoked_at = $4, revocation = 'replaced' \
             WHERE org_code = $1 AND customer_id = $2 AND client_id = $3 AND status = 'active'",
        )
        .bind(&c.org_code)
        .bind(&c.customer_id)
        .bind(&c.client_id)
        .bind(c.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE tokens SET status = 'revoked' WHERE status <> 'revoked' AND consent_id IN \
             (SELECT consent_id FROM consents WHERE org_code = $1 AND customer_id = $2 AND client_id = $3)",
        )
        .bind(&c.org_code)
        .bind(&c.customer_id)
        .bind(&c.client_id)
        .execute(&mut *tx)
        .await?;
        write_consent(&mut tx, c).await?;
        if let Some(code) = record.code {
            sqlx::query(
                "INSERT INTO authorization_codes (code_digest, consent_id, client_id, redirect_uri, created_at, \
                 expires_at, redeemed_at, pair_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&code.code_digest)
            .bind(&code.consent_id)
            .bind(&code.client_id)
            .bind(&code.redirect_uri)
            .bind(code.created_at)
            .bind(code.expires_at)
            .bind(code.redeemed_at)
            .bind(code.pair_id.clone())
            .execute(&mut *tx)
            .await?;
        }
        write_tokens(&mut tx, record.tokens).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    pub(super) async fn auth_code(&self, digest: &str) -> StoreResult<Option<AuthorizationCode>> {
        let row = sqlx::query("SELECT * FROM authorization_codes WHERE code_digest = $1")
            .bind(digest)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(code_from).transpose()
    }

    pub(super) async fn auth_redeem_code(
        &self,
        digest: &str,
        now: i64,
        tokens: &[TokenRecord],
    ) -> StoreResult<Redemption> {
        let Some(code) = self.auth_code(digest).await? else { return Ok(Redemption::NoSuchCode) };
        let pair_id = tokens.first().map(|t| t.pair_id.clone());
        let mut tx = self.begin_write().await?;
        let usable = lock_consent(&mut tx, &code.consent_id, now).await?;
        let redeemed = sqlx::query(
            "UPDATE authorization_codes SET redeemed_at = $2, pair_id = $3 WHERE code_digest = $1 AND redeemed_at IS NULL",
        )
        .bind(digest)
        .bind(now)
        .bind(pair_id)
        .execute(&mut *tx)
        .await?;
        if redeemed.rows_affected() != 1 {
            // RFC 6749 4.1.2: a code used twice revokes what its first use issued.
            let first = sqlx::query("SELECT pair_id FROM authorization_codes WHERE code_digest = $1")
                .bind(digest)
                .fetch_one(&mut *tx)
                .await?;
            if let Some(pair) = first.try_get::<Option<String>, _>("pair_id")? {
                sqlx::query("UPDATE tokens SET status = 'revoked' WHERE pair_id = $1 AND status <> 'revoked'")
                    .bind(pair)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            return Ok(Redemption::AlreadyRedeemed);
        }
        if !usable {
            // Leave the code unredeemed: nothing of this attempt is kept.
            tx.rollback().await?;
            return Ok(Redemption::ConsentInactive);
        }
        write_tokens(&mut tx, tokens).await?;
        tx.commit().await?;
        Ok(Redemption::Issued)
    }

    pub(super) async fn auth_refresh(
        &self,
        refresh_jti: &str,
        now: i64,
        grace_secs: i64,
        new_access: &TokenRecord,
    ) -> StoreResult<Rotation> {
        let mut tx = self.begin_write().await?;
        let consent_usable = lock_consent(&mut tx, &new_access.consent_id, now).await?;
        let refresh = sqlx::query("SELECT * FROM tokens WHERE jti = $1 AND kind = 'refresh'")
            .bind(refresh_jti)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(token_from)
            .transpose()?
            .filter(|r| r.consent_id == new_access.consent_id)
            .ok_or_else(|| StoreError::Corrupt(format!("refresh token {refresh_jti} vanished")))?;
        let latest = sqlx::query(
            "SELECT g.access_jti, g.issued_at FROM refresh_grants g JOIN tokens t ON t.jti = g.access_jti \
             WHERE g.refresh_jti = $1 AND t.status = 'active' ORDER BY g.issued_at DESC LIMIT 1",
        )
        .bind(refresh_jti)
        .fetch_optional(&mut *tx)
        .await?;
        let latest_refresh_grant = match latest {
            Some(row) => Some((row.try_get::<String, _>("access_jti")?, row.try_get::<i64, _>("issued_at")?)),
            None => None,
        };
        let facts = RefreshFacts {
            refresh_live: refresh.status == TokenStatus::Active,
            refresh_expires_at: refresh.expires_at,
            consent_usable,
            latest_refresh_grant,
        };
        match decide_refresh(&facts, now, grace_secs) {
            RefreshDecision::Refuse(why) => {
                tx.rollback().await?;
                Ok(Rotation::Refused(why))
            }
            RefreshDecision::Repeat(jti) => {
                let row = sqlx::query("SELECT * FROM tokens WHERE jti = $1").bind(&jti).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(Rotation::Repeated(token_from(&row)?))
            }
            RefreshDecision::Issue => {
                sqlx::query(
                    "UPDATE tokens SET status = 'rotated' WHERE consent_id = $1 AND kind = 'access' AND status = 'active'",
                )
                .bind(&new_access.consent_id)
                .execute(&mut *tx)
                .await?;
                write_tokens(&mut tx, std::slice::from_ref(new_access)).await?;
                sqlx::query("INSERT INTO refresh_grants (access_jti, refresh_jti, issued_at) VALUES ($1, $2, $3)")
                    .bind(&new_access.jti)
                    .bind(refresh_jti)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Rotation::Issued)
            }
        }
    }

    pub(super) async fn auth_revoke_consent(&self, consent_id: &str) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let was_active = revoke_consent_rows(&mut tx, consent_id).await?;
        tx.commit().await?;
        Ok(was_active)
    }

    pub(super) async fn auth_consent_counts(
        &self,
        org_code: &str,
        from: i64,
        to: i64,
        day: &str,
    ) -> StoreResult<Vec<ConsentCounts>> {
        let new = sqlx::query(
            "SELECT client_id, COUNT(*) AS n FROM consents WHERE org_code = $1 AND created_at >= $2 \
             AND created_at < $3 GROUP BY client_id",
        )
        .bind(org_code)
        .bind(from)
        .bind(to);
        let revoked = sqlx::query(
            "SELECT client_id, COUNT(*) AS n FROM consents WHERE org_code = $1 AND revocation = 'withdrawn' \
             AND revoked_at >= $2 AND revoked_at < $3 GROUP BY client_id",
        )
        .bind(org_code)
        .bind(from)
        .bind(to);
        // Valid at the end of the day: given by then, not ended, neither withdrawn nor replaced by then
        // (a consent revoked before revocation times were kept counts as revoked for ever).
        let own = sqlx::query(
            "SELECT client_id, COUNT(*) AS n FROM consents WHERE org_code = $1 AND created_at < $2 \
             AND end_date >= $3 AND (status = 'active' OR revoked_at >= $2) GROUP BY client_id",
        )
        .bind(org_code)
        .bind(to)
        .bind(day);
        let mut counts: std::collections::BTreeMap<String, ConsentCounts> = Default::default();
        for (query, field) in [(new, 0), (revoked, 1), (own, 2)] {
            for row in query.fetch_all(self.pool()).await? {
                let client_id: String = row.try_get("client_id")?;
                let n: i64 = row.try_get("n")?;
                let entry = counts
                    .entry(client_id.clone())
                    .or_insert_with(|| ConsentCounts { client_id, ..Default::default() });
                *[&mut entry.new, &mut entry.revoked, &mut entry.own][field] = n;
            }
        }
        Ok(counts.into_values().collect())
    }

    pub(super) async fn auth_retire_keys(&self, keep_kid: &str, at: i64) -> StoreResult<u64> {
        let done = sqlx::query("UPDATE signing_keys SET retired_at = $2 WHERE kid <> $1 AND retired_at IS NULL")
            .bind(keep_kid)
            .bind(at)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    pub(super) async fn auth_live_tokens_of_consent(&self, consent_id: &str) -> StoreResult<Vec<TokenRecord>> {
        let rows =
            sqlx::query("SELECT * FROM tokens WHERE consent_id = $1 AND status = 'active' ORDER BY created_at, jti")
                .bind(consent_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(token_from).collect()
    }
}

impl SqlStore {
    pub(super) async fn auth_upsert_ca(&self, ca: &CertificateAuthority) -> StoreResult<()> {
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD.encode(&ca.certificate_der);
        sqlx::query(
            "INSERT INTO certificate_authorities (ca_code, certificate, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (ca_code) DO UPDATE SET certificate = excluded.certificate, updated_at = excluded.updated_at",
        )
        .bind(&ca.ca_code)
        .bind(der)
        .bind(ca.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub(super) async fn auth_ca(&self, ca_code: &str) -> StoreResult<Option<CertificateAuthority>> {
        use base64::Engine;
        let Some(row) = sqlx::query("SELECT * FROM certificate_authorities WHERE ca_code = $1")
            .bind(ca_code)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let text: String = row.try_get("certificate")?;
        let certificate_der = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| StoreError::Corrupt(format!("certificate of CA {ca_code}: {e}")))?;
        Ok(Some(CertificateAuthority {
            ca_code: row.try_get("ca_code")?,
            certificate_der,
            updated_at: row.try_get("updated_at")?,
        }))
    }
}
