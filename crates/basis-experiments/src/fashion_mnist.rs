//! BASiS on an image data set end to end (paper Sec. 5.2, Table 1): Siamese features,
//! Algorithm 1 over several seeds, evaluation on the test set, a mean ± std table beside the
//! paper's row.
//!
//! - Data: Fashion-MNIST from the Debian package, or any directory holding MNIST-style IDX
//!   files (`train-images-idx3-ubyte[.gz]`, `train-labels-…`, `t10k-images-…`,
//!   `t10k-labels-…`) or `.npy` files (`train_x.npy`, `train_y.npy`, `test_x.npy`, `test_y.npy`).
//! - Features: the Siamese CNN of [`crate::siamese`] (images), trained once and cached in the
//!   output directory with its features; or the data's own columns ([`FeatureSource::Raw`]).
//! - Anchors: 25 per class from the **training** set. The official code drew them from the
//!   test set; anchors are training points the network is fitted on, and drawing them from the
//!   test set lets test points shape the training targets.
//! - Every seed: anchors, batches, network weights and RANSAC draws come from it; training
//!   is checkpointed and resumed when a checkpoint of the same configuration is found.

use crate::{ExperimentError, Result};
use basis_data::clusters::{SubspaceBlobsParams, subspace_blobs};
use basis_data::fashion_mnist::{FashionMnistConfig, Split, load_fashion_mnist};
use basis_data::npy::{encode_npy, read_npy};
use basis_data::{DataError, LabeledData};
use basis_methods::anchors::{AnchorStrategy, select_anchors};
use basis_methods::basis::{BasisConfig, BasisTrainer, IterationLog, PipelineConfig};
use basis_methods::basis::{paper_basis_config, seeded_basis_config};
use basis_metrics::{Report, ReportInputs, ReportParams};
use basis_nn::progress::progress_bar;
use basis_nn::siamese::{SiameseConfig, train_siamese};
use basis_spectral::analytic_embedding;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where the model inputs come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureSource {
    /// The Siamese CNN's outputs (square single-channel images).
    Siamese,
    /// The data's own columns.
    Raw,
}

/// Everything that defines a reproduction run. Serialisable; written beside the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentConfig {
    /// `fashion-mnist`, `subspace-blobs` (generated from [`ExperimentConfig::blobs`]), or a
    /// directory of IDX or `.npy` files (see the module documentation).
    pub dataset: String,
    /// The generator of the `subspace-blobs` data set (tight clusters in a subspace).
    #[serde(default)]
    pub blobs: SubspaceBlobsParams,
    /// Keep only these classes (empty: all). Labels are renumbered 0.. in this order.
    pub classes: Vec<usize>,
    /// Use at most this many training / test points (after the class filter; `None`: all).
    pub limit_train: Option<usize>,
    /// See [`ExperimentConfig::limit_train`].
    pub limit_test: Option<usize>,
    /// Siamese features or raw columns.
    pub features: FeatureSource,
    /// The Siamese network and its training.
    pub siamese: SiameseConfig,
    /// Anchors drawn from every class of the training set (with
    /// [`AnchorStrategy::PerClass`]; the label-free strategies draw `anchors_per_class × K`).
    pub anchors_per_class: usize,
    /// How the anchors are picked: per class (the paper's setting), uniformly or by k-means++
    /// seeding on the features (no labels).
    #[serde(default)]
    pub anchor_strategy: AnchorStrategy,
    /// Algorithm 1's configuration; its seed is replaced by each run's seed.
    pub basis: BasisConfig,
    /// How the test embedding is scored.
    pub report: ReportParams,
    /// Write a resumable checkpoint every this many iterations (0: never).
    pub checkpoint_every: usize,
    /// Prepare batch t + 1 on a worker thread while the network steps on batch t
    /// (`BasisTrainer::run_pipelined`; `None`: serial). A runtime setting: results and
    /// checkpoints are the same either way, and a run resumes the other's checkpoints.
    #[serde(default)]
    pub pipeline: Option<PipelineConfig>,
    /// A seed directory may hold a checkpoint of another run (other training data, BASiS
    /// settings, input dimension or anchors). `false`: stop with an error that names what
    /// differs; `true`: discard it and train that seed from the start.
    #[serde(default)]
    pub start_over: bool,
    /// Where the Siamese network and features are cached (`None`: `out_dir/features`), so
    /// several reproductions can share one trained feature network.
    #[serde(default)]
    pub feature_cache: Option<PathBuf>,
    /// A diagnostic, not a method setting: draw the anchors from the **test** set, as the
    /// official code does (transductive: the anchors are test points, and they enter every
    /// training batch). The network is still scored on the whole test set. `false` (the
    /// default): anchors are training points, and no test point is seen in training.
    #[serde(default)]
    pub test_set_anchors: bool,
    /// Where everything goes.
    pub out_dir: PathBuf,
}

impl ExperimentConfig {
    /// Checks what can be checked before the data are loaded: BASiS's settings (the batch
    /// size against the data is checked once they are), the pipeline, the anchors, the
    /// generator of `subspace-blobs` and the Siamese network.
    pub fn check(&self) -> Result<()> {
        self.basis.check_settings(usize::MAX)?;
        if let Some(p) = &self.pipeline {
            p.check()?;
        }
        if self.anchors_per_class == 0 {
            return Err(ExperimentError::InvalidConfig(
                "anchors_per_class must be >= 1".into(),
            ));
        }
        if self.dataset == SUBSPACE_BLOBS {
            self.blobs.check()?;
        }
        if self.features == FeatureSource::Siamese {
            self.siamese.check()?;
        }
        Ok(())
    }
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        Self {
            dataset: "fashion-mnist".into(),
            blobs: SubspaceBlobsParams::default(),
            classes: Vec::new(),
            limit_train: None,
            limit_test: None,
            start_over: false,
            features: FeatureSource::Siamese,
            siamese: SiameseConfig::default(),
            anchors_per_class: 25,
            anchor_strategy: AnchorStrategy::PerClass,
            basis: paper_basis_config(),
            report: ReportParams::default(),
            checkpoint_every: 250,
            pipeline: None,
            feature_cache: None,
            test_set_anchors: false,
            out_dir: PathBuf::from("results/basis-fashion-mnist"),
        }
    }
}

