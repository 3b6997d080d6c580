//! Connecting a disconnected graph with the fewest, shortest extra edges.
//!
//! A graph with `c` components needs `c − 1` edges to become connected. The
//! edges chosen here form a minimum spanning tree of the *component graph*,
//! whose edge between two components is their closest pair of points
//! (Kruskal's algorithm over those pairs). Each extra edge gets the Gaussian
//! weight of its length under the graph's own scale rule, floored at the
//! smallest positive `f64` so that it really connects; a tiny weight is the
//! honest outcome for components that are far apart (a near-zero Fiedler value).
//!
//! Cost: one pass over all pairs of points in different components,
//! `O(n² d)`, which is meant for batches and graphs of a few thousand points.

use crate::error::{GraphError, Result};
use crate::knn::{Metric, squared_distance};
use crate::sparse::Components;
use nalgebra::DMatrix;
use petgraph::unionfind::UnionFind;

/// Largest number of components [`bridge_edges`] accepts (its table is `c²`).
pub const MAX_BRIDGED_COMPONENTS: usize = 4096;

/// An edge added to connect two components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bridge {
    /// One endpoint.
    pub i: usize,
    /// The other endpoint, in another component.
    pub j: usize,
    /// Distance between them under the search metric.
    pub distance: f64,
}

/// The `c − 1` shortest edges that connect the components of a graph over
/// the rows of `x` (empty when it is already connected).
pub fn bridge_edges(x: &DMatrix<f64>, comps: &Components, metric: Metric) -> Result<Vec<Bridge>> {
    let n = x.nrows();
    if comps.labels.len() != n {
        return Err(GraphError::InvalidParameter(format!(
            "{} component labels for {n} points",
            comps.labels.len()
        )));
    }
    let c = comps.count;
    if c <= 1 {
        return Ok(Vec::new());
    }
    if c > MAX_BRIDGED_COMPONENTS {
        return Err(GraphError::InvalidParameter(format!(
            "{c} components are too many to connect (at most {MAX_BRIDGED_COMPONENTS}); increase k"
        )));
    }
    let d = x.ncols();
    let mut rows = vec![0.0f64; n * d];
    for (col, v) in x.column_iter().enumerate() {
        for (r, &a) in v.iter().enumerate() {
            rows[r * d + col] = a;
        }
    }
    if metric == Metric::Cosine {
        for row in rows.chunks_mut(d) {
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|v| *v /= norm);
            }
        }
    }
    let dist = |i: usize, j: usize| {
        metric.distance_from_squared(squared_distance(
            &rows[i * d..(i + 1) * d],
            &rows[j * d..(j + 1) * d],
        ))
    };
    // Closest pair for every pair of components (a < b).
    let mut best = vec![(f64::INFINITY, 0usize, 0usize); c * c];
    let labels = &comps.labels;
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (labels[i], labels[j]);
            if a == b {
                continue;
            }
            let slot = if a < b { a * c + b } else { b * c + a };
            let v = dist(i, j);
            if v < best[slot].0 {
                best[slot] = (v, i, j);
            }
        }
    }
    let mut candidates: Vec<(f64, usize, usize, usize, usize)> = Vec::new();
    for a in 0..c {
        for b in a + 1..c {
            let (v, i, j) = best[a * c + b];
            if v.is_finite() {
                candidates.push((v, a, b, i, j));
            }
        }
    }
    candidates.sort_by(|p, q| p.0.total_cmp(&q.0).then((p.3, p.4).cmp(&(q.3, q.4))));
    let mut uf = UnionFind::<usize>::new(c);
    let mut out = Vec::with_capacity(c - 1);
    for (v, a, b, i, j) in candidates {
        if uf.union(a, b) {
            out.push(Bridge { i, j, distance: v });
            if out.len() == c - 1 {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparse::components_dense;

    #[test]
    fn three_clusters_on_a_line_get_the_two_short_gaps() {
        // Clusters {0, 1}, {10, 11}, {30}: the bridges are 1–10 and 11–30.
        let x = DMatrix::from_column_slice(5, 1, &[0.0, 1.0, 10.0, 11.0, 30.0]);
        let mut w = DMatrix::zeros(5, 5);
        for (i, j) in [(0, 1), (2, 3)] {
            w[(i, j)] = 1.0;
            w[(j, i)] = 1.0;
        }
        let comps = components_dense(&w);
        assert_eq!(comps.count, 3);
        assert_eq!(comps.isolated, vec![4]);
        let b = bridge_edges(&x, &comps, Metric::Euclidean).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].i, b[0].j, b[0].distance), (1, 2, 9.0));
        assert_eq!((b[1].i, b[1].j, b[1].distance), (3, 4, 19.0));
    }

    #[test]
    fn connected_graphs_need_no_bridge() {
        let x = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
        let w = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
        assert!(
            bridge_edges(&x, &components_dense(&w), Metric::Euclidean)
                .unwrap()
                .is_empty()
        );
    }
}
