//! How far from the analytic test eigenspace is a per-cluster constant embedding (what a
//! network that has learned "which cluster" but no within-cluster profile would output)?
use basis_data::clusters::{SubspaceBlobsParams, subspace_blobs};
use basis_graph::{BatchGraphParams, LaplacianKind};
use basis_spectral::{EmbeddingParams, analytic_embedding};
use nalgebra::DMatrix;

fn main() {
    for spread in [0.3, 0.1, 0.035, 0.01, 0.003] {
        for kind in [
            LaplacianKind::SymmetricNormalized,
            LaplacianKind::Unnormalized,
        ] {
            let (_, test) = subspace_blobs(&SubspaceBlobsParams {
                spread,
                ..Default::default()
            })
            .unwrap();
            let graph = BatchGraphParams {
                allow_disconnected: true,
                laplacian: kind,
                ..BatchGraphParams::paper_table1()
            };
            let emb = EmbeddingParams {
                k: 10,
                drop_trivial: false,
                ..Default::default()
            };
            let a = analytic_embedding(&test.features, &graph, &emb).unwrap();
            let ind = DMatrix::from_fn(test.len(), 10, |i, c| {
                f64::from(u8::from(test.labels[i] == c))
            });
            let dg = basis_metrics::grassmann_distance(&ind, &a.embedding.coords).unwrap();
            println!(
                "spread {spread} {kind:?}: λ10 {:.3e} λ(last) d_G(indicators, analytic) = {dg:.4}",
                a.embedding.values[9]
            );
        }
    }
}
