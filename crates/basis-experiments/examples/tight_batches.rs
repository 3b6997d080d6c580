//! Diagnostics of Algorithm 1's batch targets on tight clusters (no network): the reference
//! batch's eigenvalues from the batch solver beside the dense solver's, then ten batches aligned
//! onto it with RANSAC (components, λ_K, condition, inlier fraction, anchor residual, target
//! size). This is how the missed eigenvalues of issue 25 were found (`docs/tight-clusters.md`).
//!
//! `cargo run --release -p basis-experiments --example tight_batches -- [SPREAD] [drop]`
use basis_align::{AlignConfig, BatchAligner};
use basis_data::clusters::{SubspaceBlobsParams, subspace_blobs};
use basis_data::sampling::{BatchSampler, sample_anchors_per_class};
use basis_graph::BatchGraphParams;
use basis_spectral::{BatchEmbedder, EmbeddingParams};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() {
    let spread: f64 = std::env::args()
        .nth(1)
        .map_or(0.035, |s| s.parse().unwrap());
    let drop: bool = std::env::args().nth(2).is_some_and(|s| s == "drop");
    let (train, _) = subspace_blobs(&SubspaceBlobsParams {
        spread,
        ..Default::default()
    })
    .unwrap();
    let graph = BatchGraphParams {
        allow_disconnected: true,
        ..BatchGraphParams::paper_table1()
    };
    let emb = EmbeddingParams {
        k: 10,
        drop_trivial: drop,
        ..Default::default()
    };
    let mut e = BatchEmbedder::new(graph, emb).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let anchors = sample_anchors_per_class(&train.labels, 25, &mut rng).unwrap();
    let mut s = BatchSampler::new(train.len(), anchors.clone()).unwrap();
    let b = s.draw(512 - 250, &mut rng).unwrap();
    let r = e.embed(&train.features.select_rows(&b)).unwrap();
    println!(
        "ref comps {} eig {:.3e}",
        e.graph().map_or(0, |g| g.components),
        r.values.transpose()
    );
    let dense = EmbeddingParams {
        solver: basis_spectral::SolverParams {
            method: basis_spectral::EigenMethod::Dense,
            ..Default::default()
        },
        ..emb
    };
    let mut ed = BatchEmbedder::new(graph, dense).unwrap();
    let rd = ed.embed(&train.features.select_rows(&b)).unwrap();
    println!("dense eig {:.3e}", rd.values.transpose());
    let last = ed.graph().expect("the batch was embedded");
    let laplacian = basis_graph::laplacian(&basis_graph::csr_to_dense(&last.affinity), last.kind)
        .expect("a valid affinity");
    let all = basis_spectral::dense::symmetric_eigen_dense(
        &laplacian,
        14,
        basis_spectral::dense::Which::Smallest,
    )
    .unwrap();
    println!("dense 14 {:.3e}", all.values.transpose());
    let refa = r.coords.rows(0, 250).into_owned();
    let sv = refa.clone().svd(false, false).singular_values;
    println!("ref anchor sv {:.3e}", sv);
    let mut al = BatchAligner::new(refa, AlignConfig::default()).unwrap();
    let rows: Vec<usize> = (0..250).collect();
    for it in 0..10 {
        let b = s.draw(512 - 250, &mut rng).unwrap();
        let r = e.embed(&train.features.select_rows(&b)).unwrap();
        let comps = e.graph().map_or(0, |g| g.components);
        match al.align(&r.coords, &rows) {
            Ok(a) => {
                let maxabs = a.coords.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let fresh_rms = (a.coords.rows(250, 262).norm_squared() / 262.0).sqrt();
                println!(
                    "it {it} comps {comps} lam10 {:.2e} lam11? cond {:.2e} inl {:.2} res {:.3e} max|t| {:.3e} fresh-rms {:.3e}",
                    r.values[9],
                    a.fit.condition,
                    a.inlier_fraction(),
                    a.fit.rms_residual(),
                    maxabs,
                    fresh_rms
                );
            }
            Err(err) => println!("it {it} comps {comps} error {err}"),
        }
    }
}
