//! A generated deposit account as its 첨부3 type makes it. The tables leave a deposit's details
//! optional "where not applicable to the account type" (은행-002 and 은행-003's rules) and say in
//! words what applies: a 자유입출식 account is paid into on demand (은행-002's `saving_method` 01
//! 요구불식), never matures and is the account an overdraft (마이너스 통장, `is_minus`) is drawn on;
//! a 예금 is paid in once, when it is opened (02 거치식; 은행-004's 01 신규), and matures; a 적금 is
//! paid in by instalments (03 정액적립식, 04 자유적립식) once a month, matures and counts its
//! instalments (은행-003's `last_paid_in_cnt`, 은행-004's `paid_in_cnt`), and only a fixed
//! instalment has a monthly amount (`monthly_paid_in_amt`). A foreign-currency deposit
//! (`is_foreign_deposit`) is kept in one currency by every answer about it, and its amounts are
//! stated in that currency.

use crate::{CustomerData, ledger, values};
use chrono::{Datelike, Days, Months, NaiveDate};
use mydata_spec::{ApiSpec, AssetClass, AssetKind};
use mydata_store::HistoryRow;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Map, Value};

/// What a deposit account of one 첨부3 type is like.
struct DepositType {
    /// 첨부3's code.
    account_type: &'static str,
    /// 은행-002's `saving_method` codes it may have.
    saving_methods: &'static [&'static str],
    matures: bool,
    /// Whether it is paid into by instalments, which are counted.
    instalments: bool,
    /// Whether it is paid into once, when it is opened.
    paid_in_once: bool,
    /// Whether an overdraft may be drawn on it.
    overdraft: bool,
    names: &'static [&'static str],
    foreign_names: &'static [&'static str],
}

const TYPES: [DepositType; 3] = [
    DepositType {
        account_type: "1001",
        saving_methods: &["01"],
        matures: false,
        instalments: false,
        paid_in_once: false,
        overdraft: true,
        names: &["한빛 자유입출금통장", "한빛 월급통장"],
        foreign_names: &["한빛 외화보통예금"],
    },
    DepositType {
        account_type: "1002",
        saving_methods: &["02"],
        matures: true,
        instalments: false,
        paid_in_once: true,
        overdraft: false,
        names: &["든든 정기예금", "한빛 회전정기예금"],
        foreign_names: &["한빛 외화정기예금"],
    },
    DepositType {
        account_type: "1003",
        saving_methods: &["03", "04"],
        matures: true,
        instalments: true,
        paid_in_once: false,
        overdraft: false,
        names: &["내일을 여는 적금", "청년 희망적금"],
        foreign_names: &["한빛 외화적립예금"],
    },
];

/// 은행-002's `saving_method` of a fixed instalment (정액적립식), the one with a monthly amount.
const FIXED_INSTALMENT: &str = "03";
/// 은행-004's `trans_type` of an account's opening (신규).
const OPENING: &str = "01";
/// ISO 4217 currencies of foreign-currency deposits, each with about how many won a unit is worth;
/// `KRW` is every other account's.
const FOREIGN_CURRENCIES: [(&str, i64); 3] = [("USD", 1_400), ("JPY", 9), ("EUR", 1_500)];
const WON: (&str, i64) = ("KRW", 1);

/// About how many won a unit of `currency` is worth (1 for won and for a currency not generated).
pub(crate) fn won_per_unit(currency: &str) -> i64 {
    FOREIGN_CURRENCIES.iter().find(|(code, _)| *code == currency).map_or(WON.1, |(_, won)| *won)
}

fn text<'a>(item: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    item.get(name).and_then(Value::as_str)
}

fn type_of(item: &Map<String, Value>) -> Option<&'static DepositType> {
    let code = text(item, "account_type")?;
    TYPES.iter().find(|t| t.account_type == code)
}

