//! What the three baselines share: their configuration ([`BaselineConfig`]), the trained
//! model ([`TrainedBaseline`]: network, input standardisation, post-processing) and the setup
//! of a run (standardised inputs, network, Adam, batch sampler, graph builder) that each
//! method's training loop (`diffusion_net`, `spectralnet`, `specnet2`) takes over.
//!
//! Networks are the same MLP as BASiS's, inputs standardised with the training set's
//! statistics (graphs are built on the raw features, as BASiS's), all randomness from
//! `config.seed`.

use crate::method::{Embedder, Method};
use crate::pipeline::{PipelineConfig, run_pipelined};
use crate::spectralnet::orthonorm::OrthonormLayer;
use crate::{MethodError, Result};
use basis_graph::{BatchGraphBuilder, BatchGraphParams, LaplacianKind};
use basis_nn::adam::{Adam, AdamParams};
use basis_nn::checkpoint::{load_variables, named_variables, read_checkpoint, write_checkpoint};
use basis_nn::convert::{matrix_to_tensor, tensor_to_matrix};
use basis_nn::{Mlp, MlpConfig, NnError};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Device, nn};

/// Settings shared by the baselines (the paper's comparison uses the same graph, K, batch
/// size and iterations for every method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineConfig {
    /// Batch graph (kNN, affinity, Laplacian kind).
    pub graph: BatchGraphParams,
    /// Embedding dimension K.
    pub k: usize,
    /// Batch size m.
    pub batch_size: usize,
    /// Gradient steps (Diffusion Net: full-batch epochs on its single batch).
    pub iterations: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// Network widths.
    pub mlp: MlpConfig,
    /// Diffusion Net: weight decay μ.
    pub mu: f64,
    /// Diffusion Net: eigenvector regulariser η.
    pub eta: f64,
    /// Diffusion Net: diffusion time t.
    pub diffusion_time: f64,
    /// SpecNet2: training batches whose `YᵀWY`, `YᵀDY` are summed for Rayleigh–Ritz.
    pub ritz_batches: usize,
    /// Fraction of batches that may be skipped (rank loss, split graph) before failing.
    pub max_skipped_fraction: f64,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        Self {
            graph: BatchGraphParams {
                allow_disconnected: true,
                ..BatchGraphParams::paper_table1()
            },
            k: 10,
            batch_size: 512,
            iterations: 1000,
            learning_rate: 1e-4,
            mlp: MlpConfig::default(),
            mu: 1e-6,
            eta: 1.0,
            diffusion_time: 1.0,
            ritz_batches: 10,
            max_skipped_fraction: 0.1,
            seed: 0,
        }
    }
}

/// What follows the network at inference.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Post {
    None,
    Orthonorm(OrthonormLayer),
    Rotation(DMatrix<f64>),
}

/// A trained baseline.
#[derive(Debug)]
pub struct TrainedBaseline {
    method: Method,
    config: BaselineConfig,
    vs: nn::VarStore,
    net: Mlp,
    mean: DVector<f64>,
    std: DVector<f64>,
    post: Post,
    /// Loss of every step (NaN for a skipped batch).
    pub losses: Vec<f64>,
    /// Batches skipped (rank loss of the outputs, or a graph the method cannot use).
    pub skipped: usize,
}

#[derive(Serialize, Deserialize)]
struct BaselineMeta {
    method: Method,
    config: BaselineConfig,
    mean: DVector<f64>,
    std: DVector<f64>,
    post: Post,
    losses: Vec<f64>,
    skipped: usize,
}

impl TrainedBaseline {
    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The configuration it was trained with.
    pub fn config(&self) -> &BaselineConfig {
        &self.config
    }

    /// Saves the network, its post-processing and its configuration as an atomic checkpoint
    /// directory (the format of [`basis_nn::checkpoint`]).
    pub fn save(&self, dir: impl AsRef<std::path::Path>) -> Result<()> {
        let meta = BaselineMeta {
            method: self.method,
            config: self.config.clone(),
            mean: self.mean.clone(),
            std: self.std.clone(),
            post: self.post.clone(),
            losses: self.losses.clone(),
            skipped: self.skipped,
        };
        write_checkpoint(dir, &named_variables(&self.vs, "net."), &meta)?;
        Ok(())
    }

    /// Loads a model written by [`TrainedBaseline::save`].
    pub fn load(dir: impl AsRef<std::path::Path>) -> Result<Self> {
        let (tensors, meta): (_, BaselineMeta) = read_checkpoint(dir)?;
        let d = meta.mean.len();
        let mut vs = nn::VarStore::new(Device::Cpu);
        let net = Mlp::new(&vs.root(), d, meta.config.k, &meta.config.mlp)?;
        load_variables(&mut vs, &tensors, "net.")?;
        Ok(Self {
            method: meta.method,
            config: meta.config,
            vs,
            net,
            mean: meta.mean,
            std: meta.std,
            post: meta.post,
            losses: meta.losses,
            skipped: meta.skipped,
        })
    }

