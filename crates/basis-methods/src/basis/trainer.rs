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

pub use super::config::{BasisConfig, PipelineConfig};
pub use super::model::BasisModel;
use super::model::{CheckpointMeta, NET_PREFIX, check_finite};
use super::noise::InputNoise;
use crate::error::skippable;
use crate::{MethodError, Result};
use basis_align::{AlignedBatch, BatchAligner};
use basis_data::sampling::BatchSampler;
use basis_nn::NnError;
use basis_nn::adam::{Adam, AdamParams};
use basis_nn::checkpoint::{named_variables, read_checkpoint, write_checkpoint};
use basis_nn::convert::matrix_to_tensor;
use basis_spectral::BatchEmbedder;
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// What happened in one training iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IterationLog {
    /// Iteration (0-based).
    pub iteration: usize,
    /// Eq. 15 loss on this batch (NaN when the batch was skipped; `null` in JSON).
    #[serde(with = "basis_nn::json_nan")]
    pub loss: f64,
    /// RMS residual of the anchors after alignment, in unit-norm eigenvector units (all anchors, inliers or not).
    #[serde(with = "basis_nn::json_nan")]
    pub anchor_rms_residual: f64,
    /// Fraction of anchors RANSAC counted as inliers (1 with plain least squares).
    #[serde(with = "basis_nn::json_nan")]
    pub inlier_fraction: f64,
    /// Condition number of the augmented anchor matrix.
    #[serde(with = "basis_nn::json_nan")]
    pub anchor_condition: f64,
    /// Components of the batch graph as the eigensolver saw them (clusters joined only by
    /// weights too small to register count separately).
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
    /// Seconds of the whole iteration: batch draw, features, the stages above, bookkeeping
    /// (pipelined: the time the network waited for the batch, then its step).
    #[serde(default)]
    pub wall_seconds: f64,
    /// Pipelined training: seconds the network waited for this batch to be prepared (`None`
    /// in serial training).
    #[serde(default)]
    pub wait_seconds: Option<f64>,
}

/// Mean loss over the last 50 trained (not skipped) iterations of `logs` (NaN when none).
pub fn final_loss(logs: &[IterationLog]) -> f64 {
    let tail: Vec<f64> = logs
        .iter()
        .rev()
        .filter(|l| l.skipped.is_none())
        .take(50)
        .map(|l| l.loss)
        .collect();
    tail.iter().sum::<f64>() / tail.len() as f64
}

/// The trainer's state between iterations (the tensors hold weights and Adam's moments).
#[derive(Serialize, Deserialize)]
pub(super) struct TrainerState {
    iteration: usize,
    skipped: usize,
    rng: ChaCha8Rng,
    sampler: BatchSampler,
    aligner: BatchAligner,
    reference_rows: Vec<usize>,
    logs: Vec<IterationLog>,
    /// Input noise of the network step (absent in checkpoints written before it existed,
    /// which had none).
    #[serde(default)]
    noise: Option<InputNoise>,
}

/// BASiS Algorithm 1 one iteration at a time, with its whole state: the network, Adam, the
/// batch sampler, the aligner and the random generator. It can be checkpointed between
/// iterations and resumed exactly ([`BasisTrainer::save_checkpoint`], [`BasisTrainer::resume`]).
///
/// The features of a batch come from a closure (rows → features), so the same trainer
/// serves fixed features (Algorithm 1) and features that change during training (Algorithm 2).
#[derive(Debug)]
pub struct BasisTrainer {
    net: NetSide,
    prep: BatchPreparer,
    reference_rows: Vec<usize>,
}

/// What the network step owns: weights, optimiser, counters and logs.
#[derive(Debug)]
struct NetSide {
    model: BasisModel,
    opt: Adam,
    iteration: usize,
    skipped: usize,
    logs: Vec<IterationLog>,
    noise: Option<InputNoise>,
}

/// What a batch's target needs, none of it touched by the network: the sampler and its
/// generator, the embedder's buffers and the aligner (with RANSAC's generator). Serial
/// training calls it in line; pipelined training moves it to a worker thread.
#[derive(Debug)]
struct BatchPreparer {
    sampler: BatchSampler,
    rng: ChaCha8Rng,
    embedder: BatchEmbedder,
    aligner: BatchAligner,
    anchor_rows: Vec<usize>,
    batch: Vec<usize>,
}

/// A batch with its aligned target (or the reason it is skipped), ready for the network step.
struct PreparedBatch {
    xb: DMatrix<f64>,
    target: Result<(AlignedBatch, usize)>,
    spectral_seconds: f64,
    graph_seconds: f64,
    eigen_seconds: f64,
    align_seconds: f64,
    prepare_seconds: f64,
}

