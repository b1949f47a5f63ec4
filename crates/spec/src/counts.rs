//! A list of the tables, `<x>_list`, travels with its count `<x>_cnt` (보유계좌수, 거래목록수, …): the
//! number of the list's entries. Every list of the field data has its count so named, beside it in
//! the same object (a test below walks every table), so a count is found by its list's name.

use serde_json::{Map, Value};

/// The count that travels with the list `list`: `account_cnt` for `account_list`.
pub fn count_of(list: &str) -> Option<String> {
    list.strip_suffix("_list").map(|stem| format!("{stem}_cnt"))
}

/// Sets the count beside every list of `map` to the list's length, as a string (첨부2).
pub fn set_counts(map: &mut Map<String, Value>) {
    let counts: Vec<(String, usize)> =
        map.iter().filter_map(|(name, value)| Some((count_of(name)?, value.as_array()?.len()))).collect();
    for (count, length) in counts {
        map.insert(count, Value::String(length.to_string()));
    }
}

/// What is wrong with `stated`, the count given beside the list `list` of `length` entries, if it is
/// not that length (`says 2 but account_list holds 0`). A number is taken as its text (inputs).
pub fn miscount(stated: &Value, list: &str, length: usize) -> Option<String> {
    let text = match stated {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => other.to_string(),
    };
    (text.parse::<usize>().ok() != Some(length)).then(|| format!("says {text} but {list} holds {length}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{Field, all_fields};
    use serde_json::json;

    /// The pairing by name holds for every list of every table, requests and answers, at every depth.
    #[test]
    fn every_list_of_the_tables_has_its_count_beside_it() {
        fn walk(id: &str, fields: &[Field], lists: &mut usize) {
            for list in fields.iter().filter(|f| f.is_list()) {
                let count =
                    count_of(&list.name).unwrap_or_else(|| panic!("{id} {}: a list is named <x>_list", list.name));
                let count = fields.iter().find(|f| f.name == count);
                assert!(count.is_some_and(|c| c.type_spec.starts_with("N(")), "{id} {}: its count", list.name);
                *lists += 1;
                walk(id, &list.children, lists);
            }
        }
        let mut lists = 0;
        for table in all_fields() {
            walk(&table.id, &table.request, &mut lists);
            walk(&table.id, &table.response, &mut lists);
        }
        assert_eq!(lists, 79, "the lists of the tables");
    }

    #[test]
    fn counts_are_set_to_their_lists_lengths_and_other_counts_are_left() {
        let given = json!({"trans_cnt": "9", "trans_list": [{}, {}], "paid_in_cnt": "12", "int_list": []});
        let mut map = given.as_object().cloned().unwrap();
        set_counts(&mut map);
        let counted =
            json!({"trans_cnt": "2", "trans_list": [{}, {}], "paid_in_cnt": "12", "int_cnt": "0", "int_list": []});
        assert_eq!(Value::Object(map), counted);
    }

    #[test]
    fn a_count_other_than_its_lists_length_is_named() {
        assert_eq!(miscount(&json!("2"), "account_list", 2), None);
        assert_eq!(miscount(&json!(2), "account_list", 2), None, "inputs may send numbers");
        assert_eq!(miscount(&json!("2"), "account_list", 0).as_deref(), Some("says 2 but account_list holds 0"));
        assert_eq!(miscount(&json!("02x"), "account_list", 2).as_deref(), Some("says 02x but account_list holds 2"));
        assert_eq!(miscount(&json!(null), "account_list", 0).as_deref(), Some("says null but account_list holds 0"));
    }
}
