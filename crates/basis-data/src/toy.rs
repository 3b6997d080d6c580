//! Seeded toy data sets of the kind shown in Fig. 1 of the BASiS paper.
//!
//! Every generator takes a [`ToyParams`] (size, Gaussian noise level, seed) and
//! returns labelled 2-D points. The same parameters always give the same points.
//! Points are split as evenly as possible between the classes, class by class.

use crate::dataset::LabeledData;
use crate::error::{DataError, Result};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Size, noise and seed of a toy data set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ToyParams {
    /// Total number of points.
    pub n_samples: usize,
    /// Standard deviation of the isotropic Gaussian noise added to every point.
    pub noise: f64,
    /// Seed of the generator.
    pub seed: u64,
}

impl Default for ToyParams {
    fn default() -> Self {
        Self {
            n_samples: 9000,
            noise: 0.05,
            seed: 0,
        }
    }
}

impl ToyParams {
    /// Checks the parameters for a data set with `classes` classes.
    pub fn check(&self, classes: usize) -> Result<()> {
        if self.n_samples < classes {
            return Err(DataError::InvalidParameter(format!(
                "n_samples = {} but the data set has {classes} classes",
                self.n_samples
            )));
        }
        if !self.noise.is_finite() || self.noise < 0.0 {
            return Err(DataError::InvalidParameter(format!(
                "noise must be finite and >= 0, got {}",
                self.noise
            )));
        }
        Ok(())
    }
}

/// Which toy shape to generate (for configs and command lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToyKind {
    /// [`two_moons`]
    TwoMoons,
    /// [`three_moons`]
    ThreeMoons,
    /// [`concentric_circles`]
    Circles,
    /// [`gaussian_blobs`] with 4 centres
    Blobs,
    /// [`two_spirals`]
    Spirals,
}

impl ToyKind {
    /// Generates the data set of this kind.
    pub fn generate(self, p: &ToyParams) -> Result<LabeledData> {
        match self {
            ToyKind::TwoMoons => two_moons(p),
            ToyKind::ThreeMoons => three_moons(p),
            ToyKind::Circles => concentric_circles(p, 3),
            ToyKind::Blobs => gaussian_blobs(p, 4, 2.0),
            ToyKind::Spirals => two_spirals(p),
        }
    }

    /// Number of classes this kind produces.
    pub fn num_classes(self) -> usize {
        match self {
            ToyKind::TwoMoons | ToyKind::Spirals => 2,
            ToyKind::ThreeMoons | ToyKind::Circles => 3,
            ToyKind::Blobs => 4,
        }
    }

    /// Parses a command-line name (`two-moons`, `three-moons`, `circles`, `blobs`, `spirals`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "two-moons" => ToyKind::TwoMoons,
            "three-moons" => ToyKind::ThreeMoons,
            "circles" => ToyKind::Circles,
            "blobs" => ToyKind::Blobs,
            "spirals" => ToyKind::Spirals,
            _ => return None,
        })
    }
}

fn class_sizes(n: usize, classes: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..classes).map(move |c| (c, n / classes + usize::from(c < n % classes)))
}

/// Builds points class by class from a curve `shape(class, t)` with `t ~ U[0, 1)`, plus noise.
fn from_curves(
    p: &ToyParams,
    classes: usize,
    shape: impl Fn(usize, f64) -> (f64, f64),
) -> Result<LabeledData> {
    p.check(classes)?;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let unit = Uniform::new(0.0, 1.0).map_err(|e| DataError::InvalidParameter(e.to_string()))?;
    let normal =
        Normal::new(0.0, p.noise).map_err(|e| DataError::InvalidParameter(e.to_string()))?;
    let mut flat = Vec::with_capacity(2 * p.n_samples);
    let mut labels = Vec::with_capacity(p.n_samples);
    for (c, size) in class_sizes(p.n_samples, classes) {
        for _ in 0..size {
            let t = unit.sample(&mut rng);
            let (x, y) = shape(c, t);
            flat.push(x + normal.sample(&mut rng));
            flat.push(y + normal.sample(&mut rng));
            labels.push(c);
        }
    }
    LabeledData::new(DMatrix::from_row_slice(p.n_samples, 2, &flat), labels)
}

/// Two interleaved half circles of radius 1 (the classic "two moons").
pub fn two_moons(p: &ToyParams) -> Result<LabeledData> {
    from_curves(p, 2, |c, t| {
        let a = PI * t;
        match c {
            0 => (a.cos(), a.sin()),
            _ => (1.0 - a.cos(), 0.5 - a.sin()),
        }
    })
}

/// Three interleaved half circles of radius 1: upward arcs centred at (0, 0) and
/// (2.5, 0), a downward arc centred at (1.25, 0.35) between them. Without noise the
/// arcs are at least 0.5 apart.
pub fn three_moons(p: &ToyParams) -> Result<LabeledData> {
    from_curves(p, 3, |c, t| {
        let a = PI * t;
        match c {
            0 => (a.cos(), a.sin()),
            1 => (1.25 - a.cos(), 0.35 - a.sin()),
            _ => (2.5 + a.cos(), a.sin()),
        }
    })
}

