//! The network half of the bad-input corpus (issue 24; the pure crates are covered by
//! `tests/bad_input_corpus/`, the command line by `crates/basis-cli/tests/bad_inputs.rs`):
//! every method's `fit`, `embed` and `load` given malformed data, impossible settings and
//! damaged checkpoints. Each case runs on its own thread under a watchdog and must end with a
//! typed error of a named kind, or with a result whose documented property is checked (an
//! embedding is finite: `Embedder::embed` never returns NaN).

use basis_data::toy::{ToyParams, gaussian_blobs};
use basis_graph::{BatchGraphParams, KnnParams};
use basis_methods::baselines::BaselineConfig;
use basis_methods::method::{Method, MethodConfig, TrainingSet};
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

fn config() -> MethodConfig {
    let baseline = BaselineConfig {
        graph: BatchGraphParams {
            knn: KnnParams {
                k: 10,
                ..Default::default()
            },
            allow_disconnected: true,
            ..BatchGraphParams::paper_table1()
        },
        k: 3,
        batch_size: 128,
        iterations: 10,
        learning_rate: 1e-3,
        mlp: basis_nn::MlpConfig {
            hidden: vec![16, 16],
        },
        ..Default::default()
    };
    let mut basis = basis_methods::basis::paper_basis_config();
    basis.graph = baseline.graph;
    basis.embedding.k = baseline.k;
    basis.batch_size = baseline.batch_size;
    basis.iterations = baseline.iterations;
    basis.mlp = baseline.mlp.clone();
    MethodConfig {
        basis,
        anchors_per_class: 10,
        anchor_strategy: Default::default(),
        baseline,
        neuralef: basis_methods::neuralef::NeuralEfConfig {
            mlp: basis_nn::MlpConfig {
                hidden: vec![64, 64],
            },
            ..Default::default()
        },
    }
}

fn data() -> (DMatrix<f64>, Vec<usize>) {
    let d = gaussian_blobs(
        &ToyParams {
            n_samples: 300,
            noise: 0.0,
            seed: 1,
        },
        3,
        0.6,
    )
    .unwrap();
    (d.features, d.labels)
}

type Outcome = Result<(), String>;

/// Runs `f` on its own thread; `Err("panicked")` or `Err("hung")` if it does not return.
fn guarded(
    f: impl FnOnce() -> Outcome + Send + 'static,
    limit: Duration,
) -> Result<Outcome, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(o) => Ok(o),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("panicked".into()),
        Err(mpsc::RecvTimeoutError::Timeout) => Err("hung".into()),
    }
}

fn err_of<T>(r: basis_methods::Result<T>) -> Outcome {
    r.map(|_| ()).map_err(|e| format!("{e:?} / {e}"))
}

/// An embedding result: `Ok` only when every coordinate is finite.
fn finite(r: basis_methods::Result<DMatrix<f64>>) -> Outcome {
    match r {
        Ok(y) if y.iter().all(|v| v.is_finite()) => Ok(()),
        Ok(_) => Err("WRONG: a non-finite embedding was returned".into()),
        Err(e) => Err(format!("{e:?} / {e}")),
    }
}

struct Case {
    name: String,
    /// `None`: must succeed; `Some(needles)`: must fail with a message holding one of them.
    expect: Option<&'static [&'static str]>,
    run: Box<dyn FnOnce() -> Outcome + Send>,
}

