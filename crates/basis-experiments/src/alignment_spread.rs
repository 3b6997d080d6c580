//! BASiS Fig. 3: the anchors' eigenvector coordinates in many batches, before and after alignment.
//!
//! Every batch holds the same `l` anchors plus fresh random points. The batch's
//! Laplacian eigenvectors give the anchors different coordinates in every batch
//! (rotations, sign flips, scalings of the eigenspace). Aligning each batch onto a
//! reference batch with [`BatchAligner`] (Eq. 13–14) makes them consistent.
//!
//! The figure of merit is the *spread*: for every anchor and coordinate, the
//! standard deviation of its value across the batches, averaged over anchors and
//! coordinates. Coordinates are unit-norm eigenvectors, as the solver returns them
//! and as the trainer aligns them (RANSAC's inlier threshold is in these units).
//!
//! The reference batch (Algorithm 1, line 2) is drawn first and is not one of the
//! compared batches.

use crate::error::{ExperimentError, Result};
use basis_align::{AlignConfig, AlignError, BatchAligner};
use basis_data::LabeledData;
use basis_data::fashion_mnist::{FashionMnistConfig, Split, load_fashion_mnist};
use basis_data::sampling::{BatchSampler, sample_anchors_per_class};
use basis_data::toy::{ToyParams, three_moons};
use basis_graph::{
    AffinityParams, BatchGraphParams, GraphError, KnnParams, LaplacianKind, Metric, Scale,
    Symmetrize, batch_graph,
};
use basis_plot::{
    Bars, Cell, Chart, Figure, Layer, Legend, LegendEntry, Mark, Points, Rgb, Series, categorical,
    method_style,
};
use basis_spectral::{EmbeddingParams, laplacian_eigenmap};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where the points come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SpreadDataset {
    /// The paper's three-moons toy (Fig. 3): `n_samples` points with Gaussian `noise`.
    ThreeMoons {
        /// Points in the whole data set.
        n_samples: usize,
        /// Standard deviation of the added noise.
        noise: f64,
    },
    /// Fashion-MNIST training images, raw pixels scaled to [0, 1].
    FashionMnist {
        /// IDX directory (`None`: `$BASIS_FASHION_MNIST_DIR` or the Debian path).
        dir: Option<PathBuf>,
        /// Use only the first `limit` images.
        limit: Option<usize>,
    },
}

/// Configuration of the Fig. 3 reproduction. [`Default`] is the paper's three-moons setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlignmentSpreadConfig {
    /// The data set.
    pub dataset: SpreadDataset,
    /// Anchors drawn per class (three moons: 3 × 3 = 9, as in the paper).
    pub anchors_per_class: usize,
    /// Batches compared (the paper shows 20).
    pub batches: usize,
    /// Batch size m, anchors included (the paper: 256).
    pub batch_size: usize,
    /// Batch graph.
    pub graph: BatchGraphParams,
    /// Eigenvectors K and whether the trivial one is dropped.
    pub embedding: EmbeddingParams,
    /// Alignment model, least squares or RANSAC.
    pub align: AlignConfig,
    /// Give up after this many draws (batches whose graph cannot be embedded are redrawn).
    pub max_draws: usize,
    /// Seed of every random choice (data, anchors, batches, RANSAC).
    pub seed: u64,
    /// Where the report and the figure go.
    pub out_dir: PathBuf,
}

impl Default for AlignmentSpreadConfig {
    fn default() -> Self {
        Self::three_moons()
    }
}

/// The paper's toy graph (Fig. 1, Fig. 3): 10-NN, self-tuning Gaussian (7th neighbour),
/// `L = D − W`. Well separated moons give one component per moon; K + 1 = 3 components still
/// have a well-defined embedding (centred indicators), so a split batch is allowed and a
/// batch with more components than that is skipped.
pub fn three_moons_graph() -> BatchGraphParams {
    BatchGraphParams {
        knn: KnnParams {
            k: 10,
            metric: Metric::Euclidean,
            threads: 1,
        },
        affinity: AffinityParams {
            scale: Scale::Local(7),
            symmetrize: Symmetrize::Max,
        },
        laplacian: LaplacianKind::Unnormalized,
        allow_disconnected: true,
        connect_components: false,
    }
}