impl BatchPreparer {
    /// Draws the next batch, embeds it (graph + eigenvectors) and aligns it onto the
    /// reference: lines 4–9 of Algorithm 1. Sampling and feature errors are fatal; embedding
    /// and alignment errors travel in `target` (the step decides whether to skip).
    fn prepare(
        &mut self,
        config: &BasisConfig,
        features: &dyn Fn(&[usize]) -> Result<DMatrix<f64>>,
    ) -> Result<PreparedBatch> {
        let start = Instant::now();
        let fresh = config.batch_size - self.anchor_rows.len();
        self.sampler
            .draw_into(fresh, &mut self.rng, &mut self.batch)?;
        let xb = features(&self.batch)?;
        let t0 = Instant::now();
        let embedded = embed_checked(&mut self.embedder, &xb, config);
        let spectral_seconds = t0.elapsed().as_secs_f64();
        let stages = self.embedder.timings();
        let t1 = Instant::now();
        let target = embedded.and_then(|(coords, comps)| {
            self.aligner
                .align(&coords, &self.anchor_rows)
                .map(|a| (a, comps))
                .map_err(MethodError::from)
        });
        Ok(PreparedBatch {
            xb,
            target,
            spectral_seconds,
            graph_seconds: stages.knn_seconds + stages.graph_seconds,
            eigen_seconds: stages.eigen_seconds,
            align_seconds: t1.elapsed().as_secs_f64(),
            prepare_seconds: start.elapsed().as_secs_f64(),
        })
    }
}

impl NetSide {
    /// Lines 10–11 of Algorithm 1 on a prepared batch: skip it (counted against
    /// `max_skipped_fraction`) or take the MSE step toward its aligned coordinates.
    fn step(&mut self, p: PreparedBatch, waited: Option<f64>) -> Result<IterationLog> {
        let start = Instant::now();
        let config = &self.model.config;
        let it = self.iteration;
        let mut log = IterationLog {
            iteration: it,
            loss: f64::NAN,
            anchor_rms_residual: f64::NAN,
            anchor_condition: f64::NAN,
            inlier_fraction: f64::NAN,
            components: 0,
            skipped: None,
            spectral_seconds: p.spectral_seconds,
            graph_seconds: p.graph_seconds,
            eigen_seconds: p.eigen_seconds,
            align_seconds: p.align_seconds,
            step_seconds: 0.0,
            wall_seconds: 0.0,
            wait_seconds: waited,
        };
        // Serial: the iteration's wall time includes its preparation; pipelined: the time the
        // network waited for it.
        let before = waited.unwrap_or(p.prepare_seconds);
        self.iteration += 1;
        let (aligned, components) = match p.target {
            Ok(a) => a,
            Err(e) => {
                let reason = skippable(&e).ok_or(e)?;
                self.skipped += 1;
                log.skipped = Some(reason.clone());
                log.wall_seconds = before + start.elapsed().as_secs_f64();
                self.logs.push(log.clone());
                if self.skipped as f64 > config.max_skipped_fraction * config.iterations as f64 {
                    return Err(MethodError::TooManySkipped {
                        skipped: self.skipped,
                        total: it + 1,
                        reason,
                    });
                }
                return Ok(log);
            }
        };
        let scale = (config.batch_size as f64).sqrt();
        let mut target = &aligned.coords * scale;
        let mut z = self.model.standardize(&p.xb);
        if let Some(noise) = &mut self.noise {
            // The batch as it is (the paper's step) and the moved copies that left the
            // training support, with their kernel targets: inside the support the paper's
            // targets alone decide.
            let m = z.nrows();
            let mut moved = z.clone();
            noise.perturb(&mut moved);
            let (moved_target, outside) = noise.targets(&z, &moved, &target);
            let kept: Vec<usize> = (0..m).filter(|&i| outside[i]).collect();
            let extra = kept.len();
            z = z.resize_vertically(m + extra, 0.0);
            z.rows_mut(m, extra).copy_from(&moved.select_rows(&kept));
            target = target.resize_vertically(m + extra, 0.0);
            target
                .rows_mut(m, extra)
                .copy_from(&moved_target.select_rows(&kept));
        }
        let target = matrix_to_tensor(&target);
        let y = self.model.net.forward(&matrix_to_tensor(&z));
        // Eq. 15: (1/m) Σ_i ‖y_i − φ_i‖², over the batch's m rows. Moved copies (input noise)
        // add their squared errors to the same sum, so the batch's own rows keep their weight.
        let squared = (y - target).pow_tensor_scalar(2);
        let loss = if z.nrows() == p.xb.nrows() {
            squared
                .sum_dim_intlist(1, false, tch::Kind::Float)
                .mean(tch::Kind::Float)
        } else {
            squared.sum(tch::Kind::Float) / p.xb.nrows() as f64
        };
        self.opt
            .set_learning_rate(config.lr_schedule.learning_rate(
                config.learning_rate,
                it,
                config.iterations,
            ))?;
        self.opt.backward_step(&loss);
        let loss_value = loss.double_value(&[]);
        if !loss_value.is_finite() {
            return Err(NnError::Diverged {
                iteration: it,
                loss: loss_value,
            }
            .into());
        }
        log.loss = loss_value;
        log.anchor_rms_residual = aligned.fit.rms_residual();
        log.anchor_condition = aligned.fit.condition;
        log.inlier_fraction = aligned.inlier_fraction();
        log.components = components;
        log.step_seconds = start.elapsed().as_secs_f64();
        log.wall_seconds = before + log.step_seconds;
        self.logs.push(log.clone());
        Ok(log)
    }
}

