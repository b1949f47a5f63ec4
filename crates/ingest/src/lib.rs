//! An institution's own data in the standard's own shapes (issue 20): NDJSON records — a customer,
//! an API's answer without its envelope, one entry of a history, a removal — checked against the
//! API's field table ([`record`]), combined into batches that do not depend on the order of their
//! lines ([`batch`]) and written each in one transaction ([`import`]); and the stored data written
//! back as records ([`export()`]); the same over HTTP for an institution's systems ([`admin`]).

pub mod admin;
pub mod batch;
pub mod export;
pub mod record;

use batch::{BatchBuilder, ListLines};
use mydata_store::{ImportBatch, ImportStore, InformationStore, StoreError};
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

/// What some tools write at the start of a UTF-8 file, skipped before its first record.
const BYTE_ORDER_MARK: char = '\u{feff}';

/// Reads up to [`PARSE_LINES`] lines that are not blank, numbered on from `line`; and the line
/// that could not be read, if one stopped it (the lines before it are returned still).
fn read_lines(
    input: &mut impl BufRead,
    line: &mut usize,
    progress: &mut impl FnMut(u64),
) -> (Vec<(usize, String)>, Option<ImportError>) {
    let mut lines = Vec::with_capacity(PARSE_LINES);
    while lines.len() < PARSE_LINES {
        let mut text = String::new();
        let read = match input.read_line(&mut text) {
            Ok(read) => read,
            Err(source) => return (lines, Some(ImportError::Read { line: *line + 1, source })),
        };
        if read == 0 {
            break;
        }
        *line += 1;
        progress(read as u64);
        // Editors and exports on Windows begin a UTF-8 file with a byte order mark; JSON has none.
        if *line == 1 && text.starts_with(BYTE_ORDER_MARK) {
            text.drain(..BYTE_ORDER_MARK.len_utf8());
        }
        if !text.trim().is_empty() {
            lines.push((*line, text));
        }
    }
    (lines, None)
}

/// `read` of each of `lines`, in order, worked out on every core. An import reads its records
/// this way, and `mydata bench` its baseline (the same lines read as JSON alone). The threads are
/// rayon's, kept for the process: threads started for each chunk of lines made every chunk's values
/// take fresh memory pages, which cost a tenth of an import.
pub fn on_every_core<L: Sync, T: Send>(lines: &[L], read: impl Fn(&L) -> T + Sync + Send) -> Vec<T> {
    use rayon::prelude::*;
    lines.par_iter().map(read).collect()
}

/// Parses `lines` on every core (reading a record and checking it against its API's table is most
/// of an import's work besides the database's); each with its line number.
fn parse_lines(lines: Vec<(usize, String)>) -> Vec<(usize, Result<Record, Refusal>)> {
    on_every_core(&lines, |(line, text)| (*line, record::parse(*line, text)))
}

/// A batch ready to be written: lines `first..=last`.
struct Finished {
    batch: ImportBatch,
    /// Where the lists of customers without a record in the batch came from.
    list_lines: ListLines,
    lines: (usize, usize),
    records: usize,
    customers: BTreeSet<(String, String)>,
    /// The batch's time: its change stamps, and the day of customers new without a reg_date.
    now: chrono::DateTime<chrono::Utc>,
}

/// The batches being gathered from an import's lines: the one still open, those finished and not
/// yet handed to the writer, and the refusal that stopped the gathering, if any.
#[derive(Default)]
struct Gathering {
    open: BatchBuilder,
    open_from: usize,
    finished: Vec<Finished>,
    stopped: Option<ImportError>,
}

impl Gathering {
    /// Closes the open batch (lines `open_from..=last`), if it holds any record.
    fn close(&mut self, last: usize) {
        let mut builder = std::mem::take(&mut self.open);
        let lines = (self.open_from, last);
        self.open_from = last + 1;
        if builder.records == 0 {
            return;
        }
        let now = chrono::Utc::now();
        let today = mydata_spec::time::korean_date(now).format("%Y%m%d").to_string();
        let (records, customers) = (builder.records, std::mem::take(&mut builder.touched));
        match builder.finish(&today) {
            Ok((batch, list_lines)) => {
                self.finished.push(Finished { batch, list_lines, lines, records, customers, now })
            }
            Err(refusal) => self.stopped = Some(refusal.into()),
        }
    }

