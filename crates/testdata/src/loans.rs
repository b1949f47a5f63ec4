//! A generated loan as its 첨부3 type makes it. The tables give every loan the same fields; what
//! differs is the type's: a 신용대출 (3100) is lent for a year and renewed, a 전세자금대출 (3170) for
//! the two years of a lease and repaid at its end (첨부4 01 만기일시상환), a 주택담보대출 (3220) over
//! decades in instalments, a car's 할부금융 (3500, 3510) or 운용리스 (3710) over a few years; an
//! overdraft (마이너스 통장, a 자유입출식 account with `is_minus`) is a credit line (08 한도거래)
//! renewed yearly, without a monthly repayment day (은행-008's `repay_date` rule). The loan's answers
//! (은행-008/009, 할부금융-002/003/005) then agree on its term, principal and next repayment; its
//! history is its monthly repayments, which repay principal only where its repayment method does
//! ([`crate::ledger`]).

use crate::ledger::{self, on_day, set};
use crate::{CustomerData, values};
use chrono::{Days, Months, NaiveDate};
use mydata_spec::{AssetKind, catalogue};
use mydata_store::AssetRow;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::Value;

/// What a loan of one 첨부3 type is like.
struct LoanType {
    /// 첨부3's code of the listed account (1001 for an overdraft on a demand deposit).
    account_type: &'static str,
    /// 첨부4's repayment methods it may have.
    repay_methods: &'static [&'static str],
    /// The contract's term, in whole years.
    years: (u32, u32),
    /// Whether a term that ran out was renewed for another (an ended one-off loan is lent afresh).
    renews: bool,
    /// Its principal, in millions of won.
    millions: (i64, i64),
    /// Its rate, in hundredths of a percent.
    rate: (u32, u32),
    /// Whether it has a monthly repayment day.
    monthly: bool,
}

const TYPES: [LoanType; 7] = [
    LoanType {
        account_type: "1001",
        repay_methods: &["08"],
        years: (1, 1),
        renews: true,
        millions: (5, 50),
        rate: (550, 950),
        monthly: false,
    },
    LoanType {
        account_type: "3100",
        repay_methods: &["01", "04"],
        years: (1, 1),
        renews: true,
        millions: (10, 80),
        rate: (450, 1_200),
        monthly: true,
    },
    LoanType {
        account_type: "3170",
        repay_methods: &["01"],
        years: (2, 2),
        renews: true,
        millions: (50, 300),
        rate: (350, 600),
        monthly: true,
    },
    LoanType {
        account_type: "3220",
        repay_methods: &["02", "04", "05"],
        years: (10, 30),
        renews: false,
        millions: (100, 500),
        rate: (350, 600),
        monthly: true,
    },
    LoanType {
        account_type: "3500",
        repay_methods: &["04"],
        years: (3, 5),
        renews: false,
        millions: (15, 60),
        rate: (400, 900),
        monthly: true,
    },
    LoanType {
        account_type: "3510",
        repay_methods: &["04"],
        years: (2, 4),
        renews: false,
        millions: (5, 30),
        rate: (600, 1_500),
        monthly: true,
    },
    // An operating lease (운용리스) is paid monthly over a car's few years; it states no principal.
    LoanType {
        account_type: "3710",
        repay_methods: &["04"],
        years: (3, 5),
        renews: false,
        millions: (20, 80),
        rate: (400, 900),
        monthly: true,
    },
];

/// 첨부4's repayment methods that repay no principal before the end: 01 만기일시상환 and 08 한도거래.
const PRINCIPAL_AT_END: [&str; 2] = ["01", "08"];

/// Whether a loan repaid by `repay_method` (첨부4) repays principal with its instalments.
pub(crate) fn repays_principal(repay_method: &str) -> bool {
    !PRINCIPAL_AT_END.contains(&repay_method)
}

