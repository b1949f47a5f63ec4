//! A transmission request (전송요구): what a customer allowed one operator to collect from one provider.

use crate::cycle::Cycle;
use crate::scope::ScopeSet;
use chrono::{Days, NaiveDate};
use mydata_spec::{ApiSpec, AssetId, KnownApi};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentStatus {
    Active,
    /// Withdrawn by the customer or the operator (개별인증-004 or 지원 APIs); final.
    Revoked,
}

impl ConsentStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::Active => "active",
            ConsentStatus::Revoked => "revoked",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(ConsentStatus::Active),
            "revoked" => Some(ConsentStatus::Revoked),
            _ => None,
        }
    }
}

/// The optional items a customer may add to a request (공통-002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConsentOptions {
    pub trans_memo: bool,
    pub merchant_name_regno: bool,
    pub trans_category: bool,
}

/// One consent, as recorded by the provider that shows the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub consent_id: String,
    /// The provider's org_code the consent was given to.
    pub org_code: String,
    pub customer_id: String,
    /// The operator's client_id.
    pub client_id: String,
    pub scopes: ScopeSet,
    /// The assets the customer chose, each named by its list and key.
    pub assets: ConsentAssets,
    pub is_scheduled: bool,
    /// Cycles as the standard writes them (`1/w`), present when scheduled.
    pub fnd_cycle: Option<String>,
    pub add_cycle: Option<String>,
    /// The last day data may be transmitted.
    pub end_date: NaiveDate,
    pub purpose: String,
    /// Retention period (보유기간), `99991231` for individual authentication.
    pub period: NaiveDate,
    pub options: ConsentOptions,
    pub status: ConsentStatus,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
}

/// Why a consent no longer yields data.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConsentError {
    #[error("the consent was revoked")]
    Revoked,
    #[error("the consent ended on {0}")]
    Ended(NaiveDate),
}

impl Consent {
    /// Whether the consent may still yield data on `today`.
    pub fn check_active(&self, today: NaiveDate) -> Result<(), ConsentError> {
        if self.status == ConsentStatus::Revoked {
            return Err(ConsentError::Revoked);
        }
        if today > self.end_date {
            return Err(ConsentError::Ended(self.end_date));
        }
        Ok(())
    }

    /// Whether the customer chose the asset `key` of the asset list `list`.
    pub fn covers_asset(&self, list: &ApiSpec, key: &str) -> bool {
        self.assets.contains(list.id, key)
    }
}

/// The assets a consent names: an asset is its list and its key, never a key alone (one institution
/// may list one number as two assets, an IRP and a bank account). Looked up by borrowed list and key,
/// since an asset list asks it once per item it answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsentAssets(BTreeMap<&'static str, BTreeSet<String>>);

impl ConsentAssets {
    pub fn insert(&mut self, asset: AssetId) {
        self.0.entry(asset.list_id()).or_default().insert(asset.key);
    }

    pub fn contains(&self, list_id: &str, key: &str) -> bool {
        self.0.get(list_id).is_some_and(|keys| keys.contains(key))
    }

    pub fn iter(&self) -> impl Iterator<Item = AssetId> + '_ {
        self.0.iter().flat_map(|(list, keys)| {
            keys.iter().map(move |key| AssetId::of(list, key.clone()).expect("only asset lists are inserted"))
        })
    }

    pub fn len(&self) -> usize {
        self.0.values().map(BTreeSet::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<AssetId> for ConsentAssets {
    fn from_iter<I: IntoIterator<Item = AssetId>>(assets: I) -> Self {
        let mut set = ConsentAssets::default();
        assets.into_iter().for_each(|a| set.insert(a));
        set
    }
}

/// Which consent terms are for: 공통-002 gives the 1차 consent of 통합인증 (asset lists only) a
/// fixed life of seven days, and every other consent (개별인증, 2차 통합인증) up to a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentStage {
    /// 1차 통합인증 (`request_type` 0): end date and retention period seven days after the request.
    AssetLists,
    /// 개별인증 or 2차 통합인증: an end date within a year, kept until the service ends.
    Assets,
}

/// The cycles a customer may choose for 정기적 전송. 공통-002 fixes both at `1/w` at first and plans
/// more choice; we offer monthly too (fewer calls than the fixed one, never more).
pub const CHOOSABLE_CYCLES: [Cycle; 2] = [Cycle::WEEKLY, Cycle::MONTHLY];

/// 공통-002 `period` "99991231": kept until the service ends or the customer asks for deletion.
pub const KEPT_UNTIL_SERVICE_ENDS: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

/// The terms of a consent besides its assets (공통-002), as the customer gave them: checked by one
/// rule wherever a consent is made (the consent page, 통합인증-002).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentTerms {
    pub is_scheduled: bool,
    pub fnd_cycle: Option<String>,
    pub add_cycle: Option<String>,
    pub end_date: NaiveDate,
    /// 보유기간.
    pub period: NaiveDate,
}

