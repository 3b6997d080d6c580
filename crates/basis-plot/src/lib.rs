//! Figures for spectral embeddings, drawn by [plotters] and written as PNG and SVG.
//!
//! A [`Figure`] is a grid of [`Cell`]s: [`Chart`]s (lines with error bars, points, bars,
//! a scalar field over the plane), a [`Legend`], or nothing. [`Figure::save`] writes the
//! same drawing through plotters' bitmap backend (encoded as PNG) and its SVG backend,
//! each file atomically. Text is set in DejaVu Sans, which this crate carries
//! (`fonts/`, with its licence) and registers with plotters' `ab_glyph` support, so no
//! system font is needed to draw.
//!
//! What plotters lacks and this crate adds (documented in `docs/dependencies.md`):
//! - [`rich`]: subscripts and superscripts in titles and legends (`d_{G}`, `V^{ref}`);
//! - [`ticks`]: 1-2-5 tick positions and their labels, on linear and log₁₀ axes;
//! - [`colour`]: one colour and display name per method, the same in every figure, and
//!   the diverging map of the embedding fields;
//! - the small-multiples layout with legends in their own cell or strip, so that they never
//!   cover data.
#![warn(missing_docs)]

pub mod colour;
pub mod figure;
mod font;
pub mod rich;
pub mod ticks;

pub use colour::{CATEGORICAL, MethodStyle, Rgb, categorical, diverging, method_style};
pub use figure::{
    Bars, Cell, Chart, Field, Figure, Inspection, Layer, Legend, LegendEntry, Mark, Points, Scale,
    Series, Written,
};

/// Everything that can go wrong while plotting.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The font this crate carries could not be registered with plotters.
    #[error("the built-in font could not be loaded")]
    Font,
    /// A plotters backend failed while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Encoding the PNG failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
    /// Writing the file failed.
    #[error(transparent)]
    Write(#[from] basis_data::DataError),
    /// A figure, chart or range that cannot be drawn (mismatched lengths, no cells,
    /// non-positive values on a log axis, ...).
    #[error("invalid figure: {0}")]
    Geometry(String),
}

/// A data range covering the finite `values` with a relative margin; a constant range is
/// widened to ±0.5 and a range with no finite value is (−1, 1).
pub fn padded_range(values: impl IntoIterator<Item = f64>, margin: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    if hi - lo <= 1e-12 * lo.abs().max(1.0) {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * margin;
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_range_pads_widens_and_ignores_non_finite_values() {
        assert_eq!(padded_range([0.0, 10.0, f64::NAN], 0.1), (-1.0, 11.0));
        assert_eq!(padded_range([3.0, 3.0], 0.1), (2.5, 3.5));
        assert_eq!(padded_range([f64::INFINITY], 0.1), (-1.0, 1.0));
        assert_eq!(padded_range([], 0.1), (-1.0, 1.0));
    }
}
