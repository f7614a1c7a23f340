#![no_main]
//! The TD1 MRZ, as typed or scanned.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match xaso_card::chip::mrz::parse(&text) {
        Ok(td1) => {
            let _ = td1.mrz_information();
            let _ = td1.vn_personal_id();
        }
        Err(e) => {
            let _ = (e.to_string(), e.vi());
        }
    }
});
