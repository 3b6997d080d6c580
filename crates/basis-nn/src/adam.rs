//! Adam (Kingma & Ba, 2015) with its state exposed, so a checkpoint can hold it.
//!
//! libtorch's own optimizers keep their moments out of reach of `tch`, so a resumed
//! run would restart them from zero. This one keeps the first and second moments as
//! named tensors beside the weights, which makes resuming exact. The update is the
//! one of `torch.optim.Adam` with its defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, no
//! weight decay): `θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)`.
//!
//! For contiguous `f32` CPU tensors (every network of the toolkit) the update is one
//! pass over the weight, its gradient and both moments, written here ([`fused_update`])
//! instead of a dozen libtorch element-wise calls with their temporaries: on the BASiS
//! network (530k weights) 2.0–3.0 → 0.6 ms per step (`docs/benchmarks.md`). It runs on
//! the calling thread: handing it to a second pool while libtorch's OpenMP threads
//! still spin after the backward pass made it slower, not faster.

use crate::error::{NnError, Result};
use std::collections::BTreeMap;
use tch::{Kind, Tensor, nn};

/// Adam's hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamParams {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// Added to the denominator.
    pub eps: f64,
}

impl AdamParams {
    /// PyTorch's defaults with the given step size.
    pub fn with_learning_rate(learning_rate: f64) -> Self {
        Self {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// Validates the values.
    pub fn check(&self) -> Result<()> {
        let ok = self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && (0.0..1.0).contains(&self.beta1)
            && (0.0..1.0).contains(&self.beta2)
            && self.eps.is_finite()
            && self.eps > 0.0;
        if ok {
            Ok(())
        } else {
            Err(NnError::InvalidConfig(format!(
                "Adam needs lr > 0, β₁, β₂ in [0, 1) and ε > 0, got {self:?}"
            )))
        }
    }
}

/// Adam over every trainable variable of a var store, keyed by variable name.
#[derive(Debug)]
pub struct Adam {
    params: AdamParams,
    steps: u64,
    /// (name, variable, first moment, second moment), sorted by name.
    slots: Vec<(String, Tensor, Tensor, Tensor)>,
}

impl Adam {
    /// An optimizer for the trainable variables of `vs`, moments at zero.
    pub fn new(vs: &nn::VarStore, params: AdamParams) -> Result<Self> {
        params.check()?;
        let named: BTreeMap<String, Tensor> = vs.variables().into_iter().collect();
        let slots = named
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .map(|(name, t)| {
                let m = t.zeros_like();
                let v = t.zeros_like();
                (name, t, m, v)
            })
            .collect();
        Ok(Self {
            params,
            steps: 0,
            slots,
        })
    }

    /// The current step size.
    pub fn learning_rate(&self) -> f64 {
        self.params.learning_rate
    }

    /// Sets the step size of the next steps (a schedule calls this before every step); the
    /// moments are kept. A non-finite or non-positive value is an error.
    pub fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        let params = AdamParams {
            learning_rate,
            ..self.params
        };
        params.check()?;
        self.params = params;
        Ok(())
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Backpropagates `loss` and takes one step.
    pub fn backward_step(&mut self, loss: &Tensor) {
        for (_, p, _, _) in &mut self.slots {
            p.zero_grad();
        }
        loss.backward();
        self.step();
    }

    /// One step with the gradients already accumulated in the variables.
    pub fn step(&mut self) {
        let _guard = tch::no_grad_guard();
        self.steps += 1;
        let AdamParams {
            learning_rate,
            beta1,
            beta2,
            eps,
        } = self.params;
        let t = self.steps as i32;
        let bias1 = 1.0 - beta1.powi(t);
        let bias2_sqrt = (1.0 - beta2.powi(t)).sqrt();
        let constants = FusedConstants {
            beta1: beta1 as f32,
            beta2: beta2 as f32,
            one_minus_beta1: (1.0 - beta1) as f32,
            one_minus_beta2: (1.0 - beta2) as f32,
            step: (learning_rate / bias1) as f32,
            bias2_sqrt: bias2_sqrt as f32,
            eps: eps as f32,
        };
        for (_, p, m, v) in &mut self.slots {
            let g = p.grad();
            if !g.defined() {
                continue;
            }
            if fusable(p, &g, m, v) {
                // SAFETY: `fusable` checked that the four tensors are distinct, contiguous
                // f32 CPU tensors of the same length; gradients are not tracked here (no-grad
                // guard) and nothing else holds their storage during the step.
                unsafe { fused_update(p, &g, m, v, &constants) };
                continue;
            }
            let _ = m.g_mul_scalar_(beta1);
            let _ = m.g_add_(&(&g * (1.0 - beta1)));
            let _ = v.g_mul_scalar_(beta2);
            let _ = v.g_add_(&(&g * &g * (1.0 - beta2)));
            let denom = v.sqrt() / bias2_sqrt + eps;
            let _ = p.g_sub_(&(&*m / denom * (learning_rate / bias1)));
        }
    }

    /// The moments as named tensors (`adam.m.NAME`, `adam.v.NAME`) plus the step count
    /// (`adam.steps`), for a checkpoint.
    pub fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::with_capacity(2 * self.slots.len() + 1);
        for (name, _, m, v) in &self.slots {
            out.push((format!("adam.m.{name}"), m.shallow_clone()));
            out.push((format!("adam.v.{name}"), v.shallow_clone()));
        }
        out.push((
            "adam.steps".into(),
            Tensor::from_slice(&[self.steps as i64]),
        ));
        out
    }

    /// Restores what [`Adam::state_tensors`] wrote; every moment must be present with its shape.
    pub fn load_state(&mut self, tensors: &BTreeMap<String, Tensor>) -> Result<()> {
        let _guard = tch::no_grad_guard();
        for (name, _, m, v) in &mut self.slots {
            for (which, dst) in [("m", &mut *m), ("v", &mut *v)] {
                let key = format!("adam.{which}.{name}");
                let src = tensors
                    .get(&key)
                    .ok_or_else(|| NnError::Checkpoint(format!("missing optimizer state {key}")))?;
                if src.size() != dst.size() {
                    return Err(NnError::Checkpoint(format!(
                        "optimizer state {key} has shape {:?}, expected {:?}",
                        src.size(),
                        dst.size()
                    )));
                }
                dst.copy_(&src.to_kind(dst.kind()));
            }
        }
        let steps = tensors
            .get("adam.steps")
            .ok_or_else(|| NnError::Checkpoint("missing adam.steps".into()))?;
        self.steps = steps.to_kind(Kind::Int64).int64_value(&[0]).max(0) as u64;
        Ok(())
    }
}

/// The scalars of one fused Adam step, in `f32` as libtorch computes on `f32` tensors.
#[derive(Debug, Clone, Copy)]
struct FusedConstants {
    beta1: f32,
    beta2: f32,
    one_minus_beta1: f32,
    one_minus_beta2: f32,
    /// `lr / (1 − β₁ᵗ)`.
    step: f32,
    /// `√(1 − β₂ᵗ)`.
    bias2_sqrt: f32,
    eps: f32,
}

/// Whether the fused update applies: four distinct contiguous `f32` CPU tensors
/// of one length.
fn fusable(p: &Tensor, g: &Tensor, m: &Tensor, v: &Tensor) -> bool {
    let all = [p, g, m, v];
    let n = p.numel();
    let ptrs = all.map(|t| t.data_ptr() as usize);
    all.iter().all(|t| {
        t.kind() == Kind::Float
            && t.device() == tch::Device::Cpu
            && t.is_contiguous()
            && t.numel() == n
    }) && (0..4).all(|a| (a + 1..4).all(|b| ptrs[a] != ptrs[b]))
}

/// One Adam step over contiguous `f32` storage, element by element:
/// `m ← β₁ m + (1 − β₁) g`, `v ← β₂ v + (1 − β₂) g²`,
/// `θ ← θ − step · m / (√v / √(1 − β₂ᵗ) + ε)`.
///
/// # Safety
/// `p`, `g`, `m`, `v` must be distinct contiguous `f32` CPU tensors of the same
/// length ([`fusable`]) that nothing else reads or writes during the call.
unsafe fn fused_update(p: &Tensor, g: &Tensor, m: &Tensor, v: &Tensor, c: &FusedConstants) {
    let n = p.numel();
    // SAFETY: the caller's contract: distinct storages of `n` f32 values each.
    let (ps, gs, ms, vs) = unsafe {
        (
            std::slice::from_raw_parts_mut(p.data_ptr() as *mut f32, n),
            std::slice::from_raw_parts(g.data_ptr() as *const f32, n),
            std::slice::from_raw_parts_mut(m.data_ptr() as *mut f32, n),
            std::slice::from_raw_parts_mut(v.data_ptr() as *mut f32, n),
        )
    };
    for (((p, &g), m), v) in ps.iter_mut().zip(gs).zip(ms.iter_mut()).zip(vs.iter_mut()) {
        let mi = c.beta1 * *m + c.one_minus_beta1 * g;
        let vi = c.beta2 * *v + c.one_minus_beta2 * (g * g);
        *m = mi;
        *v = vi;
        *p -= c.step * mi / (vi.sqrt() / c.bias2_sqrt + c.eps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn first_step_moves_each_weight_by_the_learning_rate() {
        // With bias correction, Adam's first step is lr · sign(g) (up to ε).
        let vs = nn::VarStore::new(Device::Cpu);
        let w = vs
            .root()
            .var_copy("w", &Tensor::from_slice(&[1.0f32, -2.0, 3.0]));
        let mut opt = Adam::new(&vs, AdamParams::with_learning_rate(0.1)).unwrap();
        // loss = Σ c_i w_i with c = (2, −1, 0.5): gradient c.
        let c = Tensor::from_slice(&[2.0f32, -1.0, 0.5]);
        opt.backward_step(&(&w * &c).sum(Kind::Float));
        let got: Vec<f32> = Vec::try_from(&w).unwrap();
        for (g, want) in got.iter().zip([0.9f32, -1.9, 2.9]) {
            assert!((g - want).abs() < 1e-5, "{got:?}");
        }
        assert_eq!(opt.steps(), 1);
    }

    #[test]
    fn second_step_matches_the_formula() {
        // Constant gradient g: m_t = g(1 − β₁ᵗ), v_t = g²(1 − β₂ᵗ), so every step is lr·g/(|g| + ε').
        let vs = nn::VarStore::new(Device::Cpu);
        let w = vs.root().var_copy("w", &Tensor::from_slice(&[0.0f32]));
        let mut opt = Adam::new(&vs, AdamParams::with_learning_rate(0.01)).unwrap();
        for _ in 0..2 {
            opt.backward_step(&(&w * 3.0).sum(Kind::Float));
        }
        assert!((w.double_value(&[0]) + 0.02).abs() < 1e-6);
    }

    /// The fused pass against the formula in f64, over steps with changing gradients.
    #[test]
    fn the_fused_update_follows_the_formula() {
        let n = 100_003;
        let vs = nn::VarStore::new(Device::Cpu);
        let start: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.37).sin()).collect();
        let w = vs.root().var_copy("w", &Tensor::from_slice(&start));
        let params = AdamParams::with_learning_rate(0.01);
        let mut opt = Adam::new(&vs, params).unwrap();
        // The reference: the formula in f64 on the same gradients.
        let mut theta: Vec<f64> = start.iter().map(|&v| v as f64).collect();
        let (mut m, mut v) = (vec![0.0f64; n], vec![0.0f64; n]);
        for t in 1..=5 {
            let c = Tensor::from_slice(
                &(0..n)
                    .map(|i| ((i * t) as f32 * 0.013).cos() * (t as f32))
                    .collect::<Vec<f32>>(),
            );
            let g: Vec<f32> = Vec::try_from(&c).unwrap();
            assert!(fusable(&w, &c, &opt.slots[0].2, &opt.slots[0].3));
            opt.backward_step(&(&w * &c).sum(Kind::Float));
            let (b1, b2) = (params.beta1, params.beta2);
            let bias1 = 1.0 - b1.powi(t as i32);
            let bias2 = (1.0 - b2.powi(t as i32)).sqrt();
            for i in 0..n {
                let gi = g[i] as f64;
                m[i] = b1 * m[i] + (1.0 - b1) * gi;
                v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                theta[i] -=
                    params.learning_rate / bias1 * m[i] / (v[i].sqrt() / bias2 + params.eps);
            }
        }
        let got: Vec<f32> = Vec::try_from(&w).unwrap();
        for i in 0..n {
            assert!(
                (got[i] as f64 - theta[i]).abs() < 1e-5,
                "{i}: {} vs {}",
                got[i],
                theta[i]
            );
        }
        // A tensor of another kind takes the libtorch path.
        let d = Tensor::zeros([3], (Kind::Double, Device::Cpu));
        assert!(!fusable(&d, &d.copy(), &d.copy(), &d.copy()));
        let f = Tensor::zeros([3], (Kind::Float, Device::Cpu));
        assert!(!fusable(&f, &f, &f.copy(), &f.copy()), "aliased storage");
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let vs = nn::VarStore::new(Device::Cpu);
        let mut p = AdamParams::with_learning_rate(0.0);
        assert!(Adam::new(&vs, p).is_err());
        p.learning_rate = 1e-3;
        p.beta2 = 1.0;
        assert!(Adam::new(&vs, p).is_err());
    }
}
