//! Out-of-sample extension of an embedding by the graph's kernel (Nyström-style).
//!
//! A point `q` outside the graph gets the Gaussian-weighted mean of the coordinates of its `k`
//! nearest graph points, `φ(q) = Σ_j w_j φ(x_j) / Σ_j w_j` with `w_j = exp(−‖q − x_j‖² / σ_q²)`
//! and `σ_q` the distance from `q` to its `scale_neighbor`-th nearest graph point (the local
//! scale of the self-tuning affinity, taken on the query's side only). For an eigenvector
//! of the random-walk operator with eigenvalue near 1 (the leading, cluster-like ones) this is
//! the Nyström formula `φ(q) = (1/μ) Σ_j p(q, x_j) φ(x_j)` with `μ ≈ 1` (Bengio et al., 2004).
//! It needs the graph's points at query time, which is what a learned embedding avoids; it is
//! the reference for what an out-of-sample method can reach from the same training points.

use crate::error::{Result, SpectralError};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Parameters of [`kernel_extension`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelExtensionParams {
    /// Graph points a query is averaged over (its nearest ones), ≥ 1.
    pub k: usize,
    /// The neighbour whose distance sets the query's Gaussian scale, in `1..=k`.
    pub scale_neighbor: usize,
}

impl Default for KernelExtensionParams {
    /// 50 neighbours and the 7th for the scale: the paper's batch graph.
    fn default() -> Self {
        Self {
            k: 50,
            scale_neighbor: 7,
        }
    }
}

impl KernelExtensionParams {
    /// Typed error unless `1 ≤ scale_neighbor ≤ k ≤ n` for `n` graph points.
    pub fn check(&self, n: usize) -> Result<()> {
        let bad = |name, reason: String| Err(SpectralError::InvalidParameter { name, reason });
        if self.k == 0 || self.k > n {
            return bad(
                "k",
                format!("{} neighbours requested from {n} graph points", self.k),
            );
        }
        if self.scale_neighbor == 0 || self.scale_neighbor > self.k {
            return bad(
                "scale_neighbor",
                format!("must be in 1..={}, got {}", self.k, self.scale_neighbor),
            );
        }
        Ok(())
    }
}

fn check_finite(x: &DMatrix<f64>) -> Result<()> {
    for (col, c) in x.column_iter().enumerate() {
        if let Some(row) = c.iter().position(|v| !v.is_finite()) {
            return Err(SpectralError::NonFinite { row, col });
        }
    }
    Ok(())
}

/// The coordinates `coords` (n × K) of the graph points `points` (n × d) extended to the rows
/// of `queries` (q × d); see the module documentation. Queries are processed in blocks of 256
/// (one q-block × n distance matrix at a time).
pub fn kernel_extension(
    points: &DMatrix<f64>,
    coords: &DMatrix<f64>,
    queries: &DMatrix<f64>,
    params: &KernelExtensionParams,
) -> Result<DMatrix<f64>> {
    let (n, d) = points.shape();
    let shape = |reason: String| {
        Err(SpectralError::InvalidParameter {
            name: "shape",
            reason,
        })
    };
    if n == 0 || d == 0 || coords.ncols() == 0 {
        return shape(format!(
            "empty graph points ({n} × {d}) or coordinates ({} × {})",
            coords.nrows(),
            coords.ncols()
        ));
    }
    if coords.nrows() != n || queries.ncols() != d {
        return shape(format!(
            "{} coordinate rows for {n} graph points, queries of {} features for points of {d}",
            coords.nrows(),
            queries.ncols()
        ));
    }
    params.check(n)?;
    check_finite(points)?;
    check_finite(coords)?;
    check_finite(queries)?;
    let point_sq: Vec<f64> = points.row_iter().map(|r| r.norm_squared()).collect();
    let mut out = DMatrix::zeros(queries.nrows(), coords.ncols());
    let mut nearest: Vec<(f64, usize)> = Vec::with_capacity(n);
    let block = 256;
    let mut start = 0;
    while start < queries.nrows() {
        let rows = block.min(queries.nrows() - start);
        let q = queries.rows(start, rows);
        let cross = q * points.transpose();
        for i in 0..rows {
            let own = q.row(i).norm_squared();
            nearest.clear();
            nearest.extend((0..n).map(|j| ((own + point_sq[j] - 2.0 * cross[(i, j)]).max(0.0), j)));
            let by_distance = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0);
            if params.k < n {
                nearest.select_nth_unstable_by(params.k - 1, by_distance);
                nearest.truncate(params.k);
            }
            nearest.sort_unstable_by(by_distance);
            let closest = nearest[0].0;
            let scale = nearest[params.scale_neighbor - 1].0;
            let mut total = 0.0;
            let mut row = out.row_mut(start + i);
            for &(d2, j) in &nearest {
                // Relative to the closest point, so the weights never all underflow; a zero
                // scale (duplicates up to the scale neighbour) averages the closest points.
                let w = if scale > 0.0 {
                    (-(d2 - closest) / scale).exp()
                } else if d2 == closest {
                    1.0
                } else {
                    0.0
                };
                total += w;
                row += coords.row(j) * w;
            }
            row.unscale_mut(total);
        }
        start += rows;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_function_is_reproduced_between_symmetric_neighbours() {
        // Points 0, 1, ..., 10 on a line with φ(x) = 3x − 1: a query at 5 averages the
        // symmetric pairs around it, so it gets φ(5) exactly whatever the weights.
        let points = DMatrix::from_fn(11, 1, |i, _| i as f64);
        let coords = points.map(|x| 3.0 * x - 1.0);
        let q = DMatrix::from_row_slice(1, 1, &[5.0]);
        let p = KernelExtensionParams {
            k: 5,
            scale_neighbor: 3,
        };
        let e = kernel_extension(&points, &coords, &q, &p).unwrap();
        assert!((e[(0, 0)] - 14.0).abs() < 1e-12, "{e}");
        // The weights by hand at 5.5: neighbours 5, 6 (d² 0.25), 4, 7 (2.25), 3 or 8 (6.25,
        // the tie broken by index: 3), scale d² of the 3rd = 2.25.
        let q = DMatrix::from_row_slice(1, 1, &[5.5]);
        let e = kernel_extension(&points, &coords, &q, &p).unwrap();
        let w = |d2: f64| (-(d2 - 0.25) / 2.25f64).exp();
        let num = w(0.25) * (14.0 + 17.0) + w(2.25) * (11.0 + 20.0) + w(6.25) * 8.0;
        let den = 2.0 * w(0.25) + 2.0 * w(2.25) + w(6.25);
        assert!(
            (e[(0, 0)] - num / den).abs() < 1e-12,
            "{e} vs {}",
            num / den
        );
    }

    #[test]
    fn queries_off_a_cluster_take_its_coordinates_and_duplicates_do_not_divide_by_zero() {
        // Two clusters with coordinates (1, 0) and (0, 1).
        let points = DMatrix::from_row_slice(6, 1, &[0.0, 0.1, 0.2, 10.0, 10.1, 10.2]);
        let coords = DMatrix::from_fn(6, 2, |i, j| f64::from(u8::from((i < 3) == (j == 0))));
        // Off both clusters, a cluster's width away from one of them: that cluster's coordinates
        // (a query very far from every point has a scale as wide as the distances it sees and
        // averages more broadly).
        let q = DMatrix::from_row_slice(2, 1, &[-1.0, 11.2]);
        let p = KernelExtensionParams {
            k: 6,
            scale_neighbor: 2,
        };
        let e = kernel_extension(&points, &coords, &q, &p).unwrap();
        assert!(
            (e[(0, 0)] - 1.0).abs() < 1e-9 && (e[(1, 1)] - 1.0).abs() < 1e-9,
            "{e}"
        );
        let dup = DMatrix::from_row_slice(3, 1, &[1.0, 1.0, 2.0]);
        let c = DMatrix::from_row_slice(3, 1, &[4.0, 6.0, 100.0]);
        let q = DMatrix::from_row_slice(1, 1, &[1.0]);
        let p = KernelExtensionParams {
            k: 3,
            scale_neighbor: 2,
        };
        let e = kernel_extension(&dup, &c, &q, &p).unwrap();
        assert_eq!(e[(0, 0)], 5.0);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let points = DMatrix::from_fn(5, 2, |i, j| (i + j) as f64);
        let coords = DMatrix::from_element(5, 1, 1.0);
        let q = DMatrix::from_element(2, 2, 0.5);
        let p = KernelExtensionParams {
            k: 3,
            scale_neighbor: 2,
        };
        let invalid =
            |r: Result<DMatrix<f64>>| matches!(r, Err(SpectralError::InvalidParameter { .. }));
        assert!(invalid(kernel_extension(
            &points,
            &coords,
            &q,
            &KernelExtensionParams { k: 6, ..p }
        )));
        assert!(invalid(kernel_extension(
            &points,
            &coords,
            &q,
            &KernelExtensionParams {
                scale_neighbor: 4,
                ..p
            }
        )));
        assert!(invalid(kernel_extension(
            &points,
            &coords,
            &DMatrix::zeros(2, 3),
            &p
        )));
        assert!(invalid(kernel_extension(
            &points,
            &DMatrix::zeros(4, 1),
            &q,
            &p
        )));
        assert!(invalid(kernel_extension(
            &DMatrix::zeros(0, 2),
            &DMatrix::zeros(0, 1),
            &q,
            &p
        )));
        let mut nan = q.clone();
        nan[(1, 0)] = f64::NAN;
        assert!(matches!(
            kernel_extension(&points, &coords, &nan, &p),
            Err(SpectralError::NonFinite { row: 1, col: 0 })
        ));
    }
}
