//! Vietnamese personal names: what to store, and the keys to compare them by.
//!
//! Three problems make a byte comparison useless: Unicode has two encodings of every accented
//! letter (NFC/NFD); the tone mark of "oa", "oe", "uy" is written on either vowel ("Hoà"/"Hòa",
//! "Thuý"/"Thúy"); and Đ is often typed as the look-alike Ð (U+00D0) or as plain D. [`key`]
//! solves the first two while keeping tones and đ significant; [`stripped_key`] drops every
//! diacritic for tolerant search.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Invisible characters that copy-paste from web pages and office documents leaves inside
/// names; they would make two equal-looking names differ.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// The form to store: NFC, trimmed, whitespace runs collapsed to one space, Ð/ð (Icelandic eth,
/// never meant in Vietnamese input) replaced by Đ/đ, invisible characters removed. Case and
/// letters are kept as typed.
pub fn normalize(s: &str) -> String {
    // Most input is already clean; checking is far cheaper than re-normalising (imports call
    // this for every cell).
    if is_already_normal(s) {
        return s.to_string();
    }
    normalize_fully(s)
}

fn normalize_fully(s: &str) -> String {
    let mapped: String = s
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| match c {
            '\u{00D0}' => '\u{0110}',
            '\u{00F0}' => '\u{0111}',
            c => c,
        })
        .nfc()
        .collect();
    let mut out = String::with_capacity(mapped.len());
    for word in mapped.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// True when [`normalize`] would return `s` unchanged.
fn is_already_normal(s: &str) -> bool {
    let mut after_space = true;
    for c in s.chars() {
        if c.is_whitespace() {
            if after_space || c != ' ' {
                return false;
            }
            after_space = true;
        } else {
            if is_invisible(c) || c == '\u{00D0}' || c == '\u{00F0}' {
                return false;
            }
            after_space = false;
        }
    }
    (s.is_empty() || !after_space)
        && unicode_normalization::is_nfc_quick(s.chars())
            == unicode_normalization::IsNormalized::Yes
}

/// `s` in NFC and nothing else changed: for messages that quote what was typed.
pub fn nfc(s: &str) -> String {
    if unicode_normalization::is_nfc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        return s.to_owned();
    }
    s.nfc().collect()
}

/// What is wrong with a full name, if anything: it must contain letters and no digits. The
/// English rule; [`check_full_name`] gives the rule itself, with its Vietnamese.
pub fn full_name_problem(s: &str) -> Option<&'static str> {
    check_full_name(s).map(NameProblem::en)
}

/// What is wrong with a full name, if anything: it must contain letters and no digits.
pub fn check_full_name(s: &str) -> Option<NameProblem> {
    // Checked on every imported row: a scan, not a key computation.
    if !s.chars().any(char::is_alphabetic) {
        Some(NameProblem::NoLetters)
    } else if s.chars().any(|c| c.is_ascii_digit()) {
        Some(NameProblem::Digits)
    } else {
        None
    }
}

/// A rule a full name breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameProblem {
    /// Empty, or no letter at all.
    NoLetters,
    /// A digit in the name (a slip of the keyboard, or another column pasted in).
    Digits,
}

impl NameProblem {
    pub const ALL: [NameProblem; 2] = [NameProblem::NoLetters, NameProblem::Digits];

    /// The rule in English (the JSON API, the command line).
    pub fn en(self) -> &'static str {
        match self {
            NameProblem::NoLetters => "the full name is required and must contain letters",
            NameProblem::Digits => "a name has no digits",
        }
    }

    /// The rule in Vietnamese, for the officer pages.
    pub fn vi(self) -> &'static str {
        match self {
            NameProblem::NoLetters => "Họ và tên là bắt buộc và phải có chữ cái",
            NameProblem::Digits => "Họ và tên không được có chữ số",
        }
    }
}

impl std::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.en())
    }
}

/// The five tone marks, as combining characters.
const TONE_MARKS: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
/// The marks that make letters of their own (â ê ô, ă, ơ ư); they never move.
const LETTER_MARKS: [char; 3] = ['\u{302}', '\u{306}', '\u{31B}'];

