//! 개별인증-001: the operator's server asks for authorization; the provider validates the request
//! and answers with a 302 to its own consent page (ch.3 ④, web method). There the customer signs in
//! (CI checked against x-user-ci), chooses what to send, and the provider records the consent and
//! redirects to the operator's callback with code, state and api_tran_id.

use super::choices::{AssetChoice, customer_assets, optional_items, yes_no_scopes};
use super::customer_auth::{SignInContext, SignInRefusal, SignInStep};
use super::page::{escape, message, render};
use super::{digest, form_pairs, random_secret};
use crate::Provider;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use mydata_domain::cycle::{Cycle, CycleUnit};
use mydata_domain::{
    CHOOSABLE_CYCLES, Consent, ConsentAssets, ConsentOptions, ConsentStage, ConsentStatus, ConsentTerms, ScopeSet,
};
use mydata_spec::Industry;
use mydata_spec::KnownApi;
use mydata_spec::catalogue::list_scope;
use mydata_spec::fields::Location;
use mydata_spec::validate::{check_params, check_value};
use mydata_store::{AuthSession, AuthorizationCode, ConsentRecord, ConsentRecordRefusal};
use mydata_web::error::json_response;
use mydata_web::tran_id::RequestTranId;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// The consent cookie's name; over HTTPS with the `__Host-` prefix (Secure, this host only, Path=/),
/// which no other site or plain-HTTP page can set.
fn cookie_name(provider: &Provider) -> &'static str {
    if provider.transport.https { "__Host-mydata_consent" } else { "mydata_consent" }
}
pub(super) const CONSENT_PATH: &str = "/oauth/2.0/consent";

/// A cycle as the page names it: `주 1회`.
fn cycle_label(cycle: Cycle) -> String {
    let unit = match cycle.unit {
        CycleUnit::Day => "일",
        CycleUnit::Week => "주",
        CycleUnit::Month => "월",
    };
    format!("{unit} {}회", cycle.calls)
}

/// 첨부1 ①: client_id or redirect_uri unusable — answered directly, as JSON, never redirected.
fn direct_error(description: &str, params: &HashMap<String, String>, tran_id: Option<&RequestTranId>) -> Response {
    let mut body = json!({ "error": "invalid_request", "error_description": description });
    if let Some(state) = params.get("state") {
        body["state"] = json!(state);
    }
    if let Some(id) = tran_id {
        body["api_tran_id"] = json!(id.0.as_str());
    }
    json_response(StatusCode::BAD_REQUEST, &body)
}

