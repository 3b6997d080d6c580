//! The nuclei image `cargo xtask setup` fetched (no network here): it loads, its mask is the
//! foreground of the instance labels, and two k-means clusters of the patch features separate
//! nuclei from background (a check of the loader and of the features on real data).

use basis_metrics::{ClusterMapping, Confusion, KMeansParams, kmeans};
use basis_segment::features::{FeatureScaler, stack_features};
use basis_segment::real::{load_nuclei, nuclei_dir, tiles};
use basis_segment::{FilterBankParams, patch_features_all};

#[test]
fn nuclei_load_and_two_clusters_of_features_find_them() {
    let dir = nuclei_dir().unwrap();
    let im = load_nuclei(&dir).unwrap_or_else(|e| {
        panic!("{e}: run `cargo xtask setup` (it fetches the stardist wheel from PyPI)")
    });
    assert_eq!((im.image.width, im.image.height), (512, 512));
    let fg = im.mask.labels.iter().filter(|&&l| l == 1).count() as f64 / (512.0 * 512.0);
    assert!((0.05..0.5).contains(&fg), "foreground share {fg}");
    let t = tiles(&im, 128).unwrap();
    assert_eq!(t.len(), 16);
    let params = FilterBankParams {
        patch: 4,
        pool_margin: 2,
        colour_weight: 3.0,
        ..Default::default()
    };
    let imgs: Vec<_> = t.iter().map(|l| &l.image).collect();
    let patches = patch_features_all(&imgs, &params).unwrap();
    let raw = stack_features(&patches.iter().collect::<Vec<_>>()).unwrap();
    let z = FeatureScaler::fit(&raw, &params)
        .unwrap()
        .apply(&raw)
        .unwrap();
    let labels = kmeans(
        &z,
        &KMeansParams {
            k: 2,
            n_init: 4,
            ..Default::default()
        },
    )
    .unwrap()
    .labels;
    let mut m = Confusion::new(2, 2).unwrap();
    let mut row = 0;
    for (tile, p) in t.iter().zip(&patches) {
        let n = p.grid.len();
        let pixels = p.grid.upsample(&labels[row..row + n]).unwrap();
        m.add(&tile.mask.labels, &pixels).unwrap();
        row += n;
    }
    let miou = m.miou(ClusterMapping::Hungarian).unwrap().miou;
    eprintln!("nuclei: foreground {fg:.3}, k-means fg/bg mIoU {miou:.3}");
    assert!(miou > 0.7, "k-means fg/bg mIoU {miou}");
}
