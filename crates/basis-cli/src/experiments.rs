//! `basis demo`, `basis reproduce …` and `basis sweep …`: the experiment commands, generated
//! from the registry of `basis-experiments` ([`basis_experiments::commands`]) and run by its
//! one handler; here only what is printed. Tables go to stdout, the files written to stderr.

use crate::{CliResult, print_out};
use basis_experiments::cli::{Given, Handled};
use basis_experiments::commands::{self, ExperimentCommand};
use std::io::Write;

/// Runs an experiment command and prints its outcome.
pub fn run(c: &ExperimentCommand, g: &Given) -> CliResult<()> {
    match commands::handle(c, g)? {
        Handled::Config(json) => print_out(&json),
        Handled::Ran { markdown, written } => {
            print_out(&markdown)?;
            let mut e = std::io::stderr().lock();
            for p in &written {
                // A closed or full stderr loses the list, not the results already written.
                let _ = writeln!(e, "wrote {}", p.display());
            }
            Ok(())
        }
    }
}
