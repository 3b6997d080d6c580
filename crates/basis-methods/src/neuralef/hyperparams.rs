//! NeuralEF's configuration: the objective, the output head, the kernel of a batch and the
//! optimiser, with defaults from the authors' code and a validating [`NeuralEfConfig::check`].

use crate::{MethodError, Result};
use basis_graph::BatchGraphParams;
use basis_nn::MlpConfig;
use basis_nn::schedule::LrSchedule;
use serde::{Deserialize, Serialize};

/// Which objective trains the eigenfunctions. Both maximise the Rayleigh quotients
/// `R_jj` of `R = ψᵀ M ψ / B` while decorrelating the outputs in index order; they differ in how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// NeuralEF (Deng, Shi & Zhu 2022): gradient ascent on `R_jj − Σ_{i<j} R_ij² / R_ii`
    /// with every earlier eigenfunction `ψ_i` held fixed (the EigenGame structure).
    NeuralEf,
    /// Neural Eigenmaps (Deng & Luo 2023): `−(1/K) tr(R) + α (1/K) Σ_{i<j} R̂_ij²` with
    /// `R̂ = sg(ψ)ᵀ M ψ / B` (sg = stop-gradient).
    NeuralEigenmaps,
}

/// What follows the network's trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Head {
    /// K linear outputs, each column divided by its batch RMS (an EMA of the RMS at
    /// inference): NeuralEF's eigenfunctions.
    Linear,
    /// The segmenter's clustering head: LayerNorm, a linear layer with orthonormal weight
    /// columns (when [`NeuralEfConfig::orthogonal_head`]) giving K logits, a soft Gumbel-softmax
    /// at temperature τ (cosine schedule), each column divided by its L2 norm over the batch
    /// (clamped at ≥ 1). At inference the argmax of the logits is the cluster.
    Gumbel,
}

/// The kernel whose eigenfunctions are learned, evaluated on each batch as the matrix `M`
/// of `R = ψᵀ M ψ / B`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KernelSpec {
    /// The batch graph of [`NeuralEfConfig::graph`], normalised: `M = D^{-1/2} W D^{-1/2}`
    /// (`= I − L_N`), so the leading eigenfunctions span the eigenvectors of `L_N` with the
    /// smallest eigenvalues, the trivial `D^{1/2}1` included; `R_jj` estimates `1 − λ_j(L_N)`.
    NormalizedGraph,
    /// The Gaussian kernel `exp(−‖x − x'‖² / (2ℓ²))` on the raw features, as an integral
    /// operator: `M = K_bb / B`, so `R_jj` estimates the operator's eigenvalue under the
    /// sampling density (the closed-form check, GPML §4.3.1).
    Gaussian {
        /// Length scale ℓ > 0.
        length_scale: f64,
    },
}

/// Everything NeuralEF needs. [`Default`] is the Table 1 setting: the normalised batch graph
/// of the paper's Table 1, K = 10, m = 512, 1000 iterations, Neural Eigenmaps with the
/// Gumbel head. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeuralEfConfig {
    /// The training objective.
    pub objective: Objective,
    /// The output head.
    pub head: Head,
    /// The kernel of a batch.
    pub kernel: KernelSpec,
    /// The batch graph (used by [`KernelSpec::NormalizedGraph`]).
    pub graph: BatchGraphParams,
    /// Number of eigenfunctions K (the number of clusters of the Gumbel head).
    pub k: usize,
    /// Batch size B.
    pub batch_size: usize,
    /// Gradient steps.
    pub iterations: usize,
    /// Trunk widths (the Gumbel head reads the last hidden width; the linear head maps the
    /// last hidden layer to K).
    pub mlp: MlpConfig,
    /// Adam step size (the authors: 1e-3).
    pub learning_rate: f64,
    /// Step-size schedule (the authors: cosine annealing; to 1e-5 in the segmenter).
    pub schedule: LrSchedule,
    /// Neural Eigenmaps' penalty as `α · K` (α = `alpha_k / K`). The segmenter's PASCAL
    /// Context run has K = 256, α = 0.08, so α·K ≈ 20.5; keeping α·K fixed keeps the ratio
    /// of the penalty to the trace independent of K.
    pub alpha_k: f64,
    /// Outputs are multiplied by `√t` before `R` (the segmenter: t = 0.01). The eigenvalue
    /// estimates are divided by t again.
    pub output_scale: f64,
    /// Neural Eigenmaps: `R̂ = sg(ψ)ᵀMψ` (true, the method) or `R̂ = R` (the ablation).
    pub stop_gradient: bool,
    /// Gumbel head: the last layer's weight has orthonormal columns (true, the method) or is
    /// an unconstrained linear layer (the ablation).
    pub orthogonal_head: bool,
    /// Gumbel head: Gumbel noise added to the logits before the softmax (true, the method)
    /// or a plain tempered softmax (the ablation).
    pub gumbel_noise: bool,
    /// Gumbel temperature at the first iteration.
    pub tau_max: f64,
    /// Gumbel temperature at the last iteration (and the logits' divisor at inference).
    pub tau_min: f64,
    /// Momentum of the EMAs of the column norms and of the eigenvalue estimates (0.9).
    pub momentum: f64,
    /// Seed of every random choice (initial weights, batches, Gumbel noise).
    pub seed: u64,
}

