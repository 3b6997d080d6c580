//! Graph estimates of manifold geometry (GGAE, Lim et al., ICML 2024): the Laplace–Beltrami
//! estimate of a batch from its pairwise distances, geodesic distances on a kNN graph, the
//! cyclic frame distance of image sequences, and the distortion of a latent map (an f64
//! reference; the trained loss is the network side's).
//!
//! - [`laplace_beltrami`]: `K_ij = exp(−d_ij² / h)`, `D = diag(K 1)`, `K̃ = D⁻¹ K D⁻¹`,
//!   `L = (D̃⁻¹ K̃ − I) / (c h)` with `D̃ = diag(K̃ 1)` and c = 1/4; rows of L sum to 0.
//! - [`distortion`]: `H̃_i = ½ Σ_j L_ij (y_j − y_i)(y_j − y_i)ᵀ`, distortion
//!   `mean_i Tr(H̃_i²) − 2 mean_i Tr(H̃_i)` (0 for an isometry's pull-back metric = I).

use crate::error::{GraphError, Result};
use crate::knn::KnnGraph;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Settings of [`laplace_beltrami`]. [`Default`]: h = 1, c = 1/4 (the reference's c).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LaplaceBeltramiParams {
    /// Kernel bandwidth h in `exp(−d² / h)` (a squared length).
    pub h: f64,
    /// The constant c of `(D̃⁻¹K̃ − I) / (c h)`.
    pub c: f64,
}

impl Default for LaplaceBeltramiParams {
    fn default() -> Self {
        Self { h: 1.0, c: 0.25 }
    }
}

impl LaplaceBeltramiParams {
    /// Typed error unless h and c are positive and finite.
    pub fn check(&self) -> Result<()> {
        for (name, v) in [("h", self.h), ("c", self.c)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(GraphError::InvalidParameter(format!(
                    "Laplace–Beltrami estimate: {name} = {v}, must be positive and finite"
                )));
            }
        }
        Ok(())
    }
}

/// Checks a matrix of pairwise distances: square, non-empty, finite, non-negative,
/// symmetric (relative 1e-12) with a zero diagonal.
pub fn check_distances(d: &DMatrix<f64>) -> Result<()> {
    crate::laplacian::check_affinity(d).map_err(|e| match e {
        GraphError::BadAffinity(m) => GraphError::BadAffinity(format!("distances: {m}")),
        other => other,
    })?;
    if let Some(i) = (0..d.nrows()).find(|&i| d[(i, i)] != 0.0) {
        return Err(GraphError::BadAffinity(format!(
            "distances: diagonal entry ({i}, {i}) = {} is not 0",
            d[(i, i)]
        )));
    }
    Ok(())
}

/// The Laplace–Beltrami estimate `L = (D̃⁻¹K̃ − I) / (c h)` of a batch from its pairwise
/// distances (all pairs, diagonal included), as the GGAE reference builds it.
pub fn laplace_beltrami(
    distances: &DMatrix<f64>,
    params: &LaplaceBeltramiParams,
) -> Result<DMatrix<f64>> {
    params.check()?;
    check_distances(distances)?;
    let n = distances.nrows();
    let k = distances.map(|d| (-d * d / params.h).exp());
    // d_i ≥ K_ii = 1, so no division by zero even when every other entry underflows.
    let deg: Vec<f64> = (0..n).map(|i| k.row(i).sum()).collect();
    let kt = DMatrix::from_fn(n, n, |i, j| k[(i, j)] / (deg[i] * deg[j]));
    let deg_t: Vec<f64> = (0..n).map(|i| kt.row(i).sum()).collect();
    let scale = 1.0 / (params.c * params.h);
    Ok(DMatrix::from_fn(n, n, |i, j| {
        let p = kt[(i, j)] / deg_t[i];
        scale * if i == j { p - 1.0 } else { p }
    }))
}

/// The cyclic distance `min(|i − j|, n − |i − j|)` between the frames of an n-frame sequence.
pub fn cycle_distances(n: usize) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |i, j| {
        let a = i.abs_diff(j);
        a.min(n - a) as f64
    })
}

/// What [`geodesic_distances`] does with pairs in different components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum Unreachable {
    /// A [`GraphError::Disconnected`].
    #[default]
    Error,
    /// Give them this distance (explicitly chosen by the caller).
    Cap(f64),
}