/// Makes a deposit account's list item fit its type: its product's name (a foreign-currency one
/// for a foreign deposit), and no overdraft on a 예금, a 적금 or a foreign-currency account.
pub(crate) fn fit_item(item: &mut Map<String, Value>, rng: &mut StdRng) {
    let Some(kind) = type_of(item) else { return };
    let foreign = text(item, "is_foreign_deposit") == Some("true");
    // An overdraft is a line of won credit on a won account.
    if (!kind.overdraft || foreign) && item.contains_key("is_minus") {
        item.insert("is_minus".into(), Value::String("false".into()));
    }
    if item.contains_key("prod_name") {
        let names = if foreign { kind.foreign_names } else { kind.names };
        let name = names.choose(rng).copied().unwrap_or_default();
        item.insert("prod_name".into(), Value::String(name.to_owned()));
    }
}

/// Makes the deposit details and transactions of the account `key`, listed as `item`, fit its type:
/// one `saving_method`, no maturity or agreed amount where it has none, instalment figures only on
/// instalment savings, which are paid in monthly, and one currency throughout. `keyed` are the APIs
/// about the list's items; `today` is the generator's.
pub(crate) fn fit_answers(
    data: &mut CustomerData,
    key: &str,
    item: &Map<String, Value>,
    keyed: &[&'static ApiSpec],
    today: NaiveDate,
    rng: &mut StdRng,
) {
    let Some(kind) = type_of(item) else { return };
    let saving_method = kind.saving_methods.choose(rng).copied().unwrap_or_default();
    let (currency, won) = if text(item, "is_foreign_deposit") == Some("true") {
        FOREIGN_CURRENCIES.choose(rng).copied().unwrap_or(WON)
    } else {
        WON
    };
    let fit = |object: &mut Map<String, Value>, rng: &mut StdRng| {
        if object.contains_key("saving_method") {
            object.insert("saving_method".into(), Value::String(saving_method.to_owned()));
        }
        if !kind.matures {
            object.remove("exp_date");
            object.remove("commit_amt");
        }
        if saving_method != FIXED_INSTALMENT {
            object.remove("monthly_paid_in_amt");
        }
        if !kind.instalments {
            object.remove("last_paid_in_cnt");
            object.remove("paid_in_cnt");
        } else if object.contains_key("last_paid_in_cnt") {
            object.insert("last_paid_in_cnt".into(), Value::String(rng.gen_range(1..=36).to_string()));
        }
        if object.contains_key("currency_code") {
            object.insert("currency_code".into(), Value::String(currency.to_owned()));
        }
    };
    // Not an overdraft's loan answers (은행-008/009), which describe the same account.
    let deposit = AssetClass::of(AssetKind::Deposit);
    let deposit_apis: Vec<&str> = keyed.iter().filter(|api| api.describes(deposit)).map(|api| api.id).collect();
    let about_deposit = |api_id: &str| deposit_apis.contains(&api_id);
    let documents = data.documents.iter_mut().filter(|d| d.subject_key == key && about_deposit(&d.api_id));
    let rows = data.history.iter_mut().filter(|h| h.subject_key == key && about_deposit(&h.api_id));
    for body in documents.map(|d| &mut d.body).chain(rows.map(|h| &mut h.body)) {
        ledger::each_object(body, |object| fit(object, rng));
    }
    if kind.instalments {
        pay_in_monthly(data, key, saving_method == FIXED_INSTALMENT, today, rng);
    }
    if kind.paid_in_once {
        pay_in_once(data, key, today, rng);
    }
    if won > 1 {
        in_currency(data, key, won);
    }
}

/// States the amounts (`…_amt`) of the answers about the account `key`, made in won, in a currency
/// a unit of which is worth `won` won, to the whole unit.
fn in_currency(data: &mut CustomerData, key: &str, won: i64) {
    let restate = |object: &mut Map<String, Value>| {
        for (name, value) in object.iter_mut() {
            if name.ends_with("_amt")
                && let Some(amount) = value.as_str().and_then(|text| text.parse::<i64>().ok())
            {
                *value = Value::String((amount / won).max(1).to_string());
            }
        }
    };
    let documents = data.documents.iter_mut().filter(|d| d.subject_key == key).map(|d| &mut d.body);
    let rows = data.history.iter_mut().filter(|h| h.subject_key == key).map(|h| &mut h.body);
    for body in documents.chain(rows) {
        ledger::each_object(body, restate);
    }
}

/// The items of the lists of the answers about `key` (은행-002's `basic_list`, 은행-003's `detail_list`).
fn answered<'a>(data: &'a mut CustomerData, key: &'a str) -> impl Iterator<Item = &'a mut Map<String, Value>> + 'a {
    let bodies = data.documents.iter_mut().filter(move |d| d.subject_key == key).filter_map(|d| d.body.as_object_mut());
    bodies.flat_map(|body| {
        let items: Vec<&mut Map<String, Value>> =
            body.values_mut().filter_map(Value::as_array_mut).flatten().filter_map(Value::as_object_mut).collect();
        items
    })
}

