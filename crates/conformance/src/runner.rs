//! Runs the manifest's checks and probes against one provider: discovers the announced APIs
//! (공통-001) and the customer's assets (the list APIs), derives every other request from them, and
//! reports each API as passed, failed or not tested with the reason.

use crate::http::{Request, Response, SendError, Session};
use crate::manifest::{
    CheckKind, CheckSpec, Manifest, Mutation, ParamFallback, PeriodVariant, ProbeSpec, ResourceVariant, TokenVariant,
    run_order,
};
use crate::report::{ApiReport, CheckResult, Report, Status};
use chrono::{Datelike, Months, NaiveDate, Utc};
use mydata_spec::fields::{Field, Location};
use mydata_spec::validate::{Rule, Violation, check_response, check_value};
use mydata_spec::{ApiSpec, Industry, IssuerType, Method, RspCode, ScopeRule, TranId};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// The access tokens the suite may use for one institution. It never obtains or revokes tokens
/// itself: the suite is read-only.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// A live token with every scope of the industry.
    pub access: Option<String>,
    /// A token its issuer has revoked (개별인증-004) or whose consent was withdrawn.
    pub revoked: Option<String>,
    /// A live token granted only the `<industry>.list` scope.
    pub narrow: Option<String>,
}

/// One institution at one provider base URL.
#[derive(Debug, Clone)]
pub struct Target {
    pub base_url: String,
    pub org_code: String,
    pub industry: Industry,
    pub client_id: String,
    pub tokens: Tokens,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Requests the whole run may send.
    pub max_requests: u32,
    /// 0 for no limit.
    pub requests_per_second: f64,
    pub timeout: Duration,
    /// Also test the catalogue's APIs of the industry the provider does not announce in 공통-001.
    pub all_catalogue: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_requests: 2_000,
            requests_per_second: 10.0,
            timeout: Duration::from_secs(10),
            all_catalogue: false,
        }
    }
}

/// Runs the suite against every target, in order, within one request budget.
pub async fn run(targets: &[Target], manifest: &Manifest, options: &Options) -> Report {
    let mut session = Session::new(options.max_requests, options.requests_per_second, options.timeout);
    let provider = targets.iter().map(|t| t.base_url.as_str()).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>();
    let mut report =
        Report { provider: provider.join(", "), standard: manifest.standard.clone(), requests: 0, apis: Vec::new() };
    for target in targets {
        let mut run = TargetRun {
            target,
            manifest,
            options,
            session: &mut session,
            observed: BTreeMap::new(),
            observed_by_asset: HashMap::new(),
            lists: HashMap::new(),
        };
        report.apis.extend(run.run().await);
    }
    report.requests = session.used();
    report
}

fn result(check: &str, clause: &str, status: Status, reason: impl Into<String>) -> CheckResult {
    CheckResult { check: check.to_owned(), clause: clause.to_owned(), status, reason: reason.into() }
}

/// The outcome of a check before it is labelled with its ID and clause.
type Outcome = Result<String, Verdict>;

/// Why a check did not pass.
enum Verdict {
    Fail(String),
    NotTested(String),
}

impl From<SendError> for Verdict {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Budget(_) => Verdict::NotTested(e.to_string()),
            SendError::Transport(_) => Verdict::Fail(e.to_string()),
        }
    }
}

fn labelled(check: &str, clause: &str, outcome: Outcome) -> CheckResult {
    match outcome {
        Ok(note) => result(check, clause, Status::Pass, note),
        Err(Verdict::Fail(why)) => result(check, clause, Status::Fail, why),
        Err(Verdict::NotTested(why)) => result(check, clause, Status::NotTested, why),
    }
}

/// A request the provider answered with success, kept to derive probes and follow-up calls from.
struct Working {
    request: Request,
    response: Response,
    body: Value,
}

/// How the API's working request was found.
enum Base {
    Answered(Working),
    Failed(Request, Response),
    Untestable(String),
}

