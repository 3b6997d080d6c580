//! Thick-restart Lanczos (the symmetric Krylov–Schur method) for a few
//! eigenpairs of a large symmetric operator.
//!
//! One restart cycle extends an orthonormal basis `V` (`n × m`) by Lanczos
//! steps `w = B v_j`, with full re-orthogonalisation (classical Gram–Schmidt,
//! applied twice), so that `B V = V H + β v_m e_mᵀ` with `H = Vᵀ B V`
//! symmetric. The Ritz pairs `(θ_i, V y_i)` of `H` have residual norms
//! `|β| |e_mᵀ y_i|`, read off without a product. The basis is then compressed
//! to the `p` best Ritz vectors plus `v_m` (Stewart's Krylov–Schur restart;
//! for symmetric `B` this is Wu and Simon's thick restart) and extended again.
//!
//! `B = A` for the largest eigenvalues and `B = −A` for the smallest; both
//! ends converge at the same rate since Krylov spaces are shift-invariant.
//! A pair counts as converged when its residual estimate is at most
//! `tol · ‖A‖`, with `‖A‖` estimated by the largest Ritz value magnitude
//! (ARPACK's test is relative to `|θ_i|`, which for a Laplacian's near-zero
//! eigenvalues would demand far more than a user asks). The returned
//! residuals are recomputed explicitly, `‖A v − λ v‖`.
//!
//! A single-vector Krylov space holds one direction per distinct eigenvalue
//! (in exact arithmetic). Copies of a repeated eigenvalue are found when the
//! basis breaks down (an invariant subspace was reached; the solver then
//! continues from a fresh random vector orthogonal to the basis), which is how
//! small disconnected graphs get the right multiplicity of 0. Copies that are
//! only nearly equal (a cluster of eigenvalues much narrower than its gap to
//! the rest, as tight clusters of points give) do not break the basis down:
//! every pair found converges, and the missing copies are simply absent. With
//! [`LanczosParams::verify`] (the default) the solver therefore looks again
//! after convergence, from a fresh random vector orthogonal to everything it
//! found, and solves once more in that complement whenever a smaller Ritz value
//! turns up there (see [`lanczos_with`]). The null space of a split graph is
//! best deflated exactly (`basis_graph::numerical_components_csr` and the
//! eigenmaps of [`crate::embedding`] do so).
//!
//! Known eigenvectors (the trivial vector of a Laplacian) can be deflated:
//! every basis vector is kept orthogonal to them, so the solver returns the
//! next `k` pairs exactly instead of approximating the trivial one.

use crate::dense::{EigenPairs, Which, symmetric_eigen_dense};
use crate::error::{Result, SpectralError};
use crate::operator::SymmetricOperator;
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Basis size of the missed-copy check's run (two cycles of it at most).
const CHECK_BASIS: usize = 12;

/// Problems at least this large use the rayon thread pool for the basis
/// products; smaller ones (batches) run on the calling thread.
const PARALLEL_MIN_N: usize = 8_192;

/// Parameters of [`lanczos`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LanczosParams {
    /// Number of eigenpairs.
    pub k: usize,
    /// Which end of the spectrum.
    pub which: Which,
    /// Convergence: residual `‖A v − λ v‖ ≤ tol · ‖A‖` for every returned pair.
    /// Values below `1e-14` are raised to it (rounding sets the floor).
    pub tol: f64,
    /// Restart cycles before giving up with [`SpectralError::NotConverged`].
    pub max_restarts: usize,
    /// Largest basis size `m`; 0 picks `max(2k + 1, 20)` (ARPACK's choice).
    pub krylov_dim: usize,
    /// Seed of the start vector (and of the vectors that replace a basis breakdown).
    pub seed: u64,
    /// Threads for large problems (0 = all cores of the current rayon pool).
    pub threads: usize,
    /// After convergence, look for eigenvalues the single-vector Krylov space missed (copies
    /// of a repeated or tightly clustered eigenvalue): a short run from a fresh random vector
    /// orthogonal to every pair found, and a further solve when it finds a smaller Ritz value
    /// than the k-th eigenvalue (see [`lanczos_with`]).
    pub verify: bool,
    /// Recompute each returned pair's residual with one product ([`PartialEigen::residuals`]);
    /// `false` returns the Lanczos estimates `|β eₘᵀ yᵢ|` instead, for a caller that
    /// re-scores the pairs itself.
    pub explicit_residuals: bool,
}

impl Default for LanczosParams {
    fn default() -> Self {
        Self {
            k: 10,
            which: Which::Smallest,
            tol: 1e-8,
            max_restarts: 1000,
            krylov_dim: 0,
            seed: 0,
            threads: 0,
            verify: true,
            explicit_residuals: true,
        }
    }
}

