//! The scenarios: real tokens under real consents, over a generated dataset, through the provider's
//! full pipeline (JWT verification, token record, consent, scope, store read).

use crate::loadgen::{self, Load, Measured};
use anyhow::{Context, bail};
use axum::Router;
use axum::body::Bytes;
use axum::routing::any;
use chrono::{Days, NaiveDate, Utc};
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_provider::tokens::issue_pair;
use mydata_provider::{Provider, ProviderConfig, ServedOrg};
use mydata_spec::{Industry, IssuerType, TranId};
use mydata_store::{AssetRow, HistoryRow, SqlStore, Store};
use mydata_testdata::{Generator, Institution, everyone, write_people};
use std::sync::Arc;
use std::time::Instant;

const BANK: &str = "BANK000001";
const CARD: &str = "CARD000001";
const CLIENT: &str = "bench-client";
const DEEP_CUSTOMER: &str = "bench-deep";
const DEEP_ACCOUNT: &str = "99900000000001";
/// Transactions of the deep-paging account: 10 a page, so page 100 exists with room to spare.
const DEEP_ROWS: usize = 1_500;

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub database: String,
    /// Customers to generate when the database has none yet.
    pub customers: u64,
    /// Customers that get consents and tokens (the load rotates over them).
    pub token_holders: usize,
    pub load: Load,
    pub seed: u64,
}

/// One line of the result.
#[derive(Debug, Clone)]
pub struct Report {
    pub scenario: String,
    pub measured: Measured,
    pub ceiling: Option<Measured>,
}

/// A request a scenario sends: method, path (with query), headers, body; the same request is sent to
/// the ceiling server, which answers it with the provider's own answer, recorded beforehand.
#[derive(Clone)]
struct Call {
    post: bool,
    /// The route template the path matches (the ceiling serves it).
    route: &'static str,
    path: String,
    token: Option<String>,
    api_type: &'static str,
    body: Option<serde_json::Value>,
}

fn tran_id() -> String {
    TranId::generate("OPERAT0001", IssuerType::Operator).to_string()
}

fn request(http: &reqwest::Client, base: &str, call: &Call) -> reqwest::RequestBuilder {
    let url = format!("{base}{}", call.path);
    let mut builder = if call.post { http.post(url) } else { http.get(url) };
    builder = builder.header("x-api-tran-id", tran_id()).header("x-api-type", call.api_type);
    if let Some(token) = &call.token {
        builder = builder.bearer_auth(token);
    }
    if let Some(body) = &call.body {
        builder = builder.json(body);
    }
    builder
}

async fn send(http: &reqwest::Client, base: &str, call: &Call) -> bool {
    match request(http, base, call).send().await {
        Ok(response) => {
            let ok = response.status().is_success();
            ok && response.bytes().await.is_ok()
        }
        Err(_) => false,
    }
}

async fn serve(router: Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(base)
}

/// A customer with tokens for the bank and card scenarios.
struct Holder {
    bank_token: String,
    deposit_account: Option<String>,
    card: Option<(String, String)>,
}

async fn consent_and_token(
    provider: &Provider,
    org: &str,
    customer: &str,
    scopes: &str,
    assets: Vec<String>,
) -> anyhow::Result<String> {
    let today = Utc::now().date_naive();
    let consent = Consent {
        consent_id: uuid::Uuid::new_v4().to_string(),
        org_code: org.into(),
        customer_id: customer.into(),
        client_id: CLIENT.into(),
        scopes: scopes.parse().context("scopes")?,
        assets: assets.into_iter().collect(),
        is_scheduled: false,
        fnd_cycle: None,
        add_cycle: None,
        end_date: today + Days::new(365),
        purpose: "벤치마크".into(),
        period: NaiveDate::from_ymd_opt(9999, 12, 31).context("date")?,
        options: ConsentOptions::default(),
        status: ConsentStatus::Active,
        created_at: Utc::now().timestamp(),
    };
    provider.store.insert_consent(&consent).await?;
    let pair =
        issue_pair(provider.store.as_ref(), &provider.keys, &consent, Default::default(), Utc::now().timestamp())
            .await?;
    Ok(pair.access_token)
}

