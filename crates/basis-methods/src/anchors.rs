//! Anchor selection for BASiS: the fixed points of every batch (Algorithm 1, line 1).
//!
//! - [`AnchorStrategy::PerClass`]: `per_class` training points of every class (the paper's
//!   setting; needs labels);
//! - [`AnchorStrategy::Uniform`]: points drawn uniformly without replacement (no labels);
//! - [`AnchorStrategy::KMeansPlusPlus`]: k-means++ seeding on the features (Arthur &
//!   Vassilvitskii 2007; no labels): the first point uniformly, each next one with probability
//!   proportional to its squared distance to the nearest one chosen, so the anchors spread over
//!   the data's clusters the way per-class anchors do.
//!
//! Each strategy draws from a generator of its own, seeded from the run's seed, so the anchors
//! do not depend on the network's or the batches' draws.

use crate::{MethodError, Result};
use basis_data::sampling::{sample_anchors_per_class, sample_anchors_uniform};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How BASiS picks its anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnchorStrategy {
    /// `per_class` points of every class (the paper's setting; needs labels).
    #[default]
    PerClass,
    /// `count` points uniformly at random (no labels).
    Uniform,
    /// `count` points by k-means++ seeding on the features (no labels).
    KMeansPlusPlus,
}

impl AnchorStrategy {
    /// Whether the strategy reads labels.
    pub fn needs_labels(self) -> bool {
        self == AnchorStrategy::PerClass
    }

    /// The name used on the command line (`per-class`, `uniform`, `k-means-plus-plus`).
    pub fn name(self) -> &'static str {
        match self {
            AnchorStrategy::PerClass => "per-class",
            AnchorStrategy::Uniform => "uniform",
            AnchorStrategy::KMeansPlusPlus => "k-means-plus-plus",
        }
    }
}

/// The anchors of the run with `seed`. `per_class` anchors of every class for
/// [`AnchorStrategy::PerClass`]; for the label-free strategies `count` anchors in all.
pub fn select_anchors(
    strategy: AnchorStrategy,
    features: &DMatrix<f64>,
    labels: Option<&[usize]>,
    per_class: usize,
    count: usize,
    seed: u64,
) -> Result<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xA5A5_A5A5);
    let n = features.nrows();
    match strategy {
        AnchorStrategy::PerClass => {
            let labels = labels.ok_or_else(|| {
                MethodError::InvalidConfig(
                    "per-class anchors need labels; use uniform or k-means++ anchors for unlabelled data"
                        .into(),
                )
            })?;
            if labels.len() != n {
                return Err(MethodError::Shape(format!(
                    "{} labels for {n} points",
                    labels.len()
                )));
            }
            Ok(sample_anchors_per_class(labels, per_class, &mut rng)?)
        }
        AnchorStrategy::Uniform | AnchorStrategy::KMeansPlusPlus => {
            if count == 0 || count > n {
                return Err(MethodError::InvalidConfig(format!(
                    "cannot draw {count} anchors from {n} points"
                )));
            }
            if features.iter().any(|v| !v.is_finite()) {
                return Err(MethodError::NonFinite(
                    "features for anchor selection".into(),
                ));
            }
            if strategy == AnchorStrategy::Uniform {
                Ok(sample_anchors_uniform(n, count, &mut rng)?)
            } else {
                kmeans_plus_plus(features, count, &mut rng)
            }
        }
    }
}

