//! Feature matrices (NaN, infinities, empty, one row, huge magnitudes) fed to kNN, graphs, embeddings, alignment and metrics: basis-graph, basis-spectral, basis-align, basis-metrics.

use super::*;

/// Feature entry points × feature inputs.
pub(super) fn feature_cases(out: &mut Vec<Case>) {
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
pub(super) const TOO_LARGE_FOR_DISTANCES: &[&str] = &["too large", "overflows"];

pub(super) fn expect_knn(input: &str) -> Expect {
    match input {
        "one row" | "two rows" => {
            Expect::Err(&["InvalidK", "InvalidParameter", "TooManyEigenvectors"])
        }
        "all 1e300" | "all 1e160" | "one row at 1e200" => Expect::Err(TOO_LARGE_FOR_DISTANCES),
        _ => Expect::Ok,
    }
}

pub(super) fn expect_graph(input: &str) -> Expect {
    match input {
        "duplicate rows" => Expect::Err(&["ZeroScale"]),
        "subnormal" | "all 1e-300" => Expect::Err(&["ZeroScale", "TooSmall"]),
        _ => expect_knn(input),
    }
}

/// k-means, subspaces, d_⊥ with unit-norm columns and the standardised probe are computed at
/// an exact power-of-two scale: any finite magnitude works (checked against the unscaled
/// data in `scale_invariance_cases`).
pub(super) fn expect_kmeans(input: &str) -> Expect {
    match input {
        "one row" | "two rows" => Expect::Err(&["InvalidParameter", "TooFew"]),
        _ => Expect::Ok,
    }
}

pub(super) fn expect_subspace(input: &str) -> Expect {
    match input {
        // One row 1e200 times the others: numerically a rank-one span at the relative
        // tolerance 1e-10 of the rank test.
        "duplicate rows" | "one row at 1e200" => Expect::Err(&["RankDeficient"]),
        "one row" | "two rows" => Expect::Err(&["InvalidParameter"]),
        _ => Expect::Ok,
    }
}

pub(super) fn expect_orthogonality(input: &str) -> Expect {
    match input {
        // Equal columns: a defined d_⊥ (the squared cosines between them), not an error;
        // likewise a span that is numerically one-dimensional.
        "duplicate rows" | "one row at 1e200" => Expect::Ok,
        _ => expect_subspace(input),
    }
}

pub(super) fn expect_align(input: &str) -> Expect {
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

pub(super) fn expect_probe(input: &str) -> Expect {
    match input {
        "one row" => Expect::Err(&["InvalidParameter"]),
        _ => Expect::Ok,
    }
}

pub(super) fn expect_report(input: &str) -> Expect {
    expect_subspace(input)
}

/// `check_finite` checks finiteness only; an empty matrix is finite.
pub(super) fn expect_check_finite(_input: &str) -> Expect {
    Expect::Ok
}

/// Results on `good() × scale` must equal those on `good()`.
pub(super) fn scale_invariance_cases(out: &mut Vec<Case>) {
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
