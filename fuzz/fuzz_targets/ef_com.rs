#![no_main]
//! EF.COM as read from the chip.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = xaso_card::lds::parse_com(data) {
        let _ = (e.to_string(), e.vi());
    }
});
