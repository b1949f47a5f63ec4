//! The scenarios: real tokens under real consents, over a generated dataset, through the provider's
//! full pipeline (JWT verification, token record, consent, scope, store read).

use crate::loadgen::{self, Load, Measured};
use crate::operator::OPERATOR_ORG;
use anyhow::{Context, bail};
use axum::Router;
use axum::body::Bytes;
use axum::routing::any;
use chrono::{Days, NaiveDate, Utc};
use mydata_client::Payload;
use mydata_domain::{Consent, ConsentOptions, ConsentStatus};
use mydata_provider::limits::RateLimits;
use mydata_provider::tokens::{IssuedPair, Lifetimes, issue_pair};
use mydata_provider::{Provider, ProviderConfig, ServedOrg};
use mydata_spec::{ApiSpec, ApiType, AssetId, AssetKind, Industry, IssuerType, KnownApi, TranId};
use mydata_store::{AssetRow, AuthorizationCode, ConsentRecord, Customer, HistoryRow, SqlStore, Store};
use mydata_testdata::{Generator, Institution, everyone, write_people};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub(crate) const BANK: &str = "BANK000001";
pub(crate) const CARD: &str = "CARD000001";
/// The asset lists the scenarios read: a bank's accounts (은행-001) and a card company's cards (카드-001).
const BANK_ACCOUNTS: KnownApi = KnownApi::BankAccounts;
const CARDS: KnownApi = KnownApi::CardList;
pub(crate) const CLIENT: &str = "benchclient";
pub(crate) const CLIENT_SECRET: &str = "benchclientsecret0123456789";
const REDIRECT_URI: &str = "https://operator.invalid/callback";
const DEEP_CUSTOMER: &str = "bench-deep";
const DEEP_ACCOUNT: &str = "99900000000001";
/// Tokens revoked through one instance and watched on the other (on PostgreSQL).
const REVOCATION_ROUNDS: usize = 50;
/// Transactions of the deep-paging account: 10 a page, so page 100 exists with room to spare.
const DEEP_ROWS: usize = 1_500;

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub database: String,
    /// The provider's PostgreSQL connections for reads (`None`: the store's default).
    pub postgres_read_connections: Option<u32>,
    /// Customers to generate when the database has none yet.
    pub customers: u64,
    /// Customers that get consents and tokens (the load rotates over them); as many others get
    /// refresh tokens for the refresh scenario.
    pub token_holders: usize,
    /// Authorization codes prepared for the token-issue scenario (each is redeemed once).
    pub codes: usize,
    /// Also measure Stoplight Prism mocking the provider's OpenAPI description (needs `npx`).
    pub prism: bool,
    /// Only the scenarios whose name contains this.
    pub only: Option<String>,
    /// Also measure each scenario with the log quieted (see [`Report::logs_off`]).
    pub logs_off: bool,
    /// How to start `mydata serve` processes: on PostgreSQL, one and two of them on the database
    /// are measured, and a revocation through one is timed on the other. `None` leaves those out.
    pub processes: Option<crate::instances::Processes>,
    pub load: Load,
    /// Runs each scenario's duration is split into, taken in turn with its logs-off run and its
    /// ceiling, so that a drift of the machine's speed touches all three alike.
    pub rounds: u32,
    pub seed: u64,
}

/// One line of the result.
#[derive(Debug, Clone)]
pub struct Report {
    pub scenario: String,
    pub measured: Measured,
    pub ceiling: Measured,
    /// The same requests answered by Prism's mock of our OpenAPI description.
    pub prism: Option<Measured>,
    /// The same scenario with the log quieted to warnings (no access log), when the process logs
    /// through [`mydata_web::logging::init`].
    pub logs_off: Option<Measured>,
}

/// What [`run`] measured.
#[derive(Debug, Clone)]
pub struct Results {
    /// Seconds to generate the dataset, `None` when it existed.
    pub generated: Option<f64>,
    pub reports: Vec<Report>,
    /// On PostgreSQL, how soon a second instance refuses a token revoked through the first.
    pub revocation: Option<crate::instances::RevocationTimes>,
}

