//! Graph Laplacians of a dense affinity (BASiS Eq. 2 and 4) and connectivity.

use crate::error::{GraphError, Result};
use nalgebra::{DMatrix, DVector};
use petgraph::unionfind::UnionFind;
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
    let d = degrees(w);
    let mut l = -w.clone();
    for i in 0..w.nrows() {
        l[(i, i)] += d[i];
    }
    Ok(l)
}

/// `L_N = I − D^{-1/2} W D^{-1/2}` (Eq. 4). An isolated node is an error.
pub fn normalized_laplacian(w: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    check_affinity(w)?;
    let d = degrees(w);
    if let Some(node) = d.iter().position(|&v| v <= 0.0) {
        return Err(GraphError::IsolatedNode { node });
    }
    let inv_sqrt = d.map(|v| 1.0 / v.sqrt());
    let n = w.nrows();
    let mut l = DMatrix::<f64>::zeros(n, n);
    for j in 0..n {
        for i in 0..n {
            l[(i, j)] = -w[(i, j)] * inv_sqrt[i] * inv_sqrt[j];
        }
        l[(j, j)] += 1.0;
    }
    Ok(l)
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
    let n = w.nrows();
    let mut uf = UnionFind::<usize>::new(n);
    for j in 0..n {
        for i in (j + 1)..n {
            if w[(i, j)] > 0.0 || w[(j, i)] > 0.0 {
                uf.union(i, j);
            }
        }
    }
    let roots = uf.into_labeling();
    let mut map = std::collections::HashMap::new();
    let labels: Vec<usize> = roots
        .iter()
        .map(|r| {
            let next = map.len();
            *map.entry(*r).or_insert(next)
        })
        .collect();
    (map.len(), labels)
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
    let (count, labels) = connected_components(w);
    if count > 1 {
        let mut sizes = vec![0usize; count];
        for l in labels {
            sizes[l] += 1;
        }
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        return Err(GraphError::Disconnected { count, sizes });
    }
    Ok(())
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