impl LanczosParams {
    /// Validates against an operator of order `n` with `deflated` known vectors.
    pub fn check(&self, n: usize, deflated: usize) -> Result<()> {
        if self.k == 0 {
            return Err(SpectralError::ZeroEigenvectors);
        }
        if self.k.saturating_add(deflated) > n {
            return Err(SpectralError::TooManyEigenvectors {
                requested: self.k.saturating_add(deflated),
                n,
            });
        }
        if !(self.tol >= 0.0 && self.tol < 1.0) {
            return Err(SpectralError::InvalidParameter {
                name: "tol",
                reason: format!("{} is not in [0, 1)", self.tol),
            });
        }
        if self.max_restarts == 0 {
            return Err(SpectralError::InvalidParameter {
                name: "max_restarts",
                reason: "must be at least 1".into(),
            });
        }
        if self.krylov_dim != 0 && self.krylov_dim <= self.k && self.krylov_dim < n - deflated {
            return Err(SpectralError::InvalidParameter {
                name: "krylov_dim",
                reason: format!(
                    "{} must exceed k = {} (or be 0 for automatic)",
                    self.krylov_dim, self.k
                ),
            });
        }
        Ok(())
    }

    /// The basis size used on a space of dimension `space`.
    pub(crate) fn basis_size(&self, space: usize) -> usize {
        let m = if self.krylov_dim == 0 {
            self.k.saturating_mul(2).saturating_add(1).max(20)
        } else {
            self.krylov_dim
        };
        m.min(space)
    }
}

/// Eigenpairs from [`lanczos`], with their residuals and the work it took.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialEigen {
    /// Eigenvalues, ascending for [`Which::Smallest`], descending for [`Which::Largest`].
    pub values: DVector<f64>,
    /// `n × k` orthonormal eigenvectors.
    pub vectors: DMatrix<f64>,
    /// `‖A v_i − λ_i v_i‖`, recomputed with one product per pair (or the Lanczos
    /// estimates, without [`LanczosParams::explicit_residuals`]).
    pub residuals: DVector<f64>,
    /// The estimate of `‖A‖` the tolerance was relative to.
    pub norm_estimate: f64,
    /// Restart cycles run.
    pub restarts: usize,
    /// Operator products, including the residual check.
    pub matvecs: usize,
}

impl PartialEigen {
    /// The largest residual norm.
    pub fn max_residual(&self) -> f64 {
        self.residuals.iter().copied().fold(0.0, f64::max)
    }
}

/// Reported after every restart cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LanczosProgress {
    /// Restart cycles done.
    pub restart: usize,
    /// Pairs that meet the tolerance.
    pub converged: usize,
    /// Pairs requested.
    pub requested: usize,
    /// Largest residual estimate among the requested pairs.
    pub max_residual: f64,
    /// Operator products so far.
    pub matvecs: usize,
}

/// Buffers of the solver, kept across calls of the same size (a trainer
/// solves one batch per iteration).
#[derive(Debug, Default, Clone)]
pub struct LanczosWorkspace {
    basis: Vec<f64>,
    restart: Vec<f64>,
    w: Vec<f64>,
    coeff: Vec<f64>,
    hcol: Vec<f64>,
    hcol_scratch: Vec<f64>,
}

fn col(v: &[f64], n: usize, j: usize) -> &[f64] {
    &v[j * n..(j + 1) * n]
}

