//! One NDJSON record, read and checked against the API's field table: a customer, an API's data
//! (a list's or a document's whole answer, a history's whole answer or one entry), or a removal.

use mydata_spec::catalogue::{self, ApiSpec};
use mydata_spec::fields::Field;
use mydata_spec::subject::{self, ENVELOPE_FIELDS, EntryOrder, SEPARATOR};
use mydata_spec::validate::{check_supplied, check_value};
use mydata_spec::{ApiKind, wire};
use serde_json::{Map, Value};

/// Why a record was refused: its line, the API it is about, the field and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {}{field}: {rule}", api.as_deref().map(|a| format!("{a} ")).unwrap_or_default())]
pub struct Refusal {
    pub line: usize,
    pub api: Option<String>,
    pub field: String,
    pub rule: String,
}

/// A record as read, before it is combined with the others of its batch.
#[derive(Debug, Clone)]
pub enum Record {
    Customer { org_code: String, customer_id: String, ci: String, name: String, reg_date: Option<String> },
    Removal { org_code: String, customer_id: String },
    Data(DataRecord),
}

/// An API's data about one customer.
#[derive(Debug, Clone)]
pub struct DataRecord {
    pub org_code: String,
    pub customer_id: String,
    pub api: &'static ApiSpec,
    /// The subject key the provider files the answer under ([`subject::subject_key`]).
    pub subject_key: String,
    pub content: Content,
}

/// What a data record holds, by what its API is.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// An asset list's whole answer: its items (key, item), and the customer's reg_date if given.
    List { reg_date: Option<String>, items: Vec<(String, Map<String, Value>)> },
    /// A document's whole answer.
    Document(Map<String, Value>),
    /// A history's whole answer: the top-level fields (when the API answers some) and its entries.
    History { document: Option<Map<String, Value>>, entries: Vec<Entry> },
    /// One entry of a history.
    Entry(Entry),
}

/// One entry of a history, with where it stands among the subject's entries (worked out where the
/// record is read, on every core, rather than where the batch is gathered, on one).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub order: EntryOrder,
    pub data: Map<String, Value>,
}

impl Entry {
    fn of(api: &ApiSpec, data: Map<String, Value>) -> Entry {
        Entry { order: subject::entry_order(api, &data), data }
    }
}

