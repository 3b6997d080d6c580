//! Reading a user's matrices and labels by file type: `.npy`, one array of a `.npz` archive
//! (`file.npz` when it holds one array, `file.npz:NAME` to pick one), CSV (`.csv`, `.txt`,
//! `.tsv`) or IDX (anything else, gzipped or raw; images are flattened to one row each).

use basis_data::csv::{CsvOptions, read_csv};
use basis_data::idx::read_idx;
use basis_data::npy::read_npy;
use nalgebra::DMatrix;
use std::path::Path;

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn with_path<T>(path: &Path, r: Result<T, basis_data::DataError>) -> Result<T, String> {
    r.map_err(|e| format!("{}: {e}", path.display()))
}

/// Any numeric matrix, one point per row.
fn read_matrix(path: &Path) -> Result<DMatrix<f64>, String> {
    read_matrix_scaled(path, false)
}

/// The array `file.npz:NAME` names, or the only array of `file.npz`.
fn read_npz_member(spec: &str) -> Result<DMatrix<f64>, String> {
    let (file, name) = match spec.rsplit_once(".npz:") {
        Some((stem, name)) => (format!("{stem}.npz"), Some(name)),
        None => (spec.to_string(), None),
    };
    let arrays = basis_data::npy::read_npz(&file).map_err(|e| format!("{file}: {e}"))?;
    let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
    let pick = match name {
        Some(n) => arrays
            .iter()
            .position(|(a, _)| a == n)
            .ok_or_else(|| format!("{file}: no array {n:?} (it holds {names:?})"))?,
        None if arrays.len() == 1 => 0,
        None => {
            return Err(format!(
                "{file} holds {} arrays {names:?}: name one as {file}:NAME",
                arrays.len()
            ));
        }
    };
    Ok(arrays
        .into_iter()
        .nth(pick)
        .map(|(_, m)| m)
        .unwrap_or_default())
}

/// [`read_matrix`]; with `scale_bytes`, IDX bytes (images) become pixels in [0, 1].
fn read_matrix_scaled(path: &Path, scale_bytes: bool) -> Result<DMatrix<f64>, String> {
    let spec = path.to_string_lossy();
    if spec.contains(".npz:") || extension(path) == "npz" {
        return read_npz_member(&spec);
    }
    if path.is_dir() {
        return Err(format!(
            "{}: is a directory, not a data file",
            path.display()
        ));
    }
    if !path.is_file() {
        return Err(format!("{}: no such file", path.display()));
    }
    match extension(path).as_str() {
        "npy" => with_path(path, read_npy(path)),
        "csv" | "txt" | "tsv" => {
            let options = CsvOptions {
                delimiter: if extension(path) == "tsv" { '\t' } else { ',' },
                label_column: None,
                ..Default::default()
            };
            with_path(path, read_csv(path, &options)).map(|d| d.features)
        }
        _ => {
            let a = with_path(path, read_idx(path))?;
            let (n, width) = (a.len(), a.item_size());
            let mut m = DMatrix::from_row_slice(n, width, &a.values);
            if scale_bytes && a.elem_type == basis_data::idx::IdxType::U8 {
                m /= 255.0;
            }
            Ok(m)
        }
    }
}

/// Features, one point per row; every value finite, at least one row and one column.
pub fn read_features(path: &Path) -> Result<DMatrix<f64>, String> {
    checked(path, read_matrix(path)?)
}

/// Images, one flattened image per row, for a Siamese network: IDX bytes are scaled to
/// [0, 1] (as the network was trained); `.npy` and CSV rows are taken as they are.
pub fn read_images(path: &Path) -> Result<DMatrix<f64>, String> {
    checked(path, read_matrix_scaled(path, true)?)
}

/// `x` when it has data and every value is finite.
fn checked(path: &Path, x: DMatrix<f64>) -> Result<DMatrix<f64>, String> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(format!(
            "{}: no data ({} × {})",
            path.display(),
            x.nrows(),
            x.ncols()
        ));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        let (row, col) = (i % x.nrows(), i / x.nrows());
        return Err(format!(
            "{}: non-finite value {} at row {row}, column {col}",
            path.display(),
            x[(row, col)]
        ));
    }
    Ok(x)
}

/// Class labels, one per row of `n` points: non-negative integers in one column.
pub fn read_labels(path: &Path, n: usize) -> Result<Vec<usize>, String> {
    let m = read_matrix(path)?;
    let labels = basis_data::class_labels_from_matrix(&m, &path.display().to_string())
        .map_err(|e| e.to_string())?;
    if labels.len() != n {
        return Err(format!(
            "{}: {} labels for {n} points",
            path.display(),
            labels.len()
        ));
    }
    Ok(labels)
}
