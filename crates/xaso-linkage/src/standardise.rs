//! Standardisation of the fields records are compared on: every function takes a cell as
//! typed in a sector office's spreadsheet and returns the keys the comparators use. Computed
//! once per record, so the per-pair comparators in [`crate::compare`] only compare strings.

use serde::Serialize;
use xaso_domain::name::{key, split, stripped_key};
use xaso_domain::{Cmnd, PersonalId};

// ---------------------------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------------------------

/// The 2018 renumbering of 11-digit mobile numbers (Ministry of Information and
/// Communications, Decision 798/QĐ-BTTTT of 25 May 2018; carried out 15 September –
/// 14 November 2018): old prefix → new prefix.
pub const MOBILE_PREFIX_2018: [(&str, &str); 21] = [
    // MobiFone
    ("0120", "070"),
    ("0121", "079"),
    ("0122", "077"),
    ("0126", "076"),
    ("0128", "078"),
    // VinaPhone
    ("0123", "083"),
    ("0124", "084"),
    ("0125", "085"),
    ("0127", "081"),
    ("0129", "082"),
    // Viettel
    ("0162", "032"),
    ("0163", "033"),
    ("0164", "034"),
    ("0165", "035"),
    ("0166", "036"),
    ("0167", "037"),
    ("0168", "038"),
    ("0169", "039"),
    // Vietnamobile
    ("0186", "056"),
    ("0188", "058"),
    // Gmobile
    ("0199", "059"),
];

/// Prefixes of 10-digit mobile numbers in use: 03x (32–39), 05x (52, 55, 56, 58, 59), 07x (70,
/// 76–79), 08x (81–89), 09x.
fn is_mobile_prefix(p: &[u8]) -> bool {
    matches!(
        p,
        [b'0', b'3', b'2'..=b'9']
            | [b'0', b'5', b'2' | b'5' | b'6' | b'8' | b'9']
            | [b'0', b'7', b'0' | b'6'..=b'9']
            | [b'0', b'8', b'1'..=b'9']
            | [b'0', b'9', _]
    )
}

/// A phone number in national form: 10 digits `0xxxxxxxxx` for mobiles (old 11-digit mobile
/// numbers are renumbered by [`MOBILE_PREFIX_2018`]), 11 digits `02xxxxxxxxx` for fixed lines
/// (area codes 02x since 2017). Accepts "+84 912 345 678", "84912345678", "0084…",
/// "0912.345.678", "(091) 234-5678", an Excel-dropped leading zero ("912345678") and a trailing
/// ".0" of a number stored as float. `None` for anything else, including cells with two numbers.
pub fn phone(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t
        .strip_suffix(".0")
        .filter(|r| r.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(t);
    let t = t.strip_prefix('\'').unwrap_or(t);
    let (plus, t) = match t.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let mut digits = String::with_capacity(12);
    for c in t.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '(' | ')' | '\u{A0}' => {}
            _ => return None,
        }
    }
    let mut d: &str = &digits;
    if let Some(rest) = d.strip_prefix("0084") {
        d = rest;
    } else if d.starts_with("84") && (plus || d.len() == 11 || d.len() == 12) {
        d = &d[2..];
    } else if plus {
        return None;
    }
    let national = if d.starts_with('0') {
        d.to_owned()
    } else {
        format!("0{d}")
    };
    let b = national.as_bytes();
    match b.len() {
        10 if is_mobile_prefix(&b[..3]) => Some(national),
        11 if b[1] == b'1' => MOBILE_PREFIX_2018
            .iter()
            .find(|(old, _)| national.starts_with(old))
            .map(|(_, new)| format!("{new}{}", &national[4..])),
        11 if b[1] == b'2' => Some(national),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// ID numbers
// ---------------------------------------------------------------------------------------------

/// What an ID cell holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum IdEvidence {
    /// A valid 12-digit personal ID number.
    Personal(PersonalId),
    /// A 9-digit old identity card number.
    OldCmnd(Cmnd),
    /// Something was typed but it is neither; separators removed when it is otherwise digits.
    Malformed(String),
    Missing,
}

/// [`id_number`]'s answer: the evidence and whether a leading zero was restored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct IdReading {
    pub evidence: IdEvidence,
    /// The cell had 11 (or 8) digits and a leading 0 was put back, as Excel drops it from
    /// numbers. Every personal ID of someone born in Viet Nam starts with 0.
    pub zero_padded: bool,
}

