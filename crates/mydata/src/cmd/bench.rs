//! `mydata bench`: measures the provider over loopback, each figure beside its ceiling (and, for
//! 은행-001, beside Stoplight Prism) and beside the same run with the log quieted; on PostgreSQL one
//! and two `mydata serve` processes on one database and the time a revocation takes to reach the
//! other; the collector's
//! throughput against in-process providers; `mydata import` of generated records on both backends;
//! and `mydata serve`'s start-up on a million customers.

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mydata_bench::import::ImportBench;
use mydata_bench::{BenchConfig, CollectBench, CollectRun, Load, Measured, Processes, Report, RevocationTimes};
use mydata_store::Backend;
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

/// Where the benchmark's log (the provider's access log) goes without --log-file.
pub const DEFAULT_LOG_FILE: &str = "mydata-bench.log";

#[derive(Args)]
pub struct BenchArgs {
    /// Database of the benchmark dataset (generated on first use, then reused). Repeat it to
    /// measure several stores in one run, e.g. `--database sqlite://bench.db --database
    /// postgres://postgres@127.0.0.1:5432/bench` (the PostgreSQL database must exist).
    #[arg(long, default_value = "sqlite://bench.db")]
    database: Vec<String>,
    /// The provider's PostgreSQL connections for information-API reads, in process and in the
    /// `mydata serve` processes of the instance scenarios (default: one per core of this machine).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    postgres_read_connections: Option<u32>,
    /// Customers to generate at the bank and the card company when the database is empty.
    #[arg(long, default_value_t = 100_000)]
    customers: u64,
    /// Customers given consents and tokens; the load rotates over them (as many others get
    /// refresh tokens for the refresh scenario).
    #[arg(long, default_value_t = 200)]
    token_holders: usize,
    /// Authorization codes prepared for the token-issue scenario, each redeemed once (the
    /// scenario ends early when they run out).
    #[arg(long, default_value_t = 20_000)]
    codes: usize,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds each scenario is measured (after one second of warm-up), as for its logs-off run
    /// and its ceiling.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Turns those seconds (and the warm-up) are split into: the scenario, its logs-off run and its
    /// ceiling are measured one after the other in each, so that the machine speeding up or slowing
    /// down during a scenario touches all three alike and their ratios hold (1: each in one go).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,
    /// Skip the comparison with Stoplight Prism (`npx @stoplight/prism-cli`, fetched from the npm
    /// registry on first use); it is skipped with a notice anyway when npx is missing.
    #[arg(long)]
    no_prism: bool,
    /// Institutions the collector benchmark collects from, each an in-process provider (0: skip it).
    #[arg(long, default_value_t = 50)]
    collect_providers: usize,
    /// Customers with data and consents at every one of those institutions.
    #[arg(long, default_value_t = 20)]
    collect_customers: u64,
    /// Consents for the operator's scale-out benchmark: collected by one `mydata operator --once`
    /// process, then again by two sharing the operator's database, in a throwaway schema of the
    /// PostgreSQL named by MYDATA_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test);
    /// 0 skips it.
    #[arg(long, default_value_t = 5000)]
    operator_consents: usize,
    /// Consents each operator process collects at the same time.
    #[arg(long, default_value_t = 16)]
    operator_concurrency: usize,
    /// Database of the start-up measurement: filled with --startup-customers customers when it has
    /// none (kept apart from --database, whose scenarios read every customer).
    #[arg(long, default_value = "sqlite://bench-startup.db")]
    startup_database: String,
    /// Customers of the start-up measurement's institution.
    #[arg(long, default_value_t = 1_000_000)]
    startup_customers: u64,
    /// Records per transaction of the import benchmark (`mydata import --batch`), which imports
    /// the records `mydata testdata --ndjson` prints for --customers customers at a bank and a
    /// card company into an empty SQLite database and an empty PostgreSQL schema (of the database
    /// named by MYDATA_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    import_batch: u64,
    /// Only the scenarios whose name contains this text (e.g. `은행-001`, `token`, `two instances`,
    /// `revocation`), for a profile or a quick check; `collector` runs the collector benchmark alone,
    /// `start-up` the start-up measurement alone, `operator` the operator's scale-out alone,
    /// `import` the import alone.
    #[arg(long)]
    only: Option<String>,
    /// Also write the tables to this Markdown file.
    #[arg(long)]
    output: Option<std::path::PathBuf>,
}

