//! `mydata conformance`: checks an information provider's base URL against the standard and
//! reports per API ID, as a table (standard output), JSON and JUnit XML (files).

use anyhow::{Context, bail};
use clap::Args;
use mydata_conformance::discover::{self, RefreshGrant};
use mydata_conformance::http::Session;
use mydata_conformance::integrated::{IntegratedTarget, Signer};
use mydata_conformance::{Industry, Manifest, Options, Status, Target, Tokens};
use mydata_pki::consent_signing::SigningIdentity;
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
    /// Also check 통합인증-002 (this records a consent to the customer's asset lists at the
    /// provider): the directory of the customers' signing identities — `<ID>.cert.der`,
    /// `<ID>.key.der` (PKCS#8) and `ca_code`, as a sandbox's `integrated-auth`. Needs
    /// --integrated-customer and --client-secret.
    #[arg(long, value_name = "DIR", requires_all = ["integrated_customer", "client_secret"])]
    integrated_dir: Option<PathBuf>,
    /// The customer the 통합인증-002 consents are for (a test customer of the provider).
    #[arg(long, value_name = "ID", requires = "integrated_dir")]
    integrated_customer: Option<String>,
    /// Another customer with a certificate of the same CA, for the other-customer check.
    #[arg(long, value_name = "ID", requires = "integrated_dir")]
    integrated_other_customer: Option<String>,
    /// The operator's org_code the consents name as receiver (the client's institution).
    #[arg(long, default_value = "OPERAT0001")]
    operator_org: String,
}

/// The 통합인증-002 target the flags describe, if they ask for the checks.
fn integrated_target(args: &ConformanceArgs, industry: Industry) -> anyhow::Result<Option<IntegratedTarget>> {
    let (Some(dir), Some(customer)) = (&args.integrated_dir, &args.integrated_customer) else { return Ok(None) };
    let open = |id: &str| {
        SigningIdentity::open(dir, id)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("the signing identity of {id}"))
    };
    let signer = |identity: SigningIdentity| Signer { certificate: identity.certificate, ci: identity.ci };
    let identity = open(customer)?;
    let ca_code = identity.ca_code.clone();
    let other_customer = args.integrated_other_customer.as_deref().map(open).transpose()?.map(signer);
    Ok(Some(IntegratedTarget {
        base_url: args.provider.clone(),
        org_code: args.org_code.clone(),
        industry,
        operator_org: args.operator_org.clone(),
        credentials: mydata_client::Credentials {
            client_id: args.client_id.clone(),
            client_secret: args.client_secret.clone().unwrap_or_default(),
        },
        ca_code,
        customer: signer(identity),
        other_customer,
    }))
}

pub async fn run(args: ConformanceArgs) -> anyhow::Result<()> {
    let manifest = Manifest::v1();
    let timeout = Duration::from_secs(args.timeout);
    let industries = match args.industry {
        Some(industry) => vec![industry],
        None => {
            let mut session = Session::new(Industry::ALL.len() as u32, args.rate, timeout);
            let found = discover::industries(&mut session, &manifest, &args.provider, &args.org_code, &args.client_id)
                .await
                .with_context(|| format!("asking {} for its API list (공통-001)", args.provider))?;
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
    let mut report = mydata_conformance::run(&targets, &manifest, &options).await;
    if let Some(target) = integrated_target(&args, targets[0].industry)? {
        let client = mydata_client::Client::with_timeout(&manifest.defaults.tran_id_org, timeout);
        report.apis.push(mydata_conformance::integrated::check(&target, client).await);
    }
    crate::stdout::print(report.to_table())?;
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
