//! `basis-reproduce`: the paper's experiments. Run through `cargo xtask reproduce`.

use basis_data::cli::Args;
use basis_experiments::alignment_spread::{
    AlignmentSpreadConfig, SpreadDataset, run_alignment_spread,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
basis-reproduce <experiment> [options]

Experiments:
  fig3      anchors' eigenvector coordinates over 20 batches, before and after
            alignment (paper Fig. 3); prints the spread, writes fig3.png + report.json

Options of fig3:
  --dataset NAME      three-moons (default, the paper's setting) or fashion-mnist
                      (raw pixels, 512-point batches, 250 anchors, K = 10, RANSAC)
  --data-dir DIR      Fashion-MNIST IDX directory (default: $BASIS_FASHION_MNIST_DIR or
                      /usr/share/datasets/fashion-mnist)
  --batches N         batches compared (default 20)
  --seed S            seed of every random choice (default 0)
  --out DIR           output directory (default runs/fig3-<dataset>)
  --config FILE       the whole configuration as JSON (options given after it override it)
  --print-config      print the effective configuration as JSON and exit
  --no-progress       no progress bar
";

struct Options {
    config: AlignmentSpreadConfig,
    progress: bool,
    print: bool,
}

fn parse_fig3(mut args: Args) -> Result<Options, String> {
    let mut o = Options {
        config: AlignmentSpreadConfig::three_moons(),
        progress: true,
        print: false,
    };
    while let Some(flag) = args.next_flag() {
        match flag.as_str() {
            "--help" | "-h" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            "--dataset" => {
                o.config = match args.value()?.as_str() {
                    "three-moons" => AlignmentSpreadConfig::three_moons(),
                    "fashion-mnist" => AlignmentSpreadConfig::fashion_mnist(),
                    other => {
                        return Err(format!(
                            "unknown dataset {other:?} (three-moons, fashion-mnist)"
                        ));
                    }
                };
            }
            "--data-dir" => {
                let dir = PathBuf::from(args.value()?);
                match &mut o.config.dataset {
                    SpreadDataset::FashionMnist { dir: d, .. } => *d = Some(dir),
                    SpreadDataset::ThreeMoons { .. } => {
                        return Err(
                            "--data-dir applies to --dataset fashion-mnist (give --dataset first)"
                                .into(),
                        );
                    }
                }
            }
            "--config" => {
                let text = std::fs::read_to_string(args.value()?).map_err(|e| e.to_string())?;
                o.config = serde_json::from_str(&text).map_err(|e| format!("bad config: {e}"))?;
            }
            "--batches" => o.config.batches = args.parse()?,
            "--seed" => {
                o.config.seed = args.parse()?;
                o.config.align.seed = o.config.seed;
            }
            "--out" => o.config.out_dir = PathBuf::from(args.value()?),
            "--no-progress" => o.progress = false,
            "--print-config" => o.print = true,
            _ => return Err(format!("{}\n\n{HELP}", args.unknown())),
        }
    }
    Ok(o)
}

fn fig3(args: Args) -> Result<(), String> {
    let o = parse_fig3(args)?;
    if o.print {
        println!(
            "{}",
            serde_json::to_string_pretty(&o.config).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let bar = if o.progress {
        let b = ProgressBar::new(o.config.batches as u64);
        b.set_style(
            ProgressStyle::with_template("fig3 {bar:30} {pos}/{len} batches [{elapsed}]")
                .map_err(|e| e.to_string())?,
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let report = run_alignment_spread(&o.config, &mut |n| bar.set_position(n as u64))
        .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    println!("{}", report.summary());
    for p in &report.outputs {
        println!("wrote {}", p.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = Args::from_env();
    let result = match args.next_flag().as_deref() {
        Some("fig3") => fig3(args),
        Some("-h" | "--help" | "help") | None => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown experiment {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