/// Reads an ID cell tolerantly: spaces, dots, dashes and an Excel text apostrophe are removed,
/// a trailing ".0" (a number stored as float) is dropped, and an 11-digit (8-digit) number gets
/// its leading 0 back when that makes a valid 12-digit (9-digit) number. Scientific notation
/// ("3.8095E+10") has lost digits and is malformed.
pub fn id_number(text: &str) -> IdReading {
    let t = text.trim();
    let t = t.strip_prefix('\'').unwrap_or(t).trim();
    if t.is_empty() {
        return IdReading {
            evidence: IdEvidence::Missing,
            zero_padded: false,
        };
    }
    let t = t
        .strip_suffix(".0")
        .filter(|r| r.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(t);
    let cleaned: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{A0}'))
        .collect();
    let malformed = |s: String| IdReading {
        evidence: IdEvidence::Malformed(s),
        zero_padded: false,
    };
    if cleaned.is_empty() || !cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return malformed(t.to_owned());
    }
    let read = |s: &str, padded: bool| -> Option<IdReading> {
        let evidence = match s.len() {
            12 => IdEvidence::Personal(PersonalId::parse(s).ok()?),
            9 => IdEvidence::OldCmnd(Cmnd::parse(s).ok()?),
            _ => return None,
        };
        Some(IdReading {
            evidence,
            zero_padded: padded,
        })
    };
    if let Some(r) = read(&cleaned, false) {
        return r;
    }
    if cleaned.len() == 11 || cleaned.len() == 8 {
        if let Some(r) = read(&format!("0{cleaned}"), true) {
            return r;
        }
    }
    malformed(cleaned)
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/// The keys of one name part (possibly several words, e.g. a middle name "Thị Thu").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct PartKey {
    /// [`xaso_domain::name::key`]: tones and đ significant, tone placement canonical.
    pub key: String,
    /// [`xaso_domain::name::stripped_key`]: ASCII, no tones.
    pub stripped: String,
    /// The stripped key with regional and orthographic variants folded (see [`variant_key`]).
    pub variant: String,
}

impl PartKey {
    fn of_words<'a>(words: impl IntoIterator<Item = &'a str>, family: bool) -> PartKey {
        let text = words.into_iter().collect::<Vec<_>>().join(" ");
        let stripped = stripped_key(&text);
        PartKey {
            key: key(&text),
            variant: variant_key(&stripped, family),
            stripped,
        }
    }
}

/// Keys of a full name for blocking and comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct NameKeys {
    /// Key of the whole name.
    pub full_key: String,
    /// Stripped key of the whole name.
    pub stripped: String,
    pub family: PartKey,
    pub middle: PartKey,
    pub given: PartKey,
    /// The middle name without the gender words "Văn" and "Thị", which lists add or drop.
    pub middle_without_van_thi: PartKey,
    /// Canonical key of the family name across regional spellings ("vu" for Vũ and Võ,
    /// "hoang" for Hoàng and Huỳnh); equal to `family.variant`, kept apart for blocking.
    pub family_variant: String,
}

/// Family names that are one name spelt differently in North and South (the Nguyễn-lords'
/// naming taboos made Vũ into Võ and Hoàng into Huỳnh): stripped key → canonical key.
pub const FAMILY_VARIANTS: [(&str, &str); 2] = [("vo", "vu"), ("huynh", "hoang")];

/// Folds variants on a stripped key: the family names of [`FAMILY_VARIANTS`] (when `family`),
/// and for every word the y/i spelling of a syllable whose only vowel is a final y after a
/// consonant ("ly"/"li", "my"/"mi", "ky"/"ki"), which the 1980s spelling reform made
/// interchangeable.
pub fn variant_key(stripped: &str, family: bool) -> String {
    let mut out = String::with_capacity(stripped.len());
    for (i, w) in stripped.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if family {
            if let Some((_, canon)) = FAMILY_VARIANTS.iter().find(|(v, _)| *v == w) {
                out.push_str(canon);
                continue;
            }
        }
        let b = w.as_bytes();
        let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
        if b.len() >= 2 && b[b.len() - 1] == b'y' && b[..b.len() - 1].iter().all(|&c| !vowel(c)) {
            out.push_str(&w[..w.len() - 1]);
            out.push('i');
        } else {
            out.push_str(w);
        }
    }
    out
}

fn is_van_or_thi(word: &str) -> bool {
    // "Văn" and "Thị", or the same typed without tones; "Vân" and "Thi" (other names) stay.
    matches!(key(word).as_str(), "văn" | "thị" | "van")
}

