//! CSRF tokens bound to the session (synchronizer token pattern, OWASP CSRF Prevention Cheat
//! Sheet, HMAC-based variant): the token is HMAC-SHA256 under a server key of the session's
//! stored hash, so it needs no storage, differs for every session, and cannot be made without
//! the key. It goes in a hidden field of every form and is checked on every state-changing
//! request.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use crate::base64::{base64url_decode, base64url_encode};

/// Separates this use of the server key from any other.
const DOMAIN: &[u8] = b"xaso csrf v1\0";

fn mac(server_key: &[u8; 32], session_hash: &str) -> Hmac<Sha256> {
    let mut mac = match Hmac::<Sha256>::new_from_slice(server_key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(DOMAIN);
    mac.update(session_hash.as_bytes());
    mac
}

/// The CSRF token for a session: 43 characters of unpadded base64url (RFC 4648 §5), safe in
/// URLs, headers and HTML attributes.
pub fn csrf_token(server_key: &[u8; 32], session_hash: &str) -> String {
    base64url_encode(&mac(server_key, session_hash).finalize().into_bytes())
}

/// Checks a token from a form or header against the session, in constant time.
pub fn verify_csrf(server_key: &[u8; 32], session_hash: &str, token: &str) -> bool {
    match base64url_decode(token.trim()) {
        Some(tag) => mac(server_key, session_hash).verify_slice(&tag).is_ok(),
        None => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn token_is_bound_to_session_and_key() {
        let t = csrf_token(&KEY, "session-a");
        assert_eq!(t.len(), 43);
        assert!(t
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(csrf_token(&KEY, "session-a"), t);
        assert!(verify_csrf(&KEY, "session-a", &t));
        assert!(verify_csrf(&KEY, "session-a", &format!(" {t}\n")));
        assert!(!verify_csrf(&KEY, "session-b", &t));
        assert!(!verify_csrf(&[8; 32], "session-a", &t));
    }

    #[test]
    fn tampered_tokens_fail() {
        let t = csrf_token(&KEY, "session-a");
        assert!(!verify_csrf(&KEY, "session-a", ""));
        assert!(!verify_csrf(&KEY, "session-a", &t[..42]));
        assert!(!verify_csrf(&KEY, "session-a", &format!("{t}A")));
        assert!(!verify_csrf(&KEY, "session-a", &format!("{t}=")));
        for i in 0..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert!(!verify_csrf(&KEY, "session-a", &tampered), "{tampered}");
        }
    }

    #[test]
    fn hmac_sha256_and_base64url_are_standard() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut m = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        let tag = m.finalize().into_bytes();
        assert_eq!(
            crate::hex(&tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 4648 §10 vectors (base64 and base64url agree on these).
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url_encode(plain.as_bytes()), enc);
            assert_eq!(base64url_decode(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("Zh"), None);
        assert_eq!(base64url_decode("Z+8"), None);
    }
}