/// Makes a 예금's history its one payment in, when it was opened (01 신규, which the ledger runs),
/// of the amount agreed (은행-002's `commit_amt`), within a term of one to three years that has not
/// ended.
fn pay_in_once(data: &mut CustomerData, key: &str, today: NaiveDate, rng: &mut StdRng) {
    let years = rng.gen_range(1..=3u32);
    let opened = today - Days::new(rng.gen_range(30..365 * u64::from(years) - 30));
    let matures = opened + Months::new(12 * years);
    let mut agreed = None;
    for object in answered(data, key).filter(|object| object.contains_key("issue_date")) {
        object.insert("issue_date".into(), Value::String(values::date_text(opened)));
        object.insert("exp_date".into(), Value::String(values::date_text(matures)));
        let given = || text(object, "commit_amt").map(str::to_owned);
        let amount = agreed.clone().or_else(given).unwrap_or_else(|| (rng.gen_range(100..=5_000) * 10_000).to_string());
        object.insert("commit_amt".into(), Value::String(amount.clone()));
        agreed = Some(amount);
    }
    let first = data.history.iter().filter(|h| h.subject_key == key).map(|h| h.sort_key.clone()).min();
    data.history.retain(|h| h.subject_key != key || Some(&h.sort_key) == first.as_ref());
    ledger::date_monthly(data, key, opened, opened.day());
    for row in data.history.iter_mut().filter(|h| h.subject_key == key) {
        if let Value::Object(body) = &mut row.body {
            body.insert("trans_type".into(), Value::String(OPENING.into()));
            if let Some(amount) = &agreed {
                body.insert("trans_amt".into(), Value::String(amount.clone()));
            }
        }
    }
}

/// Makes a 적금's transactions its instalments: paid in once a month on one day up to today,
/// numbered on to the latest instalment the account states (은행-003's `last_paid_in_cnt`), each of
/// the monthly amount (은행-002's `monthly_paid_in_amt`) where that is `fixed`.
fn pay_in_monthly(data: &mut CustomerData, key: &str, fixed: bool, today: NaiveDate, rng: &mut StdRng) {
    let day = rng.gen_range(1..=28);
    let this_month = ledger::on_day(today, day);
    let latest = if this_month <= today { this_month } else { ledger::on_day(today - Months::new(1), day) };
    ledger::date_monthly(data, key, latest, day);
    let count = data.history.iter().filter(|h| h.subject_key == key).count();
    let mut last = 0;
    let mut monthly = None;
    for object in answered(data, key) {
        if let Some(stated) = text(object, "last_paid_in_cnt").and_then(|n| n.parse::<usize>().ok()) {
            last = last.max(stated);
        }
        if fixed && object.contains_key("saving_method") {
            let given = || text(object, "monthly_paid_in_amt").map(str::to_owned);
            let amount = monthly.clone().or_else(given);
            let amount = amount.unwrap_or_else(|| (rng.gen_range(10..=100) * 10_000).to_string());
            object.insert("monthly_paid_in_amt".into(), Value::String(amount.clone()));
            monthly = Some(amount);
        }
    }
    let last = last.max(count);
    for object in answered(data, key) {
        if object.contains_key("last_paid_in_cnt") {
            object.insert("last_paid_in_cnt".into(), Value::String(last.to_string()));
        }
    }
    let mut rows: Vec<&mut HistoryRow> = data.history.iter_mut().filter(|h| h.subject_key == key).collect();
    rows.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    for (seq, row) in rows.into_iter().enumerate() {
        let Value::Object(body) = &mut row.body else { continue };
        body.insert("paid_in_cnt".into(), Value::String((last - count + seq + 1).to_string()));
        if let Some(amount) = &monthly {
            body.insert("trans_amt".into(), Value::String(amount.clone()));
        }
    }
}
