//! Seeded Gaussian clusters in a low-dimensional subspace of a higher-dimensional space: the
//! shape of features a well-trained contrastive network produces on an easy data set (tight,
//! well-separated classes, effectively low-dimensional), with the tightness as a parameter.
//!
//! Generation ([`subspace_blobs`]), every draw from one ChaCha8 generator seeded by
//! [`SubspaceBlobsParams::seed`]:
//! 1. `classes` centroids drawn from `N(0, I_d)` in `d = intrinsic_dim` dimensions, centred
//!    (their mean subtracted) and scaled so that the **median** distance between two centroids
//!    is 1;
//! 2. each point: its class (uniform, or by [`SubspaceBlobsParams::class_weights`]), then its
//!    centroid plus `N(0, s² I_d)` with `s` chosen so that the mean distance to the centroid is
//!    [`SubspaceBlobsParams::spread`] (`E‖N(0, s² I_d)‖ = s √2 Γ((d+1)/2) / Γ(d/2)`);
//! 3. all points mapped into `ambient_dim` dimensions by one random orthonormal
//!    `ambient_dim × d` matrix (QR of a Gaussian matrix), plus isotropic noise of standard
//!    deviation [`SubspaceBlobsParams::ambient_noise`].
//!
//! The training and test splits are drawn from the same clusters (same centroids and
//! embedding), training points first.

use crate::dataset::LabeledData;
use crate::error::{DataError, Result};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Parameters of [`subspace_blobs`]. The defaults are the tight-cluster case of BASiS's
/// failure report: ten classes in a 5-dimensional subspace of R^16, within-class mean distance
/// 0.035 against a median centroid distance of 1, 8,000 training and 2,000 test points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubspaceBlobsParams {
    /// Number of classes (clusters).
    pub classes: usize,
    /// Dimension of the subspace the clusters live in.
    pub intrinsic_dim: usize,
    /// Dimension of the features.
    pub ambient_dim: usize,
    /// Mean distance of a point to its centroid, in units of the median centroid distance.
    pub spread: f64,
    /// Standard deviation of the isotropic noise added in the ambient space.
    pub ambient_noise: f64,
    /// Training points.
    pub n_train: usize,
    /// Test points.
    pub n_test: usize,
    /// Relative class frequencies (`None`: uniform); `classes` non-negative finite weights,
    /// not all zero.
    #[serde(default)]
    pub class_weights: Option<Vec<f64>>,
    /// Within-class spread of the **test** split as a multiple of [`SubspaceBlobsParams::spread`]
    /// (1: the test points come from the training distribution). Above 1 the test classes are
    /// wider than the training classes: the shape of contrastive features on held-out data,
    /// which a network fitted to the tight training clusters never saw.
    #[serde(default = "one")]
    pub test_spread_factor: f64,
    /// Fraction of **test** points placed between two clusters: the point's own centroid moved
    /// a fraction `t ~ U(0.1, 0.4)` of the way toward another class's centroid (drawn
    /// uniformly), plus the test split's within-class noise. Labelled with its own (the
    /// nearer) class. 0: none.
    #[serde(default)]
    pub test_between_fraction: f64,
    /// Seed of every draw.
    pub seed: u64,
}

fn one() -> f64 {
    1.0
}

impl Default for SubspaceBlobsParams {
    fn default() -> Self {
        Self {
            classes: 10,
            intrinsic_dim: 5,
            ambient_dim: 16,
            spread: 0.035,
            ambient_noise: 1e-3,
            n_train: 8000,
            n_test: 2000,
            class_weights: None,
            test_spread_factor: 1.0,
            test_between_fraction: 0.0,
            seed: 0,
        }
    }
}

