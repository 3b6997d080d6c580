//! Criterion benchmark of the eigensolvers on synthetic clustered data (no
//! dataset needed): K = 10 eigenpairs (+ the trivial one) of L_N of a
//! 512-point 50-NN batch graph, dense (faer, full decomposition) against
//! Lanczos on the graph's non-zeros; and the sparse solve of a 10,000-point
//! graph. The Fashion-MNIST figures beside scipy come from
//! `cargo xtask sweep spectral`. Run with `cargo bench --bench spectral`.

use basis::graph::{
    AffinityParams, BatchGraphParams, KnnParams, LaplacianKind, batch_graph, knn_affinity,
    knn_exact,
};
use basis::spectral::{
    CsrOperator, EigenMethod, EmbeddingParams, SolverParams, SymmetricOperator, ValuePrecision,
    laplacian_eigenmap, laplacian_eigenmap_csr,
};
use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;

/// Points around 10 Gaussian centres (`spread` apart in each coordinate), like
/// class clusters of a feature embedding.
fn clustered(n: usize, d: usize, spread: f64, seed: u64) -> DMatrix<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres = DMatrix::from_fn(10, d, |_, _| {
        let v: f64 = StandardNormal.sample(&mut rng);
        spread * v
    });
    DMatrix::from_fn(n, d, |i, j| {
        let v: f64 = StandardNormal.sample(&mut rng);
        centres[(i % 10, j)] + v
    })
}

fn params(method: EigenMethod) -> EmbeddingParams {
    EmbeddingParams {
        k: 10,
        drop_trivial: true,
        solver: SolverParams {
            method,
            ..Default::default()
        },
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_512_knn50_LN_K10");
    let graph = BatchGraphParams {
        knn: KnnParams {
            k: 50,
            ..Default::default()
        },
        laplacian: LaplacianKind::SymmetricNormalized,
        ..Default::default()
    };
    let g = batch_graph(&clustered(512, 16, 1.5, 1), &graph).unwrap();
    for method in [EigenMethod::Lanczos, EigenMethod::Dense] {
        group.bench_function(format!("{method:?}"), |b| {
            b.iter(|| laplacian_eigenmap(black_box(&g), &params(method)).unwrap())
        });
    }
    // The cost of the missed-copy check (`SolverParams::verify`, on by default).
    let mut unchecked = params(EigenMethod::Lanczos);
    unchecked.solver.verify = false;
    group.bench_function("Lanczos without the missed-copy check", |b| {
        b.iter(|| laplacian_eigenmap(black_box(&g), &unchecked).unwrap())
    });
    group.finish();

    // The sparse solve and, beside it, one product with the symmetric affinity
    // (upper triangle stored; the step every Lanczos iteration takes), at the
    // sizes of Fashion-MNIST's test and training sets. Products serial and on
    // two threads, in the kNN order and after the bandwidth-reducing
    // reordering.
    for (n, seed) in [(10_000, 2), (60_000, 3)] {
        let x = clustered(n, 32, 0.5, seed);
        let knn = knn_exact(
            &x,
            &KnnParams {
                k: 50,
                ..Default::default()
            },
        )
        .unwrap();
        let w = knn_affinity(&knn, &AffinityParams::default()).unwrap();
        let mut group = c.benchmark_group(format!("graph_{n}_knn50_LN_K10"));
        group.sample_size(10);
        let mut p = params(EigenMethod::Lanczos);
        p.drop_trivial = false;
        p.solver.tol = 1e-6;
        group.bench_function("Lanczos tol 1e-6 (operator + solve)", |b| {
            b.iter(|| {
                laplacian_eigenmap_csr(
                    black_box(&w),
                    LaplacianKind::SymmetricNormalized,
                    &p,
                    &mut |_| {},
                )
                .unwrap()
            })
        });
        group.finish();

        let mut group = c.benchmark_group(format!("csr_operator_apply_{n}_knn50"));
        let xv: Vec<f64> = (0..n).map(|i| ((i % 97) as f64).sin()).collect();
        let mut yv = vec![0.0; n];
        for threads in [1, 2] {
            for reordered in [false, true] {
                for precision in [ValuePrecision::F64, ValuePrecision::F32] {
                    let mut op = CsrOperator::new(&w, threads)
                        .unwrap()
                        .with_value_precision(precision)
                        .unwrap();
                    if reordered {
                        op = op.reordered().unwrap();
                    }
                    // F32: the leading parts only, the product the solver iterates with.
                    let name = format!(
                        "{threads} thread(s), {}, {}",
                        if reordered { "reordered" } else { "kNN order" },
                        match precision {
                            ValuePrecision::F64 => "f64 values",
                            ValuePrecision::F32 => "f32 leading parts",
                        }
                    );
                    let rounded = op.rounded();
                    group.bench_function(name, |b| {
                        b.iter(|| rounded.apply(black_box(&xv), black_box(&mut yv)))
                    });
                }
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
