//! Symmetric linear operators for the matrix-free eigensolver.
//!
//! The Lanczos solver only needs `y = A x`. [`CsrOperator`] does that for a
//! sparse graph operator: one triangle stored, column indices of 16 bits when
//! the order is at most 65,536 and 32 bits otherwise, rows split over threads
//! when the matrix is large. Its values are `f64`, or split into an `f32`
//! leading part and an `f32` remainder ([`ValuePrecision::F32`]): the
//! operator's own product then still applies the matrix to about 15 digits,
//! while [`CsrOperator::rounded`] streams only the leading parts (6 bytes per
//! stored entry instead of 10) and applies a matrix within a certified
//! distance ([`CsrOperator::rounding_error_bound`]). [`DenseOperator`] applies
//! a dense symmetric matrix by column dot products.

use crate::error::{Result, SpectralError};
use nalgebra::DMatrix;
use nalgebra_sparse::CsrMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// A real symmetric operator `A` of order [`Self::dim`].
pub trait SymmetricOperator: Sync {
    /// Order of the operator.
    fn dim(&self) -> usize;
    /// `y = A x`; both slices have length [`Self::dim`].
    fn apply(&self, x: &[f64], y: &mut [f64]);
    /// `Y = A X` for `b` vectors stored interleaved: entry `i` of vector `l` is
    /// `x[i * b + l]` (an `n × b` row-major block); both slices have length
    /// `dim · b`. The default applies [`Self::apply`] to each vector;
    /// [`CsrOperator`] streams its entries once for all of them.
    fn apply_block(&self, x: &[f64], y: &mut [f64], b: usize) {
        apply_each_vector(self.dim(), x, y, b, |xc, yc| self.apply(xc, yc));
    }
}

/// `Y = A X` for `b` interleaved vectors one vector at a time, `apply` being `y = A x`.
fn apply_each_vector(
    n: usize,
    x: &[f64],
    y: &mut [f64],
    b: usize,
    apply: impl Fn(&[f64], &mut [f64]),
) {
    let (mut xc, mut yc) = (vec![0.0; n], vec![0.0; n]);
    for l in 0..b {
        for (i, v) in xc.iter_mut().enumerate() {
            *v = x[i * b + l];
        }
        apply(&xc, &mut yc);
        for (i, v) in yc.iter().enumerate() {
            y[i * b + l] = *v;
        }
    }
}

/// Stored non-zeros below which a product runs on one thread: splitting a
/// small product costs more than it saves.
const PARALLEL_MIN_NNZ: usize = 1 << 18;

/// Largest order whose column indices fit in 16 bits.
const U16_MAX_ORDER: usize = u16::MAX as usize + 1;

/// How the stored off-diagonal values of a [`CsrOperator`] are held (the
/// diagonal is always `f64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ValuePrecision {
    /// Double precision: every product is the matrix's, to rounding.
    #[default]
    F64,
    /// Each value `a` as `hi = f32(a)` and `lo = f32(a − hi)`. [`CsrOperator`]'s
    /// own product uses `hi + lo`, within `2⁻⁴⁷ |a|` of every value
    /// ([`CsrOperator::split_error_bound`]); [`CsrOperator::rounded`] reads `hi` only:
    /// 6 instead of 10 bytes per stored entry (16-bit columns), the product of a
    /// matrix within [`CsrOperator::rounding_error_bound`] (about `6e-8` times the
    /// largest absolute row sum) of the original. Products accumulate in `f64` either way.
    F32,
}

/// Stored column indices, in the narrowest type the order allows.
#[derive(Debug, Clone)]
enum Cols {
    U16(Vec<u16>),
    U32(Vec<u32>),
}

/// Stored off-diagonal values.
#[derive(Debug, Clone)]
enum Values {
    F64(Vec<f64>),
    Split { hi: Vec<f32>, lo: Vec<f32> },
}

/// A stored column index (`u16` or `u32`).
trait ColIndex: Copy + Send + Sync {
    fn at(self) -> usize;
}
impl ColIndex for u16 {
    #[inline(always)]
    fn at(self) -> usize {
        self as usize
    }
}
impl ColIndex for u32 {
    #[inline(always)]
    fn at(self) -> usize {
        self as usize
    }
}

