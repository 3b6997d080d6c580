//! The analytic-embedding benchmark (issue: sparse eigensolvers): K = 10
//! eigenpairs of `L_N` of the 50-NN Gaussian graph of 32-dimensional
//! Fashion-MNIST features (a Gaussian random projection of the pixels), for
//! the test set (10,000 points) and the training set (60,000 points).
//!
//! Our side times kNN, affinity + operator, and the Lanczos solve at two
//! tolerances, and writes the features, the affinity (CSR as three `.npy`
//! arrays) and our eigenvectors; `scripts/bench_scipy_spectral.py` then times
//! scipy's ARPACK and LOBPCG on the same affinity and the whole
//! scikit-learn/scipy pipeline on the same features, and checks the subspace
//! against ours. [`spectral_sweep_markdown`] merges both into one table.

use crate::error::{ExperimentError, Result};
use crate::graph_sweep::project;
use crate::memory::PeakProbe;
use basis_data::fashion_mnist::{FashionMnistConfig, Split, load_fashion_mnist};
use basis_data::io::write_atomic;
use basis_data::npy::encode_npy;
use basis_graph::{AffinityParams, BatchGraphParams, KnnParams, LaplacianKind};
use basis_spectral::{
    EigenMethod, EmbeddingParams, OperatorValues, SolverParams, ValuePrecision, analytic_embedding,
};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the sweep runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpectralSweepConfig {
    /// Data sets: `"test"` (10,000 points) and/or `"train"` (60,000 points).
    pub splits: Vec<String>,
    /// Dimension of the random projection.
    pub dim: usize,
    /// Neighbours.
    pub k_neighbors: usize,
    /// Eigenpairs (the trivial one included, as ARPACK counts them).
    pub eigenpairs: usize,
    /// Lanczos tolerances to time (the first is the end-to-end one).
    pub tolerances: Vec<f64>,
    /// Threads (0 = all cores).
    pub threads: usize,
    /// Lanczos basis size (0 = the solver's automatic `max(2K + 1, 20)`).
    pub krylov_dim: usize,
    /// Run the solver's missed-copy check ([`SolverParams::verify`], the default).
    pub verify: bool,
    /// Operator values of the solves ([`SolverParams::values`]; automatic by default).
    pub values: OperatorValues,
    /// Where a solve iterated on `f32` values, solve again with `f64` values beside it.
    pub compare_f64: bool,
    /// Seed of the projection and of the start vector.
    pub seed: u64,
    /// Where Fashion-MNIST is.
    pub fashion_mnist: FashionMnistConfig,
    /// Where the arrays for the reference side, the report and the table go.
    #[serde(default = "default_out_dir")]
    pub out_dir: PathBuf,
}

impl Default for SpectralSweepConfig {
    fn default() -> Self {
        Self {
            splits: vec!["test".into(), "train".into()],
            dim: 32,
            k_neighbors: 50,
            eigenpairs: 10,
            tolerances: vec![1e-6, 1e-12],
            threads: 0,
            krylov_dim: 0,
            verify: SolverParams::default().verify,
            values: OperatorValues::Auto,
            compare_f64: true,
            seed: 0,
            fashion_mnist: FashionMnistConfig::default(),
            out_dir: default_out_dir(),
        }
    }
}

impl SpectralSweepConfig {
    /// The test set only.
    pub fn quick() -> Self {
        Self {
            splits: vec!["test".into()],
            ..Self::default()
        }
    }

    /// Validates.
    pub fn check(&self) -> Result<()> {
        if self.splits.is_empty() || self.tolerances.is_empty() {
            return Err(ExperimentError::InvalidConfig(
                "at least one split and one tolerance".into(),
            ));
        }
        for s in &self.splits {
            if s != "test" && s != "train" {
                return Err(ExperimentError::InvalidConfig(format!(
                    "split {s:?} is neither \"test\" nor \"train\""
                )));
            }
        }
        if self.dim == 0 || self.k_neighbors == 0 || self.eigenpairs == 0 {
            return Err(ExperimentError::InvalidConfig(
                "dim, k_neighbors and eigenpairs must be positive".into(),
            ));
        }
        // A basis above the matrix dimension is clamped to it: a full decomposition of a
        // 10,000-point graph, hours rather than seconds. Refused beyond what K can need.
        let most = 1000.max(self.eigenpairs.saturating_mul(4));
        if self.krylov_dim > most {
            return Err(ExperimentError::InvalidConfig(format!(
                "krylov_dim = {}: a Lanczos basis above {most} vectors is never needed for {} \
                 eigenpairs (0 picks max(2K + 1, 20))",
                self.krylov_dim, self.eigenpairs
            )));
        }
        if self.dim > 784 {
            return Err(ExperimentError::InvalidConfig(format!(
                "dim = {}: a projection of Fashion-MNIST's 784 pixels has at most 784 dimensions",
                self.dim
            )));
        }
        if let Some(t) = self.tolerances.iter().find(|t| !(**t >= 0.0 && **t < 1.0)) {
            return Err(ExperimentError::InvalidConfig(format!(
                "Lanczos tolerance {t} is not in [0, 1)"
            )));
        }
        Ok(())
    }

