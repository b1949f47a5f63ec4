//! Logs off the request path. Every line (the access log included) goes through a bounded queue to
//! a writer thread (`tracing-appender`), so a slow disk or a full pipe costs lines, never a request's
//! time: writing the access line synchronously to standard error cost about 30% of a list's
//! throughput. JSON lines are formatted by [`json_lines`] and reach that queue in batches. Lines
//! dropped because a queue was full are counted ([`dropped_lines`]) for `/metrics`.

mod json_lines;

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::{Level, Metadata, Subscriber, subscriber::Interest};
use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Lines waiting for the writer at most (tracing-appender's default): at a few hundred bytes a
/// line, tens of megabytes, seconds of a busy server's access log.
pub const QUEUE_LINES: usize = 128_000;

/// The most verbose level a quiet server still logs ([`set_quiet`]): as `MYDATA_LOG=warn`, no access log.
const QUIET_UP_TO: Level = Level::WARN;

/// Lines a JSON batch holds at most, in bytes: at a few hundred bytes a line, as many lines as
/// [`QUEUE_LINES`].
const BATCH_BYTES: usize = 32 << 20;

/// Batches waiting for the writer at most; the batching thread waits rather than drop one.
const QUEUE_BATCHES: usize = 64;

/// The drop counters of every queue of this process.
static QUEUES: Mutex<Vec<Box<dyn Fn() -> u64 + Send>>> = Mutex::new(Vec::new());

/// Whether the logger is quieted ([`set_quiet`]).
static QUIET: AtomicBool = AtomicBool::new(false);

/// Leaves out what a quiet logger does not log. A flag and the callsites' cached interest rather
/// than `tracing-subscriber`'s reloadable filter, which takes a lock for every span and line: the
/// access log's spans pay nothing for a switch only the benchmark uses.
struct Quieting;

impl Quieting {
    fn silenced(metadata: &Metadata<'_>) -> bool {
        QUIET.load(Ordering::Relaxed) && *metadata.level() > QUIET_UP_TO
    }
}

impl<S: Subscriber> Layer<S> for Quieting {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if Self::silenced(metadata) { Interest::never() } else { Interest::always() }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        !Self::silenced(metadata)
    }
}

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
    let filter = Filter::of(directives)?;
    let (sink, json): (Box<dyn std::io::Write + Send>, bool) = match file {
        Some(path) => (Box::new(std::fs::OpenOptions::new().create(true).append(true).open(path)?), true),
        None => (Box::new(std::io::stderr()), !std::io::stderr().is_terminal()),
    };
    let registry = tracing_subscriber::registry().with(Quieting).with(filter.targets).with(filter.spans);
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
    Ok(guard)
}

/// What `MYDATA_LOG`'s directives let through, by one of two filters.
struct Filter {
    /// Levels by target (`info`, `mydata=debug,warn`), as every default is: nothing to keep per span.
    targets: Option<Targets>,
    /// Directives on spans or their fields (`[request{client_id=c1}]=debug`): `EnvFilter` keeps a
    /// record of every span, under a lock taken at every entry into and exit from each, the access
    /// log's request spans included, so it is used only where the directives need it.
    spans: Option<EnvFilter>,
}

impl Filter {
    fn of(directives: &str) -> std::io::Result<Filter> {
        // `Targets` takes ` mydata=debug` for a target with a space; `EnvFilter` trims it.
        let trimmed: Vec<&str> = directives.split(',').map(str::trim).filter(|d| !d.is_empty()).collect();
        match trimmed.join(",").parse::<Targets>() {
            Ok(targets) if !directives.contains('[') => Ok(Filter { targets: Some(targets), spans: None }),
            _ => {
                let spans = EnvFilter::try_new(directives).map_err(std::io::Error::other)?;
                Ok(Filter { targets: None, spans: Some(spans) })
            }
        }
    }
}

/// Quiets the logger of [`init`] to warnings (no access log), or restores its own filter: what the
/// benchmark compares.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
    tracing::callsite::rebuild_interest_cache();
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

    /// A writer into a buffer the test reads back.
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_quiet_logger_writes_warnings_alone_until_it_is_restored() {
        let buffer = Buffer::default();
        let written = buffer.clone();
        let lines = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || written.clone());
        let filter = Filter::of("info").unwrap();
        let subscriber = tracing_subscriber::registry().with(Quieting).with(filter.targets).with(lines);
        tracing::subscriber::with_default(subscriber, || {
            // The same callsites each time: their cached interest must follow the switch.
            for (turn, quiet) in [false, true, false].into_iter().enumerate() {
                set_quiet(quiet);
                tracing::info!(turn, "request handled");
                tracing::warn!(turn, "slow statement");
                tracing::debug!(turn, "below the filter");
            }
        });
        set_quiet(false);
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let logged: Vec<&str> =
            text.lines().map(|line| line.split_once(": ").map_or(line, |(_, message)| message)).collect();
        assert_eq!(
            logged,
            [
                "request handled turn=0",
                "slow statement turn=0",
                "slow statement turn=1",
                "request handled turn=2",
                "slow statement turn=2"
            ],
            "{text}"
        );
    }

    /// Levels by target need no record of spans; a directive on a span takes `EnvFilter`, and works.
    #[test]
    fn directives_take_the_filter_they_need() {
        for by_target in ["info", "warn", "mydata=debug,info", "mydata_provider::access_log=warn, info"] {
            let filter = Filter::of(by_target).unwrap();
            assert!(filter.targets.is_some() && filter.spans.is_none(), "{by_target}");
        }
        let spaced = Filter::of("warn, mydata=debug").unwrap().targets.unwrap();
        assert!(
            spaced.would_enable("mydata::cmd::serve", &Level::DEBUG) && !spaced.would_enable("hyper", &Level::INFO)
        );
        assert!(Filter::of("mydata=loud").is_err(), "no such level");
        let filter = Filter::of("warn,[request]=debug").unwrap();
        assert!(filter.targets.is_none() && filter.spans.is_some());
        let buffer = Buffer::default();
        let written = buffer.clone();
        let lines = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || written.clone());
        let subscriber = tracing_subscriber::registry().with(filter.spans).with(lines);
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!("outside any request");
            tracing::info_span!("request").in_scope(|| tracing::debug!("inside a request"));
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("inside a request") && !text.contains("outside"), "{text}");
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
