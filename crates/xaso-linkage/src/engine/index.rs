//! Hashing and the blocking indexes: a fast hasher for interning maps, a 64-bit mixer for
//! composite blocking keys, and [`MultiIndex`], a static multimap from 64-bit keys to record
//! numbers (sorted array + bucket directory: one or two cache lines per lookup; each entry
//! keeps 32 bits of its key's hash besides the bucket's, 8 bytes with its value), with an
//! optional bit filter that answers most lookups of absent keys from a small bitmap (the
//! ID-typo rule looks up 119 variants of every ID, almost all absent).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The splitmix64 finaliser: a bijective 64-bit mixer.
#[inline]
pub(crate) const fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A key made of several words (order matters).
#[inline]
pub(crate) fn combine(words: &[u64]) -> u64 {
    words.iter().fold(0x2545_f491_4f6c_dd1d, |h, &w| {
        mix(h ^ w.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    })
}

/// FxHash-style hasher (multiply-rotate), finalised with [`mix`].
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        mix(self.0)
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The 32 bits of a hash below its bucket bits (`shift` ≥ 36: at most 28 bucket bits).
#[inline]
fn fragment(h: u64, shift: u32) -> u32 {
    (h >> (shift - 32)) as u32
}

/// A static multimap from 64-bit keys to `u32` values. Keys are hashed with [`mix`]; the top
/// bits of the hash pick a bucket, the next 32 are stored. Two keys whose hashes agree on
/// those bits (about 50 of them for a million keys) share their values: harmless for
/// blocking, a spurious candidate is scored like any other.
#[derive(Debug, Clone, Default)]
pub(crate) struct MultiIndex {
    shift: u32,
    dir: Vec<u32>,
    /// Hash bits `shift - 32 .. shift` of each entry, ascending within a bucket.
    hashes: Vec<u32>,
    vals: Vec<u32>,
    filter: Vec<u64>,
    filter_mask: u64,
}

impl MultiIndex {
    /// Builds from (key, value) entries; `filter` adds a 16-bits-per-entry bitmap that turns
    /// most lookups of absent keys into one bit test.
    pub(crate) fn build(mut entries: Vec<(u64, u32)>, filter: bool) -> MultiIndex {
        for e in &mut entries {
            e.0 = mix(e.0);
        }
        entries.sort_unstable();
        let n = entries.len();
        let bits = (usize::BITS - n.max(1).leading_zeros()).clamp(4, 28);
        let shift = 64 - bits;
        let mut dir = vec![0u32; (1usize << bits) + 1];
        for (h, _) in &entries {
            dir[(h >> shift) as usize + 1] += 1;
        }
        for i in 1..dir.len() {
            dir[i] += dir[i - 1];
        }
        let (filter, filter_mask) = if filter && n > 0 {
            let fbits = (bits + 4).min(34);
            let mask = (1u64 << fbits) - 1;
            let mut f = vec![0u64; 1usize << (fbits - 6)];
            for (h, _) in &entries {
                let b = h & mask;
                f[(b >> 6) as usize] |= 1 << (b & 63);
            }
            (f, mask)
        } else {
            (Vec::new(), 0)
        };
        let (hashes, vals) = entries
            .into_iter()
            .map(|(h, v)| (fragment(h, shift), v))
            .unzip();
        MultiIndex {
            shift,
            dir,
            hashes,
            vals,
            filter,
            filter_mask,
        }
    }

    /// The values stored under `key` (ascending), empty when none.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> &[u32] {
        if self.hashes.is_empty() {
            return &[];
        }
        let h = mix(key);
        if !self.filter.is_empty() {
            let b = h & self.filter_mask;
            if (self.filter[(b >> 6) as usize] >> (b & 63)) & 1 == 0 {
                return &[];
            }
        }
        let bucket = (h >> self.shift) as usize;
        let (lo, hi) = (self.dir[bucket] as usize, self.dir[bucket + 1] as usize);
        let slice = &self.hashes[lo..hi];
        let h = fragment(h, self.shift);
        let start = slice.partition_point(|&x| x < h);
        let end = start + slice[start..].partition_point(|&x| x == h);
        &self.vals[lo + start..lo + end]
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.vals.len()
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.dir.len() * 4 + self.hashes.len() * 4 + self.vals.len() * 4 + self.filter.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_index_finds_every_value_and_nothing_else() {
        let mut entries = Vec::new();
        for i in 0..10_000u32 {
            entries.push((u64::from(i % 3000), i));
        }
        for filter in [false, true] {
            let idx = MultiIndex::build(entries.clone(), filter);
            assert_eq!(idx.len(), 10_000);
            for k in 0..3000u64 {
                let want: Vec<u32> = (0..10_000u32)
                    .filter(|i| u64::from(i % 3000) == k)
                    .collect();
                assert_eq!(idx.get(k), want.as_slice(), "{k}");
            }
            for k in 3000..20_000u64 {
                assert!(idx.get(k).is_empty());
            }
        }
        assert!(MultiIndex::build(Vec::new(), true).get(1).is_empty());
        assert!(MultiIndex::default().get(1).is_empty());
    }

    #[test]
    fn combine_depends_on_order() {
        assert_ne!(combine(&[1, 2]), combine(&[2, 1]));
        assert_ne!(combine(&[1]), combine(&[1, 0]));
    }
}
