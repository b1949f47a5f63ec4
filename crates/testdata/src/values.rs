//! One realistic value per field of the standard's response tables: code values from the field's
//! code list (the note's `Codes:` or 첨부3..16), Korean text within AH byte lengths, exact decimal
//! amounts, DATE/DTIME in range. Every value is checked against its type before it is used, so the
//! data always passes `spec::validate::check_response`.

use crate::names::*;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Timelike};
use mydata_spec::fields::Field;
use mydata_spec::{ApiSpec, Industry, KnownApi};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

/// What the value is about, so that names and codes fit the asset.
pub struct Context {
    pub industry: Industry,
    pub api: &'static ApiSpec,
    pub today: NaiveDate,
    /// When the generated row happened (history rows), for its DTIME/DATE fields.
    pub at: Option<NaiveDateTime>,
}

/// A field's identity: its address in the field data, which is loaded once and never moves.
fn field_id(field: &Field) -> usize {
    std::ptr::from_ref(field) as usize
}

/// Hashes field addresses: they are distinct already, SipHash would only cost time.
#[derive(Default)]
pub(crate) struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        let x = (n as u64 >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = x ^ (x >> 29);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type ByAddress<T> = HashMap<usize, T, std::hash::BuildHasherDefault<AddressHasher>>;

/// What [`value`] does for one field, worked out once from its name, note and type: the field data
/// is static, and working it out again for every value was most of the generator's time.
struct Plan {
    /// Code values listed in the note; only the one it fixes, where it fixes one.
    note_codes: Vec<String>,
    /// Whether the name is one [`attachment_codes`] may know.
    attachment: bool,
    /// For any other name, the codes of the attachment tables its note cites (첨부15's coverages).
    table_codes: Vec<String>,
    named: Named,
    generic: Generic,
    rule: Rule,
}

/// The candidate [`by_name`] makes for a name.
#[derive(Clone, Copy)]
enum Named {
    Digits(usize),
    AccountId,
    CardNum,
    Pick(&'static [&'static str]),
    Product,
    Person,
    Merchant,
    CarNumber,
    Fixed(&'static str),
    Telecom,
    Day,
    Nothing,
}

fn named(name: &str) -> Named {
    match name {
        "account_num" | "repay_account_num" | "charge_account_num" => Named::Digits(13),
        "account_id" => Named::AccountId,
        "card_num" => Named::CardNum,
        "card_name" => Named::Pick(CARD_NAMES),
        "prod_name" | "account_name" => Named::Product,
        "loan_name" => Named::Pick(LOAN_PRODUCTS),
        "pp_name" | "fob_name" => Named::Pick(PREPAID_NAMES),
        "irp_name" => Named::Pick(INVEST_PRODUCTS),
        "insured_name" => Named::Person,
        "merchant_name" => Named::Merchant,
        "merchant_regno" => Named::Digits(10),
        "trans_memo" => Named::Pick(MEMOS),
        // The channel (은행-004: "창구, 인터넷뱅킹, ATM 등"); the direction is trans_type's.
        "trans_class" => Named::Pick(&["창구", "인터넷뱅킹", "모바일뱅킹", "ATM", "자동이체"]),
        "point_name" => Named::Pick(POINT_NAMES),
        "car_name" => Named::Pick(CAR_NAMES),
        "car_number" => Named::CarNumber,
        "contract_name" | "coverage_name" => Named::Pick(COVERAGES),
        "contract_age" => Named::Fixed("만 26세 이상"),
        "contract_driver" => Named::Fixed("부부한정"),
        "trans_title" => Named::Pick(PAY_TITLES),
        "telecom_num" => Named::Telecom,
        "purpose" => Named::Fixed("자산관리 서비스 제공"),
        n if n.ends_with("org_code") => Named::Pick(&["A1HB0001", "B2MD0002", "C3SJ0003"]),
        n if n.ends_with("_day") || n == "repay_date" || n == "pay_date" => Named::Day,
        _ => Named::Nothing,
    }
}

/// Names [`attachment_codes`] answers for in some context.
const ATTACHMENT_NAMES: &[&str] = &[
    "account_type",
    "account_status",
    "repay_method",
    "insu_type",
    "car_insu_type",
    "prod_type",
    "trans_type",
    "trans_category",
    "card_brand",
    "currency_code",
    "country_code",
    "ex_code",
    "pay_method",
    "subject",
];

/// Where a date falls from the generator's today, by the field's name.
#[derive(Clone, Copy)]
enum When {
    /// Months or years ago: openings, registrations, payments.
    Past,
    /// The last few days: the date the data is as of (금투-002/004's `base_date`, the settled holdings').
    Recent,
    /// Ends, expiries (a loan's `loan_exp_date`, a rider's `contract_exp_date`), dues, next dates,
    /// planned starts.
    Ahead,
}

/// The value [`by_type`] makes when the name says nothing more specific.
enum Generic {
    Date(When),
    DTime(When),
    Boolean,
    Month,
    Whole(Amounts),
    Rate { scale: u32 },
    Korean(usize),
    Capitals { len: usize, letters_only: bool },
    Mixed(usize),
}

/// The range of [`amount`] for a name: thousands from `low` to `high`, in won unless `plain`.
#[derive(Clone, Copy)]
struct Amounts {
    low: i64,
    high: i64,
    plain: bool,
}

fn amounts(name: &str) -> Amounts {
    let (low, high) = match name {
        n if n.contains("rate") => (1, 20),
        n if n.contains("point") => (0, 80_000),
        n if n.contains("fee") => (0, 30_000),
        n if n.starts_with("limit") => (1, 200),
        // Installment months; a lump sum carries no count (카드-008, 선불-004, 전금-103 notes).
        n if n.contains("install_cnt") => (2, 24),
        n if n.contains("num") || n.contains("cnt") => (1, 300),
        n if n.contains("face") || n.contains("principal") || n.contains("loan") || n.contains("lending") => {
            (1_000, 30_000)
        }
        _ => (1, 2_000),
    };
    let plain = name.contains("rate") || name.contains("cnt") || name.contains("num") || name.starts_with("limit");
    Amounts { low, high, plain }
}

fn generic(field: &Field) -> Generic {
    let name = field.name.as_str();
    let spec = field.type_spec.split('|').next().unwrap_or("");
    let kind = spec.split('(').next().unwrap_or("");
    let (len, scale) = precision(spec);
    let len = len as usize;
    let when = if name.starts_with("exp")
        || name.contains("_exp_")
        || name.contains("end")
        || name.contains("due")
        || name.starts_with("next")
        // IRP-002's pension start, which the customer designates ahead ("planned").
        || name == "rcv_start_date"
    {
        When::Ahead
    } else if name == "base_date" {
        When::Recent
    } else {
        When::Past
    };
    match kind {
        "DATE" => Generic::Date(when),
        "DTIME" => Generic::DTime(when),
        "Boolean" => Generic::Boolean,
        "N" if name.ends_with("month") => Generic::Month,
        "N" => Generic::Whole(amounts(name)),
        "F" if scale > 0 && name.contains("rate") => Generic::Rate { scale },
        "F" => Generic::Whole(amounts(name)),
        "AH" => Generic::Korean(len.min(90)),
        "AN" | "A" => Generic::Capitals { len: len.min(8), letters_only: kind == "A" },
        _ => Generic::Mixed(len.min(12)),
    }
}

/// A field's type as [`mydata_spec::validate::check_value`] reads it, parsed once: any alternative may match.
struct Rule(Vec<(Check, usize, u32, u32)>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    Whole,
    Decimal,
    CapitalsDigits,
    LettersDigits,
    Capitals,
    Small,
    Printable,
    DigitsSymbols,
    Bytes,
    Base64,
    Date,
    DTime,
    Boolean,
    Anything,
}

impl Rule {
    fn of(type_spec: &str) -> Rule {
        Rule(
            type_spec
                .split('|')
                .map(|alternative| {
                    let (kind, args): (&str, Vec<u32>) = match alternative.split_once('(') {
                        Some((kind, rest)) => (
                            kind,
                            rest.trim_end_matches(')').split(',').filter_map(|n| n.trim().parse().ok()).collect(),
                        ),
                        None => (alternative, Vec::new()),
                    };
                    let check = match kind {
                        "N" => Check::Whole,
                        "F" => Check::Decimal,
                        "AN" => Check::CapitalsDigits,
                        "aN" => Check::LettersDigits,
                        "A" => Check::Capitals,
                        "a" => Check::Small,
                        "aNS" => Check::Printable,
                        "NS" => Check::DigitsSymbols,
                        "AH" => Check::Bytes,
                        "B64" => Check::Base64,
                        "DATE" => Check::Date,
                        "DTIME" => Check::DTime,
                        "Boolean" => Check::Boolean,
                        _ => Check::Anything,
                    };
                    let max = args.first().copied().unwrap_or(u32::MAX) as usize;
                    (check, max, args.first().copied().unwrap_or(18), args.get(1).copied().unwrap_or(0))
                })
                .collect(),
        )
    }

    /// Exactly [`mydata_spec::validate::check_value`]'s verdict, without its error texts.
    fn accepts(&self, value: &str) -> bool {
        self.0.iter().any(|&(check, max, precision, scale)| {
            let chars = || value.chars().count();
            let all = |ok: fn(char) -> bool| value.chars().all(ok) && chars() <= max;
            match check {
                Check::Whole => {
                    let digits = value.strip_prefix('-').unwrap_or(value);
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && digits.len() <= max
                }
                Check::Decimal => mydata_spec::types::Amount::parse(value, precision, scale).is_ok(),
                Check::CapitalsDigits => all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
                Check::LettersDigits => all(|c| c.is_ascii_alphanumeric()),
                Check::Capitals => all(|c| c.is_ascii_uppercase()),
                Check::Small => all(|c| c.is_ascii_lowercase()),
                Check::Printable => all(|c| c.is_ascii_graphic() || c == ' '),
                Check::DigitsSymbols => all(|c| c.is_ascii_digit() || c.is_ascii_punctuation()),
                Check::Bytes => value.len() <= max,
                Check::Base64 => all(|c| c.is_ascii_alphanumeric() || "+/=-_".contains(c)),
                Check::Date => value.parse::<mydata_spec::types::Date>().is_ok(),
                Check::DTime => value.parse::<mydata_spec::types::DTime>().is_ok(),
                Check::Boolean => matches!(value, "true" | "false"),
                Check::Anything => true,
            }
        })
    }
}

fn plan_of(field: &Field) -> Plan {
    let attachment = ATTACHMENT_NAMES.contains(&field.name.as_str());
    let tables = mydata_spec::attachments::tables_of(field).filter(|_| !attachment);
    Plan {
        note_codes: match field.fixed_value() {
            Some(value) => vec![value.to_owned()],
            None => mydata_spec::validate::note_codes(&field.note),
        },
        attachment,
        table_codes: tables.flat_map(|table| table.codes.iter().map(|(code, _)| code.clone())).collect(),
        named: named(&field.name),
        generic: generic(field),
        rule: Rule::of(&field.type_spec),
    }
}

/// The plans of every field of every API, made once.
static PLANS: LazyLock<ByAddress<Plan>> = LazyLock::new(|| {
    fn walk(fields: &'static [Field], out: &mut ByAddress<Plan>) {
        for field in fields {
            out.insert(field_id(field), plan_of(field));
            walk(&field.children, out);
        }
    }
    let mut out = ByAddress::default();
    for api in mydata_spec::fields::all_fields() {
        walk(&api.response, &mut out);
    }
    out
});

/// Code lists of the attachments for fields whose notes only point at them.
fn attachment_codes(ctx: &Context, name: &str) -> Option<&'static [&'static str]> {
    Some(match (name, ctx.industry) {
        ("account_type", Industry::Invest) => &["101", "102", "105", "107", "108"],
        ("account_type", _) => &["1001", "1002", "1003"],
        ("account_status", _) => &["01"],
        ("repay_method", _) => &["01", "02", "04", "05", "08"],
        ("insu_type", Industry::Ginsu) => &["20"],
        // 17 (자동차보험) only where the policy is generated as a car policy, with its 보험-004/007
        // details (`kind_of`): a random 17 would name car details that do not exist.
        ("insu_type", _) => &["01", "03", "05", "07", "10", "16"],
        ("car_insu_type", _) => &["02", "11", "12"],
        ("prod_type", Industry::Invest) => &["401", "402", "403", "413", "418"],
        ("trans_type", Industry::Invest) => &["301", "302", "341", "342"],
        ("trans_type", Industry::Efin) if ctx.api.is(KnownApi::EfinPayments) => &["6101", "6102", "6103", "6201"],
        ("trans_type", Industry::Efin | Industry::Bank | Industry::Card) if !is_irp(ctx) => {
            &["5101", "5102", "5201", "5501", "5502"]
        }
        ("trans_category", _) => &["A1", "B1", "C1", "G1", "K1", "L1", "Z1"],
        ("card_brand", _) => &["I01", "I02", "D02", "D08"],
        ("currency_code", _) => &["KRW"],
        ("country_code", _) => &["US", "JP", "GB"],
        // 첨부16: 뉴욕, 나스닥, 홍콩 (overseas stocks).
        ("ex_code", _) => &["100", "101", "022"],
        ("pay_method", _) => &["01", "02", "04"],
        ("subject", _) => &["1", "2"],
        _ => return None,
    })
}

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

