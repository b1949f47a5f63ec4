//! `mydata serve`: one information provider.

use crate::cli::DatabaseArgs;
use anyhow::Context;
use clap::Args;
use mydata_provider::transport::TransportPolicy;
use mydata_provider::{Provider, ProviderConfig, ServedOrg, demo_orgs};
use mydata_web::server;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen one is printed).
    #[arg(long, env = "MYDATA_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    #[command(flatten)]
    database: DatabaseArgs,
    /// An institution to serve, as ORG_CODE:INDUSTRY (industries: bank, card, invest, insu, efin,
    /// capital, ginsu, telecom, p2p, bond, usury). Repeat for several; default: one demo
    /// institution per industry (BANK000001:bank, CARD000001:card, …).
    #[arg(long = "org", env = "MYDATA_ORGS", value_delimiter = ',')]
    orgs: Vec<ServedOrg>,
    #[command(flatten)]
    tls: super::pki::ServerTlsArgs,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    let orgs = if args.orgs.is_empty() { demo_orgs() } else { args.orgs };
    let config = ProviderConfig { orgs, lifetimes: Default::default() };
    seed_if_empty(store.as_ref(), &config.orgs).await?;
    let tls = args.tls.resolve(&config.orgs[0].org_code)?;
    let transport = TransportPolicy {
        verify_serial_number: tls.as_ref().is_some_and(|t| t.client_certificates),
        bind_tokens: args.tls.token_binding(),
    };
    let provider = Provider::new_with_transport(store, config, transport).await?;
    let listener = server::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, orgs = provider.config.orgs.len(), tls = tls.is_some(), "provider started");
    super::pki::serve(listener, mydata_provider::router(provider), tls).await
}

/// Generated customers `serve` adds, besides the demo customers, when it starts on an empty database.
const SEED_CUSTOMERS: u64 = 5;

/// On a database without any customer of the served institutions, writes the demo customers and a
/// small generated set, so that a bare `mydata serve` answers every API at once.
async fn seed_if_empty(store: &dyn mydata_store::Store, orgs: &[ServedOrg]) -> anyhow::Result<()> {
    for org in orgs {
        if !store.customers(&org.org_code).await?.is_empty() {
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
