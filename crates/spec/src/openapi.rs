//! An OpenAPI 3.1 description generated from the catalogue and the field data, never written by hand:
//! every API a server serves, with its parameters, bodies, response schemas (types, lengths, required
//! fields), the error envelope and the security scheme.

use crate::catalogue::{ApiSpec, CATALOGUE, Group, KnownApi, Method, ScopeRule};
use crate::codes::RspCode;
use crate::fields::{Field, Location};
use crate::industry::Industry;
use crate::paging::Limit;
use crate::types::{BusinessNumber, DTime, Date, Month, SearchTimestamp};
use crate::{ApiType, api_type, tran_id, validate};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Which way a value travels: a request's schema promises that every value it allows is taken, a
/// response's that every value sent fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// JSON Schema of one field's value. Every value travels as a string (첨부2), so the schema is a
/// string with the pattern or length its type implies.
fn value_schema(field: &Field, side: Side) -> Value {
    if field.is_list() {
        let items = object_schema(field.children.iter(), |child| value_schema(child, side));
        return json!({"type": "array", "items": items, "description": field.ko});
    }
    let alternatives: Vec<Value> = field.type_spec.split('|').map(|spec| type_schema(spec, side)).collect();
    let codes = validate::note_codes(&field.note);
    let mut schema = match field_rule(field, side) {
        Some(rule) => rule,
        // A request's code is one its note lists; answers are judged by their type only.
        None if side == Side::Request && !codes.is_empty() => json!({"type": "string", "enum": codes}),
        None if alternatives.len() == 1 => alternatives.into_iter().next().unwrap_or_else(|| json!({"type": "string"})),
        None => json!({"type": "string", "anyOf": alternatives}),
    };
    if let Value::Object(map) = &mut schema {
        map.insert("description".into(), json!(format!("{} — {}", field.ko, field.note)));
    }
    schema
}

/// A field's rule beyond its 첨부2 type, where the standard gives one and the server holds to it.
fn field_rule(field: &Field, side: Side) -> Option<Value> {
    let pattern = |p: &str| json!({"type": "string", "pattern": p});
    if let Some(value) = field.fixed_value() {
        return Some(json!({"type": "string", "enum": [value]}));
    }
    if field.is_month() {
        return Some(pattern(Month::PATTERN));
    }
    match field.name.as_str() {
        Limit::FIELD => Some(pattern(Limit::PATTERN)),
        tran_id::HEADER => Some(pattern(tran_id::PATTERN)),
        SearchTimestamp::FIELD if side == Side::Request => Some(pattern(SearchTimestamp::PATTERN)),
        BusinessNumber::FIELD => Some(pattern(BusinessNumber::PATTERN)),
        api_type::HEADER => Some(json!({"type": "string", "enum": ApiType::ALL.map(ApiType::as_str)})),
        _ => None,
    }
}

/// The schema of a 첨부2 type, with exactly the characters [`validate::check_value`] takes.
fn type_schema(spec: &str, side: Side) -> Value {
    let (kind, args) = match spec.split_once('(') {
        Some((kind, rest)) => {
            let args: Vec<u32> = rest.trim_end_matches(')').split(',').filter_map(|n| n.trim().parse().ok()).collect();
            (kind, args)
        }
        None => (spec, Vec::new()),
    };
    let n = args.first().copied().unwrap_or(1);
    let pattern = |p: String| json!({"type": "string", "pattern": p});
    match kind {
        "N" => pattern(format!("^-?[0-9]{{1,{n}}}$")),
        "F" => {
            let scale = args.get(1).copied().unwrap_or(0);
            let int_digits = n.saturating_sub(scale).max(1);
            if scale == 0 {
                pattern(format!("^-?[0-9]{{1,{int_digits}}}$"))
            } else {
                pattern(format!("^-?[0-9]{{1,{int_digits}}}(\\.[0-9]{{1,{scale}}})?$"))
            }
        }
        "AN" => pattern(format!("^[A-Z0-9]{{0,{n}}}$")),
        "aN" => pattern(format!("^[A-Za-z0-9]{{0,{n}}}$")),
        "A" => pattern(format!("^[A-Z]{{0,{n}}}$")),
        "a" => pattern(format!("^[a-z]{{0,{n}}}$")),
        "aNS" => pattern(format!("^[\\x20-\\x7E]{{0,{n}}}$")),
        "NS" => pattern(format!("^[0-9!-/:-@\\[-`{{-~]{{0,{n}}}$")),
        "B64" => pattern(format!("^[A-Za-z0-9+/=_-]{{0,{n}}}$")),
        // AH(n) is n bytes of UTF-8 of KS C 5601 characters, 3 to a Hangul syllable ("AH(30) is 10
        // Hangul"), and JSON Schema counts characters. An answer's text of n bytes has at most n
        // characters; a request is promised to be taken with n/3 characters of the Basic
        // Multilingual Plane, where every character is at most 3 bytes.
        "AH" => match side {
            Side::Response => json!({"type": "string", "maxLength": n}),
            Side::Request => pattern(format!("^[\\u0000-\\uFFFF]{{0,{}}}$", n / 3)),
        },
        "DATE" => pattern(Date::PATTERN.into()),
        "DTIME" => pattern(DTime::PATTERN.into()),
        "Boolean" => json!({"type": "string", "enum": ["true", "false"]}),
        _ => json!({"type": "string"}),
    }
}

