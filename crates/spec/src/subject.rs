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
    let list = fields.response_body().find(|f| f.type_spec == "Object")?;
    let count = fields.response_body().find(|f| f.name.ends_with("_cnt") && f.type_spec.starts_with('N'));
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
}
