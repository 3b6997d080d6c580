//! The twin-graph link-prediction protocol (Lim et al. 2023, the authors' `main_link_pred.py`):
//! a base graph H (Erdős–Rényi or Barabási–Albert), G = two disjoint copies of H plus uniformly
//! random extra edges, 10 % / 10 % validation / test edges with as many negatives, positional
//! encodings from the training graph with random column signs, fresh negatives every epoch,
//! Adam, full-batch epochs, test ROC-AUC at the best validation epoch.

use crate::error::{EigenNetError, Result};
use crate::models::{GraphOps, LinkModel, ModelKind};
use crate::positional::{laplacian_positional_encoding, random_column_signs};
use basis_data::random_graphs::{
    UndirectedGraph, barabasi_albert, erdos_renyi, sample_negatives, split_edges, twin_graph,
};
use basis_metrics::roc_auc;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Instant;
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

/// The base graph H.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum GraphFamily {
    /// G(n, p).
    ErdosRenyi {
        /// Nodes.
        n: usize,
        /// Edge probability.
        p: f64,
    },
    /// Barabási–Albert with `m` edges per new node.
    BarabasiAlbert {
        /// Nodes.
        n: usize,
        /// Edges per new node.
        m: usize,
    },
}

impl GraphFamily {
    /// The protocol's two: G(1000, 0.05) and BA(1000, 20).
    pub const PROTOCOL: [GraphFamily; 2] = [
        GraphFamily::ErdosRenyi { n: 1000, p: 0.05 },
        GraphFamily::BarabasiAlbert { n: 1000, m: 20 },
    ];

    /// Short name.
    pub fn name(&self) -> String {
        match *self {
            GraphFamily::ErdosRenyi { n, p } => format!("ER({n}, {p})"),
            GraphFamily::BarabasiAlbert { n, m } => format!("BA({n}, {m})"),
        }
    }

    /// H drawn from `seed`.
    pub fn draw(&self, seed: u64) -> Result<UndirectedGraph> {
        let g = match *self {
            GraphFamily::ErdosRenyi { n, p } => erdos_renyi(n, p, seed),
            GraphFamily::BarabasiAlbert { n, m } => barabasi_albert(n, m, seed),
        };
        g.map_err(|e| EigenNetError::InvalidConfig(format!("{}: {e}", self.name())))
    }
}

/// The protocol's settings. [`Default`]: the authors'. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkConfig {
    /// Uniformly random edges added to the two copies.
    pub extra_edges: usize,
    /// Held-out validation edges.
    pub val_fraction: f64,
    /// Held-out test edges.
    pub test_fraction: f64,
    /// Eigenvectors (after the trivial one).
    pub k: usize,
    /// Full-batch epochs.
    pub epochs: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// Factor on the encodings: 1 (the protocol) keeps unit-norm columns, whose entries are
    /// of order 1/√n; √n makes them of order 1.
    pub encoding_scale: f64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            extra_edges: 1000,
            val_fraction: 0.1,
            test_fraction: 0.1,
            k: 16,
            epochs: 100,
            learning_rate: 0.01,
            encoding_scale: 1.0,
        }
    }
}

impl LinkConfig {
    /// Typed error unless the fractions are in (0, 1) with room for training edges, k ≥ 1,
    /// at least one epoch and a positive finite step size.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(EigenNetError::InvalidConfig(m));
        let (v, t) = (self.val_fraction, self.test_fraction);
        if !(v > 0.0 && t > 0.0 && v + t < 1.0) {
            return bad(format!(
                "validation and test fractions must be positive with sum below 1, got {v} and {t}"
            ));
        }
        if self.k == 0 {
            return bad("k = 0 eigenvectors".into());
        }
        if self.epochs == 0 {
            return bad("0 epochs".into());
        }
        basis_data::limits::check_steps("epochs", self.epochs).or_else(bad)?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!("learning rate {}", self.learning_rate));
        }
        if !(self.encoding_scale.is_finite() && self.encoding_scale > 0.0) {
            return bad(format!("encoding scale {}", self.encoding_scale));
        }
        Ok(())
    }
}

/// One trial's result for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialScore {
    /// The model.
    pub model: ModelKind,
    /// The trial's seed.
    pub seed: u64,
    /// The epoch with the best validation AUC (0 for the untrained model).
    pub best_epoch: usize,
    /// Validation AUC there.
    pub val_auc: f64,
    /// Test AUC there.
    pub test_auc: f64,
    /// Mean seconds per training epoch (0 without training).
    pub seconds_per_epoch: f64,
    /// Diagnostics at the best validation epoch.
    pub twins: TwinDiagnostics,
}

