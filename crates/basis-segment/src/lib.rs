//! An unsupervised segmentation benchmark with exact ground truth, for neural eigenfunctions
//! (Deng & Luo, ICCV 2023) and the methods they are compared with. Pure Rust: the network
//! side lives in `basis-methods` (NeuralEF's Gumbel head) and `basis-experiments`
//! (`segmentation`, the reproduction).
//!
//! - [`generator`]: procedural texture images, classes defined by texture, not colour;
//! - [`features`]: filter-bank patch features (standing in for ViT tokens) and the patch grid;
//! - [`kernel`]: the segmenter's kernel `G = G_feat + 0.3 G_pix` over a batch of images;
//! - [`spectral`]: exact spectral clustering of a kernel (eigenvectors + k-means);
//! - [`real`]: the nuclei image and mask `stardist` ships (foreground/background check), TIFF
//!   reading;
//! - [`filters`]: separable Gaussian filtering;
//! - [`image`]: images and masks.
//!
//! Scores (mIoU with Hungarian or argmax-IoU mapping) are in `basis_metrics::segmentation`.
#![warn(missing_docs)]

pub mod error;
pub mod features;
pub mod filters;
pub mod generator;
pub mod image;
pub mod kernel;
pub mod real;
pub mod spectral;

pub use error::{Result, SegmentError};
pub use features::{
    FilterBankParams, PatchFeatures, PatchGrid, patch_features, patch_features_all,
};
pub use generator::{Split, Texture, TextureConfig};
pub use image::{LabelledImage, Mask, RgbImage};
pub use kernel::{KernelParams, PixelGraphSpec, segmentation_kernel};
pub use spectral::{SpectralClusteringParams, spectral_clustering};
