//! Standardisation into compact records. Every record of the register and of a list becomes a
//! [`Rec`] of small integers: name parts, villages and strings are interned in a [`Vocab`]
//! (names repeat a few hundred syllables, so keys are computed once per distinct word, not once
//! per record), dates stay [`PartialDate`], numbers become `u64`.
//!
//! The keys are those of [`crate::standardise`] (checked against [`crate::standardise::name`]
//! in the tests); only their computation is shared between records.

use std::borrow::Borrow;
use std::hash::Hash;

use xaso_domain::name::{has_diacritics, key, normalize, stripped_key};
use xaso_domain::register::Person;
use xaso_domain::{PartialDate, PersonalId, Sex};

use super::index::FxMap;
use super::ListRecord;
use crate::legacy_encoding::fix_cell;
use crate::standardise::{self, variant_key, IdEvidence, PartKey, VillageKey};

/// "No value" for the numeric fields of a [`Rec`].
pub(crate) const NONE: u64 = u64::MAX;

/// An interning table: each distinct key gets the next id, with a value beside it.
#[derive(Debug, Clone)]
pub(crate) struct Table<K, V> {
    map: FxMap<K, u32>,
    vals: Vec<V>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            map: FxMap::default(),
            vals: Vec::new(),
        }
    }
}

impl<K: Hash + Eq, V> Table<K, V> {
    pub(crate) fn len(&self) -> usize {
        self.vals.len()
    }
}

/// A table seen through a frozen base: ids below `base.len()` are the base's, new keys get ids
/// after them. Lets a list be standardised against the register's vocabulary without copying
/// it, and without changing it.
#[derive(Debug)]
pub(crate) struct Layer<'a, K, V> {
    base: &'a Table<K, V>,
    own: Table<K, V>,
}

impl<'a, K: Hash + Eq, V> Layer<'a, K, V> {
    fn new(base: &'a Table<K, V>) -> Self {
        Layer {
            base,
            own: Table::default(),
        }
    }

    fn find<Q>(&self, q: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self.base.map.get(q) {
            Some(&id) => Some(id),
            None => self
                .own
                .map
                .get(q)
                .map(|&id| id + self.base.vals.len() as u32),
        }
    }

    fn insert(&mut self, k: K, v: V) -> u32 {
        let local = self.own.vals.len() as u32;
        self.own.map.insert(k, local);
        self.own.vals.push(v);
        local + self.base.vals.len() as u32
    }

    pub(crate) fn get(&self, id: u32) -> &V {
        let id = id as usize;
        let n = self.base.vals.len();
        if id < n {
            &self.base.vals[id]
        } else {
            &self.own.vals[id - n]
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Layer<'_, K, V> {
    /// Base and own entries as one table.
    fn into_table(self) -> Table<K, V> {
        let mut t = self.base.clone();
        let off = t.vals.len() as u32;
        for (k, id) in self.own.map {
            t.map.insert(k, id + off);
        }
        t.vals.extend(self.own.vals);
        t
    }
}

/// One distinct word (syllable as typed) of a name.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    /// Interned [`key`] of the word: words with one key are one word for the parts.
    key_id: u32,
    key: String,
    stripped: String,
    has_diacritics: bool,
    /// "Văn", "Thị" (or "van" without tones): the gender words lists add or drop.
    van_thi: bool,
    /// "thi" without tone: Thị only when the whole name has no diacritics.
    thi: bool,
}

/// One distinct name part (family, middle or given; family parts are apart because their
/// variant key folds Vũ/Võ and Hoàng/Huỳnh).
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub pk: PartKey,
    /// Interned stripped key.
    pub stripped_id: u32,
    /// Interned variant key.
    pub variant_id: u32,
    /// First letter of the stripped key (0 when empty).
    pub initial: u8,
}

impl Part {
    fn empty() -> Part {
        Part {
            pk: PartKey::default(),
            stripped_id: 0,
            variant_id: 0,
            initial: 0,
        }
    }
}

/// Everything interned: words, word keys, name parts, strings (stripped and variant keys),
/// villages. Id 0 of parts, strings and villages is the empty value.
#[derive(Debug, Clone)]
pub(crate) struct Vocab {
    words: Table<String, Word>,
    keys: Table<String, ()>,
    parts: Table<Vec<u32>, Part>,
    strings: Table<String, ()>,
    villages: Table<VillageKey, ()>,
}

