//! The read API, black-box over HTTP: after a collection from real providers (in-process), its
//! answers are what the providers serve for the consented assets — every asset of every institution,
//! every history entry page by page — and nothing is answered without the bearer secret.

use crate::collector_common as common;

use common::canonical;
use mydata_client::list_field;
use mydata_collector::rules::{date_text, next_period};
use mydata_provider::demo_orgs;
use mydata_spec::ApiType;
use mydata_spec::catalogue::info_apis;
use mydata_store::Backend;
use serde_json::Value;
use std::collections::BTreeMap;

const SECRET: &str = "read-api-test-secret-0123456789";

async fn serve(store: mydata_collector::OperatorStore) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client = mydata_client::Client::new(common::OPERATOR);
    let router = mydata_operator::read_api::routes(store, client, SECRET.into(), vec!["signed-in".into()]);
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

fn without_consent_flag(value: &Value) -> Value {
    let mut value = value.clone();
    if let Value::Object(map) = &mut value {
        map.remove("is_consent");
    }
    canonical(&value)
}

async fn get(http: &reqwest::Client, url: &str) -> Value {
    let response = http.get(url).bearer_auth(SECRET).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.unwrap()
}

/// Every entry of one history, read page by page.
async fn history(
    http: &reqwest::Client,
    base: &str,
    customer: &str,
    org: &str,
    api: &str,
    subject: &str,
) -> Vec<Value> {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20");
    let path = format!("{base}/api/customers/{customer}/assets/{org}/{}/{}", encode(api), encode(subject));
    let mut entries = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(after) => format!("{path}?limit=3&after={}", encode(after)),
            None => format!("{path}?limit=3"),
        };
        let page = get(http, &url).await;
        let items = page["entries"].as_array().unwrap();
        assert!(items.len() <= 3, "a page holds at most the limit");
        entries.extend(items.iter().map(|e| e["data"].clone()));
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return entries,
        }
    }
}

