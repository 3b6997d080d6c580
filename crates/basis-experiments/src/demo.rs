//! The main job: BASiS Algorithm 1 on a toy data set (paper Sec. 5.2, Fig. 1).
//!
//! Trains on 9000 points of three moons with batches of 256 fresh points plus
//! 9 anchors (3 per moon), K = 2 first non-trivial eigenvectors of `L = D − W`,
//! then clusters the network's outputs on held-out points with k-means and
//! reports NMI and ACC. Writes a Fig. 1-style PNG (each embedding coordinate as
//! colour over the plane, with the held-out clustering), the model and a JSON report.

use crate::Result;
use basis_align::AlignConfig;
use basis_data::sampling::sample_anchors_per_class;
use basis_data::toy::{ToyKind, ToyParams};
use basis_methods::basis::{BasisConfig, BasisModel, IterationLog};
use basis_metrics::{KMeansParams, Report, ReportInputs, ReportParams, kmeans};
use basis_plot::{
    Cell, Chart, Field, Figure, Layer, Legend, LegendEntry, Mark, Points, categorical, diverging,
    padded_range,
};
use basis_spectral::analytic_embedding;
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Configuration of the toy demo. Serialisable; written into the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoConfig {
    /// Which toy shape.
    pub toy: ToyKind,
    /// Training set: size, noise, seed.
    pub train: ToyParams,
    /// Held-out points scored after training (drawn with seed `train.seed + 1`).
    pub test_size: usize,
    /// Anchors drawn from every class (the paper's Fig. 3 uses 9 anchors on three moons).
    pub anchors_per_class: usize,
    /// The BASiS trainer's configuration.
    pub basis: BasisConfig,
    /// Where the outputs go.
    pub out_dir: PathBuf,
}

impl Default for DemoConfig {
    fn default() -> Self {
        let anchors_per_class = 3;
        Self {
            toy: ToyKind::ThreeMoons,
            train: ToyParams {
                n_samples: 9000,
                noise: 0.05,
                seed: 0,
            },
            test_size: 3000,
            anchors_per_class,
            basis: BasisConfig {
                graph: crate::alignment_spread::three_moons_graph(),
                embedding: crate::alignment_spread::three_moons_embedding(),
                batch_size: 256 + 3 * anchors_per_class,
                iterations: 1000,
                learning_rate: 1e-3,
                lr_schedule: Default::default(),
                mlp: Default::default(),
                // Nine anchors: RANSAC's 20-anchor samples would be the whole set, so the toy
                // uses plain least squares.
                align: AlignConfig::least_squares(),
                max_skipped_fraction: 0.1,
                seed: 0,
                standardize_inputs: true,
                input_noise: 0.0,
            },
            out_dir: PathBuf::from("runs/demo"),
        }
    }
}

/// What the demo measured and wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoReport {
    /// The configuration that produced this report.
    pub config: DemoConfig,
    /// Table 1's numbers on the held-out points: d_G to the analytic eigenvectors of the
    /// held-out graph (same graph parameters), d_⊥ (unit-norm columns), NMI and ACC of k-means
    /// on the network's outputs, and the linear probe trained on the training outputs.
    pub metrics: Report,
    /// Seconds spent scoring (analytic eigenvectors of the held-out graph included).
    pub eval_seconds: f64,
    /// Mean loss over the last 50 iterations.
    pub final_loss: f64,
    /// Mean wall time per training iteration, in milliseconds.
    pub ms_per_iteration: f64,
    /// Mean time per iteration in graph + eigenvectors, alignment and gradient step (ms).
    pub ms_breakdown: [f64; 3],
    /// Batches skipped as degenerate.
    pub skipped_batches: usize,
    /// Total training time, seconds.
    pub train_seconds: f64,
    /// With `--seeds N`: every seed's scores (this report's own seed first); the figure, the
    /// saved model and the fields above are the first seed's. Empty for a one-seed run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<DemoSeed>,
}

