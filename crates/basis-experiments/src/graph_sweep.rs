//! Graph-construction benchmark on Fashion-MNIST: exact and HNSW kNN of the
//! whole training set, and the per-call cost of a training batch's graph.
//!
//! Run through `cargo xtask sweep graph`, which also times scikit-learn's
//! brute-force `NearestNeighbors` on the same files in the same run and prints
//! both with their ratio. The data sets are the raw 784 pixels (scaled to
//! `[0, 1]`) and Gaussian random projections of them to fewer dimensions,
//! `X G / √p` with `G` drawn from the config's seed.

use crate::error::{ExperimentError, Result};
use basis_data::fashion_mnist::{FashionMnistConfig, Split, load_fashion_mnist};
use basis_data::io::write_atomic;
use basis_data::npy::encode_npy;
use basis_graph::{
    BatchGraphBuilder, BatchGraphParams, HnswParams, KnnGraph, KnnParams, LaplacianKind, knn_exact,
    knn_hnsw,
};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Dimension meaning "the raw pixels, no projection".
pub const RAW_PIXELS: usize = 784;

/// Configuration of the graph benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphSweepConfig {
    /// Where Fashion-MNIST is read from.
    pub fashion_mnist: FashionMnistConfig,
    /// Numbers of points (the first `n` training images).
    pub sizes: Vec<usize>,
    /// Feature dimensions: [`RAW_PIXELS`] for raw pixels, anything smaller for a projection.
    pub dims: Vec<usize>,
    /// Exact search (its `k` is the benchmark's `k`).
    pub exact: KnnParams,
    /// HNSW search (its `k` is overwritten by `exact.k`).
    pub hnsw: HnswParams,
    /// Skip HNSW below this many points.
    pub hnsw_min_points: usize,
    /// Batch-graph timing.
    pub batch: BatchSweep,
    /// Seed of the projections and of the batch draws.
    pub seed: u64,
    /// Where the arrays for the reference side, the report and the table go.
    #[serde(default = "default_out_dir")]
    pub out_dir: PathBuf,
}

/// The per-call batch-graph timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSweep {
    /// Points per batch.
    pub size: usize,
    /// Feature dimensions (random projections).
    pub dims: Vec<usize>,
    /// Calls timed per dimension (after as many warm-up calls).
    pub calls: usize,
    /// The graph built per call.
    pub graph: BatchGraphParams,
}

impl Default for GraphSweepConfig {
    fn default() -> Self {
        let mut graph = BatchGraphParams {
            laplacian: LaplacianKind::SymmetricNormalized,
            ..Default::default()
        };
        graph.knn.k = 50;
        graph.knn.threads = 0;
        Self {
            fashion_mnist: FashionMnistConfig::default(),
            sizes: vec![10_000, 60_000],
            dims: vec![32, RAW_PIXELS],
            exact: KnnParams {
                k: 50,
                ..Default::default()
            },
            hnsw: HnswParams {
                k: 50,
                ..Default::default()
            },
            hnsw_min_points: 5_000,
            batch: BatchSweep {
                size: 512,
                dims: vec![16, 32, 64],
                calls: 200,
                graph,
            },
            seed: 0,
            out_dir: default_out_dir(),
        }
    }
}

impl GraphSweepConfig {
    /// A minute-long version: 10,000 points, 32 dimensions.
    pub fn quick() -> Self {
        Self {
            sizes: vec![10_000],
            dims: vec![32],
            ..Self::default()
        }
    }

    /// Checks the configuration before anything runs.
    pub fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(ExperimentError::InvalidConfig(m.to_string()));
        if self.sizes.is_empty() || self.dims.is_empty() {
            return bad("sizes and dims must not be empty");
        }
        if self.sizes.iter().any(|&n| n <= self.exact.k || n > 60_000) {
            return bad("every size must exceed k and be at most 60000");
        }
        if self
            .dims
            .iter()
            .chain(&self.batch.dims)
            .any(|&d| d == 0 || d > RAW_PIXELS)
        {
            return bad("dimensions must be in 1..=784");
        }
        if self.batch.calls == 0 || self.batch.size <= self.batch.graph.knn.k {
            return bad("batch: calls must be > 0 and size > k");
        }
        if self.batch.calls > basis_data::limits::MAX_STEPS / 2 {
            return bad("batch: more calls than one run can time");
        }
        let mut h = self.hnsw;
        h.k = self.exact.k;
        h.check(self.sizes.iter().copied().max().unwrap_or(0))?;
        Ok(())
    }
}

/// One kNN measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnnRow {
    /// Points.
    pub n: usize,
    /// Dimensions.
    pub d: usize,
    /// Exact search, seconds.
    pub exact_seconds: f64,
    /// HNSW index build, seconds (`None` when skipped).
    pub hnsw_build_seconds: Option<f64>,
    /// HNSW queries of every point, seconds.
    pub hnsw_query_seconds: Option<f64>,
    /// HNSW recall@k against the exact search.
    pub hnsw_recall: Option<f64>,
    /// File holding the data set, for the scikit-learn side.
    pub data_file: String,
    /// File holding the exact neighbour indices (`n × k`, as floats).
    pub indices_file: String,
}

