//! What a run found, per API ID and check, and the three ways it is written out: a table for people,
//! JSON for tools, JUnit XML for CI systems.

use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NotTested,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::NotTested => "not tested",
        }
    }
}

/// One check or probe of one API.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub check: String,
    pub clause: String,
    pub status: Status,
    /// What was seen (always set for fail and not tested).
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiReport {
    pub api_id: String,
    pub name: String,
    pub org_code: String,
    pub industry: String,
    pub method: String,
    pub path: String,
    /// Whether the provider lists it in 공통-001; `None` when 공통-001 gave no list to look in.
    pub announced: Option<bool>,
    pub checks: Vec<CheckResult>,
}

impl ApiReport {
    /// Failed if any check failed; passed if some passed and none failed; otherwise not tested.
    pub fn status(&self) -> Status {
        if self.checks.iter().any(|c| c.status == Status::Fail) {
            Status::Fail
        } else if self.checks.iter().any(|c| c.status == Status::Pass) {
            Status::Pass
        } else {
            Status::NotTested
        }
    }

    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.check == id)
    }

    /// The reason to show in one table row: the first failure, else the first reason not to test.
    fn headline(&self) -> String {
        let first = |s: Status| self.checks.iter().find(|c| c.status == s);
        match first(Status::Fail)
            .or_else(|| if self.status() == Status::NotTested { first(Status::NotTested) } else { None })
        {
            Some(c) => format!("{}: {}", c.check, c.reason),
            None => {
                let skipped = self.checks.iter().filter(|c| c.status == Status::NotTested).count();
                if skipped == 0 { String::new() } else { format!("{skipped} check(s) not tested") }
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub provider: String,
    pub standard: String,
    pub requests: u32,
    pub apis: Vec<ApiReport>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.apis.iter().any(|a| a.status() == Status::Fail)
    }

    pub fn api(&self, api_id: &str) -> Option<&ApiReport> {
        self.apis.iter().find(|a| a.api_id == api_id)
    }

    /// API IDs with the given overall status.
    pub fn ids_with(&self, status: Status) -> Vec<&str> {
        self.apis.iter().filter(|a| a.status() == status).map(|a| a.api_id.as_str()).collect()
    }

    pub fn merge(&mut self, other: Report) {
        self.requests += other.requests;
        self.apis.extend(other.apis);
    }

    /// One row per API, then every failed check with its reason.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let width = self.apis.iter().map(|a| columns(&a.api_id)).max().unwrap_or(6).max(6);
        let _ = writeln!(out, "Conformance of {} against {}", self.provider, self.standard);
        let _ = writeln!(
            out,
            "{:<10} {} {:<10} {:>4} {:>4} {:>4}  reason",
            "org",
            padded("API", width),
            "result",
            "pass",
            "fail",
            "n/t"
        );
        for api in &self.apis {
            let count = |s: Status| api.checks.iter().filter(|c| c.status == s).count();
            let _ = writeln!(
                out,
                "{:<10} {} {:<10} {:>4} {:>4} {:>4}  {}",
                api.org_code,
                padded(&api.api_id, width),
                api.status().label(),
                count(Status::Pass),
                count(Status::Fail),
                count(Status::NotTested),
                api.headline()
            );
        }
        let failures: Vec<(&ApiReport, &CheckResult)> = self
            .apis
            .iter()
            .flat_map(|a| a.checks.iter().filter(|c| c.status == Status::Fail).map(move |c| (a, c)))
            .collect();
        if !failures.is_empty() {
            let _ = writeln!(out, "\nFailures:");
            for (api, check) in failures {
                let _ = writeln!(out, "  {} {} [{}]: {}", api.api_id, check.check, check.clause, check.reason);
            }
        }
        let total = |s: Status| self.ids_with(s).len();
        let _ = writeln!(
            out,
            "\n{} APIs: {} pass, {} fail, {} not tested; {} requests",
            self.apis.len(),
            total(Status::Pass),
            total(Status::Fail),
            total(Status::NotTested),
            self.requests
        );
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// One `<testsuite>` per API ID, one `<testcase>` per check; not tested is `<skipped>`.
    pub fn to_junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let count_all = |s: Status| self.apis.iter().flat_map(|a| &a.checks).filter(|c| c.status == s).count();
        let total: usize = self.apis.iter().map(|a| a.checks.len()).sum();
        let _ = writeln!(
            out,
            "<testsuites name=\"{}\" tests=\"{total}\" failures=\"{}\" skipped=\"{}\">",
            xml(&format!("mydata conformance: {}", self.provider)),
            count_all(Status::Fail),
            count_all(Status::NotTested)
        );
        for api in &self.apis {
            let count = |s: Status| api.checks.iter().filter(|c| c.status == s).count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
                xml(&format!("{} {} {}", api.org_code, api.api_id, api.name)),
                api.checks.len(),
                count(Status::Fail),
                count(Status::NotTested)
            );
            for check in &api.checks {
                let classname = xml(&format!("{}.{}", api.org_code, api.api_id));
                let name = xml(&check.check);
                match check.status {
                    Status::Pass => {
                        let _ = writeln!(out, "    <testcase classname=\"{classname}\" name=\"{name}\"/>");
                    }
                    Status::Fail => {
                        let _ = writeln!(
                            out,
                            "    <testcase classname=\"{classname}\" name=\"{name}\"><failure message=\"{}\">{}</failure></testcase>",
                            xml(&check.reason),
                            xml(&check.clause)
                        );
                    }
                    Status::NotTested => {
                        let _ = writeln!(
                            out,
                            "    <testcase classname=\"{classname}\" name=\"{name}\"><skipped message=\"{}\"/></testcase>",
                            xml(&check.reason)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// Terminal columns of `text`: Hangul and other East Asian wide characters take two.
fn columns(text: &str) -> usize {
    text.chars().map(|c| if matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFF00..=0xFF60) { 2 } else { 1 }).sum()
}

/// `text` followed by spaces up to `width` columns.
fn padded(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(columns(text))))
}

/// Escapes text for an XML attribute or element.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(check: &str, status: Status, reason: &str) -> CheckResult {
        CheckResult { check: check.into(), clause: "ch.2.1".into(), status, reason: reason.into() }
    }

    fn report() -> Report {
        let api = |id: &str, checks| ApiReport {
            api_id: id.into(),
            name: "계좌 목록 조회".into(),
            org_code: "BANK000001".into(),
            industry: "bank".into(),
            method: "GET".into(),
            path: "/v1/bank/accounts".into(),
            announced: Some(true),
            checks,
        };
        Report {
            provider: "http://x".into(),
            standard: "v1".into(),
            requests: 3,
            apis: vec![
                api(
                    "은행-001",
                    vec![result("success", Status::Pass, ""), result("paging", Status::Fail, "a <b> & \"c\"")],
                ),
                api("은행-002", vec![result("success", Status::NotTested, "no asset")]),
                api("은행-003", vec![result("success", Status::Pass, ""), result("paging", Status::NotTested, "x")]),
            ],
        }
    }

    #[test]
    fn an_api_fails_on_any_failed_check_and_is_not_tested_when_nothing_ran() {
        let report = report();
        assert!(report.failed());
        assert_eq!(report.ids_with(Status::Fail), ["은행-001"]);
        assert_eq!(report.ids_with(Status::NotTested), ["은행-002"]);
        assert_eq!(report.ids_with(Status::Pass), ["은행-003"]);
    }

    #[test]
    fn table_names_each_api_and_every_failure() {
        let table = report().to_table();
        assert!(table.contains("은행-001"), "{table}");
        assert!(table.contains("FAIL"), "{table}");
        assert!(table.contains("은행-001 paging [ch.2.1]: a <b> & \"c\""), "{table}");
        assert!(table.contains("success: no asset"), "{table}");
        assert!(table.contains("3 APIs: 1 pass, 1 fail, 1 not tested; 3 requests"), "{table}");
    }

    #[test]
    fn table_columns_line_up_with_hangul_ids() {
        assert_eq!(columns("은행-001"), 8);
        assert_eq!(columns("IRP-001"), 7);
        assert_eq!(padded("은행-001", 10), "은행-001  ");
        let table = report().to_table();
        let result_at: Vec<usize> = table
            .lines()
            .filter(|l| l.starts_with("BANK"))
            .map(|l| columns(&l[..l.find("pass").or(l.find("FAIL")).or(l.find("not tested")).unwrap()]))
            .collect();
        assert!(result_at.windows(2).all(|w| w[0] == w[1]), "{table}");
    }

    #[test]
    fn junit_counts_failures_and_skips_and_escapes_text() {
        let xml = report().to_junit();
        assert!(xml.contains("tests=\"5\" failures=\"1\" skipped=\"2\""), "{xml}");
        assert!(xml.contains("<failure message=\"a &lt;b&gt; &amp; &quot;c&quot;\">"), "{xml}");
        assert!(xml.contains("<skipped message=\"no asset\"/>"), "{xml}");
        assert_eq!(xml.matches("<testsuite ").count(), 3);
    }

    #[test]
    fn json_carries_status_per_check() {
        let json: serde_json::Value = serde_json::from_str(&report().to_json()).unwrap();
        assert_eq!(json["apis"][0]["checks"][1]["status"], "fail");
        assert_eq!(json["apis"][1]["checks"][0]["status"], "not-tested");
    }
}
