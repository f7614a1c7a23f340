//! Opaque page addresses for people and households, so that no personal ID (or household
//! number) ever appears in a URL, a browser history, a proxy log or a referrer.
//!
//! A handle is the subject encrypted under a server key (AES-128 in CBC mode with a fixed IV:
//! deterministic on purpose, so a person keeps one address and pages can be bookmarked) and
//! written in base64url. Only the server can open it; a forged or altered handle opens to
//! garbage, which fails the tag and length checks and is treated as "not found".

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes128;
use xaso_domain::PersonalId;
use xaso_identity::{base64url_decode, base64url_encode};

const BLOCK: usize = 16;
/// Longest subject a handle carries (household numbers from other systems may be long).
const MAX_SUBJECT: usize = 62;
const TAG_PERSON: u8 = b'P';
const TAG_HOUSEHOLD: u8 = b'H';

#[derive(Clone)]
pub struct Handles {
    cipher: Aes128,
}

impl Handles {
    pub fn new(key: [u8; 16]) -> Handles {
        Handles {
            cipher: Aes128::new(&key.into()),
        }
    }

    pub fn person(&self, id: &PersonalId) -> String {
        self.seal(TAG_PERSON, id.as_str())
            .unwrap_or_else(|| id.as_str().to_string())
    }

    /// `None` only for a household number longer than 62 bytes.
    pub fn household(&self, id: &str) -> Option<String> {
        self.seal(TAG_HOUSEHOLD, id)
    }

    pub fn open_person(&self, handle: &str) -> Option<PersonalId> {
        let text = self.open(TAG_PERSON, handle)?;
        PersonalId::parse(&text).ok()
    }

    pub fn open_household(&self, handle: &str) -> Option<String> {
        self.open(TAG_HOUSEHOLD, handle)
    }

    fn seal(&self, tag: u8, subject: &str) -> Option<String> {
        let bytes = subject.as_bytes();
        if bytes.len() > MAX_SUBJECT {
            return None;
        }
        let mut plain = Vec::with_capacity(BLOCK * 4);
        plain.push(tag);
        plain.push(bytes.len() as u8);
        plain.extend_from_slice(bytes);
        plain.resize(plain.len().div_ceil(BLOCK) * BLOCK, 0);
        let mut previous = [0u8; BLOCK];
        for chunk in plain.chunks_mut(BLOCK) {
            for (b, p) in chunk.iter_mut().zip(previous) {
                *b ^= p;
            }
            let block = aes::Block::from_mut_slice(chunk);
            self.cipher.encrypt_block(block);
            previous.copy_from_slice(chunk);
        }
        Some(base64url_encode(&plain))
    }

    fn open(&self, tag: u8, handle: &str) -> Option<String> {
        if handle.len() > 128 {
            return None;
        }
        let mut data = base64url_decode(handle)?;
        if data.is_empty() || data.len() % BLOCK != 0 {
            return None;
        }
        let mut previous = [0u8; BLOCK];
        for chunk in data.chunks_mut(BLOCK) {
            let mut this = [0u8; BLOCK];
            this.copy_from_slice(chunk);
            self.cipher.decrypt_block(aes::Block::from_mut_slice(chunk));
            for (b, p) in chunk.iter_mut().zip(previous) {
                *b ^= p;
            }
            previous = this;
        }
        let len = usize::from(*data.get(1)?);
        if data[0] != tag || 2 + len > data.len() || data.len() - (2 + len) >= BLOCK {
            return None;
        }
        if data[2 + len..].iter().any(|&b| b != 0) {
            return None;
        }
        String::from_utf8(data[2..2 + len].to_vec()).ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn handles() -> Handles {
        Handles::new([42; 16])
    }

    #[test]
    fn people_and_households_round_trip_and_hide_the_subject() {
        let h = handles();
        let id = PersonalId::parse("001085012345").unwrap();
        let handle = h.person(&id);
        assert!(!handle.contains("001085012345"));
        assert_eq!(handle, h.person(&id), "stable, so pages can be bookmarked");
        assert_eq!(h.open_person(&handle), Some(id.clone()));
        assert_eq!(
            h.open_household(&handle),
            None,
            "a person handle is not a household"
        );
        let hh = h.household("HK-16309-000001").unwrap();
        assert_eq!(h.open_household(&hh).as_deref(), Some("HK-16309-000001"));
        assert_eq!(h.open_person(&hh), None);
        let long = "X".repeat(40);
        assert_eq!(h.open_household(&h.household(&long).unwrap()), Some(long));
        assert_eq!(h.household(&"X".repeat(63)), None);
        // Another key cannot open it.
        assert_eq!(Handles::new([1; 16]).open_person(&handle), None);
    }

    #[test]
    fn tampered_handles_do_not_open() {
        let h = handles();
        let handle = h.person(&PersonalId::parse("001085012345").unwrap());
        for i in 0..handle.len() {
            let mut b = handle.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(b).unwrap();
            assert_eq!(h.open_person(&t), None, "{t}");
        }
        assert_eq!(h.open_person(""), None);
        assert_eq!(h.open_person("001085012345"), None);
    }

    proptest! {
        #[test]
        fn any_text_is_refused_or_opened_without_panic(s in "\\PC{0,200}") {
            let h = handles();
            let _ = h.open_person(&s);
            let _ = h.open_household(&s);
        }

        #[test]
        fn any_household_number_round_trips(s in "\\PC{0,20}") {
            let h = handles();
            if let Some(handle) = h.household(&s) {
                prop_assert_eq!(h.open_household(&handle), Some(s));
            }
        }
    }
}
