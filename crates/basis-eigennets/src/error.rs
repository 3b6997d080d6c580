//! Typed errors of the eigenvector networks.

/// Everything that can go wrong building or running an eigenvector network.
#[derive(Debug, thiserror::Error)]
pub enum EigenNetError {
    /// A graph with no edges (neighbour aggregation and link prediction need some).
    #[error("the graph has no edges ({0} nodes)")]
    NoEdges(usize),
    /// Sizes that do not fit together (eigenvectors and graph, k and n).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// NaN or infinite eigenvectors.
    #[error("non-finite input: {0}")]
    NonFinite(String),
    /// A configuration that cannot be used.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, EigenNetError>;
