//! The registry file the portal's operator maintains (`mydata portal import --file registry.toml`),
//! validated before anything is stored. The file is the whole registry: institutions and services
//! missing from it are marked deleted, so that participants receive op_type 'D' for them.
//! See `examples/registry.toml` for the format.

use chrono::NaiveTime;
use mydata_spec::counts;
use mydata_spec::types::{BusinessNumber, OrgCode};
use mydata_spec::validate::check_value;
use mydata_spec::{Industry, KnownApi};
use mydata_store::{PortalOrg, PortalService, Store, StoreError};
use mydata_support::registry::{OpType, listed_for_ca, org_entry, org_list_fields, org_type};
use mydata_support::secret::hash_client_secret;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

/// The file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFile {
    #[serde(default, rename = "org")]
    pub orgs: Vec<OrgEntry>,
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceEntry>,
}

/// One institution: the 지원-002/006 fields by their standard names, lists as plain arrays.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgEntry {
    pub org_code: String,
    pub org_type: String,
    pub org_name: String,
    pub is_rcv_org: Option<bool>,
    pub org_regno: Option<String>,
    pub corp_regno: Option<String>,
    pub serial_num: Option<String>,
    pub address: Option<String>,
    /// The API server's base: a host name (`https://` implied) or a URL with scheme and port.
    pub domain: Option<String>,
    #[serde(default)]
    pub domain_ips: Vec<String>,
    pub relay_org_code: Option<String>,
    pub industry: Option<String>,
    pub auth_type: Option<String>,
    pub cert_issuer_dn: Option<String>,
    pub cert_oid: Option<String>,
    #[serde(default)]
    pub ips: Vec<String>,
    /// Periodic-transmission hours, `hhmm:hhmm` in 30-minute steps.
    #[serde(default)]
    pub np_times: Vec<String>,
    /// 지원-006 fields for certification authorities.
    pub cp_code: Option<String>,
    pub server_cert_issuer_dn: Option<String>,
    pub server_cert_subject_dn: Option<String>,
    /// The credentials this institution uses for 지원-001 (the secret is stored only hashed).
    pub support_client_id: Option<String>,
    pub support_client_secret: Option<String>,
}

/// One MyData service of an operator (지원-003).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceEntry {
    pub org_code: String,
    pub service_name: String,
    pub client_id: String,
    pub client_secret: String,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub app_schemes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0} is not a valid registry file: {1}")]
    Syntax(String, String),
    #[error("the registry has {} problem(s):\n  {}", .0.len(), .0.join("\n  "))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OrgEntry {
    /// The entry's lists: each one's item on the wire (`domain_ip`, in `domain_ip_list`), its name in
    /// the file, and its values.
    fn lists(&self) -> [(&'static str, &'static str, &[String]); 3] {
        [
            ("domain_ip", "domain_ips", &self.domain_ips),
            ("ip", "ips", &self.ips),
            ("np_time", "np_times", &self.np_times),
        ]
    }
}

impl RegistryFile {
    /// Reads a `.toml` or `.json` file.
    pub fn read(path: &std::path::Path) -> Result<RegistryFile, ImportError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ImportError::Read(name.clone(), e))?;
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            serde_json::from_str(&text).map_err(|e| ImportError::Syntax(name, e.to_string()))
        } else {
            toml::from_str(&text).map_err(|e| ImportError::Syntax(name, e.to_string()))
        }
    }

    /// Every problem of the file, each naming the entry it is in; empty when the file is valid.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut codes = HashSet::new();
        let mut support_ids = HashSet::new();
        for org in &self.orgs {
            let at = format!("org {}", org.org_code);
            if !codes.insert(org.org_code.as_str()) {
                problems.push(format!("{at}: org_code appears twice"));
            }
            if let Some(id) = &org.support_client_id
                && !support_ids.insert(id.as_str())
            {
                problems.push(format!("{at}: support_client_id {id} is used twice"));
            }
            problems.extend(org_problems(org).into_iter().map(|p| format!("{at}: {p}")));
        }
        let operators: HashSet<&str> =
            self.orgs.iter().filter(|o| o.org_type == org_type::OPERATOR).map(|o| o.org_code.as_str()).collect();
        let mut client_ids = HashSet::new();
        for service in &self.services {
            let at = format!("service {}", service.client_id);
            if !client_ids.insert(service.client_id.as_str()) {
                problems.push(format!("{at}: client_id appears twice"));
            }
            if !operators.contains(service.org_code.as_str()) {
                problems.push(format!(
                    "{at}: org_code {} is not a MyData operator (org_type 03) of the file",
                    service.org_code
                ));
            }
            problems.extend(service_problems(service).into_iter().map(|p| format!("{at}: {p}")));
        }
        problems
    }
}