/// k-means++ seeding: `count` distinct rows of `x`.
fn kmeans_plus_plus(x: &DMatrix<f64>, count: usize, rng: &mut ChaCha8Rng) -> Result<Vec<usize>> {
    let n = x.nrows();
    let dist2 = |i: usize, j: usize| -> f64 {
        x.row(i)
            .iter()
            .zip(x.row(j).iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum()
    };
    let mut chosen = Vec::with_capacity(count);
    let mut taken = vec![false; n];
    let first = rng.random_range(0..n);
    chosen.push(first);
    taken[first] = true;
    let mut nearest: Vec<f64> = (0..n).map(|i| dist2(i, first)).collect();
    while chosen.len() < count {
        let total: f64 = (0..n).filter(|&i| !taken[i]).map(|i| nearest[i]).sum();
        let next = if total > 0.0 && total.is_finite() {
            let mut u = rng.random::<f64>() * total;
            let mut pick = None;
            for i in (0..n).filter(|&i| !taken[i]) {
                u -= nearest[i];
                if u <= 0.0 {
                    pick = Some(i);
                    break;
                }
            }
            // Rounding can leave u just above 0: take the last candidate with weight.
            pick.or_else(|| (0..n).rev().find(|&i| !taken[i] && nearest[i] > 0.0))
        } else {
            None
        };
        // Every remaining point duplicates a chosen one: fall back to a uniform draw.
        let next = match next {
            Some(i) => i,
            None => {
                let free: Vec<usize> = (0..n).filter(|&i| !taken[i]).collect();
                free[rng.random_range(0..free.len())]
            }
        };
        taken[next] = true;
        chosen.push(next);
        for (i, d) in nearest.iter_mut().enumerate() {
            *d = d.min(dist2(i, next));
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four tight groups of 25 points far apart.
    fn groups() -> (DMatrix<f64>, Vec<usize>) {
        let centres = [(0.0, 0.0), (100.0, 0.0), (0.0, 100.0), (100.0, 100.0)];
        let x = DMatrix::from_fn(100, 2, |i, j| {
            let c = centres[i / 25];
            let jitter = ((i * 7 + j * 3) % 11) as f64 * 0.01;
            if j == 0 { c.0 + jitter } else { c.1 + jitter }
        });
        let labels = (0..100).map(|i| i / 25).collect();
        (x, labels)
    }

    #[test]
    fn k_means_plus_plus_covers_every_well_separated_group() {
        let (x, labels) = groups();
        for seed in 0..20 {
            let a = select_anchors(AnchorStrategy::KMeansPlusPlus, &x, None, 0, 4, seed).unwrap();
            let mut seen: Vec<usize> = a.iter().map(|&i| labels[i]).collect();
            seen.sort();
            assert_eq!(seen, vec![0, 1, 2, 3], "seed {seed}: {a:?}");
        }
    }

    #[test]
    fn label_free_anchors_are_distinct_seeded_and_in_range() {
        let (x, _) = groups();
        for s in [AnchorStrategy::Uniform, AnchorStrategy::KMeansPlusPlus] {
            let a = select_anchors(s, &x, None, 0, 40, 3).unwrap();
            let mut d = a.clone();
            d.sort();
            d.dedup();
            assert_eq!(d.len(), 40);
            assert!(a.iter().all(|&i| i < 100));
            assert_eq!(a, select_anchors(s, &x, None, 0, 40, 3).unwrap());
            assert_ne!(a, select_anchors(s, &x, None, 0, 40, 4).unwrap());
        }
        // All points identical: k-means++ still returns distinct rows.
        let same = DMatrix::from_element(10, 2, 1.0);
        let a = select_anchors(AnchorStrategy::KMeansPlusPlus, &same, None, 0, 10, 0).unwrap();
        let mut d = a.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 10);
    }

    #[test]
    fn per_class_anchors_match_the_data_crates_sampler() {
        let (x, labels) = groups();
        let a = select_anchors(AnchorStrategy::PerClass, &x, Some(&labels), 3, 0, 9).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(9 ^ 0xA5A5_A5A5);
        assert_eq!(a, sample_anchors_per_class(&labels, 3, &mut rng).unwrap());
    }

    #[test]
    fn bad_requests_are_typed_errors() {
        let (x, labels) = groups();
        let cases = [
            select_anchors(AnchorStrategy::PerClass, &x, None, 3, 0, 0),
            select_anchors(AnchorStrategy::PerClass, &x, Some(&labels[..10]), 3, 0, 0),
            select_anchors(AnchorStrategy::Uniform, &x, None, 0, 0, 0),
            select_anchors(AnchorStrategy::Uniform, &x, None, 0, 101, 0),
        ];
        for (i, c) in cases.into_iter().enumerate() {
            assert!(c.is_err(), "case {i}");
        }
        let mut bad = x.clone();
        bad[(5, 1)] = f64::NAN;
        assert!(matches!(
            select_anchors(AnchorStrategy::KMeansPlusPlus, &bad, None, 0, 4, 0),
            Err(MethodError::NonFinite(_))
        ));
    }
}