/// The toys' embedding: the first K = 2 non-trivial eigenvectors.
pub fn three_moons_embedding() -> EmbeddingParams {
    EmbeddingParams {
        k: 2,
        drop_trivial: true,
        ..Default::default()
    }
}

impl AlignmentSpreadConfig {
    /// The paper's Fig. 3: three moons, 9000 points, 20 batches of 256 holding the same 9 anchors,
    /// the first two non-trivial eigenvectors of the batch graph, least-squares affine alignment.
    /// The graph is the demo's (10-NN, self-tuning scale at the 7th neighbour, `L = D − W`).
    pub fn three_moons() -> Self {
        Self {
            dataset: SpreadDataset::ThreeMoons {
                n_samples: 9000,
                noise: 0.05,
            },
            anchors_per_class: 3,
            batches: 20,
            batch_size: 256,
            graph: three_moons_graph(),
            embedding: three_moons_embedding(),
            align: AlignConfig::least_squares(),
            max_draws: 200,
            seed: 0,
            out_dir: PathBuf::from("runs/fig3-three-moons"),
        }
    }

    /// The same experiment in the paper's Fashion-MNIST setting (Sec. 5.2): batches of 512 with
    /// 25 anchors per class (250), the 50-NN graph, `L_N`, K = 10 with the constant vector kept,
    /// RANSAC with the official code's settings. On raw pixels, until the Siamese features exist.
    pub fn fashion_mnist() -> Self {
        Self {
            dataset: SpreadDataset::FashionMnist {
                dir: None,
                limit: None,
            },
            anchors_per_class: 25,
            batches: 20,
            batch_size: 512,
            graph: BatchGraphParams::paper_table1(),
            embedding: EmbeddingParams {
                k: 10,
                drop_trivial: false,
                ..Default::default()
            },
            align: AlignConfig::default(),
            max_draws: 200,
            seed: 0,
            out_dir: PathBuf::from("runs/fig3-fashion-mnist"),
        }
    }

    /// Validates what can be checked before loading data.
    pub fn check(&self) -> Result<()> {
        let bad = |s: String| Err(ExperimentError::InvalidConfig(s));
        if self.batches < 2 {
            return bad(format!(
                "need at least 2 batches to measure a spread, got {}",
                self.batches
            ));
        }
        if self.anchors_per_class == 0 {
            return bad("anchors_per_class must be >= 1".into());
        }
        if self.max_draws < self.batches {
            return bad(format!(
                "max_draws {} < batches {}",
                self.max_draws, self.batches
            ));
        }
        if let SpreadDataset::ThreeMoons { n_samples, noise } = self.dataset {
            ToyParams {
                n_samples,
                noise,
                seed: self.seed,
            }
            .check(3)?;
        }
        self.graph.check_batch_size(self.batch_size)?;
        self.embedding.check(self.batch_size)?;
        self.align.check()?;
        Ok(())
    }
}

/// The measured spreads and where the outputs went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpreadReport {
    /// The configuration that produced this report.
    pub config: AlignmentSpreadConfig,
    /// Anchors `l`.
    pub anchors: usize,
    /// Mean over anchors and coordinates of the across-batch standard deviation, before alignment.
    pub spread_before: f64,
    /// The same after alignment.
    pub spread_after: f64,
    /// `spread_after / spread_before`.
    pub ratio: f64,
    /// Spread per coordinate before alignment.
    pub spread_before_per_coordinate: Vec<f64>,
    /// Spread per coordinate after alignment.
    pub spread_after_per_coordinate: Vec<f64>,
    /// Fraction of anchors counted as inliers, per compared batch (1 without RANSAC).
    pub inlier_fractions: Vec<f64>,
    /// RMS anchor residual to the reference after alignment, per compared batch.
    pub anchor_rms_residuals: Vec<f64>,
    /// Draws rejected (graph could not be embedded, or no alignment), with reasons.
    pub rejected: Vec<String>,
    /// With `--seeds N`: every seed's spreads (this report's own seed first); the figure and
    /// the per-coordinate fields above are the first seed's. Empty for a one-seed run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<SeedSpread>,
}

/// One seed's spreads, for the table over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedSpread {
    /// The seed (data, batches, alignment).
    pub seed: u64,
    /// Spread before alignment.
    pub spread_before: f64,
    /// Spread after alignment.
    pub spread_after: f64,
    /// `spread_after / spread_before`.
    pub ratio: f64,
    /// Mean inlier fraction over the compared batches.
    pub mean_inlier_fraction: f64,
    /// Draws rejected.
    pub rejected: usize,
}