impl Vocab {
    pub(crate) fn new() -> Vocab {
        let mut v = Vocab {
            words: Table::default(),
            keys: Table::default(),
            parts: Table::default(),
            strings: Table::default(),
            villages: Table::default(),
        };
        v.parts.map.insert(Vec::new(), 0);
        v.parts.vals.push(Part::empty());
        v.strings.map.insert(String::new(), 0);
        v.strings.vals.push(());
        v.villages.map.insert(VillageKey::default(), 0);
        v.villages.vals.push(());
        v
    }

    pub(crate) fn parts_len(&self) -> usize {
        self.parts.len()
    }

    pub(crate) fn strings_len(&self) -> usize {
        self.strings.len()
    }
}

/// Read access to interned values, for the base vocabulary and for a layer over it.
pub(crate) trait Lookup: Sync {
    fn part(&self, id: u32) -> &Part;
    fn village(&self, id: u32) -> &VillageKey;
    /// The interned key string of a village, kind ignored ("Thôn Đại Xuyên" and "Đại Xuyên"
    /// share it): what blocking uses.
    fn village_block(&self, id: u32) -> u32;
    fn villages_len(&self) -> usize;
}

static EMPTY_VILLAGE: VillageKey = VillageKey {
    kind: None,
    key: String::new(),
};

/// The ids of a name's parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NameIds {
    pub family: u32,
    pub middle: u32,
    pub middle_wo: u32,
    pub given: u32,
    /// Typed without any diacritic: compared on stripped keys.
    pub toneless: bool,
}

/// A date of birth as the engine compares it: year, month and day, 0 when not known (a
/// [`PartialDate`] unpacked once, so that comparing two is a few integer tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dob {
    pub year: i16,
    pub month: u8,
    pub day: u8,
}

impl Dob {
    pub(crate) fn of(d: &PartialDate) -> Dob {
        Dob {
            year: d.year().clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16,
            month: d.month().unwrap_or(0),
            day: d.day().unwrap_or(0),
        }
    }

    /// Day, month and year known.
    pub(crate) fn is_full(&self) -> bool {
        self.day != 0
    }

    /// 0 year only, 1 year and month, 2 full.
    pub(crate) fn precision(&self) -> u8 {
        u8::from(self.month != 0) + u8::from(self.day != 0)
    }
}

/// A record as the engine compares it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rec {
    pub name: NameIds,
    pub dob: Option<Dob>,
    /// A 12-digit number (valid ID, or 12 digits failing the birthplace check), or [`NONE`].
    pub id12: u64,
    /// A 9-digit number (old CMND), or [`NONE`].
    pub cmnd: u64,
    /// Phone: digits with the length in the top byte, or [`NONE`].
    pub phone: u64,
    /// Up to two village ids (0 = none).
    pub villages: [u32; 2],
    /// 0 unknown, 1 male, 2 female.
    pub sex: u8,
}

impl Default for Rec {
    fn default() -> Self {
        Rec {
            name: NameIds::default(),
            dob: None,
            id12: NONE,
            cmnd: NONE,
            phone: NONE,
            villages: [0, 0],
            sex: 0,
        }
    }
}

/// A [`Vocab`] being extended (the register's while it is built, a layer over it while a list
/// is standardised).
#[derive(Debug)]
pub(crate) struct VocabLayer<'a> {
    words: Layer<'a, String, Word>,
    keys: Layer<'a, String, ()>,
    parts: Layer<'a, Vec<u32>, Part>,
    strings: Layer<'a, String, ()>,
    villages: Layer<'a, VillageKey, ()>,
    /// Village keys of the own ids, in id order (the base keeps its keys in its map).
    village_keys: Vec<(VillageKey, u32)>,
    base_village_keys: &'a [(VillageKey, u32)],
    /// Raw village cell → id.
    raw_villages: FxMap<String, u32>,
    seq: Vec<u32>,
    ws: Vec<u32>,
}

/// The base vocabulary with the village keys in id order.
#[derive(Debug, Clone)]
pub(crate) struct Frozen {
    pub vocab: Vocab,
    /// Per village id: its key and the string id of `key.key`.
    pub village_keys: Vec<(VillageKey, u32)>,
}

