//! The command line: each subcommand is one role or tool.

use crate::cmd;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use mydata_store::{SqlStore, Store};
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
        Logs go to standard error (JSON when it is not a terminal) or to --log-file; set MYDATA_LOG=debug\n\
        for more, MYDATA_LOG=warn to turn the access log off.",
    after_help = "Examples:\n  mydata serve --listen 127.0.0.1:8080 --database sqlite://provider.db\n  mydata serve --org BANK000001:bank --org CARD000001:card --database postgres://postgres@127.0.0.1/test"
)]
pub struct Cli {
    /// A TOML file of settings: keys are the flags' long names, in a `[serve]`, `[portal]`, … section
    /// or at the top level. Flags and environment variables take precedence over the file.
    #[arg(long = "config", global = true, env = "MYDATA_CONFIG", value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Append the log (one JSON object a line) to this file instead of standard error. Lines go
    /// through a bounded queue to a writer thread, so a slow disk never holds a request up: lines
    /// that find the queue full are dropped and counted (`mydata_log_dropped_lines_total` at
    /// /metrics). `mydata bench` writes to `mydata-bench.log` unless told otherwise.
    #[arg(long, global = true, env = "MYDATA_LOG_FILE", value_name = "FILE")]
    log_file: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an information provider: the authorization server and the information APIs of its industries.
    Serve(Box<cmd::serve::ServeArgs>),
    /// Record a real consent for a customer and print an access token for it (revocable like any other).
    DevToken(cmd::dev_token::DevTokenArgs),
    /// Transport security: `mydata pki init` creates a test PKI (root CA, server and client
    /// certificates per institution with its SERIALNUMBER) for the sandbox and tests.
    Pki(cmd::pki::PkiArgs),
    /// Generate deterministic, realistic data for every information API of every industry.
    Testdata(cmd::testdata::TestdataArgs),
    /// Import an institution's own customers and assets: NDJSON records in the standard's own
    /// shapes, checked against the field tables, written atomically (`mydata import --help`).
    Import(cmd::import::ImportArgs),
    /// Export stored customers and assets as the NDJSON records `mydata import` reads.
    Export(cmd::export::ExportArgs),
    /// Run the integrated portal (종합포털): 지원-001..006 over a registry file; or import the registry
    /// (`mydata portal import`) or print received statistics (`mydata portal statistics`).
    Portal(cmd::portal::PortalArgs),
    /// Check an information provider's base URL against the standard: every API it announces, with a
    /// table, JSON and JUnit report; read-only, within a request budget and rate.
    Conformance(cmd::conformance::ConformanceArgs),
    /// Measure the provider over loopback — tokens, lists, details, deep paging, a mix — each figure
    /// beside a ceiling (the same stack answering a precomputed body) from the same run.
    Bench(cmd::bench::BenchArgs),
    /// Write the OpenAPI 3.1 description of a provider or the portal (what they serve at /openapi.json).
    Openapi(cmd::openapi::OpenapiArgs),
    /// Collect, as a MyData operator, every customer's consented data from every provider: once,
    /// incrementally, within the periodic allowance, resuming an interrupted run.
    Collect(cmd::collect::CollectArgs),
    /// Run the MyData operator as a long-running service: its pages (consent button, 개별인증
    /// callback, dashboard), 지원-101..104, every consent collected on its cycle within the providers'
    /// scheduled hours (shared with other processes on one PostgreSQL), and the read API for its apps.
    Operator(cmd::operator::OperatorArgs),
    /// Link a customer at many providers at once with 통합인증 (the customer signs once per stage;
    /// in the sandbox a stand-in signs with the demo key) and print each provider's outcome.
    Link(cmd::link::LinkArgs),
    /// Start the portal, one provider per industry with generated data, and an operator, registered
    /// with each other, and print the URLs, demo customers, credentials and consent-page link.
    Sandbox(cmd::sandbox::SandboxArgs),
}

/// Where a command's data is stored.
#[derive(Args, Clone)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (embedded, created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "MYDATA_DATABASE", default_value = "sqlite://mydata.db")]
    pub database: String,
}

