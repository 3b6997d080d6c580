//! The networks: an MLP trunk, then either K linear outputs ([`super::Head::Linear`]) or the
//! clustering head ([`super::Head::Gumbel`]): LayerNorm and a linear layer whose weight has
//! orthonormal columns ([`OrthogonalLinear`]).

use super::hyperparams::{Head, NeuralEfConfig};
use basis_nn::{Mlp, MlpConfig};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// A linear map `x ↦ x W + b` (`W` is `n_in × n_out`, `n_in ≥ n_out`) whose weight always has
/// orthonormal columns: `W = Q diag(sign(diag R))` with `A = QR` the reduced QR decomposition
/// of an unconstrained parameter `A`. The sign correction makes the map from `A` to `W`
/// continuous (it is the Q of the QR with positive diagonal), so Adam steps on `A` move `W`
/// smoothly on the Stiefel manifold; `WᵀW = I` holds by construction, after any step.
#[derive(Debug)]
pub struct OrthogonalLinear {
    a: Tensor,
    bias: Tensor,
}

impl OrthogonalLinear {
    /// A layer under `path`, `A` drawn N(0, 1) from `seed` (so `W` starts as a uniformly random
    /// orthonormal frame), bias zero.
    pub fn new(path: &nn::Path, n_in: usize, n_out: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let draws: Vec<f32> = (0..n_in * n_out)
            .map(|_| {
                let v: f64 = StandardNormal.sample(&mut rng);
                v as f32
            })
            .collect();
        let a = path.var("a", &[n_in as i64, n_out as i64], nn::Init::Const(0.0));
        let bias = path.var("bias", &[n_out as i64], nn::Init::Const(0.0));
        tch::no_grad(|| {
            let mut a = a.shallow_clone();
            a.copy_(&Tensor::from_slice(&draws).view([n_in as i64, n_out as i64]));
        });
        Self { a, bias }
    }

    /// The weight `W` (`n_in × n_out`, orthonormal columns).
    pub fn weight(&self) -> Tensor {
        let (q, r) = Tensor::linalg_qr(&self.a, "reduced");
        let signs = r.diagonal(0, 0, 1).sign();
        // A zero diagonal of R (A rank deficient) keeps its column's sign.
        let signs = signs.where_self(&signs.ne(0.0), &signs.ones_like());
        q * signs.unsqueeze(0)
    }

    /// `x W + b`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.matmul(&self.weight()) + &self.bias
    }
}

/// The last layer of the Gumbel head.
#[derive(Debug)]
enum LastLayer {
    Orthogonal(OrthogonalLinear),
    Plain(nn::Linear),
}

/// NeuralEF's network: trunk, then the head of the configuration. Its forward pass gives the
/// raw outputs (linear head) or the logits (Gumbel head), B × K.
#[derive(Debug)]
pub struct NeuralEfNet {
    trunk: Mlp,
    head: Option<(nn::LayerNorm, LastLayer)>,
}

impl NeuralEfNet {
    /// Builds the network for `input` features under `path`, every weight from `config.seed`.
    pub fn new(path: &nn::Path, input: usize, config: &NeuralEfConfig) -> crate::Result<Self> {
        let hidden = &config.mlp.hidden;
        match config.head {
            Head::Linear => {
                let mut trunk = Mlp::new(&(path / "trunk"), input, config.k, &config.mlp)?;
                trunk.init_from_seed(config.seed);
                Ok(Self { trunk, head: None })
            }
            Head::Gumbel => {
                let width = hidden.last().copied().unwrap_or(config.k);
                let inner = MlpConfig {
                    hidden: hidden[..hidden.len().saturating_sub(1)].to_vec(),
                };
                let mut trunk = Mlp::new(&(path / "trunk"), input, width, &inner)?;
                trunk.init_from_seed(config.seed);
                let norm = nn::layer_norm(path / "norm", vec![width as i64], Default::default());
                let last = if config.orthogonal_head {
                    LastLayer::Orthogonal(OrthogonalLinear::new(
                        &(path / "head"),
                        width,
                        config.k,
                        config.seed ^ 0x0E7_0E7,
                    ))
                } else {
                    let lin = nn::linear(
                        path / "head",
                        width as i64,
                        config.k as i64,
                        Default::default(),
                    );
                    init_uniform(&lin, width, config.seed ^ 0x0E7_0E7);
                    LastLayer::Plain(lin)
                };
                Ok(Self {
                    trunk,
                    head: Some((norm, last)),
                })
            }
        }
    }

    /// Raw outputs (linear head) or logits (Gumbel head) of `x` (B × d).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let h = self.trunk.forward(x);
        match &self.head {
            None => h,
            Some((norm, last)) => {
                let h = norm.forward(&h.relu());
                match last {
                    LastLayer::Orthogonal(o) => o.forward(&h),
                    LastLayer::Plain(l) => l.forward(&h),
                }
            }
        }
    }

    /// The Gumbel head's last weight as a matrix, if the head is orthogonal (for tests).
    pub fn orthogonal_weight(&self) -> Option<DMatrix<f64>> {
        match &self.head {
            Some((_, LastLayer::Orthogonal(o))) => {
                let w = tch::no_grad(|| o.weight());
                basis_nn::convert::tensor_to_matrix(&w.to_kind(Kind::Float)).ok()
            }
            _ => None,
        }
    }
}

/// PyTorch's default `Linear` initialisation (uniform ±1/√fan_in) from `seed` alone.
fn init_uniform(lin: &nn::Linear, fan_in: usize, seed: u64) {
    use rand::RngExt;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let bound = 1.0 / (fan_in as f64).sqrt();
    let _g = tch::no_grad_guard();
    let mut fill = |t: &Tensor| {
        let n = t.numel();
        let v: Vec<f32> = (0..n)
            .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32)
            .collect();
        let mut t = t.shallow_clone();
        t.copy_(&Tensor::from_slice(&v).view(t.size().as_slice()));
    };
    fill(&lin.ws);
    if let Some(b) = &lin.bs {
        fill(b);
    }
}
