//! The second round of the command-line corpus (issue 43): the classes a 554-case probe of
//! `basis` found beyond `tests/bad_inputs.rs` — sizes taken on trust, writes to a closed or
//! full stdout, configurations that are not regular files, unknown configuration keys,
//! options a command ignored, outputs that clobber inputs or devices, interrupted overwrites,
//! and unclear messages — each with cases of our own (the probe itself stays held out) and
//! their siblings across the commands. Every case failed (panic, hang, exit 0 or an unclear
//! line) before the fix it names in `docs/reliability.md`.

mod common;

use basis_data::npy::encode_npy;
use common::{Case, bin, file, npy, npy_with_header, run_corpus, s, scratch, wait};
use nalgebra::DMatrix;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const MAX: &str = "18446744073709551615";

/// Three separated clusters of 40 points in the plane, and their labels.
fn data(dir: &Path) -> (String, String) {
    let x = DMatrix::from_fn(120, 2, |i, j| {
        let c = (i / 40) as f64;
        let t = (i % 40) as f64;
        if j == 0 {
            3.0 * c + 0.3 * (t * 0.7).sin()
        } else {
            3.0 * (c % 2.0) + 0.3 * (t * 1.3).cos()
        }
    });
    let y = DMatrix::from_fn(120, 1, |i, _| (i / 40) as f64);
    (npy(dir, "x.npy", &x), npy(dir, "y.npy", &y))
}

/// A small, fast `fit` on `x` into `out`, with extra options (`--name value` pairs, which
/// replace the defaults' values of the same options; for another method than BASiS the anchor
/// options, which it would refuse, are left out unless `extra` gives them).
fn fit_args(x: &str, out: &str, extra: &[&str]) -> Vec<String> {
    let defaults = [
        ("--k", "3"),
        ("--batch-size", "60"),
        ("--neighbors", "10"),
        ("--anchors", "uniform"),
        ("--anchors-per-class", "2"),
        ("--iterations", "3"),
    ];
    let other_method = extra
        .windows(2)
        .any(|w| w[0] == "--method" && w[1] != "basis");
    let mut a = s(&["fit", "--input", x, "--out", out, "--no-progress"]);
    for (name, value) in defaults {
        let anchors = name.starts_with("--anchors");
        if !(extra.contains(&name) || other_method && anchors) {
            a.extend(s(&[name, value]));
        }
    }
    a.extend(s(extra));
    a
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo");
}

