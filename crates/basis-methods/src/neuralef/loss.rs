//! The two objectives on a batch, as differentiable tensors, and the output normalisations
//! they are applied to.
//!
//! Notation: `ψ` is the batch's B × K normalised outputs, `M` the B × B kernel matrix of the
//! batch ([`super::KernelSpec`]), `R = ψᵀ M ψ / B`.

use tch::{Kind, Tensor};

/// The value of an objective (for logs) and the tensor to back-propagate.
#[derive(Debug)]
pub struct BatchLoss {
    /// The tensor whose gradient is the objective's (for NeuralEF a surrogate: its value
    /// is not the objective, its gradient is).
    pub surrogate: Tensor,
    /// The objective's value on this batch (lower is better).
    pub value: f64,
    /// `diag(R)`, the batch's Rayleigh quotients, K values.
    pub rayleigh: Vec<f64>,
}

/// `R = ψᵀ M ψ / B` without gradient.
fn rayleigh_matrix(psi: &Tensor, m_psi: &Tensor) -> Tensor {
    let b = psi.size()[0] as f64;
    psi.detach().tr().matmul(m_psi) / b
}

fn diagonal(r: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(r.diagonal(0, 0, 1).to_kind(Kind::Double)).unwrap_or_default()
}

/// NeuralEF's objective. With `M ψ` computed without gradient, the ascent direction of column
/// j is `g_j = Mψ_j − Σ_{i<j} (R_ij / R_ii) Mψ_i`, the gradient (up to 2/B) of
/// `R_jj − Σ_{i<j} R_ij² / R_ii` with every earlier `ψ_i` held fixed. The surrogate
/// `−(2 / (B K)) Σ_j ψ_j · sg(g_j)` has exactly that gradient (divided by K); its gradient
/// flows on through the normalisation that produced `ψ`. The value reported is
/// `−(1/K) Σ_j (R_jj − Σ_{i<j} R_ij² / R_ii)`.
///
/// `R_ii` is clamped below at `1e-12 · max_i |R_ii|` (and 1e-30), so a column with no
/// positive Rayleigh quotient yet does not divide by zero.
pub fn neuralef_loss(psi: &Tensor, m: &Tensor) -> BatchLoss {
    let (b, k) = (psi.size()[0] as f64, psi.size()[1]);
    let m_psi = m.matmul(&psi.detach());
    let r = rayleigh_matrix(psi, &m_psi);
    let diag = r.diagonal(0, 0, 1);
    let floor = (diag.abs().max().double_value(&[]) * 1e-12).max(1e-30);
    let denom = diag.clamp_min(floor);
    // C_ij = R_ij / R_ii for i < j, 0 elsewhere; g = Mψ − Mψ C.
    let c = (&r / denom.unsqueeze(1)).triu(1);
    let g = &m_psi - m_psi.matmul(&c);
    let surrogate = (psi * g.detach()).sum(Kind::Float) * (-2.0 / (b * k as f64));
    let objective = diag.sum(Kind::Float) - (&r * &r / denom.unsqueeze(1)).triu(1).sum(Kind::Float);
    BatchLoss {
        surrogate,
        value: -objective.double_value(&[]) / k as f64,
        rayleigh: diagonal(&r),
    }
}

/// Neural Eigenmaps' objective `−(1/K) tr(R) + α (1/K) Σ_{i<j} R̂_ij²` with
/// `R̂ = sg(ψ)ᵀ M ψ / B` when `stop_gradient` (the method), `R̂ = R` otherwise (the
/// ablation). With the stop-gradient the penalty on pair (i, j), i < j, moves only the later
/// column `ψ_j`, so each eigenfunction is pushed away from the earlier ones only.
pub fn neural_eigenmaps_loss(
    psi: &Tensor,
    m: &Tensor,
    alpha: f64,
    stop_gradient: bool,
) -> BatchLoss {
    let (b, k) = (psi.size()[0] as f64, psi.size()[1] as f64);
    let m_psi = m.matmul(psi);
    let r = psi.tr().matmul(&m_psi) / b;
    let r_hat = if stop_gradient {
        psi.detach().tr().matmul(&m_psi) / b
    } else {
        r.shallow_clone()
    };
    let penalty = (&r_hat * &r_hat).triu(1).sum(Kind::Float);
    let loss = r.trace() * (-1.0 / k) + penalty * (alpha / k);
    let value = loss.double_value(&[]);
    BatchLoss {
        surrogate: loss,
        value,
        rayleigh: diagonal(&r.detach()),
    }
}

