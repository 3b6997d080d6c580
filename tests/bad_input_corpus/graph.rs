//! Affinity matrices and their Laplacians, diffusion maps and eigen-solvers: basis-graph and basis-spectral.

use super::*;

/// A connected weighted graph on six nodes (a ring with chords).
pub(super) fn good_w() -> DMatrix<f64> {
    DMatrix::from_fn(6, 6, |i, j| {
        let d = (i as i64 - j as i64).rem_euclid(6);
        if i == j {
            0.0
        } else if d == 1 || d == 5 {
            1.0
        } else {
            0.25
        }
    })
}

pub(super) fn sym(mut w: DMatrix<f64>, i: usize, j: usize, v: f64) -> DMatrix<f64> {
    w[(i, j)] = v;
    w[(j, i)] = v;
    w
}

/// The malformed and extreme affinity matrices, by name.
pub(super) fn affinity_inputs() -> Vec<(&'static str, DMatrix<f64>)> {
    let mut blocks = DMatrix::zeros(6, 6);
    for (i, j) in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)] {
        blocks[(i, j)] = 1.0;
        blocks[(j, i)] = 1.0;
    }
    let mut isolated = good_w();
    isolated.row_mut(5).fill(0.0);
    isolated.column_mut(5).fill(0.0);
    vec![
        ("0x0", DMatrix::zeros(0, 0)),
        ("not square", DMatrix::from_element(3, 4, 1.0)),
        ("NaN", sym(good_w(), 0, 1, f64::NAN)),
        ("+inf", sym(good_w(), 2, 3, f64::INFINITY)),
        ("negative weight", sym(good_w(), 0, 3, -1.0)),
        ("asymmetric", with(good_w(), 0, 3, 2.0)),
        ("isolated node", isolated),
        ("disconnected", blocks),
        ("weights 1e300", good_w() * 1e300),
        ("weights 1e-310", good_w() * 1e-310),
        ("good", good_w()),
    ]
}

pub(super) fn affinity_cases(out: &mut Vec<Case>) {
    type Entry = (&'static str, fn(DMatrix<f64>) -> Got, fn(&str) -> Expect);
    let entries: Vec<Entry> = vec![
        (
            "normalized_laplacian",
            |w| finite(normalized_laplacian(&w)),
            expect_laplacian,
        ),
        (
            "unnormalized_laplacian",
            |w| finite(unnormalized_laplacian(&w)),
            expect_unnormalized,
        ),
        (
            "random_walk",
            |w| finite(random_walk(&w, RandomWalkSide::Row)),
            expect_laplacian,
        ),
        (
            "diffusion_map",
            |w| {
                let p = DiffusionParams {
                    k: 2,
                    ..DiffusionParams::default()
                };
                finite(diffusion_map(&w, &p).map(|d| d.coords))
            },
            expect_diffusion,
        ),
        (
            "symmetric_eigen_dense",
            |w| finite(symmetric_eigen_dense(&w, 2, Which::Smallest).map(|e| e.vectors)),
            expect_eigen,
        ),
    ];
    for (fname, run, expect) in entries {
        for (iname, w) in affinity_inputs() {
            out.push(case(
                format!("{fname}: {iname}"),
                expect(iname),
                move || run(w),
            ));
        }
    }
    // More eigenvectors than points, and none.
    for k in [0, 7, usize::MAX] {
        out.push(case(
            format!("symmetric_eigen_dense: k = {k} of 6"),
            Expect::Err(&["ZeroEigenvectors", "TooManyEigenvectors"]),
            move || outcome(symmetric_eigen_dense(&good_w(), k, Which::Largest)),
        ));
    }
}

/// Validated by `check_affinity`: one variant, `BadAffinity`, whose message names the entry.
pub(super) const BAD_AFFINITY: &[&str] = &["BadAffinity"];

pub(super) fn expect_laplacian(input: &str) -> Expect {
    match input {
        "0x0" => Expect::Err(&["Empty"]),
        "not square" | "NaN" | "+inf" | "negative weight" | "asymmetric" => {
            Expect::Err(BAD_AFFINITY)
        }
        "isolated node" => Expect::Err(&["IsolatedNode"]),
        // Any positive finite scale of the weights (checked against the unscaled graph in
        // `laplacian_scale_cases`).
        _ => Expect::Ok,
    }
}

pub(super) fn expect_unnormalized(input: &str) -> Expect {
    match input {
        // D − W of a graph with an isolated node is defined (a zero row).
        "isolated node" => Expect::Ok,
        _ => expect_laplacian(input),
    }
}

pub(super) fn expect_diffusion(input: &str) -> Expect {
    match input {
        // 0 points cannot give the k + 1 eigenvectors asked for.
        "0x0" => Expect::Err(&["TooManyEigenvectors"]),
        // Defined: the leading coordinates are the components' indicators.
        "disconnected" => Expect::Ok,
        _ => expect_laplacian(input),
    }
}

pub(super) fn expect_eigen(input: &str) -> Expect {
    match input {
        "0x0" => Expect::Err(&["Empty", "TooManyEigenvectors", "NotSquare"]),
        "not square" => Expect::Err(&["NotSquare"]),
        "NaN" | "+inf" => Expect::Err(&["NonFinite"]),
        "asymmetric" => Expect::Err(&["not symmetric"]),
        // A symmetric matrix is a symmetric matrix: negative entries, zero rows, blocks,
        // huge and subnormal entries have eigenvectors.
        _ => Expect::Ok,
    }
}

/// The normalised Laplacian and the random walk do not depend on the weights' scale.
pub(super) fn laplacian_scale_cases(out: &mut Vec<Case>) {
    for scale in [1e300, 1e-300, 1e-310] {
        out.push(case(
            format!("normalized_laplacian × {scale:e}: unchanged"),
            Expect::Ok,
            move || match (
                normalized_laplacian(&(good_w() * scale)),
                normalized_laplacian(&good_w()),
            ) {
                (Ok(a), Ok(b)) if (&a - &b).amax() < 1e-6 => Got::Ok,
                (a, b) => Got::Wrong(format!("{a:?} vs {b:?}")),
            },
        ));
        out.push(case(
            format!("random_walk × {scale:e}: unchanged"),
            Expect::Ok,
            move || match (
                random_walk(&(good_w() * scale), RandomWalkSide::Row),
                random_walk(&good_w(), RandomWalkSide::Row),
            ) {
                (Ok(a), Ok(b)) if (&a - &b).amax() < 1e-6 => Got::Ok,
                (a, b) => Got::Wrong(format!("{a:?} vs {b:?}")),
            },
        ));
    }
}
