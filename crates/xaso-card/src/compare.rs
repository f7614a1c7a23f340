//! A scanned card beside the register's record: the screen at the commune desk.
//!
//! [`compare`] gives one row per field the card carries, each with both values ready to display
//! and a [`Verdict`]. The permanent address needs the most work: cards issued before 1 July 2025
//! print the old three-tier address ("Thôn Đông, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa"),
//! while the register keeps the code of the commune in force since then. [`read_card_address`]
//! finds the units named in the printed text and maps old communes to the current ones.
//!
//! Pure: no I/O, no clock. Notes and warnings come in English (`note`, `warnings`: the log, the
//! JSON API, the English screen) and Vietnamese (`note_vi`, `warnings_vi`: the officer pages),
//! built together; the structured fields (`field`, `verdict`, `current_units`) are there for
//! screens that say more.

use std::sync::OnceLock;

use serde::Serialize;
use xaso_domain::admin_units::{
    units, Commune, LegacyCommune, LegacyProvince, MergeKind, Province,
};
use xaso_domain::name::{self, stripped_key};
use xaso_domain::register::{Address, Person};
use xaso_domain::PartialDate;

use crate::CardQr;

/// How the card's value stands against the register's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Equal as written (after Unicode and blank normalisation).
    Same,
    /// Equal after normalisation: case or tone-mark placement in a name, a partial date on one
    /// side that agrees with the other, an old address of the same current commune. The note
    /// says which.
    Equivalent,
    /// The officer must look: the note says how, when it can.
    Differs,
    /// The card has a value, the register none.
    CardOnly,
    /// The register has a value, the card none.
    RegisterOnly,
}

/// One row of the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldComparison {
    /// Machine-readable field: "personal_id", "old_cmnd", "full_name", "date_of_birth", "sex",
    /// "permanent_address" or "issue_date".
    pub field: &'static str,
    /// The card's value as displayed (dates dd/mm/yyyy, sex "Nam"/"Nữ").
    pub card: Option<String>,
    /// The register's value as displayed.
    pub register: Option<String>,
    pub verdict: Verdict,
    /// Why the verdict is not plain ("old address; now Xã Thắng Lợi, Tỉnh Thanh Hóa").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The same note in Vietnamese ("Địa chỉ trước ngày 01/7/2025; nay là Xã Thắng Lợi, Tỉnh
    /// Thanh Hóa"); present exactly when `note` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note_vi: Option<String>,
    /// For the permanent address: the communes in force since 1 July 2025 the card's address
    /// lies in (several when the old commune was split).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub current_units: Vec<CurrentCommune>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardComparison {
    /// In card order; a field empty on both sides (no old CMND, no issue date) has no row.
    pub rows: Vec<FieldComparison>,
    /// For the officer's attention: the card's ID number disagreeing with its own date of birth
    /// or sex, a death recorded in the register.
    pub warnings: Vec<String>,
    /// `warnings` in Vietnamese, one for one and in the same order.
    pub warnings_vi: Vec<String>,
    /// Rows whose verdict is [`Verdict::Differs`].
    pub differing: usize,
    /// What the card's address was read as.
    pub address: AddressReading,
}

impl CardComparison {
    pub fn row(&self, field: &str) -> Option<&FieldComparison> {
        self.rows.iter().find(|r| r.field == field)
    }
}

/// Which administrative structure a printed address names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressStyle {
    /// A commune of the structure valid until 30 June 2025 (cards issued before July 2025).
    Legacy,
    /// A commune in force since 1 July 2025.
    Current,
    /// No commune found.
    Unrecognised,
}

/// An old commune named by an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyCommuneRef {
    pub code: String,
    /// With its type, e.g. "Xã Tế Lợi".
    pub name: String,
    pub district_name: String,
    pub province_code: String,
    pub province_name: String,
}

impl LegacyCommuneRef {
    fn of(c: &LegacyCommune) -> Self {
        LegacyCommuneRef {
            code: c.code.clone(),
            name: c.name.clone(),
            district_name: c.district_name.clone(),
            province_code: c.province_code.clone(),
            province_name: c.province_name.clone(),
        }
    }

    /// "Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa".
    pub fn full_name(&self) -> String {
        join_nonempty(&[&self.name, &self.district_name, &self.province_name])
    }
}

/// How a current commune was reached from the printed address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The address names it (a post-2025 address).
    Direct,
    /// The old commune went wholly into it.
    Whole,
    /// The old commune was split; part of it went into this one.
    Part,
}

/// A commune in force since 1 July 2025.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentCommune {
    pub code: String,
    /// With its type, e.g. "Xã Thắng Lợi".
    pub name: String,
    pub province_code: String,
    /// E.g. "Tỉnh Thanh Hóa".
    pub province_name: String,
    pub via: Via,
}

impl CurrentCommune {
    fn of(c: &Commune, via: Via) -> Self {
        CurrentCommune {
            code: c.code.clone(),
            name: c.name.clone(),
            province_code: c.province_code.clone(),
            province_name: units()
                .province(&c.province_code)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            via,
        }
    }
}

/// What a printed address was read as. Every field is empty when nothing matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressReading {
    pub style: AddressStyle,
    /// The parts before the commune (house, street, village), as printed; `None` when there are
    /// none or no commune was found.
    pub detail: Option<String>,
    /// The province as the lists spell it, new or old ("Tỉnh Kon Tum" on an old card).
    pub province: Option<String>,
    /// The old commune named. Several only when the printed names do not tell them apart (an
    /// address without province or district naming a common commune name).
    pub legacy_communes: Vec<LegacyCommuneRef>,
    /// The communes in force it lies in now: the one named (a new-style address) or the
    /// successors of the old one (several when it was split).
    pub current_communes: Vec<CurrentCommune>,
}

impl AddressReading {
    fn unrecognised(province: Option<String>) -> Self {
        AddressReading {
            style: AddressStyle::Unrecognised,
            detail: None,
            province,
            legacy_communes: Vec::new(),
            current_communes: Vec::new(),
        }
    }

