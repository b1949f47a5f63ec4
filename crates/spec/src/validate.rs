//! Checks a value against its 첨부2 type and length as the field data writes it (`aN(20)`,
//! `F(18,3)`, `DATE`, `DTIME|DATE`, …), and a whole request against an API's request fields.

use crate::fields::{Field, Location};
use crate::types::{Amount, BusinessNumber, DTime, Date, Month, SearchTimestamp};
use std::collections::HashMap;

/// One value that broke its field's rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct Violation {
    pub field: String,
    pub problem: String,
    pub rule: Rule,
}

/// Which of a table's rules a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Its 첨부2 type and length, or the format its type stands for (a month, a business number).
    Type,
    /// Whether it is sent: required, or tied to a sibling's code.
    Presence,
    /// A list's count that is not its length.
    Count,
    /// A code its note or attachment does not list.
    Code,
    /// The body's shape: an object, a list, a string where the table wants one, no member it does not name.
    Shape,
}

fn violation(field: &str, rule: Rule, problem: impl Into<String>) -> Violation {
    Violation { field: field.to_owned(), problem: problem.into(), rule }
}

/// The numbers of a type: 20 in `aN(20)`, 18 and 3 in `F(18,3)` (no type of 첨부2 has more).
#[derive(Default)]
struct TypeArgs {
    given: [u32; 2],
    len: usize,
}

impl TypeArgs {
    fn first(&self) -> Option<u32> {
        self.as_slice().first().copied()
    }

    fn as_slice(&self) -> &[u32] {
        &self.given[..self.len]
    }
}

/// Splits `aN(20)` into (`aN`, [20]) and `F(18,3)` into (`F`, [18, 3]), without allocating: every
/// value an import checks goes through here.
fn parse_type(spec: &str) -> (&str, TypeArgs) {
    let mut args = TypeArgs::default();
    let Some((kind, rest)) = spec.split_once('(') else { return (spec, args) };
    for n in rest.trim_end_matches(')').split(',').filter_map(|n| n.trim().parse().ok()) {
        if let Some(slot) = args.given.get_mut(args.len) {
            *slot = n;
            args.len += 1;
        }
    }
    (kind, args)
}

fn check_one(kind: &str, args: &[u32], value: &str) -> Result<(), String> {
    let max = args.first().copied().unwrap_or(u32::MAX) as usize;
    let chars = value.chars().count();
    let within = |len: usize| if len <= max { Ok(()) } else { Err(format!("longer than {max}")) };
    let all = |ok: fn(char) -> bool, what: &str| {
        if value.chars().all(ok) { Ok(()) } else { Err(format!("must be {what}")) }
    };
    match kind {
        "N" => {
            let digits = value.strip_prefix('-').unwrap_or(value);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err("must be a whole number".into());
            }
            within(digits.len())
        }
        "F" => {
            let (precision, scale) = (args.first().copied().unwrap_or(18), args.get(1).copied().unwrap_or(0));
            Amount::parse(value, precision, scale)
                .map(|_| ())
                .map_err(|_| format!("must be a decimal F({precision},{scale})"))
        }
        "AN" => all(|c| c.is_ascii_uppercase() || c.is_ascii_digit(), "capital letters and digits").and(within(chars)),
        "aN" => all(|c| c.is_ascii_alphanumeric(), "letters and digits").and(within(chars)),
        "A" => all(|c| c.is_ascii_uppercase(), "capital letters").and(within(chars)),
        "a" => all(|c| c.is_ascii_lowercase(), "small letters").and(within(chars)),
        "aNS" => all(|c| c.is_ascii_graphic() || c == ' ', "printable ASCII").and(within(chars)),
        "NS" => all(|c| c.is_ascii_digit() || (c.is_ascii_punctuation()), "digits and symbols").and(within(chars)),
        // AH lengths are bytes of UTF-8 (a Hangul syllable is 3).
        "AH" => within(value.len()),
        "B64" => all(|c| c.is_ascii_alphanumeric() || "+/=-_".contains(c), "Base64").and(within(chars)),
        "DATE" => value.parse::<Date>().map(|_| ()).map_err(|e| e.to_string()),
        "DTIME" => value.parse::<DTime>().map(|_| ()).map_err(|e| e.to_string()),
        "Boolean" => match value {
            "true" | "false" => Ok(()),
            _ => Err("must be true or false".into()),
        },
        _ => Ok(()),
    }
}

/// Checks one value against a type like `aN(20)` or `DTIME|DATE` (any alternative may match).
pub fn check_value(type_spec: &str, value: &str) -> Result<(), String> {
    let mut first_error = None;
    for alternative in type_spec.split('|') {
        let (kind, args) = parse_type(alternative);
        match check_one(kind, args.as_slice(), value) {
            Ok(()) => return Ok(()),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| "invalid".into()))
}

/// The largest whole number a JSON body may send for a value (below 2^63, and exact in a double).
const MOST_WHOLE: i64 = 8_999_999_999_999_999_999;

