//! Training ([`fit_neuralef`]) and the trained model ([`NeuralEfModel`]): embedding, the
//! Gumbel head's clusters, eigenvalue estimates, atomic checkpoints.

use super::hyperparams::{Head, KernelSpec, NeuralEfConfig, Objective};
use super::loss::{
    BatchLoss, batch_rms_normalize, column_unit_normalize, gumbel_softmax, neural_eigenmaps_loss,
    neuralef_loss,
};
use super::network::NeuralEfNet;
use crate::baselines::standardize;
use crate::method::Method;
use crate::pipeline::{PipelineConfig, run_pipelined};
use crate::{MethodError, Result};
use basis_graph::BatchGraphBuilder;
use basis_nn::NnError;
use basis_nn::adam::{Adam, AdamParams};
use basis_nn::checkpoint::{load_variables, named_variables, read_checkpoint, write_checkpoint};
use basis_nn::convert::{matrix_to_tensor, tensor_to_matrix};
use nalgebra::{DMatrix, DVector};
use nalgebra_sparse::CsrMatrix;
use rand::seq::index;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Device, Kind, Tensor, nn};

/// Iterations between two entries of [`NeuralEfModel::eigenvalue_history`].
pub const HISTORY_EVERY: usize = 10;

/// A trained NeuralEF model.
#[derive(Debug)]
pub struct NeuralEfModel {
    config: NeuralEfConfig,
    vs: nn::VarStore,
    net: NeuralEfNet,
    mean: DVector<f64>,
    std: DVector<f64>,
    /// EMA of each output column's RMS over the training batches (the inference normaliser).
    running_rms: Vec<f64>,
    /// EMA of `diag(R) / t`: the eigenvalue estimates, in the network's column order.
    eigenvalues: Vec<f64>,
    /// The eigenvalue estimates every [`HISTORY_EVERY`] iterations (the convergence curve).
    pub eigenvalue_history: Vec<Vec<f64>>,
    /// The objective's value at every step.
    pub losses: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    method: Method,
    config: NeuralEfConfig,
    mean: DVector<f64>,
    std: DVector<f64>,
    running_rms: Vec<f64>,
    eigenvalues: Vec<f64>,
    eigenvalue_history: Vec<Vec<f64>>,
    #[serde(with = "nan_vec")]
    losses: Vec<f64>,
}

