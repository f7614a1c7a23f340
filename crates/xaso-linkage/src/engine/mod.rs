//! The matching engine: links a sector office's list to the population register and finds the
//! list's duplicates.
//!
//! [`Linker::new`] standardises the register once and builds its blocking indexes;
//! [`Linker::link`] then runs, for one list:
//!
//! 1. **standardise** the list's cells (legacy-encoding repair, names, dates, ID numbers,
//!    phones, villages; the private module `prep`);
//! 2. **u** from random (list row, register person) pairs, seeded and deterministic;
//! 3. **blocking** by twelve rules (module `blocking`), pairs deduplicated per row and counted
//!    per rule, and **comparison vectors** for every candidate pair (module `vector`);
//! 4. **EM** for m and ρ with u fixed, each row's posterior shared among its candidates
//!    (module `model`), **term-frequency** adjustment for agreement on the name (the whole
//!    name's frequency, part by part), on the sex given the name, and on the village;
//! 5. **scoring**: weight (log2 Bayes factor) and probability of every candidate:
//!    P = λ·BF / ((1 − ρ) + λ·Σ BF over the row's candidates), λ = ρ / N;
//! 6. **assignment**: greedy one-to-one by descending weight, duplicates of the list kept on
//!    the same person (module `assign`);
//! 7. **duplicates**: the list linked to itself with the same m (u of the list), clusters by
//!    connected components above the match threshold.
//!
//! Every candidate carries its explanation: one [`FieldWeight`] per field, whose weights add
//! up to [`Candidate::weight`].
//!
//! Parallel on scoped threads ([`LinkOptions::threads`]), deterministic whatever the thread
//! count: work is cut into fixed chunks merged in order.

mod assign;
mod blocking;
mod index;
mod model;
mod par;
mod prep;
mod vector;

#[cfg(test)]
mod accuracy_tests;
#[cfg(test)]
mod bench_diag;
#[cfg(test)]
pub(crate) mod demo_lists;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use xaso_domain::register::Person;

pub use blocking::BlockingCount;
pub use model::{FieldModel, LevelModel, Model};

use assign::{Scored, ScoredRows, UnionFind};
use blocking::{BlockIndex, Sink};
use model::{Pairs, Table, TermFrequencies};
use prep::{Frozen, Lookup, Rec};
use vector::{Comparer, Levels, FIELD_NAMES, LEVELS, N_FIELDS};

/// One row of a sector list, as read from the file (raw text; the engine standardises).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRecord {
    /// 1-based data row number in the file, echoed back.
    pub row: usize,
    pub full_name: Option<String>,
    /// As typed: dd/mm/yyyy, yyyy, Excel serial text, ...
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    /// 12-digit ID, 9-digit CMND, with typos, Excel-mangled.
    pub id_number: Option<String>,
    pub phone: Option<String>,
    /// "Thôn Ngọc Bình", "thon ngoc binh", "Ngọc Bình", "Thôn 3, Xã Yên Phong", ...
    pub village: Option<String>,
}

/// How to link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkOptions {
    /// Probability at or above which a link is a match (default 0.95).
    pub match_threshold: f64,
    /// Probability at or above which a link goes to review (default 0.5).
    pub review_threshold: f64,
    /// Seed of the random pairs that estimate u.
    pub seed: u64,
    /// Worker threads; 0 = the machine's parallelism.
    pub threads: usize,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            match_threshold: 0.95,
            review_threshold: 0.5,
            seed: 1,
            threads: 0,
        }
    }
}

/// What to do with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Probability at or above the match threshold.
    Match,
    /// Between the review and the match threshold: an officer decides.
    Review,
    /// No candidate at or above the review threshold.
    NoMatch,
}

/// One field's part of a candidate's weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldWeight {
    /// "id", "family", "middle", "given", "date_of_birth", "sex", "village", "phone".
    pub field: &'static str,
    /// The comparison level, e.g. "exact", "one_digit_wrong", "jaro_winkler_92",
    /// "day_month_swapped", "missing".
    pub level: &'static str,
    /// log2(m/u) of the level; for agreement on a name part, the sex or the village log2(m/tf)
    /// instead, tf the value's share of the register (for the middle and given names, among
    /// the persons whose preceding parts agree too; for the sex, among the persons of the
    /// whole name; for the village, against the mean chance agreement).
    pub weight: f64,
}

/// A register person proposed for a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Index into [`Linker::register`].
    pub register_index: usize,
    /// Total log2 Bayes factor: the sum of `fields`' weights.
    pub weight: f64,
    /// Posterior probability that the row is this person.
    pub probability: f64,
    pub fields: Vec<FieldWeight>,
}

