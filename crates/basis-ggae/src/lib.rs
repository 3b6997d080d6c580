//! Graph geometry-preserving autoencoders (Lim, Kim, Lee, Jang & Park, ICML 2024), libtorch
//! side: the distortion of a latent map under a graph Laplace–Beltrami estimate
//! ([`distortion`]), and the autoencoder trained with reconstruction MSE + α · distortion
//! ([`autoencoder`]), and its training loop on batches with their Laplacians ([`train`]). The Laplacian and the distances are built in `basis-graph`
//! (`basis_graph::geometry`), the data in `basis-data` (`basis_data::manifolds`).
#![warn(missing_docs)]

pub mod autoencoder;
pub mod distortion;
pub mod error;
pub mod train;

pub use error::{GgaeError, Result};
