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
    /// Building the graph failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, SpectralError>;
