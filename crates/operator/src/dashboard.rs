//! The customer's dashboard (`/dashboard?customer=ID`): their assets grouped by institution and
//! kind, each with its list item, its latest details (balances), its latest transactions and
//! approvals, and when each was collected — named as the standard names them (the institution's
//! name from the registry, the fields' Korean labels), not by codes.

use crate::customers::KnownCustomers;
use crate::holdings::{Asset, holdings};
use crate::institutions::{InstitutionNames, industry_korean};
use crate::web::escape;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use mydata_collector::OperatorStore;
use mydata_spec::ApiSpec;
use mydata_spec::catalogue::api;
use mydata_spec::fields::Field;
use mydata_spec::validate::field_codes;
use mydata_store::StoreResult;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Entries of each history the page shows, the latest first.
const LATEST: usize = 5;
/// Entries of each history read to find the latest (they are kept in no order of time).
const READ: u32 = 500;

/// A field's definition anywhere in the answer of `api` (lists' items included).
fn field<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    fields.iter().find_map(|f| if f.name == name { Some(f) } else { field(&f.children, name) })
}

/// A field's Korean label; "(코드)" is dropped where the page shows its codes' names ([`readable`]).
fn label(api: Option<&'static ApiSpec>, name: &str) -> String {
    let Some(field) = api.and_then(|a| field(&a.fields().response, name)) else { return name.to_owned() };
    match field.ko.strip_suffix("(코드)") {
        Some(named) if !field_codes(field).is_empty() => named.trim_end().to_owned(),
        _ => field.ko.clone(),
    }
}

/// Whether the field is a date or a date-time (the standard's DATE, DTIME).
fn is_when(api: Option<&'static ApiSpec>, name: &str) -> bool {
    api.and_then(|a| field(&a.fields().response, name))
        .is_some_and(|f| f.type_spec.contains("DATE") || f.type_spec.contains("DTIME"))
}

/// A value as people read it: a code by the name its field's note or attachment gives it, a Boolean
/// in Korean, a date, time or month written out, an amount (a decimal, or a whole number named
/// `…_amt`) with its thousands separated; anything else as sent.
fn readable(api: Option<&'static ApiSpec>, name: &str, text: &str) -> String {
    let Some(field) = api.and_then(|a| field(&a.fields().response, name)) else { return text.to_owned() };
    if let Some((_, label)) = field_codes(field).iter().find(|(code, _)| code == text) {
        return label.clone();
    }
    match field.type_spec.as_str() {
        "Boolean" => match text {
            "true" => "예".to_owned(),
            "false" => "아니오".to_owned(),
            other => other.to_owned(),
        },
        spec if spec.contains("DATE") || spec.contains("DTIME") => readable_dtime(text),
        _ if field.is_month() && text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{}-{}", &text[..4], &text[4..])
        }
        spec if spec.starts_with("F(") || field.name.ends_with("_amt") => thousands(text),
        _ => text.to_owned(),
    }
}

/// `1234567.500` as `1,234,567.500`; text that is not such a number is left as it is.
fn thousands(text: &str) -> String {
    let (sign, unsigned) = text.strip_prefix('-').map_or(("", text), |rest| ("-", rest));
    let (whole, fraction) = unsigned.split_once('.').map_or((unsigned, None), |(w, f)| (w, Some(f)));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return text.to_owned();
    }
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// YYYYMMDDhhmmss as people read it.
fn readable_dtime(text: &str) -> String {
    match (text.get(..4), text.get(4..6), text.get(6..8), text.get(8..10), text.get(10..12)) {
        (Some(y), Some(m), Some(d), Some(h), Some(min)) => format!("{y}-{m}-{d} {h}:{min}"),
        (Some(y), Some(m), Some(d), _, _) => format!("{y}-{m}-{d}"),
        _ => text.to_owned(),
    }
}

/// The scalar fields of an answer (lists and objects left to their own tables) as label: value rows.
fn fields_table(api: Option<&'static ApiSpec>, data: &Value) -> String {
    let Some(map) = data.as_object() else { return String::new() };
    let rows: String = map
        .iter()
        .filter_map(|(name, value)| Some((name, mydata_client::call::value_text(value)?)))
        .map(|(name, value)| {
            format!("<tr><th>{}</th><td>{}</td></tr>", escape(&label(api, name)), escape(&readable(api, name, &value)))
        })
        .collect();
    format!("<table class=\"fields\">{rows}</table>")
}

