//! Unsupervised segmentation with neural eigenfunctions (Deng & Luo, ICCV 2023) on procedural
//! texture images with exact ground truth (`basis-segment`), against k-means, exact spectral
//! clustering and a colour-and-position normalised cut on the same patch features.
//!
//! Per seed: generate the training and test images, compute every patch's filter-bank
//! features, standardise them with the training statistics, then
//!
//! 1. NeuralEF with the Gumbel-softmax head (Neural Eigenmaps loss), trained on batches of
//!    `images_per_batch` training images with the segmenter's kernel over their patches,
//!    applied to the unseen test images (argmax of the logits), at K = C and K = 32;
//! 2. k-means on the training patches' features, test patches to their nearest centroid;
//! 3. exact spectral clustering of each test image's own kernel, and of the whole test set's;
//! 4. the normalised cut of each test image's pixel graph (colour and position only);
//! 5. NeuralEF's ablations at K = 32: plain softmax, no orthogonal layer, no stop-gradient.
//!
//! Scores, all on test pixels: the mIoU with one Hungarian (1:1) matching over the whole test
//! set ("dataset Hungarian", methods whose clusters mean the same thing in every image), with
//! the many-to-one argmax-IoU mapping over the test set (K = 32, the reference's default),
//! and with a Hungarian matching per image ("per-image Hungarian", the only one that applies
//! to per-image methods, and a favour to them: every image gets its own matching).

use crate::error::{ExperimentError, Result};
use basis_methods::MethodError;
use basis_methods::neuralef::{
    BatchKernel, Head, KernelBatch, NeuralEfConfig, NeuralEfModel, Objective,
    fit_neuralef_with_batches,
};
use basis_metrics::{ClusterMapping, Confusion, KMeansParams, kmeans};
use basis_nn::MlpConfig;
use basis_nn::schedule::LrSchedule;
use basis_plot::figure::{Cell, Chart, Field, Figure, Layer, Legend, LegendEntry, Mark};
use basis_plot::{CATEGORICAL, Rgb};
use basis_segment::features::{FeatureScaler, stack_features};
use basis_segment::spectral::spectral_clustering;
use basis_segment::{
    FilterBankParams, KernelParams, LabelledImage, PatchFeatures, SegmentError,
    SpectralClusteringParams, Split, TextureConfig, patch_features_all, segmentation_kernel,
};
use nalgebra::DMatrix;
use rand::seq::index;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Configuration of the benchmark. [`Default`] is the documented run. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentationConfig {
    /// The image generator (its textures are the classes).
    pub generator: TextureConfig,
    /// Training images per seed.
    pub train_images: usize,
    /// Test images per seed.
    pub test_images: usize,
    /// Patch features.
    pub features: FilterBankParams,
    /// The kernel of NeuralEF's batches and of the whole-test-set spectral clustering.
    pub kernel: KernelParams,
    /// Feature-graph top-k of a single image's kernel (per-image spectral clustering).
    pub per_image_topk: usize,
    /// Training images per NeuralEF batch.
    pub images_per_batch: usize,
    /// NeuralEF (Gumbel head; `k`, `batch_size` and `seed` are set per run).
    pub neuralef: NeuralEfConfig,
    /// K of the many-cluster runs (the reference: 256 on PASCAL Context).
    pub many_clusters: usize,
    /// Run NeuralEF's three ablations (at K = `many_clusters`).
    pub ablations: bool,
    /// Run the whole-test-set spectral clustering (one eigendecomposition of all test patches).
    pub whole_test_spectral: bool,
    /// Spectral clustering (eigensolver, k-means restarts).
    pub spectral: SpectralClusteringParams,
    /// k-means restarts of the feature baseline.
    pub kmeans_restarts: usize,
    /// Test images shown in the figure (seed of the first run).
    pub figure_images: usize,
    /// The foreground/background check on the real nuclei image (`None`: skipped).
    pub nuclei: Option<NucleiCheck>,
    /// Output directory.
    pub out_dir: PathBuf,
}

impl Default for SegmentationConfig {
    fn default() -> Self {
        Self {
            generator: TextureConfig::default(),
            train_images: 300,
            test_images: 100,
            features: FilterBankParams::default(),
            kernel: KernelParams::default(),
            per_image_topk: 16,
            images_per_batch: 8,
            neuralef: segmenter_neuralef(),
            many_clusters: 32,
            ablations: true,
            whole_test_spectral: true,
            spectral: SpectralClusteringParams::default(),
            kmeans_restarts: 4,
            figure_images: 4,
            nuclei: Some(NucleiCheck::default()),
            out_dir: PathBuf::from("results/segmentation"),
        }
    }
}

/// The foreground/background sanity check on the nuclei image `stardist` ships
/// (`basis_segment::real`): the 512 × 512 image cut into tiles, the left half's tiles train,
/// the right half's are the test images; two classes (background, nucleus). Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NucleiCheck {
    /// Tile side in pixels.
    pub tile: usize,
    /// NeuralEF's iterations.
    pub iterations: usize,
    /// Tiles per NeuralEF batch.
    pub images_per_batch: usize,
    /// K of the many-cluster runs.
    pub many_clusters: usize,
    /// Patch features: nuclei are bright discs about 15 pixels across, told from the
    /// background by brightness more than by texture, so 4-pixel patches pooled 2 pixels
    /// around and colour (here grey level) weighted 3 (≈ 64 % of a squared distance).
    pub features: FilterBankParams,
}

