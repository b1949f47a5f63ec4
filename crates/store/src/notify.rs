//! Writes to tokens and consents announced to every server sharing a PostgreSQL database
//! (`LISTEN`/`NOTIFY`), so that a revocation, a refresh or a withdrawal made through one server is
//! refused by the others at once rather than when their remembered grants expire.
//!
//! A server announces each such write after it committed; every listening server drops its
//! remembered grants on receipt. A notification is lost when the listener's connection drops, so a
//! reconnect drops them too, and the grant cache's time to live (`--grant-cache-ms`) bounds the rest.

use crate::StoreResult;
use crate::grant_cache::GrantCache;
use rand::Rng;
use sqlx::AnyPool;
use sqlx::postgres::PgListener;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// The channel of the announcements. Its payload is `SCHEMA INSTANCE`: schemas of one database
/// share channels, and a server skips what it announced itself (its own write already dropped its
/// grants).
const CHANNEL: &str = "mydata_grants";

/// Waited between attempts to reconnect a lost listener.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The announcements of one store (and its clones) on PostgreSQL.
#[derive(Debug)]
pub(crate) struct Announcements {
    url: String,
    /// Tells this store's announcements from the other servers'.
    instance: String,
}

impl Announcements {
    pub(crate) fn new(url: &str) -> Announcements {
        Announcements { url: url.to_owned(), instance: format!("{:016x}", rand::thread_rng().r#gen::<u64>()) }
    }

    /// Tells the other servers that a write to tokens or consents committed. A failure is logged,
    /// not returned: the write stands, and the others see it within their grant cache's time.
    pub(crate) async fn announce(&self, pool: &AnyPool) {
        // `pg_notify` returns void, which the Any driver cannot decode: select from it instead.
        let sent = sqlx::query("SELECT 1 FROM pg_notify($1, current_schema() || ' ' || $2)")
            .bind(CHANNEL)
            .bind(&self.instance)
            .execute(pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not announce a token or consent write to the other servers");
        }
    }

    /// Drops `grants` whenever another server announces a write, from now on (the first `LISTEN`
    /// has been answered when this returns) until the store is dropped.
    pub(crate) async fn listen<Grant>(&self, grants: &Arc<GrantCache<Grant>>) -> StoreResult<()>
    where
        Grant: Clone + Send + Sync + 'static,
    {
        let subscribed = subscribe(&self.url).await?;
        let (url, instance, grants) = (self.url.clone(), self.instance.clone(), Arc::downgrade(grants));
        tokio::spawn(follow(subscribed, url, instance, grants));
        Ok(())
    }
}

/// A listener on the channel, with the schema whose announcements concern it.
async fn subscribe(url: &str) -> Result<(PgListener, String), sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    let schema: String = sqlx::query_scalar("SELECT current_schema()").fetch_one(&mut listener).await?;
    Ok((listener, schema))
}

/// Receives announcements until the store is gone, reconnecting when the connection drops.
async fn follow<Grant: Clone>(
    mut subscribed: (PgListener, String),
    url: String,
    instance: String,
    grants: Weak<GrantCache<Grant>>,
) {
    loop {
        let (listener, schema) = &mut subscribed;
        let lost = loop {
            let received = listener.try_recv().await;
            let Some(grants) = grants.upgrade() else { return };
            match received {
                Ok(Some(notice)) => {
                    let from = notice.payload().split_once(' ');
                    if from.is_some_and(|(of, by)| of == schema && by != instance) {
                        grants.invalidate();
                    }
                }
                Ok(None) => break "the connection closed".to_owned(),
                Err(e) => break e.to_string(),
            }
        };
        tracing::warn!(reason = %lost, "lost the announcements of token and consent writes; reconnecting");
        subscribed = loop {
            tokio::time::sleep(RECONNECT_AFTER).await;
            if grants.strong_count() == 0 {
                return;
            }
            match subscribe(&url).await {
                Ok(subscribed) => break subscribed,
                Err(e) => tracing::warn!(error = %e, "could not listen for token and consent writes yet"),
            }
        };
        // What was announced while no one listened is lost: forget every remembered grant.
        if let Some(grants) = grants.upgrade() {
            grants.invalidate();
        }
        tracing::info!("listening again for token and consent writes");
    }
}
