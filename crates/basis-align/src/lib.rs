//! Alignment of batch spectral embeddings (BASiS Sec. 4.2–4.3).
//!
//! Eigenvectors computed on different batches differ by rotations, sign flips,
//! small scalings and translations. The fits here find the map that sends a batch's
//! anchor coordinates onto reference coordinates, and undo it on the whole batch:
//!
//! - [`fit_affine`]: the least-squares affine map of Eq. 12/13 (SVD of `[φ^a, 1]`,
//!   never the normal equations; rank and conditioning checked), applied by
//!   [`AffineMap::apply`] (Eq. 14);
//! - [`fit_model`] with [`AlignModel::Orthogonal`] / [`AlignModel::Similarity`]:
//!   Procrustes fits with fewer degrees of freedom, for comparison;
//! - [`fit_ransac`]: RANSAC around any of them;
//! - [`BatchAligner`] (Algorithm 1) and [`FeatureChangeAligner`] (Algorithm 2, `T_G`).
//!
//! Degenerate input (fewer than K+1 anchors, collinear anchors, NaN, mismatched
//! shapes, no consensus) is a typed [`AlignError`], never a panic.
#![warn(missing_docs)]

pub mod affine;
pub mod aligner;
pub mod error;
pub mod procrustes;
pub mod ransac;

pub use affine::{AffineFit, AffineFitParams, AffineMap, fit_affine};
pub use aligner::{AlignConfig, AlignedBatch, BatchAligner, FeatureChangeAligner};
pub use error::{AlignError, Result};
pub use procrustes::{AlignModel, fit_model};
pub use ransac::{RansacParams, RobustFit, fit_ransac};
