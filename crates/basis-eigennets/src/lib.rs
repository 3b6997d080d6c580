//! Networks that consume Laplacian eigenvectors on graphs: the sign-equivariant layers of
//! Lim et al. (NeurIPS 2023), the sign-invariant and structural baselines of their
//! link-prediction protocol, and sparse neighbour aggregation.
//! libtorch side of the workspace; matrices cross its boundary as nalgebra types.
//!
//! - [`sign_eq`]: `SignEqGate`, `SignDss`, `SignEqNet`, link logits, input checks;
//! - [`graph`]: the neighbour-mean operator as a sparse tensor;
//! - [`models`]: the protocol's six link-prediction models behind [`models::LinkModel`];
//! - [`positional`]: eigenvectors of L_N as positional encodings, and random column signs;
//! - [`link`]: the twin-graph protocol, one (family, trial, model) at a time, with the twin
//!   diagnostics; `basis_experiments::link_prediction` runs it over trials.
#![warn(missing_docs)]

pub mod error;
pub mod graph;
pub mod link;
pub mod models;
pub mod positional;
pub mod sign_eq;

pub use error::{EigenNetError, Result};