/// Comparison key: [`normalize`], lowercase, every syllable's tone mark on one fixed vowel,
/// NFC. Tones and đ stay significant; "Hoà", "Hòa" and "HOÀ" share a key.
pub fn key(s: &str) -> String {
    // Lowercasing can leave non-NFC sequences (e.g. U+0130), so recompose before reading marks.
    let lower = nfc_owned(normalize(s).to_lowercase());
    let mut out = String::with_capacity(lower.len());
    let mut word = String::new();
    for c in lower.chars() {
        if c.is_alphabetic() || is_combining_mark(c) {
            word.push(c);
        } else {
            push_toned(&mut out, &word);
            word.clear();
            out.push(c);
        }
    }
    push_toned(&mut out, &word);
    nfc_owned(out)
}

/// `s` in NFC, reusing it when it already is (the quick check is far cheaper than a
/// decomposition and recomposition).
fn nfc_owned(s: String) -> String {
    if unicode_normalization::is_nfc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        s
    } else {
        s.nfc().collect()
    }
}

/// Syllables remembered by [`push_toned`] per thread: names draw on a few thousand syllables,
/// so an import of a million names looks almost all of them up instead of decomposing and
/// recomposing each again. Bounded (about 2 MiB a thread at most) because search queries are
/// typed by anyone.
const TONE_MEMO_MAX: usize = 1 << 14;
/// Longer words are not remembered (no Vietnamese syllable is this long).
const TONE_MEMO_WORD_MAX: usize = 32;

thread_local! {
    static TONE_MEMO: std::cell::RefCell<std::collections::HashMap<String, String>> =
        std::cell::RefCell::default();
}

/// Appends [`place_tone`] of `word` to `out`.
fn push_toned(out: &mut String, word: &str) {
    if word.is_empty() {
        return;
    }
    if word.is_ascii() {
        // No tone mark to move.
        out.push_str(word);
        return;
    }
    if word.len() > TONE_MEMO_WORD_MAX {
        out.push_str(&place_tone(word));
        return;
    }
    TONE_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some(toned) = memo.get(word) {
            out.push_str(toned);
            return;
        }
        let toned = place_tone(word);
        out.push_str(&toned);
        if memo.len() < TONE_MEMO_MAX {
            memo.insert(word.to_owned(), toned);
        }
    });
}

/// One letter of a word in NFD: its base and the non-tone marks on it.
struct Letter {
    base: char,
    marks: Vec<char>,
}

impl Letter {
    fn is_vowel(&self) -> bool {
        matches!(self.base, 'a' | 'e' | 'i' | 'o' | 'u' | 'y') && self.marks.len() <= 1
    }
    fn is_plain(&self, base: char) -> bool {
        self.base == base && self.marks.is_empty()
    }
}

/// Moves the tone mark of one lowercase syllable to its canonical vowel: the main vowel of the
/// rhyme (the Ministry of Education rule): a vowel with its own mark (â ê ô ă ơ ư; the second
/// of "ươ") if any; otherwise the last vowel before a final consonant; otherwise the middle of
/// three vowels; of two, the second after the glides o/u ("hoà", "khoẻ", "thuý") and the first
/// elsewhere ("hài", "múa"). "qu" and "gi" before a vowel are consonants ("quý", "giữa").
/// Anything that is not one plausible syllable with exactly one tone mark is left as it is.
fn place_tone(word: &str) -> String {
    if word.is_empty() {
        return String::new();
    }
    let mut letters: Vec<Letter> = Vec::new();
    let mut tone = None;
    let mut tones = 0;
    for c in word.nfd() {
        if TONE_MARKS.contains(&c) {
            tones += 1;
            tone = Some(c);
        } else if is_combining_mark(c) {
            match letters.last_mut() {
                Some(l) if LETTER_MARKS.contains(&c) => l.marks.push(c),
                _ => return word.to_owned(),
            }
        } else {
            letters.push(Letter {
                base: c,
                marks: Vec::new(),
            });
        }
    }
    let (Some(tone), 1) = (tone, tones) else {
        return word.to_owned();
    };
    let Some(target) = tone_target(&letters) else {
        return word.to_owned();
    };
    let mut out = String::with_capacity(word.len() + 2);
    for (i, l) in letters.iter().enumerate() {
        out.push(l.base);
        out.extend(l.marks.iter());
        if i == target {
            out.push(tone);
        }
    }
    out.nfc().collect()
}

