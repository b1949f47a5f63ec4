//! Every data-bearing information API, written once and driven by [`super::subject`]: find the
//! subject (an asset within the consent, or the customer), apply the scheduled allowance and the
//! search_timestamp rule, then compose the body from the asset list, a stored document and/or
//! keyset-paged history rows.

use super::subject::{self, Composition, list_fields};
use super::{InfoCall, invalid, periodic, success};
use crate::Provider;
use crate::tokens::Grant;
use axum::response::Response;
use chrono::{DateTime, Months, NaiveDate, Utc};
use mydata_domain::ConsentOptions;
use mydata_spec::paging::PageCursor;
use mydata_spec::time::korean_dtime;
use mydata_spec::types::{Date, Month};
use mydata_spec::{ApiType, RspCode};
use mydata_store::{AssetRow, HistoryQuery};
use mydata_web::ApiError;
use serde_json::{Map, Value, json};

/// What a request is about, after the consent checks.
struct Subject {
    /// The key stored answers are filed under (see [`subject::subject_key`]).
    key: String,
    /// The asset named by the request, when the API names one.
    asset: Option<AssetRow>,
}

/// The DTIME stamp (`YYYYMMDDhhmmss`, Korean time) of a Unix time.
fn stamp_of(unix_seconds: i64) -> Option<String> {
    DateTime::from_timestamp(unix_seconds, 0).map(korean_dtime)
}

fn cursor(call: &InfoCall, query: &str) -> Result<Option<String>, ApiError> {
    call.param("next_page")
        .map(|text| PageCursor::decode(text, query).map(|c| c.after).map_err(|e| invalid(e.to_string())))
        .transpose()
}

/// Whether this is the first page of a transmission (later pages carry `next_page`).
fn first_page(call: &InfoCall) -> bool {
    call.param("next_page").is_none()
}

/// ch.2.1: a caller whose search_timestamp is not older than the data's last change (MT) gets
/// UP_TO_DATE instead of the data. `0` (or no stamp) always gets the data.
fn unchanged_since_caller(call: &InfoCall, changed_at: Option<i64>) -> bool {
    if !call.api.takes_search_timestamp() || !first_page(call) {
        return false;
    }
    let sent = call.param("search_timestamp").and_then(|s| s.parse::<u64>().ok()).filter(|&s| s > 0);
    let changed = changed_at.and_then(stamp_of).and_then(|s| s.parse::<u64>().ok());
    matches!((sent, changed), (Some(sent), Some(changed)) if sent >= changed)
}

/// The UP_TO_DATE answer: no data, only the stamp the caller should send next time.
fn up_to_date() -> Response {
    let mut body = Map::new();
    body.insert("search_timestamp".into(), json!(korean_dtime(Utc::now())));
    success(RspCode::UpToDate, body)
}

fn stamp_first_page(call: &InfoCall, body: &mut Map<String, Value>) {
    if call.api.takes_search_timestamp() && first_page(call) {
        body.insert("search_timestamp".into(), json!(korean_dtime(Utc::now())));
    }
}

