//! BASiS Algorithm 1: learning a spectral embedding from anchor-aligned batches.
//!
//! 1. The reference set (anchors + m − l random points) is embedded once; the
//!    anchors' rows are the reference coordinates φ^{a,ref} (Eq. 11).
//! 2. Every iteration draws m − l fresh points, embeds the batch (anchors first),
//!    fits the affine map of the batch's anchors onto the reference (Eq. 13),
//!    applies it to the whole batch (Eq. 14) and takes an Adam step on the MSE
//!    loss of Eq. 15.
//!
//! Alignment works on unit-norm eigenvectors, as the solver returns them (RANSAC's
//! inlier threshold, 0.1 by default as in the official code, is in these units).
//! Targets are the aligned coordinates multiplied by √m, so each coordinate has unit
//! mean square over a batch; the factor is the same for every batch and does not
//! change the subspace. Inputs are standardised with the
//! training set's per-feature mean and standard deviation (kept in the model).

use crate::convert::{matrix_to_tensor, tensor_to_matrix};
use crate::error::{NnError, Result};
use crate::mlp::{Mlp, MlpConfig};
use basis_align::{AlignConfig, AlignError, BatchAligner};
use basis_data::sampling::BatchSampler;
use basis_graph::{BatchGraphParams, GraphError};
use basis_spectral::{BatchEmbedder, EmbeddingParams};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;
use tch::Device;
use tch::nn::{self, OptimizerConfig};

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
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Network widths.
    pub mlp: MlpConfig,
    /// Alignment: model, least squares or RANSAC (the default, as the official code), seed.
    pub align: AlignConfig,
    /// Fraction of batches that may be skipped as degenerate before training fails.
    pub max_skipped_fraction: f64,
    /// Seed of every random choice (batches, reference set, weights).
    pub seed: u64,
}

impl Default for BasisConfig {
    fn default() -> Self {
        Self {
            graph: BatchGraphParams::default(),
            embedding: EmbeddingParams::default(),
            batch_size: 512,
            iterations: 1000,
            learning_rate: 1e-3,
            mlp: MlpConfig::default(),
            align: AlignConfig::default(),
            max_skipped_fraction: 0.1,
            seed: 0,
        }
    }
}

impl BasisConfig {
    /// Validates the configuration for `n` training points and `l` anchors.
    pub fn check(&self, n: usize, l: usize) -> Result<()> {
        let bad = |s: String| Err(NnError::InvalidConfig(s));
        if self.iterations == 0 {
            return bad("iterations must be >= 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning rate must be finite and > 0, got {}",
                self.learning_rate
            ));
        }
        if self.batch_size <= l {
            return bad(format!(
                "batch size {} must exceed the {l} anchors",
                self.batch_size
            ));
        }
        if self.batch_size > n {
            return bad(format!(
                "batch size {} exceeds the {n} training points",
                self.batch_size
            ));
        }
        if l < self.embedding.k + 1 {
            return Err(AlignError::TooFewAnchors {
                got: l,
                needed: self.embedding.k + 1,
                dim: self.embedding.k,
            }
            .into());
        }
        if self.mlp.hidden.contains(&0) {
            return bad("hidden widths must be >= 1".into());
        }
        if !(0.0..1.0).contains(&self.max_skipped_fraction) {
            return bad("max_skipped_fraction must be in [0, 1)".into());
        }
        self.graph.check_batch_size(self.batch_size)?;
        self.embedding.check(self.batch_size)?;
        self.align.check()?;
        Ok(())
    }
}

/// What happened in one training iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IterationLog {
    /// Iteration (0-based).
    pub iteration: usize,
    /// Eq. 15 loss on this batch (NaN when the batch was skipped).
    pub loss: f64,
    /// RMS residual of the anchors after alignment, in unit-norm eigenvector units (all anchors, inliers or not).
    pub anchor_rms_residual: f64,
    /// Fraction of anchors RANSAC counted as inliers (1 with plain least squares).
    pub inlier_fraction: f64,
    /// Condition number of the augmented anchor matrix.
    pub anchor_condition: f64,
    /// Connected components of the batch graph.
    pub components: usize,
    /// Why the batch was skipped, if it was.
    pub skipped: Option<String>,
    /// Seconds spent on graph + eigenvectors.
    pub spectral_seconds: f64,
    /// Of which: kNN search, affinity and Laplacian.
    pub graph_seconds: f64,
    /// Of which: eigenvectors.
    pub eigen_seconds: f64,
    /// Seconds spent on alignment.
    pub align_seconds: f64,
    /// Seconds spent on the gradient step.
    pub step_seconds: f64,
}

