//! A short-lived cache of [`Store::access_grant`](crate::Store::access_grant) answers.
//!
//! Every information-API call reads its token, consent and consented assets; an operator makes
//! many calls with one token, so most of those reads repeat. A cached grant is served only while
//!
//! - this store has written no token or consent since it was read (a generation counter that every
//!   such write bumps after committing), so a revocation through this store is seen at once; and
//! - it is younger than the time to live, which bounds how late this instance sees a revocation
//!   made by another process sharing the database when that process's announcement is lost (on
//!   PostgreSQL every such write is announced, and the listener drops every grant: [`crate::notify`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Grants held at most; the least recently useful are evicted first.
const CAPACITY: usize = 16_384;

struct Cached<Grant> {
    grant: Arc<Grant>,
    generation: u64,
    read_at: Instant,
}

// Derived Clone would require `Grant: Clone` for what is only an Arc clone.
impl<Grant> Clone for Cached<Grant> {
    fn clone(&self) -> Self {
        Cached { grant: self.grant.clone(), generation: self.generation, read_at: self.read_at }
    }
}

pub(crate) struct GrantCache<Grant> {
    ttl: Duration,
    generation: AtomicU64,
    entries: quick_cache::sync::Cache<String, Cached<Grant>>,
}

impl<Grant> std::fmt::Debug for GrantCache<Grant> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantCache").field("ttl", &self.ttl).field("held", &self.entries.len()).finish()
    }
}

/// The generation a read started in: a grant read in it is cached under it.
#[derive(Clone, Copy)]
pub(crate) struct ReadTicket(u64);

impl<Grant: Clone> GrantCache<Grant> {
    pub(crate) fn new(ttl: Duration) -> GrantCache<Grant> {
        GrantCache { ttl, generation: AtomicU64::new(0), entries: quick_cache::sync::Cache::new(CAPACITY) }
    }

    /// Taken before reading the database, so that a write committed during the read makes what it
    /// read stale.
    pub(crate) fn ticket(&self) -> ReadTicket {
        ReadTicket(self.generation.load(Ordering::Acquire))
    }

    pub(crate) fn get(&self, jti: &str) -> Option<Grant> {
        if self.ttl.is_zero() {
            return None;
        }
        let cached = self.entries.get(jti)?;
        let fresh = cached.generation == self.generation.load(Ordering::Acquire) && cached.read_at.elapsed() < self.ttl;
        fresh.then(|| (*cached.grant).clone())
    }

    pub(crate) fn put(&self, jti: &str, grant: &Grant, ticket: ReadTicket) {
        if !self.ttl.is_zero() {
            let cached = Cached { grant: Arc::new(grant.clone()), generation: ticket.0, read_at: Instant::now() };
            self.entries.insert(jti.to_owned(), cached);
        }
    }

    /// Called after every committed write to tokens or consents: every cached grant is stale.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> String {
        "token and consent".to_owned()
    }

    #[test]
    fn a_write_during_the_read_makes_the_read_stale() {
        let cache = GrantCache::new(Duration::from_secs(60));
        let ticket = cache.ticket();
        cache.invalidate();
        cache.put("j1", &grant(), ticket);
        assert_eq!(cache.get("j1"), None);
        cache.put("j1", &grant(), cache.ticket());
        assert_eq!(cache.get("j1"), Some(grant()));
        assert_eq!(cache.get("j2"), None);
        cache.invalidate();
        assert_eq!(cache.get("j1"), None);
    }

    #[test]
    fn grants_expire_and_a_zero_ttl_caches_nothing() {
        let cache = GrantCache::new(Duration::from_millis(30));
        cache.put("j1", &grant(), cache.ticket());
        assert_eq!(cache.get("j1"), Some(grant()));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get("j1"), None);
        let off = GrantCache::new(Duration::ZERO);
        off.put("j1", &grant(), off.ticket());
        assert_eq!(off.get("j1"), None);
    }
}
