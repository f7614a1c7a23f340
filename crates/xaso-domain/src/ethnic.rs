//! The 54 ethnic groups with the codes of Decision 1019/QĐ-TCTK (Appendix E of
//! QCVN 109:2017/BTTTT). Embedded, parsed once on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::admin_units::parse_csv;
use crate::name::stripped_key;

const ETHNIC_CSV: &str = include_str!("../data/ethnic-groups.csv");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EthnicGroup {
    /// Two digits, "01" = Kinh.
    pub code: String,
    pub name: String,
}

/// Spellings seen in records that the tone-free key alone does not join to the catalogue name.
const ALIASES: [(&str, &str); 2] = [("H'Mông", "08"), ("Khmer", "05")];

struct Catalogue {
    groups: Vec<EthnicGroup>,
    by_key: HashMap<String, usize>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut groups = Vec::new();
        for rec in parse_csv(ETHNIC_CSV) {
            let code = rec.first().map(|s| s.trim()).unwrap_or("");
            let name: String = rec.get(1).map(|s| s.trim()).unwrap_or("").nfc().collect();
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
                continue; // header, blank lines
            }
            groups.push(EthnicGroup {
                code: code.to_string(),
                name,
            });
        }
        let mut by_key = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            by_key.insert(name_key(&g.name), i);
        }
        for (alias, code) in ALIASES {
            if let Some(i) = groups.iter().position(|g| g.code == code) {
                by_key.entry(name_key(alias)).or_insert(i);
            }
        }
        Catalogue { groups, by_key }
    })
}

/// The 54 groups in code order.
pub fn ethnic_groups() -> &'static [EthnicGroup] {
    &catalogue().groups
}

/// By code, with or without the leading zero ("1" and "01" are Kinh).
pub fn ethnic_by_code(code: &str) -> Option<&'static EthnicGroup> {
    let code = code.trim();
    if code.is_empty() || code.len() > 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{code:0>2}");
    ethnic_groups().iter().find(|g| g.code == padded)
}

/// By name, ignoring case, tones, spaces and hyphens ("kinh", "Tày"/"tay", "Ê-đê", "Khmer").
pub fn ethnic_by_name(name: &str) -> Option<&'static EthnicGroup> {
    let c = catalogue();
    c.by_key.get(&name_key(name)).and_then(|&i| c.groups.get(i))
}

/// Records write compound names with a space, a hyphen or nothing ("Ê Đê", "Ê-đê", "Êđê"),
/// so the key drops everything but letters and digits.
fn name_key(name: &str) -> String {
    stripped_key(name)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn fifty_four_groups_with_unique_codes_and_keys() {
        let groups = ethnic_groups();
        assert_eq!(groups.len(), 54);
        for (i, g) in groups.iter().enumerate() {
            assert_eq!(g.code, format!("{:02}", i + 1));
            // No two groups share a key, so lookups by name are unambiguous.
            assert_eq!(ethnic_by_name(&g.name).unwrap().code, g.code, "{}", g.name);
        }
    }

    #[test]
    fn by_code() {
        assert_eq!(ethnic_by_code("01").unwrap().name, "Kinh");
        assert_eq!(ethnic_by_code("1").unwrap().name, "Kinh");
        assert_eq!(ethnic_by_code(" 4 ").unwrap().name, "Mường");
        assert_eq!(ethnic_by_code("54").unwrap().name, "Ơ Đu");
        assert!(ethnic_by_code("55").is_none());
        assert!(ethnic_by_code("00").is_none());
        assert!(ethnic_by_code("001").is_none());
        assert!(ethnic_by_code("").is_none());
        assert!(ethnic_by_code("x1").is_none());
    }

    #[test]
    fn by_name() {
        for n in ["kinh", "Kinh", "KINH", " Kinh "] {
            assert_eq!(ethnic_by_name(n).unwrap().code, "01", "{n}");
        }
        assert_eq!(ethnic_by_name("Tày").unwrap().code, "02");
        assert_eq!(ethnic_by_name("tay").unwrap().code, "02");
        assert_eq!(ethnic_by_name("Thái").unwrap().code, "03");
        assert_eq!(ethnic_by_name("muong").unwrap().code, "04");
        assert_eq!(ethnic_by_name("Ê-đê").unwrap().code, "11");
        assert_eq!(ethnic_by_name("Khmer").unwrap().code, "05");
        assert_eq!(ethnic_by_name("Khơ-me").unwrap().code, "05");
        assert_eq!(ethnic_by_name("H'Mông").unwrap().code, "08");
        assert_eq!(ethnic_by_name("Bru - Vân Kiều").unwrap().code, "24");
        assert!(ethnic_by_name("").is_none());
        assert!(ethnic_by_name("Martian").is_none());
    }
}