impl BasisTrainer {
    /// Validates the inputs, initialises the network from the seed and embeds the reference
    /// set (the anchors plus m − l random points, Eq. 11) on the rows of `x`.
    pub fn new(x: &DMatrix<f64>, anchors: &[usize], config: &BasisConfig) -> Result<Self> {
        let (n, d) = x.shape();
        if n == 0 || d == 0 {
            return Err(MethodError::Shape(format!("empty training data ({n}×{d})")));
        }
        check_finite(x)?;
        Self::with_features(n, d, anchors, config, Some(x), &|rows| {
            Ok(x.select_rows(rows))
        })
    }

    /// Like [`BasisTrainer::new`] for `n` points whose `d` features come from `features`.
    /// `standardize_from`: the data the input standardisation is computed on (when
    /// `config.standardize_inputs`).
    pub fn with_features(
        n: usize,
        d: usize,
        anchors: &[usize],
        config: &BasisConfig,
        standardize_from: Option<&DMatrix<f64>>,
        features: &dyn Fn(&[usize]) -> Result<DMatrix<f64>>,
    ) -> Result<Self> {
        config.check(n, anchors.len())?;
        let (mean, std) = match standardize_from {
            Some(x) if config.standardize_inputs => crate::standardize::column_mean_std(x),
            _ => (vec![0.0; d], vec![1.0; d]),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let k = config.embedding.k;
        let mut model = BasisModel::build(d, k, config.clone(), mean, std)?;
        model.net.init_from_seed(config.seed);
        let opt = Adam::new(
            &model.vs,
            AdamParams::with_learning_rate(config.learning_rate),
        )?;
        let mut sampler = BatchSampler::new(n, anchors.to_vec())?;
        let l = anchors.len();
        let fresh = config.batch_size - l;
        // One embedder for the whole run: its graph and solver buffers are reused every iteration.
        let mut embedder = BatchEmbedder::new(config.graph, config.embedding)?;

        // The reference embedding (Eq. 11), retried on a degenerate draw.
        let mut batch = Vec::with_capacity(config.batch_size);
        let mut last_reason = String::new();
        for _ in 0..20 {
            sampler.draw_into(fresh, &mut rng, &mut batch)?;
            let xb = features(&batch)?;
            match embed_checked(&mut embedder, &xb, config) {
                Ok((coords, _)) => {
                    let aligner = BatchAligner::new(coords.rows(0, l).into_owned(), config.align)?;
                    let noise = InputNoise::new(
                        config.input_noise,
                        &model.standardize(&xb),
                        config.batch_size / k.max(1),
                        config.seed,
                    );
                    return Ok(Self {
                        net: NetSide {
                            model,
                            opt,
                            iteration: 0,
                            skipped: 0,
                            logs: Vec::new(),
                            noise,
                        },
                        reference_rows: batch.clone(),
                        prep: BatchPreparer {
                            sampler,
                            rng,
                            embedder,
                            aligner,
                            anchor_rows: (0..l).collect(),
                            batch,
                        },
                    });
                }
                Err(e) => match skippable(&e) {
                    Some(reason) => last_reason = reason,
                    None => return Err(e),
                },
            }
        }
        Err(MethodError::TooManySkipped {
            skipped: 20,
            total: 20,
            reason: format!("no usable reference set: {last_reason}"),
        })
    }

    /// Iterations done so far.
    pub fn iteration(&self) -> usize {
        self.net.iteration
    }

    /// The model being trained.
    pub fn model(&self) -> &BasisModel {
        &self.net.model
    }

    /// The logs of every iteration so far.
    pub fn logs(&self) -> &[IterationLog] {
        &self.net.logs
    }

    /// Rows of the reference set V^ref (anchors first).
    pub fn reference_rows(&self) -> &[usize] {
        &self.reference_rows
    }

    /// The anchors' reference coordinates φ^{a,ref} that every batch is aligned to.
    pub fn reference_anchors(&self) -> &DMatrix<f64> {
        self.prep.aligner.reference()
    }

    /// Replaces the anchors' reference coordinates (Algorithm 2: after the features changed,
    /// the reference re-embedded and mapped by T_G).
    pub fn set_reference_anchors(&mut self, anchors: DMatrix<f64>) -> Result<()> {
        self.prep.aligner = BatchAligner::new(anchors, self.net.model.config.align)?;
        Ok(())
    }

    /// Embeds points given by their features (graph + eigenvectors) with the trainer's graph
    /// settings; a graph with more components than K can represent is an error.
    pub fn embed_rows(&mut self, features: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        embed_checked(&mut self.prep.embedder, features, &self.net.model.config).map(|(c, _)| c)
    }

    /// Typed error for training data the trainer cannot draw from: another width than the
    /// model's input, or fewer rows than the sampler's points.
    fn check_data(&self, x: &DMatrix<f64>) -> Result<()> {
        let n = self.prep.sampler.pool_size() + self.prep.sampler.anchors().len();
        if x.ncols() != self.net.model.input_dim() || x.nrows() != n {
            return Err(MethodError::Shape(format!(
                "training data {} × {} for a trainer of {n} points with {} features",
                x.nrows(),
                x.ncols(),
                self.net.model.input_dim()
            )));
        }
        Ok(())
    }

    /// One iteration of Algorithm 1 on the rows of `x`.
    pub fn step(&mut self, x: &DMatrix<f64>) -> Result<IterationLog> {
        self.check_data(x)?;
        self.step_with(&|rows| Ok(x.select_rows(rows)))
    }

    /// One iteration of Algorithm 1, the batch's features given by `features(rows)`.
    pub fn step_with(
        &mut self,
        features: &dyn Fn(&[usize]) -> Result<DMatrix<f64>>,
    ) -> Result<IterationLog> {
        let prepared = self.prep.prepare(&self.net.model.config, features)?;
        self.net.step(prepared, None)
    }

    /// Runs iterations on the rows of `x` until `until` are done (a resumed trainer continues
    /// where it stopped). `observer` sees every new iteration's log.
    pub fn run(
        &mut self,
        x: &DMatrix<f64>,
        until: usize,
        observer: &mut dyn FnMut(&IterationLog),
    ) -> Result<()> {
        while self.net.iteration < until {
            let log = self.step(x)?;
            observer(&log);
        }
        Ok(())
    }

    /// [`BasisTrainer::run`] with batch t + 1 prepared on a worker thread while the network
    /// steps on batch t, through a queue of `pipeline.depth` batches. The worker prepares
    /// exactly the batches up to `until`, in the serial order and with the same generators,
    /// so targets, weights, logs and a checkpoint written afterwards are bit-identical to
    /// [`BasisTrainer::run`]'s (given the same libtorch thread count). The worker's graph
    /// search uses the graph settings' threads; libtorch uses `pipeline.torch_threads` during
    /// the run and gets its previous setting back afterwards. A failed batch or step stops
    /// both sides and returns the first error; the trainer is then not resumable.
    pub fn run_pipelined(
        &mut self,
        x: &DMatrix<f64>,
        until: usize,
        pipeline: &PipelineConfig,
        observer: &mut dyn FnMut(&IterationLog),
    ) -> Result<()> {
        pipeline.check()?;
        self.check_data(x)?;
        let remaining = until.saturating_sub(self.net.iteration);
        if remaining == 0 {
            return Ok(());
        }
        let config = self.net.model.config.clone();
        let (prep, net) = (&mut self.prep, &mut self.net);
        let features = |rows: &[usize]| Ok(x.select_rows(rows));
        crate::pipeline::run_pipelined(
            pipeline,
            remaining,
            prep,
            |prep, _| prep.prepare(&config, &features),
            |_, p, waited| {
                let log = net.step(p, Some(waited))?;
                observer(&log);
                Ok(())
            },
        )?;
        Ok(())
    }

    /// The trained model and every iteration's log.
    pub fn finish(self) -> (BasisModel, Vec<IterationLog>) {
        (self.net.model, self.net.logs)
    }

    /// Writes the whole training state (weights, Adam's moments, sampler, aligner, generator,
    /// logs) as an atomic checkpoint directory; [`BasisModel::load`] also reads it.
    pub fn save_checkpoint(&self, dir: impl AsRef<Path>) -> Result<()> {
        let mut tensors = named_variables(&self.net.model.vs, NET_PREFIX);
        tensors.extend(self.net.opt.state_tensors());
        let meta = CheckpointMeta {
            model: self.net.model.meta(),
            trainer: Some(TrainerState {
                iteration: self.net.iteration,
                skipped: self.net.skipped,
                rng: self.prep.rng.clone(),
                sampler: self.prep.sampler.clone(),
                aligner: self.prep.aligner.clone(),
                reference_rows: self.reference_rows.clone(),
                logs: self.net.logs.clone(),
                noise: self.net.noise.clone(),
            }),
        };
        write_checkpoint(dir, &tensors, &meta)?;
        Ok(())
    }

    /// Resumes from a checkpoint written by [`BasisTrainer::save_checkpoint`]. Continuing
    /// gives the same result, bit for bit, as a run that was never interrupted.
    pub fn resume(dir: impl AsRef<Path>) -> Result<Self> {
        let (tensors, meta): (_, CheckpointMeta) = read_checkpoint(dir)?;
        let state = meta.trainer.ok_or_else(|| {
            MethodError::Nn(NnError::Checkpoint(
                "this checkpoint holds a model only, no training state".into(),
            ))
        })?;
        let model = BasisModel::from_checkpoint(&tensors, meta.model)?;
        let config = model.config.clone();
        let mut opt = Adam::new(
            &model.vs,
            AdamParams::with_learning_rate(config.learning_rate),
        )?;
        opt.load_state(&tensors)?;
        let l = state.sampler.anchors().len();
        Ok(Self {
            prep: BatchPreparer {
                embedder: BatchEmbedder::new(config.graph, config.embedding)?,
                sampler: state.sampler,
                rng: state.rng,
                aligner: state.aligner,
                anchor_rows: (0..l).collect(),
                batch: Vec::with_capacity(config.batch_size),
            },
            net: NetSide {
                model,
                opt,
                iteration: state.iteration,
                skipped: state.skipped,
                logs: state.logs,
                noise: state.noise,
            },
            reference_rows: state.reference_rows,
        })
    }
}

/// Graph → eigenmap for a batch's features; a graph with more components than the
/// embedding can represent is reported as a degenerate batch.
fn embed_checked(
    graphs: &mut BatchEmbedder,
    xb: &DMatrix<f64>,
    config: &BasisConfig,
) -> Result<(DMatrix<f64>, usize)> {
    let e = graphs.embed(xb)?;
    // Components as the eigensolver saw them (never fewer than the connected ones): clusters
    // joined only by weights too small to register count separately, since each adds a zero
    // eigenvalue.
    config.embedding.check_components(e.components)?;
    Ok((e.coords, e.components))
}

#[cfg(test)]
mod tests {
    use super::*;
    use basis_align::{AlignConfig, AlignError};
    use basis_graph::BatchGraphParams;
    use basis_nn::mlp::MlpConfig;
    use basis_nn::schedule::LrSchedule;

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
    fn input_noise_moves_inputs_and_re_targets_them_by_the_batch_kernel() {
        // Three clean rows on a line with one-hot targets.
        let clean = DMatrix::from_row_slice(3, 1, &[0.0, 1.0, 2.0]);
        let targets = DMatrix::<f64>::identity(3, 3);
        let noise = |bandwidth: f64| InputNoise {
            std: 0.0,
            bandwidth,
            rng: ChaCha8Rng::seed_from_u64(0),
        };
        // A tiny bandwidth: an unmoved row keeps its own target exactly.
        let (same, outside) = noise(1e-3).targets(&clean, &clean, &targets);
        assert_eq!(outside, [false; 3]);
        assert!((same - &targets).abs().max() < 1e-12);
        // Far outside the support, beyond row 2: row 2's target (no underflow to 0/0).
        let far = DMatrix::from_row_slice(1, 1, &[1e6]);
        let (t, outside) = noise(0.5).targets(&clean, &far, &targets);
        assert_eq!(outside, [true]);
        assert!((t[(0, 2)] - 1.0).abs() < 1e-12 && t[(0, 0)] == 0.0, "{t}");
        // Halfway between rows 0 and 1: the kernel's weights exp(−0.25/h²) for both, and
        // exp(−2.25/h²) for row 2.
        let mid = DMatrix::from_row_slice(1, 1, &[0.5]);
        let (t, outside) = noise(1.0).targets(&clean, &mid, &targets);
        assert_eq!(outside, [false], "0.5 from its nearest point, bandwidth 1");
        let (a, b) = ((-0.25f64).exp(), (-2.25f64).exp());
        let expected = [a / (2.0 * a + b), a / (2.0 * a + b), b / (2.0 * a + b)];
        for (j, e) in expected.iter().enumerate() {
            assert!((t[(0, j)] - e).abs() < 1e-12);
        }
        // Rows of the targets stay convex combinations.
        assert!((t.row(0).sum() - 1.0).abs() < 1e-12);
        // The noise: off by default, a length of about `factor` radii otherwise, every row
        // moved within the ball of radius std·|g|.
        let z = DMatrix::from_fn(40, 4, |i, j| ((i * 4 + j) as f64 * 0.37).sin());
        assert!(InputNoise::new(0.0, &z, 5, 0).is_none());
        let mut n = InputNoise::new(2.0, &z, 5, 0).unwrap();
        assert!(n.std > 0.0 && n.bandwidth > 0.0);
        let mut moved = z.clone();
        n.perturb(&mut moved);
        assert!(moved != z);
        let again = {
            let mut m2 = z.clone();
            InputNoise::new(2.0, &z, 5, 0).unwrap().perturb(&mut m2);
            m2
        };
        assert_eq!(moved, again, "the noise is a function of the seed");
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
            Err(MethodError::InvalidConfig(_))
        ));
        let mut c = cfg();
        c.learning_rate = f64::NAN;
        assert!(matches!(
            BasisModel::fit(&x, &anchors, &c, &mut none),
            Err(MethodError::InvalidConfig(_))
        ));
        for noise in [f64::NAN, -1.0, f64::INFINITY] {
            let mut c = cfg();
            c.input_noise = noise;
            assert!(matches!(
                BasisModel::fit(&x, &anchors, &c, &mut none),
                Err(MethodError::InvalidConfig(s)) if s.contains("input_noise")
            ));
        }
        let mut c = cfg();
        c.graph.knn.k = 30;
        assert!(matches!(
            BasisModel::fit(&x, &anchors, &c, &mut none),
            Err(
                MethodError::Spectral(basis_spectral::SpectralError::Graph(_))
                    | MethodError::Graph(_)
            )
        ));
        // Too few anchors for K = 2: K + 1 = 3 are needed.
        assert!(matches!(
            BasisModel::fit(&x, &[0, 1], &cfg(), &mut none),
            Err(MethodError::Align(AlignError::TooFewAnchors {
                got: 2,
                needed: 3,
                ..
            }))
        ));
        let mut bad = data();
        bad[(4, 1)] = f64::INFINITY;
        assert!(matches!(
            BasisModel::fit(&bad, &anchors, &cfg(), &mut none),
            Err(MethodError::NonFinite(s)) if s == "row 4, column 1"
        ));
        assert!(matches!(
            BasisModel::fit(&DMatrix::zeros(0, 2), &anchors, &cfg(), &mut none),
            Err(MethodError::Shape(_))
        ));
    }

    #[test]
    fn logs_with_skipped_batches_round_trip_through_json() {
        // Regression: a skipped batch has loss NaN, serde_json wrote it as null, and reading
        // the log back (the reproduction's timing pass, a checkpoint) failed.
        let skipped = IterationLog {
            iteration: 3,
            loss: f64::NAN,
            anchor_rms_residual: f64::NAN,
            inlier_fraction: f64::NAN,
            anchor_condition: f64::INFINITY,
            components: 12,
            skipped: Some("degenerate batch: 12 graph components but only 10 eigenvectors".into()),
            spectral_seconds: 0.01,
            graph_seconds: 0.004,
            eigen_seconds: 0.006,
            align_seconds: 0.0,
            step_seconds: 0.0,
            wall_seconds: 0.02,
            wait_seconds: None,
        };
        let trained = IterationLog {
            iteration: 4,
            loss: 0.25,
            anchor_rms_residual: 1e-3,
            inlier_fraction: 0.98,
            anchor_condition: 12.5,
            components: 1,
            skipped: None,
            ..skipped.clone()
        };
        let text = serde_json::to_string(&vec![skipped.clone(), trained.clone()]).unwrap();
        assert!(text.contains("\"loss\":null"), "{text}");
        let back: Vec<IterationLog> = serde_json::from_str(&text).unwrap();
        assert!(back[0].loss.is_nan() && back[0].anchor_condition.is_nan());
        assert_eq!(back[0].skipped, skipped.skipped);
        assert_eq!(back[1], trained);
        // final_loss skips the skipped batch.
        assert_eq!(final_loss(&back), 0.25);
    }

    #[test]
    fn embed_checks_its_input() {
        let x = data();
        let anchors: Vec<usize> = (0..5).collect();
        let (m, _) = BasisModel::fit(&x, &anchors, &cfg(), &mut |_| {}).unwrap();
        assert_eq!(m.embed(&x).unwrap().shape(), (60, 2));
        assert!(matches!(
            m.embed(&DMatrix::zeros(3, 5)),
            Err(MethodError::Shape(_))
        ));
        let mut bad = x.clone();
        bad[(0, 0)] = f64::NAN;
        assert!(matches!(m.embed(&bad), Err(MethodError::NonFinite(_))));
    }

    fn scratch(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("basis-trainer-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn ransac_cfg() -> BasisConfig {
        // RANSAC with 4-anchor samples, so the aligner's generator is part of the state.
        let mut c = cfg();
        c.iterations = 6;
        c.align = AlignConfig {
            ransac: Some(basis_align::RansacParams {
                sample_size: 4,
                iterations: 10,
                ..Default::default()
            }),
            ..AlignConfig::default()
        };
        c
    }

    /// Six iterations with a schedule: the step size depends on the iteration, which a
    /// checkpoint must hold.
    fn scheduled_cfg() -> BasisConfig {
        BasisConfig {
            iterations: 6,
            lr_schedule: LrSchedule::Cosine {
                final_fraction: 0.1,
            },
            ..ransac_cfg()
        }
    }

    /// [`scheduled_cfg`] with input noise: its generator is part of the state too.
    fn noisy_cfg() -> BasisConfig {
        BasisConfig {
            input_noise: 2.0,
            ..scheduled_cfg()
        }
    }

    #[test]
    fn resumed_training_is_bit_identical_to_an_uninterrupted_run() {
        for c in [scheduled_cfg(), noisy_cfg()] {
            resume_matches_uninterrupted(&c);
        }
    }

    fn resume_matches_uninterrupted(c: &BasisConfig) {
        let x = data();
        let anchors: Vec<usize> = (0..8).collect();
        let c = c.clone();
        let mut whole = BasisTrainer::new(&x, &anchors, &c).unwrap();
        whole.run(&x, 6, &mut |_| {}).unwrap();

        let dir = scratch("resume");
        let mut first = BasisTrainer::new(&x, &anchors, &c).unwrap();
        first.run(&x, 3, &mut |_| {}).unwrap();
        first.save_checkpoint(&dir).unwrap();
        drop(first);
        let mut resumed = BasisTrainer::resume(&dir).unwrap();
        assert_eq!(resumed.iteration(), 3);
        resumed.run(&x, 6, &mut |_| {}).unwrap();

        let (a, logs_a) = whole.finish();
        let (b, logs_b) = resumed.finish();
        assert_eq!(a.embed(&x).unwrap(), b.embed(&x).unwrap());
        let losses = |l: &[IterationLog]| l.iter().map(|l| l.loss.to_bits()).collect::<Vec<_>>();
        assert_eq!(losses(&logs_a), losses(&logs_b));
        // A model-only save cannot be resumed from, with a typed error.
        a.save(&dir).unwrap();
        assert!(matches!(
            BasisTrainer::resume(&dir),
            Err(MethodError::Nn(NnError::Checkpoint(_)))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The weights of a model, bit for bit.
    fn weight_bits(m: &BasisModel) -> Vec<(String, Vec<u32>)> {
        let mut v: Vec<(String, Vec<u32>)> =
            m.vs.variables()
                .into_iter()
                .map(|(name, t)| {
                    let flat = t.flatten(0, -1).to_kind(tch::Kind::Float);
                    let values: Vec<f32> = Vec::try_from(&flat).unwrap();
                    (name, values.into_iter().map(f32::to_bits).collect())
                })
                .collect();
        v.sort();
        v
    }

    #[test]
    fn pipelined_training_is_bit_identical_to_serial_and_resumes_either_way() {
        for c in [scheduled_cfg(), noisy_cfg()] {
            pipelined_matches_serial(&c);
        }
    }

    fn pipelined_matches_serial(c: &BasisConfig) {
        let x = data();
        let anchors: Vec<usize> = (0..8).collect();
        let c = c.clone();
        let threads = tch::get_num_threads();
        // The default leaves libtorch's thread count: reductions run in the same order.
        let pipe = PipelineConfig::default();
        let mut serial = BasisTrainer::new(&x, &anchors, &c).unwrap();
        serial.run(&x, 6, &mut |_| {}).unwrap();
        let mut seen = Vec::new();
        let mut piped = BasisTrainer::new(&x, &anchors, &c).unwrap();
        piped
            .run_pipelined(&x, 6, &pipe, &mut |l| seen.push(l.iteration))
            .unwrap();
        assert_eq!(seen, (0..6).collect::<Vec<_>>());
        assert_eq!(piped.iteration(), 6);
        assert!(piped.logs().iter().all(|l| l.wait_seconds.is_some()));
        assert_eq!(tch::get_num_threads(), threads);
        // A pipelined run stopped at 3 and checkpointed resumes serially, and a serial
        // checkpoint resumes pipelined.
        let dir = scratch("pipelined-resume");
        let mut first = BasisTrainer::new(&x, &anchors, &c).unwrap();
        first.run_pipelined(&x, 3, &pipe, &mut |_| {}).unwrap();
        first.save_checkpoint(&dir).unwrap();
        let mut resumed_serial = BasisTrainer::resume(&dir).unwrap();
        resumed_serial.run(&x, 6, &mut |_| {}).unwrap();
        let mut second = BasisTrainer::new(&x, &anchors, &c).unwrap();
        second.run(&x, 2, &mut |_| {}).unwrap();
        second.save_checkpoint(&dir).unwrap();
        let mut resumed_piped = BasisTrainer::resume(&dir).unwrap();
        resumed_piped
            .run_pipelined(
                &x,
                6,
                &PipelineConfig {
                    depth: 1,
                    torch_threads: Some(threads as usize),
                    idle_worker: false,
                },
                &mut |_| {},
            )
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        let (reference, logs) = serial.finish();
        let bits = |l: &[IterationLog]| {
            l.iter()
                .map(|l| {
                    (
                        l.loss.to_bits(),
                        l.anchor_rms_residual.to_bits(),
                        l.inlier_fraction.to_bits(),
                    )
                })
                .collect::<Vec<_>>()
        };
        for other in [piped, resumed_serial, resumed_piped] {
            let (m, l) = other.finish();
            assert_eq!(bits(&l), bits(&logs));
            assert_eq!(weight_bits(&m), weight_bits(&reference));
            assert_eq!(m.embed(&x).unwrap(), reference.embed(&x).unwrap());
        }
        assert!(logs.iter().all(|l| l.wait_seconds.is_none()));
    }

    #[test]
    fn pipelined_errors_are_typed_and_stop_both_sides() {
        let x = data();
        let anchors: Vec<usize> = (0..8).collect();
        let mut t = BasisTrainer::new(&x, &anchors, &ransac_cfg()).unwrap();
        for bad in [
            PipelineConfig {
                depth: 0,
                ..Default::default()
            },
            PipelineConfig {
                torch_threads: Some(0),
                ..Default::default()
            },
        ] {
            assert!(matches!(
                t.run_pipelined(&x, 3, &bad, &mut |_| {}),
                Err(MethodError::InvalidConfig(_))
            ));
        }
        assert_eq!(t.iteration(), 0);
        // Nothing left to do is not an error.
        let pipe = PipelineConfig::default();
        t.run_pipelined(&x, 0, &pipe, &mut |_| {}).unwrap();
        // Training data of another width, or fewer rows than the sampler draws from: typed
        // errors before anything runs, serial or pipelined.
        let wide = DMatrix::from_fn(60, 3, |i, j| ((i * 3 + j) as f64 * 0.41).cos());
        let short = x.rows(0, 40).into_owned();
        for bad in [&wide, &short] {
            assert!(matches!(
                t.run_pipelined(bad, 4, &pipe, &mut |_| {}),
                Err(MethodError::Shape(_))
            ));
            assert!(matches!(t.step(bad), Err(MethodError::Shape(_))));
        }
        assert_eq!(t.iteration(), 0);
    }

    #[test]
    fn the_schedule_sets_every_steps_learning_rate_and_bad_schedules_are_rejected() {
        let x = data();
        let anchors: Vec<usize> = (0..8).collect();
        let c = BasisConfig {
            iterations: 4,
            learning_rate: 1e-2,
            lr_schedule: LrSchedule::Cosine {
                final_fraction: 0.25,
            },
            ..ransac_cfg()
        };
        let mut t = BasisTrainer::new(&x, &anchors, &c).unwrap();
        for it in 0..4 {
            t.step(&x).unwrap();
            let expected = c.lr_schedule.learning_rate(1e-2, it, 4);
            assert_eq!(t.net.opt.learning_rate(), expected, "iteration {it}");
        }
        assert!((t.net.opt.learning_rate() - 2.5e-3).abs() < 1e-15);
        let bad = BasisConfig {
            lr_schedule: LrSchedule::Cosine {
                final_fraction: 2.0,
            },
            ..c
        };
        assert!(matches!(
            BasisTrainer::new(&x, &anchors, &bad),
            Err(MethodError::InvalidConfig(_))
        ));
    }

    #[test]
    fn saved_model_gives_bit_identical_outputs() {
        let x = data();
        let anchors: Vec<usize> = (0..5).collect();
        let (m, _) = BasisModel::fit(&x, &anchors, &cfg(), &mut |_| {}).unwrap();
        let dir = scratch("save");
        m.save(&dir).unwrap();
        let back = BasisModel::load(&dir).unwrap();
        assert_eq!(back.config(), m.config());
        let (a, b) = (m.embed(&x).unwrap(), back.embed(&x).unwrap());
        assert!(
            a.iter()
                .zip(b.iter())
                .all(|(u, v)| u.to_bits() == v.to_bits())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_seed_decides_the_embedding() {
        let x = data();
        let anchors: Vec<usize> = (0..8).collect();
        let c = ransac_cfg();
        let run = |c: &BasisConfig| {
            BasisModel::fit(&x, &anchors, c, &mut |_| {})
                .unwrap()
                .0
                .embed(&x)
                .unwrap()
        };
        assert_eq!(run(&c), run(&c));
        let mut other = c.clone();
        other.seed = 1;
        assert_ne!(run(&c), run(&other));
    }
}
