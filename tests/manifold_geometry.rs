//! Geodesic distances on the Swiss roll's 10-NN graph recover the unrolled sheet's distances.

use basis::data::manifolds::{SwissRollParams, swiss_roll_with_hole};
use basis::graph::{KnnParams, Unreachable, geodesic_distances, knn_exact};

#[test]
fn swiss_roll_geodesics_follow_the_unrolled_sheet() {
    let roll = swiss_roll_with_hole(&SwissRollParams {
        n: 1500,
        ..Default::default()
    })
    .unwrap();
    let g = knn_exact(
        &roll.points,
        &KnnParams {
            k: 10,
            ..Default::default()
        },
    )
    .unwrap();
    let d = geodesic_distances(&g, Unreachable::Error, 0).unwrap();
    let (mut ratios, mut xs, mut ys) = (Vec::new(), Vec::new(), Vec::new());
    for i in (0..1500).step_by(7) {
        for j in (i + 1..1500).step_by(11) {
            let truth = (roll.unrolled.row(i) - roll.unrolled.row(j)).norm();
            ratios.push(d[(i, j)] / truth);
            xs.push(truth);
            ys.push(d[(i, j)]);
        }
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&xs), mean(&ys));
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let vx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let vy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    let r = cov / (vx * vy).sqrt();
    eprintln!("median geodesic / unrolled {median:.3}, Pearson {r:.4}");
    assert!((0.97..1.2).contains(&median), "{median}");
    assert!(r > 0.98, "{r}");
}
