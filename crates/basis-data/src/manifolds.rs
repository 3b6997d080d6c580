//! Data on known manifolds, with their ground-truth coordinates (GGAE's benchmarks): the Swiss
//! roll with a hole, and rotating image sequences (every image turned through 36 frames
//! 10° apart by bilinear sampling). Deterministic under their seeds.

use crate::error::{DataError, Result};
use nalgebra::DMatrix;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The Swiss roll with a hole (the GGAE reference's construction). [`Default`]: 3000 points,
/// θ ∈ [1.5π, 4π], the middle [0.33, 0.67]² of the unrolled rectangle removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SwissRollParams {
    /// Points.
    pub n: usize,
    /// The roll's angle range.
    pub theta: (f64, f64),
    /// The hole, as fractions of the unrolled (s, z) rectangle on both axes.
    pub hole: (f64, f64),
    /// Seed.
    pub seed: u64,
}

impl Default for SwissRollParams {
    fn default() -> Self {
        Self {
            n: 3000,
            theta: (1.5 * std::f64::consts::PI, 4.0 * std::f64::consts::PI),
            hole: (0.33, 0.67),
            seed: 0,
        }
    }
}

/// Points of a Swiss roll and where they lie on the unrolled sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SwissRoll {
    /// n × 3: `(θ cos θ, θ sin θ, z)`.
    pub points: DMatrix<f64>,
    /// n × 2: arc length s from the start of the roll, and z — the isometric coordinates.
    pub unrolled: DMatrix<f64>,
}

/// Arc length of the spiral `(θ cos θ, θ sin θ)` from 0 to θ: `(θ√(θ² + 1) + asinh θ) / 2`.
pub fn spiral_arc_length(theta: f64) -> f64 {
    0.5 * (theta * (theta * theta + 1.0).sqrt() + theta.asinh())
}

/// The θ ≥ 0 of arc length `s` (Newton on `spiral_arc_length`, whose derivative is √(θ² + 1)).
pub fn spiral_angle(s: f64) -> f64 {
    let mut t = (2.0 * s).sqrt().max(1e-3);
    for _ in 0..60 {
        let step = (spiral_arc_length(t) - s) / (t * t + 1.0).sqrt();
        t -= step;
        if step.abs() < 1e-15 * t.max(1.0) {
            break;
        }
    }
    t
}

/// The most values a generator here allocates (2³¹ f64, 16 GiB): larger requests are a typed
/// error instead of an allocation failure.
pub const MAX_ENTRIES: usize = 1 << 31;

/// Samples the Swiss roll with a hole: s uniform on the roll's arc length, z uniform on
/// `[0, s_f − s_0]` (a square sheet), points in the hole rejected.
pub fn swiss_roll_with_hole(p: &SwissRollParams) -> Result<SwissRoll> {
    let (t0, t1) = p.theta;
    let (h0, h1) = p.hole;
    if p.n == 0 || p.n > MAX_ENTRIES / 5 {
        return Err(DataError::InvalidParameter(format!(
            "Swiss roll: n = {} (1 to {})",
            p.n,
            MAX_ENTRIES / 5
        )));
    }
    if !(t0.is_finite() && t1.is_finite() && 0.0 <= t0 && t0 < t1) {
        return Err(DataError::InvalidParameter(format!(
            "Swiss roll: θ range ({t0}, {t1}) must satisfy 0 ≤ θ0 < θ1"
        )));
    }
    // The hole may be empty (h0 = h1) but must leave some of the sheet.
    if !(0.0 <= h0 && h0 <= h1 && h1 <= 1.0 && (h1 - h0) < 1.0) {
        return Err(DataError::InvalidParameter(format!(
            "Swiss roll: hole ({h0}, {h1}) must satisfy 0 ≤ a ≤ b ≤ 1 with b − a < 1"
        )));
    }
    let (s0, s1) = (spiral_arc_length(t0), spiral_arc_length(t1));
    let width = s1 - s0;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut points = DMatrix::zeros(p.n, 3);
    let mut unrolled = DMatrix::zeros(p.n, 2);
    let mut i = 0;
    while i < p.n {
        let (u, v): (f64, f64) = (rng.random(), rng.random());
        if (h0..h1).contains(&u) && (h0..h1).contains(&v) {
            continue;
        }
        let s = s0 + u * width;
        let z = v * width;
        let t = spiral_angle(s);
        points[(i, 0)] = t * t.cos();
        points[(i, 1)] = t * t.sin();
        points[(i, 2)] = z;
        unrolled[(i, 0)] = s - s0;
        unrolled[(i, 1)] = z;
        i += 1;
    }
    Ok(SwissRoll { points, unrolled })
}