fn person(rng: &mut StdRng) -> String {
    let (family, given) = (pick(rng, FAMILY_NAMES), pick(rng, GIVEN_NAMES));
    let mut name = String::with_capacity(family.len() + given.len());
    name.push_str(family);
    name.push_str(given);
    name
}

fn push_digits(out: &mut String, rng: &mut StdRng, n: usize) {
    for i in 0..n {
        out.push(char::from(b'0' + rng.gen_range(if i == 0 { 1 } else { 0 }..10)));
    }
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    let mut out = String::with_capacity(n);
    push_digits(&mut out, rng, n);
    out
}

/// Whether the value is about an IRP account (IRP-001..004): a pension's products and transactions.
fn is_irp(ctx: &Context) -> bool {
    ctx.api.about_list(ctx.industry).is_some_and(|list| list.is(KnownApi::IrpAccounts))
}

/// A product or item name that fits the industry and API.
fn product_name(ctx: &Context, rng: &mut StdRng) -> &'static str {
    let list = match ctx.industry {
        _ if is_irp(ctx) => IRP_PRODUCTS,
        Industry::Bank => DEPOSIT_PRODUCTS,
        Industry::Invest => INVEST_PRODUCTS,
        Industry::Insu if ctx.api.is(KnownApi::InsuranceLoans) => INSURANCE_LOAN_PRODUCTS,
        Industry::Insu => INSURANCE_PRODUCTS,
        Industry::Ginsu => GUARANTEE_PRODUCTS,
        Industry::Capital => CAPITAL_PRODUCTS,
        _ => LOAN_PRODUCTS,
    };
    pick(rng, list)
}