    /// The old commune, when exactly one matched.
    pub fn legacy_commune(&self) -> Option<&LegacyCommuneRef> {
        match self.legacy_communes.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The current commune, when the address lies in exactly one.
    pub fn current_commune(&self) -> Option<&CurrentCommune> {
        match self.current_communes.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// "Xã Thắng Lợi, Tỉnh Thanh Hóa", or "Phường Bồ Đề, Phường Long Biên or Phường Việt Hưng,
    /// Thành phố Hà Nội" for a split commune; `None` when no commune matched.
    pub fn current_text(&self) -> Option<String> {
        units_text(&self.current_communes, OR_EN)
    }

    /// [`AddressReading::current_text`] in Vietnamese: "… Phường Long Biên hoặc Phường Việt
    /// Hưng, Thành phố Hà Nội".
    pub fn current_text_vi(&self) -> Option<String> {
        units_text(&self.current_communes, OR_VI)
    }
}

/// Type words before the name of a commune, on the tone-keeping key ([`name::key`]). Longer
/// first. Tone-less forms are tried separately, since "Xá"/"Xa" also start names.
const COMMUNE_PREFIXES: [&str; 10] = [
    "thị trấn ",
    "đặc khu ",
    "phường ",
    "xã ",
    "tt. ",
    "tt.",
    "p. ",
    "p.",
    "x. ",
    "x.",
];
const COMMUNE_PREFIXES_TONELESS: [&str; 7] =
    ["thi tran ", "dac khu ", "phuong ", "xa ", "tt ", "p ", "x "];
const DISTRICT_PREFIXES: [&str; 12] = [
    "huyện ",
    "quận ",
    "thị xã ",
    "thành phố ",
    "h. ",
    "h.",
    "q. ",
    "q.",
    "tx. ",
    "tx.",
    "tp. ",
    "tp.",
];
const DISTRICT_PREFIXES_TONELESS: [&str; 6] =
    ["huyen ", "quan ", "thi xa ", "thanh pho ", "tx ", "tp "];
/// On the stripped key: no province name starts with these words.
const PROVINCE_PREFIXES: [&str; 4] = ["thanh pho ", "tinh ", "tp ", "t "];
/// Other names of provinces seen on cards: the province's name before 2025, abbreviations.
const PROVINCE_ALIASES: [(&str, &str); 4] = [
    ("thua thien hue", "hue"),
    ("hcm", "ho chi minh"),
    ("tphcm", "ho chi minh"),
    ("sai gon", "ho chi minh"),
];

/// The stripped key of what follows one of `prefixes` on the tone-keeping key of `s`.
fn strip_toned(s: &str, prefixes: &[&str]) -> Option<String> {
    let k = name::key(s);
    prefixes.iter().find_map(|p| {
        let rest = stripped_key(k.strip_prefix(p)?);
        (!rest.is_empty()).then_some(rest)
    })
}

fn strip_toneless(key: &str, prefixes: &[&str]) -> Option<String> {
    prefixes.iter().find_map(|p| {
        let rest = key.strip_prefix(p)?.trim();
        (!rest.is_empty()).then(|| rest.to_owned())
    })
}

fn province_key(s: &str) -> String {
    let k = stripped_key(s);
    let k = strip_toneless(&k, &PROVINCE_PREFIXES).unwrap_or(k);
    match PROVINCE_ALIASES.iter().find(|(alias, _)| *alias == k) {
        Some((_, name)) => (*name).to_owned(),
        None => k,
    }
}

struct ProvinceKeys {
    new: Vec<(String, &'static Province)>,
    legacy: Vec<(String, &'static LegacyProvince)>,
}

fn province_keys() -> &'static ProvinceKeys {
    static KEYS: OnceLock<ProvinceKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let u = units();
        ProvinceKeys {
            new: u
                .provinces()
                .iter()
                .map(|p| (province_key(&p.name), p))
                .collect(),
            legacy: u
                .legacy_provinces()
                .iter()
                .map(|p| (province_key(&p.name), p))
                .collect(),
        }
    })
}

/// The bare keys a part may name a commune by, each with whether a type word said it is one.
fn commune_keys(part: &str) -> Vec<(String, bool)> {
    if let Some(bare) = strip_toned(part, &COMMUNE_PREFIXES) {
        return vec![(bare, true)];
    }
    let k = stripped_key(part);
    let mut out = Vec::new();
    if let Some(rest) = strip_toneless(&k, &COMMUNE_PREFIXES_TONELESS) {
        out.push((rest, true));
    }
    if !k.is_empty() {
        out.push((k, false));
    }
    out
}

fn is_number(key: &str) -> bool {
    key.bytes().all(|b| b.is_ascii_digit() || b == b' ')
}

/// The keys a printed district may be compared by.
fn district_keys(part: &str) -> Vec<String> {
    let k = stripped_key(part);
    let mut out = Vec::new();
    if let Some(bare) = strip_toned(part, &DISTRICT_PREFIXES) {
        out.push(bare);
    }
    if let Some(bare) = strip_toneless(&k, &DISTRICT_PREFIXES_TONELESS) {
        out.push(bare);
    }
    out.push(k);
    out
}

fn district_bare_key(district_name: &str) -> String {
    strip_toned(district_name, &DISTRICT_PREFIXES).unwrap_or_else(|| stripped_key(district_name))
}

/// What the address text's last part says about the province.
#[derive(Clone, Copy, Default)]
struct ProvinceMatch {
    new: Option<&'static Province>,
    legacy: Option<&'static LegacyProvince>,
}

impl ProvinceMatch {
    fn of(part: &str) -> ProvinceMatch {
        let key = province_key(part);
        let keys = province_keys();
        ProvinceMatch {
            new: keys.new.iter().find(|(k, _)| *k == key).map(|(_, p)| *p),
            legacy: keys.legacy.iter().find(|(k, _)| *k == key).map(|(_, p)| *p),
        }
    }

    fn is_some(&self) -> bool {
        self.new.is_some() || self.legacy.is_some()
    }

    fn name(&self) -> Option<String> {
        self.new
            .map(|p| p.name.clone())
            .or_else(|| self.legacy.map(|p| p.name.clone()))
    }

    /// Whether an old commune can lie in the province printed: in the old province of that
    /// name, or now in the new one.
    fn admits_legacy(&self, c: &LegacyCommune) -> bool {
        if !self.is_some() {
            return true;
        }
        self.legacy.is_some_and(|p| p.code == c.province_code)
            || self.new.is_some_and(|p| {
                units()
                    .successors(&c.code)
                    .iter()
                    .any(|(s, _)| s.province_code == p.code)
            })
    }

    fn admits_current(&self, c: &Commune) -> bool {
        if !self.is_some() {
            return true;
        }
        self.new.is_some_and(|p| p.code == c.province_code)
            || self.legacy.is_some_and(|p| {
                units()
                    .merges_into(&c.code)
                    .iter()
                    .any(|m| m.old_province_code == p.code)
            })
    }
}

/// Of several communes found tone-insensitively, those the printed name fits best: with its
/// type word and tones ("Thị trấn Yên Viên", not "Xã Yên Viên"; "Trực Hưng", not "Trực Hùng"),
/// else with its tones, else all.
fn narrow<'a, T>(found: Vec<&'a T>, part: &str, name_of: impl Fn(&T) -> &str) -> Vec<&'a T> {
    if found.len() < 2 {
        return found;
    }
    let full = name::key(part);
    let exact: Vec<&T> = found
        .iter()
        .copied()
        .filter(|c| name::key(name_of(c)) == full)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let bare = toned_bare(part);
    let toned: Vec<&T> = found
        .iter()
        .copied()
        .filter(|c| toned_bare(name_of(c)) == bare)
        .collect();
    if toned.is_empty() {
        found
    } else {
        toned
    }
}

/// The tone-keeping key without the type word: "Xã Trực Hưng" → "trực hưng".
fn toned_bare(s: &str) -> String {
    let k = name::key(s);
    COMMUNE_PREFIXES
        .iter()
        .find_map(|p| k.strip_prefix(p).map(str::trim).filter(|r| !r.is_empty()))
        .map(str::to_owned)
        .unwrap_or(k)
}

fn legacy_at(part: &str, province: &ProvinceMatch) -> Vec<&'static LegacyCommune> {
    let u = units();
    let mut out: Vec<&LegacyCommune> = Vec::new();
    for (bare, explicit) in commune_keys(part) {
        if is_number(&bare) && !explicit {
            continue; // "14" is a house number unless "Phường 14" is printed
        }
        // The lookup strips one type word itself, so give it one: a name may start with "Xa".
        for c in u.find_legacy_communes(&format!("xa {bare}"), None) {
            if province.admits_legacy(c) && !out.iter().any(|o| o.code == c.code) {
                out.push(c);
            }
        }
    }
    out
}

fn narrow_legacy(found: Vec<&'static LegacyCommune>, part: &str) -> Vec<&'static LegacyCommune> {
    narrow(found, part, |c| c.name.as_str())
}

fn current_at(part: &str, province: &ProvinceMatch) -> Vec<&'static Commune> {
    let u = units();
    let mut out: Vec<&Commune> = Vec::new();
    for (bare, explicit) in commune_keys(part) {
        if is_number(&bare) && !explicit {
            continue;
        }
        for c in u.find_communes(&format!("xa {bare}"), None) {
            if province.admits_current(c) && !out.iter().any(|o| o.code == c.code) {
                out.push(c);
            }
        }
    }
    narrow(out, part, |c| c.name.as_str())
}

fn district_confirms(part: Option<&String>, c: &LegacyCommune) -> bool {
    let Some(part) = part else { return false };
    let want = district_bare_key(&c.district_name);
    !want.is_empty() && district_keys(part).contains(&want)
}

