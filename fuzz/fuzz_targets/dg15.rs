#![no_main]
//! DG15 (the active authentication key) as read from the chip.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = xaso_card::lds::parse_dg15(data) {
        let _ = (e.to_string(), e.vi());
    }
});