impl Default for NucleiCheck {
    fn default() -> Self {
        Self {
            tile: 128,
            iterations: 300,
            images_per_batch: 4,
            many_clusters: 4,
            features: FilterBankParams {
                patch: 4,
                pool_margin: 2,
                colour_weight: 3.0,
                ..FilterBankParams::default()
            },
        }
    }
}

/// NeuralEF as the segmenter trains it: Neural Eigenmaps loss with stop-gradient, the
/// orthogonal Gumbel head, τ from 1 to 0.3, Adam 1e-3 with a cosine schedule, output scale
/// t = 0.01, α·K = 20.5; an MLP trunk of two hidden layers of 256 per patch (the reference:
/// two transformer blocks over a ViT's tokens).
pub fn segmenter_neuralef() -> NeuralEfConfig {
    NeuralEfConfig {
        objective: Objective::NeuralEigenmaps,
        head: Head::Gumbel,
        iterations: 600,
        mlp: MlpConfig {
            hidden: vec![256, 256],
        },
        learning_rate: 1e-3,
        schedule: LrSchedule::Cosine {
            final_fraction: 0.01,
        },
        ..NeuralEfConfig::default()
    }
}

impl SegmentationConfig {
    /// Checks what does not depend on the data.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(ExperimentError::InvalidConfig(m));
        self.generator.check()?;
        self.features.check()?;
        self.kernel.check()?;
        if self.train_images < self.images_per_batch || self.images_per_batch == 0 {
            return bad(format!(
                "segmentation: need 1 ≤ images per batch ≤ training images, got {} and {}",
                self.images_per_batch, self.train_images
            ));
        }
        if self.test_images == 0 {
            return bad("segmentation: no test images".into());
        }
        // Every image's pixels and their features are held at once: the counts must fit.
        let per_image = (self.generator.size as u128)
            .saturating_mul(self.generator.size as u128)
            .saturating_mul(self.features.dimension() as u128 + 3)
            .saturating_mul(8);
        let images = (self.train_images as u128).saturating_add(self.test_images as u128);
        basis_data::limits::check_allocation(
            &format!(
                "segmentation: {images} images of {0}×{0} pixels",
                self.generator.size
            ),
            per_image.saturating_mul(images),
        )
        .or_else(bad)?;
        if self.many_clusters == 0 || self.per_image_topk == 0 || self.kmeans_restarts == 0 {
            return bad("segmentation: K, per-image top-k and k-means restarts must be ≥ 1".into());
        }
        if self.neuralef.head != Head::Gumbel {
            return bad(
                "segmentation: NeuralEF needs the Gumbel head (it predicts clusters)".into(),
            );
        }
        Ok(())
    }
}

/// One method's scores on one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodScore {
    /// Method key (`neuralef`, `kmeans`, …).
    pub method: String,
    /// Clusters K.
    pub k: usize,
    /// Its clusters are per image (no identity across images): no dataset-level mapping.
    pub per_image: bool,
    /// mIoU, one Hungarian matching over the test set.
    pub dataset_hungarian: Option<f64>,
    /// mIoU, argmax-IoU (many:1) mapping over the test set.
    pub argmax_iou: Option<f64>,
    /// mIoU, a Hungarian matching per image.
    pub per_image_hungarian: f64,
    /// Distinct clusters predicted on the test set (collapse shows as few).
    pub clusters_used: usize,
    /// Inference seconds per test image (features excluded, shared by all methods).
    pub seconds_per_image: f64,
    /// Training seconds (0 for methods without training).
    pub train_seconds: f64,
}

/// One seed's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRun {
    /// Seed of the images, NeuralEF and k-means.
    pub seed: u64,
    /// Every method's scores.
    pub scores: Vec<MethodScore>,
    /// Feature extraction, seconds per image.
    pub feature_seconds_per_image: f64,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentationReport {
    /// Configuration.
    pub config: SegmentationConfig,
    /// Runs, one per seed.
    pub runs: Vec<SeedRun>,
    /// The nuclei check (first seed), when configured.
    pub nuclei: Option<NucleiRun>,
}

/// The nuclei check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NucleiRun {
    /// Where the image was read from.
    pub dir: PathBuf,
    /// Training and test tiles.
    pub tiles: (usize, usize),
    /// Foreground share of the test pixels.
    pub foreground_fraction: f64,
    /// Every method's scores.
    pub run: SeedRun,
}

/// Per-patch predictions of a method on every test image.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Predictions {
    key: String,
    k: usize,
    per_image: bool,
    labels: Vec<Vec<usize>>,
    seconds_per_image: f64,
    train_seconds: f64,
}

/// The method keys, their names in tables and their short names in figure titles.
pub const METHOD_NAMES: [(&str, &str, &str); 8] = [
    ("neuralef", "NeuralEF + Gumbel head", "NeuralEF + Gumbel"),
    ("kmeans", "k-means on features", "k-means"),
    (
        "spectral-image",
        "spectral clustering, per image",
        "spectral, per image",
    ),
    (
        "spectral-test-set",
        "spectral clustering, whole test set",
        "spectral, test set",
    ),
    (
        "ncut-colour",
        "normalised cut, colour + position, per image",
        "ncut, colour only",
    ),
    (
        "ablation-softmax",
        "NeuralEF, plain softmax (no Gumbel noise)",
        "plain softmax",
    ),
    (
        "ablation-no-orthogonal",
        "NeuralEF, no orthogonal layer",
        "no orthogonal layer",
    ),
    (
        "ablation-no-stop-gradient",
        "NeuralEF, no stop-gradient",
        "no stop-gradient",
    ),
];

