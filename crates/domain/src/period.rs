//! The from/to rules of ch.3.3.2 (전송기준), for the provider that checks a history request and the
//! operator that plans one:
//! - right after a consent (`user-consent`) and on log-in or refresh (`user-refresh`): at most 12
//!   months back from today, in one call ("2021.12.1. 전송요구 시 : 2020.12.2. ~ 2021.12.1.");
//! - the customer's own search (`user-search`): at most five years back, exact to the day ("2021.12.1.
//!   … 최대 2016.12.2. ~ 2021.12.1.");
//! - scheduled transmission: at most 31 days per call (three months for the APIs the text lists, and
//!   for every month-range API), never older than five years.
//!
//! Month-range APIs count whole months: 12 months back is this month and the 11 before it.

use chrono::{Datelike, Days, Months, NaiveDate};
use mydata_spec::catalogue::PeriodUnit;
use mydata_spec::{ApiSpec, ApiType};

/// An inclusive period of days; for month-range APIs, from the first of `from_month` to the last of
/// `to_month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Why a period is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodRefusal {
    /// 40001.
    #[error("the period must not end before it starts")]
    Reversed,
    /// 40304.
    #[error("the period starts more than five years ago (the earliest is {earliest})")]
    OlderThanFiveYears { earliest: NaiveDate },
    /// 40004: `user-consent`/`user-refresh` reach back at most 12 months.
    #[error("{api_type} calls reach back at most 12 months (the earliest is {earliest})")]
    BeyondTwelveMonths { api_type: &'static str, earliest: NaiveDate },
    /// 40004: longer than one call may ask for.
    #[error("at most {most} in one {api_type} call")]
    TooLong { most: String, api_type: &'static str },
}

/// How long one call's period may be, and how far back it may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodRule {
    pub unit: PeriodUnit,
    /// The earliest `from` allowed today.
    pub earliest: NaiveDate,
    /// Whether `earliest` is the five-year limit (else the 12-month one).
    five_years: bool,
    /// The longest span: days for day ranges, months for month ranges (inclusive counts).
    pub longest: u32,
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("day 1 exists in every month")
}

/// Whole months from `from`'s month to `to`'s, both counted.
fn months_counted(from: NaiveDate, to: NaiveDate) -> i64 {
    i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month()) + 1
}

impl PeriodRule {
    /// The rule for a call of `api` (which takes a period) as `api_type` on `today` (a Korean date).
    /// A call without x-api-type is held to the customer-present rule of 12 months.
    pub fn of(api: &ApiSpec, api_type: Option<ApiType>, today: NaiveDate) -> Option<PeriodRule> {
        let unit = api.period_unit()?;
        let twelve_months = match unit {
            PeriodUnit::Days => today - Months::new(12) + Days::new(1),
            PeriodUnit::Months => first_of_month(today) - Months::new(11),
        };
        let five_years = match unit {
            PeriodUnit::Days => today - Months::new(60) + Days::new(1),
            PeriodUnit::Months => first_of_month(today) - Months::new(59),
        };
        let (earliest, is_five_years, longest) = match (api_type, unit) {
            (Some(ApiType::Scheduled), PeriodUnit::Days) => (five_years, true, api.scheduled_max_days()),
            (Some(ApiType::Scheduled), PeriodUnit::Months) => (five_years, true, 3),
            (Some(ApiType::UserSearch), PeriodUnit::Days) => {
                (five_years, true, (today - five_years).num_days() as u32 + 1)
            }
            (Some(ApiType::UserSearch), PeriodUnit::Months) => (five_years, true, 60),
            (_, PeriodUnit::Days) => (twelve_months, false, (today - twelve_months).num_days() as u32 + 1),
            (_, PeriodUnit::Months) => (twelve_months, false, 12),
        };
        Some(PeriodRule { unit, earliest, five_years: is_five_years, longest })
    }

    /// Checks a requested period.
    pub fn check(&self, period: Period, api_type: Option<ApiType>) -> Result<(), PeriodRefusal> {
        if period.from > period.to {
            return Err(PeriodRefusal::Reversed);
        }
        let type_name = api_type.map_or("customer-present", ApiType::as_str);
        if period.from < self.earliest {
            return Err(if self.five_years {
                PeriodRefusal::OlderThanFiveYears { earliest: self.earliest }
            } else {
                PeriodRefusal::BeyondTwelveMonths { api_type: type_name, earliest: self.earliest }
            });
        }
        let (span, unit) = match self.unit {
            PeriodUnit::Days => ((period.to - period.from).num_days() + 1, "days"),
            PeriodUnit::Months => (months_counted(period.from, period.to), "months"),
        };
        if span > i64::from(self.longest) {
            return Err(PeriodRefusal::TooLong { most: format!("{} {unit}", self.longest), api_type: type_name });
        }
        Ok(())
    }

