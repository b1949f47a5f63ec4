//! 첨부2 data types that need more than a string: DATE, DTIME, amounts (F), org codes.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A value that does not fit its 첨부2 type; answered with rsp_code 40001.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what} must be {expected}, got {got:?}")]
pub struct TypeError {
    pub what: &'static str,
    pub expected: &'static str,
    pub got: String,
}

fn type_error(what: &'static str, expected: &'static str, got: &str) -> TypeError {
    TypeError { what, expected, got: got.to_owned() }
}

macro_rules! string_wire {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = crate::wire::lenient_string(d)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A real calendar date `YYYYMMDD` as a regular expression without anchors: each month's days, and
/// 29 February only in leap years (every 4th year, but of the centuries only every 4th).
macro_rules! calendar_date {
    () => {
        concat!(
            "(?:[0-9]{4}(?:(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)",
            "|02(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)0229)"
        )
    };
}

/// DATE: `YYYYMMDD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Exactly the texts [`Date::from_str`] takes, for schemas (OpenAPI).
    pub const PATTERN: &str = concat!("^", calendar_date!(), "$");
}

impl FromStr for Date {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Self, TypeError> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(type_error("DATE", "YYYYMMDD", s));
        }
        NaiveDate::parse_from_str(s, "%Y%m%d")
            .map(Date)
            .map_err(|_| type_error("DATE", "a real calendar date YYYYMMDD", s))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y%m%d"))
    }
}
string_wire!(Date);

/// DTIME: `YYYYMMDDhhmmss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DTime(pub NaiveDateTime);

macro_rules! time_of_day {
    () => {
        "(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9]|60)"
    };
}

impl DTime {
    /// Exactly the texts [`DTime::from_str`] takes, for schemas (OpenAPI).
    pub const PATTERN: &str = concat!("^", calendar_date!(), time_of_day!(), "$");
}

impl FromStr for DTime {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Self, TypeError> {
        if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(type_error("DTIME", "YYYYMMDDhhmmss", s));
        }
        NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S")
            .map(DTime)
            .map_err(|_| type_error("DTIME", "a real date and time YYYYMMDDhhmmss", s))
    }
}

impl fmt::Display for DTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::time::dtime_text(self.0))
    }
}
string_wire!(DTime);

/// A request's `search_timestamp` (ch.2.1; 지원-002, 지원-003): `0` on a first call or for
/// everything, else the one the server answered last, a DTIME.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchTimestamp {
    Everything,
    Since(DTime),
}

impl SearchTimestamp {
    /// The request field.
    pub const FIELD: &str = "search_timestamp";
    /// Exactly the texts [`SearchTimestamp::from_str`] takes, for schemas (OpenAPI).
    pub const PATTERN: &str = concat!("^(?:0|", calendar_date!(), time_of_day!(), ")$");
}

impl FromStr for SearchTimestamp {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Self, TypeError> {
        if s == "0" {
            return Ok(SearchTimestamp::Everything);
        }
        s.parse().map(SearchTimestamp::Since).map_err(|_| type_error("search_timestamp", "0 or YYYYMMDDhhmmss", s))
    }
}

/// 지원-002 `org_regno`, 사업자등록번호: the table types it aN(12) yet its note, revised in v1
/// ("“-” 포함"), has it written with its dashes, NNN-NN-NNNNN; that form is taken.
pub struct BusinessNumber;

impl BusinessNumber {
    /// The field.
    pub const FIELD: &str = "org_regno";
    /// Exactly the texts [`BusinessNumber::check`] takes, for schemas (OpenAPI).
    pub const PATTERN: &str = "^[0-9]{3}-[0-9]{2}-[0-9]{5}$";

    pub fn check(s: &str) -> Result<(), TypeError> {
        let parts: Vec<&str> = s.split('-').collect();
        let lengths: Vec<usize> = parts.iter().map(|part| part.len()).collect();
        if lengths == [3, 2, 5] && parts.iter().all(|part| part.bytes().all(|b| b.is_ascii_digit())) {
            Ok(())
        } else {
            Err(type_error("org_regno", "a business registration number NNN-NN-NNNNN", s))
        }
    }
}

/// A month as `YYYYMM` (from_month/to_month, charge_month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// Exactly the texts [`Month::from_str`] takes, for schemas (OpenAPI).
    pub const PATTERN: &str = "^[0-9]{4}(?:0[1-9]|1[0-2])$";
}

impl FromStr for Month {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Self, TypeError> {
        let bad = || type_error("month", "YYYYMM", s);
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = s[..4].parse().map_err(|_| bad())?;
        let month: u32 = s[4..].parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}", self.year, self.month)
    }
}
string_wire!(Month);

/// An exact decimal amount of type `F(precision, scale)`, kept as its canonical text so that no
/// float ever touches money. Stored as an integer count of the smallest unit (10^-scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount {
    units: i128,
    scale: u32,
}

impl Amount {
    pub const fn from_units(units: i128, scale: u32) -> Amount {
        Amount { units, scale }
    }

    pub const fn units(self) -> i128 {
        self.units
    }

    /// Parses `text` as `F(precision, scale)`: at most `precision` digits, `scale` of them after the point.
    pub fn parse(text: &str, precision: u32, scale: u32) -> Result<Amount, TypeError> {
        let bad = || type_error("amount", "a decimal number within its F(precision,scale)", text);
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
            return Err(bad());
        }
        if digits.contains('.') && frac_part.is_empty() {
            return Err(bad());
        }
        let int_digits = int_part.trim_start_matches('0').len() as u32;
        if frac_part.len() as u32 > scale || int_digits > precision - scale {
            return Err(bad());
        }
        let padded = format!("{int_part}{frac_part:0<width$}", width = scale as usize);
        let units: i128 = padded.parse().map_err(|_| bad())?;
        Ok(Amount { units: if negative { -units } else { units }, scale })
    }
}

