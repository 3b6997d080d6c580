//! Positional encodings: the eigenvectors of the symmetric normalised Laplacian of the training
//! graph with the smallest eigenvalues, the first (trivial, `D^{1/2}1`) dropped, from our
//! Lanczos (`basis_spectral::laplacian_eigenmap_csr`). Sign convention: every column's
//! largest-magnitude entry positive (`basis_spectral::canonicalize_signs`); the benchmark then
//! flips every column's sign at random per trial ([`random_column_signs`]) so that no model can
//! profit from the convention.

use crate::error::{EigenNetError, Result};
use basis_data::random_graphs::UndirectedGraph;
use basis_graph::LaplacianKind;
use basis_spectral::{EmbeddingParams, canonicalize_signs, laplacian_eigenmap_csr};
use nalgebra::DMatrix;
use nalgebra_sparse::{CooMatrix, CsrMatrix};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The unit-weight adjacency of `g` as CSR.
pub fn adjacency_csr(g: &UndirectedGraph) -> CsrMatrix<f64> {
    let mut coo = CooMatrix::new(g.n, g.n);
    for &(a, b) in &g.edges {
        coo.push(a, b, 1.0);
        coo.push(b, a, 1.0);
    }
    CsrMatrix::from(&coo)
}

/// The `k` eigenvectors of `L_N` after the trivial one (n × k), signs canonical.
pub fn laplacian_positional_encoding(g: &UndirectedGraph, k: usize) -> Result<DMatrix<f64>> {
    if g.edges.is_empty() {
        return Err(EigenNetError::NoEdges(g.n));
    }
    if k == 0 || k.saturating_add(1) >= g.n {
        return Err(EigenNetError::Shape(format!(
            "need 1 ≤ k and k + 1 < n eigenvectors, got k = {k} for n = {}",
            g.n
        )));
    }
    let params = EmbeddingParams {
        k,
        drop_trivial: true,
        ..Default::default()
    };
    let (emb, _) = laplacian_eigenmap_csr(
        &adjacency_csr(g),
        LaplacianKind::SymmetricNormalized,
        &params,
        &mut |_| {},
    )
    .map_err(|e| EigenNetError::InvalidConfig(format!("positional encoding: {e}")))?;
    let mut v = emb.coords;
    canonicalize_signs(&mut v);
    Ok(v)
}

/// `v` with every column negated with probability ½ (from `seed`).
pub fn random_column_signs(v: &DMatrix<f64>, seed: u64) -> DMatrix<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = v.clone();
    for mut c in out.column_iter_mut() {
        if rng.random::<bool>() {
            c.neg_mut();
        }
    }
    out
}
