//! The Siamese feature network of BASiS Sec. 5.2: a small CNN trained with the contrastive
//! loss of Eq. 21 on labelled pairs; its outputs are the features the spectral networks use.
//!
//! Architecture (the official code's): conv 1→20 (5×5) → max-pool 2 → conv 20→50 (5×5) →
//! max-pool 2 → FC (50·s²)→500 → ReLU → FC 500→10 → FC 10→`output_dim`, where `s` is what is
//! left of the image side after the two conv/pool stages (4 for 28×28, so FC 800→500).
//!
//! Pairs: every step draws `batch_size` images; each gets a partner of its own class with
//! probability `positive_fraction` and of another class otherwise (Eq. 21's two terms).

use crate::adam::{Adam, AdamParams};
use crate::checkpoint::{load_variables, named_variables, read_checkpoint, write_checkpoint};
use crate::convert::tensor_to_matrix;
use crate::error::{NnError, Result};
use nalgebra::DMatrix;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::nn;
use tch::{Device, Kind, Tensor};

/// Everything that defines the Siamese network and its training. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiameseConfig {
    /// Side of the square single-channel input images (28 for Fashion-MNIST); at least 16.
    pub image_side: usize,
    /// Feature dimension (16 in the paper).
    pub output_dim: usize,
    /// Margin ε of Eq. 21.
    pub margin: f64,
    /// Fraction of same-class pairs in a batch.
    pub positive_fraction: f64,
    /// Pairs per step.
    pub batch_size: usize,
    /// Gradient steps.
    pub steps: usize,
    /// Adam step size (the official code's 1e-4).
    pub learning_rate: f64,
    /// Seed of the weights and of the pair draws.
    pub seed: u64,
}

impl Default for SiameseConfig {
    fn default() -> Self {
        Self {
            image_side: 28,
            output_dim: 16,
            margin: 1.0,
            positive_fraction: 0.5,
            batch_size: 128,
            steps: 10000,
            learning_rate: 1e-4,
            seed: 0,
        }
    }
}

impl SiameseConfig {
    /// Side left after the two conv (5×5, valid) + max-pool (2) stages.
    pub fn final_side(&self) -> usize {
        (self.image_side.saturating_sub(4) / 2).saturating_sub(4) / 2
    }

    /// Validates the configuration.
    pub fn check(&self) -> Result<()> {
        let bad = |s: String| Err(NnError::InvalidConfig(s));
        if self.image_side < 16 {
            return bad(format!(
                "images must be at least 16×16 for two 5×5 conv + pool stages, got side {}",
                self.image_side
            ));
        }
        if self.output_dim == 0 || self.batch_size == 0 || self.steps == 0 {
            return bad("output_dim, batch_size and steps must be >= 1".into());
        }
        basis_data::limits::check_steps("steps", self.steps).or_else(bad)?;
        crate::check_network_size(&[500, 10, self.output_dim], 1)?;
        if !(self.margin.is_finite() && self.margin > 0.0) {
            return bad(format!(
                "margin must be finite and > 0, got {}",
                self.margin
            ));
        }
        if !(0.0..=1.0).contains(&self.positive_fraction) {
            return bad(format!(
                "positive_fraction must be in [0, 1], got {}",
                self.positive_fraction
            ));
        }
        AdamParams::with_learning_rate(self.learning_rate).check()
    }
}

/// The CNN.
#[derive(Debug)]
pub struct SiameseNet {
    vs: nn::VarStore,
    conv1: nn::Conv2D,
    conv2: nn::Conv2D,
    fc1: nn::Linear,
    fc2: nn::Linear,
    fc3: nn::Linear,
    config: SiameseConfig,
}

/// Re-initialises every variable of `vs` from `seed` alone with PyTorch's default
/// distribution for conv and linear layers: uniform in ±1/√fan_in, fan_in of a bias being
/// its layer's. Variables are visited in name order, so the result depends on the seed only.
pub fn init_uniform_from_seed(vs: &nn::VarStore, seed: u64) {
    let vars: std::collections::BTreeMap<String, Tensor> = vs.variables().into_iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let _guard = tch::no_grad_guard();
    for (name, t) in &vars {
        let fan_in = if name.ends_with(".bias") {
            let w = name.trim_end_matches(".bias").to_string() + ".weight";
            vars.get(&w).map_or(1, |w| w.numel() / w.size()[0] as usize)
        } else {
            t.numel() / t.size().first().copied().unwrap_or(1).max(1) as usize
        };
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        let values: Vec<f32> = (0..t.numel())
            .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32)
            .collect();
        let mut t = t.shallow_clone();
        t.copy_(&Tensor::from_slice(&values).view(t.size().as_slice()));
    }
}

