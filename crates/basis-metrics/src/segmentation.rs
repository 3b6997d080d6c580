//! Segmentation scores: a pixel confusion matrix of ground-truth classes against predicted
//! clusters, the two cluster-to-class mappings of unsupervised segmentation, and the mean
//! intersection over union (mIoU) under a mapping.
//!
//! - [`Confusion::hungarian_mapping`]: one-to-one; the matching of clusters to classes that
//!   maximises the pixels on the diagonal (Kuhn–Munkres on the counts, as in PiCIE / STEGO and
//!   the NeuralEF segmenter's `--hungarian_match`). With more clusters than classes the
//!   unmatched clusters map to no class: their pixels are false negatives of their true class.
//! - [`Confusion::argmax_iou_mapping`]: many-to-one; every cluster to the class it has the
//!   highest IoU with (the NeuralEF segmenter's default protocol at K > C). Several clusters
//!   may share a class.
//!
//! With a mapping `m`, class `c`'s IoU is `TP / (|truth = c| + |pred = c| − TP)` where
//! `pred = c` is the union of the clusters mapped to `c`; the mIoU averages it over the
//! classes present in the truth or the mapped prediction.

use crate::error::{MetricsError, Result};
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde::{Deserialize, Serialize};

/// Which cluster-to-class mapping a score uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClusterMapping {
    /// One-to-one (Hungarian on the pixel counts).
    Hungarian,
    /// Many-to-one (each cluster to its argmax-IoU class).
    ArgmaxIou,
}

impl ClusterMapping {
    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hungarian => "Hungarian (1:1)",
            Self::ArgmaxIou => "argmax-IoU (many:1)",
        }
    }
}

/// Pixel counts of (true class, predicted cluster).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    classes: usize,
    clusters: usize,
    /// `classes × clusters`, row-major.
    counts: Vec<u64>,
}

/// An mIoU and what it is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MiouScore {
    /// Mean IoU over the classes present in the truth or the mapped prediction.
    pub miou: f64,
    /// Per class; `None` for a class absent from both.
    pub per_class: Vec<Option<f64>>,
    /// Pixels whose mapped cluster is their class, over all pixels.
    pub pixel_accuracy: f64,
    /// The mapping used: cluster → class (`None`: mapped to no class).
    pub mapping: Vec<Option<usize>>,
}

impl Confusion {
    /// An empty matrix of `classes` classes and `clusters` clusters (both ≥ 1).
    pub fn new(classes: usize, clusters: usize) -> Result<Self> {
        if classes == 0 || clusters == 0 {
            return Err(MetricsError::InvalidParameter(format!(
                "a confusion matrix needs ≥ 1 class and ≥ 1 cluster, got {classes} and {clusters}"
            )));
        }
        Ok(Self {
            classes,
            clusters,
            counts: vec![0; classes * clusters],
        })
    }

    /// Counts one image (or any set of pixels): `truth[i]` is pixel i's class, `pred[i]` its
    /// cluster. Lengths must agree and be ≥ 1; labels must be in range.
    pub fn add(&mut self, truth: &[usize], pred: &[usize]) -> Result<()> {
        if truth.len() != pred.len() {
            return Err(MetricsError::LengthMismatch(truth.len(), pred.len()));
        }
        if truth.is_empty() {
            return Err(MetricsError::Empty);
        }
        if let Some(&t) = truth.iter().find(|&&t| t >= self.classes) {
            return Err(MetricsError::InvalidParameter(format!(
                "class {t} out of range (the matrix has {} classes)",
                self.classes
            )));
        }
        if let Some(&p) = pred.iter().find(|&&p| p >= self.clusters) {
            return Err(MetricsError::InvalidParameter(format!(
                "cluster {p} out of range (the matrix has {} clusters)",
                self.clusters
            )));
        }
        for (&t, &p) in truth.iter().zip(pred) {
            self.counts[t * self.clusters + p] += 1;
        }
        Ok(())
    }