/// A JSON request body's member: its string or, where the server takes one, a whole number
/// ([`validate::body_text`]).
fn json_member_schema(field: &Field) -> Value {
    let text = value_schema(field, Side::Request);
    match validate::whole_number_range(field) {
        Some((min, max)) => json!({
            "anyOf": [text, {"type": "integer", "minimum": min, "maximum": max}],
            "description": format!("{} — a string, or a whole number", field.ko),
        }),
        None => text,
    }
}

fn object_schema<'a>(fields: impl Iterator<Item = &'a Field>, member: impl Fn(&Field) -> Value) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in fields {
        properties.insert(field.name.clone(), member(field));
        if field.required {
            required.push(json!(field.name));
        }
    }
    json!({"type": "object", "properties": properties, "required": required})
}

fn parameters(api: &ApiSpec) -> Vec<Value> {
    let fields = api.fields();
    fields
        .request
        .iter()
        .filter(|f| matches!(f.location, Location::Header | Location::Query | Location::Path))
        // The bearer token is described by the security scheme, not as a parameter.
        .filter(|f| f.name != "Authorization")
        .map(|f| {
            let location = match f.location {
                Location::Header => "header",
                Location::Path => "path",
                _ => "query",
            };
            json!({
                "name": f.name,
                "in": location,
                "required": f.required || f.location == Location::Path,
                "description": f.ko,
                "schema": value_schema(f, Side::Request),
            })
        })
        .collect()
}

/// Every object of `schema`, nested lists' items included, closed to members it does not name.
fn close_objects(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(close_objects);
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(items) = map.get_mut("items") {
        close_objects(items);
    }
}

fn request_body(apis: &[&ApiSpec]) -> Option<Value> {
    let bodies: Vec<(String, Value)> = apis
        .iter()
        .filter_map(|api| {
            let fields = api.fields();
            let body: Vec<&Field> = fields.request_body().collect();
            if body.is_empty() {
                return None;
            }
            let (media, schema) = if fields.takes_form() {
                let text = |field: &Field| value_schema(field, Side::Request);
                let mut form = object_schema(body.into_iter(), text);
                // A form names each parameter once (RFC 6749 3.2), so any other is one string too.
                form["additionalProperties"] = json!({"type": "string"});
                ("application/x-www-form-urlencoded", form)
            } else {
                let mut schema = object_schema(body.into_iter(), json_member_schema);
                // A report is kept as sent, so it takes only its table's members (check_request_body).
                if api.is(KnownApi::OperatorStatistics) || api.is(KnownApi::ProviderStatistics) {
                    close_objects(&mut schema);
                }
                ("application/json", schema)
            };
            Some((media.to_owned(), schema))
        })
        .collect();
    let media = bodies.first()?.0.clone();
    let schemas: Vec<Value> = bodies.into_iter().map(|(_, schema)| schema).collect();
    // The token endpoint serves three APIs told apart by grant_type: one body of three forms.
    let schema = if schemas.len() == 1 { schemas.into_iter().next()? } else { json!({"oneOf": schemas}) };
    Some(json!({"required": true, "content": {media: {"schema": schema}}}))
}

fn tran_id_header() -> Value {
    json!({"description": "거래고유번호 (첨부14), echoed from the request", "schema": {"type": "string", "pattern": tran_id::PATTERN}})
}