/// A 302 to the operator's callback with `pairs` added to its query.
fn redirect(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        // Registered callbacks are validated URLs; a corrupt one must not become an open redirect.
        return message(StatusCode::BAD_REQUEST, "요청 오류", "등록된 Callback URL이 올바르지 않습니다.");
    };
    url.query_pairs_mut().extend_pairs(pairs.iter().copied());
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// 첨부1 ②: any other problem goes back to the callback.
fn redirect_error(redirect_uri: &str, error: &str, description: &str, state: &str, tran_id: &str) -> Response {
    let mut pairs = vec![("error", error), ("error_description", description), ("state", state)];
    if !tran_id.is_empty() {
        pairs.push(("api_tran_id", tran_id));
    }
    redirect(redirect_uri, &pairs)
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `GET /oauth/2.0/authorize`.
pub async fn start(
    State(provider): State<Arc<Provider>>,
    tran_id: Option<Extension<RequestTranId>>,
    peer: Option<Extension<mydata_web::tls::PeerCertificate>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let tran_id = tran_id.map(|Extension(id)| id);
    let client = match params.get("client_id") {
        Some(id) => match provider.store.client(id).await {
            Ok(client) => client,
            Err(e) => return super::OAuthFailure::from(e).into_response(),
        },
        None => None,
    };
    let Some(client) = client else { return direct_error("invalid_client_id", &params, tran_id.as_ref()) };
    let redirect_uri = params.get("redirect_uri").map(String::as_str).unwrap_or_default();
    if !client.redirect_uris.iter().any(|registered| registered == redirect_uri) {
        return direct_error("invalid_redirection", &params, tran_id.as_ref());
    }
    // The operator's server calls here as it calls every API: with its institution's certificate.
    let peer = peer.as_ref().map(|Extension(p)| p);
    if let Err(refusal) = provider.check_oauth_caller(&client.client_id, peer).await {
        return refusal.into_response();
    }
    let state = params.get("state").cloned().unwrap_or_default();
    let tran_text = tran_id.as_ref().map(|id| id.0.as_str().to_owned()).unwrap_or_default();
    let fail = |error: &str, description: &str| redirect_error(redirect_uri, error, description, &state, &tran_text);

    if tran_id.is_none() {
        return fail("invalid_request", "x-api-tran-id is missing or malformed");
    }
    let user_ci = match header_text(&headers, "x-user-ci") {
        Some(ci) if check_value("B64(100)", ci).is_ok() => ci.to_owned(),
        _ => return fail("invalid_request", "x-user-ci is missing or malformed"),
    };
    // However often an operator asks, one customer's consent requests stay few.
    if provider.limiters().customer(&user_ci).is_err() {
        return fail("temporarily_unavailable", "too many consent requests for this customer; retry later");
    }
    match params.get("response_type").map(String::as_str) {
        None => return fail("invalid_request", "response_type is required"),
        Some("code") => {}
        Some(_) => return fail("unsupported_response_type", "response_type must be code"),
    }
    let spec = KnownApi::Authorize.spec();
    if let Some(v) = check_params(&spec.fields().request, Location::Query, &params).first() {
        return fail("invalid_request", &format!("{} {}", v.field, v.problem));
    }
    let org_code = params.get("org_code").cloned().unwrap_or_default();
    if provider.config.orgs.iter().all(|o| o.org_code != org_code) {
        return fail("invalid_request", "org_code is not served here");
    }
    let handle = random_secret();
    let now = Utc::now().timestamp();
    let session = AuthSession {
        session_digest: digest(&handle),
        org_code,
        client_id: client.client_id,
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        app_scheme: params.get("app_scheme").cloned().unwrap_or_default(),
        tran_id: tran_text.clone(),
        user_ci,
        customer_id: None,
        browser_digest: None,
        created_at: now,
        expires_at: now + provider.config.lifetimes.session_secs,
        closed_at: None,
    };
    if let Err(e) = provider.store.insert_auth_session(&session).await {
        tracing::error!(error = %e, "storing an authorization session");
        return fail("server_error", "server error");
    }
    purge_now_and_then(&provider, now);
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{CONSENT_PATH}/{handle}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Sessions are purged once they expired, every [`PURGE_EVERY`] requests, so that requests nobody
/// answers (anyone who knows a client_id may start one) do not pile up.
const PURGE_EVERY: u64 = 256;

fn purge_now_and_then(provider: &Arc<Provider>, now: i64) {
    if !provider.sessions_started.fetch_add(1, std::sync::atomic::Ordering::Relaxed).is_multiple_of(PURGE_EVERY) {
        return;
    }
    let store = provider.store.clone();
    tokio::spawn(async move {
        match store.purge_auth_sessions(now).await {
            Ok(purged) => tracing::debug!(purged, "expired consent-page sessions purged"),
            Err(e) => tracing::warn!(error = %e, "purging expired consent-page sessions"),
        }
    });
}

/// The open session a consent-page request names, or the page to answer instead.
async fn open_session(provider: &Provider, handle: &str, now: i64) -> Result<AuthSession, Response> {
    let session = match provider.store.auth_session(&digest(handle)).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(message(StatusCode::NOT_FOUND, "요청 없음", "진행 중인 인증 요청이 없습니다.")),
        Err(e) => return Err(server_error(e)),
    };
    if session.closed_at.is_some() {
        return Err(message(StatusCode::CONFLICT, "처리 완료", "이미 처리된 인증 요청입니다."));
    }
    if now >= session.expires_at {
        return Err(finish_with_error(provider, &session, "access_denied", "the consent page expired", now).await);
    }
    Ok(session)
}

fn server_error(e: mydata_store::StoreError) -> Response {
    tracing::error!(error = %e, "store failure on the consent page");
    message(StatusCode::INTERNAL_SERVER_ERROR, "일시적 오류", "잠시 후 다시 시도해 주십시오.")
}

/// Closes the session and sends the customer back to the operator with an error.
async fn finish_with_error(provider: &Provider, s: &AuthSession, error: &str, description: &str, now: i64) -> Response {
    match provider.store.close_auth_session(&s.session_digest, now).await {
        Ok(true) => redirect_error(&s.redirect_uri, error, description, &s.state, &s.tran_id),
        Ok(false) => message(StatusCode::CONFLICT, "처리 완료", "이미 처리된 인증 요청입니다."),
        Err(e) => server_error(e),
    }
}

fn browser_cookie(provider: &Provider, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(provider);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.to_owned())
}

