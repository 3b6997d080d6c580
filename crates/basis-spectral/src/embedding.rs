//! Laplacian eigenmaps (BASiS Eq. 3 with `L` of Eq. 2 or `L_N` of Eq. 4):
//! of a batch graph (dense, [`laplacian_eigenmap`] and the per-iteration
//! [`BatchEmbedder`]) and of a whole dataset graph (sparse,
//! [`laplacian_eigenmap_csr`] and the features-to-coordinates pipeline
//! [`analytic_embedding`]).
//!
//! **Which solver.** [`EigenMethod::Auto`] uses thick-restart Lanczos
//! ([`mod@crate::lanczos`]) on the graph's non-zeros whenever the Krylov basis is
//! smaller than the graph, and faer's full dense decomposition otherwise. On a
//! disconnected graph the zero eigenvalue is repeated, which a single-vector
//! Krylov method cannot be trusted to find every copy of; every path therefore
//! deflates the exact null space (the trivial vector restricted to each component,
//! components as floating point sees them: [`basis_graph::numerical_components_csr`])
//! and lets Lanczos solve only for the rest, so a split graph, batch or whole, is
//! no reason for the dense solver (which would need n² memory). On a
//! 512-point 50-NN batch, 11 eigenpairs take 2.4 ms with Lanczos against
//! 29 ms for the full decomposition (`docs/benchmarks.md`).
//!
//! **Trivial vector.** With `drop_trivial`, the known trivial eigenvector
//! (constant for `L`, `D^{1/2} 1` for `L_N`) is deflated: Lanczos works in its
//! orthogonal complement and returns the next K pairs; the dense path
//! projects it out of the K+1 smallest and restores eigen-order by a
//! Rayleigh–Ritz step. Both stay well defined when the smallest eigenvalues
//! are nearly degenerate (weakly connected clusters), where "drop the first
//! column" would depend on the solver's arbitrary rotation.
//!
//! **Signs.** Every returned eigenvector follows [`canonicalize_signs`]: its
//! entry of largest magnitude is positive. Two runs, or two solvers, give the
//! same signs for simple eigenvalues; inside a repeated eigenvalue the basis
//! itself is arbitrary.

use crate::dense::{EigenPairs, Which, canonicalize_signs, symmetric_eigen_dense};
use crate::error::{Result, SpectralError};
use crate::lanczos::{
    LanczosParams, LanczosProgress, LanczosWorkspace, PartialEigen, lanczos_with,
    rayleigh_residual, residual_norm,
};
use crate::operator::{CsrOperator, SymmetricOperator, ValuePrecision};
use crate::progress::SolveProgress;
use basis_graph::{
    BatchGraph, BatchGraphBuilder, BatchGraphParams, GraphError, LaplacianKind, SparseBatchGraph,
    bridge_edges, components_csr, degrees_csr, knn_affinity, knn_exact, numerical_components_csr,
    numerical_components_dense, trivial_eigenvector,
};
use nalgebra::{DMatrix, DVector};
use nalgebra_sparse::CsrMatrix;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Which eigensolver an embedding uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EigenMethod {
    /// Lanczos when the graph is larger than twice its Krylov basis, dense otherwise.
    #[default]
    Auto,
    /// faer's full symmetric decomposition (needs the dense matrix; O(n³)).
    Dense,
    /// Thick-restart Lanczos on the graph's non-zeros.
    Lanczos,
}

/// Settings of the eigensolver behind an embedding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SolverParams {
    /// Which solver.
    pub method: EigenMethod,
    /// Lanczos tolerance: `‖A v − λ v‖ ≤ tol · ‖A‖` for every pair.
    pub tol: f64,
    /// Lanczos restart cycles before [`SpectralError::NotConverged`].
    pub max_restarts: usize,
    /// Lanczos basis size (0 = `max(2K + 1, 20)`).
    pub krylov_dim: usize,
    /// Seed of the Lanczos start vector.
    pub seed: u64,
    /// Threads for large graphs (0 = all cores).
    pub threads: usize,
    /// Look for eigenvalues Lanczos missed after it converged ([`LanczosParams::verify`]).
    pub verify: bool,
    /// How the sparse Laplacian eigenmaps ([`laplacian_eigenmap_csr`],
    /// [`analytic_embedding`], the batch eigenmap) hold the operator's values while
    /// Lanczos iterates; other solves (diffusion maps) use `f64`.
    #[serde(default)]
    pub values: OperatorValues,
}

/// How a sparse solve holds the Laplacian's off-diagonal values while Lanczos iterates
/// ([`SolverParams::values`]). Whatever the choice, the returned eigenvalues and
/// residuals are those of the exact (`f64`) Laplacian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OperatorValues {
    /// [`Self::F32`] when the tolerance leaves room for its rounding (the bound known
    /// beforehand, `2⁻²⁴` times the largest absolute row sum, at most a quarter of `tol`
    /// times `max |l_ii| ≤ ‖L‖`: on the 60,000-point `L_N` of the spectral sweep from
    /// `tol ≈ 9e-7` up), [`Self::F64`] otherwise.
    #[default]
    Auto,
    /// Products in double precision throughout.
    F64,
    /// Lanczos iterates with the values' leading `f32` parts
    /// ([`ValuePrecision::F32`], [`CsrOperator::rounded`]): 6 instead of 10 bytes per
    /// stored entry, the operator within a certified distance `b` of the Laplacian. It
    /// converges to `0.74 tol`, and every returned pair is re-scored with the exact
    /// operator (Rayleigh quotient and residual), which leaves each residual below
    /// `0.74 tol ‖L‖ + b ≤ tol ‖L‖`. A tolerance too tight for the rounding
    /// (`b > tol ‖L‖ / 4`) is an [`SpectralError::InvalidParameter`].
    F32,
}