async fn assets_of(store: &dyn Store, org: &str, list_api: &str, customer: &str) -> anyhow::Result<Vec<AssetRow>> {
    Ok(store.asset_page(org, list_api, customer, None, 500).await?.items)
}

/// Gives the first `count` customers consents and tokens.
async fn holders(provider: &Provider, count: usize) -> anyhow::Result<Vec<Holder>> {
    let customers = provider.store.customers(BANK).await?;
    let mut holders = Vec::new();
    for customer in customers.iter().take(count) {
        let id = &customer.customer_id;
        let accounts = assets_of(provider.store.as_ref(), BANK, "은행-001", id).await?;
        let deposit = accounts
            .iter()
            .find(|a| a.item["account_type"].as_str().is_some_and(|t| t.starts_with('1')))
            .map(|a| a.asset_key.clone());
        let keys = accounts.iter().map(|a| a.asset_key.clone()).collect();
        let bank_token = consent_and_token(provider, BANK, id, "bank.list bank.deposit", keys).await?;
        let cards = assets_of(provider.store.as_ref(), CARD, "카드-001", id).await?;
        let card = match cards.first() {
            Some(card) => {
                let token =
                    consent_and_token(provider, CARD, id, "card.list card.card", vec![card.asset_key.clone()]).await?;
                Some((token, card.asset_key.clone()))
            }
            None => None,
        };
        holders.push(Holder { bank_token, deposit_account: deposit, card });
    }
    if holders.is_empty() {
        bail!("no customers at {BANK}: the dataset is empty");
    }
    Ok(holders)
}

/// An account with enough transactions that page 100 exists, for the deep-paging scenario.
async fn deep_account(provider: &Provider) -> anyhow::Result<String> {
    let store = provider.store.as_ref();
    let template = store.customers(BANK).await?.into_iter().next().context("a customer to copy the account from")?;
    let accounts = assets_of(store, BANK, "은행-001", &template.customer_id).await?;
    let account = accounts.first().context("an account to copy")?;
    let mut customer = template.clone();
    customer.customer_id = DEEP_CUSTOMER.into();
    customer.ci = format!("BENCH-CI-{DEEP_CUSTOMER}");
    store.upsert_customer(&customer).await?;
    let mut item = account.item.clone();
    item["account_num"] = serde_json::json!(DEEP_ACCOUNT);
    item["account_type"] = serde_json::json!("1001");
    store
        .upsert_assets(&[AssetRow {
            asset_key: DEEP_ACCOUNT.into(),
            customer_id: DEEP_CUSTOMER.into(),
            sort_key: format!("1001{DEEP_ACCOUNT:0>20}"),
            item,
            ..account.clone()
        }])
        .await?;
    let start = Utc::now().date_naive() - Days::new(300);
    let rows: Vec<HistoryRow> = (0..DEEP_ROWS)
        .map(|i| {
            let day = start + Days::new((i / 5) as u64);
            let dtime = format!("{}{:02}0000", day.format("%Y%m%d"), 9 + i % 5);
            HistoryRow {
                org_code: BANK.into(),
                api_id: "은행-004".into(),
                subject_key: DEEP_ACCOUNT.into(),
                sort_key: format!("{dtime}{i:06}"),
                customer_id: DEEP_CUSTOMER.into(),
                occurred: dtime.clone(),
                body: serde_json::json!({
                    "trans_dtime": dtime, "trans_no": format!("T{i:08}"), "trans_type": "01", "trans_class": "입금",
                    "currency_code": "KRW", "trans_amt": format!("{}", 10_000 + i * 7), "balance_amt": format!("{}", 1_000_000 + i * 7),
                }),
            }
        })
        .collect();
    store.upsert_history(&rows).await?;
    consent_and_token(provider, BANK, DEEP_CUSTOMER, "bank.list bank.deposit", vec![DEEP_ACCOUNT.into()]).await
}

