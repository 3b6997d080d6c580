//! Dense symmetric eigensolver (faer's `self_adjoint_eigen`) behind our own API.
//!
//! faer is used rather than nalgebra's `SymmetricEigen` because it is several
//! times faster on the batch sizes BASiS uses (see `docs/dependencies.md`).

use crate::error::{Result, SpectralError};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Which end of the spectrum to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Which {
    /// Smallest eigenvalues first (Laplacians).
    #[default]
    Smallest,
    /// Largest eigenvalues first (affinities, diffusion operators).
    Largest,
}

/// Eigenvalues (in the requested order) and the matching unit eigenvectors as columns.
#[derive(Debug, Clone, PartialEq)]
pub struct EigenPairs {
    /// Eigenvalues.
    pub values: DVector<f64>,
    /// `n × k` eigenvectors, one per column, orthonormal.
    pub vectors: DMatrix<f64>,
}

fn check_square_finite(a: &DMatrix<f64>) -> Result<()> {
    if a.nrows() != a.ncols() {
        return Err(SpectralError::NotSquare {
            rows: a.nrows(),
            cols: a.ncols(),
        });
    }
    for (col, c) in a.column_iter().enumerate() {
        if let Some(row) = c.iter().position(|v| !v.is_finite()) {
            return Err(SpectralError::NonFinite { row, col });
        }
    }
    Ok(())
}

/// `k` eigenpairs of the symmetric matrix `a` from one end of the spectrum.
///
/// A matrix whose entries differ from their transposes by more than `1e-10 · max |a_ij|` is
/// refused ([`SpectralError::InvalidParameter`]): its "eigenvectors" would be those of its
/// lower triangle, a silent wrong answer.
pub fn symmetric_eigen_dense(a: &DMatrix<f64>, k: usize, which: Which) -> Result<EigenPairs> {
    check_square_finite(a)?;
    let n = a.nrows();
    let tol = 1e-10 * a.amax();
    for j in 0..n {
        for i in j + 1..n {
            if (a[(i, j)] - a[(j, i)]).abs() > tol {
                return Err(SpectralError::InvalidParameter {
                    name: "a",
                    reason: format!(
                        "not symmetric: a[{i},{j}] = {} but a[{j},{i}] = {}",
                        a[(i, j)],
                        a[(j, i)]
                    ),
                });
            }
        }
    }
    if k == 0 {
        return Err(SpectralError::ZeroEigenvectors);
    }
    if k > n {
        return Err(SpectralError::TooManyEigenvectors { requested: k, n });
    }
    let fa = faer::Mat::<f64>::from_fn(n, n, |i, j| a[(i, j)]);
    let evd = fa
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| SpectralError::SolverFailed(format!("{e:?}")))?;
    let s = evd.S();
    let u = evd.U();
    // faer sorts eigenvalues in non-decreasing order.
    let pick = |t: usize| match which {
        Which::Smallest => t,
        Which::Largest => n - 1 - t,
    };
    let values = DVector::from_fn(k, |t, _| s[pick(t)]);
    let vectors = DMatrix::from_fn(n, k, |i, t| u[(i, pick(t))]);
    Ok(EigenPairs { values, vectors })
}

/// Flips each column so that its entry of largest magnitude is positive (first such entry on ties).
///
/// This is the crate's sign convention: it makes repeated runs give the same signs.
pub fn canonicalize_signs(v: &mut DMatrix<f64>) {
    for mut c in v.column_iter_mut() {
        let mut best = 0usize;
        let mut best_abs = -1.0;
        for (i, x) in c.iter().enumerate() {
            if x.abs() > best_abs + 1e-12 {
                best_abs = x.abs();
                best = i;
            }
        }
        if c[best] < 0.0 {
            c.neg_mut();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn path_laplacian(n: usize) -> DMatrix<f64> {
        DMatrix::from_fn(n, n, |i, j| {
            if i == j {
                if i == 0 || i == n - 1 { 1.0 } else { 2.0 }
            } else if i.abs_diff(j) == 1 {
                -1.0
            } else {
                0.0
            }
        })
    }

    #[test]
    fn path_graph_matches_the_closed_form() {
        // L of the path P_n: λ_j = 2 − 2 cos(πj/n), v_j(i) ∝ cos(πj(i + 1/2)/n).
        let n = 12;
        let e = symmetric_eigen_dense(&path_laplacian(n), 4, Which::Smallest).unwrap();
        for j in 0..4 {
            let lam = 2.0 - 2.0 * (PI * j as f64 / n as f64).cos();
            assert!((e.values[j] - lam).abs() < 1e-12, "λ_{j}");
            let mut v = DVector::from_fn(n, |i, _| {
                (PI * j as f64 * (i as f64 + 0.5) / n as f64).cos()
            });
            v /= v.norm();
            let overlap = v.dot(&e.vectors.column(j)).abs();
            assert!((overlap - 1.0).abs() < 1e-10, "v_{j}: |<v, u>| = {overlap}");
        }
    }

    #[test]
    fn largest_end_of_a_complete_graph_laplacian() {
        // L of K_n: eigenvalue 0 once and n with multiplicity n − 1.
        let n = 6;
        let l = DMatrix::from_fn(n, n, |i, j| if i == j { (n - 1) as f64 } else { -1.0 });
        let e = symmetric_eigen_dense(&l, 3, Which::Largest).unwrap();
        for t in 0..3 {
            assert!((e.values[t] - n as f64).abs() < 1e-12);
        }
        let s = symmetric_eigen_dense(&l, 1, Which::Smallest).unwrap();
        assert!(s.values[0].abs() < 1e-12);
        // Orthonormal columns.
        let g = e.vectors.transpose() * &e.vectors;
        assert!((g - DMatrix::identity(3, 3)).abs().max() < 1e-12);
    }

    #[test]
    fn sign_convention_is_deterministic() {
        let mut a = DMatrix::from_column_slice(3, 2, &[0.1, -0.9, 0.2, 0.5, 0.5, -0.1]);
        let mut b = -a.clone();
        canonicalize_signs(&mut a);
        canonicalize_signs(&mut b);
        assert_eq!(a, b);
        assert!(a[(1, 0)] > 0.0);
        assert!(a[(0, 1)] > 0.0);
    }

    #[test]
    fn bad_input_is_typed() {
        let l = path_laplacian(3);
        assert_eq!(
            symmetric_eigen_dense(&l, 4, Which::Smallest),
            Err(SpectralError::TooManyEigenvectors { requested: 4, n: 3 })
        );
        assert_eq!(
            symmetric_eigen_dense(&l, 0, Which::Smallest),
            Err(SpectralError::ZeroEigenvectors)
        );
        let mut bad = l.clone();
        bad[(1, 2)] = f64::INFINITY;
        assert!(matches!(
            symmetric_eigen_dense(&bad, 1, Which::Smallest),
            Err(SpectralError::NonFinite { .. })
        ));
        assert!(matches!(
            symmetric_eigen_dense(&DMatrix::zeros(2, 3), 1, Which::Smallest),
            Err(SpectralError::NotSquare { .. })
        ));
    }
}
