#![no_main]
//! An X.509 certificate (a CSCA's or a document signer's).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = xaso_card::lds::cert::Certificate::from_der(data) {
        let _ = (e.to_string(), e.vi());
    }
});