/// Index of the letter that carries the tone, or `None` when the word is not one syllable.
fn tone_target(letters: &[Letter]) -> Option<usize> {
    let n = letters.len();
    let mut start = letters.iter().position(Letter::is_vowel)?;
    let next_is_vowel = |i: usize| letters.get(i).is_some_and(Letter::is_vowel);
    if start == 1
        && ((letters[0].is_plain('q') && letters[1].is_plain('u'))
            || (letters[0].is_plain('g') && letters[1].is_plain('i')))
        && next_is_vowel(2)
    {
        start = 2;
    }
    let end = (start..n).find(|&i| !letters[i].is_vowel()).unwrap_or(n);
    if letters[end..].iter().any(Letter::is_vowel) || end - start > 3 {
        return None;
    }
    let vowels = &letters[start..end];
    if let Some(i) = vowels.iter().rposition(|l| !l.marks.is_empty()) {
        return Some(start + i);
    }
    Some(match vowels.len() {
        1 => start,
        _ if end < n => end - 1,
        3 => start + 1,
        _ => {
            let (a, b) = (vowels[0].base, vowels[1].base);
            if (a == 'o' && matches!(b, 'a' | 'e')) || (a == 'u' && b == 'y') {
                start + 1
            } else {
                start
            }
        }
    })
}

/// Apostrophe-like characters inside names of ethnic minorities ("H'Hen", "K’Ly"): typed in
/// several forms or left out, so the stripped key drops them.
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}'
    )
}

/// A column header reduced to lowercase ASCII words: "Số định danh vợ/chồng" →
/// "so dinh danh vo chong" (for recognising headers however they are typed).
pub fn header_key(header: &str) -> String {
    let stripped = stripped_key(header.trim_start_matches('\u{feff}'));
    let spaced: String = stripped
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The key without any diacritic, for tolerant search: lowercase ASCII letters and digits
/// separated by single spaces; đ becomes d, apostrophes vanish, other punctuation separates
/// words, letters outside ASCII that have no ASCII base are dropped.
pub fn stripped_key(s: &str) -> String {
    stripped_of_key(&key(s))
}

/// [`stripped_key`] of a name whose [`key`] is `key` (for callers that need both).
pub fn stripped_of_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut pending_space = false;
    let mut take = |c: char| {
        let c = if c == 'đ' { 'd' } else { c };
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else if is_combining_mark(c) || is_apostrophe(c) || c.is_alphanumeric() {
            // Dropped in place: marks, apostrophes, letters with no ASCII base.
        } else {
            pending_space = true;
        }
    };
    if key.is_ascii() {
        // Nothing to decompose.
        key.chars().for_each(&mut take);
    } else {
        key.nfd().for_each(&mut take);
    }
    out
}

/// Whether the text carries any diacritic (a combining mark in U+0300–U+036F after
/// decomposition, which covers all Vietnamese tone and letter marks) or đ/Ð. A query typed with
/// diacritics asks for them to count; one typed without asks for the stripped key.
pub fn has_diacritics(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c, 'đ' | 'Đ' | '\u{00D0}' | '\u{00F0}'))
        || s.nfd().any(|c| ('\u{300}'..='\u{36F}').contains(&c))
}

/// A name in its three parts. Vietnamese order: family name first, given name last.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameParts {
    pub family: String,
    pub middle: String,
    pub given: String,
}

