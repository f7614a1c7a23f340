//! Is a word a plausible Vietnamese syllable? The test behind legacy-encoding detection: text
//! read in the wrong encoding is full of words no Vietnamese speaker could pronounce.
//!
//! A syllable is onset + rhyme + at most one tone mark. The onsets and rhymes are those of the
//! national orthography (the rhyme list covers native words and the common loan rhymes "oong",
//! "ooc"); the checks also apply the spelling rules k/gh/ngh before i, e, ê, y and c/g/ng
//! elsewhere, and that rhymes closed by p, t, c, ch take only the sắc or nặng tone. The tone
//! may sit on any vowel (old and new placement, and typos, are all accepted).

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

const ACUTE: char = '\u{301}';
const DOT_BELOW: char = '\u{323}';
const TONE_MARKS: [char; 5] = ['\u{300}', ACUTE, '\u{303}', '\u{309}', DOT_BELOW];
const LETTER_MARKS: [char; 3] = ['\u{302}', '\u{306}', '\u{31B}'];

/// Onsets, longest first so that "ngh" is tried before "ng" and "n".
const ONSETS: [&str; 27] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
];

/// Every rhyme (vần) without its tone, NFC.
const RHYMES: &[&str] = &[
    // Open rhymes and rhymes closed by a semivowel.
    "a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ia", "ua", "ưa", "oa", "oe", "uê", "uy",
    "uơ", "uya", "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "iu", "oi", "ôi", "ơi", "ui",
    "ưi", "ưu", "iêu", "yêu", "oai", "oay", "oao", "oeo", "uây", "uôi", "ươi", "ươu", "uyu",
    // Rhymes closed by a consonant.
    "am", "an", "ang", "anh", "ap", "at", "ac", "ach", "ăm", "ăn", "ăng", "ăp", "ăt", "ăc", "âm",
    "ân", "âng", "âp", "ât", "âc", "em", "en", "eng", "ep", "et", "ec", "êm", "ên", "ênh", "êp",
    "êt", "êch", "im", "in", "inh", "ip", "it", "ich", "om", "on", "ong", "op", "ot", "oc", "oong",
    "ooc", "ôm", "ôn", "ông", "ôp", "ôt", "ôc", "ơm", "ơn", "ơp", "ơt", "um", "un", "ung", "up",
    "ut", "uc", "ưm", "ưn", "ưng", "ưt", "ưc", "iêm", "iên", "iêng", "iêp", "iêt", "iêc", "yêm",
    "yên", "yêt", "uôm", "uôn", "uông", "uôt", "uôc", "ươm", "ươn", "ương", "ươp", "ươt", "ươc",
    "oam", "oan", "oang", "oanh", "oap", "oat", "oac", "oach", "oăm", "oăn", "oăng", "oăt", "oăc",
    "oem", "oen", "oet", "uân", "uâng", "uât", "uênh", "uêch", "uyn", "uynh", "uyt", "uych",
    "uyên", "uyêt",
];

fn is_vietnamese_letter(c: char) -> bool {
    matches!(
        c,
        'a' | 'ă'
            | 'â'
            | 'b'
            | 'c'
            | 'd'
            | 'đ'
            | 'e'
            | 'ê'
            | 'g'
            | 'h'
            | 'i'
            | 'k'
            | 'l'
            | 'm'
            | 'n'
            | 'o'
            | 'ô'
            | 'ơ'
            | 'p'
            | 'q'
            | 'r'
            | 's'
            | 't'
            | 'u'
            | 'ư'
            | 'v'
            | 'x'
            | 'y'
    )
}

/// Whether `word` (any case, NFC or NFD, no spaces) is one plausible Vietnamese syllable.
pub fn is_plausible_syllable(word: &str) -> bool {
    let mut bare = String::with_capacity(word.len());
    let mut tone = None;
    let mut tones = 0;
    let mut last_was_letter = false;
    for c in word.chars().flat_map(char::to_lowercase).nfd() {
        if TONE_MARKS.contains(&c) {
            tones += 1;
            tone = Some(c);
        } else if LETTER_MARKS.contains(&c) {
            if !last_was_letter {
                return false;
            }
            bare.push(c);
        } else if is_combining_mark(c) {
            return false;
        } else {
            bare.push(c);
            last_was_letter = true;
        }
    }
    if tones > 1 || bare.is_empty() {
        return false;
    }
    let bare: String = bare.nfc().collect();
    if !bare.chars().all(is_vietnamese_letter) {
        return false;
    }
    let onset = ONSETS
        .iter()
        .copied()
        .find(|o| bare.starts_with(o))
        .unwrap_or("");
    let rest = &bare[onset.len()..];
    if bare.starts_with('q') && onset != "qu" {
        return false;
    }
    let rhyme_owned;
    let rhyme: &str = match onset {
        // "gì", "gìn": the i is both part of the onset and the rhyme; "giếng" is gi + iêng.
        "gi" if rest.is_empty() || !rest.starts_with(is_vowel) => {
            rhyme_owned = format!("i{rest}");
            &rhyme_owned
        }
        "gi" if rest.starts_with('ê') => {
            rhyme_owned = format!("i{rest}");
            &rhyme_owned
        }
        _ => rest,
    };
    let known = |r: &str| !r.is_empty() && RHYMES.contains(&r);
    // After "qu" the u is a glide: "quỳnh" is qu + (u)ynh.
    if !(known(rhyme) || onset == "qu" && known(&format!("u{rhyme}"))) {
        return false;
    }
    let first = rhyme.chars().next().unwrap_or(' ');
    let front = matches!(first, 'i' | 'e' | 'ê' | 'y');
    let spelling_ok = match onset {
        "k" => front,
        "gh" | "ngh" => matches!(first, 'i' | 'e' | 'ê'),
        "c" | "g" | "ng" => !front,
        _ => true,
    };
    if !spelling_ok {
        return false;
    }
    let stopped = rhyme.ends_with(['p', 't', 'c']) || rhyme.ends_with("ch");
    !stopped || matches!(tone, Some(ACUTE | DOT_BELOW))
}

fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'ă' | 'â' | 'e' | 'ê' | 'i' | 'o' | 'ô' | 'ơ' | 'u' | 'ư' | 'y'
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Real syllables from names, places and ordinary words, in both tone placements.
    pub(crate) const REAL: &[&str] = &[
        "Nguyễn",
        "Văn",
        "An",
        "Trần",
        "Thị",
        "Hoa",
        "Lê",
        "Phạm",
        "Hoàng",
        "Huỳnh",
        "Vũ",
        "Võ",
        "Đặng",
        "Bùi",
        "Đỗ",
        "Hồ",
        "Ngô",
        "Dương",
        "Lý",
        "Lí",
        "Đức",
        "Thành",
        "Minh",
        "Hương",
        "Thuý",
        "Thúy",
        "Hoà",
        "Hòa",
        "Khoẻ",
        "Quý",
        "quả",
        "quốc",
        "quyết",
        "quyên",
        "giữa",
        "gì",
        "gìn",
        "giếng",
        "Nghiêm",
        "nghe",
        "nghỉ",
        "ghế",
        "kiên",
        "kỳ",
        "kỹ",
        "cường",
        "người",
        "Trường",
        "thôn",
        "xóm",
        "tổ",
        "ấp",
        "bản",
        "khu",
        "phố",
        "đội",
        "làng",
        "xã",
        "phường",
        "huyện",
        "tỉnh",
        "Yên",
        "yêu",
        "Tuyết",
        "khuya",
        "Uyên",
        "Oanh",
        "Khoa",
        "Toàn",
        "Ngoãn",
        "Xuân",
        "Thuận",
        "Huệ",
        "Quỳnh",
        "Huynh",
        "Chiến",
        "Thắng",
        "Lộc",
        "Phúc",
        "Bích",
        "Ngọc",
        "Ánh",
        "Ích",
        "Ước",
        "Khuê",
        "hoạch",
        "Tú",
        "Hà",
        "Nội",
        "Sài",
        "Gòn",
        "Ba",
        "Đình",
        "boong",
        "soóc",
        "nguệch",
        "khuỷu",
        "ngoằn",
        "Mỹ",
        "Thuỷ",
        "Thủy",
        "Nhung",
        "Dũng",
        "Hùng",
        "Mạnh",
        "Tuấn",
        "Phương",
        "Trang",
        "Thanh",
    ];

    #[test]
    fn real_syllables_pass() {
        for w in REAL {
            assert!(is_plausible_syllable(w), "{w}");
            assert!(is_plausible_syllable(&w.to_uppercase()), "{w} upper");
            let nfd: String = w.nfd().collect();
            assert!(is_plausible_syllable(&nfd), "{w} nfd");
        }
    }

    /// Ordinary administrative prose: every word must pass, or Unicode cells would look broken.
    #[test]
    fn ordinary_text_passes() {
        let text = "Căn cứ Luật Cư trú ngày mười ba tháng mười một năm hai nghìn không trăm hai \
            mươi, Ủy ban nhân dân xã thông báo danh sách hộ nghèo, hộ cận nghèo và đối tượng bảo \
            trợ xã hội được hưởng trợ cấp hằng tháng; người khuyết tật nặng, trẻ em mồ côi, \
            người cao tuổi không có lương hưu. Đề nghị các thôn, xóm, tổ dân phố, khu phố, ấp, \
            bản rà soát, đối chiếu với cơ sở dữ liệu quốc gia về dân cư, kịp thời điều chỉnh \
            thông tin sai lệch, bổ sung giấy tờ còn thiếu, báo cáo trước ngày hai lăm. Khuyến \
            khích nguyện vọng quyền lợi nghĩa vụ xoong nồi boong tàu khuỷu tay ngoẵng oái oăm \
            huơ tay khuya thuở xưa quạ kêu nghiêng ngả gượng gạo thuyền buồm chuyện trò.";
        for w in text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
        {
            assert!(is_plausible_syllable(w), "{w}");
        }
    }

    #[test]
    fn mojibake_and_foreign_words_fail() {
        for w in [
            "NguyÔn",
            "V¨n",
            "Nguyeãn",
            "Vaên",
            "Tröôøng",
            "nguyôn",
            "Müller",
            "Blí",
            "cê",
            "kan",
            "nge",
            "ghu",
            "ák",
            "ạt̀",
            "ạ́",
            "q",
            "qa",
            "Êban",
            "xyz",
            "",
            "3",
            "Lª",
            "ằt",
            "àt",
            "at",
            "Ngờ̀",
        ] {
            assert!(!is_plausible_syllable(w), "{w}");
        }
    }
}