/// A method's display name (the key itself for an unknown key).
pub fn method_name(key: &str) -> &str {
    METHOD_NAMES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, n, _)| n)
}

/// A method's short name for figure titles.
pub fn method_short_name(key: &str) -> &str {
    METHOD_NAMES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, _, n)| n)
}

/// The data of one seed: images, their features (raw and standardised) and row offsets.
pub struct SegmentationData {
    /// Number of classes.
    pub classes: usize,
    /// Class names (legends).
    pub class_names: Vec<String>,
    /// Training images.
    pub train: Vec<LabelledImage>,
    /// Test images.
    pub test: Vec<LabelledImage>,
    /// Training images' patches.
    pub train_patches: Vec<PatchFeatures>,
    /// Test images' patches.
    pub test_patches: Vec<PatchFeatures>,
    /// Training features, standardised with the training statistics and weighted
    /// ([`FeatureScaler`]), stacked.
    pub train_z: DMatrix<f64>,
    /// Test features, standardised with the training statistics, stacked.
    pub test_z: DMatrix<f64>,
    /// First row of every training image in `train_z`.
    pub train_offsets: Vec<usize>,
    /// First row of every test image in `test_z`.
    pub test_offsets: Vec<usize>,
    /// Feature extraction, seconds per image.
    pub feature_seconds_per_image: f64,
}

fn offsets(sets: &[PatchFeatures]) -> Vec<usize> {
    let mut o = Vec::with_capacity(sets.len() + 1);
    let mut r = 0;
    for s in sets {
        o.push(r);
        r += s.grid.len();
    }
    o.push(r);
    o
}

/// Generates one seed's images and features.
pub fn segmentation_data(config: &SegmentationConfig, seed: u64) -> Result<SegmentationData> {
    config.check()?;
    let g = &config.generator;
    let train = g.images(seed, Split::Train, config.train_images)?;
    let test = g.images(seed, Split::Test, config.test_images)?;
    let names = g.textures.iter().map(|t| t.name()).collect();
    segmentation_data_from(train, test, g.classes(), names, &config.features)
}

/// The data of any labelled images (masks with labels in `0..classes`): features of every
/// patch, standardised with the training images' statistics.
pub fn segmentation_data_from(
    train: Vec<LabelledImage>,
    test: Vec<LabelledImage>,
    classes: usize,
    class_names: Vec<String>,
    features: &FilterBankParams,
) -> Result<SegmentationData> {
    if train.is_empty() || test.is_empty() {
        return Err(ExperimentError::InvalidConfig(format!(
            "segmentation: {} training and {} test images",
            train.len(),
            test.len()
        )));
    }
    for im in train.iter().chain(&test) {
        im.check(Some(classes))?;
    }
    let t = Instant::now();
    let imgs: Vec<_> = train.iter().map(|l| &l.image).collect();
    let train_patches = patch_features_all(&imgs, features)?;
    let imgs: Vec<_> = test.iter().map(|l| &l.image).collect();
    let test_patches = patch_features_all(&imgs, features)?;
    let feature_seconds_per_image = t.elapsed().as_secs_f64() / (train.len() + test.len()) as f64;
    let raw_train = stack_features(&train_patches.iter().collect::<Vec<_>>())?;
    let raw_test = stack_features(&test_patches.iter().collect::<Vec<_>>())?;
    let scaler = FeatureScaler::fit(&raw_train, features)?;
    Ok(SegmentationData {
        classes,
        class_names,
        train_z: scaler.apply(&raw_train)?,
        test_z: scaler.apply(&raw_test)?,
        train_offsets: offsets(&train_patches),
        test_offsets: offsets(&test_patches),
        train,
        test,
        train_patches,
        test_patches,
        feature_seconds_per_image,
    })
}

impl SegmentationData {
    fn test_rows(&self, i: usize) -> DMatrix<f64> {
        let (a, b) = (self.test_offsets[i], self.test_offsets[i + 1]);
        self.test_z.rows(a, b - a).clone_owned()
    }

    fn split_test(&self, labels: &[usize]) -> Vec<Vec<usize>> {
        self.test_offsets
            .windows(2)
            .map(|w| labels[w[0]..w[1]].to_vec())
            .collect()
    }
}

/// Trains NeuralEF's Gumbel head on the training images (batches of whole images, the
/// segmenter's kernel over their patches).
pub fn train_segmenter(
    data: &SegmentationData,
    config: &SegmentationConfig,
    neuralef: &NeuralEfConfig,
    progress: bool,
    label: &str,
) -> Result<NeuralEfModel> {
    let per_batch = config.images_per_batch;
    let patches = data.train_patches[0].grid.len();
    let ef = NeuralEfConfig {
        batch_size: (per_batch * patches).max(neuralef.k + 1),
        ..neuralef.clone()
    };
    let bar = basis_nn::progress::progress_bar(ef.iterations, progress, label);
    let mut failure: Option<SegmentError> = None;
    let n_train = data.train_patches.len();
    let result = fit_neuralef_with_batches(
        &data.train_z,
        &ef,
        &mut |_, rng| {
            let images = index::sample(rng, n_train, per_batch).into_vec();
            let sets: Vec<&PatchFeatures> =
                images.iter().map(|&i| &data.train_patches[i]).collect();
            let rows: Vec<usize> = images
                .iter()
                .flat_map(|&i| data.train_offsets[i]..data.train_offsets[i + 1])
                .collect();
            let features = data.train_z.select_rows(&rows);
            match segmentation_kernel(&sets, &features, &config.kernel) {
                Ok(g) => Ok(KernelBatch {
                    rows,
                    kernel: BatchKernel::Sparse(g),
                }),
                Err(e) => {
                    failure = Some(e);
                    Err(MethodError::InvalidConfig("segmentation kernel".into()))
                }
            }
        },
        &mut |_, _| bar.inc(1),
    );
    bar.finish_and_clear();
    match (result, failure) {
        (Ok(m), _) => Ok(m),
        (Err(_), Some(e)) => Err(e.into()),
        (Err(e), None) => Err(e.into()),
    }
}

