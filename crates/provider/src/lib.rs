//! The information provider (정보제공자): the standard's authorization server and every
//! information API, for the industries it is configured to serve.

pub mod access_log;
pub mod grant;
pub mod info;
pub mod limits;
pub mod metrics;
pub mod oauth;
pub mod registry;
pub mod stats;
pub mod support;
pub mod tokens;
pub mod transport;

use axum::Router;
use mydata_spec::scheduled_hours::{Clock, ScheduledHours, SystemClock};
use mydata_spec::{Industry, IssuerType};
use mydata_store::{Store, StoreError};
use mydata_web::tran_id::TranIdIssuer;
use std::sync::Arc;
use tokens::{KeyRing, Lifetimes};

/// One institution served by this server: an org_code belongs to exactly one industry (ch.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedOrg {
    pub org_code: String,
    pub industry: Industry,
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The institutions served; at most one per industry, as their paths share the same base.
    pub orgs: Vec<ServedOrg>,
    pub lifetimes: Lifetimes,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no institution to serve: give at least one --org ORG_CODE:INDUSTRY")]
    NoOrgs,
    #[error("industry {0} is served twice; one server serves one org_code per industry")]
    DuplicateIndustry(Industry),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shared state of every handler.
pub struct Provider {
    pub store: Arc<dyn Store>,
    pub keys: KeyRing,
    pub config: ProviderConfig,
    /// 지원-101..104, the portal link and the call statistics.
    pub support: support::ProviderSupport,
    pub metrics: Arc<metrics::Metrics>,
    /// What callers' certificates must prove ([`transport`]).
    pub transport: transport::TransportPolicy,
    /// Who the customer on the consent page is.
    pub customer_auth: Arc<dyn oauth::customer_auth::CustomerAuthenticator>,
    /// Whether 통합인증-002's certificates were revoked ([`oauth::revocation`]).
    pub revocation: oauth::revocation::RevocationChecker,
    /// 개별인증-001 requests taken, to purge expired sessions now and then.
    sessions_started: std::sync::atomic::AtomicU64,
    /// Its rate limits ([`limits`]).
    limiters: std::sync::RwLock<Arc<limits::Limiters>>,
    /// Its 정기적 전송 가능 시간대 (ch.3.3.3) and the clock they are read on.
    scheduled: std::sync::RwLock<HoursServed>,
}

/// The scheduled hours of each institution served: what the portal's registry says it registered
/// (지원-002 `np_time_list`), or, for one the registry does not list, the hours configured.
struct HoursServed {
    configured: ScheduledHours,
    registered: std::collections::HashMap<String, ScheduledHours>,
    clock: Arc<dyn Clock>,
}

impl Provider {
    pub async fn new(store: Arc<dyn Store>, config: ProviderConfig) -> Result<Arc<Provider>, ConfigError> {
        Provider::new_with_transport(store, config, Default::default()).await
    }

    /// [`Provider::new`] demanding `transport` of its callers' certificates (mutual TLS).
    pub async fn new_with_transport(
        store: Arc<dyn Store>,
        config: ProviderConfig,
        transport: transport::TransportPolicy,
    ) -> Result<Arc<Provider>, ConfigError> {
        Provider::new_with(store, config, transport, Arc::new(oauth::customer_auth::DemoSignIn)).await
    }

    /// A provider whose consent page signs customers in with `customer_auth`. ([`Provider::new`] and
    /// [`Provider::new_with_transport`] take the demo sign-in, for tests and the sandbox; `mydata
    /// serve` takes it only when told to.)
    pub async fn new_with(
        store: Arc<dyn Store>,
        config: ProviderConfig,
        transport: transport::TransportPolicy,
        customer_auth: Arc<dyn oauth::customer_auth::CustomerAuthenticator>,
    ) -> Result<Arc<Provider>, ConfigError> {
        if config.orgs.is_empty() {
            return Err(ConfigError::NoOrgs);
        }
        for (i, org) in config.orgs.iter().enumerate() {
            if config.orgs[..i].iter().any(|o| o.industry == org.industry) {
                return Err(ConfigError::DuplicateIndustry(org.industry));
            }
        }
        let keys = KeyRing::open(store.as_ref()).await?;
        let support = support::ProviderSupport::start(store.clone(), &config.orgs).await?;
        let scheduled = std::sync::RwLock::new(HoursServed {
            configured: ScheduledHours::default(),
            registered: Default::default(),
            clock: Arc::new(SystemClock),
        });
        Ok(Arc::new(Provider {
            store,
            keys,
            config,
            support,
            metrics: Default::default(),
            transport,
            customer_auth,
            revocation: Default::default(),
            sessions_started: Default::default(),
            limiters: std::sync::RwLock::new(Arc::new(limits::Limiters::new(Default::default()))),
            scheduled,
        }))
    }

    /// Every API this server answers, for its OpenAPI description.
    pub fn served_apis(&self) -> Vec<(&'static mydata_spec::ApiSpec, Option<Industry>)> {
        let industries: Vec<Industry> = self.config.orgs.iter().map(|o| o.industry).collect();
        mydata_spec::openapi::provider_apis(&industries)
    }

    /// Each institution this server answers for, with its industry.
    pub fn institutions(&self) -> Vec<(Industry, String)> {
        self.config.orgs.iter().map(|o| (o.industry, o.org_code.clone())).collect()
    }

    /// The org_code this server answers for at `industry`.
    pub fn org_for(&self, industry: Industry) -> Option<&ServedOrg> {
        self.config.orgs.iter().find(|o| o.industry == industry)
    }

