//! `mydata serve`: one information provider.

use crate::cli::ServingDatabaseArgs;
use anyhow::Context;
use clap::Args;
use mydata_provider::limits::RateLimits;
use mydata_provider::oauth::customer_auth::{CustomerAuthenticator, DemoSignIn};
use mydata_provider::oauth::oidc::{OidcSettings, OidcSignIn};
use mydata_provider::oauth::revocation::RevocationSettings;
use mydata_provider::transport::TransportPolicy;
use mydata_provider::{Provider, ProviderConfig, ServedOrg, demo_orgs};
use mydata_spec::scheduled_hours::{ScheduledHours, SystemClock};
use mydata_web::server;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen one is printed).
    #[arg(long, env = "MYDATA_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    #[command(flatten)]
    database: ServingDatabaseArgs,
    /// An institution to serve, as ORG_CODE:INDUSTRY (industries: bank, card, invest, insu, efin,
    /// capital, ginsu, telecom, p2p, bond, usury). Repeat for several; default: one demo
    /// institution per industry (BANK000001:bank, CARD000001:card, …).
    #[arg(long = "org", env = "MYDATA_ORGS", value_delimiter = ',')]
    orgs: Vec<ServedOrg>,
    /// An operator's client this provider accepts without a portal, as
    /// OPERATOR_ORG_CODE:CLIENT_ID:CLIENT_SECRET:REDIRECT_URI (repeat for several; registered or
    /// updated at start-up, the secret stored hashed). With a portal, its registry adds clients too.
    #[arg(long = "client", env = "MYDATA_CLIENTS", value_delimiter = ',')]
    clients: Vec<LocalClient>,
    /// The 정기적 전송 가능 시간대 (ch.3.3.3) registered at the portal, as hhmm:hhmm in Korean time
    /// (up to three, e.g. 0000:0600): scheduled calls (x-api-type: scheduled) outside them are
    /// answered 50009. Default: scheduled calls at any time. With --portal, an institution the
    /// registry lists takes scheduled calls in the windows the registry says it registered (지원-002
    /// np_time_list), read after every registry pull; these are for the others.
    #[arg(long = "np-time", env = "MYDATA_NP_TIMES", value_delimiter = ',')]
    np_times: Vec<String>,
    /// Start in maintenance: the information APIs answer 50008 (시스템 정기점검) and 지원-102 tells the
    /// portal `03`; the authorization server and the support APIs keep serving.
    #[arg(long, env = "MYDATA_MAINTENANCE")]
    maintenance: bool,
    /// Take an operator's calls — information APIs, the token endpoint and 개별인증-001 — only from
    /// the addresses its institution registered at the portal (지원-002 ip_list); calls from others
    /// are answered 40102 (허용되지 않은 원격지 IP), or `unauthorized_client` at the authorization
    /// server. Needs --portal. Behind a proxy every caller has the proxy's address: leave it off there.
    #[arg(long, env = "MYDATA_ENFORCE_REGISTERED_IPS", requires = "portal")]
    enforce_registered_ips: bool,
    /// Serve `/metrics` (Prometheus) on this address of its own instead of on --listen, so that the
    /// figures are not reachable where operators call; port 0 picks a free port (it is logged).
    #[arg(long, env = "MYDATA_METRICS_LISTEN", value_name = "ADDR")]
    metrics_listen: Option<String>,
    #[command(flatten)]
    customer_auth: CustomerAuthArgs,
    #[command(flatten)]
    rate_limits: RateLimitArgs,
    #[command(flatten)]
    revocation: RevocationArgs,
    #[command(flatten)]
    portal: PortalLinkArgs,
    #[command(flatten)]
    tls: super::pki::ServerTlsArgs,
    #[command(flatten)]
    portal_tls: PortalTlsArgs,
    #[command(flatten)]
    admin: super::import::AdminArgs,
}

