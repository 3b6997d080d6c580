//! Typed errors of the GGAE crate.

/// Everything that can go wrong building or training a GGAE.
#[derive(Debug, thiserror::Error)]
pub enum GgaeError {
    /// Sizes that do not fit together (batch and graph, latents and Laplacian).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// NaN or infinite input.
    #[error("non-finite input: {0}")]
    NonFinite(String),
    /// A configuration that cannot be used (α < 0, latent dimension 0, …).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// Building the Laplace–Beltrami estimate or the distances.
    #[error(transparent)]
    Graph(#[from] basis_graph::GraphError),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, GgaeError>;
