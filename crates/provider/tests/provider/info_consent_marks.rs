//! Property: a consent to exactly one asset of a generated customer makes exactly that asset
//! `is_consent: true` in every asset list of the institution — the asset named by its list and its
//! key, so a number another list also held would not be marked — over HTTP, on SQLite and PostgreSQL.

use crate::common;
use crate::info_harness;

use common::*;
use info_harness::*;
use mydata_spec::catalogue::info_apis;
use mydata_spec::{ApiKind, AssetId, Industry, RspCode};
use mydata_store::AssetRow;
use mydata_store::prelude::*;
use mydata_testdata::person;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

/// Writes generated customer `number` at `industry`'s institution, consents to the `pick`-th of their
/// assets alone, and returns, for every asset every list answers, whether it is marked consented.
async fn marks(seeded: &Seeded, industry: Industry, number: u64, pick: usize) -> (AssetId, Vec<(AssetId, bool)>) {
    let org = institutions().into_iter().find(|o| o.industry == industry).unwrap();
    let who = person(seeded.generator.seed, number);
    let data = seeded.generator.customer(&org, &who);
    data.write(seeded.app.store.as_ref()).await.unwrap();
    let chosen = &data.assets[pick % data.assets.len()];
    // A twin in another list under the same key, as an institution might hold (an IRP and a bank
    // account with one number): another asset, which the consent does not name.
    if let Some(other) = data.assets.iter().find(|a| a.list_api != chosen.list_api) {
        let list = mydata_spec::catalogue::api(&other.list_api).unwrap();
        let key_field = list.detail_apis(industry).find_map(|a| a.resource_key()).unwrap_or("account_num");
        let mut item = other.item.clone();
        item[key_field] = Value::String(chosen.asset_key.clone());
        let twin = AssetRow { asset_key: chosen.asset_key.clone(), sort_key: "~twin".into(), item, ..other.clone() };
        seeded.app.store.upsert_assets(&[twin]).await.unwrap();
    }
    let chosen = AssetId::of(&chosen.list_api, chosen.asset_key.clone()).unwrap();
    let consent = consent_record(industry, &who.customer_id, &all_scopes(industry), vec![chosen.clone()]);
    let (_, pair) = seeded.app.issue(consent).await;
    let mut marked = Vec::new();
    for list in info_apis(industry).filter(|a| a.kind() == ApiKind::AssetList) {
        let call = Call::for_subject(list, industry, who.customer_id.clone());
        let body = seeded.expect(&call, Some(&pair.access_token), RspCode::Success).await;
        let (list_field, _) = mydata_spec::subject::list_fields(list).unwrap();
        let key_field = list.detail_apis(industry).find_map(|a| a.resource_key());
        for item in body[list_field.name.as_str()].as_array().into_iter().flatten() {
            let Some(key) = key_field.and_then(|k| item[k].as_str()) else { continue };
            let consented = match &item["is_consent"] {
                Value::String(text) => text == "true",
                other => panic!("is_consent is sent as a string (첨부2), not {other}"),
            };
            marked.push((AssetId::new(list, key), consented));
        }
    }
    (chosen, marked)
}

#[test]
fn a_consent_to_one_asset_marks_that_asset_alone_in_every_list() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for backend in BACKENDS {
        let seeded = runtime.block_on(seeded(backend));
        let mut runner = TestRunner::new(Config { cases: 32, failure_persistence: None, ..Config::default() });
        runner
            .run(&(0usize..Industry::ALL.len(), 1u64..5_000, 0usize..16), |(industry, number, pick)| {
                let industry = Industry::ALL[industry];
                let (chosen, marked) = runtime.block_on(marks(&seeded, industry, number, pick));
                let consented: Vec<&AssetId> = marked.iter().filter(|(_, yes)| *yes).map(|(id, _)| id).collect();
                assert_eq!(consented, [&chosen], "{backend:?} {industry}: {marked:?}");
                Ok(())
            })
            .unwrap();
    }
}