fn responses(api: &ApiSpec) -> Value {
    let headers = json!({"x-api-tran-id": tran_id_header()});
    if api.is(KnownApi::Authorize) {
        return json!({
            "200": {"description": "The consent page (HTML) the customer signs in on", "content": {"text/html": {}}},
            "302": {"description": "Redirect to the operator's redirect_uri with code, state and api_tran_id, or with an OAuth error", "headers": headers},
            "400": {"description": "Invalid client_id or redirect_uri", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}},
        });
    }
    let body: Vec<&Field> = api.fields().response_body().collect();
    let mut success = response_schema_of(body.into_iter());
    if api.takes_search_timestamp() {
        success = json!({"anyOf": [success, up_to_date_schema(api)]});
    }
    // The token endpoints of the support APIs answer errors as OAuth does, like the auth APIs.
    let token_endpoint = api.is(KnownApi::PortalToken) || api.is(KnownApi::ParticipantToken);
    let error_ref = if api.group == Group::Auth || token_endpoint {
        "#/components/schemas/OAuthError"
    } else {
        "#/components/schemas/Envelope"
    };
    json!({
        "200": {"description": format!("{} — success", api.name), "headers": headers,
                "content": {"application/json": {"schema": success}}},
        "default": {"description": "An error with the standard's code and HTTP status (첨부1)", "headers": headers,
                    "content": {"application/json": {"schema": {"$ref": error_ref}}}},
    })
}

/// The answer to a caller whose search_timestamp is later than the data's last change (ch.2.1): the
/// UP_TO_DATE code and the stamp to send next time, no data.
fn up_to_date_schema(api: &ApiSpec) -> Value {
    let fields = api.fields();
    let field = |name: &str| {
        fields.response_field(name).map_or_else(|| json!({"type": "string"}), |f| value_schema(f, Side::Response))
    };
    json!({
        "type": "object",
        "required": ["rsp_code", "rsp_msg", "search_timestamp"],
        "properties": {
            "rsp_code": {"type": "string", "enum": [RspCode::UpToDate.code()]},
            "rsp_msg": field("rsp_msg"),
            "search_timestamp": field("search_timestamp"),
        },
        "additionalProperties": false,
    })
}

fn security(api: &ApiSpec, industry: Option<Industry>) -> Value {
    match (api.scope, industry) {
        (ScopeRule::None, _) => json!([]),
        (ScopeRule::Manage, _) => json!([{"supportToken": [crate::catalogue::MANAGE_SCOPE]}]),
        (ScopeRule::List | ScopeRule::Industry(_), Some(industry)) => {
            json!([{"consentToken": [api.scope_for(industry)]}])
        }
        (ScopeRule::List | ScopeRule::Industry(_), None) => json!([]),
    }
}

/// The request field naming the institution asked.
const ORG_CODE: &str = "org_code";
/// The request field naming the kind of institution asked (지원-104), and an information provider's
/// kind (정보제공자).
const ORG_TYPE: (&str, &str) = ("org_type", "03");

