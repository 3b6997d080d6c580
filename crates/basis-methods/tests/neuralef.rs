//! NeuralEF end to end: the Gumbel head clusters three blobs exactly from its argmax, the
//! linear head's span matches the analytic eigenspace (principal angles), runs are
//! deterministic under a seed, checkpoints give bit-identical outputs, the orthogonal head
//! stays orthogonal through training, and bad input is a typed error.

use basis_data::toy::{ToyParams, gaussian_blobs};
use basis_graph::{BatchGraphParams, KnnParams};
use basis_methods::MethodError;
use basis_methods::method::{Embedder, Method};
use basis_methods::neuralef::{Head, NeuralEfConfig, Objective, fit_neuralef};
use basis_metrics::{NmiNormalization, clustering_accuracy, nmi};

/// The tests here run one at a time. Two same-seed fits differed in the 7th digit once in a
/// full parallel run (2026-12-07) while other test threads of this binary were inside libtorch:
/// NeuralEF's own randomness comes from its seeded ChaCha streams, so the difference comes from
/// libtorch's shared CPU thread pool splitting work differently under concurrent calls. The
/// bit-identity claim is for one fit at a time, which is how the toolkit trains.
static TORCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn torch() -> std::sync::MutexGuard<'static, ()> {
    TORCH.lock().unwrap_or_else(|e| e.into_inner())
}

/// Bounds of the linear head's d_G to the analytic eigenspace (K = 3, so d_G ∈ [0, 3]).
/// Measured 2026-12-07: 0.044 after training, 1.013 after one step; the bounds sit at about
/// 3× the first and half the second, so a method that stops learning fails the first.
const D_G_TRAINED: f64 = 0.15;
const D_G_UNTRAINED: f64 = 0.5;

fn blobs(seed: u64, n: usize) -> basis_data::LabeledData {
    gaussian_blobs(
        &ToyParams {
            n_samples: n,
            noise: 0.0,
            seed,
        },
        3,
        0.6,
    )
    .unwrap()
}

fn config() -> NeuralEfConfig {
    NeuralEfConfig {
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
        mlp: basis_nn::MlpConfig {
            hidden: vec![64, 64],
        },
        ..Default::default()
    }
}

#[test]
fn the_gumbel_head_clusters_three_blobs_from_its_argmax() {
    let _torch = torch();
    let (train, test) = (blobs(1, 1500), blobs(2, 600));
    for objective in [Objective::NeuralEigenmaps, Objective::NeuralEf] {
        let c = NeuralEfConfig {
            objective,
            ..config()
        };
        let model = fit_neuralef(&train.features, &c, &mut |_, _| {}).unwrap();
        let clusters = model.clusters(&test.features).unwrap().unwrap();
        let score = nmi(&test.labels, &clusters, NmiNormalization::Max).unwrap();
        let acc = clustering_accuracy(&test.labels, &clusters).unwrap();
        eprintln!(
            "{objective:?}: NMI {score} ACC {acc}, λ {:?}",
            model.eigenvalues()
        );
        assert_eq!((score, acc), (1.0, 1.0), "{objective:?}");
        // The orthogonal head is still orthogonal after 300 Adam steps: WᵀW = I.
        let w = model.orthogonal_weight().unwrap();
        let gram = w.tr_mul(&w);
        let err = (gram - nalgebra::DMatrix::identity(3, 3)).abs().max();
        assert!(err < 1e-5, "‖WᵀW − I‖_max = {err}");
    }
}