/// One seed's scores, for the table over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoSeed {
    /// The seed (data, anchors, network, alignment).
    pub seed: u64,
    /// The held-out scores.
    pub metrics: Report,
    /// Mean wall time per training iteration, in milliseconds.
    pub ms_per_iteration: f64,
    /// Batches skipped as degenerate.
    pub skipped_batches: usize,
}

/// Runs the demo for every seed of `seeds` (the configuration's own seed when empty): the
/// first seed's report, with every seed's scores in [`DemoReport::seeds`]. A later seed's
/// model goes to `OUT/seed-<s>/`.
pub fn run_demo_seeds(config: &DemoConfig, seeds: &[u64], progress: bool) -> Result<DemoReport> {
    let over = crate::engine::over_seeds(
        seeds,
        &config.out_dir,
        |s, out| {
            let mut c = config.clone();
            c.basis.seed = s;
            c.basis.align.seed = s;
            c.train.seed = s;
            c.out_dir = out;
            run_demo(&c, progress)
        },
        |r, seed| DemoSeed {
            seed,
            metrics: r.metrics.clone(),
            ms_per_iteration: r.ms_per_iteration,
            skipped_batches: r.skipped_batches,
        },
    )?;
    let Some((mut report, rows)) = over else {
        return run_demo(config, progress);
    };
    if rows.len() > 1 {
        report.seeds = rows;
    }
    Ok(report)
}

/// Runs the demo. `progress` shows an indicatif bar.
pub fn run_demo(config: &DemoConfig, progress: bool) -> Result<DemoReport> {
    let train = config.toy.generate(&config.train)?;
    let test = test_points(config)?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.basis.seed ^ 0xA5A5);
    let anchors = sample_anchors_per_class(&train.labels, config.anchors_per_class, &mut rng)?;

    let bar = basis_nn::progress::progress_bar(config.basis.iterations, progress, "training");
    let t = Instant::now();
    let mut observer = |log: &IterationLog| {
        bar.inc(1);
        if log.iteration % 20 == 0 {
            bar.set_message(format!(
                "loss {:.4} anchor residual {:.2e}",
                log.loss, log.anchor_rms_residual
            ));
        }
    };
    let (model, logs) = BasisModel::fit(&train.features, &anchors, &config.basis, &mut observer)?;
    let train_seconds = t.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let t_eval = Instant::now();
    let outputs_test = model.embed(&test.features)?;
    let outputs_train = model.embed(&train.features)?;
    // The ground truth of d_G: the whole test graph, sparse, by Lanczos.
    let analytic =
        analytic_embedding(&test.features, &config.basis.graph, &config.basis.embedding)?
            .embedding
            .coords;
    let kmeans_params = KMeansParams {
        k: config.toy.num_classes(),
        seed: config.basis.seed,
        ..Default::default()
    };
    let metrics = Report::evaluate(
        &ReportInputs {
            embedding: &outputs_test,
            labels: Some(&test.labels),
            analytic: Some(&analytic),
            probe_train: Some((&outputs_train, &train.labels)),
        },
        &ReportParams {
            kmeans: kmeans_params,
            ..Default::default()
        },
    )?;
    let eval_seconds = t_eval.elapsed().as_secs_f64();

    let trained: Vec<&IterationLog> = logs.iter().filter(|l| l.skipped.is_none()).collect();
    let final_loss = basis_methods::basis::trainer::final_loss(&logs);
    let count = trained.len().max(1) as f64;
    let ms_breakdown = [
        1e3 * trained.iter().map(|l| l.spectral_seconds).sum::<f64>() / count,
        1e3 * trained.iter().map(|l| l.align_seconds).sum::<f64>() / count,
        1e3 * trained.iter().map(|l| l.step_seconds).sum::<f64>() / count,
    ];

    let dir = &config.out_dir;
    model.save(dir.join("model"))?;
    basis_data::io::write_atomic(
        dir.join("train_log.json"),
        serde_json::to_string(&logs)?.as_bytes(),
    )?;
    Ok(DemoReport {
        config: config.clone(),
        metrics,
        eval_seconds,
        final_loss,
        ms_per_iteration: 1e3 * train_seconds / config.basis.iterations as f64,
        ms_breakdown,
        skipped_batches: logs.len() - trained.len(),
        train_seconds,
        seeds: Vec::new(),
    })
}

