//! 지원-001..006. Each managed API checks, in order: x-api-tran-id (40002), the bearer token
//! (40101/40104), that the caller's kind of institution may call it (40301), then its parameters
//! (40001).

use crate::Portal;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use mydata_spec::fields::Location;
use mydata_spec::validate::check_request_body;
use mydata_spec::wire;
use mydata_spec::{KnownApi, RspCode};
use mydata_store::{PortalOrg, ReceivedStatistics};
use mydata_support::oauth;
use mydata_support::participant::{checked_params, query_params, success};
use mydata_support::registry::{OpType, listed_for_ca, org_entry, org_type, service_entry};
use mydata_support::statistics::{TM_SLOTS, week_before};
use mydata_support::time::{parse_search_timestamp, search_timestamp};
use mydata_web::ApiError;
use mydata_web::catalogue_route::{CatalogueRoutes, method_of};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

/// The calling institution, from its token; deleted institutions lose access at once.
async fn caller(portal: &Portal, headers: &HeaderMap) -> Result<PortalOrg, ApiError> {
    let claims = oauth::authorize(&portal.tokens, headers)?;
    match portal.store.portal_org(&claims.aud).await? {
        Some(org) if org.deleted_at.is_none() => Ok(org),
        _ => Err(ApiError::with(RspCode::InvalidToken, "the institution is no longer registered")),
    }
}

fn allowed(org: &PortalOrg, kinds: &[&str], api: KnownApi) -> Result<(), ApiError> {
    if kinds.contains(&org.org_type.as_str()) {
        Ok(())
    } else {
        Err(ApiError::with(RspCode::InvalidCall, format!("org_type {} may not call {}", org.org_type, api.id())))
    }
}

/// The `since` of a registry pull, after checking search_timestamp.
fn since(api: KnownApi, query: Params) -> Result<i64, ApiError> {
    let params = query_params(query)?;
    checked_params(api, Location::Query, &params)?;
    parse_search_timestamp(&params["search_timestamp"])
        .ok_or_else(|| ApiError::with(RspCode::InvalidParameter, "search_timestamp must be 0 or YYYYMMDDhhmmss"))
}

fn listing(now: i64, list: Vec<Value>) -> Response {
    let mut body = Map::new();
    body.insert("search_timestamp".into(), search_timestamp(now).into());
    body.insert("org_cnt".into(), list.len().into());
    body.insert("org_list".into(), list.into());
    success(body)
}

async fn token(State(portal): State<Arc<Portal>>, headers: HeaderMap, body: Bytes) -> Response {
    oauth::token_endpoint(&portal.tokens, portal.as_ref(), &headers, &body).await
}

/// Institutions changed since `since`, with what each change is to the caller.
async fn changed_orgs(portal: &Portal, since: i64) -> Result<Vec<(OpType, PortalOrg)>, ApiError> {
    let orgs = portal.store.portal_orgs_changed_since(since).await?;
    Ok(orgs
        .into_iter()
        .filter_map(|org| Some((OpType::since(since, org.created_at, org.updated_at, org.deleted_at)?, org)))
        .collect())
}

/// 지원-002: every institution changed since search_timestamp.
async fn orgs(State(portal): State<Arc<Portal>>, headers: HeaderMap, query: Params) -> Result<Response, ApiError> {
    caller(&portal, &headers).await?;
    let since = since(KnownApi::PortalOrgs, query)?;
    let now = Utc::now().timestamp();
    let list = changed_orgs(&portal, since)
        .await?
        .iter()
        .map(|(op, org)| org_entry(KnownApi::PortalOrgs, *op, &org.org_code, &org.org_type, &org.body))
        .collect();
    Ok(listing(now, list))
}

/// 지원-003: services changed since search_timestamp, grouped by operator. Only providers and
/// relays may ask: the answer holds the services' client secrets.
async fn services(State(portal): State<Arc<Portal>>, headers: HeaderMap, query: Params) -> Result<Response, ApiError> {
    let org = caller(&portal, &headers).await?;
    allowed(&org, &[org_type::PROVIDER, org_type::PROVIDER_VIA_RELAY, org_type::RELAY], KnownApi::PortalServices)?;
    let since = since(KnownApi::PortalServices, query)?;
    let now = Utc::now().timestamp();
    let mut by_operator: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for service in portal.store.portal_services_changed_since(since).await? {
        if let Some(op) = OpType::since(since, service.created_at, service.updated_at, service.deleted_at) {
            by_operator.entry(service.org_code.clone()).or_default().push(service_entry(
                op,
                &service.client_id,
                &service.body,
            ));
        }
    }
    let list = by_operator
        .into_iter()
        .map(|(org_code, services)| {
            serde_json::json!({"org_code": org_code, "service_cnt": services.len().to_string(), "service_list": services})
        })
        .collect();
    Ok(listing(now, list))
}

