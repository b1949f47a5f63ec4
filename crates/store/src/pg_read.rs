//! PostgreSQL reads of information-API calls, pipelined.
//!
//! Each such call is one short statement. Through a pool, each statement holds a connection for a
//! round trip, and every statement wakes its PostgreSQL process and the server's socket once. Here
//! the calls share a few connections and send their statements without waiting for those before
//! to be answered (the extended protocol's pipelining, as `tokio-postgres` does it): under load a
//! PostgreSQL process reads several statements at a wake-up and answers them back to back, and the
//! cores that PostgreSQL and the server share spend less on wake-ups and switches (BENCHMARKS.md).

use crate::StoreResult;
use crate::local_read::Param;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls, Row, Statement};

/// A statement prepared for parameters of these types.
type Typed = (Vec<Type>, Statement);

/// A connection, with the statements prepared on it.
struct Link {
    client: Client,
    /// By SQL text, then by parameter types; the reads' statements are a fixed few. Looked up by
    /// the text as given, so that a read allocates no key.
    statements: Mutex<HashMap<String, Vec<Typed>>>,
}

/// Where a connection is kept: the link, and a turn for opening it, so that the reads arriving while
/// it opens wait for it rather than each opening another.
#[derive(Default)]
struct Slot {
    link: Mutex<Option<Arc<Link>>>,
    opening: tokio::sync::Mutex<()>,
}

impl Slot {
    /// The link, unless there is none or it was closed.
    fn open_link(&self) -> Option<Arc<Link>> {
        self.link.lock().unwrap_or_else(|e| e.into_inner()).as_ref().filter(|l| !l.client.is_closed()).cloned()
    }
}

/// A few PostgreSQL connections that the reads share, each carrying many at once.
pub(crate) struct PgReader {
    config: tokio_postgres::Config,
    slots: Vec<Slot>,
    next: AtomicUsize,
}

impl std::fmt::Debug for PgReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgReader").field("connections", &self.slots.len()).finish()
    }
}

/// The type a parameter is sent as: the text and 64-bit integers the schema's columns hold.
fn param_type(param: &Param<'_>) -> Type {
    match param {
        Param::Text(_) => Type::TEXT,
        Param::Int(_) => Type::INT8,
    }
}

fn param_value<'p>(param: &'p Param<'_>) -> &'p (dyn ToSql + Sync) {
    match param {
        Param::Text(text) => text,
        Param::Int(number) => number,
    }
}

impl PgReader {
    /// Reads over `connections` connections to the database of `url`, each opened on first use
    /// (commands that never read information APIs open none) and again when it was lost. They name
    /// themselves `… (reads)` after the URL's application_name, or `mydata (reads)`, so that
    /// `pg_stat_activity` tells them from the writers'.
    pub(crate) fn new(url: &str, connections: usize) -> StoreResult<PgReader> {
        let mut config = url.parse::<tokio_postgres::Config>()?;
        let name = format!("{} (reads)", config.get_application_name().unwrap_or("mydata"));
        config.application_name(name);
        if config.get_connect_timeout().is_none() {
            // As long as the writers' pool waits for a connection.
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        let slots = (0..connections.max(1)).map(|_| Slot::default()).collect();
        Ok(PgReader { config, slots, next: AtomicUsize::new(0) })
    }

    /// Connections open now, and how many there may be.
    pub(crate) fn usage(&self) -> (usize, usize) {
        (self.slots.iter().filter(|slot| slot.open_link().is_some()).count(), self.slots.len())
    }

    /// The next connection in turn, opened if it is not.
    async fn link(&self) -> StoreResult<Arc<Link>> {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        if let Some(link) = slot.open_link() {
            return Ok(link);
        }
        let _turn = slot.opening.lock().await;
        if let Some(link) = slot.open_link() {
            return Ok(link);
        }
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(lost) = connection.await {
                tracing::warn!(error = %lost, "a PostgreSQL read connection was lost; the next read opens another");
            }
        });
        let link = Arc::new(Link { client, statements: Mutex::default() });
        *slot.link.lock().unwrap_or_else(|e| e.into_inner()) = Some(link.clone());
        Ok(link)
    }

    /// The rows `sql` answers with `params` bound to `$1`, `$2`, ….
    pub(crate) async fn rows(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<Vec<Row>> {
        let link = self.link().await?;
        let prepared = link.statements.lock().unwrap_or_else(|e| e.into_inner()).get(sql).and_then(|typed| {
            let fits = |types: &[Type]| {
                types.len() == params.len() && types.iter().zip(params).all(|(t, p)| *t == param_type(p))
            };
            typed.iter().find(|(types, _)| fits(types)).map(|(_, statement)| statement.clone())
        });
        let statement = match prepared {
            Some(statement) => statement,
            None => {
                let types: Vec<Type> = params.iter().map(param_type).collect();
                let statement = link.client.prepare_typed(sql, &types).await?;
                let mut statements = link.statements.lock().unwrap_or_else(|e| e.into_inner());
                let typed = statements.entry(sql.to_owned()).or_default();
                // Reads that met the statement unprepared at once each prepared it; one is kept.
                if !typed.iter().any(|(kept, _)| *kept == types) {
                    typed.push((types, statement.clone()));
                }
                statement
            }
        };
        let values: Vec<&(dyn ToSql + Sync)> = params.iter().map(param_value).collect();
        Ok(link.client.query(&statement, &values).await?)
    }
}
