//! Subscripts and superscripts in figure text, which plotters draws only as plain strings.
//!
//! Markup: `_{…}` sets its contents as a subscript and `^{…}` as a superscript, so
//! `d_{G}`, `d_{⊥}`, `V^{ref}` and `T_{G}` come out as in the paper. Everything else is
//! literal, including a `_` or `^` not followed by `{` (method keys such as `knn_graph`
//! stay readable). Pieces are drawn one after the other, each at its own size and
//! baseline, measured with the same font that draws them.

use std::cell::RefCell;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figure::draw_error;
use crate::{PlotError, font};

/// Where a piece of text sits relative to the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// On the baseline, at full size.
    Normal,
    /// Below the baseline, smaller.
    Sub,
    /// Above the baseline, smaller.
    Super,
}

/// A run of text in one script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The characters.
    pub text: String,
    /// Their placement.
    pub script: Script,
}

/// Splits markup into runs (see the module documentation).
pub fn parse(markup: &str) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut push = |text: &str, script: Script| {
        if text.is_empty() {
            return;
        }
        match pieces.last_mut() {
            Some(last) if last.script == script => last.text.push_str(text),
            _ => pieces.push(Piece {
                text: text.to_string(),
                script,
            }),
        }
    };
    let mut rest = markup;
    while let Some(at) = rest.find(['_', '^']) {
        let script = if rest[at..].starts_with('_') {
            Script::Sub
        } else {
            Script::Super
        };
        let after = &rest[at + 1..];
        match (after.strip_prefix('{'), after.find('}')) {
            (Some(inner), Some(close)) => {
                push(&rest[..at], Script::Normal);
                push(&inner[..close - 1], script);
                rest = &after[close + 1..];
            }
            _ => {
                push(&rest[..at + 1], Script::Normal);
                rest = after;
            }
        }
    }
    push(rest, Script::Normal);
    pieces
}

/// The markup's characters without the markup (`d_{G}` → `dG`), for plain-text contexts.
pub fn plain(markup: &str) -> String {
    parse(markup).into_iter().map(|p| p.text).collect()
}

/// Horizontal placement of a text relative to its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// The anchor is the left end.
    Left,
    /// The anchor is the middle.
    Centre,
    /// The anchor is the right end.
    Right,
}

/// Size and baseline offset of a script relative to the main text size.
fn metrics(script: Script, size: f64) -> (f64, f64) {
    match script {
        Script::Normal => (size, 0.0),
        Script::Sub => (0.72 * size, 0.22 * size),
        Script::Super => (0.72 * size, -0.36 * size),
    }
}

/// Sets text for one backend. Sizes are em sizes in pixels.
///
/// On a bitmap, glyphs are rasterised here with ab_glyph, each placed at its own bearing
/// and kerned (plotters' `ab_glyph` text drops the left side bearing, which spaces
/// letters unevenly), and rich text is laid out piece by piece.
///
/// In an SVG the viewer's font decides the widths, so text is written as `<text>` with
/// its anchor, and a rich text as one placeholder `<text>` that
/// [`Typesetter::finish_svg`] fills with `<tspan>`s: the viewer then places the subscripts
/// itself, whatever font it has.
#[derive(Debug)]
pub(crate) struct Typesetter {
    /// SVG only: the rich texts drawn as placeholders, with their sizes.
    deferred: Option<RefCell<Vec<(String, f64)>>>,
}

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// plotters' SVG text: font-size = size / 1.24 and dy = 0.76 em below a top anchor.
const SVG_SIZE: f64 = 1.24;
const SVG_TOP_TO_BASELINE: f64 = 0.76;

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Glyph placement of a plain string at `size`: for each glyph, its outline relative to the
/// pen start on the baseline; and the advance width.
fn layout(text: &str, size: f64) -> Result<(Vec<ab_glyph::OutlinedGlyph>, f64), PlotError> {
    use ab_glyph::{Font, ScaleFont};
    let face = font::face()?;
    let units = face.units_per_em().unwrap_or(1000.0);
    let scaled = face.as_scaled(size as f32 * face.height_unscaled() / units);
    let (mut caret, mut prev) = (0f32, None);
    let mut glyphs = Vec::new();
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(scaled.scale(), ab_glyph::point(caret, 0.0));
        if let Some(outline) = face.outline_glyph(glyph) {
            glyphs.push(outline);
        }
        caret += scaled.h_advance(id);
        prev = Some(id);
    }
    Ok((glyphs, f64::from(caret)))
}

impl Typesetter {
    /// For plotters' bitmap backend.
    pub(crate) fn bitmap() -> Self {
        Self { deferred: None }
    }

    /// For plotters' SVG backend.
    pub(crate) fn svg() -> Self {
        Self {
            deferred: Some(RefCell::new(Vec::new())),
        }
    }

    /// Replaces the placeholders of the rich texts in a finished SVG by their `<tspan>`s.
    pub(crate) fn finish_svg(&self, mut svg: String) -> String {
        let Some(deferred) = &self.deferred else {
            return svg;
        };
        for (i, (markup, size)) in deferred.borrow().iter().enumerate() {
            let mut body = String::new();
            let mut shifted = 0.0;
            for p in parse(markup) {
                let (s, shift) = metrics(p.script, *size);
                let text = escape_xml(&p.text);
                if p.script == Script::Normal && shift == shifted {
                    body += &text;
                } else {
                    let font = if p.script == Script::Normal {
                        String::new()
                    } else {
                        format!(" font-size=\"{s:.2}\"")
                    };
                    body += &format!("<tspan dy=\"{:.2}\"{font}>{text}</tspan>", shift - shifted);
                }
                shifted = shift;
            }
            svg = svg.replacen(&format!("{OPEN}{i}{CLOSE}"), &body, 1);
        }
        svg
    }