/// A request a scenario sends, as the client prepares it from the catalogue: route, path and query or
/// body, headers. The same request is sent to the ceiling server, which answers it with the
/// provider's own answer, recorded beforehand.
pub(crate) type Call = mydata_client::Prepared;

/// `call` prepared for the load, which sends it many times.
pub(crate) fn prepared(call: mydata_client::Call) -> anyhow::Result<Call> {
    call.prepare().with_context(|| "the benchmark's call does not fit its API's table")
}

/// A call of the information API `api` at `industry` over `token`, as a customer-present refresh
/// would send it.
pub(crate) fn info(api: &'static ApiSpec, industry: Industry, token: &str) -> mydata_client::Call {
    mydata_client::Call::new(api).industry(industry).bearer(token).api_type(ApiType::UserRefresh)
}

/// A token-endpoint call (개별인증-002/003) of `form`.
fn token_endpoint(api: KnownApi, form: &[(&str, &str)]) -> anyhow::Result<Call> {
    prepared(form.iter().fold(mydata_client::Call::new(api.spec()), |call, (name, value)| call.param(*name, *value)))
}

/// `call` with `name` set in its JSON body.
fn with_json_field(call: &Call, name: &str, value: &str) -> anyhow::Result<Call> {
    let Payload::Json(mut body) = call.body.clone() else { bail!("{} has no JSON body", call.path) };
    body.insert(name.into(), value.into());
    Ok(Call { body: Payload::Json(body), ..call.clone() })
}

/// How a scenario picks the next call of its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    /// Round the list, each call many times (reads).
    Rotate,
    /// Each call once, in order (authorization codes are single-use); the run ends when they do.
    Once,
}

pub(crate) fn tran_id() -> String {
    TranId::generate(OPERATOR_ORG, IssuerType::Operator).to_string()
}