impl SubspaceBlobsParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<()> {
        let bad = |s: String| Err(DataError::InvalidParameter(s));
        if self.classes < 2 {
            return bad(format!("need at least 2 classes, got {}", self.classes));
        }
        if self.intrinsic_dim == 0 || self.intrinsic_dim > self.ambient_dim {
            return bad(format!(
                "intrinsic dimension {} must be in 1..={} (the ambient dimension)",
                self.intrinsic_dim, self.ambient_dim
            ));
        }
        if !(self.spread.is_finite() && self.spread >= 0.0) {
            return bad(format!(
                "spread must be finite and >= 0, got {}",
                self.spread
            ));
        }
        if !(self.ambient_noise.is_finite() && self.ambient_noise >= 0.0) {
            return bad(format!(
                "ambient noise must be finite and >= 0, got {}",
                self.ambient_noise
            ));
        }
        if !(self.test_spread_factor.is_finite() && self.test_spread_factor > 0.0) {
            return bad(format!(
                "test spread factor must be finite and > 0, got {}",
                self.test_spread_factor
            ));
        }
        if !(0.0..=1.0).contains(&self.test_between_fraction) {
            return bad(format!(
                "test between-cluster fraction must be in [0, 1], got {}",
                self.test_between_fraction
            ));
        }
        if self.n_train < self.classes || self.n_test == 0 {
            return bad(format!(
                "need at least one training point per class and one test point \
                 (n_train = {}, n_test = {}, {} classes)",
                self.n_train, self.n_test, self.classes
            ));
        }
        if let Some(w) = &self.class_weights {
            if w.len() != self.classes {
                return bad(format!(
                    "{} class weights for {} classes",
                    w.len(),
                    self.classes
                ));
            }
            if w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) || w.iter().sum::<f64>() <= 0.0 {
                return bad("class weights must be finite, >= 0 and not all 0".into());
            }
        }
        Ok(())
    }

    /// Standard deviation per axis that gives a mean distance of `spread` in `intrinsic_dim`
    /// dimensions.
    pub fn axis_std(&self) -> f64 {
        let d = self.intrinsic_dim as f64;
        self.spread / mean_chi(d)
    }
}

/// Mean of the χ distribution with `d` degrees of freedom: `√2 Γ((d+1)/2) / Γ(d/2)`, by the
/// ratio recursion `r(d + 2) = r(d) (d + 1) / d` from `r(1) = √(2/π)`, `r(2) = √(π/2)`.
fn mean_chi(d: f64) -> f64 {
    let n = d as usize;
    let mut r = if n % 2 == 1 {
        (2.0 / std::f64::consts::PI).sqrt()
    } else {
        (std::f64::consts::PI / 2.0).sqrt()
    };
    let mut k = if n % 2 == 1 { 1 } else { 2 };
    while k < n {
        r *= (k + 1) as f64 / k as f64;
        k += 2;
    }
    r
}

fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// The training and test splits of [`SubspaceBlobsParams`] (see the module documentation).
pub fn subspace_blobs(p: &SubspaceBlobsParams) -> Result<(LabeledData, LabeledData)> {
    p.check()?;
    let (c, d, big_d) = (p.classes, p.intrinsic_dim, p.ambient_dim);
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut centroids = DMatrix::from_fn(c, d, |_, _| gaussian(&mut rng));
    let mean = centroids.row_mean();
    for mut r in centroids.row_iter_mut() {
        r -= &mean;
    }
    let mut pair = Vec::with_capacity(c * (c - 1) / 2);
    for i in 0..c {
        for j in i + 1..c {
            pair.push((centroids.row(i) - centroids.row(j)).norm());
        }
    }
    pair.sort_by(f64::total_cmp);
    let median = if pair.len() % 2 == 1 {
        pair[pair.len() / 2]
    } else {
        0.5 * (pair[pair.len() / 2 - 1] + pair[pair.len() / 2])
    };
    if median.is_nan() || median <= 0.0 {
        return Err(DataError::InvalidParameter(
            "the drawn centroids coincide; use another seed".into(),
        ));
    }
    centroids /= median;
    // A random orthonormal basis of a d-dimensional subspace of R^D.
    let basis = DMatrix::from_fn(big_d, d, |_, _| gaussian(&mut rng))
        .qr()
        .q();
    let cumulative: Vec<f64> = match &p.class_weights {
        None => (1..=c).map(|k| k as f64 / c as f64).collect(),
        Some(w) => {
            let total: f64 = w.iter().sum();
            w.iter()
                .scan(0.0, |acc, v| {
                    *acc += v / total;
                    Some(*acc)
                })
                .collect()
        }
    };
    let split = |n: usize, s: f64, between: f64, rng: &mut ChaCha8Rng| -> Result<LabeledData> {
        let mut labels = Vec::with_capacity(n);
        let mut inner = DMatrix::zeros(n, d);
        for i in 0..n {
            let u: f64 = rng.random();
            let label = cumulative.iter().position(|&q| u < q).unwrap_or(c - 1);
            labels.push(label);
            // Only a split with between-cluster points draws these (the default draws stay
            // as they were).
            let (toward, t) = if between > 0.0 && rng.random::<f64>() < between {
                let other = (label + 1 + rng.random_range(0..c - 1)) % c;
                (other, 0.1 + 0.3 * rng.random::<f64>())
            } else {
                (label, 0.0)
            };
            for j in 0..d {
                let centre = (1.0 - t) * centroids[(label, j)] + t * centroids[(toward, j)];
                inner[(i, j)] = centre + s * gaussian(rng);
            }
        }
        let mut x = inner * basis.transpose();
        if p.ambient_noise > 0.0 {
            x.apply(|v| *v += p.ambient_noise * gaussian(rng));
        }
        LabeledData::new(x, labels)
    };
    let s = p.axis_std();
    let train = split(p.n_train, s, 0.0, &mut rng)?;
    let test = split(
        p.n_test,
        s * p.test_spread_factor,
        p.test_between_fraction,
        &mut rng,
    )?;
    Ok((train, test))
}

