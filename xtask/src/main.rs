//! `cargo xtask`: the project's runner (rust-analyzer style, standard library only).
//!
//! - `cargo xtask setup [--force]`: provision libtorch and Fashion-MNIST (idempotent);
//! - `cargo xtask demo [ARGS]`: BASiS Algorithm 1 on three moons (the main job);
//! - `cargo xtask test [ARGS]`: the whole test suite, exactly what CI runs;
//! - `cargo xtask docs`: the generated tables of `docs/` (from `docs/results/`) and `docs/cli.md`;
//! - `cargo xtask reproduce EXPERIMENT [ARGS]`: a figure or table of the paper (`fig3`,
//!   `basis`, `feature-change`, `table1`, `neuralef-closed-form`, `neuralef-ablations`, `segmentation`,
//!   `link-prediction`, `ggae`);
//! - `cargo xtask embed [ARGS]`: embed new points with a saved model;
//! - `cargo xtask basis [ARGS]`: the `basis` command line (fit, embed, evaluate, analytic, demo);
//! - `cargo xtask bench [ARGS]`: the criterion benchmarks;
//! - `cargo xtask sweep graph [ARGS]`: kNN and batch-graph timings beside scikit-learn.
//! - `cargo xtask sweep spectral [ARGS]`: analytic-embedding solves beside scipy's ARPACK.
//! - `cargo xtask sweep neighbors [ARGS]`: every method over the number of neighbours (Fig. 4).
//! - `cargo xtask sweep tightness [ARGS]`: BASiS over the tightness of generated clusters.

mod provision;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const HELP: &str = "\
cargo xtask <command>

