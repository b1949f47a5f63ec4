//! `docs/apis.md` is generated from the catalogue; this test fails when it is stale.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p mydata-spec --test api_table`.

use mydata_spec::catalogue::{CATALOGUE, Group, ScopeRule};
use mydata_spec::{ApiKind, ApiSpec};
use std::fmt::Write;

fn path_of(api: &ApiSpec) -> String {
    match api.group {
        Group::Info if api.scope == ScopeRule::None => format!("/<industry>{}", api.resource),
        Group::Info => format!("/v1/<industry>{}", api.resource),
        _ => api.resource.to_owned(),
    }
}

fn scope_of(api: &ApiSpec) -> String {
    match api.scope {
        ScopeRule::None => "—".into(),
        ScopeRule::List => "`<industry>.list`".into(),
        ScopeRule::Industry(suffix) => format!("`<industry>.{suffix}`"),
        ScopeRule::Manage => "`manage`".into(),
    }
}

fn render() -> String {
    let mut out = String::from(
        "# API catalogue\n\n\
         Generated from `crates/spec/src/catalogue.rs` and the field data by\n\
         `UPDATE_DOCS=1 cargo test -p mydata-spec --test api_table`; do not edit by hand.\n\n\
         Periodic: the periodic-transmission class of ch.3.3.1 (기본 basic / 추가 additional).\n\
         Request: what the request takes besides org_code — `page` (next_page/limit), `ts` (search_timestamp),\n\
         `dates` (from_date/to_date), `months` (from_month/to_month), and the resource key.\n",
    );
    for (group, title) in [
        (Group::Auth, "Authorization (ch.5)"),
        (Group::Info, "Information APIs (ch.6)"),
        (Group::PortalSupport, "Support APIs served by the portal (ch.7)"),
        (Group::ParticipantSupport, "Support APIs served by providers and operators (ch.7)"),
    ] {
        write!(out, "\n## {title}\n\n| ID | Name | Industries | Method | Path | Scope | Periodic | Code | Request |\n|---|---|---|---|---|---|---|---|---|\n").unwrap();
        for api in CATALOGUE.iter().filter(|a| a.group == group) {
            let industries: Vec<&str> = api.industries.iter().map(|i| i.as_str()).collect();
            let mut takes = Vec::new();
            if let Some(key) = api.resource_key() {
                takes.push(format!("`{key}`"));
            }
            for (yes, what) in [
                (api.pages(), "page"),
                (api.takes_search_timestamp(), "ts"),
                (api.takes_date_range(), "dates"),
                (api.takes_month_range(), "months"),
            ] {
                if yes {
                    takes.push(what.to_owned());
                }
            }
            match api.kind() {
                ApiKind::AssetList => takes.push("(list)".to_owned()),
                ApiKind::Document => takes.push("(document)".to_owned()),
                ApiKind::Rows { .. } => takes.push("(rows)".to_owned()),
                ApiKind::ApiList | ApiKind::ConsentDetail | ApiKind::NotInformation => {}
            }
            writeln!(
                out,
                "| {} | {} | {} | {} | `{}` | {} | {} | {} | {} |",
                api.id,
                api.name,
                if industries.is_empty() { "—".to_owned() } else { industries.join(", ") },
                api.method,
                path_of(api),
                scope_of(api),
                api.periodic.map_or("—", |p| p.korean()),
                api.api_code.unwrap_or("—"),
                takes.join(" "),
            )
            .unwrap();
        }
    }
    out
}

#[test]
fn docs_api_table_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/apis.md");
    let fresh = render();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    assert!(current == fresh, "docs/apis.md is stale: run UPDATE_DOCS=1 cargo test -p mydata-spec --test api_table");
}