/// Read access to stored value `t` as an `f64`: the values themselves, the
/// leading `f32` parts alone, or leading part plus remainder.
trait ValueSource: Copy + Send + Sync {
    fn at(self, t: usize) -> f64;
}
impl ValueSource for &[f64] {
    #[inline(always)]
    fn at(self, t: usize) -> f64 {
        self[t]
    }
}
/// The leading `f32` parts only.
#[derive(Clone, Copy)]
struct Hi<'a>(&'a [f32]);
impl ValueSource for Hi<'_> {
    #[inline(always)]
    fn at(self, t: usize) -> f64 {
        f64::from(self.0[t])
    }
}
/// Leading part plus remainder.
#[derive(Clone, Copy)]
struct HiLo<'a>(&'a [f32], &'a [f32]);
impl ValueSource for HiLo<'_> {
    #[inline(always)]
    fn at(self, t: usize) -> f64 {
        f64::from(self.0[t]) + f64::from(self.1[t])
    }
}

impl Cols {
    fn new(n: usize, cols: Vec<u32>) -> Self {
        if n <= U16_MAX_ORDER {
            Self::U16(cols.into_iter().map(|c| c as u16).collect())
        } else {
            Self::U32(cols)
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::U16(c) => c.len(),
            Self::U32(c) => c.len(),
        }
    }

    fn get(&self, t: usize) -> usize {
        match self {
            Self::U16(c) => c[t] as usize,
            Self::U32(c) => c[t] as usize,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Self::U16(_) => 2,
            Self::U32(_) => 4,
        }
    }
}

impl Values {
    /// Value `t` as the operator's own product reads it.
    fn get(&self, t: usize) -> f64 {
        match self {
            Self::F64(v) => v[t],
            Self::Split { hi, lo } => HiLo(hi, lo).at(t),
        }
    }
}

/// Which values a product reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// All the precision stored (`f64`, or `hi + lo`).
    Full,
    /// The leading `f32` parts only (the same as `Full` for `f64` values).
    Rounded,
}

