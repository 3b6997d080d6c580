//! BASiS Algorithm 2 (Sec. 4.3, 5.4): the Siamese feature network and the spectral network
//! trained together. Every `spectral_every` contrastive steps, the reference set V^ref is
//! re-embedded on the current features, mapped by T_G onto the anchors' previous coordinates
//! (Algorithm 2, lines 3–6), and the spectral network takes one Algorithm 1 step against
//! that reference.
//!
//! Writes two figures, each as PNG and SVG:
//! - `fig6`, Fig. 6 style, four charts left to right: (a) contrastive loss, (b) spectral
//!   loss (log axis), (c) NMI and (d) ACC over feature iterations; in (c)–(d) the dashed line
//!   is the analytic embedding of the validation graph on the current features, the others
//!   the network on training and on validation points. Values are in `curves.json`.
//! - `fig8`, Fig. 8 style, one row per snapshot iteration (named at its left):
//!   V^ref's analytic embedding before T_G, after T_G, and the network's validation embedding
//!   (first two coordinates, coloured by class).
//!
//! [`plot_feature_change`] redraws both from a run's `report.json`.

use crate::prepare::{ExperimentConfig, FeatureSource};
use crate::{ExperimentError, Result};
use basis_align::{AlignConfig, AlignModel, FeatureChangeAligner};
use basis_data::sampling::sample_anchors_per_class;
use basis_data::splits::{check_splits, load_dataset, restrict};
use basis_methods::basis::BasisTrainer;
use basis_metrics::{KMeansParams, NmiNormalization, clustering_accuracy, kmeans, nmi};
use basis_nn::progress::progress_bar;
use basis_nn::siamese::{ImageTensor, SiameseConfig, SiameseTrainer};
use basis_plot::{
    CATEGORICAL, Cell, Chart, Figure, Layer, Legend, Points, Scale, Series, categorical,
    method_style,
};
use basis_spectral::{EmbeddingParams, analytic_embedding};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Configuration of an Algorithm 2 run. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureChangeConfig {
    /// Data, Siamese network (its `steps` is unused: `feature_iterations` counts), anchors,
    /// Algorithm 1's settings and the output directory.
    pub data: ExperimentConfig,
    /// Contrastive steps of the feature network (the paper: 1500).
    pub feature_iterations: usize,
    /// A spectral step after every this many feature steps (the paper: 10).
    pub spectral_every: usize,
    /// Score the curves every this many feature steps.
    pub eval_every: usize,
    /// Validation points (from the test set) and training points scored for the curves.
    pub eval_points: usize,
    /// Feature iterations at which Fig. 8's rows are recorded.
    pub snapshots: Vec<usize>,
    /// How T_G is fitted. The paper fits it "as in Eq. (13)", an affine map; the default
    /// here is an orthogonal map (least squares, no RANSAC). Both embeddings are orthonormal
    /// eigenvectors of the same points, so the map between them is orthogonal when the
    /// eigenspaces agree; an affine T_G onto the nearly collinear embedding of the first,
    /// random features collapses every later reference onto that line (seen in Fig. 8 runs).
    pub t_g: AlignConfig,
    /// Seed of everything.
    pub seed: u64,
}

impl Default for FeatureChangeConfig {
    fn default() -> Self {
        let mut data = ExperimentConfig {
            out_dir: PathBuf::from("results/feature-change"),
            ..Default::default()
        };
        // 150 spectral steps in all: the official 1e-4 would leave the network far from its
        // targets, so Algorithm 2 uses 1e-3 (documented in docs/).
        data.basis.learning_rate = 1e-3;
        data.basis.lr_schedule = basis_nn::schedule::LrSchedule::Constant;
        // The features move during training: a standardisation frozen at the start would be stale.
        data.basis.standardize_inputs = false;
        Self {
            data,
            feature_iterations: 1500,
            spectral_every: 10,
            eval_every: 50,
            eval_points: 2000,
            snapshots: vec![10, 100, 500, 1500],
            t_g: AlignConfig {
                model: AlignModel::Orthogonal,
                ..AlignConfig::least_squares()
            },
            seed: 0,
        }
    }
}

impl FeatureChangeConfig {
    /// Fig. 8's setting: three similar classes (sandal, sneaker, ankle boot, as the paper's
    /// MNIST digits 4, 7, 9), a two-dimensional embedding (the first two non-trivial
    /// eigenvectors).
    pub fn fig8() -> Self {
        let mut c = Self::default();
        c.data.classes = vec![5, 7, 9];
        c.data.basis.embedding = EmbeddingParams {
            k: 2,
            drop_trivial: true,
            ..c.data.basis.embedding
        };
        c.data.out_dir = PathBuf::from("results/feature-change-fig8");
        c
    }
}