fn neuralef_predictions(
    data: &SegmentationData,
    config: &SegmentationConfig,
    key: &str,
    neuralef: NeuralEfConfig,
    progress: bool,
) -> Result<Predictions> {
    let t = Instant::now();
    let label = format!("{} (K = {})", method_name(key), neuralef.k);
    let model = train_segmenter(data, config, &neuralef, progress, &label)?;
    let train_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let labels = (0..data.test.len())
        .map(|i| {
            model
                .clusters(&data.test_rows(i))
                .unwrap_or_else(|| Err(MethodError::InvalidConfig("no Gumbel head".into())))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Predictions {
        key: key.into(),
        k: neuralef.k,
        per_image: false,
        labels,
        seconds_per_image: t.elapsed().as_secs_f64() / data.test.len() as f64,
        train_seconds,
    })
}

fn kmeans_predictions(
    data: &SegmentationData,
    config: &SegmentationConfig,
    k: usize,
    seed: u64,
) -> Result<Predictions> {
    let t = Instant::now();
    let fit = kmeans(
        &data.train_z,
        &KMeansParams {
            k,
            n_init: config.kmeans_restarts,
            seed,
            ..Default::default()
        },
    )?;
    let train_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let labels = (0..data.test.len())
        .map(|i| fit.predict(&data.test_rows(i)))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Predictions {
        key: "kmeans".into(),
        k,
        per_image: false,
        labels,
        seconds_per_image: t.elapsed().as_secs_f64() / data.test.len() as f64,
        train_seconds,
    })
}

/// Spectral clustering of each test image's own kernel (`kernel`), K clusters per image.
fn per_image_spectral(
    data: &SegmentationData,
    config: &SegmentationConfig,
    key: &str,
    kernel: &KernelParams,
    k: usize,
    seed: u64,
) -> Result<Predictions> {
    let t = Instant::now();
    let spectral = SpectralClusteringParams {
        seed,
        ..config.spectral
    };
    let labels = (0..data.test.len())
        .map(|i| {
            let g = segmentation_kernel(&[&data.test_patches[i]], &data.test_rows(i), kernel)?;
            spectral_clustering(&g, k, &spectral)
        })
        .collect::<std::result::Result<Vec<_>, SegmentError>>()?;
    Ok(Predictions {
        key: key.into(),
        k,
        per_image: true,
        labels,
        seconds_per_image: t.elapsed().as_secs_f64() / data.test.len() as f64,
        train_seconds: 0.0,
    })
}

fn test_set_spectral(
    data: &SegmentationData,
    config: &SegmentationConfig,
    k: usize,
    seed: u64,
) -> Result<Predictions> {
    let t = Instant::now();
    let sets: Vec<&PatchFeatures> = data.test_patches.iter().collect();
    let g = segmentation_kernel(&sets, &data.test_z, &config.kernel)?;
    let labels = spectral_clustering(
        &g,
        k,
        &SpectralClusteringParams {
            seed,
            ..config.spectral
        },
    )?;
    Ok(Predictions {
        key: "spectral-test-set".into(),
        k,
        per_image: false,
        labels: data.split_test(&labels),
        seconds_per_image: t.elapsed().as_secs_f64() / data.test.len() as f64,
        train_seconds: 0.0,
    })
}

/// Pixel labels of test image `i` from its per-patch labels.
fn pixel_labels(data: &SegmentationData, i: usize, patch_labels: &[usize]) -> Result<Vec<usize>> {
    Ok(data.test_patches[i].grid.upsample(patch_labels)?)
}

fn score(data: &SegmentationData, classes: usize, p: &Predictions) -> Result<MethodScore> {
    let mut dataset = Confusion::new(classes, p.k)?;
    // Per image: each image's clusters matched to classes by its own Hungarian matching;
    // column `classes` collects the pixels of clusters left unmatched (misses of their class).
    let mut mapped = Confusion::new(classes, classes + 1)?;
    let mut used = vec![false; p.k];
    for (i, labels) in p.labels.iter().enumerate() {
        let pixels = pixel_labels(data, i, labels)?;
        let truth = &data.test[i].mask.labels;
        for &l in labels {
            used[l] = true;
        }
        let mut own = Confusion::new(classes, p.k)?;
        own.add(truth, &pixels)?;
        dataset.merge(&own)?;
        let map = own.hungarian_mapping();
        let as_class: Vec<usize> = pixels.iter().map(|&c| map[c].unwrap_or(classes)).collect();
        mapped.add(truth, &as_class)?;
    }
    let identity: Vec<Option<usize>> = (0..classes).map(Some).chain([None]).collect();
    let per_image_hungarian = mapped.miou_with(&identity)?.miou;
    let (dataset_hungarian, argmax_iou) = if p.per_image {
        (None, None)
    } else {
        let many = if p.k > classes {
            Some(dataset.miou(ClusterMapping::ArgmaxIou)?.miou)
        } else {
            None
        };
        (Some(dataset.miou(ClusterMapping::Hungarian)?.miou), many)
    };
    Ok(MethodScore {
        method: p.key.clone(),
        k: p.k,
        per_image: p.per_image,
        dataset_hungarian,
        argmax_iou,
        per_image_hungarian,
        clusters_used: used.iter().filter(|&&u| u).count(),
        seconds_per_image: p.seconds_per_image,
        train_seconds: p.train_seconds,
    })
}

