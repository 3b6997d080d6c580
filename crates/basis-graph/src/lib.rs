//! Graphs for learned spectral embeddings: kNN search (exact and HNSW),
//! Gaussian affinities (BASiS Eq. 1), the Laplacians `L = D − W` (Eq. 2) and
//! `L_N` (Eq. 4), the random-walk matrix (Eq. 5), the α-normalised kernel, and
//! connectivity.
//!
//! Two paths:
//! - **Batches** (hundreds to a few thousand points, every iteration):
//!   [`BatchGraphBuilder`] gives a dense affinity and Laplacian and reuses its
//!   buffers; [`batch_graph`] is the one-shot form.
//! - **Whole datasets** (10,000–70,000 points): [`knn_exact`] (blocked,
//!   multithreaded) or [`knn_hnsw`], then [`knn_affinity`] and the CSR
//!   operators of [`sparse`].
//!
//! A disconnected graph is a [`GraphError::Disconnected`] unless the caller
//! asks otherwise ([`BatchGraphParams::allow_disconnected`],
//! [`BatchGraphParams::connect_components`]): it never silently produces the
//! eigenvectors of the wrong graph.
#![warn(missing_docs)]

pub mod affinity;
pub mod batch;
pub mod connect;
pub mod error;
pub mod geometry;
pub mod hnsw;
pub mod knn;
pub mod laplacian;
pub mod sparse;

pub use affinity::{AffinityParams, Scale, Symmetrize, gaussian_affinity_dense, gaussian_scales};
pub use batch::{BatchGraph, BatchGraphBuilder, BatchGraphParams, SparseBatchGraph, batch_graph};
pub use connect::{Bridge, bridge_edges};
pub use error::{GraphError, Result};
pub use geometry::{
    LaplaceBeltramiParams, Unreachable, check_distances, cycle_distances, distortion,
    geodesic_distances, laplace_beltrami,
};
pub use hnsw::{HnswParams, HnswTimings, knn_hnsw};
pub use knn::{
    KnnGraph, KnnParams, KnnWorkspace, Metric, check_features, knn_exact, knn_exact_with,
};
pub use laplacian::{
    LaplacianKind, RandomWalkSide, alpha_normalized_kernel, connected_components, degrees,
    ensure_connected, isolated_nodes, laplacian, normalized_laplacian, random_walk,
    trivial_eigenvector, unnormalized_laplacian,
};
pub use sparse::{
    Components, alpha_normalized_kernel_csr, components_csr, components_dense, csr_to_dense,
    degrees_csr, knn_affinity, laplacian_csr, normalized_laplacian_csr, numerical_components_csr,
    numerical_components_dense, random_walk_csr, unnormalized_laplacian_csr, with_bridges,
};
