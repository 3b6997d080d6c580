//! Model inputs of a reproduction: the data's own columns, or the Siamese CNN's outputs,
//! trained once per data set and configuration and cached on disk.

use crate::prepare::ExperimentConfig;
use crate::{ExperimentError, Result};
use basis_data::npy::{encode_npy, read_npy};
use basis_data::splits::Dataset;
use basis_nn::progress::progress_bar;
use basis_nn::siamese::{SiameseConfig, train_siamese};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// Model inputs for the training and test sets.
#[derive(Debug, Clone)]
pub struct Features {
    /// Training features, n × d.
    pub train: DMatrix<f64>,
    /// Test features.
    pub test: DMatrix<f64>,
    /// Seconds spent training the Siamese network (0 when loaded from the cache).
    pub train_seconds: f64,
}

#[derive(Serialize, Deserialize, PartialEq)]
struct FeatureCacheKey {
    dataset: String,
    classes: Vec<usize>,
    limit_train: Option<usize>,
    limit_test: Option<usize>,
    siamese: SiameseConfig,
}

/// Siamese features of both sets, trained once and cached in `dir` (`siamese/`,
/// `train_features.npy`, `test_features.npy`, `features.json`); reused when the cache was
/// made with the same data and Siamese configuration.
pub fn siamese_features(
    data: &Dataset,
    config: &ExperimentConfig,
    dir: &Path,
    progress: bool,
) -> Result<Features> {
    let key = FeatureCacheKey {
        dataset: config.dataset.clone(),
        classes: config.classes.clone(),
        limit_train: config.limit_train,
        limit_test: config.limit_test,
        siamese: config.siamese.clone(),
    };
    let key_path = dir.join("features.json");
    let (train_path, test_path) = (
        dir.join("train_features.npy"),
        dir.join("test_features.npy"),
    );
    let cached = std::fs::read_to_string(&key_path)
        .ok()
        .and_then(|t| serde_json::from_str::<FeatureCacheKey>(&t).ok())
        .is_some_and(|k| k == key);
    if cached {
        if let (Ok(train), Ok(test)) = (read_npy(&train_path), read_npy(&test_path)) {
            if train.nrows() == data.train.len() && test.nrows() == data.test.len() {
                return Ok(Features {
                    train,
                    test,
                    train_seconds: 0.0,
                });
            }
        }
    }
    let side = data.image_side.ok_or_else(|| {
        ExperimentError::InvalidConfig(format!(
            "Siamese features need square images; rows have {} columns (use raw features)",
            data.train.dim()
        ))
    })?;
    let siamese = SiameseConfig {
        image_side: side,
        ..config.siamese.clone()
    };
    let bar = progress_bar(siamese.steps, progress, "Siamese");
    let t = Instant::now();
    let (net, _) = train_siamese(
        &data.train.features,
        &data.train.labels,
        &siamese,
        &mut |log| {
            bar.inc(1);
            if log.step % 50 == 0 {
                bar.set_message(format!("contrastive loss {:.4}", log.loss));
            }
        },
    )?;
    bar.finish_and_clear();
    let train_seconds = t.elapsed().as_secs_f64();
    net.save(dir.join("siamese"))?;
    let features = Features {
        train: net.features(&data.train.features)?,
        test: net.features(&data.test.features)?,
        train_seconds,
    };
    basis_data::io::write_atomic(&train_path, &encode_npy(&features.train))?;
    basis_data::io::write_atomic(&test_path, &encode_npy(&features.test))?;
    basis_data::io::write_atomic(&key_path, serde_json::to_string_pretty(&key)?.as_bytes())?;
    Ok(features)
}