/// Splits `F(18,3)` into (18, 3); `N(15)` into (15, 0).
fn precision(spec: &str) -> (u32, u32) {
    let inner = spec.split_once('(').map(|(_, r)| r.trim_end_matches(')')).unwrap_or("");
    let mut nums = inner.split(',').filter_map(|n| n.trim().parse().ok());
    (nums.next().unwrap_or(15), nums.next().unwrap_or(0))
}

/// A whole amount of won in a range that suits the field.
fn amount(range: Amounts, rng: &mut StdRng) -> i64 {
    let thousands = rng.gen_range(range.low..=range.high);
    if range.plain { thousands } else { thousands * 1_000 + rng.gen_range(0..10) * 100 }
}

fn date_around(ctx: &Context, when: When, rng: &mut StdRng) -> NaiveDate {
    if let Some(at) = ctx.at {
        return at.date();
    }
    match when {
        When::Ahead => ctx.today + Days::new(rng.gen_range(20..2_000)),
        When::Recent => ctx.today - Days::new(rng.gen_range(0..4)),
        When::Past => ctx.today - Days::new(rng.gen_range(400..3_000)),
    }
}

/// `YYYYMMDD` (what `%Y%m%d` prints for years 1000..=9999, without parsing a format each time).
pub fn date_text(day: NaiveDate) -> String {
    let mut out = String::with_capacity(14);
    push_date(&mut out, day);
    out
}