/// NeuralEF's batch normalisation: each column divided by its RMS over the batch,
/// `ψ_j ← ψ_j / (‖ψ_j‖ / √B)`, differentiably. Returns the normalised outputs and the
/// RMS values (for the running estimate used at inference). A column of zeros stays zero.
pub fn batch_rms_normalize(raw: &Tensor) -> (Tensor, Vec<f64>) {
    let b = raw.size()[0] as f64;
    let rms = (raw * raw).sum_dim_intlist(0, true, Kind::Float).sqrt() / b.sqrt();
    let out = raw / rms.clamp_min(1e-12);
    (out, to_vec(&rms))
}

/// The segmenter's normalisation of the soft assignments `p` (B × K): each column divided
/// by `max(‖p_j‖, 1)`, then scaled to unit RMS convention `× √B` so that `R = ψᵀMψ/B` equals
/// the reference's `p̂ᵀ M p̂`. Returns the normalised outputs and the columns' RMS `‖p_j‖/√B`.
pub fn column_unit_normalize(p: &Tensor) -> (Tensor, Vec<f64>) {
    let b = p.size()[0] as f64;
    let norm = (p * p).sum_dim_intlist(0, true, Kind::Float).sqrt();
    let out = p / norm.clamp_min(1.0) * b.sqrt();
    (out, to_vec(&(norm / b.sqrt())))
}

/// Soft Gumbel-softmax of `logits` (B × K) at temperature `tau`:
/// `softmax((logits + g) / τ)` with `g = −log(−log u)`, `u` the given uniforms (B × K, in (0, 1)),
/// or a plain tempered softmax when `uniforms` is `None`.
pub fn gumbel_softmax(logits: &Tensor, tau: f64, uniforms: Option<&Tensor>) -> Tensor {
    let noisy = match uniforms {
        Some(u) => {
            let u = u.clamp(1e-10, 1.0 - 1e-7);
            logits - (-(u.log())).log()
        }
        None => logits.shallow_clone(),
    };
    (noisy / tau).softmax(1, Kind::Float)
}

