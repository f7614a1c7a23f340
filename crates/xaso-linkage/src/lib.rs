//! The compute core of record linkage for Xã số: matching a sector office's list (welfare
//! beneficiaries, pupils, health-insurance holders…) to the population register.
//!
//! * [`legacy_encoding`]: cells typed in TCVN3 (ABC) or VNI fonts arrive as mojibake; detect
//!   and repair them, reporting which cells were converted.
//! * [`standardise`]: per-record keys: names (full, tone-stripped, family/middle/given, without
//!   "Văn"/"Thị", regional family-name variants), phones (national form, 2018 renumbering), ID
//!   numbers (12-digit, old 9-digit CMND, Excel damage), villages (prefix kind + number/name).
//! * [`compare`]: Jaro, Jaro–Winkler, Levenshtein, Damerau (OSA) on characters, and the
//!   comparison levels the Fellegi–Sunter model scores: [`compare::NameLevel`],
//!   [`compare::DateLevel`], [`compare::IdLevel`], [`compare::PhoneLevel`],
//!   [`compare::VillageLevel`].
//! * [`engine`]: the matching engine. [`Linker::new`] standardises and indexes the register;
//!   [`Linker::link`] links a list to it (blocking by eleven rules, comparison vectors, u from
//!   random pairs, m by EM, term frequencies for names, greedy one-to-one assignment, the
//!   list's duplicates) and explains every candidate field by field;
//!   [`Linker::match_one`] scores one form against a trained [`Model`].
//!
//! # Invariants
//!
//! * Pure: no I/O, no global mutable state; every function is a function of its arguments, so
//!   every rule is tested with a table. The engine reads the clock only to report stage
//!   timings, and its "random" pairs come from a seeded generator ([`LinkOptions::seed`]).
//! * Deterministic: the same input gives the same output on every platform and thread count
//!   (parallel work is cut into fixed chunks merged in order).
//! * Standardise once, compare many: the functions of [`standardise`] allocate (they run once
//!   per record); the per-pair comparators of [`compare`] take the precomputed keys by
//!   reference and allocate nothing for ASCII keys up to [`compare::STACK`] characters (the
//!   stripped keys are ASCII).
//! * Unicode output is NFC; keys come from [`xaso_domain::name`] and are never re-implemented
//!   here.
//! * Levels have stable snake_case names (`as_str`, serde): they label model parameters and the
//!   explanations shown to officers, so renaming one is a breaking change.
//! * Conservative repair: text is called legacy only when the conversion turns words that are
//!   not Vietnamese into Vietnamese ones and breaks none; ordinary Unicode and ASCII are never
//!   converted.

pub mod compare;
pub mod engine;
pub mod legacy_encoding;
pub mod reconcile;
pub mod standardise;
mod syllable;

pub use engine::{
    BlockingCount, Candidate, Decision, FieldModel, FieldWeight, LevelModel, LinkOptions,
    LinkReport, Linker, ListRecord, Model, RowLink,
};
pub use syllable::is_plausible_syllable;
