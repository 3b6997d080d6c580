//! Sparse (CSR) affinities and graph operators, for whole-dataset graphs.
//!
//! A kNN affinity has at most `2k` entries per row, so a 60,000-point graph
//! with `k = 50` is a few megabytes in CSR, where the dense matrix would be
//! 29 GB. Every operator here has a dense counterpart in [`crate::laplacian`]
//! with the same conventions; tests check that both agree.

use crate::affinity::{AffinityParams, Scale, Symmetrize, gaussian_scales};
use crate::error::{GraphError, Result};
use crate::knn::KnnGraph;
use crate::laplacian::{LaplacianKind, RandomWalkSide};
use nalgebra::{DMatrix, DVector};
use nalgebra_sparse::CsrMatrix;
use petgraph::unionfind::UnionFind;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Gaussian weight of an edge of length `dist` between points with scales
/// `si`, `sj`: `exp(−d²/(2σ²))` for a global σ (Eq. 1), `exp(−d²/(σ_i σ_j))`
/// for local scales.
#[inline]
pub fn gaussian_weight(scale: Scale, dist: f64, si: f64, sj: f64) -> f64 {
    let denom = match scale {
        Scale::Local(_) => si * sj,
        Scale::Fixed(_) | Scale::MedianKth => 2.0 * si * si,
    };
    (-(dist * dist) / denom).exp()
}