/// Indices `0..n` shuffled under `seed` and cut into parts of the given fractions (the last
/// part takes the rounding remainder), e.g. `[5/7, 1/7, 1/7]` for train / validation / test.
pub fn split_indices(n: usize, fractions: &[f64], seed: u64) -> Result<Vec<Vec<usize>>> {
    let total: f64 = fractions.iter().sum();
    if fractions.is_empty()
        || fractions.iter().any(|f| !(f.is_finite() && *f > 0.0))
        || (total - 1.0).abs() > 1e-9
    {
        return Err(DataError::InvalidParameter(format!(
            "split fractions {fractions:?} must be positive and sum to 1"
        )));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut parts = Vec::with_capacity(fractions.len());
    let mut start = 0;
    for (k, f) in fractions.iter().enumerate() {
        let end = if k + 1 == fractions.len() {
            n
        } else {
            (start + (f * n as f64).round() as usize).min(n)
        };
        if end == start {
            return Err(DataError::Empty(format!(
                "split of {n} items: part {k} (fraction {f}) is empty"
            )));
        }
        parts.push(order[start..end].to_vec());
        start = end;
    }
    Ok(parts)
}

/// `image` (row-major, `width × height`) rotated counter-clockwise by `degrees` about its
/// centre by bilinear sampling; pixels that sample outside the image are 0.
pub fn rotate_bilinear(
    image: &[f64],
    width: usize,
    height: usize,
    degrees: f64,
) -> Result<Vec<f64>> {
    if width == 0 || height == 0 || width.checked_mul(height) != Some(image.len()) {
        return Err(DataError::InvalidParameter(format!(
            "rotate: {} pixels for a {width} × {height} image",
            image.len()
        )));
    }
    if !degrees.is_finite() {
        return Err(DataError::InvalidParameter(format!(
            "rotate: angle {degrees}"
        )));
    }
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = ((width as f64 - 1.0) / 2.0, (height as f64 - 1.0) / 2.0);
    let at = |x: isize, y: isize| -> f64 {
        if x < 0 || y < 0 || x >= width as isize || y >= height as isize {
            0.0
        } else {
            image[y as usize * width + x as usize]
        }
    };
    let mut out = vec![0.0; width * height];
    for y in 0..height {
        for x in 0..width {
            // Inverse map: the source of output pixel (x, y). y grows downwards, so a
            // counter-clockwise turn on screen is a clockwise one in (x, y).
            let (dx, dy) = (x as f64 - cx, y as f64 - cy);
            let sx = cx + cos * dx - sin * dy;
            let sy = cy + sin * dx + cos * dy;
            // Snap to the grid within 1e-9 so that multiples of 90° are exact permutations.
            let snap = |v: f64| {
                if (v - v.round()).abs() < 1e-9 {
                    v.round()
                } else {
                    v
                }
            };
            let (sx, sy) = (snap(sx), snap(sy));
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            out[y * width + x] = (1.0 - fx) * (1.0 - fy) * at(x0, y0)
                + fx * (1.0 - fy) * at(x0 + 1, y0)
                + (1.0 - fx) * fy * at(x0, y0 + 1)
                + fx * fy * at(x0 + 1, y0 + 1);
        }
    }
    Ok(out)
}

/// Settings of [`rotating_sequences`]. [`Default`]: 36 frames 10° apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RotationParams {
    /// Frames per sequence.
    pub frames: usize,
    /// Degrees between frames.
    pub step_degrees: f64,
    /// Image width (height = pixels / width).
    pub width: usize,
    /// Seed of the start angles.
    pub seed: u64,
}

impl Default for RotationParams {
    fn default() -> Self {
        Self {
            frames: 36,
            step_degrees: 10.0,
            width: 28,
            seed: 0,
        }
    }
}