/// Every method's predictions on one seed's data, in table order.
fn all_predictions(
    data: &SegmentationData,
    config: &SegmentationConfig,
    seed: u64,
    progress: bool,
) -> Result<Vec<Predictions>> {
    let c = data.classes;
    let many = config.many_clusters;
    let ef = |k: usize| NeuralEfConfig {
        k,
        seed,
        ..config.neuralef.clone()
    };
    let mut out = vec![
        neuralef_predictions(data, config, "neuralef", ef(c), progress)?,
        neuralef_predictions(data, config, "neuralef", ef(many), progress)?,
        kmeans_predictions(data, config, c, seed)?,
        kmeans_predictions(data, config, many, seed)?,
    ];
    let per_image = KernelParams {
        feature_topk: config.per_image_topk,
        ..config.kernel.clone()
    };
    out.push(per_image_spectral(
        data,
        config,
        "spectral-image",
        &per_image,
        c,
        seed,
    )?);
    if config.whole_test_spectral {
        out.push(test_set_spectral(data, config, c, seed)?);
        out.push(test_set_spectral(data, config, many, seed)?);
    }
    let colour = config.kernel.clone().pixel_only();
    out.push(per_image_spectral(
        data,
        config,
        "ncut-colour",
        &colour,
        c,
        seed,
    )?);
    if config.ablations {
        let base = ef(many);
        for (key, cfg) in [
            (
                "ablation-softmax",
                NeuralEfConfig {
                    gumbel_noise: false,
                    ..base.clone()
                },
            ),
            (
                "ablation-no-orthogonal",
                NeuralEfConfig {
                    orthogonal_head: false,
                    ..base.clone()
                },
            ),
            (
                "ablation-no-stop-gradient",
                NeuralEfConfig {
                    stop_gradient: false,
                    ..base.clone()
                },
            ),
        ] {
            out.push(neuralef_predictions(data, config, key, cfg, progress)?);
        }
    }
    Ok(out)
}

/// Runs one seed: data, every method, scores.
pub fn run_segmentation_seed(
    config: &SegmentationConfig,
    seed: u64,
    progress: bool,
) -> Result<SeedRun> {
    let data = segmentation_data(config, seed)?;
    let predictions = all_predictions(&data, config, seed, progress)?;
    seed_run(&data, seed, &predictions)
}

fn seed_run(data: &SegmentationData, seed: u64, predictions: &[Predictions]) -> Result<SeedRun> {
    let classes = data.classes;
    Ok(SeedRun {
        seed,
        scores: predictions
            .iter()
            .map(|p| score(data, classes, p))
            .collect::<Result<_>>()?,
        feature_seconds_per_image: data.feature_seconds_per_image,
    })
}

/// The predictions a figure draws, written by the run so that `--replot` can redraw the figure
/// from the data (generated again from the configuration and the seed).
#[derive(Serialize, Deserialize)]
struct FigureInputs {
    seed: u64,
    predictions: Vec<Predictions>,
}

/// The first seed's test-image predictions (`examples` figure).
const EXAMPLES_FILE: &str = "examples_predictions.json";
/// The nuclei check's predictions (`nuclei` figure).
const NUCLEI_FILE: &str = "nuclei_predictions.json";

/// Runs every seed. Writes the predictions its figures draw (first seed; the nuclei check)
/// into `config.out_dir`; `segmentation.json`, `segmentation.md` and the figures
/// `examples.{png,svg}` and `nuclei.{png,svg}` are the engine's
/// ([`crate::engine::run`]`::<`[`Segmentation`]`>`).
pub fn run_segmentation(
    config: &SegmentationConfig,
    seeds: &[u64],
    progress: bool,
) -> Result<SegmentationReport> {
    config.check()?;
    if seeds.is_empty() {
        return Err(ExperimentError::InvalidConfig(
            "segmentation: no seeds".into(),
        ));
    }
    let mut runs = Vec::new();
    // The nuclei image is read first: a missing file stops the run before any training.
    let nuclei_input = match &config.nuclei {
        Some(check) => Some((check, nuclei_data(check)?)),
        None => None,
    };
    let out = &config.out_dir;
    for (n, &seed) in seeds.iter().enumerate() {
        if progress {
            eprintln!("segmentation: seed {seed} ({} of {})", n + 1, seeds.len());
        }
        let data = segmentation_data(config, seed)?;
        let predictions = all_predictions(&data, config, seed, progress)?;
        let run = seed_run(&data, seed, &predictions)?;
        if n == 0 {
            let inputs = FigureInputs { seed, predictions };
            crate::engine::write_json(&out.join(EXAMPLES_FILE), &inputs)?;
        }
        runs.push(run);
    }
    let nuclei = match nuclei_input {
        Some((check, (dir, data))) => {
            let (run, predictions) =
                run_nuclei_check(config, check, dir, &data, seeds[0], progress)?;
            let inputs = FigureInputs {
                seed: seeds[0],
                predictions,
            };
            crate::engine::write_json(&out.join(NUCLEI_FILE), &inputs)?;
            Some(run)
        }
        None => None,
    };
    Ok(SegmentationReport {
        config: config.clone(),
        runs,
        nuclei,
    })
}

