//! `basis demo`, `basis reproduce …` and `basis sweep …`: the paper's experiments and the
//! toolkit's sweeps, each a library function of `basis-experiments` with a serialisable
//! configuration.
//!
//! Every experiment takes `--config FILE` (its whole configuration as JSON, as
//! `--print-config` shows it); an option given on the command line overrides the file. The
//! defaults shown in `--help` are read from the configuration types' `Default`s, so help and
//! behaviour cannot drift apart.

use crate::{CliResult, MethodArg, err, write_json};
use basis_data::io::write_atomic;
use basis_data::toy::ToyKind;
use basis_experiments::alignment_spread::{
    AlignmentSpreadConfig, SpreadDataset, run_alignment_spread,
};
use basis_experiments::demo::{DemoConfig, run_demo};
use basis_experiments::fashion_mnist::{
    ExperimentConfig, FeatureSource, run_experiment, summary_markdown,
};
use basis_experiments::feature_change::{FeatureChangeConfig, run_feature_change};
use basis_experiments::ggae::{
    GgaeConfig, GgaeReport, ggae_markdown, run_ggae, write_table_and_figures as write_ggae_files,
};
use basis_experiments::graph_sweep::{
    GraphSweepConfig, GraphSweepReport, SklearnKnn, graph_sweep_markdown, run_graph_sweep,
};
use basis_experiments::link_prediction::{
    LinkPredictionConfig, LinkPredictionReport, link_prediction_markdown, run_link_prediction,
    write_table_and_figure,
};
use basis_experiments::neighbors::{
    NeighborSweepConfig, neighbor_sweep_markdown, neighbor_sweep_plot, run_neighbor_sweep,
};
use basis_experiments::neuralef_closed_form::{
    ClosedFormConfig, closed_form_markdown, run_closed_form,
};
use basis_experiments::segmentation::{
    SegmentationConfig, run_segmentation, segmentation_markdown,
};
use basis_experiments::spectral_sweep::{
    ScipySpectral, SpectralSweepConfig, SpectralSweepReport, run_spectral_sweep,
    spectral_sweep_markdown,
};
use basis_experiments::table1::{Table1Config, run_table1, table1_markdown};
use basis_experiments::tightness::{
    TightnessSweepConfig, run_tightness_sweep, tightness_markdown, tightness_plot,
};
use basis_metrics::Report;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Which options the user gave on the command line (the rest keep the configuration's value).
pub struct Given<'a>(pub &'a ArgMatches);

impl Given<'_> {
    /// True when `id` (a field name) was given on the command line.
    pub fn has(&self, id: &str) -> bool {
        self.0.value_source(id) == Some(ValueSource::CommandLine)
    }

    /// `*slot = value` when `id` was given.
    pub fn set<T: Clone>(&self, id: &str, value: &T, slot: &mut T) {
        if self.has(id) {
            *slot = value.clone();
        }
    }
}

/// Options every experiment takes.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The whole configuration as JSON (as --print-config shows it); options given on the
    /// command line override it
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the effective configuration as JSON and exit
    #[arg(long)]
    print_config: bool,
    /// No progress bars
    #[arg(long)]
    no_progress: bool,
}

impl RunArgs {
    fn load<T: DeserializeOwned>(&self, default: T) -> CliResult<T> {
        match &self.config {
            None => Ok(default),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                serde_json::from_str(&text).map_err(|e| {
                    format!("{}: not a configuration of this command: {e}", p.display())
                })
            }
        }
    }

    /// Prints `config` and returns true when --print-config was given; otherwise checks,
    /// before anything runs, that the output directory `out` can be one.
    fn printed(&self, config: &impl Serialize, out: &Path) -> CliResult<bool> {
        if !self.print_config && out.exists() && !out.is_dir() {
            return Err(format!(
                "--out {} is a file, not a directory",
                out.display()
            ));
        }
        if self.print_config {
            println!("{}", serde_json::to_string_pretty(config).map_err(err)?);
        }
        Ok(self.print_config)
    }

    fn progress(&self) -> bool {
        !self.no_progress
    }
}

/// Feature sources on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeaturesArg {
    /// The Siamese CNN's outputs (trained once per data set and seed, then cached)
    Siamese,
    /// The data's own columns
    Raw,
}

impl FeaturesArg {
    fn source(self) -> FeatureSource {
        match self {
            FeaturesArg::Siamese => FeatureSource::Siamese,
            FeaturesArg::Raw => FeatureSource::Raw,
        }
    }
}

fn default_spread() -> f64 {
    ExperimentConfig::default().blobs.spread
}

fn default_siamese_steps() -> usize {
    ExperimentConfig::default().siamese.steps
}

/// Which part of a data set an experiment uses (the same for every experiment).
#[derive(Debug, Args)]
pub struct SubsetArgs {
    /// subspace-blobs: within-class mean distance to the centroid, in units of the median
    /// centroid distance
    #[arg(long, default_value_t = default_spread())]
    spread: f64,
    /// subspace-blobs: within-class spread of the test split as a multiple of --spread
    /// (above 1: test classes wider than the training classes)
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    test_spread_factor: f64,
    /// subspace-blobs: fraction of test points placed between two clusters
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    test_between: f64,
    /// Keep these classes only, comma-separated [default: all]
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    classes: Vec<usize>,
    /// At most N training points, after the class filter [default: all]
    #[arg(long, value_name = "N")]
    limit_train: Option<usize>,
    /// At most N test points [default: all]
    #[arg(long, value_name = "N")]
    limit_test: Option<usize>,
    /// Training steps of the Siamese network (--features siamese)
    #[arg(long, default_value_t = default_siamese_steps())]
    siamese_steps: usize,
}

impl SubsetArgs {
    fn apply(&self, g: &Given, e: &mut ExperimentConfig) {
        g.set("spread", &self.spread, &mut e.blobs.spread);
        g.set(
            "test_spread_factor",
            &self.test_spread_factor,
            &mut e.blobs.test_spread_factor,
        );
        g.set(
            "test_between",
            &self.test_between,
            &mut e.blobs.test_between_fraction,
        );
        g.set("classes", &self.classes, &mut e.classes);
        if g.has("limit_train") {
            e.limit_train = self.limit_train;
        }
        if g.has("limit_test") {
            e.limit_test = self.limit_test;
        }
        g.set("siamese_steps", &self.siamese_steps, &mut e.siamese.steps);
    }
}