/// 지원-006: providers, operators and relays changed since search_timestamp, for CAs only.
async fn orgs_for_ca(
    State(portal): State<Arc<Portal>>,
    headers: HeaderMap,
    query: Params,
) -> Result<Response, ApiError> {
    let org = caller(&portal, &headers).await?;
    allowed(&org, &[org_type::CA_IDENTITY, org_type::CA_SIGNATURE], KnownApi::PortalOrgsForCa)?;
    let since = since(KnownApi::PortalOrgsForCa, query)?;
    let now = Utc::now().timestamp();
    let list = changed_orgs(&portal, since)
        .await?
        .iter()
        .filter(|(_, o)| listed_for_ca(&o.org_type))
        .map(|(op, o)| org_entry(KnownApi::PortalOrgsForCa, *op, &o.org_code, &o.org_type, &o.body))
        .collect();
    Ok(listing(now, list))
}

fn invalid(problem: impl Into<String>) -> ApiError {
    ApiError::with(RspCode::InvalidParameter, problem)
}

/// The checks 지원-004 and 지원-005 share: the table's fields, types, codes and counts, a Sunday, the
/// seven days before it in order, the consent counts only for type 2, and 첨부11's time slots.
fn checked_report(api: KnownApi, body: &Bytes, counterpart_list: &str) -> Result<Value, ApiError> {
    let mut report: Value = serde_json::from_slice(body).map_err(|_| invalid("the body is not JSON"))?;
    // Kept as the standard sends it, numbers and booleans as strings (첨부2).
    wire::stringify(&mut report);
    if let Some(violation) = check_request_body(api.spec(), &report).into_iter().next() {
        return Err(invalid(violation.to_string()));
    }
    let text = |name: &str| report.get(name).and_then(Value::as_str).unwrap_or_default();
    let stat_type = text("type");
    let inquiry_date = text("inquiry_date");
    let week = week_before(inquiry_date).map_err(|e| invalid(e.to_string()))?;
    let days = report["stat_date_list"].as_array().cloned().unwrap_or_default();
    let expected: Vec<String> = week.iter().map(|d| d.format("%Y%m%d").to_string()).collect();
    let sent: Vec<String> = days.iter().map(|d| d["stat_date"].as_str().unwrap_or_default().to_owned()).collect();
    if sent != expected {
        return Err(invalid(format!("stat_date_list must be the seven days {}..{}", expected[0], expected[6])));
    }
    let consent_counts = ["consent_new", "consent_revoke", "consent_own"];
    let has_consent_counts = days
        .iter()
        .flat_map(|d| d[counterpart_list].as_array().cloned().unwrap_or_default())
        .any(|entry| consent_counts.iter().any(|c| entry.get(c).is_some()));
    if stat_type == "1" && has_consent_counts {
        return Err(invalid("consent_new, consent_revoke and consent_own are not sent with type 1"));
    }
    for slot in days
        .iter()
        .flat_map(|d| d[counterpart_list].as_array().cloned().unwrap_or_default())
        .flat_map(|e| e["api_type_list"].as_array().cloned().unwrap_or_default())
        .flat_map(|a| a["tm_slot_list"].as_array().cloned().unwrap_or_default())
    {
        if !slot["tm_slot"].as_str().is_some_and(|tm_slot| TM_SLOTS.contains(&tm_slot)) {
            return Err(invalid("tm_slot must be 00 or 01 (첨부11)"));
        }
    }
    Ok(report)
}

async fn store_report(
    portal: &Portal,
    api: KnownApi,
    sender: &PortalOrg,
    subject: &str,
    report: Value,
) -> Result<Response, ApiError> {
    let stat_type = report["type"].as_str().unwrap_or_default().to_owned();
    let inquiry_date = report["inquiry_date"].as_str().unwrap_or_default().to_owned();
    portal
        .store
        .put_received_statistics(&ReceivedStatistics {
            api_id: api.id().into(),
            sender_org_code: sender.org_code.clone(),
            subject: subject.into(),
            stat_type,
            inquiry_date,
            body: report,
            received_at: Utc::now().timestamp(),
        })
        .await?;
    Ok(success(Map::new()))
}

