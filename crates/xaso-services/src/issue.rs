//! A newborn's personal ID number, issued when the birth registration completes.
//!
//! The number is `PPP C YY RRRRRR` (Decree 137/2015 Art. 13, see
//! [`xaso_domain::personal_id`]): the code of the province where the birth is registered, the
//! century-and-sex digit, the last two digits of the birth year, and six digits that the
//! national system draws at random. Here the six digits are chosen deterministically from a
//! seed: the candidates are `seed, seed + STEP, seed + 2·STEP…` modulo 1,000,000, with `STEP`
//! coprime to 1,000,000, so every serial is tried exactly once before the space is declared
//! exhausted, and consecutive issues do not give consecutive numbers. The caller supplies the
//! seed (e.g. from the receipt number) and says which numbers are in use.
//!
//! The province code: the ID keeps the legacy codes ("0" + the two-digit province code). Each
//! of the 34 provinces in force since 1 July 2025 carries the code of one of the legacy
//! provinces it merged, so [`birthplace_code_for_province`] uses it; which code the national
//! population system assigns to births registered in a merged province since then is to be
//! confirmed with the Ministry of Public Security.

use std::fmt;

use xaso_domain::admin_units::units;
use xaso_domain::personal_id::{is_known_birthplace_code, PersonalIdError};
use xaso_domain::{PartialDate, PersonalId, Sex};

/// Serials per (province, century and sex, year).
pub const SERIALS: u32 = 1_000_000;

/// The stride between candidates: odd and not a multiple of 5, hence coprime to 1,000,000.
const STEP: u64 = 387_329;

/// Why no number can be issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueError {
    /// The parts do not make a number (unknown province code, year outside 1900–2399).
    Parts(PersonalIdError),
    /// Not a province code in force.
    UnknownProvince { code: String },
    /// Every serial of this prefix is in use.
    Exhausted { prefix: String },
}

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueError::Parts(e) => write!(f, "cannot build the personal ID number: {e}"),
            IssueError::UnknownProvince { code } => {
                write!(f, "{code:?} is not the code of a province in force")
            }
            IssueError::Exhausted { prefix } => write!(
                f,
                "all {SERIALS} personal ID numbers starting {prefix} are in use"
            ),
        }
    }
}

impl std::error::Error for IssueError {}

impl IssueError {
    pub fn vi(&self) -> String {
        match self {
            IssueError::Parts(e) => format!("Không tạo được số định danh cá nhân: {}", e.vi()),
            IssueError::UnknownProvince { code } => {
                format!("{code:?} không phải mã tỉnh, thành phố đang có hiệu lực")
            }
            IssueError::Exhausted { prefix } => {
                format!("Đã dùng hết {SERIALS} số định danh cá nhân bắt đầu bằng {prefix}")
            }
        }
    }
}

/// The ID birthplace code of a province in force ("38" → 38).
pub fn birthplace_code_for_province(province_code: &str) -> Result<u16, IssueError> {
    let unknown = || IssueError::UnknownProvince {
        code: province_code.trim().to_owned(),
    };
    let province = units().province(province_code).ok_or_else(unknown)?;
    let code: u16 = province.code.parse().map_err(|_| unknown())?;
    if is_known_birthplace_code(code) {
        Ok(code)
    } else {
        Err(unknown())
    }
}

