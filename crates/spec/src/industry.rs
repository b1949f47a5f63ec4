//! The `<industry>` segment of information-API URIs (ch.2.1).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One industry; an institution registers one org_code per industry (ch.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Industry {
    Bank,
    Card,
    Invest,
    Insu,
    Efin,
    Capital,
    Ginsu,
    Telecom,
    P2p,
    Bond,
    Usury,
}

impl Industry {
    pub const ALL: [Industry; 11] = [
        Industry::Bank,
        Industry::Card,
        Industry::Invest,
        Industry::Insu,
        Industry::Efin,
        Industry::Capital,
        Industry::Ginsu,
        Industry::Telecom,
        Industry::P2p,
        Industry::Bond,
        Industry::Usury,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Industry::Bank => "bank",
            Industry::Card => "card",
            Industry::Invest => "invest",
            Industry::Insu => "insu",
            Industry::Efin => "efin",
            Industry::Capital => "capital",
            Industry::Ginsu => "ginsu",
            Industry::Telecom => "telecom",
            Industry::P2p => "p2p",
            Industry::Bond => "bond",
            Industry::Usury => "usury",
        }
    }

    /// Korean name of the industry as ch.2.1 lists it.
    pub const fn korean(self) -> &'static str {
        match self {
            Industry::Bank => "은행",
            Industry::Card => "카드",
            Industry::Invest => "금융투자",
            Industry::Insu => "보험",
            Industry::Efin => "전자금융",
            Industry::Capital => "할부금융",
            Industry::Ginsu => "보증보험",
            Industry::Telecom => "통신",
            Industry::P2p => "P2P",
            Industry::Bond => "인수채권",
            Industry::Usury => "대부",
        }
    }
}

impl fmt::Display for Industry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "unknown industry {0:?}; expected one of bank, card, invest, insu, efin, capital, ginsu, telecom, p2p, bond, usury"
)]
pub struct UnknownIndustry(pub String);

impl FromStr for Industry {
    type Err = UnknownIndustry;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Industry::ALL.into_iter().find(|i| i.as_str() == s).ok_or_else(|| UnknownIndustry(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_industry_round_trips_through_its_uri_segment() {
        for industry in Industry::ALL {
            assert_eq!(industry.as_str().parse::<Industry>(), Ok(industry));
        }
        assert!("banks".parse::<Industry>().is_err());
    }
}
