//! The black-box tests of `mydata-provider`, one module per file, in one test binary (`cargo test -p mydata-provider
//! --test provider`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod browser_common;
mod common;
mod info_harness;
mod integrated_common;
mod oauth_common;

mod info_apis;
mod info_consent_marks;
mod info_import;
mod info_paging;
mod info_rules;
mod info_standard;
mod oauth_browser;
mod oauth_flow;
mod oauth_integrated;
mod oauth_oidc;
mod oauth_property;
mod openapi;
mod operability;
mod protocol;
mod rate_limits;
mod registered_ips;
mod scheduled_hours;
mod schemathesis;
mod support;
mod tls;