/// Checks `value` against the type the standard gives field `name` in the 지원-002/003/006 tables.
fn typed(problems: &mut Vec<String>, api: KnownApi, name: &str, value: &str) {
    let field = find_field(&api.spec().fields().response, name);
    if let Some(field) = field
        && let Err(problem) = check_value(&field.type_spec, value)
    {
        problems.push(format!("{name} {value:?}: {problem}"));
    }
}

fn find_field<'a>(list: &'a [mydata_spec::fields::Field], name: &str) -> Option<&'a mydata_spec::fields::Field> {
    list.iter().find_map(|f| if f.name == name { Some(f) } else { find_field(&f.children, name) })
}

/// The API base URL a `domain` stands for (`https://` when it names no scheme).
pub fn base_url(domain: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(&mydata_support::registry::base_url(domain))
        .map_err(|e| format!("domain {domain:?} is not a host or URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("domain {domain:?} must be an http(s) host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("domain {domain:?} must not have a query or fragment"));
    }
    Ok(url)
}

fn np_minutes(window: &str) -> Result<i64, String> {
    let bad = || format!("np_time {window:?} must be hhmm:hhmm in 30-minute steps");
    let (from, to) = window.split_once(':').ok_or_else(bad)?;
    let parse = |t: &str| {
        if t == "2400" {
            return Some(24 * 60);
        }
        let time = NaiveTime::parse_from_str(t, "%H%M").ok()?;
        Some(i64::from(chrono::Timelike::hour(&time) * 60 + chrono::Timelike::minute(&time)))
    };
    let (start, end) = (parse(from).ok_or_else(bad)?, parse(to).ok_or_else(bad)?);
    if start % 30 != 0 || end % 30 != 0 || start == end {
        return Err(bad());
    }
    // A window may run past midnight (2300:0200).
    Ok(if end > start { end - start } else { end + 24 * 60 - start })
}

