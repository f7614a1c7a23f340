//! Sample chip ID card QR payloads for the demo commune, so that an officer can try the desk's
//! card comparison without a real card: cards of residents as the state would have printed them
//! before the 2025 reform (old commune, district and province in the address), and two desk
//! cases: a name printed with the other tone-mark placement and a date of birth the register
//! got wrong.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use time::{Date, Duration, Weekday};
use xaso_card::CardQr;
use xaso_domain::admin_units::units;
use xaso_domain::register::{Person, ResidenceEventKind};
use xaso_domain::{name, PartialDate, PersonalId};

use crate::rng::{label_hash, mix};
use crate::DemoCommune;

/// The file [`write_card_qr_samples`] writes.
pub const CARD_QR_SAMPLES_FILE: &str = "card-qr-samples.txt";

const REFORM: Date = time::macros::date!(2025 - 07 - 01);
/// Chip ID cards were first issued in 2021.
const FIRST_CHIP_CARD: Date = time::macros::date!(2021 - 01 - 01);
/// Last day cards printed the old three-tier address.
const LAST_OLD_STYLE: Date = time::macros::date!(2025 - 06 - 30);

/// What a sample is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardSampleKind {
    /// The card agrees with the register; its address is the pre-2025 one.
    Matching,
    /// The card prints the name with the other tone-mark placement ("Hoà" for "Hòa").
    ToneVariant,
    /// The card's date of birth has day and month the other way round from the register's:
    /// the register was typed wrong.
    DateOfBirthSwapped,
}

/// One sample card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardQrSample {
    pub kind: CardSampleKind,
    /// The register person the card belongs to.
    pub personal_id: PersonalId,
    pub issue_date: Date,
    /// The QR text, as a desk scanner types it (without the final Enter).
    pub payload: String,
    /// One line saying what the sample shows, for the comment before it.
    pub purpose: String,
}

/// The QR payload of the chip ID card `person` would carry if issued on `issue_date`
/// (Circular 06/2021: `ID|old CMND|Full name|DOB ddmmyyyy|Nam/Nữ|Permanent address|Issue date
/// ddmmyyyy`). Cards issued before 1 July 2025 print the permanent address with the old
/// commune, district and province ("Thôn 1, Xã Trung Thành, Huyện Nông Cống, Tỉnh Thanh
/// Hóa"): for a village of `commune`, the old commune it belonged to; elsewhere the first old
/// commune the person's current commune was made from. Cards issued since print the commune
/// and province in force.
pub fn card_qr_payload(commune: &DemoCommune, person: &Person, issue_date: Date) -> String {
    card_of(commune, person, issue_date).to_payload()
}

