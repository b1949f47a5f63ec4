//! Deterministic, realistic test data for every information API of every industry, written through
//! the [`Store`] trait: customers, one asset row per item of each asset-list API, one document per
//! detail answer and dated history rows, filed under the subject keys the provider looks up
//! ([`mydata_spec::subject`]).
//!
//! The same seed, institution and customer always give the same data. Balances reconcile with their
//! histories: a deposit account's balance is the running total of its transactions, a loan's
//! balance is its principal less the repaid principal (see [`ledger`]).

mod deposits;
pub mod ledger;
mod loans;
mod names;
mod policies;
pub mod values;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use mydata_spec::catalogue::{self, ApiSpec};
use mydata_spec::fields::Field;
use mydata_spec::subject;
use mydata_spec::{ApiKind, AssetClass, AssetKind, Industry, KnownApi};
use mydata_store::{AssetRow, Customer, Document, EncodedInfo, HistoryRow, InfoBatch, Store, StoreResult};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};
use std::collections::HashMap;
use values::{Context, object};

/// An institution to generate data for.
#[derive(Debug, Clone)]
pub struct Institution {
    pub org_code: String,
    pub industry: Industry,
}

impl Institution {
    /// One institution per industry (`TEST000000`, `TEST000001`, …), for generating every API's data.
    pub fn one_per_industry() -> Vec<Institution> {
        Industry::ALL
            .into_iter()
            .enumerate()
            .map(|(i, industry)| Institution { org_code: format!("TEST{i:06}"), industry })
            .collect()
    }
}

/// A customer to generate: a stable number makes asset keys unique across customers.
#[derive(Debug, Clone)]
pub struct Person {
    pub customer_id: String,
    pub number: u64,
    pub ci: String,
    pub name: String,
}

/// Well-known customers for the consent page and the sandbox. Their CI (연계정보) is
/// `DEMO-CI-<customer_id>`, the same at every institution, as a real CI is.
pub fn demo_people() -> Vec<Person> {
    [("demo1", "김민준"), ("demo2", "이서연"), ("demo3", "박도윤")]
        .iter()
        .enumerate()
        .map(|(i, (id, name))| Person {
            customer_id: (*id).to_owned(),
            number: 900_000_001 + i as u64,
            ci: format!("DEMO-CI-{id}"),
            name: (*name).to_owned(),
        })
        .collect()
}

/// Everything generated for one customer at one institution.
#[derive(Debug, Clone, Default)]
pub struct CustomerData {
    pub customers: Vec<Customer>,
    pub assets: Vec<AssetRow>,
    pub documents: Vec<Document>,
    pub history: Vec<HistoryRow>,
}

impl CustomerData {
    pub fn append(&mut self, mut other: CustomerData) {
        self.customers.append(&mut other.customers);
        self.assets.append(&mut other.assets);
        self.documents.append(&mut other.documents);
        self.history.append(&mut other.history);
    }

    /// Orders rows by their primary keys, so that a database appends to its indexes instead of
    /// splitting pages all over them.
    /// The keys are unique (they are the tables' primary keys), so an unstable sort gives the one order.
    pub fn sort_for_loading(&mut self) {
        self.assets.sort_unstable_by(|a, b| {
            (&a.org_code, &a.list_api, &a.asset_key).cmp(&(&b.org_code, &b.list_api, &b.asset_key))
        });
        self.documents.sort_unstable_by(|a, b| {
            (&a.org_code, &a.api_id, &a.subject_key).cmp(&(&b.org_code, &b.api_id, &b.subject_key))
        });
        self.history.sort_unstable_by(|a, b| {
            (&a.org_code, &a.api_id, &a.subject_key, &a.sort_key).cmp(&(
                &b.org_code,
                &b.api_id,
                &b.subject_key,
                &b.sort_key,
            ))
        });
    }

    pub fn rows(&self) -> usize {
        self.customers.len() + self.assets.len() + self.documents.len() + self.history.len()
    }

