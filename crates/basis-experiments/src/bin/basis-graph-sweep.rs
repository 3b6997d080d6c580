//! `basis-graph-sweep`: the graph-construction benchmark. Run through `cargo xtask sweep graph`,
//! which adds scikit-learn's timings on the same files.

use basis_data::cli::Args;
use basis_data::io::write_atomic;
use basis_experiments::graph_sweep::{
    GraphSweepConfig, GraphSweepReport, SklearnKnn, default_out_dir, graph_sweep_markdown,
    run_graph_sweep,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "\
basis-graph-sweep run [options]     time exact and HNSW kNN of Fashion-MNIST and the batch graph
basis-graph-sweep report [DIR]      merge DIR/report.json with DIR/sklearn.json into a table

Options of run:
  --quick                 10,000 points at 32 dimensions only
  --sizes N,N             numbers of points (default 10000,60000)
  --dims D,D              dimensions; 784 = raw pixels, fewer = random projection (default 32,784)
  --k K                   neighbours (default 50)
  --threads T             threads of the exact and HNSW searches (default 0 = all cores)
  --hnsw-m M              HNSW links per node (default 24)
  --hnsw-ef-construction E  (default 200)
  --hnsw-ef-search E      (default 100)
  --batch-calls N         timed calls per batch setting (default 200)
  --data-dir DIR          Fashion-MNIST IDX directory
  --seed S                seed of the projections and batch draws (default 0)
  --out DIR               output directory (default target/graph-sweep)
  --config FILE           the whole configuration as JSON (later options override it)
  --print-config          print the effective configuration as JSON and exit
";

fn run(mut args: Args) -> Result<(), String> {
    let mut config = GraphSweepConfig::default();
    let mut out = default_out_dir();
    let mut print = false;
    while let Some(flag) = args.next_flag() {
        match flag.as_str() {
            "--quick" => {
                let q = GraphSweepConfig::quick();
                config.sizes = q.sizes;
                config.dims = q.dims;
            }
            "--sizes" => config.sizes = args.list()?,
            "--dims" => config.dims = args.list()?,
            "--k" => {
                config.exact.k = args.parse()?;
                config.hnsw.k = config.exact.k;
            }
            "--threads" => {
                config.exact.threads = args.parse()?;
                config.hnsw.threads = config.exact.threads;
            }
            "--hnsw-m" => config.hnsw.max_connections = args.parse()?,
            "--hnsw-ef-construction" => config.hnsw.ef_construction = args.parse()?,
            "--hnsw-ef-search" => config.hnsw.ef_search = args.parse()?,
            "--batch-calls" => config.batch.calls = args.parse()?,
            "--data-dir" => config.fashion_mnist.dir = Some(PathBuf::from(args.value()?)),
            "--seed" => config.seed = args.parse()?,
            "--out" => out = PathBuf::from(args.value()?),
            "--config" => {
                let text = std::fs::read_to_string(args.value()?).map_err(|e| e.to_string())?;
                config = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            }
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
    let report = run_graph_sweep(&config, &out, |m| eprintln!("{m}")).map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    write_atomic(out.join("report.json"), json.as_bytes()).map_err(|e| e.to_string())?;
    println!("{}", graph_sweep_markdown(&report, None));
    eprintln!("wrote {}", out.join("report.json").display());
    Ok(())
}

fn report(dir: &Path) -> Result<(), String> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let r: GraphSweepReport =
        serde_json::from_str(&read("report.json")?).map_err(|e| e.to_string())?;
    let sk: Option<SklearnKnn> = match read("sklearn.json") {
        Ok(t) => Some(serde_json::from_str(&t).map_err(|e| e.to_string())?),
        Err(e) => {
            eprintln!("no scikit-learn timings ({e})");
            None
        }
    };
    let md = graph_sweep_markdown(&r, sk.as_ref());
    write_atomic(dir.join("graph-sweep.md"), md.as_bytes()).map_err(|e| e.to_string())?;
    println!("{md}");
    eprintln!("wrote {}", dir.join("graph-sweep.md").display());
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
