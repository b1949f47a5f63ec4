//! The MyData operator (마이데이터사업자) as a service: its web face — the consent button that starts
//! 개별인증-001 at a provider, the callback that completes it with 개별인증-002 and records the
//! link, and a page that runs the collector — served beside its support APIs (지원-101..104).
//! `mydata sandbox` runs it with the sandbox's demo customers.

mod web;

pub use web::{Customer, OperatorConfig, OperatorWeb};

use mydata_collector::Summary;

/// A collection's closing summary, for people: what `mydata collect` prints and the collect page shows.
pub fn report(s: &Summary) -> String {
    let mut out = format!(
        "collection {}{}: {} customers, {} providers, {} calls, {} rows stored\n\
         units: {} done, {} skipped (periodic allowance used), {} failed; {} answered up to date (00001)\n",
        s.run_id,
        if s.resumed { " (resumed)" } else { "" },
        s.customers,
        s.providers,
        s.calls,
        s.rows,
        s.units_done,
        s.units_skipped,
        s.units_failed,
        s.up_to_date,
    );
    let list = |counts: &std::collections::BTreeMap<String, u64>| {
        counts.iter().map(|(k, n)| format!("{k} × {n}")).collect::<Vec<_>>().join(", ")
    };
    if !s.errors.is_empty() {
        out.push_str(&format!("errors by rsp_code: {}\n", list(&s.errors)));
    }
    if !s.stopped.is_empty() {
        out.push_str(&format!("consents stopped: {}\n", list(&s.stopped)));
    }
    out
}
