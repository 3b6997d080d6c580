//! The link-prediction models of the protocol (the authors' `link_pred/models.py`), behind one
//! type: every model maps the eigenvectors `V` (n × k) and the training graph to a logit per
//! node pair.
//!
//! | model | node representation | logit |
//! |---|---|---|
//! | [`LinkModel::SignEq`] | 4 `SignDss` layers on V | `⟨z_u, z_v⟩` |
//! | [`LinkModel::Gcn`] | GCN 1 → 128 → 128 → 64 on constant features (no eigenvectors) | `⟨z_u, z_v⟩` |
//! | [`LinkModel::SignNet`] | φ = GCN(1 → 128 → 8) on each eigenvector, φ(v) + φ(−v), concatenated, ρ = GCN(8k → 128 → 64) | `⟨z_u, z_v⟩` |
//! | [`LinkModel::DecodeOnly`] | V itself, untrained | `⟨v_u, v_v⟩` |
//! | [`LinkModel::LearnDecode`] | V itself | `MLP(v_u ⊙ v_v)`, k → 148 → 148 → 1 |
//! | [`LinkModel::Mlp`] | an unconstrained MLP k → 64 → k on the rows of V (negative control) | `⟨z_u, z_v⟩` |
//!
//! GCN layers use `Â = D̃^{-1/2} (A + I) D̃^{-1/2}` as a sparse tensor ([`gcn_operator`]).

use crate::error::{EigenNetError, Result};
use crate::sign_eq::{SignEqNet, link_logits};
use basis_data::random_graphs::UndirectedGraph;
use serde::{Deserialize, Serialize};
use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

/// Which model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Sign-equivariant (4 SignDSS layers).
    SignEq,
    /// GCN on constant features.
    Gcn,
    /// SignNet (sign invariant).
    SignNet,
    /// ⟨v_u, v_v⟩, no training.
    DecodeOnly,
    /// MLP(v_u ⊙ v_v).
    LearnDecode,
    /// Unconstrained MLP on the rows of V (negative control).
    Mlp,
}

impl ModelKind {
    /// Every model, in table order.
    pub const ALL: [ModelKind; 6] = [
        ModelKind::SignEq,
        ModelKind::SignNet,
        ModelKind::Gcn,
        ModelKind::DecodeOnly,
        ModelKind::LearnDecode,
        ModelKind::Mlp,
    ];

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SignEq => "sign-equivariant",
            Self::Gcn => "GCN (constant features)",
            Self::SignNet => "SignNet (sign-invariant)",
            Self::DecodeOnly => "decode only",
            Self::LearnDecode => "learned decoder",
            Self::Mlp => "MLP on V (control)",
        }
    }

    /// Whether it has weights to train.
    pub fn trainable(self) -> bool {
        self != Self::DecodeOnly
    }
}

/// `D̃^{-1/2} (A + I) D̃^{-1/2}` as a sparse COO tensor of `kind`.
pub fn gcn_operator(g: &UndirectedGraph, kind: Kind) -> Result<Tensor> {
    if g.edges.is_empty() {
        return Err(EigenNetError::NoEdges(g.n));
    }
    let deg: Vec<f64> = g.degrees().iter().map(|&d| d as f64 + 1.0).collect();
    let mut rows = Vec::new();
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    for (i, d) in deg.iter().enumerate() {
        rows.push(i as i64);
        cols.push(i as i64);
        vals.push(1.0 / d);
    }
    for &(a, b) in &g.edges {
        let w = 1.0 / (deg[a] * deg[b]).sqrt();
        for (i, j) in [(a, b), (b, a)] {
            rows.push(i as i64);
            cols.push(j as i64);
            vals.push(w);
        }
    }
    Ok(crate::graph::sparse_coo(g.n, rows, cols, &vals, kind))
}

/// A GCN as PyTorch Geometric's `GCNConv` stack: `H ← Â H W + b` (bias after propagation),
/// ReLU between layers, none after the last.
///
/// Each layer multiplies by `Â` on its narrower side — `(Â H) W` when it widens,
/// `Â (H W)` when it narrows — which is the same map by associativity and saves the sparse
/// product on the wide side (SignNet's first layer widens 1 → 128).
#[derive(Debug)]
pub struct Gcn {
    layers: Vec<(Tensor, Tensor)>,
}

impl Gcn {
    /// Widths `dims[0] → dims[1] → …`; weights initialised as `nn::linear`'s.
    pub fn new(p: &nn::Path, dims: &[usize]) -> Self {
        Self {
            layers: dims
                .windows(2)
                .enumerate()
                .map(|(i, w)| {
                    let l = nn::linear(
                        p / format!("l{i}"),
                        w[0] as i64,
                        w[1] as i64,
                        Default::default(),
                    );
                    let bias =
                        l.bs.unwrap_or_else(|| Tensor::zeros([w[1] as i64], tch::kind::FLOAT_CPU));
                    (l.ws, bias)
                })
                .collect(),
        }
    }

    /// `h` (n × dims[0]) through the layers with the operator `a_hat`.
    pub fn forward(&self, h: &Tensor, a_hat: &Tensor) -> Tensor {
        self.forward_channels(&h.unsqueeze(1), a_hat).squeeze_dim(1)
    }