/// How customers prove who they are on the consent page (개별인증-001): at the institution's own
/// login through OpenID Connect, or — for trying the server out only — the demo sign-in. One of the
/// two is required.
#[derive(Args)]
struct CustomerAuthArgs {
    /// The demo sign-in: the customer types a customer ID and is signed in as that customer, with no
    /// proof at all. The page says it is a demo. Never for real customers.
    #[arg(long, env = "MYDATA_DEMO_SIGN_IN", conflicts_with = "oidc_issuer")]
    demo_sign_in: bool,
    /// The institution's OpenID provider (its issuer URL; discovery at
    /// ISSUER/.well-known/openid-configuration). Customers sign in there (authorization code flow
    /// with PKCE) and the ID token's --oidc-ci-claim is their CI.
    #[arg(long, env = "MYDATA_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_redirect_url"])]
    oidc_issuer: Option<String>,
    /// This provider's client_id at the OpenID provider.
    #[arg(long, env = "MYDATA_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    oidc_client_id: Option<String>,
    /// This provider's client secret at the OpenID provider (client_secret_basic); omit for a public client.
    #[arg(long, env = "MYDATA_OIDC_CLIENT_SECRET", requires = "oidc_issuer")]
    oidc_client_secret: Option<String>,
    /// The redirect URI registered at the OpenID provider: this server's public base URL followed by
    /// /oauth/2.0/sign-in/return, e.g. https://mydata.bank.example/oauth/2.0/sign-in/return.
    #[arg(long, env = "MYDATA_OIDC_REDIRECT_URL", requires = "oidc_issuer")]
    oidc_redirect_url: Option<String>,
    /// The ID-token claim that carries the customer's CI.
    #[arg(long, env = "MYDATA_OIDC_CI_CLAIM", default_value = "ci")]
    oidc_ci_claim: String,
    /// A scope to ask for besides `openid`, one that makes the OpenID provider put the CI claim in
    /// the ID token (repeat for several).
    #[arg(long = "oidc-scope", env = "MYDATA_OIDC_SCOPES", value_delimiter = ',', default_value = "ci")]
    oidc_scopes: Vec<String>,
}

impl CustomerAuthArgs {
    /// The configured authenticator; an error naming both choices when there is none.
    async fn resolve(&self) -> anyhow::Result<Arc<dyn CustomerAuthenticator>> {
        if self.demo_sign_in {
            tracing::warn!("the consent page uses the demo sign-in: anyone who knows a customer ID signs in as them");
            return Ok(Arc::new(DemoSignIn));
        }
        let Some(issuer) = &self.oidc_issuer else {
            anyhow::bail!(
                "no customer authentication: the consent page must know who the customer is. Configure the \
                 institution's OpenID provider (--oidc-issuer, --oidc-client-id, --oidc-client-secret, \
                 --oidc-redirect-url; see --help), or pass --demo-sign-in to try the server out with the \
                 demo sign-in, which proves nothing"
            );
        };
        let settings = OidcSettings {
            issuer: issuer.clone(),
            client_id: self.oidc_client_id.clone().unwrap_or_default(),
            client_secret: self.oidc_client_secret.clone(),
            redirect_url: self.oidc_redirect_url.clone().unwrap_or_default(),
            ci_claim: self.oidc_ci_claim.clone(),
            scopes: self.oidc_scopes.clone(),
        };
        let oidc = OidcSignIn::new(settings)?;
        // A wrong issuer shows at start-up; an IdP that is down now is read again at the first sign-in.
        match oidc.discover().await {
            Ok(()) => tracing::info!(%issuer, "customers sign in at the institution's OpenID provider"),
            Err(e) => tracing::warn!(%issuer, error = %e, "the OpenID provider is not reachable yet"),
        }
        Ok(Arc::new(oidc))
    }
}

/// Rate limits; 0 turns one off.
#[derive(Args)]
struct RateLimitArgs {
    /// Information-API calls per client and second (bursts of twice as many); more are answered
    /// 403 with 40302 (일시적으로 해당 클라이언트의 요청이 제한됨).
    #[arg(long, env = "MYDATA_RATE_LIMIT_CLIENT", default_value_t = RateLimits::default().client_per_sec)]
    rate_limit_client: u32,
    /// Requests per source address and second (bursts of twice as many) to the authorization
    /// server and the consent pages; more are answered HTTP 429.
    #[arg(long, env = "MYDATA_RATE_LIMIT_ADDRESS", default_value_t = RateLimits::default().address_per_sec)]
    rate_limit_address: u32,
    /// Consent requests (개별인증-001) per customer CI and minute.
    #[arg(long, env = "MYDATA_RATE_LIMIT_CUSTOMER", default_value_t = RateLimits::default().customer_per_min)]
    rate_limit_customer: u32,
    /// Failed client authentications per client and minute; beyond them the client is locked out of
    /// the token endpoint (HTTP 429, `slow_down`) until its budget refills.
    #[arg(long, env = "MYDATA_RATE_LIMIT_AUTH_FAILURES", default_value_t = RateLimits::default().auth_failures_per_min)]
    rate_limit_auth_failures: u32,
}

