//! Shared by the information-API test files: a provider seeded by `mydata-testdata`, consents for the
//! demo customers, and requests built from the field data for any API.

use crate::common::*;
use chrono::{Days, Months, NaiveDate, Utc};
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_spec::AssetId;
use mydata_spec::catalogue::{ApiSpec, Method};
use mydata_spec::subject;
use mydata_spec::{Industry, RspCode};
use mydata_store::{AssetRow, Backend, Document, HistoryRow, prelude::*};
use mydata_testdata::{CustomerData, Generator, Institution, demo_people};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

pub const CUSTOMER: &str = "demo1";
pub const OTHER_CUSTOMER: &str = "demo2";

pub fn korean_today() -> NaiveDate {
    mydata_spec::time::korean_date(Utc::now())
}

/// A spawned provider over every demo institution, with the demo customers' generated data.
pub struct Seeded {
    pub app: TestApp,
    pub generator: Generator,
    /// What was written for each demo customer at each institution, by (org_code, customer_id).
    pub data: HashMap<(String, String), CustomerData>,
}

pub fn institutions() -> Vec<Institution> {
    mydata_provider::demo_orgs()
        .into_iter()
        .map(|o| Institution { org_code: o.org_code, industry: o.industry })
        .collect()
}

pub fn org_code(industry: Industry) -> String {
    institutions().into_iter().find(|o| o.industry == industry).unwrap().org_code
}

pub async fn seeded(backend: Backend) -> Seeded {
    let app = spawn(backend).await;
    let mut generator = Generator::new(7, korean_today());
    generator.max_rows = 12;
    let mut data = HashMap::new();
    for who in demo_people() {
        for org in institutions() {
            let generated = generator.customer(&org, &who);
            generated.write(app.store.as_ref()).await.unwrap();
            data.insert((org.org_code.clone(), who.customer_id.clone()), generated);
        }
    }
    Seeded { app, generator, data }
}

/// Every scope an information API of `industry` can need, space-separated.
pub fn all_scopes(industry: Industry) -> String {
    mydata_domain::scope::scopes_of(industry).into_iter().collect::<Vec<_>>().join(" ")
}

/// A bank deposit account of 은행-001, as the tests' own accounts are.
pub fn bank_account(key: &str) -> AssetId {
    AssetId::of("은행-001", key).unwrap()
}

pub fn consent_record(industry: Industry, customer: &str, scopes: &str, assets: Vec<AssetId>) -> Consent {
    Consent {
        consent_id: uuid::Uuid::new_v4().to_string(),
        org_code: org_code(industry),
        customer_id: customer.into(),
        client_id: "client-1".into(),
        scopes: scopes.parse().unwrap(),
        assets: assets.into_iter().collect(),
        is_scheduled: true,
        fnd_cycle: Some("1/w".into()),
        add_cycle: Some("1/w".into()),
        end_date: in_a_year(),
        purpose: "통합자산조회 서비스 제공".into(),
        period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        options: ConsentOptions { trans_memo: true, merchant_name_regno: true, trans_category: true },
        status: ConsentStatus::Active,
        created_at: Utc::now().timestamp(),
    }
}

impl Seeded {
    pub fn of(&self, industry: Industry, customer: &str) -> &CustomerData {
        &self.data[&(org_code(industry), customer.to_owned())]
    }

    /// The customer's asset keys at the institution of `industry`.
    pub fn asset_keys(&self, industry: Industry, customer: &str) -> Vec<AssetId> {
        self.of(industry, customer)
            .assets
            .iter()
            .map(|a| AssetId::of(&a.list_api, a.asset_key.clone()).unwrap())
            .collect()
    }

    /// A consent of `customer` for every scope and every asset of the industry, all options chosen.
    pub async fn full_consent(&self, industry: Industry, customer: &str) -> (Consent, String) {
        let consent = consent_record(industry, customer, &all_scopes(industry), self.asset_keys(industry, customer));
        let (consent, pair) = self.app.issue(consent).await;
        (consent, pair.access_token)
    }

    /// A request for `api` about the first subject the customer has data for.
    pub fn request(&self, api: &'static ApiSpec, industry: Industry, customer: &str) -> Call {
        Call::for_subject(api, industry, self.subject(api, industry, customer))
    }

    /// The subject key of the first stored answer of `api` for the customer, else of its first asset.
    pub fn subject(&self, api: &'static ApiSpec, industry: Industry, customer: &str) -> String {
        let data = self.of(industry, customer);
        let stored = data
            .documents
            .iter()
            .map(|d| (&d.api_id, &d.subject_key))
            .chain(data.history.iter().map(|h| (&h.api_id, &h.subject_key)))
            .find(|(id, _)| id.as_str() == api.id)
            .map(|(_, key)| key.clone());
        stored.unwrap_or_else(|| match api.asset_list(industry) {
            Some(list) => data.assets.iter().find(|a| a.list_api == list.id).unwrap().asset_key.clone(),
            None if subject::qualifiers_of(api).any(|q| q == "charge_month") => {
                format!("{customer}|{}", (korean_today() - Months::new(1)).format("%Y%m"))
            }
            None => customer.to_owned(),
        })
    }

