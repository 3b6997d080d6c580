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
    /// Stop when the summed squared centroid shift is at most `tol` times the mean per-feature
    /// variance (scikit-learn's criterion).
    pub tol: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Threads running restarts in parallel (0: all available cores). Does not change the result.
    #[serde(default)]
    pub threads: usize,
}

impl Default for KMeansParams {
    fn default() -> Self {
        Self {
            k: 8,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            threads: 0,
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
    /// Sum of squared distances to the assigned centroids (`+inf` when it exceeds the range
    /// of `f64`, for points around 1e160 and beyond).
    pub inertia: f64,
    /// Lloyd iterations of the winning restart.
    pub n_iter: usize,
}

impl KMeansResult {
    /// The nearest centroid of every row of `x` (new points; ties: the lower index).
    /// `x` must have the centroids' number of columns and finite values.
    pub fn predict(&self, x: &DMatrix<f64>) -> Result<Vec<usize>> {
        if x.ncols() != self.centroids.ncols() {
            return Err(MetricsError::InvalidParameter(format!(
                "{} features for centroids of {}",
                x.ncols(),
                self.centroids.ncols()
            )));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(MetricsError::NonFinite {
                row: i % x.nrows().max(1),
                col: i / x.nrows().max(1),
            });
        }
        let n = x.nrows();
        let mut best = vec![(f64::INFINITY, 0usize); n];
        let mut d = vec![0.0; n];
        for j in 0..self.centroids.nrows() {
            let c: Vec<f64> = self.centroids.row(j).iter().copied().collect();
            sq_dists_to(x, &c, &mut d);
            for (b, &v) in best.iter_mut().zip(&d) {
                if v < b.0 {
                    *b = (v, j);
                }
            }
        }
        Ok(best.into_iter().map(|(_, j)| j).collect())
    }
}

/// Squared distances from every row of `x` (column-major n × d) to the point `c` (length d),
/// written into `out`: one contiguous pass per coordinate.
fn sq_dists_to(x: &DMatrix<f64>, c: &[f64], out: &mut [f64]) {
    out.fill(0.0);
    let n = x.nrows();
    // Plain slices: nalgebra's column iterators are strided and do not vectorise.
    for (col, &ct) in x.as_slice().chunks_exact(n).zip(c) {
        for (o, &v) in out.iter_mut().zip(col) {
            *o += (v - ct) * (v - ct);
        }
    }
}

/// k-means++ seeding (Arthur & Vassilvitskii 2007): each new centre drawn with probability
/// proportional to the squared distance to the nearest centre already chosen.
/// Returns the centres as a k × d matrix.
fn plus_plus_init(x: &DMatrix<f64>, k: usize, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    let (n, d) = x.shape();
    let mut c = DMatrix::zeros(k, d);
    let first = rng.random_range(0..n);
    c.row_mut(0).copy_from(&x.row(first));
    let mut closest = vec![0.0; n];
    let mut fresh = vec![0.0; n];
    let centre = |c: &DMatrix<f64>, j: usize| -> Vec<f64> { c.row(j).iter().copied().collect() };
    sq_dists_to(x, &centre(&c, 0), &mut closest);
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
            // All points coincide with chosen centres (duplicates): any point will do.
            rng.random_range(0..n)
        };
        c.row_mut(j).copy_from(&x.row(pick));
        sq_dists_to(x, &centre(&c, j), &mut fresh);
        closest
            .iter_mut()
            .zip(&fresh)
            .for_each(|(a, &b)| *a = a.min(b));
    }
    c
}

/// Buffers of one restart, reused across its Lloyd iterations. Points are the columns of
/// `xt` (d × n) and centres the columns of `ct` (d × k), so every point and every centre is
/// contiguous in memory.
struct Lloyd {
    /// `Cᵀ`-side dot products `c_j · x_i`, k × n (one contiguous column per point).
    dots: DMatrix<f64>,
    labels: Vec<usize>,
}

