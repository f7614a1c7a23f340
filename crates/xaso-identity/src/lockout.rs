//! Login throttling, as pure state machines (the caller supplies `now` and stores the state):
//! - [`LoginAttempts`]: per account, locks the account for [`LockoutPolicy::lock_for`] after
//!   [`LockoutPolicy::max_failures`] failed logins within [`LockoutPolicy::window`];
//! - [`TokenBucket`] / [`RateLimiter`]: per client IP or per login name, limits how often a
//!   login may be tried at all, so guessing is slow even across many accounts.
//!
//! While an account is locked the web layer should not check the password at all (answer
//! "locked" for right and wrong passwords alike), so the lock gives nothing away.

use std::collections::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// When repeated failures lock an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures within `window` that lock the account (a value of 0 acts as 1).
    pub max_failures: u32,
    /// How far back failures count.
    pub window: Duration,
    /// How long a lock lasts.
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    /// 5 failures in 15 minutes lock the account for 15 minutes.
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            window: Duration::minutes(15),
            lock_for: Duration::minutes(15),
        }
    }
}

/// One account's recent failed logins and lock (serialised with the account; times as
/// RFC 3339).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempts {
    /// Times of recent failures, oldest first; at most `max_failures` are kept.
    #[serde(default)]
    failures: Vec<Stamp>,
    /// Set when the account was locked; in the past once the lock is over.
    #[serde(default, with = "time::serde::rfc3339::option")]
    locked_until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
struct Stamp(#[serde(with = "time::serde::rfc3339")] OffsetDateTime);

impl LoginAttempts {
    /// Records a failed login at `now`. Returns the end of the lock if this failure locked the
    /// account. Failures while the account is locked are ignored (they neither extend the
    /// lock nor count afterwards), so a lock always ends on time.
    pub fn record_failure(
        &mut self,
        policy: &LockoutPolicy,
        now: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        if self.locked_until(now).is_some() {
            return None;
        }
        let max = usize::try_from(policy.max_failures.max(1)).unwrap_or(usize::MAX);
        let window_start = now.saturating_sub(policy.window);
        self.failures.retain(|t| t.0 > window_start && t.0 <= now);
        self.failures.push(Stamp(now));
        if self.failures.len() >= max {
            let until = now.saturating_add(policy.lock_for);
            self.failures.clear();
            self.locked_until = Some(until);
            Some(until)
        } else {
            None
        }
    }

    /// Records a successful login: earlier failures no longer count. A lock in force stays
    /// (the web layer should not have checked the password while locked).
    pub fn record_success(&mut self, now: OffsetDateTime) {
        self.failures.clear();
        if self.locked_until(now).is_none() {
            self.locked_until = None;
        }
    }

    /// When the lock in force at `now` ends, if there is one.
    pub fn locked_until(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.locked_until.filter(|&until| until > now)
    }

    /// Failures that still count at `now`.
    pub fn recent_failures(&self, policy: &LockoutPolicy, now: OffsetDateTime) -> usize {
        let window_start = now.saturating_sub(policy.window);
        self.failures
            .iter()
            .filter(|t| t.0 > window_start && t.0 <= now)
            .count()
    }

    /// An admin lifts the lock and forgets the failures.
    pub fn unlock(&mut self) {
        *self = LoginAttempts::default();
    }
}

/// A token bucket's shape: up to `burst` tries at once, then one more every `refill_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub burst: u32,
    pub refill_every: Duration,
}

impl RateLimit {
    /// Per client IP: 20 at once, then one every 6 s (10 a minute). An office behind one NAT
    /// address shares this, hence the burst.
    pub const PER_IP: RateLimit = RateLimit {
        burst: 20,
        refill_every: Duration::seconds(6),
    };
    /// Per login name: 10 at once, then one every 30 s, whichever IPs they come from.
    pub const PER_LOGIN: RateLimit = RateLimit {
        burst: 10,
        refill_every: Duration::seconds(30),
    };
}

