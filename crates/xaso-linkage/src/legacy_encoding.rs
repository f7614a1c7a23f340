//! Vietnamese text typed in the pre-Unicode encodings TCVN3 (ABC, fonts ".VnTime") and VNI
//! (fonts "VNI-Times"). Excel stores such a cell as the Windows-1252 reading of its bytes, so in
//! Unicode it arrives as mojibake: TCVN3 "NguyÔn V¨n An" and VNI "Nguyeãn Vaên An" both mean
//! "Nguyễn Văn An". [`detect`] recognises them, [`convert`] repairs them, [`fix_cell`] does both
//! for the importer and says what it did.
//!
//! # Tables
//!
//! * TCVN3 is the VN3 repertoire of TCVN 5712:1993 (VSCII-3): ASCII unchanged, 67 lowercase
//!   letters and the 7 uppercase letters without tone (Ă Â Ê Ô Ơ Ư Đ) in 0xA1–0xFE. The five
//!   tones of each vowel follow the order huyền, hỏi, ngã, sắc, nặng (à ả ã á ạ).
//! * VNI (VNI Software's "VNI Windows" table) writes a letter as its ASCII base followed by one
//!   byte for the letter mark and/or tone ("a" + "ê" = ă, "e" + "ã" = ễ); ơ, ư, đ, the toned i
//!   and ỵ are single bytes. Uppercase letters use the mark bytes 0x20 lower (Á instead of á).
//!
//! # What cannot be repaired
//!
//! TCVN3 has no uppercase letters with a tone: typists switched the cell to the all-capitals font
//! ".VnTimeH", which draws the *lowercase* codes as capitals. That font choice is lost in the
//! Unicode text, so [`convert`] guesses: a word whose ASCII letters are all capitals is
//! uppercased ("NGUYÔN" → "NGUYỄN"), and a word starting with a toned lowercase letter is
//! capitalised when the other words of the cell are ("NguyÔn ¸nh" → "Nguyễn Ánh"). A cell in
//! ".VnTimeH" typed in lowercase letters ("nguyÔn" drawn as "NGUYỄN") comes out lowercase. The
//! control-code positions that TCVN 5712 VN1/VN2 use for uppercase toned letters are not mapped
//! (Excel does not keep control characters in cells).
//!
//! The importer must repair cells before [`xaso_domain::name::normalize`], which deletes U+00AD
//! (soft hyphen), the TCVN3 code of "ư".

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::syllable::is_plausible_syllable;

/// The encoding a cell was typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Unicode,
    Tcvn3,
    Vni,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Unicode => "unicode",
            Encoding::Tcvn3 => "tcvn3",
            Encoding::Vni => "vni",
        }
    }
}

/// What [`detect`] decided, and how sure it is (0–1). For a legacy answer the confidence is the
/// share of changed words that were broken before and are Vietnamese after; for Unicode it is 1
/// when the text cannot be legacy at all (a character outside Windows-1252, or pure ASCII) and
/// lower when a legacy reading had some support.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Detection {
    pub encoding: Encoding,
    pub confidence: f32,
}

/// A cell that was converted, for the importer's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fixed {
    pub text: String,
    pub from: Encoding,
}

/// Word counts behind a decision; they add up over the cells of a column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Words the conversion changes.
    pub changed: u32,
    /// Changed words that are not Vietnamese as they stand but are after conversion.
    pub repaired: u32,
    /// Changed words that are not Vietnamese after conversion.
    pub broken_after: u32,
    /// Changed words that were Vietnamese before conversion.
    pub fine_before: u32,
    /// Unchanged non-ASCII words that are not Vietnamese (the conversion left them broken).
    pub broken_unchanged: u32,
}

impl Evidence {
    fn add(&mut self, other: Evidence) {
        self.changed += other.changed;
        self.repaired += other.repaired;
        self.broken_after += other.broken_after;
        self.fine_before += other.fine_before;
        self.broken_unchanged += other.broken_unchanged;
    }

    /// Strong evidence: something was repaired, and nothing is left that is not Vietnamese
    /// (changed or not).
    fn is_strong(&self) -> bool {
        self.repaired > 0 && self.broken_after == 0 && self.broken_unchanged == 0
    }

    /// Share of the words that matter (changed, or non-ASCII and broken) that were repaired.
    fn confidence(&self) -> f32 {
        let considered = self.changed + self.broken_unchanged;
        if considered == 0 {
            0.0
        } else {
            self.repaired as f32 / considered as f32
        }
    }
}

