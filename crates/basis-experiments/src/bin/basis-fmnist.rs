//! `basis-fmnist`: BASiS on Fashion-MNIST (or any IDX / `.npy` image data set) end to end.
//! Run through `cargo xtask reproduce basis` and `cargo xtask embed`.

use basis_data::cli::Args;
use basis_experiments::fashion_mnist::{
    ExperimentConfig, FeatureSource, run_experiment, summary_markdown,
};
use basis_experiments::feature_change::{FeatureChangeConfig, run_feature_change};
use basis_experiments::tightness::{TightnessSweepConfig, run_tightness_sweep, tightness_markdown};
use basis_methods::basis::BasisModel;
use basis_nn::siamese::SiameseNet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "\
basis-fmnist: BASiS (Algorithm 1) on an image data set with Siamese features

Commands:
  reproduce [OPTIONS]   Siamese features (cached), BASiS over seeds, test-set scores;
                        writes table.md / table.json beside the paper's row
  feature-change [OPTIONS]
                        Algorithm 2: Siamese and spectral networks trained together;
                        writes Fig. 6 and Fig. 8 style PNGs
  sweep-tightness [OPTIONS]
                        BASiS on subspace-blobs at every --spreads value (default
                        0.3,0.2,0.1,0.05,0.035,0.02,0.01,0.005,0.003; --seeds N, default 3);
                        writes tightness.md / tightness.json / tightness.png
                        (--replot: redraw the PNG from an existing tightness.json)
  embed --model DIR --input FILE --out FILE.npy [--siamese DIR]
                        embed new points with a saved model (input: .npy rows, or an
                        IDX image file; --siamese: turn images into features first)

