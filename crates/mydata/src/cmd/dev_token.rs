//! `mydata dev-token`: records a real consent for a customer and prints an access token for it, for
//! tests and for people exploring the API. The consent replaces the customer's earlier one with the
//! same client, exactly as the consent page would, and is revoked like any other (개별인증-004).

use crate::cli::DatabaseArgs;
use crate::stdout::outln;
use anyhow::{Context, bail};
use chrono::{Days, NaiveDate, Utc};
use clap::Args;
use mydata_domain::{Consent, ConsentOptions, ConsentStatus, ScopeSet};
use mydata_provider::demo_orgs;
use mydata_provider::oauth::customer_assets;
use mydata_provider::tokens::{KeyRing, Lifetimes, prepare_pair};
use mydata_spec::AssetId;
use mydata_store::ConsentRecord;

#[derive(Args)]
pub struct DevTokenArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The customer (customer_id at the provider).
    #[arg(long)]
    customer: String,
    /// The registered OAuth client the token is issued to.
    #[arg(long)]
    client: String,
    /// Space-separated scopes of one industry, e.g. "bank.list bank.deposit"; `<industry>.list` is always added.
    #[arg(long)]
    scope: String,
    /// The provider's org_code; default: the demo institution of the scopes' industry (BANK000001, …).
    #[arg(long)]
    org: Option<String>,
    /// An asset to include, named by the asset list it comes from and its key, `LIST:KEY` (e.g.
    /// `은행-001:1290000000100`, `IRP-001:1090000000100`); repeat for several. Default: every asset of
    /// the customer the scopes cover.
    #[arg(long = "asset", value_name = "LIST:KEY")]
    assets: Vec<AssetId>,
    /// Days until the consent ends (at most 365).
    #[arg(long, default_value_t = 365)]
    days: u64,
}

pub async fn run(args: DevTokenArgs) -> anyhow::Result<()> {
    let (industry, mut scopes) =
        ScopeSet::parse_info(&args.scope).with_context(|| format!("--scope {:?}", args.scope))?;
    scopes.insert(mydata_spec::catalogue::list_scope(industry));
    if args.days == 0 || args.days > 365 {
        bail!("--days must be 1..=365 (a consent lasts at most a year)");
    }
    let org_code = match args.org {
        Some(org) => org,
        None => demo_orgs().into_iter().find(|o| o.industry == industry).map(|o| o.org_code).context("no demo org")?,
    };
    // The provider's database, with its customers: a mistyped path is not a new, empty one.
    let store = args.database.open_existing().await?;
    if store.customer(&org_code, &args.customer).await?.is_none() {
        bail!("customer {} does not exist at {org_code}", args.customer);
    }
    if store.client(&args.client).await?.is_none() {
        bail!("client {} is not registered", args.client);
    }
    let held = customer_assets(store.as_ref(), &org_code, industry, &args.customer).await?;
    let assets = if args.assets.is_empty() {
        held.iter()
            .filter(|a| !a.scopes.is_empty() && a.scopes.iter().all(|s| scopes.contains(s)))
            .map(|a| a.asset.clone())
            .collect()
    } else {
        for asset in &args.assets {
            if !held.iter().any(|a| &a.asset == asset) {
                bail!("{asset} is not an asset of customer {} at {org_code}", args.customer);
            }
        }
        args.assets.iter().cloned().collect()
    };
    let now = Utc::now();
    let consent = Consent {
        consent_id: uuid::Uuid::new_v4().to_string(),
        org_code,
        customer_id: args.customer,
        client_id: args.client,
        scopes,
        assets,
        is_scheduled: false,
        fnd_cycle: None,
        add_cycle: None,
        end_date: mydata_spec::time::korean_date(now) + Days::new(args.days),
        purpose: "개발용 토큰 (mydata dev-token)".into(),
        period: NaiveDate::from_ymd_opt(9999, 12, 31).context("date")?,
        options: ConsentOptions::default(),
        status: ConsentStatus::Active,
        created_at: now.timestamp(),
    };
    let keys = KeyRing::open(store.as_ref()).await?;
    let pair = prepare_pair(&keys, &consent, Lifetimes::default(), now.timestamp());
    let record =
        ConsentRecord { consent: &consent, closes_session: None, code: None, tokens: &pair.records, nonces: &[] };
    if let Err(refusal) = store.record_consent(&record, now.timestamp()).await? {
        bail!("the consent was not recorded: {refusal:?}");
    }
    eprintln!(
        "consent {} for {} ({}), refresh token follows on stderr:",
        consent.consent_id, consent.customer_id, consent.scopes
    );
    eprintln!("{}", pair.issued.refresh_token);
    outln!("{}", pair.issued.access_token)?;
    Ok(())
}
