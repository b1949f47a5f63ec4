//! One JSON object a line, formatted in a single pass and handed over in batches. The formatter of
//! `tracing-subscriber` stores each span's fields as JSON text and parses them back for every line
//! (the `span` and `spans` entries), and waking the writer thread for every line costs a context
//! switch: together about 16 µs a request, more than 10% of a list's time on two cores. Here a span
//! keeps its fields as a ready JSON object, a line is written into a buffer of the request's thread
//! and appended to a shared batch under a short lock, and a batching thread passes the batch to the
//! non-blocking writer every [`BATCH_EVERY`].

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber, span};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// How long a line waits at most before it is passed on (when the writer keeps up).
pub const BATCH_EVERY: Duration = Duration::from_millis(10);

/// Lines waiting in a batch, shared by every thread that logs.
struct Batch {
    lines: Mutex<Vec<u8>>,
    /// At most this many bytes wait; a line that does not fit is dropped and counted.
    limit_bytes: usize,
    dropped: AtomicU64,
    stopping: AtomicBool,
}

/// The `tracing` layer: JSON lines into the shared batch.
pub struct JsonLines {
    batch: Arc<Batch>,
}

/// The batching thread; dropping it passes on what is still waiting and stops it.
pub struct Batching {
    batch: Arc<Batch>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Batching {
    fn drop(&mut self) {
        self.batch.stopping.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// A layer writing JSON lines, and the thread that hands them to `writer` (which must not drop a
/// batch: lines are counted as dropped here, where they are lines). At most `limit_bytes` wait.
pub fn json_lines(mut writer: impl std::io::Write + Send + 'static, limit_bytes: usize) -> (JsonLines, Batching) {
    let batch = Arc::new(Batch {
        lines: Mutex::new(Vec::new()),
        limit_bytes,
        dropped: AtomicU64::new(0),
        stopping: AtomicBool::new(false),
    });
    let counted = batch.clone();
    super::count_drops(Box::new(move || counted.dropped.load(Ordering::Relaxed)));
    let shared = batch.clone();
    let thread = std::thread::Builder::new()
        .name("mydata-log-batch".into())
        .spawn(move || {
            let mut spare = Vec::new();
            loop {
                let stopping = shared.stopping.load(Ordering::Relaxed);
                std::mem::swap(&mut *shared.lines.lock().unwrap_or_else(|e| e.into_inner()), &mut spare);
                if !spare.is_empty() {
                    let _ = writer.write_all(&spare);
                    let _ = writer.flush();
                    spare.clear();
                }
                if stopping {
                    break;
                }
                std::thread::park_timeout(BATCH_EVERY);
            }
        })
        .expect("a thread for the log batches");
    (JsonLines { batch: batch.clone() }, Batching { batch, thread: Some(thread) })
}

/// A span's fields as a complete JSON object, `name` included, kept current as fields are recorded.
struct SpanJson(Vec<u8>);

thread_local! {
    /// The line being written, reused by every event of the thread.
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(1024));
    /// `YYYY-MM-DDTHH:MM:SS` of the last second a line of this thread was stamped in.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for JsonLines {
    fn on_new_span(&self, attributes: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut json = Vec::with_capacity(256);
        json.push(b'{');
        attributes.record(&mut Members(&mut json));
        Members(&mut json).text("name", span.name());
        json.push(b'}');
        span.extensions_mut().insert(SpanJson(json));
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(SpanJson(json)) = span.extensions_mut().get_mut::<SpanJson>() {
            json.pop();
            values.record(&mut Members(json));
            json.push(b'}');
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        LINE.with_borrow_mut(|line| {
            line.clear();
            let metadata = event.metadata();
            line.extend_from_slice(b"{\"timestamp\":\"");
            timestamp(line, SystemTime::now());
            line.extend_from_slice(b"\",\"level\":\"");
            line.extend_from_slice(metadata.level().as_str().as_bytes());
            line.extend_from_slice(b"\",\"target\":");
            escaped(line, metadata.target());
            line.extend_from_slice(b",\"fields\":{");
            event.record(&mut Members(line));
            line.push(b'}');
            if let Some(scope) = ctx.event_scope(event) {
                // `spans` from the root, and the innermost again as `span`, as tracing-subscriber's JSON.
                line.extend_from_slice(b",\"spans\":[");
                let mut innermost = None;
                for span in scope.from_root() {
                    if let Some(SpanJson(json)) = span.extensions().get::<SpanJson>() {
                        if innermost.is_some() {
                            line.push(b',');
                        }
                        innermost = Some(line.len()..line.len() + json.len());
                        line.extend_from_slice(json);
                    }
                }
                line.push(b']');
                if let Some(innermost) = innermost {
                    line.extend_from_slice(b",\"span\":");
                    line.extend_from_within(innermost);
                }
            }
            line.extend_from_slice(b"}\n");
            let mut lines = self.batch.lines.lock().unwrap_or_else(|e| e.into_inner());
            if lines.len() + line.len() > self.batch.limit_bytes {
                drop(lines);
                self.batch.dropped.fetch_add(1, Ordering::Relaxed);
            } else {
                lines.extend_from_slice(line);
            }
        });
    }
}

/// RFC 3339 in UTC with microseconds; the date and time of day are formatted once a second.
fn timestamp(line: &mut Vec<u8>, now: SystemTime) {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let second = since_epoch.as_secs();
    SECOND.with_borrow_mut(|(cached, text)| {
        if *cached != second {
            let at = chrono::DateTime::<chrono::Utc>::from(UNIX_EPOCH + Duration::from_secs(second));
            *text = at.format("%Y-%m-%dT%H:%M:%S").to_string();
            *cached = second;
        }
        line.extend_from_slice(text.as_bytes());
    });
    let _ = write!(Bytes(line), ".{:06}Z", since_epoch.subsec_micros());
}

/// `text` as a JSON string.
fn escaped(line: &mut Vec<u8>, text: &str) {
    line.push(b'"');
    let _ = Escaping(line).write_str(text);
    line.push(b'"');
}

/// `fmt::Write` into a byte buffer.
struct Bytes<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// `fmt::Write` into a byte buffer, escaped for the inside of a JSON string.
struct Escaping<'a>(&'a mut Vec<u8>);

/// Whether `byte` is escaped inside a JSON string: a quote, a backslash or a control character.
const fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Whether any of the eight bytes of `word` [`needs_escape`], by the usual bit tricks on a whole
/// word: the access line is a few hundred bytes of text that needs none, and a byte at a time was a
/// third of what the access log costs a request.
const fn any_needs_escape(word: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH_BITS: u64 = ONES * 0x80;
    // A byte below `n` (at most 0x80) leaves its high bit set in `x - n` and clear in `x`.
    const fn any_below(x: u64, n: u8) -> bool {
        x.wrapping_sub(ONES * n as u64) & !x & HIGH_BITS != 0
    }
    any_below(word, 0x20) || any_below(word ^ (ONES * b'"' as u64), 1) || any_below(word ^ (ONES * b'\\' as u64), 1)
}

impl std::fmt::Write for Escaping<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let bytes = text.as_bytes();
        let (mut plain_from, mut at) = (0, 0);
        while at < bytes.len() {
            if let Some(word) = bytes[at..].first_chunk::<8>()
                && !any_needs_escape(u64::from_ne_bytes(*word))
            {
                at += 8;
                continue;
            }
            let byte = bytes[at];
            at += 1;
            if !needs_escape(byte) {
                continue;
            }
            self.0.extend_from_slice(&bytes[plain_from..at - 1]);
            plain_from = at;
            match byte {
                b'"' => self.0.extend_from_slice(b"\\\""),
                b'\\' => self.0.extend_from_slice(b"\\\\"),
                b'\n' => self.0.extend_from_slice(b"\\n"),
                b'\r' => self.0.extend_from_slice(b"\\r"),
                b'\t' => self.0.extend_from_slice(b"\\t"),
                _ => {
                    let _ = write!(Bytes(self.0), "\\u{byte:04x}");
                }
            }
        }
        self.0.extend_from_slice(&bytes[plain_from..]);
        Ok(())
    }
}

