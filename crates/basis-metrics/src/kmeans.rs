//! Seeded k-means with k-means++ initialisation and restarts.

use crate::error::{MetricsError, Result};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Parameters of k-means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KMeansParams {
    /// Number of clusters.
    pub k: usize,
    /// Independent k-means++ restarts; the lowest inertia wins.
    pub n_init: usize,
    /// Maximum Lloyd iterations per restart.
    pub max_iter: usize,
    /// Stop when no centroid moves more than `tol` (squared Euclidean, relative to the data variance).
    pub tol: f64,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        Self {
            k: 8,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }
}

impl KMeansParams {
    /// Validates against `n` points.
    pub fn check(&self, n: usize) -> Result<()> {
        if n == 0 {
            return Err(MetricsError::Empty);
        }
        if self.k == 0 || self.k > n {
            return Err(MetricsError::InvalidParameter(format!(
                "k = {} clusters for {n} points",
                self.k
            )));
        }
        if self.n_init == 0 || self.max_iter == 0 {
            return Err(MetricsError::InvalidParameter(
                "n_init and max_iter must be >= 1".into(),
            ));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(MetricsError::InvalidParameter(format!(
                "tol must be finite and >= 0, got {}",
                self.tol
            )));
        }
        Ok(())
    }
}

/// The best clustering found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansResult {
    /// Cluster of every point.
    pub labels: Vec<usize>,
    /// `k × d` centroids.
    pub centroids: DMatrix<f64>,
    /// Sum of squared distances to the assigned centroids.
    pub inertia: f64,
    /// Lloyd iterations of the winning restart.
    pub n_iter: usize,
}

fn sq_dist(x: &DMatrix<f64>, i: usize, c: &DMatrix<f64>, j: usize) -> f64 {
    (0..x.ncols())
        .map(|t| (x[(i, t)] - c[(j, t)]).powi(2))
        .sum()
}

/// Index of, and squared distance to, the centroid nearest to point `i`.
fn nearest(x: &DMatrix<f64>, i: usize, c: &DMatrix<f64>) -> (usize, f64) {
    let (mut best, mut bd) = (0, f64::INFINITY);
    for j in 0..c.nrows() {
        let dd = sq_dist(x, i, c, j);
        if dd < bd {
            bd = dd;
            best = j;
        }
    }
    (best, bd)
}

fn plus_plus_init(x: &DMatrix<f64>, k: usize, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    let (n, d) = x.shape();
    let mut c = DMatrix::zeros(k, d);
    let first = rng.random_range(0..n);
    c.row_mut(0).copy_from(&x.row(first));
    let mut closest: Vec<f64> = (0..n).map(|i| sq_dist(x, i, &c, 0)).collect();
    for j in 1..k {
        let total: f64 = closest.iter().sum();
        let pick = if total > 0.0 {
            let mut r = rng.random::<f64>() * total;
            let mut chosen = n - 1;
            for (i, &w) in closest.iter().enumerate() {
                if r < w {
                    chosen = i;
                    break;
                }
                r -= w;
            }
            chosen
        } else {
            // All remaining points coincide with centroids (duplicates): any point will do.
            rng.random_range(0..n)
        };
        c.row_mut(j).copy_from(&x.row(pick));
        for (i, v) in closest.iter_mut().enumerate() {
            *v = v.min(sq_dist(x, i, &c, j));
        }
    }
    c
}