/// Reads one line (numbered from 1) as a record.
pub fn parse(line: usize, text: &str) -> Result<Record, Refusal> {
    let refuse = |api: Option<&str>, field: &str, rule: String| Refusal {
        line,
        api: api.map(str::to_owned),
        field: field.to_owned(),
        rule,
    };
    let mut value: Value =
        serde_json::from_str(text).map_err(|e| refuse(None, "record", format!("is not JSON: {e}")))?;
    // Numbers and booleans are taken as their text (첨부2 sends every value as a string).
    wire::stringify(&mut value);
    let Value::Object(mut record) = value else {
        return Err(refuse(None, "record", "must be a JSON object".into()));
    };
    let org_code = text_field(&record, "org_code", "aN(10)").map_err(|(f, r)| refuse(None, &f, r))?;
    if let Some(customer) = record.get("customer") {
        only_fields(&record, &["org_code", "customer"]).map_err(|(f, r)| refuse(None, &f, r))?;
        let Value::Object(customer) = customer else {
            return Err(refuse(None, "customer", "must be a JSON object".into()));
        };
        only_fields(customer, &["customer_id", "ci", "name", "reg_date"])
            .map_err(|(f, r)| refuse(None, &format!("customer.{f}"), r))?;
        let field = |name: &str, type_spec: &str| {
            text_field(customer, name, type_spec).map_err(|(f, r)| refuse(None, &format!("customer.{f}"), r))
        };
        let customer_id = customer_id(customer).map_err(|(f, r)| refuse(None, &format!("customer.{f}"), r))?;
        let reg_date = match customer.get("reg_date") {
            None => None,
            Some(_) => Some(field("reg_date", "DATE")?),
        };
        return Ok(Record::Customer {
            org_code,
            customer_id,
            ci: field("ci", "aNS(100)")?,
            name: field("name", "AH(90)")?,
            reg_date,
        });
    }
    let customer_id = customer_id(&record).map_err(|(f, r)| refuse(None, &f, r))?;
    if record.contains_key("delete") {
        only_fields(&record, &["org_code", "customer_id", "delete"]).map_err(|(f, r)| refuse(None, &f, r))?;
        if record.get("delete").and_then(Value::as_str) != Some("true") {
            return Err(refuse(None, "delete", "must be true".into()));
        }
        return Ok(Record::Removal { org_code, customer_id });
    }
    only_fields(&record, &["org_code", "customer_id", "api", "key", "data"]).map_err(|(f, r)| refuse(None, &f, r))?;
    let api_id = record.get("api").and_then(Value::as_str).ok_or_else(|| refuse(None, "api", "is required".into()))?;
    let api = catalogue::api(api_id).filter(|a| a.serves_stored_data()).ok_or_else(|| {
        refuse(None, "api", format!("{api_id:?} is not an information API answered from stored data"))
    })?;
    let in_api = |(field, rule): (String, String)| refuse(Some(api.id), &field, rule);
    let key = match record.get("key") {
        None => Map::new(),
        Some(Value::Object(key)) => key.clone(),
        Some(_) => return Err(in_api(("key".into(), "must be a JSON object".into()))),
    };
    let subject_key = subject_key_of(api, &customer_id, &key).map_err(in_api)?;
    let Some(Value::Object(data)) = record.remove("data") else {
        return Err(in_api(("data".into(), "is required, a JSON object".into())));
    };
    let content = content_of(api, data).map_err(in_api)?;
    Ok(Record::Data(DataRecord { org_code, customer_id, api, subject_key, content }))
}

fn take_object(value: &mut Value) -> Map<String, Value> {
    match value.take() {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

type Problem = (String, String);

fn only_fields(record: &Map<String, Value>, allowed: &[&str]) -> Result<(), Problem> {
    match record.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => {
            Err((unknown.clone(), format!("is not a field of this record (it takes {})", allowed.join(", "))))
        }
        None => Ok(()),
    }
}

fn text_field(record: &Map<String, Value>, name: &str, type_spec: &str) -> Result<String, Problem> {
    let text = match record.get(name) {
        None | Some(Value::Null) => return Err((name.into(), "is required".into())),
        Some(Value::String(text)) => text.clone(),
        Some(_) => return Err((name.into(), format!("{type_spec} must be a string"))),
    };
    if text.is_empty() {
        return Err((name.into(), "is required".into()));
    }
    check_value(type_spec, &text).map_err(|problem| (name.to_owned(), format!("{type_spec} {problem}")))?;
    Ok(text)
}

/// A customer id: printable, without the separator of subject keys (it may be one's base).
fn customer_id(record: &Map<String, Value>) -> Result<String, Problem> {
    let id = text_field(record, "customer_id", "aNS(100)")?;
    if id.contains(SEPARATOR) {
        return Err(("customer_id".into(), format!("may not contain {SEPARATOR:?}")));
    }
    Ok(id)
}

/// The subject key of a record's `key`: the asset (or the customer) and the qualifiers, each checked
/// against the API's request field.
fn subject_key_of(api: &'static ApiSpec, customer_id: &str, key: &Map<String, Value>) -> Result<String, Problem> {
    let resource = api.resource_key().filter(|_| api.kind() != ApiKind::AssetList);
    let allowed: Vec<&str> = resource.into_iter().chain(subject::qualifiers_of(api)).collect();
    if let Some(unknown) = key.keys().find(|k| !allowed.contains(&k.as_str())) {
        let takes = if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") };
        return Err((format!("key.{unknown}"), format!("is not a key of this API (its keys: {takes})")));
    }
    let mut given = Vec::new();
    for name in &allowed {
        let field = api.fields().request_field(name).expect("keys are request fields");
        match key.get(*name) {
            None | Some(Value::Null) if field.required => return Err((format!("key.{name}"), "is required".into())),
            None | Some(Value::Null) => given.push(None),
            Some(Value::String(text)) => {
                check_value(&field.type_spec, text)
                    .map_err(|problem| (format!("key.{name}"), format!("{} {problem}", field.type_spec)))?;
                if text.contains(SEPARATOR) {
                    return Err((format!("key.{name}"), format!("may not contain {SEPARATOR:?}")));
                }
                given.push(Some(text.as_str()));
            }
            Some(_) => return Err((format!("key.{name}"), format!("{} must be a string", field.type_spec))),
        }
    }
    let mut values = given.into_iter();
    let base = match resource {
        Some(_) => values.next().flatten().unwrap_or_default(),
        None => customer_id,
    };
    let qualifiers: Vec<(&str, Option<&str>)> = subject::qualifiers_of(api).zip(values).collect();
    Ok(subject::subject_key(base, qualifiers))
}

/// The response's body fields an institution supplies: all but the envelope and, for lists and
/// histories, the list's count, which the provider counts per page (a document is served as given).
fn supplied_fields(api: &ApiSpec) -> Vec<&'static Field> {
    let count = subject::list_fields(api).and_then(|(_, count)| count).filter(|_| api.kind() != ApiKind::Document);
    api.fields()
        .response_body()
        .filter(|f| !ENVELOPE_FIELDS.contains(&f.name.as_str()))
        .filter(|f| count.is_none_or(|c| c.name != f.name))
        .collect()
}

