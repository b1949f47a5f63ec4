//! The read API for the operator's own apps: JSON, every request authenticated by a bearer secret
//! shared with those apps.
//!
//! - `GET /api/customers/{customer_id}/assets`: every collected asset with its org_code, industry,
//!   list API, key, latest data and the histories kept for it (and the histories about no asset);
//! - `GET /api/customers/{customer_id}/assets/{org_code}/{api_id}/{subject_key}?limit=&after=`: one
//!   history's entries, a page at a time (`next` names the page after, while there is one).
//!
//! And the customer's requests the apps pass on ([`mydata_collector::rights`]):
//! - `POST /api/customers/{customer_id}/consents/{org_code}/withdraw` (`{"delete": true}` to delete
//!   what was collected under it too): 전송요구 철회;
//! - `DELETE /api/customers/{customer_id}`: 서비스 탈퇴, every consent withdrawn and everything
//!   collected about the customer deleted.

use crate::customers::KnownCustomers;
use crate::holdings::{self, dtime};
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use mydata_collector::OperatorStore;
use mydata_collector::rights::{Rights, RightsError, Withdrawal};
use serde_json::{Value, json};
use std::sync::Arc;

/// The prefix every read API path starts with.
pub const PREFIX: &str = "/api";
/// The most entries a history page holds, and the default.
const MAX_PAGE: u32 = 500;

struct ReadApi {
    store: OperatorStore,
    customers: KnownCustomers,
    rights: Rights,
    secret: String,
}

type App = State<Arc<ReadApi>>;

fn refusal(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// The read API's answer for a path it does not serve.
pub(crate) fn no_such_path(uri: &axum::http::Uri) -> Response {
    refusal(StatusCode::NOT_FOUND, &format!("{} is not a path of the read API", uri.path()))
}

fn store_failure(e: mydata_store::StoreError) -> Response {
    tracing::error!(error = %e, "read API: store failed");
    refusal(StatusCode::SERVICE_UNAVAILABLE, "the operator's database did not answer")
}

async fn authenticate(State(api): App, request: Request, next: Next) -> Response {
    if mydata_web::bearer::presents_secret(request.headers(), &api.secret) {
        return next.run(request).await;
    }
    let mut response = refusal(StatusCode::UNAUTHORIZED, "Authorization: Bearer <read API secret> is required");
    response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    response
}

/// The refusal of a request about someone who is not the operator's customer, so that an app's
/// wrong ID is told apart from a customer with nothing collected.
async fn refuse_unknown(api: &ReadApi, customer_id: &str) -> Option<Response> {
    match api.customers.knows(&api.store, customer_id).await {
        Ok(true) => None,
        Ok(false) => Some(refusal(StatusCode::NOT_FOUND, &format!("{customer_id} is not a customer of this operator"))),
        Err(e) => Some(store_failure(e)),
    }
}

async fn assets(State(api): App, Path(customer_id): Path<String>) -> Response {
    if let Some(refused) = refuse_unknown(&api, &customer_id).await {
        return refused;
    }
    match holdings::holdings(&api.store, &customer_id).await {
        Ok(held) => axum::Json(json!({
            "customer_id": customer_id,
            "asset_cnt": held.assets.len().to_string(),
            "assets": held.assets,
            "histories": held.histories,
        }))
        .into_response(),
        Err(e) => store_failure(e),
    }
}

#[derive(serde::Deserialize)]
struct PageQuery {
    limit: Option<String>,
    after: Option<String>,
}

async fn history(
    State(api): App,
    Path((customer_id, org_code, api_id, subject_key)): Path<(String, String, String, String)>,
    Query(page): Query<PageQuery>,
) -> Response {
    let limit = match page.limit.as_deref().map(str::parse::<u32>) {
        None => MAX_PAGE,
        Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return refusal(StatusCode::BAD_REQUEST, &format!("limit must be 1 to {MAX_PAGE}")),
    };
    if mydata_spec::catalogue::api(&api_id).is_none() {
        return refusal(StatusCode::NOT_FOUND, &format!("{api_id} is not an API of the standard (e.g. 은행-004)"));
    }
    if let Some(refused) = refuse_unknown(&api, &customer_id).await {
        return refused;
    }
    // One more than asked for tells whether a page follows.
    let found =
        api.store.history_page(&customer_id, &org_code, &api_id, &subject_key, page.after.as_deref(), limit + 1).await;
    let mut rows = match found {
        Ok(rows) => rows,
        Err(e) => return store_failure(e),
    };
    let next = (rows.len() > limit as usize).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.item_key.clone())
    });
    let entries: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "entry_key": r.item_key, "collected_at": dtime(r.collected_at), "data": r.body }))
        .collect();
    let mut body = json!({
        "customer_id": customer_id,
        "org_code": org_code,
        "api_id": api_id,
        "subject_key": subject_key,
        "entry_cnt": entries.len().to_string(),
        "entries": entries,
    });
    if let Some(Some(next)) = next {
        body["next"] = Value::String(next);
    }
    axum::Json(body).into_response()
}

