//! BASiS across cluster tightness: the `subspace-blobs` data set with its within-class spread
//! varied (from loose, overlapping clusters down to nearly point-like ones), Algorithm 1 over
//! seeds at each spread, and the analytic test embedding's NMI and ACC beside the network's
//! (`cargo xtask sweep tightness`).
//!
//! Beside the usual metrics every point reports the Grassmann distance between the analytic
//! test eigenspace and the span of the class indicators: on tight clusters `L_N`'s leading
//! eigenvectors are `D^{1/2} 1_c` per cluster, so even a perfect clustering is that far from the
//! analytic space; it is the floor of d_G for an embedding that knows the clusters but not
//! the test graph's degrees.

use crate::fashion_mnist::BasisRow;
use crate::prepare::{ExperimentConfig, FeatureSource, SUBSPACE_BLOBS};
use crate::stats::MeanStd;
use crate::{ExperimentError, Result};
use basis_data::npy::read_npy;
use basis_plot::{Cell, Chart, Figure, Layer, Legend, Scale, Series};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Configuration of the sweep. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TightnessSweepConfig {
    /// The reproduction run at every spread (`blobs.spread` and `out_dir` are set per point;
    /// `dataset` must be `subspace-blobs` and `features` raw).
    pub experiment: ExperimentConfig,
    /// Within-class mean distance to the centroid, in units of the median centroid distance.
    pub spreads: Vec<f64>,
    /// Where everything goes.
    pub out_dir: PathBuf,
}

impl Default for TightnessSweepConfig {
    fn default() -> Self {
        Self {
            experiment: ExperimentConfig {
                dataset: SUBSPACE_BLOBS.into(),
                features: FeatureSource::Raw,
                ..Default::default()
            },
            spreads: vec![0.3, 0.2, 0.1, 0.05, 0.035, 0.02, 0.01, 0.005, 0.003],
            out_dir: PathBuf::from("results/sweep-tightness"),
        }
    }
}

/// One spread's result (mean ± std over the seeds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TightnessPoint {
    /// The spread.
    pub spread: f64,
    /// d_G, d_⊥, NMI, ACC and probe accuracy (%) of the network's test embedding.
    pub basis: [MeanStd; 5],
    /// Final loss (Eq. 15, mean of the last 50 trained iterations).
    pub final_loss: MeanStd,
    /// Batches skipped, summed over the seeds.
    pub skipped_batches: usize,
    /// Mean RANSAC inlier fraction.
    pub inlier_fraction: MeanStd,
    /// NMI and ACC of the analytic eigenvectors of the test graph.
    pub analytic_nmi_acc: [f64; 2],
    /// d_G between the class indicators and the analytic test eigenspace (NaN, written as
    /// `null`, when the number of classes is not K).
    #[serde(with = "basis_nn::json_nan")]
    pub indicator_grassmann: f64,
    /// λ_K and λ_{K+1} of the test graph.
    pub test_gap: [f64; 2],
}

/// The whole sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TightnessSweep {
    /// The configuration.
    pub config: TightnessSweepConfig,
    /// Seeds run at every spread.
    pub seeds: Vec<u64>,
    /// One point per spread, in the configured order.
    pub points: Vec<TightnessPoint>,
}

