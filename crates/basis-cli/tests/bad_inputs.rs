//! The command-line half of the bad-input corpus (the library half is
//! `tests/bad_input_corpus/` at the workspace root): malformed files, impossible options and
//! broken configurations given to every `basis` command. Each case must end with a non-zero
//! exit, a single `error: …` line naming the cause (or clap's usage error, exit 2), no panic,
//! no output file left behind, and within a watchdog's time limit (a hang fails the case).
//! The second round (issue 43) is `tests/reliability.rs`.
//!
//! `BASIS_CORPUS_VERBOSE=1` prints every case's exit code and message.

mod common;

use basis_data::npy::encode_npy;
use common::{Case, file, npy, npy_with_header, run_corpus, s, scratch};
use nalgebra::DMatrix;
use std::path::Path;

fn cases(dir: &Path) -> Vec<Case> {
    let n = 60;
    let good = DMatrix::from_fn(n, 2, |i, j| ((i * 5 + j * 3) as f64).sin() + (i % 3) as f64);
    let labels = DMatrix::from_fn(n, 1, |i, _| (i % 3) as f64);
    let x = npy(dir, "x.npy", &good);
    let y = npy(dir, "y.npy", &labels);
    let out = dir.join("out").display().to_string();
    let emb = dir.join("emb.npy").display().to_string();
    let mut with_nan = good.clone();
    with_nan[(4, 1)] = f64::NAN;
    let mut with_inf = good.clone();
    with_inf[(0, 0)] = f64::NEG_INFINITY;
    let bad_features: Vec<(&str, String, &'static str)> = vec![
        ("NaN feature", npy(dir, "nan.npy", &with_nan), "non-finite"),
        ("-inf feature", npy(dir, "inf.npy", &with_inf), "non-finite"),
        (
            "features of 1e300",
            npy(dir, "huge.npy", &(&good * 1e300)),
            "too large",
        ),
        ("empty file", file(dir, "empty.npy", b""), "npy"),
        (
            "truncated .npy",
            {
                let b = encode_npy(&good);
                file(dir, "cut.npy", &b[..b.len() - 5])
            },
            "truncated",
        ),
        (
            "non-ASCII dtype",
            npy_with_header(
                dir,
                "dtype.npy",
                "{'descr': '<fé', 'fortran_order': False, 'shape': (60, 2), }",
                &[0u8; 960],
            ),
            "dtype",
        ),
        (
            "a 3-D .npy",
            npy_with_header(
                dir,
                "3d.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 20, 2), }",
                &[0u8; 960],
            ),
            "1-D or 2-D",
        ),
        (
            "a .npy of dtype <b8",
            npy_with_header(
                dir,
                "b8.npy",
                "{'descr': '<b8', 'fortran_order': False, 'shape': (60, 2), }",
                &[0u8; 960],
            ),
            "b8",
        ),
        ("ragged CSV", file(dir, "ragged.csv", b"1,2\n3\n"), "ragged"),
        ("a word in a CSV", file(dir, "word.csv", b"1,2\n3,x\n"), "x"),
        (
            "gzip that is not",
            file(dir, "bad.gz", b"not gzip at all"),
            "gz",
        ),
        (
            "IDX with a bad magic",
            file(dir, "bad-idx", &[1, 2, 3, 4, 5]),
            "IDX",
        ),
        (
            "a missing file",
            dir.join("missing.npy").display().to_string(),
            "no such file",
        ),
        ("a directory", dir.display().to_string(), "directory"),
        (
            "one point",
            npy(dir, "one.npy", &good.rows(0, 1).into_owned()),
            "points",
        ),
        (
            "zero columns",
            npy(dir, "nocols.npy", &DMatrix::zeros(n, 0)),
            "no data",
        ),
    ];
    let mut out_cases = Vec::new();
    for (what, input, needle) in &bad_features {
        for cmd in ["fit", "analytic"] {
            let mut args = s(&[cmd, "--input", input, "--out"]);
            args.push(if cmd == "fit" {
                out.clone()
            } else {
                emb.clone()
            });
            if cmd == "fit" {
                args.extend(s(&[
                    "--neighbors",
                    "10",
                    "--k",
                    "2",
                    "--batch-size",
                    "30",
                    "--iterations",
                    "2",
                    "--anchors-per-class",
                    "2",
                    "--no-progress",
                ]));
            } else {
                args.extend(s(&["--neighbors", "10", "--k", "2"]));
            }
            out_cases.push(Case {
                name: format!("{cmd}: {what}"),
                args,
                code: 1,
                needle,
            });
        }
        // The scores are scale-free: an embedding of 1e300 is scored (tests/bad_input_corpus/).
        if *what == "features of 1e300" {
            continue;
        }
        out_cases.push(Case {
            name: format!("evaluate: {what} as the embedding"),
            args: s(&["evaluate", "--embedding", input, "--labels", &y]),
            code: 1,
            needle,
        });
    }
    let bad_labels: Vec<(&str, DMatrix<f64>, &'static str)> = vec![
        (
            "label -1",
            DMatrix::from_fn(n, 1, |i, _| if i == 3 { -1.0 } else { (i % 3) as f64 }),
            "-1",
        ),
        (
            "label 1.5",
            DMatrix::from_fn(n, 1, |i, _| if i == 3 { 1.5 } else { (i % 3) as f64 }),
            "1.5",
        ),
        (
            "label 1e300",
            DMatrix::from_fn(n, 1, |i, _| if i == 3 { 1e300 } else { (i % 3) as f64 }),
            "1e300",
        ),
        (
            "label NaN",
            DMatrix::from_fn(n, 1, |i, _| if i == 3 { f64::NAN } else { (i % 3) as f64 }),
            "NaN",
        ),
        (
            "labels of shape (n/2, 2)",
            DMatrix::from_element(n / 2, 2, 1.0),
            "column",
        ),
        (
            "too few labels",
            DMatrix::from_element(n - 1, 1, 1.0),
            "labels for",
        ),
        ("one class", DMatrix::from_element(n, 1, 1.0), "anchors"),
    ];
    for (what, m, needle) in bad_labels {
        let path = npy(dir, &format!("labels-{}.npy", out_cases.len()), &m);
        out_cases.push(Case {
            name: format!("fit: {what}"),
            args: s(&[
                "fit",
                "--input",
                &x,
                "--labels",
                &path,
                "--anchors",
                "per-class",
                "--neighbors",
                "10",
                "--k",
                "2",
                "--batch-size",
                "30",
                "--iterations",
                "2",
                "--anchors-per-class",
                "2",
                "--no-progress",
                "--out",
                &out,
            ]),
            code: 1,
            needle,
        });
        // One class is a labelling NMI and ACC can score.
        if what == "one class" {
            continue;
        }
        out_cases.push(Case {
            name: format!("evaluate: {what}"),
            args: s(&["evaluate", "--embedding", &x, "--labels", &path]),
            code: 1,
            needle,
        });
    }
    // Small settings, each replaced by the case's own value of that option.
    let fit = |extra: &[&str]| {
        let mut a = s(&[
            "fit",
            "--input",
            &x,
            "--labels",
            &y,
            "--no-progress",
            "--out",
            &out,
        ]);
        for (flag, value) in [
            ("--neighbors", "10"),
            ("--k", "2"),
            ("--batch-size", "30"),
            ("--iterations", "2"),
            ("--anchors-per-class", "2"),
        ] {
            let given = extra
                .iter()
                .any(|e| *e == flag || e.starts_with(&format!("{flag}=")));
            if !given {
                a.extend(s(&[flag, value]));
            }
        }
        a.extend(s(extra));
        a
    };
    let options: Vec<(&str, Vec<String>, i32, &'static str)> = vec![
        ("K = 0", fit(&["--k", "0"]), 1, "at least one eigenvector"),
        ("K = n", fit(&["--k", "60"]), 1, "eigenvectors"),
        ("neighbours 0", fit(&["--neighbors", "0"]), 1, "k = 0"),
        (
            "neighbours = n",
            fit(&["--neighbors", "60", "--batch-size", "60"]),
            1,
            "neighbours",
        ),
        (
            "batch size 0",
            fit(&["--batch-size", "0"]),
            1,
            "batch size must be >= 1",
        ),
        (
            "batch larger than the data",
            fit(&["--batch-size", "1000"]),
            1,
            "batch size 1000",
        ),
        ("iterations 0", fit(&["--iterations", "0"]), 1, "iterations"),
        (
            "anchors per class 0",
            fit(&["--anchors-per-class", "0"]),
            1,
            "anchor",
        ),
        (
            "anchors per class larger than a class",
            fit(&[
                "--anchors",
                "per-class",
                "--anchors-per-class",
                "50",
                "--batch-size",
                "60",
            ]),
            1,
            "anchor",
        ),
        ("K = -1", fit(&["--k", "-1"]), 2, "unexpected argument '-1'"),
        ("K=-1", fit(&["--k=-1"]), 2, "invalid value"),
        ("K = 1e3", fit(&["--k", "1e3"]), 2, "invalid value"),
        (
            "an unknown method",
            fit(&["--method", "pca"]),
            2,
            "invalid value",
        ),
        (
            "an unknown Laplacian",
            fit(&["--laplacian", "lrw"]),
            2,
            "invalid value",
        ),
        (
            "input noise NaN",
            fit(&["--input-noise", "nan"]),
            1,
            "input_noise must be finite",
        ),
        (
            "input noise below 0",
            fit(&["--input-noise=-1"]),
            1,
            "input_noise must be finite",
        ),
        (
            "input noise for a method that has none",
            fit(&["--method", "spectralnet", "--input-noise", "2"]),
            1,
            "BASiS setting",
        ),
        (
            "a config that is not JSON",
            fit(&["--config", &file(dir, "bad.json", b"{")]),
            1,
            "bad.json",
        ),
        (
            "a config of the wrong shape",
            fit(&["--config", &file(dir, "shape.json", b"[1, 2]")]),
            1,
            "shape.json",
        ),
        (
            "a missing config",
            fit(&["--config", &dir.join("nope.json").display().to_string()]),
            1,
            "nope.json",
        ),
        (
            "an --out that is a file",
            s(&["fit", "--input", &x, "--out", &x]),
            1,
            "is a file",
        ),
    ];
    for (what, args, code, needle) in options {
        out_cases.push(Case {
            name: format!("fit: {what}"),
            args,
            code,
            needle,
        });
    }
    let f10 = npy(dir, "f10.npy", &DMatrix::from_element(10, 2, 1.0));
    // Data directories: a test set of another dimension, and a training set of one class.
    let data_dir = |name: &str, test_dim: usize, one_class: bool| {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        let ty = DMatrix::from_fn(n, 1, |i, _| if one_class { 0.0 } else { (i % 3) as f64 });
        npy(&d, "train_x.npy", &good);
        npy(&d, "train_y.npy", &ty);
        npy(
            &d,
            "test_x.npy",
            &DMatrix::from_fn(n, test_dim, |i, j| good[(i, j % 2)]),
        );
        npy(&d, "test_y.npy", &labels);
        d.display().to_string()
    };
    let wide_test = data_dir("wide-test", 3, false);
    let one_class = data_dir("one-class", 2, true);
    let others: Vec<(&str, Vec<&str>, i32, &'static str)> = vec![
        (
            "embed: a missing model",
            vec![
                "embed",
                "--model",
                "/nonexistent/model",
                "--input",
                &x,
                "--out",
                &emb,
            ],
            1,
            "/nonexistent/model",
        ),
        (
            "embed: a model that is a file",
            vec!["embed", "--model", &x, "--input", &x, "--out", &emb],
            1,
            "model",
        ),
        (
            "analytic: K = 0",
            vec![
                "analytic",
                "--input",
                &x,
                "--k",
                "0",
                "--neighbors",
                "10",
                "--out",
                &emb,
            ],
            1,
            "eigenvector",
        ),
        (
            "analytic: K > n",
            vec![
                "analytic",
                "--input",
                &x,
                "--k",
                "61",
                "--neighbors",
                "10",
                "--out",
                &emb,
            ],
            1,
            "eigenvectors",
        ),
        (
            "analytic: neighbours below the scale's 7th",
            vec![
                "analytic",
                "--input",
                &x,
                "--k",
                "2",
                "--neighbors",
                "5",
                "--out",
                &emb,
            ],
            1,
            "use k >= 7",
        ),
        (
            "analytic: neighbours ≥ n",
            vec![
                "analytic",
                "--input",
                &x,
                "--k",
                "2",
                "--neighbors",
                "60",
                "--out",
                &emb,
            ],
            1,
            "neighbours",
        ),
        (
            "analytic: an --out that is a directory",
            vec![
                "analytic",
                "--input",
                &x,
                "--k",
                "2",
                "--neighbors",
                "10",
                "--out",
                dir.to_str().unwrap(),
            ],
            1,
            "directory",
        ),
        (
            "evaluate: --probe-train without --probe-labels",
            vec![
                "evaluate",
                "--embedding",
                &x,
                "--labels",
                &y,
                "--probe-train",
                &x,
            ],
            2,
            "--probe-labels",
        ),
        (
            "evaluate: features of another number of points",
            vec!["evaluate", "--embedding", &x, "--features", &f10],
            1,
            "10 rows",
        ),
        (
            "demo: iterations 0",
            vec!["demo", "--iterations", "0", "--out", &out, "--no-progress"],
            1,
            "iterations",
        ),
        (
            "demo: noise NaN",
            vec!["demo", "--noise", "NaN", "--out", &out, "--no-progress"],
            1,
            "noise",
        ),
        (
            "demo: noise -1",
            vec!["demo", "--noise=-1", "--out", &out, "--no-progress"],
            1,
            "noise",
        ),
        (
            "reproduce fig3: 0 batches",
            vec![
                "reproduce",
                "fig3",
                "--batches",
                "0",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "batch",
        ),
        (
            "reproduce fig3: a missing data directory",
            vec![
                "reproduce",
                "fig3",
                "--dataset",
                "fashion-mnist",
                "--data-dir",
                "/nonexistent",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "/nonexistent",
        ),
        (
            "reproduce basis: 0 seeds",
            vec![
                "reproduce",
                "basis",
                "--dataset",
                "subspace-blobs",
                "--features",
                "raw",
                "--seeds",
                "0",
                "--out",
                &out,
                "--no-progress",
            ],
            // clap refuses it since seeds are counted 1..=10,000 (issue 43).
            2,
            "seed",
        ),
        (
            "reproduce basis: --limit-test 0",
            vec![
                "reproduce",
                "basis",
                "--dataset",
                "subspace-blobs",
                "--features",
                "raw",
                "--seeds",
                "1",
                "--limit-test",
                "0",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "limit-test",
        ),
        (
            "reproduce basis: a class filter that matches nothing",
            vec![
                "reproduce",
                "basis",
                "--dataset",
                "subspace-blobs",
                "--features",
                "raw",
                "--seeds",
                "1",
                "--classes",
                "99",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "99",
        ),
        (
            "reproduce basis: a data directory without data",
            vec![
                "reproduce",
                "basis",
                "--dataset",
                dir.to_str().unwrap(),
                "--features",
                "raw",
                "--seeds",
                "1",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "train",
        ),
        (
            "reproduce basis: spread NaN",
            vec![
                "reproduce",
                "basis",
                "--dataset",
                "subspace-blobs",
                "--features",
                "raw",
                "--spread",
                "NaN",
                "--seeds",
                "1",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "spread",
        ),
        (
            "reproduce basis: a test set of another dimension",
            vec![
                "reproduce",
                "basis",
                "--dataset",
                &wide_test,
                "--features",
                "raw",
                "--seeds",
                "1",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "train has 2 columns, test 3",
        ),
        (
            "reproduce basis: a training set of one class",
            vec![
                "reproduce",
                "basis",
                "--dataset",
                &one_class,
                "--features",
                "raw",
                "--seeds",
                "1",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "holds 1 class",
        ),
        (
            "reproduce table1: a test set of another dimension",
            vec![
                "reproduce",
                "table1",
                "--dataset",
                &wide_test,
                "--features",
                "raw",
                "--seeds",
                "1",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "train has 2 columns, test 3",
        ),
        (
            "reproduce feature-change: --seeds 0 (no such option)",
            vec!["reproduce", "feature-change", "--seeds", "0"],
            2,
            "unexpected argument",
        ),
        (
            "reproduce feature-change: 0 iterations",
            vec![
                "reproduce",
                "feature-change",
                "--dataset",
                "subspace-blobs",
                "--iterations",
                "0",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "iteration",
        ),
        (
            "reproduce table1: 0 seeds",
            vec![
                "reproduce",
                "table1",
                "--dataset",
                "subspace-blobs",
                "--features",
                "raw",
                "--seeds",
                "0",
                "--out",
                &out,
                "--no-progress",
            ],
            // clap refuses it since seeds are counted 1..=10,000 (issue 43).
            2,
            "seed",
        ),
        (
            "reproduce table1: an unknown method",
            vec!["reproduce", "table1", "--methods", "pca"],
            2,
            "invalid value",
        ),
        (
            "reproduce ggae: 0 seeds",
            vec![
                "reproduce",
                "ggae",
                "--seeds",
                "0",
                "--out",
                &out,
                "--no-progress",
            ],
            // clap refuses it since seeds are counted 1..=10,000 (issue 43).
            2,
            "seeds",
        ),
        (
            "reproduce ggae: class 10",
            vec![
                "reproduce",
                "ggae",
                "--data",
                "rotating",
                "--class",
                "10",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "class 10",
        ),
        (
            "reproduce ggae: 3 images",
            vec![
                "reproduce",
                "ggae",
                "--data",
                "rotating",
                "--images",
                "3",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "images",
        ),
        (
            "reproduce ggae: α = −1",
            vec![
                "reproduce",
                "ggae",
                "--data",
                "swiss-roll",
                "--swiss-alpha=-1",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "α",
        ),
        (
            "reproduce ggae: h factor NaN",
            vec![
                "reproduce",
                "ggae",
                "--data",
                "swiss-roll",
                "--swiss-h-factor",
                "NaN",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "h factor",
        ),
        (
            "reproduce ggae: 0 epochs",
            vec![
                "reproduce",
                "ggae",
                "--data",
                "rotating",
                "--rotating-epochs",
                "0",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "epochs",
        ),
        (
            "reproduce ggae: --replot without a run",
            vec![
                "reproduce",
                "ggae",
                "--replot",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "ggae.json",
        ),
        (
            "sweep neighbors: k = 0",
            vec![
                "sweep",
                "neighbors",
                "--dataset",
                "subspace-blobs",
                "--features",
                "raw",
                "--neighbors",
                "0",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "k = 0",
        ),
        (
            "sweep neighbors: no k",
            vec![
                "sweep",
                "neighbors",
                "--dataset",
                "subspace-blobs",
                "--features",
                "raw",
                "--neighbors",
                "",
                "--out",
                &out,
                "--no-progress",
            ],
            2,
            "invalid value",
        ),
        (
            "sweep neighbors: --replot without a sweep",
            vec!["sweep", "neighbors", "--replot", "--out", &out],
            1,
            "neighbors.json",
        ),
        (
            "sweep tightness: spread -1",
            vec![
                "sweep",
                "tightness",
                "--spreads=-1",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "spread",
        ),
        (
            "sweep tightness: spread NaN",
            vec![
                "sweep",
                "tightness",
                "--spreads",
                "NaN",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "spread",
        ),
        (
            "sweep tightness: --replot without a sweep",
            vec!["sweep", "tightness", "--replot", "--out", &out],
            1,
            "tightness.json",
        ),
        (
            "sweep graph: k = 0",
            vec![
                "sweep",
                "graph",
                "--quick",
                "--k",
                "0",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "k",
        ),
        (
            "sweep spectral: tolerance -1",
            vec![
                "sweep",
                "spectral",
                "--quick",
                "--tols=-1",
                "--out",
                &out,
                "--no-progress",
            ],
            1,
            "tol",
        ),
        (
            "sweep spectral: --report without a run",
            vec!["sweep", "spectral", "--report", "--out", &out],
            1,
            "report.json",
        ),
        (
            "an unknown command",
            vec!["transform"],
            2,
            "unrecognized subcommand",
        ),
    ];
    for (name, args, code, needle) in others {
        out_cases.push(Case {
            name: name.to_string(),
            args: s(&args),
            code,
            needle,
        });
    }
    out_cases
}

#[test]
fn every_bad_command_line_fails_fast_with_one_clear_line() {
    let dir = scratch("corpus");
    let cases = cases(&dir);
    let clean = [dir.join("out"), dir.join("emb.npy")];
    let outputs = [dir.join("out").join("model"), dir.join("emb.npy")];
    run_corpus(&dir, cases, &clean, &outputs);
}
