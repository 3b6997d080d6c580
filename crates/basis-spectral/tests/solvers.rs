//! The sparse (Lanczos) and dense (faer) paths checked against each other on
//! random kNN graphs, plus the regressions and failure modes a user meets:
//! deflation on a large graph, residuals within tolerance, deterministic
//! signs, non-convergence as a typed error, disconnected graphs solved with their
//! null space deflated exactly.

use basis_graph::{
    AffinityParams, BatchGraph, BatchGraphParams, GraphError, KnnParams, LaplacianKind,
    csr_to_dense, knn_affinity, knn_exact,
};
use basis_spectral::{
    CsrOperator, EigenMethod, EmbeddingParams, OperatorValues, SolverParams, SpectralError,
    SymmetricOperator, ValuePrecision, analytic_embedding, laplacian_eigenmap,
    laplacian_eigenmap_csr,
};
use nalgebra::DMatrix;
use nalgebra_sparse::{CooMatrix, CsrMatrix};
use proptest::prelude::*;

/// Points around `c` centres (deterministic xorshift noise).
fn clustered(n: usize, d: usize, c: usize, seed: u64) -> DMatrix<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let centres = DMatrix::from_fn(c, d, |_, _| 1.5 * next());
    DMatrix::from_fn(n, d, |i, j| centres[(i % c, j)] + next())
}

fn affinity(x: &DMatrix<f64>, k: usize) -> CsrMatrix<f64> {
    let knn = knn_exact(
        x,
        &KnnParams {
            k,
            ..Default::default()
        },
    )
    .unwrap();
    knn_affinity(&knn, &AffinityParams::default()).unwrap()
}

fn params(k: usize, drop_trivial: bool, method: EigenMethod, tol: f64) -> EmbeddingParams {
    EmbeddingParams {
        k,
        drop_trivial,
        solver: SolverParams {
            method,
            tol,
            ..Default::default()
        },
    }
}

/// A random clustered point set's kNN affinity, the Laplacian asked for, and its dense graph.
fn knn_case(
    n: usize,
    c: usize,
    knn_k: usize,
    normalized: bool,
    seed: u64,
) -> (CsrMatrix<f64>, LaplacianKind, BatchGraph) {
    let x = clustered(n, 5, c, seed);
    let w = affinity(&x, knn_k);
    let kind = if normalized {
        LaplacianKind::SymmetricNormalized
    } else {
        LaplacianKind::Unnormalized
    };
    let g = BatchGraph::from_affinity(csr_to_dense(&w), kind).unwrap();
    (w, kind, g)
}