/// The benchmark's own parts besides the provider's scenarios, which `--only` can pick alone.
const COLLECTOR: &str = "collector";
const STARTUP: &str = "start-up";
const OPERATOR: &str = "operator";
const IMPORT: &str = "import";

fn ratio(measured: &Measured, ceiling: &Measured) -> String {
    format!("{:.0} | {:.0}%", ceiling.rps(), 100.0 * measured.rps() / ceiling.rps().max(1.0))
}

fn row(report: &Report) -> String {
    let m = &report.measured;
    let prism = match &report.prism {
        Some(p) => format!("{:.0} | {:.1}× | {:.2}", p.rps(), m.rps() / p.rps().max(1.0), p.p99_ms()),
        None => "— | — | —".into(),
    };
    let logs_off = match &report.logs_off {
        Some(off) => format!("{:.0} | {:.2} | {:.0}%", off.rps(), off.p99_ms(), 100.0 * m.rps() / off.rps().max(1.0)),
        None => "— | — | —".into(),
    };
    format!(
        "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} |",
        report.scenario,
        m.rps(),
        m.p50_ms(),
        m.p95_ms(),
        m.p99_ms(),
        m.errors,
        logs_off,
        ratio(m, &report.ceiling),
        prism
    )
}

fn collect_row(run: &CollectRun) -> String {
    let s = &run.summary;
    format!(
        "| {} | {} | {:.2} | {:.0} | {} | {} | {} | {} |",
        run.scenario,
        run.consents,
        run.seconds,
        run.consents_per_minute(),
        s.calls,
        s.rows,
        s.up_to_date,
        s.units_failed
    )
}

/// A `NAME:  N kB` line of a `/proc` file, in KiB.
fn proc_kib(file: &str, name: &str) -> Option<f64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// The process's peak resident set since the last [`reset_peak_rss`], in MiB.
fn peak_rss_mib() -> Option<f64> {
    Some(proc_kib("/proc/self/status", "VmHWM")? / 1024.0)
}

/// Starts a new peak-RSS measurement (Linux: `clear_refs` 5 resets VmHWM).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn bar(len: u64, what: &str) -> anyhow::Result<ProgressBar> {
    let template = format!("{what} {{bar:40}} {{pos}}/{{len}} customers ({{per_sec}}, {{eta}} left)");
    Ok(ProgressBar::new(len).with_style(ProgressStyle::with_template(&template).context("progress bar template")?))
}

/// The machine the figures come from: CPU model, cores, memory.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|info| {
        info.lines()
            .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
    });
    let memory_gib = proc_kib("/proc/meminfo", "MemTotal").map(|kib| kib / 1024.0 / 1024.0);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{} × {cores} cores, {:.0} GiB",
        cpu.unwrap_or_else(|| "unknown CPU".into()),
        memory_gib.unwrap_or_default()
    )
}

/// A Markdown table of `rows` under `header`, then the peak RSS measured since [`reset_peak_rss`].
fn write_table(
    out: &mut String,
    header: &[&str],
    rows: impl Iterator<Item = String>,
    rss_of: &str,
) -> std::fmt::Result {
    writeln!(out, "| {} |", header.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(header.len()))?;
    for row in rows {
        writeln!(out, "{row}")?;
    }
    if let Some(rss) = peak_rss_mib() {
        writeln!(out, "\nPeak RSS {rss_of}: {rss:.0} MiB.")?;
    }
    Ok(())
}