/// A symmetric sparse matrix stored as its diagonal plus its strict upper
/// triangle (CSR rows), applied as `y = A x`.
///
/// Storing one triangle halves the bytes a product streams: each stored `a_ij`
/// is used for `y_i += a_ij x_j` and `y_j += a_ij x_i`. Column indices take 16
/// bits when the order is at most 65,536 (10 bytes per stored `f64` entry
/// instead of 12); values are `f64` or, with [`ValuePrecision::F32`], split
/// `f32` parts of which [`Self::rounded`] reads only the leading one. With
/// several threads, each takes a block of rows of equal non-zero count and
/// accumulates its `y_j` contributions in a private buffer that is summed at
/// the end.
#[derive(Debug)]
pub struct CsrOperator {
    n: usize,
    diag: Vec<f64>,
    offsets: Vec<usize>,
    cols: Cols,
    values: Values,
    /// Largest row sum of `|a_ij − hi_ij|` over both triangles (0 for `f64`).
    rounding_bound: f64,
    /// Largest row sum of `|a_ij − (hi_ij + lo_ij)|` over both triangles (0 for `f64`).
    split_bound: f64,
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
            cols: Cols::new(n, cols),
            values: Values::F64(vals),
            rounding_bound: 0.0,
            split_bound: 0.0,
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
        let precision = self.value_precision();
        let n = self.n;
        if n < 2 {
            return Ok(self);
        }
        // Full adjacency (both triangles) for the breadth-first search.
        let mut deg = vec![0usize; n];
        for i in 0..n {
            deg[i] += self.offsets[i + 1] - self.offsets[i];
            for t in self.offsets[i]..self.offsets[i + 1] {
                deg[self.cols.get(t)] += 1;
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
                let (j, v) = (self.cols.get(t), self.values.get(t));
                let c = j as u32;
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
        let mut cols = Vec::with_capacity(self.cols.len());
        let mut vals = Vec::with_capacity(self.cols.len());
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
        let split = self.split_bound;
        let mut out = Self::from_upper_parts(n, diag, offsets, cols, vals, threads, 0)?;
        out.perm = Some(order);
        if precision == ValuePrecision::F32 {
            // The values read back are hi + lo, within the split bound of the original
            // ones; splitting them again measures the new parts against hi + lo, so the
            // bounds against the original values add the old split bound.
            out = out.with_value_precision(ValuePrecision::F32)?;
            out.rounding_bound += split;
            out.split_bound += split;
        }
        Ok(out)
    }

    /// The same operator with its off-diagonal values held in `precision`.
    ///
    /// [`ValuePrecision::F32`] splits each value `a` into `hi = f32(a)` and
    /// `lo = f32(a − hi)`, and records the bounds [`Self::rounding_error_bound`]
    /// (of [`Self::rounded`]) and [`Self::split_error_bound`] (of this operator's own
    /// product). A value beyond `f32`'s range is an error. Asking for `F64` after `F32`
    /// joins the parts again (`hi + lo`, within the split bound of the original).
    pub fn with_value_precision(mut self, precision: ValuePrecision) -> Result<Self> {
        let values = std::mem::replace(&mut self.values, Values::F64(Vec::new()));
        self.values = match (values, precision) {
            (Values::F64(v), ValuePrecision::F32) => {
                if let Some(t) = v.iter().position(|a| a.abs() > f64::from(f32::MAX)) {
                    let row = self.offsets.partition_point(|&o| o <= t) - 1;
                    return Err(SpectralError::InvalidParameter {
                        name: "value precision",
                        reason: format!(
                            "the value {:e} at ({row}, {}) is beyond the range of f32",
                            v[t],
                            self.cols.get(t)
                        ),
                    });
                }
                let hi: Vec<f32> = v.iter().map(|&a| a as f32).collect();
                let lo: Vec<f32> = v
                    .iter()
                    .zip(&hi)
                    .map(|(&a, &h)| (a - f64::from(h)) as f32)
                    .collect();
                self.rounding_bound = self.row_error_bound(|t| (f64::from(hi[t]) - v[t]).abs());
                self.split_bound = self.row_error_bound(|t| (HiLo(&hi, &lo).at(t) - v[t]).abs());
                Values::Split { hi, lo }
            }
            (Values::Split { hi, lo }, ValuePrecision::F64) => {
                let joined = (0..hi.len()).map(|t| HiLo(&hi, &lo).at(t)).collect();
                self.rounding_bound = self.split_bound;
                Values::F64(joined)
            }
            (same, _) => same,
        };
        Ok(self)
    }

    /// The largest row sum of `err(t)` over both triangles, `t` running over the
    /// stored entries (a bound on the 1-, ∞- and so 2-norm of a symmetric error).
    fn row_error_bound(&self, err: impl Fn(usize) -> f64) -> f64 {
        let mut rows = vec![0.0f64; self.n];
        for i in 0..self.n {
            for t in self.offsets[i]..self.offsets[i + 1] {
                let e = err(t);
                rows[i] += e;
                rows[self.cols.get(t)] += e;
            }
        }
        // The sums above are rounded themselves; the relative slack covers that.
        rows.iter().copied().fold(0.0, f64::max) * (1.0 + 1e-12)
    }

    /// How the stored off-diagonal values are held.
    pub fn value_precision(&self) -> ValuePrecision {
        match self.values {
            Values::F64(_) => ValuePrecision::F64,
            Values::Split { .. } => ValuePrecision::F32,
        }
    }

    /// A bound on `‖Ã − A‖₂`, `Ã` the matrix [`Self::rounded`] applies and `A` the
    /// one this operator was built from: the largest row sum of the absolute
    /// rounding errors of the leading `f32` parts (over both triangles); 0 for `f64`
    /// values.
    pub fn rounding_error_bound(&self) -> f64 {
        self.rounding_bound
    }

    /// The same bound for this operator's own product (`hi + lo`): at most `2⁻⁴⁷`
    /// times the largest absolute row sum; 0 for `f64` values.
    pub fn split_error_bound(&self) -> f64 {
        self.split_bound
    }

    /// The largest absolute row sum of the stored off-diagonal part plus the
    /// diagonal entry: a bound on `‖A‖₂`.
    pub fn abs_row_sum_bound(&self) -> f64 {
        let mut rows: Vec<f64> = self.diag.iter().map(|d| d.abs()).collect();
        for i in 0..self.n {
            for t in self.offsets[i]..self.offsets[i + 1] {
                let a = self.values.get(t).abs();
                rows[i] += a;
                rows[self.cols.get(t)] += a;
            }
        }
        rows.iter().copied().fold(0.0, f64::max)
    }

    /// The largest `|a_ii|`: a lower bound on `‖A‖₂`.
    pub fn diagonal_abs_max(&self) -> f64 {
        self.diag.iter().fold(0.0f64, |m, d| m.max(d.abs()))
    }

    /// Bytes a [`Self::rounded`] product streams for the stored upper triangle
    /// (column indices and the values it reads; diagonal, offsets and vectors not
    /// counted).
    pub fn stored_bytes(&self) -> usize {
        let value = match self.values {
            Values::F64(_) => 8,
            Values::Split { .. } => 4,
        };
        self.cols.len() * (self.cols.bytes() + value)
    }

    /// This operator with the products of the leading `f32` parts only: the matrix
    /// within [`Self::rounding_error_bound`] of this one, 6 bytes per stored entry
    /// instead of 10. For `f64` values it is this operator's own product.
    pub fn rounded(&self) -> RoundedOperator<'_> {
        RoundedOperator(self)
    }