fn card_of(commune: &DemoCommune, person: &Person, issue_date: Date) -> CardQr {
    let id = &person.personal_id;
    CardQr {
        personal_id: id.clone(),
        old_cmnd: person.old_cmnd.clone(),
        full_name: person.full_name.clone(),
        date_of_birth: person
            .date_of_birth
            .unwrap_or(PartialDate::Year(id.birth_year())),
        sex: person.sex.unwrap_or_else(|| id.sex()),
        permanent_address: card_address(commune, person, issue_date),
        issue_date: Some(issue_date),
        extra_fields: Vec::new(),
        id_mismatches: Vec::new(),
    }
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The permanent address as a card issued on `issue_date` prints it.
fn card_address(commune: &DemoCommune, person: &Person, issue_date: Date) -> String {
    let u = units();
    let address = &person.permanent_address;
    let raw_detail = address.detail.clone().unwrap_or_default();
    let Some(code) = address.commune_code.as_deref() else {
        return raw_detail;
    };
    // Addresses outside the demo commune carry their units in the detail too.
    let reading = xaso_card::compare::read_card_address(&raw_detail);
    let detail = if reading.current_communes.iter().any(|c| c.code == code) {
        reading.detail.unwrap_or_default()
    } else {
        raw_detail
    };

    if issue_date < REFORM {
        let village_old = (code == commune.commune_code)
            .then(|| commune.villages.iter().position(|v| *v == detail))
            .flatten()
            .and_then(|i| commune.village_legacy_communes.get(i).cloned().flatten());
        let old = village_old
            .and_then(|c| u.legacy_commune(&c))
            .or_else(|| u.predecessors(code).first().map(|(c, _)| *c));
        if let Some(old) = old {
            return join(&[&detail, &old.name, &old.district_name, &old.province_name]);
        }
    }
    match u.commune(code) {
        Some(c) => join(&[
            &detail,
            &c.name,
            u.province(&c.province_code).map_or("", |p| p.name.as_str()),
        ]),
        None => detail,
    }
}

/// Word endings whose tone mark is written on either vowel (old style ↔ new style).
const TONE_PAIRS: [(&str, &str); 15] = [
    ("òa", "oà"),
    ("óa", "oá"),
    ("ỏa", "oả"),
    ("õa", "oã"),
    ("ọa", "oạ"),
    ("òe", "oè"),
    ("óe", "oé"),
    ("ỏe", "oẻ"),
    ("õe", "oẽ"),
    ("ọe", "oẹ"),
    ("ùy", "uỳ"),
    ("úy", "uý"),
    ("ủy", "uỷ"),
    ("ũy", "uỹ"),
    ("ụy", "uỵ"),
];

/// The name with the tone mark of one "oa/oe/uy" ending moved to the other vowel ("Lê Thị Hòa"
/// → "Lê Thị Hoà"), when it has such an ending: the same name to [`name::key`], another string.
fn other_tone_placement(full_name: &str) -> Option<String> {
    let words: Vec<&str> = full_name.split(' ').collect();
    for (i, word) in words.iter().enumerate() {
        for (a, b) in TONE_PAIRS {
            for (from, to) in [(a, b), (b, a)] {
                let Some(stem) = word.strip_suffix(from) else {
                    continue;
                };
                // "Quý": the u belongs to qu, the tone can only be on y.
                if stem.ends_with(['q', 'Q']) {
                    continue;
                }
                let mut out: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
                if let Some(w) = out.get_mut(i) {
                    *w = format!("{stem}{to}");
                }
                let out = out.join(" ");
                if out != full_name && name::key(&out) == name::key(full_name) {
                    return Some(out);
                }
            }
        }
    }
    None
}

fn full_years(birth: &PartialDate, on: Date) -> i32 {
    let mut age = on.year() - birth.year();
    if let Some(d) = birth.full() {
        if (u8::from(d.month()), d.day()) > (u8::from(on.month()), on.day()) {
            age -= 1;
        }
    }
    age
}

/// A weekday between `lo` and `hi` picked by `key` (the next one after a weekend, wrapping
/// round), or `None` when there is none.
fn working_day_between(lo: Date, hi: Date, key: u64) -> Option<Date> {
    let span = u64::try_from((hi - lo).whole_days()).ok()? + 1;
    let first = key % span;
    (0..span.min(7))
        .map(|k| (first + k) % span)
        .filter_map(|off| lo.checked_add(Duration::days(i64::try_from(off).ok()?)))
        .find(|d| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
}

struct Candidate<'a> {
    person: &'a Person,
    issue_date: Date,
    key: u64,
}

/// Living adults of the commune's villages whose card would show the pre-2025 address: their
/// permanent registration here precedes the card's issue, issued between 2021 and June 2025
/// once they were 14. In a fixed pseudo-random order.
fn candidates(commune: &DemoCommune) -> Vec<Candidate<'_>> {
    let mut last_registered: std::collections::HashMap<&str, Date> =
        std::collections::HashMap::new();
    for e in &commune.events {
        if e.kind == ResidenceEventKind::PermanentRegistered {
            let day = e
                .date
                .full()
                .or_else(|| Date::from_ordinal_date(e.date.year(), 1).ok())
                .unwrap_or(FIRST_CHIP_CARD);
            let entry = last_registered.entry(e.personal_id.as_str()).or_insert(day);
            *entry = (*entry).max(day);
        }
    }
    let salt = label_hash("card-qr-samples");
    let mut out: Vec<Candidate> = commune
        .persons
        .iter()
        .filter_map(|p| {
            if p.is_deceased()
                || p.sex.is_none()
                || p.permanent_address.commune_code.as_deref() != Some(&commune.commune_code)
            {
                return None;
            }
            let village = commune
                .villages
                .iter()
                .position(|v| Some(v.as_str()) == p.permanent_address.detail.as_deref())?;
            commune.village_legacy_communes.get(village)?.as_ref()?;
            let dob = p.date_of_birth?;
            if full_years(&dob, commune.today) < 18 {
                return None;
            }
            let fourteen = Date::from_calendar_date(
                dob.year() + 14,
                dob.full().map_or(time::Month::December, |d| d.month()),
                dob.full().map_or(31, |d| d.day().min(28)),
            )
            .ok()?;
            let registered = last_registered
                .get(p.personal_id.as_str())
                .copied()
                .unwrap_or(FIRST_CHIP_CARD);
            let lo = FIRST_CHIP_CARD
                .max(fourteen)
                .max(registered.next_day().unwrap_or(registered));
            let key = mix(&[
                salt,
                p.personal_id.as_str().parse::<u64>().unwrap_or_default(),
            ]);
            let issue_date = working_day_between(lo, LAST_OLD_STYLE, key >> 17)?;
            Some(Candidate {
                person: p,
                issue_date,
                key,
            })
        })
        .collect();
    out.sort_by_key(|c| (c.key, c.person.personal_id.as_str().to_owned()));
    out
}

