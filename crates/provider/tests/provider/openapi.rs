//! `GET /openapi.json` describes exactly what this provider serves.

use crate::common;

use common::*;
use mydata_spec::Industry;
use mydata_spec::catalogue::{self, Group};
use std::collections::BTreeSet;

#[tokio::test]
async fn openapi_document_covers_every_api_the_server_serves() {
    let app = spawn(mydata_store::Backend::Sqlite).await;
    let response = app.http.get(format!("{}/openapi.json", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json; charset=UTF-8");
    let text = response.text().await.unwrap();
    let parsed = oas3::from_json(text.clone()).expect("valid OpenAPI 3.1");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["servers"][0]["url"], app.base.as_str(), "absolute URLs of this server");

    let mut described = BTreeSet::new();
    for (path, item) in parsed.paths.unwrap_or_default() {
        for (_, op) in doc["paths"][&path].as_object().unwrap() {
            for id in op["x-api-ids"].as_array().unwrap() {
                described.insert((id.as_str().unwrap().to_owned(), path.clone()));
            }
        }
        drop(item);
    }
    for industry in Industry::ALL {
        for api in catalogue::info_apis(industry) {
            assert!(described.contains(&(api.id.to_owned(), api.path(industry))), "{} at {industry}", api.id);
        }
    }
    for api in catalogue::CATALOGUE.iter().filter(|a| matches!(a.group, Group::Auth | Group::ParticipantSupport)) {
        assert!(described.contains(&(api.id.to_owned(), api.resource.to_owned())), "{}", api.id);
    }
    assert!(!described.iter().any(|(id, _)| id == "지원-002"), "portal APIs are not the provider's");
}
