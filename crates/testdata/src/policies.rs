//! A generated insurance policy as its 첨부7 type makes it: 보험-002 states an annuity's start and
//! receipt cycle (`pension_rcv_start_date`, `pension_rcv_cycle`) for annuity insurance alone
//! (`pension_rcv_cycle`: "not returned for non-annuity insurance").

use crate::CustomerData;
use serde_json::Value;

/// 첨부7's annuity insurance: 09 연금저축보험, 10 연금보험.
const ANNUITY_TYPES: [&str; 2] = ["09", "10"];
/// 보험-002's fields about an annuity's payment.
const ANNUITY_FIELDS: [&str; 2] = ["pension_rcv_start_date", "pension_rcv_cycle"];

/// Leaves the annuity fields out of the answers about the policy `key` of 첨부7 type `insu_type`
/// unless it is annuity insurance.
pub(crate) fn fit_answers(data: &mut CustomerData, key: &str, insu_type: &str) {
    if ANNUITY_TYPES.contains(&insu_type) {
        return;
    }
    for document in data.documents.iter_mut().filter(|d| d.subject_key == key) {
        if let Value::Object(body) = &mut document.body {
            for field in ANNUITY_FIELDS {
                body.remove(field);
            }
        }
    }
}