/// A trained BASiS network with its input standardisation.
#[derive(Debug)]
pub struct BasisModel {
    vs: nn::VarStore,
    net: Mlp,
    mean: Vec<f64>,
    std: Vec<f64>,
    input_dim: usize,
    output_dim: usize,
    config: BasisConfig,
}

/// Serialisable sidecar of a saved model.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ModelMeta {
    config: BasisConfig,
    mean: Vec<f64>,
    std: Vec<f64>,
    input_dim: usize,
    output_dim: usize,
}

fn check_finite(x: &DMatrix<f64>) -> Result<()> {
    for (col, c) in x.column_iter().enumerate() {
        if let Some(row) = c.iter().position(|v| !v.is_finite()) {
            return Err(NnError::NonFinite { row, col });
        }
    }
    Ok(())
}

/// A batch problem that justifies skipping the batch rather than failing the run.
fn skippable(e: &NnError) -> Option<String> {
    match e {
        NnError::Graph(
            g @ (GraphError::Disconnected { .. }
            | GraphError::IsolatedNode { .. }
            | GraphError::ZeroScale(_)),
        ) => Some(g.to_string()),
        NnError::Align(a @ (AlignError::RankDeficient { .. } | AlignError::NoConsensus { .. })) => {
            Some(a.to_string())
        }
        NnError::InvalidConfig(s) if s.starts_with("degenerate batch") => Some(s.clone()),
        _ => None,
    }
}

impl BasisModel {
    fn build(
        input_dim: usize,
        output_dim: usize,
        config: BasisConfig,
        mean: Vec<f64>,
        std: Vec<f64>,
    ) -> Self {
        let vs = nn::VarStore::new(Device::Cpu);
        let net = Mlp::new(&vs.root(), input_dim, output_dim, &config.mlp);
        Self {
            vs,
            net,
            mean,
            std,
            input_dim,
            output_dim,
            config,
        }
    }

    /// The configuration the model was trained with.
    pub fn config(&self) -> &BasisConfig {
        &self.config
    }

    /// Embedding dimension K.
    pub fn output_dim(&self) -> usize {
        self.output_dim
    }

    fn standardize(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        let mut z = x.clone();
        for (j, mut c) in z.column_iter_mut().enumerate() {
            c.apply(|v| *v = (*v - self.mean[j]) / self.std[j]);
        }
        z
    }

    /// Network outputs for the rows of `x` (n × d) → n × K. Batched internally.
    pub fn embed(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        if x.ncols() != self.input_dim {
            return Err(NnError::Shape(format!(
                "model expects {} features, got {}",
                self.input_dim,
                x.ncols()
            )));
        }
        check_finite(x)?;
        let z = self.standardize(x);
        let mut out = DMatrix::zeros(x.nrows(), self.output_dim);
        let chunk = 8192;
        let _guard = tch::no_grad_guard();
        let mut start = 0;
        while start < x.nrows() {
            let rows = chunk.min(x.nrows() - start);
            let t = matrix_to_tensor(&z.rows(start, rows).into_owned());
            let y = tensor_to_matrix(&self.net.forward(&t))?;
            out.rows_mut(start, rows).copy_from(&y);
            start += rows;
        }
        Ok(out)
    }

    /// Trains a model with Algorithm 1 on the rows of `x`, with the given anchor rows.
    ///
    /// `observer` sees every iteration's log (for progress bars and curves).
    pub fn fit(
        x: &DMatrix<f64>,
        anchors: &[usize],
        config: &BasisConfig,
        observer: &mut dyn FnMut(&IterationLog),
    ) -> Result<(BasisModel, Vec<IterationLog>)> {
        let (n, d) = x.shape();
        if n == 0 || d == 0 {
            return Err(NnError::Shape(format!("empty training data ({n}×{d})")));
        }
        check_finite(x)?;
        config.check(n, anchors.len())?;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);

        // Input standardisation from the training set.
        let mean: Vec<f64> = x.column_iter().map(|c| c.mean()).collect();
        let std: Vec<f64> = x
            .column_iter()
            .zip(&mean)
            .map(|(c, m)| {
                let v = c.iter().map(|t| (t - m).powi(2)).sum::<f64>() / n as f64;
                if v > 0.0 { v.sqrt() } else { 1.0 }
            })
            .collect();
        let k = config.embedding.k;
        let mut model = BasisModel::build(d, k, config.clone(), mean, std);
        model.net.init_from_seed(config.seed);
        let mut opt = nn::Adam::default().build(&model.vs, config.learning_rate)?;