    /// The period of the operator's next call: from the last day already complete (asked again, since
    /// it may have gained entries after the last call) up to `today`, within the rule. Older gaps
    /// than one call may ask for are left to the customer's own searches (`user-search`), as the
    /// standard provides.
    pub fn next(&self, collected_to: Option<NaiveDate>, today: NaiveDate) -> Period {
        let shortest_start = match self.unit {
            PeriodUnit::Days => today - Days::new(u64::from(self.longest) - 1),
            PeriodUnit::Months => first_of_month(today) - Months::new(self.longest - 1),
        };
        let earliest = self.earliest.max(shortest_start);
        let from = collected_to.map_or(earliest, |done| done.max(earliest)).min(today);
        Period { from, to: today }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mydata_spec::catalogue::api;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y%m%d").unwrap()
    }

    fn period(from: &str, to: &str) -> Period {
        Period { from: day(from), to: day(to) }
    }

    fn rule(id: &str, api_type: ApiType, today: &str) -> PeriodRule {
        PeriodRule::of(api(id).unwrap(), Some(api_type), day(today)).unwrap()
    }

    #[test]
    fn the_texts_examples_hold_exactly() {
        // "고객이 2021.12.1. 전송요구 시 : 2020.12.2. ~ 2021.12.1."
        let consent = rule("은행-004", ApiType::UserConsent, "20211201");
        assert_eq!(consent.check(period("20201202", "20211201"), Some(ApiType::UserConsent)), Ok(()));
        assert!(matches!(
            consent.check(period("20201201", "20211201"), Some(ApiType::UserConsent)),
            Err(PeriodRefusal::BeyondTwelveMonths { .. })
        ));
        // A short period that starts too far back is refused too, not only a long one.
        assert!(consent.check(period("20201130", "20201205"), Some(ApiType::UserRefresh)).is_err());
        // "최대 2016.12.2. ~ 2021.12.1."
        let search = rule("은행-004", ApiType::UserSearch, "20211201");
        assert_eq!(search.check(period("20161202", "20211201"), Some(ApiType::UserSearch)), Ok(()));
        assert_eq!(
            search.check(period("20161201", "20161231"), Some(ApiType::UserSearch)),
            Err(PeriodRefusal::OlderThanFiveYears { earliest: day("20161202") })
        );
    }

    #[test]
    fn scheduled_calls_ask_for_31_days_or_three_months() {
        let deposit = rule("은행-004", ApiType::Scheduled, "20261125");
        assert_eq!(deposit.check(period("20261026", "20261125"), Some(ApiType::Scheduled)), Ok(()));
        assert!(matches!(
            deposit.check(period("20261025", "20261125"), Some(ApiType::Scheduled)),
            Err(PeriodRefusal::TooLong { .. })
        ));
        let loan = rule("은행-010", ApiType::Scheduled, "20261125");
        assert_eq!(loan.check(period("20260825", "20261125"), Some(ApiType::Scheduled)), Ok(()));
        let bills = rule("카드-004", ApiType::Scheduled, "20261125");
        assert_eq!(bills.check(period("20260901", "20261130"), Some(ApiType::Scheduled)), Ok(()));
        assert!(bills.check(period("20260801", "20261130"), Some(ApiType::Scheduled)).is_err());
        assert_eq!(deposit.check(period("20261126", "20261125"), None), Err(PeriodRefusal::Reversed));
    }

    #[test]
    fn the_operator_plans_what_the_provider_accepts() {
        let today = day("20261125");
        for (id, api_type) in [
            ("은행-004", ApiType::UserConsent),
            ("은행-004", ApiType::Scheduled),
            ("은행-010", ApiType::Scheduled),
            ("카드-004", ApiType::UserConsent),
            ("카드-004", ApiType::Scheduled),
        ] {
            let rule = rule(id, api_type, "20261125");
            for collected in [None, Some(day("20200101")), Some(day("20261120")), Some(today)] {
                let next = rule.next(collected, today);
                assert_eq!(rule.check(next, Some(api_type)), Ok(()), "{id} {api_type:?} after {collected:?}");
            }
        }
        let first = rule("은행-004", ApiType::UserConsent, "20261125").next(None, today);
        assert_eq!(first, period("20251126", "20261125"));
        let again = rule("은행-004", ApiType::Scheduled, "20261125").next(Some(day("20261120")), today);
        assert_eq!(again, period("20261120", "20261125"));
        let bills = rule("카드-004", ApiType::Scheduled, "20261125").next(None, today);
        assert_eq!(bills.from, day("20260901"));
    }
}
