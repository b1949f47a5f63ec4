//! The records of one batch combined into what the store writes ([`ImportBatch`]). The same records
//! give the same batch whatever their order: a removal comes before the customer's other records,
//! whole answers before single entries, and two records that say different things about the same
//! thing are refused rather than one of them winning by its place.

use crate::record::{Content, DataRecord, Entry, Record, Refusal};
use mydata_spec::subject;
use mydata_store::{
    AssetRow, Customer, Document, EncodedHistory, HistoryReplacement, HistoryRow, ImportBatch, ListReplacement,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Where the lists of customers whose record is not in the batch came from: (org_code,
/// customer_id) → the line and API of one of them (the store refuses lists of unknown customers).
pub type ListLines = BTreeMap<(String, String), (usize, String)>;

/// Records gathered for one batch, each thing once, with the line that gave it.
#[derive(Default)]
pub struct BatchBuilder {
    removals: BTreeSet<(String, String)>,
    customers: BTreeMap<(String, String), (usize, Customer, bool)>,
    lists: BTreeMap<(String, String, String), (usize, ListReplacement)>,
    /// (org_code, list_api, asset_key) → the line that listed it.
    listed: BTreeMap<(String, String, String), (usize, String)>,
    documents: BTreeMap<(String, String, String), (usize, Document)>,
    /// (org_code, api_id, subject_key) → the line, and the history it gave.
    histories: BTreeMap<(String, String, String), (usize, GivenHistory)>,
    entries: BTreeMap<(String, String, String, String), (usize, HistoryRow)>,
    /// Customers the records are about.
    pub touched: BTreeSet<(String, String)>,
    pub records: usize,
}

/// A subject's whole history as a record gave it, compared with another by its values (encoded
/// for the store when the batch is finished).
#[derive(PartialEq)]
struct GivenHistory {
    customer_id: String,
    entries: Vec<HistoryRow>,
}

fn conflict(line: usize, api: Option<&str>, field: &str, earlier: usize) -> Refusal {
    Refusal {
        line,
        api: api.map(str::to_owned),
        field: field.to_owned(),
        rule: format!("says otherwise than line {earlier} about the same thing"),
    }
}

/// Keeps `value` under `key`, unless an equal one is there; a different one is a conflict.
fn keep_once<K: Ord, V: PartialEq>(
    map: &mut BTreeMap<K, (usize, V)>,
    key: K,
    line: usize,
    value: V,
) -> Result<(), usize> {
    match map.get(&key) {
        Some((_, stored)) if *stored == value => Ok(()),
        Some((earlier, _)) => Err(*earlier),
        None => {
            map.insert(key, (line, value));
            Ok(())
        }
    }
}

fn entry_row(record: &DataRecord, entry: Entry) -> HistoryRow {
    HistoryRow {
        org_code: record.org_code.clone(),
        api_id: record.api.id.to_owned(),
        subject_key: record.subject_key.clone(),
        sort_key: entry.order.sort_key,
        customer_id: record.customer_id.clone(),
        occurred: entry.order.occurred,
        body: Value::Object(entry.data),
    }
}

impl BatchBuilder {
    pub fn add(&mut self, line: usize, record: Record) -> Result<(), Refusal> {
        self.records += 1;
        match record {
            Record::Removal { org_code, customer_id } => {
                self.touched.insert((org_code.clone(), customer_id.clone()));
                self.removals.insert((org_code, customer_id));
                Ok(())
            }
            Record::Customer { org_code, customer_id, ci, name, reg_date } => {
                let key = (org_code.clone(), customer_id.clone());
                self.touched.insert(key.clone());
                let given = reg_date.is_some();
                let customer =
                    Customer { org_code, customer_id, ci, customer_name: name, reg_date: reg_date.unwrap_or_default() };
                match self.customers.get(&key) {
                    Some((_, stored, _)) if *stored == customer => Ok(()),
                    Some((earlier, _, _)) => Err(conflict(line, None, "customer", *earlier)),
                    None => {
                        self.customers.insert(key, (line, customer, given));
                        Ok(())
                    }
                }
            }
            Record::Data(record) => {
                self.touched.insert((record.org_code.clone(), record.customer_id.clone()));
                self.add_data(line, record)
            }
        }
    }

    fn add_data(&mut self, line: usize, mut record: DataRecord) -> Result<(), Refusal> {
        let api = record.api.id;
        let content = std::mem::replace(&mut record.content, Content::Document(Map::new()));
        match content {
            Content::List { reg_date, items } => {
                let list = ListReplacement {
                    org_code: record.org_code.clone(),
                    customer_id: record.customer_id.clone(),
                    list_api: api.to_owned(),
                    reg_date,
                    assets: items
                        .into_iter()
                        .map(|(key, item)| AssetRow {
                            org_code: record.org_code.clone(),
                            list_api: api.to_owned(),
                            sort_key: subject::list_order(&item, &key),
                            asset_key: key,
                            customer_id: record.customer_id.clone(),
                            item: Value::Object(item),
                            updated_at: 0,
                        })
                        .collect(),
                };
                for asset in &list.assets {
                    let key = (record.org_code.clone(), api.to_owned(), asset.asset_key.clone());
                    match self.listed.get(&key) {
                        Some((earlier, owner)) if *owner != record.customer_id => {
                            return Err(Refusal {
                                line,
                                api: Some(api.to_owned()),
                                field: asset.asset_key.clone(),
                                rule: format!("is listed for customer {owner} on line {earlier} too"),
                            });
                        }
                        _ => {
                            self.listed.insert(key, (line, record.customer_id.clone()));
                        }
                    }
                }
                let key = (record.org_code, record.customer_id, api.to_owned());
                keep_once(&mut self.lists, key, line, list)
                    .map_err(|earlier| conflict(line, Some(api), "data", earlier))
            }
            Content::Document(body) => {
                let document = Document {
                    org_code: record.org_code.clone(),
                    api_id: api.to_owned(),
                    subject_key: record.subject_key.clone(),
                    customer_id: record.customer_id,
                    body: Value::Object(body),
                    updated_at: 0,
                };
                keep_once(&mut self.documents, (record.org_code, api.to_owned(), record.subject_key), line, document)
                    .map_err(|earlier| conflict(line, Some(api), "data", earlier))
            }
            Content::History { document, entries } => {
                if let Some(body) = document {
                    self.add_data(line, DataRecord { content: Content::Document(body), ..record.clone() })?;
                }
                let mut rows: Vec<HistoryRow> = Vec::with_capacity(entries.len());
                for (i, entry) in entries.into_iter().enumerate() {
                    let row = entry_row(&record, entry);
                    if let Some(same) = rows.iter().position(|r| r.sort_key == row.sort_key) {
                        let (list, _) = subject::list_fields(record.api).expect("histories have a list");
                        return Err(Refusal {
                            line,
                            api: Some(api.to_owned()),
                            field: format!("data.{}[{i}]", list.name),
                            rule: format!("is the same entry as [{same}] (its time and number)"),
                        });
                    }
                    rows.push(row);
                }
                let history = GivenHistory { customer_id: record.customer_id.clone(), entries: rows };
                keep_once(&mut self.histories, (record.org_code, api.to_owned(), record.subject_key), line, history)
                    .map_err(|earlier| conflict(line, Some(api), "data", earlier))
            }
            Content::Entry(entry) => {
                let row = entry_row(&record, entry);
                let key = (record.org_code, api.to_owned(), record.subject_key, row.sort_key.clone());
                keep_once(&mut self.entries, key, line, row)
                    .map_err(|earlier| conflict(line, Some(api), "data", earlier))
            }
        }
    }

    /// The batch to write, and where the lists of customers without a record in it came from. A
    /// customer's reg_date is the one their record or their lists give (all must agree); a customer
    /// given by neither keeps the stored one, or when new takes `today` (YYYYMMDD).
    pub fn finish(self, today: &str) -> Result<(ImportBatch, ListLines), Refusal> {
        let (mut customers, mut undated_customers) = (Vec::new(), Vec::new());
        // (org_code, customer_id) → the reg_date given and the line that gave it.
        let mut dates: BTreeMap<(String, String), (String, usize)> = BTreeMap::new();
        for ((org_code, customer_id), (line, customer, given)) in &self.customers {
            if *given {
                dates.insert((org_code.clone(), customer_id.clone()), (customer.reg_date.clone(), *line));
            }
        }
        let mut list_lines = ListLines::new();
        for ((org_code, customer_id, list_api), (line, list)) in &self.lists {
            let owner = (org_code.clone(), customer_id.clone());
            if !self.customers.contains_key(&owner) {
                list_lines.entry(owner.clone()).or_insert_with(|| (*line, list_api.clone()));
            }
            let Some(date) = &list.reg_date else { continue };
            match dates.get(&owner) {
                Some((given, _)) if given == date => {}
                Some((given, given_line)) => {
                    return Err(Refusal {
                        line: *line,
                        api: Some(list_api.clone()),
                        field: "data.reg_date".into(),
                        rule: format!("{date} is not the customer's reg_date {given} (line {given_line})"),
                    });
                }
                None => {
                    dates.insert(owner, (date.clone(), *line));
                }
            }
        }
        for (key, (_, mut customer, _)) in self.customers {
            match dates.remove(&key) {
                Some((date, _)) => {
                    customer.reg_date = date;
                    customers.push(customer);
                }
                None => {
                    customer.reg_date = today.to_owned();
                    undated_customers.push(customer);
                }
            }
        }
        let batch = ImportBatch {
            removals: self.removals.into_iter().collect(),
            customers,
            undated_customers,
            lists: self.lists.into_values().map(|(_, list)| list).collect(),
            documents: self.documents.into_values().map(|(_, d)| d).collect(),
            histories: self
                .histories
                .into_iter()
                .map(|((org_code, api_id, subject_key), (_, history))| HistoryReplacement {
                    org_code,
                    customer_id: history.customer_id,
                    api_id,
                    subject_key,
                    entries: history.entries.into_iter().map(EncodedHistory::from).collect(),
                })
                .collect(),
            entries: self.entries.into_values().map(|(_, e)| EncodedHistory::from(e)).collect(),
        };
        Ok((batch, list_lines))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse;

    fn customer(id: &str, reg_date: Option<&str>) -> String {
        let date = reg_date.map(|d| format!(r#","reg_date":"{d}""#)).unwrap_or_default();
        format!(
            r#"{{"org_code":"BANK000001","customer":{{"customer_id":"{id}","ci":"CI-{id}","name":"홍길동"{date}}}}}"#
        )
    }

    fn list(id: &str, reg_date: &str) -> String {
        format!(
            r#"{{"org_code":"BANK000001","customer_id":"{id}","api":"은행-001","data":{{"reg_date":"{reg_date}",
               "account_list":[{{"account_num":"{id}01","is_minus":"false","prod_name":"자유입출금",
               "account_type":"1001","account_status":"01"}}]}}}}"#
        )
        .replace('\n', "")
    }

    fn finish(lines: &[String]) -> Result<(ImportBatch, ListLines), Refusal> {
        let mut builder = BatchBuilder::default();
        for (i, text) in lines.iter().enumerate() {
            builder.add(i + 1, parse(i + 1, text)?)?;
        }
        builder.finish("20261206")
    }

    #[test]
    fn a_customer_takes_the_reg_date_of_their_record_or_their_list_else_keeps_the_stored_one() {
        let (batch, lines) = finish(&[
            customer("dated", Some("20200101")),
            list("listed", "20190505"),
            customer("listed", None),
            customer("undated", None),
        ])
        .unwrap();
        let dated: Vec<_> = batch.customers.iter().map(|c| (c.customer_id.as_str(), c.reg_date.as_str())).collect();
        assert_eq!(dated, [("dated", "20200101"), ("listed", "20190505")]);
        let undated: Vec<_> =
            batch.undated_customers.iter().map(|c| (c.customer_id.as_str(), c.reg_date.as_str())).collect();
        assert_eq!(undated, [("undated", "20261206")], "a new customer's day, if the store has none");
        assert_eq!(batch.lists[0].reg_date.as_deref(), Some("20190505"));
        assert!(lines.is_empty(), "every list's customer is in the batch: {lines:?}");
    }

    #[test]
    fn lists_without_their_customer_keep_their_line_and_a_list_must_agree_with_its_customer() {
        let (batch, lines) = finish(&[customer("other", None), list("elsewhere", "20190505")]).unwrap();
        assert_eq!(batch.lists[0].reg_date.as_deref(), Some("20190505"), "the store gives it to the stored customer");
        assert_eq!(lines.get(&("BANK000001".into(), "elsewhere".into())), Some(&(2, "은행-001".to_owned())));
        let refused = finish(&[customer("dated", Some("20200101")), list("dated", "20190505")]).unwrap_err();
        assert_eq!(refused.line, 2);
        assert_eq!(refused.field, "data.reg_date");
    }
}