/// One batch-graph measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRow {
    /// Points per batch.
    pub m: usize,
    /// Feature dimension.
    pub d: usize,
    /// Neighbours.
    pub k: usize,
    /// Median microseconds per call (kNN + affinity + Laplacian).
    pub median_micros: f64,
    /// Mean microseconds per call.
    pub mean_micros: f64,
    /// Median microseconds per call of the sparse build the trainer uses (kNN + CSR
    /// affinity + components, [`BatchGraphBuilder::build_sparse`]).
    #[serde(default)]
    pub sparse_median_micros: Option<f64>,
}

/// What [`run_graph_sweep`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphSweepReport {
    /// The configuration that ran.
    pub config: GraphSweepConfig,
    /// Worker threads the exact search used.
    pub threads: usize,
    /// Whole-dataset kNN rows.
    pub knn: Vec<KnnRow>,
    /// Batch-graph rows.
    pub batch: Vec<BatchRow>,
}

pub(crate) fn project(x: &DMatrix<f64>, p: usize, seed: u64) -> DMatrix<f64> {
    if p == x.ncols() {
        return x.clone();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (p as u64).wrapping_mul(0x9E37_79B9));
    let scale = 1.0 / (p as f64).sqrt();
    let g = DMatrix::from_fn(x.ncols(), p, |_, _| {
        let v: f64 = StandardNormal.sample(&mut rng);
        v * scale
    });
    x * g
}

fn indices_matrix(g: &KnnGraph) -> DMatrix<f64> {
    DMatrix::from_fn(g.n, g.k, |i, t| g.neighbors(i)[t] as f64)
}

/// Runs the benchmark, writing the data sets and exact neighbours as `.npy`
/// into `out` (for the scikit-learn side) and reporting progress through `log`.
pub fn run_graph_sweep(
    config: &GraphSweepConfig,
    out: &Path,
    mut log: impl FnMut(&str),
) -> Result<GraphSweepReport> {
    config.check()?;
    let max_n = *config.sizes.iter().max().unwrap_or(&0);
    let fm = FashionMnistConfig {
        limit: Some(max_n),
        ..config.fashion_mnist.clone()
    };
    let data = load_fashion_mnist(&fm, Split::Train)?;
    let k = config.exact.k;
    let mut rows = Vec::new();
    for &d in &config.dims {
        let full = project(&data.features, d, config.seed);
        for &n in &config.sizes {
            let x = full.rows(0, n.min(full.nrows())).into_owned();
            let n = x.nrows();
            let data_file = format!("fmnist_{n}x{d}.npy");
            let indices_file = format!("fmnist_{n}x{d}_knn{k}.npy");
            write_atomic(out.join(&data_file), &encode_npy(&x))?;
            log(&format!("exact {k}-NN of {n} × {d} ..."));
            let t = Instant::now();
            let exact = knn_exact(&x, &config.exact)?;
            let exact_seconds = t.elapsed().as_secs_f64();
            log(&format!("  {exact_seconds:.2} s"));
            write_atomic(
                out.join(&indices_file),
                &encode_npy(&indices_matrix(&exact)),
            )?;
            let (mut hb, mut hq, mut hr) = (None, None, None);
            if n >= config.hnsw_min_points {
                let params = HnswParams { k, ..config.hnsw };
                log(&format!("HNSW {k}-NN of {n} × {d} ..."));
                let (approx, timings) = knn_hnsw(&x, &params)?;
                let recall = approx.recall_against(&exact)?;
                log(&format!(
                    "  build {:.2} s, query {:.2} s, recall@{k} {recall:.4}",
                    timings.build_seconds, timings.query_seconds
                ));
                hb = Some(timings.build_seconds);
                hq = Some(timings.query_seconds);
                hr = Some(recall);
            }
            rows.push(KnnRow {
                n,
                d,
                exact_seconds,
                hnsw_build_seconds: hb,
                hnsw_query_seconds: hq,
                hnsw_recall: hr,
                data_file,
                indices_file,
            });
        }
    }

    let mut batch_rows = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let b = &config.batch;
    for &d in &b.dims {
        let full = project(&data.features, d, config.seed.wrapping_add(1));
        let mut builder = BatchGraphBuilder::new(b.graph)?;
        let mut times = Vec::new();
        let mut sparse_times = Vec::new();
        for call in 0..2 * b.calls {
            let idx = sample(&mut rng, full.nrows(), b.size);
            let x = DMatrix::from_fn(b.size, d, |i, j| full[(idx.index(i), j)]);
            let t = Instant::now();
            let g = builder.build(&x)?;
            let dt = t.elapsed().as_secs_f64();
            std::hint::black_box(g.laplacian[(0, 0)]);
            let t = Instant::now();
            let sg = builder.build_sparse(&x)?;
            let ds = t.elapsed().as_secs_f64();
            std::hint::black_box(sg.affinity.nnz());
            if call >= b.calls {
                times.push(dt * 1e6);
                sparse_times.push(ds * 1e6);
            }
        }
        times.sort_by(f64::total_cmp);
        sparse_times.sort_by(f64::total_cmp);
        let row = BatchRow {
            m: b.size,
            d,
            k: b.graph.knn.k,
            median_micros: times[times.len() / 2],
            mean_micros: times.iter().sum::<f64>() / times.len() as f64,
            sparse_median_micros: Some(sparse_times[sparse_times.len() / 2]),
        };
        log(&format!(
            "batch graph {} × {d}, k = {}: median {:.0} µs per call",
            row.m, row.k, row.median_micros
        ));
        batch_rows.push(row);
    }
    Ok(GraphSweepReport {
        config: config.clone(),
        threads: config.exact.effective_threads(max_n),
        knn: rows,
        batch: batch_rows,
    })
}