fn old_commune_of(commune: &DemoCommune, person: &Person) -> String {
    let u = units();
    commune
        .villages
        .iter()
        .position(|v| Some(v.as_str()) == person.permanent_address.detail.as_deref())
        .and_then(|i| commune.village_legacy_communes.get(i).cloned().flatten())
        .and_then(|c| u.legacy_commune(&c))
        .map(|c| format!("{}, {}, {}", c.name, c.district_name, c.province_name))
        .unwrap_or_default()
}

/// About `n` sample cards of residents: all but two agree with the register (their address is
/// the pre-2025 one), then one whose name is printed with the other tone-mark placement and one
/// whose date of birth has day and month the other way round from the register's. Fewer when
/// the commune has too few adults. Deterministic.
pub fn card_qr_samples(commune: &DemoCommune, n: usize) -> Vec<CardQrSample> {
    let all = candidates(commune);
    let specials = n.saturating_sub(1).min(2);
    let mut used = vec![false; all.len()];
    let mut out = Vec::with_capacity(n);

    let mut take = |pred: &dyn Fn(&Person) -> bool| -> Option<usize> {
        let i = (0..all.len()).find(|&i| !used[i] && pred(all[i].person))?;
        used[i] = true;
        Some(i)
    };
    let mut special = Vec::new();
    if specials >= 1 {
        if let Some(i) = take(&|p| other_tone_placement(&p.full_name).is_some()) {
            special.push((i, CardSampleKind::ToneVariant));
        }
    }
    if specials >= 2 {
        let swappable = |p: &Person| {
            p.date_of_birth
                .and_then(|d| d.full())
                .is_some_and(|d| d.day() <= 12 && d.day() != u8::from(d.month()))
        };
        if let Some(i) = take(&swappable) {
            special.push((i, CardSampleKind::DateOfBirthSwapped));
        }
    }
    let normal: Vec<usize> = (0..all.len())
        .filter(|&i| !used[i])
        .take(n - special.len().min(n))
        .collect();

    let chosen = normal
        .into_iter()
        .map(|i| (i, CardSampleKind::Matching))
        .chain(special);
    for (i, kind) in chosen {
        let Some(&Candidate {
            person, issue_date, ..
        }) = all.get(i)
        else {
            continue;
        };
        let mut card = card_of(commune, person, issue_date);
        let issued = PartialDate::Full(issue_date).to_vi();
        let dob = person.date_of_birth.map(|d| d.to_vi()).unwrap_or_default();
        let purpose = match kind {
            CardSampleKind::Matching => format!(
                "matches the register: {} (born {dob}), {}; card issued {issued} with the pre-2025 address {}, now {}",
                person.full_name,
                person.permanent_address.detail.as_deref().unwrap_or(""),
                old_commune_of(commune, person),
                commune.commune_name,
            ),
            CardSampleKind::ToneVariant => {
                let printed = other_tone_placement(&person.full_name).unwrap_or_default();
                let purpose = format!(
                    "name differs only in tone-mark placement: the card prints {printed:?}, the register has {:?} (equivalent)",
                    person.full_name
                );
                card.full_name = printed;
                purpose
            }
            CardSampleKind::DateOfBirthSwapped => {
                let swapped = person
                    .date_of_birth
                    .and_then(|d| d.full())
                    .and_then(|d| {
                        PartialDate::from_ymd(d.year(), d.day(), u8::from(d.month())).ok()
                    });
                let purpose = format!(
                    "date of birth disagrees: the card says {}, the register {dob} (day and month swapped when the register was typed): {}",
                    swapped.map(|d| d.to_vi()).unwrap_or_default(),
                    person.full_name
                );
                if let Some(d) = swapped {
                    card.date_of_birth = d;
                }
                purpose
            }
        };
        out.push(CardQrSample {
            kind,
            personal_id: person.personal_id.clone(),
            issue_date,
            payload: card.to_payload(),
            purpose,
        });
    }
    out
}

