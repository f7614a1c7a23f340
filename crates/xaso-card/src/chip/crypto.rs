//! The symmetric cryptography of Basic Access Control, PACE and their secure messaging (Doc
//! 9303 Part 11, 9.7 and 9.8): two-key 3DES in CBC mode with a zero IV, the ISO/IEC 9797-1
//! MAC algorithm 3 ("retail MAC") with DES, padding method 2, the SHA-1 key derivation
//! function; AES-128 in CBC mode and AES-CMAC (NIST SP 800-38B), written here over the block
//! cipher so that no further crate is needed.

use des::cipher::generic_array::GenericArray;
use des::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use des::{Des, TdesEde2};

use aes::Aes128;

use crate::lds::HashAlgorithm;

/// Counter of the key derivation function for an encryption key.
pub const KDF_ENC: u32 = 1;
/// Counter of the key derivation function for a MAC key.
pub const KDF_MAC: u32 = 2;
/// Counter of the key derivation function for PACE's password key K_π.
pub const KDF_PI: u32 = 3;

/// ISO/IEC 9797-1 padding method 2: `80`, then `00` up to a multiple of eight bytes (always
/// at least one byte added).
pub fn pad(data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len() + 8);
    v.extend_from_slice(data);
    v.push(0x80);
    while !v.len().is_multiple_of(8) {
        v.push(0);
    }
    v
}

/// Padding method 2 to a multiple of 16 bytes (AES).
pub fn pad16(data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len() + 16);
    v.extend_from_slice(data);
    v.push(0x80);
    while !v.len().is_multiple_of(16) {
        v.push(0);
    }
    v
}

/// Removes padding method 2 of AES (at most 16 bytes); `None` when the data does not end
/// with `80` and zeros.
pub fn unpad16(data: &[u8]) -> Option<&[u8]> {
    let last = data.iter().rposition(|&b| b != 0)?;
    if data.get(last) == Some(&0x80) && data.len() - last <= 16 {
        data.get(..last)
    } else {
        None
    }
}

/// Removes padding method 2; `None` when the data does not end with `80` and zeros.
pub fn unpad(data: &[u8]) -> Option<&[u8]> {
    let last = data.iter().rposition(|&b| b != 0)?;
    if data.get(last) == Some(&0x80) && data.len() - last <= 8 {
        data.get(..last)
    } else {
        None
    }
}

/// Sets each byte's lowest bit so that it has an odd number of ones (DES key parity).
pub fn adjust_parity(key: &mut [u8]) {
    for b in key {
        let high = *b & 0xFE;
        *b = high | u8::from(high.count_ones().is_multiple_of(2));
    }
}

/// The key derivation function for 3DES (Doc 9303 Part 11, 9.7.1): the first 16 bytes of
/// SHA-1(seed ‖ counter as 32-bit big-endian), parity adjusted. `counter` is [`KDF_ENC`] or
/// [`KDF_MAC`].
pub fn derive_key(seed: &[u8], counter: u32) -> [u8; 16] {
    let mut input = Vec::with_capacity(seed.len() + 4);
    input.extend_from_slice(seed);
    input.extend_from_slice(&counter.to_be_bytes());
    let mut key = sha1_16(&input);
    adjust_parity(&mut key);
    key
}

/// The key derivation function for AES-128 (Doc 9303 Part 11, 9.7.1): the first 16 bytes of
/// SHA-1(seed ‖ counter as 32-bit big-endian), without parity adjustment. PACE uses it for
/// K_π (counter [`KDF_PI`]) and for the session keys from the shared secret.
pub fn derive_aes128_key(seed: &[u8], counter: u32) -> [u8; 16] {
    let mut input = Vec::with_capacity(seed.len() + 4);
    input.extend_from_slice(seed);
    input.extend_from_slice(&counter.to_be_bytes());
    sha1_16(&input)
}

/// The first 16 bytes of SHA-1(data) (the LDS's hashing): BAC's K_seed from the MRZ
/// information, and the keys before their parity.
pub fn sha1_16(data: &[u8]) -> [u8; 16] {
    let digest = HashAlgorithm::Sha1.digest(data);
    let mut out = [0u8; 16];
    for (o, d) in out.iter_mut().zip(&digest) {
        *o = *d;
    }
    out
}

fn tdes(key: &[u8; 16]) -> TdesEde2 {
    TdesEde2::new(&GenericArray::from(*key))
}

fn halves(key: &[u8; 16]) -> ([u8; 8], [u8; 8]) {
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    a.copy_from_slice(&key[..8]);
    b.copy_from_slice(&key[8..]);
    (a, b)
}

/// 3DES-CBC encryption with a zero IV of whole blocks; `None` when the length is not a
/// multiple of eight.
pub fn tdes_cbc_encrypt(key: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    cbc_encrypt(&tdes(key), &[0u8; 8], data)
}