/// The day a `YYYYMMDD…` text begins with (a DATE, or a DTIME's day).
pub(crate) fn date_of(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..8)?, "%Y%m%d").ok()
}

fn push_number(out: &mut String, n: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut n = n;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.push_str(std::str::from_utf8(&buf[..width]).unwrap_or_default());
}

fn push_date(out: &mut String, day: NaiveDate) {
    push_number(out, day.year().max(0) as u32, 4);
    push_number(out, day.month(), 2);
    push_number(out, day.day(), 2);
}

/// `YYYYMMDDhhmmss` (DTIME).
pub fn dtime_text(at: NaiveDateTime) -> String {
    let mut out = String::with_capacity(14);
    push_date(&mut out, at.date());
    push_number(&mut out, at.hour(), 2);
    push_number(&mut out, at.minute(), 2);
    push_number(&mut out, at.second(), 2);
    out
}

/// `YYYYMM`.
pub fn month_text(day: NaiveDate) -> String {
    let mut out = String::with_capacity(6);
    push_number(&mut out, day.year().max(0) as u32, 4);
    push_number(&mut out, day.month(), 2);
    out
}

/// A candidate value by field name; `None` falls back to the type's generic value.
fn by_name(ctx: &Context, field: &Field, plan: &Plan, rng: &mut StdRng) -> Option<String> {
    if !plan.note_codes.is_empty() {
        return Some(plan.note_codes.choose(rng)?.clone());
    }
    if let Some(list) = plan.attachment.then(|| attachment_codes(ctx, &field.name)).flatten() {
        return Some(pick(rng, list).to_owned());
    }
    if let Some(code) = plan.table_codes.choose(rng) {
        return Some(code.clone());
    }
    Some(match plan.named {
        Named::Digits(n) => digits(rng, n),
        Named::AccountId => {
            let mut out = String::with_capacity(14);
            push_digits(&mut out, rng, 3);
            out.push('-');
            push_digits(&mut out, rng, 3);
            out.push('-');
            push_digits(&mut out, rng, 6);
            out
        }
        Named::CardNum => {
            let mut out = String::with_capacity(19);
            push_digits(&mut out, rng, 4);
            out.push('-');
            push_digits(&mut out, rng, 2);
            out.push_str("**-****-");
            push_digits(&mut out, rng, 4);
            out
        }
        Named::Pick(list) => pick(rng, list).to_owned(),
        Named::Product => product_name(ctx, rng).to_owned(),
        Named::Person => person(rng),
        Named::Merchant if ctx.api.is(KnownApi::CardOverseasApprovals) => pick(rng, OVERSEAS_MERCHANTS).to_owned(),
        Named::Merchant => pick(rng, MERCHANTS).to_owned(),
        Named::CarNumber => {
            let mut out = rng.gen_range(10..99).to_string();
            out.push('가');
            push_digits(&mut out, rng, 4);
            out
        }
        Named::Fixed(text) => text.to_owned(),
        Named::Telecom => {
            let mut out = String::from("010-");
            push_digits(&mut out, rng, 4);
            out.push('-');
            push_digits(&mut out, rng, 4);
            out
        }
        Named::Day => {
            let mut out = String::with_capacity(2);
            push_number(&mut out, rng.gen_range(1..=28), 2);
            out
        }
        Named::Nothing => return None,
    })
}

