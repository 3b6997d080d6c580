//! SpecNet2 (Chen et al. 2022; the BASiS paper's Eq. 9–10): Adam on the
//! orthogonalisation-free loss; afterwards the Rayleigh–Ritz rotation
//! ([`rayleigh_ritz::rayleigh_ritz`]) is computed from training batches only (accumulated
//! `YᵀWY`, `YᵀDY`) and stored.

pub mod rayleigh_ritz;

use crate::Result;
use crate::baselines::{BaselineSetup, Post, adam_step, batch_affinity};
use crate::spectralnet::degrees;
use basis_nn::convert::{matrix_to_tensor, tensor_to_matrix};
use nalgebra::{DMatrix, DVector};
use rayleigh_ritz::rayleigh_ritz;
use tch::Tensor;

/// SpecNet2's orthogonalisation-free loss (Eq. 9):
/// `(1/m²) tr(−2 YᵀWY + (1/m²) YᵀDY YᵀDY)`.
pub fn specnet2_loss(y: &Tensor, w: &Tensor) -> Tensor {
    let m = y.size()[0] as f64;
    let ywy = y.tr().matmul(&w.matmul(y));
    let ydy = y.tr().matmul(&(y * degrees(w)));
    let quartic = ydy.matmul(&ydy).trace() / (m * m);
    (ywy.trace() * -2.0 + quartic) / (m * m)
}

/// The training loop and the Rayleigh–Ritz rotation from training batches.
pub(crate) fn train(s: &mut BaselineSetup, observer: &mut dyn FnMut(usize, f64)) -> Result<Post> {
    let c = s.config.clone();
    s.train_batches(&mut |s, it, xt, wt| {
        let loss = specnet2_loss(&s.net.forward(&xt), &wt);
        adam_step(&mut s.opt, &loss, it, observer, &mut s.losses)
    })?;
    let _g = tch::no_grad_guard();
    // Rayleigh–Ritz from training batches only: Σ YᵀWY and Σ YᵀDY.
    let mut y_all = DMatrix::zeros(0, c.k);
    let mut wy_all = DMatrix::zeros(0, c.k);
    let mut d_all = Vec::new();
    for _ in 0..c.ritz_batches.max(1) {
        let rows = s.draw();
        let w = batch_affinity(&mut s.graphs, s.x, &rows)?;
        let y = tensor_to_matrix(&s.net.forward(&matrix_to_tensor(&s.z.select_rows(&rows))))?;
        let wy = &w * &y;
        d_all.extend(w.row_iter().map(|r| r.sum()));
        y_all = stack(&y_all, &y);
        wy_all = stack(&wy_all, &wy);
    }
    let r = rayleigh_ritz(&y_all, &wy_all, &DVector::from_vec(d_all))?;
    Ok(Post::Rotation(r.rotation))
}

fn stack(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    let mut out = DMatrix::zeros(a.nrows() + b.nrows(), b.ncols());
    out.rows_mut(0, a.nrows()).copy_from(a);
    out.rows_mut(a.nrows(), b.nrows()).copy_from(b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectralnet::tests::path;

    #[test]
    fn specnet2_loss_by_hand() {
        let (y, w) = path();
        // YᵀWY = 2·(0·1·1 + 1·2·3) = 12; YᵀDY = 0·1 + 1·3 + 9·2 = 21.
        // (1/9)(−24 + 21²/9) = (−24 + 49)/9 = 25/9.
        let loss = specnet2_loss(&y, &w).double_value(&[]);
        assert!((loss - 25.0 / 9.0).abs() < 1e-5, "{loss}");
    }
}