/// Symmetric Gaussian affinity of a kNN graph as CSR, zero diagonal, sorted
/// column indices. Edges whose weight underflows to zero are not stored.
///
/// Both directions of an edge carry the same weight (the distance and
/// `σ_i σ_j` are symmetric), so `Max` keeps every edge either endpoint lists,
/// `Mean` halves the weight of one-sided edges, and `Mutual` keeps only edges
/// both endpoints list.
pub fn knn_affinity(knn: &KnnGraph, params: &AffinityParams) -> Result<CsrMatrix<f64>> {
    params.check(knn.k)?;
    let sigma = gaussian_scales(knn, params.scale)?;
    let (n, k) = (knn.n, knn.k);
    let edges = n
        .checked_mul(k)
        .filter(|&e| e == knn.indices.len() && e == knn.distances.len())
        .ok_or_else(|| {
            GraphError::BadAffinity(format!(
                "kNN graph of {n} points × {k} neighbours holds {} indices and {} distances",
                knn.indices.len(),
                knn.distances.len()
            ))
        })?;
    // Every directed edge i→j is bucketed into rows i and j as one u64 key,
    // (column << 32) | edge id, so a row sorts as plain integers and a bucket
    // entry costs 8 bytes; the weight is looked up by edge id.
    if n > u32::MAX as usize || edges > u32::MAX as usize {
        return Err(GraphError::InvalidParameter(format!(
            "{n} points × {k} neighbours: the CSR affinity builder indexes edges with 32 bits"
        )));
    }
    if let Some(e) = knn.indices.iter().position(|&j| j >= n) {
        return Err(GraphError::BadAffinity(format!(
            "neighbour {} of point {} is out of range (n = {n})",
            knn.indices[e],
            e / k
        )));
    }
    let weight = |e: usize| {
        gaussian_weight(
            params.scale,
            knn.distances[e],
            sigma[e / k],
            sigma[knn.indices[e]],
        )
    };
    let weights: Vec<f64> = if n < PAR_MIN_ROWS {
        (0..edges).map(weight).collect()
    } else {
        (0..edges)
            .into_par_iter()
            .with_min_len(PAR_MIN_ROWS * k)
            .map(weight)
            .collect()
    };
    // Row i holds its k outgoing edges and its incoming ones.
    let mut counts = vec![k; n];
    for &j in &knn.indices {
        counts[j] += 1;
    }
    let mut start = Vec::with_capacity(n + 1);
    start.push(0);
    for c in &counts {
        start.push(start[start.len() - 1] + c);
    }
    let total = start[n];
    let mut fill = start.clone();
    let mut keys = vec![0u64; total];
    for e in 0..edges {
        let (i, j) = (e / k, knn.indices[e]);
        keys[fill[i]] = ((j as u64) << 32) | e as u64;
        fill[i] += 1;
        keys[fill[j]] = ((i as u64) << 32) | e as u64;
        fill[j] += 1;
    }
    drop(fill);
    // Row r's kept entries, in column order: (column, weight) for every column
    // listed once or twice (both directions), combined by the rule.
    let kept = |r: usize, row: &[u64], emit: &mut dyn FnMut(usize, f64)| {
        let mut t = 0;
        while t < row.len() {
            let j = (row[t] >> 32) as usize;
            let w = weights[(row[t] & 0xFFFF_FFFF) as usize];
            let both = t + 1 < row.len() && (row[t + 1] >> 32) as usize == j;
            let w2 = if both {
                w.max(weights[(row[t + 1] & 0xFFFF_FFFF) as usize])
            } else {
                w
            };
            t += if both { 2 } else { 1 };
            let v = match (params.symmetrize, both) {
                (Symmetrize::Max, _) | (Symmetrize::Mean, true) | (Symmetrize::Mutual, true) => w2,
                (Symmetrize::Mean, false) => 0.5 * w2,
                (Symmetrize::Mutual, false) => 0.0,
            };
            if v > 0.0 && j != r {
                emit(j, v);
            }
        }
    };
    // Pass 1: sort each row, count what it keeps.
    let mut rows: Vec<&mut [u64]> = Vec::with_capacity(n);
    let mut rest = &mut keys[..];
    for i in 0..n {
        let (head, tail) = rest.split_at_mut(start[i + 1] - start[i]);
        rows.push(head);
        rest = tail;
    }
    counts.fill(0);
    let count_row = |(r, (row, c)): (usize, (&mut &mut [u64], &mut usize))| {
        row.sort_unstable();
        kept(r, row, &mut |_, _| *c += 1);
    };
    if n < PAR_MIN_ROWS {
        rows.iter_mut()
            .zip(counts.iter_mut())
            .enumerate()
            .for_each(count_row);
    } else {
        rows.par_iter_mut()
            .zip(counts.par_iter_mut())
            .enumerate()
            .with_min_len(PAR_MIN_ROWS)
            .for_each(count_row);
    }
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    for c in &counts {
        offsets.push(offsets[offsets.len() - 1] + c);
    }
    drop(counts);
    // Pass 2: write the rows.
    let nnz = offsets[n];
    let mut cols = vec![0usize; nnz];
    let mut vals = vec![0.0f64; nnz];
    let mut out: Vec<(&mut [usize], &mut [f64])> = Vec::with_capacity(n);
    let (mut cr, mut vr) = (&mut cols[..], &mut vals[..]);
    for i in 0..n {
        let len = offsets[i + 1] - offsets[i];
        let (ch, ct) = cr.split_at_mut(len);
        let (vh, vt) = vr.split_at_mut(len);
        out.push((ch, vh));
        cr = ct;
        vr = vt;
    }
    let write_row = |(r, (row, (c, v))): (usize, (&&mut [u64], &mut RowOut<'_>))| {
        let mut t = 0;
        kept(r, row, &mut |j, w| {
            c[t] = j;
            v[t] = w;
            t += 1;
        });
    };
    if n < PAR_MIN_ROWS {
        rows.iter()
            .zip(out.iter_mut())
            .enumerate()
            .for_each(write_row);
    } else {
        rows.par_iter()
            .zip(out.par_iter_mut())
            .enumerate()
            .with_min_len(PAR_MIN_ROWS)
            .for_each(write_row);
    }
    drop(out);
    drop(rows);
    drop(keys);
    CsrMatrix::try_from_csr_data(n, n, offsets, cols, vals)
        .map_err(|e| GraphError::BadAffinity(format!("CSR assembly: {e}")))
}

/// `w` with the bridging edges added (both directions), weighted as the
/// affinity weighs a pair at that distance (`sigma` the points' scales), never
/// below the smallest positive `f64` so that a bridge always joins.
pub fn with_bridges(
    w: &CsrMatrix<f64>,
    bridges: &[crate::connect::Bridge],
    scale: Scale,
    sigma: &[f64],
) -> CsrMatrix<f64> {
    let mut coo = nalgebra_sparse::CooMatrix::new(w.nrows(), w.ncols());
    for (i, row) in w.row_iter().enumerate() {
        for (&j, &v) in row.col_indices().iter().zip(row.values()) {
            coo.push(i, j, v);
        }
    }
    for b in bridges {
        let v = gaussian_weight(scale, b.distance, sigma[b.i], sigma[b.j]).max(f64::MIN_POSITIVE);
        coo.push(b.i, b.j, v);
        coo.push(b.j, b.i, v);
    }
    CsrMatrix::from(&coo)
}

/// One output row of the CSR builder: its columns and values.
type RowOut<'a> = (&'a mut [usize], &'a mut [f64]);

/// Rows per rayon task in the CSR builders: smaller graphs run on the calling
/// thread (a batch graph never leaves it).
const PAR_MIN_ROWS: usize = 4096;

/// Checks that a CSR affinity is square, finite, non-negative and symmetric.
pub fn check_affinity_csr(w: &CsrMatrix<f64>) -> Result<()> {
    let n = w.nrows();
    if n != w.ncols() {
        return Err(GraphError::BadAffinity(format!(
            "{}×{} is not square",
            n,
            w.ncols()
        )));
    }
    if n == 0 {
        return Err(GraphError::Empty { rows: 0, cols: 0 });
    }
    for (i, row) in w.row_iter().enumerate() {
        for (&j, &v) in row.col_indices().iter().zip(row.values()) {
            if !v.is_finite() || v < 0.0 {
                return Err(GraphError::BadAffinity(format!("entry ({i}, {j}) = {v}")));
            }
        }
    }
    let close = |v: f64, t: f64| (v - t).abs() <= 1e-12 * v.abs().max(t.abs()).max(1.0);
    // Same pattern as the transpose (the usual case): compare entry by entry in
    // O(nnz). Otherwise look every entry up, treating a missing one as 0.
    let t = w.transpose();
    if t.row_offsets() == w.row_offsets() && t.col_indices() == w.col_indices() {
        if let Some(p) = (0..w.nnz()).find(|&p| !close(w.values()[p], t.values()[p])) {
            let i = w.row_offsets().partition_point(|&o| o <= p) - 1;
            let j = w.col_indices()[p];
            return Err(GraphError::BadAffinity(format!(
                "not symmetric at ({i}, {j})"
            )));
        }
        return Ok(());
    }
    for (i, row) in w.row_iter().enumerate() {
        for (&j, &v) in row.col_indices().iter().zip(row.values()) {
            let t = w.get_entry(j, i).map_or(0.0, |e| e.into_value());
            if !close(v, t) {
                return Err(GraphError::BadAffinity(format!(
                    "not symmetric at ({i}, {j})"
                )));
            }
        }
    }
    Ok(())
}

/// Degrees `D_ii = Σ_j W_ij` of a CSR affinity.
pub fn degrees_csr(w: &CsrMatrix<f64>) -> DVector<f64> {
    DVector::from_iterator(w.nrows(), w.row_iter().map(|r| r.values().iter().sum()))
}

/// Builds a CSR matrix with the sparsity of `w` plus the full diagonal:
/// off-diagonal entries `off(i, j, w_ij)`, diagonal entries `diag(i, w_ii)`.
fn map_with_diagonal(
    w: &CsrMatrix<f64>,
    mut off: impl FnMut(usize, usize, f64) -> f64,
    mut diag: impl FnMut(usize, f64) -> f64,
) -> Result<CsrMatrix<f64>> {
    let n = w.nrows();
    let mut offsets = Vec::with_capacity(n + 1);
    let mut cols = Vec::with_capacity(w.nnz() + n);
    let mut vals = Vec::with_capacity(w.nnz() + n);
    offsets.push(0);
    for (i, row) in w.row_iter().enumerate() {
        let mut placed = false;
        let mut own = 0.0;
        for (&j, &v) in row.col_indices().iter().zip(row.values()) {
            if j == i {
                own = v;
                continue;
            }
            if j > i && !placed {
                cols.push(i);
                vals.push(diag(i, own));
                placed = true;
            }
            cols.push(j);
            vals.push(off(i, j, v));
        }
        if !placed {
            cols.push(i);
            vals.push(diag(i, own));
        }
        offsets.push(cols.len());
    }
    CsrMatrix::try_from_csr_data(n, n, offsets, cols, vals)
        .map_err(|e| GraphError::BadAffinity(format!("CSR assembly: {e}")))
}

/// Same sparsity as `w`, values `f(i, j, w_ij)`.
fn map_values(w: &CsrMatrix<f64>, mut f: impl FnMut(usize, usize, f64) -> f64) -> CsrMatrix<f64> {
    let mut out = w.clone();
    let (offsets, cols, vals) = out.csr_data_mut();
    for i in 0..offsets.len() - 1 {
        for t in offsets[i]..offsets[i + 1] {
            vals[t] = f(i, cols[t], vals[t]);
        }
    }
    out
}

fn positive_degrees(w: &CsrMatrix<f64>) -> Result<DVector<f64>> {
    let d = degrees_csr(w);
    if let Some(node) = d.iter().position(|&v| v <= 0.0) {
        return Err(GraphError::IsolatedNode { node });
    }
    Ok(d)
}

/// `L = D − W` (Eq. 2) as CSR.
pub fn unnormalized_laplacian_csr(w: &CsrMatrix<f64>) -> Result<CsrMatrix<f64>> {
    check_affinity_csr(w)?;
    let d = degrees_csr(w);
    map_with_diagonal(w, |_, _, v| -v, |i, own| d[i] - own)
}

/// `L_N = I − D^{-1/2} W D^{-1/2}` (Eq. 4) as CSR. An isolated node is an error.
pub fn normalized_laplacian_csr(w: &CsrMatrix<f64>) -> Result<CsrMatrix<f64>> {
    check_affinity_csr(w)?;
    let s = positive_degrees(w)?.map(|v| 1.0 / v.sqrt());
    map_with_diagonal(
        w,
        |i, j, v| -v * s[i] * s[j],
        |i, own| 1.0 - own * s[i] * s[i],
    )
}

/// The requested Laplacian as CSR.
pub fn laplacian_csr(w: &CsrMatrix<f64>, kind: LaplacianKind) -> Result<CsrMatrix<f64>> {
    match kind {
        LaplacianKind::Unnormalized => unnormalized_laplacian_csr(w),
        LaplacianKind::SymmetricNormalized => normalized_laplacian_csr(w),
    }
}

/// The random-walk matrix as CSR: `D^{-1} W` (row-stochastic) or `W D^{-1}`
/// (column-stochastic, the paper's Eq. 5). See [`RandomWalkSide`].
pub fn random_walk_csr(w: &CsrMatrix<f64>, side: RandomWalkSide) -> Result<CsrMatrix<f64>> {
    check_affinity_csr(w)?;
    let d = positive_degrees(w)?;
    Ok(match side {
        RandomWalkSide::Row => map_values(w, |i, _, v| v / d[i]),
        RandomWalkSide::Column => map_values(w, |_, j, v| v / d[j]),
    })
}

/// The α-normalised kernel `D^{-α} W D^{-α}` of diffusion maps (Coifman &
/// Lafon), used by Diffusion Nets and GGAE, as CSR. `α ∈ [0, 1]`: 0 keeps `W`,
/// 1 removes the influence of the sampling density.
pub fn alpha_normalized_kernel_csr(w: &CsrMatrix<f64>, alpha: f64) -> Result<CsrMatrix<f64>> {
    check_alpha(alpha)?;
    check_affinity_csr(w)?;
    if alpha == 0.0 {
        return Ok(w.clone());
    }
    // Divided, not multiplied by d^-α, which overflows for subnormal degrees (see the dense
    // version).
    let p = positive_degrees(w)?.map(|v| v.powf(alpha));
    Ok(map_values(w, |i, j, v| v / p[i] / p[j]))
}

/// Checks a kernel normalisation exponent: α must lie in [0, 1].
pub fn check_alpha(alpha: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&alpha) {
        return Err(GraphError::InvalidParameter(format!(
            "α = {alpha} must be in [0, 1]"
        )));
    }
    Ok(())
}

