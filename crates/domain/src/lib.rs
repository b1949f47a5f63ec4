//! Pure rules of the MyData standard: no I/O, no clock of its own (callers pass `now`).

pub mod consent;
pub mod cycle;
pub mod period;
pub mod scope;
pub mod token;

pub use consent::{
    CHOOSABLE_CYCLES, Consent, ConsentAssets, ConsentError, ConsentOptions, ConsentStage, ConsentStatus, ConsentTerms,
    KEPT_UNTIL_SERVICE_ENDS, TermsRefusal,
};
pub use cycle::Cycle;
pub use period::{Period, PeriodRefusal, PeriodRule};
pub use scope::{ScopeError, ScopeSet};
