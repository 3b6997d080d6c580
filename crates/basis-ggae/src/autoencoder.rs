//! The autoencoder of the GGAE reference (`models/ae.py`, `models/modules.py`): MLP encoder
//! and decoder, loss = reconstruction MSE + α · distortion; α = 0 is the plain autoencoder
//! with everything else identical.

use crate::distortion::{check_inputs, distortion_unchecked};
use crate::error::{GgaeError, Result};
use serde::{Deserialize, Serialize};
use tch::Tensor;
use tch::nn::{self, Module};

/// Hidden-layer non-linearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// ELU (the Swiss roll's networks).
    Elu,
    /// ReLU (the rotating images').
    Relu,
}

/// The decoder's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Output {
    /// Linear (coordinates).
    Linear,
    /// Sigmoid (pixels in [0, 1]).
    Sigmoid,
}

/// Encoder `input → hidden… → latent`, decoder the mirror. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderConfig {
    /// Input dimension.
    pub input: usize,
    /// Latent dimension.
    pub latent: usize,
    /// Hidden widths of the encoder (the decoder uses them reversed).
    pub hidden: Vec<usize>,
    /// Hidden non-linearity.
    pub activation: Activation,
    /// Decoder output.
    pub output: Output,
}

impl AutoencoderConfig {
    /// The reference's Swiss-roll networks: 3 → [256] × 5 ELU → 2, linear output.
    pub fn swiss_roll() -> Self {
        Self {
            input: 3,
            latent: 2,
            hidden: vec![256; 5],
            activation: Activation::Elu,
            output: Output::Linear,
        }
    }

    /// The reference's rotating-image networks: 784 → [256] × 4 ReLU → 2, sigmoid output.
    pub fn rotating_images() -> Self {
        Self {
            input: 784,
            latent: 2,
            hidden: vec![256; 4],
            activation: Activation::Relu,
            output: Output::Sigmoid,
        }
    }

    /// Typed error for an input or latent dimension of 0 or a hidden width of 0.
    pub fn check(&self) -> Result<()> {
        if self.input == 0 || self.latent == 0 || self.hidden.contains(&0) {
            return Err(GgaeError::InvalidConfig(format!(
                "autoencoder {} → {:?} → {}: every width must be ≥ 1",
                self.input, self.hidden, self.latent
            )));
        }
        // Encoder and decoder: the same layers in both directions.
        let mut widths = vec![self.input];
        widths.extend(&self.hidden);
        widths.push(self.latent);
        basis_nn::check_network_size(&widths, 2)
            .map_err(|e| GgaeError::InvalidConfig(format!("autoencoder: {e}")))
    }
}

/// Typed error unless α is finite and ≥ 0.
pub fn check_alpha(alpha: f64) -> Result<()> {
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(GgaeError::InvalidConfig(format!(
            "α = {alpha}: the distortion weight must be finite and ≥ 0"
        )));
    }
    Ok(())
}

/// The terms of one batch's loss.
#[derive(Debug)]
pub struct LossTerms {
    /// `recon + α · distortion` (differentiable).
    pub total: Tensor,
    /// Reconstruction MSE.
    pub reconstruction: Tensor,
    /// Distortion of the latents under the batch's L.
    pub distortion: Tensor,
}

/// Encoder and decoder with their weights.
#[derive(Debug)]
pub struct Autoencoder {
    encoder: nn::Sequential,
    decoder: nn::Sequential,
    config: AutoencoderConfig,
}

fn mlp(p: &nn::Path, widths: &[usize], activation: Activation) -> nn::Sequential {
    let last = widths.len() - 2;
    widths.windows(2).enumerate().fold(nn::seq(), |s, (i, w)| {
        let s = s.add(nn::linear(
            p / format!("l{i}"),
            w[0] as i64,
            w[1] as i64,
            Default::default(),
        ));
        match (i < last, activation) {
            (false, _) => s,
            (true, Activation::Elu) => s.add_fn(|x| x.elu()),
            (true, Activation::Relu) => s.add_fn(|x| x.relu()),
        }
    })
}

impl Autoencoder {
    /// The networks of `config` under `p`.
    pub fn new(p: &nn::Path, config: &AutoencoderConfig) -> Result<Self> {
        config.check()?;
        let enc: Vec<usize> = std::iter::once(config.input)
            .chain(config.hidden.iter().copied())
            .chain(std::iter::once(config.latent))
            .collect();
        let dec: Vec<usize> = enc.iter().rev().copied().collect();
        Ok(Self {
            encoder: mlp(&(p / "encoder"), &enc, config.activation),
            decoder: mlp(&(p / "decoder"), &dec, config.activation),
            config: config.clone(),
        })
    }

    /// Its configuration.
    pub fn config(&self) -> &AutoencoderConfig {
        &self.config
    }

    /// Latents of `x` (N × input).
    pub fn encode(&self, x: &Tensor) -> Tensor {
        self.encoder.forward(x)
    }

    /// Reconstructions of latents `z` (N × latent).
    pub fn decode(&self, z: &Tensor) -> Tensor {
        let out = self.decoder.forward(z);
        match self.config.output {
            Output::Linear => out,
            Output::Sigmoid => out.sigmoid(),
        }
    }

    /// The loss of a batch `x` (N × input) with its Laplace–Beltrami estimate `l` (N × N):
    /// typed errors for mismatched sizes, NaN input and α < 0.
    pub fn loss(&self, x: &Tensor, l: &Tensor, alpha: f64) -> Result<LossTerms> {
        check_alpha(alpha)?;
        let xs = x.size();
        if xs.len() != 2 || xs[1] != self.config.input as i64 {
            return Err(GgaeError::Shape(format!(
                "batch {xs:?} for an autoencoder of input {}",
                self.config.input
            )));
        }
        if !bool::try_from(x.isfinite().all()).unwrap_or(false) {
            return Err(GgaeError::NonFinite("batch holds NaN or ∞".into()));
        }
        let z = self.encode(x);
        check_inputs(l, &z)?;
        let reconstruction = (self.decode(&z) - x).square().mean(x.kind());
        let distortion = distortion_unchecked(l, &z);
        let total = &reconstruction + &distortion * alpha;
        Ok(LossTerms {
            total,
            reconstruction,
            distortion,
        })
    }
}