struct TargetRun<'a> {
    target: &'a Target,
    manifest: &'a Manifest,
    options: &'a Options,
    session: &'a mut Session,
    /// The first value every response field name was seen with, to fill required parameters.
    observed: BTreeMap<String, String>,
    /// The same, from responses about one asset (by its key), preferred for requests about it.
    observed_by_asset: HashMap<String, BTreeMap<String, String>>,
    /// Items each list API returned, to name assets in detail and history requests.
    lists: HashMap<&'static str, Vec<Map<String, Value>>>,
}

fn is_success(response: &Response) -> bool {
    response.status == 200 && response.rsp_code().and_then(RspCode::from_code).is_some_and(RspCode::is_success)
}

fn list_field(api: &ApiSpec) -> Option<&'static str> {
    mydata_spec::subject::list_fields(api).map(|(list, _)| list.name.as_str())
}

fn items<'v>(body: &'v Value, list: &str) -> &'v [Value] {
    body.get(list).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn ymd(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

fn ym(date: NaiveDate) -> String {
    date.format("%Y%m").to_string()
}

impl TargetRun<'_> {
    async fn run(&mut self) -> Vec<ApiReport> {
        // The api_codes 공통-001 lists; while unknown (it has not answered), every API is tested.
        let mut announced: Option<BTreeSet<String>> = None;
        let mut reports = Vec::new();
        for api in run_order(self.target.industry) {
            let listed = announced.as_ref().map(|codes| api.api_code.is_some_and(|c| codes.contains(c)));
            if listed == Some(false) && !self.options.all_catalogue {
                continue;
            }
            let (report, answer) = self.exercise(api, listed).await;
            if api.scope == ScopeRule::None {
                announced = answer.map(|body| announced_codes(&body));
            }
            reports.push(report);
        }
        reports
    }

    async fn send(&mut self, request: &Request) -> Result<Response, SendError> {
        self.session.send(&self.target.base_url, request).await
    }

    fn tran_id(&self) -> String {
        TranId::generate(&self.manifest.defaults.tran_id_org, IssuerType::Operator).to_string()
    }

    /// Runs every check and probe of one API; returns the report and the working response body.
    async fn exercise(&mut self, api: &'static ApiSpec, announced: Option<bool>) -> (ApiReport, Option<Value>) {
        let industry = self.target.industry;
        let mut report = ApiReport {
            api_id: api.id.to_owned(),
            name: api.name.to_owned(),
            org_code: self.target.org_code.clone(),
            industry: industry.to_string(),
            method: api.method.to_string(),
            path: api.path(industry),
            announced,
            checks: Vec::new(),
        };
        let manifest = self.manifest;
        let base = self.base(api).await;
        let working = match &base {
            Base::Answered(w) => Some(w),
            _ => None,
        };
        for check in manifest.checks_for(api) {
            let outcome = match (manifest.skipped(api, check.id.id()), &base) {
                (Some(reason), _) => Err(Verdict::NotTested(reason.to_owned())),
                (None, Base::Untestable(why)) => Err(Verdict::NotTested(why.clone())),
                (None, Base::Failed(request, response)) if check.id == CheckKind::Success => Err(Verdict::Fail(
                    format!("{} to {} {} {:?}", response.summary(), api.method, api.path(industry), request.params),
                )),
                (None, Base::Failed(..)) => Err(Verdict::NotTested("no successful response to check".into())),
                (None, Base::Answered(w)) => self.check(api, check, w).await,
            };
            report.checks.push(labelled(check.id.id(), &check.clause, outcome));
        }
        for probe in manifest.probes_for(api) {
            let outcome = match (manifest.skipped(api, &probe.id), working) {
                (Some(reason), _) => Err(Verdict::NotTested(reason.to_owned())),
                (None, None) => Err(Verdict::NotTested("no working request to derive the probe from".into())),
                (None, Some(w)) => self.probe(api, probe, w).await,
            };
            report.checks.push(labelled(&probe.id, &probe.clause, outcome));
        }
        (report, working.map(|w| w.body.clone()))
    }

    /// Finds a request the provider answers with success: for APIs naming an asset, tries the
    /// consented assets the asset list returned until one is answered.
    async fn base(&mut self, api: &'static ApiSpec) -> Base {
        if api.scope != ScopeRule::None && self.target.tokens.access.is_none() {
            return Base::Untestable("no access token: pass --token".into());
        }
        let candidates = match self.candidates(api) {
            Ok(c) => c,
            Err(why) => return Base::Untestable(why),
        };
        let mut last: Option<(Request, Response)> = None;
        // An asset with an empty list (no transactions in the period) exercises paging less than one
        // with items: it is kept, and used only if no other asset has any.
        let mut empty: Option<Working> = None;
        let tried = candidates.len();
        for request in candidates {
            let response = match self.send(&request).await {
                Ok(r) => r,
                Err(e) => return Base::Untestable(e.to_string()),
            };
            if is_success(&response) {
                let body = response.body.clone().expect("a success has a JSON body");
                self.observe(api, &request, &body);
                let has_items = list_field(api).is_none_or(|list| !items(&body, list).is_empty());
                if has_items || api.resource_key().is_none() {
                    return Base::Answered(Working { request, response, body });
                }
                empty.get_or_insert(Working { request, response, body });
                continue;
            }
            // Where the list does not say an asset's kind, a 40402 may mean another kind (a deposit
            // account asked for investment details): the next asset is tried. Where it says, the
            // asset is of this API's kind and must be answered.
            let kind_unknown = api.resource_key().is_some() && !self.kinds_told(api, &[]);
            let other_kind = matches!(response.rsp_code(), Some("40402") | Some("40305"));
            if !(kind_unknown && other_kind) {
                return Base::Failed(request, response);
            }
            last = Some((request, response));
        }
        if let Some(working) = empty {
            return Base::Answered(working);
        }
        match last {
            Some((request, response)) => Base::Untestable(format!(
                "none of the {tried} consented asset(s) tried was answered (last: {:?} answered {})",
                request.params,
                response.summary()
            )),
            None => Base::Untestable("no request could be built".into()),
        }
    }

    fn headers(&self, api: &ApiSpec) -> BTreeMap<String, String> {
        let mut headers = BTreeMap::new();
        headers.insert(mydata_spec::tran_id::HEADER.to_owned(), self.tran_id());
        if let Some(field) = api.fields().request_field(mydata_spec::api_type::HEADER) {
            // 공통-001 sends x-api-type only for scheduled calls; the suite's calls are not scheduled.
            if field.required {
                headers.insert(field.name.clone(), self.manifest.defaults.api_type.clone());
            }
        }
        if let (ScopeRule::List | ScopeRule::Industry(_), Some(token)) = (api.scope, &self.target.tokens.access) {
            headers.insert("authorization".into(), format!("Bearer {token}"));
        }
        headers
    }

    /// The working requests to try, one per candidate asset (one in all for APIs naming none).
    fn candidates(&self, api: &'static ApiSpec) -> Result<Vec<Request>, String> {
        let assets: Vec<Option<&Map<String, Value>>> = match api.resource_key() {
            None => vec![None],
            Some(key) => {
                let consented: Vec<_> = self.assets(api, key)?.into_iter().filter(|a| is_consented(a)).collect();
                if consented.is_empty() {
                    return Err(format!("every asset the list returned is outside the consent; cannot name {key}"));
                }
                let list = api.asset_list(self.target.industry);
                let of_kind: Vec<_> = consented
                    .into_iter()
                    .filter(|a| list.and_then(|l| told_class(l, a)).is_none_or(|class| api.describes(class)))
                    .collect();
                if of_kind.is_empty() {
                    return Err(format!("no consented asset the list returned is of the kind {} describes", api.id));
                }
                of_kind.into_iter().take(self.manifest.defaults.asset_candidates).map(Some).collect()
            }
        };
        assets.into_iter().map(|asset| self.request(api, asset)).collect()
    }

    /// Whether the asset list says the kind of its items (an item of `assets`, or any item the list
    /// returned, carries its 첨부3/첨부7 type), so that which of them `api` describes is known
    /// ([`ApiSpec::describes`]).
    fn kinds_told(&self, api: &'static ApiSpec, assets: &[&Map<String, Value>]) -> bool {
        let Some(list) = api.asset_list(self.target.industry) else { return false };
        let says = |item: &Map<String, Value>| told_class(list, item).is_some();
        let listed = self.lists.get(list.id);
        assets.iter().any(|a| says(a)) || listed.is_some_and(|items| items.iter().any(says))
    }

    /// The items of the asset list whose key this API takes.
    fn assets(&self, api: &'static ApiSpec, key: &str) -> Result<Vec<&Map<String, Value>>, String> {
        let list = api
            .asset_list(self.target.industry)
            .ok_or_else(|| format!("no asset list API names {key} for {}", self.target.industry))?;
        let items = self.lists.get(list.id).filter(|items| !items.is_empty()).ok_or_else(|| {
            format!("{} returned no asset to name in {key} (the customer has none, or it failed)", list.id)
        })?;
        Ok(items.iter().filter(|item| item.get(key).and_then(Value::as_str).is_some()).collect())
    }

    fn request(&self, api: &'static ApiSpec, asset: Option<&Map<String, Value>>) -> Result<Request, String> {
        let defaults = &self.manifest.defaults;
        let today = mydata_spec::time::korean_date(Utc::now());
        let first_of_month = today.with_day(1).expect("day 1 exists");
        let mut params = BTreeMap::new();
        let no_observations = BTreeMap::new();
        let about_asset = api
            .resource_key()
            .and_then(|key| asset?.get(key)?.as_str())
            .and_then(|key| self.observed_by_asset.get(key))
            .unwrap_or(&no_observations);
        let location = match api.method {
            Method::Get => Location::Query,
            Method::Post => Location::Body,
        };
        let fields = api.fields().request.iter().filter(|f| f.location == location || f.location == Location::Path);
        for field in fields.filter(|f| !f.is_list()) {
            let from_asset = asset.and_then(|a| a.get(&field.name)).and_then(Value::as_str).map(str::to_owned);
            let value = match field.name.as_str() {
                "org_code" => Some(self.target.org_code.clone()),
                "client_id" => Some(self.target.client_id.clone()),
                "limit" => Some(defaults.limit.to_string()),
                "next_page" => None,
                "search_timestamp" => Some("0".to_owned()),
                "from_date" => Some(ymd(today - chrono::Days::new(u64::from(defaults.history_days)))),
                "to_date" => Some(ymd(today)),
                "from_month" => Some(ym(first_of_month - Months::new(defaults.history_months))),
                "to_month" => Some(ym(first_of_month)),
                name if field.required => from_asset
                    .or_else(|| about_asset.get(name).cloned())
                    .or_else(|| self.observed.get(name).cloned())
                    .or_else(|| self.manifest.param_fallbacks.get(name).map(|f| fallback(f, first_of_month))),
                _ => from_asset,
            };
            match value {
                Some(v) => {
                    params.insert(field.name.clone(), v);
                }
                None if field.required && field.name != "next_page" => {
                    return Err(format!(
                        "no value for the required parameter {}: no earlier response carried it",
                        field.name
                    ));
                }
                None => {}
            }
        }
        Ok(Request { method: api.method, path: api.path(self.target.industry), headers: self.headers(api), params })
    }

    /// Remembers what a success body says, to fill later requests.
    fn observe(&mut self, api: &'static ApiSpec, request: &Request, body: &Value) {
        collect_strings(body, &mut self.observed);
        if let Some(asset) = api.resource_key().and_then(|key| request.params.get(key)) {
            collect_strings(body, self.observed_by_asset.entry(asset.clone()).or_default());
        }
        if let (Some(list), None) = (list_field(api), api.resource_key()) {
            let found = items(body, list).iter().filter_map(Value::as_object).cloned();
            self.lists.entry(api.id).or_default().extend(found);
        }
    }

    async fn check(&mut self, api: &'static ApiSpec, check: &CheckSpec, working: &Working) -> Outcome {
        match check.id {
            CheckKind::Success => answered_properly(working),
            CheckKind::ResponseFields => body_conforms(api, self.manifest, &working.body),
            CheckKind::CodeLists => codes_listed(api, &working.body),
            CheckKind::Paging => self.paging(api, working).await,
            CheckKind::SearchTimestamp => self.search_timestamp(working).await,
        }
    }

    /// Follows next_page from the working response.
    async fn paging(&mut self, api: &'static ApiSpec, working: &Working) -> Outcome {
        let list = list_field(api).ok_or_else(|| Verdict::NotTested("the response table has no list".into()))?;
        let limit = self.manifest.defaults.limit as usize;
        let mut cursors = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut page = working.body.clone();
        for number in 1.. {
            let page_items = items(&page, list);
            if page_items.len() > limit {
                return Err(Verdict::Fail(format!("page {number} has {} items for limit {limit}", page_items.len())));
            }
            for item in page_items {
                if !seen.insert(item.to_string()) {
                    return Err(Verdict::Fail(format!("page {number} repeats an item of an earlier page: {item}")));
                }
            }
            let Some(cursor) = page.get("next_page").and_then(Value::as_str) else {
                if number == 1 {
                    return Err(Verdict::NotTested(format!(
                        "one page only: the customer has too few items to page through at limit {limit}"
                    )));
                }
                return Ok(format!("{number} pages of at most {limit}"));
            };
            if !cursors.insert(cursor.to_owned()) {
                return Err(Verdict::Fail(format!(
                    "page {number} returns next_page {cursor:?} again: a client following it never ends"
                )));
            }
            if number >= self.manifest.defaults.max_pages {
                return Ok(format!("first {number} pages consistent (stopped at max_pages)"));
            }
            let mut request = working.request.clone();
            request.headers.insert(mydata_spec::tran_id::HEADER.into(), self.tran_id());
            request.params.insert("next_page".into(), cursor.to_owned());
            // ch.2.1: search_timestamp is left out when next_page is set.
            request.params.remove("search_timestamp");
            let response = self.send(&request).await?;
            if !is_success(&response) {
                return Err(Verdict::Fail(format!("page {} answered {}", number + 1, response.summary())));
            }
            let body = response.body.expect("a success has a JSON body");
            body_conforms(api, self.manifest, &body).map_err(|v| match v {
                Verdict::Fail(why) => Verdict::Fail(format!("page {}: {why}", number + 1)),
                other => other,
            })?;
            self.observe(api, &request, &body);
            page = body;
        }
        unreachable!("the loop returns")
    }

    async fn search_timestamp(&mut self, working: &Working) -> Outcome {
        let returned = working.body.get("search_timestamp").and_then(Value::as_str);
        let Some(stamp) = returned.filter(|s| *s != "0") else {
            return Ok("the provider does not implement timestamp logic (allowed by ch.2.1)".into());
        };
        let mut request = working.request.clone();
        request.headers.insert(mydata_spec::tran_id::HEADER.into(), self.tran_id());
        request.params.insert("search_timestamp".into(), stamp.to_owned());
        let response = self.send(&request).await?;
        if is_success(&response) {
            Ok(format!("sent back {stamp}: {}", response.rsp_code().unwrap_or_default()))
        } else {
            Err(Verdict::Fail(format!("sending back search_timestamp {stamp} answered {}", response.summary())))
        }
    }

    async fn probe(&mut self, api: &'static ApiSpec, probe: &ProbeSpec, working: &Working) -> Outcome {
        let request = self.mutate(api, &probe.mutate, working)?;
        let response = self.send(&request).await?;
        expect_codes(&probe.expect, &response)
    }

    /// The working request with the probe's one change.
    fn mutate(&self, api: &'static ApiSpec, mutation: &Mutation, working: &Working) -> Result<Request, Verdict> {
        let mut request = working.request.clone();
        request.headers.insert(mydata_spec::tran_id::HEADER.into(), self.tran_id());
        let tokens = &self.target.tokens;
        match mutation {
            Mutation::DropHeader(name) => {
                request.headers.remove(&name.to_ascii_lowercase());
                request.headers.remove(name);
            }
            Mutation::SetHeader(name, value) => {
                request.headers.insert(name.clone(), value.clone());
            }
            Mutation::DropParam(name) => {
                request.params.remove(name);
            }
            Mutation::SetParam(name, value) => {
                request.params.insert(name.clone(), value.clone());
            }
            Mutation::Token(variant) => {
                let token = match variant {
                    TokenVariant::None => None,
                    TokenVariant::Garbage => Some("conformance.not-a-token.x".to_owned()),
                    TokenVariant::Revoked => Some(
                        tokens
                            .revoked
                            .clone()
                            .ok_or_else(|| Verdict::NotTested("no revoked token: pass --revoked-token".into()))?,
                    ),
                    TokenVariant::Narrow => Some(tokens.narrow.clone().ok_or_else(|| {
                        Verdict::NotTested("no token with only the list scope: pass --narrow-token".into())
                    })?),
                };
                request.headers.remove("authorization");
                if let Some(token) = token {
                    request.headers.insert("authorization".into(), format!("Bearer {token}"));
                }
            }
            Mutation::Resource(variant) => {
                let key = api.resource_key().expect("resource probes apply only to APIs naming an asset");
                let value = match variant {
                    ResourceVariant::Unknown => self.unknown_key(api, key, &request),
                    ResourceVariant::Unconsented => {
                        let assets = self.assets(api, key).map_err(Verdict::NotTested)?;
                        let outside = assets.into_iter().find(|a| !is_consented(a)).ok_or_else(|| {
                            Verdict::NotTested("every listed asset is in the consent (is_consent true)".into())
                        })?;
                        outside.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
                    }
                };
                request.params.insert(key.to_owned(), value);
            }
            Mutation::Period(variant) => self.period(api, *variant, &mut request),
            Mutation::OtherMethod => {
                request.method = match request.method {
                    Method::Get => Method::Post,
                    Method::Post => Method::Get,
                };
            }
        }
        Ok(request)
    }

    /// A key of the same length as a real one, made of nines (or eights if that is taken).
    fn unknown_key(&self, api: &'static ApiSpec, key: &str, request: &Request) -> String {
        let length = request.params.get(key).map_or(10, |k| k.len());
        let known: BTreeSet<&str> =
            self.assets(api, key).unwrap_or_default().iter().filter_map(|a| a.get(key)?.as_str()).collect();
        ['9', '8', '7']
            .iter()
            .map(|d| d.to_string().repeat(length))
            .find(|k| !known.contains(k.as_str()))
            .unwrap_or_else(|| "9".repeat(length + 1))
    }

    fn period(&self, api: &'static ApiSpec, variant: PeriodVariant, request: &mut Request) {
        let today = mydata_spec::time::korean_date(Utc::now());
        let days = |n: u32| chrono::Days::new(u64::from(n));
        let (from, to, api_type) = match variant {
            PeriodVariant::Reversed => (today, today - days(self.manifest.defaults.history_days), None),
            PeriodVariant::ScheduledTooLong => (today - days(api.scheduled_max_days() + 10), today, Some("scheduled")),
            PeriodVariant::OlderThanFiveYears => {
                let from = today - Months::new(60) - days(40);
                (from, from + days(10), Some("user-search"))
            }
        };
        if api.takes_date_range() {
            request.params.insert("from_date".into(), ymd(from));
            request.params.insert("to_date".into(), ymd(to));
        } else {
            request.params.insert("from_month".into(), ym(from));
            request.params.insert("to_month".into(), ym(to));
        }
        if let Some(api_type) = api_type {
            request.headers.insert(mydata_spec::api_type::HEADER.into(), api_type.into());
        }
    }
}

