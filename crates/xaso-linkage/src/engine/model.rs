//! The Fellegi–Sunter model: per field and level, m = P(level | same person) and
//! u = P(level | different persons), weight log2(m/u); fields conditionally independent.
//!
//! * u comes from comparing random pairs (seeded, deterministic): the population's chance
//!   agreement.
//! * m comes from EM over the blocked pairs, u held fixed, starting from priors. The mixture is
//!   the one the data has: a list row is either absent from the register (probability 1 − ρ)
//!   or is exactly one register person, each equally likely a priori (λ = ρ/N per pair). The
//!   E-step therefore shares each row's posterior among its candidates:
//!   P(row = c) = λ·BF_c / ((1 − ρ) + λ·Σ_k BF_k). Unlike the independent-pairs EM, namesakes
//!   blocked beside a row's true match cannot pass as matches, so m is not biased towards
//!   agreement on the blocking fields.
//! * A `missing` level weighs 0 (m and u are estimated among the pairs where both sides have
//!   a value).
//! * Term frequencies: exact agreement on a name part weighs log2(m_exact / tf(v)) instead of
//!   log2(m_exact / u_exact), where tf(v) is the share of register persons with that value
//!   (stripped value for names typed without tones): rare names weigh more. The parts are
//!   chained (the middle name's share among the persons of that family name, the given name's
//!   among those of that family and middle name), so that a whole name weighs by its own
//!   frequency, and the sex agreeing with a whole name by its share among the namesakes;
//!   villages likewise by their size (see [`TermFrequencies::adjustments`]).

use serde::Serialize;

use super::prep::{Lookup, Rec};
use super::vector::{
    decode, missing, Levels, FAMILY, FIELD_NAMES, GIVEN, LEVELS, MAX_LEVELS, MIDDLE, N_FIELDS, SEX,
    VILLAGE,
};

/// m, u and weight of one level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelModel {
    pub level: &'static str,
    /// P(level | same person), among pairs where both sides have the field; `None` for
    /// `missing`, which is not estimated.
    pub m: Option<f64>,
    /// P(level | different persons), likewise.
    pub u: Option<f64>,
    /// log2(m/u); 0 for `missing`.
    pub weight: f64,
}

/// The levels of one field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldModel {
    pub field: &'static str,
    pub levels: Vec<LevelModel>,
}

/// A trained model: what [`super::Linker::link`] estimated, reusable by
/// [`super::Linker::match_one`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// List row against register person.
    pub fields: Vec<FieldModel>,
    /// List row against list row (duplicates): the same m, u from random pairs of the list.
    pub within_list: Vec<FieldModel>,
    /// Probability that a random (list row, register person) pair is a match: ρ / N.
    pub lambda: f64,
    /// ρ: estimated share of list rows that are in the register.
    pub in_register_share: f64,
    /// log2(λ / (1 − λ)).
    pub prior_weight: f64,
    pub register_size: usize,
    pub list_size: usize,
    pub em_iterations: usize,
    pub em_converged: bool,
    /// Random pairs compared to estimate u.
    pub u_sample_pairs: usize,
    /// Fields whose exact agreement is weighed by the value's frequency in the register.
    pub term_frequency_fields: Vec<&'static str>,
}

pub(crate) type Table = [[f64; MAX_LEVELS]; N_FIELDS];

/// Prior m among the non-missing levels (EM starts here and is pulled towards it by a few
/// pseudo-pairs, which keeps small lists stable).
const PRIOR_M: [&[f64]; N_FIELDS] = [
    &[0.90, 0.02, 0.015, 0.05, 0.015],
    &[0.85, 0.05, 0.05, 0.02, 0.015, 0.015],
    &[0.80, 0.04, 0.01, 0.10, 0.02, 0.01, 0.02],
    &[0.88, 0.06, 0.01, 0.02, 0.015, 0.015],
    &[0.88, 0.02, 0.03, 0.02, 0.01, 0.015, 0.005, 0.005, 0.015],
    &[0.98, 0.02],
    &[0.75, 0.20, 0.02, 0.03],
    // Lists hold a subscriber's or a parent's number: the same person often has another.
    &[0.45, 0.02, 0.01, 0.52],
];