/// Rotating image sequences: frame f of sequence q is image q turned by `start_q + f · step`.
#[derive(Debug, Clone, PartialEq)]
pub struct RotatingSequences {
    /// (sequences · frames) × pixels, sequence-major.
    pub frames: DMatrix<f64>,
    /// The sequence of each row.
    pub sequence: Vec<usize>,
    /// The frame index of each row (0..frames).
    pub frame: Vec<usize>,
    /// The rotation of each row in degrees, in [0, 360).
    pub angle: Vec<f64>,
}

/// Every row of `images` (one image per row, row-major pixels) as a sequence of rotated
/// frames from a random start angle (uniform in [0, 360), from `p.seed`).
pub fn rotating_sequences(images: &DMatrix<f64>, p: &RotationParams) -> Result<RotatingSequences> {
    let (n, pixels) = images.shape();
    if n == 0 || p.frames == 0 || p.width == 0 || pixels % p.width != 0 {
        return Err(DataError::InvalidParameter(format!(
            "rotating sequences: {n} images of {pixels} pixels, width {}, {} frames",
            p.width, p.frames
        )));
    }
    if !p.step_degrees.is_finite() {
        return Err(DataError::InvalidParameter(format!(
            "rotating sequences: step {}°",
            p.step_degrees
        )));
    }
    if let Some(i) = images.iter().position(|v| !v.is_finite()) {
        return Err(DataError::InvalidParameter(format!(
            "rotating sequences: non-finite pixel {} of image {}",
            i / n,
            i % n
        )));
    }
    let entries = n.checked_mul(p.frames).and_then(|r| r.checked_mul(pixels));
    if entries.is_none_or(|e| e > MAX_ENTRIES) {
        return Err(DataError::InvalidParameter(format!(
            "rotating sequences: {n} images × {} frames × {pixels} pixels exceed {MAX_ENTRIES} values",
            p.frames
        )));
    }
    let height = pixels / p.width;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut frames = DMatrix::zeros(n * p.frames, pixels);
    let (mut sequence, mut frame, mut angle) = (Vec::new(), Vec::new(), Vec::new());
    for q in 0..n {
        let image: Vec<f64> = images.row(q).iter().copied().collect();
        let start: f64 = 360.0 * rng.random::<f64>();
        for f in 0..p.frames {
            let a = (start + f as f64 * p.step_degrees).rem_euclid(360.0);
            let rotated = rotate_bilinear(&image, p.width, height, a)?;
            let row = q * p.frames + f;
            for (c, v) in rotated.into_iter().enumerate() {
                frames[(row, c)] = v;
            }
            sequence.push(q);
            frame.push(f);
            angle.push(a);
        }
    }
    Ok(RotatingSequences {
        frames,
        sequence,
        frame,
        angle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spiral_angle_inverts_the_arc_length() {
        for t in [
            0.01,
            1.0,
            1.5 * std::f64::consts::PI,
            4.0 * std::f64::consts::PI,
            50.0,
        ] {
            assert!(
                (spiral_angle(spiral_arc_length(t)) - t).abs() < 1e-10 * t.max(1.0),
                "{t}"
            );
        }
        // Arc length is the integral of √(θ² + 1): check by the trapezoid rule.
        let (a, b, m) = (2.0, 9.0, 200_000);
        let hstep = (b - a) / m as f64;
        let integral: f64 = (0..m)
            .map(|i| {
                let (x0, x1) = (a + i as f64 * hstep, a + (i + 1) as f64 * hstep);
                0.5 * hstep * ((x0 * x0 + 1.0f64).sqrt() + (x1 * x1 + 1.0f64).sqrt())
            })
            .sum();
        assert!((spiral_arc_length(b) - spiral_arc_length(a) - integral).abs() < 1e-8);
    }

    #[test]
    fn swiss_roll_has_its_hole_and_lies_on_the_spiral() {
        let p = SwissRollParams::default();
        let r = swiss_roll_with_hole(&p).unwrap();
        assert_eq!(r, swiss_roll_with_hole(&p).unwrap());
        let width = spiral_arc_length(p.theta.1) - spiral_arc_length(p.theta.0);
        for i in 0..p.n {
            let (u, v) = (r.unrolled[(i, 0)] / width, r.unrolled[(i, 1)] / width);
            assert!((0.0..=1.0).contains(&u) && (0.0..=1.0).contains(&v));
            assert!(
                !((0.33..0.67).contains(&u) && (0.33..0.67).contains(&v)),
                "{i} in the hole"
            );
            let (x, y) = (r.points[(i, 0)], r.points[(i, 1)]);
            let t = (x * x + y * y).sqrt();
            assert!((p.theta.0 - 1e-9..=p.theta.1 + 1e-9).contains(&t));
            assert!(
                (spiral_arc_length(t) - spiral_arc_length(p.theta.0) - r.unrolled[(i, 0)]).abs()
                    < 1e-9
            );
            assert_eq!(r.points[(i, 2)], r.unrolled[(i, 1)]);
        }
        assert!(swiss_roll_with_hole(&SwissRollParams { n: 0, ..p.clone() }).is_err());
        assert!(
            swiss_roll_with_hole(&SwissRollParams {
                hole: (0.0, 1.0),
                ..p.clone()
            })
            .is_err()
        );
        assert!(
            swiss_roll_with_hole(&SwissRollParams {
                theta: (3.0, 1.0),
                ..p
            })
            .is_err()
        );
    }

    #[test]
    fn splits_partition_the_indices() {
        let parts = split_indices(70, &[5.0 / 7.0, 1.0 / 7.0, 1.0 / 7.0], 3).unwrap();
        assert_eq!(
            parts.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![50, 10, 10]
        );
        let mut all: Vec<usize> = parts.concat();
        all.sort_unstable();
        assert_eq!(all, (0..70).collect::<Vec<_>>());
        assert!(split_indices(70, &[0.5, 0.4], 0).is_err());
        assert!(split_indices(2, &[0.9, 0.05, 0.05], 0).is_err());
    }

    fn ramp(w: usize, h: usize) -> Vec<f64> {
        (0..w * h)
            .map(|i| ((i % w) * 3 + (i / w) * 7) as f64 % 11.0)
            .collect()
    }

    #[test]
    fn rotations_by_quarter_turns_are_exact_and_compose() {
        let (w, h) = (28, 28);
        let img = ramp(w, h);
        assert_eq!(rotate_bilinear(&img, w, h, 0.0).unwrap(), img);
        let r90 = rotate_bilinear(&img, w, h, 90.0).unwrap();
        // Four quarter turns give the image back; each is a permutation of the pixels.
        let mut r = img.clone();
        for _ in 0..4 {
            r = rotate_bilinear(&r, w, h, 90.0).unwrap();
        }
        assert_eq!(r, img);
        let mut a = r90.clone();
        let mut b = img.clone();
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        assert_eq!(a, b);
        // A counter-clockwise quarter turn on screen: the top-right corner goes top-left.
        assert_eq!(r90[0], img[w - 1]);
        // Small rotations are smooth: 10° then −10° stays close in the image's middle.
        let back =
            rotate_bilinear(&rotate_bilinear(&img, w, h, 10.0).unwrap(), w, h, -10.0).unwrap();
        let centre = 14 * w + 14;
        assert!((back[centre] - img[centre]).abs() < 2.0);
        assert!(rotate_bilinear(&img, w, h + 1, 10.0).is_err());
        assert!(rotate_bilinear(&img, w, h, f64::NAN).is_err());
    }

    #[test]
    fn sequences_have_frames_10_degrees_apart() {
        let imgs = DMatrix::from_fn(3, 28 * 28, |q, i| ((i + q) % 13) as f64);
        let s = rotating_sequences(&imgs, &RotationParams::default()).unwrap();
        assert_eq!(s.frames.nrows(), 3 * 36);
        for q in 0..3 {
            for f in 1..36 {
                let d = (s.angle[q * 36 + f] - s.angle[q * 36 + f - 1]).rem_euclid(360.0);
                assert!((d - 10.0).abs() < 1e-9);
            }
        }
        assert_eq!(
            s,
            rotating_sequences(&imgs, &RotationParams::default()).unwrap()
        );
        let mut bad = imgs.clone();
        bad[(1, 5)] = f64::NAN;
        assert!(rotating_sequences(&bad, &RotationParams::default()).is_err());
        assert!(
            rotating_sequences(
                &imgs,
                &RotationParams {
                    width: 27,
                    ..Default::default()
                }
            )
            .is_err()
        );
    }
}
