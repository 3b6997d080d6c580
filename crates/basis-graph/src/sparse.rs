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
    // Bucket every directed edge i→j into rows i (outgoing) and j (incoming).
    let mut counts = vec![k; n];
    for &j in &knn.indices {
        counts[j] += 1;
    }
    let mut start = vec![0usize; n + 1];
    for i in 0..n {
        start[i + 1] = start[i] + counts[i];
    }
    let total = start[n];
    let mut fill = start.clone();
    let mut entries = vec![(0usize, 0.0f64, false); total];
    for i in 0..n {
        for (&j, &d) in knn.neighbors(i).iter().zip(knn.neighbor_distances(i)) {
            let w = gaussian_weight(params.scale, d, sigma[i], sigma[j]);
            entries[fill[i]] = (j, w, true);
            fill[i] += 1;
            entries[fill[j]] = (i, w, false);
            fill[j] += 1;
        }
    }
    let mut offsets = Vec::with_capacity(n + 1);
    let mut cols = Vec::with_capacity(total);
    let mut vals = Vec::with_capacity(total);
    offsets.push(0);
    for i in 0..n {
        let row = &mut entries[start[i]..start[i + 1]];
        row.sort_unstable_by_key(|e| e.0);
        let mut t = 0;
        while t < row.len() {
            let (j, w, _) = row[t];
            let both = t + 1 < row.len() && row[t + 1].0 == j;
            let w2 = if both { w.max(row[t + 1].1) } else { w };
            t += if both { 2 } else { 1 };
            let v = match (params.symmetrize, both) {
                (Symmetrize::Max, _) | (Symmetrize::Mean, true) | (Symmetrize::Mutual, true) => w2,
                (Symmetrize::Mean, false) => 0.5 * w2,
                (Symmetrize::Mutual, false) => 0.0,
            };
            if v > 0.0 && j != i {
                cols.push(j);
                vals.push(v);
            }
        }
        offsets.push(cols.len());
    }
    CsrMatrix::try_from_csr_data(n, n, offsets, cols, vals)
        .map_err(|e| GraphError::BadAffinity(format!("CSR assembly: {e}")))
}

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
    let s = positive_degrees(w)?.map(|v| v.powf(-alpha));
    Ok(map_values(w, |i, j, v| v * s[i] * s[j]))
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
        let roots = uf.into_labeling();
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
