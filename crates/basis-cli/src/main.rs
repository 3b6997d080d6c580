//! `basis`: the toolkit's command line.
//!
//! - `basis fit`: train any method (BASiS, Diffusion Net, SpectralNet, SpecNet2) on a user's
//!   features (`.npy`, CSV or IDX), labels optional;
//! - `basis embed`: embed new points with a model written by `fit`;
//! - `basis evaluate`: Table 1's metrics of an embedding (d_G, d_⊥, NMI, ACC, linear probe);
//! - `basis analytic`: the whole-graph Laplacian eigenmap by our Lanczos;
//! - `basis demo`: BASiS on three moons (the paper's Fig. 1);
//! - `basis reproduce fig3|basis|feature-change|table1`: the paper's experiments;
//! - `basis sweep neighbors|tightness|graph|spectral`: the toolkit's sweeps.
//!
//! Errors come out as one line on stderr and a non-zero exit; every file is written atomically.

mod experiments;
/// The user's files through `basis_data::input`, errors as one line that names the file.
mod input {
    use crate::CliResult;
    use nalgebra::DMatrix;
    use std::path::Path;

    fn named<T>(path: &Path, r: basis_data::Result<T>) -> CliResult<T> {
        r.map_err(|e| {
            let (shown, text) = (path.display().to_string(), e.to_string());
            if text.contains(&shown) {
                text
            } else {
                format!("{shown}: {text}")
            }
        })
    }

    /// Features, one point per row; every value finite, at least one row and one column.
    pub fn read_features(path: &Path) -> CliResult<DMatrix<f64>> {
        named(path, basis_data::input::read_features(path))
    }

    /// Images for a Siamese network (IDX bytes scaled to [0, 1]).
    pub fn read_images(path: &Path) -> CliResult<DMatrix<f64>> {
        named(path, basis_data::input::read_images(path))
    }

    /// Class labels, one per row of `n` points.
    pub fn read_labels(path: &Path, n: usize) -> CliResult<Vec<usize>> {
        named(path, basis_data::input::read_labels(path, n))
    }
}

use basis_experiments::cli::{Given, MethodArg};
use basis_experiments::commands::ExperimentCommand;
use basis_graph::{BatchGraphParams, KnnParams, LaplacianKind};
use basis_methods::anchors::AnchorStrategy;
use basis_methods::method::FitRecord;
use basis_methods::method::{Method, MethodConfig, TrainingSet};
use basis_metrics::{Report, ReportInputs, ReportParams};
use basis_spectral::{EmbeddingParams, analytic_embedding};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Learned spectral graph embeddings: BASiS and the methods it is compared with.
#[derive(Debug, Parser)]
#[command(name = "basis", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a method on your features (.npy, CSV or IDX) and save the model
    Fit(FitArgs),
    /// Embed new points with a model written by `basis fit`
    Embed(EmbedArgs),
    /// Score an embedding: d_G, d_⊥, NMI, ACC and the linear probe
    Evaluate(EvaluateArgs),
    /// The analytic embedding: the K leading Laplacian eigenvectors of the whole graph
    Analytic(AnalyticArgs),
    /// The experiments: demo, reproduce …, sweep … (`basis_experiments::commands`)
    #[command(flatten)]
    Experiment(ExperimentCommand),
}

/// Anchor strategies on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AnchorArg {
    /// --anchors-per-class points of every class (needs --labels; the paper's setting)
    PerClass,
    /// anchors-per-class × K points uniformly at random
    Uniform,
    /// anchors-per-class × K points by k-means++ seeding on the features
    KMeansPlusPlus,
}

impl AnchorArg {
    fn strategy(self) -> AnchorStrategy {
        match self {
            AnchorArg::PerClass => AnchorStrategy::PerClass,
            AnchorArg::Uniform => AnchorStrategy::Uniform,
            AnchorArg::KMeansPlusPlus => AnchorStrategy::KMeansPlusPlus,
        }
    }
}

/// Laplacians on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LaplacianArg {
    /// L_N = I − D^{-1/2} W D^{-1/2} (Eq. 4)
    Normalized,
    /// L = D − W (Eq. 2)
    Unnormalized,
}

