//! Short end-to-end runs of each baseline on three Gaussian blobs, scored on held-out points.

use basis_baselines::methods::{BaselineConfig, Embedder, Method, fit_baseline};
use basis_data::toy::{ToyParams, gaussian_blobs};
use basis_graph::{BatchGraphParams, KnnParams};
use basis_metrics::{KMeansParams, NmiNormalization, clustering_accuracy, kmeans, nmi};

fn config() -> BaselineConfig {
    BaselineConfig {
        graph: BatchGraphParams {
            knn: KnnParams {
                k: 10,
                ..Default::default()
            },
            allow_disconnected: true,
            ..BatchGraphParams::paper_table1()
        },
        k: 3,
        batch_size: 256,
        iterations: 300,
        learning_rate: 1e-3,
        mlp: basis_nn::MlpConfig {
            hidden: vec![64, 64],
        },
        ..Default::default()
    }
}

#[test]
fn each_baseline_clusters_three_blobs() {
    let train = gaussian_blobs(
        &ToyParams {
            n_samples: 1500,
            noise: 0.0,
            seed: 1,
        },
        3,
        0.6,
    )
    .unwrap();
    let test = gaussian_blobs(
        &ToyParams {
            n_samples: 600,
            noise: 0.0,
            seed: 2,
        },
        3,
        0.6,
    )
    .unwrap();
    // The task is well posed: the analytic eigenvectors of the held-out graph cluster it exactly.
    let params = basis_spectral::EmbeddingParams {
        k: 3,
        drop_trivial: false,
        ..Default::default()
    };
    let analytic = basis_spectral::analytic_embedding(&test.features, &config().graph, &params)
        .unwrap()
        .embedding
        .coords;
    let km = kmeans(
        &analytic,
        &KMeansParams {
            k: 3,
            seed: 0,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        nmi(&test.labels, &km.labels, NmiNormalization::Max).unwrap(),
        1.0
    );
    for method in [Method::SpecNet2, Method::DiffusionNet, Method::SpectralNet] {
        let model = fit_baseline(method, &train.features, &config(), &mut |_, _| {}).unwrap();
        let y = model.embed(&test.features).unwrap();
        assert_eq!(y.shape(), (600, 3));
        let km = kmeans(
            &y,
            &KMeansParams {
                k: 3,
                seed: 0,
                ..Default::default()
            },
        )
        .unwrap();
        let score = nmi(&test.labels, &km.labels, NmiNormalization::Max).unwrap();
        let acc = clustering_accuracy(&test.labels, &km.labels).unwrap();
        eprintln!(
            "{}: NMI {score:.3} ACC {acc:.3} skipped {}",
            model.name(),
            model.skipped
        );
        // Measured: NMI = ACC = 1.0 for all three after 300 steps.
        assert!(
            score > 0.85 && acc > 0.9,
            "{}: NMI {score} ACC {acc}",
            model.name()
        );
        assert!(model.losses.iter().all(|v| v.is_finite()));
        // Save and load: the same outputs, bit for bit.
        let dir = std::env::temp_dir().join(format!(
            "basis-baseline-{}-{:?}",
            std::process::id(),
            method
        ));
        model.save(&dir).unwrap();
        let back = basis_baselines::methods::TrainedBaseline::load(&dir).unwrap();
        assert_eq!(back.embed(&test.features).unwrap(), y);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let train = gaussian_blobs(
        &ToyParams {
            n_samples: 300,
            noise: 0.0,
            seed: 1,
        },
        3,
        0.6,
    )
    .unwrap();
    let mut c = config();
    c.batch_size = 1000;
    assert!(fit_baseline(Method::SpectralNet, &train.features, &c, &mut |_, _| {}).is_err());
    let mut bad = train.features.clone();
    bad[(3, 1)] = f64::NAN;
    assert!(fit_baseline(Method::SpecNet2, &bad, &config(), &mut |_, _| {}).is_err());
}
