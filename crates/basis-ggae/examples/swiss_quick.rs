//! GGAE against the plain autoencoder on a Swiss roll with a hole, quickly:
//! `cargo run --release -p basis-ggae --example swiss_quick -- [n] [epochs] [alpha] [h_factor] [lr] [batch]`.
use basis_data::manifolds::{SwissRollParams, split_indices, swiss_roll_with_hole};
use basis_ggae::autoencoder::AutoencoderConfig;
use basis_ggae::train::{BatchGeometry, TrainConfig, train};
use basis_graph::{
    KnnParams, LaplaceBeltramiParams, Unreachable, distortion, geodesic_distances, knn_exact,
    laplace_beltrami,
};
use basis_metrics::{distance_spearman, euclidean_distances, ggae_recall_ks, knn_recall};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|s| s.parse().ok())
        .collect();
    let n = a.first().copied().unwrap_or(3000.0) as usize;
    // 0 epochs: only the distortion of the exact unrolling.
    let epochs = a.get(1).copied().unwrap_or(200.0) as usize;
    let alpha = a.get(2).copied().unwrap_or(10.0);
    let h_factor = a.get(3).copied().unwrap_or(1.0);
    let lr = a.get(4).copied().unwrap_or(1e-4);
    let batch = a.get(5).copied().unwrap_or(1000.0) as usize;
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
    // The objective's view of the exact isometry: the distortion of the unrolled (s, z),
    // scaled by c, under the Laplacians of batches of the training split.
    let unrolled_tr = roll.unrolled.select_rows(train_idx);
    let m = xtr.nrows().div_ceil(batch);
    let batches: Vec<Vec<usize>> = (0..m)
        .map(|b| (b * xtr.nrows() / m..(b + 1) * xtr.nrows() / m).collect())
        .collect();
    let params = LaplaceBeltramiParams {
        h,
        ..Default::default()
    };
    let batch_l: Vec<_> = batches
        .iter()
        .map(|idx| laplace_beltrami(&geo.select_rows(idx).select_columns(idx), &params))
        .collect::<Result<_, _>>()?;
    let mean_distortion = |y: &nalgebra::DMatrix<f64>| -> Result<f64, basis_graph::GraphError> {
        let mut t = 0.0;
        for (idx, l) in batches.iter().zip(&batch_l) {
            t += distortion(l, &y.select_rows(idx))?;
        }
        Ok(t / batches.len() as f64)
    };
    let at_one = mean_distortion(&unrolled_tr)?;
    let (best_c, best) = (1..=40)
        .map(|i| {
            let c = 0.05 * i as f64;
            (c, mean_distortion(&(&unrolled_tr * c)).unwrap_or(f64::NAN))
        })
        .fold((1.0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
    println!(
        "distortion of the exact unrolling on {m} training batches: {at_one:.3} at scale 1, \
         lowest {best:.3} at scale {best_c:.2} (an exact isometry of a flat sheet would give −2)"
    );
    if epochs == 0 {
        return Ok(());
    }
    let truth = euclidean_distances(&roll.unrolled.select_rows(test_idx));
    let alphas = if std::env::var_os("SKIP_AE").is_some() {
        vec![alpha]
    } else {
        vec![0.0, alpha]
    };
    for alpha in alphas {
        let cfg = TrainConfig {
            model: AutoencoderConfig::swiss_roll(),
            alpha,
            epochs,
            batch_size: batch,
            learning_rate: lr,
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
        let latent_distortion = mean_distortion(&trained.encode(&xtr)?)?;
        println!("  distortion of the trained latents on the same batches: {latent_distortion:.3}");
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