/// The graph every method and the analytic embedding build (the paper's Table 1 setting by
/// default: self-tuning Gaussian scales at the 7th neighbour, max-symmetrised).
#[derive(Debug, Clone, Args)]
struct GraphArgs {
    /// Neighbours per point of the kNN graph
    #[arg(long, default_value_t = 50)]
    neighbors: usize,
    /// Graph Laplacian
    #[arg(long, value_enum, default_value_t = LaplacianArg::Normalized)]
    laplacian: LaplacianArg,
}

impl GraphArgs {
    fn params(&self, allow_disconnected: bool) -> BatchGraphParams {
        BatchGraphParams {
            knn: KnnParams {
                k: self.neighbors,
                ..BatchGraphParams::paper_table1().knn
            },
            laplacian: match self.laplacian {
                LaplacianArg::Normalized => LaplacianKind::SymmetricNormalized,
                LaplacianArg::Unnormalized => LaplacianKind::Unnormalized,
            },
            allow_disconnected,
            ..BatchGraphParams::paper_table1()
        }
    }
}

#[derive(Debug, Args)]
struct FitArgs {
    /// Which method to train
    #[arg(long, value_enum, default_value_t = MethodArg::Basis)]
    method: MethodArg,
    /// Training features, one point per row (.npy, .npz[:NAME], .csv or IDX, gzipped or not)
    #[arg(long)]
    input: PathBuf,
    /// Class labels, one per row (.npy, .npz[:NAME], .csv or IDX); needed only for per-class anchors
    #[arg(long)]
    labels: Option<PathBuf>,
    /// How BASiS picks its anchors (per-class needs --labels) [default: per-class when
    /// --labels are given, else k-means-plus-plus]
    #[arg(long, value_enum, default_value_t = AnchorArg::KMeansPlusPlus, hide_default_value = true)]
    anchors: AnchorArg,
    /// Anchors per class (label-free strategies: this × K anchors in all)
    #[arg(long, default_value_t = 25)]
    anchors_per_class: usize,
    /// Embedding dimension K
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Batch size m (anchors included)
    #[arg(long, default_value_t = 512)]
    batch_size: usize,
    /// Training iterations
    #[arg(long, default_value_t = 1000)]
    iterations: usize,
    #[command(flatten)]
    graph: GraphArgs,
    /// Seed of every random choice
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// BASiS only: also fit moved copies of every batch, moved up to X cluster widths, for new
    /// points off the training support (ours; 0 is the paper's Algorithm 1; 4 is the measured
    /// setting; docs/out-of-sample.md)
    #[arg(long, value_name = "X", default_value_t = 0.0)]
    input_noise: f64,
    /// The whole method configuration as JSON (a MethodConfig; an unknown key is an error);
    /// options given on the command line override it
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output directory: model/, fit.json, train_embedding.npy
    #[arg(long)]
    out: PathBuf,
    /// No progress bar
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Args)]
struct EmbedArgs {
    /// A directory written by `basis fit` (or a BASiS model directory of a reproduction)
    #[arg(long)]
    model: PathBuf,
    /// Points to embed, one per row (.npy, .npz[:NAME], .csv or IDX)
    #[arg(long)]
    input: PathBuf,
    /// Where the n × K embedding goes (.npy)
    #[arg(long)]
    out: PathBuf,
    /// A Siamese network directory (from `basis reproduce basis`): --input holds images
    /// (IDX bytes scaled to [0, 1], or .npy rows of pixels) that it turns into features first
    #[arg(long, value_name = "DIR")]
    siamese: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct EvaluateArgs {
    /// The embedding to score, n × K (.npy)
    #[arg(long)]
    embedding: PathBuf,
    /// Class labels of the n points: NMI, ACC, probe
    #[arg(long)]
    labels: Option<PathBuf>,
    /// The n points' features: d_G against the analytic eigenvectors of their graph
    #[arg(long)]
    features: Option<PathBuf>,
    #[command(flatten)]
    graph: GraphArgs,
    /// Keep the trivial eigenvector in the analytic space (as the Table 1 setting does)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    keep_trivial: bool,
    /// Embedding of training points to fit the linear probe on (.npy), with --probe-labels
    #[arg(long, requires = "probe_labels")]
    probe_train: Option<PathBuf>,
    /// Labels of the --probe-train points
    #[arg(long, requires = "probe_train")]
    probe_labels: Option<PathBuf>,
    /// Also write the report as JSON here
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct AnalyticArgs {
    /// Features, one point per row (.npy, .npz[:NAME], .csv or IDX)
    #[arg(long)]
    input: PathBuf,
    /// Number of eigenvectors K
    #[arg(long, default_value_t = 10)]
    k: usize,
    #[command(flatten)]
    graph: GraphArgs,
    /// Drop the trivial eigenvector (constant for L, D^{1/2}1 for L_N)
    #[arg(long)]
    drop_trivial: bool,
    /// Embed a graph with several components (one indicator direction per component)
    #[arg(long)]
    allow_disconnected: bool,
    /// Where the n × K eigenvectors go (.npy); the eigenvalues go beside it as .json
    #[arg(long)]
    out: PathBuf,
}

/// One error type for the command line: every library error becomes one line.
pub(crate) type CliResult<T> = Result<T, String>;

pub(crate) fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// `text` and a newline on stdout. A stdout that cannot be written is an error line, not a
/// panic; a closed pipe (`basis … | head`) ends the process quietly with the status a shell
/// gives a command killed by SIGPIPE (141), as other command-line tools do. Every command
/// prints only after its files are written, so nothing is lost but the text.
pub(crate) fn print_out(text: &str) -> CliResult<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(141),
        Err(e) => Err(format!("cannot write to stdout: {e}")),
    }
}