/// What the figure draws beyond the report, written by the run as `OUT/fig3_batches.json` so
/// that `--replot` can redraw it: the anchors (rows of the data set), their reference
/// coordinates and their coordinates in every compared batch before and after alignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpreadBatches {
    /// Rows of the anchors in the data set.
    pub anchors: Vec<usize>,
    /// The anchors' reference coordinates (`l × K`).
    pub reference: DMatrix<f64>,
    /// Per compared batch, the anchors' coordinates before alignment.
    pub before: Vec<DMatrix<f64>>,
    /// The same after alignment.
    pub after: Vec<DMatrix<f64>>,
}

const BATCHES_FILE: &str = "fig3_batches.json";

impl SpreadReport {
    /// Mean inlier fraction over the compared batches.
    pub fn mean_inlier_fraction(&self) -> f64 {
        self.inlier_fractions.iter().sum::<f64>() / self.inlier_fractions.len().max(1) as f64
    }

    /// A short human-readable summary.
    pub fn summary(&self) -> String {
        format!(
            "{} batches of {} with the same {} anchors, K = {}\n\
             spread before alignment: {:.4}\n\
             spread after alignment:  {:.4}\n\
             after / before:          {:.4}\n\
             mean inlier fraction:    {:.3}\n\
             rejected draws:          {}",
            self.config.batches,
            self.config.batch_size,
            self.anchors,
            self.config.embedding.k,
            self.spread_before,
            self.spread_after,
            self.ratio,
            self.mean_inlier_fraction(),
            self.rejected.len()
        )
    }
}

fn load(config: &AlignmentSpreadConfig) -> Result<LabeledData> {
    Ok(match &config.dataset {
        SpreadDataset::ThreeMoons { n_samples, noise } => three_moons(&ToyParams {
            n_samples: *n_samples,
            noise: *noise,
            seed: config.seed,
        })?,
        SpreadDataset::FashionMnist { dir, limit } => load_fashion_mnist(
            &FashionMnistConfig {
                dir: dir.clone(),
                limit: *limit,
            },
            Split::Train,
        )?,
    })
}

/// Why a batch cannot be used, when that is a property of the random draw rather than a bug.
fn unusable(e: &ExperimentError) -> Option<String> {
    match e {
        ExperimentError::Graph(
            g @ (GraphError::Disconnected { .. } | GraphError::IsolatedNode { .. }),
        )
        | ExperimentError::Spectral(basis_spectral::SpectralError::Graph(
            g @ (GraphError::Disconnected { .. } | GraphError::IsolatedNode { .. }),
        )) => Some(g.to_string()),
        ExperimentError::Align(
            a @ (AlignError::RankDeficient { .. } | AlignError::NoConsensus { .. }),
        ) => Some(a.to_string()),
        ExperimentError::Spectral(e @ basis_spectral::SpectralError::TooManyComponents { .. }) => {
            Some(e.to_string())
        }
        _ => None,
    }
}

/// Unit-norm eigenvectors of the batch rows of `x`.
fn embed(
    x: &DMatrix<f64>,
    batch: &[usize],
    config: &AlignmentSpreadConfig,
) -> Result<DMatrix<f64>> {
    let g = batch_graph(&x.select_rows(batch), &config.graph)?;
    config.embedding.check_components(g.components)?;
    let e = laplacian_eigenmap(&g, &config.embedding)?;
    Ok(e.coords)
}

/// Across-batch standard deviation per (anchor, coordinate), averaged per coordinate.
fn spread_per_coordinate(samples: &[DMatrix<f64>]) -> Vec<f64> {
    let (l, k) = samples[0].shape();
    let b = samples.len() as f64;
    (0..k)
        .map(|j| {
            (0..l)
                .map(|i| {
                    let mean = samples.iter().map(|s| s[(i, j)]).sum::<f64>() / b;
                    (samples
                        .iter()
                        .map(|s| (s[(i, j)] - mean).powi(2))
                        .sum::<f64>()
                        / b)
                        .sqrt()
                })
                .sum::<f64>()
                / l as f64
        })
        .collect()
}