/// Fraction of the tolerance Lanczos converges to on a rounded operator: the rest
/// (a quarter, plus slack) is the rounding's.
const ROUNDED_TOL_FRACTION: f64 = 0.74;

impl Default for SolverParams {
    fn default() -> Self {
        let l = LanczosParams::default();
        Self {
            method: EigenMethod::Auto,
            tol: l.tol,
            max_restarts: l.max_restarts,
            krylov_dim: l.krylov_dim,
            seed: l.seed,
            threads: l.threads,
            verify: l.verify,
            values: OperatorValues::default(),
        }
    }
}

impl SolverParams {
    /// The Lanczos parameters for `k` pairs from one end.
    pub fn lanczos(&self, k: usize, which: Which) -> LanczosParams {
        LanczosParams {
            k,
            which,
            tol: self.tol,
            max_restarts: self.max_restarts,
            krylov_dim: self.krylov_dim,
            seed: self.seed,
            threads: self.threads,
            verify: self.verify,
            explicit_residuals: true,
        }
    }

    /// Whether Lanczos is used for `k` pairs of an `n`-node graph. The number of components
    /// does not matter: the null space is deflated exactly (see [`null_space_basis`]).
    fn use_lanczos(&self, n: usize, k: usize) -> bool {
        match self.method {
            EigenMethod::Dense => false,
            EigenMethod::Lanczos => true,
            EigenMethod::Auto => {
                let basis = self.lanczos(k, Which::Smallest).basis_size(usize::MAX);
                2 * basis < n
            }
        }
    }
}

/// Parameters of a Laplacian eigenmap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingParams {
    /// Embedding dimension K (after a trivial vector is dropped).
    pub k: usize,
    /// Remove the trivial eigenvector (constant for `L`, `D^{1/2}1` for `L_N`).
    ///
    /// The BASiS toys drop it; the official MNIST setting keeps it (K = number of classes).
    pub drop_trivial: bool,
    /// The eigensolver.
    #[serde(default)]
    pub solver: SolverParams,
}

impl Default for EmbeddingParams {
    fn default() -> Self {
        Self {
            k: 2,
            drop_trivial: true,
            solver: SolverParams::default(),
        }
    }
}

impl EmbeddingParams {
    /// Validates against a graph with `n` nodes.
    pub fn check(&self, n: usize) -> Result<()> {
        if self.k == 0 {
            return Err(SpectralError::ZeroEigenvectors);
        }
        let requested = self.k.saturating_add(usize::from(self.drop_trivial));
        if requested > n {
            return Err(SpectralError::TooManyEigenvectors { requested, n });
        }
        self.solver
            .lanczos(self.k, Which::Smallest)
            .check(n.max(requested), usize::from(self.drop_trivial))
    }

    /// Eigenvectors computed: K, plus the trivial one when it is dropped.
    pub fn representable(&self) -> usize {
        self.k.saturating_add(usize::from(self.drop_trivial))
    }

    /// [`SpectralError::TooManyComponents`] when a graph with `components` components has more
    /// of them than the eigenvectors computed can represent (each adds a zero eigenvalue).
    pub fn check_components(&self, components: usize) -> Result<()> {
        let representable = self.representable();
        if components > representable {
            return Err(SpectralError::TooManyComponents {
                components,
                representable,
            });
        }
        Ok(())
    }
}

/// An embedding: `n × K` coordinates (row `i` is φ_i of Eq. 3), the
/// eigenvalues and how well each pair satisfies its eigen-equation.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectralEmbedding {
    /// Eigenvalues of the returned vectors, non-decreasing.
    pub values: DVector<f64>,
    /// `n × K` orthonormal coordinates.
    pub coords: DMatrix<f64>,
    /// `‖L v − λ v‖` per pair.
    pub residuals: DVector<f64>,
    /// Components of the graph as the solver saw them
    /// ([`basis_graph::numerical_components_csr`] at the solver's tolerance): the dimension
    /// of the Laplacian's null space to that tolerance. At least the number of connected
    /// components; more when clusters are joined only by weights too small to register.
    pub components: usize,
}

impl SpectralEmbedding {
    /// The largest residual.
    pub fn max_residual(&self) -> f64 {
        self.residuals.iter().copied().fold(0.0, f64::max)
    }
}

/// Reusable buffers of the eigenmap (one per trainer).
#[derive(Debug, Default)]
pub struct EigenmapWorkspace {
    lanczos: LanczosWorkspace,
}

