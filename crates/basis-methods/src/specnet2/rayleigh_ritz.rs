//! SpecNet2's post-processing (Eq. 10): given network outputs `Y` (n × K), find `O` (K × K)
//! and `Λ` with `YᵀWY O = YᵀDY O Λ`; then `Û = Y O` approximates the leading generalised
//! eigenvectors of the pencil `(W, D)`, i.e. the eigenvectors of `P = D⁻¹W` with the largest
//! eigenvalues (those of `L_N`'s smallest, mapped by `D^{-1/2}`).
//!
//! Solved by Cholesky of `B = YᵀDY = LLᵀ` and a symmetric eigen-decomposition of
//! `L⁻¹ A L⁻ᵀ`; `O = L⁻ᵀ V`, so `Oᵀ B O = I` (Û is D-orthonormal). The caller supplies `W Y`,
//! which lets `W` be dense or sparse.

use crate::{MethodError, Result};
use nalgebra::{DMatrix, DVector};

/// The result of the post-processing.
#[derive(Debug, Clone, PartialEq)]
pub struct RitzPairs {
    /// Ritz values (approximate eigenvalues of `P`), largest first.
    pub values: DVector<f64>,
    /// `O` (K × K).
    pub rotation: DMatrix<f64>,
    /// `Û = Y O` (n × K), D-orthonormal.
    pub vectors: DMatrix<f64>,
}

/// Solves `YᵀWY O = YᵀDY O Λ` from `y`, `wy = W·y` and the degrees `d` of `W`.
pub fn rayleigh_ritz(y: &DMatrix<f64>, wy: &DMatrix<f64>, d: &DVector<f64>) -> Result<RitzPairs> {
    let (n, k) = y.shape();
    if wy.shape() != (n, k) || d.len() != n || k == 0 {
        return Err(MethodError::Shape(format!(
            "Y is {n}×{k}, WY {}×{}, degrees {}",
            wy.nrows(),
            wy.ncols(),
            d.len()
        )));
    }
    if y.iter()
        .chain(wy.iter())
        .chain(d.iter())
        .any(|v| !v.is_finite())
    {
        return Err(MethodError::NonFinite("Y, WY or the degrees".into()));
    }
    let a = y.tr_mul(wy);
    let a = (&a + a.transpose()) * 0.5;
    let mut dy = y.clone();
    for (i, mut row) in dy.row_iter_mut().enumerate() {
        row *= d[i];
    }
    let b = y.tr_mul(&dy);
    let b = (&b + b.transpose()) * 0.5;
    let singular = |b: &DMatrix<f64>| {
        let s = b.singular_values();
        let (hi, lo) = (s.max(), s.min());
        MethodError::RankDeficient {
            what: "YᵀDY".into(),
            rank: s.iter().filter(|&&v| v > 1e-12 * hi).count(),
            needed: k,
            condition: if lo > 0.0 { hi / lo } else { f64::INFINITY },
        }
    };
    let chol = b.clone().cholesky().ok_or_else(|| singular(&b))?;
    let l = chol.l();
    let l_inv = l
        .solve_lower_triangular(&DMatrix::identity(k, k))
        .ok_or_else(|| singular(&b))?;
    let c = &l_inv * a * l_inv.transpose();
    let c = (&c + c.transpose()) * 0.5;
    let eig = c.try_symmetric_eigen(f64::EPSILON, 10_000).ok_or_else(|| {
        MethodError::InvalidConfig("the Rayleigh–Ritz eigenproblem did not converge".into())
    })?;
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
    let values = DVector::from_iterator(k, order.iter().map(|&i| eig.eigenvalues[i]));
    let v = eig.eigenvectors.select_columns(&order);
    let rotation = l_inv.transpose() * v;
    let vectors = y * &rotation;
    Ok(RitzPairs {
        values,
        rotation,
        vectors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small weighted graph: a ring of 12 nodes with uneven weights plus a few chords.
    fn graph() -> DMatrix<f64> {
        let n = 12;
        let mut w = DMatrix::zeros(n, n);
        for i in 0..n {
            let j = (i + 1) % n;
            let v = 1.0 + 0.3 * (i as f64).sin().abs();
            w[(i, j)] = v;
            w[(j, i)] = v;
        }
        for (i, j, v) in [(0, 5, 0.4), (3, 9, 0.7), (2, 7, 0.2)] {
            w[(i, j)] = v;
            w[(j, i)] = v;
        }
        w
    }

    #[test]
    fn recovers_the_exact_eigenvectors_when_y_spans_them() {
        let w = graph();
        let n = w.nrows();
        let d = DVector::from_iterator(n, w.row_iter().map(|r| r.sum()));
        // Exact generalised eigenvectors of (W, D): u = D^{-1/2} v with v eigenvectors of
        // D^{-1/2} W D^{-1/2}; the K = 3 largest.
        let s = DMatrix::from_fn(n, n, |i, j| w[(i, j)] / (d[i] * d[j]).sqrt());
        let e = s.symmetric_eigen();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| e.eigenvalues[j].total_cmp(&e.eigenvalues[i]));
        let k = 3;
        let u = DMatrix::from_fn(n, k, |i, j| e.eigenvectors[(i, order[j])] / d[i].sqrt());
        // Y spans them, mixed by an invertible matrix.
        let mix = DMatrix::from_row_slice(3, 3, &[2.0, 0.5, -1.0, 0.3, 1.0, 0.2, -0.4, 0.7, 1.5]);
        let y = &u * mix;
        let r = rayleigh_ritz(&y, &(&w * &y), &d).unwrap();
        for j in 0..k {
            assert!(
                (r.values[j] - e.eigenvalues[order[j]]).abs() < 1e-10,
                "{}",
                r.values
            );
            // Same vector up to sign (both D-normalised).
            let dot: f64 = (0..n).map(|i| r.vectors[(i, j)] * u[(i, j)] * d[i]).sum();
            assert!((dot.abs() - 1.0).abs() < 1e-9, "column {j}: {dot}");
        }
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let w = graph();
        let n = w.nrows();
        let d = DVector::from_iterator(n, w.row_iter().map(|r| r.sum()));
        let rank_one = DMatrix::from_fn(n, 2, |i, _| i as f64);
        assert!(matches!(
            rayleigh_ritz(&rank_one, &(&w * &rank_one), &d),
            Err(MethodError::RankDeficient { .. })
        ));
        let y = DMatrix::from_fn(n, 2, |i, j| (i * (j + 1)) as f64);
        assert!(matches!(
            rayleigh_ritz(&y, &DMatrix::zeros(3, 2), &d),
            Err(MethodError::Shape(_))
        ));
        let mut bad = y.clone();
        bad[(0, 0)] = f64::NAN;
        assert!(matches!(
            rayleigh_ritz(&bad, &(&w * &y), &d),
            Err(MethodError::NonFinite(_))
        ));
    }
}
