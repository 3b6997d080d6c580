//! Typed errors of the experiment runners.

/// Everything that can stop an experiment.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// Loading or writing data.
    #[error(transparent)]
    Data(#[from] basis_data::DataError),
    /// Building a graph.
    #[error(transparent)]
    Graph(#[from] basis_graph::GraphError),
    /// Computing eigenvectors.
    #[error(transparent)]
    Spectral(#[from] basis_spectral::SpectralError),
    /// Aligning embeddings.
    #[error(transparent)]
    Align(#[from] basis_align::AlignError),
    /// Drawing a figure.
    #[error(transparent)]
    Plot(#[from] basis_plot::PlotError),
    /// Serialising a report.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The segmentation benchmark (images, features, kernels).
    #[error(transparent)]
    Segment(#[from] basis_segment::SegmentError),
    /// Scoring.
    #[error(transparent)]
    Metrics(#[from] basis_metrics::MetricsError),
    /// A method (feature `nn`). Its graph, spectral, align, metrics, data and network errors
    /// arrive as this enum's own variants (see the `From` impl), never nested here.
    #[cfg(feature = "nn")]
    #[error(transparent)]
    Method(basis_methods::MethodError),
    /// The network crate: libtorch, checkpoints, a diverged loss (feature `nn`).
    #[cfg(feature = "nn")]
    #[error(transparent)]
    Nn(basis_nn::NnError),
    /// The eigenvector networks (feature `nn`).
    #[cfg(feature = "nn")]
    #[error(transparent)]
    EigenNet(#[from] basis_eigennets::EigenNetError),
    /// The graph geometry-preserving autoencoders (feature `nn`).
    #[cfg(feature = "nn")]
    #[error(transparent)]
    Ggae(#[from] basis_ggae::GgaeError),
    /// A configuration that cannot run.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// Too many sampled batches were unusable.
    #[error(
        "only {usable} of {needed} usable batches after {attempts} draws (last problem: {reason})"
    )]
    TooFewBatches {
        /// Batches that could be embedded and aligned.
        usable: usize,
        /// Batches asked for.
        needed: usize,
        /// Draws made.
        attempts: usize,
        /// Why the last unusable batch was rejected.
        reason: String,
    },
}

#[cfg(feature = "nn")]
impl From<basis_nn::NnError> for ExperimentError {
    fn from(e: basis_nn::NnError) -> Self {
        match e {
            basis_nn::NnError::Data(e) => Self::Data(e),
            basis_nn::NnError::Json(e) => Self::Json(e),
            basis_nn::NnError::InvalidConfig(s) => Self::InvalidConfig(s),
            e => Self::Nn(e),
        }
    }
}

#[cfg(feature = "nn")]
impl From<basis_methods::MethodError> for ExperimentError {
    /// Flattens: a method's graph, spectral, align, metrics, data or network error becomes the
    /// same variant here, so a caller matches `ExperimentError::Graph(..)` wherever it arose.
    fn from(e: basis_methods::MethodError) -> Self {
        use basis_methods::MethodError as M;
        match e {
            M::Graph(e) => Self::Graph(e),
            M::Spectral(e) => Self::Spectral(e),
            M::Align(e) => Self::Align(e),
            M::Metrics(e) => Self::Metrics(e),
            M::Data(e) => Self::Data(e),
            M::Nn(e) => e.into(),
            M::InvalidConfig(s) => Self::InvalidConfig(s),
            e => Self::Method(e),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, ExperimentError>;
