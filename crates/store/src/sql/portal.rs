//! [`PortalStore`] on SQL.

use super::*;

#[async_trait]
impl PortalStore for SqlStore {
    async fn upsert_portal_org(&self, org: &PortalOrg) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_orgs (org_code, org_type, body, support_client_id, support_secret_hash, created_at, \
             updated_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_code) DO UPDATE SET \
             org_type = excluded.org_type, body = excluded.body, support_client_id = excluded.support_client_id, \
             support_secret_hash = excluded.support_secret_hash, updated_at = excluded.updated_at, \
             deleted_at = excluded.deleted_at",
        )
        .bind(&org.org_code)
        .bind(&org.org_type)
        .bind(json_text(&org.body))
        .bind(&org.support_client_id)
        .bind(&org.support_secret_hash)
        .bind(org.created_at)
        .bind(org.updated_at)
        .bind(org.deleted_at)
        .execute(&self.pool)
        .await
        .map_err(|e| unique_conflict(e, "support client_id"))?;
        Ok(())
    }

    async fn portal_org(&self, org_code: &str) -> StoreResult<Option<PortalOrg>> {
        let row = sqlx::query("SELECT * FROM portal_orgs WHERE org_code = $1")
            .bind(org_code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(portal_org_from).transpose()
    }

    async fn portal_org_by_support_client(&self, client_id: &str) -> StoreResult<Option<PortalOrg>> {
        let row = sqlx::query("SELECT * FROM portal_orgs WHERE support_client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(portal_org_from).transpose()
    }

    async fn portal_orgs_changed_since(&self, since: i64) -> StoreResult<Vec<PortalOrg>> {
        let rows = sqlx::query("SELECT * FROM portal_orgs WHERE updated_at >= $1 ORDER BY org_code")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(portal_org_from).collect()
    }

    async fn upsert_portal_service(&self, service: &PortalService) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_services (client_id, org_code, body, created_at, updated_at, deleted_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id) DO UPDATE SET org_code = excluded.org_code, \
             body = excluded.body, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at",
        )
        .bind(&service.client_id)
        .bind(&service.org_code)
        .bind(json_text(&service.body))
        .bind(service.created_at)
        .bind(service.updated_at)
        .bind(service.deleted_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn portal_service(&self, client_id: &str) -> StoreResult<Option<PortalService>> {
        let row = sqlx::query("SELECT * FROM portal_services WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(portal_service_from).transpose()
    }

    async fn portal_services_changed_since(&self, since: i64) -> StoreResult<Vec<PortalService>> {
        let rows = sqlx::query("SELECT * FROM portal_services WHERE updated_at >= $1 ORDER BY org_code, client_id")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(portal_service_from).collect()
    }

    async fn put_received_statistics(&self, report: &ReceivedStatistics) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_statistics (api_id, sender_org_code, subject, stat_type, inquiry_date, body, \
             received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (api_id, sender_org_code, subject, \
             stat_type, inquiry_date) DO UPDATE SET body = excluded.body, received_at = excluded.received_at",
        )
        .bind(&report.api_id)
        .bind(&report.sender_org_code)
        .bind(&report.subject)
        .bind(&report.stat_type)
        .bind(&report.inquiry_date)
        .bind(json_text(&report.body))
        .bind(report.received_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn received_statistics(&self, api_id: Option<&str>) -> StoreResult<Vec<ReceivedStatistics>> {
        let rows = sqlx::query(
            "SELECT * FROM portal_statistics WHERE $1 = '' OR api_id = $1 \
             ORDER BY inquiry_date DESC, api_id, sender_org_code, subject, stat_type",
        )
        .bind(api_id.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let body: String = row.try_get("body")?;
                Ok(ReceivedStatistics {
                    api_id: row.try_get("api_id")?,
                    sender_org_code: row.try_get("sender_org_code")?,
                    subject: row.try_get("subject")?,
                    stat_type: row.try_get("stat_type")?,
                    inquiry_date: row.try_get("inquiry_date")?,
                    body: parse_json(&body, "statistics body")?,
                    received_at: row.try_get("received_at")?,
                })
            })
            .collect()
    }
}

fn portal_org_from(row: &AnyRow) -> StoreResult<PortalOrg> {
    let body: String = row.try_get("body")?;
    Ok(PortalOrg {
        org_code: row.try_get("org_code")?,
        org_type: row.try_get("org_type")?,
        body: parse_json(&body, "portal org body")?,
        support_client_id: row.try_get("support_client_id")?,
        support_secret_hash: row.try_get("support_secret_hash")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

fn portal_service_from(row: &AnyRow) -> StoreResult<PortalService> {
    let body: String = row.try_get("body")?;
    Ok(PortalService {
        client_id: row.try_get("client_id")?,
        org_code: row.try_get("org_code")?,
        body: parse_json(&body, "portal service body")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}