/// A token bucket's state. Whole tokens only, so it is exact; kept in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    tokens: u32,
    /// The time up to which refills have been counted.
    refilled_at: OffsetDateTime,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: &RateLimit, now: OffsetDateTime) -> Self {
        TokenBucket {
            tokens: limit.burst,
            refilled_at: now,
        }
    }

    fn refill(&mut self, limit: &RateLimit, now: OffsetDateTime) {
        if limit.refill_every <= Duration::ZERO {
            self.tokens = limit.burst;
            self.refilled_at = now;
            return;
        }
        if now <= self.refilled_at {
            // Clock went backwards or no time passed: nothing to add.
            return;
        }
        let elapsed = now - self.refilled_at;
        let periods = elapsed.whole_nanoseconds() / limit.refill_every.whole_nanoseconds();
        let new_tokens = u32::try_from(periods).unwrap_or(u32::MAX);
        self.tokens = self.tokens.saturating_add(new_tokens).min(limit.burst);
        if self.tokens == limit.burst {
            self.refilled_at = now;
        } else {
            // new_tokens < burst here, so this multiplication cannot overflow.
            let consumed = limit.refill_every * i32::try_from(new_tokens).unwrap_or(i32::MAX);
            self.refilled_at = self.refilled_at.saturating_add(consumed);
        }
    }

    /// Takes a token if there is one: `true` means the try may go ahead.
    pub fn allow(&mut self, limit: &RateLimit, now: OffsetDateTime) -> bool {
        self.refill(limit, now);
        if self.tokens > 0 {
            self.tokens -= 1;
            true
        } else {
            false
        }
    }

    /// Whether the bucket is full again at `now` (and so can be forgotten).
    pub fn is_full(&self, limit: &RateLimit, now: OffsetDateTime) -> bool {
        let mut b = *self;
        b.refill(limit, now);
        b.tokens >= limit.burst
    }
}

/// Token buckets by key (client IP, or login name), kept in memory.
#[derive(Debug, Clone)]
pub struct RateLimiter<K> {
    limit: RateLimit,
    buckets: HashMap<K, TokenBucket>,
}

impl<K: Hash + Eq> RateLimiter<K> {
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token from `key`'s bucket: `true` means the try may go ahead.
    pub fn allow(&mut self, key: K, now: OffsetDateTime) -> bool {
        let limit = self.limit;
        self.buckets
            .entry(key)
            .or_insert_with(|| TokenBucket::new(&limit, now))
            .allow(&limit, now)
    }

    /// Forgets the buckets that are full again (call now and then, so memory stays bounded).
    pub fn prune(&mut self, now: OffsetDateTime) {
        let limit = self.limit;
        self.buckets.retain(|_, b| !b.is_full(&limit, now));
    }

    /// Keys currently tracked.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2025-07-01 08:00 +07:00);

