//! Figures as data: a grid of charts and legends, drawn by plotters to PNG and SVG.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::colour::{Rgb, method_style};
use crate::rich::{Align, Typesetter};
use crate::ticks::{format_tick, log_ticks, nice_ticks};
use crate::{PlotError, font, padded_range};

/// How values map to positions along an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Evenly.
    #[default]
    Linear,
    /// By log₁₀; the values must be positive (a non-positive value leaves a gap).
    Log10,
}

impl Scale {
    fn map(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log10 if v > 0.0 => v.log10(),
            Scale::Log10 => f64::NAN,
        }
    }
}

/// One line of a chart: means and standard deviations at x positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name (markup, see [`crate::rich`]).
    pub name: String,
    /// Line colour.
    pub colour: Rgb,
    /// X positions.
    pub x: Vec<f64>,
    /// Mean at each x (a non-finite value leaves a gap).
    pub mean: Vec<f64>,
    /// Standard deviation at each x (drawn as a bar mean ± std; non-finite: no bar).
    pub std: Vec<f64>,
    /// Draw a marker at every mean (off for long curves such as training losses).
    pub markers: bool,
    /// Dashed line (reference curves).
    pub dashed: bool,
}

impl Series {
    /// A curve without error bars or markers (e.g. a loss per iteration).
    pub fn curve(name: &str, colour: Rgb, x: Vec<f64>, y: Vec<f64>) -> Self {
        let n = y.len();
        Self {
            name: name.to_string(),
            colour,
            x,
            mean: y,
            std: vec![f64::NAN; n],
            markers: false,
            dashed: false,
        }
    }

    /// Mean ± std of a method (or reference) by its key, in the method's colour, name and
    /// dash from [`method_style`]; methods get markers, dashed references none.
    pub fn method(key: &str, x: Vec<f64>, mean: Vec<f64>, std: Vec<f64>) -> Self {
        let style = method_style(key);
        Self {
            name: style.label,
            colour: style.colour,
            x,
            mean,
            std,
            markers: !style.dashed,
            dashed: style.dashed,
        }
    }

    /// Its legend entry.
    pub fn legend_entry(&self) -> LegendEntry {
        LegendEntry {
            label: self.name.clone(),
            colour: self.colour,
            mark: match (self.markers, self.dashed) {
                (_, true) => Mark::Dashed,
                (true, false) => Mark::LineWithMarker,
                (false, false) => Mark::Line,
            },
        }
    }
}

/// Points in data coordinates, one colour each or one for all.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// Positions.
    pub xy: Vec<[f64; 2]>,
    /// One colour per point, or a single colour for all.
    pub colours: Vec<Rgb>,
    /// Marker radius in pixels.
    pub radius: f64,
}

/// Vertical bars from zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// Left edge of each bar.
    pub left: Vec<f64>,
    /// Bar width in data units.
    pub width: f64,
    /// Heights.
    pub heights: Vec<f64>,
    /// Fill colour.
    pub colour: Rgb,
}

/// A scalar field over a rectangle, as a grid of coloured cells (row 0 at the top).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Cells across.
    pub columns: usize,
    /// Cells down.
    pub rows: usize,
    /// Data range across.
    pub x_range: (f64, f64),
    /// Data range down (`y_range.1` at the top).
    pub y_range: (f64, f64),
    /// `rows × columns` colours, row-major from the top-left cell.
    pub colours: Vec<Rgb>,
}

impl Field {
    /// Data coordinates of the centre of cell (`column`, `row`).
    pub fn centre(&self, column: usize, row: usize) -> (f64, f64) {
        let fx = (column as f64 + 0.5) / self.columns as f64;
        let fy = (row as f64 + 0.5) / self.rows as f64;
        (
            self.x_range.0 + fx * (self.x_range.1 - self.x_range.0),
            self.y_range.1 - fy * (self.y_range.1 - self.y_range.0),
        )
    }
}

/// What a chart draws, in order (later layers on top).
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// A scalar field behind everything.
    Field(Field),
    /// Bars.
    Bars(Bars),
    /// A line with error bars.
    Series(Series),
    /// Scattered points.
    Points(Points),
}

/// One chart: a title, axis titles, and its layers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    /// Title above the chart (markup).
    pub title: String,
    /// Title below the x axis (markup).
    pub x_title: String,
    /// Title left of the y axis (plain text, drawn rotated).
    pub y_title: String,
    /// X range; `None` covers the data with a 5 % margin.
    pub x_range: Option<(f64, f64)>,
    /// Y range; `None` covers the data (error bars included) with a 5 % margin.
    pub y_range: Option<(f64, f64)>,
    /// X tick positions; `None` picks 1-2-5 ticks.
    pub x_ticks: Option<Vec<f64>>,
    /// Scale of the x axis.
    pub x_scale: Scale,
    /// Scale of the y axis.
    pub y_scale: Scale,
    /// No ticks or tick labels (embeddings, whose coordinates have no unit).
    pub bare: bool,
    /// The layers.
    pub layers: Vec<Layer>,
}