impl fmt::Display for Amount {
    /// The shortest exact text: trailing fractional zeros and a bare point are dropped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let divisor = 10i128.pow(self.scale);
        let (int, frac) = (self.units.abs() / divisor, self.units.abs() % divisor);
        let sign = if self.units < 0 { "-" } else { "" };
        if frac == 0 {
            return write!(f, "{sign}{int}");
        }
        let frac_text = format!("{frac:0width$}", width = self.scale as usize);
        write!(f, "{sign}{int}.{}", frac_text.trim_end_matches('0'))
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// 기관코드: 10 capital letters or digits (aN(10), distributed by the portal).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for OrgCode {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Self, TypeError> {
        if s.len() == 10 && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            Ok(OrgCode(s.to_owned()))
        } else {
            Err(type_error("org_code", "10 capital letters or digits", s))
        }
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
string_wire!(OrgCode);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matches(pattern: &str, text: &str) -> bool {
        jsonschema::validator_for(&serde_json::json!({"type": "string", "pattern": pattern}))
            .unwrap()
            .is_valid(&text.into())
    }

    #[test]
    fn the_patterns_take_exactly_what_the_parsers_take() {
        // Every month and day number of leap and common years, centuries among them, year 0 too.
        for year in ["0000", "1900", "2000", "2023", "2024", "2100", "9996"] {
            for month in 0..=13 {
                let month_text = format!("{year}{month:02}");
                assert_eq!(matches(Month::PATTERN, &month_text), month_text.parse::<Month>().is_ok(), "{month_text}");
                for day in 0..=32 {
                    let date = format!("{month_text}{day:02}");
                    assert_eq!(matches(Date::PATTERN, &date), date.parse::<Date>().is_ok(), "{date}");
                }
            }
        }
        for time in ["000000", "235959", "240000", "236000", "235960", "099999", "120000"] {
            for date in ["20240229", "20230229", "20231231"] {
                let dtime = format!("{date}{time}");
                assert_eq!(matches(DTime::PATTERN, &dtime), dtime.parse::<DTime>().is_ok(), "{dtime}");
            }
        }
        for text in ["2024022", "202402290", "2024-02-29", "+2024022", ""] {
            assert!(!matches(Date::PATTERN, text) && text.parse::<Date>().is_err(), "{text}");
        }
        for text in ["0", "00", "-5", "1", "20240229235959", "20230229235959", "20240229240000", " 0", ""] {
            let taken = text.parse::<SearchTimestamp>().is_ok();
            assert_eq!(matches(SearchTimestamp::PATTERN, text), taken, "{text}");
        }
        for text in ["123-45-67890", "1234567890", "123-45-6789", "12a-45-67890", "123-45-67890-", "-123-45-6789"] {
            let taken = BusinessNumber::check(text).is_ok();
            assert_eq!(matches(BusinessNumber::PATTERN, text), taken, "{text}");
        }
        assert!(BusinessNumber::check("123-45-67890").is_ok());
        assert_eq!("0".parse(), Ok(SearchTimestamp::Everything));
        assert!(matches!("20240229235959".parse(), Ok(SearchTimestamp::Since(_))));
    }

    #[test]
    fn dates_reject_malformed_and_impossible_values() {
        assert_eq!("20210930".parse::<Date>().unwrap().to_string(), "20210930");
        for bad in ["2021093", "20210931", "2021-09-30", "20211301", "", "2021093a"] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert_eq!("20210930235959".parse::<DTime>().unwrap().to_string(), "20210930235959");
        for bad in ["20210930246000", "202109302359", "20210930T23595"] {
            assert!(bad.parse::<DTime>().is_err(), "{bad}");
        }
        assert!("202113".parse::<Month>().is_err());
        assert_eq!("202112".parse::<Month>().unwrap().to_string(), "202112");
    }

    #[test]
    fn amounts_are_exact_and_bounded_by_their_type() {
        assert_eq!(Amount::parse("2.31", 5, 3).unwrap().to_string(), "2.31");
        assert_eq!(Amount::parse("-123.450", 18, 3).unwrap().units(), -123_450);
        assert_eq!(Amount::parse("0001.5", 5, 2).unwrap().to_string(), "1.5");
        for bad in ["1.2345", "1234.5", "1e3", "", ".5", "5.", "--1", "1,000", "NaN"] {
            assert!(Amount::parse(bad, 5, 2).is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&Amount::from_units(100_000, 3)).unwrap(), "\"100\"");
    }

    #[test]
    fn org_codes_are_ten_capitals_or_digits() {
        assert!("A1B2C3D4E5".parse::<OrgCode>().is_ok());
        for bad in ["a1b2c3d4e5", "A1B2C3D4E", "A1B2C3D4E5F", "A1B2C3D4-5"] {
            assert!(bad.parse::<OrgCode>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn amount_text_round_trips(units in -10i128.pow(17)..10i128.pow(17)) {
            let amount = Amount::from_units(units, 3);
            let parsed = Amount::parse(&amount.to_string(), 18, 3).unwrap();
            prop_assert_eq!(parsed, amount);
        }
    }
}
