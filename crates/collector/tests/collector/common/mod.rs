//! Real provider servers in-process with generated data, and an operator whose customers hold
//! consents at every one of them.

use chrono::{Days, NaiveDate, Utc};
use mydata_client::Credentials;
use mydata_collector::store::ProviderRow;
use mydata_collector::{Collector, CollectorConfig, OperatorStore};
use mydata_domain::PeriodRule;
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_provider::tokens::issue_pair;
use mydata_provider::{Provider, ProviderConfig, demo_orgs, router};
use mydata_spec::wire::stringify;
use mydata_spec::{ApiKind, ApiType, Industry, ScopeRule};
use mydata_store::testing::TestDatabase;
use mydata_store::{Backend, SqlStore, prelude::*};
use mydata_testdata::{CustomerData, Generator, Institution, Person, demo_people};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub const OPERATOR: &str = "OPERAT0001";
pub const CLIENT_ID: &str = "operatorclient1";
pub const CLIENT_SECRET: &str = "operatorsecret1";

/// One provider server answering for one institution of every industry, over SQLite.
pub struct Providers {
    pub base: String,
    pub store: Arc<SqlStore>,
    pub provider: Arc<Provider>,
    /// What was generated, by (org_code, customer_id).
    pub data: HashMap<(String, String), CustomerData>,
    pub consents: HashMap<(String, String), Consent>,
    pub people: Vec<Person>,
    _db: TestDatabase,
}

pub fn today() -> NaiveDate {
    mydata_collector::rules::korean_today()
}

pub async fn providers(people: Vec<Person>) -> Providers {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = Arc::new(db.open().await.expect("provider database"));
    let config = ProviderConfig { orgs: demo_orgs(), lifetimes: Default::default() };
    let provider = Provider::new(store.clone(), config).await.expect("provider");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    store
        .upsert_client(&mydata_store::Client {
            client_id: CLIENT_ID.into(),
            client_secret_hash: mydata_provider::oauth::hash_client_secret(CLIENT_SECRET),
            org_code: OPERATOR.into(),
            client_name: "collector tests".into(),
            redirect_uris: vec!["https://operator.example/callback".into()],
            app_schemes: None,
            updated_at: 0,
        })
        .await
        .unwrap();
    let generator = Generator::new(7, today());
    let mut data = HashMap::new();
    for org in demo_orgs() {
        let institution = Institution { org_code: org.org_code.clone(), industry: org.industry };
        for who in &people {
            let generated = generator.customer(&institution, who);
            generated.write(store.as_ref()).await.expect("write test data");
            data.insert((org.org_code.clone(), who.customer_id.clone()), generated);
        }
    }
    Providers { base, store, provider, data, consents: HashMap::new(), people, _db: db }
}

pub fn people(n: usize) -> Vec<Person> {
    demo_people().into_iter().take(n).collect()
}

/// A throwaway operator database on `backend`.
pub async fn operator(backend: Backend) -> (TestDatabase, OperatorStore) {
    let db = TestDatabase::new(backend).await;
    let store = OperatorStore::on(&db.open().await.expect("operator database"));
    (db, store)
}

pub fn collector(store: &OperatorStore) -> Collector {
    let mut config = CollectorConfig::new(OPERATOR);
    config.provider_concurrency = 4;
    Collector::new(store.clone(), config)
}

pub fn credentials() -> Credentials {
    Credentials { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() }
}

impl Providers {
    /// Every person consents at every institution to everything, all their assets included, and
    /// the operator records the token pair (as after 개별인증-002).
    pub async fn consent_everywhere(&mut self, operator: &OperatorStore) {
        self.consent_everywhere_with(operator, "1/w").await
    }

    /// [`Providers::consent_everywhere`] with `cycle` as fnd_cycle and add_cycle.
    pub async fn consent_everywhere_with(&mut self, operator: &OperatorStore, cycle: &str) {
        let now = Utc::now().timestamp();
        for org in demo_orgs() {
            operator
                .upsert_provider(
                    &ProviderRow {
                        org_code: org.org_code.clone(),
                        industry: org.industry.to_string(),
                        base_url: self.base.clone(),
                        client_id: CLIENT_ID.into(),
                        client_secret: CLIENT_SECRET.into(),
                    },
                    now,
                )
                .await
                .unwrap();
            for who in self.people.clone() {
                let data = &self.data[&(org.org_code.clone(), who.customer_id.clone())];
                let scopes: Vec<String> = mydata_domain::scope::scopes_of(org.industry).into_iter().collect();
                let consent = Consent {
                    consent_id: uuid::Uuid::new_v4().to_string(),
                    org_code: org.org_code.clone(),
                    customer_id: who.customer_id.clone(),
                    client_id: CLIENT_ID.into(),
                    scopes: scopes.join(" ").parse().expect("the industry's scopes"),
                    assets: data
                        .assets
                        .iter()
                        .map(|a| mydata_spec::AssetId::of(&a.list_api, a.asset_key.clone()).unwrap())
                        .collect(),
                    is_scheduled: true,
                    fnd_cycle: Some(cycle.into()),
                    add_cycle: Some(cycle.into()),
                    end_date: today() + Days::new(365),
                    purpose: "자산관리".into(),
                    period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
                    options: ConsentOptions { trans_memo: true, merchant_name_regno: true, trans_category: true },
                    status: ConsentStatus::Active,
                    created_at: now,
                };
                self.store.insert_consent(&consent).await.unwrap();
                let pair = issue_pair(self.store.as_ref(), &self.provider.keys, &consent, Default::default(), now)
                    .await
                    .unwrap();
                let tokens = pair.into_operator_tokens(consent.scopes.to_string());
                operator.upsert_link(&who.customer_id, &org.org_code, &tokens, now).await.unwrap();
                self.consents.insert((org.org_code.clone(), who.customer_id.clone()), consent);
            }
        }
    }
}

