//! Every API of the catalogue is reachable through the client, with the method, path and headers the
//! standard gives it.

use mydata_client::{Call, Client};
use mydata_spec::catalogue::{CATALOGUE, Group, Method};
use mydata_spec::fields::Location;
use mydata_spec::{ApiType, TranId};
use std::collections::BTreeMap;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A call to `api` with every required parameter set, for its first industry.
fn complete_call(api: &'static mydata_spec::ApiSpec) -> Call {
    let mut call = Call::new(api).api_type(ApiType::Scheduled).bearer("token").header("x-user-ci", "Q0k=");
    if let Some(&industry) = api.industries.first() {
        call = call.industry(industry);
    }
    for field in api.fields().request.iter().filter(|f| f.required && f.location != Location::Header) {
        call = call.param(&field.name, format!("v-{}", field.name));
    }
    call
}

#[tokio::test]
async fn every_catalogue_api_reaches_its_method_and_path_with_the_standard_headers() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"rsp_code": "00000", "rsp_msg": "성공"})),
        )
        .mount(&server)
        .await;
    let client = Client::new("OPERAT0001");
    let mut sent = Vec::new();
    for api in CATALOGUE {
        let call = complete_call(api);
        client.send(&server.uri(), &call).await.unwrap_or_else(|e| panic!("{}: {e}", api.id));
        sent.push(api);
    }
    let received = server.received_requests().await.expect("recording is on");
    assert_eq!(received.len(), CATALOGUE.len(), "one request per API");
    for (api, request) in sent.into_iter().zip(received) {
        let expected_path = match api.industries.first() {
            Some(&industry) => api.path(industry).replace("{card_id}", "v-card_id"),
            None => api.resource.to_owned(),
        };
        assert_eq!(request.url.path(), expected_path, "{}", api.id);
        assert_eq!(request.method.as_str(), api.method.as_str(), "{}", api.id);
        let header = |name: &str| request.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        let tran_id: TranId = header("x-api-tran-id").expect("x-api-tran-id").parse().expect("well-formed");
        assert_eq!(tran_id.org_code(), "OPERAT0001");
        let wants = |name: &str| api.fields().request.iter().any(|f| f.location == Location::Header && f.name == name);
        assert_eq!(header("authorization").is_some(), wants("Authorization"), "{} Authorization", api.id);
        if api.group == Group::Info {
            assert_eq!(header("x-api-type").as_deref(), Some("scheduled"), "{}", api.id);
        }
        // Every required parameter travelled where the standard puts it.
        let carried: BTreeMap<String, String> = match api.method {
            Method::Get => request.url.query_pairs().into_owned().collect(),
            Method::Post if request.url.path().contains("/oauth/2.0/") => {
                url_form(&String::from_utf8(request.body.clone()).unwrap())
            }
            Method::Post => serde_json::from_slice(&request.body).expect("JSON body"),
        };
        for field in api.fields().request.iter().filter(|f| f.required) {
            match field.location {
                Location::Query | Location::Body => {
                    assert_eq!(
                        carried.get(&field.name),
                        Some(&format!("v-{}", field.name)),
                        "{} {}",
                        api.id,
                        field.name
                    )
                }
                Location::Path => assert!(request.url.path().contains(&format!("v-{}", field.name))),
                Location::Header | Location::Redirect => {}
            }
        }
    }
}

fn url_form(text: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

#[tokio::test]
async fn an_information_api_of_another_industry_is_refused_before_sending() {
    let client = Client::new("OPERAT0001");
    let call = Call::by_id("은행-001").industry(mydata_spec::Industry::Card).api_type(ApiType::Scheduled);
    let error = client.send("http://127.0.0.1:9", &call).await.unwrap_err();
    assert_eq!(error.code_label(), "request", "{error}");
}
