//! Every API's request and response fields, transcribed from chapters 5–7 into `data/*.json`
//! (a copy of `shared/spec/fields-v1`). Loaded once, on first use.

use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::sync::LazyLock;

/// Where a field travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Header,
    Query,
    Body,
    Path,
    /// A parameter of the redirect back to the operator (개별인증-001).
    Redirect,
}

/// One field of a request or response table.
#[derive(Debug, Clone, Deserialize)]
pub struct Field {
    #[serde(rename = "in")]
    pub location: Location,
    /// Wire name, exactly as the standard spells it.
    pub name: String,
    /// Korean label (항목설명).
    pub ko: String,
    #[serde(deserialize_with = "yes_no")]
    pub required: bool,
    /// Type and length as the standard writes it, e.g. `aN(20)`, `F(18,3)`, `DATE`, `DTIME|DATE`.
    #[serde(rename = "type")]
    pub type_spec: String,
    pub note: String,
    #[serde(default)]
    pub children: Vec<Field>,
    /// Where the note ties the field's presence to a sibling's code ("returned only when status
    /// is '03'", "mandatory when trans_type is 321, …"), those rules; the table marks such fields N.
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// A field's presence tied to the code of a field beside it in the same object.
#[derive(Debug, Clone, Deserialize)]
pub struct Condition {
    /// The sibling whose value decides, e.g. `status`.
    pub on: String,
    /// The sibling's codes under which the rule applies, e.g. `["03"]`: as the data lists them, or
    /// those of the attachment table [`Condition::in_table`] names, filled in when the data is read.
    #[serde(rename = "is", default)]
    pub codes: Vec<String>,
    /// The title of the attachment table whose codes these are, where the note names a table
    /// rather than codes ("실손보장일 경우만 회신": 첨부15's 실손 coverages).
    #[serde(default)]
    pub in_table: Option<String>,
    pub presence: Presence,
}

/// What a [`Condition`] asks of its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// Sent only when the sibling has one of the codes ("‘03’인 경우만 회신").
    Only,
    /// Sent whenever the sibling has one of the codes, and may be sent otherwise ("필수").
    Required,
    /// Sent when, and only when, the sibling has one of the codes ("01일 경우", "true 인 경우 회신").
    Exactly,
}

impl Condition {
    /// Whether the sibling's value in `object` (sent as a string, 첨부2) is one of the codes.
    fn holds(&self, object: &serde_json::Map<String, serde_json::Value>) -> bool {
        let sibling = object.get(&self.on).and_then(serde_json::Value::as_str);
        sibling.is_some_and(|value| self.codes.iter().any(|code| code == value))
    }

    /// Whether the field must be sent (`Some(true)`), must not be (`Some(false)`), or may be
    /// either, when the sibling's codes do (`holds`) or do not apply.
    fn demands(&self, holds: bool) -> Option<bool> {
        match (self.presence, holds) {
            (Presence::Required | Presence::Exactly, true) => Some(true),
            (Presence::Only | Presence::Exactly, false) => Some(false),
            _ => None,
        }
    }

    /// The problem with the field being `present` or not in `object`, in words:
    /// `is sent only when status is 03`, `is required when trans_type is 321, 322, 341 or 342`.
    fn problem(&self, present: bool, object: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
        let codes = match (&self.in_table, self.codes.as_slice()) {
            (Some(table), _) => format!("one of {table}"),
            (None, [one]) => one.clone(),
            (None, [rest @ .., last]) => format!("{} or {last}", rest.join(", ")),
            (None, []) => String::new(),
        };
        match self.demands(self.holds(object)) {
            Some(true) if !present => Some(format!("is required when {} is {codes}", self.on)),
            Some(false) if present => Some(format!("is sent only when {} is {codes}", self.on)),
            _ => None,
        }
    }
}

impl Field {
    /// Whether the field is a list of objects (type `Object`: its `children` are an item's fields).
    pub fn is_list(&self) -> bool {
        self.type_spec == "Object"
    }

