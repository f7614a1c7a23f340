//! Time-based one-time passwords: RFC 6238 TOTP over RFC 4226 HOTP with HMAC-SHA1, 6 digits,
//! 30-second steps, T0 = 0 — what every authenticator app uses by default — plus RFC 4648
//! base32 and the `otpauth://` URI that authenticator apps scan as a QR code.
//!
//! The secret is shown to the officer once (as the QR code and as base32 text); the server
//! must keep it to check codes, so it is stored, but never logged: `TotpSecret`'s `Debug`
//! hides it.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::ct_eq;
use crate::error::{random_bytes, IdentityError};

/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Seconds per time step.
pub const STEP_SECONDS: u64 = 30;
/// Steps accepted either side of the current one (clock skew, typing time).
pub const SKEW_STEPS: u64 = 1;
/// Bytes in a generated secret (RFC 4226 recommends 160 bits).
pub const SECRET_LEN: usize = 20;
/// Fewest bytes a secret may have (RFC 4226: at least 128 bits).
pub const MIN_SECRET_LEN: usize = 16;
/// The issuer shown in authenticator apps.
pub const DEFAULT_ISSUER: &str = "Xã số";

/// A shared TOTP secret (raw bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TotpSecret(<{} bytes hidden>)", self.0.len())
    }
}

impl TotpSecret {
    /// 160 random bits.
    pub fn generate() -> Result<Self, IdentityError> {
        Ok(TotpSecret(random_bytes::<SECRET_LEN>()?.to_vec()))
    }

    /// From raw bytes; at least [`MIN_SECRET_LEN`] of them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        if bytes.len() < MIN_SECRET_LEN {
            return Err(IdentityError::TotpSecretTooShort {
                bytes: bytes.len(),
                min: MIN_SECRET_LEN,
            });
        }
        Ok(TotpSecret(bytes.to_vec()))
    }

    /// From base32 text (as stored, or as typed: any case, spaces and `=` padding ignored).
    pub fn from_base32(text: &str) -> Result<Self, IdentityError> {
        Self::from_bytes(&base32_decode(text)?)
    }

    /// Base32 without padding: what authenticator apps take and what is stored.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 §6 base32, upper case, without `=` padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                BASE32_ALPHABET[((buffer >> bits) & 31) as usize],
            ));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(
            BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize],
        ));
    }
    out
}

/// RFC 4648 §6 base32. Case-insensitive; spaces, hyphens and trailing `=` padding are
/// ignored (secrets are often shown in groups). Refuses other characters, lengths no encoding
/// produces, and non-zero leftover bits.
pub fn base32_decode(text: &str) -> Result<Vec<u8>, IdentityError> {
    let cleaned: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'-'))
        .collect();
    let unpadded = match cleaned.iter().position(|&b| b == b'=') {
        Some(i) if cleaned[i..].iter().all(|&b| b == b'=') => &cleaned[..i],
        Some(_) => {
            return Err(IdentityError::InvalidBase32(
                "`=` padding only at the end".to_string(),
            ))
        }
        None => &cleaned[..],
    };
    if matches!(unpadded.len() % 8, 1 | 3 | 6) {
        return Err(IdentityError::InvalidBase32(format!(
            "{} characters is not a possible length",
            unpadded.len()
        )));
    }
    let mut out = Vec::with_capacity(unpadded.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &c in unpadded {
        let v = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => {
                return Err(IdentityError::InvalidBase32(format!(
                    "character {:?} is not in the alphabet",
                    char::from(c)
                )))
            }
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    if buffer != 0 {
        return Err(IdentityError::InvalidBase32(
            "leftover bits are not zero".to_string(),
        ));
    }
    Ok(out)
}

/// RFC 4226 HOTP: HMAC-SHA1 of the big-endian counter, dynamic truncation, `digits` decimal
/// digits (zero-padded).
fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let binary = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    let code = u64::from(binary) % 10u64.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The time step a Unix time falls in.
pub fn step_at(unix_time: u64) -> u64 {
    unix_time / STEP_SECONDS
}

/// The 6-digit code for a Unix time (seconds).
pub fn code_at(secret: &TotpSecret, unix_time: u64) -> String {
    hotp(&secret.0, step_at(unix_time), DIGITS)
}

/// Checks a code typed at `unix_time`. Accepts the current step and [`SKEW_STEPS`] either
/// side, but never a step at or before `last_used_step` (so a code, once used, cannot be
/// replayed, nor can an older one). Returns the step that matched: store it as the new
/// `last_used_step`. Spaces in the code are ignored ("123 456").
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    unix_time: u64,
    last_used_step: Option<u64>,
) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_time);
    let mut matched = None;
    // Check every candidate (no early exit), preferring the latest step that matches.
    for step in now.saturating_sub(SKEW_STEPS)..=now.saturating_add(SKEW_STEPS) {
        let fresh = last_used_step.is_none_or(|last| step > last);
        if ct_eq(hotp(&secret.0, step, DIGITS).as_bytes(), code.as_bytes()) && fresh {
            matched = Some(step);
        }
    }
    matched
}