impl Chart {
    /// A chart with a title and x title and no layers yet.
    pub fn new(title: &str, x_title: &str) -> Self {
        Self {
            title: title.into(),
            x_title: x_title.into(),
            ..Self::default()
        }
    }

    /// Adds a layer.
    pub fn with(mut self, layer: Layer) -> Self {
        self.layers.push(layer);
        self
    }

    fn check(&self) -> Result<(), PlotError> {
        for layer in &self.layers {
            match layer {
                Layer::Series(s) if s.x.len() != s.mean.len() || s.x.len() != s.std.len() => {
                    return Err(PlotError::Geometry(format!(
                        "series {:?}: {} x, {} means, {} deviations",
                        s.name,
                        s.x.len(),
                        s.mean.len(),
                        s.std.len()
                    )));
                }
                Layer::Points(p) if p.colours.len() != 1 && p.colours.len() != p.xy.len() => {
                    return Err(PlotError::Geometry(format!(
                        "{} points with {} colours",
                        p.xy.len(),
                        p.colours.len()
                    )));
                }
                Layer::Bars(b) if b.left.len() != b.heights.len() => {
                    return Err(PlotError::Geometry(format!(
                        "{} bars with {} heights",
                        b.left.len(),
                        b.heights.len()
                    )));
                }
                Layer::Field(f) if f.colours.len() != f.rows * f.columns => {
                    return Err(PlotError::Geometry(format!(
                        "a {} × {} field with {} colours",
                        f.rows,
                        f.columns,
                        f.colours.len()
                    )));
                }
                _ => {}
            }
        }
        for (name, r) in [("x", self.x_range), ("y", self.y_range)] {
            if let Some((a, b)) = r
                && !(a.is_finite() && b.is_finite() && a < b)
            {
                return Err(PlotError::Geometry(format!(
                    "{name} range ({a}, {b}) of chart {:?}",
                    self.title
                )));
            }
        }
        Ok(())
    }

    /// Data extent along x (`axis` 0) or y (1), mapped through the axis scale.
    fn extent(&self, axis: usize) -> (f64, f64) {
        let scale = if axis == 0 {
            self.x_scale
        } else {
            self.y_scale
        };
        let mut values = Vec::new();
        for layer in &self.layers {
            match layer {
                Layer::Series(s) if axis == 0 => values.extend(s.x.iter().copied()),
                Layer::Series(s) => {
                    for (m, d) in s.mean.iter().zip(&s.std) {
                        values.push(*m);
                        if d.is_finite() {
                            values.extend([m - d, m + d]);
                        }
                    }
                }
                Layer::Points(p) => values.extend(p.xy.iter().map(|q| q[axis])),
                Layer::Bars(b) if axis == 0 => {
                    values.extend(b.left.iter().flat_map(|l| [*l, l + b.width]));
                }
                Layer::Bars(b) => values.extend(b.heights.iter().copied().chain([0.0])),
                Layer::Field(f) => {
                    let r = if axis == 0 { f.x_range } else { f.y_range };
                    values.extend([r.0, r.1]);
                }
            }
        }
        // A field fills its chart; anything else gets a margin.
        let has_field = self.layers.iter().any(|l| matches!(l, Layer::Field(_)));
        let margin = if has_field { 0.0 } else { 0.05 };
        padded_range(values.into_iter().map(|v| scale.map(v)), margin)
    }
}

/// How a legend entry is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A line segment.
    Line,
    /// A line segment with a marker.
    LineWithMarker,
    /// A dashed segment.
    Dashed,
    /// A filled square (bars, classes).
    Swatch,
}

/// One legend row.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// Text (markup).
    pub label: String,
    /// Colour of the mark.
    pub colour: Rgb,
    /// The mark.
    pub mark: Mark,
}

/// A legend and an optional note under it (e.g. "mean ± std over 5 seeds").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Legend {
    /// The rows.
    pub entries: Vec<LegendEntry>,
    /// A line of text under the rows (markup), or empty.
    pub note: String,
}

impl Legend {
    /// The legend of these series, in order, skipping repeated names.
    pub fn of(series: &[&Series], note: &str) -> Self {
        let mut entries: Vec<LegendEntry> = Vec::new();
        for s in series {
            if !entries.iter().any(|e| e.label == s.name) {
                entries.push(s.legend_entry());
            }
        }
        Self {
            entries,
            note: note.into(),
        }
    }
}

