//! What an information request is about — its *subject* — read from the catalogue and the field data
//! so that every API is served (and generated, and collected) by the same code.
//!
//! A subject is either one asset the consent names (an account, card, policy, …) or the customer
//! (카드-003 포인트, 카드-006 결제정보, …), optionally narrowed by further request fields (a 회차
//! `seqno`, a `charge_month`, an `insured_no`, …). Stored answers are keyed by the subject key this
//! module builds, so the test-data generator, an import and the server agree through [`subject_key`].

use crate::catalogue::ApiSpec;
use crate::fields::Field;

/// Request fields that narrow the subject beyond its asset (or customer), in key order.
/// - `seqno`: 회차 of an account (은행, 할부금융) or the 결제순번 of a bill (카드-005);
/// - `charge_month`: the bill month (카드-005, 통신-002);
/// - `insured_no`: the insured person of a policy (보험-003);
/// - `car_number`: the car of a car policy (보험-007);
/// - `account_id`: the account of an electronic prepaid means (전금-002..004).
pub const QUALIFIERS: &[&str] = &["charge_month", "seqno", "insured_no", "car_number", "account_id"];

/// Separates the parts of a composed subject key; no key field may contain it (all are aN/aNS/AH
/// values without `|` in the code lists and generated data).
pub const SEPARATOR: char = '|';

/// The parts of a request that make its subject key: the asset (or customer), then each qualifier the
/// API takes and the request gives.
pub fn subject_key<'a>(base: &str, qualifiers: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    let mut key = base.to_owned();
    for (_, value) in qualifiers {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            key.push(SEPARATOR);
            key.push_str(value);
        }
    }
    key
}

/// The qualifiers `api` takes, in key order.
pub fn qualifiers_of(api: &ApiSpec) -> impl Iterator<Item = &'static str> + '_ {
    let fields = api.fields();
    QUALIFIERS.iter().copied().filter(|q| fields.request_field(q).is_some())
}

/// The response's list field (`account_list`, `trans_list`, …) and its count field (`account_cnt`, …).
pub fn list_fields(api: &ApiSpec) -> Option<(&'static Field, Option<&'static Field>)> {
    let fields = api.fields();
    let list = fields.response_body().find(|f| f.is_list())?;
    let count = crate::counts::count_of(&list.name).and_then(|count| fields.response_field(&count));
    Some((list, count))
}

/// Top-level fields the pipeline itself adds; everything else comes from stored data.
pub const ENVELOPE_FIELDS: &[&str] = &["rsp_code", "rsp_msg", "search_timestamp", "next_page"];

/// Whether the response has top-level data fields beside the list and its count.
pub(crate) fn has_document_fields(api: &ApiSpec) -> bool {
    let list = list_fields(api);
    api.fields().response_body().any(|f| {
        !ENVELOPE_FIELDS.contains(&f.name.as_str())
            && list.is_none_or(|(l, c)| l.name != f.name && c.is_none_or(|c| c.name != f.name))
    })
}

/// The request field that names an item of the asset list `list` in the APIs describing it
/// (`account_num` for 은행-001, `card_id` for 카드-001, …): the key of its assets.
pub fn asset_key_field(list: &'static ApiSpec) -> Option<&'static Field> {
    list.industries.iter().flat_map(|&i| list.detail_apis(i)).find_map(|a| a.fields().request_field(a.resource_key()?))
}

/// Where an item of an asset list stands in its list: 카드-001 is sorted by card type (its rules),
/// every other list by its key.
pub fn list_order(item: &serde_json::Map<String, serde_json::Value>, key: &str) -> String {
    match item.get("card_type").and_then(serde_json::Value::as_str) {
        Some(card_type) => format!("{card_type}{SEPARATOR}{key}"),
        None => key.to_owned(),
    }
}

/// Fields that identify one entry of a history among the entries of its time: a transaction's
/// number, an approval's number, a bill's 결제순번, a prepaid transaction's id.
pub const ENTRY_IDENTITY: &[&str] = &["trans_no", "approved_num", "seqno", "trans_id"];

/// When an entry of a history occurred and where it stands, read from the entry by the API's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryOrder {
    /// DTIME text (14 digits) the period of a request is compared with.
    pub occurred: String,
    /// `occurred|identity`: unique within the subject, and the order of its pages (newest first).
    pub sort_key: String,
}