/// Whether this request comes from the browser the customer signed in with.
fn same_browser(provider: &Provider, session: &AuthSession, headers: &HeaderMap) -> bool {
    match (&session.browser_digest, browser_cookie(provider, headers)) {
        (Some(expected), Some(cookie)) => *expected == digest(&cookie),
        _ => false,
    }
}

fn industry_of(provider: &Provider, org_code: &str) -> Option<Industry> {
    provider.config.orgs.iter().find(|o| o.org_code == org_code).map(|o| o.industry)
}

/// `GET /oauth/2.0/consent/{session}`: the sign-in page, then the consent page.
pub async fn show(State(provider): State<Arc<Provider>>, Path(handle): Path<String>, headers: HeaderMap) -> Response {
    let now = Utc::now().timestamp();
    let session = match open_session(&provider, &handle, now).await {
        Ok(session) => session,
        Err(page) => return page,
    };
    let Some(customer_id) = &session.customer_id else { return sign_in_page(&provider, &session, &handle).await };
    if !same_browser(&provider, &session, &headers) {
        return message(StatusCode::FORBIDDEN, "본인인증 필요", "본인인증을 한 브라우저에서만 계속할 수 있습니다.");
    }
    let Some(industry) = industry_of(&provider, &session.org_code) else {
        return finish_with_error(&provider, &session, "server_error", "institution no longer served", now).await;
    };
    match customer_assets(provider.store.as_ref(), &session.org_code, industry, customer_id).await {
        Ok(assets) => consent_page(&provider, &session, &handle, industry, &assets).await,
        Err(e) => server_error(e),
    }
}

async fn client_name(provider: &Provider, client_id: &str) -> String {
    match provider.store.client(client_id).await {
        Ok(Some(client)) => client.client_name,
        _ => client_id.to_owned(),
    }
}

async fn sign_in_page(provider: &Provider, session: &AuthSession, handle: &str) -> Response {
    let name = client_name(provider, &session.client_id).await;
    let auth = &provider.customer_auth;
    let body = format!(
        "<p class=\"notice\">{client}에서 {org}에 개인신용정보 전송을 요구하려 합니다. 본인임을 확인해 주십시오.</p>\
         <form method=\"post\" action=\"{CONSENT_PATH}/{handle}/sign-in\">{fields}\
         <button type=\"submit\" id=\"sign-in\">본인인증</button></form>",
        client = escape(&name),
        org = escape(&session.org_code),
        handle = escape(handle),
        fields = auth.form_html(&session.org_code),
    );
    let title = if auth.is_demo() { "본인인증 (데모)" } else { "본인인증" };
    render(StatusCode::OK, title, &body)
}

/// `POST /oauth/2.0/consent/{session}/sign-in`: the customer starts signing in; the browser gets its
/// consent cookie now, and either is signed in at once or goes to the institution's login.
pub async fn sign_in(State(provider): State<Arc<Provider>>, Path(handle): Path<String>, body: Bytes) -> Response {
    let now = Utc::now().timestamp();
    let session = match open_session(&provider, &handle, now).await {
        Ok(session) => session,
        Err(page) => return page,
    };
    if session.customer_id.is_some() {
        return message(StatusCode::CONFLICT, "처리 완료", "이미 본인인증을 마친 요청입니다.");
    }
    let browser = random_secret();
    let context = SignInContext {
        store: provider.store.as_ref(),
        org_code: &session.org_code,
        handle: &handle,
        browser_secret: &browser,
    };
    let step = provider.customer_auth.start(&context, &form_pairs(&body)).await;
    let response = match step {
        Ok(SignInStep::Identified(ci)) => signed_in(&provider, &session, &handle, &ci, &browser, now).await,
        Ok(SignInStep::Redirect(login)) => see_other(&login),
        Err(refusal) => return refused_sign_in(&provider, &session, refusal, now).await,
    };
    with_cookie(&provider, response, &browser)
}

