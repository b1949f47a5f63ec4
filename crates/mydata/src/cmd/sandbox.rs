//! `mydata sandbox`: the whole MyData flow on one machine — the portal, one provider per industry
//! (each with its own org_code, database and generated data), and an operator with a consent
//! button and a collector — registered with each other and explained on standard output.
//!
//! By default every server speaks TLS 1.3 with a certificate of the sandbox's test PKI
//! (`<dir>/pki`, created on first start and kept), participants call each other with their client
//! certificates, whose SERIALNUMBER the portal's registry holds, and access tokens are bound to the
//! operator's certificate; `--plain-http` serves plain HTTP instead, for local debugging.

use anyhow::Context;
use axum::Router;
use chrono::Utc;
use clap::Args;
use mydata_client::Credentials;
use mydata_collector::store::ProviderRow;
use mydata_collector::{ConsentInfo, OperatorStore, OperatorSupport};
use mydata_operator::{Customer, OperatorConfig, OperatorWeb, Scheduler, SchedulerConfig};
use mydata_pki::{ClientAuth, OrgSpec, TestPki};
use mydata_provider::grant::FullConsent;
use mydata_provider::tokens::Confirmation;
use mydata_provider::transport::TransportPolicy;
use mydata_provider::{Provider, ProviderConfig, ServedOrg, demo_orgs};
use mydata_spec::scheduled_hours::SystemClock;
use mydata_store::{SqlStore, prelude::*};
use mydata_testdata::{Generator, Person, demo_people};
use mydata_web::server;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;

/// The app the sandbox operator's service returns to (개별인증-001 app_scheme), registered with its
/// service as ch.3 ③ asks.
const SANDBOX_APP_SCHEME: &str = "mydatasandbox://consent";
/// The operator's identity in the sandbox (registered at the portal and at every provider).
const OPERATOR_ORG: &str = "OPERAT0001";
const CLIENT_ID: &str = "sandboxoperator";
const CLIENT_SECRET: &str = "sandboxoperatorsecret1";

/// The operator's service credentials (서비스 자격증명), with which it calls every provider.
fn service_credentials() -> Credentials {
    Credentials { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() }
}

/// Seed of the generated data: the same sandbox every time.
const SEED: u64 = 1;

#[derive(Args)]
pub struct SandboxArgs {
    /// Directory of the sandbox's SQLite databases (one per server) and test PKI (pki/); reused on
    /// the next start.
    #[arg(long, env = "MYDATA_SANDBOX_DIR", default_value = ".sandbox")]
    dir: PathBuf,
    /// Host every server listens on (each on a free port). The test PKI's server certificates name
    /// only localhost and 127.0.0.1, so with TLS other hosts fail certificate verification.
    #[arg(long, env = "MYDATA_SANDBOX_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Generated customers per provider besides the demo customers demo1..demo3.
    #[arg(long, default_value_t = 20)]
    customers: u64,
    /// Demo customers whose consents at every provider are recorded at start, so that `mydata
    /// collect` has work at once (the others give theirs on the consent pages).
    #[arg(long = "prelink", default_value = "demo1", value_delimiter = ',')]
    prelink: Vec<String>,
    /// Serve plain HTTP instead of mutual TLS 1.3 with the test PKI in DIR/pki, for local
    /// debugging only: no certificates, no SERIALNUMBER checks, no token binding.
    #[arg(long, env = "MYDATA_PLAIN_HTTP")]
    plain_http: bool,
}

/// How the sandbox's participants talk: mutual TLS 1.3 with the test PKI, or plain HTTP (`None`).
struct Transport {
    pki: Option<TestPki>,
}

