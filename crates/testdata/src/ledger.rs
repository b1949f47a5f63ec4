//! Makes generated numbers add up: running balances of histories, the balances of detail answers,
//! and card bills that are the sum of the approvals they charge.

use crate::CustomerData;
use mydata_store::HistoryRow;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

fn whole(item: &Map<String, Value>, name: &str) -> Option<i64> {
    item.get(name)?.as_str()?.parse().ok()
}

fn set(item: &mut Map<String, Value>, name: &str, amount: i64) {
    if item.contains_key(name) {
        item.insert(name.to_owned(), Value::String(amount.to_string()));
    }
}

/// Opening amounts: a deposit account's balance before its first listed transaction, a loan's principal.
const OPENING_BALANCE: i64 = 1_500_000;
const LOAN_PRINCIPAL: i64 = 30_000_000;

/// Runs the histories of `asset` in time order: deposits and withdrawals move the balance (never
/// below zero), loan repayments reduce it by their principal. Detail answers of the asset then show
/// the resulting balance (and a loan its principal).
pub fn reconcile(data: &mut CustomerData, asset: &str) {
    let mut apis: Vec<String> = data
        .history
        .iter()
        .filter(|h| h.subject_key == asset && h.body.get("balance_amt").is_some())
        .map(|h| h.api_id.clone())
        .collect();
    apis.dedup();
    let mut final_balance = None;
    let mut principal = None;
    for api in apis {
        let mut rows: Vec<&mut HistoryRow> =
            data.history.iter_mut().filter(|h| h.subject_key == asset && h.api_id == api).collect();
        rows.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
        let is_loan = rows.first().is_some_and(|r| r.body.get("principal_amt").is_some());
        let mut balance = if is_loan { LOAN_PRINCIPAL } else { OPENING_BALANCE };
        for (seq, row) in rows.into_iter().enumerate() {
            let Value::Object(item) = &mut row.body else { continue };
            let amount = whole(item, "trans_amt").or_else(|| whole(item, "principal_amt")).unwrap_or(10_000).abs();
            if is_loan {
                let repaid = (amount / 10).min(balance);
                let interest = whole(item, "int_amt").unwrap_or(0).abs() / 100;
                balance -= repaid;
                set(item, "principal_amt", repaid);
                set(item, "int_amt", interest);
                set(item, "trans_amt", repaid + interest);
            } else {
                let paid_in = seq % 3 == 0 || amount > balance;
                balance += if paid_in { amount } else { -amount };
                set(item, "trans_amt", amount);
                if item.contains_key("trans_class") {
                    item.insert("trans_class".into(), json!(if paid_in { "입금" } else { "출금" }));
                }
            }
            set(item, "balance_amt", balance);
        }
        final_balance = Some(balance);
        principal = is_loan.then_some(LOAN_PRINCIPAL);
    }
    let Some(balance) = final_balance else { return };
    for doc in data.documents.iter_mut().filter(|d| d.subject_key == asset) {
        let Value::Object(body) = &mut doc.body else { continue };
        apply_balance(body, balance, principal);
        for list in body.values_mut().filter_map(Value::as_array_mut) {
            list.truncate(1);
            for item in list.iter_mut().filter_map(Value::as_object_mut) {
                apply_balance(item, balance, principal);
            }
        }
        crate::values::fix_counts(body);
    }
}

fn apply_balance(item: &mut Map<String, Value>, balance: i64, principal: Option<i64>) {
    set(item, "balance_amt", balance);
    set(item, "withdrawable_amt", balance);
    if let Some(principal) = principal {
        set(item, "loan_principal", principal);
    }
}

/// The month (YYYYMM) before `month`.
fn previous_month(month: &str) -> Option<String> {
    let (year, m): (i32, u32) = (month.get(..4)?.parse().ok()?, month.get(4..6)?.parse().ok()?);
    Some(if m == 1 { format!("{}12", year - 1) } else { format!("{year}{:02}", m - 1) })
}

/// A domestic approval: the card it was made with, and its 카드-008 item.
type Approval = (String, Map<String, Value>);

/// Card bills charge the previous month's domestic approvals: each 카드-004 bill's charge_amt is
/// their sum, and each 카드-005 bill detail lists exactly those approvals.
pub fn bills_from_approvals(data: &mut CustomerData, customer: &str) {
    let mut by_month: BTreeMap<String, Vec<Approval>> = BTreeMap::new();
    for row in data.history.iter().filter(|h| h.api_id == "카드-008" && h.customer_id == customer) {
        let Value::Object(item) = &row.body else { continue };
        if item.get("status").and_then(Value::as_str) == Some("01") {
            by_month.entry(row.occurred[..6].to_owned()).or_default().push((row.subject_key.clone(), item.clone()));
        }
    }
    let Some(template) = data.history.iter().find(|h| h.api_id == "카드-005").cloned() else { return };
    for bill in data.history.iter_mut().filter(|h| h.api_id == "카드-004" && h.customer_id == customer) {
        let Value::Object(item) = &mut bill.body else { continue };
        let charged = item.get("charge_month").and_then(Value::as_str).and_then(previous_month);
        let total: i64 = charged
            .and_then(|m| by_month.get(&m))
            .map(|approvals| approvals.iter().filter_map(|(_, a)| whole(a, "approved_amt")).sum())
            .unwrap_or(0);
        set(item, "charge_amt", total);
    }
    let details: Vec<String> = data
        .history
        .iter()
        .filter(|h| h.api_id == "카드-005" && h.customer_id == customer)
        .map(|h| h.subject_key.clone())
        .collect();
    data.history.retain(|h| !(h.api_id == "카드-005" && h.customer_id == customer));
    let mut subjects = details;
    subjects.dedup();
    for subject in subjects {
        let Some(month) = subject.rsplit(crate::subject_separator()).next().and_then(previous_month) else { continue };
        for (seq, (card_id, approval)) in by_month.get(&month).into_iter().flatten().enumerate() {
            let when = approval.get("approved_dtime").cloned().unwrap_or(Value::Null);
            let mut detail = Map::new();
            detail.insert("card_id".into(), json!(card_id));
            detail.insert("paid_dtime".into(), when.clone());
            for (from, to) in [("approved_num", "trans_no"), ("approved_amt", "paid_amt")] {
                if let Some(v) = approval.get(from) {
                    detail.insert(to.into(), v.clone());
                }
            }
            detail.insert("currency_code".into(), json!("KRW"));
            for name in ["merchant_name", "merchant_regno"] {
                if let Some(v) = approval.get(name) {
                    detail.insert(name.into(), v.clone());
                }
            }
            detail.insert("credit_fee_amt".into(), json!("0"));
            detail.insert("prod_type".into(), json!("01"));
            let occurred = when.as_str().unwrap_or(&template.occurred).to_owned();
            data.history.push(HistoryRow {
                subject_key: subject.clone(),
                sort_key: format!("{occurred}|{seq:05}"),
                occurred,
                body: Value::Object(detail),
                ..template.clone()
            });
        }
    }
}
