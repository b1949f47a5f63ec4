//! What the customer can choose on the consent page and the scopes the choice means (ch.2.2's
//! 전송요구 scope tables): assets picked from the industry's asset lists, and yes/no items for the
//! scopes no asset stands for (card points, bills, loans).

use mydata_spec::catalogue::info_apis;
use mydata_spec::{ApiKind, ApiSpec, AssetGroup, AssetId, Industry, ScopeRule};
use mydata_store::{AssetRow, Store, StoreResult};
use serde_json::Value;

/// One asset the customer may include.
#[derive(Debug, Clone)]
pub struct AssetChoice {
    /// The asset: its list and its key.
    pub asset: AssetId,
    /// The list item's product name (or card name, account name, …), where it tells one.
    pub name: Option<String>,
    /// Where the consent page shows it.
    pub group: AssetGroup,
    pub scopes: Vec<String>,
}

/// The asset-list APIs of an industry.
fn list_apis(industry: Industry) -> impl Iterator<Item = &'static ApiSpec> {
    info_apis(industry).filter(|a| a.kind() == ApiKind::AssetList)
}

fn text(item: &Value, name: &str) -> Option<String> {
    match item.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The scopes choosing this asset grants (ch.2.2): those of the APIs that describe it. A bank account's
/// scope follows its 첨부3 type (1xxx 수신, 2xxx 투자, 3xxx 대출), and a 마이너스통장 (is_minus) is a
/// deposit and a loan at once ([`ApiSpec::describes`]).
pub fn scopes_for_choice(list: &'static ApiSpec, industry: Industry, item: &Value) -> Vec<String> {
    let class = list.classify(|name| item.get(name).and_then(Value::as_str));
    let mut scopes: Vec<String> = list
        .detail_apis(industry)
        .filter(|api| api.describes(class))
        .filter_map(|api| api.scope_for(industry))
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// The fields of list items that name an asset, in the order they are looked for.
const NAME_FIELDS: &[&str] =
    &["prod_name", "card_name", "account_name", "pp_name", "fob_name", "account_id", "telecom_num", "bond_num"];

fn name(asset: &AssetRow) -> Option<String> {
    NAME_FIELDS.iter().find_map(|f| text(&asset.item, f)).filter(|name| !name.is_empty() && *name != asset.asset_key)
}

/// Every asset the customer holds at `org_code`, with the scopes each would grant.
pub async fn customer_assets(
    store: &dyn Store,
    org_code: &str,
    industry: Industry,
    customer_id: &str,
) -> StoreResult<Vec<AssetChoice>> {
    let mut choices = Vec::new();
    for list in list_apis(industry) {
        let mut after: Option<String> = None;
        loop {
            let page = store.asset_page(org_code, list.id, customer_id, after.as_deref(), 500).await?;
            for asset in &page.items {
                choices.push(AssetChoice {
                    asset: AssetId::new(list, asset.asset_key.clone()),
                    name: name(asset),
                    group: list.asset_group(|field| asset.item.get(field).and_then(Value::as_str)),
                    scopes: scopes_for_choice(list, industry, &asset.item),
                });
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(choices)
}

/// Scopes the customer turns on with a yes/no (ch.2.2 "전송 여/부 선택"): those of the industry no
/// asset-keyed API needs, e.g. card.point, card.bill, card.loan.
pub fn yes_no_scopes(industry: Industry) -> Vec<String> {
    let keyed: Vec<String> =
        info_apis(industry).filter(|a| a.resource_key().is_some()).filter_map(|a| a.scope_for(industry)).collect();
    let mut scopes: Vec<String> = info_apis(industry)
        .filter(|a| matches!(a.scope, ScopeRule::Industry(_)))
        .filter_map(|a| a.scope_for(industry))
        .filter(|scope| !keyed.contains(scope))
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// Which of 공통-002's optional items apply to an industry (its rules): memo for bank and efin,
/// merchant name for card, efin and telecom, category for efin.
pub struct OptionalItems {
    pub trans_memo: bool,
    pub merchant_name_regno: bool,
    pub trans_category: bool,
}

pub fn optional_items(industry: Industry) -> OptionalItems {
    use Industry::*;
    OptionalItems {
        trans_memo: matches!(industry, Bank | Efin),
        merchant_name_regno: matches!(industry, Card | Efin | Telecom),
        trans_category: matches!(industry, Efin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mydata_spec::catalogue::api;
    use serde_json::json;

    #[test]
    fn bank_accounts_grant_the_scope_of_their_type() {
        let list = api("은행-001").unwrap();
        let scopes = |item| scopes_for_choice(list, Industry::Bank, &item);
        assert_eq!(scopes(json!({"account_type": "1001", "is_minus": "false"})), ["bank.deposit"]);
        assert_eq!(scopes(json!({"account_type": "1001", "is_minus": "true"})), ["bank.deposit", "bank.loan"]);
        assert_eq!(scopes(json!({"account_type": "2001"})), ["bank.invest"]);
        assert_eq!(scopes(json!({"account_type": "3100"})), ["bank.loan"]);
        assert_eq!(scopes_for_choice(api("IRP-001").unwrap(), Industry::Bank, &json!({})), ["bank.irp"]);
        assert_eq!(scopes_for_choice(api("카드-001").unwrap(), Industry::Card, &json!({})), ["card.card"]);
        assert_eq!(scopes_for_choice(api("선불-001").unwrap(), Industry::Card, &json!({})), ["card.prepaid"]);
    }

    #[test]
    fn card_points_bills_and_loans_are_yes_no_items() {
        assert_eq!(yes_no_scopes(Industry::Card), ["card.bill", "card.loan", "card.point"]);
        assert!(yes_no_scopes(Industry::Bank).is_empty());
        assert!(yes_no_scopes(Industry::Telecom).is_empty());
    }
}
