//! Property tests of the alignment invariants (issue: "the user asked for these by name").

use basis_align::{
    AffineFitParams, AffineMap, AlignConfig, AlignError, AlignModel, BatchAligner, RansacParams,
    fit_model, fit_ransac,
};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Random anchors in [-1, 1]^K, `l` of them.
fn anchors(k: usize, l: usize) -> impl Strategy<Value = DMatrix<f64>> {
    proptest::collection::vec(-1.0f64..1.0, k * l)
        .prop_map(move |v| DMatrix::from_row_slice(l, k, &v))
}

/// A well-conditioned affine map: A = α I + 0.3 R with α ∈ [1, 2], R entries in [-1, 1]/√K.
fn affine_map(k: usize) -> impl Strategy<Value = AffineMap> {
    (
        1.0f64..2.0,
        proptest::collection::vec(-1.0f64..1.0, k * k),
        proptest::collection::vec(-2.0f64..2.0, k),
    )
        .prop_map(move |(alpha, r, b)| AffineMap {
            linear: DMatrix::identity(k, k) * alpha
                + DMatrix::from_row_slice(k, k, &r) * (0.3 / (k as f64).sqrt()),
            translation: DVector::from_vec(b),
        })
}

/// A random orthogonal matrix with random column signs (QR of a random matrix).
fn orthogonal(k: usize) -> impl Strategy<Value = DMatrix<f64>> {
    (
        proptest::collection::vec(-1.0f64..1.0, k * k),
        proptest::collection::vec(any::<bool>(), k),
    )
        .prop_map(move |(v, signs)| {
            let q = DMatrix::from_row_slice(k, k, &v).qr().q();
            let s = DMatrix::from_diagonal(&DVector::from_iterator(
                k,
                signs.iter().map(|&b| if b { -1.0 } else { 1.0 }),
            ));
            q * s
        })
}

fn case() -> impl Strategy<Value = (usize, usize)> {
    (1usize..=6).prop_flat_map(|k| (Just(k), (k + 3)..(k + 30)))
}

fn well_conditioned(src: &DMatrix<f64>) -> bool {
    let (l, k) = src.shape();
    let mut x = DMatrix::from_element(l, k + 1, 1.0);
    x.view_mut((0, 0), (l, k)).copy_from(src);
    let s = x.svd(false, false).singular_values;
    s.min() > 1e-3 * s.max()
}

fn rel_err(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).norm() / b.norm().max(1.0)
}

