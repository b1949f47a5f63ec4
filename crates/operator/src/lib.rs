//! The MyData operator (마이데이터사업자) as a long-running service (`mydata operator`): its web face —
//! the consent button that starts 개별인증-001 at a provider, the callback that completes it with
//! 개별인증-002 and records the link, a page that runs the collector — served beside its support
//! APIs (지원-101..104); the [`scheduler`] that collects every consent on its cycle, sharing the work
//! with other processes on one database; and the [`read_api`] its own apps read what it collected
//! with. `mydata sandbox` runs it with the sandbox's demo customers.

pub mod customers;
pub mod dashboard;
pub mod holdings;
mod institutions;
pub mod integrated_page;
pub mod read_api;
pub mod scheduler;
mod web;

pub use integrated_page::{CustomerSigning, StandInSigning};
pub use scheduler::{Round, Scheduler, SchedulerConfig};
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