/// The curves of Fig. 6.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Curves {
    /// (feature iteration, contrastive loss).
    pub feature_loss: Vec<(usize, f64)>,
    /// (feature iteration, spectral loss), NaN for a skipped batch.
    pub spectral_loss: Vec<(usize, f64)>,
    /// Feature iterations at which the clustering scores were taken.
    pub eval_at: Vec<usize>,
    /// NMI of: analytic embedding of the validation graph, network on training points, network on validation points.
    pub nmi: [Vec<f64>; 3],
    /// ACC, same order.
    pub acc: [Vec<f64>; 3],
}

/// One row of Fig. 8.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    /// Feature iteration.
    pub iteration: usize,
    /// V^ref's embedding on the current features, before T_G (first two coordinates).
    pub before: Vec<[f64; 2]>,
    /// The same after T_G.
    pub after: Vec<[f64; 2]>,
    /// Classes of V^ref's points.
    pub reference_labels: Vec<usize>,
    /// The network's validation embedding (first two coordinates).
    pub network: Vec<[f64; 2]>,
}

/// What a run produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureChangeReport {
    /// The configuration.
    pub config: FeatureChangeConfig,
    /// Fig. 6's curves.
    pub curves: Curves,
    /// Fig. 8's rows.
    pub snapshots: Vec<Snapshot>,
    /// Classes of the validation points of the snapshots' network embeddings.
    pub val_labels: Vec<usize>,
}

fn first_two(m: &DMatrix<f64>) -> Vec<[f64; 2]> {
    (0..m.nrows())
        .map(|i| [m[(i, 0)], if m.ncols() > 1 { m[(i, 1)] } else { 0.0 }])
        .collect()
}

fn clustering(y: &DMatrix<f64>, labels: &[usize], classes: usize, seed: u64) -> Result<(f64, f64)> {
    let km = kmeans(
        y,
        &KMeansParams {
            k: classes,
            seed,
            ..Default::default()
        },
    )?;
    Ok((
        nmi(labels, &km.labels, NmiNormalization::Max)?,
        clustering_accuracy(labels, &km.labels)?,
    ))
}