/// Dense copy of a CSR matrix (for small graphs and tests).
pub fn csr_to_dense(m: &CsrMatrix<f64>) -> DMatrix<f64> {
    let mut out = DMatrix::zeros(m.nrows(), m.ncols());
    for (i, row) in m.row_iter().enumerate() {
        for (&j, &v) in row.col_indices().iter().zip(row.values()) {
            out[(i, j)] += v;
        }
    }
    out
}

/// Connected components of a graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Components {
    /// Number of components.
    pub count: usize,
    /// Component of every node, numbered `0..count` in order of first node.
    pub labels: Vec<usize>,
    /// Size of every component, indexed by label.
    pub sizes: Vec<usize>,
    /// Nodes without any edge (components of size one).
    pub isolated: Vec<usize>,
}

impl Components {
    /// Labels nodes from union-find over the edges `(i, j)`.
    pub(crate) fn from_edges(n: usize, edges: impl Iterator<Item = (usize, usize)>) -> Self {
        let mut uf = UnionFind::<usize>::new(n);
        let mut has_edge = vec![false; n];
        for (i, j) in edges {
            if i != j {
                uf.union(i, j);
                has_edge[i] = true;
                has_edge[j] = true;
            }
        }
        Self::from_roots(&uf.into_labeling(), &has_edge)
    }