/// The held-out points of `config` (drawn with seed `train.seed + 1`).
fn test_points(config: &DemoConfig) -> Result<basis_data::LabeledData> {
    Ok(config.toy.generate(&ToyParams {
        n_samples: config.test_size,
        seed: config.train.seed.wrapping_add(1),
        ..config.train
    })?)
}

/// The demo's summary: the held-out scores, the loss, the time per stage.
pub fn demo_markdown(r: &DemoReport) -> String {
    let c = &r.config;
    let m = &r.metrics;
    let show = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.4}"));
    format!(
        "# BASiS demo: {:?}\n\n\
         {} training points, batches of {} ({} anchors), K = {}, {} iterations; \
         {} held-out points.\n\n\
         {}\n{}\n\n\
         NMI (arithmetic): {}; evaluation {:.1} s.\n\n\
         final loss (Eq. 15): {:.5}; {:.2} ms per iteration (graph+eigen {:.2}, align {:.2}, \
         step {:.2}); {} skipped batches; training {:.1} s.\n",
        c.toy,
        c.train.n_samples,
        c.basis.batch_size,
        c.anchors_per_class * c.toy.num_classes(),
        c.basis.embedding.k,
        c.basis.iterations,
        c.test_size,
        Report::markdown_header(),
        m.markdown_row("BASiS (ours)"),
        show(m.nmi_arithmetic),
        r.eval_seconds,
        r.final_loss,
        r.ms_per_iteration,
        r.ms_breakdown[0],
        r.ms_breakdown[1],
        r.ms_breakdown[2],
        r.skipped_batches,
        r.train_seconds,
    ) + &seeds_markdown(&r.seeds)
}

/// The table over seeds (empty for one seed): a row per seed and the mean ± std.
fn seeds_markdown(seeds: &[DemoSeed]) -> String {
    if seeds.is_empty() {
        return String::new();
    }
    let mut md = format!(
        "\nOver {} seeds (training points, anchors, network and alignment all drawn from the \
         seed):\n\n\
         | seed | d_G ↓ | d_⊥ ↓ | NMI ↑ | ACC ↑ | probe accuracy (%) ↑ | ms / iteration | skipped batches |\n\
         |---|---|---|---|---|---|---|---|\n",
        seeds.len()
    );
    let opt = |v: Option<f64>, d: usize| v.map_or("—".to_string(), |x| format!("{x:.d$}"));
    for s in seeds {
        let m = &s.metrics;
        md += &format!(
            "| {} | {} | {} | {} | {} | {} | {:.1} | {} |\n",
            s.seed,
            opt(m.grassmann, 3),
            opt(m.orthogonality, 3),
            opt(m.nmi, 4),
            opt(m.acc, 4),
            opt(m.probe_accuracy.map(|p| 100.0 * p), 1),
            s.ms_per_iteration,
            s.skipped_batches
        );
    }
    let of = |f: fn(&Report) -> Option<f64>| {
        crate::stats::MeanStd::of(seeds.iter().filter_map(|s| f(&s.metrics)))
    };
    md += &format!(
        "| **mean ± std** | {} | {} | {} | {} | {} | {} | {} |\n",
        of(|m| m.grassmann).pm(3),
        of(|m| m.orthogonality).pm(3),
        of(|m| m.nmi).pm(4),
        of(|m| m.acc).pm(4),
        of(|m| m.probe_accuracy.map(|p| 100.0 * p)).pm(1),
        crate::stats::MeanStd::of(seeds.iter().map(|s| s.ms_per_iteration)).pm(1),
        seeds.iter().map(|s| s.skipped_batches).sum::<usize>()
    );
    md
}

