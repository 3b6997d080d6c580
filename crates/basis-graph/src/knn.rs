//! Exact k-nearest-neighbour search by blocked brute force.
//!
//! Squared Euclidean distances come from the Gram matrix,
//! `‖x_i − x_j‖² = ‖x_i‖² + ‖x_j‖² − 2 x_i·x_j`, clamped at zero; the `k`
//! smallest per row are selected with `select_nth_unstable` and then sorted.
//! Ties are broken by the smaller index, so results are deterministic. A point
//! is never its own neighbour, even when duplicates make distances zero.

use crate::error::{GraphError, Result};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Distance used by the kNN search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Metric {
    /// Euclidean distance.
    #[default]
    Euclidean,
    /// Cosine distance `1 − cos(x_i, x_j)`; a zero vector is at distance 1 from everything.
    Cosine,
}

/// Parameters of the exact kNN search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KnnParams {
    /// Number of neighbours per point, excluding the point itself.
    pub k: usize,
    /// Distance.
    pub metric: Metric,
}

impl Default for KnnParams {
    fn default() -> Self {
        Self {
            k: 10,
            metric: Metric::Euclidean,
        }
    }
}

impl KnnParams {
    /// Checks `k` against the number of points `n`.
    pub fn check(&self, n: usize) -> Result<()> {
        if self.k == 0 || self.k >= n {
            return Err(GraphError::InvalidK { k: self.k, n });
        }
        Ok(())
    }
}

/// The neighbours of every point: row `i` holds the `k` nearest, closest first.
#[derive(Debug, Clone, PartialEq)]
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
    /// Neighbour indices of point `i`, closest first.
    pub fn neighbors(&self, i: usize) -> &[usize] {
        &self.indices[i * self.k..(i + 1) * self.k]
    }

    /// Distances to the neighbours of point `i`.
    pub fn neighbor_distances(&self, i: usize) -> &[f64] {
        &self.distances[i * self.k..(i + 1) * self.k]
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

/// Rows per block of the distance computation: bounds the temporary to `BLOCK × n` values.
const BLOCK: usize = 256;

/// Exact kNN of the rows of `x` (one point per row).
pub fn knn_exact(x: &DMatrix<f64>, params: &KnnParams) -> Result<KnnGraph> {
    check_features(x)?;
    let n = x.nrows();
    params.check(n)?;
    let k = params.k;

    // Cosine distance is the squared Euclidean distance of unit vectors, halved.
    let xs = match params.metric {
        Metric::Euclidean => x.clone(),
        Metric::Cosine => {
            let mut y = x.clone();
            for mut r in y.row_iter_mut() {
                let norm = r.norm();
                if norm > 0.0 {
                    r /= norm;
                }
            }
            y
        }
    };
    let sq: Vec<f64> = xs.row_iter().map(|r| r.norm_squared()).collect();
    let mut indices = vec![0usize; n * k];
    let mut distances = vec![0f64; n * k];
    let mut cand: Vec<(f64, usize)> = Vec::with_capacity(n);
    let xt = xs.transpose();
    let mut start = 0;
    while start < n {
        let rows = BLOCK.min(n - start);
        let block = xs.rows(start, rows);
        let gram = block * &xt; // rows × n
        for bi in 0..rows {
            let i = start + bi;
            cand.clear();
            for j in 0..n {
                if j == i {
                    continue;
                }
                let d2 = (sq[i] + sq[j] - 2.0 * gram[(bi, j)]).max(0.0);
                let d2 = match params.metric {
                    Metric::Euclidean => d2,
                    // A zero vector was left unnormalised: define its distance as 1.
                    Metric::Cosine if sq[i] == 0.0 || sq[j] == 0.0 => 2.0,
                    Metric::Cosine => d2,
                };
                cand.push((d2, j));
            }
            let cmp = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            cand.select_nth_unstable_by(k - 1, cmp);
            let top = &mut cand[..k];
            top.sort_unstable_by(cmp);
            for (t, &(d2, j)) in top.iter().enumerate() {
                indices[i * k + t] = j;
                distances[i * k + t] = match params.metric {
                    Metric::Euclidean => d2.sqrt(),
                    Metric::Cosine => 0.5 * d2,
                };
            }
        }
        start += rows;
    }
    Ok(KnnGraph {
        n,
        k,
        indices,
        distances,
    })
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
