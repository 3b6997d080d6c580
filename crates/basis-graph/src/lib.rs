//! Graphs for learned spectral embeddings: exact kNN, Gaussian affinities
//! (BASiS Eq. 1), the Laplacians `L = D − W` (Eq. 2) and `L_N` (Eq. 4), and
//! connectivity checks.
//!
//! [`batch_graph`] chains them for a training batch. A disconnected graph is a
//! [`GraphError::Disconnected`] unless [`BatchGraphParams::allow_disconnected`] is set:
//! it never silently produces the eigenvectors of the wrong graph.
#![warn(missing_docs)]

pub mod affinity;
pub mod error;
pub mod knn;
pub mod laplacian;

pub use affinity::{AffinityParams, Scale, Symmetrize, gaussian_affinity_dense, gaussian_scales};
pub use error::{GraphError, Result};
pub use knn::{KnnGraph, KnnParams, Metric, check_features, knn_exact};
pub use laplacian::{
    LaplacianKind, connected_components, degrees, ensure_connected, isolated_nodes, laplacian,
    normalized_laplacian, trivial_eigenvector, unnormalized_laplacian,
};

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Everything needed to turn a batch of features into its Laplacian.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchGraphParams {
    /// Neighbour search.
    pub knn: KnnParams,
    /// Gaussian affinity.
    pub affinity: AffinityParams,
    /// Which Laplacian.
    pub laplacian: LaplacianKind,
    /// Accept a disconnected graph instead of returning [`GraphError::Disconnected`].
    pub allow_disconnected: bool,
}

impl Default for BatchGraphParams {
    fn default() -> Self {
        Self {
            knn: KnnParams::default(),
            affinity: AffinityParams::default(),
            laplacian: LaplacianKind::Unnormalized,
            allow_disconnected: false,
        }
    }
}

/// A batch graph: its affinity and its Laplacian.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchGraph {
    /// Symmetric affinity `W`, zero diagonal.
    pub affinity: DMatrix<f64>,
    /// The Laplacian chosen in the parameters.
    pub laplacian: DMatrix<f64>,
    /// Which Laplacian `laplacian` is.
    pub kind: LaplacianKind,
    /// Number of connected components (1 unless `allow_disconnected` let a split graph through).
    pub components: usize,
}

/// Features (`m × d`, one point per row) → kNN → Gaussian affinity → Laplacian.
pub fn batch_graph(x: &DMatrix<f64>, params: &BatchGraphParams) -> Result<BatchGraph> {
    let knn = knn_exact(x, &params.knn)?;
    let w = gaussian_affinity_dense(&knn, &params.affinity)?;
    let components = if params.allow_disconnected {
        connected_components(&w).0
    } else {
        ensure_connected(&w)?;
        1
    };
    let l = laplacian(&w, params.laplacian)?;
    Ok(BatchGraph {
        affinity: w,
        laplacian: l,
        kind: params.laplacian,
        components,
    })
}
