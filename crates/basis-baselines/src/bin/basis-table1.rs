//! `basis-table1`: BASiS and the three baselines on the same features (paper Table 1).
//! Run through `cargo xtask reproduce table1`.

use basis_baselines::table1::{Table1Config, run_table1, table1_markdown};
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
basis-table1: BASiS, Diffusion Net, SpectralNet and SpecNet2 on the same Siamese features

Options:
  --dataset D        fashion-mnist (default) or a directory of IDX / .npy files
  --seeds N          seeds 0..N (default 10)
  --iterations N     iterations of every method (default 1000)
  --out DIR          output directory (default results/table1)
  --config FILE      the whole configuration as JSON; --print-config shows it
  --no-progress      no progress bars
";

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut cfg = Table1Config::default();
    let mut seeds: Vec<u64> = (0..10).collect();
    let (mut progress, mut print) = (true, false);
    let mut i = 0;
    while i < args.len() {
        let value = || {
            args.get(i + 1)
                .cloned()
                .ok_or_else(|| format!("{} needs a value", args[i]))
        };
        match args[i].as_str() {
            "--help" | "-h" => {
                print!("{HELP}");
                return Ok(());
            }
            "--dataset" => cfg.experiment.dataset = value()?,
            "--seeds" => seeds = (0..value()?.parse::<u64>().map_err(|e| e.to_string())?).collect(),
            "--iterations" => {
                cfg.experiment.basis.iterations = value()?.parse().map_err(|e| format!("{e}"))?
            }
            "--out" => cfg.experiment.out_dir = PathBuf::from(value()?),
            "--config" => {
                let text = std::fs::read_to_string(value()?).map_err(|e| e.to_string())?;
                cfg = serde_json::from_str(&text).map_err(|e| format!("bad config: {e}"))?;
            }
            "--no-progress" => {
                progress = false;
                i += 1;
                continue;
            }
            "--print-config" => {
                print = true;
                i += 1;
                continue;
            }
            other => return Err(format!("unknown option {other:?}\n\n{HELP}")),
        }
        i += 2;
    }
    if print {
        println!(
            "{}",
            serde_json::to_string_pretty(&cfg).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let table = run_table1(&cfg, &seeds, progress).map_err(|e| e.to_string())?;
    println!("{}", table1_markdown(&table));
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
