//! 통합인증-002 from the operator's side (ch.3.2.2; the signed documents' layout is 별첨1's, as the
//! public sources show it, docs/spec-decisions.md): the consent document built per provider, the
//! 본인확인 이용동의 signed with it, the `tx_id` that binds both to one request, and the token call
//! carrying the customer's signatures.
//!
//! The customer signs; the operator never holds their key. In production the customer's device or
//! the certification authority returns CMS SignedData (DER) for each document, which this module
//! sends as they are; the sandbox signs with a stand-in (`mydata_pki::consent_signing`).

use crate::auth::{Credentials, TokenAnswer};
use crate::call::{Call, Client};
use crate::error::{ClientError, ClientResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use mydata_domain::ConsentStage;
use mydata_spec::KnownApi;
use serde::Serialize;

/// The relay (중계기관) slot of `tx_id` when the provider is called directly.
pub const NO_RELAY: &str = "0000000000";

/// `tx_id` (74 characters): `MD_<operator>_<provider>_<relay>_<CA>_<YYYYMMDDHHMMSS>_<serial:12>`,
/// the time being the signing request's (Korean time, as every time of the standard).
pub fn tx_id(operator_org: &str, provider_org: &str, ca_code: &str, at: DateTime<Utc>, serial: u64) -> String {
    let time = mydata_spec::time::korean_dtime(at);
    format!("MD_{operator_org}_{provider_org}_{NO_RELAY}_{ca_code}_{time}_{:012}", serial % 1_000_000_000_000)
}

/// Which stage of 통합인증 a consent is (`request_type`): the asset lists only (1차), or the
/// assets the customer chose (2차).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestType {
    AssetLists,
    ChosenAssets,
}

impl RequestType {
    pub fn code(self) -> &'static str {
        match self {
            RequestType::AssetLists => "0",
            RequestType::ChosenAssets => "1",
        }
    }
}

/// One consented scope group and the assets (keys) it covers; no assets for a list-only scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetInfo {
    /// Space-separated scopes of one industry.
    pub scope: String,
    pub asset_list: Vec<TargetAsset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetAsset {
    pub asset: String,
}

/// The terms the customer chose once for every provider of a 통합인증.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentTerms {
    /// `1/w`, `1/m`, … for 정기적 전송; `None` for none.
    pub fnd_cycle: Option<String>,
    pub add_cycle: Option<String>,
    /// 전송요구 종료시점 (at most a year ahead).
    pub end_date: NaiveDate,
    pub purpose: String,
    /// 보유기간.
    pub period: NaiveDate,
}

impl ConsentTerms {
    /// The terms a consent of `stage` made on `today` (a Korean date) carries: the customer's, except
    /// that a 1차 consent ends and is kept until the seventh day (공통-002).
    pub fn for_stage(&self, stage: RequestType, today: NaiveDate) -> ConsentTerms {
        match stage {
            RequestType::AssetLists => {
                let week = *ConsentStage::AssetLists.end_dates(today).end();
                ConsentTerms { end_date: week, period: week, ..self.clone() }
            }
            RequestType::ChosenAssets => self.clone(),
        }
    }
}

/// The consent (전송요구내역) the customer signs for one provider; every value a string (첨부2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentDocument {
    pub tx_id: String,
    pub snd_org_code: String,
    pub rcv_org_code: String,
    pub is_scheduled: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fnd_cycle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add_cycle: Option<String>,
    pub end_date: String,
    pub purpose: String,
    pub period: String,
    pub consent_nonce: String,
    pub target_info: Vec<TargetInfo>,
}

impl ConsentDocument {
    pub fn new(
        tx_id: &str,
        provider_org: &str,
        operator_org: &str,
        terms: &ConsentTerms,
        consent_nonce: &str,
        target_info: Vec<TargetInfo>,
    ) -> ConsentDocument {
        let date = |d: NaiveDate| d.format("%Y%m%d").to_string();
        ConsentDocument {
            tx_id: tx_id.to_owned(),
            snd_org_code: provider_org.to_owned(),
            rcv_org_code: operator_org.to_owned(),
            is_scheduled: terms.fnd_cycle.is_some().to_string(),
            fnd_cycle: terms.fnd_cycle.clone(),
            add_cycle: terms.add_cycle.clone().or_else(|| terms.fnd_cycle.clone()),
            end_date: date(terms.end_date),
            purpose: terms.purpose.clone(),
            period: date(terms.period),
            consent_nonce: consent_nonce.to_owned(),
            target_info,
        }
    }

    /// The bytes the customer signs.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a consent document serializes")
    }
}

/// The 본인확인 이용동의 (UCPID request) the customer signs with the consent (`auth_type` 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonInfoRequest {
    pub user_agreement: String,
    /// The operator's service domain.
    pub isp_url_info: String,
    pub ucpid_nonce: String,
}