/// The outcome for one list row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowLink {
    pub row: usize,
    /// The assigned register person (after one-to-one assignment), if any at or above the
    /// review threshold.
    pub best: Option<Candidate>,
    pub decision: Decision,
    /// The strongest other candidate (for a row without `best`, the closest candidate found),
    /// for the review screen.
    pub runner_up: Option<Candidate>,
    /// Why the typed ID number fails its checks, if it does (shape, birthplace code, or birth
    /// year and sex against the row's own date of birth and sex).
    pub invalid_id: Option<String>,
}

/// Everything [`Linker::link`] found.
#[derive(Debug, Clone, Serialize)]
pub struct LinkReport {
    /// One per list record, same order.
    pub rows: Vec<RowLink>,
    /// Per blocking rule (list against register): pairs generated, new pairs.
    pub blocking: Vec<BlockingCount>,
    /// Per blocking rule, the list against its rows not linked to the register (duplicates:
    /// pairs of two linked rows are settled by the assignment).
    pub within_list_blocking: Vec<BlockingCount>,
    pub model: Model,
    /// Clusters (list rows, as [`ListRecord::row`]) of the same person within the list.
    pub duplicates: Vec<Vec<usize>>,
    /// Wall time per stage.
    pub timings: Vec<(String, Duration)>,
}

/// The register, standardised and indexed.
pub struct Linker {
    register: Vec<Person>,
    vocab: Frozen,
    recs: Vec<Rec>,
    index: BlockIndex,
    tf: TermFrequencies,
    threads: usize,
}

/// Random pairs compared to estimate u (list against register).
const U_SAMPLE_PAIRS: usize = 1_000_000;
/// Random pairs of list rows for the within-list u (duplicates only).
const U_SAMPLE_PAIRS_WITHIN: usize = 250_000;
/// EM iterations at most.
const EM_MAX_ITERATIONS: usize = 100;
/// Candidates kept per row after scoring, at most: those at or above the review threshold
/// (the assignment's choices; one, with the default threshold of 0.5, as a row's
/// probabilities add up to at most 1), and one more (the runner-up), at least two.
const KEEP_PER_ROW: usize = 8;
/// Rows per parallel chunk in blocking and scoring.
const CHUNK: usize = 4096;

impl Linker {
    /// Standardises the register and builds its blocking indexes, on all cores.
    pub fn new(register: Vec<Person>) -> Linker {
        Linker::with_threads(register, 0)
    }

    /// [`Linker::new`] on `threads` threads (0 = the machine's parallelism).
    pub fn with_threads(register: Vec<Person>, threads: usize) -> Linker {
        let threads = par::thread_count(threads);
        let base = Frozen::empty();
        let mut layer = base.layer();
        let recs: Vec<Rec> = register
            .iter()
            .map(|p| prep::register_rec(p, &mut layer))
            .collect();
        let vocab = layer.freeze();
        let tf = TermFrequencies::count(
            &recs,
            &vocab,
            vocab.vocab.parts_len(),
            vocab.vocab.strings_len(),
        );
        let index = BlockIndex::build(&recs, &vocab, threads);
        Linker {
            register,
            vocab,
            recs,
            index,
            tf,
            threads,
        }
    }

    /// The register as given.
    pub fn register(&self) -> &[Person] {
        &self.register
    }

    /// Approximate heap bytes of the standardised register and its indexes (the persons
    /// themselves not counted).
    pub fn index_bytes(&self) -> usize {
        self.recs.len() * std::mem::size_of::<Rec>()
            + self.index.heap_bytes()
            + self.tf.heap_bytes()
    }