/// Every org_code the report names must be a registered institution (they are "지원 API로부터 배포").
async fn registered(portal: &Portal, report: &Value, list: &str) -> Result<(), ApiError> {
    let days = report["stat_date_list"].as_array().cloned().unwrap_or_default();
    for entry in days.iter().flat_map(|d| d[list].as_array().cloned().unwrap_or_default()) {
        let code = entry["org_code"].as_str().unwrap_or_default();
        if portal.store.portal_org(code).await?.is_none_or(|o| o.deleted_at.is_some()) {
            return Err(invalid(format!("org_code {code} is not a registered institution")));
        }
    }
    Ok(())
}

/// 지원-004: an operator's (or information recipient's) weekly statistics for one of its services.
async fn statistics_mydata(
    State(portal): State<Arc<Portal>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let sender = caller(&portal, &headers).await?;
    let recipient = sender.body.get("is_rcv_org").and_then(Value::as_str) == Some("true");
    if sender.org_type != org_type::OPERATOR && !recipient {
        return Err(ApiError::with(
            RspCode::InvalidCall,
            "지원-004 is for MyData operators and information recipients",
        ));
    }
    let report = checked_report(KnownApi::OperatorStatistics, &body, "org_list")?;
    let client_id = report["client_id"].as_str().unwrap_or_default().to_owned();
    let service = portal.store.portal_service(&client_id).await?;
    if service.is_none_or(|s| s.deleted_at.is_some() || s.org_code != sender.org_code) && !recipient {
        return Err(invalid(format!("client_id {client_id} is not a registered service of {}", sender.org_code)));
    }
    registered(&portal, &report, "org_list").await?;
    store_report(&portal, KnownApi::OperatorStatistics, &sender, &client_id, report).await
}

/// 지원-005: a provider's weekly statistics; a relay names the provider it reports for.
async fn statistics_provider(
    State(portal): State<Arc<Portal>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let sender = caller(&portal, &headers).await?;
    allowed(
        &sender,
        &[org_type::PROVIDER, org_type::PROVIDER_VIA_RELAY, org_type::RELAY],
        KnownApi::ProviderStatistics,
    )?;
    let report = checked_report(KnownApi::ProviderStatistics, &body, "mydata_svc_list")?;
    let subject = match report.get("org_code").and_then(Value::as_str) {
        None if sender.org_type == org_type::RELAY => {
            return Err(invalid("a relay must name the provider in org_code"));
        }
        None => sender.org_code.clone(),
        Some(code) if code == sender.org_code => code.to_owned(),
        Some(code) => {
            let named = portal.store.portal_org(code).await?.filter(|o| o.deleted_at.is_none());
            let field = |org: &PortalOrg, name: &str| org.body.get(name).and_then(Value::as_str).map(str::to_owned);
            let relayed = named.as_ref().and_then(|o| field(o, "relay_org_code")) == Some(sender.org_code.clone());
            // One institution registers one org_code per industry (ch.2.1): the same business
            // registration number marks the same institution reporting for its other industry.
            let same_institution = named
                .as_ref()
                .and_then(|o| field(o, "org_regno"))
                .is_some_and(|regno| field(&sender, "org_regno") == Some(regno));
            if !(same_institution || relayed && sender.org_type == org_type::RELAY) {
                return Err(invalid(format!("{} may not report for org_code {code}", sender.org_code)));
            }
            code.to_owned()
        }
    };
    registered(&portal, &report, "mydata_svc_list").await?;
    store_report(&portal, KnownApi::ProviderStatistics, &sender, &subject, report).await
}

pub fn routes(portal: Arc<Portal>) -> Router {
    let issuer = portal.tran_id_issuer();
    let managed = Router::new()
        .catalogue_route(KnownApi::PortalOrgs, orgs)
        .catalogue_route(KnownApi::PortalServices, services)
        .catalogue_route(KnownApi::OperatorStatistics, statistics_mydata)
        .catalogue_route(KnownApi::ProviderStatistics, statistics_provider)
        .catalogue_route(KnownApi::PortalOrgsForCa, orgs_for_ca)
        .layer(axum::middleware::from_fn_with_state(issuer, mydata_web::tran_id::require));
    Router::new()
        .route(
            KnownApi::PortalToken.spec().resource,
            method_of(KnownApi::PortalToken, token)
                .fallback(oauth::method_not_allowed)
                .layer(mydata_web::error::rejections_as(mydata_web::error::oauth_rejection)),
        )
        .merge(managed)
        .with_state(portal)
}