/// Makes the loan answers about the account `key` (listed as of 첨부3 type `account_type`) fit its
/// type: one repayment method, a term that has not ended, a principal and a rate of its size, the
/// next repayment within a month (on its repayment day), no repayment day on an overdraft, and its
/// history monthly repayments, which the ledger then runs. `today` is the generator's.
pub(crate) fn fit_answers(data: &mut CustomerData, key: &str, account_type: &str, today: NaiveDate, rng: &mut StdRng) {
    if account_type == POLICY_LOAN {
        name_policy(data, key, rng);
    }
    let Some(kind) = TYPES.iter().find(|t| t.account_type == account_type) else { return };
    let repay_method = kind.repay_methods.choose(rng).copied().unwrap_or_default();
    let years = rng.gen_range(kind.years.0..=kind.years.1);
    let principal = rng.gen_range(kind.millions.0..=kind.millions.1) * 1_000_000;
    let rate = rng.gen_range(kind.rate.0..=kind.rate.1);
    let issued = data
        .documents
        .iter()
        .filter(|d| d.subject_key == key)
        .find_map(|d| d.body.get("issue_date").and_then(Value::as_str).and_then(values::date_of));
    let Some(mut issued) = issued else { return };
    let term = Months::new(12 * years);
    let mut expires = issued + term;
    if kind.renews {
        while expires <= today {
            expires = expires + term;
        }
    } else if expires <= today + Days::new(30) {
        // Lent within its term, before the transactions of the last year or so.
        let days = u64::from(years) * 365 - 30;
        issued = today - Days::new(rng.gen_range(400..days));
        expires = issued + term;
    }
    let mut repay_day = None;
    for document in data.documents.iter_mut().filter(|d| d.subject_key == key) {
        let Value::Object(body) = &mut document.body else { continue };
        if !(body.contains_key("repay_method") || body.contains_key("loan_principal")) {
            continue;
        }
        set(body, "repay_method", repay_method);
        set(body, "issue_date", values::date_text(issued));
        set(body, "exp_date", values::date_text(expires));
        set(body, "last_offered_rate", format!("{}.{:02}", rate / 100, rate % 100));
        set(body, "loan_principal", principal.to_string());
        if !body.contains_key("repay_method") {
            continue;
        }
        if kind.monthly {
            // Given wherever a monthly repayment day exists, as 은행-008 and 할부금융-002 say.
            let day = body.get("repay_date").and_then(Value::as_str).and_then(|day| day.parse().ok());
            let day = day.unwrap_or_else(|| rng.gen_range(1..=28));
            body.insert("repay_date".into(), Value::String(format!("{day:02}")));
            repay_day = Some(day);
        } else {
            body.remove("repay_date");
        }
    }
    let next = next_repayment(today, repay_day, rng);
    for document in data.documents.iter_mut().filter(|d| d.subject_key == key) {
        if let Value::Object(body) = &mut document.body {
            set(body, "next_repay_date", values::date_text(next));
        }
    }
    if let Some(day) = repay_day {
        monthly_repayments(data, key, next, day);
    }
}

/// The next monthly repayment after `today`: on `day` of this month or the next, or within a month
/// where the loan has no repayment day.
fn next_repayment(today: NaiveDate, day: Option<u32>, rng: &mut StdRng) -> NaiveDate {
    let Some(day) = day else { return today + Days::new(rng.gen_range(1..=30)) };
    let this_month = on_day(today, day);
    if this_month > today { this_month } else { on_day(today + Months::new(1), day) }
}

/// Makes the history of a loan or a lease repaid monthly on `day` its repayments (02 상환, a
/// lease's 일부상환) on the repayment days before `next`.
fn monthly_repayments(data: &mut CustomerData, key: &str, next: NaiveDate, day: u32) {
    ledger::date_monthly(data, key, next - Months::new(1), day);
    for row in data.history.iter_mut().filter(|h| h.subject_key == key) {
        if let Value::Object(body) = &mut row.body {
            set(body, "trans_type", "02");
        }
    }
}

/// 첨부3's 보험계약대출, a loan against one of the customer's policies.
const POLICY_LOAN: &str = "3400";
/// The field naming the policy a loan is drawn on.
const POLICY_FIELD: &str = "insu_num";

/// Names, in the answers about the policy loan `key` whose tables have it (보험-009's `insu_num`,
/// "present when the account_type is 3400"), one of the policies the customer holds at the insurer
/// (not a car policy, which a loan cannot be drawn on), which then lends.
fn name_policy(data: &mut CustomerData, key: &str, rng: &mut StdRng) {
    let kind = |asset: &AssetRow| {
        let list = catalogue::api(&asset.list_api)?;
        Some(list.classify(|name| asset.item.get(name)?.as_str()).kind)
    };
    let policies: Vec<&str> = data
        .assets
        .iter()
        .filter(|asset| kind(asset) == Some(AssetKind::Policy))
        .map(|asset| asset.asset_key.as_str())
        .collect();
    let Some(policy) = policies.choose(rng).map(|policy| (*policy).to_owned()) else { return };
    let names_policy = |api: &str| {
        catalogue::api(api).is_some_and(|api| api.fields().response_body().any(|field| field.name == POLICY_FIELD))
    };
    for document in data.documents.iter_mut().filter(|d| d.subject_key == key && names_policy(&d.api_id)) {
        if let Value::Object(body) = &mut document.body {
            body.insert(POLICY_FIELD.into(), Value::String(policy.clone()));
        }
    }
    // The policy lends (보험-002's `is_loanable`), as the loan drawn on it shows.
    for document in data.documents.iter_mut().filter(|d| d.subject_key == policy) {
        if let Some(loanable) = document.body.get_mut("is_loanable") {
            *loanable = Value::String("true".into());
        }
    }
}