/// Reads the permanent address printed on a card: the detail (house, village), the province,
/// the old commune (cards issued before 1 July 2025) and the current commune(s) it lies in.
/// Names are matched tone- and case-insensitively, with or without their type words ("Tỉnh",
/// "Thành phố", "TP.", "Huyện", "Quận", "Thị xã", "Xã", "Phường", "Thị trấn", "Đặc khu" and
/// their abbreviations). Any text is accepted; what cannot be read is left empty.
pub fn read_card_address(text: &str) -> AddressReading {
    let normalized = name::normalize(text);
    let mut parts: Vec<String> = normalized
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    while parts
        .last()
        .is_some_and(|p| matches!(stripped_key(p).as_str(), "viet nam" | "vietnam" | "vn"))
    {
        parts.pop();
    }

    let last = parts
        .last()
        .map(|p| ProvinceMatch::of(p))
        .unwrap_or_default();
    let (province, end) = if last.is_some() {
        (last, parts.len() - 1)
    } else {
        (ProvinceMatch::default(), parts.len())
    };
    let units_before = &parts[..end];

    // Old style with its district: "…, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa", also when
    // a new commune carries the old district's name (Xã Nông Cống).
    let legacy_with_district = |i: usize| -> Vec<&'static LegacyCommune> {
        let Some(part) = units_before.get(i) else {
            return Vec::new();
        };
        let confirmed = legacy_at(part, &province)
            .into_iter()
            .filter(|c| district_confirms(units_before.get(i + 1), c))
            .collect();
        narrow_legacy(confirmed, part)
    };
    let found = |i: usize, legacy: Vec<&'static LegacyCommune>, current: Vec<&'static Commune>| {
        let detail = (i > 0).then(|| parts[..i].join(", "));
        if !legacy.is_empty() {
            from_legacy(detail, province.name(), &legacy)
        } else {
            AddressReading {
                style: AddressStyle::Current,
                detail,
                province: province.name(),
                legacy_communes: Vec::new(),
                current_communes: current
                    .into_iter()
                    .map(|c| CurrentCommune::of(c, Via::Direct))
                    .collect(),
            }
        }
    };

    if end >= 2 {
        let legacy = legacy_with_district(end - 2);
        if !legacy.is_empty() {
            return found(end - 2, legacy, Vec::new());
        }
    }
    // A part printed with a district's type word is no commune, even when a new commune now
    // bears that district's name.
    let is_district = |p: &str| strip_toned(p, &DISTRICT_PREFIXES).is_some();
    if end >= 1 && !is_district(&units_before[end - 1]) {
        // Next to the province: a new commune ("…, Xã Thắng Lợi, Tỉnh Thanh Hóa"), else an old
        // one printed without its district.
        let part = &units_before[end - 1];
        let current = current_at(part, &province);
        if !current.is_empty() {
            return found(end - 1, Vec::new(), current);
        }
        let legacy = narrow_legacy(legacy_at(part, &province), part);
        if !legacy.is_empty() {
            return found(end - 1, legacy, Vec::new());
        }
    }
    // Anything else: the rightmost part that names a commune (trailing words, a missing part).
    for i in (0..end.saturating_sub(1)).rev() {
        let legacy = legacy_with_district(i);
        if !legacy.is_empty() {
            return found(i, legacy, Vec::new());
        }
        if is_district(&units_before[i]) {
            continue;
        }
        let current = current_at(&units_before[i], &province);
        if !current.is_empty() {
            return found(i, Vec::new(), current);
        }
        let legacy = narrow_legacy(legacy_at(&units_before[i], &province), &units_before[i]);
        if !legacy.is_empty() {
            return found(i, legacy, Vec::new());
        }
    }
    AddressReading::unrecognised(province.name())
}

fn from_legacy(
    detail: Option<String>,
    province: Option<String>,
    legacy: &[&LegacyCommune],
) -> AddressReading {
    let u = units();
    let mut current: Vec<CurrentCommune> = Vec::new();
    for c in legacy {
        for (s, kind) in u.successors(&c.code) {
            if !current.iter().any(|x| x.code == s.code) {
                let via = match kind {
                    MergeKind::Whole => Via::Whole,
                    MergeKind::Part => Via::Part,
                };
                current.push(CurrentCommune::of(s, via));
            }
        }
    }
    AddressReading {
        style: AddressStyle::Legacy,
        detail,
        province,
        legacy_communes: legacy.iter().map(|c| LegacyCommuneRef::of(c)).collect(),
        current_communes: current,
    }
}

fn join_nonempty(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

const OR_EN: &str = "or";
const OR_VI: &str = "hoặc";

/// "A, Tỉnh X"; "A, B or C, Tỉnh X"; "A, Tỉnh X or B, Tỉnh Y" (`or` is the language's word).
fn units_text(units: &[CurrentCommune], or: &str) -> Option<String> {
    let first = units.first()?;
    if units.iter().all(|c| c.province_code == first.province_code) {
        let names: Vec<&str> = units.iter().map(|c| c.name.as_str()).collect();
        Some(join_nonempty(&[&or_list(&names, or), &first.province_name]))
    } else {
        let each: Vec<String> = units
            .iter()
            .map(|c| join_nonempty(&[&c.name, &c.province_name]))
            .collect();
        let each: Vec<&str> = each.iter().map(String::as_str).collect();
        Some(or_list(&each, or))
    }
}

fn or_list(items: &[&str], or: &str) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} {or} {last}", init.join(", ")),
    }
}

/// A note in both languages. The Vietnamese may start as a clause (lowercase) to be joined to
/// others; the row gets it as a sentence.
#[derive(Debug, Clone)]
struct Note {
    en: String,
    vi: String,
}

impl Note {
    fn new(en: impl Into<String>, vi: impl Into<String>) -> Self {
        Note {
            en: en.into(),
            vi: vi.into(),
        }
    }

    /// "a; b" in both languages.
    fn then(self, other: &Note) -> Note {
        Note {
            en: format!("{}; {}", self.en, other.en),
            vi: format!("{}; {}", self.vi, other.vi),
        }
    }
}

/// The first letter in capitals: a clause made a sentence.
fn capitalize_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The first letter in lower case, unless the first word is an abbreviation ("CMND"): a
/// sentence made a clause.
fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.clone().next()) {
        (Some(first), second) if !second.is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => s.to_owned(),
    }
}

impl FieldComparison {
    fn set_note(&mut self, note: Option<Note>) {
        let (en, vi) = match note {
            Some(n) => (Some(n.en), Some(capitalize_first(&n.vi))),
            None => (None, None),
        };
        self.note = en;
        self.note_vi = vi;
    }
}

fn vi_date(d: &PartialDate) -> String {
    d.to_vi()
}

fn row(
    field: &'static str,
    card: Option<String>,
    register: Option<String>,
    verdict: Verdict,
    note: Option<Note>,
) -> FieldComparison {
    let mut out = FieldComparison {
        field,
        card,
        register,
        verdict,
        note: None,
        note_vi: None,
        current_units: Vec::new(),
    };
    out.set_note(note);
    out
}

/// Compares a scanned card with the register's record of the person.
pub fn compare(card: &CardQr, person: &Person) -> CardComparison {
    let mut rows = Vec::new();

    let same_id = card.personal_id == person.personal_id;
    rows.push(row(
        "personal_id",
        Some(card.personal_id.to_string()),
        Some(person.personal_id.to_string()),
        if same_id {
            Verdict::Same
        } else {
            Verdict::Differs
        },
        (!same_id).then(|| {
            Note::new(
                "the card carries another personal ID number",
                format!(
                    "thẻ mang số định danh khác ({} trên thẻ, {} trong cơ sở dữ liệu)",
                    card.personal_id, person.personal_id
                ),
            )
        }),
    ));

    let card_cmnd = card.old_cmnd.as_ref().map(ToString::to_string);
    let reg_cmnd = person.old_cmnd.as_ref().map(ToString::to_string);
    let cmnd_verdict = match (&card_cmnd, &reg_cmnd) {
        (None, None) => None,
        (Some(a), Some(b)) if a == b => Some(Verdict::Same),
        (Some(_), Some(_)) => Some(Verdict::Differs),
        (Some(_), None) => Some(Verdict::CardOnly),
        (None, Some(_)) => Some(Verdict::RegisterOnly),
    };
    if let Some(v) = cmnd_verdict {
        rows.push(row("old_cmnd", card_cmnd, reg_cmnd, v, None));
    }

    rows.push(compare_name(&card.full_name, &person.full_name));
    rows.push(compare_dob(
        &card.date_of_birth,
        person.date_of_birth.as_ref(),
    ));

    let card_sex = card.sex.label_vi().to_owned();
    rows.push(match person.sex {
        None => row("sex", Some(card_sex), None, Verdict::CardOnly, None),
        Some(s) => row(
            "sex",
            Some(card_sex),
            Some(s.label_vi().to_owned()),
            if s == card.sex {
                Verdict::Same
            } else {
                Verdict::Differs
            },
            None,
        ),
    });

    let reading = read_card_address(&card.permanent_address);
    rows.push(compare_address(
        &card.permanent_address,
        &reading,
        &person.permanent_address,
    ));

    if let Some(d) = card.issue_date {
        rows.push(row(
            "issue_date",
            Some(vi_date(&PartialDate::Full(d))),
            None,
            Verdict::CardOnly,
            None,
        ));
    }

    let mut warnings: Vec<String> = card
        .id_mismatches
        .iter()
        .map(|m| format!("on the card, {m}"))
        .collect();
    let mut warnings_vi: Vec<String> = card
        .id_mismatches_vi()
        .iter()
        .map(|m| format!("Trên thẻ, {}", lowercase_first(m)))
        .collect();
    if let Some(death) = &person.death_date {
        warnings.push(format!(
            "the register records this person as deceased ({})",
            vi_date(death)
        ));
        warnings_vi.push(format!(
            "Theo cơ sở dữ liệu, người này đã mất ({})",
            vi_date(death)
        ));
    }
    let differing = rows
        .iter()
        .filter(|r| r.verdict == Verdict::Differs)
        .count();
    CardComparison {
        rows,
        warnings,
        warnings_vi,
        differing,
        address: reading,
    }
}