impl PersonInfoRequest {
    pub fn new(isp_url_info: &str, ucpid_nonce: &str) -> PersonInfoRequest {
        PersonInfoRequest {
            user_agreement: "본인확인 이용에 동의합니다".into(),
            isp_url_info: isp_url_info.to_owned(),
            ucpid_nonce: ucpid_nonce.to_owned(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a UCPID request serializes")
    }
}

/// One 통합인증-002 request with the 공동인증서 method (`auth_type` 0, `consent_type` 0).
#[derive(Debug, Clone)]
pub struct IntegratedTokenRequest<'a> {
    pub org_code: &'a str,
    pub credentials: &'a Credentials,
    pub ca_code: &'a str,
    /// The customer's CI (`username`).
    pub user_ci: &'a str,
    pub request_type: RequestType,
    pub tx_id: &'a str,
    /// The signed consent: CMS SignedData, DER.
    pub signed_consent: &'a [u8],
    /// The signed 본인확인 이용동의: CMS SignedData, DER.
    pub signed_person_info_req: &'a [u8],
    pub consent_nonce: &'a str,
    pub ucpid_nonce: &'a str,
}

impl IntegratedTokenRequest<'_> {
    /// The form the provider's token endpoint receives.
    pub fn call(&self) -> Call {
        let password = URL_SAFE_NO_PAD.encode(self.signed_consent);
        let person = URL_SAFE_NO_PAD.encode(self.signed_person_info_req);
        Call::new(KnownApi::IntegratedToken.spec())
            .param("tx_id", self.tx_id)
            .param("org_code", self.org_code)
            .param("grant_type", "password")
            .param("client_id", &self.credentials.client_id)
            .param("client_secret", &self.credentials.client_secret)
            .param("ca_code", self.ca_code)
            .param("username", self.user_ci)
            .param("request_type", self.request_type.code())
            .param("password_len", password.len().to_string())
            .param("password", password)
            .param("auth_type", "0")
            .param("consent_type", "0")
            .param("signed_person_info_req_len", person.len().to_string())
            .param("signed_person_info_req", person)
            .param("consent_nonce", self.consent_nonce)
            .param("ucpid_nonce", self.ucpid_nonce)
    }
}

impl Client {
    /// 통합인증-002: the consent's token pair, for the signed consent `request` carries. The answer
    /// must echo the request's `tx_id`.
    pub async fn integrated_token(
        &self,
        base_url: &str,
        request: &IntegratedTokenRequest<'_>,
    ) -> ClientResult<TokenAnswer> {
        let answer = self.send(base_url, &request.call()).await?;
        let echoed = answer.text("tx_id");
        if echoed.as_deref() != Some(request.tx_id) {
            return Err(ClientError::Malformed {
                api: answer.api.id,
                problem: format!("tx_id {echoed:?} is not the request's {}", request.tx_id),
            });
        }
        TokenAnswer::from_answer(&answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tx_id_has_the_standard_layout_in_korean_time() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 15, 4, 5).unwrap();
        let id = tx_id("OPERAT0001", "BANK000001", "SANDBOXCA1", at, 7);
        assert_eq!(id, "MD_OPERAT0001_BANK000001_0000000000_SANDBOXCA1_20260103000405_000000000007");
        assert_eq!(id.len(), 74);
    }

    #[test]
    fn the_document_sends_every_value_as_a_string_and_cycles_only_when_scheduled() {
        let terms = ConsentTerms {
            fnd_cycle: Some("1/w".into()),
            add_cycle: None,
            end_date: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            purpose: "자산관리".into(),
            period: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        };
        let target = TargetInfo { scope: "bank.list".into(), asset_list: vec![] };
        let doc = ConsentDocument::new("TX", "BANK000001", "OPERAT0001", &terms, "cn", vec![target.clone()]);
        let json: serde_json::Value = serde_json::from_slice(&doc.to_bytes()).unwrap();
        assert_eq!(json["is_scheduled"], "true");
        assert_eq!(json["add_cycle"], "1/w", "the additional cycle defaults to the basic one");
        assert_eq!(json["end_date"], "20270101");
        assert_eq!(json["snd_org_code"], "BANK000001");
        let lists = terms.for_stage(RequestType::AssetLists, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let week = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        assert_eq!((lists.end_date, lists.period), (week, week), "공통-002: a 1차 consent lives seven days");
        assert_eq!(terms.for_stage(RequestType::ChosenAssets, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()), terms);
        let unscheduled = ConsentTerms { fnd_cycle: None, ..terms };
        let doc = ConsentDocument::new("TX", "BANK000001", "OPERAT0001", &unscheduled, "cn", vec![target]);
        let json: serde_json::Value = serde_json::from_slice(&doc.to_bytes()).unwrap();
        assert_eq!(json["is_scheduled"], "false");
        assert!(json.get("fnd_cycle").is_none() && json.get("add_cycle").is_none());
    }
}
