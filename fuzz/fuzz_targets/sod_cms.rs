#![no_main]
//! EF.SOD: the CMS SignedData, the LDS security object, and passive authentication over it
//! (its signature checked with the certificate it carries; no trusted CSCA).
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;
use xaso_card::lds::passive::{authenticate, Policy, TrustStore};

fuzz_target!(|data: &[u8]| {
    if let Err(e) = xaso_card::lds::parse_sod(data) {
        let _ = (e.to_string(), e.vi());
    }
    let dg1: &[u8] = &[0x61, 0x03, 0x5F, 0x1F, 0x00];
    let pa = authenticate(
        data,
        &[(1, dg1)],
        &TrustStore::new(),
        datetime!(2025-07-01 9:00 UTC),
        Policy::default(),
    );
    for e in pa.failures() {
        let _ = (e.to_string(), e.vi());
    }
});