    /// Width in pixels of the markup set at `size` in the carried font.
    pub(crate) fn width(&self, markup: &str, size: f64) -> Result<f64, PlotError> {
        let mut w = 0.0;
        for p in parse(markup) {
            w += layout(&p.text, metrics(p.script, size).0)?.1;
        }
        Ok(w)
    }

    fn svg_style(size: f64, colour: RGBColor, h: HPos) -> TextStyle<'static> {
        TextStyle {
            font: (font::FAMILY, size * SVG_SIZE).into_font(),
            color: colour.to_backend_color(),
            pos: Pos::new(h, VPos::Top),
        }
    }

    /// Draws the markup with its baseline at `baseline` and its anchor at `x`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        markup: &str,
        x: f64,
        baseline: f64,
        size: f64,
        colour: RGBColor,
        align: Align,
    ) -> Result<(), PlotError> {
        let pieces = parse(markup);
        if let Some(deferred) = &self.deferred {
            let h = match align {
                Align::Left => HPos::Left,
                Align::Centre => HPos::Center,
                Align::Right => HPos::Right,
            };
            let text = if pieces.iter().any(|p| p.script != Script::Normal) {
                let mut deferred = deferred.borrow_mut();
                deferred.push((markup.to_string(), size));
                format!("{OPEN}{}{CLOSE}", deferred.len() - 1)
            } else {
                plain(markup)
            };
            let top = baseline - SVG_TOP_TO_BASELINE * size;
            return area
                .draw_text(
                    &text,
                    &Self::svg_style(size, colour, h),
                    (x.round() as i32, top.round() as i32),
                )
                .map_err(draw_error);
        }
        let total = self.width(markup, size)?;
        let mut at = match align {
            Align::Left => x,
            Align::Centre => x - total / 2.0,
            Align::Right => x - total,
        };
        for p in pieces {
            let (s, shift) = metrics(p.script, size);
            let (glyphs, advance) = layout(&p.text, s)?;
            let (ox, oy) = (at, baseline + shift);
            for g in &glyphs {
                paint(area, g, colour, |gx, gy| (ox + gx, oy + gy))?;
            }
            at += advance;
        }
        Ok(())
    }

    /// Draws plain text turned a quarter counter-clockwise (reading upwards), centred on
    /// `y_centre`, with the top of its letters at `left`: a y-axis title.
    pub(crate) fn draw_upwards<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        text: &str,
        left: f64,
        y_centre: f64,
        size: f64,
        colour: RGBColor,
    ) -> Result<(), PlotError> {
        let text = plain(text);
        if self.deferred.is_some() {
            let style =
                Self::svg_style(size, colour, HPos::Center).transform(FontTransform::Rotate270);
            return area
                .draw_text(
                    &text,
                    &style,
                    (left.round() as i32, y_centre.round() as i32),
                )
                .map_err(draw_error);
        }
        let (glyphs, advance) = layout(&text, size)?;
        // Baseline at `left + ascent`; the pen runs up from `y_centre + advance / 2`.
        let (ox, oy) = (left + SVG_TOP_TO_BASELINE * size, y_centre + advance / 2.0);
        for g in &glyphs {
            paint(area, g, colour, |gx, gy| (ox + gy, oy - gx))?;
        }
        Ok(())
    }
}

/// Blends one glyph's coverage into the area, each pixel placed by `to_area` from the
/// glyph's own coordinates (pen origin on the baseline).
fn paint<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    glyph: &ab_glyph::OutlinedGlyph,
    colour: RGBColor,
    to_area: impl Fn(f64, f64) -> (f64, f64),
) -> Result<(), PlotError> {
    let bounds = glyph.px_bounds();
    let mut failed = None;
    glyph.draw(|x, y, coverage| {
        if coverage <= 0.0 || failed.is_some() {
            return;
        }
        let gx = f64::from(bounds.min.x) + f64::from(x);
        let gy = f64::from(bounds.min.y) + f64::from(y);
        let (px, py) = to_area(gx, gy);
        let c = colour.mix(f64::from(coverage.min(1.0)));
        if let Err(e) = area.draw_pixel((px.round() as i32, py.round() as i32), &c) {
            failed = Some(draw_error(e));
        }
    });
    failed.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(markup: &str) -> Vec<(&'static str, Script)> {
        parse(markup)
            .into_iter()
            .map(|p| (&*Box::leak(p.text.into_boxed_str()), p.script))
            .collect()
    }

    #[test]
    fn subscripts_superscripts_and_literals() {
        use Script::*;
        assert_eq!(
            runs("d_{G} (lower is better)"),
            [("d", Normal), ("G", Sub), (" (lower is better)", Normal)]
        );
        assert_eq!(
            runs("V^{ref} after T_{G}"),
            [
                ("V", Normal),
                ("ref", Super),
                (" after T", Normal),
                ("G", Sub)
            ]
        );
        assert_eq!(runs("knn_graph"), [("knn_graph", Normal)]);
        assert_eq!(runs("a_{open"), [("a_{open", Normal)]);
        assert_eq!(runs("d_{⊥}"), [("d", Normal), ("⊥", Sub)]);
        assert!(parse("").is_empty());
        assert_eq!(plain("d_{⊥} and λ^{2}"), "d⊥ and λ2");
    }
}
