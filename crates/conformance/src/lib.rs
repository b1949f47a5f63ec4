//! A conformance suite for information providers of the MyData standard API v1: point it at a base
//! URL, and it checks every API the provider announces against the standard — status and rsp_code,
//! every response field, paging, search_timestamp, date ranges, and negative probes — read-only,
//! within a request budget and a rate limit.
//!
//! The checks are data ([`manifest`]); the runner ([`runner`]) derives each request from the
//! catalogue and the field data of `mydata-spec`; the [`report`] is written as a table, JSON or JUnit.

pub mod discover;
pub mod http;
pub mod integrated;
pub mod manifest;
pub mod report;
pub mod runner;

pub use manifest::Manifest;
pub use mydata_spec::Industry;
pub use report::{ApiReport, CheckResult, Report, Status};
pub use runner::{Options, Target, Tokens, run};
