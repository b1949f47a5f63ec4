//! The standard's transmission rules as the collector applies them: which x-api-type a collection
//! uses (ch.3.3.1), what period a history call asks for (ch.3.3.2), and the periodic allowance's
//! cycle windows (공통-002 `fnd_cycle`/`add_cycle`).

use chrono::{Datelike, Days, Months, NaiveDate};
use mydata_spec::{ApiSpec, ApiType, Periodic, ScopeRule};

/// Today in Korea: the standard's dates (from_date/to_date, end_date) are Korean dates.
pub fn korean_today() -> NaiveDate {
    mydata_spec::time::korean_date(chrono::Utc::now())
}

/// The first collection after a consent is `user-consent` (12 months of history); later ones are
/// `scheduled`, counted against the periodic allowance.
pub fn api_type_for(first_collected: bool) -> ApiType {
    if first_collected { ApiType::Scheduled } else { ApiType::UserConsent }
}

/// The inclusive day range one history call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The period of the next history call: from the last day already complete (asked again, since
    /// it may have gained entries after the last call) up to today, within the longest span the
    /// x-api-type allows (ch.3.3.2: 12 months after a consent; 31 days, or about three months for the
    /// listed APIs, when scheduled). Older gaps than the span are left to the customer's own
    /// searches (`user-search`), as the standard provides.
    pub fn next(api: &ApiSpec, api_type: ApiType, collected_to: Option<NaiveDate>, today: NaiveDate) -> Period {
        let earliest = match (api_type, api.takes_month_range()) {
            (ApiType::Scheduled, true) => first_of_month(today) - Months::new(2),
            (ApiType::Scheduled, false) => today - Days::new(u64::from(api.scheduled_max_days()) - 1),
            // Whole months: the twelfth month back would start before the 12-month limit.
            (_, true) => first_of_month(today) - Months::new(11),
            (_, false) => today - Months::new(12) + Days::new(1),
        };
        let from = collected_to.map_or(earliest, |done| done.max(earliest)).min(today);
        Period { from, to: today }
    }

    pub fn from_date(&self) -> String {
        self.from.format("%Y%m%d").to_string()
    }

    pub fn to_date(&self) -> String {
        self.to.format("%Y%m%d").to_string()
    }

    pub fn from_month(&self) -> String {
        self.from.format("%Y%m").to_string()
    }

    pub fn to_month(&self) -> String {
        self.to.format("%Y%m").to_string()
    }

    /// Every month the period touches, oldest first (YYYYMM).
    pub fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let mut month = first_of_month(self.from);
        while month <= self.to {
            months.push(month.format("%Y%m").to_string());
            month = month + Months::new(1);
        }
        months
    }
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("day 1 exists in every month")
}

/// Whether the keyed `api` describes the asset `item` of its asset list, by the asset's type
/// (첨부3 account types, 첨부7 policy types): a bank's deposit, investment and loan APIs each take
/// their own kind of account (and an overdraft deposit account, `is_minus`, is also a loan account:
/// 은행-001's rules), a capital company's operating leases have their own APIs, and only a car
/// policy has car-insurance details. Calling the others would only earn 40402 answers.
pub fn describes(api: &ApiSpec, item: &serde_json::Value) -> bool {
    let field = |name: &str| item.get(name).and_then(serde_json::Value::as_str);
    match (api.id, field("account_type"), field("insu_type")) {
        ("할부금융-005" | "할부금융-006", Some(t), _) => t == OPERATING_LEASE,
        (id, Some(t), _) if id.starts_with("할부금융-") => t != OPERATING_LEASE,
        ("보험-004" | "보험-007", _, Some(t)) => t == CAR_INSURANCE,
        (id, Some(t), _) if id.starts_with("은행-") => match api.scope {
            ScopeRule::Industry("deposit") => t.starts_with('1'),
            ScopeRule::Industry("invest") => t.starts_with('2'),
            ScopeRule::Industry("loan") => {
                t.starts_with('3') || (t.starts_with('1') && field("is_minus") == Some("true") && api.id != "은행-010")
            }
            _ => true,
        },
        _ => true,
    }
}

/// 첨부3 운용리스.
const OPERATING_LEASE: &str = "3710";
/// 첨부7 자동차보험.
const CAR_INSURANCE: &str = "17";

/// A transmission cycle of 공통-002 (`1/w`, `2/d`, `1/m`): so many calls per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    pub calls: u64,
    unit: CycleUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CycleUnit {
    Day,
    Week,
    Month,
}

impl Cycle {
    /// The standard's initial fixed cycle, once a week (ch.3.3.1).
    pub const WEEKLY: Cycle = Cycle { calls: 1, unit: CycleUnit::Week };

