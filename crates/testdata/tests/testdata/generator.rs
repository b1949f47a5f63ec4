//! The generator's promises: deterministic, conformant to the response tables, and reconciled.

use chrono::{Datelike, Months, NaiveDate, Weekday};
use mydata_spec::ApiKind;
use mydata_spec::Industry;
use mydata_spec::catalogue::api;
use mydata_spec::subject::list_fields;
use mydata_spec::validate::{Violation, check_response, code_violations, unnamed_fields};
use mydata_store::HistoryRow;
use mydata_testdata::{CustomerData, Generator, Institution, Person, demo_people, person};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

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
    if let (ApiKind::Rows { .. }, Some((list, count))) = (api.kind(), list_fields(api)) {
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

/// Where `body` breaks the table of `api_id`: a field missing, unnamed, of the wrong type, or a code
/// not its field's.
fn off_the_table(api_id: &str, body: &Value) -> Vec<Violation> {
    let api = api(api_id).unwrap();
    let mut violations = check_response(api, body);
    violations.extend(unnamed_fields(api, body));
    violations.extend(code_violations(api, body));
    violations
}

#[test]
fn every_generated_answer_has_exactly_the_fields_of_its_response_table() {
    for industry in Industry::ALL {
        let org = institution(industry);
        for who in demo_people().iter().chain([&person(42, 1), &person(42, 2)]) {
            let data = generator().customer(&org, who);
            assert!(!data.assets.is_empty() && !data.history.is_empty(), "{industry}: data for every kind");
            for doc in &data.documents {
                let body = as_response(&data, &doc.api_id, doc.body.as_object().unwrap(), &doc.subject_key);
                let violations = off_the_table(&doc.api_id, &body);
                assert!(violations.is_empty(), "{} {}: {violations:?}", doc.api_id, doc.subject_key);
            }
            for asset in &data.assets {
                let (items, _) = list_fields(api(&asset.list_api).unwrap()).unwrap();
                let mut item = asset.item.clone();
                item["is_consent"] = json!("true");
                let body = json!({ items.name.as_str(): [item] });
                let violations: Vec<_> =
                    off_the_table(&asset.list_api, &body).into_iter().filter(|v| v.field.contains('[')).collect();
                assert!(violations.is_empty(), "{} {}: {violations:?}", asset.list_api, asset.asset_key);
            }
            for row in &data.history {
                let body = as_response(&data, &row.api_id, &Map::new(), &row.subject_key);
                let violations: Vec<_> =
                    off_the_table(&row.api_id, &body).into_iter().filter(|v| v.field.contains('[')).collect();
                assert!(violations.is_empty(), "{}: {violations:?}", row.api_id);
                assert_eq!(row.occurred.len(), 14, "occurred is DTIME text");
            }
        }
    }
}

/// Rows of `api` in a customer's data.
fn rows<'a>(data: &'a CustomerData, api: &'a str) -> impl Iterator<Item = &'a HistoryRow> + 'a {
    data.history.iter().filter(move |h| h.api_id == api)
}

fn text<'a>(row: &'a Value, name: &str) -> &'a str {
    row.get(name).and_then(Value::as_str).unwrap_or_else(|| panic!("{name} in {row}"))
}