    /// Components numbered 0.. in order of first appearance, from union-find roots.
    fn from_roots(roots: &[usize], has_edge: &[bool]) -> Self {
        let n = roots.len();
        let mut map = vec![usize::MAX; n];
        let mut sizes = Vec::new();
        let labels: Vec<usize> = roots
            .iter()
            .map(|&r| {
                if map[r] == usize::MAX {
                    map[r] = sizes.len();
                    sizes.push(0);
                }
                sizes[map[r]] += 1;
                map[r]
            })
            .collect();
        let isolated = (0..n).filter(|&i| !has_edge[i]).collect();
        Self {
            count: sizes.len(),
            labels,
            sizes,
            isolated,
        }
    }

    /// [`GraphError::Disconnected`] when there is more than one component.
    pub fn ensure_connected(&self) -> Result<()> {
        if self.count > 1 {
            let mut sizes = self.sizes.clone();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            return Err(GraphError::Disconnected {
                count: self.count,
                sizes,
            });
        }
        Ok(())
    }
}

/// Connected components of a CSR affinity (edges with positive weight).
pub fn components_csr(w: &CsrMatrix<f64>) -> Components {
    let (offsets, cols, vals) = w.csr_data();
    let edges = (0..w.nrows()).flat_map(|i| {
        (offsets[i]..offsets[i + 1])
            .filter(|&t| vals[t] > 0.0)
            .map(move |t| (i, cols[t]))
    });
    Components::from_edges(w.nrows(), edges)
}

