//! `basis demo`, `basis reproduce …` and `basis sweep …`: the paper's experiments and the
//! toolkit's sweeps, each an [`Experiment`] of `basis-experiments` run by its engine.
//!
//! Every command is the same generic handler ([`handle`]) around its own clap `Args`, which
//! say only how its options map onto its configuration ([`ExperimentArgs`]). So every command
//! takes `--config FILE` (its whole configuration as JSON, as `--print-config` shows it; an
//! option given on the command line overrides the file), `--out DIR`, `--replot` (redraw the
//! tables and figures from `OUT`'s report, running nothing) and `--no-progress`, and behaves
//! the same with them. Tables go to stdout, progress and the list of files written to stderr.
//! The defaults shown in `--help` are read from the configuration types' `Default`s, so help
//! and behaviour cannot drift apart.

use crate::{CliResult, MethodArg, err, print_out};
use basis_data::toy::ToyKind;
use basis_experiments::alignment_spread::{AlignmentSpreadConfig, Fig3, SpreadDataset};
use basis_experiments::demo::{Demo, DemoConfig};
use basis_experiments::engine::{self, Experiment, RunContext};
use basis_experiments::fashion_mnist::{BasisRow, ExperimentConfig, FeatureSource};
use basis_experiments::feature_change::{FeatureChange, FeatureChangeConfig};
use basis_experiments::ggae::{Ggae, GgaeConfig};
use basis_experiments::graph_sweep::{GraphSweep, GraphSweepConfig};
use basis_experiments::link_prediction::{LinkPrediction, LinkPredictionConfig};
use basis_experiments::neighbors::{NeighborSweepConfig, Neighbors};
use basis_experiments::neuralef_closed_form::{ClosedForm, ClosedFormConfig};
use basis_experiments::segmentation::{Segmentation, SegmentationConfig};
use basis_experiments::spectral_sweep::{SpectralSweep, SpectralSweepConfig};
use basis_experiments::table1::{NeuralefAblations, Table1Comparison, Table1Config};
use basis_experiments::tightness::{Tightness, TightnessSweepConfig};
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Subcommand, ValueEnum};
use serde::de::DeserializeOwned;
use std::io::Write;
use std::path::PathBuf;

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

/// Options every experiment takes, handled by [`handle`] the same way for all of them.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The whole configuration as JSON (as --print-config shows it); options given on the
    /// command line override it
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the effective configuration as JSON and exit
    #[arg(long)]
    print_config: bool,
    /// Output directory [default: the configuration's, see --print-config]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Redraw the tables and figures from OUT's report without running anything (for the
    /// timed sweeps: merge in the reference side's timings)
    #[arg(long, visible_alias = "report")]
    replot: bool,
    /// No progress bars
    #[arg(long)]
    no_progress: bool,
}

impl RunArgs {
    fn load<T: DeserializeOwned + serde::Serialize>(&self, default: T) -> CliResult<T> {
        match &self.config {
            None => Ok(default),
            Some(p) => basis_data::config_file::read(p)
                .map_err(|e| format!("{e} (not a configuration of this command)")),
        }
    }
}

/// A command: an experiment's own options and the options every experiment takes.
#[derive(Debug, Args)]
pub struct Cmd<A: Args> {
    #[command(flatten)]
    args: A,
    #[command(flatten)]
    run: RunArgs,
}

/// One experiment's command-line part: its options and how they map onto its configuration.
/// [`handle`] does everything else.
pub trait ExperimentArgs {
    /// The experiment these options configure.
    type E: Experiment;
    /// The configuration before `--config` and the options: the experiment's default or a
    /// preset an option selects.
    fn preset(&self) -> CliResult<<Self::E as Experiment>::Config> {
        Ok(Self::E::default_config())
    }
    /// The options given on the command line, onto `config`.
    fn apply(&self, g: &Given, config: &mut <Self::E as Experiment>::Config) -> CliResult<()>;
    /// The run's seeds (empty where the configuration holds its seed).
    fn seeds(&self) -> Vec<u64> {
        Vec::new()
    }
}

