//! Patch features from a fixed filter bank, standing in for the segmenter's ViT tokens:
//! derivative-of-Gaussian energies (second derivatives at `orientations` angles and the
//! gradient magnitude, at every scale), pooled over a window around each patch, divided by
//! their sum (so the descriptor does not depend on the region's contrast), then the patch's
//! mean colour. [`FeatureScaler`] standardises every column with training statistics and then
//! weights the colour columns by `colour_weight` (relative to one texture column), so the weight
//! survives the standardisation.
//!
//! The image is cut into a grid of `patch × patch` cells (a trailing strip narrower than a
//! patch joins the last row or column of cells); every cell is one node of the graphs, one row
//! of the feature matrix, and one prediction that [`PatchGrid::upsample`] spreads over its
//! pixels.

use crate::error::{Result, SegmentError};
use crate::filters::{Derivative, gaussian_kernel, separable_convolve};
use crate::image::RgbImage;
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The filter bank and pooling. [`Default`]: 8-pixel patches, σ ∈ {1, 2, 4}, 4 orientations,
/// pooled over the patch and 4 pixels around it, colour weight 1 (every standardised column
/// weighs the same: the three colour columns carry 3/18 of a squared distance). Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterBankParams {
    /// Patch side in pixels.
    pub patch: usize,
    /// Gaussian scales σ in pixels.
    pub scales: Vec<f64>,
    /// Orientations of the second-derivative filters, evenly spaced over 180°.
    pub orientations: usize,
    /// Pixels added on every side of a patch for pooling the energies.
    pub pool_margin: usize,
    /// Weight of each standardised colour column relative to a standardised texture column
    /// (applied by [`FeatureScaler`]); 0 leaves colour out.
    pub colour_weight: f64,
}

impl Default for FilterBankParams {
    fn default() -> Self {
        Self {
            patch: 8,
            scales: vec![1.0, 2.0, 4.0],
            orientations: 4,
            pool_margin: 4,
            colour_weight: 1.0,
        }
    }
}

impl FilterBankParams {
    /// Feature dimension: `scales · (orientations + 1)` texture energies and 3 colours.
    pub fn dimension(&self) -> usize {
        self.scales.len() * (self.orientations + 1) + 3
    }

    /// Checks the values.
    pub fn check(&self) -> Result<()> {
        if self.patch == 0 || self.orientations == 0 || self.scales.is_empty() {
            return Err(SegmentError::InvalidConfig(format!(
                "filter bank: need patch ≥ 1, ≥ 1 orientation and ≥ 1 scale, got {}, {}, {:?}",
                self.patch, self.orientations, self.scales
            )));
        }
        if self.scales.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(SegmentError::InvalidConfig(format!(
                "filter bank: scales must be finite and > 0, got {:?}",
                self.scales
            )));
        }
        if !(self.colour_weight.is_finite() && self.colour_weight >= 0.0) {
            return Err(SegmentError::InvalidConfig(format!(
                "filter bank: colour_weight must be finite and ≥ 0, got {}",
                self.colour_weight
            )));
        }
        Ok(())
    }
}

/// The grid of patches over an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchGrid {
    /// Patch rows.
    pub rows: usize,
    /// Patch columns.
    pub cols: usize,
    /// Patch side in pixels.
    pub patch: usize,
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
}

impl PatchGrid {
    /// The grid of `patch`-pixel cells over a `width × height` image (each side ≥ `patch`).
    pub fn new(width: usize, height: usize, patch: usize) -> Result<Self> {
        if patch == 0 || width < patch || height < patch {
            return Err(SegmentError::Shape(format!(
                "a {width}×{height} image holds no {patch}-pixel patch"
            )));
        }
        Ok(Self {
            rows: height / patch,
            cols: width / patch,
            patch,
            width,
            height,
        })
    }

    /// Number of patches.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Always false (a grid has ≥ 1 patch).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The patch holding pixel (`x`, `y`).
    pub fn patch_of(&self, x: usize, y: usize) -> usize {
        let r = (y / self.patch).min(self.rows - 1);
        let c = (x / self.patch).min(self.cols - 1);
        r * self.cols + c
    }

    /// Pixel range `[x0, x1) × [y0, y1)` of patch `p`.
    pub fn pixels_of(&self, p: usize) -> (usize, usize, usize, usize) {
        let (r, c) = (p / self.cols, p % self.cols);
        let x1 = if c + 1 == self.cols {
            self.width
        } else {
            (c + 1) * self.patch
        };
        let y1 = if r + 1 == self.rows {
            self.height
        } else {
            (r + 1) * self.patch
        };
        (c * self.patch, x1, r * self.patch, y1)
    }