    pub fn parse(text: &str) -> Option<Cycle> {
        let (calls, unit) = text.split_once('/')?;
        let calls = calls.parse().ok().filter(|n| *n > 0)?;
        let unit = match unit {
            "d" => CycleUnit::Day,
            "w" => CycleUnit::Week,
            "m" => CycleUnit::Month,
            _ => return None,
        };
        Some(Cycle { calls, unit })
    }

    /// The cycle that applies to `api` under a consent's cycles (basic or additional information).
    pub fn of(api: &ApiSpec, fnd_cycle: Option<&str>, add_cycle: Option<&str>) -> Cycle {
        let text = match api.periodic {
            Some(Periodic::Additional) => add_cycle,
            _ => fnd_cycle,
        };
        text.and_then(Cycle::parse).unwrap_or(Cycle::WEEKLY)
    }

    /// The window `day` falls in, e.g. `W20261122` (its Sunday), `2026-11-25`, `2026-11`.
    pub fn window(&self, day: NaiveDate) -> String {
        match self.unit {
            CycleUnit::Day => day.format("%Y-%m-%d").to_string(),
            // Sunday to Saturday, Korean time: the schedule's weeks.
            CycleUnit::Week => crate::schedule::CycleUnit::Week.window_name(day),
            CycleUnit::Month => day.format("%Y-%m").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mydata_spec::catalogue::api;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y%m%d").unwrap()
    }

    #[test]
    fn the_first_collection_asks_for_twelve_months_and_later_ones_for_what_is_new() {
        let deposit = api("은행-004").unwrap();
        let today = day("20261125");
        let first = Period::next(deposit, ApiType::UserConsent, None, today);
        assert_eq!((first.from_date(), first.to_date()), ("20251126".into(), "20261125".into()));
        let again = Period::next(deposit, ApiType::Scheduled, Some(day("20261120")), today);
        assert_eq!(again.from_date(), "20261120");
        // A gap longer than the scheduled span is cut to the span (31 days, 93 for 은행-010).
        let late = Period::next(deposit, ApiType::Scheduled, Some(day("20260101")), today);
        assert_eq!((late.to - late.from).num_days(), 30);
        let loan = Period::next(api("은행-010").unwrap(), ApiType::Scheduled, Some(day("20260101")), today);
        assert_eq!((loan.to - loan.from).num_days(), 92);
    }

    #[test]
    fn month_ranges_cover_at_most_three_months_when_scheduled() {
        let bills = api("카드-004").unwrap();
        let p = Period::next(bills, ApiType::Scheduled, None, day("20261125"));
        assert_eq!((p.from_month(), p.to_month()), ("202609".into(), "202611".into()));
        assert_eq!(p.months(), ["202609", "202610", "202611"]);
        let first = Period::next(bills, ApiType::UserConsent, None, day("20261125"));
        assert_eq!((first.from_month(), first.to_month()), ("202512".into(), "202611".into()));
    }

    #[test]
    fn cycles_name_their_windows() {
        assert_eq!(Cycle::parse("1/w"), Some(Cycle::WEEKLY));
        assert_eq!(Cycle::parse("2/d").unwrap().calls, 2);
        assert_eq!(Cycle::parse("0/w"), None);
        assert_eq!(Cycle::parse("1/y"), None);
        assert_eq!(Cycle::WEEKLY.window(day("20261125")), "W20261122");
        assert_eq!(Cycle::parse("1/m").unwrap().window(day("20261125")), "2026-11");
        let balance = api("은행-003").unwrap();
        assert_eq!(Cycle::of(balance, Some("1/w"), Some("3/d")).window(day("20261125")), "2026-11-25");
        assert_eq!(api_type_for(false), ApiType::UserConsent);
        assert_eq!(api_type_for(true), ApiType::Scheduled);
    }

    #[test]
    fn each_kind_of_asset_gets_its_own_apis() {
        let deposit = serde_json::json!({"account_num": "1", "account_type": "1001", "is_minus": "false"});
        let overdraft = serde_json::json!({"account_num": "2", "account_type": "1001", "is_minus": "true"});
        let loan = serde_json::json!({"account_num": "3", "account_type": "3100"});
        let lease = serde_json::json!({"account_num": "4", "account_type": "3710"});
        let car = serde_json::json!({"insu_num": "5", "insu_type": "17"});
        let life = serde_json::json!({"insu_num": "6", "insu_type": "16"});
        let d = |id: &str, item: &serde_json::Value| describes(api(id).unwrap(), item);
        assert!(d("은행-002", &deposit) && !d("은행-005", &deposit) && !d("은행-008", &deposit));
        assert!(d("은행-008", &overdraft) && d("은행-009", &overdraft) && !d("은행-010", &overdraft));
        assert!(d("은행-010", &loan) && !d("은행-002", &loan));
        assert!(d("할부금융-005", &lease) && !d("할부금융-002", &lease) && d("할부금융-002", &loan));
        assert!(d("보험-004", &car) && !d("보험-004", &life) && d("보험-002", &life));
    }
}