impl Default for NeuralEfConfig {
    fn default() -> Self {
        Self {
            objective: Objective::NeuralEigenmaps,
            head: Head::Gumbel,
            kernel: KernelSpec::NormalizedGraph,
            graph: BatchGraphParams {
                allow_disconnected: true,
                ..BatchGraphParams::paper_table1()
            },
            k: 10,
            batch_size: 512,
            iterations: 1000,
            mlp: MlpConfig::default(),
            learning_rate: 1e-3,
            schedule: LrSchedule::Cosine {
                final_fraction: 0.01,
            },
            alpha_k: 20.5,
            output_scale: 0.01,
            stop_gradient: true,
            orthogonal_head: true,
            gumbel_noise: true,
            tau_max: 1.0,
            tau_min: 0.3,
            momentum: 0.9,
            seed: 0,
        }
    }
}

impl NeuralEfConfig {
    /// NeuralEF (2022) as published: its objective, K linear outputs with batch
    /// normalisation, the rest of `self` unchanged.
    pub fn classic(self) -> Self {
        Self {
            objective: Objective::NeuralEf,
            head: Head::Linear,
            ..self
        }
    }

    /// The penalty weight α of Neural Eigenmaps.
    pub fn alpha(&self) -> f64 {
        self.alpha_k / self.k.max(1) as f64
    }

    /// The Gumbel temperature at iteration `t`: a half cosine from `tau_max` to `tau_min`.
    pub fn temperature(&self, t: usize) -> f64 {
        let progress = if self.iterations <= 1 {
            1.0
        } else {
            (t as f64 / (self.iterations - 1) as f64).min(1.0)
        };
        let c = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        self.tau_min + (self.tau_max - self.tau_min) * c
    }

    /// Checks the settings that do not depend on the data.
    pub fn check(&self) -> Result<()> {
        let bad = |why: String| Err(MethodError::InvalidConfig(why));
        if self.k == 0 {
            return bad("NeuralEF needs K ≥ 1 eigenfunctions".into());
        }
        if self.batch_size <= self.k {
            return bad(format!(
                "NeuralEF needs K < batch size, got K = {} and B = {}",
                self.k, self.batch_size
            ));
        }
        if self.iterations == 0 {
            return bad("NeuralEF needs iterations ≥ 1".into());
        }
        basis_data::limits::check_steps("iterations", self.iterations).or_else(bad)?;
        if self.mlp.hidden.is_empty() || self.mlp.hidden.contains(&0) {
            return bad(format!(
                "NeuralEF needs at least one hidden layer, all widths ≥ 1; got {:?}",
                self.mlp.hidden
            ));
        }
        if self.head == Head::Gumbel && self.mlp.hidden.last().is_some_and(|&h| h < self.k) {
            return bad(format!(
                "the orthogonal Gumbel head maps the last hidden width {} to K = {}: it needs width ≥ K",
                self.mlp.hidden.last().copied().unwrap_or(0),
                self.k
            ));
        }
        let positive = |name: &str, v: f64| -> Result<()> {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(MethodError::InvalidConfig(format!(
                    "NeuralEF: {name} must be finite and > 0, got {v}"
                )))
            }
        };
        positive("the learning rate", self.learning_rate)?;
        positive("output_scale", self.output_scale)?;
        positive("tau_max", self.tau_max)?;
        positive("tau_min", self.tau_min)?;
        if self.tau_min > self.tau_max {
            return bad(format!(
                "NeuralEF: tau_min = {} exceeds tau_max = {}",
                self.tau_min, self.tau_max
            ));
        }
        if !(self.alpha_k.is_finite() && self.alpha_k >= 0.0) {
            return bad(format!(
                "NeuralEF: alpha_k must be finite and ≥ 0, got {}",
                self.alpha_k
            ));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return bad(format!(
                "NeuralEF: momentum must be in [0, 1), got {}",
                self.momentum
            ));
        }
        if let KernelSpec::Gaussian { length_scale } = self.kernel {
            positive("the Gaussian kernel's length scale", length_scale)?;
        }
        self.schedule.check()?;
        if self.kernel == KernelSpec::NormalizedGraph {
            self.graph.check_batch_size(self.batch_size)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_runs_from_tau_max_to_tau_min() {
        let c = NeuralEfConfig {
            iterations: 101,
            ..Default::default()
        };
        assert!((c.temperature(0) - 1.0).abs() < 1e-15);
        assert!((c.temperature(50) - 0.65).abs() < 1e-12);
        assert!((c.temperature(100) - 0.3).abs() < 1e-15);
        assert!((c.temperature(500) - 0.3).abs() < 1e-15);
    }

    #[test]
    fn bad_settings_are_typed_errors() {
        let ok = NeuralEfConfig::default();
        assert!(ok.check().is_ok());
        for bad in [
            NeuralEfConfig { k: 0, ..ok.clone() },
            NeuralEfConfig {
                k: 512,
                ..ok.clone()
            },
            NeuralEfConfig {
                tau_min: 0.0,
                ..ok.clone()
            },
            NeuralEfConfig {
                tau_max: -1.0,
                ..ok.clone()
            },
            NeuralEfConfig {
                tau_min: 2.0,
                ..ok.clone()
            },
            NeuralEfConfig {
                learning_rate: f64::NAN,
                ..ok.clone()
            },
            NeuralEfConfig {
                momentum: 1.0,
                ..ok.clone()
            },
            NeuralEfConfig {
                iterations: 0,
                ..ok.clone()
            },
            NeuralEfConfig {
                kernel: KernelSpec::Gaussian { length_scale: 0.0 },
                ..ok.clone()
            },
        ] {
            assert!(
                matches!(bad.check(), Err(MethodError::InvalidConfig(_))),
                "{bad:?}"
            );
        }
    }
}
