//! Assets as the standard knows them: which list an asset comes from, what kind of asset it is, and
//! which detail APIs describe which kinds.
//!
//! An asset is identified by the list it comes from and its key ([`AssetId`]): one institution can
//! list an account number both as an IRP and as a bank account, and they are two assets (ch.2.1,
//! each asset list is its own API). Within a list, the kind of an item — 첨부3 account types, 첨부7
//! policy types — decides which detail APIs describe it: a bank's deposit, investment and loan
//! accounts each have their own APIs (은행-001's rules), a capital company's operating leases theirs
//! (할부금융-001's rules), and only a car policy has car-insurance details (보험-004, 보험-007),
//! which stand for the basic, rider, payment and transaction APIs of other policies (보험-002, 003,
//! 005, 006: their rules).

use crate::catalogue::{ApiKind, ApiSpec, api};
use std::fmt;

/// What kind of asset a list item is, as far as it decides which detail APIs describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssetKind {
    /// 수신계좌 (첨부3 1xxx).
    Deposit,
    /// 투자상품계좌 (첨부3 2xxx).
    Invest,
    /// 대출상품계좌 (첨부3 3xxx but 3710).
    Loan,
    /// 운용리스 (첨부3 3710).
    OperatingLease,
    /// An insurance policy other than car insurance (첨부7).
    Policy,
    /// 자동차보험 (첨부7 17).
    CarPolicy,
    /// An item of a list whose items are all alike (cards, IRP accounts, prepaid means, …).
    Any,
}

/// How the consent page groups a customer's assets, in the words customers know them by: by the
/// list an asset comes from and, in a list of several kinds, by its kind and 첨부3 type (a 자유입출식
/// account is 입출금, other deposit accounts 예금·적금). Ordered as the page shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssetGroup {
    Demand,
    Savings,
    Invest,
    Irp,
    Loan,
    OperatingLease,
    Card,
    Prepaid,
    PaymentAccount,
    Insurance,
    Guarantee,
    Telecom,
    Bond,
    /// An asset list this table does not know yet (none today).
    Other,
}

impl AssetGroup {
    pub const ALL: [AssetGroup; 14] = [
        AssetGroup::Demand,
        AssetGroup::Savings,
        AssetGroup::Invest,
        AssetGroup::Irp,
        AssetGroup::Loan,
        AssetGroup::OperatingLease,
        AssetGroup::Card,
        AssetGroup::Prepaid,
        AssetGroup::PaymentAccount,
        AssetGroup::Insurance,
        AssetGroup::Guarantee,
        AssetGroup::Telecom,
        AssetGroup::Bond,
        AssetGroup::Other,
    ];

    /// The group's name on the consent page.
    pub const fn korean(self) -> &'static str {
        match self {
            AssetGroup::Demand => "입출금",
            AssetGroup::Savings => "예금·적금",
            AssetGroup::Invest => "투자",
            AssetGroup::Irp => "개인형 IRP",
            AssetGroup::Loan => "대출",
            AssetGroup::OperatingLease => "운용리스",
            AssetGroup::Card => "카드",
            AssetGroup::Prepaid => "선불",
            AssetGroup::PaymentAccount => "결제 계정",
            AssetGroup::Insurance => "보험",
            AssetGroup::Guarantee => "보증보험",
            AssetGroup::Telecom => "통신",
            AssetGroup::Bond => "채권·대부",
            AssetGroup::Other => "기타 자산",
        }
    }

    /// A short ASCII name, for forms and element ids.
    pub const fn code(self) -> &'static str {
        match self {
            AssetGroup::Demand => "demand",
            AssetGroup::Savings => "savings",
            AssetGroup::Invest => "invest",
            AssetGroup::Irp => "irp",
            AssetGroup::Loan => "loan",
            AssetGroup::OperatingLease => "lease",
            AssetGroup::Card => "card",
            AssetGroup::Prepaid => "prepaid",
            AssetGroup::PaymentAccount => "paid",
            AssetGroup::Insurance => "insurance",
            AssetGroup::Guarantee => "guarantee",
            AssetGroup::Telecom => "telecom",
            AssetGroup::Bond => "bond",
            AssetGroup::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<AssetGroup> {
        AssetGroup::ALL.into_iter().find(|group| group.code() == code)
    }
}