/// The [`EntryOrder`] of one entry of `api`'s list (docs/spec-decisions.md, "natural identity"):
/// - it occurred at its first DTIME or DATE field (a date at 00:00:00), or for an API asked by
///   months at the first day of its first `*_month` field (카드-004's charge_month);
/// - it is identified by its time and the [`ENTRY_IDENTITY`] fields it holds, or, holding none,
///   by all its fields.
pub fn entry_order(api: &ApiSpec, entry: &serde_json::Map<String, serde_json::Value>) -> EntryOrder {
    let children = list_fields(api).map_or(&[][..], |(list, _)| list.children.as_slice());
    let text = |name: &str| entry.get(name).and_then(serde_json::Value::as_str).filter(|t| !t.is_empty());
    let timed = |f: &&Field| {
        if api.takes_month_range() {
            f.name.ends_with("_month")
        } else {
            f.type_spec.split('|').any(|t| t == "DATE" || t == "DTIME")
        }
    };
    let occurred = match children.iter().find(timed).and_then(|f| text(&f.name)) {
        Some(month) if month.len() == 6 => format!("{month}01000000"),
        Some(date) if date.len() == 8 => format!("{date}000000"),
        Some(dtime) => dtime.to_owned(),
        None => "00000000000000".to_owned(),
    };
    let mut identity: Vec<String> = ENTRY_IDENTITY.iter().filter_map(|name| text(name)).map(str::to_owned).collect();
    if identity.is_empty() {
        let mut fields: Vec<(&String, &serde_json::Value)> = entry.iter().collect();
        fields.sort_by_key(|(name, _)| *name);
        identity = fields.into_iter().map(|(name, value)| format!("{name}={value}")).collect();
    }
    let sort_key = format!("{occurred}{SEPARATOR}{}", identity.join(&SEPARATOR.to_string()));
    EntryOrder { occurred, sort_key }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::api;

    #[test]
    fn subject_keys_compose_base_and_given_qualifiers() {
        assert_eq!(subject_key("1002", [("seqno", None)]), "1002");
        assert_eq!(subject_key("1002", [("seqno", Some("3"))]), "1002|3");
        assert_eq!(subject_key("cust", [("charge_month", Some("202310")), ("seqno", Some(""))]), "cust|202310");
        let card_bill: Vec<_> = qualifiers_of(api("카드-005").unwrap()).collect();
        assert_eq!(card_bill, ["charge_month", "seqno"]);
        assert_eq!(qualifiers_of(api("보험-003").unwrap()).collect::<Vec<_>>(), ["insured_no"]);
    }

    #[test]
    fn entries_are_ordered_by_their_time_and_identified_by_their_numbers() {
        let entry = |v: serde_json::Value| v.as_object().unwrap().clone();
        let bank = entry_order(
            api("은행-004").unwrap(),
            &entry(serde_json::json!({"trans_dtime": "20261201093000", "trans_no": "T1", "trans_amt": "10"})),
        );
        assert_eq!(bank.occurred, "20261201093000");
        assert_eq!(bank.sort_key, "20261201093000|T1");
        let on_a_date = entry_order(
            api("보험-006").unwrap(),
            &entry(serde_json::json!({"trans_date": "20261201", "paid_amt": "5", "pay_method": "01"})),
        );
        assert_eq!(on_a_date.occurred, "20261201000000");
        assert_eq!(on_a_date.sort_key, "20261201000000|paid_amt=\"5\"|pay_method=\"01\"|trans_date=\"20261201\"");
        let bill = entry_order(
            api("카드-004").unwrap(),
            &entry(serde_json::json!({"seqno": "1", "charge_month": "202611", "paid_out_date": "20261225"})),
        );
        assert_eq!((bill.occurred.as_str(), bill.sort_key.as_str()), ("20261101000000", "20261101000000|1"));
        let list = api("은행-001").unwrap();
        assert_eq!(asset_key_field(list).map(|f| f.name.as_str()), Some("account_num"));
        assert_eq!(asset_key_field(api("카드-001").unwrap()).map(|f| f.name.as_str()), Some("card_id"));
    }
}
