//! Approximate kNN through HNSW ([`hnsw_rs`]), for datasets too large for
//! the exact search.
//!
//! `hnsw_rs` stops the process (`std::process::exit`) when a layer holds more
//! than 256 connections, and panics on a NaN distance or a zero layer count;
//! [`HnswParams::check`] and the input checks reject all of these first, so a
//! bad value is a [`GraphError`], never an exit.
//!
//! Distances inside the index are Euclidean in `f32` (cosine: Euclidean
//! between unit vectors, which orders points the same way). The returned
//! [`KnnGraph`] holds the neighbours the index found, re-scored exactly in
//! `f64` and sorted, so its distances are comparable with [`crate::knn_exact`].
//!
//! **Reproducibility.** `hnsw_rs` draws layers from its own generator with a
//! fixed seed, so a build with `threads = 1` is deterministic. With more
//! threads the insertion order, hence the index, depends on scheduling; recall
//! varies by a few tenths of a percent between runs.

use crate::error::{GraphError, Result};
use crate::knn::{
    KnnGraph, Metric, check_features, preprocess_rows, resolve_threads, squared_distance,
};
use hnsw_rs::prelude::{DataId, Distance, Hnsw, Neighbour};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Largest layer connectivity `hnsw_rs` accepts (it exits the process above it).
pub const HNSW_MAX_CONNECTIONS: usize = 256;
/// Largest number of layers `hnsw_rs` uses.
pub const HNSW_MAX_LAYERS: usize = 16;

/// Parameters of the HNSW search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HnswParams {
    /// Neighbours per point, excluding the point itself.
    pub k: usize,
    /// Distance.
    pub metric: Metric,
    /// Links per node and layer (`M`), in `2..=256`.
    pub max_connections: usize,
    /// Candidate list width while building (`ef_construction`), at least `max_connections`.
    pub ef_construction: usize,
    /// Candidate list width while searching (`ef`), at least `k + 1`.
    pub ef_search: usize,
    /// Number of layers, in `1..=16`.
    pub max_layers: usize,
    /// Worker threads; `0` means one per available core. `1` makes the build deterministic.
    pub threads: usize,
}

impl Default for HnswParams {
    fn default() -> Self {
        Self {
            k: 10,
            metric: Metric::Euclidean,
            max_connections: 24,
            ef_construction: 200,
            ef_search: 100,
            max_layers: HNSW_MAX_LAYERS,
            threads: 0,
        }
    }
}

impl HnswParams {
    /// Validates the parameters for `n` points.
    pub fn check(&self, n: usize) -> Result<()> {
        if self.k == 0 || self.k >= n {
            return Err(GraphError::InvalidK { k: self.k, n });
        }
        let bad = |m: String| Err(GraphError::InvalidParameter(m));
        if !(2..=HNSW_MAX_CONNECTIONS).contains(&self.max_connections) {
            return bad(format!(
                "HNSW max_connections = {} must be in 2..={HNSW_MAX_CONNECTIONS}",
                self.max_connections
            ));
        }
        if self.ef_construction < self.max_connections {
            return bad(format!(
                "HNSW ef_construction = {} must be at least max_connections = {}",
                self.ef_construction, self.max_connections
            ));
        }
        if self.ef_search <= self.k {
            return bad(format!(
                "HNSW ef_search = {} must exceed k = {} (the point itself is also returned)",
                self.ef_search, self.k
            ));
        }
        if !(1..=HNSW_MAX_LAYERS).contains(&self.max_layers) {
            return bad(format!(
                "HNSW max_layers = {} must be in 1..={HNSW_MAX_LAYERS}",
                self.max_layers
            ));
        }
        Ok(())
    }
}

/// Wall-clock seconds of the two HNSW phases.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct HnswTimings {
    /// Building the index (inserting every point).
    pub build_seconds: f64,
    /// Querying every point and re-scoring its neighbours.
    pub query_seconds: f64,
}

