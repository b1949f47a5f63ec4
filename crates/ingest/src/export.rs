//! Stored rows back into records: what `mydata export` writes and `mydata testdata --ndjson`
//! prints, so that generated data, exports and an institution's own files take one path in.

use mydata_spec::ApiKind;
use mydata_spec::catalogue::{self, ApiSpec};
use mydata_spec::subject::{self, SEPARATOR};
use mydata_store::{AssetRow, Customer, Document, HistoryRow};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// One customer's rows at one institution, as stored or generated.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    pub customer: Option<&'a Customer>,
    pub assets: &'a [AssetRow],
    pub documents: &'a [Document],
    pub history: &'a [HistoryRow],
}

fn customer_record(c: &Customer) -> Value {
    json!({"org_code": c.org_code, "customer": {
        "customer_id": c.customer_id, "ci": c.ci, "name": c.customer_name, "reg_date": c.reg_date}})
}

fn data_record(
    org_code: &str,
    customer_id: &str,
    api: &ApiSpec,
    key: Map<String, Value>,
    data: Map<String, Value>,
) -> Value {
    json!({"org_code": org_code, "customer_id": customer_id, "api": api.id, "key": key, "data": data})
}

/// The request's key fields a subject key was made of ([`subject::subject_key`]): the asset's key,
/// then its qualifiers in order (those a request must give, when fewer parts than qualifiers).
fn key_of(api: &'static ApiSpec, subject_key: &str) -> Map<String, Value> {
    let mut parts = subject_key.split(SEPARATOR);
    let base = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let mut key = Map::new();
    if let Some(resource) = api.resource_key() {
        key.insert(resource.to_owned(), json!(base));
    }
    let all: Vec<&str> = subject::qualifiers_of(api).collect();
    let named: Vec<&str> = if rest.len() == all.len() {
        all
    } else {
        let fields = api.fields();
        let asked = |q: &&str| {
            matches!(*q, "charge_month" | "account_id") || fields.request_field(q).is_some_and(|f| f.required)
        };
        all.into_iter().filter(asked).collect()
    };
    for (name, value) in named.into_iter().zip(rest) {
        key.insert(name.to_owned(), json!(value));
    }
    key
}

/// A whole answer's list and its count, after `fields`.
fn with_list(api: &ApiSpec, mut fields: Map<String, Value>, items: Vec<Value>) -> Map<String, Value> {
    if let Some((list, count)) = subject::list_fields(api) {
        if let Some(count) = count {
            fields.insert(count.name.clone(), json!(items.len().to_string()));
        }
        fields.insert(list.name.clone(), Value::Array(items));
    }
    fields
}

/// Writes `rows` as NDJSON records, one a line; returns how many.
pub fn write_records(rows: Rows<'_>, out: &mut impl std::io::Write) -> std::io::Result<usize> {
    let mut written = 0;
    for record in records(rows) {
        serde_json::to_writer(&mut *out, &record)?;
        out.write_all(b"\n")?;
        written += 1;
    }
    Ok(written)
}

/// Every record of one customer at one institution: the customer, each asset list, each document,
/// each history (its whole answer, newest entry first).
pub fn records(rows: Rows<'_>) -> Vec<Value> {
    let mut out = Vec::new();
    let Some(customer) = rows.customer else { return out };
    let (org_code, customer_id) = (customer.org_code.as_str(), customer.customer_id.as_str());
    out.push(customer_record(customer));
    let mut lists: BTreeMap<&str, Vec<&AssetRow>> = BTreeMap::new();
    for asset in rows.assets {
        lists.entry(&asset.list_api).or_default().push(asset);
    }
    for (list_api, mut assets) in lists {
        let Some(api) = catalogue::api(list_api) else { continue };
        assets.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
        let mut top = Map::new();
        if api.fields().response_field("reg_date").is_some() {
            top.insert("reg_date".into(), json!(customer.reg_date));
        }
        let items = assets.iter().map(|a| a.item.clone()).collect();
        out.push(data_record(org_code, customer_id, api, Map::new(), with_list(api, top, items)));
    }
    // Histories by subject, with the top-level fields of the document of the API that answers one.
    type History<'a> = (Map<String, Value>, Vec<&'a HistoryRow>);
    let mut histories: BTreeMap<(&str, &str), History<'_>> = BTreeMap::new();
    for document in rows.documents {
        let Some(api) = catalogue::api(&document.api_id) else { continue };
        let body = document.body.as_object().cloned().unwrap_or_default();
        if api.kind() == ApiKind::Document {
            out.push(data_record(org_code, customer_id, api, key_of(api, &document.subject_key), body));
        } else {
            histories.entry((&document.api_id, &document.subject_key)).or_default().0 = body;
        }
    }
    for entry in rows.history {
        histories.entry((&entry.api_id, &entry.subject_key)).or_default().1.push(entry);
    }
    for ((api_id, subject_key), (top, mut entries)) in histories {
        let Some(api) = catalogue::api(api_id) else { continue };
        entries.sort_by(|a, b| b.sort_key.cmp(&a.sort_key));
        let items = entries.iter().map(|e| e.body.clone()).collect();
        out.push(data_record(org_code, customer_id, api, key_of(api, subject_key), with_list(api, top, items)));
    }
    out
}
