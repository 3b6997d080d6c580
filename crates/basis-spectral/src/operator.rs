//! Symmetric linear operators for the matrix-free eigensolver.
//!
//! The Lanczos solver only needs `y = A x`. [`CsrOperator`] does that for a
//! sparse graph operator with 32-bit column indices (a 60,000-node 50-NN graph
//! streams ~12 bytes per non-zero instead of 16) and splits rows over threads
//! when the matrix is large; [`DenseOperator`] does it for a dense symmetric
//! matrix by column dot products.

use crate::error::{Result, SpectralError};
use nalgebra::DMatrix;
use nalgebra_sparse::CsrMatrix;
use rayon::prelude::*;
use std::sync::Mutex;

/// A real symmetric operator `A` of order [`Self::dim`].
pub trait SymmetricOperator: Sync {
    /// Order of the operator.
    fn dim(&self) -> usize;
    /// `y = A x`; both slices have length [`Self::dim`].
    fn apply(&self, x: &[f64], y: &mut [f64]);
}

/// Stored non-zeros below which a product runs on one thread: splitting a
/// small product costs more than it saves.
const PARALLEL_MIN_NNZ: usize = 1 << 18;

/// A symmetric sparse matrix stored as its diagonal plus its strict upper
/// triangle (CSR rows, 32-bit column indices), applied as `y = A x`.
///
/// Storing one triangle halves the bytes a product streams, which is what a
/// product costs on a kNN graph: each stored `a_ij` is used for `y_i += a_ij x_j`
/// and `y_j += a_ij x_i`. With several threads, each takes a block of rows of
/// equal non-zero count and accumulates its `y_j` contributions in a private
/// buffer that is summed at the end.
#[derive(Debug)]
pub struct CsrOperator {
    n: usize,
    diag: Vec<f64>,
    offsets: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f64>,
    /// Row boundaries of the thread blocks (`threads + 1` entries).
    blocks: Vec<usize>,
    scratch: Mutex<Vec<Vec<f64>>>,
    /// Internal order: internal row `r` is original row `perm[r]` (None = identity).
    perm: Option<Vec<u32>>,
    /// Permuted input and output vectors.
    permuted: Mutex<(Vec<f64>, Vec<f64>)>,
}

impl CsrOperator {
    /// The operator of a symmetric CSR matrix; only its diagonal and upper
    /// triangle are read (entries below the diagonal are ignored).
    ///
    /// `threads`: 0 = all cores of the current rayon pool, 1 = serial.
    pub fn new(m: &CsrMatrix<f64>, threads: usize) -> Result<Self> {
        Self::from_csr_map(m, threads, |_, _, v| v, |_, v| v)
    }

    /// The operator `scale · M + shift · I` of a symmetric CSR matrix `M`
    /// (diagonal and upper triangle read).
    pub fn scaled_shifted(
        m: &CsrMatrix<f64>,
        scale: f64,
        shift: f64,
        threads: usize,
    ) -> Result<Self> {
        Self::from_csr_map(m, threads, |_, _, v| scale * v, |_, v| scale * v + shift)
    }

