//! Reproductions of the BASiS paper's experiments, each a serialisable config, a
//! `run_*` function returning a report, and files (JSON, PNG) written atomically.
//!
//! | module | paper | xtask |
//! |---|---|---|
//! | [`alignment_spread`] | Fig. 3: anchors' eigenvector coordinates over 20 batches, before and after alignment | `cargo xtask reproduce fig3` |
//! | [`demo`] (feature `nn`) | Fig. 1: BASiS on three moons | `cargo xtask demo` |
//! | [`fashion_mnist`] (`nn`) | Table 1's BASiS row: Siamese features (cached), Algorithm 1 over seeds, the five metrics | `cargo xtask reproduce basis` |
//! | [`table1`] (`nn`) | Table 1: every method on the same features | `cargo xtask reproduce table1` |
//! | [`neuralef_ablations`] (`nn`) | NeuralEF's Gumbel-head ablations on Table 1's setting | `cargo xtask reproduce neuralef-ablations` |
//! | [`neuralef_closed_form`] (`nn`) | NeuralEF against the Gaussian kernel's Hermite eigenfunctions, beside Nyström | `cargo xtask reproduce neuralef-closed-form` |
//! | [`segmentation`] (`nn`) | NeuralEF's segmentation claims on procedural texture images with exact masks, against k-means and spectral clustering | `cargo xtask reproduce segmentation` |
//! | [`link_prediction`] (`nn`) | Lim et al.'s twin-graph link prediction: sign-equivariant networks against SignNet, GCN, decode-only, a learned decoder and an unconstrained MLP | `cargo xtask reproduce link-prediction` |
//! | [`ggae`] (`nn`) | Lim et al.'s graph geometry-preserving autoencoder beside the plain autoencoder on the Swiss roll with a hole and rotating Fashion-MNIST sequences | `cargo xtask reproduce ggae` |
//! | [`neighbors`] (`nn`) | Fig. 4: Table 1 over the number of neighbours | `cargo xtask sweep neighbors` |
//! | [`feature_change`] (`nn`) | Fig. 6 and Fig. 8: Algorithm 2, features and embedding trained together | `cargo xtask reproduce feature-change` |
//! | [`tightness`] (`nn`) | BASiS over the tightness of generated clusters | `cargo xtask sweep tightness` |
//! | [`graph_sweep`] | (tooling) exact and HNSW kNN of Fashion-MNIST, batch-graph cost, beside scikit-learn | `cargo xtask sweep graph` |

#[macro_use]
mod registry;

#[cfg(feature = "cli")]
pub mod cli;
pub mod docs;
pub mod engine;
pub mod error;
pub mod machine;
pub mod memory;
pub mod stats;

#[cfg(feature = "nn")]
pub mod features;
#[cfg(feature = "nn")]
pub mod prepare;

// The experiments. One entry each: it declares the module, renders its committed summary by
// name and, with feature `cli`, is its command (`Variant` in kebab case; the doc comment is
// the command's help). A new experiment is its module (an `Experiment` and, under
// `#[cfg(feature = "cli")] pub mod cli`, its clap `Args` with an `ExperimentArgs` impl) and one
// line here.
registry! {
    main {
        /// BASiS on a toy data set (three moons by default), scored on held-out points
        Demo = demo::{Demo, DemoArgs} if "nn";
    }
    reproduce {
        /// Fig. 3: the anchors' eigenvector coordinates over 20 batches, before and after alignment
        Fig3 = alignment_spread::{Fig3, Fig3Args};
        /// Table 1's BASiS row on Fashion-MNIST (or any image data set): Siamese features
        /// (cached), Algorithm 1 over seeds, test-set scores beside the paper's row
        Basis = fashion_mnist::{BasisRow, BasisArgs} if "nn";
        /// Algorithm 2: Siamese and spectral networks trained together (Fig. 6 and Fig. 8)
        FeatureChange = feature_change::{FeatureChange, FeatureChangeArgs} if "nn";
        /// Table 1: BASiS, Diffusion Net, SpectralNet, SpecNet2 and NeuralEF on the same features
        Table1 = table1::{Table1Comparison, Table1Args} if "nn";
        /// NeuralEF against the closed-form eigenfunctions of a Gaussian kernel (Hermite
        /// functions), beside a Nyström estimate from the same points
        NeuralefClosedForm = neuralef_closed_form::{ClosedForm, ClosedFormArgs} if "nn";
        /// NeuralEF's Gumbel-head ablations on Table 1's setting: plain softmax, no orthogonal
        /// last layer, no stop-gradient
        NeuralefAblations = neuralef_ablations::{NeuralefAblations, NeuralefAblationsArgs} if "nn";
        /// Unsupervised segmentation of procedural texture images with exact masks: NeuralEF's
        /// Gumbel head against k-means, exact spectral clustering and a colour normalised cut
        Segmentation = segmentation::{Segmentation, SegmentationArgs} if "nn";
        /// Lim et al.'s twin-graph link prediction: the sign-equivariant network against SignNet,
        /// GCN, decode-only, a learned decoder and an unconstrained MLP on the eigenvectors
        LinkPrediction = link_prediction::{LinkPrediction, LinkPredictionArgs} if "nn";
        /// Lim et al.'s graph geometry-preserving autoencoder (GGAE) beside the plain autoencoder
        /// on the Swiss roll with a hole and rotating Fashion-MNIST sequences
        Ggae = ggae::{Ggae, GgaeArgs} if "nn";
    }
    sweep {
        /// Fig. 4: the Table 1 comparison for every number of neighbours k
        Neighbors = neighbors::{Neighbors, NeighborsArgs} if "nn";
        /// BASiS on generated tight clusters at every within-class spread
        Tightness = tightness::{Tightness, TightnessArgs} if "nn";
        /// Exact and HNSW kNN of Fashion-MNIST and the batch-graph cost, timed
        Graph = graph_sweep::{GraphSweep, GraphSweepArgs};
        /// K eigenpairs of L_N of Fashion-MNIST's kNN graph, timed
        Spectral = spectral_sweep::{SpectralSweep, SpectralSweepArgs};
    }
}

pub use engine::{Experiment, Rendered, RunContext};
pub use error::{ExperimentError, Result};

#[cfg(all(test, feature = "cli"))]
mod registry_tests {
    use super::commands;
    use clap::Subcommand;

    /// Every registered experiment is reachable as the command its `NAME` says (`demo`,
    /// `reproduce <NAME>` or `sweep <NAME>`), once, and renders its summary by that name.
    #[test]
    fn every_registered_experiment_is_the_command_its_name_says() {
        let top = commands::ExperimentCommand::augment_subcommands(clap::Command::new("basis"));
        let mut commands = Vec::new();
        for sub in top.get_subcommands() {
            match sub.get_name() {
                "reproduce" | "sweep" => {
                    commands.extend(sub.get_subcommands().map(|c| c.get_name().to_string()))
                }
                other => commands.push(other.to_string()),
            }
        }
        let mut names = super::experiment_names();
        names.sort_unstable();
        commands.sort_unstable();
        assert_eq!(names.len(), 14);
        assert_eq!(names, commands);
        let missing = std::path::Path::new("/nonexistent/summary.json");
        for name in names {
            let md = super::markdown_by_name(name, missing).expect("registered");
            assert!(md.is_err(), "{name}: a missing file is an error");
        }
        assert!(super::markdown_by_name("no-such-experiment", missing).is_none());
    }
}