    fn graph(&self) -> BatchGraphParams {
        BatchGraphParams {
            knn: KnnParams {
                k: self.k_neighbors,
                threads: self.threads,
                ..Default::default()
            },
            affinity: AffinityParams::default(),
            laplacian: LaplacianKind::SymmetricNormalized,
            ..Default::default()
        }
    }

    fn embedding(&self, tol: f64, values: OperatorValues) -> EmbeddingParams {
        EmbeddingParams {
            k: self.eigenpairs,
            drop_trivial: false,
            solver: SolverParams {
                method: EigenMethod::Lanczos,
                tol,
                seed: self.seed,
                threads: self.threads,
                krylov_dim: self.krylov_dim,
                verify: self.verify,
                values,
                ..Default::default()
            },
        }
    }
}

/// One Lanczos solve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolveRow {
    /// Tolerance.
    pub tol: f64,
    /// Solve seconds (operator built beforehand).
    pub seconds: f64,
    /// Largest `‖L_N v − λ v‖`.
    pub max_residual: f64,
    /// Operator products.
    pub matvecs: usize,
    /// Restart cycles.
    pub restarts: usize,
    /// The operator values Lanczos iterated with.
    #[serde(default)]
    pub values: ValuePrecision,
}

/// One data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRow {
    /// `"test"` or `"train"`.
    pub split: String,
    /// Points.
    pub n: usize,
    /// Stored non-zeros of `W`.
    pub nnz: usize,
    /// kNN seconds (first run).
    pub knn_seconds: f64,
    /// Affinity + operator seconds (first run).
    pub graph_seconds: f64,
    /// Solves, one per tolerance.
    pub solves: Vec<SolveRow>,
    /// Most the first end-to-end run (kNN → affinity → solve) raised the
    /// resident memory above what was resident before it ([`crate::memory`]).
    #[serde(default)]
    pub peak_bytes: Option<u64>,
    /// Eigenvalues of the first solve.
    pub eigenvalues: Vec<f64>,
    /// File stem of the exported arrays (`STEM_x.npy`, `STEM_indptr.npy`, ...).
    pub stem: String,
}

/// Our side of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectralSweepReport {
    /// The configuration.
    pub config: SpectralSweepConfig,
    /// Threads used.
    pub threads: usize,
    /// One row per data set.
    pub rows: Vec<DatasetRow>,
}