    /// Builds the operator from `m`'s diagonal and upper triangle with the
    /// entries mapped: off-diagonal `off(i, j, m_ij)`, diagonal `diag(i, m_ii)`
    /// (called with 0 for a diagonal entry that is not stored).
    pub fn from_csr_map(
        m: &CsrMatrix<f64>,
        threads: usize,
        mut off: impl FnMut(usize, usize, f64) -> f64,
        mut diag: impl FnMut(usize, f64) -> f64,
    ) -> Result<Self> {
        if m.nrows() != m.ncols() {
            return Err(SpectralError::NotSquare {
                rows: m.nrows(),
                cols: m.ncols(),
            });
        }
        let n = m.nrows();
        if n > u32::MAX as usize {
            return Err(SpectralError::InvalidParameter {
                name: "matrix order",
                reason: format!("{n} rows exceed the 32-bit column index of CsrOperator"),
            });
        }
        let (offsets, cols, vals) = m.csr_data();
        let upper = (0..n)
            .map(|i| {
                cols[offsets[i]..offsets[i + 1]]
                    .iter()
                    .filter(|&&c| c > i)
                    .count()
            })
            .sum();
        let mut d = vec![0.0; n];
        let mut o = Vec::with_capacity(n + 1);
        let mut uc = Vec::with_capacity(upper);
        let mut uv = Vec::with_capacity(upper);
        o.push(0);
        for i in 0..n {
            let mut own = 0.0;
            for t in offsets[i]..offsets[i + 1] {
                let (j, v) = (cols[t], vals[t]);
                if !v.is_finite() {
                    return Err(SpectralError::NonFinite { row: i, col: j });
                }
                if j == i {
                    own = v;
                } else if j > i {
                    uc.push(j as u32);
                    uv.push(off(i, j, v));
                }
            }
            d[i] = diag(i, own);
            o.push(uc.len());
        }
        Self::from_upper_parts(n, d, o, uc, uv, threads, PARALLEL_MIN_NNZ)
    }

    /// The operator of a dense symmetric matrix, keeping its non-zeros
    /// (only the lower triangle, i.e. the upper triangle of the transpose, is read).
    pub fn from_dense(a: &DMatrix<f64>, threads: usize) -> Result<Self> {
        let n = a.nrows();
        if n != a.ncols() {
            return Err(SpectralError::NotSquare {
                rows: n,
                cols: a.ncols(),
            });
        }
        let data = a.as_slice();
        let mut d = vec![0.0; n];
        let mut o = Vec::with_capacity(n + 1);
        let mut uc = Vec::new();
        let mut uv = Vec::new();
        o.push(0);
        // Column i below the diagonal is row i right of it, by symmetry.
        for i in 0..n {
            let c = &data[i * n..(i + 1) * n];
            d[i] = c[i];
            for (j, &v) in c.iter().enumerate().skip(i + 1) {
                if v != 0.0 {
                    uc.push(j as u32);
                    uv.push(v);
                }
            }
            o.push(uc.len());
        }
        for (p, v) in data.iter().enumerate() {
            if !v.is_finite() {
                return Err(SpectralError::NonFinite {
                    row: p % n,
                    col: p / n,
                });
            }
        }
        Self::from_upper_parts(n, d, o, uc, uv, threads, PARALLEL_MIN_NNZ)
    }

    fn from_upper_parts(
        n: usize,
        diag: Vec<f64>,
        offsets: Vec<usize>,
        cols: Vec<u32>,
        vals: Vec<f64>,
        threads: usize,
        parallel_min_nnz: usize,
    ) -> Result<Self> {
        let threads = if threads == 0 {
            rayon::current_num_threads()
        } else {
            threads
        };
        let nnz = vals.len();
        let blocks_n = if nnz < parallel_min_nnz || threads <= 1 {
            1
        } else {
            threads.min(n.max(1))
        };
        // Rows split so that each block holds about nnz / blocks stored entries.
        let mut blocks = vec![0usize];
        for b in 1..blocks_n {
            let target = nnz * b / blocks_n;
            let r = offsets.partition_point(|&o| o < target).min(n);
            blocks.push(r.max(*blocks.last().unwrap_or(&0)));
        }
        blocks.push(n);
        let scratch = (1..blocks_n).map(|_| vec![0.0; n]).collect();
        Ok(Self {
            n,
            diag,
            offsets,
            cols,
            vals,
            blocks,
            scratch: Mutex::new(scratch),
            perm: None,
            permuted: Mutex::new((Vec::new(), Vec::new())),
        })
    }

