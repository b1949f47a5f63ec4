//! `x-api-type` (ch.2.1, ch.3.3): whether the data subject is present.

use std::str::FromStr;

pub const HEADER: &str = "x-api-type";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiType {
    /// Periodic transmission without the data subject: counted against the periodic allowance.
    Scheduled,
    /// Right after the transmission request (전송요구 직후).
    UserConsent,
    /// Log-in or refresh by the data subject.
    UserRefresh,
    /// The data subject looking at one asset's history.
    UserSearch,
}

impl ApiType {
    pub const ALL: [ApiType; 4] = [ApiType::Scheduled, ApiType::UserConsent, ApiType::UserRefresh, ApiType::UserSearch];

    pub const fn as_str(self) -> &'static str {
        match self {
            ApiType::Scheduled => "scheduled",
            ApiType::UserConsent => "user-consent",
            ApiType::UserRefresh => "user-refresh",
            ApiType::UserSearch => "user-search",
        }
    }

    pub const fn is_scheduled(self) -> bool {
        matches!(self, ApiType::Scheduled)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("x-api-type must be one of scheduled, user-consent, user-refresh, user-search; got {0:?}")]
pub struct UnknownApiType(pub String);

impl FromStr for ApiType {
    type Err = UnknownApiType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApiType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| UnknownApiType(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_the_four_values() {
        for t in ApiType::ALL {
            assert_eq!(t.as_str().parse(), Ok(t));
        }
        assert!("Scheduled".parse::<ApiType>().is_err());
        assert!("".parse::<ApiType>().is_err());
    }
}
