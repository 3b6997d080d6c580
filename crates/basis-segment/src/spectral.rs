//! Exact spectral clustering of a kernel: its K leading eigenvectors (dense
//! eigendecomposition for small graphs, our Lanczos above [`SpectralClusteringParams::dense_below`]
//! nodes), rows scaled to unit length (Ng, Jordan & Weiss), then k-means into K clusters.
//! The kernel is the one NeuralEF learns the eigenfunctions of, so the two compare directly.

use crate::error::{Result, SegmentError};
use basis_graph::csr_to_dense;
use basis_metrics::{KMeansParams, kmeans};
use basis_spectral::{CsrOperator, LanczosParams, Which, lanczos, symmetric_eigen_dense};
use nalgebra::DMatrix;
use nalgebra_sparse::CsrMatrix;
use serde::{Deserialize, Serialize};

/// Spectral clustering's parameters. Serialisable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpectralClusteringParams {
    /// k-means restarts on the embedding.
    pub n_init: usize,
    /// Graphs with fewer nodes are decomposed densely.
    pub dense_below: usize,
    /// Lanczos tolerance (relative residual).
    pub tol: f64,
    /// Seed of Lanczos' start vector and of k-means.
    pub seed: u64,
    /// Threads (0: all cores).
    pub threads: usize,
}

impl Default for SpectralClusteringParams {
    fn default() -> Self {
        Self {
            n_init: 4,
            dense_below: 2048,
            tol: 1e-8,
            seed: 0,
            threads: 0,
        }
    }
}

/// The `k` leading eigenvectors of the symmetric kernel `g` (n × k, orthonormal columns).
pub fn leading_eigenvectors(
    g: &CsrMatrix<f64>,
    k: usize,
    params: &SpectralClusteringParams,
) -> Result<DMatrix<f64>> {
    let n = g.nrows();
    if k == 0 || k >= n {
        return Err(SegmentError::InvalidConfig(format!(
            "spectral clustering needs 1 ≤ K < n, got K = {k} for {n} patches"
        )));
    }
    if n < params.dense_below {
        Ok(symmetric_eigen_dense(&csr_to_dense(g), k, Which::Largest)?.vectors)
    } else {
        let op = CsrOperator::new(g, params.threads)?;
        let pairs = lanczos(
            &op,
            &LanczosParams {
                k,
                which: Which::Largest,
                tol: params.tol,
                seed: params.seed,
                threads: params.threads,
                ..Default::default()
            },
        )?;
        Ok(pairs.vectors)
    }
}

/// K clusters of the nodes of `g` (one label in `0..k` per node).
pub fn spectral_clustering(
    g: &CsrMatrix<f64>,
    k: usize,
    params: &SpectralClusteringParams,
) -> Result<Vec<usize>> {
    let mut v = leading_eigenvectors(g, k, params)?;
    for mut row in v.row_iter_mut() {
        let norm = row.norm();
        if norm > 0.0 {
            row /= norm;
        }
    }
    let r = kmeans(
        &v,
        &KMeansParams {
            k,
            n_init: params.n_init,
            seed: params.seed,
            threads: params.threads,
            ..Default::default()
        },
    )?;
    Ok(r.labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra_sparse::CooMatrix;

    /// Three cliques of 6 joined in a ring by single weak edges.
    fn cliques() -> CsrMatrix<f64> {
        let mut coo = CooMatrix::new(18, 18);
        for c in 0..3 {
            for i in 0..6 {
                for j in 0..6 {
                    if i != j {
                        coo.push(6 * c + i, 6 * c + j, 1.0);
                    }
                }
            }
            let (a, b) = (6 * c, (6 * c + 8) % 18);
            coo.push(a, b, 0.05);
            coo.push(b, a, 0.05);
        }
        CsrMatrix::from(&coo)
    }

    #[test]
    fn recovers_planted_cliques_dense_and_lanczos() {
        for dense_below in [1000, 0] {
            let p = SpectralClusteringParams {
                dense_below,
                ..Default::default()
            };
            let labels = spectral_clustering(&cliques(), 3, &p).unwrap();
            for c in 0..3 {
                let l = labels[6 * c];
                assert!(
                    labels[6 * c..6 * c + 6].iter().all(|&x| x == l),
                    "{labels:?}"
                );
            }
            assert_ne!(labels[0], labels[6]);
            assert_ne!(labels[6], labels[12]);
            assert_ne!(labels[0], labels[12]);
        }
    }

    #[test]
    fn k_out_of_range_is_a_typed_error() {
        let p = SpectralClusteringParams::default();
        for k in [0, 18, 40] {
            assert!(matches!(
                spectral_clustering(&cliques(), k, &p),
                Err(SegmentError::InvalidConfig(_))
            ));
        }
    }
}