    /// Per-pixel labels from per-patch labels (nearest neighbour).
    pub fn upsample(&self, patch_labels: &[usize]) -> Result<Vec<usize>> {
        if patch_labels.len() != self.len() {
            return Err(SegmentError::Shape(format!(
                "{} patch labels for a grid of {} patches",
                patch_labels.len(),
                self.len()
            )));
        }
        Ok((0..self.width * self.height)
            .map(|i| patch_labels[self.patch_of(i % self.width, i / self.width)])
            .collect())
    }
}

/// One image's patches: features, mean colours and positions.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchFeatures {
    /// The grid.
    pub grid: PatchGrid,
    /// `patches × dimension` features, rows in grid order.
    pub features: DMatrix<f64>,
    /// Mean colour of every patch.
    pub colours: Vec<[f64; 3]>,
    /// Centre of every patch in `[0, 1]²` (x across, y down, divided by the image size).
    pub positions: Vec<[f64; 2]>,
}

/// Summed-area table of a `width × height` image (one extra row and column of zeros).
fn integral(img: &[f64], width: usize, height: usize) -> Vec<f64> {
    let w1 = width + 1;
    let mut s = vec![0.0; w1 * (height + 1)];
    for y in 0..height {
        let mut row = 0.0;
        for x in 0..width {
            row += img[y * width + x];
            s[(y + 1) * w1 + x + 1] = s[y * w1 + x + 1] + row;
        }
    }
    s
}

/// Mean of the image over `[x0, x1) × [y0, y1)` from its summed-area table.
fn box_mean(s: &[f64], width: usize, (x0, x1, y0, y1): (usize, usize, usize, usize)) -> f64 {
    let w1 = width + 1;
    let sum = s[y1 * w1 + x1] - s[y0 * w1 + x1] - s[y1 * w1 + x0] + s[y0 * w1 + x0];
    sum / ((x1 - x0) * (y1 - y0)) as f64
}

/// The patch features of one image.
pub fn patch_features(image: &RgbImage, params: &FilterBankParams) -> Result<PatchFeatures> {
    params.check()?;
    image.check()?;
    let (w, h) = (image.width, image.height);
    let grid = PatchGrid::new(w, h, params.patch)?;
    let lum = image.luminance();
    // Energy maps: per scale, `orientations` oriented second derivatives, then the gradient.
    let mut energies: Vec<Vec<f64>> = Vec::with_capacity(params.dimension() - 3);
    for &sigma in &params.scales {
        let g = gaussian_kernel(sigma, Derivative::Zeroth);
        let d1 = gaussian_kernel(sigma, Derivative::First);
        let d2 = gaussian_kernel(sigma, Derivative::Second);
        let gxx = separable_convolve(&lum, w, h, &d2, &g);
        let gyy = separable_convolve(&lum, w, h, &g, &d2);
        let gxy = separable_convolve(&lum, w, h, &d1, &d1);
        let gx = separable_convolve(&lum, w, h, &d1, &g);
        let gy = separable_convolve(&lum, w, h, &g, &d1);
        let s2 = sigma * sigma;
        for o in 0..params.orientations {
            let theta = std::f64::consts::PI * o as f64 / params.orientations as f64;
            let (c, s) = (theta.cos(), theta.sin());
            energies.push(
                (0..w * h)
                    .map(|i| {
                        (s2 * (c * c * gxx[i] + 2.0 * c * s * gxy[i] + s * s * gyy[i])).powi(2)
                    })
                    .collect(),
            );
        }
        energies.push(
            (0..w * h)
                .map(|i| s2 * (gx[i].powi(2) + gy[i].powi(2)))
                .collect(),
        );
    }
    let tables: Vec<Vec<f64>> = energies.iter().map(|e| integral(e, w, h)).collect();
    let colour_tables: Vec<Vec<f64>> = (0..3)
        .map(|ch| {
            let c: Vec<f64> = image.pixels.iter().map(|p| p[ch]).collect();
            integral(&c, w, h)
        })
        .collect();
    let n = grid.len();
    let d = params.dimension();
    let m = params.pool_margin;
    let mut features = DMatrix::zeros(n, d);
    let mut colours = Vec::with_capacity(n);
    let mut positions = Vec::with_capacity(n);
    for p in 0..n {
        let (x0, x1, y0, y1) = grid.pixels_of(p);
        let pool = (
            x0.saturating_sub(m),
            (x1 + m).min(w),
            y0.saturating_sub(m),
            (y1 + m).min(h),
        );
        let amps: Vec<f64> = tables
            .iter()
            .map(|t| box_mean(t, w, pool).max(0.0).sqrt())
            .collect();
        let total: f64 = amps.iter().sum();
        for (j, a) in amps.iter().enumerate() {
            features[(p, j)] = if total > 1e-12 {
                a / total
            } else {
                1.0 / amps.len() as f64
            };
        }
        let colour = [0, 1, 2].map(|ch| box_mean(&colour_tables[ch], w, (x0, x1, y0, y1)));
        for (ch, v) in colour.iter().enumerate() {
            features[(p, d - 3 + ch)] = *v;
        }
        colours.push(colour);
        positions.push([
            0.5 * (x0 + x1) as f64 / w as f64,
            0.5 * (y0 + y1) as f64 / h as f64,
        ]);
    }
    Ok(PatchFeatures {
        grid,
        features,
        colours,
        positions,
    })
}

