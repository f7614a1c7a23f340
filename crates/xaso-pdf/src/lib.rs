//! Printable results as PDF: a small writer for documents such as a birth-certificate extract
//! or a dossier receipt — A4 portrait pages of centred headings, paragraphs, "label: value"
//! fields and QR codes, flowing onto new pages as needed.
//!
//! Invariants:
//! - Text renders and copies back as typed: DejaVu Sans (regular and bold, embedded here under
//!   their licence, `fonts/LICENSE-DejaVu.txt`) is embedded as a Type0 font over a CIDFontType2
//!   with Identity-H encoding, the advances of its glyphs in `/W`, a `/ToUnicode` CMap and a
//!   subset of the font program in `/FontFile2`. Text is normalised to NFC first, so Vietnamese
//!   letters use the face's precomposed glyphs whatever the input's normal form.
//! - Any input gives a PDF and nothing panics: control characters are dropped, a character the
//!   font lacks is drawn (and extracted) as `?`, a word wider than the line is cut, content that
//!   does not fit goes on a new page (property-tested).
//! - The same document gives the same bytes: no clock, no randomness; `/ID` is a hash of the
//!   file's body.
//! - Pure: no I/O. The caller gives a QR code as its module matrix (`qrcode`'s output).

mod font;
mod pdf;

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

use font::Font;
use pdf::{num, FontUse, PAGE_HEIGHT, PAGE_WIDTH};

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// 20 mm on every side.
const MARGIN: f64 = 56.69;
const CONTENT_WIDTH: f64 = PAGE_WIDTH - 2.0 * MARGIN;
const BODY_SIZE: f64 = 11.0;
const BODY_LEADING: f64 = 15.0;
const HEADING_SIZE: f64 = 16.0;
const HEADING_LEADING: f64 = 21.0;
const CAPTION_SIZE: f64 = 9.0;
const CAPTION_LEADING: f64 = 12.0;
/// The space between a field's label column and its value.
const FIELD_GAP: f64 = 8.0;
/// The label column takes at most this share of the line.
const LABEL_SHARE: f64 = 0.4;
/// A QR code is drawn 36 mm wide, modules at most 4 pt.
const QR_SIDE: f64 = 102.05;
const QR_MAX_MODULE: f64 = 4.0;

/// A document being put together: blocks in reading order, laid out by [`Document::to_bytes`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    title: String,
    blocks: Vec<Block>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Block {
    Heading(String),
    Paragraph(String),
    Field {
        label: String,
        value: String,
    },
    Qr {
        modules: Vec<Vec<bool>>,
        caption: String,
    },
}

/// NFC, line ends as `\n`, other white space as a space, control and invisible formatting
/// characters dropped.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.nfc().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' => {}
            '\u{2060}'..='\u{2064}' | '\u{FEFF}' => {}
            c if c.is_whitespace() => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

impl Document {
    /// An empty document; `title` goes into the document information (what a viewer shows in
    /// its title bar), not onto the page.
    pub fn new(title: &str) -> Document {
        Document {
            title: clean(title).replace('\n', " "),
            blocks: Vec::new(),
        }
    }

    /// A heading: bold, larger, centred.
    pub fn heading(&mut self, text: &str) {
        self.blocks.push(Block::Heading(clean(text)));
    }

    /// A paragraph, wrapped to the page width; `\n` starts a new line.
    pub fn paragraph(&mut self, text: &str) {
        self.blocks.push(Block::Paragraph(clean(text)));
    }

    /// A "label: value" line: the label (bold, a colon added) in a column as wide as the widest
    /// label of the document (at most 40% of the line), the value wrapped beside it.
    pub fn field(&mut self, label: &str, value: &str) {
        let label = clean(label);
        let label = label.trim_end().trim_end_matches(':').trim_end();
        let label = if label.is_empty() {
            String::new()
        } else {
            format!("{label}:")
        };
        self.blocks.push(Block::Field {
            label,
            value: clean(value),
        });
    }

    /// A QR code, centred, its dark modules (`true`) drawn as filled squares, the caption
    /// centred below. Rows may be of different lengths; an empty matrix draws only the caption.
    pub fn qr(&mut self, modules: &[Vec<bool>], caption: &str) {
        self.blocks.push(Block::Qr {
            modules: modules.to_vec(),
            caption: clean(caption),
        });
    }