/// Shortest-path distances between all pairs of a kNN graph, its edges made undirected and
/// weighted by their Euclidean length (`n` Dijkstra runs on the CSR adjacency, `threads`
/// threads; 0 = all cores). Dense n × n output: for splits of a few thousand points.
pub fn geodesic_distances(
    knn: &KnnGraph,
    unreachable: Unreachable,
    threads: usize,
) -> Result<DMatrix<f64>> {
    knn.check()?;
    if let Unreachable::Cap(c) = unreachable
        && !(c.is_finite() && c >= 0.0)
    {
        return Err(GraphError::InvalidParameter(format!(
            "geodesic distances: cap {c} must be finite and non-negative"
        )));
    }
    let n = knn.n;
    // Undirected adjacency lists with the shorter length of a pair listed both ways.
    let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for i in 0..n {
        for s in 0..knn.k {
            let (j, d) = (knn.indices[i * knn.k + s], knn.distances[i * knn.k + s]);
            adj[i].push((j, d));
            adj[j].push((i, d));
        }
    }
    for list in &mut adj {
        list.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        list.dedup_by_key(|e| e.0);
    }
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |t| t.get())
    } else {
        threads
    }
    .min(n.max(1));
    let mut out = DMatrix::<f64>::zeros(n, n);
    // Column s of `out` is the distance from source s (symmetric, so also row s).
    let chunk = n.div_ceil(threads);
    std::thread::scope(|scope| {
        for (t, cols) in out.as_mut_slice().chunks_mut(chunk * n).enumerate() {
            let adj = &adj;
            scope.spawn(move || {
                for (c, col) in cols.chunks_mut(n).enumerate() {
                    dijkstra(adj, t * chunk + c, col);
                }
            });
        }
    });
    // Exactly symmetric: the two directions sum the same path in different orders.
    for j in 0..n {
        for i in j + 1..n {
            let m = out[(i, j)].min(out[(j, i)]);
            out[(i, j)] = m;
            out[(j, i)] = m;
        }
    }
    if out.iter().any(|d| d.is_infinite()) {
        match unreachable {
            Unreachable::Cap(c) => out
                .iter_mut()
                .filter(|d| d.is_infinite())
                .for_each(|d| *d = c),
            Unreachable::Error => {
                // Components: the nodes at finite distance from a yet unassigned node.
                let mut assigned = vec![false; n];
                let mut sizes = Vec::new();
                for i in 0..n {
                    if !assigned[i] {
                        let members: Vec<usize> =
                            (0..n).filter(|&j| out[(i, j)].is_finite()).collect();
                        members.iter().for_each(|&j| assigned[j] = true);
                        sizes.push(members.len());
                    }
                }
                sizes.sort_unstable_by(|a, b| b.cmp(a));
                return Err(GraphError::Disconnected {
                    count: sizes.len(),
                    sizes,
                });
            }
        }
    }
    Ok(out)
}

#[derive(PartialEq)]
struct Entry(f64, usize);
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // A min-heap on the distance.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

fn dijkstra(adj: &[Vec<(usize, f64)>], source: usize, dist: &mut [f64]) {
    dist.fill(f64::INFINITY);
    dist[source] = 0.0;
    let mut heap = BinaryHeap::new();
    heap.push(Entry(0.0, source));
    while let Some(Entry(d, u)) = heap.pop() {
        if d > dist[u] {
            continue;
        }
        for &(v, w) in &adj[u] {
            let nd = d + w;
            if nd < dist[v] {
                dist[v] = nd;
                heap.push(Entry(nd, v));
            }
        }
    }
}