    /// Renumbers the rows in reverse Cuthill–McKee order, so that the
    /// neighbours of a row sit near it in memory and the gathers of a product
    /// hit cache. Products still take and return vectors in the original order
    /// (two extra permutations of `n` entries per product).
    pub fn reordered(self) -> Result<Self> {
        let n = self.n;
        if n < 2 {
            return Ok(self);
        }
        // Full adjacency (both triangles) for the breadth-first search.
        let mut deg = vec![0usize; n];
        for i in 0..n {
            deg[i] += self.offsets[i + 1] - self.offsets[i];
            for &c in &self.cols[self.offsets[i]..self.offsets[i + 1]] {
                deg[c as usize] += 1;
            }
        }
        let mut start = vec![0usize; n + 1];
        for i in 0..n {
            start[i + 1] = start[i] + deg[i];
        }
        let mut fill = start.clone();
        let mut adj = vec![(0u32, 0.0f64); start[n]];
        for i in 0..n {
            for t in self.offsets[i]..self.offsets[i + 1] {
                let (c, v) = (self.cols[t], self.vals[t]);
                let j = c as usize;
                adj[fill[i]] = (c, v);
                fill[i] += 1;
                adj[fill[j]] = (i as u32, v);
                fill[j] += 1;
            }
        }
        let mut order: Vec<u32> = Vec::with_capacity(n);
        let mut seen = vec![false; n];
        let mut by_degree: Vec<usize> = (0..n).collect();
        by_degree.sort_by_key(|&i| (deg[i], i));
        let mut nbrs: Vec<u32> = Vec::new();
        for &root in &by_degree {
            if seen[root] {
                continue;
            }
            seen[root] = true;
            let mut head = order.len();
            order.push(root as u32);
            while head < order.len() {
                let v = order[head] as usize;
                head += 1;
                nbrs.clear();
                for &(u, _) in &adj[start[v]..start[v + 1]] {
                    if !seen[u as usize] {
                        seen[u as usize] = true;
                        nbrs.push(u);
                    }
                }
                nbrs.sort_unstable_by_key(|&u| (deg[u as usize], u));
                order.extend_from_slice(&nbrs);
            }
        }
        order.reverse();
        let mut inv = vec![0u32; n];
        for (r, &o) in order.iter().enumerate() {
            inv[o as usize] = r as u32;
        }
        // New row r = old row order[r]: its neighbours renumbered, those after r kept.
        let mut offsets = Vec::with_capacity(n + 1);
        let mut cols = Vec::with_capacity(self.vals.len());
        let mut vals = Vec::with_capacity(self.vals.len());
        let mut row: Vec<(u32, f64)> = Vec::new();
        offsets.push(0);
        for (r, &o) in order.iter().enumerate() {
            let o = o as usize;
            row.clear();
            row.extend(
                adj[start[o]..start[o + 1]]
                    .iter()
                    .map(|&(u, v)| (inv[u as usize], v))
                    .filter(|&(c, _)| c as usize > r),
            );
            row.sort_unstable_by_key(|e| e.0);
            cols.extend(row.iter().map(|e| e.0));
            vals.extend(row.iter().map(|e| e.1));
            offsets.push(cols.len());
        }
        let diag = order.iter().map(|&o| self.diag[o as usize]).collect();
        let threads = self.blocks.len() - 1;
        let mut out = Self::from_upper_parts(n, diag, offsets, cols, vals, threads, 0)?;
        out.perm = Some(order);
        Ok(out)
    }

    /// Stored off-diagonal non-zeros (one triangle).
    pub fn nnz_upper(&self) -> usize {
        self.vals.len()
    }

    /// Rows `rows`: `y_i += d_i x_i + Σ_{j>i} a_ij x_j` into `y_rows` (indexed
    /// from `rows.start`) and `t[j] += a_ij x_i`.
    fn block(&self, rows: std::ops::Range<usize>, x: &[f64], y_rows: &mut [f64], t: &mut [f64]) {
        let first = rows.start;
        for i in rows {
            let (a, b) = (self.offsets[i], self.offsets[i + 1]);
            let xi = x[i];
            let s = row_product(&self.cols[a..b], &self.vals[a..b], x, xi, |j, w| t[j] += w);
            y_rows[i - first] += self.diag[i] * xi + s;
        }
    }

