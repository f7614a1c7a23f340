#![no_main]
//! The BER-TLV reader: every object, nested, and the header reader.
use libfuzzer_sys::fuzz_target;
use xaso_card::tlv::{self, Reader};

fn walk(r: Reader<'_>, depth: usize) {
    for object in r {
        let Ok(object) = object else { return };
        let _ = (object.value_offset(), object.end());
        if depth < 16 && object.tag.is_constructed() {
            walk(object.children(), depth + 1);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    walk(Reader::new(data), 0);
    if let Ok(h) = tlv::read_header(data) {
        let _ = h.total_len();
    }
    let _ = tlv::read_file(data, tlv::Tag(0x77));
});