    /// Stored off-diagonal non-zeros (one triangle).
    pub fn nnz_upper(&self) -> usize {
        self.cols.len()
    }

    /// Rows `rows` of `B` interleaved vectors: `y_i += d_i x_i + Σ_{j>i} a_ij x_j`
    /// into `y_rows` (rows indexed from `rows.start`) and `t_j += a_ij x_i` (with
    /// `in_place`, the last row block, every `j > i` lies inside `y_rows` and `t` is
    /// `y_rows` itself).
    #[allow(clippy::too_many_arguments)]
    fn rows<const B: usize, C: ColIndex, V: ValueSource>(
        &self,
        cols: &[C],
        vals: V,
        rows: std::ops::Range<usize>,
        x: &[f64],
        y_rows: &mut [f64],
        t: Option<&mut [f64]>,
    ) {
        let first = rows.start;
        match t {
            Some(t) => {
                for i in rows {
                    let s = self.row::<B, C, V>(cols, vals, i, x, t, 0);
                    for l in 0..B {
                        y_rows[(i - first) * B + l] += s[l];
                    }
                }
            }
            None => {
                for i in rows {
                    let s = self.row::<B, C, V>(cols, vals, i, x, y_rows, first);
                    for l in 0..B {
                        y_rows[(i - first) * B + l] += s[l];
                    }
                }
            }
        }
    }

    /// Row `i` of `B` interleaved vectors: returns `d_i x_i + Σ_{j>i} a_ij x_j` and adds
    /// `a_ij x_i` into `t` at row `j − offset`.
    #[inline(always)]
    fn row<const B: usize, C: ColIndex, V: ValueSource>(
        &self,
        cols: &[C],
        vals: V,
        i: usize,
        x: &[f64],
        t: &mut [f64],
        offset: usize,
    ) -> [f64; B] {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        let d = self.diag[i];
        if B == 1 {
            let xi = x[i];
            let s = row_product(cols, vals, a, b, x, xi, |j, w| t[j - offset] += w);
            return [d * xi + s; B];
        }
        let xi: [f64; B] = std::array::from_fn(|l| x[i * B + l]);
        let mut acc: [f64; B] = std::array::from_fn(|l| d * xi[l]);
        for (t_idx, c) in (a..b).zip(&cols[a..b]) {
            let (j, v) = (c.at(), vals.at(t_idx));
            let xj = &x[j * B..j * B + B];
            let tj = &mut t[(j - offset) * B..(j - offset) * B + B];
            for l in 0..B {
                acc[l] += v * xj[l];
                tj[l] += v * xi[l];
            }
        }
        acc
    }
}