    /// The network's outputs before any post-processing (SpecNet2's Rayleigh–Ritz can then
    /// be computed on other points, e.g. the test set as the paper did).
    pub fn raw_outputs(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        if x.ncols() != self.mean.len() {
            return Err(MethodError::Shape(format!(
                "model expects {} features, got {}",
                self.mean.len(),
                x.ncols()
            )));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(MethodError::NonFinite("input features".into()));
        }
        let _guard = tch::no_grad_guard();
        let z = standardize(x, &self.mean, &self.std);
        Ok(tensor_to_matrix(&self.net.forward(&matrix_to_tensor(&z)))?)
    }
}

impl Embedder for TrainedBaseline {
    fn name(&self) -> &str {
        self.method.name()
    }
    fn embed(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let y = self.raw_outputs(x)?;
        let y = match &self.post {
            Post::None => y,
            Post::Orthonorm(layer) => layer.apply(&y)?,
            Post::Rotation(o) => y * o,
        };
        crate::method::finite_outputs(y, x)
    }
    fn raw_outputs(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        TrainedBaseline::raw_outputs(self, x)
    }
    fn save(&self, dir: &Path) -> Result<()> {
        TrainedBaseline::save(self, dir)
    }
}

/// [`crate::standardize::standardize`] with the statistics a baseline stores.
pub(crate) fn standardize(
    x: &DMatrix<f64>,
    mean: &DVector<f64>,
    std: &DVector<f64>,
) -> DMatrix<f64> {
    crate::standardize::standardize(x, mean.as_slice(), std.as_slice())
}

/// A baseline run in progress: what every method's training loop works on.
pub(crate) struct BaselineSetup<'a> {
    pub(crate) config: BaselineConfig,
    /// Raw features (graphs are built on them).
    pub(crate) x: &'a DMatrix<f64>,
    /// Standardised features (the network's inputs).
    pub(crate) z: DMatrix<f64>,
    pub(crate) vs: nn::VarStore,
    pub(crate) net: Mlp,
    pub(crate) opt: Adam,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) graphs: BatchGraphBuilder,
    /// Whether the graph's Laplacian is `L_N` (SpectralNet's degree-normalised loss).
    pub(crate) normalized: bool,
    pub(crate) losses: Vec<f64>,
    pub(crate) skipped: usize,
    /// Pipelined batch preparation ([`crate::pipeline`]); `None`: serial.
    pub(crate) pipeline: Option<PipelineConfig>,
}

impl BaselineSetup<'_> {
    /// A batch of `m` distinct training rows.
    pub(crate) fn draw(&mut self) -> Vec<usize> {
        index::sample(&mut self.rng, self.x.nrows(), self.config.batch_size).into_vec()
    }

    /// `config.iterations` training batches, each handed to `step` with its iteration, the
    /// network's inputs (standardised features) and the batch graph's dense affinity (built
    /// on the raw features), as tensors. Serial, or with [`BaselineSetup::pipeline`] prepared
    /// on a worker thread while `step` runs on the previous batch: the same batches in the
    /// same order either way, and the generator left where serial training leaves it.
    pub(crate) fn train_batches(
        &mut self,
        step: &mut dyn FnMut(&mut Self, usize, tch::Tensor, tch::Tensor) -> Result<()>,
    ) -> Result<()> {
        let (iterations, x, m) = (self.config.iterations, self.x, self.config.batch_size);
        // A batch: m distinct rows (as `draw`) and their affinity.
        let next = |rng: &mut ChaCha8Rng, graphs: &mut BatchGraphBuilder| {
            let rows = index::sample(rng, x.nrows(), m).into_vec();
            let w = batch_affinity(graphs, x, &rows)?;
            Ok((rows, w))
        };
        let mut train = |s: &mut Self, it: usize, (rows, w): (Vec<usize>, DMatrix<f64>)| {
            let xt = matrix_to_tensor(&s.z.select_rows(&rows));
            step(s, it, xt, matrix_to_tensor(&w))
        };
        let Some(pipeline) = self.pipeline else {
            for it in 0..iterations {
                let batch = next(&mut self.rng, &mut self.graphs)?;
                train(self, it, batch)?;
            }
            return Ok(());
        };
        let state = (self.rng.clone(), BatchGraphBuilder::new(self.config.graph)?);
        let (rng, _) = run_pipelined(
            &pipeline,
            iterations,
            state,
            |(rng, graphs), _| next(rng, graphs),
            |it, batch, _| train(self, it, batch),
        )?;
        self.rng = rng;
        Ok(())
    }

    /// Counts a skipped batch (loss NaN); too many is `MethodError::TooManySkipped`.
    pub(crate) fn skip(&mut self, it: usize, why: String) -> Result<()> {
        self.skipped += 1;
        self.losses.push(f64::NAN);
        if self.skipped as f64 > self.config.max_skipped_fraction * self.config.iterations as f64 {
            return Err(MethodError::TooManySkipped {
                skipped: self.skipped,
                total: it + 1,
                reason: why,
            });
        }
        Ok(())
    }
}