/// The keys of a name: family name first, given name last, everything between is the middle
/// name (see [`xaso_domain::name::split`]).
pub fn name(text: &str) -> NameKeys {
    let parts = split(text);
    let middle_words: Vec<&str> = parts.middle.split(' ').filter(|w| !w.is_empty()).collect();
    // "Thi" without tone is ambiguous (Thị or the name Thi): dropped only when the whole name is
    // typed without diacritics.
    let no_diacritics = !xaso_domain::name::has_diacritics(text);
    let kept = middle_words
        .iter()
        .copied()
        .filter(|w| !(is_van_or_thi(w) || no_diacritics && key(w) == "thi"));
    let family = PartKey::of_words([parts.family.as_str()], true);
    NameKeys {
        full_key: key(text),
        stripped: stripped_key(text),
        family_variant: family.variant.clone(),
        family,
        middle: PartKey::of_words(middle_words.iter().copied(), false),
        given: PartKey::of_words([parts.given.as_str()], false),
        middle_without_van_thi: PartKey::of_words(kept, false),
    }
}

// ---------------------------------------------------------------------------------------------
// Villages
// ---------------------------------------------------------------------------------------------

/// The kind of unit below the commune a village field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VillageKind {
    /// Thôn (abbreviated "Th.", "T.").
    Thon,
    /// Xóm ("X.").
    Xom,
    /// Tổ (residential group).
    To,
    /// Tổ dân phố ("TDP").
    ToDanPho,
    /// Ấp (southern hamlet).
    Ap,
    /// Bản (hamlet of the northern uplands).
    Ban,
    /// Khu phố ("KP").
    KhuPho,
    /// Khu.
    Khu,
    /// Khối.
    Khoi,
    /// Khóm.
    Khom,
    /// Đội (production brigade, still used as hamlet names).
    Doi,
    /// Làng.
    Lang,
    /// Buôn (Central Highlands).
    Buon,
    /// Sóc (Khmer hamlet).
    Soc,
}

/// A village as compared: `key` is the name or number without the prefix, tone-stripped and
/// lowercase, numbers as digits ("Thôn Ba", "thôn 3", "Thôn III", "T.3" → "3"); `kind` is the
/// prefix, weaker evidence kept apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct VillageKey {
    pub kind: Option<VillageKind>,
    pub key: String,
}

/// Prefixes as stripped-key word sequences, longest first.
const VILLAGE_PREFIXES: [(&[&str], VillageKind); 20] = [
    (&["to", "dan", "pho"], VillageKind::ToDanPho),
    (&["khu", "pho"], VillageKind::KhuPho),
    (&["tdp"], VillageKind::ToDanPho),
    (&["kp"], VillageKind::KhuPho),
    (&["thon"], VillageKind::Thon),
    (&["th"], VillageKind::Thon),
    (&["xom"], VillageKind::Xom),
    (&["to"], VillageKind::To),
    (&["ap"], VillageKind::Ap),
    (&["ban"], VillageKind::Ban),
    (&["khu"], VillageKind::Khu),
    (&["khoi"], VillageKind::Khoi),
    (&["khom"], VillageKind::Khom),
    (&["doi"], VillageKind::Doi),
    (&["lang"], VillageKind::Lang),
    (&["buon"], VillageKind::Buon),
    (&["soc"], VillageKind::Soc),
    (&["t"], VillageKind::Thon),
    (&["x"], VillageKind::Xom),
    (&["k"], VillageKind::Khu),
];

/// Vietnamese number words (key form, tones kept) 1–10 and the forms used after "mười"/"mươi".
fn digit_word(w: &str) -> Option<u32> {
    Some(match w {
        "một" | "mot" | "mốt" => 1,
        "hai" => 2,
        "ba" => 3,
        "bốn" | "bon" | "tư" => 4,
        "năm" | "lăm" | "nhăm" => 5,
        "sáu" => 6,
        "bảy" | "bẩy" | "bay" => 7,
        "tám" => 8,
        "chín" | "chin" => 9,
        _ => return None,
    })
}

