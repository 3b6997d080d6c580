//! End-to-end checks of the pure-Rust pipeline (no libtorch): toy data → batch
//! graph → eigenvectors → alignment, on three moons as in BASiS Fig. 3.

use basis::align::{AlignConfig, BatchAligner};
use basis::data::sampling::{BatchSampler, sample_anchors_per_class};
use basis::data::toy::{ToyParams, three_moons};
use basis::graph::{AffinityParams, BatchGraphParams, KnnParams, Scale};
use basis::metrics::{KMeansParams, NmiNormalization, clustering_accuracy, kmeans, nmi};
use basis::spectral::{EmbeddingParams, embed_batch};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn graph_params() -> BatchGraphParams {
    BatchGraphParams {
        knn: KnnParams {
            k: 10,
            ..Default::default()
        },
        affinity: AffinityParams {
            scale: Scale::Local(7),
            ..Default::default()
        },
        allow_disconnected: true,
        ..Default::default()
    }
}

#[test]
fn analytic_batch_embedding_clusters_three_moons_perfectly() {
    let data = three_moons(&ToyParams {
        n_samples: 600,
        noise: 0.05,
        seed: 4,
    })
    .unwrap();
    let e = embed_batch(
        &data.features,
        &graph_params(),
        &EmbeddingParams {
            k: 2,
            drop_trivial: true,
            ..Default::default()
        },
    )
    .unwrap();
    let km = kmeans(
        &e.coords,
        &KMeansParams {
            k: 3,
            seed: 1,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(clustering_accuracy(&data.labels, &km.labels).unwrap(), 1.0);
    assert!((nmi(&data.labels, &km.labels, NmiNormalization::Max).unwrap() - 1.0).abs() < 1e-12);
}

/// Fig. 3 of the paper: the same anchors get inconsistent coordinates in different
/// batches; after affine alignment to a reference batch they agree.
#[test]
fn alignment_makes_anchor_coordinates_consistent_across_batches() {
    let data = three_moons(&ToyParams {
        n_samples: 9000,
        noise: 0.05,
        seed: 0,
    })
    .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let anchors = sample_anchors_per_class(&data.labels, 3, &mut rng).unwrap();
    let mut sampler = BatchSampler::new(data.len(), anchors.clone()).unwrap();
    let emb = EmbeddingParams {
        k: 2,
        drop_trivial: true,
        ..Default::default()
    };
    let rows: Vec<usize> = (0..anchors.len()).collect();
    let reference = {
        let b = sampler.draw(256, &mut rng).unwrap();
        let e = embed_batch(&data.select(&b).unwrap().features, &graph_params(), &emb).unwrap();
        e.coords.rows(0, anchors.len()).into_owned()
    };
    let mut aligner = BatchAligner::new(reference.clone(), AlignConfig::least_squares()).unwrap();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let b = sampler.draw(256, &mut rng).unwrap();
        let e = embed_batch(&data.select(&b).unwrap().features, &graph_params(), &emb).unwrap();
        let raw = e.coords.rows(0, anchors.len()).into_owned();
        let aligned = aligner.align(&e.coords, &rows).unwrap();
        before.push((&raw - &reference).norm() / reference.norm());
        after.push((aligned.coords.rows(0, anchors.len()) - &reference).norm() / reference.norm());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (before, after) = (median(&mut before), median(&mut after));
    // A typical batch's anchors agree with the reference to about 1 % after alignment, while
    // unaligned ones differ by O(1) (rotations, sign flips). The occasional batch whose graph
    // splits a moon instead of cutting a weak bridge is an outlier: the median ignores it
    // (RANSAC is what removes such anchors in training).
    assert!(
        after < 0.03,
        "median relative anchor error after alignment {after}"
    );
    assert!(
        before > 10.0 * after,
        "median before {before}, after {after}"
    );
}