async fn answers_match_what_the_providers_serve(backend: Backend) {
    let mut providers = common::providers(common::people(2)).await;
    let (_db, store) = common::operator(backend).await;
    providers.consent_everywhere(&store).await;
    let summary = common::collector(&store).run().await.unwrap();
    assert_eq!(summary.units_failed, 0, "{summary:?}");
    let base = serve(store).await;
    let http = reqwest::Client::new();
    let today = common::today();

    for person in providers.people.clone() {
        let customer = person.customer_id.as_str();
        let held = get(&http, &format!("{base}/api/customers/{customer}/assets")).await;
        let assets = held["assets"].as_array().unwrap();
        assert_eq!(held["asset_cnt"], assets.len().to_string());
        for org in demo_orgs() {
            let data = &providers.data[&(org.org_code.clone(), customer.to_owned())];
            let ours: Vec<&Value> = assets.iter().filter(|a| a["org_code"] == org.org_code.as_str()).collect();
            assert!(ours.iter().all(|a| a["industry"] == org.industry.as_str()));
            // Every consented asset, as its list answered it.
            let mut theirs: Vec<(String, Value)> =
                data.assets.iter().map(|a| (a.list_api.to_string(), without_consent_flag(&a.item))).collect();
            let mut got: Vec<(String, Value)> = ours
                .iter()
                .map(|a| (a["api_id"].as_str().unwrap().to_owned(), without_consent_flag(&a["data"])))
                .collect();
            theirs.sort_by_key(|(api, v)| format!("{api}{v}"));
            got.sort_by_key(|(api, v)| format!("{api}{v}"));
            assert_eq!(got, theirs, "{customer} at {}: assets", org.org_code);

            // Every history entry of the collected period, by API, whichever asset it is about.
            let mut read: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            let refs = ours
                .iter()
                .flat_map(|a| a["histories"].as_array().unwrap().iter())
                .chain(held["histories"].as_array().unwrap().iter().filter(|h| h["org_code"] == org.org_code.as_str()));
            for h in refs {
                let (api, subject) = (h["api_id"].as_str().unwrap(), h["subject_key"].as_str().unwrap());
                let entries = history(&http, &base, customer, &org.org_code, api, subject).await;
                read.entry(api.to_owned()).or_default().extend(entries.iter().map(canonical));
            }
            for api in info_apis(org.industry).filter(|a| a.period_unit().is_some() && list_field(a).is_some()) {
                let from =
                    date_text(next_period(api, ApiType::UserConsent, None, today).expect("a dated history").from);
                let mut expected: Vec<Value> = data
                    .history
                    .iter()
                    .filter(|h| h.api_id == api.id && h.occurred.get(..8).is_some_and(|day| day >= from.as_str()))
                    .map(|h| canonical(&h.body))
                    .collect();
                let mut got = read.remove(api.id).unwrap_or_default();
                expected.sort_by_key(Value::to_string);
                got.sort_by_key(Value::to_string);
                assert_eq!(got, expected, "{customer} at {}: {} entries", org.org_code, api.id);
            }
        }
        // Latest data: a balance (or other detail) about every bank deposit account collected.
        let bank_details =
            assets.iter().filter(|a| a["org_code"] == "BANK000001").map(|a| a["details"].as_array().unwrap().len());
        assert!(bank_details.sum::<usize>() > 0, "details of the bank's assets");
    }

    // Refused without the secret, or with another.
    let url = format!("{base}/api/customers/{}/assets", providers.people[0].customer_id);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(http.get(&url).bearer_auth("not-the-secret").send().await.unwrap().status(), 401);
    let history_url = format!("{base}/api/customers/{}/assets/BANK000001/x/y", providers.people[0].customer_id);
    assert_eq!(http.get(&history_url).send().await.unwrap().status(), 401);

    // With the secret: an API the standard has not is named, a limit it cannot read is refused,
    // and what the framework refuses is answered in the same JSON.
    let refused = |url: String| {
        let http = http.clone();
        async move {
            let response = http.get(&url).bearer_auth(SECRET).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_owned())
        }
    };
    let customer = &providers.people[0].customer_id;
    let (status, error) = refused(format!("{base}/api/customers/{customer}/assets/BANK000001/은행-999/y")).await;
    assert_eq!(status, 404);
    assert!(error.contains("은행-999 is not an API"), "{error}");
    let (status, error) =
        refused(format!("{base}/api/customers/{customer}/assets/BANK000001/은행-004/y?limit=x")).await;
    assert_eq!((status, error.as_str()), (400, "limit must be 1 to 500"));
    let (status, error) =
        refused(format!("{base}/api/customers/{customer}/assets/BANK000001/은행-004/y?limit=1&limit=2")).await;
    assert_eq!(status, 400, "{error}");
    // A customer who never gave the operator a consent is not one of its customers, not one with nothing collected.
    // A customer signed in to the operator has nothing collected before their first consent.
    let held = get(&http, &format!("{base}/api/customers/signed-in/assets")).await;
    assert_eq!((held["asset_cnt"].as_str(), held["assets"].as_array().map(Vec::len)), (Some("0"), Some(0)));
    let (status, error) = refused(format!("{base}/api/customers/nobody/assets")).await;
    assert_eq!((status, error.as_str()), (404, "nobody is not a customer of this operator"));
    let (status, error) = refused(format!("{base}/api/customers/nobody/assets/BANK000001/은행-004/y")).await;
    assert_eq!((status, error.as_str()), (404, "nobody is not a customer of this operator"));
}

#[tokio::test]
async fn answers_match_what_the_providers_serve_sqlite() {
    answers_match_what_the_providers_serve(Backend::Sqlite).await;
}

#[tokio::test]
async fn answers_match_what_the_providers_serve_postgres() {
    answers_match_what_the_providers_serve(Backend::Postgres).await;
}
