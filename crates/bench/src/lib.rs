//! Benchmarks of the provider, measured side by side with a ceiling in the same run so that every
//! figure is also a ratio: the same server stack answering the same route with a precomputed body
//! of the same size, without authentication or store.

pub mod collect;
pub mod import;
mod instances;
pub mod loadgen;
pub mod operator;
mod prism;
pub mod scenarios;
pub mod startup;

pub use collect::{CollectBench, CollectRun};
pub use instances::{Processes, RevocationTimes};
pub use loadgen::{Load, Measured};
pub use scenarios::{BenchConfig, Report, Results, run};
