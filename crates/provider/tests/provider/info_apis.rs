//! Every information API of every industry over HTTP, on SQLite and PostgreSQL: a success case
//! checked field by field against the generated data and the standard's response tables, and the
//! standard's errors for every way a request can be wrong.

use crate::info_harness;

use info_harness::*;
use mydata_spec::ApiKind;
use mydata_spec::catalogue::{self, Group, Method};
use mydata_spec::validate::check_response;
use mydata_spec::{Industry, RspCode};
use mydata_store::Backend;
use serde_json::{Map, Value, json};

/// What the provider must answer for `call` of `customer` (envelope left out), decided by the API's
/// table and the generated data alone: the stored document's fields, and the table's list field
/// holding the generated items — every item of an asset list, consented, with the customer's
/// `reg_date` where the table names it; the rows of the requested period, newest first — with the
/// table's count field.
fn expected(seeded: &Seeded, call: &Call, customer: &str) -> Map<String, Value> {
    let data = seeded.of(call.industry, customer);
    let key = call.subject_key(customer);
    let stored = data.documents.iter().find(|d| d.api_id == call.api.id && d.subject_key == key);
    let mut body = stored.and_then(|d| d.body.as_object().cloned()).unwrap_or_default();
    let items: Vec<Value> = match call.kind() {
        ApiKind::Document => return body,
        ApiKind::AssetList => {
            if call.api.fields().response_field("reg_date").is_some() {
                body.insert("reg_date".into(), json!(data.customers[0].reg_date));
            }
            let listed = data.assets.iter().filter(|a| a.list_api == call.api.id);
            listed.map(|a| merged(&a.item, json!({"is_consent": "true"}))).collect()
        }
        ApiKind::Rows { .. } => {
            let mut rows: Vec<_> = data
                .history
                .iter()
                .filter(|h| h.api_id == call.api.id && h.subject_key == key && within_period(call, &h.occurred))
                .collect();
            rows.sort_by(|a, b| b.occurred.cmp(&a.occurred));
            rows.into_iter().map(|h| h.body.clone()).collect()
        }
        ApiKind::ApiList | ApiKind::ConsentDetail | ApiKind::NotInformation => {
            unreachable!("{} is not answered from stored data", call.api.id)
        }
    };
    let (list, count) = mydata_spec::subject::list_fields(call.api).expect("a list field");
    if let Some(count) = count {
        body.insert(count.name.clone(), json!(items.len().to_string()));
    }
    body.insert(list.name.clone(), Value::Array(items));
    body
}

fn merged(item: &Value, more: Value) -> Value {
    let mut item = item.clone();
    item.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
    item
}

/// Whether a row that occurred at `occurred` (DTIME) lies within the request's from/to dates or
/// months, both included.
fn within_period(call: &Call, occurred: &str) -> bool {
    let (from, to, length) = match (call.api.takes_date_range(), call.api.takes_month_range()) {
        (true, _) => (param(call, "from_date"), param(call, "to_date"), "YYYYMMDD".len()),
        (_, true) => (param(call, "from_month"), param(call, "to_month"), "YYYYMM".len()),
        _ => return true,
    };
    (from.as_str()..=to.as_str()).contains(&&occurred[..length])
}

fn param(call: &Call, name: &str) -> String {
    call.params[name].as_str().unwrap().to_owned()
}

/// An asset list's items in one order whatever the list's (the standard orders only some lists).
fn unordered(mut body: Map<String, Value>, call: &Call) -> Map<String, Value> {
    if call.kind() == ApiKind::AssetList {
        let (list, _) = mydata_spec::subject::list_fields(call.api).expect("a list field");
        if let Some(Value::Array(items)) = body.get_mut(&list.name) {
            items.sort_by_key(Value::to_string);
        }
    }
    body
}

/// The response without the fields the pipeline adds (codes, stamps, cursors).
fn data_of(body: &Value) -> Map<String, Value> {
    let mut data = body.as_object().unwrap().clone();
    for envelope in ["rsp_code", "rsp_msg", "search_timestamp", "next_page"] {
        data.remove(envelope);
    }
    data
}

