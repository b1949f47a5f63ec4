//! A SQLite file's WAL copied into the database on a thread of its own, while one writer goes on
//! committing large transactions (an import's batches).
//!
//! A commit that leaves the WAL over SQLite's automatic threshold checkpoints on the committing
//! thread: it copies the WAL into the database and syncs both files. In an import those syncs took
//! a fifth of the writer's time (84 syncs, 1.5 s of an import of 5,000 customers taking 7.7 s), and
//! the writer is the import's critical path. So the writer's connection checkpoints nothing itself
//! (`wal_autocheckpoint = 0`): after each of its transactions this thread runs a passive
//! checkpoint, copying what was committed while the writer writes the next one.
//!
//! SQLite starts the WAL over only when a transaction begins with the WAL wholly copied, which a
//! checkpoint running beside a writer that never pauses does not leave: the WAL would grow with
//! the import. So once it holds [`RESTART_FRAMES`], the writer waits for the checkpoint of what it
//! committed before it begins its next transaction, which then writes the WAL from its start; and
//! it never begins one while the checkpoints are more than one transaction behind, so that the
//! WAL holds at most [`RESTART_FRAMES`] and two transactions.

use rusqlite::Connection;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Frames the WAL may hold before the writer waits for it to be copied: 256 MiB of 4 KiB pages, a
/// few of an import's batches.
pub(crate) const RESTART_FRAMES: i64 = 65_536;

#[derive(Default)]
struct Progress {
    /// Transactions the writer ended so far.
    ended: u64,
    /// Transactions whose commits a finished checkpoint copied.
    copied: u64,
    /// Frames in the WAL when the last checkpoint finished.
    wal_frames: i64,
    closing: bool,
}

#[derive(Default)]
struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Shared {
    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, progress: MutexGuard<'a, Progress>) -> MutexGuard<'a, Progress> {
        self.changed.wait(progress).unwrap_or_else(|e| e.into_inner())
    }
}

/// Checkpoints on a thread of their own, for one writer's connection (which must have
/// `wal_autocheckpoint = 0`). Dropping it copies what is still to be copied and stops the thread.
pub(crate) struct WalCheckpoints {
    shared: Arc<Shared>,
    restart_frames: i64,
    thread: Option<JoinHandle<()>>,
}

impl WalCheckpoints {
    /// Checkpoints through `conn` (a read-write connection of the writer's file), letting the WAL
    /// grow to `restart_frames` ([`RESTART_FRAMES`]) before the writer waits for it.
    pub(crate) fn start(conn: Connection, restart_frames: i64) -> std::io::Result<WalCheckpoints> {
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new().name("mydata-checkpoint".into()).spawn({
            let shared = Arc::clone(&shared);
            move || checkpoint_after_transactions(&conn, &shared)
        })?;
        Ok(WalCheckpoints { shared, restart_frames, thread: Some(thread) })
    }

    /// The writer is about to begin a transaction. When the WAL is long, waits until everything
    /// committed is copied, so that the transaction writes the WAL from its start. Whatever its
    /// length, waits while the checkpoints are more than one transaction behind: the length they
    /// report is that old, and on a busy machine the WAL grew by a transaction for each one behind.
    pub(crate) fn before_transaction(&self) {
        let mut progress = self.shared.progress();
        while progress.ended > progress.copied + 1 {
            progress = self.shared.wait(progress);
        }
        if progress.wal_frames < self.restart_frames {
            return;
        }
        while progress.copied < progress.ended {
            progress = self.shared.wait(progress);
        }
        // The WAL starts over (unless a reader still reads from it: the next checkpoint says).
        progress.wal_frames = 0;
    }

    /// The writer ended a transaction: what it committed is to be copied.
    pub(crate) fn after_transaction(&self) {
        self.shared.progress().ended += 1;
        self.shared.changed.notify_all();
    }
}

impl Drop for WalCheckpoints {
    fn drop(&mut self) {
        self.shared.progress().closing = true;
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The checkpointing thread: a passive checkpoint (which waits for nobody) whenever the writer
/// ended a transaction since the last one, until closed with nothing left to copy.
fn checkpoint_after_transactions(conn: &Connection, shared: &Shared) {
    let mut progress = shared.progress();
    loop {
        while progress.copied == progress.ended && !progress.closing {
            progress = shared.wait(progress);
        }
        if progress.copied == progress.ended {
            return;
        }
        let ended = progress.ended;
        drop(progress);
        // The second column is the WAL's length in frames.
        let checkpoint = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get::<_, i64>(1));
        progress = shared.progress();
        match checkpoint {
            Ok(wal_frames) => progress.wal_frames = wal_frames,
            // The WAL stays whole (nothing is lost) and the next checkpoint copies it.
            Err(error) => tracing::warn!(%error, "a checkpoint of the import's WAL failed"),
        }
        progress.copied = ended;
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn connection(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        conn
    }

    /// A writer of `path` that checkpoints nothing itself, and its checkpoints.
    fn writer(path: &Path, restart_frames: i64) -> (Connection, WalCheckpoints) {
        let conn = connection(path);
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
             CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, text TEXT NOT NULL);",
        )
        .unwrap();
        (conn, WalCheckpoints::start(connection(path), restart_frames).unwrap())
    }

    /// Writes rows `from..from + 100` of 4,000 bytes (a page each) in one transaction.
    fn write_hundred(conn: &Connection, checkpoints: &WalCheckpoints, from: i64) {
        checkpoints.before_transaction();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        for n in from..from + 100 {
            conn.execute("INSERT INTO t VALUES (?1, ?2)", rusqlite::params![n, "x".repeat(4000)]).unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        checkpoints.after_transaction();
    }

    fn wal_bytes(path: &Path) -> u64 {
        std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len())
    }

    #[test]
    fn what_a_writer_commits_is_copied_into_the_database_file_by_its_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (conn, checkpoints) = writer(&path, RESTART_FRAMES);
        write_hundred(&conn, &checkpoints, 0);
        write_hundred(&conn, &checkpoints, 100);
        drop(checkpoints);
        // The database file alone, without its WAL, holds the table and every committed row.
        let copy = dir.path().join("copy.db");
        std::fs::copy(&path, &copy).unwrap();
        let rows: i64 = Connection::open(&copy).unwrap().query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 200);
    }

    #[test]
    fn the_wal_starts_over_instead_of_growing_with_the_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        // A hundred rows are a hundred frames or more: the WAL starts over every few transactions,
        // and holds at most 150 frames and two transactions' (some 1.5 MB) however busy the machine.
        let (conn, checkpoints) = writer(&path, 150);
        for batch in 0..20 {
            write_hundred(&conn, &checkpoints, batch * 100);
        }
        let written = 20 * 100 * 4000;
        assert!(wal_bytes(&path) < written / 4, "the WAL holds {} bytes of {written} written", wal_bytes(&path));
        let rows: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 2000);
    }
}
