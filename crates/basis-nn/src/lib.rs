//! Networks (libtorch through `tch`) and the BASiS trainer.
//!
//! This is the only crate of the toolkit that depends on libtorch; everything
//! crosses its boundary as `nalgebra` matrices, and tensors stay inside.
//!
//! - [`trainer`]: BASiS Algorithm 1 ([`BasisModel::fit`]) with a serialisable [`BasisConfig`];
//! - [`mlp`]: fully connected networks with ReLU;
//! - [`demo`]: the three-moons run behind `cargo xtask demo`;
//! - [`convert`]: matrix ↔ tensor conversion.
#![warn(missing_docs)]

pub mod adam;
pub mod checkpoint;
pub mod convert;
pub mod demo;
pub mod error;
pub mod experiment;
pub mod feature_change;
pub mod mlp;
pub mod siamese;
pub mod trainer;

pub use error::{NnError, Result};
pub use mlp::{Mlp, MlpConfig};
pub use trainer::{BasisConfig, BasisModel, IterationLog};