/// The whole numbers a JSON request body may send for `field` instead of its string, `None` where a
/// number is refused. 첨부2 sends every value as a string; clients also send numbers, and a whole
/// number is taken wherever every whole number of the range, written out, is a value of the field's
/// type: digits for N, aN and AN, with a minus sign for N and the types that take symbols. Not for
/// dates or months (202413 is a number but no month), nor for letters only; `search_timestamp` only
/// as 0.
pub fn whole_number_range(field: &Field) -> Option<(i64, i64)> {
    if field.name == crate::paging::Limit::FIELD {
        return Some((1, crate::paging::MAX_LIMIT.into()));
    }
    // 0 asks for everything; any other is a date and time, sent as the string the server answered.
    if field.name == SearchTimestamp::FIELD {
        return Some((0, 0));
    }
    if field.is_month() {
        return None;
    }
    let (kind, args) = parse_type(&field.type_spec);
    let most = |digits: u32| if digits >= 19 { MOST_WHOLE } else { 10i64.pow(digits) - 1 };
    let n = args.first()?;
    match kind {
        "N" => Some((-most(n), most(n))),
        "aN" | "AN" => Some((0, most(n))),
        // The minus sign takes one of the n characters.
        "aNS" | "NS" | "B64" | "AH" => Some((-most(n.saturating_sub(1)), most(n))),
        _ => None,
    }
}

/// The whole number `n` is, within what a body may send.
fn whole_number(n: &serde_json::Number) -> Option<i64> {
    let whole = n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18).map(|f| f as i64));
    whole.filter(|w| w.abs() <= MOST_WHOLE)
}

/// A JSON body member of `field` as the text its rules judge: a string as it is, a whole number
/// within [`whole_number_range`] as its digits.
pub fn body_text(field: &Field, value: &serde_json::Value) -> Result<String, Violation> {
    match value {
        serde_json::Value::String(text) => Ok(text.clone()),
        // JSON does not tell 60 from 60.0: both are the whole number 60.
        serde_json::Value::Number(n) => match (whole_number_range(field), whole_number(n)) {
            (Some((min, max)), Some(n)) if (min..=max).contains(&n) => Ok(n.to_string()),
            (Some(_), _) => Err(violation(&field.name, Rule::Type, "must be a whole number of its type N")),
            (None, _) => Err(violation(&field.name, Rule::Type, "must be a string (첨부2)")),
        },
        _ => Err(violation(&field.name, Rule::Type, "must be a string (첨부2)")),
    }
}

/// Checks the query or body parameters of a request (`params`, already as strings) against the
/// fields of `location`. Unknown parameters are ignored, as clients of later versions may send more.
pub fn check_params(fields: &[Field], location: Location, params: &HashMap<String, String>) -> Vec<Violation> {
    let mut violations = Vec::new();
    for field in fields.iter().filter(|f| f.location == location && !f.is_list()) {
        match params.get(&field.name) {
            None if field.required => violations.push(violation(&field.name, Rule::Presence, "is required")),
            None => {}
            Some(value) => {
                if let Err(problem) = check_value(&field.type_spec, value) {
                    violations.push(violation(&field.name, Rule::Type, problem));
                } else if field.is_month()
                    && let Err(problem) = value.parse::<Month>()
                {
                    violations.push(violation(&field.name, Rule::Type, problem.to_string()));
                } else if field.name == SearchTimestamp::FIELD
                    && let Err(problem) = value.parse::<SearchTimestamp>()
                {
                    violations.push(violation(&field.name, Rule::Type, problem.to_string()));
                }
            }
        }
    }
    violations
}

/// Checks a success response body (as sent: every value a string, 첨부2) against the API's response
/// fields: every required field present, every present field of its type and length, and a field
/// whose presence hangs on a sibling's code ([`crate::fields::Condition`]s) sent as that code says,
/// every list's count its length ([`crate::counts`]), recursively into each item of a list. Paths
/// name the item, e.g. `trans_list[3].trans_amt`. Codes are [`code_violations`]'s.
///
/// Headers are not part of the body and are not checked here. `next_page`/`search_timestamp` are
/// optional in every table, so their absence is never a violation.
pub fn check_response(api: &crate::ApiSpec, body: &serde_json::Value) -> Vec<Violation> {
    let mut violations = Vec::new();
    let fields: Vec<&Field> = api.fields().response_body().collect();
    check_object(&fields, body, "", &mut violations);
    violations
}

/// Every value of a response body outside its field's codes, where its note or the attachment it
/// cites lists them ([`field_codes`]), recursively into each item of a list.
pub fn code_violations(api: &crate::ApiSpec, body: &serde_json::Value) -> Vec<Violation> {
    fn walk(
        fields: impl Iterator<Item = &'static Field>,
        value: &serde_json::Value,
        path: &str,
        out: &mut Vec<Violation>,
    ) {
        for field in fields {
            let here = member_path(path, &field.name);
            match value.get(&field.name) {
                Some(serde_json::Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(field.children.iter(), item, &format!("{here}[{i}]"), out);
                    }
                }
                Some(serde_json::Value::String(code)) => {
                    if let Some(problem) = unlisted_code(field, code) {
                        out.push(violation(&here, Rule::Code, problem));
                    }
                }
                _ => {}
            }
        }
    }
    let mut violations = Vec::new();
    walk(api.fields().response_body(), body, "", &mut violations);
    violations
}