/// Runs our side, writing the arrays into `out`.
pub fn run_spectral_sweep(
    config: &SpectralSweepConfig,
    out: &Path,
    mut log: impl FnMut(&str),
) -> Result<SpectralSweepReport> {
    config.check()?;
    let mut rows = Vec::new();
    for split in &config.splits {
        let which = if split == "test" {
            Split::Test
        } else {
            Split::Train
        };
        let data = load_fashion_mnist(&config.fashion_mnist, which)?;
        let x = project(&data.features, config.dim, config.seed);
        let n = x.nrows();
        let stem = format!("fmnist_{split}_{n}x{}", config.dim);
        let mut solves = Vec::new();
        let mut first = None;
        let mut peak_bytes = None;
        let mut runs: Vec<(f64, OperatorValues)> = config
            .tolerances
            .iter()
            .map(|&tol| (tol, config.values))
            .collect();
        let mut r = 0;
        while r < runs.len() {
            let (tol, values) = runs[r];
            let probe = if first.is_none() {
                PeakProbe::start()
            } else {
                None
            };
            log(&format!(
                "{split}: {n} × {}, Lanczos tol {tol:e} ({values:?} values) ...",
                config.dim
            ));
            let a = analytic_embedding(&x, &config.graph(), &config.embedding(tol, values))?;
            if let Some(p) = probe {
                peak_bytes = p.peak_above_start();
            }
            let row = SolveRow {
                tol,
                seconds: a.timings.eigen_seconds,
                max_residual: a.embedding.max_residual(),
                matvecs: a.stats.matvecs,
                restarts: a.stats.restarts,
                values: a.stats.values,
            };
            log(&format!(
                "  kNN {:.2} s, graph {:.2} s, solve {:.3} s ({} products, {:?} values), max residual {:.1e}",
                a.timings.knn_seconds,
                a.timings.graph_seconds,
                row.seconds,
                row.matvecs,
                row.values,
                row.max_residual
            ));
            if config.compare_f64 && row.values == ValuePrecision::F32 {
                runs.insert(r + 1, (tol, OperatorValues::F64));
            }
            solves.push(row);
            if first.is_none() {
                first = Some(a);
            }
            r += 1;
        }
        let a = first.ok_or_else(|| ExperimentError::InvalidConfig("no tolerance".into()))?;
        let (offsets, cols, vals) = a.affinity.csr_data();
        let as_col = |v: Vec<f64>| DMatrix::from_vec(v.len(), 1, v);
        write_atomic(out.join(format!("{stem}_x.npy")), &encode_npy(&x))?;
        write_atomic(
            out.join(format!("{stem}_indptr.npy")),
            &encode_npy(&as_col(offsets.iter().map(|&o| o as f64).collect())),
        )?;
        write_atomic(
            out.join(format!("{stem}_indices.npy")),
            &encode_npy(&as_col(cols.iter().map(|&c| c as f64).collect())),
        )?;
        write_atomic(
            out.join(format!("{stem}_data.npy")),
            &encode_npy(&as_col(vals.to_vec())),
        )?;
        write_atomic(
            out.join(format!("{stem}_ours.npy")),
            &encode_npy(&a.embedding.coords),
        )?;
        rows.push(DatasetRow {
            split: split.clone(),
            n,
            nnz: a.affinity_nnz,
            knn_seconds: a.timings.knn_seconds,
            graph_seconds: a.timings.graph_seconds,
            solves,
            peak_bytes,
            eigenvalues: a.embedding.values.iter().copied().collect(),
            stem,
        });
    }
    Ok(SpectralSweepReport {
        config: config.clone(),
        threads: if config.threads == 0 {
            std::thread::available_parallelism().map_or(1, |t| t.get())
        } else {
            config.threads
        },
        rows,
    })
}

/// One scipy / scikit-learn measurement, from `scripts/bench_scipy_spectral.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScipyRow {
    /// Which data set (the stem of our arrays).
    pub stem: String,
    /// What was run (`"eigsh tol=0"`, `"eigsh tol=1e-6"`, `"lobpcg tol=1e-5"`, `"pipeline"`).
    pub method: String,
    /// Seconds.
    pub seconds: f64,
    /// Largest `‖L_N v − λ v‖` of its vectors.
    pub max_residual: f64,
    /// Largest sine of the principal angles between its subspace and ours.
    pub max_sine_vs_ours: f64,
    /// Of the pipeline: seconds of its kNN search.
    #[serde(default)]
    pub knn_seconds: Option<f64>,
    /// Of the pipeline: the most it raised the resident memory (bytes).
    #[serde(default)]
    pub peak_bytes: Option<u64>,
    /// Of the `eigsh` rows: the operator products ARPACK took (counted in a second,
    /// untimed run from the same start vector).
    #[serde(default)]
    pub products: Option<usize>,
}

/// Bytes as MiB, or "n/a".
fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".into(), |b| {
        format!("{:.0}", b as f64 / (1u64 << 20) as f64)
    })
}

/// The reference side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScipySpectral {
    /// Package versions.
    pub versions: BTreeMap<String, String>,
    /// Measurements.
    pub rows: Vec<ScipyRow>,
}

