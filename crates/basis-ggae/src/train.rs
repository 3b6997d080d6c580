//! Training a GGAE (or, with α = 0, the plain autoencoder) on batches whose Laplace–Beltrami
//! estimate comes either from a distance matrix of the whole split sliced per batch (the Swiss
//! roll's geodesics) or from a fixed per-sequence Laplacian (rotating images: one 36-cycle L
//! per sequence, batches of whole sequences, block-diagonal L).

use crate::autoencoder::{Autoencoder, AutoencoderConfig, check_alpha};
use crate::error::{GgaeError, Result};
use basis_graph::{LaplaceBeltramiParams, check_distances, laplace_beltrami};
use basis_nn::convert::{matrix_to_tensor, tensor_to_matrix};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

/// Training settings. Serialisable; [`TrainConfig::check`] validates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The networks.
    pub model: AutoencoderConfig,
    /// Weight α of the distortion (0: the plain autoencoder).
    pub alpha: f64,
    /// Passes over the training split.
    pub epochs: usize,
    /// Largest batch: points per batch ([`BatchGeometry::SlicedDistances`]; an epoch's
    /// batches are ⌈n / batch_size⌉ of sizes differing by at most one) or sequences per batch
    /// ([`BatchGeometry::Sequences`]; the last may hold fewer).
    pub batch_size: usize,
    /// Adam step size (the reference: 1e-4).
    pub learning_rate: f64,
    /// Seed of the initialisation and the batch order.
    pub seed: u64,
}

impl TrainConfig {
    /// Typed error for α < 0, no epochs, an empty batch, a bad step size or network.
    pub fn check(&self) -> Result<()> {
        self.model.check()?;
        check_alpha(self.alpha)?;
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(GgaeError::InvalidConfig(format!(
                "{} epochs of batches of {}",
                self.epochs, self.batch_size
            )));
        }
        basis_data::limits::check_steps("epochs", self.epochs).map_err(GgaeError::InvalidConfig)?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(GgaeError::InvalidConfig(format!(
                "learning rate {}",
                self.learning_rate
            )));
        }
        Ok(())
    }
}

/// Where a batch's Laplacian comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchGeometry {
    /// The split's pairwise distances (n × n), sliced to the batch, then
    /// `laplace_beltrami` with these settings.
    SlicedDistances {
        /// Distances between all points of the split.
        distances: DMatrix<f64>,
        /// h and c.
        params: LaplaceBeltramiParams,
    },
    /// Rows come in sequences of `l.nrows()` consecutive frames sharing the Laplacian `l`;
    /// batches hold whole sequences.
    Sequences {
        /// The per-sequence Laplacian.
        l: DMatrix<f64>,
    },
}

/// One epoch's mean losses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// Mean total loss over the epoch's batches.
    pub loss: f64,
    /// Mean reconstruction MSE.
    pub reconstruction: f64,
    /// Mean distortion.
    pub distortion: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// A trained autoencoder with its weights and curves.
#[derive(Debug)]
pub struct Trained {
    /// Weights.
    pub vs: nn::VarStore,
    /// Networks.
    pub model: Autoencoder,
    /// One entry per epoch.
    pub curve: Vec<EpochLog>,
}

impl Trained {
    /// Latents of `x` (n × input) → n × latent.
    pub fn encode(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let _g = tch::no_grad_guard();
        let z = self.model.encode(&matrix_to_tensor(x));
        tensor_to_matrix(&z).map_err(|e| GgaeError::NonFinite(e.to_string()))
    }

    /// Reconstruction MSE of `x`.
    pub fn reconstruction_mse(&self, x: &DMatrix<f64>) -> Result<f64> {
        let _g = tch::no_grad_guard();
        let xt = matrix_to_tensor(x);
        let r = self.model.decode(&self.model.encode(&xt));
        Ok((r - &xt).square().mean(Kind::Double).double_value(&[]))
    }
}

fn check_data(x: &DMatrix<f64>, geometry: &BatchGeometry, cfg: &TrainConfig) -> Result<()> {
    let (n, d) = x.shape();
    if n == 0 || d != cfg.model.input {
        return Err(GgaeError::Shape(format!(
            "{n} × {d} training data for an autoencoder of input {}",
            cfg.model.input
        )));
    }
    if let Some(p) = x.iter().position(|v| !v.is_finite()) {
        return Err(GgaeError::NonFinite(format!(
            "training data at ({}, {})",
            p % n,
            p / n
        )));
    }
    match geometry {
        BatchGeometry::SlicedDistances { distances, params } => {
            params.check()?;
            if distances.nrows() != n {
                return Err(GgaeError::Shape(format!(
                    "{} × {} distances for {n} points",
                    distances.nrows(),
                    distances.ncols()
                )));
            }
            check_distances(distances)?;
            if cfg.batch_size < 2 {
                return Err(GgaeError::InvalidConfig("batches of 1 point".into()));
            }
        }
        BatchGeometry::Sequences { l } => {
            let f = l.nrows();
            if f == 0 || l.ncols() != f || n % f != 0 {
                return Err(GgaeError::Shape(format!(
                    "{n} rows are not sequences of the {}×{} Laplacian's frames",
                    l.nrows(),
                    l.ncols()
                )));
            }
            if l.iter().any(|v| !v.is_finite()) {
                return Err(GgaeError::NonFinite("sequence Laplacian".into()));
            }
        }
    }
    Ok(())
}

/// The block-diagonal Laplacian of `sequences` sequences sharing `l`; the one of fewer
/// sequences is its leading block.
fn block_diagonal(l: &DMatrix<f64>, sequences: usize) -> DMatrix<f64> {
    let f = l.nrows();
    let mut big = DMatrix::zeros(sequences * f, sequences * f);
    for s in 0..sequences {
        big.view_mut((s * f, s * f), (f, f)).copy_from(l);
    }
    big
}

