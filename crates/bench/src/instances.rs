//! Two provider instances on one PostgreSQL database, as an institution scales out: two `mydata
//! serve` processes, each started with its defaults (access log on, written to a file), each with
//! its own pools, remembered grants and listener for the other's revocations. The scenarios load
//! one and then both; [`revocation_times`] measures how soon one refuses a token revoked through
//! the other.

use crate::operator::OPERATOR_ORG;
use crate::scenarios::{BANK, CARD, CLIENT, CLIENT_SECRET, consent_and_token, info, prepared, request};
use anyhow::{Context, bail};
use mydata_client::{Client, Credentials};
use mydata_provider::Provider;
use mydata_spec::{Industry, KnownApi};
use mydata_store::Customer;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long the instances remember a grant in [`revocation_times`]: far beyond what is measured,
/// so that only the announcement of the revocation can make the second instance refuse it.
const LONG_GRANT_CACHE_MS: &str = "60000";
/// How long the second instance is watched for a refusal before the round counts as unseen.
const WATCH: Duration = Duration::from_secs(2);
/// How long a process may take to print its `listening on` line.
const START_UP: Duration = Duration::from_secs(60);

/// A `mydata serve` process, stopped when dropped.
pub(crate) struct ServeProcess {
    _child: Child,
    pub(crate) base: String,
}

/// Where the provider processes of a run are started from and log to.
#[derive(Debug, Clone)]
pub struct Processes {
    /// The `mydata` binary.
    pub server: PathBuf,
    /// The file each process appends its access log to.
    pub log: PathBuf,
    /// `--postgres-read-connections` of each process (its default when `None`), as the benchmark's
    /// in-process provider has it.
    pub postgres_read_connections: Option<u32>,
}

impl Processes {
    /// `mydata serve` for the benchmark's bank and card company on `database`, with its defaults
    /// but for `extra` flags; returns once it listens.
    pub(crate) async fn serve(&self, database: &str, extra: &[&str]) -> anyhow::Result<ServeProcess> {
        let (bank, card) = (format!("{BANK}:bank"), format!("{CARD}:card"));
        let mut child = Command::new(&self.server)
            .args([
                "serve",
                "--demo-sign-in",
                "--listen",
                "127.0.0.1:0",
                "--database",
                database,
                "--org",
                &bank,
                "--org",
                &card,
            ])
            // Capacity is measured: one client from one address would be held to the quotas.
            .args(["--rate-limit-client", "0", "--rate-limit-address", "0"])
            .args(extra)
            .args(self.postgres_read_connections.map(|n| format!("--postgres-read-connections={n}")))
            .arg("--log-file")
            .arg(&self.log)
            .env_remove("MYDATA_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} serve", self.server.display()))?;
        let mut lines = BufReader::new(child.stdout.take().context("the server's standard output")?).lines();
        let listening = tokio::time::timeout(START_UP, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(address) = line.strip_prefix("listening on ") {
                    return Ok(Some(address.trim().to_owned()));
                }
            }
            Ok::<_, std::io::Error>(None)
        })
        .await
        .context("`mydata serve` did not listen within a minute")??;
        let Some(base) = listening else { bail!("`mydata serve --database {database}` exited before listening") };
        // The rest of its standard output is not read; keep the pipe drained so it never blocks.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(ServeProcess { _child: child, base })
    }
}

/// Revocation-to-refusal times across two instances.
#[derive(Debug, Clone)]
pub struct RevocationTimes {
    /// Milliseconds from sending each revocation to the first refusal, sorted; rounds whose
    /// refusal did not come within two seconds are left out.
    pub refused_after_ms: Vec<f64>,
    /// Rounds the second instance still served after two seconds.
    pub unseen: usize,
}

impl RevocationTimes {
    /// The `fraction` quantile (0.5: the median) of the times measured.
    pub fn quantile_ms(&self, fraction: f64) -> Option<f64> {
        let last = self.refused_after_ms.len().checked_sub(1)?;
        Some(self.refused_after_ms[(last as f64 * fraction).round() as usize])
    }
}

/// For each of `customers`: a token issued by `issuer` (on the same database), used on process B
/// (which then remembers its grant for a minute), revoked through process A's 개별인증-004, then
/// called on B until B refuses it.
pub(crate) async fn revocation_times(
    processes: &Processes,
    database: &str,
    issuer: &Provider,
    customers: &[Customer],
) -> anyhow::Result<RevocationTimes> {
    let long_cache = ["--grant-cache-ms", LONG_GRANT_CACHE_MS];
    let a = processes.serve(database, &long_cache).await?;
    let b = processes.serve(database, &long_cache).await?;
    let http = reqwest::Client::new();
    let mut times = RevocationTimes { refused_after_ms: Vec::new(), unseen: 0 };
    for customer in customers {
        let token = consent_and_token(issuer, BANK, &customer.customer_id, "bank.list", Vec::new()).await?;
        let list =
            info(KnownApi::BankAccounts.spec(), Industry::Bank, &token).param("org_code", BANK).param("limit", "1");
        let list = prepared(list)?;
        let served = request(&http, &b.base, &list).send().await?;
        if !served.status().is_success() {
            bail!("instance B refused a live token: {}", served.text().await.unwrap_or_default());
        }
        let started = Instant::now();
        let credentials = Credentials { client_id: CLIENT.into(), client_secret: CLIENT_SECRET.into() };
        let revoked = Client::new(OPERATOR_ORG).revoke(&a.base, BANK, &credentials, &token).await;
        revoked.context("instance A refused the revocation")?;
        loop {
            let answer = request(&http, &b.base, &list).send().await?;
            if !answer.status().is_success() {
                times.refused_after_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            if started.elapsed() > WATCH {
                times.unseen += 1;
                break;
            }
        }
    }
    times.refused_after_ms.sort_by(f64::total_cmp);
    Ok(times)
}