/// Measures the provider on `database` and writes its table to `out`.
async fn measure_store(args: &BenchArgs, database: &str, log: &Path, out: &mut String) -> anyhow::Result<()> {
    let server = std::env::current_exe().context("the path of this mydata binary")?;
    let config = BenchConfig {
        database: database.to_owned(),
        postgres_read_connections: args.postgres_read_connections,
        customers: args.customers,
        token_holders: args.token_holders,
        codes: args.codes,
        prism: !args.no_prism,
        only: args.only.clone(),
        logs_off: true,
        processes: Some(Processes {
            server,
            log: log.to_owned(),
            postgres_read_connections: args.postgres_read_connections,
        }),
        load: Load {
            connections: args.connections,
            duration: Duration::from_secs(args.seconds),
            warmup: Duration::from_secs(1),
            max_requests: 50_000_000,
        },
        rounds: args.rounds,
        seed: 1,
    };
    reset_peak_rss();
    let generating = bar(args.customers + 3, "generating")?;
    let results = mydata_bench::run(&config, |n| generating.inc(n)).await?;
    generating.finish_and_clear();
    writeln!(out, "\n## Provider on `{database}`\n")?;
    writeln!(
        out,
        "Connections: {}, {} s per scenario, in {} turns with its logs-off run and its ceiling.",
        args.connections, args.seconds, args.rounds
    )?;
    writeln!(
        out,
        "Access log on, as `mydata serve` runs by default (access log written to `{}`); logs off: the same \
         scenario with the log quieted to warnings (`MYDATA_LOG=warn`), measured in turns with it. On \
         PostgreSQL, \"one instance\" and \"two instances\" are `mydata serve` processes of their own on the \
         same database, started with their defaults (access log on, to the same file), the load spread over both.",
        log.display()
    )?;
    if let Some(secs) = results.generated {
        writeln!(
            out,
            "Dataset: {} customers at a bank and a card company generated in {secs:.1} s ({:.0} customers/s).",
            args.customers,
            args.customers as f64 / secs.max(0.001)
        )?;
    }
    writeln!(out)?;
    let header = [
        "Scenario",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "logs off req/s",
        "logs off p99 ms",
        "log on / off",
        "ceiling req/s",
        "of ceiling",
        "Prism req/s",
        "vs Prism",
        "Prism p99 ms",
    ];
    write_table(
        out,
        &header,
        results.reports.iter().map(row),
        "of the process under load (provider, load generator and ceiling together)",
    )?;
    if let Some(revocation) = &results.revocation {
        write_revocation(out, revocation)?;
    }
    Ok(())
}

/// The revocation-to-refusal times across two instances.
fn write_revocation(out: &mut String, times: &RevocationTimes) -> std::fmt::Result {
    let ms = |q: f64| times.quantile_ms(q).map_or("—".into(), |ms| format!("{ms:.1}"));
    writeln!(
        out,
        "\nRevocation across instances: a token revoked through one instance (개별인증-004) and called on the \
         other until refused, grants remembered 60 s (only the announcement can refuse it sooner), {} rounds: \
         median {} ms, p90 {} ms, max {} ms; still served after 2 s: {}.",
        times.refused_after_ms.len() + times.unseen,
        ms(0.5),
        ms(0.9),
        ms(1.0),
        times.unseen
    )
}

