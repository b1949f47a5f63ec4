//! The rules of refreshing an access token (개별인증-003), with no I/O: the store gathers the facts
//! inside its transaction, [`decide_refresh`] says what to do, the store does it.
//!
//! The refresh token itself is never replaced (기술 가이드라인 참고5 3-1: "전송요구 유효기간 동안
//! 리프레시토큰을 무단 변경하지 않음"; ch.5's 개별인증-003 answer has no refresh_token). What rotates is
//! the access token: each refresh retires the consent's live access token and issues one new one, so
//! a consent has at most one live pair. A refresh repeated within a short grace window (the client
//! lost the answer to a timeout or a 5xx) gets the access token the first attempt issued instead of
//! retiring it, so retrying is harmless.

/// What the store knows about a refresh attempt at the moment it holds the consent's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFacts {
    /// The refresh token's record is live (not rotated or revoked).
    pub refresh_live: bool,
    pub refresh_expires_at: i64,
    /// The consent is active and its end date has not passed.
    pub consent_usable: bool,
    /// The access token most recently issued by a refresh with this refresh token, if that token is
    /// still live: its id and when it was issued.
    pub latest_refresh_grant: Option<(String, i64)>,
}

/// Why a refresh is refused (all answered with `invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefreshRefusal {
    #[error("the refresh token was revoked")]
    RefreshRevoked,
    #[error("the refresh token has expired")]
    RefreshExpired,
    #[error("the consent was revoked or has ended")]
    ConsentUnusable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshDecision {
    Refuse(RefreshRefusal),
    /// Answer again with this access token (a retry within the grace window).
    Repeat(String),
    /// Retire the live access token and issue a new one.
    Issue,
}

/// Decides a refresh at `now`; `grace_secs` is how long a repeated refresh returns the same token.
pub fn decide_refresh(facts: &RefreshFacts, now: i64, grace_secs: i64) -> RefreshDecision {
    if !facts.refresh_live {
        return RefreshDecision::Refuse(RefreshRefusal::RefreshRevoked);
    }
    if now >= facts.refresh_expires_at {
        return RefreshDecision::Refuse(RefreshRefusal::RefreshExpired);
    }
    if !facts.consent_usable {
        return RefreshDecision::Refuse(RefreshRefusal::ConsentUnusable);
    }
    match &facts.latest_refresh_grant {
        Some((jti, issued_at)) if now - issued_at < grace_secs => RefreshDecision::Repeat(jti.clone()),
        _ => RefreshDecision::Issue,
    }
}

/// The expiry of a token issued at `now` with `lifetime`, never past `limit` (the consent's end, or
/// for an access token also its refresh token's expiry).
pub fn bounded_expiry(now: i64, lifetime_secs: i64, limit: i64) -> i64 {
    now.saturating_add(lifetime_secs).min(limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn facts() -> RefreshFacts {
        RefreshFacts { refresh_live: true, refresh_expires_at: 1_000, consent_usable: true, latest_refresh_grant: None }
    }

    #[test]
    fn refusals_come_in_order_of_the_token_then_the_consent() {
        let revoked = RefreshFacts { refresh_live: false, consent_usable: false, ..facts() };
        assert_eq!(decide_refresh(&revoked, 0, 60), RefreshDecision::Refuse(RefreshRefusal::RefreshRevoked));
        assert_eq!(decide_refresh(&facts(), 1_000, 60), RefreshDecision::Refuse(RefreshRefusal::RefreshExpired));
        let ended = RefreshFacts { consent_usable: false, ..facts() };
        assert_eq!(decide_refresh(&ended, 10, 60), RefreshDecision::Refuse(RefreshRefusal::ConsentUnusable));
    }

    #[test]
    fn a_retry_within_the_grace_window_repeats_the_answer() {
        let retried = RefreshFacts { latest_refresh_grant: Some(("a1".into(), 100)), ..facts() };
        assert_eq!(decide_refresh(&retried, 159, 60), RefreshDecision::Repeat("a1".into()));
        assert_eq!(decide_refresh(&retried, 160, 60), RefreshDecision::Issue);
        assert_eq!(decide_refresh(&facts(), 10, 60), RefreshDecision::Issue);
    }

    #[test]
    fn expiries_never_pass_their_limit() {
        assert_eq!(bounded_expiry(100, 50, 1_000), 150);
        assert_eq!(bounded_expiry(100, 5_000, 1_000), 1_000);
        assert_eq!(bounded_expiry(i64::MAX - 1, 5_000, i64::MAX), i64::MAX);
    }

    /// A model of one consent's tokens driven only through [`decide_refresh`].
    #[derive(Debug, Default)]
    struct Model {
        revoked: bool,
        /// access jti -> (live, issued_at, issued by refresh)
        access: BTreeMap<u32, (bool, i64, bool)>,
        next: u32,
    }

    #[derive(Debug, Clone)]
    enum Step {
        Refresh,
        Wait(i64),
        Revoke,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![4 => Just(Step::Refresh), 3 => (0i64..120).prop_map(Step::Wait), 1 => Just(Step::Revoke)]
    }

    proptest! {
        #[test]
        fn at_most_one_live_access_token_and_nothing_after_revocation(steps in prop::collection::vec(step(), 1..40)) {
            let grace = 60;
            let mut now = 0i64;
            let mut model = Model::default();
            model.access.insert(0, (true, 0, false));
            model.next = 1;
            for step in steps {
                match step {
                    Step::Wait(secs) => now += secs,
                    Step::Revoke => {
                        model.revoked = true;
                        model.access.values_mut().for_each(|t| t.0 = false);
                    }
                    Step::Refresh => {
                        let latest = model
                            .access
                            .iter()
                            .filter(|(_, (live, _, by_refresh))| *live && *by_refresh)
                            .max_by_key(|(_, (_, at, _))| *at)
                            .map(|(jti, (_, at, _))| (jti.to_string(), *at));
                        let facts = RefreshFacts {
                            refresh_live: !model.revoked,
                            refresh_expires_at: 100_000,
                            consent_usable: !model.revoked,
                            latest_refresh_grant: latest,
                        };
                        match decide_refresh(&facts, now, grace) {
                            RefreshDecision::Refuse(_) => prop_assert!(model.revoked),
                            RefreshDecision::Repeat(jti) => {
                                let jti: u32 = jti.parse().unwrap();
                                prop_assert!(model.access[&jti].0, "a repeated token is live");
                            }
                            RefreshDecision::Issue => {
                                prop_assert!(!model.revoked, "a revoked consent never yields a token");
                                model.access.values_mut().for_each(|t| t.0 = false);
                                model.access.insert(model.next, (true, now, true));
                                model.next += 1;
                            }
                        }
                    }
                }
                let live = model.access.values().filter(|t| t.0).count();
                prop_assert!(live <= 1, "{live} live access tokens");
                if model.revoked {
                    prop_assert_eq!(live, 0);
                }
            }
        }
    }
}
