//! The `registry!` macro behind the experiment registry in `lib.rs`: one line per
//! experiment declares its module, makes its committed summary renderable by name
//! ([`crate::markdown_by_name`]) and, with feature `cli`, its command
//! ([`crate::commands`]).

/// Expands the registry: `main`, `reproduce` and `sweep` groups of entries
/// `/// help` `Variant = module::{Experiment, Args} [if "feature"];`, where `Experiment`
/// implements [`crate::Experiment`] and `module::cli::Args` its command line.
macro_rules! registry {
    (
        main { $( $(#[$mm:meta])* $mv:ident = $mmod:ident :: { $me:ident, $ma:ident } $(if $mf:literal)?; )* }
        reproduce { $( $(#[$rm:meta])* $rv:ident = $rmod:ident :: { $re:ident, $ra:ident } $(if $rf:literal)?; )* }
        sweep { $( $(#[$sm:meta])* $sv:ident = $smod:ident :: { $se:ident, $sa:ident } $(if $sf:literal)?; )* }
    ) => {
        $( $(#[cfg(feature = $mf)])? pub mod $mmod; )*
        $( $(#[cfg(feature = $rf)])? pub mod $rmod; )*
        $( $(#[cfg(feature = $sf)])? pub mod $smod; )*

        /// The names of every registered experiment ([`Experiment::NAME`]) this build holds.
        #[allow(clippy::vec_init_then_push)]
        pub fn experiment_names() -> Vec<&'static str> {
            let mut names = Vec::new();
            $( $(#[cfg(feature = $mf)])? names.push(<$mmod::$me as $crate::Experiment>::NAME); )*
            $( $(#[cfg(feature = $rf)])? names.push(<$rmod::$re as $crate::Experiment>::NAME); )*
            $( $(#[cfg(feature = $sf)])? names.push(<$smod::$se as $crate::Experiment>::NAME); )*
            names
        }

        /// [`Experiment::markdown`] of the report in `path`, for the experiment whose
        /// [`Experiment::NAME`] is `name`; `None` when no registered experiment has that name
        /// (or it needs a feature this build lacks).
        pub fn markdown_by_name(
            name: &str,
            path: &::std::path::Path,
        ) -> Option<$crate::Result<String>> {
            $( $(#[cfg(feature = $mf)])?
            if name == <$mmod::$me as $crate::Experiment>::NAME {
                return Some($crate::docs::markdown_of::<$mmod::$me>(path));
            } )*
            $( $(#[cfg(feature = $rf)])?
            if name == <$rmod::$re as $crate::Experiment>::NAME {
                return Some($crate::docs::markdown_of::<$rmod::$re>(path));
            } )*
            $( $(#[cfg(feature = $sf)])?
            if name == <$smod::$se as $crate::Experiment>::NAME {
                return Some($crate::docs::markdown_of::<$smod::$se>(path));
            } )*
            let _ = path;
            None
        }

        /// The experiment commands (feature `cli`), generated from the registry: the binary
        /// flattens [`commands::ExperimentCommand`] into its own command enum and passes it
        /// to [`commands::handle`].
        #[cfg(feature = "cli")]
        pub mod commands {
            use $crate::cli::{Cmd, CliResult, Given, Handled};

            /// Every experiment command: the top-level ones, `reproduce …` and `sweep …`.
            #[derive(Debug, clap::Subcommand)]
            pub enum ExperimentCommand {
                $( $(#[$mm])* $mv(Cmd<$crate::$mmod::cli::$ma>), )*
                /// The paper's experiments (Fig. 3, Table 1's BASiS row, Algorithm 2, Table 1)
                #[command(subcommand)]
                Reproduce(ReproduceCommand),
                /// Sweeps: every method over k (Fig. 4), BASiS over cluster tightness, graph and
                /// eigensolver timings
                #[command(subcommand)]
                Sweep(SweepCommand),
            }

            /// The paper's experiments.
            #[derive(Debug, clap::Subcommand)]
            pub enum ReproduceCommand {
                $( $(#[$rm])* $rv(Cmd<$crate::$rmod::cli::$ra>), )*
            }

            /// The toolkit's sweeps.
            #[derive(Debug, clap::Subcommand)]
            pub enum SweepCommand {
                $( $(#[$sm])* $sv(Cmd<$crate::$smod::cli::$sa>), )*
            }

            /// Runs the command through [`crate::cli::handle`].
            pub fn handle(c: &ExperimentCommand, g: &Given) -> CliResult<Handled> {
                use $crate::cli::handle as run;
                match c {
                    $( ExperimentCommand::$mv(a) => run(a, g), )*
                    ExperimentCommand::Reproduce(c) => match c {
                        $( ReproduceCommand::$rv(a) => run(a, g), )*
                    },
                    ExperimentCommand::Sweep(c) => match c {
                        $( SweepCommand::$sv(a) => run(a, g), )*
                    },
                }
            }
        }
    };
}