/// How a model treats a node and its twin (its automorphic copy in the other half of G), and
/// whether its scores survive a different sign choice of the eigensolver; measured at the best
/// validation epoch on the test split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwinDiagnostics {
    /// AUC of within-copy test edges `(u, v)` against their twin swaps `(u, twin(v))` (almost
    /// always non-edges): 0.5 means the model cannot tell v from its twin.
    pub twin_swap_auc: f64,
    /// Mean `‖z_u − z_twin(u)‖` over mean `‖z_u − z_w‖` for random w: 0 when twins get the same
    /// embedding (`None` for the learned decoder, which has no node embedding).
    pub twin_distance_ratio: Option<f64>,
    /// Test AUC when the eigenvectors are given fresh random column signs at test time (another
    /// eigensolver's equally valid choice), mean over [`RESIGN_DRAWS`] draws; equal to the test
    /// AUC for sign-invariant logits.
    pub test_auc_resigned: f64,
    /// The lowest of those draws.
    pub test_auc_resigned_min: f64,
}

/// Fresh column-sign draws of the re-signing diagnostic.
pub const RESIGN_DRAWS: usize = 8;

/// One trial's data: the split, the training graph's operators and the encodings.
pub struct TrialData {
    /// The split.
    pub split: basis_data::random_graphs::EdgeSplit,
    /// Operators of the training graph.
    pub ops: GraphOps,
    /// Positional encodings (n × k), random column signs.
    pub v: Tensor,
    /// The same encodings with [`RESIGN_DRAWS`] other random column signs (test-time re-signing).
    pub v_resigned: Vec<Tensor>,
    /// Nodes of one copy of H: the twin of node i is `(i + base_n) mod 2 base_n`.
    pub base_n: usize,
    train_set: HashSet<(usize, usize)>,
}

impl std::fmt::Debug for TrialData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TrialData({} nodes, {} training edges)",
            self.split.n,
            self.split.train.len()
        )
    }
}

impl TrialData {
    /// The twin of node `i`.
    pub fn twin(&self, i: usize) -> usize {
        (i + self.base_n) % (2 * self.base_n)
    }
}

/// Draws one trial's graph, split and encodings from `seed`.
pub fn trial_data(family: &GraphFamily, config: &LinkConfig, seed: u64) -> Result<TrialData> {
    config.check()?;
    let h = family.draw(seed)?;
    let g = twin_graph(&h, config.extra_edges, seed ^ 0x7717)
        .map_err(|e| EigenNetError::InvalidConfig(e.to_string()))?;
    let split = split_edges(&g, config.val_fraction, config.test_fraction, seed ^ 0x5917)
        .map_err(|e| EigenNetError::InvalidConfig(e.to_string()))?;
    let train = UndirectedGraph::from_edges(g.n, split.train.iter().copied())
        .map_err(|e| EigenNetError::InvalidConfig(e.to_string()))?;
    let pe = laplacian_positional_encoding(&train, config.k)? * config.encoding_scale;
    Ok(TrialData {
        ops: GraphOps::new(&train, Kind::Float)?,
        v: basis_nn::convert::matrix_to_tensor(&random_column_signs(&pe, seed ^ 0x516)),
        v_resigned: (0..RESIGN_DRAWS as u64)
            .map(|r| {
                basis_nn::convert::matrix_to_tensor(&random_column_signs(
                    &pe,
                    seed ^ (0x2516 + (r << 20)),
                ))
            })
            .collect(),
        base_n: h.n,
        train_set: train.edge_set(),
        split,
    })
}

fn to_vec(t: Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(t.to_kind(Kind::Double)).unwrap_or_default()
}

fn auc_of(
    model: &LinkModel,
    v: &Tensor,
    d: &TrialData,
    pos: &[(usize, usize)],
    neg: &[(usize, usize)],
) -> Result<f64> {
    let _g = tch::no_grad_guard();
    let p = to_vec(model.logits(v, &d.ops, pos));
    let q = to_vec(model.logits(v, &d.ops, neg));
    roc_auc(&p, &q).map_err(|e| EigenNetError::NonFinite(format!("AUC: {e}")))
}

fn auc(
    model: &LinkModel,
    d: &TrialData,
    pos: &[(usize, usize)],
    neg: &[(usize, usize)],
) -> Result<f64> {
    auc_of(model, &d.v, d, pos, neg)
}

