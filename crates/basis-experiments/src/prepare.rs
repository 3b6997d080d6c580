//! What every reproduction on a labelled data set shares: its configuration
//! ([`ExperimentConfig`]: data, features, BASiS's settings, where the outputs go) and
//! [`prepare`]: the splits after the class filter, the features (Siamese or raw), the analytic
//! test embedding (the ground truth of d_G) and the rows scored without a network. Table 1,
//! the neighbour and tightness sweeps, Algorithm 2 and the BASiS row build on it.

use crate::features::{Features, siamese_features};
use crate::{ExperimentError, Result};
use basis_data::clusters::{SubspaceBlobsParams, subspace_blobs};
use basis_data::npy::encode_npy;
use basis_data::splits::{Dataset, check_splits, load_dataset, restrict};
use basis_methods::anchors::AnchorStrategy;
use basis_methods::basis::{BasisConfig, PipelineConfig, paper_basis_config};
use basis_metrics::{Report, ReportInputs, ReportParams};
use basis_nn::siamese::SiameseConfig;
use basis_spectral::analytic_embedding;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
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
    /// Anchors of the label-free strategies, `anchors_per_class × K` (saturating: a product
    /// past `usize::MAX` is "more anchors than points", not a wrapped small count).
    pub fn label_free_anchor_count(&self) -> usize {
        self.anchors_per_class
            .saturating_mul(self.basis.embedding.k)
    }

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

/// The [`ExperimentConfig::dataset`] name of the generated tight-cluster data set.
pub const SUBSPACE_BLOBS: &str = "subspace-blobs";

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
    // What depends on the data's size is checked before anything is computed or written.
    let n_train = data.train.len();
    config.basis.check_settings(n_train)?;
    let anchors = match config.anchor_strategy {
        AnchorStrategy::PerClass => config
            .anchors_per_class
            .saturating_mul(data.train.num_classes()),
        _ => config.label_free_anchor_count(),
    };
    let (pool, split) = if config.test_set_anchors {
        (data.test.len(), "test")
    } else {
        (n_train, "training")
    };
    if anchors > pool {
        return Err(ExperimentError::InvalidConfig(format!(
            "{anchors} anchors ({} per class) for {pool} {split} points",
            config.anchors_per_class
        )));
    }
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