/// The figures of a finished run in `out`: the first seed's test images (`examples`) and the
/// nuclei tiles (`nuclei`, when the check ran), each redrawn from the data and the predictions
/// the run saved.
pub fn segmentation_figures(
    report: &SegmentationReport,
    out: &Path,
) -> Result<Vec<(String, Figure)>> {
    let config = &report.config;
    let mut figures = Vec::new();
    let examples: FigureInputs = crate::engine::read_json(&out.join(EXAMPLES_FILE))?;
    let data = segmentation_data(config, examples.seed)?;
    figures.push((
        "examples".to_string(),
        examples_figure(&data, config, &examples.predictions)?,
    ));
    if let (Some(check), Some(_)) = (&config.nuclei, &report.nuclei) {
        let shown: FigureInputs = crate::engine::read_json(&out.join(NUCLEI_FILE))?;
        let (_, data) = nuclei_data(check)?;
        figures.push((
            "nuclei".to_string(),
            nuclei_figure(&data, &nuclei_config(config, check), &shown.predictions)?,
        ));
    }
    Ok(figures)
}

crate::engine::experiment! {
    /// `segmentation` as an [`Experiment`](crate::Experiment).
    pub struct Segmentation = "segmentation" writes "segmentation";
    config SegmentationConfig = SegmentationConfig::default(), out out_dir;
    report SegmentationReport;
    check(config) { config.check() }
    run(config, ctx) { run_segmentation(config, &ctx.seeds, ctx.progress) }
    markdown(report) { segmentation_markdown(report) }
    figures(report, out) { segmentation_figures(report, out) }
}

/// The settings of the nuclei check's runs: the benchmark's, with the check's batch size,
/// iterations and K, no ablations.
pub fn nuclei_config(config: &SegmentationConfig, check: &NucleiCheck) -> SegmentationConfig {
    let mut c = config.clone();
    c.images_per_batch = check.images_per_batch;
    c.neuralef.iterations = check.iterations;
    c.many_clusters = check.many_clusters;
    c.ablations = false;
    c.features = check.features.clone();
    c.nuclei = None;
    c
}

/// Runs every K = 2 method of the benchmark on the nuclei tiles; returns the scores and the
/// predictions (for [`segmentation_figures`]).
fn run_nuclei_check(
    config: &SegmentationConfig,
    check: &NucleiCheck,
    dir: PathBuf,
    data: &SegmentationData,
    seed: u64,
    progress: bool,
) -> Result<(NucleiRun, Vec<Predictions>)> {
    if progress {
        eprintln!("segmentation: the nuclei image ({})", dir.display());
    }
    let c = nuclei_config(config, check);
    let predictions = all_predictions(data, &c, seed, progress)?;
    let run = seed_run(data, seed, &predictions)?;
    let (fg, all) = data.test.iter().fold((0usize, 0usize), |(f, a), t| {
        (
            f + t.mask.labels.iter().filter(|&&l| l == 1).count(),
            a + t.mask.labels.len(),
        )
    });
    Ok((
        NucleiRun {
            dir,
            tiles: (data.train.len(), data.test.len()),
            foreground_fraction: fg as f64 / all.max(1) as f64,
            run,
        },
        predictions,
    ))
}

/// The nuclei check's test tiles with every method's segmentation.
fn nuclei_figure(
    data: &SegmentationData,
    config: &SegmentationConfig,
    predictions: &[Predictions],
) -> Result<Figure> {
    let mut figure = examples_figure(data, config, predictions)?;
    figure.title =
        "Nuclei (2018 Data Science Bowl image from stardist): unseen right-half tiles, K = 2"
            .into();
    Ok(figure)
}

/// The nuclei check: data from the tiles, every K = 2 method (no ablations), scores.
fn nuclei_data(check: &NucleiCheck) -> Result<(PathBuf, SegmentationData)> {
    let dir = basis_segment::real::nuclei_dir()?;
    let image = basis_segment::real::load_nuclei(&dir).map_err(|e| {
        ExperimentError::InvalidConfig(format!(
            "the nuclei check needs the image stardist ships ({e}); run `cargo xtask setup`, set {} or leave the check out (`nuclei: null` in the configuration, `--no-nuclei`)",
            basis_segment::real::NUCLEI_DIR_ENV
        ))
    })?;
    let per_row = image.image.width / check.tile.max(1);
    let all = basis_segment::real::tiles(&image, check.tile)?;
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (i, t) in all.into_iter().enumerate() {
        if i % per_row < per_row / 2 {
            train.push(t);
        } else {
            test.push(t);
        }
    }
    let data = segmentation_data_from(
        train,
        test,
        2,
        vec!["background".into(), "nucleus".into()],
        &check.features,
    )?;
    Ok((dir, data))
}

/// Mean and sample standard deviation (`stats::MeanStd`, the other reports' statistic).
fn mean_std(v: &[f64]) -> (f64, f64) {
    let m = crate::stats::MeanStd::of(v.iter().copied());
    (m.mean, m.std)
}