/// Where a path points, for comparing an output with the inputs: the canonical path of the
/// file, or of its directory joined with its name when the file does not exist yet (`None`
/// when neither exists: it cannot be an existing input then).
fn identity(p: &Path) -> Option<PathBuf> {
    let p = basis_data::input::data_file(p);
    if let Ok(c) = p.canonicalize() {
        return Some(c);
    }
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some(parent.canonicalize().ok()?.join(p.file_name()?))
}

/// Refuses outputs that name an input or one another: the write would replace what the
/// command reads, or one output would overwrite the other.
fn check_outputs(inputs: &[&Path], outputs: &[(&str, &Path)]) -> CliResult<()> {
    for (i, (what, out)) in outputs.iter().enumerate() {
        let Some(id) = identity(out) else { continue };
        if let Some(input) = inputs.iter().find(|p| identity(p).as_ref() == Some(&id)) {
            return Err(format!(
                "{what} {} is also an input ({}); write the output elsewhere",
                out.display(),
                input.display()
            ));
        }
        if let Some((other, _)) = outputs[..i]
            .iter()
            .find(|(_, o)| identity(o).as_ref() == Some(&id))
        {
            return Err(format!(
                "{what} {} is the same file as the {other}; give them different names",
                out.display()
            ));
        }
        basis_data::io::check_replaceable(out).map_err(err)?;
    }
    Ok(())
}

fn write_npy(path: &Path, m: &nalgebra::DMatrix<f64>) -> CliResult<()> {
    basis_data::io::write_atomic(path, &basis_data::npy::encode_npy(m)).map_err(err)
}

pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value).map_err(err)?;
    basis_data::io::write_atomic(path, text.as_bytes()).map_err(err)
}

/// What `basis fit` writes into its output directory (it replaces the directory as a whole).
const FIT_FILES: [&str; 3] = ["model", "fit.json", "train_embedding.npy"];

