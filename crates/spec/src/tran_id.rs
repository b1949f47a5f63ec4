//! 첨부14: the transaction ID carried in `x-api-tran-id`:
//! 10-character org code + 1 issuer-type letter + 14-character serial, 25 in all.

use rand::Rng;
use std::fmt;
use std::str::FromStr;

pub const HEADER: &str = "x-api-tran-id";
pub const LEN: usize = 25;
/// Exactly the texts [`TranId::from_str`] takes, for schemas (OpenAPI).
pub const PATTERN: &str = "^[A-Z0-9]{10}[MSRCPA][A-Z0-9]{14}$";

/// Who generated a transaction ID (생성주체구분코드).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssuerType {
    /// M: a MyData operator.
    Operator,
    /// S: an information provider that built its API itself.
    Provider,
    /// R: a relay institution.
    Relay,
    /// C: an information recipient other than a MyData operator.
    Recipient,
    /// P: the integrated portal.
    Portal,
    /// A: an integrated certification authority.
    CertAuthority,
}

impl IssuerType {
    pub const fn letter(self) -> char {
        match self {
            IssuerType::Operator => 'M',
            IssuerType::Provider => 'S',
            IssuerType::Relay => 'R',
            IssuerType::Recipient => 'C',
            IssuerType::Portal => 'P',
            IssuerType::CertAuthority => 'A',
        }
    }

    pub fn from_letter(c: char) -> Option<Self> {
        [
            IssuerType::Operator,
            IssuerType::Provider,
            IssuerType::Relay,
            IssuerType::Recipient,
            IssuerType::Portal,
            IssuerType::CertAuthority,
        ]
        .into_iter()
        .find(|t| t.letter() == c)
    }
}

/// A validated `x-api-tran-id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TranId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TranIdError {
    #[error("x-api-tran-id must be {LEN} characters, got {0}")]
    Length(usize),
    #[error("x-api-tran-id must begin with a 10-character org code of capital letters and digits")]
    OrgCode,
    #[error("x-api-tran-id character 11 must be one of M, S, R, C, P, A")]
    IssuerType,
    #[error("x-api-tran-id must end with a 14-character serial of capital letters and digits")]
    Serial,
}

fn upper_alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl TranId {
    /// A fresh ID for `org_code` (which must itself be 10 capital letters or digits).
    pub fn generate(org_code: &str, issuer: IssuerType) -> TranId {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut rng = rand::thread_rng();
        let serial: String = (0..14).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
        let org: String = org_code.chars().chain(std::iter::repeat('0')).take(10).collect();
        TranId(format!("{}{}{serial}", org.to_ascii_uppercase(), issuer.letter()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn org_code(&self) -> &str {
        &self.0[..10]
    }

    pub fn issuer(&self) -> IssuerType {
        // Validated on construction.
        IssuerType::from_letter(self.0.as_bytes()[10] as char).expect("validated issuer letter")
    }

    /// Checks `s` without keeping it: what [`TranId::from_str`] refuses, without its allocation
    /// (the access log checks every request's ID before logging it).
    pub fn check(s: &str) -> Result<(), TranIdError> {
        if s.len() != LEN || !s.is_ascii() {
            return Err(TranIdError::Length(s.chars().count()));
        }
        if !upper_alnum(&s[..10]) {
            return Err(TranIdError::OrgCode);
        }
        if IssuerType::from_letter(s.as_bytes()[10] as char).is_none() {
            return Err(TranIdError::IssuerType);
        }
        if !upper_alnum(&s[11..]) {
            return Err(TranIdError::Serial);
        }
        Ok(())
    }
}

impl FromStr for TranId {
    type Err = TranIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TranId::check(s)?;
        Ok(TranId(s.to_owned()))
    }
}

impl fmt::Display for TranId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_pattern_takes_exactly_what_the_parser_takes() {
        let pattern = jsonschema::validator_for(&serde_json::json!({"type": "string", "pattern": PATTERN})).unwrap();
        let good = "A1B2C3D4E5M20210901123456";
        let mut texts = vec![good.to_owned(), good[..24].to_owned(), format!("{good}0"), good.to_lowercase()];
        for issuer in 'A'..='Z' {
            texts.push(format!("{}{issuer}{}", &good[..10], &good[11..]));
        }
        for text in texts {
            assert_eq!(pattern.is_valid(&text.as_str().into()), text.parse::<TranId>().is_ok(), "{text}");
        }
    }

    #[test]
    fn parses_the_standard_form() {
        let id: TranId = "A1B2C3D4E5M20210901123456".parse().unwrap();
        assert_eq!(id.org_code(), "A1B2C3D4E5");
        assert_eq!(id.issuer(), IssuerType::Operator);
    }

    #[test]
    fn rejects_malformed_ids() {
        assert_eq!("short".parse::<TranId>(), Err(TranIdError::Length(5)));
        assert_eq!("a1b2c3d4e5M20210901123456".parse::<TranId>(), Err(TranIdError::OrgCode));
        assert_eq!("A1B2C3D4E5X20210901123456".parse::<TranId>(), Err(TranIdError::IssuerType));
        assert_eq!("A1B2C3D4E5M2021090112345-".parse::<TranId>(), Err(TranIdError::Serial));
        assert!("가1B2C3D4E5M2021090112345".parse::<TranId>().is_err());
    }

    proptest! {
        #[test]
        fn generated_ids_always_validate(org in "[A-Z0-9]{10}", which in 0usize..6) {
            let issuer = [IssuerType::Operator, IssuerType::Provider, IssuerType::Relay,
                IssuerType::Recipient, IssuerType::Portal, IssuerType::CertAuthority][which];
            let id = TranId::generate(&org, issuer);
            let parsed: TranId = id.as_str().parse().unwrap();
            prop_assert_eq!(parsed.org_code(), org.as_str());
            prop_assert_eq!(parsed.issuer(), issuer);
        }
    }
}
