//! Geodesic distances against closed forms and petgraph's Dijkstra; the two forms of H̃_i;
//! the Laplace–Beltrami estimate's rows sum to zero for random distances.

use basis_graph::{
    GraphError, KnnGraph, KnnParams, LaplaceBeltramiParams, Unreachable, distortion,
    geodesic_distances, knn_exact, laplace_beltrami,
};
use nalgebra::DMatrix;
use petgraph::graph::UnGraph;
use proptest::prelude::*;

/// The exact k-NN graph of `x`.
fn knn(x: &DMatrix<f64>, k: usize) -> KnnGraph {
    knn_exact(
        x,
        &KnnParams {
            k,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Points on a line at x = 0, 1, 3, 6, … (gaps 1, 2, 3, …) with their 2-NN graph.
fn line(n: usize) -> (DMatrix<f64>, KnnGraph) {
    let x = DMatrix::from_fn(n, 1, |i, _| (i * (i + 1) / 2) as f64);
    let g = knn(&x, 2);
    (x, g)
}

#[test]
fn geodesics_on_a_line_are_the_coordinate_differences() {
    let (x, g) = line(12);
    let d = geodesic_distances(&g, Unreachable::Error, 2).unwrap();
    for i in 0..12 {
        for j in 0..12 {
            assert!(
                (d[(i, j)] - (x[i] - x[j]).abs()).abs() < 1e-12,
                "({i}, {j})"
            );
        }
    }
}

#[test]
fn geodesics_match_petgraph_dijkstra_on_a_random_knn_graph() {
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let x = DMatrix::from_fn(300, 3, |_, _| next());
    let g = knn(&x, 6);
    let ours = geodesic_distances(&g, Unreachable::Cap(1e9), 0).unwrap();
    let mut pg = UnGraph::<(), f64>::new_undirected();
    let nodes: Vec<_> = (0..g.n).map(|_| pg.add_node(())).collect();
    for i in 0..g.n {
        for s in 0..g.k {
            pg.add_edge(
                nodes[i],
                nodes[g.indices[i * g.k + s]],
                g.distances[i * g.k + s],
            );
        }
    }
    for &src in &[0usize, 17, 299] {
        let reference = petgraph::algo::dijkstra(&pg, nodes[src], None, |e| *e.weight());
        for j in 0..g.n {
            let want = reference.get(&nodes[j]).copied().unwrap_or(1e9);
            assert!((ours[(src, j)] - want).abs() < 1e-12, "({src}, {j})");
        }
    }
    assert!((0..300).all(|i| (0..300).all(|j| ours[(i, j)] == ours[(j, i)])));
}

#[test]
fn disconnected_pairs_are_an_error_or_the_explicit_cap() {
    // Two clusters far apart: the 2-NN graph has two components of 5.
    let x = DMatrix::from_fn(10, 1, |i, _| if i < 5 { i as f64 } else { 1e6 + i as f64 });
    let g = knn(&x, 2);
    match geodesic_distances(&g, Unreachable::Error, 1) {
        Err(GraphError::Disconnected { count, sizes }) => {
            assert_eq!((count, sizes), (2, vec![5, 5]));
        }
        other => panic!("{other:?}"),
    }
    let d = geodesic_distances(&g, Unreachable::Cap(42.0), 1).unwrap();
    assert_eq!(d[(0, 9)], 42.0);
    assert_eq!(d[(0, 4)], 4.0);
    for cap in [f64::NAN, -1.0, f64::INFINITY] {
        assert!(matches!(
            geodesic_distances(&g, Unreachable::Cap(cap), 1),
            Err(GraphError::InvalidParameter(_))
        ));
    }
}

/// Tr(H̃_i) and Tr(H̃_i²) of the expanded form
/// H̃_i = ½ [Σ_j L_ij y_j y_jᵀ − y_i (LY)_iᵀ − (LY)_i y_iᵀ] (valid since rows of L sum to 0).
fn distortion_expanded(l: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let (n, m) = y.shape();
    let ly = l * y;
    let mut total = 0.0;
    for i in 0..n {
        let mut h = DMatrix::<f64>::zeros(m, m);
        for j in 0..n {
            h += l[(i, j)] * y.row(j).transpose() * y.row(j);
        }
        h -= y.row(i).transpose() * ly.row(i) + ly.row(i).transpose() * y.row(i);
        h *= 0.5;
        total += (&h * &h).trace() - 2.0 * h.trace();
    }
    total / n as f64
}

proptest! {
    #[test]
    fn both_forms_of_h_agree_and_rows_of_l_sum_to_zero(
        pts in proptest::collection::vec(-3.0f64..3.0, 2 * 9),
        lat in proptest::collection::vec(-2.0f64..2.0, 3 * 9),
        h in 0.1f64..10.0,
    ) {
        let x = DMatrix::from_row_slice(9, 2, &pts);
        let d = DMatrix::from_fn(9, 9, |i, j| (x.row(i) - x.row(j)).norm());
        let l = laplace_beltrami(&d, &LaplaceBeltramiParams { h, ..Default::default() }).unwrap();
        for i in 0..9 {
            prop_assert!(l.row(i).sum().abs() < 1e-10 * l.row(i).abs().sum().max(1.0));
        }
        let y = DMatrix::from_row_slice(9, 3, &lat);
        let a = distortion(&l, &y).unwrap();
        let b = distortion_expanded(&l, &y);
        prop_assert!((a - b).abs() < 1e-9 * a.abs().max(1.0), "{} vs {}", a, b);
    }
}
