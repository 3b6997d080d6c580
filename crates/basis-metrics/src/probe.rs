//! Linear-probe accuracy (BASiS Eq. 20): a single linear layer, no activation, trained with
//! cross-entropy on the training embedding and scored on the test embedding.
//!
//! Pure Rust, so the metrics need no libtorch: multinomial logistic regression trained by Adam,
//! full batch by default (then the result does not depend on the seed at all; weights start at
//! zero), or on seeded mini-batches.

use crate::error::{MetricsError, Result};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Training settings of the probe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearProbeParams {
    /// Passes over the training set.
    pub epochs: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// L2 penalty `λ/2 ‖W‖²` on the weights (not the bias).
    pub weight_decay: f64,
    /// `None`: full-batch gradient steps; `Some(b)`: shuffled mini-batches of `b` points.
    pub batch_size: Option<usize>,
    /// Standardise every input coordinate with the training set's mean and deviation.
    pub standardize: bool,
    /// Seed of the mini-batch shuffling.
    pub seed: u64,
}

impl Default for LinearProbeParams {
    fn default() -> Self {
        Self {
            epochs: 500,
            learning_rate: 0.05,
            weight_decay: 0.0,
            batch_size: None,
            standardize: true,
            seed: 0,
        }
    }
}

impl LinearProbeParams {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        let bad = |s: String| Err(MetricsError::InvalidParameter(s));
        if self.epochs == 0 {
            return bad("epochs must be >= 1".into());
        }
        basis_data::limits::check_steps("epochs", self.epochs).or_else(bad)?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning rate must be finite and > 0, got {}",
                self.learning_rate
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!(
                "weight decay must be finite and >= 0, got {}",
                self.weight_decay
            ));
        }
        if self.batch_size == Some(0) {
            return bad("batch size must be >= 1".into());
        }
        Ok(())
    }
}

/// A trained linear classifier `argmax_c (W x + b)_c` on standardised inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearProbe {
    /// `C × d` weights.
    pub weights: DMatrix<f64>,
    /// `C` biases.
    pub bias: DVector<f64>,
    /// Per-coordinate input mean (zeros without standardisation).
    pub mean: Vec<f64>,
    /// Per-coordinate input deviation (ones without standardisation).
    pub std: Vec<f64>,
    /// Mean cross-entropy on the training set in the last epoch (before its final step).
    pub train_loss: f64,
    /// The class id of every row of `weights`: the distinct training labels, ascending. The
    /// probe works on these C classes only, so its cost does not grow with the largest label
    /// id.
    #[serde(default)]
    pub class_ids: Vec<usize>,
}

fn check_points(x: &DMatrix<f64>) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(MetricsError::Empty);
    }
    for (col, c) in x.column_iter().enumerate() {
        if let Some(row) = c.iter().position(|v| !v.is_finite()) {
            return Err(MetricsError::NonFinite { row, col });
        }
    }
    Ok(())
}

/// `d × n` standardised, transposed copy of `x` (one point per contiguous column).
fn standardized_t(x: &DMatrix<f64>, mean: &[f64], std: &[f64]) -> DMatrix<f64> {
    let mut t = x.transpose();
    for mut col in t.column_iter_mut() {
        for ((v, m), s) in col.iter_mut().zip(mean).zip(std) {
            *v = (*v - m) / s;
        }
    }
    t
}

/// Column-wise softmax of `z` (C × n) in place; returns the summed cross-entropy against `labels`.
fn softmax_cross_entropy(z: &mut DMatrix<f64>, labels: &[usize]) -> f64 {
    let mut loss = 0.0;
    for (mut col, &y) in z.column_iter_mut().zip(labels) {
        let max = col.max();
        let mut sum = 0.0;
        for v in col.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        col /= sum;
        loss -= col[y].max(f64::MIN_POSITIVE).ln();
    }
    loss
}

/// Mean cross-entropy of the probe `(w, b)` on a batch (`xt`: d × m, `x`: the same points
/// as m × d), its gradient with respect to `w` written into `gw` (C × d), and the bias gradient.
fn loss_and_gradient(
    w: &DMatrix<f64>,
    b: &DVector<f64>,
    xt: &DMatrix<f64>,
    x: &DMatrix<f64>,
    labels: &[usize],
    gw: &mut DMatrix<f64>,
) -> (f64, Vec<f64>) {
    let m = labels.len() as f64;
    // Logits, C × m: W X + b 1ᵀ.
    let mut z = w * xt;
    for mut col in z.column_iter_mut() {
        col += b;
    }
    let loss = softmax_cross_entropy(&mut z, labels) / m;
    // ∂(mean CE)/∂Z = (P − Y)/m.
    for (mut col, &y) in z.column_iter_mut().zip(labels) {
        col[y] -= 1.0;
        col /= m;
    }
    gw.gemm(1.0, &z, x, 0.0); // (C × m)(m × d)
    (loss, z.row_iter().map(|r| r.sum()).collect())
}

struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    fn new(len: usize) -> Self {
        Self {
            m: vec![0.0; len],
            v: vec![0.0; len],
            t: 0,
        }
    }

    fn step(&mut self, params: &mut [f64], grads: &[f64], lr: f64) {
        self.t += 1;
        let (b1, b2, eps) = (0.9, 0.999, 1e-8);
        let (c1, c2) = (1.0 - f64::powi(b1, self.t), 1.0 - f64::powi(b2, self.t));
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
        }
    }
}

impl LinearProbe {
    /// Trains the probe on the rows of `x` (n × d) with class labels `0..C`.
    pub fn fit(x: &DMatrix<f64>, labels: &[usize], params: &LinearProbeParams) -> Result<Self> {
        params.check()?;
        check_points(x)?;
        if labels.len() != x.nrows() {
            return Err(MetricsError::LengthMismatch(x.nrows(), labels.len()));
        }
        let (n, d) = x.shape();
        // Train on the distinct labels only (dense indices 0..C), whatever their ids.
        let mut class_ids = labels.to_vec();
        class_ids.sort_unstable();
        class_ids.dedup();
        let classes = class_ids.len();
        if classes < 2 {
            return Err(MetricsError::InvalidParameter(
                "a linear probe needs at least two classes".into(),
            ));
        }
        let dense: Vec<usize> = labels
            .iter()
            .map(|l| class_ids.binary_search(l).unwrap_or(0))
            .collect();
        let labels = &dense[..];
        let (mean, std): (Vec<f64>, Vec<f64>) = if params.standardize {
            x.column_iter()
                .map(|c| {
                    // Moments of c / s with s a power of two (exact), so that values whose
                    // squares overflow or underflow are standardised all the same.
                    let s = crate::subspace::power_of_two_scale(c.amax());
                    let m = c.iter().map(|t| t / s).sum::<f64>() / n as f64;
                    let v = c.iter().map(|t| (t / s - m).powi(2)).sum::<f64>() / n as f64;
                    (m * s, if v > 0.0 { v.sqrt() * s } else { 1.0 })
                })
                .unzip()
        } else {
            (vec![0.0; d], vec![1.0; d])
        };
        let xt = standardized_t(x, &mean, &std); // d × n, for the logits
        let xs = xt.transpose(); // n × d, for the gradient
        let mut w = DMatrix::<f64>::zeros(classes, d);
        let mut b = DVector::<f64>::zeros(classes);
        let mut adam_w = Adam::new(classes * d);
        let mut adam_b = Adam::new(classes);
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        let mut order: Vec<usize> = (0..n).collect();
        let batch = params.batch_size.unwrap_or(n).min(n);
        let mut gw = DMatrix::<f64>::zeros(classes, d);
        let mut train_loss = f64::NAN;
        for _ in 0..params.epochs {
            if batch < n {
                order.shuffle(&mut rng);
            }
            let mut epoch_loss = 0.0;
            for chunk in order.chunks(batch) {
                let owned;
                let (xbt, xb, yb): (&DMatrix<f64>, &DMatrix<f64>, Vec<usize>) = if batch < n {
                    owned = (xt.select_columns(chunk), xs.select_rows(chunk));
                    (
                        &owned.0,
                        &owned.1,
                        chunk.iter().map(|&i| labels[i]).collect(),
                    )
                } else {
                    (&xt, &xs, labels.to_vec())
                };
                let (loss, gb) = loss_and_gradient(&w, &b, xbt, xb, &yb, &mut gw);
                epoch_loss += loss * yb.len() as f64;
                if params.weight_decay > 0.0 {
                    gw += &w * params.weight_decay;
                }
                adam_w.step(w.as_mut_slice(), gw.as_slice(), params.learning_rate);
                adam_b.step(b.as_mut_slice(), &gb, params.learning_rate);
            }
            train_loss = epoch_loss / n as f64;
            if !train_loss.is_finite() {
                return Err(MetricsError::InvalidParameter(format!(
                    "probe training diverged (loss {train_loss}); lower the learning rate"
                )));
            }
        }
        Ok(Self {
            weights: w,
            bias: b,
            mean,
            std,
            train_loss,
            class_ids,
        })
    }

    /// Number of classes C.
    pub fn classes(&self) -> usize {
        self.bias.len()
    }

    /// Predicted class of every row of `x`.
    pub fn predict(&self, x: &DMatrix<f64>) -> Result<Vec<usize>> {
        check_points(x)?;
        if x.ncols() != self.mean.len() {
            return Err(MetricsError::InvalidParameter(format!(
                "probe expects {} coordinates, got {}",
                self.mean.len(),
                x.ncols()
            )));
        }
        let mut z = &self.weights * standardized_t(x, &self.mean, &self.std);
        for mut col in z.column_iter_mut() {
            col += &self.bias;
        }
        let id = |i: usize| self.class_ids.get(i).copied().unwrap_or(i);
        Ok(z.column_iter().map(|c| id(c.argmax().0)).collect())
    }

    /// Fraction of rows of `x` whose predicted class is their label.
    pub fn accuracy(&self, x: &DMatrix<f64>, labels: &[usize]) -> Result<f64> {
        if labels.len() != x.nrows() {
            return Err(MetricsError::LengthMismatch(x.nrows(), labels.len()));
        }
        let pred = self.predict(x)?;
        Ok(pred.iter().zip(labels).filter(|(p, l)| p == l).count() as f64 / labels.len() as f64)
    }
}

