#![no_main]
//! DG14 (SecurityInfos) and what chip and active authentication read from it.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match xaso_card::lds::parse_dg14(data) {
        Ok(dg14) => {
            let _ = dg14.chip_authentication_key_p256();
            let _ = dg14.offers_chip_authentication_aes128();
            let _ = dg14.active_authentication_algorithm();
            for info in &dg14.infos {
                let _ = info.protocol_name();
            }
        }
        Err(e) => {
            let _ = (e.to_string(), e.vi());
        }
    }
});
