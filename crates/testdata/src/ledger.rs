//! Makes generated numbers add up: running balances of histories, the balances of detail answers,
//! and card bills that are the sum of the approvals they charge (see [`card_bills`]).

use crate::{CustomerData, deposits, loans, values};
use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, Weekday};
use mydata_spec::KnownApi;
use mydata_store::HistoryRow;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

fn whole(item: &Map<String, Value>, name: &str) -> Option<i64> {
    item.get(name)?.as_str()?.parse().ok()
}

/// Sets `name` to `value` (as a string, 첨부2) where `item` has it.
pub(crate) fn set(item: &mut Map<String, Value>, name: &str, value: impl ToString) {
    if item.contains_key(name) {
        item.insert(name.to_owned(), Value::String(value.to_string()));
    }
}

/// Opening amounts: a deposit account's balance before its first listed transaction, a loan's
/// principal where its answers state none.
const OPENING_BALANCE: i64 = 1_500_000;
const LOAN_PRINCIPAL: i64 = 30_000_000;

/// A loan's yearly rate, in percent, where its answers state none.
const LOAN_RATE: f64 = 5.0;

/// What a loan's answers state of it.
struct LoanTerms {
    /// `loan_principal`.
    principal: i64,
    /// Whether its repayment method (`repay_method`, 첨부4) repays principal before the end.
    amortizes: bool,
    /// `last_offered_rate`, in percent a year.
    rate: f64,
}

/// What the answers about `asset` state of it as a loan (the defaults where they state nothing).
fn loan_terms(data: &CustomerData, asset: &str) -> LoanTerms {
    let bodies = data.documents.iter().filter(|d| d.subject_key == asset).filter_map(|d| d.body.as_object());
    let (mut principal, mut amortizes, mut rate) = (None, true, None);
    for body in bodies {
        principal = principal.or_else(|| whole(body, "loan_principal"));
        rate = rate.or_else(|| body.get("last_offered_rate")?.as_str()?.parse().ok());
        if let Some(method) = body.get("repay_method").and_then(Value::as_str) {
            amortizes = loans::repays_principal(method);
        }
    }
    // As the breakdown states it (`int_rate` is F(5,3)).
    let rate = (rate.unwrap_or(LOAN_RATE) * 1_000.0).round() / 1_000.0;
    LoanTerms { principal: principal.unwrap_or(LOAN_PRINCIPAL), amortizes, rate }
}

/// Names of transaction types that move money into an account (은행-004 and 은행-007's, 첨부6's for
/// 금투-003, 첨부9's for 선불-003 and 전금-004), the first a table has being the one a transaction of
/// another kind becomes.
const PAID_IN: [&str; 6] = ["입금", "충전(계좌이체)", "매도", "충전(카드)", "송금수취(계좌송금)", "기타(입금)"];
/// Names of transaction types that move money out of it, likewise.
const PAID_OUT: [&str; 4] = ["출금", "송금(계좌송금)", "매수", "기타(출금)"];

/// The codes, with their names, of the `trans_type` of `api`'s rows (none where they have none).
fn trans_types(api: &str) -> &'static [(String, String)] {
    let list = mydata_spec::catalogue::api(api).and_then(mydata_spec::subject::list_fields);
    let field = list.and_then(|(list, _)| list.children.iter().find(|f| f.name == "trans_type"));
    field.map_or(&[], mydata_spec::validate::field_codes)
}

