//! Our own provider, in process, over a throwaway database, with one customer per industry whose
//! data comes from the test-data generator (crates/testdata): every list, document and history
//! the provider serves, so the suite has something to exercise for every API.

pub mod proxy;

use chrono::{Days, NaiveDate, Utc};
use mydata_conformance::{Target, Tokens};
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_provider::oauth::hash_client_secret;
use mydata_provider::tokens::{IssuedPair, issue_pair};
use mydata_provider::{Provider, ProviderConfig, ServedOrg, demo_orgs, router};
use mydata_spec::{AssetId, Industry, catalogue};
use mydata_store::testing::TestDatabase;
use mydata_store::{AssetRow, Backend, Client, SqlStore, prelude::*};
use mydata_testdata::{CustomerData, Generator, Institution, Person, demo_people};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const CLIENT_ID: &str = "conformanceclient";

/// The customer whose data the suite reads: the first demo customer.
fn customer() -> Person {
    demo_people().remove(0)
}

pub struct OwnProvider {
    pub base: String,
    pub store: Arc<SqlStore>,
    pub provider: Arc<Provider>,
    _db: TestDatabase,
}

pub async fn spawn(backend: Backend) -> OwnProvider {
    let db = TestDatabase::new(backend).await;
    let store = Arc::new(db.open().await.expect("open test database"));
    let config = ProviderConfig { orgs: demo_orgs(), lifetimes: Default::default() };
    let provider = Provider::new(store.clone(), config).await.expect("provider");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    OwnProvider { base, store, provider, _db: db }
}

/// Fills one institution with the test-data generator's data for one customer, plus one more asset
/// at the end of every asset list that the consent leaves out. Returns the generated asset keys,
/// which the consent covers.
pub async fn seed(store: &dyn Store, org: &ServedOrg) -> Vec<AssetId> {
    let institution = Institution { org_code: org.org_code.clone(), industry: org.industry };
    let data = (0..100)
        .map(|seed| Generator::new(seed, Utc::now().date_naive()).customer(&institution, &customer()))
        .find(|data| answers_every_keyed_api(data, org.industry))
        .expect("a seed under 100 gives an asset of every kind");
    data.write(store).await.expect("write test data");
    let consented: Vec<AssetId> =
        data.assets.iter().map(|a| AssetId::of(&a.list_api, a.asset_key.clone()).unwrap()).collect();
    let mut last_of_list: BTreeMap<&str, &AssetRow> = BTreeMap::new();
    for asset in &data.assets {
        let last = last_of_list.entry(asset.list_api.as_str()).or_insert(asset);
        if asset.sort_key > last.sort_key {
            *last = asset;
        }
    }
    let outside: Vec<AssetRow> = last_of_list.into_values().map(|last| unconsented_copy(last, &consented)).collect();
    store.upsert_assets(&outside).await.expect("write the unconsented assets");
    consented
}

/// Whether some asset has an answer for every API naming one (an operating lease for 할부금융-005, …),
/// so the suite can exercise each.
fn answers_every_keyed_api(data: &CustomerData, industry: Industry) -> bool {
    catalogue::info_apis(industry)
        .filter(|api| api.resource_key().is_some())
        .all(|api| data.documents.iter().any(|d| d.api_id == api.id) || data.history.iter().any(|h| h.api_id == api.id))
}

/// A copy of `asset` under a new key of the same length, sorted after it.
fn unconsented_copy(asset: &AssetRow, taken: &[AssetId]) -> AssetRow {
    let stem: String = asset.asset_key.chars().take(asset.asset_key.chars().count() - 1).collect();
    let key =
        (0..10).map(|d| format!("{stem}{d}")).find(|k| !taken.iter().any(|t| &t.key == k)).expect("a free last digit");
    let mut item = asset.item.clone();
    if let Some(map) = item.as_object_mut() {
        for value in map.values_mut() {
            if value.as_str() == Some(asset.asset_key.as_str()) {
                *value = serde_json::Value::String(key.clone());
            }
        }
    }
    AssetRow { asset_key: key, sort_key: format!("{}~", asset.sort_key), item, ..asset.clone() }
}

impl OwnProvider {
    /// Records a consent and issues a token pair for it, as the authorization server would.
    pub async fn token_pair(&self, org: &ServedOrg, scopes: &str, assets: &[AssetId]) -> (Consent, IssuedPair) {
        let consent = Consent {
            consent_id: uuid::Uuid::new_v4().to_string(),
            org_code: org.org_code.clone(),
            customer_id: customer().customer_id,
            client_id: CLIENT_ID.into(),
            scopes: scopes.parse().unwrap(),
            assets: assets.iter().cloned().collect(),
            is_scheduled: true,
            fnd_cycle: Some("1/w".into()),
            add_cycle: Some("1/w".into()),
            end_date: Utc::now().date_naive() + Days::new(365),
            purpose: "자산관리".into(),
            period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            options: ConsentOptions::default(),
            status: ConsentStatus::Active,
            created_at: Utc::now().timestamp(),
        };
        self.store.insert_consent(&consent).await.unwrap();
        let pair =
            issue_pair(self.store.as_ref(), &self.provider.keys, &consent, Default::default(), Utc::now().timestamp())
                .await
                .unwrap();
        (consent, pair)
    }

    async fn token(&self, org: &ServedOrg, scopes: &str, assets: &[AssetId]) -> (Consent, String) {
        let (consent, pair) = self.token_pair(org, scopes, assets).await;
        (consent, pair.access_token)
    }

    /// Registers the suite's client with `secret`, so it can use the token endpoint.
    pub async fn register_client(&self, org: &ServedOrg, secret: &str) {
        let client = Client {
            client_id: CLIENT_ID.into(),
            client_secret_hash: hash_client_secret(secret),
            org_code: org.org_code.clone(),
            client_name: "conformance suite".into(),
            redirect_uris: Vec::new(),
            app_schemes: None,
            updated_at: Utc::now().timestamp(),
        };
        self.store.upsert_client(&client).await.expect("register the client");
    }

    /// Seeds the institution and returns the suite's target for it, with all three tokens.
    pub async fn target(&self, org: &ServedOrg) -> Target {
        let consented = seed(self.store.as_ref(), org).await;
        let every_scope = mydata_domain::scope::scopes_of(org.industry).into_iter().collect::<Vec<_>>().join(" ");
        let (_, access) = self.token(org, &every_scope, &consented).await;
        let (_, narrow) = self.token(org, &format!("{}.list", org.industry), &consented).await;
        let (revoked_consent, revoked) = self.token(org, &every_scope, &consented).await;
        self.store.revoke_tokens_of_consent(&revoked_consent.consent_id).await.unwrap();
        Target {
            base_url: self.base.clone(),
            org_code: org.org_code.clone(),
            industry: org.industry,
            client_id: CLIENT_ID.into(),
            tokens: Tokens { access: Some(access), revoked: Some(revoked), narrow: Some(narrow) },
        }
    }

    /// Targets for every institution the provider serves.
    pub async fn targets(&self) -> Vec<Target> {
        let mut targets = Vec::new();
        for org in &self.provider.config.orgs {
            targets.push(self.target(org).await);
        }
        targets
    }

    pub fn org(&self, industry: Industry) -> ServedOrg {
        self.provider.org_for(industry).expect("every industry is served").clone()
    }
}

/// Options for in-process runs: no rate limit, a budget large enough for every industry.
pub fn fast() -> mydata_conformance::Options {
    mydata_conformance::Options { max_requests: 10_000, requests_per_second: 0.0, ..Default::default() }
}
