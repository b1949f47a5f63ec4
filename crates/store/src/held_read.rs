//! PostgreSQL reads on connections held outside sqlx's pool.
//!
//! sqlx's pool pings every connection as it comes back, one more round trip to the server for each
//! statement. The reads every information-API call makes take a connection from here instead and
//! put it back as it is. A connection whose statement failed or was cancelled is not put back:
//! it may be mid-protocol or dead (a server restart), and the next read opens a fresh one.

use crate::StoreResult;
use crate::local_read::Param;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Connection};
use std::sync::Mutex;

/// Connections kept open between reads; more are opened when more reads run at once.
const IDLE_CONNECTIONS: usize = 8;

/// `sql` with `params` bound to `$1`, `$2`, … in order.
pub(crate) fn bound<'q>(sql: &'q str, params: &[Param<'q>]) -> Query<'q, Any, AnyArguments<'q>> {
    params.iter().fold(sqlx::query(sql), |query, param| match *param {
        Param::Text(text) => query.bind(text),
        Param::Int(number) => query.bind(number),
    })
}

pub(crate) struct HeldConnections {
    url: String,
    idle: Mutex<Vec<AnyConnection>>,
}

impl std::fmt::Debug for HeldConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("HeldConnections").finish_non_exhaustive()
    }
}

impl HeldConnections {
    pub(crate) fn new(url: String) -> HeldConnections {
        HeldConnections { url, idle: Mutex::new(Vec::new()) }
    }

    /// The first row `sql` answers with `params` bound, if any.
    pub(crate) async fn first_row(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<Option<AnyRow>> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => AnyConnection::connect(&self.url).await?,
        };
        let row = bound(sql, params).fetch_optional(&mut conn).await?;
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(conn);
        }
        Ok(row)
    }
}