/// Restricts every `field` of a request (parameter or body member, in every form of the body) to
/// `values`.
fn restrict(request_part: &mut Value, field: &str, values: &[&str]) {
    match request_part {
        Value::Object(map) => {
            let named = map.get("name").and_then(Value::as_str) == Some(field);
            for (key, value) in map.iter_mut() {
                if (named && key == "schema") || (key == "properties" && value.get(field).is_some()) {
                    let schema = if named { value } else { &mut value[field] };
                    let description = schema.get("description").cloned().unwrap_or_default();
                    *schema = json!({"type": "string", "enum": values, "description": description});
                } else {
                    restrict(value, field, values);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| restrict(item, field, values)),
        _ => {}
    }
}

/// Restricts what a provider's request names: `org_code` to `codes`, the institutions it answers
/// for, and `org_type` to a provider's.
fn name_served_orgs(request_part: &mut Value, codes: &[&str]) {
    restrict(request_part, ORG_CODE, codes);
    restrict(request_part, ORG_TYPE.0, &[ORG_TYPE.1]);
}

fn operation(apis: &[&ApiSpec], industry: Option<Industry>, institutions: Institutions<'_>) -> Value {
    let first = apis[0];
    let ids: Vec<&str> = apis.iter().map(|a| a.id).collect();
    let names: Vec<&str> = apis.iter().map(|a| a.name).collect();
    let operation_id = match industry {
        Some(industry) => format!("{industry}-{}", first.api_code.unwrap_or(first.id)),
        None => ids.join("+"),
    };
    let mut op = json!({
        "operationId": operation_id,
        "summary": format!("{} {}", ids.join(", "), names.join(" / ")),
        "description": first.fields().description,
        "tags": [industry.map_or_else(|| format!("{:?}", first.group), |i| i.as_str().to_owned())],
        "parameters": parameters(first),
        "responses": responses(first),
        "security": security(first, industry),
        "x-api-ids": ids,
    });
    if let (Some(body), Value::Object(map)) = (request_body(apis), &mut op) {
        map.insert("requestBody".into(), body);
    }
    if let (Some(periodic), Value::Object(map)) = (first.periodic, &mut op) {
        map.insert("x-periodic-class".into(), json!(periodic.korean()));
    }
    let codes: Vec<&str> = institutions
        .iter()
        .filter(|(of, _)| industry.is_none_or(|industry| industry == *of))
        .map(|(_, code)| code.as_str())
        .collect();
    if !codes.is_empty() {
        name_served_orgs(&mut op["parameters"], &codes);
        if let Some(body) = op.get_mut("requestBody") {
            name_served_orgs(body, &codes);
        }
    }
    op
}

/// What a server serves: (API, industry) pairs; industry is `None` for auth and support APIs.
pub type Served<'a> = &'a [(&'static ApiSpec, Option<Industry>)];

/// The institutions a provider answers for, each with its industry: what its requests' `org_code`
/// may be (none for the portal, whose requests name other institutions).
pub type Institutions<'a> = &'a [(Industry, String)];

/// The information APIs of `industries`, plus auth and participant-support APIs: a provider's surface.
pub fn provider_apis(industries: &[Industry]) -> Vec<(&'static ApiSpec, Option<Industry>)> {
    let mut apis: Vec<(&'static ApiSpec, Option<Industry>)> =
        CATALOGUE.iter().filter(|a| a.group == Group::Auth).map(|a| (a, None)).collect();
    for &industry in industries {
        apis.extend(crate::catalogue::info_apis(industry).map(|a| (a, Some(industry))));
    }
    apis.extend(CATALOGUE.iter().filter(|a| a.group == Group::ParticipantSupport).map(|a| (a, None)));
    apis
}

/// The portal's surface: 지원-001..006.
pub fn portal_apis() -> Vec<(&'static ApiSpec, Option<Industry>)> {
    CATALOGUE.iter().filter(|a| a.group == Group::PortalSupport).map(|a| (a, None)).collect()
}

/// The APIs answering each (path, method), with the industry the path belongs to.
type Operations = BTreeMap<(String, Method), (Vec<&'static ApiSpec>, Option<Industry>)>;

/// The whole document for the APIs in `served` by `institutions`, at the server whose base URL is
/// `base_url` (OAuth flow URLs must be absolute).
pub fn document(title: &str, base_url: &str, served: Served<'_>, institutions: Institutions<'_>) -> Value {
    let base_url = base_url.trim_end_matches('/');
    // Several APIs may share a method and path (the token endpoint): one operation each.
    let mut operations: Operations = BTreeMap::new();
    for &(api, industry) in served {
        let path = industry.map_or_else(|| api.resource.to_owned(), |i| api.path(i));
        operations.entry((path, api.method)).or_insert_with(|| (Vec::new(), industry)).0.push(api);
    }
    let mut paths = Map::new();
    for ((path, method), (apis, industry)) in &operations {
        let item = paths.entry(path.clone()).or_insert_with(|| json!({}));
        if let Value::Object(item) = item {
            item.insert(method.as_str().to_lowercase(), operation(apis, *industry, institutions));
        }
    }
    let scopes: BTreeMap<String, String> =
        served.iter().filter_map(|(api, industry)| Some((api.scope_for((*industry)?)?, api.name.to_owned()))).collect();
    let codes: Vec<&str> = RspCode::ALL.iter().map(|c| c.code()).collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": crate::catalogue::VERSION,
            "description": "금융분야 마이데이터 표준 API 규격 v1 (2021-09). Every JSON value is sent as a string (첨부2); \
                            servers also accept plain numbers and booleans on input.",
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": {
                "Envelope": {
                    "type": "object",
                    "required": ["rsp_code", "rsp_msg"],
                    "properties": {
                        "rsp_code": {"type": "string", "enum": codes, "description": "세부 응답코드 (첨부1)"},
                        "rsp_msg": {"type": "string", "maxLength": 450, "description": "세부 응답메시지"},
                    },
                },
                "OAuthError": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string", "maxLength": 30},
                        "error_description": {"type": "string", "maxLength": 450},
                    },
                },
            },
            "securitySchemes": {
                "consentToken": {
                    "type": "oauth2",
                    "description": "Access token issued under the customer's consent (전송요구), a JWS (ch.2.2)",
                    "flows": {"authorizationCode": {
                        "authorizationUrl": format!("{base_url}{}", KnownApi::Authorize.spec().resource),
                        "tokenUrl": format!("{base_url}{}", KnownApi::IssueToken.spec().resource),
                        "refreshUrl": format!("{base_url}{}", KnownApi::RefreshToken.spec().resource),
                        "scopes": scopes,
                    }},
                },
                "supportToken": {
                    "type": "oauth2",
                    "description": "Client-credentials token for support APIs, scope `manage` (ch.2.2)",
                    "flows": {"clientCredentials": {"tokenUrl": format!("{base_url}{}", KnownApi::PortalToken.spec().resource), "scopes": {"manage": "지원 API"}}},
                },
            },
        },
    })
}

