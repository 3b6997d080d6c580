//! The in-memory representation of a labelled data set.

use crate::error::{DataError, Result};
use nalgebra::DMatrix;

/// Features (one row per point) with optional integer class labels.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledData {
    /// `n × d` feature matrix, one point per row.
    pub features: DMatrix<f64>,
    /// One label per row, or empty when the data set has no labels.
    pub labels: Vec<usize>,
}

impl LabeledData {
    /// Wraps features and labels, checking that they agree and that every feature is finite.
    pub fn new(features: DMatrix<f64>, labels: Vec<usize>) -> Result<Self> {
        if features.nrows() == 0 || features.ncols() == 0 {
            return Err(DataError::Empty(format!(
                "feature matrix is {}×{}",
                features.nrows(),
                features.ncols()
            )));
        }
        if !labels.is_empty() && labels.len() != features.nrows() {
            return Err(DataError::ShapeMismatch(format!(
                "{} labels for {} points",
                labels.len(),
                features.nrows()
            )));
        }
        check_finite(&features)?;
        Ok(Self { features, labels })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.features.nrows()
    }

    /// True when there are no points (never the case for a value built by [`LabeledData::new`]).
    pub fn is_empty(&self) -> bool {
        self.features.nrows() == 0
    }

    /// Feature dimension.
    pub fn dim(&self) -> usize {
        self.features.ncols()
    }

    /// Number of distinct classes, i.e. `max label + 1` (0 when unlabelled).
    pub fn num_classes(&self) -> usize {
        self.labels.iter().max().map_or(0, |m| m + 1)
    }

    /// The rows at `indices`, with their labels, in that order.
    pub fn select(&self, indices: &[usize]) -> Result<LabeledData> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(DataError::InvalidParameter(format!(
                "row index {bad} out of range for {} points",
                self.len()
            )));
        }
        let features = self.features.select_rows(indices);
        let labels = if self.labels.is_empty() {
            Vec::new()
        } else {
            indices.iter().map(|&i| self.labels[i]).collect()
        };
        Ok(LabeledData { features, labels })
    }
}

/// Returns the first non-finite entry as a typed error.
pub fn check_finite(x: &DMatrix<f64>) -> Result<()> {
    // Column-major storage: walk columns, report (row, col).
    for (col, column) in x.column_iter().enumerate() {
        if let Some(row) = column.iter().position(|v| !v.is_finite()) {
            return Err(DataError::NonFinite { row, col });
        }
    }
    Ok(())
}

/// The largest class id a label file may hold (2^20 − 1). Per-class work (counts, the linear
/// probe's weights) is sized by the largest id, so an id of 1e300 or 2^60 must be refused rather
/// than cast to `usize` and overflowing or allocating later.
pub const MAX_LABEL: usize = (1 << 20) - 1;

/// Class labels from numbers as a file stores them: each a non-negative integer (as a float,
/// it must have no fractional part) no larger than [`MAX_LABEL`]. `source` names the file in
/// the error (`"train labels"`, a path, …).
pub fn class_labels(values: impl IntoIterator<Item = f64>, source: &str) -> Result<Vec<usize>> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_LABEL as f64 {
                Ok(v as usize)
            } else {
                // 1e300 as `1e300`, not as its 301 digits.
                let shown = if v.abs() >= 1e9 { format!("{v:e}") } else { format!("{v}") };
                Err(DataError::InvalidParameter(format!(
                    "{source}: label {shown} at position {i} is not a class id (a non-negative integer up to {MAX_LABEL})"
                )))
            }
        })
        .collect()
}

/// Class labels from a matrix as a label file loads: one column (or one row) of
/// [`class_labels`]. Any other shape is refused rather than flattened.
pub fn class_labels_from_matrix(m: &DMatrix<f64>, source: &str) -> Result<Vec<usize>> {
    if m.ncols() != 1 && m.nrows() != 1 {
        return Err(DataError::ShapeMismatch(format!(
            "{source}: labels must be one column, got {} × {}",
            m.nrows(),
            m.ncols()
        )));
    }
    class_labels(m.iter().copied(), source)
}

#[cfg(test)]
mod class_label_tests {
    use super::*;

    #[test]
    fn labels_must_be_small_non_negative_integers() {
        assert_eq!(class_labels([0.0, 3.0, 1.0], "t").unwrap(), vec![0, 3, 1]);
        assert_eq!(
            class_labels([MAX_LABEL as f64], "t").unwrap(),
            vec![MAX_LABEL]
        );
        // Regressions (issue 24): an int8 −1 read as class 0, a CSV 1e300 cast to usize::MAX.
        for bad in [
            -1.0,
            1e300,
            0.5,
            f64::NAN,
            f64::INFINITY,
            (MAX_LABEL + 1) as f64,
        ] {
            let e = class_labels([0.0, bad], "labels.npy")
                .unwrap_err()
                .to_string();
            assert!(e.contains("labels.npy") && e.contains("position 1"), "{e}");
        }
        let pairs = DMatrix::from_element(3, 2, 1.0);
        assert!(matches!(
            class_labels_from_matrix(&pairs, "y.npy"),
            Err(DataError::ShapeMismatch(_))
        ));
        let row = DMatrix::from_row_slice(1, 3, &[2.0, 0.0, 1.0]);
        assert_eq!(
            class_labels_from_matrix(&row, "y.npy").unwrap(),
            vec![2, 0, 1]
        );
    }
}
