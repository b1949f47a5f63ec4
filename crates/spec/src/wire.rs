//! 첨부2: every JSON value travels as a string. We send strings; on input we also accept plain
//! numbers and booleans, because real clients send them (docs/spec-decisions.md).

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::borrow::Cow;

/// Deserializes a string, number or boolean as its text.
pub fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(serde::de::Error::custom(format!("expected a string, got {other}"))),
    }
}

/// Like [`lenient_string`], for optional fields.
pub fn lenient_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!("expected a string, got {other}"))),
    }
}

/// Turns every number and boolean inside `value` into its string form, as the standard sends them.
pub fn stringify(value: &mut Value) {
    match value {
        Value::Number(n) => *value = Value::String(n.to_string()),
        Value::Bool(b) => *value = Value::String(b.to_string()),
        Value::Array(items) => items.iter_mut().for_each(stringify),
        Value::Object(map) => map.values_mut().for_each(stringify),
        Value::Null | Value::String(_) => {}
    }
}

/// `value` as the standard sends it: itself when every scalar in it is a string already (no copy),
/// else a copy passed through [`stringify`].
pub fn to_wire(value: &Value) -> Cow<'_, Value> {
    fn all_text(value: &Value) -> bool {
        match value {
            Value::Number(_) | Value::Bool(_) => false,
            Value::Array(items) => items.iter().all(all_text),
            Value::Object(map) => map.values().all(all_text),
            Value::Null | Value::String(_) => true,
        }
    }
    if all_text(value) {
        return Cow::Borrowed(value);
    }
    let mut wire = value.clone();
    stringify(&mut wire);
    Cow::Owned(wire)
}

/// Parses a wire Boolean, which arrives as `"true"`/`"false"` (or a bare boolean).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stringify_turns_numbers_and_booleans_into_strings_at_every_depth() {
        let mut v = json!({"cnt": 2, "ok": true, "list": [{"amt": 1.5, "name": "x"}], "none": null});
        stringify(&mut v);
        assert_eq!(v, json!({"cnt": "2", "ok": "true", "list": [{"amt": "1.5", "name": "x"}], "none": null}));
    }

    #[test]
    fn to_wire_copies_only_what_needs_stringifying() {
        let text = json!({"list": [{"amt": "1"}], "none": null});
        assert!(matches!(to_wire(&text), Cow::Borrowed(v) if *v == text));
        let numeric = json!({"list": [{"amt": 1, "ok": false}]});
        assert!(matches!(to_wire(&numeric), Cow::Owned(v) if v == json!({"list": [{"amt": "1", "ok": "false"}]})));
    }

    #[test]
    fn lenient_string_accepts_strings_numbers_and_booleans() {
        #[derive(Deserialize)]
        struct Req {
            #[serde(deserialize_with = "lenient_string")]
            limit: String,
            #[serde(default, deserialize_with = "lenient_opt_string")]
            flag: Option<String>,
        }
        let a: Req = serde_json::from_value(json!({"limit": 10, "flag": true})).unwrap();
        assert_eq!((a.limit.as_str(), a.flag.as_deref()), ("10", Some("true")));
        let b: Req = serde_json::from_value(json!({"limit": "10"})).unwrap();
        assert_eq!((b.limit.as_str(), b.flag), ("10", None));
        assert!(serde_json::from_value::<Req>(json!({"limit": [1]})).is_err());
    }
}