fn map_err(a: &AffineMap, b: &AffineMap) -> f64 {
    rel_err(&a.as_matrix().unwrap(), &b.as_matrix().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_affine_maps_are_recovered_exactly(
        (src, t) in case().prop_flat_map(|(k, l)| (anchors(k, l), affine_map(k))),
    ) {
        prop_assume!(well_conditioned(&src));
        let tgt = t.apply(&src).unwrap();
        let fit = fit_model(&src, &tgt, AlignModel::Affine, &AffineFitParams::default()).unwrap();
        prop_assert!(map_err(&fit.map, &t) <= 1e-9, "error {}", map_err(&fit.map, &t));
    }

    #[test]
    fn result_is_invariant_to_anchor_permutation(
        src in anchors(3, 12),
        t in affine_map(3),
        noise in proptest::collection::vec(-0.01f64..0.01, 36),
        perm in Just((0..12).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        prop_assume!(well_conditioned(&src));
        // Noisy targets, so the least-squares solution is not trivially exact.
        let tgt = t.apply(&src).unwrap() + DMatrix::from_row_slice(12, 3, &noise);
        for model in [AlignModel::Affine, AlignModel::Similarity, AlignModel::Orthogonal] {
            let a = fit_model(&src, &tgt, model, &AffineFitParams::default()).unwrap();
            let b = fit_model(&src.select_rows(&perm), &tgt.select_rows(&perm), model, &AffineFitParams::default()).unwrap();
            prop_assert!(map_err(&a.map, &b.map) <= 1e-9, "{model:?}");
        }
    }

    #[test]
    fn composition_matches_the_direct_fit(
        src in anchors(4, 15),
        t1 in affine_map(4),
        t2 in affine_map(4),
    ) {
        prop_assume!(well_conditioned(&src));
        let b = t1.apply(&src).unwrap();
        let c = t2.apply(&b).unwrap();
        let p = AffineFitParams::default();
        let ab = fit_model(&src, &b, AlignModel::Affine, &p).unwrap().map;
        let bc = fit_model(&b, &c, AlignModel::Affine, &p).unwrap().map;
        let ac = fit_model(&src, &c, AlignModel::Affine, &p).unwrap().map;
        prop_assert!(map_err(&bc.compose(&ab).unwrap(), &ac) <= 1e-9);
        prop_assert!(rel_err(&bc.apply(&ab.apply(&src).unwrap()).unwrap(), &c) <= 1e-9);
    }

    #[test]
    fn aligning_an_aligned_batch_is_the_identity(
        batch in anchors(3, 40),
        reference in anchors(3, 10),
        model in prop_oneof![Just(AlignModel::Affine), Just(AlignModel::Similarity), Just(AlignModel::Orthogonal)],
    ) {
        prop_assume!(well_conditioned(&batch.rows(0, 10).into_owned()));
        let rows: Vec<usize> = (0..10).collect();
        let config = AlignConfig { model, ..AlignConfig::least_squares() };
        let mut aligner = BatchAligner::new(reference, config).unwrap();
        let once = aligner.align(&batch, &rows).unwrap();
        // The aligned batch's anchors are the best fit to the reference; fitting again changes nothing.
        let twice = aligner.align(&once.coords, &rows).unwrap();
        // The first map may shrink the anchors (a random reference correlates weakly with the batch), so
        // the second fit's round-off grows with its condition number: tolerance 1e-12 κ, at most 1e-9 when κ ≤ 1000.
        let tol = 1e-12 * twice.fit.condition.max(1000.0);
        prop_assert!(map_err(&twice.fit.map, &AffineMap::identity(3)) <= tol, "{model:?}: {:?} (κ = {})", twice.fit.map, twice.fit.condition);
        prop_assert!(rel_err(&twice.coords, &once.coords) <= tol);
    }

    #[test]
    fn sign_flips_and_rotations_are_undone_exactly(
        batch in anchors(4, 30),
        q in orthogonal(4),
        shift in proptest::collection::vec(-0.5f64..0.5, 4),
        model in prop_oneof![Just(AlignModel::Affine), Just(AlignModel::Similarity), Just(AlignModel::Orthogonal)],
    ) {
        prop_assume!(well_conditioned(&batch.rows(0, 8).into_owned()));
        let distort = AffineMap { linear: q, translation: DVector::from_vec(shift) };
        let distorted = distort.apply(&batch).unwrap();
        let rows: Vec<usize> = (0..8).collect();
        let config = AlignConfig { model, ..AlignConfig::least_squares() };
        let mut aligner = BatchAligner::new(batch.rows(0, 8).into_owned(), config).unwrap();
        let out = aligner.align(&distorted, &rows).unwrap();
        prop_assert!(rel_err(&out.coords, &batch) <= 1e-9, "{model:?}");
    }

    #[test]
    fn degenerate_inputs_are_typed_errors_never_panics(
        k in 1usize..5,
        l in 0usize..8,
        values in proptest::collection::vec(prop_oneof![Just(f64::NAN), Just(0.0), -1.0f64..1.0], 0..40),
        collinear in any::<bool>(),
        model in prop_oneof![Just(AlignModel::Affine), Just(AlignModel::Similarity), Just(AlignModel::Orthogonal)],
    ) {
        let mut src = DMatrix::from_fn(l, k, |i, j| values.get(i * k + j).copied().unwrap_or(0.5));
        if collinear && k >= 2 {
            for i in 0..l {
                let t = i as f64;
                for j in 0..k {
                    src[(i, j)] = t * (j + 1) as f64;
                }
            }
        }
        let tgt = DMatrix::from_fn(l, k, |i, j| (i + j) as f64);
        let r = fit_model(&src, &tgt, model, &AffineFitParams::default());
        let has_nan = src.iter().any(|v| v.is_nan());
        if has_nan {
            prop_assert!(matches!(r, Err(AlignError::NonFinite(_))), "{r:?}");
        } else if l < k + 1 {
            prop_assert!(matches!(r, Err(AlignError::TooFewAnchors { .. })), "{r:?}");
        }
        if collinear && k >= 2 {
            prop_assert!(r.is_err(), "collinear anchors accepted: {r:?}");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let rr = fit_ransac(&src, &tgt, model, &AffineFitParams::default(), &RansacParams::default(), &mut rng);
        if r.is_err() {
            prop_assert!(rr.is_err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ransac_recovers_the_map_with_up_to_40_percent_outliers(
        src in anchors(3, 50),
        t in affine_map(3),
        outlier_fraction in 0.0f64..=0.4,
        garbage in proptest::collection::vec(-5.0f64..5.0, 150),
        noise in proptest::collection::vec(-1e-3f64..1e-3, 150),
        seed in any::<u64>(),
    ) {
        prop_assume!(well_conditioned(&src));
        let mut tgt = t.apply(&src).unwrap() + DMatrix::from_row_slice(50, 3, &noise);
        let n_out = (outlier_fraction * 50.0).floor() as usize;
        for i in 0..n_out {
            for j in 0..3 {
                // Outliers: far from where the map sends them (at least 1 away in the first coordinate).
                let g = garbage[i * 3 + j];
                tgt[(i, j)] += if j == 0 { g.signum() * (1.0 + g.abs()) } else { g };
            }
        }
        let params = RansacParams { sample_size: 4, iterations: 200, inlier_threshold: 0.05, ..Default::default() };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let fit = fit_ransac(&src, &tgt, AlignModel::Affine, &AffineFitParams::default(), &params, &mut rng).unwrap();
        prop_assert!(map_err(&fit.fit.map, &t) <= 1e-2, "map error {}", map_err(&fit.fit.map, &t));
        for i in 0..50 {
            prop_assert_eq!(fit.inliers[i], i >= n_out, "anchor {}", i);
        }
    }
}

#[test]
fn ransac_is_deterministic_under_a_seed_and_reports_no_consensus() {
    let src = DMatrix::from_fn(30, 2, |i, j| ((i * 2 + j) as f64 * 0.61).sin());
    let tgt = DMatrix::from_fn(30, 2, |i, j| ((i * 5 + j * 3) as f64 * 1.7).cos() * 3.0);
    let p = RansacParams {
        sample_size: 3,
        ..Default::default()
    };
    let run = |seed| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        fit_ransac(
            &src,
            &tgt,
            AlignModel::Affine,
            &AffineFitParams::default(),
            &p,
            &mut rng,
        )
    };
    // Unrelated targets: nothing reaches half the anchors.
    assert!(matches!(
        run(1),
        Err(AlignError::NoConsensus {
            anchors: 30,
            needed: 15,
            ..
        })
    ));
    let good = DMatrix::from_fn(30, 2, |i, j| src[(i, j)] * 2.0 + 1.0);
    let fit = |seed| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        fit_ransac(
            &src,
            &good,
            AlignModel::Affine,
            &AffineFitParams::default(),
            &p,
            &mut rng,
        )
        .unwrap()
    };
    assert_eq!(fit(7), fit(7));
    let early = {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let q = RansacParams {
            confidence: Some(0.99),
            ..p
        };
        fit_ransac(
            &src,
            &good,
            AlignModel::Affine,
            &AffineFitParams::default(),
            &q,
            &mut rng,
        )
        .unwrap()
    };
    assert!(
        early.iterations < 100,
        "early stop did not trigger: {}",
        early.iterations
    );
    assert_eq!(early.inlier_fraction(), 1.0);
}