/// A cell of a figure's grid.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A chart.
    Chart(Box<Chart>),
    /// The figure's legend, drawn here instead of in a strip under the grid.
    Legend,
    /// Nothing.
    Empty,
}

/// A grid of cells, each `cell_size` pixels, with an optional title and legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Title above the grid (markup), or empty.
    pub title: String,
    /// Cells per row.
    pub columns: usize,
    /// Width and height of a cell in pixels.
    pub cell_size: (u32, u32),
    /// The cells, row by row.
    pub cells: Vec<Cell>,
    /// The legend: in the [`Cell::Legend`] cell if there is one, otherwise in a strip under
    /// the grid. It never overlaps a chart.
    pub legend: Option<Legend>,
}

/// The files a figure was written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The PNG.
    pub png: PathBuf,
    /// The SVG.
    pub svg: PathBuf,
}

// Em sizes in pixels.
/// What [`Written::inspect`] read back from a written figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// Width and height of the PNG.
    pub png_size: (u32, u32),
    /// Width and height the SVG declares.
    pub svg_size: (u32, u32),
    /// Every text of the SVG, concatenated in document order.
    pub svg_text: String,
}

impl Written {
    /// Reads both files back: decodes the PNG and parses the SVG as XML. An error if either
    /// is missing, empty, not decodable or not well formed.
    pub fn inspect(&self) -> Result<Inspection, PlotError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| {
                PlotError::Write(basis_data::DataError::Io {
                    path: p.to_path_buf(),
                    source: e,
                })
            })
        };
        let png_bytes = read(&self.png)?;
        let bad = |what: &Path, e: String| PlotError::Encode(format!("{}: {e}", what.display()));
        let reader = png::Decoder::new(std::io::Cursor::new(&png_bytes))
            .read_info()
            .map_err(|e| bad(&self.png, e.to_string()))?;
        let png_size = (reader.info().width, reader.info().height);
        let svg = String::from_utf8(read(&self.svg)?).map_err(|e| bad(&self.svg, e.to_string()))?;
        let doc = roxmltree::Document::parse(&svg).map_err(|e| bad(&self.svg, e.to_string()))?;
        let root = doc.root_element();
        if root.tag_name().name() != "svg" {
            return Err(bad(
                &self.svg,
                format!("root element <{}>", root.tag_name().name()),
            ));
        }
        let dim = |name: &str| {
            root.attribute(name)
                .and_then(|v| v.parse::<u32>().ok())
                .ok_or_else(|| bad(&self.svg, format!("no numeric {name}")))
        };
        let svg_size = (dim("width")?, dim("height")?);
        let svg_text = doc
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect();
        Ok(Inspection {
            png_size,
            svg_size,
            svg_text,
        })
    }
}

const TITLE_SIZE: f64 = 14.5;
const TEXT_SIZE: f64 = 12.5;
const TICK_SIZE: f64 = 11.0;
const TEXT: RGBColor = RGBColor(20, 20, 20);
const AXIS: RGBColor = RGBColor(90, 90, 90);
const GRID: RGBColor = RGBColor(228, 228, 228);
const FIGURE_TITLE_H: u32 = 34;
const LEGEND_ROW_H: f64 = 22.0;
/// Space above a legend strip under the grid.
const STRIP_TOP: f64 = 8.0;

