//! Reproductions of the BASiS paper's experiments, each a serialisable config, a
//! `run_*` function returning a report, and files (JSON, PNG) written atomically.
//!
//! | module | paper | xtask |
//! |---|---|---|
//! | [`alignment_spread`] | Fig. 3: anchors' eigenvector coordinates over 20 batches, before and after alignment | `cargo xtask reproduce fig3` |
//! | [`graph_sweep`] | (tooling) exact and HNSW kNN of Fashion-MNIST, batch-graph cost, beside scikit-learn | `cargo xtask sweep graph` |

pub mod alignment_spread;
pub mod error;
pub mod graph_sweep;
pub mod spectral_sweep;

pub use error::{ExperimentError, Result};