/// `‖A v − λ v‖` for each column, with products from `apply`.
fn residuals_of(
    apply: impl Fn(&[f64], &mut [f64]),
    values: &DVector<f64>,
    vectors: &DMatrix<f64>,
) -> DVector<f64> {
    let n = vectors.nrows();
    let mut av = vec![0.0; n];
    DVector::from_fn(values.len(), |c, _| {
        let v = vectors.column(c);
        apply(v.as_slice(), &mut av);
        residual_norm(&av, v.as_slice(), values[c])
    })
}

/// Projects the unit vector `t` out of `u` (`n × (K+1)`), keeps an
/// orthonormal basis of the K-dimensional remainder, and rotates it into
/// eigen-order by Rayleigh–Ritz with `apply` (`y = L x`).
fn drop_vector_rayleigh_ritz(
    u: &DMatrix<f64>,
    t: &DVector<f64>,
    k: usize,
    apply: impl Fn(&[f64], &mut [f64]),
) -> Result<EigenPairs> {
    let n = u.nrows();
    // c = Uᵀt is t's direction inside span(U). The Householder reflector H with
    // H c ∝ e_0 is orthogonal and symmetric, so its columns 1..=K are an
    // orthonormal basis of c's complement, and U H[:, 1..=K] spans the part of
    // span(U) orthogonal to t (all of it but t when t lies in span(U)).
    let c = u.transpose() * t;
    let norm = c.norm();
    if norm == 0.0 || !norm.is_finite() {
        return Err(SpectralError::SolverFailed(
            "the trivial vector has no component in the computed eigenvectors".into(),
        ));
    }
    let v = c / norm;
    let mut h = v.clone();
    h[0] += if v[0] >= 0.0 { 1.0 } else { -1.0 };
    let h = h.normalize();
    let reflector = DMatrix::<f64>::identity(k + 1, k + 1) - &h * h.transpose() * 2.0;
    let q = u * reflector.columns(1, k);
    let mut lq = DMatrix::zeros(n, k);
    for c in 0..k {
        apply(q.column(c).as_slice(), lq.column_mut(c).as_mut_slice());
    }
    let small = q.transpose() * lq;
    let small = 0.5 * (&small + small.transpose());
    let ritz = symmetric_eigen_dense(&small, k, Which::Smallest)?;
    Ok(EigenPairs {
        values: ritz.values,
        vectors: q * ritz.vectors,
    })
}

/// The K leading (smallest-eigenvalue) eigenvectors of a batch graph's Laplacian.
pub fn laplacian_eigenmap(
    graph: &BatchGraph,
    params: &EmbeddingParams,
) -> Result<SpectralEmbedding> {
    laplacian_eigenmap_with(&mut EigenmapWorkspace::default(), graph, params)
}

/// [`laplacian_eigenmap`] with buffers kept across calls.
pub fn laplacian_eigenmap_with(
    ws: &mut EigenmapWorkspace,
    graph: &BatchGraph,
    params: &EmbeddingParams,
) -> Result<SpectralEmbedding> {
    let n = graph.laplacian.nrows();
    params.check(n)?;
    let l = &graph.laplacian;
    let k = params.k;
    let wanted = k + usize::from(params.drop_trivial);
    if params.solver.use_lanczos(n, wanted) {
        let op = operator_values(CsrOperator::from_dense(l, 1)?, &params.solver)?;
        let t = trivial_eigenvector(&graph.affinity, graph.kind);
        let comps = numerical_components_dense(&graph.affinity, graph.kind, split_tol(params));
        let null = null_space_basis(&t, &comps.labels, comps.count);
        return Ok(sparse_solve(ws, &op, &t, &null, params, &mut |_| {})?.0);
    }
    let components =
        numerical_components_dense(&graph.affinity, graph.kind, split_tol(params)).count;
    let apply = |x: &[f64], y: &mut [f64]| {
        let r = l * DVector::from_column_slice(x);
        y.copy_from_slice(r.as_slice());
    };
    let pairs = if params.drop_trivial {
        let u = symmetric_eigen_dense(l, k + 1, Which::Smallest)?.vectors;
        let t = trivial_eigenvector(&graph.affinity, graph.kind);
        drop_vector_rayleigh_ritz(&u, &t, k, apply)?
    } else {
        symmetric_eigen_dense(l, k, Which::Smallest)?
    };
    let residuals = residuals_of(apply, &pairs.values, &pairs.vectors);
    Ok(finish_embedding(
        pairs.values,
        pairs.vectors,
        residuals,
        components,
    ))
}

/// The tolerance below which a graph counts as split: the solver's own.
fn split_tol(params: &EmbeddingParams) -> f64 {
    params.solver.tol.max(1e-14)
}

fn finish_embedding(
    values: DVector<f64>,
    mut coords: DMatrix<f64>,
    residuals: DVector<f64>,
    components: usize,
) -> SpectralEmbedding {
    canonicalize_signs(&mut coords);
    SpectralEmbedding {
        values,
        coords,
        residuals,
        components,
    }
}

/// Seconds spent in each stage of one batch embedding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchTimings {
    /// Neighbour search.
    pub knn_seconds: f64,
    /// Affinity and Laplacian (and any bridging).
    pub graph_seconds: f64,
    /// Eigenvectors.
    pub eigen_seconds: f64,
}

impl BatchTimings {
    /// All stages.
    pub fn total_seconds(&self) -> f64 {
        self.knn_seconds + self.graph_seconds + self.eigen_seconds
    }
}

