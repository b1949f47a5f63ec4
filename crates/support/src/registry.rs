//! The registry payloads: 지원-002/006 institutions and 지원-003 services, as the portal writes them
//! and as participants read them.

use mydata_spec::KnownApi;
use mydata_spec::fields::Field;
use mydata_spec::validate::field_codes;
use serde_json::{Map, Value, json};
use std::net::IpAddr;

/// 지원-002/003 `op_type`: what changed since the caller's search_timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpType {
    Insert,
    Modify,
    Delete,
}

impl OpType {
    pub const fn code(self) -> &'static str {
        match self {
            OpType::Insert => "I",
            OpType::Modify => "M",
            OpType::Delete => "D",
        }
    }

    pub fn parse(code: &str) -> Option<OpType> {
        match code {
            "I" => Some(OpType::Insert),
            "M" => Some(OpType::Modify),
            "D" => Some(OpType::Delete),
            _ => None,
        }
    }

    /// What a record created at `created`, changed at `updated` and perhaps deleted at `deleted` is
    /// to a caller who last looked at `since` (0: never). `None`: nothing to tell.
    pub fn since(since: i64, created: i64, updated: i64, deleted: Option<i64>) -> Option<OpType> {
        if updated < since {
            return None;
        }
        match deleted {
            // A first caller, or one that never saw the record, has nothing to delete.
            Some(_) if since == 0 || created >= since => None,
            Some(_) => Some(OpType::Delete),
            None if since == 0 || created >= since => Some(OpType::Insert),
            None => Some(OpType::Modify),
        }
    }
}

/// 지원-002 org_type codes.
pub mod org_type {
    pub const PROVIDER: &str = "01";
    pub const PROVIDER_VIA_RELAY: &str = "02";
    pub const OPERATOR: &str = "03";
    pub const RELAY: &str = "04";
    pub const CA_IDENTITY: &str = "05";
    pub const CA_SIGNATURE: &str = "06";
    pub const PORTAL: &str = "07";
    pub const OTHER: &str = "99";
    pub const ALL: [&str; 8] =
        [PROVIDER, PROVIDER_VIA_RELAY, OPERATOR, RELAY, CA_IDENTITY, CA_SIGNATURE, PORTAL, OTHER];

    /// Providers are the only institutions with an industry, auth_type and np_time_list.
    pub fn is_provider(code: &str) -> bool {
        code == PROVIDER || code == PROVIDER_VIA_RELAY
    }
}

/// One entry of a 지원-002 org_list (`api` [`KnownApi::PortalOrgs`]) or 지원-006 org_list
/// ([`KnownApi::PortalOrgsForCa`]): its identity, and of the stored `body` the fields of that table
/// the kind of institution has (the fields' conditions on org_type: industry only for providers, …).
/// A deleted one carries only its identity (op_type 'D' rows). A list a condition requires of the
/// kind is sent empty when the institution has none (지원-006 ip_list for 01 and 04).
pub fn org_entry(api: KnownApi, op: OpType, org_code: &str, org_type: &str, body: &Value) -> Value {
    let mut entry = Map::new();
    entry.insert("op_type".into(), op.code().into());
    entry.insert("org_code".into(), org_code.into());
    entry.insert("org_type".into(), org_type.into());
    if op == OpType::Delete {
        return Value::Object(entry);
    }
    let sent: Vec<(String, Value)> = org_list_fields(api)
        .iter()
        .filter(|field| !entry.contains_key(&field.name) && !field.withheld(&entry))
        .filter_map(|field| match body.get(&field.name) {
            Some(value) => Some((field.name.clone(), value.clone())),
            None if field.demanded(&entry) && field.is_list() => Some((field.name.clone(), Value::Array(Vec::new()))),
            None => None,
        })
        .collect();
    entry.extend(sent);
    mydata_spec::counts::set_counts(&mut entry);
    Value::Object(entry)
}

/// Whether 지원-006 lists institutions of `org_type` ("org_type here is limited to '01'–'04'":
/// the codes its table's org_type lists).
pub fn listed_for_ca(org_type: &str) -> bool {
    let field = org_list_fields(KnownApi::PortalOrgsForCa).iter().find(|field| field.name == "org_type");
    field.is_some_and(|field| field_codes(field).iter().any(|(code, _)| code == org_type))
}

