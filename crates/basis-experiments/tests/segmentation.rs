//! End to end: NeuralEF's Gumbel head segments unseen two-texture images.

use basis_experiments::segmentation::{SegmentationConfig, run_segmentation_seed};
use basis_segment::{FilterBankParams, Texture, TextureConfig};

fn two_textures() -> SegmentationConfig {
    let mut c = SegmentationConfig {
        generator: TextureConfig {
            size: 64,
            min_regions: 2,
            max_regions: 3,
            textures: vec![
                Texture::Stripes {
                    period: 6.0,
                    angle_deg: 0.0,
                },
                Texture::Noise { correlation: 3.0 },
            ],
            ..Default::default()
        },
        train_images: 40,
        test_images: 12,
        features: FilterBankParams {
            patch: 4,
            pool_margin: 2,
            ..Default::default()
        },
        images_per_batch: 4,
        many_clusters: 4,
        ablations: false,
        figure_images: 0,
        ..Default::default()
    };
    c.neuralef.iterations = 300;
    c
}

#[test]
fn neuralef_segments_unseen_two_texture_images() {
    let c = two_textures();
    let run = run_segmentation_seed(&c, 0, false).unwrap();
    let neuralef = run
        .scores
        .iter()
        .find(|s| s.method == "neuralef" && s.k == 2)
        .unwrap();
    // 4-pixel patches on 64-pixel images: patches cut by a region edge cost a few per cent of
    // the pixels, so a perfect patch labelling scores about 0.95.
    let miou = neuralef.dataset_hungarian.unwrap();
    eprintln!(
        "two textures: NeuralEF mIoU {miou:.3}, all: {:?}",
        run.scores
            .iter()
            .map(|s| (
                s.method.as_str(),
                s.k,
                s.dataset_hungarian,
                s.per_image_hungarian
            ))
            .collect::<Vec<_>>()
    );
    assert!(miou >= 0.9, "NeuralEF mIoU {miou}: {run:#?}");
    assert_eq!(neuralef.clusters_used, 2);
    // The same features clustered by k-means also separate two textures (a sanity check of
    // the features, not of NeuralEF).
    let kmeans = run
        .scores
        .iter()
        .find(|s| s.method == "kmeans" && s.k == 2)
        .unwrap();
    assert!(kmeans.dataset_hungarian.unwrap() > 0.8, "{kmeans:?}");
}

#[test]
fn bad_configurations_are_typed_errors() {
    let mut c = two_textures();
    c.neuralef.k = 0;
    c.many_clusters = 0;
    assert!(run_segmentation_seed(&c, 0, false).is_err());
    let mut c = two_textures();
    c.images_per_batch = 100;
    assert!(matches!(
        run_segmentation_seed(&c, 0, false),
        Err(basis_experiments::ExperimentError::InvalidConfig(_))
    ));
}
