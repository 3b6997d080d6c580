//! NeuralEF against a closed form: the Gaussian kernel `k(x, x') = exp(−(x − x')² / (2ℓ²))`
//! under the input density `p = N(0, σ²)` has known eigenpairs (Rasmussen & Williams, GPML
//! §4.3.1; Zhu et al. 1998). With `a = 1/(4σ²)`, `b = 1/(2ℓ²)`, `c = √(a² + 2ab)`,
//! `A = a + b + c`, `B = b / A`:
//!
//! `λ_k = √(2a / A) B^k`, `φ_k(x) ∝ exp(−(c − a) x²) H_k(√(2c) x)`, k = 0, 1, …
//!
//! (H_k the physicists' Hermite polynomials), eigenpairs of `∫ k(x, x') φ(x') p(x') dx'`.
//! NeuralEF is trained on samples of p with `M = K_bb / B` per batch, so its `R_jj` estimate
//! λ_{j−1}; beside it, the Nyström estimate from the same training points: the leading
//! eigenpairs `(μ_j, u_j)` of the n × n kernel matrix by our Lanczos, `λ̂_j = μ_j / n`,
//! `φ̂_j(x) = Σ_i k(x, x_i) u_ij / μ_j`. Eigenfunctions are compared on a grid by the cosine
//! in `L²(p)` (grid points weighted by the density), which is what the eigenfunctions are
//! orthogonal in; outside the data the unweighted functions are not determined by samples.

use crate::{ExperimentError, Result};
use basis_methods::neuralef::{KernelSpec, NeuralEfConfig, Objective, fit_neuralef};
use basis_nn::MlpConfig;
use basis_nn::schedule::LrSchedule;
use basis_plot::figure::{Cell, Chart, Figure, Layer, Legend, Series};
use basis_plot::method_style;
use basis_spectral::{DenseOperator, LanczosParams, Which, lanczos};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Configuration of the check. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosedFormConfig {
    /// Standard deviation σ of the input density.
    pub input_std: f64,
    /// Kernel length scale ℓ.
    pub length_scale: f64,
    /// Training points drawn from N(0, σ²) (NeuralEF's batches are drawn from them; the
    /// Nyström estimate decomposes their kernel matrix).
    pub n_train: usize,
    /// Eigenfunctions compared.
    pub k: usize,
    /// NeuralEF's batch size.
    pub batch_size: usize,
    /// NeuralEF's iterations.
    pub iterations: usize,
    /// NeuralEF's trunk widths.
    pub mlp: MlpConfig,
    /// NeuralEF's Adam step size (cosine schedule to 1 % of it).
    pub learning_rate: f64,
    /// Grid points on `[−grid_half_width · σ, grid_half_width · σ]`.
    pub grid_points: usize,
    /// Half width of the grid in units of σ.
    pub grid_half_width: f64,
    /// Seed of the samples and of NeuralEF.
    pub seed: u64,
    /// Output directory.
    pub out_dir: PathBuf,
}

impl Default for ClosedFormConfig {
    fn default() -> Self {
        Self {
            input_std: 1.0,
            length_scale: 0.5,
            n_train: 16384,
            k: 8,
            batch_size: 512,
            iterations: 10000,
            mlp: MlpConfig {
                hidden: vec![128, 128, 128],
            },
            learning_rate: 1e-3,
            grid_points: 801,
            grid_half_width: 4.0,
            seed: 0,
            out_dir: PathBuf::from("results/neuralef-closed-form"),
        }
    }
}

impl ClosedFormConfig {
    /// Checks the values.
    pub fn check(&self) -> Result<()> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        if !pos(self.input_std) || !pos(self.length_scale) || !pos(self.grid_half_width) {
            return Err(ExperimentError::InvalidConfig(format!(
                "closed form: σ, ℓ and the grid width must be finite and > 0, got {}, {}, {}",
                self.input_std, self.length_scale, self.grid_half_width
            )));
        }
        if self.k == 0
            || self.k >= self.batch_size
            || self.batch_size > self.n_train
            || self.grid_points < 2
        {
            return Err(ExperimentError::InvalidConfig(format!(
                "closed form: need 0 < K < batch size ≤ training points and ≥ 2 grid points, got K = {}, B = {}, n = {}, {} grid points",
                self.k, self.batch_size, self.n_train, self.grid_points
            )));
        }
        Ok(())
    }
}

