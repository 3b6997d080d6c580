//! One [`Report`] for an embedding: the five numbers of BASiS Table 1 (d_G, d_⊥, NMI, ACC,
//! linear-probe accuracy), serialisable to JSON and printable as a markdown row.

use crate::clustering::{NmiNormalization, clustering_accuracy, nmi};
use crate::error::{MetricsError, Result};
use crate::kmeans::{KMeansParams, kmeans};
use crate::probe::{LinearProbeParams, linear_probe_accuracy};
use crate::subspace::{ColumnScaling, grassmann_distance, orthogonality};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// How the numbers are computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReportParams {
    /// k-means on the embedding for NMI and ACC; `k = 0` means "the number of classes".
    pub kmeans: KMeansParams,
    /// The linear probe of Eq. 20.
    pub probe: LinearProbeParams,
    /// Column scaling before d_⊥ (Eq. 17).
    pub orthogonality: ColumnScaling,
}

impl Default for ReportParams {
    fn default() -> Self {
        Self {
            kmeans: KMeansParams {
                k: 0,
                ..KMeansParams::default()
            },
            probe: LinearProbeParams::default(),
            orthogonality: ColumnScaling::UnitNorm,
        }
    }
}

/// What an embedding is scored against. Each number is computed only when its inputs are given.
#[derive(Debug, Clone, Copy)]
pub struct ReportInputs<'a> {
    /// The embedding to score, n × K (e.g. a network's outputs on the test points).
    pub embedding: &'a DMatrix<f64>,
    /// Classes of the n points: NMI, ACC (k-means on the embedding) and the probe's test labels.
    pub labels: Option<&'a [usize]>,
    /// The analytic eigenvectors of the same n points' graph, n × K: d_G.
    pub analytic: Option<&'a DMatrix<f64>>,
    /// The embedding of the training points and their classes, to train the linear probe on.
    pub probe_train: Option<(&'a DMatrix<f64>, &'a [usize])>,
}

/// The five numbers of BASiS Table 1 for one embedding (`None` when not computed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Points scored.
    pub n_points: usize,
    /// Embedding dimension K.
    pub dim: usize,
    /// Squared Grassmann distance to the analytic eigenvectors (Eq. 16), in [0, K].
    pub grassmann: Option<f64>,
    /// Orthogonality d_⊥ (Eq. 17) under [`ReportParams::orthogonality`].
    pub orthogonality: Option<f64>,
    /// NMI with max normalisation (Eq. 18), k-means on the embedding.
    pub nmi: Option<f64>,
    /// NMI with arithmetic normalisation (scikit-learn's default), same clustering.
    pub nmi_arithmetic: Option<f64>,
    /// Clustering accuracy (Eq. 19), same clustering.
    pub acc: Option<f64>,
    /// Linear-probe accuracy (Eq. 20) as a fraction.
    pub probe_accuracy: Option<f64>,
}

impl Report {
    /// Scores `inputs.embedding`.
    pub fn evaluate(inputs: &ReportInputs, params: &ReportParams) -> Result<Report> {
        let y = inputs.embedding;
        let (n, k) = y.shape();
        if n == 0 || k == 0 {
            return Err(MetricsError::Empty);
        }
        let grassmann = inputs
            .analytic
            .map(|a| grassmann_distance(y, a))
            .transpose()?;
        let orthogonality = Some(orthogonality(y, params.orthogonality)?);
        let (mut nmi_max, mut nmi_ari, mut acc) = (None, None, None);
        if let Some(labels) = inputs.labels {
            if labels.len() != n {
                return Err(MetricsError::LengthMismatch(n, labels.len()));
            }
            let classes = {
                let mut seen = labels.to_vec();
                seen.sort_unstable();
                seen.dedup();
                seen.len()
            };
            let km = KMeansParams {
                k: if params.kmeans.k == 0 {
                    classes
                } else {
                    params.kmeans.k
                },
                ..params.kmeans
            };
            let clusters = kmeans(y, &km)?.labels;
            nmi_max = Some(nmi(labels, &clusters, NmiNormalization::Max)?);
            nmi_ari = Some(nmi(labels, &clusters, NmiNormalization::Arithmetic)?);
            acc = Some(clustering_accuracy(labels, &clusters)?);
        }
        let probe_accuracy = match (inputs.probe_train, inputs.labels) {
            (Some((train_x, train_y)), Some(test_y)) => Some(linear_probe_accuracy(
                train_x,
                train_y,
                y,
                test_y,
                &params.probe,
            )?),
            _ => None,
        };
        Ok(Report {
            n_points: n,
            dim: k,
            grassmann,
            orthogonality,
            nmi: nmi_max,
            nmi_arithmetic: nmi_ari,
            acc,
            probe_accuracy,
        })
    }

    /// This report with NMI and ACC recomputed from a clustering the model made itself
    /// (e.g. a clustering head's argmax) instead of k-means on the embedding; d_G, d_⊥ and
    /// the probe are kept.
    pub fn with_clusters(mut self, labels: &[usize], clusters: &[usize]) -> Result<Report> {
        if labels.len() != self.n_points {
            return Err(MetricsError::LengthMismatch(self.n_points, labels.len()));
        }
        if clusters.len() != self.n_points {
            return Err(MetricsError::LengthMismatch(self.n_points, clusters.len()));
        }
        self.nmi = Some(nmi(labels, clusters, NmiNormalization::Max)?);
        self.nmi_arithmetic = Some(nmi(labels, clusters, NmiNormalization::Arithmetic)?);
        self.acc = Some(clustering_accuracy(labels, clusters)?);
        Ok(self)
    }

