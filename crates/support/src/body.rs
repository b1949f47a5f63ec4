//! Checks a JSON body against an API's field table, nested lists included: every required field
//! present, every value of its 첨부2 type, and every `<x>_cnt` equal to the length of `<x>_list`.

use mydata_spec::fields::{Field, Location};
use mydata_spec::validate::{Violation, check_value};
use serde_json::{Map, Value};

/// Every violation of `body` against the body fields of `fields`, with dotted paths
/// (`stat_date_list[2].org_code`).
pub fn check_body(fields: &[Field], body: &Value) -> Vec<Violation> {
    let mut violations = Vec::new();
    match body {
        Value::Object(map) => {
            let body_fields: Vec<&Field> = fields.iter().filter(|f| f.location == Location::Body).collect();
            check_object(&body_fields, map, "", &mut violations);
        }
        _ => violations.push(Violation { field: "body".into(), problem: "must be a JSON object".into() }),
    }
    violations
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn push(out: &mut Vec<Violation>, field: String, problem: impl Into<String>) {
    out.push(Violation { field, problem: problem.into() });
}

fn check_object(fields: &[&Field], map: &Map<String, Value>, prefix: &str, out: &mut Vec<Violation>) {
    for field in fields {
        let path = format!("{prefix}{}", field.name);
        match (map.get(&field.name).filter(|v| !v.is_null()), field.type_spec.as_str()) {
            (None, _) if field.required => push(out, path, "is required"),
            (None, _) => {}
            (Some(Value::Array(items)), "Object") => {
                let children: Vec<&Field> = field.children.iter().collect();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::Object(child) => check_object(&children, child, &format!("{path}[{i}]."), out),
                        _ => push(out, format!("{path}[{i}]"), "must be an object"),
                    }
                }
            }
            (Some(_), "Object") => push(out, path, "must be a list"),
            (Some(value), type_spec) => match scalar_text(value) {
                Some(text) => {
                    if let Err(problem) = check_value(type_spec, &text) {
                        push(out, path, problem);
                    }
                }
                None => push(out, path, "must be a string"),
            },
        }
    }
    check_counts(map, prefix, out);
}

/// `<x>_cnt` must equal the length of `<x>_list` wherever both are present.
fn check_counts(map: &Map<String, Value>, prefix: &str, out: &mut Vec<Violation>) {
    for (name, value) in map {
        let Some(stem) = name.strip_suffix("_cnt") else { continue };
        let Some(Value::Array(list)) = map.get(&format!("{stem}_list")) else { continue };
        if scalar_text(value).and_then(|t| t.parse::<usize>().ok()) != Some(list.len()) {
            push(
                out,
                format!("{prefix}{name}"),
                format!("must equal the number of entries of {stem}_list ({})", list.len()),
            );
        }
    }
}
