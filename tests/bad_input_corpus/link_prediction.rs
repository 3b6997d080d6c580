//! The link-prediction protocol's pure parts: basis-data::random_graphs and basis-metrics' ROC-AUC.

use super::*;

/// The link-prediction benchmark's pure entry points (`basis_data::random_graphs`,
/// `basis_metrics::roc_auc`).
pub(super) fn link_prediction_cases(out: &mut Vec<Case>) {
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