fn compare_name(card: &str, register: &str) -> FieldComparison {
    let (c, r) = (name::normalize(card), name::normalize(register));
    let (verdict, note) = if r.is_empty() {
        (Verdict::CardOnly, None)
    } else if c == r {
        (Verdict::Same, None)
    } else if name::key(&c) == name::key(&r) {
        (
            Verdict::Equivalent,
            Some(Note::new(
                "the same name written with another case or tone-mark placement",
                "cùng một tên, chỉ khác chữ hoa, chữ thường hoặc vị trí đặt dấu thanh",
            )),
        )
    } else if stripped_key(&c) == stripped_key(&r) {
        (
            Verdict::Differs,
            Some(Note::new(
                "the names differ only in their diacritics",
                "hai tên chỉ khác nhau ở dấu",
            )),
        )
    } else {
        (Verdict::Differs, None)
    };
    row(
        "full_name",
        Some(c),
        (!r.is_empty()).then_some(r),
        verdict,
        note,
    )
}

fn precision(d: &PartialDate) -> &'static str {
    match d {
        PartialDate::Full(_) => "the full date",
        PartialDate::YearMonth { .. } => "only the month and year",
        PartialDate::Year(_) => "only the year",
    }
}

fn precision_vi(d: &PartialDate) -> &'static str {
    match d {
        PartialDate::Full(_) => "ghi đủ ngày, tháng, năm sinh",
        PartialDate::YearMonth { .. } => "chỉ ghi tháng và năm sinh",
        PartialDate::Year(_) => "chỉ ghi năm sinh",
    }
}

fn compare_dob(card: &PartialDate, register: Option<&PartialDate>) -> FieldComparison {
    let Some(reg) = register else {
        return row(
            "date_of_birth",
            Some(vi_date(card)),
            None,
            Verdict::CardOnly,
            None,
        );
    };
    let (verdict, note) = if card == reg {
        (Verdict::Same, None)
    } else if card.is_compatible_with(reg) {
        let note = if matches!(card, PartialDate::Full(_)) {
            Note::new(
                format!("the register knows {}", precision(reg)),
                format!("cơ sở dữ liệu {} ({})", precision_vi(reg), vi_date(reg)),
            )
        } else {
            Note::new(
                format!("the card gives {}", precision(card)),
                format!("thẻ {} ({})", precision_vi(card), vi_date(card)),
            )
        };
        (Verdict::Equivalent, Some(note))
    } else {
        let swapped = match (card.full(), reg.full()) {
            (Some(c), Some(r)) => {
                c.year() == r.year()
                    && c.day() == u8::from(r.month())
                    && u8::from(c.month()) == r.day()
            }
            _ => false,
        };
        let note = if swapped {
            Some(Note::new(
                "day and month are swapped",
                format!(
                    "ngày và tháng bị đảo chỗ cho nhau ({} trên thẻ, {} trong cơ sở dữ liệu)",
                    vi_date(card),
                    vi_date(reg)
                ),
            ))
        } else if card.year() != reg.year() {
            Some(Note::new(
                format!(
                    "the years differ ({} on the card, {} in the register)",
                    card.year(),
                    reg.year()
                ),
                format!(
                    "năm sinh khác nhau ({} trên thẻ, {} trong cơ sở dữ liệu)",
                    card.year(),
                    reg.year()
                ),
            ))
        } else {
            None
        };
        (Verdict::Differs, note)
    };
    row(
        "date_of_birth",
        Some(vi_date(card)),
        Some(vi_date(reg)),
        verdict,
        note,
    )
}

/// The register's address as displayed: "Thôn 1, Xã Thắng Lợi, Tỉnh Thanh Hóa".
pub fn register_address_text(address: &Address) -> Option<String> {
    let u = units();
    let detail = address.detail.as_deref().map(name::normalize);
    let unit = address.commune_code.as_deref().map(|code| {
        match u.commune(code) {
            Some(c) => join_nonempty(&[
                &c.name,
                u.province(&c.province_code)
                    .map(|p| p.name.as_str())
                    .unwrap_or(""),
            ]),
            None => code.trim().to_owned(), // shown as stored; the record's checks flag it
        }
    });
    let text = join_nonempty(&[
        detail.as_deref().unwrap_or(""),
        unit.as_deref().unwrap_or(""),
    ]);
    (!text.is_empty()).then_some(text)
}

