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
use record::{Record, Refusal};
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

/// Lines read and parsed at a time.
const PARSE_LINES: usize = 8_192;

/// Reads up to [`PARSE_LINES`] lines that are not blank, numbered on from `line`.
fn read_lines(
    input: &mut impl BufRead,
    line: &mut usize,
    progress: &mut impl FnMut(u64),
) -> Result<Vec<(usize, String)>, ImportError> {
    let mut lines = Vec::with_capacity(PARSE_LINES);
    while lines.len() < PARSE_LINES {
        let mut text = String::new();
        let read = input.read_line(&mut text).map_err(|source| ImportError::Read { line: *line + 1, source })?;
        if read == 0 {
            break;
        }
        *line += 1;
        progress(read as u64);
        if !text.trim().is_empty() {
            lines.push((*line, text));
        }
    }
    Ok(lines)
}

/// `read` of each of `lines`, in order, worked out on every core, a share of the lines each. An
/// import reads its records this way, and `mydata bench` its baseline (the same lines read as JSON
/// alone).
pub fn on_every_core<L: Sync, T: Send>(lines: &[L], read: impl Fn(&L) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = lines.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let reading: Vec<_> =
            lines.chunks(per_thread).map(|chunk| scope.spawn(|| chunk.iter().map(&read).collect::<Vec<_>>())).collect();
        reading.into_iter().flat_map(|thread| thread.join().expect("reading a line panicked")).collect()
    })
}

/// Parses `lines` on every core (reading a record and checking it against its API's table is most
/// of an import's work besides the database's); each with its line number.
fn parse_lines(lines: Vec<(usize, String)>) -> Vec<(usize, Result<Record, Refusal>)> {
    on_every_core(&lines, |(line, text)| (*line, record::parse(*line, text)))
}

/// A batch being written: the rows it changes.
type Writing<'s> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<u64, ImportError>> + Send + 's>>;

/// An import's batches: one written at a time, in order, while the next one's lines are parsed.
struct Batches<'s, S: ?Sized> {
    store: &'s S,
    writing: Option<Writing<'s>>,
    summary: Summary,
    customers: BTreeSet<(String, String)>,
}

impl<'s, S: ImportStore + ?Sized> Batches<'s, S> {
    /// Waits for the batch being written, if any.
    async fn settle(&mut self) -> Result<(), ImportError> {
        if let Some(batch) = self.writing.take() {
            self.summary.rows += batch.await?;
        }
        Ok(())
    }

    /// Starts writing `builder`'s batch of lines `first..=last` once the one before is written.
    async fn start(&mut self, builder: BatchBuilder, lines: (usize, usize)) -> Result<(), ImportError> {
        self.settle().await?;
        self.summary.records += builder.records;
        self.customers.extend(builder.touched.iter().cloned());
        self.writing = Some(write(self.store, builder, lines));
        Ok(())
    }

    /// Parses `lines` on other threads while the batch before is written.
    async fn parse(
        &mut self,
        lines: Vec<(usize, String)>,
    ) -> Result<Vec<(usize, Result<Record, Refusal>)>, ImportError> {
        let parsing = tokio::task::spawn_blocking(move || parse_lines(lines));
        let parsed = match self.writing.take() {
            Some(batch) => {
                let (rows, parsed) = tokio::join!(batch, parsing);
                self.summary.rows += rows?;
                parsed
            }
            None => parsing.await,
        };
        Ok(parsed.expect("parsing records panicked"))
    }
}

/// Reads NDJSON records from `input` and writes them, every `batch` records in one transaction
/// (all of them in one by default). A refused record stops the import: its batch writes nothing,
/// batches before it stay written. Blank lines are skipped. `progress` is told the bytes read.
pub async fn import<S: ImportStore + ?Sized>(
    store: &S,
    mut input: impl BufRead,
    batch: Option<usize>,
    mut progress: impl FnMut(u64),
) -> Result<Summary, ImportError> {
    let started = std::time::Instant::now();
    let batch_size = batch.unwrap_or(usize::MAX).max(1);
    let mut batches = Batches { store, writing: None, summary: Summary::default(), customers: BTreeSet::new() };
    let mut builder = BatchBuilder::default();
    let (mut first_line, mut line) = (1, 0);
    let stopped = loop {
        let lines = match read_lines(&mut input, &mut line, &mut progress) {
            Ok(lines) if lines.is_empty() => break None,
            Ok(lines) => lines,
            Err(unread) => break Some(unread),
        };
        let mut refused = None;
        for (at, parsed) in batches.parse(lines).await? {
            if let Err(refusal) = parsed.and_then(|record| builder.add(at, record)) {
                refused = Some(refusal.into());
                break;
            }
            if builder.records >= batch_size {
                batches.start(std::mem::take(&mut builder), (first_line, at)).await?;
                first_line = at + 1;
            }
        }
        if refused.is_some() {
            break refused;
        }
    };
    if stopped.is_none() && builder.records > 0 {
        batches.start(builder, (first_line, line)).await?;
    }
    // The batches before a refusal stay written.
    batches.settle().await?;
    if let Some(stopped) = stopped {
        return Err(stopped);
    }
    let mut summary = batches.summary;
    summary.customers = batches.customers.len();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Starts writing `builder`'s batch of lines `first..=last`.
fn write<S: ImportStore + ?Sized>(store: &S, builder: BatchBuilder, (first, last): (usize, usize)) -> Writing<'_> {
    Box::pin(async move {
        let now = chrono::Utc::now();
        let today = mydata_spec::time::korean_date(now).format("%Y%m%d").to_string();
        let (batch, list_lines) = builder.finish(&today)?;
        let counts = store.import(&batch, now.timestamp()).await.map_err(|source| match source {
            StoreError::UnknownCustomer { org_code, customer_id } => {
                let (line, api) = list_lines.get(&(org_code.clone(), customer_id.clone())).cloned().unwrap_or((first, String::new()));
                ImportError::Refused(Refusal {
                    line,
                    api: Some(api).filter(|a| !a.is_empty()),
                    field: "customer_id".into(),
                    rule: format!(
                        "{customer_id} is no customer of {org_code} (its customer record must come first or in the same batch)"
                    ),
                })
            }
            source => ImportError::Store { first, last, source },
        })?;
        // Freeing a batch's many small values takes a tenth of the writing thread's time, which the
        // next batch waits for.
        tokio::task::spawn_blocking(move || drop(batch));
        Ok(counts.rows_changed)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_read_once_and_the_results_keep_the_lines_order() {
        let lines: Vec<u32> = (0..1_001).collect();
        assert_eq!(on_every_core(&lines, |n| n * 2), lines.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(on_every_core(&[] as &[u32], |n| *n).is_empty());
    }
}