/// The paper's Fashion-MNIST BASiS row of Table 1: (mean, std) of d_G, d_⊥, NMI, ACC and
/// linear-probe accuracy in percent.
pub const PAPER_FASHION_MNIST_BASIS: [(f64, f64); 5] = [
    (0.284, 0.073),
    (0.590, 0.144),
    (0.798, 0.001),
    (0.865, 0.003),
    (87.202, 0.187),
];

/// Training and test sets, and the side of the images when they are square images.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Training points.
    pub train: LabeledData,
    /// Test points.
    pub test: LabeledData,
    /// Side of the square images, when the rows are images (IDX n×s×s, or a perfect square).
    pub image_side: Option<usize>,
}

fn find(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

fn npy_labels(path: &Path) -> Result<Vec<usize>> {
    let m = read_npy(path)?;
    Ok(basis_data::class_labels_from_matrix(
        &m,
        &path.display().to_string(),
    )?)
}

/// The [`ExperimentConfig::dataset`] name of the generated tight-cluster data set.
pub const SUBSPACE_BLOBS: &str = "subspace-blobs";

/// Loads `spec`: `fashion-mnist` or a directory (see [`ExperimentConfig::dataset`]; the
/// generated `subspace-blobs` set is made by [`prepare`] from the config).
pub fn load_dataset(spec: &str) -> Result<Dataset> {
    let idx_dir = |dir: Option<PathBuf>| -> Result<Dataset> {
        let c = FashionMnistConfig { dir, limit: None };
        let train = load_fashion_mnist(&c, Split::Train)?;
        let test = load_fashion_mnist(&c, Split::Test)?;
        let side = (train.dim() as f64).sqrt().round() as usize;
        Ok(Dataset {
            image_side: (side * side == train.dim()).then_some(side),
            train,
            test,
        })
    };
    if spec == "fashion-mnist" {
        return idx_dir(None);
    }
    let dir = PathBuf::from(spec);
    if !dir.is_dir() {
        return Err(DataError::MissingDataset {
            path: dir,
            hint: "give `fashion-mnist` or a directory of MNIST-style IDX files or of \
                   train_x.npy, train_y.npy, test_x.npy, test_y.npy"
                .into(),
        }
        .into());
    }
    if find(
        &dir,
        &["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"],
    )
    .is_some()
    {
        return idx_dir(Some(dir));
    }
    let part = |name: &str| {
        find(&dir, &[name]).ok_or_else(|| {
            ExperimentError::from(DataError::MissingDataset {
                path: dir.join(name),
                hint: "a .npy data set needs train_x.npy, train_y.npy, test_x.npy, test_y.npy"
                    .into(),
            })
        })
    };
    let train = LabeledData::new(
        read_npy(part("train_x.npy")?)?,
        npy_labels(&part("train_y.npy")?)?,
    )?;
    let test = LabeledData::new(
        read_npy(part("test_x.npy")?)?,
        npy_labels(&part("test_y.npy")?)?,
    )?;
    if train.dim() != test.dim() {
        return Err(DataError::ShapeMismatch(format!(
            "train has {} columns, test {}",
            train.dim(),
            test.dim()
        ))
        .into());
    }
    let side = (train.dim() as f64).sqrt().round() as usize;
    Ok(Dataset {
        image_side: (side * side == train.dim() && side >= 16).then_some(side),
        train,
        test,
    })
}

/// Keeps the points of `classes` (renumbered 0.. in that order; all when empty), then the
/// first `limit` of them.
pub fn restrict(
    data: &LabeledData,
    classes: &[usize],
    limit: Option<usize>,
    split: &str,
) -> Result<LabeledData> {
    if limit == Some(0) {
        return Err(DataError::InvalidParameter(format!(
            "--limit-{split} 0 leaves no {split} points"
        ))
        .into());
    }
    let mut rows: Vec<usize> = (0..data.len())
        .filter(|&i| classes.is_empty() || classes.contains(&data.labels[i]))
        .collect();
    if rows.is_empty() && !classes.is_empty() {
        let mut present = data.labels.clone();
        present.sort_unstable();
        present.dedup();
        return Err(DataError::InvalidParameter(format!(
            "--classes {classes:?} matches no {split} point (its classes are {present:?})"
        ))
        .into());
    }
    if let Some(l) = limit {
        rows.truncate(l);
    }
    let mut out = data.select(&rows)?;
    if !classes.is_empty() {
        for y in &mut out.labels {
            *y = classes.iter().position(|c| c == y).unwrap_or(0);
        }
    }
    Ok(out)
}

/// Refuses, before any training, a test set whose points have another dimension than the
/// training set's, and a training set of fewer than two classes (nothing to cluster, no probe).
pub fn check_splits(train: &LabeledData, test: &LabeledData, dataset: &str) -> Result<()> {
    if train.dim() != test.dim() {
        return Err(DataError::ShapeMismatch(format!(
            "{dataset}: the training points have {} features but the test points {}",
            train.dim(),
            test.dim()
        ))
        .into());
    }
    let mut classes = train.labels.clone();
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        return Err(DataError::InvalidParameter(format!(
            "{dataset}: the training set holds {} class{} ({classes:?}); BASiS's anchors, NMI, \
             ACC and the probe need at least two",
            classes.len(),
            if classes.len() == 1 { "" } else { "es" }
        ))
        .into());
    }
    Ok(())
}

/// Model inputs for the training and test sets.
#[derive(Debug, Clone)]
pub struct Features {
    /// Training features, n × d.
    pub train: DMatrix<f64>,
    /// Test features.
    pub test: DMatrix<f64>,
    /// Seconds spent training the Siamese network (0 when loaded from the cache).
    pub train_seconds: f64,
}

#[derive(Serialize, Deserialize, PartialEq)]
struct FeatureCacheKey {
    dataset: String,
    classes: Vec<usize>,
    limit_train: Option<usize>,
    limit_test: Option<usize>,
    siamese: SiameseConfig,
}

