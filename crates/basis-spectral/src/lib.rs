//! Spectral solvers and embeddings.
//!
//! - [`dense`]: K eigenpairs of a symmetric matrix from either end (faer), and the sign convention;
//! - [`embedding`]: Laplacian eigenmaps (BASiS Eq. 3) with optional removal of the trivial vector,
//!   and [`embed_batch`], features → K eigenvector coordinates in one call.
#![warn(missing_docs)]

pub mod dense;
pub mod diffusion;
pub mod embedding;
pub mod error;
pub mod lanczos;
pub mod operator;
pub mod progress;

pub use dense::{EigenPairs, Which, canonicalize_signs, symmetric_eigen_dense};
pub use diffusion::{DiffusionMap, DiffusionParams, diffusion_map, diffusion_map_csr};
pub use embedding::{
    AnalyticEmbedding, BatchEmbedder, BatchTimings, EigenMethod, EigenmapWorkspace,
    EmbeddingParams, PipelineTimings, SolveStats, SolverParams, SpectralEmbedding,
    analytic_embedding, embed_batch, laplacian_eigenmap, laplacian_eigenmap_csr,
    laplacian_eigenmap_with,
};
pub use error::{Result, SpectralError};
pub use lanczos::{
    LanczosParams, LanczosProgress, LanczosWorkspace, PartialEigen, lanczos, lanczos_with,
};
pub use operator::{CsrOperator, DenseOperator, SymmetricOperator};
