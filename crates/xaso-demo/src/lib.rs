//! A deterministic synthetic commune for demos, tests and benchmarks: villages, households,
//! persons with personal IDs built by the rules, residence events, and the sector lists that
//! offices keep about the same people, typed with the mistakes people make.
//! It also prints sample chip ID card QR payloads of its residents ([`card_qr_samples`]) for
//! trying the desk's card comparison without a card.
//!
//! The same options always give the same commune, on every machine: the generator uses its own
//! PRNG and never iterates a hash map.

mod bench_lists;
mod card;
mod generate;
mod names;
mod rng;
mod sector;
mod typos;

use std::io::Write;

use time::Date;
use xaso_domain::register::{Household, Person, ResidenceEvent};

pub use bench_lists::{
    write_bench_list, BenchListOptions, BenchListStats, BENCH_LIST_HEADERS, BENCH_TRUTH_HEADERS,
};
pub use card::{
    card_qr_payload, card_qr_samples, card_qr_samples_text, write_card_qr_samples, CardQrSample,
    CardSampleKind, CARD_QR_SAMPLES_FILE,
};
pub use sector::{SectorList, ERROR_KINDS, SECTOR_KINDS, TRUTH_HEADERS};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// Number of persons in the register (residents, the deceased kept in it, people who
    /// moved away, temporary residents).
    pub residents: usize,
    pub seed: u64,
    /// The commune (new structure); default "16309", Xã Thắng Lợi, Thanh Hóa.
    pub commune_code: String,
    /// Reference date for ages and events; default 2026-11-01.
    pub today: Date,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            residents: 30_000,
            seed: 1,
            commune_code: "16309".to_string(),
            today: time::macros::date!(2026 - 11 - 01),
        }
    }
}

/// A generated commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCommune {
    pub commune_code: String,
    pub commune_name: String,
    pub villages: Vec<String>,
    /// For each village, the code of the commune it belonged to before 1 July 2025 (the
    /// pre-2025 code space), when the commune was formed from old ones.
    pub village_legacy_communes: Vec<Option<String>>,
    pub households: Vec<Household>,
    pub persons: Vec<Person>,
    pub events: Vec<ResidenceEvent>,
    /// The reference date it was generated for.
    pub today: Date,
}

/// Generates the commune. Deterministic: the same options give the same commune.
pub fn generate(opts: &DemoOptions) -> DemoCommune {
    generate::generate(opts)
}

/// Writes one CSV per sector list into `dir` (which must exist), each with a ground-truth file
/// `<kind>.truth.csv` (`row,true_personal_id,errors`) beside it.
pub fn write_sector_lists(
    commune: &DemoCommune,
    dir: &std::path::Path,
    seed: u64,
) -> std::io::Result<Vec<SectorList>> {
    sector::write_sector_lists(commune, dir, seed)
}

/// Columns of the register CSV (the import format), in order.
pub use xaso_domain::register::FILE_HEADERS as REGISTER_HEADERS;

/// Writes the register in the import format: a header row of [`REGISTER_HEADERS`], then one row
/// per person.
pub fn write_register_csv(commune: &DemoCommune, w: impl Write) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(REGISTER_HEADERS)?;
    for p in &commune.persons {
        out.write_record(register_record(p))?;
    }
    out.flush()?;
    Ok(())
}

/// One person as a row of the register CSV, in the order of [`REGISTER_HEADERS`].
pub fn register_record(p: &Person) -> Vec<String> {
    xaso_domain::register::file_row(p)
}

#[cfg(test)]
mod tests;
