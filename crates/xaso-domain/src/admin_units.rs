//! Administrative units of Viet Nam: the two-tier structure in force since 1 July 2025
//! (34 provinces, 3,321 communes) and the three-tier structure before it (63 provinces,
//! ~10,000 communes), with the table that maps old communes to new ones.
//!
//! The official code lists are embedded in the binary (see `data/README.md`) and parsed once,
//! on first use. Old and new commune codes are separate code spaces that reuse numbers
//! (new Phường Ba Đình 00004 vs old Phường Trúc Bạch 00004), so they are never looked up in
//! the same map.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::name::stripped_key;

const NEW_TO_OLD_CSV: &str = include_str!("../data/communes-2025-new-to-old.csv");
const PRE_2025_CSV: &str = include_str!("../data/communes-pre-2025.csv");

/// A province or centrally run city of the structure in force since 1 July 2025.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Province {
    /// Two digits, e.g. "38".
    pub code: String,
    /// With its type, e.g. "Tỉnh Thanh Hóa".
    pub name: String,
}

/// A commune, ward or special zone (xã, phường, đặc khu) in force since 1 July 2025.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commune {
    /// Five digits, e.g. "16309".
    pub code: String,
    /// With its type, e.g. "Xã Thắng Lợi".
    pub name: String,
    pub province_code: String,
}

/// A province of the structure valid until 30 June 2025. Its code is still the one that
/// starts a personal ID number ("0" + code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyProvince {
    /// Two digits, e.g. "38".
    pub code: String,
    pub name: String,
}

/// A commune of the structure valid until 30 June 2025.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyCommune {
    pub code: String,
    pub name: String,
    /// "Xã", "Phường" or "Thị trấn".
    pub level: String,
    pub district_code: String,
    pub district_name: String,
    pub province_code: String,
    pub province_name: String,
}

/// How an old commune went into a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeKind {
    /// "Nhập toàn bộ" (also kept, renamed or re-typed units): the old commune lies wholly in
    /// the new one.
    Whole,
    /// "Nhập một phần": the old commune was split, so it has several successors.
    Part,
}

impl MergeKind {
    /// Classifies the note of the official table. The notes vary ("Nhập một phần diện tích",
    /// "Nhâp một phần", "Phần còn lại sau khi tách một phần ..."); all partial ones say
    /// "một phần".
    fn from_note(note: &str) -> MergeKind {
        if note.to_lowercase().contains("một phần") {
            MergeKind::Part
        } else {
            MergeKind::Whole
        }
    }
}

/// One row of the official old → new table, kept whole because some old communes named there
/// are missing from the pre-2025 list (and a few new units have no old source at all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeRecord {
    pub new_code: String,
    /// Empty for the few new units made from a whole district or from unnamed land.
    pub old_code: String,
    pub old_name: String,
    pub kind: MergeKind,
    /// The note as written ("Nhập toàn bộ", "Nhập một phần diện tích, toàn bộ dân số", ...).
    pub note: String,
    pub old_district_code: String,
    pub old_district_name: String,
    pub old_province_code: String,
    pub old_province_name: String,
}

/// All administrative units, with indexes. Obtain it with [`units`].
#[derive(Debug)]
pub struct AdminUnits {
    provinces: Vec<Province>,
    province_index: HashMap<String, usize>,
    communes: Vec<Commune>,
    commune_index: HashMap<String, usize>,
    /// Search key of the name without its type prefix → communes.
    commune_names: HashMap<String, Vec<usize>>,
    legacy_provinces: Vec<LegacyProvince>,
    legacy_province_index: HashMap<String, usize>,
    legacy_communes: Vec<LegacyCommune>,
    legacy_commune_index: HashMap<String, usize>,
    legacy_commune_names: HashMap<String, Vec<usize>>,
    merges: Vec<MergeRecord>,
    merges_by_new: HashMap<String, Vec<usize>>,
    merges_by_old: HashMap<String, Vec<usize>>,
}