/// The `trans_type` among `codes` a row that was `current` has once it moved money in (or out):
/// the same where it names such a movement, else the first code named so.
fn movement_type(codes: &'static [(String, String)], current: Option<&str>, paid_in: bool) -> Option<&'static str> {
    let names: &[&str] = if paid_in { &PAID_IN } else { &PAID_OUT };
    let kept = codes.iter().find(|(code, name)| Some(code.as_str()) == current && names.contains(&name.as_str()));
    let named = || names.iter().find_map(|wanted| codes.iter().find(|(_, name)| name == wanted));
    kept.or_else(named).map(|(code, _)| code.as_str())
}

/// `day` of `month`'s month, or its last day where it has no such day.
pub(crate) fn on_day(month: NaiveDate, day: u32) -> NaiveDate {
    let first = month.with_day(1).unwrap_or(month);
    let last = (first + Months::new(1)).pred_opt().unwrap_or(first);
    first.with_day(day.min(last.day())).unwrap_or(last)
}

/// Dates the history of `subject` one entry a month on `day`: the latest in `latest`'s month, each
/// other a month before the one after it, each at its own time of day (loan repayments, a 적금's
/// instalments).
pub(crate) fn date_monthly(data: &mut CustomerData, subject: &str, latest: NaiveDate, day: u32) {
    let mut rows: Vec<&mut HistoryRow> = data.history.iter_mut().filter(|h| h.subject_key == subject).collect();
    rows.sort_by(|a, b| b.sort_key.cmp(&a.sort_key));
    let count = rows.len();
    for (back, row) in rows.into_iter().enumerate() {
        let paid = on_day(latest - Months::new(back as u32), day);
        let time = row.occurred.get(8..14).and_then(|t| NaiveTime::parse_from_str(t, "%H%M%S").ok());
        let stamp = values::dtime_text(paid.and_time(time.unwrap_or(NaiveTime::MIN)));
        if let Some(Value::String(given)) = row.body.get_mut("trans_dtime") {
            // A table allowing a date alone (DTIME|DATE) may have been given one.
            *given = stamp[..given.len().min(stamp.len())].to_owned();
        }
        row.sort_key = format!("{stamp}|{:05}", count - 1 - back);
        row.occurred = stamp;
    }
}

/// Applies `change` to an answer's body and to each item of its lists.
pub(crate) fn each_object(body: &mut Value, mut change: impl FnMut(&mut Map<String, Value>)) {
    let Value::Object(body) = body else { return };
    change(body);
    for item in body.values_mut().filter_map(Value::as_array_mut).flatten().filter_map(Value::as_object_mut) {
        change(item);
    }
}

/// The objects of answers: each body and the items of its lists.
fn with_items<'a>(bodies: impl Iterator<Item = &'a Value>) -> impl Iterator<Item = &'a Map<String, Value>> {
    bodies.filter_map(Value::as_object).flat_map(|body| {
        let items = body.values().filter_map(Value::as_array).flatten().filter_map(Value::as_object);
        std::iter::once(body).chain(items)
    })
}

/// The foreign currency (`currency_code` other than KRW) the answers about `asset` state, if any does.
fn currency_of<'a>(data: &'a CustomerData, asset: &str) -> Option<&'a str> {
    let documents = data.documents.iter().filter(|d| d.subject_key == asset).map(|d| &d.body);
    let rows = data.history.iter().filter(|h| h.subject_key == asset).map(|h| &h.body);
    let mut currencies = with_items(documents.chain(rows)).filter_map(|object| object.get("currency_code")?.as_str());
    currencies.find(|currency| *currency != "KRW")
}

/// The name of the transaction type of an account's opening (은행-004's 01, 은행-007's 01).
const OPENING: &str = "신규";

/// The days the answers about `asset` say it was issued (`issue_date`, at any depth).
fn issue_dates(data: &CustomerData, asset: &str) -> Vec<NaiveDate> {
    let documents = data.documents.iter().filter(|d| d.subject_key == asset).map(|d| &d.body);
    let dates = with_items(documents).filter_map(|object| object.get("issue_date")?.as_str());
    dates.filter_map(values::date_of).collect()
}

/// The day of a history row (its `occurred`, `YYYYMMDDhhmmss`).
fn day_of(row: &HistoryRow) -> Option<NaiveDate> {
    values::date_of(&row.occurred)
}

