//! Rate limits (GCRA, `governor`): information-API calls per client (403 with 40302, 첨부1
//! "일시적으로 해당 클라이언트의 요청이 제한됨"), requests to the authorization server and the consent
//! pages per source address, consent requests per customer (CI), and failed client authentications
//! per client, which lock the client out of the token endpoint for a while (HTTP 429).

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many requests each limit lets through; 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Information-API calls per client and second (bursts of twice as many).
    pub client_per_sec: u32,
    /// Requests per source address and second to the authorization server and the consent pages
    /// (bursts of twice as many).
    pub address_per_sec: u32,
    /// Consent requests (개별인증-001 and sign-ins) per customer CI and minute.
    pub customer_per_min: u32,
    /// Failed client authentications per client and minute before it is locked out.
    pub auth_failures_per_min: u32,
}

impl RateLimits {
    /// No limit at all: for a benchmark, which measures capacity, not a quota.
    pub const OFF: RateLimits =
        RateLimits { client_per_sec: 0, address_per_sec: 0, customer_per_min: 0, auth_failures_per_min: 0 };
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits { client_per_sec: 500, address_per_sec: 50, customer_per_min: 20, auth_failures_per_min: 10 }
    }
}

type Keyed<K> = DefaultKeyedRateLimiter<K>;

fn limiter<K: Hash + Eq + Clone>(quota: Option<Quota>) -> Option<Keyed<K>> {
    quota.map(Keyed::keyed)
}

fn per_second(rate: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    Some(Quota::per_second(rate).allow_burst(rate.saturating_mul(NonZeroU32::MIN.saturating_add(1))))
}

fn per_minute(rate: u32) -> Option<Quota> {
    NonZeroU32::new(rate).map(Quota::per_minute)
}

/// Checks forgotten keys are dropped after, so an attacker's many keys cannot grow memory for long.
const FORGET_EVERY: u64 = 4096;

/// The limiters of one provider.
pub struct Limiters {
    pub limits: RateLimits,
    client: Option<Keyed<String>>,
    address: Option<Keyed<IpAddr>>,
    customer: Option<Keyed<String>>,
    failures: Option<Keyed<String>>,
    /// Clients whose failures ran out, until when.
    locked: Mutex<HashMap<String, Instant>>,
    checks: AtomicU64,
}

/// A request over its limit: how long until one would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited(pub Duration);

impl Limited {
    /// Whole seconds to wait, at least one (`Retry-After`).
    pub fn retry_after_secs(&self) -> u64 {
        self.0.as_secs_f64().ceil().max(1.0) as u64
    }
}

fn check<K: Hash + Eq + Clone>(limiter: &Option<Keyed<K>>, key: &K) -> Result<(), Limited> {
    let Some(limiter) = limiter else { return Ok(()) };
    limiter.check_key(key).map_err(|not_until| Limited(not_until.wait_time_from(limiter.clock().now())))
}

impl Limiters {
    pub fn new(limits: RateLimits) -> Limiters {
        Limiters {
            limits,
            client: limiter(per_second(limits.client_per_sec)),
            address: limiter(per_second(limits.address_per_sec)),
            customer: limiter(per_minute(limits.customer_per_min)),
            failures: limiter(per_minute(limits.auth_failures_per_min)),
            locked: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
        }
    }

    fn counted(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.client.iter().for_each(|l| l.retain_recent());
            self.address.iter().for_each(|l| l.retain_recent());
            self.customer.iter().for_each(|l| l.retain_recent());
            self.failures.iter().for_each(|l| l.retain_recent());
            let now = Instant::now();
            self.locked.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, until| *until > now);
        }
    }

    /// An information-API call of `client_id`.
    pub fn client_call(&self, client_id: &str) -> Result<(), Limited> {
        self.counted();
        check(&self.client, &client_id.to_owned())
    }

    /// A request from `address` to the authorization server or a consent page.
    pub fn address(&self, address: IpAddr) -> Result<(), Limited> {
        self.counted();
        check(&self.address, &address)
    }

    /// A consent request or sign-in for the customer `ci`.
    pub fn customer(&self, ci: &str) -> Result<(), Limited> {
        self.counted();
        check(&self.customer, &ci.to_owned())
    }

    /// Whether `client_id` is locked out after too many failed authentications.
    pub fn locked_out(&self, client_id: &str) -> Result<(), Limited> {
        let locked = self.locked.lock().unwrap_or_else(|e| e.into_inner());
        match locked.get(client_id) {
            Some(until) => match until.checked_duration_since(Instant::now()) {
                Some(wait) if !wait.is_zero() => Err(Limited(wait)),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// A failed authentication of the registered client `client_id`; locks it out when its failures
    /// ran out.
    pub fn failed_authentication(&self, client_id: &str) -> Result<(), Limited> {
        self.counted();
        let outcome = check(&self.failures, &client_id.to_owned());
        if let Err(Limited(wait)) = outcome {
            let mut locked = self.locked.lock().unwrap_or_else(|e| e.into_inner());
            locked.insert(client_id.to_owned(), Instant::now() + wait);
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_one_client_out_and_leave_the_others_alone() {
        let limiters = Limiters::new(RateLimits { auth_failures_per_min: 3, ..Default::default() });
        for _ in 0..3 {
            assert!(limiters.failed_authentication("bad").is_ok());
        }
        assert!(limiters.locked_out("bad").is_ok(), "three failures are allowed");
        let limited = limiters.failed_authentication("bad").unwrap_err();
        assert!(limited.retry_after_secs() >= 1);
        assert!(limiters.locked_out("bad").is_err(), "the fourth locks it out");
        assert!(limiters.locked_out("good").is_ok());
        assert!(limiters.failed_authentication("good").is_ok());
    }

    #[test]
    fn a_zero_limit_is_off() {
        let limiters = Limiters::new(RateLimits {
            client_per_sec: 0,
            address_per_sec: 0,
            customer_per_min: 0,
            auth_failures_per_min: 0,
        });
        for _ in 0..1000 {
            assert!(limiters.client_call("c").is_ok());
            assert!(limiters.failed_authentication("c").is_ok());
            assert!(limiters.customer("ci").is_ok());
        }
        assert!(limiters.locked_out("c").is_ok());
    }

    #[test]
    fn calls_beyond_the_burst_are_limited_per_client() {
        let limiters = Limiters::new(RateLimits { client_per_sec: 5, ..Default::default() });
        let passed = (0..50).filter(|_| limiters.client_call("busy").is_ok()).count();
        assert!((10..50).contains(&passed), "a burst of twice the rate, then limited: {passed}");
        assert!(limiters.client_call("quiet").is_ok());
    }
}
