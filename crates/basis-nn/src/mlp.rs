//! Fully connected networks with ReLU between layers (BASiS Sec. 5: "5 FC layers with ReLU").

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tch::Tensor;
use tch::nn::{self, Module};

/// Layer widths of an MLP: `input → hidden[0] → ... → output`, ReLU between layers, none after the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Hidden widths (4 hidden layers give the paper's 5 fully connected layers).
    pub hidden: Vec<usize>,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self {
            hidden: vec![256, 512, 512, 256],
        }
    }
}

impl MlpConfig {
    /// Checks that the network can be built: every width is one libtorch can index, and its
    /// weights, gradients and Adam's two moments (four f32 copies) fit the memory available.
    pub fn check_size(&self, input: usize, output: usize) -> crate::Result<()> {
        let mut widths = vec![input];
        widths.extend(&self.hidden);
        widths.push(output);
        check_network_size(&widths, 1)
    }
}

/// Checks that `copies` fully connected chains of `widths` (each layer `w[i] → w[i+1]` with a
/// bias) can be built: every width is one libtorch can index, and the weights, gradients and
/// Adam's two moments (four f32 copies of every parameter) fit the memory available. A network
/// too large is then a typed error, not an abort inside libtorch.
pub fn check_network_size(widths: &[usize], copies: u128) -> crate::Result<()> {
    let bad = |s: String| Err(crate::NnError::InvalidConfig(s));
    if let Some(w) = widths.iter().find(|&&w| i64::try_from(w).is_err()) {
        return bad(format!("width {w} is beyond what libtorch can index"));
    }
    let params = widths
        .windows(2)
        .try_fold(0u128, |acc, w| {
            acc.checked_add((w[0] as u128 + 1).checked_mul(w[1] as u128)?)
        })
        .and_then(|p| p.checked_mul(copies));
    let Some(params) = params else {
        return bad(format!(
            "a network of widths {widths:?} overflows its parameter count"
        ));
    };
    basis_data::limits::check_allocation(
        &format!("a network of {params} parameters (weights, gradients, Adam's moments)"),
        params.saturating_mul(16),
    )
    .or_else(bad)
}

/// A multilayer perceptron.
#[derive(Debug)]
pub struct Mlp {
    seq: nn::Sequential,
    layers: Vec<(Tensor, Tensor)>,
}

impl Mlp {
    /// Builds the network under `path` of a var store. Its size is checked first
    /// ([`MlpConfig::check_size`]): a width libtorch cannot index or a network larger than the
    /// memory available is an error, not an abort inside libtorch.
    pub fn new(
        path: &nn::Path,
        input: usize,
        output: usize,
        config: &MlpConfig,
    ) -> crate::Result<Self> {
        config.check_size(input, output)?;
        let mut dims = vec![input];
        dims.extend(&config.hidden);
        dims.push(output);
        let mut seq = nn::seq();
        let mut layers = Vec::new();
        let last = dims.len() - 2;
        for (i, w) in dims.windows(2).enumerate() {
            let lin = nn::linear(
                path / format!("fc{i}"),
                w[0] as i64,
                w[1] as i64,
                Default::default(),
            );
            layers.push((
                lin.ws.shallow_clone(),
                lin.bs
                    .as_ref()
                    .map(Tensor::shallow_clone)
                    .unwrap_or_else(|| Tensor::zeros([0], tch::kind::FLOAT_CPU)),
            ));
            seq = seq.add(lin);
            if i < last {
                seq = seq.add_fn(|x| x.relu());
            }
        }
        Ok(Self { seq, layers })
    }

    /// Re-initialises every layer from `seed` alone, with PyTorch's default
    /// distribution for `Linear` (weights and biases uniform in ±1/√fan_in).
    ///
    /// libtorch's own generator is process-global, so two models initialised
    /// concurrently (e.g. in parallel tests) would race on it; this makes a
    /// model's initial weights a function of its seed only.
    pub fn init_from_seed(&mut self, seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let _guard = tch::no_grad_guard();
        for (w, b) in &mut self.layers {
            let size = w.size();
            let fan_in = size[1] as f64;
            let bound = 1.0 / fan_in.sqrt();
            let mut draw = |n: usize| -> Vec<f32> {
                (0..n)
                    .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32)
                    .collect()
            };
            let wv = draw((size[0] * size[1]) as usize);
            w.copy_(&Tensor::from_slice(&wv).view([size[0], size[1]]));
            let n_b = b.numel();
            if n_b > 0 {
                let bv = draw(n_b);
                b.copy_(&Tensor::from_slice(&bv));
            }
        }
    }

    /// Forward pass.
    pub fn forward(&self, x: &tch::Tensor) -> tch::Tensor {
        self.seq.forward(x)
    }
}