/// Trains the baseline `method` on the rows of `x`.
pub fn fit_baseline(
    method: Method,
    x: &DMatrix<f64>,
    config: &BaselineConfig,
    observer: &mut dyn FnMut(usize, f64),
) -> Result<TrainedBaseline> {
    fit_baseline_with(method, x, config, None, observer)
}

/// [`fit_baseline`], with SpectralNet's and SpecNet2's batches (sampling and batch graph)
/// prepared on a worker thread while the network steps when `pipeline` is given
/// ([`crate::pipeline`]). The result is bit-identical to serial training at the same
/// libtorch thread count. Diffusion Net trains on one fixed batch and ignores `pipeline`.
pub fn fit_baseline_with(
    method: Method,
    x: &DMatrix<f64>,
    config: &BaselineConfig,
    pipeline: Option<&PipelineConfig>,
    observer: &mut dyn FnMut(usize, f64),
) -> Result<TrainedBaseline> {
    if let Some(p) = pipeline {
        p.check()?;
    }
    let (n, d) = x.shape();
    let c = config;
    if c.mlp.hidden.contains(&0) {
        return Err(MethodError::InvalidConfig(format!(
            "hidden widths must be >= 1, got {:?}",
            c.mlp.hidden
        )));
    }
    if n == 0 || d == 0 || c.k == 0 || c.iterations == 0 || c.batch_size <= c.k || c.batch_size > n
    {
        return Err(MethodError::Shape(format!(
            "need 0 < K < batch size ≤ n and iterations ≥ 1; got n = {n}, d = {d}, K = {}, m = {}, iterations = {}",
            c.k, c.batch_size, c.iterations
        )));
    }
    basis_data::limits::check_steps("iterations", c.iterations)
        .map_err(MethodError::InvalidConfig)?;
    if x.iter().any(|v| !v.is_finite()) {
        return Err(MethodError::NonFinite("training features".into()));
    }
    if matches!(method, Method::Basis | Method::NeuralEf) {
        return Err(MethodError::InvalidConfig(format!(
            "{} is not a baseline: train it with Method::fit",
            method.name()
        )));
    }
    c.graph.check_batch_size(c.batch_size)?;
    let (mean, std) = crate::standardize::column_mean_std(x);
    let (mean, std) = (DVector::from_vec(mean), DVector::from_vec(std));
    let z = standardize(x, &mean, &std);
    let vs = nn::VarStore::new(Device::Cpu);
    let mut net = Mlp::new(&vs.root(), d, c.k, &c.mlp)?;
    net.init_from_seed(c.seed);
    let opt = Adam::new(&vs, AdamParams::with_learning_rate(c.learning_rate))?;
    let mut setup = BaselineSetup {
        config: c.clone(),
        x,
        z,
        vs,
        net,
        opt,
        rng: ChaCha8Rng::seed_from_u64(c.seed ^ 0xBA5E_11E5),
        graphs: BatchGraphBuilder::new(c.graph)?,
        normalized: c.graph.laplacian == LaplacianKind::SymmetricNormalized,
        losses: Vec::new(),
        skipped: 0,
        pipeline: pipeline.copied(),
    };
    let post = match method {
        Method::SpectralNet => crate::spectralnet::train(&mut setup, observer)?,
        Method::SpecNet2 => crate::specnet2::train(&mut setup, observer)?,
        Method::DiffusionNet => crate::diffusion_net::train(&mut setup, observer)?,
        Method::Basis | Method::NeuralEf => unreachable!("rejected above"),
    };
    Ok(TrainedBaseline {
        method,
        config: c.clone(),
        vs: setup.vs,
        net: setup.net,
        mean,
        std,
        post,
        losses: setup.losses,
        skipped: setup.skipped,
    })
}

/// The dense affinity of the batch `rows` of `x` (graphs are built on the raw features).
pub(crate) fn batch_affinity(
    graphs: &mut BatchGraphBuilder,
    x: &DMatrix<f64>,
    rows: &[usize],
) -> Result<DMatrix<f64>> {
    Ok(graphs.build(&x.select_rows(rows))?.affinity.clone())
}

/// One Adam step on `loss`; a non-finite loss is `NnError::Diverged`.
pub(crate) fn adam_step(
    opt: &mut Adam,
    loss: &tch::Tensor,
    it: usize,
    observer: &mut dyn FnMut(usize, f64),
    losses: &mut Vec<f64>,
) -> Result<()> {
    opt.backward_step(loss);
    let v = loss.double_value(&[]);
    if !v.is_finite() {
        return Err(NnError::Diverged {
            iteration: it,
            loss: v,
        }
        .into());
    }
    observer(it, v);
    losses.push(v);
    Ok(())
}
