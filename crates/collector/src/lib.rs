//! The MyData operator's collector (마이데이터사업자): for every customer with a live consent, fetch
//! everything the consent allows from every provider — concurrently across providers, incrementally
//! (search_timestamp, history from the last complete day), within each consent's periodic allowance —
//! into the operator's own tables, journaled so that a rerun after a crash resumes without losing or
//! duplicating anything.

pub mod collect;
pub mod holdings;
pub mod integrated;
pub mod lease;
pub mod rights;
pub mod rules;
pub mod schedule;
pub mod store;
pub mod support;
pub mod token_guard;

pub use collect::{CollectError, Collector, CollectorConfig, Progress, Summary};
pub use store::{ConsentInfo, LinkRow, LiveConsent, OperatorStore, ProviderRow, ResourceRow};
pub use support::{CallStatistics, OperatorSupport};
