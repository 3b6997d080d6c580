//! The methods BASiS is compared with in its Table 1 (paper Sec. 3): Diffusion Net (Eq. 7),
//! SpectralNet (Eq. 8) and SpecNet2 (Eq. 9–10).
//!
//! This crate holds their numerical core, each piece tested against a hand-computed or exact
//! reference:
//! - [`losses`]: the three training losses on a batch;
//! - [`orthonorm`]: SpectralNet's orthonormalisation layer (QR of a batch's outputs, stored
//!   for inference), which returns a typed error instead of crashing on rank loss;
//! - [`rayleigh_ritz`]: SpecNet2's post-processing `YᵀWY O = YᵀDY O Λ`.
//!
//! Around them:
//! - [`methods`]: BASiS and the three baselines behind one interface: [`methods::Method`]
//!   fits (from a [`methods::TrainingSet`] and a [`methods::MethodConfig`]) and loads, and
//!   every trained model is a [`methods::Embedder`] (embed points, save);
//! - [`table1`]: the paper's Table 1 comparison on one data set (`cargo xtask reproduce
//!   table1`);
//! - [`neighbors`]: that comparison over the number of graph neighbours, the paper's Fig. 4
//!   (`cargo xtask sweep neighbors`).
//!
//! ```no_run
//! use basis_baselines::methods::{Method, MethodConfig, TrainingSet};
//! # fn main() -> Result<(), basis_baselines::BaselineError> {
//! # let (x, y, x_test) = (nalgebra::DMatrix::<f64>::zeros(1, 1), vec![0usize], nalgebra::DMatrix::<f64>::zeros(1, 1));
//! let config = MethodConfig::default(); // the paper's graph, K = 10, m = 512, 1000 iterations
//! for method in Method::ALL {
//!     let train = TrainingSet { features: &x, labels: &y };
//!     let model = method.fit(&train, &config, 0, &mut |_, _| {})?;
//!     let coords = model.embed(&x_test)?;
//!     model.save(std::path::Path::new(&format!("runs/{}", method.slug())))?;
//!     let again = method.load(std::path::Path::new(&format!("runs/{}", method.slug())))?;
//!     assert_eq!(again.embed(&x_test)?, coords);
//! }
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod losses;
pub mod methods;
pub mod neighbors;
pub mod orthonorm;
pub mod rayleigh_ritz;
pub mod table1;

/// Everything that can go wrong in a baseline.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Input shapes that do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A NaN or infinite value in the input.
    #[error("non-finite input: {0}")]
    NonFinite(String),
    /// The batch's outputs (or `YᵀDY`) have lost rank: no orthonormalisation exists.
    #[error(
        "rank deficient: {what} has numerical rank {rank} of {needed} (condition {condition:.3e})"
    )]
    RankDeficient {
        /// Which matrix.
        what: String,
        /// Numerical rank found.
        rank: usize,
        /// Rank needed.
        needed: usize,
        /// Ratio of the largest to the smallest singular value (or diagonal of R).
        condition: f64,
    },
    /// A configuration that cannot be used (the message says why).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The network crate failed.
    #[error(transparent)]
    Nn(#[from] basis_nn::NnError),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, BaselineError>;
