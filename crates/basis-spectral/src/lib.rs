//! Spectral solvers and embeddings.
//!
//! - [`dense`]: K eigenpairs of a symmetric matrix from either end (faer), and the sign convention;
//! - [`embedding`]: Laplacian eigenmaps (BASiS Eq. 3) with optional removal of the trivial vector,
//!   and [`embed_batch`], features → K eigenvector coordinates in one call.
#![warn(missing_docs)]

pub mod dense;
pub mod embedding;
pub mod error;

pub use dense::{EigenPairs, Which, canonicalize_signs, symmetric_eigen_dense};
pub use embedding::{EmbeddingParams, SpectralEmbedding, embed_batch, laplacian_eigenmap};
pub use error::{Result, SpectralError};
