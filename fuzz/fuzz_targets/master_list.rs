#![no_main]
//! An ICAO CSCA master list (CMS SignedData of a CscaMasterList).
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;
use xaso_card::lds::passive::{Policy, TrustStore};

fuzz_target!(|data: &[u8]| {
    if let Err(e) = TrustStore::from_master_list(
        data,
        &TrustStore::new(),
        datetime!(2025-07-01 9:00 UTC),
        Policy::default(),
    ) {
        let _ = (e.to_string(), e.vi());
    }
});
