//! Short end-to-end runs of every method (BASiS and the three baselines, through the one
//! `Method::fit` interface) on three Gaussian blobs, scored on held-out points.

use basis_data::toy::{ToyParams, gaussian_blobs};
use basis_graph::{BatchGraphParams, KnnParams};
use basis_methods::anchors::AnchorStrategy;
use basis_methods::baselines::{BaselineConfig, fit_baseline};
use basis_methods::method::{Method, MethodConfig, TrainingSet};
use basis_methods::pipeline::PipelineConfig;
use basis_metrics::{KMeansParams, NmiNormalization, clustering_accuracy, kmeans, nmi};

/// k-means with k = 3 on an embedding (three blobs), seed 0.
fn kmeans3(y: &nalgebra::DMatrix<f64>) -> basis_metrics::KMeansResult {
    kmeans(
        y,
        &KMeansParams {
            k: 3,
            seed: 0,
            ..Default::default()
        },
    )
    .unwrap()
}

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
fn every_method_clusters_three_blobs() {
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
    let methods = method_config();
    let train_set = TrainingSet {
        features: &train.features,
        labels: Some(&train.labels),
    };
    for method in Method::ALL {
        let mut losses = Vec::new();
        let model = method
            .fit(&train_set, &methods, 0, &mut |_, loss| losses.push(loss))
            .unwrap();
        assert_eq!(model.name(), method.name());
        // The observer sees every step that trained (at most 10 % of batches may be skipped).
        assert!(
            (270..=300).contains(&losses.len()),
            "{} steps",
            losses.len()
        );
        let y = model.embed(&test.features).unwrap();
        assert_eq!(y.shape(), (600, 3));
        let km = kmeans3(&y);
        let score = nmi(&test.labels, &km.labels, NmiNormalization::Max).unwrap();
        let acc = clustering_accuracy(&test.labels, &km.labels).unwrap();
        eprintln!("{}: NMI {score:.3} ACC {acc:.3}", model.name());
        // Measured: NMI = ACC = 1.0 for all five after 300 steps.
        assert!(
            score > 0.85 && acc > 0.9,
            "{}: NMI {score} ACC {acc}",
            model.name()
        );
        assert!(losses.iter().all(|v| v.is_finite()));
        // Save and load through the interface: the same outputs, bit for bit.
        let dir = std::env::temp_dir().join(format!(
            "basis-method-{}-{}",
            std::process::id(),
            method.slug()
        ));
        model.save(&dir).unwrap();
        let back = method.load(&dir).unwrap();
        assert_eq!(back.embed(&test.features).unwrap(), y);
        // Loading a directory as another method's model is a typed error, not a wrong model.
        if method != Method::Basis {
            let other = if method == Method::SpecNet2 {
                Method::SpectralNet
            } else {
                Method::SpecNet2
            };
            assert!(other.load(&dir).is_err());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// BASiS with the baselines' settings of [`config`] (K = 3, m = 256, 300 iterations).
fn method_config() -> MethodConfig {
    let c = config();
    let mut basis = basis_methods::basis::paper_basis_config();
    basis.graph = c.graph;
    basis.embedding.k = c.k;
    basis.batch_size = c.batch_size;
    basis.iterations = c.iterations;
    basis.learning_rate = c.learning_rate;
    basis.lr_schedule = basis_nn::schedule::LrSchedule::Constant;
    basis.mlp = c.mlp.clone();
    MethodConfig {
        basis,
        anchors_per_class: 10,
        anchor_strategy: Default::default(),
        baseline: c,
        neuralef: basis_methods::neuralef::NeuralEfConfig {
            mlp: basis_nn::MlpConfig {
                hidden: vec![64, 64],
            },
            ..Default::default()
        },
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
    // BASiS is not a baseline, and every method needs one label per training point.
    assert_eq!(Method::from_slug("pca"), None);
    assert!(fit_baseline(Method::Basis, &train.features, &config(), &mut |_, _| {}).is_err());
    let short = TrainingSet {
        features: &train.features,
        labels: Some(&train.labels[..10]),
    };
    for method in Method::ALL {
        assert_eq!(Method::from_slug(method.slug()), Some(method));
        assert!(
            method
                .fit(&short, &method_config(), 0, &mut |_, _| {})
                .is_err()
        );
    }
}

#[test]
fn basis_fits_unlabelled_data_with_label_free_anchors() {
    let data = |seed| {
        gaussian_blobs(
            &ToyParams {
                n_samples: 1200,
                noise: 0.0,
                seed,
            },
            3,
            0.6,
        )
        .unwrap()
    };
    let (train, test) = (data(1), data(2));
    let unlabelled = TrainingSet {
        features: &train.features,
        labels: None,
    };
    // Per-class anchors need labels: a typed error, not a panic.
    assert!(matches!(
        Method::Basis.fit(&unlabelled, &method_config(), 0, &mut |_, _| {}),
        Err(basis_methods::MethodError::InvalidConfig(_))
    ));
    for strategy in [AnchorStrategy::Uniform, AnchorStrategy::KMeansPlusPlus] {
        let mut c = method_config();
        c.anchor_strategy = strategy;
        // 10 × K = 30 anchors, none of them chosen by label.
        assert_eq!(c.label_free_anchor_count(), 30);
        let model = Method::Basis
            .fit(&unlabelled, &c, 0, &mut |_, _| {})
            .unwrap();
        let y = model.embed(&test.features).unwrap();
        let km = kmeans3(&y);
        let score = nmi(&test.labels, &km.labels, NmiNormalization::Max).unwrap();
        assert!(score > 0.95, "{strategy:?}: NMI {score}");
    }
}

#[test]
fn pipelined_training_is_bit_identical_to_serial_for_every_method() {
    let train = gaussian_blobs(
        &ToyParams {
            n_samples: 600,
            noise: 0.0,
            seed: 3,
        },
        3,
        0.6,
    )
    .unwrap();
    let set = TrainingSet {
        features: &train.features,
        labels: Some(&train.labels),
    };
    let mut methods = method_config();
    methods.basis.iterations = 30;
    methods.baseline.iterations = 30;
    methods.neuralef.iterations = 30;
    let mut gumbel = methods.clone();
    gumbel.neuralef.head = basis_methods::neuralef::Head::Gumbel;
    gumbel.neuralef.objective = basis_methods::neuralef::Objective::NeuralEigenmaps;
    // Same libtorch thread count on both sides: reductions then run in the same order.
    let threads = tch::get_num_threads();
    let pipeline = PipelineConfig {
        depth: 2,
        torch_threads: Some(threads as usize),
        idle_worker: true,
    };
    let runs = Method::ALL
        .into_iter()
        .map(|m| (m, &methods))
        .chain([(Method::NeuralEf, &gumbel)]);
    for (method, config) in runs {
        let mut serial_losses = Vec::new();
        let serial = method
            .fit(&set, config, 7, &mut |it, l| {
                serial_losses.push((it, l.to_bits()))
            })
            .unwrap();
        let mut piped_losses = Vec::new();
        let piped = method
            .fit_with(&set, config, 7, Some(&pipeline), &mut |it, l| {
                piped_losses.push((it, l.to_bits()))
            })
            .unwrap();
        assert!(serial_losses.len() >= 27, "{}", method.name());
        assert_eq!(piped_losses, serial_losses, "{}", method.name());
        // The embeddings cover what is fitted after training from the generator's state
        // (SpectralNet's orthonormalisation batch, SpecNet2's Rayleigh–Ritz batches).
        assert_eq!(
            piped.embed(&train.features).unwrap(),
            serial.embed(&train.features).unwrap(),
            "{}",
            method.name()
        );
        assert_eq!(tch::get_num_threads(), threads);
    }
    // A queue of depth 0 is a typed error for every method, Diffusion Net included.
    let bad = PipelineConfig {
        depth: 0,
        ..Default::default()
    };
    for method in Method::ALL {
        assert!(
            method
                .fit_with(&set, &methods, 0, Some(&bad), &mut |_, _| {})
                .is_err()
        );
    }
}
