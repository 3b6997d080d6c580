//! NeuralEF's Gumbel-head ablations on Table 1's setting: plain softmax, no orthogonal last
//! layer, no stop-gradient ([`crate::table1::neuralef_ablations`]), NeuralEF alone over seeds,
//! scored as Table 1 scores it (`cargo xtask reproduce neuralef-ablations`).

use crate::table1::{Table1, Table1Config, neuralef_ablations, run_table1, table1_markdown};
use basis_methods::Method;
use std::path::PathBuf;

/// NeuralEF alone, in the configurations of [`neuralef_ablations`](crate::table1::neuralef_ablations), into
/// `results/neuralef-ablations`.
pub fn neuralef_ablations_config() -> Table1Config {
    let mut c = Table1Config {
        methods: vec![Method::NeuralEf],
        neuralef: neuralef_ablations(),
        ..Table1Config::default()
    };
    c.experiment.out_dir = PathBuf::from("results/neuralef-ablations");
    c
}

crate::engine::experiment! {
    /// `neuralef-ablations` as an [`Experiment`](crate::Experiment).
    pub struct NeuralefAblations = "neuralef-ablations" writes "table1";
    config Table1Config = neuralef_ablations_config(), out experiment.out_dir;
    report Table1;
    check(config) { config.experiment.check() }
    run(config, ctx) { run_table1(config, &ctx.seeds, ctx.progress) }
    markdown(report) { table1_markdown(report) }
}

/// The command line of `basis reproduce neuralef-ablations` (feature `cli`): its options and how they map
/// onto the configuration; [`crate::cli::handle`] does the rest.
#[cfg(feature = "cli")]
pub mod cli {
    use super::*;
    use crate::cli::*;
    use clap::Args;

    #[derive(Debug, Args)]
    pub struct NeuralefAblationsArgs {
        /// Data set: fashion-mnist, subspace-blobs or a data directory (--help for more)
        #[arg(long, long_help = DATASET_HELP, default_value_t = Table1Config::default().experiment.dataset)]
        dataset: String,
        /// Features NeuralEF embeds
        #[arg(long, value_enum, default_value_t = FeaturesArg::Siamese)]
        features: FeaturesArg,
        /// Iterations of every configuration
        #[arg(long, default_value_t = Table1Config::default().experiment.basis.iterations)]
        iterations: usize,
        #[command(flatten)]
        subset: SubsetArgs,
        /// Seeds 0..N
        #[arg(long, value_parser = runs(), default_value_t = 3, value_name = "N")]
        seeds: u64,
    }

    impl ExperimentArgs for NeuralefAblationsArgs {
        type E = NeuralefAblations;
        fn apply(&self, g: &Given, cfg: &mut Table1Config) -> CliResult<()> {
            let e = &mut cfg.experiment;
            g.set("dataset", &self.dataset, &mut e.dataset);
            if g.has("features") {
                e.features = self.features.source();
            }
            g.set("iterations", &self.iterations, &mut e.basis.iterations);
            self.subset.apply(g, e)?;
            Ok(())
        }
        fn seeds(&self) -> Vec<u64> {
            seeds(self.seeds)
        }
    }
}