    /// Parses `lines` and adds their records to the open batch, closing it every `batch_size`
    /// records; stops at the first refusal.
    fn gather(&mut self, lines: Vec<(usize, String)>, batch_size: usize) {
        for (at, parsed) in parse_lines(lines) {
            if let Err(refusal) = parsed.and_then(|record| self.open.add(at, record)) {
                self.stopped = Some(refusal.into());
                return;
            }
            if self.open.records >= batch_size {
                self.close(at);
                if self.stopped.is_some() {
                    return;
                }
            }
        }
    }
}

/// What the reading side hands the gathering thread.
enum Chunk {
    Lines(Vec<(usize, String)>),
    /// The input is over after this many lines: the open batch closes. An input that could not be
    /// read to its end sends none, and its open batch is not written.
    End {
        last_line: usize,
    },
}

/// Chunks of lines read ahead of the gathering thread, and batches it gathers ahead of the writer:
/// enough that neither waits for the other while a batch is written, few enough to bound memory.
const CHUNKS_AHEAD: usize = 3;
const BATCHES_AHEAD: usize = 1;

/// Gathers the chunks of `lines` into batches until they end or a record is refused, handing each
/// batch to `batches` as it is finished, and the refusal last.
fn gather_all(
    mut lines: tokio::sync::mpsc::Receiver<Chunk>,
    batches: tokio::sync::mpsc::Sender<Result<Finished, ImportError>>,
    batch_size: usize,
) {
    let mut gathering = Gathering { open_from: 1, ..Gathering::default() };
    while let Some(chunk) = lines.blocking_recv() {
        match chunk {
            Chunk::Lines(chunk) => gathering.gather(chunk, batch_size),
            Chunk::End { last_line } => gathering.close(last_line),
        }
        for finished in gathering.finished.drain(..) {
            if batches.blocking_send(Ok(finished)).is_err() {
                return; // The writer stopped.
            }
        }
        if let Some(stopped) = gathering.stopped.take() {
            let _ = batches.blocking_send(Err(stopped));
            return;
        }
    }
}

