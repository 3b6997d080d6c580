//! The trained BASiS network ([`BasisModel`]): the MLP with its input standardisation,
//! embedding new points, saving and loading.

use super::config::BasisConfig;
use super::trainer::{BasisTrainer, IterationLog, TrainerState};
use crate::{MethodError, Result};
use basis_nn::NnError;
use basis_nn::checkpoint::{load_variables, named_variables, read_checkpoint, write_checkpoint};
use basis_nn::convert::{matrix_to_tensor, tensor_to_matrix};
use basis_nn::mlp::Mlp;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::Device;
use tch::nn;

/// A trained BASiS network with its input standardisation.
#[derive(Debug)]
pub struct BasisModel {
    pub(super) vs: nn::VarStore,
    pub(super) net: Mlp,
    pub(super) mean: Vec<f64>,
    pub(super) std: Vec<f64>,
    pub(super) input_dim: usize,
    pub(super) output_dim: usize,
    pub(super) config: BasisConfig,
}

/// Serialisable description of a saved model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ModelMeta {
    pub(super) config: BasisConfig,
    pub(super) mean: Vec<f64>,
    pub(super) std: Vec<f64>,
    pub(super) input_dim: usize,
    pub(super) output_dim: usize,
}

/// What a checkpoint holds besides the tensors: the model, and the trainer's state when it
/// was written by [`BasisTrainer::save_checkpoint`].
#[derive(Serialize, Deserialize)]
pub(super) struct CheckpointMeta {
    pub(super) model: ModelMeta,
    pub(super) trainer: Option<TrainerState>,
}

pub(super) fn check_finite(x: &DMatrix<f64>) -> Result<()> {
    for (col, c) in x.column_iter().enumerate() {
        if let Some(row) = c.iter().position(|v| !v.is_finite()) {
            return Err(MethodError::NonFinite(format!("row {row}, column {col}")));
        }
    }
    Ok(())
}

impl BasisModel {
    pub(super) fn build(
        input_dim: usize,
        output_dim: usize,
        config: BasisConfig,
        mean: Vec<f64>,
        std: Vec<f64>,
    ) -> Result<Self> {
        let vs = nn::VarStore::new(Device::Cpu);
        let net = Mlp::new(&vs.root(), input_dim, output_dim, &config.mlp)?;
        Ok(Self {
            vs,
            net,
            mean,
            std,
            input_dim,
            output_dim,
            config,
        })
    }

    pub(super) fn meta(&self) -> ModelMeta {
        ModelMeta {
            config: self.config.clone(),
            mean: self.mean.clone(),
            std: self.std.clone(),
            input_dim: self.input_dim,
            output_dim: self.output_dim,
        }
    }

    pub(super) fn from_checkpoint(
        tensors: &std::collections::BTreeMap<String, tch::Tensor>,
        meta: ModelMeta,
    ) -> Result<Self> {
        if meta.mean.len() != meta.input_dim || meta.std.len() != meta.input_dim {
            return Err(MethodError::Nn(NnError::Checkpoint(format!(
                "standardisation has {}/{} entries for {} inputs",
                meta.mean.len(),
                meta.std.len(),
                meta.input_dim
            ))));
        }
        if let Some(j) = (0..meta.input_dim)
            .find(|&j| !(meta.mean[j].is_finite() && meta.std[j].is_finite() && meta.std[j] > 0.0))
        {
            return Err(MethodError::Nn(NnError::Checkpoint(format!(
                "input {j} is standardised with mean {} and deviation {}; a deviation must be finite and > 0",
                meta.mean[j], meta.std[j]
            ))));
        }
        let mut model = BasisModel::build(
            meta.input_dim,
            meta.output_dim,
            meta.config,
            meta.mean,
            meta.std,
        )?;
        load_variables(&mut model.vs, tensors, NET_PREFIX)?;
        Ok(model)
    }

    /// The configuration the model was trained with.
    pub fn config(&self) -> &BasisConfig {
        &self.config
    }

    /// Embedding dimension K.
    pub fn output_dim(&self) -> usize {
        self.output_dim
    }

    /// Number of input features.
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    pub(super) fn standardize(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        crate::standardize::standardize(x, &self.mean, &self.std)
    }

    /// Network outputs for the rows of `x` (n × d) → n × K. Batched internally.
    pub fn embed(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        if x.ncols() != self.input_dim {
            return Err(MethodError::Shape(format!(
                "model expects {} features, got {}",
                self.input_dim,
                x.ncols()
            )));
        }
        check_finite(x)?;
        let z = self.standardize(x);
        let mut out = DMatrix::zeros(x.nrows(), self.output_dim);
        let chunk = 8192;
        let _guard = tch::no_grad_guard();
        let mut start = 0;
        while start < x.nrows() {
            let rows = chunk.min(x.nrows() - start);
            let t = matrix_to_tensor(&z.rows(start, rows).into_owned());
            let y = tensor_to_matrix(&self.net.forward(&t))?;
            out.rows_mut(start, rows).copy_from(&y);
            start += rows;
        }
        Ok(out)
    }

    /// Trains a model with Algorithm 1 on the rows of `x`, with the given anchor rows.
    ///
    /// `observer` sees every iteration's log (for progress bars and curves).
    pub fn fit(
        x: &DMatrix<f64>,
        anchors: &[usize],
        config: &BasisConfig,
        observer: &mut dyn FnMut(&IterationLog),
    ) -> Result<(BasisModel, Vec<IterationLog>)> {
        let mut trainer = BasisTrainer::new(x, anchors, config)?;
        trainer.run(x, config.iterations, observer)?;
        Ok(trainer.finish())
    }

    /// Saves the model as an atomic checkpoint directory (safetensors + JSON).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        write_checkpoint(
            dir,
            &named_variables(&self.vs, NET_PREFIX),
            &CheckpointMeta {
                model: self.meta(),
                trainer: None,
            },
        )?;
        Ok(())
    }

    /// Loads a model written by [`BasisModel::save`] or [`BasisTrainer::save_checkpoint`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let (tensors, meta): (_, CheckpointMeta) = read_checkpoint(dir)?;
        Self::from_checkpoint(&tensors, meta.model)
    }
}

pub(super) const NET_PREFIX: &str = "net.";