/// The method configuration of `fit`: `--config` (strictly read: an unknown key is an error)
/// or the defaults, then every option given on the command line on top of it.
fn fit_config(a: &FitArgs, g: &Given) -> CliResult<MethodConfig> {
    let mut c = match &a.config {
        Some(p) => basis_data::config_file::read::<MethodConfig>(p).map_err(err)?,
        None => {
            let mut c = MethodConfig::default();
            c.basis.graph = a.graph.params(true);
            c
        }
    };
    if g.has("neighbors") {
        c.basis.graph.knn.k = a.graph.neighbors;
    }
    if g.has("laplacian") {
        c.basis.graph.laplacian = a.graph.params(true).laplacian;
    }
    let set = |id: &str| a.config.is_none() || g.has(id);
    if set("k") {
        c.basis.embedding.k = a.k;
    }
    if set("batch_size") {
        c.basis.batch_size = a.batch_size;
    }
    if set("iterations") {
        c.basis.iterations = a.iterations;
    }
    if set("input_noise") {
        c.basis.input_noise = a.input_noise;
    }
    if set("anchors_per_class") {
        c.anchors_per_class = a.anchors_per_class;
    }
    if set("anchors") {
        c.anchor_strategy = a.anchors.strategy();
    }
    Ok(c)
}

fn fit(a: &FitArgs, g: &Given) -> CliResult<()> {
    if a.out.exists() && !a.out.is_dir() {
        return Err(format!(
            "--out {} is a file, not a directory",
            a.out.display()
        ));
    }
    let x = input::read_features(&a.input)?;
    let labels = match &a.labels {
        Some(p) => Some(input::read_labels(p, x.nrows())?),
        None => None,
    };
    let method = a.method.method();
    let mut config = fit_config(a, g)?;
    // Options that would not act are refused, not ignored.
    if method != Method::Basis && config.basis.input_noise != 0.0 {
        return Err(format!(
            "--input-noise is a BASiS setting; {} does not take it",
            method.name()
        ));
    }
    if labels.is_some() && method == Method::Basis && !g.has("anchors") && a.config.is_none() {
        // Labels given and no strategy chosen: the paper's per-class anchors.
        config.anchor_strategy = AnchorStrategy::PerClass;
    }
    let per_class = method == Method::Basis && config.anchor_strategy.needs_labels();
    if labels.is_some() && !per_class {
        return Err(format!(
            "--labels are read only to draw BASiS's per-class anchors (--anchors per-class); \
             {} with {} anchors does not use them",
            method.name(),
            config.anchor_strategy.name()
        ));
    }
    if method != Method::Basis && (g.has("anchors") || g.has("anchors_per_class")) {
        return Err(format!(
            "--anchors and --anchors-per-class are BASiS settings; {} draws no anchors",
            method.name()
        ));
    }
    if per_class && labels.is_none() {
        return Err("per-class anchors need --labels; use --anchors uniform or k-means-plus-plus for unlabelled data".into());
    }
    // The directory is written as one unit: a killed or failed run leaves the previous fit
    // whole, never its files beside a new model.
    let staged = basis_data::io::StagedDir::begin(&a.out, &FIT_FILES).map_err(err)?;
    let bar = basis_nn::progress::progress_bar(
        config.basis.iterations,
        !a.no_progress,
        &format!("fit {}", method.slug()),
    );
    let train = TrainingSet {
        features: &x,
        labels: labels.as_deref(),
    };
    let model = method
        .fit(&train, &config, a.seed, &mut |_, loss| {
            bar.set_message(format!("loss {loss:.4}"));
            bar.inc(1);
        })
        .map_err(err)?;
    bar.finish_and_clear();
    let y = model.embed(&x).map_err(err)?;
    let dir = staged.path();
    model.save(&dir.join("model")).map_err(err)?;
    write_npy(&dir.join("train_embedding.npy"), &y)?;
    let record = FitRecord {
        method: method.slug().into(),
        seed: a.seed,
        n_train: x.nrows(),
        input_dim: x.ncols(),
        anchors: config.anchor_strategy.name().into(),
        config,
    };
    write_json(&dir.join("fit.json"), &record)?;
    staged.commit().map_err(err)?;
    print_out(&format!(
        "{}: {} points × {} features → K = {}; wrote {}",
        method.name(),
        x.nrows(),
        x.ncols(),
        y.ncols(),
        a.out.display()
    ))
}

