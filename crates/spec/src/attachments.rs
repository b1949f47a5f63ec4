//! The code tables of the standard's attachments that fields' notes point at without listing the
//! codes themselves ("see [첨부3] 계좌번호 별 구분 코드"): 첨부3–10, 13, 15 and 16, transcribed in
//! `data/attachment-codes.json`. A field's values come from the tables of the attachment its note
//! cites, for its name and its length (첨부3 has a table of 4-digit account types, one of 3-digit
//! 금투 account kinds, one of statuses) or, where an attachment's parts serve different fields or
//! APIs (첨부9's prepaid means and electronic payments, 첨부15's coverages), the parts its note names.

use crate::fields::Field;
use serde::Deserialize;
use std::sync::LazyLock;

/// One code table of an attachment.
#[derive(Debug, Deserialize)]
pub struct CodeTable {
    pub attachment: u8,
    /// The table's heading in the attachment, e.g. `첨부4 상환방식 코드`.
    pub title: String,
    /// The wire names of the fields whose values it lists.
    pub fields: Vec<String>,
    /// The length of its codes, the length of those fields' types.
    pub length: usize,
    /// Text the field's note holds when the table is one part of its attachment (`prepaid`).
    #[serde(default)]
    pub note_mentions: Option<String>,
    /// Each code and its name, as the attachment lists them.
    pub codes: Vec<(String, String)>,
}

static TABLES: LazyLock<Vec<CodeTable>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../data/attachment-codes.json")).expect("attachment-codes.json parses")
});

/// Every transcribed table.
pub fn tables() -> &'static [CodeTable] {
    &TABLES
}

