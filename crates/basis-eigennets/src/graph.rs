//! Sparse neighbour aggregation: the mean over each node's neighbours as a sparse libtorch
//! tensor, so a layer costs O(edges · k) and no dense n × n adjacency exists.

use crate::error::{EigenNetError, Result};
use basis_data::random_graphs::UndirectedGraph;
use tch::{Device, Kind, Tensor};

/// `M` with `(M X)_i = mean_{j ~ i} X_j` (no self-loops; an isolated node gets 0), as a sparse
/// COO tensor of `kind` (rows sum to 1 except isolated nodes).
pub fn neighbour_mean(g: &UndirectedGraph, kind: Kind) -> Result<Tensor> {
    if g.edges.is_empty() {
        return Err(EigenNetError::NoEdges(g.n));
    }
    let deg = g.degrees();
    let nnz = 2 * g.edges.len();
    let mut rows = Vec::with_capacity(nnz);
    let mut cols = Vec::with_capacity(nnz);
    let mut vals = Vec::with_capacity(nnz);
    for &(a, b) in &g.edges {
        for (i, j) in [(a, b), (b, a)] {
            rows.push(i as i64);
            cols.push(j as i64);
            vals.push(1.0 / deg[i] as f64);
        }
    }
    Ok(sparse_coo(g.n, rows, cols, &vals, kind))
}

/// An n × n sparse COO tensor of `kind` from (row, column, value) lists, coalesced
/// (duplicates summed).
pub fn sparse_coo(n: usize, rows: Vec<i64>, cols: Vec<i64>, vals: &[f64], kind: Kind) -> Tensor {
    let nnz = vals.len() as i64;
    let mut idx = rows;
    idx.extend(cols);
    Tensor::sparse_coo_tensor_indices_size(
        &Tensor::from_slice(&idx).view([2, nnz]),
        &Tensor::from_slice(vals).to_kind(kind),
        [n as i64, n as i64],
        (kind, Device::Cpu),
        false,
    )
    .coalesce()
}