/// Components of the graph as floating point sees them: the connected components once edges
/// too weak to register are set aside. A graph whose clusters are joined only by weights like
/// `1e-30` (tight clusters under a local Gaussian scale) is connected, but its Laplacian has one
/// eigenvalue per cluster within rounding of zero, and a single-vector Krylov solver cannot be
/// trusted to find every copy. Splitting it here lets the solver deflate those copies exactly.
///
/// An edge is weak when its normalised weight `w_ij / √(d_i d_j)` is at most `tol`. A candidate
/// component `C` is accepted only when its null vector (the trivial vector restricted to `C`:
/// `D^{1/2} 1_C` for `L_N`, `1_C` for `L`, normalised) is an eigenvector of the *unpruned*
/// Laplacian to `tol`: with `c_i` the weight from node `i` to the other side of `C`, the residual
/// is `‖L_N v‖² = Σ_i c_i² / (d_i vol C)` or `‖L v‖² = Σ_i c_i² / |C|`, and it must be at most
/// `tol · s` with `s = 1` for `L_N` and `s = max_i d_i` for `L` (lower bounds of `‖L‖`). A
/// component that fails is merged with the neighbour it shares most weight with, and checked
/// again (after four rounds that still fail, the exact components are returned). Nodes joined
/// by a strong edge are never separated, components are never merged across a zero weight,
/// and with `tol = 0` the result equals [`components_csr`].
pub fn numerical_components_csr(w: &CsrMatrix<f64>, kind: LaplacianKind, tol: f64) -> Components {
    let (offsets, cols, vals) = w.csr_data();
    let edges = (0..w.nrows()).flat_map(|i| {
        (offsets[i]..offsets[i + 1])
            .filter(|&t| vals[t] > 0.0)
            .map(move |t| (i, cols[t], vals[t]))
    });
    // Degrees as row sums of the positive off-diagonal weights (one pass over each row).
    let degree = (0..w.nrows())
        .map(|i| {
            (offsets[i]..offsets[i + 1])
                .filter(|&t| cols[t] != i && vals[t] > 0.0)
                .map(|t| vals[t])
                .sum()
        })
        .collect();
    numerical_components(w.nrows(), edges, degree, kind, tol)
}

