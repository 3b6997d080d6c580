//! The `basis` binary, run as a user would: every subcommand on a small file, and the ways a
//! user gets it wrong (a misspelt flag, a missing file, NaN in the input, a wrong shape).

use basis_data::npy::{encode_npy, read_npy};
use basis_data::toy::{ToyParams, gaussian_blobs};
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("basis-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn basis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_basis"))
        .args(args)
        .output()
        .expect("run basis")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Three blobs in 2-D: features and labels as .npy files.
fn blobs(dir: &Path, name: &str, n: usize, seed: u64) -> (String, String) {
    let d = gaussian_blobs(
        &ToyParams {
            n_samples: n,
            noise: 0.0,
            seed,
        },
        3,
        0.6,
    )
    .unwrap();
    let x = dir.join(format!("{name}_x.npy"));
    let y = dir.join(format!("{name}_y.npy"));
    std::fs::write(&x, encode_npy(&d.features)).unwrap();
    let labels = DMatrix::from_iterator(d.labels.len(), 1, d.labels.iter().map(|&l| l as f64));
    std::fs::write(&y, encode_npy(&labels)).unwrap();
    (x.display().to_string(), y.display().to_string())
}

const SMALL: [&str; 10] = [
    "--k",
    "3",
    "--neighbors",
    "10",
    "--batch-size",
    "128",
    "--anchors-per-class",
    "5",
    "--no-progress",
    "--iterations",
];