/// `GET /oauth/2.0/sign-in/return`: the customer comes back from the institution's login; `state`
/// names the consent page.
pub async fn sign_in_return(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let now = Utc::now().timestamp();
    let Some(handle) = query.get("state") else {
        return message(StatusCode::BAD_REQUEST, "요청 오류", "로그인 결과에 인증 요청이 없습니다.");
    };
    let session = match open_session(&provider, handle, now).await {
        Ok(session) => session,
        Err(page) => return page,
    };
    if session.customer_id.is_some() {
        return message(StatusCode::CONFLICT, "처리 완료", "이미 본인인증을 마친 요청입니다.");
    }
    // The login was started from this browser: its cookie holds what the nonce and PKCE derive from.
    let Some(browser) = browser_cookie(&provider, &headers) else {
        let refusal = SignInRefusal::Refused("the return came to a browser that did not start the sign-in".into());
        return refused_sign_in(&provider, &session, refusal, now).await;
    };
    let context =
        SignInContext { store: provider.store.as_ref(), org_code: &session.org_code, handle, browser_secret: &browser };
    match provider.customer_auth.finish(&context, &query).await {
        Ok(ci) => signed_in(&provider, &session, handle, &ci, &browser, now).await,
        Err(refusal) => refused_sign_in(&provider, &session, refusal, now).await,
    }
}

/// The customer proved `ci`: binds the session to them and this browser, or ends it if they are
/// not the customer the operator named.
async fn signed_in(
    provider: &Provider,
    session: &AuthSession,
    handle: &str,
    ci: &str,
    browser: &str,
    now: i64,
) -> Response {
    // ch.3 ⑧: the customer who signs in must be the one the operator named (x-user-ci). An unknown
    // customer is answered the same way, so the page reveals nothing about who is a customer.
    let customer = match provider.store.customer_by_ci(&session.org_code, ci).await {
        Ok(customer) => customer.filter(|c| c.ci == session.user_ci),
        Err(e) => return server_error(e),
    };
    let Some(customer) = customer else {
        return finish_with_error(provider, session, "unauthorized_user", "CI mismatch", now).await;
    };
    match provider
        .store
        .sign_in_auth_session(&session.session_digest, &customer.customer_id, &digest(browser), now)
        .await
    {
        Ok(true) => see_other(&format!("{CONSENT_PATH}/{handle}")),
        Ok(false) => message(StatusCode::CONFLICT, "처리 완료", "이미 처리된 인증 요청입니다."),
        Err(e) => server_error(e),
    }
}

