//! The provider's keys, kept in the store's `meta`:
//! - `oidc.signing_keys`: JSON `{"active": PKCS#8 DER of the ES256 key (base64url),
//!   "retired": [public JWKs with the time until which they are still published]}`;
//! - `oidc.pairwise_key`: 32 random bytes (hex) the pairwise `sub` is derived with. It is never
//!   rotated: changing it changes every `sub` every client knows.
//!
//! Both are made on first use. Rotation ([`rotate`]) is an administrator's action: the new key
//! signs from then on, the old one stays published for [`RETIRED_KEY_PUBLISHED`], longer than
//! any token it signed lives plus the time relying parties cache the JWKS.
//!
//! Parsed keys are cached in memory by the text stored, so a rotation done by another process
//! (the command line, another server on the same database) is seen on the next request.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use xaso_identity::oidc::jws::{KeySet, RetiredKey, SigningKey};
use xaso_identity::oidc::tokens::PairwiseKey;
use xaso_identity::oidc::OsRandom;
use xaso_identity::{base64url_decode, base64url_encode};
use xaso_store::Store;

pub const SIGNING_KEYS_META: &str = "oidc.signing_keys";
pub const PAIRWISE_KEY_META: &str = "oidc.pairwise_key";

/// How long a retired key stays in the JWKS: a day (relying parties' caches) beyond the
/// longest-lived token it signed (ID tokens live 10 minutes).
pub const RETIRED_KEY_PUBLISHED: Duration = Duration::hours(24);

/// The provider's keys, parsed.
#[derive(Debug)]
pub struct ProviderKeys {
    pub keys: KeySet,
    pub pairwise: PairwiseKey,
}

#[derive(Serialize, Deserialize)]
struct StoredKeys {
    /// PKCS#8 DER, base64url.
    active: String,
    #[serde(default)]
    retired: Vec<RetiredKey>,
}

/// The last texts read from `meta` and what they parsed to.
type Cached = (String, String, Arc<ProviderKeys>);

static CACHE: Mutex<Option<Cached>> = Mutex::new(None);
/// Serialises the first-use creation within this process.
static CREATE: Mutex<()> = Mutex::new(());

/// The keys, made on first use.
pub fn load(store: &dyn Store) -> Result<Arc<ProviderKeys>, String> {
    let (keys_text, pairwise_text) = match read_texts(store)? {
        (Some(k), Some(p)) => (k, p),
        _ => {
            let _guard = CREATE.lock().unwrap_or_else(|e| e.into_inner());
            create_missing(store)?
        }
    };
    {
        let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, p, parsed)) = cache.as_ref() {
            if *k == keys_text && *p == pairwise_text {
                return Ok(parsed.clone());
            }
        }
    }
    let parsed = Arc::new(parse(&keys_text, &pairwise_text)?);
    *CACHE.lock().unwrap_or_else(|e| e.into_inner()) =
        Some((keys_text, pairwise_text, parsed.clone()));
    Ok(parsed)
}

fn read_texts(store: &dyn Store) -> Result<(Option<String>, Option<String>), String> {
    let keys = store
        .get_meta(SIGNING_KEYS_META)
        .map_err(|e| e.to_string())?;
    let pairwise = store
        .get_meta(PAIRWISE_KEY_META)
        .map_err(|e| e.to_string())?;
    Ok((keys, pairwise))
}

/// Makes whichever key is missing (looking again under the lock: another request may have
/// made it meanwhile).
fn create_missing(store: &dyn Store) -> Result<(String, String), String> {
    let (keys, pairwise) = read_texts(store)?;
    let keys = match keys {
        Some(k) => k,
        None => {
            let key = SigningKey::generate(&mut OsRandom).map_err(|e| e.to_string())?;
            let text = encode(&KeySet::new(key))?;
            store
                .set_meta(SIGNING_KEYS_META, &text)
                .map_err(|e| e.to_string())?;
            tracing::info!("OpenID provider: a signing key was made");
            text
        }
    };
    let pairwise = match pairwise {
        Some(p) => p,
        None => {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
            let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            store
                .set_meta(PAIRWISE_KEY_META, &text)
                .map_err(|e| e.to_string())?;
            text
        }
    };
    Ok((keys, pairwise))
}

fn encode(set: &KeySet) -> Result<String, String> {
    let der = set.active().to_pkcs8_der().map_err(|e| e.to_string())?;
    serde_json::to_string(&StoredKeys {
        active: base64url_encode(&der),
        retired: set.retired().to_vec(),
    })
    .map_err(|e| e.to_string())
}

fn parse(keys_text: &str, pairwise_text: &str) -> Result<ProviderKeys, String> {
    let stored: StoredKeys = serde_json::from_str(keys_text)
        .map_err(|e| format!("{SIGNING_KEYS_META} is not readable: {e}"))?;
    let der = base64url_decode(&stored.active)
        .ok_or_else(|| format!("{SIGNING_KEYS_META}: the active key is not base64url"))?;
    let active = SigningKey::from_pkcs8_der(&der)
        .map_err(|e| format!("{SIGNING_KEYS_META}: the active key: {e}"))?;
    let text = pairwise_text.trim();
    let mut pairwise = [0u8; 32];
    let ok = text.len() == 64
        && pairwise.iter_mut().enumerate().all(|(i, slot)| {
            text.get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .map(|b| *slot = b)
                .is_some()
        });
    if !ok {
        return Err(format!("{PAIRWISE_KEY_META} is not 64 hex digits"));
    }
    Ok(ProviderKeys {
        keys: KeySet::from_parts(active, stored.retired),
        pairwise: PairwiseKey(pairwise),
    })
}

