//! An institution's own data imported as NDJSON records (issue 20), then served over HTTP by every
//! information API of every industry with exactly the imported values, on SQLite and PostgreSQL;
//! a refused batch writes nothing; a re-import of the same data leaves collectors at 00001; an
//! asset left out of its list answers 40402; export then import gives the same records.

use crate::common;
use crate::info_harness;

use info_harness::*;
use mydata_ingest::{ImportError, export, import};
use mydata_spec::catalogue;
use mydata_spec::{ApiKind, Industry, RspCode};
use mydata_store::prelude::*;
use mydata_store::{Backend, SqlStore};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The demo customers' generated data at every institution as records, one per line.
fn records_of(seeded: &Seeded) -> Vec<Value> {
    let mut keys: Vec<_> = seeded.data.keys().collect();
    keys.sort();
    keys.into_iter()
        .flat_map(|key| {
            let data = &seeded.data[key];
            export::records(export::Rows {
                customer: data.customers.first(),
                assets: &data.assets,
                documents: &data.documents,
                history: &data.history,
            })
        })
        .collect()
}

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// A provider whose data came in through `mydata_ingest::import` of the generated records.
async fn imported(backend: Backend) -> (Seeded, Vec<Value>) {
    let app = common::spawn(backend).await;
    let mut generator = mydata_testdata::Generator::new(7, korean_today());
    generator.max_rows = 12;
    let mut data = HashMap::new();
    for who in mydata_testdata::demo_people() {
        for org in institutions() {
            data.insert((org.org_code.clone(), who.customer_id.clone()), generator.customer(&org, &who));
        }
    }
    let seeded = Seeded { app, generator, data };
    let records = records_of(&seeded);
    let summary = import(seeded.app.store.as_ref(), ndjson(&records).as_bytes(), None, |_| {}).await.unwrap();
    assert_eq!(summary.records, records.len());
    assert_eq!(summary.customers, seeded.data.len());
    assert!(summary.rows > 0);
    (seeded, records)
}

/// The record that gave what `call` asks about, by its API and key.
fn record_for<'a>(records: &'a [Value], call: &Call, customer: &str) -> Option<&'a Value> {
    let org = org_code(call.industry);
    records.iter().find(|r| {
        r["org_code"] == org.as_str()
            && r["customer_id"] == customer
            && r["api"] == call.api.id
            && r["key"].as_object().is_some_and(|key| key.iter().all(|(k, v)| call.params.get(k) == Some(v)))
    })
}

/// Where an entry falls for a period: its first DATE/DTIME field (a `*_month` one for APIs asked by
/// months), as docs/spec-decisions.md records for imported histories.
fn within_period(call: &Call, entry: &Value) -> bool {
    let children = &mydata_spec::subject::list_fields(call.api).unwrap().0.children;
    let param = |name: &str| call.params[name].as_str().unwrap().to_owned();
    let (from, to, timed): (String, String, fn(&mydata_spec::fields::Field) -> bool) =
        match (call.api.takes_date_range(), call.api.takes_month_range()) {
            (true, _) => (param("from_date"), param("to_date"), |f| {
                f.type_spec.contains("DATE") || f.type_spec.contains("DTIME")
            }),
            (_, true) => (param("from_month"), param("to_month"), |f| f.name.ends_with("_month")),
            _ => return true,
        };
    let field = children.iter().find(|f| timed(f)).unwrap();
    let when = entry[&field.name].as_str().unwrap();
    (from.as_str()..=to.as_str()).contains(&&when[..from.len()])
}

/// What the provider must answer, from the record alone: its data, every list item marked
/// consented, every history entry of the period, with the list's count.
fn expected(record: &Value, call: &Call) -> Map<String, Value> {
    let mut data = record["data"].as_object().unwrap().clone();
    let Some((list, count)) = mydata_spec::subject::list_fields(call.api) else { return data };
    if call.kind() == ApiKind::Document {
        return data;
    }
    let mut items: Vec<Value> = data[&list.name].as_array().unwrap().clone();
    match call.kind() {
        ApiKind::AssetList => items.iter_mut().for_each(|i| {
            i.as_object_mut().unwrap().insert("is_consent".into(), json!("true"));
        }),
        _ => items.retain(|entry| within_period(call, entry)),
    }
    items.sort_by_key(Value::to_string);
    if let Some(count) = count {
        data.insert(count.name.clone(), json!(items.len().to_string()));
    }
    data.insert(list.name.clone(), Value::Array(items));
    data
}

