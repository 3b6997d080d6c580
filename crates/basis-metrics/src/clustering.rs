//! Clustering scores: NMI (BASiS Eq. 18) and ACC (Eq. 19).

use crate::error::{MetricsError, Result};
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde::{Deserialize, Serialize};

/// How mutual information is normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum NmiNormalization {
    /// `I / max(H(c), H(ĉ))`, as in the BASiS paper (Eq. 18).
    #[default]
    Max,
    /// `I / ((H(c) + H(ĉ))/2)`, scikit-learn's default.
    Arithmetic,
}

/// Relabels arbitrary labels to `0..count` in order of first appearance.
fn compact(labels: &[usize]) -> (Vec<usize>, usize) {
    let max = labels.iter().copied().max().unwrap_or(0);
    if max < 4 * labels.len() + 64 {
        // Small label values (the usual case): a lookup table instead of hashing.
        let mut table = vec![usize::MAX; max + 1];
        let mut count = 0;
        let out = labels
            .iter()
            .map(|&l| {
                if table[l] == usize::MAX {
                    table[l] = count;
                    count += 1;
                }
                table[l]
            })
            .collect();
        return (out, count);
    }
    let mut map = std::collections::HashMap::new();
    let out = labels
        .iter()
        .map(|l| {
            let next = map.len();
            *map.entry(*l).or_insert(next)
        })
        .collect();
    (out, map.len())
}

/// Contingency table `counts[i][j]` = points with true class `i` and cluster `j`.
pub fn contingency(truth: &[usize], pred: &[usize]) -> Result<Vec<Vec<u64>>> {
    if truth.len() != pred.len() {
        return Err(MetricsError::LengthMismatch(truth.len(), pred.len()));
    }
    if truth.is_empty() {
        return Err(MetricsError::Empty);
    }
    let (t, nt) = compact(truth);
    let (p, np) = compact(pred);
    let mut c = vec![vec![0u64; np]; nt];
    for (a, b) in t.into_iter().zip(p) {
        c[a][b] += 1;
    }
    Ok(c)
}

fn entropy(counts: impl Iterator<Item = u64>, n: f64) -> f64 {
    counts
        .filter(|&c| c > 0)
        .map(|c| {
            let p = c as f64 / n;
            -p * p.ln()
        })
        .sum()
}

/// Normalised mutual information between true classes and a clustering.
///
/// Two labelings that each have a single cluster score 1 (as scikit-learn does);
/// otherwise a labeling with zero entropy scores 0.
pub fn nmi(truth: &[usize], pred: &[usize], norm: NmiNormalization) -> Result<f64> {
    let c = contingency(truth, pred)?;
    let n = truth.len() as f64;
    let rows: Vec<u64> = c.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<u64> = (0..c[0].len())
        .map(|j| c.iter().map(|r| r[j]).sum())
        .collect();
    if rows.len() == 1 && cols.len() == 1 {
        return Ok(1.0);
    }
    let mut mi = 0.0;
    for (i, r) in c.iter().enumerate() {
        for (j, &nij) in r.iter().enumerate() {
            if nij > 0 {
                let nij = nij as f64;
                mi += nij / n * ((n * nij) / (rows[i] as f64 * cols[j] as f64)).ln();
            }
        }
    }
    let ht = entropy(rows.into_iter(), n);
    let hp = entropy(cols.into_iter(), n);
    let denom = match norm {
        NmiNormalization::Max => ht.max(hp),
        NmiNormalization::Arithmetic => 0.5 * (ht + hp),
    };
    if denom <= 0.0 {
        return Ok(0.0);
    }
    Ok((mi.max(0.0) / denom).min(1.0))
}

