//! The records of one batch combined into what the store writes ([`ImportBatch`]). The same records
//! give the same batch whatever their order: a removal comes before the customer's other records,
//! whole answers before single entries, and two records that say different things about the same
//! thing are refused rather than one of them winning by its place.

use crate::record::{Content, DataRecord, Record, Refusal};
use mydata_spec::subject;
use mydata_store::{AssetRow, Customer, Document, HistoryReplacement, HistoryRow, ImportBatch, ListReplacement};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A customer's list with the reg_date its record gave.
type GivenList = (usize, ListReplacement, Option<String>);

/// Records gathered for one batch, each thing once, with the line that gave it.
#[derive(Default)]
pub struct BatchBuilder {
    removals: BTreeSet<(String, String)>,
    customers: BTreeMap<(String, String), (usize, Customer, bool)>,
    lists: BTreeMap<(String, String, String), GivenList>,
    /// (org_code, list_api, asset_key) → the line that listed it.
    listed: BTreeMap<(String, String, String), (usize, String)>,
    documents: BTreeMap<(String, String, String), (usize, Document)>,
    histories: BTreeMap<(String, String, String), (usize, HistoryReplacement)>,
    entries: BTreeMap<(String, String, String, String), (usize, HistoryRow)>,
    /// Customers the records are about.
    pub touched: BTreeSet<(String, String)>,
    pub records: usize,
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

fn entry_row(record: &DataRecord, entry: Map<String, Value>) -> HistoryRow {
    let order = subject::entry_order(record.api, &entry);
    HistoryRow {
        org_code: record.org_code.clone(),
        api_id: record.api.id.to_owned(),
        subject_key: record.subject_key.clone(),
        sort_key: order.sort_key,
        customer_id: record.customer_id.clone(),
        occurred: order.occurred,
        body: Value::Object(entry),
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
        let content = std::mem::replace(&mut record.content, Content::Entry(Map::new()));
        match content {
            Content::List { reg_date, items } => {
                let list = ListReplacement {
                    org_code: record.org_code.clone(),
                    customer_id: record.customer_id.clone(),
                    list_api: api.to_owned(),
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
                match self.lists.get(&key) {
                    Some((_, stored, date)) if *stored == list && *date == reg_date => Ok(()),
                    Some((earlier, _, _)) => Err(conflict(line, Some(api), "data", *earlier)),
                    None => {
                        self.lists.insert(key, (line, list, reg_date));
                        Ok(())
                    }
                }
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
                let history = HistoryReplacement {
                    org_code: record.org_code.clone(),
                    customer_id: record.customer_id.clone(),
                    api_id: api.to_owned(),
                    subject_key: record.subject_key.clone(),
                    entries: rows,
                };
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

    /// The batch to write. A customer record without reg_date takes its lists' (all must agree),
    /// else `today` (YYYYMMDD).
    pub fn finish(self, today: &str) -> Result<ImportBatch, Refusal> {
        let mut customers = Vec::with_capacity(self.customers.len());
        for ((org_code, customer_id), (line, mut customer, mut given)) in self.customers {
            let listed = self
                .lists
                .range((org_code.clone(), customer_id.clone(), String::new())..)
                .take_while(|((o, c, _), _)| *o == org_code && *c == customer_id)
                .filter_map(|(_, (list_line, list, date))| Some((*list_line, list.list_api.clone(), date.clone()?)));
            for (list_line, list_api, date) in listed {
                if !given {
                    customer.reg_date = date.clone();
                    given = true;
                } else if customer.reg_date != date {
                    return Err(Refusal {
                        line: list_line,
                        api: Some(list_api),
                        field: "data.reg_date".into(),
                        rule: format!("{date} is not the customer's reg_date {} (line {line})", customer.reg_date),
                    });
                }
            }
            if !given {
                customer.reg_date = today.to_owned();
            }
            customers.push(customer);
        }
        Ok(ImportBatch {
            removals: self.removals.into_iter().collect(),
            customers,
            lists: self.lists.into_values().map(|(_, list, _)| list).collect(),
            documents: self.documents.into_values().map(|(_, d)| d).collect(),
            histories: self.histories.into_values().map(|(_, h)| h).collect(),
            entries: self.entries.into_values().map(|(_, e)| e).collect(),
        })
    }
}
