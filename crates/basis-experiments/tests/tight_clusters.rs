//! BASiS on tight, well-separated clusters (`subspace-blobs`), the case that used to fail:
//! Lanczos missed copies of the batch graph's numerically zero eigenvalues, the batch's
//! K-dimensional space was wrong, RANSAC kept 80–90 % of the anchors and the targets exploded.
//! The reproduction must finish, write its table, and cluster perfectly.

use basis_experiments::fashion_mnist::{
    ExperimentConfig, FeatureSource, SUBSPACE_BLOBS, run_experiment,
};

#[test]
fn basis_clusters_tight_blobs_like_the_analytic_embedding() {
    let out = std::env::temp_dir().join(format!("basis-tight-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut c = ExperimentConfig {
        dataset: SUBSPACE_BLOBS.into(),
        features: FeatureSource::Raw,
        checkpoint_every: 0,
        out_dir: out.clone(),
        ..Default::default()
    };
    // Smaller than the setting to keep the suite quick: 10 anchors per class, batches
    // of 256 (about 25 points per cluster, so the 50 neighbours reach into other clusters,
    // with weights far below rounding), 200 iterations.
    c.blobs.n_train = 2000;
    c.blobs.n_test = 1000;
    c.anchors_per_class = 10;
    c.basis.batch_size = 256;
    c.basis.iterations = 200;
    let s = basis_experiments::engine::run::<basis_experiments::fashion_mnist::BasisRow>(
        &c,
        &basis_experiments::RunContext::new(vec![0], false),
    )
    .unwrap()
    .report;
    let r = &s.runs[0];
    let (nmi, acc) = (r.report.nmi.unwrap(), r.report.acc.unwrap());
    let d_orth = r.report.orthogonality.unwrap();
    assert!(nmi >= 0.99 && acc >= 0.99, "NMI {nmi} ACC {acc}");
    assert!(d_orth <= 0.3, "d_⊥ {d_orth}");
    assert!(r.final_loss < 1.0, "final loss {}", r.final_loss);
    assert!(
        r.mean_inlier_fraction > 0.95,
        "inliers {}",
        r.mean_inlier_fraction
    );
    assert_eq!(r.skipped_batches, 0, "{:?}", r.skip_reasons);
    // The analytic test embedding clusters perfectly too; the network is as good.
    assert!(s.analytic.nmi.unwrap() >= 0.99);
    // The table was written, and the per-seed log reads back (it once failed on a NaN loss).
    assert!(out.join("table.md").is_file() && out.join("table.json").is_file());
    std::fs::remove_dir_all(&out).unwrap();
}

/// Regression (issue 24): resuming after a change of `--limit-train` reused the checkpoint of
/// the old subset (a smaller one indexed past the new data and panicked; a larger one trained
/// on the old subset only). A checkpoint is now resumed only on the data it was trained on;
/// any other checkpoint is an error naming the difference, unless `start_over` is set.
#[test]
fn a_checkpoint_is_resumed_only_on_the_data_it_was_trained_on() {
    let out = std::env::temp_dir().join(format!("basis-resume-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut c = ExperimentConfig {
        dataset: SUBSPACE_BLOBS.into(),
        features: FeatureSource::Raw,
        classes: vec![0, 1, 2],
        limit_train: Some(600),
        limit_test: Some(300),
        checkpoint_every: 10,
        out_dir: out.clone(),
        ..Default::default()
    };
    c.anchors_per_class = 5;
    c.basis.embedding.k = 3;
    c.basis.batch_size = 128;
    c.basis.iterations = 20;
    let first = run_experiment(&c, &[0], false).unwrap();
    assert_eq!(first.runs[0].iterations_run, 20);
    // Same data: the finished checkpoint is resumed, nothing is trained again.
    let again = run_experiment(&c, &[0], false).unwrap();
    assert_eq!(again.runs[0].iterations_run, 0);
    // Other feature values with the same labels, so the same anchors and the same BASiS
    // configuration (the spread is a data option): this was resumed on the old data.
    c.blobs.spread = 0.05;
    let e = run_experiment(&c, &[0], false).unwrap_err().to_string();
    assert!(
        e.contains("is not a checkpoint of this run") && e.contains("--start-over"),
        "{e}"
    );
    assert!(e.contains("600 × 16 training features"), "{e}");
    c.start_over = true;
    let s = run_experiment(&c, &[0], false).unwrap();
    assert_eq!(s.runs[0].iterations_run, 20, "other values, started over");
    // Fewer and then more training points: an error naming the sizes, then a fresh run with
    // `start_over`; no panic.
    for limit in [300, 600] {
        c.limit_train = Some(limit);
        c.start_over = false;
        let e = run_experiment(&c, &[0], false).unwrap_err().to_string();
        assert!(e.contains(&format!("this run has {limit} × 16")), "{e}");
        c.start_over = true;
        let s = run_experiment(&c, &[0], false).unwrap();
        assert_eq!(s.runs[0].iterations_run, 20, "limit {limit}");
    }
    // A checkpoint that cannot be read is named too.
    c.start_over = false;
    let state = out.join("seed-0/checkpoint");
    for entry in std::fs::read_dir(&state).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::write(&p, b"corrupt").unwrap();
        }
    }
    let e = run_experiment(&c, &[0], false).unwrap_err().to_string();
    assert!(e.contains("cannot be read"), "{e}");
    let _ = std::fs::remove_dir_all(&out);
}