/// Features (`m × d`) → batch graph → K eigenvectors, again and again with
/// the same buffers: the per-iteration call of BASiS Algorithm 1 (line 7).
///
/// The batch graph stays sparse ([`BatchGraphBuilder::build_sparse`]): the
/// neighbour lists become a CSR affinity and the solver multiplies with the
/// Laplacian built from it, so no `m × m` matrix is formed (on a 512-point
/// 50-NN batch that is 2 MB written and scanned four times less per
/// iteration). A batch too small for Lanczos takes the dense solver on the
/// same affinity.
#[derive(Debug)]
pub struct BatchEmbedder {
    graphs: BatchGraphBuilder,
    params: EmbeddingParams,
    workspace: EigenmapWorkspace,
    timings: BatchTimings,
    last: Option<SparseBatchGraph>,
}

impl BatchEmbedder {
    /// Validates both parameter sets (the batch size is checked per call).
    pub fn new(graph: BatchGraphParams, params: EmbeddingParams) -> Result<Self> {
        if params.k == 0 {
            return Err(SpectralError::ZeroEigenvectors);
        }
        Ok(Self {
            graphs: BatchGraphBuilder::new(graph)?,
            params,
            workspace: EigenmapWorkspace::default(),
            timings: BatchTimings::default(),
            last: None,
        })
    }

    /// The embedding parameters.
    pub fn params(&self) -> &EmbeddingParams {
        &self.params
    }

    /// The graph of the last batch (`None` before the first [`Self::embed`], or when
    /// its graph could not be built).
    pub fn graph(&self) -> Option<&SparseBatchGraph> {
        self.last.as_ref()
    }

    /// Embeds one batch (one point per row).
    pub fn embed(&mut self, x: &DMatrix<f64>) -> Result<SpectralEmbedding> {
        // The features, then K against the batch size, before any work: a request that
        // cannot be met is named as such, not as whatever the batch graph then fails on.
        basis_graph::check_features(x)?;
        self.params.check(x.nrows())?;
        self.last = None;
        let t0 = Instant::now();
        let g = self.graphs.build_sparse(x)?;
        let built = t0.elapsed().as_secs_f64();
        let knn_seconds = self.graphs.last_knn_seconds();
        let t1 = Instant::now();
        let e = eigenmap_of_affinity(
            &mut self.workspace,
            &g.affinity,
            g.kind,
            &self.params,
            &mut |_| {},
        );
        self.timings = BatchTimings {
            knn_seconds,
            graph_seconds: (built - knn_seconds).max(0.0),
            eigen_seconds: t1.elapsed().as_secs_f64(),
        };
        self.last = Some(g);
        e.map(|(e, _)| e)
    }

    /// Stage times of the last [`Self::embed`] call.
    pub fn timings(&self) -> BatchTimings {
        self.timings
    }
}

/// Features → batch graph → eigenmap in one call (see [`BatchEmbedder`] for repeated calls).
pub fn embed_batch(
    x: &DMatrix<f64>,
    graph: &BatchGraphParams,
    params: &EmbeddingParams,
) -> Result<SpectralEmbedding> {
    BatchEmbedder::new(*graph, *params)?.embed(x)
}

/// `op` with split `f32` values when [`SolverParams::values`] asks for them, or for
/// [`OperatorValues::Auto`] when the tolerance leaves room for their rounding; a
/// tolerance too tight for an explicit [`OperatorValues::F32`] is a typed error.
fn operator_values(op: CsrOperator, solver: &SolverParams) -> Result<CsrOperator> {
    let tol = solver.tol.max(1e-14);
    // ‖L‖ ≥ |l_ii| for every i; the rounding may take a quarter of tol · ‖L‖.
    let allowed = tol * op.diagonal_abs_max() / 4.0;
    let wanted = match solver.values {
        OperatorValues::F64 => false,
        OperatorValues::F32 => true,
        // A priori: rounding to f32 moves each value by at most 2⁻²⁴ of itself.
        // The row sum is at least max |l_ii|, so below tol = 4 · 2⁻²⁴ the answer is no
        // without the pass over the entries (the batch path's tol 1e-8).
        OperatorValues::Auto => {
            tol >= 2.0 * f64::from(f32::EPSILON)
                && 0.5 * f64::from(f32::EPSILON) * op.abs_row_sum_bound() <= allowed
        }
    };
    if !wanted {
        return Ok(op);
    }
    let op = op.with_value_precision(ValuePrecision::F32)?;
    if op.rounding_error_bound() > allowed {
        return Err(SpectralError::InvalidParameter {
            name: "values",
            reason: format!(
                "f32 values move the operator by up to {:.1e}, more than tol · ‖L‖ / 4 ≥ {allowed:.1e} allows; use F64 or a looser tolerance",
                op.rounding_error_bound()
            ),
        });
    }
    Ok(op)
}

