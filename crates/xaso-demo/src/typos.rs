//! The mistakes people make when they type a register extract into a sector list: dropped,
//! misplaced or wrong tone marks, regional spellings, Văn/Thị left out or added, Đ typed as D
//! or Ð, day and month swapped, a wrong year, one wrong or two swapped digits.
//!
//! Works on precomposed (NFC) Vietnamese letters through a table, so the crate needs no
//! Unicode library.

use crate::rng::Rng;

/// Each Vietnamese vowel letter with its five tones, in the order: none, grave, hook above,
/// tilde, acute, dot below.
const VOWELS_LOWER: [&str; 12] = [
    "aàảãáạ",
    "ăằẳẵắặ",
    "âầẩẫấậ",
    "eèẻẽéẹ",
    "êềểễếệ",
    "iìỉĩíị",
    "oòỏõóọ",
    "ôồổỗốộ",
    "ơờởỡớợ",
    "uùủũúụ",
    "ưừửữứự",
    "yỳỷỹýỵ",
];
const VOWELS_UPPER: [&str; 12] = [
    "AÀẢÃÁẠ",
    "ĂẰẲẴẮẶ",
    "ÂẦẨẪẤẬ",
    "EÈẺẼÉẸ",
    "ÊỀỂỄẾỆ",
    "IÌỈĨÍỊ",
    "OÒỎÕÓỌ",
    "ÔỒỔỖỐỘ",
    "ƠỜỞỠỚỢ",
    "UÙỦŨÚỤ",
    "ƯỪỬỮỨỰ",
    "YỲỶỸÝỴ",
];
/// The plain ASCII letter of each row.
const PLAIN: [char; 12] = ['a', 'a', 'a', 'e', 'e', 'i', 'o', 'o', 'o', 'u', 'u', 'y'];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Vowel {
    row: usize,
    tone: usize,
    upper: bool,
}

fn vowel(c: char) -> Option<Vowel> {
    for (upper, table) in [(false, &VOWELS_LOWER), (true, &VOWELS_UPPER)] {
        for (row, letters) in table.iter().enumerate() {
            if let Some(tone) = letters.chars().position(|x| x == c) {
                return Some(Vowel { row, tone, upper });
            }
        }
    }
    None
}

fn compose(v: Vowel) -> Option<char> {
    let table = if v.upper {
        &VOWELS_UPPER
    } else {
        &VOWELS_LOWER
    };
    table.get(v.row)?.chars().nth(v.tone)
}

/// Every diacritic removed: "Đặng Thị Hòa" → "Dang Thi Hoa".
pub(crate) fn strip_diacritics(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => match vowel(c) {
                Some(v) => {
                    let p = PLAIN.get(v.row).copied().unwrap_or(c);
                    if v.upper {
                        p.to_ascii_uppercase()
                    } else {
                        p
                    }
                }
                None => c,
            },
        })
        .collect()
}

/// Moves the tone of "oa", "oe", "uy" to the other vowel ("Hòa" ↔ "Hoà", "Thủy" ↔ "Thuỷ"),
/// the two spellings Unicode treats as different text. None if the word has no such pair.
pub(crate) fn move_tone(word: &str) -> Option<String> {
    // Rows of the table for the plain letters o, a, e, u, y (no letter mark).
    const O: usize = 6;
    const A: usize = 0;
    const E: usize = 3;
    const U: usize = 9;
    const Y: usize = 11;
    let chars: Vec<char> = word.chars().collect();
    // Only an open syllable ending in the pair has a choice ("Hoàng" has one place).
    let i = chars.len().checked_sub(2)?;
    let (a, b) = (vowel(chars[i])?, vowel(chars[i + 1])?);
    let pair = matches!((a.row, b.row), (O, A) | (O, E) | (U, Y));
    // In "qu" the u is part of the consonant: "Quý" has its tone on y only.
    let after_q = i > 0 && matches!(chars[i - 1], 'q' | 'Q');
    if !pair || after_q || (a.tone == 0) == (b.tone == 0) {
        return None;
    }
    let tone = a.tone.max(b.tone);
    let mut out = chars.clone();
    out[i] = compose(Vowel {
        tone: tone - a.tone,
        ..a
    })?;
    out[i + 1] = compose(Vowel {
        tone: tone - b.tone,
        ..b
    })?;
    Some(out.into_iter().collect())
}