#[derive(Serialize, Deserialize)]
struct SiameseMeta {
    config: SiameseConfig,
}

impl SiameseNet {
    /// A network with weights drawn from `config.seed`.
    pub fn new(config: &SiameseConfig) -> Result<Self> {
        config.check()?;
        let vs = nn::VarStore::new(Device::Cpu);
        let root = vs.root();
        let s = config.final_side() as i64;
        let conv1 = nn::conv2d(&root / "conv1", 1, 20, 5, Default::default());
        let conv2 = nn::conv2d(&root / "conv2", 20, 50, 5, Default::default());
        let fc1 = nn::linear(&root / "fc1", 50 * s * s, 500, Default::default());
        let fc2 = nn::linear(&root / "fc2", 500, 10, Default::default());
        let fc3 = nn::linear(
            &root / "fc3",
            10,
            config.output_dim as i64,
            Default::default(),
        );
        init_uniform_from_seed(&vs, config.seed);
        Ok(Self {
            vs,
            conv1,
            conv2,
            fc1,
            fc2,
            fc3,
            config: config.clone(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SiameseConfig {
        &self.config
    }

    /// Feature dimension.
    pub fn output_dim(&self) -> usize {
        self.config.output_dim
    }

    /// Input dimension (pixels per image).
    pub fn input_dim(&self) -> usize {
        self.config.image_side * self.config.image_side
    }

    /// Forward pass on `[n, side²]` or `[n, 1, side, side]` pixels.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let side = self.config.image_side as i64;
        x.view([-1, 1, side, side])
            .apply(&self.conv1)
            .max_pool2d_default(2)
            .apply(&self.conv2)
            .max_pool2d_default(2)
            .flatten(1, -1)
            .apply(&self.fc1)
            .relu()
            .apply(&self.fc2)
            .apply(&self.fc3)
    }

    /// Features of the rows of `x` (n × side² pixels) → n × `output_dim`, in chunks.
    pub fn features(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        if x.ncols() != self.input_dim() {
            return Err(NnError::Shape(format!(
                "the Siamese network expects {} pixels per image, got {}",
                self.input_dim(),
                x.ncols()
            )));
        }
        basis_data::check_finite(x)?;
        let images = ImageTensor::new(x);
        self.features_of(&images, &(0..x.nrows()).collect::<Vec<_>>())
    }

    /// Features of the images `rows` of an already converted set.
    pub fn features_of(&self, images: &ImageTensor, rows: &[usize]) -> Result<DMatrix<f64>> {
        let _guard = tch::no_grad_guard();
        let mut out = DMatrix::zeros(rows.len(), self.output_dim());
        for (c, chunk) in rows.chunks(2048).enumerate() {
            let y = tensor_to_matrix(&self.forward(&images.select(chunk)))?;
            out.rows_mut(c * 2048, chunk.len()).copy_from(&y);
        }
        Ok(out)
    }

    /// Saves weights and configuration as an atomic checkpoint directory.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        write_checkpoint(
            dir,
            &named_variables(&self.vs, ""),
            &SiameseMeta {
                config: self.config.clone(),
            },
        )?;
        Ok(())
    }

    /// Loads a network written by [`SiameseNet::save`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let (tensors, meta): (_, SiameseMeta) = read_checkpoint(dir)?;
        let mut net = Self::new(&meta.config)?;
        load_variables(&mut net.vs, &tensors, "")?;
        Ok(net)
    }
}

/// Images converted once to an `f32` tensor `[n, side²]`, from which batches are gathered.
#[derive(Debug)]
pub struct ImageTensor {
    data: Tensor,
}

impl ImageTensor {
    /// Converts the rows of `x`.
    pub fn new(x: &DMatrix<f64>) -> Self {
        Self {
            data: crate::convert::matrix_to_tensor(x),
        }
    }

