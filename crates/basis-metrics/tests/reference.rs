//! basis-metrics against scikit-learn and scipy on fixed inputs.
//!
//! `tests/reference/reference.json` was written by `tests/reference/make_reference.py`
//! (scikit-learn 1.9.1, scipy 1.17.1, numpy 2.4.6); rerun it to regenerate.

use basis_metrics::{
    ColumnScaling, KMeansParams, LinearProbe, LinearProbeParams, NmiNormalization,
    clustering_accuracy, grassmann_distance, kmeans, nmi, orthogonality, principal_angles,
};
use nalgebra::DMatrix;
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("reference/reference.json")).unwrap()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn matrix(v: &Value, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_row_slice(rows, cols, &floats(v))
}

fn num(v: &Value) -> usize {
    v.as_u64().unwrap() as usize
}

#[test]
fn nmi_and_acc_match_scikit_learn_and_scipy() {
    let r = reference();
    for case in r["labelings"].as_array().unwrap() {
        let (t, p) = (usizes(&case["truth"]), usizes(&case["pred"]));
        let max = nmi(&t, &p, NmiNormalization::Max).unwrap();
        let ari = nmi(&t, &p, NmiNormalization::Arithmetic).unwrap();
        let acc = clustering_accuracy(&t, &p).unwrap();
        assert!(
            (max - case["nmi_max"].as_f64().unwrap()).abs() < 1e-12,
            "{max}"
        );
        assert!(
            (ari - case["nmi_arithmetic"].as_f64().unwrap()).abs() < 1e-12,
            "{ari}"
        );
        assert!((acc - case["acc"].as_f64().unwrap()).abs() < 1e-12, "{acc}");
    }
}

#[test]
fn principal_angles_and_grassmann_distance_match_scipy() {
    let r = reference();
    for case in r["subspaces"].as_array().unwrap() {
        let (n, k) = (num(&case["n"]), num(&case["k"]));
        let (y1, y2) = (matrix(&case["y1"], n, k), matrix(&case["y2"], n, k));
        let ours = principal_angles(&y1, &y2).unwrap();
        for (a, b) in ours.iter().zip(floats(&case["angles"])) {
            // Angles from 1e-7 to π/2: agreement to 1e-10 absolute, small angles included.
            assert!((a - b).abs() < 1e-10, "{a} vs {b}");
        }
        let d = grassmann_distance(&y1, &y2).unwrap();
        let expected = case["grassmann"].as_f64().unwrap();
        assert!(
            (d - expected).abs() < 1e-10 * expected.max(1.0),
            "{d} vs {expected}"
        );
    }
}

#[test]
fn orthogonality_matches_numpy() {
    let r = reference();
    for case in r["orthogonality"].as_array().unwrap() {
        let (n, k) = (num(&case["n"]), num(&case["k"]));
        let y = matrix(&case["y"], n, k);
        for (scaling, key) in [
            (ColumnScaling::UnitNorm, "unit_norm"),
            (ColumnScaling::None, "none"),
        ] {
            let ours = orthogonality(&y, scaling).unwrap();
            let expected = case[key].as_f64().unwrap();
            assert!(
                (ours - expected).abs() < 1e-10 * expected.max(1.0),
                "{key}: {ours} vs {expected}"
            );
        }
    }
}

#[test]
fn kmeans_reaches_scikit_learns_inertia_and_the_planted_clusters() {
    let r = reference();
    let c = &r["kmeans"];
    let (n, d, k) = (num(&c["n"]), num(&c["d"]), num(&c["k"]));
    let x = matrix(&c["x"], n, d);
    let result = kmeans(
        &x,
        &KMeansParams {
            k,
            n_init: 10,
            seed: 0,
            ..Default::default()
        },
    )
    .unwrap();
    let expected = c["inertia"].as_f64().unwrap();
    assert!(
        (result.inertia - expected).abs() < 1e-9 * expected,
        "{} vs {expected}",
        result.inertia
    );
    assert_eq!(
        clustering_accuracy(&usizes(&c["labels"]), &result.labels).unwrap(),
        1.0
    );
}

#[test]
fn linear_probe_converges_to_the_logistic_regression_optimum() {
    let r = reference();
    let p = &r["probe"];
    let d = num(&p["d"]);
    let (ytr, yte) = (usizes(&p["train_y"]), usizes(&p["test_y"]));
    let xtr = matrix(&p["train_x"], ytr.len(), d);
    let xte = matrix(&p["test_x"], yte.len(), d);
    let probe = LinearProbe::fit(
        &xtr,
        &ytr,
        &LinearProbeParams {
            epochs: 2000,
            ..Default::default()
        },
    )
    .unwrap();
    let optimum = p["train_loss"].as_f64().unwrap();
    // scikit-learn's L-BFGS solution is the unregularised optimum: ours cannot be below it,
    // and after 2000 Adam epochs it is within 1e-3 of it.
    assert!(
        probe.train_loss >= optimum - 1e-9,
        "{} < optimum {optimum}",
        probe.train_loss
    );
    assert!(
        probe.train_loss - optimum < 1e-3,
        "{} vs optimum {optimum}",
        probe.train_loss
    );
    let acc = probe.accuracy(&xte, &yte).unwrap();
    let expected = p["test_accuracy"].as_f64().unwrap();
    assert!(
        (acc - expected).abs() <= 1.0 / yte.len() as f64 + 1e-12,
        "{acc} vs {expected}"
    );
}
