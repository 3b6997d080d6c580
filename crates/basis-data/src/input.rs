//! Reading a user's matrices and labels by file type: `.npy`, one array of a `.npz` archive
//! (`file.npz` when it holds one array, `file.npz:NAME` to pick one), CSV (`.csv`, `.txt`,
//! `.tsv`) or IDX (anything else, gzipped or raw; images are flattened to one row each).
//! Errors are typed ([`DataError`]) and name the file where the underlying error does not.

use crate::csv::{CsvOptions, read_csv};
use crate::idx::read_idx;
use crate::npy::read_npy;
use crate::{DataError, Result};
use nalgebra::DMatrix;
use std::path::Path;

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Any numeric matrix, one point per row.
pub fn read_matrix(path: &Path) -> Result<DMatrix<f64>> {
    read_matrix_scaled(path, false)
}

/// The array `file.npz:NAME` names, or the only array of `file.npz`.
fn read_npz_member(spec: &str) -> Result<DMatrix<f64>> {
    let (file, name) = match spec.rsplit_once(".npz:") {
        Some((stem, name)) => (format!("{stem}.npz"), Some(name)),
        None => (spec.to_string(), None),
    };
    let arrays = crate::npy::read_npz(&file)?;
    let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
    let pick = match name {
        Some(n) => arrays.iter().position(|(a, _)| a == n).ok_or_else(|| {
            DataError::InvalidParameter(format!("{file}: no array {n:?} (it holds {names:?})"))
        })?,
        None if arrays.len() == 1 => 0,
        None => {
            return Err(DataError::InvalidParameter(format!(
                "{file} holds {} arrays {names:?}: name one as {file}:NAME",
                arrays.len()
            )));
        }
    };
    Ok(arrays
        .into_iter()
        .nth(pick)
        .map(|(_, m)| m)
        .unwrap_or_default())
}

/// [`read_matrix`]; with `scale_bytes`, IDX bytes (images) become pixels in [0, 1].
fn read_matrix_scaled(path: &Path, scale_bytes: bool) -> Result<DMatrix<f64>> {
    let spec = path.to_string_lossy();
    if spec.contains(".npz:") || extension(path) == "npz" {
        return read_npz_member(&spec);
    }
    if path.is_dir() {
        return Err(DataError::InvalidParameter(format!(
            "{}: is a directory, not a data file",
            path.display()
        )));
    }
    if !path.is_file() {
        return Err(DataError::MissingDataset {
            path: path.to_path_buf(),
            hint: "no such file".into(),
        });
    }
    match extension(path).as_str() {
        "npy" => read_npy(path),
        "csv" | "txt" | "tsv" => {
            let options = CsvOptions {
                delimiter: if extension(path) == "tsv" { '\t' } else { ',' },
                label_column: None,
                ..Default::default()
            };
            read_csv(path, &options).map(|d| d.features)
        }
        _ => {
            let a = read_idx(path)?;
            let (n, width) = (a.len(), a.item_size());
            let mut m = DMatrix::from_row_slice(n, width, &a.values);
            if scale_bytes && a.elem_type == crate::idx::IdxType::U8 {
                m /= 255.0;
            }
            Ok(m)
        }
    }
}

/// Features, one point per row; every value finite, at least one row and one column.
pub fn read_features(path: &Path) -> Result<DMatrix<f64>> {
    checked(path, read_matrix(path)?)
}

/// Images, one flattened image per row, for a Siamese network: IDX bytes are scaled to
/// [0, 1] (as the network was trained); `.npy` and CSV rows are taken as they are.
pub fn read_images(path: &Path) -> Result<DMatrix<f64>> {
    checked(path, read_matrix_scaled(path, true)?)
}

/// `x` when it has data and every value is finite.
fn checked(path: &Path, x: DMatrix<f64>) -> Result<DMatrix<f64>> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(DataError::Empty(format!(
            "{}: no data ({} × {})",
            path.display(),
            x.nrows(),
            x.ncols()
        )));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        let (row, col) = (i % x.nrows(), i / x.nrows());
        return Err(DataError::InvalidParameter(format!(
            "{}: non-finite value {} at row {row}, column {col}",
            path.display(),
            x[(row, col)]
        )));
    }
    Ok(x)
}

/// Class labels, one per row of `n` points: non-negative integers in one column.
pub fn read_labels(path: &Path, n: usize) -> Result<Vec<usize>> {
    let m = read_matrix(path)?;
    let labels = crate::class_labels_from_matrix(&m, &path.display().to_string())?;
    if labels.len() != n {
        return Err(DataError::ShapeMismatch(format!(
            "{}: {} labels for {n} points",
            path.display(),
            labels.len()
        )));
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::encode_npy;

    #[test]
    fn files_are_read_by_type_and_bad_ones_are_typed_errors() {
        let dir = std::env::temp_dir().join(format!("basis-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        std::fs::write(dir.join("x.npy"), encode_npy(&x)).unwrap();
        std::fs::write(dir.join("x.csv"), "1,2\n3,4\n5,6\n").unwrap();
        assert_eq!(read_features(&dir.join("x.npy")).unwrap(), x);
        assert_eq!(read_features(&dir.join("x.csv")).unwrap(), x);
        std::fs::write(dir.join("y.csv"), "0\n1\n1\n").unwrap();
        assert_eq!(read_labels(&dir.join("y.csv"), 3).unwrap(), vec![0, 1, 1]);
        assert!(matches!(
            read_labels(&dir.join("y.csv"), 4),
            Err(DataError::ShapeMismatch(_))
        ));
        assert!(matches!(
            read_features(&dir.join("missing.npy")),
            Err(DataError::MissingDataset { .. })
        ));
        assert!(matches!(
            read_features(&dir),
            Err(DataError::InvalidParameter(_))
        ));
        let mut bad = x.clone();
        bad[(1, 1)] = f64::NAN;
        std::fs::write(dir.join("nan.npy"), encode_npy(&bad)).unwrap();
        let e = read_features(&dir.join("nan.npy")).unwrap_err().to_string();
        assert!(e.contains("non-finite value NaN at row 1, column 1"), "{e}");
        std::fs::write(dir.join("empty.csv"), "").unwrap();
        assert!(read_features(&dir.join("empty.csv")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
