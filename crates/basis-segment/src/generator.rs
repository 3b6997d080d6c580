//! The procedural benchmark: images of 5–8 Voronoi regions whose **class is their texture**
//! (oriented stripes at several frequencies, checks, dots, noise of two spectra). Every region
//! draws its own pair of colours from one distribution shared by all classes, so colour alone
//! says nothing about the class; then the whole image is blurred and noised. The mask is the
//! exact class of every pixel (the Voronoi cell's texture), before blur and noise.
//!
//! Image `i` of a split is a function of `(config, seed, split, i)` only: splits and images
//! can be generated in any order, in parallel, and again.

use crate::error::{Result, SegmentError};
use crate::filters::gaussian_blur;
use crate::image::{LabelledImage, Mask, RgbImage, luma};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// One texture class: a pattern `t(x, y) ∈ [0, 1]` mixing a region's two colours.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Texture {
    /// Sinusoidal stripes of `period` pixels whose wave vector points at `angle_deg`
    /// (0° = varying along x, i.e. vertical stripes), random phase per region.
    Stripes {
        /// Period in pixels.
        period: f64,
        /// Direction of the wave vector, degrees.
        angle_deg: f64,
    },
    /// A checkerboard of squares of side `period / 2`, random offset per region.
    Checks {
        /// Period (two squares) in pixels.
        period: f64,
    },
    /// Discs of `radius` pixels on a square lattice of `period`, random offset per region.
    Dots {
        /// Lattice period in pixels.
        period: f64,
        /// Disc radius in pixels.
        radius: f64,
    },
    /// Gaussian white noise low-passed by a Gaussian of `correlation` pixels, rescaled to
    /// unit variance and mapped to `[0, 1]` by `0.5 + 0.25 z` (clamped).
    Noise {
        /// Correlation length in pixels (σ of the low-pass).
        correlation: f64,
    },
}

impl Texture {
    /// A short name for tables and legends.
    pub fn name(&self) -> String {
        match *self {
            Texture::Stripes { period, angle_deg } => {
                let a = angle_deg.rem_euclid(180.0);
                let along = if a == 0.0 {
                    "vertical".to_string()
                } else if a == 90.0 {
                    "horizontal".to_string()
                } else {
                    format!("wave at {a}°")
                };
                format!("stripes {period}px, {along}")
            }
            Texture::Checks { period } => format!("checks {period}px"),
            Texture::Dots { period, radius } => format!("dots {period}px r{radius}"),
            Texture::Noise { correlation } => format!("noise σ{correlation}px"),
        }
    }

    fn check(&self) -> Result<()> {
        let ok = |v: f64| v.is_finite() && v > 0.0;
        let good = match *self {
            Texture::Stripes { period, angle_deg } => ok(period) && angle_deg.is_finite(),
            Texture::Checks { period } => ok(period),
            Texture::Dots { period, radius } => ok(period) && ok(radius) && radius < period,
            Texture::Noise { correlation } => ok(correlation),
        };
        if good {
            Ok(())
        } else {
            Err(SegmentError::InvalidConfig(format!(
                "texture {self:?}: periods, radii and correlations must be finite and > 0 (radius < period)"
            )))
        }
    }
}

/// The generator's parameters. [`Default`]: 128 × 128 images of 5–8 regions over seven
/// texture classes. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextureConfig {
    /// Image side in pixels (square images).
    pub size: usize,
    /// Fewest Voronoi regions per image.
    pub min_regions: usize,
    /// Most Voronoi regions per image.
    pub max_regions: usize,
    /// The classes: class `c` is texture `textures[c]`.
    pub textures: Vec<Texture>,
    /// Smallest luminance difference between a region's two colours (the texture's contrast).
    pub min_contrast: f64,
    /// σ of the Gaussian blur of the finished image, pixels (0: none).
    pub blur_sigma: f64,
    /// σ of the additive Gaussian pixel noise (0: none), before clamping to `[0, 1]`.
    pub noise_std: f64,
    /// Each region's texture is rotated by a uniform angle in `±jitter_deg` (stripes only).
    pub jitter_deg: f64,
}

