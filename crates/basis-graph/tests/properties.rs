//! Invariants of the graph crate on random point sets (proptest), and the
//! exact search checked against a naive brute force on both of its paths.

use basis_graph::{
    AffinityParams, BatchGraphBuilder, BatchGraphParams, GraphError, KnnParams, LaplacianKind,
    Metric, RandomWalkSide, Scale, Symmetrize, alpha_normalized_kernel,
    alpha_normalized_kernel_csr, batch_graph, components_csr, csr_to_dense, knn_affinity,
    knn_exact, laplacian_csr, random_walk, random_walk_csr,
};
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use proptest::prelude::*;

fn xorshift_points(n: usize, d: usize, seed: u64) -> DMatrix<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    DMatrix::from_fn(n, d, |_, _| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 10.0 - 5.0
    })
}

/// Naive brute force in f64 straight from the definition.
fn naive_knn(x: &DMatrix<f64>, k: usize, metric: Metric) -> Vec<Vec<(f64, usize)>> {
    let n = x.nrows();
    (0..n)
        .map(|i| {
            let mut all: Vec<(f64, usize)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    let d = match metric {
                        Metric::Euclidean => (x.row(i) - x.row(j)).norm(),
                        Metric::Cosine => {
                            let (a, b) = (x.row(i).norm(), x.row(j).norm());
                            if a == 0.0 || b == 0.0 {
                                1.0
                            } else {
                                1.0 - x.row(i).dot(&x.row(j)) / (a * b)
                            }
                        }
                    };
                    (d, j)
                })
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            all.truncate(k);
            all
        })
        .collect()
}

fn assert_matches_naive(x: &DMatrix<f64>, k: usize, metric: Metric, threads: usize) {
    let g = knn_exact(x, &KnnParams { k, metric, threads }).unwrap();
    let want = naive_knn(x, k, metric);
    for (i, w) in want.iter().enumerate() {
        let idx: Vec<usize> = w.iter().map(|p| p.1).collect();
        assert_eq!(
            g.neighbors(i),
            idx.as_slice(),
            "row {i} ({metric:?}, {threads} threads)"
        );
        for (a, b) in g.neighbor_distances(i).iter().zip(w) {
            assert!(
                (a - b.0).abs() <= 1e-9 * b.0.max(1.0),
                "row {i}: {a} vs {}",
                b.0
            );
        }
    }
}

#[test]
fn tiled_multithreaded_search_equals_naive_brute_force() {
    // 2,600 points: above the batch path's 2,048, so tiles, streaming lists and
    // the merge of two threads' candidates all run.
    let x = xorshift_points(2600, 6, 3);
    assert_matches_naive(&x, 12, Metric::Euclidean, 2);
    assert_matches_naive(&x, 12, Metric::Euclidean, 3);
    // k above a tile's rows: the k-d leaves behind the preset thresholds grow to
    // at least 2(k + 1) points.
    assert_matches_naive(&x, 300, Metric::Euclidean, 2);
    // Cosine on the tiled path, where the preset thresholds come from unit rows.
    assert_matches_naive(&x, 12, Metric::Cosine, 2);
}

#[test]
fn tiled_search_with_massive_ties_breaks_them_by_index() {
    // 2,600 points on only 13 distinct positions: every k-d leaf is full of
    // exact duplicates, so the preset thresholds are the margin alone, and the
    // neighbours are decided by index among hundreds of ties spread over all tiles.
    let base = xorshift_points(13, 5, 21);
    let x = DMatrix::from_fn(2600, 5, |i, j| base[((i * 7) % 13, j)]);
    for threads in [1, 2] {
        assert_matches_naive(&x, 12, Metric::Euclidean, threads);
    }
    assert_matches_naive(&x, 250, Metric::Euclidean, 2);
}

#[test]
fn batch_path_equals_naive_for_both_metrics_and_thread_counts() {
    let mut x = xorshift_points(300, 4, 9);
    x.row_mut(17).fill(0.0); // a zero vector: cosine distance 1 to everything
    for threads in [1, 2] {
        assert_matches_naive(&x, 7, Metric::Euclidean, threads);
        assert_matches_naive(&x, 7, Metric::Cosine, threads);
    }
}

#[test]
fn far_from_origin_and_duplicated_points_stay_exact() {
    // A large common offset: the f32 stage works on centred data, so the
    // neighbours are still exact.
    let mut x = xorshift_points(2300, 3, 5);
    x.add_scalar_mut(1e6);
    for r in 0..50 {
        let src = x.row(r).into_owned();
        x.row_mut(2000 + r).copy_from(&src); // exact duplicates
    }
    assert_matches_naive(&x, 5, Metric::Euclidean, 2);
}

