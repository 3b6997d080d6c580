//! Exact k-nearest-neighbour search: blocked, multithreaded brute force.
//!
//! The search runs in two stages, which together return exactly what a
//! brute-force `f64` search returns (ties broken by the smaller index):
//!
//! 1. **Candidates in `f32` through matrix products.** Rows are centred
//!    (Euclidean) or normalised (cosine) in `f64`, then rounded to `f32`. The
//!    point set is cut into blocks of [`TILE`] rows; for every pair of blocks
//!    `I ≤ J` one `f32` GEMM gives `X_I X_Jᵀ`, hence the squared distances
//!    `‖x_i‖² + ‖x_j‖² − 2 x_i·x_j` of the tile. Each tile feeds both its rows
//!    and its columns, so the symmetric distance matrix is computed once, not
//!    twice. Tiles are shared among threads through an atomic counter; each
//!    thread keeps its own candidate lists, merged at the end.
//! 2. **Exact re-ranking in `f64`.** For row `i`, with `t` the `k`-th smallest
//!    approximate distance, every point whose approximate distance is within
//!    `t + 2E_i` is re-scored exactly, as `Σ (x_i − x_j)²` in `f64` (no
//!    cancellation). `E_i` is a worst-case bound on the `f32` error,
//!    `(d + 10)·u·(‖x_i‖² + max_j ‖x_j‖²)` with `u = 2⁻²⁴` (Higham's bound on a
//!    length-`d` dot product, plus the rounding of the inputs and norms), so no
//!    true neighbour can be lost: the `k` points at or below `t` have exact
//!    distances at most `t + E_i`, so every true neighbour has an approximate
//!    distance at most `t + 2E_i`.
//!
//! A point is never its own neighbour, even when duplicates make distances zero.
//! [`KnnWorkspace`] holds every buffer, so repeated searches on batches of the
//! same size allocate nothing new.

use crate::error::{GraphError, Result};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Distance used by the kNN search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Metric {
    /// Euclidean distance.
    #[default]
    Euclidean,
    /// Cosine distance `1 − cos(x_i, x_j)`; a zero vector is at distance 1 from everything.
    Cosine,
}

impl Metric {
    /// The distance whose squared-Euclidean form (of centred rows for
    /// Euclidean, of unit rows for cosine) is `d2`.
    #[inline]
    pub(crate) fn distance_from_squared(self, d2: f64) -> f64 {
        match self {
            Metric::Euclidean => d2.sqrt(),
            Metric::Cosine => 0.5 * d2,
        }
    }
}

/// Parameters of the exact kNN search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KnnParams {
    /// Number of neighbours per point, excluding the point itself.
    pub k: usize,
    /// Distance.
    pub metric: Metric,
    /// Worker threads; `0` means one per available core. Results do not depend on it.
    #[serde(default)]
    pub threads: usize,
}

impl Default for KnnParams {
    fn default() -> Self {
        Self {
            k: 10,
            metric: Metric::Euclidean,
            threads: 0,
        }
    }
}

impl KnnParams {
    /// Checks `k` against the number of points `n`.
    pub fn check(&self, n: usize) -> Result<()> {
        if self.k == 0 || self.k >= n {
            return Err(GraphError::InvalidK { k: self.k, n });
        }
        if n > u32::MAX as usize {
            return Err(GraphError::InvalidParameter(format!(
                "{n} points exceed the 2^32 supported by the kNN search"
            )));
        }
        Ok(())
    }

    /// The number of threads actually used for `n` points.
    pub fn effective_threads(&self, n: usize) -> usize {
        let t = resolve_threads(self.threads);
        // Below a few hundred points a second thread costs more than it saves.
        if n < 256 { 1 } else { t }
    }
}

/// A thread-count parameter: `0` means one per available core.
pub(crate) fn resolve_threads(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |v| v.get())
    } else {
        threads
    }
}

/// The neighbours of every point: row `i` holds the `k` nearest, closest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KnnGraph {
    /// Number of points.
    pub n: usize,
    /// Neighbours per point.
    pub k: usize,
    /// `n·k` neighbour indices, row-major.
    pub indices: Vec<usize>,
    /// `n·k` distances (not squared), row-major, non-decreasing along each row.
    pub distances: Vec<f64>,
}

impl KnnGraph {
    /// A graph from its parts (e.g. neighbours computed elsewhere), checked with
    /// [`check`](Self::check).
    pub fn from_parts(
        n: usize,
        k: usize,
        indices: Vec<usize>,
        distances: Vec<f64>,
    ) -> Result<Self> {
        let g = Self {
            n,
            k,
            indices,
            distances,
        };
        g.check()?;
        Ok(g)
    }