impl Transport {
    fn scheme(&self) -> &'static str {
        if self.pki.is_some() { "https" } else { "http" }
    }

    /// The TLS `org_code`'s server speaks; `None` for plain HTTP.
    fn server(&self, org_code: &str, client_auth: ClientAuth) -> anyhow::Result<Option<Arc<rustls::ServerConfig>>> {
        let Some(pki) = &self.pki else { return Ok(None) };
        Ok(Some(pki.server_tls(org_code)?.rustls_config(client_auth)?))
    }

    /// How `org_code` calls the others: its client certificate, trusting the PKI's servers.
    fn client(&self, org_code: &str) -> anyhow::Result<Option<rustls::ClientConfig>> {
        let Some(pki) = &self.pki else { return Ok(None) };
        Ok(Some(pki.client_tls(org_code)?.rustls_config()?))
    }

    /// The SERIALNUMBER of `org_code`'s certificates, as the registry must hold it (derived from the
    /// org_code, as `mydata pki init` does, when there are no certificates).
    fn serial_number(&self, org_code: &str) -> String {
        self.pki
            .as_ref()
            .and_then(|pki| pki.org(org_code))
            .map_or_else(|| OrgSpec::derived(org_code).serial_number, |org| org.serial_number)
    }

    /// What tokens issued to the operator are bound to (RFC 8705): its client certificate.
    fn operator_binding(&self) -> anyhow::Result<Option<Confirmation>> {
        let Some(org) = self.pki.as_ref().and_then(|pki| pki.org(OPERATOR_ORG)) else { return Ok(None) };
        let der = CertificateDer::from_pem_file(&org.client_cert)
            .with_context(|| format!("reading {}", org.client_cert.display()))?;
        Ok(Some(Confirmation { x5t_s256: mydata_pki::thumbprint_sha256(&der) }))
    }
}

type Servers = tokio::task::JoinSet<std::io::Result<()>>;

/// Serves `router` on `listener` over `tls`, or plain HTTP without it, until the process stops.
fn spawn_server(tasks: &mut Servers, listener: TcpListener, router: Router, tls: Option<Arc<rustls::ServerConfig>>) {
    match tls {
        Some(config) => tasks.spawn(mydata_web::tls::serve_tls(listener, config, router, server::shutdown_signal())),
        None => tasks.spawn(server::serve(listener, router, server::shutdown_signal())),
    };
}

/// A server bound and ready to serve.
struct Bound {
    listener: TcpListener,
    /// Where clients reach it (the loopback address for a server listening on every address).
    addr: SocketAddr,
    url: String,
}

async fn bind(host: &str, scheme: &str) -> anyhow::Result<Bound> {
    let listener = server::bind(&format!("{host}:0")).await.with_context(|| format!("listening on {host}"))?;
    let mut addr = listener.local_addr()?;
    // A server listening on every address is reached on the loopback one (which the certificates name).
    if addr.ip().is_unspecified() {
        let loopback =
            if addr.is_ipv4() { std::net::Ipv4Addr::LOCALHOST.into() } else { std::net::Ipv6Addr::LOCALHOST.into() };
        addr = SocketAddr::new(loopback, addr.port());
    }
    let url = format!("{scheme}://{addr}");
    Ok(Bound { listener, addr, url })
}

