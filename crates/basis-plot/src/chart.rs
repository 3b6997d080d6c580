//! Line charts with error bars, axis ticks and a legend: mean ± std of a metric over a
//! parameter, one line per method (the layout of BASiS Fig. 4).

use crate::{Canvas, Panel, PlotError, Rgb, padded_range};

/// One line of a chart: means and standard deviations at x positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
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
        }
    }
}

const AXIS: Rgb = [60, 60, 60];
const GRID: Rgb = [225, 225, 225];

/// Formats a tick value with about three significant digits.
fn tick_label(v: f64) -> String {
    let a = v.abs();
    if (v.fract() == 0.0 && a < 1e6) || a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Draws a chart in the canvas rectangle at (`left`, `top`) of `width` × `height` pixels:
/// `title` above, `x_label` below, ticks at `x_ticks` and at four levels of y, and every
/// series as a polyline through its means with error bars. Returns the plotting panel.
#[allow(clippy::too_many_arguments)]
pub fn line_chart(
    canvas: &mut Canvas,
    (left, top, width, height): (usize, usize, usize, usize),
    title: &str,
    x_label: &str,
    x_ticks: &[f64],
    series: &[Series],
) -> Result<Panel, PlotError> {
    for s in series {
        if s.x.len() != s.mean.len() || s.x.len() != s.std.len() {
            return Err(PlotError::Geometry(format!(
                "series {:?}: {} x, {} means, {} deviations",
                s.name,
                s.x.len(),
                s.mean.len(),
                s.std.len()
            )));
        }
    }
    let (margin_l, margin_r, margin_t, margin_b) = (56, 12, 24, 36);
    if width <= margin_l + margin_r + 10 || height <= margin_t + margin_b + 10 {
        return Err(PlotError::Geometry(format!(
            "a {width}×{height} chart leaves no room to plot"
        )));
    }
    let xs = series.iter().flat_map(|s| s.x.iter().copied());
    let x_range = padded_range(xs.chain(x_ticks.iter().copied()), 0.06);
    let ys = series.iter().flat_map(|s| {
        s.mean.iter().zip(&s.std).flat_map(|(&m, &d)| {
            let d = if d.is_finite() { d } else { 0.0 };
            [m - d, m + d]
        })
    });
    let y_range = padded_range(ys, 0.08);
    let p = Panel {
        left: left + margin_l,
        top: top + margin_t,
        width: width - margin_l - margin_r,
        height: height - margin_t - margin_b,
        x_range,
        y_range,
    };
    canvas.check_panel(&p)?;
    // Grid and ticks.
    for j in 0..4 {
        let y = y_range.0 + (y_range.1 - y_range.0) * (0.5 + j as f64) / 4.0;
        canvas.polyline(&p, &[x_range.0, x_range.1 - 1e-9], &[y, y], GRID);
        if let Some((_, py)) = p.pixel_of(x_range.0, y) {
            canvas.text_right(p.left - 4, py.saturating_sub(3), &tick_label(y), AXIS, 1);
        }
    }
    for &x in x_ticks {
        let y_top = y_range.1 - 1e-9 * (y_range.1 - y_range.0);
        canvas.polyline(&p, &[x, x], &[y_range.0, y_top], GRID);
        // The top edge maps inside the panel (the bottom edge is just outside it).
        if let Some((px, _)) = p.pixel_of(x, y_range.1) {
            canvas.text_centered(px, p.top + p.height + 4, &tick_label(x), AXIS, 1);
        }
    }
    canvas.frame(&p, AXIS);
    canvas.text_centered(left + width / 2, top + 6, title, [0, 0, 0], 2);
    canvas.text_centered(
        p.left + p.width / 2,
        p.top + p.height + 18,
        x_label,
        AXIS,
        1,
    );
    for s in series {
        for ((&x, &m), &d) in s.x.iter().zip(&s.mean).zip(&s.std) {
            if m.is_finite() && d.is_finite() && d > 0.0 {
                canvas.polyline(&p, &[x, x], &[m - d, m + d], s.colour);
                let w = 0.01 * (x_range.1 - x_range.0);
                for end in [m - d, m + d] {
                    canvas.polyline(&p, &[x - w, x + w], &[end, end], s.colour);
                }
            }
        }
        // Consecutive finite means are joined; a gap breaks the line.
        let mut run: (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
        for (&x, &m) in s.x.iter().zip(&s.mean) {
            if m.is_finite() {
                run.0.push(x);
                run.1.push(m);
            } else {
                canvas.polyline(&p, &run.0, &run.1, s.colour);
                run = (Vec::new(), Vec::new());
            }
        }
        canvas.polyline(&p, &run.0, &run.1, s.colour);
        if s.markers {
            for (&x, &m) in s.x.iter().zip(&s.mean) {
                if m.is_finite() {
                    canvas.point(&p, x, m, 2, s.colour);
                }
            }
        }
    }
    Ok(p)
}

/// Draws a legend (a colour swatch and the name of every series, one per line) with its
/// top-left corner at (`left`, `top`).
pub fn legend(canvas: &mut Canvas, left: usize, top: usize, series: &[Series]) {
    for (i, s) in series.iter().enumerate() {
        let y = top + i * 18;
        for dy in 0..10 {
            for dx in 0..18 {
                canvas.set(left + dx, y + dy, s.colour);
            }
        }
        canvas.text(left + 26, y + 1, &s.name, [0, 0, 0], 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(colour: Rgb, mean: Vec<f64>) -> Series {
        let n = mean.len();
        Series {
            name: "m".into(),
            colour,
            x: (0..n).map(|i| 10.0 * (i + 1) as f64).collect(),
            mean,
            std: vec![0.05; n],
            markers: true,
        }
    }

    fn count(c: &Canvas, colour: Rgb) -> usize {
        let mut k = 0;
        for y in 0..c.height() {
            for x in 0..c.width() {
                k += usize::from(c.get(x, y) == Some(colour));
            }
        }
        k
    }

    #[test]
    fn every_series_is_drawn_inside_its_panel() {
        let mut c = Canvas::new(400, 300);
        let (red, blue) = ([200, 0, 0], [0, 0, 200]);
        let s = [
            series(red, vec![0.1, 0.5, 0.9]),
            series(blue, vec![0.9, f64::NAN, 0.1]),
        ];
        let p = line_chart(
            &mut c,
            (0, 0, 400, 300),
            "NMI",
            "K",
            &[10.0, 20.0, 30.0],
            &s,
        )
        .unwrap();
        assert!(count(&c, red) > 50 && count(&c, blue) > 20);
        for y in 0..c.height() {
            for x in 0..c.width() {
                if c.get(x, y) == Some(red) {
                    assert!(x >= p.left && x < p.left + p.width);
                    assert!(y >= p.top && y < p.top + p.height);
                }
            }
        }
        // Every x tick has its label under the panel.
        let label_rows = p.top + p.height + 4..p.top + p.height + 11;
        for x in [10.0, 20.0, 30.0] {
            let (px, _) = p.pixel_of(x, 0.5).unwrap();
            let inked = label_rows
                .clone()
                .any(|y| (px - 6..px + 6).any(|x| c.get(x, y) == Some(AXIS)));
            assert!(inked, "no label under x = {x}");
        }
        // The first point (0.1 at x = 10) sits low, the third (0.9 at x = 30) high.
        let (_, y_low) = p.pixel_of(10.0, 0.1).unwrap();
        let (_, y_high) = p.pixel_of(30.0, 0.9).unwrap();
        assert!(y_low > y_high);
    }

    #[test]
    fn mismatched_lengths_and_tiny_areas_are_errors() {
        let mut c = Canvas::new(400, 300);
        let mut bad = series([1, 2, 3], vec![0.1, 0.2]);
        bad.std.pop();
        assert!(line_chart(&mut c, (0, 0, 400, 300), "t", "x", &[], &[bad]).is_err());
        let ok = series([1, 2, 3], vec![0.1, 0.2]);
        assert!(
            line_chart(
                &mut c,
                (0, 0, 50, 40),
                "t",
                "x",
                &[],
                std::slice::from_ref(&ok)
            )
            .is_err()
        );
        assert!(line_chart(&mut c, (300, 0, 400, 300), "t", "x", &[], &[ok]).is_err());
    }

    #[test]
    fn legend_paints_one_swatch_per_series() {
        let mut c = Canvas::new(200, 60);
        legend(
            &mut c,
            0,
            0,
            &[series([9, 9, 9], vec![1.0]), series([7, 7, 7], vec![1.0])],
        );
        assert_eq!(count(&c, [9, 9, 9]), 180);
        assert_eq!(count(&c, [7, 7, 7]), 180);
    }
}
