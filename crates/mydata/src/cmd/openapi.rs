//! `mydata openapi`: writes the OpenAPI 3.1 description a server publishes at /openapi.json.

use crate::stdout::outln;
use anyhow::Context;
use clap::{Args, ValueEnum};
use mydata_provider::{ServedOrg, demo_orgs};

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    /// An information provider: auth, information APIs of its industries, 지원-101..104.
    Provider,
    /// The integrated portal: 지원-001..006.
    Portal,
}

#[derive(Args)]
pub struct OpenapiArgs {
    /// Whose description to write.
    #[arg(long, value_enum, default_value = "provider")]
    role: Role,
    /// For a provider: its institutions as ORG_CODE:INDUSTRY (default: one per industry).
    #[arg(long = "org", value_delimiter = ',')]
    orgs: Vec<ServedOrg>,
    /// The server's base URL, written into `servers` and the OAuth flows.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<std::path::PathBuf>,
}

pub fn run(args: OpenapiArgs) -> anyhow::Result<()> {
    let (title, served, institutions) = match args.role {
        Role::Provider => {
            let orgs = if args.orgs.is_empty() { demo_orgs() } else { args.orgs };
            let industries: Vec<_> = orgs.iter().map(|o| o.industry).collect();
            let institutions = orgs.into_iter().map(|o| (o.industry, o.org_code)).collect();
            ("MyData information provider", mydata_spec::openapi::provider_apis(&industries), institutions)
        }
        Role::Portal => ("MyData integrated portal", mydata_spec::openapi::portal_apis(), Vec::new()),
    };
    let document = mydata_spec::openapi::document(title, &args.base_url, &served, &institutions);
    let text = serde_json::to_string_pretty(&document).context("encoding the document")?;
    match args.output {
        Some(path) => std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))?,
        None => outln!("{text}")?,
    }
    Ok(())
}
