//! SQLite reads on the calling thread.
//!
//! sqlx runs every SQLite connection on a worker thread of its own and hands each statement, each
//! row and each return to the pool across threads. On the two cores of the benchmark those
//! hand-offs cost more than the queries of an information-API call (BENCHMARKS.md). The reads every
//! such call makes (asset lists, assets, documents, history pages) run here instead, on the calling
//! thread: each is one indexed statement of a few pages, shorter than a hand-off, so blocking the
//! async worker for it costs less than waiting for another thread would.
//!
//! Writes stay with sqlx, the one writer; these connections are `query_only`. In WAL mode a read
//! never waits for a writer, and each statement sees everything committed before it began.

use crate::wal_checkpoints::{RESTART_FRAMES, WalCheckpoints};
use crate::{StoreError, StoreResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Statement};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// Connections kept open between reads; more are opened when more threads read at once.
const IDLE_CONNECTIONS: usize = 16;

/// The names of the first parameters bound, by position: the reads of information-API calls bind
/// no more, and look them up without formatting a name.
const PARAMETER_NAMES: [&str; 9] = ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9"];

/// A query parameter, bound to `$N` where N is its 1-based position in the parameter list, or to
/// the statement's N-th anonymous `?` ([`bind_params`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Param<'a> {
    Text(&'a str),
    Int(i64),
}

impl std::fmt::Display for Param<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Text(text) => f.write_str(text),
            Param::Int(number) => write!(f, "{number}"),
        }
    }
}

/// The values of one result row, by column position.
pub(crate) struct LocalRow(Vec<Value>);

impl LocalRow {
    /// The text of `column`, moved out of the row (each column is read once).
    pub(crate) fn text(&mut self, column: usize) -> StoreResult<Option<String>> {
        match self.0.get_mut(column) {
            Some(Value::Text(text)) => Ok(Some(std::mem::take(text))),
            Some(Value::Null) => Ok(None),
            other => Err(StoreError::Corrupt(format!("column {column}: expected text, found {other:?}"))),
        }
    }

    pub(crate) fn int(&self, column: usize) -> StoreResult<Option<i64>> {
        match self.0.get(column) {
            Some(Value::Integer(n)) => Ok(Some(*n)),
            Some(Value::Null) => Ok(None),
            other => Err(StoreError::Corrupt(format!("column {column}: expected an integer, found {other:?}"))),
        }
    }
}

/// Read-only connections to one SQLite file, used on the calling thread.
pub(crate) struct LocalReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// The imports' connection and checkpoints ([`LocalReader::with_import_connection`]).
    importing: Mutex<Importing>,
}

/// What the imports write with, each opened at the first import.
#[derive(Default)]
struct Importing {
    /// Kept between an import's batches, closed when it is over.
    conn: Option<Connection>,
    /// Kept while the store is: the checkpoint after an import's last batch goes on beside what
    /// comes next (an ingestion call's answer) rather than before it.
    checkpoints: Option<WalCheckpoints>,
}

impl std::fmt::Debug for LocalReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalReader").field("path", &self.path).finish()
    }
}

