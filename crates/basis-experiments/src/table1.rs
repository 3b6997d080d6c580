//! BASiS Table 1 on one data set: BASiS, the three baselines and NeuralEF on the same features, graph,
//! K, batch size and iterations, scored by the same metrics, mean ± std over seeds, beside
//! the paper's Fashion-MNIST column.
//!
//! Every method goes through the same loop over [`Method::ALL`]: [`Method::fit`] (timed),
//! [`Embedder::save`], embed the training and test points, [`Report::evaluate`]. A method the
//! paper also scored after post-processing on the test set
//! ([`Method::paper_post_processes_on_test_set`], SpecNet2) gets a second row, and so does a
//! model that clusters itself ([`Method::has_cluster_head`], NeuralEF's Gumbel head: argmax
//! beside k-means). NeuralEF runs once per configuration in [`Table1Config::neuralef`].
//!
//! Each (method, seed) writes `<out>/<method>/seed-<s>/{model/,result.json}`; a re-run with
//! the same configuration reads `result.json` instead of training again, so an interrupted
//! comparison (or sweep) continues where it stopped. A run that fails in training
//! (divergence, too many skipped batches, outputs that lost rank) is recorded in its row,
//! not fatal to the comparison.

use crate::prepare::{ExperimentConfig, Prepared, prepare};
use crate::stats::MeanStd;
use crate::{ExperimentError, Result};
use basis_methods::MethodError;
use basis_methods::baselines::BaselineConfig;
use basis_methods::method::{Embedder, Method, MethodConfig, TrainingSet};
use basis_methods::neuralef::NeuralEfConfig;
use basis_methods::specnet2::rayleigh_ritz::rayleigh_ritz;
use basis_metrics::{KMeansParams, Report, ReportInputs, ReportParams};
use basis_nn::NnError;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The paper's Table 1, Fashion-MNIST column: (method, [(mean, std) of d_G, d_⊥, NMI, ACC,
/// probe accuracy %]).
pub const PAPER_FASHION_MNIST: [(&str, [(f64, f64); 5]); 4] = [
    (
        "Diffusion Net",
        [
            (0.488, 0.238),
            (0.823, 0.664),
            (0.759, 0.085),
            (0.781, 0.179),
            (86.207, 0.196),
        ],
    ),
    (
        "SpectralNet",
        [
            (0.375, 0.132),
            (6.384, 0.899),
            (0.761, 0.011),
            (0.815, 0.029),
            (84.123, 1.229),
        ],
    ),
    (
        "SpecNet2",
        [
            (1.976, 0.210),
            (8.561, 1.397),
            (0.759, 0.010),
            (0.801, 0.023),
            (85.953, 0.240),
        ],
    ),
    (
        "BASiS",
        [
            (0.284, 0.073),
            (0.590, 0.144),
            (0.798, 0.001),
            (0.865, 0.003),
            (87.202, 0.187),
        ],
    ),
];

/// Configuration of the comparison. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table1Config {
    /// Data, features, BASiS's settings (graph, K, m, iterations are shared by all methods).
    pub experiment: ExperimentConfig,
    /// The baselines' own settings (learning rate, Diffusion Net's μ, η, ...).
    pub baseline: BaselineConfig,
    /// Which methods to run (default: all of them, in [`Method::ALL`]'s order).
    #[serde(default = "all_methods")]
    pub methods: Vec<Method>,
    /// The configurations NeuralEF is trained in, each with its own rows (default: the
    /// NeuralEF objective with the linear head, and Neural Eigenmaps with the Gumbel head).
    #[serde(default = "neuralef_variants")]
    pub neuralef: Vec<NeuralEfVariant>,
}

fn all_methods() -> Vec<Method> {
    Method::ALL.to_vec()
}

/// One configuration NeuralEF is trained in: its rows are named after `name`, its runs are
/// stored under `<out>/<slug>/`. Graph, K, m and iterations are the comparison's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeuralEfVariant {
    /// Row name.
    pub name: String,
    /// Directory under the output directory.
    pub slug: String,
    /// Objective, head, optimiser, ablation switches.
    pub config: NeuralEfConfig,
}

