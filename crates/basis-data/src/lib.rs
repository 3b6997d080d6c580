//! Data for learned spectral embeddings.
//!
//! - [`idx`], [`npy`], [`csv`]: loaders for IDX (gzipped or raw), NumPy `.npy` and CSV files;
//! - [`fashion_mnist`]: the Fashion-MNIST train/test splits (Debian's `dataset-fashion-mnist` by default);
//! - [`toy`]: seeded two moons, three moons, circles, blobs and spirals (BASiS Fig. 1);
//! - [`clusters`]: seeded Gaussian clusters in a subspace, of any tightness and class balance;
//! - [`sampling`]: anchor selection and anchor-plus-fresh batch sampling (BASiS Algorithm 1);
//! - [`random_graphs`]: Erdős–Rényi, Barabási–Albert and twin graphs, link-prediction edge splits;
//! - [`io`]: atomic file writes;
//!
//! Every fallible function returns [`DataError`]; none panics on bad input.
#![warn(missing_docs)]

pub mod clusters;
pub mod config_file;
pub mod csv;
pub mod dataset;
pub mod error;
pub mod fashion_mnist;
pub mod idx;
pub mod input;
pub mod io;
pub mod json_nan;
pub mod limits;
pub mod manifolds;
pub mod npy;
pub mod random_graphs;
pub mod sampling;
pub mod splits;
pub mod toy;

pub use dataset::{LabeledData, MAX_LABEL, check_finite, class_labels, class_labels_from_matrix};
pub use error::{DataError, Result};
