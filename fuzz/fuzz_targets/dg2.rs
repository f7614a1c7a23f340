#![no_main]
//! DG2 (the face image) as read from the chip.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = xaso_card::lds::parse_dg2(data) {
        let _ = (e.to_string(), e.vi());
    }
});