/// The fields of an entry of `api`'s org_list (지원-002, 지원-006), as its table gives them.
pub fn org_list_fields(api: KnownApi) -> &'static [Field] {
    api.spec().fields().response_field("org_list").map_or(&[], |list| &list.children)
}

/// One entry of a 지원-003 service_list.
pub fn service_entry(op: OpType, client_id: &str, body: &Value) -> Value {
    let service_name = body.get("service_name").cloned().unwrap_or_else(|| "".into());
    if op == OpType::Delete {
        return json!({"service_name": service_name, "op_type": op.code(), "client_id": client_id});
    }
    let mut entry = Map::new();
    entry.insert("service_name".into(), service_name);
    entry.insert("op_type".into(), op.code().into());
    entry.insert("client_id".into(), client_id.into());
    if let Value::Object(fields) = body {
        for (name, value) in fields {
            entry.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
    Value::Object(entry)
}

/// The API base URL (ch.2.1 <base path>) a registry `domain` stands for: the domain as written when
/// it names a scheme (`http://127.0.0.1:8080`), else `https://` before it.
pub fn base_url(domain: &str) -> String {
    if domain.contains("://") { domain.trim_end_matches('/').to_owned() } else { format!("https://{domain}") }
}

fn text<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

fn list_of(map: &Map<String, Value>, list: &str, item: &str) -> Vec<String> {
    map.get(list)
        .and_then(Value::as_array)
        .map(|entries| entries.iter().filter_map(|e| e.get(item).and_then(Value::as_str)).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The addresses an institution calls from (지원-002 `ip_list`), which the API providers it calls
/// allow (40102 otherwise); an entry that is not an IP address allows nothing.
pub fn registered_ips(fields: &Value) -> Vec<IpAddr> {
    let Some(fields) = fields.as_object() else { return Vec::new() };
    list_of(fields, "ip_list", "ip").iter().filter_map(|ip| ip.trim().parse().ok()).collect()
}

/// An institution as a participant received it from 지원-002.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryOrg {
    pub op_type: OpType,
    pub org_code: String,
    pub org_type: String,
    /// Every field of the entry except op_type, as received.
    pub fields: Map<String, Value>,
}

impl RegistryOrg {
    pub fn from_entry(entry: &Value) -> Option<RegistryOrg> {
        let mut fields = entry.as_object()?.clone();
        let op_type = OpType::parse(fields.remove("op_type")?.as_str()?)?;
        Some(RegistryOrg {
            op_type,
            org_code: text(&fields, "org_code")?.to_owned(),
            org_type: text(&fields, "org_type")?.to_owned(),
            fields,
        })
    }

    pub fn org_name(&self) -> Option<&str> {
        text(&self.fields, "org_name")
    }

    pub fn industry(&self) -> Option<&str> {
        text(&self.fields, "industry")
    }

    /// The API server's domain name (<base path> of ch.2.1).
    pub fn domain(&self) -> Option<&str> {
        text(&self.fields, "domain")
    }

    /// Where this institution's APIs are: [`base_url`] of its domain.
    pub fn base_url(&self) -> Option<String> {
        self.domain().map(base_url)
    }

    pub fn domain_ips(&self) -> Vec<String> {
        list_of(&self.fields, "domain_ip_list", "domain_ip")
    }
}

/// A MyData service as a provider received it from 지원-003.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryService {
    pub op_type: OpType,
    /// The operator's org_code.
    pub org_code: String,
    pub client_id: String,
    pub service_name: String,
    pub client_secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub app_schemes: Vec<String>,
}

impl RegistryService {
    /// The services of one 지원-003 org_list entry.
    pub fn from_org_entry(entry: &Value) -> Vec<RegistryService> {
        let Some(org_code) = entry.get("org_code").and_then(Value::as_str) else { return Vec::new() };
        let services = entry.get("service_list").and_then(Value::as_array).cloned().unwrap_or_default();
        services
            .iter()
            .filter_map(|service| {
                let map = service.as_object()?;
                Some(RegistryService {
                    op_type: OpType::parse(text(map, "op_type")?)?,
                    org_code: org_code.to_owned(),
                    client_id: text(map, "client_id")?.to_owned(),
                    service_name: text(map, "service_name").unwrap_or_default().to_owned(),
                    client_secret: text(map, "client_secret").map(str::to_owned),
                    redirect_uris: list_of(map, "redirect_uri_list", "redirect_uri"),
                    app_schemes: list_of(map, "app_scheme_list", "app_scheme"),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ch.7: "industry … only for providers (org_type '01' or '02')", "cert_issuer_dn and cert_oid are
    /// sent only for org_type '05'", 지원-006 "ip_cnt, ip_list … for '01' and '04' only".
    #[test]
    fn an_entry_carries_the_fields_its_kind_of_institution_has() {
        let body = json!({"org_name": "은행", "industry": "bank", "cert_issuer_dn": "yessign", "cp_code": "CP1",
                          "domain": "api.example", "server_cert_issuer_dn": "cn=CA"});
        let orgs = |org_type| org_entry(KnownApi::PortalOrgs, OpType::Insert, "ORG0000001", org_type, &body);
        let bank = orgs("01");
        assert_eq!((bank["industry"].as_str(), bank["domain"].as_str()), (Some("bank"), Some("api.example")));
        assert!(bank.get("cert_issuer_dn").is_none() && bank.get("cp_code").is_none(), "{bank}");
        let operator = orgs("03");
        assert!(operator.get("industry").is_none(), "{operator}");
        assert_eq!(orgs("05")["cert_issuer_dn"], "yessign");
        assert!(orgs("02").get("domain").is_none(), "relay users have no domain of their own");

        let for_ca = |org_type| org_entry(KnownApi::PortalOrgsForCa, OpType::Insert, "ORG0000001", org_type, &body);
        let bank = for_ca("01");
        assert_eq!((bank["cp_code"].as_str(), bank["server_cert_issuer_dn"].as_str()), (Some("CP1"), Some("cn=CA")));
        assert_eq!((bank["ip_cnt"].as_str(), bank["ip_list"].as_array().map(Vec::len)), (Some("0"), Some(0)));
        assert!(bank.get("industry").is_none(), "지원-002's fields are not 지원-006's");
        let operator = for_ca("03");
        assert!(operator.get("cp_code").is_none() && operator.get("ip_list").is_none(), "{operator}");
        assert_eq!(operator["domain"], "api.example");
        for (org_type, entry) in [("01", bank), ("03", operator)] {
            let answer = json!({"rsp_code": "00000", "rsp_msg": "성공", "org_cnt": "1", "org_list": [entry]});
            let problems = mydata_spec::validate::check_response(KnownApi::PortalOrgsForCa.spec(), &answer);
            assert!(problems.is_empty(), "{org_type}: {problems:?}");
        }
    }

    #[test]
    fn op_type_follows_the_callers_last_look() {
        assert_eq!(OpType::since(0, 10, 10, None), Some(OpType::Insert));
        assert_eq!(OpType::since(0, 10, 20, Some(20)), None, "a first caller never hears of deleted rows");
        assert_eq!(OpType::since(15, 10, 20, None), Some(OpType::Modify));
        assert_eq!(OpType::since(15, 16, 20, None), Some(OpType::Insert));
        assert_eq!(OpType::since(15, 10, 20, Some(20)), Some(OpType::Delete));
        assert_eq!(OpType::since(25, 10, 20, None), None, "unchanged since the last look");
    }

    #[test]
    fn registered_ips_are_the_addresses_of_the_ip_list() {
        let fields = json!({"ip_cnt": "3", "ip_list": [{"ip": "203.0.113.7"}, {"ip": " 10.0.0.1 "}, {"ip": "x.y"}]});
        let ips: Vec<String> = registered_ips(&fields).iter().map(ToString::to_string).collect();
        assert_eq!(ips, ["203.0.113.7", "10.0.0.1"]);
        assert!(registered_ips(&json!({"org_name": "한빛은행"})).is_empty());
    }

    #[test]
    fn deleted_entries_carry_only_their_identity() {
        let body = json!({"org_name": "한빛은행", "industry": "bank"});
        assert_eq!(
            org_entry(KnownApi::PortalOrgs, OpType::Delete, "BANK000001", "01", &body),
            json!({"op_type": "D", "org_code": "BANK000001", "org_type": "01"})
        );
        let entry = org_entry(KnownApi::PortalOrgs, OpType::Insert, "BANK000001", "01", &body);
        let parsed = RegistryOrg::from_entry(&entry).unwrap();
        assert_eq!(parsed.industry(), Some("bank"));
        assert_eq!(parsed.op_type, OpType::Insert);
    }
}