/// A village number written in words ("ba", "mười hai", "hai mươi mốt"); words are keys (tones
/// kept: "năm" is five, "nam" is south).
fn number_words(words: &[String]) -> Option<u32> {
    let ten = |w: &str| matches!(w, "mười" | "muoi");
    let tens = |w: &str| matches!(w, "mươi" | "muoi");
    match words {
        [w] if ten(w) => Some(10),
        [w] => digit_word(w),
        [t, u] if ten(t) => digit_word(u).map(|u| 10 + u),
        [d, t] if tens(t) => digit_word(d).filter(|d| *d >= 2).map(|d| d * 10),
        [d, t, u] if tens(t) => Some(digit_word(d).filter(|d| *d >= 2)? * 10 + digit_word(u)?),
        _ => None,
    }
}

/// Roman numerals I–XXXIX, uppercase as typed.
fn roman(w: &str) -> Option<u32> {
    if w.is_empty() || !w.bytes().all(|b| matches!(b, b'I' | b'V' | b'X')) {
        return None;
    }
    let val = |b: u8| match b {
        b'I' => 1,
        b'V' => 5,
        _ => 10,
    };
    let b = w.as_bytes();
    let mut total = 0i32;
    for i in 0..b.len() {
        let v = val(b[i]);
        if b.get(i + 1).is_some_and(|&n| val(n) > v) {
            total -= v;
        } else {
            total += v;
        }
    }
    let total = u32::try_from(total).ok()?;
    // Only canonical spellings: re-encode and compare.
    let mut canon = String::new();
    let mut n = total;
    for (v, s) in [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")] {
        while n >= v {
            canon.push_str(s);
            n -= v;
        }
    }
    (canon == w && (1..40).contains(&total)).then_some(total)
}

/// Splits a token like "kp2", "t3", "tdp05" into its letters and digits.
fn split_glued(w: &str) -> Option<(&str, &str)> {
    let at = w.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = w.split_at(at);
    (!letters.is_empty()
        && letters.bytes().all(|b| b.is_ascii_lowercase())
        && digits.bytes().next().is_some_and(|b| b.is_ascii_digit()))
    .then_some((letters, digits))
}