/// Generates the import benchmark's records, imports them into each backend and writes the table to `out`.
async fn measure_import(args: &BenchArgs, out: &mut String) -> anyhow::Result<()> {
    let batch = usize::try_from(args.import_batch).context("--import-batch")?;
    let bench = ImportBench { customers: args.customers, batch, seed: 1 };
    let file = std::env::temp_dir().join(format!("mydata-bench-import-{}.ndjson", std::process::id()));
    eprintln!("import: generating the records of {} customers into {}", bench.people(), file.display());
    let generating = bench.clone();
    let path = file.clone();
    let generated = tokio::task::spawn_blocking(move || generating.generate(&path)).await??;
    let reading = bench.clone();
    let path = file.clone();
    let json_alone = tokio::task::spawn_blocking(move || reading.read_json_alone(&path)).await??;
    let mut runs = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        reset_peak_rss();
        let reading = ProgressBar::new(generated.bytes).with_style(
            ProgressStyle::with_template(&format!(
                "importing into {backend} {{bar:40}} {{bytes}}/{{total_bytes}} ({{eta}} left)"
            ))
            .context("progress bar template")?,
        );
        let run = bench.import(&file, backend, |bytes| reading.inc(bytes)).await;
        reading.finish_and_clear();
        runs.push((run?, peak_rss_mib()));
    }
    let _ = std::fs::remove_file(&file);
    writeln!(out, "\n## Import\n")?;
    writeln!(
        out,
        "The records `mydata testdata --ndjson` prints for {} customers at a bank and a card company ({} records, \
         {:.0} MB) generated in {:.1} s ({:.0} customers/s); each read by `mydata import --batch {batch}` into an \
         empty database. Customers/s counts people (each a customer of both institutions); customer \
         records/s counts a person once at each institution, as `mydata import`'s summary counts customers. \
         The baseline is reading the same records as JSON alone, on every core, with nothing checked and \
         nothing written: no import of them can be faster.\n",
        bench.people(),
        generated.records,
        generated.bytes as f64 / 1e6,
        generated.seconds,
        bench.people() as f64 / generated.seconds.max(0.001)
    )?;
    writeln!(
        out,
        "| Database | customers | records | rows written | seconds | customers/s | customer records/s | records/s | peak RSS MiB |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|")?;
    writeln!(
        out,
        "| baseline: the records read as JSON alone | {} | {} | — | {json_alone:.1} | {:.0} | {:.0} | {:.0} | — |",
        bench.people(),
        generated.records,
        bench.people() as f64 / json_alone.max(0.001),
        bench.customer_records() as f64 / json_alone.max(0.001),
        generated.records as f64 / json_alone.max(0.001)
    )?;
    for (run, rss) in &runs {
        let s = &run.summary;
        writeln!(
            out,
            "| {} | {} | {} | {} | {:.1} | {:.0} | {:.0} | {:.0} | {} |",
            run.backend,
            bench.people(),
            s.records,
            s.rows,
            s.seconds,
            run.customers_per_second(bench.people()),
            s.customers as f64 / s.seconds.max(0.001),
            s.records_per_second(),
            rss.map_or("—".into(), |mib| format!("{mib:.0}"))
        )?;
    }
    Ok(())
}

/// Times `mydata serve`'s start-up on the start-up database and writes it to `out`.
async fn measure_startup(args: &BenchArgs, out: &mut String) -> anyhow::Result<()> {
    let server = std::env::current_exe().context("the path of this mydata binary")?;
    let database = &args.startup_database;
    eprintln!("start-up: filling {database} with {} customers if it has none", args.startup_customers);
    let startup = mydata_bench::startup::measure(&server, database, args.startup_customers).await?;
    writeln!(out, "\n## Start-up\n")?;
    if let Some(secs) = startup.filled_secs {
        writeln!(out, "{} customers written to `{database}` in {secs:.1} s.", startup.customers)?;
    }
    writeln!(
        out,
        "`mydata serve --database {database}` with {} customers: listening after {:.2} s.",
        startup.customers, startup.startup_secs
    )?;
    Ok(())
}

/// Measures the collector and writes its table to `out`.
async fn measure_collector(args: &BenchArgs, out: &mut String) -> anyhow::Result<()> {
    reset_peak_rss();
    let collect = CollectBench { providers: args.collect_providers, customers: args.collect_customers, seed: 1 };
    let customers = args.collect_customers * args.collect_providers as u64;
    let generating = bar(customers, "generating the collector's institutions")?;
    let runs = mydata_bench::collect::run(&collect, |n| generating.inc(n)).await?;
    generating.finish_and_clear();
    writeln!(out, "\n## Collector\n")?;
    writeln!(out, "Every provider at once, one in-process provider per institution (SQLite), over loopback.\n")?;
    let header = [
        "Collection",
        "consents",
        "seconds",
        "consents/min",
        "calls",
        "rows stored",
        "up to date (00001)",
        "failed units",
    ];
    write_table(
        out,
        &header,
        runs.iter().map(collect_row),
        "during the collector benchmark (collector and its providers)",
    )?;
    Ok(())
}