fn sqlite(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(format!("{name}.db")).display())
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("creating {}", args.dir.display()))?;
    let transport = if args.plain_http {
        Transport { pki: None }
    } else {
        // Every provider, the operator and the portal; kept across restarts, so that a trusted CA
        // and `mydata collect --tls-dir` keep working.
        let dir = args.dir.join("pki");
        let pki = TestPki::open_or_create(&dir, &super::pki::default_orgs())
            .with_context(|| format!("creating the test PKI in {}", dir.display()))?;
        Transport { pki: Some(pki) }
    };
    let scheme = transport.scheme();
    let orgs = demo_orgs();
    let operator_bound = bind(&args.host, scheme).await?;
    let redirect_uri = format!("{}/callback", operator_bound.url);
    let mut providers = Vec::new();
    for org in &orgs {
        let store = SqlStore::open(&sqlite(&args.dir, &format!("provider-{}", org.org_code))).await?;
        seed(&store, org, args.customers).await?;
        providers.push((org.clone(), Arc::new(store), bind(&args.host, scheme).await?));
    }
    let portal_bound = bind(&args.host, scheme).await?;
    let portal_store = Arc::new(SqlStore::open(&sqlite(&args.dir, "portal")).await?);
    let registry = registry(&transport, &portal_bound.url, &operator_bound.url, &redirect_uri, &providers);
    mydata_portal::registry_file::import(portal_store.as_ref(), &registry, Utc::now().timestamp())
        .await
        .context("registering the sandbox's institutions at the portal")?;
    let portal_org = mydata_portal::DEFAULT_PORTAL_ORG_CODE;
    let portal = mydata_portal::Portal::new_with_transport(
        portal_store,
        portal_org,
        std::time::Duration::from_secs(365 * 86_400),
        transport.pki.is_some(),
    )
    .await?;

    let operator_url = sqlite(&args.dir, "operator");
    let operator = OperatorStore::open(&operator_url).await?;
    let binding = transport.operator_binding()?;
    let mut tasks = Servers::new();
    let portal_url = portal_bound.url.clone();
    let portal_tls = transport.server(portal_org, ClientAuth::Optional)?;
    spawn_server(&mut tasks, portal_bound.listener, mydata_portal::router(portal), portal_tls);
    // The operator learns where the providers are from the registry, as any operator would.
    let support = Arc::new(OperatorSupport::start(operator.clone(), OPERATOR_ORG).await?);
    let mut background = connect_operator(&support, &portal_url, transport.client(OPERATOR_ORG)?).await?;
    let mut served = Vec::new();
    let integrated = integrated_auth(&args.dir, providers.iter().map(|(_, store, _)| store.as_ref())).await?;
    for (org, store, bound) in providers {
        let config = ProviderConfig { orgs: vec![org.clone()], lifetimes: Default::default() };
        let policy = if transport.pki.is_some() { TransportPolicy::mutual_tls() } else { TransportPolicy::default() };
        // The sandbox's customers are made up: they sign in with the demo sign-in, as
        // `mydata serve --demo-sign-in` would have them.
        let demo = Arc::new(mydata_provider::oauth::customer_auth::DemoSignIn);
        let provider = Provider::new_with(store.clone(), config, policy, demo).await?;
        let portal_tls = transport.client(&org.org_code)?;
        background.extend(connect_to_portal(&provider, &org, &portal_url, portal_tls).await?);
        let row = ProviderRow {
            org_code: org.org_code.clone(),
            industry: org.industry.to_string(),
            base_url: bound.url.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
        };
        for customer in args.prelink.iter() {
            prelink(&provider, &operator, &org, customer, binding.as_ref()).await?;
        }
        served.push(row);
        // Certificates are optional in the handshake: customers' browsers open the consent pages.
        let tls = transport.server(&org.org_code, ClientAuth::Optional)?;
        spawn_server(&mut tasks, bound.listener, mydata_provider::router(provider), tls);
    }
    let config = OperatorConfig {
        org_code: OPERATOR_ORG.into(),
        service: service_credentials(),
        redirect_uri,
        app_scheme: SANDBOX_APP_SCHEME.into(),
        title: "마이데이터 sandbox operator".into(),
        tls: transport.client(OPERATOR_ORG)?,
    };
    // The operator knows the demo customers: they signed in to it, and it knows their CI.
    let customers = demo_people().into_iter().map(|p| Customer { customer_id: p.customer_id, ci: p.ci }).collect();
    let web = OperatorWeb::new(config, operator.clone(), support, served.clone(), customers);
    // 통합인증 on the operator's page: a stand-in signs with the demo customers' keys.
    web.offer_integrated(Arc::new(mydata_operator::StandInSigning(integrated.clone())));
    let operator_addr = operator_bound.addr;
    // Browsers open the operator's pages without a certificate; the portal calls 지원-101..104 with
    // its own, whose SERIALNUMBER the operator's registry copy names (checked under TLS).
    let operator_tls = transport.server(OPERATOR_ORG, ClientAuth::Optional)?;
    // The operator's own apps read what it collected with a secret made for this run.
    let read_secret = uuid::Uuid::new_v4().simple().to_string();
    let read_api = web.read_api(read_secret.clone());
    let operator_router = web.router(transport.pki.is_some()).merge(read_api);
    spawn_server(&mut tasks, operator_bound.listener, operator_router, operator_tls);
    // The same collection loop as `mydata operator`: each consent collected once it is given, then
    // on its cycle inside the providers' hours.
    let mut scheduler = SchedulerConfig::new(&mydata_operator::scheduler::process_name());
    // A consent given on a page is collected within seconds, while the developer watches.
    scheduler.tick = std::time::Duration::from_secs(5);
    let scheduler = Arc::new(Scheduler::new(web.collector(), Arc::new(SystemClock), scheduler));
    tasks.spawn(async move {
        scheduler.serve(server::shutdown_signal()).await;
        Ok(())
    });

    let places = Places {
        portal: &portal_url,
        operator: &operator_bound.url,
        operator_db: &operator_url,
        read_secret: &read_secret,
    };
    // A server keeps serving when nothing reads its output.
    let _ = crate::stdout::print(instructions(&transport, &places, &served, &args.prelink, &integrated));
    // The operator is the sandbox's front door: its address is the one announced.
    if transport.pki.is_some() {
        server::announce_tls(operator_addr);
    } else {
        server::announce(operator_addr);
    }
    while let Some(result) = tasks.join_next().await {
        result.context("a sandbox server panicked")??;
    }
    background.iter().for_each(tokio::task::JoinHandle::abort);
    Ok(())
}

