//! Diffusion maps (BASiS Eq. 5–6; Coifman & Lafon 2006).
//!
//! The random-walk matrix is not symmetric, so its eigenvectors come from its
//! symmetric conjugate `S = D^{-1/2} W D^{-1/2}` (`= I − L_N`), which has the
//! same eigenvalues `γ`: if `S u = γ u` then
//!
//! - `D^{-1} W ψ = γ ψ` with `ψ = D^{-1/2} u` (right eigenvectors of the
//!   row-stochastic matrix, Coifman–Lafon; [`RandomWalkSide::Row`]);
//! - `W D^{-1} φ = γ φ` with `φ = D^{1/2} u` (right eigenvectors of the
//!   column-stochastic `P` the paper writes in Eq. 5; [`RandomWalkSide::Column`]).
//!
//! With `π = d / Σd`, the vectors are normalised so that `Σ_i π_i ψ(i)² = 1`
//! (then `ψ_0 = 1`) and `Σ_i φ(i)² / π_i = 1` (then `φ_0 = π`): `ψ = u / √π`,
//! `φ = u √π`. The trivial pair `γ_0 = 1` is skipped and coordinate `j` of
//! point `i` is `γ_j^t Φ_j(i)` (Eq. 6), with `Φ_j` signed by
//! [`canonicalize_signs`] before scaling. The kernel can first be
//! α-normalised, `W ← D^{-α} W D^{-α}` (α = 1: Laplace–Beltrami, α = 0: the
//! plain graph of Eq. 5).

use crate::dense::{Which, canonicalize_signs, symmetric_eigen_dense};
use crate::embedding::{SolveStats, SolverParams};
use crate::error::{Result, SpectralError};
use crate::lanczos::{LanczosProgress, LanczosWorkspace, lanczos_with};
use crate::operator::{CsrOperator, ValuePrecision};
use basis_graph::{
    GraphError, RandomWalkSide, alpha_normalized_kernel, alpha_normalized_kernel_csr,
    components_csr, degrees, degrees_csr,
};
use nalgebra::{DMatrix, DVector};
use nalgebra_sparse::CsrMatrix;
use serde::{Deserialize, Serialize};

/// Parameters of a diffusion map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DiffusionParams {
    /// Number of non-trivial coordinates K.
    pub k: usize,
    /// Diffusion time `t ≥ 0`. A non-integer `t` needs non-negative eigenvalues.
    pub t: f64,
    /// Kernel normalisation exponent α ∈ [0, 1].
    pub alpha: f64,
    /// Whose eigenvectors: `D^{-1}W` (Coifman–Lafon, default) or the paper's `W D^{-1}`.
    pub side: RandomWalkSide,
    /// The eigensolver.
    #[serde(default)]
    pub solver: SolverParams,
}

impl Default for DiffusionParams {
    fn default() -> Self {
        Self {
            k: 2,
            t: 1.0,
            alpha: 0.0,
            side: RandomWalkSide::Row,
            solver: SolverParams::default(),
        }
    }
}

impl DiffusionParams {
    /// Validates against a graph with `n` nodes.
    pub fn check(&self, n: usize) -> Result<()> {
        if self.k == 0 {
            return Err(SpectralError::ZeroEigenvectors);
        }
        if self.k + 1 > n {
            return Err(SpectralError::TooManyEigenvectors {
                requested: self.k + 1,
                n,
            });
        }
        if !(self.t.is_finite() && self.t >= 0.0) {
            return Err(SpectralError::InvalidParameter {
                name: "t",
                reason: format!("diffusion time {} is not a finite number ≥ 0", self.t),
            });
        }
        basis_graph::sparse::check_alpha(self.alpha)?;
        self.solver.lanczos(self.k, Which::Largest).check(n, 1)
    }
}

/// A diffusion map: coordinates `γ_j^t Φ_j(i)` and the eigenvalues `γ_j`.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffusionMap {
    /// `γ_1 ≥ … ≥ γ_K` (the trivial `γ_0 = 1` excluded).
    pub eigenvalues: DVector<f64>,
    /// `n × K`: row `i` is φ_i of Eq. 6.
    pub coords: DMatrix<f64>,
    /// The eigenvectors `Φ_j` before scaling by `γ_j^t`.
    pub vectors: DMatrix<f64>,
    /// `‖S u − γ u‖` of the symmetric problem, per pair.
    pub residuals: DVector<f64>,
    /// Solver statistics.
    pub stats: SolveStats,
}

fn scale_power(gamma: f64, t: f64) -> Result<f64> {
    if gamma >= 0.0 {
        Ok(gamma.powf(t))
    } else if t.fract() == 0.0 {
        Ok(gamma.powi(t as i32))
    } else {
        Err(SpectralError::InvalidParameter {
            name: "t",
            reason: format!("non-integer diffusion time {t} with a negative eigenvalue {gamma}"),
        })
    }
}

