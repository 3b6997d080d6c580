//! Criterion benchmark of graph construction on synthetic data (no dataset
//! needed): the 512-point batch graph per call with a reused builder, and the
//! exact and HNSW 50-NN of 10,000 points in 32 dimensions. The Fashion-MNIST
//! figures beside scikit-learn come from `cargo xtask sweep graph`.
//! Run with `cargo bench --bench graph`.

use basis::graph::{
    BatchGraphBuilder, BatchGraphParams, HnswParams, KnnParams, LaplacianKind, knn_exact, knn_hnsw,
};
use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;

/// Points around 10 Gaussian centres, like class clusters of a feature embedding.
fn clustered(n: usize, d: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres = DMatrix::from_fn(10, d, |_, _| {
        let v: f64 = StandardNormal.sample(&mut rng);
        3.0 * v
    });
    DMatrix::from_fn(n, d, |i, j| {
        let v: f64 = StandardNormal.sample(&mut rng);
        centres[(i % 10, j)] + v
    })
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_graph_512");
    for d in [16, 32, 64] {
        for k in [10, 50] {
            let x = clustered(512, d, d as u64);
            let mut params = BatchGraphParams {
                laplacian: LaplacianKind::SymmetricNormalized,
                allow_disconnected: true,
                ..Default::default()
            };
            params.knn.k = k;
            let mut builder = BatchGraphBuilder::new(params).unwrap();
            group.bench_function(format!("d={d} k={k} (kNN + affinity + L_N)"), |b| {
                b.iter(|| {
                    builder.build(black_box(&x)).unwrap();
                })
            });
        }
    }
    group.finish();

    let x = clustered(10_000, 32, 1);
    let mut group = c.benchmark_group("knn_10000x32_k50");
    group.sample_size(10);
    group.bench_function("exact (blocked f32 GEMM + f64 re-rank)", |b| {
        b.iter(|| {
            knn_exact(
                black_box(&x),
                &KnnParams {
                    k: 50,
                    ..Default::default()
                },
            )
            .unwrap()
        })
    });
    group.bench_function("HNSW build + query (M 24, ef 200/100)", |b| {
        b.iter(|| {
            knn_hnsw(
                black_box(&x),
                &HnswParams {
                    k: 50,
                    ..Default::default()
                },
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
