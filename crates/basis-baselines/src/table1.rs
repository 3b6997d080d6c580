//! BASiS Table 1 on one data set: BASiS and the three baselines on the same features, graph,
//! K, batch size and iterations, scored by the same metrics, mean ± std over seeds, beside
//! the paper's Fashion-MNIST column. Every method goes through the same loop: fit, embed the
//! training and test points, [`Report::evaluate`].

use crate::Result;
use crate::methods::{BaselineConfig, Embedder, Method, fit_baseline};
use crate::rayleigh_ritz::rayleigh_ritz;
use basis_metrics::{KMeansParams, Report, ReportInputs, ReportParams};
use basis_nn::experiment::{ExperimentConfig, MeanStd, Prepared, prepare, run_seed};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
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
    /// Where BASiS's seed directories live (resumed and re-scored when their configuration
    /// matches).
    pub basis_runs: PathBuf,
}

impl Default for Table1Config {
    fn default() -> Self {
        let experiment = ExperimentConfig {
            out_dir: PathBuf::from("results/table1"),
            feature_cache: Some(PathBuf::from("results/basis-fashion-mnist/features")),
            ..Default::default()
        };
        Self {
            baseline: BaselineConfig {
                // 1e-4 leaves SpectralNet and SpecNet2 far from converged in 1000 steps.
                learning_rate: 1e-3,
                ..Default::default()
            },
            basis_runs: PathBuf::from("results/table1/BASiS"),
            experiment,
        }
    }
}

/// One method's results over the seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MethodResults {
    /// Row name.
    pub method: String,
    /// One report per seed.
    pub reports: Vec<Report>,
    /// Training milliseconds per iteration, per seed.
    pub ms_per_iteration: Vec<f64>,
}

impl MethodResults {
    /// Mean ± std of d_G, d_⊥, NMI, ACC and probe accuracy (%).
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
    )
    .map_err(basis_nn::NnError::from)?)
}

/// Runs every method for every seed; writes `table1.md`, `table1.json` and the models.
pub fn run_table1(config: &Table1Config, seeds: &[u64], progress: bool) -> Result<Table1> {
    let exp = &config.experiment;
    let p = prepare(exp, progress)?;
    let out = &exp.out_dir;
    let names = [
        "BASiS",
        "Diffusion Net",
        "SpectralNet",
        "SpecNet2 (Rayleigh–Ritz on training batches)",
        "SpecNet2 (Rayleigh–Ritz on the test set, as the paper)",
    ];
    let mut rows: Vec<MethodResults> = names
        .iter()
        .map(|n| MethodResults {
            method: n.to_string(),
            reports: Vec::new(),
            ms_per_iteration: Vec::new(),
        })
        .collect();
    for &seed in seeds {
        let basis = run_seed(
            exp,
            &p.features,
            &p.data.train.labels,
            &p.data.test.labels,
            &p.analytic,
            seed,
            &config.basis_runs.join(format!("seed-{seed}")),
            progress,
        )?;
        rows[0].reports.push(basis.report);
        rows[0].ms_per_iteration.push(basis.timing.total_ms);
        let bc = BaselineConfig {
            graph: exp.basis.graph,
            k: exp.basis.embedding.k,
            batch_size: exp.basis.batch_size,
            iterations: exp.basis.iterations,
            seed,
            ..config.baseline.clone()
        };
        for (row, method) in [
            (1, Method::DiffusionNet),
            (2, Method::SpectralNet),
            (3, Method::SpecNet2),
        ] {
            let bar = basis_nn::progress::progress_bar(
                bc.iterations,
                progress,
                &format!("{} seed {seed}", method.name()),
            );
            let t = Instant::now();
            let model = fit_baseline(method, &p.features.train, &bc, &mut |_, loss| {
                bar.inc(1);
                bar.set_message(format!("loss {loss:.4}"));
            })?;
            bar.finish_and_clear();
            let ms = 1e3 * t.elapsed().as_secs_f64() / bc.iterations as f64;
            model.save(out.join(format!("{}/seed-{seed}", method.name().replace(' ', "-"))))?;
            let test_out = model.embed(&p.features.test)?;
            let train_out = model.embed(&p.features.train)?;
            rows[row]
                .reports
                .push(score(&p, exp, seed, &test_out, &train_out)?);
            rows[row].ms_per_iteration.push(ms);
            if method == Method::SpecNet2 {
                // The paper's post-processing: Rayleigh–Ritz on the whole test graph.
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
                rows[4]
                    .reports
                    .push(score(&p, exp, seed, &ritz.vectors, &train_out)?);
                rows[4].ms_per_iteration.push(ms);
            }
            if progress {
                eprintln!(
                    "{}",
                    rows[row].reports.last().map_or(String::new(), |r| r
                        .markdown_row(&format!("{} seed {seed}", method.name())))
                );
            }
        }
    }
    let table = Table1 {
        config: config.clone(),
        seeds: seeds.to_vec(),
        rows,
    };
    basis_data::io::write_atomic(
        out.join("table1.json"),
        serde_json::to_string_pretty(&table)
            .map_err(basis_nn::NnError::from)?
            .as_bytes(),
    )
    .map_err(basis_nn::NnError::from)?;
    basis_data::io::write_atomic(out.join("table1.md"), table1_markdown(&table).as_bytes())
        .map_err(basis_nn::NnError::from)?;
    Ok(table)
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
