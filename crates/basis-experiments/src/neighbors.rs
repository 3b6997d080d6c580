//! Sensitivity to the graph's neighbourhood size (BASiS Fig. 4): the whole Table 1
//! comparison ([`run_table1`]) repeated for every number of neighbours k, which sets both the
//! batch graphs every method trains on and the test graph of the analytic embedding (the
//! ground truth of d_G).
//!
//! Writes into `out_dir`: one `k-<k>/` directory per k (that k's table and models, resumable),
//! `neighbors.json`, `neighbors.md` (one table per metric, methods × k) and `neighbors.png`
//! (one chart per metric, mean ± std over the seeds, and a legend).

use crate::table1::{METRICS, MethodResults, Table1, Table1Comparison, Table1Config};
use crate::{ExperimentError, Result};
use basis_plot::{Cell, Chart, Figure, Layer, Legend, Series};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Configuration of the sweep. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeighborSweepConfig {
    /// The comparison run at every k (its `knn.k` and `out_dir` are replaced per k).
    pub table: Table1Config,
    /// Numbers of neighbours.
    pub neighbors: Vec<usize>,
    /// Where everything goes.
    pub out_dir: PathBuf,
}

impl Default for NeighborSweepConfig {
    /// The paper's Fig. 4 values of k with the Table 1 setting otherwise.
    fn default() -> Self {
        Self {
            table: Table1Config::default(),
            neighbors: vec![10, 20, 30, 50, 75, 100],
            out_dir: PathBuf::from("results/sweep-neighbors"),
        }
    }
}

impl NeighborSweepConfig {
    /// Checks the list of k: not empty, no repeats, each at least the neighbour whose
    /// distance sets the Gaussian scale and below the batch size.
    pub fn check(&self) -> Result<()> {
        let mut ks = self.neighbors.clone();
        ks.sort_unstable();
        ks.dedup();
        if ks.is_empty() || ks.len() != self.neighbors.len() {
            return Err(ExperimentError::InvalidConfig(format!(
                "neighbours must be a non-empty list without repeats, got {:?}",
                self.neighbors
            )));
        }
        for &k in &ks {
            self.table_for(k)
                .experiment
                .basis
                .graph
                .check_batch_size(self.table.experiment.basis.batch_size)?;
        }
        Ok(())
    }

    /// The comparison's configuration at `k` neighbours.
    pub fn table_for(&self, k: usize) -> Table1Config {
        let mut t = self.table.clone();
        t.experiment.basis.graph.knn.k = k;
        t.experiment.out_dir = self.out_dir.join(format!("k-{k}"));
        t
    }
}

/// The comparison at one k.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NeighborPoint {
    /// Number of neighbours.
    pub k: usize,
    /// Table 1 at this k.
    pub table: Table1,
}

/// The whole sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NeighborSweep {
    /// Configuration.
    pub config: NeighborSweepConfig,
    /// Seeds of every point.
    pub seeds: Vec<u64>,
    /// One entry per k, in the configured order.
    pub points: Vec<NeighborPoint>,
}

impl NeighborSweep {
    /// The row names (the same at every k).
    pub fn methods(&self) -> Vec<String> {
        self.points.first().map_or(Vec::new(), |p| {
            p.table.rows.iter().map(|r| r.method.clone()).collect()
        })
    }

    fn row(&self, point: usize, method: &str) -> Option<&MethodResults> {
        self.points[point]
            .table
            .rows
            .iter()
            .find(|r| r.method == method)
    }
}

/// Runs the comparison at every k (each resumable on its own, each writing its Table 1 into
/// `k-<k>/`). The sweep's own JSON, table and figure are the engine's
/// ([`crate::engine::run`]`::<`[`Neighbors`]`>`).
pub fn run_neighbor_sweep(
    config: &NeighborSweepConfig,
    seeds: &[u64],
    progress: bool,
) -> Result<NeighborSweep> {
    config.check()?;
    let mut points = Vec::with_capacity(config.neighbors.len());
    for &k in &config.neighbors {
        if progress {
            eprintln!("[sweep] k = {k}");
        }
        let ctx = crate::RunContext::new(seeds.to_vec(), progress);
        let table = crate::engine::run::<Table1Comparison>(&config.table_for(k), &ctx)?.report;
        points.push(NeighborPoint { k, table });
    }
    let sweep = NeighborSweep {
        config: config.clone(),
        seeds: seeds.to_vec(),
        points,
    };
    Ok(sweep)
}

crate::engine::experiment! {
    /// `neighbors` as an [`Experiment`](crate::Experiment).
    pub struct Neighbors = "neighbors" writes "neighbors";
    config NeighborSweepConfig = NeighborSweepConfig::default(), out out_dir;
    report NeighborSweep;
    check(config) {
        config.check()?;
        config.table.experiment.check()
    }
    run(config, ctx) { run_neighbor_sweep(config, &ctx.seeds, ctx.progress) }
    markdown(report) { neighbor_sweep_markdown(report) }
    figures(report, _) { Ok(vec![("neighbors".to_string(), neighbor_sweep_plot(report))]) }
}

