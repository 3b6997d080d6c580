//! Typed errors of the methods: one enum for every method, with the graph, spectral, align and
//! network errors carried as they are.

use basis_align::AlignError;
use basis_graph::GraphError;
use basis_spectral::SpectralError;

/// Everything that can go wrong in a method.
#[derive(Debug, thiserror::Error)]
pub enum MethodError {
    /// Input shapes that do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A NaN or infinite value in the input.
    #[error("non-finite input: {0}")]
    NonFinite(String),
    /// The model's coordinates of some points are NaN or infinite (inputs far outside the
    /// training range, or a model whose weights are not finite).
    #[error(
        "the model gives non-finite coordinates for {rows} of {n} points (first: row {first}, whose largest input magnitude is {magnitude:e})"
    )]
    NonFiniteOutput {
        /// Points with a non-finite coordinate.
        rows: usize,
        /// Points embedded.
        n: usize,
        /// The first such point.
        first: usize,
        /// Its largest input magnitude.
        magnitude: f64,
    },
    /// The batch's outputs (or `YᵀDY`) have lost rank: no orthonormalisation exists.
    #[error(
        "rank deficient: {what} has numerical rank {rank} of {needed} (condition {condition:.3e})"
    )]
    RankDeficient {
        /// Which matrix.
        what: String,
        /// Numerical rank found.
        rank: usize,
        /// Rank needed.
        needed: usize,
        /// Ratio of the largest to the smallest singular value (or diagonal of R).
        condition: f64,
    },
    /// A configuration that cannot be used (the message says why).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// Reading or sampling the data failed.
    #[error(transparent)]
    Data(#[from] basis_data::DataError),
    /// Building a batch graph failed.
    #[error(transparent)]
    Graph(#[from] basis_graph::GraphError),
    /// An eigen-decomposition failed (also a batch whose graph has more components than the
    /// embedding can represent: [`basis_spectral::SpectralError::TooManyComponents`]).
    #[error(transparent)]
    Spectral(#[from] basis_spectral::SpectralError),
    /// Aligning a batch onto the anchors failed.
    #[error(transparent)]
    Align(#[from] basis_align::AlignError),
    /// Scoring (k-means of a clustering head's initialisation, metrics) failed.
    #[error(transparent)]
    Metrics(#[from] basis_metrics::MetricsError),
    /// Too many batches had to be skipped (each for a [`skippable`] reason).
    #[error(
        "{skipped} of {total} batches were skipped (last reason: {reason}); check the graph parameters"
    )]
    TooManySkipped {
        /// Batches skipped.
        skipped: usize,
        /// Batches drawn.
        total: usize,
        /// Why the last one was skipped (the message of its error).
        reason: String,
    },
    /// The batch worker of a pipelined run stopped without an error of its own (a bug).
    #[error("pipeline: the batch worker {0}")]
    PipelineWorker(&'static str),
    /// The network crate failed (libtorch, checkpoints, a diverged loss). Its configuration,
    /// shape and data errors arrive as [`MethodError::InvalidConfig`], [`MethodError::Shape`]
    /// and [`MethodError::Data`] instead.
    #[error(transparent)]
    Nn(basis_nn::NnError),
}

impl From<basis_nn::NnError> for MethodError {
    fn from(e: basis_nn::NnError) -> Self {
        use basis_nn::NnError as N;
        match e {
            N::InvalidConfig(s) => Self::InvalidConfig(s),
            N::Shape(s) => Self::Shape(s),
            N::Data(e) => Self::Data(e),
            e => Self::Nn(e),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, MethodError>;

/// A batch problem that justifies skipping the batch rather than failing the run: a property
/// of the random draw (a split or degenerate graph, more components than eigenvectors, anchors
/// that cannot fix an alignment), not of the configuration. Returns the error's message.
pub fn skippable(e: &MethodError) -> Option<String> {
    let graph = |g: &GraphError| {
        matches!(
            g,
            GraphError::Disconnected { .. }
                | GraphError::IsolatedNode { .. }
                | GraphError::ZeroScale(_)
        )
    };
    let yes = match e {
        MethodError::Graph(g) | MethodError::Spectral(SpectralError::Graph(g)) => graph(g),
        MethodError::Spectral(SpectralError::TooManyComponents { .. }) => true,
        MethodError::Align(AlignError::RankDeficient { .. } | AlignError::NoConsensus { .. }) => {
            true
        }
        _ => false,
    };
    yes.then(|| e.to_string())
}