/// The closed-form eigenpairs of the Gaussian kernel under N(0, σ²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianEigenpairs {
    a: f64,
    c: f64,
    big_a: f64,
    ratio: f64,
}

impl GaussianEigenpairs {
    /// For input std `sigma` and length scale `ell`.
    pub fn new(sigma: f64, ell: f64) -> Self {
        let a = 1.0 / (4.0 * sigma * sigma);
        let b = 1.0 / (2.0 * ell * ell);
        let c = (a * a + 2.0 * a * b).sqrt();
        let big_a = a + b + c;
        Self {
            a,
            c,
            big_a,
            ratio: b / big_a,
        }
    }

    /// `λ_k` (k from 0).
    pub fn value(&self, k: usize) -> f64 {
        (2.0 * self.a / self.big_a).sqrt() * self.ratio.powi(k as i32)
    }

    /// `φ_k(x)` up to its normalisation (k from 0).
    pub fn function(&self, k: usize, x: f64) -> f64 {
        let t = (2.0 * self.c).sqrt() * x;
        let (mut h0, mut h1) = (1.0, 2.0 * t);
        let h = match k {
            0 => h0,
            _ => {
                for n in 1..k {
                    let h2 = 2.0 * t * h1 - 2.0 * n as f64 * h0;
                    h0 = h1;
                    h1 = h2;
                }
                h1
            }
        };
        (-(self.c - self.a) * x * x).exp() * h
    }
}

/// One eigenfunction's scores.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EigenfunctionScore {
    /// j = 1, 2, … (φ_{j−1} of the closed form).
    pub j: usize,
    /// The closed-form eigenvalue.
    pub eigenvalue: f64,
    /// NeuralEF: |cos| in L²(p) with the true eigenfunction.
    pub neuralef_cos: f64,
    /// NeuralEF: |λ̂ − λ| / λ.
    pub neuralef_eigenvalue_error: f64,
    /// Nyström: |cos| in L²(p).
    pub nystrom_cos: f64,
    /// Nyström: |λ̂ − λ| / λ.
    pub nystrom_eigenvalue_error: f64,
}

/// What the check produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClosedFormReport {
    /// Configuration.
    pub config: ClosedFormConfig,
    /// Per eigenfunction.
    pub scores: Vec<EigenfunctionScore>,
    /// NeuralEF's training time, seconds.
    pub neuralef_seconds: f64,
    /// Nyström's time (kernel matrix and Lanczos), seconds.
    pub nystrom_seconds: f64,
    /// The grid.
    pub grid: Vec<f64>,
    /// True, NeuralEF and Nyström eigenfunctions on the grid, each scaled to unit L²(p) norm
    /// and signed to agree with the truth: `[j][grid]`.
    pub curves: [Vec<Vec<f64>>; 3],
}

/// `|cos|` of `f` and `g` weighted by `w`, and `f` scaled to unit weighted norm with the sign
/// of `g`.
fn weighted_cos(f: &[f64], g: &[f64], w: &[f64]) -> (f64, Vec<f64>) {
    let dot =
        |u: &[f64], v: &[f64]| -> f64 { u.iter().zip(v).zip(w).map(|((a, b), c)| a * b * c).sum() };
    let (fg, ff, gg) = (dot(f, g), dot(f, f), dot(g, g));
    let cos = fg / (ff * gg).sqrt();
    let s = fg.signum() / ff.sqrt();
    (cos.abs(), f.iter().map(|v| v * s).collect())
}