/// Windows-1252 characters of 0x80–0x9F (punctuation a legacy cell may contain). Anything else
/// above U+00FF proves the text is Unicode.
fn is_cp1252_extra(c: char) -> bool {
    matches!(
        c,
        '€' | '‚'
            | 'ƒ'
            | '„'
            | '…'
            | '†'
            | '‡'
            | 'ˆ'
            | '‰'
            | 'Š'
            | '‹'
            | 'Œ'
            | 'Ž'
            | '‘'
            | '’'
            | '“'
            | '”'
            | '•'
            | '–'
            | '—'
            | '˜'
            | '™'
            | 'š'
            | '›'
            | 'œ'
            | 'ž'
            | 'Ÿ'
    )
}

/// Whether the text could be the Windows-1252 reading of legacy bytes, and has any non-ASCII
/// character at all (pure ASCII is the same in every encoding).
fn could_be_legacy(text: &str) -> bool {
    let mut non_ascii = false;
    for c in text.chars() {
        if !c.is_ascii() {
            if (c as u32) > 0xFF && !is_cp1252_extra(c) {
                return false;
            }
            non_ascii = true;
        }
    }
    non_ascii
}

/// TCVN3 (TCVN 5712:1993, VN3): the character the Windows-1252 reading `c` of a byte stands for.
fn tcvn3_char(c: char) -> Option<char> {
    Some(match c as u32 {
        0xA1 => 'Ă',
        0xA2 => 'Â',
        0xA3 => 'Ê',
        0xA4 => 'Ô',
        0xA5 => 'Ơ',
        0xA6 => 'Ư',
        0xA7 => 'Đ',
        0xA8 => 'ă',
        0xA9 => 'â',
        0xAA => 'ê',
        0xAB => 'ô',
        0xAC => 'ơ',
        0xAD => 'ư',
        0xAE => 'đ',
        0xB5 => 'à',
        0xB6 => 'ả',
        0xB7 => 'ã',
        0xB8 => 'á',
        0xB9 => 'ạ',
        0xBB => 'ằ',
        0xBC => 'ẳ',
        0xBD => 'ẵ',
        0xBE => 'ắ',
        0xC6 => 'ặ',
        0xC7 => 'ầ',
        0xC8 => 'ẩ',
        0xC9 => 'ẫ',
        0xCA => 'ấ',
        0xCB => 'ậ',
        0xCC => 'è',
        0xCE => 'ẻ',
        0xCF => 'ẽ',
        0xD0 => 'é',
        0xD1 => 'ẹ',
        0xD2 => 'ề',
        0xD3 => 'ể',
        0xD4 => 'ễ',
        0xD5 => 'ế',
        0xD6 => 'ệ',
        0xD7 => 'ì',
        0xD8 => 'ỉ',
        0xDC => 'ĩ',
        0xDD => 'í',
        0xDE => 'ị',
        0xDF => 'ò',
        0xE1 => 'ỏ',
        0xE2 => 'õ',
        0xE3 => 'ó',
        0xE4 => 'ọ',
        0xE5 => 'ồ',
        0xE6 => 'ổ',
        0xE7 => 'ỗ',
        0xE8 => 'ố',
        0xE9 => 'ộ',
        0xEA => 'ờ',
        0xEB => 'ở',
        0xEC => 'ỡ',
        0xED => 'ớ',
        0xEE => 'ợ',
        0xEF => 'ù',
        0xF1 => 'ủ',
        0xF2 => 'ũ',
        0xF3 => 'ú',
        0xF4 => 'ụ',
        0xF5 => 'ừ',
        0xF6 => 'ử',
        0xF7 => 'ữ',
        0xF8 => 'ứ',
        0xF9 => 'ự',
        0xFA => 'ỳ',
        0xFB => 'ỷ',
        0xFC => 'ỹ',
        0xFD => 'ý',
        0xFE => 'ỵ',
        _ => return None,
    })
}

const CIRCUMFLEX: char = '\u{302}';
const BREVE: char = '\u{306}';
const GRAVE: char = '\u{300}';
const ACUTE: char = '\u{301}';
const TILDE: char = '\u{303}';
const HOOK: char = '\u{309}';
const DOT: char = '\u{323}';

