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

mod data;
mod extremes;
mod features;
mod geometry;
mod graph;
mod link_prediction;
mod parameters;
mod segmentation;
use data::*;
use features::*;
use geometry::*;
use graph::*;
use link_prediction::*;
use parameters::*;
use segmentation::*;

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