/// Siamese features of both sets, trained once and cached in `dir` (`siamese/`,
/// `train_features.npy`, `test_features.npy`, `features.json`); reused when the cache was
/// made with the same data and Siamese configuration.
pub fn siamese_features(
    data: &Dataset,
    config: &ExperimentConfig,
    dir: &Path,
    progress: bool,
) -> Result<Features> {
    let key = FeatureCacheKey {
        dataset: config.dataset.clone(),
        classes: config.classes.clone(),
        limit_train: config.limit_train,
        limit_test: config.limit_test,
        siamese: config.siamese.clone(),
    };
    let key_path = dir.join("features.json");
    let (train_path, test_path) = (
        dir.join("train_features.npy"),
        dir.join("test_features.npy"),
    );
    let cached = std::fs::read_to_string(&key_path)
        .ok()
        .and_then(|t| serde_json::from_str::<FeatureCacheKey>(&t).ok())
        .is_some_and(|k| k == key);
    if cached {
        if let (Ok(train), Ok(test)) = (read_npy(&train_path), read_npy(&test_path)) {
            if train.nrows() == data.train.len() && test.nrows() == data.test.len() {
                return Ok(Features {
                    train,
                    test,
                    train_seconds: 0.0,
                });
            }
        }
    }
    let side = data.image_side.ok_or_else(|| {
        ExperimentError::InvalidConfig(format!(
            "Siamese features need square images; rows have {} columns (use raw features)",
            data.train.dim()
        ))
    })?;
    let siamese = SiameseConfig {
        image_side: side,
        ..config.siamese.clone()
    };
    let bar = progress_bar(siamese.steps, progress, "Siamese");
    let t = Instant::now();
    let (net, _) = train_siamese(
        &data.train.features,
        &data.train.labels,
        &siamese,
        &mut |log| {
            bar.inc(1);
            if log.step % 50 == 0 {
                bar.set_message(format!("contrastive loss {:.4}", log.loss));
            }
        },
    )?;
    bar.finish_and_clear();
    let train_seconds = t.elapsed().as_secs_f64();
    net.save(dir.join("siamese"))?;
    let features = Features {
        train: net.features(&data.train.features)?,
        test: net.features(&data.test.features)?,
        train_seconds,
    };
    basis_data::io::write_atomic(&train_path, &encode_npy(&features.train))?;
    basis_data::io::write_atomic(&test_path, &encode_npy(&features.test))?;
    basis_data::io::write_atomic(&key_path, serde_json::to_string_pretty(&key)?.as_bytes())?;
    Ok(features)
}

/// Median per-iteration time of each stage, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageTimes {
    /// kNN + affinity + Laplacian.
    pub graph_ms: f64,
    /// Eigenvectors.
    pub eigen_ms: f64,
    /// RANSAC alignment.
    pub align_ms: f64,
    /// Network forward, backward and Adam step.
    pub step_ms: f64,
    /// Whole iteration, wall clock (batch drawing and feature gathering included).
    pub total_ms: f64,
    /// Iterations per second (from the mean wall time of an iteration).
    pub iterations_per_second: f64,
}

impl StageTimes {
    /// Medians over the trained (not skipped) iterations of `logs`; iterations per second
    /// from their mean wall time.
    pub fn from_logs(logs: &[IterationLog]) -> Self {
        let trained: Vec<&IterationLog> = logs.iter().filter(|l| l.skipped.is_none()).collect();
        let median = |f: &dyn Fn(&IterationLog) -> f64| {
            let mut v: Vec<f64> = trained.iter().map(|l| f(l)).collect();
            v.sort_by(f64::total_cmp);
            if v.is_empty() {
                f64::NAN
            } else {
                1e3 * v[v.len() / 2]
            }
        };
        let mean_wall =
            trained.iter().map(|l| l.wall_seconds).sum::<f64>() / trained.len().max(1) as f64;
        Self {
            graph_ms: median(&|l| l.graph_seconds),
            eigen_ms: median(&|l| l.eigen_seconds),
            align_ms: median(&|l| l.align_seconds),
            step_ms: median(&|l| l.step_seconds),
            total_ms: median(&|l| l.wall_seconds),
            iterations_per_second: 1.0 / mean_wall,
        }
    }
}

/// Each distinct reason a batch of `logs` was skipped for, with its count.
pub fn skip_reasons(logs: &[IterationLog]) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for reason in logs.iter().filter_map(|l| l.skipped.as_ref()) {
        *out.entry(reason.clone()).or_insert(0) += 1;
    }
    out
}

/// One seed's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Table 1's numbers for the network's test embedding.
    pub report: Report,
    /// sin² of the principal angles between the network's test embedding and the analytic
    /// eigenvectors, smallest angle first; they sum to d_G.
    pub principal_sin2: Vec<f64>,
    /// Per-stage time of an iteration.
    pub timing: StageTimes,
    /// Batches skipped as degenerate.
    pub skipped_batches: usize,
    /// Why they were skipped: each distinct reason with its count.
    #[serde(default)]
    pub skip_reasons: std::collections::BTreeMap<String, usize>,
    /// Mean loss over the last 50 iterations.
    #[serde(with = "basis_nn::json_nan")]
    pub final_loss: f64,
    /// Mean RANSAC inlier fraction over the run.
    #[serde(with = "basis_nn::json_nan")]
    pub mean_inlier_fraction: f64,
    /// Seconds of training (this process; a resumed run counts only what it did).
    pub train_seconds: f64,
    /// Iterations run by this process (fewer than configured when resumed).
    pub iterations_run: usize,
    /// The same network scored on its own **training** points: d_G against the analytic
    /// eigenvectors of the training graph, NMI and ACC of k-means on the training embedding.
    /// Beside the test scores it shows what is lost out of sample (`None` in reports written
    /// before it was recorded).
    #[serde(default)]
    pub train: Option<Report>,
}

impl SeedResult {
    /// Test d_G over training d_G: how much of the eigenspace the network loses out of sample
    /// (NaN when either is missing).
    pub fn grassmann_ratio(&self) -> f64 {
        let test = self.report.grassmann.unwrap_or(f64::NAN);
        let train = self
            .train
            .as_ref()
            .and_then(|r| r.grassmann)
            .unwrap_or(f64::NAN);
        test / train
    }
}

/// Mean and sample standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Mean (NaN, written as `null`, when no value was finite).
    #[serde(with = "basis_nn::json_nan")]
    pub mean: f64,
    /// Empirical standard deviation (n − 1 in the denominator; 0 for one value).
    #[serde(with = "basis_nn::json_nan")]
    pub std: f64,
}