fn embed(a: &EmbedArgs) -> CliResult<()> {
    let record = a.model.join("fit.json");
    let checkpoint = a.model.join("checkpoint.json");
    if !a.model.is_dir() {
        return Err(format!(
            "--model {}: no such directory (give a directory written by `basis fit`)",
            a.model.display()
        ));
    }
    if let (Some(out), Some(model)) = (identity(&a.out), a.model.canonicalize().ok())
        && out.starts_with(&model)
    {
        return Err(format!(
            "--out {} is inside the model directory; write the embedding elsewhere",
            a.out.display()
        ));
    }
    check_outputs(&[&a.input], &[("--out", &a.out)])?;
    let (method, dir) = if record.exists() {
        let r: FitRecord = basis_data::config_file::read(&record)
            .map_err(|e| format!("{e} (not written by `basis fit`)"))?;
        let m = Method::from_slug(&r.method)
            .ok_or_else(|| format!("{}: unknown method {}", record.display(), r.method))?;
        (m, a.model.join("model"))
    } else if checkpoint.exists() {
        // A checkpoint directory (e.g. `results/table1/<method>/seed-*/model`) names its method.
        let m = basis_methods::method::stored_method(&a.model).unwrap_or(Method::Basis);
        (m, a.model.clone())
    } else {
        return Err(format!(
            "--model {}: no model here: it holds neither fit.json (a directory written by \
             `basis fit`) nor checkpoint.json (a model directory of a reproduction)",
            a.model.display()
        ));
    };
    let model = method.load(&dir).map_err(err)?;
    let x = match &a.siamese {
        None => input::read_features(&a.input)?,
        Some(s) => {
            let images = input::read_images(&a.input)?;
            let net = basis_nn::siamese::SiameseNet::load(s).map_err(|e| {
                format!(
                    "--siamese {}: not a Siamese network directory (written by `basis reproduce \
                     basis` under OUT/features/siamese): {e}",
                    s.display()
                )
            })?;
            net.features(&images).map_err(err)?
        }
    };
    let y = model.embed(&x).map_err(err)?;
    write_npy(&a.out, &y)?;
    print_out(&format!(
        "{}: embedded {} points → {}",
        model.name(),
        y.nrows(),
        a.out.display()
    ))
}