/// `Σ x_i y_i` in eight interleaved partial sums (one running sum waits on
/// each addition's latency: about four cycles per entry instead of a fraction
/// of one).
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (x8, y8) = (x.chunks_exact(8), y.chunks_exact(8));
    let (x_rest, y_rest) = (x8.remainder(), y8.remainder());
    for (a, b) in x8.zip(y8) {
        for l in 0..8 {
            acc[l] += a[l] * b[l];
        }
    }
    for (a, b) in x_rest.iter().zip(y_rest) {
        acc[0] += a * b;
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

/// The three-term recurrence's own part of a Lanczos step, fused into two
/// passes over `w` (which holds `A v_j` on entry):
/// `w ← s·w − c·u` (`u = v_{j−1}`, `c = β_{j−1}` the coupling the previous step
/// produced; skipped when `u` is `None`), `α = vᵀ w` (`v = v_j`), `w ← w − α v`.
/// Returns `(α, ‖s·A v_j‖, ‖w‖)`: the product's norm is the reference of the
/// breakdown test, the last one the reference of the full pass's DGKS test.
///
/// Removing these two components first leaves the full re-orthogonalisation
/// only what rounding left along the rest of the basis, so its DGKS test
/// rarely asks for a second pass (it would always see the large α and β
/// drop otherwise).
fn local_step(w: &mut [f64], s: f64, u: Option<(&[f64], f64)>, v: &[f64]) -> (f64, f64, f64) {
    let mut prod = [0.0f64; 4];
    let mut alpha = [0.0f64; 4];
    let n = w.len();
    let head = n - n % 4;
    match u {
        Some((u, c)) => {
            for b in (0..head).step_by(4) {
                for l in 0..4 {
                    let a = s * w[b + l];
                    prod[l] += a * a;
                    let r = a - c * u[b + l];
                    w[b + l] = r;
                    alpha[l] += v[b + l] * r;
                }
            }
            for i in head..n {
                let a = s * w[i];
                prod[0] += a * a;
                let r = a - c * u[i];
                w[i] = r;
                alpha[0] += v[i] * r;
            }
        }
        None => {
            for b in (0..head).step_by(4) {
                for l in 0..4 {
                    let a = s * w[b + l];
                    prod[l] += a * a;
                    w[b + l] = a;
                    alpha[l] += v[b + l] * a;
                }
            }
            for i in head..n {
                let a = s * w[i];
                prod[0] += a * a;
                w[i] = a;
                alpha[0] += v[i] * a;
            }
        }
    }
    let sum = |x: [f64; 4]| (x[0] + x[1]) + (x[2] + x[3]);
    let alpha = sum(alpha);
    let mut rest = [0.0f64; 4];
    for b in (0..head).step_by(4) {
        for l in 0..4 {
            let r = w[b + l] - alpha * v[b + l];
            w[b + l] = r;
            rest[l] += r * r;
        }
    }
    for i in head..n {
        let r = w[i] - alpha * v[i];
        w[i] = r;
        rest[0] += r * r;
    }
    (alpha, sum(prod).sqrt(), sum(rest).sqrt())
}

/// `w ← w − Q (Qᵀ w)` (classical Gram–Schmidt), repeated once when the
/// first pass cancelled more than `1 − 1/√2` of `w`'s norm `before` (the DGKS
/// criterion: only then can rounding have left a visible component along `Q`).
/// The coefficients of both passes are added into `out[..Q.ncols()]` if given.
/// Returns `w`'s norm afterwards.
fn orthogonalize(
    q: MatRef<'_, f64>,
    w: &mut [f64],
    c1: &mut [f64],
    mut out: Option<&mut [f64]>,
    mut before: f64,
    par: Par,
) -> f64 {
    let cols = q.ncols();
    if cols == 0 {
        return before;
    }
    let n = w.len();
    let mut after = before;
    for _pass in 0..2 {
        let c: &mut [f64] = &mut c1[..cols];
        {
            let wr = MatRef::from_column_major_slice(&*w, n, 1);
            matmul(
                MatMut::from_column_major_slice_mut(c, cols, 1),
                Accum::Replace,
                q.transpose(),
                wr,
                1.0,
                par,
            );
        }
        let cr = MatRef::from_column_major_slice(&*c, cols, 1);
        matmul(
            MatMut::from_column_major_slice_mut(w, n, 1),
            Accum::Add,
            q,
            cr,
            -1.0,
            par,
        );
        if let Some(o) = out.as_deref_mut() {
            for (o, c) in o.iter_mut().zip(c.iter()) {
                *o += c;
            }
        }
        after = norm(w);
        if after > std::f64::consts::FRAC_1_SQRT_2 * before {
            break;
        }
        before = after;
    }
    after
}

/// `k` eigenpairs of a symmetric operator from one end of its spectrum.
pub fn lanczos(op: &dyn SymmetricOperator, params: &LanczosParams) -> Result<PartialEigen> {
    lanczos_with(
        &mut LanczosWorkspace::default(),
        op,
        params,
        None,
        &mut |_| {},
    )
}

/// [`lanczos`] with a reusable workspace, known eigenvectors to deflate
/// (`n × q`, orthonormal columns, each an eigenvector of `A` to the tolerance), and a
/// callback after every restart cycle.
///
/// Returns [`SpectralError::NotConverged`], carrying the best estimate, when
/// `max_restarts` cycles do not bring every pair within the tolerance.
///
/// **Missed copies.** With [`LanczosParams::verify`], a converged result is checked: a
/// run of at most two cycles of a 12-vector basis for one pair, from a fresh seeded vector, in the complement
/// of the deflated vectors and the k pairs found. Its smallest Ritz value (largest, for
/// [`Which::Largest`]) bounds the complement's extreme eigenvalue from the inside, so a
/// value beyond the k-th eigenvalue by more than the tolerance proves that a pair was
/// missed. Then the k pairs of that complement are solved for, the two sets merged and
/// the best k kept, and the check repeats (at most k times). When nothing was missed the
/// check costs one short run (on a 512-point batch, 0.46 ms beside a 3.3 ms solve); it can
/// miss a copy that so short a run does not reveal.
pub fn lanczos_with(
    ws: &mut LanczosWorkspace,
    op: &dyn SymmetricOperator,
    params: &LanczosParams,
    deflate: Option<&DMatrix<f64>>,
    progress: &mut dyn FnMut(&LanczosProgress),
) -> Result<PartialEigen> {
    let mut found = lanczos_core(ws, op, params, deflate, progress)?;
    if !params.verify {
        return Ok(found);
    }
    let n = op.dim();
    let q = deflate.map_or(0, |z| z.ncols());
    let k = params.k;
    let tol = params.tol.max(1e-14);
    let better = |a: f64, b: f64| match params.which {
        Which::Smallest => a < b,
        Which::Largest => a > b,
    };
    for round in 0..k {
        if q.saturating_add(k).saturating_add(1) >= n {
            break;
        }
        let mut z = DMatrix::zeros(n, q + k);
        if let Some(d) = deflate {
            z.columns_mut(0, q).copy_from(d);
        }
        z.columns_mut(q, k).copy_from(&found.vectors);
        let check = LanczosParams {
            k: 1,
            krylov_dim: CHECK_BASIS,
            max_restarts: 1,
            seed: params.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(round as u64 + 1)),
            verify: false,
            explicit_residuals: false,
            ..*params
        };
        let probe = match lanczos_core(ws, op, &check, Some(&z), &mut |_| {}) {
            Ok(r) => r,
            Err(SpectralError::NotConverged { best, .. }) => *best,
            Err(e) => return Err(e),
        };
        found.matvecs += probe.matvecs;
        found.restarts += probe.restarts + 1;
        let margin = tol * found.norm_estimate.max(probe.norm_estimate);
        let kth = found.values[k - 1];
        let shifted = match params.which {
            Which::Smallest => probe.values[0] + margin,
            Which::Largest => probe.values[0] - margin,
        };
        if !better(shifted, kth) {
            break;
        }
        let more = lanczos_core(
            ws,
            op,
            &LanczosParams {
                verify: false,
                ..*params
            },
            Some(&z),
            progress,
        )?;
        found = merge_best(found, more, k, &better);
    }
    Ok(found)
}

