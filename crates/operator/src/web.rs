//! The operator's web face: the front page (each customer's consent at each provider), the consent
//! button's redirect (개별인증-001), the callback (개별인증-002), 통합인증 at many providers at once
//! ([`crate::integrated_page`]), a collect button, and each customer's dashboard ([`crate::dashboard`]).

use crate::institutions::{InstitutionNames, industry_korean};
use crate::integrated_page::{self, CustomerSigning};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use mydata_client::{AuthorizeAnswer, AuthorizeRequest, Client, Credentials, StopReason, Tokens};
use mydata_collector::store::ProviderRow;
use mydata_collector::{Collector, CollectorConfig, OperatorStore, OperatorSupport, Progress};
use mydata_store::StoreError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub(crate) use mydata_web::html::escape;

/// Who the operator is to providers and to browsers.
pub struct OperatorConfig {
    /// Its org_code, the head of every x-api-tran-id it sends (첨부14).
    pub org_code: String,
    /// Its service credentials (서비스 자격증명), the same at every provider.
    pub service: Credentials,
    /// Its callback as registered at the portal (`<its URL>/callback`), where providers send
    /// customers' browsers back with the authorization code.
    pub redirect_uri: String,
    /// The `app_scheme` sent with 개별인증-001.
    pub app_scheme: String,
    /// The front page's heading.
    pub title: String,
    /// How it calls providers: with its client certificate (mutual TLS), or over plain HTTP (`None`).
    pub tls: Option<rustls::ClientConfig>,
}

/// A customer signed in to the operator: offered on its pages, and named to providers (x-user-ci) and
/// found by the portal (지원-103) by their CI.
#[derive(Debug, Clone)]
pub struct Customer {
    pub customer_id: String,
    pub ci: String,
}

/// The operator's web face and what it needs; [`OperatorWeb::router`] serves it.
pub struct OperatorWeb {
    config: OperatorConfig,
    store: OperatorStore,
    /// Calls providers, every call counted for 지원-004.
    client: Client,
    /// What the collector calls providers with (the operator's client certificate), if TLS.
    collector_tls: Option<Arc<rustls::ClientConfig>>,
    providers: Vec<ProviderRow>,
    customers: Vec<Customer>,
    /// Consent requests in flight: state → (customer, provider org_code).
    pending: Mutex<HashMap<String, (String, String)>>,
    /// 지원-101..104 and the statistics of every call the operator makes.
    support: Arc<OperatorSupport>,
    /// Where customers' 통합인증 signatures come from, once offered.
    signing: OnceLock<Arc<dyn CustomerSigning>>,
}

impl OperatorWeb {
    /// The web face of the operator `config` names, offering `customers` consent buttons at `providers`.
    pub fn new(
        config: OperatorConfig,
        store: OperatorStore,
        support: Arc<OperatorSupport>,
        providers: Vec<ProviderRow>,
        customers: Vec<Customer>,
    ) -> Arc<OperatorWeb> {
        let timeout = mydata_client::call::DEFAULT_TIMEOUT;
        let client = match config.tls.clone() {
            Some(tls) => Client::with_tls(&config.org_code, timeout, tls),
            None => Client::with_timeout(&config.org_code, timeout),
        };
        Arc::new(OperatorWeb {
            client: client.observed(support.calls.clone()),
            collector_tls: config.tls.clone().map(Arc::new),
            config,
            store,
            providers,
            customers,
            pending: Mutex::new(HashMap::new()),
            support,
            signing: OnceLock::new(),
        })
    }

    /// Offers 통합인증 on the pages, the customers signing through `signing`; the first offer holds.
    pub fn offer_integrated(&self, signing: Arc<dyn CustomerSigning>) {
        let _ = self.signing.set(signing);
    }

    pub(crate) fn signing(&self) -> Option<&Arc<dyn CustomerSigning>> {
        self.signing.get()
    }

    pub(crate) fn config(&self) -> &OperatorConfig {
        &self.config
    }

    pub(crate) fn store(&self) -> &OperatorStore {
        &self.store
    }

    pub(crate) fn providers(&self) -> &[ProviderRow] {
        &self.providers
    }