/// Pads (method 2) and encrypts: the cryptogram of secure messaging's data objects.
pub fn tdes_cbc_encrypt_padded(key: &[u8; 16], data: &[u8]) -> Vec<u8> {
    // Padded data is whole blocks, so this cannot be `None`.
    tdes_cbc_encrypt(key, &pad(data)).unwrap_or_default()
}

/// 3DES-CBC decryption with a zero IV; `None` when the length is not a multiple of eight.
pub fn tdes_cbc_decrypt(key: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    cbc_decrypt(&tdes(key), &[0u8; 8], data)
}

/// ISO/IEC 9797-1 MAC algorithm 3 with DES and padding method 2 (the data is padded here):
/// single-DES CBC under the key's first half over every block, then the last result decrypted
/// under the second half and encrypted again under the first.
pub fn retail_mac(key: &[u8; 16], data: &[u8]) -> [u8; 8] {
    let (ka, kb) = halves(key);
    let ka = Des::new(&GenericArray::from(ka));
    let kb = Des::new(&GenericArray::from(kb));
    let mut h = GenericArray::from([0u8; 8]);
    for block in pad(data).chunks_exact(8) {
        for (x, b) in h.iter_mut().zip(block) {
            *x ^= b;
        }
        ka.encrypt_block(&mut h);
    }
    kb.decrypt_block(&mut h);
    ka.encrypt_block(&mut h);
    let mut out = [0u8; 8];
    out.copy_from_slice(&h);
    out
}

fn aes(key: &[u8; 16]) -> Aes128 {
    Aes128::new(&GenericArray::from(*key))
}

/// One AES-128 block encrypted (secure messaging's IV is E(KS_enc, SSC)).
pub fn aes_encrypt_block(key: &[u8; 16], block: &[u8; 16]) -> [u8; 16] {
    let mut b = GenericArray::from(*block);
    aes(key).encrypt_block(&mut b);
    b.into()
}

/// AES-128-CBC encryption of whole blocks with `iv`; `None` when the length is not a
/// multiple of 16.
pub fn aes_cbc_encrypt(key: &[u8; 16], iv: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    cbc_encrypt(&aes(key), iv, data)
}

/// AES-128-CBC decryption with `iv`; `None` when the length is not a multiple of 16.
pub fn aes_cbc_decrypt(key: &[u8; 16], iv: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    cbc_decrypt(&aes(key), iv, data)
}

/// CBC encryption of whole blocks under any block cipher; `None` when the data is not whole
/// blocks or the IV is not one block.
fn cbc_encrypt<C: BlockEncrypt>(cipher: &C, iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let n = C::block_size();
    if iv.len() != n || !data.len().is_multiple_of(n) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len());
    let mut chain = GenericArray::clone_from_slice(iv);
    for block in data.chunks_exact(n) {
        for (c, b) in chain.iter_mut().zip(block) {
            *c ^= b;
        }
        cipher.encrypt_block(&mut chain);
        out.extend_from_slice(&chain);
    }
    Some(out)
}

/// CBC decryption, the inverse of [`cbc_encrypt`].
fn cbc_decrypt<C: BlockDecrypt>(cipher: &C, iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let n = C::block_size();
    if iv.len() != n || !data.len().is_multiple_of(n) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len());
    let mut previous = iv.to_vec();
    for block in data.chunks_exact(n) {
        let mut b = GenericArray::clone_from_slice(block);
        cipher.decrypt_block(&mut b);
        for (o, p) in b.iter_mut().zip(previous.iter()) {
            *o ^= p;
        }
        out.extend_from_slice(&b);
        previous.copy_from_slice(block);
    }
    Some(out)
}

/// Doubling in GF(2^128), CMAC's subkey step.
fn dbl(block: [u8; 16]) -> [u8; 16] {
    let n = u128::from_be_bytes(block);
    let carry = n >> 127;
    ((n << 1) ^ (carry * 0x87)).to_be_bytes()
}

/// AES-128-CMAC (NIST SP 800-38B, RFC 4493) of `data`, all 16 bytes.
pub fn aes_cmac(key: &[u8; 16], data: &[u8]) -> [u8; 16] {
    let cipher = aes(key);
    let mut l = GenericArray::from([0u8; 16]);
    cipher.encrypt_block(&mut l);
    let k1 = dbl(l.into());
    let k2 = dbl(k1);
    // The last block: whole (xor K1), or padded with 80 00.. (xor K2); an empty message is
    // one padded block.
    let whole = !data.is_empty() && data.len().is_multiple_of(16);
    let split = if whole {
        data.len() - 16
    } else {
        data.len() - data.len() % 16
    };
    let (head, tail) = data.split_at(split);
    let mut last = [0u8; 16];
    if whole {
        last.copy_from_slice(tail);
        for (x, k) in last.iter_mut().zip(k1) {
            *x ^= k;
        }
    } else {
        last[..tail.len()].copy_from_slice(tail);
        last[tail.len()] = 0x80;
        for (x, k) in last.iter_mut().zip(k2) {
            *x ^= k;
        }
    }
    let mut x = GenericArray::from([0u8; 16]);
    for block in head.chunks_exact(16).chain(std::iter::once(&last[..])) {
        for (c, b) in x.iter_mut().zip(block) {
            *c ^= b;
        }
        cipher.encrypt_block(&mut x);
    }
    x.into()
}

