//! `basis._core`: the Rust side of the Python package `basis` (distribution `basis-toolkit`).
//!
//! Thin functions over the toolkit's crates, on float64 numpy arrays that the Python layer
//! (`python/basis/`) has already validated with scikit-learn's `check_array`; the estimators'
//! scikit-learn conventions live there. Every toolkit error becomes a `ValueError` carrying the
//! toolkit's one-line message; long work (training, eigensolves) runs with the GIL released.
//!
//! Arrays are copied into nalgebra's column-major matrices at this boundary (the toolkit's
//! public type); the Python side passes C- or Fortran-ordered float64 without a further copy.

use basis_graph::{
    BatchGraphParams, KnnParams, LaplacianKind, knn_affinity, knn_exact, laplacian_csr,
};
use basis_methods::Embedder;
use basis_methods::anchors::AnchorStrategy;
use basis_methods::method::{FitRecord, Method, MethodConfig, TrainingSet};
use basis_metrics::{ColumnScaling, NmiNormalization};
use basis_spectral::EmbeddingParams;
use nalgebra::DMatrix;
use nalgebra_sparse::CsrMatrix;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use std::path::PathBuf;

/// A toolkit error as Python's `ValueError`.
fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A 2-D float64 array as an nalgebra matrix (one copy, into column-major order).
fn matrix(x: &PyReadonlyArray2<'_, f64>) -> DMatrix<f64> {
    let v = x.as_array();
    DMatrix::from_fn(v.nrows(), v.ncols(), |i, j| v[(i, j)])
}

/// An nalgebra matrix as a new C-ordered numpy array.
fn array<'py>(py: Python<'py>, m: &DMatrix<f64>) -> Bound<'py, PyArray2<f64>> {
    let a = numpy::ndarray::Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)]);
    a.into_pyarray(py)
}

fn labels(y: &PyReadonlyArray1<'_, i64>) -> PyResult<Vec<usize>> {
    y.as_array()
        .iter()
        .map(|&v| {
            usize::try_from(v).map_err(|_| value_error(format!("labels must be ≥ 0, got {v}")))
        })
        .collect()
}

fn laplacian_kind(kind: &str) -> PyResult<LaplacianKind> {
    match kind {
        "normalized" => Ok(LaplacianKind::SymmetricNormalized),
        "unnormalized" => Ok(LaplacianKind::Unnormalized),
        other => Err(value_error(format!(
            "laplacian must be 'normalized' or 'unnormalized', got {other:?}"
        ))),
    }
}

/// The graph of the toolkit's Table 1 setting with `k` neighbours.
fn graph_params(k: usize, laplacian: &str, allow_disconnected: bool) -> PyResult<BatchGraphParams> {
    let table1 = BatchGraphParams::paper_table1();
    Ok(BatchGraphParams {
        knn: KnnParams { k, ..table1.knn },
        laplacian: laplacian_kind(laplacian)?,
        allow_disconnected,
        ..table1
    })
}

type Csr<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    usize,
);

fn csr_parts<'py>(py: Python<'py>, w: &CsrMatrix<f64>) -> Csr<'py> {
    let to_i64 = |v: &[usize]| v.iter().map(|&i| i as i64).collect::<Vec<_>>();
    (
        w.values().to_vec().into_pyarray(py),
        to_i64(w.col_indices()).into_pyarray(py),
        to_i64(w.row_offsets()).into_pyarray(py),
        w.nrows(),
    )
}

/// The symmetric kNN affinity of `x` (exact search, self-tuning Gaussian weights at the 7th
/// neighbour, max-symmetrised): `(data, indices, indptr, n)` of a CSR matrix.
#[pyfunction]
fn knn_affinity_csr<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    k: usize,
) -> PyResult<Csr<'py>> {
    let x = matrix(&x);
    let params = graph_params(k, "normalized", true)?;
    let w = py
        .allow_threads(|| {
            params.check_batch_size(x.nrows())?;
            let knn = knn_exact(&x, &params.knn)?;
            knn_affinity(&knn, &params.affinity)
        })
        .map_err(value_error)?;
    Ok(csr_parts(py, &w))
}

/// The Laplacian of the CSR affinity `(data, indices, indptr, n)`: `(data, indices, indptr, n)`.
#[pyfunction]
fn laplacian_of_csr<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, f64>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    n: usize,
    kind: &str,
) -> PyResult<Csr<'py>> {
    let kind = laplacian_kind(kind)?;
    let idx = |a: &PyReadonlyArray1<'py, i64>| -> PyResult<Vec<usize>> {
        a.as_array()
            .iter()
            .map(|&v| {
                usize::try_from(v).map_err(|_| value_error("negative index in the CSR matrix"))
            })
            .collect()
    };
    let w = CsrMatrix::try_from_csr_data(
        n,
        n,
        idx(&indptr)?,
        idx(&indices)?,
        data.as_array().to_vec(),
    )
    .map_err(|e| value_error(format!("not a valid n × n CSR matrix: {e}")))?;
    let l = laplacian_csr(&w, kind).map_err(value_error)?;
    Ok(csr_parts(py, &l))
}

