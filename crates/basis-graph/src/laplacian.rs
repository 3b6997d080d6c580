//! Graph Laplacians of a dense affinity (BASiS Eq. 2 and 4) and connectivity.

use crate::error::{GraphError, Result};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Which Laplacian to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LaplacianKind {
    /// `L = D − W` (Eq. 2); trivial eigenvector: the constant vector.
    #[default]
    Unnormalized,
    /// `L_N = I − D^{-1/2} W D^{-1/2}` (Eq. 4); trivial eigenvector: `D^{1/2} 1`.
    SymmetricNormalized,
}

/// Which side the degree normalisation of the random-walk matrix acts on.
///
/// Both have the eigenvalues of `I − L_N`. `D^{-1} W` is row-stochastic: row `i`
/// holds the transition probabilities out of node `i`, and its *right*
/// eigenvectors `Φ` are the diffusion-map coordinates (Coifman & Lafon). The
/// paper's Eq. 5 writes `P = W D^{-1}`, its transpose: column-stochastic, with
/// the diffusion coordinates as *left* eigenvectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RandomWalkSide {
    /// `D^{-1} W`, rows sum to one.
    #[default]
    Row,
    /// `W D^{-1}` (paper's Eq. 5), columns sum to one.
    Column,
}

/// The random-walk matrix of a dense affinity (see [`RandomWalkSide`]).
pub fn random_walk(w: &DMatrix<f64>, side: RandomWalkSide) -> Result<DMatrix<f64>> {
    check_affinity(w)?;
    let d = positive_degrees(w)?;
    Ok(match side {
        RandomWalkSide::Row => DMatrix::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)] / d[i]),
        RandomWalkSide::Column => DMatrix::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)] / d[j]),
    })
}

/// The α-normalised kernel `D^{-α} W D^{-α}` of a dense affinity, `α ∈ [0, 1]`
/// (see [`crate::sparse::alpha_normalized_kernel_csr`]).
pub fn alpha_normalized_kernel(w: &DMatrix<f64>, alpha: f64) -> Result<DMatrix<f64>> {
    crate::sparse::check_alpha(alpha)?;
    check_affinity(w)?;
    if alpha == 0.0 {
        return Ok(w.clone());
    }
    // Divided rather than multiplied by d^-α: d^-α of a subnormal degree overflows, while
    // w_ij / d_i^α ≤ d_i^(1-α) never does (w_ij is one term of d_i).
    let p = positive_degrees(w)?.map(|v| v.powf(alpha));
    Ok(DMatrix::from_fn(w.nrows(), w.ncols(), |i, j| {
        w[(i, j)] / p[i] / p[j]
    }))
}

fn positive_degrees(w: &DMatrix<f64>) -> Result<DVector<f64>> {
    let d = degrees(w);
    if let Some(node) = d.iter().position(|&v| v <= 0.0) {
        return Err(GraphError::IsolatedNode { node });
    }
    Ok(d)
}

/// Checks that `w` is a square, symmetric, finite, non-negative affinity.
pub fn check_affinity(w: &DMatrix<f64>) -> Result<()> {
    if w.nrows() != w.ncols() {
        return Err(GraphError::BadAffinity(format!(
            "{}×{} is not square",
            w.nrows(),
            w.ncols()
        )));
    }
    if w.nrows() == 0 {
        return Err(GraphError::Empty { rows: 0, cols: 0 });
    }
    let n = w.nrows();
    for j in 0..n {
        for i in 0..n {
            let v = w[(i, j)];
            if !v.is_finite() || v < 0.0 {
                return Err(GraphError::BadAffinity(format!("entry ({i}, {j}) = {v}")));
            }
            let t = w[(j, i)];
            if (v - t).abs() > 1e-12 * v.abs().max(t.abs()).max(1.0) {
                return Err(GraphError::BadAffinity(format!(
                    "not symmetric at ({i}, {j})"
                )));
            }
        }
    }
    Ok(())
}

/// Degrees `D_ii = Σ_j W_ij`.
pub fn degrees(w: &DMatrix<f64>) -> DVector<f64> {
    DVector::from_iterator(w.nrows(), w.row_iter().map(|r| r.sum()))
}

/// `L = D − W` (Eq. 2).
pub fn unnormalized_laplacian(w: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    check_affinity(w)?;
    let mut l = DMatrix::zeros(w.nrows(), w.ncols());
    laplacian_into(w, LaplacianKind::Unnormalized, &mut l)?;
    Ok(l)
}

/// `L_N = I − D^{-1/2} W D^{-1/2}` (Eq. 4). An isolated node is an error.
pub fn normalized_laplacian(w: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    check_affinity(w)?;
    let mut l = DMatrix::zeros(w.nrows(), w.ncols());
    laplacian_into(w, LaplacianKind::SymmetricNormalized, &mut l)?;
    Ok(l)
}

