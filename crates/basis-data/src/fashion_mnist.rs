//! Fashion-MNIST (Xiao et al. 2017) from IDX files.
//!
//! The default directory is where Debian's `dataset-fashion-mnist` package puts
//! the files. The environment variable [`FASHION_MNIST_DIR_ENV`] or
//! [`FashionMnistConfig::dir`] overrides it.

use crate::dataset::LabeledData;
use crate::error::{DataError, Result};
use crate::idx::read_idx;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where Debian's `dataset-fashion-mnist` installs the gzipped IDX files.
pub const DEBIAN_FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Environment variable overriding the Fashion-MNIST directory.
pub const FASHION_MNIST_DIR_ENV: &str = "BASIS_FASHION_MNIST_DIR";

/// The ten Fashion-MNIST class names, in label order.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Which part of the data set to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Split {
    /// The 60,000 training images.
    Train,
    /// The 10,000 test images.
    Test,
}

/// Serializable loader configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FashionMnistConfig {
    /// Directory holding the four IDX files; `None` uses the environment variable, then the Debian path.
    pub dir: Option<PathBuf>,
    /// Keep only the first `limit` images of the split (`None` keeps all).
    pub limit: Option<usize>,
}

impl FashionMnistConfig {
    /// The directory that will be read, after applying the override rules.
    pub fn resolved_dir(&self) -> PathBuf {
        if let Some(d) = &self.dir {
            return d.clone();
        }
        match std::env::var_os(FASHION_MNIST_DIR_ENV) {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => PathBuf::from(DEBIAN_FASHION_MNIST_DIR),
        }
    }
}

fn find_file(dir: &Path, stem: &str) -> Result<PathBuf> {
    for name in [format!("{stem}.gz"), stem.to_string()] {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(DataError::MissingDataset {
        path: dir.join(format!("{stem}.gz")),
        hint: format!(
            "install Debian's package with `apt-get install dataset-fashion-mnist` (or run `cargo xtask setup`), \
             or point {FASHION_MNIST_DIR_ENV} at a directory holding the IDX files"
        ),
    })
}

/// Loads one split: pixels scaled to `[0, 1]`, one 784-dimensional row per image.
pub fn load_fashion_mnist(config: &FashionMnistConfig, split: Split) -> Result<LabeledData> {
    let dir = config.resolved_dir();
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let images = read_idx(find_file(&dir, &format!("{prefix}-images-idx3-ubyte"))?)?;
    let labels = read_idx(find_file(&dir, &format!("{prefix}-labels-idx1-ubyte"))?)?;
    if images.dims.len() != 3 || labels.dims.len() != 1 {
        return Err(DataError::ShapeMismatch(format!(
            "expected images n×28×28 and labels n, found {:?} and {:?}",
            images.dims, labels.dims
        )));
    }
    if images.len() != labels.len() {
        return Err(DataError::ShapeMismatch(format!(
            "{} images but {} labels",
            images.len(),
            labels.len()
        )));
    }
    let n = config.limit.map_or(images.len(), |l| l.min(images.len()));
    let d = images.item_size();
    let features = DMatrix::from_fn(n, d, |i, j| images.values[i * d + j] / 255.0);
    let labels = labels.values[..n].iter().map(|&v| v as usize).collect();
    LabeledData::new(features, labels)
}