    /// The pages, and 지원-101..104 beside them — reachable only with the portal's certificate when
    /// `verify_portal` (mutual TLS).
    pub fn router(self: &Arc<Self>, verify_portal: bool) -> Router {
        Router::new()
            .route("/", get(index))
            .route("/connect", get(connect))
            .route("/callback", get(callback))
            .route("/integrated", get(integrated_page::form).post(integrated_page::submit))
            .route("/collect", get(collect_form).post(collect))
            .with_state(self.clone())
            .merge(crate::dashboard::routes(self.store.clone(), self.customer_ids()))
            .route_layer(mydata_web::error::rejections_as(refused_page))
            .fallback(no_such_page)
            .merge(self.support.routes(verify_portal))
    }

    /// A collector over its database that calls providers as it does (its certificate, every call
    /// counted for 지원-004): what the collect page and the sandbox's collection loop run.
    pub fn collector(&self) -> Collector {
        let mut config = CollectorConfig::new(&self.config.org_code);
        config.progress = Progress::Log;
        config.tls = self.collector_tls.clone();
        config.statistics = Some(self.support.calls.clone());
        Collector::new(self.store.clone(), config)
    }

    /// The read API for the operator's own apps ([`crate::read_api`]), which know them by `secret`.
    pub fn read_api(&self, secret: String) -> Router {
        crate::read_api::routes(self.store.clone(), self.client(), secret, self.customer_ids())
    }

    /// How it calls providers (its certificate, every call counted for 지원-004).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    fn provider(&self, org_code: &str) -> Option<&ProviderRow> {
        self.providers.iter().find(|p| p.org_code == org_code)
    }

    pub(crate) fn customer(&self, customer_id: &str) -> Option<&Customer> {
        self.customers.iter().find(|c| c.customer_id == customer_id)
    }

    fn customer_ids(&self) -> Vec<String> {
        self.customers.iter().map(|c| c.customer_id.clone()).collect()
    }

    /// Records the customer's new consent at `org` and their CI, by which the portal asks for their
    /// consents (지원-103).
    async fn link(&self, customer_id: &str, org: &str, tokens: &Tokens, now: i64) -> mydata_store::StoreResult<()> {
        // A pair held before is a duplicate issuance: only the new one is used from now on.
        self.store.record_issuance(customer_id, org, tokens, now).await?;
        if let Some(customer) = self.customer(customer_id) {
            self.store.set_customer_ci(customer_id, &customer.ci, now).await?;
        }
        Ok(())
    }
}

type App = State<Arc<OperatorWeb>>;

/// A path nothing here serves: in JSON under the read API's prefix (its callers are apps) and as
/// 40401 under the support APIs' (the portal's), else a page.
async fn no_such_page(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with(crate::read_api::PREFIX) {
        return crate::read_api::no_such_path(&uri);
    }
    if uri.path().starts_with(mydata_spec::catalogue::SUPPORT_PATH_PREFIX) {
        return mydata_web::error::not_found().await.into_response();
    }
    let body = format!("<p><code>{}</code>: 이 운영자에게 없는 페이지입니다.</p>", escape(uri.path()));
    (StatusCode::NOT_FOUND, page("페이지를 찾을 수 없습니다", &body)).into_response()
}

/// What the web framework refused of a page's request (a query string it cannot read, a method the
/// page lacks), as a page a customer can read: what was wrong in Korean, the framework's own words
/// below it for whoever reports the problem.
fn refused_page(rejection: mydata_web::error::Rejection) -> Response {
    let reason = if rejection.status == StatusCode::METHOD_NOT_ALLOWED {
        "이 페이지는 이런 방식(HTTP method)의 요청을 받지 않습니다.".to_owned()
    } else {
        match missing_field(&rejection.message) {
            Some(field) => format!("요청에 {} 항목이 없습니다.", field_name(field)),
            None => "요청의 항목을 읽을 수 없습니다.".to_owned(),
        }
    };
    let body = format!("<p>{}</p><p><small>{}</small></p>", escape(&reason), escape(&rejection.message));
    (rejection.status, page("요청을 처리할 수 없습니다", &body)).into_response()
}

/// The field serde names in "missing field `org`", the way a query string or form lacking one is refused.
fn missing_field(message: &str) -> Option<&str> {
    message.split("missing field `").nth(1)?.split('`').next()
}

/// A field of the pages' query strings and forms, as a person calls it.
fn field_name(field: &str) -> String {
    match field {
        "customer" => "고객 (customer)".to_owned(),
        "org" => "정보제공자 (org)".to_owned(),
        other => other.to_owned(),
    }
}

/// The operator's database failed a page: logged with its reason, answered with a page saying so.
pub(crate) fn store_failure_page(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "operator page: store failed");
    let body = "<p>운영자의 데이터베이스가 응답하지 않습니다. 잠시 후 다시 시도하세요.</p>";
    (StatusCode::SERVICE_UNAVAILABLE, page("일시적인 오류", body)).into_response()
}

