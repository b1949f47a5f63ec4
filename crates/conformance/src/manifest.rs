//! The checks as data: which check and which negative probe applies to which API, what it sends and
//! what the standard expects back. A new version of the standard is an edit of `manifest/*.json`.

use mydata_spec::{ApiSpec, Industry, ScopeRule};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The manifest of standard v1 (2021-09), compiled in.
pub const V1: &str = include_str!("../manifest/v1.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// The edition of the standard the manifest encodes.
    pub standard: String,
    pub defaults: Defaults,
    pub checks: Vec<CheckSpec>,
    pub probes: Vec<ProbeSpec>,
    /// Per API ID and field path (list indices left out, `api_list.api_uri`): the type the suite checks
    /// instead of the table's, where the table contradicts its own notes and examples.
    #[serde(default)]
    pub field_types: BTreeMap<String, BTreeMap<String, String>>,
    /// Values for required request parameters that no earlier response carries.
    #[serde(default)]
    pub param_fallbacks: BTreeMap<String, ParamFallback>,
    /// Per API ID: checks or probes that cannot apply, with the reason (reported as not tested).
    #[serde(default)]
    pub overrides: BTreeMap<String, Override>,
}

/// How to make a parameter value nothing else supplies.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamFallback {
    /// `YYYYMM` of the month this many months before the current one.
    MonthsAgo(u32),
    /// A fixed value.
    Value(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct Defaults {
    /// x-api-type of the functional requests.
    pub api_type: String,
    /// `limit` of the functional requests; 1 makes every second item a second page.
    pub limit: u32,
    /// Pages the paging check follows at most.
    pub max_pages: u32,
    /// Length of the day range of history requests, ending today.
    pub history_days: u32,
    /// Length of the month range of history requests, ending this month.
    pub history_months: u32,
    /// Assets a detail or history API is tried with until one is answered.
    pub asset_candidates: usize,
    /// The 10-character org code the suite's x-api-tran-id values begin with (첨부14).
    pub tran_id_org: String,
}

/// A functional check, implemented by the runner and selected here.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckSpec {
    pub id: CheckKind,
    #[serde(default)]
    pub when: Vec<Feature>,
    pub clause: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    Success,
    ResponseFields,
    CodeLists,
    Paging,
    SearchTimestamp,
}

impl CheckKind {
    pub fn id(self) -> &'static str {
        match self {
            CheckKind::Success => "success",
            CheckKind::ResponseFields => "response-fields",
            CheckKind::CodeLists => "code-lists",
            CheckKind::Paging => "paging",
            CheckKind::SearchTimestamp => "search-timestamp",
        }
    }
}

/// A probe: the API's working request with one thing changed, and the rsp_codes of 첨부1 the provider
/// may answer with (each with the HTTP status 첨부1 pairs it with). Most are negative (an error is
/// expected); a few expect success where a provider could wrongly refuse.
#[derive(Debug, Clone, Deserialize)]
pub struct ProbeSpec {
    pub id: String,
    #[serde(default)]
    pub when: Vec<Feature>,
    pub clause: String,
    pub mutate: Mutation,
    pub expect: Vec<String>,
}