fn to_vec(t: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(t.detach().to_kind(Kind::Double).flatten(0, -1)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4-point batch: the path 0–1–2–3 with unit weights as `M`, two columns.
    fn batch() -> (Tensor, Tensor) {
        let psi = Tensor::from_slice(&[1.0f32, 1.0, 1.0, -1.0, 1.0, 0.0, 1.0, 2.0]).view([4, 2]);
        let m = Tensor::from_slice(&[
            0.0f32, 1.0, 0.0, 0.0, //
            1.0, 0.0, 1.0, 0.0, //
            0.0, 1.0, 0.0, 1.0, //
            0.0, 0.0, 1.0, 0.0,
        ])
        .view([4, 4]);
        (psi, m)
    }

    fn grad_of(psi: &Tensor, f: impl Fn(&Tensor) -> Tensor) -> Vec<f32> {
        let p = psi.detach().set_requires_grad(true);
        f(&p).backward();
        Vec::<f32>::try_from(p.grad().flatten(0, -1)).unwrap()
    }

    // By hand: ψ₁ = (1, 1, 1, 1), ψ₂ = (1, −1, 0, 2). Mψ₁ = (1, 2, 2, 1), Mψ₂ = (−1, 1, 1, 0).
    // ψᵀMψ = [[6, 1], [1, −2]], so with B = 4: R = [[1.5, 0.25], [0.25, −0.5]].

    #[test]
    fn neuralef_value_and_gradient_by_hand() {
        let (psi, m) = batch();
        let l = neuralef_loss(&psi, &m);
        // −(1/2)(R₁₁ + R₂₂ − R₁₂²/R₁₁) = −(1/2)(1.5 − 0.5 − 0.0625/1.5) = −0.479166…
        assert!(
            (l.value + 0.5 * (1.0 - 0.0625 / 1.5)).abs() < 1e-6,
            "{}",
            l.value
        );
        assert!((l.rayleigh[0] - 1.5).abs() < 1e-6 && (l.rayleigh[1] + 0.5).abs() < 1e-6);
        // ∂/∂ψ₁ = −(2/(BK)) Mψ₁ = −(1/4)(1, 2, 2, 1);
        // ∂/∂ψ₂ = −(1/4)(Mψ₂ − (R₁₂/R₁₁) Mψ₁) = −(1/4)((−1, 1, 1, 0) − (1/6)(1, 2, 2, 1)).
        let g = grad_of(&psi, |p| neuralef_loss(p, &m).surrogate);
        let c = 1.0 / 6.0;
        let want = [
            -0.25,
            -0.25 * (-1.0 - c),
            -0.5,
            -0.25 * (1.0 - 2.0 * c),
            -0.5,
            -0.25 * (1.0 - 2.0 * c),
            -0.25,
            -0.25 * (0.0 - c),
        ];
        for (a, b) in g.iter().zip(want) {
            assert!((*a as f64 - b).abs() < 1e-6, "{g:?} vs {want:?}");
        }
    }

    #[test]
    fn neural_eigenmaps_value_and_gradient_by_hand() {
        let (psi, m) = batch();
        let alpha = 2.0;
        let l = neural_eigenmaps_loss(&psi, &m, alpha, true);
        // −(1/2)(1.5 − 0.5) + (2/2)(0.25²) = −0.5 + 0.0625.
        assert!((l.value + 0.4375).abs() < 1e-6, "{}", l.value);
        // ∂/∂ψ₁ = −(1/K)(2/B) Mψ₁ = −(1/4)(1, 2, 2, 1) (the penalty does not reach ψ₁);
        // ∂/∂ψ₂ = −(1/4) Mψ₂ + (α/K) 2 R̂₁₂ Mψ₁ / B = −(1/4)Mψ₂ + (1/8)(1, 2, 2, 1).
        let g = grad_of(&psi, |p| {
            neural_eigenmaps_loss(p, &m, alpha, true).surrogate
        });
        let want = [
            -0.25,
            0.25 + 0.125,
            -0.5,
            -0.25 + 0.25,
            -0.5,
            -0.25 + 0.25,
            -0.25,
            0.125,
        ];
        for (a, b) in g.iter().zip(want) {
            assert!((*a as f64 - b).abs() < 1e-6, "{g:?} vs {want:?}");
        }
        // Without the stop-gradient the penalty also pushes ψ₁: 2 R₁₂ Mψ₂ / B · α/K.
        let g = grad_of(&psi, |p| {
            neural_eigenmaps_loss(p, &m, alpha, false).surrogate
        });
        assert!((g[0] as f64 - (-0.25 - 0.125)).abs() < 1e-6, "{g:?}");
    }

    #[test]
    fn the_first_eigenfunction_does_not_see_the_second() {
        // Stop-gradient structure: ∂loss/∂ψ₁ is the same whatever ψ₂ is.
        let (psi, m) = batch();
        let other = psi.copy();
        other
            .narrow(1, 1, 1)
            .copy_(&Tensor::from_slice(&[3.0f32, -2.0, 0.5, 1.0]).view([4, 1]));
        for loss in [
            &(|p: &Tensor| neuralef_loss(p, &m).surrogate) as &dyn Fn(&Tensor) -> Tensor,
            &|p: &Tensor| neural_eigenmaps_loss(p, &m, 2.0, true).surrogate,
        ] {
            let a = grad_of(&psi, loss);
            let b = grad_of(&other, loss);
            // Column 0 of a row-major 4 × 2 gradient: entries 0, 2, 4, 6.
            for i in [0, 2, 4, 6] {
                assert!((a[i] - b[i]).abs() < 1e-6, "{a:?} vs {b:?}");
            }
            assert!((1..8).step_by(2).any(|i| (a[i] - b[i]).abs() > 1e-3));
        }
        // ... and without the stop-gradient it does.
        let f = |p: &Tensor| neural_eigenmaps_loss(p, &m, 2.0, false).surrogate;
        let (a, b) = (grad_of(&psi, f), grad_of(&other, f));
        assert!([0, 2, 4, 6].iter().any(|&i| (a[i] - b[i]).abs() > 1e-3));
    }

    #[test]
    fn normalisations_by_hand() {
        let raw = Tensor::from_slice(&[3.0f32, 0.0, 4.0, 0.0]).view([2, 2]);
        let (out, rms) = batch_rms_normalize(&raw);
        // Column 1: (3, 4), RMS 5/√2; column 2 stays zero.
        assert!((rms[0] - 5.0 / 2f64.sqrt()).abs() < 1e-6 && rms[1] == 0.0);
        let v = Vec::<f32>::try_from(out.flatten(0, -1)).unwrap();
        assert!((v[0] as f64 - 3.0 * 2f64.sqrt() / 5.0).abs() < 1e-6 && v[1] == 0.0);
        let p = Tensor::from_slice(&[0.3f32, 0.6, 0.4, 0.8]).view([2, 2]);
        let (out, _) = column_unit_normalize(&p);
        // Column 1 has norm 0.5 < 1: only × √2; column 2 has norm 1.
        let v = Vec::<f32>::try_from(out.flatten(0, -1)).unwrap();
        let s = 2f64.sqrt();
        for (a, b) in v.iter().zip([0.3 * s, 0.6 * s, 0.4 * s, 0.8 * s]) {
            assert!((*a as f64 - b).abs() < 1e-6);
        }
    }

    #[test]
    fn gumbel_softmax_rows_sum_to_one_and_noise_shifts_them() {
        let logits = Tensor::from_slice(&[0.0f32, 1.0, 2.0, -1.0]).view([2, 2]);
        let plain = gumbel_softmax(&logits, 0.5, None);
        let row: Vec<f32> = Vec::try_from(plain.sum_dim_intlist(1, false, Kind::Float)).unwrap();
        assert!(row.iter().all(|s| (s - 1.0).abs() < 1e-6));
        // softmax((0, 1)/0.5) = (1, e²)/(1 + e²).
        let v: Vec<f32> = Vec::try_from(plain.flatten(0, -1)).unwrap();
        let e2 = 2f64.exp();
        assert!((v[1] as f64 - e2 / (1.0 + e2)).abs() < 1e-6);
        // u = e^{-1} gives g = 0; u = e^{-e^{-1}} gives g = 1.
        let u = Tensor::from_slice(&[
            (-1.0f64).exp() as f32,
            (-(-1.0f64).exp()).exp() as f32,
            (-1.0f64).exp() as f32,
            (-1.0f64).exp() as f32,
        ])
        .view([2, 2]);
        let noisy: Vec<f32> =
            Vec::try_from(gumbel_softmax(&logits, 0.5, Some(&u)).flatten(0, -1)).unwrap();
        // Row 1 logits become (0, 2): softmax((0, 4)).
        let e4 = 4f64.exp();
        assert!(
            (noisy[1] as f64 - e4 / (1.0 + e4)).abs() < 1e-5,
            "{noisy:?}"
        );
    }
}