/// The group of every item of a list whose items are all alike.
const LIST_GROUPS: &[(&str, AssetGroup)] = &[
    ("IRP-001", AssetGroup::Irp),
    ("선불-001", AssetGroup::Prepaid),
    ("전금-001", AssetGroup::Prepaid),
    ("전금-101", AssetGroup::PaymentAccount),
    ("카드-001", AssetGroup::Card),
    ("금투-001", AssetGroup::Invest),
    ("보증보험-001", AssetGroup::Guarantee),
    ("통신-001", AssetGroup::Telecom),
    ("P2P-001", AssetGroup::Loan),
    ("채권-001", AssetGroup::Bond),
];

/// 첨부3 자유입출식: the one deposit type customers call 입출금.
const DEMAND_DEPOSIT: &str = "1001";

/// 첨부3 운용리스.
const OPERATING_LEASE: &str = "3710";
/// 첨부7 자동차보험.
const CAR_INSURANCE: &str = "17";

/// The fields of asset-list items that tell an asset's status.
const STATUS_FIELDS: &[&str] = &["account_status", "insu_status", "status"];

/// 첨부3's status code 01: 활동(사고 포함).
const FIRST_STATUS: &str = "01";

/// A list item's kind, and whether it is an overdraft deposit account (`is_minus`), which 은행-001's
/// rules make a loan account as well for the loan's basic and additional information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssetClass {
    pub kind: AssetKind,
    pub overdraft: bool,
}

impl AssetClass {
    pub const fn of(kind: AssetKind) -> AssetClass {
        AssetClass { kind, overdraft: false }
    }
}

/// The kinds each asset list holds; a list not named holds one kind, [`AssetKind::Any`].
const LIST_KINDS: &[(&str, &[AssetKind])] = &[
    ("은행-001", &[AssetKind::Deposit, AssetKind::Invest, AssetKind::Loan]),
    ("할부금융-001", &[AssetKind::Loan, AssetKind::OperatingLease]),
    ("보험-001", &[AssetKind::Policy, AssetKind::CarPolicy]),
    ("보험-008", &[AssetKind::Loan]),
];

/// Which kinds each detail API describes, and whether it describes overdraft deposit accounts too;
/// an API not named describes every item of its list.
const DESCRIBED_KINDS: &[(&str, &[AssetKind], bool)] = &[
    ("은행-002", &[AssetKind::Deposit], false),
    ("은행-003", &[AssetKind::Deposit], false),
    ("은행-004", &[AssetKind::Deposit], false),
    ("은행-005", &[AssetKind::Invest], false),
    ("은행-006", &[AssetKind::Invest], false),
    ("은행-007", &[AssetKind::Invest], false),
    ("은행-008", &[AssetKind::Loan], true),
    ("은행-009", &[AssetKind::Loan], true),
    // The overdraft's transactions are the deposit account's own (은행-004).
    ("은행-010", &[AssetKind::Loan], false),
    ("할부금융-002", &[AssetKind::Loan], false),
    ("할부금융-003", &[AssetKind::Loan], false),
    ("할부금융-004", &[AssetKind::Loan], false),
    ("할부금융-005", &[AssetKind::OperatingLease], false),
    ("할부금융-006", &[AssetKind::OperatingLease], false),
    // 보험-002, 003, 005 and 006 exclude car insurance, which 보험-004 and 007 describe (their rules).
    ("보험-002", &[AssetKind::Policy], false),
    ("보험-003", &[AssetKind::Policy], false),
    ("보험-004", &[AssetKind::CarPolicy], false),
    ("보험-005", &[AssetKind::Policy], false),
    ("보험-006", &[AssetKind::Policy], false),
    ("보험-007", &[AssetKind::CarPolicy], false),
];

const ANY: &[AssetKind] = &[AssetKind::Any];