/// What a probe changes in the working request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mutation {
    DropHeader(String),
    SetHeader(String, String),
    /// Applies only to APIs whose request takes the parameter.
    DropParam(String),
    /// Applies only to APIs whose request takes the parameter.
    SetParam(String, String),
    Token(TokenVariant),
    Resource(ResourceVariant),
    Period(PeriodVariant),
    /// GET for a POST API and POST for a GET API.
    OtherMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenVariant {
    /// No Authorization header.
    None,
    /// A bearer value that is no token at all.
    Garbage,
    /// The `--revoked-token` the user supplies.
    Revoked,
    /// The `--narrow-token`, granted only the `<industry>.list` scope.
    Narrow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceVariant {
    /// A key of the right type that no asset list returned.
    Unknown,
    /// A listed asset the list marks `is_consent: false`.
    Unconsented,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodVariant {
    /// `to` before `from`.
    Reversed,
    /// A scheduled call spanning more than ch.3.3.2 allows.
    ScheduledTooLong,
    /// A short period that begins more than five years ago.
    OlderThanFiveYears,
}

/// A property of an API a check or probe needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Needs an access token.
    Token,
    /// Takes x-api-type.
    ApiType,
    /// Requires x-api-type.
    ApiTypeRequired,
    Pages,
    SearchTimestamp,
    /// Takes from_date/to_date.
    DateRange,
    /// Takes a day or a month range.
    Period,
    /// Names one asset in the request.
    ResourceKey,
    /// Needs a scope other than `<industry>.list`.
    NotListScope,
    /// Needs exactly the `<industry>.list` scope.
    ListScope,
}

impl Feature {
    pub fn holds(self, api: &ApiSpec) -> bool {
        let request_field = |name: &str| api.fields().request_field(name);
        match self {
            Feature::Token => api.scope != ScopeRule::None,
            Feature::ApiType => request_field("x-api-type").is_some(),
            Feature::ApiTypeRequired => request_field("x-api-type").is_some_and(|f| f.required),
            Feature::Pages => api.pages(),
            Feature::SearchTimestamp => api.takes_search_timestamp(),
            Feature::DateRange => api.takes_date_range(),
            Feature::Period => api.takes_date_range() || api.takes_month_range(),
            Feature::ResourceKey => api.resource_key().is_some(),
            Feature::NotListScope => matches!(api.scope, ScopeRule::Industry(_)),
            Feature::ListScope => api.scope == ScopeRule::List,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Override {
    /// Check or probe IDs not to run for this API.
    #[serde(default)]
    pub skip: Vec<String>,
    pub reason: String,
}

impl Manifest {
    pub fn v1() -> Manifest {
        // The manifest is compiled in and parsed by this crate's tests, so a parse failure is a build defect.
        serde_json::from_str(V1).unwrap_or_else(|e| panic!("manifest/v1.json does not parse: {e}"))
    }

    /// Why `check` (a check or probe ID) is not run for `api`, if the manifest says it is not.
    pub fn skipped(&self, api: &ApiSpec, check: &str) -> Option<&str> {
        self.overrides.get(api.id).filter(|o| o.skip.iter().any(|s| s == check)).map(|o| o.reason.as_str())
    }

    pub fn checks_for<'m>(&'m self, api: &'m ApiSpec) -> impl Iterator<Item = &'m CheckSpec> {
        self.checks.iter().filter(move |c| c.when.iter().all(|f| f.holds(api)))
    }

    pub fn probes_for<'m>(&'m self, api: &'m ApiSpec) -> impl Iterator<Item = &'m ProbeSpec> {
        self.probes.iter().filter(move |p| p.applies(api))
    }
}

impl ProbeSpec {
    pub fn applies(&self, api: &ApiSpec) -> bool {
        let takes = |name: &str| api.fields().request_field(name).is_some();
        let mutation_applies = match &self.mutate {
            Mutation::DropParam(name) | Mutation::SetParam(name, _) => takes(name),
            _ => true,
        };
        mutation_applies && self.when.iter().all(|f| f.holds(api))
    }
}

/// The information APIs of an industry the manifest knows, in the order the runner exercises them:
/// 공통-001 first, asset lists next (their items name the assets of the others), then the catalogue order.
pub fn run_order(industry: Industry) -> Vec<&'static ApiSpec> {
    let mut apis: Vec<&'static ApiSpec> = mydata_spec::catalogue::info_apis(industry).collect();
    apis.sort_by_key(|api| match api.scope {
        ScopeRule::None => 0,
        ScopeRule::List => 1,
        _ => 2,
    });
    apis
}

#[cfg(test)]
mod tests {
    use super::*;
    use mydata_spec::catalogue::api;

    #[test]
    fn v1_parses_and_its_probes_expect_codes_of_attachment_1() {
        let manifest = Manifest::v1();
        assert!(manifest.probes.len() >= 15);
        for probe in &manifest.probes {
            for code in &probe.expect {
                assert!(mydata_spec::RspCode::from_code(code).is_some(), "{}: {code} is not in 첨부1", probe.id);
            }
        }
        for id in manifest.overrides.keys().chain(manifest.field_types.keys()) {
            assert!(api(id).is_some(), "manifest entry for unknown API {id}");
        }
    }

    #[test]
    fn probes_apply_by_the_apis_features() {
        let manifest = Manifest::v1();
        let ids =
            |api_id: &str| -> Vec<String> { manifest.probes_for(api(api_id).unwrap()).map(|p| p.id.clone()).collect() };
        let api_list = ids("공통-001");
        assert!(api_list.contains(&"missing-client-id".to_owned()));
        assert!(!api_list.contains(&"missing-token".to_owned()));
        let accounts = ids("은행-001");
        assert!(accounts.contains(&"limit-over-500".to_owned()));
        assert!(!accounts.contains(&"scope-not-granted".to_owned()), "a list API needs only the list scope");
        assert!(accounts.contains(&"list-scope-suffices".to_owned()));
        let transactions = ids("은행-004");
        for expected in ["scope-not-granted", "asset-outside-consent", "period-too-long-scheduled"] {
            assert!(transactions.contains(&expected.to_owned()), "{expected}");
        }
        assert!(!ids("카드-004").contains(&"period-too-long-scheduled".to_owned()), "month ranges have no day limit");
    }

    #[test]
    fn asset_lists_run_before_the_apis_that_name_their_assets() {
        let order: Vec<&str> = run_order(Industry::Bank).iter().map(|a| a.id).collect();
        assert_eq!(order[0], "공통-001");
        let position = |id: &str| order.iter().position(|a| *a == id).unwrap();
        assert!(position("은행-001") < position("은행-002"));
        assert!(position("IRP-001") < position("IRP-004"));
    }
}