/// u for a field never observed on both sides (phones against the register).
const PRIOR_U: [&[f64]; N_FIELDS] = [
    &[1e-6, 1e-5, 1e-5, 1e-6, 1.0],
    &[0.2, 0.01, 0.01, 0.05, 0.1, 0.63],
    &[0.1, 0.01, 0.01, 0.1, 0.05, 0.1, 0.63],
    &[0.02, 0.01, 0.01, 0.02, 0.05, 0.89],
    &[3e-5, 3e-5, 0.01, 0.001, 0.01, 1e-4, 0.02, 0.003, 0.956],
    &[0.5, 0.5],
    &[0.05, 0.01, 0.01, 0.93],
    &[1e-7, 1e-6, 1e-6, 1.0],
];

/// Pseudo-pairs of the prior in the M-step.
const PRIOR_STRENGTH: f64 = 5.0;

/// Share of the list rows assumed to have a duplicate, for the within-list prior.
pub(crate) const DUPLICATE_SHARE: f64 = 0.02;

fn normalised(p: &[f64]) -> [f64; MAX_LEVELS] {
    let total: f64 = p.iter().sum();
    let mut out = [0.0; MAX_LEVELS];
    for (o, x) in out.iter_mut().zip(p) {
        *o = x / total;
    }
    out
}

pub(crate) fn prior_m() -> Table {
    std::array::from_fn(|f| normalised(PRIOR_M[f]))
}

/// u from level counts of random pairs: shares among the non-missing levels, a level never
/// seen counted as half a pair; the prior when the field was never seen on both sides.
pub(crate) fn u_from_counts(counts: &[[u64; MAX_LEVELS]; N_FIELDS]) -> Table {
    std::array::from_fn(|f| {
        let miss = missing(f) as usize;
        let total: u64 = counts[f][..miss].iter().sum();
        if total == 0 {
            return normalised(PRIOR_U[f]);
        }
        let mut out = [0.0; MAX_LEVELS];
        for l in 0..miss {
            out[l] = (counts[f][l] as f64).max(0.5) / total as f64;
        }
        out
    })
}

/// Weights log2(m/u), 0 for missing.
pub(crate) fn weights(m: &Table, u: &Table) -> Table {
    std::array::from_fn(|f| {
        let mut w = [0.0; MAX_LEVELS];
        for l in 0..missing(f) as usize {
            w[l] = (m[f][l].max(1e-12) / u[f][l].max(1e-12)).log2();
        }
        w
    })
}

pub(crate) fn field_models(m: &Table, u: &Table) -> Vec<FieldModel> {
    let w = weights(m, u);
    (0..N_FIELDS)
        .map(|f| FieldModel {
            field: FIELD_NAMES[f],
            levels: LEVELS[f]
                .iter()
                .enumerate()
                .map(|(l, name)| {
                    let miss = l == missing(f) as usize;
                    LevelModel {
                        level: name,
                        m: (!miss).then_some(m[f][l]),
                        u: (!miss).then_some(u[f][l]),
                        weight: w[f][l],
                    }
                })
                .collect(),
        })
        .collect()
}

/// m and u tables back from a [`Model`]'s fields.
pub(crate) fn tables(fields: &[FieldModel]) -> (Table, Table) {
    let mut m = [[0.0; MAX_LEVELS]; N_FIELDS];
    let mut u = [[0.0; MAX_LEVELS]; N_FIELDS];
    for (f, fm) in fields.iter().enumerate().take(N_FIELDS) {
        for (l, lm) in fm.levels.iter().enumerate().take(MAX_LEVELS) {
            m[f][l] = lm.m.unwrap_or(0.0);
            u[f][l] = lm.u.unwrap_or(0.0);
        }
    }
    (m, u)
}

/// Register frequencies of names and villages, for term-frequency adjustment.
#[derive(Debug, Clone, Default)]
pub(crate) struct TermFrequencies {
    n: f64,
    /// Per role (family, middle, given): count by part id, and by stripped-key id.
    by_part: [Vec<u32>; 3],
    by_stripped: [Vec<u32>; 3],
    /// Per register person, how many persons share the prefixes of its name: (family,
    /// middle), (family, middle, given), (family, middle, given, sex); by part ids, then by
    /// stripped keys (for names typed without tones).
    by_person: Vec<[[u32; 3]; 2]>,
    /// Persons per village key (kind ignored), by its string id.
    by_village: Vec<u32>,
    /// Chance that two persons drawn from the register share a village key: Σ tf(v)².
    village_mean: f64,
}

