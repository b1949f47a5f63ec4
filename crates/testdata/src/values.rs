//! One realistic value per field of the standard's response tables: code values from the field's
//! code list (the note's `Codes:` or 첨부3..16), Korean text within AH byte lengths, exact decimal
//! amounts, DATE/DTIME in range. Every value is checked against its type before it is used, so the
//! data always passes `spec::validate::check_response`.

use crate::names::*;
use chrono::{Days, NaiveDate, NaiveDateTime};
use mydata_spec::Industry;
use mydata_spec::fields::Field;
use mydata_spec::validate::check_value;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

/// What the value is about, so that names and codes fit the asset.
pub struct Context<'a> {
    pub industry: Industry,
    pub api_id: &'a str,
    pub today: NaiveDate,
    /// When the generated row happened (history rows), for its DTIME/DATE fields.
    pub at: Option<NaiveDateTime>,
}

/// Code values listed in a field's note (`Codes: 01: 신용, 02: 체크`).
pub fn note_codes(note: &str) -> Vec<String> {
    let Some((_, list)) = note.split_once("Codes:").or_else(|| note.split_once("Code:")) else { return Vec::new() };
    list.split([',', ';'])
        .filter_map(|piece| {
            let (code, _) = piece.trim().split_once(':')?;
            let code = code.trim().trim_matches('\'');
            (!code.is_empty() && code.len() <= 4 && code.chars().all(|c| c.is_ascii_alphanumeric()))
                .then(|| code.to_owned())
        })
        .collect()
}

/// A field's identity: its address in the field data, which is loaded once and never moves.
fn field_id(field: &Field) -> usize {
    std::ptr::from_ref(field) as usize
}

/// The note code lists of every field of every API, read once (notes are long; values are many).
static NOTE_CODES: LazyLock<HashMap<usize, Vec<String>>> = LazyLock::new(|| {
    fn walk(fields: &'static [Field], out: &mut HashMap<usize, Vec<String>>) {
        for field in fields {
            let codes = note_codes(&field.note);
            if !codes.is_empty() {
                out.insert(field_id(field), codes);
            }
            walk(&field.children, out);
        }
    }
    let mut out = HashMap::new();
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
        ("insu_type", _) => &["01", "03", "05", "07", "10", "16", "17"],
        ("car_insu_type", _) => &["02", "11", "12"],
        ("prod_type", Industry::Invest) => &["401", "402", "403", "413", "418"],
        ("trans_type", Industry::Invest) => &["301", "302", "341", "342"],
        ("trans_type", Industry::Efin) if ctx.api_id == "전금-103" => &["6101", "6102", "6103", "6201"],
        ("trans_type", Industry::Efin | Industry::Bank | Industry::Card) if ctx.api_id != "IRP-004" => {
            &["5101", "5102", "5201", "5501", "5502"]
        }
        ("trans_category", _) => &["A1", "B1", "C1", "G1", "K1", "L1", "Z1"],
        ("card_brand", _) => &["I01", "I02", "D02", "D08"],
        ("currency_code", _) => &["KRW"],
        ("country_code", _) => &["US", "JP", "GB"],
        ("ex_code", _) => &["KRX", "NYS", "NAS"],
        ("pay_method", _) => &["01", "02", "04"],
        ("subject", _) => &["1", "2"],
        _ => return None,
    })
}

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

fn person(rng: &mut StdRng) -> String {
    format!("{}{}", pick(rng, FAMILY_NAMES), pick(rng, GIVEN_NAMES))
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|i| char::from(b'0' + rng.gen_range(if i == 0 { 1 } else { 0 }..10))).collect()
}