impl Frozen {
    pub(crate) fn empty() -> Frozen {
        Frozen {
            vocab: Vocab::new(),
            village_keys: vec![(VillageKey::default(), 0)],
        }
    }

    pub(crate) fn layer(&self) -> VocabLayer<'_> {
        VocabLayer {
            words: Layer::new(&self.vocab.words),
            keys: Layer::new(&self.vocab.keys),
            parts: Layer::new(&self.vocab.parts),
            strings: Layer::new(&self.vocab.strings),
            villages: Layer::new(&self.vocab.villages),
            village_keys: Vec::new(),
            base_village_keys: &self.village_keys,
            raw_villages: FxMap::default(),
            seq: Vec::new(),
            ws: Vec::new(),
        }
    }
}

impl Lookup for Frozen {
    fn part(&self, id: u32) -> &Part {
        &self.vocab.parts.vals[id as usize]
    }
    fn village(&self, id: u32) -> &VillageKey {
        self.village_keys
            .get(id as usize)
            .map_or(&EMPTY_VILLAGE, |v| &v.0)
    }
    fn village_block(&self, id: u32) -> u32 {
        self.village_keys.get(id as usize).map_or(0, |v| v.1)
    }
    fn villages_len(&self) -> usize {
        self.village_keys.len()
    }
}

impl Lookup for VocabLayer<'_> {
    fn part(&self, id: u32) -> &Part {
        self.parts.get(id)
    }
    fn village(&self, id: u32) -> &VillageKey {
        let n = self.base_village_keys.len();
        let id = id as usize;
        if id < n {
            &self.base_village_keys[id].0
        } else {
            self.village_keys
                .get(id - n)
                .map_or(&EMPTY_VILLAGE, |v| &v.0)
        }
    }
    fn village_block(&self, id: u32) -> u32 {
        let n = self.base_village_keys.len();
        let id = id as usize;
        if id < n {
            self.base_village_keys[id].1
        } else {
            self.village_keys.get(id - n).map_or(0, |v| v.1)
        }
    }
    fn villages_len(&self) -> usize {
        self.base_village_keys.len() + self.village_keys.len()
    }
}

impl<'a> VocabLayer<'a> {
    /// The base and the new entries as one frozen vocabulary.
    pub(crate) fn freeze(self) -> Frozen {
        let mut village_keys = self.base_village_keys.to_vec();
        village_keys.extend(self.village_keys);
        Frozen {
            vocab: Vocab {
                words: self.words.into_table(),
                keys: self.keys.into_table(),
                parts: self.parts.into_table(),
                strings: self.strings.into_table(),
                villages: self.villages.into_table(),
            },
            village_keys,
        }
    }

    fn string(&mut self, s: &str) -> u32 {
        match self.strings.find(s) {
            Some(id) => id,
            None => self.strings.insert(s.to_owned(), ()),
        }
    }

    fn word(&mut self, token: &str) -> u32 {
        if let Some(id) = self.words.find(token) {
            return id;
        }
        let k = key(token);
        let key_id = match self.keys.find(k.as_str()) {
            Some(id) => id,
            None => self.keys.insert(k.clone(), ()),
        };
        let w = Word {
            key_id,
            stripped: stripped_key(token),
            has_diacritics: has_diacritics(token),
            van_thi: matches!(k.as_str(), "văn" | "thị" | "van"),
            thi: k == "thi",
            key: k,
        };
        self.words.insert(token.to_owned(), w)
    }

    /// The part made of `words` (word ids), as [`PartKey`] would make it from their text.
    fn intern_part(&mut self, family: bool, words: &[u32]) -> u32 {
        if words.is_empty() {
            return 0;
        }
        let mut seq = std::mem::take(&mut self.seq);
        seq.clear();
        seq.push(u32::from(family));
        seq.extend(words.iter().map(|&w| self.words.get(w).key_id));
        let id = match self.parts.find(seq.as_slice()) {
            Some(id) => id,
            None => {
                let mut k = String::new();
                let mut stripped = String::new();
                for &w in words {
                    let w = self.words.get(w);
                    if !k.is_empty() {
                        k.push(' ');
                    }
                    k.push_str(&w.key);
                    if !w.stripped.is_empty() {
                        if !stripped.is_empty() {
                            stripped.push(' ');
                        }
                        stripped.push_str(&w.stripped);
                    }
                }
                let variant = variant_key(&stripped, family);
                let part = Part {
                    stripped_id: self.string(&stripped),
                    variant_id: self.string(&variant),
                    initial: stripped.bytes().next().unwrap_or(0),
                    pk: PartKey {
                        key: k,
                        stripped,
                        variant,
                    },
                };
                self.parts.insert(seq.clone(), part)
            }
        };
        self.seq = seq;
        id
    }

