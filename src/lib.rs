//! # basis — learned spectral graph embeddings
//!
//! One dependency for the whole toolkit. Networks that map a data point to its
//! coordinates in the eigenspace of a graph Laplacian, trained on batches with
//! BASiS (Streicher, Cohen & Gilboa, CVPR 2023), and the pieces they are built from:
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`data`] | `basis-data` | IDX / `.npy` / CSV loaders, Fashion-MNIST, toy shapes, anchor and batch sampling |
//! | [`graph`] | `basis-graph` | exact kNN, Gaussian affinities (Eq. 1), `L` (Eq. 2) and `L_N` (Eq. 4) |
//! | [`spectral`] | `basis-spectral` | eigensolvers, Laplacian eigenmaps (Eq. 3) |
//! | [`align`] | `basis-align` | affine alignment by least squares and RANSAC (Eq. 12–14), Algorithms 1 and 2 |
//! | [`metrics`] | `basis-metrics` | NMI (Eq. 18), ACC (Eq. 19), k-means++ |
//! | [`plot`] | `basis-plot` | PNG plots |
//! | [`segment`] | `basis-segment` | the segmentation benchmark: texture images with exact masks, filter-bank patch features, the segmenter's kernel, spectral clustering, the nuclei image |
//! | [`experiments`] | `basis-experiments` | every reproduction and sweep (Fig. 3, graph and spectral sweeps; with `nn` also the demo, Table 1, Fig. 4, Fig. 6/8, Fashion-MNIST, tightness) |
//! | [`nn`] (feature `nn`) | `basis-nn` | libtorch building blocks: MLP, Siamese CNN, Adam, schedules, checkpoints |
//! | [`methods`] (feature `nn`) | `basis-methods` | BASiS (Algorithms 1 and 2), Diffusion Net, SpectralNet, SpecNet2, all behind `Method::fit` → `Embedder`; anchors |
//!
//! Without the `nn` feature nothing here needs libtorch.
//!
//! ```
//! use basis::data::toy::{three_moons, ToyParams};
//! use basis::graph::{BatchGraphParams, KnnParams};
//! use basis::spectral::{embed_batch, EmbeddingParams};
//!
//! let moons = three_moons(&ToyParams { n_samples: 300, noise: 0.05, seed: 1 }).unwrap();
//! let graph = BatchGraphParams {
//!     knn: KnnParams { k: 10, ..Default::default() },
//!     allow_disconnected: true,
//!     ..Default::default()
//! };
//! let emb = embed_batch(&moons.features, &graph, &EmbeddingParams { k: 2, drop_trivial: true, ..Default::default() }).unwrap();
//! assert_eq!(emb.coords.shape(), (300, 2));
//! ```
#![warn(missing_docs)]

pub use basis_align as align;
pub use basis_data as data;
pub use basis_experiments as experiments;
pub use basis_graph as graph;
#[cfg(feature = "nn")]
pub use basis_methods as methods;
pub use basis_metrics as metrics;
#[cfg(feature = "nn")]
pub use basis_nn as nn;
pub use basis_plot as plot;
pub use basis_segment as segment;
pub use basis_spectral as spectral;
