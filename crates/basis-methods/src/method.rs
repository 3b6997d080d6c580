//! The interface every method is used through: [`Method`] fits (from a [`TrainingSet`] and a
//! [`MethodConfig`]) and loads, and every trained model is an [`Embedder`] (embed points, save).
//! A comparison loops over [`Method::ALL`] without special cases; a new method adds a variant
//! here and a module of its own beside `basis`, `diffusion_net`, `spectralnet` and `specnet2`.

use crate::anchors::select_anchors;
use crate::baselines::{BaselineConfig, TrainedBaseline, fit_baseline_with};
use crate::basis::{
    AnchorStrategy, BasisConfig, BasisModel, BasisTrainer, IterationLog, seeded_basis_config,
};
use crate::neuralef::{NeuralEfConfig, NeuralEfModel, fit_neuralef_with};
use crate::pipeline::PipelineConfig;
use crate::{MethodError, Result};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::Path;

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
    /// NeuralEF / Neural Eigenmaps (Deng et al. 2022, 2023): eigenfunctions learned with no
    /// eigendecomposition, optionally with the Gumbel-softmax clustering head.
    NeuralEf,
}

impl Method {
    /// Every method: BASiS and the paper's Table 1 baselines in its order, then NeuralEF.
    pub const ALL: [Method; 5] = [
        Method::Basis,
        Method::DiffusionNet,
        Method::SpectralNet,
        Method::SpecNet2,
        Method::NeuralEf,
    ];