/// Reads NDJSON records from `input` and writes them, every `batch` records in one transaction
/// (all of them in one by default). A refused record stops the import: its batch writes nothing,
/// batches before it stay written. Blank lines are skipped. `progress` is told the bytes read.
///
/// Three stages run at once: this task reads lines, a thread of its own parses them (on every
/// core) and gathers them into batches, and this task writes the batches one at a time, in order.
/// The writing is the import's critical path (BENCHMARKS.md): reading and gathering run up to
/// three chunks of lines and one batch ahead of it.
pub async fn import<S: ImportStore + ?Sized>(
    store: &S,
    input: impl BufRead,
    batch: Option<usize>,
    progress: impl FnMut(u64),
) -> Result<Summary, ImportError> {
    let started = std::time::Instant::now();
    let mut summary = Summary::default();
    let mut customers = BTreeSet::new();
    let imported = import_batches(store, input, batch, progress, &mut summary, &mut customers).await;
    // Over, wholly written or up to a refusal: the reads planned next should know what the import
    // made of the tables. What was written stays written whether or not they can be told.
    if let Err(error) = store.import_finished(summary.rows).await {
        tracing::warn!(%error, "the import is over, but the database's statistics were not refreshed");
    }
    imported?;
    summary.customers = customers.len();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// [`import`]'s reading and writing, counted into `summary` and `customers` as they go.
async fn import_batches<S: ImportStore + ?Sized>(
    store: &S,
    mut input: impl BufRead,
    batch: Option<usize>,
    mut progress: impl FnMut(u64),
    summary: &mut Summary,
    customers: &mut BTreeSet<(String, String)>,
) -> Result<(), ImportError> {
    let batch_size = batch.unwrap_or(usize::MAX).max(1);
    let (lines_to_gather, lines) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let (batches_gathered, mut batches) = tokio::sync::mpsc::channel(BATCHES_AHEAD);
    let gatherer = tokio::task::spawn_blocking(move || gather_all(lines, batches_gathered, batch_size));
    let mut reading = Some(lines_to_gather);
    let mut unread = None;
    let mut line = 0;
    let outcome = loop {
        let sender = reading.clone();
        let room = async move {
            match sender {
                Some(sender) => sender.reserve_owned().await.ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // Reading first: a chunk is read in a moment, and the gathering thread must not run dry
            // while a batch is written.
            biased;
            room = room => {
                let Some(room) = room else {
                    reading = None; // The gathering stopped at a refusal, which comes next.
                    continue;
                };
                match read_lines(&mut input, &mut line, &mut progress) {
                    (chunk, None) if chunk.is_empty() => {
                        room.send(Chunk::End { last_line: line });
                        reading = None;
                    }
                    (chunk, None) => drop(room.send(Chunk::Lines(chunk))),
                    // The lines before it are gathered; the batch it falls in stays open, unwritten.
                    (chunk, Some(error)) => {
                        room.send(Chunk::Lines(chunk));
                        unread = Some(error);
                        reading = None;
                    }
                }
            }
            gathered = batches.recv() => match gathered {
                Some(Ok(finished)) => {
                    if let Err(error) = write_one(store, finished, summary, customers).await {
                        break Err(error);
                    }
                }
                // Batches before a refusal stay written.
                Some(Err(refused)) => break Err(refused),
                None => break unread.map_or(Ok(()), Err),
            },
        }
    };
    // The gathering thread stops at its next batch once the writer is gone.
    drop(batches);
    drop(reading);
    if outcome.is_ok() {
        gatherer.await.expect("gathering records panicked");
    }
    outcome
}

/// Writes `finished`, counting it into `summary` and `customers`.
async fn write_one<S: ImportStore + ?Sized>(
    store: &S,
    finished: Finished,
    summary: &mut Summary,
    customers: &mut BTreeSet<(String, String)>,
) -> Result<(), ImportError> {
    summary.records += finished.records;
    customers.extend(finished.customers);
    summary.rows += write(store, finished.batch, &finished.list_lines, finished.lines, finished.now).await?;
    Ok(())
}

/// Writes `batch`, of lines `first..=last`; the rows it changed.
async fn write<S: ImportStore + ?Sized>(
    store: &S,
    batch: ImportBatch,
    list_lines: &ListLines,
    (first, last): (usize, usize),
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, ImportError> {
    let counts = store.import(&batch, now.timestamp()).await.map_err(|source| match source {
        StoreError::UnknownCustomer { org_code, customer_id } => {
            let (line, api) =
                list_lines.get(&(org_code.clone(), customer_id.clone())).cloned().unwrap_or((first, String::new()));
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
    // Freeing a batch's many small values takes a tenth of the writing thread's time.
    tokio::task::spawn_blocking(move || drop(batch));
    Ok(counts.rows_changed)
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

    #[test]
    fn a_byte_order_mark_before_the_first_record_is_skipped_and_blank_lines_keep_their_numbers() {
        let input = "\u{feff}{\"a\":1}\r\n\n{\"b\":2}\n\u{feff}{\"c\":3}\n";
        let (mut line, mut bytes) = (0, 0);
        let (lines, stopped) = read_lines(&mut input.as_bytes(), &mut line, &mut |read| bytes += read);
        assert!(stopped.is_none());
        let texts: Vec<(usize, &str)> = lines.iter().map(|(n, text)| (*n, text.trim_end())).collect();
        // Only the file's start may hold the mark; inside, it stays and the record is refused as not JSON.
        assert_eq!(texts, [(1, "{\"a\":1}"), (3, "{\"b\":2}"), (4, "\u{feff}{\"c\":3}")]);
        assert_eq!((line, bytes), (4, input.len() as u64), "progress counts every byte read");
    }
}
