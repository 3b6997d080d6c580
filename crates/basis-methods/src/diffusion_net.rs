//! Diffusion Net (Mishne et al. 2019; the BASiS paper's Eq. 7), as in the paper's
//! comparison: one batch of m training points; its diffusion map is the target, and the
//! encoder is trained on that batch alone (the method needs the whole training set's embedding
//! in advance, so it cannot use mini-batches).

use crate::Result;
use crate::baselines::{BaselineSetup, Post, adam_step, batch_affinity};
use basis_nn::convert::matrix_to_tensor;
use basis_spectral::{DiffusionParams, diffusion_map};
use nalgebra::DMatrix;
use tch::{Kind, Tensor};

/// Diffusion Net's encoder loss (Eq. 7) on a batch:
/// `(1/2m) Σ_i ‖y_i − φ_i‖² + (μ/2) Σ_l ‖θ_l‖²_F + (η/2m) Σ_j ‖(P − γ_j I) o_j‖²`,
/// with `o_j` the j-th output column, `P` the batch's random-walk matrix and `γ_j` the
/// diffusion eigenvalues of the targets `φ`. `weights` are the layers' weight matrices.
pub fn diffusion_net_loss(
    y: &Tensor,
    target: &Tensor,
    p: &Tensor,
    gammas: &[f64],
    weights: &[Tensor],
    mu: f64,
    eta: f64,
) -> Tensor {
    let m = y.size()[0] as f64;
    let fit = (y - target).pow_tensor_scalar(2).sum(Kind::Float) / (2.0 * m);
    let decay = weights
        .iter()
        .map(|w| w.pow_tensor_scalar(2).sum(Kind::Float))
        .fold(Tensor::zeros([], (Kind::Float, y.device())), |a, b| a + b)
        * (mu / 2.0);
    let g = Tensor::from_slice(&gammas.iter().map(|&v| v as f32).collect::<Vec<_>>());
    // (P − γ_j I) o_j for every column j at once: P Y − Y diag(γ).
    let residual = p.matmul(y) - y * g;
    let eig = residual.pow_tensor_scalar(2).sum(Kind::Float) * (eta / (2.0 * m));
    fit + decay + eig
}

/// The diffusion map of one batch, then full-batch epochs on it.
pub(crate) fn train(s: &mut BaselineSetup, observer: &mut dyn FnMut(usize, f64)) -> Result<Post> {
    let c = s.config.clone();
    let rows = s.draw();
    let w = batch_affinity(&mut s.graphs, s.x, &rows)?;
    let dm = diffusion_map(
        &w,
        &DiffusionParams {
            k: c.k,
            t: c.diffusion_time,
            ..Default::default()
        },
    )?;
    let deg: Vec<f64> = w.row_iter().map(|r| r.sum()).collect();
    let p = DMatrix::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)] / deg[i]);
    let (pt, target) = (matrix_to_tensor(&p), matrix_to_tensor(&dm.coords));
    let gammas: Vec<f64> = dm.eigenvalues.iter().copied().collect();
    let xt = matrix_to_tensor(&s.z.select_rows(&rows));
    let weights: Vec<Tensor> =
        s.vs.variables()
            .into_iter()
            .filter(|(name, _)| name.ends_with(".weight"))
            .map(|(_, t)| t)
            .collect();
    for it in 0..c.iterations {
        let loss = diffusion_net_loss(
            &s.net.forward(&xt),
            &target,
            &pt,
            &gammas,
            &weights,
            c.mu,
            c.eta,
        );
        adam_step(&mut s.opt, &loss, it, observer, &mut s.losses)?;
    }
    Ok(Post::None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectralnet::tests::t;

    #[test]
    fn diffusion_net_loss_by_hand() {
        // m = 2, K = 1: y = (1, 2), φ = (0, 0) → fit = (1 + 4)/4 = 1.25.
        // One weight matrix [[3]]: decay = μ/2 · 9 with μ = 0.1 → 0.45.
        // P = [[0.5, 0.5], [0.5, 0.5]], γ = 1: P y − y = (1.5 − 1, 1.5 − 2) → ‖·‖² = 0.5;
        // η/(2m) · 0.5 with η = 2 → 0.25. Total 1.95.
        let y = t(2, 1, &[1.0, 2.0]);
        let target = t(2, 1, &[0.0, 0.0]);
        let p = t(2, 2, &[0.5, 0.5, 0.5, 0.5]);
        let weights = [t(1, 1, &[3.0])];
        let loss =
            diffusion_net_loss(&y, &target, &p, &[1.0], &weights, 0.1, 2.0).double_value(&[]);
        assert!((loss - 1.95).abs() < 1e-5, "{loss}");
    }
}