/// The latest `LATEST` entries of a history, by the first date field their API defines.
fn latest_entries(api: Option<&'static ApiSpec>, mut entries: Vec<Value>) -> String {
    let when = entries.first().and_then(Value::as_object).and_then(|e| e.keys().find(|k| is_when(api, k)).cloned());
    if let Some(when) = &when {
        entries.sort_by(|a, b| b[when.as_str()].as_str().cmp(&a[when.as_str()].as_str()));
    }
    entries.truncate(LATEST);
    let Some(first) = entries.first().and_then(Value::as_object) else { return "<p>내역 없음</p>".into() };
    let names: Vec<&String> = first.iter().filter(|(_, v)| !v.is_array() && !v.is_object()).map(|(k, _)| k).collect();
    let head: String = names.iter().map(|n| format!("<th>{}</th>", escape(&label(api, n)))).collect();
    let rows: String = entries
        .iter()
        .map(|entry| {
            let cells: String = names
                .iter()
                .map(|n| {
                    let text = entry.get(n.as_str()).and_then(mydata_client::call::value_text).unwrap_or_default();
                    format!("<td>{}</td>", escape(&readable(api, n, &text)))
                })
                .collect();
            format!("<tr>{cells}</tr>")
        })
        .collect();
    format!("<table class=\"history\"><tr>{head}</tr>{rows}</table>")
}

async fn asset_section(store: &OperatorStore, customer_id: &str, asset: &Asset) -> StoreResult<String> {
    let list = api(&asset.api_id);
    let mut out = format!(
        "<div class=\"asset\" data-asset=\"{key}\"><h4>{key}</h4>{item}",
        key = escape(&asset.asset_key),
        item = fields_table(list, &asset.data)
    );
    for detail in &asset.details {
        let detail_api = api(&detail.api_id);
        out.push_str(&format!(
            "<h5>{}</h5>{}",
            escape(detail_api.map_or(detail.api_id.as_str(), |a| a.name)),
            fields_table(detail_api, &detail.data)
        ));
    }
    for history in &asset.histories {
        let history_api = api(&history.api_id);
        let rows =
            store.history_page(customer_id, &asset.org_code, &history.api_id, &history.subject_key, None, READ).await?;
        out.push_str(&format!(
            "<h5>{} (최근 {LATEST}건)</h5>{}",
            escape(history_api.map_or(history.api_id.as_str(), |a| a.name)),
            latest_entries(history_api, rows.into_iter().map(|r| r.body).collect())
        ));
    }
    out.push_str(&format!(
        "<p class=\"collected\">수집 시각: {}</p></div>",
        escape(&readable_dtime(&asset.collected_at))
    ));
    Ok(out)
}

