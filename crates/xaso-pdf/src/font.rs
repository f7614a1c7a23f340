//! The embedded TrueType faces: characters to glyphs, advances and metrics (through
//! `ttf-parser`), and the subset of the font program that a document embeds.
//!
//! Subsetting keeps glyph ids as they are (the PDF maps CIDs to glyph ids by `/Identity`): the
//! outlines of glyphs that are not used, directly or as a component of a composite glyph, are
//! emptied, and the tables a PDF reader does not need (`cmap`, `name`, `post`, layout tables) are
//! left out. Any inconsistency in the font makes [`Font::program`] embed the whole file instead;
//! nothing here panics on a malformed font.

use std::collections::{BTreeMap, BTreeSet};

use ttf_parser::{Face, GlyphId};

/// A face's metrics in thousandths of an em, as the PDF FontDescriptor wants them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Metrics {
    pub(crate) ascent: i32,
    pub(crate) descent: i32,
    pub(crate) cap_height: i32,
    pub(crate) bbox: [i32; 4],
    pub(crate) italic_angle: f32,
}

/// One embedded TrueType face.
pub(crate) struct Font {
    /// The PostScript-style name used as `/BaseFont` (after the subset tag).
    pub(crate) name: &'static str,
    pub(crate) bold: bool,
    data: &'static [u8],
    face: Option<Face<'static>>,
    /// The glyph drawn for characters the face lacks: `?`, or `.notdef` if even that is missing.
    fallback: u16,
}

impl Font {
    pub(crate) fn load(name: &'static str, data: &'static [u8], bold: bool) -> Font {
        let face = Face::parse(data, 0).ok();
        let fallback = face
            .as_ref()
            .and_then(|f| f.glyph_index('?'))
            .map_or(0, |g| g.0);
        Font {
            name,
            bold,
            data,
            face,
            fallback,
        }
    }

    #[cfg(test)]
    pub(crate) fn parsed(&self) -> bool {
        self.face.is_some()
    }

    /// The glyph for `c` and the character that glyph stands for in extracted text: `c` itself,
    /// or `?` when the face has no glyph for `c`.
    pub(crate) fn glyph(&self, c: char) -> (u16, char) {
        match self.face.as_ref().and_then(|f| f.glyph_index(c)) {
            Some(g) if g.0 != 0 => (g.0, c),
            _ => (self.fallback, '?'),
        }
    }

    fn units_per_em(&self) -> f64 {
        self.face
            .as_ref()
            .map_or(1000.0, |f| f64::from(f.units_per_em().max(1)))
    }

    fn scale(&self, v: i16) -> i32 {
        (f64::from(v) * 1000.0 / self.units_per_em()).round() as i32
    }

    /// The advance of glyph `gid` in thousandths of an em, rounded: the value written in `/W`
    /// and the one the layout measures with, so that both agree exactly.
    pub(crate) fn advance(&self, gid: u16) -> u32 {
        let Some(face) = &self.face else { return 600 };
        let advance = face.glyph_hor_advance(GlyphId(gid)).unwrap_or(0);
        (f64::from(advance) * 1000.0 / self.units_per_em()).round() as u32
    }

    pub(crate) fn metrics(&self) -> Metrics {
        let Some(face) = &self.face else {
            return Metrics {
                ascent: 800,
                descent: -200,
                cap_height: 700,
                bbox: [0, -200, 1000, 800],
                italic_angle: 0.0,
            };
        };
        let ascent = self.scale(face.ascender());
        let bbox = face.global_bounding_box();
        Metrics {
            ascent,
            descent: self.scale(face.descender()),
            // OS/2 before version 2 (DejaVu's) has no cap height: measure the `H`.
            cap_height: face
                .capital_height()
                .or_else(|| {
                    let h = face.glyph_index('H')?;
                    Some(face.glyph_bounding_box(h)?.y_max)
                })
                .map_or(ascent, |h| self.scale(h)),
            bbox: [
                self.scale(bbox.x_min),
                self.scale(bbox.y_min),
                self.scale(bbox.x_max),
                self.scale(bbox.y_max),
            ],
            italic_angle: face.italic_angle(),
        }
    }

