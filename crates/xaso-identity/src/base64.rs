//! Base64 (RFC 4648), written once for its two uses: unpadded base64url (§5) for CSRF tokens,
//! JWS and the OpenID Connect provider's values, and standard base64 (§4) for HTTP Basic
//! client authentication. Decoding is strict and never panics.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url (RFC 4648 §5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    encode(URL_SAFE, bytes, false)
}

/// Strict inverse of [`base64url_encode`] (`None` for anything it would not produce).
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    decode(URL_SAFE, text)
}

/// Standard base64 (RFC 4648 §4), padded.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    encode(STANDARD, bytes, true)
}

/// Standard base64 (RFC 4648 §4): padding optional, but if present it must be right; no
/// whitespace inside; unused bits must be zero.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let body = text.trim_end_matches('=');
    let padding = text.len() - body.len();
    if padding > 2 || (padding > 0 && !text.len().is_multiple_of(4)) {
        return None;
    }
    decode(STANDARD, body)
}

/// Every three bytes as four characters of `alphabet`; a last group of one or two bytes as
/// two or three characters, then `=` up to four when `pad`.
fn encode(alphabet: &[u8; 64], bytes: &[u8], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// Unpadded characters of `alphabet` back to bytes: `None` for a character outside it, a
/// length no encoding has, or unused bits that are not zero.
fn decode(alphabet: &[u8; 64], text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = alphabet.iter().position(|&a| a == c)?;
        buffer = (buffer << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    (buffer == 0).then_some(out)
}
