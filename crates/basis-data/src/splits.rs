//! A labelled data set's two splits, loaded by name or from a directory, filtered by class
//! and checked before anything trains on them.

use crate::fashion_mnist::{FashionMnistConfig, Split, load_fashion_mnist};
use crate::npy::read_npy;
use crate::{DataError, LabeledData, Result};
use std::path::{Path, PathBuf};

/// Training and test sets, and the side of the images when they are square images.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Training points.
    pub train: LabeledData,
    /// Test points.
    pub test: LabeledData,
    /// Side of the square images, when the rows are images (IDX n×s×s, or a perfect square).
    pub image_side: Option<usize>,
}

fn find(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

fn npy_labels(path: &Path) -> Result<Vec<usize>> {
    let m = read_npy(path)?;
    crate::class_labels_from_matrix(&m, &path.display().to_string())
}

/// Loads `spec`: `fashion-mnist` (the Debian package's IDX files, or
/// `$BASIS_FASHION_MNIST_DIR`), or a directory of MNIST-style IDX files
/// (`train-images-idx3-ubyte[.gz]`, `train-labels-…`, `t10k-images-…`, `t10k-labels-…`) or of
/// `.npy` files (`train_x.npy`, `train_y.npy`, `test_x.npy`, `test_y.npy`).
pub fn load_dataset(spec: &str) -> Result<Dataset> {
    let idx_dir = |dir: Option<PathBuf>| -> Result<Dataset> {
        let c = FashionMnistConfig { dir, limit: None };
        let train = load_fashion_mnist(&c, Split::Train)?;
        let test = load_fashion_mnist(&c, Split::Test)?;
        let side = (train.dim() as f64).sqrt().round() as usize;
        Ok(Dataset {
            image_side: (side * side == train.dim()).then_some(side),
            train,
            test,
        })
    };
    if spec == "fashion-mnist" {
        return idx_dir(None);
    }
    let dir = PathBuf::from(spec);
    if !dir.is_dir() {
        return Err(DataError::MissingDataset {
            path: dir,
            hint: "give `fashion-mnist` or a directory of MNIST-style IDX files or of \
                   train_x.npy, train_y.npy, test_x.npy, test_y.npy"
                .into(),
        });
    }
    if find(
        &dir,
        &["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"],
    )
    .is_some()
    {
        return idx_dir(Some(dir));
    }
    let part = |name: &str| {
        find(&dir, &[name]).ok_or_else(|| DataError::MissingDataset {
            path: dir.join(name),
            hint: "a .npy data set needs train_x.npy, train_y.npy, test_x.npy, test_y.npy".into(),
        })
    };
    let train = LabeledData::new(
        read_npy(part("train_x.npy")?)?,
        npy_labels(&part("train_y.npy")?)?,
    )?;
    let test = LabeledData::new(
        read_npy(part("test_x.npy")?)?,
        npy_labels(&part("test_y.npy")?)?,
    )?;
    if train.dim() != test.dim() {
        return Err(DataError::ShapeMismatch(format!(
            "train has {} columns, test {}",
            train.dim(),
            test.dim()
        )));
    }
    let side = (train.dim() as f64).sqrt().round() as usize;
    Ok(Dataset {
        image_side: (side * side == train.dim() && side >= 16).then_some(side),
        train,
        test,
    })
}

/// Keeps the points of `classes` (renumbered 0.. in that order; all when empty), then the
/// first `limit` of them.
pub fn restrict(
    data: &LabeledData,
    classes: &[usize],
    limit: Option<usize>,
    split: &str,
) -> Result<LabeledData> {
    if limit == Some(0) {
        return Err(DataError::InvalidParameter(format!(
            "--limit-{split} 0 leaves no {split} points"
        )));
    }
    let mut rows: Vec<usize> = (0..data.len())
        .filter(|&i| classes.is_empty() || classes.contains(&data.labels[i]))
        .collect();
    if rows.is_empty() && !classes.is_empty() {
        let mut present = data.labels.clone();
        present.sort_unstable();
        present.dedup();
        return Err(DataError::InvalidParameter(format!(
            "--classes {classes:?} matches no {split} point (its classes are {present:?})"
        )));
    }
    if let Some(l) = limit {
        rows.truncate(l);
    }
    let mut out = data.select(&rows)?;
    if !classes.is_empty() {
        for y in &mut out.labels {
            *y = classes.iter().position(|c| c == y).unwrap_or(0);
        }
    }
    Ok(out)
}

/// Refuses, before any training, a test set whose points have another dimension than the
/// training set's, and a training set of fewer than two classes (nothing to cluster, no probe).
pub fn check_splits(train: &LabeledData, test: &LabeledData, dataset: &str) -> Result<()> {
    if train.dim() != test.dim() {
        return Err(DataError::ShapeMismatch(format!(
            "{dataset}: the training points have {} features but the test points {}",
            train.dim(),
            test.dim()
        )));
    }
    let mut classes = train.labels.clone();
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        return Err(DataError::InvalidParameter(format!(
            "{dataset}: the training set holds {} class{} ({classes:?}); BASiS's anchors, NMI, \
             ACC and the probe need at least two",
            classes.len(),
            if classes.len() == 1 { "" } else { "es" }
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::encode_npy;
    use nalgebra::DMatrix;

    #[test]
    fn restrict_renumbers_the_chosen_classes() {
        let d = LabeledData::new(
            DMatrix::from_fn(6, 1, |i, _| i as f64),
            vec![0, 3, 1, 3, 2, 1],
        )
        .unwrap();
        let r = restrict(&d, &[3, 1], None, "train").unwrap();
        assert_eq!(r.labels, vec![0, 1, 0, 1]);
        assert_eq!(r.features.column(0).as_slice(), &[1.0, 2.0, 3.0, 5.0]);
        assert_eq!(restrict(&d, &[], Some(2), "train").unwrap().len(), 2);
        let e = restrict(&d, &[], Some(0), "test").unwrap_err().to_string();
        assert!(e.contains("--limit-test 0"), "{e}");
        assert!(check_splits(&d, &restrict(&d, &[3], None, "test").unwrap(), "x").is_ok());
        let one = restrict(&d, &[3], None, "train").unwrap();
        let e = check_splits(&one, &d, "x").unwrap_err().to_string();
        assert!(e.contains("holds 1 class ([0])"), "{e}");
        let wide = LabeledData::new(DMatrix::zeros(6, 2), d.labels.clone()).unwrap();
        let e = check_splits(&d, &wide, "x").unwrap_err().to_string();
        assert!(e.contains("1 features but the test points 2"), "{e}");
        let e = restrict(&d, &[7], None, "train").unwrap_err().to_string();
        assert!(
            e.contains("--classes [7] matches no train point (its classes are [0, 1, 2, 3])"),
            "{e}"
        );
    }

    #[test]
    fn missing_or_incomplete_data_sets_are_typed_errors() {
        assert!(matches!(
            load_dataset("/nonexistent/data"),
            Err(DataError::MissingDataset { .. })
        ));
        let dir = std::env::temp_dir().join(format!("basis-npyset-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("train_x.npy"), encode_npy(&DMatrix::zeros(3, 2))).unwrap();
        assert!(matches!(
            load_dataset(dir.to_str().unwrap()),
            Err(DataError::MissingDataset { .. })
        ));
        std::fs::write(
            dir.join("train_y.npy"),
            encode_npy(&DMatrix::from_element(3, 1, 0.5)),
        )
        .unwrap();
        std::fs::write(dir.join("test_x.npy"), encode_npy(&DMatrix::zeros(2, 2))).unwrap();
        std::fs::write(dir.join("test_y.npy"), encode_npy(&DMatrix::zeros(2, 1))).unwrap();
        assert!(matches!(
            load_dataset(dir.to_str().unwrap()),
            Err(DataError::InvalidParameter(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
