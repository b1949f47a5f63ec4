//! 정기적 전송 가능 시간대 (ch.3.3.3): the daily windows, in Korean time, a provider registered at the
//! portal (지원-002 `np_time_list`, `hhmm:hhmm`) within which operators may make scheduled
//! (`x-api-type: scheduled`) calls, and the clock they are read against — injectable, so that both
//! sides are tested without waiting for the wall clock.

use chrono::{DateTime, Duration, Timelike, Utc};
use serde_json::Value;
use std::sync::Mutex;

const MINUTES_A_DAY: u32 = 24 * 60;

/// One window, `hhmm:hhmm` (30-minute steps; `2400` ends a day; a window may run past midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NpWindow {
    /// Minutes after midnight, Korean time.
    start: u32,
    end: u32,
}

impl std::str::FromStr for NpWindow {
    type Err = String;
    fn from_str(text: &str) -> Result<NpWindow, String> {
        let bad = || format!("np_time {text:?} must be hhmm:hhmm in 30-minute steps");
        let (from, to) = text.split_once(':').ok_or_else(bad)?;
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = (t.get(..2)?.parse::<u32>().ok()?, t.get(2..)?.parse::<u32>().ok()?);
            (t.len() == 4 && m < 60 && h * 60 + m <= MINUTES_A_DAY && m % 30 == 0).then_some(h * 60 + m)
        };
        let (start, end) = (minutes(from).ok_or_else(bad)?, minutes(to).ok_or_else(bad)?);
        if start == end {
            return Err(bad());
        }
        Ok(NpWindow { start: start % MINUTES_A_DAY, end })
    }
}

impl NpWindow {
    fn contains(&self, minute: u32) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

/// A provider's scheduled hours: its windows, or (none registered) any time of day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduledHours {
    windows: Vec<NpWindow>,
}

impl ScheduledHours {
    /// Hours made of `windows` (`hhmm:hhmm` each); none: any time.
    pub fn parse<S: AsRef<str>>(windows: &[S]) -> Result<ScheduledHours, String> {
        Ok(ScheduledHours { windows: windows.iter().map(|w| w.as_ref().parse()).collect::<Result<_, _>>()? })
    }

    /// The hours of a registry entry (지원-002 `np_time_list: [{np_time}]`); malformed windows are
    /// ignored, as the portal validated them when it registered them.
    pub fn of_registry_entry(entry: &Value) -> ScheduledHours {
        let windows = entry.get("np_time_list").and_then(Value::as_array).into_iter().flatten();
        let windows = windows.filter_map(|w| w.get("np_time")?.as_str()?.parse().ok()).collect();
        ScheduledHours { windows }
    }

    /// Whether none is registered: any time is allowed.
    pub fn is_any_time(&self) -> bool {
        self.windows.is_empty()
    }

    /// Whether a scheduled call may be made at `at`.
    pub fn allows(&self, at: DateTime<Utc>) -> bool {
        let korean = at.with_timezone(&crate::time::kst());
        let minute = korean.hour() * 60 + korean.minute();
        self.is_any_time() || self.windows.iter().any(|w| w.contains(minute))
    }

    /// The first instant at or after `at` inside a window: at most a day later.
    pub fn next_open(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        if self.allows(at) {
            return at;
        }
        let korean = at.with_timezone(&crate::time::kst());
        let minute = korean.hour() * 60 + korean.minute();
        let wait = |start: u32| (start + MINUTES_A_DAY - minute) % MINUTES_A_DAY;
        let minutes = self.windows.iter().map(|w| wait(w.start)).min().unwrap_or(0);
        let start_of_minute =
            at - Duration::seconds(i64::from(korean.second())) - Duration::nanoseconds(i64::from(korean.nanosecond()));
        start_of_minute + Duration::minutes(i64::from(minutes))
    }
}

/// What time it is: the wall clock in service, a hand-set one in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved, for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn at(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A Korean wall-clock time as UTC.
    fn kst(h: u32, m: u32) -> DateTime<Utc> {
        crate::time::kst().with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn windows_are_korean_time_and_may_cross_midnight() {
        let hours = ScheduledHours::parse(&["0000:0600", "2300:0030"]).unwrap();
        assert!(hours.allows(kst(0, 0)) && hours.allows(kst(5, 59)) && !hours.allows(kst(6, 0)));
        assert!(hours.allows(kst(23, 30)) && !hours.allows(kst(12, 0)));
        assert_eq!(hours.next_open(kst(12, 10)), kst(23, 0));
        assert_eq!(hours.next_open(kst(3, 0)), kst(3, 0));
        let whole_day = ScheduledHours::parse(&["1800:2400"]).unwrap();
        assert!(whole_day.allows(kst(23, 59)) && !whole_day.allows(kst(0, 0)));
        assert!(ScheduledHours::default().allows(kst(12, 0)));
    }

    #[test]
    fn malformed_windows_are_refused() {
        for bad in ["0000", "0000:0000", "0015:0600", "2500:0100", "ab00:0100"] {
            assert!(ScheduledHours::parse(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn registry_entries_give_their_windows() {
        let entry = serde_json::json!({"np_time_cnt": "1", "np_time_list": [{"np_time": "0000:0600"}]});
        let hours = ScheduledHours::of_registry_entry(&entry);
        assert!(hours.allows(kst(1, 0)) && !hours.allows(kst(7, 0)));
        assert!(ScheduledHours::of_registry_entry(&serde_json::json!({})).is_any_time());
    }
}