pub(crate) fn draw_error(e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw(e.to_string())
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

impl Figure {
    /// A figure of `columns` cells per row.
    pub fn new(columns: usize, cell_size: (u32, u32), cells: Vec<Cell>) -> Self {
        Self {
            title: String::new(),
            columns,
            cell_size,
            cells,
            legend: None,
        }
    }

    fn rows(&self) -> usize {
        self.cells.len().div_ceil(self.columns.max(1))
    }

    fn legend_in_cell(&self) -> bool {
        self.cells.iter().any(|c| matches!(c, Cell::Legend))
    }

    fn width(&self) -> u32 {
        self.columns as u32 * self.cell_size.0
    }

    fn legend_columns(&self) -> usize {
        ((self.width() / 260) as usize).max(1)
    }

    fn strip_height(&self) -> u32 {
        match &self.legend {
            Some(l) if !self.legend_in_cell() => {
                // Measuring text needs only the font; a font error shows up when drawing.
                LegendLayout::new(l, self.legend_columns(), self.width(), STRIP_TOP)
                    .map_or(0.0, |layout| layout.height(l, STRIP_TOP))
                    .ceil() as u32
                    + 16
            }
            _ => 0,
        }
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        let title = if self.title.is_empty() {
            0
        } else {
            FIGURE_TITLE_H
        };
        let grid = self.rows() as u32 * self.cell_size.1;
        (self.width(), title + grid + self.strip_height())
    }

    fn check(&self) -> Result<(), PlotError> {
        if self.columns == 0 || self.cells.is_empty() {
            return Err(PlotError::Geometry(format!(
                "a figure needs at least one cell and one column ({} cells, {} columns)",
                self.cells.len(),
                self.columns
            )));
        }
        let (w, h) = self.cell_size;
        if !(160..=4000).contains(&w) || !(120..=4000).contains(&h) {
            return Err(PlotError::Geometry(format!(
                "cell size {w} × {h} (each side must be 120–4000 pixels)"
            )));
        }
        if self.legend_in_cell() && self.legend.is_none() {
            return Err(PlotError::Geometry(
                "a legend cell but no legend".to_string(),
            ));
        }
        for cell in &self.cells {
            if let Cell::Chart(c) = cell {
                c.check()?;
            }
        }
        Ok(())
    }

    /// The figure as PNG bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        self.check()?;
        font::face()?;
        let (w, h) = self.size();
        let mut pixels = vec![255u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            self.draw(&root, &Typesetter::bitmap())?;
            root.present().map_err(draw_error)?;
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc
                .write_header()
                .map_err(|e| PlotError::Encode(e.to_string()))?;
            writer
                .write_image_data(&pixels)
                .map_err(|e| PlotError::Encode(e.to_string()))?;
        }
        Ok(out)
    }

    /// The figure as an SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        self.check()?;
        font::face()?;
        let mut svg = String::new();
        let ts = Typesetter::svg();
        {
            let root = SVGBackend::with_string(&mut svg, self.size()).into_drawing_area();
            self.draw(&root, &ts)?;
            root.present().map_err(draw_error)?;
        }
        Ok(ts.finish_svg(svg))
    }

    /// Writes `<stem>.png` and `<stem>.svg` (any extension of `stem` is replaced), each
    /// atomically.
    pub fn save(&self, stem: impl AsRef<Path>) -> Result<Written, PlotError> {
        let stem = stem.as_ref();
        let written = Written {
            png: stem.with_extension("png"),
            svg: stem.with_extension("svg"),
        };
        let (png, svg) = (self.to_png()?, self.to_svg()?);
        basis_data::io::write_atomic(&written.png, &png)?;
        basis_data::io::write_atomic(&written.svg, svg.as_bytes())?;
        Ok(written)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        ts: &Typesetter,
    ) -> Result<(), PlotError> {
        root.fill(&WHITE).map_err(draw_error)?;
        let (w, _) = self.size();
        let mut top = 0;
        if !self.title.is_empty() {
            ts.draw(
                root,
                &self.title,
                f64::from(w) / 2.0,
                24.0,
                TITLE_SIZE + 2.0,
                TEXT,
                Align::Centre,
            )?;
            top = FIGURE_TITLE_H;
        }
        let (cw, ch) = self.cell_size;
        for (i, cell) in self.cells.iter().enumerate() {
            let (col, row) = ((i % self.columns) as u32, (i / self.columns) as u32);
            let x0 = (col * cw) as i32;
            let y0 = (top + row * ch) as i32;
            let area = root.clone().shrink((x0, y0), (cw, ch));
            match cell {
                Cell::Chart(chart) => draw_chart(&area, chart, ts)?,
                Cell::Legend => {
                    if let Some(l) = &self.legend {
                        draw_legend(&area, l, 1, ts, 40.0)?;
                    }
                }
                Cell::Empty => {}
            }
        }
        if let (Some(l), false) = (&self.legend, self.legend_in_cell()) {
            let y0 = top + self.rows() as u32 * ch;
            let area = root
                .clone()
                .shrink((0, y0 as i32), (w, self.strip_height()));
            draw_legend(&area, l, self.legend_columns(), ts, STRIP_TOP)?;
        }
        Ok(())
    }
}

/// Extra height of every wrapped line of a legend label.
const LEGEND_LINE_H: f64 = 16.0;