/// Percent-encodes everything but RFC 3986's unreserved characters (UTF-8 bytes; space is
/// `%20`).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The Key URI authenticator apps scan:
/// `otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`,
/// with issuer and account percent-encoded as UTF-8 (a `:` inside either is encoded too).
/// Use [`DEFAULT_ISSUER`] as the issuer.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret.to_base32(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_KEY, counter as u64, 6), *want, "counter {counter}");
        }
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        for (time, want) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(hotp(RFC_KEY, step_at(time), 8), want, "time {time}");
        }
        let secret = TotpSecret::from_bytes(RFC_KEY).unwrap();
        // The 6-digit code is the last 6 digits of the 8-digit one (same truncated value).
        assert_eq!(code_at(&secret, 59), "287082");
        assert_eq!(code_at(&secret, 1_111_111_109), "081804");
    }

    #[test]
    fn rfc4648_base32_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("MZXW6YQ=").unwrap(), b"foob");
        assert_eq!(base32_decode("mzxw 6ytb-oi").unwrap(), b"foobar");
        assert_eq!(base32_encode(RFC_KEY), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        for bad in ["M", "MZX", "MZXW6Y", "MZ1Q", "MZ=Q", "MZXR"] {
            assert!(
                matches!(base32_decode(bad), Err(IdentityError::InvalidBase32(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn secrets_round_trip_and_are_hidden() {
        let s = TotpSecret::generate().unwrap();
        assert_eq!(s.as_bytes().len(), 20);
        assert_eq!(s.to_base32().len(), 32);
        assert_eq!(TotpSecret::from_base32(&s.to_base32()).unwrap(), s);
        assert_ne!(TotpSecret::generate().unwrap(), s);
        assert!(!format!("{s:?}").contains(&s.to_base32()));
        assert!(matches!(
            TotpSecret::from_bytes(b"short"),
            Err(IdentityError::TotpSecretTooShort { bytes: 5, min: 16 })
        ));
    }

    #[test]
    fn skew_window_and_replay() {
        let secret = TotpSecret::from_bytes(RFC_KEY).unwrap();
        let t = 1_111_111_111; // step 37037037
        let step = step_at(t);
        let code = code_at(&secret, t);
        assert_eq!(verify(&secret, &code, t, None), Some(step));
        assert_eq!(
            verify(
                &secret,
                &format!(" {} {} ", &code[..3], &code[3..]),
                t,
                None
            ),
            Some(step)
        );
        // One step either side is accepted, two are not.
        assert_eq!(verify(&secret, &code, t + 30, None), Some(step));
        assert_eq!(verify(&secret, &code, t - 30, None), Some(step));
        assert_eq!(verify(&secret, &code, t + 60, None), None);
        assert_eq!(verify(&secret, &code, t - 60, None), None);
        // Replay: the same step, or an older one, is refused.
        assert_eq!(verify(&secret, &code, t, Some(step)), None);
        assert_eq!(verify(&secret, &code, t + 20, Some(step + 1)), None);
        assert_eq!(verify(&secret, &code, t, Some(step - 1)), Some(step));
        let next = code_at(&secret, t + 30);
        assert_eq!(verify(&secret, &next, t, Some(step)), Some(step + 1));
        // Wrong, short, long or non-digit codes.
        assert_eq!(verify(&secret, "000000", t, None), None);
        assert_eq!(verify(&secret, &code[..5], t, None), None);
        assert_eq!(verify(&secret, &format!("{code}0"), t, None), None);
        assert_eq!(verify(&secret, "12a456", t, None), None);
        // Time zero has no previous step.
        assert_eq!(verify(&secret, &code_at(&secret, 0), 0, None), Some(0));
    }

    #[test]
    fn otpauth_uri_is_percent_encoded() {
        let secret = TotpSecret::from_bytes(RFC_KEY).unwrap();
        assert_eq!(
            otpauth_uri(&secret, DEFAULT_ISSUER, "trần.thị:bình@xa"),
            "otpauth://totp/X%C3%A3%20s%E1%BB%91:tr%E1%BA%A7n.th%E1%BB%8B%3Ab%C3%ACnh%40xa\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=X%C3%A3%20s%E1%BB%91\
             &algorithm=SHA1&digits=6&period=30"
        );
    }
}