/// Writes the Laplacian of a symmetric affinity into `l` (resized if needed),
/// without re-checking `w`: the allocation-free path of the batch builder.
pub(crate) fn laplacian_into(
    w: &DMatrix<f64>,
    kind: LaplacianKind,
    l: &mut DMatrix<f64>,
) -> Result<()> {
    let n = w.nrows();
    if l.shape() != (n, n) {
        *l = DMatrix::zeros(n, n);
    }
    // Column sums equal row sums for a symmetric W. Contiguous column slices
    // keep these loops vectorised.
    let ws = w.as_slice();
    let d: Vec<f64> = ws.chunks_exact(n).map(|c| c.iter().sum()).collect();
    let ls = l.as_mut_slice();
    match kind {
        LaplacianKind::Unnormalized => {
            for (j, (dst, src)) in ls.chunks_exact_mut(n).zip(ws.chunks_exact(n)).enumerate() {
                for (o, v) in dst.iter_mut().zip(src) {
                    *o = -v;
                }
                dst[j] += d[j];
            }
        }
        LaplacianKind::SymmetricNormalized => {
            if let Some(node) = d.iter().position(|&v| v <= 0.0) {
                return Err(GraphError::IsolatedNode { node });
            }
            let s: Vec<f64> = d.iter().map(|v| 1.0 / v.sqrt()).collect();
            for (j, (dst, src)) in ls.chunks_exact_mut(n).zip(ws.chunks_exact(n)).enumerate() {
                let sj = s[j];
                for ((o, v), si) in dst.iter_mut().zip(src).zip(&s) {
                    *o = -v * si * sj;
                }
                dst[j] += 1.0;
            }
        }
    }
    Ok(())
}

/// Builds the requested Laplacian.
pub fn laplacian(w: &DMatrix<f64>, kind: LaplacianKind) -> Result<DMatrix<f64>> {
    match kind {
        LaplacianKind::Unnormalized => unnormalized_laplacian(w),
        LaplacianKind::SymmetricNormalized => normalized_laplacian(w),
    }
}

/// The unit-norm trivial (null-space) eigenvector of the Laplacian of a connected graph.
pub fn trivial_eigenvector(w: &DMatrix<f64>, kind: LaplacianKind) -> DVector<f64> {
    let n = w.nrows();
    let v = match kind {
        LaplacianKind::Unnormalized => DVector::from_element(n, 1.0),
        LaplacianKind::SymmetricNormalized => degrees(w).map(f64::sqrt),
    };
    let norm = v.norm();
    if norm > 0.0 { v / norm } else { v }
}

/// Connected components: a component label per node (labels `0..count`, in order of first node).
pub fn connected_components(w: &DMatrix<f64>) -> (usize, Vec<usize>) {
    let c = crate::sparse::components_dense(w);
    (c.count, c.labels)
}

/// Nodes without any edge.
pub fn isolated_nodes(w: &DMatrix<f64>) -> Vec<usize> {
    degrees(w)
        .iter()
        .enumerate()
        .filter(|(_, d)| **d <= 0.0)
        .map(|(i, _)| i)
        .collect()
}

/// Returns an error describing the components when the graph is not connected.
pub fn ensure_connected(w: &DMatrix<f64>) -> Result<()> {
    crate::sparse::components_dense(w).ensure_connected()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(n: usize) -> DMatrix<f64> {
        DMatrix::from_fn(n, n, |i, j| if i.abs_diff(j) == 1 { 1.0 } else { 0.0 })
    }

    #[test]
    fn laplacian_of_a_path_by_hand() {
        let l = unnormalized_laplacian(&path(3)).unwrap();
        let want =
            DMatrix::from_row_slice(3, 3, &[1.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 1.0]);
        assert_eq!(l, want);
        let ln = normalized_laplacian(&path(3)).unwrap();
        let s = 1.0 / 2f64.sqrt();
        let want = DMatrix::from_row_slice(3, 3, &[1.0, -s, 0.0, -s, 1.0, -s, 0.0, -s, 1.0]);
        assert!((ln - want).abs().max() < 1e-15);
    }

    #[test]
    fn constant_and_sqrt_degree_are_null_vectors() {
        let w = DMatrix::from_row_slice(3, 3, &[0.0, 2.0, 0.5, 2.0, 0.0, 1.0, 0.5, 1.0, 0.0]);
        let l = unnormalized_laplacian(&w).unwrap();
        assert!((&l * trivial_eigenvector(&w, LaplacianKind::Unnormalized)).norm() < 1e-14);
        let ln = normalized_laplacian(&w).unwrap();
        assert!((&ln * trivial_eigenvector(&w, LaplacianKind::SymmetricNormalized)).norm() < 1e-14);
    }

    #[test]
    fn components_and_isolated_nodes() {
        let mut w = DMatrix::zeros(5, 5);
        w[(0, 1)] = 1.0;
        w[(1, 0)] = 1.0;
        w[(2, 3)] = 1.0;
        w[(3, 2)] = 1.0;
        let (count, labels) = connected_components(&w);
        assert_eq!(count, 3);
        assert_eq!(labels, vec![0, 0, 1, 1, 2]);
        assert_eq!(isolated_nodes(&w), vec![4]);
        assert_eq!(
            ensure_connected(&w),
            Err(GraphError::Disconnected {
                count: 3,
                sizes: vec![2, 2, 1]
            })
        );
        assert_eq!(
            normalized_laplacian(&w),
            Err(GraphError::IsolatedNode { node: 4 })
        );
        assert!(ensure_connected(&path(4)).is_ok());
    }

    #[test]
    fn bad_affinities_are_rejected() {
        let mut w = path(3);
        w[(0, 1)] = 0.5;
        assert!(matches!(
            unnormalized_laplacian(&w),
            Err(GraphError::BadAffinity(_))
        ));
        let mut w = path(3);
        w[(0, 1)] = f64::NAN;
        assert!(matches!(
            unnormalized_laplacian(&w),
            Err(GraphError::BadAffinity(_))
        ));
        assert!(unnormalized_laplacian(&DMatrix::zeros(2, 3)).is_err());
    }
}
