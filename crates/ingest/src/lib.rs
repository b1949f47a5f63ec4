//! An institution's own data in the standard's own shapes (issue 20): NDJSON records — a customer,
//! an API's answer without its envelope, one entry of a history, a removal — checked against the
//! API's field table ([`record`]), combined into batches that do not depend on the order of their
//! lines ([`batch`]) and written each in one transaction ([`import`]); and the stored data written
//! back as records ([`export()`]); the same over HTTP for an institution's systems ([`admin`]).

pub mod admin;
pub mod batch;
pub mod export;
pub mod record;

use batch::BatchBuilder;
use mydata_store::{ImportStore, InformationStore, StoreError};
use record::Refusal;
use std::collections::BTreeSet;
use std::io::{BufRead, Write};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub records: usize,
    /// Customers the records were about.
    pub customers: usize,
    /// Rows written or deleted (a row stored already as given is not counted).
    pub rows: u64,
    pub seconds: f64,
}

impl Summary {
    pub fn records_per_second(&self) -> f64 {
        self.records as f64 / self.seconds.max(0.001)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} records, {} customers, {} rows changed in {:.1} s ({:.0} records/s)",
            self.records,
            self.customers,
            self.rows,
            self.seconds,
            self.records_per_second()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A record broke the format or its API's table; its batch wrote nothing.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("line {line} cannot be read")]
    Read { line: usize, source: std::io::Error },
    /// The database refused the batch of these lines; it wrote nothing.
    #[error("lines {first}..{last} were not written")]
    Store { first: usize, last: usize, source: StoreError },
}

/// Reads NDJSON records from `input` and writes them, every `batch` records in one transaction
/// (all of them in one by default). A refused record stops the import: its batch writes nothing,
/// batches before it stay written. Blank lines are skipped. `progress` is told the bytes read.
pub async fn import<S: ImportStore + ?Sized>(
    store: &S,
    input: impl BufRead,
    batch: Option<usize>,
    mut progress: impl FnMut(u64),
) -> Result<Summary, ImportError> {
    let started = std::time::Instant::now();
    let batch_size = batch.unwrap_or(usize::MAX).max(1);
    let mut summary = Summary::default();
    let mut customers = BTreeSet::new();
    let mut builder = BatchBuilder::default();
    let mut first_line = 1;
    let mut line = 0;
    for text in input.lines() {
        line += 1;
        let text = text.map_err(|source| ImportError::Read { line, source })?;
        progress(text.len() as u64 + 1);
        if text.trim().is_empty() {
            continue;
        }
        builder.add(line, record::parse(line, &text)?)?;
        if builder.records >= batch_size {
            let full = std::mem::take(&mut builder);
            write(store, full, (first_line, line), &mut summary, &mut customers).await?;
            first_line = line + 1;
        }
    }
    if builder.records > 0 {
        write(store, builder, (first_line, line), &mut summary, &mut customers).await?;
    }
    summary.customers = customers.len();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

async fn write<S: ImportStore + ?Sized>(
    store: &S,
    builder: BatchBuilder,
    (first, last): (usize, usize),
    summary: &mut Summary,
    customers: &mut BTreeSet<(String, String)>,
) -> Result<(), ImportError> {
    let now = chrono::Utc::now();
    let today = mydata_spec::time::korean_date(now).format("%Y%m%d").to_string();
    summary.records += builder.records;
    customers.extend(builder.touched.iter().cloned());
    let (batch, list_lines) = builder.finish(&today)?;
    let counts = store.import(&batch, now.timestamp()).await.map_err(|source| match source {
        StoreError::UnknownCustomer { org_code, customer_id } => {
            let (line, api) = list_lines.get(&(org_code.clone(), customer_id.clone())).cloned().unwrap_or((first, String::new()));
            ImportError::Refused(Refusal {
                line,
                api: Some(api).filter(|a| !a.is_empty()),
                field: "customer_id".into(),
                rule: format!("{customer_id} is no customer of {org_code} (its customer record must come first or in the same batch)"),
            })
        }
        source => ImportError::Store { first, last, source },
    })?;
    summary.rows += counts.rows_changed;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading the database: {0}")]
    Store(#[from] StoreError),
    #[error("writing the records: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes the stored data of `customer` at `org_code` (or of every customer there, or of every
/// institution) as NDJSON records, and returns how many.
pub async fn export<S: ImportStore + InformationStore + ?Sized>(
    store: &S,
    org_code: Option<&str>,
    customer: Option<&str>,
    out: &mut impl Write,
) -> Result<usize, ExportError> {
    let orgs = match org_code {
        Some(org) => vec![org.to_owned()],
        None => store.org_codes().await?,
    };
    let mut written = 0;
    for org in orgs {
        let ids = match customer {
            Some(id) => vec![id.to_owned()],
            None => store.customers(&org).await?.into_iter().map(|c| c.customer_id).collect(),
        };
        for id in ids {
            let stored = store.export_customer(&org, &id).await?;
            let rows = export::Rows {
                customer: stored.customer.as_ref(),
                assets: &stored.assets,
                documents: &stored.documents,
                history: &stored.history,
            };
            written += export::write_records(rows, out)?;
        }
    }
    out.flush()?;
    Ok(written)
}