    /// Links a whole list: blocking (several rules, union, pairs deduplicated), comparison
    /// vectors, u from random sampling of non-matches, m by EM (seeded with priors),
    /// term-frequency adjustment for names, then best one-to-one assignment above the
    /// threshold, and the list's duplicates. `progress` is called now and then with (stage
    /// name, done, total).
    pub fn link(
        &self,
        list: &[ListRecord],
        options: &LinkOptions,
        progress: &(dyn Fn(&str, usize, usize) + Sync),
    ) -> LinkReport {
        let threads = if options.threads == 0 {
            self.threads
        } else {
            options.threads
        };
        let mut timings: Vec<(String, Duration)> = Vec::new();
        let mut clock = Instant::now();
        let mut lap = |name: &str, timings: &mut Vec<(String, Duration)>| {
            timings.push((name.to_owned(), clock.elapsed()));
            clock = Instant::now();
        };
        let n = list.len();
        let n_reg = self.recs.len();

        // 1. Standardise.
        progress("standardise", 0, n);
        // In batches: the cells of a batch (in parallel), then its records (interning, in
        // order), so that the repaired cells of only one batch are held at a time.
        let mut layer = self.vocab.layer();
        let mut recs: Vec<Rec> = Vec::with_capacity(n);
        let mut invalid: Vec<Option<String>> = Vec::with_capacity(n);
        let batch = CHUNK * 4 * threads.max(1);
        for start in (0..n).step_by(batch) {
            let end = (start + batch).min(n);
            let fields = par::chunks(end - start, CHUNK, threads, |r| {
                list[start + r.start..start + r.end]
                    .iter()
                    .map(prep::list_fields)
                    .collect::<Vec<_>>()
            });
            for f in fields.into_iter().flatten() {
                recs.push(prep::list_rec(&f, &mut layer));
                invalid.push(f.invalid_id);
            }
            if end < n {
                progress("standardise", end, n);
            }
        }
        let voc = layer;
        progress("standardise", n, n);
        lap("standardise", &mut timings);

        // 2. u from random pairs.
        progress("u_sampling", 0, 2);
        let cmp = Comparer::new(&voc, false);
        let cmp_within = Comparer::new(&voc, true);
        let (u_counts, u_pairs) = sample_u(
            &cmp,
            &recs,
            &self.recs,
            false,
            U_SAMPLE_PAIRS,
            options.seed,
            threads,
        );
        let u = model::u_from_counts(&u_counts);
        let (u_within_counts, _) = sample_u(
            &cmp_within,
            &recs,
            &recs,
            true,
            U_SAMPLE_PAIRS_WITHIN,
            options.seed ^ 0x5eed,
            threads,
        );
        let u_within = model::u_from_counts(&u_within_counts);
        progress("u_sampling", 2, 2);
        lap("u_sampling", &mut timings);

        // 3. Blocking and comparison vectors.
        let (pairs, blocking) = block_and_compare(
            &recs,
            &self.recs,
            &self.index,
            &cmp,
            &self.tf,
            &u,
            None,
            threads,
            &|done| progress("blocking", done, n),
        );
        lap("blocking_and_comparison", &mut timings);

        // 4. EM.
        progress("em", 0, EM_MAX_ITERATIONS);
        let fit = model::em(&pairs, &u, n_reg, threads, EM_MAX_ITERATIONS);
        progress("em", fit.iterations, EM_MAX_ITERATIONS);
        lap("em", &mut timings);
        let w = model::weights(&fit.m, &u);
        let w_within = model::weights(&fit.m, &u_within);
        let lambda = fit.rho / n_reg.max(1) as f64;
        let model = Model {
            fields: model::field_models(&fit.m, &u),
            within_list: model::field_models(&fit.m, &u_within),
            lambda,
            in_register_share: fit.rho,
            prior_weight: (lambda / (1.0 - lambda)).log2(),
            register_size: n_reg,
            list_size: n,
            em_iterations: fit.iterations,
            em_converged: fit.converged,
            u_sample_pairs: u_pairs,
            term_frequency_fields: model::TF_FIELDS.iter().map(|&f| FIELD_NAMES[f]).collect(),
        };

        // 5. Scoring.
        progress("scoring", 0, n);
        let scored = score(
            &pairs,
            &w,
            fit.rho,
            n_reg,
            options.review_threshold,
            threads,
        );
        drop(pairs);
        progress("scoring", n, n);
        lap("scoring", &mut timings);

        // 6. Assignment. A row whose person is already taken is a duplicate of the taker when
        // the two rows are the same person with at least the match probability: both being
        // that person (prior p_row·p_taker) updated by how the two rows compare to each other.
        progress("assignment", 0, n);
        let dup_lambda = model::DUPLICATE_SHARE / n.max(1) as f64;
        let same_person = |a: usize, b: usize, p_a: f64, p_b: f64| {
            let (_, weight) = explain(
                &cmp_within,
                &self.tf,
                &w_within,
                &u_within,
                &recs[a],
                &recs[b],
                None,
            );
            let prior = (p_a * p_b).clamp(dup_lambda, 1.0 - 1e-12);
            model::pair_probability(weight, prior) >= options.match_threshold
        };
        let (assigned, dup_pairs) =
            assign::assign(&scored, options.review_threshold, n_reg, same_person);
        let mut clusters = UnionFind::new(n);
        for &(a, b) in &dup_pairs {
            clusters.union(a, b);
        }
        progress("assignment", n, n);
        lap("assignment", &mut timings);

        // 7. Duplicates within the list. Two rows linked to the register are settled by the
        // assignment (the same person: clustered above; different persons: never
        // duplicates), so only pairs with a row not linked are looked for: the list is
        // blocked against its unlinked rows.
        let assigned_person = |r: usize| assigned[r].map(|k| scored.row(r)[k].other);
        let linked: Vec<bool> = (0..n)
            .map(|r| {
                assigned[r].is_some_and(|k| scored.row(r)[k].probability >= options.match_threshold)
            })
            .collect();
        let unlinked: Vec<usize> = (0..n).filter(|&r| !linked[r]).collect();
        let unlinked_recs: Vec<Rec> = unlinked.iter().map(|&r| recs[r]).collect();
        let unlinked_index = BlockIndex::build(&unlinked_recs, &voc, threads);
        let keep = |r: usize, j: u32| {
            let other = unlinked[j as usize];
            other != r && (linked[r] || other > r)
        };
        let (within, within_blocking) = block_and_compare(
            &recs,
            &unlinked_recs,
            &unlinked_index,
            &cmp_within,
            &self.tf,
            &u_within,
            Some(&keep),
            threads,
            &|done| progress("duplicates", done, n),
        );
        drop(unlinked_index);
        drop(unlinked_recs);
        let pattern_weight: Vec<f64> = within
            .patterns
            .iter()
            .map(|&c| {
                let l = vector::decode(c);
                (0..N_FIELDS).map(|f| w_within[f][l[f] as usize]).sum()
            })
            .collect();
        for r in 0..within.rows() {
            for k in within.start[r]..within.start[r + 1] {
                let weight = pattern_weight[within.pattern[k] as usize] + f64::from(within.tf[k]);
                if model::pair_probability(weight, dup_lambda) < options.match_threshold {
                    continue;
                }
                let j = unlinked[within.other[k] as usize];
                match (assigned_person(r), assigned_person(j)) {
                    (Some(x), Some(y)) if x != y => {}
                    _ => clusters.union(r, j),
                }
            }
        }
        drop(within);
        let duplicates: Vec<Vec<usize>> = clusters
            .clusters()
            .into_iter()
            .map(|c| c.into_iter().map(|i| list[i].row).collect())
            .collect();
        lap("duplicates", &mut timings);

        // Rows.
        let candidate = |r: usize, s: &Scored| {
            let (fields, weight) = explain(
                &cmp,
                &self.tf,
                &w,
                &u,
                &recs[r],
                &self.recs[s.other as usize],
                Some(s.other),
            );
            Candidate {
                register_index: s.other as usize,
                weight,
                probability: s.probability,
                fields,
            }
        };
        let rows: Vec<RowLink> = par::chunks(n, CHUNK, threads, |range| {
            range
                .map(|r| {
                    let cands = scored.row(r);
                    let best = assigned[r].map(|k| &cands[k]);
                    let runner = cands
                        .iter()
                        .find(|c| best.is_none_or(|b| b.other != c.other));
                    let decision = match best {
                        Some(b) if b.probability >= options.match_threshold => Decision::Match,
                        Some(_) => Decision::Review,
                        None => Decision::NoMatch,
                    };
                    RowLink {
                        row: list[r].row,
                        best: best.map(|b| candidate(r, b)),
                        decision,
                        runner_up: runner.map(|c| candidate(r, c)),
                        invalid_id: invalid[r].clone(),
                    }
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        lap("report", &mut timings);

        LinkReport {
            rows,
            blocking,
            within_list_blocking: within_blocking,
            model,
            duplicates,
            timings,
        }
    }

    /// One new record (a form at the desk) against an already-trained model: its candidates,
    /// strongest first, at most `limit`.
    pub fn match_one(&self, model: &Model, record: &ListRecord, limit: usize) -> Vec<Candidate> {
        let fields = prep::list_fields(record);
        let mut layer = self.vocab.layer();
        let rec = prep::list_rec(&fields, &mut layer);
        let mut sink = Sink::new(self.recs.len());
        self.index
            .candidates(&rec, &layer, &mut sink, &|_| true, &self.recs, true);
        let cmp = Comparer::light(&layer, false);
        let (m, u) = model::tables(&model.fields);
        let w = model::weights(&m, &u);
        let mut found: Vec<(Vec<FieldWeight>, f64, u32)> = sink
            .out
            .iter()
            .map(|&j| {
                let (fields, weight) = explain(
                    &cmp,
                    &self.tf,
                    &w,
                    &u,
                    &rec,
                    &self.recs[j as usize],
                    Some(j),
                );
                (fields, weight, j)
            })
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
        let weights: Vec<f64> = found.iter().map(|c| c.1).collect();
        let mut probabilities = Vec::new();
        model::posteriors(
            &weights,
            model.in_register_share,
            self.recs.len(),
            &mut probabilities,
        );
        found
            .into_iter()
            .zip(probabilities)
            .take(limit)
            .map(|((fields, weight, j), probability)| Candidate {
                register_index: j as usize,
                weight,
                probability,
                fields,
            })
            .collect()
    }
}

/// Level counts of random pairs (`distinct`: never a record with itself).
fn sample_u<L: Lookup>(
    cmp: &Comparer<'_, L>,
    a: &[Rec],
    b: &[Rec],
    distinct: bool,
    pairs: usize,
    seed: u64,
    threads: usize,
) -> ([[u64; vector::MAX_LEVELS]; N_FIELDS], usize) {
    let mut counts = [[0u64; vector::MAX_LEVELS]; N_FIELDS];
    let possible = if distinct {
        a.len().saturating_mul(a.len().saturating_sub(1))
    } else {
        a.len().saturating_mul(b.len())
    };
    let k = pairs.min(possible);
    if k == 0 {
        return (counts, 0);
    }
    const SAMPLE_CHUNK: usize = 65_536;
    let parts = par::chunks(k, SAMPLE_CHUNK, threads, |range| {
        let mut state = index::mix(seed ^ index::mix(range.start as u64 + 1));
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            index::mix(state)
        };
        let mut c = [[0u64; vector::MAX_LEVELS]; N_FIELDS];
        let mut done = 0usize;
        for _ in range {
            let i = (next() % a.len() as u64) as usize;
            let j = (next() % b.len() as u64) as usize;
            if distinct && i == j {
                continue;
            }
            let l = cmp.compare(&a[i], &b[j]);
            for f in 0..N_FIELDS {
                c[f][l[f] as usize] += 1;
            }
            done += 1;
        }
        (c, done)
    });
    let mut total = 0;
    for (c, done) in parts {
        for f in 0..N_FIELDS {
            for l in 0..vector::MAX_LEVELS {
                counts[f][l] += c[f][l];
            }
        }
        total += done;
    }
    (counts, total)
}

/// Blocks every list row against `other` and computes the comparison vectors of the pairs.
/// `within`: the list against (part of) itself, only the pairs (row, candidate) it keeps;
/// `None`: against the register.
#[allow(clippy::too_many_arguments)]
fn block_and_compare<L: Lookup>(
    list: &[Rec],
    other: &[Rec],
    index: &BlockIndex,
    cmp: &Comparer<'_, L>,
    tf: &TermFrequencies,
    u: &Table,
    within: Option<&(dyn Fn(usize, u32) -> bool + Sync)>,
    threads: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> (Pairs, Vec<BlockingCount>) {
    struct Out {
        len: Vec<u32>,
        other: Vec<u32>,
        code: Vec<u32>,
        tf: Vec<f32>,
        counts: Vec<BlockingCount>,
    }
    let voc = cmp.voc();
    let n = list.len();
    // Rows done, and the lock under which progress is told (so that it only counts up).
    let done = std::sync::Mutex::new(0usize);
    let outs = par::chunks_with(
        n,
        CHUNK,
        threads,
        || Sink::new(other.len()),
        |sink, range| {
            sink.counts = blocking::empty_counts();
            let rows = range.len();
            let mut out = Out {
                len: Vec::with_capacity(range.len()),
                other: Vec::new(),
                code: Vec::new(),
                tf: Vec::new(),
                counts: Vec::new(),
            };
            for r in range {
                sink.out.clear();
                let keep = |j: u32| within.is_none_or(|k| k(r, j));
                index.candidates(&list[r], voc, sink, &keep, other, within.is_none());
                for &j in &sink.out {
                    let b = &other[j as usize];
                    let levels = cmp.compare(&list[r], b);
                    let person = within.is_none().then_some(j);
                    let adj = tf.adjustments(voc, &levels, &list[r], b, person, u);
                    out.other.push(j);
                    out.code.push(vector::encode(&levels));
                    out.tf.push(adj.iter().product::<f64>().log2() as f32);
                }
                out.len.push(sink.out.len() as u32);
            }
            out.counts = std::mem::take(&mut sink.counts);
            if let Ok(mut d) = done.lock() {
                *d += rows;
                progress(*d);
            }
            out
        },
    );
    let total: usize = outs.iter().map(|o| o.other.len()).sum();
    let mut pairs = Pairs {
        start: Vec::with_capacity(n + 1),
        other: Vec::with_capacity(total),
        pattern: Vec::with_capacity(total),
        tf: Vec::with_capacity(total),
        patterns: Vec::new(),
    };
    let mut counts = blocking::empty_counts();
    let mut pattern_of = vec![u32::MAX; vector::code_space()];
    pairs.start.push(0);
    for o in outs {
        blocking::add_counts(&mut counts, &o.counts);
        for len in o.len {
            let last = pairs.start.last().copied().unwrap_or(0);
            pairs.start.push(last + len as usize);
        }
        pairs.other.extend(o.other);
        pairs.tf.extend(o.tf);
        for code in o.code {
            let slot = &mut pattern_of[code as usize];
            if *slot == u32::MAX {
                *slot = pairs.patterns.len() as u32;
                pairs.patterns.push(code);
            }
            pairs.pattern.push(*slot);
        }
    }
    (pairs, counts)
}

/// Weights and probabilities of every pair; per row the strongest, as many as
/// [`KEEP_PER_ROW`] says.
fn score(
    pairs: &Pairs,
    w: &Table,
    rho: f64,
    n_other: usize,
    review_threshold: f64,
    threads: usize,
) -> ScoredRows {
    let pattern_weight: Vec<f64> = pairs
        .patterns
        .iter()
        .map(|&c| {
            let l = vector::decode(c);
            (0..N_FIELDS).map(|f| w[f][l[f] as usize]).sum()
        })
        .collect();
    let parts = par::chunks(pairs.rows(), CHUNK, threads, |range| {
        let mut lens = Vec::with_capacity(range.len());
        let mut items = Vec::new();
        let mut weights = Vec::new();
        let mut probs = Vec::new();
        let mut row = Vec::new();
        for r in range {
            let span = pairs.start[r]..pairs.start[r + 1];
            weights.clear();
            weights.extend(
                span.clone()
                    .map(|k| pattern_weight[pairs.pattern[k] as usize] + f64::from(pairs.tf[k])),
            );
            model::posteriors(&weights, rho, n_other, &mut probs);
            row.clear();
            row.extend(
                span.zip(weights.iter().zip(&probs))
                    .map(|(k, (&weight, &p))| Scored {
                        weight,
                        probability: p,
                        other: pairs.other[k],
                    }),
            );
            row.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.other.cmp(&b.other)));
            let choices = row
                .iter()
                .take_while(|c| c.probability >= review_threshold)
                .count();
            row.truncate((choices + 1).clamp(2, KEEP_PER_ROW));
            lens.push(row.len());
            items.extend_from_slice(&row);
        }
        (lens, items)
    });
    let mut out = ScoredRows {
        start: vec![0],
        items: Vec::new(),
    };
    for (lens, items) in parts {
        for len in lens {
            let last = out.start.last().copied().unwrap_or(0);
            out.start.push(last + len);
        }
        out.items.extend(items);
    }
    out
}

/// The explanation of a pair: one weight per field, and their sum. `person`: b's index in the
/// register, when b is a register person.
#[allow(clippy::too_many_arguments)]
fn explain<L: Lookup>(
    cmp: &Comparer<'_, L>,
    tf: &TermFrequencies,
    w: &Table,
    u: &Table,
    a: &Rec,
    b: &Rec,
    person: Option<u32>,
) -> (Vec<FieldWeight>, f64) {
    let levels: Levels = cmp.compare(a, b);
    let adj = tf.adjustments(cmp.voc(), &levels, a, b, person, u);
    let mut total = 0.0;
    let fields = (0..N_FIELDS)
        .map(|f| {
            let l = levels[f] as usize;
            let mut weight = w[f][l];
            if let Some(role) = model::TF_FIELDS.iter().position(|&x| x == f) {
                weight += adj[role].log2();
            }
            total += weight;
            FieldWeight {
                field: FIELD_NAMES[f],
                level: LEVELS[f][l],
                weight,
            }
        })
        .collect();
    (fields, total)
}

/// A progress callback for [`Linker::link`] that ignores everything.
pub fn no_progress(_: &str, _: usize, _: usize) {}

#[cfg(test)]
mod tests;