    fn minutes(m: i64) -> Duration {
        Duration::minutes(m)
    }

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let p = LockoutPolicy::default();
        let mut a = LoginAttempts::default();
        for i in 0..4 {
            assert_eq!(a.record_failure(&p, T0 + minutes(i)), None);
            assert_eq!(a.locked_until(T0 + minutes(i)), None);
        }
        let until = T0 + minutes(4) + minutes(15);
        assert_eq!(a.record_failure(&p, T0 + minutes(4)), Some(until));
        assert_eq!(a.locked_until(T0 + minutes(5)), Some(until));
        // Failures while locked neither extend the lock nor count later.
        assert_eq!(a.record_failure(&p, T0 + minutes(10)), None);
        assert_eq!(a.locked_until(until - Duration::SECOND), Some(until));
        assert_eq!(a.locked_until(until), None);
        assert_eq!(a.recent_failures(&p, until), 0);
        assert_eq!(a.record_failure(&p, until), None);
        assert_eq!(a.recent_failures(&p, until), 1);
    }

    #[test]
    fn old_failures_and_success_reset() {
        let p = LockoutPolicy::default();
        let mut a = LoginAttempts::default();
        for i in 0..4 {
            a.record_failure(&p, T0 + minutes(i));
        }
        // 15 minutes after the first, it no longer counts.
        assert_eq!(a.record_failure(&p, T0 + minutes(15)), None);
        assert_eq!(a.recent_failures(&p, T0 + minutes(15)), 4);
        a.record_success(T0 + minutes(16));
        assert_eq!(a.recent_failures(&p, T0 + minutes(16)), 0);
        for i in 0..4 {
            assert_eq!(a.record_failure(&p, T0 + minutes(17 + i)), None);
        }
        assert!(a.record_failure(&p, T0 + minutes(21)).is_some());
        a.unlock();
        assert_eq!(a.locked_until(T0 + minutes(22)), None);
    }

    #[test]
    fn attempts_serialise_as_rfc3339() {
        let p = LockoutPolicy::default();
        let mut a = LoginAttempts::default();
        a.record_failure(&p, T0);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"failures":["2025-07-01T08:00:00+07:00"],"locked_until":null}"#
        );
        assert_eq!(serde_json::from_str::<LoginAttempts>(&json).unwrap(), a);
        assert_eq!(
            serde_json::from_str::<LoginAttempts>("{}").unwrap(),
            LoginAttempts::default()
        );
    }

    #[test]
    fn token_bucket() {
        let limit = RateLimit {
            burst: 3,
            refill_every: Duration::seconds(10),
        };
        let mut b = TokenBucket::new(&limit, T0);
        assert!(b.allow(&limit, T0));
        assert!(b.allow(&limit, T0));
        assert!(b.allow(&limit, T0));
        assert!(!b.allow(&limit, T0));
        assert!(!b.allow(&limit, T0 + Duration::seconds(9)));
        assert!(b.allow(&limit, T0 + Duration::seconds(10)));
        assert!(!b.allow(&limit, T0 + Duration::seconds(19)));
        assert!(b.allow(&limit, T0 + Duration::seconds(20)));
        // A clock going backwards gives nothing.
        assert!(!b.allow(&limit, T0));
        // Long idle: full, no more than the burst.
        let later = T0 + Duration::hours(5);
        assert!(b.is_full(&limit, later));
        for _ in 0..3 {
            assert!(b.allow(&limit, later));
        }
        assert!(!b.allow(&limit, later));
    }

    #[test]
    fn rate_limiter_by_key() {
        let mut ips = RateLimiter::new(RateLimit {
            burst: 2,
            refill_every: Duration::minutes(1),
        });
        assert!(ips.allow("10.0.0.1", T0));
        assert!(ips.allow("10.0.0.1", T0));
        assert!(!ips.allow("10.0.0.1", T0));
        assert!(ips.allow("10.0.0.2", T0));
        assert_eq!(ips.len(), 2);
        ips.prune(T0 + Duration::seconds(30));
        assert_eq!(ips.len(), 2);
        ips.prune(T0 + minutes(2));
        assert!(ips.is_empty());
    }

    fn policy() -> impl Strategy<Value = LockoutPolicy> {
        (1u32..8, 1i64..60, 1i64..60).prop_map(|(max, w, l)| LockoutPolicy {
            max_failures: max,
            window: minutes(w),
            lock_for: minutes(l),
        })
    }

    proptest! {
        /// Fewer than max_failures failures within any window never lock, whatever the timing
        /// and successes in between.
        #[test]
        fn never_locked_below_max_failures_in_window(
            p in policy(),
            events in proptest::collection::vec((0i64..7200, any::<bool>()), 0..60),
        ) {
            let mut a = LoginAttempts::default();
            let mut now = T0;
            let mut counted: Vec<OffsetDateTime> = Vec::new();
            for (gap, failed) in events {
                now += Duration::seconds(gap);
                if failed {
                    // Reference model: failures since the last success within the window.
                    counted.retain(|&t| t > now - p.window);
                    if counted.len() + 1 >= p.max_failures as usize {
                        // This failure would reach the limit: skip it, stay below.
                        continue;
                    }
                    counted.push(now);
                    prop_assert_eq!(a.record_failure(&p, now), None);
                } else {
                    counted.clear();
                    a.record_success(now);
                }
                prop_assert_eq!(a.locked_until(now), None);
            }
        }

        /// max_failures consecutive failures within the window always lock, until exactly
        /// lock_for after the last one.
        #[test]
        fn always_locked_after_max_consecutive_failures(
            p in policy(),
            history in proptest::collection::vec((0i64..7200, any::<bool>()), 0..20),
            gaps in proptest::collection::vec(0i64..600, 8),
        ) {
            let mut a = LoginAttempts::default();
            let mut now = T0;
            for (gap, failed) in history {
                now += Duration::seconds(gap);
                if failed { a.record_failure(&p, now); } else { a.record_success(now); }
            }
            // Wait out any lock the history caused; then a success starts the run.
            if let Some(until) = a.locked_until(now) {
                now = until;
            }
            a.record_success(now);
            let n = p.max_failures as usize;
            let start = now;
            let mut locked = None;
            for (i, gap) in gaps.iter().take(n).enumerate() {
                now += Duration::seconds(*gap);
                if now - start >= p.window {
                    // Keep the run inside one window.
                    now = start + p.window - Duration::SECOND;
                }
                let r = a.record_failure(&p, now);
                if i + 1 < n {
                    prop_assert_eq!(r, None);
                    prop_assert_eq!(a.locked_until(now), None);
                }
                locked = locked.or(r);
            }
            prop_assert_eq!(locked, Some(now + p.lock_for));
            prop_assert_eq!(a.locked_until(now), Some(now + p.lock_for));
            prop_assert_eq!(a.locked_until(now + p.lock_for), None);
        }
    }
}