const DATASET_HELP: &str = "fashion-mnist, subspace-blobs (ten tight Gaussian clusters in a 5-D \
subspace of R^16, generated; use --features raw) or a directory of MNIST-style IDX files or of \
train_x.npy, train_y.npy, test_x.npy, test_y.npy";

/// The paper's experiments.
#[derive(Debug, Subcommand)]
pub enum ReproduceCommand {
    /// Fig. 3: the anchors' eigenvector coordinates over 20 batches, before and after alignment
    Fig3(Fig3Args),
    /// Table 1's BASiS row on Fashion-MNIST (or any image data set): Siamese features
    /// (cached), Algorithm 1 over seeds, test-set scores beside the paper's row
    Basis(BasisArgs),
    /// Algorithm 2: Siamese and spectral networks trained together (Fig. 6 and Fig. 8)
    FeatureChange(FeatureChangeArgs),
    /// Table 1: BASiS, Diffusion Net, SpectralNet, SpecNet2 and NeuralEF on the same features
    Table1(Table1Args),
    /// NeuralEF against the closed-form eigenfunctions of a Gaussian kernel (Hermite
    /// functions), beside a Nyström estimate from the same points
    NeuralefClosedForm(ClosedFormArgs),
    /// NeuralEF's Gumbel-head ablations on Table 1's setting: plain softmax, no orthogonal
    /// last layer, no stop-gradient
    NeuralefAblations(NeuralefAblationsArgs),
    /// Unsupervised segmentation of procedural texture images with exact masks: NeuralEF's
    /// Gumbel head against k-means, exact spectral clustering and a colour normalised cut
    Segmentation(SegmentationArgs),
    /// Lim et al.'s twin-graph link prediction: the sign-equivariant network against SignNet,
    /// GCN, decode-only, a learned decoder and an unconstrained MLP on the eigenvectors
    LinkPrediction(LinkPredictionArgs),
    /// Lim et al.'s graph geometry-preserving autoencoder (GGAE) beside the plain autoencoder
    /// on the Swiss roll with a hole and rotating Fashion-MNIST sequences
    Ggae(GgaeArgs),
}

/// The toolkit's sweeps.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Fig. 4: the Table 1 comparison for every number of neighbours k
    Neighbors(NeighborsArgs),
    /// BASiS on generated tight clusters at every within-class spread
    Tightness(TightnessArgs),
    /// Exact and HNSW kNN of Fashion-MNIST and the batch-graph cost, timed
    Graph(GraphSweepArgs),
    /// K eigenpairs of L_N of Fashion-MNIST's kNN graph, timed
    Spectral(SpectralSweepArgs),
}

/// Data sets of Fig. 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fig3Dataset {
    /// The paper's setting: 9000 points, batches of 256 holding the same 9 anchors, K = 2
    ThreeMoons,
    /// Raw pixels, 512-point batches, 250 anchors, K = 10, RANSAC
    FashionMnist,
}