async fn refused_sign_in(provider: &Provider, session: &AuthSession, refusal: SignInRefusal, now: i64) -> Response {
    tracing::info!(org_code = %session.org_code, client_id = %session.client_id, reason = %refusal, "sign-in refused");
    match refusal {
        SignInRefusal::Unidentified(_) => {
            finish_with_error(provider, session, "unauthorized_user", "the customer was not identified", now).await
        }
        SignInRefusal::Refused(_) => {
            finish_with_error(provider, session, "access_denied", "the sign-in failed", now).await
        }
        // The session stays open: the customer may try again when the login is back.
        SignInRefusal::Unavailable(_) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "일시적 오류",
            "본인인증 서비스에 연결할 수 없습니다. 잠시 후 다시 시도해 주십시오.",
        ),
    }
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Gives the browser its consent cookie (`browser`), unless the answer ended the request.
fn with_cookie(provider: &Provider, mut response: Response, browser: &str) -> Response {
    if response.status() != StatusCode::SEE_OTHER {
        return response;
    }
    // Lax, not Strict: the return from the institution's login is a navigation from another site.
    let cookie = format!(
        "{}={browser}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        cookie_name(provider),
        provider.config.lifetimes.session_secs,
        if provider.transport.https { "; Secure" } else { "" }
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

fn checkbox(name: &str, value: &str, label: &str, id: &str, checked: bool) -> String {
    format!(
        "<label><input type=\"checkbox\" name=\"{}\" value=\"{}\" id=\"{}\"{}> {}</label>",
        escape(name),
        escape(value),
        escape(id),
        if checked { " checked" } else { "" },
        escape(label)
    )
}

/// The customer's live consent with this service here, if any: a 전송요구 변경 starts from its
/// choices (ch.3.2.1.1 ⑧).
async fn earlier_consent(
    provider: &Provider,
    session: &AuthSession,
    customer_id: &str,
    today: NaiveDate,
) -> Option<Consent> {
    let consents = match provider.store.consents_of_customer(&session.org_code, customer_id).await {
        Ok(consents) => consents,
        Err(e) => {
            tracing::warn!(error = %e, "reading the customer's earlier consent for the consent page");
            return None;
        }
    };
    consents.into_iter().find(|c| c.client_id == session.client_id && c.check_active(today).is_ok())
}

async fn consent_page(
    provider: &Provider,
    session: &AuthSession,
    handle: &str,
    industry: Industry,
    assets: &[AssetChoice],
) -> Response {
    let name = client_name(provider, &session.client_id).await;
    let today = mydata_spec::time::korean_date(Utc::now());
    let customer_id = session.customer_id.as_deref().unwrap_or_default();
    let earlier = earlier_consent(provider, session, customer_id, today).await;
    let mut body = format!(
        "<p class=\"notice\">{}에 전송할 개인신용정보를 선택해 주십시오. 선택하지 않은 정보는 전송되지 않습니다.</p>\
         <form method=\"post\" action=\"{CONSENT_PATH}/{}\">",
        escape(&name),
        escape(handle)
    );
    if earlier.is_some() {
        body.push_str(
            "<p class=\"notice\" id=\"change-notice\">이미 전송을 요구하고 계신 내용이 선택되어 있습니다. \
             바꾸실 부분만 고쳐 주십시오. 새 전송요구가 이전 것을 대신합니다.</p>",
        );
    }
    body.push_str("<fieldset><legend>전송을 요구하는 개인신용정보</legend>");
    if assets.is_empty() && yes_no_scopes(industry).is_empty() {
        body.push_str("<p>전송할 수 있는 자산이 없습니다. 자산 목록만 전송됩니다.</p>");
    }
    for (n, asset) in assets.iter().enumerate() {
        let chosen = earlier.as_ref().is_some_and(|c| c.assets.contains(asset.asset.list_id(), &asset.asset.key));
        body.push_str(&checkbox("asset", &asset.asset.to_string(), &asset.label, &format!("asset-{n}"), chosen));
    }
    for scope in yes_no_scopes(industry) {
        let label = mydata_spec::catalogue::info_apis(industry)
            .find(|a| a.scope_for(industry).as_deref() == Some(scope.as_str()))
            .map(|a| a.name)
            .unwrap_or(scope.as_str());
        let chosen = earlier.as_ref().is_some_and(|c| c.scopes.contains(&scope));
        body.push_str(&checkbox("scope", &scope, label, &format!("scope-{scope}"), chosen));
    }
    body.push_str("</fieldset><fieldset><legend>정기적 전송</legend>");
    let scheduled = earlier.as_ref().is_some_and(|c| c.is_scheduled);
    body.push_str(&checkbox("is_scheduled", "true", "정기적 전송을 요구합니다", "is_scheduled", scheduled));
    body.push_str("<label>주기 <select name=\"cycle\" id=\"cycle\">");
    let earlier_cycle = earlier.as_ref().and_then(|c| c.fnd_cycle.as_deref());
    for cycle in CHOOSABLE_CYCLES {
        let value = cycle.to_string();
        let selected = if earlier_cycle == Some(value.as_str()) { " selected" } else { "" };
        body.push_str(&format!("<option value=\"{value}\"{selected}>{}</option>", cycle_label(cycle)));
    }
    let end_dates = ConsentStage::Assets.end_dates(today);
    let latest = *end_dates.end();
    let end = earlier.as_ref().map(|c| c.end_date).filter(|d| end_dates.contains(d)).unwrap_or(latest);
    body.push_str(&format!(
        "</select></label><p class=\"hint\">정기적 전송을 요구하시면 이 서비스가 고르신 주기마다 한 번씩 \
         최신 정보를 자동으로 받아 갑니다. 요구하지 않으시면 앱을 여실 때에만 받아 갑니다.</p></fieldset>\
         <fieldset><legend>전송요구 종료시점</legend>\
         <label>종료일 <input type=\"date\" name=\"end_date\" id=\"end_date\" value=\"{end}\" min=\"{today}\" max=\"{latest}\" required></label>\
         <p class=\"hint\">이 날이 끝나면 전송이 멈춥니다. 최대 1년({latest_text})까지 정하실 수 있고, 언제든 철회하실 수 있습니다.</p></fieldset>",
        latest_text = latest.format("%Y년 %-m월 %-d일"),
    ));
    let optional = optional_items(industry);
    let chosen = earlier.as_ref().map(|c| c.options).unwrap_or_default();
    let mut extras = String::new();
    if optional.trans_memo {
        extras.push_str(&checkbox("option", "trans_memo", "적요/거래메모", "option-trans_memo", chosen.trans_memo));
    }
    if optional.merchant_name_regno {
        let label = "가맹점명/사업자등록번호";
        extras.push_str(&checkbox(
            "option",
            "merchant_name_regno",
            label,
            "option-merchant",
            chosen.merchant_name_regno,
        ));
    }
    if optional.trans_category {
        let label = "상품(구매) 분류";
        extras.push_str(&checkbox("option", "trans_category", label, "option-category", chosen.trans_category));
    }
    if !extras.is_empty() {
        body.push_str(&format!("<fieldset><legend>선택 전송항목</legend>{extras}</fieldset>"));
    }
    body.push_str(&format!(
        "<p class=\"notice\">목적: {} 서비스 제공 · 보유기간: 서비스 탈퇴 또는 삭제 요구 시까지</p>\
         <button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">전송요구</button>\
         <button type=\"submit\" name=\"decision\" value=\"refuse\" id=\"refuse\">취소</button></form>",
        escape(&name)
    ));
    render(StatusCode::OK, "개인신용정보 전송요구", &body)
}

/// The customer's choices, checked against what was offered.
struct Choice {
    assets: ConsentAssets,
    scopes: ScopeSet,
    terms: ConsentTerms,
    options: ConsentOptions,
}

fn read_choice(
    pairs: &[(String, String)],
    industry: Industry,
    offered: &[AssetChoice],
    today: NaiveDate,
) -> Result<Choice, String> {
    fn values<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
        pairs.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    let mut scopes: ScopeSet = list_scope(industry).parse().map_err(|e| format!("{e}"))?;
    let mut assets = ConsentAssets::default();
    for named in values(pairs, "asset") {
        // An asset is named by its list and its key (`은행-001:…`), as the page offered it.
        let asset = offered.iter().find(|a| a.asset.to_string() == named).ok_or("an asset that was not offered")?;
        asset.scopes.iter().for_each(|s| scopes.insert(s.clone()));
        assets.insert(asset.asset.clone());
    }
    let yes_no = yes_no_scopes(industry);
    for scope in values(pairs, "scope") {
        if !yes_no.iter().any(|s| s == scope) {
            return Err(format!("scope {scope} was not offered"));
        }
        scopes.insert(scope);
    }
    let is_scheduled = values(pairs, "is_scheduled").any(|v| v == "true");
    // The page always sends its select's cycle; it counts only when 정기적 전송 is ticked.
    let cycle = values(pairs, "cycle").next().filter(|_| is_scheduled).map(str::to_owned);
    let end_text = values(pairs, "end_date").next().ok_or("end_date is required")?;
    let end_date = NaiveDate::parse_from_str(end_text, "%Y-%m-%d").map_err(|_| "end_date is not a date")?;
    let terms = ConsentTerms {
        is_scheduled,
        fnd_cycle: cycle.clone(),
        add_cycle: cycle,
        end_date,
        // 공통-002: individual authentication keeps the data until the service ends.
        period: *ConsentStage::Assets.periods(today).start(),
    };
    terms.check(ConsentStage::Assets, today).map_err(|e| e.to_string())?;
    let optional = optional_items(industry);
    let option = |name: &str, applies: bool| applies && values(pairs, "option").any(|v| v == name);
    Ok(Choice {
        assets,
        scopes,
        terms,
        options: ConsentOptions {
            trans_memo: option("trans_memo", optional.trans_memo),
            merchant_name_regno: option("merchant_name_regno", optional.merchant_name_regno),
            trans_category: option("trans_category", optional.trans_category),
        },
    })
}

/// `POST /oauth/2.0/consent/{session}`: approve or refuse.
pub async fn answer(
    State(provider): State<Arc<Provider>>,
    Path(handle): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = Utc::now().timestamp();
    let session = match open_session(&provider, &handle, now).await {
        Ok(session) => session,
        Err(page) => return page,
    };
    let (Some(customer_id), true) = (&session.customer_id, same_browser(&provider, &session, &headers)) else {
        return message(StatusCode::FORBIDDEN, "본인인증 필요", "본인인증을 한 브라우저에서만 계속할 수 있습니다.");
    };
    let pairs = form_pairs(&body);
    if !pairs.iter().any(|(k, v)| k == "decision" && v == "approve") {
        return finish_with_error(&provider, &session, "access_denied", "the customer refused", now).await;
    }
    let Some(industry) = industry_of(&provider, &session.org_code) else {
        return finish_with_error(&provider, &session, "server_error", "institution no longer served", now).await;
    };
    let offered = match customer_assets(provider.store.as_ref(), &session.org_code, industry, customer_id).await {
        Ok(offered) => offered,
        Err(e) => return server_error(e),
    };
    let today = mydata_spec::time::korean_date(Utc::now());
    let choice = match read_choice(&pairs, industry, &offered, today) {
        Ok(choice) => choice,
        Err(problem) => return finish_with_error(&provider, &session, "invalid_request", &problem, now).await,
    };
    let name = client_name(&provider, &session.client_id).await;
    let consent = Consent {
        consent_id: uuid::Uuid::new_v4().to_string(),
        org_code: session.org_code.clone(),
        customer_id: customer_id.clone(),
        client_id: session.client_id.clone(),
        scopes: choice.scopes,
        assets: choice.assets,
        is_scheduled: choice.terms.is_scheduled,
        fnd_cycle: choice.terms.fnd_cycle,
        add_cycle: choice.terms.add_cycle,
        end_date: choice.terms.end_date,
        purpose: format!("{name} 서비스 제공"),
        period: choice.terms.period,
        options: choice.options,
        status: ConsentStatus::Active,
        created_at: now,
    };
    let code = random_secret();
    let code_record = AuthorizationCode {
        code_digest: digest(&code),
        consent_id: consent.consent_id.clone(),
        client_id: session.client_id.clone(),
        redirect_uri: session.redirect_uri.clone(),
        created_at: now,
        expires_at: now + provider.config.lifetimes.code_secs,
        redeemed_at: None,
        pair_id: None,
    };
    let record = ConsentRecord {
        consent: &consent,
        closes_session: Some(&session.session_digest),
        code: Some(&code_record),
        tokens: &[],
        nonces: &[],
    };
    match provider.store.record_consent(&record, now).await {
        Ok(Ok(())) => redirect(
            &session.redirect_uri,
            &[("code", &code), ("state", &session.state), ("api_tran_id", &session.tran_id)],
        ),
        Ok(Err(ConsentRecordRefusal::SessionClosed)) => {
            message(StatusCode::CONFLICT, "처리 완료", "이미 처리된 인증 요청입니다.")
        }
        Ok(Err(ConsentRecordRefusal::NonceReplayed)) => {
            server_error(mydata_store::StoreError::Corrupt("a consent page recorded a nonce".into()))
        }
        Err(e) => server_error(e),
    }
}
