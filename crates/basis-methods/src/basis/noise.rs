//! The network step's input noise (`BasisConfig::input_noise`, ours, off by default): moved
//! copies of a batch's points with kernel-interpolated targets, so the network sees points
//! off the training support (docs/out-of-sample.md).

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The network step's input noise: per-coordinate standard deviation, the bandwidth of the
/// moved points' targets and the generator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct InputNoise {
    pub(super) std: f64,
    /// Gaussian bandwidth of [`InputNoise::targets`]: the median distance to the 7th
    /// neighbour (the self-tuning scale's neighbour) in the reference set.
    pub(super) bandwidth: f64,
    pub(super) rng: ChaCha8Rng,
}

/// The neighbour whose distance sets the bandwidth of the moved points' targets (as the
/// self-tuning affinity's local scale).
const TARGET_BANDWIDTH_NEIGHBOUR: usize = 7;

impl InputNoise {
    /// Noise of length up to about `factor` × the median distance from a row of `z` to its
    /// k-th nearest other row (`None` when `factor` is 0), its generator seeded from `seed`
    /// on a stream of its own (the batches' draws are not touched).
    pub(super) fn new(factor: f64, z: &DMatrix<f64>, k: usize, seed: u64) -> Option<Self> {
        if factor <= 0.0 {
            return None;
        }
        let (m, d) = z.shape();
        // Every row's squared distances to the other rows, sorted once for both radii.
        let sorted: Vec<Vec<f64>> = (0..m)
            .map(|i| {
                let mut dist: Vec<f64> = (0..m)
                    .filter(|&o| o != i)
                    .map(|o| (z.row(i) - z.row(o)).norm_squared())
                    .collect();
                dist.sort_unstable_by(f64::total_cmp);
                dist
            })
            .collect();
        // Median distance to the j-th nearest other row (1-based, clamped to what exists).
        let median_kth = |j: usize| -> f64 {
            let mut radii: Vec<f64> = sorted
                .iter()
                .map(|dist| match dist.len() {
                    0 => 0.0,
                    len => dist[j.clamp(1, len) - 1].sqrt(),
                })
                .collect();
            let mid = radii.len() / 2;
            radii.select_nth_unstable_by(mid, f64::total_cmp);
            radii[mid]
        };
        // E‖N(0, s² I_d)‖ ≈ s √d.
        let std = factor * median_kth(k) / (d as f64).sqrt();
        let bandwidth = median_kth(TARGET_BANDWIDTH_NEIGHBOUR);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        Some(Self {
            std,
            bandwidth,
            rng,
        })
    }

    /// Targets of the moved rows `moved` (m × d) from the batch's own rows `clean` and their
    /// targets `targets` (m × K): the Nyström-style extension of the batch embedding, each
    /// moved row taking the Gaussian-weighted mean `Σ_j w_ij t_j / Σ_j w_ij`,
    /// `w_ij = exp(−‖x̃_i − x_j‖² / h²)`. Inside the training support this is a local average
    /// at the graph's own scale (the within-cluster profile is kept); outside it, the targets
    /// of the nearest batch points (a point off a cluster takes that cluster's coordinates).
    /// Weights are computed relative to each row's nearest batch point, so they never all
    /// underflow.
    ///
    /// Also returns, per moved row, whether it left the support: its nearest batch point is
    /// farther than the bandwidth (the typical distance to a 7th neighbour inside it).
    pub(super) fn targets(
        &self,
        clean: &DMatrix<f64>,
        moved: &DMatrix<f64>,
        targets: &DMatrix<f64>,
    ) -> (DMatrix<f64>, Vec<bool>) {
        let h2 = (self.bandwidth * self.bandwidth).max(f64::MIN_POSITIVE);
        let cross = moved * clean.transpose();
        let clean_sq: Vec<f64> = clean.row_iter().map(|r| r.norm_squared()).collect();
        let mut w = DMatrix::zeros(moved.nrows(), clean.nrows());
        let mut outside = Vec::with_capacity(moved.nrows());
        for i in 0..moved.nrows() {
            let own = moved.row(i).norm_squared();
            let d2: Vec<f64> = (0..clean.nrows())
                .map(|j| (own + clean_sq[j] - 2.0 * cross[(i, j)]).max(0.0))
                .collect();
            let nearest = d2.iter().copied().fold(f64::INFINITY, f64::min);
            outside.push(nearest > h2);
            let mut total = 0.0;
            for (j, &v) in d2.iter().enumerate() {
                let e = (-(v - nearest) / h2).exp();
                w[(i, j)] = e;
                total += e;
            }
            w.row_mut(i).unscale_mut(total);
        }
        (w * targets, outside)
    }

    /// `z` moved by a fresh draw of the noise: row i by `std · u_i · g_i` with `u_i ~ U(0, 1)`
    /// and `g_i ~ N(0, I_d)`, so the moves fill the whole ball up to the noise length instead
    /// of a thin shell at it (a Gaussian in d dimensions concentrates at length `std √d`).
    pub(super) fn perturb(&mut self, z: &mut DMatrix<f64>) {
        use rand::RngExt;
        let normal = rand_distr::StandardNormal;
        for mut row in z.row_iter_mut() {
            let u: f64 = self.rng.random();
            for v in row.iter_mut() {
                let g: f64 = rand_distr::Distribution::sample(&normal, &mut self.rng);
                *v += self.std * u * g;
            }
        }
    }
}
