//! The distortion of a latent map, differentiable and vectorised over the batch.
//!
//! With Y = f(X) (N × m) and the batch's Laplace–Beltrami estimate L (N × N, rows summing to
//! zero), `H̃_i = ½ [Σ_j L_ij y_j y_jᵀ − y_i (LY)_iᵀ − (LY)_i y_iᵀ]` (= ½ Σ_j L_ij (y_j − y_i)
//! (y_j − y_i)ᵀ), an estimate of the inverse pull-back metric at point i, and the distortion is
//! `mean_i Tr(H̃_i²) − 2 mean_i Tr(H̃_i)`: `Tr((H̃ − I)²) − m` averaged, smallest when
//! every H̃_i is the identity (a local isometry).
//!
//! All N matrices come from three tensor products (`L (Y ⊗ Y)`, `L Y`, an outer product):
//! no per-point loop around tensor ops.

use crate::error::{GgaeError, Result};
use tch::{Kind, Tensor};

/// Typed error unless `l` is N × N and `y` is N × m with m ≥ 1, both finite.
pub fn check_inputs(l: &Tensor, y: &Tensor) -> Result<()> {
    let (ls, ys) = (l.size(), y.size());
    if ls.len() != 2 || ys.len() != 2 || ls[0] != ls[1] || ls[0] != ys[0] {
        return Err(GgaeError::Shape(format!(
            "Laplacian {ls:?} for latents {ys:?}: need N × N and N × m"
        )));
    }
    if ys[0] == 0 || ys[1] == 0 {
        return Err(GgaeError::Shape(format!(
            "latents {ys:?}: need N ≥ 1, m ≥ 1"
        )));
    }
    for (name, t) in [("Laplacian", l), ("latents", y)] {
        if !bool::try_from(t.isfinite().all()).unwrap_or(false) {
            return Err(GgaeError::NonFinite(format!("{name} holds NaN or ∞")));
        }
    }
    Ok(())
}

/// `H̃` for the whole batch: N × m × m.
pub fn h_tilde(l: &Tensor, y: &Tensor) -> Tensor {
    let (n, m) = (y.size()[0], y.size()[1]);
    let yy = (y.unsqueeze(2) * y.unsqueeze(1)).reshape([n, m * m]);
    let first = l.matmul(&yy).reshape([n, m, m]);
    let ly = l.matmul(y);
    let cross = y.unsqueeze(2) * ly.unsqueeze(1);
    (first - &cross - cross.transpose(1, 2)) * 0.5
}

/// `mean_i Tr(H̃_i²) − 2 mean_i Tr(H̃_i)`, a scalar tensor (differentiable in `y`), after
/// [`check_inputs`].
pub fn distortion(l: &Tensor, y: &Tensor) -> Result<Tensor> {
    check_inputs(l, y)?;
    Ok(distortion_unchecked(l, y))
}

/// [`distortion`] without the input checks (the training loop checks its batches once).
pub fn distortion_unchecked(l: &Tensor, y: &Tensor) -> Tensor {
    let h = h_tilde(l, y);
    let tr = h.diagonal(0, 1, 2).sum_dim_intlist(1, false, h.kind());
    let tr_sq = (&h * h.transpose(1, 2)).sum_dim_intlist([1, 2].as_slice(), false, h.kind());
    (tr_sq - tr * 2.0).mean(Kind::Double).to_kind(y.kind())
}