/// The fields adjusted by term frequencies, in the order of [`TermFrequencies::adjustments`].
pub(crate) const TF_FIELDS: [usize; 5] = [FAMILY, MIDDLE, GIVEN, SEX, VILLAGE];

fn role_part(r: &Rec, role: usize) -> u32 {
    match role {
        0 => r.name.family,
        1 => r.name.middle,
        _ => r.name.given,
    }
}

/// The ids of a record's name parts and sex, toned (part ids) or stripped.
fn name_ids<L: Lookup>(voc: &L, r: &Rec, stripped: bool) -> [u32; 4] {
    let id = |p: u32| {
        if stripped && p != 0 {
            voc.part(p).stripped_id
        } else {
            p
        }
    };
    [
        id(r.name.family),
        id(r.name.middle),
        id(r.name.given),
        u32::from(r.sex),
    ]
}

/// For every record, the number of records sharing the first 2, 3 and 4 of its `ids` (0 for a
/// record without family or given name), by sorting. The ids are packed into one number when
/// they fit (20 bits a name part, 2 the sex), which sorts several times faster.
fn prefix_counts(recs: &[Rec], ids: impl Fn(&Rec) -> [u32; 4]) -> Vec<[u32; 3]> {
    prefix_counts_with(recs, ids, true)
}

fn prefix_counts_with(
    recs: &[Rec],
    ids: impl Fn(&Rec) -> [u32; 4],
    may_pack: bool,
) -> Vec<[u32; 3]> {
    let named = || {
        recs.iter()
            .enumerate()
            .filter(|(_, r)| r.name.family != 0 && r.name.given != 0)
            .map(|(i, r)| (ids(r), i as u32))
    };
    let mut out = vec![[0u32; 3]; recs.len()];
    let fits = may_pack && named().all(|(k, _)| k[..3].iter().all(|&x| x < 1 << 20) && k[3] < 4);
    if fits {
        let pack = |k: [u32; 4]| {
            (u64::from(k[0]) << 42)
                | (u64::from(k[1]) << 22)
                | (u64::from(k[2]) << 2)
                | u64::from(k[3])
        };
        let mut order: Vec<(u64, u32)> = named().map(|(k, i)| (pack(k), i)).collect();
        order.sort_unstable();
        for (len, shift) in [(2, 22), (3, 2), (4, 0)] {
            for group in order.chunk_by(|x, y| x.0 >> shift == y.0 >> shift) {
                for &(_, i) in group {
                    out[i as usize][len - 2] = group.len() as u32;
                }
            }
        }
    } else {
        let mut order: Vec<([u32; 4], u32)> = named().collect();
        order.sort_unstable();
        for len in 2..=4 {
            for group in order.chunk_by(|x, y| x.0[..len] == y.0[..len]) {
                for &(_, i) in group {
                    out[i as usize][len - 2] = group.len() as u32;
                }
            }
        }
    }
    out
}

impl TermFrequencies {
    pub(crate) fn count<L: Lookup>(recs: &[Rec], voc: &L, parts: usize, strings: usize) -> Self {
        let mut by_part: [Vec<u32>; 3] = std::array::from_fn(|_| vec![0u32; parts]);
        let mut by_stripped: [Vec<u32>; 3] = std::array::from_fn(|_| vec![0u32; strings]);
        let mut by_village = vec![0u32; strings];
        for r in recs {
            for role in 0..3 {
                let p = role_part(r, role);
                if p != 0 {
                    by_part[role][p as usize] += 1;
                    by_stripped[role][voc.part(p).stripped_id as usize] += 1;
                }
            }
            let blocks = r
                .villages
                .map(|v| if v == 0 { 0 } else { voc.village_block(v) });
            for (k, &b) in blocks.iter().enumerate() {
                if b != 0 && !blocks[..k].contains(&b) {
                    if let Some(c) = by_village.get_mut(b as usize) {
                        *c += 1;
                    }
                }
            }
        }
        let toned = prefix_counts(recs, |r| name_ids(voc, r, false));
        let stripped = prefix_counts(recs, |r| name_ids(voc, r, true));
        let by_person = toned
            .into_iter()
            .zip(stripped)
            .map(|(t, s)| [t, s])
            .collect();
        let n = recs.len().max(1) as f64;
        let village_mean = by_village.iter().map(|&c| (f64::from(c) / n).powi(2)).sum();
        TermFrequencies {
            n,
            by_part,
            by_stripped,
            by_person,
            by_village,
            village_mean,
        }
    }