pub(crate) fn request(http: &reqwest::Client, base: &str, call: &Call) -> reqwest::RequestBuilder {
    call.request(http, base, &tran_id())
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

pub(crate) async fn serve(router: Router) -> anyhow::Result<String> {
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

fn consent(org: &str, customer: &str, scopes: &str, assets: Vec<AssetId>) -> anyhow::Result<Consent> {
    let today = mydata_spec::time::korean_date(Utc::now());
    Ok(Consent {
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
    })
}

async fn consent_and_pair(
    provider: &Provider,
    org: &str,
    customer: &str,
    scopes: &str,
    assets: Vec<AssetId>,
) -> anyhow::Result<IssuedPair> {
    let consent = consent(org, customer, scopes, assets)?;
    provider.store.insert_consent(&consent).await?;
    Ok(issue_pair(provider.store.as_ref(), &provider.keys, &consent, provider.config.lifetimes, Utc::now().timestamp())
        .await?)
}

pub(crate) async fn consent_and_token(
    provider: &Provider,
    org: &str,
    customer: &str,
    scopes: &str,
    assets: Vec<AssetId>,
) -> anyhow::Result<String> {
    Ok(consent_and_pair(provider, org, customer, scopes, assets).await?.access_token)
}

fn asset_id(row: &AssetRow) -> anyhow::Result<AssetId> {
    Ok(AssetId::of(&row.list_api, row.asset_key.clone())?)
}

/// The kind of asset a listed row is (a deposit account, …).
fn listed_kind(row: &AssetRow) -> Option<AssetKind> {
    let list = mydata_spec::catalogue::api(&row.list_api)?;
    Some(list.classify(|name| row.item.get(name).and_then(serde_json::Value::as_str)).kind)
}

async fn assets_of(store: &dyn Store, org: &str, list_api: &str, customer: &str) -> anyhow::Result<Vec<AssetRow>> {
    Ok(store.asset_page(org, list_api, customer, None, 500).await?.items)
}

/// Gives `customers` consents and tokens.
async fn holders(provider: &Provider, customers: &[Customer]) -> anyhow::Result<Vec<Holder>> {
    let mut holders = Vec::new();
    for customer in customers {
        let id = &customer.customer_id;
        let accounts = assets_of(provider.store.as_ref(), BANK, BANK_ACCOUNTS.id(), id).await?;
        let deposit = accounts.iter().find(|a| listed_kind(a) == Some(AssetKind::Deposit)).map(|a| a.asset_key.clone());
        let keys = accounts.iter().map(asset_id).collect::<anyhow::Result<_>>()?;
        let bank_token = consent_and_token(provider, BANK, id, "bank.list bank.deposit", keys).await?;
        let cards = assets_of(provider.store.as_ref(), CARD, CARDS.id(), id).await?;
        let card = match cards.first() {
            Some(card) => {
                let token = consent_and_token(provider, CARD, id, "card.list card.card", vec![asset_id(card)?]).await?;
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

/// The operator's client at the bank, as the registry would have put it there.
pub(crate) async fn register_client(store: &dyn Store) -> anyhow::Result<()> {
    store
        .upsert_client(&mydata_store::Client {
            client_id: CLIENT.into(),
            client_secret_hash: mydata_provider::oauth::hash_client_secret(CLIENT_SECRET),
            org_code: OPERATOR_ORG.into(),
            client_name: "벤치마크".into(),
            redirect_uris: vec![REDIRECT_URI.into()],
            app_schemes: None,
            updated_at: Utc::now().timestamp(),
        })
        .await?;
    Ok(())
}

/// 개별인증-002 requests, one per authorization code: each of `customers` consents on the consent
/// page's behalf and gets a code, redeemed once by the scenario.
async fn code_redemptions(provider: &Provider, customers: &[Customer]) -> anyhow::Result<Vec<Call>> {
    let now = Utc::now().timestamp();
    let mut calls = Vec::with_capacity(customers.len());
    for customer in customers {
        let consent = consent(BANK, &customer.customer_id, "bank.list", Vec::new())?;
        let code = uuid::Uuid::new_v4().simple().to_string();
        let record = AuthorizationCode {
            code_digest: mydata_provider::oauth::digest(&code),
            consent_id: consent.consent_id.clone(),
            client_id: CLIENT.into(),
            redirect_uri: REDIRECT_URI.into(),
            created_at: now,
            // The codes wait for the scenario, longer than a customer's would.
            expires_at: now + 3_600,
            redeemed_at: None,
            pair_id: None,
        };
        let written =
            ConsentRecord { consent: &consent, closes_session: None, code: Some(&record), tokens: &[], nonces: &[] };
        if let Err(refusal) = provider.store.record_consent(&written, now).await? {
            bail!("the benchmark's consent was refused: {refusal:?}");
        }
        calls.push(token_endpoint(
            KnownApi::IssueToken,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("org_code", BANK),
                ("client_id", CLIENT),
                ("client_secret", CLIENT_SECRET),
            ],
        )?);
    }
    Ok(calls)
}

/// 개별인증-003 requests, one refresh token per customer of `customers`.
async fn refreshes(provider: &Provider, customers: &[Customer]) -> anyhow::Result<Vec<Call>> {
    let mut calls = Vec::with_capacity(customers.len());
    for customer in customers {
        let pair = consent_and_pair(provider, BANK, &customer.customer_id, "bank.list", Vec::new()).await?;
        calls.push(token_endpoint(
            KnownApi::RefreshToken,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &pair.refresh_token),
                ("org_code", BANK),
                ("client_id", CLIENT),
                ("client_secret", CLIENT_SECRET),
            ],
        )?);
    }
    Ok(calls)
}

/// An account with enough transactions that page 100 exists, for the deep-paging scenario.
async fn deep_account(provider: &Provider) -> anyhow::Result<String> {
    let store = provider.store.as_ref();
    let template = store.customers(BANK).await?.into_iter().next().context("a customer to copy the account from")?;
    let accounts = assets_of(store, BANK, BANK_ACCOUNTS.id(), &template.customer_id).await?;
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
    consent_and_token(
        provider,
        BANK,
        DEEP_CUSTOMER,
        "bank.list bank.deposit",
        vec![AssetId::of(BANK_ACCOUNTS.id(), DEEP_ACCOUNT)?],
    )
    .await
}

/// The `next_page` cursors of pages 1, 10 and 100 (page 1 has none).
async fn cursors(http: &reqwest::Client, base: &str, call: &Call) -> anyhow::Result<Vec<(usize, Option<String>)>> {
    let mut wanted = vec![(1, None)];
    let mut cursor: Option<String> = None;
    for page in 1..100 {
        let paged = match &cursor {
            Some(c) => with_json_field(call, "next_page", c)?,
            None => call.clone(),
        };
        let answer: serde_json::Value = request(http, base, &paged).send().await?.json().await?;
        cursor = Some(
            answer["next_page"].as_str().with_context(|| format!("page {page} has no next_page: {answer}"))?.to_owned(),
        );
        if page + 1 == 10 || page + 1 == 100 {
            wanted.push((page + 1, cursor.clone()));
        }
    }
    Ok(wanted)
}

/// Serves each body as the answer to every request on its route, from the same server stack
/// (tran-id layer included), with no authentication or store.
async fn serve_canned(answers: Vec<(String, Bytes)>) -> anyhow::Result<String> {
    let router = answers
        .into_iter()
        .fold(Router::new(), |router, (route, body)| {
            router.route(
                &route,
                any(move || {
                    let body: Bytes = body.clone();
                    async move { ([(axum::http::header::CONTENT_TYPE, mydata_web::error::JSON_UTF8)], body) }
                }),
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            mydata_web::tran_id::TranIdIssuer { org_code: BANK.into(), issuer: IssuerType::Provider },
            mydata_web::tran_id::echo,
        ));
    serve(router).await
}

/// Records the provider's answer to the first of `calls` on each route and serves it, byte for
/// byte, at that route ([`serve_canned`]).
async fn ceiling_for(http: &reqwest::Client, provider_base: &str, calls: &[Call]) -> anyhow::Result<String> {
    let mut answers: Vec<(String, Bytes)> = Vec::new();
    for call in calls {
        if answers.iter().any(|(route, _)| *route == call.route) {
            continue;
        }
        let response = request(http, provider_base, call).send().await?;
        if !response.status().is_success() {
            bail!("{} answered {}: {}", call.path, response.status(), response.text().await.unwrap_or_default());
        }
        answers.push((call.route.clone(), response.bytes().await?));
    }
    serve_canned(answers).await
}

/// Servers a scenario's calls go to, each connection of the load to one of them in turn, with the
/// connections kept open between the runs it is measured in.
pub(crate) struct Target {
    bases: Arc<Vec<String>>,
    http: reqwest::Client,
    calls: Arc<Vec<Call>>,
    pick: Pick,
    /// With [`Pick::Once`], the next call not sent yet.
    next: Arc<AtomicUsize>,
}

impl Target {
    pub(crate) fn new(bases: &[String], calls: Arc<Vec<Call>>, pick: Pick, connections: usize) -> Target {
        let (bases, http) = (Arc::new(bases.to_vec()), client(connections));
        Target { bases, http, calls, pick, next: Arc::new(AtomicUsize::new(0)) }
    }

    /// Measures one of `runs_left` runs under `load`. With [`Pick::Once`] the run sends its share of
    /// the calls not sent yet, every one measured (no warm-up: each call is single-use).
    pub(crate) async fn measure(&self, load: Load, runs_left: u32) -> Measured {
        let load = match self.pick {
            Pick::Rotate => load,
            Pick::Once => {
                let left = self.calls.len().saturating_sub(self.next.load(Ordering::Relaxed));
                let share = left.div_ceil(runs_left.max(1) as usize).min(load.max_requests as usize);
                // Each worker may send one call past the cap: the cap leaves room for that.
                Load { warmup: Duration::ZERO, max_requests: share.saturating_sub(load.connections) as u64, ..load }
            }
        };
        let (http, bases, calls, next, pick) =
            (self.http.clone(), self.bases.clone(), self.calls.clone(), self.next.clone(), self.pick);
        loadgen::run(load, move |worker, sequence| {
            let (http, bases, calls, next) = (http.clone(), bases.clone(), calls.clone(), next.clone());
            async move {
                let base = &bases[worker % bases.len()];
                let index = match pick {
                    Pick::Rotate => (worker * 7919 + sequence as usize) % calls.len(),
                    Pick::Once => next.fetch_add(1, Ordering::Relaxed),
                };
                match calls.get(index) {
                    Some(call) => send(&http, base, call).await,
                    None => false,
                }
            }
        })
        .await
    }
}

fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(connections).build().expect("a plain HTTP client builds")
}

/// Where and how the scenarios are measured.
struct Bench<'a> {
    load: Load,
    /// Runs each scenario is measured in, alternating with its logs-off run and its ceiling.
    rounds: u32,
    /// The provider's instances: one, or two sharing a database.
    provider_bases: &'a [String],
    logs_off: bool,
    /// Only scenarios whose name contains this are measured (`--only`, e.g. for a profile).
    only: Option<&'a str>,
}

impl Bench<'_> {
    fn wanted(&self, name: &str) -> bool {
        self.only.is_none_or(|only| name.contains(only))
    }

    /// [`scenario`] unless `--only` leaves it out.
    async fn run(&self, name: &str, calls: Vec<Call>, pick: Pick) -> anyhow::Result<Option<Report>> {
        if !self.wanted(name) {
            return Ok(None);
        }
        Ok(Some(self.scenario(name, calls, pick).await?))
    }

    /// Runs one scenario against the provider (logs as configured, then quieted) and its ceiling.
    async fn scenario(&self, name: &str, mut calls: Vec<Call>, pick: Pick) -> anyhow::Result<Report> {
        let provider_base = &self.provider_bases[0];
        let ceiling_base = match pick {
            Pick::Rotate => ceiling_for(&client(1), provider_base, &calls).await?,
            // A single-use call gives the ceiling its answer and is not measured again.
            Pick::Once => {
                let sacrificed = calls.pop().context("a call to record the ceiling's answer")?;
                ceiling_for(&client(1), provider_base, std::slice::from_ref(&sacrificed)).await?
            }
        };
        tracing::info!(scenario = name, "measuring");
        // Single-use calls are shared out between the two runs.
        let quiet_calls = match (self.logs_off, pick) {
            (true, Pick::Once) => Some(calls.split_off(calls.len() / 2)),
            (true, Pick::Rotate) => Some(calls.clone()),
            (false, _) => None,
        };
        let connections = self.load.connections;
        let calls = Arc::new(calls);
        let provider = Target::new(self.provider_bases, calls.clone(), pick, connections);
        let quiet = quiet_calls.map(|calls| Target::new(self.provider_bases, Arc::new(calls), pick, connections));
        // The ceiling answers anything on its routes: rotating over the same calls measures the same requests.
        let bare = Target::new(&[ceiling_base], calls, Pick::Rotate, connections);
        // This machine's speed drifts by more than what is compared within a scenario; measured in
        // turns, the provider, its logs-off run and its ceiling each get their share of every phase.
        let rounds = self.rounds.max(1);
        let turn = Load { duration: self.load.duration / rounds, warmup: self.load.warmup / rounds, ..self.load };
        let (mut measured, mut ceiling) = (Measured::none(), Measured::none());
        let mut logs_off = quiet.as_ref().map(|_| Measured::none());
        for round in 0..rounds {
            measured.add(&provider.measure(turn, rounds - round).await);
            if let (Some(quiet), Some(logs_off)) = (&quiet, &mut logs_off) {
                mydata_web::logging::set_quiet(true);
                logs_off.add(&quiet.measure(turn, rounds - round).await);
                mydata_web::logging::set_quiet(false);
            }
            ceiling.add(&bare.measure(turn, rounds - round).await);
        }
        Ok(Report { scenario: name.to_owned(), measured, ceiling, prism: None, logs_off })
    }
}

/// The bank and the card company of the dataset.
pub(crate) fn dataset_institutions() -> Vec<Institution> {
    [(BANK, Industry::Bank), (CARD, Industry::Card)]
        .map(|(code, industry)| Institution { org_code: code.into(), industry })
        .to_vec()
}

/// Seconds to generate the dataset, or `None` when it already existed.
pub async fn dataset(
    store: &dyn Store,
    customers: u64,
    seed: u64,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Option<f64>> {
    if store.has_customers(BANK).await? {
        return Ok(None);
    }
    let orgs = dataset_institutions();
    let started = Instant::now();
    let generator = Generator::new(seed, mydata_spec::time::korean_date(Utc::now()));
    write_people(store, &generator, &orgs, everyone(seed, customers), 200, &mut progress).await?;
    Ok(Some(started.elapsed().as_secs_f64()))
}

/// The provider under measurement: the bank and the card company of the dataset. Refresh retries
/// get no grace, so that every refresh measured rotates the access token.
pub async fn provider(store: Arc<dyn Store>) -> anyhow::Result<Arc<Provider>> {
    let orgs = vec![
        ServedOrg { org_code: BANK.into(), industry: Industry::Bank },
        ServedOrg { org_code: CARD.into(), industry: Industry::Card },
    ];
    let lifetimes = Lifetimes { refresh_retry_grace_secs: 0, ..Lifetimes::default() };
    let provider = Provider::new(store, ProviderConfig { orgs, lifetimes }).await?;
    // One client from one address, far beyond the production quotas: capacity is measured.
    provider.set_rate_limits(RateLimits::OFF);
    Ok(provider)
}

/// Generates (if needed) the dataset, starts the provider and measures every scenario.
pub async fn run(config: &BenchConfig, progress: impl FnMut(u64)) -> anyhow::Result<Results> {
    let store = SqlStore::open_with(&config.database, config.postgres_read_connections).await?;
    // As `mydata serve` does: revocations through other instances reach this one at once.
    store.listen_for_revocations().await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let generated = dataset(store.as_ref(), config.customers, config.seed, progress).await?;
    let provider = provider(store.clone()).await?;
    register_client(store.as_ref()).await?;
    let base = serve(mydata_provider::router(provider.clone())).await?;
    // Separate customers for each kind of token, so that no scenario retires another's tokens.
    let mut customers = store.customers(BANK).await?;
    // The deep-paging customer (of an earlier run on this database) has one account and no details.
    customers.retain(|c| c.customer_id != DEEP_CUSTOMER);
    let (holding, rest) = customers.split_at(config.token_holders.min(customers.len()));
    let (refreshing, rest) = rest.split_at(config.token_holders.min(rest.len()));
    let redeeming = &rest[..config.codes.min(rest.len())];
    let holders = holders(&provider, holding).await?;
    let deep_token = deep_account(&provider).await?;
    let today = mydata_spec::time::korean_date(Utc::now());
    let ymd = |d: NaiveDate| d.format("%Y%m%d").to_string();

    let bank_accounts = |token: &str| info(BANK_ACCOUNTS.spec(), Industry::Bank, token);
    let accounts: Vec<Call> = holders
        .iter()
        .map(|h| prepared(bank_accounts(&h.bank_token).param("org_code", BANK).param("limit", "20")))
        .collect::<anyhow::Result<_>>()?;
    let deposit_basic = mydata_spec::catalogue::api("은행-002").context("은행-002")?;
    let details: Vec<Call> = holders
        .iter()
        .filter_map(|h| {
            let call = info(deposit_basic, Industry::Bank, &h.bank_token)
                .param("org_code", BANK)
                .param("account_num", h.deposit_account.clone()?)
                .param("search_timestamp", "0");
            Some(prepared(call))
        })
        .collect::<anyhow::Result<_>>()?;
    let approvals: Vec<Call> = holders
        .iter()
        .filter_map(|h| {
            let (token, card) = h.card.clone()?;
            let call = info(KnownApi::CardDomesticApprovals.spec(), Industry::Card, &token)
                .param("card_id", card)
                .param("org_code", CARD)
                .param("from_date", ymd(today - Days::new(300)))
                .param("to_date", ymd(today))
                .param("limit", "20");
            Some(prepared(call))
        })
        .collect::<anyhow::Result<_>>()?;
    let deposit_transactions = mydata_spec::catalogue::api("은행-004").context("은행-004")?;
    let history = prepared(
        info(deposit_transactions, Industry::Bank, &deep_token)
            .api_type(ApiType::UserSearch)
            .param("org_code", BANK)
            .param("account_num", DEEP_ACCOUNT)
            .param("from_date", ymd(today - Days::new(330)))
            .param("to_date", ymd(today))
            .param("limit", "10"),
    )?;

    let load = config.load;
    let bases = [base.clone()];
    let bench = Bench {
        load,
        rounds: config.rounds,
        provider_bases: &bases,
        logs_off: config.logs_off,
        only: config.only.as_deref(),
    };
    let mut reports = Vec::new();
    if let Some(mut bank_list) = bench.run("은행-001 account list", accounts.clone(), Pick::Rotate).await? {
        if config.prism {
            bank_list.prism = crate::prism::measure_against(&base, load, &accounts[0]).await?;
        }
        reports.push(bank_list);
    }
    reports.extend(bench.run("은행-002 deposit detail", details.clone(), Pick::Rotate).await?);
    for (page, cursor) in cursors(&client(1), &base, &history).await? {
        let call = match cursor {
            Some(cursor) => with_json_field(&history, "next_page", &cursor)?,
            None => history.clone(),
        };
        reports.extend(bench.run(&format!("은행-004 transactions, page {page}"), vec![call], Pick::Rotate).await?);
    }
    if !approvals.is_empty() {
        reports.extend(bench.run("카드-008 domestic approvals", approvals.clone(), Pick::Rotate).await?);
    }
    const REFRESH: &str = "개별인증-003 token refresh";
    if bench.wanted(REFRESH) {
        reports.extend(bench.run(REFRESH, refreshes(&provider, refreshing).await?, Pick::Rotate).await?);
    }
    const ISSUE: &str = "개별인증-002 token issue";
    if bench.wanted(ISSUE) {
        let code_calls = code_redemptions(&provider, redeeming).await?;
        if code_calls.len() > load.connections + 1 {
            reports.extend(bench.run(ISSUE, code_calls, Pick::Once).await?);
        }
    }
    // The mix: weighted as an operator's traffic is (lists and details dominate).
    let mut mix = Vec::new();
    for (calls, weight) in [(&accounts, 4), (&details, 3), (&approvals, 2)] {
        for _ in 0..weight {
            mix.extend(calls.iter().cloned());
        }
    }
    mix.push(history.clone());
    const MIX: &str = "mix (lists, details, approvals, history)";
    reports.extend(bench.run(MIX, mix.clone(), Pick::Rotate).await?);

    let mut revocation = None;
    if let (mydata_store::Backend::Postgres, Some(processes)) = (store.backend(), &config.processes) {
        // `mydata serve` processes with their defaults, as an institution scales out; measured
        // one alone, then both behind the load generator.
        let first = processes.serve(&config.database, &[]).await?;
        let second = processes.serve(&config.database, &[]).await?;
        let (one, both) = ([first.base.clone()], [first.base.clone(), second.base.clone()]);
        let one_process = Bench { provider_bases: &one, logs_off: false, ..bench };
        let two_processes = Bench { provider_bases: &both, logs_off: false, ..bench };
        for (name, calls) in [("은행-001 account list", accounts), ("은행-002 deposit detail", details), (MIX, mix)]
        {
            reports.extend(one_process.run(&format!("{name}, one instance"), calls.clone(), Pick::Rotate).await?);
            reports.extend(two_processes.run(&format!("{name}, two instances"), calls, Pick::Rotate).await?);
        }
        drop((first, second));
        const REVOCATION: &str = "revocation across instances";
        if bench.wanted(REVOCATION) {
            let rounds = &holding[..holding.len().min(REVOCATION_ROUNDS)];
            revocation =
                Some(crate::instances::revocation_times(processes, &config.database, &provider, rounds).await?);
        }
    }
    Ok(Results { generated, reports, revocation })
}