/// The database of a provider that serves the information APIs (`mydata serve`): where it is, how
/// the APIs' reads share PostgreSQL, and how long a token's grant is remembered. Other commands
/// take only `--database`; a config file's top-level keys for these pass them by.
#[derive(Args, Clone)]
pub struct ServingDatabaseArgs {
    #[command(flatten)]
    pub location: DatabaseArgs,
    /// Milliseconds a server reuses a token's grant (its record, consent and assets) read from the
    /// database. A revocation through this server takes effect at once; on PostgreSQL one made by
    /// another server sharing the database too, announced to every server (LISTEN/NOTIFY), and this
    /// time bounds it only when an announcement is lost; on SQLite it is the bound. 0 reads the
    /// database on every call.
    #[arg(long, env = "MYDATA_GRANT_CACHE_MS", default_value_t = 1000)]
    pub grant_cache_ms: u64,
    /// Connections to PostgreSQL that the information APIs' reads share, each carrying many reads
    /// at once (default: one per core of this machine, which suits a database on the same machine;
    /// raise it for a PostgreSQL with cores of its own). Writes have 16 of their own. SQLite
    /// ignores it.
    #[arg(long, env = "MYDATA_POSTGRES_READ_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub postgres_read_connections: Option<u32>,
}

impl ServingDatabaseArgs {
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let url = &self.location.database;
        let store = SqlStore::open_with(url, self.postgres_read_connections)
            .await
            .with_context(|| format!("opening the database {url}"))?;
        let store = store.with_grant_cache_ttl(std::time::Duration::from_millis(self.grant_cache_ms));
        store.listen_for_revocations().await.context("listening for the other servers' revocations")?;
        Ok(Arc::new(store))
    }
}

impl DatabaseArgs {
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let store =
            SqlStore::open(&self.database).await.with_context(|| format!("opening the database {}", self.database))?;
        Ok(Arc::new(store))
    }

    /// [`DatabaseArgs::open`] for a command that needs what is stored already (it reads it, or adds
    /// to a server's data): a SQLite file that is not there is refused, not created empty.
    pub async fn open_existing(&self) -> anyhow::Result<Arc<dyn Store>> {
        if let Some(path) = mydata_store::missing_sqlite_file(&self.database) {
            anyhow::bail!("no database at {} (--database {})", path.display(), self.database);
        }
        self.open().await
    }
}

impl Cli {
    pub fn config_file(&self) -> Option<&std::path::Path> {
        self.config.as_deref()
    }

    /// Where the log goes: --log-file, or for the benchmark a file of its own (its terminal shows
    /// progress, and a server's access log is measured as deployed, written to a file).
    pub fn log_file(&self) -> Option<std::path::PathBuf> {
        let bench_default = matches!(self.command, Command::Bench(_)).then(|| cmd::bench::DEFAULT_LOG_FILE.into());
        self.log_file.clone().or(bench_default)
    }

    pub async fn run(self) -> anyhow::Result<()> {
        let log_file = self.log_file();
        match self.command {
            Command::Serve(args) => cmd::serve::run(*args).await,
            Command::DevToken(args) => cmd::dev_token::run(args).await,
            Command::Pki(args) => cmd::pki::run(args).await,
            Command::Testdata(args) => cmd::testdata::run(args).await,
            Command::Import(args) => cmd::import::run(args).await,
            Command::Export(args) => cmd::export::run(args).await,
            Command::Portal(args) => cmd::portal::run(args).await,
            Command::Bench(args) => {
                let log = log_file.unwrap_or_else(|| cmd::bench::DEFAULT_LOG_FILE.into());
                cmd::bench::run(args, &log).await
            }
            Command::Openapi(args) => cmd::openapi::run(args),
            Command::Conformance(args) => cmd::conformance::run(args).await,
            Command::Collect(args) => cmd::collect::run(args).await,
            Command::Operator(args) => cmd::operator::run(args).await,
            Command::Link(args) => cmd::link::run(args).await,
            Command::Sandbox(args) => cmd::sandbox::run(args).await,
        }
    }
}