impl MeanStd {
    /// Of the finite values of `v`.
    pub fn of(v: impl IntoIterator<Item = f64>) -> Self {
        let v: Vec<f64> = v.into_iter().filter(|x| x.is_finite()).collect();
        let n = v.len() as f64;
        if v.is_empty() {
            return Self {
                mean: f64::NAN,
                std: f64::NAN,
            };
        }
        let mean = v.iter().sum::<f64>() / n;
        let var = if v.len() > 1 {
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Self {
            mean,
            std: var.sqrt(),
        }
    }
}

/// The whole reproduction: every seed, the aggregate, the reference rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentSummary {
    /// The configuration.
    pub config: ExperimentConfig,
    /// Seeds run.
    pub seeds: Vec<u64>,
    /// Per-seed results.
    pub runs: Vec<SeedResult>,
    /// Mean ± std of d_G, d_⊥, NMI, ACC and probe accuracy (%) over the seeds.
    pub aggregate: [MeanStd; 5],
    /// The analytic eigenvectors of the test graph scored the same way (NMI and ACC are what
    /// a perfect network would reach; d_G = 0 by definition; no probe).
    pub analytic: Report,
    /// k-means on the test **features** themselves (the network's inputs, not standardised):
    /// the clustering the embedding must not lose (NMI, ACC; no d_G).
    #[serde(default)]
    pub features_kmeans: Option<Report>,
    /// The analytic eigenvectors of the **training** graph carried to the test points by the
    /// graph's kernel (`basis_spectral::kernel_extension`, Nyström-style): what an
    /// out-of-sample method can reach from the same training points, without a network.
    #[serde(default)]
    pub training_eigenvectors_extended: Option<Report>,
    /// Median per-stage times over all seeds' iterations.
    pub timing: StageTimes,
    /// Points and feature dimension of the training and test sets.
    pub sizes: [usize; 3],
    /// Seconds spent on the Siamese network (0 when its cache was used).
    pub siamese_seconds: f64,
    /// Seconds spent on the analytic test embedding.
    pub analytic_seconds: f64,
    /// The K + 1 smallest eigenvalues of the test graph's Laplacian: the gap between the
    /// last two says how well the K-dimensional eigenspace is defined.
    pub test_eigenvalues: Vec<f64>,
}

fn report_values(r: &Report) -> [f64; 5] {
    let g = |v: Option<f64>| v.unwrap_or(f64::NAN);
    [
        g(r.grassmann),
        g(r.orthogonality),
        g(r.nmi),
        g(r.acc),
        100.0 * g(r.probe_accuracy),
    ]
}

/// What a checkpoint was trained on: the shape and an FNV-1a hash of the bits of every value of
/// the training features, so a resume on other data (another subset, other features) is
/// detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// Training points.
    pub rows: usize,
    /// Feature dimension.
    pub cols: usize,
    /// FNV-1a (64-bit) of the values' bits in column-major order.
    pub hash: u64,
}

impl DataFingerprint {
    /// The fingerprint of `x`.
    pub fn of(x: &DMatrix<f64>) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for v in x.iter() {
            for b in v.to_bits().to_le_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        Self {
            rows: x.nrows(),
            cols: x.ncols(),
            hash: h,
        }
    }
}

