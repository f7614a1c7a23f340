#![no_main]
//! DG13 (Vietnamese personal data) and the fields read from it.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match xaso_card::lds::parse_dg13(data) {
        Ok(dg13) => {
            let _ = dg13.parsed_personal_id();
            let _ = dg13.parsed_old_cmnd();
            let _ = dg13.parsed_date_of_birth();
            let _ = dg13.parsed_issue_date();
            let _ = dg13.parsed_expiry_date();
            let _ = dg13.parsed_sex();
        }
        Err(e) => {
            let _ = (e.to_string(), e.vi());
        }
    }
});
