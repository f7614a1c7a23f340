//! Pure rules and types of Xã số. No I/O, no HTTP, no database: everything here is a function of
//! its inputs, so every rule can be tested with a table.

pub mod admin_units;
pub mod calendar;
pub mod date;
pub mod dossier;
pub mod ethnic;
pub mod name;
pub mod personal_id;
pub mod register;
pub mod role;

pub use date::PartialDate;
pub use personal_id::{Cmnd, PersonalId, Sex};

/// Checks shared by the tests of the Vietnamese texts.
#[cfg(test)]
pub(crate) mod vi_check {
    /// A Vietnamese text that can stand beside its English one: non-empty, trimmed, NFC, with
    /// Vietnamese letters, not the English left untranslated, and naming every number the
    /// English names.
    pub(crate) fn assert_vi(en: &str, vi: &str) {
        assert!(!vi.trim().is_empty(), "empty Vietnamese for {en:?}");
        assert_eq!(vi, vi.trim(), "{vi:?}");
        assert!(unicode_normalization::is_nfc(vi), "not NFC: {vi:?}");
        assert_eq!(crate::name::nfc(vi), vi);
        assert!(
            crate::name::has_diacritics(vi),
            "no Vietnamese letter: {vi:?}"
        );
        assert_ne!(vi, en, "untranslated: {en:?}");
        assert!(!en.is_empty(), "empty English beside {vi:?}");
        // The values the English names (numbers, codes, years) are named in Vietnamese too;
        // not the digits of the escapes (`\u{301}`) of a value the English quotes with `{:?}`,
        // which the Vietnamese quotes in NFC.
        let mut en_unescaped = String::new();
        let mut rest = en;
        while let Some(i) = rest.find("\\u{") {
            en_unescaped.push_str(&rest[..i]);
            en_unescaped.push(' ');
            rest = rest[i..].split_once('}').map_or("", |(_, after)| after);
        }
        en_unescaped.push_str(rest);
        for number in en_unescaped
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
        {
            assert!(vi.contains(number), "{number} of {en:?} missing in {vi:?}");
        }
    }
}
