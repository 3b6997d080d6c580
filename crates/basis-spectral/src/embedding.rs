//! Laplacian eigenmaps of a batch graph (BASiS Eq. 3).

use crate::dense::{EigenPairs, Which, canonicalize_signs, symmetric_eigen_dense};
use crate::error::{Result, SpectralError};
use basis_graph::{BatchGraph, BatchGraphParams, batch_graph, trivial_eigenvector};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Parameters of a Laplacian eigenmap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingParams {
    /// Embedding dimension K (after a trivial vector is dropped).
    pub k: usize,
    /// Remove the trivial eigenvector (constant for `L`, `D^{1/2}1` for `L_N`).
    ///
    /// The BASiS toys drop it; the official MNIST setting keeps it (K = number of classes).
    pub drop_trivial: bool,
}

impl Default for EmbeddingParams {
    fn default() -> Self {
        Self {
            k: 2,
            drop_trivial: true,
        }
    }
}

impl EmbeddingParams {
    /// Validates against a graph with `n` nodes.
    pub fn check(&self, n: usize) -> Result<()> {
        if self.k == 0 {
            return Err(SpectralError::ZeroEigenvectors);
        }
        let requested = self.k + usize::from(self.drop_trivial);
        if requested > n {
            return Err(SpectralError::TooManyEigenvectors { requested, n });
        }
        Ok(())
    }
}

/// An embedding: `n × K` coordinates (row `i` is φ_i of Eq. 3) and the eigenvalues.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectralEmbedding {
    /// Eigenvalues of the returned vectors, non-decreasing.
    pub values: DVector<f64>,
    /// `n × K` orthonormal coordinates.
    pub coords: DMatrix<f64>,
}

/// The K leading (smallest-eigenvalue) eigenvectors of the graph's Laplacian.
///
/// With `drop_trivial`, the K+1 smallest eigenvectors are computed, the known
/// trivial vector is projected out, and a Rayleigh–Ritz step on the remaining
/// K-dimensional space restores eigen-order. For a connected graph this equals
/// dropping the first eigenvector; it stays well-defined when the smallest
/// eigenvalues are nearly degenerate (weakly connected clusters), where
/// "drop the first column" would depend on the solver's arbitrary rotation.
/// Signs follow [`canonicalize_signs`].
pub fn laplacian_eigenmap(
    graph: &BatchGraph,
    params: &EmbeddingParams,
) -> Result<SpectralEmbedding> {
    let n = graph.laplacian.nrows();
    params.check(n)?;
    let l = &graph.laplacian;
    if !params.drop_trivial {
        let EigenPairs {
            values,
            mut vectors,
        } = symmetric_eigen_dense(l, params.k, Which::Smallest)?;
        canonicalize_signs(&mut vectors);
        return Ok(SpectralEmbedding {
            values,
            coords: vectors,
        });
    }
    let EigenPairs { vectors: u, .. } = symmetric_eigen_dense(l, params.k + 1, Which::Smallest)?;
    let t = trivial_eigenvector(&graph.affinity, graph.kind);
    // P = (I − t tᵀ) U, then an orthonormal basis of its K-dimensional range.
    let coeff = u.transpose() * &t; // (K+1)
    let projected = &u - &t * coeff.transpose();
    let svd = projected.clone().svd(true, false);
    let basis_full = svd
        .u
        .ok_or_else(|| SpectralError::SolverFailed("SVD did not return U".into()))?;
    let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
    order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
    let q = DMatrix::from_fn(n, params.k, |i, c| basis_full[(i, order[c])]);
    // Rayleigh–Ritz: eigenvectors of Qᵀ L Q rotate Q back into eigen-order.
    let small = q.transpose() * l * &q;
    let small = 0.5 * (&small + small.transpose());
    let ritz = symmetric_eigen_dense(&small, params.k, Which::Smallest)?;
    let mut coords = q * ritz.vectors;
    canonicalize_signs(&mut coords);
    Ok(SpectralEmbedding {
        values: ritz.values,
        coords,
    })
}