/// The embedded administrative units, parsed on first call.
pub fn units() -> &'static AdminUnits {
    static UNITS: OnceLock<AdminUnits> = OnceLock::new();
    UNITS.get_or_init(|| AdminUnits::from_csv(NEW_TO_OLD_CSV, PRE_2025_CSV))
}

impl AdminUnits {
    /// Builds the tables from the two official CSV files. Rows that do not carry the needed
    /// codes (titles, province section rows, blank lines) are skipped, never a panic.
    fn from_csv(new_to_old: &str, pre_2025: &str) -> AdminUnits {
        let mut u = AdminUnits {
            provinces: Vec::new(),
            province_index: HashMap::new(),
            communes: Vec::new(),
            commune_index: HashMap::new(),
            commune_names: HashMap::new(),
            legacy_provinces: Vec::new(),
            legacy_province_index: HashMap::new(),
            legacy_communes: Vec::new(),
            legacy_commune_index: HashMap::new(),
            legacy_commune_names: HashMap::new(),
            merges: Vec::new(),
            merges_by_new: HashMap::new(),
            merges_by_old: HashMap::new(),
        };

        // Pre-2025 list: province, province code, district, district code, commune,
        // commune code, level, English name.
        for rec in parse_csv(pre_2025) {
            let f = |i: usize| field(&rec, i);
            let (prov_name, prov_code) = (f(0), f(1));
            let (dist_name, dist_code) = (f(2), f(3));
            let (name, code, level) = (f(4), f(5), f(6));
            if !is_digits(&prov_code, 2) {
                continue; // header
            }
            if !u.legacy_province_index.contains_key(&prov_code) {
                u.legacy_province_index
                    .insert(prov_code.clone(), u.legacy_provinces.len());
                u.legacy_provinces.push(LegacyProvince {
                    code: prov_code.clone(),
                    name: prov_name.clone(),
                });
            }
            // Island districts are listed as rows without a commune.
            if !is_digits(&code, 5) || u.legacy_commune_index.contains_key(&code) {
                continue;
            }
            let idx = u.legacy_communes.len();
            u.legacy_commune_index.insert(code.clone(), idx);
            u.legacy_commune_names
                .entry(search_key(&name))
                .or_default()
                .push(idx);
            u.legacy_communes.push(LegacyCommune {
                code,
                name,
                level,
                district_code: dist_code,
                district_name: dist_name,
                province_code: prov_code,
                province_name: prov_name,
            });
        }

        // New-to-old table: new province "Name (code)", new commune name, new commune code,
        // old commune name, old commune code, note, old district "Name (code)",
        // old province "Name (code)".
        for rec in parse_csv(new_to_old) {
            let f = |i: usize| field(&rec, i);
            let new_code = f(2);
            if !is_digits(&new_code, 5) {
                continue; // titles, headers, province section rows
            }
            let Some((prov_name, prov_code)) = split_name_code(&f(0)) else {
                continue;
            };
            if !u.province_index.contains_key(&prov_code) {
                u.province_index
                    .insert(prov_code.clone(), u.provinces.len());
                u.provinces.push(Province {
                    code: prov_code.clone(),
                    name: prov_name,
                });
            }
            // A new commune appears once per old commune it absorbed; the first spelling wins
            // (the table spells one name two ways: "Điềm Thụy"/"Điềm Thuỵ").
            if !u.commune_index.contains_key(&new_code) {
                let idx = u.communes.len();
                let name = f(1);
                u.commune_index.insert(new_code.clone(), idx);
                u.commune_names
                    .entry(search_key(&name))
                    .or_default()
                    .push(idx);
                u.communes.push(Commune {
                    code: new_code.clone(),
                    name,
                    province_code: prov_code,
                });
            }
            let old_code = f(4);
            let old_code = if is_digits(&old_code, 5) {
                old_code
            } else {
                String::new()
            };
            let note = f(5);
            let (old_district_name, old_district_code) =
                split_name_code(&f(6)).unwrap_or_else(|| (f(6), String::new()));
            let (old_province_name, old_province_code) =
                split_name_code(&f(7)).unwrap_or_else(|| (f(7), String::new()));
            let idx = u.merges.len();
            u.merges_by_new
                .entry(new_code.clone())
                .or_default()
                .push(idx);
            if !old_code.is_empty() {
                u.merges_by_old
                    .entry(old_code.clone())
                    .or_default()
                    .push(idx);
            }
            u.merges.push(MergeRecord {
                new_code,
                old_code,
                old_name: f(3),
                kind: MergeKind::from_note(&note),
                note,
                old_district_code,
                old_district_name,
                old_province_code,
                old_province_name,
            });
        }

        u.provinces.sort_by(|a, b| a.code.cmp(&b.code));
        u.province_index = index_by_code(&u.provinces, |p| &p.code);
        u.legacy_provinces.sort_by(|a, b| a.code.cmp(&b.code));
        u.legacy_province_index = index_by_code(&u.legacy_provinces, |p| &p.code);
        u
    }