/// [`numerical_components_csr`] of a dense affinity.
pub fn numerical_components_dense(w: &DMatrix<f64>, kind: LaplacianKind, tol: f64) -> Components {
    let n = w.nrows();
    // One pass over the n² entries; the algorithm then works on the non-zeros only.
    let mut edges = Vec::new();
    for (j, col) in w.column_iter().enumerate() {
        for (i, &v) in col.iter().enumerate() {
            if i != j && v > 0.0 {
                edges.push((i, j, v));
            }
        }
    }
    let mut degree = vec![0.0; n];
    for &(i, _, v) in &edges {
        degree[i] += v;
    }
    numerical_components(n, edges.iter().copied(), degree, kind, tol)
}

/// `degree[i]`: the sum of node i's positive off-diagonal weights (`edges` lists
/// them, each direction of a pair once).
fn numerical_components(
    n: usize,
    edges: impl Iterator<Item = (usize, usize, f64)> + Clone,
    degree: Vec<f64>,
    kind: LaplacianKind,
    tol: f64,
) -> Components {
    let strong = |i: usize, j: usize, v: f64| v > tol * (degree[i] * degree[j]).sqrt();
    let exact = || Components::from_edges(n, edges.clone().map(|(i, j, _)| (i, j)));
    if tol.is_nan() || tol <= 0.0 {
        return exact();
    }
    let mut uf = UnionFind::<usize>::new(n);
    let mut joined = 0usize;
    for (i, j, v) in edges.clone() {
        if i != j && strong(i, j, v) && uf.union(i, j) {
            joined += 1;
            if joined + 1 == n {
                // Every node is in one tree: the rest of the edges cannot split it.
                break;
            }
        }
    }
    if n > 1 && joined + 1 == n {
        // Connected by strong edges alone: one component, nothing to check (the hot path).
        return Components {
            count: 1,
            labels: vec![0; n],
            sizes: vec![n],
            isolated: Vec::new(),
        };
    }
    let scale = match kind {
        LaplacianKind::SymmetricNormalized => 1.0,
        LaplacianKind::Unnormalized => degree.iter().copied().fold(0.0, f64::max),
    };
    // A few rounds of merging failed components; what still fails falls back to exact components.
    for _ in 0..4 {
        let labels = uf.clone().into_labeling();
        // Per node: weight to other components; per component: volume, size, and the
        // neighbour it shares most weight with.
        let mut cut = vec![0.0; n];
        let mut volume = vec![0.0; n];
        let mut size = vec![0usize; n];
        for i in 0..n {
            volume[labels[i]] += degree[i];
            size[labels[i]] += 1;
        }
        // One pass over the edges that cross components: each node's weight to the outside of
        // its own component (`cut`), to every other component (`inward`), and the weight every
        // pair of components shares.
        let mut shared: std::collections::HashMap<(usize, usize), f64> = Default::default();
        let mut inward: std::collections::HashMap<(usize, usize), f64> = Default::default();
        for (i, j, v) in edges.clone() {
            let (a, b) = (labels[i], labels[j]);
            if i != j && a != b {
                cut[i] += v;
                *shared.entry((a, b)).or_insert(0.0) += v;
                *inward.entry((i, b)).or_insert(0.0) += v;
            }
        }
        // Residual² of each component's null vector: its own boundary nodes and the outside
        // nodes' weight into it.
        let mut residual2 = vec![0.0; n];
        let term = |i: usize, c: f64, comp: usize| match kind {
            LaplacianKind::SymmetricNormalized => c * c / (degree[i] * volume[comp]),
            LaplacianKind::Unnormalized => c * c / size[comp] as f64,
        };
        for (i, &c) in cut.iter().enumerate() {
            if c > 0.0 {
                residual2[labels[i]] += term(i, c, labels[i]);
            }
        }
        for (&(i, comp), &c) in &inward {
            residual2[comp] += term(i, c, comp);
        }
        let bound = (tol * scale).powi(2);
        let mut failed = false;
        let mut best: std::collections::HashMap<usize, (usize, f64)> = Default::default();
        for (&(a, b), &v) in &shared {
            let e = best.entry(a).or_insert((b, v));
            if v > e.1 || (v == e.1 && b < e.0) {
                *e = (b, v);
            }
        }
        let mut roots: Vec<usize> = best.keys().copied().collect();
        roots.sort_unstable();
        for a in roots {
            if residual2[a] > bound || volume[a].is_nan() || volume[a] <= 0.0 {
                failed = true;
                uf.union(a, best[&a].0);
            }
        }
        if !failed {
            let mut has_edge = vec![false; n];
            for (i, j, _) in edges.clone().filter(|&(i, j, _)| i != j) {
                has_edge[i] = true;
                has_edge[j] = true;
            }
            return Components::from_roots(&uf.into_labeling(), &has_edge);
        }
    }
    exact()
}

