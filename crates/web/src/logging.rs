//! Logs off the request path. Every line (the access log included) goes through a bounded queue to
//! a writer thread (`tracing-appender`), so a slow disk or a full pipe costs lines, never a request's
//! time: writing the access line synchronously to standard error cost about 30% of a list's
//! throughput. JSON lines are formatted by [`json_lines`] and reach that queue in batches. Lines
//! dropped because a queue was full are counted ([`dropped_lines`]) for `/metrics`.

mod json_lines;

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// Lines waiting for the writer at most (tracing-appender's default): at a few hundred bytes a
/// line, tens of megabytes, seconds of a busy server's access log.
pub const QUEUE_LINES: usize = 128_000;

/// What a quiet server still logs ([`set_quiet`]): as `MYDATA_LOG=warn`, no access log.
const QUIET: &str = "warn";

/// Lines a JSON batch holds at most, in bytes: at a few hundred bytes a line, as many lines as
/// [`QUEUE_LINES`].
const BATCH_BYTES: usize = 32 << 20;

/// Batches waiting for the writer at most; the batching thread waits rather than drop one.
const QUEUE_BATCHES: usize = 64;

/// The drop counters of every queue of this process.
static QUEUES: Mutex<Vec<Box<dyn Fn() -> u64 + Send>>> = Mutex::new(Vec::new());

/// The filter of the subscriber [`init`] installed, and the directives it started with.
static FILTER: OnceLock<(reload::Handle<EnvFilter, Registry>, String)> = OnceLock::new();

/// `writer` behind a queue of `queue_lines` lines and a thread of its own. A line that finds the
/// queue full is dropped and counted, never waited for. Lines still queued are written when the
/// guard is dropped.
pub fn non_blocking(writer: impl std::io::Write + Send + 'static, queue_lines: usize) -> (NonBlocking, WorkerGuard) {
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(queue_lines)
        .thread_name("mydata-log")
        .finish(writer);
    let counter: ErrorCounter = writer.error_counter();
    count_drops(Box::new(move || counter.dropped_lines() as u64));
    (writer, guard)
}

fn count_drops(counter: Box<dyn Fn() -> u64 + Send>) {
    QUEUES.lock().unwrap_or_else(|e| e.into_inner()).push(counter);
}

/// Log lines this process has dropped so far because a queue was full.
pub fn dropped_lines() -> u64 {
    let queues = QUEUES.lock().unwrap_or_else(|e| e.into_inner());
    queues.iter().map(|dropped| dropped()).sum()
}

/// What [`init`] started; dropping it writes what is still waiting.
pub struct LogGuard {
    // Field order is drop order: the batches first, then the writer they go to.
    _batching: Option<json_lines::Batching>,
    _writer: WorkerGuard,
}

/// Installs the process's logger: `directives` (as `MYDATA_LOG`), written through [`non_blocking`]
/// to `file` (appended, one JSON object a line) or else to standard error (JSON unless it is a
/// terminal). Keep the guard until exit: dropping it writes what is still queued.
pub fn init(directives: &str, file: Option<&Path>) -> std::io::Result<LogGuard> {
    let filter = EnvFilter::try_new(directives).map_err(std::io::Error::other)?;
    let (sink, json): (Box<dyn std::io::Write + Send>, bool) = match file {
        Some(path) => (Box::new(std::fs::OpenOptions::new().create(true).append(true).open(path)?), true),
        None => (Box::new(std::io::stderr()), !std::io::stderr().is_terminal()),
    };
    let (filter, handle) = reload::Layer::new(filter);
    let registry = tracing_subscriber::registry().with(filter);
    // Humans get readable lines; anything else (a log collector, a file) one JSON object a line.
    let guard = if json {
        let (writer, guard) = NonBlockingBuilder::default()
            .lossy(false)
            .buffered_lines_limit(QUEUE_BATCHES)
            .thread_name("mydata-log")
            .finish(sink);
        let (lines, batching) = json_lines::json_lines(writer, BATCH_BYTES);
        registry.with(lines).init();
        LogGuard { _batching: Some(batching), _writer: guard }
    } else {
        let (writer, guard) = non_blocking(sink, QUEUE_LINES);
        registry.with(tracing_subscriber::fmt::layer().with_writer(writer)).init();
        LogGuard { _batching: None, _writer: guard }
    };
    let _ = FILTER.set((handle, directives.to_owned()));
    Ok(guard)
}

/// Quiets the logger of [`init`] to warnings (no access log), or restores its own filter: what the
/// benchmark compares. Nothing to do without it.
pub fn set_quiet(quiet: bool) {
    if let Some((handle, directives)) = FILTER.get() {
        let wanted = if quiet { QUIET } else { directives.as_str() };
        if let Ok(filter) = EnvFilter::try_new(wanted) {
            let _ = handle.reload(filter);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::mpsc;

    /// A writer that takes nothing until the test lets it go.
    struct Stalled(mpsc::Receiver<()>);

    impl Write for Stalled {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let _ = self.0.recv();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_that_find_the_queue_full_are_dropped_and_counted() {
        let (release, stalled) = mpsc::channel();
        let before = dropped_lines();
        let (mut writer, guard) = non_blocking(Stalled(stalled), 2);
        // The writer thread holds at most one line and the queue two: the rest cannot wait.
        for n in 0..50 {
            writer.write_all(format!("line {n}\n").as_bytes()).unwrap();
        }
        let dropped = writer.error_counter().dropped_lines() as u64;
        assert!(dropped >= 47, "{dropped} lines dropped");
        assert!(dropped_lines() - before >= dropped, "the process-wide count includes them");
        drop(release);
        drop(guard);
    }
}