    /// Rows `rows` as a tensor.
    pub fn select(&self, rows: &[usize]) -> Tensor {
        let idx: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
        self.data.index_select(0, &Tensor::from_slice(&idx))
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.data.size()[0] as usize
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Eq. 21 averaged over pairs: `same · d² + (1 − same) · max(0, ε − d)²` with `d = ‖a − b‖₂`.
pub fn contrastive_loss(a: &Tensor, b: &Tensor, same: &Tensor, margin: f64) -> Tensor {
    let d2 = (a - b)
        .pow_tensor_scalar(2)
        .sum_dim_intlist(1, false, Kind::Float);
    // The small shift keeps the gradient of √· finite for identical outputs.
    let d = (&d2 + 1e-12).sqrt();
    let push = (-d + margin).clamp_min(0.0).pow_tensor_scalar(2);
    (same * &d2 + (-same + 1.0) * push).mean(Kind::Float)
}

/// Draws contrastive pairs by class.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairSampler {
    by_class: Vec<Vec<usize>>,
    labels: Vec<usize>,
}

impl PairSampler {
    /// Needs at least two classes, each with at least two members.
    pub fn new(labels: &[usize]) -> Result<Self> {
        let classes = labels.iter().max().map_or(0, |m| m + 1);
        let mut by_class = vec![Vec::new(); classes];
        for (i, &y) in labels.iter().enumerate() {
            by_class[y].push(i);
        }
        by_class.retain(|c| !c.is_empty());
        if by_class.len() < 2 || by_class.iter().any(|c| c.len() < 2) {
            return Err(NnError::InvalidConfig(
                "contrastive pairs need at least two classes with two images each".into(),
            ));
        }
        Ok(Self {
            by_class,
            labels: labels.to_vec(),
        })
    }

    /// `count` pairs `(i, j, same)`, same-class with probability `positive_fraction`.
    pub fn draw<R: Rng + ?Sized>(
        &self,
        count: usize,
        positive_fraction: f64,
        rng: &mut R,
    ) -> (Vec<usize>, Vec<usize>, Vec<f32>) {
        let n = self.labels.len();
        let classes = self.by_class.len();
        let (mut left, mut right, mut same) = (
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
        );
        // Class of a point as an index into `by_class` (labels may skip values).
        let slot = |y: usize| self.by_class.iter().position(|c| self.labels[c[0]] == y);
        for _ in 0..count {
            let i = rng.random_range(0..n);
            let ci = slot(self.labels[i]).unwrap_or(0);
            let positive = rng.random::<f64>() < positive_fraction;
            let cj = if positive {
                ci
            } else {
                (ci + rng.random_range(1..classes)) % classes
            };
            let members = &self.by_class[cj];
            let mut j = members[rng.random_range(0..members.len())];
            while positive && j == i {
                j = members[rng.random_range(0..members.len())];
            }
            left.push(i);
            right.push(j);
            same.push(f32::from(u8::from(positive)));
        }
        (left, right, same)
    }
}

/// One logged Siamese step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SiameseLog {
    /// Step (0-based).
    pub step: usize,
    /// Eq. 21 on this step's pairs.
    pub loss: f64,
}

/// The Siamese network with its optimiser and pair sampler: one contrastive step at a time
/// (Algorithm 2 interleaves these with spectral steps).
#[derive(Debug)]
pub struct SiameseTrainer {
    net: SiameseNet,
    opt: Adam,
    pairs: PairSampler,
    rng: ChaCha8Rng,
    steps: usize,
}

impl SiameseTrainer {
    /// A fresh network for images with these labels.
    pub fn new(config: &SiameseConfig, labels: &[usize]) -> Result<Self> {
        let net = SiameseNet::new(config)?;
        let opt = Adam::new(
            &net.vs,
            AdamParams::with_learning_rate(config.learning_rate),
        )?;
        Ok(Self {
            net,
            opt,
            pairs: PairSampler::new(labels)?,
            rng: ChaCha8Rng::seed_from_u64(config.seed ^ 0x5EED_5EED),
            steps: 0,
        })
    }

    /// One contrastive step on pairs from `images` (the set the labels describe).
    pub fn step(&mut self, images: &ImageTensor) -> Result<SiameseLog> {
        let c = &self.net.config;
        let (l, r, same) = self
            .pairs
            .draw(c.batch_size, c.positive_fraction, &mut self.rng);
        let both: Vec<usize> = l.iter().chain(&r).copied().collect();
        let out = self.net.forward(&images.select(&both));
        let b = l.len() as i64;
        let loss = contrastive_loss(
            &out.narrow(0, 0, b),
            &out.narrow(0, b, b),
            &Tensor::from_slice(&same),
            c.margin,
        );
        self.opt.backward_step(&loss);
        let value = loss.double_value(&[]);
        if !value.is_finite() {
            return Err(NnError::Diverged {
                iteration: self.steps,
                loss: value,
            });
        }
        let log = SiameseLog {
            step: self.steps,
            loss: value,
        };
        self.steps += 1;
        Ok(log)
    }