/// Splits the normalized name on spaces: first word family, last word given, the rest middle
/// (possibly empty). A one-word name is a given name only.
pub fn split(s: &str) -> NameParts {
    let n = normalize(s);
    let words: Vec<&str> = n.split(' ').filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [] => NameParts::default(),
        [given] => NameParts {
            given: (*given).to_owned(),
            ..NameParts::default()
        },
        [family, middle @ .., given] => NameParts {
            family: (*family).to_owned(),
            middle: middle.join(" "),
            given: (*given).to_owned(),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nfd(s: &str) -> String {
        s.nfd().collect()
    }

    #[test]
    fn full_name_rules_in_both_languages() {
        assert_eq!(check_full_name("Nguyễn Văn An"), None);
        assert_eq!(full_name_problem("Nguyễn Văn An"), None);
        assert_eq!(check_full_name(" - "), Some(NameProblem::NoLetters));
        assert_eq!(check_full_name("Nguyễn V4n An"), Some(NameProblem::Digits));
        assert_eq!(
            full_name_problem(""),
            Some("the full name is required and must contain letters")
        );
        assert_eq!(full_name_problem("An 2"), Some("a name has no digits"));
        assert_eq!(
            check_full_name("An 2").map(NameProblem::vi),
            Some("Họ và tên không được có chữ số")
        );
        // Every variant: exhaustive, so a new one does not compile until listed in ALL.
        for p in NameProblem::ALL {
            match p {
                NameProblem::NoLetters | NameProblem::Digits => {}
            }
            assert_eq!(p.to_string(), p.en());
            crate::vi_check::assert_vi(p.en(), p.vi());
        }
    }

    #[test]
    fn normalize_cleans_without_changing_letters() {
        assert_eq!(normalize("  Nguyễn   Văn\tAn \n"), "Nguyễn Văn An");
        assert_eq!(normalize(&nfd("Nguyễn Thị Hoà")), "Nguyễn Thị Hoà");
        assert_eq!(normalize("\u{00D0}ặng \u{00F0}ức"), "Đặng đức");
        assert_eq!(normalize("Trần\u{00A0}Thị\u{200B} Mai"), "Trần Thị Mai");
        assert_eq!(normalize("NGUYỄN văn AN"), "NGUYỄN văn AN");
        assert_eq!(normalize("Hòa"), "Hòa");
        assert_eq!(normalize("   "), "");
    }

    #[test]
    fn tone_placement_is_canonical() {
        let same = [
            ("Hoà", "Hòa"),
            ("Thuý", "Thúy"),
            ("Khoẻ", "Khỏe"),
            ("Uỷ", "Ủy"),
            ("HOÀ", "hòa"),
            ("Nguyễn Thị Thuý Hoà", "nguyễn thị thúy hòa"),
            ("Quý", "Qúy"),
            ("quả", "qủa"),
            ("giữa", "giưã"),
            ("già", "gìa"),
            ("Toàn", "Tòan"),
            ("Huỳnh", "Hùynh"),
            ("ngoài", "ngòai"),
            ("khuỷu", "khủyu"),
            ("xoáy", "xóay"),
            ("người", "ngừơi"),
            ("Tuyết", "Túyêt"),
            ("Đức", "\u{00D0}ức"),
            ("Hoà-Bình", "hòa-bình"),
            ("Ngọc  Ánh", "ngọc ánh"),
        ];
        for (a, b) in same {
            assert_eq!(key(a), key(b), "{a:?} vs {b:?}");
            assert_eq!(key(&nfd(a)), key(b), "NFD {a:?}");
        }
        // The canonical form is the main-vowel placement.
        assert_eq!(key("Hòa Thúy Khỏe Ủy"), "hoà thuý khoẻ uỷ");
        assert_eq!(key("Qúy gìn"), "quý gìn");
        assert_eq!(key("Mía Múa Hài Cháu"), "mía múa hài cháu");
    }

    #[test]
    fn tones_and_d_stay_distinct() {
        let different = [
            ("Đức", "Dục"),
            ("Đức", "Đúc"),
            ("Dục", "Đúc"),
            ("Hòa", "Hoa"),
            ("Hòa", "Hóa"),
            ("Thủy", "Thụy"),
            ("Vũ", "Võ"),
            ("An", "Ân"),
        ];
        for (a, b) in different {
            assert_ne!(key(a), key(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn odd_input_is_left_alone() {
        // Not Vietnamese syllables: no tone to move, but still lowercased and NFC.
        assert_eq!(key("Müller"), "müller");
        assert_eq!(key("Elizabéth"), "elizabéth");
        assert_eq!(key("H'Hen Niê"), "h'hen niê");
        assert_eq!(key(""), "");
        assert_eq!(
            key("a\u{301}\u{300}"),
            "a\u{301}\u{300}".nfc().collect::<String>()
        );
    }

    #[test]
    fn stripped() {
        assert_eq!(stripped_key("Nguyễn Thị Hoà"), "nguyen thi hoa");
        assert_eq!(stripped_key("  ĐẶNG  Đức \u{00D0}ạt "), "dang duc dat");
        assert_eq!(stripped_key("H'Hen Niê"), "hhen nie");
        assert_eq!(stripped_key("H’Hen Niê"), "hhen nie");
        assert_eq!(stripped_key("Nguyễn-Văn  A2"), "nguyen van a2");
        assert_eq!(stripped_key("Lê (Lý) Thường"), "le ly thuong");
        assert_eq!(stripped_key("Lê–Thường"), "le thuong");
        assert_eq!(stripped_key("Vũ"), stripped_key("Vu"));
    }

    #[test]
    fn diacritics_detected() {
        assert!(has_diacritics("Nguyễn"));
        assert!(has_diacritics(&nfd("Nguyễn")));
        assert!(has_diacritics("Dang Duc Đat"));
        assert!(has_diacritics("\u{00D0}ang"));
        assert!(has_diacritics("Ân"));
        assert!(!has_diacritics("Nguyen Van An"));
        assert!(!has_diacritics("H'Hen"));
        assert!(!has_diacritics(""));
    }

    #[test]
    fn split_names() {
        let p = split("  Nguyễn  Thị Thuý   Hoà ");
        assert_eq!(
            p,
            NameParts {
                family: "Nguyễn".into(),
                middle: "Thị Thuý".into(),
                given: "Hoà".into()
            }
        );
        let p = split("Lê Lợi");
        assert_eq!(
            (p.family.as_str(), p.middle.as_str(), p.given.as_str()),
            ("Lê", "", "Lợi")
        );
        let p = split("Thủy");
        assert_eq!((p.family.as_str(), p.given.as_str()), ("", "Thủy"));
        assert_eq!(split(""), NameParts::default());
    }

    /// Vietnamese-looking text: letters with every mark in both cases, in NFC or NFD, with
    /// spaces, Ð/ð, and a little punctuation.
    fn arb_vi_text() -> impl Strategy<Value = String> {
        let letters = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXYÐð";
        let alphabet: Vec<char> = letters.chars().collect();
        let piece = prop_oneof![
            8 => prop::sample::select(alphabet),
            3 => prop::sample::select(TONE_MARKS.to_vec()),
            1 => prop::sample::select(LETTER_MARKS.to_vec()),
            2 => Just(' '),
            1 => prop::sample::select(vec!['\t', '-', '\'', '\u{00A0}', '.', '1']),
        ];
        (prop::collection::vec(piece, 0..30), any::<bool>()).prop_map(|(cs, decomposed)| {
            let s: String = cs.into_iter().collect();
            if decomposed {
                s.nfd().collect()
            } else {
                s.nfc().collect()
            }
        })
    }

    proptest! {
        #[test]
        fn key_is_idempotent(s in arb_vi_text()) {
            let k = key(&s);
            prop_assert_eq!(key(&k), k.clone());
            prop_assert_eq!(key(&normalize(&s)), k.clone());
            prop_assert_eq!(normalize(&normalize(&s)), normalize(&s));
            prop_assert_eq!(k.nfc().collect::<String>(), k);
        }

        #[test]
        fn remembered_syllables_give_the_key_a_fresh_thread_computes(s in arb_vi_text()) {
            let warm = key(&s);
            prop_assert_eq!(key(&s), warm.clone());
            let text = s.clone();
            let cold = std::thread::spawn(move || key(&text)).join().unwrap();
            prop_assert_eq!(cold, warm);
        }

        #[test]
        fn key_ignores_case(s in arb_vi_text()) {
            prop_assert_eq!(key(&s.to_uppercase()), key(&s.to_lowercase()));
        }

        #[test]
        fn stripped_key_is_ascii_and_stable(s in arb_vi_text()) {
            let st = stripped_key(&s);
            prop_assert!(st.is_ascii());
            prop_assert!(!st.starts_with(' ') && !st.ends_with(' ') && !st.contains("  "));
            prop_assert!(!st.chars().any(|c| c.is_ascii_uppercase()));
            prop_assert_eq!(stripped_key(&key(&s)), st.clone());
            prop_assert_eq!(stripped_key(&st), st);
        }

        #[test]
        fn the_fast_path_agrees_with_full_normalisation(s in "[ \t\u{A0}a-zđĐÐðàáạảãâầấậẩẫăằắặẳẵ\u{300}\u{301}\u{303}\u{309}\u{323}\u{200B}]{0,12}") {
            prop_assert_eq!(normalize(&s), normalize_fully(&s));
        }

        #[test]
        fn anything_is_handled(s in "\\PC{0,30}") {
            let k = key(&s);
            prop_assert_eq!(key(&k), k);
            prop_assert!(stripped_key(&s).is_ascii());
            let _ = split(&s);
            let _ = has_diacritics(&s);
        }
    }
}