impl Default for TextureConfig {
    fn default() -> Self {
        Self {
            size: 128,
            min_regions: 5,
            max_regions: 8,
            textures: vec![
                Texture::Stripes {
                    period: 6.0,
                    angle_deg: 0.0,
                },
                Texture::Stripes {
                    period: 6.0,
                    angle_deg: 90.0,
                },
                Texture::Stripes {
                    period: 12.0,
                    angle_deg: 45.0,
                },
                Texture::Checks { period: 10.0 },
                Texture::Dots {
                    period: 8.0,
                    radius: 2.0,
                },
                Texture::Noise { correlation: 0.7 },
                Texture::Noise { correlation: 3.0 },
            ],
            min_contrast: 0.25,
            blur_sigma: 0.6,
            noise_std: 0.04,
            jitter_deg: 8.0,
        }
    }
}

/// Which split an image belongs to (images of different splits never coincide).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Split {
    /// Training images.
    Train,
    /// Held-out test images.
    Test,
}

impl TextureConfig {
    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.textures.len()
    }

    /// Checks the values.
    pub fn check(&self) -> Result<()> {
        if self.size < 8 {
            return Err(SegmentError::InvalidConfig(format!(
                "images must be at least 8 pixels across, got {}",
                self.size
            )));
        }
        if self.min_regions == 0 || self.min_regions > self.max_regions {
            return Err(SegmentError::InvalidConfig(format!(
                "need 1 ≤ min_regions ≤ max_regions, got {} and {}",
                self.min_regions, self.max_regions
            )));
        }
        if self.textures.is_empty() {
            return Err(SegmentError::InvalidConfig(
                "the generator needs at least one texture class".into(),
            ));
        }
        for t in &self.textures {
            t.check()?;
        }
        let unit = |v: f64| v.is_finite() && v >= 0.0;
        if !(unit(self.min_contrast) && self.min_contrast <= 0.8) {
            return Err(SegmentError::InvalidConfig(format!(
                "min_contrast must be in [0, 0.8], got {}",
                self.min_contrast
            )));
        }
        if !unit(self.blur_sigma) || !unit(self.noise_std) || !unit(self.jitter_deg) {
            return Err(SegmentError::InvalidConfig(format!(
                "blur, noise and jitter must be finite and ≥ 0, got {}, {}, {}",
                self.blur_sigma, self.noise_std, self.jitter_deg
            )));
        }
        Ok(())
    }

    /// Image `index` of `split` under `seed`.
    pub fn image(&self, seed: u64, split: Split, index: usize) -> Result<LabelledImage> {
        self.check()?;
        let mut rng = ChaCha8Rng::seed_from_u64(image_seed(seed, split, index));
        Ok(self.draw(&mut rng))
    }

    /// Images `0..n` of `split` under `seed`.
    pub fn images(&self, seed: u64, split: Split, n: usize) -> Result<Vec<LabelledImage>> {
        (0..n).map(|i| self.image(seed, split, i)).collect()
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> LabelledImage {
        let s = self.size;
        let regions = rng.random_range(self.min_regions..=self.max_regions);
        let sites: Vec<(f64, f64)> = (0..regions)
            .map(|_| {
                (
                    rng.random::<f64>() * s as f64,
                    rng.random::<f64>() * s as f64,
                )
            })
            .collect();
        let classes: Vec<usize> = (0..regions)
            .map(|_| rng.random_range(0..self.textures.len()))
            .collect();
        let colours: Vec<([f64; 3], [f64; 3])> =
            (0..regions).map(|_| self.colour_pair(rng)).collect();
        let params: Vec<RegionPattern> = classes
            .iter()
            .map(|&c| RegionPattern::draw(&self.textures[c], self.jitter_deg, s, rng))
            .collect();
        // Nearest site of every pixel centre.
        let cell: Vec<usize> = (0..s * s)
            .map(|i| {
                let (x, y) = ((i % s) as f64 + 0.5, (i / s) as f64 + 0.5);
                let mut best = (f64::INFINITY, 0);
                for (r, &(sx, sy)) in sites.iter().enumerate() {
                    let d = (x - sx).powi(2) + (y - sy).powi(2);
                    if d < best.0 {
                        best = (d, r);
                    }
                }
                best.1
            })
            .collect();
        let mut channels = [vec![0.0; s * s], vec![0.0; s * s], vec![0.0; s * s]];
        for (i, &r) in cell.iter().enumerate() {
            let (x, y) = ((i % s) as f64, (i / s) as f64);
            let t = params[r].value(x, y, i);
            let (a, b) = colours[r];
            for ch in 0..3 {
                channels[ch][i] = a[ch] + (b[ch] - a[ch]) * t;
            }
        }
        let channels = channels.map(|c| gaussian_blur(&c, s, s, self.blur_sigma));
        let pixels = (0..s * s)
            .map(|i| {
                let mut p = [0.0; 3];
                for ch in 0..3 {
                    let n: f64 = StandardNormal.sample(rng);
                    p[ch] = (channels[ch][i] + self.noise_std * n).clamp(0.0, 1.0);
                }
                p
            })
            .collect();
        LabelledImage {
            image: RgbImage {
                width: s,
                height: s,
                pixels,
            },
            mask: Mask {
                width: s,
                height: s,
                labels: cell.iter().map(|&r| classes[r]).collect(),
            },
        }
    }

    /// Two colours uniform in `[0.05, 0.95]³` whose lumas differ by ≥ `min_contrast`
    /// (rejection sampling; after 1000 rejections the second is the first's complement).
    fn colour_pair(&self, rng: &mut ChaCha8Rng) -> ([f64; 3], [f64; 3]) {
        let draw = |rng: &mut ChaCha8Rng| [0; 3].map(|_: i32| 0.05 + 0.9 * rng.random::<f64>());
        let a = draw(rng);
        for _ in 0..1000 {
            let b = draw(rng);
            if (luma(a) - luma(b)).abs() >= self.min_contrast {
                return (a, b);
            }
        }
        (a, a.map(|v| 1.0 - v))
    }
}