fn org_problems(org: &OrgEntry) -> Vec<String> {
    let mut problems = Vec::new();
    if org.org_code.parse::<OrgCode>().is_err() {
        problems.push("org_code must be 10 capital letters or digits".into());
    }
    if !org_type::ALL.contains(&org.org_type.as_str()) {
        problems.push(format!("org_type {:?} is not one of {}", org.org_type, org_type::ALL.join(", ")));
    }
    typed(&mut problems, KnownApi::PortalOrgs, "org_name", &org.org_name);
    let provider = org_type::is_provider(&org.org_type);
    match (&org.industry, provider) {
        (Some(industry), true) => {
            if industry.parse::<Industry>().is_err() {
                problems.push(format!("industry {industry:?} is not one of the standard's industries"));
            }
        }
        (None, true) => problems.push("an information provider needs its industry".into()),
        // Others' are refused with every field their kind never sends, below.
        (_, false) => {}
    }
    if let Some(auth_type) = &org.auth_type
        && !matches!(auth_type.as_str(), "01" | "03")
    {
        problems.push("auth_type is 01 or 03".into());
    }
    if let Some(domain) = &org.domain {
        typed(&mut problems, KnownApi::PortalOrgs, "domain", domain);
        if let Err(problem) = base_url(domain) {
            problems.push(problem);
        }
    } else if matches!(org.org_type.as_str(), "01" | "03" | "04") {
        problems.push("an institution that serves APIs (org_type 01, 03, 04) needs its domain".into());
    }
    for ip in &org.domain_ips {
        typed(&mut problems, KnownApi::PortalOrgs, "domain_ip", ip);
        if ip.parse::<IpAddr>().is_err() && ip.parse::<SocketAddr>().is_err() {
            problems.push(format!("domain_ip {ip:?} is not an IP address (with an optional :port)"));
        }
    }
    for ip in &org.ips {
        if ip.parse::<IpAddr>().is_err() {
            problems.push(format!("ip {ip:?} is not an IP address"));
        }
    }
    if let Some(relay) = &org.relay_org_code {
        if relay.parse::<OrgCode>().is_err() {
            problems.push("relay_org_code must be 10 capital letters or digits".into());
        }
    } else if org.org_type == org_type::PROVIDER_VIA_RELAY {
        problems.push("a provider using a relay (org_type 02) needs relay_org_code".into());
    }
    if provider {
        // ch.7 지원-002 np_time_cnt: at most three windows, six hours or more in total.
        let minutes: Result<Vec<i64>, String> = org.np_times.iter().map(|w| np_minutes(w)).collect();
        match minutes {
            Err(problem) => problems.push(problem),
            Ok(minutes) if org.np_times.len() > 3 || minutes.iter().sum::<i64>() < 6 * 60 => {
                problems.push("np_times must be one to three windows of six hours or more in total".into())
            }
            Ok(_) => {}
        }
    }
    if let Some(Err(problem)) = org.org_regno.as_deref().map(BusinessNumber::check) {
        problems.push(problem.to_string());
    }
    for (name, value) in [
        ("corp_regno", &org.corp_regno),
        ("serial_num", &org.serial_num),
        ("address", &org.address),
        ("cert_issuer_dn", &org.cert_issuer_dn),
        ("cert_oid", &org.cert_oid),
    ] {
        if let Some(value) = value {
            typed(&mut problems, KnownApi::PortalOrgs, name, value);
        }
    }
    for (name, value) in [
        ("cp_code", &org.cp_code),
        ("server_cert_issuer_dn", &org.server_cert_issuer_dn),
        ("server_cert_subject_dn", &org.server_cert_subject_dn),
    ] {
        if let Some(value) = value {
            typed(&mut problems, KnownApi::PortalOrgsForCa, name, value);
        }
    }
    problems.extend(never_sent(org));
    match (&org.support_client_id, &org.support_client_secret) {
        (Some(id), Some(secret)) => {
            typed(&mut problems, KnownApi::PortalToken, "client_id", id);
            if let Err(problem) = check_value("aN(50)", secret) {
                problems.push(format!("support_client_secret: {problem}"));
            }
        }
        (None, None) => {}
        _ => problems.push("support_client_id and support_client_secret go together".into()),
    }
    problems
}

/// The fields of the entry that no registry answer would carry for its kind of institution: those
/// the conditions of 지원-002's table, and of 지원-006's where it lists the kind, withhold
/// (`industry` of an operator, `cert_issuer_dn` of a bank, `cp_code` of a CA), each with the rule:
/// `cert_issuer_dn: is sent only when org_type is 05`.
fn never_sent(org: &OrgEntry) -> Vec<String> {
    let body = org_body(org);
    let answer = |api| org_entry(api, OpType::Insert, &org.org_code, &org.org_type, &body);
    let orgs = answer(KnownApi::PortalOrgs);
    let for_ca = listed_for_ca(&org.org_type).then(|| answer(KnownApi::PortalOrgsForCa));
    let carried = |name: &str| orgs.get(name).is_some() || for_ca.as_ref().is_some_and(|a| a.get(name).is_some());
    let tables = [KnownApi::PortalOrgs, KnownApi::PortalOrgsForCa];
    let names: Vec<&str> = body.as_object().into_iter().flat_map(|map| map.keys()).map(String::as_str).collect();
    // A count goes with its list, which is named instead.
    let is_count = |name: &str| names.iter().any(|list| counts::count_of(list).as_deref() == Some(name));
    let lists = org.lists();
    names
        .iter()
        .copied()
        .filter(|name| !is_count(name) && !carried(name))
        .map(|name| {
            // The rule is the conditions' on the 지원-002 entry's op_type and org_type.
            let field = tables.iter().find_map(|api| org_list_fields(*api).iter().find(|f| f.name == name));
            let rule = field.zip(orgs.as_object()).and_then(|(field, kind)| field.condition_problem(true, kind));
            // A list is named as the file writes it.
            let list = lists.iter().find(|(item, ..)| name.strip_suffix("_list") == Some(item));
            let written = list.map_or(name, |(_, file_name, _)| file_name);
            format!("{written}: {}", rule.unwrap_or_else(|| format!("is not sent for org_type {}", org.org_type)))
        })
        .collect()
}