    pub fn send(&self, call: &Call, token: Option<&str>, api_type: &str) -> reqwest::RequestBuilder {
        let builder = match call.api.method {
            Method::Get => {
                let query: Vec<(String, String)> = call
                    .params
                    .iter()
                    .filter(|(k, _)| !call.path_params.contains(k))
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect();
                self.app.get(&call.path()).query(&query)
            }
            Method::Post => self.app.post(&call.path()).json(&call.params),
        };
        let builder = builder.header("x-api-type", api_type);
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends and returns status and body.
    pub async fn call(&self, call: &Call, token: Option<&str>, api_type: &str) -> (u16, Value) {
        let response = self.send(call, token, api_type).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Sends and asserts the status and rsp_code of `code`.
    pub async fn expect(&self, call: &Call, token: Option<&str>, code: RspCode) -> Value {
        let (status, body) = self.call(call, token, "user-consent").await;
        assert_eq!(
            (status, body["rsp_code"].as_str()),
            (code.http_status(), Some(code.code())),
            "{} {call:?}: {body}",
            call.api.id
        );
        body
    }
}

/// One request for one API, built from its request fields.
#[derive(Debug, Clone)]
pub struct Call {
    pub api: &'static ApiSpec,
    pub industry: Industry,
    pub params: Map<String, Value>,
    /// Parameters that travel in the path (카드-002's `{card_id}`).
    pub path_params: Vec<String>,
}

/// The period every success test asks for: within the 12 months a user-consent call may span.
pub fn period() -> (NaiveDate, NaiveDate) {
    let today = korean_today();
    (today - Days::new(360), today)
}

impl Call {
    pub fn for_subject(api: &'static ApiSpec, industry: Industry, subject_key: String) -> Call {
        let mut params = Map::new();
        params.insert("org_code".into(), json!(org_code(industry)));
        if api.kind() == mydata_spec::ApiKind::ApiList {
            params.insert("client_id".into(), json!("client1"));
        }
        let mut parts = subject_key.split(subject::SEPARATOR);
        let base = parts.next().unwrap_or_default().to_owned();
        if let Some(key) = api.resource_key() {
            params.insert(key.into(), json!(base));
        }
        let used = subject::qualifiers_of(api)
            .filter(|q| *q == "charge_month" || api.fields().request_field(q).is_some_and(|f| f.required));
        for (qualifier, value) in used.zip(parts) {
            params.insert(qualifier.into(), json!(value));
        }
        if api.takes_search_timestamp() {
            params.insert("search_timestamp".into(), json!("0"));
        }
        if api.pages() {
            params.insert("limit".into(), json!("500"));
        }
        let (from, to) = period();
        if api.takes_date_range() {
            params.insert("from_date".into(), json!(from.format("%Y%m%d").to_string()));
            params.insert("to_date".into(), json!(to.format("%Y%m%d").to_string()));
        }
        if api.takes_month_range() {
            params.insert("from_month".into(), json!((to - Months::new(6)).format("%Y%m").to_string()));
            params.insert("to_month".into(), json!(to.format("%Y%m").to_string()));
        }
        let path_params = api
            .resource
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        Call { api, industry, params, path_params }
    }

    pub fn path(&self) -> String {
        let mut path = self.api.path(self.industry);
        for name in &self.path_params {
            let value = self.params.get(name).and_then(Value::as_str).unwrap_or_default();
            path = path.replace(&format!("{{{name}}}"), value);
        }
        path
    }

    pub fn with(mut self, name: &str, value: &str) -> Call {
        self.params.insert(name.into(), json!(value));
        self
    }

    pub fn without(mut self, name: &str) -> Call {
        self.params.remove(name);
        self
    }

    /// The subject key the provider files this request's answer under.
    pub fn subject_key(&self, customer: &str) -> String {
        let base = match self.api.resource_key() {
            Some(key) => self.params[key].as_str().unwrap().to_owned(),
            None => customer.to_owned(),
        };
        let qualifiers = subject::qualifiers_of(self.api).map(|q| (q, self.params.get(q).and_then(Value::as_str)));
        subject::subject_key(&base, qualifiers)
    }

    pub fn kind(&self) -> mydata_spec::ApiKind {
        self.api.kind()
    }
}

pub const BANK_ORG: &str = "BANK000001";

/// A deposit account of `customer` with `rows` transactions, one a day back from today.
pub async fn deposit_account(app: &TestApp, customer: &str, account: &str, rows: usize) {
    app.customer(BANK_ORG, customer).await;
    let asset = AssetRow {
        org_code: BANK_ORG.into(),
        list_api: "은행-001".into(),
        asset_key: account.into(),
        customer_id: customer.into(),
        sort_key: account.into(),
        item: json!({"account_num": account, "prod_name": "한빛 자유입출금통장", "account_type": "1001", "account_status": "01"}),
        updated_at: Utc::now().timestamp() - 3600,
    };
    app.store.upsert_assets(&[asset]).await.unwrap();
    let document = Document {
        org_code: BANK_ORG.into(),
        api_id: "은행-002".into(),
        subject_key: account.into(),
        customer_id: customer.into(),
        body: json!({"basic_cnt": "1", "basic_list": [{"saving_method": "01", "issue_date": "20200101"}]}),
        updated_at: Utc::now().timestamp() - 3600,
    };
    app.store.upsert_documents(&[document]).await.unwrap();
    app.store.upsert_history(&transactions(customer, account, 0..rows)).await.unwrap();
}

/// Transactions numbered `range`, number n on the n-th day before today (newest first by number).
pub fn transactions(customer: &str, account: &str, range: std::ops::Range<usize>) -> Vec<HistoryRow> {
    let today = korean_today();
    range
        .map(|n| {
            let at = format!("{}120000", (today - Days::new(n as u64 / 3)).format("%Y%m%d"));
            HistoryRow {
                org_code: BANK_ORG.into(),
                api_id: "은행-004".into(),
                subject_key: account.into(),
                sort_key: format!("{at}|{:05}", 99_999 - n),
                customer_id: customer.into(),
                occurred: at.clone(),
                body: json!({"trans_dtime": at, "trans_no": format!("T{n}"), "trans_type": "01", "trans_class": "입금",
                             "trans_amt": "1000", "balance_amt": "5000", "trans_memo": "월급"}),
            }
        })
        .collect()
}