/// Runs the sweep: one reproduction directory per spread (`spread-X/`, resumable like any
/// reproduction). The sweep's `tightness.{json,md,png,svg}` are the engine's
/// ([`crate::engine::run`]`::<`[`Tightness`]`>`).
pub fn run_tightness_sweep(
    config: &TightnessSweepConfig,
    seeds: &[u64],
    progress: bool,
) -> Result<TightnessSweep> {
    if config.spreads.is_empty() {
        return Err(ExperimentError::InvalidConfig("no spreads to sweep".into()));
    }
    let mut points = Vec::with_capacity(config.spreads.len());
    for &spread in &config.spreads {
        let mut e = config.experiment.clone();
        e.dataset = SUBSPACE_BLOBS.into();
        e.features = FeatureSource::Raw;
        e.blobs.spread = spread;
        e.out_dir = config.out_dir.join(format!("spread-{spread}"));
        let ctx = crate::RunContext::new(seeds.to_vec(), progress);
        let s = crate::engine::run::<BasisRow>(&e, &ctx)?.report;
        let analytic = read_npy(e.out_dir.join("analytic_test_embedding.npy"))?;
        let (_, test) = basis_data::clusters::subspace_blobs(&e.blobs)?;
        let test = basis_data::splits::restrict(&test, &e.classes, e.limit_test, "test")?;
        let classes = test.num_classes();
        let indicators = DMatrix::from_fn(test.len(), classes, |i, c| {
            f64::from(u8::from(test.labels[i] == c))
        });
        let indicator_grassmann = if classes == analytic.ncols() {
            basis_metrics::grassmann_distance(&indicators, &analytic)?
        } else {
            f64::NAN
        };
        let ev = &s.test_eigenvalues;
        let point = TightnessPoint {
            spread,
            basis: s.aggregate,
            final_loss: MeanStd::of(s.runs.iter().map(|r| r.final_loss)),
            skipped_batches: s.runs.iter().map(|r| r.skipped_batches).sum(),
            inlier_fraction: MeanStd::of(s.runs.iter().map(|r| r.mean_inlier_fraction)),
            analytic_nmi_acc: [
                s.analytic.nmi.unwrap_or(f64::NAN),
                s.analytic.acc.unwrap_or(f64::NAN),
            ],
            indicator_grassmann,
            test_gap: match ev.as_slice() {
                [.., a, b] => [*a, *b],
                _ => [f64::NAN; 2],
            },
        };
        if progress {
            eprintln!("{}", point_row(&point));
        }
        points.push(point);
    }
    let sweep = TightnessSweep {
        config: config.clone(),
        seeds: seeds.to_vec(),
        points,
    };
    Ok(sweep)
}

crate::engine::experiment! {
    /// `tightness` as an [`Experiment`](crate::Experiment).
    pub struct Tightness = "tightness" writes "tightness";
    config TightnessSweepConfig = TightnessSweepConfig::default(), out out_dir;
    report TightnessSweep;
    check(config) {
        if config.spreads.is_empty() {
            return Err(ExperimentError::InvalidConfig("no spreads to sweep".into()));
        }
        if let Some(s) = config.spreads.iter().find(|s| !(s.is_finite() && **s > 0.0 && **s <= 100.0)) {
            return Err(ExperimentError::InvalidConfig(format!(
                "spread {s} is not in (0, 100] (units of the median centroid distance)"
            )));
        }
        // The sweep generates its clusters: another data set or feature source would be
        // silently replaced, so it is refused.
        let e = &config.experiment;
        if e.dataset != SUBSPACE_BLOBS || e.features != FeatureSource::Raw {
            return Err(ExperimentError::InvalidConfig(format!(
                "the tightness sweep runs on generated {SUBSPACE_BLOBS} with raw features; \
                 experiment.dataset = {:?} and experiment.features = {:?} cannot apply",
                e.dataset, e.features
            )));
        }
        config.experiment.check()
    }
    run(config, ctx) { run_tightness_sweep(config, &ctx.seeds, ctx.progress) }
    markdown(report) { tightness_markdown(report) }
    figures(report, _) { Ok(vec![("tightness".to_string(), tightness_plot(report))]) }
}

fn point_row(p: &TightnessPoint) -> String {
    let pm = |m: &MeanStd| format!("{:.3} ± {:.3}", m.mean, m.std);
    format!(
        "| {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.2e} ± {:.1e} | {:.3} | {} | {:.2e} / {:.3} |",
        p.spread,
        pm(&p.basis[0]),
        pm(&p.basis[1]),
        pm(&p.basis[2]),
        pm(&p.basis[3]),
        p.analytic_nmi_acc[0],
        p.analytic_nmi_acc[1],
        p.indicator_grassmann,
        p.final_loss.mean,
        p.final_loss.std,
        p.inlier_fraction.mean,
        p.skipped_batches,
        p.test_gap[0],
        p.test_gap[1],
    )
}

/// The sweep as a markdown table.
pub fn tightness_markdown(s: &TightnessSweep) -> String {
    let e = &s.config.experiment;
    let mut out = format!(
        "# BASiS across cluster tightness ({} seeds per spread)\n\n\
         `subspace-blobs`: {} classes in a {}-dimensional subspace of R^{}, {} training / {} test \
         points; K = {}, m = {}, {} iterations. Spread: mean distance to the centroid over the \
         median centroid distance.\n\n\
         | spread | d_G ↓ | d_⊥ ↓ | NMI ↑ | ACC ↑ | analytic NMI | analytic ACC | d_G of indicators | \
         final loss | inlier fraction | skipped | test λ_K / λ_K+1 |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
        s.seeds.len(),
        e.blobs.classes,
        e.blobs.intrinsic_dim,
        e.blobs.ambient_dim,
        e.blobs.n_train,
        e.blobs.n_test,
        e.basis.embedding.k,
        e.basis.batch_size,
        e.basis.iterations,
    );
    for p in &s.points {
        out += &point_row(p);
        out.push('\n');
    }
    out
}

