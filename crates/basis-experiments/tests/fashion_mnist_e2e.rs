//! End to end on a Fashion-MNIST subset: Siamese features, Algorithm 1, test-set scores,
//! cached features, resumed checkpoint, saved model. Needs the Debian data set, which
//! `cargo xtask test` (and `cargo xtask setup`) installs.

use basis_experiments::RunContext;
use basis_experiments::engine::run;
use basis_experiments::fashion_mnist::{BasisRow, ExperimentConfig, load_dataset, run_experiment};
use basis_graph::KnnParams;
use basis_methods::basis::BasisModel;
use basis_nn::siamese::SiameseConfig;
use basis_spectral::EmbeddingParams;

fn config(out: std::path::PathBuf) -> ExperimentConfig {
    let mut c = ExperimentConfig {
        // T-shirt/top, trouser, sneaker.
        classes: vec![0, 1, 7],
        limit_train: Some(3000),
        limit_test: Some(1000),
        siamese: SiameseConfig {
            steps: 200,
            batch_size: 64,
            learning_rate: 1e-3,
            ..Default::default()
        },
        anchors_per_class: 10,
        checkpoint_every: 100,
        out_dir: out,
        ..Default::default()
    };
    c.basis.batch_size = 256;
    c.basis.iterations = 200;
    c.basis.learning_rate = 1e-3;
    c.basis.graph.knn = KnnParams {
        k: 20,
        ..c.basis.graph.knn
    };
    c.basis.embedding = EmbeddingParams {
        k: 3,
        ..c.basis.embedding
    };
    c
}

#[test]
fn basis_on_three_fashion_mnist_classes() {
    if let Err(e) = load_dataset("fashion-mnist") {
        panic!("Fashion-MNIST is needed for this test ({e}); run `cargo xtask setup`");
    }
    let out = std::env::temp_dir().join(format!("basis-fmnist-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let cfg = config(out.clone());
    let first = run::<BasisRow>(&cfg, &RunContext::new(vec![0], false))
        .unwrap()
        .report;
    let r = &first.runs[0].report;
    eprintln!(
        "{}",
        basis_experiments::fashion_mnist::summary_markdown(&first)
    );
    // Three well separated classes: the network's test embedding must cluster them and span
    // nearly the analytic eigenspace of the test graph (d_G ∈ [0, 3]).
    assert!(r.nmi.unwrap() > 0.75, "NMI {:?}", r.nmi);
    assert!(r.acc.unwrap() > 0.9, "ACC {:?}", r.acc);
    assert!(r.grassmann.unwrap() < 0.5, "d_G {:?}", r.grassmann);
    assert!(
        r.probe_accuracy.unwrap() > 0.9,
        "probe {:?}",
        r.probe_accuracy
    );
    assert_eq!(first.runs[0].skipped_batches, 0);
    for f in [
        "table.md",
        "table.json",
        "seed-0/test_embedding.npy",
        "seed-0/report.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }

    // The saved model embeds the test features exactly as the run did.
    let model = BasisModel::load(out.join("seed-0/model")).unwrap();
    let test_features = basis_data::npy::read_npy(out.join("features/test_features.npy")).unwrap();
    let exported = basis_data::npy::read_npy(out.join("seed-0/test_embedding.npy")).unwrap();
    assert_eq!(model.embed(&test_features).unwrap(), exported);

    // Second run: features come from the cache, training resumes from the final checkpoint;
    // the scores must be the same numbers.
    let again = run_experiment(&cfg, &[0], false).unwrap();
    assert_eq!(again.siamese_seconds, 0.0);
    assert_eq!(again.runs[0].iterations_run, 0);
    assert_eq!(again.runs[0].report, first.runs[0].report);

    // Pipelined training (batch preparation on a worker thread, checkpoints between the
    // chunks), same libtorch thread count: the same scores and test embedding, bit for bit.
    let piped_out = out.join("pipelined");
    let piped_cfg = ExperimentConfig {
        pipeline: Some(basis_methods::basis::PipelineConfig::default()),
        feature_cache: Some(out.join("features")),
        out_dir: piped_out.clone(),
        ..cfg.clone()
    };
    let piped = run_experiment(&piped_cfg, &[0], false).unwrap();
    assert_eq!(piped.runs[0].iterations_run, 200);
    assert_eq!(piped.runs[0].report, first.runs[0].report);
    assert_eq!(
        basis_data::npy::read_npy(piped_out.join("seed-0/test_embedding.npy")).unwrap(),
        exported
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn algorithm_2_writes_its_curves_and_panels() {
    use basis_experiments::feature_change::{
        FeatureChange, FeatureChangeConfig, run_feature_change,
    };
    let out = std::env::temp_dir().join(format!("basis-fc-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut c = FeatureChangeConfig::fig8();
    c.data.limit_train = Some(900);
    c.data.limit_test = Some(300);
    c.data.anchors_per_class = 10;
    c.data.basis.batch_size = 200;
    c.data.basis.graph.knn.k = 15;
    c.data.siamese.batch_size = 32;
    c.feature_iterations = 40;
    c.eval_every = 20;
    c.eval_points = 300;
    c.snapshots = vec![10, 40];
    c.data.out_dir = out.clone();
    let bad = FeatureChangeConfig {
        spectral_every: 0,
        ..c.clone()
    };
    assert!(run_feature_change(&bad, false).is_err());
    let r = run::<FeatureChange>(&c, &RunContext::default())
        .unwrap()
        .report;
    assert_eq!(r.curves.feature_loss.len(), 40);
    assert_eq!(r.curves.spectral_loss.len(), 4);
    assert_eq!(r.curves.eval_at, vec![10, 20, 40]);
    assert_eq!(r.snapshots.len(), 2);
    assert!(r.snapshots.iter().all(|s| s.before.len() == s.after.len()));
    // The analytic embedding and the network are scored at every evaluation.
    assert!(r.curves.nmi.iter().all(|v| v.len() == 3));
    assert!(r.curves.acc[0].iter().all(|a| (0.0..=1.0).contains(a)));
    for f in [
        "fig6.png",
        "fig8.png",
        "report.json",
        "report.md",
        "summary.json",
    ] {
        let bytes = std::fs::read(out.join(f)).unwrap();
        assert!(!bytes.is_empty(), "{f}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}