    /// The font program to embed for a document that draws `used` glyphs: a subset, or the
    /// whole file if the font cannot be subset.
    pub(crate) fn program(&self, used: &BTreeMap<u16, char>) -> Vec<u8> {
        let used: BTreeSet<u16> = used.keys().copied().collect();
        subset(self.data, &used).unwrap_or_else(|| self.data.to_vec())
    }
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    let b = d.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The tables of an sfnt file, by tag.
fn tables(data: &[u8]) -> Option<BTreeMap<[u8; 4], &[u8]>> {
    let count = usize::from(u16_at(data, 4)?);
    let mut out = BTreeMap::new();
    for i in 0..count {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = data.get(rec..rec + 4)?.try_into().ok()?;
        let offset = usize::try_from(u32_at(data, rec + 8)?).ok()?;
        let length = usize::try_from(u32_at(data, rec + 12)?).ok()?;
        out.insert(tag, data.get(offset..offset.checked_add(length)?)?);
    }
    Some(out)
}

/// The glyph ids a composite glyph refers to (none for a simple or empty glyph).
fn components(glyph: &[u8]) -> Option<Vec<u16>> {
    const ARGS_ARE_WORDS: u16 = 0x0001;
    const HAVE_SCALE: u16 = 0x0008;
    const MORE_COMPONENTS: u16 = 0x0020;
    const HAVE_X_AND_Y_SCALE: u16 = 0x0040;
    const HAVE_TWO_BY_TWO: u16 = 0x0080;
    if glyph.is_empty() || (u16_at(glyph, 0)? as i16) >= 0 {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let mut at = 10;
    loop {
        let flags = u16_at(glyph, at)?;
        out.push(u16_at(glyph, at + 2)?);
        at += 4;
        at += if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
        if flags & HAVE_SCALE != 0 {
            at += 2;
        } else if flags & HAVE_X_AND_Y_SCALE != 0 {
            at += 4;
        } else if flags & HAVE_TWO_BY_TWO != 0 {
            at += 8;
        }
        if flags & MORE_COMPONENTS == 0 {
            return Some(out);
        }
    }
}

/// A copy of the TrueType font `data` in which only the glyphs in `used` (with `.notdef` and
/// the components of composite glyphs) keep their outlines and metrics. Glyph ids are unchanged.
pub(crate) fn subset(data: &[u8], used: &BTreeSet<u16>) -> Option<Vec<u8>> {
    let tables = tables(data)?;
    let head = *tables.get(b"head")?;
    let hhea = *tables.get(b"hhea")?;
    let hmtx = *tables.get(b"hmtx")?;
    let loca = *tables.get(b"loca")?;
    let glyf = *tables.get(b"glyf")?;
    let maxp = *tables.get(b"maxp")?;
    let glyph_count = u16_at(maxp, 4)?;
    let long_offsets = u16_at(head, 50)? != 0;
    let glyph = |g: u16| -> Option<&[u8]> {
        let i = usize::from(g);
        let (start, end) = if long_offsets {
            (
                usize::try_from(u32_at(loca, 4 * i)?).ok()?,
                usize::try_from(u32_at(loca, 4 * i + 4)?).ok()?,
            )
        } else {
            (
                2 * usize::from(u16_at(loca, 2 * i)?),
                2 * usize::from(u16_at(loca, 2 * i + 2)?),
            )
        };
        glyf.get(start..end)
    };

    // The glyphs to keep: those drawn, .notdef, and every component, transitively.
    let mut keep: BTreeSet<u16> = used.iter().copied().filter(|&g| g < glyph_count).collect();
    keep.insert(0);
    let mut pending: Vec<u16> = keep.iter().copied().collect();
    while let Some(g) = pending.pop() {
        for c in components(glyph(g)?)? {
            if c < glyph_count && keep.insert(c) {
                pending.push(c);
            }
        }
    }

    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity(4 * (usize::from(glyph_count) + 1));
    for g in 0..glyph_count {
        new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
        if keep.contains(&g) {
            new_glyf.extend_from_slice(glyph(g)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());

    // Unused glyphs get zero metrics, which compress to almost nothing.
    let metrics_count = usize::from(u16_at(hhea, 34)?);
    let mut new_hmtx = hmtx.to_vec();
    for g in (0..glyph_count).filter(|g| !keep.contains(g)) {
        let g = usize::from(g);
        let range = if g < metrics_count {
            4 * g..4 * g + 4
        } else {
            let at = 4 * metrics_count + 2 * (g - metrics_count);
            at..at + 2
        };
        if let Some(bytes) = new_hmtx.get_mut(range) {
            bytes.fill(0);
        }
    }

    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.fill(0); // checkSumAdjustment, set below
    new_head
        .get_mut(50..52)?
        .copy_from_slice(&1u16.to_be_bytes()); // long loca offsets

    // In tag order, as the table directory wants them.
    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    for tag in [
        b"OS/2", b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"prep",
    ] {
        let body = match tag {
            b"glyf" => std::mem::take(&mut new_glyf),
            b"head" => std::mem::take(&mut new_head),
            b"hmtx" => std::mem::take(&mut new_hmtx),
            b"loca" => std::mem::take(&mut new_loca),
            _ => match tables.get(tag) {
                Some(t) => t.to_vec(),
                None => continue,
            },
        };
        out_tables.push((*tag, body));
    }
    write_sfnt(out_tables)
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// An sfnt file of `tables`, which are in tag order; `head`'s checkSumAdjustment is computed.
fn write_sfnt(tables: Vec<([u8; 4], Vec<u8>)>) -> Option<Vec<u8>> {
    let count = u16::try_from(tables.len()).ok()?;
    let selector = if count == 0 {
        0
    } else {
        15 - count.leading_zeros() as u16
    };
    let search_range = 16u16.checked_shl(u32::from(selector))?;
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&search_range.to_be_bytes());
    out.extend_from_slice(&selector.to_be_bytes());
    out.extend_from_slice(&(count * 16).saturating_sub(search_range).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, body) in &tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(body).to_be_bytes());
        out.extend_from_slice(&u32::try_from(offset).ok()?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(body.len()).ok()?.to_be_bytes());
        if tag == b"head" {
            head_at = Some(offset);
        }
        offset += body.len().next_multiple_of(4);
    }
    for (_, body) in &tables {
        out.extend_from_slice(body);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    let head_at = head_at?;
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out.get_mut(head_at + 8..head_at + 12)?
        .copy_from_slice(&adjustment.to_be_bytes());
    Some(out)
}