/// The JSON Schema of `api`'s success body, as the document embeds it.
pub fn response_schema(api: &ApiSpec) -> Value {
    response_schema_of(api.fields().response_body())
}

fn response_schema_of<'a>(fields: impl Iterator<Item = &'a Field>) -> Value {
    object_schema(fields, |field| value_schema(field, Side::Response))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::api;

    #[test]
    fn every_served_api_has_exactly_one_operation() {
        let served = provider_apis(&Industry::ALL);
        let doc = document("provider", "http://127.0.0.1:8080", &served, &[(Industry::Bank, "BANK000001".into())]);
        let paths = doc["paths"].as_object().unwrap();
        let mut listed = Vec::new();
        for item in paths.values() {
            for op in item.as_object().unwrap().values() {
                listed.extend(op["x-api-ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()));
            }
        }
        for (api, _) in &served {
            assert!(listed.contains(&api.id.to_owned()), "{} missing", api.id);
        }
        let token = &paths["/oauth/2.0/token"]["post"];
        assert_eq!(token["x-api-ids"], json!(["개별인증-002", "개별인증-003", "통합인증-002"]));
        assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["oneOf"].is_array());
        let accounts = &paths["/v1/bank/accounts"]["get"]["parameters"];
        let org_code = accounts.as_array().unwrap().iter().find(|p| p["name"] == "org_code").unwrap();
        assert_eq!(org_code["schema"]["enum"], json!(["BANK000001"]), "the bank's own code");
        let revoke = &paths["/oauth/2.0/revoke"]["post"]["requestBody"]["content"];
        assert_eq!(
            revoke["application/x-www-form-urlencoded"]["schema"]["properties"]["org_code"]["enum"],
            json!(["BANK000001"])
        );
        let cards = &paths["/v1/card/cards"]["get"]["parameters"];
        let card_org = cards.as_array().unwrap().iter().find(|p| p["name"] == "org_code").unwrap();
        assert!(card_org["schema"].get("enum").is_none(), "no card company is served");
    }

    /// The portal keeps a report as sent and refuses a member its table does not name, at any depth;
    /// an information API's body ignores such members (docs/spec-decisions.md).
    #[test]
    fn reports_take_only_their_tables_members() {
        let doc = document("portal", "http://127.0.0.1:8080", &portal_apis(), &[]);
        let schema_of =
            |path: &str| doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"].clone();
        let report = schema_of("/mgmts/statistics/provider");
        assert_eq!(report["additionalProperties"], false);
        let day = &report["properties"]["stat_date_list"]["items"];
        let slot = &day["properties"]["mydata_svc_list"]["items"]["properties"]["api_type_list"]["items"]["properties"]
            ["tm_slot_list"]["items"];
        assert_eq!((&day["additionalProperties"], &slot["additionalProperties"]), (&json!(false), &json!(false)));
        assert_eq!(schema_of("/mgmts/statistics/mydata")["additionalProperties"], false);

        let served = provider_apis(&[Industry::Bank]);
        let doc = document("provider", "http://127.0.0.1:8080", &served, &[(Industry::Bank, "BANK000001".into())]);
        let detail = &doc["paths"]["/v1/bank/accounts/deposit/basic"]["post"]["requestBody"]["content"];
        assert!(detail["application/json"]["schema"].get("additionalProperties").is_none());
    }

    #[test]
    fn field_types_become_string_schemas() {
        let schema = response_schema(api("은행-001").unwrap());
        let list = &schema["properties"]["account_list"];
        assert_eq!(list["type"], "array");
        assert_eq!(list["items"]["properties"]["is_consent"]["enum"], json!(["true", "false"]));
        assert_eq!(schema["properties"]["account_cnt"]["pattern"], "^-?[0-9]{1,3}$");
        assert_eq!(schema["properties"]["reg_date"]["pattern"], Date::PATTERN);
        assert!(schema["required"].as_array().unwrap().contains(&json!("rsp_code")));
        assert_eq!(type_schema("F(18,3)", Side::Response)["pattern"], "^-?[0-9]{1,15}(\\.[0-9]{1,3})?$");
    }
}