    /// The part ids of a name (see [`crate::standardise::name`] for the rules).
    pub(crate) fn name(&mut self, text: &str) -> NameIds {
        let n = normalize(text);
        let mut ws = std::mem::take(&mut self.ws);
        ws.clear();
        for token in n.split(' ').filter(|t| !t.is_empty()) {
            ws.push(self.word(token));
        }
        let toneless = !ws.iter().any(|&w| self.words.get(w).has_diacritics);
        let ids = match ws.as_slice() {
            [] => NameIds::default(),
            [given] => NameIds {
                given: self.intern_part(false, &[*given]),
                toneless,
                ..NameIds::default()
            },
            [family, middle @ .., given] => {
                let kept: Vec<u32> = middle
                    .iter()
                    .copied()
                    .filter(|&w| {
                        let w = self.words.get(w);
                        !(w.van_thi || toneless && w.thi)
                    })
                    .collect();
                NameIds {
                    family: self.intern_part(true, &[*family]),
                    middle: self.intern_part(false, middle),
                    middle_wo: self.intern_part(false, &kept),
                    given: self.intern_part(false, &[*given]),
                    toneless,
                }
            }
        };
        self.ws = ws;
        ids
    }

    /// The village id of an address or village cell (the part before the first comma).
    pub(crate) fn intern_village(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.raw_villages.get(text) {
            return id;
        }
        let v = standardise::village(text);
        let id = if v.key.is_empty() {
            0
        } else {
            match self.villages.find(&v) {
                Some(id) => id,
                None => {
                    let block = self.string(&v.key);
                    self.village_keys.push((v.clone(), block));
                    self.villages.insert(v, ())
                }
            }
        };
        self.raw_villages.insert(text.to_owned(), id);
        id
    }

    /// The village id of a list's cell as typed: repaired from a legacy encoding if need be,
    /// then as [`VocabLayer::intern_village`]; once per distinct cell.
    pub(crate) fn intern_typed_village(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.raw_villages.get(text) {
            return id;
        }
        let id = match fix_cell(text) {
            Some(f) => self.intern_village(&f.text),
            None => self.intern_village(text),
        };
        self.raw_villages.insert(text.to_owned(), id);
        id
    }

    #[cfg(test)]
    pub(crate) fn parts_len(&self) -> usize {
        self.parts.base.vals.len() + self.parts.own.vals.len()
    }
}

/// Digits of an ASCII number (no more than 19).
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        s.bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')),
    )
}

/// A standardised phone ("0912345678") as a number with its length in the top byte.
pub(crate) fn phone_number(p: &str) -> u64 {
    number(p).map_or(NONE, |n| n | ((p.len() as u64) << 56))
}

/// The register side of a person.
pub(crate) fn register_rec(p: &Person, voc: &mut VocabLayer<'_>) -> Rec {
    let mut villages = [0u32; 2];
    let mut k = 0;
    for a in [
        &p.permanent_address,
        &p.current_address,
        &p.temporary_address,
    ] {
        if let Some(d) = a.detail.as_deref() {
            let v = voc.intern_village(d);
            if v != 0 && !villages[..k].contains(&v) && k < 2 {
                villages[k] = v;
                k += 1;
            }
        }
    }
    Rec {
        name: voc.name(&p.full_name),
        dob: p.date_of_birth.as_ref().map(Dob::of),
        id12: number(p.personal_id.as_str()).unwrap_or(NONE),
        cmnd: p
            .old_cmnd
            .as_ref()
            .and_then(|c| number(c.as_str()))
            .unwrap_or(NONE),
        phone: NONE,
        villages,
        sex: sex_code(p.sex),
    }
}

