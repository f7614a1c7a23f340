#![no_main]
//! DG1 as read from the chip.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = xaso_card::lds::parse_dg1(data) {
        let _ = (e.to_string(), e.vi());
    }
});