fn korean_text(max_bytes: usize, rng: &mut StdRng) -> String {
    let word = pick(rng, MEMOS);
    if word.len() <= max_bytes { word.to_owned() } else { "가".repeat(max_bytes / 3) }
}

fn alnum(rng: &mut StdRng, n: usize, upper_only: bool) -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    const MIXED: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    let set = if upper_only { UPPER } else { MIXED };
    (0..n).map(|_| char::from(set[rng.gen_range(0..set.len())])).collect()
}

/// A value of the field's type when the name says nothing more specific.
fn by_type(ctx: &Context, plan: &Plan, rng: &mut StdRng) -> String {
    match plan.generic {
        Generic::Date(when) => date_text(date_around(ctx, when, rng)),
        Generic::DTime(when) => match ctx.at {
            Some(at) => dtime_text(at),
            None => {
                let mut out = date_text(date_around(ctx, when, rng));
                out.push_str("093000");
                out
            }
        },
        Generic::Boolean => rng.gen_bool(0.5).to_string(),
        Generic::Month => month_text(ctx.at.map(|a| a.date()).unwrap_or(ctx.today)),
        Generic::Whole(range) => amount(range, rng).to_string(),
        Generic::Rate { scale } => {
            format!("{}.{:0width$}", rng.gen_range(1..9), rng.gen_range(0..10u32.pow(scale)), width = scale as usize)
        }
        Generic::Korean(max_bytes) => korean_text(max_bytes, rng),
        Generic::Capitals { len, letters_only } => {
            let text = alnum(rng, len, true);
            if letters_only { text.chars().filter(|c| c.is_ascii_alphabetic()).collect() } else { text }
        }
        Generic::Mixed(len) => alnum(rng, len, false),
    }
}

