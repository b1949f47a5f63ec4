//! The black-box tests of `mydata-operator`, one module per file, in one test binary (`cargo test -p mydata-operator
//! --test operator`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

// The harnesses of the provider's and the collector's tests, shared rather than copied; only part of
// each is used here.
#[allow(dead_code)]
#[path = "../../../provider/tests/provider/browser_common/mod.rs"]
mod browser_common;
#[allow(dead_code)]
#[path = "../../../collector/tests/collector/common/mod.rs"]
mod collector_common;
#[allow(dead_code)]
#[path = "../../../provider/tests/provider/common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../../../provider/tests/provider/integrated_common/mod.rs"]
mod integrated_common;
#[allow(dead_code)]
#[path = "../../../provider/tests/provider/oauth_common/mod.rs"]
mod oauth_common;

mod dashboard_browser;
mod read_api;
mod rights;
mod schedule;
mod web;