/// `classes` concentric circles with radii 1, 2, 3, ...
pub fn concentric_circles(p: &ToyParams, classes: usize) -> Result<LabeledData> {
    if classes == 0 {
        return Err(DataError::InvalidParameter(
            "circles need at least one class".into(),
        ));
    }
    from_curves(p, classes, |c, t| {
        let r = (c + 1) as f64;
        let a = 2.0 * PI * t;
        (r * a.cos(), r * a.sin())
    })
}

/// Isotropic Gaussian blobs of standard deviation `noise` (at least 0.05), centred on a
/// circle of radius `spread`.
pub fn gaussian_blobs(p: &ToyParams, centres: usize, spread: f64) -> Result<LabeledData> {
    if centres == 0 || !spread.is_finite() {
        return Err(DataError::InvalidParameter(
            "blobs need >= 1 centre and a finite spread".into(),
        ));
    }
    let q = ToyParams {
        noise: p.noise.max(0.05),
        ..*p
    };
    from_curves(&q, centres, |c, _| {
        let a = 2.0 * PI * c as f64 / centres as f64;
        (spread * a.cos(), spread * a.sin())
    })
}

/// Two interleaved Archimedean spirals, 1.5 turns each.
pub fn two_spirals(p: &ToyParams) -> Result<LabeledData> {
    from_curves(p, 2, |c, t| {
        let a = 0.5 * PI + 3.0 * PI * t;
        let r = a / PI;
        let s = if c == 0 { 1.0 } else { -1.0 };
        (s * r * a.cos(), s * r * a.sin())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_labels_and_balance() {
        let p = ToyParams {
            n_samples: 301,
            noise: 0.0,
            seed: 3,
        };
        for kind in [
            ToyKind::TwoMoons,
            ToyKind::ThreeMoons,
            ToyKind::Circles,
            ToyKind::Blobs,
            ToyKind::Spirals,
        ] {
            let d = kind.generate(&p).unwrap();
            assert_eq!(d.features.shape(), (301, 2), "{kind:?}");
            assert_eq!(d.num_classes(), kind.num_classes());
            for c in 0..kind.num_classes() {
                let count = d.labels.iter().filter(|&&l| l == c).count();
                assert!(count.abs_diff(301 / kind.num_classes()) <= 1);
            }
        }
    }

    #[test]
    fn noiseless_points_lie_on_their_curves() {
        let p = ToyParams {
            n_samples: 300,
            noise: 0.0,
            seed: 1,
        };
        let d = three_moons(&p).unwrap();
        let centres = [(0.0, 0.0), (1.25, 0.35), (2.5, 0.0)];
        for (i, &l) in d.labels.iter().enumerate() {
            let (cx, cy) = centres[l];
            let r = ((d.features[(i, 0)] - cx).powi(2) + (d.features[(i, 1)] - cy).powi(2)).sqrt();
            assert!((r - 1.0).abs() < 1e-12);
        }
        let c = concentric_circles(&p, 3).unwrap();
        for (i, &l) in c.labels.iter().enumerate() {
            let r = c.features.row(i).norm();
            assert!((r - (l + 1) as f64).abs() < 1e-12);
        }
    }

    #[test]
    fn three_moons_are_separated_without_noise() {
        let p = ToyParams {
            n_samples: 900,
            noise: 0.0,
            seed: 2,
        };
        let d = three_moons(&p).unwrap();
        let mut min_gap = f64::INFINITY;
        for i in 0..d.len() {
            for j in 0..d.len() {
                if d.labels[i] != d.labels[j] {
                    min_gap = min_gap.min((d.features.row(i) - d.features.row(j)).norm());
                }
            }
        }
        assert!(min_gap > 0.45, "gap {min_gap}");
    }

    #[test]
    fn deterministic_under_a_seed() {
        let p = ToyParams {
            n_samples: 100,
            noise: 0.1,
            seed: 42,
        };
        assert_eq!(two_moons(&p).unwrap(), two_moons(&p).unwrap());
        let q = ToyParams { seed: 43, ..p };
        assert_ne!(two_moons(&p).unwrap(), two_moons(&q).unwrap());
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        let p = ToyParams {
            n_samples: 2,
            noise: 0.1,
            seed: 0,
        };
        assert!(three_moons(&p).is_err());
        let q = ToyParams {
            n_samples: 10,
            noise: f64::NAN,
            seed: 0,
        };
        assert!(two_moons(&q).is_err());
        let r = ToyParams {
            n_samples: 10,
            noise: -1.0,
            seed: 0,
        };
        assert!(two_moons(&r).is_err());
    }
}