/// Five charts against the spread (log axis): d_G (with the class-indicator floor), d_⊥, NMI
/// and ACC (network and analytic), and the final loss; the legend in the sixth cell.
pub fn tightness_plot(s: &TightnessSweep) -> Figure {
    let x: Vec<f64> = s.points.iter().map(|p| p.spread).collect();
    let series = |key: &str, f: &dyn Fn(&TightnessPoint) -> (f64, f64)| {
        Series::method(
            key,
            x.clone(),
            s.points.iter().map(|p| f(p).0).collect(),
            s.points.iter().map(|p| f(p).1).collect(),
        )
    };
    let metric = |j: usize| move |p: &TightnessPoint| (p.basis[j].mean, p.basis[j].std);
    let charts: [(&str, Scale, Vec<Series>); 5] = [
        (
            "d_{G} (lower is better)",
            Scale::Linear,
            vec![
                series("basis", &metric(0)),
                series("indicators", &|p| (p.indicator_grassmann, f64::NAN)),
            ],
        ),
        (
            "d_{⊥} (lower is better)",
            Scale::Linear,
            vec![series("basis", &metric(1))],
        ),
        (
            "NMI",
            Scale::Linear,
            vec![
                series("basis", &metric(2)),
                series("analytic", &|p| (p.analytic_nmi_acc[0], f64::NAN)),
            ],
        ),
        (
            "ACC",
            Scale::Linear,
            vec![
                series("basis", &metric(3)),
                series("analytic", &|p| (p.analytic_nmi_acc[1], f64::NAN)),
            ],
        ),
        (
            "final training loss",
            Scale::Log10,
            vec![series("basis", &|p| (p.final_loss.mean, f64::NAN))],
        ),
    ];
    let mut cells: Vec<Cell> = charts
        .iter()
        .map(|(title, y_scale, lines)| {
            let chart = Chart {
                x_scale: Scale::Log10,
                y_scale: *y_scale,
                ..Chart::new(title, "cluster spread (log axis)")
            };
            let chart = lines
                .iter()
                .fold(chart, |c, l| c.with(Layer::Series(l.clone())));
            Cell::Chart(Box::new(chart))
        })
        .collect();
    cells.push(Cell::Legend);
    let legend_lines = [&charts[0].2[0], &charts[2].2[1], &charts[0].2[1]];
    let mut figure = Figure::new(3, (400, 300), cells);
    figure.legend = Some(Legend::of(
        &legend_lines,
        &format!("BASiS: mean ± std over {} seeds", s.seeds.len()),
    ));
    figure
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(mean: f64, std: f64) -> MeanStd {
        MeanStd { mean, std }
    }

    #[test]
    fn the_figure_is_written_as_png_and_svg() {
        let points = [0.3, 0.03, 0.003]
            .iter()
            .enumerate()
            .map(|(i, &spread)| TightnessPoint {
                spread,
                basis: [
                    m(0.2 * i as f64, 0.05),
                    m(0.01, f64::NAN),
                    m(0.9, 0.01),
                    m(0.95, 0.0),
                    m(97.0, 1.0),
                ],
                final_loss: m(10f64.powi(-(i as i32)), 0.0),
                skipped_batches: 0,
                inlier_fraction: m(0.9, 0.0),
                analytic_nmi_acc: [1.0, 1.0],
                indicator_grassmann: if i == 0 { f64::NAN } else { 0.01 },
                test_gap: [0.1, 0.9],
            })
            .collect();
        let sweep = TightnessSweep {
            config: TightnessSweepConfig::default(),
            seeds: vec![0, 1],
            points,
        };
        let dir = std::env::temp_dir().join(format!("tightness-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let seen = tightness_plot(&sweep)
            .save(dir.join("tightness"))
            .unwrap()
            .inspect()
            .unwrap();
        assert_eq!(seen.png_size, (1200, 600));
        for text in [
            "final training loss",
            "class indicators",
            "over 2 seeds",
            "0.03",
        ] {
            assert!(seen.svg_text.contains(text), "{text}: {}", seen.svg_text);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The command line of `basis sweep tightness` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::Args;

    fn default_spreads() -> String {
        list(&TightnessSweepConfig::default().spreads)
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
}
