//! Metrics for learned spectral embeddings.
//!
//! - [`nmi`] (BASiS Eq. 18, max or arithmetic normalisation) and
//!   [`clustering_accuracy`] (Eq. 19, Kuhn–Munkres matching);
//! - [`kmeans`]: seeded k-means++ with restarts, used to cluster embeddings;
//! - [`grassmann_distance`] (Eq. 16) and [`orthogonality`] (Eq. 17) of an embedding;
//! - [`linear_probe_accuracy`] (Eq. 20), pure Rust;
//! - [`roc_auc`]: ROC-AUC by the rank statistic (link prediction);
//! - [`segmentation`]: pixel confusion matrices and the mIoU under a Hungarian (1:1) or
//!   argmax-IoU (many:1) cluster-to-class mapping;
//! - [`geometry`]: Spearman's ρ of pairwise distances and kNN recall (GGAE's evaluation);
//! - [`Report`]: all five for one embedding, as JSON or a markdown row.
#![warn(missing_docs)]

pub mod clustering;
pub mod error;
pub mod geometry;
pub mod kmeans;
pub mod probe;
pub mod ranking;
pub mod report;
pub mod segmentation;
pub mod subspace;

pub use clustering::{NmiNormalization, clustering_accuracy, contingency, nmi};
pub use error::{MetricsError, Result};
pub use geometry::{distance_spearman, euclidean_distances, ggae_recall_ks, knn_recall, spearman};
pub use kmeans::{KMeansParams, KMeansResult, kmeans};
pub use probe::{LinearProbe, LinearProbeParams, linear_probe_accuracy};
pub use ranking::roc_auc;
pub use report::{Report, ReportInputs, ReportParams};
pub use segmentation::{ClusterMapping, Confusion, MiouScore};
pub use subspace::{
    ColumnScaling, grassmann_distance, orthogonality, orthonormal_basis, principal_angles,
};