/// The [`TwinDiagnostics`] of `model` as it is now.
fn twin_diagnostics(model: &LinkModel, d: &TrialData, seed: u64) -> Result<TwinDiagnostics> {
    let s = &d.split;
    let within: Vec<(usize, usize)> = s
        .test
        .iter()
        .copied()
        .filter(|&(a, b)| (a < d.base_n) == (b < d.base_n))
        .collect();
    let swapped: Vec<(usize, usize)> = within.iter().map(|&(a, b)| (a, d.twin(b))).collect();
    let twin_swap_auc = auc(model, d, &within, &swapped)?;
    let resigned = d
        .v_resigned
        .iter()
        .map(|v| auc_of(model, v, d, &s.test, &s.test_negatives))
        .collect::<Result<Vec<f64>>>()?;
    let twin_distance_ratio = {
        let _g = tch::no_grad_guard();
        model.embed(&d.v, &d.ops).map(|z| {
            let twins = Tensor::from_slice(&(0..s.n).map(|i| d.twin(i) as i64).collect::<Vec<_>>());
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7771);
            let others: Vec<i64> = (0..s.n)
                .map(|i| {
                    let mut w = rng.random_range(0..s.n - 1);
                    if w >= i {
                        w += 1;
                    }
                    w as i64
                })
                .collect();
            let dist = |idx: &Tensor| {
                (&z - z.index_select(0, idx))
                    .norm_scalaropt_dim(2.0, [1], false)
                    .mean(Kind::Double)
                    .double_value(&[])
            };
            let ratio = dist(&twins) / dist(&Tensor::from_slice(&others));
            if ratio.is_finite() { ratio } else { 0.0 }
        })
    };
    Ok(TwinDiagnostics {
        twin_swap_auc,
        twin_distance_ratio,
        test_auc_resigned: resigned.iter().sum::<f64>() / resigned.len().max(1) as f64,
        test_auc_resigned_min: resigned.iter().copied().fold(f64::INFINITY, f64::min),
    })
}

/// Trains (unless untrainable) and scores one model on one trial's data.
pub fn run_model(
    kind: ModelKind,
    d: &TrialData,
    config: &LinkConfig,
    seed: u64,
) -> Result<TrialScore> {
    config.check()?;
    if d.v.size()[1] != config.k as i64 {
        return Err(EigenNetError::Shape(format!(
            "the trial has {} eigenvectors, the configuration {}",
            d.v.size()[1],
            config.k
        )));
    }
    tch::manual_seed(seed as i64);
    let vs = nn::VarStore::new(Device::Cpu);
    let model = LinkModel::new(&vs.root(), kind, config.k);
    let s = &d.split;
    if !kind.trainable() {
        return Ok(TrialScore {
            model: kind,
            seed,
            best_epoch: 0,
            val_auc: auc(&model, d, &s.val, &s.val_negatives)?,
            test_auc: auc(&model, d, &s.test, &s.test_negatives)?,
            twins: twin_diagnostics(&model, d, seed)?,
            seconds_per_epoch: 0.0,
        });
    }
    let mut opt = nn::Adam::default()
        .build(&vs, config.learning_rate)
        .map_err(|e| EigenNetError::InvalidConfig(format!("Adam: {e}")))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xBEEF);
    let n_pos = s.train.len();
    let targets = Tensor::cat(
        &[
            Tensor::ones([n_pos as i64], (Kind::Float, Device::Cpu)),
            Tensor::zeros([n_pos as i64], (Kind::Float, Device::Cpu)),
        ],
        0,
    );
    // The weights at the best validation epoch, for the diagnostics at the end.
    let mut best_vs = nn::VarStore::new(Device::Cpu);
    let best_model = LinkModel::new(&best_vs.root(), kind, config.k);
    let mut best: Option<(f64, f64, usize)> = None;
    let mut train_seconds = 0.0;
    for epoch in 1..=config.epochs {
        let t = Instant::now();
        let neg = sample_negatives(s.n, &d.train_set, n_pos, &mut rng)
            .map_err(|e| EigenNetError::InvalidConfig(e.to_string()))?;
        let pairs: Vec<(usize, usize)> = s.train.iter().chain(&neg).copied().collect();
        let logits = model.logits(&d.v, &d.ops, &pairs);
        let loss = logits.binary_cross_entropy_with_logits::<Tensor>(
            &targets,
            None,
            None,
            tch::Reduction::Mean,
        );
        opt.backward_step(&loss);
        train_seconds += t.elapsed().as_secs_f64();
        let val = auc(&model, d, &s.val, &s.val_negatives)?;
        if best.as_ref().is_none_or(|b| val > b.0) {
            best = Some((val, auc(&model, d, &s.test, &s.test_negatives)?, epoch));
            best_vs
                .copy(&vs)
                .map_err(|e| EigenNetError::InvalidConfig(format!("weight snapshot: {e}")))?;
        }
    }
    let (val_auc, test_auc, best_epoch) = best.ok_or_else(|| {
        EigenNetError::InvalidConfig("a trainable model needs at least one epoch".into())
    })?;
    let twins = twin_diagnostics(&best_model, d, seed)?;
    Ok(TrialScore {
        model: kind,
        seed,
        best_epoch,
        val_auc,
        test_auc,
        seconds_per_epoch: train_seconds / config.epochs.max(1) as f64,
        twins,
    })
}