    /// Validates a graph whose public fields may have been set by hand: `1 <= k < n`, `n·k`
    /// indices and distances, every index a point other than its row's, every distance
    /// finite, non-negative and non-decreasing along its row. The functions that build
    /// affinities from a graph call it first, so a bad graph is a typed error there, not a
    /// panic or a wrong matrix.
    pub fn check(&self) -> Result<()> {
        let (n, k) = (self.n, self.k);
        if n == 0 {
            return Err(GraphError::Empty { rows: 0, cols: k });
        }
        if k == 0 || k >= n {
            return Err(GraphError::InvalidK { k, n });
        }
        let len = n.checked_mul(k);
        if len != Some(self.indices.len()) || len != Some(self.distances.len()) {
            return Err(GraphError::InvalidParameter(format!(
                "a {n}-point {k}-NN graph needs {n}·{k} indices and distances, has {} and {}",
                self.indices.len(),
                self.distances.len()
            )));
        }
        for i in 0..n {
            let row = &self.indices[i * k..(i + 1) * k];
            if let Some(&j) = row.iter().find(|&&j| j >= n || j == i) {
                return Err(GraphError::InvalidParameter(format!(
                    "point {i} lists neighbour {j} (the graph has {n} points; a point is not its own neighbour)"
                )));
            }
            let d = &self.distances[i * k..(i + 1) * k];
            if let Some(v) = d.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(GraphError::InvalidParameter(format!(
                    "point {i} has neighbour distance {v}; distances must be finite and >= 0"
                )));
            }
            if d.windows(2).any(|w| w[1] < w[0]) {
                return Err(GraphError::InvalidParameter(format!(
                    "the distances of point {i} are not sorted closest first"
                )));
            }
        }
        Ok(())
    }

    /// Sizes the graph for `n` points and `k` neighbours, reusing its allocations.
    fn reset(&mut self, n: usize, k: usize) {
        self.n = n;
        self.k = k;
        self.indices.clear();
        self.indices.resize(n * k, 0);
        self.distances.clear();
        self.distances.resize(n * k, 0.0);
    }

    /// Neighbour indices of point `i`, closest first (panics if `i >= n`, like slice indexing).
    pub fn neighbors(&self, i: usize) -> &[usize] {
        &self.indices[i * self.k..(i + 1) * self.k]
    }

    /// Distances to the neighbours of point `i`.
    pub fn neighbor_distances(&self, i: usize) -> &[f64] {
        &self.distances[i * self.k..(i + 1) * self.k]
    }

    /// Fraction of the exact neighbours found by `self`, averaged over points
    /// (recall@k of an approximate graph against `exact`).
    pub fn recall_against(&self, exact: &KnnGraph) -> Result<f64> {
        self.check()?;
        exact.check()?;
        if self.n != exact.n || self.k != exact.k {
            return Err(GraphError::InvalidParameter(format!(
                "recall of a {}-point {}-NN graph against a {}-point {}-NN graph",
                self.n, self.k, exact.n, exact.k
            )));
        }
        if self.n == 0 || self.k == 0 {
            return Err(GraphError::Empty {
                rows: self.n,
                cols: self.k,
            });
        }
        let mut hits = 0usize;
        let mut truth: Vec<usize> = Vec::with_capacity(self.k);
        for i in 0..self.n {
            truth.clear();
            truth.extend_from_slice(exact.neighbors(i));
            truth.sort_unstable();
            hits += self
                .neighbors(i)
                .iter()
                .filter(|j| truth.binary_search(j).is_ok())
                .count();
        }
        Ok(hits as f64 / (self.n * self.k) as f64)
    }
}

/// Checks a feature matrix: non-empty and finite.
pub fn check_features(x: &DMatrix<f64>) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(GraphError::Empty {
            rows: x.nrows(),
            cols: x.ncols(),
        });
    }
    for (col, c) in x.column_iter().enumerate() {
        if let Some(row) = c.iter().position(|v| !v.is_finite()) {
            return Err(GraphError::NonFinite { row, col });
        }
    }
    Ok(())
}

/// Rows per block of the distance computation.
pub const TILE: usize = 256;

/// Largest magnitude a preprocessed feature may have: beyond it squared
/// distances overflow `f32`.
const F32_SAFE: f64 = 1e15;

/// Candidate lists of every row, owned by one thread.
#[derive(Debug, Default)]
struct RowLists {
    entries: Vec<Vec<u64>>,
    cap: Vec<usize>,
    tau: Vec<f32>,
}

impl RowLists {
    /// Empty lists of `n` rows whose thresholds start at `preset` (one valid
    /// upper bound per row, see [`preset_thresholds`]).
    fn reset(&mut self, n: usize, k: usize, preset: &[f32]) {
        self.entries.resize_with(n, Vec::new);
        // With preset thresholds few candidates beyond the k-th arrive, so a list
        // is compacted once it holds k + k/4 + 8 entries and allocated once at that
        // size (a list that keeps more than half after compaction doubles it).
        let cap = list_capacity(k);
        for e in &mut self.entries {
            e.clear();
            e.reserve_exact(cap);
        }
        self.cap.clear();
        self.cap.resize(n, cap);
        self.tau.clear();
        self.tau.extend_from_slice(preset);
    }

    #[inline]
    fn offer(&mut self, i: usize, d: f32, j: u32, k: usize, margin: f32) {
        let e = &mut self.entries[i];
        e.push(pack(d, j));
        if e.len() >= self.cap[i] {
            e.select_nth_unstable(k - 1);
            // A thread's list may hold fewer than k entries below a preset bound
            // and its k-th may lie above it: the threshold never grows.
            let tau = (unpack_distance(e[k - 1]) + margin).min(self.tau[i]);
            let limit = key_limit(tau);
            e.retain(|&p| p <= limit);
            self.tau[i] = tau;
            // Compaction freed less than half the slack above k (many ties
            // within the margin): grow, so that compactions stay rare.
            if e.len() > k + (self.cap[i] - k) / 2 {
                self.cap[i] *= 2;
            }
        }
    }
}

