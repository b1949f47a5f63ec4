//! Acceptance against the standard itself, over HTTP: for `demo1` at every demo institution, every
//! information API answers with exactly the fields its v1 table names (첨부2: every value a string),
//! for every asset of every list and every detail API that describes it; and a consent to one asset
//! opens that asset alone (첨부1: 40105 for the customer's other assets, 40402 for another's).
//! Requests are built from the answers, as an operator builds them; nothing is taken from the
//! provider's code.

use crate::info_harness;

use info_harness::*;
use mydata_spec::catalogue::{self, ApiSpec};
use mydata_spec::validate::{check_response, code_violations, unnamed_fields};
use mydata_spec::{ApiKind, AssetId, Industry, RspCode, subject};
use mydata_store::Backend;
use serde_json::Value;
use std::collections::BTreeSet;

/// Asks `call` with `token`, requires 00000 and a body of exactly the fields of the API's table,
/// each code one of its field's.
async fn answer_by_the_table(seeded: &Seeded, call: &Call, token: &str) -> Value {
    let body = seeded.expect(call, Some(token), RspCode::Success).await;
    let mut problems = check_response(call.api, &body);
    problems.extend(unnamed_fields(call.api, &body));
    problems.extend(code_violations(call.api, &body));
    assert!(problems.is_empty(), "{} at {}: {problems:?}\n{body}", call.api.id, call.industry);
    body
}

/// The items of an answer's lists: where an operator finds what to ask next (보험-002's insured
/// persons for 보험-003, 보험-004's cars for 보험-007).
fn listed_items(answers: &[Value]) -> impl Iterator<Item = &Value> {
    answers
        .iter()
        .flat_map(|body| body.as_object().into_iter().flat_map(|o| o.values()))
        .filter_map(Value::as_array)
        .flatten()
}

/// The subject keys `detail` is asked about for the asset `key`: the asset, narrowed by each value an
/// earlier answer about the asset lists for a qualifier the request requires, or by last month for a
/// bill month.
fn subjects_of(detail: &ApiSpec, key: &str, earlier: &[Value]) -> Vec<String> {
    let mut subjects = vec![key.to_owned()];
    for qualifier in subject::qualifiers_of(detail) {
        let required = detail.fields().request_field(qualifier).is_some_and(|f| f.required);
        let values: BTreeSet<String> = match qualifier {
            "charge_month" => [(korean_today() - chrono::Months::new(1)).format("%Y%m").to_string()].into(),
            _ if !required => continue,
            _ => listed_items(earlier).filter_map(|item| item[qualifier].as_str().map(str::to_owned)).collect(),
        };
        subjects =
            subjects.iter().flat_map(|s| values.iter().map(move |v| format!("{s}{}{v}", subject::SEPARATOR))).collect();
    }
    subjects
}

async fn every_answer_has_exactly_the_fields_of_its_table(backend: Backend) {
    let seeded = seeded(backend).await;
    let mut answered = BTreeSet::new();
    for industry in Industry::ALL {
        let (_, token) = seeded.full_consent(industry, CUSTOMER).await;
        for api in catalogue::info_apis(industry).filter(|a| a.resource_key().is_none()) {
            let body = answer_by_the_table(&seeded, &seeded.request(api, industry, CUSTOMER), &token).await;
            answered.insert((industry, api.id));
            if api.kind() != ApiKind::AssetList {
                continue;
            }
            let (list, _) = subject::list_fields(api).expect("an asset list has a list");
            for item in body[&list.name].as_array().expect("a list") {
                let class = api.classify(|name| item.get(name).and_then(Value::as_str));
                let mut earlier = Vec::new();
                for detail in api.detail_apis(industry).filter(|d| d.describes(class)) {
                    let key = item[detail.resource_key().unwrap()].as_str().expect("the list names its key");
                    for subject in subjects_of(detail, key, &earlier) {
                        let call = Call::for_subject(detail, industry, subject);
                        earlier.push(answer_by_the_table(&seeded, &call, &token).await);
                        answered.insert((industry, detail.id));
                    }
                }
            }
        }
    }
    let every: BTreeSet<_> =
        Industry::ALL.iter().flat_map(|&i| catalogue::info_apis(i).map(move |a| (i, a.id))).collect();
    let unanswered: Vec<_> = every.difference(&answered).collect();
    assert!(unanswered.is_empty(), "never answered for {CUSTOMER}'s assets: {unanswered:?}");
}

/// For each asset of `customer` at the institution of `industry` (list, key), the detail calls about
/// it: one per API that describes it, about a subject the generated data holds.
fn detail_calls(seeded: &Seeded, industry: Industry, customer: &str) -> Vec<(AssetId, Vec<Call>)> {
    let data = seeded.of(industry, customer);
    data.assets
        .iter()
        .map(|asset| {
            let list = catalogue::api(&asset.list_api).unwrap();
            let class = list.classify(|name| asset.item.get(name).and_then(Value::as_str));
            let calls = list
                .detail_apis(industry)
                .filter(|d| d.describes(class))
                .map(|detail| {
                    let stored = data.documents.iter().map(|d| (&d.api_id, &d.subject_key));
                    let rows = data.history.iter().map(|h| (&h.api_id, &h.subject_key));
                    let subject = stored
                        .chain(rows)
                        .find(|(id, key)| {
                            *id == detail.id && key.split(subject::SEPARATOR).next() == Some(&asset.asset_key)
                        })
                        .map_or_else(|| asset.asset_key.clone(), |(_, key)| key.clone());
                    Call::for_subject(detail, industry, subject)
                })
                .collect();
            (AssetId::new(list, asset.asset_key.clone()), calls)
        })
        .collect()
}

async fn a_consent_to_one_asset_opens_that_asset_alone(backend: Backend) {
    let seeded = seeded(backend).await;
    for industry in Industry::ALL {
        let own = detail_calls(&seeded, industry, CUSTOMER);
        let Some((chosen, _)) = own.iter().find(|(_, calls)| !calls.is_empty()) else { continue };
        let consent = consent_record(industry, CUSTOMER, &all_scopes(industry), vec![chosen.clone()]);
        let (_, pair) = seeded.app.issue(consent).await;
        let token = pair.access_token.as_str();
        for (key, calls) in &own {
            let code = if key == chosen { RspCode::Success } else { RspCode::AssetNotConsented };
            for call in calls {
                seeded.expect(call, Some(token), code).await;
            }
        }
        for (_, calls) in detail_calls(&seeded, industry, OTHER_CUSTOMER) {
            for call in calls {
                seeded.expect(&call, Some(token), RspCode::AssetNotFound).await;
            }
        }
    }
}

mydata_store::each_backend!(
    every_answer_has_exactly_the_fields_of_its_table,
    a_consent_to_one_asset_opens_that_asset_alone
);