/// The report as Markdown, with the reference and ratios when given.
pub fn spectral_sweep_markdown(r: &SpectralSweepReport, sp: Option<&ScipySpectral>) -> String {
    let c = &r.config;
    let mut s = format!(
        "K = {} eigenpairs of L_N, {}-NN Gaussian graph (σ = median k-th distance, max-symmetrised) \
         of {}-dimensional Fashion-MNIST features, {} threads; Lanczos basis {}, {}.\n\n\
         | data | n | nnz(W) | solver | seconds | max residual | reference | ref. seconds | ref. residual | speed-up | max sin θ vs ours |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
        c.eigenpairs,
        c.k_neighbors,
        c.dim,
        r.threads,
        if c.krylov_dim == 0 {
            "automatic".to_string()
        } else {
            c.krylov_dim.to_string()
        },
        if c.verify {
            "missed-copy check on (its products counted)"
        } else {
            "missed-copy check off"
        }
    );
    let find = |stem: &str, method: &str| {
        sp.and_then(|p| p.rows.iter().find(|x| x.stem == stem && x.method == method))
    };
    for row in &r.rows {
        for (i, solve) in row.solves.iter().enumerate() {
            let reference = if solve.tol >= 1e-7 {
                "eigsh tol=1e-6"
            } else {
                "eigsh tol=0"
            };
            let refr = find(&row.stem, reference);
            s.push_str(&format!(
                "| {} | {} | {} | Lanczos tol {:.0e} ({} products, {} values) | {:.3} | {:.1e} | {} | {} | {} | {} | {} |\n",
                if i == 0 { row.split.as_str() } else { "" },
                row.n,
                row.nnz,
                solve.tol,
                solve.matvecs,
                match solve.values {
                    ValuePrecision::F64 => "f64",
                    ValuePrecision::F32 => "f32",
                },
                solve.seconds,
                solve.max_residual,
                refr.and_then(|x| x.products)
                    .map_or(reference.to_string(), |p| format!("{reference} ({p} products)")),
                refr.map_or("–".into(), |x| format!("{:.3}", x.seconds)),
                refr.map_or("–".into(), |x| format!("{:.1e}", x.max_residual)),
                refr.map_or("–".into(), |x| format!("{:.1}×", x.seconds / solve.seconds)),
                refr.map_or("–".into(), |x| format!("{:.1e}", x.max_sine_vs_ours)),
            ));
        }
        if let Some(l) = find(&row.stem, "lobpcg tol=1e-5") {
            s.push_str(&format!(
                "| | | | (reference only) | | | lobpcg tol=1e-5 | {:.3} | {:.1e} | {:.1}× | {:.1e} |\n",
                l.seconds,
                l.max_residual,
                l.seconds / row.solves[0].seconds,
                l.max_sine_vs_ours
            ));
        }
    }
    for row in &r.rows {
        if let Some(o) = find(&row.stem, "ours re-scored") {
            s.push_str(&format!(
                "\n{}: the first solve's eigenvectors (exported) re-scored by the reference side \
                 (Rayleigh quotients and residuals of L_N built there from the same W): max residual {:.1e}.\n",
                row.stem, o.max_residual
            ));
        }
    }
    s.push_str(
        "\nEnd to end (features → kNN → affinity → K eigenpairs at tol 1e-6).\n\n\
         | data | ours kNN | ours graph | ours solve | ours total (s) | scikit-learn + scipy total (s) | of which kNN | speed-up | ours peak (MiB) | scikit-learn + scipy peak (MiB) |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for row in &r.rows {
        let ours = row.knn_seconds + row.graph_seconds + row.solves[0].seconds;
        let p = find(&row.stem, "pipeline");
        s.push_str(&format!(
            "| {} ({}) | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {} |\n",
            row.split,
            row.n,
            row.knn_seconds,
            row.graph_seconds,
            row.solves[0].seconds,
            ours,
            p.map_or("–".into(), |x| format!("{:.2}", x.seconds)),
            p.and_then(|x| x.knn_seconds)
                .map_or("–".into(), |v| format!("{v:.2}")),
            p.map_or("–".into(), |x| format!("{:.1}×", x.seconds / ours)),
            mib(row.peak_bytes),
            mib(p.and_then(|x| x.peak_bytes)),
        ));
    }
    s.push_str(
        "\nPeak: the most each side's end-to-end run raised its resident memory above what was \
         resident just before it (Linux `VmHWM` after `clear_refs`; the loaded data set not counted).\n",
    );
    if let Some(sp) = sp {
        let v: Vec<String> = sp
            .versions
            .iter()
            .map(|(a, b)| format!("{a} {b}"))
            .collect();
        s.push_str(&format!("\nReference side: {}.\n", v.join(", ")));
    }
    s
}

/// Where the sweep writes by default.
pub fn default_out_dir() -> PathBuf {
    PathBuf::from("target/spectral-sweep")
}

crate::engine::experiment! {
    /// `sweep spectral` as an [`Experiment`](crate::Experiment).
    pub struct SpectralSweep = "spectral" writes "report";
    config SpectralSweepConfig = SpectralSweepConfig::default(), out out_dir;
    report SpectralSweepReport;
    check(config) { config.check() }
    run(config, ctx) { run_spectral_sweep(config, &config.out_dir, |m| ctx.note(m)) }
    markdown(report) { spectral_sweep_markdown(report, None) }
    render(report, out) {
        let theirs: Option<ScipySpectral> = crate::engine::read_json_if_present(&out.join("scipy.json"))?;
        Ok(crate::Rendered::markdown(spectral_sweep_markdown(report, theirs.as_ref())))
    }
}

/// The command line of `basis sweep spectral` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::{Args, ValueEnum};

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
}