/// The button that collects everything now: a form, since collecting changes what is stored (a link
/// would let any prefetching browser or crawler start a collection).
pub(crate) const COLLECT_BUTTON: &str =
    "<form method=\"post\" action=\"/collect\"><button type=\"submit\">지금 수집 (mydata collect)</button></form>";

pub(crate) fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1>{body}<p><a href=\"/\">처음으로</a></p></body></html>",
        t = escape(title)
    ))
}

/// Whether a live consent's end date (공통-002) is close enough to offer the customer an extension.
pub(crate) fn extensible(link: &mydata_collector::LinkRow) -> bool {
    let end = link.consent.end_date.as_deref().and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y%m%d").ok());
    link.stop_reason.is_none()
        && end
            .is_some_and(|end| mydata_domain::consent::extension_offered(end, mydata_collector::rules::korean_today()))
}

async fn index(State(app): App) -> Response {
    let found = async { Ok::<_, StoreError>((app.store.links().await?, InstitutionNames::of(&app.store).await?)) };
    let (links, names) = match found.await {
        Ok(found) => found,
        Err(e) => return store_failure_page(&e),
    };
    let mut rows = String::new();
    let mut dashboards = String::new();
    for who in &app.customers {
        dashboards.push_str(&format!(
            "<li><a href=\"/dashboard?customer={c}\">{c}님의 자산</a>{integrated}</li>",
            c = escape(&who.customer_id),
            integrated = if app.signing().is_some() {
                // 통합인증 extends every consent at once from the first one's last month (guideline ch.3 라).
                let extending = links.iter().any(|l| l.customer_id == who.customer_id && extensible(l));
                let label = if extending {
                    "통합인증으로 일괄 기간 연장"
                } else {
                    "통합인증으로 여러 기관 연결"
                };
                format!(" · <a href=\"/integrated?customer={}\">{label}</a>", escape(&who.customer_id))
            } else {
                String::new()
            }
        ));
        for p in &app.providers {
            let link = links.iter().find(|l| l.customer_id == who.customer_id && l.org_code == p.org_code);
            let status = match link {
                Some(l) if l.stop_reason.is_some() => {
                    let code = l.stop_reason.as_deref().unwrap_or_default();
                    format!("중단: {}", StopReason::korean_of(code).unwrap_or(code))
                }
                Some(l) if l.first_collected_at.is_some() => "수집됨".to_owned(),
                Some(_) => "전송요구 완료".to_owned(),
                None => "—".to_owned(),
            };
            // An extension is a new consent replacing the old tokens, offered in the consent's last month.
            let extensible = link.is_some_and(extensible);
            rows.push_str(&format!(
                "<tr><td>{c}</td><td>{n} ({i})</td><td>{s}</td>\
                 <td><a href=\"/connect?customer={c}&amp;org={o}\">{action}</a></td></tr>",
                c = escape(&who.customer_id),
                n = escape(&names.name(&p.org_code, &p.industry)),
                o = escape(&p.org_code),
                i = escape(industry_korean(&p.industry)),
                s = escape(&status),
                action = if extensible { "기간 연장" } else { "전송요구" },
            ));
        }
    }
    page(
        &app.config.title,
        &format!(
            "{COLLECT_BUTTON}<ul>{dashboards}</ul>\
             <table><tr><th>고객</th><th>정보제공자</th><th>상태</th><th></th></tr>{rows}</table>"
        ),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct ConnectQuery {
    customer: String,
    org: String,
}

/// 개별인증-001 for the customer at the provider, then the browser goes to the consent page.
async fn connect(State(app): App, Query(q): Query<ConnectQuery>) -> Response {
    let Some(provider) = app.provider(&q.org) else {
        return (StatusCode::NOT_FOUND, page("알 수 없는 정보제공자", "")).into_response();
    };
    let Some(customer) = app.customer(&q.customer) else {
        let known: Vec<&str> = app.customers.iter().map(|c| c.customer_id.as_str()).collect();
        let body = format!("<p>{}</p>", escape(&known.join(", ")));
        return (StatusCode::NOT_FOUND, page("알 수 없는 고객", &body)).into_response();
    };
    let state = uuid::Uuid::new_v4().simple().to_string();
    let request = AuthorizeRequest {
        org_code: &provider.org_code,
        client_id: &app.config.service.client_id,
        redirect_uri: &app.config.redirect_uri,
        app_scheme: &app.config.app_scheme,
        state: &state,
        user_ci: &customer.ci,
    };
    match app.client.authorize(&provider.base_url, &request).await {
        Ok(answer) => {
            app.pending.lock().unwrap_or_else(|e| e.into_inner()).insert(state, (q.customer, q.org));
            match answer {
                AuthorizeAnswer::Web { url } => {
                    let url = if url.starts_with('/') { format!("{}{url}", provider.base_url) } else { url };
                    Redirect::to(&url).into_response()
                }
                // The app method: the customer's phone switches to the provider's app (or installs it).
                AuthorizeAnswer::App(to) => page(
                    "정보제공자 앱에서 인증하세요",
                    &format!(
                        "<p>{org}의 앱에서 인증과 전송요구를 마친 뒤 이 앱으로 돌아옵니다.</p><ul>\
                         <li><a href=\"{ios}\">iOS 앱 열기</a> (<a href=\"{ios_install}\">설치</a>)</li>\
                         <li><a href=\"{android}\">Android 앱 열기</a> (<a href=\"{android_install}\">설치</a>)</li></ul>",
                        org = escape(&to.org_code),
                        ios = escape(&to.app_scheme_ios),
                        ios_install = escape(&to.install_url_ios),
                        android = escape(&to.app_scheme_android),
                        android_install = escape(&to.install_url_android),
                    ),
                )
                .into_response(),
            }
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            page(
                "정보제공자의 인증 화면을 열지 못했습니다 (개별인증-001)",
                &format!("<pre>{}</pre>", escape(&e.to_string())),
            ),
        )
            .into_response(),
    }
}

#[derive(serde::Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The redirect back from the provider: 개별인증-002 exchanges the code for the consent's tokens.
async fn callback(State(app): App, Query(q): Query<CallbackQuery>) -> Response {
    let pending = q.state.as_ref().and_then(|s| app.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(s));
    let Some((customer, org)) = pending else {
        return (StatusCode::BAD_REQUEST, page("알 수 없는 요청", "<p>state가 일치하지 않습니다.</p>")).into_response();
    };
    if let Some(error) = q.error {
        let detail = format!("{error}: {}", q.error_description.unwrap_or_default());
        return page("전송요구가 완료되지 않았습니다", &format!("<p>{}</p>", escape(&detail))).into_response();
    }
    let Some(provider) = app.provider(&org) else {
        return (StatusCode::NOT_FOUND, page("알 수 없는 정보제공자", "")).into_response();
    };
    let code = q.code.unwrap_or_default();
    let exchanged =
        app.client.exchange_code(&provider.base_url, &org, &app.config.service, &code, &app.config.redirect_uri).await;
    let now = Utc::now().timestamp();
    match exchanged.map(|answer| Tokens::issued(&answer, now)) {
        Ok(Some(tokens)) => match app.link(&customer, &org, &tokens, now).await {
            Ok(()) => page(
                "전송요구 완료",
                &format!(
                    "<p>{} → {}: scope <code>{}</code></p>{COLLECT_BUTTON}",
                    escape(&customer),
                    escape(&org),
                    escape(&tokens.scope)
                ),
            )
            .into_response(),
            Err(e) => store_failure_page(&e),
        },
        Ok(None) => (
            StatusCode::BAD_GATEWAY,
            page("전송요구를 마치지 못했습니다 (개별인증-002)", "<p>정보제공자가 리프레시 토큰을 주지 않았습니다.</p>"),
        )
            .into_response(),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            page("전송요구를 마치지 못했습니다 (개별인증-002)", &format!("<pre>{}</pre>", escape(&e.to_string()))),
        )
            .into_response(),
    }
}

/// `GET /collect`: the button, which posts to the same address.
async fn collect_form() -> Response {
    let body = format!("<p>모든 고객의 모든 전송요구를 지금 수집합니다.</p>{COLLECT_BUTTON}");
    page("지금 수집", &body).into_response()
}

/// `POST /collect`: runs the collector in-process (as `mydata collect` does) and shows its summary.
async fn collect(State(app): App) -> Response {
    match app.collector().run().await {
        Ok(summary) => (
            [(header::CACHE_CONTROL, "no-store")],
            page("수집 결과", &format!("<pre>{}</pre>", escape(&crate::report(&summary)))),
        )
            .into_response(),
        Err(e) => store_failure_page(&e),
    }
}