#[test]
fn sparse_and_dense_operators_agree() {
    let x = xorshift_points(120, 3, 11);
    let knn = knn_exact(
        &x,
        &KnnParams {
            k: 8,
            ..Default::default()
        },
    )
    .unwrap();
    for symmetrize in [Symmetrize::Max, Symmetrize::Mean, Symmetrize::Mutual] {
        for scale in [Scale::MedianKth, Scale::Local(7), Scale::Fixed(2.0)] {
            let params = BatchGraphParams {
                knn: KnnParams {
                    k: 8,
                    ..Default::default()
                },
                affinity: AffinityParams { scale, symmetrize },
                laplacian: LaplacianKind::SymmetricNormalized,
                allow_disconnected: true,
                connect_components: false,
            };
            let w_csr = knn_affinity(&knn, &params.affinity).unwrap();
            let comps = components_csr(&w_csr);
            if !comps.isolated.is_empty() {
                continue; // Mutual can isolate nodes; L_N is then undefined on both paths.
            }
            let dense = batch_graph(&x, &params).unwrap();
            assert!((csr_to_dense(&w_csr) - &dense.affinity).abs().max() < 1e-15);
            let l = laplacian_csr(&w_csr, LaplacianKind::SymmetricNormalized).unwrap();
            assert!((csr_to_dense(&l) - &dense.laplacian).abs().max() < 1e-14);
            let p = random_walk_csr(&w_csr, RandomWalkSide::Column).unwrap();
            let pd = random_walk(&dense.affinity, RandomWalkSide::Column).unwrap();
            assert!((csr_to_dense(&p) - pd).abs().max() < 1e-14);
            let a = alpha_normalized_kernel_csr(&w_csr, 0.5).unwrap();
            let ad = alpha_normalized_kernel(&dense.affinity, 0.5).unwrap();
            assert!((csr_to_dense(&a) - ad).abs().max() < 1e-14);
        }
    }
}

