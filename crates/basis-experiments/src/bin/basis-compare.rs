//! `basis-compare`: BASiS and the three baselines on the same features — the paper's Table 1
//! (`table1`) and its Fig. 4 sweep over the number of neighbours (`neighbors`). Run through
//! `cargo xtask reproduce table1` and `cargo xtask sweep neighbors`.

use basis_data::cli::Args;
use basis_experiments::neighbors::{
    NeighborSweepConfig, neighbor_sweep_markdown, run_neighbor_sweep,
};
use basis_experiments::table1::{Table1Config, run_table1, table1_markdown};
use basis_methods::method::Method;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
basis-compare table1 [OPTIONS]      BASiS, Diffusion Net, SpectralNet and SpecNet2 on the same
                                    Siamese features, beside the paper's Table 1 column
basis-compare neighbors [OPTIONS]   the same comparison for every number of neighbours k
                                    (paper Fig. 4): table per metric and neighbors.png

Options:
  --dataset D        fashion-mnist (default), subspace-blobs (generated tight clusters; use
                     --features raw) or a directory of MNIST-style IDX files or of
                     train_x.npy, train_y.npy, test_x.npy, test_y.npy
  --spread X         subspace-blobs: within-class spread (default 0.035)
  --features F       siamese (default) or raw (the data's columns as features)
  --seeds N          seeds 0..N (default: table1 10, neighbors 3)
  --iterations N     iterations of every method (default 1000)
  --classes A,B,...  keep these classes only
  --limit-train N    at most N training points; --limit-test N likewise
  --methods M,M      a subset of basis, diffusion-net, spectralnet, specnet2 (default all)
  --neighbors K,K    (neighbors) the values of k (default 10,20,30,50,75,100)
  --out DIR          output directory (default results/table1, results/sweep-neighbors)
  --config FILE      the whole configuration as JSON (options given after it override it);
                     --print-config shows it
  --no-progress      no progress bars

Re-running with the same configuration reuses every finished (method, seed) run.
";

fn run() -> Result<(), String> {
    let mut args = Args::from_env();
    let sweep = match args.next_flag().as_deref() {
        Some("table1") => false,
        Some("neighbors") => true,
        Some("--help" | "-h") | None => {
            print!("{HELP}");
            return Ok(());
        }
        Some(other) => return Err(format!("unknown command {other:?}\n\n{HELP}")),
    };
    let mut cfg = NeighborSweepConfig::default();
    let mut seeds: Vec<u64> = (0..if sweep { 3 } else { 10 }).collect();
    let mut out: Option<PathBuf> = None;
    let (mut progress, mut print) = (true, false);
    while let Some(flag) = args.next_flag() {
        let experiment = &mut cfg.table.experiment;
        match flag.as_str() {
            "--help" | "-h" => {
                print!("{HELP}");
                return Ok(());
            }
            "--dataset" => experiment.dataset = args.value()?,
            "--spread" => experiment.blobs.spread = args.parse()?,
            "--features" => {
                experiment.features = match args.value()?.as_str() {
                    "siamese" => basis_experiments::fashion_mnist::FeatureSource::Siamese,
                    "raw" => basis_experiments::fashion_mnist::FeatureSource::Raw,
                    other => return Err(format!("unknown feature source {other:?}")),
                }
            }
            "--seeds" => seeds = (0..args.parse::<u64>()?).collect(),
            "--iterations" => experiment.basis.iterations = args.parse()?,
            "--classes" => experiment.classes = args.list()?,
            "--limit-train" => experiment.limit_train = Some(args.parse()?),
            "--limit-test" => experiment.limit_test = Some(args.parse()?),
            "--methods" => {
                cfg.table.methods = args
                    .list::<String>()?
                    .iter()
                    .map(|m| Method::from_slug(m).ok_or_else(|| format!("unknown method {m:?}")))
                    .collect::<Result<_, _>>()?
            }
            "--neighbors" if sweep => cfg.neighbors = args.list()?,
            "--out" => out = Some(PathBuf::from(args.value()?)),
            "--config" => {
                let text = std::fs::read_to_string(args.value()?).map_err(|e| e.to_string())?;
                cfg = if sweep {
                    serde_json::from_str(&text)
                } else {
                    serde_json::from_str(&text).map(|table: Table1Config| NeighborSweepConfig {
                        table,
                        ..cfg.clone()
                    })
                }
                .map_err(|e| format!("bad config: {e}"))?;
            }
            "--no-progress" => progress = false,
            "--print-config" => print = true,
            _ => return Err(format!("{}\n\n{HELP}", args.unknown())),
        }
    }
    if let Some(dir) = out {
        if sweep {
            cfg.out_dir = dir;
        } else {
            cfg.table.experiment.out_dir = dir;
        }
    }
    if print {
        let text = if sweep {
            pretty(&cfg)?
        } else {
            pretty(&cfg.table)?
        };
        println!("{text}");
        return Ok(());
    }
    if sweep {
        let s = run_neighbor_sweep(&cfg, &seeds, progress).map_err(|e| e.to_string())?;
        println!("{}", neighbor_sweep_markdown(&s));
        eprintln!("wrote {}", cfg.out_dir.join("neighbors.png").display());
    } else {
        let t = run_table1(&cfg.table, &seeds, progress).map_err(|e| e.to_string())?;
        println!("{}", table1_markdown(&t));
    }
    Ok(())
}

fn pretty<T: serde::Serialize>(v: &T) -> Result<String, String> {
    serde_json::to_string_pretty(v).map_err(|e| e.to_string())
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