fn check_object(fields: &[&Field], value: &serde_json::Value, path: &str, out: &mut Vec<Violation>) {
    use serde_json::Value;
    let Value::Object(map) = value else {
        out.push(violation(path, Rule::Shape, "must be a JSON object"));
        return;
    };
    for field in fields {
        let here = member_path(path, &field.name);
        if let Some(problem) = field.condition_problem(map.contains_key(&field.name), map) {
            out.push(violation(&here, Rule::Presence, problem));
        }
        match (map.get(&field.name), field.type_spec.as_str()) {
            (None, _) if field.required => out.push(violation(&here, Rule::Presence, "is required")),
            (None, _) => {}
            (Some(Value::Array(items)), "Object") => {
                if let Some((count, problem)) = miscounted(field, items, map) {
                    out.push(violation(&member_path(path, &count), Rule::Count, problem));
                }
                let children: Vec<&Field> = field.children.iter().collect();
                for (i, item) in items.iter().enumerate() {
                    check_object(&children, item, &format!("{here}[{i}]"), out);
                }
            }
            (Some(_), "Object") => out.push(violation(&here, Rule::Shape, "must be a list")),
            // 지원-002's org_regno is written with its dashes, whatever its aN(12) says (types.rs).
            (Some(Value::String(text)), _) if field.name == BusinessNumber::FIELD => {
                if let Err(problem) = BusinessNumber::check(text) {
                    out.push(violation(&here, Rule::Type, problem.to_string()));
                }
            }
            (Some(Value::String(text)), spec) => {
                if let Err(problem) = check_value(spec, text) {
                    out.push(violation(&here, Rule::Type, format!("{problem} (type {spec}, got {text:?})")));
                }
            }
            (Some(other), _) => {
                out.push(violation(&here, Rule::Shape, format!("must be sent as a string (첨부2), got {other}")))
            }
        }
    }
}