/// Writes the demo customers and `customers` generated ones on a provider's empty database.
async fn seed(store: &SqlStore, org: &ServedOrg, customers: u64) -> anyhow::Result<()> {
    if !store.customers(&org.org_code).await?.is_empty() {
        return Ok(());
    }
    let institutions = super::testdata::institutions(vec![org.clone()]);
    let generator = Generator::new(SEED, super::testdata::korean_today());
    let people = mydata_testdata::everyone(SEED, customers);
    mydata_testdata::write_people(store, &generator, &institutions, people, 50, |_| {})
        .await
        .with_context(|| format!("generating data for {}", org.org_code))
}

/// The 지원-001 credentials of a provider at the portal (지원API 호출용 자격증명).
fn support_credentials(org: &ServedOrg) -> (String, String) {
    (format!("{}support", org.org_code.to_lowercase()), format!("{}SandboxSupport1", org.org_code))
}

/// Connects a provider to the portal as `mydata serve` would with one: the registry is pulled now —
/// which registers the operator's service (지원-003) as an OAuth client — and every minute after;
/// over `tls` (the provider's client certificate) when the portal speaks TLS.
async fn connect_to_portal(
    provider: &Arc<Provider>,
    org: &ServedOrg,
    portal_url: &str,
    tls: Option<rustls::ClientConfig>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let (client_id, client_secret) = support_credentials(org);
    let link = mydata_provider::support::PortalLink {
        account: mydata_support::portal_client::PortalAccount {
            base_url: portal_url.to_owned(),
            client_id,
            client_secret,
            org_code: org.org_code.clone(),
            issuer: mydata_spec::IssuerType::Provider,
        },
        // The credential the portal would use for 지원-101 here; the sandbox's portal never calls.
        credential: mydata_support::participant::PortalCredential {
            portal_org_code: mydata_portal::DEFAULT_PORTAL_ORG_CODE.into(),
            client_id: format!("portal{}", org.org_code.to_lowercase()),
            secret_hash: mydata_support::secret::hash_client_secret(&uuid::Uuid::new_v4().simple().to_string()),
        },
        refresh_every: std::time::Duration::from_secs(60),
    };
    let sync = provider.support.connect_portal_over(provider.store.clone(), link, tls);
    let pulled =
        sync.refresh().await.with_context(|| format!("{} pulling the registry from the portal", org.org_code))?;
    pulled.log(&org.org_code, "registry pulled from the portal");
    Ok(vec![
        mydata_provider::support::spawn_registry_refresh(provider.clone(), sync, std::time::Duration::from_secs(60)),
        mydata_provider::support::spawn_weekly_statistics(provider.clone(), std::time::Duration::from_secs(3600)),
    ])
}

/// The operator's 지원-001 credentials at the portal (지원API 호출용 자격증명).
const OPERATOR_SUPPORT: (&str, &str) = ("operat0001support", "OPERAT0001SandboxSupport1");
/// The credential the portal presents to the operator's 지원-101 (지원API 제공용 자격증명); printed,
/// so that 지원-101..104 can be tried with the portal's client certificate.
const PORTAL_CALLER: (&str, &str) = ("portaloperat0001", "OPERAT0001PortalCaller1");