/// `basis` with these arguments, stdout null, to completion (panics on failure).
fn basis_ok(args: &[String]) {
    let out = Command::new(bin())
        .args(args)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn cases(dir: &Path) -> Vec<Case> {
    let (x, y) = data(dir);
    let out = dir.join("out").display().to_string();
    let emb = dir.join("emb.npy").display().to_string();
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let fifo = fifo.display().to_string();
    let devlink = dir.join("devlink");
    std::os::unix::fs::symlink("/dev/zero", &devlink).unwrap();
    let devlink = devlink.display().to_string();
    // A fit to embed with, and configurations with one key misspelt.
    let model = dir.join("model").display().to_string();
    basis_ok(&fit_args(&x, &model, &[]));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("model/fit.json")).unwrap())
            .unwrap();
    let mut config = record["config"].clone();
    let fields = config.as_object_mut().unwrap();
    let strategy = fields.remove("anchor_strategy").unwrap();
    fields.insert("anchor_strategi".into(), strategy);
    let typo = file(dir, "typo.json", config.to_string().as_bytes());
    let mut nested = record["config"].clone();
    nested["basis"]["graph"]["knn"]["kk"] = 3.into();
    let nested = file(dir, "nested.json", nested.to_string().as_bytes());
    let mut big = record["config"].clone();
    big["basis"]["mlp"]["hidden"] = serde_json::json!([4_000_000_000_000u64, 10]);
    let big = file(dir, "big.json", big.to_string().as_bytes());
    let demo = Command::new(bin())
        .args(["demo", "--print-config"])
        .output()
        .unwrap();
    let mut demo: serde_json::Value = serde_json::from_slice(&demo.stdout).unwrap();
    demo["basis"]["graph"]["knn"]["kk"] = 3.into();
    let demo_typo = file(dir, "demo.json", demo.to_string().as_bytes());
    // Files that say what they are badly.
    let good = DMatrix::from_fn(60, 2, |i, j| ((i * 5 + j * 3) as f64).sin());
    let object = npy_with_header(
        dir,
        "object.npy",
        "{'descr': '|O', 'fortran_order': False, 'shape': (60, 2), }",
        &[0u8; 960],
    );
    let long_header = {
        let mut b = encode_npy(&good);
        b[6] = 2;
        b.splice(8..10, [0xff, 0xff, 0xff, 0x7f]);
        file(dir, "long-header.npy", &b)
    };
    let tiny = npy(dir, "tiny.npy", &(&good * 1e-300));
    let gz_bomb = {
        // IDX header of 2 × 2 bytes, then 64 MiB of zeros: a few kilobytes gzipped.
        let mut raw = vec![0u8, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4];
        raw.resize(raw.len() + (64 << 20), 0);
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut z, &raw).unwrap();
        file(dir, "bomb.gz", &z.finish().unwrap())
    };
    let fit = |extra: &[&str]| fit_args(&x, &out, extra);
    let mut cases: Vec<(&str, Vec<String>, i32, &'static str)> = vec![
        // Sizes taken on trust.
        (
            "fit: --iterations 2^64-1",
            fit(&["--iterations", MAX]),
            1,
            "steps one run accepts",
        ),
        (
            "fit: anchors-per-class × K past 2^64",
            fit(&["--anchors-per-class", "6148914691236517206"]),
            1,
            "cannot draw",
        ),
        (
            "fit: a network larger than memory",
            s(&[
                "fit",
                "--input",
                &x,
                "--out",
                &out,
                "--config",
                &big,
                "--no-progress",
            ]),
            1,
            "memory available",
        ),
        (
            "reproduce table1: --seeds 2^64-1",
            s(&["reproduce", "table1", "--seeds", MAX]),
            2,
            "not in 1..=10000",
        ),
        (
            "reproduce link-prediction: --trials 2^64-1",
            s(&["reproduce", "link-prediction", "--trials", MAX]),
            2,
            "not in 1..=10000",
        ),
        (
            "reproduce link-prediction: --k 2^64-1 (k + 1 wrapped)",
            s(&[
                "reproduce",
                "link-prediction",
                "--k",
                MAX,
                "--trials",
                "1",
                "--out",
                &out,
            ]),
            1,
            "k + 1 < n",
        ),
        (
            "reproduce segmentation: --train-images 2^64-1",
            s(&[
                "reproduce",
                "segmentation",
                "--train-images",
                MAX,
                "--seeds",
                "1",
                "--out",
                &out,
            ]),
            1,
            "memory available",
        ),
        (
            "sweep graph: --batch-calls 2^64-1",
            s(&[
                "sweep",
                "graph",
                "--batch-calls",
                MAX,
                "--sizes",
                "100",
                "--out",
                &out,
            ]),
            1,
            "calls",
        ),
        (
            "sweep spectral: --krylov-dim 2^64-1 (a full decomposition)",
            s(&["sweep", "spectral", "--krylov-dim", MAX, "--out", &out]),
            1,
            "never needed",
        ),
        (
            "sweep spectral: --dim 2^64-1",
            s(&["sweep", "spectral", "--dim", MAX, "--out", &out]),
            1,
            "784",
        ),
        (
            "reproduce feature-change: --iterations 2^64-1",
            s(&[
                "reproduce",
                "feature-change",
                "--iterations",
                MAX,
                "--out",
                &out,
            ]),
            1,
            "feature_iterations",
        ),
        (
            "a gzipped IDX that inflates far past its header",
            s(&["analytic", "--input", &gz_bomb, "--out", &emb]),
            1,
            "payload has 5 bytes",
        ),
        // Configurations that are not regular files.
        (
            "fit: --config a FIFO",
            s(&["fit", "--input", &x, "--out", &out, "--config", &fifo]),
            1,
            "named pipe",
        ),
        (
            "demo: --config a FIFO",
            s(&["demo", "--config", &fifo, "--out", &out]),
            1,
            "named pipe",
        ),
        (
            "reproduce table1: --config /dev/zero",
            s(&[
                "reproduce",
                "table1",
                "--config",
                "/dev/zero",
                "--out",
                &out,
            ]),
            1,
            "character device",
        ),
        // Unknown keys.
        (
            "fit: a misspelt key in --config",
            s(&["fit", "--input", &x, "--out", &out, "--config", &typo]),
            1,
            "did you mean `anchor_strategy`",
        ),
        (
            "fit: a misspelt nested key in --config",
            s(&["fit", "--input", &x, "--out", &out, "--config", &nested]),
            1,
            "unknown key `basis.graph.knn.kk`",
        ),
        (
            "demo: a misspelt nested key in --config",
            s(&["demo", "--config", &demo_typo, "--print-config"]),
            1,
            "unknown key `basis.graph.knn.kk`",
        ),
        // Options a command ignored.
        (
            "sweep tightness: --dataset",
            s(&["sweep", "tightness", "--dataset", "bogus", "--print-config"]),
            2,
            "unexpected argument '--dataset'",
        ),
        (
            "sweep tightness: --spread (the sweep sets it)",
            s(&["sweep", "tightness", "--spread", "0.1", "--print-config"]),
            1,
            "use --spreads",
        ),
        (
            "sweep tightness: --siamese-steps on raw features",
            s(&[
                "sweep",
                "tightness",
                "--siamese-steps",
                "5",
                "--print-config",
            ]),
            1,
            "--features siamese only",
        ),
        (
            "reproduce basis: a generator option on a real data set",
            s(&[
                "reproduce",
                "basis",
                "--dataset",
                "fashion-mnist",
                "--test-between",
                "0.1",
                "--print-config",
            ]),
            1,
            "subspace-blobs only",
        ),
        (
            "reproduce feature-change: --siamese-steps",
            s(&[
                "reproduce",
                "feature-change",
                "--siamese-steps",
                "5",
                "--print-config",
            ]),
            1,
            "--iterations steps",
        ),
        (
            "sweep tightness: a configuration on another data set",
            {
                let out = Command::new(bin())
                    .args(["sweep", "tightness", "--print-config"])
                    .output()
                    .unwrap();
                let mut c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                c["experiment"]["dataset"] = "fashion-mnist".into();
                let p = file(dir, "tight.json", c.to_string().as_bytes());
                s(&["sweep", "tightness", "--config", &p, "--out", &out_dir(dir)])
            },
            1,
            "cannot apply",
        ),
        (
            "fit: --labels with anchors that do not use them",
            fit(&["--labels", &y]),
            1,
            "does not use them",
        ),
        (
            "fit: --anchors-per-class for a method without anchors",
            fit(&["--method", "spectralnet", "--anchors-per-class", "3"]),
            1,
            "draws no anchors",
        ),
        (
            "evaluate: --neighbors without --features",
            s(&[
                "evaluate",
                "--embedding",
                &x,
                "--labels",
                &y,
                "--neighbors",
                "5",
            ]),
            1,
            "needs --features",
        ),
        // Outputs that collide or clobber.
        (
            "analytic: --out e.json is its own eigenvalue file",
            s(&[
                "analytic",
                "--input",
                &x,
                "--out",
                &dir.join("e.json").display().to_string(),
            ]),
            1,
            "same file",
        ),
        (
            "analytic: --out is the input",
            s(&["analytic", "--input", &x, "--out", &x]),
            1,
            "also an input",
        ),
        (
            // Through a link in the scratch directory: run as root against a binary without
            // the fix, `--out /dev/null` itself would replace the machine's /dev/null.
            "analytic: --out a link to /dev/null",
            {
                let link = dir.join("null");
                std::os::unix::fs::symlink("/dev/null", &link).unwrap();
                s(&["analytic", "--input", &x, "--out", link.to_str().unwrap()])
            },
            1,
            "character device",
        ),
        (
            "embed: --out is the input",
            s(&["embed", "--model", &model, "--input", &x, "--out", &x]),
            1,
            "also an input",
        ),
        (
            "embed: --out inside the model directory",
            s(&[
                "embed",
                "--model",
                &model,
                "--input",
                &x,
                "--out",
                &format!("{model}/train_embedding.npy"),
            ]),
            1,
            "inside the model directory",
        ),
        (
            "evaluate: --json is the embedding",
            s(&["evaluate", "--embedding", &x, "--labels", &y, "--json", &x]),
            1,
            "also an input",
        ),
        (
            "evaluate: --json a FIFO",
            s(&[
                "evaluate",
                "--embedding",
                &x,
                "--labels",
                &y,
                "--json",
                &fifo,
            ]),
            1,
            "named pipe",
        ),
        (
            "fit: --out holds someone else's files",
            {
                let theirs = dir.join("theirs");
                std::fs::create_dir_all(&theirs).unwrap();
                std::fs::write(theirs.join("thesis.tex"), b"precious").unwrap();
                fit_args(&x, &theirs.display().to_string(), &[])
            },
            1,
            "thesis.tex",
        ),
        // Unclear messages (the data files are below).
        (
            "data at 1e-300",
            s(&[
                "analytic",
                "--input",
                &tiny,
                "--out",
                &emb,
                "--neighbors",
                "10",
            ]),
            1,
            "underflow",
        ),
        (
            "embed: a model directory without fit.json",
            {
                let empty = dir.join("not-a-model");
                std::fs::create_dir_all(&empty).unwrap();
                s(&[
                    "embed",
                    "--model",
                    empty.to_str().unwrap(),
                    "--input",
                    &x,
                    "--out",
                    &emb,
                ])
            },
            1,
            "neither fit.json",
        ),
        (
            "embed: a BASiS model as --siamese",
            s(&[
                "embed",
                "--model",
                &model,
                "--input",
                &x,
                "--out",
                &emb,
                "--siamese",
                &format!("{model}/model"),
            ]),
            1,
            "not a Siamese network directory",
        ),
        (
            "reproduce basis: a batch larger than the data writes nothing first",
            s(&[
                "reproduce",
                "basis",
                "--dataset",
                "subspace-blobs",
                "--features",
                "raw",
                "--limit-train",
                "100",
                "--seeds",
                "1",
                "--out",
                &out,
                "--no-progress",
            ]),
            1,
            "exceeds the 100 training points",
        ),
    ];
    for (name, input, needle) in [
        (
            "a FIFO as data",
            &fifo,
            "named pipe (FIFO), not a regular file",
        ),
        (
            "a symbolic link to a device as data",
            &devlink,
            "character device",
        ),
        ("an object-dtype .npy", &object, "dtype object"),
        (
            "a .npy header length of 2 GiB",
            &long_header,
            "header announces",
        ),
    ] {
        cases.push((
            name,
            s(&["analytic", "--input", input, "--out", &emb]),
            1,
            needle,
        ));
    }
    cases.push((
        "fit: a misspelt key also fails with the options given beside it",
        s(&[
            "fit", "--input", &x, "--out", &out, "--config", &typo, "--k", "3",
        ]),
        1,
        "anchor_strategi",
    ));
    cases
        .into_iter()
        .map(|(name, args, code, needle)| Case {
            name: name.to_string(),
            args,
            code,
            needle,
        })
        .collect()
}

