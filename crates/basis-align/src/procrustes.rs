//! Fits with fewer degrees of freedom than the full affine map: orthogonal
//! Procrustes (rotation/reflection + translation) and similarity (+ isotropic scale).
//!
//! Both return an [`AffineMap`] so that every alignment model is used the same way.
//! Reflections are allowed: sign flips of eigenvectors are one of the degrees of
//! freedom BASiS aligns away.

use crate::affine::{AffineFit, AffineFitParams, AffineMap, check_anchor_pairs, fit_affine};
use crate::error::{AlignError, Result};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Which family of maps the alignment fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AlignModel {
    /// Full affine `Aφ + b`, K(K+1) degrees of freedom (BASiS Eq. 13).
    #[default]
    Affine,
    /// `sQφ + b` with `Q` orthogonal and `s > 0`.
    Similarity,
    /// `Qφ + b` with `Q` orthogonal (orthogonal Procrustes).
    Orthogonal,
}

/// Fits `model` to the anchor pairs (`source`, `target` are `l × K`, rows paired).
pub fn fit_model(
    source: &DMatrix<f64>,
    target: &DMatrix<f64>,
    model: AlignModel,
    params: &AffineFitParams,
) -> Result<AffineFit> {
    match model {
        AlignModel::Affine => fit_affine(source, target, params),
        AlignModel::Similarity => fit_procrustes(source, target, params, true),
        AlignModel::Orthogonal => fit_procrustes(source, target, params, false),
    }
}

fn fit_procrustes(
    source: &DMatrix<f64>,
    target: &DMatrix<f64>,
    params: &AffineFitParams,
    with_scale: bool,
) -> Result<AffineFit> {
    params.check()?;
    let (_, k) = check_anchor_pairs(source, target)?;
    let mu_s: DVector<f64> = source.row_mean().transpose();
    let mu_t: DVector<f64> = target.row_mean().transpose();
    let mut xs = source.clone();
    let mut xt = target.clone();
    for mut r in xs.row_iter_mut() {
        r -= mu_s.transpose();
    }
    for mut r in xt.row_iter_mut() {
        r -= mu_t.transpose();
    }
    // The centred source must span all K directions for the orthogonal factor to be unique.
    let sv = crate::affine::qr_singular_values(xs.clone())?
        .1
        .singular_values;
    let (smax, smin) = (sv.max(), sv.min());
    let condition = if smin > 0.0 {
        smax / smin
    } else {
        f64::INFINITY
    };
    let rank = sv.iter().filter(|&&v| v > params.rcond * smax).count();
    if smax == 0.0 || rank < k {
        return Err(AlignError::RankDeficient {
            rank: rank + 1,
            needed: k + 1,
            condition,
        });
    }
    // Row-vector form: xt ≈ s · xs · R with R = U Vᵀ from the SVD of xsᵀ xt.
    let m = xs.transpose() * &xt;
    let svd = crate::affine::capped_svd(m, "the cross-covariance of the anchors")?;
    let (u, vt) = match (svd.u, svd.v_t) {
        (Some(u), Some(vt)) => (u, vt),
        _ => return Err(AlignError::InvalidParameter("SVD did not converge".into())),
    };
    let r = &u * &vt;
    let scale = if with_scale {
        svd.singular_values.sum() / xs.norm_squared()
    } else {
        1.0
    };
    // Column-vector form of the map: φ ↦ s Rᵀ φ + b.
    let linear = r.transpose() * scale;
    let translation = &mu_t - &linear * &mu_s;
    let map = AffineMap {
        linear,
        translation,
    };
    let residuals = map.residuals(source, target)?;
    Ok(AffineFit {
        map,
        residuals,
        condition,
    })
}
