//! RANSAC (Fischler & Bolles 1981) around the anchor fits: robust to anchors whose
//! batch coordinates are wrong (BASiS Sec. 4.2, "using best matches").
//!
//! Each iteration fits the model to a random subset of anchors and counts the
//! anchors whose residual `‖target_i − T(source_i)‖` is below the threshold. The
//! hypothesis with most inliers (ties: smallest inlier error) wins, and the model is
//! refitted on all its inliers. Deterministic under the caller's generator.

use crate::affine::{AffineFit, AffineFitParams};
use crate::error::{AlignError, Result};
use crate::procrustes::{AlignModel, fit_model};
use nalgebra::DMatrix;
use rand::Rng;
use rand::seq::index;
use serde::{Deserialize, Serialize};

/// RANSAC settings. The defaults are the official BASiS code's: 100 iterations,
/// samples of 20 anchors, inlier when the row error is below 0.1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RansacParams {
    /// Anchors per hypothesis; clamped to `[K + 1, l]` at fit time.
    pub sample_size: usize,
    /// Maximum hypotheses.
    pub iterations: usize,
    /// An anchor is an inlier when its residual is below this, in the units of the coordinates.
    pub inlier_threshold: f64,
    /// Stop early once this confidence of having drawn an all-inlier sample is reached (`None`: never).
    pub confidence: Option<f64>,
    /// Fewer inliers than `ceil(min_inlier_fraction · l)` (or than the sample size) is
    /// [`AlignError::NoConsensus`].
    pub min_inlier_fraction: f64,
}

impl Default for RansacParams {
    fn default() -> Self {
        Self {
            sample_size: 20,
            iterations: 100,
            inlier_threshold: 0.1,
            confidence: None,
            min_inlier_fraction: 0.5,
        }
    }
}

impl RansacParams {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        let bad = |s: String| Err(AlignError::InvalidParameter(s));
        if self.iterations == 0 {
            return bad("RANSAC needs at least one iteration".into());
        }
        if !(self.inlier_threshold.is_finite() && self.inlier_threshold > 0.0) {
            return bad(format!("inlier threshold must be finite and > 0, got {}", self.inlier_threshold));
        }
        if let Some(p) = self.confidence {
            if !(p > 0.0 && p < 1.0) {
                return bad(format!("confidence must be in (0, 1), got {p}"));
            }
        }
        if !(0.0..=1.0).contains(&self.min_inlier_fraction) {
            return bad(format!("min_inlier_fraction must be in [0, 1], got {}", self.min_inlier_fraction));
        }
        Ok(())
    }
}

/// A robust fit: the final map (refitted on the inliers) and which anchors agree with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustFit {
    /// The fit on all inliers; its residuals cover every anchor.
    pub fit: AffineFit,
    /// `inliers[i]`: anchor `i`'s residual under the final map is below the threshold.
    pub inliers: Vec<bool>,
    /// Hypotheses evaluated.
    pub iterations: usize,
}

impl RobustFit {
    /// Fraction of anchors that are inliers.
    pub fn inlier_fraction(&self) -> f64 {
        self.inliers.iter().filter(|&&b| b).count() as f64 / self.inliers.len().max(1) as f64
    }
}

fn residuals(fit: &AffineFit, source: &DMatrix<f64>, target: &DMatrix<f64>) -> Result<Vec<f64>> {
    let y = fit.map.apply(source)?;
    Ok((0..source.nrows()).map(|i| (target.row(i) - y.row(i)).norm()).collect())
}

/// Robust fit of `model` to the anchor pairs.
pub fn fit_ransac<R: Rng + ?Sized>(
    source: &DMatrix<f64>,
    target: &DMatrix<f64>,
    model: AlignModel,
    fit_params: &AffineFitParams,
    params: &RansacParams,
    rng: &mut R,
) -> Result<RobustFit> {
    params.check()?;
    fit_params.check()?;
    if source.shape() != target.shape() {
        return Err(AlignError::DimensionMismatch(format!(
            "source is {:?}, target is {:?}",
            source.shape(),
            target.shape()
        )));
    }
    let (l, k) = source.shape();
    crate::affine::check_finite(source, "source anchors")?;
    crate::affine::check_finite(target, "target anchors")?;
    if l < k + 1 {
        return Err(AlignError::TooFewAnchors {
            got: l,
            needed: k + 1,
            dim: k,
        });
    }
    let s = params.sample_size.clamp(k + 1, l);
    let needed = s.max((params.min_inlier_fraction * l as f64).ceil() as usize);
    let thr = params.inlier_threshold;

    let mut best: Option<(usize, f64, Vec<bool>)> = None;
    let mut last_error = None;
    let mut limit = params.iterations;
    let mut it = 0;
    while it < limit {
        it += 1;
        let pick = index::sample(rng, l, s).into_vec();
        let hyp = match fit_model(&source.select_rows(&pick), &target.select_rows(&pick), model, fit_params) {
            Ok(f) => f,
            Err(e @ AlignError::RankDeficient { .. }) => {
                last_error = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        let res = residuals(&hyp, source, target)?;
        let mask: Vec<bool> = res.iter().map(|&r| r < thr).collect();
        let count = mask.iter().filter(|&&b| b).count();
        let err: f64 = res.iter().zip(&mask).filter(|(_, m)| **m).map(|(r, _)| r * r).sum();
        let better = match &best {
            None => true,
            Some((c, e, _)) => count > *c || (count == *c && err < *e),
        };
        if better {
            best = Some((count, err, mask));
            if let Some(p) = params.confidence {
                let w = count as f64 / l as f64;
                let all_in = w.powi(s as i32);
                let needed_iters = if all_in >= 1.0 {
                    1.0
                } else if all_in <= 0.0 {
                    f64::INFINITY
                } else {
                    ((1.0 - p).ln() / (1.0 - all_in).ln()).ceil()
                };
                if needed_iters.is_finite() {
                    limit = limit.min((needed_iters as usize).max(it));
                }
            }
        }
    }
    let Some((count, _, mask)) = best else {
        return Err(last_error.unwrap_or(AlignError::NoConsensus {
            best_inliers: 0,
            anchors: l,
            needed,
        }));
    };
    if count < needed {
        return Err(AlignError::NoConsensus {
            best_inliers: count,
            anchors: l,
            needed,
        });
    }
    let rows: Vec<usize> = (0..l).filter(|&i| mask[i]).collect();
    let mut fit = fit_model(&source.select_rows(&rows), &target.select_rows(&rows), model, fit_params)?;
    fit.residuals = residuals(&fit, source, target)?;
    let inliers = fit.residuals.iter().map(|&r| r < thr).collect();
    Ok(RobustFit {
        fit,
        inliers,
        iterations: it,
    })
}