/// Changes the tone of the word's toned vowel to another one ("Hương" → "Hường"). None when the
/// word carries no tone.
pub(crate) fn change_tone(word: &str, rng: &mut Rng) -> Option<String> {
    let mut chars: Vec<char> = word.chars().collect();
    let pos = chars
        .iter()
        .position(|&c| vowel(c).is_some_and(|v| v.tone != 0))?;
    let v = vowel(chars[pos])?;
    let mut tone = rng.range(1, 4) as usize;
    if tone >= v.tone {
        tone += 1;
    }
    chars[pos] = compose(Vowel { tone, ..v })?;
    Some(chars.into_iter().collect())
}

/// Regional spellings of one family name.
pub(crate) fn family_variant(family: &str) -> Option<&'static str> {
    match family {
        "Vũ" => Some("Võ"),
        "Võ" => Some("Vũ"),
        "Hoàng" => Some("Huỳnh"),
        "Huỳnh" => Some("Hoàng"),
        _ => None,
    }
}

/// One digit replaced by another at a random position.
pub(crate) fn wrong_digit(s: &str, rng: &mut Rng) -> String {
    let mut b: Vec<u8> = s.bytes().collect();
    if b.is_empty() {
        return s.to_string();
    }
    let i = rng.below_usize(b.len());
    if let Some(d) = b.get_mut(i) {
        let old = d.wrapping_sub(b'0');
        let new = (old + 1 + rng.below(9) as u8) % 10;
        *d = b'0' + new;
    }
    String::from_utf8(b).unwrap_or_else(|_| s.to_string())
}

/// Two adjacent, different digits swapped. None when all digits are equal.
pub(crate) fn swap_adjacent(s: &str, rng: &mut Rng) -> Option<String> {
    let mut b: Vec<u8> = s.bytes().collect();
    let candidates: Vec<usize> = (0..b.len().saturating_sub(1))
        .filter(|&i| b.get(i) != b.get(i + 1))
        .collect();
    let &i = rng.pick(&candidates)?;
    b.swap(i, i + 1);
    String::from_utf8(b).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn strips() {
        assert_eq!(strip_diacritics("Đặng Thị Hòa"), "Dang Thi Hoa");
        assert_eq!(strip_diacritics("NGUYỄN VĂN ƯỚC"), "NGUYEN VAN UOC");
        assert_eq!(strip_diacritics("Nguyễn Văn An"), "Nguyen Van An");
    }

    #[test]
    fn moves_tones() {
        assert_eq!(move_tone("Hòa").as_deref(), Some("Hoà"));
        assert_eq!(move_tone("Hoà").as_deref(), Some("Hòa"));
        assert_eq!(move_tone("Thủy").as_deref(), Some("Thuỷ"));
        assert_eq!(move_tone("Thúy").as_deref(), Some("Thuý"));
        assert_eq!(move_tone("Khỏe").as_deref(), Some("Khoẻ"));
        assert_eq!(move_tone("Hoàng"), None);
        assert_eq!(move_tone("Hoa"), None);
        assert_eq!(move_tone("An"), None);
        assert_eq!(move_tone("Quý"), None);
        // The moved spelling is the same name by the domain's comparison key.
        assert_eq!(
            xaso_domain::name::key("Hòa"),
            xaso_domain::name::key(&move_tone("Hòa").unwrap())
        );
    }

    #[test]
    fn changes_tones() {
        let mut rng = Rng::new(1);
        for _ in 0..50 {
            let w = change_tone("Hường", &mut rng).unwrap();
            assert_ne!(w, "Hường");
            assert_eq!(strip_diacritics(&w), "Huong");
            assert!(w.starts_with("Hư"));
        }
        // Without a tone mark there is nothing to change.
        assert_eq!(change_tone("Hương", &mut rng), None);
        assert_eq!(change_tone("Minh", &mut rng), None);
    }

    #[test]
    fn digits() {
        let mut rng = Rng::new(2);
        for _ in 0..100 {
            let s = "038090012345";
            let w = wrong_digit(s, &mut rng);
            assert_eq!(w.len(), 12);
            assert_eq!(w.bytes().zip(s.bytes()).filter(|(a, b)| a != b).count(), 1);
            let t = swap_adjacent(s, &mut rng).unwrap();
            assert_ne!(t, s);
            let mut a: Vec<u8> = t.bytes().collect();
            let mut b: Vec<u8> = s.bytes().collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
        }
        assert_eq!(swap_adjacent("1111", &mut rng), None);
    }
}
