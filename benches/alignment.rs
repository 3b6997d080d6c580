//! Criterion benchmark of the alignment step at the paper's Fashion-MNIST scale: a 512 × 10
//! batch embedding with 250 anchors (25 per class), aligned by plain least squares and by
//! RANSAC with the official code's settings (100 iterations, samples of 20, threshold 0.1).
//! Run with `cargo bench --bench alignment`.

use basis::align::{AffineMap, AlignConfig, AlignModel, BatchAligner, RansacParams};
use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::hint::black_box;

const M: usize = 512;
const K: usize = 10;
const L: usize = 250;

/// Unit-norm-scale coordinates (entries ~ N(0, 1/m)), a reference that is a random affine image
/// of the batch anchors plus noise, and 10 % of the anchors replaced by outliers.
fn problem() -> (DMatrix<f64>, DMatrix<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let unit = Normal::new(0.0, 1.0 / (M as f64).sqrt()).unwrap();
    let batch = DMatrix::from_fn(M, K, |_, _| unit.sample(&mut rng));
    let std = Normal::new(0.0, 1.0).unwrap();
    let map = AffineMap {
        linear: DMatrix::identity(K, K) + DMatrix::from_fn(K, K, |_, _| 0.2 * std.sample(&mut rng)),
        translation: DVector::from_fn(K, |_, _| 0.01 * std.sample(&mut rng)),
    };
    let noise = Normal::new(0.0, 0.002).unwrap();
    let mut reference = map.apply(&batch.rows(0, L).into_owned()).unwrap();
    reference.apply(|v| *v += noise.sample(&mut rng));
    for i in (0..L).step_by(10) {
        reference.row_mut(i).apply(|v| *v += 0.5);
    }
    (batch, reference)
}

fn bench(c: &mut Criterion) {
    let (batch, reference) = problem();
    let rows: Vec<usize> = (0..L).collect();
    let mut group = c.benchmark_group("align_512x10_250_anchors");
    for model in [
        AlignModel::Affine,
        AlignModel::Similarity,
        AlignModel::Orthogonal,
    ] {
        let mut ls = BatchAligner::new(
            reference.clone(),
            AlignConfig {
                model,
                ..AlignConfig::least_squares()
            },
        )
        .unwrap();
        group.bench_function(format!("least squares, {model:?}"), |b| {
            b.iter(|| ls.align(black_box(&batch), &rows).unwrap())
        });
    }
    let ransac = RansacParams {
        iterations: 100,
        confidence: None,
        ..RansacParams::default()
    };
    let mut robust = BatchAligner::new(
        reference.clone(),
        AlignConfig {
            ransac: Some(ransac),
            ..AlignConfig::default()
        },
    )
    .unwrap();
    let check = robust.align(&batch, &rows).unwrap();
    assert!(
        (check.inlier_fraction() - 0.9).abs() < 0.02,
        "{}",
        check.inlier_fraction()
    );
    group.bench_function("RANSAC 100 iterations, samples of 20, Affine", |b| {
        b.iter(|| robust.align(black_box(&batch), &rows).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