fn detail_key(detail: &str) -> String {
    detail
        .split([',', ';'])
        .map(|p| name::key(p).trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The register address as the communes in force it names and its detail.
fn register_units(address: &Address) -> (Vec<String>, Option<String>) {
    let detail = address
        .detail
        .as_deref()
        .map(name::normalize)
        .filter(|d| !d.is_empty());
    match (&address.commune_code, &detail) {
        (Some(code), Some(d)) => {
            // A detail that repeats the units ("Thôn 1, Xã Thắng Lợi") compares by its detail.
            let code = code.trim().to_owned();
            let r = read_card_address(d);
            if r.current_communes.iter().any(|c| c.code == code) {
                (vec![code], r.detail)
            } else {
                (vec![code], detail)
            }
        }
        (Some(code), None) => (vec![code.trim().to_owned()], None),
        (None, Some(d)) => {
            // Free text, as a card prefilled it: read it like a card.
            let r = read_card_address(d);
            if r.current_communes.is_empty() {
                (Vec::new(), detail)
            } else {
                (
                    r.current_communes.into_iter().map(|c| c.code).collect(),
                    r.detail,
                )
            }
        }
        (None, None) => (Vec::new(), None),
    }
}

fn compare_address(
    card_text: &str,
    reading: &AddressReading,
    register: &Address,
) -> FieldComparison {
    let card_display = name::normalize(card_text);
    let reg_display = register_address_text(register);
    let mut out = row(
        "permanent_address",
        (!card_display.is_empty()).then(|| card_display.clone()),
        reg_display.clone(),
        Verdict::Differs,
        None,
    );
    out.current_units = reading.current_communes.clone();
    let old_note = || legacy_note(reading);

    let Some(reg_display) = reg_display else {
        out.verdict = Verdict::CardOnly;
        out.set_note(match reading.style {
            AddressStyle::Legacy => Some(old_note()),
            _ => None,
        });
        return out;
    };
    if out.card.is_none() {
        out.verdict = Verdict::RegisterOnly;
        return out;
    }
    if name::key(&card_display) == name::key(&reg_display) {
        out.verdict = Verdict::Same;
        return out;
    }

    let (reg_codes, reg_detail) = register_units(register);
    let in_same_commune = reading
        .current_communes
        .iter()
        .any(|c| reg_codes.contains(&c.code));
    if !in_same_commune {
        let note = match (
            reading.current_text(),
            reading.current_text_vi(),
            reading.style,
        ) {
            (None, _, AddressStyle::Legacy) => {
                let old: Vec<String> = reading
                    .legacy_communes
                    .iter()
                    .map(LegacyCommuneRef::full_name)
                    .collect();
                let old: Vec<&str> = old.iter().map(String::as_str).collect();
                Note::new(
                    format!(
                        "the old commune {} has no successor in the official table",
                        or_list(&old, OR_EN)
                    ),
                    format!(
                        "không tìm thấy đơn vị hành chính mới của {} trong bảng sắp xếp chính thức",
                        or_list(&old, OR_VI)
                    ),
                )
            }
            (None, _, _) => Note::new(
                "the card's address names no commune of the official lists",
                "địa chỉ trên thẻ không nêu xã/phường nào có trong danh mục chính thức",
            ),
            (Some(_), _, AddressStyle::Legacy) => old_note().then(&Note::new(
                "not the register's commune",
                "không phải xã/phường trong cơ sở dữ liệu",
            )),
            (Some(now), now_vi, _) => Note::new(
                format!("the card's address is in {now}, not the register's commune"),
                format!(
                    "địa chỉ trên thẻ thuộc {}, không phải xã/phường trong cơ sở dữ liệu",
                    now_vi.unwrap_or_default()
                ),
            ),
        };
        out.set_note(Some(note));
        return out;
    }

    let detail_note = match (&reading.detail, &reg_detail) {
        (Some(c), Some(r)) if detail_key(c) != detail_key(r) => {
            out.set_note(Some(Note::new(
                format!("same commune, but the card says {c:?} and the register {r:?}"),
                format!("cùng xã/phường, nhưng thẻ ghi {c:?} còn cơ sở dữ liệu ghi {r:?}"),
            )));
            return out;
        }
        (Some(_), None) => Some(Note::new(
            "the register has no house or village",
            "cơ sở dữ liệu chưa ghi số nhà, thôn/xóm",
        )),
        (None, Some(_)) => Some(Note::new(
            "the card gives no house or village",
            "thẻ không ghi số nhà, thôn/xóm",
        )),
        _ => None,
    };
    let split_note = (reading.current_communes.len() > 1).then(|| {
        Note::new(
            "the register's commune is one of these",
            "xã/phường trong cơ sở dữ liệu là một trong các đơn vị này",
        )
    });
    let extras = [split_note, detail_note].into_iter().flatten();
    match reading.style {
        AddressStyle::Legacy => {
            out.verdict = Verdict::Equivalent;
            out.set_note(Some(
                extras.fold(old_note(), |note, extra| note.then(&extra)),
            ));
        }
        _ => {
            let note = extras.reduce(|note, extra| note.then(&extra));
            out.verdict = if note.is_some() {
                Verdict::Equivalent
            } else {
                Verdict::Same
            };
            out.set_note(note);
        }
    }
    out
}

/// "old address; Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa is now Xã Thắng Lợi, Tỉnh Thanh Hóa".
fn legacy_note(reading: &AddressReading) -> Note {
    let now = reading.current_text().unwrap_or_default();
    let now_vi = reading.current_text_vi().unwrap_or_default();
    const OLD_VI: &str = "địa chỉ trước ngày 01/7/2025";
    match reading.legacy_commune() {
        Some(old) if reading.current_communes.len() > 1 => Note::new(
            format!(
                "old address; {} was split and is now {now}",
                old.full_name()
            ),
            format!(
                "{OLD_VI}; {} đã được chia tách, nay thuộc {now_vi}",
                old.full_name()
            ),
        ),
        Some(old) => Note::new(
            format!("old address; {} is now {now}", old.full_name()),
            format!("{OLD_VI}; {} nay là {now_vi}", old.full_name()),
        ),
        None => Note::new(
            format!("old address; now {now}"),
            format!("{OLD_VI}; nay là {now_vi}"),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse_qr;
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;
    use xaso_domain::{PersonalId, Sex};

    fn codes(r: &AddressReading) -> Vec<&str> {
        r.current_communes.iter().map(|c| c.code.as_str()).collect()
    }

    fn legacy_codes(r: &AddressReading) -> Vec<&str> {
        r.legacy_communes.iter().map(|c| c.code.as_str()).collect()
    }

    #[test]
    fn reads_an_old_address_with_district() {
        // The brief's example: Xã Thắng Lợi of Văn Giang (Hưng Yên), now in Xã Mễ Sở.
        let r = read_card_address("Thôn Đông, Xã Thắng Lợi, Huyện Văn Giang, Tỉnh Hưng Yên");
        assert_eq!(r.style, AddressStyle::Legacy);
        assert_eq!(r.detail.as_deref(), Some("Thôn Đông"));
        assert_eq!(r.province.as_deref(), Some("Tỉnh Hưng Yên"));
        assert_eq!(legacy_codes(&r), ["12046"]);
        let old = r.legacy_commune().unwrap();
        assert_eq!(old.name, "Xã Thắng Lợi");
        assert_eq!(old.district_name, "Huyện Văn Giang");
        assert_eq!(old.province_name, "Tỉnh Hưng Yên");
        assert_eq!(codes(&r), ["12049"]);
        let now = r.current_commune().unwrap();
        assert_eq!(
            (now.name.as_str(), now.province_name.as_str(), now.via),
            ("Xã Mễ Sở", "Tỉnh Hưng Yên", Via::Whole)
        );
        assert_eq!(r.current_text().as_deref(), Some("Xã Mễ Sở, Tỉnh Hưng Yên"));
    }

    #[test]
    fn the_demo_commune_and_its_four_predecessors() {
        let u = units();
        let mut pred: Vec<&str> = u
            .predecessors("16309")
            .iter()
            .map(|(c, _)| c.code.as_str())
            .collect();
        pred.sort_unstable();
        assert_eq!(pred, ["16303", "16309", "16315", "16318"]);
        for (name, code) in [
            ("Xã Trung Thành", "16303"),
            ("Xã Tế Thắng", "16309"),
            ("Xã Tế Lợi", "16315"),
            ("Xã Tế Nông", "16318"),
        ] {
            let text = format!("Thôn 2, {name}, Huyện Nông Cống, Tỉnh Thanh Hóa");
            let r = read_card_address(&text);
            assert_eq!(legacy_codes(&r), [code], "{text}");
            assert_eq!(codes(&r), ["16309"], "{text}");
            assert_eq!(
                r.current_text().as_deref(),
                Some("Xã Thắng Lợi, Tỉnh Thanh Hóa")
            );
        }
    }

    #[test]
    fn the_old_district_is_not_taken_for_a_new_commune() {
        // MISSION.md's example, without type words. Xã Nông Cống (16279) exists since 2025;
        // here "Nông Cống" is Tế Lợi's old district.
        assert_eq!(
            units().commune("16279").map(|c| c.name.as_str()),
            Some("Xã Nông Cống")
        );
        let r = read_card_address("Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa");
        assert_eq!(legacy_codes(&r), ["16315"]);
        assert_eq!(codes(&r), ["16309"]);
        assert_eq!(r.detail.as_deref(), Some("Thôn 3"));
        // Abbreviations, capitals, decomposed Unicode, other tone placement, a trailing
        // country, no detail.
        for text in [
            "Thôn 3, X. Tế Lợi, H. Nông Cống, T. Thanh Hóa",
            "THÔN 3, XÃ TẾ LỢI, HUYỆN NÔNG CỐNG, TỈNH THANH HOÁ",
            "Tho\u{302}n 3, Xa\u{303} Te\u{302}\u{301} Lo\u{31b}\u{323}i, Huye\u{323}\u{302}n No\u{302}ng Co\u{302}\u{301}ng, Thanh Hóa",
            "Thôn 3 , Xã Tế Lợi ,Huyện Nông Cống, Tỉnh Thanh Hóa, Việt Nam",
            "Thon 3, Xa Te Loi, Huyen Nong Cong, Tinh Thanh Hoa",
        ] {
            let r = read_card_address(text);
            assert_eq!(legacy_codes(&r), ["16315"], "{text}");
            assert_eq!(r.detail.as_deref().map(stripped_key), Some("thon 3".into()), "{text}");
        }
        // A district that does not fit (mistyped, renamed) is not taken for the new commune
        // named after it (Xã Như Thanh, 16228).
        let r = read_card_address("Thôn 3, Xã Tế Lợi, Huyện Như Thanh, Tỉnh Thanh Hóa");
        assert_eq!(legacy_codes(&r), ["16315"]);
        assert_eq!(r.detail.as_deref(), Some("Thôn 3"));
        let r = read_card_address("Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa");
        assert_eq!(legacy_codes(&r), ["16315"]);
        assert_eq!(r.detail, None);
        // The old town of the district, now in the new Xã Nông Cống.
        let r = read_card_address("Khu 1, Thị trấn Nông Cống, Huyện Nông Cống, Tỉnh Thanh Hóa");
        assert_eq!(legacy_codes(&r), ["16279"]);
        assert_eq!(codes(&r), ["16279"]);
    }

    #[test]
    fn reads_a_new_style_address() {
        let r = read_card_address("Thôn Đông, Xã Thắng Lợi, Tỉnh Thanh Hóa");
        assert_eq!(r.style, AddressStyle::Current);
        assert!(r.legacy_communes.is_empty());
        assert_eq!(codes(&r), ["16309"]);
        assert_eq!(r.current_communes[0].via, Via::Direct);
        assert_eq!(r.detail.as_deref(), Some("Thôn Đông"));
        let r = read_card_address("Số 5, Phường Ba Đình, TP. Hà Nội");
        assert_eq!(codes(&r), ["00004"]);
        assert_eq!(r.province.as_deref(), Some("Thành phố Hà Nội"));
        assert_eq!(r.detail.as_deref(), Some("Số 5"));
    }

    #[test]
    fn an_old_province_that_is_gone() {
        // Kon Tum merged into Quảng Ngãi: the old ward is now Phường Kon Tum (23293).
        let r = read_card_address("Tổ 4, Phường Thắng Lợi, Thành phố Kon Tum, Tỉnh Kon Tum");
        assert_eq!(legacy_codes(&r), ["23293"]);
        assert_eq!(r.province.as_deref(), Some("Tỉnh Kon Tum"));
        let now = r.current_commune().unwrap();
        assert_eq!(now.name, "Phường Kon Tum");
        assert_eq!(now.province_name, "Tỉnh Quảng Ngãi");
        // Before 2025 Huế was "Tỉnh Thừa Thiên Huế" on cards.
        let r = read_card_address("Phường Vỹ Dạ, Quận Thuận Hóa, Tỉnh Thừa Thiên Huế");
        assert_eq!(legacy_codes(&r), ["19777"]);
        assert_eq!(r.province.as_deref(), Some("Thành phố Huế"));
    }

    #[test]
    fn a_split_commune_lists_every_successor() {
        let r = read_card_address("Số 12, Phường Bồ Đề, Quận Long Biên, Thành phố Hà Nội");
        assert_eq!(legacy_codes(&r), ["00139"]);
        let mut c = codes(&r);
        c.sort_unstable();
        assert_eq!(c, ["00097", "00118", "00145"]);
        assert!(r.current_communes.iter().all(|c| c.via == Via::Part));
        let text = r.current_text().unwrap();
        assert!(
            text.contains(" or ") && text.ends_with(", Thành phố Hà Nội"),
            "{text}"
        );
    }

    #[test]
    fn numbers_are_house_numbers_unless_typed_as_wards() {
        // "14" alone must not be read as some Phường 14.
        let r = read_card_address("14, Xã Thắng Lợi, Tỉnh Thanh Hóa");
        assert_eq!(codes(&r), ["16309"]);
        assert_eq!(r.detail.as_deref(), Some("14"));
        let r = read_card_address("14");
        assert_eq!(r.style, AddressStyle::Unrecognised);
    }

    #[test]
    fn unreadable_addresses_leave_everything_empty() {
        for text in [
            "",
            " , ,",
            "Không rõ",
            "123 Main Street, Springfield",
            "|||",
        ] {
            let r = read_card_address(text);
            assert_eq!(r.style, AddressStyle::Unrecognised, "{text}");
            assert!(r.legacy_communes.is_empty() && r.current_communes.is_empty());
            assert_eq!(r.detail, None);
            assert_eq!(r.current_text(), None);
        }
        // A province alone is read, and nothing else.
        let r = read_card_address("Nơi nào đó, Tỉnh Thanh Hóa");
        assert_eq!(r.style, AddressStyle::Unrecognised);
        assert_eq!(r.province.as_deref(), Some("Tỉnh Thanh Hóa"));
    }

    #[test]
    fn every_unit_of_the_lists_reads_back() {
        let u = units();
        let mut ambiguous = Vec::new();
        for c in u.legacy_communes() {
            let text = format!(
                "Thôn 1, {}, {}, {}",
                c.name, c.district_name, c.province_name
            );
            let r = read_card_address(&text);
            assert_eq!(r.style, AddressStyle::Legacy, "{text}");
            assert!(legacy_codes(&r).contains(&c.code.as_str()), "{text}: {r:?}");
            assert_eq!(r.detail.as_deref(), Some("Thôn 1"), "{text}");
            if r.legacy_communes.len() > 1 {
                ambiguous.push(text);
            }
        }
        // Only the same name twice in one district stays ambiguous: Xã Đông Khê (Thanh Hóa)
        // has two codes in the list.
        assert_eq!(
            ambiguous,
            ["Thôn 1, Xã Đông Khê, Thành phố Thanh Hóa, Tỉnh Thanh Hóa"; 2]
        );
        for c in u.communes() {
            let province = &u.province(&c.province_code).unwrap().name;
            let text = format!("Thôn 1, {}, {province}", c.name);
            let r = read_card_address(&text);
            assert_eq!(r.style, AddressStyle::Current, "{text}");
            assert_eq!(codes(&r), [c.code.as_str()], "{text}");
        }
    }

    const CARD: &str = "038195001234|173456789|Lê Thị Hoà|07031995|Nữ|Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa|15082021";

    fn person() -> Person {
        let mut p = Person::new(PersonalId::parse("038195001234").unwrap(), "Lê Thị Hoà");
        p.old_cmnd = Some(xaso_domain::Cmnd::parse("173456789").unwrap());
        p.date_of_birth = Some(PartialDate::from_ymd(1995, 3, 7).unwrap());
        p.sex = Some(Sex::Female);
        p.permanent_address = Address {
            detail: Some("Thôn 2".into()),
            commune_code: Some("16309".into()),
        };
        p
    }

    fn verdicts(c: &CardComparison) -> Vec<(&str, Verdict)> {
        c.rows.iter().map(|r| (r.field, r.verdict)).collect()
    }

    /// Every note and warning has its Vietnamese twin.
    fn assert_twins(c: &CardComparison) {
        for r in &c.rows {
            assert_eq!(r.note.is_some(), r.note_vi.is_some(), "{r:?}");
            if let (Some(en), Some(vi)) = (&r.note, &r.note_vi) {
                assert_vi(en, vi);
                assert!(vi.starts_with(|ch: char| !ch.is_lowercase()), "{vi}");
            }
        }
        assert_eq!(c.warnings.len(), c.warnings_vi.len(), "{c:?}");
        for (en, vi) in c.warnings.iter().zip(&c.warnings_vi) {
            assert_vi(en, vi);
        }
    }

    #[test]
    fn a_matching_card_with_an_old_address() {
        let c = compare(&parse_qr(CARD).unwrap(), &person());
        assert_eq!(
            verdicts(&c),
            [
                ("personal_id", Verdict::Same),
                ("old_cmnd", Verdict::Same),
                ("full_name", Verdict::Same),
                ("date_of_birth", Verdict::Same),
                ("sex", Verdict::Same),
                ("permanent_address", Verdict::Equivalent),
                ("issue_date", Verdict::CardOnly),
            ]
        );
        assert_eq!(c.differing, 0);
        assert!(c.warnings.is_empty());
        let a = c.row("permanent_address").unwrap();
        assert_eq!(
            a.card.as_deref(),
            Some("Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa")
        );
        assert_eq!(
            a.register.as_deref(),
            Some("Thôn 2, Xã Thắng Lợi, Tỉnh Thanh Hóa")
        );
        assert_eq!(
            a.note.as_deref(),
            Some("old address; Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa is now Xã Thắng Lợi, Tỉnh Thanh Hóa")
        );
        assert_eq!(
            a.note_vi.as_deref(),
            Some("Địa chỉ trước ngày 01/7/2025; Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa nay là Xã Thắng Lợi, Tỉnh Thanh Hóa")
        );
        assert_twins(&c);
        assert_eq!(a.current_units.len(), 1);
        assert_eq!(a.current_units[0].code, "16309");
        let dob = c.row("date_of_birth").unwrap();
        assert_eq!(dob.card.as_deref(), Some("07/03/1995"));
        assert_eq!(dob.register.as_deref(), Some("07/03/1995"));
        assert_eq!(c.row("sex").unwrap().card.as_deref(), Some("Nữ"));
        assert_eq!(
            c.row("issue_date").unwrap().card.as_deref(),
            Some("15/08/2021")
        );
    }

    #[test]
    fn a_new_style_address_is_the_same() {
        let card = CARD.replace(
            "Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa",
            "Thôn 2, Xã Thắng Lợi, Tỉnh Thanh Hóa",
        );
        let c = compare(&parse_qr(&card).unwrap(), &person());
        let a = c.row("permanent_address").unwrap();
        assert_eq!(a.verdict, Verdict::Same);
        assert_eq!(a.note, None);
        assert_eq!(a.current_units[0].via, Via::Direct);
        // Village in capitals is still the same.
        let card = card.replace("Thôn 2,", "THÔN 2,");
        let c = compare(&parse_qr(&card).unwrap(), &person());
        assert_eq!(c.row("permanent_address").unwrap().verdict, Verdict::Same);
    }

    #[test]
    fn addresses_that_differ() {
        // Another village of the same commune.
        let card = CARD.replace("Thôn 2,", "Thôn 5,");
        let c = compare(&parse_qr(&card).unwrap(), &person());
        let a = c.row("permanent_address").unwrap();
        assert_eq!(a.verdict, Verdict::Differs);
        assert!(
            a.note.as_deref().unwrap().starts_with("same commune"),
            "{a:?}"
        );
        assert_eq!(
            a.note_vi.as_deref(),
            Some("Cùng xã/phường, nhưng thẻ ghi \"Thôn 5\" còn cơ sở dữ liệu ghi \"Thôn 2\"")
        );
        assert_twins(&c);
        assert_eq!(c.differing, 1);
        // Another commune: Thắng Lợi of Hưng Yên is not the demo commune.
        let card = CARD.replace(
            "Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa",
            "Thôn 2, Xã Thắng Lợi, Huyện Văn Giang, Tỉnh Hưng Yên",
        );
        let c = compare(&parse_qr(&card).unwrap(), &person());
        let a = c.row("permanent_address").unwrap();
        assert_eq!(a.verdict, Verdict::Differs);
        assert_eq!(
            a.note.as_deref(),
            Some("old address; Xã Thắng Lợi, Huyện Văn Giang, Tỉnh Hưng Yên is now Xã Mễ Sở, Tỉnh Hưng Yên; not the register's commune")
        );
        assert_eq!(
            a.note_vi.as_deref(),
            Some("Địa chỉ trước ngày 01/7/2025; Xã Thắng Lợi, Huyện Văn Giang, Tỉnh Hưng Yên nay là Xã Mễ Sở, Tỉnh Hưng Yên; không phải xã/phường trong cơ sở dữ liệu")
        );
        assert_twins(&c);
        assert_eq!(a.current_units[0].code, "12049");
        // Unreadable.
        let card = CARD.replace(
            "Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa",
            "Somewhere",
        );
        let c = compare(&parse_qr(&card).unwrap(), &person());
        let a = c.row("permanent_address").unwrap();
        assert_eq!(a.verdict, Verdict::Differs);
        assert!(a.current_units.is_empty());
    }

    #[test]
    fn a_split_commune_is_equivalent_with_all_candidates() {
        let card = CARD.replace(
            "Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa",
            "Số 12, Phường Bồ Đề, Quận Long Biên, Thành phố Hà Nội",
        );
        let mut p = person();
        p.permanent_address = Address {
            detail: Some("Số 12".into()),
            commune_code: Some("00118".into()),
        };
        let c = compare(&parse_qr(&card).unwrap(), &p);
        let a = c.row("permanent_address").unwrap();
        assert_eq!(a.verdict, Verdict::Equivalent);
        assert_eq!(a.current_units.len(), 3);
        let note = a.note.as_deref().unwrap();
        assert!(
            note.contains("was split") && note.contains("one of these"),
            "{note}"
        );
        let note_vi = a.note_vi.as_deref().unwrap();
        assert!(
            note_vi.starts_with("Địa chỉ trước ngày 01/7/2025; Phường Bồ Đề, Quận Long Biên, Thành phố Hà Nội đã được chia tách, nay thuộc ")
                && note_vi.contains(" hoặc ")
                && !note_vi.contains(" or ")
                && note_vi.ends_with("; xã/phường trong cơ sở dữ liệu là một trong các đơn vị này"),
            "{note_vi}"
        );
        assert_twins(&c);
        let r = &c.address;
        assert_eq!(
            r.current_text_vi(),
            r.current_text().map(|t| t.replace(" or ", " hoặc "))
        );
    }

    #[test]
    fn a_name_with_other_tone_placement_is_equivalent() {
        let mut p = person();
        p.full_name = "Lê Thị Hòa".into();
        let c = compare(&parse_qr(CARD).unwrap(), &p);
        let n = c.row("full_name").unwrap();
        assert_eq!(n.verdict, Verdict::Equivalent);
        assert_eq!(n.card.as_deref(), Some("Lê Thị Hoà"));
        assert_eq!(n.register.as_deref(), Some("Lê Thị Hòa"));
        assert!(n.note.is_some());
        p.full_name = "LÊ THỊ HOÀ".into();
        assert_eq!(
            compare(&parse_qr(CARD).unwrap(), &p)
                .row("full_name")
                .unwrap()
                .verdict,
            Verdict::Equivalent
        );
        // Another tone is another name: Hóa is not Hòa.
        p.full_name = "Lê Thị Hóa".into();
        let c = compare(&parse_qr(CARD).unwrap(), &p);
        let n = c.row("full_name").unwrap();
        assert_eq!(n.verdict, Verdict::Differs);
        assert_eq!(
            n.note.as_deref(),
            Some("the names differ only in their diacritics")
        );
        assert_eq!(n.note_vi.as_deref(), Some("Hai tên chỉ khác nhau ở dấu"));
        assert_twins(&c);
        assert_eq!(c.differing, 1);
    }

    #[test]
    fn partial_dates() {
        let mut p = person();
        p.date_of_birth = Some(PartialDate::Year(1995));
        let c = compare(&parse_qr(CARD).unwrap(), &p);
        let d = c.row("date_of_birth").unwrap();
        assert_eq!(d.verdict, Verdict::Equivalent);
        assert_eq!(d.register.as_deref(), Some("1995"));
        assert_eq!(d.note.as_deref(), Some("the register knows only the year"));
        assert_eq!(
            d.note_vi.as_deref(),
            Some("Cơ sở dữ liệu chỉ ghi năm sinh (1995)")
        );
        assert_twins(&c);

        // The card has the month only, the register the full date.
        let card = CARD.replace("|07031995|", "|00031995|");
        let c = compare(&parse_qr(&card).unwrap(), &person());
        let d = c.row("date_of_birth").unwrap();
        assert_eq!(d.verdict, Verdict::Equivalent);
        assert_eq!(d.card.as_deref(), Some("03/1995"));
        assert_eq!(
            d.note.as_deref(),
            Some("the card gives only the month and year")
        );
        assert_eq!(
            d.note_vi.as_deref(),
            Some("Thẻ chỉ ghi tháng và năm sinh (03/1995)")
        );

        // Incompatible: another month.
        let card = CARD.replace("|07031995|", "|00041995|");
        let c = compare(&parse_qr(&card).unwrap(), &person());
        assert_eq!(c.row("date_of_birth").unwrap().verdict, Verdict::Differs);

        // Day and month swapped in the register, the typical typing slip.
        let card = CARD.replace("|07031995|", "|03071995|");
        let c = compare(&parse_qr(&card).unwrap(), &person());
        let d = c.row("date_of_birth").unwrap();
        assert_eq!(d.verdict, Verdict::Differs);
        assert_eq!(d.note.as_deref(), Some("day and month are swapped"));
        assert_eq!(
            d.note_vi.as_deref(),
            Some("Ngày và tháng bị đảo chỗ cho nhau (03/07/1995 trên thẻ, 07/03/1995 trong cơ sở dữ liệu)")
        );
        assert!(c.warnings.is_empty() && c.warnings_vi.is_empty());
        assert_twins(&c);

        // Another year: the card's own ID disagrees, a warning.
        let card = CARD.replace("|07031995|", "|07031996|");
        let c = compare(&parse_qr(&card).unwrap(), &person());
        let d = c.row("date_of_birth").unwrap();
        assert_eq!(d.verdict, Verdict::Differs);
        assert_eq!(
            d.note.as_deref(),
            Some("the years differ (1996 on the card, 1995 in the register)")
        );
        assert_eq!(
            c.warnings,
            ["on the card, the ID number says born 1995 but the date of birth is 1996"]
        );
        assert_eq!(
            d.note_vi.as_deref(),
            Some("Năm sinh khác nhau (1996 trên thẻ, 1995 trong cơ sở dữ liệu)")
        );
        assert_eq!(
            c.warnings_vi,
            ["Trên thẻ, năm sinh theo số định danh là 1995, khác năm sinh 1996"]
        );
        assert_twins(&c);
    }

    #[test]
    fn missing_register_fields() {
        let p = Person::new(PersonalId::parse("038195001234").unwrap(), "Lê Thị Hoà");
        let c = compare(&parse_qr(CARD).unwrap(), &p);
        assert_eq!(
            verdicts(&c),
            [
                ("personal_id", Verdict::Same),
                ("old_cmnd", Verdict::CardOnly),
                ("full_name", Verdict::Same),
                ("date_of_birth", Verdict::CardOnly),
                ("sex", Verdict::CardOnly),
                ("permanent_address", Verdict::CardOnly),
                ("issue_date", Verdict::CardOnly),
            ]
        );
        assert_eq!(c.differing, 0);
        let a = c.row("permanent_address").unwrap();
        assert_eq!(a.register, None);
        assert_eq!(a.current_units[0].code, "16309");
        assert!(a.note.as_deref().unwrap().starts_with("old address"));

        // A card without CMND or issue date against a register with a CMND.
        let card = "038195001234||Lê Thị Hoà|07031995|Nữ|Thôn 2, Xã Thắng Lợi, Tỉnh Thanh Hóa";
        let c = compare(&parse_qr(card).unwrap(), &person());
        assert_eq!(
            c.row("old_cmnd").map(|r| r.verdict),
            Some(Verdict::RegisterOnly)
        );
        assert!(c.row("issue_date").is_none());
        // Neither has a CMND: no row.
        let mut p = person();
        p.old_cmnd = None;
        assert!(compare(&parse_qr(card).unwrap(), &p)
            .row("old_cmnd")
            .is_none());

        // The register knows the commune only.
        let mut p = person();
        p.permanent_address.detail = None;
        let c = compare(&parse_qr(CARD).unwrap(), &p);
        let a = c.row("permanent_address").unwrap();
        assert_eq!(a.verdict, Verdict::Equivalent);
        assert_eq!(a.register.as_deref(), Some("Xã Thắng Lợi, Tỉnh Thanh Hóa"));
        assert!(a
            .note
            .as_deref()
            .unwrap()
            .ends_with("the register has no house or village"));
        assert!(a
            .note_vi
            .as_deref()
            .unwrap()
            .ends_with("; cơ sở dữ liệu chưa ghi số nhà, thôn/xóm"));
        assert_twins(&c);
    }

    #[test]
    fn a_register_record_prefilled_from_a_card_reads_its_text() {
        // to_person keeps the printed address as free text without a commune code.
        let card = parse_qr(CARD).unwrap();
        let c = compare(&card, &card.to_person());
        assert!(
            c.rows.iter().all(|r| r.verdict != Verdict::Differs),
            "{c:?}"
        );
        assert_eq!(c.row("permanent_address").unwrap().verdict, Verdict::Same);
        // The same card issued again after the reform, against the old prefilled record.
        let new = parse_qr(&CARD.replace(
            "Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa",
            "Thôn 2, Xã Thắng Lợi, Tỉnh Thanh Hóa",
        ))
        .unwrap();
        let c = compare(&new, &card.to_person());
        assert_eq!(c.row("permanent_address").unwrap().verdict, Verdict::Same);
    }

    #[test]
    fn other_id_sex_and_death() {
        let mut p = person();
        p.personal_id = PersonalId::parse("038195009999").unwrap();
        p.sex = Some(Sex::Male);
        p.death_date = Some(PartialDate::from_ymd(2024, 1, 2).unwrap());
        let c = compare(&parse_qr(CARD).unwrap(), &p);
        assert_eq!(c.row("personal_id").unwrap().verdict, Verdict::Differs);
        let s = c.row("sex").unwrap();
        assert_eq!(
            (s.card.as_deref(), s.register.as_deref()),
            (Some("Nữ"), Some("Nam"))
        );
        assert_eq!(s.verdict, Verdict::Differs);
        assert_eq!(c.differing, 2);
        assert_eq!(
            c.warnings,
            ["the register records this person as deceased (02/01/2024)"]
        );
        assert_eq!(
            c.warnings_vi,
            ["Theo cơ sở dữ liệu, người này đã mất (02/01/2024)"]
        );
        let id = c.row("personal_id").unwrap();
        assert_eq!(
            id.note.as_deref(),
            Some("the card carries another personal ID number")
        );
        assert_eq!(
            id.note_vi.as_deref(),
            Some("Thẻ mang số định danh khác (038195001234 trên thẻ, 038195009999 trong cơ sở dữ liệu)")
        );
        assert_twins(&c);
    }

    #[test]
    fn notes_not_met_above_have_their_vietnamese() {
        // New-style address in another commune.
        let card = CARD.replace(
            "Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa",
            "Thôn 2, Xã Mễ Sở, Tỉnh Hưng Yên",
        );
        let c = compare(&parse_qr(&card).unwrap(), &person());
        let a = c.row("permanent_address").unwrap();
        assert_eq!(
            a.note_vi.as_deref(),
            Some("Địa chỉ trên thẻ thuộc Xã Mễ Sở, Tỉnh Hưng Yên, không phải xã/phường trong cơ sở dữ liệu")
        );
        assert_twins(&c);
        // Unreadable.
        let card = CARD.replace(
            "Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa",
            "Somewhere",
        );
        let c = compare(&parse_qr(&card).unwrap(), &person());
        assert_eq!(
            c.row("permanent_address").unwrap().note_vi.as_deref(),
            Some("Địa chỉ trên thẻ không nêu xã/phường nào có trong danh mục chính thức")
        );
        assert_twins(&c);
        // The card gives no village.
        let card = CARD.replace("Thôn 2, Xã Tế Lợi", "Xã Tế Lợi");
        let c = compare(&parse_qr(&card).unwrap(), &person());
        assert!(c
            .row("permanent_address")
            .unwrap()
            .note_vi
            .as_deref()
            .unwrap()
            .ends_with("; thẻ không ghi số nhà, thôn/xóm"));
        assert_twins(&c);
        // Case or tone placement only.
        let mut p = person();
        p.full_name = "Lê Thị Hòa".into();
        let c = compare(&parse_qr(CARD).unwrap(), &p);
        assert_eq!(
            c.row("full_name").unwrap().note_vi.as_deref(),
            Some("Cùng một tên, chỉ khác chữ hoa, chữ thường hoặc vị trí đặt dấu thanh")
        );
        assert_twins(&c);
    }

    #[test]
    fn clause_and_sentence_case() {
        assert_eq!(capitalize_first("địa chỉ cũ"), "Địa chỉ cũ");
        assert_eq!(capitalize_first(""), "");
        assert_eq!(lowercase_first("Năm sinh"), "năm sinh");
        assert_eq!(lowercase_first("CMND cũ"), "CMND cũ");
        assert_eq!(lowercase_first(""), "");
    }

    proptest! {
        #[test]
        fn every_comparison_has_its_vietnamese(
            day in 1u8..=28,
            month in 1u8..=12,
            year in 1990i32..=2000,
            female in any::<bool>(),
            name in prop::sample::select(vec!["Lê Thị Hoà", "Lê Thị Hòa", "LÊ THỊ HOÀ", "Lê Thị Hóa", "Le Thi Hoa", "Trần Văn Bình"]),
            village in prop::sample::select(vec!["", "Thôn 2", "Thôn 5", "Xóm 1"]),
            commune in prop::sample::select(vec![None, Some("16309"), Some("12049"), Some("00118")]),
            dob_kind in 0u8..4,
            dead in any::<bool>(),
        ) {
            let mut p = person();
            p.full_name = name.into();
            p.sex = Some(if female { Sex::Female } else { Sex::Male });
            p.date_of_birth = match dob_kind {
                0 => None,
                1 => Some(PartialDate::Year(year)),
                2 => Some(PartialDate::YearMonth { year, month }),
                _ => Some(PartialDate::from_ymd(year, month, day).unwrap()),
            };
            p.permanent_address = Address {
                detail: (!village.is_empty()).then(|| village.to_owned()),
                commune_code: commune.map(str::to_owned),
            };
            p.death_date = dead.then_some(PartialDate::Year(2024));
            for card in [
                CARD.to_owned(),
                CARD.replace("|07031995|", "|03071995|"),
                CARD.replace("|07031995|Nữ|", "|00001994|Nam|"),
                CARD.replace(
                    "Thôn 2, Xã Tế Lợi, Huyện Nông Cống, Tỉnh Thanh Hóa",
                    "Số 12, Phường Bồ Đề, Quận Long Biên, Thành phố Hà Nội",
                ),
            ] {
                assert_twins(&compare(&parse_qr(&card).unwrap(), &p));
            }
        }

        #[test]
        fn reading_never_panics(s in "\\PC{0,120}") {
            let r = read_card_address(&s);
            let _ = r.current_text();
        }

        #[test]
        fn reading_address_like_garbage_never_panics(
            parts in prop::collection::vec(
                prop::sample::select(vec![
                    "Xã", "Phường", "Thị trấn", "Đặc khu", "Huyện", "Quận", "Tỉnh", "Thành phố",
                    "TP.", "P.", "X.", "14", "Thôn", "Tế Lợi", "Thắng Lợi", "Nông Cống",
                    "Thanh Hóa", "Hà Nội", "Bồ Đề", "Kon Tum", ",", ", ", ";", "Việt Nam", "",
                    "Xa", "Dung", "\u{301}", " ",
                ]),
                0..12,
            )
        ) {
            let text = parts.join(" ");
            let r = read_card_address(&text);
            // Whatever is found is consistent: a current commune for every legacy one that has
            // successors, detail only when a commune was found.
            if r.style == AddressStyle::Unrecognised {
                prop_assert!(r.detail.is_none() && r.current_communes.is_empty());
            }
            if r.style == AddressStyle::Current {
                prop_assert!(r.current_communes.iter().all(|c| c.via == Via::Direct));
            }
            // And a card carrying it compares without panicking.
            if let Ok(card) = parse_qr(&format!("038195001234||Lê Thị Hoà|07031995|Nữ|{text}|15082021")) {
                let c = compare(&card, &person());
                assert_twins(&c);
                prop_assert_eq!(
                    c.differing,
                    c.rows.iter().filter(|r| r.verdict == Verdict::Differs).count()
                );
            }
        }
    }
}
