//! A small deterministic PRNG of our own (xoshiro256** seeded by SplitMix64), so a seed gives
//! the same commune on every machine and with every version of the dependencies. Only integer
//! arithmetic and exact float operations are used: no `ln`/`powf`, whose last bits may differ
//! between platforms' math libraries.

/// SplitMix64 step: also a good 64-bit mixing function for deriving keys.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes several words into one key (order matters).
pub(crate) fn mix(words: &[u64]) -> u64 {
    let mut state = 0x6A09_E667_F3BC_C908;
    let mut out = 0;
    for &w in words {
        state ^= w;
        out = splitmix64(&mut state);
    }
    out
}

/// FNV-1a of a label, to derive independent streams from one seed ("welfare", "school" ...).
pub(crate) fn label_hash(label: &str) -> u64 {
    label.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// An independent stream for one purpose, so that changing one part of the generator does
    /// not shift the random numbers of the others.
    pub(crate) fn stream(seed: u64, label: &str) -> Rng {
        Rng::new(mix(&[seed, label_hash(label)]))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (0 when n is 0). Multiply-shift: the bias is below 2^-32 for the
    /// small ranges used here.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub(crate) fn below_usize(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform in `lo..=hi` (lo when hi < lo).
    pub(crate) fn range(&mut self, lo: i32, hi: i32) -> i32 {
        if hi <= lo {
            return lo;
        }
        let span = (i64::from(hi) - i64::from(lo) + 1) as u64;
        (i64::from(lo) + self.below(span) as i64) as i32
    }

    /// Uniform in [0, 1): 53 random bits scaled by an exact power of two.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element, uniformly; None for an empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below_usize(items.len()))
    }

    /// Index drawn with the given integer weights; 0 when all are zero.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < u64::from(w) {
                return i;
            }
            r -= u64::from(w);
        }
        0
    }
}

/// A table of items with integer weights, sampled in O(log n).
#[derive(Debug, Clone)]
pub(crate) struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<u64>,
}

impl<T: Copy> Weighted<T> {
    pub(crate) fn new(pairs: &[(T, u32)]) -> Weighted<T> {
        let mut total = 0u64;
        let mut items = Vec::with_capacity(pairs.len());
        let mut cumulative = Vec::with_capacity(pairs.len());
        for &(item, w) in pairs {
            if w == 0 {
                continue;
            }
            total += u64::from(w);
            items.push(item);
            cumulative.push(total);
        }
        Weighted { items, cumulative }
    }

    /// Zipf-like weights for a list ordered by popularity: rank r gets `K / (r + offset)`.
    /// Integer division keeps it identical everywhere.
    pub(crate) fn zipf(items: &[T], offset: u32) -> Weighted<T> {
        let pairs: Vec<(T, u32)> = items
            .iter()
            .enumerate()
            .map(|(r, &it)| (it, 1_000_000 / (r as u32 + offset.max(1))))
            .collect();
        Weighted::new(&pairs)
    }

    /// None only for an empty table.
    pub(crate) fn sample(&self, rng: &mut Rng) -> Option<T> {
        let total = *self.cumulative.last()?;
        let r = rng.below(total);
        let i = self.cumulative.partition_point(|&c| c <= r);
        self.items.get(i).copied()
    }
}

/// A keyed pseudo-random permutation of `0..domain` (a balanced Feistel network over the
/// smallest even number of bits that covers the domain, with cycle walking). Numbering people
/// 0, 1, 2 … through it gives serials that look random yet can never repeat.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Permutation {
    key: u64,
    domain: u64,
    half_bits: u32,
}

impl Permutation {
    pub(crate) fn new(key: u64, domain: u64) -> Permutation {
        let bits = 64 - domain.saturating_sub(1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        Permutation {
            key,
            domain,
            half_bits,
        }
    }

    /// The image of `x` (which must be below the domain; larger values are reduced).
    pub(crate) fn apply(&self, x: u64) -> u64 {
        if self.domain <= 1 {
            return 0;
        }
        let mut v = x % self.domain;
        // Cycle walking: the network permutes 0..2^(2·half_bits); re-apply until back in range.
        // Each walk step lands in range with probability ≥ 1/4, so this ends quickly.
        loop {
            v = self.round_trip(v);
            if v < self.domain {
                return v;
            }
        }
    }

    fn round_trip(&self, v: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let mut left = (v >> self.half_bits) & mask;
        let mut right = v & mask;
        for round in 0..4u64 {
            let f = mix(&[self.key, round, right]) & mask;
            let next = left ^ f;
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }
}

/// A fast, unkeyed hasher (FxHash's multiply-rotate) for the lookup tables of generation.
/// Unkeyed also means the tables behave the same on every run; they are only ever looked up,
/// never iterated, so output does not depend on it either way.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;
pub(crate) type FastSet<K> =
    std::collections::HashSet<K, std::hash::BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn known_sequence() {
        // Pinned values: a change here changes every generated commune.
        let mut r = Rng::new(1);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut again = Rng::new(1);
        assert_eq!(first, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        assert_ne!(first, {
            let mut other = Rng::new(2);
            (0..3).map(|_| other.next_u64()).collect::<Vec<_>>()
        });
        let mut sm = 0u64;
        assert_eq!(splitmix64(&mut sm), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn ranges_and_weights() {
        let mut r = Rng::new(7);
        for _ in 0..10_000 {
            let v = r.range(-3, 5);
            assert!((-3..=5).contains(&v));
            assert!(r.unit() < 1.0);
        }
        assert_eq!(r.range(4, 4), 4);
        assert_eq!(r.below(0), 0);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[r.weighted(&[1, 0, 2])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > counts[0] * 3 / 2, "{counts:?}");
        let table = Weighted::zipf(&["a", "b", "c", "d"], 1);
        let mut a = 0;
        for _ in 0..10_000 {
            if table.sample(&mut r) == Some("a") {
                a += 1;
            }
        }
        // 1 / (1 + 1/2 + 1/3 + 1/4) = 48%.
        assert!((4_400..5_200).contains(&a), "{a}");
        assert_eq!(Weighted::<u8>::new(&[]).sample(&mut r), None);
    }

    #[test]
    fn permutation_is_a_bijection() {
        for domain in [1u64, 2, 10, 1000, 1_000_000] {
            let p = Permutation::new(42, domain);
            if domain <= 1000 {
                let mut seen = vec![false; domain as usize];
                for x in 0..domain {
                    let y = p.apply(x);
                    assert!(y < domain);
                    assert!(!seen[y as usize], "{domain}: {x}");
                    seen[y as usize] = true;
                }
            } else {
                let mut seen = std::collections::HashSet::new();
                for x in 0..20_000 {
                    assert!(seen.insert(p.apply(x)));
                }
            }
        }
    }
}
