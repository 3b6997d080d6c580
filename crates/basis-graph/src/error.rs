//! Typed errors of the graph crate.

/// Everything that can go wrong while building a graph.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// No points, or zero-dimensional points.
    #[error("empty data: {rows}×{cols} feature matrix")]
    Empty {
        /// Number of points.
        rows: usize,
        /// Feature dimension.
        cols: usize,
    },
    /// A feature is NaN or infinite.
    #[error("non-finite feature at row {row}, column {col}")]
    NonFinite {
        /// Row of the first offending value.
        row: usize,
        /// Column of the first offending value.
        col: usize,
    },
    /// `k` must satisfy `1 <= k < n`.
    #[error("k = {k} neighbours requested for {n} points; need 1 <= k < n")]
    InvalidK {
        /// Requested neighbours.
        k: usize,
        /// Number of points.
        n: usize,
    },
    /// A parameter outside its valid range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// The Gaussian scale came out as zero (e.g. all neighbours are duplicates).
    #[error("Gaussian scale is zero: {0}")]
    ZeroScale(String),
    /// A node has no edge (zero degree), so the normalised operators are undefined.
    #[error("node {node} is isolated (zero degree)")]
    IsolatedNode {
        /// The first isolated node.
        node: usize,
    },
    /// The graph has more than one connected component.
    #[error("graph is disconnected: {count} components (sizes {sizes:?})")]
    Disconnected {
        /// Number of components.
        count: usize,
        /// Size of each component, largest first.
        sizes: Vec<usize>,
    },
    /// A matrix that must be square and symmetric is not.
    #[error("matrix is not a valid affinity: {0}")]
    BadAffinity(String),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, GraphError>;
