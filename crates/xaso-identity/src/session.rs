//! Officers' browser sessions. The cookie carries a 256-bit random secret; the server stores
//! only its SHA-256 (as for API tokens), so a copy of the database cannot be used to ride
//! sessions. A session ends after a stretch of inactivity or, whatever the activity, after an
//! absolute lifetime.

use time::{Duration, OffsetDateTime};

use crate::error::{random_bytes, IdentityError};
use crate::{hash_token, hex};

/// A new session id: `secret` goes in the cookie (and nowhere else), `hash` in the store.
pub struct NewSessionId {
    pub secret: String,
    pub hash: String,
}

impl std::fmt::Debug for NewSessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSessionId")
            .field("secret", &"<hidden>")
            .field("hash", &self.hash)
            .finish()
    }
}

/// 256 random bits, hex-encoded (64 characters), and their SHA-256.
pub fn new_session_id() -> Result<NewSessionId, IdentityError> {
    let bytes: [u8; 32] = random_bytes()?;
    let secret = hex(&bytes);
    let hash = hash_session_id(&secret);
    Ok(NewSessionId { secret, hash })
}

/// The stored form of a session id taken from a cookie (hex SHA-256).
pub fn hash_session_id(secret: &str) -> String {
    hash_token(secret)
}

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Ends a session nobody has used for this long.
    pub idle_timeout: Duration,
    /// Ends any session this long after login.
    pub absolute_timeout: Duration,
}

impl Default for SessionPolicy {
    /// 30 minutes idle, 8 hours absolute (one working day), within OWASP's Session Management
    /// Cheat Sheet ranges for an internal application.
    fn default() -> Self {
        SessionPolicy {
            idle_timeout: Duration::minutes(30),
            absolute_timeout: Duration::hours(8),
        }
    }
}

impl SessionPolicy {
    /// When a session created at `created` and last used at `last_seen` ends.
    pub fn expires_at(&self, created: OffsetDateTime, last_seen: OffsetDateTime) -> OffsetDateTime {
        let idle_end = last_seen.saturating_add(self.idle_timeout);
        let absolute_end = created.saturating_add(self.absolute_timeout);
        idle_end.min(absolute_end)
    }

    /// True once either timeout has passed (at the exact end, the session is over).
    pub fn is_expired(
        &self,
        created: OffsetDateTime,
        last_seen: OffsetDateTime,
        now: OffsetDateTime,
    ) -> bool {
        now >= self.expires_at(created, last_seen)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ids_are_random_and_only_hashes_are_kept() {
        let a = new_session_id().unwrap();
        let b = new_session_id().unwrap();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), 64);
        assert!(a.secret.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(hash_session_id(&a.secret), a.hash);
        assert_ne!(a.hash, a.secret);
        assert!(!format!("{a:?}").contains(&a.secret));
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let p = SessionPolicy::default();
        let t0 = datetime!(2025-07-01 07:30 +07:00);
        let m = Duration::minutes;
        assert!(!p.is_expired(t0, t0, t0));
        assert!(!p.is_expired(t0, t0, t0 + m(29)));
        assert!(p.is_expired(t0, t0, t0 + m(30)));
        // Kept alive by use, until the absolute limit.
        assert!(!p.is_expired(t0, t0 + m(470), t0 + m(479)));
        assert!(p.is_expired(t0, t0 + m(470), t0 + m(480)));
        assert_eq!(p.expires_at(t0, t0 + m(10)), t0 + m(40));
        assert_eq!(p.expires_at(t0, t0 + m(470)), t0 + Duration::hours(8));
    }
}
