//! The twin-graph link-prediction benchmark of Lim, Robinson, Jegelka & Maron (NeurIPS 2023):
//! every model of [`basis_eigennets::models`] on every graph family, over trials (a fresh graph,
//! split, eigenvector signs and initialisation per trial), test ROC-AUC at the best validation
//! epoch, mean ± std per model; beside it, how each model treats a node and its twin, and
//! whether its scores survive another eigensolver's sign choice
//! ([`basis_eigennets::link::TwinDiagnostics`]).
//!
//! `cargo xtask reproduce link-prediction --trials 10` writes `link_prediction.{json,md}` and
//! the figure `twins.{png,svg}` into [`LinkPredictionConfig::out_dir`].

use crate::error::{ExperimentError, Result};
use crate::stats::MeanStd;
use basis_eigennets::link::{GraphFamily, LinkConfig, TrialScore, run_model, trial_data};
use basis_eigennets::models::ModelKind;
use basis_plot::colour::categorical;
use basis_plot::{Cell, Chart, Figure, Layer, Legend, LegendEntry, Mark, Points};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// The benchmark's settings. [`Default`]: the authors' protocol on both families, all six
/// models. Serialisable (`--print-config`, `--config`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkPredictionConfig {
    /// The protocol (splits, k, epochs, step size).
    pub protocol: LinkConfig,
    /// Base graphs H.
    pub families: Vec<GraphFamily>,
    /// Models, in table order.
    pub models: Vec<ModelKind>,
    /// Where the report and figure go.
    pub out_dir: PathBuf,
}

impl Default for LinkPredictionConfig {
    fn default() -> Self {
        Self {
            protocol: LinkConfig::default(),
            families: GraphFamily::PROTOCOL.to_vec(),
            models: ModelKind::ALL.to_vec(),
            out_dir: PathBuf::from("results/link-prediction"),
        }
    }
}

impl LinkPredictionConfig {
    /// Typed error for an unusable protocol, no family or no model.
    pub fn check(&self) -> Result<()> {
        self.protocol.check()?;
        if self.families.is_empty() || self.models.is_empty() {
            return Err(ExperimentError::InvalidConfig(
                "link prediction needs at least one graph family and one model".into(),
            ));
        }
        Ok(())
    }
}

/// One trial of one family: every model's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyTrial {
    /// The family's name ([`GraphFamily::name`]).
    pub family: String,
    /// The trial's seed.
    pub seed: u64,
    /// Nodes of G.
    pub nodes: usize,
    /// Training edges.
    pub train_edges: usize,
    /// Seconds to draw the graph, split it and compute the encodings.
    pub data_seconds: f64,
    /// One score per model, in the configuration's order.
    pub scores: Vec<TrialScore>,
}

/// Everything a run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkPredictionReport {
    /// The settings.
    pub config: LinkPredictionConfig,
    /// Every (family, trial).
    pub trials: Vec<FamilyTrial>,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

/// One row of the table: a model on a family over the trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Family name.
    pub family: String,
    /// The model.
    pub model: ModelKind,
    /// Test AUC at the best validation epoch.
    pub test_auc: MeanStd,
    /// Best validation epoch, mean.
    pub best_epoch: f64,
    /// Twin-swap AUC.
    pub twin_swap_auc: MeanStd,
    /// Twin-distance ratio (models with node embeddings).
    pub twin_distance_ratio: Option<MeanStd>,
    /// Test AUC under fresh column signs, mean over draws and trials.
    pub test_auc_resigned: MeanStd,
    /// The largest drop of any trial from its test AUC to its worst re-signed draw.
    pub resign_max_drop: f64,
    /// Milliseconds per training epoch, mean.
    pub ms_per_epoch: f64,
    /// Trials.
    pub trials: usize,
}

/// Runs one trial of one family: data, then every model.
pub fn run_family_trial(
    config: &LinkPredictionConfig,
    family: &GraphFamily,
    seed: u64,
    bar: &indicatif::ProgressBar,
) -> Result<FamilyTrial> {
    let t = Instant::now();
    let data = trial_data(family, &config.protocol, seed)?;
    let data_seconds = t.elapsed().as_secs_f64();
    let mut scores = Vec::with_capacity(config.models.len());
    for &kind in &config.models {
        bar.set_message(format!("{} trial {seed}: {}", family.name(), kind.name()));
        scores.push(run_model(kind, &data, &config.protocol, seed)?);
        bar.inc(1);
    }
    Ok(FamilyTrial {
        family: family.name(),
        seed,
        nodes: data.split.n,
        train_edges: data.split.train.len(),
        data_seconds,
        scores,
    })
}

