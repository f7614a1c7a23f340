#![no_main]
//! APDUs and secure messaging: command and response parsing, and opening a protected
//! response (terminal) or command (card) under 3DES and AES sessions.
use libfuzzer_sys::fuzz_target;
use xaso_card::chip::apdu::{CommandApdu, ResponseApdu};
use xaso_card::chip::sm::SecureMessaging;

fuzz_target!(|data: &[u8]| {
    let _ = ResponseApdu::parse(data);
    let command = CommandApdu::parse(data);
    let sessions = [
        SecureMessaging::new([0x11; 16], [0x22; 16], [0; 8]),
        SecureMessaging::new_aes([0x11; 16], [0x22; 16]),
    ];
    for session in sessions {
        let mut terminal = session.clone();
        if let Err(e) = terminal.unprotect_response(data) {
            let _ = (e.to_string(), e.vi());
        }
        if let Ok(c) = &command {
            let mut card = session.clone();
            let _ = card.unprotect_command(c);
        }
    }
});