        let mut sampler = BatchSampler::new(n, anchors.to_vec())?;
        let l = anchors.len();
        let fresh = config.batch_size - l;
        let anchor_rows: Vec<usize> = (0..l).collect();
        let scale = (config.batch_size as f64).sqrt();

        // One embedder for the whole run: its graph and solver buffers are reused every iteration.
        let mut graphs = BatchEmbedder::new(config.graph, config.embedding)?;

        // Initialisation: the reference embedding (Eq. 11), retried on a degenerate draw.
        let mut batch = Vec::with_capacity(config.batch_size);
        let mut reference = None;
        let mut last_reason = String::new();
        for _ in 0..20 {
            sampler.draw_into(fresh, &mut rng, &mut batch)?;
            match embed_checked(&mut graphs, x, &batch, config) {
                Ok((coords, _)) => {
                    reference = Some(coords.rows(0, l).into_owned());
                    break;
                }
                Err(e) => match skippable(&e) {
                    Some(reason) => last_reason = reason,
                    None => return Err(e),
                },
            }
        }
        let reference = reference.ok_or_else(|| NnError::TooManySkipped {
            skipped: 20,
            total: 20,
            reason: format!("no usable reference set: {last_reason}"),
        })?;
        let mut aligner = BatchAligner::new(reference, config.align)?;

        let mut logs = Vec::with_capacity(config.iterations);
        let mut skipped = 0usize;
        for it in 0..config.iterations {
            sampler.draw_into(fresh, &mut rng, &mut batch)?;
            let t0 = Instant::now();
            let embedded = embed_checked(&mut graphs, x, &batch, config);
            let spectral_seconds = t0.elapsed().as_secs_f64();
            let stages = graphs.timings();
            let graph_seconds = stages.knn_seconds + stages.graph_seconds;
            let eigen_seconds = stages.eigen_seconds;
            let t1 = Instant::now();
            let aligned = embedded.and_then(|(coords, comps)| {
                aligner
                    .align(&coords, &anchor_rows)
                    .map(|a| (a, comps))
                    .map_err(NnError::from)
            });
            let align_seconds = t1.elapsed().as_secs_f64();
            let (aligned, components) = match aligned {
                Ok(a) => a,
                Err(e) => match skippable(&e) {
                    Some(reason) => {
                        skipped += 1;
                        let log = IterationLog {
                            iteration: it,
                            loss: f64::NAN,
                            anchor_rms_residual: f64::NAN,
                            anchor_condition: f64::NAN,
                            inlier_fraction: f64::NAN,
                            components: 0,
                            skipped: Some(reason.clone()),
                            spectral_seconds,
                            graph_seconds,
                            eigen_seconds,
                            align_seconds,
                            step_seconds: 0.0,
                        };
                        observer(&log);
                        logs.push(log);
                        if skipped as f64 > config.max_skipped_fraction * config.iterations as f64 {
                            return Err(NnError::TooManySkipped {
                                skipped,
                                total: it + 1,
                                reason,
                            });
                        }
                        continue;
                    }
                    None => return Err(e),
                },
            };
            let t2 = Instant::now();
            let xb = model.standardize(&x.select_rows(&batch));
            let target = matrix_to_tensor(&(&aligned.coords * scale));
            let y = model.net.forward(&matrix_to_tensor(&xb));
            // Eq. 15: (1/m) Σ_i ‖y_i − φ_i‖².
            let loss = (y - target)
                .pow_tensor_scalar(2)
                .sum_dim_intlist(1, false, tch::Kind::Float)
                .mean(tch::Kind::Float);
            opt.backward_step(&loss);
            let loss_value = loss.double_value(&[]);
            if !loss_value.is_finite() {
                return Err(NnError::Diverged {
                    iteration: it,
                    loss: loss_value,
                });
            }
            let log = IterationLog {
                iteration: it,
                loss: loss_value,
                anchor_rms_residual: aligned.fit.rms_residual(),
                anchor_condition: aligned.fit.condition,
                inlier_fraction: aligned.inlier_fraction(),
                components,
                skipped: None,
                spectral_seconds,
                graph_seconds,
                eigen_seconds,
                align_seconds,
                step_seconds: t2.elapsed().as_secs_f64(),
            };
            observer(&log);
            logs.push(log);
        }
        Ok((model, logs))
    }

    /// Saves the weights (`path`) and a JSON sidecar (`path` + `.json`), each written atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| basis_data::DataError::Io {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name()
                .map(|f| f.to_string_lossy())
                .unwrap_or_default(),
            std::process::id()
        ));
        self.vs.save(&tmp)?;
        std::fs::rename(&tmp, path).map_err(|e| basis_data::DataError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let meta = ModelMeta {
            config: self.config.clone(),
            mean: self.mean.clone(),
            std: self.std.clone(),
            input_dim: self.input_dim,
            output_dim: self.output_dim,
        };
        let mut sidecar = path.as_os_str().to_owned();
        sidecar.push(".json");
        basis_data::io::write_atomic(sidecar, serde_json::to_string_pretty(&meta)?.as_bytes())?;
        Ok(())
    }

    /// Loads a model written by [`BasisModel::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let mut sidecar = path.as_os_str().to_owned();
        sidecar.push(".json");
        let text = std::fs::read_to_string(&sidecar).map_err(|e| basis_data::DataError::Io {
            path: sidecar.into(),
            source: e,
        })?;
        let meta: ModelMeta = serde_json::from_str(&text)?;
        let mut model = BasisModel::build(
            meta.input_dim,
            meta.output_dim,
            meta.config,
            meta.mean,
            meta.std,
        );
        model.vs.load(path)?;
        Ok(model)
    }
}