Options of reproduce and feature-change:
  --dataset D           fashion-mnist (default), subspace-blobs (ten tight Gaussian
                        clusters in a 5-D subspace of R^16, generated; use --features raw)
                        or a directory of MNIST-style IDX files or of train_x.npy,
                        train_y.npy, test_x.npy, test_y.npy
  --spread X            subspace-blobs: within-class mean distance to the centroid, in units
                        of the median centroid distance (default 0.035)
  --seeds N             seeds 0..N (reproduce; default 10)
  --seed S              one seed (default 0)
  --classes A,B,...     keep these classes only
  --limit-train N       at most N training points (after the class filter)
  --limit-test N        at most N test points
  --iterations N        BASiS iterations (reproduce) or feature iterations (feature-change)
  --siamese-steps N     Siamese training steps (reproduce)
  --features F          siamese (default) or raw (the data's columns as features)
  --out DIR             output directory
  --config FILE         the whole configuration as JSON (options given after it override it)
  --fig8                (feature-change, first option) Fig. 8's setting: classes 5, 7, 9
                        (sandal, sneaker, ankle boot), K = 2
  --print-config        print the effective configuration and exit
  --no-progress         no progress bars
";

/// Options shared by `reproduce` and `feature-change`; false when `flag` is not one of them.
fn parse_common(
    flag: &str,
    args: &mut Args,
    data: &mut ExperimentConfig,
    seeds: &mut Vec<u64>,
) -> Result<bool, String> {
    match flag {
        "--dataset" => data.dataset = args.value()?,
        "--spread" => data.blobs.spread = args.parse()?,
        "--seeds" => *seeds = (0..args.parse::<u64>()?).collect(),
        "--seed" => *seeds = vec![args.parse()?],
        "--classes" => data.classes = args.list()?,
        "--limit-train" => data.limit_train = Some(args.parse()?),
        "--limit-test" => data.limit_test = Some(args.parse()?),
        "--siamese-steps" => data.siamese.steps = args.parse()?,
        "--features" => {
            data.features = match args.value()?.as_str() {
                "siamese" => FeatureSource::Siamese,
                "raw" => FeatureSource::Raw,
                other => return Err(format!("unknown feature source {other:?}")),
            }
        }
        "--out" => data.out_dir = PathBuf::from(args.value()?),
        _ => return Ok(false),
    }
    Ok(true)
}

fn reproduce(mut args: Args) -> Result<(), String> {
    let mut cfg = ExperimentConfig::default();
    let mut seeds: Vec<u64> = (0..10).collect();
    let (mut progress, mut print) = (true, false);
    while let Some(flag) = args.next_flag() {
        if parse_common(&flag, &mut args, &mut cfg, &mut seeds)? {
            continue;
        }
        match flag.as_str() {
            "--config" => {
                let text = std::fs::read_to_string(args.value()?).map_err(|e| e.to_string())?;
                cfg = serde_json::from_str(&text).map_err(|e| format!("bad config: {e}"))?;
            }
            "--iterations" => cfg.basis.iterations = args.parse()?,
            "--no-progress" => progress = false,
            "--print-config" => print = true,
            _ => return Err(format!("{}\n\n{HELP}", args.unknown())),
        }
    }
    if print {
        println!(
            "{}",
            serde_json::to_string_pretty(&cfg).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let summary = run_experiment(&cfg, &seeds, progress).map_err(|e| e.to_string())?;
    println!("{}", summary_markdown(&summary));
    println!(
        "wrote {} and {}",
        cfg.out_dir.join("table.md").display(),
        cfg.out_dir.join("table.json").display()
    );
    Ok(())
}

fn feature_change(mut args: Args) -> Result<(), String> {
    let mut cfg = FeatureChangeConfig::default();
    let mut seeds = vec![cfg.seed];
    let (mut progress, mut print) = (true, false);
    while let Some(flag) = args.next_flag() {
        if parse_common(&flag, &mut args, &mut cfg.data, &mut seeds)? {
            continue;
        }
        match flag.as_str() {
            "--fig8" => cfg = FeatureChangeConfig::fig8(),
            "--config" => {
                let text = std::fs::read_to_string(args.value()?).map_err(|e| e.to_string())?;
                cfg = serde_json::from_str(&text).map_err(|e| format!("bad config: {e}"))?;
            }
            "--iterations" => cfg.feature_iterations = args.parse()?,
            "--no-progress" => progress = false,
            "--print-config" => print = true,
            _ => return Err(format!("{}\n\n{HELP}", args.unknown())),
        }
    }
    cfg.seed = seeds[0];
    if print {
        println!(
            "{}",
            serde_json::to_string_pretty(&cfg).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let report = run_feature_change(&cfg, progress).map_err(|e| e.to_string())?;
    for p in &report.outputs {
        println!("wrote {}", p.display());
    }
    Ok(())
}

fn sweep_tightness(mut args: Args) -> Result<(), String> {
    let mut cfg = TightnessSweepConfig::default();
    let mut seeds: Vec<u64> = (0..3).collect();
    let (mut progress, mut print, mut replot) = (true, false, false);
    while let Some(flag) = args.next_flag() {
        if parse_common(&flag, &mut args, &mut cfg.experiment, &mut seeds)? {
            continue;
        }
        match flag.as_str() {
            "--spreads" => cfg.spreads = args.list()?,
            "--replot" => replot = true,
            "--iterations" => cfg.experiment.basis.iterations = args.parse()?,
            "--no-progress" => progress = false,
            "--print-config" => print = true,
            _ => return Err(format!("{}\n\n{HELP}", args.unknown())),
        }
    }
    // `--out` names the sweep's directory.
    if cfg.experiment.out_dir != ExperimentConfig::default().out_dir {
        cfg.out_dir = cfg.experiment.out_dir.clone();
    }
    if print {
        println!(
            "{}",
            serde_json::to_string_pretty(&cfg).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    if replot {
        // Redraw the figure from a finished sweep's tightness.json.
        let path = cfg.out_dir.join("tightness.json");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let sweep: basis_experiments::tightness::TightnessSweep =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let png = cfg.out_dir.join("tightness.png");
        basis_experiments::tightness::tightness_plot(&sweep)
            .and_then(|c| Ok(c.save_png(&png)?))
            .map_err(|e| e.to_string())?;
        println!("wrote {}", png.display());
        return Ok(());
    }
    let sweep = run_tightness_sweep(&cfg, &seeds, progress).map_err(|e| e.to_string())?;
    println!("{}", tightness_markdown(&sweep));
    println!(
        "wrote {}",
        cfg.out_dir.join("tightness.{md,json,png}").display()
    );
    Ok(())
}

fn read_input(path: &Path) -> Result<nalgebra::DMatrix<f64>, String> {
    let name = path.to_string_lossy();
    if name.ends_with(".npy") {
        return basis_data::npy::read_npy(path).map_err(|e| e.to_string());
    }
    // An IDX file of images (n × s × s bytes): one row of pixels in [0, 1] per image.
    let idx = basis_data::idx::read_idx(path).map_err(|e| e.to_string())?;
    let d = idx.item_size();
    let scale = if idx.elem_type == basis_data::idx::IdxType::U8 {
        255.0
    } else {
        1.0
    };
    Ok(nalgebra::DMatrix::from_fn(idx.len(), d, |i, j| {
        idx.values[i * d + j] / scale
    }))
}

fn embed(mut args: Args) -> Result<(), String> {
    let (mut model, mut input, mut out, mut siamese) = (None, None, None, None);
    while let Some(flag) = args.next_flag() {
        let slot = match flag.as_str() {
            "--model" => &mut model,
            "--input" => &mut input,
            "--out" => &mut out,
            "--siamese" => &mut siamese,
            _ => return Err(format!("{}\n\n{HELP}", args.unknown())),
        };
        *slot = Some(PathBuf::from(args.value()?));
    }
    let need = |o: Option<PathBuf>, what: &str| o.ok_or_else(|| format!("embed needs {what}"));
    let (model, input, out) = (
        need(model, "--model")?,
        need(input, "--input")?,
        need(out, "--out")?,
    );
    let model = BasisModel::load(&model).map_err(|e| e.to_string())?;
    let mut x = read_input(&input)?;
    if let Some(s) = siamese {
        let net = SiameseNet::load(&s).map_err(|e| e.to_string())?;
        x = net.features(&x).map_err(|e| e.to_string())?;
    }
    let y = model.embed(&x).map_err(|e| e.to_string())?;
    basis_data::io::write_atomic(&out, &basis_data::npy::encode_npy(&y))
        .map_err(|e| e.to_string())?;
    println!("wrote {} ({} × {})", out.display(), y.nrows(), y.ncols());
    Ok(())
}

fn main() -> ExitCode {
    let mut args = Args::from_env();
    let result = match args.next_flag().as_deref() {
        Some("reproduce") => reproduce(args),
        Some("feature-change") => feature_change(args),
        Some("embed") => embed(args),
        Some("sweep-tightness") => sweep_tightness(args),
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
