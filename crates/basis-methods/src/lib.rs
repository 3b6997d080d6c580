//! The learned spectral embedding methods, one module each, behind one interface
//! ([`method`]):
//!
//! - [`basis`]: BASiS (Algorithm 1 trainer, the Table 1 setting; Algorithm 2's re-alignment);
//! - [`diffusion_net`]: Mishne et al.'s Diffusion Net encoder (Eq. 7);
//! - [`spectralnet`]: Shaham et al.'s SpectralNet (Eq. 8) and its orthonormalisation layer;
//! - [`specnet2`]: Chen et al.'s SpecNet2 (Eq. 9–10) and its Rayleigh–Ritz post-processing;
//! - [`neuralef`]: NeuralEF / Neural Eigenmaps (Deng et al.) with the Gumbel-softmax head;
//! - [`baselines`]: what the three baselines share (configuration, trained model, setup);
//! - [`pipeline`]: pipelined training (batch t + 1 prepared while the network steps on t);
//! - [`anchors`]: BASiS's anchors per class (the paper) or without labels (uniform, k-means++).
//!
//! A new method adds a module here and a variant of [`method::Method`] (`docs/architecture.md`). Experiments that compare methods live in `basis-experiments`.
//!
//! ```no_run
//! use basis_methods::method::{Method, MethodConfig, TrainingSet};
//! # fn main() -> Result<(), basis_methods::MethodError> {
//! # let (x, y, x_test) = (nalgebra::DMatrix::<f64>::zeros(1, 1), vec![0usize], nalgebra::DMatrix::<f64>::zeros(1, 1));
//! let config = MethodConfig::default(); // the paper's graph, K = 10, m = 512, 1000 iterations
//! for method in Method::ALL {
//!     let train = TrainingSet { features: &x, labels: Some(&y) };
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

pub mod anchors;
pub mod baselines;
pub mod basis;
pub mod diffusion_net;
pub mod error;
pub mod method;
pub mod neuralef;
pub mod pipeline;
pub mod specnet2;
pub mod spectralnet;
pub mod standardize;

pub use method::{Embedder, Method, MethodConfig, TrainingSet};

pub use error::{MethodError, Result};