fn service_problems(service: &ServiceEntry) -> Vec<String> {
    let mut problems = Vec::new();
    typed(&mut problems, KnownApi::PortalServices, "service_name", &service.service_name);
    typed(&mut problems, KnownApi::PortalServices, "client_id", &service.client_id);
    if let Err(problem) = check_value("aN(50)", &service.client_secret) {
        problems.push(format!("client_secret: {problem}"));
    }
    if service.redirect_uris.is_empty() || service.redirect_uris.len() > 4 {
        problems.push("redirect_uris must hold one to four Callback URLs".into());
    }
    for uri in &service.redirect_uris {
        typed(&mut problems, KnownApi::PortalServices, "redirect_uri", uri);
        match url::Url::parse(uri) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.fragment().is_none() => {}
            _ => problems.push(format!("redirect_uri {uri:?} must be an absolute http(s) URL without fragment")),
        }
    }
    if service.app_schemes.len() > 9 {
        problems.push("at most nine app_schemes (app_scheme_cnt is N(1))".into());
    }
    for scheme in &service.app_schemes {
        typed(&mut problems, KnownApi::PortalServices, "app_scheme", scheme);
    }
    problems
}

fn put(map: &mut Map<String, Value>, name: &str, value: &Option<String>) {
    if let Some(value) = value {
        map.insert(name.into(), Value::String(value.clone()));
    }
}

/// `<item>_list` of `{item: value}` entries, left out when empty (ch.2.1); its count is set with the
/// body's others ([`counts::set_counts`]).
fn put_list(map: &mut Map<String, Value>, item: &str, values: &[String]) {
    if !values.is_empty() {
        let list = values.iter().map(|v| serde_json::json!({ item: v })).collect();
        map.insert(format!("{item}_list"), Value::Array(list));
    }
}

/// The stored body of an institution: every 지원-002/006 field it has, as strings.
pub fn org_body(org: &OrgEntry) -> Value {
    let mut map = Map::new();
    if let Some(is_rcv_org) = org.is_rcv_org {
        map.insert("is_rcv_org".into(), Value::String(is_rcv_org.to_string()));
    }
    map.insert("org_name".into(), Value::String(org.org_name.clone()));
    put(&mut map, "org_regno", &org.org_regno);
    put(&mut map, "corp_regno", &org.corp_regno);
    put(&mut map, "serial_num", &org.serial_num);
    put(&mut map, "address", &org.address);
    put(&mut map, "domain", &org.domain);
    put(&mut map, "relay_org_code", &org.relay_org_code);
    put(&mut map, "industry", &org.industry);
    put(&mut map, "auth_type", &org.auth_type);
    put(&mut map, "cert_issuer_dn", &org.cert_issuer_dn);
    put(&mut map, "cert_oid", &org.cert_oid);
    for (item, _, values) in org.lists() {
        put_list(&mut map, item, values);
    }
    put(&mut map, "cp_code", &org.cp_code);
    put(&mut map, "server_cert_issuer_dn", &org.server_cert_issuer_dn);
    put(&mut map, "server_cert_subject_dn", &org.server_cert_subject_dn);
    counts::set_counts(&mut map);
    Value::Object(map)
}

