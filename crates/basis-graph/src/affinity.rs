//! Gaussian affinities on a kNN graph (BASiS Eq. 1), dense, for batches.

use crate::error::{GraphError, Result};
use crate::knn::KnnGraph;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// How the Gaussian scale is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Scale {
    /// A fixed global σ: `W_ij = exp(−d²/(2σ²))` (Eq. 1).
    Fixed(f64),
    /// Global σ = median over points of the distance to their k-th (last) neighbour.
    MedianKth,
    /// Self-tuning local scales (Zelnik-Manor & Perona): σ_i = distance from i to its
    /// `j`-th neighbour (1-based), `W_ij = exp(−d²/(σ_i σ_j))`.
    Local(usize),
}

/// How the directed kNN relation is made symmetric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Symmetrize {
    /// Keep an edge when either endpoint lists the other: `max(W, Wᵀ)`.
    #[default]
    Max,
    /// `(W + Wᵀ)/2`.
    Mean,
    /// Keep an edge only when both endpoints list each other: `min(W, Wᵀ)`.
    Mutual,
}

/// Parameters of the Gaussian kNN affinity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AffinityParams {
    /// Gaussian scale rule.
    pub scale: Scale,
    /// Symmetrisation rule.
    pub symmetrize: Symmetrize,
}

impl Default for AffinityParams {
    fn default() -> Self {
        Self {
            scale: Scale::MedianKth,
            symmetrize: Symmetrize::Max,
        }
    }
}

impl AffinityParams {
    /// Validates the parameters against a kNN graph with `k` neighbours.
    pub fn check(&self, k: usize) -> Result<()> {
        match self.scale {
            Scale::Fixed(s) if !(s.is_finite() && s > 0.0) => Err(GraphError::ZeroScale(format!(
                "fixed σ must be finite and > 0, got {s}"
            ))),
            Scale::Local(0) => Err(GraphError::InvalidParameter(
                "local scale neighbour j = 0: the self-tuning scale needs j >= 1".into(),
            )),
            Scale::Local(j) if j > k => Err(GraphError::InvalidParameter(format!(
                "the self-tuning Gaussian scale uses each point's distance to its {j}th neighbour, \
                 but the graph has only k = {k} neighbours per point: use k >= {j} neighbours \
                 or a local scale j <= {k}"
            ))),
            _ => Ok(()),
        }
    }
}

/// Per-point scales σ_i (all equal for global rules).
///
/// Duplicate points can make a local σ_i zero; such points take the smallest
/// positive σ of the graph instead. When every σ is zero the scale is undefined
/// and [`GraphError::ZeroScale`] is returned.
pub fn gaussian_scales(knn: &KnnGraph, scale: Scale) -> Result<Vec<f64>> {
    knn.check()?;
    let n = knn.n;
    match scale {
        Scale::Fixed(s) => {
            if !(s.is_finite() && s > 0.0) {
                return Err(GraphError::ZeroScale(format!("fixed σ = {s}")));
            }
            Ok(vec![s; n])
        }
        Scale::MedianKth => {
            let mut kth: Vec<f64> = (0..n)
                .map(|i| knn.neighbor_distances(i)[knn.k - 1])
                .collect();
            let mid = n / 2;
            kth.select_nth_unstable_by(mid, f64::total_cmp);
            let s = kth[mid];
            if s <= 0.0 {
                return Err(GraphError::ZeroScale(
                    "median k-th neighbour distance is 0: more than half the points have k \
                     duplicates, or the data differ by less than about 1e-154, where squared \
                     distances underflow to 0 in f64 (rescale the features)"
                        .into(),
                ));
            }
            Ok(vec![s; n])
        }
        Scale::Local(j) => {
            if j == 0 || j > knn.k {
                return Err(GraphError::InvalidParameter(format!(
                    "local scale j = {j} not in 1..={}",
                    knn.k
                )));
            }
            let mut s: Vec<f64> = (0..n).map(|i| knn.neighbor_distances(i)[j - 1]).collect();
            let floor = s
                .iter()
                .copied()
                .filter(|&v| v > 0.0)
                .fold(f64::INFINITY, f64::min);
            if !floor.is_finite() {
                return Err(GraphError::ZeroScale(
                    "every local scale is 0: the points coincide, or differ by less than about \
                     1e-154, where squared distances underflow to 0 in f64 (rescale the features)"
                        .into(),
                ));
            }
            for v in &mut s {
                if *v <= 0.0 {
                    *v = floor;
                }
            }
            Ok(s)
        }
    }
}

