//! The font every figure is set in: DejaVu Sans, carried in `fonts/` with its licence.

use std::sync::OnceLock;

use ab_glyph::FontRef;

use crate::PlotError;

/// The font-family the SVG files name, so a viewer draws them in DejaVu Sans where it has
/// it and in its own sans-serif face otherwise.
pub(crate) const FAMILY: &str = "DejaVu Sans, sans-serif";

static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();

/// The parsed font; an error if the carried file is not a usable font.
pub(crate) fn face() -> Result<&'static FontRef<'static>, PlotError> {
    FACE.get_or_init(|| FontRef::try_from_slice(FONT).ok())
        .as_ref()
        .ok_or(PlotError::Font)
}
