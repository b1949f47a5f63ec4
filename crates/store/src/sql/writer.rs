//! The connection an import's transaction runs on: on a SQLite file one of its own on the calling
//! thread, a native one on PostgreSQL, sqlx's `Any` one for a SQLite database in memory.
//!
//! On SQLite, sqlx hands every statement, every bound value and every returned row across to a
//! worker thread and back through the `Any` types; for an import's hundreds of thousands of rows
//! that cost more than SQLite's own work (the profile of `mydata import` showed a third of its
//! time in the hand-offs). A [`rusqlite`] connection runs one prepared statement per row instead.
//!
//! The `Any` driver has no COPY, and COPY must run in the batch's own transaction for the batch
//! to stay all or nothing; so on PostgreSQL the whole batch runs on a native connection, and
//! [`Writer::upsert`] loads many rows with COPY into a staging table, then upserts from it.

use super::upsert::Upsert;
use super::*;
use crate::local_read::{bind_params, rows_on};
use sqlx::postgres::PgConnection;

/// Rows per multi-row statement: 500 × 7 columns stays far below both databases' parameter limits.
/// On PostgreSQL more rows than this go through COPY instead.
pub(super) const CHUNK: usize = 500;

pub(super) enum Writer<'c> {
    Any(&'c mut sqlx::AnyConnection, Backend),
    Postgres(&'c mut PgConnection),
    /// A SQLite file's connection in a transaction: every statement runs on the calling thread.
    Local(&'c mut rusqlite::Connection),
}

/// The text columns of the rows a statement returned.
pub(super) type TextRows = Vec<Vec<String>>;

/// What [`Writer::upsert`] changed.
#[derive(Default)]
pub(super) struct Upserted {
    /// Rows inserted or updated.
    pub(super) rows: u64,
    /// Their returned columns, where consecutive rows return the same given once: a history's
    /// entries, written together, return its subject once rather than an allocation per entry.
    pub(super) keys: TextRows,
}

impl Upserted {
    fn of(mut returned: TextRows) -> Upserted {
        let rows = returned.len() as u64;
        returned.dedup();
        Upserted { rows, keys: returned }
    }
}

fn bound_pg<'q>(
    sql: &'q str,
    params: &[Param<'q>],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    params.iter().fold(sqlx::query(sql), |query, param| match *param {
        Param::Text(text) => query.bind(text),
        Param::Int(number) => query.bind(number),
    })
}

fn texts<R: Row>(rows: Vec<R>, columns: usize) -> Result<TextRows, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter().map(|row| (0..columns).map(|i| row.try_get::<String, _>(i)).collect()).collect()
}

