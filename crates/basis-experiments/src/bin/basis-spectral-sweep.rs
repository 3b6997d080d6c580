//! `basis-spectral-sweep`: the analytic-embedding benchmark. Run through `cargo xtask sweep
//! spectral`, which adds scipy's and scikit-learn's timings on the same graph and features.

use basis_data::cli::Args;
use basis_data::io::write_atomic;
use basis_experiments::spectral_sweep::{
    ScipySpectral, SpectralSweepConfig, SpectralSweepReport, default_out_dir, run_spectral_sweep,
    spectral_sweep_markdown,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "\
basis-spectral-sweep run [options]   K eigenpairs of L_N of Fashion-MNIST's 50-NN graph, timed
basis-spectral-sweep report [DIR]    merge DIR/report.json with DIR/scipy.json into a table

Options of run:
  --quick              the 10,000-point test set only
  --splits S,S         test and/or train (default test,train)
  --dim D              random projection dimension (default 32)
  --k K                neighbours (default 50)
  --eigenpairs K       eigenpairs, trivial included (default 10)
  --tols T,T           Lanczos tolerances (default 1e-6,1e-12)
  --threads T          threads (default 0 = all cores)
  --data-dir DIR       Fashion-MNIST IDX directory
  --seed S             seed (default 0)
  --out DIR            output directory (default target/spectral-sweep)
  --print-config       print the effective configuration as JSON and exit
";

fn run(mut args: Args) -> Result<(), String> {
    let mut config = SpectralSweepConfig::default();
    let mut out = default_out_dir();
    let mut print = false;
    while let Some(flag) = args.next_flag() {
        match flag.as_str() {
            "--quick" => config.splits = SpectralSweepConfig::quick().splits,
            "--splits" => config.splits = args.list()?,
            "--dim" => config.dim = args.parse()?,
            "--k" => config.k_neighbors = args.parse()?,
            "--eigenpairs" => config.eigenpairs = args.parse()?,
            "--tols" => config.tolerances = args.list()?,
            "--threads" => config.threads = args.parse()?,
            "--data-dir" => config.fashion_mnist.dir = Some(PathBuf::from(args.value()?)),
            "--seed" => config.seed = args.parse()?,
            "--out" => out = PathBuf::from(args.value()?),
            "--print-config" => print = true,
            "--help" | "-h" => {
                print!("{HELP}");
                return Ok(());
            }
            _ => return Err(format!("{}\n\n{HELP}", args.unknown())),
        }
    }
    if print {
        println!(
            "{}",
            serde_json::to_string_pretty(&config).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let report =
        run_spectral_sweep(&config, &out, |m| eprintln!("{m}")).map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    write_atomic(out.join("report.json"), json.as_bytes()).map_err(|e| e.to_string())?;
    println!("{}", spectral_sweep_markdown(&report, None));
    eprintln!("wrote {}", out.join("report.json").display());
    Ok(())
}

fn report(dir: &Path) -> Result<(), String> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let r: SpectralSweepReport =
        serde_json::from_str(&read("report.json")?).map_err(|e| e.to_string())?;
    let sp: Option<ScipySpectral> = match read("scipy.json") {
        Ok(t) => Some(serde_json::from_str(&t).map_err(|e| e.to_string())?),
        Err(e) => {
            eprintln!("no scipy timings ({e})");
            None
        }
    };
    let md = spectral_sweep_markdown(&r, sp.as_ref());
    write_atomic(dir.join("table.md"), md.as_bytes()).map_err(|e| e.to_string())?;
    println!("{md}");
    eprintln!("wrote {}", dir.join("table.md").display());
    Ok(())
}

fn main() -> ExitCode {
    let mut args = Args::from_env();
    let result = match args.next_flag().as_deref() {
        Some("run") => run(args),
        Some("report") => report(&args.next_flag().map_or_else(default_out_dir, PathBuf::from)),
        Some("--help" | "-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
