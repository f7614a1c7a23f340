#![no_main]
//! The simulated card (BAC, PACE and chip authentication on its side) fed arbitrary
//! commands: the input is split into commands at each length byte.
use libfuzzer_sys::fuzz_target;
use xaso_card::chip::mrz::MrzInformation;
use xaso_card::chip::simulator::SimulatedCard;
use xaso_card::chip::CardTransport;

fuzz_target!(|data: &[u8]| {
    let Ok(mrz) = MrzInformation::new("185012345", "850902", "450902") else {
        return;
    };
    let mut card = SimulatedCard::new(&mrz)
        .with_pace()
        .with_file(0x011E, vec![0x60, 0x03, 0x5C, 0x01, 0x61])
        .with_chip_keys([7; 32], [9; 32]);
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        let n = usize::from(n).min(tail.len());
        let (command, next) = tail.split_at(n);
        let answer = card.transmit(command);
        assert!(answer.is_ok_and(|a| a.len() >= 2));
        rest = next;
    }
});
