//! Unit tests. Those that need `qpdf --check`, `pdftotext` or `pdftoppm` (Debian packages
//! `qpdf` and `poppler-utils`) skip when a tool is absent, unless `XASO_PDF_TOOLS_REQUIRED` is
//! set, as CI sets it: then they fail.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;

use super::*;

const BIRTH: &str =
    "Giấy khai sinh — Nguyễn Thị Hoà, sinh ngày 07/03/2026, Xã Thắng Lợi, tỉnh Thanh Hóa";

/// A version-1-sized (21 × 21) matrix with the three finder patterns and a checkerboard between.
fn qr_matrix() -> Vec<Vec<bool>> {
    let finder = |r: usize, c: usize| -> Option<bool> {
        for (r0, c0) in [(0, 0), (0, 14), (14, 0)] {
            if (r0..r0 + 7).contains(&r) && (c0..c0 + 7).contains(&c) {
                let (dr, dc) = (r - r0, c - c0);
                let ring = dr == 0 || dr == 6 || dc == 0 || dc == 6;
                let centre = (2..=4).contains(&dr) && (2..=4).contains(&dc);
                return Some(ring || centre);
            }
        }
        None
    };
    (0..21)
        .map(|r| {
            (0..21)
                .map(|c| finder(r, c).unwrap_or((r + c) % 2 == 0))
                .collect()
        })
        .collect()
}

fn birth_extract() -> Document {
    let mut d = Document::new("Trích lục khai sinh — Nguyễn Thị Hoà");
    d.heading("TRÍCH LỤC KHAI SINH");
    d.paragraph(BIRTH);
    d.field("Họ, chữ đệm, tên", "NGUYỄN THỊ HOÀ");
    d.field("Ngày, tháng, năm sinh", "07/03/2026");
    d.field("Giới tính", "Nữ");
    d.field(
        "Nơi sinh",
        "Trạm Y tế xã Thắng Lợi, tỉnh Thanh Hóa (đăng ký theo đơn vị hành chính sau ngày 01/07/2025)",
    );
    d.qr(&qr_matrix(), "Quét mã để kiểm tra bản trích lục");
    d
}