impl Lloyd {
    /// Assigns every point to its nearest centre through `‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖²`,
    /// one GEMM for all the dot products (as scikit-learn does). `dists` gets the squared
    /// distances (clamped at 0 against round-off).
    fn assign(&mut self, xt: &DMatrix<f64>, xnorm: &[f64], ct: &DMatrix<f64>, dists: &mut [f64]) {
        // (k × d)(d × n) through matrixmultiply; nalgebra's `gemm_tr` would take per-entry dot products.
        self.dots.gemm(1.0, &ct.transpose(), xt, 0.0);
        let cnorm: Vec<f64> = ct.column_iter().map(|c| c.norm_squared()).collect();
        let k = ct.ncols();
        let points = self.dots.as_slice().chunks_exact(k);
        for (((col, l), d), &xn) in points
            .zip(self.labels.iter_mut())
            .zip(dists.iter_mut())
            .zip(xnorm)
        {
            let (mut best, mut bv) = (0, f64::INFINITY);
            for (j, (&dot, &cn)) in col.iter().zip(&cnorm).enumerate() {
                let v = cn - 2.0 * dot;
                if v < bv {
                    bv = v;
                    best = j;
                }
            }
            *l = best;
            *d = (xn + bv).max(0.0);
        }
    }
}

/// Lloyd iterations from the centres `ct` (d × k) on the points `xt` (d × n). `tol_abs`:
/// stop when the summed squared centre shift is at most this (scikit-learn's criterion).
/// Returns labels, centres (d × k), inertia (recomputed exactly, point by point, against the
/// final centres) and iterations.
fn lloyd(
    xt: &DMatrix<f64>,
    xnorm: &[f64],
    mut ct: DMatrix<f64>,
    max_iter: usize,
    tol_abs: f64,
) -> (Vec<usize>, DMatrix<f64>, f64, usize) {
    let (d, n) = xt.shape();
    let k = ct.ncols();
    let mut w = Lloyd {
        dots: DMatrix::zeros(k, n),
        labels: vec![0; n],
    };
    let mut dists = vec![0f64; n];
    let mut sums = vec![0f64; d * k];
    let mut counts = vec![0usize; k];
    let xs = xt.as_slice();
    let point = |i: usize| &xs[i * d..(i + 1) * d];
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        w.assign(xt, xnorm, &ct, &mut dists);
        let labels = &mut w.labels;
        counts.fill(0);
        sums.fill(0.0);
        for (i, &l) in labels.iter().enumerate() {
            counts[l] += 1;
            sums[l * d..(l + 1) * d]
                .iter_mut()
                .zip(point(i))
                .for_each(|(s, v)| *s += v);
        }
        // An empty cluster takes the point farthest from its centroid (from a cluster that
        // keeps at least one point), as scikit-learn does.
        for j in 0..k {
            if counts[j] > 0 {
                continue;
            }
            let far = (0..n)
                .filter(|&i| counts[labels[i]] > 1)
                .max_by(|&a, &b| dists[a].total_cmp(&dists[b]));
            if let Some(far) = far {
                let old = labels[far];
                counts[old] -= 1;
                sums[old * d..(old + 1) * d]
                    .iter_mut()
                    .zip(point(far))
                    .for_each(|(s, v)| *s -= v);
                sums[j * d..(j + 1) * d].copy_from_slice(point(far));
                labels[far] = j;
                counts[j] = 1;
                dists[far] = 0.0;
            }
        }
        let mut shift = 0f64;
        let centres = ct.as_mut_slice();
        for j in 0..k {
            if counts[j] == 0 {
                continue;
            }
            let inv = 1.0 / counts[j] as f64;
            for (cv, sv) in centres[j * d..(j + 1) * d]
                .iter_mut()
                .zip(&sums[j * d..(j + 1) * d])
            {
                let v = sv * inv;
                shift += (v - *cv) * (v - *cv);
                *cv = v;
            }
        }
        if shift <= tol_abs {
            break;
        }
    }
    // Final assignment against the final centres; the inertia from exact distances.
    w.assign(xt, xnorm, &ct, &mut dists);
    let centres = ct.as_slice();
    let inertia = w
        .labels
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            let c = &centres[l * d..(l + 1) * d];
            point(i)
                .iter()
                .zip(c)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
        })
        .sum();
    (w.labels, ct, inertia, n_iter)
}

