//! Typed errors of the spectral crate.

use basis_graph::GraphError;

/// Everything that can go wrong in an eigen-decomposition or embedding.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpectralError {
    /// More eigenpairs than the matrix has (counting a dropped trivial vector).
    #[error("{requested} eigenvectors requested from a {n}×{n} matrix")]
    TooManyEigenvectors {
        /// Eigenvectors requested (including a dropped trivial one).
        requested: usize,
        /// Matrix order.
        n: usize,
    },
    /// Zero eigenvectors requested.
    #[error("at least one eigenvector must be requested")]
    ZeroEigenvectors,
    /// Not a square matrix.
    #[error("matrix is {rows}×{cols}, not square")]
    NotSquare {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
    /// A NaN or infinite entry.
    #[error("matrix has a non-finite entry at ({row}, {col})")]
    NonFinite {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
    },
    /// The underlying solver reported failure.
    #[error("eigensolver failed: {0}")]
    SolverFailed(String),
    /// A solver parameter is out of range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// Which parameter.
        name: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// The iterative solver stopped before every pair met the tolerance.
    /// `best` holds the estimate it had, with explicit residuals.
    #[error("{converged} of {requested} eigenpairs converged; largest residual {max_residual:.3e}")]
    NotConverged {
        /// Pairs requested.
        requested: usize,
        /// Pairs within the tolerance.
        converged: usize,
        /// Largest explicit residual of the best estimate.
        max_residual: f64,
        /// The best estimate.
        best: Box<crate::lanczos::PartialEigen>,
    },
    /// A batch graph with more connected components than the embedding has eigenvectors:
    /// each component adds a zero eigenvalue, so the K leading eigenvectors cannot tell them
    /// apart. A property of the random draw of a batch, which trainers may skip.
    #[error(
        "degenerate batch: {components} graph components but only {representable} eigenvectors"
    )]
    TooManyComponents {
        /// Components of the graph (as counted by the caller: connected, or as the eigensolver
        /// resolved them).
        components: usize,
        /// Eigenvectors the embedding computes (K, plus a dropped trivial one).
        representable: usize,
    },
    /// Building the graph failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, SpectralError>;
