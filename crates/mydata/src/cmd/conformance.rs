//! `mydata conformance`: checks an information provider's base URL against the standard and
//! reports per API ID, as a table (standard output), JSON and JUnit XML (files).

use anyhow::{Context, bail};
use clap::Args;
use mydata_conformance::discover::{self, RefreshGrant};
use mydata_conformance::http::Session;
use mydata_conformance::{Industry, Manifest, Options, Status, Target, Tokens};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
#[command(after_help = "Examples:\n  \
    mydata conformance --provider http://127.0.0.1:8080 --org-code BANK000001 --client-id demo --token \"$(mydata dev-token …)\"\n  \
    mydata conformance --provider https://mydata.example.com --org-code BANK000001 --industry bank --client-id C --token T \\\n      \
    --revoked-token R --narrow-token N --json report.json --junit report.xml\n\n\
    Exit status: 0 when no check failed, 1 when any did (or the run could not start).")]
pub struct ConformanceArgs {
    /// Base URL of the provider (scheme, host, port), e.g. https://mydata.example.com.
    #[arg(long)]
    provider: String,
    /// The institution's org_code (10 characters).
    #[arg(long)]
    org_code: String,
    /// The industry it is served under (bank, card, invest, …); found through 공통-001 when left out.
    #[arg(long)]
    industry: Option<Industry>,
    /// The operator's client_id registered at the portal (sent to 공통-001).
    #[arg(long)]
    client_id: String,
    /// The client's secret; with --refresh-token the suite obtains its access token itself (개별인증-003).
    #[arg(long, env = "MYDATA_CONFORMANCE_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// A live access token with every scope of the industry. Without it (or --refresh-token) only
    /// 공통-001 is tested; the rest is reported as not tested.
    #[arg(long, env = "MYDATA_CONFORMANCE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// A refresh token to exchange for the access token (needs --client-secret). This is the only
    /// request that changes state at the provider.
    #[arg(long, env = "MYDATA_CONFORMANCE_REFRESH_TOKEN", hide_env_values = true)]
    refresh_token: Option<String>,
    /// A token the provider has revoked, for the revoked-token probes.
    #[arg(long)]
    revoked_token: Option<String>,
    /// A live token granted only the <industry>.list scope, for the scope-not-granted probes.
    #[arg(long)]
    narrow_token: Option<String>,
    /// Also test the catalogue's APIs of the industry that 공통-001 does not announce.
    #[arg(long)]
    all_apis: bool,
    /// Requests the run may send at most.
    #[arg(long, default_value_t = 2_000)]
    max_requests: u32,
    /// Requests per second at most (0: no limit).
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Seconds to wait for each response.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the report as JUnit XML to this file.
    #[arg(long)]
    junit: Option<PathBuf>,
}

pub async fn run(args: ConformanceArgs) -> anyhow::Result<()> {
    let manifest = Manifest::v1();
    let timeout = Duration::from_secs(args.timeout);
    let industries = match args.industry {
        Some(industry) => vec![industry],
        None => {
            let mut session = Session::new(Industry::ALL.len() as u32, args.rate, timeout);
            let found =
                discover::industries(&mut session, &manifest, &args.provider, &args.org_code, &args.client_id).await;
            if found.is_empty() {
                bail!(
                    "{} answers 공통-001 for {} under no industry; check --provider and --org-code, or pass --industry",
                    args.provider,
                    args.org_code
                );
            }
            found
        }
    };
    // An empty value (an unset shell variable) means the flag was not given.
    let given = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
    let access = match (given(&args.token), given(&args.refresh_token), given(&args.client_secret)) {
        (Some(token), _, _) => Some(token),
        (None, Some(refresh_token), Some(client_secret)) => {
            let grant = RefreshGrant {
                org_code: &args.org_code,
                client_id: &args.client_id,
                client_secret: &client_secret,
                refresh_token: &refresh_token,
            };
            Some(
                discover::refresh_access_token(&args.provider, &grant, &manifest.defaults.tran_id_org, timeout)
                    .await
                    .context("obtaining an access token with --refresh-token")?,
            )
        }
        (None, Some(_), None) => bail!("--refresh-token needs --client-secret"),
        (None, None, _) => None,
    };
    let tokens = Tokens { access, revoked: given(&args.revoked_token), narrow: given(&args.narrow_token) };
    let targets: Vec<Target> = industries
        .into_iter()
        .map(|industry| Target {
            base_url: args.provider.clone(),
            org_code: args.org_code.clone(),
            industry,
            client_id: args.client_id.clone(),
            tokens: tokens.clone(),
        })
        .collect();
    let options = Options {
        max_requests: args.max_requests,
        requests_per_second: args.rate,
        timeout,
        all_catalogue: args.all_apis,
    };
    let report = mydata_conformance::run(&targets, &manifest, &options).await;
    print!("{}", report.to_table());
    if let Some(path) = &args.json {
        std::fs::write(path, report.to_json()).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, report.to_junit()).with_context(|| format!("writing {}", path.display()))?;
    }
    if report.failed() {
        let failed = report.ids_with(Status::Fail);
        bail!("{} API(s) failed: {}", failed.len(), failed.join(", "));
    }
    Ok(())
}