/// scikit-learn timings written by `scripts/bench_sklearn_knn.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SklearnKnn {
    /// `sklearn`, `numpy` and `scipy` versions.
    pub versions: std::collections::BTreeMap<String, String>,
    /// One row per data file.
    pub rows: Vec<SklearnRow>,
}

/// One scikit-learn measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SklearnRow {
    /// The data file timed.
    pub data_file: String,
    /// Fit + kneighbors, seconds.
    pub seconds: f64,
    /// Fraction of our exact neighbours that scikit-learn also returns.
    pub agreement: f64,
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.digits$}"))
}

/// The report as Markdown tables, with scikit-learn's times and the ratios when given.
pub fn graph_sweep_markdown(r: &GraphSweepReport, sk: Option<&SklearnKnn>) -> String {
    let k = r.config.exact.k;
    let mut s = format!(
        "Exact and HNSW {k}-NN of Fashion-MNIST training images ({} threads).\n\n\
         | points × dims | ours exact (s) | scikit-learn brute (s) | speed-up | agreement | HNSW build + query (s) | HNSW recall@{k} | HNSW vs ours exact |\n\
         |---|---|---|---|---|---|---|---|\n",
        r.threads
    );
    for row in &r.knn {
        let skr = sk.and_then(|s| s.rows.iter().find(|x| x.data_file == row.data_file));
        let hnsw_total = row
            .hnsw_build_seconds
            .zip(row.hnsw_query_seconds)
            .map(|(a, b)| a + b);
        s.push_str(&format!(
            "| {} × {} | {:.2} | {} | {} | {} | {} | {} | {} |\n",
            row.n,
            row.d,
            row.exact_seconds,
            fmt_opt(skr.map(|x| x.seconds), 2),
            skr.map_or("–".into(), |x| format!(
                "{:.1}×",
                x.seconds / row.exact_seconds
            )),
            fmt_opt(skr.map(|x| x.agreement), 5),
            match (row.hnsw_build_seconds, row.hnsw_query_seconds) {
                (Some(a), Some(b)) => format!("{a:.2} + {b:.2}"),
                _ => "–".into(),
            },
            fmt_opt(row.hnsw_recall, 4),
            hnsw_total.map_or("–".into(), |t| format!("{:.2}×", row.exact_seconds / t)),
        ));
    }
    s.push_str(
        "\nBatch graph per call (buffers reused, threads as configured): dense (kNN + Gaussian affinity + L_N \
         as matrices) and sparse (kNN + CSR affinity + components, what the trainer builds).\n\n\
         | points × dims | k | dense median (µs) | dense mean (µs) | sparse median (µs) |\n|---|---|---|---|---|\n",
    );
    for b in &r.batch {
        s.push_str(&format!(
            "| {} × {} | {} | {:.0} | {:.0} | {} |\n",
            b.m,
            b.d,
            b.k,
            b.median_micros,
            b.mean_micros,
            b.sparse_median_micros
                .map_or("–".into(), |v| format!("{v:.0}"))
        ));
    }
    if let Some(sk) = sk {
        let v: Vec<String> = sk
            .versions
            .iter()
            .map(|(a, b)| format!("{a} {b}"))
            .collect();
        s.push_str(&format!("\nscikit-learn side: {}.\n", v.join(", ")));
    }
    s
}

/// Where the sweep writes by default.
pub fn default_out_dir() -> PathBuf {
    PathBuf::from("target/graph-sweep")
}

crate::engine::experiment! {
    /// `sweep graph` as an [`Experiment`](crate::Experiment).
    pub struct GraphSweep = "graph" writes "report";
    config GraphSweepConfig = GraphSweepConfig::default(), out out_dir;
    report GraphSweepReport;
    check(config) { config.check() }
    run(config, ctx) { run_graph_sweep(config, &config.out_dir, |m| ctx.note(m)) }
    markdown(report) { graph_sweep_markdown(report, None) }
    render(report, out) {
        let theirs: Option<SklearnKnn> = crate::engine::read_json_if_present(&out.join("sklearn.json"))?;
        Ok(crate::Rendered::markdown(graph_sweep_markdown(report, theirs.as_ref())))
    }
}

/// The command line of `basis sweep graph` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::Args;

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
}
