//! The aligners of BASiS Algorithms 1 and 2.

use crate::affine::{AffineFit, AffineFitParams, check_finite};
use crate::error::{AlignError, Result};
use crate::procrustes::{AlignModel, fit_model};
use crate::ransac::{RansacParams, fit_ransac};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How anchors are aligned: the model family, plain least squares or RANSAC, and a seed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlignConfig {
    /// Affine (Eq. 13), similarity or orthogonal.
    pub model: AlignModel,
    /// Least-squares settings.
    pub fit: AffineFitParams,
    /// `Some`: RANSAC with these settings; `None`: least squares on all anchors.
    pub ransac: Option<RansacParams>,
    /// Seed of RANSAC's sampling.
    pub seed: u64,
}

impl Default for AlignConfig {
    fn default() -> Self {
        Self {
            model: AlignModel::Affine,
            fit: AffineFitParams::default(),
            ransac: Some(RansacParams::default()),
            seed: 0,
        }
    }
}

impl AlignConfig {
    /// Least squares with the full affine model, no RANSAC.
    pub fn least_squares() -> Self {
        Self {
            ransac: None,
            ..Self::default()
        }
    }

    /// Validates the configuration.
    pub fn check(&self) -> Result<()> {
        self.fit.check()?;
        if let Some(r) = &self.ransac {
            r.check()?;
        }
        Ok(())
    }
}

/// A batch embedding after alignment, with the fit that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedBatch {
    /// Aligned coordinates of the whole batch (Eq. 14).
    pub coords: DMatrix<f64>,
    /// The fit on the anchors (residuals for every anchor).
    pub fit: AffineFit,
    /// Which anchors agree with the fit (all of them without RANSAC).
    pub inliers: Vec<bool>,
}

impl AlignedBatch {
    /// Fraction of anchors that are inliers.
    pub fn inlier_fraction(&self) -> f64 {
        self.inliers.iter().filter(|&&b| b).count() as f64 / self.inliers.len().max(1) as f64
    }
}

fn fit_anchors(
    source: &DMatrix<f64>,
    target: &DMatrix<f64>,
    config: &AlignConfig,
    rng: &mut ChaCha8Rng,
) -> Result<(AffineFit, Vec<bool>)> {
    match &config.ransac {
        Some(r) => {
            let robust = fit_ransac(source, target, config.model, &config.fit, r, rng)?;
            Ok((robust.fit, robust.inliers))
        }
        None => {
            let fit = fit_model(source, target, config.model, &config.fit)?;
            let n = fit.residuals.len();
            Ok((fit, vec![true; n]))
        }
    }
}

fn check_batch(
    batch: &DMatrix<f64>,
    reference: &DMatrix<f64>,
    anchor_rows: &[usize],
) -> Result<()> {
    if batch.ncols() != reference.ncols() {
        return Err(AlignError::DimensionMismatch(format!(
            "batch has {} columns, reference has {}",
            batch.ncols(),
            reference.ncols()
        )));
    }
    if anchor_rows.len() != reference.nrows() {
        return Err(AlignError::DimensionMismatch(format!(
            "{} anchor rows for {} reference anchors",
            anchor_rows.len(),
            reference.nrows()
        )));
    }
    if let Some(&bad) = anchor_rows.iter().find(|&&r| r >= batch.nrows()) {
        return Err(AlignError::DimensionMismatch(format!(
            "anchor row {bad} outside a batch of {}",
            batch.nrows()
        )));
    }
    check_finite(batch, "batch embedding")
}

fn new_reference(reference: &DMatrix<f64>, config: &AlignConfig) -> Result<()> {
    config.check()?;
    check_finite(reference, "reference anchors")?;
    let (l, k) = reference.shape();
    if l < k + 1 {
        return Err(AlignError::TooFewAnchors {
            got: l,
            needed: k + 1,
            dim: k,
        });
    }
    Ok(())
}

/// Algorithm 1's aligner: holds the reference anchor coordinates φ^{a,ref} (Eq. 11) and
/// maps every batch onto them (Eq. 13–14).
#[derive(Debug, Clone)]
pub struct BatchAligner {
    reference: DMatrix<f64>,
    config: AlignConfig,
    rng: ChaCha8Rng,
}

impl BatchAligner {
    /// Builds an aligner from the reference anchor coordinates (`l × K`).
    pub fn new(reference_anchors: DMatrix<f64>, config: AlignConfig) -> Result<Self> {
        new_reference(&reference_anchors, &config)?;
        Ok(Self {
            reference: reference_anchors,
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            config,
        })
    }

    /// The reference anchor coordinates.
    pub fn reference(&self) -> &DMatrix<f64> {
        &self.reference
    }

    /// The configuration.
    pub fn config(&self) -> &AlignConfig {
        &self.config
    }

    /// Aligns a batch embedding (`m × K`) whose anchors sit at `anchor_rows` (in reference order).
    ///
    /// With RANSAC, successive calls draw successive samples from the aligner's seeded generator.
    pub fn align(&mut self, batch: &DMatrix<f64>, anchor_rows: &[usize]) -> Result<AlignedBatch> {
        check_batch(batch, &self.reference, anchor_rows)?;
        let source = batch.select_rows(anchor_rows);
        let (fit, inliers) = fit_anchors(&source, &self.reference, &self.config, &mut self.rng)?;
        let coords = fit.map.apply(batch)?;
        Ok(AlignedBatch {
            coords,
            fit,
            inliers,
        })
    }
}

/// Algorithm 2's aligner (BASiS Sec. 4.3): when the features change, the embedding
/// computed on the new features is mapped by `T_G` so that the anchors land on their
/// previous coordinates; the aligned anchors then become the new "previous".
#[derive(Debug, Clone)]
pub struct FeatureChangeAligner {
    previous: DMatrix<f64>,
    config: AlignConfig,
    rng: ChaCha8Rng,
}

impl FeatureChangeAligner {
    /// Starts from the anchors' embedding under the current features (`l × K`).
    pub fn new(previous_anchors: DMatrix<f64>, config: AlignConfig) -> Result<Self> {
        new_reference(&previous_anchors, &config)?;
        Ok(Self {
            previous: previous_anchors,
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            config,
        })
    }

    /// The anchors' previous (aligned) coordinates φ^{a,prev}.
    pub fn previous(&self) -> &DMatrix<f64> {
        &self.previous
    }

    /// Algorithm 2, lines 3–6: aligns the embedding under the updated features
    /// (`n × K`, anchors at `anchor_rows`) to the previous anchor coordinates, and carries
    /// the aligned anchor coordinates forward as the new reference.
    pub fn update(
        &mut self,
        updated: &DMatrix<f64>,
        anchor_rows: &[usize],
    ) -> Result<AlignedBatch> {
        check_batch(updated, &self.previous, anchor_rows)?;
        let source = updated.select_rows(anchor_rows);
        let (fit, inliers) = fit_anchors(&source, &self.previous, &self.config, &mut self.rng)?;
        let coords = fit.map.apply(updated)?;
        self.previous = coords.select_rows(anchor_rows);
        Ok(AlignedBatch {
            coords,
            fit,
            inliers,
        })
    }
}
