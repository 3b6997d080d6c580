//! Property tests: extreme finite values in random arrangements never panic and give finite results or typed errors.

use super::*;

/// Extreme finite values in random arrangements: magnitudes from subnormal to 1e300, both
/// signs, zeros, duplicates and constant columns (values are drawn from a small pool, so rows
/// and columns repeat).
pub(super) fn extreme_matrix() -> impl proptest::strategy::Strategy<Value = DMatrix<f64>> {
    use proptest::prelude::*;
    let pool = prop::sample::select(vec![
        0.0, 1e-310, -1e-310, 1e-300, -1e-300, 1.0, -2.5, 3.0, 1e150, -1e150, 1e300, -1e300,
    ]);
    (6usize..24, 1usize..4, any::<bool>()).prop_flat_map(move |(n, d, constant_col)| {
        prop::collection::vec(pool.clone(), n * d).prop_map(move |v| {
            let mut m = DMatrix::from_vec(n, d, v);
            if constant_col {
                m.column_mut(0).fill(1e300);
            }
            m
        })
    })
}

/// Every numerical entry point on such a matrix, on a watchdog thread: a typed error or a
/// result with the documented property (finite, in range); never a panic, a hang or NaN.
pub(super) fn check_extreme(x: DMatrix<f64>) -> Result<(), String> {
    let runs: Vec<(&str, Run)> = vec![
        (
            "knn_exact",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(knn_exact(
                        &x,
                        &KnnParams {
                            k: 3,
                            ..KnnParams::default()
                        },
                    ))
                }
            }),
        ),
        (
            "knn_hnsw",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(knn_hnsw(
                        &x,
                        &HnswParams {
                            k: 3,
                            ..HnswParams::default()
                        },
                    ))
                }
            }),
        ),
        (
            "embed_batch",
            Box::new({
                let x = x.clone();
                move || {
                    let mut g = small_graph();
                    g.knn.k = 3;
                    g.allow_disconnected = true;
                    g.affinity.scale = Scale::Local(3);
                    finite(
                        embed_batch(
                            &x,
                            &g,
                            &EmbeddingParams {
                                k: 1,
                                ..small_embedding()
                            },
                        )
                        .map(|e| e.coords),
                    )
                }
            }),
        ),
        (
            "kmeans",
            Box::new({
                let x = x.clone();
                move || {
                    finite(
                        kmeans(
                            &x,
                            &KMeansParams {
                                k: 2,
                                ..KMeansParams::default()
                            },
                        )
                        .map(|r| r.centroids),
                    )
                }
            }),
        ),
        (
            "orthonormal_basis",
            Box::new({
                let x = x.clone();
                move || finite(orthonormal_basis(&x))
            }),
        ),
        (
            "orthogonality",
            Box::new({
                let x = x.clone();
                move || within(orthogonality(&x, ColumnScaling::UnitNorm), 0.0..=f64::MAX)
            }),
        ),
        (
            "grassmann_distance",
            Box::new({
                let x = x.clone();
                move || within(grassmann_distance(&x, &x), -1e-9..=4.0)
            }),
        ),
        (
            "fit_affine",
            Box::new({
                let x = x.clone();
                move || {
                    finite(fit_affine(&x, &x, &AffineFitParams::default()).map(|f| f.map.linear))
                }
            }),
        ),
        (
            "fit_ransac",
            Box::new({
                let x = x.clone();
                move || {
                    let mut rng = ChaCha8Rng::seed_from_u64(0);
                    finite(
                        fit_ransac(
                            &x,
                            &x,
                            AlignModel::Similarity,
                            &AffineFitParams::default(),
                            &RansacParams::default(),
                            &mut rng,
                        )
                        .map(|f| f.fit.map.linear),
                    )
                }
            }),
        ),
        (
            "linear_probe_accuracy",
            Box::new({
                let x = x.clone();
                move || {
                    let y: Vec<usize> = (0..x.nrows()).map(|i| i % 2).collect();
                    let p = LinearProbeParams {
                        epochs: 5,
                        ..LinearProbeParams::default()
                    };
                    within(linear_probe_accuracy(&x, &y, &x, &y, &p), 0.0..=1.0)
                }
            }),
        ),
        (
            "symmetric_eigen_dense of XXᵀ/‖X‖²",
            Box::new({
                let x = x.clone();
                move || {
                    let s = x.amax().max(f64::MIN_POSITIVE);
                    let z = &x / s;
                    finite(
                        symmetric_eigen_dense(&(&z * z.transpose()), 2, Which::Largest)
                            .map(|e| e.vectors),
                    )
                }
            }),
        ),
    ];
    run_guarded(runs)
}

