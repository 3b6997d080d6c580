//! A small numeric CSV reader for data a user brings.

use crate::dataset::LabeledData;
use crate::error::{DataError, Result};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How to read a CSV file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsvOptions {
    /// Field separator.
    pub delimiter: char,
    /// Skip the first non-empty line (column names).
    pub has_header: bool,
    /// Column holding an integer class label, removed from the features (negative counts from the end: -1 is the last).
    pub label_column: Option<isize>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            delimiter: ',',
            has_header: false,
            label_column: None,
        }
    }
}

/// Reads a CSV file of numbers into features and optional labels.
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<LabeledData> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    parse_csv(&text, options)
}

/// Parses CSV text. Empty lines and lines starting with `#` are skipped.
pub fn parse_csv(text: &str, options: &CsvOptions) -> Result<LabeledData> {
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut width = None;
    let mut header_skipped = !options.has_header;
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_skipped {
            header_skipped = true;
            continue;
        }
        let cells: Vec<&str> = line.split(options.delimiter).map(str::trim).collect();
        let expected = *width.get_or_insert(cells.len());
        if cells.len() != expected {
            return Err(DataError::CsvRagged {
                line: lineno + 1,
                found: cells.len(),
                expected,
            });
        }
        let row = cells
            .iter()
            .enumerate()
            .map(|(c, t)| {
                t.parse::<f64>().map_err(|_| DataError::CsvParse {
                    line: lineno + 1,
                    column: c + 1,
                    text: t.to_string(),
                })
            })
            .collect::<Result<Vec<f64>>>()?;
        rows.push(row);
    }
    let width = width.ok_or_else(|| DataError::Empty("CSV has no data rows".into()))?;
    let label_col = match options.label_column {
        None => None,
        Some(c) => {
            let idx = if c < 0 { width as isize + c } else { c };
            if idx < 0 || idx as usize >= width || width < 2 {
                return Err(DataError::InvalidParameter(format!(
                    "label column {c} does not exist in {width} columns (or leaves no features)"
                )));
            }
            Some(idx as usize)
        }
    };
    let d = width - usize::from(label_col.is_some());
    let mut labels = Vec::new();
    let mut flat = Vec::with_capacity(rows.len() * d);
    for (r, row) in rows.iter().enumerate() {
        for (c, &v) in row.iter().enumerate() {
            if Some(c) == label_col {
                labels.extend(crate::dataset::class_labels(
                    [v],
                    &format!("row {}", r + 1),
                )?);
            } else {
                flat.push(v);
            }
        }
    }
    LabeledData::new(DMatrix::from_row_slice(rows.len(), d, &flat), labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_features_and_last_column_labels() {
        let t = "x,y,label\n1,2,0\n3.5,-4,1\n\n# comment\n5,6,1\n";
        let o = CsvOptions {
            has_header: true,
            label_column: Some(-1),
            ..Default::default()
        };
        let d = parse_csv(t, &o).unwrap();
        assert_eq!(
            d.features,
            DMatrix::from_row_slice(3, 2, &[1.0, 2.0, 3.5, -4.0, 5.0, 6.0])
        );
        assert_eq!(d.labels, vec![0, 1, 1]);
    }

    #[test]
    fn bad_input_is_typed() {
        let o = CsvOptions::default();
        assert!(matches!(
            parse_csv("1,2\n3\n", &o),
            Err(DataError::CsvRagged { line: 2, .. })
        ));
        assert!(matches!(
            parse_csv("1,2\n3,abc\n", &o),
            Err(DataError::CsvParse {
                line: 2,
                column: 2,
                ..
            })
        ));
        assert!(matches!(parse_csv("", &o), Err(DataError::Empty(_))));
        assert!(matches!(
            parse_csv("1,nan\n", &o),
            Err(DataError::NonFinite { row: 0, col: 1 })
        ));
        let lab = CsvOptions {
            label_column: Some(5),
            ..Default::default()
        };
        assert!(matches!(
            parse_csv("1,2\n", &lab),
            Err(DataError::InvalidParameter(_))
        ));
    }
}