    /// Writes everything in one transaction, many rows per statement.
    pub async fn write(&self, store: &dyn Store) -> StoreResult<()> {
        store
            .load_info(&InfoBatch {
                customers: &self.customers,
                assets: &self.assets,
                documents: &self.documents,
                history: &self.history,
            })
            .await
    }
}

/// Generates data as of `today` from `seed`.
#[derive(Debug, Clone)]
pub struct Generator {
    pub seed: u64,
    pub today: NaiveDate,
    /// How many history rows one subject gets at most (at least a quarter of it).
    pub max_rows: usize,
    /// `updated_at` of everything generated (Unix seconds).
    pub updated_at: i64,
}

/// FNV-1a over the parts: a stable per-customer seed that does not depend on generation order.
fn mix(parts: &[&str], seed: u64) -> u64 {
    parts
        .iter()
        .flat_map(|p| p.bytes().chain([0xff]))
        .fold(0xcbf2_9ce4_8422_2325 ^ seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A generated customer's identity: `cust0000042`, a CI derived from the seed, a Korean name.
pub fn person(seed: u64, number: u64) -> Person {
    let customer_id = format!("cust{number:07}");
    let mut rng = StdRng::seed_from_u64(mix(&[&customer_id], seed));
    let family = names::FAMILY_NAMES.choose(&mut rng).copied().unwrap_or("김");
    let given = names::GIVEN_NAMES.choose(&mut rng).copied().unwrap_or("민준");
    let ci = format!("CI{:016X}{:016X}", mix(&[&customer_id, "ci"], seed), mix(&[&customer_id, "ci2"], seed));
    Person { customer_id, number, ci, name: format!("{family}{given}") }
}

/// The codes that make a generated item of `list` the `index`-th kind the list holds (첨부3 account
/// types, 첨부7 policy types): the item's kind decides which detail APIs describe it
/// ([`ApiSpec::describes`]), so the generator makes their answers and nothing else.
fn kind_codes(
    industry: Industry,
    list: &ApiSpec,
    index: usize,
    rng: &mut StdRng,
) -> (AssetKind, Option<(&'static str, &'static str)>) {
    let kinds = list.asset_kinds();
    let kind = kinds[index % kinds.len()];
    let round = index / kinds.len();
    let codes = match (kind, industry) {
        // A 자유입출식 account first, as every bank customer has; then a 예금 or a 적금.
        (AssetKind::Deposit, _) if round == 0 => Some(("account_type", "1001")),
        (AssetKind::Deposit, _) => Some(("account_type", ["1002", "1003"][rng.gen_range(0..2)])),
        (AssetKind::Invest, _) => Some(("account_type", "2001")),
        // A customer rarely holds a second loan of a list, so each loan draws its type: by round,
        // every loan would be the first type.
        (AssetKind::Loan, Industry::Bank) => Some(("account_type", ["3100", "3220", "3170"][rng.gen_range(0..3)])),
        (AssetKind::Loan, Industry::Capital) => Some(("account_type", ["3500", "3510"][rng.gen_range(0..2)])),
        (AssetKind::Loan, _) => Some(("account_type", "3400")),
        (AssetKind::OperatingLease, _) => Some(("account_type", "3710")),
        (AssetKind::CarPolicy, _) => Some(("insu_type", "17")),
        // Other policies take a random 첨부7 code but 17 (values::attachment_codes).
        (AssetKind::Policy | AssetKind::Any, _) => None,
    };
    (kind, codes)
}

/// A product name for an asset of `kind` whose kind code the tables name `kind_name`: a loan or a
/// lease is named as 첨부3 names its account type (3220 주택담보대출, 3400 보험계약대출, 3500 신차 할부금융).
fn product_for(kind: AssetKind, kind_name: Option<&str>, rng: &mut StdRng) -> Option<String> {
    let list = match kind {
        // Named by its type, with its other details (deposits::fit_item).
        AssetKind::Deposit => return None,
        AssetKind::Invest => names::INVEST_PRODUCTS,
        AssetKind::Loan | AssetKind::OperatingLease => return kind_name.map(|name| format!("한빛 {name}")),
        AssetKind::CarPolicy => &["개인용 자동차보험"],
        AssetKind::Policy | AssetKind::Any => return None,
    };
    list.choose(rng).map(|name| (*name).to_owned())
}

/// An asset key no other asset of the institution has, as real account numbers are: the list's
/// place among the industry's lists, the customer's number and the asset's index, after a prefix
/// cut to what the key field's length (`aN(15)` for 통신's `mgmt_id`) leaves room for.
fn asset_key(key_field: &Field, list_place: usize, number: u64, index: usize) -> String {
    let serial = format!("{list_place}{number:09}{index:02}");
    match key_field.name.as_str() {
        "account_num" => format!("1{serial}"),
        "bond_num" => format!("채권{serial}"),
        name => {
            let prefix = &name[..name.find('_').unwrap_or(name.len())];
            let room = max_length(&key_field.type_spec).saturating_sub(serial.len());
            format!("{}{serial}", &prefix[..prefix.len().min(room)])
        }
    }
}

/// The length a type like `aN(15)` allows (unbounded without one).
fn max_length(type_spec: &str) -> usize {
    let inner = type_spec.split_once('(').map(|(_, rest)| rest.trim_end_matches(')'));
    inner.and_then(|args| args.split(',').next()?.trim().parse().ok()).unwrap_or(usize::MAX)
}

/// Body fields of an API's response that stored data supplies (the pipeline adds the rest).
fn data_fields(api: &ApiSpec, without_list: bool) -> Vec<&'static Field> {
    let list = subject::list_fields(api);
    api.fields()
        .response_body()
        .filter(|f| !subject::ENVELOPE_FIELDS.contains(&f.name.as_str()))
        .filter(|f| !without_list || list.is_none_or(|(l, c)| l.name != f.name && c.is_none_or(|c| c.name != f.name)))
        .collect()
}

fn stamp(at: NaiveDateTime) -> String {
    values::dtime_text(at)
}

/// What the generator needs of an API, worked out once from the catalogue and the field data.
struct ApiPlan {
    kind: ApiKind,
    /// The fields of the stored document ([`data_fields`]).
    document_fields: Vec<&'static Field>,
    /// The fields of one history row (the list's items), for row APIs.
    row_fields: &'static [Field],
    monthly: bool,
    /// The qualifiers of the subject key, with whether the request requires them.
    qualifiers: Vec<(&'static str, bool)>,
    /// Whether its list items carry a value another API of the industry is asked about
    /// (보험-002's insured persons, 보험-004's cars).
    names_later_subjects: bool,
}

impl ApiPlan {
    fn of(api: &'static ApiSpec) -> ApiPlan {
        let kind = api.kind();
        ApiPlan {
            kind,
            document_fields: data_fields(api, kind != ApiKind::Document),
            row_fields: subject::list_fields(api).map_or(&[], |(list, _)| list.children.as_slice()),
            monthly: api.takes_month_range(),
            qualifiers: subject::qualifiers_of(api)
                .map(|q| (q, api.fields().request_field(q).is_some_and(|f| f.required)))
                .collect(),
            names_later_subjects: api.kind() == ApiKind::Document
                && api
                    .fields()
                    .response_body()
                    .any(|list| list.children.iter().any(|c| subject::QUALIFIERS.contains(&c.name.as_str()))),
        }
    }
}

/// An asset list with the keyed APIs that describe its items.
struct ListPlan {
    list: &'static ApiSpec,
    keyed: Vec<&'static ApiSpec>,
    /// The request field that names an item in its detail APIs (`account_num`, `card_id`, …).
    key_field: &'static Field,
    /// The list item's fields but `is_consent`, which the provider adds per consent.
    item_fields: Vec<&'static Field>,
}

/// What the generator makes for a customer of one industry.
struct IndustryPlan {
    lists: Vec<ListPlan>,
    /// APIs about the customer rather than an asset.
    customer_apis: Vec<&'static ApiSpec>,
}

impl IndustryPlan {
    fn of(industry: Industry) -> IndustryPlan {
        let apis: Vec<&'static ApiSpec> = catalogue::info_apis(industry).filter(|a| a.serves_stored_data()).collect();
        let lists = apis
            .iter()
            .copied()
            .filter(|a| a.kind() == ApiKind::AssetList)
            .filter_map(|list| {
                let keyed: Vec<&'static ApiSpec> = list.detail_apis(industry).collect();
                let key_field = keyed.iter().find_map(|a| a.fields().request_field(a.resource_key()?))?;
                let (list_field, _) = subject::list_fields(list).expect("asset lists have a list");
                let item_fields = list_field.children.iter().filter(|c| c.name != "is_consent").collect();
                Some(ListPlan { list, keyed, key_field, item_fields })
            })
            .collect();
        // Card bills and their details are built from the approvals (ledger::card_bills).
        let customer_apis = apis
            .iter()
            .copied()
            .filter(|a| a.resource_key().is_none() && a.kind() != ApiKind::AssetList)
            .filter(|a| !LEDGER_APIS.iter().any(|known| a.is(*known)))
            .collect();
        IndustryPlan { lists, customer_apis }
    }
}

/// APIs whose data [`ledger`] makes from other data rather than field by field.
const LEDGER_APIS: &[KnownApi] = &[KnownApi::CardBills, KnownApi::CardBillDetails];

/// Plans of every information API and every industry, made once.
struct Plans {
    apis: HashMap<usize, ApiPlan, std::hash::BuildHasherDefault<values::AddressHasher>>,
    industries: Vec<(Industry, IndustryPlan)>,
}

static PLANS: std::sync::LazyLock<Plans> = std::sync::LazyLock::new(|| Plans {
    apis: catalogue::group(catalogue::Group::Info)
        .filter(|a| a.serves_stored_data())
        .map(|a| (api_address(a), ApiPlan::of(a)))
        .collect(),
    industries: Industry::ALL.iter().map(|&i| (i, IndustryPlan::of(i))).collect(),
});

fn api_address(api: &ApiSpec) -> usize {
    std::ptr::from_ref(api) as usize
}

fn api_plan(api: &'static ApiSpec) -> &'static ApiPlan {
    match PLANS.apis.get(&api_address(api)) {
        Some(plan) => plan,
        // Not an API of the catalogue's static table (never the case): worked out each time.
        None => Box::leak(Box::new(ApiPlan::of(api))),
    }
}

fn industry_plan(industry: Industry) -> &'static IndustryPlan {
    PLANS.industries.iter().find(|(i, _)| *i == industry).map(|(_, plan)| plan).expect("every industry has a plan")
}

impl Generator {
    pub fn new(seed: u64, today: NaiveDate) -> Generator {
        let updated_at = today.and_time(NaiveTime::MIN).and_utc().timestamp() - 9 * 3600;
        Generator { seed, today, max_rows: 8, updated_at }
    }

    /// All data of one customer at one institution.
    pub fn customer(&self, org: &Institution, who: &Person) -> CustomerData {
        let mut rng = StdRng::seed_from_u64(mix(&[&org.org_code, &who.customer_id], self.seed));
        let mut data = CustomerData::default();
        let reg_date = self.today - Days::new(rng.gen_range(400..3_650));
        data.customers.push(Customer {
            org_code: org.org_code.clone(),
            customer_id: who.customer_id.clone(),
            ci: who.ci.clone(),
            customer_name: who.name.clone(),
            reg_date: values::date_text(reg_date),
        });
        let plan = industry_plan(org.industry);
        for (list_place, ListPlan { list, keyed, key_field, item_fields }) in plan.lists.iter().enumerate() {
            // A list of several kinds (은행-001's deposits, investments and loans) gets one of each.
            let kinds = list.asset_kinds().len();
            let count = if kinds > 1 { rng.gen_range(kinds..=kinds + 2) } else { rng.gen_range(1..=3) };
            for index in 0..count {
                let key = asset_key(key_field, list_place, who.number, index);
                let (kind, kind_field) = kind_codes(org.industry, list, index, &mut rng);
                self.asset(org, who, list, item_fields, &key_field.name, &key, kind, kind_field, &mut rng, &mut data);
                let item = data.assets.last().map(|a| a.item.clone());
                // What is known of the asset so far: its item, then each answer made about it.
                let mut produced: Vec<Map<String, Value>> = Vec::new();
                if let Some(Value::Object(item)) = &item {
                    produced.push(item.clone());
                }
                // The item as listed decides which APIs describe it: its kind, and an overdraft
                // (is_minus) deposit account is a loan as well (은행-001's rules).
                let class = list.classify(|name| item.as_ref().and_then(|i| i.get(name)).and_then(Value::as_str));
                for api in keyed.iter().filter(|a| a.describes(class)) {
                    self.answers(org, who, api, &key, &mut produced, &mut rng, &mut data);
                }
                if let Some(Value::Object(item)) = &item {
                    self.fit_to_kind(&mut data, &key, item, class, keyed, &mut rng);
                }
                // The asset, and each part of it answered apart (전금-004 per linked account).
                let part = format!("{key}{}", subject::SEPARATOR);
                let mut subjects: Vec<String> = data
                    .history
                    .iter()
                    .filter(|h| h.subject_key.starts_with(&part))
                    .map(|h| h.subject_key.clone())
                    .collect();
                subjects.sort();
                subjects.dedup();
                ledger::reconcile(&mut data, &key);
                for subject in subjects {
                    ledger::reconcile(&mut data, &subject);
                }
            }
        }
        let mut produced = Vec::new();
        for api in &plan.customer_apis {
            self.answers(org, who, api, &who.customer_id, &mut produced, &mut rng, &mut data);
        }
        if org.industry == Industry::Card {
            ledger::card_bills(&mut data, &who.customer_id, self.today, self.bill_months(&mut rng), &mut rng);
        }
        data
    }

    /// Makes the answers about the asset `key`, listed as `item` of `class`, what its kind makes
    /// them: a deposit's by its 첨부3 type, a loan's (an overdraft's too) by its type and repayment
    /// method, a policy's by its 첨부7 type. `keyed` are the APIs about its list's items.
    fn fit_to_kind(
        &self,
        data: &mut CustomerData,
        key: &str,
        item: &Map<String, Value>,
        class: AssetClass,
        keyed: &[&'static ApiSpec],
        rng: &mut StdRng,
    ) {
        let code = |name: &str| item.get(name).and_then(Value::as_str);
        if class.kind == AssetKind::Deposit {
            deposits::fit_answers(data, key, item, keyed, self.today, rng);
        }
        if (matches!(class.kind, AssetKind::Loan | AssetKind::OperatingLease) || class.overdraft)
            && let Some(account_type) = code("account_type")
        {
            loans::fit_answers(data, key, account_type, self.today, rng);
        }
        if class.kind == AssetKind::Policy
            && let Some(insu_type) = code("insu_type")
        {
            policies::fit_answers(data, key, insu_type);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn asset(
        &self,
        org: &Institution,
        who: &Person,
        list: &'static ApiSpec,
        item_fields: &[&Field],
        key_field: &str,
        key: &str,
        kind: AssetKind,
        kind_field: Option<(&str, &str)>,
        rng: &mut StdRng,
        data: &mut CustomerData,
    ) {
        let ctx = Context { industry: org.industry, api: list, today: self.today, at: None };
        let mut item = object(&ctx, item_fields.iter().copied(), rng);
        item.insert(key_field.to_owned(), Value::String(key.to_owned()));
        if let Some((name, code)) = kind_field {
            item.insert(name.to_owned(), Value::String(code.to_owned()));
        }
        // The kind's code may have changed what the item's fields hang on (은행-001's is_minus).
        values::hold_to_conditions(&ctx, item_fields.iter().copied(), &mut item, rng);
        if kind == AssetKind::Deposit {
            deposits::fit_item(&mut item, rng);
        }
        let kind_name = kind_field.and_then(|(name, code)| {
            let field = item_fields.iter().find(|f| f.name == name)?;
            mydata_spec::attachments::code_name(field, code)
        });
        if let (Some(product), true) = (product_for(kind, kind_name, rng), item.contains_key("prod_name")) {
            item.insert("prod_name".into(), Value::String(product));
        }
        // Generated assets are normal ones: a closed or suspended one is described by no API (40305).
        if let Some((status, normal)) = list.status_field() {
            item.insert(status.to_owned(), Value::String(normal.to_owned()));
        }
        let sort_key = subject::list_order(&item, key);
        data.assets.push(AssetRow {
            org_code: org.org_code.clone(),
            list_api: list.id.to_owned(),
            asset_key: key.to_owned(),
            customer_id: who.customer_id.clone(),
            sort_key,
            item: Value::Object(item),
            updated_at: self.updated_at,
        });
    }

    /// The subjects an API is answered for: the base, or one per value of a required qualifier;
    /// each with the month it is about, where one of its qualifiers is a month (통신-002's bills).
    fn subjects(
        &self,
        plan: &ApiPlan,
        base: &str,
        produced: &[Map<String, Value>],
    ) -> Vec<(String, Option<NaiveDate>)> {
        let mut keys = vec![(base.to_owned(), None)];
        for &(qualifier, required) in &plan.qualifiers {
            if qualifier == "account_id" {
                // 전금-002..004 answer for the means as a whole and for each account the list names.
                let accounts = nested_values(produced, qualifier);
                let per_account: Vec<(String, Option<NaiveDate>)> =
                    accounts.iter().map(|a| (format!("{base}{}{a}", subject::SEPARATOR), None)).collect();
                keys.extend(per_account);
                continue;
            }
            if !required && qualifier != "charge_month" {
                continue;
            }
            // Other qualifiers name what an earlier answer about the asset lists: 보험-003 is asked
            // per insured person of 보험-002, 보험-007 per car of 보험-004.
            let values: Vec<(String, Option<NaiveDate>)> = match qualifier {
                "charge_month" => {
                    (1..=6).map(|m| self.months_ago(m)).map(|month| (values::month_text(month), Some(month))).collect()
                }
                _ => nested_values(produced, qualifier).into_iter().map(|v| (v, None)).collect(),
            };
            keys = keys
                .iter()
                .flat_map(|(k, month)| {
                    values
                        .iter()
                        .map(move |(v, its_month)| (format!("{k}{}{v}", subject::SEPARATOR), month.or(*its_month)))
                })
                .collect();
        }
        // Two items naming the same value (two cars with one number) are one subject.
        if keys.len() > 1 {
            let mut seen = std::collections::HashSet::new();
            keys.retain(|(k, _)| seen.insert(k.clone()));
        }
        keys
    }

    /// How many months of bills a card customer has (as many as a month-range history's rows).
    fn bill_months(&self, rng: &mut StdRng) -> usize {
        rng.gen_range(self.max_rows.div_ceil(4)..=self.max_rows.max(1))
    }

    fn months_ago(&self, months: u32) -> NaiveDate {
        let first = self.today.with_day0(0).unwrap_or(self.today);
        first - chrono::Months::new(months)
    }

    #[allow(clippy::too_many_arguments)]
    fn answers(
        &self,
        org: &Institution,
        who: &Person,
        api: &'static ApiSpec,
        base: &str,
        produced: &mut Vec<Map<String, Value>>,
        rng: &mut StdRng,
        data: &mut CustomerData,
    ) {
        let plan = api_plan(api);
        let kind = plan.kind;
        for (key, month) in self.subjects(plan, base, produced) {
            // A month's bill is dated within its month (통신-002's charge_date, the bill's due date).
            let at =
                month.and_then(|first| first.with_day(rng.gen_range(10..=28))).map(|day| day.and_time(NaiveTime::MIN));
            let ctx = Context { industry: org.industry, api, today: self.today, at };
            let with_document = match kind {
                ApiKind::Document => true,
                ApiKind::Rows { with_document } => with_document,
                ApiKind::AssetList | ApiKind::ApiList | ApiKind::ConsentDetail | ApiKind::NotInformation => continue,
            };
            if with_document {
                let mut body = object(&ctx, plan.document_fields.iter().copied(), rng);
                if let Some(insured) = body.get_mut("insured_list").and_then(Value::as_array_mut) {
                    // 보험-003 is asked per insured person of 보험-002: their numbers must be distinct.
                    // (보증보험-002's insured persons have no number in its table.)
                    let numbers = insured.iter_mut().filter_map(|person| person.get_mut("insured_no"));
                    for (i, number) in numbers.enumerate() {
                        *number = Value::String(format!("{:02}", i + 1));
                    }
                }
                // Later subjects may be named by what this answer lists.
                if plan.names_later_subjects {
                    produced.push(body.clone());
                }
                data.documents.push(Document {
                    org_code: org.org_code.clone(),
                    api_id: api.id.to_owned(),
                    subject_key: key.clone(),
                    customer_id: who.customer_id.clone(),
                    body: Value::Object(body),
                    updated_at: self.updated_at,
                });
            }
            if let ApiKind::Rows { .. } = kind {
                self.rows(org, who, api, plan, &key, rng, data);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn rows(
        &self,
        org: &Institution,
        who: &Person,
        api: &'static ApiSpec,
        plan: &ApiPlan,
        key: &str,
        rng: &mut StdRng,
        data: &mut CustomerData,
    ) {
        let monthly = plan.monthly;
        let count = rng.gen_range(self.max_rows.div_ceil(4)..=self.max_rows.max(1));
        let mut times: Vec<NaiveDateTime> = (0..count)
            .map(|i| {
                if monthly {
                    self.months_ago(i as u32).and_time(NaiveTime::MIN)
                } else {
                    let day = self.today - Days::new(rng.gen_range(0..380));
                    day.and_hms_opt(rng.gen_range(7..23), rng.gen_range(0..60), rng.gen_range(0..60))
                        .unwrap_or_default()
                }
            })
            .collect();
        times.sort();
        times.dedup();
        for (seq, at) in times.into_iter().enumerate() {
            let ctx = Context { industry: org.industry, api, today: self.today, at: Some(at) };
            let item = object(&ctx, plan.row_fields, rng);
            data.history.push(HistoryRow {
                org_code: org.org_code.clone(),
                api_id: api.id.to_owned(),
                subject_key: key.to_owned(),
                sort_key: format!("{}|{seq:05}", stamp(at)),
                customer_id: who.customer_id.clone(),
                occurred: stamp(at),
                body: Value::Object(item),
            });
        }
    }

    /// Every institution's data for customers `range` (generated ids), plus nothing else.
    pub fn batch(&self, orgs: &[Institution], people: &[Person]) -> CustomerData {
        let parts: Vec<CustomerData> =
            people.iter().flat_map(|who| orgs.iter().map(move |org| self.customer(org, who))).collect();
        let mut data = CustomerData {
            customers: Vec::with_capacity(parts.iter().map(|p| p.customers.len()).sum()),
            assets: Vec::with_capacity(parts.iter().map(|p| p.assets.len()).sum()),
            documents: Vec::with_capacity(parts.iter().map(|p| p.documents.len()).sum()),
            history: Vec::with_capacity(parts.iter().map(|p| p.history.len()).sum()),
        };
        for part in parts {
            data.append(part);
        }
        data.sort_for_loading();
        data
    }
}

/// The values of `field` in the list items of what was generated about an asset, in order.
fn nested_values(produced: &[Map<String, Value>], field: &str) -> Vec<String> {
    produced
        .iter()
        .flat_map(|body| body.values().filter_map(Value::as_array).flatten())
        .filter_map(|item| item.get(field).and_then(Value::as_str).map(str::to_owned))
        .collect()
}

use chrono::Datelike;

/// The separator of composed subject keys, for the ledger's month lookups.
pub(crate) fn subject_separator() -> char {
    subject::SEPARATOR
}

/// Generates and writes `people` at every institution, `batch` people per transaction.
///
/// Generation and encoding (JSON text) run on one blocking thread per core, a few batches ahead of
/// the writer, which writes the batches in the people's order; every customer's data depends only
/// on the seed, the institution and the customer, so the result is the same whatever the threads
/// do. `progress` is told how many people each written batch held.
pub async fn write_people(
    store: &dyn Store,
    generator: &Generator,
    orgs: &[Institution],
    people: impl Iterator<Item = Person> + Send + 'static,
    batch: usize,
    mut progress: impl FnMut(u64),
) -> StoreResult<()> {
    type Generated = (u64, EncodedInfo);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 16);
    // Batches in the order they are to be written, each a promise a worker keeps; the bound keeps
    // generation from running more than a few batches ahead of the writer.
    let (order, mut promises) = tokio::sync::mpsc::channel::<tokio::sync::oneshot::Receiver<Generated>>(workers);
    let jobs = std::sync::Arc::new(std::sync::Mutex::new(people.peekable()));
    let shared = std::sync::Arc::new((generator.clone(), orgs.to_vec()));
    let batch = batch.max(1);
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (jobs, shared, order) = (jobs.clone(), shared.clone(), order.clone());
            tokio::task::spawn_blocking(move || {
                let (generator, orgs) = &*shared;
                loop {
                    let (chunk, promise) = {
                        let mut people = jobs.lock().unwrap_or_else(|e| e.into_inner());
                        if people.peek().is_none() {
                            return;
                        }
                        let chunk: Vec<Person> = people.by_ref().take(batch).collect();
                        let (promise, receiver) = tokio::sync::oneshot::channel();
                        // Queued while holding the lock, so the queue is in the people's order.
                        if order.blocking_send(receiver).is_err() {
                            return; // The writer stopped on an error; it reports it.
                        }
                        (chunk, promise)
                    };
                    let data = generator.batch(orgs, &chunk);
                    let encoded = EncodedInfo::encode(data.customers, data.assets, data.documents, data.history);
                    if promise.send((chunk.len() as u64, encoded)).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(order);
    let mut load = store.bulk_load().await?;
    while let Some(promise) = promises.recv().await {
        // A worker that dropped its promise panicked: a defect of this crate, not a condition to
        // recover from.
        let (count, encoded) = promise.await.expect("test-data generation panicked");
        load.load(encoded).await?;
        progress(count);
    }
    load.finish().await?;
    for handle in handles {
        handle.await.expect("test-data generation panicked");
    }
    Ok(())
}

/// Every person's data at every institution as the NDJSON records `mydata import` reads, one a
/// line (`mydata testdata --ndjson`); returns how many.
pub fn write_ndjson(
    generator: &Generator,
    orgs: &[Institution],
    people: impl Iterator<Item = Person>,
    out: &mut impl std::io::Write,
) -> std::io::Result<usize> {
    let mut written = 0;
    for who in people {
        for org in orgs {
            let data = generator.customer(org, &who);
            let rows = mydata_ingest::export::Rows {
                customer: data.customers.first(),
                assets: &data.assets,
                documents: &data.documents,
                history: &data.history,
            };
            written += mydata_ingest::export::write_records(rows, out)?;
        }
    }
    out.flush()?;
    Ok(written)
}

/// The demo customers and `customers` generated ones (`cust0000001`…), in that order.
pub fn everyone(seed: u64, customers: u64) -> impl Iterator<Item = Person> + Send + 'static {
    demo_people().into_iter().chain((1..=customers).map(move |n| person(seed, n)))
}