/// Re-scores pairs found on the rounded operator with the exact one: each
/// eigenvalue becomes the Rayleigh quotient `vᵀ A v` and each residual
/// `‖A v − λ v‖` (one product per pair, counted); the pairs are put back in
/// ascending order of the new values.
fn rescore_exactly(op: &CsrOperator, mut found: PartialEigen) -> PartialEigen {
    let n = op.dim();
    let k = found.values.len();
    let products = crate::lanczos::apply_columns(op, &found.vectors);
    let mut scored: Vec<(f64, f64, usize)> = (0..k)
        .map(|c| {
            let (lam, res) = rayleigh_residual(
                products.column(c).as_slice(),
                found.vectors.column(c).as_slice(),
            );
            (lam, res, c)
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
    let vectors = DMatrix::from_fn(n, k, |i, c| found.vectors[(i, scored[c].2)]);
    found.values = DVector::from_iterator(k, scored.iter().map(|s| s.0));
    found.residuals = DVector::from_iterator(k, scored.iter().map(|s| s.1));
    found.vectors = vectors;
    found.matvecs += k;
    found
}

/// The Laplacian of a CSR affinity as a [`CsrOperator`] and its unit trivial eigenvector.
fn laplacian_operator(
    w: &CsrMatrix<f64>,
    kind: LaplacianKind,
    threads: usize,
) -> Result<(CsrOperator, DVector<f64>)> {
    let d = degrees_csr(w);
    let n = w.nrows();
    let (op, t) = match kind {
        LaplacianKind::Unnormalized => (
            CsrOperator::from_csr_map(w, threads, |_, _, v| -v, |i, own| d[i] - own)?,
            DVector::from_element(n, 1.0),
        ),
        LaplacianKind::SymmetricNormalized => {
            if let Some(node) = d.iter().position(|&v| v <= 0.0) {
                return Err(GraphError::IsolatedNode { node }.into());
            }
            let s = d.map(|v| 1.0 / v.sqrt());
            (
                CsrOperator::from_csr_map(
                    w,
                    threads,
                    |i, j, v| -v * s[i] * s[j],
                    |i, own| 1.0 - own * s[i] * s[i],
                )?,
                d.map(f64::sqrt),
            )
        }
    };
    let norm = t.norm();
    Ok((op, t / norm))
}

/// Solver statistics of a sparse embedding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SolveStats {
    /// Lanczos restart cycles (0 for the dense solver).
    pub restarts: usize,
    /// Operator products (0 for the dense solver), the exact re-scoring's included.
    pub matvecs: usize,
    /// The values Lanczos iterated with ([`SolverParams::values`]).
    #[serde(default)]
    pub values: ValuePrecision,
}

/// The K leading eigenvectors of the Laplacian of a sparse affinity `W`
/// (a whole dataset graph). `W` is checked (square, finite, non-negative,
/// symmetric). On a disconnected graph the zero eigenvalue has one copy per
/// component; Lanczos gets them exactly by deflating the null space (the
/// trivial vector restricted to each component), and they come first.
///
/// `progress` is called after each Lanczos restart cycle.
pub fn laplacian_eigenmap_csr(
    w: &CsrMatrix<f64>,
    kind: LaplacianKind,
    params: &EmbeddingParams,
    progress: &mut dyn FnMut(&LanczosProgress),
) -> Result<(SpectralEmbedding, SolveStats)> {
    basis_graph::sparse::check_affinity_csr(w)?;
    params.check(w.nrows())?;
    eigenmap_of_affinity(&mut EigenmapWorkspace::default(), w, kind, params, progress)
}

/// [`laplacian_eigenmap_csr`] without the checks of `w` and of `params` against its
/// size (the caller built or checked them): the dense solver on the densified
/// affinity when the graph is too small for Lanczos, otherwise Lanczos on the
/// Laplacian operator with the null space deflated exactly.
fn eigenmap_of_affinity(
    ws: &mut EigenmapWorkspace,
    w: &CsrMatrix<f64>,
    kind: LaplacianKind,
    params: &EmbeddingParams,
    progress: &mut dyn FnMut(&LanczosProgress),
) -> Result<(SpectralEmbedding, SolveStats)> {
    let n = w.nrows();
    let wanted = params.k.saturating_add(usize::from(params.drop_trivial));
    if !params.solver.use_lanczos(n, wanted) {
        let g = BatchGraph::from_affinity(basis_graph::csr_to_dense(w), kind)?;
        return Ok((
            laplacian_eigenmap_with(ws, &g, params)?,
            SolveStats::default(),
        ));
    }
    let comps = numerical_components_csr(w, kind, split_tol(params));
    let (op, t) = laplacian_operator(w, kind, params.solver.threads)?;
    let op = operator_values(op, &params.solver)?;
    let null = null_space_basis(&t, &comps.labels, comps.count);
    sparse_solve(ws, &op, &t, &null, params, progress)
}

/// An orthonormal basis of the Laplacian's null space on a graph with `count` components:
/// the trivial vector `t` (unit norm, constant or `D^{1/2}1`) restricted to each component
/// and normalised there. On a connected graph (`count ≤ 1`) that is `t` itself and `labels`
/// is not read.
fn null_space_basis(t: &DVector<f64>, labels: &[usize], count: usize) -> DMatrix<f64> {
    if count <= 1 {
        return DMatrix::from_column_slice(t.len(), 1, t.as_slice());
    }
    let mut z = DMatrix::zeros(t.len(), count);
    for (i, &c) in labels.iter().enumerate() {
        z[(i, c)] = t[i];
    }
    for mut col in z.column_iter_mut() {
        let norm = col.norm();
        if norm > 0.0 {
            col /= norm;
        }
    }
    z
}

/// The part of `span(null)` orthogonal to `t ∈ span(null)`: `null · H[:, 1..]`, with `H` the
/// Householder reflector that maps t's coefficients onto the first axis.
fn complement_of_trivial(null: &DMatrix<f64>, t: &DVector<f64>) -> DMatrix<f64> {
    let c = null.ncols();
    let mut a = null.tr_mul(t);
    let norm = a.norm();
    if c <= 1 || norm == 0.0 {
        return DMatrix::zeros(null.nrows(), c.saturating_sub(1));
    }
    a /= norm;
    // v = a − e₁ (or a + e₁ when a ≈ e₁'s negative, to stay well conditioned): H a = ±e₁.
    let mut v = a.clone();
    let sign = if a[0] >= 0.0 { 1.0 } else { -1.0 };
    v[0] += sign;
    let vv = v.norm_squared();
    let h = DMatrix::identity(c, c) - (&v * v.transpose()) * (2.0 / vv);
    null * h.columns(1, c - 1)
}

/// Lanczos for the K smallest pairs with the Laplacian's null space `null` (orthonormal, one
/// vector per component; `t`, the trivial vector, lies in it) deflated exactly. With
/// `drop_trivial` the direction of `t` is dropped and the rest of the null space kept;
/// otherwise the whole null space is kept. Kept null vectors come first (eigenvalue 0); the
/// solver finds only the remaining pairs in their complement, which also gives a split graph
/// the right multiplicity of 0 — something a single-vector Krylov method cannot promise.
fn sparse_solve(
    ws: &mut EigenmapWorkspace,
    op: &CsrOperator,
    t: &DVector<f64>,
    null: &DMatrix<f64>,
    params: &EmbeddingParams,
    progress: &mut dyn FnMut(&LanczosProgress),
) -> Result<(SpectralEmbedding, SolveStats)> {
    let n = op.dim();
    let k = params.k;
    let kept = if params.drop_trivial {
        complement_of_trivial(null, t)
    } else {
        null.clone()
    };
    let take = kept.ncols().min(k);
    let solve_k = k - take;
    let z = Some(null);
    let (mut values, mut vectors, mut residuals, stats) = if solve_k == 0 {
        (
            DVector::zeros(0),
            DMatrix::zeros(n, 0),
            DVector::zeros(0),
            SolveStats::default(),
        )
    } else {
        let rounded = op.value_precision() == ValuePrecision::F32;
        let mut lanczos = params.solver.lanczos(solve_k, Which::Smallest);
        let view = op.rounded();
        let iterate: &dyn SymmetricOperator = if rounded {
            lanczos.tol = lanczos.tol.max(1e-14) * ROUNDED_TOL_FRACTION;
            // The pairs are re-scored with the exact operator below.
            lanczos.explicit_residuals = false;
            &view
        } else {
            op
        };
        let found = lanczos_with(&mut ws.lanczos, iterate, &lanczos, z, progress)?;
        let PartialEigen {
            values,
            vectors,
            residuals,
            restarts,
            matvecs,
            ..
        } = if rounded {
            rescore_exactly(op, found)
        } else {
            found
        };
        let stats = SolveStats {
            restarts,
            matvecs,
            values: op.value_precision(),
        };
        (values, vectors, residuals, stats)
    };
    if take > 0 {
        // Prepend the kept null vectors with their Rayleigh quotients (0 up to rounding).
        let mut at = vec![0.0; n];
        let mut head_values = DVector::zeros(take);
        let mut head_residuals = DVector::zeros(take);
        for j in 0..take {
            let v = kept.column(j);
            op.apply(v.as_slice(), &mut at);
            (head_values[j], head_residuals[j]) = rayleigh_residual(&at, v.as_slice());
        }
        let mut all = DMatrix::zeros(n, take + vectors.ncols());
        all.columns_mut(0, take).copy_from(&kept.columns(0, take));
        all.columns_mut(take, vectors.ncols()).copy_from(&vectors);
        vectors = all;
        values = DVector::from_iterator(
            take + values.len(),
            head_values.iter().chain(values.iter()).copied(),
        );
        residuals = DVector::from_iterator(
            take + residuals.len(),
            head_residuals.iter().chain(residuals.iter()).copied(),
        );
    }
    Ok((
        finish_embedding(values, vectors, residuals, null.ncols()),
        stats,
    ))
}

/// Seconds per stage of [`analytic_embedding`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineTimings {
    /// Exact kNN search.
    pub knn_seconds: f64,
    /// Sparse affinity, bridging and Laplacian operator.
    pub graph_seconds: f64,
    /// Lanczos (or dense) solve.
    pub eigen_seconds: f64,
}