/// Connects the operator to the portal as a long-running operator is: it accepts the portal's
/// 지원-101 credential, learns the providers from the registry now and every minute, and sends its
/// weekly 지원-004 — over `tls` (the operator's client certificate) when the portal speaks TLS.
async fn connect_operator(
    support: &Arc<OperatorSupport>,
    portal_url: &str,
    tls: Option<rustls::ClientConfig>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    support.accept_portal(mydata_support::participant::PortalCredential {
        portal_org_code: mydata_portal::DEFAULT_PORTAL_ORG_CODE.into(),
        client_id: PORTAL_CALLER.0.into(),
        secret_hash: mydata_support::secret::hash_client_secret(PORTAL_CALLER.1),
    });
    let account = mydata_support::portal_client::PortalAccount {
        base_url: portal_url.to_owned(),
        client_id: OPERATOR_SUPPORT.0.into(),
        client_secret: OPERATOR_SUPPORT.1.into(),
        org_code: OPERATOR_ORG.into(),
        issuer: mydata_spec::IssuerType::Operator,
    };
    support.connect_portal(account, tls);
    let service = service_credentials();
    let learned = support.learn_providers(&service).await.context("the operator pulling the registry")?;
    learned.log("the operator learned the providers from the registry");
    let every = std::time::Duration::from_secs(60);
    Ok(vec![support.spawn_learning(service, every), support.spawn_weekly_statistics(every * 60)])
}

/// The portal's registry: itself, every provider at its URL, the operator and its service; every
/// institution with the business registration number and SERIALNUMBER of its certificates.
fn registry(
    transport: &Transport,
    portal_url: &str,
    operator_url: &str,
    redirect_uri: &str,
    providers: &[(ServedOrg, Arc<SqlStore>, Bound)],
) -> mydata_portal::registry_file::RegistryFile {
    use mydata_portal::registry_file::{OrgEntry, RegistryFile, ServiceEntry};
    let mut orgs = vec![
        OrgEntry {
            org_code: mydata_portal::DEFAULT_PORTAL_ORG_CODE.into(),
            org_type: "07".into(),
            org_name: "종합포털 (sandbox)".into(),
            domain: Some(portal_url.into()),
            ..identified(transport, mydata_portal::DEFAULT_PORTAL_ORG_CODE)
        },
        OrgEntry {
            org_code: OPERATOR_ORG.into(),
            org_type: "03".into(),
            org_name: "Sandbox operator".into(),
            domain: Some(operator_url.into()),
            support_client_id: Some(OPERATOR_SUPPORT.0.into()),
            support_client_secret: Some(OPERATOR_SUPPORT.1.into()),
            ..identified(transport, OPERATOR_ORG)
        },
    ];
    for (org, _, bound) in providers {
        let (support_client_id, support_client_secret) = support_credentials(org);
        orgs.push(OrgEntry {
            org_code: org.org_code.clone(),
            org_type: "01".into(),
            org_name: format!("{} (sandbox)", org.industry.korean()),
            domain: Some(bound.url.clone()),
            industry: Some(org.industry.to_string()),
            auth_type: Some("03".into()),
            // The whole day: the sandbox's operator collects whenever a developer tries it.
            np_times: vec!["0000:2400".into()],
            support_client_id: Some(support_client_id),
            support_client_secret: Some(support_client_secret),
            ..identified(transport, &org.org_code)
        });
    }
    let services = vec![ServiceEntry {
        org_code: OPERATOR_ORG.into(),
        service_name: "Sandbox operator".into(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uris: vec![redirect_uri.into()],
        app_schemes: vec![SANDBOX_APP_SCHEME.into()],
    }];
    RegistryFile { orgs, services }
}

/// The 지원-002 fields naming `org_code`'s certificates: `serial_num` (what providers and the portal
/// compare with callers' certificates) and the business registration number it is derived from.
fn identified(transport: &Transport, org_code: &str) -> mydata_portal::registry_file::OrgEntry {
    let spec = OrgSpec { org_code: org_code.to_owned(), serial_number: transport.serial_number(org_code) };
    mydata_portal::registry_file::OrgEntry {
        org_regno: Some(spec.dashed_business_number()),
        serial_num: Some(spec.serial_number),
        ..Default::default()
    }
}

/// Records the demo customer's consent to everything at `org` and hands the tokens to the operator,
/// as a completed consent page would — with the access token bound to `binding` (the operator's
/// certificate), as the token endpoint binds it over mutual TLS.
async fn prelink(
    provider: &Provider,
    operator: &OperatorStore,
    org: &ServedOrg,
    customer_id: &str,
    binding: Option<&Confirmation>,
) -> anyhow::Result<()> {
    let store = provider.store.as_ref();
    let customer = store
        .customer(&org.org_code, customer_id)
        .await?
        .with_context(|| format!("{customer_id} is not a customer of {}", org.org_code))?;
    // The operator knows its customer by the CI (the same at every institution), as 지원-103 asks.
    operator.set_customer_ci(customer_id, &customer.ci, Utc::now().timestamp()).await?;
    if operator.link(customer_id, &org.org_code).await?.is_some_and(|l| l.stop_reason.is_none()) {
        return Ok(());
    }
    let now = Utc::now().timestamp();
    let terms =
        FullConsent { client_id: CLIENT_ID, cycle: Some("1/w"), days: 365, purpose: "자산관리 (sandbox)", binding };
    let (consent, pair) = provider.consent_to_everything(org, customer_id, &terms, now).await?;
    let tokens = pair.into_operator_tokens(consent.scopes.to_string());
    operator.upsert_link(customer_id, &org.org_code, &tokens, now).await?;
    // The end date the consent was given with, until the collector reads it from 공통-002.
    let info = ConsentInfo { end_date: Some(consent.end_date.format("%Y%m%d").to_string()), ..Default::default() };
    operator.set_consent_info(customer_id, &org.org_code, &info).await?;
    Ok(())
}

/// Where the sandbox's operator and portal are, and the operator's database.
struct Places<'a> {
    portal: &'a str,
    operator: &'a str,
    operator_db: &'a str,
    /// The read API's bearer secret.
    read_secret: &'a str,
}