impl RateLimitArgs {
    fn limits(&self) -> RateLimits {
        RateLimits {
            client_per_sec: self.rate_limit_client,
            address_per_sec: self.rate_limit_address,
            customer_per_min: self.rate_limit_customer,
            auth_failures_per_min: self.rate_limit_auth_failures,
        }
    }
}

/// Revocation of the customer certificates 통합인증-002 accepts: each certificate's CA publishes a
/// CRL at the distribution point the certificate names; while none that the CA signed and that is
/// current can be had, the certificate is refused with 503 `temporarily_unavailable` (fail closed).
#[derive(Args)]
struct RevocationArgs {
    /// Seconds a fetched CRL is used before it is fetched again (never past its own nextUpdate).
    #[arg(long, env = "MYDATA_CRL_REFRESH_SECS", default_value_t = RevocationSettings::default().refresh_secs)]
    crl_refresh_secs: u64,
    /// Seconds one CRL fetch may take.
    #[arg(long, env = "MYDATA_CRL_FETCH_TIMEOUT_SECS", default_value_t = RevocationSettings::default().fetch_timeout.as_secs())]
    crl_fetch_timeout_secs: u64,
    /// Refuse customer certificates that name no CRL distribution point (by default they are
    /// accepted: their CA publishes no CRL to check them against).
    #[arg(long, env = "MYDATA_REQUIRE_CRL")]
    require_crl: bool,
}

impl RevocationArgs {
    fn settings(&self) -> RevocationSettings {
        RevocationSettings {
            refresh_secs: self.crl_refresh_secs,
            fetch_timeout: std::time::Duration::from_secs(self.crl_fetch_timeout_secs),
            require_distribution_point: self.require_crl,
        }
    }
}

/// The link to the integrated portal: registry pulls (which decide the accepted clients) and the
/// weekly statistics (지원-005).
#[derive(Args)]
struct PortalLinkArgs {
    /// The portal's base URL; without it the provider runs on its own (clients from --client).
    #[arg(long = "portal", env = "MYDATA_PORTAL", requires_all = ["portal_client_id", "portal_client_secret", "support_client_id", "support_client_secret"])]
    portal: Option<String>,
    /// This provider's client_id at the portal (지원-001, "지원API 호출용").
    #[arg(long, env = "MYDATA_PORTAL_CLIENT_ID")]
    portal_client_id: Option<String>,
    /// This provider's client secret at the portal.
    #[arg(long, env = "MYDATA_PORTAL_CLIENT_SECRET")]
    portal_client_secret: Option<String>,
    /// The credential the portal presents to this provider's 지원-101 ("지원API 제공용"): client_id …
    #[arg(long, env = "MYDATA_SUPPORT_CLIENT_ID")]
    support_client_id: Option<String>,
    /// … and its secret.
    #[arg(long, env = "MYDATA_SUPPORT_CLIENT_SECRET")]
    support_client_secret: Option<String>,
    /// The portal's org_code.
    #[arg(long, env = "MYDATA_PORTAL_ORG_CODE", default_value = "PORTAL0001")]
    portal_org_code: String,
    /// Seconds between registry pulls.
    #[arg(long, default_value_t = 300)]
    registry_refresh_secs: u64,
}

impl PortalLinkArgs {
    fn link(&self, own_org: &str) -> Option<mydata_provider::support::PortalLink> {
        let base_url = self.portal.clone()?;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Some(mydata_provider::support::PortalLink {
            account: mydata_support::portal_client::PortalAccount {
                base_url,
                client_id: text(&self.portal_client_id),
                client_secret: text(&self.portal_client_secret),
                org_code: own_org.to_owned(),
                issuer: mydata_spec::IssuerType::Provider,
            },
            credential: mydata_support::participant::PortalCredential {
                portal_org_code: self.portal_org_code.clone(),
                client_id: text(&self.support_client_id),
                secret_hash: mydata_support::secret::hash_client_secret(&text(&self.support_client_secret)),
            },
            refresh_every: std::time::Duration::from_secs(self.registry_refresh_secs.max(1)),
        })
    }
}

