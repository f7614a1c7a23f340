//! The one-stop shop's pure rules (capabilities C4, C5, C6, C7 and C10 of the mission): what a
//! commune's desk offers, how a form is filled from the register and checked, how one submission
//! becomes several agencies' dossiers, how a newborn gets an ID number, and how the Decision 766
//! indicators are counted.
//!
//! - [`catalogue`]: the procedures — the commune-level ones among the 25 essential services of
//!   Đề án 06, the two interlinked groups of Decree 63/2024, marital-status confirmation and
//!   civil-status correction — each with its sector, agency and handling [`Role`], legal basis
//!   (every reference says where it was checked, or that it is to be confirmed), deadline, fee,
//!   documents, online level and e-form schema with the register value that prefills each
//!   field. Serializable, so an admin page can edit and store it; [`Catalogue::validate`]
//!   checks an edited one.
//! - [`prefill`]: a form drafted from the register persons and household of a dossier, each
//!   field with its origin; the submitted values applied; the share of fields reused.
//! - [`validate`]: submitted values against the schema, every error naming the field and the
//!   rule in English and Vietnamese.
//! - [`interlinked`]: the sub-dossiers one group submission spawns and the group's combined
//!   status.
//! - [`issue`]: a newborn's 12-digit personal ID number, unique among the numbers in use.
//! - [`indicators`]: the Decision 766/QĐ-TTg indicators over dossier facts, with drill-down.
//!
//! # Invariants
//!
//! - Pure: no I/O, no clock, no randomness. "Today", "now" and seeds are arguments; the
//!   calendar is [`xaso_domain::calendar::WorkingCalendar`], the dossier states and clock are
//!   [`xaso_domain::dossier`]'s. Nothing here stores or serves anything.
//! - Every message a person reads exists in Vietnamese and English ([`Text`], `vi()` twins).
//! - Rules on personal IDs, dates, names, ethnic groups and communes come from `xaso-domain`,
//!   never re-implemented.
//! - A legal reference, a deadline or a fee that could not be checked against a source says so
//!   ([`catalogue::Sourcing::ToBeConfirmed`]); no article number is written from memory.
//! - The built-in catalogue passes its own validation, and every built-in form reuses at least
//!   20% of its fields from the register when the register holds the data (tested).
//!
//! [`Role`]: xaso_domain::role::Role
//! [`Catalogue::validate`]: catalogue::Catalogue::validate

pub mod catalogue;
pub mod indicators;
pub mod interlinked;
pub mod issue;
pub mod prefill;
pub mod validate;

use serde::{Deserialize, Serialize};

pub use catalogue::{Catalogue, Procedure};

/// A text in Vietnamese (first, as the pages show it) and English.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

impl Text {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            vi: vi.into(),
            en: en.into(),
        }
    }

    /// Both languages present (non-blank).
    pub fn is_complete(&self) -> bool {
        !self.vi.trim().is_empty() && !self.en.trim().is_empty()
    }
}

/// Dates in JSON as ISO 8601 (`2026-01-05`), as the other crates write them.
pub(crate) mod iso {
    use serde::Serializer;
    use time::Date;

    pub(crate) fn date<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!(
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        ))
    }
}

/// Checks shared by the tests of the Vietnamese texts.
#[cfg(test)]
pub(crate) mod vi_check {
    /// A short label beside its English: non-empty, trimmed, NFC, translated, and naming
    /// every number the English names. (Short Vietnamese words need no diacritic: "Cha".)
    pub(crate) fn assert_label(en: &str, vi: &str) {
        assert!(!vi.trim().is_empty(), "empty Vietnamese for {en:?}");
        assert_eq!(vi, vi.trim(), "{vi:?}");
        assert_eq!(xaso_domain::name::nfc(vi), vi, "not NFC: {vi:?}");
        assert!(!en.trim().is_empty(), "empty English beside {vi:?}");
        assert_ne!(vi, en, "untranslated: {en:?}");
        for number in en
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
        {
            assert!(vi.contains(number), "{number} of {en:?} missing in {vi:?}");
        }
    }

    /// A Vietnamese text that can stand beside its English one: non-empty, trimmed, NFC, with
    /// Vietnamese letters, not the English left untranslated, and naming every number the
    /// English names.
    pub(crate) fn assert_vi(en: &str, vi: &str) {
        assert!(!vi.trim().is_empty(), "empty Vietnamese for {en:?}");
        assert_eq!(vi, vi.trim(), "{vi:?}");
        assert_eq!(xaso_domain::name::nfc(vi), vi, "not NFC: {vi:?}");
        assert!(
            xaso_domain::name::has_diacritics(vi),
            "no Vietnamese letter: {vi:?}"
        );
        assert_ne!(vi, en, "untranslated: {en:?}");
        assert!(!en.is_empty(), "empty English beside {vi:?}");
        for number in en
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
        {
            assert!(vi.contains(number), "{number} of {en:?} missing in {vi:?}");
        }
    }
}
