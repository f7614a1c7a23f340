#![no_main]
//! The card's QR payload: text as scanned.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(card) = xaso_card::parse_qr(&text) {
        let _ = card.to_payload();
        let _ = card.to_person();
        let _ = card.id_mismatches_vi();
    }
});
