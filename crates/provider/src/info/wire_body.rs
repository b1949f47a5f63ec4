//! Success bodies written straight into the bytes they are sent as. Stored asset items and documents
//! are wire JSON already (every value a string, as the store writes them), so they are copied in
//! rather than parsed and serialized again: that round trip was a tenth of a list call's CPU
//! (BENCHMARKS.md).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mydata_spec::{RspCode, wire};
use mydata_web::ApiError;
use serde_json::Value;
use std::borrow::Cow;

/// A body being written: `{"rsp_code":…,"rsp_msg":…` and then each member in the order added.
pub struct WireBody {
    json: Vec<u8>,
}

/// The members of a stored JSON object (the text between its braces, trimmed).
fn members_of(object_json: &str) -> Result<&str, ApiError> {
    let inner = object_json.trim().strip_prefix('{').and_then(|rest| rest.strip_suffix('}'));
    // Stored data that is not an object is a defect of the data, not of the request.
    inner.map(str::trim).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))
}

fn write_string(json: &mut Vec<u8>, text: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *json, text);
}

impl WireBody {
    pub fn new(code: RspCode) -> WireBody {
        let mut body = WireBody { json: Vec::with_capacity(1024) };
        body.json.push(b'{');
        body.string("rsp_code", code.code());
        body.string("rsp_msg", code.message());
        body
    }

    /// The comma before a member, unless it is the first.
    fn separate(&mut self) {
        if self.json.last() != Some(&b'{') {
            self.json.push(b',');
        }
    }

    fn key(&mut self, name: &str) {
        self.separate();
        write_string(&mut self.json, name);
        self.json.push(b':');
    }

    pub fn string(&mut self, name: &str, value: &str) {
        self.key(name);
        write_string(&mut self.json, value);
    }

    /// A value made for this answer, with every number and boolean sent as text.
    pub fn value(&mut self, name: &str, mut value: Value) {
        wire::stringify(&mut value);
        self.key(name);
        // A Value always serializes.
        let _ = serde_json::to_writer(&mut self.json, &value);
    }

    /// Every member of a stored JSON object, as stored.
    pub fn members(&mut self, object_json: &str) -> Result<(), ApiError> {
        let members = members_of(object_json)?;
        if !members.is_empty() {
            self.separate();
            self.json.extend_from_slice(members.as_bytes());
        }
        Ok(())
    }

    /// A list of stored JSON values, each as stored.
    pub fn list<S: AsRef<str>>(&mut self, name: &str, items: impl IntoIterator<Item = S>) {
        self.key(name);
        self.json.push(b'[');
        for (index, item) in items.into_iter().enumerate() {
            if index > 0 {
                self.json.push(b',');
            }
            self.json.extend_from_slice(item.as_ref().as_bytes());
        }
        self.json.push(b']');
    }

    /// A list of stored JSON objects, each paired with the value of one more member `name`
    /// (see [`with_member`]), written straight into the body.
    pub fn list_with_member<'a>(
        &mut self,
        list: &str,
        name: &str,
        items: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), ApiError> {
        let quoted_name = serde_json::to_string(name).unwrap_or_default();
        self.key(list);
        self.json.push(b'[');
        for (index, (object_json, value)) in items.into_iter().enumerate() {
            if index > 0 {
                self.json.push(b',');
            }
            if object_json.contains(&quoted_name) {
                self.json.extend_from_slice(with_member(object_json, name, value)?.as_bytes());
                continue;
            }
            let members = members_of(object_json)?;
            self.json.push(b'{');
            self.json.extend_from_slice(members.as_bytes());
            if !members.is_empty() {
                self.json.push(b',');
            }
            self.json.extend_from_slice(quoted_name.as_bytes());
            self.json.push(b':');
            write_string(&mut self.json, value);
            self.json.push(b'}');
        }
        self.json.push(b']');
        Ok(())
    }

    /// The response, tagged with `code` for the layers that count answers.
    pub fn finish(mut self, code: RspCode) -> Response {
        self.json.push(b'}');
        let mut response = (StatusCode::OK, self.json).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mydata_web::error::JSON_UTF8));
        response.extensions_mut().insert(code);
        response
    }
}