/// A personal ID number for a child born in `date_of_birth`'s year, of `sex`, whose birth is
/// registered in the province of `birthplace_code`, not among those `is_used` says are taken.
pub fn issue_personal_id(
    birthplace_code: u16,
    sex: Sex,
    date_of_birth: PartialDate,
    seed: u64,
    is_used: impl Fn(&PersonalId) -> bool,
) -> Result<PersonalId, IssueError> {
    let year = date_of_birth.year();
    // Checks the parts once, and gives the prefix for the error.
    let first = PersonalId::build(birthplace_code, sex, year, 0).map_err(IssueError::Parts)?;
    let start = seed % u64::from(SERIALS);
    for k in 0..u64::from(SERIALS) {
        let serial = (start + k * STEP) % u64::from(SERIALS);
        // serial < SERIALS: the conversion and the build cannot fail.
        let serial = u32::try_from(serial).unwrap_or(0);
        let id =
            PersonalId::build(birthplace_code, sex, year, serial).map_err(IssueError::Parts)?;
        if !is_used(&id) {
            return Ok(id);
        }
    }
    Err(IssueError::Exhausted {
        prefix: first.as_str()[..6].to_owned(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn born(s: &str) -> PartialDate {
        PartialDate::parse(s).unwrap()
    }

    #[test]
    fn builds_the_number_by_the_rules() {
        let id = issue_personal_id(38, Sex::Female, born("05/01/2026"), 42, |_| false).unwrap();
        assert_eq!(id.as_str(), "038326000042");
        assert_eq!(id.birthplace_code(), 38);
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.birth_year(), 2026);
        assert!(id
            .check_against(Some(&born("05/01/2026")), Some(Sex::Female))
            .is_empty());
        let boy = issue_personal_id(1, Sex::Male, born("2026"), 0, |_| false).unwrap();
        assert_eq!(boy.as_str(), "001226000000");
        // Seeds wrap into the six digits.
        let id = issue_personal_id(38, Sex::Male, born("2026"), 1_000_007, |_| false).unwrap();
        assert_eq!(id.serial(), 7);
    }

    #[test]
    fn skips_numbers_in_use_deterministically() {
        let mut used = HashSet::new();
        let mut issued = Vec::new();
        for _ in 0..5 {
            let id =
                issue_personal_id(38, Sex::Male, born("2026"), 42, |id| used.contains(id)).unwrap();
            used.insert(id.clone());
            issued.push(id.serial());
        }
        // 42, then 42 + 387329, +2·387329 … modulo 1,000,000.
        assert_eq!(issued, [42, 387_371, 774_700, 162_029, 549_358]);
        // Same inputs, same number.
        let a = issue_personal_id(38, Sex::Male, born("2026"), 42, |id| used.contains(id));
        let b = issue_personal_id(38, Sex::Male, born("2026"), 42, |id| used.contains(id));
        assert_eq!(a, b);
    }

    #[test]
    fn a_full_prefix_is_exhausted() {
        let err = issue_personal_id(38, Sex::Male, born("2026"), 5, |_| true).unwrap_err();
        assert_eq!(
            err,
            IssueError::Exhausted {
                prefix: "038226".to_owned()
            }
        );
        crate::vi_check::assert_vi(&err.to_string(), &err.vi());
        // Only the other prefixes' numbers in use: no trouble.
        let id = issue_personal_id(38, Sex::Female, born("2026"), 5, |id| id.sex() == Sex::Male);
        assert_eq!(id.unwrap().as_str(), "038326000005");
    }

    #[test]
    fn bad_parts_are_refused() {
        let err = issue_personal_id(99, Sex::Male, born("2026"), 0, |_| false).unwrap_err();
        assert!(matches!(
            err,
            IssueError::Parts(PersonalIdError::UnknownBirthplace { code: 99 })
        ));
        crate::vi_check::assert_vi(&err.to_string(), &err.vi());
        let err = issue_personal_id(38, Sex::Male, born("1899"), 0, |_| false).unwrap_err();
        assert!(matches!(err, IssueError::Parts(_)), "{err}");
    }

    #[test]
    fn every_province_in_force_has_a_birthplace_code() {
        assert_eq!(birthplace_code_for_province("38").unwrap(), 38);
        for p in units().provinces() {
            let code = birthplace_code_for_province(&p.code).unwrap();
            assert_eq!(format!("{code:02}"), p.code);
        }
        let err = birthplace_code_for_province("99").unwrap_err();
        crate::vi_check::assert_vi(&err.to_string(), &err.vi());
    }

    proptest! {
        /// The stride visits every serial once: the first `n` candidates are distinct.
        #[test]
        fn candidates_never_repeat(seed in 0u64..2_000_000, n in 1usize..2_000) {
            let start = seed % u64::from(SERIALS);
            let seen: HashSet<u64> = (0..n as u64)
                .map(|k| (start + k * STEP) % u64::from(SERIALS))
                .collect();
            prop_assert_eq!(seen.len(), n);
        }
    }
}