/// This provider's TLS identity towards the portal, given as files. Each institution authenticates
/// itself with its TLS certificate whatever end of the connection it is (ch.3.1, guideline
/// "기관간 상호인증"), but a certificate's extended key usage decides which end it may be: a server
/// certificate for serverAuth only (as `mydata pki init` issues them) cannot authenticate a client,
/// so --cert/--key say nothing about how the provider calls the portal. --tls-dir gives both.
#[derive(Args)]
struct PortalTlsArgs {
    /// Client certificate chain (PEM), leaf first, this provider presents to the portal (--portal)
    /// for its registry pulls and statistics, as the portal's mutual TLS asks: a certificate for
    /// client authentication (extended key usage clientAuth, e.g. `mydata pki init`'s
    /// ORG/client.pem) whose SERIALNUMBER the portal registered for the institution. With
    /// --client-key and --server-ca; the same files as --cert/--key if that certificate is for both
    /// ends. Without it (and without --tls-dir) the portal is called without a certificate.
    #[arg(long, env = "MYDATA_TLS_CLIENT_CERT", value_name = "FILE", requires_all = ["client_key", "server_ca"], conflicts_with = "tls_dir")]
    client_cert: Option<PathBuf>,
    /// The private key (PEM) of --client-cert.
    #[arg(
        long,
        env = "MYDATA_TLS_CLIENT_KEY",
        value_name = "FILE",
        requires = "client_cert",
        conflicts_with = "tls_dir"
    )]
    client_key: Option<PathBuf>,
    /// CA certificates (PEM) the portal's server certificate must chain to (default: the public web
    /// roots). Alone, without --client-cert, for a portal reached over a dedicated line or VPN,
    /// where ch.2 lets participants skip mutual authentication.
    #[arg(long, env = "MYDATA_TLS_SERVER_CA", value_name = "FILE", conflicts_with = "tls_dir")]
    server_ca: Option<PathBuf>,
}

impl PortalTlsArgs {
    /// The TLS of calls to the portal from these files, `None` without --server-ca.
    fn resolve(&self) -> anyhow::Result<Option<rustls::ClientConfig>> {
        let Some(roots) = &self.server_ca else { return Ok(None) };
        let identity = self.client_cert.clone().zip(self.client_key.clone());
        let files = mydata_pki::ClientTls { identity, server_roots: roots.clone() };
        let config = files
            .rustls_config()
            .context("the TLS identity towards the portal (--client-cert, --client-key, --server-ca)")?;
        Ok(Some(config))
    }
}

/// How the provider calls the portal at `portal_url`: with its client certificate of --tls-dir or
/// --client-cert, else without one (warned for an https portal: one requiring mutual TLS refuses it).
fn portal_tls(
    tls: &super::pki::ServerTlsArgs,
    files: &PortalTlsArgs,
    own_org: &str,
    portal_url: &str,
) -> anyhow::Result<Option<rustls::ClientConfig>> {
    if let Some(from_pki) = tls.client_tls(own_org)? {
        return Ok(Some(from_pki));
    }
    if files.client_cert.is_none() && !portal_url.starts_with("http://") {
        tracing::warn!(
            "calling the portal without a client certificate: a portal that requires mutual TLS (ch.2) refuses \
             this provider's registry pulls and statistics (give --client-cert, --client-key and --server-ca, \
             or --tls-dir)"
        );
    }
    files.resolve()
}

/// A client given on the command line.
#[derive(Clone, Debug)]
pub struct LocalClient {
    org_code: String,
    client_id: String,
    secret: String,
    redirect_uri: String,
}

impl std::str::FromStr for LocalClient {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.splitn(4, ':').collect();
        let [org_code, client_id, secret, redirect_uri] = parts[..] else {
            return Err("expected OPERATOR_ORG_CODE:CLIENT_ID:CLIENT_SECRET:REDIRECT_URI".into());
        };
        org_code.parse::<mydata_spec::types::OrgCode>().map_err(|e| e.to_string())?;
        if client_id.is_empty() || client_id.len() > 50 || !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!("client id {client_id:?} must be 1 to 50 letters or digits (aN(50))"));
        }
        // aN(50) on the wire (개별인증-002), and long enough not to be guessed.
        if !(16..=50).contains(&secret.len()) || !secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("the client secret must be 16 to 50 letters or digits".into());
        }
        let uri = url::Url::parse(redirect_uri).map_err(|e| format!("redirect URI {redirect_uri:?}: {e}"))?;
        if !matches!(uri.scheme(), "http" | "https") {
            return Err(format!("redirect URI {redirect_uri:?} must be http or https"));
        }
        Ok(LocalClient {
            org_code: org_code.into(),
            client_id: client_id.into(),
            secret: secret.into(),
            redirect_uri: redirect_uri.into(),
        })
    }
}

