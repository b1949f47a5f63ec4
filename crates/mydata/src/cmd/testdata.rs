//! `mydata testdata`: deterministic, realistic data for every information API of every industry.

use crate::cli::DatabaseArgs;
use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mydata_provider::{ServedOrg, demo_orgs};
use mydata_testdata::{Generator, Institution, Person, everyone, write_people};

#[derive(Args)]
pub struct TestdataArgs {
    /// How many generated customers (`cust0000001`…) to add at every institution, besides the
    /// demo customers `demo1`..`demo3` (CI `DEMO-CI-demo1`…).
    #[arg(long, default_value_t = 100)]
    customers: u64,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Institutions to generate for, as ORG_CODE:INDUSTRY; default: the demo institution of every industry.
    #[arg(long = "org", value_delimiter = ',')]
    orgs: Vec<ServedOrg>,
    /// The day the data is "as of" (YYYYMMDD); default: today in Korea. Fix it for reproducible data.
    #[arg(long, value_parser = parse_day)]
    today: Option<NaiveDate>,
    /// Customers written per database transaction. Generation runs on every core, a few batches
    /// ahead of the writer; the data does not depend on the batch size.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Most history entries per subject (transactions of one account, approvals of one card, …);
    /// each subject gets between a quarter of it and all of it.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=500))]
    history_rows: u16,
    /// Print the data to standard output as the NDJSON records `mydata import` reads instead of
    /// writing the database: `mydata testdata --ndjson | mydata import -` loads the same data the
    /// way an institution loads its own.
    #[arg(long)]
    ndjson: bool,
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y%m%d").map_err(|e| format!("{text:?} is not YYYYMMDD: {e}"))
}

/// Today in Korea, the standard's clock.
pub fn korean_today() -> NaiveDate {
    mydata_spec::time::korean_date(Utc::now())
}

pub fn institutions(orgs: Vec<ServedOrg>) -> Vec<Institution> {
    let orgs = if orgs.is_empty() { demo_orgs() } else { orgs };
    orgs.into_iter().map(|o| Institution { org_code: o.org_code, industry: o.industry }).collect()
}

pub async fn run(args: TestdataArgs) -> anyhow::Result<()> {
    let orgs = institutions(args.orgs);
    let mut generator = Generator::new(args.seed, args.today.unwrap_or_else(korean_today));
    generator.max_rows = usize::from(args.history_rows);
    if args.ndjson {
        return print_records(&generator, &orgs, everyone(args.seed, args.customers));
    }
    let store = args.database.open().await?;
    let people = args.customers + mydata_testdata::demo_people().len() as u64;
    let bar = ProgressBar::new(people).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} customers ({per_sec}, {eta} left)")
            .context("progress bar template")?,
    );
    let started = std::time::Instant::now();
    write_people(store.as_ref(), &generator, &orgs, everyone(args.seed, args.customers), args.batch, |n| bar.inc(n))
        .await
        .context("writing test data")?;
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        customers = people,
        institutions = orgs.len(),
        secs = format!("{secs:.1}"),
        customers_per_sec = (people as f64 / secs.max(0.001)).round(),
        "test data written"
    );
    Ok(())
}

/// Every person's data at every institution as import records, on standard output.
fn print_records(
    generator: &Generator,
    orgs: &[Institution],
    people: impl Iterator<Item = Person>,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    mydata_testdata::write_ndjson(generator, orgs, people, &mut out).map_err(crate::stdout::failed_write)?;
    Ok(())
}