/// The Fig. 1-style figure of a finished demo in `out`: its saved model over the plane, and the
/// held-out points (drawn again from the configuration) coloured by the k-means clustering of
/// the model's outputs (the report's clustering: same data, same seed).
pub fn demo_figure(report: &DemoReport, out: &Path) -> Result<Figure> {
    let config = &report.config;
    let model = BasisModel::load(out.join("model"))?;
    let test = test_points(config)?;
    let km = kmeans(
        &model.embed(&test.features)?,
        &KMeansParams {
            k: config.toy.num_classes(),
            seed: config.basis.seed,
            ..Default::default()
        },
    )?;
    embedding_figure(&model, &test.features, &km.labels)
}

crate::engine::experiment! {
    /// `demo` as an [`Experiment`](crate::Experiment).
    pub struct Demo = "demo" writes "report";
    config DemoConfig = DemoConfig::default(), out out_dir;
    report DemoReport;
    check(config) {
        config.basis.check_settings(config.train.n_samples)?;
        Ok(())
    }
    run(config, ctx) { run_demo_seeds(config, &ctx.seeds, ctx.progress) }
    markdown(report) { demo_markdown(report) }
    figures(report, out) { Ok(vec![("embedding".to_string(), demo_figure(report, out)?)]) }
}

/// Fig. 1-style figure: one chart per embedding coordinate, the network's value as colour
/// over the plane (blue negative, red positive, each coordinate scaled to its largest
/// magnitude), and held-out points coloured by their k-means cluster.
pub fn embedding_figure(
    model: &BasisModel,
    points: &DMatrix<f64>,
    clusters: &[usize],
) -> Result<Figure> {
    let (columns, rows) = (96usize, 64usize);
    let k = model.output_dim();
    let x_range = padded_range(points.column(0).iter().copied(), 0.15);
    let y_range = padded_range(points.column(1).iter().copied(), 0.25);
    let cells = Field {
        columns,
        rows,
        x_range,
        y_range,
        colours: vec![],
    };
    let grid = DMatrix::from_fn(columns * rows, 2, |i, c| {
        let (x, y) = cells.centre(i % columns, i / columns);
        if c == 0 { x } else { y }
    });
    let field = model.embed(&grid)?;
    let step = (points.nrows() / 600).max(1);
    let shown: Vec<usize> = (0..points.nrows()).step_by(step).collect();
    let charts = (0..k)
        .map(|c| {
            let amax = field
                .column(c)
                .iter()
                .fold(0f64, |m, v| m.max(v.abs()))
                .max(1e-12);
            let colours = field
                .column(c)
                .iter()
                .map(|v| diverging(v / amax))
                .collect();
            let chart = Chart {
                bare: true,
                ..Chart::new(&format!("coordinate {}", c + 1), "")
            }
            .with(Layer::Field(Field {
                colours,
                ..cells.clone()
            }))
            .with(Layer::Points(Points {
                xy: shown
                    .iter()
                    .map(|&i| [points[(i, 0)], points[(i, 1)]])
                    .collect(),
                colours: shown.iter().map(|&i| categorical(clusters[i])).collect(),
                radius: 2.0,
            }));
            Cell::Chart(Box::new(chart))
        })
        .collect();
    let mut figure = Figure::new(k.max(1), (420, 320), charts);
    let mut classes: Vec<usize> = clusters.to_vec();
    classes.sort_unstable();
    classes.dedup();
    figure.legend = Some(Legend {
        entries: classes
            .iter()
            .map(|&c| LegendEntry {
                label: format!("k-means cluster {}", c + 1),
                colour: categorical(c),
                mark: Mark::Swatch,
            })
            .collect(),
        note: "background: the network's output over the plane (blue < 0 < red)".into(),
    });
    Ok(figure)
}

/// The command line of `basis demo` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::{Args, ValueEnum};

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
        /// Run seeds 0..N and add the table over seeds (the figure and model are seed 0's)
        #[arg(long, value_parser = runs(), value_name = "N", conflicts_with = "seed")]
        seeds: Option<u64>,
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
        fn seeds(&self) -> Vec<u64> {
            self.seeds.map(seeds).unwrap_or_default()
        }
    }
}