/// Fields as the members of a JSON object being written (after `{` or after other members).
struct Members<'a>(&'a mut Vec<u8>);

impl Members<'_> {
    fn key(&mut self, name: &str) {
        if self.0.last() != Some(&b'{') {
            self.0.push(b',');
        }
        escaped(self.0, name);
        self.0.push(b':');
    }

    fn text(&mut self, name: &str, value: &str) {
        self.key(name);
        escaped(self.0, value);
    }

    fn number(&mut self, name: &str, value: impl std::fmt::Display) {
        self.key(name);
        let _ = write!(Bytes(self.0), "{value}");
    }
}

impl Visit for Members<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.key(field.name());
        self.0.push(b'"');
        let _ = write!(Escaping(self.0), "{value:?}");
        self.0.push(b'"');
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.text(field.name(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.number(field.name(), value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.number(field.name(), value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.number(field.name(), value);
        } else {
            // JSON has no NaN or infinity.
            self.text(field.name(), &value.to_string());
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.number(field.name(), value);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.key(field.name());
        self.0.push(b'"');
        let _ = write!(Escaping(self.0), "{value}");
        self.0.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Collected(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Collected {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(limit_bytes: usize, log: impl FnOnce()) -> (Vec<serde_json::Value>, u64) {
        let out = Collected::default();
        let (layer, batching) = json_lines(out.clone(), limit_bytes);
        let batch = layer.batch.clone();
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), log);
        drop(batching);
        let dropped = batch.dropped.load(Ordering::Relaxed);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines = text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
        (lines, dropped)
    }

    #[test]
    fn a_line_carries_its_fields_and_every_span_with_fields_recorded_later() {
        let (lines, dropped) = logged(1 << 20, || {
            let outer = tracing::info_span!("request", tran_id = "T1", client_id = tracing::field::Empty);
            outer.record("client_id", "c\"1\n");
            let inner = outer.in_scope(|| tracing::info_span!("step", n = 2u64));
            inner.in_scope(
                || tracing::warn!(status = 200u16, ok = true, latency_ms = 1.5, method = %"GET", "handled {}", "x"),
            );
            tracing::error!(ratio = f64::NAN, "outside");
        });
        assert_eq!(dropped, 0);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let line = &lines[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["message"], "handled x");
        assert_eq!(line["fields"]["status"], 200);
        assert_eq!(line["fields"]["ok"], true);
        assert_eq!(line["fields"]["latency_ms"], 1.5);
        assert_eq!(line["fields"]["method"], "GET");
        assert_eq!(line["spans"][0]["name"], "request");
        assert_eq!(line["spans"][0]["client_id"], "c\"1\n", "escaped and recorded after the span began");
        assert_eq!(line["spans"][1], serde_json::json!({"n": 2, "name": "step"}));
        assert_eq!(line["span"], line["spans"][1]);
        let stamp = line["timestamp"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(stamp).is_ok(), "{stamp}");
        assert_eq!(lines[1]["fields"]["ratio"], "NaN");
        assert!(lines[1].get("spans").is_none(), "{:?}", lines[1]);
    }

    #[test]
    fn lines_that_do_not_fit_the_batch_are_dropped_and_counted() {
        // 100 lines of ~150 bytes do not fit 1 KB, however often the batching thread empties it.
        let (lines, dropped) = logged(1024, || {
            for n in 0..100 {
                tracing::info!(n, "line");
            }
        });
        assert!(dropped > 0, "{dropped} dropped");
        assert_eq!(lines.len() as u64 + dropped, 100, "every line is either written or counted");
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut out = Vec::new();
        escaped(&mut out, "a\u{1}b\\\t");
        assert_eq!(String::from_utf8(out).unwrap(), r#""a\u0001b\\\t""#);
    }

    /// The word at a time check says what the byte at a time one says, for every byte at every
    /// place among neighbours of every kind (UTF-8's high bytes, the bytes next to the escaped ones).
    #[test]
    fn a_word_needs_escaping_where_one_of_its_bytes_does() {
        for neighbour in [b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xeb, 0xff] {
            for byte in 0..=u8::MAX {
                for place in 0..8 {
                    let mut word = [neighbour; 8];
                    word[place] = byte;
                    let expected = needs_escape(byte) || needs_escape(neighbour);
                    assert_eq!(any_needs_escape(u64::from_ne_bytes(word)), expected, "{word:?}");
                }
            }
        }
    }

    /// Text of every length around the words looked at together, with a character to escape at
    /// every place or none, reads back as itself.
    #[test]
    fn any_text_reads_back_as_itself() {
        for length in 0..=25 {
            for special in [None, Some('"'), Some('\\'), Some('\n'), Some('\u{1f}'), Some('한')] {
                for place in 0..length.max(1) {
                    let text: String =
                        (0..length).map(|i| if i == place { special.unwrap_or('a') } else { 'a' }).collect();
                    let mut out = Vec::new();
                    escaped(&mut out, &text);
                    let read: String = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {out:?}"));
                    assert_eq!(read, text);
                }
            }
        }
    }
}