/// Eq. 20: train a linear probe on `(train_x, train_labels)` and return its accuracy on
/// `(test_x, test_labels)`, as a fraction in [0, 1].
pub fn linear_probe_accuracy(
    train_x: &DMatrix<f64>,
    train_labels: &[usize],
    test_x: &DMatrix<f64>,
    test_labels: &[usize],
    params: &LinearProbeParams,
) -> Result<f64> {
    LinearProbe::fit(train_x, train_labels, params)?.accuracy(test_x, test_labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn blobs(n_per: usize, seed: u64, spread: f64) -> (DMatrix<f64>, Vec<usize>) {
        let centres = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0), (4.0, 4.0)];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for (c, &(cx, cy)) in centres.iter().enumerate() {
            for _ in 0..n_per {
                rows.extend([
                    cx + spread * rng.random_range(-1.0..1.0),
                    cy + spread * rng.random_range(-1.0..1.0),
                ]);
                labels.push(c);
            }
        }
        (DMatrix::from_row_slice(labels.len(), 2, &rows), labels)
    }

    #[test]
    fn separable_classes_are_learned_exactly() {
        let (x, y) = blobs(50, 1, 1.0);
        let (xt, yt) = blobs(30, 2, 1.0);
        let acc = linear_probe_accuracy(&x, &y, &xt, &yt, &LinearProbeParams::default()).unwrap();
        assert_eq!(acc, 1.0);
    }

    #[test]
    fn deterministic_under_a_seed_with_mini_batches() {
        let (x, y) = blobs(40, 3, 2.5);
        let p = LinearProbeParams {
            batch_size: Some(32),
            epochs: 50,
            seed: 9,
            ..Default::default()
        };
        let a = LinearProbe::fit(&x, &y, &p).unwrap();
        assert_eq!(a, LinearProbe::fit(&x, &y, &p).unwrap());
        let other = LinearProbe::fit(&x, &y, &LinearProbeParams { seed: 10, ..p }).unwrap();
        assert_ne!(a.weights, other.weights);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (x, y) = blobs(10, 4, 2.0);
        let xt = x.transpose();
        let w0 = DMatrix::from_fn(4, 2, |i, j| 0.1 * (i as f64 - j as f64));
        let b0 = DVector::from_vec(vec![0.1, -0.2, 0.0, 0.3]);
        let mut scratch = DMatrix::zeros(4, 2);
        let mut loss = |w: &DMatrix<f64>, b: &DVector<f64>| {
            loss_and_gradient(w, b, &xt, &x, &y, &mut scratch).0
        };
        let h = 1e-6;
        let mut fd_w = DMatrix::zeros(4, 2);
        for i in 0..4 {
            for j in 0..2 {
                let (mut a, mut c) = (w0.clone(), w0.clone());
                a[(i, j)] += h;
                c[(i, j)] -= h;
                fd_w[(i, j)] = (loss(&a, &b0) - loss(&c, &b0)) / (2.0 * h);
            }
        }
        let fd_b: Vec<f64> = (0..4)
            .map(|i| {
                let (mut a, mut c) = (b0.clone(), b0.clone());
                a[i] += h;
                c[i] -= h;
                (loss(&w0, &a) - loss(&w0, &c)) / (2.0 * h)
            })
            .collect();
        let mut gw = DMatrix::zeros(4, 2);
        let (_, gb) = loss_and_gradient(&w0, &b0, &xt, &x, &y, &mut gw);
        assert!((&gw - &fd_w).norm() < 1e-7, "{gw} vs {fd_w}");
        for (a, b) in gb.iter().zip(&fd_b) {
            assert!((a - b).abs() < 1e-7);
        }
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let (x, y) = blobs(5, 1, 1.0);
        assert!(matches!(
            LinearProbe::fit(&x, &y[..3], &Default::default()),
            Err(MetricsError::LengthMismatch(20, 3))
        ));
        assert!(matches!(
            LinearProbe::fit(&x, &[0; 20], &Default::default()),
            Err(MetricsError::InvalidParameter(_))
        ));
        let mut nan = x.clone();
        nan[(2, 1)] = f64::INFINITY;
        assert!(matches!(
            LinearProbe::fit(&nan, &y, &Default::default()),
            Err(MetricsError::NonFinite { row: 2, col: 1 })
        ));
        let p = LinearProbe::fit(
            &x,
            &y,
            &LinearProbeParams {
                epochs: 5,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(matches!(
            p.predict(&DMatrix::zeros(3, 5)),
            Err(MetricsError::InvalidParameter(_))
        ));
        assert!(
            LinearProbe::fit(
                &x,
                &y,
                &LinearProbeParams {
                    learning_rate: -1.0,
                    ..Default::default()
                }
            )
            .is_err()
        );
        assert!(
            LinearProbe::fit(
                &x,
                &y,
                &LinearProbeParams {
                    batch_size: Some(0),
                    ..Default::default()
                }
            )
            .is_err()
        );
    }
}