/// A VNI byte that follows a base letter: (letter mark, tone). The uppercase forms are 0x20
/// lower; `c` is folded to the lowercase form first.
fn vni_mark(c: char) -> Option<(Option<char>, Option<char>)> {
    let lower = match c as u32 {
        b @ 0xC0..=0xDF => b + 0x20,
        b => b,
    };
    Some(match lower {
        0xE2 => (Some(CIRCUMFLEX), None),
        0xE1 => (Some(CIRCUMFLEX), Some(ACUTE)),
        0xE0 => (Some(CIRCUMFLEX), Some(GRAVE)),
        0xE5 => (Some(CIRCUMFLEX), Some(HOOK)),
        0xE3 => (Some(CIRCUMFLEX), Some(TILDE)),
        0xE4 => (Some(CIRCUMFLEX), Some(DOT)),
        0xEA => (Some(BREVE), None),
        0xE9 => (Some(BREVE), Some(ACUTE)),
        0xE8 => (Some(BREVE), Some(GRAVE)),
        0xFA => (Some(BREVE), Some(HOOK)),
        0xFC => (Some(BREVE), Some(TILDE)),
        0xEB => (Some(BREVE), Some(DOT)),
        0xF9 => (None, Some(ACUTE)),
        0xF8 => (None, Some(GRAVE)),
        0xFB => (None, Some(HOOK)),
        0xF5 => (None, Some(TILDE)),
        0xEF => (None, Some(DOT)),
        _ => return None,
    })
}

/// VNI letters written as one byte.
fn vni_single(c: char) -> Option<char> {
    Some(match c as u32 {
        0xF4 => 'ơ',
        0xD4 => 'Ơ',
        0xF6 => 'ư',
        0xD6 => 'Ư',
        0xF1 => 'đ',
        0xD1 => 'Đ',
        0xED => 'í',
        0xCD => 'Í',
        0xEC => 'ì',
        0xCC => 'Ì',
        0xE6 => 'ỉ',
        0xC6 => 'Ỉ',
        0xF3 => 'ĩ',
        0xD3 => 'Ĩ',
        0xF2 => 'ị',
        0xD2 => 'Ị',
        0xEE => 'ỵ',
        0xCE => 'Ỵ',
        _ => return None,
    })
}

/// Appends the VNI base `base` (already converted: a, e, o, u, y, ơ, ư in either case) with the
/// marks of `next` when they fit it; false when they do not.
fn push_vni_combined(out: &mut String, base: char, next: char) -> bool {
    let Some((mark, tone)) = vni_mark(next) else {
        return false;
    };
    let lower = base.to_lowercase().next().unwrap_or(base);
    let fits = match mark {
        Some(CIRCUMFLEX) => matches!(lower, 'a' | 'e' | 'o'),
        Some(_) => lower == 'a',
        None => matches!(lower, 'a' | 'e' | 'o' | 'u' | 'y' | 'ơ' | 'ư'),
    };
    if !fits {
        return false;
    }
    out.push(base);
    out.extend(mark);
    out.extend(tone);
    true
}

fn convert_vni(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let base = vni_single(c).unwrap_or(c);
        let is_base = matches!(
            base.to_lowercase().next().unwrap_or(base),
            'a' | 'e' | 'o' | 'u' | 'y' | 'ơ' | 'ư'
        );
        if is_base {
            if let Some(&next) = chars.peek() {
                if push_vni_combined(&mut out, base, next) {
                    chars.next();
                    continue;
                }
            }
        }
        out.push(base);
    }
    out.nfc().collect()
}

/// Splits into words: runs of characters that are neither whitespace nor ASCII punctuation
/// (legacy letters are Latin-1 punctuation-looking characters such as "¸" and "«", so only ASCII
/// separates).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .filter(|w| !w.is_empty())
}