/// Turns eigenpairs `(γ, u)` of `S` into the map.
fn assemble(
    d: &DVector<f64>,
    gamma: DVector<f64>,
    u: DMatrix<f64>,
    residuals: DVector<f64>,
    params: &DiffusionParams,
    stats: SolveStats,
) -> Result<DiffusionMap> {
    let vol: f64 = d.sum();
    // √d_i / √vol rather than √(d_i / vol): the quotient of a subnormal degree and a volume
    // of 1e150 underflows to 0 and would divide by it.
    let sqrt_vol = vol.sqrt();
    let sqrt_pi = d.map(|v| v.sqrt() / sqrt_vol);
    let mut vectors = u;
    for mut c in vectors.column_iter_mut() {
        for (x, s) in c.iter_mut().zip(sqrt_pi.iter()) {
            *x = match params.side {
                RandomWalkSide::Row => *x / s,
                RandomWalkSide::Column => *x * s,
            };
        }
    }
    canonicalize_signs(&mut vectors);
    let mut coords = vectors.clone();
    for (j, mut c) in coords.column_iter_mut().enumerate() {
        c *= scale_power(gamma[j], params.t)?;
    }
    Ok(DiffusionMap {
        eigenvalues: gamma,
        coords,
        vectors,
        residuals,
        stats,
    })
}

/// The diffusion map of a dense affinity `W` (square, finite, non-negative,
/// symmetric, no isolated node), by the dense solver. On a disconnected graph
/// `γ = 1` repeats and its extra copies (component indicators) come first.
pub fn diffusion_map(w: &DMatrix<f64>, params: &DiffusionParams) -> Result<DiffusionMap> {
    let n = w.nrows();
    params.check(n)?;
    let k = alpha_normalized_kernel(w, params.alpha)?;
    let d = degrees(&k);
    if let Some(node) = d.iter().position(|&v| v <= 0.0) {
        return Err(GraphError::IsolatedNode { node }.into());
    }
    let s = d.map(|v| 1.0 / v.sqrt());
    let sym = DMatrix::from_fn(n, n, |i, j| k[(i, j)] * s[i] * s[j]);
    // The trivial vector is √d / ‖√d‖ with γ = 1; project it out for a
    // well-defined result on disconnected graphs (where γ = 1 repeats).
    let t = d.map(f64::sqrt).normalize();
    let proj = DMatrix::<f64>::identity(n, n) - &t * t.transpose();
    let deflated = &proj * &sym * &proj - &t * t.transpose() * 2.0;
    let e = symmetric_eigen_dense(&deflated, params.k, Which::Largest)?;
    let residuals = DVector::from_fn(params.k, |c, _| {
        let v = e.vectors.column(c);
        (&sym * v - v * e.values[c]).norm()
    });
    assemble(
        &d,
        e.values,
        e.vectors,
        residuals,
        params,
        SolveStats::default(),
    )
}