/// The attachments a note cites (`첨부3`, `[첨부 9]`).
fn cited(note: &str) -> impl Iterator<Item = u8> + '_ {
    note.split("첨부").skip(1).filter_map(|after| {
        let digits: String = after.trim_start().chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// The tables `field`'s values come from: those of an attachment its note cites, for its name and
/// the part its note names and, where the note names no part, the length its type gives (`aN(4)`:
/// 첨부3's account types, not its 3-digit 금투 kinds). A part the note names by its heading is the
/// field's whatever its codes' length, as long as they fit the type: 첨부15's coverages are the 5-character
/// codes of one part and the 3-digit codes of another, both `AN(5)`.
pub fn tables_of(field: &Field) -> impl Iterator<Item = &'static CodeTable> + '_ {
    let length: Option<usize> =
        field.type_spec.split_once('(').and_then(|(_, rest)| rest.trim_end_matches(')').parse().ok());
    let cited: Vec<u8> = cited(&field.note).collect();
    tables().iter().filter(move |t| {
        let fits = match &t.note_mentions {
            Some(part) => field.note.contains(part.as_str()) && length.is_some_and(|l| t.length <= l),
            None => Some(t.length) == length,
        };
        fits && cited.contains(&t.attachment) && t.fields.contains(&field.name)
    })
}

/// The name the tables of `field` ([`tables_of`]) give `code` (첨부3's `3220` 주택담보대출,
/// 첨부15's `A1200` 암사망).
pub fn code_name(field: &Field, code: &str) -> Option<&'static str> {
    tables_of(field)
        .flat_map(|table| table.codes.iter())
        .find(|(listed, _)| listed == code)
        .map(|(_, name)| name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_table_has_distinct_codes_of_its_length() {
        assert_eq!(tables().len(), 18);
        for table in tables() {
            let codes: HashSet<&str> = table.codes.iter().map(|(code, _)| code.as_str()).collect();
            assert_eq!(codes.len(), table.codes.len(), "{}: a code twice", table.title);
            assert!(
                table.codes.iter().all(|(code, name)| code.len() == table.length && !name.is_empty()),
                "{}",
                table.title
            );
            assert!(table.title.starts_with(&format!("첨부{} ", table.attachment)), "{}", table.title);
        }
    }

    /// Every field whose note points at one of these attachments, is named by one of its tables and
    /// lists no codes of its own finds its table (첨부5's product codes, ISINs, are no table), and
    /// every table serves some field.
    #[test]
    fn fields_citing_an_attachment_find_its_table() {
        let tabled = |attachment: u8, name: &str| {
            tables().iter().any(|t| t.attachment == attachment && t.fields.iter().any(|f| f == name))
        };
        let mut used = HashSet::new();
        fn walk<'a>(fields: &'a [Field], out: &mut Vec<&'a Field>) {
            for field in fields {
                out.push(field);
                walk(&field.children, out);
            }
        }
        for api in crate::fields::all_fields() {
            let mut fields = Vec::new();
            walk(&api.response, &mut fields);
            for field in fields {
                let cites = cited(&field.note).any(|n| tabled(n, &field.name));
                if !cites || !crate::validate::note_codes(&field.note).is_empty() {
                    continue;
                }
                let found: Vec<&str> = tables_of(field).map(|t| t.title.as_str()).collect();
                assert!(!found.is_empty(), "{} {}: no table for {}", api.id, field.name, field.note);
                used.extend(found);
            }
        }
        assert_eq!(used.len(), tables().len(), "tables no field uses: {used:?}");
    }

    /// 첨부9's prepaid means (5xxx) are 전금-004's and 선불-003's, its electronic payments (6xxx) 전금-103's.
    #[test]
    fn each_api_finds_the_part_of_its_attachment_its_note_names() {
        let first_code = |api: &str| {
            let fields = crate::fields::fields(api).unwrap();
            let trans_type = fields.response_body().chain(fields.response_body().flat_map(|f| f.children.iter()));
            let field = trans_type.filter(|f| f.name == "trans_type").last().unwrap();
            tables_of(field).next().unwrap().codes[0].0.clone()
        };
        assert_eq!(first_code("전금-004"), "5101");
        assert_eq!(first_code("선불-003"), "5101");
        assert_eq!(first_code("전금-103"), "6101");
    }

    #[test]
    fn a_field_finds_the_table_of_its_length() {
        let field = |name: &str, type_spec: &str, note: &str| Field {
            location: crate::fields::Location::Body,
            name: name.into(),
            ko: String::new(),
            required: true,
            type_spec: type_spec.into(),
            note: note.into(),
            children: Vec::new(),
            conditions: Vec::new(),
        };
        let bank = field("account_type", "aN(4)", "see [첨부3] 계좌번호 별 구분 코드");
        assert_eq!(tables_of(&bank).map(|t| t.length).collect::<Vec<_>>(), [4]);
        let invest = field("account_type", "aN(3)", "see 첨부3 account-number type codes");
        let invest: Vec<_> = tables_of(&invest).collect();
        assert!(invest.len() == 1 && invest[0].codes.iter().any(|(code, name)| code == "108" && name == "ISA"));
        assert_eq!(tables_of(&field("account_type", "aN(4)", "no citation")).count(), 0);
        assert_eq!(tables_of(&field("prod_name", "AH(300)", "see [첨부3]")).count(), 0);
    }

    #[test]
    fn a_code_is_named_by_the_tables_of_its_field() {
        let loans = crate::fields::fields("보험-008").unwrap().response_field("loan_list").unwrap();
        let account_type = loans.children.iter().find(|f| f.name == "account_type").unwrap();
        assert_eq!(code_name(account_type, "3400"), Some("보험계약대출"));
        let coverages = crate::fields::fields("보험-012").unwrap().response_field("coverage_list").unwrap();
        let coverage_code = coverages.children.iter().find(|f| f.name == "coverage_code").unwrap();
        assert_eq!(code_name(coverage_code, "A1200"), Some("암사망"), "실손 외");
        assert_eq!(code_name(coverage_code, "100"), Some("상해"), "실손");
        assert_eq!(code_name(coverage_code, "A0000"), None);
    }
}