    /// The first of the field's conditions that `present` (whether it is sent) breaks in `object`.
    pub fn condition_problem(
        &self,
        present: bool,
        object: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<String> {
        self.conditions.iter().find_map(|condition| condition.problem(present, object))
    }

    /// Whether a condition of the field forbids sending it in `object`.
    pub fn withheld(&self, object: &serde_json::Map<String, serde_json::Value>) -> bool {
        self.conditions.iter().any(|condition| condition.demands(condition.holds(object)) == Some(false))
    }

    /// Whether a condition of the field requires sending it in `object`.
    pub fn demanded(&self, object: &serde_json::Map<String, serde_json::Value>) -> bool {
        self.conditions.iter().any(|condition| condition.demands(condition.holds(object)) == Some(true))
    }

    /// The only value the standard allows, where the note says so ("fixed value 'code'"), and not
    /// only in some case ("2nd integrated authentication: fixed value '99991231'").
    pub fn fixed_value(&self) -> Option<&str> {
        const MARK: &str = "ixed value '";
        let at = self.note.find(MARK)?;
        let sentence = self.note[..at].rsplit('.').next().unwrap_or_default();
        if sentence.contains(':') {
            return None;
        }
        let after = &self.note[at + MARK.len()..];
        after.split_once('\'').map(|(value, _)| value)
    }

    /// Whether the value is a month, `YYYYMM` (typed N(6); the note names the format).
    pub fn is_month(&self) -> bool {
        self.type_spec == "N(6)" && self.note.contains("YYYYMM")
    }
}

/// One API's transcribed definition.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiFields {
    pub id: String,
    pub name: String,
    pub section: String,
    pub page: u32,
    pub method: String,
    pub uri: String,
    pub industries: Vec<String>,
    pub basis: Option<String>,
    /// `application/json; charset=UTF-8` or `application/x-www-form-urlencoded` (token endpoints).
    pub content_type_request: Option<String>,
    pub description: String,
    #[serde(default)]
    pub rules: Vec<String>,
    pub request: Vec<Field>,
    pub response: Vec<Field>,
}

impl ApiFields {
    /// Whether the request's body is a form (the token endpoints, RFC 6749), not JSON.
    pub fn takes_form(&self) -> bool {
        self.content_type_request.as_deref().is_some_and(|ct| ct.contains("x-www-form-urlencoded"))
    }

    pub fn request_field(&self, name: &str) -> Option<&Field> {
        self.request.iter().find(|f| f.name == name)
    }

    pub fn response_field(&self, name: &str) -> Option<&Field> {
        self.response.iter().find(|f| f.name == name)
    }

    /// The request's body fields (headers, query and path left out).
    pub fn request_body(&self) -> impl Iterator<Item = &Field> {
        self.request.iter().filter(|f| f.location == Location::Body)
    }

    /// The response's body fields (headers left out).
    pub fn response_body(&self) -> impl Iterator<Item = &Field> {
        self.response.iter().filter(|f| f.location == Location::Body)
    }
}

fn yes_no<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match <&str>::deserialize(d)? {
        "Y" => Ok(true),
        "N" => Ok(false),
        other => Err(serde::de::Error::custom(format!("required must be Y or N, got {other:?}"))),
    }
}

const SOURCES: [(&str, &str); 5] = [
    ("auth-support.json", include_str!("../data/auth-support.json")),
    ("card-invest.json", include_str!("../data/card-invest.json")),
    ("common-bank.json", include_str!("../data/common-bank.json")),
    ("efin-capital-ginsu-telecom-p2p.json", include_str!("../data/efin-capital-ginsu-telecom-p2p.json")),
    ("insu.json", include_str!("../data/insu.json")),
];