/// Connected components of a dense affinity (edges with positive weight).
pub fn components_dense(w: &DMatrix<f64>) -> Components {
    let n = w.nrows();
    let edges = (0..n).flat_map(move |j| {
        (j + 1..n)
            .filter(move |&i| w[(i, j)] > 0.0 || w[(j, i)] > 0.0)
            .map(move |i| (i, j))
    });
    Components::from_edges(n, edges)
}

#[cfg(test)]
mod numerical_component_tests {
    use super::*;

    /// Two 4-cliques (unit weights) joined by one edge of weight `bridge`, plus node 8 hanging
    /// off node 0 by an edge of weight `tail`.
    fn two_cliques(bridge: f64, tail: f64) -> DMatrix<f64> {
        let mut w = DMatrix::zeros(9, 9);
        for c in [0usize, 4] {
            for i in c..c + 4 {
                for j in c..c + 4 {
                    if i != j {
                        w[(i, j)] = 1.0;
                    }
                }
            }
        }
        w[(3, 4)] = bridge;
        w[(4, 3)] = bridge;
        w[(0, 8)] = tail;
        w[(8, 0)] = tail;
        w
    }

    #[test]
    fn weights_below_rounding_split_the_graph_and_strong_ones_do_not() {
        for kind in [
            LaplacianKind::SymmetricNormalized,
            LaplacianKind::Unnormalized,
        ] {
            // A 1e-30 bridge: connected, but two components as floating point sees it.
            let w = two_cliques(1e-30, 1.0);
            assert_eq!(components_dense(&w).count, 1);
            let c = numerical_components_dense(&w, kind, 1e-8);
            assert_eq!(c.count, 2, "{kind:?}");
            assert_ne!(c.labels[3], c.labels[4]);
            assert!(c.labels[..4].iter().all(|&l| l == c.labels[0]));
            assert_eq!(c.labels[8], c.labels[0]);
            // The CSR version agrees.
            let csr = CsrMatrix::from(&nalgebra_sparse::CooMatrix::from(&w));
            assert_eq!(numerical_components_csr(&csr, kind, 1e-8).labels, c.labels);
            // A bridge that matters keeps it whole; tol = 0 is the exact count.
            assert_eq!(
                numerical_components_dense(&two_cliques(0.1, 1.0), kind, 1e-8).count,
                1
            );
            assert_eq!(numerical_components_dense(&w, kind, 0.0).count, 1);
        }
    }

    #[test]
    fn a_node_held_only_by_a_weak_edge_is_not_a_component_of_its_own() {
        // Node 8's only edge is tiny: in L_N its null vector would be e_8, which has Rayleigh
        // quotient 1, so it is merged back into its neighbour's component.
        let w = two_cliques(1e-30, 1e-30);
        let c = numerical_components_dense(&w, LaplacianKind::SymmetricNormalized, 1e-8);
        assert_eq!(c.count, 2);
        assert_eq!(c.labels[8], c.labels[0]);
        // The null vector of each accepted component meets the tolerance on the full L_N.
        let l = crate::laplacian::laplacian(&w, LaplacianKind::SymmetricNormalized).unwrap();
        let d = crate::laplacian::degrees(&w);
        for comp in 0..c.count {
            let mut v = DVector::from_fn(9, |i, _| {
                if c.labels[i] == comp {
                    d[i].sqrt()
                } else {
                    0.0
                }
            });
            v /= v.norm();
            assert!((&l * &v).norm() <= 1e-8, "component {comp}");
        }
    }
}

#[cfg(test)]
mod affinity_tests {
    use super::*;
    use crate::knn::{KnnParams, knn_exact};