/// Entries a candidate list holds before its first compaction.
fn list_capacity(k: usize) -> usize {
    k + k / 4 + 8
}

/// Packs a non-negative `f32` distance and an index into one `u64` whose
/// integer order is (distance, index): the bits of a non-negative float are
/// ordered like its value. Selections then compare plain integers.
#[inline]
fn pack(d: f32, j: u32) -> u64 {
    ((d.max(0.0).to_bits() as u64) << 32) | j as u64
}

#[inline]
fn unpack_distance(key: u64) -> f32 {
    f32::from_bits((key >> 32) as u32)
}

/// The largest key whose distance is at most `tau`.
#[inline]
fn key_limit(tau: f32) -> u64 {
    ((tau.max(0.0).to_bits() as u64) << 32) | u32::MAX as u64
}

/// Per-thread scratch: one tile and the candidate lists.
#[derive(Debug, Default)]
struct ThreadScratch {
    tile: Vec<f32>,
    lists: RowLists,
    /// Offsets and marks of the marked chunks of the current tile row.
    hits: Vec<(u32, u32)>,
}

/// Reusable buffers of [`knn_exact_with`]: keep one per training loop to avoid
/// reallocating for every batch.
#[derive(Debug, Default)]
pub struct KnnWorkspace {
    xs: Vec<f64>,
    xf: Vec<f32>,
    norms: Vec<f32>,
    margin: Vec<f32>,
    zero_rows: Vec<bool>,
    scratch: Vec<ThreadScratch>,
    merge: Vec<MergeBuf>,
    full: Vec<f32>,
    preset: Vec<f32>,
    order: Vec<u32>,
}

impl KnnWorkspace {
    /// An empty workspace; buffers grow on first use.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Exact kNN of the rows of `x` (one point per row).
pub fn knn_exact(x: &DMatrix<f64>, params: &KnnParams) -> Result<KnnGraph> {
    let mut out = KnnGraph::default();
    knn_exact_with(&mut KnnWorkspace::new(), x, params, &mut out)?;
    Ok(out)
}

/// [`knn_exact`] with caller-owned buffers: `ws` and `out` are reused.
pub fn knn_exact_with(
    ws: &mut KnnWorkspace,
    x: &DMatrix<f64>,
    params: &KnnParams,
    out: &mut KnnGraph,
) -> Result<()> {
    check_features(x)?;
    let (n, d) = x.shape();
    params.check(n)?;
    let k = params.k;
    prepare(ws, x, params.metric)?;

    let threads = params.effective_threads(n);
    if n <= SMALL_N {
        knn_small(ws, n, d, k, params.metric, threads, out);
        return Ok(());
    }
    ws.scratch.resize_with(threads, ThreadScratch::default);
    let blocks = n.div_ceil(TILE);
    let pairs: Vec<(usize, usize)> = (0..blocks)
        .flat_map(|a| (a..blocks).map(move |b| (a, b)))
        .collect();
    preset_thresholds(ws, n, d, k, threads);
    let next = AtomicUsize::new(0);
    {
        let (xf, norms, margin, preset) =
            (&ws.xf[..], &ws.norms[..], &ws.margin[..], &ws.preset[..]);
        let work = |s: &mut ThreadScratch| {
            s.lists.reset(n, k, preset);
            s.tile.resize(TILE * TILE, 0.0);
            loop {
                let t = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(a, b)) = pairs.get(t) else { break };
                scan_tile(s, xf, norms, margin, d, n, k, a, b);
            }
        };
        let (first, rest) = ws.scratch.split_at_mut(1);
        std::thread::scope(|sc| {
            for s in rest.iter_mut() {
                sc.spawn(|| work(s));
            }
            work(&mut first[0]);
        });
    }

    // Merge the threads' lists and re-rank exactly in f64.
    out.reset(n, k);
    let rows_per = n.div_ceil(threads);
    let metric = params.metric;
    let mut bufs = std::mem::take(&mut ws.merge);
    bufs.resize_with(threads, MergeBuf::default);
    let ws_ref = &*ws;
    std::thread::scope(|sc| {
        let chunks = out
            .indices
            .chunks_mut(rows_per * k)
            .zip(out.distances.chunks_mut(rows_per * k))
            .zip(bufs.iter_mut())
            .enumerate();
        for (t, ((idx, dist), buf)) in chunks {
            sc.spawn(move || {
                let lo = t * rows_per;
                for (r, (ir, dr)) in idx.chunks_mut(k).zip(dist.chunks_mut(k)).enumerate() {
                    // Every j ≠ i was offered to row i by some thread, and each thread
                    // keeps at least its k best offers: at least k candidates.
                    buf.approx.clear();
                    for s in &ws_ref.scratch {
                        buf.approx.extend_from_slice(&s.lists.entries[lo + r]);
                    }
                    finish_row(ws_ref, lo + r, d, k, metric, buf, ir, dr);
                }
            });
        }
    });
    ws.merge = bufs;
    Ok(())
}

/// Up to this many points the whole `n × n` distance matrix is formed (16 MB
/// at 2048) and every row selected directly: the batch path. Above it, tiles
/// and streaming candidate lists bound the memory.
pub const SMALL_N: usize = 2048;

