//! Metrics for learned spectral embeddings.
//!
//! - [`nmi`] (BASiS Eq. 18, max or arithmetic normalisation) and
//!   [`clustering_accuracy`] (Eq. 19, Kuhn–Munkres matching);
//! - [`kmeans`]: seeded k-means++ with restarts, used to cluster embeddings.
#![warn(missing_docs)]

pub mod clustering;
pub mod error;
pub mod kmeans;

pub use clustering::{NmiNormalization, clustering_accuracy, contingency, nmi};
pub use error::{MetricsError, Result};
pub use kmeans::{KMeansParams, KMeansResult, kmeans};
