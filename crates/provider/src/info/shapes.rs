//! The three shapes most information APIs share, written once and described by the catalogue and
//! field data: an asset list, a detail of one asset, a dated history of one asset.

use super::{InfoCall, invalid, success};
use crate::Provider;
use crate::tokens::Grant;
use axum::response::Response;
use chrono::{Months, NaiveDate, Utc};
use mydata_spec::fields::Field;
use mydata_spec::paging::PageCursor;
use mydata_spec::types::{Date, Month};
use mydata_spec::{ApiSpec, RspCode, Shape};
use mydata_store::HistoryQuery;
use mydata_web::ApiError;
use serde_json::{Map, Value, json};

/// The response's list field (`account_list`, `trans_list`, …) and its count field (`account_cnt`, …).
fn list_fields(api: &ApiSpec) -> Option<(&'static Field, Option<&'static Field>)> {
    let fields = api.fields();
    let list = fields.response_body().find(|f| f.type_spec == "Object" && f.name.ends_with("_list"))?;
    let count = fields.response_body().find(|f| f.name.ends_with("_cnt") && f.type_spec.starts_with('N'));
    Some((list, count))
}

fn cursor(call: &InfoCall, query: &str) -> Result<Option<String>, ApiError> {
    call.param("next_page")
        .map(|text| PageCursor::decode(text, query).map(|c| c.after).map_err(|e| invalid(e.to_string())))
        .transpose()
}

fn now_stamp() -> String {
    Utc::now().format("%Y%m%d%H%M%S").to_string()
}

