//! The web face's 통합인증 link: the customer picks up to 50 providers (기술 가이드라인 ch.4: 일괄선택
//! ≤ 50), signs once per stage, and sees each provider's outcome
//! ([`mydata_collector::integrated`]). Where the signature comes from is the deployment's choice
//! ([`CustomerSigning`]): the customer's device in production, a stand-in in the sandbox.

use crate::institutions::{InstitutionNames, industry_korean};
use crate::web::{COLLECT_BUTTON, OperatorWeb, escape, page, store_failure_page};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Days;
use mydata_client::integrated::ConsentTerms;
use mydata_collector::integrated::{
    BULK_LIMIT, ConsentSigner, IntegratedAuth, IntegratedConfig, LinkOutcome, LinkingCustomer,
};
use mydata_store::StoreError;
use std::sync::Arc;

/// Where a customer's signatures come from, with the CA that issued their certificate.
pub trait CustomerSigning: Send + Sync {
    /// The customer's signer and its `ca_code`; `None` when the customer has no certificate here.
    fn signer(&self, customer_id: &str) -> Option<(Box<dyn ConsentSigner>, String)>;
}

/// The sandbox's stand-in: each demo customer's certificate and key under a directory
/// ([`mydata_collector::integrated::StandInSigner`]).
pub struct StandInSigning(pub std::path::PathBuf);

impl CustomerSigning for StandInSigning {
    fn signer(&self, customer_id: &str) -> Option<(Box<dyn ConsentSigner>, String)> {
        let signer = mydata_collector::integrated::StandInSigner::open(&self.0, customer_id).ok()?;
        let ca_code = signer.ca_code().to_owned();
        Some((Box::new(signer), ca_code))
    }
}

type App = State<Arc<OperatorWeb>>;

#[derive(serde::Deserialize)]
pub(crate) struct Who {
    customer: String,
}

fn bad_request(title: &str, detail: &str) -> Response {
    (StatusCode::BAD_REQUEST, page(title, &format!("<p>{}</p>", escape(detail)))).into_response()
}

/// Where a provider's 통합인증 ended, as the customer reads it (the providers' own words kept).
fn outcome_text(outcome: &LinkOutcome) -> String {
    match outcome {
        LinkOutcome::Linked { assets, replaced: false, .. } => format!("전송요구 완료 (자산 {assets}개)"),
        LinkOutcome::Linked { assets, replaced: true, .. } => {
            format!("전송요구 완료 (자산 {assets}개, 이전 전송요구를 대신함)")
        }
        LinkOutcome::Refused { error, detail, .. } => format!("정보제공자가 거절함: {error} {detail}"),
        LinkOutcome::Unreachable { detail, .. } => format!("정보제공자가 응답하지 않음: {detail}"),
        LinkOutcome::Uncertain { .. } => "완료 여부를 알 수 없음: 새 서명으로 다시 연결하세요".to_owned(),
        LinkOutcome::ListsUnread { detail } => format!("자산 목록을 읽지 못함: {detail}"),
    }
}

/// The selection form: every provider, at most [`BULK_LIMIT`] of them chosen at once.
pub(crate) async fn form(State(app): App, Query(q): Query<Who>) -> Response {
    let Some(customer) = app.customer(&q.customer) else {
        return (StatusCode::NOT_FOUND, page("알 수 없는 고객", "")).into_response();
    };
    let found = async { Ok::<_, StoreError>((app.store().links().await?, InstitutionNames::of(app.store()).await?)) };
    let (links, names) = match found.await {
        Ok(found) => found,
        Err(e) => return store_failure_page(&e),
    };
    let live: Vec<_> =
        links.into_iter().filter(|l| l.customer_id == customer.customer_id && l.stop_reason.is_none()).collect();
    // From the first consent's last month, every live one can be extended with one signature
    // (technical guideline 2022 ch.3 라): they are chosen already.
    let extending = live.iter().any(crate::web::extensible);
    let boxes: String = app
        .providers()
        .iter()
        .map(|p| {
            let chosen = extending && live.iter().any(|l| l.org_code == p.org_code);
            format!(
                "<li><label><input type=\"checkbox\" name=\"org\" value=\"{o}\"{checked}> {n} ({i})</label></li>",
                o = escape(&p.org_code),
                n = escape(&names.name(&p.org_code, &p.industry)),
                i = escape(industry_korean(&p.industry)),
                checked = if chosen { " checked" } else { "" },
            )
        })
        .collect();
    let extension = if extending {
        "<p>전송요구 기간이 곧 끝나는 기관이 있습니다. 지금 연결된 모든 기관의 기간을 한 번에 연장할 수 있도록 \
         골라 두었습니다 (새 전송요구가 이전 토큰을 대신합니다).</p>"
    } else {
        ""
    };
    let body = format!(
        "{extension}<p>{c}님, 전송요구할 정보제공자를 고르세요 (한 번에 최대 {BULK_LIMIT}개). 인증서로 한 번 서명하면 \
         고른 모든 기관에 전송요구가 전달됩니다.</p>\
         <form method=\"post\" action=\"/integrated\"><input type=\"hidden\" name=\"customer\" value=\"{c}\">\
         <ul>{boxes}</ul><button type=\"submit\">인증서로 서명하고 전송요구</button></form>",
        c = escape(&customer.customer_id)
    );
    page("통합인증 전송요구", &body).into_response()
}