/// Phrases one of which the error must contain.
type Needles = &'static [&'static str];
/// A bad training set or configuration: name, features, labels, configuration, expected error.
type FitInput = (
    &'static str,
    DMatrix<f64>,
    Vec<usize>,
    MethodConfig,
    Needles,
);
/// Points to embed: name, points, expected error (`None`: a finite embedding).
type EmbedInput = (&'static str, DMatrix<f64>, Option<Needles>);

fn fit_cases(out: &mut Vec<Case>) {
    let (x, y) = data();
    for method in Method::ALL {
        let inputs: Vec<FitInput> = {
            let mut nan = x.clone();
            nan[(3, 1)] = f64::NAN;
            let mut inf = x.clone();
            inf[(0, 0)] = f64::INFINITY;
            let with = |f: &dyn Fn(&mut MethodConfig)| {
                let mut c = config();
                f(&mut c);
                c
            };
            vec![
                (
                    "NaN feature",
                    nan,
                    y.clone(),
                    config(),
                    &["NonFinite", "non-finite"],
                ),
                (
                    "+inf feature",
                    inf,
                    y.clone(),
                    config(),
                    &["NonFinite", "non-finite"],
                ),
                (
                    "no points",
                    DMatrix::zeros(0, 2),
                    vec![],
                    config(),
                    &["Empty", "exceeds", "got n = 0"],
                ),
                (
                    "no columns",
                    DMatrix::zeros(300, 0),
                    y.clone(),
                    config(),
                    &["empty training data", "d = 0"],
                ),
                (
                    "features of 1e300",
                    &x * 1e300,
                    y.clone(),
                    config(),
                    &["too large", "overflows"],
                ),
                (
                    "labels of another length",
                    x.clone(),
                    y[..10].to_vec(),
                    config(),
                    &["labels for"],
                ),
                (
                    "K = 0",
                    x.clone(),
                    y.clone(),
                    with(&|c| {
                        c.basis.embedding.k = 0;
                        c.baseline.k = 0;
                    }),
                    &["eigenvector", "k = 0", "K"],
                ),
                (
                    "batch larger than the data",
                    x.clone(),
                    y.clone(),
                    with(&|c| {
                        c.basis.batch_size = 1000;
                        c.baseline.batch_size = 1000;
                    }),
                    &["exceeds", "batch"],
                ),
                (
                    "batch size 0",
                    x.clone(),
                    y.clone(),
                    with(&|c| {
                        c.basis.batch_size = 0;
                        c.baseline.batch_size = 0;
                    }),
                    &["batch"],
                ),
                (
                    "no iterations",
                    x.clone(),
                    y.clone(),
                    with(&|c| {
                        c.basis.iterations = 0;
                        c.baseline.iterations = 0;
                    }),
                    &["iterations"],
                ),
                (
                    "learning rate NaN",
                    x.clone(),
                    y.clone(),
                    with(&|c| {
                        c.basis.learning_rate = f64::NAN;
                        c.baseline.learning_rate = f64::NAN;
                        c.neuralef.learning_rate = f64::NAN;
                    }),
                    &["learning rate", "lr > 0"],
                ),
                (
                    "a hidden layer of width 0",
                    x.clone(),
                    y.clone(),
                    with(&|c| {
                        c.basis.mlp.hidden = vec![16, 0];
                        c.baseline.mlp.hidden = vec![16, 0];
                        c.neuralef.mlp.hidden = vec![16, 0];
                    }),
                    &["hidden", "width"],
                ),
            ]
        };
        for (what, xs, ys, c, needles) in inputs {
            out.push(Case {
                name: format!("{}.fit: {what}", method.slug()),
                expect: Some(needles),
                run: Box::new(move || {
                    let train = TrainingSet {
                        features: &xs,
                        labels: Some(&ys),
                    };
                    err_of(method.fit(&train, &c, 0, &mut |_, _| {}))
                }),
            });
        }
    }
}

fn model_dir(root: &Path, method: Method) -> PathBuf {
    root.join(method.slug())
}

fn embed_and_load_cases(out: &mut Vec<Case>, root: &Path) {
    let (x, y) = data();
    for method in Method::ALL {
        let train = TrainingSet {
            features: &x,
            labels: Some(&y),
        };
        let model = method.fit(&train, &config(), 0, &mut |_, _| {}).unwrap();
        let dir = model_dir(root, method);
        model.save(&dir).unwrap();
        let inputs: Vec<EmbedInput> = {
            let mut nan = x.clone();
            nan[(0, 0)] = f64::NAN;
            vec![
                ("good points", x.clone(), None),
                (
                    "another dimension",
                    DMatrix::zeros(5, 3),
                    Some(&["Shape", "features", "coordinates"][..]),
                ),
                ("NaN", nan, Some(&["NonFinite", "non-finite"][..])),
                // Far outside the training range: finite coordinates or a typed error naming
                // the non-finite rows, never a NaN embedding.
                (
                    "points of 1e300",
                    &x * 1e300,
                    Some(&["NonFiniteOutput", "__ok__"][..]),
                ),
                // An empty 0 × K embedding.
                ("no points", DMatrix::zeros(0, 2), None),
            ]
        };
        for (what, xs, expect) in inputs {
            // Each case loads the saved model on its own thread (tch modules stay there).
            let d = dir.clone();
            out.push(Case {
                name: format!("{}.embed: {what}", method.slug()),
                expect,
                run: Box::new(move || match method.load(&d) {
                    Ok(m) => finite(m.embed(&xs)),
                    Err(e) => Err(format!("WRONG: the saved model does not load: {e}")),
                }),
            });
        }
        // Damaged checkpoints: every file of the saved model, emptied or cut in half.
        let mut files: Vec<PathBuf> = walk(&dir);
        files.sort();
        for (k, f) in files.iter().enumerate() {
            for damage in ["emptied", "cut in half", "garbage"] {
                let copy = root.join(format!(
                    "{}-{k}-{}",
                    method.slug(),
                    damage.replace(' ', "-")
                ));
                copy_dir(&dir, &copy);
                let target = copy.join(f.strip_prefix(&dir).unwrap());
                let bytes = std::fs::read(&target).unwrap();
                let damaged = match damage {
                    "emptied" => vec![],
                    "cut in half" => bytes[..bytes.len() / 2].to_vec(),
                    _ => b"\x00\x01not a checkpoint file".to_vec(),
                };
                std::fs::write(&target, damaged).unwrap();
                let name = f.strip_prefix(&dir).unwrap().display().to_string();
                out.push(Case {
                    name: format!("{}.load: {name} {damage}", method.slug()),
                    expect: Some(&["Checkpoint"]),
                    run: Box::new(move || err_of(method.load(&copy))),
                });
            }
        }
        // Weights that are not finite, written as a valid safetensors file.
        let copy = root.join(format!("{}-nan-weights", method.slug()));
        copy_dir(&dir, &copy);
        let weights = walk(&copy)
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "safetensors"))
            .unwrap();
        let mut tensors = tch::Tensor::read_safetensors(&weights).unwrap();
        let _ = tensors[0].1.fill_(f64::NAN);
        tch::Tensor::write_safetensors(&tensors, &weights).unwrap();
        out.push(Case {
            name: format!("{}.load: NaN weights", method.slug()),
            expect: Some(&["NaN or infinite weights"]),
            run: Box::new(move || err_of(method.load(&copy))),
        });
        if method == Method::Basis {
            // A standardisation with a zero deviation (edited by hand).
            let copy = root.join("basis-std-0");
            copy_dir(&dir, &copy);
            let meta = copy.join("checkpoint.json");
            let mut v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
            fn zero_std(v: &mut serde_json::Value) {
                match v {
                    serde_json::Value::Object(m) => {
                        for (k, x) in m.iter_mut() {
                            if k == "std" {
                                if let Some(a) = x.as_array_mut() {
                                    a.iter_mut().for_each(|e| *e = 0.0.into());
                                }
                            } else {
                                zero_std(x);
                            }
                        }
                    }
                    serde_json::Value::Array(a) => a.iter_mut().for_each(zero_std),
                    _ => {}
                }
            }
            zero_std(&mut v);
            std::fs::write(&meta, serde_json::to_string(&v).unwrap()).unwrap();
            out.push(Case {
                name: "basis.load: a standardisation with deviation 0".into(),
                expect: Some(&["deviation must be finite and > 0"]),
                run: Box::new(move || err_of(method.load(&copy))),
            });
        }
        out.push(Case {
            name: format!("{}.load: a missing directory", method.slug()),
            expect: Some(&["/nonexistent/model"]),
            run: Box::new(move || err_of(method.load(Path::new("/nonexistent/model")))),
        });
        let other = if method == Method::Basis {
            Method::SpectralNet
        } else {
            Method::Basis
        };
        let d = dir.clone();
        out.push(Case {
            name: format!("{}.load: a model of {}", other.slug(), method.slug()),
            expect: Some(&[" model, not "]),
            run: Box::new(move || err_of(other.load(&d))),
        });
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let t = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

#[test]
fn every_method_refuses_bad_input_with_a_typed_error() {
    let root = std::env::temp_dir().join(format!("basis-methods-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let verbose = std::env::var_os("BASIS_CORPUS_VERBOSE").is_some();
    let mut cases = Vec::new();
    fit_cases(&mut cases);
    embed_and_load_cases(&mut cases, &root);
    let total = cases.len();
    let mut failures = Vec::new();
    for c in cases {
        let got = guarded(c.run, Duration::from_secs(60));
        if verbose {
            println!("{:<56} {got:?}", c.name);
        }
        let ok = match (&got, c.expect) {
            (Ok(Ok(())), None) => true,
            (Ok(Ok(())), Some(needles)) => needles.contains(&"__ok__"),
            (Ok(Err(e)), Some(needles)) => {
                !e.starts_with("WRONG") && needles.iter().any(|n| n != &"__ok__" && e.contains(n))
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("{}: expected {:?}, got {got:?}", c.name, c.expect));
        }
    }
    println!("{total} network cases");
    std::fs::remove_dir_all(&root).ok();
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