/// The diffusion map of a sparse affinity (a whole dataset graph), by
/// Lanczos on `S` with the trivial vector deflated. A disconnected graph is
/// [`GraphError::Disconnected`] (γ = 1 repeats; see [`mod@crate::lanczos`]).
pub fn diffusion_map_csr(
    w: &CsrMatrix<f64>,
    params: &DiffusionParams,
    progress: &mut dyn FnMut(&LanczosProgress),
) -> Result<DiffusionMap> {
    basis_graph::sparse::check_affinity_csr(w)?;
    let n = w.nrows();
    params.check(n)?;
    components_csr(w).ensure_connected()?;
    let k = alpha_normalized_kernel_csr(w, params.alpha)?;
    let d = degrees_csr(&k);
    if let Some(node) = d.iter().position(|&v| v <= 0.0) {
        return Err(GraphError::IsolatedNode { node }.into());
    }
    let s = d.map(|v| 1.0 / v.sqrt());
    let op = CsrOperator::from_csr_map(
        &k,
        params.solver.threads,
        |i, j, v| v * s[i] * s[j],
        |i, own| own * s[i] * s[i],
    )?;
    let z = DMatrix::from_column_slice(n, 1, d.map(f64::sqrt).normalize().as_slice());
    let e = lanczos_with(
        &mut LanczosWorkspace::default(),
        &op,
        &params.solver.lanczos(params.k, Which::Largest),
        Some(&z),
        progress,
    )?;
    let stats = SolveStats {
        restarts: e.restarts,
        matvecs: e.matvecs,
        values: ValuePrecision::F64,
    };
    assemble(&d, e.values, e.vectors, e.residuals, params, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding::EigenMethod;
    use nalgebra_sparse::CooMatrix;

    /// Triangle with w01 = w02 = 1, w12 = 2 (worked out in the test below).
    fn triangle() -> DMatrix<f64> {
        DMatrix::from_row_slice(3, 3, &[0., 1., 1., 1., 0., 2., 1., 2., 0.])
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // entries of several vectors by one index
    fn triangle_diffusion_map_by_hand() {
        // D = diag(2, 3, 3), P = D⁻¹W. trace P = 0 and det P = det W / det D = 4/18,
        // so the non-trivial eigenvalues solve γ² + γ + 2/9 = 0: γ = −1/3, −2/3.
        // For γ = −1/3, (W − γD)ψ = 0 gives ψ ∝ (−3, 1, 1). With π = (2, 3, 3)/8,
        // Σ π ψ² = 3, so ψ = (−3, 1, 1)/√3, signed to (√3, −1/√3, −1/√3).
        let p = DiffusionParams {
            k: 1,
            t: 1.0,
            ..Default::default()
        };
        let m = diffusion_map(&triangle(), &p).unwrap();
        assert!((m.eigenvalues[0] + 1.0 / 3.0).abs() < 1e-12);
        let r3 = 3f64.sqrt();
        let psi = [r3, -1.0 / r3, -1.0 / r3];
        for i in 0..3 {
            assert!((m.vectors[(i, 0)] - psi[i]).abs() < 1e-12);
            assert!((m.coords[(i, 0)] + psi[i] / 3.0).abs() < 1e-12);
        }
        // t = 2: γ² = 1/9.
        let m2 = diffusion_map(&triangle(), &DiffusionParams { t: 2.0, ..p }).unwrap();
        for i in 0..3 {
            assert!((m2.coords[(i, 0)] - psi[i] / 9.0).abs() < 1e-12);
        }
        // The paper's side: φ = ψ π, normalised so that Σ φ²/π = 1: φ ∝ (−3·2, 3, 3)/8.
        let mc = diffusion_map(
            &triangle(),
            &DiffusionParams {
                side: RandomWalkSide::Column,
                ..p
            },
        )
        .unwrap();
        let pi = [0.25, 0.375, 0.375];
        let phi: Vec<f64> = (0..3).map(|i| psi[i] * pi[i]).collect();
        let norm: f64 = (0..3).map(|i| phi[i] * phi[i] / pi[i]).sum::<f64>().sqrt();
        for i in 0..3 {
            assert!((mc.vectors[(i, 0)].abs() - (phi[i] / norm).abs()).abs() < 1e-12);
        }
        // A non-integer t with a negative eigenvalue is refused.
        assert!(matches!(
            diffusion_map(&triangle(), &DiffusionParams { t: 0.5, ..p }),
            Err(SpectralError::InvalidParameter { name: "t", .. })
        ));
    }

    #[test]
    fn right_eigenvectors_of_the_random_walk() {
        // A ring with chords and uneven weights (no repeated eigenvalues): check
        // D⁻¹W ψ = γ ψ and W D⁻¹ φ = γ φ directly, dense and sparse.
        let n = 60;
        let w = DMatrix::from_fn(n, n, |i, j| {
            let d = i.abs_diff(j).min(n - i.abs_diff(j));
            let uneven = 1.0 + 0.5 * ((i + j) as f64 * 0.7).sin();
            uneven
                * match d {
                    1 => 1.0,
                    2 => 0.5,
                    7 => 0.2,
                    _ => 0.0,
                }
        });
        let csr = CsrMatrix::from(&CooMatrix::from(&w));
        for side in [RandomWalkSide::Row, RandomWalkSide::Column] {
            let p = DiffusionParams {
                k: 3,
                t: 2.0,
                side,
                solver: SolverParams {
                    tol: 1e-12,
                    method: EigenMethod::Lanczos,
                    ..Default::default()
                },
                ..Default::default()
            };
            let rw = basis_graph::random_walk(&w, side).unwrap();
            let dense = diffusion_map(&w, &p).unwrap();
            let sparse = diffusion_map_csr(&csr, &p, &mut |_| {}).unwrap();
            for m in [&dense, &sparse] {
                for j in 0..3 {
                    let v = m.vectors.column(j);
                    let err = (&rw * v - v * m.eigenvalues[j]).norm();
                    assert!(err < 1e-9, "{side:?} pair {j}: {err}");
                }
                assert!(m.residuals.max() < 1e-9);
            }
            assert!((&dense.eigenvalues - &sparse.eigenvalues).abs().max() < 1e-10);
        }
    }

    #[test]
    fn bad_input_is_typed() {
        let p = DiffusionParams::default();
        assert!(matches!(
            diffusion_map(&triangle(), &DiffusionParams { k: 3, ..p }),
            Err(SpectralError::TooManyEigenvectors { .. })
        ));
        assert!(matches!(
            diffusion_map(&triangle(), &DiffusionParams { alpha: 2.0, ..p }),
            Err(SpectralError::Graph(_))
        ));
        assert!(matches!(
            diffusion_map(&triangle(), &DiffusionParams { t: f64::NAN, ..p }),
            Err(SpectralError::InvalidParameter { name: "t", .. })
        ));
        let mut iso = triangle().insert_row(3, 0.0).insert_column(3, 0.0);
        iso[(0, 0)] = 0.0;
        assert!(matches!(
            diffusion_map(&iso, &DiffusionParams { k: 1, ..p }),
            Err(SpectralError::Graph(GraphError::IsolatedNode { node: 3 }))
        ));
    }
}
