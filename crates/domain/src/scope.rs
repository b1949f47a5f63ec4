//! OAuth scopes of ch.2.2: `<industry>.<item>` for information APIs, `manage` for support APIs.

use mydata_spec::catalogue::{CATALOGUE, Group};
use mydata_spec::{ApiSpec, Industry};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A set of scopes, written on the wire space-separated (e.g. `bank.list bank.deposit`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSet(BTreeSet<String>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScopeError {
    #[error("unknown scope {0:?}")]
    Unknown(String),
    #[error("scopes of different industries in one grant: {0} and {1}")]
    MixedIndustries(String, String),
    #[error("no scope given")]
    Empty,
}

/// Every scope an information API of `industry` can require.
pub fn scopes_of(industry: Industry) -> BTreeSet<String> {
    CATALOGUE
        .iter()
        .filter(|a| a.group == Group::Info && a.industries.contains(&industry))
        .filter_map(|a| a.scope_for(industry))
        .collect()
}

impl ScopeSet {
    /// Parses and validates information-API scopes: all known, all of one industry.
    pub fn parse_info(text: &str) -> Result<(Industry, ScopeSet), ScopeError> {
        let set: ScopeSet = text.parse()?;
        let mut industry: Option<(Industry, &str)> = None;
        for scope in &set.0 {
            let unknown = || ScopeError::Unknown(scope.clone());
            let (prefix, _) = scope.split_once('.').ok_or_else(unknown)?;
            let this: Industry = prefix.parse().map_err(|_| unknown())?;
            if !scopes_of(this).contains(scope) {
                return Err(unknown());
            }
            match industry {
                Some((other, first)) if other != this => {
                    return Err(ScopeError::MixedIndustries(first.to_owned(), scope.clone()));
                }
                _ => industry = Some((this, scope)),
            }
        }
        let (industry, _) = industry.ok_or(ScopeError::Empty)?;
        Ok((industry, set))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// Whether these scopes let the bearer call `api` at `industry`.
    pub fn allows(&self, api: &ApiSpec, industry: Industry) -> bool {
        api.scope_for(industry).is_none_or(|needed| self.contains(&needed))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn insert(&mut self, scope: impl Into<String>) {
        self.0.insert(scope.into());
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }
}

impl FromStr for ScopeSet {
    type Err = ScopeError;
    /// Splits on spaces; validation of the names is the caller's choice ([`ScopeSet::parse_info`]).
    fn from_str(s: &str) -> Result<Self, ScopeError> {
        let set: BTreeSet<String> = s.split_whitespace().map(str::to_owned).collect();
        if set.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(ScopeSet(set))
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mydata_spec::catalogue::api;

    #[test]
    fn parses_the_standards_examples() {
        let (industry, set) = ScopeSet::parse_info("bank.list  bank.invest bank.irp ").unwrap();
        assert_eq!(industry, Industry::Bank);
        assert_eq!(set.to_string(), "bank.invest bank.irp bank.list");
        assert!(ScopeSet::parse_info("card.list card.card card.point card.loan").is_ok());
        assert!(ScopeSet::parse_info("telecom.list telecom.mgmt").is_ok());
    }

    #[test]
    fn rejects_unknown_mixed_and_empty_scopes() {
        assert_eq!(ScopeSet::parse_info("bank.card"), Err(ScopeError::Unknown("bank.card".into())));
        assert!(matches!(ScopeSet::parse_info("bank.list card.list"), Err(ScopeError::MixedIndustries(..))));
        assert_eq!(ScopeSet::parse_info("  "), Err(ScopeError::Empty));
        assert!(ScopeSet::parse_info("manage").is_err());
    }

    #[test]
    fn allows_exactly_the_apis_of_granted_scopes() {
        let (_, set) = ScopeSet::parse_info("bank.list bank.deposit").unwrap();
        assert!(set.allows(api("은행-001").unwrap(), Industry::Bank));
        assert!(set.allows(api("은행-004").unwrap(), Industry::Bank));
        assert!(!set.allows(api("은행-008").unwrap(), Industry::Bank));
        assert!(set.allows(api("공통-001").unwrap(), Industry::Bank));
    }
}