/// The best `k` pairs of two results (their vectors are mutually orthogonal), in order.
fn merge_best(
    a: PartialEigen,
    b: PartialEigen,
    k: usize,
    better: &dyn Fn(f64, f64) -> bool,
) -> PartialEigen {
    let mut order: Vec<(f64, usize, usize)> = (0..a.values.len())
        .map(|i| (a.values[i], 0, i))
        .chain((0..b.values.len()).map(|i| (b.values[i], 1, i)))
        .collect();
    order.sort_by(|x, y| {
        if better(x.0, y.0) {
            std::cmp::Ordering::Less
        } else if better(y.0, x.0) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    order.truncate(k);
    let n = a.vectors.nrows();
    let mut vectors = DMatrix::zeros(n, k);
    let mut values = DVector::zeros(k);
    let mut residuals = DVector::zeros(k);
    for (c, &(v, src, i)) in order.iter().enumerate() {
        let from = if src == 0 { &a } else { &b };
        vectors.set_column(c, &from.vectors.column(i));
        values[c] = v;
        residuals[c] = from.residuals[i];
    }
    PartialEigen {
        values,
        vectors,
        residuals,
        norm_estimate: a.norm_estimate.max(b.norm_estimate),
        restarts: a.restarts + b.restarts,
        matvecs: a.matvecs + b.matvecs,
    }
}

/// One thick-restart Lanczos solve, without the missed-copy check of [`lanczos_with`].
fn lanczos_core(
    ws: &mut LanczosWorkspace,
    op: &dyn SymmetricOperator,
    params: &LanczosParams,
    deflate: Option<&DMatrix<f64>>,
    progress: &mut dyn FnMut(&LanczosProgress),
) -> Result<PartialEigen> {
    let n = op.dim();
    let q = deflate.map_or(0, |z| z.ncols());
    if let Some(z) = deflate {
        if z.nrows() != n {
            return Err(SpectralError::InvalidParameter {
                name: "deflate",
                reason: format!("{} rows for an operator of order {n}", z.nrows()),
            });
        }
        if let Some(p) = z.iter().position(|v| !v.is_finite()) {
            return Err(SpectralError::NonFinite {
                row: p % n,
                col: p / n,
            });
        }
    }
    params.check(n, q)?;
    let k = params.k;
    let space = n - q;
    let m = params.basis_size(space);
    let tol = params.tol.max(1e-14);
    let sign = match params.which {
        Which::Largest => 1.0,
        Which::Smallest => -1.0,
    };
    let threads = if params.threads == 0 {
        rayon::current_num_threads()
    } else {
        params.threads
    };
    let par = if n >= PARALLEL_MIN_N && threads > 1 {
        Par::rayon(threads)
    } else {
        Par::Seq
    };
    // The basis buffer holds the deflated vectors first, then the Krylov basis
    // v_0..v_m: one pass of Gram–Schmidt covers both.
    let width = q + m + 1;
    ws.basis.resize(n * width, 0.0);
    if let Some(z) = deflate {
        ws.basis[..n * q].copy_from_slice(z.as_slice());
    }
    ws.w.resize(n, 0.0);
    ws.coeff.resize(width, 0.0);
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut matvecs = 0usize;
    let mut h = DMatrix::<f64>::zeros(m, m);

    // Start vector: uniform in [−1, 1]ⁿ, orthogonal to the deflated vectors.
    let start = fresh_vector(ws, &mut rng, q, n, par);
    if !start {
        return Err(SpectralError::SolverFailed(
            "no start vector outside the deflated space".into(),
        ));
    }
    ws.basis[q * n..(q + 1) * n].copy_from_slice(&ws.w);

    let mut p = 0usize; // columns whose products are already in `h`
    let mut beta = 0.0;
    // β of the previous step when v_j came from v_{j−1} by the recurrence (0 after a
    // restart, whose first step couples to every kept vector, and after a breakdown).
    let mut coupling = 0.0;
    let mut restarts = 0usize;
    // The last extension step reached an invariant subspace: its zero residuals
    // say nothing about directions the basis has not seen yet.
    let mut broke_down;
    loop {
        // Extend the basis from p to m vectors.
        broke_down = false;
        for j in p..m {
            let vj = q + j;
            {
                let (done, _) = ws.basis.split_at(n * (vj + 1));
                op.apply(col(done, n, vj), &mut ws.w);
            }
            matvecs += 1;
            ws.hcol.clear();
            ws.hcol.resize(j + 1, 0.0);
            let (product_norm, local_norm) = {
                let prev = (coupling != 0.0).then(|| (col(&ws.basis, n, vj - 1), coupling));
                let (alpha, product_norm, local_norm) =
                    local_step(&mut ws.w, sign, prev, col(&ws.basis, n, vj));
                ws.hcol[j] = alpha;
                if j > 0 {
                    ws.hcol[j - 1] = coupling;
                }
                (product_norm, local_norm)
            };
            // Full re-orthogonalisation against the deflated vectors and v_0..v_j in one
            // pass: the basis carries rounding-level components along the deflated
            // vectors, and since a deflated vector is often the most wanted direction
            // (the trivial eigenvector), any such component left in w would grow step
            // after step.
            let all = MatRef::from_column_major_slice(&ws.basis[..n * (vj + 1)], n, vj + 1);
            ws.coeff[..=vj].fill(0.0);
            let mut total = std::mem::take(&mut ws.coeff);
            let mut scratch = std::mem::take(&mut ws.hcol_scratch);
            scratch.resize(width, 0.0);
            beta = orthogonalize(
                all,
                &mut ws.w,
                &mut scratch,
                Some(&mut total),
                local_norm,
                par,
            );
            for (i, c) in total[q..=vj].iter().enumerate() {
                ws.hcol[i] += c;
            }
            ws.coeff = total;
            ws.hcol_scratch = scratch;
            for (i, &c) in ws.hcol.iter().enumerate() {
                h[(i, j)] = c;
                h[(j, i)] = c;
            }
            let next = vj + 1;
            if beta > 1e-10 * product_norm && beta > 0.0 {
                let inv = 1.0 / beta;
                let dst = &mut ws.basis[next * n..(next + 1) * n];
                for (d, s) in dst.iter_mut().zip(&ws.w) {
                    *d = s * inv;
                }
                coupling = beta;
            } else {
                // Invariant subspace: continue from a fresh direction (coupling 0).
                beta = 0.0;
                coupling = 0.0;
                let found = j + 1 < space && fresh_vector(ws, &mut rng, next, n, par);
                broke_down = found && j + 1 == m;
                let dst = &mut ws.basis[next * n..(next + 1) * n];
                if found {
                    dst.copy_from_slice(&ws.w);
                } else {
                    dst.fill(0.0);
                }
            }
        }

        // Rayleigh–Ritz on H.
        let ritz = symmetric_eigen_dense(&h, m, Which::Largest)?;
        let norm_est = ritz.values.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let estimates: Vec<f64> = (0..k)
            .map(|i| (beta * ritz.vectors[(m - 1, i)]).abs())
            .collect();
        let bound = tol * norm_est;
        let converged = estimates.iter().filter(|&&r| r <= bound).count();
        let max_est = estimates.iter().copied().fold(0.0, f64::max);
        progress(&LanczosProgress {
            restart: restarts,
            converged,
            requested: k,
            max_residual: max_est,
            matvecs,
        });
        let done = converged == k && !broke_down;
        let exhausted = restarts >= params.max_restarts;
        if done || exhausted || m == space {
            let explicit = params.explicit_residuals.then_some(op);
            let mut result = finish(ws, explicit, &ritz, beta, n, q, m, k, sign, par);
            if explicit.is_some() {
                matvecs += k;
            }
            result.norm_estimate = norm_est;
            result.restarts = restarts;
            result.matvecs = matvecs;
            // Pairs with zero residual after a final breakdown are exact, so they
            // are returned as converged if no restart is left to look further.
            if done || m == space || converged == k {
                return Ok(result);
            }
            return Err(SpectralError::NotConverged {
                requested: k,
                converged,
                max_residual: result.max_residual(),
                best: Box::new(result),
            });
        }
        restarts += 1;

        // Thick restart: keep the p best Ritz vectors, then v_m, written into the
        // second buffer (with the deflated vectors) which then becomes the basis.
        p = (k + (m - k) / 2).clamp(k, m - 1);
        ws.restart.resize(n * width, 0.0);
        ws.restart[..n * q].copy_from_slice(&ws.basis[..n * q]);
        {
            let v = MatRef::from_column_major_slice(&ws.basis[n * q..n * (q + m)], n, m);
            // The first p columns of the column-major m × m matrix are contiguous.
            let y = MatRef::from_column_major_slice(&ritz.vectors.as_slice()[..m * p], m, p);
            matmul(
                MatMut::from_column_major_slice_mut(&mut ws.restart[n * q..n * (q + p)], n, p),
                Accum::Replace,
                v,
                y,
                1.0,
                par,
            );
        }
        ws.restart[n * (q + p)..n * (q + p + 1)]
            .copy_from_slice(&ws.basis[n * (q + m)..n * (q + m + 1)]);
        std::mem::swap(&mut ws.basis, &mut ws.restart);
        coupling = 0.0;
        h.fill(0.0);
        for i in 0..p {
            h[(i, i)] = ritz.values[i];
        }
    }
}

/// Fills `ws.w` with a random unit vector orthogonal to the first `cols`
/// columns of the basis buffer (the deflated vectors, then the Krylov basis);
/// false if none survives.
fn fresh_vector(
    ws: &mut LanczosWorkspace,
    rng: &mut ChaCha8Rng,
    cols: usize,
    n: usize,
    par: Par,
) -> bool {
    for _ in 0..3 {
        for v in ws.w.iter_mut() {
            *v = rng.random_range(-1.0..1.0);
        }
        let before = norm(&ws.w);
        let after = if cols > 0 {
            let v = MatRef::from_column_major_slice(&ws.basis[..n * cols], n, cols);
            let first = orthogonalize(v, &mut ws.w, &mut ws.coeff, None, before, par);
            // Always a second pass: a random vector may lie almost inside the span.
            orthogonalize(v, &mut ws.w, &mut ws.coeff, None, first, par)
        } else {
            before
        };
        if after > 1e-8 * before {
            let inv = 1.0 / after;
            ws.w.iter_mut().for_each(|v| *v *= inv);
            return true;
        }
    }
    false
}

/// Ritz vectors `V Y[:, ..k]`, values, and explicit residuals.
#[allow(clippy::too_many_arguments)]
fn finish(
    ws: &mut LanczosWorkspace,
    op: Option<&dyn SymmetricOperator>,
    ritz: &EigenPairs,
    beta: f64,
    n: usize,
    q: usize,
    m: usize,
    k: usize,
    sign: f64,
    par: Par,
) -> PartialEigen {
    let mut vectors = DMatrix::<f64>::zeros(n, k);
    {
        let v = MatRef::from_column_major_slice(&ws.basis[n * q..n * (q + m)], n, m);
        let yf = MatRef::from_column_major_slice(&ritz.vectors.as_slice()[..m * k], m, k);
        matmul(
            MatMut::from_column_major_slice_mut(vectors.as_mut_slice(), n, k),
            Accum::Replace,
            v,
            yf,
            1.0,
            par,
        );
    }
    let values = DVector::from_fn(k, |i, _| sign * ritz.values[i]);
    let residuals = match op {
        None => DVector::from_fn(k, |i, _| (beta * ritz.vectors[(m - 1, i)]).abs()),
        Some(op) => {
            let products = apply_columns(op, &vectors);
            DVector::from_fn(k, |i, _| {
                residual_norm(
                    products.column(i).as_slice(),
                    vectors.column(i).as_slice(),
                    values[i],
                )
            })
        }
    };
    PartialEigen {
        values,
        vectors,
        residuals,
        norm_estimate: 0.0,
        restarts: 0,
        matvecs: 0,
    }
}

/// `‖A v − λ v‖` from the product `av = A v`.
pub(crate) fn residual_norm(av: &[f64], v: &[f64], lam: f64) -> f64 {
    av.iter()
        .zip(v)
        .map(|(a, x)| (a - lam * x).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// The Rayleigh quotient `λ = vᵀ A v` of a unit vector and its residual
/// `‖A v − λ v‖`, from the product `av = A v`.
pub(crate) fn rayleigh_residual(av: &[f64], v: &[f64]) -> (f64, f64) {
    let lam: f64 = av.iter().zip(v).map(|(a, b)| a * b).sum();
    (lam, residual_norm(av, v, lam))
}

/// Columns multiplied together by [`apply_columns`]: on a 60,000-node graph a
/// block of four costs about 1 ms per vector against 2–3 ms for one alone
/// (`docs/benchmarks.md`).
const PRODUCT_BLOCK: usize = 4;

/// `A V` for the columns of `v`, [`PRODUCT_BLOCK`] at a time through
/// [`SymmetricOperator::apply_block`].
pub(crate) fn apply_columns(op: &dyn SymmetricOperator, v: &DMatrix<f64>) -> DMatrix<f64> {
    let (n, k) = v.shape();
    let mut out = DMatrix::<f64>::zeros(n, k);
    let mut xb = Vec::new();
    let mut yb = Vec::new();
    let mut c = 0;
    while c < k {
        let b = PRODUCT_BLOCK.min(k - c);
        if b == 1 {
            op.apply(v.column(c).as_slice(), out.column_mut(c).as_mut_slice());
            c += 1;
            continue;
        }
        xb.resize(n * b, 0.0);
        yb.resize(n * b, 0.0);
        for l in 0..b {
            for (i, x) in v.column(c + l).iter().enumerate() {
                xb[i * b + l] = *x;
            }
        }
        op.apply_block(&xb, &mut yb, b);
        for l in 0..b {
            for (i, y) in out.column_mut(c + l).iter_mut().enumerate() {
                *y = yb[i * b + l];
            }
        }
        c += b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::{CsrOperator, DenseOperator};
    use nalgebra_sparse::{CooMatrix, CsrMatrix};
    use std::f64::consts::PI;

    #[test]
    fn interleaved_dot_equals_the_plain_sum_to_rounding() {
        // Every remainder of the eight-wide chunks, and the empty vector.
        for len in 0..40 {
            let x: Vec<f64> = (0..len).map(|i| (i as f64 * 0.71).sin()).collect();
            let y: Vec<f64> = (0..len).map(|i| (i as f64 * 1.3).cos() + 0.5).collect();
            let plain: f64 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
            let scale: f64 = x.iter().zip(&y).map(|(a, b)| (a * b).abs()).sum();
            assert!(
                (dot(&x, &y) - plain).abs() <= 1e-15 * scale.max(1.0),
                "{len}"
            );
            assert_eq!(norm(&x), dot(&x, &x).sqrt());
        }
        assert_eq!(dot(&[3.0; 17], &[2.0; 17]), 102.0);
    }

    fn path_laplacian_csr(n: usize) -> CsrMatrix<f64> {
        let mut coo = CooMatrix::new(n, n);
        for i in 0..n {
            let deg = if i == 0 || i == n - 1 { 1.0 } else { 2.0 };
            coo.push(i, i, deg);
            if i + 1 < n {
                coo.push(i, i + 1, -1.0);
                coo.push(i + 1, i, -1.0);
            }
        }
        CsrMatrix::from(&coo)
    }

    #[test]
    fn path_graph_smallest_and_largest_match_the_closed_form() {
        let n = 300;
        let op = CsrOperator::new(&path_laplacian_csr(n), 1).unwrap();
        let params = LanczosParams {
            k: 4,
            tol: 1e-10,
            ..Default::default()
        };
        let e = lanczos(&op, &params).unwrap();
        for j in 0..4 {
            let lam = 2.0 - 2.0 * (PI * j as f64 / n as f64).cos();
            assert!(
                (e.values[j] - lam).abs() < 1e-9,
                "λ_{j}: {} vs {lam}",
                e.values[j]
            );
        }
        assert!(e.max_residual() <= 1e-10 * e.norm_estimate * 1.01);
        let big = lanczos(
            &op,
            &LanczosParams {
                which: Which::Largest,
                ..params
            },
        )
        .unwrap();
        for j in 0..4 {
            let lam = 2.0 - 2.0 * (PI * (n - 1 - j) as f64 / n as f64).cos();
            assert!((big.values[j] - lam).abs() < 1e-9);
        }
        let g = e.vectors.transpose() * &e.vectors;
        assert!((g - DMatrix::identity(4, 4)).abs().max() < 1e-10);
    }

    #[test]
    fn one_restart_is_not_enough_and_the_error_carries_the_estimate() {
        let n = 400;
        let op = CsrOperator::new(&path_laplacian_csr(n), 1).unwrap();
        let r = lanczos(
            &op,
            &LanczosParams {
                k: 5,
                max_restarts: 1,
                ..Default::default()
            },
        );
        match r {
            Err(SpectralError::NotConverged {
                requested,
                converged,
                max_residual,
                best,
            }) => {
                assert_eq!(requested, 5);
                assert!(converged < 5);
                assert_eq!(best.vectors.shape(), (n, 5));
                assert_eq!(max_residual, best.max_residual());
                assert!(max_residual > 1e-8 * best.norm_estimate);
            }
            other => panic!("expected NotConverged, got {other:?}"),
        }
    }

    #[test]
    fn deflating_the_constant_vector_returns_the_next_pairs() {
        let n = 120;
        let op = CsrOperator::new(&path_laplacian_csr(n), 1).unwrap();
        let z = DMatrix::from_element(n, 1, 1.0 / (n as f64).sqrt());
        let e = lanczos_with(
            &mut LanczosWorkspace::default(),
            &op,
            &LanczosParams {
                k: 3,
                tol: 1e-10,
                ..Default::default()
            },
            Some(&z),
            &mut |_| {},
        )
        .unwrap();
        for j in 0..3 {
            let lam = 2.0 - 2.0 * (PI * (j + 1) as f64 / n as f64).cos();
            assert!((e.values[j] - lam).abs() < 1e-9);
            assert!(e.vectors.column(j).sum().abs() < 1e-9);
        }
    }

    #[test]
    fn small_problems_and_breakdown_find_repeated_eigenvalues() {
        // Two disjoint triangles plus a disjoint edge: λ = 0 three times.
        let n = 8;
        let mut w = DMatrix::<f64>::zeros(n, n);
        for (a, b) in [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5), (6, 7)] {
            w[(a, b)] = 1.0;
            w[(b, a)] = 1.0;
        }
        let l = DMatrix::from_diagonal(&w.row_sum().transpose()) - &w;
        let op = DenseOperator::new(&l).unwrap();
        for krylov_dim in [0, 5] {
            let e = lanczos(
                &op,
                &LanczosParams {
                    k: 4,
                    krylov_dim,
                    ..Default::default()
                },
            )
            .unwrap();
            assert!(e.values.rows(0, 3).abs().max() < 1e-10, "{:?}", e.values);
            assert!(e.values[3] > 1.0);
        }
    }

    #[test]
    fn bad_parameters_are_typed() {
        let op = CsrOperator::new(&path_laplacian_csr(10), 1).unwrap();
        let base = LanczosParams::default();
        for (p, name) in [
            (LanczosParams { tol: -1.0, ..base }, "tol"),
            (
                LanczosParams {
                    tol: f64::NAN,
                    ..base
                },
                "tol",
            ),
            (
                LanczosParams {
                    max_restarts: 0,
                    ..base
                },
                "max_restarts",
            ),
            (
                LanczosParams {
                    k: 3,
                    krylov_dim: 3,
                    ..base
                },
                "krylov_dim",
            ),
        ] {
            match lanczos(&op, &LanczosParams { k: p.k.min(3), ..p }) {
                Err(SpectralError::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert_eq!(
            lanczos(&op, &LanczosParams { k: 11, ..base }),
            Err(SpectralError::TooManyEigenvectors {
                requested: 11,
                n: 10
            })
        );
        assert_eq!(
            lanczos(&op, &LanczosParams { k: 0, ..base }),
            Err(SpectralError::ZeroEigenvectors)
        );
    }
}
