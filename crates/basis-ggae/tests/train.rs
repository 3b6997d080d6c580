//! The training loop on both batch geometries, small: sequences with a partial last batch,
//! and sliced geodesic distances; typed errors for data that does not fit the geometry.

use basis_ggae::GgaeError;
use basis_ggae::autoencoder::{Activation, AutoencoderConfig, Output};
use basis_ggae::train::{BatchGeometry, TrainConfig, train};
use basis_graph::{LaplaceBeltramiParams, cycle_distances, laplace_beltrami};
use nalgebra::DMatrix;

/// libtorch's random generator is global: tests that initialise networks run one at a time.
static TORCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn config(input: usize, batch_size: usize) -> TrainConfig {
    TrainConfig {
        model: AutoencoderConfig {
            input,
            latent: 2,
            hidden: vec![16, 16],
            activation: Activation::Relu,
            output: Output::Linear,
        },
        alpha: 0.1,
        epochs: 3,
        batch_size,
        learning_rate: 1e-3,
        seed: 0,
    }
}

#[test]
fn sequences_with_a_partial_last_batch_train_and_repeat() {
    let _one_at_a_time = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let l = laplace_beltrami(
        &cycle_distances(36),
        &LaplaceBeltramiParams {
            h: 200.0,
            ..Default::default()
        },
    )
    .unwrap();
    // 4 sequences of 36 frames of 5 features; batches of 3 sequences (one of 3, one of 1).
    let x = DMatrix::from_fn(4 * 36, 5, |i, c| ((i % 36) as f64 * 0.17 + c as f64).sin());
    let geometry = BatchGeometry::Sequences { l };
    let a = train(&x, &geometry, &config(5, 3), |_, _| {}).unwrap();
    assert_eq!(a.curve.len(), 3);
    assert!(
        a.curve
            .iter()
            .all(|e| e.loss.is_finite() && e.distortion.is_finite())
    );
    let b = train(&x, &geometry, &config(5, 3), |_, _| {}).unwrap();
    assert_eq!(
        a.curve.iter().map(|e| e.loss).collect::<Vec<_>>(),
        b.curve.iter().map(|e| e.loss).collect::<Vec<_>>()
    );
    assert_eq!(a.encode(&x).unwrap().shape(), (144, 2));
    // 143 rows are not whole sequences.
    let short = x.rows(0, 143).into_owned();
    assert!(matches!(
        train(&short, &geometry, &config(5, 3), |_, _| {}),
        Err(GgaeError::Shape(_))
    ));
}

#[test]
fn sliced_distances_train_and_check_their_size() {
    let _one_at_a_time = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let x = DMatrix::from_fn(60, 3, |i, c| (i as f64 * 0.1 + c as f64).cos());
    let d = DMatrix::from_fn(60, 60, |i, j| (x.row(i) - x.row(j)).norm());
    let geometry = BatchGeometry::SlicedDistances {
        distances: d.clone(),
        params: LaplaceBeltramiParams::default(),
    };
    let t = train(&x, &geometry, &config(3, 25), |_, _| {}).unwrap();
    assert!(t.curve.iter().all(|e| e.loss.is_finite()));
    assert!(t.reconstruction_mse(&x).unwrap().is_finite());
    let wrong = BatchGeometry::SlicedDistances {
        distances: d.rows(0, 50).columns(0, 50).into_owned(),
        params: LaplaceBeltramiParams::default(),
    };
    assert!(matches!(
        train(&x, &wrong, &config(3, 25), |_, _| {}),
        Err(GgaeError::Shape(_))
    ));
    let mut neg = config(3, 25);
    neg.alpha = -1.0;
    assert!(matches!(
        train(&x, &geometry, &neg, |_, _| {}),
        Err(GgaeError::InvalidConfig(_))
    ));
}

/// What training must change, measured against the same network after one epoch: a check
/// that a broken trainer (no step, a wrong gradient) fails, where finiteness alone cannot.
/// Data: 4 loops of 36 frames, each frame the point (cos θ, sin θ) of its phase θ through a
/// fixed 2 → 5 linear map. Measured 2026-12-07 (α = 1): reconstruction MSE 0.529 after one
/// epoch, 0.0148 after 150; the bound asks for a tenth.
#[test]
fn training_lowers_the_reconstruction_error_by_an_order_of_magnitude() {
    let _one_at_a_time = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let l = laplace_beltrami(
        &cycle_distances(36),
        &LaplaceBeltramiParams {
            h: 4.0,
            ..Default::default()
        },
    )
    .unwrap();
    let map = [
        [1.0, 0.3],
        [-0.5, 0.8],
        [0.2, -1.1],
        [0.7, 0.7],
        [-0.9, 0.1],
    ];
    let x = DMatrix::from_fn(4 * 36, 5, |i, c| {
        let theta = std::f64::consts::TAU * (i % 36) as f64 / 36.0;
        map[c][0] * theta.cos() + map[c][1] * theta.sin()
    });
    let geometry = BatchGeometry::Sequences { l };
    let mse_after = |epochs: usize| {
        let c = TrainConfig {
            epochs,
            alpha: 1.0,
            learning_rate: 3e-3,
            ..config(5, 1)
        };
        let t = train(&x, &geometry, &c, |_, _| {}).unwrap();
        t.reconstruction_mse(&x).unwrap()
    };
    let (first, trained) = (mse_after(1), mse_after(150));
    assert!(
        trained < first / 10.0,
        "MSE {trained} after 150 epochs against {first} after one"
    );
}