/// Features → batch graph → eigenmap, the per-iteration call of BASiS Algorithm 1 (line 7).
pub fn embed_batch(
    x: &DMatrix<f64>,
    graph: &BatchGraphParams,
    params: &EmbeddingParams,
) -> Result<SpectralEmbedding> {
    let g = batch_graph(x, graph)?;
    laplacian_eigenmap(&g, params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use basis_graph::{LaplacianKind, laplacian};
    use std::f64::consts::PI;

    fn graph_from(w: DMatrix<f64>, kind: LaplacianKind) -> BatchGraph {
        let l = laplacian(&w, kind).unwrap();
        let components = basis_graph::connected_components(&w).0;
        BatchGraph {
            affinity: w,
            laplacian: l,
            kind,
            components,
            isolated: Vec::new(),
            bridges: Vec::new(),
        }
    }

    fn path(n: usize) -> DMatrix<f64> {
        DMatrix::from_fn(n, n, |i, j| if i.abs_diff(j) == 1 { 1.0 } else { 0.0 })
    }

    #[test]
    fn dropping_the_trivial_vector_on_a_path_gives_the_next_closed_form_vectors() {
        let n = 10;
        let g = graph_from(path(n), LaplacianKind::Unnormalized);
        let e = laplacian_eigenmap(
            &g,
            &EmbeddingParams {
                k: 2,
                drop_trivial: true,
            },
        )
        .unwrap();
        for (c, j) in [1usize, 2].iter().enumerate() {
            let lam = 2.0 - 2.0 * (PI * *j as f64 / n as f64).cos();
            assert!((e.values[c] - lam).abs() < 1e-12);
            let mut v = DVector::from_fn(n, |i, _| {
                (PI * *j as f64 * (i as f64 + 0.5) / n as f64).cos()
            });
            v /= v.norm();
            assert!((v.dot(&e.coords.column(c)).abs() - 1.0).abs() < 1e-10);
        }
        // Orthogonal to the constant vector.
        for c in 0..2 {
            assert!(e.coords.column(c).sum().abs() < 1e-10);
        }
    }

    #[test]
    fn cycle_graph_eigenvalues() {
        // C_n: λ = 2 − 2cos(2πj/n), each non-zero one twice.
        let n = 8;
        let w = DMatrix::from_fn(n, n, |i, j| {
            let d = i.abs_diff(j);
            if d == 1 || d == n - 1 { 1.0 } else { 0.0 }
        });
        let e = laplacian_eigenmap(
            &graph_from(w, LaplacianKind::Unnormalized),
            &EmbeddingParams {
                k: 4,
                drop_trivial: true,
            },
        )
        .unwrap();
        let want = [1, 1, 2, 2].map(|j| 2.0 - 2.0 * (2.0 * PI * j as f64 / n as f64).cos());
        for (got, want) in e.values.iter().zip(want) {
            assert!((got - want).abs() < 1e-12);
        }
    }

    #[test]
    fn two_cliques_zero_multiplicity_and_indicator_embedding() {
        // Two disjoint triangles: λ = 0 twice; dropping the constant leaves the cluster indicator.
        let mut w = DMatrix::zeros(6, 6);
        for (a, b) in [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)] {
            w[(a, b)] = 1.0;
            w[(b, a)] = 1.0;
        }
        let g = graph_from(w, LaplacianKind::Unnormalized);
        let all = laplacian_eigenmap(
            &g,
            &EmbeddingParams {
                k: 3,
                drop_trivial: false,
            },
        )
        .unwrap();
        assert!(all.values[0].abs() < 1e-12 && all.values[1].abs() < 1e-12 && all.values[2] > 1.0);
        let e = laplacian_eigenmap(
            &g,
            &EmbeddingParams {
                k: 1,
                drop_trivial: true,
            },
        )
        .unwrap();
        let v = e.coords.column(0);
        let s = 1.0 / 6f64.sqrt();
        for i in 0..6 {
            assert!((v[i].abs() - s).abs() < 1e-10, "entry {i} = {}", v[i]);
        }
        assert!((v[0] - v[1]).abs() < 1e-10 && (v[0] + v[3]).abs() < 1e-10);
    }

    #[test]
    fn normalized_laplacian_trivial_vector_is_removed() {
        let w = DMatrix::from_row_slice(
            4,
            4,
            &[
                0., 2., 0., 1., 2., 0., 1., 0., 0., 1., 0., 3., 1., 0., 3., 0.,
            ],
        );
        let g = graph_from(w.clone(), LaplacianKind::SymmetricNormalized);
        let e = laplacian_eigenmap(
            &g,
            &EmbeddingParams {
                k: 2,
                drop_trivial: true,
            },
        )
        .unwrap();
        let t = trivial_eigenvector(&w, LaplacianKind::SymmetricNormalized);
        assert!((e.coords.transpose() * t).norm() < 1e-10);
        // Each column is an eigenvector of L_N.
        for c in 0..2 {
            let v = e.coords.column(c);
            assert!((&g.laplacian * v - v * e.values[c]).norm() < 1e-10);
        }
    }

    #[test]
    fn too_many_eigenvectors_is_typed() {
        let g = graph_from(path(3), LaplacianKind::Unnormalized);
        assert_eq!(
            laplacian_eigenmap(
                &g,
                &EmbeddingParams {
                    k: 3,
                    drop_trivial: true
                }
            ),
            Err(SpectralError::TooManyEigenvectors { requested: 4, n: 3 })
        );
    }
}
