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
use rand::SeedableRng;
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
        }
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
}

/// One trial's data: the split, the training graph's operators and the encodings.
pub struct TrialData {
    /// The split.
    pub split: basis_data::random_graphs::EdgeSplit,
    /// Operators of the training graph.
    pub ops: GraphOps,
    /// Positional encodings (n × k), random column signs.
    pub v: Tensor,
    train_set: HashSet<(usize, usize)>,
}

/// Draws one trial's graph, split and encodings from `seed`.
pub fn trial_data(family: &GraphFamily, config: &LinkConfig, seed: u64) -> Result<TrialData> {
    let h = family.draw(seed)?;
    let g = twin_graph(&h, config.extra_edges, seed ^ 0x7717)
        .map_err(|e| EigenNetError::InvalidConfig(e.to_string()))?;
    let split = split_edges(&g, config.val_fraction, config.test_fraction, seed ^ 0x5917)
        .map_err(|e| EigenNetError::InvalidConfig(e.to_string()))?;
    let train = UndirectedGraph::from_edges(g.n, split.train.iter().copied())
        .map_err(|e| EigenNetError::InvalidConfig(e.to_string()))?;
    let v = random_column_signs(
        &laplacian_positional_encoding(&train, config.k)?,
        seed ^ 0x516,
    );
    let flat: Vec<f32> = (0..v.nrows())
        .flat_map(|i| v.row(i).iter().map(|&x| x as f32).collect::<Vec<_>>())
        .collect();
    Ok(TrialData {
        ops: GraphOps::new(&train, Kind::Float)?,
        v: Tensor::from_slice(&flat).view([v.nrows() as i64, v.ncols() as i64]),
        train_set: train.edge_set(),
        split,
    })
}

fn auc(
    model: &LinkModel,
    d: &TrialData,
    pos: &[(usize, usize)],
    neg: &[(usize, usize)],
) -> Result<f64> {
    let _g = tch::no_grad_guard();
    let to_vec = |t: Tensor| Vec::<f64>::try_from(t.to_kind(Kind::Double)).unwrap_or_default();
    let p = to_vec(model.logits(&d.v, &d.ops, pos));
    let q = to_vec(model.logits(&d.v, &d.ops, neg));
    roc_auc(&p, &q).map_err(|e| EigenNetError::NonFinite(format!("AUC: {e}")))
}

/// Trains (unless untrainable) and scores one model on one trial's data.
pub fn run_model(
    kind: ModelKind,
    d: &TrialData,
    config: &LinkConfig,
    seed: u64,
) -> Result<TrialScore> {
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
    let (mut best, mut train_seconds) = ((f64::NEG_INFINITY, 0.0, 0usize), 0.0);
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
        if val > best.0 {
            best = (val, auc(&model, d, &s.test, &s.test_negatives)?, epoch);
        }
    }
    Ok(TrialScore {
        model: kind,
        seed,
        best_epoch: best.2,
        val_auc: best.0,
        test_auc: best.1,
        seconds_per_epoch: train_seconds / config.epochs.max(1) as f64,
    })
}
