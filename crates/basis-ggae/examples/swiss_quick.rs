//! GGAE against the plain autoencoder on a Swiss roll with a hole, quickly:
//! `cargo run --release -p basis-ggae --example swiss_quick -- [n] [epochs] [alpha] [h_factor]`.
use basis_data::manifolds::{SwissRollParams, split_indices, swiss_roll_with_hole};
use basis_ggae::autoencoder::AutoencoderConfig;
use basis_ggae::train::{BatchGeometry, TrainConfig, train};
use basis_graph::{KnnParams, LaplaceBeltramiParams, Unreachable, geodesic_distances, knn_exact};
use basis_metrics::{distance_spearman, euclidean_distances, ggae_recall_ks, knn_recall};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|s| s.parse().ok())
        .collect();
    let n = a.first().copied().unwrap_or(3000.0) as usize;
    let epochs = a.get(1).copied().unwrap_or(200.0) as usize;
    let alpha = a.get(2).copied().unwrap_or(10.0);
    let h_factor = a.get(3).copied().unwrap_or(1.0);
    let roll = swiss_roll_with_hole(&SwissRollParams {
        n,
        ..Default::default()
    })?;
    let parts = split_indices(n, &[5.0 / 7.0, 1.0 / 7.0, 1.0 / 7.0], 1)?;
    let (train_idx, test_idx) = (&parts[0], &parts[2]);
    let xtr = roll.points.select_rows(train_idx);
    let xte = roll.points.select_rows(test_idx);
    let knn = knn_exact(
        &xtr,
        &KnnParams {
            k: 10,
            ..Default::default()
        },
    )?;
    let t = std::time::Instant::now();
    let geo = geodesic_distances(&knn, Unreachable::Error, 0)?;
    let mut r10: Vec<f64> = (0..knn.n).map(|i| knn.distances[i * 10 + 9]).collect();
    r10.sort_by(f64::total_cmp);
    let h = h_factor * r10[r10.len() / 2].powi(2);
    println!(
        "geodesics {:.2} s; median 10-NN distance {:.3}; h = {h:.3}",
        t.elapsed().as_secs_f64(),
        r10[r10.len() / 2]
    );
    let truth = euclidean_distances(&roll.unrolled.select_rows(test_idx));
    for alpha in [0.0, alpha] {
        let cfg = TrainConfig {
            model: AutoencoderConfig::swiss_roll(),
            alpha,
            epochs,
            batch_size: 1000,
            learning_rate: 1e-4,
            seed: 0,
        };
        let geometry = BatchGeometry::SlicedDistances {
            distances: geo.clone(),
            params: LaplaceBeltramiParams {
                h,
                ..Default::default()
            },
        };
        let t = std::time::Instant::now();
        let trained = train(&xtr, &geometry, &cfg, |_, _| {})?;
        let z = trained.encode(&xte)?;
        let lat = euclidean_distances(&z);
        let rec = knn_recall(&truth, &lat, &ggae_recall_ks(truth.nrows()))?;
        let last = trained.curve.last().unwrap();
        println!(
            "alpha {alpha}: {:.1} s, test MSE {:.4}, Spearman {:.3}, kNN recall {:.3}; last epoch distortion {:.3}, {:.0} ms/epoch",
            t.elapsed().as_secs_f64(),
            trained.reconstruction_mse(&xte)?,
            distance_spearman(&truth, &lat)?,
            rec.iter().sum::<f64>() / rec.len() as f64,
            last.distortion,
            1e3 * trained.curve.iter().map(|e| e.seconds).sum::<f64>() / epochs as f64
        );
    }
    Ok(())
}