/// Why consent terms are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsRefusal {
    /// A cycle given or left out against 공통-002's table: `fnd_cycle is sent only when
    /// is_scheduled is true`.
    #[error("{name} {problem}")]
    CycleAgainstSchedule { name: &'static str, problem: String },
    #[error("{name} {text:?} is not a cycle a customer may choose (1/w or 1/m)")]
    CycleNotChoosable { name: &'static str, text: String },
    #[error("end_date must be from {earliest} to {latest}")]
    EndDate { earliest: NaiveDate, latest: NaiveDate },
    #[error("period must be from {earliest} to {latest}")]
    Period { earliest: NaiveDate, latest: NaiveDate },
}

impl ConsentStage {
    /// 통합인증-002's `request_type`: `0` the asset lists (1차), `1` the chosen assets (2차).
    pub fn of_request_type(code: &str) -> Option<ConsentStage> {
        match code {
            "0" => Some(ConsentStage::AssetLists),
            "1" => Some(ConsentStage::Assets),
            _ => None,
        }
    }

    /// The end dates a consent made on `today` (a Korean date) may have.
    pub fn end_dates(self, today: NaiveDate) -> RangeInclusive<NaiveDate> {
        match self {
            ConsentStage::AssetLists => today..=today + Days::new(7),
            ConsentStage::Assets => today..=today + Days::new(365),
        }
    }

    /// The retention periods a consent made on `today` may have: seven days at most for the asset
    /// lists (the operator's day may have turned before ours), "99991231" otherwise.
    pub fn periods(self, today: NaiveDate) -> RangeInclusive<NaiveDate> {
        match self {
            ConsentStage::AssetLists => self.end_dates(today),
            ConsentStage::Assets => KEPT_UNTIL_SERVICE_ENDS..=KEPT_UNTIL_SERVICE_ENDS,
        }
    }
}

impl ConsentTerms {
    /// Checks the terms of a consent of `stage` made on `today` (a Korean date).
    pub fn check(&self, stage: ConsentStage, today: NaiveDate) -> Result<(), TermsRefusal> {
        // Whether a cycle goes with is_scheduled is 공통-002's rule for the consent it answers.
        let answered = serde_json::Map::from_iter([(
            "is_scheduled".to_owned(),
            serde_json::Value::String(self.is_scheduled.to_string()),
        )]);
        let table = KnownApi::Consents.spec().fields();
        for (name, cycle) in [("fnd_cycle", &self.fnd_cycle), ("add_cycle", &self.add_cycle)] {
            let field = table.response_field(name).unwrap_or_else(|| panic!("공통-002 answers {name}"));
            if let Some(problem) = field.condition_problem(cycle.is_some(), &answered) {
                return Err(TermsRefusal::CycleAgainstSchedule { name, problem });
            }
            if let Some(text) =
                cycle.as_ref().filter(|t| !Cycle::parse(t).is_some_and(|c| CHOOSABLE_CYCLES.contains(&c)))
            {
                return Err(TermsRefusal::CycleNotChoosable { name, text: text.clone() });
            }
        }
        let dates = stage.end_dates(today);
        if !dates.contains(&self.end_date) {
            return Err(TermsRefusal::EndDate { earliest: *dates.start(), latest: *dates.end() });
        }
        let periods = stage.periods(today);
        if !periods.contains(&self.period) {
            return Err(TermsRefusal::Period { earliest: *periods.start(), latest: *periods.end() });
        }
        Ok(())
    }
}

/// Whether an operator may ask the customer to extend a consent ending on `end_date` (전송요구 기간
/// 연장): from one month before it ends until it does (technical guideline 2022, ch.3 라).
pub fn extension_offered(end_date: NaiveDate, today: NaiveDate) -> bool {
    let opens = end_date.checked_sub_months(chrono::Months::new(1)).unwrap_or(end_date);
    (opens..=end_date).contains(&today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extension_is_offered_from_one_month_before_the_end() {
        let day = |s| NaiveDate::parse_from_str(s, "%Y%m%d").unwrap();
        let end = day("20270315");
        assert!(!extension_offered(end, day("20270214")));
        assert!(extension_offered(end, day("20270215")), "one month before");
        assert!(extension_offered(end, day("20270315")), "on the last day");
        assert!(!extension_offered(end, day("20270316")), "an ended consent is given anew, not extended");
        // The month before the end of March is the end of February.
        assert!(extension_offered(day("20270331"), day("20270228")));
        assert!(!extension_offered(day("20270331"), day("20270227")));
    }

    fn consent(status: ConsentStatus, end: &str) -> Consent {
        Consent {
            consent_id: "c1".into(),
            org_code: "BANK000001".into(),
            customer_id: "cust1".into(),
            client_id: "client1".into(),
            scopes: "bank.list bank.deposit".parse().unwrap(),
            assets: ["은행-001:1001001".parse::<AssetId>().unwrap()].into_iter().collect(),
            is_scheduled: true,
            fnd_cycle: Some("1/w".into()),
            add_cycle: Some("1/w".into()),
            end_date: NaiveDate::parse_from_str(end, "%Y%m%d").unwrap(),
            purpose: "자산관리".into(),
            period: KEPT_UNTIL_SERVICE_ENDS,
            options: ConsentOptions::default(),
            status,
            created_at: 0,
        }
    }

    #[test]
    fn active_until_and_including_its_end_date() {
        let c = consent(ConsentStatus::Active, "20261231");
        let day = |s| NaiveDate::parse_from_str(s, "%Y%m%d").unwrap();
        assert_eq!(c.check_active(day("20261231")), Ok(()));
        assert_eq!(c.check_active(day("20270101")), Err(ConsentError::Ended(day("20261231"))));
        let revoked = consent(ConsentStatus::Revoked, "20261231");
        assert_eq!(revoked.check_active(day("20260101")), Err(ConsentError::Revoked));
        let accounts = mydata_spec::catalogue::api("은행-001").unwrap();
        let irps = mydata_spec::catalogue::api("IRP-001").unwrap();
        assert!(c.covers_asset(accounts, "1001001") && !c.covers_asset(accounts, "999"));
        assert!(!c.covers_asset(irps, "1001001"), "the same number in another list is another asset");
        assert_eq!(c.assets.iter().map(|a| a.to_string()).collect::<Vec<_>>(), ["은행-001:1001001"]);
    }

    fn terms(cycle: Option<&str>, end: &str, period: &str) -> ConsentTerms {
        let day = |s| NaiveDate::parse_from_str(s, "%Y%m%d").unwrap();
        ConsentTerms {
            is_scheduled: cycle.is_some(),
            fnd_cycle: cycle.map(Into::into),
            add_cycle: cycle.map(Into::into),
            end_date: day(end),
            period: day(period),
        }
    }

    #[test]
    fn terms_follow_common_002() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let assets = ConsentStage::Assets;
        // 공통-002's examples: a request of 2021.12.1 ends 2022.12.1 at the latest (here a year on).
        assert_eq!(terms(Some("1/w"), "20271201", "99991231").check(assets, today), Ok(()));
        assert_eq!(terms(None, "20261201", "99991231").check(assets, today), Ok(()));
        assert_eq!(terms(Some("1/m"), "20270301", "99991231").check(assets, today), Ok(()));
        let (earliest, latest) = (today, NaiveDate::from_ymd_opt(2027, 12, 1).unwrap());
        for end in ["20271202", "20261130"] {
            assert_eq!(
                terms(Some("1/w"), end, "99991231").check(assets, today),
                Err(TermsRefusal::EndDate { earliest, latest })
            );
        }
        let refused = |t: ConsentTerms| t.check(assets, today).unwrap_err();
        assert!(matches!(refused(terms(Some("2/d"), "20270101", "99991231")), TermsRefusal::CycleNotChoosable { .. }));
        assert!(matches!(refused(terms(Some("1/x"), "20270101", "99991231")), TermsRefusal::CycleNotChoosable { .. }));
        let kept = TermsRefusal::Period { earliest: KEPT_UNTIL_SERVICE_ENDS, latest: KEPT_UNTIL_SERVICE_ENDS };
        assert_eq!(refused(terms(Some("1/w"), "20270101", "20271231")), kept);
        let unscheduled = ConsentTerms { is_scheduled: false, ..terms(Some("1/w"), "20270101", "99991231") };
        assert_eq!(refused(unscheduled).to_string(), "fnd_cycle is sent only when is_scheduled is true");
        let half = ConsentTerms { add_cycle: None, ..terms(Some("1/w"), "20270101", "99991231") };
        assert_eq!(refused(half).to_string(), "add_cycle is required when is_scheduled is true");
    }

    #[test]
    fn request_types_name_the_stages() {
        assert_eq!(ConsentStage::of_request_type("0"), Some(ConsentStage::AssetLists));
        assert_eq!(ConsentStage::of_request_type("1"), Some(ConsentStage::Assets));
        assert_eq!(ConsentStage::of_request_type("2"), None);
    }

    #[test]
    fn an_asset_list_consent_lives_seven_days() {
        // 공통-002: requested 2021.12.1, it ends and is kept until 2021.12.8.
        let today = NaiveDate::from_ymd_opt(2021, 12, 1).unwrap();
        let lists = ConsentStage::AssetLists;
        assert_eq!(terms(Some("1/w"), "20211208", "20211208").check(lists, today), Ok(()));
        assert!(matches!(
            terms(Some("1/w"), "20211209", "20211208").check(lists, today),
            Err(TermsRefusal::EndDate { .. })
        ));
        let kept_forever = terms(Some("1/w"), "20211208", "99991231").check(lists, today);
        let week = NaiveDate::from_ymd_opt(2021, 12, 8).unwrap();
        assert_eq!(kept_forever, Err(TermsRefusal::Period { earliest: today, latest: week }));
    }
}