#[test]
fn balances_reconcile_with_their_histories_in_every_industry() {
    let mut checked = 0;
    for industry in Industry::ALL {
        let org = institution(industry);
        for n in 1..=12 {
            let data = generator().customer(&org, &person(42, n));
            for asset in &data.assets {
                let mut apis: Vec<&str> = data
                    .history
                    .iter()
                    .filter(|h| h.subject_key == asset.asset_key && h.body.get("balance_amt").is_some())
                    .map(|h| h.api_id.as_str())
                    .collect();
                apis.dedup();
                for api in apis {
                    let mut history: Vec<_> = rows(&data, api).filter(|h| h.subject_key == asset.asset_key).collect();
                    history.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
                    let loan = history[0].body.get("principal_amt").is_some();
                    for pair in history.windows(2) {
                        let (before, after) =
                            (amount(&pair[0].body["balance_amt"]), amount(&pair[1].body["balance_amt"]));
                        if loan {
                            assert_eq!(
                                before - after,
                                amount(&pair[1].body["principal_amt"]),
                                "{api}: repaid principal"
                            );
                        } else {
                            let moved = amount(&pair[1].body["trans_amt"]);
                            assert_eq!(
                                (after - before).abs(),
                                moved,
                                "{api}: a transaction moves the balance by its amount"
                            );
                        }
                        assert!(after >= 0, "{api}: never below zero");
                    }
                    let last = amount(&history.last().unwrap().body["balance_amt"]);
                    // Every detail answer about the asset shows the balance its history ends with.
                    for doc in data.documents.iter().filter(|d| d.subject_key == asset.asset_key) {
                        let shown = doc.body.get("balance_amt").into_iter().chain(
                            doc.body
                                .as_object()
                                .unwrap()
                                .values()
                                .filter_map(Value::as_array)
                                .flatten()
                                .filter_map(|item| item.get("balance_amt")),
                        );
                        for balance in shown {
                            assert_eq!(
                                amount(balance),
                                last,
                                "{} of {} shows {api}'s final balance",
                                doc.api_id,
                                asset.asset_key
                            );
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 20, "histories with balances in several industries ({checked})");
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
            let detail = data.documents.iter().find(|d| d.api_id == detail_api && d.subject_key == asset.asset_key);
            let detail = detail.expect("a detail answer for an account with a history");
            let shown = detail.body.get("balance_amt").or_else(|| detail.body["detail_list"][0].get("balance_amt"));
            assert_eq!(amount(shown.unwrap()), amount(&rows.last().unwrap().body["balance_amt"]));
            checked += 1;
        }
    }
    assert!(checked >= 2, "a deposit and a loan account were checked");
}

/// Card customers enough to meet every case (two payment sequences, installments, check cards).
fn card_customers() -> Vec<(Person, CustomerData)> {
    let org = institution(Industry::Card);
    (1..=40).map(|n| person(42, n)).map(|who| (who.clone(), generator().customer(&org, &who))).collect()
}

/// The demo customers' and 30 generated customers' data at a bank.
fn bank_customers() -> Vec<CustomerData> {
    let org = institution(Industry::Bank);
    let people = demo_people().into_iter().chain((1..=30).map(|n| person(42, n)));
    people.map(|who| generator().customer(&org, &who)).collect()
}

/// The items of the lists of `api`'s answers about the asset `key` (은행-002's `basic_list`, …).
fn list_items<'a>(data: &'a CustomerData, api: &'a str, key: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    let documents = data.documents.iter().filter(move |d| d.api_id == api && d.subject_key == key);
    documents.flat_map(|d| d.body.as_object().unwrap().values().filter_map(Value::as_array).flatten())
}

/// A bill's key: (charge_month, seqno), the seqno empty for a customer with one payment sequence.
type Bill = (String, String);

fn bills(data: &CustomerData) -> BTreeMap<Bill, &HistoryRow> {
    let mut bills = BTreeMap::new();
    for bill in rows(data, "카드-004") {
        let seqno = bill.body.get("seqno").map_or("", |_| text(&bill.body, "seqno"));
        let key = (text(&bill.body, "charge_month").to_owned(), seqno.to_owned());
        assert!(bills.insert(key.clone(), bill).is_none(), "one bill per month and payment sequence: {key:?}");
    }
    let numbered = bills.keys().filter(|(_, s)| !s.is_empty()).count();
    assert!(numbered == 0 || numbered == bills.len(), "bills carry a seqno when there are several sequences");
    bills
}

/// Where a 카드-005 row is filed (customer|charge_month, or customer|charge_month|seqno): the
/// month, and the seqno when there is one.
fn filed_under(row: &HistoryRow, customer: &str) -> Bill {
    let parts: Vec<&str> = row.subject_key.split('|').collect();
    assert!(
        matches!(parts.len(), 2 | 3),
        "카드-005 is filed under customer, charge_month[, seqno]: {}",
        row.subject_key
    );
    assert_eq!(parts[0], customer);
    (parts[1].to_owned(), parts.get(2).copied().unwrap_or_default().to_owned())
}

/// Each bill's own details: under its month and seqno, or its month when the customer has one sequence.
fn bill_details<'a>(data: &'a CustomerData, customer: &str) -> Vec<(Bill, &'a HistoryRow)> {
    let numbered = rows(data, "카드-004").any(|b| b.body.get("seqno").is_some());
    rows(data, "카드-005")
        .map(|d| (filed_under(d, customer), d))
        .filter(|((_, seqno), _)| seqno.is_empty() != numbered)
        .collect()
}

fn month_after(month: &str, months: u32) -> String {
    let first = NaiveDate::parse_from_str(&format!("{month}01"), "%Y%m%d").unwrap();
    (first + Months::new(months)).format("%Y%m").to_string()
}

#[test]
fn every_bill_detail_belongs_to_a_listed_bill_and_bills_are_the_sum_of_their_details() {
    let today = generator().today;
    let (mut details, mut two_sequences) = (0, 0);
    for (who, data) in card_customers() {
        let bills = bills(&data);
        let months: BTreeSet<&str> = bills.keys().map(|(m, _)| m.as_str()).collect();
        for row in rows(&data, "카드-005") {
            let (month, seqno) = filed_under(row, &who.customer_id);
            assert!(months.contains(month.as_str()), "a detail of {month}, which 카드-004 does not list");
            if !seqno.is_empty() {
                assert!(bills.contains_key(&(month, seqno)), "a detail of a sequence 카드-004 does not bill");
            }
        }
        let mut totals: BTreeMap<Bill, i64> = BTreeMap::new();
        for (bill, detail) in bill_details(&data, &who.customer_id) {
            *totals.entry(bill).or_default() += amount(&detail.body["paid_amt"]);
            details += 1;
        }
        for (key, bill) in &bills {
            assert_eq!(totals.get(key).copied(), Some(amount(&bill.body["charge_amt"])), "bill {key:?}");
            // Paid out on its payment day of its month, or the Monday after a weekend, not later than today.
            let paid = NaiveDate::parse_from_str(text(&bill.body, "paid_out_date"), "%Y%m%d").unwrap();
            let day: u32 = text(&bill.body, "charge_day").parse().unwrap();
            assert_eq!(paid.format("%Y%m").to_string(), key.0);
            assert!(paid.day() == day || (paid.weekday() == Weekday::Mon && paid.day() - day <= 2), "{key:?}");
            assert!(paid <= today);
            assert_eq!(bill.occurred, format!("{}000000", paid.format("%Y%m%d")), "bills page by paid_out_date");
        }
        // With several sequences, a month asked without seqno lists every sequence's details.
        if bills.keys().any(|(_, seqno)| !seqno.is_empty()) {
            two_sequences += 1;
            for month in &months {
                let bodies = |numbered: bool| -> Vec<String> {
                    let mut bodies: Vec<String> = rows(&data, "카드-005")
                        .filter(|d| {
                            let (m, seqno) = filed_under(d, &who.customer_id);
                            m == *month && seqno.is_empty() != numbered
                        })
                        .map(|d| d.body.to_string())
                        .collect();
                    bodies.sort();
                    bodies
                };
                assert_eq!(bodies(false), bodies(true), "the month {month} as a whole");
            }
        }
    }
    assert!(details > 100, "bills have details ({details})");
    assert!(two_sequences > 0, "some customers pay in two sequences");
}

#[test]
fn approvals_add_up_to_the_bills_that_charge_them() {
    let mut installments = 0;
    for (who, data) in card_customers() {
        let bills = bills(&data);
        // The payment sequence of each card, from the bills that charge it: one per card.
        let mut sequence_of: BTreeMap<&str, String> = BTreeMap::new();
        let details = bill_details(&data, &who.customer_id);
        for ((_, seqno), detail) in &details {
            let card = text(&detail.body, "card_id");
            let known = sequence_of.entry(card).or_insert_with(|| seqno.clone());
            assert_eq!(known, seqno, "card {card} is in one payment sequence");
        }
        for approval in rows(&data, "카드-008") {
            let a = &approval.body;
            let (card, number, when) =
                (approval.subject_key.as_str(), text(a, "approved_num"), text(a, "approved_dtime"));
            let parts: Vec<&(Bill, &HistoryRow)> = details
                .iter()
                .filter(|(_, d)| {
                    text(&d.body, "card_id") == card
                        && d.body["trans_no"] == number
                        && text(&d.body, "paid_dtime") == when
                })
                .collect();
            let billed = match (text(a, "pay_type"), text(a, "status")) {
                ("01", "01") => Some(amount(&a["approved_amt"])),
                ("01", "03") => Some(amount(&a["modified_amt"])),
                _ => None,
            };
            let Some(billed) = billed else {
                assert!(parts.is_empty(), "check payments and cancellations are never billed: {a}");
                continue;
            };
            let total: u32 = a.get("total_install_cnt").map_or(1, |_| text(a, "total_install_cnt").parse().unwrap());
            installments += usize::from(total > 1);
            let made = &when[..6];
            for part in 1..=total {
                let month = month_after(made, part);
                let expected = if part == total {
                    billed - (billed / i64::from(total)) * i64::from(total - 1)
                } else {
                    billed / i64::from(total)
                };
                let in_bill: Vec<_> = parts.iter().filter(|(bill, _)| bill.0 == month).collect();
                let listed = sequence_of.get(card).is_some_and(|s| bills.contains_key(&(month.clone(), s.clone())));
                if !listed {
                    assert!(in_bill.is_empty());
                    continue;
                }
                // Every part of a listed month is in that bill, with its amount and installment.
                assert_eq!(in_bill.len(), 1, "installment {part}/{total} of {a} in the bill of {month}");
                let detail = &in_bill[0].1.body;
                assert_eq!(amount(&detail["paid_amt"]), expected);
                if total > 1 {
                    assert_eq!(text(detail, "cur_install_cnt"), part.to_string());
                    assert_eq!(text(detail, "prod_type"), "02");
                    let left = if part == total { 0 } else { billed - billed / i64::from(total) * i64::from(part) };
                    assert_eq!(amount(&detail["balance_amt"]), left, "principal left after installment {part}");
                } else {
                    assert!(detail.get("cur_install_cnt").is_none(), "lump sums carry no installment fields");
                    assert_eq!(text(detail, "prod_type"), "01");
                }
            }
            assert_eq!(parts.len(), parts.iter().map(|(bill, _)| &bill.0).collect::<BTreeSet<_>>().len());
        }
    }
    assert!(installments > 0, "some purchases are paid in installments");
}

#[test]
fn approvals_follow_their_cards_and_statuses() {
    let (mut checks, mut cancelled) = (0, 0);
    for (_, data) in card_customers() {
        for card in data.assets.iter().filter(|a| a.list_api == "카드-001") {
            let card_type = text(&card.item, "card_type");
            for approval in rows(&data, "카드-008").filter(|h| h.subject_key == card.asset_key) {
                let a = &approval.body;
                match card_type {
                    "01" => assert_eq!(text(a, "pay_type"), "01", "a credit card's approvals are credit"),
                    "02" => assert_eq!(text(a, "pay_type"), "02", "a check card's approvals are check payments"),
                    _ => {}
                }
                let status = text(a, "status");
                assert_eq!(a.get("modified_amt").is_some(), status == "03", "modified_amt only on corrections: {a}");
                assert_eq!(
                    a.get("trans_dtime").is_some(),
                    status != "01",
                    "trans_dtime on corrections and cancellations: {a}"
                );
                if let Some(n) = a.get("total_install_cnt") {
                    assert_eq!(text(a, "pay_type"), "01", "installments are credit purchases");
                    assert!(["2", "3", "6", "12"].contains(&n.as_str().unwrap()));
                }
                checks += usize::from(card_type == "02");
                cancelled += usize::from(status == "02");
            }
        }
    }
    assert!(checks > 0 && cancelled > 0, "check cards and cancellations occur");
}

/// An installment count is present only for an installment (the notes: "omitted for lump-sum"), so
/// it is at least 2, and no plan runs for longer than a few years.
#[test]
fn prepaid_and_payment_installments_are_installments() {
    let mut seen = 0;
    for (industry, api) in [(Industry::Card, "선불-004"), (Industry::Efin, "전금-103")] {
        for n in 1..=30 {
            let data = generator().customer(&institution(industry), &person(42, n));
            for row in rows(&data, api).filter(|row| row.body.get("total_install_cnt").is_some()) {
                let months = amount(&row.body["total_install_cnt"]);
                assert!((2..=60).contains(&months), "{api}: {}", row.body);
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "installments occur");
}

/// Every code the tables of `attachment` list for `field`, with its name, as the attachment writes them.
fn attachment_names(attachment: u8, field: &str) -> BTreeMap<&'static str, &'static str> {
    mydata_spec::attachments::tables()
        .iter()
        .filter(|table| table.attachment == attachment && table.fields.iter().any(|f| f == field))
        .flat_map(|table| table.codes.iter().map(|(code, name)| (code.as_str(), name.as_str())))
        .collect()
}

/// 보험-012's coverages carry 첨부15's codes, each named as the attachment names it, and both
/// kinds occur: 실손 (with their 담보특성, `type`) and the others (without).
#[test]
fn coverages_are_named_as_attachment_15_names_their_codes() {
    let names = attachment_names(15, "coverage_code");
    let (mut indemnity, mut other) = (0, 0);
    for n in 1..=20 {
        let data = generator().customer(&institution(Industry::Insu), &person(42, n));
        for doc in data.documents.iter().filter(|doc| doc.api_id == "보험-012") {
            for coverage in doc.body["coverage_list"].as_array().unwrap() {
                let code = text(coverage, "coverage_code");
                let name = names.get(code).unwrap_or_else(|| panic!("{code} is a code of 첨부15"));
                if let Some(given) = coverage.get("coverage_name") {
                    assert_eq!(given, name, "{coverage}");
                }
                match coverage.get("type") {
                    Some(_) => indemnity += 1,
                    None => other += 1,
                }
            }
        }
    }
    assert!(indemnity > 0 && other > 0, "{indemnity} 실손 coverages, {other} others");
}

/// Whatever starts ends after it: in every object of every industry's answers, an `X_start_date`
/// beside an `X_end_date` or `X_exp_date` (보험-009's loan, 보험-012's coverage, IRP products) is no
/// later than it.
#[test]
fn nothing_ends_before_it_starts() {
    fn walk(api: &str, value: &Value, checked: &mut usize) {
        match value {
            Value::Object(object) => {
                for (name, start) in object.iter().filter(|(name, _)| name.ends_with("start_date")) {
                    for end_name in [name.replace("start_date", "end_date"), name.replace("start_date", "exp_date")] {
                        if let (Some(start), Some(end)) =
                            (start.as_str(), object.get(&end_name).and_then(Value::as_str))
                        {
                            assert!(start <= end, "{api}: {name} {start} after {end_name} {end}: {value}");
                            *checked += 1;
                        }
                    }
                }
                object.values().for_each(|v| walk(api, v, checked));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(api, v, checked)),
            _ => {}
        }
    }
    let mut checked = 0;
    for industry in Industry::ALL {
        for n in 1..=10 {
            let data = generator().customer(&institution(industry), &person(42, n));
            data.documents.iter().for_each(|doc| walk(&doc.api_id, &doc.body, &mut checked));
            data.assets.iter().for_each(|asset| walk(&asset.list_api, &asset.item, &mut checked));
            data.history.iter().for_each(|row| walk(&row.api_id, &row.body, &mut checked));
        }
    }
    assert!(checked > 100, "{checked} pairs");
}

/// 금투-002's and 금투-004's `base_date` is "the date of the settled holding quantities" the
/// answer gives: the data as of the last few days, not years ago.
#[test]
fn holdings_are_as_of_the_last_days() {
    let today = generator().today;
    let mut seen = 0;
    for n in 1..=10 {
        let data = generator().customer(&institution(Industry::Invest), &person(42, n));
        let bodies = data.documents.iter().map(|doc| &doc.body).chain(data.history.iter().map(|row| &row.body));
        for base_date in bodies.filter_map(|body| body.get("base_date").and_then(Value::as_str)) {
            let day = NaiveDate::parse_from_str(base_date, "%Y%m%d").unwrap();
            assert!(day <= today && today - day <= chrono::Duration::days(7), "{base_date}, today {today}");
            seen += 1;
        }
    }
    assert!(seen > 0, "base dates occur");
}

/// A loan or a lease in an asset list is named as 첨부3 names its account type (3220 주택담보대출,
/// 3400 보험계약대출, 3500 신차 할부금융), in every industry that lists them; and a bank's customers,
/// who mostly hold one loan, hold loans of every type a bank generates, as a 할부금융사's do.
#[test]
fn loans_are_named_as_their_account_types() {
    let names = attachment_names(3, "account_type");
    let mut seen = BTreeSet::new();
    for industry in Industry::ALL {
        for n in 1..=30 {
            let data = generator().customer(&institution(industry), &person(42, n));
            for asset in &data.assets {
                let (Some(code), Some(name)) = (asset.item.get("account_type"), asset.item.get("prod_name")) else {
                    continue;
                };
                let code = code.as_str().unwrap();
                if code.len() == 4 && code.starts_with('3') {
                    assert_eq!(
                        name.as_str().unwrap(),
                        format!("한빛 {}", names[code]),
                        "{} {}",
                        asset.list_api,
                        asset.item
                    );
                    seen.insert(code.to_owned());
                }
            }
        }
    }
    let lent: BTreeSet<&str> = seen.iter().map(|code| names[code.as_str()]).collect();
    let generated =
        ["신용대출", "주택담보대출", "전세자금대출", "보험계약대출", "신차 할부금융", "중고차 할부금융", "운용리스"];
    for name in generated {
        assert!(lent.contains(name), "a {name} occurs: {lent:?}");
    }
}

#[test]
fn payments_are_each_sequences_next_bill() {
    let today = generator().today;
    for (_, data) in card_customers() {
        let bills = bills(&data);
        let payments = data.documents.iter().find(|d| d.api_id == "카드-006").expect("카드-006");
        let list = payments.body["pay_list"].as_array().unwrap();
        assert_eq!(text(&payments.body, "pay_cnt"), list.len().to_string());
        let seqno = |pay: &Value| pay.get("seqno").map_or("", |_| text(pay, "seqno")).to_owned();
        let sequences: BTreeSet<String> = list.iter().map(seqno).collect();
        assert_eq!(sequences.len(), list.len());
        assert!(bills.keys().all(|(_, seqno)| sequences.contains(seqno)), "every sequence billed is due again");
        for pay in list {
            let due = NaiveDate::parse_from_str(text(pay, "pay_due_date"), "%Y%m%d").unwrap();
            assert!(due >= today && due < today + Months::new(2), "the next payment: {due}");
            let month = due.format("%Y%m").to_string();
            // Due later: not paid out yet, so not listed. Due today: listed, and this is its amount.
            match bills.get(&(month, seqno(pay))) {
                Some(bill) => {
                    assert_eq!(due, today, "{pay}");
                    assert_eq!(amount(&pay["pay_amt"]), amount(&bill.body["charge_amt"]));
                }
                None => assert!(due > today || amount(&pay["pay_amt"]) == 0, "{pay}"),
            }
        }
    }
}

/// Real account numbers name one account: an institution never lists one key in two of its lists
/// (an IRP and a bank account with one number would be one consent's two assets).
#[test]
fn no_key_is_listed_by_two_lists_of_one_institution() {
    for industry in Industry::ALL {
        let org = institution(industry);
        let mut lists_of_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for who in demo_people().iter().chain((1..=20).map(|n| person(42, n)).collect::<Vec<_>>().iter()) {
            for asset in generator().customer(&org, who).assets {
                // The item as its list answers it conforms to the list's table, its key included.
                let list = api(&asset.list_api).unwrap();
                let (list_field, _) = list_fields(list).unwrap();
                let mut item = asset.item.clone();
                item["is_consent"] = json!("true");
                let body = as_response(
                    &CustomerData::default(),
                    list.id,
                    &Map::from_iter([(list_field.name.clone(), json!([item]))]),
                    "",
                );
                let violations: Vec<_> =
                    check_response(list, &body).into_iter().filter(|v| v.field.starts_with(&list_field.name)).collect();
                assert!(violations.is_empty(), "{} {}: {violations:?}", list.id, asset.asset_key);
                lists_of_key.entry(asset.asset_key).or_default().insert(asset.list_api);
            }
        }
        let shared: Vec<_> = lists_of_key.iter().filter(|(_, lists)| lists.len() > 1).collect();
        assert!(shared.is_empty(), "{industry}: keys in two lists: {shared:?}");
    }
}

/// Each kind of asset gets the detail answers of the APIs that describe it, and only those: an
/// insurer's IRP account is never a car policy, and every car policy has its car-insurance details.
#[test]
fn each_asset_gets_the_answers_of_its_kind() {
    let org = institution(Industry::Insu);
    let mut car_policies = 0;
    for who in demo_people().iter().chain((1..=10).map(|n| person(42, n)).collect::<Vec<_>>().iter()) {
        let data = generator().customer(&org, who);
        for asset in &data.assets {
            let list = api(&asset.list_api).unwrap();
            let class = list.classify(|name| asset.item.get(name).and_then(Value::as_str));
            for detail in list.detail_apis(Industry::Insu).filter(|d| d.kind() == ApiKind::Document) {
                let about_asset =
                    |key: &str| key.split(mydata_spec::subject::SEPARATOR).next() == Some(&asset.asset_key);
                let answered = data.documents.iter().any(|d| d.api_id == detail.id && about_asset(&d.subject_key));
                assert_eq!(
                    answered,
                    detail.describes(class),
                    "{} {} about {}",
                    detail.id,
                    asset.list_api,
                    asset.asset_key
                );
            }
            if asset.item.get("insu_type").and_then(Value::as_str) == Some("17") {
                assert_eq!(asset.list_api, "보험-001", "only a policy list holds car policies");
                car_policies += 1;
            }
        }
    }
    assert!(car_policies > 0, "some customer holds a car policy");
}

/// A deposit account is as its 첨부3 type makes it, in 은행-001 and in the answers about it: a
/// 자유입출식 account is paid into on demand (은행-002's `saving_method` 01 요구불식), has no maturity
/// and no agreed amount, and alone has an overdraft (`is_minus`); a 예금 is paid in once (02 거치식);
/// a 적금 by instalments (03 정액적립식, 04 자유적립식), which only it counts (은행-003's
/// `last_paid_in_cnt`, 은행-004's `paid_in_cnt`); only a fixed instalment (03) has a monthly amount;
/// a foreign-currency deposit is named so, is in one foreign currency throughout (은행-002,
/// 은행-003, 은행-004) with amounts of that currency's size and no (won) overdraft, another in won.
#[test]
fn deposits_are_as_their_account_types_make_them() {
    let type_names = attachment_names(3, "account_type");
    let mut seen = BTreeSet::new();
    for data in bank_customers() {
        for asset in data.assets.iter().filter(|asset| asset.list_api == "은행-001") {
            let item = &asset.item;
            let type_name = type_names[text(item, "account_type")];
            let methods: &[&str] = match type_name {
                "자유입출식" => &["01"],
                "예금" => &["02"],
                "적금" => &["03", "04"],
                _ => continue,
            };
            let foreign = item.get("is_foreign_deposit") == Some(&json!("true"));
            assert_eq!(text(item, "prod_name").contains("외화"), foreign, "{item}");
            if item.get("is_minus") == Some(&json!("true")) {
                assert_eq!(type_name, "자유입출식", "an overdraft is drawn on a demand deposit: {item}");
            }
            let about = |api: &'static str| list_items(&data, api, &asset.asset_key);
            let mut currencies = BTreeSet::new();
            for basic in about("은행-002") {
                let method = text(basic, "saving_method");
                assert!(methods.contains(&method), "{type_name}: {basic}");
                if type_name == "자유입출식" {
                    assert!(basic.get("exp_date").is_none() && basic.get("commit_amt").is_none(), "{basic}");
                }
                assert!(method == "03" || basic.get("monthly_paid_in_amt").is_none(), "{basic}");
                currencies.extend(basic.get("currency_code").and_then(Value::as_str));
                seen.insert(format!("{type_name} {method}"));
            }
            for detail in about("은행-003") {
                assert!(type_name == "적금" || detail.get("last_paid_in_cnt").is_none(), "{type_name}: {detail}");
                currencies.extend(detail.get("currency_code").and_then(Value::as_str));
            }
            for transaction in rows(&data, "은행-004").filter(|row| row.subject_key == asset.asset_key) {
                let body = &transaction.body;
                assert!(type_name == "적금" || body.get("paid_in_cnt").is_none(), "{type_name}: {body}");
                currencies.extend(body.get("currency_code").and_then(Value::as_str));
            }
            assert!(currencies.len() <= 1, "one currency: {currencies:?}");
            if let Some(currency) = currencies.first() {
                assert_eq!(*currency != "KRW", foreign, "{item}: {currency}");
            }
            if foreign {
                seen.insert("외화".to_owned());
                assert_ne!(item.get("is_minus"), Some(&json!("true")), "no won overdraft on {item}");
                // Stated in its currency: worth (at about 2026's rates) what a person keeps in an
                // account, not a hundred million won and more.
                let won_per_unit = match currencies.first().copied() {
                    Some("JPY") => 9,
                    Some("EUR") => 1_500,
                    _ => 1_400,
                };
                for detail in about("은행-003") {
                    let worth = amount(&detail["balance_amt"]) * won_per_unit;
                    assert!(worth < 100_000_000, "{detail} is worth {worth} won");
                }
            }
        }
    }
    assert_eq!(seen.len(), 5, "every type, both instalments and a foreign deposit: {seen:?}");
}

/// 통신-002 answers for the bill of one `charge_month`: its `charge_date`, the bill's due date, is
/// in that month, and not after today.
#[test]
fn telecom_bills_are_due_within_their_month() {
    let today = generator().today.format("%Y%m%d").to_string();
    let mut seen = 0;
    for n in 1..=5 {
        let data = generator().customer(&institution(Industry::Telecom), &person(42, n));
        for bill in data.documents.iter().filter(|doc| doc.api_id == "통신-002") {
            let month = bill.subject_key.rsplit(mydata_spec::subject::SEPARATOR).next().unwrap();
            let due = text(&bill.body, "charge_date");
            assert!(due.starts_with(month) && due <= today.as_str(), "{} due {due}", bill.subject_key);
            seen += 1;
        }
    }
    assert!(seen > 0, "telecom bills occur");
}

/// IRP-002's `rcv_start_date` is the day the customer designated for the pension to start, or the
/// day it started: never before the account was opened (`issue_date`).
#[test]
fn no_pension_starts_before_its_account_opens() {
    let mut seen = 0;
    for industry in [Industry::Bank, Industry::Invest, Industry::Insu] {
        for n in 1..=10 {
            let data = generator().customer(&institution(industry), &person(42, n));
            for basic in data.documents.iter().filter(|doc| doc.api_id == "IRP-002") {
                if let Some(start) = basic.body.get("rcv_start_date") {
                    let start = start.as_str().unwrap();
                    assert!(start >= text(&basic.body, "issue_date"), "{}", basic.body);
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 0, "pension starts occur");
}

/// A loan's answers agree with what its 첨부3 type and 첨부4 repayment method make it: a listed loan
/// was issued before today and has not matured; its next repayment (은행-009, 할부금융-003) is ahead
/// within a month, on its monthly repayment day (`repay_date`) where it has one; an overdraft
/// (`is_minus`) is a 한도거래 without a repayment day (은행-008's rule); a loan repaid at its end
/// (만기일시상환, 한도거래) has repaid no principal, so its balance is its principal, and another's
/// balance is at most its principal; its history's rows are repayments (02 상환), as the balances
/// they reduce say, each on its monthly repayment day, between the loan's issue and today. A
/// 전세자금대출 is repaid at its end and a 주택담보대출 in instalments. Operating leases (할부금융-005)
/// keep the same dates.
#[test]
fn loans_are_as_their_account_types_and_repayment_methods_make_them() {
    let type_names = attachment_names(3, "account_type");
    let method_names = attachment_names(4, "repay_method");
    let today = generator().today;
    let day = |text: &str| NaiveDate::parse_from_str(text, "%Y%m%d").unwrap();
    let mut seen = BTreeSet::new();
    for industry in [Industry::Bank, Industry::Capital] {
        for n in 1..=30 {
            let data = generator().customer(&institution(industry), &person(42, n));
            for asset in &data.assets {
                let item = &asset.item;
                let overdraft = item.get("is_minus") == Some(&json!("true"));
                let code = item.get("account_type").and_then(Value::as_str).unwrap_or_default();
                let type_name = match type_names.get(code) {
                    Some(name) if overdraft || code.starts_with('3') => *name,
                    _ => continue,
                };
                let about = |name: &str| {
                    let documents = data.documents.iter().filter(|d| d.subject_key == asset.asset_key);
                    documents.filter_map(|d| d.body.get(name).and_then(Value::as_str)).next()
                };
                let Some(method) = about("repay_method") else { continue };
                let method = method_names[method];
                let (issued, expires) = (day(about("issue_date").unwrap()), day(about("exp_date").unwrap()));
                assert!(issued < today && today < expires, "{type_name}: {issued} to {expires}");
                // 은행-009 may leave the next repayment out.
                if let Some(next) = about("next_repay_date").map(day) {
                    assert!(today < next && next <= today + Months::new(1), "{type_name}: next repayment {next}");
                    if let Some(repay_day) = about("repay_date") {
                        let last_day = (next.with_day(1).unwrap() + Months::new(1)).pred_opt().unwrap().day();
                        assert_eq!(next.day(), repay_day.parse::<u32>().unwrap().min(last_day), "{type_name}");
                    }
                }
                assert_eq!(about("repay_date").is_none(), overdraft, "{type_name}: a monthly repayment day");
                if overdraft {
                    assert_eq!(method, "한도거래", "an overdraft is a credit line");
                }
                let rows: Vec<_> = data
                    .history
                    .iter()
                    .filter(|h| h.subject_key == asset.asset_key && h.body.get("principal_amt").is_some())
                    .collect();
                let mut months = BTreeSet::new();
                for row in &rows {
                    assert_eq!(text(&row.body, "trans_type"), "02", "a repayment: {}", row.body);
                    let paid = day(&text(&row.body, "trans_dtime")[..8]);
                    assert!(issued < paid && paid <= today, "{type_name} issued {issued}, repaid {paid}");
                    if let Some(repay_day) = about("repay_date") {
                        let last_day = (paid.with_day(1).unwrap() + Months::new(1)).pred_opt().unwrap().day();
                        assert_eq!(paid.day(), repay_day.parse::<u32>().unwrap().min(last_day), "{type_name}");
                    }
                    months.insert((paid.year(), paid.month()));
                }
                assert_eq!(months.len(), rows.len(), "{type_name}: one repayment a month");
                // A lease states no principal (할부금융-005).
                let principal = about("loan_principal").map(|principal| amount(&json!(principal)));
                if let (Some(last), Some(principal)) = (rows.iter().max_by_key(|row| &row.sort_key), principal) {
                    let balance = amount(&last.body["balance_amt"]);
                    if ["만기일시상환", "한도거래"].contains(&method) {
                        assert_eq!(balance, principal, "{type_name} repaid at its end");
                    } else {
                        assert!(balance <= principal, "{type_name}: {balance} of {principal}");
                    }
                }
                match type_name {
                    "전세자금대출" => assert_eq!(method, "만기일시상환"),
                    "주택담보대출" => assert!(method.contains("분할상환"), "{method}"),
                    _ => {}
                }
                seen.insert(if overdraft { "마이너스 통장" } else { type_name });
            }
        }
    }
    assert_eq!(seen.len(), 7, "every loan type: {seen:?}");
}

/// A loan repayment's amount is its principal and its interest parts (은행-010, 할부금융-004), and the
/// interest is broken down in `int_list` as their rules say: the entries' amounts add up to
/// `int_amt`, their periods end by the repayment, and the interest is the balance before the
/// repayment at the stated rate over the stated days (to the won).
#[test]
fn loan_interest_is_broken_down_and_accrues_at_its_rate() {
    let mut checked = 0;
    for industry in [Industry::Bank, Industry::Capital] {
        for n in 1..=20 {
            let data = generator().customer(&institution(industry), &person(42, n));
            for row in data.history.iter().filter(|h| h.body.get("int_list").is_some()) {
                let body = &row.body;
                let (principal, interest) = (amount(&body["principal_amt"]), amount(&body["int_amt"]));
                assert_eq!(amount(&body["trans_amt"]), principal + interest, "{body}");
                let entries = body["int_list"].as_array().unwrap();
                assert_eq!(text(body, "int_cnt"), entries.len().to_string());
                let applied: i64 = entries.iter().map(|entry| amount(&entry["applied_int_amt"])).sum();
                assert_eq!(applied, interest, "{body}");
                let paid = NaiveDate::parse_from_str(&text(body, "trans_dtime")[..8], "%Y%m%d").unwrap();
                let balance_before = amount(&body["balance_amt"]) + principal;
                for entry in entries {
                    let day = |name| NaiveDate::parse_from_str(text(entry, name), "%Y%m%d").unwrap();
                    let (start, end) = (day("int_start_date"), day("int_end_date"));
                    assert!(start <= end && end <= paid, "{entry} of a repayment on {paid}");
                    let rate: f64 = text(entry, "int_rate").parse().unwrap();
                    let days = ((end - start).num_days() + 1) as f64;
                    let accrued = balance_before as f64 * rate / 100.0 * days / 365.0;
                    assert!((accrued - amount(&entry["applied_int_amt"]) as f64).abs() <= 1.0, "{entry}: {accrued}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "repayments of bank and capital loans ({checked})");
}

/// A transaction that raised an account's balance is of a type that moves money in, one that
/// lowered it of a type that moves money out, as the names of its `trans_type` codes say (은행-004
/// and 은행-007's notes, 첨부6 for 금투-003, 첨부9 for 선불-003 and 전금-004); 선불-003 lists no
/// payment (5501) or its cancellation (5502), which its rule sends to 선불-004; and 은행-004's
/// `trans_class` is the channel ("창구, 인터넷뱅킹, ATM 등"), not the direction.
#[test]
fn transactions_are_of_the_type_their_balance_movement_says() {
    let type_names = |api_id: &str| -> BTreeMap<&'static str, &'static str> {
        let (list, _) = list_fields(api(api_id).unwrap()).unwrap();
        let field = list.children.iter().find(|f| f.name == "trans_type").unwrap();
        let codes = mydata_spec::validate::field_codes(field);
        codes.iter().map(|(code, name)| (code.as_str(), name.as_str())).collect()
    };
    let into = |name: &str| ["입금", "충전", "수취", "매도"].iter().any(|word| name.contains(word));
    let out_of = |name: &str| ["출금", "송금(", "매수"].iter().any(|word| name.contains(word));
    let mut seen = BTreeSet::new();
    for industry in Industry::ALL {
        for n in 1..=12 {
            let data = generator().customer(&institution(industry), &person(42, n));
            let apis: BTreeSet<&str> = data.history.iter().map(|row| row.api_id.as_str()).collect();
            for api_id in
                apis.into_iter().filter(|id| ["은행-004", "은행-007", "금투-003", "선불-003", "전금-004"].contains(id))
            {
                let names = type_names(api_id);
                let mut subjects: BTreeMap<&str, Vec<&HistoryRow>> = BTreeMap::new();
                for row in rows(&data, api_id) {
                    subjects.entry(row.subject_key.as_str()).or_default().push(row);
                }
                for mut history in subjects.into_values() {
                    history.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
                    for pair in history.windows(2) {
                        let (Some(before), Some(after)) =
                            (pair[0].body.get("balance_amt"), pair[1].body.get("balance_amt"))
                        else {
                            continue;
                        };
                        let code = text(&pair[1].body, "trans_type");
                        let name = names[code];
                        match amount(after).cmp(&amount(before)) {
                            std::cmp::Ordering::Greater => assert!(into(name), "{api_id}: {name} raised the balance"),
                            std::cmp::Ordering::Less => assert!(out_of(name), "{api_id}: {name} lowered the balance"),
                            std::cmp::Ordering::Equal => {}
                        }
                        if api_id == "선불-003" {
                            assert!(!["5501", "5502"].contains(&code), "선불-003 lists no payment: {code}");
                        }
                        if let Some(class) = pair[1].body.get("trans_class") {
                            assert!(!["입금", "출금"].contains(&class.as_str().unwrap()), "a channel: {class}");
                        }
                        seen.insert(api_id.to_owned());
                    }
                }
            }
        }
    }
    assert_eq!(seen.len(), 5, "every API with balances: {seen:?}");
}

/// A 적금 (첨부3 1003) is paid into by instalments: its transactions (은행-004) are payments in
/// (03 입금), one a month on one day, the latest within the month before today; they are numbered
/// (`paid_in_cnt`) one after another up to the latest instalment 은행-003 states
/// (`last_paid_in_cnt`); and with a fixed instalment (은행-002 `saving_method` 03 정액적립식) each is
/// the monthly amount 은행-002 states (`monthly_paid_in_amt`).
#[test]
fn instalment_savings_are_paid_in_monthly() {
    let type_names = attachment_names(3, "account_type");
    let today = generator().today;
    let mut seen = BTreeSet::new();
    for data in bank_customers() {
        for asset in data.assets.iter().filter(|asset| asset.list_api == "은행-001") {
            if asset.item.get("account_type").and_then(Value::as_str).map(|code| type_names[code]) != Some("적금") {
                continue;
            }
            let items = |api_id: &'static str| list_items(&data, api_id, &asset.asset_key);
            let basic = items("은행-002").next().expect("은행-002 of a 적금");
            let last_stated = items("은행-003").find_map(|detail| detail.get("last_paid_in_cnt"));
            let mut history: Vec<_> =
                rows(&data, "은행-004").filter(|row| row.subject_key == asset.asset_key).collect();
            history.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
            let days: Vec<NaiveDate> = history
                .iter()
                .map(|row| NaiveDate::parse_from_str(&text(&row.body, "trans_dtime")[..8], "%Y%m%d").unwrap())
                .collect();
            let latest = *days.last().expect("a 적금's instalments");
            assert!(latest <= today && today - Months::new(1) < latest, "the latest instalment {latest}");
            for pair in days.windows(2) {
                assert_eq!(pair[0] + Months::new(1), pair[1].min(pair[0] + Months::new(1)), "a month apart: {pair:?}");
                assert_eq!(
                    (pair[0].year() * 12 + pair[0].month() as i32) + 1,
                    pair[1].year() * 12 + pair[1].month() as i32
                );
            }
            let counts: Vec<u64> = history.iter().map(|row| amount(&row.body["paid_in_cnt"]) as u64).collect();
            for pair in counts.windows(2) {
                assert_eq!(pair[0] + 1, pair[1], "instalments numbered one after another");
            }
            if let Some(stated) = last_stated {
                assert_eq!(amount(stated) as u64, *counts.last().unwrap(), "은행-003 states the latest instalment");
            }
            for row in &history {
                assert_eq!(text(&row.body, "trans_type"), "03", "paid in: {}", row.body);
                if text(basic, "saving_method") == "03" {
                    assert_eq!(row.body["trans_amt"], basic["monthly_paid_in_amt"], "the fixed instalment");
                }
            }
            seen.insert(text(basic, "saving_method").to_owned());
        }
    }
    assert_eq!(seen.len(), 2, "fixed and free instalments: {seen:?}");
}

/// A 보험계약대출 (첨부3 3400, listed by 보험-008) names in 보험-009 the policy it is drawn on
/// (`insu_num`, "present when the account_type is 3400"), one the customer holds at the insurer
/// (보험-001), not a car policy (insu_type 17 자동차보험, which lends nothing), and one that lends
/// (보험-002's `is_loanable`).
#[test]
fn policy_loans_name_a_policy_the_customer_holds() {
    let type_names = attachment_names(3, "account_type");
    let policy_types = attachment_names(7, "insu_type");
    let mut checked = 0;
    for n in 1..=20 {
        let data = generator().customer(&institution(Industry::Insu), &person(42, n));
        let policies: BTreeMap<&str, &str> = data
            .assets
            .iter()
            .filter(|asset| asset.list_api == "보험-001")
            .map(|asset| (asset.asset_key.as_str(), policy_types[text(&asset.item, "insu_type")]))
            .collect();
        for loan in data.assets.iter().filter(|asset| asset.list_api == "보험-008") {
            if type_names[text(&loan.item, "account_type")] != "보험계약대출" {
                continue;
            }
            let basic = data.documents.iter().find(|d| d.api_id == "보험-009" && d.subject_key == loan.asset_key);
            let policy = text(&basic.expect("보험-009 of a loan").body, "insu_num");
            let policy_type = policies.get(policy).unwrap_or_else(|| panic!("{policy} is a policy the customer holds"));
            assert_ne!(*policy_type, "자동차보험", "{policy}");
            let terms = data.documents.iter().find(|d| d.api_id == "보험-002" && d.subject_key == policy);
            assert_eq!(text(&terms.expect("보험-002 of a policy").body, "is_loanable"), "true", "{policy} lends");
            checked += 1;
        }
    }
    assert!(checked >= 10, "policy loans ({checked})");
}

/// 보험-002 states an annuity's start and receipt cycle only for annuity insurance (첨부7's 연금…보험):
/// `pension_rcv_cycle` is "not returned for non-annuity insurance".
#[test]
fn only_annuities_state_an_annuity() {
    let policy_types = attachment_names(7, "insu_type");
    let (mut annuities, mut others) = (0, 0);
    for n in 1..=30 {
        let data = generator().customer(&institution(Industry::Insu), &person(42, n));
        for policy in data.assets.iter().filter(|asset| asset.list_api == "보험-001") {
            let Some(terms) =
                data.documents.iter().find(|d| d.api_id == "보험-002" && d.subject_key == policy.asset_key)
            else {
                continue;
            };
            let policy_type = policy_types[text(&policy.item, "insu_type")];
            if policy_type.starts_with("연금") {
                annuities += 1;
            } else {
                assert!(terms.body.get("pension_rcv_cycle").is_none(), "{policy_type}: {}", terms.body);
                assert!(terms.body.get("pension_rcv_start_date").is_none(), "{policy_type}: {}", terms.body);
                others += 1;
            }
        }
    }
    assert!(annuities > 0 && others > 0, "{annuities} annuities, {others} other policies");
}

/// A 예금 (첨부3 1002, 은행-002 `saving_method` 02 거치식) is paid in once: its one transaction
/// (은행-004) is its opening (01 신규) on the day 은행-002 says it was opened (`issue_date`), of the
/// amount agreed (`commit_amt`), which 은행-003 shows as its balance; it was opened before today and
/// matures after it.
#[test]
fn time_deposits_are_paid_in_once_when_opened() {
    let type_names = attachment_names(3, "account_type");
    let today = generator().today;
    let mut checked = 0;
    for data in bank_customers() {
        for asset in data.assets.iter().filter(|asset| asset.list_api == "은행-001") {
            if asset.item.get("account_type").and_then(Value::as_str).map(|code| type_names[code]) != Some("예금") {
                continue;
            }
            let item = |api_id: &'static str| {
                let first = list_items(&data, api_id, &asset.asset_key).next();
                first.unwrap_or_else(|| panic!("{api_id} of a 예금")).clone()
            };
            let (basic, detail) = (item("은행-002"), item("은행-003"));
            let day = |name| NaiveDate::parse_from_str(text(&basic, name), "%Y%m%d").unwrap();
            let (opened, matures) = (day("issue_date"), day("exp_date"));
            assert!(opened < today && today < matures, "opened {opened}, matures {matures}");
            let history: Vec<_> = rows(&data, "은행-004").filter(|row| row.subject_key == asset.asset_key).collect();
            assert_eq!(history.len(), 1, "one payment in: {history:?}");
            let opening = &history[0].body;
            assert_eq!(text(opening, "trans_type"), "01", "the opening: {opening}");
            assert_eq!(&text(opening, "trans_dtime")[..8], text(&basic, "issue_date"));
            assert_eq!(opening["trans_amt"], basic["commit_amt"], "the amount agreed");
            assert_eq!(detail["balance_amt"], basic["commit_amt"], "is the balance");
            checked += 1;
        }
    }
    assert!(checked >= 5, "예금 of several customers ({checked})");
}