/// The distortion `mean_i Tr(H̃_i²) − 2 mean_i Tr(H̃_i)` of latents `y` (n × m) under the
/// Laplace–Beltrami estimate `l` (n × n), `H̃_i = ½ Σ_j L_ij (y_j − y_i)(y_j − y_i)ᵀ` (f64
/// reference for the network side's differentiable loss, and for evaluation).
pub fn distortion(l: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<f64> {
    let (n, m) = y.shape();
    if l.nrows() != l.ncols() || l.nrows() != n {
        return Err(GraphError::InvalidParameter(format!(
            "distortion: Laplacian {}×{} for {n} latents",
            l.nrows(),
            l.ncols()
        )));
    }
    if n == 0 || m == 0 {
        return Err(GraphError::Empty { rows: n, cols: m });
    }
    if let Some(p) = l.iter().chain(y.iter()).position(|v| !v.is_finite()) {
        return Err(GraphError::NonFinite {
            row: p % n,
            col: p / n,
        });
    }
    let (mut tr_sq, mut tr) = (0.0, 0.0);
    let mut h = DMatrix::<f64>::zeros(m, m);
    for i in 0..n {
        h.fill(0.0);
        for j in 0..n {
            let lij = l[(i, j)];
            if lij == 0.0 || i == j {
                continue;
            }
            let diff = y.row(j) - y.row(i);
            h.ger(0.5 * lij, &diff.transpose(), &diff.transpose(), 1.0);
        }
        tr += h.trace();
        tr_sq += h.component_mul(&h.transpose()).sum();
    }
    Ok((tr_sq - 2.0 * tr) / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's rotating-image Laplacian: the 36-cycle, h = 200.
    fn cycle_laplacian() -> DMatrix<f64> {
        let p = LaplaceBeltramiParams {
            h: 200.0,
            ..Default::default()
        };
        laplace_beltrami(&cycle_distances(36), &p).unwrap()
    }

    #[test]
    fn laplacian_of_the_36_cycle_matches_the_reference_fixture() {
        let l = cycle_laplacian();
        assert!(
            (l[(0, 0)] - -0.019140120278925348).abs() < 1e-14,
            "{}",
            l[(0, 0)]
        );
        assert!(
            (l[(0, 1)] - 0.000855591053074003).abs() < 1e-14,
            "{}",
            l[(0, 1)]
        );
        for i in 0..36 {
            assert!(l.row(i).sum().abs() < 1e-15, "row {i}");
        }
    }

    fn circle(r: f64) -> DMatrix<f64> {
        DMatrix::from_fn(36, 2, |j, c| {
            let t = std::f64::consts::TAU * j as f64 / 36.0;
            r * if c == 0 { t.cos() } else { t.sin() }
        })
    }

    #[test]
    fn distortion_of_circle_latents_matches_the_reference_fixtures() {
        let l = cycle_laplacian();
        for (r, want) in [
            (1.0, -0.028395007185130033),
            (5.0, -0.6440269191419359),
            (10.0, -1.7530044204888153),
        ] {
            let got = distortion(&l, &circle(r)).unwrap();
            assert!(
                (got - want).abs() < 1e-12 * want.abs().max(1.0),
                "r = {r}: {got} vs {want}"
            );
        }
        assert_eq!(distortion(&l, &DMatrix::zeros(36, 2)).unwrap(), 0.0);
        // The minimum over r is near 11.5.
        let best = (50..200)
            .map(|t| t as f64 / 10.0)
            .min_by(|a, b| {
                distortion(&l, &circle(*a))
                    .unwrap()
                    .total_cmp(&distortion(&l, &circle(*b)).unwrap())
            })
            .unwrap();
        assert!((best - 11.5).abs() < 0.3, "{best}");
    }

    #[test]
    fn bad_distances_and_bandwidths_are_typed_errors() {
        let d = cycle_distances(5);
        for h in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let p = LaplaceBeltramiParams {
                h,
                ..Default::default()
            };
            assert!(matches!(
                laplace_beltrami(&d, &p),
                Err(GraphError::InvalidParameter(_))
            ));
        }
        let p = LaplaceBeltramiParams::default();
        let mut asym = d.clone();
        asym[(0, 1)] = 3.0;
        let mut nan = d.clone();
        nan[(2, 3)] = f64::NAN;
        nan[(3, 2)] = f64::NAN;
        let mut diag = d.clone();
        diag[(1, 1)] = 0.5;
        for bad in [asym, nan, diag, DMatrix::zeros(3, 4), DMatrix::zeros(0, 0)] {
            assert!(
                matches!(
                    laplace_beltrami(&bad, &p),
                    Err(GraphError::BadAffinity(_) | GraphError::Empty { .. })
                ),
                "{bad}"
            );
        }
        // Far-apart points: every off-diagonal kernel entry underflows, L is finite (0).
        let far = DMatrix::from_fn(4, 4, |i, j| if i == j { 0.0 } else { 1e200 });
        assert!(
            laplace_beltrami(&far, &p)
                .unwrap()
                .iter()
                .all(|v| *v == 0.0)
        );
    }
}
