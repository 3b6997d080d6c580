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
///
/// Serialisable with its RANSAC generator's state, so a checkpoint resumes it exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affine::AffineMap;
    use nalgebra::DVector;

    fn embedding(n: usize, k: usize) -> DMatrix<f64> {
        DMatrix::from_fn(n, k, |i, j| ((i * (j + 3)) as f64 * 0.731 + j as f64).sin())
    }

    fn rotation(theta: f64) -> DMatrix<f64> {
        DMatrix::from_row_slice(2, 2, &[theta.cos(), -theta.sin(), theta.sin(), theta.cos()])
    }

    #[test]
    fn feature_change_aligner_carries_the_reference_forward() {
        // The "true" embedding, seen under three feature updates as different affine images.
        let truth = embedding(40, 2);
        let rows: Vec<usize> = (0..8).collect();
        let mut t_g =
            FeatureChangeAligner::new(truth.select_rows(&rows), AlignConfig::least_squares())
                .unwrap();
        let distortions = [
            AffineMap {
                linear: rotation(0.7) * 1.3,
                translation: DVector::from_vec(vec![0.2, -0.1]),
            },
            AffineMap {
                linear: DMatrix::from_diagonal(&DVector::from_vec(vec![-1.0, 1.0])),
                translation: DVector::zeros(2),
            },
            AffineMap {
                linear: rotation(-2.0) * 0.8,
                translation: DVector::from_vec(vec![-0.5, 0.4]),
            },
        ];
        for d in &distortions {
            let updated = d.apply(&truth).unwrap();
            let out = t_g.update(&updated, &rows).unwrap();
            // Clean data: every update is mapped back onto the original embedding...
            assert!((&out.coords - &truth).norm() <= 1e-10 * truth.norm());
            // ...and the carried reference is the aligned anchors.
            assert_eq!(t_g.previous(), &out.coords.select_rows(&rows));
        }
    }

    #[test]
    fn feature_change_aligner_follows_a_slowly_drifting_embedding() {
        // Each update drifts a little from the previous one (not from the start): aligning to the
        // previous anchors keeps the coordinates continuous, which is what Algorithm 2 is for.
        let mut current = embedding(30, 2);
        let rows: Vec<usize> = (0..10).collect();
        let mut t_g =
            FeatureChangeAligner::new(current.select_rows(&rows), AlignConfig::least_squares())
                .unwrap();
        for step in 1..=5 {
            let drift = DMatrix::from_fn(30, 2, |i, j| 0.01 * ((i + 7 * j + step) as f64).cos());
            let next = &current + drift;
            let flipped = AffineMap {
                linear: rotation(step as f64) * -1.0,
                translation: DVector::zeros(2),
            }
            .apply(&next)
            .unwrap();
            let out = t_g.update(&flipped, &rows).unwrap();
            assert!(
                (&out.coords - &next).norm() < 0.05 * next.norm(),
                "step {step}"
            );
            current = out.coords;
        }
    }

    #[test]
    fn mismatched_inputs_are_typed_errors() {
        let reference = embedding(5, 2);
        let mut a = BatchAligner::new(reference.clone(), AlignConfig::least_squares()).unwrap();
        assert!(matches!(
            a.align(&embedding(10, 3), &[0, 1, 2, 3, 4]),
            Err(AlignError::DimensionMismatch(_))
        ));
        assert!(matches!(
            a.align(&embedding(10, 2), &[0, 1, 2]),
            Err(AlignError::DimensionMismatch(_))
        ));
        assert!(matches!(
            a.align(&embedding(10, 2), &[0, 1, 2, 3, 40]),
            Err(AlignError::DimensionMismatch(_))
        ));
        let mut bad = embedding(10, 2);
        bad[(7, 1)] = f64::NAN;
        assert!(matches!(
            a.align(&bad, &[0, 1, 2, 3, 4]),
            Err(AlignError::NonFinite(_))
        ));
        assert!(matches!(
            BatchAligner::new(embedding(2, 2), AlignConfig::least_squares()),
            Err(AlignError::TooFewAnchors {
                got: 2,
                needed: 3,
                dim: 2
            })
        ));
        let bad_ransac = AlignConfig {
            ransac: Some(RansacParams {
                iterations: 0,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(matches!(
            FeatureChangeAligner::new(reference, bad_ransac),
            Err(AlignError::InvalidParameter(_))
        ));
    }
}