/// The customer's choice: 통합인증 at every chosen provider, and a table of the outcomes.
pub(crate) async fn submit(State(app): App, body: Bytes) -> Response {
    let mut customer_id = String::new();
    let mut orgs: Vec<String> = Vec::new();
    for (name, value) in form_urlencoded::parse(&body) {
        match name.as_ref() {
            "customer" => customer_id = value.into_owned(),
            "org" => orgs.push(value.into_owned()),
            _ => {}
        }
    }
    if orgs.len() > BULK_LIMIT {
        let detail = format!("{}개를 골랐습니다. 한 번에 최대 {BULK_LIMIT}개 기관까지 고를 수 있습니다.", orgs.len());
        return bad_request("선택한 기관이 너무 많습니다", &detail);
    }
    if orgs.is_empty() {
        return bad_request("선택한 기관이 없습니다", "전송요구할 정보제공자를 하나 이상 고르세요.");
    }
    let Some(customer) = app.customer(&customer_id).cloned() else {
        return (StatusCode::NOT_FOUND, page("알 수 없는 고객", "")).into_response();
    };
    let mut chosen = Vec::new();
    for org in &orgs {
        match app.providers().iter().find(|p| &p.org_code == org) {
            Some(p) => chosen.push(p.clone()),
            None => return bad_request("알 수 없는 정보제공자", org),
        }
    }
    let Some((signer, ca_code)) = app.signing().and_then(|s| s.signer(&customer.customer_id)) else {
        return bad_request("인증서가 없습니다", "이 고객의 통합인증 인증서가 없어 서명할 수 없습니다.");
    };
    let config = app.config();
    let today = mydata_collector::rules::korean_today();
    let terms = ConsentTerms {
        fnd_cycle: Some("1/w".into()),
        add_cycle: Some("1/w".into()),
        end_date: today + Days::new(365),
        purpose: "자산관리 서비스 제공".into(),
        period: chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date"),
    };
    let domain = config.redirect_uri.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_default();
    let auth = IntegratedAuth::new(
        app.client(),
        app.store().clone(),
        IntegratedConfig::new(&config.org_code, &ca_code, domain),
    );
    let linking = LinkingCustomer { customer_id: customer.customer_id.clone(), ci: customer.ci.clone() };
    match auth.link(&linking, &chosen, &terms, signer.as_ref()).await {
        Ok(outcomes) => {
            let names = match InstitutionNames::of(app.store()).await {
                Ok(names) => names,
                Err(e) => return store_failure_page(&e),
            };
            let rows: String = outcomes
                .iter()
                .map(|o| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&names.name(&o.org_code, &o.industry)),
                        escape(industry_korean(&o.industry)),
                        escape(&outcome_text(&o.outcome))
                    )
                })
                .collect();
            let linked = outcomes.iter().filter(|o| o.outcome.is_linked()).count();
            let body = format!(
                "<p>{linked}/{} 기관 전송요구 완료</p><table><tr><th>정보제공자</th><th>업권</th><th>결과</th></tr>{rows}</table>\
                 {COLLECT_BUTTON}<p><a href=\"/dashboard?customer={c}\">자산 보기</a></p>",
                outcomes.len(),
                c = escape(&customer.customer_id)
            );
            page("통합인증 결과", &body).into_response()
        }
        Err(e) => bad_request("통합인증을 시작하지 못했습니다", &e.to_string()),
    }
}
