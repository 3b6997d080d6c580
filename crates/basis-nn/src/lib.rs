//! Networks (libtorch through `tch`) and the BASiS trainer.
//!
//! This is the only crate of the toolkit that depends on libtorch; everything
//! crosses its boundary as `nalgebra` matrices, and tensors stay inside.
//!
//! - [`trainer`]: BASiS Algorithm 1 ([`BasisModel::fit`], [`BasisTrainer`] one iteration at a
//!   time with checkpoints and exact resume) with a serialisable [`BasisConfig`];
//! - [`siamese`]: the Siamese CNN and the contrastive loss (Eq. 21);
//! - [`experiment`]: BASiS on Fashion-MNIST (or any IDX / `.npy` data set) end to end;
//! - [`feature_change`]: Algorithm 2, the Siamese and spectral networks trained together;
//! - [`adam`], [`checkpoint`]: Adam with exposed state, atomic safetensors + JSON checkpoints;
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
pub mod json_nan;
pub mod mlp;
pub mod progress;
pub mod schedule;
pub mod siamese;
pub mod tightness;
pub mod trainer;

pub use error::{NnError, Result};
pub use mlp::{Mlp, MlpConfig};
pub use trainer::{BasisConfig, BasisModel, BasisTrainer, IterationLog};
