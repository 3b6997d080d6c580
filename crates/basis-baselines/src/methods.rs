//! The three baselines as trainers behind one small interface ([`Embedder`]): fit on the
//! rows of a training matrix with a [`BaselineConfig`], then embed any points.
//!
//! - **SpectralNet** (Eq. 8): each iteration draws a batch, orthonormalises the network's
//!   outputs on it (`Y = √m Q`, QR differentiated through, as SpectralNet's layer in
//!   training mode) and takes an Adam step on the degree-normalised ratio-cut loss. A batch
//!   whose outputs lost rank is skipped (counted), never a crash. For inference the layer's
//!   weights `√m R⁻¹` ([`OrthonormLayer`]) are fitted on a final training batch and stored.
//!   (Treating the weights as constants instead — no gradient through the QR — left the
//!   network at NMI 0.51 on three blobs after 300 steps; with it, 1.0.)
//! - **SpecNet2** (Eq. 9–10): Adam on the orthogonalisation-free loss; afterwards the
//!   Rayleigh–Ritz rotation is computed from training batches only (accumulated `YᵀWY`,
//!   `YᵀDY`) and stored.
//! - **Diffusion Net** (Eq. 7): as in the paper's comparison, one batch of m training points:
//!   its diffusion map is the target, and the encoder is trained on that batch alone (the
//!   method needs the whole training set's embedding in advance, so it cannot use
//!   mini-batches).
//!
//! Networks are the same MLP as BASiS's, inputs standardised with the training set's
//! statistics (graphs are built on the raw features, as BASiS's), all randomness from
//! `config.seed`.

use crate::losses::{diffusion_net_loss, specnet2_loss, spectralnet_loss};
use crate::orthonorm::{DEFAULT_RCOND, OrthonormLayer};
use crate::rayleigh_ritz::rayleigh_ritz;
use crate::{BaselineError, Result};
use basis_graph::{BatchGraphBuilder, BatchGraphParams, LaplacianKind};
use basis_nn::adam::{Adam, AdamParams};
use basis_nn::checkpoint::{load_variables, named_variables, read_checkpoint, write_checkpoint};
use basis_nn::convert::{matrix_to_tensor, tensor_to_matrix};
use basis_nn::experiment::{anchors_for_seed, seeded_basis_config};
use basis_nn::{BasisConfig, Mlp, MlpConfig, NnError};
use basis_spectral::{DiffusionParams, diffusion_map};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Device, nn};

/// A method of the comparison: BASiS or one of the three baselines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// BASiS, Algorithm 1 (paper Sec. 4).
    Basis,
    /// Mishne et al.'s Diffusion Net encoder (Eq. 7).
    DiffusionNet,
    /// Shaham et al.'s SpectralNet (Eq. 8).
    SpectralNet,
    /// Chen et al.'s SpecNet2 (Eq. 9–10).
    SpecNet2,
}

impl Method {
    /// Every method, in the paper's Table 1 order with BASiS first.
    pub const ALL: [Method; 4] = [
        Method::Basis,
        Method::DiffusionNet,
        Method::SpectralNet,
        Method::SpecNet2,
    ];

    /// Name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::Basis => "BASiS",
            Method::DiffusionNet => "Diffusion Net",
            Method::SpectralNet => "SpectralNet",
            Method::SpecNet2 => "SpecNet2",
        }
    }

    /// Name usable as a directory (`spectralnet`, `diffusion-net`, ...).
    pub fn slug(self) -> &'static str {
        match self {
            Method::Basis => "basis",
            Method::DiffusionNet => "diffusion-net",
            Method::SpectralNet => "spectralnet",
            Method::SpecNet2 => "specnet2",
        }
    }

    /// The method with this [`Method::slug`].
    pub fn from_slug(slug: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.slug() == slug)
    }

    /// Whether the paper also scored this method after a post-processing fitted on the test
    /// set itself (SpecNet2's Rayleigh–Ritz, Eq. 10). Comparisons add that as a second row.
    pub fn paper_post_processes_on_test_set(self) -> bool {
        self == Method::SpecNet2
    }

    /// Trains this method on `train` with `config`, every random choice from `seed`.
    /// `observer` sees (iteration, loss) after every step.
    pub fn fit(
        self,
        train: &TrainingSet<'_>,
        config: &MethodConfig,
        seed: u64,
        observer: &mut dyn FnMut(usize, f64),
    ) -> Result<Box<dyn Embedder>> {
        if train.labels.len() != train.features.nrows() {
            return Err(BaselineError::Shape(format!(
                "{} labels for {} training points",
                train.labels.len(),
                train.features.nrows()
            )));
        }
        match self {
            Method::Basis => {
                let basis = seeded_basis_config(&config.basis, seed);
                let anchors = anchors_for_seed(train.labels, config.anchors_per_class, seed)?;
                let (model, _) =
                    basis_nn::BasisModel::fit(train.features, &anchors, &basis, &mut |log| {
                        observer(log.iteration, log.loss)
                    })?;
                Ok(Box::new(model))
            }
            baseline => Ok(Box::new(fit_baseline(
                baseline,
                train.features,
                &config.baseline_config(seed),
                observer,
            )?)),
        }
    }

    /// Loads a model of this method written by [`Embedder::save`].
    pub fn load(self, dir: &Path) -> Result<Box<dyn Embedder>> {
        match self {
            Method::Basis => Ok(Box::new(basis_nn::BasisModel::load(dir)?)),
            baseline => {
                let model = TrainedBaseline::load(dir)?;
                if model.method() != baseline {
                    return Err(BaselineError::InvalidConfig(format!(
                        "{} holds a {} model, not {}",
                        dir.display(),
                        model.method().name(),
                        baseline.name()
                    )));
                }
                Ok(Box::new(model))
            }
        }
    }
}