/// The batch path: full `f32` distance rows, an `f32` selection of the `k`-th
/// value per row, then the same exact re-ranking as the tiled path.
#[allow(clippy::too_many_arguments)]
fn knn_small(
    ws: &mut KnnWorkspace,
    n: usize,
    d: usize,
    k: usize,
    metric: Metric,
    threads: usize,
    out: &mut KnnGraph,
) {
    out.reset(n, k);
    let mut full = std::mem::take(&mut ws.full);
    full.clear();
    full.resize(n * n, 0.0);
    let mut bufs = std::mem::take(&mut ws.merge);
    bufs.resize_with(threads, MergeBuf::default);
    let rows_per = n.div_ceil(threads);
    let ws_ref = &*ws;
    let work =
        |lo: usize, rows: &mut [f32], idx: &mut [usize], dist: &mut [f64], buf: &mut MergeBuf| {
            let m = rows.len() / n;
            let xf = &ws_ref.xf;
            // SAFETY: `m × d` rows from `lo`, all `n × d` rows, and the `m × n` output.
            unsafe {
                matrixmultiply::sgemm(
                    m,
                    d,
                    n,
                    -2.0,
                    xf.as_ptr().add(lo * d),
                    d as isize,
                    1,
                    xf.as_ptr(),
                    1,
                    d as isize,
                    0.0,
                    rows.as_mut_ptr(),
                    n as isize,
                    1,
                );
            }
            for r in 0..m {
                let i = lo + r;
                let row = &rows[r * n..(r + 1) * n];
                let ni = ws_ref.norms[i];
                // Keys of the approximate squared distances: non-negative floats
                // order like their bits, so selections compare integers.
                buf.scratch.clear();
                buf.scratch.extend(
                    row.iter()
                        .zip(&ws_ref.norms)
                        .map(|(&g, &q)| (g + ni + q).max(0.0).to_bits()),
                );
                buf.scratch[i] = f32::INFINITY.to_bits();
                buf.keys.clone_from(&buf.scratch);
                buf.keys.select_nth_unstable(k - 1);
                let limit = (f32::from_bits(buf.keys[k - 1]) + ws_ref.margin[i]).to_bits();
                buf.approx.clear();
                buf.approx.extend(
                    buf.scratch
                        .iter()
                        .enumerate()
                        .filter(|&(j, &v)| v <= limit && j != i)
                        .map(|(j, &v)| ((v as u64) << 32) | j as u64),
                );
                finish_row(
                    ws_ref,
                    i,
                    d,
                    k,
                    metric,
                    buf,
                    &mut idx[r * k..(r + 1) * k],
                    &mut dist[r * k..(r + 1) * k],
                );
            }
        };
    if threads == 1 {
        work(
            0,
            &mut full,
            &mut out.indices,
            &mut out.distances,
            &mut bufs[0],
        );
    } else {
        std::thread::scope(|sc| {
            let parts = full
                .chunks_mut(rows_per * n)
                .zip(out.indices.chunks_mut(rows_per * k))
                .zip(out.distances.chunks_mut(rows_per * k))
                .zip(bufs.iter_mut())
                .enumerate();
            for (t, (((rows, idx), dist), buf)) in parts {
                let w = &work;
                sc.spawn(move || w(t * rows_per, rows, idx, dist, buf));
            }
        });
    }
    ws.full = full;
    ws.merge = bufs;
}

/// Row-major copy of `x` into `xs`, centred (Euclidean: distances do not
/// change, cancellation in `‖a‖² + ‖b‖² − 2a·b` shrinks) or with unit rows
/// (cosine; zero or non-finite-norm rows become zero and are flagged in `zero_rows`).
pub(crate) fn preprocess_rows(
    x: &DMatrix<f64>,
    metric: Metric,
    xs: &mut Vec<f64>,
    zero_rows: &mut Vec<bool>,
) {
    let (n, d) = x.shape();
    xs.clear();
    xs.resize(n * d, 0.0);
    for (c, col) in x.column_iter().enumerate() {
        for (r, v) in col.iter().enumerate() {
            xs[r * d + c] = *v;
        }
    }
    zero_rows.clear();
    zero_rows.resize(n, false);
    match metric {
        Metric::Euclidean => {
            let mut mean = vec![0.0f64; d];
            for row in xs.chunks(d) {
                mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
            }
            mean.iter_mut().for_each(|m| *m /= n as f64);
            for row in xs.chunks_mut(d) {
                row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
            }
        }
        Metric::Cosine => {
            for (row, z) in xs.chunks_mut(d).zip(zero_rows.iter_mut()) {
                let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm > 0.0 && norm.is_finite() {
                    row.iter_mut().for_each(|v| *v /= norm);
                } else {
                    *z = true;
                    row.iter_mut().for_each(|v| *v = 0.0);
                }
            }
        }
    }
}