/// A value for `field` that satisfies its type, or `None` to leave an optional field out.
pub fn value(ctx: &Context, field: &Field, rng: &mut StdRng) -> Option<String> {
    // 회차 (은행, 할부금융 seqno) must not be returned where the account number alone is the key
    // (은행-001 rules), as it is for every generated account; card bills' and payments' 결제순번 is
    // given by the ledger, which knows the customer's payment sequences.
    if field.name == "seqno" && !field.required {
        return None;
    }
    if !field.required && rng.gen_bool(0.1) {
        return None;
    }
    made_value(ctx, field, rng)
}

/// A value for `field` that satisfies its type; `None` only for an optional field no value of its
/// plan satisfies.
fn made_value(ctx: &Context, field: &Field, rng: &mut StdRng) -> Option<String> {
    let made;
    let plan = match PLANS.get(&field_id(field)) {
        Some(plan) => plan,
        None => {
            made = plan_of(field);
            &made
        }
    };
    let candidate = by_name(ctx, field, plan, rng).filter(|v| plan.rule.accepts(v));
    let value = candidate.unwrap_or_else(|| by_type(ctx, plan, rng));
    plan.rule.accepts(&value).then_some(value).or_else(|| field.required.then(|| "0".to_owned()))
}

/// An object of `fields` with lists of 1–3 items, each `X_cnt` equal to its `X_list`'s length, and
/// the fields whose presence hangs on a sibling's code (`Field::conditions`) present as they say.
pub fn object<'f>(
    ctx: &Context,
    fields: impl IntoIterator<Item = &'f Field, IntoIter: Clone>,
    rng: &mut StdRng,
) -> Map<String, Value> {
    let fields = fields.into_iter();
    let mut map = Map::with_capacity(fields.size_hint().0);
    for field in fields.clone() {
        if field.is_list() {
            let items: Vec<Value> =
                (0..rng.gen_range(1..=3)).map(|_| Value::Object(object(ctx, &field.children, rng))).collect();
            map.insert(field.name.clone(), Value::Array(items));
        } else if let Some(v) = value(ctx, field, rng) {
            map.insert(field.name.clone(), Value::String(v));
        }
    }
    hold_to_conditions(ctx, fields.clone(), &mut map, rng);
    name_codes(fields, &mut map);
    mydata_spec::counts::set_counts(&mut map);
    map
}