/// The MAC of AES secure messaging and of PACE's tokens: CMAC truncated to 8 bytes.
pub fn aes_cmac8(key: &[u8; 16], data: &[u8]) -> [u8; 8] {
    let full = aes_cmac(key, data);
    let mut out = [0u8; 8];
    out.copy_from_slice(&full[..8]);
    out
}

/// Compares two MACs without stopping at the first difference.
pub fn mac_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chip::test_hex::h;
    use proptest::prelude::*;

    #[test]
    fn padding_method_2() {
        assert_eq!(pad(&[]), h("8000000000000000"));
        assert_eq!(pad(&h("011E")), h("011E800000000000"));
        assert_eq!(pad(&h("0102030405060708")).len(), 16);
        assert_eq!(unpad(&h("011E800000000000")), Some(&h("011E")[..]));
        assert_eq!(unpad(&h("011E000000000000")), None);
        assert_eq!(unpad(&h("0000000000000000")), None);
        assert_eq!(unpad(&[]), None);
        // The 80 must be in the last block.
        assert_eq!(unpad(&h("80000000000000000000")), None);
    }

    #[test]
    fn parity() {
        // Doc 9303 Part 11 D.2: SHA-1 output before and after adjustment.
        let mut k = h("AB94FCEDF2664EDFB9B291F85D7F77F2");
        adjust_parity(&mut k);
        assert_eq!(k, h("AB94FDECF2674FDFB9B391F85D7F76F2"));
    }

    #[test]
    fn the_retail_mac_of_the_worked_example() {
        // Doc 9303 Part 11 D.3: M_IFD over E_IFD under K_mac.
        let k_mac: [u8; 16] = h("7962D9ECE03D1ACD4C76089DCE131543").try_into().unwrap();
        let e_ifd = h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2");
        assert_eq!(retail_mac(&k_mac, &e_ifd).to_vec(), h("5F1448EEA8AD90A7"));
    }

    #[test]
    fn aes_cmac_of_rfc_4493() {
        let key: [u8; 16] = h("2b7e151628aed2a6abf7158809cf4f3c").try_into().unwrap();
        let msg = h(
            "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                     30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
        );
        assert_eq!(
            aes_cmac(&key, &[]).to_vec(),
            h("bb1d6929e95937287fa37d129b756746")
        );
        assert_eq!(
            aes_cmac(&key, &msg[..16]).to_vec(),
            h("070a16b46b4d4144f79bdd9dd04a287c")
        );
        assert_eq!(
            aes_cmac(&key, &msg[..40]).to_vec(),
            h("dfa66747de9ae63030ca32611497c827")
        );
        assert_eq!(
            aes_cmac(&key, &msg).to_vec(),
            h("51f0bebf7e3b9d92fc49741779363cfe")
        );
    }

    #[test]
    fn aes_cbc_of_sp_800_38a() {
        // NIST SP 800-38A F.2.1, CBC-AES128.Encrypt, first two blocks.
        let key: [u8; 16] = h("2b7e151628aed2a6abf7158809cf4f3c").try_into().unwrap();
        let iv: [u8; 16] = h("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let plain = h("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51");
        let cipher = h("7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2");
        assert_eq!(aes_cbc_encrypt(&key, &iv, &plain).unwrap(), cipher);
        assert_eq!(aes_cbc_decrypt(&key, &iv, &cipher).unwrap(), plain);
        assert_eq!(aes_cbc_encrypt(&key, &iv, &plain[..15]), None);
    }

    proptest! {
        #[test]
        fn aes_cbc_round_trips(key in any::<[u8; 16]>(), iv in any::<[u8; 16]>(), data in prop::collection::vec(any::<u8>(), 0..64)) {
            let c = aes_cbc_encrypt(&key, &iv, &pad16(&data)).unwrap();
            let p = aes_cbc_decrypt(&key, &iv, &c).unwrap();
            prop_assert_eq!(unpad16(&p), Some(&data[..]));
        }

        #[test]
        fn cbc_round_trips(key in any::<[u8; 16]>(), data in prop::collection::vec(any::<u8>(), 0..64)) {
            let c = tdes_cbc_encrypt_padded(&key, &data);
            let p = tdes_cbc_decrypt(&key, &c).unwrap();
            prop_assert_eq!(unpad(&p), Some(&data[..]));
        }

        #[test]
        fn unpad_never_panics(data in prop::collection::vec(any::<u8>(), 0..40)) {
            let _ = unpad(&data);
            let _ = tdes_cbc_decrypt(&[0; 16], &data);
            let _ = tdes_cbc_encrypt(&[0; 16], &data);
        }
    }
}
