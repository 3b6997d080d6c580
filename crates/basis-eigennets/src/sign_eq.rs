//! Sign-equivariant layers (Lim, Robinson, Jegelka & Maron, NeurIPS 2023). `V` is n × k, rows
//! are nodes, columns eigenvectors; a map f is sign equivariant when
//! `f(V diag(s)) = f(V) diag(s)` for every `s ∈ {±1}^k`.
//!
//! - [`SignEqGate`], on each row x: `x + (d ⊙ x) ⊙ sigmoid(MLP(|x|))` (MLP k → 92 → k, `d`
//!   initialised to ones): `|x|` is sign invariant, so the gate is, and `x`, `d ⊙ x` flip with x.
//! - [`SignDss`]: `X ← X + G1(X) + G2(M X)`, M the neighbour mean (`crate::graph`), which
//!   commutes with `diag(s)` and with node permutations.
//! - [`SignEqNet`]: a stack of [`SignDss`] layers (the reference: 4, k = 16); link logits
//!   `⟨z_u, z_v⟩` ([`link_logits`]) are sign *invariant*.

use crate::error::{EigenNetError, Result};
use nalgebra::DMatrix;
use tch::Tensor;
use tch::nn::{self, Module};

/// The reference's hidden width of the gate's MLP.
pub const GATE_HIDDEN: usize = 92;

/// `x + (d ⊙ x) ⊙ sigmoid(MLP(|x|))` on every row.
#[derive(Debug)]
pub struct SignEqGate {
    d: Tensor,
    l1: nn::Linear,
    l2: nn::Linear,
}

impl SignEqGate {
    /// A gate on rows of width `k` under `p`.
    pub fn new(p: &nn::Path, k: usize, hidden: usize) -> Self {
        Self {
            d: p.var("d", &[k as i64], nn::Init::Const(1.0)),
            l1: nn::linear(p / "l1", k as i64, hidden as i64, Default::default()),
            l2: nn::linear(p / "l2", hidden as i64, k as i64, Default::default()),
        }
    }

    /// The gate applied to `x` (n × k).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let gate = self.l2.forward(&self.l1.forward(&x.abs()).relu()).sigmoid();
        x + (x * &self.d) * gate
    }
}

/// `X + G1(X) + G2(M X)`.
#[derive(Debug)]
pub struct SignDss {
    g1: SignEqGate,
    g2: SignEqGate,
}

impl SignDss {
    /// A layer of width `k` under `p`.
    pub fn new(p: &nn::Path, k: usize) -> Self {
        Self {
            g1: SignEqGate::new(&(p / "g1"), k, GATE_HIDDEN),
            g2: SignEqGate::new(&(p / "g2"), k, GATE_HIDDEN),
        }
    }

    /// The layer on `x` (n × k) with the sparse neighbour mean `m` (n × n).
    pub fn forward(&self, x: &Tensor, m: &Tensor) -> Tensor {
        x + self.g1.forward(x) + self.g2.forward(&m.mm(x))
    }
}

/// A stack of [`SignDss`] layers.
#[derive(Debug)]
pub struct SignEqNet {
    layers: Vec<SignDss>,
}

impl SignEqNet {
    /// `depth` layers of width `k` under `p`.
    pub fn new(p: &nn::Path, k: usize, depth: usize) -> Self {
        Self {
            layers: (0..depth)
                .map(|i| SignDss::new(&(p / format!("layer{i}")), k))
                .collect(),
        }
    }

    /// Node embeddings `z` (n × k) of eigenvectors `v` (n × k) on the graph of `m`.
    pub fn forward(&self, v: &Tensor, m: &Tensor) -> Tensor {
        self.layers
            .iter()
            .fold(v.shallow_clone(), |x, l| l.forward(&x, m))
    }
}

/// `⟨z_u, z_v⟩` for every pair.
pub fn link_logits(z: &Tensor, pairs: &[(usize, usize)]) -> Tensor {
    let u: Vec<i64> = pairs.iter().map(|p| p.0 as i64).collect();
    let v: Vec<i64> = pairs.iter().map(|p| p.1 as i64).collect();
    let (zu, zv) = (
        z.index_select(0, &Tensor::from_slice(&u)),
        z.index_select(0, &Tensor::from_slice(&v)),
    );
    (zu * zv).sum_dim_intlist(1, false, z.kind())
}

/// Checks eigenvectors for a graph of `n` nodes: n × k with 1 ≤ k < n, all finite.
pub fn check_eigenvectors(v: &DMatrix<f64>, n: usize) -> Result<()> {
    let (rows, k) = v.shape();
    if rows != n {
        return Err(EigenNetError::Shape(format!(
            "{rows} eigenvector rows for a graph of {n} nodes"
        )));
    }
    if k == 0 || k >= n {
        return Err(EigenNetError::Shape(format!(
            "need 1 ≤ k < n eigenvectors, got k = {k} for n = {n}"
        )));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(EigenNetError::NonFinite(format!(
            "eigenvector entry ({}, {})",
            i % rows,
            i / rows
        )));
    }
    Ok(())
}