/// Standardises a village field. Only the part before the first comma is read ("Thôn 3, xã
/// Yên Phong" → thôn 3). Words after the prefix: "số" is dropped; a number in digits loses
/// leading zeros ("03" → "3", "3a" stays); a single Roman numeral or a number in words becomes
/// digits; anything else is the name, tone-stripped.
pub fn village(text: &str) -> VillageKey {
    let first = text.split([',', ';']).next().unwrap_or("");
    // Original tokens (for the case of Roman numerals), their keys and stripped keys.
    let mut originals: Vec<String> = first
        .split(|c: char| c.is_whitespace() || matches!(c, '.' | '-' | '/' | ':' | '(' | ')'))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let mut stripped: Vec<String> = originals.iter().map(|t| stripped_key(t)).collect();
    let mut keys: Vec<String> = originals.iter().map(|t| key(t)).collect();
    // "KP2", "T3": a prefix glued to a number.
    if let Some(s) = stripped.first().cloned() {
        if let Some((letters, digits)) = split_glued(&s) {
            if VILLAGE_PREFIXES.iter().any(|(p, _)| p == &[letters]) {
                stripped.splice(0..1, [letters.to_owned(), digits.to_owned()]);
                keys.splice(0..1, [letters.to_owned(), digits.to_owned()]);
                originals.splice(0..1, [letters.to_owned(), digits.to_owned()]);
            }
        }
    }
    let mut kind = None;
    let mut start = 0;
    for (prefix, k) in VILLAGE_PREFIXES {
        let n = prefix.len();
        // A prefix must be followed by something ("Thôn" alone, or the village "Bản" named
        // just that, is a name).
        if stripped.len() > n && stripped[..n].iter().zip(prefix).all(|(a, b)| a == b) {
            kind = Some(k);
            start = n;
            break;
        }
    }
    if stripped.get(start).is_some_and(|w| w == "so") && stripped.len() > start + 1 {
        start += 1;
    }
    let rest_keys = &keys[start..];
    let rest_stripped = &stripped[start..];
    let rest_orig = &originals[start..];
    let number = match (rest_stripped, rest_orig) {
        ([s], _) if s.bytes().next().is_some_and(|b| b.is_ascii_digit()) => {
            let trimmed = s.trim_start_matches('0');
            Some(if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
                trimmed.to_owned()
            } else {
                format!("0{trimmed}")
            })
        }
        (_, [o]) => roman(o)
            .or_else(|| number_words(rest_keys))
            .map(|n| n.to_string()),
        _ => number_words(rest_keys).map(|n| n.to_string()),
    };
    let key = number.unwrap_or_else(|| rest_stripped.join(" "));
    VillageKey { kind, key }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phones() {
        let cases = [
            ("+84 912 345 678", Some("0912345678")),
            ("84912345678", Some("0912345678")),
            ("0912.345.678", Some("0912345678")),
            ("912345678", Some("0912345678")),
            ("0912 345 678", Some("0912345678")),
            ("(091) 234-5678", Some("0912345678")),
            ("0084912345678", Some("0912345678")),
            ("912345678.0", Some("0912345678")),
            ("'0912345678", Some("0912345678")),
            // The 2018 renumbering.
            ("01683456789", Some("0383456789")),
            ("0168 345 6789", Some("0383456789")),
            ("1683456789", Some("0383456789")),
            ("+84 168 345 6789", Some("0383456789")),
            ("01203456789", Some("0703456789")),
            ("01213456789", Some("0793456789")),
            ("01273456789", Some("0813456789")),
            ("01863456789", Some("0563456789")),
            ("01883456789", Some("0583456789")),
            ("01993456789", Some("0593456789")),
            // Already-new numbers and fixed lines.
            ("0383456789", Some("0383456789")),
            ("0862345678", Some("0862345678")),
            ("024 3822 3456", Some("02438223456")),
            ("+84 24 3822 3456", Some("02438223456")),
            // Invalid.
            ("", None),
            ("không có", None),
            ("0912345", None),
            ("09123456789", None),
            ("01303456789", None),
            ("0112345678", None),
            ("0412345678", None),
            ("0912345678 - 0987654321", None),
            ("+1 650 253 0000", None),
            ("091234567x", None),
        ];
        for (text, want) in cases {
            assert_eq!(phone(text).as_deref(), want, "{text:?}");
        }
        assert_eq!(MOBILE_PREFIX_2018.len(), 21);
    }

    #[test]
    fn ids() {
        let r = id_number("038095001234");
        assert!(
            matches!(r.evidence, IdEvidence::Personal(ref id) if id.as_str() == "038095001234")
        );
        assert!(!r.zero_padded);
        for text in [
            "038 095 001 234",
            "038.095.001.234",
            "'038095001234",
            " 038-095-001-234 ",
        ] {
            assert_eq!(id_number(text), r, "{text}");
        }
        let padded = id_number("38095001234");
        assert_eq!(padded.evidence, r.evidence);
        assert!(padded.zero_padded);
        assert_eq!(id_number("38095001234.0").evidence, r.evidence);
        let c = id_number("012345678");
        assert!(matches!(c.evidence, IdEvidence::OldCmnd(ref c) if c.as_str() == "012345678"));
        let c8 = id_number("12345678");
        assert_eq!(c8.evidence, c.evidence);
        assert!(c8.zero_padded);
        assert_eq!(id_number("").evidence, IdEvidence::Missing);
        assert_eq!(id_number("  ").evidence, IdEvidence::Missing);
        assert_eq!(
            id_number("099095001234").evidence,
            IdEvidence::Malformed("099095001234".into())
        );
        assert_eq!(
            id_number("3.8095E+10").evidence,
            IdEvidence::Malformed("3.8095E+10".into())
        );
        assert_eq!(
            id_number("0380950012").evidence,
            IdEvidence::Malformed("0380950012".into())
        );
        assert_eq!(
            id_number("chưa có").evidence,
            IdEvidence::Malformed("chưa có".into())
        );
    }

    #[test]
    fn names() {
        let n = name("  Nguyễn Văn  An ");
        assert_eq!(n.full_key, "nguyễn văn an");
        assert_eq!(n.stripped, "nguyen van an");
        assert_eq!(n.family.key, "nguyễn");
        assert_eq!(n.middle.key, "văn");
        assert_eq!(n.given.stripped, "an");
        assert_eq!(n.middle_without_van_thi.key, "");
        assert_eq!(n.family_variant, "nguyen");

        let n = name("VÕ THỊ THU HOÀ");
        assert_eq!(n.family.key, "võ");
        assert_eq!(n.family_variant, "vu");
        assert_eq!(n.middle.key, "thị thu");
        assert_eq!(n.middle_without_van_thi.key, "thu");
        assert_eq!(n.given.key, "hoà");
        assert_eq!(name("Vũ Thị Hoa").family_variant, "vu");
        assert_eq!(name("Huỳnh Văn Lý").family_variant, "hoang");
        assert_eq!(name("Hoàng Văn Lý").given.variant, "li");
        assert_eq!(name("Hoàng Văn Lí").given.variant, "li");
        // "Vân" and "Thi" are names, not gender words.
        assert_eq!(name("Lê Vân Anh").middle_without_van_thi.key, "vân");
        assert_eq!(name("Lê Thi Anh Thư").middle_without_van_thi.key, "thi anh");
        assert_eq!(name("Le Thi Hoa").middle_without_van_thi.key, "");
        assert_eq!(name("Nguyen Van An").middle_without_van_thi.key, "");
        // One word: a given name only.
        let n = name("Thủy");
        assert_eq!((n.family.key.as_str(), n.given.key.as_str()), ("", "thuỷ"));
        assert_eq!(name(""), NameKeys::default());
    }

    #[test]
    fn villages() {
        let three = VillageKey {
            kind: Some(VillageKind::Thon),
            key: "3".into(),
        };
        for text in [
            "Thôn 3",
            "thon 3",
            "THÔN 3",
            "T.3",
            "Th. 3",
            "Thôn Ba",
            "thôn III",
            "Thôn số 3",
            "Thôn 03",
            "T3",
            "Thôn 3, xã Yên Phong",
        ] {
            assert_eq!(village(text), three, "{text}");
        }
        let cases = [
            ("Xóm 3", Some(VillageKind::Xom), "3"),
            ("X.3", Some(VillageKind::Xom), "3"),
            ("Tổ dân phố số 5", Some(VillageKind::ToDanPho), "5"),
            ("TDP 5", Some(VillageKind::ToDanPho), "5"),
            ("Tổ 12", Some(VillageKind::To), "12"),
            ("Khu phố 2", Some(VillageKind::KhuPho), "2"),
            ("KP.2", Some(VillageKind::KhuPho), "2"),
            ("KP2", Some(VillageKind::KhuPho), "2"),
            ("Ấp Tân Thạnh", Some(VillageKind::Ap), "tan thanh"),
            ("Bản Mường Lói", Some(VillageKind::Ban), "muong loi"),
            ("Đội 7", Some(VillageKind::Doi), "7"),
            ("Làng Phú Lưu", Some(VillageKind::Lang), "phu luu"),
            ("Xóm Đông", Some(VillageKind::Xom), "dong"),
            ("Thôn Năm", Some(VillageKind::Thon), "5"),
            ("Thôn Nam", Some(VillageKind::Thon), "nam"),
            ("Thôn Mười Hai", Some(VillageKind::Thon), "12"),
            ("Thôn Hai Mươi Mốt", Some(VillageKind::Thon), "21"),
            ("Thôn IV", Some(VillageKind::Thon), "4"),
            ("Thôn XII", Some(VillageKind::Thon), "12"),
            ("Thôn Vi", Some(VillageKind::Thon), "vi"),
            ("Thôn 3A", Some(VillageKind::Thon), "3a"),
            ("3", None, "3"),
            ("Đông Thượng", None, "dong thuong"),
            ("Thôn", None, "thon"),
            ("", None, ""),
        ];
        for (text, kind, key) in cases {
            let v = village(text);
            assert_eq!((v.kind, v.key.as_str()), (kind, key), "{text}");
        }
    }

    proptest! {
        #[test]
        fn phone_output_is_canonical(s in "[+0-9 .()-]{0,20}") {
            if let Some(p) = phone(&s) {
                prop_assert!(p.len() == 10 || p.len() == 11);
                prop_assert!(p.starts_with('0'));
                prop_assert_eq!(phone(&p), Some(p.clone()));
            }
        }

        #[test]
        fn standardisers_never_panic(s in "\\PC{0,30}") {
            let _ = phone(&s);
            let _ = id_number(&s);
            let _ = name(&s);
            let _ = village(&s);
        }

        #[test]
        fn village_numbers_agree_in_every_spelling(n in 1u32..40, prefix in prop::sample::select(vec!["Thôn", "thon", "T.", "Th.", "THÔN"])) {
            let want = village(&format!("Thôn {n}"));
            prop_assert_eq!(&village(&format!("{prefix} {n}")), &want);
            prop_assert_eq!(&village(&format!("{prefix} {n:02}")), &want);
            let mut r = String::new();
            let mut m = n;
            for (v, s) in [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")] {
                while m >= v { r.push_str(s); m -= v; }
            }
            prop_assert_eq!(&village(&format!("{prefix} {r}")), &want);
        }
    }
}