/// [`CsrOperator::rounded`]: the product of the leading `f32` parts of the values.
#[derive(Debug, Clone, Copy)]
pub struct RoundedOperator<'a>(&'a CsrOperator);

impl RoundedOperator<'_> {
    /// [`CsrOperator::rounding_error_bound`] of the operator viewed.
    pub fn rounding_error_bound(&self) -> f64 {
        self.0.rounding_bound
    }
}

impl SymmetricOperator for RoundedOperator<'_> {
    fn dim(&self) -> usize {
        self.0.n
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        self.0.apply_mode(x, y, Mode::Rounded);
    }

    fn apply_block(&self, x: &[f64], y: &mut [f64], b: usize) {
        self.0.apply_block_mode(x, y, b, Mode::Rounded);
    }
}

/// Entries `a..b` of one stored row `i` of the upper triangle: returns
/// `Σ_j a_ij x_j` and calls `scatter(j, a_ij x_i)` for each entry (the mirrored
/// lower-triangle contribution). The sum runs in four interleaved partial
/// sums, so that consecutive additions do not wait on each other's latency
/// (one chain was the bound of the product: about four cycles per stored
/// entry); the scattered updates touch distinct `j` and need no such care.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn row_product<C: ColIndex, V: ValueSource>(
    cols: &[C],
    vals: V,
    a: usize,
    b: usize,
    x: &[f64],
    xi: f64,
    mut scatter: impl FnMut(usize, f64),
) -> f64 {
    let mut acc = [0.0f64; 4];
    let row = &cols[a..b];
    let c4 = row.chunks_exact(4);
    let rest = c4.remainder();
    let mut t = a;
    for c in c4 {
        for l in 0..4 {
            let (j, v) = (c[l].at(), vals.at(t + l));
            acc[l] += v * x[j];
            scatter(j, v * xi);
        }
        t += 4;
    }
    for &c in rest {
        let (j, v) = (c.at(), vals.at(t));
        acc[0] += v * x[j];
        scatter(j, v * xi);
        t += 1;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

impl SymmetricOperator for CsrOperator {
    fn dim(&self) -> usize {
        self.n
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        self.apply_mode(x, y, Mode::Full);
    }

    fn apply_block(&self, x: &[f64], y: &mut [f64], b: usize) {
        self.apply_block_mode(x, y, b, Mode::Full);
    }
}

impl CsrOperator {
    fn apply_mode(&self, x: &[f64], y: &mut [f64], mode: Mode) {
        assert_eq!(x.len(), self.n, "operator input length");
        assert_eq!(y.len(), self.n, "operator output length");
        match &self.perm {
            None => self.apply_internal(x, y, mode),
            Some(p) => {
                let mut guard = self.permuted.lock().unwrap_or_else(|e| e.into_inner());
                let (xp, yp) = &mut *guard;
                xp.clear();
                xp.extend(p.iter().map(|&o| x[o as usize]));
                yp.resize(self.n, 0.0);
                self.apply_internal(xp, yp, mode);
                for (r, &o) in p.iter().enumerate() {
                    y[o as usize] = yp[r];
                }
            }
        }
    }

    fn apply_internal(&self, x: &[f64], y: &mut [f64], mode: Mode) {
        self.dispatch::<1>(x, y, mode);
    }

    /// `Y = A X` for `b` interleaved vectors in `mode`: one pass over the entries for
    /// blocks of 2, 4 or 8 (the lane counts compiled), vector by vector otherwise.
    fn apply_block_mode(&self, x: &[f64], y: &mut [f64], b: usize, mode: Mode) {
        let n = self.n;
        assert_eq!(x.len(), n * b, "operator block input length");
        assert_eq!(y.len(), n * b, "operator block output length");
        let mut permuted = |run: &dyn Fn(&[f64], &mut [f64])| match &self.perm {
            None => run(x, y),
            Some(p) => {
                let mut xp = vec![0.0; n * b];
                let mut yp = vec![0.0; n * b];
                for (r, &o) in p.iter().enumerate() {
                    let o = o as usize;
                    xp[r * b..(r + 1) * b].copy_from_slice(&x[o * b..(o + 1) * b]);
                }
                run(&xp, &mut yp);
                for (r, &o) in p.iter().enumerate() {
                    let o = o as usize;
                    y[o * b..(o + 1) * b].copy_from_slice(&yp[r * b..(r + 1) * b]);
                }
            }
        };
        match b {
            1 => permuted(&|x, y| self.dispatch::<1>(x, y, mode)),
            2 => permuted(&|x, y| self.dispatch::<2>(x, y, mode)),
            4 => permuted(&|x, y| self.dispatch::<4>(x, y, mode)),
            8 => permuted(&|x, y| self.dispatch::<8>(x, y, mode)),
            _ => apply_each_vector(n, x, y, b, |xc, yc| self.apply_mode(xc, yc, mode)),
        }
    }

    fn dispatch<const B: usize>(&self, x: &[f64], y: &mut [f64], mode: Mode) {
        macro_rules! with_values {
            ($cols:expr) => {
                match (&self.values, mode) {
                    (Values::F64(v), _) => self.apply_typed::<B, _, _>($cols, v.as_slice(), x, y),
                    (Values::Split { hi, .. }, Mode::Rounded) => {
                        self.apply_typed::<B, _, _>($cols, Hi(hi), x, y)
                    }
                    (Values::Split { hi, lo }, Mode::Full) => {
                        self.apply_typed::<B, _, _>($cols, HiLo(hi, lo), x, y)
                    }
                }
            };
        }
        match &self.cols {
            Cols::U16(c) => with_values!(c.as_slice()),
            Cols::U32(c) => with_values!(c.as_slice()),
        }
    }

    fn apply_typed<const B: usize, C: ColIndex, V: ValueSource>(
        &self,
        cols: &[C],
        vals: V,
        x: &[f64],
        y: &mut [f64],
    ) {
        let nb = self.blocks.len() - 1;
        y.fill(0.0);
        if nb == 1 {
            self.rows::<B, C, V>(cols, vals, 0..self.n, x, y, None);
            return;
        }
        let mut guard = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        let scratch: &mut Vec<Vec<f64>> = &mut guard;
        for t in scratch.iter_mut() {
            t.resize(self.n * B, 0.0);
        }
        let mut parts: Vec<&mut [f64]> = Vec::with_capacity(nb);
        let mut rest = &mut y[..];
        for b in 0..nb {
            let (head, tail) = rest.split_at_mut((self.blocks[b + 1] - self.blocks[b]) * B);
            parts.push(head);
            rest = tail;
        }
        let last = parts.pop().unwrap_or_default();
        rayon::join(
            || self.rows::<B, C, V>(cols, vals, self.blocks[nb - 1]..self.n, x, last, None),
            || {
                parts
                    .into_par_iter()
                    .zip(scratch.par_iter_mut())
                    .enumerate()
                    .for_each(|(b, (yp, t))| {
                        let rows = self.blocks[b]..self.blocks[b + 1];
                        t[rows.start * B..].fill(0.0);
                        self.rows::<B, C, V>(cols, vals, rows, x, yp, Some(t));
                    })
            },
        );
        // y_j += buf_b[j] for every buffered block that starts at or before j.
        let chunk = self.n.div_ceil(nb * 4).max(1);
        y.par_chunks_mut(chunk * B).enumerate().for_each(|(c, yc)| {
            let start = c * chunk;
            let rows = yc.len() / B;
            for (b, t) in scratch.iter().enumerate() {
                let from = self.blocks[b].max(start);
                for j in from..start + rows {
                    for l in 0..B {
                        yc[(j - start) * B + l] += t[j * B + l];
                    }
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
impl CsrOperator {
    /// The stored upper triangle's columns and values (as `u32` and `f64`).
    fn upper_entries(&self) -> (Vec<u32>, Vec<f64>) {
        (0..self.cols.len())
            .map(|t| (self.cols.get(t) as u32, self.values.get(t)))
            .unzip()
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
            let op = on_threads(&base, threads);
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

    /// `base`'s matrix as an operator split over `threads` row blocks, however small.
    fn on_threads(base: &CsrOperator, threads: usize) -> CsrOperator {
        let (cols, vals) = base.upper_entries();
        CsrOperator::from_upper_parts(
            base.n,
            base.diag.clone(),
            base.offsets.clone(),
            cols,
            vals,
            threads,
            0,
        )
        .unwrap()
    }

    /// A random symmetric matrix with about 5 % non-zeros and values of mixed magnitude.
    fn random_symmetric(n: usize, seed: u64) -> DMatrix<f64> {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut d = DMatrix::<f64>::zeros(n, n);
        for i in 0..n {
            d[(i, i)] = next();
            for j in i + 1..n {
                if next() < 0.05 {
                    let v = (next() - 0.5) * 10f64.powi((next() * 6.0) as i32 - 3);
                    d[(i, j)] = v;
                    d[(j, i)] = v;
                }
            }
        }
        d
    }

    #[test]
    fn sixteen_and_thirty_two_bit_columns_give_the_same_product() {
        let n = 300;
        let d = random_symmetric(n, 7);
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.61).cos()).collect();
        for threads in [1, 3] {
            let base = CsrOperator::from_dense(&d, 1).unwrap();
            let narrow = on_threads(&base, threads);
            assert!(matches!(narrow.cols, Cols::U16(_)));
            let mut wide = on_threads(&base, threads);
            wide.cols = Cols::U32(base.upper_entries().0);
            let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
            narrow.apply(&x, &mut a);
            wide.apply(&x, &mut b);
            assert_eq!(a, b, "{threads} threads");
            assert_eq!(narrow.stored_bytes() * 12, wide.stored_bytes() * 10);
        }
    }

    #[test]
    fn the_column_width_follows_the_order() {
        // Path graphs of order 65,536 (last column 65,535: 16 bits) and 65,537.
        for (n, wide) in [(65_536usize, false), (65_537, true)] {
            let mut coo = nalgebra_sparse::CooMatrix::new(n, n);
            for i in 0..n {
                coo.push(i, i, 2.0);
                if i + 1 < n {
                    coo.push(i, i + 1, -1.0);
                    coo.push(i + 1, i, -1.0);
                }
            }
            let op = CsrOperator::new(&CsrMatrix::from(&coo), 2).unwrap();
            assert_eq!(matches!(op.cols, Cols::U32(_)), wide, "n = {n}");
            let x: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
            let mut y = vec![0.0; n];
            op.apply(&x, &mut y);
            for i in [0, 1, n / 2, n - 2, n - 1] {
                let left = if i > 0 { x[i - 1] } else { 0.0 };
                let right = if i + 1 < n { x[i + 1] } else { 0.0 };
                assert_eq!(y[i], 2.0 * x[i] - left - right, "n = {n}, row {i}");
            }
        }
    }

    /// The matrix an operator applies, column by column (products with `e_j`).
    fn applied(op: &dyn SymmetricOperator) -> DMatrix<f64> {
        let n = op.dim();
        let mut m = DMatrix::<f64>::zeros(n, n);
        let mut e = vec![0.0; n];
        let mut col = vec![0.0; n];
        for j in 0..n {
            e.fill(0.0);
            e[j] = 1.0;
            op.apply(&e, &mut col);
            m.column_mut(j).copy_from_slice(&col);
        }
        m
    }

    fn inf_norm(m: &DMatrix<f64>) -> f64 {
        m.row_iter()
            .map(|r| r.iter().map(|v| v.abs()).sum::<f64>())
            .fold(0.0, f64::max)
    }

    #[test]
    fn split_values_stay_within_their_certified_bounds() {
        let n = 257;
        let d = random_symmetric(n, 11);
        let exact = CsrOperator::from_dense(&d, 1).unwrap();
        assert_eq!(exact.rounding_error_bound(), 0.0);
        assert_eq!(exact.value_precision(), ValuePrecision::F64);
        let split = CsrOperator::from_dense(&d, 1)
            .unwrap()
            .with_value_precision(ValuePrecision::F32)
            .unwrap();
        assert_eq!(split.value_precision(), ValuePrecision::F32);
        assert_eq!(split.stored_bytes() * 10, exact.stored_bytes() * 6);
        let abs_row = inf_norm(&d.abs());
        assert!((split.abs_row_sum_bound() - abs_row).abs() <= 1e-12 * abs_row);

        // The rounded product: a symmetric matrix within the certified bound, and the
        // bound is f32 rounding, not a loose constant.
        let rounded = applied(&split.rounded());
        assert_eq!(rounded, rounded.transpose());
        let err = inf_norm(&(&rounded - &d));
        let bound = split.rounding_error_bound();
        assert_eq!(split.rounded().rounding_error_bound(), bound);
        assert!(err > 0.0 && err <= bound, "{err} vs {bound}");
        assert!(
            bound <= abs_row * f64::from(f32::EPSILON),
            "{bound} vs {abs_row}"
        );

        // The operator's own product reads hi + lo: within 2^-47 of the values.
        let full = applied(&split);
        let err = inf_norm(&(&full - &d));
        let split_bound = split.split_error_bound();
        assert!(err <= split_bound, "{err} vs {split_bound}");
        assert!(split_bound <= abs_row * 2f64.powi(-47), "{split_bound}");

        // An f64 operator's rounded view is itself.
        assert_eq!(applied(&exact.rounded()), applied(&exact));

        // Reordering keeps the precision and the bounds, and the same matrices.
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.23).sin()).collect();
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        split.rounded().apply(&x, &mut a);
        let re = split.reordered().unwrap();
        assert_eq!(re.value_precision(), ValuePrecision::F32);
        assert!(re.rounding_error_bound() >= bound);
        assert!(re.rounding_error_bound() <= bound * (1.0 + 1e-6));
        re.rounded().apply(&x, &mut b);
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() <= 1e-12 * abs_row);
        }
        assert!(inf_norm(&(&applied(&re) - &d)) <= re.split_error_bound());
        // Joining the parts again gives an f64 operator within the split bound.
        let joined = re.with_value_precision(ValuePrecision::F64).unwrap();
        assert_eq!(joined.value_precision(), ValuePrecision::F64);
        assert!(inf_norm(&(&applied(&joined) - &d)) <= joined.rounding_error_bound());
    }

    /// Block products (2, 4, 8 lanes, and 3 by the fallback) equal the single products
    /// vector by vector, on 1–3 threads, reordered or not, full and rounded.
    #[test]
    fn block_products_equal_the_single_products() {
        let n = 301;
        let d = random_symmetric(n, 5);
        let base = CsrOperator::from_dense(&d, 1).unwrap();
        for threads in 1..=3 {
            let op = on_threads(&base, threads)
                .with_value_precision(ValuePrecision::F32)
                .unwrap();
            let re = CsrOperator::from_dense(&d, threads)
                .unwrap()
                .reordered()
                .unwrap();
            for b in [1usize, 2, 3, 4, 8] {
                let x: Vec<f64> = (0..n * b)
                    .map(|t| ((t * 7 % 13) as f64 - 6.0) * 0.1)
                    .collect();
                let ops: [&dyn SymmetricOperator; 3] = [&op, &op.rounded(), &re];
                for (which, o) in ops.into_iter().enumerate() {
                    let mut y = vec![f64::NAN; n * b];
                    o.apply_block(&x, &mut y, b);
                    let (mut xc, mut yc) = (vec![0.0; n], vec![0.0; n]);
                    for l in 0..b {
                        for i in 0..n {
                            xc[i] = x[i * b + l];
                        }
                        o.apply(&xc, &mut yc);
                        for i in 0..n {
                            let got = y[i * b + l];
                            assert!(
                                (got - yc[i]).abs() <= 1e-13 * (1.0 + yc[i].abs()),
                                "threads {threads}, b {b}, operator {which}, ({i}, {l}): {got} vs {}",
                                yc[i]
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn values_beyond_f32_are_refused() {
        let mut d = DMatrix::<f64>::identity(3, 3);
        d[(0, 2)] = 1e300;
        d[(2, 0)] = 1e300;
        let err = CsrOperator::from_dense(&d, 1)
            .unwrap()
            .with_value_precision(ValuePrecision::F32)
            .unwrap_err();
        assert!(
            matches!(&err, SpectralError::InvalidParameter { reason, .. } if reason.contains("(0, 2)")),
            "{err}"
        );
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
