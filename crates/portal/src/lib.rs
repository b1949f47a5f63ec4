//! The integrated portal (종합포털): the support APIs it serves (지원-001..006) over its registry of
//! institutions and services, and the statistics participants send it.

pub mod api;
pub mod registry_file;
pub mod transport;

use async_trait::async_trait;
use axum::Router;
use mydata_spec::IssuerType;
use mydata_store::{Store, StoreError};
use mydata_support::SupportTokens;
use mydata_support::oauth::CredentialCheck;
use mydata_support::secret::verify_client_secret;
use mydata_web::tran_id::TranIdIssuer;
use std::sync::Arc;
use std::time::Duration;

/// The portal's own org_code when none is configured (the registry lists the portal as org_type 07).
pub const DEFAULT_PORTAL_ORG_CODE: &str = "PORTAL0001";

pub struct Portal {
    pub store: Arc<dyn Store>,
    pub tokens: SupportTokens,
    pub org_code: String,
    /// Whether callers' client certificates are checked against their registered SERIALNUMBER
    /// ([`transport`]); on when the portal serves mutual TLS.
    pub verify_serial_number: bool,
}

impl Portal {
    pub async fn new(
        store: Arc<dyn Store>,
        org_code: &str,
        token_lifetime: Duration,
    ) -> Result<Arc<Portal>, StoreError> {
        Portal::new_with_transport(store, org_code, token_lifetime, false).await
    }

    /// [`Portal::new`] that checks callers' certificates (mutual TLS) when `verify_serial_number`.
    pub async fn new_with_transport(
        store: Arc<dyn Store>,
        org_code: &str,
        token_lifetime: Duration,
        verify_serial_number: bool,
    ) -> Result<Arc<Portal>, StoreError> {
        let tokens = SupportTokens::open(store.as_ref(), org_code, token_lifetime).await?;
        Ok(Arc::new(Portal { store, tokens, org_code: org_code.to_owned(), verify_serial_number }))
    }

    fn tran_id_issuer(&self) -> TranIdIssuer {
        TranIdIssuer { org_code: self.org_code.as_str().into(), issuer: IssuerType::Portal }
    }
}

/// 지원-001 credentials are the support client_id/secret of a registered, not deleted institution.
#[async_trait]
impl CredentialCheck for Portal {
    async fn org_of(&self, client_id: &str, client_secret: &str) -> Result<Option<String>, StoreError> {
        let Some(org) = self.store.portal_org_by_support_client(client_id).await? else { return Ok(None) };
        let valid = org.deleted_at.is_none()
            && org.support_secret_hash.as_deref().is_some_and(|hash| verify_client_secret(client_secret, hash));
        Ok(valid.then_some(org.org_code))
    }
}

/// The portal's whole HTTP surface.
pub fn router(portal: Arc<Portal>) -> Router {
    api::routes(portal.clone())
        .route(
            mydata_web::openapi::PATH,
            mydata_web::openapi::route("MyData integrated portal", mydata_spec::openapi::portal_apis(), Vec::new()),
        )
        .merge(mydata_web::health::routes(portal.store.clone()))
        .fallback(mydata_web::error::not_found)
        .layer(mydata_web::error::rejections_as(mydata_web::error::standard_rejection))
        .layer(axum::middleware::from_fn_with_state(portal.clone(), transport::verify_caller))
        .layer(axum::middleware::from_fn_with_state(portal.tran_id_issuer(), mydata_web::tran_id::echo))
}
