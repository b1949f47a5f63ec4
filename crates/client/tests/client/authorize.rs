//! 개별인증-001's two methods (ch.3.2.1.1 ④): the web method's 302 to the provider's page and the
//! app method's 200 JSON naming the provider's app, each read as the standard describes it; an
//! answer that is neither is refused with the field it lacks.

use mydata_client::{AuthorizeAnswer, AuthorizeRequest, Client, ClientError, ProviderApp};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REQUEST: AuthorizeRequest<'static> = AuthorizeRequest {
    org_code: "BANK000001",
    client_id: "client",
    redirect_uri: "https://operator.example/callback",
    app_scheme: "operator://back",
    state: "state1",
    user_ci: "CI1",
};

async fn answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oauth/2.0/authorize"))
        .and(query_param("response_type", "code"))
        .and(query_param("app_scheme", "operator://back"))
        .and(header("x-user-ci", "CI1"))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    server
}

fn app_body() -> serde_json::Value {
    json!({
        "org_code": "BANK000001",
        "app_scheme_iOS": "bankapp://auth?session=1",
        "install_url_iOS": "https://apps.apple.com/app/bank",
        "app_scheme_android": "bankapp://auth?session=1",
        "install_url_android": "https://play.google.com/store/apps/details?id=bank",
    })
}

#[tokio::test]
async fn the_web_method_gives_the_page_to_open() {
    let server =
        answering(ResponseTemplate::new(302).insert_header("location", "https://bank.example/consent/1")).await;
    let answer = Client::new("OPERAT0001").authorize(&server.uri(), &REQUEST).await.unwrap();
    assert_eq!(answer, AuthorizeAnswer::Web { url: "https://bank.example/consent/1".into() });
    assert_eq!(answer.page(), Some("https://bank.example/consent/1"));
}

#[tokio::test]
async fn the_app_method_gives_the_provider_s_app_and_its_install_urls() {
    let server = answering(ResponseTemplate::new(200).set_body_json(app_body())).await;
    let answer = Client::new("OPERAT0001").authorize(&server.uri(), &REQUEST).await.unwrap();
    let expected = ProviderApp {
        org_code: "BANK000001".into(),
        app_scheme_ios: "bankapp://auth?session=1".into(),
        install_url_ios: "https://apps.apple.com/app/bank".into(),
        app_scheme_android: "bankapp://auth?session=1".into(),
        install_url_android: "https://play.google.com/store/apps/details?id=bank".into(),
    };
    assert_eq!(answer, AuthorizeAnswer::App(expected));
    assert_eq!(answer.page(), None);
}

#[tokio::test]
async fn an_app_answer_without_a_required_field_is_malformed() {
    let mut body = app_body();
    body.as_object_mut().unwrap().remove("install_url_android");
    let server = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let error = Client::new("OPERAT0001").authorize(&server.uri(), &REQUEST).await.unwrap_err();
    assert!(
        matches!(&error, ClientError::Malformed { problem, .. } if problem.contains("install_url_android")),
        "{error}"
    );
}

#[tokio::test]
async fn a_refusal_is_the_provider_s_error() {
    let body = json!({"error": "invalid_request", "error_description": "redirect_uri is not registered"});
    let server = answering(ResponseTemplate::new(400).set_body_json(body)).await;
    let error = Client::new("OPERAT0001").authorize(&server.uri(), &REQUEST).await.unwrap_err();
    assert!(matches!(&error, ClientError::OAuth { status: 400, error, .. } if error == "invalid_request"), "{error}");
}
