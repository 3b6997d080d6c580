//! SpectralNet's orthonormalisation layer: on a batch of outputs `Y` (m × K), `Y = QR`
//! (Householder QR) and the layer's weights are `√m R⁻¹`, so `Y·W = √m Q` has
//! `(1/m)(YW)ᵀ(YW) = I` on that batch. The weights are stored and reused at inference.
//!
//! The original code uses a Cholesky factorisation of `YᵀY`, which fails outright when the
//! outputs lose rank (KlugerLab/SpectralNet issues #3, #11, #16, #25). QR works on `Y`
//! itself (no squared condition number), and a rank loss is a typed error with the
//! numerical rank and condition, never a crash.

use crate::{MethodError, Result};
use nalgebra::DMatrix;

/// Relative size of R's smallest diagonal entry below which `Y` counts as rank deficient.
pub const DEFAULT_RCOND: f64 = 1e-10;

/// The stored orthonormalisation weights (K × K, upper triangular).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrthonormLayer {
    weights: DMatrix<f64>,
}

impl OrthonormLayer {
    /// Fits the layer on a batch of outputs `y` (m × K, m ≥ K). `rcond`: see [`DEFAULT_RCOND`].
    pub fn fit(y: &DMatrix<f64>, rcond: f64) -> Result<Self> {
        let (m, k) = y.shape();
        if k == 0 || m < k {
            return Err(MethodError::Shape(format!(
                "orthonormalisation needs at least as many rows as columns, got {m}×{k}"
            )));
        }
        if let Some(v) = y.iter().find(|v| !v.is_finite()) {
            return Err(MethodError::NonFinite(format!("output value {v}")));
        }
        let r = y.clone().qr().r();
        let diag: Vec<f64> = (0..k).map(|i| r[(i, i)].abs()).collect();
        let largest = diag.iter().copied().fold(0.0, f64::max);
        let smallest = diag.iter().copied().fold(f64::INFINITY, f64::min);
        let rank = diag.iter().filter(|&&d| d > rcond * largest).count();
        if largest == 0.0 || rank < k {
            return Err(MethodError::RankDeficient {
                what: "the batch outputs Y".into(),
                rank,
                needed: k,
                condition: if smallest > 0.0 {
                    largest / smallest
                } else {
                    f64::INFINITY
                },
            });
        }
        let r_inv = r
            .solve_upper_triangular(&DMatrix::identity(k, k))
            .ok_or_else(|| MethodError::RankDeficient {
                what: "R".into(),
                rank,
                needed: k,
                condition: largest / smallest,
            })?;
        Ok(Self {
            weights: r_inv * (m as f64).sqrt(),
        })
    }

    /// The weights `√m R⁻¹`.
    pub fn weights(&self) -> &DMatrix<f64> {
        &self.weights
    }

    /// Applies the layer: `y · W` (n × K).
    pub fn apply(&self, y: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        if y.ncols() != self.weights.nrows() {
            return Err(MethodError::Shape(format!(
                "layer expects {} columns, got {}",
                self.weights.nrows(),
                y.ncols()
            )));
        }
        Ok(y * &self.weights)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_orthonormal_on_the_batch() {
        let y = DMatrix::from_fn(50, 4, |i, j| ((i * (j + 2)) as f64 * 0.37).sin() + j as f64);
        let layer = OrthonormLayer::fit(&y, DEFAULT_RCOND).unwrap();
        let z = layer.apply(&y).unwrap();
        let gram = z.transpose() * &z / 50.0;
        assert!((gram - DMatrix::identity(4, 4)).norm() < 1e-10);
        // Stored for inference: another batch goes through the same weights.
        let other = DMatrix::from_fn(7, 4, |i, j| (i + j) as f64);
        assert_eq!(layer.apply(&other).unwrap(), other * layer.weights());
    }

    #[test]
    fn rank_loss_is_a_typed_error_not_a_crash() {
        // Third column = first + second: rank 2 of 3 (the Cholesky failure of the original code).
        let y = DMatrix::from_fn(30, 3, |i, j| match j {
            0 => (i as f64).sin(),
            1 => (i as f64 * 0.5).cos(),
            _ => (i as f64).sin() + (i as f64 * 0.5).cos(),
        });
        match OrthonormLayer::fit(&y, DEFAULT_RCOND) {
            Err(MethodError::RankDeficient {
                rank: 2, needed: 3, ..
            }) => {}
            other => panic!("expected a rank error, got {other:?}"),
        }
        assert!(matches!(
            OrthonormLayer::fit(&DMatrix::zeros(10, 2), DEFAULT_RCOND),
            Err(MethodError::RankDeficient { .. })
        ));
        assert!(matches!(
            OrthonormLayer::fit(&DMatrix::zeros(2, 3), DEFAULT_RCOND),
            Err(MethodError::Shape(_))
        ));
        let mut bad = DMatrix::from_element(5, 2, 1.0);
        bad[(1, 1)] = f64::NAN;
        assert!(matches!(
            OrthonormLayer::fit(&bad, DEFAULT_RCOND),
            Err(MethodError::NonFinite(_))
        ));
    }
}