/// Takes the list's count field out of a whole answer, checked to say how long the list is.
fn take_count(api: &ApiSpec, data: &mut Map<String, Value>) -> Result<(), Problem> {
    let Some((list, Some(count))) = subject::list_fields(api) else { return Ok(()) };
    let (Some(given), Some(Value::Array(items))) = (data.remove(&count.name), data.get(&list.name)) else {
        return Ok(());
    };
    match mydata_spec::counts::miscount(&given, &list.name, items.len()) {
        Some(problem) => Err((format!("data.{}", count.name), problem)),
        None => Ok(()),
    }
}

fn first_problem(violations: Vec<mydata_spec::validate::Violation>) -> Result<(), Problem> {
    match violations.into_iter().next() {
        Some(v) => Err((format!("data.{}", v.field).trim_end_matches('.').to_owned(), v.problem)),
        None => Ok(()),
    }
}

/// `data` checked against `fields` (bar `providers`, the provider's to add), handed back.
fn checked(
    fields: &[&'static Field],
    providers: &[&str],
    data: Map<String, Value>,
) -> Result<Map<String, Value>, Problem> {
    let mut data = Value::Object(data);
    first_problem(check_supplied(fields, providers, &data, ""))?;
    Ok(take_object(&mut data))
}

/// The items of a whole answer's list (checked before to be a list of objects).
fn listed(api: &ApiSpec, data: &mut Map<String, Value>) -> Vec<Map<String, Value>> {
    let (list, _) = subject::list_fields(api).expect("list and history APIs have a list");
    match data.remove(&list.name) {
        Some(Value::Array(items)) => items.into_iter().map(|mut item| take_object(&mut item)).collect(),
        _ => Vec::new(),
    }
}

fn content_of(api: &'static ApiSpec, mut data: Map<String, Value>) -> Result<Content, Problem> {
    let fields = supplied_fields(api);
    if api.kind() != ApiKind::Document {
        take_count(api, &mut data)?;
    }
    match api.kind() {
        ApiKind::AssetList => {
            let mut data = checked(&fields, &["is_consent"], data)?;
            let key_field = subject::asset_key_field(api).expect("asset lists have a key");
            let reg_date = data.get("reg_date").and_then(Value::as_str).map(str::to_owned);
            let (list, _) = subject::list_fields(api).expect("asset lists have a list");
            let mut items = Vec::new();
            for (i, item) in listed(api, &mut data).into_iter().enumerate() {
                let key = item.get(&key_field.name).and_then(Value::as_str).unwrap_or_default().to_owned();
                let here = format!("data.{}[{i}].{}", list.name, key_field.name);
                if key.is_empty() {
                    return Err((here, "is required (it is the asset's key)".into()));
                }
                if key.contains(SEPARATOR) {
                    return Err((here, format!("may not contain {SEPARATOR:?}")));
                }
                if items.iter().any(|(seen, _)| *seen == key) {
                    return Err((here, format!("{key} is listed twice")));
                }
                items.push((key, item));
            }
            Ok(Content::List { reg_date, items })
        }
        ApiKind::Document => Ok(Content::Document(checked(&fields, &[], data)?)),
        ApiKind::Rows { with_document } => {
            let (list, _) = subject::list_fields(api).expect("histories have a list");
            if !data.contains_key(&list.name) {
                let children: Vec<&Field> = list.children.iter().collect();
                return Ok(Content::Entry(Entry::of(api, checked(&children, &[], data)?)));
            }
            let mut data = checked(&fields, &[], data)?;
            let entries = listed(api, &mut data).into_iter().map(|entry| Entry::of(api, entry)).collect();
            Ok(Content::History { document: with_document.then_some(data), entries })
        }
        ApiKind::ApiList | ApiKind::ConsentDetail | ApiKind::NotInformation => {
            Err(("api".into(), "is not answered from stored data".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> String {
        parse(2, text).unwrap_err().to_string()
    }

    #[test]
    fn a_bad_value_is_refused_naming_line_field_and_rule() {
        let long = "1".repeat(21);
        let record = format!(
            r#"{{"org_code":"BANK000001","customer_id":"c1","api":"은행-001","key":{{}},
               "data":{{"reg_date":"20200101","account_cnt":"1","account_list":[{{"account_num":"{long}",
               "is_minus":false,"prod_name":"자유입출금","account_type":"1001","account_status":"01"}}]}}}}"#
        )
        .replace('\n', "");
        assert_eq!(refusal(&record), "line 2: 은행-001 data.account_list[0].account_num: aN(20) longer than 20");
    }

    #[test]
    fn every_kind_of_record_is_read() {
        let customer =
            parse(1, r#"{"org_code":"BANK000001","customer":{"customer_id":"c1","ci":"CI1","name":"홍길동"}}"#);
        assert!(
            matches!(customer, Ok(Record::Customer { ref customer_id, reg_date: None, .. }) if customer_id == "c1")
        );
        let removal = parse(1, r#"{"org_code":"BANK000001","customer_id":"c1","delete":true}"#);
        assert!(matches!(removal, Ok(Record::Removal { ref customer_id, .. }) if customer_id == "c1"), "{removal:?}");
        let entry = parse(
            1,
            r#"{"org_code":"BANK000001","customer_id":"c1","api":"은행-004","key":{"account_num":"1001","seqno":"1"},
                "data":{"trans_dtime":"20261201093000","trans_no":"T1","trans_type":"01","trans_class":"입금",
                        "currency_code":"KRW","trans_amt":1000,"balance_amt":"2000","paid_in_cnt":"1"}}"#,
        )
        .unwrap();
        let Record::Data(entry) = entry else { panic!("{entry:?}") };
        assert_eq!(entry.subject_key, "1001|1");
        let Content::Entry(entry) = entry.content else { panic!() };
        assert_eq!(entry.data["trans_amt"], "1000", "numbers are taken as their text");
        assert_eq!(entry.order.occurred, "20261201093000", "its time is its first DTIME field");
    }

    #[test]
    fn records_that_break_the_format_are_refused() {
        let cases = [
            ("not json", "line 2: record: is not JSON"),
            (r#"[1]"#, "line 2: record: must be a JSON object"),
            (
                r#"{"org_code":"BANK0000011","customer_id":"c1","delete":true}"#,
                "line 2: org_code: aN(10) longer than 10",
            ),
            (r#"{"org_code":"BANK000001","customer_id":"c1","delete":false}"#, "line 2: delete: must be true"),
            (
                r#"{"org_code":"BANK000001","customer":{"customer_id":"c1","name":"홍"}}"#,
                "line 2: customer.ci: is required",
            ),
            (
                r#"{"org_code":"BANK000001","customer_id":"c|1","delete":true}"#,
                "line 2: customer_id: may not contain '|'",
            ),
            (
                r#"{"org_code":"BANK000001","customer_id":"c1","api":"은행-999","data":{}}"#,
                "line 2: api: \"은행-999\" is not",
            ),
            (
                r#"{"org_code":"BANK000001","customer_id":"c1","api":"공통-001","data":{}}"#,
                "line 2: api: \"공통-001\" is not",
            ),
            (
                r#"{"org_code":"BANK000001","customer_id":"c1","api":"은행-002","key":{},"data":{}}"#,
                "line 2: 은행-002 key.account_num: is required",
            ),
            (
                r#"{"org_code":"BANK000001","customer_id":"c1","api":"은행-002","key":{"card_id":"1"},"data":{}}"#,
                "line 2: 은행-002 key.card_id: is not a key of this API",
            ),
            (
                r#"{"org_code":"BANK000001","customer_id":"c1","api":"은행-001","data":{"reg_date":"20200101","account_cnt":"2","account_list":[]}}"#,
                "line 2: 은행-001 data.account_cnt: says 2 but account_list holds 0",
            ),
            (
                r#"{"org_code":"EFIN000001","customer_id":"c1","api":"전금-001","data":{"fob_cnt":"1","fob_list":[{"fob_id":"f1","fob_name":"권면","reg_date":"20200101","limit_amt":"200","is_charge":"false","account_cnt":"3","account_list":[{"account_id":"a1"},{"account_id":"a2"}]}]}}"#,
                "line 2: 전금-001 data.fob_list[0].account_cnt: says 3 but account_list holds 2",
            ),
            (
                r#"{"org_code":"BANK000001","customer_id":"c1","api":"은행-001","data":{"reg_date":"20200101","account_list":[{"account_num":"1","is_consent":"true","prod_name":"p","account_type":"1001","account_status":"01"}]}}"#,
                "line 2: 은행-001 data.account_list[0].is_consent: is the provider's to add",
            ),
            (
                r#"{"org_code":"BANK000001","customer_id":"c1","api":"은행-001","data":{"reg_date":"20200101","account_list":[{"account_num":"1","prod_name":"p","account_type":"9999","account_status":"01"}]}}"#,
                "line 2: 은행-001 data.account_list[0].account_type: aN(4) \"9999\" is not one of its codes (1001, 1002,",
            ),
            (
                r#"{"org_code":"INVT000001","customer_id":"c1","api":"금투-003","key":{"account_num":"1"},"data":{"trans_dtime":"20261201093000","trans_type":"341","trans_type_detail":"매수","trans_amt":"1000"}}"#,
                "line 2: 금투-003 data.trans_num: is required when trans_type is 321, 322, 341 or 342",
            ),
            (r#"{"org_code":"BANK000001","customer_id":"c1","api":"은행-001"}"#, "line 2: 은행-001 data: is required"),
            (
                r#"{"org_code":"BANK000001","customer_id":"c1","api":"은행-001","data":{},"extra":1}"#,
                "line 2: extra: is not a field",
            ),
        ];
        for (record, expected) in cases {
            let got = refusal(record);
            assert!(got.starts_with(expected), "{record}\n got {got}\nwant {expected}");
        }
    }
}