/// Writes the splits as `train_x.npy`, `train_y.npy`, `test_x.npy`, `test_y.npy` (float64)
/// into `dir` (created if needed), each file atomically: the layout the reproductions read.
pub fn write_npy_splits(
    dir: impl AsRef<std::path::Path>,
    train: &LabeledData,
    test: &LabeledData,
) -> Result<()> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    let labels = |l: &[usize]| DMatrix::from_iterator(l.len(), 1, l.iter().map(|&v| v as f64));
    for (name, m) in [
        ("train_x.npy", train.features.clone()),
        ("train_y.npy", labels(&train.labels)),
        ("test_x.npy", test.features.clone()),
        ("test_y.npy", labels(&test.labels)),
    ] {
        crate::io::write_atomic(dir.join(name), &crate::npy::encode_npy(&m))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> SubspaceBlobsParams {
        SubspaceBlobsParams {
            n_train: 2000,
            n_test: 500,
            ..Default::default()
        }
    }

    #[test]
    fn mean_chi_matches_closed_forms() {
        // d = 1: √(2/π); d = 2: √(π/2); d = 3: 2√(2/π); d = 5: 8/3 √(2/π).
        let r = (2.0 / std::f64::consts::PI).sqrt();
        assert!((mean_chi(1.0) - r).abs() < 1e-15);
        assert!((mean_chi(2.0) - (std::f64::consts::PI / 2.0).sqrt()).abs() < 1e-15);
        assert!((mean_chi(3.0) - 2.0 * r).abs() < 1e-15);
        assert!((mean_chi(5.0) - 8.0 / 3.0 * r).abs() < 1e-14);
    }

    #[test]
    fn geometry_matches_the_parameters() {
        let p = SubspaceBlobsParams {
            ambient_noise: 0.0,
            ..small()
        };
        let (train, test) = subspace_blobs(&p).unwrap();
        assert_eq!(train.features.shape(), (2000, 16));
        assert_eq!(test.features.shape(), (500, 16));
        assert_eq!(train.num_classes(), 10);
        // Class means estimate the centroids; their median distance is 1 up to sampling error.
        let means: Vec<_> = (0..10)
            .map(|c| {
                let rows: Vec<usize> = (0..train.len()).filter(|&i| train.labels[i] == c).collect();
                train.features.select_rows(&rows).row_mean()
            })
            .collect();
        let mut dist = Vec::new();
        for i in 0..10 {
            for j in i + 1..10 {
                dist.push((&means[i] - &means[j]).norm());
            }
        }
        dist.sort_by(f64::total_cmp);
        let median = 0.5 * (dist[21] + dist[22]);
        assert!(
            (median - 1.0).abs() < 0.01,
            "median centroid distance {median}"
        );
        // Mean distance to the own class mean is the spread.
        let spread = (0..train.len())
            .map(|i| (train.features.row(i) - &means[train.labels[i]]).norm())
            .sum::<f64>()
            / train.len() as f64;
        assert!((spread - 0.035).abs() < 0.002, "spread {spread}");
        // Without ambient noise the points span exactly the 5-dimensional subspace.
        let sv = train.features.clone().svd(false, false).singular_values;
        assert!(sv[4] > 1e-3 * sv[0] && sv[5] < 1e-10 * sv[0], "{sv}");
    }

    #[test]
    fn wider_test_classes_and_between_cluster_points() {
        let base = SubspaceBlobsParams {
            ambient_noise: 0.0,
            ..small()
        };
        let wide = SubspaceBlobsParams {
            test_spread_factor: 3.0,
            ..base.clone()
        };
        let (train, test) = subspace_blobs(&base).unwrap();
        let (wtrain, wtest) = subspace_blobs(&wide).unwrap();
        // The training split and the test labels are the same draws; only the test noise grows.
        assert_eq!(train, wtrain);
        assert_eq!(test.labels, wtest.labels);
        let means: Vec<_> = (0..10)
            .map(|c| {
                let rows: Vec<usize> = (0..train.len()).filter(|&i| train.labels[i] == c).collect();
                train.features.select_rows(&rows).row_mean()
            })
            .collect();
        let spread = |d: &LabeledData| {
            (0..d.len())
                .map(|i| (d.features.row(i) - &means[d.labels[i]]).norm())
                .sum::<f64>()
                / d.len() as f64
        };
        assert!((spread(&test) - 0.035).abs() < 0.003);
        assert!((spread(&wtest) - 0.105).abs() < 0.008, "{}", spread(&wtest));
        // Every between-cluster point sits 10–40 % of the way to another centroid: farther
        // from its own class mean than any within-class point of the plain split.
        let between = SubspaceBlobsParams {
            test_between_fraction: 0.2,
            ..base.clone()
        };
        let (_, btest) = subspace_blobs(&between).unwrap();
        let far = (0..btest.len())
            .filter(|&i| (btest.features.row(i) - &means[btest.labels[i]]).norm() > 0.08)
            .count() as f64
            / btest.len() as f64;
        assert!(
            (far - 0.2).abs() < 0.06,
            "fraction far from its centroid {far}"
        );
        for bad in [0.0, f64::NAN, -1.0] {
            let p = SubspaceBlobsParams {
                test_spread_factor: bad,
                ..small()
            };
            assert!(matches!(
                subspace_blobs(&p),
                Err(DataError::InvalidParameter(_))
            ));
        }
        for bad in [-0.1, 1.5, f64::NAN] {
            let p = SubspaceBlobsParams {
                test_between_fraction: bad,
                ..small()
            };
            assert!(matches!(
                subspace_blobs(&p),
                Err(DataError::InvalidParameter(_))
            ));
        }
    }

    #[test]
    fn deterministic_balanced_and_weighted() {
        let p = small();
        assert_eq!(subspace_blobs(&p).unwrap(), subspace_blobs(&p).unwrap());
        let q = SubspaceBlobsParams { seed: 1, ..small() };
        assert_ne!(subspace_blobs(&p).unwrap().0, subspace_blobs(&q).unwrap().0);
        let weighted = SubspaceBlobsParams {
            class_weights: Some(vec![8.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
            ..small()
        };
        let (train, _) = subspace_blobs(&weighted).unwrap();
        let big = train.labels.iter().filter(|&&l| l == 0).count() as f64 / 2000.0;
        assert!((big - 8.0 / 17.0).abs() < 0.03, "class 0 share {big}");
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        let cases = [
            SubspaceBlobsParams {
                classes: 1,
                ..small()
            },
            SubspaceBlobsParams {
                intrinsic_dim: 17,
                ..small()
            },
            SubspaceBlobsParams {
                intrinsic_dim: 0,
                ..small()
            },
            SubspaceBlobsParams {
                spread: f64::NAN,
                ..small()
            },
            SubspaceBlobsParams {
                ambient_noise: -1.0,
                ..small()
            },
            SubspaceBlobsParams {
                n_train: 5,
                ..small()
            },
            SubspaceBlobsParams {
                n_test: 0,
                ..small()
            },
            SubspaceBlobsParams {
                class_weights: Some(vec![1.0; 3]),
                ..small()
            },
            SubspaceBlobsParams {
                class_weights: Some(vec![0.0; 10]),
                ..small()
            },
        ];
        for p in cases {
            assert!(
                matches!(subspace_blobs(&p), Err(DataError::InvalidParameter(_))),
                "{p:?}"
            );
        }
    }

    #[test]
    fn splits_round_trip_through_npy() {
        let (train, test) = subspace_blobs(&SubspaceBlobsParams {
            n_train: 50,
            n_test: 20,
            ..Default::default()
        })
        .unwrap();
        let dir = std::env::temp_dir().join(format!("basis-blobs-{}", std::process::id()));
        write_npy_splits(&dir, &train, &test).unwrap();
        let x = crate::npy::read_npy(dir.join("train_x.npy")).unwrap();
        assert_eq!(x, train.features);
        let y = crate::npy::read_npy(dir.join("test_y.npy")).unwrap();
        assert_eq!(y.len(), 20);
        assert!(y.iter().zip(&test.labels).all(|(a, &b)| *a == b as f64));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
