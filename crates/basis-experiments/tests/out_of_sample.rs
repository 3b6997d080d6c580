//! BASiS out of sample (docs/out-of-sample.md): test points from wider classes than the
//! training points, and between clusters. The reproduction's generalisation check must flag
//! the embedding that loses what its inputs had, and input noise with kernel targets must
//! recover it; test-set anchors (the official code's transductive choice) are a diagnostic
//! that puts test rows into training.

use basis_experiments::fashion_mnist::{
    DataFingerprint, ExperimentConfig, ExperimentSummary, FeatureSource, SUBSPACE_BLOBS,
    generalisation_markdown, run_experiment,
};

/// Tight training clusters, test classes six times wider and 5 % of the test points between
/// two clusters, at a size the suite can afford.
fn wide_test_config(tag: &str, input_noise: f64) -> ExperimentConfig {
    let out = std::env::temp_dir().join(format!("basis-oos-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut c = ExperimentConfig {
        dataset: SUBSPACE_BLOBS.into(),
        features: FeatureSource::Raw,
        checkpoint_every: 0,
        out_dir: out,
        ..Default::default()
    };
    c.blobs.n_train = 2000;
    c.blobs.n_test = 1000;
    c.blobs.test_spread_factor = 6.0;
    c.blobs.test_between_fraction = 0.05;
    c.anchors_per_class = 10;
    c.basis.batch_size = 256;
    c.basis.iterations = 1000;
    c.basis.input_noise = input_noise;
    c
}

fn run(c: &ExperimentConfig) -> ExperimentSummary {
    let s = run_experiment(c, &[0], false).unwrap();
    std::fs::remove_dir_all(&c.out_dir).unwrap();
    s
}

#[test]
fn the_check_flags_the_lost_clustering_and_input_noise_recovers_it() {
    let plain = run(&wide_test_config("plain", 0.0));
    let noisy = run(&wide_test_config("noisy", 4.0));
    for s in [&plain, &noisy] {
        let r = &s.runs[0];
        let train = r.train.as_ref().expect("the training side is scored");
        // On its own training points the network clusters perfectly and is close to the
        // training graph's eigenvectors.
        assert!(train.nmi.unwrap() > 0.99, "{train:?}");
        assert!(train.grassmann.unwrap() < 0.5, "{train:?}");
        let features = s.features_kmeans.as_ref().unwrap();
        assert!(features.nmi.unwrap() > 0.9, "{features:?}");
        assert!(generalisation_markdown(s).contains("k-means on the test features"));
    }
    let gap = |s: &ExperimentSummary| {
        s.runs[0].report.nmi.unwrap() - s.features_kmeans.as_ref().unwrap().nmi.unwrap()
    };
    // The paper's step extrapolates off the tight training support: the test embedding
    // clusters clearly worse than its own inputs, d_G grows several-fold, the check says so.
    assert!(gap(&plain) < -0.03, "plain gap {}", gap(&plain));
    assert!(plain.runs[0].grassmann_ratio() > 2.0);
    assert!(generalisation_markdown(&plain).contains("clusters worse than its own inputs"));
    assert!(!generalisation_markdown(&noisy).contains("clusters worse than its own inputs"));
    // Input noise closes most of the clustering gap and lowers the test d_G.
    assert!(
        gap(&noisy) > gap(&plain) + 0.02,
        "noisy gap {} plain gap {}",
        gap(&noisy),
        gap(&plain)
    );
    assert!(noisy.runs[0].report.grassmann.unwrap() < plain.runs[0].report.grassmann.unwrap());
}

#[test]
fn test_set_anchors_are_test_rows_appended_to_training() {
    let mut c = wide_test_config("anchors", 0.0);
    c.basis.iterations = 20;
    c.test_set_anchors = true;
    let s = run_experiment(&c, &[0], false).unwrap();
    // The network trained on the 2,000 training points plus 10 anchors of each of the ten
    // classes drawn from the test set.
    let fingerprint: DataFingerprint = serde_json::from_str(
        &std::fs::read_to_string(c.out_dir.join("seed-0/data-fingerprint.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(fingerprint.rows, 2000 + 100);
    assert_eq!(s.runs[0].report.n_points, 1000);
    std::fs::remove_dir_all(&c.out_dir).unwrap();
}