/// The patch features of every image, in parallel (the result does not depend on the
/// number of threads).
pub fn patch_features_all(
    images: &[&RgbImage],
    params: &FilterBankParams,
) -> Result<Vec<PatchFeatures>> {
    images
        .par_iter()
        .map(|im| patch_features(im, params))
        .collect()
}

/// Standardisation of patch features with training statistics, then the colour columns (the
/// last three) multiplied by `colour_weight`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureScaler {
    mean: Vec<f64>,
    std: Vec<f64>,
    colour_weight: f64,
}

impl FeatureScaler {
    /// Column means and standard deviations of `train` (a constant column keeps std 1).
    pub fn fit(train: &DMatrix<f64>, params: &FilterBankParams) -> Result<Self> {
        params.check()?;
        let (n, d) = train.shape();
        if n == 0 || d < 3 {
            return Err(SegmentError::Empty(format!(
                "standardisation needs ≥ 1 patch and ≥ 3 columns, got {n} × {d}"
            )));
        }
        if train.iter().any(|v| !v.is_finite()) {
            return Err(SegmentError::NonFinite("training features".into()));
        }
        let mean: Vec<f64> = train.column_iter().map(|c| c.sum() / n as f64).collect();
        let std = train
            .column_iter()
            .zip(&mean)
            .map(|(c, m)| {
                let v = c.iter().map(|t| (t - m).powi(2)).sum::<f64>() / n as f64;
                if v > 1e-24 { v.sqrt() } else { 1.0 }
            })
            .collect();
        Ok(Self {
            mean,
            std,
            colour_weight: params.colour_weight,
        })
    }

    /// `x` standardised and weighted.
    pub fn apply(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let d = self.mean.len();
        if x.ncols() != d {
            return Err(SegmentError::Shape(format!(
                "{} feature columns for a scaler of {d}",
                x.ncols()
            )));
        }
        Ok(DMatrix::from_fn(x.nrows(), d, |i, j| {
            let z = (x[(i, j)] - self.mean[j]) / self.std[j];
            if j + 3 >= d {
                self.colour_weight * z
            } else {
                z
            }
        }))
    }
}