pub async fn answer(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<Response, ApiError> {
    match call.api.shape() {
        Shape::List => list(provider, call, grant).await,
        Shape::Detail => detail(provider, call, grant).await,
        Shape::History => history(provider, call, grant).await,
        Shape::Special => Err(ApiError::new(RspCode::EndpointNotFound)),
    }
}

async fn list(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<Response, ApiError> {
    let customer = &grant.consent.customer_id;
    let query = format!("{}|{customer}", call.api.id);
    let after = cursor(call, &query)?;
    let limit = call.limit().map_or(super::MAX_UNPAGED, |l| l.get());
    let page = provider.store.asset_page(&call.org_code, call.api.id, customer, after.as_deref(), limit).await?;
    let (list_field, count_field) = list_fields(call.api).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    let marks_consent = list_field.children.iter().any(|c| c.name == "is_consent");
    let items: Vec<Value> = page
        .items
        .into_iter()
        .map(|row| {
            let mut item = row.item;
            if let (true, Value::Object(map)) = (marks_consent, &mut item) {
                map.insert("is_consent".into(), json!(grant.consent.covers_asset(&row.asset_key)));
            }
            item
        })
        .collect();
    let mut body = Map::new();
    if call.api.takes_search_timestamp() && after.is_none() {
        body.insert("search_timestamp".into(), json!(now_stamp()));
    }
    if call.api.fields().response_field("reg_date").is_some() {
        let reg_date = provider
            .store
            .customer(&call.org_code, customer)
            .await?
            .map(|c| c.reg_date)
            .ok_or_else(|| ApiError::new(RspCode::CustomerNotFound))?;
        body.insert("reg_date".into(), json!(reg_date));
    }
    if let Some(next) = page.next {
        body.insert("next_page".into(), json!(PageCursor { after: next }.encode(&query)));
    }
    if let Some(count) = count_field {
        body.insert(count.name.clone(), json!(items.len()));
    }
    body.insert(list_field.name.clone(), Value::Array(items));
    Ok(success(RspCode::Success, body))
}

/// The asset the request names, checked to be the customer's and within the consent.
async fn consented_asset(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<String, ApiError> {
    let key_name = call.api.resource_key().ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    let key = call.param(key_name).ok_or_else(|| invalid(format!("{key_name} is required")))?;
    let list = call.api.asset_list(call.industry).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    // Another customer's asset answers exactly like a missing one.
    match provider.store.asset(&call.org_code, list.id, key).await? {
        Some(asset) if asset.customer_id == grant.consent.customer_id => {}
        _ => return Err(ApiError::new(RspCode::AssetNotFound)),
    }
    if !grant.consent.covers_asset(key) {
        return Err(ApiError::new(RspCode::AssetNotConsented));
    }
    Ok(key.to_owned())
}

async fn detail(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<Response, ApiError> {
    let key = consented_asset(provider, call, grant).await?;
    let document = provider
        .store
        .document(&call.org_code, call.api.id, &key)
        .await?
        .ok_or_else(|| ApiError::new(RspCode::AssetNotFound))?;
    let Value::Object(mut body) = document.body else { return Err(ApiError::new(RspCode::ProcessingFailed)) };
    if call.api.takes_search_timestamp() {
        body.insert("search_timestamp".into(), json!(now_stamp()));
    }
    Ok(success(RspCode::Success, body))
}

/// The inclusive period of a history request as DTIME text, after the span rules of ch.3.3.2.
fn period(call: &InfoCall) -> Result<(String, String), ApiError> {
    let today = Utc::now().date_naive();
    let (from, to) = if call.api.takes_date_range() {
        let parse = |name: &str| -> Result<NaiveDate, ApiError> {
            let text = call.param(name).ok_or_else(|| invalid(format!("{name} is required")))?;
            text.parse::<Date>().map(|d| d.0).map_err(|e| invalid(e.to_string()))
        };
        (parse("from_date")?, parse("to_date")?)
    } else {
        let parse = |name: &str| -> Result<Month, ApiError> {
            let text = call.param(name).ok_or_else(|| invalid(format!("{name} is required")))?;
            text.parse::<Month>().map_err(|e| invalid(e.to_string()))
        };
        let (from, to) = (parse("from_month")?, parse("to_month")?);
        let first = |m: Month| NaiveDate::from_ymd_opt(m.year, m.month, 1).ok_or_else(|| invalid("month out of range"));
        let last = |m: Month| first(m).map(|d| d + Months::new(1) - chrono::Days::new(1));
        (first(from)?, last(to)?)
    };
    if from > to {
        return Err(invalid("the period must not end before it starts"));
    }
    if from < today - Months::new(60) {
        return Err(ApiError::new(RspCode::OlderThanFiveYears));
    }
    let longest_days = match call.api_type {
        Some(t) if t.is_scheduled() => i64::from(call.api.scheduled_max_days()),
        Some(mydata_spec::ApiType::UserSearch) => (today - (today - Months::new(60))).num_days(),
        _ => (today - (today - Months::new(12))).num_days(),
    };
    if (to - from).num_days() >= longest_days {
        return Err(ApiError::with(RspCode::PeriodTooLong, format!("at most {longest_days} days for this x-api-type")));
    }
    Ok((format!("{}000000", from.format("%Y%m%d")), format!("{}235959", to.format("%Y%m%d"))))
}

async fn history(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<Response, ApiError> {
    let subject = match call.api.resource_key() {
        Some(_) => consented_asset(provider, call, grant).await?,
        None => grant.consent.customer_id.clone(),
    };
    let (from, to) = period(call)?;
    let query = format!("{}|{subject}|{from}|{to}", call.api.id);
    let before = cursor(call, &query)?;
    let page = provider
        .store
        .history_page(&HistoryQuery {
            org_code: &call.org_code,
            api_id: call.api.id,
            subject_key: &subject,
            customer_id: &grant.consent.customer_id,
            from: &from,
            to: &to,
            before: before.as_deref(),
            limit: call.limit().map_or(super::MAX_UNPAGED, |l| l.get()),
        })
        .await?;
    let (list_field, count_field) = list_fields(call.api).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    let items: Vec<Value> = page.items.into_iter().map(|row| row.body).collect();
    let mut body = Map::new();
    if let Some(next) = page.next {
        body.insert("next_page".into(), json!(PageCursor { after: next }.encode(&query)));
    }
    if let Some(count) = count_field {
        body.insert(count.name.clone(), json!(items.len()));
    }
    body.insert(list_field.name.clone(), Value::Array(items));
    Ok(success(RspCode::Success, body))
}
