//! The command line of the experiments (feature `cli`): what every experiment command shares.
//!
//! Every command is the same generic handler ([`handle`]) around its own clap `Args`, which
//! live in the experiment's module (`<module>::cli`) and say only how its options map onto its
//! configuration ([`ExperimentArgs`]). So every command takes `--config FILE` (its whole
//! configuration as JSON, as `--print-config` shows it; an option given on the command line
//! overrides the file), `--out DIR`, `--replot` (redraw the tables and figures from `OUT`'s
//! report, running nothing) and `--no-progress`, and behaves the same with them. The commands
//! themselves are generated from the registry in `lib.rs` ([`crate::commands`]). The defaults
//! shown in `--help` are read from the configuration types' `Default`s, so help and behaviour
//! cannot drift apart.

use crate::engine::{self, Experiment, RunContext};
use crate::fashion_mnist::{ExperimentConfig, FeatureSource};
use basis_methods::Method;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, ValueEnum};
use serde::de::DeserializeOwned;
use std::path::PathBuf;

/// A command's outcome: `Err` is the one line the binary prints after `error: `.
pub type CliResult<T> = std::result::Result<T, String>;

/// An error as that line.
pub fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The methods on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// BASiS, Algorithm 1
    Basis,
    /// Diffusion Net (Mishne et al.)
    DiffusionNet,
    /// SpectralNet (Shaham et al.)
    Spectralnet,
    /// SpecNet2 (Chen et al.)
    Specnet2,
    /// NeuralEF (Deng et al.), in every configuration of the comparison
    Neuralef,
}

impl MethodArg {
    /// The method this names.
    pub fn method(self) -> Method {
        match self {
            MethodArg::Basis => Method::Basis,
            MethodArg::DiffusionNet => Method::DiffusionNet,
            MethodArg::Spectralnet => Method::SpectralNet,
            MethodArg::Specnet2 => Method::SpecNet2,
            MethodArg::Neuralef => Method::NeuralEf,
        }
    }
}

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

/// What [`handle`] produced, for the binary to print: the effective configuration
/// (`--print-config`) or a run's (or replot's) table and the files it wrote.
#[derive(Debug)]
pub enum Handled {
    /// `--print-config`: the configuration as pretty JSON; nothing ran.
    Config(String),
    /// A run or a replot: its markdown table and the files written.
    Ran {
        /// The table (stdout).
        markdown: String,
        /// The files the engine wrote (stderr).
        written: Vec<PathBuf>,
    },
}

/// The one handler of every experiment command: configuration (preset, `--config`, options,
/// `--out`), `--print-config`, then the engine's run or `--replot`.
pub fn handle<A: ExperimentArgs + Args>(cmd: &Cmd<A>, g: &Given) -> CliResult<Handled> {
    let (a, r) = (&cmd.args, &cmd.run);
    let mut config = r.load(a.preset()?)?;
    a.apply(g, &mut config)?;
    if let Some(out) = &r.out {
        A::E::set_out_dir(&mut config, out.clone());
    }
    if r.print_config {
        return Ok(Handled::Config(
            serde_json::to_string_pretty(&config).map_err(err)?,
        ));
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
    Ok(Handled::Ran {
        markdown: outcome.markdown,
        written: outcome.written,
    })
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
    /// The configuration's feature source.
    pub fn source(self) -> FeatureSource {
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
    pub fn apply(&self, g: &Given, e: &mut ExperimentConfig) -> CliResult<()> {
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
        let generated = e.dataset == crate::prepare::SUBSPACE_BLOBS;
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

/// `--dataset` of the experiments that need images.
pub const IMAGE_DATASET_HELP: &str = "fashion-mnist or a directory of MNIST-style IDX files or of \
train_x.npy, train_y.npy, test_x.npy, test_y.npy holding square images (Algorithm 2 trains a \
Siamese network on them, so generated clusters cannot be used)";

/// `--dataset` of the experiments that take features.
pub const DATASET_HELP: &str = "fashion-mnist, subspace-blobs (ten tight Gaussian clusters in a 5-D \
subspace of R^16, generated; use --features raw) or a directory of MNIST-style IDX files or of \
train_x.npy, train_y.npy, test_x.npy, test_y.npy";

/// `v` comma-separated (a list option's default).
pub fn list<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Seeds and trials: 1 to [`basis_data::limits::MAX_RUNS`], so `0..N` can be collected.
/// `--seeds` / `--trials`: 1 to [`basis_data::limits::MAX_RUNS`].
pub fn runs() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=basis_data::limits::MAX_RUNS)
}

/// Seeds 0..n.
pub fn seeds(n: u64) -> Vec<u64> {
    (0..n).collect()
}
