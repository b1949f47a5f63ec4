//! A transmission request (전송요구): what a customer allowed one operator to collect from one provider.

use crate::scope::ScopeSet;
use chrono::NaiveDate;
use mydata_spec::{ApiSpec, AssetId};
use std::collections::{BTreeMap, BTreeSet};

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
            period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
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
}