/// Runs the check. Writes nothing: [`crate::engine::run`]`::<`[`ClosedForm`]`>` writes
/// `closed_form.json`, `closed_form.md` and the figure `eigenfunctions.{png,svg}`.
pub fn run_closed_form(config: &ClosedFormConfig, progress: bool) -> Result<ClosedFormReport> {
    config.check()?;
    let c = config;
    let truth = GaussianEigenpairs::new(c.input_std, c.length_scale);
    let mut rng = ChaCha8Rng::seed_from_u64(c.seed ^ 0x00C1_05ED);
    let normal = Normal::new(0.0, c.input_std)
        .map_err(|e| ExperimentError::InvalidConfig(format!("input density: {e}")))?;
    let x = DMatrix::from_iterator(
        c.n_train,
        1,
        (0..c.n_train).map(|_| normal.sample(&mut rng)),
    );
    let h = c.grid_half_width * c.input_std;
    let grid: Vec<f64> = (0..c.grid_points)
        .map(|i| -h + 2.0 * h * i as f64 / (c.grid_points - 1) as f64)
        .collect();
    let weights: Vec<f64> = grid
        .iter()
        .map(|&t| (-t * t / (2.0 * c.input_std * c.input_std)).exp())
        .collect();
    let true_curves: Vec<Vec<f64>> = (0..c.k)
        .map(|k| grid.iter().map(|&t| truth.function(k, t)).collect())
        .collect();

    // NeuralEF.
    let ef = NeuralEfConfig {
        kernel: KernelSpec::Gaussian {
            length_scale: c.length_scale,
        },
        k: c.k,
        batch_size: c.batch_size,
        iterations: c.iterations,
        mlp: c.mlp.clone(),
        learning_rate: c.learning_rate,
        schedule: LrSchedule::Cosine {
            final_fraction: 0.01,
        },
        seed: c.seed,
        ..NeuralEfConfig::default().classic()
    };
    debug_assert_eq!(ef.objective, Objective::NeuralEf);
    let bar = basis_nn::progress::progress_bar(c.iterations, progress, "NeuralEF, Gaussian kernel");
    let t = std::time::Instant::now();
    let model = fit_neuralef(&x, &ef, &mut |_, _| bar.inc(1))?;
    bar.finish_and_clear();
    let neuralef_seconds = t.elapsed().as_secs_f64();
    let grid_m = DMatrix::from_column_slice(grid.len(), 1, &grid);
    let learned = model.embed(&grid_m)?;

    // Nyström from the same points: Lanczos on the kernel matrix.
    let t = std::time::Instant::now();
    let s = 2.0 * c.length_scale * c.length_scale;
    let kernel = |u: f64, v: f64| (-(u - v) * (u - v) / s).exp();
    let km = DMatrix::from_fn(c.n_train, c.n_train, |i, j| kernel(x[i], x[j]));
    let op = DenseOperator::new(&km)?;
    let pairs = lanczos(
        &op,
        &LanczosParams {
            k: c.k,
            which: Which::Largest,
            tol: 1e-10,
            seed: c.seed,
            ..Default::default()
        },
    )?;
    let nystrom: Vec<Vec<f64>> = (0..c.k)
        .map(|j| {
            let mu = pairs.values[j];
            grid.iter()
                .map(|&g| {
                    (0..c.n_train)
                        .map(|i| kernel(g, x[i]) * pairs.vectors[(i, j)])
                        .sum::<f64>()
                        / mu
                })
                .collect()
        })
        .collect();
    let nystrom_seconds = t.elapsed().as_secs_f64();

    let mut scores = Vec::new();
    let mut curves: [Vec<Vec<f64>>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for j in 0..c.k {
        let truth_j = &true_curves[j];
        let (_, truth_unit) = weighted_cos(truth_j, truth_j, &weights);
        let col: Vec<f64> = learned.column(j).iter().copied().collect();
        let (ef_cos, ef_curve) = weighted_cos(&col, truth_j, &weights);
        let (ny_cos, ny_curve) = weighted_cos(&nystrom[j], truth_j, &weights);
        let lambda = truth.value(j);
        let rel = |v: f64| (v - lambda).abs() / lambda;
        scores.push(EigenfunctionScore {
            j: j + 1,
            eigenvalue: lambda,
            neuralef_cos: ef_cos,
            neuralef_eigenvalue_error: rel(model.eigenvalues()[j]),
            nystrom_cos: ny_cos,
            nystrom_eigenvalue_error: rel(pairs.values[j] / c.n_train as f64),
        });
        curves[0].push(truth_unit);
        curves[1].push(ef_curve);
        curves[2].push(ny_curve);
    }
    let report = ClosedFormReport {
        config: c.clone(),
        scores,
        neuralef_seconds,
        nystrom_seconds,
        grid,
        curves,
    };
    Ok(report)
}

crate::engine::experiment! {
    /// `reproduce neuralef-closed-form` as an [`Experiment`](crate::Experiment).
    pub struct ClosedForm = "neuralef-closed-form" writes "closed_form";
    config ClosedFormConfig = ClosedFormConfig::default(), out out_dir;
    report ClosedFormReport;
    check(config) { config.check() }
    run(config, ctx) { run_closed_form(config, ctx.progress) }
    markdown(r) { closed_form_markdown(r) }
    figures(r, _) { Ok(vec![("eigenfunctions".to_string(), closed_form_plot(r))]) }
    summary(r) {
        ClosedFormReport {
            grid: Vec::new(),
            curves: Default::default(),
            ..r
        }
    }
}

/// The table: per eigenfunction, |cos| and relative eigenvalue error of NeuralEF and Nyström.
pub fn closed_form_markdown(r: &ClosedFormReport) -> String {
    let c = &r.config;
    let mut s = format!(
        "# NeuralEF against the closed form\n\nGaussian kernel ℓ = {}, input N(0, {}²), {} training points; NeuralEF: B = {}, {} iterations, trunk {:?}, {:.1} s; Nyström (Lanczos on the {}×{} kernel matrix): {:.1} s. |cos| in L²(p) on {} grid points over ±{}σ.\n\n\
         | j | λ_j (closed form) | NeuralEF \\|cos\\| | NeuralEF rel. λ error | Nyström \\|cos\\| | Nyström rel. λ error |\n|---|---|---|---|---|---|\n",
        c.length_scale,
        c.input_std,
        c.n_train,
        c.batch_size,
        c.iterations,
        c.mlp.hidden,
        r.neuralef_seconds,
        c.n_train,
        c.n_train,
        r.nystrom_seconds,
        c.grid_points,
        c.grid_half_width
    );
    for e in &r.scores {
        s += &format!(
            "| {} | {:.4e} | {:.4} | {:.4} | {:.4} | {:.4} |\n",
            e.j,
            e.eigenvalue,
            e.neuralef_cos,
            e.neuralef_eigenvalue_error,
            e.nystrom_cos,
            e.nystrom_eigenvalue_error
        );
    }
    s
}

/// One panel per eigenfunction: the closed form (dashed), NeuralEF and Nyström, each at unit
/// L²(p) norm with the closed form's sign.
pub fn closed_form_plot(r: &ClosedFormReport) -> Figure {
    let truth = method_style("analytic");
    let ef = method_style("neuralef");
    let ny = basis_plot::CATEGORICAL[7];
    let mut legend = Vec::new();
    let cells: Vec<Cell> = (0..r.scores.len())
        .map(|j| {
            let series = [
                Series {
                    dashed: true,
                    ..Series::curve(
                        "closed form",
                        truth.colour,
                        r.grid.clone(),
                        r.curves[0][j].clone(),
                    )
                },
                Series::curve(
                    "NeuralEF",
                    ef.colour,
                    r.grid.clone(),
                    r.curves[1][j].clone(),
                ),
                Series::curve("Nyström", ny, r.grid.clone(), r.curves[2][j].clone()),
            ];
            if legend.is_empty() {
                legend = series.to_vec();
            }
            let s = &r.scores[j];
            let h = r.config.grid_half_width * r.config.input_std;
            let chart = Chart {
                y_title: "φ (unit L²(p) norm)".into(),
                // Five ticks over the grid (the automatic ticks of a narrow panel kept only 0).
                x_ticks: Some((0..5).map(|i| -h + 0.5 * h * i as f64).collect()),
                ..Chart::new(
                    &format!(
                        "φ_{{{}}}: |cos| NeuralEF {:.3}, Nyström {:.3}",
                        s.j, s.neuralef_cos, s.nystrom_cos
                    ),
                    "x",
                )
            };
            Cell::Chart(Box::new(
                series
                    .into_iter()
                    .fold(chart, |c, s| c.with(Layer::Series(s))),
            ))
        })
        .collect();
    let mut figure = Figure::new(4, (340, 260), cells);
    figure.title = format!(
        "Gaussian kernel eigenfunctions (ℓ = {}, p = N(0, {}²)): learned vs closed form",
        r.config.length_scale, r.config.input_std
    );
    let refs: Vec<&Series> = legend.iter().collect();
    figure.legend = Some(Legend::of(&refs, ""));
    figure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closed_form_is_an_eigenpair_of_the_integral_operator() {
        // ∫ k(x, x') φ_k(x') p(x') dx' = λ_k φ_k(x), by the trapezoidal rule on a fine grid.
        for (sigma, ell) in [(1.0, 0.5), (0.7, 1.3)] {
            let e = GaussianEigenpairs::new(sigma, ell);
            let (h, m) = (12.0 * sigma, 6001);
            let xs: Vec<f64> = (0..m)
                .map(|i| -h + 2.0 * h * i as f64 / (m - 1) as f64)
                .collect();
            let dx = xs[1] - xs[0];
            let p = |t: f64| {
                (-t * t / (2.0 * sigma * sigma)).exp()
                    / (sigma * (2.0 * std::f64::consts::PI).sqrt())
            };
            for k in 0..8 {
                for &x in &[-1.3, 0.0, 0.4, 2.1] {
                    let lhs: f64 = xs
                        .iter()
                        .map(|&t| {
                            (-(x - t) * (x - t) / (2.0 * ell * ell)).exp()
                                * e.function(k, t)
                                * p(t)
                                * dx
                        })
                        .sum();
                    let rhs = e.value(k) * e.function(k, x);
                    let scale = e.value(k)
                        * (0..=20)
                            .map(|i| e.function(k, -3.0 + 0.3 * i as f64).abs())
                            .fold(0.0, f64::max);
                    assert!(
                        (lhs - rhs).abs() < 1e-9 * scale,
                        "σ {sigma} ℓ {ell} k {k} x {x}: {lhs} vs {rhs}"
                    );
                }
            }
        }
    }

    #[test]
    fn weighted_cosine_by_hand() {
        let (cos, unit) = weighted_cos(&[1.0, 0.0, -2.0], &[-1.0, 5.0, 2.0], &[1.0, 0.0, 0.25]);
        // f·g = −1 − 1 = −2; f·f = 1 + 1 = 2; g·g = 1 + 1 = 2: |cos| = 1, sign flipped.
        assert!((cos - 1.0).abs() < 1e-15);
        let s = -1.0 / 2f64.sqrt();
        assert_eq!(unit, vec![s, 0.0, -2.0 * s]);
    }
}

/// The command line of `basis reproduce neuralef-closed-form` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::Args;

    #[derive(Debug, Args)]
    pub struct ClosedFormArgs {
        /// NeuralEF's iterations
        #[arg(long, default_value_t = ClosedFormConfig::default().iterations)]
        iterations: usize,
        /// Seed of the samples and of NeuralEF
        #[arg(long, default_value_t = ClosedFormConfig::default().seed)]
        seed: u64,
    }

    impl ExperimentArgs for ClosedFormArgs {
        type E = ClosedForm;
        fn apply(&self, g: &Given, cfg: &mut ClosedFormConfig) -> CliResult<()> {
            g.set("iterations", &self.iterations, &mut cfg.iterations);
            g.set("seed", &self.seed, &mut cfg.seed);
            Ok(())
        }
    }
}