/// Table 1's NeuralEF rows: NeuralEF (2022) as published (its objective, linear outputs with
/// batch normalisation) and the segmenter's Neural Eigenmaps with the Gumbel head.
pub fn neuralef_variants() -> Vec<NeuralEfVariant> {
    let base = NeuralEfConfig::default();
    vec![
        NeuralEfVariant {
            name: "NeuralEF".into(),
            slug: "neuralef".into(),
            config: base.clone().classic(),
        },
        NeuralEfVariant {
            name: "NeuralEF (Neural Eigenmaps, Gumbel head)".into(),
            slug: "neuralef-eigenmaps".into(),
            config: base,
        },
    ]
}

/// The reference's ablations of the Gumbel head: the method, plain softmax instead of Gumbel,
/// no orthogonal last layer, no stop-gradient.
pub fn neuralef_ablations() -> Vec<NeuralEfVariant> {
    let base = NeuralEfConfig::default();
    let v = |name: &str, slug: &str, config: NeuralEfConfig| NeuralEfVariant {
        name: format!("NeuralEF ({name})"),
        slug: format!("neuralef-{slug}"),
        config,
    };
    vec![
        v("Neural Eigenmaps, Gumbel head", "eigenmaps", base.clone()),
        v(
            "plain softmax, no Gumbel noise",
            "no-gumbel",
            NeuralEfConfig {
                gumbel_noise: false,
                ..base.clone()
            },
        ),
        v(
            "no orthogonal last layer",
            "no-orthogonal",
            NeuralEfConfig {
                orthogonal_head: false,
                ..base.clone()
            },
        ),
        v(
            "no stop-gradient",
            "no-stop-gradient",
            NeuralEfConfig {
                stop_gradient: false,
                ..base
            },
        ),
    ]
}

/// One (method, configuration) of the comparison.
#[derive(Debug, Clone)]
struct Run {
    method: Method,
    /// Directory name.
    slug: String,
    /// Row name.
    name: String,
    /// NeuralEF's configuration, for a NeuralEF run.
    neuralef: Option<NeuralEfConfig>,
}

impl Default for Table1Config {
    fn default() -> Self {
        let experiment = ExperimentConfig {
            out_dir: PathBuf::from("results/table1"),
            feature_cache: Some(PathBuf::from("results/basis-fashion-mnist/features")),
            ..Default::default()
        };
        Self {
            baseline: MethodConfig::default().baseline,
            methods: all_methods(),
            neuralef: neuralef_variants(),
            experiment,
        }
    }
}

impl Table1Config {
    /// The configuration [`Method::fit`] takes (NeuralEF in its first configuration).
    pub fn methods(&self) -> MethodConfig {
        MethodConfig {
            basis: self.experiment.basis.clone(),
            anchors_per_class: self.experiment.anchors_per_class,
            anchor_strategy: self.experiment.anchor_strategy,
            baseline: self.baseline.clone(),
            neuralef: self
                .neuralef
                .first()
                .map(|v| v.config.clone())
                .unwrap_or_default(),
        }
    }

    fn method_config(&self, run: &Run) -> MethodConfig {
        let mut c = self.methods();
        if let Some(n) = &run.neuralef {
            c.neuralef = n.clone();
        }
        c
    }

    /// Every (method, configuration) in order: one per method, one per NeuralEF variant.
    fn runs(&self) -> Vec<Run> {
        let mut runs = Vec::new();
        for &method in &self.methods {
            if method == Method::NeuralEf {
                runs.extend(self.neuralef.iter().map(|v| Run {
                    method,
                    slug: v.slug.clone(),
                    name: v.name.clone(),
                    neuralef: Some(v.config.clone()),
                }));
            } else {
                runs.push(Run {
                    method,
                    slug: method.slug().into(),
                    name: method.name().into(),
                    neuralef: None,
                });
            }
        }
        runs
    }
}

/// One row's results over the seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MethodResults {
    /// Row name.
    pub method: String,
    /// One report per seed that trained.
    pub reports: Vec<Report>,
    /// Training milliseconds per iteration, per seed that trained.
    pub ms_per_iteration: Vec<f64>,
    /// Seeds whose training failed, with the reason.
    #[serde(default)]
    pub failures: Vec<(u64, String)>,
}