    /// The 34 provinces in force since 1 July 2025, by code.
    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    pub fn province(&self, code: &str) -> Option<&Province> {
        self.province_index
            .get(code.trim())
            .and_then(|&i| self.provinces.get(i))
    }

    /// The 3,321 communes in force since 1 July 2025, in the order of the official table
    /// (by province).
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_index
            .get(code.trim())
            .and_then(|&i| self.communes.get(i))
    }

    pub fn communes_of_province(&self, province_code: &str) -> Vec<&Commune> {
        let code = province_code.trim();
        self.communes
            .iter()
            .filter(|c| c.province_code == code)
            .collect()
    }

    /// The 63 provinces valid until 30 June 2025, by code.
    pub fn legacy_provinces(&self) -> &[LegacyProvince] {
        &self.legacy_provinces
    }

    /// By the two-digit code ("38"); the three-digit birthplace code of a personal ID number
    /// ("038") is accepted too.
    pub fn legacy_province(&self, code: &str) -> Option<&LegacyProvince> {
        let code = code.trim();
        let code = match code.strip_prefix('0') {
            Some(rest) if code.len() == 3 => rest,
            _ => code,
        };
        self.legacy_province_index
            .get(code)
            .and_then(|&i| self.legacy_provinces.get(i))
    }

    /// The communes of the pre-2025 list, in its order.
    pub fn legacy_communes(&self) -> &[LegacyCommune] {
        &self.legacy_communes
    }

    pub fn legacy_commune(&self, code: &str) -> Option<&LegacyCommune> {
        self.legacy_commune_index
            .get(code.trim())
            .and_then(|&i| self.legacy_communes.get(i))
    }

    /// Every row of the official old → new table.
    pub fn merge_records(&self) -> &[MergeRecord] {
        &self.merges
    }

    /// The rows of the table that went into a new commune, including old communes missing from
    /// the pre-2025 list.
    pub fn merges_into(&self, commune_code: &str) -> Vec<&MergeRecord> {
        self.records(&self.merges_by_new, commune_code)
    }

    /// The rows of the table that an old commune went into.
    pub fn merges_from(&self, legacy_commune_code: &str) -> Vec<&MergeRecord> {
        self.records(&self.merges_by_old, legacy_commune_code)
    }

    /// The new communes an old commune went into (several when it was split).
    pub fn successors(&self, legacy_commune_code: &str) -> Vec<(&Commune, MergeKind)> {
        self.merges_from(legacy_commune_code)
            .into_iter()
            .filter_map(|m| self.commune(&m.new_code).map(|c| (c, m.kind)))
            .collect()
    }

    /// The old communes a new commune was made from, as far as they are in the pre-2025 list;
    /// [`AdminUnits::merges_into`] gives all of them with the names of the table.
    pub fn predecessors(&self, commune_code: &str) -> Vec<(&LegacyCommune, MergeKind)> {
        self.merges_into(commune_code)
            .into_iter()
            .filter_map(|m| self.legacy_commune(&m.old_code).map(|c| (c, m.kind)))
            .collect()
    }

    /// Communes whose name matches, ignoring case, tones and the "Xã/Phường/Đặc khu" prefix
    /// ("thang loi" finds Xã Thắng Lợi), optionally within one province.
    pub fn find_communes(&self, name: &str, province_code: Option<&str>) -> Vec<&Commune> {
        let key = search_key(name);
        let province_code = province_code.map(str::trim);
        self.commune_names
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.communes.get(i))
            .filter(|c| province_code.is_none_or(|p| c.province_code == p))
            .collect()
    }

    /// Old communes whose name matches like [`AdminUnits::find_communes`] ("Thị trấn" too),
    /// optionally within one old province.
    pub fn find_legacy_communes(
        &self,
        name: &str,
        legacy_province_code: Option<&str>,
    ) -> Vec<&LegacyCommune> {
        let key = search_key(name);
        let province = legacy_province_code.and_then(|p| self.legacy_province(p));
        if legacy_province_code.is_some() && province.is_none() {
            return Vec::new();
        }
        self.legacy_commune_names
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.legacy_communes.get(i))
            .filter(|c| province.is_none_or(|p| c.province_code == p.code))
            .collect()
    }

    fn records(&self, index: &HashMap<String, Vec<usize>>, code: &str) -> Vec<&MergeRecord> {
        index
            .get(code.trim())
            .into_iter()
            .flatten()
            .filter_map(|&i| self.merges.get(i))
            .collect()
    }
}