/// Euclidean distance in `f32` with eight accumulators, so that it vectorises
/// (the plain iterator sum of `hnsw_rs`'s `DistL2` does not), with AVX2 when
/// the CPU has it.
#[derive(Debug, Clone, Copy, Default)]
struct L2Lanes;

impl Distance<f32> for L2Lanes {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU supports the features the function is compiled for.
                return unsafe { l2_avx2(a, b) };
            }
        }
        l2_lanes(a, b)
    }
}

/// Eight independent accumulators: the compiler turns them into SIMD lanes.
#[inline(always)]
fn l2_lanes(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for t in 0..8 {
            let v = x[t] - y[t];
            acc[t] += v * v;
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += (x - y) * (x - y);
    }
    s.sqrt()
}

/// [`l2_lanes`] compiled for AVX2 + FMA (the default target is baseline x86-64).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn l2_avx2(a: &[f32], b: &[f32]) -> f32 {
    l2_lanes(a, b)
}

/// Approximate kNN of the rows of `x` through an HNSW index.
pub fn knn_hnsw(x: &DMatrix<f64>, params: &HnswParams) -> Result<(KnnGraph, HnswTimings)> {
    check_features(x)?;
    let (n, d) = x.shape();
    params.check(n)?;
    let k = params.k;

    // Row-major f64 copy (centred or normalised) and its f32 rounding.
    let (mut xs, mut zero_rows) = (Vec::new(), Vec::new());
    preprocess_rows(x, params.metric, &mut xs, &mut zero_rows);
    if let Some(i) = zero_rows.iter().position(|&z| z) {
        return Err(GraphError::InvalidParameter(format!(
            "row {i} is a zero vector, whose cosine distance the HNSW search cannot order; use knn_exact"
        )));
    }
    // Squared f32 distances must not overflow (an infinite or NaN distance
    // makes hnsw_rs panic).
    let limit = (f32::MAX as f64).sqrt() / (2.0 * (d as f64).sqrt()) / 2.0;
    if let Some(p) = xs.iter().position(|v| v.abs() > limit) {
        return Err(GraphError::InvalidParameter(format!(
            "feature magnitude {:e} at row {}, column {} overflows the f32 distances of the HNSW index (limit {limit:e})",
            xs[p],
            p / d,
            p % d
        )));
    }
    let xf: Vec<f32> = xs.iter().map(|&v| v as f32).collect();

    let threads = resolve_threads(params.threads);

    let start = Instant::now();
    let index: Hnsw<f32, L2Lanes> = Hnsw::new(
        params.max_connections,
        n,
        params.max_layers,
        params.ef_construction,
        L2Lanes,
    );
    let items: Vec<(&[f32], usize)> = xf.chunks(d).zip(0..n).collect();
    if threads == 1 {
        for &item in &items {
            index.insert_slice(item);
        }
    } else {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| GraphError::InvalidParameter(format!("thread pool: {e}")))?
            .install(|| index.parallel_insert_slice(&items));
    }
    let build_seconds = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut indices = vec![0usize; n * k];
    let mut distances = vec![0f64; n * k];
    let query_rows = |rows: std::ops::Range<usize>, idx: &mut [usize], dist: &mut [f64]| {
        let mut scored: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
        for (r, i) in rows.enumerate() {
            let found: Vec<Neighbour> =
                index.search(&xf[i * d..(i + 1) * d], k + 1, params.ef_search);
            scored.clear();
            let xi = &xs[i * d..(i + 1) * d];
            scored.extend(
                found
                    .iter()
                    .map(|nb| nb.d_id as DataId)
                    .filter(|&j| j != i && j < n)
                    .map(|j| (squared_distance(xi, &xs[j * d..(j + 1) * d]), j)),
            );
            scored.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            scored.dedup_by_key(|p| p.1);
            // An index that returned too few points (tiny graphs): fill with the
            // remaining points by index, scored exactly, so the row is complete.
            let mut fill = 0usize;
            while scored.len() < k {
                if fill != i && !scored.iter().any(|p| p.1 == fill) {
                    scored.push((squared_distance(xi, &xs[fill * d..(fill + 1) * d]), fill));
                }
                fill += 1;
            }
            scored.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (t, &(d2, j)) in scored.iter().take(k).enumerate() {
                idx[r * k + t] = j;
                dist[r * k + t] = params.metric.distance_from_squared(d2);
            }
        }
    };
    let rows_per = n.div_ceil(threads);
    std::thread::scope(|sc| {
        for (t, (idx, dist)) in indices
            .chunks_mut(rows_per * k)
            .zip(distances.chunks_mut(rows_per * k))
            .enumerate()
        {
            let lo = t * rows_per;
            let hi = (lo + rows_per).min(n);
            let q = &query_rows;
            sc.spawn(move || q(lo..hi, idx, dist));
        }
    });
    let query_seconds = start.elapsed().as_secs_f64();
    Ok((
        KnnGraph {
            n,
            k,
            indices,
            distances,
        },
        HnswTimings {
            build_seconds,
            query_seconds,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knn::{KnnParams, knn_exact};

    fn pseudo_random(n: usize, d: usize, seed: u64) -> DMatrix<f64> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        DMatrix::from_fn(n, d, |_, _| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
    }

    #[test]
    fn recall_against_exact_on_random_data() {
        let x = pseudo_random(2000, 16, 7);
        let p = HnswParams {
            k: 10,
            threads: 1,
            ..Default::default()
        };
        let (approx, _) = knn_hnsw(&x, &p).unwrap();
        let exact = knn_exact(
            &x,
            &KnnParams {
                k: 10,
                ..Default::default()
            },
        )
        .unwrap();
        let recall = approx.recall_against(&exact).unwrap();
        assert!(recall >= 0.95, "recall@10 = {recall}");
        // Distances are exact for the neighbours found, and sorted.
        for i in 0..x.nrows() {
            let row = approx.neighbor_distances(i);
            assert!(row.windows(2).all(|w| w[0] <= w[1]));
            let j = approx.neighbors(i)[0];
            assert_ne!(i, j);
            assert!((row[0] - (x.row(i) - x.row(j)).norm()).abs() < 1e-12);
        }
        // Serial builds are deterministic.
        let (again, _) = knn_hnsw(&x, &p).unwrap();
        assert_eq!(again, approx);
    }

    #[test]
    fn values_that_would_stop_hnsw_rs_are_typed_errors() {
        let x = pseudo_random(50, 3, 1);
        let base = HnswParams {
            k: 5,
            ..Default::default()
        };
        for bad in [
            HnswParams {
                max_connections: 257,
                ef_construction: 300,
                ..base
            },
            HnswParams {
                max_connections: 1,
                ..base
            },
            HnswParams {
                max_layers: 0,
                ..base
            },
            HnswParams {
                max_layers: 17,
                ..base
            },
            HnswParams {
                ef_search: 5,
                ..base
            },
            HnswParams {
                ef_construction: 10,
                ..base
            },
        ] {
            assert!(
                matches!(knn_hnsw(&x, &bad), Err(GraphError::InvalidParameter(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            knn_hnsw(&x, &HnswParams { k: 50, ..base }),
            Err(GraphError::InvalidK { .. })
        ));
        let mut huge = x.clone();
        huge[(3, 1)] = 1e30;
        assert!(matches!(
            knn_hnsw(&huge, &base),
            Err(GraphError::InvalidParameter(_))
        ));
        let mut nan = x.clone();
        nan[(2, 0)] = f64::NAN;
        assert!(matches!(
            knn_hnsw(&nan, &base),
            Err(GraphError::NonFinite { row: 2, col: 0 })
        ));
        let mut zero = x;
        zero.row_mut(4).fill(0.0);
        assert!(matches!(
            knn_hnsw(
                &zero,
                &HnswParams {
                    metric: Metric::Cosine,
                    ..base
                }
            ),
            Err(GraphError::InvalidParameter(_))
        ));
    }
}
