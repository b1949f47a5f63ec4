//! One collection run: for every customer's live consent at every provider, every API the consent
//! allows, concurrently across providers, each unit of work journaled with its data.

use crate::rules::{api_type_for, cycle_of, date_text, korean_today, next_period, period_params, recent_months};
use crate::store::{ConsentInfo, LinkRow, OperatorStore, Outcome, ProviderRow, Replace, UnitCommit, UnitKey, UnitNote};
use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use mydata_client::{
    Call, Client, ClientError, Credentials, Fetched, RefreshPolicy, StopReason, TokenEndpoint, TokenError,
    TokenManager, TokenSink, Tokens, list_field,
};
use mydata_spec::catalogue::info_apis;
use mydata_spec::{ApiKind, ApiSpec, ApiType, Industry, KnownApi, RspCode};
use mydata_store::StoreError;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// How the run shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A progress bar on standard error (a terminal).
    Bar,
    /// One structured log line per customer × provider.
    Log,
}

#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// The operator's org_code (첨부14: the head of every x-api-tran-id it sends).
    pub operator_org: String,
    /// Providers collected from at the same time.
    pub provider_concurrency: usize,
    pub refresh: RefreshPolicy,
    pub timeout: Duration,
    pub page_limit: u32,
    pub page_cap: u32,
    pub progress: Progress,
    /// The operator's client certificate and the roots providers' servers must chain to (mutual
    /// TLS, ch.2); `None`: reqwest's default roots and no client certificate.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Where every call to a provider is counted for 지원-004 ([`crate::OperatorSupport::calls`]).
    pub statistics: Option<Arc<crate::support::CallStatistics>>,
}