#[test]
fn disconnected_batches_error_or_get_the_fewest_bridges() {
    // Two clusters far apart: a 5-NN graph cannot connect them.
    let mut x = xorshift_points(60, 2, 2);
    for r in 30..60 {
        x[(r, 0)] += 1000.0;
    }
    let mut params = BatchGraphParams {
        knn: KnnParams {
            k: 5,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(matches!(
        batch_graph(&x, &params),
        Err(GraphError::Disconnected { count: 2, .. })
    ));
    params.allow_disconnected = true;
    let g = batch_graph(&x, &params).unwrap();
    assert_eq!((g.components, g.bridges.len()), (2, 0));
    params.connect_components = true;
    let mut builder = BatchGraphBuilder::new(params).unwrap();
    let g = builder.build(&x).unwrap().clone();
    assert_eq!(g.components, 2);
    assert_eq!(g.bridges.len(), 1);
    let (i, j) = g.bridges[0];
    assert!((i < 30) != (j < 30), "the bridge joins the two clusters");
    assert!(g.affinity[(i, j)] > 0.0 && g.affinity[(i, j)] == g.affinity[(j, i)]);
    assert_eq!(basis_graph::connected_components(&g.affinity).0, 1);
    // The sparse build finds the same components and bridge, with the same weights.
    let s = builder.build_sparse(&x).unwrap();
    assert_eq!((s.components, s.bridges.clone()), (2, g.bridges.clone()));
    assert_eq!(csr_to_dense(&s.affinity), g.affinity);
    params.connect_components = false;
    params.allow_disconnected = false;
    assert!(matches!(
        BatchGraphBuilder::new(params).unwrap().build_sparse(&x),
        Err(GraphError::Disconnected { count: 2, .. })
    ));
    // The builder is reusable on another batch size.
    let y = xorshift_points(40, 2, 4);
    assert_eq!(builder.build(&y).unwrap().laplacian.nrows(), 40);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let x = xorshift_points(20, 2, 1);
    let p = BatchGraphParams::default();
    let mut nan = x.clone();
    nan[(4, 1)] = f64::INFINITY;
    assert!(matches!(
        batch_graph(&nan, &p),
        Err(GraphError::NonFinite { row: 4, col: 1 })
    ));
    assert!(matches!(
        batch_graph(&DMatrix::zeros(0, 3), &p),
        Err(GraphError::Empty { .. })
    ));
    let big_k = BatchGraphParams {
        knn: KnnParams {
            k: 20,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(matches!(
        batch_graph(&x, &big_k),
        Err(GraphError::InvalidK { k: 20, n: 20 })
    ));
    let zero_sigma = BatchGraphParams {
        affinity: AffinityParams {
            scale: Scale::Fixed(0.0),
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(BatchGraphBuilder::new(zero_sigma).is_err());
    let w = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
    assert!(alpha_normalized_kernel(&w, 1.5).is_err());
    let mut huge = x;
    huge[(0, 0)] = 1e300;
    assert!(matches!(
        knn_exact(&huge, &KnnParams::default()),
        Err(GraphError::InvalidParameter(_))
    ));
}

fn points_strategy() -> impl Strategy<Value = DMatrix<f64>> {
    (12usize..40, 1usize..5).prop_flat_map(|(n, d)| {
        proptest::collection::vec(-10.0f64..10.0, n * d)
            .prop_map(move |v| DMatrix::from_row_slice(n, d, &v))
    })
}

fn symmetrize_strategy() -> impl Strategy<Value = Symmetrize> {
    prop_oneof![
        Just(Symmetrize::Max),
        Just(Symmetrize::Mean),
        Just(Symmetrize::Mutual)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// kNN rows: k distinct neighbours, never the point itself, sorted distances
    /// equal to the true distances.
    #[test]
    fn knn_rows_are_well_formed(x in points_strategy(), k in 1usize..8) {
        let k = k.min(x.nrows() - 1);
        let g = knn_exact(&x, &KnnParams { k, ..Default::default() }).unwrap();
        for i in 0..x.nrows() {
            let row = g.neighbors(i);
            let mut sorted = row.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            prop_assert_eq!(sorted.len(), k);
            prop_assert!(!row.contains(&i));
            let d = g.neighbor_distances(i);
            prop_assert!(d.windows(2).all(|w| w[0] <= w[1]));
            for (&j, &dj) in row.iter().zip(d) {
                prop_assert!((dj - (x.row(i) - x.row(j)).norm()).abs() < 1e-9);
            }
        }
    }

    /// The sparse batch graph is the dense one entry for entry (every symmetrisation,
    /// split graphs included), with the same components and isolated nodes.
    #[test]
    fn sparse_batch_graph_equals_the_dense_one(x in points_strategy(), k in 2usize..8, sym in symmetrize_strategy()) {
        let k = k.min(x.nrows() - 1);
        let params = BatchGraphParams {
            knn: KnnParams { k, ..Default::default() },
            affinity: AffinityParams { scale: Scale::Local(k.min(7)), symmetrize: sym },
            allow_disconnected: true,
            ..Default::default()
        };
        let mut builder = BatchGraphBuilder::new(params).unwrap();
        let sparse = builder.build_sparse(&x).unwrap();
        let dense = builder.build(&x).unwrap();
        prop_assert_eq!(&csr_to_dense(&sparse.affinity), &dense.affinity);
        prop_assert_eq!(sparse.components, dense.components);
        prop_assert_eq!(&sparse.isolated, &dense.isolated);
        prop_assert_eq!(sparse.kind, dense.kind);
    }

    /// W symmetric with zero diagonal; L·1 = 0; L_N symmetric PSD with spectrum
    /// in [0, 2]; D^{-1}W rows and W D^{-1} columns sum to one.
    #[test]
    fn operator_invariants(x in points_strategy(), k in 2usize..8, sym in symmetrize_strategy()) {
        let k = k.min(x.nrows() - 1);
        let knn = knn_exact(&x, &KnnParams { k, ..Default::default() }).unwrap();
        let aff = AffinityParams { scale: Scale::Local(k.min(7)), symmetrize: sym };
        let w = knn_affinity(&knn, &aff).unwrap();
        let wd = csr_to_dense(&w);
        prop_assert_eq!(&wd, &wd.transpose());
        prop_assert!(wd.diagonal().iter().all(|&v| v == 0.0));
        let n = x.nrows();
        let l = csr_to_dense(&laplacian_csr(&w, LaplacianKind::Unnormalized).unwrap());
        prop_assert!((&l * DVector::from_element(n, 1.0)).amax() < 1e-12);
        if !components_csr(&w).isolated.is_empty() {
            return Ok(());
        }
        let ln = csr_to_dense(&laplacian_csr(&w, LaplacianKind::SymmetricNormalized).unwrap());
        prop_assert!((&ln - ln.transpose()).amax() < 1e-14);
        let eig = SymmetricEigen::new(ln).eigenvalues;
        prop_assert!(eig.iter().all(|&v| (-1e-10..=2.0 + 1e-10).contains(&v)), "{eig}");
        let p = csr_to_dense(&random_walk_csr(&w, RandomWalkSide::Row).unwrap());
        for r in p.row_iter() {
            prop_assert!((r.sum() - 1.0).abs() < 1e-12);
        }
        let pc = csr_to_dense(&random_walk_csr(&w, RandomWalkSide::Column).unwrap());
        for c in pc.column_iter() {
            prop_assert!((c.sum() - 1.0).abs() < 1e-12);
        }
        prop_assert!((pc - p.transpose()).amax() < 1e-14);
    }
}
