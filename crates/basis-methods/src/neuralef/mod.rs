//! NeuralEF (Deng, Shi & Zhu, ICML 2022) and Neural Eigenmaps with the Gumbel-softmax
//! clustering head (Deng & Luo, ICCV 2023): a network whose K outputs are trained to be the
//! leading eigenfunctions of a kernel, from batches, with no eigendecomposition at all.
//!
//! - [`hyperparams`]: [`NeuralEfConfig`] (objective, head, kernel, optimiser) and its check;
//! - [`loss`]: both objectives and the output normalisations, as differentiable tensors;
//! - [`network`]: the MLP trunk, the linear head, the orthogonal-parametrised Gumbel head;
//! - [`model`]: the training loop ([`fit_neuralef`]) and [`NeuralEfModel`].
//!
//! The kernel of a training batch is the batch graph's normalised affinity
//! `D^{-1/2} W D^{-1/2}` ([`KernelSpec::NormalizedGraph`]), so its leading eigenfunctions
//! span the eigenvectors of `L_N` with the smallest eigenvalues, the trivial one
//! `D^{1/2}1` included, as the analytic space d_G compares against in the Table 1 setting.

pub mod hyperparams;
pub mod loss;
pub mod model;
pub mod network;

pub use hyperparams::{Head, KernelSpec, NeuralEfConfig, Objective};
pub use model::{
    BatchKernel, KernelBatch, NeuralEfModel, fit_neuralef, fit_neuralef_with,
    fit_neuralef_with_batches, fit_neuralef_with_batches_pipelined, normalized_affinity,
};
