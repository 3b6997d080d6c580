//! Criterion benchmark of the evaluation metrics at Table 1's scale: k-means++ with 10 restarts
//! on 10,000 × 10 points (10 Gaussian clusters), NMI and ACC on 10,000 labels.
//! Run with `cargo bench --bench metrics`. The data are also written to
//! `target/bench-data/metrics_10000x10{,_labels}.npy` so that `scripts/bench_sklearn_metrics.py`
//! can time scikit-learn on exactly the same points.

use basis::data::npy::encode_npy;
use basis::metrics::{KMeansParams, NmiNormalization, clustering_accuracy, kmeans, nmi};
use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::hint::black_box;

const N: usize = 10_000;
const D: usize = 10;
const K: usize = 10;

fn data() -> (DMatrix<f64>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let unit = Normal::new(0.0, 1.0).unwrap();
    let centres = DMatrix::from_fn(K, D, |_, _| 3.0 * unit.sample(&mut rng));
    let labels: Vec<usize> = (0..N).map(|i| i % K).collect();
    let x = DMatrix::from_fn(N, D, |i, j| centres[(labels[i], j)] + unit.sample(&mut rng));
    (x, labels)
}

fn bench(c: &mut Criterion) {
    let (x, labels) = data();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    basis::data::io::write_atomic(dir.join("metrics_10000x10.npy"), &encode_npy(&x)).unwrap();
    let label_col = DMatrix::from_iterator(N, 1, labels.iter().map(|&l| l as f64));
    basis::data::io::write_atomic(
        dir.join("metrics_10000x10_labels.npy"),
        &encode_npy(&label_col),
    )
    .unwrap();

    let mut group = c.benchmark_group("metrics_10000x10");
    group.sample_size(20);
    for threads in [1, 0] {
        let p = KMeansParams {
            k: K,
            n_init: 10,
            threads,
            ..Default::default()
        };
        let name = if threads == 0 {
            "all cores".to_string()
        } else {
            format!("{threads} thread")
        };
        group.bench_function(format!("k-means++ k=10 n_init=10, {name}"), |b| {
            b.iter(|| kmeans(black_box(&x), &p).unwrap())
        });
    }
    let pred = kmeans(
        &x,
        &KMeansParams {
            k: K,
            ..Default::default()
        },
    )
    .unwrap()
    .labels;
    group.bench_function("NMI (max), 10,000 labels", |b| {
        b.iter(|| nmi(black_box(&labels), &pred, NmiNormalization::Max).unwrap())
    });
    group.bench_function("ACC (Kuhn-Munkres), 10,000 labels", |b| {
        b.iter(|| clustering_accuracy(black_box(&labels), &pred).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