/// A JSON value with object keys sorted, every scalar as the wire's text, for comparison.
pub fn canonical(value: &Value) -> Value {
    let mut value = value.clone();
    stringify(&mut value);
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let sorted: BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, sort(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect::<Map<_, _>>())
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(&value)
}

fn without(value: &Value, field: &str) -> Value {
    let mut value = value.clone();
    if let Value::Object(map) = &mut value {
        map.remove(field);
    }
    canonical(&value)
}

/// Asserts that what the operator holds for (org, customer) is exactly the provider's data: every
/// asset of every asset list, every history entry of the collected period (no more, no fewer, no
/// duplicates), and every detail answer.
pub async fn assert_collected_equals_provider(
    providers: &Providers,
    operator: &OperatorStore,
    org: &str,
    customer: &str,
) {
    let data = &providers.data[&(org.to_owned(), customer.to_owned())];
    let industry: Industry = mydata_provider::demo_orgs().into_iter().find(|o| o.org_code == org).unwrap().industry;
    let collected = operator.resources(customer, org).await.unwrap();
    for api in mydata_spec::catalogue::info_apis(industry).filter(|a| a.scope != ScopeRule::None) {
        let ours: Vec<_> = collected.iter().filter(|r| r.api_id == api.id).collect();
        if api.kind() == ApiKind::AssetList {
            let mut theirs: Vec<Value> =
                data.assets.iter().filter(|a| a.list_api == api.id).map(|a| without(&a.item, "is_consent")).collect();
            let mut got: Vec<Value> =
                ours.iter().filter(|r| !r.item_key.is_empty()).map(|r| without(&r.body, "is_consent")).collect();
            theirs.sort_by_key(Value::to_string);
            got.sort_by_key(Value::to_string);
            assert_eq!(got, theirs, "{org} {customer} {}: asset list", api.id);
            continue;
        }
        // History entries of the first collection's period (user-consent), as entries of their own or
        // inside a collected answer's list.
        // The first collection's period (user-consent), for APIs that take one.
        let from = PeriodRule::of(api, Some(ApiType::UserConsent), today())
            .map(|rule| rule.next(None, today()).from.format("%Y%m%d").to_string());
        let mut theirs: Vec<Value> = data
            .history
            .iter()
            .filter(|h| h.api_id == api.id)
            // Only dated histories are asked for a period; paged details (IRP-003, 금투-004) are whole.
            .filter(|h| from.as_deref().is_none_or(|from| h.occurred.get(..8).is_some_and(|day| day >= from)))
            .map(|h| canonical(&h.body))
            .collect();
        if !theirs.is_empty() {
            let list = mydata_client::list_field(api).expect("a history API has a list");
            let mut got: Vec<Value> = Vec::new();
            for row in &ours {
                match row.body.get(list).and_then(Value::as_array) {
                    Some(items) if row.item_key.is_empty() => got.extend(items.iter().map(canonical)),
                    _ if row.item_key.is_empty() => {}
                    _ => got.push(canonical(&row.body)),
                }
            }
            theirs.sort_by_key(Value::to_string);
            // With two payment sequences a bill's details (카드-005) are filed under its seqno and
            // again under its month alone; the collector, asking by seqno, gets each one once.
            theirs.dedup();
            got.sort_by_key(Value::to_string);
            let their_subjects: Vec<&str> =
                data.history.iter().filter(|h| h.api_id == api.id).map(|h| h.subject_key.as_str()).collect();
            let our_subjects: Vec<&str> = ours.iter().map(|r| r.subject_key.as_str()).collect();
            assert_eq!(
                got.len(),
                theirs.len(),
                "{org} {customer} {}: history entries; provider subjects {their_subjects:?}, collected {our_subjects:?}",
                api.id
            );
            assert_eq!(got, theirs, "{org} {customer} {}: history entries", api.id);
        }
        // Detail answers: every stored document's fields, as collected.
        let documents: Vec<&mydata_store::Document> = data.documents.iter().filter(|d| d.api_id == api.id).collect();
        let answers: Vec<Value> = ours.iter().filter(|r| r.item_key.is_empty()).map(|r| canonical(&r.body)).collect();
        for document in &documents {
            let expected = canonical(&document.body);
            let found = answers.iter().any(|answer| {
                expected.as_object().unwrap().iter().all(|(k, v)| answer.get(k) == Some(v) || v.is_array())
            });
            assert!(found, "{org} {customer} {}: document {} not collected", api.id, document.subject_key);
        }
    }
}
