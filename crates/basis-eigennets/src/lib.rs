//! Networks that consume Laplacian eigenvectors on graphs (issue 21, in progress): the
//! sign-equivariant layers of Lim et al. (NeurIPS 2023) and sparse neighbour aggregation.
//! libtorch side of the workspace; matrices cross its boundary as nalgebra types.
//!
//! - [`sign_eq`]: `SignEqGate`, `SignDss`, `SignEqNet`, link logits, input checks;
//! - [`graph`]: the neighbour-mean operator as a sparse tensor;
//! - [`models`]: the protocol's six link-prediction models behind [`models::LinkModel`].
#![warn(missing_docs)]

pub mod error;
pub mod graph;
pub mod link;
pub mod models;
pub mod positional;
pub mod sign_eq;

pub use error::{EigenNetError, Result};