/// The points a method is trained on. The labels are used only to draw BASiS's anchors per
/// class (as the paper does); the baselines ignore them.
#[derive(Debug, Clone, Copy)]
pub struct TrainingSet<'a> {
    /// Features, n × d.
    pub features: &'a DMatrix<f64>,
    /// One class label per row.
    pub labels: &'a [usize],
}

/// Configuration of every method of a comparison. BASiS's graph, K, batch size and iteration
/// count are used by all four (the paper's comparison shares them); `baseline` holds the
/// baselines' own settings. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodConfig {
    /// BASiS (Algorithm 1) and the shared settings.
    pub basis: BasisConfig,
    /// BASiS's anchors drawn from every class of the training set.
    pub anchors_per_class: usize,
    /// The baselines' own settings; their graph, K, m and iterations are replaced by BASiS's.
    pub baseline: BaselineConfig,
}

impl Default for MethodConfig {
    /// The paper's Table 1 setting (see [`basis_nn::experiment::paper_basis_config`]), 25
    /// anchors per class, baselines with Adam 1e-3 (1e-4 leaves SpectralNet and SpecNet2
    /// far from converged in 1000 steps).
    fn default() -> Self {
        Self {
            basis: basis_nn::experiment::paper_basis_config(),
            anchors_per_class: 25,
            baseline: BaselineConfig {
                learning_rate: 1e-3,
                ..Default::default()
            },
        }
    }
}

impl MethodConfig {
    /// The baselines' configuration for `seed`, with the shared settings taken from BASiS's.
    pub fn baseline_config(&self, seed: u64) -> BaselineConfig {
        BaselineConfig {
            graph: self.basis.graph,
            k: self.basis.embedding.k,
            batch_size: self.basis.batch_size,
            iterations: self.basis.iterations,
            seed,
            ..self.baseline.clone()
        }
    }
}

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

/// A trained model of any method: maps points to embedding coordinates and saves itself.
/// [`Method::fit`] and [`Method::load`] return it, so a comparison loops over
/// [`Method::ALL`] without special cases.
pub trait Embedder: std::fmt::Debug {
    /// Name used in tables.
    fn name(&self) -> &str;
    /// Coordinates of the rows of `x` (n × d) → n × K.
    fn embed(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>>;
    /// The network's outputs before any post-processing fitted after training (SpecNet2's
    /// Rayleigh–Ritz rotation, SpectralNet's orthonormalisation); by default the embedding.
    fn raw_outputs(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.embed(x)
    }
    /// Writes the model as an atomic checkpoint directory ([`basis_nn::checkpoint`]).
    fn save(&self, dir: &Path) -> Result<()>;
}

impl Embedder for basis_nn::BasisModel {
    fn name(&self) -> &str {
        "BASiS"
    }
    fn embed(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        Ok(basis_nn::BasisModel::embed(self, x)?)
    }
    fn save(&self, dir: &Path) -> Result<()> {
        Ok(basis_nn::BasisModel::save(self, dir)?)
    }
}

/// What follows the network at inference.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Post {
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
        let net = Mlp::new(&vs.root(), d, meta.config.k, &meta.config.mlp);
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
            return Err(BaselineError::Shape(format!(
                "model expects {} features, got {}",
                self.mean.len(),
                x.ncols()
            )));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(BaselineError::NonFinite("input features".into()));
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
        match &self.post {
            Post::None => Ok(y),
            Post::Orthonorm(layer) => layer.apply(&y),
            Post::Rotation(o) => Ok(y * o),
        }
    }
    fn raw_outputs(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        TrainedBaseline::raw_outputs(self, x)
    }
    fn save(&self, dir: &Path) -> Result<()> {
        TrainedBaseline::save(self, dir)
    }
}

