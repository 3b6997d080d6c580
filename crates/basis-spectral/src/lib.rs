//! Spectral solvers and embeddings.
//!
//! - [`dense`]: K eigenpairs of a symmetric matrix from either end (faer), and the sign convention;
//! - [`mod@lanczos`]: thick-restart Lanczos for a few eigenpairs of a large symmetric operator, with
//!   deflation of known vectors, explicit residuals and a typed non-convergence error;
//! - [`operator`]: the operators it applies (symmetric CSR with threaded products, dense);
//! - [`embedding`]: Laplacian eigenmaps (BASiS Eq. 3): per batch ([`BatchEmbedder`], the trainer's
//!   call, with stage times), from a sparse affinity ([`laplacian_eigenmap_csr`]) and from features
//!   for a whole dataset ([`analytic_embedding`], the ground truth of d_G);
//! - [`diffusion`]: diffusion maps (Eq. 5–6) from the symmetric conjugate of the random walk;
//! - [`progress`]: the progress line of solves that run past a second.
#![warn(missing_docs)]

pub mod dense;
pub mod diffusion;
pub mod embedding;
pub mod error;
pub mod extension;
pub mod lanczos;
pub mod operator;
pub mod progress;

pub use dense::{EigenPairs, Which, canonicalize_signs, symmetric_eigen_dense};
pub use diffusion::{DiffusionMap, DiffusionParams, diffusion_map, diffusion_map_csr};
pub use embedding::{
    AnalyticEmbedding, BatchEmbedder, BatchTimings, EigenMethod, EigenmapWorkspace,
    EmbeddingParams, OperatorValues, PipelineTimings, SolveStats, SolverParams, SpectralEmbedding,
    analytic_embedding, embed_batch, laplacian_eigenmap, laplacian_eigenmap_csr,
    laplacian_eigenmap_with,
};
pub use error::{Result, SpectralError};
pub use extension::{KernelExtensionParams, kernel_extension};
pub use lanczos::{
    LanczosParams, LanczosProgress, LanczosWorkspace, PartialEigen, lanczos, lanczos_with,
};
pub use operator::{CsrOperator, DenseOperator, SymmetricOperator, ValuePrecision};
