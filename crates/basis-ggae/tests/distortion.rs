//! The tensor distortion against the reference fixtures, the f64 reference of basis-graph,
//! finite differences; the autoencoder's typed errors.

use basis_ggae::GgaeError;
use basis_ggae::autoencoder::{Autoencoder, AutoencoderConfig};
use basis_ggae::distortion::{distortion, h_tilde};
use basis_graph::{LaplaceBeltramiParams, cycle_distances, laplace_beltrami};
use nalgebra::DMatrix;
use proptest::prelude::*;
use tch::{Device, Kind, Tensor};

fn t(m: &DMatrix<f64>) -> Tensor {
    let flat: Vec<f64> = (0..m.nrows())
        .flat_map(|i| m.row(i).iter().copied().collect::<Vec<_>>())
        .collect();
    Tensor::from_slice(&flat).view([m.nrows() as i64, m.ncols() as i64])
}

fn cycle_l() -> DMatrix<f64> {
    laplace_beltrami(
        &cycle_distances(36),
        &LaplaceBeltramiParams {
            h: 200.0,
            ..Default::default()
        },
    )
    .unwrap()
}

fn circle(r: f64) -> DMatrix<f64> {
    DMatrix::from_fn(36, 2, |j, c| {
        let a = std::f64::consts::TAU * j as f64 / 36.0;
        r * if c == 0 { a.cos() } else { a.sin() }
    })
}

#[test]
fn circle_latents_match_the_reference_fixtures() {
    let l = t(&cycle_l());
    for (r, want) in [
        (1.0, -0.028395007185130033),
        (5.0, -0.6440269191419359),
        (10.0, -1.7530044204888153),
    ] {
        let got = distortion(&l, &t(&circle(r))).unwrap().double_value(&[]);
        assert!(
            (got - want).abs() < 1e-12 * want.abs().max(1.0),
            "r = {r}: {got}"
        );
    }
    assert_eq!(
        distortion(&l, &t(&DMatrix::zeros(36, 2)))
            .unwrap()
            .double_value(&[]),
        0.0
    );
}

#[test]
fn h_tilde_equals_its_difference_form() {
    let l = cycle_l();
    let y = DMatrix::from_fn(36, 3, |i, c| ((i * 7 + c * 3) % 11) as f64 / 5.0 - 1.0);
    let h = h_tilde(&t(&l), &t(&y));
    for i in [0usize, 5, 35] {
        let mut want = DMatrix::<f64>::zeros(3, 3);
        for j in 0..36 {
            let d = (y.row(j) - y.row(i)).transpose();
            want += 0.5 * l[(i, j)] * &d * d.transpose();
        }
        for a in 0..3usize {
            for b in 0..3usize {
                let got = h.double_value(&[i as i64, a as i64, b as i64]);
                assert!((got - want[(a, b)]).abs() < 1e-12, "({i}, {a}, {b})");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn tensor_distortion_equals_the_f64_reference_and_its_gradient_finite_differences(
        pts in proptest::collection::vec(-2.0f64..2.0, 2 * 8),
        lat in proptest::collection::vec(-1.5f64..1.5, 2 * 8),
        h in 0.3f64..5.0,
    ) {
        let x = DMatrix::from_row_slice(8, 2, &pts);
        let d = DMatrix::from_fn(8, 8, |i, j| (x.row(i) - x.row(j)).norm());
        let l = laplace_beltrami(&d, &LaplaceBeltramiParams { h, ..Default::default() }).unwrap();
        let y = DMatrix::from_row_slice(8, 2, &lat);
        let reference = basis_graph::distortion(&l, &y).unwrap();
        let yt = t(&y).set_requires_grad(true);
        let value = distortion(&t(&l), &yt).unwrap();
        prop_assert!((value.double_value(&[]) - reference).abs() < 1e-9 * reference.abs().max(1.0));
        value.backward();
        let grad = yt.grad();
        // Central differences of the f64 reference, step 1e-6.
        for (i, c) in [(0usize, 0usize), (3, 1), (7, 0)] {
            let eps = 1e-6;
            let (mut yp, mut ym) = (y.clone(), y.clone());
            yp[(i, c)] += eps;
            ym[(i, c)] -= eps;
            let fd = (basis_graph::distortion(&l, &yp).unwrap() - basis_graph::distortion(&l, &ym).unwrap()) / (2.0 * eps);
            let g = grad.double_value(&[i as i64, c as i64]);
            prop_assert!((g - fd).abs() < 1e-5 * fd.abs().max(1.0), "({}, {}): {} vs {}", i, c, g, fd);
        }
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let l = t(&cycle_l());
    // Batch of 35 latents for a 36-node graph.
    let short = Tensor::zeros([35, 2], (Kind::Double, Device::Cpu));
    assert!(matches!(distortion(&l, &short), Err(GgaeError::Shape(_))));
    let no_latent = Tensor::zeros([36, 0], (Kind::Double, Device::Cpu));
    assert!(matches!(
        distortion(&l, &no_latent),
        Err(GgaeError::Shape(_))
    ));
    let mut nan = circle(1.0);
    nan[(4, 1)] = f64::NAN;
    assert!(matches!(
        distortion(&l, &t(&nan)),
        Err(GgaeError::NonFinite(_))
    ));

    let latent0 = AutoencoderConfig {
        latent: 0,
        ..AutoencoderConfig::swiss_roll()
    };
    let vs = tch::nn::VarStore::new(Device::Cpu);
    assert!(matches!(
        Autoencoder::new(&vs.root(), &latent0),
        Err(GgaeError::InvalidConfig(_))
    ));
    let ae = Autoencoder::new(&vs.root(), &AutoencoderConfig::swiss_roll()).unwrap();
    let x = Tensor::zeros([36, 3], (Kind::Float, Device::Cpu));
    let lf = l.to_kind(Kind::Float);
    assert!(ae.loss(&x, &lf, 0.0).is_ok());
    for alpha in [-1.0, f64::NAN] {
        assert!(matches!(
            ae.loss(&x, &lf, alpha),
            Err(GgaeError::InvalidConfig(_))
        ));
    }
    let x_nan = x.copy();
    let _ = x_nan.get(3).get(1).fill_(f64::NAN);
    assert!(matches!(
        ae.loss(&x_nan, &lf, 1.0),
        Err(GgaeError::NonFinite(_))
    ));
    let wrong_dim = Tensor::zeros([36, 4], (Kind::Float, Device::Cpu));
    assert!(matches!(
        ae.loss(&wrong_dim, &lf, 1.0),
        Err(GgaeError::Shape(_))
    ));
    let wrong_batch = Tensor::zeros([20, 3], (Kind::Float, Device::Cpu));
    assert!(matches!(
        ae.loss(&wrong_batch, &lf, 1.0),
        Err(GgaeError::Shape(_))
    ));
}