/// The path of member `name` of the object at `path` (`trans_list[3]` + `trans_amt`).
fn member_path(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

/// The count beside the list `list` of `items` in `map` and what is wrong with it, if it does not
/// say the list's length ([`crate::counts`]).
fn miscounted(
    list: &Field,
    items: &[serde_json::Value],
    map: &serde_json::Map<String, serde_json::Value>,
) -> Option<(String, String)> {
    let count = crate::counts::count_of(&list.name)?;
    let problem = crate::counts::miscount(map.get(&count)?, &list.name, items.len())?;
    Some((count, problem))
}

/// The fields of a response body its API's table does not name, recursively into every list item,
/// and every value sent other than as a string (첨부2): an answer carries exactly the table's fields.
/// Paths name the item, e.g. `insured_list[0].insured_no`.
pub fn unnamed_fields(api: &crate::ApiSpec, body: &serde_json::Value) -> Vec<Violation> {
    let mut violations = Vec::new();
    let fields: Vec<&Field> = api.fields().response_body().collect();
    find_unnamed(&fields, body, "", &mut violations);
    violations
}

fn find_unnamed(fields: &[&Field], value: &serde_json::Value, path: &str, out: &mut Vec<Violation>) {
    use serde_json::Value;
    let Value::Object(map) = value else {
        out.push(violation(path, Rule::Shape, "must be a JSON object"));
        return;
    };
    for (name, value) in map {
        let here = member_path(path, name);
        match (fields.iter().find(|f| &f.name == name), value) {
            (None, _) => out.push(violation(&here, Rule::Shape, "is not a field of the table")),
            (Some(list), Value::Array(items)) if list.is_list() => {
                let children: Vec<&Field> = list.children.iter().collect();
                for (i, item) in items.iter().enumerate() {
                    find_unnamed(&children, item, &format!("{here}[{i}]"), out);
                }
            }
            (Some(_), Value::String(_)) => {}
            (Some(_), other) => {
                out.push(violation(&here, Rule::Shape, format!("must be sent as a string (첨부2), got {other}")))
            }
        }
    }
}

/// Code values listed in a field's note (`Codes: 01: 신용, 02: 체크`), or listed after the note's
/// label from the first code `01` on (`Payment term type: 01: 일시납, 02: 분납`).
pub fn note_codes(note: &str) -> Vec<String> {
    note_code_names(note).into_iter().map(|(code, _)| code).collect()
}

/// The codes a field's note lists ([`note_codes`]), each with the name the note gives it
/// (`("02", "체크(직불포함)")`), for people reading the values.
pub fn note_code_names(note: &str) -> Vec<(String, String)> {
    let labelled = note.split_once("Codes:").or_else(|| note.split_once("Code:")).map(|(_, list)| list);
    let first = note.find("01: ").or_else(|| note.find("'01': "));
    let Some(list) = labelled.or_else(|| first.map(|at| &note[at..])) else { return Vec::new() };
    list.split([',', ';'])
        .filter_map(|piece| {
            let (code, name) = piece.trim().split_once(':')?;
            let code = code.trim().trim_matches('\'');
            // The last name ends the list where the note's next sentence starts.
            let name = name.split(". ").next().unwrap_or_default().trim().trim_end_matches('.');
            (!code.is_empty() && code.len() <= 4 && code.chars().all(|c| c.is_ascii_alphanumeric()))
                .then(|| (code.to_owned(), name.to_owned()))
        })
        .collect()
}

/// The codes a field's values are, each with its name: those its note lists, or else those of the
/// attachment's table its note points at ([`crate::attachments`]); none for a field of free values.
/// Read once per field of the field data: every value an import checks looks its field up here.
pub fn field_codes(field: &'static Field) -> &'static [(String, String)] {
    type ByField = rustc_hash::FxHashMap<usize, Vec<(String, String)>>;
    static CODES: std::sync::LazyLock<ByField> = std::sync::LazyLock::new(|| {
        fn walk(fields: &'static [Field], out: &mut ByField) {
            for field in fields {
                let listed = note_code_names(&field.note);
                let codes = if listed.is_empty() {
                    crate::attachments::tables_of(field).flat_map(|table| table.codes.iter().cloned()).collect()
                } else {
                    listed
                };
                if !codes.is_empty() {
                    out.insert(std::ptr::from_ref(field) as usize, codes);
                }
                walk(&field.children, out);
            }
        }
        let mut out = ByField::default();
        for api in crate::fields::all_fields() {
            walk(&api.request, &mut out);
            walk(&api.response, &mut out);
        }
        out
    });
    CODES.get(&(std::ptr::from_ref(field) as usize)).map_or(&[], Vec::as_slice)
}

/// `"9999" is not one of its codes (1001, 1002, …)` where `field` has codes and `value` is none of them.
fn unlisted_code(field: &'static Field, value: &str) -> Option<String> {
    let codes = field_codes(field);
    if codes.is_empty() || codes.iter().any(|(code, _)| code == value) {
        return None;
    }
    // A long table (첨부15's 388 coverages) is shown by its first codes, so the message stays a line.
    const SHOWN: usize = 12;
    let listed: Vec<&str> = codes.iter().take(SHOWN).map(|(code, _)| code.as_str()).collect();
    let more = if codes.len() > SHOWN { format!(", … {} in all", codes.len()) } else { String::new() };
    Some(format!("{value:?} is not one of its codes ({}{more})", listed.join(", ")))
}

/// Checks data an institution supplies for an API's answer (its records, `mydata import`): every
/// field a field of `fields`, every required one present, every value a string (numbers and booleans
/// made strings before) of its type and length and, where the field's note lists codes, one of them,
/// a field whose presence hangs on a sibling's code sent as that code says, and every list's count its
/// length, recursively into list items. Fields named in `skip` are the provider's to add and may not
/// be given. A problem reads `aN(20) longer than 20`: the type as the table writes it, then the rule
/// broken.
pub fn check_supplied(
    fields: &[&'static Field],
    skip: &[&str],
    value: &serde_json::Value,
    path: &str,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    check_supplied_into(fields, skip, value, Place::Root(path), &mut violations);
    violations
}

/// Checks a JSON request body (지원-004's and 지원-005's reports) against `api`'s request table, as
/// [`check_supplied`] checks an institution's data: the same rules, counts included.
pub fn check_request_body(api: &crate::ApiSpec, body: &serde_json::Value) -> Vec<Violation> {
    let fields: Vec<&'static Field> = api.fields().request_body().collect();
    check_supplied(&fields, &[], body, "")
}

/// Where a value sits in a body (`account_list[0].account_num`), written out only for a violation:
/// an import checks millions of values and refuses few.
#[derive(Clone, Copy)]
enum Place<'a> {
    Root(&'a str),
    Member(&'a Place<'a>, &'a str),
    Item(&'a Place<'a>, usize),
}

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Root(path) => f.write_str(path),
            Place::Member(Place::Root(""), name) => f.write_str(name),
            Place::Member(parent, name) => write!(f, "{parent}.{name}"),
            Place::Item(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn check_supplied_into(
    fields: &[&'static Field],
    skip: &[&str],
    value: &serde_json::Value,
    place: Place<'_>,
    out: &mut Vec<Violation>,
) {
    use serde_json::Value;
    let refuse = |out: &mut Vec<Violation>, at: Place<'_>, rule: Rule, problem: String| {
        out.push(violation(&at.to_string(), rule, problem));
    };
    let Value::Object(map) = value else {
        refuse(out, place, Rule::Shape, "must be a JSON object".into());
        return;
    };
    for name in map.keys() {
        if skip.contains(&name.as_str()) {
            refuse(
                out,
                Place::Member(&place, name),
                Rule::Shape,
                "is the provider's to add, not the institution's".into(),
            );
        } else if !fields.iter().any(|f| &f.name == name) {
            refuse(out, Place::Member(&place, name), Rule::Shape, "is not a field of the table".into());
        }
    }
    for field in fields.iter().filter(|f| !skip.contains(&f.name.as_str())) {
        let here = Place::Member(&place, &field.name);
        let present = map.get(&field.name).is_some_and(|value| !value.is_null());
        if let Some(problem) = field.condition_problem(present, map) {
            refuse(out, here, Rule::Presence, problem);
        }
        match (map.get(&field.name), field.type_spec.as_str()) {
            (None | Some(Value::Null), _) if field.required => refuse(out, here, Rule::Presence, "is required".into()),
            (None | Some(Value::Null), _) => {}
            (Some(Value::Array(items)), "Object") => {
                if let Some((count, problem)) = miscounted(field, items, map) {
                    refuse(out, Place::Member(&place, &count), Rule::Count, problem);
                }
                let children: Vec<&'static Field> = field.children.iter().collect();
                for (i, item) in items.iter().enumerate() {
                    check_supplied_into(&children, skip, item, Place::Item(&here, i), out);
                }
            }
            (Some(_), "Object") => refuse(out, here, Rule::Shape, "must be a list".into()),
            (Some(Value::String(text)), spec) => {
                if let Err(problem) = check_value(spec, text) {
                    refuse(out, here, Rule::Type, format!("{spec} {problem}"));
                } else if let Some(problem) = unlisted_code(field, text) {
                    refuse(out, here, Rule::Code, format!("{spec} {problem}"));
                }
            }
            (Some(_), spec) => refuse(out, here, Rule::Type, format!("{spec} must be a string, number or boolean")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::fields;

    #[test]
    fn types_and_lengths_follow_attachment_2() {
        assert!(check_value("N(3)", "500").is_ok());
        assert!(check_value("N(3)", "-12").is_ok());
        assert!(check_value("N(3)", "5000").is_err());
        assert!(check_value("N(3)", "1a").is_err());
        assert!(check_value("aN(10)", "BANK000001").is_ok());
        assert!(check_value("aN(10)", "BANK0000011").is_err());
        assert!(check_value("AN(4)", "ba01").is_err());
        assert!(check_value("AH(6)", "홍길").is_ok());
        assert!(check_value("AH(6)", "홍길동").is_err());
        assert!(check_value("F(5,2)", "123.45").is_ok());
        assert!(check_value("F(5,2)", "1234.5").is_err());
        assert!(check_value("DTIME|DATE", "20210901").is_ok());
        assert!(check_value("DTIME|DATE", "20210901123000").is_ok());
        assert!(check_value("DTIME|DATE", "2021-09-01").is_err());
        assert!(check_value("Boolean", "true").is_ok());
        assert!(check_value("Boolean", "yes").is_err());
        assert!(check_value("aNS(1000)", "abc_-=.").is_ok());
        assert!(check_value("aNS(5)", "한").is_err());
    }

    #[test]
    fn request_params_are_checked_against_the_api_fields() {
        let api = fields("은행-001").unwrap();
        let params = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let ok = check_params(&api.request, Location::Query, &params(&[("org_code", "BANK000001"), ("limit", "10")]));
        assert!(ok.is_empty(), "{ok:?}");
        let missing = check_params(&api.request, Location::Query, &params(&[("limit", "10")]));
        assert_eq!(missing, vec![violation("org_code", Rule::Presence, "is required")]);
        let bad = check_params(
            &api.request,
            Location::Query,
            &params(&[("org_code", "BANK000001"), ("limit", "x"), ("search_timestamp", "1e5")]),
        );
        assert_eq!(bad.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(), ["search_timestamp", "limit"]);
        let bills = fields("카드-004").unwrap();
        let months = |from: &str| {
            params(&[("org_code", "CARD000001"), ("limit", "10"), ("from_month", from), ("to_month", "202401")])
        };
        assert!(check_params(&bills.request, Location::Query, &months("202312")).is_empty());
        let month_13 = check_params(&bills.request, Location::Query, &months("202313"));
        assert_eq!(month_13.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(), ["from_month"]);
    }

    #[test]
    fn whole_numbers_are_taken_only_for_number_fields_whose_every_number_is_a_value() {
        let bills = fields("카드-004").unwrap();
        let field = |name: &str| bills.request_field(name).unwrap();
        assert_eq!(whole_number_range(field("limit")), Some((1, 500)));
        let stamp = fields("카드-001").unwrap().request_field("search_timestamp").unwrap();
        assert_eq!(whole_number_range(stamp), Some((0, 0)), "0, and a DTIME as its string");
        assert_eq!(whole_number_range(field("from_month")), None);
        assert_eq!(whole_number_range(field("org_code")), Some((0, 9_999_999_999)));
        let authorize = fields("개별인증-001").unwrap();
        assert_eq!(whole_number_range(authorize.request_field("response_type").unwrap()), None, "letters only");
        assert_eq!(whole_number_range(authorize.request_field("state").unwrap()), Some((0, MOST_WHOLE)), "aN(40)");
        assert_eq!(body_text(field("limit"), &serde_json::json!(20)).unwrap(), "20");
        assert_eq!(body_text(field("limit"), &serde_json::json!(20.0)).unwrap(), "20");
        assert_eq!(body_text(field("limit"), &serde_json::json!("20")).unwrap(), "20");
        for refused in [serde_json::json!(0), serde_json::json!(2.5), serde_json::json!(true), serde_json::json!([1])] {
            assert!(body_text(field("limit"), &refused).is_err(), "{refused}");
        }
        assert_eq!(body_text(field("org_code"), &serde_json::json!(1234567890)).unwrap(), "1234567890");
        assert!(body_text(field("org_code"), &serde_json::json!(-1)).is_err(), "no sign in aN");
        assert!(body_text(field("org_code"), &serde_json::json!(12345678901u64)).is_err(), "eleven digits");
        assert!(body_text(field("org_code"), &serde_json::json!(true)).is_err());
        assert!(body_text(field("from_month"), &serde_json::json!(202401)).is_err());
    }

    #[test]
    fn responses_are_checked_recursively_against_the_api_fields() {
        let api = crate::catalogue::api("은행-001").unwrap();
        let good = serde_json::json!({
            "rsp_code": "00000", "rsp_msg": "성공", "reg_date": "20150301", "account_cnt": "1",
            "account_list": [{"account_num": "1002123456789", "is_consent": "true", "prod_name": "자유입출금",
                              "account_type": "1001", "account_status": "01"}]
        });
        assert_eq!(check_response(api, &good), vec![]);
        let bad = serde_json::json!({
            "rsp_code": "00000", "rsp_msg": "성공", "reg_date": "2015-03-01", "account_cnt": 1,
            "account_list": [{"account_num": "1002123456789", "is_consent": "yes", "prod_name": "자유입출금",
                              "account_type": "1001"}]
        });
        let fields: Vec<String> = check_response(api, &bad).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["reg_date", "account_cnt", "account_list[0].is_consent", "account_list[0].account_status"]);
        let not_a_list = serde_json::json!({"rsp_code": "00000", "rsp_msg": "성공", "reg_date": "20150301",
                                            "account_cnt": "0", "account_list": "none"});
        assert_eq!(check_response(api, &not_a_list)[0].field, "account_list");
        // A code outside the table its field's note cites (첨부3's statuses are 01 and 02).
        let mut unlisted = good.clone();
        unlisted["account_list"][0]["account_status"] = "09".into();
        assert_eq!(check_response(api, &unlisted), vec![], "types and lengths hold");
        assert_eq!(code_violations(api, &good), vec![]);
        let violations = code_violations(api, &unlisted);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(
            violations[0].to_string(),
            "account_list[0].account_status: \"09\" is not one of its codes (01, 02)"
        );
    }

    #[test]
    fn fields_the_table_does_not_name_are_found() {
        let api = crate::catalogue::api("보증보험-002").unwrap();
        let body = serde_json::json!({
            "rsp_code": "00000", "rsp_msg": "성공", "insured_cnt": "1", "extra": "x",
            "insured_list": [{"insured_name": "홍*동", "insured_no": "01"}], "face_amt": 1000
        });
        let mut fields: Vec<String> = unnamed_fields(api, &body).into_iter().map(|v| v.field).collect();
        fields.sort();
        assert_eq!(fields, ["extra", "face_amt", "insured_list[0].insured_no"]);
    }

    /// A count says how many entries its list holds, nested lists too (전금-001's accounts of a 권면).
    #[test]
    fn a_count_other_than_its_lists_length_is_a_violation_at_every_depth() {
        let api = crate::catalogue::api("전금-001").unwrap();
        let fob = |account_cnt: &str| {
            serde_json::json!({"fob_id": "f1", "fob_name": "권면", "is_consent": "true", "reg_date": "20200101",
                               "limit_amt": "200", "is_charge": "false", "account_cnt": account_cnt,
                               "account_list": [{"account_id": "a1"}, {"account_id": "a2"}]})
        };
        let answer = |fob_cnt: &str, account_cnt: &str| {
            serde_json::json!({"rsp_code": "00000", "rsp_msg": "성공", "fob_cnt": fob_cnt,
                               "fob_list": [fob(account_cnt)]})
        };
        assert_eq!(check_response(api, &answer("1", "2")), []);
        let found: Vec<String> = check_response(api, &answer("2", "3")).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["fob_cnt: says 2 but fob_list holds 1", "fob_list[0].account_cnt: says 3 but account_list holds 2"]
        );

        let fields: Vec<&Field> = api.fields().response_body().filter(|f| f.name.starts_with("fob_")).collect();
        let supplied = serde_json::json!({"fob_cnt": "1", "fob_list": [fob("1")]});
        let found: Vec<String> =
            check_supplied(&fields, &[], &supplied, "data").iter().map(ToString::to_string).collect();
        assert_eq!(found, ["data.fob_list[0].account_cnt: says 1 but account_list holds 2"]);
    }

    #[test]
    fn supplied_data_names_the_field_and_the_rule() {
        let api = crate::catalogue::api("은행-001").unwrap();
        let fields: Vec<&Field> = api.fields().response_body().filter(|f| f.name.ends_with("_list")).collect();
        let data = serde_json::json!({"account_list": [
            {"account_num": "1002123456789", "prod_name": "자유입출금", "account_type": "1001", "account_status": "01"},
            {"account_num": "123456789012345678901", "prod_name": "적금", "account_type": "1002", "account_status": "01",
             "is_consent": "true", "colour": "red"}
        ]});
        let found: Vec<String> =
            check_supplied(&fields, &["is_consent"], &data, "").into_iter().map(|v| v.to_string()).collect();
        assert_eq!(
            found,
            [
                "account_list[1].is_consent: is the provider's to add, not the institution's",
                "account_list[1].colour: is not a field of the table",
                "account_list[1].account_num: aN(20) longer than 20",
            ]
        );
        let missing = check_supplied(&fields, &[], &serde_json::json!({"account_list": [{}]}), "");
        assert!(missing.iter().any(|v| v.field == "account_list[0].account_num" && v.problem == "is required"));
        assert_eq!(
            check_supplied(&fields, &[], &serde_json::json!({"account_list": "x"}), "")[0].problem,
            "must be a list"
        );
    }

    /// Codes of the attachments' tables (첨부3 here) bind supplied data as a note's own list does.
    #[test]
    fn supplied_codes_are_those_of_the_attachment_the_note_cites() {
        let api = crate::catalogue::api("은행-001").unwrap();
        let fields: Vec<&Field> = api.fields().response_body().filter(|f| f.name.ends_with("_list")).collect();
        let item = |account_type: &str, status: &str| {
            serde_json::json!({"account_list": [{"account_num": "1002123456789", "prod_name": "예금",
                                                 "account_type": account_type, "account_status": status, "is_consent": "true"}]})
        };
        let accepted = check_supplied(&fields, &[], &item("3710", "02"), "");
        assert!(accepted.is_empty(), "운용리스, 비활동: {accepted:?}");
        let refused: Vec<String> =
            check_supplied(&fields, &[], &item("9999", "03"), "").into_iter().map(|v| v.to_string()).collect();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(
            refused[0].starts_with("account_list[0].account_type: aN(4) \"9999\" is not one of its codes (1001, 1002,")
        );
        assert!(
            refused[1].starts_with("account_list[0].account_status: aN(2) \"03\" is not one of its codes (01, 02)")
        );
    }

    /// 금투-003's rules: "trans_num must be sent when trans_type is 321 (입고), 322 (출고), 341 (매수)
    /// or 342 (매도)", trans_amt for 301–303, 311, 312, 341 and 342; nothing forbids either otherwise.
    #[test]
    fn supplied_entries_carry_the_fields_their_codes_require() {
        let api = crate::catalogue::api("금투-003").unwrap();
        let entry_fields: Vec<&'static Field> =
            api.fields().response_field("trans_list").unwrap().children.iter().collect();
        let entry = |trans_type: &str, extra: serde_json::Value| {
            let mut entry = serde_json::json!({"trans_dtime": "20240105093000", "trans_type": trans_type,
                                               "trans_type_detail": "매수"});
            entry.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            entry
        };
        let problems = |value: &serde_json::Value| -> Vec<String> {
            check_supplied(&entry_fields, &[], value, "").into_iter().map(|v| v.to_string()).collect()
        };
        assert_eq!(
            problems(&entry("341", serde_json::json!({}))),
            [
                "trans_num: is required when trans_type is 321, 322, 341 or 342",
                "trans_amt: is required when trans_type is 301, 302, 303, 311, 312, 341 or 342",
            ]
        );
        assert_eq!(
            problems(&entry("342", serde_json::json!({"trans_amt": "1000"}))),
            ["trans_num: is required when trans_type is 321, 322, 341 or 342"]
        );
        assert!(problems(&entry("341", serde_json::json!({"trans_num": "10", "trans_amt": "1000"}))).is_empty());
        assert!(problems(&entry("321", serde_json::json!({"trans_num": "10"}))).is_empty(), "입고 moves no cash");
        assert!(
            problems(&entry("301", serde_json::json!({"trans_amt": "1000", "trans_num": "1"}))).is_empty(),
            "a quantity beside a deposit is the provider's discretion"
        );
    }

    /// "total_install_cnt: 일시불 또는 카드 외 결제 수단인 경우 회신 안 함" (전금-103): instalment
    /// months come only with a card's payment or its cancellation (첨부9 6101, 6201).
    #[test]
    fn payments_by_other_means_than_a_card_carry_no_instalments() {
        let payments = crate::catalogue::api("전금-103").unwrap();
        let payment = |trans_type: &str| {
            let item = serde_json::json!({"trans_type": trans_type, "trans_num": "A1", "trans_dtime": "20240105093000",
                "trans_amt": "30000", "trans_title": "웹툰 코인", "pay_method": "01", "total_install_cnt": "3"});
            serde_json::json!({"rsp_code": "00000", "rsp_msg": "성공", "trans_cnt": "1", "trans_list": [item]})
        };
        let problems = |body: &serde_json::Value| -> Vec<String> {
            check_response(payments, body).into_iter().map(|v| v.to_string()).collect()
        };
        assert!(problems(&payment("6101")).is_empty());
        assert!(problems(&payment("6201")).is_empty());
        assert_eq!(
            problems(&payment("6102")),
            ["trans_list[0].total_install_cnt: is sent only when trans_type is 6101 or 6201"]
        );
    }

    /// "modified_amt: 결제상태(코드)가 '03'인 경우만 회신" (카드-008) and "fnd_cycle, add_cycle:
    /// is_scheduled="true" 인 경우 회신" (공통-002) bind answers too.
    #[test]
    fn answers_send_a_field_tied_to_a_code_only_as_the_code_says() {
        let approvals = crate::catalogue::api("카드-008").unwrap();
        let approval = |status: &str, modified: Option<&str>| {
            let mut item = serde_json::json!({"approved_num": "12345678", "approved_dtime": "20240105093000",
                "status": status, "pay_type": "01", "approved_amt": "10000"});
            if let Some(amount) = modified {
                item["modified_amt"] = amount.into();
            }
            serde_json::json!({"rsp_code": "00000", "rsp_msg": "성공", "approved_cnt": "1", "approved_list": [item]})
        };
        let problems = |api, body: &serde_json::Value| -> Vec<String> {
            check_response(api, body).into_iter().map(|v| v.to_string()).collect()
        };
        assert!(problems(approvals, &approval("03", Some("9000"))).is_empty());
        assert!(problems(approvals, &approval("03", None)).is_empty(), "only: not required");
        assert_eq!(
            problems(approvals, &approval("01", Some("9000"))),
            ["approved_list[0].modified_amt: is sent only when status is 03"]
        );

        let consent = crate::catalogue::api("공통-002").unwrap();
        let terms = |scheduled: &str, cycle: Option<&str>| {
            let mut body = serde_json::json!({"rsp_code": "00000", "rsp_msg": "성공", "is_scheduled": scheduled,
                "end_date": "20250101", "purpose": "자산관리", "period": "20250101"});
            if let Some(cycle) = cycle {
                body["fnd_cycle"] = cycle.into();
                body["add_cycle"] = cycle.into();
            }
            body
        };
        let cycles =
            |body| -> Vec<String> { problems(consent, &body).into_iter().filter(|p| p.contains("_cycle")).collect() };
        assert!(cycles(terms("true", Some("1/w"))).is_empty());
        assert!(cycles(terms("false", None)).is_empty());
        assert_eq!(
            cycles(terms("false", Some("1/w"))),
            ["fnd_cycle: is sent only when is_scheduled is true", "add_cycle: is sent only when is_scheduled is true"]
        );
        assert_eq!(
            cycles(terms("true", None)),
            ["fnd_cycle: is required when is_scheduled is true", "add_cycle: is required when is_scheduled is true"]
        );
    }

    /// 보험-012 (첨부15): `coverage_code` one of 실손 외 담보 코드 (A1100 질병사망) or 실손 담보 코드 (100
    /// 상해), `status` a 담보상태 code (1 정상), `type` a 실손 담보특성 code and "실손보장일 경우만 회신".
    #[test]
    fn coverages_take_attachment_15s_codes() {
        let coverages = crate::catalogue::api("보험-012").unwrap();
        let answer = |code: &str, status: &str, kind: Option<&str>| {
            let mut item = serde_json::json!({"subject": "C", "relation": "01", "status": status,
                "coverage_code": code, "coverage_num": "01", "coverage_amt": "10000"});
            if let Some(kind) = kind {
                item["type"] = kind.into();
            }
            serde_json::json!({"rsp_code": "00000", "rsp_msg": "성공", "coverage_cnt": "1", "coverage_list": [item]})
        };
        let problems = |body: &serde_json::Value| -> Vec<String> {
            let mut found: Vec<String> = check_response(coverages, body).into_iter().map(|v| v.to_string()).collect();
            found.extend(code_violations(coverages, body).iter().map(ToString::to_string));
            found.retain(|p| p.starts_with("coverage_list"));
            found
        };
        assert_eq!(problems(&answer("A1100", "1", None)), Vec::<String>::new(), "disease death, in force");
        assert_eq!(problems(&answer("100", "3", Some("1"))), Vec::<String>::new(), "accident, 입원의료비, cancelled");
        assert_eq!(problems(&answer("100", "1", None)), Vec::<String>::new(), "only: not required");
        assert_eq!(
            problems(&answer("A1100", "1", Some("1"))),
            ["coverage_list[0].type: is sent only when coverage_code is one of 첨부15 실손 담보 코드"]
        );
        let unknown = problems(&answer("A0000", "8", None));
        assert_eq!(unknown.len(), 2, "no such coverage or status: {unknown:?}");
        assert!(
            unknown[0]
                .starts_with(r#"coverage_list[0].status: "8" is not one of its codes (0, 1, 2, 3, 4, 5, 6, 7, 9)"#)
        );
        assert!(unknown[1].starts_with(r#"coverage_list[0].coverage_code: "A0000" is not one of its codes (A1100, "#));
        assert!(unknown[1].ends_with(", … 388 in all)"), "146 + 242 codes: {}", unknown[1]);
        assert_eq!(
            problems(&answer("100", "1", Some("9"))),
            [r#"coverage_list[0].type: "9" is not one of its codes (0, 1, 2, 3, 4, 5, 6, 7, 8)"#]
        );
    }

    #[test]
    fn codes_are_read_from_notes() {
        assert_eq!(note_codes("Kind of card. Codes: 01: 신용, 02: 체크(직불포함), 03: 소액."), ["01", "02", "03"]);
        assert_eq!(note_codes("Cycle. Codes: 1M: 매월, 3M: 3개월"), ["1M", "3M"]);
        assert_eq!(note_codes("Payment term type: 01: 일시납, 02: 분납"), ["01", "02"]);
        assert_eq!(note_codes("Transaction type. 01: 실행, 02: 상환, 99: 기타"), ["01", "02", "99"]);
        assert_eq!(note_codes("Institution type code: '01': 정보제공자, '03': 마이데이터사업자"), ["01", "03"]);
        assert!(note_codes("No list here").is_empty());
    }

    #[test]
    fn codes_are_read_with_their_names() {
        let names =
            note_code_names("Kind of card. Codes: 01: 신용, 02: 체크(직불포함), 03: 소액. Returned for cards only.");
        let names: Vec<(&str, &str)> = names.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
        assert_eq!(names, [("01", "신용"), ("02", "체크(직불포함)"), ("03", "소액")]);
    }

    #[test]
    fn supplied_codes_are_those_the_note_lists() {
        let api = crate::catalogue::api("통신-001").unwrap();
        let fields: Vec<&'static Field> = api.fields().response_body().filter(|f| f.name.ends_with("_list")).collect();
        let line = |status: &str| {
            serde_json::json!({"telecom_list": [
            {"mgmt_id": "m1", "telecom_num": "01012345678", "type": "01", "status": status}]})
        };
        let found: Vec<String> =
            check_supplied(&fields, &["is_consent"], &line("05"), "").into_iter().map(|v| v.to_string()).collect();
        assert_eq!(found, ["telecom_list[0].status: aN(2) \"05\" is not one of its codes (01, 02, 03, 99)"]);
        assert!(check_supplied(&fields, &["is_consent"], &line("99"), "").is_empty());
    }
}