/// Rotates the signing key at `now`: a new key signs from now on; the previous one is
/// published (and accepted) until `now` + [`RETIRED_KEY_PUBLISHED`]; retired keys whose time
/// is over are dropped. Returns the new key's id (`kid`).
pub fn rotate(store: &dyn Store, now: OffsetDateTime) -> Result<String, String> {
    let _guard = CREATE.lock().unwrap_or_else(|e| e.into_inner());
    let keys_text = match read_texts(store)? {
        (Some(k), Some(_)) => k,
        _ => create_missing(store)?.0,
    };
    let stored: StoredKeys = serde_json::from_str(&keys_text)
        .map_err(|e| format!("{SIGNING_KEYS_META} is not readable: {e}"))?;
    let der = base64url_decode(&stored.active)
        .ok_or_else(|| format!("{SIGNING_KEYS_META}: the active key is not base64url"))?;
    let active = SigningKey::from_pkcs8_der(&der).map_err(|e| e.to_string())?;
    let mut set = KeySet::from_parts(active, stored.retired);
    let next = SigningKey::generate(&mut OsRandom).map_err(|e| e.to_string())?;
    let kid = next.kid().to_string();
    set.rotate(next, now + RETIRED_KEY_PUBLISHED);
    set.prune(now);
    store
        .set_meta(SIGNING_KEYS_META, &encode(&set)?)
        .map_err(|e| e.to_string())?;
    tracing::info!("OpenID provider: the signing key was rotated (new kid {kid})");
    Ok(kid)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use xaso_identity::oidc::jws::verify_claims;

    struct TempStore(std::path::PathBuf, xaso_store::SqliteStore);

    impl TempStore {
        fn new() -> TempStore {
            let mut suffix = [0u8; 6];
            getrandom::fill(&mut suffix).unwrap();
            let name: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
            let dir = std::env::temp_dir().join(format!("xaso-oidc-keys-{name}"));
            std::fs::create_dir_all(&dir).unwrap();
            let store = xaso_store::SqliteStore::open_dir(&dir).unwrap();
            TempStore(dir, store)
        }
    }

    impl Drop for TempStore {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn keys_are_made_once_kept_in_meta_and_rotated() {
        let t = TempStore::new();
        let store: &dyn Store = &t.1;
        assert!(store.get_meta(SIGNING_KEYS_META).unwrap().is_none());
        let first = load(store).unwrap();
        let kid = first.keys.active().kid().to_string();
        let stored = store.get_meta(SIGNING_KEYS_META).unwrap().unwrap();
        assert!(stored.contains("\"active\""), "{stored}");
        assert!(!stored.contains(&kid), "no retired key yet");
        // The same keys on the next load (from the cache or the store alike).
        let again = load(store).unwrap();
        assert_eq!(again.keys.active().kid(), kid);
        assert_eq!(again.pairwise.0, first.pairwise.0);

        // A token signed before the rotation still verifies after it, until the old key's
        // publication ends; new tokens are signed with the new key.
        let now = OffsetDateTime::now_utc();
        let old_token = first
            .keys
            .active()
            .sign_json(&serde_json::json!({"sub": "x"}))
            .unwrap();
        let new_kid = rotate(store, now).unwrap();
        assert_ne!(new_kid, kid);
        let rotated = load(store).unwrap();
        assert_eq!(rotated.keys.active().kid(), new_kid);
        assert_eq!(
            rotated.pairwise.0, first.pairwise.0,
            "the sub key never changes"
        );
        let published = rotated.keys.jwks(now);
        let kids: Vec<_> = published
            .keys
            .iter()
            .map(|k| k.kid.clone().unwrap())
            .collect();
        assert_eq!(kids, vec![new_kid.clone(), kid.clone()]);
        let claims: serde_json::Value = verify_claims(&old_token, &published.keys).unwrap();
        assert_eq!(claims["sub"], "x");
        assert!(rotated.keys.verify(&old_token, now).is_ok());
        let later = now + RETIRED_KEY_PUBLISHED + Duration::seconds(1);
        assert!(rotated.keys.verify(&old_token, later).is_err());
        assert_eq!(rotated.keys.jwks(later).keys.len(), 1);

        // A second rotation a day later drops the key whose time is over.
        let third = rotate(store, later).unwrap();
        let after = load(store).unwrap();
        assert_eq!(after.keys.active().kid(), third);
        let kids: Vec<_> = after
            .keys
            .retired()
            .iter()
            .map(|r| r.jwk.kid.clone().unwrap())
            .collect();
        assert_eq!(kids, vec![new_kid]);
    }

    #[test]
    fn unreadable_keys_are_an_error_not_a_new_key() {
        let t = TempStore::new();
        let store: &dyn Store = &t.1;
        store.set_meta(SIGNING_KEYS_META, "not json").unwrap();
        store.set_meta(PAIRWISE_KEY_META, &"ab".repeat(32)).unwrap();
        assert!(load(store).unwrap_err().contains(SIGNING_KEYS_META));
        assert_eq!(
            store.get_meta(SIGNING_KEYS_META).unwrap().as_deref(),
            Some("not json")
        );
    }
}