    /// Header of the markdown table that [`Report::markdown_row`] fills, Table 1's columns.
    pub fn markdown_header() -> String {
        "| method | d_G ↓ | d_⊥ ↓ | NMI ↑ | ACC ↑ | probe accuracy (%) ↑ |\n|---|---|---|---|---|---|".into()
    }

    /// One markdown row: `method` and the five numbers (— when not computed).
    pub fn markdown_row(&self, method: &str) -> String {
        let f = |v: Option<f64>, scale: f64, digits: usize| {
            v.map_or("—".to_string(), |x| format!("{:.*}", digits, x * scale))
        };
        format!(
            "| {method} | {} | {} | {} | {} | {} |",
            f(self.grassmann, 1.0, 3),
            f(self.orthogonality, 1.0, 3),
            f(self.nmi, 1.0, 3),
            f(self.acc, 1.0, 3),
            f(self.probe_accuracy, 100.0, 3)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subspace::orthonormal_basis;

    /// Three well separated clusters in 2-D, and their indicator-like "analytic" embedding.
    fn clusters() -> (DMatrix<f64>, Vec<usize>) {
        let centres = [(0.0, 0.0), (5.0, 0.0), (0.0, 5.0)];
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for (c, &(cx, cy)) in centres.iter().enumerate() {
            for i in 0..30 {
                let t = i as f64;
                rows.extend([cx + 0.3 * (t * 0.7).sin(), cy + 0.3 * (t * 1.3).cos()]);
                labels.push(c);
            }
        }
        (DMatrix::from_row_slice(90, 2, &rows), labels)
    }

    #[test]
    fn a_perfect_embedding_scores_perfectly_and_round_trips_through_json() {
        let (y, labels) = clusters();
        let report = Report::evaluate(
            &ReportInputs {
                embedding: &y,
                labels: Some(&labels),
                analytic: Some(&(&y * 3.0)),
                probe_train: Some((&y, &labels)),
            },
            &ReportParams::default(),
        )
        .unwrap();
        assert!(report.grassmann.unwrap() < 1e-12);
        assert_eq!(report.acc, Some(1.0));
        assert!((report.nmi.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(report.probe_accuracy, Some(1.0));
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), report);
        let row = report.markdown_row("ours");
        assert!(
            row.starts_with("| ours | 0.000 |") && row.ends_with("| 1.000 | 1.000 | 100.000 |"),
            "{row}"
        );
        assert_eq!(Report::markdown_header().lines().count(), 2);
    }

    #[test]
    fn a_given_clustering_replaces_only_nmi_and_acc() {
        let (y, labels) = clusters();
        let report = Report::evaluate(
            &ReportInputs {
                embedding: &y,
                labels: Some(&labels),
                analytic: Some(&y),
                probe_train: None,
            },
            &ReportParams::default(),
        )
        .unwrap();
        // Two of the three classes merged, labels renamed: ACC = 60/90 by Hungarian matching.
        let merged: Vec<usize> = labels.iter().map(|&c| if c == 2 { 7 } else { 3 }).collect();
        let r = report.clone().with_clusters(&labels, &merged).unwrap();
        assert!((r.acc.unwrap() - 60.0 / 90.0).abs() < 1e-15);
        assert!(r.nmi.unwrap() < 1.0);
        assert_eq!(
            (r.grassmann, r.orthogonality),
            (report.grassmann, report.orthogonality)
        );
        let renamed: Vec<usize> = labels.iter().map(|&c| 2 - c).collect();
        assert_eq!(
            report.clone().with_clusters(&labels, &renamed).unwrap().acc,
            Some(1.0)
        );
        assert!(matches!(
            report.with_clusters(&labels, &merged[1..]),
            Err(MetricsError::LengthMismatch(90, 89))
        ));
    }

    #[test]
    fn missing_inputs_leave_numbers_out() {
        let (y, _) = clusters();
        let q = orthonormal_basis(&y).unwrap();
        let r = Report::evaluate(
            &ReportInputs {
                embedding: &q,
                labels: None,
                analytic: None,
                probe_train: None,
            },
            &ReportParams::default(),
        )
        .unwrap();
        assert!(r.orthogonality.unwrap() < 1e-20);
        assert_eq!(
            (r.grassmann, r.nmi, r.acc, r.probe_accuracy),
            (None, None, None, None)
        );
        assert!(r.markdown_row("x").contains("| — |"));
    }

    #[test]
    fn mismatched_inputs_are_typed_errors() {
        let (y, labels) = clusters();
        let inputs = ReportInputs {
            embedding: &y,
            labels: Some(&labels[..10]),
            analytic: None,
            probe_train: None,
        };
        assert!(matches!(
            Report::evaluate(&inputs, &ReportParams::default()),
            Err(MetricsError::LengthMismatch(90, 10))
        ));
        let wrong = DMatrix::zeros(90, 3);
        let inputs = ReportInputs {
            embedding: &y,
            labels: None,
            analytic: Some(&wrong),
            probe_train: None,
        };
        assert!(Report::evaluate(&inputs, &ReportParams::default()).is_err());
    }
}