    /// Approximate heap bytes.
    pub(crate) fn heap_bytes(&self) -> usize {
        let parts: usize = self
            .by_part
            .iter()
            .chain(&self.by_stripped)
            .map(|v| v.len() * 4)
            .sum();
        parts + self.by_village.len() * 4 + self.by_person.len() * 24
    }

    /// Register persons with this value of the role's part (by stripped key if `toneless`).
    fn count_of<L: Lookup>(&self, voc: &L, role: usize, part: u32, toneless: bool) -> u32 {
        if toneless {
            let s = voc.part(part).stripped_id as usize;
            self.by_stripped[role].get(s).copied().unwrap_or(0)
        } else {
            self.by_part[role].get(part as usize).copied().unwrap_or(0)
        }
    }

    /// The term-frequency adjustment of each field of [`TF_FIELDS`], as a ratio u/tf (1 unless
    /// the level is an agreement): its log2 is added to the field's weight log2(m/u) so that
    /// it becomes log2(m/tf). `person`: b's index in the register, when b is a register
    /// person.
    ///
    /// * family name (exact): tf = the family name's share of the register;
    /// * middle name (exact): its share among the persons of that family name when the family
    ///   names agree too, else its share of the register;
    /// * given name (exact): its share among the persons of that family and middle name when
    ///   both agree too, else its share of the register. The three together weigh the whole
    ///   name by its own frequency: names are not independent ("Thị" goes with "Lan", "Văn"
    ///   with "Hùng"), and multiplying the parts' frequencies would make a common name look
    ///   several times rarer than it is;
    /// * sex (exact, the whole name agreeing): the share of that sex among the persons of that
    ///   name (about 1 for "Nguyễn Thị Lan": the name already said it);
    /// * village (exact or same key): the village key's share of the register against the
    ///   mean chance agreement: a large village (or a catch-all such as "Khu trọ công nhân")
    ///   says less than a hamlet.
    ///
    /// Within the list (no `person`), names are weighed by their parts' frequencies alone.
    pub(crate) fn adjustments<L: Lookup>(
        &self,
        voc: &L,
        levels: &Levels,
        a: &Rec,
        b: &Rec,
        person: Option<u32>,
        u: &Table,
    ) -> [f64; TF_FIELDS.len()] {
        let mut out = [1.0; TF_FIELDS.len()];
        let toneless = a.name.toneless || b.name.toneless;
        let exact = |f: usize| levels[f] == 0 && u[f][0] > 0.0;
        let agree = [exact(FAMILY), exact(MIDDLE), exact(GIVEN)];
        // Counts: [marginal or conditional count, of how many].
        let mut counts = [[0u32; 2]; 3];
        for (role, c) in counts.iter_mut().enumerate() {
            let p = role_part(b, role);
            if agree[role] && p != 0 {
                *c = [self.count_of(voc, role, p, toneless), self.n as u32];
            }
        }
        let chain = person
            .filter(|_| agree[0] && agree[1] && b.name.family != 0)
            .and_then(|j| self.by_person.get(j as usize))
            .map(|c| c[usize::from(toneless)]);
        if let Some([fm, full, with_sex]) = chain {
            let family = self.count_of(voc, 0, b.name.family, toneless);
            if fm > 0 && family >= fm {
                counts[1] = [fm, family];
                if agree[2] && full > 0 && fm >= full {
                    counts[2] = [full, fm];
                    if exact(SEX) && with_sex > 0 && with_sex <= full {
                        // P(same sex | same name) = with_sex / full.
                        out[3] = u[SEX][0] * f64::from(full) / f64::from(with_sex);
                    }
                }
            }
        }
        for (role, &f) in [FAMILY, MIDDLE, GIVEN].iter().enumerate() {
            let [k, of] = counts[role];
            if of > 0 {
                out[role] = u[f][0] * f64::from(of) / f64::from(k.max(1));
            }
        }
        if levels[VILLAGE] <= 1 && u[VILLAGE][levels[VILLAGE] as usize] > 0.0 {
            let block = |v: u32| if v == 0 { 0 } else { voc.village_block(v) };
            let ours = a.villages.map(block);
            let count = b
                .villages
                .iter()
                .map(|&v| block(v))
                .find(|&x| x != 0 && ours.contains(&x))
                .and_then(|x| self.by_village.get(x as usize).copied())
                .unwrap_or(0);
            if count > 0 && self.village_mean > 0.0 {
                out[4] = self.village_mean * self.n / f64::from(count);
            }
        }
        out
    }
}