/// Losses as JSON numbers, NaN as `null` (none are expected: a NaN loss stops training).
mod nan_vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let o: Vec<Option<f64>> = v.iter().map(|x| x.is_finite().then_some(*x)).collect();
        o.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let o: Vec<Option<f64>> = Vec::deserialize(d)?;
        Ok(o.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

/// The kernel matrix `M` of a batch (`R = ψᵀMψ/B`), from the batch's raw features.
struct KernelBuilder {
    spec: KernelSpec,
    graphs: Option<BatchGraphBuilder>,
}

impl KernelBuilder {
    fn new(config: &NeuralEfConfig) -> Result<Self> {
        let graphs = match config.kernel {
            KernelSpec::NormalizedGraph => Some(BatchGraphBuilder::new(config.graph)?),
            KernelSpec::Gaussian { .. } => None,
        };
        Ok(Self {
            spec: config.kernel,
            graphs,
        })
    }

    fn matrix(&mut self, xb: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let b = xb.nrows();
        match (self.spec, self.graphs.as_mut()) {
            (KernelSpec::Gaussian { length_scale }, _) => {
                let s = 2.0 * length_scale * length_scale;
                Ok(DMatrix::from_fn(b, b, |i, j| {
                    let d2: f64 = (xb.row(i) - xb.row(j)).norm_squared();
                    (-d2 / s).exp() / b as f64
                }))
            }
            (_, Some(graphs)) => {
                let w = &graphs.build(xb)?.affinity;
                Ok(normalized_affinity(w))
            }
            (KernelSpec::NormalizedGraph, None) => unreachable!("built with a graph builder"),
        }
    }
}

/// `D^{-1/2} W D^{-1/2}` of a dense affinity; a node of degree 0 keeps a zero row and column.
pub fn normalized_affinity(w: &DMatrix<f64>) -> DMatrix<f64> {
    let inv_sqrt: Vec<f64> = w
        .row_iter()
        .map(|r| {
            let d: f64 = r.iter().sum();
            if d > 0.0 { 1.0 / d.sqrt() } else { 0.0 }
        })
        .collect();
    DMatrix::from_fn(w.nrows(), w.ncols(), |i, j| {
        w[(i, j)] * inv_sqrt[i] * inv_sqrt[j]
    })
}

fn ema(running: &mut Vec<f64>, value: &[f64], momentum: f64) {
    if running.is_empty() {
        running.extend_from_slice(value);
    } else {
        for (r, v) in running.iter_mut().zip(value) {
            *r = momentum * *r + (1.0 - momentum) * v;
        }
    }
}

/// The B × B symmetric kernel matrix `M` of a batch, dense or sparse. A sparse kernel (a kNN
/// graph's) is multiplied as a sparse tensor: its cost and its conversion scale with the
/// non-zeros, not with B².
#[derive(Debug, Clone, PartialEq)]
pub enum BatchKernel {
    /// Dense.
    Dense(DMatrix<f64>),
    /// Sparse (CSR).
    Sparse(CsrMatrix<f64>),
}

impl BatchKernel {
    fn shape(&self) -> (usize, usize) {
        match self {
            Self::Dense(m) => m.shape(),
            Self::Sparse(m) => (m.nrows(), m.ncols()),
        }
    }

    fn is_finite(&self) -> bool {
        match self {
            Self::Dense(m) => m.iter().all(|v| v.is_finite()),
            Self::Sparse(m) => m.values().iter().all(|v| v.is_finite()),
        }
    }

    fn to_tensor(&self) -> Tensor {
        match self {
            Self::Dense(m) => matrix_to_tensor(m),
            Self::Sparse(m) => {
                let nnz = m.nnz();
                let mut idx = Vec::with_capacity(2 * nnz);
                idx.extend(m.triplet_iter().map(|(i, _, _)| i as i64));
                idx.extend(m.triplet_iter().map(|(_, j, _)| j as i64));
                let vals: Vec<f32> = m.values().iter().map(|&v| v as f32).collect();
                Tensor::sparse_coo_tensor_indices_size(
                    &Tensor::from_slice(&idx).view([2, nnz as i64]),
                    &Tensor::from_slice(&vals),
                    [m.nrows() as i64, m.ncols() as i64],
                    (Kind::Float, Device::Cpu),
                    true,
                )
            }
        }
    }
}

/// One training batch given by the caller: rows of the training matrix and the kernel
/// matrix `M` over them (`R = ψᵀMψ/B`, B = `rows.len()`).
#[derive(Debug, Clone, PartialEq)]
pub struct KernelBatch {
    /// Rows of the training matrix, in the order of `kernel`'s rows.
    pub rows: Vec<usize>,
    /// The B × B symmetric kernel over those rows.
    pub kernel: BatchKernel,
}

/// Trains NeuralEF on the rows of `x` (n × d) with `config`; `observer` sees
/// (iteration, objective value) after every step. Batches are `config.batch_size` rows drawn
/// uniformly without replacement, their kernel from `config.kernel`.
pub fn fit_neuralef(
    x: &DMatrix<f64>,
    config: &NeuralEfConfig,
    observer: &mut dyn FnMut(usize, f64),
) -> Result<NeuralEfModel> {
    fit_neuralef_with(x, config, None, observer)
}

/// [`fit_neuralef`], with each batch (its rows and kernel) prepared on a worker thread while
/// the network steps on the previous one when `pipeline` is given ([`crate::pipeline`]);
/// bit-identical to serial training at the same libtorch thread count.
pub fn fit_neuralef_with(
    x: &DMatrix<f64>,
    config: &NeuralEfConfig,
    pipeline: Option<&PipelineConfig>,
    observer: &mut dyn FnMut(usize, f64),
) -> Result<NeuralEfModel> {
    config.check()?;
    let n = x.nrows();
    if config.batch_size > n {
        return Err(MethodError::Shape(format!(
            "batch size {} exceeds the {n} training points",
            config.batch_size
        )));
    }
    let mut kernels = KernelBuilder::new(config)?;
    let b = config.batch_size;
    let mut uniform = |_: usize, rng: &mut ChaCha8Rng| {
        let rows = index::sample(rng, n, b).into_vec();
        let kernel = BatchKernel::Dense(kernels.matrix(&x.select_rows(&rows))?);
        Ok(KernelBatch { rows, kernel })
    };
    let source = match pipeline {
        Some(p) => BatchSource::Pipelined(&mut uniform, *p),
        None => BatchSource::Serial(&mut uniform),
    };
    fit_from(x, config, source, observer)
}

/// Where the training loop's batches come from.
enum BatchSource<'a> {
    /// Called in line, before each step.
    Serial(&'a mut dyn FnMut(usize, &mut ChaCha8Rng) -> Result<KernelBatch>),
    /// Called on a worker thread, ahead of the steps.
    Pipelined(
        &'a mut (dyn FnMut(usize, &mut ChaCha8Rng) -> Result<KernelBatch> + Send),
        PipelineConfig,
    ),
}

/// Trains NeuralEF on the rows of `x` with batches from `next_batch` (called with the
/// iteration and the batch generator seeded from `config.seed`), e.g. the patches of a few
/// images and the segmenter's kernel over them. `config.kernel`, `config.graph` and
/// `config.batch_size` are not used; every batch must hold more than K rows.
pub fn fit_neuralef_with_batches(
    x: &DMatrix<f64>,
    config: &NeuralEfConfig,
    next_batch: &mut dyn FnMut(usize, &mut ChaCha8Rng) -> Result<KernelBatch>,
    observer: &mut dyn FnMut(usize, f64),
) -> Result<NeuralEfModel> {
    fit_from(x, config, BatchSource::Serial(next_batch), observer)
}

/// [`fit_neuralef_with_batches`] with `next_batch` called on a worker thread, ahead of the
/// network's steps ([`crate::pipeline`]): the same batches in the same order, the same
/// weights bit for bit at the same libtorch thread count.
pub fn fit_neuralef_with_batches_pipelined(
    x: &DMatrix<f64>,
    config: &NeuralEfConfig,
    next_batch: &mut (dyn FnMut(usize, &mut ChaCha8Rng) -> Result<KernelBatch> + Send),
    pipeline: &PipelineConfig,
    observer: &mut dyn FnMut(usize, f64),
) -> Result<NeuralEfModel> {
    fit_from(
        x,
        config,
        BatchSource::Pipelined(next_batch, *pipeline),
        observer,
    )
}

/// The training loop behind every `fit_neuralef*`.
fn fit_from(
    x: &DMatrix<f64>,
    config: &NeuralEfConfig,
    source: BatchSource<'_>,
    observer: &mut dyn FnMut(usize, f64),
) -> Result<NeuralEfModel> {
    config.check()?;
    let (n, d) = x.shape();
    if n == 0 || d == 0 {
        return Err(MethodError::Shape(format!(
            "NeuralEF: empty training data (got n = {n}, d = {d})"
        )));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(MethodError::NonFinite("training features".into()));
    }
    let c = config;
    let (mean, std) = crate::standardize::column_mean_std(x);
    let (mean, std) = (DVector::from_vec(mean), DVector::from_vec(std));
    let z = standardize(x, &mean, &std);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = NeuralEfNet::new(&vs.root(), d, c)?;
    let mut opt = Adam::new(&vs, AdamParams::with_learning_rate(c.learning_rate))?;
    let batches = ChaCha8Rng::seed_from_u64(c.seed ^ 0x4E45_F00D);
    let mut noise = ChaCha8Rng::seed_from_u64(c.seed ^ 0x6A3B_E110);
    let k = c.k;
    let root_t = c.output_scale.sqrt();
    let mut running_rms = Vec::new();
    let mut eigenvalues = Vec::new();
    let mut history = Vec::new();
    let mut losses = Vec::new();
    let mut step = |it: usize, KernelBatch { rows, kernel }: KernelBatch| -> Result<()> {
        let b = rows.len();
        if b <= k || kernel.shape() != (b, b) || rows.iter().any(|&r| r >= n) {
            return Err(MethodError::Shape(format!(
                "NeuralEF batch {it}: {b} rows (need > K = {k}, all < {n}) and a {}×{} kernel",
                kernel.shape().0,
                kernel.shape().1
            )));
        }
        if !kernel.is_finite() {
            return Err(MethodError::NonFinite(format!("the kernel of batch {it}")));
        }
        let m = kernel.to_tensor();
        let out = net.forward(&matrix_to_tensor(&z.select_rows(&rows)));
        let (psi, rms) = match c.head {
            Head::Linear => batch_rms_normalize(&out),
            Head::Gumbel => {
                let uniforms = c.gumbel_noise.then(|| {
                    let u: Vec<f32> = (0..b * k).map(|_| noise.random::<f32>()).collect();
                    Tensor::from_slice(&u).view([b as i64, k as i64])
                });
                let p = gumbel_softmax(&out, c.temperature(it), uniforms.as_ref());
                column_unit_normalize(&p)
            }
        };
        let psi = psi * root_t;
        let BatchLoss {
            surrogate,
            value,
            rayleigh,
        } = match c.objective {
            Objective::NeuralEf => neuralef_loss(&psi, &m),
            Objective::NeuralEigenmaps => {
                neural_eigenmaps_loss(&psi, &m, c.alpha(), c.stop_gradient)
            }
        };
        if !value.is_finite() {
            return Err(NnError::Diverged {
                iteration: it,
                loss: value,
            }
            .into());
        }
        opt.set_learning_rate(c.schedule.learning_rate(c.learning_rate, it, c.iterations))?;
        opt.backward_step(&surrogate);
        ema(&mut running_rms, &rms, c.momentum);
        let lambda: Vec<f64> = rayleigh.iter().map(|r| r / c.output_scale).collect();
        ema(&mut eigenvalues, &lambda, c.momentum);
        if it % HISTORY_EVERY == 0 || it + 1 == c.iterations {
            history.push(eigenvalues.clone());
        }
        observer(it, value);
        losses.push(value);
        Ok(())
    };
    match source {
        BatchSource::Serial(next_batch) => {
            let mut batches = batches;
            for it in 0..c.iterations {
                step(it, next_batch(it, &mut batches)?)?;
            }
        }
        BatchSource::Pipelined(next_batch, pipeline) => {
            run_pipelined(
                &pipeline,
                c.iterations,
                batches,
                |rng, it| next_batch(it, rng),
                |it, batch, _| step(it, batch),
            )?;
        }
    }
    Ok(NeuralEfModel {
        config: c.clone(),
        vs,
        net,
        mean,
        std,
        running_rms,
        eigenvalues,
        eigenvalue_history: history,
        losses,
    })
}

impl NeuralEfModel {
    /// The configuration it was trained with.
    pub fn config(&self) -> &NeuralEfConfig {
        &self.config
    }

    /// The eigenvalue estimates (EMA of `diag(R)/t`), in the network's column order.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The Gumbel head's last weight, if it is orthogonal (for tests and diagnostics).
    pub fn orthogonal_weight(&self) -> Option<DMatrix<f64>> {
        self.net.orthogonal_weight()
    }

    fn checked_input(&self, x: &DMatrix<f64>) -> Result<Tensor> {
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
        Ok(matrix_to_tensor(&standardize(x, &self.mean, &self.std)))
    }

    /// The network's forward pass on `x`: raw outputs (linear head) or logits (Gumbel head).
    pub fn raw_outputs(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let z = self.checked_input(x)?;
        let _g = tch::no_grad_guard();
        Ok(tensor_to_matrix(&self.net.forward(&z))?)
    }

    /// The eigenfunctions at the rows of `x` (n × K): the outputs divided by their running RMS
    /// (linear head), or `softmax(logits / τ_min)` divided by its running RMS (Gumbel head).
    pub fn embed(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let z = self.checked_input(x)?;
        let _g = tch::no_grad_guard();
        let out = self.net.forward(&z);
        let out = match self.config.head {
            Head::Linear => out,
            Head::Gumbel => (out / self.config.tau_min).softmax(1, Kind::Float),
        };
        let rms: Vec<f32> = self
            .running_rms
            .iter()
            .map(|&r| r.max(1e-12) as f32)
            .collect();
        let y = tensor_to_matrix(&(out / Tensor::from_slice(&rms).unsqueeze(0)))?;
        crate::method::finite_outputs(y, x)
    }

    /// The Gumbel head's clusters of the rows of `x`: the argmax of the logits (no k-means).
    /// `None` for the linear head.
    pub fn clusters(&self, x: &DMatrix<f64>) -> Option<Result<Vec<usize>>> {
        if self.config.head != Head::Gumbel {
            return None;
        }
        Some(self.raw_outputs(x).and_then(|logits| {
            if logits.iter().any(|v| !v.is_finite()) {
                return Err(crate::method::finite_outputs(logits, x).unwrap_err());
            }
            Ok(logits
                .row_iter()
                .map(|r| r.transpose().argmax().0)
                .collect())
        }))
    }

    /// Writes the model as an atomic checkpoint directory ([`basis_nn::checkpoint`]).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let meta = Meta {
            method: Method::NeuralEf,
            config: self.config.clone(),
            mean: self.mean.clone(),
            std: self.std.clone(),
            running_rms: self.running_rms.clone(),
            eigenvalues: self.eigenvalues.clone(),
            eigenvalue_history: self.eigenvalue_history.clone(),
            losses: self.losses.clone(),
        };
        write_checkpoint(dir, &named_variables(&self.vs, "net."), &meta)?;
        Ok(())
    }

    /// Loads a model written by [`NeuralEfModel::save`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let (tensors, meta): (_, Meta) = read_checkpoint(dir)?;
        if meta.method != Method::NeuralEf {
            return Err(MethodError::InvalidConfig(format!(
                "the checkpoint holds a {} model, not NeuralEF",
                meta.method.name()
            )));
        }
        meta.config.check()?;
        let d = meta.mean.len();
        let k = meta.config.k;
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if d == 0
            || meta.std.len() != d
            || meta.running_rms.len() != k
            || meta.eigenvalues.len() != k
            || !finite(meta.mean.as_slice())
            || !finite(meta.std.as_slice())
            || !finite(&meta.running_rms)
            || meta.std.iter().any(|&s| s <= 0.0)
            || meta.running_rms.iter().any(|&s| s < 0.0)
        {
            return Err(MethodError::Nn(NnError::Checkpoint(format!(
                "NeuralEF checkpoint: inconsistent statistics (d = {d}, K = {k}, {} stds, {} norms, {} eigenvalues) or non-finite / non-positive values",
                meta.std.len(),
                meta.running_rms.len(),
                meta.eigenvalues.len()
            ))));
        }
        let mut vs = nn::VarStore::new(Device::Cpu);
        let net = NeuralEfNet::new(&vs.root(), d, &meta.config)?;
        load_variables(&mut vs, &tensors, "net.")?;
        Ok(Self {
            config: meta.config,
            vs,
            net,
            mean: meta.mean,
            std: meta.std,
            running_rms: meta.running_rms,
            eigenvalues: meta.eigenvalues,
            eigenvalue_history: meta.eigenvalue_history,
            losses: meta.losses,
        })
    }
}