fn lloyd(x: &DMatrix<f64>, mut c: DMatrix<f64>, p: &KMeansParams, scale: f64) -> KMeansResult {
    let (n, d) = x.shape();
    let k = p.k;
    let mut labels = vec![0usize; n];
    let mut n_iter = 0;
    for it in 0..p.max_iter {
        n_iter = it + 1;
        let mut dists = vec![0f64; n];
        for (i, (label, dist)) in labels.iter_mut().zip(dists.iter_mut()).enumerate() {
            (*label, *dist) = nearest(x, i, &c);
        }
        let mut sums = DMatrix::<f64>::zeros(k, d);
        let mut counts = vec![0usize; k];
        for i in 0..n {
            counts[labels[i]] += 1;
            for t in 0..d {
                sums[(labels[i], t)] += x[(i, t)];
            }
        }
        // Empty clusters take the point farthest from its centroid.
        for j in 0..k {
            if counts[j] == 0 {
                let far = (0..n)
                    .max_by(|&a, &b| dists[a].total_cmp(&dists[b]))
                    .unwrap_or(0);
                let old = labels[far];
                if counts[old] > 1 {
                    counts[old] -= 1;
                    for t in 0..d {
                        sums[(old, t)] -= x[(far, t)];
                    }
                    labels[far] = j;
                    counts[j] = 1;
                    dists[far] = 0.0;
                    for t in 0..d {
                        sums[(j, t)] = x[(far, t)];
                    }
                }
            }
        }
        let mut shift = 0f64;
        for j in 0..k {
            if counts[j] == 0 {
                continue;
            }
            for t in 0..d {
                let v = sums[(j, t)] / counts[j] as f64;
                shift = shift.max((v - c[(j, t)]).powi(2));
                c[(j, t)] = v;
            }
        }
        if shift <= p.tol * scale {
            break;
        }
    }
    // Final assignment against the final centroids.
    let mut inertia = 0.0;
    for (i, label) in labels.iter_mut().enumerate() {
        let (best, bd) = nearest(x, i, &c);
        *label = best;
        inertia += bd;
    }
    KMeansResult {
        labels,
        centroids: c,
        inertia,
        n_iter,
    }
}

/// k-means on the rows of `x`, best of `n_init` k-means++ restarts, deterministic under `seed`.
pub fn kmeans(x: &DMatrix<f64>, params: &KMeansParams) -> Result<KMeansResult> {
    params.check(x.nrows())?;
    if x.ncols() == 0 {
        return Err(MetricsError::Empty);
    }
    for (col, c) in x.column_iter().enumerate() {
        if let Some(row) = c.iter().position(|v| !v.is_finite()) {
            return Err(MetricsError::NonFinite { row, col });
        }
    }
    // Tolerance relative to the mean per-feature variance, as scikit-learn does.
    let n = x.nrows() as f64;
    let scale = x
        .column_iter()
        .map(|c| {
            let m = c.sum() / n;
            c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n
        })
        .sum::<f64>()
        / x.ncols() as f64;
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut best: Option<KMeansResult> = None;
    for _ in 0..params.n_init {
        let init = plus_plus_init(x, params.k, &mut rng);
        let r = lloyd(x, init, params, scale);
        if best.as_ref().is_none_or(|b| r.inertia < b.inertia) {
            best = Some(r);
        }
    }
    best.ok_or(MetricsError::Empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clustering::clustering_accuracy;

    fn blobs() -> (DMatrix<f64>, Vec<usize>) {
        let centres = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)];
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for (c, &(cx, cy)) in centres.iter().enumerate() {
            for i in 0..50 {
                let a = i as f64 * 0.7;
                rows.extend([cx + 0.5 * a.sin(), cy + 0.5 * (1.3 * a).cos()]);
                labels.push(c);
            }
        }
        (DMatrix::from_row_slice(150, 2, &rows), labels)
    }

    #[test]
    fn finds_planted_clusters_deterministically() {
        let (x, truth) = blobs();
        let p = KMeansParams {
            k: 3,
            seed: 7,
            ..Default::default()
        };
        let a = kmeans(&x, &p).unwrap();
        assert_eq!(clustering_accuracy(&truth, &a.labels).unwrap(), 1.0);
        assert_eq!(a, kmeans(&x, &p).unwrap());
    }

    #[test]
    fn duplicates_and_k_equal_n() {
        let x = DMatrix::from_row_slice(4, 1, &[1.0, 1.0, 1.0, 1.0]);
        let r = kmeans(
            &x,
            &KMeansParams {
                k: 2,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.inertia, 0.0);
        let y = DMatrix::from_row_slice(3, 1, &[0.0, 5.0, 9.0]);
        let r = kmeans(
            &y,
            &KMeansParams {
                k: 3,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.inertia, 0.0);
    }

    #[test]
    fn bad_input_is_typed() {
        let x = DMatrix::from_row_slice(2, 1, &[0.0, 1.0]);
        assert!(
            kmeans(
                &x,
                &KMeansParams {
                    k: 3,
                    ..Default::default()
                }
            )
            .is_err()
        );
        assert!(kmeans(&DMatrix::zeros(0, 2), &KMeansParams::default()).is_err());
        let nan = DMatrix::from_row_slice(2, 1, &[0.0, f64::NAN]);
        assert!(matches!(
            kmeans(
                &nan,
                &KMeansParams {
                    k: 1,
                    ..Default::default()
                }
            ),
            Err(MetricsError::NonFinite { row: 1, col: 0 })
        ));
    }
}
