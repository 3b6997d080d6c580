//! The defining invariants of the sign-equivariant network, in f64 to 1e-10: sign
//! equivariance under random and all 2^k column sign flips, sign-invariant link logits, node
//! permutation equivariance.

use basis_data::random_graphs::{UndirectedGraph, erdos_renyi};
use basis_eigennets::graph::neighbour_mean;
use basis_eigennets::sign_eq::{SignEqNet, check_eigenvectors, link_logits};
use nalgebra::DMatrix;
use proptest::prelude::*;
use tch::{Device, Kind, Tensor, nn};

fn net(k: usize, seed: i64) -> (nn::VarStore, SignEqNet) {
    tch::manual_seed(seed);
    let mut vs = nn::VarStore::new(Device::Cpu);
    let net = SignEqNet::new(&vs.root(), k, 4);
    vs.double();
    (vs, net)
}

fn tensor(rows: usize, cols: usize, v: &[f64]) -> Tensor {
    Tensor::from_slice(v).view([rows as i64, cols as i64])
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

fn graph(n: usize, seed: u64) -> UndirectedGraph {
    let g = erdos_renyi(n, 0.35, seed).unwrap();
    if g.edges.is_empty() {
        UndirectedGraph::from_edges(n, [(0, 1)]).unwrap()
    } else {
        g
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn sign_flips_of_the_input_flip_the_output(
        v in prop::collection::vec(-2.0f64..2.0, 40),
        signs in prop::collection::vec(prop::bool::ANY, 4),
        seed in 0u64..1000,
    ) {
        let (n, k) = (10, 4);
        let (_vs, f) = net(k, seed as i64);
        let m = neighbour_mean(&graph(n, seed), Kind::Double).unwrap();
        let s: Vec<f64> = signs.iter().map(|&b| if b { -1.0 } else { 1.0 }).collect();
        let s = Tensor::from_slice(&s).unsqueeze(0);
        let x = tensor(n, k, &v);
        let z = f.forward(&x, &m);
        let zs = f.forward(&(&x * &s), &m);
        prop_assert!(max_diff(&zs, &(&z * &s)) < 1e-10);
        // The logits of any pairs do not change.
        let pairs = [(0usize, 1usize), (2, 7), (9, 3), (4, 4)];
        prop_assert!(max_diff(&link_logits(&z, &pairs), &link_logits(&zs, &pairs)) < 1e-10);
    }

    #[test]
    fn relabelling_the_nodes_relabels_the_output(
        v in prop::collection::vec(-2.0f64..2.0, 40),
        perm in Just((0..10usize).collect::<Vec<_>>()).prop_shuffle(),
        seed in 0u64..1000,
    ) {
        let (n, k) = (10, 4);
        let (_vs, f) = net(k, seed as i64);
        let g = graph(n, seed);
        let gp = UndirectedGraph::from_edges(n, g.edges.iter().map(|&(a, b)| (perm[a], perm[b]))).unwrap();
        let mut vp = vec![0.0; n * k];
        for i in 0..n {
            vp[perm[i] * k..(perm[i] + 1) * k].copy_from_slice(&v[i * k..(i + 1) * k]);
        }
        let z = f.forward(&tensor(n, k, &v), &neighbour_mean(&g, Kind::Double).unwrap());
        let zp = f.forward(&tensor(n, k, &vp), &neighbour_mean(&gp, Kind::Double).unwrap());
        let idx = Tensor::from_slice(&perm.iter().map(|&p| p as i64).collect::<Vec<_>>());
        prop_assert!(max_diff(&zp.index_select(0, &idx), &z) < 1e-10);
    }
}

#[test]
fn all_sign_vectors_of_three_columns() {
    let (n, k) = (8, 3);
    let (_vs, f) = net(k, 7);
    let m = neighbour_mean(&graph(n, 3), Kind::Double).unwrap();
    let v: Vec<f64> = (0..n * k)
        .map(|i| ((i * 37 % 11) as f64 - 5.0) / 3.0)
        .collect();
    let x = tensor(n, k, &v);
    let z = f.forward(&x, &m);
    for bits in 0..(1u32 << k) {
        let s: Vec<f64> = (0..k)
            .map(|c| if bits >> c & 1 == 1 { -1.0 } else { 1.0 })
            .collect();
        let s = Tensor::from_slice(&s).unsqueeze(0);
        assert!(
            max_diff(&f.forward(&(&x * &s), &m), &(&z * &s)) < 1e-10,
            "signs {bits:b}"
        );
    }
}

#[test]
fn neighbour_mean_by_hand_and_bad_inputs() {
    // Path 0 – 1 – 2 plus isolated node 3.
    let g = UndirectedGraph::from_edges(4, [(0, 1), (1, 2)]).unwrap();
    let m = neighbour_mean(&g, Kind::Double)
        .unwrap()
        .to_dense(None, false);
    let want = tensor(
        4,
        4,
        &[
            0.0, 1.0, 0.0, 0.0, 0.5, 0.0, 0.5, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        ],
    );
    assert!(max_diff(&m, &want) < 1e-15);
    let empty = UndirectedGraph::from_edges(5, []).unwrap();
    assert!(matches!(
        neighbour_mean(&empty, Kind::Double),
        Err(basis_eigennets::EigenNetError::NoEdges(5))
    ));
    assert!(check_eigenvectors(&DMatrix::zeros(4, 2), 4).is_ok());
    assert!(check_eigenvectors(&DMatrix::zeros(4, 4), 4).is_err());
    assert!(check_eigenvectors(&DMatrix::zeros(3, 2), 4).is_err());
    let mut nan = DMatrix::zeros(4, 2);
    nan[(1, 1)] = f64::NAN;
    assert!(matches!(
        check_eigenvectors(&nan, 4),
        Err(basis_eigennets::EigenNetError::NonFinite(_))
    ));
}

mod models {
    use super::*;
    use basis_eigennets::models::{GraphOps, LinkModel, ModelKind};

    fn model(kind: ModelKind, k: usize, seed: i64) -> (nn::VarStore, LinkModel) {
        tch::manual_seed(seed);
        let mut vs = nn::VarStore::new(Device::Cpu);
        let m = LinkModel::new(&vs.root(), kind, k);
        vs.double();
        (vs, m)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn signnet_is_sign_invariant_and_every_logit_is(
            v in prop::collection::vec(-2.0f64..2.0, 40),
            signs in prop::collection::vec(prop::bool::ANY, 4),
            seed in 0u64..1000,
        ) {
            let (n, k) = (10, 4);
            let ops = GraphOps::new(&graph(n, seed), Kind::Double).unwrap();
            let s: Vec<f64> = signs.iter().map(|&b| if b { -1.0 } else { 1.0 }).collect();
            let s = Tensor::from_slice(&s).unsqueeze(0);
            let x = tensor(n, k, &v);
            let (_vs, signnet) = model(ModelKind::SignNet, k, seed as i64);
            let (a, b) = (signnet.embed(&x, &ops).unwrap(), signnet.embed(&(&x * &s), &ops).unwrap());
            prop_assert!(max_diff(&a, &b) < 1e-10);
            let pairs = [(0usize, 5usize), (3, 8), (1, 2)];
            for kind in [ModelKind::SignEq, ModelKind::SignNet, ModelKind::Gcn, ModelKind::DecodeOnly, ModelKind::LearnDecode] {
                let (_vs, m) = model(kind, k, seed as i64);
                let d = max_diff(&m.logits(&x, &ops, &pairs), &m.logits(&(&x * &s), &ops, &pairs));
                prop_assert!(d < 1e-10, "{:?}: {}", kind, d);
            }
        }
    }

    #[test]
    fn the_unconstrained_mlp_breaks_sign_equivariance() {
        // The negative control: on random input some sign flip changes the MLP's output by
        // more than a flip of the output would.
        let (n, k) = (10, 4);
        let ops = GraphOps::new(&graph(n, 1), Kind::Double).unwrap();
        let v: Vec<f64> = (0..n * k)
            .map(|i| ((i * 53 % 17) as f64 - 8.0) / 4.0)
            .collect();
        let x = tensor(n, k, &v);
        let (_vs, mlp) = model(ModelKind::Mlp, k, 3);
        let z = mlp.embed(&x, &ops).unwrap();
        let s = Tensor::from_slice(&[-1.0f64, 1.0, 1.0, 1.0]).unsqueeze(0);
        let zs = mlp.embed(&(&x * &s), &ops).unwrap();
        let violation = max_diff(&zs, &(&z * &s));
        assert!(
            violation > 1e-2,
            "the control MLP looks equivariant: {violation}"
        );
        // And so its logits are not sign invariant either.
        let pairs = [(0usize, 5usize), (3, 8), (1, 2)];
        let d = max_diff(
            &mlp.logits(&x, &ops, &pairs),
            &mlp.logits(&(&x * &s), &ops, &pairs),
        );
        assert!(d > 1e-3, "{d}");
    }
}