/// Writes [`card_qr_samples`] to `dir/card-qr-samples.txt` (`dir` must exist): a header, then
/// for each sample a comment line starting with `#` and the payload on the next line.
pub fn write_card_qr_samples(dir: &Path, commune: &DemoCommune, n: usize) -> io::Result<PathBuf> {
    let path = dir.join(CARD_QR_SAMPLES_FILE);
    let mut w = io::BufWriter::new(std::fs::File::create(&path)?);
    w.write_all(card_qr_samples_text(commune, n).as_bytes())?;
    w.flush()?;
    Ok(path)
}

/// The text of [`write_card_qr_samples`].
pub fn card_qr_samples_text(commune: &DemoCommune, n: usize) -> String {
    let mut out = format!(
        "# Sample chip ID card QR payloads for the demo commune {} ({}), to try the desk's card\n\
         # comparison without a card: paste a payload line where a scanner would type it.\n\
         # Format (Circular 06/2021): ID|old CMND|full name|date of birth|sex|permanent address|issue date.\n",
        commune.commune_name, commune.commune_code
    );
    for (k, s) in card_qr_samples(commune, n).iter().enumerate() {
        out.push_str(&format!("# {}. {}\n{}\n", k + 1, s.purpose, s.payload));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tone_placement_variants() {
        assert_eq!(
            other_tone_placement("Lê Thị Hòa").as_deref(),
            Some("Lê Thị Hoà")
        );
        assert_eq!(
            other_tone_placement("Nguyễn Thị Thuý").as_deref(),
            Some("Nguyễn Thị Thúy")
        );
        assert_eq!(
            other_tone_placement("Trần Thủy Tiên").as_deref(),
            Some("Trần Thuỷ Tiên")
        );
        // The tone of "Quý" and of closed syllables has one place only.
        assert_eq!(other_tone_placement("Lê Văn Quý"), None);
        assert_eq!(other_tone_placement("Hoàng Văn Toàn"), None);
        assert_eq!(other_tone_placement("Nguyễn Văn An"), None);
    }

    #[test]
    fn issue_days_are_weekdays_in_range() {
        let lo = time::macros::date!(2024 - 06 - 01); // a Saturday
        let hi = time::macros::date!(2024 - 06 - 02);
        assert_eq!(working_day_between(lo, hi, 0), None);
        let hi = time::macros::date!(2024 - 06 - 30);
        for key in 0..200 {
            let d = working_day_between(lo, hi, key).unwrap();
            assert!(d >= lo && d <= hi);
            assert!(!matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday));
        }
        assert_eq!(working_day_between(hi, lo, 3), None);
    }
}
