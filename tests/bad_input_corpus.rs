//! The bad-input corpus of the pure crates (data, graph, spectral, align, metrics): several
//! hundred malformed or extreme inputs fed to every public numerical entry point, each with
//! the outcome it must have — a typed error of a named variant, or a result whose documented
//! properties are checked (finite, in range). Every case runs on its own thread under a
//! watchdog, so a hang fails the test instead of stalling CI, and a panic is caught and
//! reported as a failure of its case. `docs/reliability.md` lists the classes and counts.
//!
//! Run with `BASIS_CORPUS_VERBOSE=1` to print every case and its outcome.

use std::sync::mpsc;
use std::time::Duration;

use basis::align::{
    AffineFitParams, AffineMap, AlignConfig, AlignModel, BatchAligner, RansacParams, fit_affine,
    fit_model, fit_ransac,
};
use basis::data::csv::{CsvOptions, parse_csv};
use basis::data::idx::parse_idx;
use basis::data::npy::parse_npy;
use basis::data::sampling::{sample_anchors_per_class, sample_anchors_uniform};
use basis::data::{MAX_LABEL, class_labels};
use basis::graph::{
    AffinityParams, BatchGraphParams, HnswParams, KnnGraph, KnnParams, RandomWalkSide, Scale,
    batch_graph, gaussian_affinity_dense, knn_exact, knn_hnsw, normalized_laplacian, random_walk,
    unnormalized_laplacian,
};
use basis::metrics::{
    ColumnScaling, KMeansParams, LinearProbeParams, NmiNormalization, Report, ReportInputs,
    ReportParams, clustering_accuracy, contingency, grassmann_distance, kmeans,
    linear_probe_accuracy, nmi, orthogonality, orthonormal_basis,
};
use basis::spectral::{
    DiffusionParams, EmbeddingParams, Which, analytic_embedding, diffusion_map, embed_batch,
    symmetric_eigen_dense,
};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a case must produce.
#[derive(Debug, Clone)]
enum Expect {
    /// An error whose `Debug` form names one of these variants.
    Err(&'static [&'static str]),
    /// A result that passed the case's own checks.
    Ok,
}

/// What a case produced.
#[derive(Debug)]
enum Got {
    Ok,
    Err(String),
    /// A result that failed the case's checks (a silent wrong answer), with what was wrong;
    /// printed in the failure report through `Debug`.
    #[allow(dead_code)]
    Wrong(String),
}

/// A score of two labelings.
type Score = fn(&[usize], &[usize]) -> Got;
/// A case that draws from a seeded generator.
type Draw = Box<dyn FnOnce(&mut ChaCha8Rng) -> Got + Send>;
/// A parameter case.
type Run = Box<dyn FnOnce() -> Got + Send>;

struct Case {
    name: String,
    expect: Expect,
    run: Run,
}

fn case(
    name: impl Into<String>,
    expect: Expect,
    run: impl FnOnce() -> Got + Send + 'static,
) -> Case {
    Case {
        name: name.into(),
        expect,
        run: Box::new(run),
    }
}

/// Any `Result`: `Ok` passes, an error is reported by its `Debug` form.
fn outcome<T, E: std::fmt::Debug>(r: Result<T, E>) -> Got {
    match r {
        Ok(_) => Got::Ok,
        Err(e) => Got::Err(format!("{e:?}")),
    }
}

/// A matrix result that must be entirely finite when it is `Ok`.
fn finite<E: std::fmt::Debug>(r: Result<DMatrix<f64>, E>) -> Got {
    match r {
        Ok(m) if m.iter().all(|v| v.is_finite()) => Got::Ok,
        Ok(m) => Got::Wrong(format!("non-finite entries in a {:?} result", m.shape())),
        Err(e) => Got::Err(format!("{e:?}")),
    }
}

/// A scalar result that must lie in `range` when it is `Ok`.
fn within<E: std::fmt::Debug>(r: Result<f64, E>, range: std::ops::RangeInclusive<f64>) -> Got {
    match r {
        Ok(v) if range.contains(&v) => Got::Ok,
        Ok(v) => Got::Wrong(format!("{v} outside {range:?}")),
        Err(e) => Got::Err(format!("{e:?}")),
    }
}

const N: usize = 24;

/// A deterministic, well-spread N × 3 data set in three groups.
fn good() -> DMatrix<f64> {
    DMatrix::from_fn(N, 3, |i, j| {
        let c = (i % 3) as f64;
        3.0 * c * (j == (i % 3)) as u8 as f64 + ((i * 7 + j * 13) as f64).sin()
    })
}

fn labels() -> Vec<usize> {
    (0..N).map(|i| i % 3).collect()
}

fn with(mut m: DMatrix<f64>, r: usize, c: usize, v: f64) -> DMatrix<f64> {
    m[(r, c)] = v;
    m
}

/// The malformed and extreme feature matrices, by name.
fn feature_inputs() -> Vec<(&'static str, DMatrix<f64>)> {
    vec![
        ("0x0", DMatrix::zeros(0, 0)),
        ("0 rows", DMatrix::zeros(0, 3)),
        ("0 columns", DMatrix::zeros(N, 0)),
        ("NaN", with(good(), 5, 1, f64::NAN)),
        ("+inf", with(good(), 0, 0, f64::INFINITY)),
        ("-inf", with(good(), N - 1, 2, f64::NEG_INFINITY)),
        ("all 1e300", good() * 1e300),
        ("all 1e160", good() * 1e160),
        ("one row at 1e200", {
            let mut m = good();
            m.row_mut(3).scale_mut(1e200);
            m
        }),
        ("all 1e-300", good() * 1e-300),
        ("subnormal", good() * 1e-310),
        ("duplicate rows", DMatrix::from_element(N, 3, 1.5)),
        ("one row", good().rows(0, 1).into_owned()),
        ("two rows", good().rows(0, 2).into_owned()),
    ]
}

/// The outcome every feature entry point must have on the inputs that are malformed
/// whatever the function (empty, non-finite).
fn malformed(name: &str) -> Option<Expect> {
    match name {
        "0x0" | "0 rows" | "0 columns" => Some(Expect::Err(&["Empty", "Invalid", "TooFew"])),
        "NaN" | "+inf" | "-inf" => Some(Expect::Err(&["NonFinite"])),
        _ => None,
    }
}

fn small_graph() -> BatchGraphParams {
    let mut g = BatchGraphParams::default();
    g.knn.k = 5;
    g
}

fn small_embedding() -> EmbeddingParams {
    EmbeddingParams {
        k: 2,
        drop_trivial: true,
        ..EmbeddingParams::default()
    }
}

