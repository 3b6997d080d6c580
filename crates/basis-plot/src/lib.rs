//! Raster plots written as PNG, with no font or system dependency.
//!
//! A [`Canvas`] is an RGB image split into panels; each [`Panel`] maps a data
//! rectangle to a pixel rectangle. It can fill a scalar field with a diverging
//! colour map (the network's embedding over the plane, as in BASiS Fig. 1) and
//! draw points in categorical colours (a clustering), lines, bars and text in a built-in
//! 5 × 7 pixel font ([`text`]). Files are written atomically.
#![warn(missing_docs)]

use std::path::Path;

pub mod chart;
pub mod text;
pub use chart::{Series, legend, line_chart};
pub use text::text_width;

/// Everything that can go wrong while plotting.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Encoding the PNG failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
    /// Writing the file failed.
    #[error(transparent)]
    Write(#[from] basis_data::DataError),
    /// A panel or range that cannot be drawn.
    #[error("invalid plot geometry: {0}")]
    Geometry(String),
}

/// An RGB colour.
pub type Rgb = [u8; 3];

/// Ten distinguishable categorical colours (Tableau 10).
pub const CATEGORICAL: [Rgb; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// Categorical colour of class `c` (cycles after ten).
pub fn categorical(c: usize) -> Rgb {
    CATEGORICAL[c % CATEGORICAL.len()]
}

/// Diverging blue–white–red colour for `t ∈ [-1, 1]` (clamped).
pub fn diverging(t: f64) -> Rgb {
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let (lo, mid, hi) = (
        [59.0, 76.0, 192.0],
        [242.0, 242.0, 242.0],
        [180.0, 4.0, 38.0],
    );
    let (a, b, s) = if t < 0.0 { (mid, lo, -t) } else { (mid, hi, t) };
    [0, 1, 2].map(|i| (a[i] + (b[i] - a[i]) * s).round() as u8)
}

/// An RGB image.
#[derive(Debug, Clone)]
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

/// A rectangle of the canvas showing the data rectangle `[x0, x1] × [y0, y1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Panel {
    /// Left pixel column.
    pub left: usize,
    /// Top pixel row.
    pub top: usize,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Data range along x.
    pub x_range: (f64, f64),
    /// Data range along y.
    pub y_range: (f64, f64),
}

impl Panel {
    /// Data coordinates of the centre of pixel `(px, py)` inside the panel.
    pub fn data_at(&self, px: usize, py: usize) -> (f64, f64) {
        let fx = (px as f64 + 0.5) / self.width as f64;
        let fy = (py as f64 + 0.5) / self.height as f64;
        (
            self.x_range.0 + fx * (self.x_range.1 - self.x_range.0),
            self.y_range.1 - fy * (self.y_range.1 - self.y_range.0),
        )
    }

    /// Canvas pixel of data point `(x, y)`, or `None` when outside the panel.
    pub fn pixel_of(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let fx = (x - self.x_range.0) / (self.x_range.1 - self.x_range.0);
        let fy = (self.y_range.1 - y) / (self.y_range.1 - self.y_range.0);
        if !(0.0..1.0).contains(&fx) || !(0.0..1.0).contains(&fy) {
            return None;
        }
        Some((
            self.left + (fx * self.width as f64) as usize,
            self.top + (fy * self.height as f64) as usize,
        ))
    }
}

impl Canvas {
    /// A white canvas.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            pixels: vec![255; width * height * 3],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Sets one pixel (ignored outside the canvas).
    pub fn set(&mut self, x: usize, y: usize, c: Rgb) {
        if x < self.width && y < self.height {
            let o = (y * self.width + x) * 3;
            self.pixels[o..o + 3].copy_from_slice(&c);
        }
    }

    /// The colour of a pixel.
    pub fn get(&self, x: usize, y: usize) -> Option<Rgb> {
        (x < self.width && y < self.height).then(|| {
            let o = (y * self.width + x) * 3;
            [self.pixels[o], self.pixels[o + 1], self.pixels[o + 2]]
        })
    }

    /// Checks that a panel fits and has a non-degenerate data range.
    pub fn check_panel(&self, p: &Panel) -> Result<(), PlotError> {
        let ok_range = |r: (f64, f64)| r.0.is_finite() && r.1.is_finite() && r.1 > r.0;
        if p.width == 0
            || p.height == 0
            || p.left + p.width > self.width
            || p.top + p.height > self.height
        {
            return Err(PlotError::Geometry(format!(
                "panel {p:?} does not fit a {}×{} canvas",
                self.width, self.height
            )));
        }
        if !ok_range(p.x_range) || !ok_range(p.y_range) {
            return Err(PlotError::Geometry(format!(
                "empty or non-finite data range in {p:?}"
            )));
        }
        Ok(())
    }

    /// Fills the panel with `colour(value)` where `values` holds one value per panel pixel, row-major from the top.
    pub fn fill_field(
        &mut self,
        p: &Panel,
        values: &[f64],
        colour: impl Fn(f64) -> Rgb,
    ) -> Result<(), PlotError> {
        self.check_panel(p)?;
        if values.len() != p.width * p.height {
            return Err(PlotError::Geometry(format!(
                "{} values for a {}×{} panel",
                values.len(),
                p.width,
                p.height
            )));
        }
        for py in 0..p.height {
            for px in 0..p.width {
                self.set(p.left + px, p.top + py, colour(values[py * p.width + px]));
            }
        }
        Ok(())
    }