/// Unsupervised clustering accuracy: the best one-to-one matching of clusters to
/// classes (Kuhn–Munkres on the integer contingency counts), divided by n.
///
/// Works for any numbers of clusters and classes: unmatched clusters count as errors.
pub fn clustering_accuracy(truth: &[usize], pred: &[usize]) -> Result<f64> {
    let c = contingency(truth, pred)?;
    let size = c.len().max(c[0].len());
    // Rows = clusters, columns = classes, padded to a square with zero weights.
    let mut m = Matrix::new(size, size, 0i64);
    for (i, r) in c.iter().enumerate() {
        for (j, &v) in r.iter().enumerate() {
            m[(j, i)] = v as i64;
        }
    }
    let (total, _) = kuhn_munkres(&m);
    Ok(total as f64 / truth.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_label_values_take_the_hashing_path_with_the_same_result() {
        let t = [0, 0, 1, 1, 2];
        let p = [3, 3, 1, 1, 1];
        let p_big = [usize::MAX, usize::MAX, 1 << 40, 1 << 40, 1 << 40];
        assert_eq!(
            nmi(&t, &p, NmiNormalization::Max),
            nmi(&t, &p_big, NmiNormalization::Max)
        );
        assert_eq!(clustering_accuracy(&t, &p), clustering_accuracy(&t, &p_big));
    }

    #[test]
    fn identical_and_renamed_labelings_score_one() {
        let t = vec![0, 0, 1, 1, 2, 2, 2];
        let renamed = vec![5, 5, 9, 9, 1, 1, 1];
        for p in [&t, &renamed] {
            assert!((nmi(&t, p, NmiNormalization::Max).unwrap() - 1.0).abs() < 1e-12);
            assert!((nmi(&t, p, NmiNormalization::Arithmetic).unwrap() - 1.0).abs() < 1e-12);
            assert_eq!(clustering_accuracy(&t, p).unwrap(), 1.0);
        }
    }

    #[test]
    fn independent_labelings_score_near_zero() {
        // Every class meets every cluster equally often: I = 0 exactly.
        let t: Vec<usize> = (0..400).map(|i| i % 4).collect();
        let p: Vec<usize> = (0..400).map(|i| (i / 4) % 4).collect();
        assert!(nmi(&t, &p, NmiNormalization::Max).unwrap().abs() < 1e-12);
        assert!((clustering_accuracy(&t, &p).unwrap() - 0.25).abs() < 1e-12);
    }

    #[test]
    fn random_independent_labelings_score_near_zero() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let t: Vec<usize> = (0..20_000).map(|_| rng.random_range(0..10)).collect();
        let p: Vec<usize> = (0..20_000).map(|_| rng.random_range(0..10)).collect();
        // Finite-sample MI of independent labels is about (10 − 1)² / (2n) nats: ~0.002 / ln 10.
        for norm in [NmiNormalization::Max, NmiNormalization::Arithmetic] {
            let v = nmi(&t, &p, norm).unwrap();
            assert!(v < 0.005, "{norm:?}: {v}");
        }
        // ACC of a random clustering into 10 near-equal classes: a little above 1/10.
        let acc = clustering_accuracy(&t, &p).unwrap();
        assert!((0.1..0.12).contains(&acc), "{acc}");
    }

    #[test]
    fn hand_computed_values() {
        // truth [0,0,0,1,1,1], pred [0,0,1,1,2,2]
        let t = [0, 0, 0, 1, 1, 1];
        let p = [0, 0, 1, 1, 2, 2];
        // ACC: best matching 0→0 (2) + 2→1 (2) = 4/6.
        assert!((clustering_accuracy(&t, &p).unwrap() - 4.0 / 6.0).abs() < 1e-12);
        // I = ln 2 − (1/3) ln 2 ... computed from the definition:
        let ln = f64::ln;
        let mi = (2.0 / 6.0) * ln(6.0 * 2.0 / (3.0 * 2.0)) * 2.0
            + 2.0 * (1.0 / 6.0) * ln(6.0 / (3.0 * 2.0));
        let ht = ln(2.0);
        let hp = ln(3.0);
        assert!((nmi(&t, &p, NmiNormalization::Max).unwrap() - mi / hp.max(ht)).abs() < 1e-12);
        assert!(
            (nmi(&t, &p, NmiNormalization::Arithmetic).unwrap() - mi / (0.5 * (ht + hp))).abs()
                < 1e-12
        );
    }

    #[test]
    fn different_numbers_of_clusters_and_classes() {
        let t = [0, 0, 1, 1, 2, 2];
        let p = [0, 0, 0, 0, 1, 1];
        assert!((clustering_accuracy(&t, &p).unwrap() - 4.0 / 6.0).abs() < 1e-12);
        let p2 = [0, 1, 2, 3, 4, 5];
        assert!((clustering_accuracy(&t, &p2).unwrap() - 3.0 / 6.0).abs() < 1e-12);
        // One cluster only: zero information.
        assert_eq!(nmi(&t, &[7; 6], NmiNormalization::Max).unwrap(), 0.0);
    }

    #[test]
    fn bad_input_is_typed() {
        assert_eq!(
            nmi(&[0, 1], &[0], NmiNormalization::Max),
            Err(MetricsError::LengthMismatch(2, 1))
        );
        assert_eq!(clustering_accuracy(&[], &[]), Err(MetricsError::Empty));
    }

    proptest::proptest! {
        #[test]
        fn scores_are_in_range_and_symmetric_for_nmi(
            t in proptest::collection::vec(0usize..5, 1..60),
            seed in 0usize..1000,
        ) {
            let p: Vec<usize> = t.iter().enumerate().map(|(i, &l)| (l * 7 + i * seed) % 4).collect();
            let a = nmi(&t, &p, NmiNormalization::Max).unwrap();
            let b = nmi(&p, &t, NmiNormalization::Max).unwrap();
            proptest::prop_assert!((0.0..=1.0).contains(&a));
            proptest::prop_assert!((a - b).abs() < 1e-12);
            let acc = clustering_accuracy(&t, &p).unwrap();
            proptest::prop_assert!((0.0..=1.0).contains(&acc));
        }
    }
}
