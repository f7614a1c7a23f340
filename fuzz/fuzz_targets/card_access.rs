#![no_main]
//! EF.CardAccess and its PACEInfos.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match xaso_card::lds::parse_card_access(data) {
        Ok(ca) => {
            let _ = ca.supported_pace();
        }
        Err(e) => {
            let _ = (e.to_string(), e.vi());
        }
    }
});