#[derive(Debug, Args)]
pub struct Fig3Args {
    /// Data set (its preset configuration)
    #[arg(long, value_enum, default_value_t = Fig3Dataset::ThreeMoons, conflicts_with = "config")]
    dataset: Fig3Dataset,
    /// Fashion-MNIST IDX directory [default: $BASIS_FASHION_MNIST_DIR or
    /// /usr/share/datasets/fashion-mnist]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Batches compared
    #[arg(long, default_value_t = AlignmentSpreadConfig::three_moons().batches)]
    batches: usize,
    /// Seed of every random choice
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output directory [default: runs/fig3-<dataset>]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct BasisArgs {
    /// Data set: fashion-mnist, subspace-blobs or a data directory (--help for more)
    #[arg(long, long_help = DATASET_HELP, default_value_t = ExperimentConfig::default().dataset)]
    dataset: String,
    /// Features BASiS embeds
    #[arg(long, value_enum, default_value_t = FeaturesArg::Siamese)]
    features: FeaturesArg,
    /// Seeds 0..N
    #[arg(long, default_value_t = 10, value_name = "N", conflicts_with = "seed")]
    seeds: u64,
    /// One seed S only
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// BASiS iterations
    #[arg(long, default_value_t = ExperimentConfig::default().basis.iterations)]
    iterations: usize,
    #[command(flatten)]
    subset: SubsetArgs,
    /// Output directory
    #[arg(long, default_value_os_t = ExperimentConfig::default().out_dir)]
    out: PathBuf,
    /// Discard a seed's checkpoint that was trained on other data, settings or anchors and
    /// train that seed from the start (without it such a checkpoint is an error)
    #[arg(long)]
    start_over: bool,
    /// Prepare the next batch (sampling, graph, eigenvectors, alignment) on a worker thread
    /// while the network steps on this one. libtorch keeps its threads and the worker runs at
    /// idle priority, so the results equal serial training's bit for bit (set threads and
    /// priority in the config's "pipeline")
    #[arg(long)]
    pipeline: bool,
    /// Fit moved copies of every batch too, moved up to X cluster widths (the distance to the
    /// (m/K)-th neighbour), for test points off the training support (ours; 0 is the paper's
    /// Algorithm 1; 4 is the measured setting; docs/out-of-sample.md)
    #[arg(long, value_name = "X", default_value_t = ExperimentConfig::default().basis.input_noise)]
    input_noise: f64,
    /// Diagnostic: draw the anchors from the test set, as the official code does
    /// (transductive: test points enter the training batches)
    #[arg(long)]
    test_set_anchors: bool,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct FeatureChangeArgs {
    /// Fig. 8's setting: classes 5, 7, 9 (sandal, sneaker, ankle boot), K = 2
    #[arg(long, conflicts_with = "config")]
    fig8: bool,
    /// Data set: fashion-mnist, subspace-blobs or a data directory (--help for more)
    #[arg(long, long_help = DATASET_HELP, default_value_t = FeatureChangeConfig::default().data.dataset)]
    dataset: String,
    /// Seed of every random choice
    #[arg(long, default_value_t = FeatureChangeConfig::default().seed)]
    seed: u64,
    /// Feature-network iterations
    #[arg(long, default_value_t = FeatureChangeConfig::default().feature_iterations)]
    iterations: usize,
    #[command(flatten)]
    subset: SubsetArgs,
    /// Output directory [default: results/feature-change, with --fig8 results/feature-change-fig8]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    run: RunArgs,
}

/// The options Table 1 and the neighbour sweep share.
#[derive(Debug, Args)]
pub struct ComparisonArgs {
    /// Data set: fashion-mnist, subspace-blobs or a data directory (--help for more)
    #[arg(long, long_help = DATASET_HELP, default_value_t = Table1Config::default().experiment.dataset)]
    dataset: String,
    /// Features every method embeds
    #[arg(long, value_enum, default_value_t = FeaturesArg::Siamese)]
    features: FeaturesArg,
    /// Iterations of every method
    #[arg(long, default_value_t = Table1Config::default().experiment.basis.iterations)]
    iterations: usize,
    /// A subset of the methods, comma-separated [default: all five]
    #[arg(long, value_enum, value_delimiter = ',')]
    methods: Vec<MethodArg>,
    /// Prepare each method's next batch on a worker thread at idle priority while its network
    /// steps (all but Diffusion Net, which trains on one batch); libtorch keeps its threads, so
    /// the models equal serial training's bit for bit (docs/benchmarks.md for what it gains)
    #[arg(long)]
    pipeline: bool,
    #[command(flatten)]
    subset: SubsetArgs,
}

impl ComparisonArgs {
    fn apply(&self, g: &Given, t: &mut Table1Config) {
        let e = &mut t.experiment;
        g.set("dataset", &self.dataset, &mut e.dataset);
        if g.has("features") {
            e.features = self.features.source();
        }
        g.set("iterations", &self.iterations, &mut e.basis.iterations);
        self.subset.apply(g, e);
        if g.has("methods") {
            t.methods = self.methods.iter().map(|m| m.method()).collect();
        }
        if self.pipeline {
            t.experiment.pipeline = Some(basis_methods::pipeline::PipelineConfig::default());
        }
    }
}

#[derive(Debug, Args)]
pub struct Table1Args {
    #[command(flatten)]
    common: ComparisonArgs,
    /// Seeds 0..N
    #[arg(long, default_value_t = 10, value_name = "N")]
    seeds: u64,
    /// Output directory; finished (method, seed) runs in it are reused on a re-run
    #[arg(long, default_value_os_t = Table1Config::default().experiment.out_dir)]
    out: PathBuf,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ClosedFormArgs {
    /// NeuralEF's iterations
    #[arg(long, default_value_t = ClosedFormConfig::default().iterations)]
    iterations: usize,
    /// Seed of the samples and of NeuralEF
    #[arg(long, default_value_t = ClosedFormConfig::default().seed)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value_os_t = ClosedFormConfig::default().out_dir)]
    out: PathBuf,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct SegmentationArgs {
    /// Seeds 0..N (each generates its own images and trains its own networks)
    #[arg(long, default_value_t = 5)]
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
    /// Output directory
    #[arg(long, default_value_os_t = SegmentationConfig::default().out_dir)]
    out: PathBuf,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct LinkPredictionArgs {
    /// Trials 0..N per graph family (each a new graph, split, signs and initialisation)
    #[arg(long, default_value_t = 10)]
    trials: u64,
    /// Full-batch training epochs of every model
    #[arg(long, default_value_t = LinkPredictionConfig::default().protocol.epochs)]
    epochs: usize,
    /// Eigenvectors used as positional encodings (after the trivial one)
    #[arg(long, default_value_t = LinkPredictionConfig::default().protocol.k)]
    k: usize,
    /// Factor on the encodings (1: unit-norm columns, entries of order 1/√n, the protocol)
    #[arg(long, default_value_t = LinkPredictionConfig::default().protocol.encoding_scale)]
    encoding_scale: f64,
    /// Output directory
    #[arg(long, default_value_os_t = LinkPredictionConfig::default().out_dir)]
    out: PathBuf,
    /// Rewrite the table and figure from OUT/link_prediction.json without training
    #[arg(long)]
    replot: bool,
    #[command(flatten)]
    run: RunArgs,
}

/// Which data sets `reproduce ggae` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GgaeData {
    /// The Swiss roll with a hole and the rotating sequences
    Both,
    /// The Swiss roll with a hole only
    SwissRoll,
    /// The rotating Fashion-MNIST sequences only
    Rotating,
}

#[derive(Debug, Args)]
pub struct GgaeArgs {
    /// Seeds 0..N (each new data, split, initialisation and batch order)
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// Data sets to run
    #[arg(long, value_enum, default_value_t = GgaeData::Both)]
    data: GgaeData,
    /// Training epochs on the Swiss roll
    #[arg(long, default_value_t = basis_experiments::ggae::SwissRollSetup::default().epochs)]
    swiss_epochs: usize,
    /// Points of the Swiss roll (train, validation, test 5/7, 1/7, 1/7)
    #[arg(long, default_value_t = basis_experiments::ggae::SwissRollSetup::default().roll.n)]
    swiss_points: usize,
    /// GGAE's α on the Swiss roll
    #[arg(long, default_value_t = basis_experiments::ggae::SwissRollSetup::default().alpha)]
    swiss_alpha: f64,
    /// h on the Swiss roll as a multiple of the median squared 10th-neighbour distance
    #[arg(long, default_value_t = basis_experiments::ggae::SwissRollSetup::default().h_factor)]
    swiss_h_factor: f64,
    /// Training epochs on the rotating sequences
    #[arg(long, default_value_t = basis_experiments::ggae::RotatingSetup::default().epochs)]
    rotating_epochs: usize,
    /// Images turned into sequences (the first of the class in the training split)
    #[arg(long, default_value_t = basis_experiments::ggae::RotatingSetup::default().images)]
    images: usize,
    /// Fashion-MNIST class of the sequences (5: sandal)
    #[arg(long, default_value_t = basis_experiments::ggae::RotatingSetup::default().class)]
    class: usize,
    /// GGAE's α on the rotating sequences
    #[arg(long, default_value_t = basis_experiments::ggae::RotatingSetup::default().alpha)]
    rotating_alpha: f64,
    /// Output directory
    #[arg(long, default_value_os_t = GgaeConfig::default().out_dir)]
    out: PathBuf,
    /// Rewrite the table and figures from OUT/ggae.json without training
    #[arg(long)]
    replot: bool,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct NeuralefAblationsArgs {
    /// Data set: fashion-mnist, subspace-blobs or a data directory (--help for more)
    #[arg(long, long_help = DATASET_HELP, default_value_t = Table1Config::default().experiment.dataset)]
    dataset: String,
    /// Features NeuralEF embeds
    #[arg(long, value_enum, default_value_t = FeaturesArg::Siamese)]
    features: FeaturesArg,
    /// Iterations of every configuration
    #[arg(long, default_value_t = Table1Config::default().experiment.basis.iterations)]
    iterations: usize,
    #[command(flatten)]
    subset: SubsetArgs,
    /// Seeds 0..N
    #[arg(long, default_value_t = 3, value_name = "N")]
    seeds: u64,
    /// Output directory; finished (configuration, seed) runs in it are reused on a re-run
    #[arg(long, default_value = "results/neuralef-ablations")]
    out: PathBuf,
    #[command(flatten)]
    run: RunArgs,
}

fn default_neighbors() -> String {
    list(&NeighborSweepConfig::default().neighbors)
}

fn default_spreads() -> String {
    list(&TightnessSweepConfig::default().spreads)
}

fn list<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Debug, Args)]
pub struct NeighborsArgs {
    #[command(flatten)]
    common: ComparisonArgs,
    /// The numbers of neighbours k
    #[arg(long, value_delimiter = ',', default_value = default_neighbors())]
    neighbors: Vec<usize>,
    /// Seeds 0..N at every k
    #[arg(long, default_value_t = 3, value_name = "N")]
    seeds: u64,
    /// Output directory
    #[arg(long, default_value_os_t = NeighborSweepConfig::default().out_dir)]
    out: PathBuf,
    /// Redraw the figure from OUT/neighbors.json without running anything
    #[arg(long)]
    replot: bool,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct TightnessArgs {
    /// Within-class spreads of the generated clusters
    #[arg(long, value_delimiter = ',', default_value = default_spreads())]
    spreads: Vec<f64>,
    /// Data set: fashion-mnist, subspace-blobs or a data directory (--help for more)
    #[arg(long, long_help = DATASET_HELP, default_value_t = TightnessSweepConfig::default().experiment.dataset)]
    dataset: String,
    /// Features BASiS embeds
    #[arg(long, value_enum, default_value_t = FeaturesArg::Raw)]
    features: FeaturesArg,
    /// Seeds 0..N at every spread
    #[arg(long, default_value_t = 3, value_name = "N")]
    seeds: u64,
    /// BASiS iterations
    #[arg(long, default_value_t = TightnessSweepConfig::default().experiment.basis.iterations)]
    iterations: usize,
    #[command(flatten)]
    subset: SubsetArgs,
    /// Output directory
    #[arg(long, default_value_os_t = TightnessSweepConfig::default().out_dir)]
    out: PathBuf,
    /// Redraw the figure from OUT/tightness.json without running anything
    #[arg(long)]
    replot: bool,
    /// Discard a seed's checkpoint that was trained on other data, settings or anchors and
    /// train that seed from the start (without it such a checkpoint is an error)
    #[arg(long)]
    start_over: bool,
    #[command(flatten)]
    run: RunArgs,
}

fn default_sizes() -> String {
    list(&GraphSweepConfig::default().sizes)
}

fn default_dims() -> String {
    list(&GraphSweepConfig::default().dims)
}

#[derive(Debug, Args)]
pub struct GraphSweepArgs {
    /// 10,000 points at 32 dimensions only
    #[arg(long)]
    quick: bool,
    /// Numbers of points
    #[arg(long, value_delimiter = ',', default_value = default_sizes())]
    sizes: Vec<usize>,
    /// Dimensions; 784 = raw pixels, fewer = a random projection
    #[arg(long, value_delimiter = ',', default_value = default_dims())]
    dims: Vec<usize>,
    /// Neighbours
    #[arg(long, default_value_t = GraphSweepConfig::default().exact.k)]
    k: usize,
    /// Threads of the exact and HNSW searches (0 = all cores)
    #[arg(long, default_value_t = GraphSweepConfig::default().exact.threads)]
    threads: usize,
    /// HNSW links per node
    #[arg(long, default_value_t = GraphSweepConfig::default().hnsw.max_connections)]
    hnsw_m: usize,
    /// HNSW candidate list while building
    #[arg(long, default_value_t = GraphSweepConfig::default().hnsw.ef_construction)]
    hnsw_ef_construction: usize,
    /// HNSW candidate list while searching
    #[arg(long, default_value_t = GraphSweepConfig::default().hnsw.ef_search)]
    hnsw_ef_search: usize,
    /// Timed calls per batch setting
    #[arg(long, default_value_t = GraphSweepConfig::default().batch.calls)]
    batch_calls: usize,
    /// Fashion-MNIST IDX directory [default: $BASIS_FASHION_MNIST_DIR or
    /// /usr/share/datasets/fashion-mnist]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Seed of the projections and batch draws
    #[arg(long, default_value_t = GraphSweepConfig::default().seed)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value_os_t = basis_experiments::graph_sweep::default_out_dir())]
    out: PathBuf,
    /// Only merge OUT/report.json with OUT/sklearn.json (scripts/bench_sklearn_knn.py) into
    /// OUT/graph-sweep.md
    #[arg(long)]
    report: bool,
    #[command(flatten)]
    run: RunArgs,
}

fn default_splits() -> String {
    SpectralSweepConfig::default().splits.join(",")
}

fn default_tols() -> String {
    list(&SpectralSweepConfig::default().tolerances)
}

#[derive(Debug, Args)]
pub struct SpectralSweepArgs {
    /// The 10,000-point test set only
    #[arg(long)]
    quick: bool,
    /// Splits of Fashion-MNIST
    #[arg(long, value_delimiter = ',', default_value = default_splits())]
    splits: Vec<String>,
    /// Random projection dimension
    #[arg(long, default_value_t = SpectralSweepConfig::default().dim)]
    dim: usize,
    /// Neighbours
    #[arg(long, default_value_t = SpectralSweepConfig::default().k_neighbors)]
    k: usize,
    /// Eigenpairs, the trivial one included
    #[arg(long, default_value_t = SpectralSweepConfig::default().eigenpairs)]
    eigenpairs: usize,
    /// Lanczos tolerances
    #[arg(long, value_delimiter = ',', default_value = default_tols())]
    tols: Vec<f64>,
    /// Threads (0 = all cores)
    #[arg(long, default_value_t = SpectralSweepConfig::default().threads)]
    threads: usize,
    /// Lanczos basis size (0 = automatic, max(2K + 1, 20))
    #[arg(long, default_value_t = SpectralSweepConfig::default().krylov_dim)]
    krylov_dim: usize,
    /// Skip the solver's missed-copy check (ARPACK has none)
    #[arg(long)]
    no_verify: bool,
    /// Operator values Lanczos iterates with: auto (f32 where the tolerance leaves room for
    /// its rounding), f64 or f32; every pair is re-scored with the exact operator
    #[arg(long, value_enum, default_value_t = ValuesArg::Auto)]
    values: ValuesArg,
    /// Do not repeat an f32 solve with f64 values beside it
    #[arg(long)]
    no_f64_beside: bool,
    /// Fashion-MNIST IDX directory [default: $BASIS_FASHION_MNIST_DIR or
    /// /usr/share/datasets/fashion-mnist]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Seed
    #[arg(long, default_value_t = SpectralSweepConfig::default().seed)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value_os_t = basis_experiments::spectral_sweep::default_out_dir())]
    out: PathBuf,
    /// Only merge OUT/report.json with OUT/scipy.json (scripts/bench_scipy_spectral.py) into
    /// OUT/table.md
    #[arg(long)]
    report: bool,
    #[command(flatten)]
    run: RunArgs,
}

/// Operator values of the spectral sweep's solves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValuesArg {
    Auto,
    F64,
    F32,
}

impl From<ValuesArg> for basis_spectral::OperatorValues {
    fn from(v: ValuesArg) -> Self {
        match v {
            ValuesArg::Auto => Self::Auto,
            ValuesArg::F64 => Self::F64,
            ValuesArg::F32 => Self::F32,
        }
    }
}

/// Toy shapes of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToyArg {
    ThreeMoons,
    TwoMoons,
    Circles,
    Blobs,
    Spirals,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Toy data set
    #[arg(long, value_enum, default_value_t = ToyArg::ThreeMoons)]
    toy: ToyArg,
    /// Training iterations
    #[arg(long, default_value_t = DemoConfig::default().basis.iterations)]
    iterations: usize,
    /// Noise of the toy data
    #[arg(long, default_value_t = DemoConfig::default().train.noise)]
    noise: f64,
    /// Seed of every random choice
    #[arg(long, default_value_t = DemoConfig::default().basis.seed)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value_os_t = DemoConfig::default().out_dir)]
    out: PathBuf,
    #[command(flatten)]
    run: RunArgs,
}

fn seeds(n: u64) -> Vec<u64> {
    (0..n).collect()
}

/// `basis demo`.
pub fn demo(a: &DemoArgs, g: &Given) -> CliResult<()> {
    let mut cfg = a.run.load(DemoConfig::default())?;
    if g.has("toy") {
        cfg.toy = match a.toy {
            ToyArg::ThreeMoons => ToyKind::ThreeMoons,
            ToyArg::TwoMoons => ToyKind::TwoMoons,
            ToyArg::Circles => ToyKind::Circles,
            ToyArg::Blobs => ToyKind::Blobs,
            ToyArg::Spirals => ToyKind::Spirals,
        };
    }
    g.set("iterations", &a.iterations, &mut cfg.basis.iterations);
    g.set("noise", &a.noise, &mut cfg.train.noise);
    if g.has("seed") {
        cfg.basis.seed = a.seed;
        cfg.basis.align.seed = a.seed;
        cfg.train.seed = a.seed;
    }
    g.set("out", &a.out, &mut cfg.out_dir);
    if a.run.printed(&cfg, &cfg.out_dir)? {
        return Ok(());
    }
    println!(
        "BASiS demo: {:?}, {} training points, batches of {} ({} anchors), K = {}, {} iterations",
        cfg.toy,
        cfg.train.n_samples,
        cfg.basis.batch_size,
        cfg.anchors_per_class * cfg.toy.num_classes(),
        cfg.basis.embedding.k,
        cfg.basis.iterations
    );
    let r = run_demo(&cfg, a.run.progress()).map_err(err)?;
    let m = &r.metrics;
    let show = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.4}"));
    println!("held-out points:        {}", cfg.test_size);
    println!("d_G (Eq. 16):           {}", show(m.grassmann));
    println!("d_⊥ (Eq. 17):           {}", show(m.orthogonality));
    println!("NMI (max, Eq. 18):      {}", show(m.nmi));
    println!("NMI (arithmetic):       {}", show(m.nmi_arithmetic));
    println!("ACC (Eq. 19):           {}", show(m.acc));
    println!("linear probe (Eq. 20):  {}", show(m.probe_accuracy));
    println!("evaluation time:        {:.1} s", r.eval_seconds);
    println!(
        "\n{}\n{}\n",
        Report::markdown_header(),
        m.markdown_row("BASiS (ours)")
    );
    println!("final loss (Eq. 15):    {:.5}", r.final_loss);
    println!(
        "time per iteration:     {:.2} ms (graph+eigen {:.2}, align {:.2}, step {:.2})",
        r.ms_per_iteration, r.ms_breakdown[0], r.ms_breakdown[1], r.ms_breakdown[2]
    );
    println!("skipped batches:        {}", r.skipped_batches);
    println!("training time:          {:.1} s", r.train_seconds);
    println!("outputs:");
    for p in &r.outputs {
        println!("  {}", p.display());
    }
    Ok(())
}

/// `basis reproduce …`.
pub fn reproduce(c: &ReproduceCommand, g: &Given) -> CliResult<()> {
    match c {
        ReproduceCommand::Fig3(a) => fig3(a, g),
        ReproduceCommand::Basis(a) => reproduce_basis(a, g),
        ReproduceCommand::FeatureChange(a) => feature_change(a, g),
        ReproduceCommand::Table1(a) => table1(a, g),
        ReproduceCommand::NeuralefClosedForm(a) => neuralef_closed_form(a, g),
        ReproduceCommand::NeuralefAblations(a) => neuralef_ablations(a, g),
        ReproduceCommand::Segmentation(a) => segmentation(a, g),
        ReproduceCommand::LinkPrediction(a) => link_prediction(a, g),
        ReproduceCommand::Ggae(a) => ggae(a, g),
    }
}

/// `basis sweep …`.
pub fn sweep(c: &SweepCommand, g: &Given) -> CliResult<()> {
    match c {
        SweepCommand::Neighbors(a) => neighbors(a, g),
        SweepCommand::Tightness(a) => tightness(a, g),
        SweepCommand::Graph(a) => graph_sweep(a, g),
        SweepCommand::Spectral(a) => spectral_sweep(a, g),
    }
}

fn fig3(a: &Fig3Args, g: &Given) -> CliResult<()> {
    let preset = match a.dataset {
        Fig3Dataset::ThreeMoons => AlignmentSpreadConfig::three_moons(),
        Fig3Dataset::FashionMnist => AlignmentSpreadConfig::fashion_mnist(),
    };
    let mut cfg = a.run.load(preset)?;
    if let Some(dir) = &a.data_dir {
        match &mut cfg.dataset {
            SpreadDataset::FashionMnist { dir: d, .. } => *d = Some(dir.clone()),
            SpreadDataset::ThreeMoons { .. } => {
                return Err("--data-dir applies to --dataset fashion-mnist".into());
            }
        }
    }
    g.set("batches", &a.batches, &mut cfg.batches);
    if g.has("seed") {
        cfg.seed = a.seed;
        cfg.align.seed = a.seed;
    }
    if let Some(out) = &a.out {
        cfg.out_dir = out.clone();
    }
    if a.run.printed(&cfg, &cfg.out_dir)? {
        return Ok(());
    }
    let bar = if a.run.progress() {
        let b = ProgressBar::new(cfg.batches as u64);
        b.set_style(
            ProgressStyle::with_template("fig3 {bar:30} {pos}/{len} batches [{elapsed}]")
                .map_err(err)?,
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let report = run_alignment_spread(&cfg, &mut |n| bar.set_position(n as u64)).map_err(err)?;
    bar.finish_and_clear();
    println!("{}", report.summary());
    for p in &report.outputs {
        println!("wrote {}", p.display());
    }
    Ok(())
}

fn reproduce_basis(a: &BasisArgs, g: &Given) -> CliResult<()> {
    let mut cfg = a.run.load(ExperimentConfig::default())?;
    g.set("dataset", &a.dataset, &mut cfg.dataset);
    if g.has("features") {
        cfg.features = a.features.source();
    }
    g.set("iterations", &a.iterations, &mut cfg.basis.iterations);
    a.subset.apply(g, &mut cfg);
    g.set("out", &a.out, &mut cfg.out_dir);
    g.set("start_over", &a.start_over, &mut cfg.start_over);
    if a.pipeline {
        cfg.pipeline = Some(basis_methods::basis::PipelineConfig::default());
    }
    g.set("input_noise", &a.input_noise, &mut cfg.basis.input_noise);
    g.set(
        "test_set_anchors",
        &a.test_set_anchors,
        &mut cfg.test_set_anchors,
    );
    if a.run.printed(&cfg, &cfg.out_dir)? {
        return Ok(());
    }
    let seeds = a.seed.map_or_else(|| seeds(a.seeds), |s| vec![s]);
    let summary = run_experiment(&cfg, &seeds, a.run.progress()).map_err(err)?;
    println!("{}", summary_markdown(&summary));
    println!(
        "wrote {} and {}",
        cfg.out_dir.join("table.md").display(),
        cfg.out_dir.join("table.json").display()
    );
    Ok(())
}

fn feature_change(a: &FeatureChangeArgs, g: &Given) -> CliResult<()> {
    let preset = if a.fig8 {
        FeatureChangeConfig::fig8()
    } else {
        FeatureChangeConfig::default()
    };
    let mut cfg = a.run.load(preset)?;
    g.set("dataset", &a.dataset, &mut cfg.data.dataset);
    g.set("seed", &a.seed, &mut cfg.seed);
    g.set("iterations", &a.iterations, &mut cfg.feature_iterations);
    a.subset.apply(g, &mut cfg.data);
    if let Some(out) = &a.out {
        cfg.data.out_dir = out.clone();
    }
    if a.run.printed(&cfg, &cfg.data.out_dir)? {
        return Ok(());
    }
    let report = run_feature_change(&cfg, a.run.progress()).map_err(err)?;
    for p in &report.outputs {
        println!("wrote {}", p.display());
    }
    Ok(())
}

fn table1(a: &Table1Args, g: &Given) -> CliResult<()> {
    let mut cfg = a.run.load(Table1Config::default())?;
    a.common.apply(g, &mut cfg);
    g.set("out", &a.out, &mut cfg.experiment.out_dir);
    if a.run.printed(&cfg, &cfg.experiment.out_dir)? {
        return Ok(());
    }
    let t = run_table1(&cfg, &seeds(a.seeds), a.run.progress()).map_err(err)?;
    println!("{}", table1_markdown(&t));
    Ok(())
}

fn neuralef_closed_form(a: &ClosedFormArgs, g: &Given) -> CliResult<()> {
    let mut cfg = a.run.load(ClosedFormConfig::default())?;
    g.set("iterations", &a.iterations, &mut cfg.iterations);
    g.set("seed", &a.seed, &mut cfg.seed);
    g.set("out", &a.out, &mut cfg.out_dir);
    if a.run.printed(&cfg, &cfg.out_dir)? {
        return Ok(());
    }
    let r = run_closed_form(&cfg, a.run.progress()).map_err(err)?;
    println!("{}", closed_form_markdown(&r));
    eprintln!(
        "wrote {}",
        cfg.out_dir
            .join("{closed_form.json,closed_form.md,eigenfunctions.png,eigenfunctions.svg}")
            .display()
    );
    Ok(())
}

fn segmentation(a: &SegmentationArgs, g: &Given) -> CliResult<()> {
    let mut cfg = a.run.load(SegmentationConfig::default())?;
    g.set("iterations", &a.iterations, &mut cfg.neuralef.iterations);
    g.set("train_images", &a.train_images, &mut cfg.train_images);
    g.set("test_images", &a.test_images, &mut cfg.test_images);
    if a.no_ablations {
        cfg.ablations = false;
    }
    if a.no_nuclei {
        cfg.nuclei = None;
    }
    g.set("out", &a.out, &mut cfg.out_dir);
    if a.run.printed(&cfg, &cfg.out_dir)? {
        return Ok(());
    }
    let r = run_segmentation(&cfg, &seeds(a.seeds), a.run.progress()).map_err(err)?;
    println!("{}", segmentation_markdown(&r));
    eprintln!(
        "wrote {}",
        cfg.out_dir
            .join("{segmentation.json,segmentation.md,examples.png,examples.svg,nuclei.png,nuclei.svg}")
            .display()
    );
    Ok(())
}

fn link_prediction(a: &LinkPredictionArgs, g: &Given) -> CliResult<()> {
    let mut cfg = a.run.load(LinkPredictionConfig::default())?;
    g.set("epochs", &a.epochs, &mut cfg.protocol.epochs);
    g.set("k", &a.k, &mut cfg.protocol.k);
    g.set(
        "encoding_scale",
        &a.encoding_scale,
        &mut cfg.protocol.encoding_scale,
    );
    g.set("out", &a.out, &mut cfg.out_dir);
    if a.replot {
        let r: LinkPredictionReport = read_json(&cfg.out_dir.join("link_prediction.json"))?;
        write_table_and_figure(&r, &cfg.out_dir).map_err(err)?;
        println!("{}", link_prediction_markdown(&r));
        return Ok(());
    }
    if a.run.printed(&cfg, &cfg.out_dir)? {
        return Ok(());
    }
    let r = run_link_prediction(&cfg, &seeds(a.trials), a.run.progress()).map_err(err)?;
    println!("{}", link_prediction_markdown(&r));
    eprintln!(
        "wrote {}",
        cfg.out_dir
            .join("{link_prediction.json,link_prediction.md,twins.png,twins.svg}")
            .display()
    );
    Ok(())
}

fn ggae(a: &GgaeArgs, g: &Given) -> CliResult<()> {
    let mut cfg = a.run.load(GgaeConfig::default())?;
    match a.data {
        GgaeData::Both => {}
        GgaeData::SwissRoll => cfg.rotating = None,
        GgaeData::Rotating => cfg.swiss_roll = None,
    }
    if let Some(s) = cfg.swiss_roll.as_mut() {
        g.set("swiss_epochs", &a.swiss_epochs, &mut s.epochs);
        g.set("swiss_points", &a.swiss_points, &mut s.roll.n);
        g.set("swiss_alpha", &a.swiss_alpha, &mut s.alpha);
        g.set("swiss_h_factor", &a.swiss_h_factor, &mut s.h_factor);
    }
    if let Some(r) = cfg.rotating.as_mut() {
        g.set("rotating_epochs", &a.rotating_epochs, &mut r.epochs);
        g.set("images", &a.images, &mut r.images);
        g.set("class", &a.class, &mut r.class);
        g.set("rotating_alpha", &a.rotating_alpha, &mut r.alpha);
    }
    g.set("out", &a.out, &mut cfg.out_dir);
    if a.replot {
        let r: GgaeReport = read_json(&cfg.out_dir.join("ggae.json"))?;
        write_ggae_files(&r, &cfg.out_dir).map_err(err)?;
        println!("{}", ggae_markdown(&r));
        return Ok(());
    }
    if a.run.printed(&cfg, &cfg.out_dir)? {
        return Ok(());
    }
    let r = run_ggae(&cfg, &seeds(a.seeds), a.run.progress()).map_err(err)?;
    println!("{}", ggae_markdown(&r));
    eprintln!(
        "wrote {}",
        cfg.out_dir
            .join("{ggae.json,ggae.md,latents.png,latents.svg,curves.png,curves.svg}")
            .display()
    );
    Ok(())
}

fn neuralef_ablations(a: &NeuralefAblationsArgs, g: &Given) -> CliResult<()> {
    let mut default = Table1Config {
        methods: vec![basis_methods::Method::NeuralEf],
        neuralef: basis_experiments::table1::neuralef_ablations(),
        ..Table1Config::default()
    };
    default.experiment.out_dir = a.out.clone();
    let mut cfg = a.run.load(default)?;
    let e = &mut cfg.experiment;
    g.set("dataset", &a.dataset, &mut e.dataset);
    if g.has("features") {
        e.features = a.features.source();
    }
    g.set("iterations", &a.iterations, &mut e.basis.iterations);
    a.subset.apply(g, e);
    g.set("out", &a.out, &mut cfg.experiment.out_dir);
    if a.run.printed(&cfg, &cfg.experiment.out_dir)? {
        return Ok(());
    }
    let t = run_table1(&cfg, &seeds(a.seeds), a.run.progress()).map_err(err)?;
    println!("{}", table1_markdown(&t));
    Ok(())
}

fn neighbors(a: &NeighborsArgs, g: &Given) -> CliResult<()> {
    let mut cfg = a.run.load(NeighborSweepConfig::default())?;
    a.common.apply(g, &mut cfg.table);
    g.set("neighbors", &a.neighbors, &mut cfg.neighbors);
    g.set("out", &a.out, &mut cfg.out_dir);
    if a.run.printed(&cfg, &cfg.out_dir)? {
        return Ok(());
    }
    if a.replot {
        return replot(&cfg.out_dir, "neighbors", neighbor_sweep_plot);
    }
    let s = run_neighbor_sweep(&cfg, &seeds(a.seeds), a.run.progress()).map_err(err)?;
    println!("{}", neighbor_sweep_markdown(&s));
    eprintln!(
        "wrote {}",
        cfg.out_dir.join("neighbors.{md,json,png,svg}").display()
    );
    Ok(())
}

fn tightness(a: &TightnessArgs, g: &Given) -> CliResult<()> {
    let mut cfg = a.run.load(TightnessSweepConfig::default())?;
    g.set("spreads", &a.spreads, &mut cfg.spreads);
    let e = &mut cfg.experiment;
    g.set("dataset", &a.dataset, &mut e.dataset);
    if g.has("features") {
        e.features = a.features.source();
    }
    g.set("iterations", &a.iterations, &mut e.basis.iterations);
    a.subset.apply(g, e);
    g.set("start_over", &a.start_over, &mut e.start_over);
    g.set("out", &a.out, &mut cfg.out_dir);
    if a.run.printed(&cfg, &cfg.out_dir)? {
        return Ok(());
    }
    if a.replot {
        return replot(&cfg.out_dir, "tightness", tightness_plot);
    }
    let sweep = run_tightness_sweep(&cfg, &seeds(a.seeds), a.run.progress()).map_err(err)?;
    println!("{}", tightness_markdown(&sweep));
    println!(
        "wrote {}",
        cfg.out_dir.join("tightness.{md,json,png,svg}").display()
    );
    Ok(())
}

/// `--replot`: redraws `OUT/NAME.png` and `.svg` from the sweep in `OUT/NAME.json`.
fn replot<T: DeserializeOwned>(
    out: &Path,
    name: &str,
    plot: impl Fn(&T) -> basis_plot::Figure,
) -> CliResult<()> {
    let sweep: T = read_json(&out.join(format!("{name}.json")))?;
    let written = plot(&sweep).save(out.join(name)).map_err(err)?;
    println!(
        "wrote {} and {}",
        written.png.display(),
        written.svg.display()
    );
    Ok(())
}

fn read_json<T: DeserializeOwned>(path: &Path) -> CliResult<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `OUT/name` parsed, or `None` (with a note) when the reference side did not write it.
fn reference_side<T: DeserializeOwned>(out: &Path, name: &str, what: &str) -> CliResult<Option<T>> {
    let path = out.join(name);
    if !path.is_file() {
        eprintln!("no {what} timings ({} missing)", path.display());
        return Ok(None);
    }
    read_json(&path).map(Some)
}

/// A timed sweep's `--report` step: OUT/report.json with the reference side's OUT/`reference`
/// (when the Python script wrote it) as a markdown table in OUT/`table`.
fn merge_sweep_report<R: DeserializeOwned, P: DeserializeOwned>(
    out: &Path,
    reference: &str,
    what: &str,
    table: &str,
    markdown: impl Fn(&R, Option<&P>) -> String,
) -> CliResult<()> {
    let ours: R = read_json(&out.join("report.json"))?;
    let theirs: Option<P> = reference_side(out, reference, what)?;
    let md = markdown(&ours, theirs.as_ref());
    write_atomic(out.join(table), md.as_bytes()).map_err(err)?;
    println!("{md}");
    eprintln!("wrote {}", out.join(table).display());
    Ok(())
}

/// A timed sweep's run: our side into OUT (its arrays for the reference script and
/// OUT/report.json), then our half of the table.
fn run_timed_sweep<R: Serialize>(
    out: &Path,
    run: impl FnOnce(&Path) -> CliResult<R>,
    markdown: impl Fn(&R) -> String,
) -> CliResult<()> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let report = run(out)?;
    write_json(&out.join("report.json"), &report)?;
    println!("{}", markdown(&report));
    eprintln!("wrote {}", out.join("report.json").display());
    Ok(())
}

fn graph_sweep(a: &GraphSweepArgs, g: &Given) -> CliResult<()> {
    if a.report {
        return merge_sweep_report(
            &a.out,
            "sklearn.json",
            "scikit-learn",
            "graph-sweep.md",
            |r: &GraphSweepReport, sk: Option<&SklearnKnn>| graph_sweep_markdown(r, sk),
        );
    }
    let mut cfg = a.run.load(GraphSweepConfig::default())?;
    if a.quick {
        let q = GraphSweepConfig::quick();
        cfg.sizes = q.sizes;
        cfg.dims = q.dims;
    }
    g.set("sizes", &a.sizes, &mut cfg.sizes);
    g.set("dims", &a.dims, &mut cfg.dims);
    if g.has("k") {
        cfg.exact.k = a.k;
        cfg.hnsw.k = a.k;
    }
    if g.has("threads") {
        cfg.exact.threads = a.threads;
        cfg.hnsw.threads = a.threads;
    }
    g.set("hnsw_m", &a.hnsw_m, &mut cfg.hnsw.max_connections);
    g.set(
        "hnsw_ef_construction",
        &a.hnsw_ef_construction,
        &mut cfg.hnsw.ef_construction,
    );
    g.set("hnsw_ef_search", &a.hnsw_ef_search, &mut cfg.hnsw.ef_search);
    g.set("batch_calls", &a.batch_calls, &mut cfg.batch.calls);
    if a.data_dir.is_some() {
        cfg.fashion_mnist.dir = a.data_dir.clone();
    }
    g.set("seed", &a.seed, &mut cfg.seed);
    if a.run.printed(&cfg, &a.out)? {
        return Ok(());
    }
    run_timed_sweep(
        &a.out,
        |out| run_graph_sweep(&cfg, out, |m| eprintln!("{m}")).map_err(err),
        |r| graph_sweep_markdown(r, None),
    )
}

fn spectral_sweep(a: &SpectralSweepArgs, g: &Given) -> CliResult<()> {
    if a.report {
        return merge_sweep_report(
            &a.out,
            "scipy.json",
            "scipy",
            "table.md",
            |r: &SpectralSweepReport, sp: Option<&ScipySpectral>| spectral_sweep_markdown(r, sp),
        );
    }
    let mut cfg = a.run.load(SpectralSweepConfig::default())?;
    if a.quick {
        cfg.splits = SpectralSweepConfig::quick().splits;
    }
    g.set("splits", &a.splits, &mut cfg.splits);
    g.set("dim", &a.dim, &mut cfg.dim);
    g.set("k", &a.k, &mut cfg.k_neighbors);
    g.set("eigenpairs", &a.eigenpairs, &mut cfg.eigenpairs);
    g.set("tols", &a.tols, &mut cfg.tolerances);
    g.set("threads", &a.threads, &mut cfg.threads);
    g.set("krylov_dim", &a.krylov_dim, &mut cfg.krylov_dim);
    if a.no_verify {
        cfg.verify = false;
    }
    if g.has("values") {
        cfg.values = a.values.into();
    }
    if a.no_f64_beside {
        cfg.compare_f64 = false;
    }
    if a.data_dir.is_some() {
        cfg.fashion_mnist.dir = a.data_dir.clone();
    }
    g.set("seed", &a.seed, &mut cfg.seed);
    if a.run.printed(&cfg, &a.out)? {
        return Ok(());
    }
    run_timed_sweep(
        &a.out,
        |out| run_spectral_sweep(&cfg, out, |m| eprintln!("{m}")).map_err(err),
        |r| spectral_sweep_markdown(r, None),
    )
}