/// One row of the summary: a (method, K) pair over the seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Method key.
    pub method: String,
    /// K.
    pub k: usize,
    /// Per-image method.
    pub per_image: bool,
    /// Dataset Hungarian mIoU, mean and std.
    pub dataset_hungarian: Option<(f64, f64)>,
    /// Argmax-IoU mIoU, mean and std.
    pub argmax_iou: Option<(f64, f64)>,
    /// Per-image Hungarian mIoU, mean and std.
    pub per_image_hungarian: (f64, f64),
    /// Clusters used, mean.
    pub clusters_used: f64,
    /// Inference milliseconds per image, mean.
    pub ms_per_image: f64,
    /// Training seconds, mean.
    pub train_seconds: f64,
}

/// The summary rows over `runs`, in the order of the first run's methods.
pub fn summary(runs: &[SeedRun]) -> Vec<SummaryRow> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    first
        .scores
        .iter()
        .map(|s0| {
            let all: Vec<&MethodScore> = runs
                .iter()
                .flat_map(|r| r.scores.iter())
                .filter(|s| s.method == s0.method && s.k == s0.k)
                .collect();
            let opt = |f: &dyn Fn(&MethodScore) -> Option<f64>| {
                let v: Vec<f64> = all.iter().filter_map(|s| f(s)).collect();
                (!v.is_empty()).then(|| mean_std(&v))
            };
            let mean = |f: &dyn Fn(&MethodScore) -> f64| {
                all.iter().map(|s| f(s)).sum::<f64>() / all.len() as f64
            };
            SummaryRow {
                method: s0.method.clone(),
                k: s0.k,
                per_image: s0.per_image,
                dataset_hungarian: opt(&|s| s.dataset_hungarian),
                argmax_iou: opt(&|s| s.argmax_iou),
                per_image_hungarian: mean_std(
                    &all.iter()
                        .map(|s| s.per_image_hungarian)
                        .collect::<Vec<_>>(),
                ),
                clusters_used: mean(&|s| s.clusters_used as f64),
                ms_per_image: 1e3 * mean(&|s| s.seconds_per_image),
                train_seconds: mean(&|s| s.train_seconds),
            }
        })
        .collect()
}

/// The table: mIoU (×100) mean ± std over the seeds under each mapping, clusters used,
/// inference time per image.
pub fn segmentation_markdown(report: &SegmentationReport) -> String {
    let c = &report.config;
    let seeds = report.runs.len();
    let feature_ms = 1e3
        * report
            .runs
            .iter()
            .map(|r| r.feature_seconds_per_image)
            .sum::<f64>()
        / seeds.max(1) as f64;
    let mut s = format!(
        "# Unsupervised segmentation: NeuralEF against k-means and spectral clustering\n\n\
         {} classes (textures), {} training and {} test images of {}×{} pixels per seed, \
         {}-pixel patches ({} per image, {} features), {} seed(s). mIoU × 100, mean ± std over \
         the seeds, on test pixels. *Dataset Hungarian*: one 1:1 matching of clusters to classes \
         over the whole test set; *argmax-IoU*: every cluster to its highest-IoU class over the \
         test set (many:1, K > C only); *per-image Hungarian*: a 1:1 matching per image (the \
         only mapping per-image methods have). Time: inference per test image (features, \
         {feature_ms:.1} ms per image, excluded); training once per run.\n\n",
        c.generator.classes(),
        c.train_images,
        c.test_images,
        c.generator.size,
        c.generator.size,
        c.features.patch,
        (c.generator.size / c.features.patch).pow(2),
        c.features.dimension(),
        seeds
    );
    s += &score_table(&report.runs);
    if let Some(n) = &report.nuclei {
        s += &format!(
            "\n## Real image: nuclei (foreground / background)\n\n\
             The 2018 Data Science Bowl fluorescence image and its instance mask that the PyPI \
             package `stardist` ships (`{}`), cut into {}-pixel tiles: {} left-half tiles train, \
             {} right-half tiles are the test images; classes background and nucleus \
             ({:.1} % of the test pixels). Seed {}.\n\n",
            n.dir.display(),
            c.nuclei.as_ref().map_or(0, |k| k.tile),
            n.tiles.0,
            n.tiles.1,
            100.0 * n.foreground_fraction,
            n.run.seed
        );
        s += &score_table(std::slice::from_ref(&n.run));
    }
    s
}

/// The score table of `runs` (mean ± std over them).
pub fn score_table(runs: &[SeedRun]) -> String {
    let mut s = "| method | K | dataset Hungarian | argmax-IoU | per-image Hungarian | clusters used | ms / image | training (s) |\n\
                 |---|---|---|---|---|---|---|---|\n"
        .to_string();
    let pm = |v: Option<(f64, f64)>| {
        v.map_or("–".to_string(), |(m, s)| {
            format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * s)
        })
    };
    for r in summary(runs) {
        s += &format!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.2} | {:.1} |\n",
            method_name(&r.method),
            r.k,
            pm(r.dataset_hungarian),
            pm(r.argmax_iou),
            pm(Some(r.per_image_hungarian)),
            r.clusters_used,
            r.ms_per_image,
            r.train_seconds
        );
    }
    s
}

