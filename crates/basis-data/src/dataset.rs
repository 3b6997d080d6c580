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