    /// The affinity by its definition, pair by pair: `W_ij` from the directed
    /// edges `i→j` and `j→i` that the kNN lists hold.
    fn affinity_by_definition(knn: &KnnGraph, params: &AffinityParams) -> DMatrix<f64> {
        let sigma = gaussian_scales(knn, params.scale).unwrap();
        let n = knn.n;
        let mut directed = DMatrix::<f64>::from_element(n, n, -1.0);
        for i in 0..n {
            for (&j, &d) in knn.neighbors(i).iter().zip(knn.neighbor_distances(i)) {
                directed[(i, j)] = gaussian_weight(params.scale, d, sigma[i], sigma[j]);
            }
        }
        DMatrix::from_fn(n, n, |i, j| {
            let (a, b) = (directed[(i, j)], directed[(j, i)]);
            let w = a.max(b);
            if i == j || w < 0.0 {
                return 0.0;
            }
            match (params.symmetrize, a >= 0.0 && b >= 0.0) {
                (Symmetrize::Max, _) | (Symmetrize::Mean, true) | (Symmetrize::Mutual, true) => w,
                (Symmetrize::Mean, false) => 0.5 * w,
                (Symmetrize::Mutual, false) => 0.0,
            }
        })
    }

    #[test]
    fn csr_affinity_equals_its_definition_bit_for_bit() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for (n, dim, k) in [(40usize, 2usize, 5usize), (300, 3, 12), (9000, 2, 6)] {
            // Coordinates on a coarse grid: many equal distances.
            let x = DMatrix::from_fn(n, dim, |_, _| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 50) as f64 * 0.1
            });
            let knn = knn_exact(
                &x,
                &KnnParams {
                    k,
                    ..Default::default()
                },
            )
            .unwrap();
            for symmetrize in [Symmetrize::Max, Symmetrize::Mean, Symmetrize::Mutual] {
                for scale in [Scale::MedianKth, Scale::Local(k.min(7)), Scale::Fixed(0.3)] {
                    let params = AffinityParams { scale, symmetrize };
                    let w = knn_affinity(&knn, &params).unwrap();
                    if n > 1000 {
                        // Too large for the dense definition: every stored entry
                        // is checked against it one by one instead.
                        let sigma = gaussian_scales(&knn, scale).unwrap();
                        for (i, row) in w.row_iter().enumerate() {
                            assert!(row.col_indices().windows(2).all(|c| c[0] < c[1]));
                            for (&j, &v) in row.col_indices().iter().zip(row.values()) {
                                let find = |a: usize, b: usize| {
                                    let p = knn.neighbors(a).iter().position(|&c| c == b)?;
                                    let d = knn.neighbor_distances(a)[p];
                                    Some(gaussian_weight(scale, d, sigma[a], sigma[b]))
                                };
                                let (a, b) = (find(i, j), find(j, i));
                                let both = a.is_some() && b.is_some();
                                let m = a.unwrap_or(-1.0).max(b.unwrap_or(-1.0));
                                let want = match (symmetrize, both) {
                                    (Symmetrize::Mean, false) => 0.5 * m,
                                    _ => m,
                                };
                                assert!(m > 0.0 && (both || symmetrize != Symmetrize::Mutual));
                                assert_eq!(v.to_bits(), want.to_bits(), "({i}, {j})");
                            }
                        }
                        continue;
                    }
                    let want = affinity_by_definition(&knn, &params);
                    let got = csr_to_dense(&w);
                    for (g, e) in got.iter().zip(want.iter()) {
                        assert_eq!(g.to_bits(), e.to_bits(), "{symmetrize:?} {scale:?} n = {n}");
                    }
                    // Zeros are not stored.
                    assert!(w.values().iter().all(|&v| v > 0.0));
                }
            }
        }
    }

    #[test]
    fn a_hand_made_graph_with_bad_parts_is_a_typed_error() {
        let knn = KnnGraph {
            n: 3,
            k: 1,
            indices: vec![1, 2, 7],
            distances: vec![1.0, 1.0, 1.0],
        };
        assert!(knn_affinity(&knn, &AffinityParams::default()).is_err());
        let short = KnnGraph {
            n: 3,
            k: 1,
            indices: vec![1, 2],
            distances: vec![1.0, 1.0],
        };
        assert!(knn_affinity(&short, &AffinityParams::default()).is_err());
    }
}