    /// Takes scheduled calls only within `hours` (the np_time windows registered at the portal, as
    /// configured) read on `clock`, for every institution the registry does not say otherwise of;
    /// until set, at any time.
    pub fn set_scheduled_hours(&self, hours: ScheduledHours, clock: Arc<dyn Clock>) {
        let mut served = self.scheduled.write().unwrap_or_else(|e| e.into_inner());
        (served.configured, served.clock) = (hours, clock);
    }

    /// Puts the provider into maintenance (ch.7 지원-102 `03`: the information APIs answer 50008) or
    /// back into service.
    pub fn set_maintenance(&self, on: bool) {
        self.support.maintenance.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn in_maintenance(&self) -> bool {
        self.support.maintenance.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Limits requests as `limits` says (until set, as [`limits::RateLimits::default`]); the counts
    /// start afresh.
    pub fn set_rate_limits(&self, limits: limits::RateLimits) {
        *self.limiters.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(limits::Limiters::new(limits));
    }

    /// The rate limiters in force.
    pub fn limiters(&self) -> Arc<limits::Limiters> {
        self.limiters.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads each served institution's np_time windows from the registry copy (지원-002): from now
    /// on they decide when it takes scheduled calls. Run after every registry refresh.
    pub async fn learn_registered_hours(&self) -> Result<(), StoreError> {
        let mut registered = std::collections::HashMap::new();
        for org in &self.config.orgs {
            if let Some(entry) = self.store.registry_org(&org.org_code).await? {
                registered.insert(org.org_code.clone(), ScheduledHours::of_registry_entry(&entry.body));
            }
        }
        self.scheduled.write().unwrap_or_else(|e| e.into_inner()).registered = registered;
        Ok(())
    }

    /// Whether a scheduled (`x-api-type: scheduled`) call to the institution of `industry` may be
    /// answered now.
    pub fn takes_scheduled_calls_now(&self, industry: Industry) -> bool {
        let served = self.scheduled.read().unwrap_or_else(|e| e.into_inner());
        let registered = self.org_for(industry).and_then(|org| served.registered.get(&org.org_code));
        registered.unwrap_or(&served.configured).allows(served.clock.now())
    }

    fn tran_id_issuer(&self) -> TranIdIssuer {
        TranIdIssuer { org_code: self.config.orgs[0].org_code.as_str().into(), issuer: IssuerType::Provider }
    }
}

/// The provider's whole HTTP surface.
pub fn router(provider: Arc<Provider>) -> Router {
    routes(provider.clone()).merge(metrics_router(provider))
}

/// [`router`] without `/metrics`, for a server that serves it on a listener of its own
/// ([`metrics_router`]): the figures stay off the address operators call.
pub fn router_without_metrics(provider: Arc<Provider>) -> Router {
    routes(provider)
}

/// `/metrics` alone.
pub fn metrics_router(provider: Arc<Provider>) -> Router {
    Router::new().route(metrics::PATH, metrics::route(provider.metrics.clone(), provider.store.clone()))
}

fn routes(provider: Arc<Provider>) -> Router {
    let issuer = provider.tran_id_issuer();
    Router::new()
        .merge(oauth::routes(provider.clone()))
        .merge(transport::portal_only(&provider, support::routes(provider.clone())))
        .merge(info::routes(provider.clone()))
        .route(
            mydata_web::openapi::PATH,
            mydata_web::openapi::route("MyData information provider", provider.served_apis(), provider.institutions()),
        )
        .merge(mydata_web::health::routes(provider.store.clone()))
        .fallback(unserved)
        .layer(mydata_web::error::rejections_as(mydata_web::error::standard_rejection))
        .layer(axum::middleware::from_fn_with_state(provider.clone(), access_log::record))
        .layer(axum::middleware::from_fn_with_state(issuer, mydata_web::tran_id::echo))
}

/// No route: 40003 for a path of another API version than the v1 this server serves (`/v2/bank/…`),
/// else 40400.
async fn unserved(uri: axum::http::Uri) -> mydata_web::ApiError {
    let version = uri.path().strip_prefix("/v").and_then(|rest| rest.split('/').next()).unwrap_or_default();
    if !version.is_empty() && version != "1" && version.bytes().all(|b| b.is_ascii_digit()) {
        let detail = format!("API version v{version} is not served here; this server serves v1");
        return mydata_web::ApiError::with(mydata_spec::RspCode::UnsupportedVersion, detail);
    }
    mydata_web::ApiError::new(mydata_spec::RspCode::EndpointNotFound)
}

/// Org codes the sandbox and a bare `mydata serve` use, one per industry.
pub fn demo_orgs() -> Vec<ServedOrg> {
    const CODES: [(&str, Industry); 11] = [
        ("BANK000001", Industry::Bank),
        ("CARD000001", Industry::Card),
        ("INVEST0001", Industry::Invest),
        ("INSU000001", Industry::Insu),
        ("EFIN000001", Industry::Efin),
        ("CAPITAL001", Industry::Capital),
        ("GINSU00001", Industry::Ginsu),
        ("TELECOM001", Industry::Telecom),
        ("P2P0000001", Industry::P2p),
        ("BOND000001", Industry::Bond),
        ("USURY00001", Industry::Usury),
    ];
    CODES.iter().map(|(code, industry)| ServedOrg { org_code: (*code).into(), industry: *industry }).collect()
}

impl std::str::FromStr for ServedOrg {
    type Err = String;
    /// `ORG_CODE:INDUSTRY`, e.g. `BANK000001:bank`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (code, industry) = s.split_once(':').ok_or_else(|| format!("{s:?} is not ORG_CODE:INDUSTRY"))?;
        let code: mydata_spec::types::OrgCode = code.parse().map_err(|e| format!("{e}"))?;
        let industry: Industry = industry.parse().map_err(|e| format!("{e}"))?;
        Ok(ServedOrg { org_code: code.as_str().to_owned(), industry })
    }
}