fn convert_tcvn3(text: &str) -> String {
    // Case guesses need the whole cell: is it all capitals (".VnTimeH"), or title case?
    let (mut capital, mut small) = (0, 0);
    for w in words(text) {
        match w.chars().next() {
            Some(c) if c.is_ascii_uppercase() => capital += 1,
            Some(c) if c.is_ascii_lowercase() => small += 1,
            _ => {}
        }
    }
    let mut letters = text.chars().filter(char::is_ascii_alphabetic).peekable();
    let cell_caps = letters.peek().is_some() && letters.all(|c| c.is_ascii_uppercase());
    let cell_caps = cell_caps && text.chars().filter(char::is_ascii_alphabetic).count() >= 2;
    let case = if cell_caps {
        CaseGuess::Upper
    } else if capital > small {
        CaseGuess::Title
    } else {
        CaseGuess::AsTyped
    };
    let mut out = String::with_capacity(text.len() + 8);
    let mut word = String::new();
    for c in text.chars() {
        if c.is_whitespace() || c.is_ascii_punctuation() {
            out.push_str(&tcvn3_word(&word, case));
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    out.push_str(&tcvn3_word(&word, case));
    out.nfc().collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CaseGuess {
    Upper,
    Title,
    AsTyped,
}

/// One word of TCVN3: mapped letter by letter, then the case guess for text typed in
/// ".VnTimeH" or with a toned capital that .VnTime cannot show.
fn tcvn3_word(word: &str, case: CaseGuess) -> String {
    let mut mapped_lower = false;
    let mut converted = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        match tcvn3_char(c) {
            Some(v) => {
                mapped_lower |= v.is_lowercase();
                converted.push(v);
            }
            None => converted.push(c),
        }
    }
    if !mapped_lower {
        return converted;
    }
    let ascii_letters = word.chars().filter(char::is_ascii_alphabetic).count();
    let word_caps = ascii_letters >= 2
        && word
            .chars()
            .filter(char::is_ascii_alphabetic)
            .all(|c| c.is_ascii_uppercase());
    if case == CaseGuess::Upper || word_caps {
        return converted.to_uppercase();
    }
    let starts_mapped = word.chars().next().and_then(tcvn3_char).is_some();
    if case == CaseGuess::Title && starts_mapped {
        let mut cs = converted.chars();
        if let Some(first) = cs.next() {
            return first.to_uppercase().chain(cs).collect();
        }
    }
    converted
}

/// `text` read as typed in `from`, in Unicode NFC. Unicode text is only normalised to NFC.
pub fn convert(text: &str, from: Encoding) -> String {
    match from {
        Encoding::Unicode => text.nfc().collect(),
        Encoding::Tcvn3 => convert_tcvn3(text),
        Encoding::Vni => convert_vni(text),
    }
}

/// Compares the words of `text` before and after converting from `from`.
fn evidence(text: &str, from: Encoding) -> Evidence {
    let converted = convert(text, from);
    let mut ev = Evidence::default();
    // Both conversions keep ASCII punctuation and whitespace, so the words line up.
    for (before, after) in words(text).zip(words(&converted)) {
        if before == after {
            if !before.is_ascii() && !is_plausible_syllable(before) {
                ev.broken_unchanged += 1;
            }
            continue;
        }
        ev.changed += 1;
        let ok_before = is_plausible_syllable(before);
        let ok_after = is_plausible_syllable(after);
        if ok_before {
            ev.fine_before += 1;
        }
        if !ok_after {
            ev.broken_after += 1;
        } else if !ok_before {
            ev.repaired += 1;
        }
    }
    ev
}

/// Which encoding the cell was typed in. Legacy only on strong evidence: the conversion repairs
/// at least one word (not Vietnamese before, Vietnamese after) and leaves no non-ASCII word
/// that is not Vietnamese. Text that already reads as Vietnamese stays Unicode, even when a legacy
/// reading would also be Vietnamese ("Tú" is TCVN3 for "Tỳ").
pub fn detect(text: &str) -> Detection {
    if !could_be_legacy(text) {
        return Detection {
            encoding: Encoding::Unicode,
            confidence: 1.0,
        };
    }
    decide(
        evidence(text, Encoding::Tcvn3),
        evidence(text, Encoding::Vni),
    )
}

fn decide(tcvn3: Evidence, vni: Evidence) -> Detection {
    let candidates = [(Encoding::Tcvn3, tcvn3), (Encoding::Vni, vni)];
    let strong: Vec<_> = candidates.iter().filter(|(_, e)| e.is_strong()).collect();
    match strong.as_slice() {
        [(enc, ev)] => Detection {
            encoding: *enc,
            confidence: ev.confidence(),
        },
        // Both readings are Vietnamese: take the one that repairs clearly more.
        [(e1, a), (e2, b)] if a.repaired != b.repaired => {
            let (enc, ev) = if a.repaired > b.repaired {
                (e1, a)
            } else {
                (e2, b)
            };
            Detection {
                encoding: *enc,
                confidence: ev.confidence() * 0.5,
            }
        }
        _ => Detection {
            encoding: Encoding::Unicode,
            confidence: 1.0 - tcvn3.confidence().max(vni.confidence()) * 0.5,
        },
    }
}

/// [`detect`] over a whole column (every cell of a column was typed with one font), for cells
/// too short to decide alone. The evidence of all cells is added up.
pub fn detect_column<'a>(cells: impl IntoIterator<Item = &'a str>) -> Detection {
    let (mut tcvn3, mut vni) = (Evidence::default(), Evidence::default());
    let mut any = false;
    for cell in cells {
        if !could_be_legacy(cell) {
            if !cell.is_ascii() {
                // A real Unicode Vietnamese cell: the column is Unicode.
                return Detection {
                    encoding: Encoding::Unicode,
                    confidence: 1.0,
                };
            }
            continue;
        }
        any = true;
        tcvn3.add(evidence(cell, Encoding::Tcvn3));
        vni.add(evidence(cell, Encoding::Vni));
    }
    if !any {
        return Detection {
            encoding: Encoding::Unicode,
            confidence: 1.0,
        };
    }
    decide(tcvn3, vni)
}

/// The repaired cell when it was typed in a legacy encoding; `None` when it is fine as it is.
pub fn fix_cell(text: &str) -> Option<Fixed> {
    let d = detect(text);
    match d.encoding {
        Encoding::Unicode => None,
        from => Some(Fixed {
            text: convert(text, from),
            from,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Encodes Unicode Vietnamese into TCVN3 (lowercase toned letters only, as a .VnTime
    /// typist produces them; uppercase toned letters become lowercase codes as in .VnTimeH).
    fn to_tcvn3(s: &str) -> String {
        let mut out = String::new();
        for c in s.nfc() {
            let lower = c.to_lowercase().next().unwrap();
            let found = (0xA1u32..=0xFE)
                .filter_map(char::from_u32)
                .find(|&b| tcvn3_char(b) == Some(c))
                .or_else(|| {
                    (0xA8u32..=0xFE)
                        .filter_map(char::from_u32)
                        .find(|&b| tcvn3_char(b) == Some(lower))
                });
            out.push(if c.is_ascii() { c } else { found.unwrap() });
        }
        out
    }

    #[test]
    fn tcvn3_names_and_addresses() {
        let cases = [
            ("NguyÔn V¨n An", "Nguyễn Văn An"),
            ("TrÇn ThÞ Hoa", "Trần Thị Hoa"),
            ("Lª ThÞ Thu H\u{AD}\u{AC}ng", "Lê Thị Thu Hương"),
            ("§Æng §øc Th¾ng", "Đặng Đức Thắng"),
            (
                "Th«n 3, x· Yªn Phong, huyÖn Yªn Phong",
                "Thôn 3, xã Yên Phong, huyện Yên Phong",
            ),
            (
                "Tæ d©n phè sè 5, ph\u{AD}êng Ba §×nh",
                "Tổ dân phố số 5, phường Ba Đình",
            ),
            ("Hoµng V¨n Tó", "Hoàng Văn Tú"),
            ("NguyÔn ¸nh", "Nguyễn Ánh"),
            ("NGUYÔN V¡N AN", "NGUYỄN VĂN AN"),
            ("PH¹M THÞ LAN", "PHẠM THỊ LAN"),
        ];
        for (legacy, want) in cases {
            let d = detect(legacy);
            assert_eq!(d.encoding, Encoding::Tcvn3, "{legacy}: {d:?}");
            assert!(d.confidence > 0.5, "{legacy}: {d:?}");
            assert_eq!(convert(legacy, Encoding::Tcvn3), want);
            assert_eq!(
                fix_cell(legacy),
                Some(Fixed {
                    text: want.to_owned(),
                    from: Encoding::Tcvn3
                })
            );
        }
        assert_eq!(to_tcvn3("Nguyễn Văn An"), "NguyÔn V¨n An");
    }

    #[test]
    fn vni_names_and_addresses() {
        let cases = [
            ("Nguyeãn Vaên An", "Nguyễn Văn An"),
            ("Traàn Thò Hoa", "Trần Thị Hoa"),
            ("Leâ Thò Thu Höông", "Lê Thị Thu Hương"),
            ("Ñaëng Ñöùc Thaéng", "Đặng Đức Thắng"),
            ("Tröôøng Sa", "Trường Sa"),
            ("AÁp 3, xaõ Bình Chaùnh", "Ấp 3, xã Bình Chánh"),
            ("NGUYEÃN VAÊN AN", "NGUYỄN VĂN AN"),
            ("Huyønh Thò Myõ Leä", "Huỳnh Thị Mỹ Lệ"),
            (
                "Khu phoá 2, phöôøng Taân Ñònh",
                "Khu phố 2, phường Tân Định",
            ),
        ];
        for (legacy, want) in cases {
            let d = detect(legacy);
            assert_eq!(d.encoding, Encoding::Vni, "{legacy}: {d:?}");
            assert_eq!(convert(legacy, Encoding::Vni), want);
            assert_eq!(fix_cell(legacy).unwrap().text, want);
        }
    }

    #[test]
    fn unicode_and_ascii_are_left_alone() {
        for text in [
            "Nguyễn Văn An",
            "Nguyen Van An",
            "Tú Anh",
            "Lê Hà",
            "Hồ Chí Minh",
            "José Müller",
            "H'Hen Niê",
            "Ksor H'Blí",
            "",
            "12/03/1995",
            "Thôn 3",
            "ÔNG BÀ",
            "Café",
        ] {
            assert_eq!(detect(text).encoding, Encoding::Unicode, "{text}");
            assert_eq!(fix_cell(text), None, "{text}");
        }
        assert_eq!(convert("Ho\u{300}a", Encoding::Unicode), "Hòa");
    }

    #[test]
    fn half_repairs_are_refused() {
        // A VNI reading repairs "Tæ" (→ "Tỉ") but leaves "d©n" broken: not VNI. TCVN3 repairs
        // every word.
        let d = detect("Tæ d©n phè");
        assert_eq!(d.encoding, Encoding::Tcvn3);
        // Broken in every reading: left alone for a person to look at.
        assert_eq!(fix_cell("Xyz©® ¶¶"), None);
        // Mixed: one TCVN3 word among ASCII.
        assert_eq!(
            fix_cell("Nguyen Van Tó, Th«n 3").map(|f| f.text),
            Some("Nguyen Van Tú, Thôn 3".to_owned())
        );
    }

    #[test]
    fn column_detection_decides_short_cells() {
        // "Tó" alone is a real Vietnamese word; the column around it says TCVN3.
        assert_eq!(detect("Tó").encoding, Encoding::Unicode);
        let col = ["Tó", "NguyÔn V¨n An", "An"];
        assert_eq!(detect_column(col).encoding, Encoding::Tcvn3);
        let col = ["Tó", "Nguyễn Văn An"];
        assert_eq!(detect_column(col).encoding, Encoding::Unicode);
        assert_eq!(detect_column([]).encoding, Encoding::Unicode);
    }

    fn arb_unicode_vi() -> impl Strategy<Value = String> {
        let syllables: Vec<&'static str> = crate::syllable::tests::REAL.to_vec();
        (
            prop::collection::vec(
                (prop::sample::select(syllables), 0..3u8, any::<bool>()),
                1..8,
            ),
            any::<bool>(),
        )
            .prop_map(|(ws, nfd)| {
                let s = ws
                    .into_iter()
                    .map(|(w, case, comma)| {
                        let w = match case {
                            0 => w.to_lowercase(),
                            1 => w.to_uppercase(),
                            _ => w.to_owned(),
                        };
                        if comma {
                            format!("{w},")
                        } else {
                            w
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                if nfd {
                    s.nfd().collect()
                } else {
                    s
                }
            })
    }

    proptest! {
        #[test]
        fn unicode_vietnamese_is_never_converted(s in arb_unicode_vi()) {
            prop_assert_eq!(detect(&s).encoding, Encoding::Unicode);
            prop_assert_eq!(fix_cell(&s), None);
        }

        #[test]
        fn ascii_is_never_converted(s in "[ -~]{0,40}") {
            prop_assert_eq!(detect(&s).encoding, Encoding::Unicode);
            prop_assert_eq!(convert(&s, Encoding::Tcvn3), s.clone());
            prop_assert_eq!(convert(&s, Encoding::Vni), s);
        }

        #[test]
        fn tcvn3_round_trip_of_lowercase_text(s in arb_unicode_vi()) {
            let lower: String = s.nfc().collect::<String>().to_lowercase().replace(',', "");
            let legacy = to_tcvn3(&lower);
            prop_assert_eq!(convert(&legacy, Encoding::Tcvn3), lower.clone());
            if let Some(f) = fix_cell(&legacy) {
                prop_assert_eq!(f.text, lower);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = detect(&s);
            let _ = convert(&s, Encoding::Tcvn3);
            let _ = convert(&s, Encoding::Vni);
        }
    }
}
