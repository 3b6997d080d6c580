//! How well a latent space keeps a manifold's geometry (GGAE's evaluation): Spearman's rank
//! correlation between ground-truth and latent pairwise distances, and kNN recall — the share
//! of each point's k nearest neighbours under the ground truth that are also among its k
//! nearest in the latent space, averaged over points (and over k = 10, 20, …, 200).

use crate::error::{MetricsError, Result};
use crate::ranking::average_ranks;
use nalgebra::DMatrix;

fn check_finite(v: &[f64]) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(MetricsError::NonFinite { row: i, col: 0 }),
        None => Ok(()),
    }
}

/// Spearman's ρ of two samples: the Pearson correlation of their ranks (ties averaged).
/// Typed errors: lengths differ, fewer than 2 values, non-finite values, a constant sample.
pub fn spearman(a: &[f64], b: &[f64]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(MetricsError::LengthMismatch(a.len(), b.len()));
    }
    if a.len() < 2 {
        return Err(MetricsError::Empty);
    }
    check_finite(a)?;
    check_finite(b)?;
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let mean = (a.len() as f64 + 1.0) / 2.0;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - mean) * (y - mean);
        va += (x - mean).powi(2);
        vb += (y - mean).powi(2);
    }
    if va == 0.0 || vb == 0.0 {
        return Err(MetricsError::InvalidParameter(
            "Spearman: a sample is constant (no ranking)".into(),
        ));
    }
    Ok(cov / (va * vb).sqrt())
}

/// Euclidean distances between the rows of `x`.
pub fn euclidean_distances(x: &DMatrix<f64>) -> DMatrix<f64> {
    let n = x.nrows();
    DMatrix::from_fn(n, n, |i, j| (x.row(i) - x.row(j)).norm())
}

fn check_pair(truth: &DMatrix<f64>, latent: &DMatrix<f64>) -> Result<usize> {
    let n = truth.nrows();
    if truth.ncols() != n || latent.nrows() != n || latent.ncols() != n {
        return Err(MetricsError::InvalidParameter(format!(
            "distance matrices {:?} and {:?} must both be n × n",
            truth.shape(),
            latent.shape()
        )));
    }
    if n < 2 {
        return Err(MetricsError::Empty);
    }
    for m in [truth, latent] {
        if let Some(p) = m.iter().position(|v| !v.is_finite()) {
            return Err(MetricsError::NonFinite {
                row: p % n,
                col: p / n,
            });
        }
    }
    Ok(n)
}

/// Spearman's ρ between the ground-truth and latent distances of all pairs i < j.
pub fn distance_spearman(truth: &DMatrix<f64>, latent: &DMatrix<f64>) -> Result<f64> {
    let n = check_pair(truth, latent)?;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for j in 0..n {
        for i in 0..j {
            a.push(truth[(i, j)]);
            b.push(latent[(i, j)]);
        }
    }
    spearman(&a, &b)
}

/// kNN recall at each k of `ks`: mean over points of |N_k^truth(i) ∩ N_k^latent(i)| / k.
/// Ground-truth ties (e.g. frames one step before and after) are broken by index. Typed error
/// for k = 0 or k ≥ n.
pub fn knn_recall(truth: &DMatrix<f64>, latent: &DMatrix<f64>, ks: &[usize]) -> Result<Vec<f64>> {
    let n = check_pair(truth, latent)?;
    if let Some(&k) = ks.iter().find(|&&k| k == 0 || k >= n) {
        return Err(MetricsError::InvalidParameter(format!(
            "kNN recall: k = {k} for {n} points, need 1 ≤ k < n"
        )));
    }
    let kmax = ks.iter().copied().max().unwrap_or(0);
    // Full orders once, truncated per k.
    let order = |d: &DMatrix<f64>| -> Vec<Vec<usize>> {
        (0..n)
            .map(|i| {
                let mut o: Vec<usize> = (0..n).filter(|&j| j != i).collect();
                o.sort_by(|&a, &b| d[(i, a)].total_cmp(&d[(i, b)]).then(a.cmp(&b)));
                o.truncate(kmax);
                o
            })
            .collect()
    };
    let (ot, ol) = (order(truth), order(latent));
    Ok(ks
        .iter()
        .map(|&k| {
            let mut hits = 0usize;
            let mut mark = vec![false; n];
            for i in 0..n {
                ot[i][..k].iter().for_each(|&j| mark[j] = true);
                hits += ol[i][..k].iter().filter(|&&j| mark[j]).count();
                ot[i][..k].iter().for_each(|&j| mark[j] = false);
            }
            hits as f64 / (n * k) as f64
        })
        .collect())
}

