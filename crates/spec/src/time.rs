//! The standard's clock is Korean Standard Time (UTC+9): dates such as a consent's end_date, the
//! from/to of a history and DTIME stamps are Korean dates and times.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// UTC+9, without daylight saving.
pub fn kst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

/// The Korean date at the instant `at`.
pub fn korean_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&kst()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_dates_turn_at_15_utc() {
        let before = DateTime::parse_from_rfc3339("2021-09-30T14:59:59Z").unwrap().with_timezone(&Utc);
        let after = DateTime::parse_from_rfc3339("2021-09-30T15:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(korean_date(before).to_string(), "2021-09-30");
        assert_eq!(korean_date(after).to_string(), "2021-10-01");
    }
}