impl LocalReader {
    pub(crate) fn new(path: PathBuf) -> LocalReader {
        LocalReader { path, idle: Mutex::new(Vec::new()), importing: Mutex::default() }
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    /// Runs `write` with the connection of the imports ([`crate::sql::import`]), which write on the
    /// calling thread, one batch at a time. Its page cache (256 MiB, against SQLite's 2 MiB) holds a
    /// large batch's changed pages until the commit, so that each goes to the WAL once rather than
    /// being spilled on the way, and it is kept between batches, so that the next one finds the
    /// tables' upper pages there rather than reading them again; its statement journals stay in
    /// memory (each upsert keeps the pages it changes until it ends, and written to a temporary
    /// file they were a fifth of an import's time). It is closed when the import is over
    /// ([`LocalReader::close_import_connection`]). What it commits is copied from the WAL into the
    /// database on a thread of its own ([`WalCheckpoints`]), started with the first import.
    pub(crate) fn with_import_connection<T>(&self, write: impl FnOnce(&mut Connection) -> T) -> StoreResult<T> {
        let mut importing = self.importing.lock().unwrap_or_else(|e| e.into_inner());
        let Importing { conn, checkpoints } = &mut *importing;
        let checkpoints = match checkpoints {
            Some(checkpoints) => checkpoints,
            None => checkpoints
                .insert(WalCheckpoints::start(self.writing_connection()?, RESTART_FRAMES).map_err(StoreError::Thread)?),
        };
        let conn = match conn {
            Some(conn) => conn,
            None => conn.insert(self.import_connection()?),
        };
        checkpoints.before_transaction();
        let written = write(conn);
        checkpoints.after_transaction();
        Ok(written)
    }

    /// Closes the imports' connection, if open, with its page cache: an import is over.
    pub(crate) fn close_import_connection(&self) {
        self.importing.lock().unwrap_or_else(|e| e.into_inner()).conn.take();
    }

    /// Whether the imports' connection is open.
    #[cfg(test)]
    pub(crate) fn has_import_connection(&self) -> bool {
        self.importing.lock().unwrap_or_else(|e| e.into_inner()).conn.is_some()
    }

    fn import_connection(&self) -> rusqlite::Result<Connection> {
        let conn = self.writing_connection()?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "cache_size", -262_144)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    /// A read-write connection, syncing as the server's do (`synchronous = NORMAL`).
    fn writing_connection(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(conn)
    }

    /// The first row `sql` answers with `params` bound, if any.
    pub(crate) fn first_row(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<Option<LocalRow>> {
        Ok(self.rows(sql, params, 1)?.pop())
    }

    /// Up to `limit` rows that `sql` answers with `params` bound.
    pub(crate) fn rows(&self, sql: &str, params: &[Param<'_>], limit: usize) -> StoreResult<Vec<LocalRow>> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let rows = rows_on(&conn, sql, params, limit)?;
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(conn);
        }
        Ok(rows)
    }
}

/// Binds `params` in order: to the statement's anonymous `?`, or else to `$1`, `$2`, … by name
/// (`$N` may appear several times or not at all; SQLite numbers it by first appearance).
pub(crate) fn bind_params(statement: &mut Statement<'_>, params: &[Param<'_>]) -> rusqlite::Result<()> {
    let anonymous = statement.parameter_count() > 0 && statement.parameter_name(1).is_none();
    for (position, param) in params.iter().enumerate() {
        let index = if anonymous {
            Some(position + 1)
        } else if let Some(name) = PARAMETER_NAMES.get(position) {
            statement.parameter_index(name)?
        } else {
            statement.parameter_index(&format!("${}", position + 1))?
        };
        let Some(index) = index else { continue };
        match *param {
            Param::Text(text) => statement.raw_bind_parameter(index, text)?,
            Param::Int(number) => statement.raw_bind_parameter(index, number)?,
        }
    }
    Ok(())
}

/// Up to `limit` rows that `sql` answers with `params` bound ([`bind_params`]), on `conn`.
pub(crate) fn rows_on(
    conn: &Connection,
    sql: &str,
    params: &[Param<'_>],
    limit: usize,
) -> rusqlite::Result<Vec<LocalRow>> {
    let mut statement = conn.prepare_cached(sql)?;
    bind_params(&mut statement, params)?;
    let columns = statement.column_count();
    let mut rows = statement.raw_query();
    let mut read = Vec::new();
    while read.len() < limit
        && let Some(row) = rows.next()?
    {
        read.push(LocalRow((0..columns).map(|i| row.get::<_, Value>(i)).collect::<rusqlite::Result<Vec<_>>>()?));
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, LocalReader) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("read.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT, n INTEGER); \
                 INSERT INTO t VALUES ('a', 1), ('b', NULL);",
            )
            .unwrap();
        (dir, LocalReader::new(path))
    }

    #[test]
    fn parameters_bind_by_their_number_wherever_they_appear() {
        let (_dir, reader) = database();
        let sql = "SELECT k, n FROM t WHERE ($2 = 0 OR n = $2) AND k = $1";
        let mut row = reader.first_row(sql, &[Param::Text("a"), Param::Int(1)]).unwrap().unwrap();
        assert_eq!((row.text(0).unwrap(), row.int(1).unwrap()), (Some("a".into()), Some(1)));
        let row = reader.first_row(sql, &[Param::Text("b"), Param::Int(0)]).unwrap().unwrap();
        assert_eq!(row.int(1).unwrap(), None, "NULL is none");
        assert!(reader.first_row(sql, &[Param::Text("c"), Param::Int(0)]).unwrap().is_none());
        let all = reader.rows("SELECT k FROM t ORDER BY k", &[], 10).unwrap();
        let keys: Vec<_> = all.into_iter().map(|mut row| row.text(0).unwrap().unwrap()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(reader.rows("SELECT k FROM t", &[], 1).unwrap().len(), 1, "no more than the limit");
        assert!(matches!(row.int(0), Err(StoreError::Corrupt(_))), "text is not an integer");
    }

    #[test]
    fn reads_cannot_write() {
        let (_dir, reader) = database();
        let refused = reader.first_row("DELETE FROM t RETURNING k", &[]);
        assert!(matches!(refused, Err(StoreError::LocalDatabase(_))), "query_only refuses writes");
        let count = reader.first_row("SELECT count(*) FROM t", &[]).unwrap().unwrap();
        assert_eq!(count.int(0).unwrap(), Some(2));
    }
}