/// Looked up several times by every call a server answers, hence a fast hash of the short IDs.
static ALL: LazyLock<FxHashMap<String, ApiFields>> = LazyLock::new(|| {
    let mut all = FxHashMap::default();
    for (file, text) in SOURCES {
        // The data is compiled in and checked by this crate's tests, so a parse failure is a build defect.
        let apis: Vec<ApiFields> =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("embedded {file} does not parse: {e}"));
        for mut api in apis {
            fill_table_codes(&mut api.request);
            fill_table_codes(&mut api.response);
            all.insert(api.id.clone(), api);
        }
    }
    all
});

/// Gives each condition on an attachment table's codes ([`Condition::in_table`]) those codes.
fn fill_table_codes(fields: &mut [Field]) {
    for field in fields {
        for condition in &mut field.conditions {
            if let Some(title) = &condition.in_table {
                let table = crate::attachments::tables().iter().find(|t| &t.title == title);
                let table = table.unwrap_or_else(|| panic!("{}: no attachment table {title}", field.name));
                condition.codes = table.codes.iter().map(|(code, _)| code.clone()).collect();
            }
        }
        fill_table_codes(&mut field.children);
    }
}

/// The field definitions of one API, by its ID (e.g. `은행-001`).
pub fn fields(api_id: &str) -> Option<&'static ApiFields> {
    ALL.get(api_id)
}

/// Every transcribed API.
pub fn all_fields() -> impl Iterator<Item = &'static ApiFields> {
    ALL.values()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_holds_91_apis() {
        assert_eq!(all_fields().count(), 91);
        let bank = fields("은행-001").expect("은행-001");
        assert_eq!(bank.uri, "/accounts");
        let limit = bank.request_field("limit").expect("limit");
        assert!(limit.required);
        assert_eq!(limit.type_spec, "N(3)");
        let list = bank.response_field("account_list").expect("account_list");
        assert!(list.children.iter().any(|c| c.name == "account_num"));
    }

    #[test]
    fn fixed_values_and_months_are_read_from_the_notes() {
        let authorize = fields("개별인증-001").unwrap();
        assert_eq!(authorize.request_field("response_type").unwrap().fixed_value(), Some("code"));
        assert_eq!(authorize.request_field("client_id").unwrap().fixed_value(), None);
        let consent = fields("공통-002").unwrap();
        assert_eq!(consent.response_field("period").unwrap().fixed_value(), None, "fixed only for some consents");
        let bills = fields("카드-004").unwrap();
        assert!(bills.request_field("from_month").unwrap().is_month());
        assert!(!bills.request_field("limit").unwrap().is_month());
    }

    /// A condition names a field beside it and codes that field can have (its listed codes, or a
    /// Boolean's two values), and only a field the table marks N carries one.
    #[test]
    fn conditions_name_a_sibling_and_its_codes() {
        fn walk(api: &str, fields: &'static [Field], found: &mut Vec<String>) {
            for field in fields {
                walk(api, &field.children, found);
                for condition in &field.conditions {
                    let sibling = fields.iter().find(|f| f.name == condition.on);
                    let sibling =
                        sibling.unwrap_or_else(|| panic!("{api} {}: no sibling {}", field.name, condition.on));
                    let codes: Vec<&str> = match sibling.type_spec.as_str() {
                        "Boolean" => vec!["true", "false"],
                        _ => crate::validate::field_codes(sibling).iter().map(|(code, _)| code.as_str()).collect(),
                    };
                    assert!(!condition.codes.is_empty(), "{api} {}: a condition without codes", field.name);
                    for code in &condition.codes {
                        assert!(
                            codes.contains(&code.as_str()),
                            "{api} {}: {code} is not a code of {}",
                            field.name,
                            sibling.name
                        );
                    }
                    assert!(!field.required, "{api} {}: a required field has no condition", field.name);
                    found.push(format!("{api} {} {}", field.name, condition.on));
                }
            }
        }
        let mut found = Vec::new();
        for api in all_fields() {
            walk(&api.id, &api.request, &mut found);
            walk(&api.id, &api.response, &mut found);
        }
        found.sort();
        assert_eq!(found.len(), 60, "the rules transcribed (docs/spec-decisions.md): {found:?}");
    }
}