/// The certification authority 통합인증-002 trusts in the sandbox (a test CA, new at every start).
const SANDBOX_CA: &str = "SANDBOXCA1";

/// Generates a test CA for 통합인증-002, makes every provider trust it, and issues the demo
/// customers certificates (with their CI in the subject) whose keys sign their consents. Writes
/// `ca.der`, `ca_code` and `<customer>.cert.der` / `<customer>.key.der` (PKCS#8) under `<dir>/integrated-auth`.
async fn integrated_auth<'a>(
    dir: &std::path::Path,
    stores: impl Iterator<Item = &'a SqlStore>,
) -> anyhow::Result<PathBuf> {
    use mydata_provider::oauth::signature::TestCertificationAuthority;
    let out = dir.join("integrated-auth");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let ca = TestCertificationAuthority::generate(SANDBOX_CA).context("generating the test CA")?;
    std::fs::write(out.join("ca.der"), &ca.certificate_der)?;
    std::fs::write(out.join("ca_code"), SANDBOX_CA)?;
    for person in demo_people() {
        let certificate = ca.issue(&person.ci, &person.name).context("issuing a customer certificate")?;
        std::fs::write(out.join(format!("{}.cert.der", person.customer_id)), &certificate.certificate_der)?;
        std::fs::write(out.join(format!("{}.key.der", person.customer_id)), certificate.private_key_pkcs8_der())?;
    }
    let trusted = mydata_store::CertificateAuthority {
        ca_code: SANDBOX_CA.into(),
        certificate_der: ca.certificate_der.clone(),
        updated_at: Utc::now().timestamp(),
    };
    for store in stores {
        store.upsert_certificate_authority(&trusted).await?;
    }
    Ok(out)
}