/// Trains one seed (resuming a checkpoint of the same configuration when one exists) and
/// scores it on the test set. Writes `model/`, `checkpoint/`, `train_log.json`,
/// `test_embedding.npy` and `report.json` into `dir`.
#[allow(clippy::too_many_arguments)]
pub fn run_seed(
    config: &ExperimentConfig,
    features: &Features,
    train_labels: &[usize],
    test_labels: &[usize],
    [analytic, analytic_train]: [&DMatrix<f64>; 2],
    seed: u64,
    dir: &Path,
    progress: bool,
) -> Result<SeedResult> {
    let basis = seeded_basis_config(&config.basis, seed);
    let (anchor_pool, anchor_labels) = if config.test_set_anchors {
        (&features.test, test_labels)
    } else {
        (&features.train, train_labels)
    };
    let mut anchors = select_anchors(
        config.anchor_strategy,
        anchor_pool,
        Some(anchor_labels),
        config.anchors_per_class,
        config.anchors_per_class * config.basis.embedding.k,
        seed,
    )?;
    // Test-set anchors (the official code's transductive choice): the chosen test rows are
    // appended to the training features and become the anchors.
    let transductive;
    let x = if config.test_set_anchors {
        let n = features.train.nrows();
        let extra = features.test.select_rows(&anchors);
        let mut joined = features
            .train
            .clone()
            .resize_vertically(n + anchors.len(), 0.0);
        joined.rows_mut(n, anchors.len()).copy_from(&extra);
        anchors = (n..n + anchors.len()).collect();
        transductive = joined;
        &transductive
    } else {
        &features.train
    };
    let ckpt = dir.join("checkpoint");
    let fingerprint = DataFingerprint::of(x);
    let fingerprint_path = dir.join("data-fingerprint.json");
    let recorded = std::fs::read_to_string(&fingerprint_path)
        .ok()
        .and_then(|t| serde_json::from_str::<DataFingerprint>(&t).ok());
    // Resumed only on the same training data (rows and values: a changed --limit-train or
    // class filter used to resume on the old subset, or index past the new one), under the
    // same configuration, input and anchors (the reference rows start with the anchors).
    // Anything else is an error that names the difference, unless `start_over` is set.
    let resumed = if ckpt.exists() {
        let mut differs: Vec<String> = Vec::new();
        let trainer = match BasisTrainer::resume(&ckpt) {
            Ok(t) => {
                match recorded {
                    None => differs.push(
                        "it has no data fingerprint (written before they were recorded)".into(),
                    ),
                    Some(f) if f != fingerprint => differs.push(format!(
                        "it was trained on {} × {} training features (hash {:016x}), this run has {} × {} (hash {:016x}): \
                         --limit-train, --classes, the data set or the features changed",
                        f.rows, f.cols, f.hash, fingerprint.rows, fingerprint.cols, fingerprint.hash
                    )),
                    Some(_) => {}
                }
                if t.model().input_dim() != x.ncols() {
                    differs.push(format!(
                        "its input dimension is {}, this run's {}",
                        t.model().input_dim(),
                        x.ncols()
                    ));
                }
                if t.model().config() != &basis {
                    differs.push("its BASiS configuration differs from this run's".into());
                }
                if !t.reference_rows().starts_with(&anchors) {
                    differs.push("its anchors differ from this run's".into());
                }
                Some(t)
            }
            Err(e) => {
                differs.push(format!("it cannot be read ({e})"));
                None
            }
        };
        match (differs.is_empty(), trainer) {
            (true, Some(t)) => Some(t),
            _ if config.start_over => None,
            _ => {
                return Err(ExperimentError::InvalidConfig(format!(
                    "{} is not a checkpoint of this run: {}; pass --start-over to discard it and \
                     train seed {seed} from the start, or choose another --out",
                    ckpt.display(),
                    differs.join("; ")
                )));
            }
        }
    } else {
        None
    };
    let mut trainer = match resumed {
        Some(t) => t,
        None => {
            // A fresh start: the old checkpoint goes first, so that the fingerprint written
            // next can never describe a checkpoint of other data.
            if ckpt.exists() {
                std::fs::remove_dir_all(&ckpt).map_err(|e| DataError::io(&ckpt, e))?;
            }
            let text = serde_json::to_string_pretty(&fingerprint)?;
            basis_data::io::write_atomic(&fingerprint_path, text.as_bytes())?;
            BasisTrainer::new(x, &anchors, &basis)?
        }
    };
    let start = trainer.iteration();
    let bar = progress_bar(basis.iterations, progress, &format!("BASiS seed {seed}"));
    bar.set_position(start as u64);
    let t = Instant::now();
    let mut observe = |log: &IterationLog| {
        bar.inc(1);
        if log.iteration % 10 == 0 {
            bar.set_message(format!(
                "loss {:.4} inliers {:.2} anchor residual {:.2e}",
                log.loss, log.inlier_fraction, log.anchor_rms_residual
            ));
        }
    };
    while trainer.iteration() < basis.iterations {
        // Up to the next checkpoint (or the end), serial or pipelined.
        let stop = trainer
            .iteration()
            .checked_div(config.checkpoint_every)
            .map_or(basis.iterations, |c| {
                ((c + 1) * config.checkpoint_every).min(basis.iterations)
            });
        match &config.pipeline {
            Some(p) => trainer.run_pipelined(x, stop, p, &mut observe)?,
            None => trainer.run(x, stop, &mut observe)?,
        }
        if trainer.iteration() < basis.iterations {
            trainer.save_checkpoint(&ckpt)?;
        }
    }
    bar.finish_and_clear();
    let train_seconds = t.elapsed().as_secs_f64();
    trainer.save_checkpoint(&ckpt)?;
    let (model, logs) = trainer.finish();
    model.save(dir.join("model"))?;
    basis_data::io::write_atomic(
        dir.join("train_log.json"),
        serde_json::to_string(&logs)?.as_bytes(),
    )?;

    let test_out = model.embed(&features.test)?;
    let train_out = model.embed(&features.train)?;
    basis_data::io::write_atomic(dir.join("test_embedding.npy"), &encode_npy(&test_out))?;
    // k-means of the scores seeded by the run's seed.
    let seeded_report = ReportParams {
        kmeans: basis_metrics::KMeansParams {
            seed,
            ..config.report.kmeans
        },
        ..config.report
    };
    let report = Report::evaluate(
        &ReportInputs {
            embedding: &test_out,
            labels: Some(test_labels),
            analytic: Some(analytic),
            probe_train: Some((&train_out, train_labels)),
        },
        &seeded_report,
    )?;
    let train_report = Report::evaluate(
        &ReportInputs {
            embedding: &train_out,
            labels: Some(train_labels),
            analytic: Some(analytic_train),
            probe_train: None,
        },
        &seeded_report,
    )?;
    let principal_sin2 = basis_metrics::principal_angles(&test_out, analytic)?
        .into_iter()
        .map(|t| t.sin().powi(2))
        .collect();
    let trained: Vec<&IterationLog> = logs.iter().filter(|l| l.skipped.is_none()).collect();
    let result = SeedResult {
        seed,
        report,
        principal_sin2,
        timing: StageTimes::from_logs(&logs),
        skipped_batches: logs.len() - trained.len(),
        skip_reasons: skip_reasons(&logs),
        final_loss: basis_methods::basis::trainer::final_loss(&logs),
        mean_inlier_fraction: trained.iter().map(|l| l.inlier_fraction).sum::<f64>()
            / trained.len().max(1) as f64,
        train_seconds,
        iterations_run: logs.len().saturating_sub(start),
        train: Some(train_report),
    };
    basis_data::io::write_atomic(
        dir.join("report.json"),
        serde_json::to_string_pretty(&result)?.as_bytes(),
    )?;
    Ok(result)
}

/// What every method of a reproduction shares: the data, the features, and the analytic
/// embedding of the test graph (the ground truth of d_G).
#[derive(Debug)]
pub struct Prepared {
    /// Training and test sets after the class filter and limits.
    pub data: Dataset,
    /// Model inputs (Siamese or raw).
    pub features: Features,
    /// The analytic test embedding, n_test × K.
    pub analytic: DMatrix<f64>,
    /// The test graph's affinity (CSR), e.g. for post-processing on the test set.
    pub affinity: nalgebra_sparse::CsrMatrix<f64>,
    /// The K + 1 smallest eigenvalues of the test graph's Laplacian.
    pub test_eigenvalues: Vec<f64>,
    /// Seconds spent on the analytic test embedding.
    pub analytic_seconds: f64,
    /// The analytic embedding scored like a method (no probe).
    pub analytic_report: Report,
    /// The analytic embedding of the **training** graph (n_train × K), the reference of the
    /// training-side d_G in the generalisation check.
    pub analytic_train: DMatrix<f64>,
    /// k-means on the test features themselves, scored like a method (NMI, ACC).
    pub features_report: Report,
    /// The training graph's eigenvectors extended to the test points by the graph's kernel,
    /// scored like a method (d_G, NMI, ACC).
    pub extension_report: Report,
}