Commands:
  setup [--force]   assemble CPU libtorch 2.13.0 in the per-user cache and install
                    Fashion-MNIST (Debian package); does nothing when already done
  demo [ARGS]       train BASiS on three moons, print NMI/ACC, write a PNG
                    (`basis demo ARGS`; `cargo xtask demo --help`)
  test [ARGS]       provision if needed, then run the whole test suite: the Rust
                    crates (ARGS go to `cargo test`), then the Python package
                    (crates/basis-py, built into its own environment; pytest)
  test-python       only the Python package's part of `test` (needs the debug
                    `basis` binary: `cargo build -p basis-cli`)
  docs              rewrite the tables of docs/ generated from docs/results/*.json
                    (copy a run's OUT/summary.json there first) and docs/cli.md
  reproduce fig3 [ARGS]
                    the paper's Fig. 3: anchors' eigenvector coordinates over 20
                    batches before/after alignment (`--dataset fashion-mnist` for
                    the Fashion-MNIST setting; `cargo xtask reproduce fig3 --help`)
  reproduce basis [ARGS]
                    BASiS on Fashion-MNIST end to end (Table 1's row): Siamese
                    features (cached), Algorithm 1 over --seeds N (default 10),
                    test-set d_G, d_perp, NMI, ACC, probe; writes table.md and
                    table.json into results/basis-fashion-mnist (`--dataset DIR`
                    for any IDX / .npy data set; `--help` for all options)
  reproduce feature-change [ARGS]
                    Algorithm 2 (Siamese and spectral networks trained together):
                    Fig. 6 curves on all classes and Fig. 8 panels on three classes
                    with K = 2, as PNGs in results/feature-change[-fig8]
  reproduce table1 [ARGS]
                    BASiS, Diffusion Net, SpectralNet, SpecNet2 and NeuralEF on the same
                    Siamese features (shared with `reproduce basis`), mean +- std
                    over --seeds N, beside the paper's Table 1 column; writes
                    results/table1/table1.{md,json}; finished (method, seed)
                    runs are reused on a re-run
  reproduce neuralef-closed-form [ARGS]
                    NeuralEF on a Gaussian kernel under a Gaussian density against
                    the closed-form (Hermite) eigenfunctions and a Nyström estimate:
                    results/neuralef-closed-form/closed_form.md and eigenfunctions.png
  reproduce neuralef-ablations [ARGS]
                    NeuralEF's Gumbel-head ablations on Table 1's setting, --seeds N
                    (default 3): results/neuralef-ablations/table1.{md,json}
  reproduce segmentation [ARGS]
                    unsupervised segmentation of procedural texture images (exact
                    masks): NeuralEF's Gumbel head vs k-means, spectral clustering
                    per image and of the test set, a colour normalised cut, and the
                    ablations, --seeds N (default 5): results/segmentation/
                    segmentation.{md,json} and examples.{png,svg}
  reproduce link-prediction [ARGS]
                    twin-graph link prediction (Lim et al. 2023): the sign-equivariant
                    network vs SignNet, GCN, decode-only, a learned decoder and an MLP
                    on the eigenvectors, --trials N (default 10): results/
                    link-prediction/link_prediction.{md,json} and twins.{png,svg}
  reproduce ggae [ARGS]
                    graph geometry-preserving autoencoder (Lim et al. 2024) vs the plain
                    autoencoder on the Swiss roll with a hole and rotating Fashion-MNIST
                    sequences, --seeds N (default 5): results/ggae/ggae.{md,json},
                    latents.{png,svg} and curves.{png,svg}
  embed --model DIR --input FILE --out FILE.npy [--siamese DIR]
                    embed new points with a saved model (`basis embed`)
  data digits [--out DIR]
                    scikit-learn's 8x8 digits (1,437 training / 360 test, upsampled
                    to 16x16) as train_x.npy ... test_y.npy in DIR (default
                    target/digits), for `reproduce basis --dataset DIR`
  basis [ARGS]      the `basis` command itself (fit / embed / evaluate / analytic on
                    your own files, and every command above; docs/cli.md)

Every command but setup, test and bench runs `basis` (crates/basis-cli), built in
release mode: `cargo xtask reproduce table1 ARGS` is `basis reproduce table1 ARGS`.
  bench [ARGS]      the criterion benchmarks (ARGS go to `cargo bench`)
  sweep graph [ARGS]
                    exact and HNSW kNN of Fashion-MNIST (10k/60k points, 32/784
                    dims, k = 50) and the batch-graph cost, then scikit-learn's
                    brute force on the same files in the same run; prints the
                    table with ratios (`--quick`: 10k x 32 only; ARGS go to
                    `basis sweep graph`, see its --help)
  sweep spectral [ARGS]
                    K = 10 eigenpairs of L_N of the 50-NN graph of 32-dim
                    Fashion-MNIST features (test 10k, train 60k): our Lanczos
                    and pipeline, then scipy ARPACK/LOBPCG on the same graph and
                    the scikit-learn + scipy pipeline on the same features;
                    prints the table with ratios (`--quick`: test set only)
  sweep neighbors [ARGS]
                    the paper's Fig. 4: the Table 1 comparison for every number of
                    neighbours k in 10,20,30,50,75,100 (--neighbors), --seeds N
                    (default 3) each; writes results/sweep-neighbors/
                    neighbors.{md,json,png,svg} (`--dataset DIR` for any data set)
  sweep tightness [ARGS]
                    BASiS on generated tight clusters (subspace-blobs) at every
                    within-class spread of --spreads (default 0.3 … 0.003),
                    --seeds N (default 3) each, beside the analytic embedding;
                    writes results/sweep-tightness/tightness.{md,json,png,svg}

Environment:
  BASIS_LIBTORCH_DIR       where libtorch is assembled (default ~/.cache/basis-toolkit/libtorch-2.13.0-cpu)
  BASIS_FASHION_MNIST_DIR  Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist)
  BASIS_SKLEARN_VENV       Python environment for the sweeps' scikit-learn side
                           (default ~/.cache/basis-toolkit/sklearn-1.9.1-venv)
";

/// `cargo xtask sweep graph|spectral`: our side (`basis sweep NAME`), then the Python
/// reference on the same files, then the merged table (`basis sweep NAME --replot`).
fn sweep(root: &Path, args: &[String], name: &str, script: &str) -> Result<(), String> {
    // The user's --out, else target/<name>-sweep.
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target").join(format!("{name}-sweep")));
    let mut ours = basis(root);
    ours.args(["sweep", name]).args(args);
    if !args.iter().any(|a| a == "--out") {
        ours.arg("--out").arg(&out);
    }
    status(&mut ours)?;
    if args.iter().any(|a| {
        matches!(
            a.as_str(),
            "--help" | "-h" | "--print-config" | "--report" | "--replot"
        )
    }) {
        return Ok(());
    }
    match provision::ensure_sklearn_venv() {
        Ok(py) => status(
            Command::new(py)
                .arg(root.join("scripts").join(script))
                .arg(&out),
        )?,
        Err(e) => eprintln!("[sweep] warning: no reference side: {e}"),
    }
    status(
        basis(root)
            .args(["sweep", name, "--replot", "--out"])
            .arg(&out),
    )
}

/// `cargo xtask data digits [--out DIR]`: scikit-learn's 8×8 digits as `.npy` splits
/// (`scripts/export_digits.py`, in the sweeps' scikit-learn environment).
fn export_digits(root: &Path, args: &[String]) -> Result<(), String> {
    let out = match args {
        [] => root.join("target").join("digits"),
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => {
            return Err(format!(
                "usage: cargo xtask data digits [--out DIR], got {args:?}"
            ));
        }
    };
    let py = provision::ensure_sklearn_venv()?;
    status(
        Command::new(py)
            .arg(root.join("scripts").join("export_digits.py"))
            .arg(&out),
    )
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Provisions what is missing. `strict_data`: a missing data set is an error rather than a warning.
fn setup(force: bool, strict_data: bool) -> Result<(), String> {
    let t = Instant::now();
    let root = repo_root();
    let dir = provision::libtorch_dir()?;
    let built = provision::ensure_libtorch(&dir, force)?;
    provision::link_into_repo(&root, &dir)?;
    let data = match provision::ensure_fashion_mnist() {
        Ok(installed) => installed,
        Err(e) if !strict_data => {
            eprintln!("[setup] warning: {e}");
            false
        }
        Err(e) => return Err(e),
    };
    let nuclei = match provision::ensure_nuclei() {
        Ok(fetched) => fetched,
        Err(e) if !strict_data => {
            eprintln!("[setup] warning: the nuclei image (segmentation sanity check): {e}");
            false
        }
        Err(e) => return Err(e),
    };
    if built || data || nuclei {
        eprintln!(
            "[setup] done in {:.1} s: libtorch {} at {}; Fashion-MNIST at {}",
            t.elapsed().as_secs_f64(),
            provision::TORCH_VERSION,
            dir.display(),
            provision::fashion_dir().display()
        );
    } else {
        eprintln!(
            "[setup] already provisioned, nothing to do ({} ms): libtorch {} at {}",
            t.elapsed().as_millis(),
            provision::TORCH_VERSION,
            dir.display()
        );
    }
    Ok(())
}

/// A `cargo` command with libtorch wired exactly as `.cargo/config.toml` wires it,
/// so xtask and plain cargo share one build cache.
fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    let lt = root.join(".libtorch");
    let lib = lt.join("lib");
    let ld = match std::env::var_os("LD_LIBRARY_PATH") {
        Some(old) if !old.is_empty() => {
            let mut v = lib.into_os_string();
            v.push(":");
            v.push(old);
            v
        }
        _ => lib.into_os_string(),
    };
    cmd.current_dir(root)
        .env("LIBTORCH", &lt)
        .env("LD_LIBRARY_PATH", ld);
    cmd
}

/// Builds the release `basis` binary with cargo's own progress on the screen, once per xtask
/// run, after a line saying so: from nothing this is the longest step of a first run (about ten
/// minutes on a fresh 2-core machine, README), and `cargo run --quiet` would show nothing.
fn build_basis(root: &Path) {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let fresh = !target.join("release/basis").exists();
        eprintln!(
            "[build] the release `basis` binary{}",
            if fresh {
                " from nothing: about 10 minutes on 2 cores, once (cargo's progress below)"
            } else {
                " (up to date or a short rebuild)"
            }
        );
        let t = Instant::now();
        // A failed build shows cargo's errors here; the run below then stops on it too.
        let _ = cargo(root)
            .args(["build", "--release", "-p", "basis-cli", "--bin", "basis"])
            .status();
        if fresh {
            eprintln!("[build] took {:.0} s", t.elapsed().as_secs_f64());
        }
    });
}

/// `cargo run --release --quiet -p basis-cli --bin basis --` with libtorch wired, after
/// [`build_basis`]: every experiment runs through the `basis` command.
fn basis(root: &Path) -> Command {
    build_basis(root);
    let mut c = cargo(root);
    c.args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "basis-cli",
        "--bin",
        "basis",
        "--",
    ]);
    c
}

fn status(cmd: &mut Command) -> Result<(), String> {
    let s = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if s.success() {
        Ok(())
    } else {
        Err(format!("command failed ({s})"))
    }
}

/// The Python package (`crates/basis-py`): built and installed into its test environment
/// from the checkout, then its pytest suite (scikit-learn's estimator checks, round trips
/// with the `basis` binary that `cargo test` just built).
fn python_tests(root: &Path) -> Result<(), String> {
    let t = Instant::now();
    let py = provision::ensure_python_package_venv()?;
    let pkg = root.join("crates/basis-py");
    // maturin (installed in the environment) is found on PATH by the build backend.
    let bin = py.parent().ok_or("venv python has no directory")?;
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .map_err(|e| e.to_string())?;
    status(
        Command::new(&py)
            .env("PATH", &path)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-build-isolation",
                "--force-reinstall",
                "--no-deps",
            ])
            .arg(&pkg),
    )?;
    eprintln!(
        "[test] Python package built and installed in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = status(
        Command::new(&py)
            .args(["-m", "pytest", "-q"])
            .arg(pkg.join("tests"))
            .env("BASIS_BIN", root.join("target/debug/basis"))
            .env("GOMP_SPINCOUNT", "3000"),
    );
    eprintln!("[test] pytest took {:.0} s", t.elapsed().as_secs_f64());
    r
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(args.iter().any(|a| a == "--force"), true),
        Some("demo") => {
            setup(false, false).and_then(|_| status(basis(&root).arg("demo").args(&args[1..])))
        }
        Some("reproduce") if args.get(1).is_some_and(|a| a == "feature-change") => {
            setup(false, true).and_then(|_| {
                let rest = &args[2..];
                let run = |extra: &[&str]| {
                    status(
                        basis(&root)
                            .args(["reproduce", "feature-change"])
                            .args(extra)
                            .args(rest),
                    )
                };
                run(&[])?;
                // Fig. 8 as well, unless the user chose one setting themselves.
                if rest.iter().any(|a| {
                    matches!(
                        a.as_str(),
                        "--fig8" | "--config" | "--help" | "-h" | "--print-config"
                    )
                }) {
                    return Ok(());
                }
                run(&["--fig8"])
            })
        }
        Some("reproduce") => setup(
            false,
            matches!(
                args.get(1).map(String::as_str),
                Some("basis" | "table1" | "neuralef-ablations")
            ),
        )
        .and_then(|_| status(basis(&root).args(&args))),
        Some("embed") => setup(false, false).and_then(|_| status(basis(&root).args(&args))),
        Some("sweep") => match args.get(1).map(String::as_str) {
            Some("graph") => setup(false, true)
                .and_then(|_| sweep(&root, &args[2..], "graph", "bench_sklearn_knn.py")),
            Some("spectral") => setup(false, true)
                .and_then(|_| sweep(&root, &args[2..], "spectral", "bench_scipy_spectral.py")),
            Some("neighbors") => setup(false, true).and_then(|_| status(basis(&root).args(&args))),
            // Every other sweep (tightness, and any the registry adds) is the binary's.
            _ => setup(false, false).and_then(|_| status(basis(&root).args(&args))),
        },
        Some("data") => match args.get(1).map(String::as_str) {
            Some("digits") => export_digits(&root, &args[2..]),
            other => Err(format!("unknown data set {other:?} (digits)\n\n{HELP}")),
        },
        Some("basis") => setup(false, false).and_then(|_| status(basis(&root).args(&args[1..]))),
        Some("bench") => setup(false, false)
            .and_then(|_| status(cargo(&root).args(["bench", "--workspace"]).args(&args[1..]))),
        Some("test") => setup(false, false).and_then(|_| {
            let t = Instant::now();
            let mut c = cargo(&root);
            c.args(["test", "--workspace", "--all-features"])
                .args(&args[1..]);
            // CI builds once from a clean checkout, where incremental caches only cost
            // disk (19 GB of the 70 GB a debug tree once held). A value already set wins.
            if std::env::var_os("CARGO_INCREMENTAL").is_none() {
                c.env("CARGO_INCREMENTAL", "0");
            }
            let r = status(&mut c);
            eprintln!("[test] cargo test took {:.0} s", t.elapsed().as_secs_f64());
            r?;
            python_tests(&root)
        }),
        Some("test-python") => setup(false, false).and_then(|_| python_tests(&root)),
        Some("docs") => setup(false, false).and_then(|_| {
            // The generated tables of docs/ from docs/results/, and docs/cli.md from --help.
            let mut c = cargo(&root);
            c.args([
                "test",
                "--all-features",
                "-p",
                "basis-experiments",
                "--test",
            ])
            .arg("docs_results")
            .env("BASIS_UPDATE_DOCS", "1");
            status(&mut c)?;
            let mut c = cargo(&root);
            c.args(["test", "--all-features", "-p", "basis-cli", "--test", "cli"])
                .env("BASIS_UPDATE_DOCS", "1");
            status(&mut c)
        }),
        Some("-h" | "--help" | "help") | None => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
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