/// The page of `customer_id`.
async fn page(store: &OperatorStore, customer_id: &str) -> StoreResult<String> {
    let held = holdings(store, customer_id).await?;
    let names = InstitutionNames::of(store).await?;
    // Institution → kind (the asset list) → assets.
    let mut grouped: BTreeMap<(&str, &str), BTreeMap<&str, Vec<&Asset>>> = BTreeMap::new();
    for asset in &held.assets {
        grouped
            .entry((asset.org_code.as_str(), asset.industry.as_str()))
            .or_default()
            .entry(asset.api_id.as_str())
            .or_default()
            .push(asset);
    }
    let mut body = String::new();
    if grouped.is_empty() {
        body.push_str("<p>수집된 자산이 없습니다.</p>");
    }
    for ((org_code, industry), kinds) in grouped {
        let name = names.name(org_code, industry);
        let industry = industry_korean(industry);
        body.push_str(&format!(
            "<section class=\"institution\" data-org=\"{}\"><h2>{} <small>{}</small></h2>",
            escape(org_code),
            escape(&name),
            escape(industry)
        ));
        for (list_id, assets) in kinds {
            let kind = api(list_id).map_or(list_id, |a| a.name);
            body.push_str(&format!("<section class=\"kind\"><h3>{}</h3>", escape(kind)));
            for asset in assets {
                body.push_str(&asset_section(store, customer_id, asset).await?);
            }
            body.push_str("</section>");
        }
        body.push_str("</section>");
    }
    Ok(format!(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>{c}님의 자산</title>\
         <style>body{{font-family:sans-serif}} table{{border-collapse:collapse;margin:.3em 0}} \
         th,td{{border:1px solid #ccc;padding:2px 6px;text-align:left}} .asset{{margin:0 0 1em 1em}}</style></head>\
         <body><h1>{c}님의 자산</h1>{body}<p><a href=\"/\">처음으로</a></p></body></html>",
        c = escape(customer_id)
    ))
}

#[derive(serde::Deserialize)]
struct DashboardQuery {
    customer: String,
}

struct Dashboards {
    store: OperatorStore,
    customers: KnownCustomers,
}

async fn dashboard(State(dashboards): State<Arc<Dashboards>>, Query(q): Query<DashboardQuery>) -> Response {
    let shown = match dashboards.customers.knows(&dashboards.store, &q.customer).await {
        Ok(true) => page(&dashboards.store, &q.customer).await.map(Some),
        Ok(false) => Ok(None),
        Err(e) => Err(e),
    };
    match shown {
        Ok(Some(html)) => Html(html).into_response(),
        Ok(None) => {
            let body = format!("<p>{}님은 이 운영자의 고객이 아닙니다.</p>", escape(&q.customer));
            (StatusCode::NOT_FOUND, crate::web::page("알 수 없는 고객", &body)).into_response()
        }
        Err(e) => crate::web::store_failure_page(&e),
    }
}

/// `/dashboard?customer=ID`, for the customers `signed_in` to the operator and those who gave it a consent.
pub fn routes(store: OperatorStore, signed_in: Vec<String>) -> Router {
    let customers = KnownCustomers::new(signed_in);
    Router::new().route("/dashboard", get(dashboard)).with_state(Arc::new(Dashboards { store, customers }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_their_fields_define_them() {
        // 카드-001: card_type lists its codes in its note; is_consent is a Boolean.
        let cards = api("카드-001");
        let card_type = field(&cards.unwrap().fields().response, "card_type").unwrap();
        let (code, name) = field_codes(card_type).first().expect("card_type lists its codes");
        assert_eq!(&readable(cards, "card_type", code), name);
        assert_eq!(readable(cards, "is_consent", "true"), "예");
        assert_eq!(readable(cards, "is_consent", "false"), "아니오");
        assert_eq!(readable(cards, "no_such_field", "01"), "01");
        assert_eq!(label(cards, "card_type"), card_type.ko.trim_end_matches("(코드)").trim_end());
        // 은행-001's account_type names its 첨부3 code.
        assert_eq!(readable(api("은행-001"), "account_type", "3710"), "운용리스");
        assert_eq!(label(api("은행-001"), "account_type"), "계좌구분");
        // 은행-003's balance_amt is an amount (F(18,3)); 은행-002's issue_date a DATE.
        assert_eq!(readable(api("은행-003"), "balance_amt", "-1234567.500"), "-1,234,567.500");
        assert_eq!(readable(api("은행-002"), "issue_date", "20250721"), "2025-07-21");
        // 카드-004's charge_month is a month (N(6), YYYYMM); 은행-004's trans_amt an amount.
        assert_eq!(readable(api("카드-004"), "charge_month", "202611"), "2026-11");
        assert_eq!(readable(api("카드-004"), "charge_month", "가나"), "가나", "six bytes, not a month");
        assert_eq!(readable(api("은행-004"), "trans_amt", "1557400"), "1,557,400");
    }

    #[test]
    fn thousands_are_grouped_and_other_text_kept() {
        assert_eq!(thousands("100"), "100");
        assert_eq!(thousands("1000"), "1,000");
        assert_eq!(thousands("1086800"), "1,086,800");
        assert_eq!(thousands("12.5"), "12.5");
        assert_eq!(thousands("abc"), "abc");
        assert_eq!(thousands(""), "");
    }
}