/// The legend's labels broken into lines that fit `width` pixels (at spaces; a word longer
/// than the width keeps a line of its own).
fn wrap(label: &str, width: f64) -> Result<Vec<String>, PlotError> {
    let ts = Typesetter::bitmap();
    let mut lines: Vec<String> = Vec::new();
    for word in label.split(' ') {
        match lines.last_mut() {
            Some(line) if ts.width(&format!("{line} {word}"), TEXT_SIZE)? <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    Ok(lines)
}

/// Where a legend puts things in an area of `width` pixels with `columns` entries across:
/// the top of every entry's row, its label lines, and where the note goes.
struct LegendLayout {
    left: f64,
    column_width: f64,
    rows: Vec<(f64, Vec<String>)>,
    note_y: f64,
}

impl LegendLayout {
    fn new(legend: &Legend, columns: usize, width: u32, top: f64) -> Result<Self, PlotError> {
        let column_width = f64::from(width) / columns as f64;
        let left = if columns == 1 { 36.0 } else { 24.0 };
        let text_width = (column_width - left - 34.0 - 10.0).max(60.0);
        let mut rows = Vec::new();
        let mut y = top;
        for chunk in legend.entries.chunks(columns.max(1)) {
            let mut tallest = 1;
            for e in chunk {
                let lines = wrap(&e.label, text_width)?;
                tallest = tallest.max(lines.len());
                rows.push((y, lines));
            }
            y += LEGEND_ROW_H + (tallest - 1) as f64 * LEGEND_LINE_H;
        }
        Ok(Self {
            left,
            column_width,
            rows,
            note_y: y,
        })
    }

    /// Height of the whole legend below `top`, note included.
    fn height(&self, legend: &Legend, top: f64) -> f64 {
        self.note_y - top
            + if legend.note.is_empty() {
                0.0
            } else {
                LEGEND_ROW_H
            }
    }
}

/// Rows of legend entries, `columns` across, starting `top` pixels down the area; long
/// labels wrap onto further lines.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    legend: &Legend,
    columns: usize,
    ts: &Typesetter,
    top: f64,
) -> Result<(), PlotError> {
    let layout = LegendLayout::new(legend, columns, area.dim_in_pixel().0, top)?;
    for (i, (e, (row_top, lines))) in legend.entries.iter().zip(&layout.rows).enumerate() {
        let x = layout.left + (i % columns) as f64 * layout.column_width;
        let y = row_top + LEGEND_ROW_H / 2.0;
        let colour = rgb(e.colour);
        let (x0, x1, yi) = (x as i32, x as i32 + 26, y as i32);
        match e.mark {
            Mark::Line | Mark::LineWithMarker => {
                area.draw(&PathElement::new(
                    vec![(x0, yi), (x1, yi)],
                    colour.stroke_width(2),
                ))
                .map_err(draw_error)?;
                if e.mark == Mark::LineWithMarker {
                    area.draw(&Circle::new(((x0 + x1) / 2, yi), 4, colour.filled()))
                        .map_err(draw_error)?;
                }
            }
            Mark::Dashed => {
                for s in [0, 10, 20] {
                    area.draw(&PathElement::new(
                        vec![(x0 + s, yi), (x0 + s + 6, yi)],
                        colour.stroke_width(2),
                    ))
                    .map_err(draw_error)?;
                }
            }
            Mark::Swatch => {
                area.draw(&Rectangle::new(
                    [(x0 + 6, yi - 7), (x0 + 20, yi + 7)],
                    colour.filled(),
                ))
                .map_err(draw_error)?;
            }
        }
        for (l, line) in lines.iter().enumerate() {
            ts.draw(
                area,
                line,
                x + 34.0,
                y + 0.36 * TEXT_SIZE + l as f64 * LEGEND_LINE_H,
                TEXT_SIZE,
                TEXT,
                Align::Left,
            )?;
        }
    }
    if !legend.note.is_empty() {
        let y = layout.note_y + LEGEND_ROW_H / 2.0 + 4.0;
        ts.draw(
            area,
            &legend.note,
            layout.left,
            y + 0.36 * TEXT_SIZE,
            TEXT_SIZE - 1.0,
            AXIS,
            Align::Left,
        )?;
    }
    Ok(())
}

/// Splits a polyline at non-finite points.
fn runs(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in points {
        if x.is_finite() && y.is_finite() {
            if let Some(run) = out.last_mut() {
                run.push((x, y));
            }
        } else if out.last().is_some_and(|r| !r.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    ts: &Typesetter,
) -> Result<(), PlotError> {
    let (w, h) = area.dim_in_pixel();
    ts.draw(
        area,
        &chart.title,
        f64::from(w) / 2.0,
        22.0,
        TITLE_SIZE,
        TEXT,
        Align::Centre,
    )?;
    let x_range = chart
        .x_range
        .map(|(a, b)| (chart.x_scale.map(a), chart.x_scale.map(b)))
        .unwrap_or_else(|| chart.extent(0));
    let y_range = chart
        .y_range
        .map(|(a, b)| (chart.y_scale.map(a), chart.y_scale.map(b)))
        .unwrap_or_else(|| chart.extent(1));
    if !(x_range.0 < x_range.1 && y_range.0 < y_range.1) {
        return Err(PlotError::Geometry(format!(
            "chart {:?}: a log axis with no positive value",
            chart.title
        )));
    }
    let axis_ticks = |scale: Scale, range: (f64, f64), given: Option<&Vec<f64>>, max: usize| {
        let given: Option<Vec<(f64, String)>> = given.map(|g| {
            let mapped: Vec<f64> = g.iter().map(|&v| scale.map(v)).collect();
            let step = g
                .windows(2)
                .map(|p| (p[1] - p[0]).abs())
                .filter(|d| *d > 0.0)
                .fold(f64::INFINITY, f64::min);
            let labels = g.iter().map(|&v| match scale {
                Scale::Linear => format_tick(v, if step.is_finite() { step } else { 1.0 }),
                Scale::Log10 => format_tick(v, 10f64.powf(v.log10().floor())),
            });
            mapped
                .into_iter()
                .zip(labels)
                .filter(|p| p.0.is_finite())
                .collect()
        });
        given.unwrap_or_else(|| match scale {
            Scale::Linear => {
                let t = nice_ticks(range.0, range.1, max);
                t.values.iter().copied().zip(t.labels()).collect()
            }
            Scale::Log10 => log_ticks(range.0, range.1, max),
        })
    };
    let max_x = ((w / 70) as usize).clamp(2, 8);
    let max_y = ((h / 45) as usize).clamp(2, 7);
    let (xt, yt) = if chart.bare {
        (vec![], vec![])
    } else {
        (
            axis_ticks(chart.x_scale, x_range, chart.x_ticks.as_ref(), max_x),
            axis_ticks(chart.y_scale, y_range, None, max_y),
        )
    };
    let mut y_label_w = 0u32;
    for (_, l) in &yt {
        y_label_w = y_label_w.max(ts.width(l, TICK_SIZE)?.ceil() as u32);
    }
    let x_title_h = if chart.x_title.is_empty() { 6 } else { 26 };
    let (plot, below) = area.split_vertically(h.saturating_sub(x_title_h));
    let mut builder = ChartBuilder::on(&plot);
    builder
        .margin_top(32)
        .margin_right(14)
        .margin_left(if chart.y_title.is_empty() { 6 } else { 4 })
        .x_label_area_size(if chart.bare { 4 } else { 24 })
        .y_label_area_size(
            if chart.bare { 4 } else { y_label_w + 12 }
                + if chart.y_title.is_empty() { 0 } else { 22 },
        );
    let mut ctx = builder
        .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
        .map_err(draw_error)?;
    for (x, _) in &xt {
        ctx.draw_series([PathElement::new(
            vec![(*x, y_range.0), (*x, y_range.1)],
            GRID,
        )])
        .map_err(draw_error)?;
    }
    for (y, _) in &yt {
        ctx.draw_series([PathElement::new(
            vec![(x_range.0, *y), (x_range.1, *y)],
            GRID,
        )])
        .map_err(draw_error)?;
    }
    let (xs, ys) = (chart.x_scale, chart.y_scale);
    let map = |x: f64, y: f64| (xs.map(x), ys.map(y));
    for layer in &chart.layers {
        match layer {
            Layer::Field(f) => {
                let (dx, dy) = (
                    (f.x_range.1 - f.x_range.0) / f.columns as f64,
                    (f.y_range.1 - f.y_range.0) / f.rows as f64,
                );
                ctx.draw_series((0..f.rows * f.columns).map(|i| {
                    let (c, r) = (i % f.columns, i / f.columns);
                    let x0 = f.x_range.0 + c as f64 * dx;
                    let y1 = f.y_range.1 - r as f64 * dy;
                    Rectangle::new(
                        [map(x0, y1), map(x0 + dx, y1 - dy)],
                        rgb(f.colours[i]).filled(),
                    )
                }))
                .map_err(draw_error)?;
            }
            Layer::Bars(b) => {
                // On a log axis bars rise from the bottom of the chart.
                let base = match ys {
                    Scale::Linear => 0.0,
                    Scale::Log10 => y_range.0,
                };
                let bars = b.left.iter().zip(&b.heights).filter_map(|(&l, &v)| {
                    let (x0, x1, top) = (xs.map(l), xs.map(l + b.width), ys.map(v));
                    (x0.is_finite() && x1.is_finite() && top.is_finite())
                        .then(|| Rectangle::new([(x0, base), (x1, top)], rgb(b.colour).filled()))
                });
                ctx.draw_series(bars).map_err(draw_error)?;
            }
            Layer::Series(s) => {
                let colour = rgb(s.colour);
                for (&x, (&m, &d)) in s.x.iter().zip(s.mean.iter().zip(&s.std)) {
                    if !(x.is_finite() && m.is_finite() && d.is_finite() && d > 0.0) {
                        continue;
                    }
                    let (px, lo) = map(x, m - d);
                    let (_, hi) = map(x, m + d);
                    if !(px.is_finite() && lo.is_finite() && hi.is_finite()) {
                        continue;
                    }
                    let cap = (x_range.1 - x_range.0) * 0.008;
                    let style = colour.stroke_width(1);
                    ctx.draw_series([
                        PathElement::new(vec![(px, lo), (px, hi)], style),
                        PathElement::new(vec![(px - cap, lo), (px + cap, lo)], style),
                        PathElement::new(vec![(px - cap, hi), (px + cap, hi)], style),
                    ])
                    .map_err(draw_error)?;
                }
                let points = s.x.iter().zip(&s.mean).map(|(&x, &m)| map(x, m));
                // plotters' wide bitmap lines break up (and overshoot the frame) on long,
                // dense, noisy curves; those are drawn one pixel wide.
                let line = if s.x.len() > 300 { 1 } else { 2 };
                for run in runs(points) {
                    if s.dashed {
                        ctx.draw_series(DashedLineSeries::new(
                            run,
                            7,
                            5,
                            colour.stroke_width(line),
                        ))
                        .map_err(draw_error)?;
                    } else {
                        ctx.draw_series(LineSeries::new(run, colour.stroke_width(line)))
                            .map_err(draw_error)?;
                    }
                }
                if s.markers {
                    let pts = s.x.iter().zip(&s.mean).map(|(&x, &m)| map(x, m));
                    ctx.draw_series(
                        pts.filter(|p| p.0.is_finite() && p.1.is_finite())
                            .map(|p| Circle::new(p, 3.5, colour.filled())),
                    )
                    .map_err(draw_error)?;
                }
            }
            Layer::Points(p) => {
                ctx.draw_series(p.xy.iter().enumerate().filter_map(|(i, q)| {
                    let at = map(q[0], q[1]);
                    let c = p.colours[if p.colours.len() == 1 { 0 } else { i }];
                    (at.0.is_finite() && at.1.is_finite())
                        .then(|| Circle::new(at, p.radius, rgb(c).filled()))
                }))
                .map_err(draw_error)?;
            }
        }
    }
    // The frame, ticks and tick labels, in the cell's pixels.
    let (px, py) = ctx.plotting_area().get_pixel_range();
    let (bx, by) = area.get_base_pixel();
    let (left, right, top, bottom) = (
        px.start - bx,
        px.end - 1 - bx,
        py.start - by,
        py.end - 1 - by,
    );
    area.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        AXIS.stroke_width(1),
    ))
    .map_err(draw_error)?;
    for (x, label) in &xt {
        let (cx, _) = ctx.backend_coord(&(*x, y_range.0));
        let cx = cx - bx;
        area.draw(&PathElement::new(
            vec![(cx, bottom), (cx, bottom + 4)],
            AXIS,
        ))
        .map_err(draw_error)?;
        ts.draw(
            area,
            label,
            f64::from(cx),
            f64::from(bottom) + 6.0 + 0.8 * TICK_SIZE,
            TICK_SIZE,
            AXIS,
            Align::Centre,
        )?;
    }
    for (y, label) in &yt {
        let (_, cy) = ctx.backend_coord(&(x_range.0, *y));
        let cy = cy - by;
        area.draw(&PathElement::new(vec![(left - 4, cy), (left, cy)], AXIS))
            .map_err(draw_error)?;
        ts.draw(
            area,
            label,
            f64::from(left) - 7.0,
            f64::from(cy) + 0.36 * TICK_SIZE,
            TICK_SIZE,
            AXIS,
            Align::Right,
        )?;
    }
    if !chart.y_title.is_empty() {
        ts.draw_upwards(
            area,
            &chart.y_title,
            4.0,
            f64::from(top + bottom) / 2.0,
            TEXT_SIZE,
            TEXT,
        )?;
    }
    if !chart.x_title.is_empty() {
        let centre = f64::from(left + right) / 2.0;
        ts.draw(
            &below,
            &chart.x_title,
            centre,
            17.0,
            TEXT_SIZE,
            TEXT,
            Align::Centre,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Figure {
        let x = vec![5.0, 10.0, 20.0, 50.0];
        let lines = Chart {
            y_title: "value".into(),
            ..Chart::new("d_{G} (lower is better)", "neighbours k")
        }
        .with(Layer::Series(Series::method(
            "basis",
            x.clone(),
            vec![0.2, 0.25, 0.3, f64::NAN],
            vec![0.01, 0.02, f64::NAN, 0.1],
        )))
        .with(Layer::Series(Series::method(
            "analytic",
            x,
            vec![0.1; 4],
            vec![f64::NAN; 4],
        )));
        let scatter = Chart {
            bare: true,
            ..Chart::new("V^{ref} after T_{G}", "")
        }
        .with(Layer::Field(Field {
            columns: 2,
            rows: 2,
            x_range: (-1.0, 1.0),
            y_range: (-1.0, 1.0),
            colours: vec![[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]],
        }))
        .with(Layer::Points(Points {
            xy: vec![[0.0, 0.0], [0.5, -0.5]],
            colours: vec![[0, 0, 0]],
            radius: 2.0,
        }));
        let bars = Chart {
            y_scale: Scale::Log10,
            ..Chart::new("spread", "coordinate")
        }
        .with(Layer::Bars(Bars {
            left: vec![0.0, 1.0],
            width: 0.4,
            heights: vec![0.01, 3.0],
            colour: [100, 100, 100],
        }));
        let mut f = Figure::new(
            2,
            (400, 300),
            vec![
                Cell::Chart(Box::new(lines.clone())),
                Cell::Chart(Box::new(scatter)),
                Cell::Chart(Box::new(bars)),
                Cell::Legend,
            ],
        );
        f.legend = Some(Legend {
            entries: vec![
                Series::method("basis", vec![], vec![], vec![]).legend_entry(),
                LegendEntry {
                    label: "d_{⊥}".into(),
                    colour: [0, 0, 0],
                    mark: Mark::Swatch,
                },
            ],
            note: "mean ± std over 3 seeds".into(),
        });
        f.title = "A figure".into();
        f
    }

    #[test]
    fn png_and_svg_are_well_formed_with_the_right_size() {
        let dir = std::env::temp_dir().join(format!("basis-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let written = example().save(dir.join("example.png")).unwrap();
        assert_eq!(written.svg, dir.join("example.svg"));
        let seen = written.inspect().unwrap();
        assert_eq!(seen.png_size, (800, 34 + 600));
        assert_eq!(seen.svg_size, seen.png_size);
        for needle in [
            "neighbours k",
            "BASiS",
            "⊥",
            "mean ± std over 3 seeds",
            "0.03",
        ] {
            assert!(
                seen.svg_text.contains(needle),
                "{needle} missing from the SVG text"
            );
        }
        // The subscript is a tspan of the title's text element, not a separate text.
        let svg = std::fs::read_to_string(&written.svg).unwrap();
        assert!(svg.contains(">G</tspan>"), "{svg}");
        std::fs::write(&written.svg, "<svg><g></svg>").unwrap();
        assert!(matches!(written.inspect(), Err(PlotError::Encode(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_legend_goes_under_the_grid_without_a_legend_cell() {
        let mut f = example();
        f.cells[3] = Cell::Empty;
        let (_, h) = f.size();
        assert!(h > 34 + 600, "{h}");
        assert!(!f.to_png().unwrap().is_empty());
    }

    #[test]
    fn inconsistent_figures_are_typed_errors() {
        let mut f = example();
        if let Cell::Chart(c) = &mut f.cells[0]
            && let Layer::Series(s) = &mut c.layers[0]
        {
            s.std.pop();
        }
        assert!(matches!(f.to_png(), Err(PlotError::Geometry(_))));
        let mut f = example();
        f.legend = None;
        assert!(matches!(f.to_svg(), Err(PlotError::Geometry(_))));
        let f = Figure::new(0, (400, 300), vec![Cell::Empty]);
        assert!(matches!(f.to_png(), Err(PlotError::Geometry(_))));
        let f = Figure::new(1, (10, 10), vec![Cell::Empty]);
        assert!(matches!(f.to_png(), Err(PlotError::Geometry(_))));
        let c = Chart {
            x_range: Some((1.0, f64::NAN)),
            ..Chart::new("t", "x")
        };
        let f = Figure::new(1, (400, 300), vec![Cell::Chart(Box::new(c))]);
        assert!(matches!(f.to_png(), Err(PlotError::Geometry(_))));
        let c = Chart {
            y_scale: Scale::Log10,
            ..Chart::new("t", "x")
        }
        .with(Layer::Series(Series::curve(
            "s",
            [0, 0, 0],
            vec![1.0],
            vec![-1.0],
        )));
        let f = Figure::new(1, (400, 300), vec![Cell::Chart(Box::new(c))]);
        assert!(
            f.to_png().is_ok(),
            "a log axis of no positive value falls back to (-1, 1)"
        );
    }

    #[test]
    fn field_cell_centres() {
        let f = Field {
            columns: 4,
            rows: 2,
            x_range: (0.0, 4.0),
            y_range: (0.0, 2.0),
            colours: vec![[0; 3]; 8],
        };
        assert_eq!(f.centre(0, 0), (0.5, 1.5));
        assert_eq!(f.centre(3, 1), (3.5, 0.5));
    }
}
