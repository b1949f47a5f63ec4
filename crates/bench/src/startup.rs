//! Start-up with many customers: `mydata serve` on a database holding a million customers of its
//! institution, timed from the spawn to its `listening on` line. Start-up asks whether a customer
//! exists rather than reading them all, so the time must not grow with their number.

use anyhow::{Context, bail};
use mydata_store::prelude::*;
use mydata_store::{Customer, EncodedInfo, SqlStore};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The institution whose customers fill the database.
const ORG: &str = "BANK000001";
/// Customers written in one transaction.
const BATCH: u64 = 10_000;

/// What [`measure`] found.
#[derive(Debug, Clone)]
pub struct Startup {
    pub customers: u64,
    /// Seconds taken to write the customers, `None` when the database had them already.
    pub filled_secs: Option<f64>,
    /// Seconds from spawning `mydata serve` to its `listening on` line.
    pub startup_secs: f64,
}

/// Writes `customers` bare customers (no assets) of [`ORG`] to a database without any.
async fn fill(store: &SqlStore, customers: u64) -> anyhow::Result<()> {
    let mut load = store.bulk_load().await?;
    for start in (0..customers).step_by(BATCH as usize) {
        let batch = (start..(start + BATCH).min(customers))
            .map(|n| Customer {
                org_code: ORG.into(),
                customer_id: format!("startup{n:07}"),
                ci: format!("STARTUP-CI-{n:07}"),
                customer_name: "기동".into(),
                reg_date: "20240101".into(),
            })
            .collect();
        load.load(EncodedInfo { customers: batch, ..EncodedInfo::default() }).await?;
    }
    load.finish().await?;
    Ok(())
}

/// Fills `database` with `customers` customers when it has none, then times `server serve` (the
/// `mydata` binary) on it until it listens.
pub async fn measure(server: &Path, database: &str, customers: u64) -> anyhow::Result<Startup> {
    let store = SqlStore::open(database).await?;
    let filled_secs = if store.has_customers(ORG).await? {
        None
    } else {
        let started = Instant::now();
        fill(&store, customers).await?;
        Some(started.elapsed().as_secs_f64())
    };
    drop(store);
    let org = format!("{ORG}:bank");
    let started = Instant::now();
    let mut child = Command::new(server)
        .args(["serve", "--demo-sign-in", "--listen", "127.0.0.1:0", "--database", database, "--org", &org])
        .env("MYDATA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {} serve", server.display()))?;
    let stdout = child.stdout.take().context("the server's standard output")?;
    let listening = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout).lines().map_while(Result::ok).any(|line| line.starts_with("listening on "))
    })
    .await?;
    let startup_secs = started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    if !listening {
        bail!("`mydata serve --database {database}` exited before listening");
    }
    Ok(Startup { customers, filled_secs, startup_secs })
}
