//! The command line: each subcommand is one role or tool.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use mydata_provider::{Provider, ProviderConfig, ServedOrg, demo_orgs};
use mydata_store::{SqlStore, Store};
use mydata_web::server;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "mydata",
    version,
    about = "The Korean financial MyData standard API (금융분야 마이데이터 표준API v1): provider, portal, operator and tools",
    long_about = "The Korean financial MyData standard API (금융분야 마이데이터 표준API 규격 v1, 2021-09), all three roles:\n\
        an information provider (정보제공자) with its authorization server and information APIs,\n\
        the integrated portal (종합포털), and a MyData operator (마이데이터사업자) client and collector.\n\n\
        Every server prints `listening on http://ADDR` once it accepts connections.\n\
        Logs go to standard error (JSON when it is not a terminal); set MYDATA_LOG=debug for more.",
    after_help = "Examples:\n  mydata serve --listen 127.0.0.1:8080 --database sqlite://provider.db\n  mydata serve --org BANK000001:bank --org CARD000001:card --database postgres://postgres@127.0.0.1/test"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an information provider: the authorization server and the information APIs of its industries.
    Serve(ServeArgs),
}

/// Where a server stores its data.
#[derive(Args, Clone)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (embedded, created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "MYDATA_DATABASE", default_value = "sqlite://mydata.db")]
    pub database: String,
}

impl DatabaseArgs {
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let store =
            SqlStore::open(&self.database).await.with_context(|| format!("opening the database {}", self.database))?;
        Ok(Arc::new(store))
    }
}

#[derive(Args)]
struct ServeArgs {
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
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(args) => serve(args).await,
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    let orgs = if args.orgs.is_empty() { demo_orgs() } else { args.orgs };
    let config = ProviderConfig { orgs, lifetimes: Default::default() };
    let provider = Provider::new(store, config).await?;
    let listener = server::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, orgs = provider.config.orgs.len(), "provider started");
    server::announce(addr);
    server::serve(listener, mydata_provider::router(provider), server::shutdown_signal()).await?;
    Ok(())
}
