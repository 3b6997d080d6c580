//! Typed errors of the segmentation crate.

/// Everything that can go wrong in the segmentation benchmark.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// An image or mask with no pixels, or a list of no images.
    #[error("empty input: {0}")]
    Empty(String),
    /// Sizes that do not fit together (an image and its mask, features and images).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A NaN or infinite pixel or feature.
    #[error("non-finite input: {0}")]
    NonFinite(String),
    /// A configuration that cannot be used (the message says why).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A file that cannot be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A file whose contents are not what they should be (a corrupt or unsupported TIFF).
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Building a graph failed.
    #[error(transparent)]
    Graph(#[from] basis_graph::GraphError),
    /// An eigensolver failed.
    #[error(transparent)]
    Spectral(#[from] basis_spectral::SpectralError),
    /// k-means or a score failed.
    #[error(transparent)]
    Metrics(#[from] basis_metrics::MetricsError),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, SegmentError>;