pub async fn answer(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<Response, ApiError> {
    let composition = subject::composition(call.api);
    let subject = subject_of(provider, call, grant, composition).await?;
    if let Composition::Rows { .. } = composition {
        // A malformed period is refused before it can use the scheduled allowance.
        period(call)?;
    }
    if call.api_type.is_some_and(ApiType::is_scheduled) && first_page(call) {
        periodic::admit(provider.store.as_ref(), &grant.consent, call.api, &subject.key).await?;
    }
    let mut response_body = match composition {
        Composition::AssetList => return asset_list(provider, call, grant).await,
        Composition::Document => document(provider, call, &subject).await?,
        Composition::Rows { with_document } => rows(provider, call, grant, &subject, with_document).await?,
    };
    let Some(mut body) = response_body.take() else { return Ok(up_to_date()) };
    withhold_unconsented(&grant.consent.options, &mut body);
    Ok(success(RspCode::Success, body))
}

async fn subject_of(
    provider: &Provider,
    call: &InfoCall,
    grant: &Grant,
    composition: Composition,
) -> Result<Subject, ApiError> {
    let customer = &grant.consent.customer_id;
    let (base, asset) = match (composition, call.api.resource_key()) {
        (Composition::AssetList, _) | (_, None) => (customer.clone(), None),
        (_, Some(_)) => {
            let asset = consented_asset(provider, call, grant).await?;
            (asset.asset_key.clone(), Some(asset))
        }
    };
    let qualifiers = subject::qualifiers_of(call.api).map(|q| (q, call.param(q)));
    Ok(Subject { key: subject::subject_key(&base, qualifiers), asset })
}

/// The asset the request names, checked to be the customer's and within the consent.
async fn consented_asset(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<AssetRow, ApiError> {
    let key_name = call.api.resource_key().ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    let key = call.param(key_name).ok_or_else(|| invalid(format!("{key_name} is required")))?;
    let list = call.api.asset_list(call.industry).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    // Another customer's asset answers exactly like a missing one.
    let asset = match provider.store.asset(&call.org_code, list.id, key).await? {
        Some(asset) if asset.customer_id == grant.consent.customer_id => asset,
        _ => return Err(ApiError::new(RspCode::AssetNotFound)),
    };
    if !grant.consent.covers_asset(key) {
        return Err(ApiError::new(RspCode::AssetNotConsented));
    }
    Ok(asset)
}

async fn asset_list(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<Response, ApiError> {
    let customer = &grant.consent.customer_id;
    let query = format!("{}|{customer}", call.api.id);
    let after = cursor(call, &query)?;
    let limit = call.limit().map_or(super::MAX_UNPAGED, |l| l.get());
    let listing = provider.store.asset_listing(&call.org_code, call.api.id, customer, after.as_deref(), limit).await?;
    if unchanged_since_caller(call, listing.changed_at) {
        return Ok(up_to_date());
    }
    let page = listing.page;
    let (list_field, count_field) = list_fields(call.api).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    let items: Vec<Value> = page
        .items
        .into_iter()
        .map(|row| {
            let mut item = row.item;
            if let Value::Object(map) = &mut item {
                map.insert("is_consent".into(), json!(grant.consent.covers_asset(&row.asset_key)));
            }
            item
        })
        .collect();
    let mut body = Map::new();
    stamp_first_page(call, &mut body);
    if call.api.fields().response_field("reg_date").is_some() {
        let reg_date = listing.reg_date.ok_or_else(|| ApiError::new(RspCode::CustomerNotFound))?;
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

/// The stored document of the subject as the body, or `None` when the caller is up to date.
async fn document(
    provider: &Provider,
    call: &InfoCall,
    subject: &Subject,
) -> Result<Option<Map<String, Value>>, ApiError> {
    let document = provider
        .store
        .document(&call.org_code, call.api.id, &subject.key)
        .await?
        .ok_or_else(|| ApiError::new(RspCode::AssetNotFound))?;
    if unchanged_since_caller(call, Some(document.updated_at)) {
        return Ok(None);
    }
    let Value::Object(stored) = document.body else { return Err(ApiError::new(RspCode::ProcessingFailed)) };
    let mut body = Map::new();
    stamp_first_page(call, &mut body);
    body.extend(stored);
    Ok(Some(body))
}

/// A page of the subject's history rows (within the requested period, if the API takes one), after
/// the top-level fields of the subject's document when the API has any.
async fn rows(
    provider: &Provider,
    call: &InfoCall,
    grant: &Grant,
    subject: &Subject,
    with_document: bool,
) -> Result<Option<Map<String, Value>>, ApiError> {
    let (from, to) = period(call)?;
    let mut body = if with_document {
        match document(provider, call, subject).await? {
            Some(body) => body,
            None => return Ok(None),
        }
    } else {
        if unchanged_since_caller(call, subject.asset.as_ref().map(|a| a.updated_at)) {
            return Ok(None);
        }
        let mut body = Map::new();
        stamp_first_page(call, &mut body);
        body
    };
    let query = format!("{}|{}|{from}|{to}", call.api.id, subject.key);
    let before = cursor(call, &query)?;
    let page = provider
        .store
        .history_page(&HistoryQuery {
            org_code: &call.org_code,
            api_id: call.api.id,
            subject_key: &subject.key,
            customer_id: &grant.consent.customer_id,
            from: &from,
            to: &to,
            before: before.as_deref(),
            limit: call.limit().map_or(super::MAX_UNPAGED, |l| l.get()),
        })
        .await?;
    let (list_field, count_field) = list_fields(call.api).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    let items: Vec<Value> = page.items.into_iter().map(|row| row.body).collect();
    if let Some(next) = page.next {
        body.insert("next_page".into(), json!(PageCursor { after: next }.encode(&query)));
    }
    if let Some(count) = count_field {
        body.insert(count.name.clone(), json!(items.len()));
    }
    body.insert(list_field.name.clone(), Value::Array(items));
    Ok(Some(body))
}

/// Bounds covering every stored `occurred` (14-digit DTIME text), for APIs without a period.
const ALL_TIME: (&str, &str) = ("00000000000000", "99991231235959");

/// The inclusive period of a request as DTIME text, after the span rules of ch.3.3.2.
fn period(call: &InfoCall) -> Result<(String, String), ApiError> {
    let (from, to) = if call.api.takes_date_range() {
        let parse = |name: &str| -> Result<NaiveDate, ApiError> {
            let text = call.param(name).ok_or_else(|| invalid(format!("{name} is required")))?;
            text.parse::<Date>().map(|d| d.0).map_err(|e| invalid(format!("{name}: {e}")))
        };
        (parse("from_date")?, parse("to_date")?)
    } else if call.api.takes_month_range() {
        let parse = |name: &str| -> Result<Month, ApiError> {
            let text = call.param(name).ok_or_else(|| invalid(format!("{name} is required")))?;
            text.parse::<Month>().map_err(|e| invalid(format!("{name}: {e}")))
        };
        let (from, to) = (parse("from_month")?, parse("to_month")?);
        let first = |m: Month| NaiveDate::from_ymd_opt(m.year, m.month, 1).ok_or_else(|| invalid("month out of range"));
        let last = |m: Month| first(m).map(|d| d + Months::new(1) - chrono::Days::new(1));
        (first(from)?, last(to)?)
    } else {
        return Ok((ALL_TIME.0.to_owned(), ALL_TIME.1.to_owned()));
    };
    check_span(call, from, to)?;
    Ok((format!("{}000000", from.format("%Y%m%d")), format!("{}235959", to.format("%Y%m%d"))))
}

fn check_span(call: &InfoCall, from: NaiveDate, to: NaiveDate) -> Result<(), ApiError> {
    let today = mydata_spec::time::korean_date(Utc::now());
    if from > to {
        return Err(invalid("the period must not end before it starts"));
    }
    let five_years_ago = today - Months::new(60);
    if from < five_years_ago {
        return Err(ApiError::new(RspCode::OlderThanFiveYears));
    }
    let longest_days = match call.api_type {
        Some(t) if t.is_scheduled() => i64::from(call.api.scheduled_max_days()),
        Some(ApiType::UserSearch) => (today - five_years_ago).num_days(),
        _ => (today - (today - Months::new(12))).num_days(),
    };
    if (to - from).num_days() >= longest_days {
        return Err(ApiError::with(RspCode::PeriodTooLong, format!("at most {longest_days} days for this x-api-type")));
    }
    Ok(())
}

/// Fields the customer must have opted into on the consent (공통-002), wherever they appear.
fn withheld_fields(options: &ConsentOptions) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if !options.trans_memo {
        fields.push("trans_memo");
    }
    if !options.merchant_name_regno {
        fields.extend(["merchant_name", "merchant_regno"]);
    }
    if !options.trans_category {
        fields.push("trans_category");
    }
    fields
}

fn withhold_unconsented(options: &ConsentOptions, body: &mut Map<String, Value>) {
    fn strip(value: &mut Value, names: &[&str]) {
        match value {
            Value::Object(map) => {
                map.retain(|k, _| !names.contains(&k.as_str()));
                map.values_mut().for_each(|v| strip(v, names));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| strip(v, names)),
            _ => {}
        }
    }
    let names = withheld_fields(options);
    if !names.is_empty() {
        body.values_mut().for_each(|v| strip(v, &names));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unconsented_optional_fields_are_removed_at_any_depth() {
        let mut body = Map::new();
        body.insert(
            "trans_list".into(),
            json!([{"trans_amt": "1", "trans_memo": "월급", "merchant_name": "가게", "trans_category": "01"}]),
        );
        let options = ConsentOptions { trans_memo: true, merchant_name_regno: false, trans_category: false };
        withhold_unconsented(&options, &mut body);
        assert_eq!(Value::Object(body), json!({"trans_list": [{"trans_amt": "1", "trans_memo": "월급"}]}));
    }

    #[test]
    fn stamps_are_korean_time() {
        assert_eq!(stamp_of(0).unwrap(), "19700101090000");
    }
}
