//! Fully connected networks with ReLU between layers (BASiS Sec. 5: "5 FC layers with ReLU").

use serde::{Deserialize, Serialize};
use tch::nn::{self, Module};

/// Layer widths of an MLP: `input → hidden[0] → ... → output`, ReLU between layers, none after the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Hidden widths (4 hidden layers give the paper's 5 fully connected layers).
    pub hidden: Vec<usize>,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self {
            hidden: vec![256, 512, 512, 256],
        }
    }
}

/// A multilayer perceptron.
#[derive(Debug)]
pub struct Mlp {
    seq: nn::Sequential,
}

impl Mlp {
    /// Builds the network under `path` of a var store.
    pub fn new(path: &nn::Path, input: usize, output: usize, config: &MlpConfig) -> Self {
        let mut dims = vec![input];
        dims.extend(&config.hidden);
        dims.push(output);
        let mut seq = nn::seq();
        let last = dims.len() - 2;
        for (i, w) in dims.windows(2).enumerate() {
            seq = seq.add(nn::linear(path / format!("fc{i}"), w[0] as i64, w[1] as i64, Default::default()));
            if i < last {
                seq = seq.add_fn(|x| x.relu());
            }
        }
        Self { seq }
    }

    /// Forward pass.
    pub fn forward(&self, x: &tch::Tensor) -> tch::Tensor {
        self.seq.forward(x)
    }
}