/// The k of GGAE's evaluation that fit `n` points: 10, 20, …, 200 (those below n).
pub fn ggae_recall_ks(n: usize) -> Vec<usize> {
    (1..=20).map(|t| 10 * t).filter(|&k| k < n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_by_hand_with_a_tie() {
        // a ranks 1, 2.5, 2.5, 4; b ranks 1, 3, 2, 4.
        let r = spearman(&[1.0, 2.0, 2.0, 5.0], &[0.1, 0.7, 0.3, 0.9]).unwrap();
        // Centred ranks: a (−1.5, 0, 0, 1.5), b (−1.5, 0.5, −0.5, 1.5): cov 4.5, va 4.5, vb 5.
        assert!((r - 4.5 / (4.5f64 * 5.0).sqrt()).abs() < 1e-15);
        assert_eq!(
            spearman(&[1.0, 2.0, 3.0], &[30.0, 20.0, 10.0]).unwrap(),
            -1.0
        );
        assert!(spearman(&[1.0, 1.0], &[1.0, 2.0]).is_err());
        assert!(spearman(&[1.0], &[1.0]).is_err());
        assert!(spearman(&[1.0, f64::NAN], &[1.0, 2.0]).is_err());
    }

    #[test]
    fn exact_rescaling_keeps_both_scores_perfect() {
        let x = DMatrix::from_fn(30, 2, |i, c| {
            ((i * 7 + c * 13) % 29) as f64 + 0.01 * i as f64
        });
        let d = euclidean_distances(&x);
        // × 4 is exact in floating point, so no two distances merge or swap.
        let squashed = d.map(|v| 4.0 * v);
        assert!((distance_spearman(&d, &squashed).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(
            knn_recall(&d, &squashed, &[1, 5, 29]).unwrap(),
            vec![1.0, 1.0, 1.0]
        );
        assert!(knn_recall(&d, &d, &[30]).is_err());
        assert!(knn_recall(&d, &d, &[0]).is_err());
    }

    #[test]
    fn spearman_without_ties_is_the_rank_difference_formula() {
        // 1 − 6 Σ d_i² / (n (n² − 1)) holds when no value repeats.
        let a: Vec<f64> = (0..40).map(|i| ((i * 17) % 41) as f64).collect();
        let b: Vec<f64> = (0..40)
            .map(|i| ((i * 23 + 5) % 43) as f64 + 0.5 * i as f64)
            .collect();
        let (ra, rb) = (average_ranks(&a), average_ranks(&b));
        let n = 40.0;
        let d2: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - y).powi(2)).sum();
        let want = 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
        assert!((spearman(&a, &b).unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn recall_by_hand_on_a_line() {
        // Truth: points 0, 1, 2, 3 on a line; latent swaps 2 and 3.
        let t = euclidean_distances(&DMatrix::from_column_slice(4, 1, &[0.0, 1.0, 2.0, 3.0]));
        let l = euclidean_distances(&DMatrix::from_column_slice(4, 1, &[0.0, 1.0, 3.0, 2.0]));
        // k = 1: truth NN 1, 0 (tie 0/2 → 0), 1 (tie 1/3 → 1), 2; latent 1, 0 (tie 0/3 → 0), 3, 1
        // (tie 1/2 → 1): hits 1 + 1 + 0 + 0 = 2 of 4.
        assert_eq!(knn_recall(&t, &l, &[1]).unwrap(), vec![0.5]);
        // k = 3: everything → 1.
        assert_eq!(knn_recall(&t, &l, &[3]).unwrap(), vec![1.0]);
    }
}