/// Feature entry points × feature inputs.
fn feature_cases(out: &mut Vec<Case>) {
    type Entry = (&'static str, fn(DMatrix<f64>) -> Got, fn(&str) -> Expect);
    let entries: Vec<Entry> = vec![
        (
            "knn_exact",
            |x| {
                outcome(knn_exact(
                    &x,
                    &KnnParams {
                        k: 5,
                        ..KnnParams::default()
                    },
                ))
            },
            expect_knn,
        ),
        (
            "knn_hnsw",
            |x| {
                outcome(knn_hnsw(
                    &x,
                    &HnswParams {
                        k: 5,
                        ..HnswParams::default()
                    },
                ))
            },
            expect_knn,
        ),
        (
            "batch_graph",
            |x| outcome(batch_graph(&x, &small_graph())),
            expect_graph,
        ),
        (
            "embed_batch",
            |x| finite(embed_batch(&x, &small_graph(), &small_embedding()).map(|e| e.coords)),
            expect_graph,
        ),
        (
            "analytic_embedding",
            |x| {
                finite(
                    analytic_embedding(&x, &small_graph(), &small_embedding())
                        .map(|e| e.embedding.coords),
                )
            },
            expect_graph,
        ),
        (
            "kmeans",
            |x| {
                finite(
                    kmeans(
                        &x,
                        &KMeansParams {
                            k: 3,
                            ..KMeansParams::default()
                        },
                    )
                    .map(|r| r.centroids),
                )
            },
            expect_kmeans,
        ),
        (
            "orthonormal_basis",
            |x| finite(orthonormal_basis(&x)),
            expect_subspace,
        ),
        (
            "orthogonality",
            |x| within(orthogonality(&x, ColumnScaling::UnitNorm), 0.0..=f64::MAX),
            expect_orthogonality,
        ),
        (
            "grassmann_distance",
            |x| within(grassmann_distance(&x, &x), -1e-9..=3.0 + 1e-9),
            expect_subspace,
        ),
        (
            "fit_affine",
            |x| finite(fit_affine(&x, &x, &AffineFitParams::default()).map(|f| f.map.linear)),
            expect_align,
        ),
        (
            "fit_model similarity",
            |x| {
                finite(
                    fit_model(&x, &x, AlignModel::Similarity, &AffineFitParams::default())
                        .map(|f| f.map.linear),
                )
            },
            expect_align,
        ),
        (
            "fit_ransac",
            |x| {
                let mut rng = ChaCha8Rng::seed_from_u64(0);
                finite(
                    fit_ransac(
                        &x,
                        &x,
                        AlignModel::Affine,
                        &AffineFitParams::default(),
                        &RansacParams::default(),
                        &mut rng,
                    )
                    .map(|f| f.fit.map.linear),
                )
            },
            expect_align,
        ),
        (
            "BatchAligner::align",
            |x| {
                let rows: Vec<usize> = (0..x.nrows()).collect();
                let aligned = BatchAligner::new(x.clone(), AlignConfig::default())
                    .and_then(|mut a| a.align(&x, &rows));
                finite(aligned.map(|a| a.coords))
            },
            expect_align,
        ),
        (
            "linear_probe_accuracy",
            |x| {
                let y: Vec<usize> = (0..x.nrows()).map(|i| i % 3).collect();
                let params = LinearProbeParams {
                    epochs: 20,
                    ..LinearProbeParams::default()
                };
                within(linear_probe_accuracy(&x, &y, &x, &y, &params), 0.0..=1.0)
            },
            expect_probe,
        ),
        (
            "Report::evaluate",
            |x| {
                let y: Vec<usize> = (0..x.nrows()).map(|i| i % 3).collect();
                let inputs = ReportInputs {
                    embedding: &x,
                    labels: Some(&y),
                    analytic: Some(&x),
                    probe_train: None,
                };
                match Report::evaluate(&inputs, &ReportParams::default()) {
                    Ok(r) => {
                        let all = [r.grassmann, r.orthogonality, r.nmi, r.acc];
                        if all.iter().flatten().all(|v| v.is_finite()) {
                            Got::Ok
                        } else {
                            Got::Wrong(format!("{r:?}"))
                        }
                    }
                    Err(e) => Got::Err(format!("{e:?}")),
                }
            },
            expect_report,
        ),
        (
            "check_finite",
            |x| outcome(basis::data::check_finite(&x)),
            expect_check_finite,
        ),
    ];
    for (fname, run, expect) in entries {
        for (iname, x) in feature_inputs() {
            // The fits name a zero-dimensional embedding a dimension mismatch, and
            // check_finite has nothing to say about an empty matrix: their own tables decide.
            let own = matches!(iname, "0x0" | "0 columns" | "0 rows")
                && (fname.starts_with("fit")
                    || fname.starts_with("Batch")
                    || fname == "check_finite");
            let e = if own {
                expect(iname)
            } else {
                malformed(iname).unwrap_or_else(|| expect(iname))
            };
            out.push(case(format!("{fname}: {iname}"), e, move || run(x)));
        }
    }
}

/// Magnitudes whose squared distances overflow f64: the neighbour searches refuse them with
/// a message naming the limit.
const TOO_LARGE_FOR_DISTANCES: &[&str] = &["too large", "overflows"];

fn expect_knn(input: &str) -> Expect {
    match input {
        "one row" | "two rows" => {
            Expect::Err(&["InvalidK", "InvalidParameter", "TooManyEigenvectors"])
        }
        "all 1e300" | "all 1e160" | "one row at 1e200" => Expect::Err(TOO_LARGE_FOR_DISTANCES),
        _ => Expect::Ok,
    }
}

fn expect_graph(input: &str) -> Expect {
    match input {
        "duplicate rows" => Expect::Err(&["ZeroScale"]),
        "subnormal" | "all 1e-300" => Expect::Err(&["ZeroScale", "TooSmall"]),
        _ => expect_knn(input),
    }
}

/// k-means, subspaces, d_⊥ with unit-norm columns and the standardised probe are computed at
/// an exact power-of-two scale: any finite magnitude works (checked against the unscaled
/// data in `scale_invariance_cases`).
fn expect_kmeans(input: &str) -> Expect {
    match input {
        "one row" | "two rows" => Expect::Err(&["InvalidParameter", "TooFew"]),
        _ => Expect::Ok,
    }
}

fn expect_subspace(input: &str) -> Expect {
    match input {
        // One row 1e200 times the others: numerically a rank-one span at the relative
        // tolerance 1e-10 of the rank test.
        "duplicate rows" | "one row at 1e200" => Expect::Err(&["RankDeficient"]),
        "one row" | "two rows" => Expect::Err(&["InvalidParameter"]),
        _ => Expect::Ok,
    }
}

fn expect_orthogonality(input: &str) -> Expect {
    match input {
        // Equal columns: a defined d_⊥ (the squared cosines between them), not an error;
        // likewise a span that is numerically one-dimensional.
        "duplicate rows" | "one row at 1e200" => Expect::Ok,
        _ => expect_subspace(input),
    }
}

fn expect_align(input: &str) -> Expect {
    match input {
        "0 columns" => Expect::Err(&["DimensionMismatch"]),
        "0x0" => Expect::Err(&["DimensionMismatch", "TooFewAnchors"]),
        "0 rows" => Expect::Err(&["TooFewAnchors", "DimensionMismatch"]),
        "all 1e300" | "all 1e160" | "one row at 1e200" => Expect::Err(&["TooLarge"]),
        // Documented limit: coordinates below about 1e-150 make the augmented anchor matrix
        // [φ, 1] numerically rank one, reported as degenerate anchors.
        "duplicate rows" | "subnormal" | "all 1e-300" => Expect::Err(&["RankDeficient"]),
        "one row" | "two rows" => Expect::Err(&["TooFewAnchors"]),
        _ => Expect::Ok,
    }
}

fn expect_probe(input: &str) -> Expect {
    match input {
        "one row" => Expect::Err(&["InvalidParameter"]),
        _ => Expect::Ok,
    }
}

fn expect_report(input: &str) -> Expect {
    expect_subspace(input)
}

/// `check_finite` checks finiteness only; an empty matrix is finite.
fn expect_check_finite(_input: &str) -> Expect {
    Expect::Ok
}

/// Results on `good() × scale` must equal those on `good()`.
fn scale_invariance_cases(out: &mut Vec<Case>) {
    for scale in [1e300, 1e160, 1e-300, 1e-310] {
        let x = good() * scale;
        let label = format!("{scale:e}");
        out.push(case(
            format!("kmeans × {label}: same clusters"),
            Expect::Ok,
            {
                let x = x.clone();
                move || {
                    let p = KMeansParams {
                        k: 3,
                        ..KMeansParams::default()
                    };
                    match (kmeans(&x, &p), kmeans(&good(), &p)) {
                        (Ok(a), Ok(b)) if a.labels == b.labels => Got::Ok,
                        (Ok(a), Ok(b)) => Got::Wrong(format!("{:?} vs {:?}", a.labels, b.labels)),
                        (a, b) => Got::Wrong(format!("{:?} / {:?}", a.err(), b.err())),
                    }
                }
            },
        ));
        out.push(case(
            format!("orthogonality × {label}: same d_⊥"),
            Expect::Ok,
            {
                let x = x.clone();
                move || {
                    let a = orthogonality(&x, ColumnScaling::UnitNorm);
                    let b = orthogonality(&good(), ColumnScaling::UnitNorm);
                    match (a, b) {
                        (Ok(a), Ok(b)) if (a - b).abs() <= 1e-9 * b.max(1.0) => Got::Ok,
                        (a, b) => Got::Wrong(format!("{a:?} vs {b:?}")),
                    }
                }
            },
        ));
        out.push(case(
            format!("grassmann_distance × {label}: 0 to itself"),
            Expect::Ok,
            {
                let x = x.clone();
                move || within(grassmann_distance(&x, &good()), 0.0..=1e-9)
            },
        ));
        out.push(case(
            format!("linear probe × {label}: same accuracy"),
            Expect::Ok,
            {
                let x = x.clone();
                move || {
                    let y = labels();
                    let p = LinearProbeParams {
                        epochs: 30,
                        ..LinearProbeParams::default()
                    };
                    let a = linear_probe_accuracy(&x, &y, &x, &y, &p);
                    let b = linear_probe_accuracy(&good(), &y, &good(), &y, &p);
                    match (a, b) {
                        (Ok(a), Ok(b)) if (a - b).abs() < 1e-12 => Got::Ok,
                        (a, b) => Got::Wrong(format!("{a:?} vs {b:?}")),
                    }
                }
            },
        ));
    }
    // d_⊥ without column scaling genuinely exceeds f64 at 1e200.
    out.push(case(
        "orthogonality, no scaling, × 1e200",
        Expect::Err(&["TooLarge"]),
        || outcome(orthogonality(&(good() * 1e200), ColumnScaling::None)),
    ));
    // Label ids: the probe's cost and result do not depend on how large they are.
    out.push(case(
        "linear probe with label ids 0, 10⁶, 10⁹",
        Expect::Ok,
        || {
            let small = labels();
            let big: Vec<usize> = small
                .iter()
                .map(|&l| [0, 1_000_000, 1_000_000_000][l])
                .collect();
            let p = LinearProbeParams {
                epochs: 30,
                ..LinearProbeParams::default()
            };
            let a = linear_probe_accuracy(&good(), &big, &good(), &big, &p);
            let b = linear_probe_accuracy(&good(), &small, &good(), &small, &p);
            match (a, b) {
                (Ok(a), Ok(b)) if a == b => Got::Ok,
                (a, b) => Got::Wrong(format!("{a:?} vs {b:?}")),
            }
        },
    ));
}

/// A connected weighted graph on six nodes (a ring with chords).
fn good_w() -> DMatrix<f64> {
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

fn sym(mut w: DMatrix<f64>, i: usize, j: usize, v: f64) -> DMatrix<f64> {
    w[(i, j)] = v;
    w[(j, i)] = v;
    w
}

/// The malformed and extreme affinity matrices, by name.
fn affinity_inputs() -> Vec<(&'static str, DMatrix<f64>)> {
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

fn affinity_cases(out: &mut Vec<Case>) {
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
const BAD_AFFINITY: &[&str] = &["BadAffinity"];

fn expect_laplacian(input: &str) -> Expect {
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

fn expect_unnormalized(input: &str) -> Expect {
    match input {
        // D − W of a graph with an isolated node is defined (a zero row).
        "isolated node" => Expect::Ok,
        _ => expect_laplacian(input),
    }
}

fn expect_diffusion(input: &str) -> Expect {
    match input {
        // 0 points cannot give the k + 1 eigenvectors asked for.
        "0x0" => Expect::Err(&["TooManyEigenvectors"]),
        // Defined: the leading coordinates are the components' indicators.
        "disconnected" => Expect::Ok,
        _ => expect_laplacian(input),
    }
}

fn expect_eigen(input: &str) -> Expect {
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
fn laplacian_scale_cases(out: &mut Vec<Case>) {
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

/// Labelings: the clustering scores and the label validator.
fn label_cases(out: &mut Vec<Case>) {
    let scores: Vec<(&str, Score)> = vec![
        ("nmi", |a, b| {
            within(nmi(a, b, NmiNormalization::Max), 0.0..=1.0)
        }),
        ("nmi arithmetic", |a, b| {
            within(nmi(a, b, NmiNormalization::Arithmetic), 0.0..=1.0)
        }),
        ("clustering_accuracy", |a, b| {
            within(clustering_accuracy(a, b), 0.0..=1.0)
        }),
        ("contingency", |a, b| outcome(contingency(a, b))),
    ];
    let inputs: Vec<(&str, Vec<usize>, Vec<usize>, Expect)> = vec![
        ("empty", vec![], vec![], Expect::Err(&["Empty"])),
        (
            "lengths 3 and 2",
            vec![0, 1, 2],
            vec![0, 1],
            Expect::Err(&["LengthMismatch"]),
        ),
        ("one point", vec![0], vec![0], Expect::Ok),
        ("one class each", vec![0; 5], vec![0; 5], Expect::Ok),
        (
            "label usize::MAX",
            vec![0, usize::MAX, 1],
            vec![0, 1, 1],
            Expect::Ok,
        ),
        (
            "labels 10⁹ apart",
            vec![0, 1_000_000_000, 0],
            vec![7, 7, 2_000_000_000],
            Expect::Ok,
        ),
    ];
    for (fname, run) in scores {
        for (iname, a, b, e) in inputs.clone() {
            out.push(case(format!("{fname}: {iname}"), e, move || run(&a, &b)));
        }
    }
    let values: Vec<(&str, f64, Expect)> = vec![
        ("-1", -1.0, Expect::Err(&["InvalidParameter"])),
        ("0.5", 0.5, Expect::Err(&["InvalidParameter"])),
        (
            "NaN",
            f64::NAN,
            Expect::Err(&["InvalidParameter", "NonFinite"]),
        ),
        (
            "+inf",
            f64::INFINITY,
            Expect::Err(&["InvalidParameter", "NonFinite"]),
        ),
        ("1e300", 1e300, Expect::Err(&["InvalidParameter"])),
        (
            "MAX_LABEL + 1",
            (MAX_LABEL + 1) as f64,
            Expect::Err(&["InvalidParameter"]),
        ),
        ("MAX_LABEL", MAX_LABEL as f64, Expect::Ok),
        ("-0", -0.0, Expect::Ok),
    ];
    for (name, v, e) in values {
        out.push(case(format!("class_labels: {name}"), e, move || {
            outcome(class_labels([0.0, v, 1.0], "corpus"))
        }));
    }
    // Anchor sampling: overflowing or impossible requests.
    let mut rng_cases: Vec<(&str, Draw, Expect)> = vec![
        (
            "per class usize::MAX",
            Box::new(|r| outcome(sample_anchors_per_class(&labels(), usize::MAX, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "per class 0",
            Box::new(|r| outcome(sample_anchors_per_class(&labels(), 0, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "no labels",
            Box::new(|r| outcome(sample_anchors_per_class(&[], 2, r))),
            Expect::Err(&["Empty"]),
        ),
        (
            "label usize::MAX",
            Box::new(|r| outcome(sample_anchors_per_class(&[0, usize::MAX, 1, 1], 1, r))),
            Expect::Ok,
        ),
        (
            "more per class than a class has",
            Box::new(|r| outcome(sample_anchors_per_class(&labels(), N, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "uniform: more than n",
            Box::new(|r| outcome(sample_anchors_uniform(5, 6, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "uniform: none",
            Box::new(|r| outcome(sample_anchors_uniform(5, 0, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "uniform: usize::MAX of usize::MAX",
            Box::new(|r| outcome(sample_anchors_uniform(usize::MAX, usize::MAX, r))),
            Expect::Err(&["InvalidParameter", "TooLarge"]),
        ),
    ];
    for (name, run, e) in rng_cases.drain(..) {
        out.push(case(format!("anchors: {name}"), e, move || {
            run(&mut ChaCha8Rng::seed_from_u64(0))
        }));
    }
}

/// Corrupt files: IDX, .npy and CSV bytes.
fn file_cases(out: &mut Vec<Case>) {
    let idx: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("empty", vec![], Expect::Err(&["Truncated", "IdxBadMagic"])),
        (
            "bad magic",
            vec![1, 2, 8, 1, 0, 0, 0, 1, 7],
            Expect::Err(&["IdxBadMagic"]),
        ),
        (
            "unknown type 0x07",
            vec![0, 0, 7, 1, 0, 0, 0, 1, 7],
            Expect::Err(&["IdxUnknownType"]),
        ),
        (
            "no dimensions",
            vec![0, 0, 8, 0],
            Expect::Err(&["IdxBadShape"]),
        ),
        (
            "cut header",
            vec![0, 0, 8, 2, 0, 0],
            Expect::Err(&["Truncated"]),
        ),
        (
            "cut payload",
            vec![0, 0, 8, 1, 0, 0, 0, 3, 1, 2],
            Expect::Err(&["Truncated"]),
        ),
        (
            "trailing bytes",
            vec![0, 0, 8, 1, 0, 0, 0, 1, 7, 9],
            Expect::Err(&["TrailingBytes"]),
        ),
        (
            "dimensions overflowing usize",
            vec![
                0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
            ],
            Expect::Err(&["IdxBadShape", "Truncated"]),
        ),
        ("a good one", vec![0, 0, 8, 1, 0, 0, 0, 2, 7, 9], Expect::Ok),
    ];
    for (name, bytes, e) in idx {
        out.push(case(format!("parse_idx: {name}"), e, move || {
            outcome(parse_idx(&bytes))
        }));
    }
    let good_npy = basis::data::npy::encode_npy(&good());
    let mut npy: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("empty", vec![], Expect::Err(&["Truncated", "Npy"])),
        (
            "bad magic",
            b"\x93NUMPZ\x01\x00".to_vec(),
            Expect::Err(&["Npy", "Truncated"]),
        ),
        (
            "cut header",
            good_npy[..20].to_vec(),
            Expect::Err(&["Truncated"]),
        ),
        (
            "cut payload",
            good_npy[..good_npy.len() - 3].to_vec(),
            Expect::Err(&["Truncated"]),
        ),
        (
            "trailing bytes",
            [&good_npy[..], &[0u8; 8]].concat(),
            Expect::Err(&["TrailingBytes"]),
        ),
        ("a good one", good_npy.clone(), Expect::Ok),
    ];
    for (what, from, to) in [
        ("dtype <b8", "'<f8'", "'<b8'"),
        ("dtype object", "'<f8'", "'|O8'"),
        ("non-ASCII dtype", "'<f8'", "'<fé'"),
        ("3-D shape", "(24, 3)", "(2, 12, 3)"),
        ("negative shape", "(24, 3)", "(-24, 3)"),
        ("shape larger than the payload", "(24, 3)", "(2400, 3)"),
    ] {
        let text = String::from_utf8_lossy(&good_npy[..128]).replace(from, to);
        let header: Vec<u8> = text.into_bytes();
        let bytes = [&header[..], &good_npy[128..]].concat();
        npy.push((
            what,
            bytes,
            Expect::Err(&["Npy", "Truncated", "ShapeMismatch", "TrailingBytes"]),
        ));
    }
    for (name, bytes, e) in npy {
        out.push(case(format!("parse_npy: {name}"), e, move || {
            finite(parse_npy(&bytes))
        }));
    }
    let csv: Vec<(&str, &str, Expect)> = vec![
        ("empty", "", Expect::Err(&["Empty"])),
        ("only a newline", "\n", Expect::Err(&["Empty"])),
        ("ragged", "1,2,3\n4,5\n", Expect::Err(&["CsvRagged"])),
        ("a word", "1,2,x\n", Expect::Err(&["CsvParse"])),
        ("NaN", "1,2,NaN\n", Expect::Err(&["NonFinite", "CsvParse"])),
        ("inf", "1,inf,2\n", Expect::Err(&["NonFinite", "CsvParse"])),
        (
            "1e400",
            "1,1e400,2\n",
            Expect::Err(&["NonFinite", "CsvParse"]),
        ),
        ("good", "1,2,3\n4,5,6\n", Expect::Ok),
    ];
    for (name, text, e) in csv {
        out.push(case(format!("parse_csv: {name}"), e, move || {
            outcome(parse_csv(text, &CsvOptions::default()))
        }));
    }
    let labelled = |label: &'static str| {
        move || {
            let text = format!("1,2,0\n3,4,{label}\n5,6,1\n");
            outcome(parse_csv(
                &text,
                &CsvOptions {
                    label_column: Some(-1),
                    ..CsvOptions::default()
                },
            ))
        }
    };
    for (label, e) in [
        ("-1", Expect::Err(&["InvalidParameter"])),
        ("1.5", Expect::Err(&["InvalidParameter"])),
        ("1e300", Expect::Err(&["InvalidParameter"])),
        ("2", Expect::Ok),
    ] {
        out.push(case(
            format!("parse_csv: label {label}"),
            e,
            labelled(label),
        ));
    }
}

/// Hand-built structs and parameter checks.
fn struct_and_parameter_cases(out: &mut Vec<Case>) {
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

fn main_cases() -> Vec<Case> {
    let mut out = Vec::new();
    feature_cases(&mut out);
    scale_invariance_cases(&mut out);
    affinity_cases(&mut out);
    laplacian_scale_cases(&mut out);
    label_cases(&mut out);
    file_cases(&mut out);
    struct_and_parameter_cases(&mut out);
    segmentation_cases(&mut out);
    link_prediction_cases(&mut out);
    geometry_cases(&mut out);
    out
}

/// The GGAE benchmark's pure entry points: the Laplace–Beltrami estimate, geodesic distances,
/// the manifold generators and splits, Spearman's ρ and kNN recall.
fn geometry_cases(out: &mut Vec<Case>) {
    use basis::data::manifolds::{
        RotationParams, SwissRollParams, rotate_bilinear, rotating_sequences, split_indices,
        swiss_roll_with_hole,
    };
    use basis::graph::{
        LaplaceBeltramiParams, Unreachable, cycle_distances, geodesic_distances, laplace_beltrami,
    };
    use basis::metrics::{distance_spearman, knn_recall, spearman};
    let lb = |h: f64| LaplaceBeltramiParams {
        h,
        ..Default::default()
    };
    for h in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        out.push(case(
            format!("Laplace–Beltrami: h = {h}"),
            Expect::Err(&["InvalidParameter"]),
            move || finite(laplace_beltrami(&cycle_distances(6), &lb(h))),
        ));
    }
    out.push(case(
        "Laplace–Beltrami: c = 0",
        Expect::Err(&["InvalidParameter"]),
        || {
            finite(laplace_beltrami(
                &cycle_distances(6),
                &LaplaceBeltramiParams { h: 1.0, c: 0.0 },
            ))
        },
    ));
    for (name, d) in [
        ("0 × 0", DMatrix::zeros(0, 0)),
        ("not square", DMatrix::zeros(3, 4)),
        ("NaN", with(cycle_distances(5), 1, 2, f64::NAN)),
        ("∞", with(cycle_distances(5), 0, 3, f64::INFINITY)),
        ("asymmetric", with(cycle_distances(5), 0, 2, 7.0)),
        (
            "negative",
            with(with(cycle_distances(5), 0, 2, -1.0), 2, 0, -1.0),
        ),
        ("a non-zero diagonal", with(cycle_distances(5), 3, 3, 1.0)),
    ] {
        out.push(case(
            format!("Laplace–Beltrami: distances {name}"),
            Expect::Err(&["BadAffinity", "Empty", "NonFinite", "InvalidParameter"]),
            move || finite(laplace_beltrami(&d, &lb(200.0))),
        ));
    }
    // Far-apart points: every off-diagonal kernel entry underflows; L is finite (rows of 0).
    for (name, scale) in [("1e200", 1e200), ("1e-200", 1e-200)] {
        out.push(case(
            format!("Laplace–Beltrami: distances × {name}, rows sum to 0"),
            Expect::Ok,
            move || match laplace_beltrami(&(cycle_distances(7) * scale), &lb(1.0)) {
                Ok(l)
                    if l.iter().all(|v| v.is_finite())
                        && l.row_iter().all(|r| r.sum().abs() < 1e-9) =>
                {
                    Got::Ok
                }
                Ok(l) => Got::Wrong(format!("{l:?}")),
                Err(e) => Got::Err(format!("{e:?}")),
            },
        ));
    }
    // Two clusters far apart: their 2-NN graphs do not meet.
    let two = || {
        let x = DMatrix::from_fn(8, 2, |i, j| {
            (i % 4) as f64 + j as f64 * 0.1 + 1e6 * (i / 4) as f64
        });
        basis::graph::knn_exact(
            &x,
            &basis::graph::KnnParams {
                k: 2,
                ..Default::default()
            },
        )
        .unwrap()
    };
    out.push(case(
        "geodesic distances: a disconnected kNN graph",
        Expect::Err(&["Disconnected"]),
        move || finite(geodesic_distances(&two(), Unreachable::Error, 1)),
    ));
    out.push(case(
        "geodesic distances: a disconnected kNN graph with a cap of 1e9",
        Expect::Ok,
        move || match geodesic_distances(&two(), Unreachable::Cap(1e9), 1) {
            Ok(d) if d[(0, 7)] == 1e9 && d[(0, 1)] < 2.0 && d == d.transpose() => Got::Ok,
            Ok(d) => Got::Wrong(format!("{d:?}")),
            Err(e) => Got::Err(format!("{e:?}")),
        },
    ));
    for cap in [f64::NAN, -1.0, f64::INFINITY] {
        out.push(case(
            format!("geodesic distances: cap {cap}"),
            Expect::Err(&["InvalidParameter"]),
            move || finite(geodesic_distances(&two(), Unreachable::Cap(cap), 1)),
        ));
    }
    let roll = |f: fn(&mut SwissRollParams)| {
        let mut p = SwissRollParams {
            n: 50,
            ..Default::default()
        };
        f(&mut p);
        p
    };
    for (name, p) in [
        ("n = 0", roll(|p| p.n = 0)),
        ("n = usize::MAX", roll(|p| p.n = usize::MAX)),
        ("θ reversed", roll(|p| p.theta = (4.0, 1.0))),
        ("θ NaN", roll(|p| p.theta = (f64::NAN, 4.0))),
        ("θ < 0", roll(|p| p.theta = (-1.0, 4.0))),
        ("θ ∞", roll(|p| p.theta = (1.0, f64::INFINITY))),
        ("a hole of the whole sheet", roll(|p| p.hole = (0.0, 1.0))),
        ("a hole past the sheet", roll(|p| p.hole = (0.5, 1.5))),
        ("a reversed hole", roll(|p| p.hole = (0.6, 0.4))),
        ("a NaN hole", roll(|p| p.hole = (f64::NAN, 0.5))),
    ] {
        out.push(case(
            format!("Swiss roll: {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || outcome(swiss_roll_with_hole(&p)),
        ));
    }
    out.push(case(
        "Swiss roll: no hole, points on the spiral, (s, z) in the sheet",
        Expect::Ok,
        move || match swiss_roll_with_hole(&roll(|p| p.hole = (0.5, 0.5))) {
            Ok(r) => {
                let w = basis::data::manifolds::spiral_arc_length(4.0 * std::f64::consts::PI)
                    - basis::data::manifolds::spiral_arc_length(1.5 * std::f64::consts::PI);
                let inside = r
                    .unrolled
                    .iter()
                    .all(|v| v.is_finite() && (0.0..=w).contains(v));
                if inside && r.points.iter().all(|v| v.is_finite()) {
                    Got::Ok
                } else {
                    Got::Wrong(format!("{:?}", r.unrolled))
                }
            }
            Err(e) => Got::Err(format!("{e:?}")),
        },
    ));
    for (name, n, f) in [
        ("no fractions", 10usize, vec![]),
        ("a negative fraction", 10, vec![1.2, -0.2]),
        ("a NaN fraction", 10, vec![f64::NAN, 0.5]),
        ("fractions summing to 0.9", 10, vec![0.5, 0.4]),
        ("∞", 10, vec![f64::INFINITY]),
    ] {
        out.push(case(
            format!("split_indices: {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || outcome(split_indices(n, &f, 0)),
        ));
    }
    for n in [0usize, 2] {
        out.push(case(
            format!("split_indices: {n} items into 5/7, 1/7, 1/7 (an empty part)"),
            Expect::Err(&["Empty"]),
            move || outcome(split_indices(n, &[5.0 / 7.0, 1.0 / 7.0, 1.0 / 7.0], 0)),
        ));
    }
    for (name, len, w, h, deg) in [
        ("0 × 0", 0usize, 0usize, 0usize, 10.0),
        ("pixels ≠ width · height", 15, 4, 4, 10.0),
        ("width · height overflowing usize", 4, usize::MAX, 2, 10.0),
        ("a NaN angle", 16, 4, 4, f64::NAN),
        ("an ∞ angle", 16, 4, 4, f64::INFINITY),
    ] {
        out.push(case(
            format!("rotate_bilinear: {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || outcome(rotate_bilinear(&vec![0.5; len], w, h, deg)),
        ));
    }
    let images = || DMatrix::from_fn(3, 16, |i, j| ((i + j) % 5) as f64 / 4.0);
    let rot = |f: fn(&mut RotationParams)| {
        let mut p = RotationParams {
            width: 4,
            ..Default::default()
        };
        f(&mut p);
        p
    };
    for (name, x, p) in [
        ("no images", DMatrix::zeros(0, 16), rot(|_| {})),
        ("0 frames", images(), rot(|p| p.frames = 0)),
        (
            "usize::MAX frames",
            images(),
            rot(|p| p.frames = usize::MAX),
        ),
        ("width 0", images(), rot(|p| p.width = 0)),
        (
            "a width that does not divide the pixels",
            images(),
            rot(|p| p.width = 5),
        ),
        ("a NaN step", images(), rot(|p| p.step_degrees = f64::NAN)),
        ("a NaN pixel", with(images(), 1, 3, f64::NAN), rot(|_| {})),
    ] {
        out.push(case(
            format!("rotating sequences: {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || finite(rotating_sequences(&x, &p).map(|s| s.frames)),
        ));
    }
    for (name, a, b) in [
        ("lengths that differ", vec![1.0, 2.0], vec![1.0]),
        ("one value", vec![1.0], vec![2.0]),
        ("no values", vec![], vec![]),
        ("NaN", vec![1.0, f64::NAN, 3.0], vec![1.0, 2.0, 3.0]),
        ("−∞", vec![1.0, 2.0, 3.0], vec![f64::NEG_INFINITY, 2.0, 3.0]),
        (
            "a constant sample",
            vec![2.0, 2.0, 2.0],
            vec![1.0, 2.0, 3.0],
        ),
    ] {
        out.push(case(
            format!("Spearman: {name}"),
            Expect::Err(&["LengthMismatch", "Empty", "NonFinite", "InvalidParameter"]),
            move || within(spearman(&a, &b), -1.0..=1.0),
        ));
    }
    out.push(case(
        "Spearman: values of ±1e300 and 1e-310 (ranks only)",
        Expect::Ok,
        || match spearman(&[-1e300, 1e-310, 1e300], &[1.0, 2.0, 3.0]) {
            Ok(1.0) => Got::Ok,
            r => Got::Wrong(format!("{r:?}")),
        },
    ));
    let c6 = || cycle_distances(6);
    for (name, t, l, ks) in [
        ("shapes that differ", c6(), cycle_distances(5), vec![2usize]),
        ("not square", DMatrix::zeros(6, 5), c6(), vec![2]),
        ("one point", cycle_distances(1), cycle_distances(1), vec![1]),
        (
            "NaN latent distance",
            c6(),
            with(c6(), 1, 2, f64::NAN),
            vec![2],
        ),
        ("k = 0", c6(), c6(), vec![0]),
        ("k = n", c6(), c6(), vec![6]),
        ("k = usize::MAX", c6(), c6(), vec![usize::MAX]),
    ] {
        out.push(case(
            format!("kNN recall: {name}"),
            Expect::Err(&["InvalidParameter", "Empty", "NonFinite"]),
            move || outcome(knn_recall(&t, &l, &ks)),
        ));
    }
    out.push(case(
        "distance Spearman: shapes that differ",
        Expect::Err(&["InvalidParameter"]),
        || {
            within(
                distance_spearman(&cycle_distances(6), &cycle_distances(4)),
                -1.0..=1.0,
            )
        },
    ));
    out.push(case(
        "kNN recall and distance Spearman of a cycle against itself: 1 (ties broken alike)",
        Expect::Ok,
        || {
            let d = cycle_distances(12);
            match (knn_recall(&d, &d, &[1, 5, 11]), distance_spearman(&d, &d)) {
                (Ok(r), Ok(s)) if r.iter().all(|&v| v == 1.0) && (s - 1.0).abs() < 1e-12 => Got::Ok,
                (r, s) => Got::Wrong(format!("{r:?}, {s:?}")),
            }
        },
    ));
}

/// The link-prediction benchmark's pure entry points (`basis_data::random_graphs`,
/// `basis_metrics::roc_auc`).
fn link_prediction_cases(out: &mut Vec<Case>) {
    use basis::data::random_graphs::{
        UndirectedGraph, barabasi_albert, erdos_renyi, sample_negatives, split_edges, twin_graph,
    };
    let invalid: &[&str] = &["InvalidParameter"];
    for (name, edges) in [
        ("a self-loop", vec![(0usize, 1usize), (2, 2)]),
        ("a node ≥ n", vec![(0, 5)]),
        ("usize::MAX", vec![(usize::MAX, 0)]),
    ] {
        out.push(case(
            format!("random graphs: from_edges with {name}"),
            Expect::Err(invalid),
            move || outcome(UndirectedGraph::from_edges(4, edges)),
        ));
    }
    for (n, p) in [
        (0usize, 0.5),
        (1, 0.5),
        (10, -0.1),
        (10, 1.5),
        (10, f64::NAN),
        (10, f64::INFINITY),
    ] {
        out.push(case(
            format!("random graphs: G(n = {n}, p = {p})"),
            Expect::Err(invalid),
            move || outcome(erdos_renyi(n, p, 0)),
        ));
    }
    for (n, m) in [
        (10usize, 0usize),
        (10, 10),
        (10, 11),
        (0, 0),
        (1, usize::MAX),
    ] {
        out.push(case(
            format!("random graphs: Barabási–Albert n = {n}, m = {m}"),
            Expect::Err(invalid),
            move || outcome(barabasi_albert(n, m, 0)),
        ));
    }
    let path = || UndirectedGraph::from_edges(5, (0..4).map(|i| (i, i + 1))).unwrap();
    out.push(case(
        "random graphs: twin graph with more extra edges than free pairs",
        Expect::Err(invalid),
        move || outcome(twin_graph(&path(), 40, 0)),
    ));
    for (name, v, t) in [
        ("validation 0", 0.0, 0.1),
        ("test −0.1", 0.1, -0.1),
        ("fractions summing to 1", 0.5, 0.5),
        ("NaN fraction", f64::NAN, 0.1),
        ("∞ fraction", f64::INFINITY, 0.1),
    ] {
        out.push(case(
            format!("random graphs: edge split, {name}"),
            Expect::Err(invalid),
            move || outcome(split_edges(&path(), v, t, 0)),
        ));
    }
    out.push(case(
        "random graphs: edge split of a graph with no edges",
        Expect::Err(&["Empty"]),
        || {
            outcome(split_edges(
                &UndirectedGraph::from_edges(6, []).unwrap(),
                0.1,
                0.1,
                0,
            ))
        },
    ));
    out.push(case(
        "random graphs: edge split of 2 edges (no training edge left)",
        Expect::Err(&["Empty"]),
        || {
            outcome(split_edges(
                &UndirectedGraph::from_edges(3, [(0, 1), (1, 2)]).unwrap(),
                0.1,
                0.1,
                0,
            ))
        },
    ));
    out.push(case(
        "random graphs: negatives of a complete graph",
        Expect::Err(invalid),
        || {
            let k4 = UndirectedGraph::from_edges(
                4,
                (0..4).flat_map(|i| (i + 1..4).map(move |j| (i, j))),
            )
            .unwrap();
            let mut rng = ChaCha8Rng::seed_from_u64(0);
            outcome(sample_negatives(4, &k4.edge_set(), 1, &mut rng))
        },
    ));
    // A valid split: held-out sets disjoint from training, negatives are non-edges.
    out.push(case(
        "random graphs: edge split of G(60, 0.2) is a partition with true negatives",
        Expect::Ok,
        || match erdos_renyi(60, 0.2, 4).and_then(|g| split_edges(&g, 0.1, 0.1, 5).map(|s| (g, s)))
        {
            Ok((g, s)) => {
                let all = g.edge_set();
                let parts = s.train.len() + s.val.len() + s.test.len();
                let negatives_ok = s
                    .val_negatives
                    .iter()
                    .chain(&s.test_negatives)
                    .all(|e| !all.contains(e));
                if parts == all.len() && negatives_ok {
                    Got::Ok
                } else {
                    Got::Wrong(format!(
                        "{parts} of {} edges, negatives ok: {negatives_ok}",
                        all.len()
                    ))
                }
            }
            Err(e) => Got::Err(format!("{e:?}")),
        },
    ));
    for (name, p, q) in [
        ("no positives", vec![], vec![0.5]),
        ("no negatives", vec![0.5], vec![]),
        ("NaN score", vec![0.5, f64::NAN], vec![0.1]),
        ("−∞ score", vec![0.5], vec![f64::NEG_INFINITY]),
    ] {
        out.push(case(
            format!("ROC-AUC: {name}"),
            Expect::Err(&["Empty", "NonFinite"]),
            move || outcome(basis::metrics::roc_auc(&p, &q)),
        ));
    }
    out.push(case(
        "ROC-AUC: scores of 1e300 and −1e300 and all ties",
        Expect::Ok,
        || {
            let a = basis::metrics::roc_auc(&[1e300, 1e300], &[-1e300]);
            let b = basis::metrics::roc_auc(&[2.0, 2.0], &[2.0, 2.0, 2.0]);
            match (a, b) {
                (Ok(a), Ok(b)) if a == 1.0 && b == 0.5 => Got::Ok,
                (a, b) => Got::Wrong(format!("{a:?}, {b:?}")),
            }
        },
    ));
}

/// The segmentation benchmark's entry points (`basis-segment`, `basis_metrics::segmentation`).
fn segmentation_cases(out: &mut Vec<Case>) {
    use basis::metrics::{ClusterMapping, Confusion};
    use basis::segment::features::PatchGrid;
    use basis::segment::real::{read_tiff_gray, tiles};
    use basis::segment::spectral::{SpectralClusteringParams, spectral_clustering};
    use basis::segment::{
        FilterBankParams, KernelParams, LabelledImage, Mask, RgbImage, Split, TextureConfig,
        patch_features, segmentation_kernel,
    };
    fn img(w: usize, h: usize, v: f64) -> RgbImage {
        RgbImage {
            width: w,
            height: h,
            pixels: vec![[v; 3]; w * h],
        }
    }
    fn ok(v: f64) -> RgbImage {
        img(16, 16, v)
    }
    fn params() -> FilterBankParams {
        FilterBankParams::default()
    }
    fn mask(w: usize, h: usize, l: usize) -> Mask {
        Mask {
            width: w,
            height: h,
            labels: vec![l; w * h],
        }
    }
    let seg: &[&str] = &["Empty", "Shape", "NonFinite", "InvalidConfig"];
    let images: Vec<(&str, RgbImage)> = vec![
        ("0 × 0 image", img(0, 0, 0.5)),
        ("16 × 0 image", img(16, 0, 0.5)),
        (
            "pixel count ≠ width · height",
            RgbImage {
                pixels: vec![[0.5; 3]; 10],
                ..ok(0.5)
            },
        ),
        ("image smaller than a patch", img(4, 4, 0.5)),
        ("NaN pixel", {
            let mut m = ok(0.5);
            m.pixels[7][2] = f64::NAN;
            m
        }),
        ("infinite pixel", {
            let mut m = ok(0.5);
            m.pixels[0][0] = f64::INFINITY;
            m
        }),
    ];
    for (name, im) in images {
        out.push(case(
            format!("segmentation: patch_features, {name}"),
            Expect::Err(seg),
            move || outcome(patch_features(&im, &params())),
        ));
    }
    // A constant image is valid: its descriptor is uniform, every value finite.
    out.push(case(
        "segmentation: patch_features, constant image",
        Expect::Ok,
        move || finite(patch_features(&ok(0.3), &params()).map(|f| f.features)),
    ));
    for (name, p) in [
        (
            "patch 0",
            FilterBankParams {
                patch: 0,
                ..params()
            },
        ),
        (
            "no scales",
            FilterBankParams {
                scales: vec![],
                ..params()
            },
        ),
        (
            "scale NaN",
            FilterBankParams {
                scales: vec![f64::NAN],
                ..params()
            },
        ),
        (
            "colour weight −1",
            FilterBankParams {
                colour_weight: -1.0,
                ..params()
            },
        ),
    ] {
        out.push(case(
            format!("segmentation: filter bank {name}"),
            Expect::Err(&["InvalidConfig"]),
            move || outcome(patch_features(&ok(0.5), &p)),
        ));
    }
    for (name, m, classes) in [
        ("mask 8 × 16 for a 16 × 16 image", mask(8, 16, 0), None),
        ("mask label 7 of 7 classes", mask(16, 16, 7), Some(7)),
        (
            "mask with too few labels",
            Mask {
                labels: vec![0; 3],
                ..mask(16, 16, 0)
            },
            None,
        ),
    ] {
        out.push(case(
            format!("segmentation: {name}"),
            Expect::Err(&["Shape"]),
            move || {
                outcome(
                    LabelledImage {
                        image: ok(0.5),
                        mask: m,
                    }
                    .check(classes),
                )
            },
        ));
    }
    for (name, c, k) in [("0 classes", 0, 3), ("0 clusters (K = 0)", 3, 0)] {
        out.push(case(
            format!("segmentation: confusion matrix, {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || outcome(Confusion::new(c, k)),
        ));
    }
    out.push(case(
        "segmentation: mIoU, mask and prediction sizes differ",
        Expect::Err(&["LengthMismatch"]),
        || outcome(Confusion::new(2, 2).and_then(|mut m| m.add(&[0, 1, 1], &[0, 1]))),
    ));
    out.push(case(
        "segmentation: mIoU of nothing counted",
        Expect::Err(&["Empty"]),
        || outcome(Confusion::new(2, 2).and_then(|m| m.miou(ClusterMapping::ArgmaxIou))),
    ));
    out.push(case(
        "segmentation: upsample with too few patch labels",
        Expect::Err(&["Shape"]),
        || outcome(PatchGrid::new(16, 16, 8).and_then(|g| g.upsample(&[0, 1]))),
    ));
    // Spectral clustering: K = 0 and K ≥ n.
    for k in [0usize, 4, 100] {
        out.push(case(
            format!("segmentation: spectral clustering K = {k} of 4 patches"),
            Expect::Err(&["InvalidConfig"]),
            move || {
                let f = patch_features(&ok(0.5), &params()).unwrap();
                let g = segmentation_kernel(&[&f], &f.features, &KernelParams::default()).unwrap();
                outcome(spectral_clustering(
                    &g,
                    k,
                    &SpectralClusteringParams::default(),
                ))
            },
        ));
    }
    out.push(case(
        "segmentation: kernel over no images",
        Expect::Err(&["Empty"]),
        || {
            outcome(segmentation_kernel(
                &[],
                &DMatrix::zeros(0, 18),
                &KernelParams::default(),
            ))
        },
    ));
    out.push(case(
        "segmentation: kernel with feature rows ≠ patches",
        Expect::Err(&["Shape"]),
        || {
            let f = patch_features(&ok(0.5), &params()).unwrap();
            outcome(segmentation_kernel(
                &[&f],
                &DMatrix::zeros(3, 18),
                &KernelParams::default(),
            ))
        },
    ));
    out.push(case(
        "segmentation: kernel with NaN features",
        Expect::Err(&["NonFinite"]),
        || {
            let f = patch_features(&ok(0.5), &params()).unwrap();
            let mut x = f.features.clone();
            x[(1, 2)] = f64::NAN;
            outcome(segmentation_kernel(&[&f], &x, &KernelParams::default()))
        },
    ));
    out.push(case(
        "segmentation: kernel with neither graph",
        Expect::Err(&["InvalidConfig"]),
        || {
            let f = patch_features(&ok(0.5), &params()).unwrap();
            let p = KernelParams {
                feature_weight: 0.0,
                pixel_graphs: vec![],
                ..Default::default()
            };
            outcome(segmentation_kernel(&[&f], &f.features, &p))
        },
    ));
    for (name, c) in [
        (
            "regions 0",
            TextureConfig {
                min_regions: 0,
                ..Default::default()
            },
        ),
        (
            "no textures",
            TextureConfig {
                textures: vec![],
                ..Default::default()
            },
        ),
        (
            "size 2",
            TextureConfig {
                size: 2,
                ..Default::default()
            },
        ),
        (
            "blur −1",
            TextureConfig {
                blur_sigma: -1.0,
                ..Default::default()
            },
        ),
    ] {
        out.push(case(
            format!("segmentation: generator {name}"),
            Expect::Err(&["InvalidConfig"]),
            move || outcome(c.image(0, Split::Test, 0)),
        ));
    }
    out.push(case(
        "segmentation: tiles of 0 pixels",
        Expect::Err(&["Shape"]),
        || {
            outcome(tiles(
                &LabelledImage {
                    image: ok(0.5),
                    mask: mask(16, 16, 0),
                },
                0,
            ))
        },
    ));
    let dir = std::env::temp_dir().join(format!("basis-corpus-tiff-{}", std::process::id()));
    for (name, bytes) in [
        ("empty TIFF file", &b""[..]),
        ("TIFF header only", &b"II*\x00"[..]),
        ("PNG bytes named .tif", &b"\x89PNG\r\n\x1a\n\x00\x00"[..]),
    ] {
        let dir = dir.clone();
        out.push(case(
            format!("segmentation: {name}"),
            Expect::Err(&["Format"]),
            move || {
                std::fs::create_dir_all(&dir).unwrap();
                let p = dir.join(format!("{}.tif", name.replace(' ', "-")));
                std::fs::write(&p, bytes).unwrap();
                let r = read_tiff_gray(&p);
                let _ = std::fs::remove_file(&p);
                outcome(r)
            },
        ));
    }
    out.push(case(
        "segmentation: missing TIFF file",
        Expect::Err(&["Io"]),
        || {
            outcome(read_tiff_gray(std::path::Path::new(
                "/nonexistent/basis/img2d.tif",
            )))
        },
    ));
}

#[test]
fn every_bad_input_gets_its_documented_outcome() {
    let verbose = std::env::var_os("BASIS_CORPUS_VERBOSE").is_some();
    let cases = main_cases();
    let total = cases.len();
    let (mut typed, mut documented) = (0, 0);
    let mut failures = Vec::new();
    for c in cases {
        let (tx, rx) = mpsc::channel();
        let run = c.run;
        let handle = std::thread::spawn(move || {
            let got = run();
            let _ = tx.send(got);
        });
        let got = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(got) => {
                let _ = handle.join();
                Ok(got)
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err("panicked".to_string()),
            Err(mpsc::RecvTimeoutError::Timeout) => Err("hung (no answer in 30 s)".to_string()),
        };
        let verdict = match (&c.expect, &got) {
            (Expect::Err(names), Ok(Got::Err(e))) if names.iter().any(|n| e.contains(n)) => {
                typed += 1;
                None
            }
            (Expect::Ok, Ok(Got::Ok)) => {
                documented += 1;
                None
            }
            (expect, got) => Some(format!("{}: expected {expect:?}, got {got:?}", c.name)),
        };
        if verbose {
            println!("{:<48} {got:?}", c.name);
        }
        failures.extend(verdict);
    }
    println!("{total} cases: {typed} typed errors, {documented} documented results");
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Extreme finite values in random arrangements: magnitudes from subnormal to 1e300, both
/// signs, zeros, duplicates and constant columns (values are drawn from a small pool, so rows
/// and columns repeat).
fn extreme_matrix() -> impl proptest::strategy::Strategy<Value = DMatrix<f64>> {
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
fn check_extreme(x: DMatrix<f64>) -> Result<(), String> {
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
fn run_guarded(runs: Vec<(&str, Run)>) -> Result<(), String> {
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
fn extreme_affinity() -> impl proptest::strategy::Strategy<Value = DMatrix<f64>> {
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
fn check_extreme_affinity(w: DMatrix<f64>) -> Result<(), String> {
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
