//! The harness both command-line corpora share: scratch files, a `basis` run under a
//! watchdog, and the checks every bad-input case must pass.
#![allow(dead_code)] // each test binary uses its own part

use basis_data::npy::encode_npy;
use nalgebra::DMatrix;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One bad command line and what it must end with.
pub struct Case {
    pub name: String,
    pub args: Vec<String>,
    /// 1 for our errors, 2 for clap's usage errors.
    pub code: i32,
    /// A phrase the message must contain.
    pub needle: &'static str,
}

/// A fresh scratch directory for this test binary and `tag`.
pub fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("basis-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn npy(dir: &Path, name: &str, m: &DMatrix<f64>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, encode_npy(m)).unwrap();
    p.display().to_string()
}

pub fn file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|a| a.to_string()).collect()
}

/// The binary under test: `$BASIS_CORPUS_BIN` when set (to run the corpus against another
/// build, e.g. the one before a fix, and count what it fails), else this build's `basis`.
pub fn bin() -> PathBuf {
    std::env::var_os("BASIS_CORPUS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_basis")))
}

/// Runs `basis` with a watchdog: `None` if it did not finish within `limit`; else its exit
/// code and stderr.
pub fn run(args: &[String], limit: Duration) -> Option<(i32, String)> {
    let child = Command::new(bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run basis");
    wait(child, limit)
}

/// Waits for `child` (stderr piped) under a watchdog.
pub fn wait(mut child: std::process::Child, limit: Duration) -> Option<(i32, String)> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return Some((status.code().unwrap_or(-1), err));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `.npy` file with this header dictionary over the payload (version 1.0, padded as numpy
/// pads it), to make headers numpy would not write.
pub fn npy_with_header(dir: &Path, name: &str, dict: &str, payload: &[u8]) -> String {
    let mut header = dict.to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(payload);
    file(dir, name, &bytes)
}

/// Runs every case and fails the test with a list of the cases that did not end as they
/// must: the expected exit code, no panic, one `error:` line (exit 1) naming the cause, no
/// file of `outputs` left behind, within 60 s. `clean` is removed before every case.
pub fn run_corpus(dir: &Path, cases: Vec<Case>, clean: &[PathBuf], outputs: &[PathBuf]) {
    let verbose = std::env::var_os("BASIS_CORPUS_VERBOSE").is_some();
    let total = cases.len();
    let mut failures = Vec::new();
    for c in cases {
        for o in clean {
            let _ = std::fs::remove_dir_all(o);
            let _ = std::fs::remove_file(o);
        }
        let Some((code, err)) = run(&c.args, Duration::from_secs(60)) else {
            failures.push(format!("{}: hung (killed after 60 s)", c.name));
            continue;
        };
        if verbose {
            println!("{:<60} {code} {}", c.name, err.lines().next().unwrap_or(""));
        }
        // Stage lines (`[basis] …`, what started) may come first; then one `error:` line.
        let lines: Vec<&str> = err
            .trim_end()
            .lines()
            .filter(|l| !l.starts_with("[basis] "))
            .collect();
        let problems: Vec<&str> = [
            (code != c.code, "exit code"),
            (err.contains("panicked"), "panic"),
            (
                c.code == 1 && !(lines.len() == 1 && lines[0].starts_with("error: ")),
                "not one `error:` line",
            ),
            (
                !err.to_lowercase().contains(&c.needle.to_lowercase()),
                "message lacks the cause",
            ),
            (outputs.iter().any(|o| o.exists()), "left output"),
        ]
        .into_iter()
        .filter_map(|(bad, what)| bad.then_some(what))
        .collect();
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {} (exit {code}, expected {}; needle {:?}): {}",
                c.name,
                problems.join(", "),
                c.code,
                c.needle,
                err.trim_end()
            ));
        }
    }
    println!("{total} command-line cases");
    std::fs::remove_dir_all(dir).ok();
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