/// A stored JSON object with the member `name` set to `value`: replaced where the object has it,
/// added last otherwise.
fn with_member(object_json: &str, name: &str, value: &str) -> Result<String, ApiError> {
    let mut object: Value = serde_json::from_str(object_json).map_err(|_| ApiError::new(RspCode::ProcessingFailed))?;
    let Value::Object(map) = &mut object else { return Err(ApiError::new(RspCode::ProcessingFailed)) };
    map.insert(name.to_owned(), Value::String(value.to_owned()));
    Ok(object.to_string())
}

/// A stored JSON value without the members named `names` at any depth; untouched (and not parsed)
/// when its text names none of them.
pub fn without_members<'a>(json: &'a str, names: &[&str]) -> Result<Cow<'a, str>, ApiError> {
    let named = |name: &&str| serde_json::to_string(name).is_ok_and(|quoted| json.contains(&quoted));
    if !names.iter().any(named) {
        return Ok(Cow::Borrowed(json));
    }
    let mut value: Value = serde_json::from_str(json).map_err(|_| ApiError::new(RspCode::ProcessingFailed))?;
    strip(&mut value, names);
    Ok(Cow::Owned(value.to_string()))
}

/// Removes the members named `names` from every object inside `value`.
fn strip(value: &mut Value, names: &[&str]) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !names.contains(&k.as_str()));
            map.values_mut().for_each(|v| strip(v, names));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, names)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn body_of(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        serde_json::from_slice(&bytes).expect("a body is JSON")
    }

    #[tokio::test]
    async fn members_are_written_in_order_with_stored_text_as_it_is() {
        let mut body = WireBody::new(RspCode::Success);
        body.string("search_timestamp", "20240101120000");
        body.members(r#" {"basic_cnt":"1","memo":"\"따옴표\""} "#).unwrap();
        body.members("{}").unwrap();
        body.value("count", json!(2));
        body.list("items", [r#"{"a":"1"}"#, r#"{"b":"2"}"#]);
        body.list("none", Vec::<String>::new());
        let text = body.finish(RspCode::Success);
        assert_eq!(text.extensions().get::<RspCode>(), Some(&RspCode::Success));
        let value = body_of(text).await;
        assert_eq!(
            value,
            json!({"rsp_code": "00000", "rsp_msg": RspCode::Success.message(), "search_timestamp": "20240101120000",
                   "basic_cnt": "1", "memo": "\"따옴표\"", "count": "2", "items": [{"a": "1"}, {"b": "2"}], "none": []})
        );
        let keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["rsp_code", "rsp_msg", "search_timestamp", "basic_cnt", "memo", "count", "items", "none"]);
    }

    #[test]
    fn stored_text_that_is_not_an_object_is_a_processing_failure() {
        let mut body = WireBody::new(RspCode::Success);
        for broken in ["[1]", "\"text\"", "{\"a\":\"1\""] {
            assert_eq!(body.members(broken).unwrap_err().code, RspCode::ProcessingFailed, "{broken}");
            let refused = body.list_with_member("list", "is_consent", [(broken, "true")]).unwrap_err();
            assert_eq!(refused.code, RspCode::ProcessingFailed, "{broken}");
        }
    }

    #[tokio::test]
    async fn a_member_is_added_last_or_replaced_where_it_is() {
        let mut body = WireBody::new(RspCode::Success);
        let items = [(r#"{"a":"1"}"#, "true"), ("{ }", "false"), (r#"{"is_consent":"false","a":"2"}"#, "true")];
        body.list_with_member("account_list", "is_consent", items).unwrap();
        let value = body_of(body.finish(RspCode::Success)).await;
        assert_eq!(
            value["account_list"],
            json!([{"a": "1", "is_consent": "true"}, {"is_consent": "false"}, {"is_consent": "true", "a": "2"}])
        );
        let keys: Vec<_> = value["account_list"][0].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["a", "is_consent"], "added last");
    }

    #[test]
    fn named_members_are_removed_at_any_depth_and_others_left_unparsed() {
        let names = ["trans_memo", "merchant_name"];
        let text = r#"{"trans_list":[{"trans_amt":"1","trans_memo":"월급","merchant_name":"가게"}],"memo":"trans"}"#;
        let stripped = without_members(text, &names).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&stripped).unwrap(),
            json!({"trans_list": [{"trans_amt": "1"}], "memo": "trans"})
        );
        let untouched = r#"{"trans_amt":"1"}"#;
        assert!(matches!(without_members(untouched, &names).unwrap(), Cow::Borrowed(t) if t == untouched));
    }
}