/// Runs every family over `seeds` (one trial per seed). Writes nothing:
/// [`crate::engine::run`]`::<`[`LinkPrediction`]`>` writes `link_prediction.json`,
/// `link_prediction.md` and `twins.{png,svg}`.
pub fn run_link_prediction(
    config: &LinkPredictionConfig,
    seeds: &[u64],
    progress: bool,
) -> Result<LinkPredictionReport> {
    config.check()?;
    if seeds.is_empty() {
        return Err(ExperimentError::InvalidConfig(
            "link prediction: no trials".into(),
        ));
    }
    let start = Instant::now();
    let steps = seeds.len() * config.families.len() * config.models.len();
    let bar = basis_nn::progress::progress_bar(steps, progress, "link prediction");
    let mut trials = Vec::new();
    for family in &config.families {
        for &seed in seeds {
            trials.push(run_family_trial(config, family, seed, &bar)?);
        }
    }
    bar.finish_and_clear();
    let report = LinkPredictionReport {
        config: config.clone(),
        trials,
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok(report)
}

crate::engine::experiment! {
    /// `link-prediction` as an [`Experiment`](crate::Experiment).
    pub struct LinkPrediction = "link-prediction" writes "link_prediction";
    config LinkPredictionConfig = LinkPredictionConfig::default(), out out_dir;
    report LinkPredictionReport;
    check(config) { config.check() }
    run(config, ctx) { run_link_prediction(config, &ctx.seeds, ctx.progress) }
    markdown(report) { link_prediction_markdown(report) }
    figures(report, _) { Ok(vec![("twins".to_string(), twins_figure(report))]) }
}

/// The rows of the table, family by family, models in the configuration's order.
pub fn summary(report: &LinkPredictionReport) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for family in &report.config.families {
        let name = family.name();
        let trials: Vec<&FamilyTrial> = report.trials.iter().filter(|t| t.family == name).collect();
        for &model in &report.config.models {
            let scores: Vec<&TrialScore> = trials
                .iter()
                .flat_map(|t| t.scores.iter())
                .filter(|s| s.model == model)
                .collect();
            if scores.is_empty() {
                continue;
            }
            let stat = |f: &dyn Fn(&TrialScore) -> f64| MeanStd::of(scores.iter().map(|s| f(s)));
            let n = scores.len() as f64;
            let ratios: Vec<f64> = scores
                .iter()
                .filter_map(|s| s.twins.twin_distance_ratio)
                .collect();
            rows.push(SummaryRow {
                family: name.clone(),
                model,
                test_auc: stat(&|s| s.test_auc),
                best_epoch: scores.iter().map(|s| s.best_epoch as f64).sum::<f64>() / n,
                twin_swap_auc: stat(&|s| s.twins.twin_swap_auc),
                twin_distance_ratio: (!ratios.is_empty()).then(|| MeanStd::of(ratios)),
                test_auc_resigned: stat(&|s| s.twins.test_auc_resigned),
                resign_max_drop: scores
                    .iter()
                    .map(|s| s.test_auc - s.twins.test_auc_resigned_min)
                    .fold(f64::NEG_INFINITY, f64::max),
                ms_per_epoch: 1e3 * scores.iter().map(|s| s.seconds_per_epoch).sum::<f64>() / n,
                trials: scores.len(),
            });
        }
    }
    rows
}

