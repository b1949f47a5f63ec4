//! Import of an institution's own data: the records `mydata testdata --ndjson` prints for a bank's
//! and a card company's customers, written to a file (the generation, timed), then read by
//! `mydata import`'s path ([`mydata_ingest::import`]) into an empty database of each backend (the
//! import, timed).

use anyhow::Context;
use chrono::NaiveDate;
use mydata_ingest::Summary;
use mydata_store::Backend;
use mydata_store::testing::TestDatabase;
use mydata_testdata::{Generator, everyone, write_ndjson};
use std::io::{BufRead, BufReader, BufWriter};
use std::path::Path;
use std::time::Instant;

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportBench {
    /// Customers generated at each of the bank and the card company (besides the demo customers).
    pub customers: u64,
    /// Records per transaction (`mydata import --batch`).
    pub batch: usize,
    pub seed: u64,
}

/// The generated records, in a file.
#[derive(Debug, Clone)]
pub struct Generated {
    pub records: usize,
    pub bytes: u64,
    pub seconds: f64,
}

/// One import into an empty database.
#[derive(Debug, Clone)]
pub struct ImportRun {
    pub backend: Backend,
    pub summary: Summary,
}

impl ImportRun {
    /// Customers (each at both institutions) imported per second.
    pub fn customers_per_second(&self, customers: u64) -> f64 {
        customers as f64 / self.summary.seconds.max(0.001)
    }
}

impl ImportBench {
    /// People whose records are generated: the demo customers and [`ImportBench::customers`] more.
    pub fn people(&self) -> u64 {
        self.customers + mydata_testdata::demo_people().len() as u64
    }

    /// Customer records of the generated people: one at each institution.
    pub fn customer_records(&self) -> u64 {
        self.people() * crate::scenarios::dataset_institutions().len() as u64
    }

    /// Writes the records to `file`, as `mydata testdata --ndjson` prints them (a fixed day, so
    /// that every run imports the same data).
    pub fn generate(&self, file: &Path) -> anyhow::Result<Generated> {
        let today = NaiveDate::from_ymd_opt(2026, 1, 15).context("the generator's day")?;
        let generator = Generator::new(self.seed, today);
        let started = Instant::now();
        let mut out =
            BufWriter::new(std::fs::File::create(file).with_context(|| format!("creating {}", file.display()))?);
        let records = write_ndjson(
            &generator,
            &crate::scenarios::dataset_institutions(),
            everyone(self.seed, self.customers),
            &mut out,
        )
        .with_context(|| format!("writing {}", file.display()))?;
        drop(out);
        let seconds = started.elapsed().as_secs_f64();
        Ok(Generated { records, bytes: std::fs::metadata(file)?.len(), seconds })
    }

    /// The baseline of an import: seconds to read every record of `file` as JSON, on every core,
    /// with nothing checked and nothing written. No import of these records can be faster.
    pub fn read_json_alone(&self, file: &Path) -> anyhow::Result<f64> {
        const LINES_AT_ONCE: usize = 65_536;
        let mut input = BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
        let started = Instant::now();
        loop {
            let lines: Vec<String> = (&mut input).lines().take(LINES_AT_ONCE).collect::<Result<_, _>>()?;
            if lines.is_empty() {
                return Ok(started.elapsed().as_secs_f64());
            }
            mydata_ingest::on_every_core(&lines, |line| serde_json::from_str::<serde_json::Value>(line).map(drop))
                .into_iter()
                .collect::<Result<(), _>>()
                .with_context(|| format!("a record of {} is not JSON", file.display()))?;
        }
    }

    /// Imports `file` into an empty throwaway database of `backend` (on PostgreSQL a schema of the
    /// database named by MYDATA_TEST_POSTGRES), `progress` told the bytes read.
    pub async fn import(&self, file: &Path, backend: Backend, progress: impl FnMut(u64)) -> anyhow::Result<ImportRun> {
        let database = TestDatabase::new(backend).await;
        let store = database.open().await?;
        let input = BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
        let summary = mydata_ingest::import(&store, input, Some(self.batch), progress)
            .await
            .with_context(|| format!("importing {} into {backend:?}", file.display()))?;
        Ok(ImportRun { backend, summary })
    }
}
