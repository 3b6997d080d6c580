//! Typed errors of the network crate.

/// Everything that can go wrong while training or running a network.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// A configuration value outside its valid range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// Input shapes that do not fit the model.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A NaN or infinite input.
    #[error("non-finite input at row {row}, column {col}")]
    NonFinite {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
    },
    /// Training produced a non-finite loss.
    #[error("training diverged at iteration {iteration}: loss = {loss}")]
    Diverged {
        /// Iteration (0-based).
        iteration: usize,
        /// The loss value.
        loss: f64,
    },
    /// A checkpoint is missing a tensor, has the wrong shapes or is corrupt.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// libtorch reported an error.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    /// Data loading, sampling or writing failed.
    #[error(transparent)]
    Data(#[from] basis_data::DataError),
    /// (De)serialising a configuration failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, NnError>;
