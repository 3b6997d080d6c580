//! ROC-AUC of scores for positives against negatives, by the rank statistic
//! (Mann–Whitney U): `AUC = P(s_pos > s_neg) + ½ P(s_pos = s_neg)`, computed from the ranks of
//! the pooled scores with ties given their average rank, in `O((p + q) log(p + q))`.

use crate::error::{MetricsError, Result};

/// Ranks 1..n of `v` in ascending order, tied values at their average rank (used by the
/// ROC-AUC here and by Spearman's ρ in [`crate::geometry`]).
pub(crate) fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            r[o] = avg;
        }
        i = j + 1;
    }
    r
}

/// The ROC-AUC of `positives` against `negatives` (both non-empty, all finite).
pub fn roc_auc(positives: &[f64], negatives: &[f64]) -> Result<f64> {
    if positives.is_empty() || negatives.is_empty() {
        return Err(MetricsError::Empty);
    }
    if let Some(i) = positives
        .iter()
        .chain(negatives)
        .position(|v| !v.is_finite())
    {
        return Err(MetricsError::NonFinite { row: i, col: 0 });
    }
    // Sum of the positives' ranks (1-based) among the pooled scores, ties at their average.
    let pooled: Vec<f64> = positives.iter().chain(negatives).copied().collect();
    let rank_sum: f64 = average_ranks(&pooled)[..positives.len()].iter().sum();
    let (p, q) = (positives.len() as f64, negatives.len() as f64);
    let u = rank_sum - p * (p + 1.0) / 2.0;
    Ok(u / (p * q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_auc_with_a_tie() {
        // Positives 0.9, 0.6, 0.4; negatives 0.6, 0.2. Pairs: (0.9 > 0.6) 1, (0.9 > 0.2) 1,
        // (0.6 = 0.6) ½, (0.6 > 0.2) 1, (0.4 < 0.6) 0, (0.4 > 0.2) 1: 4.5 of 6 = 0.75.
        let auc = roc_auc(&[0.9, 0.6, 0.4], &[0.6, 0.2]).unwrap();
        assert!((auc - 0.75).abs() < 1e-15, "{auc}");
        assert_eq!(roc_auc(&[2.0, 3.0], &[0.0, 1.0]).unwrap(), 1.0);
        assert_eq!(roc_auc(&[0.0], &[1.0]).unwrap(), 0.0);
        assert_eq!(roc_auc(&[1.0, 1.0], &[1.0]).unwrap(), 0.5);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(matches!(roc_auc(&[], &[1.0]), Err(MetricsError::Empty)));
        assert!(matches!(roc_auc(&[1.0], &[]), Err(MetricsError::Empty)));
        assert!(matches!(
            roc_auc(&[1.0, f64::NAN], &[0.0]),
            Err(MetricsError::NonFinite { row: 1, .. })
        ));
    }

    proptest::proptest! {
        /// The rank statistic equals the pair count, ties counting ½.
        #[test]
        fn equals_the_pair_count(
            pos in proptest::collection::vec(0i32..8, 1..40),
            neg in proptest::collection::vec(0i32..8, 1..40),
        ) {
            let p: Vec<f64> = pos.iter().map(|&v| v as f64).collect();
            let q: Vec<f64> = neg.iter().map(|&v| v as f64).collect();
            let mut wins = 0.0;
            for a in &p {
                for b in &q {
                    wins += if a > b { 1.0 } else if a == b { 0.5 } else { 0.0 };
                }
            }
            let want = wins / (p.len() * q.len()) as f64;
            proptest::prop_assert!((roc_auc(&p, &q).unwrap() - want).abs() < 1e-12);
        }
    }
}