/// Runs Algorithm 2 and writes `fig6.png`, `fig8.png`, `curves.json` and `report.json`.
pub fn run_feature_change(
    config: &FeatureChangeConfig,
    progress: bool,
) -> Result<FeatureChangeReport> {
    let c = config;
    if c.spectral_every == 0 || c.eval_every == 0 || c.feature_iterations == 0 {
        return Err(ExperimentError::InvalidConfig(
            "feature_iterations, spectral_every and eval_every must be >= 1".into(),
        ));
    }
    basis_data::limits::check_steps("feature_iterations", c.feature_iterations)
        .map_err(ExperimentError::InvalidConfig)?;
    if c.data.features != FeatureSource::Siamese {
        return Err(ExperimentError::InvalidConfig(
            "Algorithm 2 learns the features: it needs the Siamese feature source".into(),
        ));
    }
    let data = load_dataset(&c.data.dataset)?;
    let side = data.image_side.ok_or_else(|| {
        ExperimentError::InvalidConfig(
            "Algorithm 2 needs square images for the Siamese network".into(),
        )
    })?;
    let train = restrict(&data.train, &c.data.classes, c.data.limit_train, "train")?;
    let test = restrict(&data.test, &c.data.classes, c.data.limit_test, "test")?;
    check_splits(&train, &test, &c.data.dataset)?;
    let classes = train.num_classes();
    let images = ImageTensor::new(&train.features);
    let test_images = ImageTensor::new(&test.features);
    let siamese_config = SiameseConfig {
        image_side: side,
        seed: c.seed,
        ..c.data.siamese.clone()
    };
    let mut siamese = SiameseTrainer::new(&siamese_config, &train.labels)?;

    let mut rng = ChaCha8Rng::seed_from_u64(c.seed ^ 0xA5A5_A5A5);
    let anchors = sample_anchors_per_class(&train.labels, c.data.anchors_per_class, &mut rng)?;
    let basis = basis_methods::basis::BasisConfig {
        seed: c.seed,
        iterations: c.feature_iterations / c.spectral_every,
        ..c.data.basis.clone()
    };
    let eval_train: Vec<usize> = (0..train.len())
        .step_by((train.len() / c.eval_points).max(1))
        .take(c.eval_points)
        .collect();
    let eval_val: Vec<usize> = (0..test.len())
        .step_by((test.len() / c.eval_points).max(1))
        .take(c.eval_points)
        .collect();
    let val_labels: Vec<usize> = eval_val.iter().map(|&i| test.labels[i]).collect();
    let train_labels: Vec<usize> = eval_train.iter().map(|&i| train.labels[i]).collect();

    let out_dim = siamese_config.output_dim;
    let mut trainer =
        BasisTrainer::with_features(train.len(), out_dim, &anchors, &basis, None, &|rows| {
            Ok(siamese.net().features_of(&images, rows)?)
        })?;
    let l = anchors.len();
    let anchor_rows: Vec<usize> = (0..l).collect();
    let mut t_g = FeatureChangeAligner::new(trainer.reference_anchors().clone(), c.t_g)?;
    let reference_rows = trainer.reference_rows().to_vec();
    let reference_labels: Vec<usize> = reference_rows.iter().map(|&i| train.labels[i]).collect();

    let mut curves = Curves::default();
    let mut snapshots = Vec::new();
    let bar = progress_bar(c.feature_iterations, progress, "Algorithm 2");
    for it in 1..=c.feature_iterations {
        let log = siamese.step(&images)?;
        curves.feature_loss.push((it, log.loss));
        let mut before_after = None;
        if it % c.spectral_every == 0 {
            // Algorithm 2: re-embed V^ref on the updated features and map it by T_G.
            let feats = siamese.net().features_of(&images, &reference_rows)?;
            match trainer.embed_rows(&feats) {
                Ok(updated) => match t_g.update(&updated, &anchor_rows) {
                    Ok(aligned) => {
                        trainer.set_reference_anchors(t_g.previous().clone())?;
                        before_after = Some((updated, aligned.coords));
                    }
                    Err(e) => bar.println(format!("iteration {it}: T_G skipped: {e}")),
                },
                Err(e) => bar.println(format!("iteration {it}: reference not re-embedded: {e}")),
            }
            let net = siamese.net();
            let s = trainer.step_with(&|rows| Ok(net.features_of(&images, rows)?))?;
            curves.spectral_loss.push((it, s.loss));
            bar.set_message(format!(
                "contrastive {:.4} spectral {:.4}",
                log.loss, s.loss
            ));
        }
        let snapshot = c.snapshots.contains(&it);
        if it % c.eval_every == 0 || snapshot || it == c.feature_iterations {
            let net = siamese.net();
            let val_feats = net.features_of(&test_images, &eval_val)?;
            let train_feats = net.features_of(&images, &eval_train)?;
            let val_out = trainer.model().embed(&val_feats)?;
            let train_out = trainer.model().embed(&train_feats)?;
            let seed = c.seed;
            let scores = [
                analytic_embedding(&val_feats, &basis.graph, &basis.embedding)
                    .map_err(ExperimentError::from)
                    .and_then(|a| clustering(&a.embedding.coords, &val_labels, classes, seed)),
                clustering(&train_out, &train_labels, classes, seed),
                clustering(&val_out, &val_labels, classes, seed),
            ];
            curves.eval_at.push(it);
            for (j, s) in scores.into_iter().enumerate() {
                let (n, a) = s.unwrap_or((f64::NAN, f64::NAN));
                curves.nmi[j].push(n);
                curves.acc[j].push(a);
            }
            if snapshot {
                if let Some((before, after)) = &before_after {
                    snapshots.push(Snapshot {
                        iteration: it,
                        before: first_two(before),
                        after: first_two(after),
                        reference_labels: reference_labels.clone(),
                        network: first_two(&val_out),
                    });
                } else {
                    // No re-embedding at this iteration: record the current reference instead.
                    let feats = net.features_of(&images, &reference_rows)?;
                    if let Ok(updated) = trainer.embed_rows(&feats) {
                        let mut probe = t_g.clone();
                        if let Ok(aligned) = probe.update(&updated, &anchor_rows) {
                            snapshots.push(Snapshot {
                                iteration: it,
                                before: first_two(&updated),
                                after: first_two(&aligned.coords),
                                reference_labels: reference_labels.clone(),
                                network: first_two(&val_out),
                            });
                        }
                    }
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let dir = &c.data.out_dir;
    let (model, _) = trainer.finish();
    model.save(dir.join("spectral_model"))?;
    siamese.net().save(dir.join("siamese"))?;
    Ok(FeatureChangeReport {
        config: c.clone(),
        curves,
        snapshots,
        val_labels,
    })
}

/// The clustering scores at the last evaluation: the analytic embedding of the validation
/// graph and the network on training and validation points.
pub fn feature_change_markdown(r: &FeatureChangeReport) -> String {
    let c = &r.curves;
    let last = |v: &Vec<f64>| v.last().copied().unwrap_or(f64::NAN);
    let mut s = format!(
        "# Algorithm 2 on {}: features and embedding trained together\n\n\
         {} feature iterations, seed {}; scores at feature iteration {}.\n\n\
         | embedding | NMI | ACC |\n|---|---|---|\n",
        r.config.data.dataset,
        r.config.feature_iterations,
        r.config.seed,
        c.eval_at.last().map_or("—".into(), |i| i.to_string()),
    );
    for (j, name) in [
        "analytic, validation graph",
        "network, training points",
        "network, validation points",
    ]
    .iter()
    .enumerate()
    {
        s += &format!(
            "| {name} | {:.3} | {:.3} |\n",
            last(&c.nmi[j]),
            last(&c.acc[j])
        );
    }
    s
}

crate::engine::experiment! {
    /// `feature-change` as an [`Experiment`](crate::Experiment).
    pub struct FeatureChange = "feature-change" writes "report";
    config FeatureChangeConfig = FeatureChangeConfig::default(), out data.out_dir;
    report FeatureChangeReport;
    check(config) { config.data.check() }
    run(config, ctx) { run_feature_change(config, ctx.progress) }
    markdown(report) { feature_change_markdown(report) }
    figures(report, _) {
        Ok(vec![
            ("fig6".to_string(), fig6(&report.curves)),
            (
                "fig8".to_string(),
                fig8(&report.snapshots, &report.val_labels),
            ),
        ])
    }
}

/// Fig. 6: the two training losses, then NMI and ACC of the analytic embedding of the
/// validation graph and of the network on training and validation points.
fn fig6(curves: &Curves) -> Figure {
    let network = method_style("basis").colour;
    let loss = |title: &str, series: &[(usize, f64)], scale: Scale| {
        let (x, y): (Vec<f64>, Vec<f64>) = series.iter().map(|p| (p.0 as f64, p.1)).unzip();
        Chart {
            y_scale: scale,
            ..Chart::new(title, "feature iteration")
        }
        .with(Layer::Series(Series::curve(title, network, x, y)))
    };
    let xs: Vec<f64> = curves.eval_at.iter().map(|&i| i as f64).collect();
    let analytic = method_style("analytic");
    let styles = [
        ("analytic embedding, validation", analytic.colour, true),
        ("network, training points", CATEGORICAL[9], false),
        ("network, validation points", network, false),
    ];
    let scores = |title: &str, values: &[Vec<f64>; 3]| {
        values.iter().zip(styles).fold(
            Chart::new(title, "feature iteration"),
            |chart, (ys, (name, colour, dashed))| {
                chart.with(Layer::Series(Series {
                    markers: !dashed,
                    dashed,
                    ..Series::curve(name, colour, xs.clone(), ys.clone())
                }))
            },
        )
    };
    let nmi = scores("NMI", &curves.nmi);
    let legend_series: Vec<Series> = nmi
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Series(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    let cells = vec![
        Cell::Chart(Box::new(loss(
            "contrastive loss",
            &curves.feature_loss,
            Scale::Linear,
        ))),
        Cell::Chart(Box::new(loss(
            "spectral loss",
            &curves.spectral_loss,
            Scale::Log10,
        ))),
        Cell::Chart(Box::new(nmi)),
        Cell::Chart(Box::new(scores("ACC", &curves.acc))),
    ];
    let mut figure = Figure::new(4, (380, 300), cells);
    figure.legend = Some(Legend::of(
        &legend_series.iter().collect::<Vec<_>>(),
        "NMI and ACC of k-means on each embedding",
    ));
    figure
}

/// Fig. 8: per snapshot, V^ref before and after T_G and the network's validation embedding
/// (first two coordinates, coloured by class).
fn fig8(snapshots: &[Snapshot], val_labels: &[usize]) -> Figure {
    let titles = [
        "V^{ref} before T_{G}",
        "V^{ref} after T_{G}",
        "network, validation points",
    ];
    let mut cells = Vec::new();
    for (r, s) in snapshots.iter().enumerate() {
        let columns: [(&[[f64; 2]], &[usize]); 3] = [
            (&s.before, &s.reference_labels),
            (&s.after, &s.reference_labels),
            (&s.network, val_labels),
        ];
        for (col, (pts, labels)) in columns.into_iter().enumerate() {
            let chart = Chart {
                bare: true,
                y_title: if col == 0 {
                    format!("iteration {}", s.iteration)
                } else {
                    String::new()
                },
                ..Chart::new(if r == 0 { titles[col] } else { "" }, "")
            }
            .with(Layer::Points(Points {
                xy: pts.to_vec(),
                colours: labels.iter().map(|&y| categorical(y)).collect(),
                radius: 1.5,
            }));
            cells.push(Cell::Chart(Box::new(chart)));
        }
    }
    if cells.is_empty() {
        cells.push(Cell::Empty);
    }
    let mut classes: Vec<usize> = val_labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let mut figure = Figure::new(3, (300, 280), cells);
    figure.legend = Some(Legend {
        entries: classes
            .iter()
            .map(|&c| basis_plot::LegendEntry {
                label: format!("class {c}"),
                colour: categorical(c),
                mark: basis_plot::Mark::Swatch,
            })
            .collect(),
        note: String::new(),
    });
    figure
}

#[cfg(test)]
mod figure_tests {
    use super::*;

    #[test]
    fn fig6_and_fig8_are_written_as_png_and_svg() {
        let iterations: Vec<usize> = (0..20).map(|i| 10 * i).collect();
        let curves = Curves {
            feature_loss: iterations
                .iter()
                .map(|&i| (i, 1.0 / (1.0 + i as f64)))
                .collect(),
            spectral_loss: iterations
                .iter()
                .map(|&i| {
                    (
                        i,
                        if i == 50 {
                            f64::NAN
                        } else {
                            100.0 / (1.0 + i as f64)
                        },
                    )
                })
                .collect(),
            eval_at: vec![0, 100, 190],
            nmi: [
                vec![0.5, 0.7, 0.8],
                vec![0.4, 0.6, 0.78],
                vec![0.4, 0.6, 0.77],
            ],
            acc: [
                vec![0.5, 0.7, 0.8],
                vec![0.4, 0.6, 0.78],
                vec![0.4, 0.6, 0.77],
            ],
        };
        let snapshot = |iteration| Snapshot {
            iteration,
            before: vec![[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]],
            after: vec![[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]],
            reference_labels: vec![0, 1, 2],
            network: vec![[0.1, 0.2], [0.3, 0.1]],
        };
        let dir = std::env::temp_dir().join(format!("fig68-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let w6 = fig6(&curves).save(dir.join("fig6")).unwrap();
        let w8 = fig8(&[snapshot(10), snapshot(100)], &[0, 2])
            .save(dir.join("fig8"))
            .unwrap();
        for w in [&w6, &w8] {
            let seen = w.inspect().unwrap();
            assert_eq!(seen.png_size, seen.svg_size);
        }
        let fig8 = std::fs::read_to_string(&w8.svg).unwrap();
        assert!(fig8.contains("iteration 100") && fig8.contains(">ref</tspan>"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The command line of `basis reproduce feature-change` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::Args;

    #[derive(Debug, Args)]
    pub struct FeatureChangeArgs {
        /// Fig. 8's setting: classes 5, 7, 9 (sandal, sneaker, ankle boot), K = 2
        #[arg(long, conflicts_with = "config")]
        fig8: bool,
        /// Data set of square images: fashion-mnist or a data directory (--help for more)
        #[arg(long, long_help = IMAGE_DATASET_HELP, default_value_t = FeatureChangeConfig::default().data.dataset)]
        dataset: String,
        /// Seed of every random choice
        #[arg(long, default_value_t = FeatureChangeConfig::default().seed)]
        seed: u64,
        /// Feature-network iterations
        #[arg(long, default_value_t = FeatureChangeConfig::default().feature_iterations)]
        iterations: usize,
        #[command(flatten)]
        subset: SubsetArgs,
    }

    impl ExperimentArgs for FeatureChangeArgs {
        type E = FeatureChange;
        fn preset(&self) -> CliResult<FeatureChangeConfig> {
            Ok(if self.fig8 {
                FeatureChangeConfig::fig8()
            } else {
                FeatureChangeConfig::default()
            })
        }
        fn apply(&self, g: &Given, cfg: &mut FeatureChangeConfig) -> CliResult<()> {
            g.set("dataset", &self.dataset, &mut cfg.data.dataset);
            g.set("seed", &self.seed, &mut cfg.seed);
            g.set("iterations", &self.iterations, &mut cfg.feature_iterations);
            if g.has("siamese_steps") {
                return Err(
                    "--siamese-steps: Algorithm 2 trains its Siamese network for --iterations steps"
                        .into(),
                );
            }
            self.subset.apply(g, &mut cfg.data)?;
            Ok(())
        }
    }
}