/// The one handler of every experiment command: configuration (preset, `--config`, options,
/// `--out`), `--print-config`, then the engine's run or `--replot`; the table on stdout, the
/// files written on stderr.
pub fn handle<A: ExperimentArgs + Args>(cmd: &Cmd<A>, g: &Given) -> CliResult<()> {
    let (a, r) = (&cmd.args, &cmd.run);
    let mut config = r.load(a.preset()?)?;
    a.apply(g, &mut config)?;
    if let Some(out) = &r.out {
        A::E::set_out_dir(&mut config, out.clone());
    }
    if r.print_config {
        return print_out(&serde_json::to_string_pretty(&config).map_err(err)?);
    }
    let out = A::E::out_dir(&config).to_path_buf();
    if out.exists() && !out.is_dir() {
        return Err(format!(
            "--out {} is a file, not a directory",
            out.display()
        ));
    }
    let outcome = if r.replot {
        engine::replot::<A::E>(&out).map_err(err)?
    } else {
        let ctx = RunContext::new(a.seeds(), !r.no_progress);
        engine::run::<A::E>(&config, &ctx).map_err(err)?
    };
    print_out(&outcome.markdown)?;
    let mut e = std::io::stderr().lock();
    for p in &outcome.written {
        // A closed or full stderr loses the list, not the results already written.
        let _ = writeln!(e, "wrote {}", p.display());
    }
    Ok(())
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
    /// The options given onto `e`; an option that cannot act on `e`'s data or features (a
    /// generator setting on a real data set, Siamese steps without Siamese features) is
    /// refused rather than ignored.
    fn apply(&self, g: &Given, e: &mut ExperimentConfig) -> CliResult<()> {
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
        let generated = e.dataset == basis_experiments::prepare::SUBSPACE_BLOBS;
        for option in ["spread", "test_spread_factor", "test_between"] {
            if g.has(option) && !generated {
                return Err(format!(
                    "--{} applies to --dataset subspace-blobs only, not {}",
                    option.replace('_', "-"),
                    e.dataset
                ));
            }
        }
        if g.has("siamese_steps") && e.features != FeatureSource::Siamese {
            return Err("--siamese-steps applies to --features siamese only".into());
        }
        Ok(())
    }
}

const IMAGE_DATASET_HELP: &str = "fashion-mnist or a directory of MNIST-style IDX files or of \
train_x.npy, train_y.npy, test_x.npy, test_y.npy holding square images (Algorithm 2 trains a \
Siamese network on them, so generated clusters cannot be used)";

const DATASET_HELP: &str = "fashion-mnist, subspace-blobs (ten tight Gaussian clusters in a 5-D \
subspace of R^16, generated; use --features raw) or a directory of MNIST-style IDX files or of \
train_x.npy, train_y.npy, test_x.npy, test_y.npy";

/// The paper's experiments.
#[derive(Debug, Subcommand)]
pub enum ReproduceCommand {
    /// Fig. 3: the anchors' eigenvector coordinates over 20 batches, before and after alignment
    Fig3(Cmd<Fig3Args>),
    /// Table 1's BASiS row on Fashion-MNIST (or any image data set): Siamese features
    /// (cached), Algorithm 1 over seeds, test-set scores beside the paper's row
    Basis(Cmd<BasisArgs>),
    /// Algorithm 2: Siamese and spectral networks trained together (Fig. 6 and Fig. 8)
    FeatureChange(Cmd<FeatureChangeArgs>),
    /// Table 1: BASiS, Diffusion Net, SpectralNet, SpecNet2 and NeuralEF on the same features
    Table1(Cmd<Table1Args>),
    /// NeuralEF against the closed-form eigenfunctions of a Gaussian kernel (Hermite
    /// functions), beside a Nyström estimate from the same points
    NeuralefClosedForm(Cmd<ClosedFormArgs>),
    /// NeuralEF's Gumbel-head ablations on Table 1's setting: plain softmax, no orthogonal
    /// last layer, no stop-gradient
    NeuralefAblations(Cmd<NeuralefAblationsArgs>),
    /// Unsupervised segmentation of procedural texture images with exact masks: NeuralEF's
    /// Gumbel head against k-means, exact spectral clustering and a colour normalised cut
    Segmentation(Cmd<SegmentationArgs>),
    /// Lim et al.'s twin-graph link prediction: the sign-equivariant network against SignNet,
    /// GCN, decode-only, a learned decoder and an unconstrained MLP on the eigenvectors
    LinkPrediction(Cmd<LinkPredictionArgs>),
    /// Lim et al.'s graph geometry-preserving autoencoder (GGAE) beside the plain autoencoder
    /// on the Swiss roll with a hole and rotating Fashion-MNIST sequences
    Ggae(Cmd<GgaeArgs>),
}

