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

/// The metadata of `path` when it names a regular file (or a symbolic link to one). A missing
/// path is
/// [`DataError::MissingDataset`]; a directory, named pipe, socket or device is
/// [`DataError::NotARegularFile`], so nothing blocks on a FIFO or reads a device without end.
pub fn check_regular_file(path: &Path) -> Result<std::fs::Metadata> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DataError::MissingDataset {
                path: path.to_path_buf(),
                hint: "no such file".into(),
            });
        }
        Err(e) => return Err(DataError::io(path, e)),
    };
    if meta.is_file() {
        return Ok(meta);
    }
    Err(DataError::NotARegularFile {
        path: path.to_path_buf(),
        kind: file_kind(&meta.file_type()),
    })
}

/// What a non-regular file is, in words.
fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "character device";
        }
        if t.is_block_device() {
            return "block device";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    if t.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Any numeric matrix, one point per row.
pub fn read_matrix(path: &Path) -> Result<DMatrix<f64>> {
    read_matrix_scaled(path, false)
}

/// Splits `file.npz:NAME` (the extension in any case; `NAME` may hold `/` or `:`) at the first
/// `.npz:` whose left side is an existing file, else at the first `.npz:`.
fn split_npz_spec(spec: &str) -> (String, Option<&str>) {
    let lower = spec.to_ascii_lowercase();
    let cuts: Vec<usize> = lower.match_indices(".npz:").map(|(i, _)| i + 4).collect();
    let cut = cuts
        .iter()
        .copied()
        .find(|&i| Path::new(&spec[..i]).is_file())
        .or_else(|| cuts.first().copied());
    match cut {
        Some(i) => (spec[..i].to_string(), Some(&spec[i + 1..])),
        None => (spec.to_string(), None),
    }
}

/// The file a data path reads: `file.npz` for `file.npz:NAME`, the path itself otherwise.
pub fn data_file(path: &Path) -> std::path::PathBuf {
    let spec = path.to_string_lossy();
    if spec.to_ascii_lowercase().contains(".npz:") {
        std::path::PathBuf::from(split_npz_spec(&spec).0)
    } else {
        path.to_path_buf()
    }
}

/// The array `file.npz:NAME` names, or the only array of `file.npz`.
fn read_npz_member(spec: &str) -> Result<DMatrix<f64>> {
    let (file, name) = split_npz_spec(spec);
    check_regular_file(Path::new(&file))?;
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
    if spec.to_ascii_lowercase().contains(".npz:") || extension(path) == "npz" {
        return read_npz_member(&spec);
    }
    check_regular_file(path)?;
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
            Err(DataError::NotARegularFile {
                kind: "directory",
                ..
            })
        ));
        // `.NPZ` and member names with `/` or `:` (np.savez keeps them as given).
        let npz = dir.join("A.NPZ");
        {
            let f = std::fs::File::create(&npz).unwrap();
            let mut z = zip::ZipWriter::new(f);
            for name in ["x.npy", "dir/y:z.npy"] {
                z.start_file(name, zip::write::FileOptions::default())
                    .unwrap();
                std::io::Write::write_all(&mut z, &encode_npy(&x)).unwrap();
            }
            z.finish().unwrap();
        }
        for member in ["x", "dir/y:z"] {
            let spec = dir.join(format!("A.NPZ:{member}"));
            assert_eq!(read_features(&spec).unwrap(), x, "{member}");
        }
        let e = read_features(&dir.join("A.NPZ:w")).unwrap_err().to_string();
        assert!(e.contains("no array \"w\""), "{e}");
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