/// The envelope of a success: the request's x-api-tran-id echoed (첨부14) and a JSON content type.
fn answered_properly(working: &Working) -> Outcome {
    let sent = working.request.headers.get(mydata_spec::tran_id::HEADER);
    if working.response.tran_id.as_ref() != sent {
        return Err(Verdict::Fail(format!(
            "x-api-tran-id {:?} does not echo the request's {sent:?}",
            working.response.tran_id
        )));
    }
    match working.response.content_type.as_deref() {
        Some(t) if t.to_ascii_lowercase().starts_with("application/json") => Ok(working.response.summary()),
        other => Err(Verdict::Fail(format!("Content-Type {other:?} is not application/json"))),
    }
}

fn fallback(fallback: &ParamFallback, first_of_month: NaiveDate) -> String {
    match fallback {
        ParamFallback::MonthsAgo(n) => ym(first_of_month - Months::new(*n)),
        ParamFallback::Value(v) => v.clone(),
    }
}

/// A listed asset is in the consent unless the list says `is_consent: false` (only some lists say it).
fn is_consented(asset: &Map<String, Value>) -> bool {
    asset.get("is_consent").and_then(Value::as_str) != Some("false")
}

fn announced_codes(body: &Value) -> BTreeSet<String> {
    items(body, "api_list").iter().filter_map(|a| a.get("api_code")?.as_str().map(str::to_owned)).collect()
}