/// Centres (Euclidean) or normalises (cosine) the rows, rounds them to `f32`
/// and computes norms and per-row error margins.
fn prepare(ws: &mut KnnWorkspace, x: &DMatrix<f64>, metric: Metric) -> Result<()> {
    let d = x.ncols();
    preprocess_rows(x, metric, &mut ws.xs, &mut ws.zero_rows);
    if let Some(pos) = ws.xs.iter().position(|v| v.abs() > F32_SAFE) {
        return Err(GraphError::InvalidParameter(format!(
            "feature magnitude {:e} at row {}, column {} is too large for the kNN search (limit {F32_SAFE:e} after centring)",
            ws.xs[pos],
            pos / d,
            pos % d
        )));
    }
    ws.xf.clear();
    ws.xf.extend(ws.xs.iter().map(|&v| v as f32));
    ws.norms.clear();
    ws.norms
        .extend(ws.xs.chunks(d).zip(&ws.zero_rows).map(|(row, &z)| {
            // A zero row under the cosine metric gets norm 1, so that its approximate
            // squared distance to every point is 2: cosine distance 1.
            if z {
                1.0
            } else {
                row.iter().map(|v| v * v).sum::<f64>() as f32
            }
        }));
    let max_norm = ws.norms.iter().copied().fold(0.0f32, f32::max) as f64;
    let u = f32::EPSILON as f64 * 0.5;
    ws.margin.clear();
    ws.margin.extend(ws.norms.iter().map(|&ni| {
        let e = (d as f64 + 10.0) * u * (ni as f64 + max_norm);
        // 2E_i, rounded up generously to absorb the f32 comparison itself.
        (2.0 * e * 1.01 + f32::MIN_POSITIVE as f64) as f32
    }));
    Ok(())
}

/// Points per leaf of the partition behind [`preset_thresholds`] (at least).
const LEAF: usize = 256;

