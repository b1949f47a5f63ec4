//! An OpenAPI 3.1 description generated from the catalogue and the field data, never written by hand:
//! every API a server serves, with its parameters, bodies, response schemas (types, lengths, required
//! fields), the error envelope and the security scheme.

use crate::catalogue::{ApiSpec, CATALOGUE, Group, Method, ScopeRule};
use crate::codes::RspCode;
use crate::fields::{Field, Location};
use crate::industry::Industry;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// JSON Schema of one field's value. Every value travels as a string (첨부2), so the schema is a
/// string with the pattern or length its type implies.
fn value_schema(field: &Field) -> Value {
    if field.type_spec == "Object" {
        let items = object_schema(field.children.iter());
        return json!({"type": "array", "items": items, "description": field.ko});
    }
    let alternatives: Vec<Value> = field.type_spec.split('|').map(type_schema).collect();
    let mut schema = if alternatives.len() == 1 {
        alternatives.into_iter().next().unwrap_or_else(|| json!({"type": "string"}))
    } else {
        json!({"type": "string", "anyOf": alternatives})
    };
    if let Value::Object(map) = &mut schema {
        map.insert("description".into(), json!(format!("{} — {}", field.ko, field.note)));
    }
    schema
}

fn type_schema(spec: &str) -> Value {
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
        // AH counts UTF-8 bytes (3 per Hangul syllable); JSON Schema counts characters, so this is
        // the looser bound; the server's own validation enforces bytes.
        "AH" | "aNS" | "NS" | "B64" => json!({"type": "string", "maxLength": n}),
        "DATE" => pattern("^[0-9]{8}$".into()),
        "DTIME" => pattern("^[0-9]{14}$".into()),
        "Boolean" => json!({"type": "string", "enum": ["true", "false"]}),
        _ => json!({"type": "string"}),
    }
}

fn object_schema<'a>(fields: impl Iterator<Item = &'a Field>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in fields {
        properties.insert(field.name.clone(), value_schema(field));
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
                "schema": value_schema(f),
            })
        })
        .collect()
}

fn request_body(apis: &[&ApiSpec]) -> Option<Value> {
    let bodies: Vec<(String, Value)> = apis
        .iter()
        .filter_map(|api| {
            let fields = api.fields();
            let body: Vec<&Field> = fields.request.iter().filter(|f| f.location == Location::Body).collect();
            if body.is_empty() {
                return None;
            }
            let media = match fields.content_type_request.as_deref() {
                Some(ct) if ct.contains("x-www-form-urlencoded") => "application/x-www-form-urlencoded",
                _ => "application/json",
            };
            Some((media.to_owned(), object_schema(body.into_iter())))
        })
        .collect();
    let media = bodies.first()?.0.clone();
    let schemas: Vec<Value> = bodies.into_iter().map(|(_, schema)| schema).collect();
    // The token endpoint serves three APIs told apart by grant_type: one body of three forms.
    let schema = if schemas.len() == 1 { schemas.into_iter().next()? } else { json!({"oneOf": schemas}) };
    Some(json!({"required": true, "content": {media: {"schema": schema}}}))
}

fn tran_id_header() -> Value {
    json!({"description": "거래고유번호 (첨부14), echoed from the request", "schema": {"type": "string", "pattern": "^[A-Z0-9]{10}[MSRCPA][A-Z0-9]{14}$"}})
}

fn responses(api: &ApiSpec) -> Value {
    let headers = json!({"x-api-tran-id": tran_id_header()});
    if api.id == "개별인증-001" {
        return json!({
            "200": {"description": "The consent page (HTML) the customer signs in on", "content": {"text/html": {}}},
            "302": {"description": "Redirect to the operator's redirect_uri with code, state and api_tran_id, or with an OAuth error", "headers": headers},
            "400": {"description": "Invalid client_id or redirect_uri", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}},
        });
    }
    let body: Vec<&Field> = api.fields().response_body().collect();
    let success = object_schema(body.into_iter());
    let error_ref = if api.group == Group::Auth || api.id == "지원-001" || api.id == "지원-101" {
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

fn operation(apis: &[&ApiSpec], industry: Option<Industry>) -> Value {
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
    op
}

/// What a server serves: (API, industry) pairs; industry is `None` for auth and support APIs.
pub type Served<'a> = &'a [(&'static ApiSpec, Option<Industry>)];

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

/// The whole document for the APIs in `served`, at the server whose base URL is `base_url`
/// (OAuth flow URLs must be absolute).
pub fn document(title: &str, base_url: &str, served: Served<'_>) -> Value {
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
            item.insert(method.as_str().to_lowercase(), operation(apis, *industry));
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
                        "authorizationUrl": format!("{base_url}/oauth/2.0/authorize"),
                        "tokenUrl": format!("{base_url}/oauth/2.0/token"),
                        "refreshUrl": format!("{base_url}/oauth/2.0/token"),
                        "scopes": scopes,
                    }},
                },
                "supportToken": {
                    "type": "oauth2",
                    "description": "Client-credentials token for support APIs, scope `manage` (ch.2.2)",
                    "flows": {"clientCredentials": {"tokenUrl": format!("{base_url}/mgmts/oauth/2.0/token"), "scopes": {"manage": "지원 API"}}},
                },
            },
        },
    })
}

/// The JSON Schema of `api`'s success body, as the document embeds it.
pub fn response_schema(api: &ApiSpec) -> Value {
    object_schema(api.fields().response_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::api;

    #[test]
    fn every_served_api_has_exactly_one_operation() {
        let served = provider_apis(&Industry::ALL);
        let doc = document("provider", "http://127.0.0.1:8080", &served);
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
    }

    #[test]
    fn field_types_become_string_schemas() {
        let schema = response_schema(api("은행-001").unwrap());
        let list = &schema["properties"]["account_list"];
        assert_eq!(list["type"], "array");
        assert_eq!(list["items"]["properties"]["is_consent"]["enum"], json!(["true", "false"]));
        assert_eq!(schema["properties"]["account_cnt"]["pattern"], "^-?[0-9]{1,3}$");
        assert_eq!(schema["properties"]["reg_date"]["pattern"], "^[0-9]{8}$");
        assert!(schema["required"].as_array().unwrap().contains(&json!("rsp_code")));
        assert_eq!(type_schema("F(18,3)")["pattern"], "^-?[0-9]{1,15}(\\.[0-9]{1,3})?$");
    }
}