    /// The PDF file (version 1.7). Always at least one page.
    pub fn to_bytes(&self) -> Vec<u8> {
        let regular = Font::load("DejaVuSans", REGULAR, false);
        let bold = Font::load("DejaVuSans-Bold", BOLD, true);
        let mut layout = Layout::new([&regular, &bold]);
        let label_width = self
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Field { label, .. } => Some(
                    label
                        .split('\n')
                        .map(|line| layout.measure(Style::Bold, BODY_SIZE, line))
                        .fold(0.0, f64::max),
                ),
                _ => None,
            })
            .fold(0.0, f64::max)
            .min(CONTENT_WIDTH * LABEL_SHARE);
        for block in &self.blocks {
            match block {
                Block::Heading(text) => layout.heading(text),
                Block::Paragraph(text) => layout.paragraph(text),
                Block::Field { label, value } => layout.field(label, value, label_width),
                Block::Qr { modules, caption } => layout.qr(modules, caption),
            }
        }
        let (pages, used) = layout.finish();
        let fonts: Vec<FontUse<'_>> = [(&regular, "F1", &used[0]), (&bold, "F2", &used[1])]
            .into_iter()
            .filter(|(_, _, used)| !used.is_empty())
            .map(|(font, resource, used)| FontUse {
                font,
                resource,
                used,
            })
            .collect();
        pdf::write(&self.title, &fonts, &pages)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Regular = 0,
    Bold = 1,
}