/// Runs each entry point on its own thread under a 30 s watchdog: the first panic, hang or
/// wrong result, by name.
pub(super) fn run_guarded(runs: Vec<(&str, Run)>) -> Result<(), String> {
    for (name, run) in runs {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(run());
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Got::Wrong(w)) => return Err(format!("{name}: {w}")),
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(format!("{name}: panicked")),
            Err(mpsc::RecvTimeoutError::Timeout) => return Err(format!("{name}: hung")),
        }
    }
    Ok(())
}

/// Symmetric affinities with zero diagonal whose weights come from a pool of extreme finite
/// magnitudes (zeros too, so nodes may be isolated and graphs disconnected).
pub(super) fn extreme_affinity() -> impl proptest::strategy::Strategy<Value = DMatrix<f64>> {
    use proptest::prelude::*;
    let pool = prop::sample::select(vec![0.0, 1e-310, 1e-300, 1.0, 3.0, 1e150, 1e300]);
    (3usize..12).prop_flat_map(move |n| {
        prop::collection::vec(pool.clone(), n * n).prop_map(move |v| {
            DMatrix::from_fn(n, n, |i, j| match i.cmp(&j) {
                std::cmp::Ordering::Equal => 0.0,
                std::cmp::Ordering::Less => v[i * n + j],
                std::cmp::Ordering::Greater => v[j * n + i],
            })
        })
    })
}

/// The graph operators and the dense eigensolver on such an affinity, on a watchdog thread.
pub(super) fn check_extreme_affinity(w: DMatrix<f64>) -> Result<(), String> {
    let runs: Vec<(&str, Run)> = vec![
        (
            "normalized_laplacian",
            Box::new({
                let w = w.clone();
                move || finite(normalized_laplacian(&w))
            }),
        ),
        (
            "unnormalized_laplacian",
            Box::new({
                let w = w.clone();
                move || finite(unnormalized_laplacian(&w))
            }),
        ),
        (
            "random_walk",
            Box::new({
                let w = w.clone();
                move || finite(random_walk(&w, RandomWalkSide::Row))
            }),
        ),
        (
            "diffusion_map",
            Box::new({
                let w = w.clone();
                move || {
                    let p = DiffusionParams {
                        k: 1,
                        ..DiffusionParams::default()
                    };
                    finite(diffusion_map(&w, &p).map(|d| d.coords))
                }
            }),
        ),
        (
            "symmetric_eigen_dense",
            Box::new({
                let w = w.clone();
                move || finite(symmetric_eigen_dense(&w, 2, Which::Smallest).map(|e| e.vectors))
            }),
        ),
    ];
    run_guarded(runs)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]
    #[test]
    fn extreme_finite_values_never_panic_hang_or_give_nan(x in extreme_matrix()) {
        let r = check_extreme(x.clone());
        proptest::prop_assert!(r.is_ok(), "{:?} on {}", r, x);
    }

    #[test]
    fn extreme_affinities_never_panic_hang_or_give_nan(w in extreme_affinity()) {
        let r = check_extreme_affinity(w.clone());
        proptest::prop_assert!(r.is_ok(), "{:?} on {}", r, w);
    }
}