impl MethodResults {
    fn named(method: String) -> Self {
        Self {
            method,
            reports: Vec::new(),
            ms_per_iteration: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Mean ± std of d_G, d_⊥, NMI, ACC and probe accuracy (%) over the seeds that trained.
    pub fn aggregate(&self) -> [MeanStd; 5] {
        let g = |v: Option<f64>| v.unwrap_or(f64::NAN);
        std::array::from_fn(|j| {
            MeanStd::of(self.reports.iter().map(|r| match j {
                0 => g(r.grassmann),
                1 => g(r.orthogonality),
                2 => g(r.nmi),
                3 => g(r.acc),
                _ => 100.0 * g(r.probe_accuracy),
            }))
        })
    }
}

/// Column names of [`MethodResults::aggregate`].
pub const METRICS: [&str; 5] = ["d_G", "d_⊥", "NMI", "ACC", "probe accuracy (%)"];

/// The whole comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table1 {
    /// Configuration.
    pub config: Table1Config,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// One entry per row.
    pub rows: Vec<MethodResults>,
}

/// What one (method, seed) run produced; `result.json` in its directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SeedOutcome {
    method: Method,
    /// The run's directory name (the method's slug, or a NeuralEF variant's).
    #[serde(default)]
    run: String,
    seed: u64,
    /// The comparison's configuration: a saved outcome is reused only under the same one.
    config: Table1Config,
    /// Scores as trained, then after the paper's test-set post-processing if it applies, then
    /// with the model's own clustering if it has one; `Err` with the reason when training failed.
    reports: std::result::Result<Vec<Report>, String>,
    ms_per_iteration: f64,
}

fn score(
    p: &Prepared,
    config: &ExperimentConfig,
    seed: u64,
    test_out: &DMatrix<f64>,
    train_out: &DMatrix<f64>,
) -> Result<Report> {
    Ok(Report::evaluate(
        &ReportInputs {
            embedding: test_out,
            labels: Some(&p.data.test.labels),
            analytic: Some(&p.analytic),
            probe_train: Some((train_out, &p.data.train.labels)),
        },
        &ReportParams {
            kmeans: KMeansParams {
                seed,
                ..config.report.kmeans
            },
            ..config.report
        },
    )?)
}

/// Whether `e` is the outcome of training itself (recorded in the table) rather than of bad
/// input or the machine (returned).
fn is_training_failure(e: &MethodError) -> bool {
    matches!(
        e,
        MethodError::RankDeficient { .. }
            | MethodError::TooManySkipped { .. }
            | MethodError::Nn(NnError::Diverged { .. })
    )
}

/// SpecNet2's post-processing as the paper did it: Rayleigh–Ritz (Eq. 10) of the network's
/// raw outputs on the whole test graph. Returns the test embedding and the training points
/// under the same rotation (for the probe).
fn test_set_rayleigh_ritz(
    p: &Prepared,
    model: &dyn Embedder,
) -> Result<(DMatrix<f64>, DMatrix<f64>)> {
    let raw_test = model.raw_outputs(&p.features.test)?;
    let wy = &p.affinity * &raw_test;
    let degrees = DVector::from_iterator(
        p.affinity.nrows(),
        p.affinity
            .row_iter()
            .map(|r| r.values().iter().sum::<f64>()),
    );
    let ritz = rayleigh_ritz(&raw_test, &wy, &degrees)?;
    let train_out = model.raw_outputs(&p.features.train)? * &ritz.rotation;
    Ok((ritz.vectors, train_out))
}