/// Eigenvectors (n × K) and eigenvalues (K).
type Solved<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>);

/// The `n_components` leading eigenvectors of the kNN graph's Laplacian of `x` and their
/// eigenvalues (`basis_spectral::analytic_embedding`).
#[pyfunction]
#[pyo3(signature = (x, n_components, n_neighbors, laplacian, drop_trivial, seed))]
fn analytic_embedding<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    n_components: usize,
    n_neighbors: usize,
    laplacian: &str,
    drop_trivial: bool,
    seed: u64,
) -> PyResult<Solved<'py>> {
    let x = matrix(&x);
    let graph = graph_params(n_neighbors, laplacian, true)?;
    let mut params = EmbeddingParams {
        k: n_components,
        drop_trivial,
        ..Default::default()
    };
    params.solver.seed = seed;
    let solved = py
        .allow_threads(|| basis_spectral::analytic_embedding(&x, &graph, &params))
        .map_err(value_error)?;
    let e = &solved.embedding;
    Ok((
        array(py, &e.coords),
        e.values
            .iter()
            .copied()
            .collect::<Vec<_>>()
            .into_pyarray(py),
    ))
}

/// Σ sin² of the principal angles between the column spans of `a` and `b` (Eq. 16).
#[pyfunction]
fn grassmann_distance(a: PyReadonlyArray2<'_, f64>, b: PyReadonlyArray2<'_, f64>) -> PyResult<f64> {
    basis_metrics::grassmann_distance(&matrix(&a), &matrix(&b)).map_err(value_error)
}

/// ‖YᵀY − I‖_F of `y` with unit-norm columns (Eq. 17).
#[pyfunction]
fn orthogonality(y: PyReadonlyArray2<'_, f64>) -> PyResult<f64> {
    basis_metrics::orthogonality(&matrix(&y), ColumnScaling::UnitNorm).map_err(value_error)
}

/// Normalised mutual information: `I / max(H(c), H(ĉ))` as the BASiS paper (Eq. 18), or
/// scikit-learn's arithmetic normalisation with `arithmetic=True`.
#[pyfunction]
#[pyo3(signature = (truth, pred, arithmetic=false))]
fn nmi(
    truth: PyReadonlyArray1<'_, i64>,
    pred: PyReadonlyArray1<'_, i64>,
    arithmetic: bool,
) -> PyResult<f64> {
    let norm = if arithmetic {
        NmiNormalization::Arithmetic
    } else {
        NmiNormalization::Max
    };
    basis_metrics::nmi(&labels(&truth)?, &labels(&pred)?, norm).map_err(value_error)
}

/// Clustering accuracy under the best one-to-one matching of clusters to classes.
#[pyfunction]
fn clustering_accuracy(
    truth: PyReadonlyArray1<'_, i64>,
    pred: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    basis_metrics::clustering_accuracy(&labels(&truth)?, &labels(&pred)?).map_err(value_error)
}

/// The default configuration of every method, as JSON (`MethodConfig`).
#[pyfunction]
fn default_config() -> PyResult<String> {
    serde_json::to_string(&MethodConfig::default()).map_err(value_error)
}

/// A trained model: `transform` embeds new points, `save` writes the `basis fit` layout.
#[pyclass(module = "basis._core")]
struct Model {
    method: Method,
    // A Mutex makes the model shareable between threads (PyO3 requires it of a class);
    // calls on one model are serialised.
    model: std::sync::Mutex<Box<dyn Embedder>>,
    record: FitRecord,
}

impl Model {
    fn new(method: Method, model: Box<dyn Embedder>, record: FitRecord) -> Self {
        Self {
            method,
            model: std::sync::Mutex::new(model),
            record,
        }
    }

    fn embedder(&self) -> Result<std::sync::MutexGuard<'_, Box<dyn Embedder>>, String> {
        self.model
            .lock()
            .map_err(|_| "the model was poisoned by a failed call".to_string())
    }
}