fn instructions(
    transport: &Transport,
    at: &Places,
    providers: &[ProviderRow],
    prelinked: &[String],
    integrated: &std::path::Path,
) -> String {
    let Places { portal, operator, operator_db, read_secret } = *at;
    let mut out = String::from("\nMyData sandbox\n\n");
    out.push_str(&format!("  portal (종합포털, 지원-001..006)   {portal}\n"));
    out.push_str(&format!("  operator (consent button, collector) {operator}\n\n  providers:\n"));
    for p in providers {
        out.push_str(&format!("    {:<10} {:<8} {}\n", p.org_code, p.industry, p.base_url));
    }
    let tls_dir = match &transport.pki {
        Some(pki) => {
            let dir = pki.dir().display();
            out.push_str(&format!(
                "\n  transport: TLS 1.3 on every server, with the test PKI in {dir} (kept across restarts).\n  \
                 The portal's, the providers' and the operator's APIs demand the caller's client certificate\n  \
                 (mutual TLS) and compare its SERIALNUMBER with the portal's registry; access tokens are bound\n  \
                 to the operator's certificate ({dir}/{OPERATOR_ORG}/client.pem). The operator's page and the\n  \
                 consent pages need no certificate from browsers, but browsers warn about every page until\n  \
                 you trust the test root CA {ca}.\n  \
                 --plain-http serves plain HTTP instead, for local debugging.\n",
                ca = pki.ca_cert().display()
            ));
            format!(" --tls-dir {dir}")
        }
        None => {
            out.push_str(
                "\n  transport: plain HTTP (--plain-http), for local debugging only: no TLS, no client\n  \
                 certificates, no SERIALNUMBER checks, no token binding.\n",
            );
            String::new()
        }
    };
    out.push_str("\n  demo customers (the same CI at every provider):\n");
    for Person { customer_id, name, ci, .. } in demo_people() {
        out.push_str(&format!("    {customer_id}  {name}  CI {ci}\n"));
    }
    out.push_str(&format!(
        "\n  통합인증-002: every provider trusts the test CA {SANDBOX_CA}; the demo customers' certificates\n  \
         and PKCS#8 keys (to sign consents) are in {}\n  \
         link demo2 at every provider at once: mydata link --integrated --customer demo2 --sandbox-dir {dir}\n  \
         or open {operator}/integrated?customer=demo2 and choose the providers\n",
        integrated.display(),
        dir = integrated.parent().unwrap_or(integrated).display()
    ));
    out.push_str(&format!(
        "\n  operator's service credentials: client_id {CLIENT_ID}  client_secret {CLIENT_SECRET}  (org_code {OPERATOR_ORG})\n"
    ));
    out.push_str(&format!(
        "\n  operator's support APIs (지원-101..104, for the portal only): {operator}/mgmts/…\n  \
         the portal's 지원-101 credential there: client_id {}  client_secret {}\n",
        PORTAL_CALLER.0, PORTAL_CALLER.1
    ));
    if let Some(portal) = transport.pki.as_ref().and_then(|pki| pki.org(mydata_portal::DEFAULT_PORTAL_ORG_CODE)) {
        out.push_str(&format!("  with the portal's client certificate {}\n", portal.client_cert.display()));
    }
    out.push_str(&format!(
        "\n  consent page: open {operator}/connect?customer=demo2&org=BANK000001 in a browser,\n  \
         sign in as demo2 and choose what to send; the operator exchanges the code for tokens.\n"
    ));
    out.push_str(&format!("  already consented everywhere: {}\n", prelinked.join(", ")));
    out.push_str(&format!(
        "\n  the operator's read API for its own apps (JSON; GET /customers/{{customer_id}}/assets, …):\n\
         read API  {operator}{prefix}  bearer {read_secret}\n  \
         dashboard: open {operator}/dashboard?customer=demo1 after a collection\n",
        prefix = mydata_operator::read_api::PREFIX
    ));
    out.push_str(&format!(
        "\n  collect: the operator collects each consent within seconds of its being given, then on its \
         cycle (as `mydata operator` does);\n  to collect everything now, press 지금 수집 at {operator}/collect, or run\n    \
         mydata collect --database {operator_db}{tls_dir}\n\n"
    ));
    out
}