/// Loads the data, computes (or reads the cached) features and the analytic test embedding,
/// written to `config.out_dir/analytic_test_embedding.npy` (with the labels of both splits,
/// `train_labels.npy` and `test_labels.npy`). Features are cached in
/// `config.feature_cache`, or `config.out_dir/features` when it is `None`.
pub fn prepare(config: &ExperimentConfig, progress: bool) -> Result<Prepared> {
    let data = if config.dataset == SUBSPACE_BLOBS {
        let (train, test) = subspace_blobs(&config.blobs)?;
        Dataset {
            train,
            test,
            image_side: None,
        }
    } else {
        load_dataset(&config.dataset)?
    };
    let data = Dataset {
        train: restrict(&data.train, &config.classes, config.limit_train, "train")?,
        test: restrict(&data.test, &config.classes, config.limit_test, "test")?,
        image_side: data.image_side,
    };
    check_splits(&data.train, &data.test, &config.dataset)?;
    let out = &config.out_dir;
    let cache = config
        .feature_cache
        .clone()
        .unwrap_or_else(|| out.join("features"));
    let features = match config.features {
        FeatureSource::Siamese => siamese_features(&data, config, &cache, progress)?,
        FeatureSource::Raw => Features {
            train: data.train.features.clone(),
            test: data.test.features.clone(),
            train_seconds: 0.0,
        },
    };
    // The ground truth of d_G: the whole test graph with the training graph's parameters,
    // one eigenpair more than K so the table can show the gap after the K-th.
    let t = Instant::now();
    let mut wider = config.basis.embedding;
    wider.k += 1;
    let solved = analytic_embedding(&features.test, &config.basis.graph, &wider)?;
    let affinity = solved.affinity;
    let solved = solved.embedding;
    let analytic = solved
        .coords
        .columns(0, config.basis.embedding.k)
        .into_owned();
    let test_eigenvalues: Vec<f64> = solved.values.iter().copied().collect();
    let analytic_seconds = t.elapsed().as_secs_f64();
    basis_data::io::write_atomic(
        out.join("analytic_test_embedding.npy"),
        &encode_npy(&analytic),
    )?;
    // The labels after the class filter and limits, beside the embeddings, for analysis
    // elsewhere (e.g. scripts/out_of_sample_diagnosis.py).
    for (name, labels) in [
        ("train_labels.npy", &data.train.labels),
        ("test_labels.npy", &data.test.labels),
    ] {
        let column = DMatrix::from_iterator(labels.len(), 1, labels.iter().map(|&v| v as f64));
        basis_data::io::write_atomic(out.join(name), &encode_npy(&column))?;
    }
    // The rows scored on the test points without a network: no probe (the training graph's
    // eigenvectors live in a different basis of their eigenspaces, signs and rotations, so a
    // probe trained on them says nothing here).
    let score_on_test = |embedding: &DMatrix<f64>, reference: Option<&DMatrix<f64>>| {
        Report::evaluate(
            &ReportInputs {
                embedding,
                labels: Some(&data.test.labels),
                analytic: reference,
                probe_train: None,
            },
            &config.report,
        )
    };
    let analytic_report = score_on_test(&analytic, Some(&analytic))?;
    let features_report = score_on_test(&features.test, None)?;
    // The training side of the generalisation check: the training graph's own eigenvectors,
    // and the same carried to the test points by the graph's kernel.
    let analytic_train = analytic_embedding(
        &features.train,
        &config.basis.graph,
        &config.basis.embedding,
    )?
    .embedding
    .coords;
    let extended =
        basis_spectral::kernel_extension(&features.train, &analytic_train, &features.test, &{
            let k = config.basis.graph.knn.k.min(features.train.nrows());
            basis_spectral::KernelExtensionParams {
                k,
                scale_neighbor: basis_spectral::KernelExtensionParams::default()
                    .scale_neighbor
                    .min(k),
            }
        })?;
    let extension_report = score_on_test(&extended, Some(&analytic))?;
    Ok(Prepared {
        data,
        features,
        analytic,
        affinity,
        test_eigenvalues,
        analytic_seconds,
        analytic_report,
        analytic_train,
        features_report,
        extension_report,
    })
}

/// Runs the reproduction over `seeds`, writing per-seed directories (checkpoints, models,
/// embeddings) into `config.out_dir`; `table.json` and `table.md` are the engine's
/// ([`crate::engine::run`]`::<`[`BasisRow`]`>`).
pub fn run_experiment(
    config: &ExperimentConfig,
    seeds: &[u64],
    progress: bool,
) -> Result<ExperimentSummary> {
    if seeds.is_empty() {
        return Err(ExperimentError::InvalidConfig(
            "at least one seed is needed".into(),
        ));
    }
    let Prepared {
        data,
        features,
        analytic,
        affinity: _,
        test_eigenvalues,
        analytic_seconds,
        analytic_report,
        analytic_train,
        features_report,
        extension_report,
    } = prepare(config, progress)?;
    let out = &config.out_dir;
    let mut runs = Vec::with_capacity(seeds.len());
    for &seed in seeds {
        let r = run_seed(
            config,
            &features,
            &data.train.labels,
            &data.test.labels,
            [&analytic, &analytic_train],
            seed,
            &out.join(format!("seed-{seed}")),
            progress,
        )?;
        if progress {
            eprintln!("{}", r.report.markdown_row(&format!("seed {seed}")));
        }
        runs.push(r);
    }
    let aggregate: [MeanStd; 5] =
        std::array::from_fn(|j| MeanStd::of(runs.iter().map(|r| report_values(&r.report)[j])));
    let mut all_logs = Vec::new();
    for &seed in seeds {
        let p = out.join(format!("seed-{seed}")).join("train_log.json");
        let logs: Vec<IterationLog> =
            serde_json::from_str(&std::fs::read_to_string(&p).map_err(|e| DataError::io(&p, e))?)?;
        all_logs.extend(logs);
    }
    let timing = StageTimes::from_logs(&all_logs);
    let summary = ExperimentSummary {
        config: config.clone(),
        seeds: seeds.to_vec(),
        runs,
        aggregate,
        analytic: analytic_report,
        features_kmeans: Some(features_report),
        training_eigenvectors_extended: Some(extension_report),
        timing,
        sizes: [data.train.len(), data.test.len(), features.train.ncols()],
        siamese_seconds: features.train_seconds,
        analytic_seconds,
        test_eigenvalues,
    };
    Ok(summary)
}