/// The `next_page` cursors of pages 1, 10 and 100 (page 1 has none).
async fn cursors(http: &reqwest::Client, base: &str, call: &Call) -> anyhow::Result<Vec<(usize, Option<String>)>> {
    let mut wanted = vec![(1, None)];
    let mut cursor: Option<String> = None;
    for page in 1..100 {
        let mut body = call.body.clone().context("history body")?;
        if let Some(c) = &cursor {
            body["next_page"] = serde_json::json!(c);
        }
        let answer: serde_json::Value =
            request(http, base, &Call { body: Some(body), ..call.clone() }).send().await?.json().await?;
        cursor = Some(
            answer["next_page"].as_str().with_context(|| format!("page {page} has no next_page: {answer}"))?.to_owned(),
        );
        if page + 1 == 10 || page + 1 == 100 {
            wanted.push((page + 1, cursor.clone()));
        }
    }
    Ok(wanted)
}

/// Records the provider's answer to `call` and serves it, byte for byte, at the same path from the
/// same server stack (tran-id layer included), with no authentication or store.
async fn ceiling_for(http: &reqwest::Client, provider_base: &str, call: &Call) -> anyhow::Result<String> {
    let response = request(http, provider_base, call).send().await?;
    if !response.status().is_success() {
        bail!("{} answered {}: {}", call.path, response.status(), response.text().await.unwrap_or_default());
    }
    let body = response.bytes().await?;
    let router = Router::new()
        .route(
            call.route,
            any(move || {
                let body: Bytes = body.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, mydata_web::error::JSON_UTF8)], body) }
            }),
        )
        .layer(axum::middleware::from_fn_with_state(
            mydata_web::tran_id::TranIdIssuer { org_code: BANK.into(), issuer: IssuerType::Provider },
            mydata_web::tran_id::echo,
        ));
    serve(router).await
}

async fn measure(load: Load, base: String, calls: Arc<Vec<Call>>) -> Measured {
    let http = client(load.connections);
    loadgen::run(load, move |worker, sequence| {
        let (http, base, calls) = (http.clone(), base.clone(), calls.clone());
        async move {
            let call = &calls[(worker * 7919 + sequence as usize) % calls.len()];
            send(&http, &base, call).await
        }
    })
    .await
}

fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(connections).build().expect("a plain HTTP client builds")
}

/// Runs one scenario against the provider and, for single-route scenarios, against its ceiling.
async fn scenario(name: &str, load: Load, provider_base: &str, calls: Vec<Call>) -> anyhow::Result<Report> {
    let single_route = calls.iter().all(|c| c.route == calls[0].route);
    let ceiling_base = match single_route {
        true => Some(ceiling_for(&client(1), provider_base, &calls[0]).await?),
        false => None,
    };
    tracing::info!(scenario = name, "measuring");
    let calls = Arc::new(calls);
    let measured = measure(load, provider_base.to_owned(), calls.clone()).await;
    let ceiling = match ceiling_base {
        Some(base) => Some(measure(load, base, calls).await),
        None => None,
    };
    Ok(Report { scenario: name.to_owned(), measured, ceiling })
}