fn collect_strings(value: &Value, into: &mut BTreeMap<String, String>) {
    const PROTOCOL: [&str; 4] = ["rsp_code", "rsp_msg", "next_page", "search_timestamp"];
    match value {
        Value::Object(map) => {
            for (name, value) in map {
                match value {
                    Value::String(s) if !PROTOCOL.contains(&name.as_str()) => {
                        into.entry(name.clone()).or_insert_with(|| s.clone());
                    }
                    other => collect_strings(other, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, into)),
        _ => {}
    }
}

/// The response table's rules (the list counts among them), and (for 공통-001) that what is announced exists.
fn body_conforms(api: &'static ApiSpec, manifest: &Manifest, body: &Value) -> Outcome {
    let corrections = manifest.field_types.get(api.id);
    let mut problems: Vec<String> = check_response(api, body)
        .into_iter()
        .filter(|v| !forgiven(api, corrections, v, body))
        .map(|v| v.to_string())
        .collect();
    if body.get("api_list").is_some() && api.scope == ScopeRule::None {
        problems.extend(unknown_announcements(api, body));
    }
    if problems.is_empty() {
        return Ok(String::new());
    }
    let shown = problems.iter().take(5).cloned().collect::<Vec<_>>().join("; ");
    let more = problems.len().saturating_sub(5);
    Err(Verdict::Fail(if more > 0 { format!("{shown}; and {more} more") } else { shown }))
}

fn codes_listed(api: &'static ApiSpec, body: &Value) -> Outcome {
    let found: Vec<String> =
        mydata_spec::validate::code_violations(api, body).iter().map(ToString::to_string).collect();
    if found.is_empty() { Ok(String::new()) } else { Err(Verdict::Fail(found.join("; "))) }
}

/// Whether a violation is forgiven: it breaks the table's type (no other rule) at a path
/// (`api_list[3].api_uri`) whose field the manifest gives another type, and the value has that one.
fn forgiven(
    api: &'static ApiSpec,
    corrections: Option<&BTreeMap<String, String>>,
    violation: &Violation,
    body: &Value,
) -> bool {
    if violation.rule != Rule::Type {
        return false;
    }
    let mut generic = String::new();
    let mut value = Some(body);
    let mut fields: &[Field] = &api.fields().response;
    let mut field = None;
    for segment in violation.field.split('.') {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        generic.push_str(if generic.is_empty() { "" } else { "." });
        generic.push_str(name);
        field = fields.iter().find(|f| f.name == name);
        fields = field.map_or(&[], |f| f.children.as_slice());
        value = value.and_then(|v| v.get(name));
        if let Some(i) = index {
            value = value.and_then(|v| v.get(i));
        }
    }
    let corrected = corrections.and_then(|c| c.get(&generic));
    match (corrected, field, value.and_then(Value::as_str)) {
        (Some(type_spec), Some(_), Some(text)) => check_value(type_spec, text).is_ok(),
        _ => false,
    }
}

/// 공통-001 may list only APIs of the catalogue for this industry, with their own api_uri.
fn unknown_announcements(api: &'static ApiSpec, body: &Value) -> Vec<String> {
    let industries: Vec<Industry> = api.industries.to_vec();
    items(body, "api_list")
        .iter()
        .filter_map(|entry| {
            let code = entry.get("api_code")?.as_str()?;
            let uri = entry.get("api_uri").and_then(Value::as_str).unwrap_or_default();
            let known = mydata_spec::CATALOGUE.iter().find(|a| a.api_code == Some(code));
            match known {
                None => Some(format!("api_list announces {code}, which is no API code of 첨부12")),
                Some(a) if !a.industries.iter().any(|i| industries.contains(i)) => {
                    Some(format!("api_list announces {code} ({}), not an information API", a.id))
                }
                Some(a) if a.resource != uri => {
                    Some(format!("api_list gives {code} the api_uri {uri:?}; {} is {:?}", a.id, a.resource))
                }
                Some(_) => None,
            }
        })
        .collect()
}

/// A probe passes when the provider answers one of the expected codes with its 첨부1 HTTP status and
/// a well-formed x-api-tran-id.
fn expect_codes(expected: &[String], response: &Response) -> Outcome {
    let wanted = expected
        .iter()
        .map(|c| match RspCode::from_code(c) {
            Some(code) => format!("{c} (HTTP {})", code.http_status()),
            None => c.clone(),
        })
        .collect::<Vec<_>>()
        .join(" or ");
    let code = response.rsp_code().unwrap_or_default();
    let matches = expected.iter().any(|c| c == code)
        && RspCode::from_code(code).is_some_and(|c| c.http_status() == response.status);
    if !matches {
        return Err(Verdict::Fail(format!("expected {wanted}, got {}", response.summary())));
    }
    if response.tran_id.as_deref().and_then(|t| t.parse::<TranId>().ok()).is_none() {
        return Err(Verdict::Fail(format!(
            "answered {code} but without a well-formed x-api-tran-id (첨부14): {:?}",
            response.tran_id
        )));
    }
    Ok(response.summary())
}

/// The kind a list item tells of itself ([`ApiSpec::told_class`]).
fn told_class(list: &ApiSpec, item: &Map<String, Value>) -> Option<mydata_spec::AssetClass> {
    list.told_class(|name| item.get(name).and_then(Value::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_retyped_field_forgives_its_type_and_nothing_else() {
        let api = mydata_spec::catalogue::api("은행-001").unwrap();
        let retyped: BTreeMap<String, String> =
            [("account_cnt", "N(5)"), ("account_list.account_num", "aN(30)")].map(|(f, t)| (f.into(), t.into())).into();
        let body = |count: &str, account_num: &str| {
            json!({"rsp_code": "00000", "rsp_msg": "성공", "reg_date": "20200101", "account_cnt": count,
                   "account_list": [{"account_num": account_num, "is_consent": "true", "prod_name": "자유입출금",
                                     "account_type": "1001", "account_status": "01"}]})
        };
        let standing = |body: &Value| -> Vec<String> {
            check_response(api, body)
                .into_iter()
                .filter(|v| !forgiven(api, Some(&retyped), v, body))
                .map(|v| v.to_string())
                .collect()
        };
        assert_eq!(standing(&body("1", "1002123456789")), Vec::<String>::new());
        assert_eq!(standing(&body("1", "1002123456789012345678901")), Vec::<String>::new(), "aN(30) forgives it");
        assert_eq!(standing(&body("2", "1002123456789")), ["account_cnt: says 2 but account_list holds 1"]);
        // N(5) forgives 1000 its N(3), not its miscount.
        assert_eq!(standing(&body("1000", "1002123456789")), ["account_cnt: says 1000 but account_list holds 1"]);
    }
}