/// The toolkit's sweeps.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Fig. 4: the Table 1 comparison for every number of neighbours k
    Neighbors(Cmd<NeighborsArgs>),
    /// BASiS on generated tight clusters at every within-class spread
    Tightness(Cmd<TightnessArgs>),
    /// Exact and HNSW kNN of Fashion-MNIST and the batch-graph cost, timed
    Graph(Cmd<GraphSweepArgs>),
    /// K eigenpairs of L_N of Fashion-MNIST's kNN graph, timed
    Spectral(Cmd<SpectralSweepArgs>),
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
    #[arg(long, value_parser = runs(), default_value_t = 10, value_name = "N", conflicts_with = "seed")]
    seeds: u64,
    /// One seed S only
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// BASiS iterations
    #[arg(long, default_value_t = ExperimentConfig::default().basis.iterations)]
    iterations: usize,
    #[command(flatten)]
    subset: SubsetArgs,
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
}

#[derive(Debug, Args)]
pub struct FeatureChangeArgs {
    /// Fig. 8's setting: classes 5, 7, 9 (sandal, sneaker, ankle boot), K = 2
    #[arg(long, conflicts_with = "config")]
    fig8: bool,
    /// Data set of square images: fashion-mnist or a data directory (--help for more)
    #[arg(long, long_help = IMAGE_DATASET_HELP, default_value_t = FeatureChangeConfig::default().data.dataset)]
    dataset: String,
    /// Seed of every random choice
    #[arg(long, default_value_t = FeatureChangeConfig::default().seed)]
    seed: u64,
    /// Feature-network iterations
    #[arg(long, default_value_t = FeatureChangeConfig::default().feature_iterations)]
    iterations: usize,
    #[command(flatten)]
    subset: SubsetArgs,
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
    fn apply(&self, g: &Given, t: &mut Table1Config) -> CliResult<()> {
        let e = &mut t.experiment;
        g.set("dataset", &self.dataset, &mut e.dataset);
        if g.has("features") {
            e.features = self.features.source();
        }
        g.set("iterations", &self.iterations, &mut e.basis.iterations);
        self.subset.apply(g, e)?;
        if g.has("methods") {
            t.methods = self.methods.iter().map(|m| m.method()).collect();
        }
        if self.pipeline {
            t.experiment.pipeline = Some(basis_methods::pipeline::PipelineConfig::default());
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct Table1Args {
    #[command(flatten)]
    common: ComparisonArgs,
    /// Seeds 0..N
    #[arg(long, value_parser = runs(), default_value_t = 10, value_name = "N")]
    seeds: u64,
}

#[derive(Debug, Args)]
pub struct ClosedFormArgs {
    /// NeuralEF's iterations
    #[arg(long, default_value_t = ClosedFormConfig::default().iterations)]
    iterations: usize,
    /// Seed of the samples and of NeuralEF
    #[arg(long, default_value_t = ClosedFormConfig::default().seed)]
    seed: u64,
}

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

#[derive(Debug, Args)]
pub struct LinkPredictionArgs {
    /// Trials 0..N per graph family (each a new graph, split, signs and initialisation)
    #[arg(long, value_parser = runs(), default_value_t = 10)]
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
    #[arg(long, value_parser = runs(), default_value_t = 5)]
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
    #[arg(long, value_parser = runs(), default_value_t = 3, value_name = "N")]
    seeds: u64,
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
    #[arg(long, value_parser = runs(), default_value_t = 3, value_name = "N")]
    seeds: u64,
}

#[derive(Debug, Args)]
pub struct TightnessArgs {
    /// Within-class spreads of the generated clusters (subspace-blobs, raw features: the
    /// sweep generates its data)
    #[arg(long, value_delimiter = ',', default_value = default_spreads())]
    spreads: Vec<f64>,
    /// Seeds 0..N at every spread
    #[arg(long, value_parser = runs(), default_value_t = 3, value_name = "N")]
    seeds: u64,
    /// BASiS iterations
    #[arg(long, default_value_t = TightnessSweepConfig::default().experiment.basis.iterations)]
    iterations: usize,
    #[command(flatten)]
    subset: SubsetArgs,
    /// Discard a seed's checkpoint that was trained on other data, settings or anchors and
    /// train that seed from the start (without it such a checkpoint is an error)
    #[arg(long)]
    start_over: bool,
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
}

/// Seeds and trials: 1 to [`basis_data::limits::MAX_RUNS`], so `0..N` can be collected.
fn runs() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=basis_data::limits::MAX_RUNS)
}

fn seeds(n: u64) -> Vec<u64> {
    (0..n).collect()
}

/// `basis demo`.
pub fn demo(a: &Cmd<DemoArgs>, g: &Given) -> CliResult<()> {
    handle(a, g)
}

/// `basis reproduce …`.
pub fn reproduce(c: &ReproduceCommand, g: &Given) -> CliResult<()> {
    match c {
        ReproduceCommand::Fig3(a) => handle(a, g),
        ReproduceCommand::Basis(a) => handle(a, g),
        ReproduceCommand::FeatureChange(a) => handle(a, g),
        ReproduceCommand::Table1(a) => handle(a, g),
        ReproduceCommand::NeuralefClosedForm(a) => handle(a, g),
        ReproduceCommand::NeuralefAblations(a) => handle(a, g),
        ReproduceCommand::Segmentation(a) => handle(a, g),
        ReproduceCommand::LinkPrediction(a) => handle(a, g),
        ReproduceCommand::Ggae(a) => handle(a, g),
    }
}

/// `basis sweep …`.
pub fn sweep(c: &SweepCommand, g: &Given) -> CliResult<()> {
    match c {
        SweepCommand::Neighbors(a) => handle(a, g),
        SweepCommand::Tightness(a) => handle(a, g),
        SweepCommand::Graph(a) => handle(a, g),
        SweepCommand::Spectral(a) => handle(a, g),
    }
}

impl ExperimentArgs for DemoArgs {
    type E = Demo;
    fn apply(&self, g: &Given, cfg: &mut DemoConfig) -> CliResult<()> {
        if g.has("toy") {
            cfg.toy = match self.toy {
                ToyArg::ThreeMoons => ToyKind::ThreeMoons,
                ToyArg::TwoMoons => ToyKind::TwoMoons,
                ToyArg::Circles => ToyKind::Circles,
                ToyArg::Blobs => ToyKind::Blobs,
                ToyArg::Spirals => ToyKind::Spirals,
            };
        }
        g.set("iterations", &self.iterations, &mut cfg.basis.iterations);
        g.set("noise", &self.noise, &mut cfg.train.noise);
        if g.has("seed") {
            cfg.basis.seed = self.seed;
            cfg.basis.align.seed = self.seed;
            cfg.train.seed = self.seed;
        }
        Ok(())
    }
}

impl ExperimentArgs for Fig3Args {
    type E = Fig3;
    fn preset(&self) -> CliResult<AlignmentSpreadConfig> {
        Ok(match self.dataset {
            Fig3Dataset::ThreeMoons => AlignmentSpreadConfig::three_moons(),
            Fig3Dataset::FashionMnist => AlignmentSpreadConfig::fashion_mnist(),
        })
    }
    fn apply(&self, g: &Given, cfg: &mut AlignmentSpreadConfig) -> CliResult<()> {
        if let Some(dir) = &self.data_dir {
            match &mut cfg.dataset {
                SpreadDataset::FashionMnist { dir: d, .. } => *d = Some(dir.clone()),
                SpreadDataset::ThreeMoons { .. } => {
                    return Err("--data-dir applies to --dataset fashion-mnist".into());
                }
            }
        }
        g.set("batches", &self.batches, &mut cfg.batches);
        if g.has("seed") {
            cfg.seed = self.seed;
            cfg.align.seed = self.seed;
        }
        Ok(())
    }
}

impl ExperimentArgs for BasisArgs {
    type E = BasisRow;
    fn apply(&self, g: &Given, cfg: &mut ExperimentConfig) -> CliResult<()> {
        g.set("dataset", &self.dataset, &mut cfg.dataset);
        if g.has("features") {
            cfg.features = self.features.source();
        }
        g.set("iterations", &self.iterations, &mut cfg.basis.iterations);
        self.subset.apply(g, cfg)?;
        g.set("start_over", &self.start_over, &mut cfg.start_over);
        if self.pipeline {
            cfg.pipeline = Some(basis_methods::basis::PipelineConfig::default());
        }
        g.set("input_noise", &self.input_noise, &mut cfg.basis.input_noise);
        g.set(
            "test_set_anchors",
            &self.test_set_anchors,
            &mut cfg.test_set_anchors,
        );
        Ok(())
    }
    fn seeds(&self) -> Vec<u64> {
        self.seed.map_or_else(|| seeds(self.seeds), |s| vec![s])
    }
}

impl ExperimentArgs for FeatureChangeArgs {
    type E = FeatureChange;
    fn preset(&self) -> CliResult<FeatureChangeConfig> {
        Ok(if self.fig8 {
            FeatureChangeConfig::fig8()
        } else {
            FeatureChangeConfig::default()
        })
    }
    fn apply(&self, g: &Given, cfg: &mut FeatureChangeConfig) -> CliResult<()> {
        g.set("dataset", &self.dataset, &mut cfg.data.dataset);
        g.set("seed", &self.seed, &mut cfg.seed);
        g.set("iterations", &self.iterations, &mut cfg.feature_iterations);
        if g.has("siamese_steps") {
            return Err(
                "--siamese-steps: Algorithm 2 trains its Siamese network for --iterations steps"
                    .into(),
            );
        }
        self.subset.apply(g, &mut cfg.data)?;
        Ok(())
    }
}

impl ExperimentArgs for Table1Args {
    type E = Table1Comparison;
    fn apply(&self, g: &Given, cfg: &mut Table1Config) -> CliResult<()> {
        self.common.apply(g, cfg)
    }
    fn seeds(&self) -> Vec<u64> {
        seeds(self.seeds)
    }
}

impl ExperimentArgs for NeuralefAblationsArgs {
    type E = NeuralefAblations;
    fn apply(&self, g: &Given, cfg: &mut Table1Config) -> CliResult<()> {
        let e = &mut cfg.experiment;
        g.set("dataset", &self.dataset, &mut e.dataset);
        if g.has("features") {
            e.features = self.features.source();
        }
        g.set("iterations", &self.iterations, &mut e.basis.iterations);
        self.subset.apply(g, e)?;
        Ok(())
    }
    fn seeds(&self) -> Vec<u64> {
        seeds(self.seeds)
    }
}

impl ExperimentArgs for ClosedFormArgs {
    type E = ClosedForm;
    fn apply(&self, g: &Given, cfg: &mut ClosedFormConfig) -> CliResult<()> {
        g.set("iterations", &self.iterations, &mut cfg.iterations);
        g.set("seed", &self.seed, &mut cfg.seed);
        Ok(())
    }
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

impl ExperimentArgs for LinkPredictionArgs {
    type E = LinkPrediction;
    fn apply(&self, g: &Given, cfg: &mut LinkPredictionConfig) -> CliResult<()> {
        g.set("epochs", &self.epochs, &mut cfg.protocol.epochs);
        g.set("k", &self.k, &mut cfg.protocol.k);
        g.set(
            "encoding_scale",
            &self.encoding_scale,
            &mut cfg.protocol.encoding_scale,
        );
        Ok(())
    }
    fn seeds(&self) -> Vec<u64> {
        seeds(self.trials)
    }
}

impl ExperimentArgs for GgaeArgs {
    type E = Ggae;
    fn apply(&self, g: &Given, cfg: &mut GgaeConfig) -> CliResult<()> {
        match self.data {
            GgaeData::Both => {}
            GgaeData::SwissRoll => cfg.rotating = None,
            GgaeData::Rotating => cfg.swiss_roll = None,
        }
        if let Some(s) = cfg.swiss_roll.as_mut() {
            g.set("swiss_epochs", &self.swiss_epochs, &mut s.epochs);
            g.set("swiss_points", &self.swiss_points, &mut s.roll.n);
            g.set("swiss_alpha", &self.swiss_alpha, &mut s.alpha);
            g.set("swiss_h_factor", &self.swiss_h_factor, &mut s.h_factor);
        }
        if let Some(r) = cfg.rotating.as_mut() {
            g.set("rotating_epochs", &self.rotating_epochs, &mut r.epochs);
            g.set("images", &self.images, &mut r.images);
            g.set("class", &self.class, &mut r.class);
            g.set("rotating_alpha", &self.rotating_alpha, &mut r.alpha);
        }
        Ok(())
    }
    fn seeds(&self) -> Vec<u64> {
        seeds(self.seeds)
    }
}

impl ExperimentArgs for NeighborsArgs {
    type E = Neighbors;
    fn apply(&self, g: &Given, cfg: &mut NeighborSweepConfig) -> CliResult<()> {
        self.common.apply(g, &mut cfg.table)?;
        g.set("neighbors", &self.neighbors, &mut cfg.neighbors);
        Ok(())
    }
    fn seeds(&self) -> Vec<u64> {
        seeds(self.seeds)
    }
}

impl ExperimentArgs for TightnessArgs {
    type E = Tightness;
    fn apply(&self, g: &Given, cfg: &mut TightnessSweepConfig) -> CliResult<()> {
        g.set("spreads", &self.spreads, &mut cfg.spreads);
        if g.has("spread") {
            return Err("--spread: the sweep sets the spread of each point; use --spreads".into());
        }
        let e = &mut cfg.experiment;
        g.set("iterations", &self.iterations, &mut e.basis.iterations);
        self.subset.apply(g, e)?;
        g.set("start_over", &self.start_over, &mut e.start_over);
        Ok(())
    }
    fn seeds(&self) -> Vec<u64> {
        seeds(self.seeds)
    }
}

impl ExperimentArgs for GraphSweepArgs {
    type E = GraphSweep;
    fn apply(&self, g: &Given, cfg: &mut GraphSweepConfig) -> CliResult<()> {
        if self.quick {
            let q = GraphSweepConfig::quick();
            cfg.sizes = q.sizes;
            cfg.dims = q.dims;
        }
        g.set("sizes", &self.sizes, &mut cfg.sizes);
        g.set("dims", &self.dims, &mut cfg.dims);
        if g.has("k") {
            cfg.exact.k = self.k;
            cfg.hnsw.k = self.k;
        }
        if g.has("threads") {
            cfg.exact.threads = self.threads;
            cfg.hnsw.threads = self.threads;
        }
        g.set("hnsw_m", &self.hnsw_m, &mut cfg.hnsw.max_connections);
        g.set(
            "hnsw_ef_construction",
            &self.hnsw_ef_construction,
            &mut cfg.hnsw.ef_construction,
        );
        g.set(
            "hnsw_ef_search",
            &self.hnsw_ef_search,
            &mut cfg.hnsw.ef_search,
        );
        g.set("batch_calls", &self.batch_calls, &mut cfg.batch.calls);
        if self.data_dir.is_some() {
            cfg.fashion_mnist.dir = self.data_dir.clone();
        }
        g.set("seed", &self.seed, &mut cfg.seed);
        Ok(())
    }
}

impl ExperimentArgs for SpectralSweepArgs {
    type E = SpectralSweep;
    fn apply(&self, g: &Given, cfg: &mut SpectralSweepConfig) -> CliResult<()> {
        if self.quick {
            cfg.splits = SpectralSweepConfig::quick().splits;
        }
        g.set("splits", &self.splits, &mut cfg.splits);
        g.set("dim", &self.dim, &mut cfg.dim);
        g.set("k", &self.k, &mut cfg.k_neighbors);
        g.set("eigenpairs", &self.eigenpairs, &mut cfg.eigenpairs);
        g.set("tols", &self.tols, &mut cfg.tolerances);
        g.set("threads", &self.threads, &mut cfg.threads);
        g.set("krylov_dim", &self.krylov_dim, &mut cfg.krylov_dim);
        if self.no_verify {
            cfg.verify = false;
        }
        if g.has("values") {
            cfg.values = self.values.into();
        }
        if self.no_f64_beside {
            cfg.compare_f64 = false;
        }
        if self.data_dir.is_some() {
            cfg.fashion_mnist.dir = self.data_dir.clone();
        }
        g.set("seed", &self.seed, &mut cfg.seed);
        Ok(())
    }
}