/// Trains and scores `method` with `seed`, or reads the outcome a previous run with the same
/// configuration left in `dir`.
fn run_method_seed(
    config: &Table1Config,
    p: &Prepared,
    run: &Run,
    seed: u64,
    dir: &Path,
    progress: bool,
) -> Result<SeedOutcome> {
    let path = dir.join("result.json");
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(old) = serde_json::from_str::<SeedOutcome>(&text)
        && old.method == run.method
        && old.run == run.slug
        && old.seed == seed
        && old.config == *config
    {
        return Ok(old);
    }
    let exp = &config.experiment;
    let iterations = exp.basis.iterations;
    let bar = basis_nn::progress::progress_bar(
        iterations,
        progress,
        &format!("{} seed {seed}", run.name),
    );
    let method = run.method;
    let methods = config.method_config(run);
    let train = TrainingSet {
        features: &p.features.train,
        labels: Some(&p.data.train.labels),
    };
    let t = Instant::now();
    let pipeline = exp.pipeline.as_ref();
    let fitted = method.fit_with(&train, &methods, seed, pipeline, &mut |it, loss| {
        bar.inc(1);
        if it % 10 == 0 {
            bar.set_message(format!("loss {loss:.4}"));
        }
    });
    bar.finish_and_clear();
    let ms_per_iteration = 1e3 * t.elapsed().as_secs_f64() / iterations as f64;
    let reports = match fitted {
        Err(e) if is_training_failure(&e) => Err(e.to_string()),
        Err(e) => return Err(e.into()),
        Ok(model) => {
            model.save(&dir.join("model"))?;
            let test_out = model.embed(&p.features.test)?;
            let train_out = model.embed(&p.features.train)?;
            let mut reports = vec![score(p, exp, seed, &test_out, &train_out)?];
            if method.paper_post_processes_on_test_set() {
                let (test_out, train_out) = test_set_rayleigh_ritz(p, model.as_ref())?;
                reports.push(score(p, exp, seed, &test_out, &train_out)?);
            }
            if let Some(clusters) = model.clusters(&p.features.test) {
                let own = reports[0]
                    .clone()
                    .with_clusters(&p.data.test.labels, &clusters?)?;
                reports.push(own);
            }
            Ok(reports)
        }
    };
    let outcome = SeedOutcome {
        method,
        run: run.slug.clone(),
        seed,
        config: config.clone(),
        reports,
        ms_per_iteration,
    };
    basis_data::io::write_atomic(&path, serde_json::to_string_pretty(&outcome)?.as_bytes())?;
    Ok(outcome)
}

/// The rows of the table, as (run index, name): one per run, a second one for a method the
/// paper also post-processed on the test set, and one scored by the model's own clustering
/// for a model that clusters (NeuralEF's Gumbel head, beside k-means on its embedding).
fn row_names(config: &Table1Config, runs: &[Run]) -> Vec<(usize, String)> {
    let mut rows = Vec::new();
    for (r, run) in runs.iter().enumerate() {
        let name = &run.name;
        if run.method.paper_post_processes_on_test_set() {
            rows.push((r, format!("{name} (post-processed on training batches)")));
            rows.push((
                r,
                format!("{name} (post-processed on the test set, as the paper)"),
            ));
        } else if run.method.has_cluster_head(&config.method_config(run)) {
            rows.push((r, format!("{name}: k-means on the embedding")));
            rows.push((r, format!("{name}: argmax of the head")));
        } else {
            rows.push((r, name.clone()));
        }
    }
    rows
}