/// Largest sine of the principal angles between the column spaces of two orthonormal bases.
fn max_sine(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let s = (a.transpose() * b).singular_values();
    let smallest = s.iter().copied().fold(f64::INFINITY, f64::min);
    (1.0 - smallest.min(1.0).powi(2)).max(0.0).sqrt()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn lanczos_and_dense_agree_on_random_knn_graphs(
        n in 150usize..400,
        c in 2usize..6,
        knn_k in 6usize..15,
        k in 1usize..6,
        normalized in any::<bool>(),
        drop_trivial in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let (w, kind, g) = knn_case(n, c, knn_k, normalized, seed);
        prop_assume!(g.components == 1);
        let dense = laplacian_eigenmap(&g, &params(k, drop_trivial, EigenMethod::Dense, 1e-10)).unwrap();
        let sparse = laplacian_eigenmap(&g, &params(k, drop_trivial, EigenMethod::Lanczos, 1e-10)).unwrap();
        let (csr, _) = laplacian_eigenmap_csr(&w, kind, &params(k, drop_trivial, EigenMethod::Lanczos, 1e-10), &mut |_| {}).unwrap();
        let scale = g.laplacian.abs().max().max(1.0) * 2.0;
        for e in [&sparse, &csr] {
            // Eigenvalues agree, each pair meets the tolerance, and the subspaces agree
            // wherever the spectrum has a gap after the K-th value.
            for t in 0..k {
                prop_assert!((e.values[t] - dense.values[t]).abs() < 1e-8 * scale,
                    "λ_{}: {} vs {}", t, e.values[t], dense.values[t]);
            }
            prop_assert!(e.max_residual() <= 1e-10 * scale * 1.01, "residual {}", e.max_residual());
            let orth = e.coords.transpose() * &e.coords - DMatrix::identity(k, k);
            prop_assert!(orth.abs().max() < 1e-9);
        }
        let full = basis_spectral::symmetric_eigen_dense(&g.laplacian, (k + 2).min(n), basis_spectral::Which::Smallest).unwrap();
        let off = usize::from(drop_trivial);
        let gap = full.values[k + off] - full.values[k + off - 1];
        if gap > 1e-3 {
            prop_assert!(max_sine(&sparse.coords, &dense.coords) < 1e-6, "sin θ {}", max_sine(&sparse.coords, &dense.coords));
            prop_assert!(max_sine(&csr.coords, &dense.coords) < 1e-6);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Lanczos on the rounded (f32) operator, re-scored exactly: the pairs are the
    /// exact Laplacian's to the tolerance, checked against a dense Laplacian and a tight
    /// f64 solve.
    #[test]
    fn f32_values_give_the_exact_laplacians_pairs_to_the_tolerance(
        n in 200usize..500,
        c in 2usize..6,
        knn_k in 6usize..15,
        k in 2usize..8,
        normalized in any::<bool>(),
        drop_trivial in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let (w, kind, g) = knn_case(n, c, knn_k, normalized, seed);
        prop_assume!(g.components == 1);
        let tol = 1e-6;
        let mut p = params(k, drop_trivial, EigenMethod::Lanczos, tol);
        p.solver.values = OperatorValues::F32;
        let (e, stats) = laplacian_eigenmap_csr(&w, kind, &p, &mut |_| {}).unwrap();
        prop_assert_eq!(stats.values, ValuePrecision::F32);
        let (reference, ref_stats) = laplacian_eigenmap_csr(&w, kind, &params(k, drop_trivial, EigenMethod::Lanczos, 1e-11), &mut |_| {}).unwrap();
        prop_assert_eq!(ref_stats.values, ValuePrecision::F64);
        let l = &g.laplacian;
        let norm = l.abs().row_sum().max();
        for t in 0..k {
            // Residual and Rayleigh quotient recomputed here with the dense Laplacian.
            let v = e.coords.column(t);
            let lv = l * v;
            let lam = v.dot(&lv);
            let res = (&lv - lam * v).norm();
            prop_assert!((lam - e.values[t]).abs() < 1e-12 * norm, "λ_{}: {} vs {}", t, lam, e.values[t]);
            prop_assert!((res - e.residuals[t]).abs() < 1e-10 * norm, "r_{}: {} vs {}", t, res, e.residuals[t]);
            prop_assert!(res <= tol * norm, "r_{} = {:e} above tol · ‖L‖ = {:e}", t, res, tol * norm);
            prop_assert!((e.values[t] - reference.values[t]).abs() < tol * norm, "λ_{}: {} vs {}", t, e.values[t], reference.values[t]);
        }
        let orth = e.coords.transpose() * &e.coords - DMatrix::identity(k, k);
        prop_assert!(orth.abs().max() < 1e-9);
    }
}

/// The trainer's batch path (sparse affinity, no m × m matrix) against the dense batch
/// graph's eigenmap: connected, split (null space deflated) and bridged batches.
#[test]
fn the_sparse_batch_path_equals_the_dense_batch_graphs_eigenmap() {
    for (seed, spread, allow, connect) in [
        (1u64, 0.0, false, false),
        (2, 0.0, true, false),
        (3, 200.0, true, false),
        (4, 200.0, false, true),
    ] {
        let mut x = clustered(300, 4, 3, seed);
        for r in (0..300).filter(|r| r % 3 == 0) {
            x[(r, 0)] += spread;
        }
        let graph = BatchGraphParams {
            knn: KnnParams {
                k: 10,
                ..Default::default()
            },
            laplacian: LaplacianKind::SymmetricNormalized,
            allow_disconnected: allow,
            connect_components: connect,
            ..Default::default()
        };
        let p = params(6, true, EigenMethod::Auto, 1e-10);
        let mut embedder = basis_spectral::BatchEmbedder::new(graph, p).unwrap();
        let sparse = embedder.embed(&x).unwrap();
        let g = basis_graph::batch_graph(&x, &graph).unwrap();
        let dense = laplacian_eigenmap(&g, &p).unwrap();
        let last = embedder.graph().unwrap();
        assert_eq!(csr_to_dense(&last.affinity), g.affinity, "seed {seed}");
        assert_eq!(
            (last.components, last.bridges.clone()),
            (g.components, g.bridges.clone())
        );
        assert_eq!(sparse.components, dense.components, "seed {seed}");
        let split = spread > 0.0;
        assert_eq!(last.components, if split { 2 } else { 1 }, "seed {seed}");
        assert_eq!(last.bridges.len(), usize::from(connect), "seed {seed}");
        for t in 0..6 {
            assert!(
                (sparse.values[t] - dense.values[t]).abs() < 1e-9,
                "seed {seed}, λ_{t}: {} vs {}",
                sparse.values[t],
                dense.values[t]
            );
        }
        // Where the spectrum has a gap after λ_6 the subspaces agree.
        let full =
            basis_spectral::symmetric_eigen_dense(&g.laplacian, 8, basis_spectral::Which::Smallest)
                .unwrap();
        if full.values[7] - full.values[6] > 1e-3 {
            assert!(
                max_sine(&sparse.coords, &dense.coords) < 1e-6,
                "seed {seed}"
            );
        }
    }
}

#[test]
fn auto_values_follow_the_tolerance_and_a_tolerance_too_tight_for_f32_is_typed() {
    let x = clustered(600, 5, 4, 9);
    let w = affinity(&x, 10);
    for kind in [
        LaplacianKind::SymmetricNormalized,
        LaplacianKind::Unnormalized,
    ] {
        for (tol, want) in [(1e-6, ValuePrecision::F32), (1e-8, ValuePrecision::F64)] {
            let p = params(5, true, EigenMethod::Lanczos, tol);
            let (_, stats) = laplacian_eigenmap_csr(&w, kind, &p, &mut |_| {}).unwrap();
            assert_eq!(stats.values, want, "{kind:?}, tol {tol:e}");
        }
        let mut p = params(5, true, EigenMethod::Lanczos, 1e-12);
        p.solver.values = OperatorValues::F32;
        let err = laplacian_eigenmap_csr(&w, kind, &p, &mut |_| {}).unwrap_err();
        assert!(
            matches!(err, SpectralError::InvalidParameter { name: "values", .. }),
            "{err}"
        );
        p.solver.values = OperatorValues::F64;
        p.solver.tol = 1e-6;
        let (_, stats) = laplacian_eigenmap_csr(&w, kind, &p, &mut |_| {}).unwrap();
        assert_eq!(stats.values, ValuePrecision::F64);
    }
}

#[test]
fn deflated_trivial_vector_stays_out_on_a_large_graph() {
    // Regression: on a 60k-point graph the trivial vector leaked back into the
    // deflated Krylov basis and was returned twice. With 6,000 points and a
    // tight tolerance the same growth is visible if the basis is not
    // re-orthogonalised against it after the basis pass.
    let x = clustered(6000, 8, 7, 3);
    let graph = BatchGraphParams {
        knn: KnnParams {
            k: 15,
            ..Default::default()
        },
        laplacian: LaplacianKind::SymmetricNormalized,
        ..Default::default()
    };
    for drop_trivial in [false, true] {
        let a = analytic_embedding(
            &x,
            &graph,
            &params(8, drop_trivial, EigenMethod::Auto, 1e-12),
        )
        .unwrap();
        let e = &a.embedding;
        let d = basis_graph::degrees_csr(&a.affinity)
            .map(f64::sqrt)
            .normalize();
        let first = usize::from(!drop_trivial);
        if !drop_trivial {
            assert!((e.coords.column(0).dot(&d).abs() - 1.0).abs() < 1e-12);
        }
        for c in first..8 {
            assert!(
                e.coords.column(c).dot(&d).abs() < 1e-8,
                "column {c} overlaps the trivial vector"
            );
            assert!(e.values[c] > 1e-6, "λ_{c} = {}", e.values[c]);
        }
        assert!(a.stats.matvecs > 0);
    }
}

#[test]
fn signs_are_deterministic_across_runs_and_solvers() {
    let x = clustered(300, 4, 3, 9);
    let w = affinity(&x, 10);
    let g =
        BatchGraph::from_affinity(csr_to_dense(&w), LaplacianKind::SymmetricNormalized).unwrap();
    let a = laplacian_eigenmap(&g, &params(3, true, EigenMethod::Lanczos, 1e-12)).unwrap();
    let b = laplacian_eigenmap(&g, &params(3, true, EigenMethod::Lanczos, 1e-12)).unwrap();
    assert_eq!(a, b);
    let mut other_seed = params(3, true, EigenMethod::Lanczos, 1e-12);
    other_seed.solver.seed = 99;
    let c = laplacian_eigenmap(&g, &other_seed).unwrap();
    let dense = laplacian_eigenmap(&g, &params(3, true, EigenMethod::Dense, 1e-12)).unwrap();
    for e in [&c, &dense] {
        // Same signs: the columns agree entrywise, not only up to ±.
        assert!((&e.coords - &a.coords).abs().max() < 1e-7);
    }
}

#[test]
fn non_convergence_is_a_typed_error_with_the_best_estimate() {
    let x = clustered(2000, 6, 5, 1);
    let w = affinity(&x, 10);
    let mut p = params(6, true, EigenMethod::Lanczos, 1e-12);
    p.solver.max_restarts = 1;
    match laplacian_eigenmap_csr(&w, LaplacianKind::SymmetricNormalized, &p, &mut |_| {}) {
        Err(SpectralError::NotConverged {
            requested, best, ..
        }) => {
            assert_eq!(requested, 6);
            assert_eq!(best.vectors.shape(), (2000, 6));
            assert!(best.residuals.iter().all(|r| r.is_finite()));
        }
        other => panic!("expected NotConverged, got {:?}", other.map(|e| e.0.values)),
    }
}

#[test]
fn disconnected_whole_graphs_get_the_exact_null_space_and_bad_affinities_are_typed_errors() {
    // Two far-apart clusters with few neighbours: two components, so zero is a double
    // eigenvalue. Lanczos (chosen by Auto or asked for) deflates the null space exactly and
    // agrees with the dense solver on the values and the subspace.
    let mut x = clustered(400, 3, 1, 5);
    for i in 200..400 {
        x[(i, 0)] += 1e3;
    }
    let w = affinity(&x, 5);
    assert_eq!(basis_graph::components_csr(&w).count, 2);
    for kind in [
        LaplacianKind::Unnormalized,
        LaplacianKind::SymmetricNormalized,
    ] {
        for drop_trivial in [false, true] {
            let dense = laplacian_eigenmap_csr(
                &w,
                kind,
                &params(4, drop_trivial, EigenMethod::Dense, 1e-10),
                &mut |_| {},
            )
            .unwrap()
            .0;
            let zeros = if drop_trivial { 1 } else { 2 };
            assert!(dense.values.iter().take(zeros).all(|v| v.abs() < 1e-10));
            assert!(dense.values[zeros] > 1e-6, "{}", dense.values);
            for method in [EigenMethod::Auto, EigenMethod::Lanczos] {
                let (lanczos, stats) = laplacian_eigenmap_csr(
                    &w,
                    kind,
                    &params(4, drop_trivial, method, 1e-10),
                    &mut |_| {},
                )
                .unwrap();
                assert!(stats.matvecs > 0, "{method:?} did not run Lanczos");
                for j in 0..4 {
                    assert!(
                        (dense.values[j] - lanczos.values[j]).abs() < 1e-8,
                        "{kind:?} drop {drop_trivial}: {} vs {}",
                        dense.values,
                        lanczos.values
                    );
                }
                let sine = max_sine(&dense.coords, &lanczos.coords);
                assert!(
                    sine < 1e-6,
                    "{kind:?} drop {drop_trivial} {method:?}: sin θ {sine}"
                );
            }
        }
    }
    // Asymmetric and non-finite affinities.
    let mut coo = CooMatrix::new(3, 3);
    coo.push(0, 1, 1.0);
    coo.push(1, 0, 2.0);
    coo.push(1, 2, 1.0);
    coo.push(2, 1, 1.0);
    assert!(matches!(
        laplacian_eigenmap_csr(
            &CsrMatrix::from(&coo),
            LaplacianKind::Unnormalized,
            &params(1, true, EigenMethod::Auto, 1e-10),
            &mut |_| {}
        ),
        Err(SpectralError::Graph(GraphError::BadAffinity(_)))
    ));
    let mut coo = CooMatrix::new(2, 2);
    coo.push(0, 1, f64::NAN);
    coo.push(1, 0, f64::NAN);
    assert!(
        laplacian_eigenmap_csr(
            &CsrMatrix::from(&coo),
            LaplacianKind::Unnormalized,
            &params(1, false, EigenMethod::Auto, 1e-10),
            &mut |_| {}
        )
        .is_err()
    );
    // Features with a NaN.
    let mut bad = clustered(50, 2, 2, 0);
    bad[(3, 1)] = f64::NAN;
    assert!(
        analytic_embedding(
            &bad,
            &BatchGraphParams::default(),
            &EmbeddingParams::default()
        )
        .is_err()
    );
}

#[test]
fn reordered_operator_gives_the_same_products() {
    let x = clustered(500, 4, 4, 2);
    let w = affinity(&x, 8);
    let plain = CsrOperator::new(&w, 1).unwrap();
    let v: Vec<f64> = (0..500).map(|i| (i as f64 * 0.11).cos()).collect();
    let mut a = vec![0.0; 500];
    plain.apply(&v, &mut a);
    let dense = csr_to_dense(&w) * nalgebra::DVector::from_column_slice(&v);
    for threads in [1, 2] {
        let r = CsrOperator::new(&w, threads).unwrap().reordered().unwrap();
        let mut b = vec![0.0; 500];
        r.apply(&v, &mut b);
        for i in 0..500 {
            assert!((a[i] - b[i]).abs() < 1e-12 && (a[i] - dense[i]).abs() < 1e-12);
        }
    }
}

/// Two far apart clouds: the kNN graph splits into two components.
fn split_graph(kind: LaplacianKind) -> BatchGraph {
    let mut x = clustered(300, 3, 3, 11);
    for i in 150..300 {
        x[(i, 0)] += 100.0;
    }
    let w = csr_to_dense(&affinity(&x, 8));
    let g = BatchGraph::from_affinity(w, kind).unwrap();
    assert_eq!(g.components, 2);
    g
}

#[test]
fn split_batch_graphs_get_the_exact_null_space_from_lanczos() {
    // With the null space deflated (one vector per component), Lanczos returns the same
    // eigenvalues and subspace as the dense solver, zero twice when the trivial vector is kept.
    for kind in [
        LaplacianKind::SymmetricNormalized,
        LaplacianKind::Unnormalized,
    ] {
        let g = split_graph(kind);
        for drop_trivial in [false, true] {
            let k = 6;
            let dense = laplacian_eigenmap(&g, &params(k, drop_trivial, EigenMethod::Dense, 1e-10))
                .unwrap();
            let lanczos =
                laplacian_eigenmap(&g, &params(k, drop_trivial, EigenMethod::Lanczos, 1e-10))
                    .unwrap();
            let zeros = if drop_trivial { 1 } else { 2 };
            for j in 0..k {
                assert!(
                    (dense.values[j] - lanczos.values[j]).abs() < 1e-8,
                    "{kind:?} drop {drop_trivial}: {} vs {}",
                    dense.values,
                    lanczos.values
                );
                assert_eq!(
                    lanczos.values[j].abs() < 1e-10,
                    j < zeros,
                    "{}",
                    lanczos.values
                );
            }
            assert!(lanczos.max_residual() < 1e-6);
            let gram = lanczos.coords.transpose() * &lanczos.coords;
            assert!((gram - DMatrix::identity(k, k)).norm() < 1e-8);
            // The null space is degenerate; compare the whole returned subspaces.
            assert!(max_sine(&dense.coords, &lanczos.coords) < 1e-6);
            // `Auto` now takes Lanczos for the split graph too.
            let auto =
                laplacian_eigenmap(&g, &params(k, drop_trivial, EigenMethod::Auto, 1e-10)).unwrap();
            assert!(max_sine(&auto.coords, &lanczos.coords) < 1e-6);
        }
    }
}

/// Ten tight clusters in 5 of 16 dimensions (the BASiS tight-cluster failure case): with local
/// scales at the 7th neighbour the clusters are joined by weights far below rounding, so the
/// Laplacian has ten zero eigenvalues to machine precision although the graph is connected.
fn tight_cluster_graph(spread: f64, kind: LaplacianKind) -> BatchGraph {
    let (train, _) =
        basis_data::clusters::subspace_blobs(&basis_data::clusters::SubspaceBlobsParams {
            spread,
            n_train: 512,
            n_test: 1,
            ..Default::default()
        })
        .unwrap();
    let params = BatchGraphParams {
        allow_disconnected: true,
        laplacian: kind,
        ..BatchGraphParams::paper_table1()
    };
    basis_graph::batch_graph(&train.features, &params).unwrap()
}

#[test]
fn tight_clusters_get_every_numerically_zero_eigenvalue_from_lanczos() {
    // Regression: Lanczos returned 8 of the 10 zero eigenvalues and two within-cluster modes
    // (λ ≈ 0.53) in their place, so the batch's 10-dimensional space was wrong and BASiS's
    // alignment failed. The numerical components are deflated exactly now.
    for kind in [
        LaplacianKind::SymmetricNormalized,
        LaplacianKind::Unnormalized,
    ] {
        let g = tight_cluster_graph(0.035, kind);
        let k = 10;
        let dense = laplacian_eigenmap(&g, &params(k, false, EigenMethod::Dense, 1e-8)).unwrap();
        let lanczos =
            laplacian_eigenmap(&g, &params(k, false, EigenMethod::Lanczos, 1e-8)).unwrap();
        let scale = g.laplacian.abs().max().max(1.0);
        for j in 0..k {
            assert!(
                dense.values[j].abs() < 1e-12 * scale && lanczos.values[j].abs() < 1e-12 * scale,
                "{kind:?}: dense {} lanczos {}",
                dense.values,
                lanczos.values
            );
        }
        assert_eq!(lanczos.components, 10, "{kind:?}");
        assert!(lanczos.max_residual() < 1e-8 * 2.0 * scale);
        // The 10-dimensional space is well defined (λ11 is far from 0): the same subspace.
        assert!(max_sine(&dense.coords, &lanczos.coords) < 1e-6, "{kind:?}");
    }
}

#[test]
fn clustered_eigenvalues_that_do_not_split_the_graph_are_all_found() {
    // Looser clusters: the smallest eigenvalues are 1e-11 … 1e-5, distinct but far closer to
    // each other than to the rest of the spectrum (λ ≈ 0.5). Every one must be found, with
    // the subspace of the dense solver.
    let g = tight_cluster_graph(0.1, LaplacianKind::SymmetricNormalized);
    let k = 10;
    let dense = laplacian_eigenmap(&g, &params(k, false, EigenMethod::Dense, 1e-10)).unwrap();
    assert!(dense.values[k - 1] < 1e-3, "{}", dense.values);
    let lanczos = laplacian_eigenmap(&g, &params(k, false, EigenMethod::Lanczos, 1e-10)).unwrap();
    for j in 0..k {
        assert!(
            (dense.values[j] - lanczos.values[j]).abs() < 1e-9,
            "dense {} lanczos {}",
            dense.values,
            lanczos.values
        );
    }
    assert!(max_sine(&dense.coords, &lanczos.coords) < 1e-5);
}

#[test]
fn the_missed_copy_check_finds_a_repeated_eigenvalue_a_single_krylov_space_misses() {
    // A diagonal operator with a 6-fold eigenvalue 0 and the rest spread over [0.5, 2]: no
    // breakdown happens (the distinct eigenvalues outnumber the basis), and one Krylov space
    // holds one direction of the repeated eigenvalue plus what rounding adds, so copies are
    // missed; the check recovers them.
    let n = 300;
    let diag: Vec<f64> = (0..n)
        .map(|i| {
            if i % 50 == 0 {
                0.0
            } else {
                0.5 + 1.5 * i as f64 / n as f64
            }
        })
        .collect();
    let mut coo = CooMatrix::new(n, n);
    for (i, &d) in diag.iter().enumerate() {
        coo.push(i, i, d);
    }
    let op = CsrOperator::new(&CsrMatrix::from(&coo), 1).unwrap();
    let base = basis_spectral::LanczosParams {
        k: 8,
        tol: 1e-8,
        ..Default::default()
    };
    let checked = basis_spectral::lanczos(&op, &base).unwrap();
    let mut want = diag.clone();
    want.sort_by(f64::total_cmp);
    for j in 0..8 {
        assert!(
            (checked.values[j] - want[j]).abs() < 1e-7,
            "{} vs {:?}",
            checked.values,
            &want[..8]
        );
    }
    let unchecked = basis_spectral::lanczos(
        &op,
        &basis_spectral::LanczosParams {
            verify: false,
            ..base
        },
    )
    .unwrap();
    let zeros = |v: &nalgebra::DVector<f64>| v.iter().filter(|x| x.abs() < 1e-6).count();
    assert_eq!(zeros(&checked.values), 6);
    // Without the check some copies are missed (this is what the check is for).
    assert!(zeros(&unchecked.values) < 6, "{}", unchecked.values);
}