fn local_execute(conn: &rusqlite::Connection, sql: &str, params: &[Param<'_>]) -> rusqlite::Result<u64> {
    let mut statement = conn.prepare_cached(sql)?;
    bind_params(&mut statement, params)?;
    Ok(statement.raw_execute()? as u64)
}

/// The first `columns` columns of the rows `sql` answers on `conn`, each text (NOT NULL columns).
fn local_texts(conn: &rusqlite::Connection, sql: &str, params: &[Param<'_>], columns: usize) -> StoreResult<TextRows> {
    let text = |row: &mut LocalRow, i| row.text(i)?.ok_or_else(|| StoreError::Corrupt(format!("column {i} is NULL")));
    rows_on(conn, sql, params, usize::MAX)?
        .into_iter()
        .map(|mut row| (0..columns).map(|i| text(&mut row, i)).collect())
        .collect()
}

/// One value in COPY's text format: tabs, newlines and backslashes escaped.
fn copy_text(out: &mut Vec<u8>, param: &Param<'_>) {
    match param {
        Param::Int(number) => out.extend_from_slice(number.to_string().as_bytes()),
        Param::Text(text) => {
            for &byte in text.as_bytes() {
                match byte {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(byte),
                }
            }
        }
    }
}

impl Writer<'_> {
    pub(super) fn backend(&self) -> Backend {
        match self {
            Writer::Any(_, backend) => *backend,
            Writer::Postgres(_) => Backend::Postgres,
            Writer::Local(_) => Backend::Sqlite,
        }
    }

    /// Runs `sql` with `params` bound to `$1`, `$2`, … (`?` on SQLite); returns the rows it changed.
    pub(super) async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> StoreResult<u64> {
        Ok(match self {
            Writer::Any(conn, _) => bound(sql, params).execute(&mut **conn).await?.rows_affected(),
            Writer::Postgres(conn) => bound_pg(sql, params).execute(&mut **conn).await?.rows_affected(),
            Writer::Local(conn) => local_execute(conn, sql, params)?,
        })
    }

    /// The first `columns` columns, all text, of the rows `sql` returns.
    pub(super) async fn fetch(&mut self, sql: &str, params: &[Param<'_>], columns: usize) -> StoreResult<TextRows> {
        Ok(match self {
            Writer::Any(conn, _) => texts(bound(sql, params).fetch_all(&mut **conn).await?, columns)?,
            Writer::Postgres(conn) => texts(bound_pg(sql, params).fetch_all(&mut **conn).await?, columns)?,
            Writer::Local(conn) => local_texts(conn, sql, params, columns)?,
        })
    }

    /// Upserts `rows` (each its values in `upsert`'s column order): how many it inserted or
    /// updated, and the `returning` columns (a comma-separated list) of those ([`Upserted`]). On a
    /// SQLite file one prepared statement runs per row; else multi-row statements of [`CHUNK`] rows,
    /// or on PostgreSQL, for more rows than that, COPY into a staging table and one statement from
    /// it (a round trip and a parse per row saved: the rows stream as one message).
    pub(super) async fn upsert(
        &mut self,
        upsert: &Upsert,
        rows: &[Vec<Param<'_>>],
        returning: &str,
    ) -> StoreResult<Upserted> {
        let columns = returning.split(',').count();
        if let Writer::Local(conn) = self {
            // What a row changed is the statement's count; the returned columns are the row's own
            // values (SQLite would buffer a RETURNING row in a table of its own for every row).
            let returned: Vec<usize> = returning.split(',').map(|column| upsert.position(column.trim())).collect();
            let mut statement = conn.prepare_cached(&upsert.rows(Backend::Sqlite, 1))?;
            let mut upserted = Upserted::default();
            for row in rows {
                bind_params(&mut statement, row)?;
                if statement.raw_execute()? > 0 {
                    upserted.rows += 1;
                    let key = returned.iter().map(|&column| row[column]);
                    let repeated = upserted.keys.last().is_some_and(|last| {
                        last.iter().zip(key.clone()).all(|(text, param)| matches!(param, Param::Text(t) if t == text))
                    });
                    if !repeated {
                        upserted.keys.push(key.map(|param| param.to_string()).collect());
                    }
                }
            }
            return Ok(upserted);
        }
        if let Writer::Postgres(conn) = self
            && rows.len() > CHUNK
        {
            // Statements naming a table that lives for one load are not kept prepared.
            sqlx::query(&upsert.staging_table()).persistent(false).execute(&mut **conn).await?;
            let mut copy = conn.copy_in_raw(&upsert.copy_into_staging()).await?;
            let mut data = Vec::with_capacity(rows.len() * 256);
            for row in rows {
                for (i, value) in row.iter().enumerate() {
                    if i > 0 {
                        data.push(b'\t');
                    }
                    copy_text(&mut data, value);
                }
                data.push(b'\n');
            }
            copy.send(data).await?;
            copy.finish().await?;
            // Each distinct returned key once, with how many rows gave it: returned row by row, a
            // batch's history entries came back as hundreds of thousands of rows of strings, a
            // subject's all alike. Measured, it saves memory, not time (the database's inserts
            // bound an import).
            let sql = format!(
                "WITH written AS ({} RETURNING {returning}) SELECT {returning}, count(*) FROM written GROUP BY {returning}",
                upsert.upsert_staged()
            );
            let written = sqlx::query(&sql).persistent(false).fetch_all(&mut **conn).await?;
            sqlx::query(&upsert.drop_staging()).persistent(false).execute(&mut **conn).await?;
            let mut upserted = Upserted::default();
            for row in &written {
                upserted.rows += u64::try_from(row.try_get::<i64, _>(columns)?).unwrap_or_default();
            }
            upserted.keys = texts(written, columns)?;
            return Ok(upserted);
        }
        let backend = self.backend();
        let mut written = Vec::new();
        for chunk in rows.chunks(CHUNK) {
            let sql = format!("{} RETURNING {returning}", upsert.rows(backend, chunk.len()));
            let params: Vec<Param<'_>> = chunk.iter().flatten().copied().collect();
            written.extend(self.fetch(&sql, &params, columns).await?);
        }
        Ok(Upserted::of(written))
    }
}
