//! The standard's clock is Korean Standard Time (UTC+9): dates such as a consent's end_date, the
//! from/to of a history and DTIME stamps are Korean dates and times.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike, Utc};

/// UTC+9, without daylight saving.
pub fn kst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

/// The Korean date at the instant `at`.
pub fn korean_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&kst()).date_naive()
}

/// DTIME (`YYYYMMDDhhmmss`) of a date-time, written digit by digit: a stamp goes out with every
/// information-API answer, and a chrono format string is parsed anew on each use.
pub fn dtime_text(at: NaiveDateTime) -> String {
    let (date, time) = (at.date(), at.time());
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        date.year(),
        date.month(),
        date.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// The DTIME of the instant `at` in Korea.
pub fn korean_dtime(at: DateTime<Utc>) -> String {
    dtime_text(at.with_timezone(&kst()).naive_local())
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

    #[test]
    fn dtime_text_is_chronos_format() {
        for text in ["2021-09-30T14:59:59Z", "0999-01-02T03:04:05Z", "9999-12-31T23:59:59Z"] {
            let at = DateTime::parse_from_rfc3339(text).unwrap().naive_utc();
            assert_eq!(dtime_text(at), at.format("%Y%m%d%H%M%S").to_string(), "{text}");
        }
        let before = DateTime::parse_from_rfc3339("2021-09-30T15:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(korean_dtime(before), "20211001000000");
    }
}
