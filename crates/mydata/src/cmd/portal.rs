//! `mydata portal`: the integrated portal (종합포털) serving 지원-001..006, and its admin commands.

use crate::cli::DatabaseArgs;
use crate::stdout::outln;
use anyhow::Context;
use clap::{Args, Subcommand};
use mydata_portal::registry_file::{RegistryFile, import};
use mydata_portal::{DEFAULT_PORTAL_ORG_CODE, Portal};
use mydata_spec::KnownApi;
use mydata_web::server;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  mydata portal import --file examples/registry.toml --database sqlite://portal.db\n  \
        mydata portal --listen 127.0.0.1:9000 --database sqlite://portal.db --registry examples/registry.toml\n  \
        mydata portal statistics --database sqlite://portal.db --api 지원-005"
)]
pub struct PortalArgs {
    #[command(subcommand)]
    command: Option<PortalCommand>,
    #[command(flatten)]
    serve: ServePortalArgs,
}

#[derive(Subcommand)]
enum PortalCommand {
    /// Validate a registry file (TOML or JSON, see examples/registry.toml) and make the stored
    /// registry equal to it; nothing is stored when the file has a problem.
    Import(ImportArgs),
    /// Print the statistics participants sent (지원-004/005) as JSON lines, newest week first.
    Statistics(StatisticsArgs),
}

#[derive(Args)]
struct ServePortalArgs {
    /// Address to listen on; port 0 picks a free port (the chosen one is printed).
    #[arg(long, env = "MYDATA_PORTAL_LISTEN", default_value = "127.0.0.1:9000")]
    listen: String,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Import this registry file before serving (the file is the whole registry).
    #[arg(long, env = "MYDATA_PORTAL_REGISTRY")]
    registry: Option<PathBuf>,
    /// The portal's own org_code: the issuer of its 지원-001 tokens.
    #[arg(long, env = "MYDATA_PORTAL_ORG_CODE", default_value = DEFAULT_PORTAL_ORG_CODE)]
    org_code: String,
    /// Lifetime of the 지원-001 tokens in days (the standard allows at most 365).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=365))]
    token_days: u64,
    #[command(flatten)]
    tls: super::pki::ServerTlsArgs,
}

#[derive(Args)]
struct ImportArgs {
    /// The registry file (`.toml`, or `.json` with the same structure).
    #[arg(long)]
    file: PathBuf,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Args)]
struct StatisticsArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Only reports of this API: 지원-004 (operators) or 지원-005 (providers).
    #[arg(long, value_parser = statistics_api)]
    api: Option<KnownApi>,
}

pub async fn run(args: PortalArgs) -> anyhow::Result<()> {
    match args.command {
        None => serve(args.serve).await,
        Some(PortalCommand::Import(import_args)) => run_import(import_args).await,
        Some(PortalCommand::Statistics(statistics)) => print_statistics(statistics).await,
    }
}

async fn import_file(store: &dyn mydata_store::Store, file: &std::path::Path) -> anyhow::Result<()> {
    let registry = RegistryFile::read(file)?;
    let summary = import(store, &registry, chrono::Utc::now().timestamp()).await?;
    tracing::info!(
        file = %file.display(),
        orgs_added = summary.orgs_added,
        orgs_changed = summary.orgs_changed,
        orgs_deleted = summary.orgs_deleted,
        services_added = summary.services_added,
        services_changed = summary.services_changed,
        services_deleted = summary.services_deleted,
        "registry imported"
    );
    outln!(
        "registry {}: institutions +{} ~{} -{}, services +{} ~{} -{}",
        file.display(),
        summary.orgs_added,
        summary.orgs_changed,
        summary.orgs_deleted,
        summary.services_added,
        summary.services_changed,
        summary.services_deleted
    )?;
    Ok(())
}

async fn run_import(args: ImportArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    import_file(store.as_ref(), &args.file).await
}

async fn print_statistics(args: StatisticsArgs) -> anyhow::Result<()> {
    let store = args.database.open_existing().await?;
    for report in store.received_statistics(args.api.map(KnownApi::id)).await? {
        let line = serde_json::json!({
            "api_id": report.api_id, "sender_org_code": report.sender_org_code, "subject": report.subject,
            "type": report.stat_type, "inquiry_date": report.inquiry_date, "received_at": report.received_at,
            "report": report.body,
        });
        outln!("{line}")?;
    }
    Ok(())
}

async fn serve(args: ServePortalArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    if let Some(file) = &args.registry {
        import_file(store.as_ref(), file).await?;
    }
    let lifetime = Duration::from_secs(args.token_days * 24 * 3600);
    let tls = args.tls.resolve(&args.org_code)?;
    let verify_serial_number = tls.as_ref().is_some_and(|t| t.client_certificates);
    let portal = Portal::new_with_transport(store, &args.org_code, lifetime, verify_serial_number)
        .await
        .context("starting the portal")?;
    let listener = server::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, org_code = %args.org_code, tls = tls.is_some(), "portal started");
    super::pki::serve(listener, mydata_portal::router(portal), tls).await
}

/// `--api`: one of the two statistics reports (지원-004, 지원-005).
fn statistics_api(text: &str) -> Result<KnownApi, String> {
    [KnownApi::OperatorStatistics, KnownApi::ProviderStatistics]
        .into_iter()
        .find(|api| api.names(text))
        .ok_or_else(|| format!("{text:?} is not 지원-004 (operators' statistics) or 지원-005 (providers')"))
}
