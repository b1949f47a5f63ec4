//! 개별인증-001: the operator's server asks for authorization; the provider validates the request
//! and answers with a 302 to its own consent page (ch.3 ④, web method). There the customer signs in
//! (CI checked against x-user-ci), chooses what to send, and the provider records the consent and
//! redirects to the operator's callback with code, state and api_tran_id.

use super::choices::customer_assets;
use super::consent_form::{Choice, ConsentPage, Parties};
use super::customer_auth::{SignInContext, SignInRefusal, SignInStep};
use super::page::{escape, message, render};
use super::{digest, form_pairs, random_secret};
use crate::Provider;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use mydata_domain::{Consent, ConsentStatus};
use mydata_spec::Industry;
use mydata_spec::KnownApi;
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
    connection: crate::transport::CallerConnection,
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
    if let Err(refusal) = provider.check_oauth_caller(&client.client_id, &connection).await {
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
    // ch.3 ③: the app to return to is one the operator registered for this service (지원-003).
    let app_scheme = params.get("app_scheme").cloned().unwrap_or_default();
    if !client.registered_app_scheme(&app_scheme) {
        return fail("invalid_request", "app_scheme is not one registered at the portal for this service");
    }
    let handle = random_secret();
    let now = Utc::now().timestamp();
    let session = AuthSession {
        session_digest: digest(&handle),
        org_code,
        client_id: client.client_id,
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        app_scheme,
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

pub(super) fn industry_of(provider: &Provider, org_code: &str) -> Option<Industry> {
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
    let assets = match customer_assets(provider.store.as_ref(), &session.org_code, industry, customer_id).await {
        Ok(assets) => assets,
        Err(e) => return server_error(e),
    };
    let today = mydata_spec::time::korean_date(Utc::now());
    let earlier = earlier_consent(&provider, &session, customer_id, today).await;
    let parties = Parties::of(&provider, &session).await;
    ConsentPage { handle: &handle, parties: &parties, industry, assets: &assets, earlier: earlier.as_ref(), today }
        .render()
}

async fn sign_in_page(provider: &Provider, session: &AuthSession, handle: &str) -> Response {
    let parties = Parties::of(provider, session).await;
    let auth = &provider.customer_auth;
    let body = format!(
        "{notice}<form method=\"post\" action=\"{CONSENT_PATH}/{handle}/sign-in\">{fields}\
         <div class=\"actions\"><button type=\"submit\" id=\"sign-in\">본인인증</button></div></form>",
        notice = parties.sign_in_notice(),
        handle = escape(handle),
        fields = auth.form_html(&parties.institution),
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
    let choice = match Choice::read(&pairs, industry, &offered, today) {
        Ok(choice) => choice,
        Err(problem) => return finish_with_error(&provider, &session, "invalid_request", &problem, now).await,
    };
    let service = Parties::of(&provider, &session).await.service;
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
        purpose: format!("{service} 서비스 제공"),
        // 공통-002: individual authentication keeps the data until the service ends (99991231).
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