fn rights_failure(e: RightsError) -> Response {
    let status = match e {
        RightsError::Store(e) => return store_failure(e),
        RightsError::NoConsent { .. } | RightsError::UnknownCustomer(_) => StatusCode::NOT_FOUND,
        RightsError::UnknownProvider(_) | RightsError::Revocation { .. } => StatusCode::BAD_GATEWAY,
    };
    refusal(status, &e.to_string())
}

fn withdrawal_json(w: &Withdrawal) -> Value {
    json!({ "org_code": w.org_code, "revoked": w.revoked.to_string(), "deleted_cnt": w.deleted_items.to_string() })
}

#[derive(serde::Deserialize, Default)]
struct WithdrawRequest {
    /// Also delete what was collected under the consent.
    #[serde(default)]
    delete: bool,
}

async fn withdraw(
    State(api): App,
    Path((customer_id, org_code)): Path<(String, String)>,
    body: Option<axum::Json<WithdrawRequest>>,
) -> Response {
    let delete = body.is_some_and(|b| b.delete);
    match api.rights.withdraw(&customer_id, &org_code, delete, chrono::Utc::now().timestamp()).await {
        Ok(withdrawn) => axum::Json(withdrawal_json(&withdrawn)).into_response(),
        Err(e) => rights_failure(e),
    }
}

async fn leave(State(api): App, Path(customer_id): Path<String>) -> Response {
    match api.rights.leave(&customer_id, chrono::Utc::now().timestamp()).await {
        Ok(withdrawn) => axum::Json(json!({
            "customer_id": customer_id,
            "consents": withdrawn.iter().map(withdrawal_json).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => rights_failure(e),
    }
}

/// The read API over `store`, refusing every request without `Authorization: Bearer <secret>`,
/// about the customers `signed_in` to the operator and those who gave it a consent;
/// withdrawals are revoked at providers through `client`.
pub fn routes(store: OperatorStore, client: mydata_client::Client, secret: String, signed_in: Vec<String>) -> Router {
    let rights = Rights::new(store.clone(), client);
    let customers = KnownCustomers::new(signed_in);
    let api = Arc::new(ReadApi { store, customers, rights, secret });
    Router::new()
        .route(&format!("{PREFIX}/customers/{{customer_id}}"), delete(leave))
        .route(&format!("{PREFIX}/customers/{{customer_id}}/consents/{{org_code}}/withdraw"), post(withdraw))
        .route(&format!("{PREFIX}/customers/{{customer_id}}/assets"), get(assets))
        .route(
            &format!("{PREFIX}/customers/{{customer_id}}/assets/{{org_code}}/{{api_id}}/{{subject_key}}"),
            get(history),
        )
        .route_layer(mydata_web::error::rejections_as(|rejected| refusal(rejected.status, &rejected.message)))
        .route_layer(axum::middleware::from_fn_with_state(api.clone(), authenticate))
        .with_state(api)
}