/// Seconds to generate the dataset, or `None` when it already existed.
pub async fn dataset(
    store: &dyn Store,
    customers: u64,
    seed: u64,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Option<f64>> {
    if !store.customers(BANK).await?.is_empty() {
        return Ok(None);
    }
    let orgs = [(BANK, Industry::Bank), (CARD, Industry::Card)]
        .map(|(code, industry)| Institution { org_code: code.into(), industry })
        .to_vec();
    let started = Instant::now();
    let generator = Generator::new(seed, Utc::now().date_naive());
    write_people(store, &generator, &orgs, everyone(seed, customers), 200, &mut progress).await?;
    Ok(Some(started.elapsed().as_secs_f64()))
}

/// Generates (if needed) the dataset, starts the provider and measures every scenario.
pub async fn run(config: &BenchConfig, progress: impl FnMut(u64)) -> anyhow::Result<(Option<f64>, Vec<Report>)> {
    let store: Arc<dyn Store> = Arc::new(SqlStore::open(&config.database).await?);
    let generated = dataset(store.as_ref(), config.customers, config.seed, progress).await?;
    let orgs = vec![
        ServedOrg { org_code: BANK.into(), industry: Industry::Bank },
        ServedOrg { org_code: CARD.into(), industry: Industry::Card },
    ];
    let provider = Provider::new(store.clone(), ProviderConfig { orgs, lifetimes: Default::default() }).await?;
    let base = serve(mydata_provider::router(provider.clone())).await?;
    let holders = holders(&provider, config.token_holders).await?;
    let deep_token = deep_account(&provider).await?;
    let today = Utc::now().date_naive();
    let ymd = |d: NaiveDate| d.format("%Y%m%d").to_string();

    let accounts: Vec<Call> = holders
        .iter()
        .map(|h| Call {
            post: false,
            route: "/v1/bank/accounts",
            path: format!("/v1/bank/accounts?org_code={BANK}&limit=20"),
            token: Some(h.bank_token.clone()),
            api_type: "user-refresh",
            body: None,
        })
        .collect();
    let details: Vec<Call> = holders
        .iter()
        .filter_map(|h| {
            Some(Call {
                post: true,
                route: "/v1/bank/accounts/deposit/basic",
                path: "/v1/bank/accounts/deposit/basic".into(),
                token: Some(h.bank_token.clone()),
                api_type: "user-refresh",
                body: Some(serde_json::json!({"org_code": BANK, "account_num": h.deposit_account.clone()?, "search_timestamp": "0"})),
            })
        })
        .collect();
    let approvals: Vec<Call> = holders
        .iter()
        .filter_map(|h| {
            let (token, card) = h.card.clone()?;
            Some(Call {
                post: false,
                route: "/v1/card/cards/{card_id}/approval-domestic",
                path: format!(
                    "/v1/card/cards/{card}/approval-domestic?org_code={CARD}&from_date={}&to_date={}&limit=20",
                    ymd(today - Days::new(300)),
                    ymd(today)
                ),
                token: Some(token),
                api_type: "user-refresh",
                body: None,
            })
        })
        .collect();
    let history = Call {
        post: true,
        route: "/v1/bank/accounts/deposit/transactions",
        path: "/v1/bank/accounts/deposit/transactions".into(),
        token: Some(deep_token),
        api_type: "user-search",
        body: Some(serde_json::json!({
            "org_code": BANK, "account_num": DEEP_ACCOUNT, "from_date": ymd(today - Days::new(330)),
            "to_date": ymd(today), "limit": "10",
        })),
    };

    let load = config.load;
    let mut reports = vec![
        scenario("은행-001 account list", load, &base, accounts.clone()).await?,
        scenario("은행-002 deposit detail", load, &base, details.clone()).await?,
    ];
    for (page, cursor) in cursors(&client(1), &base, &history).await? {
        let mut body = history.body.clone().context("history body")?;
        if let Some(cursor) = cursor {
            body["next_page"] = serde_json::json!(cursor);
        }
        let call = Call { body: Some(body), ..history.clone() };
        reports.push(scenario(&format!("은행-004 transactions, page {page}"), load, &base, vec![call]).await?);
    }
    if !approvals.is_empty() {
        reports.push(scenario("카드-008 domestic approvals", load, &base, approvals.clone()).await?);
    }
    // The mix: weighted as an operator's traffic is (lists and details dominate).
    let mut mix = Vec::new();
    for (calls, weight) in [(&accounts, 4), (&details, 3), (&approvals, 2)] {
        for _ in 0..weight {
            mix.extend(calls.iter().cloned());
        }
    }
    mix.push(history.clone());
    reports.push(scenario("mix (lists, details, approvals, history)", load, &base, mix).await?);
    Ok((generated, reports))
}