fn answered(body: &Value, call: &Call) -> Map<String, Value> {
    let mut data = body.as_object().unwrap().clone();
    for envelope in ["rsp_code", "rsp_msg", "search_timestamp", "next_page"] {
        data.remove(envelope);
    }
    if let Some((list, _)) = mydata_spec::subject::list_fields(call.api)
        && call.kind() != ApiKind::Document
        && let Some(Value::Array(items)) = data.get_mut(&list.name)
    {
        items.sort_by_key(Value::to_string);
    }
    data
}

async fn every_api_serves_the_imported_values(backend: Backend) {
    let (seeded, records) = imported(backend).await;
    let mut compared = 0;
    for industry in Industry::ALL {
        let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
        for api in catalogue::info_apis(industry).filter(|a| a.serves_stored_data()) {
            let call = seeded.request(api, industry, CUSTOMER);
            let Some(record) = record_for(&records, &call, CUSTOMER) else {
                // A history the generator left empty: served empty, and nothing to compare.
                assert!(matches!(call.kind(), ApiKind::Rows { with_document: false }), "{} has no record", api.id);
                continue;
            };
            let body = seeded.expect(&call, Some(&token), RspCode::Success).await;
            assert_eq!(answered(&body, &call), expected(record, &call), "{} at {industry}", api.id);
            compared += 1;
        }
    }
    assert!(compared > 60, "only {compared} APIs compared");
}

mydata_store::each_backend!(every_api_serves_the_imported_values);