#[pymethods]
impl Model {
    /// The n × K embedding of the rows of `x`.
    fn transform<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let x = matrix(&x);
        if x.ncols() != self.record.input_dim {
            return Err(value_error(format!(
                "X has {} features, but the model was fitted on {}",
                x.ncols(),
                self.record.input_dim
            )));
        }
        let y = py
            .allow_threads(|| self.embedder()?.embed(&x).map_err(|e| e.to_string()))
            .map_err(value_error)?;
        Ok(array(py, &y))
    }

    /// Writes `DIR/fit.json` and `DIR/model/` as `basis fit --out DIR` does, so `basis embed
    /// --model DIR` reads it. The model directory is written atomically.
    fn save(&self, dir: PathBuf) -> PyResult<()> {
        std::fs::create_dir_all(&dir).map_err(value_error)?;
        self.embedder()
            .map_err(value_error)?
            .save(&dir.join("model"))
            .map_err(value_error)?;
        let json = serde_json::to_string_pretty(&self.record).map_err(value_error)?;
        basis_data::io::write_atomic(dir.join("fit.json"), json.as_bytes()).map_err(value_error)
    }

    /// The method's slug (`basis`, `spectralnet`, …).
    #[getter]
    fn method(&self) -> &'static str {
        self.method.slug()
    }

    /// The number of features the model was fitted on.
    #[getter]
    fn n_features_in(&self) -> usize {
        self.record.input_dim
    }

    /// The configuration of the fit, as JSON.
    #[getter]
    fn config_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.record.config).map_err(value_error)
    }
}

/// Trains `method` (a slug) on `x` with the JSON configuration `config` and `seed`; `y`
/// (labels) only for BASiS's per-class anchors. `verbose` prints the loss every 100 steps.
/// The GIL is released while training; a Ctrl-C during the fit raises `KeyboardInterrupt`
/// when the fit returns (the trainers take no stop signal yet).
#[pyfunction]
#[pyo3(signature = (method, x, y, config, seed, verbose=false))]
fn fit(
    py: Python<'_>,
    method: &str,
    x: PyReadonlyArray2<'_, f64>,
    y: Option<PyReadonlyArray1<'_, i64>>,
    config: &str,
    seed: u64,
    verbose: bool,
) -> PyResult<Model> {
    let m = Method::from_slug(method)
        .ok_or_else(|| value_error(format!("unknown method {method:?}")))?;
    let config: MethodConfig = serde_json::from_str(config)
        .map_err(|e| value_error(format!("not a method configuration: {e}")))?;
    let x = matrix(&x);
    let y = y.map(|y| labels(&y)).transpose()?;
    if m == Method::Basis && config.anchor_strategy == AnchorStrategy::PerClass && y.is_none() {
        return Err(value_error(
            "per-class anchors need y; use anchors='uniform' or 'k-means++' without labels",
        ));
    }
    // Set by the observer when Python has a pending signal (Ctrl-C); local to this fit, so
    // fits on other threads do not see it.
    let mut interrupted = false;
    let every = config.basis.iterations.div_ceil(10).max(1);
    let result = py.allow_threads(|| {
        let train = TrainingSet {
            features: &x,
            labels: y.as_deref(),
        };
        m.fit(&train, &config, seed, &mut |i, loss| {
            if verbose && i % every == 0 {
                eprintln!("[basis] {} step {i}: loss {loss:.5}", m.name());
            }
            // A pending Ctrl-C (checked under the GIL) marks the run interrupted. The trainers
            // take no stop signal yet, so the fit runs to its end and is then discarded.
            if !interrupted && Python::with_gil(|py| py.check_signals()).is_err() {
                interrupted = true;
            }
        })
    });
    if interrupted {
        return Err(PyKeyboardInterrupt::new_err("fit interrupted"));
    }
    let model = result.map_err(value_error)?;
    let record = FitRecord {
        method: m.slug().into(),
        seed,
        n_train: x.nrows(),
        input_dim: x.ncols(),
        anchors: config.anchor_strategy.name().into(),
        config,
    };
    Ok(Model::new(m, model, record))
}

/// Loads a directory written by `basis fit` or `Model.save`.
#[pyfunction]
fn load(dir: PathBuf) -> PyResult<Model> {
    let record: FitRecord = basis_data::config_file::read(&dir.join("fit.json"))
        .map_err(|e| value_error(format!("{e} (not written by `basis fit` or `save`)")))?;
    let m = Method::from_slug(&record.method)
        .ok_or_else(|| value_error(format!("unknown method {}", record.method)))?;
    let model = m.load(&dir.join("model")).map_err(value_error)?;
    Ok(Model::new(m, model, record))
}

/// The Rust core of the `basis` package.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(knn_affinity_csr, m)?)?;
    m.add_function(wrap_pyfunction!(laplacian_of_csr, m)?)?;
    m.add_function(wrap_pyfunction!(analytic_embedding, m)?)?;
    m.add_function(wrap_pyfunction!(grassmann_distance, m)?)?;
    m.add_function(wrap_pyfunction!(orthogonality, m)?)?;
    m.add_function(wrap_pyfunction!(nmi, m)?)?;
    m.add_function(wrap_pyfunction!(clustering_accuracy, m)?)?;
    m.add_function(wrap_pyfunction!(default_config, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_class::<Model>()?;
    Ok(())
}