/// Runs `processes` `mydata operator --once` processes on `database` at once; returns the seconds
/// until the last one finished.
async fn operator_processes(database: &str, processes: usize, concurrency: usize) -> anyhow::Result<f64> {
    let exe = std::env::current_exe().context("finding the mydata binary")?;
    let started = std::time::Instant::now();
    let mut children = Vec::new();
    for _ in 0..processes {
        let child = std::process::Command::new(&exe)
            .args(["operator", "--once", "--database", database])
            .args(["--operator-org", mydata_bench::operator::OPERATOR_ORG])
            .args(["--concurrency", &concurrency.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("starting mydata operator")?;
        children.push(child);
    }
    let statuses = tokio::task::spawn_blocking(move || children.iter_mut().map(|c| c.wait()).collect::<Vec<_>>())
        .await
        .context("waiting for the operator processes")?;
    for status in statuses {
        anyhow::ensure!(status?.success(), "an operator process failed");
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Measures the operator's consents per minute with one process and with two on one PostgreSQL
/// database, and writes its table to `out`.
async fn measure_operator(args: &BenchArgs, out: &mut String) -> anyhow::Result<()> {
    let db = mydata_store::testing::TestDatabase::new(mydata_store::Backend::Postgres).await;
    let fixture = mydata_bench::operator::fixture(&db.url, args.operator_consents).await?;
    let mut rows = Vec::new();
    let mut single = None;
    for processes in [1, 2] {
        fixture.reset().await?;
        let seconds = operator_processes(&db.url, processes, args.operator_concurrency).await?;
        let done = fixture.done().await?;
        let per_minute = done as f64 * 60.0 / seconds.max(f64::EPSILON);
        let speedup = single.map_or_else(|| "1.00×".to_owned(), |one: f64| format!("{:.2}×", per_minute / one));
        single.get_or_insert(per_minute);
        rows.push(format!(
            "| {processes} | {done} of {} | {seconds:.1} | {per_minute:.0} | {speedup} |",
            fixture.consents
        ));
    }
    writeln!(out, "\n## Operator scale-out\n")?;
    writeln!(
        out,
        "`mydata operator --once` processes on one PostgreSQL database (each consent leased by one of them, \
         concurrency {} each), one in-process bank answering account lists on this machine as well.\n",
        args.operator_concurrency
    )?;
    let header = ["Processes", "consents collected", "seconds", "consents/min", "vs one"];
    write_table(
        out,
        &header,
        rows.into_iter(),
        "of the benchmark process (the bank; the operators are processes of their own)",
    )?;
    Ok(())
}

/// `log`: the file this process and the `mydata serve` processes it starts append their log to.
pub async fn run(args: BenchArgs, log: &Path) -> anyhow::Result<()> {
    let mut out = format!("Machine: {}.\n", machine());
    crate::stdout::print(&out)?;
    // `--only collector`, `--only start-up`, `--only operator` and `--only import` measure those alone.
    let stores_wanted = !matches!(args.only.as_deref(), Some(COLLECTOR | STARTUP | OPERATOR | IMPORT));
    for database in args.database.iter().filter(|_| stores_wanted) {
        let mut section = String::new();
        measure_store(&args, database, log, &mut section).await?;
        crate::stdout::print(&section)?;
        out.push_str(&section);
    }
    if args.only.as_deref().is_none_or(|only| IMPORT.contains(only)) {
        let mut section = String::new();
        measure_import(&args, &mut section).await?;
        crate::stdout::print(&section)?;
        out.push_str(&section);
    }
    if args.only.as_deref().is_none_or(|only| STARTUP.contains(only)) {
        let mut section = String::new();
        measure_startup(&args, &mut section).await?;
        crate::stdout::print(&section)?;
        out.push_str(&section);
    }
    let collector_wanted = args.only.as_deref().is_none_or(|only| COLLECTOR.contains(only));
    if args.collect_providers > 0 && collector_wanted {
        let mut section = String::new();
        measure_collector(&args, &mut section).await?;
        crate::stdout::print(&section)?;
        out.push_str(&section);
    }
    let operator_wanted = args.only.as_deref().is_none_or(|only| OPERATOR.contains(only));
    if args.operator_consents > 0 && operator_wanted {
        let mut section = String::new();
        measure_operator(&args, &mut section).await?;
        crate::stdout::print(&section)?;
        out.push_str(&section);
    }
    if let Some(path) = &args.output {
        std::fs::write(path, &out).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
