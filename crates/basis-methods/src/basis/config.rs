//! What defines a BASiS run ([`BasisConfig`]) and how it may be pipelined
//! ([`PipelineConfig`]): serialisable settings, separate from the runtime objects.

use crate::{MethodError, Result};
use basis_align::{AlignConfig, AlignError};
use basis_graph::BatchGraphParams;
use basis_nn::mlp::MlpConfig;
use basis_nn::schedule::LrSchedule;
use basis_spectral::EmbeddingParams;
use serde::{Deserialize, Serialize};

/// Everything that defines a BASiS training run. Serialisable; the runtime objects are built from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasisConfig {
    /// Batch graph: kNN, affinity, Laplacian, connectivity policy.
    pub graph: BatchGraphParams,
    /// Embedding dimension K and whether the trivial eigenvector is dropped.
    pub embedding: EmbeddingParams,
    /// Batch size m, anchors included.
    pub batch_size: usize,
    /// Training iterations (batches).
    pub iterations: usize,
    /// Adam learning rate (the base rate of `lr_schedule`).
    pub learning_rate: f64,
    /// How the learning rate moves over the run (constant by default).
    #[serde(default)]
    pub lr_schedule: LrSchedule,
    /// Network widths.
    pub mlp: MlpConfig,
    /// Alignment: model, least squares or RANSAC (the default, as the official code), seed.
    pub align: AlignConfig,
    /// Fraction of batches that may be skipped as degenerate before training fails.
    pub max_skipped_fraction: f64,
    /// Seed of every random choice (batches, reference set, weights).
    pub seed: u64,
    /// Standardise every input feature with the training set's mean and deviation (kept in
    /// the model). Off when the features themselves are being learned (Algorithm 2).
    #[serde(default = "default_true")]
    pub standardize_inputs: bool,
    /// Ours, not the paper's (0, the default of [`BasisConfig`], is Algorithm 1 as published):
    /// every network step also fits a copy of its batch moved by noise of length up to
    /// `input_noise` × r, where r is the median distance from a reference-set point to its
    /// (m/K)-th neighbour (m/K batch points per eigenvector: about a cluster's width), in the
    /// network's standardised input units. The moved points that leave the training support
    /// get the batch's aligned coordinates carried to them by the graph's kernel. Points off
    /// the support (test classes wider than the training classes, points between clusters) are
    /// then embedded like their nearest training points instead of extrapolated toward the
    /// origin (`docs/out-of-sample.md`; 4 is the setting measured there).
    #[serde(default)]
    pub input_noise: f64,
}

fn default_true() -> bool {
    true
}

impl Default for BasisConfig {
    fn default() -> Self {
        Self {
            graph: BatchGraphParams::default(),
            embedding: EmbeddingParams::default(),
            batch_size: 512,
            iterations: 1000,
            learning_rate: 1e-3,
            lr_schedule: LrSchedule::Constant,
            mlp: MlpConfig::default(),
            align: AlignConfig::default(),
            max_skipped_fraction: 0.1,
            seed: 0,
            standardize_inputs: true,
            input_noise: 0.0,
        }
    }
}

impl BasisConfig {
    /// Validates everything that does not depend on the anchors, for `n` training points:
    /// called before anchors are drawn, so that K = 0, a batch larger than the data or zero
    /// iterations are named as such, not as an anchor count that cannot be drawn.
    pub fn check_settings(&self, n: usize) -> Result<()> {
        let bad = |s: String| Err(MethodError::InvalidConfig(s));
        if self.iterations == 0 {
            return bad("iterations must be >= 1".into());
        }
        basis_data::limits::check_steps("iterations", self.iterations).or_else(bad)?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning rate must be finite and > 0, got {}",
                self.learning_rate
            ));
        }
        self.lr_schedule.check()?;
        if self.batch_size == 0 {
            return bad("batch size must be >= 1".into());
        }
        if self.batch_size > n {
            return bad(format!(
                "batch size {} exceeds the {n} training points",
                self.batch_size
            ));
        }
        if self.mlp.hidden.contains(&0) {
            return bad("hidden widths must be >= 1".into());
        }
        if !(self.input_noise.is_finite() && self.input_noise >= 0.0) {
            return bad(format!(
                "input_noise must be finite and >= 0, got {}",
                self.input_noise
            ));
        }
        if !(0.0..1.0).contains(&self.max_skipped_fraction) {
            return bad("max_skipped_fraction must be in [0, 1)".into());
        }
        self.graph.check_batch_size(self.batch_size)?;
        self.embedding.check(self.batch_size)?;
        self.align.check()?;
        Ok(())
    }

    /// Validates the configuration for `n` training points and `l` anchors.
    pub fn check(&self, n: usize, l: usize) -> Result<()> {
        self.check_settings(n)?;
        if self.batch_size <= l {
            return Err(MethodError::InvalidConfig(format!(
                "batch size {} must exceed the {l} anchors",
                self.batch_size
            )));
        }
        if l < self.embedding.k + 1 {
            return Err(AlignError::TooFewAnchors {
                got: l,
                needed: self.embedding.k + 1,
                dim: self.embedding.k,
            }
            .into());
        }
        Ok(())
    }
}

/// Pipelined training ([`BasisTrainer::run_pipelined`]): a worker thread prepares batch t + 1
/// (sampling, graph, eigenvectors, alignment) while the network takes its step on batch t.
/// Runtime settings, not part of the model: a pipelined run resumes a serial checkpoint and
/// the other way round, with the same result bit for bit.
///
/// The defaults leave libtorch its own thread count, so a pipelined run gives the serial run's
/// weights bit for bit, and put the worker at the lowest scheduling priority, so that it only
/// takes the CPU time the network leaves idle instead of slowing its step down. On 2 cores the
/// network's two threads leave little: see `docs/benchmarks.md` for what each setting gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineConfig {
    /// Prepared batches the worker may hold ahead of the network (the bounded queue), ≥ 1.
    pub depth: usize,
    /// libtorch's intra-op threads during the run (`None`, the default: leave libtorch's
    /// setting). A count other than the serial run's changes the order of libtorch's
    /// reductions, and with it the weights in their last bits.
    pub torch_threads: Option<usize>,
    /// Run the worker at the lowest scheduling priority (Linux `SCHED_IDLE`; elsewhere a
    /// no-op): it then runs only on a core nothing else wants. Best effort: a refusal by the
    /// system leaves it at normal priority. libgomp's threads spin for a while after each
    /// parallel region before they sleep and count as busy meanwhile; a short spin
    /// (`GOMP_SPINCOUNT=3000`, which `.cargo/config.toml` sets for runs through cargo; export
    /// it before starting an installed `basis` binary or your own program, since libgomp reads
    /// it when it loads) leaves the worker more of the network's gaps.
    pub idle_worker: bool,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            depth: 2,
            torch_threads: None,
            idle_worker: true,
        }
    }
}

impl PipelineConfig {
    /// Typed error for a queue of depth 0 or 0 libtorch threads.
    pub fn check(&self) -> Result<()> {
        if self.depth == 0 || self.torch_threads == Some(0) {
            return Err(MethodError::InvalidConfig(format!(
                "pipeline: depth {} and {:?} libtorch threads (both must be ≥ 1)",
                self.depth, self.torch_threads
            )));
        }
        Ok(())
    }
}
