//! The periodic allowance's cycles (공통-002 `fnd_cycle`/`add_cycle`, ch.3.3.1): so many scheduled
//! transmissions per day, week or month, per customer and asset.
//!
//! A week runs Sunday to Saturday (기술 가이드라인 2022, p.18 and Q&A p.98), in Korean time, like
//! every date of the standard; the provider counts and the operator plans by the same windows.

use chrono::{Datelike, Days, NaiveDate};
use mydata_spec::{ApiSpec, Periodic};

/// A transmission cycle (`1/w`, `2/d`, `1/m`): so many calls per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    pub calls: u64,
    pub unit: CycleUnit,
}

/// Shortest first: the schedule takes the shortest of a consent's cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CycleUnit {
    Day,
    Week,
    Month,
}

impl CycleUnit {
    /// The unit as 공통-002 writes it and as a customer says it.
    const fn names(self) -> (char, &'static str) {
        match self {
            CycleUnit::Day => ('d', "하루"),
            CycleUnit::Week => ('w', "주"),
            CycleUnit::Month => ('m', "월"),
        }
    }
}

impl Cycle {
    /// The standard's initial fixed cycle, once a week (ch.3.3.1).
    pub const WEEKLY: Cycle = Cycle { calls: 1, unit: CycleUnit::Week };
    pub const MONTHLY: Cycle = Cycle { calls: 1, unit: CycleUnit::Month };

    /// A cycle as 공통-002 writes it: `count/unit`, unit `d`, `w` or `m`, count at least 1.
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

    /// The cycle in plain Korean, as a customer reads it: `주 1회`, `하루 2회`, `월 1회`.
    pub fn korean(&self) -> String {
        format!("{} {}회", self.unit.names().1, self.calls)
    }

    /// The consent's cycle text that applies to `api`: `fnd_cycle` for 기본 APIs, `add_cycle` for 추가.
    pub fn text_for<'a>(api: &ApiSpec, fnd_cycle: Option<&'a str>, add_cycle: Option<&'a str>) -> Option<&'a str> {
        match api.periodic? {
            Periodic::Basic => fnd_cycle,
            Periodic::Additional => add_cycle,
        }
    }

    /// The first day of the window `day` (a Korean date) falls in.
    pub fn window_start(&self, day: NaiveDate) -> NaiveDate {
        match self.unit {
            CycleUnit::Day => day,
            CycleUnit::Week => day - Days::new(u64::from(day.weekday().num_days_from_sunday())),
            CycleUnit::Month => day.with_day(1).expect("day 1 exists in every month"),
        }
    }

    /// The first day of the window after the one `day` falls in.
    pub fn next_window_start(&self, day: NaiveDate) -> NaiveDate {
        let start = self.window_start(day);
        match self.unit {
            CycleUnit::Day => start + Days::new(1),
            CycleUnit::Week => start + Days::new(7),
            CycleUnit::Month => start + chrono::Months::new(1),
        }
    }

    /// The window `day` falls in, as stored with each count: `2026-11-25` for a day, `2026-11-29w`
    /// for the week starting Sunday 2026-11-29, `2026-11` for a month.
    pub fn window(&self, day: NaiveDate) -> String {
        match self.unit {
            CycleUnit::Day => day.format("%Y-%m-%d").to_string(),
            CycleUnit::Week => format!("{}w", self.window_start(day).format("%Y-%m-%d")),
            CycleUnit::Month => day.format("%Y-%m").to_string(),
        }
    }
}

/// As 공통-002 writes it: `1/w`.
impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.calls, self.unit.names().0)
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
    fn cycles_parse_as_written() {
        assert_eq!(Cycle::parse("1/w"), Some(Cycle::WEEKLY));
        assert_eq!(Cycle::parse("2/d"), Some(Cycle { calls: 2, unit: CycleUnit::Day }));
        for text in ["1/w", "2/d", "1/m"] {
            assert_eq!(Cycle::parse(text).unwrap().to_string(), text);
        }
        for bad in ["", "1", "w/1", "1/y", "x/w", "0/w", "-1/w"] {
            assert_eq!(Cycle::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn cycles_are_written_back_and_said_in_korean() {
        for (text, korean) in [("1/w", "주 1회"), ("2/d", "하루 2회"), ("1/m", "월 1회")] {
            let cycle = Cycle::parse(text).unwrap();
            assert_eq!((cycle.to_string().as_str(), cycle.korean().as_str()), (text, korean));
        }
    }

    #[test]
    fn a_week_runs_sunday_to_saturday() {
        // 2026-11-28 is a Saturday, 2026-11-29 a Sunday: two windows, though ISO puts both in week 48.
        let weekly = Cycle::WEEKLY;
        assert_eq!(weekly.window(day("20261128")), "2026-11-22w");
        assert_eq!(weekly.window(day("20261129")), "2026-11-29w");
        assert_eq!(weekly.window(day("20261205")), "2026-11-29w", "Saturday closes the week");
        assert_eq!(weekly.next_window_start(day("20261202")), day("20261206"));
        // A week across the year's end is one window.
        assert_eq!(weekly.window(day("20261231")), weekly.window(day("20270102")));
    }

    #[test]
    fn days_and_months_are_calendar_windows() {
        let daily = Cycle::parse("3/d").unwrap();
        assert_eq!(daily.window(day("20261125")), "2026-11-25");
        assert_eq!(daily.next_window_start(day("20261130")), day("20261201"));
        let monthly = Cycle::parse("1/m").unwrap();
        assert_eq!(monthly.window(day("20261130")), "2026-11");
        assert_eq!(monthly.next_window_start(day("20261231")), day("20270101"));
    }

    #[test]
    fn basic_and_additional_apis_take_their_own_cycle() {
        let basic = api("은행-002").unwrap();
        let additional = api("은행-003").unwrap();
        assert_eq!(Cycle::text_for(basic, Some("1/w"), Some("3/d")), Some("1/w"));
        assert_eq!(Cycle::text_for(additional, Some("1/w"), Some("3/d")), Some("3/d"));
        assert_eq!(Cycle::text_for(api("개별인증-002").unwrap(), Some("1/w"), None), None);
    }
}