/// The stored body of a service: its 지원-003 fields except client_id and op_type.
pub fn service_body(service: &ServiceEntry) -> Value {
    let mut map = Map::new();
    map.insert("service_name".into(), Value::String(service.service_name.clone()));
    map.insert("client_secret".into(), Value::String(service.client_secret.clone()));
    put_list(&mut map, "redirect_uri", &service.redirect_uris);
    put_list(&mut map, "app_scheme", &service.app_schemes);
    counts::set_counts(&mut map);
    Value::Object(map)
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub orgs_added: usize,
    pub orgs_changed: usize,
    pub orgs_deleted: usize,
    pub services_added: usize,
    pub services_changed: usize,
    pub services_deleted: usize,
}

/// Validates the file and makes the store's registry equal to it, touching (and so reporting to
/// participants) only what really changed.
pub async fn import(store: &dyn Store, file: &RegistryFile, now: i64) -> Result<ImportSummary, ImportError> {
    let problems = file.problems();
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    let mut summary = ImportSummary::default();
    let existing_orgs = store.portal_orgs_changed_since(i64::MIN).await?;
    for entry in &file.orgs {
        let body = org_body(entry);
        let before = existing_orgs.iter().find(|o| o.org_code == entry.org_code);
        // The stored hash stays when the secret did not change, so an unchanged file changes nothing.
        let secret_hash = match (before, &entry.support_client_secret) {
            (Some(b), Some(secret))
                if b.support_secret_hash
                    .as_deref()
                    .is_some_and(|h| mydata_support::secret::verify_client_secret(secret, h)) =>
            {
                b.support_secret_hash.clone()
            }
            (_, secret) => secret.as_deref().map(hash_client_secret),
        };
        let unchanged = before.is_some_and(|b| {
            b.deleted_at.is_none()
                && b.org_type == entry.org_type
                && b.body == body
                && b.support_client_id == entry.support_client_id
                && b.support_secret_hash == secret_hash
        });
        if unchanged {
            continue;
        }
        match before {
            Some(b) if b.deleted_at.is_none() => summary.orgs_changed += 1,
            _ => summary.orgs_added += 1,
        }
        let created_at = before.filter(|b| b.deleted_at.is_none()).map_or(now, |b| b.created_at);
        store
            .upsert_portal_org(&PortalOrg {
                org_code: entry.org_code.clone(),
                org_type: entry.org_type.clone(),
                body,
                support_client_id: entry.support_client_id.clone(),
                support_secret_hash: secret_hash,
                created_at,
                updated_at: now,
                deleted_at: None,
            })
            .await?;
    }
    for gone in existing_orgs.iter().filter(|o| o.deleted_at.is_none()) {
        if !file.orgs.iter().any(|e| e.org_code == gone.org_code) {
            summary.orgs_deleted += 1;
            let deleted = PortalOrg { updated_at: now, deleted_at: Some(now), support_client_id: None, ..gone.clone() };
            store.upsert_portal_org(&deleted).await?;
        }
    }
    let existing_services = store.portal_services_changed_since(i64::MIN).await?;
    for entry in &file.services {
        let body = service_body(entry);
        let before = existing_services.iter().find(|s| s.client_id == entry.client_id);
        if before.is_some_and(|b| b.deleted_at.is_none() && b.org_code == entry.org_code && b.body == body) {
            continue;
        }
        match before {
            Some(b) if b.deleted_at.is_none() => summary.services_changed += 1,
            _ => summary.services_added += 1,
        }
        let created_at = before.filter(|b| b.deleted_at.is_none()).map_or(now, |b| b.created_at);
        store
            .upsert_portal_service(&PortalService {
                client_id: entry.client_id.clone(),
                org_code: entry.org_code.clone(),
                body,
                created_at,
                updated_at: now,
                deleted_at: None,
            })
            .await?;
    }
    for gone in existing_services.iter().filter(|s| s.deleted_at.is_none()) {
        if !file.services.iter().any(|e| e.client_id == gone.client_id) {
            summary.services_deleted += 1;
            store
                .upsert_portal_service(&PortalService { updated_at: now, deleted_at: Some(now), ..gone.clone() })
                .await?;
        }
    }
    Ok(summary)
}