/// Starting thresholds of the tiled search: row `i`'s approximate distance to
/// its `k`-th nearest point *within its leaf* of a k-d partition (median splits
/// on the coordinate of largest spread, leaves of `LEAF`–`2·LEAF` points),
/// plus the row's margin.
///
/// Why it is valid: the leaf holds `k` points other than `i` whose exact
/// distances are at most `a + E_i` (`a` their approximate `k`-th, `E_i` the
/// `f32` error bound); so the true `k`-th exact distance is too, and every
/// true neighbour's approximate distance is at most `a + 2E_i`, the margin.
/// No true neighbour is ever refused. Why it helps: the streaming thresholds
/// of the scan otherwise start at infinity and tighten only as candidates
/// arrive, and most candidate pushes (random writes into the lists) happen
/// while they are loose; neighbours in a leaf are near neighbours, so the
/// bound is close to the final threshold from the first tile on.
fn preset_thresholds(ws: &mut KnnWorkspace, n: usize, d: usize, k: usize, threads: usize) {
    let leaf_min = LEAF.max(2 * (k + 1));
    ws.order.clear();
    ws.order.extend(0..n as u32);
    ws.preset.clear();
    ws.preset.resize(n, f32::INFINITY);
    let (xf, order) = (&ws.xf[..], &mut ws.order);
    // Median splits, iteratively (a stack of index ranges): O(n d log n).
    let mut leaves = Vec::new();
    let (mut mn, mut mx) = (Vec::new(), Vec::new());
    let mut stack = vec![(0usize, n)];
    while let Some((lo, hi)) = stack.pop() {
        let m = hi - lo;
        if m < 2 * leaf_min {
            leaves.push((lo, hi));
            continue;
        }
        // The coordinate of largest spread over this range (row by row: one
        // contiguous pass per point).
        let ids = &mut order[lo..hi];
        mn.clear();
        mn.resize(d, f32::INFINITY);
        mx.clear();
        mx.resize(d, f32::NEG_INFINITY);
        for &i in ids.iter() {
            let row = &xf[i as usize * d..(i as usize + 1) * d];
            for ((lo, hi), &v) in mn.iter_mut().zip(mx.iter_mut()).zip(row) {
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
        let mut best = (0usize, -1.0f32);
        for (c, (lo, hi)) in mn.iter().zip(mx.iter()).enumerate() {
            if hi - lo > best.1 {
                best = (c, hi - lo);
            }
        }
        let c = best.0;
        let half = m / 2;
        ids.select_nth_unstable_by(half, |&p, &q| {
            xf[p as usize * d + c].total_cmp(&xf[q as usize * d + c])
        });
        stack.push((lo, lo + half));
        stack.push((lo + half, hi));
    }
    // The leaves' own distance tiles, spread over the threads.
    let (norms, margin, order) = (&ws.norms[..], &ws.margin[..], &ws.order[..]);
    let per = leaves.len().div_ceil(threads.max(1));
    let found: Vec<Vec<(u32, f32)>> = std::thread::scope(|sc| {
        let handles: Vec<_> = leaves
            .chunks(per.max(1))
            .map(|part| {
                sc.spawn(move || {
                    let (mut leaf, mut tile, mut out) = (Vec::new(), Vec::new(), Vec::new());
                    for &(lo, hi) in part {
                        leaf_thresholds(
                            xf,
                            norms,
                            margin,
                            &order[lo..hi],
                            d,
                            k,
                            &mut leaf,
                            &mut tile,
                            &mut out,
                        );
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, t) in found.into_iter().flatten() {
        ws.preset[i as usize] = t;
    }
}

/// The preset thresholds of one leaf (`ids`, at least `k + 1` points), pushed to `out`.
#[allow(clippy::too_many_arguments)]
fn leaf_thresholds(
    xf: &[f32],
    norms: &[f32],
    margin: &[f32],
    ids: &[u32],
    d: usize,
    k: usize,
    leaf: &mut Vec<f32>,
    tile: &mut Vec<f32>,
    out: &mut Vec<(u32, f32)>,
) {
    let m = ids.len();
    leaf.clear();
    for &i in ids {
        leaf.extend_from_slice(&xf[i as usize * d..(i as usize + 1) * d]);
    }
    tile.resize(m * m, 0.0);
    // SAFETY: `leaf` is `m × d` and `tile` `m × m`, both row-major.
    unsafe {
        matrixmultiply::sgemm(
            m,
            d,
            m,
            -2.0,
            leaf.as_ptr(),
            d as isize,
            1,
            leaf.as_ptr(),
            1,
            d as isize,
            0.0,
            tile.as_mut_ptr(),
            m as isize,
            1,
        );
    }
    for (r, &i) in ids.iter().enumerate() {
        let row = &mut tile[r * m..(r + 1) * m];
        let ni = norms[i as usize];
        for (v, &j) in row.iter_mut().zip(ids) {
            *v += ni + norms[j as usize];
        }
        row[r] = f32::INFINITY;
        let (_, kth, _) = row.select_nth_unstable_by(k - 1, f32::total_cmp);
        // Finite features give a finite bound; an infinite one is simply no preset.
        let t = kth.max(0.0) + margin[i as usize];
        if t.is_finite() {
            out.push((i, t));
        }
    }
}

/// One tile `X_I X_Jᵀ`: distances into `s.tile`, then offered to rows of `I` and `J`.
#[allow(clippy::too_many_arguments)]
fn scan_tile(
    s: &mut ThreadScratch,
    xf: &[f32],
    norms: &[f32],
    margin: &[f32],
    d: usize,
    n: usize,
    k: usize,
    a: usize,
    b: usize,
) {
    let (i0, j0) = (a * TILE, b * TILE);
    let bi = TILE.min(n - i0);
    let bj = TILE.min(n - j0);
    let tile = &mut s.tile[..bi * bj];
    // SAFETY: the pointers address `bi × d`, `bj × d` and `bi × bj` elements
    // inside their slices, with the strides given.
    unsafe {
        matrixmultiply::sgemm(
            bi,
            d,
            bj,
            -2.0,
            xf.as_ptr().add(i0 * d),
            d as isize,
            1,
            xf.as_ptr().add(j0 * d),
            1,
            d as isize,
            0.0,
            tile.as_mut_ptr(),
            bj as isize,
            1,
        );
    }
    let nj = &norms[j0..j0 + bj];
    let (lists, hits) = (&mut s.lists, &mut s.hits);
    let avx2 = has_avx2();
    for r in 0..bi {
        let i = i0 + r;
        let row = &mut tile[r * bj..(r + 1) * bj];
        // On the diagonal tile only pairs j > i are visited (both directions are offered).
        let start = if a == b { r + 1 } else { 0 };
        // Most entries beat neither threshold: one branch-free (vectorised) pass
        // adds the norms and marks the chunks holding a possible hit; only those
        // take the scalar path. The marks use the thresholds at the start of the
        // row, which only shrink: a superset of the chunks to visit.
        hits.clear();
        mark_row(
            avx2,
            &mut row[start..],
            &nj[start..],
            norms[i],
            lists.tau[i],
            &lists.tau[j0 + start..j0 + bj],
            hits,
        );
        // Bit `l` of a mark: entry `l` of the chunk may join row `i`'s list; bit
        // `MARK_CHUNK + l`: row `i` may join column `l`'s. Both are re-tested
        // against the current thresholds.
        for &(h, mut m) in hits.iter() {
            let c = start + h as usize;
            while m != 0 {
                let bit = m.trailing_zeros() as usize;
                m &= m - 1;
                let (col, own) = if bit < MARK_CHUNK {
                    (c + bit, true)
                } else {
                    (c + bit - MARK_CHUNK, false)
                };
                let dist = row[col];
                let j = j0 + col;
                if own {
                    if dist <= lists.tau[i] {
                        lists.offer(i, dist, j as u32, k, margin[i]);
                    }
                } else if dist <= lists.tau[j] {
                    lists.offer(j, dist, i as u32, k, margin[j]);
                }
            }
        }
    }
}

/// Width of the chunks [`mark_row`] marks.
const MARK_CHUNK: usize = 16;
const _: () = assert!(2 * MARK_CHUNK <= 32);

/// Whether the CPU runs [`mark_row_avx2`] (checked once per tile; the answer is cached by std).
#[inline]
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Turns one row of `−2 X_I X_Jᵀ` into squared distances (`+ ‖x_i‖² + ‖x_j‖²`)
/// and pushes, for every [`MARK_CHUNK`]-wide chunk in which some entry is at
/// most the row's threshold `ti` or its column's `tj`, its offset and a mask
/// (low bits: `≤ ti`, high bits: `≤ tj`).
#[inline]
fn mark_row(
    avx2: bool,
    row: &mut [f32],
    nj: &[f32],
    ni: f32,
    ti: f32,
    tj: &[f32],
    hits: &mut Vec<(u32, u32)>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if avx2 {
            // SAFETY: the caller checked that the CPU supports AVX2.
            unsafe { mark_row_avx2(row, nj, ni, ti, tj, hits) };
            return;
        }
    }
    let _ = avx2;
    mark_row_lanes(row, nj, ni, ti, tj, hits);
}

/// [`mark_row_lanes`] with AVX2 compares and move-masks (the default target is
/// baseline x86-64, and the compiler packs the mask bits poorly by itself).
/// The same additions in the same order: the same values as the portable path.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn mark_row_avx2(
    row: &mut [f32],
    nj: &[f32],
    ni: f32,
    ti: f32,
    tj: &[f32],
    hits: &mut Vec<(u32, u32)>,
) {
    use std::arch::x86_64::*;
    const _: () = assert!(MARK_CHUNK == 16);
    let n = row.len().min(nj.len()).min(tj.len());
    let chunks = n / MARK_CHUNK;
    let (vni, vti) = (_mm256_set1_ps(ni), _mm256_set1_ps(ti));
    let (pr, pq, pt) = (row.as_mut_ptr(), nj.as_ptr(), tj.as_ptr());
    for ch in 0..chunks {
        let c = ch * MARK_CHUNK;
        // SAFETY: `c + 16 ≤ n`, within all three slices; unaligned loads and stores.
        let m = unsafe {
            let v0 = _mm256_add_ps(
                _mm256_loadu_ps(pr.add(c)),
                _mm256_add_ps(vni, _mm256_loadu_ps(pq.add(c))),
            );
            let v1 = _mm256_add_ps(
                _mm256_loadu_ps(pr.add(c + 8)),
                _mm256_add_ps(vni, _mm256_loadu_ps(pq.add(c + 8))),
            );
            _mm256_storeu_ps(pr.add(c), v0);
            _mm256_storeu_ps(pr.add(c + 8), v1);
            let own = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LE_OQ>(v0, vti)) as u32
                | (_mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LE_OQ>(v1, vti)) as u32) << 8;
            let col =
                _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LE_OQ>(v0, _mm256_loadu_ps(pt.add(c))))
                    as u32
                    | (_mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LE_OQ>(
                        v1,
                        _mm256_loadu_ps(pt.add(c + 8)),
                    )) as u32)
                        << 8;
            own | col << MARK_CHUNK
        };
        if m != 0 {
            hits.push((c as u32, m));
        }
    }
    let c = chunks * MARK_CHUNK;
    mark_chunk(&mut row[c..n], &nj[c..n], ni, ti, &tj[c..n], c as u32, hits);
}

/// Fixed-width chunks, then the tail: the portable path.
#[inline(always)]
fn mark_row_lanes(
    row: &mut [f32],
    nj: &[f32],
    ni: f32,
    ti: f32,
    tj: &[f32],
    hits: &mut Vec<(u32, u32)>,
) {
    let mut c = 0;
    for ((v, q), t) in row
        .chunks_mut(MARK_CHUNK)
        .zip(nj.chunks(MARK_CHUNK))
        .zip(tj.chunks(MARK_CHUNK))
    {
        mark_chunk(v, q, ni, ti, t, c, hits);
        c += MARK_CHUNK as u32;
    }
}

/// One chunk of at most [`MARK_CHUNK`] entries starting at offset `c`.
#[inline(always)]
fn mark_chunk(
    v: &mut [f32],
    q: &[f32],
    ni: f32,
    ti: f32,
    t: &[f32],
    c: u32,
    hits: &mut Vec<(u32, u32)>,
) {
    let mut m = 0u32;
    for (l, ((v, &q), &t)) in v.iter_mut().zip(q).zip(t).enumerate().take(MARK_CHUNK) {
        *v += ni + q;
        m |= ((*v <= ti) as u32) << l;
        m |= ((*v <= t) as u32) << (MARK_CHUNK + l);
    }
    if m != 0 {
        hits.push((c, m));
    }
}

/// Re-ranks the approximate candidates in `buf.approx` (a superset of row
/// `i`'s true neighbours, at least `k` of them) exactly, writing the `k` nearest.
#[allow(clippy::too_many_arguments)]
fn finish_row(
    ws: &KnnWorkspace,
    i: usize,
    d: usize,
    k: usize,
    metric: Metric,
    buf: &mut MergeBuf,
    idx: &mut [usize],
    dist: &mut [f64],
) {
    buf.approx.select_nth_unstable(k - 1);
    let limit = key_limit(unpack_distance(buf.approx[k - 1]) + ws.margin[i]);
    let xi = &ws.xs[i * d..(i + 1) * d];
    buf.exact.clear();
    for &key in buf.approx.iter() {
        if key > limit {
            continue;
        }
        let j = key as u32;
        let ju = j as usize;
        let d2 = if ws.zero_rows[i] || ws.zero_rows[ju] {
            2.0
        } else {
            let xj = &ws.xs[ju * d..(ju + 1) * d];
            squared_distance(xi, xj)
        };
        // (distance, index) as one integer: the bits of a non-negative f64 order like its value.
        buf.exact.push(((d2.to_bits() as u128) << 32) | j as u128);
    }
    if buf.exact.len() > k {
        buf.exact.select_nth_unstable(k - 1);
    }
    buf.exact[..k].sort_unstable();
    for ((o, od), &key) in idx.iter_mut().zip(dist.iter_mut()).zip(&buf.exact) {
        let d2 = f64::from_bits((key >> 32) as u64);
        *o = (key as u32) as usize;
        *od = metric.distance_from_squared(d2);
    }
}

/// `Σ (a_t − b_t)²` with four independent accumulators (vectorises).
#[inline]
pub(crate) fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for t in 0..4 {
            let v = x[t] - y[t];
            acc[t] += v * v;
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += (x - y) * (x - y);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Per-thread buffers of the merge stage.
#[derive(Debug, Default)]
struct MergeBuf {
    scratch: Vec<u32>,
    keys: Vec<u32>,
    approx: Vec<u64>,
    exact: Vec<u128>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(points: &[f64]) -> DMatrix<f64> {
        DMatrix::from_column_slice(points.len(), 1, points)
    }

    #[test]
    fn hand_checked_points_on_a_line() {
        // 0, 1, 3, 7: neighbours by hand.
        let g = knn_exact(
            &line(&[0.0, 1.0, 3.0, 7.0]),
            &KnnParams {
                k: 2,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(g.neighbors(0), &[1, 2]);
        assert_eq!(g.neighbors(1), &[0, 2]);
        assert_eq!(g.neighbors(2), &[1, 0]);
        assert_eq!(g.neighbors(3), &[2, 1]);
        assert_eq!(g.neighbor_distances(3), &[4.0, 6.0]);
        assert_eq!(g.neighbor_distances(0), &[1.0, 3.0]);
    }

    #[test]
    fn ties_break_by_index_and_self_is_excluded_for_duplicates() {
        let g = knn_exact(
            &line(&[5.0, 5.0, 5.0, 6.0]),
            &KnnParams {
                k: 2,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(g.neighbors(0), &[1, 2]);
        assert_eq!(g.neighbors(1), &[0, 2]);
        assert_eq!(g.neighbors(2), &[0, 1]);
        assert_eq!(g.neighbor_distances(0), &[0.0, 0.0]);
    }

    #[test]
    fn cosine_ignores_length() {
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 10.0, 0.1, 0.0, 1.0]);
        let g = knn_exact(
            &x,
            &KnnParams {
                k: 1,
                metric: Metric::Cosine,
                threads: 1,
            },
        )
        .unwrap();
        assert_eq!(g.neighbors(0), &[1]);
        assert!((g.neighbor_distances(2)[0] - (1.0 - 0.1 / 10.0005f64)).abs() < 1e-4);
    }

    #[test]
    fn blocked_matches_naive_on_more_than_one_block() {
        let n = 300;
        // Deterministic, non-degenerate points (no near-ties at rounding level).
        let x = DMatrix::from_fn(n, 3, |i, j| {
            ((i * 3 + j) as f64 * 0.618_033_988_7).sin() * 10.0
        });
        let g = knn_exact(
            &x,
            &KnnParams {
                k: 5,
                ..Default::default()
            },
        )
        .unwrap();
        for i in [0, 255, 256, 299] {
            let mut all: Vec<(f64, usize)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| ((x.row(i) - x.row(j)).norm(), j))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let want: Vec<usize> = all[..5].iter().map(|p| p.1).collect();
            assert_eq!(g.neighbors(i), want.as_slice(), "row {i}");
        }
    }

    #[test]
    fn marking_paths_agree_bit_for_bit() {
        // Rows of odd lengths (tails), thresholds hit and missed, ties at the threshold.
        let mut state = 7u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        for len in [0usize, 5, 16, 37, 256] {
            let row: Vec<f32> = (0..len).map(|_| next() - 1.5).collect();
            let nj: Vec<f32> = (0..len).map(|_| next()).collect();
            let mut tj: Vec<f32> = (0..len).map(|_| 0.2 + 0.5 * next()).collect();
            if len > 3 {
                tj[3] = f32::INFINITY;
            }
            let (ni, ti) = (0.75f32, 0.1f32);
            let (mut a, mut b) = (row.clone(), row.clone());
            let (mut ha, mut hb) = (Vec::new(), Vec::new());
            mark_row_lanes(&mut a, &nj, ni, ti, &tj, &mut ha);
            mark_row(has_avx2(), &mut b, &nj, ni, ti, &tj, &mut hb);
            assert_eq!(a, b, "values, length {len}");
            assert_eq!(ha, hb, "marks, length {len}");
            // Every mark bit is exactly an entry within a threshold.
            for (c, v) in a.iter().enumerate() {
                let mark = ha
                    .iter()
                    .find(|h| h.0 as usize == c / MARK_CHUNK * MARK_CHUNK)
                    .map_or(0, |h| h.1);
                let l = c % MARK_CHUNK;
                assert_eq!(mark >> l & 1 == 1, *v <= ti, "own bit {c}");
                assert_eq!(
                    mark >> (MARK_CHUNK + l) & 1 == 1,
                    *v <= tj[c],
                    "column bit {c}"
                );
                assert_eq!(*v, row[c] + (ni + nj[c]));
            }
        }
    }

    #[test]
    fn bad_input_is_typed() {
        let p = KnnParams {
            k: 3,
            ..Default::default()
        };
        assert!(matches!(
            knn_exact(&line(&[1.0, 2.0, 3.0]), &p),
            Err(GraphError::InvalidK { k: 3, n: 3 })
        ));
        assert!(matches!(
            knn_exact(&line(&[1.0, f64::NAN, 3.0, 4.0]), &p),
            Err(GraphError::NonFinite { row: 1, col: 0 })
        ));
        assert!(matches!(
            knn_exact(&DMatrix::zeros(0, 2), &p),
            Err(GraphError::Empty { .. })
        ));
        let z = KnnParams {
            k: 0,
            ..Default::default()
        };
        assert!(matches!(
            knn_exact(&line(&[1.0, 2.0]), &z),
            Err(GraphError::InvalidK { .. })
        ));
    }
}