/// `reproduce basis` as an [`Experiment`](crate::Experiment).
pub struct BasisRow;

impl crate::Experiment for BasisRow {
    const NAME: &'static str = "basis";
    const REPORT: &'static str = "table";
    type Config = ExperimentConfig;
    type Report = ExperimentSummary;
    fn default_config() -> ExperimentConfig {
        ExperimentConfig::default()
    }
    fn check(config: &ExperimentConfig) -> Result<()> {
        config.check()
    }
    fn out_dir(config: &ExperimentConfig) -> &std::path::Path {
        &config.out_dir
    }
    fn set_out_dir(config: &mut ExperimentConfig, out: PathBuf) {
        config.out_dir = out;
    }
    fn run(config: &ExperimentConfig, ctx: &crate::RunContext) -> Result<ExperimentSummary> {
        run_experiment(config, &ctx.seeds, ctx.progress)
    }
    fn markdown(report: &ExperimentSummary) -> String {
        summary_markdown(report)
    }
}

/// The markdown table: our mean ± std, the paper's row (for Fashion-MNIST), the analytic
/// eigenvectors' scores, and the per-stage timing.
pub fn summary_markdown(s: &ExperimentSummary) -> String {
    let pm = |m: &MeanStd, digits: usize| format!("{:.*} ± {:.*}", digits, m.mean, digits, m.std);
    let mut out = format!(
        "# BASiS on {} ({} seeds: {:?})\n\n\
         {} training / {} test points, {}-dimensional {} features; K = {}, m = {}, {} iterations.\n\n\
         | method | d_G ↓ | d_⊥ ↓ | NMI ↑ | ACC ↑ | probe accuracy (%) ↑ |\n|---|---|---|---|---|---|\n",
        s.config.dataset,
        s.seeds.len(),
        s.seeds,
        s.sizes[0],
        s.sizes[1],
        s.sizes[2],
        match s.config.features {
            FeatureSource::Siamese => "Siamese",
            FeatureSource::Raw => "raw",
        },
        s.config.basis.embedding.k,
        s.config.basis.batch_size,
        s.config.basis.iterations,
    );
    let a = &s.aggregate;
    out += &format!(
        "| BASiS (ours, mean ± std) | {} | {} | {} | {} | {} |\n",
        pm(&a[0], 3),
        pm(&a[1], 3),
        pm(&a[2], 3),
        pm(&a[3], 3),
        pm(&a[4], 3)
    );
    if s.config.dataset == "fashion-mnist" && s.config.classes.is_empty() {
        let p = PAPER_FASHION_MNIST_BASIS;
        out += &format!(
            "| BASiS (paper, Table 1) | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3} ± {:.3} |\n",
            p[0].0, p[0].1, p[1].0, p[1].1, p[2].0, p[2].1, p[3].0, p[3].1, p[4].0, p[4].1
        );
    }
    out += &s
        .analytic
        .markdown_row("analytic eigenvectors of the test graph");
    out += "\n\n";
    out += &generalisation_markdown(s);
    let k = s.config.basis.embedding.k;
    // Eigenvalues are numbered from 1 with the trivial one first.
    let first = usize::from(s.config.basis.embedding.drop_trivial);
    if let [.., a, b] = s.test_eigenvalues.as_slice() {
        let worst = MeanStd::of(
            s.runs
                .iter()
                .map(|r| r.principal_sin2.last().copied().unwrap_or(f64::NAN)),
        );
        let rest = MeanStd::of(s.runs.iter().map(|r| {
            let n = r.principal_sin2.len().saturating_sub(1);
            r.principal_sin2[..n].iter().sum::<f64>()
        }));
        out += &format!(
            "Test graph: λ_{} = {a:.4}, λ_{} = {b:.4} (gap {:.4}). Of d_G, the largest principal \
             angle contributes sin² = {}; the other {} angles together {}.\n\n",
            k + first,
            k + first + 1,
            b - a,
            pm(&worst, 3),
            k.saturating_sub(1),
            pm(&rest, 3)
        );
    }
    let t = &s.timing;
    out += &format!(
        "Median per iteration (m = {}, K = {}): graph {:.2} ms, eigensolve {:.2} ms, alignment {:.2} ms, \
         network step {:.2} ms; spectral part {:.2} ms; whole iteration {:.2} ms ({:.1} iterations/s).\n",
        s.config.basis.batch_size,
        s.config.basis.embedding.k,
        t.graph_ms,
        t.eigen_ms,
        t.align_ms,
        t.step_ms,
        t.graph_ms + t.eigen_ms + t.align_ms,
        t.total_ms,
        t.iterations_per_second
    );
    out += "\n| seed | final loss (Eq. 15) | mean inlier fraction | skipped batches | why |\n|---|---|---|---|---|\n";
    for r in &s.runs {
        let why: Vec<String> = r
            .skip_reasons
            .iter()
            .map(|(reason, n)| format!("{n}× {reason}"))
            .collect();
        out += &format!(
            "| {} | {:.4} | {:.3} | {} | {} |\n",
            r.seed,
            r.final_loss,
            r.mean_inlier_fraction,
            r.skipped_batches,
            if why.is_empty() {
                "—".into()
            } else {
                why.join("; ")
            }
        );
    }
    out
}