/// Dense symmetric Gaussian affinity of a kNN graph, zero diagonal (no
/// self-loops): the dense copy of [`crate::sparse::knn_affinity`].
pub fn gaussian_affinity_dense(knn: &KnnGraph, params: &AffinityParams) -> Result<DMatrix<f64>> {
    Ok(crate::sparse::csr_to_dense(&crate::sparse::knn_affinity(
        knn, params,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knn::{KnnParams, knn_exact};

    #[test]
    fn hand_computed_weights_on_a_line() {
        let x = DMatrix::from_column_slice(3, 1, &[0.0, 1.0, 3.0]);
        let g = knn_exact(
            &x,
            &KnnParams {
                k: 1,
                ..Default::default()
            },
        )
        .unwrap();
        // Neighbours: 0→1 (1), 1→0 (1), 2→1 (2). Max symmetrisation keeps 0–1 and 1–2.
        let w = gaussian_affinity_dense(
            &g,
            &AffinityParams {
                scale: Scale::Fixed(1.0),
                symmetrize: Symmetrize::Max,
            },
        )
        .unwrap();
        assert!((w[(0, 1)] - (-0.5f64).exp()).abs() < 1e-15);
        assert!((w[(1, 2)] - (-2.0f64).exp()).abs() < 1e-15);
        assert_eq!(w[(0, 2)], 0.0);
        assert_eq!(w, w.transpose());
        // Mutual keeps only 0–1.
        let m = gaussian_affinity_dense(
            &g,
            &AffinityParams {
                scale: Scale::Fixed(1.0),
                symmetrize: Symmetrize::Mutual,
            },
        )
        .unwrap();
        assert_eq!(m[(1, 2)], 0.0);
        // Mean halves the one-sided edge.
        let a = gaussian_affinity_dense(
            &g,
            &AffinityParams {
                scale: Scale::Fixed(1.0),
                symmetrize: Symmetrize::Mean,
            },
        )
        .unwrap();
        assert!((a[(1, 2)] - 0.5 * (-2.0f64).exp()).abs() < 1e-15);
    }

    #[test]
    fn self_tuning_and_duplicates() {
        let x = DMatrix::from_column_slice(4, 1, &[0.0, 0.0, 1.0, 3.0]);
        let g = knn_exact(
            &x,
            &KnnParams {
                k: 2,
                ..Default::default()
            },
        )
        .unwrap();
        let s = gaussian_scales(&g, Scale::Local(1)).unwrap();
        // Points 0 and 1 are duplicates: their σ falls back to the smallest positive σ (=1, point 2's).
        assert_eq!(s, vec![1.0, 1.0, 1.0, 2.0]);
        let w = gaussian_affinity_dense(
            &g,
            &AffinityParams {
                scale: Scale::Local(1),
                symmetrize: Symmetrize::Max,
            },
        )
        .unwrap();
        assert_eq!(w[(0, 1)], 1.0);
        assert!((w[(2, 3)] - (-4.0f64 / 2.0).exp()).abs() < 1e-15);
        assert!(w.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn zero_scales_are_typed_errors() {
        let x = DMatrix::from_column_slice(4, 1, &[2.0, 2.0, 2.0, 2.0]);
        let g = knn_exact(
            &x,
            &KnnParams {
                k: 2,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(matches!(
            gaussian_scales(&g, Scale::MedianKth),
            Err(GraphError::ZeroScale(_))
        ));
        assert!(matches!(
            gaussian_scales(&g, Scale::Local(1)),
            Err(GraphError::ZeroScale(_))
        ));
        assert!(matches!(
            gaussian_scales(&g, Scale::Fixed(0.0)),
            Err(GraphError::ZeroScale(_))
        ));
        assert!(gaussian_scales(&g, Scale::Local(3)).is_err());
    }
}