#[test]
fn fit_embed_evaluate_and_analytic_on_unlabelled_features() {
    let dir = scratch("flow");
    let (train_x, _) = blobs(&dir, "train", 900, 1);
    let (test_x, test_y) = blobs(&dir, "test", 300, 2);
    let model = dir.join("model");
    let m = model.display().to_string();
    let mut args = vec!["fit", "--input", &train_x, "--out", &m];
    args.extend(SMALL);
    args.push("150");
    let o = basis(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("BASiS: 900 points × 2 features → K = 3"));
    for f in ["fit.json", "train_embedding.npy", "model/checkpoint.json"] {
        assert!(model.join(f).is_file(), "{f}");
    }
    let fit: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("fit.json")).unwrap()).unwrap();
    assert_eq!(fit["method"], "basis");
    assert_eq!(fit["anchors"], "k-means-plus-plus");

    let emb = dir.join("test_embedding.npy");
    let e = emb.display().to_string();
    let o = basis(&["embed", "--model", &m, "--input", &test_x, "--out", &e]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&emb).unwrap().shape(), (300, 3));

    let report = dir.join("report.json");
    let r = report.display().to_string();
    let o = basis(&[
        "evaluate",
        "--embedding",
        &e,
        "--labels",
        &test_y,
        "--features",
        &test_x,
        "--neighbors",
        "10",
        "--json",
        &r,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("NMI"), "{}", stdout(&o));
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let nmi = rep["nmi"].as_f64().unwrap();
    assert!(nmi > 0.95, "NMI {nmi}");
    assert!(rep["grassmann"].as_f64().unwrap().is_finite());

    let an = dir.join("analytic.npy");
    let a = an.display().to_string();
    let analytic = |extra: &[&str]| {
        let mut args = vec![
            "analytic",
            "--input",
            &test_x,
            "--k",
            "3",
            "--neighbors",
            "10",
        ];
        args.extend(extra);
        args.extend(["--out", &a]);
        basis(&args)
    };
    // Three well-separated blobs are three components: a typed error unless allowed.
    let o = analytic(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("graph is disconnected: 3 components"),
        "{}",
        stderr(&o)
    );
    assert!(!an.exists());
    let o = analytic(&["--allow-disconnected"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&an).unwrap().shape(), (300, 3));
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("analytic.json")).unwrap()).unwrap();
    let values = side["eigenvalues"].as_array().unwrap();
    assert_eq!(values.len(), 3);
    // L_N's smallest eigenvalue is 0 (the trivial vector is kept).
    assert!(values[0].as_f64().unwrap().abs() < 1e-8, "{values:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_baseline_fits_and_embeds_through_the_same_commands() {
    let dir = scratch("baseline");
    let (train_x, _) = blobs(&dir, "train", 600, 3);
    let m = dir.join("sn").display().to_string();
    let mut args = vec![
        "fit",
        "--method",
        "spectralnet",
        "--input",
        &train_x,
        "--out",
        &m,
    ];
    // SpectralNet draws no anchors: the anchor option is left out (it would be refused).
    args.extend(
        SMALL
            .iter()
            .filter(|&&a| a != "--anchors-per-class" && a != "5"),
    );
    args.push("40");
    let o = basis(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = dir.join("e.npy").display().to_string();
    let o = basis(&["embed", "--model", &m, "--input", &train_x, "--out", &e]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("SpectralNet: embedded 600 points"));
    // The bare checkpoint directory (as under `results/table1/<method>/seed-*/model`) names
    // its method; it used to be read as a BASiS model and refused.
    let bare = dir.join("sn").join("model").display().to_string();
    let o = basis(&["embed", "--model", &bare, "--input", &train_x, "--out", &e]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("SpectralNet: embedded 600 points"));
    // Regression (issue 24): inputs far outside the training range overflowed inside the
    // network and came out as NaN with exit 0.
    let huge = dir.join("huge.npy");
    std::fs::write(&huge, encode_npy(&DMatrix::from_element(4, 2, 1e300))).unwrap();
    let out = dir.join("huge_embedding.npy");
    let o = basis(&[
        "embed",
        "--model",
        &m,
        "--input",
        huge.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("non-finite coordinates for 4 of 4 points"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn user_mistakes_give_one_clear_line_a_non_zero_exit_and_no_output() {
    let dir = scratch("mistakes");
    let (train_x, train_y) = blobs(&dir, "train", 300, 4);
    let out = dir.join("out");
    let o_s = out.display().to_string();

    // A misspelt flag: clap names it and suggests the right one (exit 2).
    let o = basis(&["fit", "--inptu", &train_x, "--out", &o_s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unexpected argument '--inptu'"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--input"));
    // A bad value.
    let o = basis(&["fit", "--method", "pca", "--input", &train_x, "--out", &o_s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid value 'pca'"), "{}", stderr(&o));

    let one_line_error = |o: &Output, needle: &str| {
        assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
        let all = stderr(o);
        // Stage lines (`[basis] …`: what started) may come first; then one `error:` line.
        let e: Vec<&str> = all
            .trim_end()
            .lines()
            .filter(|l| !l.starts_with("[basis] "))
            .collect();
        assert_eq!(e.len(), 1, "{all}");
        assert!(
            e[0].starts_with("error: ") && e[0].contains(needle),
            "{all}"
        );
        assert!(!all.contains("panicked"), "{all}");
    };
    // A missing file.
    let missing = dir.join("nope.npy").display().to_string();
    let o = basis(&["fit", "--input", &missing, "--out", &o_s]);
    one_line_error(&o, "no such file");
    // NaN in the input.
    let mut x = read_npy(&train_x).unwrap();
    x[(7, 1)] = f64::NAN;
    let nan = dir.join("nan.npy");
    std::fs::write(&nan, encode_npy(&x)).unwrap();
    let o = basis(&["fit", "--input", &nan.display().to_string(), "--out", &o_s]);
    one_line_error(&o, "non-finite value NaN at row 7, column 1");
    // Labels that do not match the points.
    let short = dir.join("short_y.npy");
    std::fs::write(&short, encode_npy(&DMatrix::from_element(10, 1, 0.0))).unwrap();
    let s = short.display().to_string();
    let o = basis(&["fit", "--input", &train_x, "--labels", &s, "--out", &o_s]);
    one_line_error(&o, "10 labels for 300 points");
    // Per-class anchors without labels.
    let o = basis(&[
        "fit",
        "--input",
        &train_x,
        "--anchors",
        "per-class",
        "--out",
        &o_s,
    ]);
    one_line_error(&o, "need --labels");
    // A batch larger than the data: the library's typed error, as one line.
    let o = basis(&[
        "fit",
        "--input",
        &train_x,
        "--labels",
        &train_y,
        "--batch-size",
        "1000",
        "--out",
        &o_s,
    ]);
    one_line_error(&o, "batch size 1000 exceeds the 300 training points");
    assert!(!out.exists(), "a failed fit left {}", out.display());

    // A wrong shape for embed: 3 columns into a model of 2.
    let model = dir.join("model").display().to_string();
    let mut args = vec!["fit", "--input", &train_x, "--out", &model];
    args.extend(SMALL);
    args.push("20");
    assert!(basis(&args).status.success());
    let wide = dir.join("wide.npy");
    std::fs::write(&wide, encode_npy(&DMatrix::from_element(5, 3, 1.0))).unwrap();
    let target = dir.join("never.npy");
    let o = basis(&[
        "embed",
        "--model",
        &model,
        "--input",
        &wide.display().to_string(),
        "--out",
        &target.display().to_string(),
    ]);
    one_line_error(&o, "features");
    assert!(!target.exists());
    // A corrupt model directory.
    std::fs::write(dir.join("model/fit.json"), "{").unwrap();
    let o = basis(&[
        "embed",
        "--model",
        &model,
        "--input",
        &train_x,
        "--out",
        &target.display().to_string(),
    ]);
    one_line_error(&o, "not written by `basis fit`");
    assert!(!target.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--print-config` of `args`, parsed.
fn printed_config(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--print-config");
    let o = basis(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("--print-config prints JSON")
}

#[test]
fn an_option_on_the_command_line_overrides_the_config_file_and_the_rest_is_kept() {
    let dir = scratch("config");
    let base = printed_config(&["reproduce", "basis", "--iterations", "77", "--seeds", "2"]);
    assert_eq!(base["basis"]["iterations"], 77);
    let file = dir.join("c.json");
    std::fs::write(&file, serde_json::to_string(&base).unwrap()).unwrap();
    let f = file.display().to_string();
    let merged = printed_config(&["reproduce", "basis", "--config", &f, "--limit-train", "5"]);
    assert_eq!(merged["basis"]["iterations"], 77, "kept from the file");
    assert_eq!(merged["limit_train"], 5, "taken from the command line");
    // A default on the command line does not undo the file.
    let again = printed_config(&["reproduce", "basis", "--config", &f]);
    assert_eq!(again, base);
    // The file of another experiment is refused by name.
    let o = basis(&["reproduce", "table1", "--config", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a configuration of this command"));
    // Fig. 8's preset is Fig. 6's with three classes and K = 2.
    let fig8 = printed_config(&["reproduce", "feature-change", "--fig8"]);
    assert_eq!(fig8["data"]["classes"], serde_json::json!([5, 7, 9]));
    assert_eq!(fig8["data"]["basis"]["embedding"]["k"], 2);
}

#[test]
fn reproductions_and_sweeps_run_through_basis_and_write_their_reports() {
    let dir = scratch("reproduce");
    let fig3 = dir.join("fig3");
    let o = basis(&[
        "reproduce",
        "fig3",
        "--batches",
        "3",
        "--no-progress",
        "--out",
        fig3.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["fig3.png", "fig3.svg", "report.json"] {
        assert!(fig3.join(f).is_file(), "{f}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fig3.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["config"]["batches"], 3);

    let table = dir.join("table1");
    let o = basis(&[
        "reproduce",
        "table1",
        "--dataset",
        "subspace-blobs",
        "--features",
        "raw",
        "--classes",
        "0,1,2",
        "--limit-train",
        "600",
        "--limit-test",
        "300",
        "--iterations",
        "30",
        "--seeds",
        "1",
        "--methods",
        "basis,diffusion-net",
        "--no-progress",
        "--out",
        table.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("| BASiS |") && out.contains("| Diffusion Net |"),
        "{out}"
    );
    assert!(!out.contains("| SpectralNet |"), "{out}");
    assert!(table.join("table1.json").is_file());

    let sweep = dir.join("tightness");
    let o = basis(&[
        "sweep",
        "tightness",
        "--spreads",
        "0.2",
        "--seeds",
        "1",
        "--classes",
        "0,1,2",
        "--limit-train",
        "600",
        "--limit-test",
        "300",
        "--iterations",
        "30",
        "--no-progress",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "tightness.md",
        "tightness.json",
        "tightness.png",
        "tightness.svg",
    ] {
        assert!(sweep.join(f).is_file(), "{f}");
    }
    // --replot redraws from the JSON alone.
    std::fs::remove_file(sweep.join("tightness.png")).unwrap();
    std::fs::remove_file(sweep.join("tightness.svg")).unwrap();
    let o = basis(&[
        "sweep",
        "tightness",
        "--replot",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let seen = basis_plot::Written {
        png: sweep.join("tightness.png"),
        svg: sweep.join("tightness.svg"),
    }
    .inspect()
    .unwrap();
    assert!(seen.svg_text.contains("cluster spread"));
}

/// The commands whose `--help` docs/cli.md shows, in its order.
const DOCUMENTED: &[&[&str]] = &[
    &[],
    &["fit"],
    &["embed"],
    &["evaluate"],
    &["analytic"],
    &["demo"],
    &["reproduce"],
    &["reproduce", "fig3"],
    &["reproduce", "basis"],
    &["reproduce", "feature-change"],
    &["reproduce", "table1"],
    &["sweep"],
    &["sweep", "neighbors"],
    &["sweep", "tightness"],
    &["sweep", "graph"],
    &["sweep", "spectral"],
];

/// docs/cli.md's help sections are what the binary prints (`BASIS_UPDATE_DOCS=1` rewrites them).
#[test]
fn the_help_in_docs_cli_md_is_the_binarys() {
    let mut generated = String::new();
    for cmd in DOCUMENTED {
        let mut args = cmd.to_vec();
        args.push("--help");
        let o = basis(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let name = std::iter::once("basis")
            .chain(cmd.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        generated.push_str(&format!(
            "## `{name} --help`\n\n```text\n{}```\n\n",
            stdout(&o)
        ));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc
        .find("## `basis --help`")
        .expect("docs/cli.md has the help sections");
    let current = &doc[start..];
    if std::env::var_os("BASIS_UPDATE_DOCS").is_some() {
        std::fs::write(
            &path,
            format!("{}{}", &doc[..start], generated.trim_end()) + "\n",
        )
        .unwrap();
    } else {
        assert_eq!(
            current.trim_end(),
            generated.trim_end(),
            "docs/cli.md is stale: run BASIS_UPDATE_DOCS=1 cargo test -p basis-cli --test cli"
        );
    }
}

/// `embed --siamese` runs a Siamese network's images-to-features step first: IDX bytes are
/// scaled to [0, 1] as the network was trained, and the result equals embedding the features.
#[test]
fn embed_with_a_siamese_network_equals_embedding_its_features() {
    use basis_data::idx::{IdxType, encode_idx};
    use basis_nn::siamese::{SiameseConfig, SiameseNet};
    let dir = scratch("siamese");
    let config = SiameseConfig {
        image_side: 16,
        output_dim: 3,
        ..Default::default()
    };
    let net = SiameseNet::new(&config).unwrap();
    let siamese = dir.join("siamese");
    net.save(&siamese).unwrap();
    let n = 300;
    // Pseudo-random bytes (a multiplicative hash of the index), every value 0..=255 used.
    let bytes: Vec<f64> = (0..(n * 256) as u64)
        .map(|i| ((i.wrapping_mul(2_654_435_761) >> 11) % 256) as f64)
        .collect();
    let images = dir.join("images.idx");
    std::fs::write(
        &images,
        encode_idx(IdxType::U8, &[n, 16, 16], &bytes).unwrap(),
    )
    .unwrap();
    let pixels = DMatrix::from_row_slice(n, 256, &bytes) / 255.0;
    let features = net.features(&pixels).unwrap();
    let fx = dir.join("features.npy");
    std::fs::write(&fx, encode_npy(&features)).unwrap();

    let model = dir.join("model");
    let m = model.display().to_string();
    let f = fx.display().to_string();
    let mut args = vec!["fit", "--input", &f, "--out", &m];
    args.extend(SMALL);
    args.push("20");
    let o = basis(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let (via_images, via_features) = (dir.join("a.npy"), dir.join("b.npy"));
    let o = basis(&[
        "embed",
        "--model",
        &m,
        "--siamese",
        siamese.to_str().unwrap(),
        "--input",
        images.to_str().unwrap(),
        "--out",
        via_images.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = basis(&[
        "embed",
        "--model",
        &m,
        "--input",
        &f,
        "--out",
        via_features.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) = (
        read_npy(&via_images).unwrap(),
        read_npy(&via_features).unwrap(),
    );
    assert_eq!(a.shape(), (n, 3));
    assert!((a - b).abs().max() < 1e-9);
}

/// An array of a `.npz` archive is named as `file.npz:NAME`; an archive of several arrays
/// without a name, or a name it does not hold, is refused with the names it does hold.
#[test]
fn npz_members_are_picked_by_name() {
    let npz =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../basis-data/tests/fixtures/npy/pair.npz");
    let f = npz.display().to_string();
    let (x, y) = (format!("{f}:x"), format!("{f}:y"));
    // Both members load; the 2 × 3 embedding is then refused by the metrics, not the reader.
    let o = basis(&["evaluate", "--embedding", &x, "--labels", &y]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("2 points cannot span 3 dimensions"),
        "{}",
        stderr(&o)
    );
    let o = basis(&["evaluate", "--embedding", &f, "--labels", &y]);
    assert!(
        stderr(&o).contains("holds 2 arrays [\"x\", \"y\"]"),
        "{}",
        stderr(&o)
    );
    let z = format!("{f}:z");
    let o = basis(&["evaluate", "--embedding", &z, "--labels", &y]);
    assert!(stderr(&o).contains("no array \"z\""), "{}", stderr(&o));
}

/// Regressions (issue 24): an `--out` that is a file was found only after training, and a
/// missing `--config` was reported without its path. Both now fail before anything runs.
#[test]
fn an_out_that_is_a_file_or_a_missing_config_fails_before_anything_runs() {
    let dir = scratch("out-file");
    let file = dir.join("taken");
    std::fs::write(&file, b"not a directory").unwrap();
    let f = file.display().to_string();
    let (x, _) = blobs(&dir, "d", 60, 1);
    for args in [
        vec!["demo", "--iterations", "5", "--out", &f],
        vec!["reproduce", "fig3", "--batches", "2", "--out", &f],
        vec!["sweep", "tightness", "--out", &f],
        vec!["fit", "--input", &x, "--out", &f],
    ] {
        let t = std::time::Instant::now();
        let o = basis(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&o).contains("is a file, not a directory"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(t.elapsed().as_secs() < 10, "{args:?} ran before failing");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
    let missing = dir.join("none.json");
    let o = basis(&["reproduce", "table1", "--config", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(missing.to_str().unwrap()),
        "{}",
        stderr(&o)
    );
}

/// Every experiment command, as typed after `basis`.
const EXPERIMENTS: &[&[&str]] = &[
    &["demo"],
    &["reproduce", "fig3"],
    &["reproduce", "basis"],
    &["reproduce", "feature-change"],
    &["reproduce", "table1"],
    &["reproduce", "neuralef-closed-form"],
    &["reproduce", "neuralef-ablations"],
    &["reproduce", "segmentation"],
    &["reproduce", "link-prediction"],
    &["reproduce", "ggae"],
    &["sweep", "neighbors"],
    &["sweep", "tightness"],
    &["sweep", "graph"],
    &["sweep", "spectral"],
];

/// The options every experiment takes behave the same in all 14 commands: `--out` lands in the
/// printed configuration, `--print-config` runs nothing, `--config` reads back what it printed,
/// and `--replot` without a run is one clear line naming the missing report, exit 1.
#[test]
fn the_shared_options_behave_the_same_in_every_experiment_command() {
    let dir = scratch("shared-options");
    for (i, cmd) in EXPERIMENTS.iter().enumerate() {
        let out = dir.join(format!("out-{i}"));
        let o_str = out.display().to_string();
        let mut args: Vec<&str> = cmd.to_vec();
        args.extend(["--print-config", "--out", &o_str]);
        let o = basis(&args);
        assert!(o.status.success(), "{cmd:?}: {}", stderr(&o));
        let printed = stdout(&o);
        assert!(
            printed.contains(&format!("{o_str:?}")),
            "{cmd:?}: {printed}"
        );
        assert!(!out.exists(), "{cmd:?}: --print-config wrote {o_str}");
        // The printed configuration is a configuration of the command.
        let file = dir.join(format!("config-{i}.json"));
        std::fs::write(&file, &printed).unwrap();
        let mut again: Vec<&str> = cmd.to_vec();
        let f = file.display().to_string();
        again.extend(["--config", &f, "--print-config"]);
        let o = basis(&again);
        assert!(o.status.success(), "{cmd:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), printed, "{cmd:?}");
        // --replot with nothing to redraw.
        let mut replot: Vec<&str> = cmd.to_vec();
        replot.extend(["--replot", "--out", &o_str]);
        let o = basis(&replot);
        assert_eq!(o.status.code(), Some(1), "{cmd:?}");
        let e = stderr(&o);
        assert!(e.lines().count() == 1 && e.contains(&o_str), "{cmd:?}: {e}");
        assert!(stdout(&o).is_empty(), "{cmd:?}");
    }
    // A stdout that cannot take the output is an error line and exit 1, not a panic.
    if let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") {
        let o = Command::new(env!("CARGO_BIN_EXE_basis"))
            .args(["demo", "--print-config"])
            .stdout(full)
            .output()
            .expect("run basis");
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("cannot write to stdout"),
            "{}",
            stderr(&o)
        );
    }
}