/// Result of [`analytic_embedding`].
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticEmbedding {
    /// The embedding of every point.
    pub embedding: SpectralEmbedding,
    /// Stage times.
    pub timings: PipelineTimings,
    /// Solver statistics.
    pub stats: SolveStats,
    /// Stored non-zeros of the affinity.
    pub affinity_nnz: usize,
    /// Components before bridging.
    pub components: usize,
    /// The sparse affinity `W` the embedding was computed from (bridges included).
    pub affinity: CsrMatrix<f64>,
}

/// Features (`n × d`, one point per row) → exact kNN → sparse Gaussian
/// affinity → Laplacian → K eigenvectors: the analytic embedding of a whole
/// dataset, the ground truth of the Grassmann distance.
///
/// Follows `graph` exactly as a batch would (same k, σ rule, symmetrisation,
/// Laplacian; `connect_components` adds the shortest bridging edges, O(n²d)).
/// A disconnected graph without bridging is an error unless
/// `allow_disconnected`, in which case the zero eigenvalue comes once per
/// component (the null space is deflated exactly, as in [`laplacian_eigenmap_csr`]).
/// Shows a progress line on stderr when the solve runs past a second.
pub fn analytic_embedding(
    x: &DMatrix<f64>,
    graph: &BatchGraphParams,
    params: &EmbeddingParams,
) -> Result<AnalyticEmbedding> {
    graph.check_batch_size(x.nrows())?;
    params.check(x.nrows())?;
    let t0 = Instant::now();
    let knn = knn_exact(x, &graph.knn)?;
    let knn_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut w = knn_affinity(&knn, &graph.affinity)?;
    let comps = components_csr(&w);
    if comps.count > 1 {
        if graph.connect_components {
            let bridges = bridge_edges(x, &comps, graph.knn.metric)?;
            let sigma = basis_graph::gaussian_scales(&knn, graph.affinity.scale)?;
            w = basis_graph::with_bridges(&w, &bridges, graph.affinity.scale, &sigma);
        } else if !graph.allow_disconnected {
            comps.ensure_connected()?;
        }
    }
    let n = x.nrows();
    let wanted = params.k.saturating_add(usize::from(params.drop_trivial));
    let lanczos = params.solver.use_lanczos(n, wanted)
        || (params.solver.method == EigenMethod::Auto && n > 4096);
    if !lanczos {
        let affinity_nnz = w.nnz();
        let g = BatchGraph::from_affinity(basis_graph::csr_to_dense(&w), graph.laplacian)?;
        let graph_seconds = t1.elapsed().as_secs_f64();
        let t2 = Instant::now();
        let embedding = laplacian_eigenmap(&g, params)?;
        return Ok(AnalyticEmbedding {
            embedding,
            timings: PipelineTimings {
                knn_seconds,
                graph_seconds,
                eigen_seconds: t2.elapsed().as_secs_f64(),
            },
            stats: SolveStats::default(),
            affinity_nnz,
            components: comps.count,
            affinity: w,
        });
    }
    let (op, t) = laplacian_operator(&w, graph.laplacian, params.solver.threads)?;
    let op = operator_values(op, &params.solver)?;
    let graph_seconds = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let mut bar = SolveProgress::new("analytic embedding");
    // Components as the solver sees them (bridges included when they were added).
    let numerical = numerical_components_csr(&w, graph.laplacian, split_tol(params));
    let null = null_space_basis(&t, &numerical.labels, numerical.count);
    let (embedding, stats) = sparse_solve(
        &mut EigenmapWorkspace::default(),
        &op,
        &t,
        &null,
        params,
        &mut |p| bar.update(p),
    )?;
    bar.finish();
    Ok(AnalyticEmbedding {
        embedding,
        timings: PipelineTimings {
            knn_seconds,
            graph_seconds,
            eigen_seconds: t2.elapsed().as_secs_f64(),
        },
        stats,
        affinity_nnz: w.nnz(),
        components: comps.count,
        affinity: w,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use basis_graph::laplacian;
    use std::f64::consts::PI;

    fn graph_from(w: DMatrix<f64>, kind: LaplacianKind) -> BatchGraph {
        BatchGraph::from_affinity(w, kind).unwrap()
    }

    fn path(n: usize) -> DMatrix<f64> {
        DMatrix::from_fn(n, n, |i, j| if i.abs_diff(j) == 1 { 1.0 } else { 0.0 })
    }

    #[test]
    fn components_beyond_the_eigenvectors_are_a_typed_degenerate_batch() {
        let p = EmbeddingParams {
            k: 3,
            drop_trivial: true,
            ..Default::default()
        };
        assert_eq!(p.representable(), 4);
        assert!(p.check_components(4).is_ok());
        assert_eq!(
            p.check_components(5),
            Err(SpectralError::TooManyComponents {
                components: 5,
                representable: 4
            })
        );
    }

    fn params(k: usize, drop_trivial: bool, method: EigenMethod) -> EmbeddingParams {
        EmbeddingParams {
            k,
            drop_trivial,
            solver: SolverParams {
                method,
                tol: 1e-12,
                ..Default::default()
            },
        }
    }

    #[test]
    fn dropping_the_trivial_vector_on_a_path_gives_the_next_closed_form_vectors() {
        for (n, method) in [(10, EigenMethod::Dense), (200, EigenMethod::Lanczos)] {
            let g = graph_from(path(n), LaplacianKind::Unnormalized);
            let e = laplacian_eigenmap(&g, &params(2, true, method)).unwrap();
            for (c, j) in [1usize, 2].iter().enumerate() {
                let lam = 2.0 - 2.0 * (PI * *j as f64 / n as f64).cos();
                assert!((e.values[c] - lam).abs() < 1e-11, "{method:?}");
                let mut v = DVector::from_fn(n, |i, _| {
                    (PI * *j as f64 * (i as f64 + 0.5) / n as f64).cos()
                });
                v /= v.norm();
                assert!(
                    (v.dot(&e.coords.column(c)).abs() - 1.0).abs() < 1e-9,
                    "{method:?}"
                );
                assert!(e.coords.column(c).sum().abs() < 1e-9);
            }
            assert!(e.max_residual() < 1e-10, "{method:?}: {}", e.max_residual());
        }
    }

    #[test]
    fn cycle_graph_eigenvalues() {
        // C_n: λ = 2 − 2cos(2πj/n), each non-zero one twice.
        let n = 8;
        let w = DMatrix::from_fn(n, n, |i, j| {
            let d = i.abs_diff(j);
            if d == 1 || d == n - 1 { 1.0 } else { 0.0 }
        });
        for method in [EigenMethod::Dense, EigenMethod::Lanczos] {
            let e = laplacian_eigenmap(
                &graph_from(w.clone(), LaplacianKind::Unnormalized),
                &params(4, true, method),
            )
            .unwrap();
            let want = [1, 1, 2, 2].map(|j| 2.0 - 2.0 * (2.0 * PI * j as f64 / n as f64).cos());
            for (got, want) in e.values.iter().zip(want) {
                assert!((got - want).abs() < 1e-11, "{method:?}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn complete_graph_eigenvalues() {
        // K_n: L has 0 once and n with multiplicity n − 1; L_N has 0 and n/(n − 1).
        let n = 7;
        let w = DMatrix::from_fn(n, n, |i, j| if i == j { 0.0 } else { 1.0 });
        for method in [EigenMethod::Dense, EigenMethod::Lanczos] {
            let e = laplacian_eigenmap(
                &graph_from(w.clone(), LaplacianKind::Unnormalized),
                &params(3, false, method),
            )
            .unwrap();
            assert!(e.values[0].abs() < 1e-11);
            assert!(
                (e.values[1] - n as f64).abs() < 1e-11 && (e.values[2] - n as f64).abs() < 1e-11
            );
            let e = laplacian_eigenmap(
                &graph_from(w.clone(), LaplacianKind::SymmetricNormalized),
                &params(2, true, method),
            )
            .unwrap();
            for v in e.values.iter() {
                assert!((v - n as f64 / (n - 1) as f64).abs() < 1e-11);
            }
        }
    }

    #[test]
    fn two_cliques_zero_multiplicity_and_indicator_embedding() {
        // Two disjoint triangles: λ = 0 twice; dropping the constant leaves the cluster indicator.
        let mut w = DMatrix::zeros(6, 6);
        for (a, b) in [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)] {
            w[(a, b)] = 1.0;
            w[(b, a)] = 1.0;
        }
        let g = graph_from(w, LaplacianKind::Unnormalized);
        assert_eq!(g.components, 2);
        for method in [EigenMethod::Dense, EigenMethod::Lanczos, EigenMethod::Auto] {
            let all = laplacian_eigenmap(&g, &params(3, false, method)).unwrap();
            assert!(
                all.values[0].abs() < 1e-11 && all.values[1].abs() < 1e-11 && all.values[2] > 1.0,
                "{method:?}: {:?}",
                all.values
            );
            let e = laplacian_eigenmap(&g, &params(1, true, method)).unwrap();
            let v = e.coords.column(0);
            let s = 1.0 / 6f64.sqrt();
            for i in 0..6 {
                assert!((v[i].abs() - s).abs() < 1e-9, "entry {i} = {}", v[i]);
            }
            assert!((v[0] - v[1]).abs() < 1e-9 && (v[0] + v[3]).abs() < 1e-9);
        }
    }

    #[test]
    fn normalized_laplacian_trivial_vector_is_removed() {
        let w = DMatrix::from_row_slice(
            4,
            4,
            &[
                0., 2., 0., 1., 2., 0., 1., 0., 0., 1., 0., 3., 1., 0., 3., 0.,
            ],
        );
        let g = graph_from(w.clone(), LaplacianKind::SymmetricNormalized);
        let e = laplacian_eigenmap(&g, &params(2, true, EigenMethod::Auto)).unwrap();
        let t = trivial_eigenvector(&w, LaplacianKind::SymmetricNormalized);
        assert!((e.coords.transpose() * t).norm() < 1e-10);
        for c in 0..2 {
            let v = e.coords.column(c);
            assert!((&g.laplacian * v - v * e.values[c]).norm() < 1e-10);
        }
        let l = laplacian(&w, LaplacianKind::SymmetricNormalized).unwrap();
        assert_eq!(l, g.laplacian);
    }

    #[test]
    fn too_many_eigenvectors_is_typed() {
        let g = graph_from(path(3), LaplacianKind::Unnormalized);
        assert_eq!(
            laplacian_eigenmap(&g, &params(3, true, EigenMethod::Auto)),
            Err(SpectralError::TooManyEigenvectors { requested: 4, n: 3 })
        );
    }
}
