//! Code lists of the response tables: where a field's note enumerates its codes (`Codes: 01: 신용,
//! 02: 체크`), a provider may send only those.

use mydata_spec::ApiSpec;
use mydata_spec::fields::Field;
use serde_json::Value;
use std::collections::BTreeSet;

/// The codes a note enumerates after `Codes:` (or `Code:`), each a short alphanumeric token before a
/// colon; `None` when the note enumerates none.
pub fn enumerated(note: &str) -> Option<BTreeSet<String>> {
    let (_, list) = note.split_once("Codes:").or_else(|| note.split_once("Code:"))?;
    let codes: BTreeSet<String> = list
        .split([',', ';'])
        .filter_map(|entry| entry.split_once(':'))
        .map(|(code, _)| code.trim().trim_matches('\'').to_owned())
        .filter(|code| (1..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .collect();
    (!codes.is_empty()).then_some(codes)
}

/// Every value of `body` outside its field's enumerated codes, as `path: value not in [..]`.
pub fn violations(api: &ApiSpec, body: &Value) -> Vec<String> {
    let fields: Vec<&Field> = api.fields().response_body().collect();
    let mut out = Vec::new();
    walk(&fields, body, "", &mut out);
    out
}

fn walk(fields: &[&Field], value: &Value, path: &str, out: &mut Vec<String>) {
    for field in fields {
        let here = if path.is_empty() { field.name.clone() } else { format!("{path}.{}", field.name) };
        match value.get(&field.name) {
            Some(Value::Array(items)) => {
                let children: Vec<&Field> = field.children.iter().collect();
                for (i, item) in items.iter().enumerate() {
                    walk(&children, item, &format!("{here}[{i}]"), out);
                }
            }
            Some(Value::String(code)) => {
                if let Some(codes) = enumerated(&field.note).filter(|codes| !codes.contains(code)) {
                    let listed = codes.into_iter().collect::<Vec<_>>().join(", ");
                    out.push(format!("{here}: {code:?} is not one of the codes of its note ({listed})"));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mydata_spec::catalogue::api;

    #[test]
    fn codes_are_read_from_the_note_and_prose_is_not_a_code() {
        let codes = enumerated(
            "Kind of card. Codes: 01: 신용, 02: 체크(직불포함), 03: 소액신용체크 (a check card, with a limit). When card_type is '02', only 카드-002 is available.",
        );
        assert_eq!(codes.unwrap().into_iter().collect::<Vec<_>>(), ["01", "02", "03"]);
        assert_eq!(enumerated("Codes: 1M: 매월, 3M: 3개월").unwrap().len(), 2);
        assert_eq!(enumerated("Balance of the account."), None);
    }

    #[test]
    fn a_value_outside_the_list_is_a_violation() {
        let card_list = api("카드-001").unwrap();
        let body = serde_json::json!({"card_list": [{"card_type": "01"}, {"card_type": "07"}]});
        let found = violations(card_list, &body);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("card_list[1].card_type: \"07\""), "{found:?}");
    }
}
