//! Times repeated sparse solves of the L_N eigenpairs of a graph exported by
//! `cargo xtask sweep spectral` (`STEM_indptr.npy`, `STEM_indices.npy`,
//! `STEM_data.npy`), in one process, so that a profiler can watch the solve
//! alone:
//!
//! ```sh
//! cargo run --release -p basis-experiments --example lanczos_profile -- \
//!     target/spectral-sweep fmnist_train_60000x32 1e-6 5
//! ```
//!
//! Arguments: directory, stem, tolerance, repetitions, then optionally `k`
//! (default 10), `krylov_dim` (default 0 = automatic) and the operator values
//! (`auto`, `f64` or `f32`). Environment: `THREADS=n` for the solver's threads,
//! `PRODUCTS=1` to time single products first (1 and 2 threads, f64 values and
//! f32 leading parts; back to back, after a 16 MB sweep of another buffer, and
//! after 200 µs asleep — a product inside the solver meets cold caches).

use basis_data::npy::read_npy;
use basis_graph::LaplacianKind;
use basis_spectral::{
    EigenMethod, EmbeddingParams, OperatorValues, SolverParams, laplacian_eigenmap_csr,
};
use nalgebra_sparse::CsrMatrix;
use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        return Err("usage: lanczos_profile DIR STEM TOL REPS [K] [KRYLOV_DIM]".into());
    }
    let dir = Path::new(&args[0]);
    let stem = &args[1];
    let tol: f64 = args[2].parse()?;
    let reps: usize = args[3].parse()?;
    let k: usize = args.get(4).map_or(Ok(10), |s| s.parse())?;
    let krylov_dim: usize = args.get(5).map_or(Ok(0), |s| s.parse())?;
    let values = match args.get(6).map(String::as_str) {
        None | Some("auto") => OperatorValues::Auto,
        Some("f64") => OperatorValues::F64,
        Some("f32") => OperatorValues::F32,
        Some(other) => return Err(format!("values: auto, f64 or f32, not {other}").into()),
    };
    let load = |part: &str| -> Result<Vec<f64>, Box<dyn std::error::Error>> {
        Ok(read_npy(dir.join(format!("{stem}_{part}.npy")))?
            .as_slice()
            .to_vec())
    };
    let indptr: Vec<usize> = load("indptr")?.iter().map(|&v| v as usize).collect();
    let indices: Vec<usize> = load("indices")?.iter().map(|&v| v as usize).collect();
    let data = load("data")?;
    let n = indptr.len() - 1;
    let w = CsrMatrix::try_from_csr_data(n, n, indptr, indices, data)?;
    let params = EmbeddingParams {
        k,
        drop_trivial: false,
        solver: SolverParams {
            method: EigenMethod::Lanczos,
            tol,
            krylov_dim,
            values,
            threads: std::env::var("THREADS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            ..Default::default()
        },
    };
    println!("{stem}: n = {n}, nnz = {}, K = {k}, tol {tol:e}", w.nnz());
    for _ in 0..2 {
        let t = Instant::now();
        let c = basis_graph::numerical_components_csr(&w, LaplacianKind::SymmetricNormalized, tol);
        println!(
            "numerical components: {} in {:.1} ms",
            c.count,
            t.elapsed().as_secs_f64() * 1e3
        );
        let t = Instant::now();
        basis_graph::sparse::check_affinity_csr(&w)?;
        println!(
            "check_affinity_csr: {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    if std::env::var("PRODUCTS").is_ok() {
        products(&w)?;
    }
    let mut times = Vec::with_capacity(reps);
    for r in 0..reps {
        let t = Instant::now();
        let (e, stats) =
            laplacian_eigenmap_csr(&w, LaplacianKind::SymmetricNormalized, &params, &mut |_| {})?;
        println!(
            "run {r}: {:.3} s, {} products ({:?} values), {} restarts, max residual {:.1e}, λ_K = {:.6}",
            t.elapsed().as_secs_f64(),
            stats.matvecs,
            stats.values,
            stats.restarts,
            e.max_residual(),
            e.values[k - 1]
        );
        times.push(t.elapsed().as_secs_f64());
    }
    if times.is_empty() {
        return Ok(());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "min {:.3} s, median {:.3} s over {reps} runs",
        times[0],
        times[times.len() / 2]
    );
    Ok(())
}

/// Times products with the graph's `L_N` in isolation.
fn products(w: &CsrMatrix<f64>) -> Result<(), Box<dyn std::error::Error>> {
    use basis_spectral::{CsrOperator, SymmetricOperator, ValuePrecision};
    let n = w.nrows();
    let d = basis_graph::degrees_csr(w);
    let s: Vec<f64> = d.iter().map(|v| 1.0 / v.sqrt()).collect();
    let x: Vec<f64> = (0..n).map(|i| ((i % 97) as f64).sin()).collect();
    let mut y = vec![0.0; n];
    let big = vec![1.0f64; 2_000_000];
    let median = |mut t: Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2] * 1e3
    };
    for threads in [1, 2] {
        for precision in [ValuePrecision::F64, ValuePrecision::F32] {
            let op = CsrOperator::from_csr_map(
                w,
                threads,
                |i, j, v| -v * s[i] * s[j],
                |i, own| 1.0 - own * s[i] * s[i],
            )?
            .with_value_precision(precision)?;
            if precision == ValuePrecision::F32 && threads == 1 {
                println!(
                    "rounding bound of the f32 leading parts {:.2e}, of hi + lo {:.2e}, ‖L‖ ≤ {:.3}",
                    op.rounding_error_bound(),
                    op.split_error_bound(),
                    op.abs_row_sum_bound()
                );
            }
            let r = op.rounded();
            let mut time = |before: &mut dyn FnMut()| {
                (0..40)
                    .map(|_| {
                        before();
                        let t = Instant::now();
                        r.apply(&x, &mut y);
                        t.elapsed().as_secs_f64()
                    })
                    .collect::<Vec<_>>()
            };
            let hot = median(time(&mut || {}));
            let mut sink = 0.0;
            let swept = median(time(&mut || sink += big.iter().sum::<f64>()));
            let slept = median(time(&mut || {
                std::thread::sleep(std::time::Duration::from_micros(200))
            }));
            println!(
                "product, {threads} thread(s), {precision:?}: median {hot:.3} ms back to back, \
                 {swept:.3} ms after a 16 MB sweep, {slept:.3} ms after 200 µs asleep ({sink})"
            );
            for b in [2usize, 4, 8] {
                let xb: Vec<f64> = (0..n * b).map(|i| ((i % 89) as f64).cos()).collect();
                let mut yb = vec![0.0; n * b];
                let t = median(
                    (0..20)
                        .map(|_| {
                            let t = Instant::now();
                            r.apply_block(&xb, &mut yb, b);
                            t.elapsed().as_secs_f64()
                        })
                        .collect(),
                );
                println!(
                    "  block of {b}: median {t:.3} ms ({:.3} ms per vector)",
                    t / b as f64
                );
            }
        }
    }
    Ok(())
}
