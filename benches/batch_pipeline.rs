//! Criterion benchmark of one BASiS batch (pure Rust, no libtorch): the demo's
//! 265-point three-moons batch through kNN + affinity + Laplacian, the K = 2
//! eigenmap, and the anchor alignment. Run with `cargo bench --bench batch_pipeline`.

use basis::align::{AffineFitParams, fit_affine};
use basis::data::toy::{ToyParams, three_moons};
use basis::graph::{AffinityParams, BatchGraphParams, KnnParams, Scale, batch_graph};
use basis::spectral::{EmbeddingParams, laplacian_eigenmap};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let data = three_moons(&ToyParams {
        n_samples: 265,
        noise: 0.05,
        seed: 0,
    })
    .unwrap();
    let params = BatchGraphParams {
        knn: KnnParams {
            k: 10,
            ..Default::default()
        },
        affinity: AffinityParams {
            scale: Scale::Local(7),
            ..Default::default()
        },
        allow_disconnected: true,
        ..Default::default()
    };
    let emb = EmbeddingParams {
        k: 2,
        drop_trivial: true,
        ..Default::default()
    };
    let mut group = c.benchmark_group("batch_265_three_moons");
    group.bench_function("graph (kNN + affinity + L)", |b| {
        b.iter(|| batch_graph(black_box(&data.features), &params).unwrap())
    });
    let g = batch_graph(&data.features, &params).unwrap();
    group.bench_function("eigenmap K=2 (dense, faer)", |b| {
        b.iter(|| laplacian_eigenmap(black_box(&g), &emb).unwrap())
    });
    let e = laplacian_eigenmap(&g, &emb).unwrap();
    // 3 anchors per moon (the toy is ordered by class: classes start at rows 0, 89 and 177).
    let src = e.coords.select_rows(&[0, 1, 2, 89, 90, 91, 177, 178, 179]);
    let tgt = &src * 1.1;
    group.bench_function("affine fit, 9 anchors", |b| {
        b.iter(|| fit_affine(black_box(&src), &tgt, &AffineFitParams::default()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
