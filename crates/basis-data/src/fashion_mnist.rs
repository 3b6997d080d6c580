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
    let labels = crate::dataset::class_labels(
        labels.values[..n].iter().copied(),
        &format!("{prefix}-labels-idx1-ubyte"),
    )?;
    LabeledData::new(features, labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::{IdxType, encode_idx};
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn write_gz(path: &Path, bytes: &[u8]) {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(bytes).unwrap();
        std::fs::write(path, enc.finish().unwrap()).unwrap();
    }

    /// A synthetic 3-image "Fashion-MNIST" directory: pixels i*10 + j % 7, labels 0, 1, 9.
    fn synthetic_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("basis-fmnist-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pixels: Vec<f64> = (0..3 * 784)
            .map(|p| ((p / 784) * 10 + (p % 784) % 7) as f64)
            .collect();
        for prefix in ["train", "t10k"] {
            write_gz(
                &dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
                &encode_idx(IdxType::U8, &[3, 28, 28], &pixels).unwrap(),
            );
            write_gz(
                &dir.join(format!("{prefix}-labels-idx1-ubyte.gz")),
                &encode_idx(IdxType::U8, &[3], &[0.0, 1.0, 9.0]).unwrap(),
            );
        }
        dir
    }

    #[test]
    fn loads_a_directory_given_in_the_config() {
        let dir = synthetic_dir("ok");
        let cfg = FashionMnistConfig {
            dir: Some(dir.clone()),
            limit: None,
        };
        let d = load_fashion_mnist(&cfg, Split::Test).unwrap();
        assert_eq!(d.features.shape(), (3, 784));
        assert_eq!(d.labels, vec![0, 1, 9]);
        assert_eq!(d.features[(1, 3)], 13.0 / 255.0);
        let limited = load_fashion_mnist(
            &FashionMnistConfig {
                dir: Some(dir.clone()),
                limit: Some(2),
            },
            Split::Train,
        )
        .unwrap();
        assert_eq!(limited.len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_or_inconsistent_files_are_typed_errors() {
        let empty = std::env::temp_dir().join(format!("basis-fmnist-none-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let cfg = FashionMnistConfig {
            dir: Some(empty.clone()),
            limit: None,
        };
        assert!(matches!(
            load_fashion_mnist(&cfg, Split::Train),
            Err(DataError::MissingDataset { .. })
        ));
        std::fs::remove_dir_all(&empty).unwrap();

        let dir = synthetic_dir("bad");
        write_gz(
            &dir.join("t10k-labels-idx1-ubyte.gz"),
            &encode_idx(IdxType::U8, &[2], &[0.0, 1.0]).unwrap(),
        );
        let cfg = FashionMnistConfig {
            dir: Some(dir.clone()),
            limit: None,
        };
        assert!(matches!(
            load_fashion_mnist(&cfg, Split::Test),
            Err(DataError::ShapeMismatch(_))
        ));
        // A truncated gzip stream is an error, not a panic.
        let full = std::fs::read(dir.join("train-images-idx3-ubyte.gz")).unwrap();
        std::fs::write(
            dir.join("train-images-idx3-ubyte.gz"),
            &full[..full.len() / 2],
        )
        .unwrap();
        assert!(load_fashion_mnist(&cfg, Split::Train).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The real data set, when Debian's package is installed (`cargo xtask setup` installs it).
    #[test]
    fn real_test_split_when_installed() {
        let cfg = FashionMnistConfig::default();
        if !cfg
            .resolved_dir()
            .join("t10k-labels-idx1-ubyte.gz")
            .is_file()
        {
            eprintln!(
                "skipped: Fashion-MNIST not installed at {}",
                cfg.resolved_dir().display()
            );
            return;
        }
        let d = load_fashion_mnist(&cfg, Split::Test).unwrap();
        assert_eq!(d.features.shape(), (10_000, 784));
        for c in 0..10 {
            assert_eq!(
                d.labels.iter().filter(|&&l| l == c).count(),
                1000,
                "class {c}"
            );
        }
        assert!(d.features.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(d.features.max() == 1.0);
    }
}