/// Blocked pairs grouped by list row, as EM and scoring see them.
#[derive(Debug, Default)]
pub(crate) struct Pairs {
    /// Pairs of row r are `start[r]..start[r + 1]`.
    pub start: Vec<usize>,
    pub other: Vec<u32>,
    /// Index into `patterns`.
    pub pattern: Vec<u32>,
    /// Sum of the term-frequency adjustments.
    pub tf: Vec<f32>,
    /// Distinct comparison vectors, as codes.
    pub patterns: Vec<u32>,
}

impl Pairs {
    pub(crate) fn rows(&self) -> usize {
        self.start.len().saturating_sub(1)
    }
    pub(crate) fn len(&self) -> usize {
        self.other.len()
    }
}

/// What EM found.
#[derive(Debug, Clone)]
pub(crate) struct EmResult {
    pub m: Table,
    pub rho: f64,
    pub iterations: usize,
    pub converged: bool,
}

const ROW_CHUNK: usize = 16_384;

/// EM for m and ρ with u fixed (see the module documentation). `n_other` is the register size.
pub(crate) fn em(
    pairs: &Pairs,
    u: &Table,
    n_other: usize,
    threads: usize,
    max_iterations: usize,
) -> EmResult {
    let levels: Vec<Levels> = pairs.patterns.iter().map(|&c| decode(c)).collect();
    let prior = prior_m();
    let mut m = prior;
    let rows = pairs.rows();
    let mut rho: f64 = 0.9;
    let log_n = (n_other.max(1) as f64).log2();
    let mut iterations = 0;
    let mut converged = false;
    if rows == 0 || pairs.len() == 0 {
        return EmResult {
            m,
            rho: 0.0,
            iterations,
            converged: true,
        };
    }
    // 2^tf of every pair, once (f32: the adjustments are within ±128 bits).
    let tf_factor: Vec<f32> = pairs
        .tf
        .iter()
        .map(|&t| t.clamp(-120.0, 120.0).exp2())
        .collect();
    while iterations < max_iterations {
        iterations += 1;
        let w = weights(&m, u);
        let pattern_weight: Vec<f64> = levels
            .iter()
            .map(|l| (0..N_FIELDS).map(|f| w[f][l[f] as usize]).sum())
            .collect();
        let log_lambda = rho.log2() - log_n;
        // λ·BF of a pair = 2^(pattern weight + log λ) · 2^tf.
        let pattern_factor: Vec<f64> = pattern_weight
            .iter()
            .map(|&w| exp2(w + log_lambda))
            .collect();
        let none = 1.0 - rho;
        let parts =
            super::par::chunks(rows, ROW_CHUNK, threads, |range| {
                let mut acc = vec![0.0f64; pairs.patterns.len()];
                let mut total = 0.0;
                let mut bf: Vec<f64> = Vec::new();
                for r in range {
                    let span = pairs.start[r]..pairs.start[r + 1];
                    if span.is_empty() {
                        continue;
                    }
                    bf.clear();
                    bf.extend(span.clone().map(|k| {
                        pattern_factor[pairs.pattern[k] as usize] * f64::from(tf_factor[k])
                    }));
                    let denom = none + bf.iter().sum::<f64>();
                    if denom <= 0.0 {
                        continue;
                    }
                    for (k, &x) in span.zip(&bf) {
                        let p = x / denom;
                        acc[pairs.pattern[k] as usize] += p;
                        total += p;
                    }
                }
                (acc, total)
            });
        let mut acc = vec![0.0f64; pairs.patterns.len()];
        let mut total = 0.0;
        for (a, t) in parts {
            for (x, y) in acc.iter_mut().zip(a) {
                *x += y;
            }
            total += t;
        }
        let mut counts = [[0.0f64; MAX_LEVELS]; N_FIELDS];
        for (p, l) in levels.iter().enumerate() {
            for f in 0..N_FIELDS {
                counts[f][l[f] as usize] += acc[p];
            }
        }
        let mut next = [[0.0f64; MAX_LEVELS]; N_FIELDS];
        for f in 0..N_FIELDS {
            let miss = missing(f) as usize;
            let seen: f64 = counts[f][..miss].iter().sum();
            for l in 0..miss {
                next[f][l] =
                    (counts[f][l] + PRIOR_STRENGTH * prior[f][l]) / (seen + PRIOR_STRENGTH);
            }
        }
        let next_rho = (total / rows as f64).clamp(1e-6, 1.0 - 1e-6);
        let mut delta = (next_rho - rho).abs();
        for f in 0..N_FIELDS {
            for l in 0..MAX_LEVELS {
                delta = delta.max((next[f][l] - m[f][l]).abs());
            }
        }
        m = next;
        rho = next_rho;
        if delta < 1e-6 {
            converged = true;
            break;
        }
    }
    EmResult {
        m,
        rho,
        iterations,
        converged,
    }
}

