//! 공통-001: the information APIs this provider offers for the industry, from the catalogue.

use super::{InfoCall, success};
use axum::response::Response;
use mydata_spec::{RspCode, catalogue};
use mydata_web::ApiError;
use serde_json::{Map, Value, json};

pub fn api_list(call: &InfoCall) -> Result<Response, ApiError> {
    let apis: Vec<Value> = catalogue::info_apis(call.industry)
        .filter(|api| super::served_by_shapes(api))
        .map(|api| json!({"api_code": api.api_code, "api_uri": api.resource}))
        .collect();
    let mut body = Map::new();
    body.insert("version".into(), json!(catalogue::VERSION));
    body.insert("api_cnt".into(), json!(apis.len()));
    body.insert("api_list".into(), Value::Array(apis));
    Ok(success(RspCode::Success, body))
}
