//! The generated OpenAPI documents are valid OpenAPI 3.1, and their schemas accept what the standard
//! sends and reject what it does not.

use mydata_spec::openapi::{document, portal_apis, provider_apis, response_schema};
use mydata_spec::{Industry, catalogue};
use serde_json::json;

#[test]
fn provider_and_portal_documents_parse_as_openapi_3_1() {
    let provider = document("provider", "https://bank.example:8443", &provider_apis(&Industry::ALL), &[]);
    let parsed = oas3::from_json(provider.to_string()).expect("provider document is OpenAPI 3.1");
    assert_eq!(parsed.openapi, "3.1.0");
    assert!(parsed.paths.as_ref().is_some_and(|p| p.contains_key("/v1/bank/accounts/deposit/transactions")));
    let portal = document("portal", "http://127.0.0.1:9000/", &portal_apis(), &[]);
    oas3::from_json(portal.to_string()).expect("portal document is OpenAPI 3.1");
}

#[test]
fn every_response_schema_compiles_and_judges_bodies() {
    for api in catalogue::CATALOGUE.iter().filter(|a| a.id != "개별인증-001") {
        jsonschema::validator_for(&response_schema(api)).unwrap_or_else(|e| panic!("{}: {e}", api.id));
    }
    let accounts = jsonschema::validator_for(&response_schema(catalogue::api("은행-001").unwrap())).unwrap();
    let good = json!({
        "rsp_code": "00000", "rsp_msg": "성공", "reg_date": "20150301", "account_cnt": "1",
        "account_list": [{"account_num": "1002123456789", "is_consent": "true", "prod_name": "자유입출금",
                          "account_type": "1001", "account_status": "01"}]
    });
    assert!(accounts.is_valid(&good));
    let mut number = good.clone();
    number["account_cnt"] = json!(1);
    assert!(!accounts.is_valid(&number), "values are strings");
    let mut missing = good.clone();
    missing["account_list"][0].as_object_mut().unwrap().remove("account_type");
    assert!(!accounts.is_valid(&missing), "required fields");
    let mut bad_date = good;
    bad_date["reg_date"] = json!("2015-03-01");
    assert!(!accounts.is_valid(&bad_date), "DATE format");
}