/// States a repayment's interest, `interest` won at `rate` percent on the days from `since` to the
/// day before `paid`, as one 정상이자 entry of its breakdown (`int_list`, which 은행-010 and
/// 할부금융-004 say breaks `int_amt` down), where the row has one.
fn break_interest_down(item: &mut Map<String, Value>, since: NaiveDate, paid: NaiveDate, rate: f64, interest: i64) {
    let Some(Value::Array(list)) = item.get_mut("int_list") else { return };
    list.truncate(1);
    if let Some(Value::Object(entry)) = list.first_mut() {
        let until = paid.pred_opt().unwrap_or(paid).max(since);
        entry.insert("int_start_date".into(), json!(values::date_text(since)));
        entry.insert("int_end_date".into(), json!(values::date_text(until)));
        entry.insert("int_rate".into(), json!(format!("{rate:.3}")));
        entry.insert("applied_int_amt".into(), json!(interest.to_string()));
        entry.insert("int_type".into(), json!("01"));
    }
    mydata_spec::counts::set_counts(item);
}

/// Runs the histories of `asset` in time order: deposits and withdrawals move the balance (never
/// below zero; a 적금 is only paid into) and are typed by the way they moved it; loan repayments
/// reduce it by their principal (none where the loan is repaid at its end) and pay the interest
/// accrued at the loan's rate. Detail answers of the asset then show the resulting balance (and a
/// loan its principal).
pub fn reconcile(data: &mut CustomerData, asset: &str) {
    let loan = loan_terms(data, asset);
    // A foreign-currency deposit opens with as much in its currency.
    let unit_in_won = currency_of(data, asset).map_or(1, deposits::won_per_unit);
    let issued = issue_dates(data, asset);
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
        // A loan's history shows repaid principal (optional in some tables: any row showing it).
        let is_loan = rows.iter().any(|r| r.body.get("principal_amt").is_some());
        // Instalment savings (적금) are only paid into, their instalments counted (`paid_in_cnt`),
        // as many of each before the first listed as it.
        let instalments = !is_loan && rows.iter().any(|r| r.body.get("paid_in_cnt").is_some());
        let trans_types = trans_types(&api);
        // A history that begins with the account's opening (신규, on the day it was issued) begins
        // from nothing (a 예금's one payment in).
        let opens = !is_loan
            && rows.first().is_some_and(|first| {
                let current = first.body.get("trans_type").and_then(Value::as_str);
                let named_opening =
                    trans_types.iter().any(|(code, name)| name == OPENING && Some(code.as_str()) == current);
                named_opening && day_of(first).is_some_and(|day| issued.contains(&day))
            });
        let mut balance = match rows.first().map(|row| &row.body) {
            _ if is_loan => loan.principal,
            _ if opens => 0,
            Some(Value::Object(first)) if instalments => {
                let before = whole(first, "paid_in_cnt").unwrap_or(1) - 1;
                before * whole(first, "trans_amt").unwrap_or(0).abs()
            }
            _ => OPENING_BALANCE / unit_in_won,
        };
        let mut last_paid = None;
        for (seq, row) in rows.into_iter().enumerate() {
            let paid = day_of(row);
            let Value::Object(item) = &mut row.body else { continue };
            let amount = whole(item, "trans_amt").or_else(|| whole(item, "principal_amt")).unwrap_or(10_000).abs();
            if is_loan {
                let repaid = if loan.amortizes { (amount / 10).min(balance) } else { 0 };
                // Interest on the balance since the repayment before (a month, for the first).
                let paid = paid.unwrap_or_default();
                let since = last_paid.unwrap_or(paid - Months::new(1));
                let days = (paid - since).num_days().max(1) as f64;
                let interest = (balance as f64 * loan.rate / 100.0 * days / 365.0).round() as i64;
                last_paid = Some(paid);
                balance -= repaid;
                // What moves the balance is always shown, even where the table makes it optional.
                item.insert("principal_amt".into(), json!(repaid.to_string()));
                set(item, "int_amt", interest);
                set(item, "trans_amt", repaid + interest);
                // Interest is refunded on a repayment before its time, which these are not.
                item.remove("ret_int_amt");
                break_interest_down(item, since, paid, loan.rate, interest);
            } else {
                let paid_in = instalments || seq % 3 == 0 || amount > balance;
                balance += if paid_in { amount } else { -amount };
                item.insert("trans_amt".into(), json!(amount.to_string()));
                // An instalment is a plain payment in, whatever other kind of one it was.
                let current = item.get("trans_type").and_then(Value::as_str).filter(|_| !instalments);
                if !(opens && seq == 0)
                    && let Some(code) = movement_type(trans_types, current, paid_in)
                {
                    item.insert("trans_type".into(), json!(code));
                }
            }
            item.insert("balance_amt".into(), json!(balance.to_string()));
        }
        final_balance = Some(balance);
        principal = is_loan.then_some(loan.principal);
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
        mydata_spec::counts::set_counts(body);
    }
}

