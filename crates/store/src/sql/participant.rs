//! [`ParticipantStore`] on SQL.

use super::*;

#[async_trait]
impl ParticipantStore for SqlStore {
    async fn upsert_org(&self, org: &Org) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO orgs (org_code, org_name, industry, org_type, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_code) DO UPDATE SET org_name = excluded.org_name, industry = excluded.industry, \
             org_type = excluded.org_type, updated_at = excluded.updated_at",
        )
        .bind(&org.org_code)
        .bind(&org.org_name)
        .bind(&org.industry)
        .bind(&org.org_type)
        .bind(org.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn org(&self, org_code: &str) -> StoreResult<Option<Org>> {
        let row =
            sqlx::query("SELECT * FROM orgs WHERE org_code = $1").bind(org_code).fetch_optional(&self.pool).await?;
        row.as_ref().map(org_from).transpose()
    }

    async fn orgs(&self) -> StoreResult<Vec<Org>> {
        let rows = sqlx::query("SELECT * FROM orgs ORDER BY org_code").fetch_all(&self.pool).await?;
        rows.iter().map(org_from).collect()
    }

    async fn upsert_client(&self, client: &Client) -> StoreResult<()> {
        let list_text =
            |list: &Vec<String>| serde_json::to_string(list).map_err(|e| StoreError::Corrupt(e.to_string()));
        let uris = list_text(&client.redirect_uris)?;
        let app_schemes = client.app_schemes.as_ref().map(list_text).transpose()?;
        sqlx::query(
            "INSERT INTO clients (client_id, client_secret_hash, org_code, client_name, redirect_uris, app_schemes, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (client_id) DO UPDATE SET \
             client_secret_hash = excluded.client_secret_hash, org_code = excluded.org_code, \
             client_name = excluded.client_name, redirect_uris = excluded.redirect_uris, \
             app_schemes = excluded.app_schemes, updated_at = excluded.updated_at",
        )
        .bind(&client.client_id)
        .bind(&client.client_secret_hash)
        .bind(&client.org_code)
        .bind(&client.client_name)
        .bind(uris)
        .bind(app_schemes)
        .bind(client.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let Some(row) = sqlx::query("SELECT * FROM clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let uris: String = row.try_get("redirect_uris")?;
        let app_schemes: Option<String> = row.try_get("app_schemes")?;
        Ok(Some(Client {
            client_id: row.try_get("client_id")?,
            client_secret_hash: row.try_get("client_secret_hash")?,
            org_code: row.try_get("org_code")?,
            client_name: row.try_get("client_name")?,
            redirect_uris: text_list(&uris, "redirect_uris")?,
            app_schemes: app_schemes.map(|text| text_list(&text, "app_schemes")).transpose()?,
            updated_at: row.try_get("updated_at")?,
        }))
    }

    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        // A service the registry deleted (지원-003 `D`) keeps no live token, whether or not its callers'
        // certificates are checked; both in one transaction.
        self.writing_grants(async {
            let mut tx = self.begin_write().await?;
            let done =
                sqlx::query("DELETE FROM clients WHERE client_id = $1").bind(client_id).execute(&mut *tx).await?;
            sqlx::query("UPDATE tokens SET status = 'revoked' WHERE client_id = $1 AND status = 'active'")
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    async fn add_call_stats(&self, stats: &[CallStats]) -> StoreResult<()> {
        // Rows are locked in key order, the same in every process, so that two processes adding
        // to the same cells at once wait for each other instead of deadlocking (PostgreSQL).
        let mut cells: Vec<&CallStats> = stats.iter().collect();
        fn key(c: &CallStats) -> [&str; 6] {
            [&c.org_code, &c.client_id, &c.api_code, &c.stat_type, &c.stat_date, &c.tm_slot]
        }
        cells.sort_by(|a, b| key(a).cmp(&key(b)));
        let mut tx = self.begin_write().await?;
        for cell in cells {
            sqlx::query(
                "INSERT INTO api_call_stats (org_code, client_id, api_code, stat_type, stat_date, tm_slot, \
                 success_cnt, fail_cnt, rsp_total_ms, rsp_square_total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (org_code, client_id, api_code, stat_type, stat_date, tm_slot) DO UPDATE SET \
                 success_cnt = api_call_stats.success_cnt + excluded.success_cnt, \
                 fail_cnt = api_call_stats.fail_cnt + excluded.fail_cnt, \
                 rsp_total_ms = api_call_stats.rsp_total_ms + excluded.rsp_total_ms, \
                 rsp_square_total = api_call_stats.rsp_square_total + excluded.rsp_square_total",
            )
            .bind(&cell.org_code)
            .bind(&cell.client_id)
            .bind(&cell.api_code)
            .bind(&cell.stat_type)
            .bind(&cell.stat_date)
            .bind(&cell.tm_slot)
            .bind(cell.success_cnt)
            .bind(cell.fail_cnt)
            .bind(cell.rsp_total_ms)
            .bind(cell.rsp_square_total)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn call_stats(&self, org_code: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>> {
        self.select_call_stats("org_code", org_code, from, to).await
    }

    async fn call_stats_of_client(&self, client_id: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>> {
        self.select_call_stats("client_id", client_id, from, to).await
    }

    async fn upsert_registry_org(&self, org: &RegistryOrgRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO registry_orgs (org_code, org_type, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_code) DO UPDATE SET org_type = excluded.org_type, body = excluded.body, \
             updated_at = excluded.updated_at",
        )
        .bind(&org.org_code)
        .bind(&org.org_type)
        .bind(json_text(&org.body))
        .bind(org.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn remove_registry_org(&self, org_code: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM registry_orgs WHERE org_code = $1").bind(org_code).execute(&self.pool).await?;
        Ok(())
    }

    async fn registry_org(&self, org_code: &str) -> StoreResult<Option<RegistryOrgRow>> {
        let row = sqlx::query("SELECT * FROM registry_orgs WHERE org_code = $1")
            .bind(org_code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(registry_org_from).transpose()
    }

    async fn registry_orgs(&self) -> StoreResult<Vec<RegistryOrgRow>> {
        let rows = sqlx::query("SELECT * FROM registry_orgs ORDER BY org_code").fetch_all(&self.pool).await?;
        rows.iter().map(registry_org_from).collect()
    }

    async fn support_setting(&self, name: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM support_settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    async fn set_support_setting(&self, name: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO support_settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn support_setting_or_insert(&self, name: &str, candidate: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO support_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(&self.pool)
            .await?;
        self.support_setting(name)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("setting {name} vanished right after insertion")))
    }
}

impl SqlStore {
    /// Call statistics whose `column` (org_code or client_id) is `value`, for stat_dates in from..=to.
    async fn select_call_stats(&self, column: &str, value: &str, from: &str, to: &str) -> StoreResult<Vec<CallStats>> {
        let sql = format!(
            "SELECT * FROM api_call_stats WHERE {column} = $1 AND stat_date >= $2 AND stat_date <= $3 \
             ORDER BY stat_date, org_code, client_id, api_code, stat_type, tm_slot"
        );
        let rows = sqlx::query(&sql).bind(value).bind(from).bind(to).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(CallStats {
                    org_code: row.try_get("org_code")?,
                    client_id: row.try_get("client_id")?,
                    api_code: row.try_get("api_code")?,
                    stat_type: row.try_get("stat_type")?,
                    stat_date: row.try_get("stat_date")?,
                    tm_slot: row.try_get("tm_slot")?,
                    success_cnt: row.try_get("success_cnt")?,
                    fail_cnt: row.try_get("fail_cnt")?,
                    rsp_total_ms: row.try_get("rsp_total_ms")?,
                    rsp_square_total: row.try_get("rsp_square_total")?,
                })
            })
            .collect()
    }
}

/// A list of texts kept as JSON text.
fn text_list(text: &str, what: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn org_from(row: &AnyRow) -> StoreResult<Org> {
    Ok(Org {
        org_code: row.try_get("org_code")?,
        org_name: row.try_get("org_name")?,
        industry: row.try_get("industry")?,
        org_type: row.try_get("org_type")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn registry_org_from(row: &AnyRow) -> StoreResult<RegistryOrgRow> {
    let body: String = row.try_get("body")?;
    Ok(RegistryOrgRow {
        org_code: row.try_get("org_code")?,
        org_type: row.try_get("org_type")?,
        body: parse_json(&body, "registry org body")?,
        updated_at: row.try_get("updated_at")?,
    })
}
