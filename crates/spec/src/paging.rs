//! Cursor-based pagination (ch.2.1): `limit` 1..=500 and an opaque, URL-safe `next_page`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The most items one page may ask for.
pub const MAX_LIMIT: u32 = 500;

/// A validated `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u32);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PagingError {
    #[error("limit must be a whole number from 1 to {MAX_LIMIT}, got {0:?}")]
    Limit(String),
    #[error("next_page is not a cursor this server issued for this query")]
    Cursor,
}

impl Limit {
    /// The request field.
    pub const FIELD: &str = "limit";
    /// Exactly the texts of its type N(3) that [`Limit::parse`] takes, for schemas (OpenAPI): 1 to 500,
    /// leading zeros allowed.
    pub const PATTERN: &str = "^(?:0{0,2}[1-9]|0?[1-9][0-9]|[1-4][0-9]{2}|500)$";

    pub fn parse(text: &str) -> Result<Limit, PagingError> {
        match text.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) && !text.starts_with('+') => Ok(Limit(n)),
            _ => Err(PagingError::Limit(text.to_owned())),
        }
    }

    pub const fn get(self) -> u32 {
        self.0
    }
}

/// A keyset cursor: the sort key of the last item returned, bound to the query that produced it
/// so that a cursor cannot be replayed against another asset, period or API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    pub after: String,
}

/// FNV-1a: a stable fingerprint of the query (not a security measure: consent filtering still applies).
fn fingerprint(query: &str) -> u64 {
    query.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

impl PageCursor {
    /// Encodes the cursor for the query described by `query` (any stable text naming API and filters).
    pub fn encode(&self, query: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("{:016x}{}", fingerprint(query), self.after))
    }

    pub fn decode(text: &str, query: &str) -> Result<PageCursor, PagingError> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| PagingError::Cursor)?;
        let raw = String::from_utf8(bytes).map_err(|_| PagingError::Cursor)?;
        if raw.len() < 16 || !raw.is_char_boundary(16) || raw[..16] != format!("{:016x}", fingerprint(query)) {
            return Err(PagingError::Cursor);
        }
        Ok(PageCursor { after: raw[16..].to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limit_is_one_to_five_hundred() {
        assert_eq!(Limit::parse("1").unwrap().get(), 1);
        assert_eq!(Limit::parse("500").unwrap().get(), 500);
        for bad in ["0", "501", "-1", "", "abc", "1.5", "+5"] {
            assert!(Limit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_limit_pattern_takes_exactly_what_the_field_type_and_the_parser_take() {
        let pattern =
            jsonschema::validator_for(&serde_json::json!({"type": "string", "pattern": Limit::PATTERN})).unwrap();
        let texts = (0..1000).flat_map(|n| [n.to_string(), format!("{n:02}"), format!("{n:03}"), format!("{n:04}")]);
        for text in texts.chain(["-1", "+5", "", "1.5"].map(String::from)) {
            let taken = crate::validate::check_value("N(3)", &text).is_ok() && Limit::parse(&text).is_ok();
            assert_eq!(pattern.is_valid(&text.as_str().into()), taken, "{text}");
        }
    }

    #[test]
    fn cursor_is_bound_to_its_query() {
        let c = PageCursor { after: "20210901|0007".into() };
        let text = c.encode("은행-004|1234");
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(PageCursor::decode(&text, "은행-004|1234"), Ok(c));
        assert_eq!(PageCursor::decode(&text, "은행-004|9999"), Err(PagingError::Cursor));
        assert_eq!(PageCursor::decode("not base64!", "x"), Err(PagingError::Cursor));
        assert_eq!(PageCursor::decode("", "x"), Err(PagingError::Cursor));
    }

    proptest! {
        #[test]
        fn any_key_round_trips(after in ".*", query in ".*") {
            let c = PageCursor { after };
            prop_assert_eq!(PageCursor::decode(&c.encode(&query), &query), Ok(c));
        }
    }
}