async fn register_clients(store: &dyn mydata_store::Store, clients: &[LocalClient]) -> anyhow::Result<()> {
    for client in clients {
        store
            .upsert_client(&mydata_store::Client {
                client_id: client.client_id.clone(),
                client_secret_hash: mydata_provider::oauth::hash_client_secret(&client.secret),
                org_code: client.org_code.clone(),
                client_name: client.client_id.clone(),
                redirect_uris: vec![client.redirect_uri.clone()],
                app_schemes: None,
                updated_at: chrono::Utc::now().timestamp(),
            })
            .await?;
        tracing::info!(client_id = %client.client_id, org_code = %client.org_code, "client registered from the command line");
    }
    Ok(())
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let customer_auth = args.customer_auth.resolve().await?;
    let store = args.database.open().await?;
    let orgs = if args.orgs.is_empty() { demo_orgs() } else { args.orgs };
    let hours = ScheduledHours::parse(&args.np_times).map_err(anyhow::Error::msg).context("--np-time")?;
    let config = ProviderConfig { orgs, lifetimes: Default::default() };
    seed_if_empty(store.as_ref(), &config.orgs).await?;
    register_clients(store.as_ref(), &args.clients).await?;
    args.admin.start(store.clone()).await?;
    let tls = args.tls.resolve(&config.orgs[0].org_code)?;
    let transport = TransportPolicy {
        verify_serial_number: tls.as_ref().is_some_and(|t| t.client_certificates),
        bind_tokens: args.tls.token_binding(),
        https: tls.is_some(),
        enforce_registered_ips: args.enforce_registered_ips,
    };
    let provider = Provider::new_with(store, config, transport, customer_auth).await?;
    provider.set_scheduled_hours(hours, std::sync::Arc::new(SystemClock));
    provider.set_rate_limits(args.rate_limits.limits());
    provider.revocation.configure(args.revocation.settings());
    if args.maintenance {
        provider.set_maintenance(true);
        tracing::warn!("in maintenance: the information APIs answer 50008");
    }
    if let Some(link) = args.portal.link(&provider.config.orgs[0].org_code) {
        tracing::info!(portal = %link.account.base_url, "linked to the portal: registry pulls and weekly statistics");
        let over = portal_tls(&args.tls, &args.portal_tls, &provider.config.orgs[0].org_code, &link.account.base_url)?;
        mydata_provider::support::run_with_portal_over(&provider, link, over);
    }
    let listener = server::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, orgs = provider.config.orgs.len(), tls = tls.is_some(), "provider started");
    let router = match &args.metrics_listen {
        Some(metrics_addr) => {
            serve_metrics(metrics_addr, provider.clone()).await?;
            mydata_provider::router_without_metrics(provider.clone())
        }
        None => mydata_provider::router(provider.clone()),
    };
    super::pki::serve(listener, router, tls).await?;
    // In-flight requests have been answered; their statistics must reach the store before exit.
    provider.support.stats.flush().await;
    tracing::info!("stopped; call statistics flushed");
    Ok(())
}

/// Starts `/metrics` on a listener of its own; it stops with the process's signal.
async fn serve_metrics(addr: &str, provider: Arc<Provider>) -> anyhow::Result<()> {
    let listener = server::bind(addr).await.with_context(|| format!("--metrics-listen {addr}"))?;
    tracing::info!(addr = %listener.local_addr()?, "metrics started");
    tokio::spawn(async move {
        let shutdown = server::shutdown_signal();
        if let Err(e) = server::serve(listener, mydata_provider::metrics_router(provider), shutdown).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// Generated customers `serve` adds, besides the demo customers, when it starts on an empty database.
const SEED_CUSTOMERS: u64 = 5;

/// On a database without any customer of the served institutions, writes the demo customers and a
/// small generated set, so that a bare `mydata serve` answers every API at once.
async fn seed_if_empty(store: &dyn mydata_store::Store, orgs: &[ServedOrg]) -> anyhow::Result<()> {
    for org in orgs {
        if store.has_customers(&org.org_code).await? {
            return Ok(());
        }
    }
    let institutions = super::testdata::institutions(orgs.to_vec());
    let generator = mydata_testdata::Generator::new(1, super::testdata::korean_today());
    let people = mydata_testdata::everyone(1, SEED_CUSTOMERS);
    mydata_testdata::write_people(store, &generator, &institutions, people, 50, |_| {})
        .await
        .context("seeding the empty database")?;
    tracing::info!(customers = SEED_CUSTOMERS, "seeded an empty database with demo and generated customers");
    Ok(())
}
