//! A customer's collected assets as the operator's own apps see them: each asset of each asset
//! list with the latest answer of every API about it and the histories kept for it — what the read
//! API serves as JSON and the dashboard shows as a page.

use mydata_collector::OperatorStore;
use mydata_spec::catalogue::{api, info_apis};
use mydata_spec::{ApiSpec, Industry};
use mydata_store::StoreResult;
use serde::Serialize;
use serde_json::Value;

/// One asset (an account, a card, a policy, …) at one provider.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Asset {
    pub org_code: String,
    pub industry: String,
    /// The asset list API that named it.
    pub api_id: String,
    /// Its key (the list's resource key, with `#seqno` where one number is several accounts).
    pub asset_key: String,
    /// When the list item was last collected (YYYYMMDDhhmmss, Korean time).
    pub collected_at: String,
    /// The list item as the provider answered it.
    pub data: Value,
    /// The latest answer of every API about the asset (balance, basic information, …).
    pub details: Vec<Detail>,
    /// The histories kept for it (transactions, approvals, …), read a page at a time.
    pub histories: Vec<History>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Detail {
    pub api_id: String,
    pub subject_key: String,
    pub collected_at: String,
    pub data: Value,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct History {
    pub api_id: String,
    pub subject_key: String,
}

pub(crate) fn dtime(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map(mydata_spec::time::korean_dtime).unwrap_or_default()
}

/// Whether `list` is the asset list of some API of `industry`.
fn is_asset_list(list: &ApiSpec, industry: Industry) -> bool {
    info_apis(industry).any(|a| a.asset_list(industry).is_some_and(|l| l.id == list.id))
}

/// What the operator holds about one customer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Holdings {
    pub assets: Vec<Asset>,
    /// Histories about no single asset (about the customer, say).
    pub histories: Vec<OrgHistory>,
}

/// A history about no single asset, with its provider.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OrgHistory {
    pub org_code: String,
    pub api_id: String,
    pub subject_key: String,
}

/// Whether the subject `subject_key` is the asset `asset_key` (or one of its parts: an account of
/// an electronic prepaid means, a bill month of a card).
fn is_about(subject_key: &str, asset_key: &str) -> bool {
    subject_key == asset_key || subject_key.strip_prefix(asset_key).is_some_and(|rest| rest.starts_with('|'))
}

/// Every asset of `customer_id` the operator collected, by provider and list, and the histories kept.
pub async fn holdings(store: &OperatorStore, customer_id: &str) -> StoreResult<Holdings> {
    let lists: Vec<&'static str> = mydata_spec::CATALOGUE
        .iter()
        .filter(|a| a.industries.iter().any(|i| is_asset_list(a, *i)))
        .map(|a| a.id)
        .collect();
    let rows = store.holdings(customer_id, &lists).await?;
    let mut histories = store.history_subjects(customer_id, &lists).await?;
    let mut assets = Vec::new();
    for row in rows.iter().filter(|r| !r.item_key.is_empty()) {
        let details = rows
            .iter()
            .filter(|d| d.org_code == row.org_code && d.item_key.is_empty() && is_about(&d.subject_key, &row.item_key))
            .filter(|d| api(&d.api_id).is_some_and(|a| a.period_unit().is_none()))
            .map(|d| Detail {
                api_id: d.api_id.clone(),
                subject_key: d.subject_key.clone(),
                collected_at: dtime(d.collected_at),
                data: d.body.clone(),
            })
            .collect();
        let (own, others): (Vec<_>, Vec<_>) = histories
            .into_iter()
            .partition(|(org, _, subject)| *org == row.org_code && is_about(subject, &row.item_key));
        histories = others;
        assets.push(Asset {
            org_code: row.org_code.clone(),
            industry: row.industry.clone(),
            api_id: row.api_id.clone(),
            asset_key: row.item_key.clone(),
            collected_at: dtime(row.collected_at),
            data: row.body.clone(),
            details,
            histories: own.into_iter().map(|(_, api_id, subject_key)| History { api_id, subject_key }).collect(),
        });
    }
    let histories = histories
        .into_iter()
        .map(|(org_code, api_id, subject_key)| OrgHistory { org_code, api_id, subject_key })
        .collect();
    Ok(Holdings { assets, histories })
}