/// Type words that start unit names, as they look after [`stripped_key`]. Longer first so
/// that "thi tran" is not mistaken for a name starting with "thi".
const TYPE_PREFIXES: [&str; 4] = ["thi tran ", "dac khu ", "phuong ", "xa "];

/// The key names are compared by: tone- and case-insensitive, without the type prefix.
fn search_key(name: &str) -> String {
    let key = stripped_key(name);
    for prefix in TYPE_PREFIXES {
        if let Some(rest) = key.strip_prefix(prefix) {
            if !rest.trim().is_empty() {
                return rest.trim().to_string();
            }
        }
    }
    key
}

fn index_by_code<T>(items: &[T], code: impl Fn(&T) -> &String) -> HashMap<String, usize> {
    items
        .iter()
        .enumerate()
        .map(|(i, it)| (code(it).clone(), i))
        .collect()
}

fn is_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits "Tỉnh Thanh Hóa (38)" into ("Tỉnh Thanh Hóa", "38").
fn split_name_code(s: &str) -> Option<(String, String)> {
    let inner = s.trim().strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let code = inner.get(open + 1..)?.trim();
    let name = inner.get(..open)?.trim();
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    Some((name.to_string(), code.to_string()))
}

/// A cleaned field: NFC (the official table is not all NFC), surrounding whitespace and line
/// breaks removed, inner runs of whitespace collapsed ("Xã  Hòa Khánh").
fn field(rec: &[String], i: usize) -> String {
    let raw = rec.get(i).map(String::as_str).unwrap_or("");
    let nfc: String = raw.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads CSV text (RFC 4180: comma-separated, fields optionally in double quotes, `""` inside
/// quotes for a quote, line breaks allowed inside quotes; LF or CRLF; optional BOM) into
/// records of raw fields. It never fails: a stray quote is kept as text.
pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    // Whether the current field started with a quote; quotes elsewhere are literal.
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                quoted = false;
                if !(record.len() == 1 && record.first().is_some_and(|f| f.is_empty())) {
                    records.push(std::mem::take(&mut record));
                } else {
                    record.clear();
                }
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() || quoted {
        record.push(field);
        records.push(record);
    }
    records
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn csv_reader_handles_quotes_and_line_breaks() {
        let text = "a,\"b, c\",\"say \"\"hi\"\"\"\r\n\n\"multi\nline\",,x\nlast";
        let recs = parse_csv(text);
        assert_eq!(
            recs,
            vec![
                vec!["a", "b, c", "say \"hi\""],
                vec!["multi\nline", "", "x"],
                vec!["last"],
            ]
        );
        assert_eq!(parse_csv(""), Vec::<Vec<String>>::new());
        assert_eq!(parse_csv("\u{feff}x,y\n"), vec![vec!["x", "y"]]);
        // A stray quote inside a field is text, and an unterminated quote does not panic.
        assert_eq!(parse_csv("ab\"c,d"), vec![vec!["ab\"c", "d"]]);
        assert_eq!(parse_csv("\"open,x"), vec![vec!["open,x"]]);
    }

    #[test]
    fn splits_name_and_code() {
        assert_eq!(
            split_name_code("Tỉnh Thanh Hóa (38) "),
            Some(("Tỉnh Thanh Hóa".to_string(), "38".to_string()))
        );
        assert_eq!(
            split_name_code("Thị Xã Mộc Châu (123)"),
            Some(("Thị Xã Mộc Châu".to_string(), "123".to_string()))
        );
        assert_eq!(split_name_code("THANH HÓA"), None);
        assert_eq!(split_name_code("(38)"), None);
    }

    #[test]
    fn counts_of_the_embedded_lists() {
        let u = units();
        assert_eq!(u.provinces().len(), 34);
        assert_eq!(u.communes().len(), 3321);
        assert_eq!(u.legacy_provinces().len(), 63);
        let legacy = u.legacy_communes().len();
        assert_eq!(legacy, 10_051);
        assert!((10_000..=10_700).contains(&legacy));
        assert_eq!(u.merge_records().len(), 10_571);
        // Every new commune has at least one row in the table and a province in force.
        for c in u.communes() {
            assert!(!u.merges_into(&c.code).is_empty(), "{}", c.code);
            assert!(u.province(&c.province_code).is_some(), "{}", c.code);
            assert!(!c.name.is_empty());
        }
        let per_province: usize = u
            .provinces()
            .iter()
            .map(|p| u.communes_of_province(&p.code).len())
            .sum();
        assert_eq!(per_province, 3321);
    }

    #[test]
    fn names_are_clean() {
        let u = units();
        let clean = |s: &str| {
            s == s.trim()
                && !s.contains("  ")
                && !s.contains('\n')
                && unicode_normalization::is_nfc(s)
        };
        assert!(u.provinces().iter().all(|p| clean(&p.name)));
        assert!(u.communes().iter().all(|c| clean(&c.name)));
        assert!(u.legacy_communes().iter().all(|c| clean(&c.name)));
        assert!(u.merge_records().iter().all(|m| clean(&m.old_name)));
        assert_eq!(u.province("38").unwrap().name, "Tỉnh Thanh Hóa");
        assert_eq!(u.province("01").unwrap().name, "Thành phố Hà Nội");
        assert_eq!(u.commune("26732").unwrap().name, "Đặc khu Côn Đảo");
        assert_eq!(u.commune("23284").unwrap().name, "Phường Đăk Cấm");
        assert_eq!(u.legacy_province("27").unwrap().name, "Tỉnh Bắc Ninh");
        assert_eq!(u.legacy_province("038").unwrap().name, "Tỉnh Thanh Hóa");
        assert!(u.legacy_province("99").is_none());
    }

    #[test]
    fn the_demo_commune() {
        let u = units();
        let thang_loi = u.commune("16309").unwrap();
        assert_eq!(thang_loi.name, "Xã Thắng Lợi");
        assert_eq!(thang_loi.province_code, "38");

        let te_loi = u.legacy_commune("16315").unwrap();
        assert_eq!(te_loi.name, "Xã Tế Lợi");
        assert_eq!(te_loi.district_name, "Huyện Nông Cống");
        assert_eq!(te_loi.province_code, "38");
        let succ = u.successors("16315");
        assert_eq!(succ.len(), 1);
        assert_eq!(succ[0].0.code, "16309");
        assert_eq!(succ[0].1, MergeKind::Whole);

        let pred = u.predecessors("16309");
        let names: Vec<&str> = pred.iter().map(|(c, _)| c.name.as_str()).collect();
        assert!(names.contains(&"Xã Tế Lợi"), "{names:?}");
        assert!(pred.iter().all(|(_, k)| *k == MergeKind::Whole));
        assert_eq!(pred.len(), 4);
    }

    #[test]
    fn code_spaces_are_separate() {
        let u = units();
        assert_eq!(u.commune("00004").unwrap().name, "Phường Ba Đình");
        assert_eq!(u.legacy_commune("00004").unwrap().name, "Phường Trúc Bạch");
        assert!(u.commune("00001").is_none());
        assert_eq!(u.legacy_commune("00001").unwrap().name, "Phường Phúc Xá");
    }

    #[test]
    fn a_split_commune_has_several_successors() {
        let u = units();
        // Phường Bồ Đề (00139, Long Biên, Hà Nội) was split between three new wards.
        assert_eq!(u.legacy_commune("00139").unwrap().name, "Phường Bồ Đề");
        let succ = u.successors("00139");
        let mut codes: Vec<&str> = succ.iter().map(|(c, _)| c.code.as_str()).collect();
        codes.sort_unstable();
        assert_eq!(codes, ["00097", "00118", "00145"]);
        assert!(succ.iter().all(|(_, k)| *k == MergeKind::Part));
        // And each of them counts it among its predecessors.
        for code in codes {
            assert!(u
                .predecessors(code)
                .iter()
                .any(|(c, k)| c.code == "00139" && *k == MergeKind::Part));
        }
        let parts = u
            .merge_records()
            .iter()
            .filter(|m| m.kind == MergeKind::Part)
            .count();
        assert!(parts > 900 && parts < 1100, "{parts}");
    }

    #[test]
    fn old_communes_missing_from_the_pre_2025_list_keep_their_table_name() {
        let u = units();
        // Phường 14 (26929, Bình Thạnh) is in the table but not in the pre-2025 list.
        assert!(u.legacy_commune("26929").is_none());
        let rows = u.merges_into("26929");
        assert!(rows
            .iter()
            .any(|m| m.old_code == "26929" && m.old_name == "Phường 14"));
        assert!(u
            .predecessors("26929")
            .iter()
            .all(|(c, _)| c.code != "26929"));
        // A new unit made from a whole district has a row without an old commune.
        let con_dao = u.merges_into("26732");
        assert_eq!(con_dao.len(), 1);
        assert_eq!(con_dao[0].old_code, "");
        assert_eq!(con_dao[0].old_district_code, "755");
        assert!(u.predecessors("26732").is_empty());
    }

    #[test]
    fn finds_communes_by_name() {
        let u = units();
        let found = u.find_communes("thang loi", Some("38"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, "16309");
        for q in ["Xã Thắng Lợi", "XA THANG LOI", "  thắng   lợi "] {
            assert!(
                u.find_communes(q, Some("38"))
                    .iter()
                    .any(|c| c.code == "16309"),
                "{q}"
            );
        }
        assert!(u.find_communes("thang loi", Some("01")).is_empty());
        assert!(u
            .find_communes("Ba Đình", None)
            .iter()
            .any(|c| c.code == "00004"));
        assert!(u
            .find_communes("Côn Đảo", None)
            .iter()
            .any(|c| c.code == "26732"));
        assert!(u.find_communes("nowhere at all", None).is_empty());

        let old = u.find_legacy_communes("te loi", Some("38"));
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].code, "16315");
        let many = u.find_legacy_communes("Thắng Lợi", None);
        assert!(many.len() > 5, "{}", many.len());
        assert!(u.find_legacy_communes("te loi", Some("99")).is_empty());
        assert!(u.find_legacy_communes("te loi", Some("038")).len() == 1);
    }

    #[test]
    fn merge_kind_from_notes() {
        assert_eq!(MergeKind::from_note("Nhập toàn bộ"), MergeKind::Whole);
        assert_eq!(MergeKind::from_note("Giữ nguyên"), MergeKind::Whole);
        assert_eq!(MergeKind::from_note("Nhập một phần"), MergeKind::Part);
        assert_eq!(
            MergeKind::from_note("Nhâp một phần diện tích"),
            MergeKind::Part
        );
        assert_eq!(
            MergeKind::from_note("Nhập một phần diện tích, toàn bộ dân số"),
            MergeKind::Part
        );
    }
}