/// Mixes (seed, split, index) into the seed of one image (SplitMix64 finaliser).
fn image_seed(seed: u64, split: Split, index: usize) -> u64 {
    let tag = match split {
        Split::Train => 0x5EED_7A11u64,
        Split::Test => 0x7E57_7E57u64,
    };
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(tag.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(index as u64);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A texture with its per-region random parameters.
enum RegionPattern {
    Stripes {
        kx: f64,
        ky: f64,
        phase: f64,
    },
    Checks {
        side: f64,
        ox: f64,
        oy: f64,
    },
    Dots {
        period: f64,
        radius: f64,
        ox: f64,
        oy: f64,
    },
    Noise {
        field: Vec<f64>,
    },
}

impl RegionPattern {
    fn draw(t: &Texture, jitter_deg: f64, size: usize, rng: &mut ChaCha8Rng) -> Self {
        let tau = std::f64::consts::TAU;
        match *t {
            Texture::Stripes { period, angle_deg } => {
                let angle =
                    (angle_deg + jitter_deg * (2.0 * rng.random::<f64>() - 1.0)).to_radians();
                Self::Stripes {
                    kx: tau * angle.cos() / period,
                    ky: tau * angle.sin() / period,
                    phase: tau * rng.random::<f64>(),
                }
            }
            Texture::Checks { period } => Self::Checks {
                side: period / 2.0,
                ox: period * rng.random::<f64>(),
                oy: period * rng.random::<f64>(),
            },
            Texture::Dots { period, radius } => Self::Dots {
                period,
                radius,
                ox: period * rng.random::<f64>(),
                oy: period * rng.random::<f64>(),
            },
            Texture::Noise { correlation } => {
                let white: Vec<f64> = (0..size * size)
                    .map(|_| StandardNormal.sample(rng))
                    .collect();
                let mut field = gaussian_blur(&white, size, size, correlation);
                let n = field.len() as f64;
                let mean = field.iter().sum::<f64>() / n;
                let sd = (field.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n)
                    .sqrt()
                    .max(1e-12);
                for v in &mut field {
                    *v = (0.5 + 0.25 * (*v - mean) / sd).clamp(0.0, 1.0);
                }
                Self::Noise { field }
            }
        }
    }

    fn value(&self, x: f64, y: f64, index: usize) -> f64 {
        match self {
            Self::Stripes { kx, ky, phase } => 0.5 + 0.5 * (kx * x + ky * y + phase).sin(),
            Self::Checks { side, ox, oy } => {
                let parity = ((x + ox) / side).floor() as i64 + ((y + oy) / side).floor() as i64;
                parity.rem_euclid(2) as f64
            }
            Self::Dots {
                period,
                radius,
                ox,
                oy,
            } => {
                let (u, v) = ((x + ox).rem_euclid(*period), (y + oy).rem_euclid(*period));
                let (du, dv) = (u.min(period - u), v.min(period - v));
                let d = (du * du + dv * dv).sqrt();
                // Antialiased edge one pixel wide.
                (radius + 0.5 - d).clamp(0.0, 1.0)
            }
            Self::Noise { field } => field[index],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_deterministic_and_independent_of_order() {
        let c = TextureConfig {
            size: 32,
            ..Default::default()
        };
        let a = c.images(7, Split::Train, 3).unwrap();
        let b = c.image(7, Split::Train, 2).unwrap();
        assert_eq!(a[2], b);
        assert_eq!(c.images(7, Split::Train, 3).unwrap(), a);
        assert_ne!(c.image(7, Split::Test, 2).unwrap(), b);
        assert_ne!(c.image(8, Split::Train, 2).unwrap(), b);
    }

    #[test]
    fn masks_are_exact_voronoi_classes() {
        let c = TextureConfig {
            size: 48,
            noise_std: 0.0,
            blur_sigma: 0.0,
            ..Default::default()
        };
        for i in 0..5 {
            let im = c.image(1, Split::Test, i).unwrap();
            im.check(Some(c.classes())).unwrap();
            assert!(
                im.image
                    .pixels
                    .iter()
                    .flatten()
                    .all(|v| (0.0..=1.0).contains(v))
            );
            // Every class in the mask is a class, and the labels are piecewise constant: a
            // pixel's label differs from its right neighbour's only on a Voronoi edge, so the
            // number of label changes along a row is at most the number of regions.
            for y in 0..48 {
                let row = &im.mask.labels[y * 48..(y + 1) * 48];
                let changes = row.windows(2).filter(|w| w[0] != w[1]).count();
                assert!(changes < c.max_regions, "row {y}: {changes} changes");
            }
        }
    }

    #[test]
    fn colours_do_not_depend_on_the_class() {
        // The mean colour of the regions of each class is the same up to sampling error.
        let c = TextureConfig {
            size: 32,
            textures: vec![
                Texture::Checks { period: 8.0 },
                Texture::Noise { correlation: 1.0 },
            ],
            ..Default::default()
        };
        let mut sums = [[0.0; 3]; 2];
        let mut counts = [0.0; 2];
        for im in c.images(3, Split::Train, 120).unwrap() {
            for (p, &l) in im.image.pixels.iter().zip(&im.mask.labels) {
                for (s, v) in sums[l].iter_mut().zip(p) {
                    *s += v;
                }
                counts[l] += 1.0;
            }
        }
        for (ch, (s0, s1)) in sums[0].iter().zip(&sums[1]).enumerate() {
            let (a, b) = (s0 / counts[0], s1 / counts[1]);
            assert!((a - b).abs() < 0.05, "channel {ch}: {a} vs {b}");
        }
    }

    #[test]
    fn bad_configurations_are_typed_errors() {
        let ok = TextureConfig::default();
        for bad in [
            TextureConfig {
                size: 4,
                ..ok.clone()
            },
            TextureConfig {
                min_regions: 0,
                ..ok.clone()
            },
            TextureConfig {
                min_regions: 9,
                ..ok.clone()
            },
            TextureConfig {
                textures: vec![],
                ..ok.clone()
            },
            TextureConfig {
                textures: vec![Texture::Dots {
                    period: 4.0,
                    radius: 5.0,
                }],
                ..ok.clone()
            },
            TextureConfig {
                noise_std: f64::NAN,
                ..ok.clone()
            },
        ] {
            assert!(
                matches!(
                    bad.image(0, Split::Train, 0),
                    Err(SegmentError::InvalidConfig(_))
                ),
                "{bad:?}"
            );
        }
    }
}