fn apply_balance(item: &mut Map<String, Value>, balance: i64, principal: Option<i64>) {
    set(item, "balance_amt", balance);
    set(item, "withdrawable_amt", balance);
    if let Some(principal) = principal {
        set(item, "loan_principal", principal);
    }
}

/// Payment days (결제일) a payment sequence may have; a weekend moves the payment to the Monday
/// after, which stays within the month.
const PAYMENT_DAYS: [u32; 6] = [5, 10, 14, 15, 21, 25];

/// Installment plans (개월) of credit-sale installment purchases.
const INSTALLMENTS: [u32; 4] = [2, 3, 6, 12];

/// The day a bill of `month` with payment day `day` is paid out: that day, or the Monday after.
fn paid_out(month: NaiveDate, day: u32) -> NaiveDate {
    let date = month.with_day(day).unwrap_or(month);
    match date.weekday() {
        Weekday::Sat => date + Days::new(2),
        Weekday::Sun => date + Days::new(1),
        _ => date,
    }
}

/// `YYYYMM` of a `YYYYMMDD…` text as the first day of that month.
fn month_of(stamp: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(stamp.get(..4)?.parse().ok()?, stamp.get(4..6)?.parse().ok()?, 1)
}

/// One charge of a bill (a 카드-005 item): a whole approval, or one installment of it.
struct Charge {
    card_id: String,
    approval: Map<String, Value>,
    amount: i64,
    /// Installments: (total, this one, principal left after it).
    installment: Option<(u32, u32, i64)>,
}

impl Charge {
    fn detail(&self) -> Map<String, Value> {
        let a = &self.approval;
        let mut detail = Map::new();
        detail.insert("card_id".into(), json!(self.card_id));
        detail.insert("paid_dtime".into(), a.get("approved_dtime").cloned().unwrap_or(Value::Null));
        if let Some(number) = a.get("approved_num") {
            detail.insert("trans_no".into(), number.clone());
        }
        detail.insert("paid_amt".into(), json!(self.amount.to_string()));
        detail.insert("currency_code".into(), json!("KRW"));
        for name in ["merchant_name", "merchant_regno"] {
            if let Some(v) = a.get(name) {
                detail.insert(name.into(), v.clone());
            }
        }
        detail.insert("credit_fee_amt".into(), json!("0"));
        if let Some((total, this, left)) = self.installment {
            detail.insert("total_install_cnt".into(), json!(total.to_string()));
            detail.insert("cur_install_cnt".into(), json!(this.to_string()));
            detail.insert("balance_amt".into(), json!(left.to_string()));
        }
        // 01: 일시불, 02: 신판할부 (카드-005 prod_type).
        detail.insert("prod_type".into(), json!(if self.installment.is_some() { "02" } else { "01" }));
        detail
    }
}