fn standardize(x: &DMatrix<f64>, mean: &DVector<f64>, std: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| (x[(i, j)] - mean[j]) / std[j])
}

fn nn_err(e: impl Into<NnError>) -> BaselineError {
    BaselineError::Nn(e.into())
}

/// Trains `method` on the rows of `x`.
pub fn fit_baseline(
    method: Method,
    x: &DMatrix<f64>,
    config: &BaselineConfig,
    observer: &mut dyn FnMut(usize, f64),
) -> Result<TrainedBaseline> {
    let (n, d) = x.shape();
    let c = config;
    if n == 0 || d == 0 || c.k == 0 || c.iterations == 0 || c.batch_size <= c.k || c.batch_size > n
    {
        return Err(BaselineError::Shape(format!(
            "need 0 < K < batch size ≤ n and iterations ≥ 1; got n = {n}, d = {d}, K = {}, m = {}, iterations = {}",
            c.k, c.batch_size, c.iterations
        )));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(BaselineError::NonFinite("training features".into()));
    }
    c.graph.check_batch_size(c.batch_size).map_err(nn_err)?;
    let mean = DVector::from_iterator(d, x.column_iter().map(|col| col.mean()));
    let std = DVector::from_iterator(
        d,
        x.column_iter().zip(mean.iter()).map(|(col, m)| {
            let v = col.iter().map(|t| (t - m).powi(2)).sum::<f64>() / n as f64;
            if v > 0.0 { v.sqrt() } else { 1.0 }
        }),
    );
    let z = standardize(x, &mean, &std);
    let vs = nn::VarStore::new(Device::Cpu);
    let mut net = Mlp::new(&vs.root(), d, c.k, &c.mlp);
    net.init_from_seed(c.seed);
    let mut opt =
        Adam::new(&vs, AdamParams::with_learning_rate(c.learning_rate)).map_err(nn_err)?;
    let mut rng = ChaCha8Rng::seed_from_u64(c.seed ^ 0xBA5E_11E5);
    let mut graphs = BatchGraphBuilder::new(c.graph).map_err(nn_err)?;
    let draw = |rng: &mut ChaCha8Rng| index::sample(rng, n, c.batch_size).into_vec();
    let normalized = c.graph.laplacian == LaplacianKind::SymmetricNormalized;
    let mut losses = Vec::with_capacity(c.iterations);
    let mut skipped = 0usize;
    let skip = |losses: &mut Vec<f64>, skipped: &mut usize, it: usize, why: String| {
        *skipped += 1;
        losses.push(f64::NAN);
        if *skipped as f64 > c.max_skipped_fraction * c.iterations as f64 {
            return Err(BaselineError::Nn(NnError::TooManySkipped {
                skipped: *skipped,
                total: it + 1,
                reason: why,
            }));
        }
        Ok(())
    };
    let post = match method {
        Method::SpectralNet | Method::SpecNet2 => {
            for it in 0..c.iterations {
                let rows = draw(&mut rng);
                let zb = z.select_rows(&rows);
                let w = batch_affinity(&mut graphs, x, &rows)?;
                let wt = matrix_to_tensor(&w);
                let xt = matrix_to_tensor(&zb);
                let loss = if method == Method::SpectralNet {
                    // The orthonormalisation of this batch's outputs, differentiated through
                    // (SpectralNet's layer in training mode): Y = √m Q with Y_raw = QR. The
                    // rank is checked first, so a collapsed output skips the batch instead of
                    // differentiating a singular factorisation.
                    let out = net.forward(&xt);
                    let y_raw = tensor_to_matrix(&out.detach()).map_err(nn_err)?;
                    if let Err(e) = OrthonormLayer::fit(&y_raw, DEFAULT_RCOND) {
                        skip(&mut losses, &mut skipped, it, e.to_string())?;
                        continue;
                    }
                    let (q, _) = tch::Tensor::linalg_qr(&out, "reduced");
                    let y = q * (c.batch_size as f64).sqrt();
                    spectralnet_loss(&y, &wt, normalized)
                } else {
                    specnet2_loss(&net.forward(&xt), &wt)
                };
                adam_step(&mut opt, &loss, it, observer, &mut losses)?;
            }
            let _g = tch::no_grad_guard();
            if method == Method::SpectralNet {
                let rows = draw(&mut rng);
                let y = tensor_to_matrix(&net.forward(&matrix_to_tensor(&z.select_rows(&rows))))
                    .map_err(nn_err)?;
                Post::Orthonorm(OrthonormLayer::fit(&y, DEFAULT_RCOND)?)
            } else {
                // Rayleigh–Ritz from training batches only: Σ YᵀWY and Σ YᵀDY.
                let mut y_all = DMatrix::zeros(0, c.k);
                let mut wy_all = DMatrix::zeros(0, c.k);
                let mut d_all = Vec::new();
                for _ in 0..c.ritz_batches.max(1) {
                    let rows = draw(&mut rng);
                    let w = batch_affinity(&mut graphs, x, &rows)?;
                    let y =
                        tensor_to_matrix(&net.forward(&matrix_to_tensor(&z.select_rows(&rows))))
                            .map_err(nn_err)?;
                    let wy = &w * &y;
                    d_all.extend(w.row_iter().map(|r| r.sum()));
                    y_all = stack(&y_all, &y);
                    wy_all = stack(&wy_all, &wy);
                }
                let r = rayleigh_ritz(&y_all, &wy_all, &DVector::from_vec(d_all))?;
                Post::Rotation(r.rotation)
            }
        }
        Method::Basis => {
            return Err(BaselineError::InvalidConfig(
                "BASiS is not a baseline: train it with Method::Basis.fit".into(),
            ));
        }
        Method::DiffusionNet => {
            let rows = draw(&mut rng);
            let w = batch_affinity(&mut graphs, x, &rows)?;
            let dm = diffusion_map(
                &w,
                &DiffusionParams {
                    k: c.k,
                    t: c.diffusion_time,
                    ..Default::default()
                },
            )
            .map_err(nn_err)?;
            let deg: Vec<f64> = w.row_iter().map(|r| r.sum()).collect();
            let p = DMatrix::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)] / deg[i]);
            let (pt, target) = (matrix_to_tensor(&p), matrix_to_tensor(&dm.coords));
            let gammas: Vec<f64> = dm.eigenvalues.iter().copied().collect();
            let xt = matrix_to_tensor(&z.select_rows(&rows));
            let weights: Vec<tch::Tensor> = vs
                .variables()
                .into_iter()
                .filter(|(name, _)| name.ends_with(".weight"))
                .map(|(_, t)| t)
                .collect();
            for it in 0..c.iterations {
                let loss = diffusion_net_loss(
                    &net.forward(&xt),
                    &target,
                    &pt,
                    &gammas,
                    &weights,
                    c.mu,
                    c.eta,
                );
                adam_step(&mut opt, &loss, it, observer, &mut losses)?;
            }
            Post::None
        }
    };
    Ok(TrainedBaseline {
        method,
        config: c.clone(),
        vs,
        net,
        mean,
        std,
        post,
        losses,
        skipped,
    })
}

/// The dense affinity of the batch `rows` of `x` (graphs are built on the raw features).
fn batch_affinity(
    graphs: &mut BatchGraphBuilder,
    x: &DMatrix<f64>,
    rows: &[usize],
) -> Result<DMatrix<f64>> {
    Ok(graphs
        .build(&x.select_rows(rows))
        .map_err(nn_err)?
        .affinity
        .clone())
}

/// One Adam step on `loss`; a non-finite loss is `NnError::Diverged`.
fn adam_step(
    opt: &mut Adam,
    loss: &tch::Tensor,
    it: usize,
    observer: &mut dyn FnMut(usize, f64),
    losses: &mut Vec<f64>,
) -> Result<()> {
    opt.backward_step(loss);
    let v = loss.double_value(&[]);
    if !v.is_finite() {
        return Err(nn_err(NnError::Diverged {
            iteration: it,
            loss: v,
        }));
    }
    observer(it, v);
    losses.push(v);
    Ok(())
}

fn stack(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    let mut out = DMatrix::zeros(a.nrows() + b.nrows(), b.ncols());
    out.rows_mut(0, a.nrows()).copy_from(a);
    out.rows_mut(a.nrows(), b.nrows()).copy_from(b);
    out
}
