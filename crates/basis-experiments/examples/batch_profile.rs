//! Times BASiS's per-iteration batch preparation on a feature matrix (one point
//! per row, `.npy`): batches of `m` random rows → 50-NN graph and `L_N` →
//! K eigenvectors, by stage, with the solver's product count; the time a
//! trainer's worker spends before the network can step.
//!
//! ```sh
//! cargo run --release -p basis-experiments --example batch_profile -- \
//!     results/basis-fashion-mnist/features/train_features.npy 300
//! ```
//! Arguments: features, batches (default 300), then optionally the Lanczos
//! tolerance (default 1e-8), basis size (default 0 = automatic) and `noverify`.

use basis_data::npy::read_npy;
use basis_graph::{BatchGraphParams, KnnParams, LaplacianKind};
use basis_spectral::{BatchEmbedder, EmbeddingParams, SolverParams, laplacian_eigenmap_csr};
use rand::{SeedableRng, seq::index::sample};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let x = read_npy(
        args.first()
            .ok_or("usage: batch_profile FEATURES.npy [BATCHES] [TOL] [KRYLOV_DIM] [noverify]")?,
    )?;
    let batches: usize = args.get(1).map_or(Ok(300), |s| s.parse())?;
    let tol: f64 = args.get(2).map_or(Ok(1e-8), |s| s.parse())?;
    let krylov_dim: usize = args.get(3).map_or(Ok(0), |s| s.parse())?;
    let verify = args.get(4).map(String::as_str) != Some("noverify");
    let graph = BatchGraphParams {
        knn: KnnParams {
            k: 50,
            threads: 1,
            ..Default::default()
        },
        laplacian: LaplacianKind::SymmetricNormalized,
        allow_disconnected: true,
        ..Default::default()
    };
    let params = EmbeddingParams {
        k: 10,
        drop_trivial: false,
        solver: SolverParams {
            tol,
            krylov_dim,
            verify,
            ..Default::default()
        },
    };
    let mut embedder = BatchEmbedder::new(graph, params)?;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (mut knn, mut g, mut eig, mut all) = (vec![], vec![], vec![], vec![]);
    for _ in 0..batches {
        let rows = sample(&mut rng, x.nrows(), 512).into_vec();
        let xb = x.select_rows(&rows);
        let t = Instant::now();
        embedder.embed(&xb)?;
        all.push(t.elapsed().as_secs_f64());
        let s = embedder.timings();
        knn.push(s.knn_seconds);
        g.push(s.graph_seconds);
        eig.push(s.eigen_seconds);
    }
    // Products of one solve, on the last batch's graph.
    let last = embedder.graph().ok_or("no batch")?;
    let (_, stats) =
        laplacian_eigenmap_csr(&last.affinity, last.kind, embedder.params(), &mut |_| {})?;
    println!(
        "last batch: {} products, {} restarts",
        stats.matvecs, stats.restarts
    );
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2] * 1e3
    };
    println!(
        "tol {tol:e}, basis {krylov_dim}, verify {verify}: medians kNN {:.3} ms, graph {:.3} ms, eigen {:.3} ms, all {:.3} ms",
        med(&mut knn),
        med(&mut g),
        med(&mut eig),
        med(&mut all)
    );
    Ok(())
}