impl ApiSpec {
    /// The kinds of asset this asset list holds (one, [`AssetKind::Any`], for most lists).
    pub fn asset_kinds(&self) -> &'static [AssetKind] {
        LIST_KINDS.iter().find(|(id, _)| *id == self.id).map_or(ANY, |(_, kinds)| kinds)
    }

    /// The consent page's group of an item of this asset list, from its wire fields.
    pub fn asset_group<'a>(&self, field: impl Fn(&str) -> Option<&'a str>) -> AssetGroup {
        if let Some((_, group)) = LIST_GROUPS.iter().find(|(id, _)| *id == self.id) {
            return *group;
        }
        match self.classify(&field).kind {
            AssetKind::Deposit if field("account_type") == Some(DEMAND_DEPOSIT) => AssetGroup::Demand,
            AssetKind::Deposit => AssetGroup::Savings,
            AssetKind::Invest => AssetGroup::Invest,
            AssetKind::Loan => AssetGroup::Loan,
            AssetKind::OperatingLease => AssetGroup::OperatingLease,
            AssetKind::Policy | AssetKind::CarPolicy => AssetGroup::Insurance,
            AssetKind::Any => AssetGroup::Other,
        }
    }

    /// The class of an item of this asset list, from its wire fields (`account_type`, `insu_type`,
    /// `is_minus`). An item whose code names no kind this list holds is taken as the list's first.
    pub fn classify<'a>(&self, field: impl Fn(&str) -> Option<&'a str>) -> AssetClass {
        let kind = self.told_kind(&field).unwrap_or(self.asset_kinds()[0]);
        AssetClass { kind, overdraft: kind == AssetKind::Deposit && field("is_minus") == Some("true") }
    }

    /// The class the item itself tells, where this list holds several kinds and the item carries a
    /// code naming one of them; `None` where only [`ApiSpec::classify`]'s default could say.
    pub fn told_class<'a>(&self, field: impl Fn(&str) -> Option<&'a str>) -> Option<AssetClass> {
        let kind = self.told_kind(&field)?;
        Some(AssetClass { kind, overdraft: kind == AssetKind::Deposit && field("is_minus") == Some("true") })
    }

    fn told_kind<'a>(&self, field: &impl Fn(&str) -> Option<&'a str>) -> Option<AssetKind> {
        let kinds = self.asset_kinds();
        if kinds.len() < 2 {
            return None;
        }
        let named = if let Some(account_type) = field("account_type") {
            match account_type.as_bytes().first() {
                _ if account_type == OPERATING_LEASE => Some(AssetKind::OperatingLease),
                Some(b'1') => Some(AssetKind::Deposit),
                Some(b'2') => Some(AssetKind::Invest),
                Some(b'3') => Some(AssetKind::Loan),
                _ => None,
            }
        } else {
            field("insu_type").map(|t| if t == CAR_INSURANCE { AssetKind::CarPolicy } else { AssetKind::Policy })
        };
        named.filter(|k| kinds.contains(k))
    }

    /// The field of this asset list's items that tells an asset's status (`account_status`,
    /// `insu_status`, 통신-001's `status`) and the code of a normal one: the code its table's list
    /// labels 정상 or 활동, else 첨부3's `01` (활동), which 은행-001's note only cites.
    pub fn status_field(&self) -> Option<(&'static str, &'static str)> {
        // Asked by every detail and history call.
        static STATUS_FIELDS_OF: crate::catalogue::Memo<Option<(&'static str, &'static str)>> =
            crate::catalogue::Memo::new(|| {
                crate::catalogue::CATALOGUE.iter().map(ApiSpec::status_field_from_fields).collect()
            });
        self.memoized(&STATUS_FIELDS_OF, ApiSpec::status_field_from_fields)
    }

    fn status_field_from_fields(&self) -> Option<(&'static str, &'static str)> {
        let (list, _) = crate::subject::list_fields(self)?;
        let field = list.children.iter().find(|f| STATUS_FIELDS.contains(&f.name.as_str()))?;
        let note = field.note.as_str();
        let normal = ["정상", "활동"]
            .iter()
            .filter_map(|label| note.find(&format!(": {label}")))
            .min()
            .and_then(|at| note.get(at.checked_sub(2)?..at))
            .filter(|code| code.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or(FIRST_STATUS);
        Some((field.name.as_str(), normal))
    }

    /// Whether an item of this asset list is a normal asset, from its wire fields: its status is
    /// the normal one or it tells none (its detail and history APIs answer 40305 otherwise, 첨부1).
    pub fn is_normal<'a>(&self, field: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.status_field().is_none_or(|(name, normal)| field(name).is_none_or(|status| status == normal))
    }

    /// [`ApiSpec::is_normal`] of an item as stored (its JSON object), reading only the status field:
    /// every detail and history call asks it.
    pub fn is_normal_item(&self, item_json: &str) -> Result<bool, serde_json::Error> {
        let Some((name, normal)) = self.status_field() else { return Ok(true) };
        let mut json = serde_json::Deserializer::from_str(item_json);
        let status = serde::de::DeserializeSeed::deserialize(OneField(name), &mut json)?;
        Ok(status.is_none_or(|status| status == normal))
    }

    /// Whether this keyed API describes an asset of `class` (asking about any other earns 40402).
    pub fn describes(&self, class: AssetClass) -> bool {
        match DESCRIBED_KINDS.iter().find(|(id, _, _)| *id == self.id) {
            None => true,
            Some((_, kinds, overdraft)) => kinds.contains(&class.kind) || (*overdraft && class.overdraft),
        }
    }
}