/// Image, ground truth and each K = C method's segmentation (coloured by the class it maps
/// to; grey: a cluster matched to no class) for the first `figure_images` test images.
fn examples_figure(
    data: &SegmentationData,
    config: &SegmentationConfig,
    predictions: &[Predictions],
) -> Result<Figure> {
    let classes = data.classes;
    let shown: Vec<&Predictions> = predictions
        .iter()
        .filter(|p| p.k == classes && !p.key.starts_with("ablation"))
        .collect();
    // Dataset-level mappings (Hungarian over the test set) of the dataset-level methods.
    let mut mappings = Vec::new();
    for p in &shown {
        if p.per_image {
            mappings.push(None);
            continue;
        }
        let mut m = Confusion::new(classes, p.k)?;
        for (i, labels) in p.labels.iter().enumerate() {
            m.add(&data.test[i].mask.labels, &pixel_labels(data, i, labels)?)?;
        }
        mappings.push(Some(m.hungarian_mapping()));
    }
    let class_colour =
        |c: Option<usize>| -> Rgb { c.map_or([170, 170, 170], |c| CATEGORICAL[c % 10]) };
    let panel = |title: &str, size: usize, colours: Vec<Rgb>| {
        Cell::Chart(Box::new(
            Chart {
                bare: true,
                x_range: Some((0.0, 1.0)),
                y_range: Some((0.0, 1.0)),
                ..Chart::new(title, "")
            }
            .with(Layer::Field(Field {
                columns: size,
                rows: size,
                x_range: (0.0, 1.0),
                y_range: (0.0, 1.0),
                colours,
            })),
        ))
    };
    let mut cells = Vec::new();
    let n = config.figure_images.min(data.test.len());
    for i in 0..n {
        let im = &data.test[i];
        let s = im.image.width;
        // Full resolution: halving it aliases the 6-pixel stripes into moiré.
        let img: Vec<Rgb> = im
            .image
            .pixels
            .iter()
            .map(|p| p.map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8))
            .collect();
        let title = |t: &str| if i == 0 { t.to_string() } else { String::new() };
        cells.push(panel(&title("image"), s, img));
        // Ground truth and predictions at patch resolution where exact (the mask at full
        // resolution is drawn from its own labels).
        let grid = data.test_patches[i].grid;
        let gt: Vec<Rgb> = im
            .mask
            .labels
            .iter()
            .map(|&l| class_colour(Some(l)))
            .collect();
        cells.push(panel(&title("ground truth"), s, gt));
        for (p, mapping) in shown.iter().zip(&mappings) {
            let labels = &p.labels[i];
            let map = match mapping {
                Some(m) => m.clone(),
                None => {
                    let mut own = Confusion::new(classes, p.k)?;
                    own.add(&im.mask.labels, &pixel_labels(data, i, labels)?)?;
                    own.hungarian_mapping()
                }
            };
            let colours: Vec<Rgb> = labels.iter().map(|&l| class_colour(map[l])).collect();
            let short = method_short_name(&p.key);
            debug_assert_eq!(labels.len(), grid.len());
            cells.push(panel(&title(short), grid.cols, colours));
        }
    }
    let columns = 2 + shown.len();
    let mut figure = Figure::new(columns, (170, 180), cells);
    figure.title = format!(
        "Unsupervised segmentation of unseen test images (K = C = {classes}); per-image methods matched per image, the others once over the test set"
    );
    figure.legend = Some(Legend {
        entries: data
            .class_names
            .iter()
            .enumerate()
            .map(|(c, t)| LegendEntry {
                label: t.clone(),
                colour: CATEGORICAL[c % 10],
                mark: Mark::Swatch,
            })
            .chain([LegendEntry {
                label: "no class (unmatched cluster)".into(),
                colour: [170, 170, 170],
                mark: Mark::Swatch,
            }])
            .collect(),
        note: String::new(),
    });
    Ok(figure)
}

/// The command line of `basis reproduce segmentation` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::Args;

    #[derive(Debug, Args)]
    pub struct SegmentationArgs {
        /// Seeds 0..N (each generates its own images and trains its own networks)
        #[arg(long, value_parser = runs(), default_value_t = 5)]
        seeds: u64,
        /// NeuralEF's iterations (every NeuralEF run)
        #[arg(long, default_value_t = SegmentationConfig::default().neuralef.iterations)]
        iterations: usize,
        /// Training images per seed
        #[arg(long, default_value_t = SegmentationConfig::default().train_images)]
        train_images: usize,
        /// Test images per seed
        #[arg(long, default_value_t = SegmentationConfig::default().test_images)]
        test_images: usize,
        /// Skip NeuralEF's three ablations
        #[arg(long)]
        no_ablations: bool,
        /// Skip the foreground/background check on the nuclei image stardist ships
        /// (`cargo xtask setup` fetches it; $BASIS_NUCLEI_DIR overrides where it is read from)
        #[arg(long)]
        no_nuclei: bool,
    }

    impl ExperimentArgs for SegmentationArgs {
        type E = Segmentation;
        fn apply(&self, g: &Given, cfg: &mut SegmentationConfig) -> CliResult<()> {
            g.set("iterations", &self.iterations, &mut cfg.neuralef.iterations);
            g.set("train_images", &self.train_images, &mut cfg.train_images);
            g.set("test_images", &self.test_images, &mut cfg.test_images);
            if self.no_ablations {
                cfg.ablations = false;
            }
            if self.no_nuclei {
                cfg.nuclei = None;
            }
            Ok(())
        }
        fn seeds(&self) -> Vec<u64> {
            seeds(self.seeds)
        }
    }
}