/// Runs every method for every seed; writes `table1.md`, `table1.json` and the models into
/// `config.experiment.out_dir`.
pub fn run_table1(config: &Table1Config, seeds: &[u64], progress: bool) -> Result<Table1> {
    if seeds.is_empty() || config.methods.is_empty() {
        return Err(ExperimentError::InvalidConfig(
            "at least one seed and one method are needed".into(),
        ));
    }
    let exp = &config.experiment;
    let p = prepare(exp, progress)?;
    let out = &exp.out_dir;
    let runs = config.runs();
    let names = row_names(config, &runs);
    let mut rows: Vec<MethodResults> = names
        .iter()
        .map(|(_, n)| MethodResults::named(n.clone()))
        .collect();
    for &seed in seeds {
        for (r, run) in runs.iter().enumerate() {
            let dir = out.join(&run.slug).join(format!("seed-{seed}"));
            let outcome = run_method_seed(config, &p, run, seed, &dir, progress)?;
            let first = names.iter().position(|(i, _)| *i == r).unwrap_or(0);
            let count = names.iter().filter(|(i, _)| *i == r).count();
            for (j, row) in rows[first..first + count].iter_mut().enumerate() {
                match &outcome.reports {
                    Ok(reports) => {
                        if let Some(r) = reports.get(j) {
                            row.reports.push(r.clone());
                            row.ms_per_iteration.push(outcome.ms_per_iteration);
                        }
                    }
                    Err(why) => row.failures.push((seed, why.clone())),
                }
            }
            if progress {
                match &outcome.reports {
                    Ok(reports) => {
                        for (r, (_, name)) in reports.iter().zip(&names[first..]) {
                            eprintln!("{}", r.markdown_row(&format!("{name} seed {seed}")));
                        }
                    }
                    Err(why) => eprintln!("{} seed {seed} failed: {why}", run.name),
                }
            }
        }
    }
    let table = Table1 {
        config: config.clone(),
        seeds: seeds.to_vec(),
        rows,
    };
    Ok(table)
}

crate::engine::experiment! {
    /// `table1` as an [`Experiment`](crate::Experiment).
    pub struct Table1Comparison = "table1" writes "table1";
    config Table1Config = Table1Config::default(), out experiment.out_dir;
    report Table1;
    check(config) { config.experiment.check() }
    run(config, ctx) { run_table1(config, &ctx.seeds, ctx.progress) }
    markdown(report) { table1_markdown(report) }
}


/// The markdown tables: ours (mean ± std, ms per iteration) and the paper's column.
pub fn table1_markdown(t: &Table1) -> String {
    let pm = |m: &MeanStd| format!("{:.3} ± {:.3}", m.mean, m.std);
    let e = &t.config.experiment;
    let mut out = format!(
        "# Table 1 on {} ({} seeds)\n\nK = {}, m = {}, {} iterations, {}-NN graph; the same features for every method.\n\n\
         | method | d_G ↓ | d_⊥ ↓ | NMI ↑ | ACC ↑ | probe accuracy (%) ↑ | ms / iteration |\n|---|---|---|---|---|---|---|\n",
        e.dataset,
        t.seeds.len(),
        e.basis.embedding.k,
        e.basis.batch_size,
        e.basis.iterations,
        e.basis.graph.knn.k
    );
    for r in &t.rows {
        let a = r.aggregate();
        let ms = MeanStd::of(r.ms_per_iteration.iter().copied());
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {:.1} |\n",
            r.method,
            pm(&a[0]),
            pm(&a[1]),
            pm(&a[2]),
            pm(&a[3]),
            pm(&a[4]),
            ms.mean
        );
    }
    for r in &t.rows {
        for (seed, why) in &r.failures {
            out += &format!("\n- {} seed {seed} failed in training: {why}", r.method);
        }
    }
    if t.rows.iter().any(|r| !r.failures.is_empty()) {
        out += "\n\nMeans and deviations are over the seeds that trained.\n";
    }
    if e.dataset == "fashion-mnist" && e.classes.is_empty() {
        out += "\nThe paper's Table 1, Fashion-MNIST:\n\n| method | d_G | d_⊥ | NMI | ACC | probe accuracy (%) |\n|---|---|---|---|---|---|\n";
        for (name, v) in PAPER_FASHION_MNIST {
            out += &format!(
                "| {name} | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3} ± {:.3} |\n",
                v[0].0, v[0].1, v[1].0, v[1].1, v[2].0, v[2].1, v[3].0, v[3].1, v[4].0, v[4].1
            );
        }
    }
    out
}

/// The command line of `basis reproduce table1` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::Args;

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
        /// The options given onto `t`.
        pub fn apply(&self, g: &Given, t: &mut Table1Config) -> CliResult<()> {
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

    impl ExperimentArgs for Table1Args {
        type E = Table1Comparison;
        fn apply(&self, g: &Given, cfg: &mut Table1Config) -> CliResult<()> {
            self.common.apply(g, cfg)
        }
        fn seeds(&self) -> Vec<u64> {
            seeds(self.seeds)
        }
    }
}
