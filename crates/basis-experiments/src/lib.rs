//! Reproductions of the BASiS paper's experiments, each a serialisable config, a
//! `run_*` function returning a report, and files (JSON, PNG) written atomically.
//!
//! | module | paper | xtask |
//! |---|---|---|
//! | [`alignment_spread`] | Fig. 3: anchors' eigenvector coordinates over 20 batches, before and after alignment | `cargo xtask reproduce fig3` |
//! | [`demo`] (feature `nn`) | Fig. 1: BASiS on three moons | `cargo xtask demo` |
//! | [`fashion_mnist`] (`nn`) | Table 1's BASiS row: Siamese features (cached), Algorithm 1 over seeds, the five metrics | `cargo xtask reproduce basis` |
//! | [`table1`] (`nn`) | Table 1: every method on the same features; NeuralEF's ablations | `cargo xtask reproduce table1`, `reproduce neuralef-ablations` |
//! | [`neuralef_closed_form`] (`nn`) | NeuralEF against the Gaussian kernel's Hermite eigenfunctions, beside Nyström | `cargo xtask reproduce neuralef-closed-form` |
//! | [`segmentation`] (`nn`) | NeuralEF's segmentation claims on procedural texture images with exact masks, against k-means and spectral clustering | `cargo xtask reproduce segmentation` |
//! | [`link_prediction`] (`nn`) | Lim et al.'s twin-graph link prediction: sign-equivariant networks against SignNet, GCN, decode-only, a learned decoder and an unconstrained MLP | `cargo xtask reproduce link-prediction` |
//! | [`ggae`] (`nn`) | Lim et al.'s graph geometry-preserving autoencoder beside the plain autoencoder on the Swiss roll with a hole and rotating Fashion-MNIST sequences | `cargo xtask reproduce ggae` |
//! | [`neighbors`] (`nn`) | Fig. 4: Table 1 over the number of neighbours | `cargo xtask sweep neighbors` |
//! | [`feature_change`] (`nn`) | Fig. 6 and Fig. 8: Algorithm 2, features and embedding trained together | `cargo xtask reproduce feature-change` |
//! | [`tightness`] (`nn`) | BASiS over the tightness of generated clusters | `cargo xtask sweep tightness` |
//! | [`graph_sweep`] | (tooling) exact and HNSW kNN of Fashion-MNIST, batch-graph cost, beside scikit-learn | `cargo xtask sweep graph` |

pub mod alignment_spread;
pub mod docs;
pub mod engine;
pub mod error;
pub mod graph_sweep;
pub mod memory;
pub mod spectral_sweep;
pub mod stats;

#[cfg(feature = "nn")]
pub mod demo;
#[cfg(feature = "nn")]
pub mod fashion_mnist;
#[cfg(feature = "nn")]
pub mod feature_change;
#[cfg(feature = "nn")]
pub mod features;
#[cfg(feature = "nn")]
pub mod ggae;
#[cfg(feature = "nn")]
pub mod link_prediction;
#[cfg(feature = "nn")]
pub mod machine;
#[cfg(feature = "nn")]
pub mod neighbors;
#[cfg(feature = "nn")]
pub mod neuralef_closed_form;
pub mod prepare;
#[cfg(feature = "nn")]
pub mod segmentation;
#[cfg(feature = "nn")]
pub mod table1;
#[cfg(feature = "nn")]
pub mod tightness;

pub use engine::{Experiment, Rendered, RunContext};
pub use error::{ExperimentError, Result};
