//! `mydata bench`: measures the provider over loopback, each figure beside its ceiling.

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mydata_bench::{BenchConfig, Load, Report};
use std::fmt::Write;
use std::time::Duration;

#[derive(Args)]
pub struct BenchArgs {
    /// Database for the benchmark dataset (generated on first use, then reused).
    #[arg(long, default_value = "sqlite://bench.db")]
    database: String,
    /// Customers to generate at the bank and the card company when the database is empty.
    #[arg(long, default_value_t = 10_000)]
    customers: u64,
    /// Customers given consents and tokens; the load rotates over them.
    #[arg(long, default_value_t = 200)]
    token_holders: usize,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds each scenario is measured (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Also write the table to this Markdown file.
    #[arg(long)]
    output: Option<std::path::PathBuf>,
}

fn row(report: &Report) -> String {
    let m = &report.measured;
    let ceiling = match &report.ceiling {
        Some(c) => format!("{:.0} | {:.0}%", c.rps(), 100.0 * m.rps() / c.rps().max(1.0)),
        None => "— | —".into(),
    };
    format!(
        "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} |",
        report.scenario,
        m.rps(),
        m.p50_ms,
        m.p95_ms,
        m.p99_ms,
        m.errors,
        ceiling
    )
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let config = BenchConfig {
        database: args.database.clone(),
        customers: args.customers,
        token_holders: args.token_holders,
        load: Load {
            connections: args.connections,
            duration: Duration::from_secs(args.seconds),
            warmup: Duration::from_secs(1),
            max_requests: 50_000_000,
        },
        seed: 1,
    };
    let bar = ProgressBar::new(args.customers + 3).with_style(
        ProgressStyle::with_template("generating {bar:40} {pos}/{len} customers ({per_sec}, {eta} left)")
            .context("progress bar template")?,
    );
    let (generated, reports) = mydata_bench::run(&config, |n| bar.inc(n)).await?;
    bar.finish_and_clear();
    let mut out = String::new();
    writeln!(out, "Connections: {}, {} s per scenario, database `{}`.", args.connections, args.seconds, args.database)?;
    if let Some(secs) = generated {
        writeln!(out, "Dataset: {} customers at a bank and a card company generated in {secs:.1} s.", args.customers)?;
    }
    writeln!(out, "\n| Scenario | req/s | p50 ms | p95 ms | p99 ms | errors | ceiling req/s | of ceiling |")?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    for report in &reports {
        writeln!(out, "{}", row(report))?;
    }
    if let Some(rss) = peak_rss_mib() {
        writeln!(out, "\nPeak RSS of the process (provider, load generator and ceiling together): {rss:.0} MiB.")?;
    }
    print!("{out}");
    if let Some(path) = args.output {
        std::fs::write(&path, &out).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
