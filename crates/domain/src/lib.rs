//! Pure rules of the MyData standard: no I/O, no clock of its own (callers pass `now`).

pub mod consent;
pub mod scope;
pub mod token;

pub use consent::{Consent, ConsentError, ConsentOptions, ConsentStatus};
pub use scope::{ScopeError, ScopeSet};
