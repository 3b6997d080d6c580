//! Typed errors of the alignment crate.

/// Everything that can go wrong while aligning.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlignError {
    /// Fewer anchors than the K+1 needed to determine an affine map in K dimensions.
    #[error(
        "{got} anchors cannot determine an affine map in {dim} dimensions: need at least {needed}"
    )]
    TooFewAnchors {
        /// Anchors given.
        got: usize,
        /// Anchors needed (K+1).
        needed: usize,
        /// Embedding dimension K.
        dim: usize,
    },
    /// The augmented anchor matrix `[φ^a, 1]` does not have full column rank.
    #[error("anchors are degenerate: rank {rank} < {needed} (condition number {condition:.3e})")]
    RankDeficient {
        /// Numerical rank found.
        rank: usize,
        /// Rank needed (K+1).
        needed: usize,
        /// Ratio of largest to smallest singular value.
        condition: f64,
    },
    /// A NaN or infinite coordinate.
    #[error("non-finite value in {0}")]
    NonFinite(&'static str),
    /// A coordinate so large that sums of squares overflow inside the fit (see
    /// [`MAX_COORDINATE`](crate::affine::MAX_COORDINATE)); rescale the embedding.
    #[error(
        "{what} holds a coordinate of magnitude {value:e}, above the {limit:e} whose squares the least-squares fit can sum; rescale the embedding"
    )]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// The largest magnitude found.
        value: f64,
        /// The limit.
        limit: f64,
    },
    /// Shapes that do not fit together.
    #[error("dimension mismatch: {0}")]
    DimensionMismatch(String),
    /// RANSAC found no transformation supported by enough anchors.
    #[error(
        "RANSAC found no consensus: the best model had {best_inliers} of {anchors} anchors as inliers, {needed} needed"
    )]
    NoConsensus {
        /// Inliers of the best hypothesis.
        best_inliers: usize,
        /// Anchors given.
        anchors: usize,
        /// Inliers required.
        needed: usize,
    },
    /// A parameter outside its valid range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// An SVD that did not converge within
    /// [`MAX_SVD_ITERATIONS`](crate::affine::MAX_SVD_ITERATIONS) sweeps.
    #[error("the SVD of {0} did not converge")]
    NotConverged(&'static str),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, AlignError>;