fn sex_code(s: Option<Sex>) -> u8 {
    match s {
        Some(Sex::Male) => 1,
        Some(Sex::Female) => 2,
        None => 0,
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The fields of a list record that need no vocabulary (computed in parallel), and why its ID
/// number fails its checks, if it does.
pub(crate) struct ListFields {
    pub dob: Option<PartialDate>,
    pub id12: u64,
    pub cmnd: u64,
    pub phone: u64,
    pub sex: u8,
    pub invalid_id: Option<String>,
    /// The name cell after legacy-encoding repair.
    pub name: Option<String>,
    /// The village cell as typed (repaired when interned: a list has few distinct villages).
    pub village: Option<String>,
}

pub(crate) fn list_fields(r: &ListRecord) -> ListFields {
    let dob = non_empty(&r.date_of_birth).and_then(|s| PartialDate::parse(s).ok());
    let sex = non_empty(&r.sex).and_then(Sex::parse);
    let (mut id12, mut cmnd, mut invalid_id) = (NONE, NONE, None);
    if let Some(text) = non_empty(&r.id_number) {
        let reading = standardise::id_number(text);
        match &reading.evidence {
            IdEvidence::Personal(id) => {
                id12 = number(id.as_str()).unwrap_or(NONE);
                let problems: Vec<String> = id
                    .check_against(dob.as_ref(), sex)
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                if !problems.is_empty() {
                    invalid_id = Some(problems.join("; "));
                }
            }
            IdEvidence::OldCmnd(c) => cmnd = number(c.as_str()).unwrap_or(NONE),
            IdEvidence::Malformed(s) => {
                let digits = s.bytes().all(|b| b.is_ascii_digit());
                if digits && s.len() == 12 {
                    id12 = number(s).unwrap_or(NONE);
                } else if digits && s.len() == 9 {
                    cmnd = number(s).unwrap_or(NONE);
                }
                invalid_id = Some(why_malformed(s));
            }
            IdEvidence::Missing => {}
        }
    }
    let fixed = |s: &Option<String>| {
        non_empty(s).map(|t| match fix_cell(t) {
            Some(f) => f.text,
            None => t.to_owned(),
        })
    };
    ListFields {
        dob,
        id12,
        cmnd,
        phone: non_empty(&r.phone)
            .and_then(standardise::phone)
            .map_or(NONE, |p| phone_number(&p)),
        sex: sex_code(sex),
        invalid_id,
        name: fixed(&r.full_name),
        village: non_empty(&r.village).map(str::to_owned),
    }
}

fn why_malformed(s: &str) -> String {
    if let Some(pos) = s.chars().position(|c| !c.is_ascii_digit()) {
        return format!(
            "character {} is not a digit: an ID number has 12 digits (an old CMND 9)",
            pos + 1
        );
    }
    match s.len() {
        12 => match PersonalId::parse(s) {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        },
        n => format!("{n} digits: an ID number has 12 digits (an old CMND 9)"),
    }
}

/// The list side: the parallel fields plus the interned ones.
pub(crate) fn list_rec(f: &ListFields, voc: &mut VocabLayer<'_>) -> Rec {
    Rec {
        name: f.name.as_deref().map(|n| voc.name(n)).unwrap_or_default(),
        dob: f.dob.as_ref().map(Dob::of),
        id12: f.id12,
        cmnd: f.cmnd,
        phone: f.phone,
        villages: [
            f.village
                .as_deref()
                .map_or(0, |v| voc.intern_typed_village(v)),
            0,
        ],
        sex: f.sex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standardise::name;

    fn check(voc: &mut VocabLayer<'_>, text: &str) {
        let ids = voc.name(text);
        let want = name(text);
        let p = |id: u32| voc.part(id).pk.clone();
        assert_eq!(p(ids.family), want.family, "{text:?} family");
        assert_eq!(p(ids.middle), want.middle, "{text:?} middle");
        assert_eq!(
            p(ids.middle_wo),
            want.middle_without_van_thi,
            "{text:?} middle_wo"
        );
        assert_eq!(p(ids.given), want.given, "{text:?} given");
        if !want.full_key.is_empty() {
            assert_eq!(ids.toneless, !has_diacritics(text), "{text:?}");
        }
    }

    #[test]
    fn interned_name_keys_are_those_of_standardise() {
        let base = Frozen::empty();
        let mut voc = base.layer();
        for text in [
            "Nguyễn Văn An",
            "  Nguyễn Văn  An ",
            "VÕ THỊ THU HOÀ",
            "Võ Thị Thu Hòa",
            "Vũ Thị Hoa",
            "Huỳnh Văn Lý",
            "Hoàng Văn Lí",
            "Lê Vân Anh",
            "Lê Thi Anh Thư",
            "Le Thi Hoa",
            "Nguyen Van An",
            "Thủy",
            "",
            "\u{00D0}ặng Thị Hòa",
            "H'Hen Niê",
            "Nguyễn-Văn An",
            "Trần - Thị Bé",
            "Đinh Thị Ngọc Ánh",
            "Dinh Thi Ngoc Anh",
            "NGUYEN THI MINH KHAI",
            "Ksor H'Bia",
        ] {
            check(&mut voc, text);
        }
        // The demo register's names and their typed variants.
        let commune = xaso_demo::generate(&xaso_demo::DemoOptions {
            residents: 2_000,
            ..Default::default()
        });
        for p in &commune.persons {
            check(&mut voc, &p.full_name);
            check(&mut voc, &p.full_name.to_uppercase());
        }
        // A frozen layer gives the same ids.
        let frozen = voc.freeze();
        let mut again = frozen.layer();
        let a = again.name("Nguyễn Văn An");
        assert!(a.given < again.parts_len() as u32);
        let before = again.parts_len();
        let _ = again.name("Nguyễn Văn An");
        assert_eq!(again.parts_len(), before);
    }

    #[test]
    fn villages_are_interned_by_key() {
        let base = Frozen::empty();
        let mut voc = base.layer();
        let a = voc.intern_village("Thôn 3");
        assert_eq!(voc.intern_village("thon III"), a);
        assert_eq!(voc.intern_village("T.3, Xã Yên Phong"), a);
        let xom = voc.intern_village("Xóm 3");
        assert_ne!(xom, a);
        assert_eq!(voc.village_block(xom), voc.village_block(a));
        // A cell typed in TCVN3 is repaired, once.
        assert_eq!(
            voc.intern_typed_village("Th«n Yªn Phong"),
            voc.intern_village("Thôn Yên Phong")
        );
        assert_eq!(
            voc.intern_typed_village("Th«n Yªn Phong"),
            voc.intern_village("Thôn Yên Phong")
        );
        let four = voc.intern_village("Thôn 4");
        assert_ne!(voc.village_block(four), voc.village_block(a));
        assert_eq!(voc.intern_village(""), 0);
        let frozen = voc.freeze();
        assert_eq!(frozen.village(a).key, "3");
        let layer = frozen.layer();
        assert_eq!(layer.village(a).key, "3");
    }

    #[test]
    fn list_fields_read_ids_and_explain_failures() {
        let rec = |id: &str, dob: &str, sex: &str| ListRecord {
            row: 1,
            id_number: Some(id.into()),
            date_of_birth: Some(dob.into()),
            sex: Some(sex.into()),
            ..ListRecord::default()
        };
        let f = list_fields(&rec("038095001234", "07/03/1995", "Nam"));
        assert_eq!(f.id12, 38_095_001_234);
        assert!(f.invalid_id.is_none());
        let f = list_fields(&rec("038095001234", "07/03/1996", "Nữ"));
        let why = f.invalid_id.unwrap_or_default();
        assert!(why.contains("1995") && why.contains("female"), "{why}");
        let f = list_fields(&rec("099095001234", "", ""));
        assert_eq!(f.id12, 99_095_001_234);
        assert!(f.invalid_id.unwrap_or_default().contains("birthplace"));
        let f = list_fields(&rec("173456789", "", ""));
        assert_eq!((f.cmnd, f.id12), (173_456_789, NONE));
        assert!(f.invalid_id.is_none());
        let f = list_fields(&rec("0380950012", "", ""));
        assert!(f.invalid_id.unwrap_or_default().starts_with("10 digits"));
        let f = list_fields(&rec("chưa có", "1995", "x"));
        assert_eq!((f.id12, f.cmnd, f.sex), (NONE, NONE, 0));
        assert!(f.invalid_id.is_some());
        let f = list_fields(&ListRecord {
            phone: Some("+84 912 345 678".into()),
            full_name: Some("NguyÔn V¨n An".into()),
            ..ListRecord::default()
        });
        assert_eq!(f.phone, phone_number("0912345678"));
        assert_eq!(f.name.as_deref(), Some("Nguyễn Văn An"));
    }
}
