//! SpectralNet (Shaham et al. 2018; the BASiS paper's Eq. 8): each iteration draws a batch,
//! orthonormalises the network's outputs on it (`Y = √m Q`, QR differentiated through, as
//! SpectralNet's layer in training mode) and takes an Adam step on the degree-normalised
//! ratio-cut loss. A batch whose outputs lost rank is skipped (counted), never a crash. For
//! inference the layer's weights `√m R⁻¹` ([`orthonorm::OrthonormLayer`]) are fitted on a final
//! training batch and stored. (Treating the weights as constants instead — no gradient through
//! the QR — left the network at NMI 0.51 on three blobs after 300 steps; with it, 1.0.)

pub mod orthonorm;

use crate::Result;
use crate::baselines::{BaselineSetup, Post, adam_step};
use basis_nn::convert::{matrix_to_tensor, tensor_to_matrix};
use orthonorm::{DEFAULT_RCOND, OrthonormLayer};
use tch::{Kind, Tensor};

/// Degrees `d_i = Σ_j W_ij` as a column `m × 1`.
pub(crate) fn degrees(w: &Tensor) -> Tensor {
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

/// The training loop and the fitted orthonormalisation layer.
pub(crate) fn train(s: &mut BaselineSetup, observer: &mut dyn FnMut(usize, f64)) -> Result<Post> {
    let c = s.config.clone();
    s.train_batches(&mut |s, it, xt, wt| {
        // The orthonormalisation of this batch's outputs, differentiated through
        // (SpectralNet's layer in training mode): Y = √m Q with Y_raw = QR. The
        // rank is checked first, so a collapsed output skips the batch instead of
        // differentiating a singular factorisation.
        let out = s.net.forward(&xt);
        let y_raw = tensor_to_matrix(&out.detach())?;
        if let Err(e) = OrthonormLayer::fit(&y_raw, DEFAULT_RCOND) {
            return s.skip(it, e.to_string());
        }
        let (q, _) = Tensor::linalg_qr(&out, "reduced");
        let y = q * (c.batch_size as f64).sqrt();
        let loss = spectralnet_loss(&y, &wt, s.normalized);
        adam_step(&mut s.opt, &loss, it, observer, &mut s.losses)
    })?;
    let _g = tch::no_grad_guard();
    let rows = s.draw();
    let y = tensor_to_matrix(&s.net.forward(&matrix_to_tensor(&s.z.select_rows(&rows))))?;
    Ok(Post::Orthonorm(OrthonormLayer::fit(&y, DEFAULT_RCOND)?))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn t(rows: usize, cols: usize, v: &[f32]) -> Tensor {
        Tensor::from_slice(v).view([rows as i64, cols as i64])
    }

    /// A path a – b – c with weights 1 and 2; outputs y = (0, 1, 3) in one dimension.
    pub(crate) fn path() -> (Tensor, Tensor) {
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
}