/// The customer's card bills, built from the domestic approvals (카드-008) so that they agree:
///
/// - A customer has one or two payment sequences (결제순번), each with its payment day; cards belong
///   to the sequences in turn. Bills (카드-004) are per month and sequence. With two sequences they
///   carry a `seqno` (`1`, `2`: "when there are several", 카드-004), and the details (카드-005) are
///   filed under the customer, the month and the seqno, and also under the customer and the month
///   alone (both sequences' details, for a caller that sends no seqno); with one sequence neither
///   bills nor payments carry a seqno and the details are filed under the customer and the month.
/// - Approvals follow their card: a check card's (card_type 02) are check payments (pay_type 02),
///   debited at once and never billed; a credit card's are credit (01). A correction (status 03)
///   carries its modified_amt and time, a cancellation (02) its time; an approval neither.
/// - A bill of month M charges the credit approvals (01 at approved_amt, 03 at modified_amt;
///   cancellations nothing) of month M-1 whole, and an installment purchase of n months in n
///   parts in the n months after it (the last part takes the remainder).
/// - 카드-004 lists, of the last `months` months, the bills already paid out (paid_out_date on or
///   before today) that charge something; charge_amt is the sum of the bill's details, and every
///   detail belongs to a listed bill. 카드-006 shows each sequence's next payment due today or
///   later, with the amount of that bill.
pub fn card_bills(data: &mut CustomerData, customer: &str, today: NaiveDate, months: usize, rng: &mut StdRng) {
    let cards: Vec<(String, String)> = data
        .assets
        .iter()
        .filter(|a| KnownApi::CardList.names(&a.list_api) && a.customer_id == customer)
        .map(|a| (a.asset_key.clone(), a.item.get("card_type").and_then(Value::as_str).unwrap_or("01").to_owned()))
        .collect();
    let Some(template) = data
        .history
        .iter()
        .find(|h| KnownApi::CardDomesticApprovals.names(&h.api_id) && h.customer_id == customer)
        .cloned()
    else {
        return;
    };
    let sequences = if cards.len() > 1 { rng.gen_range(1..=2) } else { 1 };
    let mut days: Vec<u32> = PAYMENT_DAYS.choose_multiple(rng, sequences).copied().collect();
    days.sort_unstable();
    let sequence_of = |card: &str| cards.iter().position(|(id, _)| id == card).unwrap_or(0) % sequences;

    // Approvals made consistent with their cards, and what each charges to which bill.
    let mut charges: BTreeMap<(NaiveDate, usize), Vec<Charge>> = BTreeMap::new();
    for row in data
        .history
        .iter_mut()
        .filter(|h| KnownApi::CardDomesticApprovals.names(&h.api_id) && h.customer_id == customer)
    {
        let card_type = cards.iter().find(|(id, _)| *id == row.subject_key).map_or("01", |(_, t)| t.as_str());
        let Value::Object(item) = &mut row.body else { continue };
        match card_type {
            "01" => item.insert("pay_type".into(), json!("01")),
            "02" => item.insert("pay_type".into(), json!("02")),
            _ => None,
        };
        let status = item.get("status").and_then(Value::as_str).unwrap_or("01").to_owned();
        // Only cancellations and corrections have a trans_dtime, only corrections a modified_amt (the
        // fields' conditions, kept by `values::object`); here every one has them, for its bill.
        if status != "01" {
            let when = item.get("approved_dtime").cloned().unwrap_or_else(|| json!(row.occurred));
            item.insert("trans_dtime".into(), when);
        }
        if status == "03" {
            let amount = whole(item, "modified_amt").or_else(|| whole(item, "approved_amt")).unwrap_or(0);
            item.insert("modified_amt".into(), json!(amount.to_string()));
        }
        let credit = item.get("pay_type").and_then(Value::as_str) == Some("01");
        let installments = match (credit, item.contains_key("total_install_cnt")) {
            (true, true) => *INSTALLMENTS.choose(rng).unwrap_or(&2),
            _ => 1,
        };
        if installments > 1 {
            item.insert("total_install_cnt".into(), json!(installments.to_string()));
        } else {
            // Lump sums have no installment count (카드-008 rules).
            item.remove("total_install_cnt");
        }
        let amount = match status.as_str() {
            "01" => whole(item, "approved_amt"),
            "03" => whole(item, "modified_amt"),
            _ => None,
        };
        let (Some(amount), true, Some(made)) = (amount, credit, month_of(&row.occurred)) else { continue };
        let per_part = amount / i64::from(installments);
        let mut left = amount;
        for part in 1..=installments {
            let charged = if part == installments { left } else { per_part };
            left -= charged;
            charges.entry((made + Months::new(part), sequence_of(&row.subject_key))).or_default().push(Charge {
                card_id: row.subject_key.clone(),
                approval: item.clone(),
                amount: charged,
                installment: (installments > 1).then_some((installments, part, left)),
            });
        }
    }

    // 카드-004 and 카드-005: the bills already paid out within the last `months` months.
    data.history.retain(|h| {
        !((KnownApi::CardBills.names(&h.api_id) || KnownApi::CardBillDetails.names(&h.api_id))
            && h.customer_id == customer)
    });
    let this_month = today.with_day(1).unwrap_or(today);
    let numbered = sequences > 1;
    let sep = crate::subject_separator();
    for back in 0..months.max(1) as u32 {
        let month = this_month - Months::new(back);
        let charge_month = crate::values::month_text(month);
        let mut month_details = Vec::new();
        for (sequence, &day) in days.iter().enumerate() {
            let paid = paid_out(month, day);
            let Some(bill) = charges.get(&(month, sequence)).filter(|_| paid <= today) else { continue };
            let seqno = (sequence + 1).to_string();
            let total: i64 = bill.iter().map(|c| c.amount).sum();
            let occurred = format!("{}000000", crate::values::date_text(paid));
            let mut item = Map::new();
            if numbered {
                item.insert("seqno".into(), json!(seqno));
            }
            item.insert("charge_amt".into(), json!(total.to_string()));
            item.insert("charge_day".into(), json!(format!("{day:02}")));
            item.insert("charge_month".into(), json!(charge_month));
            item.insert("paid_out_date".into(), json!(crate::values::date_text(paid)));
            data.history.push(HistoryRow {
                api_id: KnownApi::CardBills.id().into(),
                subject_key: customer.to_owned(),
                sort_key: format!("{occurred}|{seqno:0>5}"),
                occurred,
                body: Value::Object(item),
                ..template.clone()
            });
            let details: Vec<Map<String, Value>> = bill.iter().map(Charge::detail).collect();
            if numbered {
                let subject = format!("{customer}{sep}{charge_month}{sep}{seqno}");
                push_details(&mut data.history, &template, &subject, &details);
            }
            month_details.extend(details);
        }
        push_details(&mut data.history, &template, &format!("{customer}{sep}{charge_month}"), &month_details);
    }

    // 카드-006: each sequence's next payment due today or later.
    let mut payments = Vec::new();
    for (sequence, &day) in days.iter().enumerate() {
        let month = if paid_out(this_month, day) >= today { this_month } else { this_month + Months::new(1) };
        let amount: i64 = charges.get(&(month, sequence)).map_or(0, |bill| bill.iter().map(|c| c.amount).sum());
        let mut pay = Map::new();
        if numbered {
            pay.insert("seqno".into(), json!((sequence + 1).to_string()));
        }
        pay.insert("pay_due_date".into(), json!(crate::values::date_text(paid_out(month, day))));
        pay.insert("pay_amt".into(), json!(amount.to_string()));
        payments.push(Value::Object(pay));
    }
    for doc in
        data.documents.iter_mut().filter(|d| KnownApi::CardPayments.names(&d.api_id) && d.customer_id == customer)
    {
        let Value::Object(body) = &mut doc.body else { continue };
        body.insert("pay_list".into(), Value::Array(payments.clone()));
        mydata_spec::counts::set_counts(body);
    }
}

/// Files bill details (카드-005 items) under `subject`, in key order by their time.
fn push_details(history: &mut Vec<HistoryRow>, template: &HistoryRow, subject: &str, details: &[Map<String, Value>]) {
    for (n, detail) in details.iter().enumerate() {
        let occurred = detail.get("paid_dtime").and_then(Value::as_str).unwrap_or(&template.occurred).to_owned();
        history.push(HistoryRow {
            api_id: KnownApi::CardBillDetails.id().into(),
            subject_key: subject.to_owned(),
            sort_key: format!("{occurred}|{n:05}"),
            occurred,
            body: Value::Object(detail.clone()),
            ..template.clone()
        });
    }
}