    /// A matrix from its counts, `counts[class][cluster]` (for tests and hand-worked cases).
    pub fn from_counts(counts: &[Vec<u64>]) -> Result<Self> {
        let clusters = counts.first().map_or(0, Vec::len);
        let mut m = Self::new(counts.len(), clusters)?;
        for (c, row) in counts.iter().enumerate() {
            if row.len() != clusters {
                return Err(MetricsError::InvalidParameter(format!(
                    "row {c} has {} counts, row 0 has {clusters}",
                    row.len()
                )));
            }
            m.counts[c * clusters..(c + 1) * clusters].copy_from_slice(row);
        }
        Ok(m)
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Number of clusters.
    pub fn clusters(&self) -> usize {
        self.clusters
    }

    /// Pixels of class `class` predicted as cluster `cluster`.
    pub fn count(&self, class: usize, cluster: usize) -> u64 {
        self.counts[class * self.clusters + cluster]
    }

    /// All pixels counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn class_total(&self, c: usize) -> u64 {
        self.counts[c * self.clusters..(c + 1) * self.clusters]
            .iter()
            .sum()
    }

    fn cluster_total(&self, j: usize) -> u64 {
        (0..self.classes).map(|c| self.count(c, j)).sum()
    }

    /// Adds another matrix of the same shape.
    pub fn merge(&mut self, other: &Confusion) -> Result<()> {
        if (other.classes, other.clusters) != (self.classes, self.clusters) {
            return Err(MetricsError::InvalidParameter(format!(
                "cannot merge a {}×{} confusion matrix into a {}×{} one",
                other.classes, other.clusters, self.classes, self.clusters
            )));
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        Ok(())
    }

    /// The one-to-one mapping maximising the matched pixels; `min(K, C)` clusters get a class.
    /// Among matchings with equally many matched pixels the one returned is the solver's
    /// (their mIoU may differ).
    pub fn hungarian_mapping(&self) -> Vec<Option<usize>> {
        let size = self.classes.max(self.clusters);
        // Rows = clusters, columns = classes, padded with zeros to a square.
        let mut m = Matrix::new(size, size, 0i64);
        for c in 0..self.classes {
            for j in 0..self.clusters {
                m[(j, c)] = self.count(c, j) as i64;
            }
        }
        let (_, assignment) = kuhn_munkres(&m);
        (0..self.clusters)
            .map(|j| Some(assignment[j]).filter(|&c| c < self.classes))
            .collect()
    }

    /// Every cluster to the class it has the highest IoU with (ties: the lower class index;
    /// an empty cluster maps to no class).
    pub fn argmax_iou_mapping(&self) -> Vec<Option<usize>> {
        let class_totals: Vec<u64> = (0..self.classes).map(|c| self.class_total(c)).collect();
        (0..self.clusters)
            .map(|j| {
                let size = self.cluster_total(j);
                if size == 0 {
                    return None;
                }
                let mut best = (0usize, -1.0f64);
                for (c, &total) in class_totals.iter().enumerate() {
                    let inter = self.count(c, j) as f64;
                    let union = (size + total) as f64 - inter;
                    let iou = if union > 0.0 { inter / union } else { 0.0 };
                    if iou > best.1 {
                        best = (c, iou);
                    }
                }
                Some(best.0)
            })
            .collect()
    }

    /// The mapping of `which`.
    pub fn mapping(&self, which: ClusterMapping) -> Vec<Option<usize>> {
        match which {
            ClusterMapping::Hungarian => self.hungarian_mapping(),
            ClusterMapping::ArgmaxIou => self.argmax_iou_mapping(),
        }
    }

    /// The mIoU under `mapping` (cluster → class, one entry per cluster).
    pub fn miou_with(&self, mapping: &[Option<usize>]) -> Result<MiouScore> {
        if mapping.len() != self.clusters {
            return Err(MetricsError::InvalidParameter(format!(
                "a mapping of {} clusters for a matrix of {}",
                mapping.len(),
                self.clusters
            )));
        }
        if let Some(c) = mapping.iter().flatten().find(|&&c| c >= self.classes) {
            return Err(MetricsError::InvalidParameter(format!(
                "mapping to class {c} of {}",
                self.classes
            )));
        }
        let total = self.total();
        if total == 0 {
            return Err(MetricsError::Empty);
        }
        let mut tp = vec![0u64; self.classes];
        let mut predicted = vec![0u64; self.classes];
        for (j, m) in mapping.iter().enumerate() {
            if let Some(c) = *m {
                tp[c] += self.count(c, j);
                predicted[c] += self.cluster_total(j);
            }
        }
        let per_class: Vec<Option<f64>> = (0..self.classes)
            .map(|c| {
                let union = self.class_total(c) + predicted[c] - tp[c];
                (union > 0).then(|| tp[c] as f64 / union as f64)
            })
            .collect();
        let present: Vec<f64> = per_class.iter().flatten().copied().collect();
        Ok(MiouScore {
            miou: present.iter().sum::<f64>() / present.len().max(1) as f64,
            per_class,
            pixel_accuracy: tp.iter().sum::<u64>() as f64 / total as f64,
            mapping: mapping.to_vec(),
        })
    }

    /// The mIoU under the mapping of `which`, computed from this matrix.
    pub fn miou(&self, which: ClusterMapping) -> Result<MiouScore> {
        self.miou_with(&self.mapping(which))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classes (rows) 0..3, clusters (columns) 0..4, worked by hand below.
    fn worked() -> Confusion {
        Confusion::from_counts(&[vec![50, 10, 0, 0], vec![5, 0, 40, 5], vec![0, 30, 10, 0]])
            .unwrap()
    }

    #[test]
    fn hungarian_by_hand() {
        let m = worked();
        // Best 1:1: cluster 0 → class 0 (50), cluster 2 → class 1 (40), cluster 1 → class 2
        // (30): 120 matched pixels; cluster 3 unmatched.
        let map = m.hungarian_mapping();
        assert_eq!(map, vec![Some(0), Some(2), Some(1), None]);
        let s = m.miou_with(&map).unwrap();
        // Class 0: TP 50, truth 60, pred (cluster 0) 55: 50 / 65.
        // Class 1: TP 40, truth 50, pred (cluster 2) 50: 40 / 60.
        // Class 2: TP 30, truth 40, pred (cluster 1) 40: 30 / 50.
        let want = [50.0 / 65.0, 40.0 / 60.0, 30.0 / 50.0];
        for (got, w) in s.per_class.iter().zip(want) {
            assert!((got.unwrap() - w).abs() < 1e-15);
        }
        assert!((s.miou - want.iter().sum::<f64>() / 3.0).abs() < 1e-15);
        assert!((s.pixel_accuracy - 120.0 / 150.0).abs() < 1e-15);
    }

    #[test]
    fn argmax_iou_by_hand() {
        let m = worked();
        // Cluster 3 (5 pixels, all class 1): IoU with class 1 = 5 / (5 + 50 − 5) = 0.1,
        // with the others 0 → class 1. Cluster 1 (40 px): class 0 10/(40+60−10) = 0.111,
        // class 2 30/(40+40−30) = 0.6 → class 2. Cluster 0 → 0, cluster 2 → 1.
        let map = m.argmax_iou_mapping();
        assert_eq!(map, vec![Some(0), Some(2), Some(1), Some(1)]);
        let s = m.miou_with(&map).unwrap();
        // Class 1 now predicted by clusters 2 and 3: TP 45, pred 55, truth 50: 45 / 60.
        assert!((s.per_class[1].unwrap() - 45.0 / 60.0).abs() < 1e-15);
        assert!((s.pixel_accuracy - 125.0 / 150.0).abs() < 1e-15);
        let hungarian = m.miou(ClusterMapping::Hungarian).unwrap().miou;
        assert!(s.miou > hungarian);
    }

    #[test]
    fn perfect_and_permuted_predictions_score_one() {
        let truth = [0, 0, 1, 1, 2, 2, 2];
        let pred = [2, 2, 0, 0, 1, 1, 1];
        let mut m = Confusion::new(3, 3).unwrap();
        m.add(&truth, &pred).unwrap();
        for which in [ClusterMapping::Hungarian, ClusterMapping::ArgmaxIou] {
            let s = m.miou(which).unwrap();
            assert_eq!(s.miou, 1.0);
            assert_eq!(s.pixel_accuracy, 1.0);
        }
    }

    #[test]
    fn a_class_absent_from_truth_and_prediction_is_left_out() {
        let mut m = Confusion::new(3, 2).unwrap();
        m.add(&[0, 0, 1], &[0, 0, 1]).unwrap();
        let s = m.miou(ClusterMapping::Hungarian).unwrap();
        assert_eq!(s.per_class[2], None);
        assert_eq!(s.miou, 1.0);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(Confusion::new(0, 3).is_err());
        assert!(Confusion::new(3, 0).is_err());
        let mut m = Confusion::new(2, 2).unwrap();
        assert!(matches!(
            m.add(&[0, 1], &[0]),
            Err(MetricsError::LengthMismatch(..))
        ));
        assert!(matches!(m.add(&[], &[]), Err(MetricsError::Empty)));
        assert!(m.add(&[2], &[0]).is_err());
        assert!(m.add(&[0], &[5]).is_err());
        assert!(matches!(
            m.miou(ClusterMapping::Hungarian),
            Err(MetricsError::Empty)
        ));
        assert!(m.miou_with(&[Some(0)]).is_err());
        assert!(m.merge(&Confusion::new(3, 2).unwrap()).is_err());
    }

    proptest::proptest! {
        /// Renaming clusters changes neither mapping's score; scores lie in [0, 1]; the
        /// Hungarian pixel accuracy equals the clustering accuracy of the same labels.
        #[test]
        fn scores_ignore_cluster_names(
            pairs in proptest::collection::vec((0usize..4, 0usize..6), 1..200),
            shift in 1usize..6,
        ) {
            let truth: Vec<usize> = pairs.iter().map(|p| p.0).collect();
            let pred: Vec<usize> = pairs.iter().map(|p| p.1).collect();
            let renamed: Vec<usize> = pred.iter().map(|&c| (c + shift) % 6).collect();
            let (mut a, mut b) = (Confusion::new(4, 6).unwrap(), Confusion::new(4, 6).unwrap());
            a.add(&truth, &pred).unwrap();
            b.add(&truth, &renamed).unwrap();
            // Argmax-IoU maps each cluster on its own: its score is name-free. The Hungarian
            // matching maximises matched pixels, which is name-free; among matchings that tie
            // on pixels the mIoU may differ, so only its pixel accuracy is compared.
            let (sa, sb) = (
                a.miou(ClusterMapping::ArgmaxIou).unwrap(),
                b.miou(ClusterMapping::ArgmaxIou).unwrap(),
            );
            proptest::prop_assert!((sa.miou - sb.miou).abs() < 1e-12);
            let (ha, hb) = (
                a.miou(ClusterMapping::Hungarian).unwrap(),
                b.miou(ClusterMapping::Hungarian).unwrap(),
            );
            proptest::prop_assert!((ha.pixel_accuracy - hb.pixel_accuracy).abs() < 1e-12);
            for s in [&sa, &ha] {
                proptest::prop_assert!((0.0..=1.0).contains(&s.miou));
            }
            let acc = crate::clustering::clustering_accuracy(&truth, &pred).unwrap();
            let h = a.miou(ClusterMapping::Hungarian).unwrap().pixel_accuracy;
            proptest::prop_assert!((acc - h).abs() < 1e-12, "{} vs {}", acc, h);
        }
    }
}