fn evaluate(a: &EvaluateArgs, g: &Given) -> CliResult<()> {
    if a.features.is_none()
        && let Some(o) = ["neighbors", "laplacian", "keep_trivial"]
            .into_iter()
            .find(|o| g.has(o))
    {
        return Err(format!(
            "--{} sets the analytic graph of d_G, which needs --features",
            o.replace('_', "-")
        ));
    }
    if let Some(json) = &a.json {
        let inputs: Vec<&Path> = [
            Some(&a.embedding),
            a.labels.as_ref(),
            a.features.as_ref(),
            a.probe_train.as_ref(),
            a.probe_labels.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
        check_outputs(&inputs, &[("--json", json)])?;
    }
    let y = input::read_features(&a.embedding)?;
    let labels = match &a.labels {
        Some(p) => Some(input::read_labels(p, y.nrows())?),
        None => None,
    };
    let analytic = match &a.features {
        Some(p) => {
            let x = input::read_features(p)?;
            if x.nrows() != y.nrows() {
                return Err(format!(
                    "{} has {} rows but the embedding has {}",
                    p.display(),
                    x.nrows(),
                    y.nrows()
                ));
            }
            let params = EmbeddingParams {
                k: y.ncols(),
                drop_trivial: !a.keep_trivial,
                ..Default::default()
            };
            Some(
                analytic_embedding(&x, &a.graph.params(true), &params)
                    .map_err(err)?
                    .embedding
                    .coords,
            )
        }
        None => None,
    };
    let probe = match (&a.probe_train, &a.probe_labels) {
        (Some(e), Some(l)) => {
            let e = input::read_features(e)?;
            let l = input::read_labels(l, e.nrows())?;
            Some((e, l))
        }
        _ => None,
    };
    if labels.is_none() && analytic.is_none() {
        return Err(
            "nothing to score: give --labels (NMI, ACC, d_⊥) and/or --features (d_G)".into(),
        );
    }
    let report = Report::evaluate(
        &ReportInputs {
            embedding: &y,
            labels: labels.as_deref(),
            analytic: analytic.as_ref(),
            probe_train: probe.as_ref().map(|(e, l)| (e, l.as_slice())),
        },
        &ReportParams::default(),
    )
    .map_err(err)?;
    let mut text = format!(
        "{}\n{}",
        Report::markdown_header(),
        report.markdown_row(&a.embedding.display().to_string())
    );
    if let Some(analytic) = &analytic {
        // Where d_G = K − Σ cos² θ_j comes from: the principal angles one by one.
        let cos2: Vec<String> = basis_metrics::principal_angles(&y, analytic)
            .map_err(err)?
            .iter()
            .map(|t| format!("{:.3}", t.cos().powi(2)))
            .collect();
        text.push_str(&format!(
            "\n\ncos² of the principal angles to the analytic space: {}",
            cos2.join(" ")
        ));
    }
    if let Some(p) = &a.json {
        write_json(p, &report)?;
    }
    print_out(&text)
}

fn analytic(a: &AnalyticArgs) -> CliResult<()> {
    let side = a.out.with_extension("json");
    check_outputs(
        &[&a.input],
        &[("--out", &a.out), ("eigenvalue file beside --out", &side)],
    )?;
    let x = input::read_features(&a.input)?;
    let params = EmbeddingParams {
        k: a.k,
        drop_trivial: a.drop_trivial,
        ..Default::default()
    };
    let solved =
        analytic_embedding(&x, &a.graph.params(a.allow_disconnected), &params).map_err(err)?;
    let e = &solved.embedding;
    write_npy(&a.out, &e.coords)?;
    let values: Vec<f64> = e.values.iter().copied().collect();
    write_json(
        &side,
        &serde_json::json!({
            "eigenvalues": values,
            "components": solved.components,
            "affinity_nnz": solved.affinity_nnz,
        }),
    )?;
    print_out(&format!(
        "{} points → {} eigenvectors; eigenvalues {:?}; wrote {} and {}",
        x.nrows(),
        e.coords.ncols(),
        values.iter().map(|v| format!("{v:.4}")).collect::<Vec<_>>(),
        a.out.display(),
        side.display()
    ))
}

/// libgomp's spin count for every run of `basis`, however it is started (docs/benchmarks.md,
/// "GOMP_SPINCOUNT"): libtorch's OpenMP threads spin 300,000 rounds after each parallel region
/// by default and count as busy meanwhile, so a pipelined trainer's idle-priority worker, or
/// any other work on the machine, rarely gets the core. `.cargo/config.toml` sets the same
/// value for runs through cargo.
const GOMP_SPINCOUNT: &str = "3000";

/// Re-executes this binary with [`GOMP_SPINCOUNT`] in its environment when the variable is
/// unset. libgomp reads it once, in a constructor that runs when libtorch is loaded, before
/// `main`: setting it here would come too late, so the process starts again with it. A value
/// already in the environment (any value, e.g. libgomp's default `300000`) is kept.
#[cfg(unix)]
fn with_gomp_spincount() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("GOMP_SPINCOUNT").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut cmd = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        cmd.arg0(arg0);
    }
    // `exec` returns only when it failed; the run then goes on with libgomp's default.
    let e = cmd.args(args).env("GOMP_SPINCOUNT", GOMP_SPINCOUNT).exec();
    eprintln!("note: running with libgomp's default spin count (cannot re-execute: {e})");
}

#[cfg(not(unix))]
fn with_gomp_spincount() {}

fn main() -> ExitCode {
    with_gomp_spincount();
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    // The options the user typed, for the experiments whose --config they override.
    let mut leaf = &matches;
    while let Some((_, sub)) = leaf.subcommand() {
        leaf = sub;
    }
    let given = Given(leaf);
    let result = match &cli.command {
        Command::Fit(a) => fit(a, &given),
        Command::Embed(a) => embed(a),
        Command::Evaluate(a) => evaluate(a, &given),
        Command::Analytic(a) => analytic(a),
        Command::Experiment(c) => experiments::run(c, &given),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
