//! The PDF file: objects, streams, the cross-reference table and the trailer.
//!
//! Object numbers are fixed by the document's shape: 1 the catalog, 2 the page tree, 3 the
//! document information, then five objects per font that the pages use (Type0 font, CIDFontType2
//! descendant, FontDescriptor, FontFile2, ToUnicode CMap), then a page and its content stream
//! per page. The `/ID` is a hash of the file's body, so the same document gives the same bytes.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::Compression;

use crate::font::Font;

/// A4 portrait, in points.
pub(crate) const PAGE_WIDTH: f64 = 595.28;
pub(crate) const PAGE_HEIGHT: f64 = 841.89;

/// A face that the pages draw with, under the resource name `resource` (`F1`, `F2`).
pub(crate) struct FontUse<'a> {
    pub(crate) font: &'a Font,
    pub(crate) resource: &'static str,
    /// Glyph ids drawn, each with the character it stands for.
    pub(crate) used: &'a BTreeMap<u16, char>,
}

/// A number as PDF syntax: at most two decimals, no exponent, no `-0`.
pub(crate) fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let rounded = (v * 100.0).round() / 100.0;
    if rounded == 0.0 {
        return "0".to_owned();
    }
    let text = format!("{rounded:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A text string as UTF-16BE with a byte-order mark, written in hex.
fn text_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        out.push_str(&format!("{unit:04X}"));
    }
    out.push('>');
    out
}

fn deflate(data: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).ok()?;
    encoder.finish().ok()
}

/// A stream object's body, compressed with FlateDecode (or stored as it is if compression
/// failed); `extra` goes into the stream dictionary.
fn stream(extra: &str, data: &[u8]) -> Vec<u8> {
    let (filter, body) = match deflate(data) {
        Some(packed) => (" /Filter /FlateDecode", packed),
        None => ("", data.to_vec()),
    };
    let mut out = format!("<< /Length {}{filter}{extra} >>\nstream\n", body.len()).into_bytes();
    out.extend_from_slice(&body);
    out.extend_from_slice(b"\nendstream");
    out
}

/// 64-bit FNV-1a from `seed`: enough to tell files apart in `/ID`, not a security hash.
fn fnv1a(seed: u64, data: &[u8]) -> u64 {
    data.iter().fold(seed, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// Six capital letters naming a subset, from the face and the glyphs in it (PDF 32000 9.6.4).
fn subset_tag(name: &str, used: &BTreeMap<u16, char>) -> String {
    let mut bytes = name.as_bytes().to_vec();
    for gid in used.keys() {
        bytes.extend_from_slice(&gid.to_be_bytes());
    }
    let mut h = fnv1a(0xCBF2_9CE4_8422_2325, &bytes);
    (0..6)
        .map(|_| {
            let letter = char::from(b'A' + (h % 26) as u8);
            h /= 26;
            letter
        })
        .collect()
}

/// `/W`: the advance of every glyph drawn, consecutive ids grouped.
fn widths(font: &Font, used: &BTreeMap<u16, char>) -> String {
    let mut out = String::from("[");
    let mut previous: Option<u16> = None;
    for (i, &gid) in used.keys().enumerate() {
        let width = font.advance(gid);
        if previous.is_some_and(|p| p.checked_add(1) == Some(gid)) {
            out.push_str(&format!(" {width}"));
        } else {
            if previous.is_some() {
                out.push(']');
            }
            out.push_str(if i % 16 == 15 { "\n" } else { " " });
            out.push_str(&format!("{gid} [{width}"));
        }
        previous = Some(gid);
    }
    if previous.is_some() {
        out.push(']');
    }
    out.push_str(" ]");
    out
}

/// The ToUnicode CMap: each glyph drawn back to its character, for copy and paste.
fn to_unicode(used: &BTreeMap<u16, char>) -> String {
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let pairs: Vec<(&u16, &char)> = used.iter().collect();
    for chunk in pairs.chunks(100) {
        out.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (gid, ch) in chunk {
            let mut units = String::new();
            for unit in ch.encode_utf16(&mut [0; 2]) {
                units.push_str(&format!("{unit:04X}"));
            }
            out.push_str(&format!("<{gid:04X}> <{units}>\n"));
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}

/// The five objects of one font, numbered from `first`.
fn font_objects(first: usize, f: &FontUse<'_>) -> [Vec<u8>; 5] {
    let name = format!("{}+{}", subset_tag(f.font.name, f.used), f.font.name);
    let m = f.font.metrics();
    let program = f.font.program(f.used);
    let type0 = format!(
        "<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H \
         /DescendantFonts [{} 0 R] /ToUnicode {} 0 R >>",
        first + 1,
        first + 4
    );
    let cid_font = format!(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
         /FontDescriptor {} 0 R /CIDToGIDMap /Identity /DW 1000\n/W {} >>",
        first + 2,
        widths(f.font, f.used)
    );
    let (stem, weight) = if f.font.bold { (120, 700) } else { (80, 400) };
    let descriptor = format!(
        "<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{} {} {} {}] \
         /ItalicAngle {} /Ascent {} /Descent {} /CapHeight {} /StemV {stem} /FontWeight {weight} \
         /FontFile2 {} 0 R >>",
        m.bbox[0],
        m.bbox[1],
        m.bbox[2],
        m.bbox[3],
        num(f64::from(m.italic_angle)),
        m.ascent,
        m.descent,
        m.cap_height,
        first + 3
    );
    [
        type0.into_bytes(),
        cid_font.into_bytes(),
        descriptor.into_bytes(),
        stream(&format!(" /Length1 {}", program.len()), &program),
        stream("", to_unicode(f.used).as_bytes()),
    ]
}

/// The whole file: `pages` are content streams (uncompressed operators), `fonts` the faces
/// they draw with.
pub(crate) fn write(title: &str, fonts: &[FontUse<'_>], pages: &[String]) -> Vec<u8> {
    let first_font = 4;
    let first_page = first_font + 5 * fonts.len();
    let count = first_page + 2 * pages.len() - 1;

    let mut objects: Vec<Vec<u8>> = Vec::with_capacity(count);
    objects.push(
        b"<< /Type /Catalog /Pages 2 0 R /Lang (vi) /ViewerPreferences << /DisplayDocTitle true >> >>"
            .to_vec(),
    );
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .into_bytes(),
    );
    objects.push(
        format!(
            "<< /Title {} /Producer {} >>",
            text_string(title),
            text_string("Xã số")
        )
        .into_bytes(),
    );
    let mut resources = String::from("<< /Font <<");
    for (i, f) in fonts.iter().enumerate() {
        resources.push_str(&format!(" /{} {} 0 R", f.resource, first_font + 5 * i));
        objects.extend(font_objects(first_font + 5 * i, f));
    }
    resources.push_str(" >> >>");
    for (i, content) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources {resources} \
                 /Contents {} 0 R >>",
                num(PAGE_WIDTH),
                num(PAGE_HEIGHT),
                first_page + 2 * i + 1
            )
            .into_bytes(),
        );
        objects.push(stream("", content.as_bytes()));
    }

    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let id = format!(
        "{:016X}{:016X}",
        fnv1a(0xCBF2_9CE4_8422_2325, &out),
        fnv1a(0x6C62_272E_07BB_0142, &out)
    );
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
    );
    for offset in &offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 3 0 R /ID [<{id}> <{id}>] >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    out
}