/// k-means on the rows of `x`, best of `n_init` k-means++ restarts, deterministic under `seed`.
///
/// Every restart has its own seed, drawn in order from `seed`, and restarts run on
/// `threads` threads; the result (lowest inertia, ties to the earliest restart) does not
/// depend on the thread count.
pub fn kmeans(x: &DMatrix<f64>, params: &KMeansParams) -> Result<KMeansResult> {
    params.check(x.nrows())?;
    let (n, d) = x.shape();
    if d == 0 {
        return Err(MetricsError::Empty);
    }
    for (col, c) in x.column_iter().enumerate() {
        if let Some(row) = c.iter().position(|v| !v.is_finite()) {
            return Err(MetricsError::NonFinite { row, col });
        }
    }
    // Points of extreme magnitude (squared distances beyond f64) are clustered at an exact
    // power-of-two scale: the clustering is the same, centroids and inertia are scaled back.
    let s = crate::subspace::power_of_two_scale(x.amax());
    if s != 1.0 {
        let mut r = kmeans(&(x / s), params)?;
        r.centroids *= s;
        r.inertia *= s * s;
        return Ok(r);
    }
    // Tolerance relative to the mean per-feature variance, as scikit-learn does.
    let nf = n as f64;
    let mean_var = x
        .column_iter()
        .map(|c| {
            let m = c.sum() / nf;
            c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / nf
        })
        .sum::<f64>()
        / d as f64;
    let tol_abs = params.tol * mean_var;
    let xt = x.transpose();
    let xnorm: Vec<f64> = xt.column_iter().map(|c| c.norm_squared()).collect();
    let mut master = ChaCha8Rng::seed_from_u64(params.seed);
    let seeds: Vec<u64> = (0..params.n_init).map(|_| master.random()).collect();
    let run = |s: u64| {
        let mut rng = ChaCha8Rng::seed_from_u64(s);
        let init = plus_plus_init(x, params.k, &mut rng);
        lloyd(&xt, &xnorm, init.transpose(), params.max_iter, tol_abs)
    };
    let threads = match params.threads {
        0 => std::thread::available_parallelism().map_or(1, |t| t.get()),
        t => t,
    }
    .min(params.n_init)
    .max(1);
    let results: Vec<_> = if threads == 1 {
        seeds.iter().map(|&s| run(s)).collect()
    } else {
        // Restarts differ in length (4 to 20+ iterations), so threads take the next restart
        // from a shared counter instead of a fixed share; results go back in restart order.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut slots: Vec<Option<_>> = (0..seeds.len()).map(|_| None).collect();
        let done: Vec<Vec<(usize, _)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (run, next, seeds) = (&run, &next, &seeds);
                    scope.spawn(move || {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if i >= seeds.len() {
                                break mine;
                            }
                            mine.push((i, run(seeds[i])));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("k-means worker panicked"))
                .collect()
        });
        for (i, r) in done.into_iter().flatten() {
            slots[i] = Some(r);
        }
        slots.into_iter().flatten().collect()
    };
    let (labels, c, inertia, n_iter) = results
        .into_iter()
        .reduce(|best, r| if r.2 < best.2 { r } else { best })
        .ok_or(MetricsError::Empty)?;
    Ok(KMeansResult {
        labels,
        centroids: c.transpose(),
        inertia,
        n_iter,
    })
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
    fn predict_assigns_the_nearest_centroid() {
        let r = KMeansResult {
            labels: vec![],
            centroids: DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 10.0, 0.0]),
            inertia: 0.0,
            n_iter: 0,
        };
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 1.0, 6.0, -3.0, 4.9, 0.0]);
        assert_eq!(r.predict(&x).unwrap(), vec![0, 1, 0]);
        assert!(r.predict(&DMatrix::zeros(1, 3)).is_err());
        assert!(matches!(
            r.predict(&DMatrix::from_row_slice(1, 2, &[0.0, f64::NAN])),
            Err(MetricsError::NonFinite { row: 0, col: 1 })
        ));
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
    fn result_does_not_depend_on_the_thread_count() {
        let (x, _) = blobs();
        let p = |threads| KMeansParams {
            k: 4,
            n_init: 7,
            seed: 3,
            threads,
            ..Default::default()
        };
        let one = kmeans(&x, &p(1)).unwrap();
        assert_eq!(one, kmeans(&x, &p(2)).unwrap());
        assert_eq!(one, kmeans(&x, &p(5)).unwrap());
    }

    #[test]
    fn an_emptied_cluster_is_refilled() {
        // Two far groups and k = 3, so some restart starts with a centre that loses all its
        // points; every cluster must end non-empty and the inertia must be the optimum's.
        let mut rows = vec![];
        for i in 0..20 {
            rows.push(if i < 10 {
                0.0 + i as f64 * 0.01
            } else {
                100.0 + i as f64 * 0.01
            });
        }
        let x = DMatrix::from_column_slice(20, 1, &rows);
        let r = kmeans(
            &x,
            &KMeansParams {
                k: 3,
                n_init: 5,
                seed: 1,
                ..Default::default()
            },
        )
        .unwrap();
        for j in 0..3 {
            assert!(r.labels.contains(&j), "cluster {j} empty: {:?}", r.labels);
        }
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