    /// The network being trained.
    pub fn net(&self) -> &SiameseNet {
        &self.net
    }

    /// Ends training.
    pub fn into_net(self) -> SiameseNet {
        self.net
    }
}

/// Trains a Siamese network on `images` (n × side² pixels in [0, 1]) with `labels`.
/// `observer` sees every step.
pub fn train_siamese(
    images: &DMatrix<f64>,
    labels: &[usize],
    config: &SiameseConfig,
    observer: &mut dyn FnMut(&SiameseLog),
) -> Result<(SiameseNet, Vec<SiameseLog>)> {
    config.check()?;
    if images.nrows() != labels.len() {
        return Err(NnError::Shape(format!(
            "{} images but {} labels",
            images.nrows(),
            labels.len()
        )));
    }
    if images.ncols() != config.image_side * config.image_side {
        return Err(NnError::Shape(format!(
            "images have {} pixels, the configuration says {}×{}",
            images.ncols(),
            config.image_side,
            config.image_side
        )));
    }
    basis_data::check_finite(images)?;
    let tensor = ImageTensor::new(images);
    let mut trainer = SiameseTrainer::new(config, labels)?;
    let mut logs = Vec::new();
    for _ in 0..config.steps {
        let log = trainer.step(&tensor)?;
        observer(&log);
        logs.push(log);
    }
    Ok((trainer.into_net(), logs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrastive_loss_matches_eq_21_by_hand() {
        // Pair 1 (same): d² = 3² + 4² = 25. Pair 2 (different, d = 0.5 < ε = 2): (2 − 0.5)² = 2.25.
        // Pair 3 (different, d = 5 > ε): 0. Mean = 27.25 / 3.
        let a = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 1.0, 0.0, 0.0]).view([3, 2]);
        let b = Tensor::from_slice(&[3.0f32, 4.0, 1.0, 1.5, 3.0, 4.0]).view([3, 2]);
        let same = Tensor::from_slice(&[1.0f32, 0.0, 0.0]);
        let loss = contrastive_loss(&a, &b, &same, 2.0).double_value(&[]);
        assert!((loss - 27.25 / 3.0).abs() < 1e-5, "{loss}");
    }

    #[test]
    fn pairs_respect_the_requested_classes() {
        let labels: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let s = PairSampler::new(&labels).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (l, r, same) = s.draw(500, 0.5, &mut rng);
        let positives = same.iter().filter(|&&v| v == 1.0).count();
        assert!((200..300).contains(&positives), "{positives}");
        for ((&i, &j), &s) in l.iter().zip(&r).zip(&same) {
            assert_eq!(labels[i] == labels[j], s == 1.0);
            assert!(s == 0.0 || i != j);
        }
        assert!(PairSampler::new(&[0, 0, 0]).is_err());
        assert!(PairSampler::new(&[0, 1, 1]).is_err());
    }

    #[test]
    fn shapes_checks_and_save_load_round_trip() {
        let config = SiameseConfig {
            image_side: 16,
            output_dim: 3,
            steps: 2,
            batch_size: 4,
            ..Default::default()
        };
        assert_eq!(config.final_side(), 1);
        let x = DMatrix::from_fn(10, 256, |i, j| ((i * 7 + j) % 11) as f64 / 11.0);
        let labels: Vec<usize> = (0..10).map(|i| i % 2).collect();
        let (net, logs) = train_siamese(&x, &labels, &config, &mut |_| {}).unwrap();
        assert_eq!(logs.len(), 2);
        let f = net.features(&x).unwrap();
        assert_eq!(f.shape(), (10, 3));
        let dir = std::env::temp_dir().join(format!("basis-siamese-{}", std::process::id()));
        net.save(&dir).unwrap();
        let back = SiameseNet::load(&dir).unwrap();
        assert_eq!(back.features(&x).unwrap(), f);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(net.features(&DMatrix::zeros(2, 5)).is_err());
        let bad = SiameseConfig {
            image_side: 12,
            ..config.clone()
        };
        assert!(SiameseNet::new(&bad).is_err());
    }
}