/// Runs the experiment. `progress` is called with the number of compared batches done so far.
pub fn run_alignment_spread(
    config: &AlignmentSpreadConfig,
    progress: &mut dyn FnMut(usize),
) -> Result<SpreadReport> {
    config.check()?;
    let data = load(config)?;
    if data.len() < config.batch_size {
        return Err(ExperimentError::InvalidConfig(format!(
            "batch size {} exceeds the {} points",
            config.batch_size,
            data.len()
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let anchors = sample_anchors_per_class(&data.labels, config.anchors_per_class, &mut rng)?;
    let l = anchors.len();
    let k = config.embedding.k;
    if l < k + 1 {
        return Err(AlignError::TooFewAnchors {
            got: l,
            needed: k + 1,
            dim: k,
        }
        .into());
    }
    if config.batch_size <= l {
        return Err(ExperimentError::InvalidConfig(format!(
            "batch size {} must exceed the {l} anchors",
            config.batch_size
        )));
    }
    let rows: Vec<usize> = (0..l).collect();
    let fresh = config.batch_size - l;
    let mut sampler = BatchSampler::new(data.len(), anchors.clone())?;
    let mut rejected = Vec::new();
    let mut draws = 0usize;
    let too_few =
        |usable: usize, draws: usize, rejected: &[String]| ExperimentError::TooFewBatches {
            usable,
            needed: config.batches,
            attempts: draws,
            reason: rejected.last().cloned().unwrap_or_default(),
        };

    // Reference batch (Algorithm 1, line 2).
    let mut aligner = loop {
        if draws >= config.max_draws {
            return Err(too_few(0, draws, &rejected));
        }
        draws += 1;
        let batch = sampler.draw(fresh, &mut rng)?;
        let reference = embed(&data.features, &batch, config)
            .and_then(|c| Ok(BatchAligner::new(c.select_rows(&rows), config.align)?));
        match reference {
            Ok(a) => break a,
            Err(e) => match unusable(&e) {
                Some(reason) => rejected.push(reason),
                None => return Err(e),
            },
        }
    };

    let (mut before, mut after) = (Vec::new(), Vec::new());
    let (mut inlier_fractions, mut residuals) = (Vec::new(), Vec::new());
    while before.len() < config.batches {
        if draws >= config.max_draws {
            return Err(too_few(before.len(), draws, &rejected));
        }
        draws += 1;
        let batch = sampler.draw(fresh, &mut rng)?;
        let result =
            embed(&data.features, &batch, config).and_then(|c| Ok((aligner.align(&c, &rows)?, c)));
        match result {
            Ok((aligned, raw)) => {
                before.push(raw.select_rows(&rows));
                after.push(aligned.coords.select_rows(&rows));
                inlier_fractions.push(aligned.inlier_fraction());
                residuals.push(aligned.fit.rms_residual());
                progress(before.len());
            }
            Err(e) => match unusable(&e) {
                Some(reason) => rejected.push(reason),
                None => return Err(e),
            },
        }
    }

    let spread_before_per_coordinate = spread_per_coordinate(&before);
    let spread_after_per_coordinate = spread_per_coordinate(&after);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let spread_before = mean(&spread_before_per_coordinate);
    let spread_after = mean(&spread_after_per_coordinate);

    std::fs::create_dir_all(&config.out_dir).map_err(|e| basis_data::DataError::Io {
        path: config.out_dir.clone(),
        source: e,
    })?;
    let batches = SpreadBatches {
        anchors,
        reference: aligner.reference().clone(),
        before,
        after,
    };
    crate::engine::write_json(&config.out_dir.join(BATCHES_FILE), &batches)?;
    let report = SpreadReport {
        config: config.clone(),
        anchors: l,
        spread_before,
        spread_after,
        ratio: spread_after / spread_before,
        spread_before_per_coordinate,
        spread_after_per_coordinate,
        inlier_fractions,
        anchor_rms_residuals: residuals,
        rejected,
        seeds: Vec::new(),
    };
    Ok(report)
}

/// The report as a table: the anchors' spread over the batches before and after alignment.
pub fn spread_markdown(r: &SpreadReport) -> String {
    let c = &r.config;
    let data = match &c.dataset {
        SpreadDataset::ThreeMoons { n_samples, .. } => format!("three moons ({n_samples} points)"),
        SpreadDataset::FashionMnist { .. } => "Fashion-MNIST (raw pixels)".to_string(),
    };
    format!(
        "# Fig. 3: the anchors over {} batches, before and after alignment\n\n\
         {data}; batches of {} holding the same {} anchors, K = {}, seed {}.\n\n\
         | spread before | spread after | after / before | mean inlier fraction | rejected draws |\n\
         |---|---|---|---|---|\n\
         | {:.4} | {:.4} | {:.4} | {:.3} | {} |\n",
        c.batches,
        c.batch_size,
        r.anchors,
        c.embedding.k,
        c.seed,
        r.spread_before,
        r.spread_after,
        r.ratio,
        r.mean_inlier_fraction(),
        r.rejected.len(),
    ) + &seeds_markdown(&r.seeds)
}

/// The table over seeds (empty for one seed): a row per seed and the mean ± std.
fn seeds_markdown(seeds: &[SeedSpread]) -> String {
    if seeds.is_empty() {
        return String::new();
    }
    let mut md = format!(
        "\nOver {} seeds:\n\n\
         | seed | spread before | spread after | after / before | mean inlier fraction | rejected draws |\n\
         |---|---|---|---|---|---|\n",
        seeds.len()
    );
    for s in seeds {
        md += &format!(
            "| {} | {:.4} | {:.4} | {:.4} | {:.3} | {} |\n",
            s.seed, s.spread_before, s.spread_after, s.ratio, s.mean_inlier_fraction, s.rejected
        );
    }
    let m = |f: fn(&SeedSpread) -> f64| crate::stats::MeanStd::of(seeds.iter().map(f));
    let (b, a, r, i) = (
        m(|s| s.spread_before),
        m(|s| s.spread_after),
        m(|s| s.ratio),
        m(|s| s.mean_inlier_fraction),
    );
    md += &format!(
        "| **mean ± std** | {:.4} ± {:.4} | {:.4} ± {:.4} | {:.4} ± {:.4} | {:.3} ± {:.3} | {} |\n",
        b.mean,
        b.std,
        a.mean,
        a.std,
        r.mean,
        r.std,
        i.mean,
        i.std,
        seeds.iter().map(|s| s.rejected).sum::<usize>()
    );
    md
}

/// Runs Fig. 3 for every seed of `seeds` (the configuration's own seed when empty): the
/// first seed's report, with every seed's spreads in [`SpreadReport::seeds`]. A later seed's
/// batches go to `OUT/seed-<s>/`. `on_batch` counts batches over all seeds.
pub fn run_alignment_spread_seeds(
    config: &AlignmentSpreadConfig,
    seeds: &[u64],
    on_batch: &mut dyn FnMut(usize),
) -> Result<SpreadReport> {
    let mut done = 0;
    let over = crate::engine::over_seeds(
        seeds,
        &config.out_dir,
        |s, out| {
            let mut c = config.clone();
            c.seed = s;
            c.align.seed = s;
            c.out_dir = out;
            let r = run_alignment_spread(&c, &mut |n| on_batch(done + n));
            done += config.batches;
            r
        },
        |r, seed| SeedSpread {
            seed,
            spread_before: r.spread_before,
            spread_after: r.spread_after,
            ratio: r.ratio,
            mean_inlier_fraction: r.mean_inlier_fraction(),
            rejected: r.rejected.len(),
        },
    )?;
    let Some((mut report, rows)) = over else {
        return run_alignment_spread(config, on_batch);
    };
    if rows.len() > 1 {
        report.seeds = rows;
    }
    Ok(report)
}

/// Fig. 3 of `report`, from the data (loaded again from its configuration) and the batches the
/// run left in `out`.
pub fn spread_figure(report: &SpreadReport, out: &Path) -> Result<Figure> {
    let data = load(&report.config)?;
    let b: SpreadBatches = crate::engine::read_json(&out.join(BATCHES_FILE))?;
    Ok(draw_figure(
        &data,
        &b.anchors,
        &b.reference,
        &b.before,
        &b.after,
        &report.spread_before_per_coordinate,
        &report.spread_after_per_coordinate,
    ))
}

crate::engine::experiment! {
    /// `reproduce fig3` as an [`Experiment`](crate::Experiment).
    pub struct Fig3 = "fig3" writes "report";
    config AlignmentSpreadConfig = AlignmentSpreadConfig::three_moons(), out out_dir;
    report SpreadReport;
    check(config) { config.check() }
    run(config, ctx) {
        let bar = ctx.bar(
            (config.batches * ctx.seeds.len().max(1)) as u64,
            "fig3 {bar:30} {pos}/{len} batches [{elapsed}]",
        );
        let report =
            run_alignment_spread_seeds(config, &ctx.seeds, &mut |n| bar.set_position(n as u64));
        bar.finish_and_clear();
        report
    }
    markdown(report) { spread_markdown(report) }
    figures(report, out) { Ok(vec![("fig3".to_string(), spread_figure(report, out)?)]) }
}

const GREY: Rgb = [170, 170, 170];

/// The figure, laid out as the paper's Fig. 3:
///
/// | | coordinate 1 | coordinate 2 |
/// |---|---|---|
/// | data (2-D) with the anchors by class, or the anchors' reference embedding | before alignment | before alignment |
/// | spread per coordinate: before (grey) and after (blue) | after alignment | after alignment |
///
/// Line charts: x = anchor index, y = value, one line per batch; before and after share the
/// y range.
fn draw_figure(
    data: &LabeledData,
    anchors: &[usize],
    reference: &DMatrix<f64>,
    before: &[DMatrix<f64>],
    after: &[DMatrix<f64>],
    spread_before: &[f64],
    spread_after: &[f64],
) -> Figure {
    let l = anchors.len();
    let anchor_colours: Vec<Rgb> = anchors
        .iter()
        .map(|&a| categorical(data.labels[a]))
        .collect();
    let overview = if data.dim() == 2 {
        let x = &data.features;
        // At most about 3000 background points: enough to show the shape, a small SVG.
        let step = data.len().div_ceil(3000).max(1);
        Chart::new("data and anchors", "")
            .with(Layer::Points(Points {
                xy: (0..data.len())
                    .step_by(step)
                    .map(|i| [x[(i, 0)], x[(i, 1)]])
                    .collect(),
                colours: vec![GREY],
                radius: 1.0,
            }))
            .with(Layer::Points(Points {
                xy: anchors.iter().map(|&a| [x[(a, 0)], x[(a, 1)]]).collect(),
                colours: anchor_colours,
                radius: 4.0,
            }))
    } else if reference.ncols() >= 2 {
        let (c0, c1) = (reference.ncols() - 2, reference.ncols() - 1);
        Chart {
            bare: true,
            ..Chart::new("anchors' reference embedding", "")
        }
        .with(Layer::Points(Points {
            xy: (0..l)
                .map(|i| [reference[(i, c0)], reference[(i, c1)]])
                .collect(),
            colours: anchor_colours,
            radius: 3.0,
        }))
    } else {
        Chart::new("", "")
    };
    let k = spread_before.len();
    let bars = |offset: f64, heights: &[f64], colour: Rgb| {
        Layer::Bars(Bars {
            left: (0..k).map(|j| j as f64 + 1.0 + offset).collect(),
            width: 0.36,
            heights: heights.to_vec(),
            colour,
        })
    };
    let blue = method_style("basis").colour;
    let spread = Chart {
        x_ticks: Some((1..=k).map(|j| j as f64).collect()),
        ..Chart::new("spread of the anchors over batches", "coordinate")
    }
    .with(bars(-0.38, spread_before, GREY))
    .with(bars(0.02, spread_after, blue));

    let coordinate = |j: usize, row: usize, set: &[DMatrix<f64>]| {
        let values = before
            .iter()
            .chain(after)
            .flat_map(|m| m.column(j).iter().copied().collect::<Vec<_>>());
        let y_range = basis_plot::padded_range(values, 0.05);
        let when = if row == 0 { "before" } else { "after" };
        let chart = Chart {
            y_range: Some(y_range),
            x_range: Some((-0.5, l as f64 - 0.5)),
            ..Chart::new(&format!("coordinate {}, {when} alignment", j + 1), "anchor")
        };
        set.iter().enumerate().fold(chart, |c, (b, m)| {
            c.with(Layer::Series(Series::curve(
                &format!("batch {}", b + 1),
                categorical(b),
                (0..l).map(|i| i as f64).collect(),
                m.column(j).iter().copied().collect(),
            )))
        })
    };
    let coords = reference.ncols().min(2);
    let chart_or_empty = |c: Option<Chart>| c.map_or(Cell::Empty, |c| Cell::Chart(Box::new(c)));
    let cells = vec![
        Cell::Chart(Box::new(overview)),
        chart_or_empty((coords > 0).then(|| coordinate(0, 0, before))),
        chart_or_empty((coords > 1).then(|| coordinate(1, 0, before))),
        Cell::Chart(Box::new(spread)),
        chart_or_empty((coords > 0).then(|| coordinate(0, 1, after))),
        chart_or_empty((coords > 1).then(|| coordinate(1, 1, after))),
    ];
    let mut figure = Figure::new(3, (400, 280), cells);
    figure.legend = Some(Legend {
        entries: vec![
            LegendEntry {
                label: "spread before alignment".into(),
                colour: GREY,
                mark: Mark::Swatch,
            },
            LegendEntry {
                label: "spread after alignment".into(),
                colour: blue,
                mark: Mark::Swatch,
            },
        ],
        note: format!(
            "{} batches, one line each; {l} anchors, coloured by class in the first chart",
            before.len()
        ),
    });
    figure
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> AlignmentSpreadConfig {
        AlignmentSpreadConfig {
            dataset: SpreadDataset::ThreeMoons {
                n_samples: 1500,
                noise: 0.05,
            },
            batches: 6,
            batch_size: 200,
            out_dir: std::env::temp_dir().join(format!("basis-fig3-test-{}", std::process::id())),
            ..AlignmentSpreadConfig::three_moons()
        }
    }

    /// Over seeds, the first row is the one-seed run of that seed, every later row the
    /// one-seed run of its own seed, and the table holds a row each plus the mean.
    #[test]
    fn every_seed_row_is_that_seeds_own_run() {
        let mut cfg = small();
        cfg.out_dir = cfg.out_dir.with_extension("seeds");
        let over = run_alignment_spread_seeds(&cfg, &[0, 3], &mut |_| ()).unwrap();
        assert_eq!(over.seeds.len(), 2);
        for (row, seed) in over.seeds.iter().zip([0, 3]) {
            let mut one = cfg.clone();
            one.seed = seed;
            one.align.seed = seed;
            one.out_dir = cfg.out_dir.join(format!("one-{seed}"));
            let alone = run_alignment_spread(&one, &mut |_| ()).unwrap();
            assert_eq!(row.seed, seed);
            assert_eq!(row.spread_before, alone.spread_before);
            assert_eq!(row.spread_after, alone.spread_after);
        }
        assert_ne!(over.seeds[0].spread_before, over.seeds[1].spread_before);
        let md = spread_markdown(&over);
        assert!(md.contains("Over 2 seeds") && md.contains("| 3 | "), "{md}");
        let _ = std::fs::remove_dir_all(&cfg.out_dir);
    }

    #[test]
    fn alignment_shrinks_the_anchor_spread_on_three_moons() {
        let cfg = small();
        let outcome = crate::engine::run::<Fig3>(&cfg, &crate::RunContext::default()).unwrap();
        let (r, written) = (outcome.report, outcome.written);
        assert_eq!(r.anchors, 9);
        assert!(
            r.spread_before > 0.1 / (cfg.batch_size as f64).sqrt(),
            "{}",
            r.summary()
        );
        assert!(r.ratio < 0.2, "{}", r.summary());
        // report.json, report.md, summary.json, fig3.png, fig3.svg, run.json
        assert_eq!(written.len(), 6, "{written:?}");
        for p in &written {
            assert!(std::fs::metadata(p).unwrap().len() > 0);
        }
        let figure = basis_plot::Written {
            png: cfg.out_dir.join("fig3.png"),
            svg: cfg.out_dir.join("fig3.svg"),
        };
        let drawn = figure.inspect().unwrap();
        assert_eq!(drawn.png_size, drawn.svg_size);
        assert!(drawn.svg_text.contains("coordinate 2, after alignment"));
        let seen_svg_size = drawn.svg_size;
        let back: SpreadReport = serde_json::from_str(
            &std::fs::read_to_string(cfg.out_dir.join("report.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(back, r);
        // Same seed, same numbers; progress is reported per compared batch.
        let mut seen = 0;
        let again = run_alignment_spread(&cfg, &mut |n| seen = n).unwrap();
        assert_eq!(seen, 6);
        assert_eq!(again.spread_after, r.spread_after);
        // --replot redraws the figure from the report and the saved batches.
        std::fs::remove_file(cfg.out_dir.join("fig3.svg")).unwrap();
        crate::engine::replot::<Fig3>(&cfg.out_dir).unwrap();
        assert_eq!(figure.inspect().unwrap().svg_size, seen_svg_size);
        std::fs::remove_dir_all(&cfg.out_dir).ok();
    }

    #[test]
    fn bad_configurations_are_typed_errors() {
        let mut c = small();
        c.batches = 1;
        assert!(matches!(
            run_alignment_spread(&c, &mut |_| {}),
            Err(ExperimentError::InvalidConfig(_))
        ));
        let mut c = small();
        c.anchors_per_class = 0;
        assert!(matches!(
            run_alignment_spread(&c, &mut |_| {}),
            Err(ExperimentError::InvalidConfig(_))
        ));
        let mut c = small();
        c.batch_size = 5000;
        assert!(run_alignment_spread(&c, &mut |_| {}).is_err());
        // One anchor per class: 3 anchors cannot fix an affine map in K = 3 dimensions.
        let mut c = small();
        c.anchors_per_class = 1;
        c.embedding.k = 3;
        assert!(matches!(
            run_alignment_spread(&c, &mut |_| {}),
            Err(ExperimentError::Align(AlignError::TooFewAnchors {
                got: 3,
                needed: 4,
                ..
            }))
        ));
    }

    #[test]
    fn spread_is_zero_for_identical_batches_and_matches_a_hand_value() {
        let a = DMatrix::from_row_slice(2, 1, &[1.0, 2.0]);
        assert_eq!(spread_per_coordinate(&[a.clone(), a.clone()]), vec![0.0]);
        let b = DMatrix::from_row_slice(2, 1, &[3.0, 2.0]);
        // Anchor 0: values 1, 3 → std 1; anchor 1: 2, 2 → 0; mean 0.5.
        assert_eq!(spread_per_coordinate(&[a, b]), vec![0.5]);
    }
}

/// The command line of `basis reproduce fig3` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::{Args, ValueEnum};

    /// Data sets of Fig. 3.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
    pub enum Fig3Dataset {
        /// The paper's setting: 9000 points, batches of 256 holding the same 9 anchors, K = 2
        ThreeMoons,
        /// Raw pixels, 512-point batches, 250 anchors, K = 10, RANSAC
        FashionMnist,
    }

    #[derive(Debug, Args)]
    pub struct Fig3Args {
        /// Data set (its preset configuration)
        #[arg(long, value_enum, default_value_t = Fig3Dataset::ThreeMoons, conflicts_with = "config")]
        dataset: Fig3Dataset,
        /// Fashion-MNIST IDX directory [default: $BASIS_FASHION_MNIST_DIR or
        /// /usr/share/datasets/fashion-mnist]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Batches compared
        #[arg(long, default_value_t = AlignmentSpreadConfig::three_moons().batches)]
        batches: usize,
        /// Seed of every random choice
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Run seeds 0..N and add the table over seeds (the figure is seed 0's)
        #[arg(long, value_parser = runs(), value_name = "N", conflicts_with = "seed")]
        seeds: Option<u64>,
    }

    impl ExperimentArgs for Fig3Args {
        type E = Fig3;
        fn preset(&self) -> CliResult<AlignmentSpreadConfig> {
            Ok(match self.dataset {
                Fig3Dataset::ThreeMoons => AlignmentSpreadConfig::three_moons(),
                Fig3Dataset::FashionMnist => AlignmentSpreadConfig::fashion_mnist(),
            })
        }
        fn apply(&self, g: &Given, cfg: &mut AlignmentSpreadConfig) -> CliResult<()> {
            if let Some(dir) = &self.data_dir {
                match &mut cfg.dataset {
                    SpreadDataset::FashionMnist { dir: d, .. } => *d = Some(dir.clone()),
                    SpreadDataset::ThreeMoons { .. } => {
                        return Err("--data-dir applies to --dataset fashion-mnist".into());
                    }
                }
            }
            g.set("batches", &self.batches, &mut cfg.batches);
            if g.has("seed") {
                cfg.seed = self.seed;
                cfg.align.seed = self.seed;
            }
            Ok(())
        }
        fn seeds(&self) -> Vec<u64> {
            self.seeds.map(seeds).unwrap_or_default()
        }
    }
}