fn normalize_ws(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The file's frame: header, `%%EOF` as the last line, `startxref` pointing at the xref table,
/// every in-use entry pointing at its `N 0 obj`. Returns the page count.
fn check_structure(pdf: &[u8]) -> usize {
    assert!(pdf.starts_with(b"%PDF-1.7\n"));
    assert!(pdf.ends_with(b"\n%%EOF\n"));
    let text = String::from_utf8_lossy(pdf);
    let at = text.rfind("startxref\n").expect("startxref");
    let xref: usize = text[at + 10..]
        .lines()
        .next()
        .and_then(|l| l.parse().ok())
        .expect("xref offset");
    assert!(pdf[xref..].starts_with(b"xref\n0 "), "startxref {xref}");
    let table = &pdf[xref..];
    let header_end = 5 + table[5..]
        .iter()
        .position(|&b| b == b'\n')
        .expect("xref header");
    let size: usize = std::str::from_utf8(&table[7..header_end])
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("xref size");
    let entries = &table[header_end + 1..];
    assert_eq!(&entries[..20], b"0000000000 65535 f \n");
    for i in 1..size {
        let entry = &entries[20 * i..20 * i + 20];
        assert_eq!(&entry[10..], b" 00000 n \n");
        let offset: usize = std::str::from_utf8(&entry[..10])
            .ok()
            .and_then(|s| s.parse().ok())
            .expect("offset");
        let expected = format!("{i} 0 obj\n");
        assert!(
            pdf[offset..].starts_with(expected.as_bytes()),
            "object {i} at {offset}"
        );
    }
    let count_at = text.find("/Type /Pages ").expect("page tree");
    text[count_at..]
        .split("/Count ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("page count")
}

/// Every stream of the file, inflated.
fn streams(pdf: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = pdf;
    while let Some(start) = find(rest, b">>\nstream\n") {
        let body = &rest[start + 10..];
        let end = find(body, b"\nendstream").expect("endstream");
        let mut inflated = Vec::new();
        flate2::read::ZlibDecoder::new(&body[..end])
            .read_to_end(&mut inflated)
            .expect("FlateDecode");
        out.push(inflated);
        rest = &body[end..];
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether an outside tool runs; if not, the test skips, or fails under XASO_PDF_TOOLS_REQUIRED.
fn tool(name: &str, version_flag: &str) -> bool {
    match Command::new(name).arg(version_flag).output() {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var_os("XASO_PDF_TOOLS_REQUIRED").is_none(),
                "{name} is required (XASO_PDF_TOOLS_REQUIRED is set) but does not run: {e}; \
                 apt-get install qpdf poppler-utils"
            );
            eprintln!("skipped: {name} does not run ({e}); apt-get install qpdf poppler-utils");
            false
        }
    }
}

/// A temporary file holding `pdf`, removed on drop.
struct TempPdf(PathBuf);

impl TempPdf {
    fn new(name: &str, pdf: &[u8]) -> TempPdf {
        let path = std::env::temp_dir().join(format!("xaso-pdf-{}-{name}.pdf", std::process::id()));
        std::fs::write(&path, pdf).expect("write temporary PDF");
        TempPdf(path)
    }
}

impl Drop for TempPdf {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn qpdf_check(file: &TempPdf) {
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(&file.0)
        .output()
        .expect("qpdf");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("No syntax or stream encoding errors"),
        "qpdf --check: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pdftotext(file: &TempPdf, pages: Option<(usize, usize)>) -> String {
    let mut cmd = Command::new("pdftotext");
    cmd.args(["-enc", "UTF-8"]);
    if let Some((first, last)) = pages {
        cmd.args(["-f", &first.to_string(), "-l", &last.to_string()]);
    }
    let out = cmd.arg(&file.0).arg("-").output().expect("pdftotext");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 from pdftotext")
}

#[test]
fn the_embedded_fonts_parse_and_have_vietnamese_letters() {
    for (name, data) in [("DejaVuSans", REGULAR), ("DejaVuSans-Bold", BOLD)] {
        let font = Font::load(name, data, false);
        assert!(font.parsed(), "{name}");
        for c in "ẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹĐđƠơƯư".chars() {
            assert_eq!(font.glyph(c).1, c, "{name} lacks {c}");
        }
        assert_eq!(font.glyph('漢'), font.glyph('?'));
        assert!(font.advance(font.glyph('M').0) > font.advance(font.glyph('i').0));
    }
}

#[test]
fn the_subset_keeps_used_outlines_and_ids_and_drops_the_rest() {
    let font = Font::load("DejaVuSans", REGULAR, false);
    let (gid, _) = font.glyph('ệ');
    let (unused, _) = font.glyph('Ж');
    let used = BTreeSet::from([gid]);
    let subset = font::subset(REGULAR, &used).expect("subset");
    assert!(subset.len() < REGULAR.len() / 4, "{} bytes", subset.len());
    let face = ttf_parser::Face::parse(&subset, 0).expect("the subset parses");
    let full = ttf_parser::Face::parse(REGULAR, 0).expect("the font parses");
    let mut sink = Sink;
    assert_eq!(
        face.outline_glyph(ttf_parser::GlyphId(gid), &mut sink),
        full.outline_glyph(ttf_parser::GlyphId(gid), &mut Sink)
    );
    assert!(face
        .outline_glyph(ttf_parser::GlyphId(gid), &mut sink)
        .is_some());
    assert!(face
        .outline_glyph(ttf_parser::GlyphId(unused), &mut sink)
        .is_none());
    assert_eq!(
        face.glyph_hor_advance(ttf_parser::GlyphId(gid)),
        full.glyph_hor_advance(ttf_parser::GlyphId(gid))
    );
    // The file's checksum adjustment is right: the whole file sums to B1B0AFBA.
    let sum = subset.chunks(4).fold(0u32, |s, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        s.wrapping_add(u32::from_be_bytes(w))
    });
    assert_eq!(sum, 0xB1B0_AFBA);
}

struct Sink;

impl ttf_parser::OutlineBuilder for Sink {
    fn move_to(&mut self, _: f32, _: f32) {}
    fn line_to(&mut self, _: f32, _: f32) {}
    fn quad_to(&mut self, _: f32, _: f32, _: f32, _: f32) {}
    fn curve_to(&mut self, _: f32, _: f32, _: f32, _: f32, _: f32, _: f32) {}
    fn close(&mut self) {}
}

#[test]
fn text_is_cleaned_to_nfc_without_control_characters() {
    assert_eq!(clean("Hoa\u{0300}"), "Hoà");
    assert_eq!(
        clean("a\tb\r\nc\rd\u{0007}e\u{200B}f\u{FEFF}"),
        "a b\nc\ndef"
    );
    assert_eq!(num(0.0), "0");
    assert_eq!(num(-0.001), "0");
    assert_eq!(num(12.5), "12.5");
    assert_eq!(num(841.89), "841.89");
    assert_eq!(num(f64::NAN), "0");
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    let a = birth_extract().to_bytes();
    assert_eq!(a, birth_extract().to_bytes());
    assert_eq!(check_structure(&a), 1);
    let text = String::from_utf8_lossy(&a);
    assert!(text.contains("/Subtype /Type0"));
    assert!(text.contains("/Subtype /CIDFontType2"));
    assert!(text.contains("/Encoding /Identity-H"));
    assert!(text.contains("/CIDToGIDMap /Identity"));
    assert!(text.contains("/FontFile2 "));
    assert!(text.contains("/ToUnicode "));
    assert!(text.contains("/W [ "));
    assert!(!text.contains("/CreationDate"));
    // The title, UTF-16BE with a byte-order mark.
    let title: String = std::iter::once('\u{FEFF}')
        .chain("Trích lục khai sinh — Nguyễn Thị Hoà".chars())
        .collect::<String>()
        .encode_utf16()
        .map(|u| format!("{u:04X}"))
        .collect();
    assert!(text.contains(&format!("/Title <{title}>")), "{text}");
    let other = {
        let mut d = birth_extract();
        d.paragraph("x");
        d.to_bytes()
    };
    assert_ne!(a, other);
}

#[test]
fn a_vietnamese_birth_extract_passes_qpdf_and_extracts_as_typed() {
    let pdf = birth_extract().to_bytes();
    eprintln!("sample birth extract: {} bytes", pdf.len());
    assert!(pdf.len() < 40_000, "{} bytes", pdf.len());
    if !tool("qpdf", "--version") || !tool("pdftotext", "-v") {
        return;
    }
    let file = TempPdf::new("birth", &pdf);
    qpdf_check(&file);
    let text = normalize_ws(&pdftotext(&file, None));
    for expected in [
        "TRÍCH LỤC KHAI SINH",
        BIRTH,
        "Họ, chữ đệm, tên: NGUYỄN THỊ HOÀ",
        "Ngày, tháng, năm sinh: 07/03/2026",
        "Giới tính: Nữ",
        "Quét mã để kiểm tra bản trích lục",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
}

#[test]
fn a_long_paragraph_wraps_onto_a_second_page() {
    let words = [
        "Ủy", "ban", "nhân", "dân", "xã", "Thắng", "Lợi", "chứng", "thực", "bản", "trích", "lục",
        "này", "đúng", "với", "sổ", "đăng", "ký", "khai", "sinh", "đang", "lưu", "giữ",
    ];
    let long: String = (0..1500)
        .map(|i| words[i % words.len()])
        .collect::<Vec<_>>()
        .join(" ");
    let mut d = Document::new("Dài");
    d.paragraph(&long);
    let pdf = d.to_bytes();
    let pages = check_structure(&pdf);
    assert!(pages >= 2, "{pages} pages");
    if !tool("qpdf", "--version") || !tool("pdftotext", "-v") {
        return;
    }
    let file = TempPdf::new("long", &pdf);
    qpdf_check(&file);
    assert_eq!(normalize_ws(&pdftotext(&file, None)), long);
    let second = normalize_ws(&pdftotext(&file, Some((2, 2))));
    assert!(!second.is_empty() && long.ends_with(&second), "{second:?}");
}

#[test]
fn lines_stay_inside_the_margins() {
    let mut d = Document::new("");
    d.paragraph(&"Nghiêng ".repeat(200));
    d.field("Địa chỉ thường trú", &"Thôn Đông, ".repeat(40));
    d.paragraph(&"W".repeat(500));
    let layout_fonts = [
        &Font::load("DejaVuSans", REGULAR, false),
        &Font::load("DejaVuSans-Bold", BOLD, true),
    ];
    let layout = Layout::new(layout_fonts);
    for (style, text, width) in [
        (Style::Regular, "Nghiêng ".repeat(200), CONTENT_WIDTH),
        (Style::Regular, "W".repeat(500), CONTENT_WIDTH),
        (Style::Bold, "Xã Thắng Lợi ".repeat(30), 120.0),
    ] {
        let lines = layout.wrap(style, BODY_SIZE, &text, width);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(line_width(line, BODY_SIZE) <= width + 1e-9);
            assert!(!line.is_empty());
        }
        let rejoined: String = lines
            .iter()
            .map(|l| l.iter().map(|g| g.ch).collect::<String>())
            .collect::<Vec<_>>()
            .join(if text.contains(' ') { " " } else { "" });
        assert_eq!(normalize_ws(&rejoined), normalize_ws(&text));
    }
    check_structure(&d.to_bytes());
}

#[test]
fn the_qr_code_is_drawn_as_filled_squares() {
    let matrix = qr_matrix();
    let mut d = Document::new("QR");
    d.qr(&matrix, "Mã tra cứu");
    let pdf = d.to_bytes();
    check_structure(&pdf);
    let runs: usize = matrix
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .filter(|&(i, &dark)| dark && (i == 0 || !row[i - 1]))
                .count()
        })
        .sum();
    let content = streams(&pdf)
        .into_iter()
        .map(|s| String::from_utf8_lossy(&s).into_owned())
        .find(|s| s.contains(" re\n"))
        .expect("a content stream with rectangles");
    assert_eq!(content.matches(" re\n").count(), runs);
    assert!(content.contains("q 0 g\n") && content.contains("f Q\n"));
    // Square modules: every rectangle is as high as one module's width.
    let m = (QR_SIDE / 21.0).min(QR_MAX_MODULE);
    let module = num(m);
    for line in content.lines().filter(|l| l.ends_with(" re")) {
        assert_eq!(line.split(' ').nth(3), Some(module.as_str()), "{line}");
    }

    if !tool("pdftoppm", "-v") {
        return;
    }
    // Rendered at 72 dpi (1 px = 1 pt): the finder pattern's centre is dark, its inner ring light.
    let file = TempPdf::new("qr", &pdf);
    let out = Command::new("pdftoppm")
        .args(["-r", "72", "-gray", "-f", "1", "-l", "1"])
        .arg(&file.0)
        .output()
        .expect("pdftoppm");
    assert!(out.status.success());
    let pgm = out.stdout;
    let header: Vec<&[u8]> = pgm.splitn(5, |b| b.is_ascii_whitespace()).collect();
    assert_eq!(header[0], b"P5");
    let width: usize = std::str::from_utf8(header[1])
        .expect("w")
        .parse()
        .expect("w");
    let pixels = header[4];
    let left = MARGIN + (CONTENT_WIDTH - 21.0 * m) / 2.0;
    let top = MARGIN;
    let pixel = |row: f64, col: f64| -> u8 {
        let x = (left + col * m) as usize;
        let y = (top + row * m) as usize;
        pixels[y * width + x]
    };
    assert!(pixel(3.5, 3.5) < 64, "finder centre");
    assert!(pixel(1.5, 1.5) > 192, "finder inner ring");
    assert!(pixel(0.5, 0.5) < 64, "finder outer ring");
}