impl Style {
    fn resource(self) -> &'static str {
        match self {
            Style::Regular => "F1",
            Style::Bold => "F2",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Glyph {
    id: u16,
    /// Thousandths of an em.
    advance: u32,
    /// What the glyph stands for in extracted text.
    ch: char,
}

type Line = Vec<Glyph>;

fn line_width(line: &[Glyph], size: f64) -> f64 {
    line.iter().map(|g| f64::from(g.advance)).sum::<f64>() * size / 1000.0
}

/// Pages being filled from the top; `y` is the top of the space left on the current page.
struct Layout<'f> {
    fonts: [&'f Font; 2],
    pages: Vec<String>,
    page: String,
    page_used: bool,
    y: f64,
    used: [BTreeMap<u16, char>; 2],
}

impl<'f> Layout<'f> {
    fn new(fonts: [&'f Font; 2]) -> Layout<'f> {
        Layout {
            fonts,
            pages: Vec::new(),
            page: String::new(),
            page_used: false,
            y: PAGE_HEIGHT - MARGIN,
            used: [BTreeMap::new(), BTreeMap::new()],
        }
    }

    fn shape(&self, style: Style, text: &str) -> Line {
        let font = self.fonts[style as usize];
        text.chars()
            .map(|c| {
                let (id, ch) = font.glyph(c);
                Glyph {
                    id,
                    advance: font.advance(id),
                    ch,
                }
            })
            .collect()
    }

    fn measure(&self, style: Style, size: f64, text: &str) -> f64 {
        line_width(&self.shape(style, text), size)
    }

    /// `text` broken into lines no wider than `width`: at `\n`, then greedily at spaces, and
    /// inside a word only when the word alone is wider than the line. Runs of spaces collapse.
    fn wrap(&self, style: Style, size: f64, text: &str, width: f64) -> Vec<Line> {
        let space = self.shape(style, " ");
        let space_width = line_width(&space, size);
        let mut lines = Vec::new();
        for hard in text.split('\n') {
            let mut line: Line = Vec::new();
            let mut used = 0.0;
            for word in hard.split(' ').filter(|w| !w.is_empty()) {
                let glyphs = self.shape(style, word);
                let word_width = line_width(&glyphs, size);
                if !line.is_empty() && used + space_width + word_width <= width {
                    line.extend_from_slice(&space);
                    line.extend(glyphs);
                    used += space_width + word_width;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                used = 0.0;
                for g in glyphs {
                    let w = f64::from(g.advance) * size / 1000.0;
                    if !line.is_empty() && used + w > width {
                        lines.push(std::mem::take(&mut line));
                        used = 0.0;
                    }
                    line.push(g);
                    used += w;
                }
            }
            lines.push(line);
        }
        lines
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.page));
        self.page_used = false;
        self.y = PAGE_HEIGHT - MARGIN;
    }

    /// Starts a new page unless `height` fits on this one (or this one is still empty).
    fn need(&mut self, height: f64) {
        if self.page_used && self.y - height < MARGIN {
            self.new_page();
        }
        self.page_used = true;
    }

    /// Vertical space, dropped at the top of a page.
    fn gap(&mut self, height: f64) {
        if self.page_used {
            self.y -= height;
        }
    }

    /// One line of text at `x`, in a line box of `leading` whose top is the current `y`.
    fn text(&mut self, style: Style, size: f64, leading: f64, x: f64, line: &[Glyph]) {
        if line.is_empty() {
            return;
        }
        let baseline = self.y - (leading - size) / 2.0 - 0.8 * size;
        let mut hex = String::with_capacity(4 * line.len());
        for g in line {
            hex.push_str(&format!("{:04X}", g.id));
            self.used[style as usize].entry(g.id).or_insert(g.ch);
        }
        self.page.push_str(&format!(
            "BT /{} {} Tf {} {} Td <{hex}> Tj ET\n",
            style.resource(),
            num(size),
            num(x),
            num(baseline)
        ));
    }

    fn heading(&mut self, text: &str) {
        self.gap(6.0);
        for line in self.wrap(Style::Bold, HEADING_SIZE, text, CONTENT_WIDTH) {
            self.need(HEADING_LEADING);
            let x = MARGIN + (CONTENT_WIDTH - line_width(&line, HEADING_SIZE)) / 2.0;
            self.text(Style::Bold, HEADING_SIZE, HEADING_LEADING, x, &line);
            self.y -= HEADING_LEADING;
        }
        self.gap(6.0);
    }

    fn paragraph(&mut self, text: &str) {
        for line in self.wrap(Style::Regular, BODY_SIZE, text, CONTENT_WIDTH) {
            self.need(BODY_LEADING);
            self.text(Style::Regular, BODY_SIZE, BODY_LEADING, MARGIN, &line);
            self.y -= BODY_LEADING;
        }
        self.gap(4.0);
    }

    fn field(&mut self, label: &str, value: &str, label_width: f64) {
        let column = if label_width > 0.0 {
            label_width + FIELD_GAP
        } else {
            0.0
        };
        let labels = if label.is_empty() {
            Vec::new()
        } else {
            self.wrap(Style::Bold, BODY_SIZE, label, label_width)
        };
        let values = self.wrap(Style::Regular, BODY_SIZE, value, CONTENT_WIDTH - column);
        for row in 0..labels.len().max(values.len()) {
            self.need(BODY_LEADING);
            if let Some(line) = labels.get(row) {
                self.text(Style::Bold, BODY_SIZE, BODY_LEADING, MARGIN, line);
            }
            if let Some(line) = values.get(row) {
                self.text(
                    Style::Regular,
                    BODY_SIZE,
                    BODY_LEADING,
                    MARGIN + column,
                    line,
                );
            }
            self.y -= BODY_LEADING;
        }
        self.gap(2.0);
    }

    fn qr(&mut self, modules: &[Vec<bool>], caption: &str) {
        let rows = modules.len();
        let columns = modules.iter().map(Vec::len).max().unwrap_or(0);
        let size = rows.max(columns);
        let module = if size == 0 {
            0.0
        } else {
            (QR_SIDE / size as f64).min(QR_MAX_MODULE)
        };
        let captions = if caption.trim().is_empty() {
            Vec::new()
        } else {
            self.wrap(Style::Regular, CAPTION_SIZE, caption, CONTENT_WIDTH)
        };
        let height = rows as f64 * module;
        self.gap(6.0);
        self.need(height + 4.0 + captions.len() as f64 * CAPTION_LEADING);
        let left = MARGIN + (CONTENT_WIDTH - columns as f64 * module) / 2.0;
        let mut squares = String::new();
        for (r, row) in modules.iter().enumerate() {
            let y = self.y - (r + 1) as f64 * module;
            let mut c = 0;
            while c < row.len() {
                if !row[c] {
                    c += 1;
                    continue;
                }
                let start = c;
                while c < row.len() && row[c] {
                    c += 1;
                }
                // One rectangle per horizontal run of dark modules.
                squares.push_str(&format!(
                    "{} {} {} {} re\n",
                    num(left + start as f64 * module),
                    num(y),
                    num((c - start) as f64 * module),
                    num(module)
                ));
            }
        }
        if !squares.is_empty() {
            self.page.push_str("q 0 g\n");
            self.page.push_str(&squares);
            self.page.push_str("f Q\n");
        }
        self.y -= height + 4.0;
        for line in captions {
            self.need(CAPTION_LEADING);
            let x = MARGIN + (CONTENT_WIDTH - line_width(&line, CAPTION_SIZE)) / 2.0;
            self.text(Style::Regular, CAPTION_SIZE, CAPTION_LEADING, x, &line);
            self.y -= CAPTION_LEADING;
        }
        self.gap(6.0);
    }

    fn finish(mut self) -> (Vec<String>, [BTreeMap<u16, char>; 2]) {
        self.pages.push(self.page);
        (self.pages, self.used)
    }
}

#[cfg(test)]
mod tests;