/// One markdown table per metric: methods down, k across, mean ± std over the seeds.
pub fn neighbor_sweep_markdown(s: &NeighborSweep) -> String {
    let e = &s.config.table.experiment;
    let mut out = format!(
        "# Sensitivity to the number of neighbours on {} ({} seeds per point)\n\n\
         K = {}, m = {}, {} iterations; k sets both the batch graphs and the test graph of d_G.\n",
        e.dataset,
        s.seeds.len(),
        e.basis.embedding.k,
        e.basis.batch_size,
        e.basis.iterations,
    );
    let header: String = s.points.iter().map(|p| format!(" k = {} |", p.k)).collect();
    let rule: String = s.points.iter().map(|_| "---|").collect();
    for (j, metric) in METRICS.iter().enumerate() {
        out += &format!("\n## {metric}\n\n| method |{header}\n|---|{rule}\n");
        for m in s.methods() {
            out += &format!("| {m} |");
            for i in 0..s.points.len() {
                let cell = s.row(i, &m).map_or("—".to_string(), |r| {
                    let a = r.aggregate()[j];
                    let failed = if r.failures.is_empty() {
                        String::new()
                    } else {
                        format!(" ({} failed)", r.failures.len())
                    };
                    if a.mean.is_finite() {
                        format!("{:.3} ± {:.3}{failed}", a.mean, a.std)
                    } else {
                        format!("—{failed}")
                    }
                });
                out += &format!(" {cell} |");
            }
            out += "\n";
        }
    }
    let failures: Vec<String> = s
        .points
        .iter()
        .flat_map(|p| {
            p.table.rows.iter().flat_map(move |r| {
                r.failures.iter().map(move |(seed, why)| {
                    format!("- k = {}, {} seed {seed}: {why}", p.k, r.method)
                })
            })
        })
        .collect();
    if !failures.is_empty() {
        out += "\nRuns that failed in training (left out of the means):\n\n";
        out += &failures.join("\n");
        out += "\n";
    }
    out
}

/// The Fig. 4 style figure: one chart per metric (mean ± std over the seeds against k), each
/// method in its colour of every figure, and the legend in the sixth cell of a 3 × 2 grid.
pub fn neighbor_sweep_plot(s: &NeighborSweep) -> Figure {
    let ks: Vec<f64> = s.points.iter().map(|p| p.k as f64).collect();
    let methods = s.methods();
    let mut cells = Vec::new();
    let mut all = Vec::new();
    for (j, metric) in METRICS.iter().enumerate() {
        let title = match j {
            0 => "d_{G} (lower is better)",
            1 => "d_{⊥} (lower is better)",
            4 => "linear-probe accuracy (%)",
            _ => metric,
        };
        let mut chart = Chart {
            x_ticks: Some(ks.clone()),
            ..Chart::new(title, "neighbours k")
        };
        let mut colours_seen: Vec<basis_plot::Rgb> = Vec::new();
        for m in &methods {
            let stats: Vec<_> = (0..s.points.len())
                .map(|i| s.row(i, m).map(|r| r.aggregate()[j]))
                .collect();
            let mut series = Series::method(
                m,
                ks.clone(),
                stats
                    .iter()
                    .map(|a| a.map_or(f64::NAN, |a| a.mean))
                    .collect(),
                stats
                    .iter()
                    .map(|a| a.map_or(f64::NAN, |a| a.std))
                    .collect(),
            );
            // A second row of the same method (SpecNet2 post-processed two ways) is dashed.
            if colours_seen.contains(&series.colour) {
                series.dashed = true;
            }
            colours_seen.push(series.colour);
            if j == 0 {
                all.push(series.clone());
            }
            chart = chart.with(Layer::Series(series));
        }
        cells.push(Cell::Chart(Box::new(chart)));
    }
    cells.push(Cell::Legend);
    let mut figure = Figure::new(3, (400, 300), cells);
    figure.legend = Some(Legend::of(
        &all.iter().collect::<Vec<_>>(),
        &format!("mean ± std over {} seeds", s.seeds.len()),
    ));
    figure
}

#[cfg(test)]
mod tests {
    use super::*;
    use basis_metrics::Report;

    fn report(g: f64) -> Report {
        Report {
            n_points: 100,
            dim: 10,
            grassmann: Some(g),
            orthogonality: Some(0.02),
            nmi: Some(0.8),
            nmi_arithmetic: Some(0.8),
            acc: Some(0.85),
            probe_accuracy: Some(0.9),
        }
    }

    #[test]
    fn the_figure_is_written_as_png_and_svg() {
        let points = [10, 20, 50]
            .iter()
            .map(|&k| NeighborPoint {
                k,
                table: Table1 {
                    config: Table1Config::default(),
                    seeds: vec![0, 1],
                    rows: ["basis", "spectralnet"]
                        .iter()
                        .map(|m| MethodResults {
                            method: m.to_string(),
                            reports: vec![report(0.1 * k as f64 / 10.0), report(0.12)],
                            ms_per_iteration: vec![20.0, 21.0],
                            failures: vec![],
                        })
                        .collect(),
                },
            })
            .collect();
        let sweep = NeighborSweep {
            config: NeighborSweepConfig::default(),
            seeds: vec![0, 1],
            points,
        };
        let dir = std::env::temp_dir().join(format!("neighbors-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let seen = neighbor_sweep_plot(&sweep)
            .save(dir.join("neighbors"))
            .unwrap()
            .inspect()
            .unwrap();
        assert_eq!(seen.png_size, (1200, 600));
        for text in ["BASiS", "SpectralNet", "neighbours k", "over 2 seeds", "50"] {
            assert!(seen.svg_text.contains(text), "{text}: {}", seen.svg_text);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The command line of `basis sweep neighbors` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::Args;
    use crate::table1::cli::ComparisonArgs;

    fn default_neighbors() -> String {
        list(&NeighborSweepConfig::default().neighbors)
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
}
