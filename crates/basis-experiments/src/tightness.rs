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

use crate::fashion_mnist::{
    ExperimentConfig, FeatureSource, MeanStd, SUBSPACE_BLOBS, run_experiment,
};
use basis_data::npy::read_npy;
use basis_nn::{NnError, Result};
use basis_plot::{Canvas, Series, categorical, legend, line_chart};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Configuration of the sweep. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TightnessSweepConfig {
    /// The reproduction run at every spread (`dataset`, `features`, `blobs.spread` and
    /// `out_dir` are set per point).
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

/// Runs the sweep; writes `tightness.{md,json,png}` and one reproduction directory per spread
/// (`spread-X/`, resumable like any reproduction).
pub fn run_tightness_sweep(
    config: &TightnessSweepConfig,
    seeds: &[u64],
    progress: bool,
) -> Result<TightnessSweep> {
    if config.spreads.is_empty() {
        return Err(NnError::InvalidConfig("no spreads to sweep".into()));
    }
    let mut points = Vec::with_capacity(config.spreads.len());
    for &spread in &config.spreads {
        let mut e = config.experiment.clone();
        e.dataset = SUBSPACE_BLOBS.into();
        e.features = FeatureSource::Raw;
        e.blobs.spread = spread;
        e.out_dir = config.out_dir.join(format!("spread-{spread}"));
        let s = run_experiment(&e, seeds, progress)?;
        let analytic = read_npy(e.out_dir.join("analytic_test_embedding.npy"))?;
        let (_, test) = basis_data::clusters::subspace_blobs(&e.blobs)?;
        let test = crate::fashion_mnist::restrict(&test, &e.classes, e.limit_test)?;
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
    let out = &config.out_dir;
    basis_data::io::write_atomic(
        out.join("tightness.json"),
        serde_json::to_string_pretty(&sweep)?.as_bytes(),
    )?;
    basis_data::io::write_atomic(
        out.join("tightness.md"),
        tightness_markdown(&sweep).as_bytes(),
    )?;
    tightness_plot(&sweep)?.save_png(out.join("tightness.png"))?;
    Ok(sweep)
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

/// Five charts against log10 of the spread: d_G (with the indicator floor), d_⊥, NMI and ACC
/// (network and analytic), and log10 of the final loss.
pub fn tightness_plot(s: &TightnessSweep) -> Result<Canvas> {
    let (cw, ch) = (420, 300);
    let mut canvas = Canvas::new(3 * cw, 2 * ch);
    let x: Vec<f64> = s.points.iter().map(|p| p.spread.log10()).collect();
    let series = |name: &str, c: usize, f: &dyn Fn(&TightnessPoint) -> (f64, f64)| Series {
        name: name.into(),
        colour: categorical(c),
        x: x.clone(),
        mean: s.points.iter().map(|p| f(p).0).collect(),
        std: s.points.iter().map(|p| f(p).1).collect(),
        markers: true,
    };
    let metric = |j: usize| move |p: &TightnessPoint| (p.basis[j].mean, p.basis[j].std);
    let panels: [(&str, Vec<Series>); 5] = [
        (
            "d_G (lower is better)",
            vec![
                series("BASiS", 0, &metric(0)),
                series("class indicators", 2, &|p| {
                    (p.indicator_grassmann, f64::NAN)
                }),
            ],
        ),
        (
            "d_⊥ (lower is better)",
            vec![series("BASiS", 0, &metric(1))],
        ),
        (
            "NMI",
            vec![
                series("BASiS", 0, &metric(2)),
                series("analytic", 1, &|p| (p.analytic_nmi_acc[0], f64::NAN)),
            ],
        ),
        (
            "ACC",
            vec![
                series("BASiS", 0, &metric(3)),
                series("analytic", 1, &|p| (p.analytic_nmi_acc[1], f64::NAN)),
            ],
        ),
        (
            "log10 final loss",
            vec![series("BASiS", 0, &|p| {
                (p.final_loss.mean.log10(), f64::NAN)
            })],
        ),
    ];
    // Ticks at half decades: the spreads themselves crowd each other on a log axis.
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let ticks: Vec<f64> = ((2.0 * lo).ceil() as i64..=(2.0 * hi).floor() as i64)
        .map(|t| t as f64 / 2.0)
        .collect();
    for (j, (title, lines)) in panels.iter().enumerate() {
        line_chart(
            &mut canvas,
            ((j % 3) * cw, (j / 3) * ch, cw, ch),
            title,
            "log10 spread",
            if ticks.len() >= 2 { &ticks } else { &x },
            lines,
        )?;
    }
    let all = [
        series("BASiS (mean ± std)", 0, &metric(0)),
        series("analytic eigenvectors", 1, &metric(0)),
        series("class indicators", 2, &metric(0)),
    ];
    legend(&mut canvas, 2 * cw + 30, ch + 60, &all);
    canvas.text(
        2 * cw + 30,
        ch + 30,
        &format!("{} seeds per spread", s.seeds.len()),
        [0, 0, 0],
        1,
    );
    Ok(canvas)
}