/// A product or item name that fits the industry and API.
fn product_name(ctx: &Context, rng: &mut StdRng) -> &'static str {
    let list = match (ctx.industry, ctx.api_id) {
        (_, id) if id.starts_with("IRP") => IRP_PRODUCTS,
        (Industry::Bank, _) => DEPOSIT_PRODUCTS,
        (Industry::Invest, _) => INVEST_PRODUCTS,
        (Industry::Insu, "보험-008") => LOAN_PRODUCTS,
        (Industry::Insu, _) => INSURANCE_PRODUCTS,
        (Industry::Ginsu, _) => GUARANTEE_PRODUCTS,
        (Industry::Capital, _) => CAPITAL_PRODUCTS,
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
fn amount(name: &str, rng: &mut StdRng) -> i64 {
    let (low, high) = match name {
        n if n.contains("rate") => (1, 20),
        n if n.contains("point") => (0, 80_000),
        n if n.contains("fee") => (0, 30_000),
        n if n.starts_with("limit") => (1, 200),
        n if n.contains("num") || n.contains("cnt") => (1, 300),
        n if n.contains("face") || n.contains("principal") || n.contains("loan") || n.contains("lending") => {
            (1_000, 30_000)
        }
        _ => (1, 2_000),
    };
    let thousands = rng.gen_range(low..=high);
    if name.contains("rate") || name.contains("cnt") || name.contains("num") || name.starts_with("limit") {
        thousands
    } else {
        thousands * 1_000 + rng.gen_range(0..10) * 100
    }
}

fn date_around(ctx: &Context, name: &str, rng: &mut StdRng) -> NaiveDate {
    if let Some(at) = ctx.at {
        return at.date();
    }
    let future = name.starts_with("exp") || name.contains("end") || name.contains("due") || name.starts_with("next");
    if future {
        ctx.today + Days::new(rng.gen_range(20..2_000))
    } else {
        ctx.today - Days::new(rng.gen_range(400..3_000))
    }
}

/// A candidate value by field name; `None` falls back to the type's generic value.
fn by_name(ctx: &Context, field: &Field, rng: &mut StdRng) -> Option<String> {
    let name = field.name.as_str();
    if let Some(codes) = NOTE_CODES.get(&field_id(field)) {
        return Some(codes.choose(rng)?.clone());
    }
    if let Some(list) = attachment_codes(ctx, name) {
        return Some(pick(rng, list).to_owned());
    }
    Some(match name {
        "account_num" | "repay_account_num" | "charge_account_num" => digits(rng, 13),
        "account_id" => format!("{}-{}-{}", digits(rng, 3), digits(rng, 3), digits(rng, 6)),
        "card_num" => format!("{}-{}**-****-{}", digits(rng, 4), digits(rng, 2), digits(rng, 4)),
        "card_name" => pick(rng, CARD_NAMES).to_owned(),
        "prod_name" | "account_name" => product_name(ctx, rng).to_owned(),
        "loan_name" => pick(rng, LOAN_PRODUCTS).to_owned(),
        "pp_name" | "fob_name" => pick(rng, PREPAID_NAMES).to_owned(),
        "irp_name" => pick(rng, INVEST_PRODUCTS).to_owned(),
        "insured_name" => person(rng),
        "merchant_name" if ctx.api_id == "카드-009" => pick(rng, OVERSEAS_MERCHANTS).to_owned(),
        "merchant_name" => pick(rng, MERCHANTS).to_owned(),
        "merchant_regno" => digits(rng, 10),
        "trans_memo" => pick(rng, MEMOS).to_owned(),
        "trans_class" => pick(rng, &["입금", "출금"]).to_owned(),
        "point_name" => pick(rng, POINT_NAMES).to_owned(),
        "car_name" => pick(rng, CAR_NAMES).to_owned(),
        "car_number" => format!("{}가{}", rng.gen_range(10..99), digits(rng, 4)),
        "contract_name" | "coverage_name" => pick(rng, COVERAGES).to_owned(),
        "contract_age" => "만 26세 이상".to_owned(),
        "contract_driver" => "부부한정".to_owned(),
        "trans_title" => pick(rng, PAY_TITLES).to_owned(),
        "telecom_num" => format!("010-{}-{}", digits(rng, 4), digits(rng, 4)),
        "purpose" => "자산관리 서비스 제공".to_owned(),
        n if n.ends_with("org_code") => pick(rng, &["A1HB0001", "B2MD0002", "C3SJ0003"]).to_owned(),
        n if n.ends_with("_day") || n == "repay_date" || n == "pay_date" => format!("{:02}", rng.gen_range(1..=28)),
        _ => return None,
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
fn by_type(ctx: &Context, field: &Field, rng: &mut StdRng) -> String {
    let spec = field.type_spec.split('|').next().unwrap_or("");
    let kind = spec.split('(').next().unwrap_or("");
    let (len, scale) = precision(spec);
    let len = len as usize;
    match kind {
        "DATE" => date_around(ctx, &field.name, rng).format("%Y%m%d").to_string(),
        "DTIME" => match ctx.at {
            Some(at) => at.format("%Y%m%d%H%M%S").to_string(),
            None => format!("{}{:02}{:02}00", date_around(ctx, &field.name, rng).format("%Y%m%d"), 9, 30),
        },
        "Boolean" => rng.gen_bool(0.5).to_string(),
        "N" if field.name.ends_with("month") => {
            (ctx.at.map(|a| a.date()).unwrap_or(ctx.today)).format("%Y%m").to_string()
        }
        "N" => amount(&field.name, rng).to_string(),
        "F" if scale > 0 && field.name.contains("rate") => {
            format!("{}.{:0width$}", rng.gen_range(1..9), rng.gen_range(0..10u32.pow(scale)), width = scale as usize)
        }
        "F" => amount(&field.name, rng).to_string(),
        "AH" => korean_text(len.min(90), rng),
        "AN" | "A" => {
            alnum(rng, len.min(8), true).chars().filter(|c| kind == "AN" || c.is_ascii_alphabetic()).collect()
        }
        _ => alnum(rng, len.min(12), false),
    }
}

/// A value for `field` that satisfies its type, or `None` to leave an optional field out.
pub fn value(ctx: &Context, field: &Field, rng: &mut StdRng) -> Option<String> {
    // Generated accounts have no 회차 and bills no 결제순번: a seqno would have to be sent back by
    // callers (은행-001 rules) and name answers of its own.
    if field.name == "seqno" && !field.required {
        return None;
    }
    if !field.required && rng.gen_bool(0.1) {
        return None;
    }
    let candidate = by_name(ctx, field, rng).filter(|v| check_value(&field.type_spec, v).is_ok());
    let value = candidate.unwrap_or_else(|| by_type(ctx, field, rng));
    check_value(&field.type_spec, &value).is_ok().then_some(value).or_else(|| field.required.then(|| "0".to_owned()))
}

/// An object of `fields` with lists of 1–3 items and each `X_cnt` equal to its `X_list`'s length.
pub fn object(ctx: &Context, fields: &[&Field], rng: &mut StdRng) -> Map<String, Value> {
    let mut map = Map::new();
    for field in fields {
        if field.type_spec == "Object" {
            let children: Vec<&Field> = field.children.iter().collect();
            let items: Vec<Value> =
                (0..rng.gen_range(1..=3)).map(|_| Value::Object(object(ctx, &children, rng))).collect();
            map.insert(field.name.clone(), Value::Array(items));
        } else if let Some(v) = value(ctx, field, rng) {
            map.insert(field.name.clone(), Value::String(v));
        }
    }
    fix_counts(&mut map);
    map
}

/// Sets every `X_cnt` to the length of its list (`X_list`, or the one list when names differ).
pub fn fix_counts(map: &mut Map<String, Value>) {
    let lists: Vec<(String, usize)> =
        map.iter().filter_map(|(k, v)| v.as_array().map(|a| (k.clone(), a.len()))).collect();
    let counts: Vec<String> = map.keys().filter(|k| k.ends_with("_cnt")).cloned().collect();
    for count in counts {
        let prefix = count.trim_end_matches("_cnt");
        let matching = lists.iter().find(|(l, _)| l.trim_end_matches("_list") == prefix);
        let only = (lists.len() == 1).then(|| &lists[0]);
        if let Some((_, len)) = matching.or(only) {
            map.insert(count, Value::String(len.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_notes() {
        assert_eq!(note_codes("Kind of card. Codes: 01: 신용, 02: 체크(직불포함), 03: 소액."), ["01", "02", "03"]);
        assert_eq!(note_codes("Cycle. Codes: 1M: 매월, 3M: 3개월"), ["1M", "3M"]);
        assert!(note_codes("No list here").is_empty());
    }
}