/// `order` cut into ⌈n / batch_size⌉ consecutive batches whose sizes differ by at most one
/// (2,143 points in batches of at most 1,000: 714, 714, 715), so that no batch's Laplacian is
/// estimated from a small remainder.
fn balanced_chunks(order: &[usize], batch_size: usize) -> impl Iterator<Item = &[usize]> {
    let n = order.len();
    let m = n.div_ceil(batch_size.max(1)).max(1);
    (0..m).map(move |b| &order[b * n / m..(b + 1) * n / m])
}

/// The batches of one epoch: (row indices, their Laplacian as a tensor). `sequence_l` is the
/// block-diagonal Laplacian of a full batch of sequences, built once per training run.
fn epoch_batches(
    n: usize,
    geometry: &BatchGeometry,
    sequence_l: Option<&Tensor>,
    batch_size: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<(Vec<usize>, Tensor)>> {
    match (geometry, sequence_l) {
        (BatchGeometry::Sequences { l }, Some(full)) => {
            let f = l.nrows();
            let mut seqs: Vec<usize> = (0..n / f).collect();
            seqs.shuffle(rng);
            Ok(seqs
                .chunks(batch_size)
                .map(|group| {
                    let idx: Vec<usize> = group.iter().flat_map(|&q| q * f..(q + 1) * f).collect();
                    let m = idx.len() as i64;
                    (idx, full.narrow(0, 0, m).narrow(1, 0, m))
                })
                .collect())
        }
        (BatchGeometry::SlicedDistances { distances, params }, _) => {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(rng);
            balanced_chunks(&order, batch_size)
                .filter(|c| c.len() >= 2)
                .map(|idx| {
                    let d = distances.select_rows(idx).select_columns(idx);
                    Ok((
                        idx.to_vec(),
                        matrix_to_tensor(&laplace_beltrami(&d, params)?),
                    ))
                })
                .collect()
        }
        (BatchGeometry::Sequences { .. }, None) => Err(GgaeError::InvalidConfig(
            "sequence batches need their block-diagonal Laplacian".into(),
        )),
    }
}

/// Trains an autoencoder of `cfg.model` on `x` with loss MSE + α · distortion; `on_epoch` is
/// called after every epoch (progress bars, logs).
pub fn train(
    x: &DMatrix<f64>,
    geometry: &BatchGeometry,
    cfg: &TrainConfig,
    mut on_epoch: impl FnMut(usize, &EpochLog),
) -> Result<Trained> {
    cfg.check()?;
    check_data(x, geometry, cfg)?;
    tch::manual_seed(cfg.seed as i64);
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Autoencoder::new(&vs.root(), &cfg.model)?;
    let mut opt = nn::Adam::default()
        .build(&vs, cfg.learning_rate)
        .map_err(|e| GgaeError::InvalidConfig(format!("Adam: {e}")))?;
    let xt = matrix_to_tensor(x);
    let sequence_l = match geometry {
        BatchGeometry::Sequences { l } => {
            let sequences = (x.nrows() / l.nrows()).min(cfg.batch_size);
            Some(matrix_to_tensor(&block_diagonal(l, sequences)))
        }
        BatchGeometry::SlicedDistances { .. } => None,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x6AE);
    let mut curve = Vec::new();
    for epoch in 0..cfg.epochs {
        let t = Instant::now();
        let batches = epoch_batches(
            x.nrows(),
            geometry,
            sequence_l.as_ref(),
            cfg.batch_size,
            &mut rng,
        )?;
        let (mut loss, mut rec, mut dis) = (0.0, 0.0, 0.0);
        for (idx, lb) in &batches {
            let rows = Tensor::from_slice(&idx.iter().map(|&i| i as i64).collect::<Vec<_>>());
            let xb = xt.index_select(0, &rows);
            let terms = model.loss(&xb, lb, cfg.alpha)?;
            opt.backward_step(&terms.total);
            loss += terms.total.double_value(&[]);
            rec += terms.reconstruction.double_value(&[]);
            dis += terms.distortion.double_value(&[]);
        }
        let b = batches.len().max(1) as f64;
        let log = EpochLog {
            loss: loss / b,
            reconstruction: rec / b,
            distortion: dis / b,
            seconds: t.elapsed().as_secs_f64(),
        };
        if !log.loss.is_finite() {
            return Err(GgaeError::NonFinite(format!("loss at epoch {epoch}")));
        }
        on_epoch(epoch, &log);
        curve.push(log);
    }
    Ok(Trained { vs, model, curve })
}

#[cfg(test)]
mod tests {
    use super::balanced_chunks;

    #[test]
    fn balanced_chunks_cover_the_order_with_sizes_within_one() {
        for (n, b) in [(2143, 1000), (10, 3), (7, 7), (7, 100), (1, 1), (1000, 1)] {
            let order: Vec<usize> = (0..n).rev().collect();
            let chunks: Vec<&[usize]> = balanced_chunks(&order, b).collect();
            assert_eq!(chunks.len(), n.div_ceil(b));
            assert_eq!(chunks.concat(), order);
            let sizes: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
            let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(hi - lo <= 1 && *hi <= b, "{n} / {b}: {sizes:?}");
        }
        let order: Vec<usize> = (0..2143).collect();
        let sizes: Vec<usize> = balanced_chunks(&order, 1000).map(<[usize]>::len).collect();
        assert_eq!(sizes, [714, 714, 715]);
    }
}
