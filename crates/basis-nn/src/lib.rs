//! Network building blocks and training machinery (libtorch through `tch`).
//!
//! The methods (`basis-methods`) and the network experiments (`basis-experiments`, feature
//! `nn`) are built on it; everything crosses its boundary as `nalgebra` matrices, and tensors
//! stay inside the libtorch side of the workspace.
//!
//! - [`mlp`]: fully connected networks with ReLU;
//! - [`siamese`]: the Siamese CNN and the contrastive loss (Eq. 21), and its training;
//! - [`adam`], [`schedule`]: Adam with exposed state, learning-rate schedules;
//! - [`checkpoint`]: atomic safetensors + JSON checkpoints;
//! - [`convert`]: matrix ↔ tensor conversion;
//! - [`json_nan`], [`progress`]: NaN-safe JSON fields, progress bars.
#![warn(missing_docs)]

pub mod adam;
pub mod checkpoint;
pub mod convert;
pub mod error;
pub use basis_data::json_nan;
pub mod mlp;
pub mod progress;
pub mod schedule;
pub mod siamese;

pub use error::{NnError, Result};
pub use mlp::{Mlp, MlpConfig, check_network_size};
