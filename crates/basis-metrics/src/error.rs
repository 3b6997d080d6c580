//! Typed errors of the metrics crate.

/// Everything that can go wrong while scoring.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// Two labelings of different lengths.
    #[error("labelings have different lengths: {0} and {1}")]
    LengthMismatch(usize, usize),
    /// No points.
    #[error("empty input")]
    Empty,
    /// A NaN or infinite coordinate.
    #[error("non-finite value at row {row}, column {col}")]
    NonFinite {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
    },
    /// An embedding whose columns do not span K dimensions.
    #[error("embedding columns span only {rank} of {needed} dimensions")]
    RankDeficient {
        /// Numerical rank found.
        rank: usize,
        /// Columns given.
        needed: usize,
    },
    /// A parameter outside its valid range (e.g. more clusters than points).
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// The quantity asked for exceeds the range of `f64` for this input (e.g. `d_⊥` without
    /// column scaling of values around 1e200); scale the input or use a scale-free variant.
    #[error("{0} exceeds the range of f64 for this input")]
    TooLarge(String),
    /// An SVD that did not converge within its iteration cap.
    #[error("the SVD of {0} did not converge")]
    NotConverged(&'static str),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, MetricsError>;