/// Every stored row, as the export writes it.
async fn exported(store: &SqlStore) -> String {
    let mut out = Vec::new();
    mydata_ingest::export(store, None, None, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

async fn a_bad_record_refuses_its_batch(backend: Backend) {
    let (seeded, records) = imported(backend).await;
    let store = seeded.app.store.as_ref();
    let before = exported(store).await;
    // A changed customer, then a list with an account number too long for aN(20).
    let mut list = records.iter().find(|r| r["api"] == "은행-001").unwrap().clone();
    list["data"]["account_list"][0]["account_num"] = json!("1".repeat(21));
    let customer =
        json!({"org_code": "BANK000001", "customer": {"customer_id": "new1", "ci": "CI-new1", "name": "새고객"}});
    let file = ndjson(&[customer, json!({"org_code": "BANK000001", "customer_id": "demo1", "delete": true}), list]);
    let refused = import(store, file.as_bytes(), None, |_| {}).await.unwrap_err();
    assert!(matches!(refused, ImportError::Refused(_)));
    assert_eq!(refused.to_string(), "line 3: 은행-001 data.account_list[0].account_num: aN(20) longer than 20");
    assert_eq!(exported(store).await, before, "a refused batch wrote nothing");
    // With --batch 1 the records before the bad one are written.
    let refused = import(store, file.as_bytes(), Some(1), |_| {}).await.unwrap_err();
    assert!(refused.to_string().starts_with("line 3: "), "{refused}");
    assert!(store.customer("BANK000001", "new1").await.unwrap().is_some());
    assert!(store.customer("BANK000001", "demo1").await.unwrap().is_none(), "the removal of line 2 was written");
    // Two records that disagree about one thing are refused whatever their order.
    let customer =
        |name: &str| json!({"org_code": "BANK000001", "customer": {"customer_id": "x", "ci": "CI-x", "name": name}});
    let refused = import(store, ndjson(&[customer("가"), customer("나")]).as_bytes(), None, |_| {}).await.unwrap_err();
    assert_eq!(refused.to_string(), "line 2: customer: says otherwise than line 1 about the same thing");
}

mydata_store::each_backend!(a_bad_record_refuses_its_batch);

/// Many batches, read, gathered and written at once: those before a refused or unreadable line are
/// written, in order, and nothing after it.
async fn the_batches_before_a_bad_line_are_written_and_none_after(backend: Backend) {
    let app = common::spawn(backend).await;
    let store = app.store.as_ref();
    let customer = |n: usize| json!({"org_code": "BANK000001", "customer": {"customer_id": format!("many{n}"), "ci": format!("CI-many{n}"), "name": "고객"}});
    let written = async |store: &SqlStore| {
        let customers = store.customers("BANK000001").await.unwrap();
        let mut ids: Vec<usize> =
            customers.iter().filter_map(|c| c.customer_id.strip_prefix("many")?.parse().ok()).collect();
        ids.sort();
        ids
    };
    // 20,000 lines, several chunks of lines and batches of 5,000: line 17,000 has a name too long.
    let mut lines: Vec<Value> = (1..=20_000).map(customer).collect();
    lines[16_999]["customer"]["name"] = json!("가".repeat(200));
    let refused = import(store, ndjson(&lines).as_bytes(), Some(5_000), |_| {}).await.unwrap_err();
    assert!(refused.to_string().starts_with("line 17000: customer"), "{refused}");
    assert_eq!(written(store).await, (1..=15_000).collect::<Vec<_>>(), "three batches written, the fourth not");

    // A line that is not UTF-8 cannot be read: the batches before it are written, its own not.
    let mut file = ndjson(&(20_001..=20_003).map(customer).collect::<Vec<_>>()).into_bytes();
    file.extend_from_slice(b"\xff\n");
    let unread = import(store, &file[..], None, |_| {}).await.unwrap_err();
    assert!(matches!(unread, ImportError::Read { line: 4, .. }), "{unread}");
    assert!(store.customer("BANK000001", "many20001").await.unwrap().is_none(), "one batch: nothing written");
    let unread = import(store, &file[..], Some(2), |_| {}).await.unwrap_err();
    assert!(matches!(unread, ImportError::Read { line: 4, .. }), "{unread}");
    assert!(store.customer("BANK000001", "many20002").await.unwrap().is_some(), "the batch of lines 1 and 2");
    assert!(store.customer("BANK000001", "many20003").await.unwrap().is_none(), "line 3's batch was open");
}

mydata_store::each_backend!(the_batches_before_a_bad_line_are_written_and_none_after);

async fn unchanged_data_leaves_collectors_up_to_date(backend: Backend) {
    let (seeded, records) = imported(backend).await;
    let industry = Industry::Bank;
    let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
    // Stamps count whole seconds: the first answer's stamp must be later than the import.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let stamped: Vec<_> = catalogue::info_apis(industry).filter(|a| a.takes_search_timestamp()).collect();
    assert!(!stamped.is_empty());
    let mut stamps = Vec::new();
    for api in &stamped {
        let body = seeded.expect(&seeded.request(api, industry, CUSTOMER), Some(&token), RspCode::Success).await;
        stamps.push(body["search_timestamp"].as_str().unwrap().to_owned());
    }
    let summary = import(seeded.app.store.as_ref(), ndjson(&records).as_bytes(), None, |_| {}).await.unwrap();
    assert_eq!(summary.rows, 0, "the same data changed no row");
    for (api, stamp) in stamped.iter().zip(&stamps) {
        let call = seeded.request(api, industry, CUSTOMER).with("search_timestamp", stamp);
        seeded.expect(&call, Some(&token), RspCode::UpToDate).await;
    }
    // A changed transaction moves its account's stamp: the collector gets it again.
    let mut history = records.iter().find(|r| r["api"] == "은행-004" && r["customer_id"] == CUSTOMER).unwrap().clone();
    history["data"]["trans_list"][0]["trans_amt"] = json!("1.5");
    import(seeded.app.store.as_ref(), ndjson(&[history.clone()]).as_bytes(), None, |_| {}).await.unwrap();
    let call = seeded.request(catalogue::api("은행-004").unwrap(), industry, CUSTOMER);
    let call = history["key"].as_object().unwrap().iter().fold(call, |c, (k, v)| c.with(k, v.as_str().unwrap()));
    let index = stamped.iter().position(|a| a.id == "은행-004");
    if let Some(index) = index {
        let body = seeded.expect(&call.with("search_timestamp", &stamps[index]), Some(&token), RspCode::Success).await;
        assert!(body["trans_list"].as_array().unwrap().iter().any(|t| t["trans_amt"] == "1.5"), "{body}");
    }
}

mydata_store::each_backend!(unchanged_data_leaves_collectors_up_to_date);

async fn an_asset_left_out_is_gone(backend: Backend) {
    let (seeded, records) = imported(backend).await;
    let industry = Industry::Bank;
    let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
    let mut list = records.iter().find(|r| r["api"] == "은행-001" && r["customer_id"] == CUSTOMER).unwrap().clone();
    let accounts = list["data"]["account_list"].as_array_mut().unwrap();
    let gone = accounts.remove(0)["account_num"].as_str().unwrap().to_owned();
    list["data"]["account_cnt"] = json!(accounts.len().to_string());
    import(seeded.app.store.as_ref(), ndjson(&[list]).as_bytes(), None, |_| {}).await.unwrap();
    let listed = seeded
        .expect(
            &seeded.request(catalogue::api("은행-001").unwrap(), industry, CUSTOMER),
            Some(&token),
            RspCode::Success,
        )
        .await;
    assert!(listed["account_list"].as_array().unwrap().iter().all(|a| a["account_num"] != gone.as_str()), "{listed}");
    let detail = Call::for_subject(catalogue::api("은행-002").unwrap(), industry, gone.clone());
    seeded.expect(&detail, Some(&token), RspCode::AssetNotFound).await;
    // What was stored about it went with it: an export names it nowhere.
    let mut export = Vec::new();
    let org = org_code(industry);
    mydata_ingest::export(seeded.app.store.as_ref(), Some(&org), Some(CUSTOMER), &mut export).await.unwrap();
    let export = String::from_utf8(export).unwrap();
    assert!(export.lines().count() > 1 && !export.contains(&format!("\"{gone}\"")), "{export}");
    // A removed customer's assets are gone with them.
    let removal = json!({"org_code": org_code(industry), "customer_id": CUSTOMER, "delete": true});
    import(seeded.app.store.as_ref(), ndjson(&[removal]).as_bytes(), None, |_| {}).await.unwrap();
    let other = records.iter().find(|r| r["api"] == "은행-001" && r["customer_id"] == CUSTOMER).unwrap();
    let kept = other["data"]["account_list"][1]["account_num"].as_str().unwrap();
    let detail = Call::for_subject(catalogue::api("은행-002").unwrap(), industry, kept.to_owned());
    seeded.expect(&detail, Some(&token), RspCode::AssetNotFound).await;
}

mydata_store::each_backend!(an_asset_left_out_is_gone);

async fn export_then_import_round_trips(backend: Backend) {
    let (seeded, _) = imported(backend).await;
    let first = exported(seeded.app.store.as_ref()).await;
    let empty = common::spawn(backend).await;
    import(empty.store.as_ref(), first.as_bytes(), None, |_| {}).await.unwrap();
    assert_eq!(exported(empty.store.as_ref()).await, first);
    // One customer at one institution.
    let mut one = Vec::new();
    mydata_ingest::export(seeded.app.store.as_ref(), Some("BANK000001"), Some(CUSTOMER), &mut one).await.unwrap();
    let one = String::from_utf8(one).unwrap();
    assert!(one.lines().count() > 2 && one.lines().all(|l| l.contains("\"BANK000001\"")), "{one}");
}

mydata_store::each_backend!(export_then_import_round_trips);

/// A suspended line and a dormant account: listed with their status, described by no API (40305).
async fn an_asset_not_normal_answers_40305(backend: Backend) {
    let (seeded, records) = imported(backend).await;
    for (industry, list_api, list_field, key_field, status_field, status) in [
        (Industry::Telecom, "통신-001", "telecom_list", "mgmt_id", "status", "02"),
        (Industry::Bank, "은행-001", "account_list", "account_num", "account_status", "02"),
    ] {
        let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
        let mut list = records.iter().find(|r| r["api"] == list_api && r["customer_id"] == CUSTOMER).unwrap().clone();
        let item = &mut list["data"][list_field][0];
        assert_ne!(item[status_field], status, "generated assets are normal");
        item[status_field] = json!(status);
        let key = item[key_field].as_str().unwrap().to_owned();
        import(seeded.app.store.as_ref(), ndjson(&[list]).as_bytes(), None, |_| {}).await.unwrap();
        let list_call = seeded.request(catalogue::api(list_api).unwrap(), industry, CUSTOMER);
        let listed = seeded.expect(&list_call, Some(&token), RspCode::Success).await;
        let shown = listed[list_field].as_array().unwrap().iter().find(|i| i[key_field] == key.as_str()).unwrap();
        assert_eq!(shown[status_field], status, "{listed}");
        let mut described = 0;
        for api in catalogue::info_apis(industry) {
            if api.asset_list(industry).is_none_or(|l| l.id != list_api) || api.resource_key().is_none() {
                continue;
            }
            let call = seeded.request(api, industry, CUSTOMER).with(api.resource_key().unwrap(), &key);
            let (status_code, body) = seeded.call(&call, Some(&token), "user-consent").await;
            // An API that does not describe this kind of asset answers 40402 before its status is looked at.
            if body["rsp_code"] == RspCode::AssetNotFound.code() {
                continue;
            }
            assert_eq!((status_code, body["rsp_code"].as_str()), (403, Some("40305")), "{}: {body}", api.id);
            described += 1;
        }
        assert!(described > 0, "{list_api}");
    }
}

mydata_store::each_backend!(an_asset_not_normal_answers_40305);

/// The demo customer's 은행-001 record.
fn bank_list(records: &[Value]) -> Value {
    records.iter().find(|r| r["api"] == "은행-001" && r["customer_id"] == CUSTOMER).unwrap().clone()
}

/// A list emptied by an import has changed (the collector gets it again, empty); the same empty
/// list imported again has not (00001).
async fn an_emptied_list_is_sent_again_once(backend: Backend) {
    let (seeded, records) = imported(backend).await;
    let industry = Industry::Bank;
    let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
    let list_call = seeded.request(catalogue::api("은행-001").unwrap(), industry, CUSTOMER);
    // Stamps count whole seconds: each stamp below must be later than the import before it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let full = seeded.expect(&list_call, Some(&token), RspCode::Success).await;
    assert!(!full["account_list"].as_array().unwrap().is_empty(), "{full}");
    let stamp = full["search_timestamp"].as_str().unwrap().to_owned();
    let mut list = bank_list(&records);
    list["data"]["account_cnt"] = json!("0");
    list["data"]["account_list"] = json!([]);
    let emptied = ndjson(&[list]);
    import(seeded.app.store.as_ref(), emptied.as_bytes(), None, |_| {}).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let empty =
        seeded.expect(&list_call.clone().with("search_timestamp", &stamp), Some(&token), RspCode::Success).await;
    assert_eq!((empty["account_cnt"].as_str(), empty["account_list"].as_array().map(Vec::len)), (Some("0"), Some(0)));
    let stamp = empty["search_timestamp"].as_str().unwrap().to_owned();
    let again = import(seeded.app.store.as_ref(), emptied.as_bytes(), None, |_| {}).await.unwrap();
    assert_eq!(again.rows, 0);
    seeded.expect(&list_call.with("search_timestamp", &stamp), Some(&token), RspCode::UpToDate).await;
}

mydata_store::each_backend!(an_emptied_list_is_sent_again_once);

/// The list answers the reg_date the latest import gave, by the customer's record or by a list in
/// an import of its own; a list of a customer never given is refused with its line.
async fn reg_date_is_answered_whichever_import_gave_it(backend: Backend) {
    let (seeded, records) = imported(backend).await;
    let store = seeded.app.store.as_ref();
    let industry = Industry::Bank;
    let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
    let list_call = seeded.request(catalogue::api("은행-001").unwrap(), industry, CUSTOMER);
    let reg_date = |body: Value| body["reg_date"].as_str().unwrap().to_owned();
    let mut list = bank_list(&records);
    list["data"]["reg_date"] = json!("20190505");
    import(store, ndjson(&[list.clone()]).as_bytes(), None, |_| {}).await.unwrap();
    assert_eq!(reg_date(seeded.expect(&list_call, Some(&token), RspCode::Success).await), "20190505");
    // The customer's record without reg_date leaves it; with one, replaces it.
    let mut customer = records.iter().find(|r| r["customer"]["customer_id"] == CUSTOMER).unwrap().clone();
    customer["customer"].as_object_mut().unwrap().remove("reg_date");
    let summary = import(store, ndjson(&[customer.clone()]).as_bytes(), None, |_| {}).await.unwrap();
    assert_eq!(summary.rows, 0);
    assert_eq!(reg_date(seeded.expect(&list_call, Some(&token), RspCode::Success).await), "20190505");
    customer["customer"]["reg_date"] = json!("20180101");
    import(store, ndjson(&[customer]).as_bytes(), None, |_| {}).await.unwrap();
    assert_eq!(reg_date(seeded.expect(&list_call, Some(&token), RspCode::Success).await), "20180101");
    // A list of a customer the bank never gave: refused, naming its line; its batch wrote nothing.
    let before = exported(store).await;
    let mut ghost = list;
    ghost["customer_id"] = json!("ghost");
    let newcomer =
        json!({"org_code": org_code(industry), "customer": {"customer_id": "new1", "ci": "CI-new1", "name": "새고객"}});
    let refused = import(store, ndjson(&[newcomer, ghost]).as_bytes(), None, |_| {}).await.unwrap_err();
    assert!(
        refused.to_string().starts_with("line 2: 은행-001 customer_id: ghost is no customer of BANK000001"),
        "{refused}"
    );
    assert_eq!(exported(store).await, before);
}

mydata_store::each_backend!(reg_date_is_answered_whichever_import_gave_it);