/// The rows of several images' features stacked in order (the batch or data set matrix).
pub fn stack_features(sets: &[&PatchFeatures]) -> Result<DMatrix<f64>> {
    let d = sets
        .first()
        .map(|s| s.features.ncols())
        .ok_or_else(|| SegmentError::Empty("no images to stack".into()))?;
    if let Some(s) = sets.iter().find(|s| s.features.ncols() != d) {
        return Err(SegmentError::Shape(format!(
            "features of {} and {d} columns",
            s.features.ncols()
        )));
    }
    let n: usize = sets.iter().map(|s| s.features.nrows()).sum();
    let mut out = DMatrix::zeros(n, d);
    let mut r = 0;
    for s in sets {
        out.rows_mut(r, s.features.nrows()).copy_from(&s.features);
        r += s.features.nrows();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripes(w: usize, h: usize, period: f64, vertical: bool, contrast: f64) -> RgbImage {
        RgbImage {
            width: w,
            height: h,
            pixels: (0..w * h)
                .map(|i| {
                    let t = if vertical { i % w } else { i / w } as f64;
                    let v = 0.5 + contrast * (std::f64::consts::TAU * t / period).sin();
                    [v, v, v]
                })
                .collect(),
        }
    }

    #[test]
    fn grid_geometry_and_upsampling() {
        let g = PatchGrid::new(20, 17, 8).unwrap();
        assert_eq!((g.rows, g.cols, g.len()), (2, 2, 4));
        // The trailing strip (x ≥ 16, y ≥ 16) joins the last patch.
        assert_eq!(g.pixels_of(3), (8, 20, 8, 17));
        assert_eq!(g.patch_of(19, 16), 3);
        let up = g.upsample(&[0, 1, 2, 3]).unwrap();
        assert_eq!(up[0], 0);
        assert_eq!(up[19], 1);
        assert_eq!(up[16 * 20], 2);
        assert!(g.upsample(&[0, 1]).is_err());
        assert!(PatchGrid::new(4, 40, 8).is_err());
    }

    #[test]
    fn the_descriptor_sees_orientation_not_contrast() {
        let p = FilterBankParams::default();
        let v1 = patch_features(&stripes(32, 32, 6.0, true, 0.4), &p).unwrap();
        let v2 = patch_features(&stripes(32, 32, 6.0, true, 0.1), &p).unwrap();
        let hz = patch_features(&stripes(32, 32, 6.0, false, 0.4), &p).unwrap();
        // The texture descriptor (all but the three colour columns).
        let row = |f: &PatchFeatures| f.features.view((5, 0), (1, 15)).clone_owned();
        // Contrast invariance (the descriptor sums to 1).
        assert!((row(&v1) - row(&v2)).norm() < 1e-9);
        assert!((row(&v1).sum() - 1.0).abs() < 1e-12);
        // Vertical stripes (intensity varies along x) excite the 0° second derivative at the
        // matching scale; horizontal ones the 90° filter.
        let d = row(&v1) - row(&hz);
        assert!(d.norm() > 0.1, "{d}");
        let per = p.orientations + 1;
        // σ = 1 is closest to the 6-pixel period: index 0 (0°) vs 2 (90°).
        assert!(v1.features[(5, 0)] > 5.0 * v1.features[(5, 2)]);
        assert!(hz.features[(5, 2)] > 5.0 * hz.features[(5, 0)]);
        assert_eq!(p.dimension(), 3 * per + 3);
    }

    #[test]
    fn colour_is_the_patch_mean_times_its_weight() {
        let mut im = stripes(16, 16, 4.0, true, 0.0);
        for (i, px) in im.pixels.iter_mut().enumerate() {
            *px = if i % 16 < 8 {
                [1.0, 0.0, 0.0]
            } else {
                [0.0, 0.0, 1.0]
            };
        }
        let f = patch_features(&im, &FilterBankParams::default()).unwrap();
        assert_eq!(f.colours[0], [1.0, 0.0, 0.0]);
        assert_eq!(f.colours[1], [0.0, 0.0, 1.0]);
        let d = f.features.ncols();
        assert_eq!(f.features[(1, d - 1)], 1.0);
        assert_eq!(f.positions[1], [0.75, 0.25]);
        // The scaler standardises, then weights the colour columns: patch 0 (red) and 1 (blue)
        // have blue = 0 and 1, mean 0.5, std 0.5: z = −1, 1, times 0.5.
        let half = FilterBankParams {
            colour_weight: 0.5,
            ..Default::default()
        };
        let s = FeatureScaler::fit(&f.features, &half).unwrap();
        let z = s.apply(&f.features).unwrap();
        assert!((z[(0, d - 1)] + 0.5).abs() < 1e-12 && (z[(1, d - 1)] - 0.5).abs() < 1e-12);
        assert!(s.apply(&DMatrix::zeros(1, 2)).is_err());
    }

    #[test]
    fn empty_or_broken_images_are_typed_errors() {
        let p = FilterBankParams::default();
        let empty = RgbImage {
            width: 0,
            height: 0,
            pixels: vec![],
        };
        assert!(matches!(
            patch_features(&empty, &p),
            Err(SegmentError::Empty(_))
        ));
        let short = RgbImage {
            width: 16,
            height: 16,
            pixels: vec![[0.0; 3]; 10],
        };
        assert!(matches!(
            patch_features(&short, &p),
            Err(SegmentError::Shape(_))
        ));
        let mut nan = stripes(16, 16, 4.0, true, 0.2);
        nan.pixels[3][1] = f64::NAN;
        assert!(matches!(
            patch_features(&nan, &p),
            Err(SegmentError::NonFinite(_))
        ));
        let tiny = stripes(4, 4, 4.0, true, 0.2);
        assert!(matches!(
            patch_features(&tiny, &p),
            Err(SegmentError::Shape(_))
        ));
    }
}