async fn every_api_answers_field_by_field(backend: Backend) {
    let seeded = seeded(backend).await;
    let mut answered = 0;
    for industry in Industry::ALL {
        let (consent, token) = seeded.full_consent(industry, CUSTOMER).await;
        for api in catalogue::info_apis(industry) {
            let call = seeded.request(api, industry, CUSTOMER);
            let body = seeded.expect(&call, Some(&token), RspCode::Success).await;
            let violations = check_response(api, &body);
            assert!(violations.is_empty(), "{} at {industry}: {violations:?}\n{body}", api.id);
            // The same body against the schema the server's /openapi.json publishes for it.
            let schema = mydata_spec::openapi::response_schema(api);
            let validator = jsonschema::validator_for(&schema).expect("published schemas compile");
            let problems: Vec<String> = validator.iter_errors(&body).map(|e| e.to_string()).collect();
            assert!(problems.is_empty(), "{} at {industry} against its OpenAPI schema: {problems:?}\n{body}", api.id);
            match api.id {
                "공통-001" => {
                    assert_eq!(body["api_cnt"], catalogue::info_apis(industry).count().to_string());
                }
                "공통-002" => {
                    assert_eq!(body["is_scheduled"], "true");
                    assert_eq!(body["fnd_cycle"], "1/w");
                    assert_eq!(body["end_date"], consent.end_date.format("%Y%m%d").to_string());
                    assert_eq!(body["purpose"], consent.purpose);
                    assert_eq!(body["period"], "99991231");
                }
                _ => {
                    let expected = unordered(expected(&seeded, &call, CUSTOMER), &call);
                    assert_eq!(unordered(data_of(&body), &call), expected, "{} at {industry}", api.id);
                    // Not vacuous: every list the test data fills is answered non-empty.
                    if let Some((list, _)) = mydata_spec::subject::list_fields(api) {
                        let items = expected[&list.name].as_array().map_or(0, Vec::len);
                        assert!(items > 0, "{} at {industry}: the test data left {} empty", api.id, list.name);
                    }
                }
            }
            if api.takes_search_timestamp() {
                assert_eq!(body["search_timestamp"].as_str().map(str::len), Some(14), "{}: {body}", api.id);
            }
            answered += 1;
        }
    }
    let served: usize = Industry::ALL.iter().map(|&i| catalogue::info_apis(i).count()).sum();
    assert_eq!(answered, served);
    // Every one of the 76 information APIs was among them.
    let ids: std::collections::HashSet<_> =
        Industry::ALL.iter().flat_map(|&i| catalogue::info_apis(i)).map(|a| a.id).collect();
    assert_eq!(ids.len(), catalogue::group(Group::Info).count());
}

/// Scopes of the industry other than the one `api` needs (so a token with them lacks it).
fn scopes_without(api: &mydata_spec::ApiSpec, industry: Industry) -> String {
    let needed = api.scope_for(industry).unwrap();
    let others: Vec<String> = mydata_domain::scope::scopes_of(industry).into_iter().filter(|s| *s != needed).collect();
    others.join(" ")
}