#[test]
fn the_linear_head_learns_the_leading_eigenvectors() {
    let _torch = torch();
    let (train, test) = (blobs(1, 1500), blobs(2, 600));
    let c = config().classic();
    let model = fit_neuralef(&train.features, &c, &mut |_, _| {}).unwrap();
    assert!(model.clusters(&test.features).is_none());
    assert!(model.orthogonal_weight().is_none());
    // Three separated blobs: the top three eigenvalues of D^{-1/2} W D^{-1/2} are all ≈ 1.
    for (j, &l) in model.eigenvalues().iter().enumerate() {
        assert!(l > 0.9 && l < 1.05, "λ_{j} = {l}");
    }
    let y = model.embed(&test.features).unwrap();
    let km = basis_metrics::kmeans(
        &y,
        &basis_metrics::KMeansParams {
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
    // The learned span against the analytic one: the three leading eigenvectors of the test
    // graph's D^{-1/2} W D^{-1/2} (the same graph settings), by principal angles. A broken
    // method can still cluster three separated blobs; it cannot also find their eigenspace, as
    // the same network after one step shows.
    let analytic = basis_spectral::analytic_embedding(
        &test.features,
        &c.graph,
        &basis_spectral::EmbeddingParams {
            k: 3,
            drop_trivial: false,
            ..Default::default()
        },
    )
    .unwrap()
    .embedding
    .coords;
    let d_g = basis_metrics::grassmann_distance(&y, &analytic).unwrap();
    let untrained = fit_neuralef(
        &train.features,
        &NeuralEfConfig {
            iterations: 1,
            ..c.clone()
        },
        &mut |_, _| {},
    )
    .unwrap();
    let y0 = untrained.embed(&test.features).unwrap();
    let d_g0 = basis_metrics::grassmann_distance(&y0, &analytic).unwrap();
    println!("d_G trained {d_g:.4}, after one step {d_g0:.4}");
    assert!(d_g < D_G_TRAINED, "trained d_G = {d_g}");
    assert!(
        d_g0 > D_G_UNTRAINED,
        "one-step d_G = {d_g0}: the check cannot tell"
    );
}

#[test]
fn same_seed_same_model_and_checkpoints_are_bit_identical() {
    let _torch = torch();
    let train = blobs(1, 600);
    let c = NeuralEfConfig {
        iterations: 20,
        batch_size: 128,
        ..config()
    };
    let a = fit_neuralef(&train.features, &c, &mut |_, _| {}).unwrap();
    let b = fit_neuralef(&train.features, &c, &mut |_, _| {}).unwrap();
    assert_eq!(a.losses, b.losses);
    let ya = a.embed(&train.features).unwrap();
    assert_eq!(ya, b.embed(&train.features).unwrap());
    let other = fit_neuralef(
        &train.features,
        &NeuralEfConfig {
            seed: 1,
            ..c.clone()
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_ne!(other.embed(&train.features).unwrap(), ya);
    for head in [Head::Gumbel, Head::Linear] {
        let model = fit_neuralef(
            &train.features,
            &NeuralEfConfig { head, ..c.clone() },
            &mut |_, _| {},
        )
        .unwrap();
        let dir =
            std::env::temp_dir().join(format!("basis-neuralef-{}-{head:?}", std::process::id()));
        Embedder::save(&model, &dir).unwrap();
        let back = Method::NeuralEf.load(&dir).unwrap();
        assert_eq!(
            back.embed(&train.features).unwrap(),
            model.embed(&train.features).unwrap()
        );
        assert_eq!(
            back.raw_outputs(&train.features).unwrap(),
            model.raw_outputs(&train.features).unwrap()
        );
        match (
            back.clusters(&train.features),
            model.clusters(&train.features),
        ) {
            (Some(x), Some(y)) => assert_eq!(x.unwrap(), y.unwrap()),
            (None, None) => assert_eq!(head, Head::Linear),
            _ => panic!("clusters differ in kind after loading"),
        }
        // Loaded as another method's model: a typed error naming what the directory holds.
        assert!(matches!(
            Method::SpecNet2.load(&dir),
            Err(MethodError::InvalidConfig(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let _torch = torch();
    let train = blobs(1, 300);
    let mut nan = train.features.clone();
    nan[(7, 1)] = f64::NAN;
    assert!(matches!(
        fit_neuralef(&nan, &config(), &mut |_, _| {}),
        Err(MethodError::NonFinite(_))
    ));
    // More than the training points in a batch; K ≥ batch size; temperature ≤ 0.
    assert!(matches!(
        fit_neuralef(
            &train.features,
            &NeuralEfConfig {
                batch_size: 400,
                ..config()
            },
            &mut |_, _| {}
        ),
        Err(MethodError::Shape(_))
    ));
    for bad in [
        NeuralEfConfig { k: 0, ..config() },
        NeuralEfConfig { k: 256, ..config() },
        NeuralEfConfig {
            tau_min: 0.0,
            ..config()
        },
        NeuralEfConfig {
            tau_max: -0.5,
            ..config()
        },
    ] {
        assert!(matches!(
            fit_neuralef(&train.features, &bad, &mut |_, _| {}),
            Err(MethodError::InvalidConfig(_))
        ));
    }
    let model = fit_neuralef(
        &train.features,
        &NeuralEfConfig {
            iterations: 2,
            batch_size: 64,
            ..config()
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert!(matches!(model.embed(&nan), Err(MethodError::NonFinite(_))));
    assert!(matches!(
        model.clusters(&nalgebra::DMatrix::zeros(3, 5)),
        Some(Err(MethodError::Shape(_)))
    ));
}