/// 2^x, clamped so that extreme weights neither overflow nor vanish into NaN.
#[inline]
pub(crate) fn exp2(x: f64) -> f64 {
    x.clamp(-1000.0, 1000.0).exp2()
}

/// The posterior of each candidate of one row: λ·BF / ((1 − ρ) + λ·Σ BF).
pub(crate) fn posteriors(weights: &[f64], rho: f64, n_other: usize, out: &mut Vec<f64>) {
    let log_lambda = rho.max(1e-12).log2() - (n_other.max(1) as f64).log2();
    out.clear();
    out.extend(weights.iter().map(|&w| exp2(w + log_lambda)));
    let denom = (1.0 - rho) + out.iter().sum::<f64>();
    for p in out.iter_mut() {
        *p = if denom > 0.0 { *p / denom } else { 0.0 };
    }
}

/// One pair's posterior under a pairwise prior λ: λ·BF / (λ·BF + 1 − λ).
pub(crate) fn pair_probability(weight: f64, lambda: f64) -> f64 {
    let x = exp2(weight + lambda.log2());
    x / (x + 1.0 - lambda)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::vector::{encode, DOB, ID, SEX};

    /// A tiny deterministic generator.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        fn pick(&mut self, p: &[f64]) -> u8 {
            let x = self.next();
            let mut acc = 0.0;
            for (i, &q) in p.iter().enumerate() {
                acc += q;
                if x < acc {
                    return i as u8;
                }
            }
            (p.len() - 1) as u8
        }
    }

    /// Rows with one true candidate (share `rho`) and namesake candidates, drawn from known
    /// m and u; EM must find m and ρ back.
    #[test]
    fn em_recovers_a_synthetic_mixture() {
        let mut true_m = prior_m();
        true_m[ID][..5].copy_from_slice(&[0.7, 0.1, 0.05, 0.1, 0.05]);
        true_m[DOB][..9].copy_from_slice(&[0.6, 0.1, 0.15, 0.05, 0.02, 0.03, 0.02, 0.01, 0.02]);
        true_m[SEX][..2].copy_from_slice(&[0.9, 0.1]);
        let u = u_from_counts(&std::array::from_fn(|f| {
            let p = normalised(PRIOR_U[f]);
            std::array::from_fn(|l| {
                if l < missing(f) as usize {
                    (p[l] * 1e7) as u64
                } else {
                    0
                }
            })
        }));
        let mut rng = Lcg(7);
        let draw = |rng: &mut Lcg, t: &Table| -> Levels {
            std::array::from_fn(|f| rng.pick(&t[f][..missing(f) as usize]))
        };
        let rows = 20_000;
        let true_rho = 0.8;
        let mut pairs = Pairs::default();
        let mut index = crate::engine::index::FxMap::default();
        pairs.start.push(0);
        for _ in 0..rows {
            let mut vs = Vec::new();
            if rng.next() < true_rho {
                vs.push(draw(&mut rng, &true_m));
            }
            for _ in 0..(rng.next() * 4.0) as usize {
                // Namesakes: agree on the names like a match, otherwise random.
                let mut v = draw(&mut rng, &u);
                v[FAMILY] = 0;
                v[GIVEN] = 0;
                vs.push(v);
            }
            for v in vs {
                let code = encode(&v);
                let n = index.len() as u32;
                let p = *index.entry(code).or_insert(n);
                if p == n {
                    pairs.patterns.push(code);
                }
                pairs.other.push(0);
                pairs.pattern.push(p);
                pairs.tf.push(0.0);
            }
            pairs.start.push(pairs.other.len());
        }
        let n_other = 1_000_000;
        let r1 = em(&pairs, &u, n_other, 1, 200);
        let r2 = em(&pairs, &u, n_other, 2, 200);
        assert_eq!(r1.m, r2.m, "thread count changes nothing");
        assert!(r1.converged, "{} iterations", r1.iterations);
        assert!((r1.rho - true_rho).abs() < 0.02, "rho {}", r1.rho);
        for f in [ID, DOB, SEX] {
            let n = missing(f) as usize;
            for (l, (&got, &want)) in r1.m[f][..n].iter().zip(&true_m[f][..n]).enumerate() {
                assert!(
                    (got - want).abs() < 0.02,
                    "field {f} level {l}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn prefix_counts_count_namesakes_packed_or_not() {
        use crate::engine::prep::{Frozen, NameIds};
        let rec = |family: u32, middle: u32, given: u32, sex: u8| Rec {
            name: NameIds {
                family,
                middle,
                middle_wo: middle,
                given,
                toneless: false,
            },
            sex,
            ..Rec::default()
        };
        let recs = vec![
            rec(1, 2, 3, 2),
            rec(1, 2, 3, 2),
            rec(1, 2, 3, 1),
            rec(1, 2, 4, 1),
            rec(1, 5, 3, 2),
            rec(6, 2, 3, 2),
            rec(0, 0, 3, 2),
        ];
        let base = Frozen::empty();
        let voc = base.layer();
        let ids = |r: &Rec| name_ids(&voc, r, false);
        let want = vec![
            [4, 3, 2],
            [4, 3, 2],
            [4, 3, 1],
            [4, 1, 1],
            [1, 1, 1],
            [1, 1, 1],
            [0, 0, 0],
        ];
        assert_eq!(prefix_counts_with(&recs, ids, true), want);
        assert_eq!(prefix_counts_with(&recs, ids, false), want);
    }

    #[test]
    fn weights_are_log2_ratios_and_missing_weighs_nothing() {
        let m = prior_m();
        let u = u_from_counts(&[[0; MAX_LEVELS]; N_FIELDS]);
        let w = weights(&m, &u);
        assert!((w[SEX][0] - (0.98f64 / 0.5).log2()).abs() < 1e-12);
        for f in 0..N_FIELDS {
            assert_eq!(w[f][missing(f) as usize], 0.0);
        }
        let fm = field_models(&m, &u);
        let (m2, u2) = tables(&fm);
        assert_eq!(weights(&m2, &u2), w);
    }

    #[test]
    fn posteriors_share_a_row() {
        let mut out = Vec::new();
        posteriors(&[30.0, 30.0], 0.99, 1000, &mut out);
        assert!((out[0] - 0.5).abs() < 1e-3 && (out[0] - out[1]).abs() < 1e-12);
        posteriors(&[30.0, 5.0], 0.99, 1000, &mut out);
        assert!(out[0] > 0.999 && out[1] < 1e-6);
        posteriors(&[5.0], 0.99, 1_000_000, &mut out);
        assert!(out[0] < 0.01);
        assert!(pair_probability(40.0, 1e-6) > 0.999);
        assert!(pair_probability(0.0, 1e-6) < 1e-5);
    }
}
