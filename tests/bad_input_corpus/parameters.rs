//! Parameter structs out of range, one per algorithm of the pure crates.

use super::*;

/// Hand-built structs and parameter checks.
pub(super) fn struct_and_parameter_cases(out: &mut Vec<Case>) {
    let knn = |n: usize, k: usize, idx: Vec<usize>, d: Vec<f64>| KnnGraph {
        n,
        k,
        indices: idx,
        distances: d,
    };
    let graphs: Vec<(&str, KnnGraph, Expect)> = vec![
        ("n = 0", knn(0, 1, vec![], vec![]), Expect::Err(&["Empty"])),
        (
            "k = 0",
            knn(3, 0, vec![], vec![]),
            Expect::Err(&["InvalidK"]),
        ),
        (
            "k = n",
            knn(2, 2, vec![1, 0, 0, 1], vec![1.0; 4]),
            Expect::Err(&["InvalidK"]),
        ),
        (
            "short arrays",
            knn(3, 1, vec![1, 0], vec![1.0; 3]),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "index out of range",
            knn(3, 1, vec![1, 0, 9], vec![1.0; 3]),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "self neighbour",
            knn(3, 1, vec![0, 0, 1], vec![1.0; 3]),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "NaN distance",
            knn(3, 1, vec![1, 0, 1], vec![1.0, f64::NAN, 1.0]),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "negative distance",
            knn(3, 1, vec![1, 0, 1], vec![1.0, -1.0, 1.0]),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "unsorted distances",
            knn(
                3,
                2,
                vec![1, 2, 0, 2, 0, 1],
                vec![2.0, 1.0, 1.0, 2.0, 1.0, 2.0],
            ),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "n·k overflowing",
            knn(usize::MAX, 2, vec![], vec![]),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "a good one",
            knn(3, 1, vec![1, 0, 1], vec![1.0, 1.0, 1.0]),
            Expect::Ok,
        ),
    ];
    for (name, g, e) in graphs {
        out.push(case(
            format!("gaussian_affinity_dense: KnnGraph {name}"),
            e,
            move || finite(gaussian_affinity_dense(&g, &AffinityParams::default())),
        ));
    }
    let maps: Vec<(&str, AffineMap, Expect)> = vec![
        (
            "3×3 linear, 2 translation",
            AffineMap {
                linear: DMatrix::identity(3, 3),
                translation: DVector::zeros(2),
            },
            Expect::Err(&["DimensionMismatch"]),
        ),
        (
            "2×3 linear",
            AffineMap {
                linear: DMatrix::identity(2, 3),
                translation: DVector::zeros(2),
            },
            Expect::Err(&["DimensionMismatch"]),
        ),
        (
            "NaN translation",
            AffineMap {
                linear: DMatrix::identity(3, 3),
                translation: DVector::from_element(3, f64::NAN),
            },
            Expect::Err(&["NonFinite"]),
        ),
        ("identity", AffineMap::identity(3), Expect::Ok),
    ];
    for (name, m, e) in maps {
        out.push(case(format!("AffineMap::apply: {name}"), e, move || {
            finite(m.apply(&good()))
        }));
    }
    out.push(case(
        "AffineMap::apply: coordinates of another dimension",
        Expect::Err(&["DimensionMismatch"]),
        || finite(AffineMap::identity(2).apply(&good())),
    ));
    // Parameter structs: each invalid value is refused by the function that takes it.
    let x = good();
    let param_cases: Vec<(&str, Run, Expect)> = vec![
        (
            "knn k = 0",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(knn_exact(
                        &x,
                        &KnnParams {
                            k: 0,
                            ..KnnParams::default()
                        },
                    ))
                }
            }),
            Expect::Err(&["InvalidK"]),
        ),
        (
            "knn k = n",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(knn_exact(
                        &x,
                        &KnnParams {
                            k: N,
                            ..KnnParams::default()
                        },
                    ))
                }
            }),
            Expect::Err(&["InvalidK"]),
        ),
        (
            "knn k = usize::MAX",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(knn_exact(
                        &x,
                        &KnnParams {
                            k: usize::MAX,
                            ..KnnParams::default()
                        },
                    ))
                }
            }),
            Expect::Err(&["InvalidK"]),
        ),
        (
            "hnsw ef_search = 0",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(knn_hnsw(
                        &x,
                        &HnswParams {
                            k: 5,
                            ef_search: 0,
                            ..HnswParams::default()
                        },
                    ))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "hnsw max_connections = 10⁶",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(knn_hnsw(
                        &x,
                        &HnswParams {
                            k: 5,
                            max_connections: 1_000_000,
                            ..HnswParams::default()
                        },
                    ))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "fixed σ = 0",
            Box::new({
                let x = x.clone();
                move || {
                    let mut g = small_graph();
                    g.affinity.scale = Scale::Fixed(0.0);
                    outcome(batch_graph(&x, &g))
                }
            }),
            Expect::Err(&["ZeroScale", "InvalidParameter"]),
        ),
        (
            "fixed σ = NaN",
            Box::new({
                let x = x.clone();
                move || {
                    let mut g = small_graph();
                    g.affinity.scale = Scale::Fixed(f64::NAN);
                    outcome(batch_graph(&x, &g))
                }
            }),
            Expect::Err(&["ZeroScale", "InvalidParameter"]),
        ),
        (
            "fixed σ = 1e-300 (every weight underflows)",
            Box::new({
                let x = x.clone();
                move || {
                    let mut g = small_graph();
                    g.affinity.scale = Scale::Fixed(1e-300);
                    outcome(batch_graph(&x, &g))
                }
            }),
            Expect::Err(&["IsolatedNode", "Disconnected"]),
        ),
        (
            "embedding K = 0",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(embed_batch(
                        &x,
                        &small_graph(),
                        &EmbeddingParams {
                            k: 0,
                            ..small_embedding()
                        },
                    ))
                }
            }),
            Expect::Err(&["ZeroEigenvectors", "InvalidParameter"]),
        ),
        (
            "embedding K = n",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(embed_batch(
                        &x,
                        &small_graph(),
                        &EmbeddingParams {
                            k: N,
                            ..small_embedding()
                        },
                    ))
                }
            }),
            Expect::Err(&["TooManyEigenvectors"]),
        ),
        (
            "embedding K = n on a connected graph",
            Box::new(|| {
                let x = basis::data::toy::three_moons(&basis::data::toy::ToyParams {
                    n_samples: 60,
                    ..Default::default()
                })
                .unwrap()
                .features;
                let mut g = small_graph();
                g.knn.k = 20;
                outcome(embed_batch(
                    &x,
                    &g,
                    &EmbeddingParams {
                        k: 60,
                        ..small_embedding()
                    },
                ))
            }),
            Expect::Err(&["TooManyEigenvectors"]),
        ),
        (
            "kmeans k = 0",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(kmeans(
                        &x,
                        &KMeansParams {
                            k: 0,
                            ..KMeansParams::default()
                        },
                    ))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "kmeans k > n",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(kmeans(
                        &x,
                        &KMeansParams {
                            k: N + 1,
                            ..KMeansParams::default()
                        },
                    ))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "kmeans tol NaN",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(kmeans(
                        &x,
                        &KMeansParams {
                            k: 3,
                            tol: f64::NAN,
                            ..KMeansParams::default()
                        },
                    ))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "kmeans n_init = 0",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(kmeans(
                        &x,
                        &KMeansParams {
                            k: 3,
                            n_init: 0,
                            ..KMeansParams::default()
                        },
                    ))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "probe learning rate NaN",
            Box::new({
                let x = x.clone();
                move || {
                    let y = labels();
                    let p = LinearProbeParams {
                        learning_rate: f64::NAN,
                        ..LinearProbeParams::default()
                    };
                    outcome(linear_probe_accuracy(&x, &y, &x, &y, &p))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "probe learning rate -1",
            Box::new({
                let x = x.clone();
                move || {
                    let y = labels();
                    let p = LinearProbeParams {
                        learning_rate: -1.0,
                        ..LinearProbeParams::default()
                    };
                    outcome(linear_probe_accuracy(&x, &y, &x, &y, &p))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "probe epochs = 0",
            Box::new({
                let x = x.clone();
                move || {
                    let y = labels();
                    let p = LinearProbeParams {
                        epochs: 0,
                        ..LinearProbeParams::default()
                    };
                    outcome(linear_probe_accuracy(&x, &y, &x, &y, &p))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "probe single class",
            Box::new({
                let x = x.clone();
                move || {
                    outcome(linear_probe_accuracy(
                        &x,
                        &[0; N],
                        &x,
                        &[0; N],
                        &LinearProbeParams::default(),
                    ))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "probe test dimension differs",
            Box::new({
                let x = x.clone();
                move || {
                    let y = labels();
                    let t = x.columns(0, 2).into_owned();
                    outcome(linear_probe_accuracy(
                        &x,
                        &y,
                        &t,
                        &y,
                        &LinearProbeParams::default(),
                    ))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "ransac iterations 0",
            Box::new({
                let x = x.clone();
                move || {
                    let p = RansacParams {
                        iterations: 0,
                        ..RansacParams::default()
                    };
                    outcome(fit_ransac(
                        &x,
                        &x,
                        AlignModel::Affine,
                        &AffineFitParams::default(),
                        &p,
                        &mut ChaCha8Rng::seed_from_u64(0),
                    ))
                }
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "rcond 0",
            Box::new({
                let x = x.clone();
                move || outcome(fit_affine(&x, &x, &AffineFitParams { rcond: 0.0 }))
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "rcond NaN",
            Box::new({
                let x = x.clone();
                move || outcome(fit_affine(&x, &x, &AffineFitParams { rcond: f64::NAN }))
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "aligner: anchor row out of range",
            Box::new({
                let x = x.clone();
                move || {
                    let mut a = BatchAligner::new(x.clone(), AlignConfig::default()).unwrap();
                    let mut rows: Vec<usize> = (0..N).collect();
                    rows[3] = 10 * N;
                    outcome(a.align(&x, &rows))
                }
            }),
            Expect::Err(&["InvalidParameter", "DimensionMismatch"]),
        ),
        (
            "aligner: fewer anchor rows than reference anchors",
            Box::new({
                let x = x.clone();
                move || {
                    let mut a = BatchAligner::new(x.clone(), AlignConfig::default()).unwrap();
                    outcome(a.align(&x, &[0, 1, 2]))
                }
            }),
            Expect::Err(&["InvalidParameter", "DimensionMismatch"]),
        ),
        (
            "diffusion t = NaN",
            Box::new(|| {
                let p = DiffusionParams {
                    k: 2,
                    t: f64::NAN,
                    ..DiffusionParams::default()
                };
                outcome(diffusion_map(&good_w(), &p))
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "diffusion alpha = 2",
            Box::new(|| {
                let p = DiffusionParams {
                    k: 2,
                    alpha: 2.0,
                    ..DiffusionParams::default()
                };
                outcome(diffusion_map(&good_w(), &p))
            }),
            Expect::Err(&["InvalidParameter"]),
        ),
    ];
    for (name, run, e) in param_cases {
        out.push(case(format!("parameters: {name}"), e, run));
    }
}