/// The report as Markdown: the settings, then one table per family.
pub fn link_prediction_markdown(report: &LinkPredictionReport) -> String {
    let c = &report.config.protocol;
    let trials = report
        .trials
        .iter()
        .map(|t| t.seed)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mut s = format!(
        "# Twin-graph link prediction\n\n\
         G = two disjoint copies of H plus {} uniformly random edges; {:.0} % / {:.0} % of the \
         edges held out for validation / test with as many non-edges; positional encodings: \
         the {} eigenvectors after the trivial one of L_N of the training graph (unit-norm \
         columns{}), random column signs per trial; fresh negatives every epoch; Adam {}, {} full-batch epochs; test \
         ROC-AUC at the best validation epoch. Mean ± std over {trials} trial(s) (a new graph, \
         split, signs and initialisation each); {:.1} min in all.\n\n\
         *Twin swap*: AUC of within-copy test edges (u, v) against (u, twin(v)) — 0.5 when a \
         model cannot tell v from its twin. *Twin distance*: mean ‖z_u − z_twin(u)‖ over mean \
         ‖z_u − z_w‖ for random w (0: twins share an embedding). *Re-signed*: test AUC with \
         fresh random column signs at test time, mean of {} draws per trial; *largest drop*: \
         the most any trial lost from its test AUC to its worst draw.\n",
        c.extra_edges,
        100.0 * c.val_fraction,
        100.0 * c.test_fraction,
        c.k,
        if c.encoding_scale == 1.0 {
            String::new()
        } else {
            format!(" × {}", c.encoding_scale)
        },
        c.learning_rate,
        c.epochs,
        report.seconds / 60.0,
        basis_eigennets::link::RESIGN_DRAWS,
    );
    let rows = summary(report);
    for family in &report.config.families {
        let name = family.name();
        let t0 = report.trials.iter().find(|t| t.family == name);
        s += &format!(
            "\n## H = {name}{}\n\n\
             | model | test AUC | best epoch | twin swap | twin distance | re-signed | largest drop | ms / epoch |\n\
             |---|---|---|---|---|---|---|---|\n",
            t0.map_or(String::new(), |t| format!(
                " ({} nodes, {} training edges, data {:.2} s)",
                t.nodes, t.train_edges, t.data_seconds
            ))
        );
        for r in rows.iter().filter(|r| r.family == name) {
            s += &format!(
                "| {} | {} | {:.0} | {} | {} | {} | {:.3} | {} |\n",
                r.model.name(),
                r.test_auc.pm(3),
                r.best_epoch,
                r.twin_swap_auc.pm(3),
                r.twin_distance_ratio
                    .as_ref()
                    .map_or("–".to_string(), |m| format!(
                        "{:.2} ± {:.2}",
                        m.mean, m.std
                    )),
                r.test_auc_resigned.pm(3),
                r.resign_max_drop.max(0.0),
                if r.model.trainable() {
                    format!("{:.1}", r.ms_per_epoch)
                } else {
                    "–".to_string()
                }
            );
        }
    }
    s
}

/// One chart per family: test AUC (y) against twin-swap AUC (x), one point per (model, trial).
pub fn twins_figure(report: &LinkPredictionReport) -> Figure {
    let models = &report.config.models;
    let colour = |m: ModelKind| categorical(models.iter().position(|&k| k == m).unwrap_or(0));
    let cells = report
        .config
        .families
        .iter()
        .map(|family| {
            let name = family.name();
            let scores: Vec<&TrialScore> = report
                .trials
                .iter()
                .filter(|t| t.family == name)
                .flat_map(|t| t.scores.iter())
                .collect();
            let chart = Chart {
                y_title: "test ROC-AUC".into(),
                ..Chart::new(
                    &format!("H = {name}"),
                    "twin-swap AUC (0.5: twins indistinguishable)",
                )
            };
            Cell::Chart(Box::new(
                chart.with(Layer::Points(Points {
                    xy: scores
                        .iter()
                        .map(|s| [s.twins.twin_swap_auc, s.test_auc])
                        .collect(),
                    colours: scores.iter().map(|s| colour(s.model)).collect(),
                    radius: 4.0,
                })),
            ))
        })
        .collect();
    Figure {
        title: format!(
            "Link prediction on twin graphs: telling a node from its twin{}",
            match report.config.protocol.encoding_scale {
                1.0 => String::new(),
                s => format!(" (encodings × {s})"),
            }
        ),
        legend: Some(Legend {
            entries: models
                .iter()
                .map(|&m| LegendEntry {
                    label: m.name().into(),
                    colour: colour(m),
                    mark: Mark::Swatch,
                })
                .collect(),
            note: "one point per model and trial".into(),
        }),
        ..Figure::new(report.config.families.len().max(1), (520, 420), cells)
    }
}

/// The command line of `basis reproduce link-prediction` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::Args;

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
}