/// Graph → eigenmap for the batch rows of `x`; a graph with more components than the
/// embedding can represent is reported as a degenerate batch.
fn embed_checked(
    graphs: &mut BatchEmbedder,
    x: &DMatrix<f64>,
    batch: &[usize],
    config: &BasisConfig,
) -> Result<(DMatrix<f64>, usize)> {
    let xb = x.select_rows(batch);
    let e = match graphs.embed(&xb) {
        // Graph failures (a split or degenerate batch) stay graph errors, so they can be skipped.
        Err(basis_spectral::SpectralError::Graph(g)) => return Err(g.into()),
        e => e,
    };
    let components = graphs.graph().components;
    let representable = config.embedding.k + usize::from(config.embedding.drop_trivial);
    if components > representable {
        return Err(NnError::InvalidConfig(format!(
            "degenerate batch: {components} graph components but only {representable} eigenvectors"
        )));
    }
    Ok((e?.coords, components))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> DMatrix<f64> {
        DMatrix::from_fn(60, 2, |i, j| ((i * 2 + j) as f64 * 0.77).sin())
    }

    fn cfg() -> BasisConfig {
        BasisConfig {
            batch_size: 30,
            iterations: 2,
            mlp: MlpConfig { hidden: vec![8] },
            align: AlignConfig::least_squares(),
            graph: BatchGraphParams {
                knn: basis_graph::KnnParams {
                    k: 5,
                    ..Default::default()
                },
                allow_disconnected: true,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn bad_configurations_are_typed_errors() {
        let x = data();
        let anchors: Vec<usize> = (0..5).collect();
        let mut none = |_: &IterationLog| {};
        let mut c = cfg();
        c.batch_size = 100;
        assert!(matches!(
            BasisModel::fit(&x, &anchors, &c, &mut none),
            Err(NnError::InvalidConfig(_))
        ));
        let mut c = cfg();
        c.learning_rate = f64::NAN;
        assert!(matches!(
            BasisModel::fit(&x, &anchors, &c, &mut none),
            Err(NnError::InvalidConfig(_))
        ));
        let mut c = cfg();
        c.graph.knn.k = 30;
        assert!(matches!(
            BasisModel::fit(&x, &anchors, &c, &mut none),
            Err(NnError::Graph(_))
        ));
        // Too few anchors for K = 2: K + 1 = 3 are needed.
        assert!(matches!(
            BasisModel::fit(&x, &[0, 1], &cfg(), &mut none),
            Err(NnError::Align(AlignError::TooFewAnchors {
                got: 2,
                needed: 3,
                ..
            }))
        ));
        let mut bad = data();
        bad[(4, 1)] = f64::INFINITY;
        assert!(matches!(
            BasisModel::fit(&bad, &anchors, &cfg(), &mut none),
            Err(NnError::NonFinite { row: 4, col: 1 })
        ));
        assert!(matches!(
            BasisModel::fit(&DMatrix::zeros(0, 2), &anchors, &cfg(), &mut none),
            Err(NnError::Shape(_))
        ));
    }

    #[test]
    fn embed_checks_its_input() {
        let x = data();
        let anchors: Vec<usize> = (0..5).collect();
        let (m, _) = BasisModel::fit(&x, &anchors, &cfg(), &mut |_| {}).unwrap();
        assert_eq!(m.embed(&x).unwrap().shape(), (60, 2));
        assert!(matches!(
            m.embed(&DMatrix::zeros(3, 5)),
            Err(NnError::Shape(_))
        ));
        let mut bad = x.clone();
        bad[(0, 0)] = f64::NAN;
        assert!(matches!(m.embed(&bad), Err(NnError::NonFinite { .. })));
    }
}