/// One string field of a JSON object, the others skipped unread.
struct OneField<'n>(&'n str);

/// An object's key, borrowed from the text unless it has escapes.
#[derive(serde::Deserialize)]
struct Key<'a>(#[serde(borrow)] std::borrow::Cow<'a, str>);

impl<'de> serde::de::DeserializeSeed<'de> for OneField<'_> {
    type Value = Option<String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for OneField<'_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list item (a JSON object)")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(Key(key)) = map.next_key()? {
            if key == self.0 {
                found = Some(map.next_value()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// An asset: the asset-list API it comes from and its key there (account_num, card_id, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId {
    /// The list API's ID, e.g. `은행-001` (always an [`ApiKind::AssetList`] of the catalogue).
    list: &'static str,
    pub key: String,
}

/// Why a text does not name an asset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetIdError {
    #[error("{0:?} is not an asset-list API (e.g. 은행-001, IRP-001, 카드-001)")]
    NotAList(String),
    #[error("an asset is named LIST:KEY, e.g. 은행-001:1000000001, not {0:?}")]
    Malformed(String),
    #[error("the asset key is empty")]
    EmptyKey,
}

impl AssetId {
    pub fn new(list: &'static ApiSpec, key: impl Into<String>) -> AssetId {
        debug_assert_eq!(list.kind(), ApiKind::AssetList, "{} is not an asset list", list.id);
        AssetId { list: list.id, key: key.into() }
    }

    /// The asset of the list API named `list_id`.
    pub fn of(list_id: &str, key: impl Into<String>) -> Result<AssetId, AssetIdError> {
        let list = api(list_id)
            .filter(|a| a.kind() == ApiKind::AssetList)
            .ok_or_else(|| AssetIdError::NotAList(list_id.to_owned()))?;
        let key = key.into();
        if key.is_empty() {
            return Err(AssetIdError::EmptyKey);
        }
        Ok(AssetId::new(list, key))
    }

    pub fn list(&self) -> &'static ApiSpec {
        api(self.list).expect("an AssetId's list is in the catalogue")
    }

    pub fn list_id(&self) -> &'static str {
        self.list
    }
}

/// `LIST:KEY`, e.g. `은행-001:1000000001` (the form of `dev-token --asset` and of logs).
impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.list, self.key)
    }
}

