//! `basis-demo`: BASiS on a toy data set. Run through `cargo xtask demo`.

use basis_data::cli::Args;
use basis_data::toy::ToyKind;
use basis_experiments::demo::{DemoConfig, run_demo};
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
basis-demo: train BASiS (Algorithm 1) on a toy data set and score it on held-out points

Options:
  --toy NAME          three-moons (default), two-moons, circles, blobs, spirals
  --iterations N      training iterations (default 1000)
  --noise X           noise of the toy data (default 0.05)
  --seed S            seed of every random choice (default 0)
  --out DIR           output directory (default runs/demo)
  --config FILE       read the whole DemoConfig from JSON (other options then override it)
  --print-config      print the effective configuration as JSON and exit
  --no-progress       no progress bar
";

fn parse() -> Result<(DemoConfig, bool, bool), String> {
    let mut cfg = DemoConfig::default();
    let mut progress = true;
    let mut print = false;
    let mut args = Args::from_env();
    while let Some(flag) = args.next_flag() {
        match flag.as_str() {
            "--help" | "-h" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            "--config" => {
                let text = std::fs::read_to_string(args.value()?).map_err(|e| e.to_string())?;
                cfg = serde_json::from_str(&text).map_err(|e| format!("bad config: {e}"))?;
            }
            "--toy" => {
                let v = args.value()?;
                cfg.toy = ToyKind::from_name(&v).ok_or_else(|| format!("unknown toy {v:?}"))?;
            }
            "--iterations" => cfg.basis.iterations = args.parse()?,
            "--noise" => cfg.train.noise = args.parse()?,
            "--seed" => {
                let s: u64 = args.parse()?;
                cfg.basis.seed = s;
                cfg.basis.align.seed = s;
                cfg.train.seed = s;
            }
            "--out" => cfg.out_dir = PathBuf::from(args.value()?),
            "--no-progress" => progress = false,
            "--print-config" => print = true,
            _ => return Err(format!("{}\n\n{HELP}", args.unknown())),
        }
    }
    Ok((cfg, progress, print))
}

fn main() -> ExitCode {
    let (cfg, progress, print) = match parse() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if print {
        println!("{}", serde_json::to_string_pretty(&cfg).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    println!(
        "BASiS demo: {:?}, {} training points, batches of {} ({} anchors), K = {}, {} iterations",
        cfg.toy,
        cfg.train.n_samples,
        cfg.basis.batch_size,
        cfg.anchors_per_class * cfg.toy.num_classes(),
        cfg.basis.embedding.k,
        cfg.basis.iterations
    );
    match run_demo(&cfg, progress) {
        Ok(r) => {
            println!("held-out points:        {}", cfg.test_size);
            let m = &r.metrics;
            let show = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.4}"));
            println!("d_G (Eq. 16):           {}", show(m.grassmann));
            println!("d_⊥ (Eq. 17):           {}", show(m.orthogonality));
            println!("NMI (max, Eq. 18):      {}", show(m.nmi));
            println!("NMI (arithmetic):       {}", show(m.nmi_arithmetic));
            println!("ACC (Eq. 19):           {}", show(m.acc));
            println!("linear probe (Eq. 20):  {}", show(m.probe_accuracy));
            println!("evaluation time:        {:.1} s", r.eval_seconds);
            println!(
                "\n{}\n{}\n",
                basis_metrics::Report::markdown_header(),
                m.markdown_row("BASiS (ours)")
            );
            println!("final loss (Eq. 15):    {:.5}", r.final_loss);
            println!(
                "time per iteration:     {:.2} ms (graph+eigen {:.2}, align {:.2}, step {:.2})",
                r.ms_per_iteration, r.ms_breakdown[0], r.ms_breakdown[1], r.ms_breakdown[2]
            );
            println!("skipped batches:        {}", r.skipped_batches);
            println!("training time:          {:.1} s", r.train_seconds);
            println!("outputs:");
            for p in &r.outputs {
                println!("  {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