    /// The last row block: every `j > i` lies inside it, so both
    /// contributions go into `y_rows` (indexed from `rows.start`).
    fn block_in_place(&self, rows: std::ops::Range<usize>, x: &[f64], y_rows: &mut [f64]) {
        let first = rows.start;
        for i in rows {
            let (a, b) = (self.offsets[i], self.offsets[i + 1]);
            let xi = x[i];
            let s = row_product(&self.cols[a..b], &self.vals[a..b], x, xi, |j, w| {
                y_rows[j - first] += w
            });
            y_rows[i - first] += self.diag[i] * xi + s;
        }
    }
}

/// One stored row `i` of the upper triangle: returns `Σ_j a_ij x_j` and calls
/// `scatter(j, a_ij x_i)` for each entry (the mirrored lower-triangle
/// contribution). The sum runs in four interleaved partial sums, so that
/// consecutive additions do not wait on each other's latency (one chain was
/// the bound of the product: about four cycles per stored entry); the
/// scattered updates touch distinct `j` and need no such care.
#[inline(always)]
fn row_product(
    cols: &[u32],
    vals: &[f64],
    x: &[f64],
    xi: f64,
    mut scatter: impl FnMut(usize, f64),
) -> f64 {
    let mut acc = [0.0f64; 4];
    let (c4, v4) = (cols.chunks_exact(4), vals.chunks_exact(4));
    let (c_rest, v_rest) = (c4.remainder(), v4.remainder());
    for (c, v) in c4.zip(v4) {
        for l in 0..4 {
            let j = c[l] as usize;
            acc[l] += v[l] * x[j];
            scatter(j, v[l] * xi);
        }
    }
    for (&c, &v) in c_rest.iter().zip(v_rest) {
        let j = c as usize;
        acc[0] += v * x[j];
        scatter(j, v * xi);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

impl SymmetricOperator for CsrOperator {
    fn dim(&self) -> usize {
        self.n
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        assert_eq!(x.len(), self.n, "operator input length");
        assert_eq!(y.len(), self.n, "operator output length");
        match &self.perm {
            None => self.apply_internal(x, y),
            Some(p) => {
                let mut guard = self.permuted.lock().unwrap_or_else(|e| e.into_inner());
                let (xp, yp) = &mut *guard;
                xp.clear();
                xp.extend(p.iter().map(|&o| x[o as usize]));
                yp.resize(self.n, 0.0);
                self.apply_internal(xp, yp);
                for (r, &o) in p.iter().enumerate() {
                    y[o as usize] = yp[r];
                }
            }
        }
    }
}

impl CsrOperator {
    fn apply_internal(&self, x: &[f64], y: &mut [f64]) {
        let nb = self.blocks.len() - 1;
        y.fill(0.0);
        if nb == 1 {
            self.block_in_place(0..self.n, x, y);
            return;
        }
        let mut guard = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        let scratch: &mut Vec<Vec<f64>> = &mut guard;
        let mut parts: Vec<&mut [f64]> = Vec::with_capacity(nb);
        let mut rest = &mut y[..];
        for b in 0..nb {
            let (head, tail) = rest.split_at_mut(self.blocks[b + 1] - self.blocks[b]);
            parts.push(head);
            rest = tail;
        }
        let last = parts.pop().unwrap_or_default();
        rayon::join(
            || self.block_in_place(self.blocks[nb - 1]..self.n, x, last),
            || {
                parts
                    .into_par_iter()
                    .zip(scratch.par_iter_mut())
                    .enumerate()
                    .for_each(|(b, (yp, t))| {
                        let rows = self.blocks[b]..self.blocks[b + 1];
                        t[rows.start..].fill(0.0);
                        self.block(rows, x, yp, t);
                    })
            },
        );
        // y_j += buf_b[j] for every buffered block that starts at or before j.
        let chunk = self.n.div_ceil(nb * 4).max(1);
        y.par_chunks_mut(chunk).enumerate().for_each(|(c, yc)| {
            let start = c * chunk;
            for (b, t) in scratch.iter().enumerate() {
                let from = self.blocks[b].max(start);
                for j in from..start + yc.len() {
                    yc[j - start] += t[j];
                }
            }
        });
    }
}

/// `y = A x` for a dense symmetric matrix, by dot products with its columns
/// (contiguous in nalgebra's column-major storage).
#[derive(Debug, Clone, Copy)]
pub struct DenseOperator<'a> {
    a: &'a DMatrix<f64>,
}

impl<'a> DenseOperator<'a> {
    /// Wraps a square matrix; symmetry is the caller's promise.
    pub fn new(a: &'a DMatrix<f64>) -> Result<Self> {
        if a.nrows() != a.ncols() {
            return Err(SpectralError::NotSquare {
                rows: a.nrows(),
                cols: a.ncols(),
            });
        }
        Ok(Self { a })
    }
}

impl SymmetricOperator for DenseOperator<'_> {
    fn dim(&self) -> usize {
        self.a.nrows()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        let n = self.a.nrows();
        let data = self.a.as_slice();
        for (i, yi) in y.iter_mut().enumerate() {
            let col = &data[i * n..(i + 1) * n];
            *yi = col.iter().zip(x).map(|(a, b)| a * b).sum();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DVector;

    #[test]
    fn csr_and_dense_products_agree() {
        let d = DMatrix::from_row_slice(3, 3, &[2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0]);
        let csr = CsrMatrix::from(&nalgebra_sparse::CooMatrix::from(&d));
        let x = [1.0, 2.0, -3.0];
        let mut y1 = [0.0; 3];
        let mut y2 = [0.0; 3];
        CsrOperator::new(&csr, 1).unwrap().apply(&x, &mut y1);
        DenseOperator::new(&d).unwrap().apply(&x, &mut y2);
        assert_eq!(y1, y2);
        assert_eq!(y1, [0.0, 6.0, -8.0]);
        // 2I − M.
        let mut y3 = [0.0; 3];
        CsrOperator::scaled_shifted(&csr, -1.0, 2.0, 1)
            .unwrap()
            .apply(&x, &mut y3);
        assert_eq!(y3, [2.0, -2.0, 2.0]);
    }

    #[test]
    fn threaded_blocks_match_the_serial_product() {
        // A random symmetric pattern, split over 1–4 blocks regardless of size.
        let n = 300;
        let mut d = DMatrix::<f64>::zeros(n, n);
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for i in 0..n {
            d[(i, i)] = next();
            for j in i + 1..n {
                if next() < 0.05 {
                    let v = next() - 0.5;
                    d[(i, j)] = v;
                    d[(j, i)] = v;
                }
            }
        }
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let want = &d * DVector::from_column_slice(&x);
        let base = CsrOperator::from_dense(&d, 1).unwrap();
        for threads in 1..=4 {
            let op = CsrOperator::from_upper_parts(
                n,
                base.diag.clone(),
                base.offsets.clone(),
                base.cols.clone(),
                base.vals.clone(),
                threads,
                0,
            )
            .unwrap();
            assert_eq!(op.blocks.len(), threads + 1);
            for _ in 0..2 {
                let mut y = vec![f64::NAN; n];
                op.apply(&x, &mut y);
                let err = y
                    .iter()
                    .zip(want.iter())
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                assert!(err < 1e-12, "{threads} threads: {err}");
            }
        }
    }

    #[test]
    fn non_finite_and_non_square_are_typed() {
        let mut d = DMatrix::<f64>::identity(2, 2);
        d[(0, 1)] = f64::NAN;
        let csr = CsrMatrix::from(&nalgebra_sparse::CooMatrix::from(&d));
        assert!(matches!(
            CsrOperator::new(&csr, 1),
            Err(SpectralError::NonFinite { row: 0, col: 1 })
        ));
        assert!(matches!(
            DenseOperator::new(&DMatrix::zeros(2, 3)),
            Err(SpectralError::NotSquare { .. })
        ));
    }
}
