//! Card readers through PC/SC (cargo feature `pcsc`; Debian's `libpcsclite-dev` to build,
//! the `pcscd` service to run): [`list_readers`] and [`PcscTransport`], a
//! [`CardTransport`] like the simulator, so [`super::ChipReader`] reads a real card the same
//! way.
//!
//! The transport completes T=0 exchanges itself: `61xx` (more data waiting) is followed by
//! GET RESPONSE, `6Cxx` (wrong Le) by the same command with Le = xx ([`follow_up`], pure and
//! unit-tested; the rest needs a reader and a card).

use std::ffi::{CStr, CString};

use super::apdu::{CardTransport, TransportError};

/// What to do after a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUp {
    /// The response is complete.
    Done,
    /// Send this command next and append its data to what came so far.
    Send(Vec<u8>),
}

/// At most this many follow-ups per command, so a card that keeps answering 61xx cannot hold
/// the reader forever.
const MAX_FOLLOW_UPS: usize = 64;

/// The next step after `response` to `command`: GET RESPONSE for `61xx`, the command again
/// with Le = xx for `6Cxx` (a short command only), nothing otherwise.
pub fn follow_up(command: &[u8], response: &[u8]) -> FollowUp {
    match response {
        [.., 0x61, xx] => FollowUp::Send(vec![
            command.first().copied().unwrap_or(0) & 0x0F,
            0xC0,
            0,
            0,
            *xx,
        ]),
        [0x6C, xx] => match command {
            // Case 2 (header and Le) or case 4 (header, Lc, data, Le), short: replace Le.
            [_, _, _, _, ..] if command.len() == 5 => {
                let mut c = command.to_vec();
                c[4] = *xx;
                FollowUp::Send(c)
            }
            [_, _, _, _, lc, ..] if *lc != 0 && command.len() == 6 + usize::from(*lc) => {
                let mut c = command.to_vec();
                if let Some(le) = c.last_mut() {
                    *le = *xx;
                }
                FollowUp::Send(c)
            }
            _ => FollowUp::Done,
        },
        _ => FollowUp::Done,
    }
}

fn pcsc_error(what: &str) -> impl Fn(pcsc::Error) -> TransportError + '_ {
    move |e| TransportError::new(format!("{what}: {e}"))
}

/// The names of the PC/SC readers attached; empty when there is none.
pub fn list_readers() -> Result<Vec<String>, TransportError> {
    let context = pcsc::Context::establish(pcsc::Scope::User)
        .map_err(pcsc_error("connecting to the PC/SC service"))?;
    match context.list_readers_owned() {
        Ok(names) => Ok(names
            .iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(pcsc_error("listing the card readers")(e)),
    }
}

/// A card in a PC/SC reader.
pub struct PcscTransport {
    card: pcsc::Card,
}

impl std::fmt::Debug for PcscTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PcscTransport(..)")
    }
}

impl PcscTransport {
    /// Connects to the card in the reader named `reader` (one of [`list_readers`]).
    pub fn connect(reader: &str) -> Result<PcscTransport, TransportError> {
        let context = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(pcsc_error("connecting to the PC/SC service"))?;
        let name = CString::new(reader)
            .map_err(|_| TransportError::new("a reader name with a NUL byte"))?;
        let card = context
            .connect(
                name.as_c_str() as &CStr,
                pcsc::ShareMode::Shared,
                pcsc::Protocols::ANY,
            )
            .map_err(pcsc_error("connecting to the card"))?;
        Ok(PcscTransport { card })
    }

    fn exchange(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buffer = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let answer = self
            .card
            .transmit(command, &mut buffer)
            .map_err(pcsc_error("sending a command to the card"))?;
        Ok(answer.to_vec())
    }
}

impl CardTransport for PcscTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut response = self.exchange(command)?;
        let mut data = Vec::new();
        for _ in 0..MAX_FOLLOW_UPS {
            match follow_up(command, &response) {
                FollowUp::Done => {
                    data.extend_from_slice(&response);
                    return Ok(data);
                }
                FollowUp::Send(next) => {
                    // 61xx: keep what came; 6Cxx: the answer replaces it.
                    if response.len() > 2 {
                        data.extend_from_slice(
                            response.get(..response.len() - 2).unwrap_or_default(),
                        );
                    }
                    response = self.exchange(&next)?;
                }
            }
        }
        Err(TransportError::new(
            "the card kept announcing more data (61xx) beyond any plausible answer",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_data_is_fetched_with_get_response() {
        assert_eq!(
            follow_up(&[0x0C, 0xB0, 0, 0, 0x0D], &[0x61, 0x20]),
            FollowUp::Send(vec![0x0C, 0xC0, 0, 0, 0x20])
        );
        // The class keeps its channel bits only.
        assert_eq!(
            follow_up(&[0x81, 0xB0, 0, 0, 0], &[0xAA, 0x61, 0x00]),
            FollowUp::Send(vec![0x01, 0xC0, 0, 0, 0x00])
        );
    }

    #[test]
    fn a_wrong_le_is_corrected() {
        assert_eq!(
            follow_up(&[0x00, 0xB0, 0, 0, 0x10], &[0x6C, 0x08]),
            FollowUp::Send(vec![0x00, 0xB0, 0, 0, 0x08])
        );
        assert_eq!(
            follow_up(&[0x00, 0x88, 0, 0, 2, 0xAA, 0xBB, 0x00], &[0x6C, 0x40]),
            FollowUp::Send(vec![0x00, 0x88, 0, 0, 2, 0xAA, 0xBB, 0x40])
        );
        // Without Le there is nothing to correct.
        assert_eq!(
            follow_up(&[0x00, 0xA4, 0x02, 0x0C, 2, 0x01, 0x1E], &[0x6C, 0x40]),
            FollowUp::Done
        );
    }

    #[test]
    fn other_answers_are_complete() {
        assert_eq!(
            follow_up(&[0, 0xB0, 0, 0, 4], &[1, 2, 3, 4, 0x90, 0x00]),
            FollowUp::Done
        );
        assert_eq!(follow_up(&[], &[]), FollowUp::Done);
        assert_eq!(
            follow_up(&[0, 0xB0, 0, 0, 4], &[0x6A, 0x82]),
            FollowUp::Done
        );
    }
}