    /// Draws a filled disc of radius `r` pixels with a dark outline at data point `(x, y)`.
    pub fn point(&mut self, p: &Panel, x: f64, y: f64, r: usize, c: Rgb) {
        let Some((cx, cy)) = p.pixel_of(x, y) else {
            return;
        };
        let r = r as isize;
        for dy in -r - 1..=r + 1 {
            for dx in -r - 1..=r + 1 {
                let d2 = dx * dx + dy * dy;
                let (px, py) = (cx as isize + dx, cy as isize + dy);
                let inside = px >= p.left as isize
                    && py >= p.top as isize
                    && px < (p.left + p.width) as isize
                    && py < (p.top + p.height) as isize;
                if !inside {
                    continue;
                }
                if d2 <= r * r {
                    self.set(px as usize, py as usize, c);
                } else if d2 <= (r + 1) * (r + 1) {
                    self.set(px as usize, py as usize, [20, 20, 20]);
                }
            }
        }
    }

    /// Draws a one-pixel frame around a panel.
    pub fn frame(&mut self, p: &Panel, c: Rgb) {
        for x in p.left..p.left + p.width {
            self.set(x, p.top, c);
            self.set(x, p.top + p.height - 1, c);
        }
        for y in p.top..p.top + p.height {
            self.set(p.left, y, c);
            self.set(p.left + p.width - 1, y, c);
        }
    }

    /// Fills the data rectangle `[x0, x1] × [y0, y1]` (clipped to the panel), e.g. a bar.
    pub fn fill_rect(&mut self, p: &Panel, (x0, x1): (f64, f64), (y0, y1): (f64, f64), c: Rgb) {
        for py in 0..p.height {
            for px in 0..p.width {
                let (x, y) = p.data_at(px, py);
                if x >= x0.min(x1) && x <= x0.max(x1) && y >= y0.min(y1) && y <= y0.max(y1) {
                    self.set(p.left + px, p.top + py, c);
                }
            }
        }
    }

    /// Draws a polyline through data points (consecutive pixels joined by straight segments).
    pub fn polyline(&mut self, p: &Panel, xs: &[f64], ys: &[f64], c: Rgb) {
        let pts: Vec<Option<(usize, usize)>> =
            xs.iter().zip(ys).map(|(&x, &y)| p.pixel_of(x, y)).collect();
        for w in pts.windows(2) {
            if let (Some(a), Some(b)) = (w[0], w[1]) {
                let steps = a.0.abs_diff(b.0).max(a.1.abs_diff(b.1)).max(1);
                for s in 0..=steps {
                    let t = s as f64 / steps as f64;
                    let x = a.0 as f64 + t * (b.0 as f64 - a.0 as f64);
                    let y = a.1 as f64 + t * (b.1 as f64 - a.1 as f64);
                    self.set(x.round() as usize, y.round() as usize, c);
                }
            }
        }
    }

    /// Encodes the canvas as PNG bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc
                .write_header()
                .map_err(|e| PlotError::Encode(e.to_string()))?;
            w.write_image_data(&self.pixels)
                .map_err(|e| PlotError::Encode(e.to_string()))?;
        }
        Ok(out)
    }

    /// Writes the canvas as a PNG file, atomically.
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        basis_data::io::write_atomic(path, &self.to_png()?)?;
        Ok(())
    }
}

/// A data range covering `values` with a relative margin; a constant range is widened to ±0.5.
pub fn padded_range(values: impl IntoIterator<Item = f64>, margin: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * margin;
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panel_maps_corners_consistently() {
        let p = Panel {
            left: 10,
            top: 5,
            width: 100,
            height: 50,
            x_range: (0.0, 1.0),
            y_range: (-1.0, 1.0),
        };
        assert_eq!(p.pixel_of(0.0, 1.0 - 1e-9), Some((10, 5)));
        assert_eq!(p.pixel_of(2.0, 0.0), None);
        let (x, y) = p.data_at(0, 0);
        assert!(x > 0.0 && x < 0.01 && y < 1.0 && y > 0.95);
    }

    #[test]
    fn png_round_trip_dimensions_and_colours() {
        let mut c = Canvas::new(20, 10);
        let p = Panel {
            left: 0,
            top: 0,
            width: 20,
            height: 10,
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
        };
        let vals: Vec<f64> = (0..200).map(|i| (i % 20) as f64 / 10.0 - 1.0).collect();
        c.fill_field(&p, &vals, diverging).unwrap();
        assert_eq!(c.get(0, 0), Some(diverging(-1.0)));
        let bytes = c.to_png().unwrap();
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = dec.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (20, 10));
        assert!(c.fill_field(&p, &vals[..5], diverging).is_err());
    }

    #[test]
    fn fill_rect_covers_exactly_its_data_rectangle() {
        let mut c = Canvas::new(10, 10);
        let p = Panel {
            left: 0,
            top: 0,
            width: 10,
            height: 10,
            x_range: (0.0, 10.0),
            y_range: (0.0, 10.0),
        };
        c.fill_rect(&p, (2.0, 4.0), (0.0, 5.0), [1, 2, 3]);
        let filled = (0..10)
            .flat_map(|x| (0..10).map(move |y| (x, y)))
            .filter(|&(x, y)| c.get(x, y) == Some([1, 2, 3]))
            .count();
        // Pixel centres x ∈ {2.5, 3.5}, y ∈ {0.5, …, 4.5}: the bottom half of columns 2 and 3.
        assert_eq!(filled, 10);
        assert_eq!(c.get(2, 9), Some([1, 2, 3]));
        assert_eq!(c.get(2, 4), Some([255, 255, 255]));
    }

    #[test]
    fn colour_maps() {
        assert_eq!(diverging(0.0), [242, 242, 242]);
        assert_eq!(diverging(5.0), diverging(1.0));
        assert_eq!(diverging(f64::NAN), diverging(0.0));
        assert_eq!(categorical(10), categorical(0));
        assert_eq!(padded_range([1.0, 1.0], 0.1), (0.5, 1.5));
    }
}
