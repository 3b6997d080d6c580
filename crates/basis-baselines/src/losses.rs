//! The baselines' losses on one batch (tensors, differentiable).
//!
//! `y` is the network's output (`m × K`), `w` the batch affinity (`m × m`, symmetric,
//! non-negative).

use tch::{Kind, Tensor};

/// Degrees `d_i = Σ_j W_ij` as a column `m × 1`.
fn degrees(w: &Tensor) -> Tensor {
    w.sum_dim_intlist(1, true, Kind::Float)
}

/// SpectralNet's ratio-cut loss (Eq. 8): `(1/m²) Σ_ij W_ij ‖y_i − y_j‖²`.
///
/// With `degree_normalized`, each output is divided by the square root of its node's degree
/// first (`‖y_i/√d_i − y_j/√d_j‖²`), the form whose minimisers are the eigenvectors of `L_N`.
pub fn spectralnet_loss(y: &Tensor, w: &Tensor, degree_normalized: bool) -> Tensor {
    let m = y.size()[0] as f64;
    let y = if degree_normalized {
        y / degrees(w).sqrt()
    } else {
        y.shallow_clone()
    };
    // Σ_ij W_ij ‖y_i − y_j‖² = 2 tr(Yᵀ D Y) − 2 tr(Yᵀ W Y).
    let d = degrees(w);
    let ydy = (&y * &y * &d).sum(Kind::Float);
    let ywy = (y.tr().matmul(&w.matmul(&y))).trace();
    (ydy - ywy) * (2.0 / (m * m))
}

/// SpecNet2's orthogonalisation-free loss (Eq. 9):
/// `(1/m²) tr(−2 YᵀWY + (1/m²) YᵀDY YᵀDY)`.
pub fn specnet2_loss(y: &Tensor, w: &Tensor) -> Tensor {
    let m = y.size()[0] as f64;
    let ywy = y.tr().matmul(&w.matmul(y));
    let ydy = y.tr().matmul(&(y * degrees(w)));
    let quartic = ydy.matmul(&ydy).trace() / (m * m);
    (ywy.trace() * -2.0 + quartic) / (m * m)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rows: usize, cols: usize, v: &[f32]) -> Tensor {
        Tensor::from_slice(v).view([rows as i64, cols as i64])
    }

    /// A path a – b – c with weights 1 and 2; outputs y = (0, 1, 3) in one dimension.
    fn path() -> (Tensor, Tensor) {
        let w = t(3, 3, &[0.0, 1.0, 0.0, 1.0, 0.0, 2.0, 0.0, 2.0, 0.0]);
        let y = t(3, 1, &[0.0, 1.0, 3.0]);
        (y, w)
    }

    #[test]
    fn spectralnet_loss_by_hand() {
        let (y, w) = path();
        // Σ_ij W_ij (y_i − y_j)² counts each edge twice: 2·(1·1² + 2·2²) = 18; / m² = 2.
        let plain = spectralnet_loss(&y, &w, false).double_value(&[]);
        assert!((plain - 2.0).abs() < 1e-6, "{plain}");
        // Degrees (1, 3, 2): z = (0, 1/√3, 3/√2); 2·(1·(1/√3)² + 2·(3/√2 − 1/√3)²) / 9.
        let z1 = 1.0 / 3f64.sqrt();
        let z2 = 3.0 / 2f64.sqrt();
        let want = 2.0 * (z1 * z1 + 2.0 * (z2 - z1).powi(2)) / 9.0;
        let normalized = spectralnet_loss(&y, &w, true).double_value(&[]);
        assert!((normalized - want).abs() < 1e-5, "{normalized} vs {want}");
    }

    #[test]
    fn specnet2_loss_by_hand() {
        let (y, w) = path();
        // YᵀWY = 2·(0·1·1 + 1·2·3) = 12; YᵀDY = 0·1 + 1·3 + 9·2 = 21.
        // (1/9)(−24 + 21²/9) = (−24 + 49)/9 = 25/9.
        let loss = specnet2_loss(&y, &w).double_value(&[]);
        assert!((loss - 25.0 / 9.0).abs() < 1e-5, "{loss}");
    }

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
