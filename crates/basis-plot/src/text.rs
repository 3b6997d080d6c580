//! Text on a [`Canvas`](crate::Canvas): a built-in 5 × 7 pixel font (upper-case letters,
//! digits and the punctuation of axis labels), so plots carry titles, tick values and
//! legends without any font file or system dependency. Lower-case letters are drawn as
//! upper-case; a character the font lacks is drawn as `?`.

use crate::{Canvas, Rgb};

/// Glyph width in font pixels (a character advances one more, for spacing).
pub const GLYPH_WIDTH: usize = 5;
/// Glyph height in font pixels.
pub const GLYPH_HEIGHT: usize = 7;

/// The seven rows of a glyph, five low bits each (bit 4 is the leftmost pixel).
fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        ' ' => [0; 7],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        'A' => [0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '.' => [0, 0, 0, 0, 0, 0x0C, 0x0C],
        ',' => [0, 0, 0, 0, 0x0C, 0x04, 0x08],
        '-' | '−' => [0, 0, 0, 0x1F, 0, 0, 0],
        '+' => [0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        '[' => [0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E],
        ']' => [0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E],
        '/' => [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0],
        ':' => [0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0],
        '=' => [0, 0, 0x1F, 0, 0x1F, 0, 0],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '_' => [0, 0, 0, 0, 0, 0, 0x1F],
        '±' => [0x04, 0x04, 0x1F, 0x04, 0x04, 0, 0x1F],
        '⊥' => [0, 0x04, 0x04, 0x04, 0x04, 0x04, 0x1F],
        '×' => [0, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0],
        '<' => [0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02],
        '>' => [0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08],
        '↓' => [0x04, 0x04, 0x04, 0x04, 0x15, 0x0E, 0x04],
        '↑' => [0x04, 0x0E, 0x15, 0x04, 0x04, 0x04, 0x04],
        _ => [0x0E, 0x11, 0x01, 0x02, 0x04, 0, 0x04],
    }
}

/// Width in canvas pixels of `text` drawn at `scale` (each font pixel is a `scale` × `scale`
/// square; characters are separated by one font pixel).
pub fn text_width(text: &str, scale: usize) -> usize {
    let n = text.chars().count();
    if n == 0 {
        return 0;
    }
    scale * (n * (GLYPH_WIDTH + 1) - 1)
}

impl Canvas {
    /// Draws `text` with its top-left corner at pixel `(x, y)`, each font pixel a
    /// `scale` × `scale` square (`scale` 0 draws nothing). Pixels outside the canvas are
    /// clipped.
    pub fn text(&mut self, x: usize, y: usize, text: &str, c: Rgb, scale: usize) {
        for (i, ch) in text.chars().enumerate() {
            let left = x + i * (GLYPH_WIDTH + 1) * scale;
            for (row, bits) in glyph(ch).iter().enumerate() {
                for col in 0..GLYPH_WIDTH {
                    if bits & (1 << (GLYPH_WIDTH - 1 - col)) == 0 {
                        continue;
                    }
                    for dy in 0..scale {
                        for dx in 0..scale {
                            self.set(left + col * scale + dx, y + row * scale + dy, c);
                        }
                    }
                }
            }
        }
    }

    /// Draws `text` horizontally centred on column `cx`, top at row `y`.
    pub fn text_centered(&mut self, cx: usize, y: usize, text: &str, c: Rgb, scale: usize) {
        let w = text_width(text, scale);
        self.text(cx.saturating_sub(w / 2), y, text, c, scale);
    }

    /// Draws `text` with its right edge at column `right`, top at row `y`.
    pub fn text_right(&mut self, right: usize, y: usize, text: &str, c: Rgb, scale: usize) {
        let w = text_width(text, scale);
        self.text(right.saturating_sub(w), y, text, c, scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INK: Rgb = [0, 0, 0];

    fn ink(c: &Canvas) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for y in 0..c.height() {
            for x in 0..c.width() {
                if c.get(x, y) == Some(INK) {
                    v.push((x, y));
                }
            }
        }
        v
    }

    #[test]
    fn one_draws_its_glyph_pixel_for_pixel() {
        let mut c = Canvas::new(5, 7);
        c.text(0, 0, "1", INK, 1);
        // Rows of '1': ..#.. / .##.. / ..#.. ×4 / .###.
        let expected: Vec<(usize, usize)> = vec![
            (2, 0),
            (1, 1),
            (2, 1),
            (2, 2),
            (2, 3),
            (2, 4),
            (2, 5),
            (1, 6),
            (2, 6),
            (3, 6),
        ];
        assert_eq!(ink(&c), expected);
    }

    #[test]
    fn scale_multiplies_every_pixel_and_width_adds_spacing() {
        let mut a = Canvas::new(40, 20);
        a.text(0, 0, "-", INK, 1);
        let mut b = Canvas::new(40, 20);
        b.text(0, 0, "-", INK, 2);
        assert_eq!(ink(&b).len(), 4 * ink(&a).len());
        assert_eq!(text_width("AB", 1), 11);
        assert_eq!(text_width("AB", 3), 33);
        assert_eq!(text_width("", 2), 0);
    }

    #[test]
    fn lower_case_is_upper_case_and_unknown_is_a_question_mark() {
        let draw = |s: &str| {
            let mut c = Canvas::new(6, 7);
            c.text(0, 0, s, INK, 1);
            ink(&c)
        };
        assert_eq!(draw("k"), draw("K"));
        assert_eq!(draw("€"), draw("\u{1}"));
        assert!(!draw("€").is_empty());
    }

    #[test]
    fn text_is_clipped_at_the_canvas_edge_and_aligned_right() {
        let mut c = Canvas::new(8, 4);
        c.text(6, 2, "W", INK, 1); // mostly outside: no panic
        assert!(ink(&c).iter().all(|&(x, y)| x < 8 && y < 4));
        let mut r = Canvas::new(30, 7);
        r.text_right(30, 0, "I", INK, 1);
        // 'I' has ink in columns 1..=3 of its five; drawn in columns 25..30, the last is 28.
        assert_eq!(ink(&r).iter().map(|p| p.0).max(), Some(28));
    }
}