impl CollectorConfig {
    pub fn new(operator_org: &str) -> CollectorConfig {
        CollectorConfig {
            operator_org: operator_org.to_owned(),
            provider_concurrency: 4,
            refresh: RefreshPolicy::default(),
            timeout: mydata_client::call::DEFAULT_TIMEOUT,
            page_limit: 500,
            page_cap: 1000,
            progress: Progress::Log,
            tls: None,
            statistics: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a run did, for the closing summary and `op_runs.summary`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub run_id: String,
    /// Whether this run continued an interrupted one.
    pub resumed: bool,
    pub customers: usize,
    pub providers: usize,
    /// HTTP calls made, pages included.
    pub calls: u64,
    /// Stored rows inserted, changed or removed.
    pub rows: u64,
    pub units_done: u64,
    /// Units not called because the periodic allowance of their cycle window was used.
    pub units_skipped: u64,
    pub units_failed: u64,
    /// Answers 00001: nothing changed since the search_timestamp sent.
    pub up_to_date: u64,
    /// Failed units by rsp_code (or OAuth error, or `transport`).
    pub errors: BTreeMap<String, u64>,
    /// Consents whose collection stopped in this run, by reason.
    pub stopped: BTreeMap<String, u64>,
}

impl Summary {
    fn absorb(&mut self, other: Tally) {
        self.calls += other.calls;
        self.rows += other.rows;
        self.units_done += other.done;
        self.units_skipped += other.skipped;
        self.units_failed += other.failed;
        self.up_to_date += other.up_to_date;
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
        if let Some(reason) = other.stopped {
            *self.stopped.entry(reason).or_default() += 1;
        }
    }
}

/// One customer × provider's share of the summary.
#[derive(Debug, Default)]
struct Tally {
    calls: u64,
    rows: u64,
    done: u64,
    skipped: u64,
    failed: u64,
    up_to_date: u64,
    errors: BTreeMap<String, u64>,
    stopped: Option<String>,
}

impl Tally {
    fn failure(&mut self, label: String) {
        self.failed += 1;
        *self.errors.entry(label).or_default() += 1;
    }
}

/// Why a customer × provider's units stop before the end.
enum Halt {
    /// For good (revoked, ended): recorded on the link.
    Stopped(StopReason),
    /// For this run (no token could be had now).
    Aborted,
    Store(StoreError),
}

impl From<StoreError> for Halt {
    fn from(e: StoreError) -> Self {
        Halt::Store(e)
    }
}

/// The collector. Cheap to share: one per process.
pub struct Collector {
    store: OperatorStore,
    client: Client,
    config: CollectorConfig,
}

/// Fixed for the whole run.
struct Run {
    run_id: String,
    settled: HashSet<UnitKey>,
    today: NaiveDate,
    bar: Option<ProgressBar>,
}

/// One customer's consent at one provider, during the run.
struct Link<'a> {
    provider: &'a ProviderRow,
    row: LinkRow,
    industry: Industry,
    api_type: ApiType,
    scopes: HashSet<String>,
    tokens: TokenManager,
}

/// Persists what the token manager learns on the link's row — as long as the row still holds the
/// pair the manager started from ([`crate::token_guard`]): after a newer issuance the manager's
/// pair is a duplicate, and nothing more is sent with it.
struct LinkSink {
    store: OperatorStore,
    customer_id: String,
    org_code: String,
    /// The refresh token of the pair the row holds, as this manager last wrote or read it.
    held: std::sync::Mutex<String>,
}

impl LinkSink {
    fn held(&self) -> String {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Why a manager's pair may not be used any more.
const SUPERSEDED: &str =
    "a newer token pair was issued for this consent (duplicate issuance); the older one is not used";

#[async_trait]
impl TokenSink for LinkSink {
    async fn tokens_refreshed(&self, tokens: &Tokens) -> Result<(), String> {
        let (customer, org) = (&self.customer_id, &self.org_code);
        match self.store.save_tokens_if_held(customer, org, &self.held(), tokens, now()).await {
            Ok(true) => {
                *self.held.lock().unwrap_or_else(|e| e.into_inner()) = tokens.refresh_token.clone();
                Ok(())
            }
            Ok(false) => Err(SUPERSEDED.into()),
            Err(e) => Err(e.to_string()),
        }
    }
    async fn stopped(&self, reason: &StopReason) -> Result<(), String> {
        match self.store.stop_link_if_held(&self.customer_id, &self.org_code, &self.held(), reason, now()).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SUPERSEDED.into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn now() -> i64 {
    Utc::now().timestamp()
}

/// Fields of the answer that describe the exchange, not the customer's data.
const EXCHANGE_FIELDS: &[&str] = &["rsp_code", "rsp_msg", "search_timestamp", "next_page"];

fn data_of(body: &Map<String, Value>) -> Map<String, Value> {
    body.iter().filter(|(k, _)| !EXCHANGE_FIELDS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The item field an asset list is keyed by: the resource key of the APIs that name its assets.
pub(crate) fn list_key(list: &'static ApiSpec, industry: Industry) -> Option<&'static str> {
    list.detail_apis(industry).find_map(|a| a.resource_key())
}

/// An asset's stored key: its resource key, with the round number for institutions that keep one
/// account number as several accounts (seqno, 은행-001).
fn asset_key(item: &Value, key_name: &str) -> Option<String> {
    let key = mydata_client::call::value_text(item.get(key_name)?)?;
    match item.get("seqno").and_then(mydata_client::call::value_text) {
        Some(seqno) => Some(format!("{key}#{seqno}")),
        None => Some(key),
    }
}

/// History entries have no identifier: each is keyed by a hash of its content, numbered among
/// identical entries, so that collecting an overlapping period again changes nothing.
fn history_keys(items: &[Value]) -> Vec<(String, Value)> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    items
        .iter()
        .map(|item| {
            let hash = Sha256::digest(item.to_string().as_bytes());
            let hex: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
            let n = seen.entry(hex.clone()).or_default();
            *n += 1;
            (format!("{hex}#{n}"), item.clone())
        })
        .collect()
}

/// Request parameters the collector fills itself; any other required parameter is taken from data
/// collected earlier about the same subject (보험-003's insured_no from 보험-002, 카드-005's
/// charge_month from 카드-004, …).
const OWN_PARAMS: &[&str] = &[
    "org_code",
    "search_timestamp",
    "next_page",
    "limit",
    "from_date",
    "to_date",
    "from_month",
    "to_month",
    "seqno",
    "account_id",
];

/// Every object inside `value` (lists included) that has the field `name`.
fn objects_with<'v>(value: &'v Value, name: &str, found: &mut Vec<&'v Map<String, Value>>) {
    match value {
        Value::Object(map) => {
            if map.contains_key(name) {
                found.push(map);
            }
            map.values().for_each(|v| objects_with(v, name, found));
        }
        Value::Array(items) => items.iter().for_each(|v| objects_with(v, name, found)),
        _ => {}
    }
}

impl Collector {
    pub fn new(store: OperatorStore, config: CollectorConfig) -> Collector {
        let mut client = match &config.tls {
            Some(tls) => Client::with_tls(&config.operator_org, config.timeout, tls.as_ref().clone()),
            None => Client::with_timeout(&config.operator_org, config.timeout),
        };
        client.page_limit = config.page_limit;
        client.page_cap = config.page_cap;
        if let Some(statistics) = &config.statistics {
            client = client.observed(statistics.clone());
        }
        Collector { store, client, config }
    }

    pub fn store(&self) -> &OperatorStore {
        &self.store
    }

    /// Collects once for every live consent, resuming an interrupted run if there is one.
    pub async fn run(&self) -> Result<Summary, CollectError> {
        let (run_id, resumed) = self.store.open_run(now()).await?;
        let settled = self.store.settled_units(&run_id).await?;
        let providers = self.store.providers().await?;
        if let Some(statistics) = &self.config.statistics {
            statistics.know(&providers);
        }
        let providers: HashMap<String, ProviderRow> = providers.into_iter().map(|p| (p.org_code.clone(), p)).collect();
        let mut by_provider: BTreeMap<String, Vec<LinkRow>> = BTreeMap::new();
        for link in self.store.links().await? {
            by_provider.entry(link.org_code.clone()).or_default().push(link);
        }
        let mut summary = Summary { run_id: run_id.clone(), resumed, ..Summary::default() };
        let customers: HashSet<&str> = by_provider.values().flatten().map(|l| l.customer_id.as_str()).collect();
        summary.customers = customers.len();
        summary.providers = by_provider.len();
        let total = by_provider.values().map(Vec::len).sum::<usize>() as u64;
        let bar = (self.config.progress == Progress::Bar).then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} consents {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        let run = Run { run_id: run_id.clone(), settled, today: korean_today(), bar };
        tracing::info!(%run_id, resumed, consents = total, providers = summary.providers, "collection started");
        let run = &run;
        let providers = &providers;
        let tallies: Vec<Result<Vec<Tally>, StoreError>> = futures::stream::iter(by_provider)
            .map(|(org_code, links)| async move {
                let mut tallies = Vec::new();
                for link in links {
                    let tally = match providers.get(&org_code) {
                        Some(provider) => self.collect_link(run, provider, link).await?,
                        None => {
                            let mut t = Tally::default();
                            t.failure("unknown-provider".into());
                            t
                        }
                    };
                    tallies.push(tally);
                }
                Ok(tallies)
            })
            .buffer_unordered(self.config.provider_concurrency.max(1))
            .collect()
            .await;
        for tally in tallies {
            tally?.into_iter().for_each(|t| summary.absorb(t));
        }
        if let Some(bar) = &run.bar {
            bar.finish_with_message("done");
        }
        let json = serde_json::to_value(&summary).expect("a summary always serializes");
        self.store.finish_run(&run_id, &json, now()).await?;
        tracing::info!(summary = %json, "collection finished");
        Ok(summary)
    }

    /// Collects one customer's consent at one provider as the journal run `run_id`, on the Korean
    /// date `today`: units the run already settled are skipped, so that whoever takes the work over
    /// after a crash resumes it (the long-running operator's leases).
    pub async fn collect_consent(
        &self,
        run_id: &str,
        customer_id: &str,
        org_code: &str,
        today: NaiveDate,
    ) -> Result<Summary, CollectError> {
        let mut summary = Summary { run_id: run_id.to_owned(), customers: 1, providers: 1, ..Summary::default() };
        let Some(link) = self.store.link(customer_id, org_code).await? else { return Ok(summary) };
        let Some(provider) = self.store.providers().await?.into_iter().find(|p| p.org_code == org_code) else {
            let mut tally = Tally::default();
            tally.failure("unknown-provider".into());
            summary.absorb(tally);
            return Ok(summary);
        };
        let settled = self.store.settled_units(run_id).await?;
        summary.resumed = !settled.is_empty();
        let run = Run { run_id: run_id.to_owned(), settled, today, bar: None };
        summary.absorb(self.collect_link(&run, &provider, link).await?);
        Ok(summary)
    }

    async fn collect_link(&self, run: &Run, provider: &ProviderRow, row: LinkRow) -> Result<Tally, StoreError> {
        let mut tally = Tally::default();
        let (customer, org) = (row.customer_id.clone(), row.org_code.clone());
        let done = |tally: &Tally| {
            if let Some(bar) = &run.bar {
                bar.inc(1);
                bar.set_message(format!("{org} {customer}"));
            } else {
                tracing::info!(customer_id = %customer, org_code = %org, calls = tally.calls, rows = tally.rows,
                    failed = tally.failed, stopped = tally.stopped.as_deref(), "consent collected");
            }
        };
        if row.stop_reason.is_some() {
            done(&tally);
            return Ok(tally);
        }
        let Ok(industry) = provider.industry.parse::<Industry>() else {
            tally.failure("unknown-industry".into());
            done(&tally);
            return Ok(tally);
        };
        let ended = row.consent.end_date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
        if ended.is_some_and(|end| run.today > end) {
            self.store.stop_link(&row.customer_id, &row.org_code, &StopReason::ConsentEnded, now()).await?;
            tally.stopped = Some(StopReason::ConsentEnded.code().into());
            done(&tally);
            return Ok(tally);
        }
        let first_collected = row.first_collected_at.is_some();
        if first_collected && row.consent.is_scheduled == Some(false) {
            // The customer asked for no periodic transmission: only their own visits may collect.
            done(&tally);
            return Ok(tally);
        }
        let endpoint = TokenEndpoint {
            base_url: provider.base_url.clone(),
            org_code: provider.org_code.clone(),
            credentials: Credentials {
                client_id: provider.client_id.clone(),
                client_secret: provider.client_secret.clone(),
            },
        };
        let sink = Arc::new(LinkSink {
            store: self.store.clone(),
            customer_id: row.customer_id.clone(),
            org_code: row.org_code.clone(),
            held: std::sync::Mutex::new(row.tokens.refresh_token.clone()),
        });
        let link = Link {
            provider,
            industry,
            api_type: api_type_for(first_collected),
            scopes: row.tokens.scope.split_whitespace().map(str::to_owned).collect(),
            tokens: TokenManager::new(self.client.clone(), endpoint, row.tokens.clone(), self.config.refresh, sink),
            row,
        };
        match self.collect_units(run, &link, &mut tally).await {
            Ok(()) if tally.failed == 0 => {
                self.store.mark_first_collected(&link.row.customer_id, &link.row.org_code, now()).await?
            }
            Ok(()) | Err(Halt::Aborted) => {}
            Err(Halt::Stopped(reason)) => tally.stopped = Some(reason.code().into()),
            Err(Halt::Store(e)) => return Err(e),
        }
        done(&tally);
        Ok(tally)
    }

    fn granted(link: &Link<'_>, api: &ApiSpec) -> bool {
        api.scope_for(link.industry).is_some_and(|scope| link.scopes.contains(&scope))
    }

    async fn collect_units(&self, run: &Run, link: &Link<'_>, tally: &mut Tally) -> Result<(), Halt> {
        let customer = link.row.customer_id.clone();
        // 공통-002 first: its cycles and end date govern everything after.
        let consents = KnownApi::Consents.spec();
        if Self::granted(link, consents) {
            self.unit(run, link, consents, &Subject::customer(&customer), tally).await?;
        }
        for api in info_apis(link.industry).filter(|a| a.kind() == ApiKind::AssetList && Self::granted(link, a)) {
            self.unit(run, link, api, &Subject::customer(&customer), tally).await?;
        }
        let others = info_apis(link.industry)
            .filter(|a| matches!(a.kind(), ApiKind::Document | ApiKind::Rows { .. }) && Self::granted(link, a));
        for api in others {
            for subject in self.subjects(run, link, api).await? {
                self.unit(run, link, api, &subject, tally).await?;
            }
        }
        Ok(())
    }

    /// The subjects `api` is called about and the parameters that name each: every consented asset
    /// of its asset list (or the customer), times the values of parameters taken from earlier data.
    async fn subjects(&self, run: &Run, link: &Link<'_>, api: &'static ApiSpec) -> Result<Vec<Subject>, StoreError> {
        let (customer, org) = (&link.row.customer_id, &link.row.org_code);
        let collected = self.store.resources(customer, org).await?;
        let mut bases: Vec<(String, BTreeMap<String, String>)> = Vec::new();
        match (api.resource_key(), api.asset_list(link.industry)) {
            (Some(key_name), Some(list)) => {
                let list_key_name = list_key(list, link.industry).unwrap_or(key_name);
                for row in collected.iter().filter(|r| r.api_id == list.id && !r.item_key.is_empty()) {
                    let consented = row.body.get("is_consent").and_then(mydata_client::call::value_text);
                    if consented.as_deref() == Some("false") {
                        continue;
                    }
                    let class = list.classify(|name| row.body.get(name).and_then(Value::as_str));
                    if !api.describes(class) {
                        continue;
                    }
                    let Some(key) = row.body.get(list_key_name).and_then(mydata_client::call::value_text) else {
                        continue;
                    };
                    let mut params = BTreeMap::from([(key_name.to_owned(), key)]);
                    let takes = |name: &str| api.fields().request_field(name).is_some();
                    if let (true, Some(seqno)) =
                        (takes("seqno"), row.body.get("seqno").and_then(mydata_client::call::value_text))
                    {
                        params.insert("seqno".into(), seqno);
                    }
                    // An electronic prepaid means (전금-001) lists its accounts; 전금-002..004 answer for the
                    // means as a whole and for each account_id it names.
                    if takes("account_id") {
                        let mut accounts = Vec::new();
                        objects_with(&row.body, "account_id", &mut accounts);
                        for account in accounts.iter().filter_map(|a| a.get("account_id")) {
                            if let Some(id) = mydata_client::call::value_text(account) {
                                let mut with_account = params.clone();
                                with_account.insert("account_id".into(), id.clone());
                                bases.push((format!("{}|account_id={id}", row.item_key), with_account));
                            }
                        }
                    }
                    bases.push((row.item_key.clone(), params));
                }
            }
            _ => bases.push((customer.clone(), BTreeMap::new())),
        }
        let derived: Vec<&str> = api
            .fields()
            .request
            .iter()
            .filter(|f| f.required && f.location != mydata_spec::fields::Location::Header)
            .map(|f| f.name.as_str())
            .filter(|n| !OWN_PARAMS.contains(n) && Some(*n) != api.resource_key())
            .collect();
        let Some(&derived_name) = derived.first() else {
            return Ok(bases.into_iter().map(|(key, params)| Subject { key, params, speculative: false }).collect());
        };
        let mut out = Vec::new();
        for (subject, params) in bases {
            let mut values: Vec<BTreeMap<String, String>> = Vec::new();
            for row in collected.iter().filter(|r| r.subject_key == subject && r.api_id != api.id) {
                let mut found = Vec::new();
                objects_with(&row.body, derived_name, &mut found);
                for object in found {
                    let mut extra = BTreeMap::new();
                    for name in derived.iter().copied().chain(["seqno"]) {
                        if let Some(v) = object.get(name).and_then(mydata_client::call::value_text) {
                            extra.insert(name.to_owned(), v);
                        }
                    }
                    if derived.iter().all(|n| extra.contains_key(*n)) && !values.contains(&extra) {
                        values.push(extra);
                    }
                }
            }
            let speculative = values.is_empty() && derived == ["charge_month"];
            if speculative {
                // 통신-002 names a month with nothing earlier to take it from: every month of the period.
                values = recent_months(link.api_type, run.today)
                    .into_iter()
                    .map(|m| BTreeMap::from([("charge_month".into(), m)]))
                    .collect();
            }
            for extra in values {
                let suffix: Vec<String> = extra.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let mut all = params.clone();
                all.extend(extra);
                out.push(Subject { key: format!("{subject}|{}", suffix.join("|")), params: all, speculative });
            }
        }
        Ok(out)
    }

    /// One API about one subject: skipped when this run already stored it or the allowance is used;
    /// otherwise called (all pages) and stored with its journal row in one transaction.
    async fn unit(
        &self,
        run: &Run,
        link: &Link<'_>,
        api: &'static ApiSpec,
        subject: &Subject,
        tally: &mut Tally,
    ) -> Result<(), Halt> {
        let key = UnitKey {
            customer_id: link.row.customer_id.clone(),
            org_code: link.row.org_code.clone(),
            api_id: api.id.to_owned(),
            subject_key: subject.key.clone(),
        };
        if run.settled.contains(&key) {
            return Ok(());
        }
        let consent = self.store.link(&key.customer_id, &key.org_code).await?.map(|l| l.consent).unwrap_or_default();
        let window = if link.api_type.is_scheduled() {
            let cycle = cycle_of(api, consent.fnd_cycle.as_deref(), consent.add_cycle.as_deref());
            let window = cycle.window(run.today);
            if self.store.periodic_calls(&key, &window).await? >= cycle.calls {
                let detail = format!("periodic allowance of {} call(s) in {window} used", cycle.calls);
                let note = UnitNote { outcome: Outcome::Skipped, rsp_code: None, detail: &detail, calls: 0 };
                self.store.record_unit(&run.run_id, &key, &note, now()).await?;
                tally.skipped += 1;
                return Ok(());
            }
            Some(window)
        } else {
            None
        };
        let (stamp, collected_to) = self.store.cursor(&key).await?;
        let mut call = Call::new(api).industry(link.industry).api_type(link.api_type).param("org_code", &key.org_code);
        call.params.extend(subject.params.clone());
        if api.takes_search_timestamp() {
            call = call.param("search_timestamp", stamp.unwrap_or_else(|| "0".into()));
        }
        let done = collected_to.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
        let period = next_period(api, link.api_type, done, run.today);
        if let Some(period) = period {
            for (name, value) in period_params(api, period) {
                call = call.param(name, value);
            }
        }
        // Calls that failed were counted as they failed; only answered pages are left to count.
        let mut counted = false;
        let fetched = match self.fetch_with_token(link, &call, tally).await {
            Ok(fetched) => fetched,
            Err(FetchFailure::Halt(halt)) => {
                if let Halt::Aborted = halt {
                    let note =
                        UnitNote { outcome: Outcome::Failed, rsp_code: None, detail: "no access token", calls: 0 };
                    self.store.record_unit(&run.run_id, &key, &note, now()).await?;
                }
                return Err(halt);
            }
            // A month asked about on speculation that has no bill: nothing to collect.
            Err(FetchFailure::Call(error))
                if subject.speculative && error.rsp_code() == Some(RspCode::AssetNotFound) =>
            {
                counted = true;
                Fetched { answer: no_data(api), pages: 1 }
            }
            Err(FetchFailure::Call(error)) => {
                let label = error.code_label();
                tracing::warn!(org_code = %key.org_code, api = api.id, subject = %key.subject_key, %error, "call failed");
                let detail = error.to_string();
                let note = UnitNote { outcome: Outcome::Failed, rsp_code: Some(&label), detail: &detail, calls: 1 };
                self.store.record_unit(&run.run_id, &key, &note, now()).await?;
                tally.failure(label);
                return Ok(());
            }
        };
        let items = if fetched.up_to_date() {
            tally.up_to_date += 1;
            None
        } else {
            Some(Self::items_of(link, api, &fetched))
        };
        if api.kind() == ApiKind::ConsentDetail {
            let text = |name: &str| fetched.answer.text(name);
            let info = ConsentInfo {
                is_scheduled: text("is_scheduled").and_then(|t| mydata_spec::wire::parse_bool(&t)),
                fnd_cycle: text("fnd_cycle"),
                add_cycle: text("add_cycle"),
                end_date: text("end_date"),
            };
            self.store.set_consent_info(&key.customer_id, &key.org_code, &info).await?;
        }
        let code = fetched.answer.rsp_code().unwrap_or(RspCode::Success);
        let changed = self
            .store
            .commit_unit(&UnitCommit {
                run_id: &run.run_id,
                key: &key,
                items,
                search_timestamp: fetched.answer.text("search_timestamp"),
                collected_to: period.map(|p| date_text(p.to)),
                periodic_window: window,
                calls: fetched.pages,
                rsp_code: code.code(),
                now: now(),
            })
            .await?;
        tally.done += 1;
        if !counted {
            tally.calls += u64::from(fetched.pages);
        }
        tally.rows += changed;
        Ok(())
    }

    /// What a unit stores: an asset list item by item (with the answer's own fields under ''), a
    /// history entry by entry, anything else as one body.
    fn items_of(link: &Link<'_>, api: &'static ApiSpec, fetched: &Fetched) -> (Replace, Vec<(String, Value)>) {
        let list = list_field(api);
        match (api.kind(), list) {
            (ApiKind::AssetList, Some(list_name)) => {
                let key_name = list_key(api, link.industry);
                let mut head = data_of(&fetched.answer.body);
                head.remove(list_name);
                let mut items = vec![(String::new(), Value::Object(head))];
                for (i, item) in fetched.items().iter().enumerate() {
                    let key = key_name.and_then(|k| asset_key(item, k)).unwrap_or_else(|| format!("#{i}"));
                    items.push((key, item.clone()));
                }
                (Replace::Set, items)
            }
            (ApiKind::Rows { .. }, Some(_)) if api.period_unit().is_some() => {
                (Replace::Add, history_keys(fetched.items()))
            }
            _ => (Replace::Set, vec![(String::new(), Value::Object(data_of(&fetched.answer.body)))]),
        }
    }

    /// Calls with the consent's access token; a rejected token is refreshed once and the call repeated.
    async fn fetch_with_token(&self, link: &Link<'_>, call: &Call, tally: &mut Tally) -> Result<Fetched, FetchFailure> {
        let mut token = link.tokens.access_token().await.map_err(|e| FetchFailure::Halt(halt_of(e, tally)))?;
        let mut retried = false;
        loop {
            let attempt = call.clone().bearer(token.clone());
            match self.client.fetch(&link.provider.base_url, &attempt).await {
                Ok(fetched) => return Ok(fetched),
                Err(error)
                    if !retried && matches!(error.rsp_code(), Some(RspCode::InvalidToken | RspCode::ConsentEnded)) =>
                {
                    tally.calls += 1;
                    retried = true;
                    token = link
                        .tokens
                        .rejected(&token, &error)
                        .await
                        .map_err(|e| FetchFailure::Halt(halt_of(e, tally)))?;
                }
                Err(error) => {
                    tally.calls += 1;
                    if let Some(RspCode::InvalidToken) = error.rsp_code() {
                        // Refreshed and still refused: the provider revoked the consent's tokens.
                        let reason = StopReason::Revoked { detail: error.to_string() };
                        let (customer, org) = (&link.row.customer_id, &link.row.org_code);
                        // Only the pair this link holds stops; a replaced pair's refusal is no news.
                        let held = link.tokens.tokens().await.map(|t| t.refresh_token).unwrap_or_default();
                        if let Err(e) = self.store.stop_link_if_held(customer, org, &held, &reason, now()).await {
                            return Err(FetchFailure::Halt(Halt::Store(e)));
                        }
                        return Err(FetchFailure::Halt(Halt::Stopped(reason)));
                    }
                    return Err(FetchFailure::Call(error));
                }
            }
        }
    }
}

/// One subject an API is called about, with the parameters that name it.
struct Subject {
    key: String,
    params: BTreeMap<String, String>,
    /// Asked about without knowing it exists (a bill month): 40402 then means there is nothing.
    speculative: bool,
}

impl Subject {
    fn customer(customer_id: &str) -> Subject {
        Subject { key: customer_id.to_owned(), params: BTreeMap::new(), speculative: false }
    }
}

/// The answer recorded for a speculative subject that does not exist: 00001, nothing to store.
fn no_data(api: &'static ApiSpec) -> mydata_client::Answer {
    let mut body = Map::new();
    body.insert("rsp_code".into(), Value::String(RspCode::UpToDate.code().into()));
    mydata_client::Answer { api, status: 404, tran_id: None, body, location: None }
}

enum FetchFailure {
    Halt(Halt),
    Call(ClientError),
}

fn halt_of(error: TokenError, tally: &mut Tally) -> Halt {
    match error {
        TokenError::Stopped(reason) => Halt::Stopped(reason),
        TokenError::Refresh(e) => {
            tally.failure(e.code_label());
            Halt::Aborted
        }
        // A newer pair replaced this one: this run leaves the link to the next, with the new pair.
        TokenError::Sink(e) if e == SUPERSEDED => {
            tally.failure("superseded".into());
            Halt::Aborted
        }
        TokenError::Sink(e) => Halt::Store(StoreError::Corrupt(e)),
    }
}