/// Leaves out of `map` the fields of `fields` whose conditions (`Field::conditions`) withhold them
/// there, and makes those they demand: after a sibling they hang on was given or changed.
pub fn hold_to_conditions<'f>(
    ctx: &Context,
    fields: impl Iterator<Item = &'f Field>,
    map: &mut Map<String, Value>,
    rng: &mut StdRng,
) {
    for field in fields.filter(|field| !field.conditions.is_empty()) {
        if field.withheld(map) {
            map.remove(&field.name);
        } else if field.demanded(map)
            && !map.contains_key(&field.name)
            && let Some(v) = made_value(ctx, field, rng)
        {
            map.insert(field.name.clone(), Value::String(v));
        }
    }
}

/// Gives an `X_name` beside an `X_code` of an attachment's table the name the table gives the code
/// (보험-012's coverage_name for its coverage_code): an insurer names a coverage as it codes it.
fn name_codes<'f>(fields: impl Iterator<Item = &'f Field> + Clone, map: &mut Map<String, Value>) {
    for code_field in fields.clone() {
        let Some(stem) = code_field.name.strip_suffix("_code") else { continue };
        let Some(name_field) = fields.clone().find(|f| f.name.strip_suffix("_name") == Some(stem)) else { continue };
        let Some(Value::String(code)) = map.get(&code_field.name) else { continue };
        let named = mydata_spec::attachments::code_name(code_field, code);
        if let Some(name) = named.filter(|_| map.contains_key(&name_field.name)) {
            map.insert(name_field.name.clone(), Value::String(name.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compiled type rules must judge exactly like the standard's validator, which the data
    /// is promised to pass: every type of the field data, against awkward texts and generated ones.
    #[test]
    fn compiled_rules_agree_with_the_validator() {
        use mydata_spec::validate::check_value;
        use rand::SeedableRng;
        let awkward = [
            "",
            "-",
            "0",
            "-12",
            "1.",
            "1.5",
            "12.345",
            "1.2345",
            "0001",
            "abc",
            "ABC",
            "aB3",
            "A B",
            "가나다",
            "true",
            "false",
            "True",
            "20261125",
            "20260230",
            "2026112",
            "202611250930",
            "20261125093000",
            "20261125240000",
            "20261125093060",
            "+/=-_",
            "1-2",
            "999999999999999999",
            "1234567890123456789012",
        ];
        let mut rng = StdRng::seed_from_u64(7);
        let mut checked = 0;
        for api in mydata_spec::fields::all_fields() {
            let spec = mydata_spec::catalogue::api(&api.id).expect("every transcribed API is in the catalogue");
            let ctx = Context { industry: Industry::Bank, api: spec, today: NaiveDate::MIN, at: None };
            let mut stack: Vec<&Field> = api.response.iter().collect();
            while let Some(field) = stack.pop() {
                stack.extend(field.children.iter());
                let rule = Rule::of(&field.type_spec);
                let generated: Vec<String> =
                    (0..20).filter_map(|_| by_name(&ctx, field, &plan_of(field), &mut rng)).collect();
                for text in awkward.iter().map(|t| (*t).to_owned()).chain(generated) {
                    let expected = check_value(&field.type_spec, &text).is_ok();
                    assert_eq!(rule.accepts(&text), expected, "{} {:?} {text:?}", field.name, field.type_spec);
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000);
    }
}