#[test]
fn odd_input_never_panics_and_still_extracts() {
    let mut d = Document::new("");
    d.heading("");
    d.paragraph("");
    d.field("", "");
    d.field(":", "chỉ giá trị");
    d.qr(&[], "");
    d.qr(&[vec![], vec![true; 3], vec![false, true]], "lệch");
    d.paragraph(&"x".repeat(5000));
    d.paragraph("Chữ Hán 漢 và điều khiển\u{0001}\u{0008} bỏ");
    d.paragraph("Hoa\u{0300} NFD");
    let pdf = d.to_bytes();
    assert!(check_structure(&pdf) >= 1);
    check_structure(&Document::new("").to_bytes());
    check_structure(&Document::default().to_bytes());
    if !tool("qpdf", "--version") || !tool("pdftotext", "-v") {
        return;
    }
    let file = TempPdf::new("odd", &pdf);
    qpdf_check(&file);
    let text = normalize_ws(&pdftotext(&file, None));
    assert!(text.contains("Chữ Hán ? và điều khiển bỏ"), "{text}");
    assert!(text.contains("Hoà NFD"), "{text}");
    assert!(text.contains("chỉ giá trị"), "{text}");
    let empty = TempPdf::new("empty", &Document::new("").to_bytes());
    qpdf_check(&empty);
}

/// Any string, or one of Vietnamese letters, spaces, line ends, tabs, combining marks and a
/// letter the font lacks, long enough to wrap and break pages.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Zàáạảãâầấậẩẫăằắặẳẵđệơưữ漢 \n\t\r\u{0300}\u{0323}]{0,600}",
    ]
}

fn arbitrary_matrix() -> impl Strategy<Value = Vec<Vec<bool>>> {
    prop::collection::vec(prop::collection::vec(any::<bool>(), 0..30), 0..30)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn to_bytes_never_panics(
        title in text(),
        blocks in prop::collection::vec(
            (0..4u8, text(), text(), arbitrary_matrix()),
            0..12,
        ),
    ) {
        let mut d = Document::new(&title);
        for (kind, a, b, modules) in &blocks {
            match kind {
                0 => d.heading(a),
                1 => d.paragraph(a),
                2 => d.field(a, b),
                _ => d.qr(modules, a),
            }
        }
        let pdf = d.to_bytes();
        prop_assert!(pdf.starts_with(b"%PDF-"));
        prop_assert!(pdf.ends_with(b"%%EOF\n"));
        prop_assert!(check_structure(&pdf) >= 1);
    }
}