/// The generalisation check of a BASiS run: the test features' own k-means clustering and the
/// analytic test eigenvectors beside the network on its training and its test points, with the
/// two ratios a user should look at first (the embedding must not cluster worse than its
/// inputs; test d_G should stay near training d_G).
pub fn generalisation_markdown(s: &ExperimentSummary) -> String {
    let pm = |m: &MeanStd| format!("{:.3} ± {:.3}", m.mean, m.std);
    let opt = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.3}"));
    let train: Vec<&Report> = s.runs.iter().filter_map(|r| r.train.as_ref()).collect();
    let Some(features) = &s.features_kmeans else {
        return String::new();
    };
    if train.len() != s.runs.len() {
        return String::new();
    }
    let of = |f: fn(&Report) -> Option<f64>, rs: &[&Report]| {
        MeanStd::of(rs.iter().map(|r| f(r).unwrap_or(f64::NAN)))
    };
    let test: Vec<&Report> = s.runs.iter().map(|r| &r.report).collect();
    let mut out = String::from(
        "Generalisation check (k-means with as many clusters as classes):\n\n\
         | | d_G ↓ | NMI ↑ | ACC ↑ |\n|---|---|---|---|\n",
    );
    out += &format!(
        "| k-means on the test features | – | {} | {} |\n",
        opt(features.nmi),
        opt(features.acc)
    );
    out += &format!(
        "| analytic eigenvectors of the test graph | 0 | {} | {} |\n",
        opt(s.analytic.nmi),
        opt(s.analytic.acc)
    );
    if let Some(e) = &s.training_eigenvectors_extended {
        out += &format!(
            "| training graph's eigenvectors, kernel-extended to the test points | {} | {} | {} |\n",
            opt(e.grassmann),
            opt(e.nmi),
            opt(e.acc)
        );
    }
    out += &format!(
        "| BASiS on its training points | {} | {} | {} |\n",
        pm(&of(|r| r.grassmann, &train)),
        pm(&of(|r| r.nmi, &train)),
        pm(&of(|r| r.acc, &train))
    );
    out += &format!(
        "| BASiS on the test points | {} | {} | {} |\n\n",
        pm(&of(|r| r.grassmann, &test)),
        pm(&of(|r| r.nmi, &test)),
        pm(&of(|r| r.acc, &test))
    );
    let best = |f: fn(&Report) -> Option<f64>| {
        f(features)
            .unwrap_or(f64::NAN)
            .max(f(&s.analytic).unwrap_or(f64::NAN))
    };
    let gap_nmi = MeanStd::of(
        test.iter()
            .map(|r| r.nmi.unwrap_or(f64::NAN) - best(|r| r.nmi)),
    );
    let gap_acc = MeanStd::of(
        test.iter()
            .map(|r| r.acc.unwrap_or(f64::NAN) - best(|r| r.acc)),
    );
    let ratio = MeanStd::of(s.runs.iter().map(SeedResult::grassmann_ratio));
    let test_dg = of(|r| r.grassmann, &test);
    let extension_dg = s
        .training_eigenvectors_extended
        .as_ref()
        .and_then(|e| e.grassmann)
        .unwrap_or(f64::INFINITY);
    let lost_clustering = gap_nmi.mean < -0.01 || gap_acc.mean < -0.01;
    let lost_space = ratio.mean > 1.5 && test_dg.mean > extension_dg;
    out += &format!(
        "Test NMI − the better of the two references: {}; ACC: {}; test d_G / training d_G: {}.\n",
        pm(&gap_nmi),
        pm(&gap_acc),
        pm(&ratio),
    );
    if lost_clustering {
        out += "**The test embedding clusters worse than its own inputs** (a gap below −0.01).\n";
    }
    if lost_space {
        out += "**The test embedding loses more of the eigenspace than the kernel extension of the \
                training eigenvectors** (test d_G above 1.5 × training d_G and above the extension's).\n";
    }
    if (lost_clustering || lost_space) && s.config.basis.input_noise == 0.0 {
        out += "Input noise (`--input-noise 4`, docs/out-of-sample.md) is the setting for test points \
                off the training support.\n";
    }
    out += "\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_std_is_the_sample_statistic() {
        let m = MeanStd::of([1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(m.mean, 2.0);
        assert!((m.std - 1.0).abs() < 1e-12);
        assert_eq!(MeanStd::of([4.0]).std, 0.0);
    }

    #[test]
    fn restrict_renumbers_the_chosen_classes() {
        let d = LabeledData::new(
            DMatrix::from_fn(6, 1, |i, _| i as f64),
            vec![0, 3, 1, 3, 2, 1],
        )
        .unwrap();
        let r = restrict(&d, &[3, 1], None, "train").unwrap();
        assert_eq!(r.labels, vec![0, 1, 0, 1]);
        assert_eq!(r.features.column(0).as_slice(), &[1.0, 2.0, 3.0, 5.0]);
        assert_eq!(restrict(&d, &[], Some(2), "train").unwrap().len(), 2);
        let e = restrict(&d, &[], Some(0), "test").unwrap_err().to_string();
        assert!(e.contains("--limit-test 0"), "{e}");
        assert!(check_splits(&d, &restrict(&d, &[3], None, "test").unwrap(), "x").is_ok());
        let one = restrict(&d, &[3], None, "train").unwrap();
        let e = check_splits(&one, &d, "x").unwrap_err().to_string();
        assert!(e.contains("holds 1 class ([0])"), "{e}");
        let wide = LabeledData::new(DMatrix::zeros(6, 2), d.labels.clone()).unwrap();
        let e = check_splits(&d, &wide, "x").unwrap_err().to_string();
        assert!(e.contains("1 features but the test points 2"), "{e}");
        let e = restrict(&d, &[7], None, "train").unwrap_err().to_string();
        assert!(
            e.contains("--classes [7] matches no train point (its classes are [0, 1, 2, 3])"),
            "{e}"
        );
    }

    #[test]
    fn missing_or_incomplete_data_sets_are_typed_errors() {
        assert!(matches!(
            load_dataset("/nonexistent/data"),
            Err(ExperimentError::Data(DataError::MissingDataset { .. }))
        ));
        let dir = std::env::temp_dir().join(format!("basis-npyset-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("train_x.npy"), encode_npy(&DMatrix::zeros(3, 2))).unwrap();
        assert!(matches!(
            load_dataset(dir.to_str().unwrap()),
            Err(ExperimentError::Data(DataError::MissingDataset { .. }))
        ));
        std::fs::write(
            dir.join("train_y.npy"),
            encode_npy(&DMatrix::from_element(3, 1, 0.5)),
        )
        .unwrap();
        std::fs::write(dir.join("test_x.npy"), encode_npy(&DMatrix::zeros(2, 2))).unwrap();
        std::fs::write(dir.join("test_y.npy"), encode_npy(&DMatrix::zeros(2, 1))).unwrap();
        assert!(matches!(
            load_dataset(dir.to_str().unwrap()),
            Err(ExperimentError::Data(DataError::InvalidParameter(_)))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
