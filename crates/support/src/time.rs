//! Times as the standard writes them: Korean local time (KST, UTC+9, no daylight saving).

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use mydata_spec::types::{DTime, SearchTimestamp};

pub use mydata_spec::time::kst;

/// Unix seconds as a KST date-time.
pub fn kst_of(unix: i64) -> DateTime<FixedOffset> {
    kst().timestamp_opt(unix, 0).single().unwrap_or_else(|| Utc::now().with_timezone(&kst()))
}

/// The Unix seconds a Korean day begins at and the next one begins at.
pub fn day_bounds(day: chrono::NaiveDate) -> (i64, i64) {
    let start = |d: chrono::NaiveDate| {
        kst().from_local_datetime(&d.and_time(chrono::NaiveTime::MIN)).single().map_or(0, |t| t.timestamp())
    };
    (start(day), start(day.succ_opt().unwrap_or(day)))
}

/// `search_timestamp` (N(14), YYYYMMDDhhmmss in KST) of a Unix time.
pub fn search_timestamp(unix: i64) -> String {
    mydata_spec::time::dtime_text(kst_of(unix).naive_local())
}

/// The Unix time a `search_timestamp` ([`SearchTimestamp`]) stands for; `0` (the first call) is
/// the beginning of time.
pub fn parse_search_timestamp(text: &str) -> Option<i64> {
    match text.parse().ok()? {
        SearchTimestamp::Everything => Some(0),
        SearchTimestamp::Since(DTime(local)) => Some(kst().from_local_datetime(&local).single()?.timestamp()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_timestamps_round_trip_in_kst() {
        // 2021-09-01 00:00:00 UTC is 09:00 in Korea.
        assert_eq!(search_timestamp(1_630_454_400), "20210901090000");
        assert_eq!(parse_search_timestamp("20210901090000"), Some(1_630_454_400));
        assert_eq!(parse_search_timestamp("0"), Some(0));
        assert_eq!(parse_search_timestamp("20211301000000"), None);
    }

    #[test]
    fn a_korean_day_begins_at_15_utc_the_day_before() {
        let day = chrono::NaiveDate::from_ymd_opt(2021, 9, 1).unwrap();
        // 2021-08-31 15:00:00 UTC to 2021-09-01 15:00:00 UTC.
        assert_eq!(day_bounds(day), (1_630_422_000, 1_630_508_400));
    }
}
