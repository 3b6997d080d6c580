//! Why Diffusion Net's and SpecNet2's d_G are large in our Table 1: which subspace each method
//! learns, measured against the analytic eigenvectors `U` of `L_N` on the test graph.
//!
//! Run after `cargo xtask reproduce table1` (it reads the cached features and the saved
//! models):
//!
//! ```text
//! cargo run --release -p basis-baselines --example subspace_diagnostics [results/table1] [seeds]
//! ```
//!
//! Prints, per seed: the principal-angle sin² of Diffusion Net and SpecNet2 against `U`;
//! d_G of SpecNet2's test-set Rayleigh–Ritz vectors before and after scaling rows by `D^{1/2}`
//! (generalised eigenvectors of (W, D) are `D^{-1/2}` times those of `L_N`); and the
//! reference distances between `U`, `D^{-1/2} U` and `U` without its trivial vector.

use basis_data::npy::read_npy;
use basis_experiments::table1::Table1;
use basis_methods::method::Method;
use basis_methods::specnet2::rayleigh_ritz::rayleigh_ritz;
use basis_metrics::{grassmann_distance, principal_angles};
use basis_spectral::{EmbeddingParams, analytic_embedding};
use nalgebra::{DMatrix, DVector};
use std::path::PathBuf;

fn sin2(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Vec<f64> {
    principal_angles(a, b)
        .expect("equal shapes")
        .iter()
        .map(|t| t.sin().powi(2))
        .collect()
}

fn fmt(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.2}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn scale_rows(y: &DMatrix<f64>, s: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(y.nrows(), y.ncols(), |i, j| y[(i, j)] * s[i])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().map_or("results/table1", String::as_str));
    let seeds: usize = args.get(1).map_or(Ok(3), |s| s.parse())?;
    let table: Table1 = serde_json::from_str(&std::fs::read_to_string(dir.join("table1.json"))?)?;
    let e = &table.config.experiment;
    let cache = e
        .feature_cache
        .clone()
        .unwrap_or_else(|| e.out_dir.join("features"));
    let test = read_npy(cache.join("test_features.npy"))?;
    let k = e.basis.embedding.k;
    // K + 1 eigenvectors: the K of d_G, and one more to describe "U without the trivial".
    let solved = analytic_embedding(
        &test,
        &e.basis.graph,
        &EmbeddingParams {
            k: k + 1,
            ..e.basis.embedding
        },
    )?;
    let w = solved.affinity;
    let u_all = solved.embedding.coords;
    let u = u_all.columns(0, k).into_owned();
    let d = DVector::from_iterator(w.nrows(), w.row_iter().map(|r| r.values().iter().sum()));
    let d_sqrt = d.map(f64::sqrt);
    println!(
        "reference: d_G(U, D^-1/2 U) = {:.3}; d_G(U, [u_2 .. u_{}]) = {:.3}",
        grassmann_distance(&u, &scale_rows(&u, &d_sqrt.map(|x| 1.0 / x)))?,
        k + 1,
        grassmann_distance(&u, &u_all.columns(1, k).into_owned())?
    );
    for seed in 0..seeds {
        let load = |m: Method| {
            m.load(
                &dir.join(m.slug())
                    .join(format!("seed-{seed}"))
                    .join("model"),
            )
        };
        let dn = load(Method::DiffusionNet)?.embed(&test)?;
        println!("seed {seed} Diffusion Net sin²: {}", fmt(&sin2(&dn, &u)));
        let sn2 = load(Method::SpecNet2)?;
        let raw = sn2.raw_outputs(&test)?;
        let ritz = rayleigh_ritz(&raw, &(&w * &raw), &d)?;
        println!(
            "seed {seed} SpecNet2 (test-set RR) sin²: {}\n  d_G {:.3}; rows scaled by D^1/2: d_G {:.3}",
            fmt(&sin2(&ritz.vectors, &u)),
            grassmann_distance(&ritz.vectors, &u)?,
            grassmann_distance(&scale_rows(&ritz.vectors, &d_sqrt), &u)?
        );
    }
    Ok(())
}
