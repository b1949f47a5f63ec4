//! The standard's transmission rules as the collector applies them: which x-api-type a collection
//! uses (ch.3.3.1), what period a history call asks for (ch.3.3.2, [`mydata_domain::PeriodRule`]),
//! and the periodic allowance's cycle windows ([`mydata_domain::Cycle`]).

use chrono::{Datelike, Months, NaiveDate};
use mydata_domain::{Cycle, Period, PeriodRule};
use mydata_spec::catalogue::PeriodUnit;
use mydata_spec::{ApiSpec, ApiType};

/// Today in Korea: the standard's dates (from_date/to_date, end_date) are Korean dates.
pub fn korean_today() -> NaiveDate {
    mydata_spec::time::korean_date(chrono::Utc::now())
}

/// The first collection after a consent is `user-consent` (12 months of history); later ones are
/// `scheduled`, counted against the periodic allowance.
pub fn api_type_for(first_collected: bool) -> ApiType {
    if first_collected { ApiType::Scheduled } else { ApiType::UserConsent }
}

/// The cycle that applies to `api` under a consent's cycles; the standard's weekly cycle when the
/// consent names none.
pub fn cycle_of(api: &ApiSpec, fnd_cycle: Option<&str>, add_cycle: Option<&str>) -> Cycle {
    Cycle::text_for(api, fnd_cycle, add_cycle).and_then(Cycle::parse).unwrap_or(Cycle::WEEKLY)
}

/// The period of the next history call of `api`, or `None` for an API without one.
pub fn next_period(
    api: &ApiSpec,
    api_type: ApiType,
    collected_to: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<Period> {
    Some(PeriodRule::of(api, Some(api_type), today)?.next(collected_to, today))
}

/// The request parameters that carry `period` for `api` (from_date/to_date or from_month/to_month).
pub fn period_params(api: &ApiSpec, period: Period) -> [(&'static str, String); 2] {
    match api.period_unit() {
        Some(PeriodUnit::Months) => {
            [("from_month", period.from.format("%Y%m").to_string()), ("to_month", period.to.format("%Y%m").to_string())]
        }
        _ => [("from_date", date_text(period.from)), ("to_date", date_text(period.to))],
    }
}

/// The months (YYYYMM, oldest first) a call naming one month (통신-002's `charge_month`) is made for
/// when nothing earlier named them: the 12 months the first collection may reach back (ch.3.3.2),
/// or this month and the one before when scheduled.
pub fn recent_months(api_type: ApiType, today: NaiveDate) -> Vec<String> {
    let count = if api_type.is_scheduled() { 2 } else { 12 };
    let this_month = today.with_day(1).expect("day 1 exists in every month");
    (0..count).rev().map(|back| (this_month - Months::new(back)).format("%Y%m").to_string()).collect()
}

/// YYYYMMDD, as the standard writes dates.
pub fn date_text(day: NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
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
        let first = next_period(deposit, ApiType::UserConsent, None, today).unwrap();
        assert_eq!(period_params(deposit, first)[0].1, "20251126");
        let again = next_period(deposit, ApiType::Scheduled, Some(day("20261120")), today).unwrap();
        assert_eq!(period_params(deposit, again), [("from_date", "20261120".into()), ("to_date", "20261125".into())]);
        let bills = api("카드-004").unwrap();
        let months = next_period(bills, ApiType::Scheduled, None, today).unwrap();
        assert_eq!(period_params(bills, months), [("from_month", "202609".into()), ("to_month", "202611".into())]);
        assert_eq!(next_period(api("은행-002").unwrap(), ApiType::Scheduled, None, today), None);
        assert_eq!(recent_months(ApiType::Scheduled, today), ["202610", "202611"]);
        assert_eq!(recent_months(ApiType::UserConsent, today).first().map(String::as_str), Some("202512"));
    }

    #[test]
    fn cycles_default_to_weekly() {
        let balance = api("은행-003").unwrap();
        assert_eq!(cycle_of(balance, Some("1/w"), Some("3/d")), Cycle::parse("3/d").unwrap());
        assert_eq!(cycle_of(balance, None, None), Cycle::WEEKLY);
        assert_eq!(api_type_for(false), ApiType::UserConsent);
        assert_eq!(api_type_for(true), ApiType::Scheduled);
    }
}