    /// Name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::Basis => "BASiS",
            Method::DiffusionNet => "Diffusion Net",
            Method::SpectralNet => "SpectralNet",
            Method::SpecNet2 => "SpecNet2",
            Method::NeuralEf => "NeuralEF",
        }
    }

    /// Name usable as a directory (`spectralnet`, `diffusion-net`, ...).
    pub fn slug(self) -> &'static str {
        match self {
            Method::Basis => "basis",
            Method::DiffusionNet => "diffusion-net",
            Method::SpectralNet => "spectralnet",
            Method::SpecNet2 => "specnet2",
            Method::NeuralEf => "neuralef",
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

    /// Whether this method's model, trained with `config`, clusters points itself
    /// ([`Embedder::clusters`]: NeuralEF's Gumbel head). Comparisons add a row scored by
    /// that clustering beside the one scored by k-means on the embedding.
    pub fn has_cluster_head(self, config: &MethodConfig) -> bool {
        self == Method::NeuralEf && config.neuralef.head == crate::neuralef::Head::Gumbel
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
        self.fit_with(train, config, seed, None, observer)
    }

    /// [`Method::fit`], pipelined when `pipeline` is given: each batch's preparation
    /// (sampling, graph, and for BASiS eigenvectors and alignment) runs on a worker thread
    /// while the network steps on the previous batch ([`crate::pipeline`],
    /// [`crate::basis::BasisTrainer::run_pipelined`]). The trained model is bit-identical to
    /// [`Method::fit`]'s at the same libtorch thread count. Diffusion Net, trained on one
    /// fixed batch, has nothing to overlap and trains serially.
    pub fn fit_with(
        self,
        train: &TrainingSet<'_>,
        config: &MethodConfig,
        seed: u64,
        pipeline: Option<&PipelineConfig>,
        observer: &mut dyn FnMut(usize, f64),
    ) -> Result<Box<dyn Embedder>> {
        if let Some(p) = pipeline {
            p.check()?;
        }
        if let Some(labels) = train.labels
            && labels.len() != train.features.nrows()
        {
            return Err(MethodError::Shape(format!(
                "{} labels for {} training points",
                labels.len(),
                train.features.nrows()
            )));
        }
        match self {
            Method::Basis => {
                let basis = seeded_basis_config(&config.basis, seed);
                basis.check_settings(train.features.nrows())?;
                let anchors = select_anchors(
                    config.anchor_strategy,
                    train.features,
                    train.labels,
                    config.anchors_per_class,
                    config.label_free_anchor_count(),
                    seed,
                )?;
                let mut trainer = BasisTrainer::new(train.features, &anchors, &basis)?;
                let mut observe = |log: &IterationLog| observer(log.iteration, log.loss);
                match pipeline {
                    Some(p) => {
                        trainer.run_pipelined(train.features, basis.iterations, p, &mut observe)?
                    }
                    None => trainer.run(train.features, basis.iterations, &mut observe)?,
                }
                Ok(Box::new(trainer.finish().0))
            }
            Method::NeuralEf => Ok(Box::new(fit_neuralef_with(
                train.features,
                &config.neuralef_config(seed),
                pipeline,
                observer,
            )?)),
            baseline => Ok(Box::new(fit_baseline_with(
                baseline,
                train.features,
                &config.baseline_config(seed),
                pipeline,
                observer,
            )?)),
        }
    }

    /// Loads a model of this method written by [`Embedder::save`].
    pub fn load(self, dir: &Path) -> Result<Box<dyn Embedder>> {
        // A model of another method is named as such, not as a field its format lacks.
        if let Some(stored) = stored_method(dir)
            && stored != self
        {
            return Err(MethodError::InvalidConfig(format!(
                "{} holds a {} model, not {}",
                dir.display(),
                stored.name(),
                self.name()
            )));
        }
        match self {
            Method::Basis => Ok(Box::new(BasisModel::load(dir)?)),
            Method::NeuralEf => Ok(Box::new(NeuralEfModel::load(dir)?)),
            baseline => {
                let model = TrainedBaseline::load(dir)?;
                if model.method() != baseline {
                    return Err(MethodError::InvalidConfig(format!(
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

/// The points a method is trained on. The labels are optional: they are read only to draw
/// BASiS's anchors per class (as the paper does); the baselines ignore them.
#[derive(Debug, Clone, Copy)]
pub struct TrainingSet<'a> {
    /// Features, n × d.
    pub features: &'a DMatrix<f64>,
    /// One class label per row, if known.
    pub labels: Option<&'a [usize]>,
}

/// What `basis fit` (and the Python package's `save`) records beside the model in
/// `DIR/fit.json`, so that `basis embed` and `basis.load` know how to load `DIR/model`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitRecord {
    /// [`Method::slug`] of the trained method.
    pub method: String,
    /// The seed every random choice of the fit came from.
    pub seed: u64,
    /// Training points.
    pub n_train: usize,
    /// Features per point.
    pub input_dim: usize,
    /// How BASiS's anchors were drawn ([`AnchorStrategy::name`]).
    pub anchors: String,
    /// The whole configuration of the fit.
    pub config: MethodConfig,
}

/// Configuration of every method of a comparison. BASiS's graph, K, batch size and iteration
/// count are used by all of them (the paper's comparison shares them); `baseline` and
/// `neuralef` hold the others' own settings. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodConfig {
    /// BASiS (Algorithm 1) and the shared settings.
    pub basis: BasisConfig,
    /// BASiS's anchors drawn from every class of the training set ([`AnchorStrategy::PerClass`]);
    /// the label-free strategies draw `anchors_per_class × K` anchors in all.
    pub anchors_per_class: usize,
    /// How BASiS's anchors are picked (per class by default, as the paper).
    #[serde(default)]
    pub anchor_strategy: AnchorStrategy,
    /// The baselines' own settings; their graph, K, m and iterations are replaced by BASiS's.
    pub baseline: BaselineConfig,
    /// NeuralEF's own settings (objective, head, optimiser); graph, K, m and iterations are
    /// replaced by BASiS's.
    #[serde(default)]
    pub neuralef: NeuralEfConfig,
}

impl Default for MethodConfig {
    /// The paper's Table 1 setting (see [`crate::basis::paper_basis_config`]), 25
    /// anchors per class, baselines with Adam 1e-3 (1e-4 leaves SpectralNet and SpecNet2
    /// far from converged in 1000 steps).
    fn default() -> Self {
        Self {
            basis: crate::basis::paper_basis_config(),
            anchors_per_class: 25,
            anchor_strategy: AnchorStrategy::PerClass,
            baseline: BaselineConfig {
                learning_rate: 1e-3,
                ..Default::default()
            },
            neuralef: NeuralEfConfig::default(),
        }
    }
}

impl MethodConfig {
    /// The number of anchors of the label-free strategies: `anchors_per_class × K`, as many as
    /// per-class anchors give when K is the number of classes (Table 1: 25 × 10 = 250).
    pub fn label_free_anchor_count(&self) -> usize {
        // Saturating: a product past usize::MAX is "more anchors than points", not a wrapped
        // small count.
        self.anchors_per_class
            .saturating_mul(self.basis.embedding.k)
    }

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

    /// NeuralEF's configuration for `seed`, with the shared settings taken from BASiS's.
    pub fn neuralef_config(&self, seed: u64) -> NeuralEfConfig {
        NeuralEfConfig {
            graph: self.basis.graph,
            k: self.basis.embedding.k,
            batch_size: self.basis.batch_size,
            iterations: self.basis.iterations,
            seed,
            ..self.neuralef.clone()
        }
    }
}

/// A trained model of any method: maps points to embedding coordinates and saves itself.
/// [`Method::fit`] and [`Method::load`] return it, so a comparison loops over
/// [`Method::ALL`] without special cases.
pub trait Embedder: std::fmt::Debug + Send {
    /// Name used in tables.
    fn name(&self) -> &str;
    /// Coordinates of the rows of `x` (n × d) → n × K.
    fn embed(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>>;
    /// The network's outputs before any post-processing fitted after training (SpecNet2's
    /// Rayleigh–Ritz rotation, SpectralNet's orthonormalisation); by default the embedding.
    fn raw_outputs(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.embed(x)
    }
    /// The model's own clustering of the rows of `x`, if it has one (NeuralEF's Gumbel head:
    /// the argmax of the logits); `None` by default, and comparisons then run k-means.
    fn clusters(&self, _x: &DMatrix<f64>) -> Option<Result<Vec<usize>>> {
        None
    }
    /// Writes the model as an atomic checkpoint directory ([`basis_nn::checkpoint`]).
    fn save(&self, dir: &Path) -> Result<()>;
}

/// The method whose model `dir` holds, read from its `checkpoint.json` (baselines record
/// their method; a BASiS model records a `model` section instead); `None` if it cannot tell.
pub fn stored_method(dir: &Path) -> Option<Method> {
    let text = std::fs::read_to_string(dir.join("checkpoint.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let meta = v.get("meta").unwrap_or(&v);
    if let Some(m) = meta.get("method") {
        return serde_json::from_value(m.clone()).ok();
    }
    meta.get("model").map(|_| Method::Basis)
}

/// `y`, the embedding of the rows of `x`, if every coordinate is finite; otherwise
/// [`MethodError::NonFiniteOutput`] naming how many points and the first one. Every
/// [`Embedder::embed`] ends with it, so no caller receives a NaN embedding.
pub fn finite_outputs(y: DMatrix<f64>, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let bad: Vec<usize> = (0..y.nrows())
        .filter(|&i| y.row(i).iter().any(|v| !v.is_finite()))
        .collect();
    match bad.first() {
        None => Ok(y),
        Some(&first) => Err(MethodError::NonFiniteOutput {
            rows: bad.len(),
            n: y.nrows(),
            first,
            magnitude: x
                .row(first.min(x.nrows().saturating_sub(1)))
                .iter()
                .fold(0.0f64, |m, v| m.max(v.abs())),
        }),
    }
}

impl Embedder for BasisModel {
    fn name(&self) -> &str {
        "BASiS"
    }
    fn embed(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        finite_outputs(BasisModel::embed(self, x)?, x)
    }
    fn save(&self, dir: &Path) -> Result<()> {
        BasisModel::save(self, dir)
    }
}

impl Embedder for NeuralEfModel {
    fn name(&self) -> &str {
        "NeuralEF"
    }
    fn embed(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        NeuralEfModel::embed(self, x)
    }
    fn raw_outputs(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        NeuralEfModel::raw_outputs(self, x)
    }
    fn clusters(&self, x: &DMatrix<f64>) -> Option<Result<Vec<usize>>> {
        NeuralEfModel::clusters(self, x)
    }
    fn save(&self, dir: &Path) -> Result<()> {
        NeuralEfModel::save(self, dir)
    }
}