    /// `h` (n × c × dims[0]): `c` independent signals through the same layers (one sparse
    /// product per layer for all channels); returns n × c × dims[last].
    pub fn forward_channels(&self, h: &Tensor, a_hat: &Tensor) -> Tensor {
        let last = self.layers.len().saturating_sub(1);
        let propagate = |x: &Tensor| {
            let s = x.size();
            a_hat
                .mm(&x.reshape([s[0], s[1] * s[2]]))
                .reshape([s[0], s[1], s[2]])
        };
        self.layers
            .iter()
            .enumerate()
            .fold(h.shallow_clone(), |x, (i, (w, b))| {
                let (d_out, d_in) = (w.size()[0], w.size()[1]);
                let out = if d_in < d_out {
                    propagate(&x).matmul(&w.tr())
                } else {
                    propagate(&x.matmul(&w.tr()))
                } + b;
                if i < last { out.relu() } else { out }
            })
    }
}

/// The graph operators a model needs, built once per training graph.
#[derive(Debug)]
pub struct GraphOps {
    /// Neighbour mean (SignDSS).
    pub mean: Tensor,
    /// `Â` (GCN, SignNet).
    pub a_hat: Tensor,
    /// Nodes.
    pub n: usize,
}

impl GraphOps {
    /// Both operators of `g` in `kind`.
    pub fn new(g: &UndirectedGraph, kind: Kind) -> Result<Self> {
        Ok(Self {
            mean: crate::graph::neighbour_mean(g, kind)?,
            a_hat: gcn_operator(g, kind)?,
            n: g.n,
        })
    }
}

enum Body {
    SignEq(SignEqNet),
    Gcn(Gcn),
    SignNet { phi: Gcn, rho: Gcn },
    DecodeOnly,
    LearnDecode(nn::Sequential),
    Mlp(nn::Sequential),
}

/// A link-prediction model with its weights.
pub struct LinkModel {
    /// Which model.
    pub kind: ModelKind,
    body: Body,
}

impl std::fmt::Debug for LinkModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkModel({:?})", self.kind)
    }
}

impl LinkModel {
    /// The model for `k` eigenvectors under `p`.
    pub fn new(p: &nn::Path, kind: ModelKind, k: usize) -> Self {
        let (k64, lin) = (k as i64, |p: nn::Path, a: i64, b: i64| {
            nn::linear(p, a, b, Default::default())
        });
        let body = match kind {
            ModelKind::SignEq => Body::SignEq(SignEqNet::new(&(p / "signeq"), k, 4)),
            ModelKind::Gcn => Body::Gcn(Gcn::new(&(p / "gcn"), &[1, 128, 128, 64])),
            ModelKind::SignNet => Body::SignNet {
                phi: Gcn::new(&(p / "phi"), &[1, 128, 8]),
                rho: Gcn::new(&(p / "rho"), &[8 * k, 128, 64]),
            },
            ModelKind::DecodeOnly => Body::DecodeOnly,
            ModelKind::LearnDecode => Body::LearnDecode(
                nn::seq()
                    .add(lin(p / "d0", k64, 148))
                    .add_fn(|x| x.relu())
                    .add(lin(p / "d1", 148, 148))
                    .add_fn(|x| x.relu())
                    .add(lin(p / "d2", 148, 1)),
            ),
            ModelKind::Mlp => Body::Mlp(
                nn::seq()
                    .add(lin(p / "m0", k64, 64))
                    .add_fn(|x| x.relu())
                    .add(lin(p / "m1", 64, k64)),
            ),
        };
        Self { kind, body }
    }

    /// Node embeddings (for the models that have them; `None` for the learned decoder).
    pub fn embed(&self, v: &Tensor, ops: &GraphOps) -> Option<Tensor> {
        match &self.body {
            Body::SignEq(net) => Some(net.forward(v, &ops.mean)),
            Body::Gcn(gcn) => {
                let ones = Tensor::ones([ops.n as i64, 1], (v.kind(), Device::Cpu));
                Some(gcn.forward(&ones, &ops.a_hat))
            }
            Body::SignNet { phi, rho } => {
                // Every eigenvector and its negation as a one-channel signal, all 2k at once.
                let (n, k) = (v.size()[0], v.size()[1]);
                let both = Tensor::cat(&[v.shallow_clone(), -v], 1).unsqueeze(2);
                let phi_both = phi.forward_channels(&both, &ops.a_hat);
                let invariant = phi_both.narrow(1, 0, k) + phi_both.narrow(1, k, k);
                Some(rho.forward(&invariant.reshape([n, -1]), &ops.a_hat))
            }
            Body::DecodeOnly => Some(v.shallow_clone()),
            Body::LearnDecode(_) => None,
            Body::Mlp(mlp) => Some(mlp.forward(v)),
        }
    }

    /// One logit per pair.
    pub fn logits(&self, v: &Tensor, ops: &GraphOps, pairs: &[(usize, usize)]) -> Tensor {
        match &self.body {
            Body::LearnDecode(mlp) => {
                let u: Vec<i64> = pairs.iter().map(|p| p.0 as i64).collect();
                let w: Vec<i64> = pairs.iter().map(|p| p.1 as i64).collect();
                let prod = v.index_select(0, &Tensor::from_slice(&u))
                    * v.index_select(0, &Tensor::from_slice(&w));
                mlp.forward(&prod).squeeze_dim(1)
            }
            _ => {
                let z = self.embed(v, ops).unwrap_or_else(|| v.shallow_clone());
                link_logits(&z, pairs)
            }
        }
    }
}