impl std::str::FromStr for AssetId {
    type Err = AssetIdError;
    fn from_str(text: &str) -> Result<AssetId, AssetIdError> {
        let (list, key) = text.split_once(':').ok_or_else(|| AssetIdError::Malformed(text.to_owned()))?;
        AssetId::of(list, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_item_is_normal_by_its_status_field_alone() {
        let accounts = api("은행-001").unwrap();
        let (field, normal) = accounts.status_field().expect("은행-001 tells each account's status");
        let item = |status: &str| {
            format!(r#"{{"account_num":"1","prod_name":"a \"b\"","{field}":"{status}","n":[1,{{"x":2}}]}}"#)
        };
        assert!(accounts.is_normal_item(&item(normal)).unwrap());
        assert!(!accounts.is_normal_item(&item("99")).unwrap());
        assert!(accounts.is_normal_item(r#"{"account_num":"1"}"#).unwrap(), "no status told: normal");
        assert!(accounts.is_normal_item("[1]").is_err());
        let cards = api("카드-001").unwrap();
        if cards.status_field().is_none() {
            assert!(cards.is_normal_item("not even JSON").unwrap(), "a list without a status field");
        }
    }
    use crate::Industry;
    use crate::catalogue::{Group, group, info_apis};
    use serde_json::{Value, json};

    fn class_of(list: &str, item: &Value) -> AssetClass {
        api(list).unwrap().classify(|name| item.get(name).and_then(Value::as_str))
    }

    fn describes(id: &str, class: AssetClass) -> bool {
        api(id).unwrap().describes(class)
    }

    #[test]
    fn the_consent_page_groups_assets_as_customers_know_them() {
        let group = |list: &str, item: Value| api(list).unwrap().asset_group(|name| item.get(name)?.as_str());
        assert_eq!(group("은행-001", json!({"account_type": "1001", "is_minus": "true"})), AssetGroup::Demand);
        assert_eq!(group("은행-001", json!({"account_type": "1003"})), AssetGroup::Savings);
        assert_eq!(group("은행-001", json!({"account_type": "2003"})), AssetGroup::Invest);
        assert_eq!(group("은행-001", json!({"account_type": "3220"})), AssetGroup::Loan);
        assert_eq!(group("할부금융-001", json!({"account_type": "3710"})), AssetGroup::OperatingLease);
        assert_eq!(group("보험-001", json!({"insu_type": "17"})), AssetGroup::Insurance);
        assert_eq!(group("보험-008", json!({})), AssetGroup::Loan);
        assert_eq!(group("IRP-001", json!({})), AssetGroup::Irp);
        assert_eq!(group("전금-001", json!({})), AssetGroup::Prepaid);
        // Every asset list of every industry has a group of its own words.
        for industry in Industry::ALL {
            for list in info_apis(industry).filter(|a| a.kind() == ApiKind::AssetList) {
                assert_ne!(list.asset_group(|_| None), AssetGroup::Other, "{}", list.id);
            }
        }
        for group in AssetGroup::ALL {
            assert_eq!(AssetGroup::from_code(group.code()), Some(group));
        }
        assert_eq!(AssetGroup::from_code("nope"), None);
    }

    #[test]
    fn items_are_classed_by_their_codes() {
        let deposit = class_of("은행-001", &json!({"account_type": "1001", "is_minus": "false"}));
        let overdraft = class_of("은행-001", &json!({"account_type": "1001", "is_minus": "true"}));
        let loan = class_of("은행-001", &json!({"account_type": "3100"}));
        let lease = class_of("할부금융-001", &json!({"account_type": "3710"}));
        let capital_loan = class_of("할부금융-001", &json!({"account_type": "3500"}));
        let car = class_of("보험-001", &json!({"insu_type": "17"}));
        let life = class_of("보험-001", &json!({"insu_type": "16"}));
        assert_eq!(deposit, AssetClass::of(AssetKind::Deposit));
        assert_eq!(overdraft, AssetClass { kind: AssetKind::Deposit, overdraft: true });
        assert!(describes("은행-002", deposit) && !describes("은행-005", deposit) && !describes("은행-008", deposit));
        assert!(
            describes("은행-008", overdraft) && describes("은행-009", overdraft) && !describes("은행-010", overdraft)
        );
        assert!(describes("은행-010", loan) && !describes("은행-002", loan));
        assert!(describes("할부금융-005", lease) && !describes("할부금융-002", lease));
        assert!(describes("할부금융-002", capital_loan) && !describes("할부금융-006", capital_loan));
        assert!(describes("보험-004", car) && !describes("보험-004", life) && describes("보험-002", life));
        // "자동차보험 기본정보는 보험-004 API 이용", and likewise its riders, payments and transactions.
        for other in ["보험-002", "보험-003", "보험-005", "보험-006"] {
            assert!(!describes(other, car) && describes(other, life), "{other}");
        }
        assert!(describes("보험-007", car) && describes("보험-012", life));
        // An IRP account is an IRP account whatever its product: a car policy's code means nothing there.
        assert_eq!(class_of("IRP-001", &json!({"insu_type": "17"})).kind, AssetKind::Any);
        let told =
            |list: &str, item: Value| api(list).unwrap().told_class(|name| item.get(name).and_then(Value::as_str));
        assert_eq!(told("은행-001", json!({"account_num": "1"})), None, "an item without its type tells nothing");
        assert_eq!(told("보험-001", json!({"insu_type": "17"})), Some(AssetClass::of(AssetKind::CarPolicy)));
        assert_eq!(told("카드-001", json!({"card_type": "01"})), None, "a card list holds one kind");
    }

    #[test]
    fn every_named_api_is_a_list_or_a_detail_of_one() {
        for (id, kinds) in LIST_KINDS {
            assert_eq!(api(id).unwrap().kind(), ApiKind::AssetList, "{id}");
            assert!(!kinds.is_empty());
        }
        for (id, kinds, _) in DESCRIBED_KINDS {
            let detail = api(id).unwrap();
            for &industry in detail.industries {
                let list = detail.asset_list(industry).unwrap_or_else(|| panic!("{id} names no list"));
                assert!(kinds.iter().all(|k| list.asset_kinds().contains(k)), "{id} describes what {} lacks", list.id);
            }
        }
        // Every kind a list holds is described by some API of it.
        for list in group(Group::Info).filter(|a| a.kind() == ApiKind::AssetList) {
            for &industry in list.industries {
                for &kind in list.asset_kinds() {
                    let detail = list.detail_apis(industry).any(|a| a.describes(AssetClass::of(kind)));
                    assert!(detail || list.detail_apis(industry).next().is_none(), "{} {kind:?}", list.id);
                }
            }
        }
        assert!(info_apis(Industry::Insu).any(|a| a.id == "IRP-001"));
    }

    #[test]
    fn asset_ids_name_their_list() {
        let id: AssetId = "IRP-001:190000000101".parse().unwrap();
        assert_eq!((id.list_id(), id.key.as_str()), ("IRP-001", "190000000101"));
        assert_eq!(id.to_string(), "IRP-001:190000000101");
        assert_ne!(id, "은행-001:190000000101".parse().unwrap());
        assert_eq!("은행-002:1".parse::<AssetId>(), Err(AssetIdError::NotAList("은행-002".into())));
        assert_eq!("190000000101".parse::<AssetId>(), Err(AssetIdError::Malformed("190000000101".into())));
        assert_eq!("은행-001:".parse::<AssetId>(), Err(AssetIdError::EmptyKey));
    }

    #[test]
    fn an_asset_is_normal_by_the_status_code_its_list_labels_so() {
        let status = |id: &str| api(id).unwrap().status_field();
        assert_eq!(status("은행-001"), Some(("account_status", "01")));
        assert_eq!(status("보험-001"), Some(("insu_status", "02")));
        assert_eq!(status("보증보험-001"), Some(("insu_status", "01")));
        assert_eq!(status("통신-001"), Some(("status", "01")));
        assert_eq!(status("카드-001"), None);
        let telecom = api("통신-001").unwrap();
        assert!(telecom.is_normal(|_| Some("01")));
        assert!(!telecom.is_normal(|_| Some("02")), "고객정지");
        assert!(telecom.is_normal(|_| None), "an item that tells no status");
        assert!(api("카드-001").unwrap().is_normal(|_| Some("09")));
        assert!(!api("보험-001").unwrap().is_normal(|name| (name == "insu_status").then_some("04")), "실효");
    }
}