fn out_dir(dir: &Path) -> String {
    dir.join("out").display().to_string()
}

#[test]
fn every_class_of_the_second_probe_fails_with_one_clear_line() {
    let dir = scratch("round-two");
    let cases = cases(&dir);
    let clean = [dir.join("out"), dir.join("emb.npy")];
    // Nothing may be written by a failed case: no output, no analytic embedding first.
    let outputs = [
        dir.join("out"),
        dir.join("emb.npy"),
        dir.join("e.json"),
        dir.join("model/train_embedding.npy.tmp"),
    ];
    run_corpus(&dir, cases, &clean, &outputs);
}

/// Runs `basis args` with its stdout closed before it writes (the read end of the pipe
/// dropped) or on `/dev/full`; returns the exit code and stderr.
fn with_stdout(args: &[String], closed: bool) -> (i32, String) {
    let mut cmd = Command::new(bin());
    cmd.args(args).stderr(Stdio::piped());
    if closed {
        cmd.stdout(Stdio::piped());
    } else {
        cmd.stdout(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        );
    }
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    wait(child, Duration::from_secs(60)).expect("no hang")
}

#[test]
fn a_closed_or_full_stdout_is_a_quiet_exit_or_one_error_line_in_every_command() {
    let dir = scratch("stdout");
    let (x, y) = data(&dir);
    let model = dir.join("model").display().to_string();
    let emb = dir.join("emb.npy").display().to_string();
    let commands: Vec<Vec<String>> = vec![
        fit_args(&x, &model, &[]),
        s(&["embed", "--model", &model, "--input", &x, "--out", &emb]),
        s(&["evaluate", "--embedding", &x, "--labels", &y]),
        s(&[
            "analytic",
            "--input",
            &x,
            "--out",
            &emb,
            "--neighbors",
            "10",
            "--allow-disconnected",
        ]),
        s(&["demo", "--print-config"]),
    ];
    for args in &commands {
        let (code, err) = with_stdout(args, true);
        assert_eq!(code, 141, "{args:?} on a closed pipe: {err}");
        assert!(
            err.lines().all(|l| l.starts_with("[basis] ")),
            "{args:?} on a closed pipe said more than its stage lines: {err}"
        );
        let (code, err) = with_stdout(args, false);
        assert_eq!(code, 1, "{args:?} on /dev/full: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("[basis] ")).collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with("error: cannot write to stdout"),
            "{args:?} on /dev/full: {err}"
        );
        assert!(!err.contains("panicked"));
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The process of `child` has `GOMP_SPINCOUNT` in its environment (Linux: /proc/PID/environ).
fn environment_of(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', "\n"))
        .unwrap_or_default()
}

#[test]
fn a_killed_overwrite_leaves_the_previous_fit_whole_and_the_next_run_cleans_up() {
    let dir = scratch("killed");
    let (x, _) = data(&dir);
    let out = dir.join("fit");
    let out_s = out.display().to_string();
    basis_ok(&fit_args(&x, &out_s, &["--method", "spectralnet"]));
    let before = std::fs::read(out.join("fit.json")).unwrap();
    // A BASiS fit over it, killed (SIGKILL) while it trains; killed as well if an assertion
    // below fails first, so no 100,000-iteration run outlives the test.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Command::new(bin())
        .args(fit_args(&x, &out_s, &["--iterations", "100000"]))
        .env_remove("GOMP_SPINCOUNT")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let pid = child.0.id();
    let partial = dir.join(format!(".fit.partial-{pid}"));
    let start = std::time::Instant::now();
    while !partial.exists() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(partial.exists(), "the run writes into a partial directory");
    // The binary re-executed itself with libgomp's spin count set (the same process).
    std::thread::sleep(Duration::from_millis(200));
    let env = environment_of(pid);
    assert!(
        env.lines().any(|l| l == "GOMP_SPINCOUNT=3000"),
        "GOMP_SPINCOUNT not set in the running binary:\n{env}"
    );
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    // The previous fit is whole: its own fit.json beside its own model; embed uses it.
    assert_eq!(std::fs::read(out.join("fit.json")).unwrap(), before);
    assert_eq!(names(&out), ["fit.json", "model", "train_embedding.npy"]);
    basis_ok(&s(&[
        "embed",
        "--model",
        &out_s,
        "--input",
        &x,
        "--out",
        &dir.join("e.npy").display().to_string(),
    ]));
    // The next fit removes what the killed one left and replaces the directory whole.
    basis_ok(&fit_args(&x, &out_s, &[]));
    assert_eq!(names(&dir), ["e.npy", "fit", "x.npy", "y.npy"]);
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("fit.json")).unwrap()).unwrap();
    assert_eq!(after["method"], "basis");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn case_and_slashes_in_npz_names_and_overriding_options_act() {
    let dir = scratch("positive");
    let x = DMatrix::from_fn(60, 2, |i, j| {
        ((i * 5 + j * 3) as f64).sin() + (i % 3) as f64
    });
    let npz = dir.join("A.NPZ");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&npz).unwrap());
        z.start_file("dir/x.npy", zip::write::FileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut z, &encode_npy(&x)).unwrap();
        z.finish().unwrap();
    }
    let e = dir.join("e.npy");
    basis_ok(&s(&[
        "analytic",
        "--input",
        &format!("{}:dir/x", npz.display()),
        "--out",
        &e.display().to_string(),
        "--neighbors",
        "10",
        "--allow-disconnected",
    ]));
    assert_eq!(
        basis_data::npy::read_npy(&e).unwrap().nrows(),
        60,
        "the member was read"
    );
    // An option given beside --config overrides the file (it used to be ignored).
    let xs = npy(&dir, "x.npy", &x);
    let first = dir.join("first").display().to_string();
    basis_ok(&fit_args(&xs, &first, &[]));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("first/fit.json")).unwrap())
            .unwrap();
    let config = file(&dir, "c.json", record["config"].to_string().as_bytes());
    let second = dir.join("second");
    basis_ok(&s(&[
        "fit",
        "--input",
        &xs,
        "--out",
        &second.display().to_string(),
        "--config",
        &config,
        "--iterations",
        "5",
        "--no-progress",
    ]));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(second.join("fit.json")).unwrap()).unwrap();
    assert_eq!(record["config"]["basis"]["iterations"], 5);
    assert_eq!(
        record["config"]["basis"]["embedding"]["k"], 3,
        "the file's K kept"
    );
    // Help offers only what the command accepts.
    let help = Command::new(bin())
        .args(["reproduce", "feature-change", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let dataset = help
        .split("--dataset <DATASET>")
        .nth(1)
        .and_then(|t| t.split("[default").next())
        .unwrap_or("");
    assert!(dataset.contains("fashion-mnist"), "{help}");
    assert!(!dataset.contains("subspace-blobs"), "{help}");
    std::fs::remove_dir_all(&dir).ok();
}
