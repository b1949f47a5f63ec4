//! The generator's promises: deterministic, conformant to the response tables, and reconciled.

use chrono::NaiveDate;
use mydata_provider::info::subject::{Composition, composition, list_fields};
use mydata_spec::Industry;
use mydata_spec::catalogue::api;
use mydata_spec::validate::check_response;
use mydata_testdata::{CustomerData, Generator, Institution, demo_people, person};
use serde_json::{Map, Value, json};

fn generator() -> Generator {
    Generator::new(42, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
}

fn institution(industry: Industry) -> Institution {
    Institution { org_code: format!("{:A<10}", industry.as_str().to_uppercase()), industry }
}

fn amount(value: &Value) -> i64 {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{value} is not a whole amount"))
}

#[test]
fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
    let org = institution(Industry::Bank);
    let who = person(42, 7);
    let a = generator().customer(&org, &who);
    let b = generator().customer(&org, &who);
    assert_eq!(a.history, b.history);
    assert_eq!(a.documents, b.documents);
    let other = Generator { seed: 43, ..generator() }.customer(&org, &person(43, 7));
    assert_ne!(a.history, other.history);
    assert_ne!(person(42, 7).ci, person(42, 8).ci, "every customer has their own CI");
}

/// A response body as the provider would send it for one stored answer.
fn as_response(data: &CustomerData, api_id: &str, body: &Map<String, Value>, subject: &str) -> Value {
    let api = api(api_id).unwrap();
    let mut response = json!({"rsp_code": "00000", "rsp_msg": "성공"});
    let out = response.as_object_mut().unwrap();
    out.extend(body.clone());
    if let (Composition::Rows { .. }, Some((list, count))) = (composition(api), list_fields(api)) {
        let items: Vec<Value> = data
            .history
            .iter()
            .filter(|h| h.api_id == api_id && h.subject_key == subject)
            .map(|h| h.body.clone())
            .collect();
        if let Some(count) = count {
            out.insert(count.name.clone(), json!(items.len().to_string()));
        }
        out.insert(list.name.clone(), Value::Array(items));
    }
    response
}

#[test]
fn every_generated_answer_conforms_to_its_response_table() {
    for industry in Industry::ALL {
        let org = institution(industry);
        for who in demo_people().iter().chain([&person(42, 1), &person(42, 2)]) {
            let data = generator().customer(&org, who);
            assert!(!data.assets.is_empty() && !data.history.is_empty(), "{industry}: data for every kind");
            for doc in &data.documents {
                let body = as_response(&data, &doc.api_id, doc.body.as_object().unwrap(), &doc.subject_key);
                let violations = check_response(api(&doc.api_id).unwrap(), &body);
                assert!(violations.is_empty(), "{} {}: {violations:?}", doc.api_id, doc.subject_key);
            }
            for row in &data.history {
                let body = as_response(&data, &row.api_id, &Map::new(), &row.subject_key);
                let violations: Vec<_> = check_response(api(&row.api_id).unwrap(), &body)
                    .into_iter()
                    .filter(|v| v.field.contains('['))
                    .collect();
                assert!(violations.is_empty(), "{}: {violations:?}", row.api_id);
                assert_eq!(row.occurred.len(), 14, "occurred is DTIME text");
            }
        }
    }
}

#[test]
fn deposit_and_loan_balances_reconcile_with_their_histories() {
    let data = generator().customer(&institution(Industry::Bank), &person(42, 3));
    let mut checked = 0;
    for asset in &data.assets {
        for (history_api, detail_api) in [("은행-004", "은행-003"), ("은행-010", "은행-009")] {
            let mut rows: Vec<_> =
                data.history.iter().filter(|h| h.api_id == history_api && h.subject_key == asset.asset_key).collect();
            if rows.is_empty() {
                continue;
            }
            rows.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
            for pair in rows.windows(2) {
                let (before, after) = (amount(&pair[0].body["balance_amt"]), amount(&pair[1].body["balance_amt"]));
                let moved = amount(&pair[1].body["trans_amt"]);
                if history_api == "은행-004" {
                    assert_eq!((after - before).abs(), moved, "a transaction moves the balance by its amount");
                } else {
                    assert_eq!(before - after, amount(&pair[1].body["principal_amt"]), "repaid principal");
                }
                assert!(after >= 0);
            }
            let detail = data.documents.iter().find(|d| d.api_id == detail_api && d.subject_key == asset.asset_key);
            let detail = detail.expect("a detail answer for an account with a history");
            let shown = detail.body.get("balance_amt").or_else(|| detail.body["detail_list"][0].get("balance_amt"));
            assert_eq!(amount(shown.unwrap()), amount(&rows.last().unwrap().body["balance_amt"]));
            checked += 1;
        }
    }
    assert!(checked >= 2, "a deposit and a loan account were checked");
}

#[test]
fn card_bills_charge_the_previous_months_approvals() {
    let data = generator().customer(&institution(Industry::Card), &person(42, 4));
    let bills: Vec<_> = data.history.iter().filter(|h| h.api_id == "카드-004").collect();
    assert!(!bills.is_empty());
    let mut nonzero = 0;
    for bill in bills {
        let month = bill.body["charge_month"].as_str().unwrap();
        let (year, m): (i32, u32) = (month[..4].parse().unwrap(), month[4..].parse().unwrap());
        let previous = if m == 1 { format!("{}12", year - 1) } else { format!("{year}{:02}", m - 1) };
        let approved: i64 = data
            .history
            .iter()
            .filter(|h| h.api_id == "카드-008" && h.occurred.starts_with(&previous) && h.body["status"] == "01")
            .map(|h| amount(&h.body["approved_amt"]))
            .sum();
        assert_eq!(amount(&bill.body["charge_amt"]), approved, "bill of {month}");
        let details: i64 = data
            .history
            .iter()
            .filter(|h| h.api_id == "카드-005" && h.subject_key.ends_with(month))
            .map(|h| amount(&h.body["paid_amt"]))
            .sum();
        assert!(details == approved || details == 0, "bill details of {month} add up to the bill");
        nonzero += usize::from(approved > 0);
    }
    assert!(nonzero > 0, "some bill charges something");
}