async fn every_api_refuses_bad_requests(backend: Backend) {
    let seeded = seeded(backend).await;
    for industry in Industry::ALL {
        let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
        let own_assets = seeded.asset_keys(industry, CUSTOMER);
        for api in catalogue::info_apis(industry).filter(|a| a.scope != catalogue::ScopeRule::None) {
            let call = seeded.request(api, industry, CUSTOMER);
            // Missing and invalid tokens.
            seeded.expect(&call, None, RspCode::InvalidToken).await;
            seeded.expect(&call, Some("not.a.token"), RspCode::InvalidToken).await;
            // A scope that was not granted.
            let narrow = consent_record(industry, CUSTOMER, &scopes_without(api, industry), own_assets.clone());
            let (_, narrow) = seeded.app.issue(narrow).await;
            seeded.expect(&call, Some(&narrow.access_token), RspCode::ScopeNotGranted).await;
            if let Some(key) = api.resource_key() {
                // The customer's own asset, but not chosen on the consent page.
                let scopes = all_scopes(industry);
                let (_, none) = seeded.app.issue(consent_record(industry, CUSTOMER, &scopes, vec![])).await;
                seeded.expect(&call, Some(&none.access_token), RspCode::AssetNotConsented).await;
                // Another customer's asset answers exactly like one that does not exist.
                let foreign = seeded.request(api, industry, OTHER_CUSTOMER);
                let foreign_key = foreign.params[key].as_str().unwrap();
                let stolen = call.clone().with(key, foreign_key);
                let missing = call.clone().with(key, "999999999999");
                let a = seeded.expect(&stolen, Some(&token), RspCode::AssetNotFound).await;
                let b = seeded.expect(&missing, Some(&token), RspCode::AssetNotFound).await;
                assert_eq!(a, b, "{}: foreign and missing assets must be indistinguishable", api.id);
            }
            if api.takes_date_range() {
                let bad_dates = [("from_date", "2024-01-01"), ("to_date", "20241301"), ("from_date", "yesterday")];
                let not_dates = [("from_date", "00000000"), ("from_date", "20230229"), ("to_date", "20240431")];
                for (name, bad) in bad_dates.into_iter().chain(not_dates) {
                    seeded.expect(&call.clone().with(name, bad), Some(&token), RspCode::InvalidParameter).await;
                }
                let reversed = call
                    .clone()
                    .with("from_date", &param(&call, "to_date"))
                    .with("to_date", &param(&call, "from_date"));
                seeded.expect(&reversed, Some(&token), RspCode::InvalidParameter).await;
                seeded.expect(&call.clone().without("to_date"), Some(&token), RspCode::InvalidParameter).await;
            }
            if api.takes_month_range() {
                seeded
                    .expect(&call.clone().with("from_month", "202413"), Some(&token), RspCode::InvalidParameter)
                    .await;
                let reversed = call
                    .clone()
                    .with("from_month", &param(&call, "to_month"))
                    .with("to_month", &param(&call, "from_month"));
                seeded.expect(&reversed, Some(&token), RspCode::InvalidParameter).await;
            }
            if api.method == Method::Post {
                // A member the table does not name is ignored, whatever it holds.
                let mut later = call.clone();
                later.params.insert("added_in_a_later_version".into(), json!({"nested": [1, true, null]}));
                seeded.expect(&later, Some(&token), RspCode::Success).await;
                // A member of the table is a string, or a whole number whose digits are a value.
                let mut number = call.clone();
                number.params.insert("org_code".into(), json!(1.5));
                seeded.expect(&number, Some(&token), RspCode::InvalidParameter).await;
                let mut listed = call.clone();
                listed.params.insert("org_code".into(), json!([org_code(industry)]));
                seeded.expect(&listed, Some(&token), RspCode::InvalidParameter).await;
                if api.pages() {
                    for (limit, code) in [
                        (json!(20), RspCode::Success),
                        (json!(20.0), RspCode::Success),
                        (json!(20.5), RspCode::InvalidParameter),
                    ]
                    .into_iter()
                    .chain([(json!(true), RspCode::InvalidParameter), (json!(0), RspCode::InvalidParameter)])
                    {
                        let mut numbered = call.clone();
                        numbered.params.insert("limit".into(), limit);
                        seeded.expect(&numbered, Some(&token), code).await;
                    }
                }
            }
            if api.pages() {
                seeded
                    .expect(&call.clone().with("next_page", "garbage!"), Some(&token), RspCode::InvalidParameter)
                    .await;
                for limit in ["0", "501", "-1", "x"] {
                    seeded.expect(&call.clone().with("limit", limit), Some(&token), RspCode::InvalidParameter).await;
                }
            }
        }
    }
}

mydata_store::each_backend!(every_api_answers_field_by_field, every_api_refuses_bad_requests,);
