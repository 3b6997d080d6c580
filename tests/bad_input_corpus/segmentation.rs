//! The segmentation benchmark's pure parts: basis-segment and basis-metrics::segmentation.

use super::*;

/// The segmentation benchmark's entry points (`basis-segment`, `basis_metrics::segmentation`).
pub(super) fn segmentation_cases(out: &mut Vec<Case>) {
    use basis::metrics::{ClusterMapping, Confusion};
    use basis::segment::features::PatchGrid;
    use basis::segment::real::{read_tiff_gray, tiles};
    use basis::segment::spectral::{SpectralClusteringParams, spectral_clustering};
    use basis::segment::{
        FilterBankParams, KernelParams, LabelledImage, Mask, RgbImage, Split, TextureConfig,
        patch_features, segmentation_kernel,
    };
    fn img(w: usize, h: usize, v: f64) -> RgbImage {
        RgbImage {
            width: w,
            height: h,
            pixels: vec![[v; 3]; w * h],
        }
    }
    fn ok(v: f64) -> RgbImage {
        img(16, 16, v)
    }
    fn params() -> FilterBankParams {
        FilterBankParams::default()
    }
    fn mask(w: usize, h: usize, l: usize) -> Mask {
        Mask {
            width: w,
            height: h,
            labels: vec![l; w * h],
        }
    }
    let seg: &[&str] = &["Empty", "Shape", "NonFinite", "InvalidConfig"];
    let images: Vec<(&str, RgbImage)> = vec![
        ("0 × 0 image", img(0, 0, 0.5)),
        ("16 × 0 image", img(16, 0, 0.5)),
        (
            "pixel count ≠ width · height",
            RgbImage {
                pixels: vec![[0.5; 3]; 10],
                ..ok(0.5)
            },
        ),
        ("image smaller than a patch", img(4, 4, 0.5)),
        ("NaN pixel", {
            let mut m = ok(0.5);
            m.pixels[7][2] = f64::NAN;
            m
        }),
        ("infinite pixel", {
            let mut m = ok(0.5);
            m.pixels[0][0] = f64::INFINITY;
            m
        }),
    ];
    for (name, im) in images {
        out.push(case(
            format!("segmentation: patch_features, {name}"),
            Expect::Err(seg),
            move || outcome(patch_features(&im, &params())),
        ));
    }
    // A constant image is valid: its descriptor is uniform, every value finite.
    out.push(case(
        "segmentation: patch_features, constant image",
        Expect::Ok,
        move || finite(patch_features(&ok(0.3), &params()).map(|f| f.features)),
    ));
    for (name, p) in [
        (
            "patch 0",
            FilterBankParams {
                patch: 0,
                ..params()
            },
        ),
        (
            "no scales",
            FilterBankParams {
                scales: vec![],
                ..params()
            },
        ),
        (
            "scale NaN",
            FilterBankParams {
                scales: vec![f64::NAN],
                ..params()
            },
        ),
        (
            "colour weight −1",
            FilterBankParams {
                colour_weight: -1.0,
                ..params()
            },
        ),
    ] {
        out.push(case(
            format!("segmentation: filter bank {name}"),
            Expect::Err(&["InvalidConfig"]),
            move || outcome(patch_features(&ok(0.5), &p)),
        ));
    }
    for (name, m, classes) in [
        ("mask 8 × 16 for a 16 × 16 image", mask(8, 16, 0), None),
        ("mask label 7 of 7 classes", mask(16, 16, 7), Some(7)),
        (
            "mask with too few labels",
            Mask {
                labels: vec![0; 3],
                ..mask(16, 16, 0)
            },
            None,
        ),
    ] {
        out.push(case(
            format!("segmentation: {name}"),
            Expect::Err(&["Shape"]),
            move || {
                outcome(
                    LabelledImage {
                        image: ok(0.5),
                        mask: m,
                    }
                    .check(classes),
                )
            },
        ));
    }
    for (name, c, k) in [("0 classes", 0, 3), ("0 clusters (K = 0)", 3, 0)] {
        out.push(case(
            format!("segmentation: confusion matrix, {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || outcome(Confusion::new(c, k)),
        ));
    }
    out.push(case(
        "segmentation: mIoU, mask and prediction sizes differ",
        Expect::Err(&["LengthMismatch"]),
        || outcome(Confusion::new(2, 2).and_then(|mut m| m.add(&[0, 1, 1], &[0, 1]))),
    ));
    out.push(case(
        "segmentation: mIoU of nothing counted",
        Expect::Err(&["Empty"]),
        || outcome(Confusion::new(2, 2).and_then(|m| m.miou(ClusterMapping::ArgmaxIou))),
    ));
    out.push(case(
        "segmentation: upsample with too few patch labels",
        Expect::Err(&["Shape"]),
        || outcome(PatchGrid::new(16, 16, 8).and_then(|g| g.upsample(&[0, 1]))),
    ));
    // Spectral clustering: K = 0 and K ≥ n.
    for k in [0usize, 4, 100] {
        out.push(case(
            format!("segmentation: spectral clustering K = {k} of 4 patches"),
            Expect::Err(&["InvalidConfig"]),
            move || {
                let f = patch_features(&ok(0.5), &params()).unwrap();
                let g = segmentation_kernel(&[&f], &f.features, &KernelParams::default()).unwrap();
                outcome(spectral_clustering(
                    &g,
                    k,
                    &SpectralClusteringParams::default(),
                ))
            },
        ));
    }
    out.push(case(
        "segmentation: kernel over no images",
        Expect::Err(&["Empty"]),
        || {
            outcome(segmentation_kernel(
                &[],
                &DMatrix::zeros(0, 18),
                &KernelParams::default(),
            ))
        },
    ));
    out.push(case(
        "segmentation: kernel with feature rows ≠ patches",
        Expect::Err(&["Shape"]),
        || {
            let f = patch_features(&ok(0.5), &params()).unwrap();
            outcome(segmentation_kernel(
                &[&f],
                &DMatrix::zeros(3, 18),
                &KernelParams::default(),
            ))
        },
    ));
    out.push(case(
        "segmentation: kernel with NaN features",
        Expect::Err(&["NonFinite"]),
        || {
            let f = patch_features(&ok(0.5), &params()).unwrap();
            let mut x = f.features.clone();
            x[(1, 2)] = f64::NAN;
            outcome(segmentation_kernel(&[&f], &x, &KernelParams::default()))
        },
    ));
    out.push(case(
        "segmentation: kernel with neither graph",
        Expect::Err(&["InvalidConfig"]),
        || {
            let f = patch_features(&ok(0.5), &params()).unwrap();
            let p = KernelParams {
                feature_weight: 0.0,
                pixel_graphs: vec![],
                ..Default::default()
            };
            outcome(segmentation_kernel(&[&f], &f.features, &p))
        },
    ));
    for (name, c) in [
        (
            "regions 0",
            TextureConfig {
                min_regions: 0,
                ..Default::default()
            },
        ),
        (
            "no textures",
            TextureConfig {
                textures: vec![],
                ..Default::default()
            },
        ),
        (
            "size 2",
            TextureConfig {
                size: 2,
                ..Default::default()
            },
        ),
        (
            "blur −1",
            TextureConfig {
                blur_sigma: -1.0,
                ..Default::default()
            },
        ),
    ] {
        out.push(case(
            format!("segmentation: generator {name}"),
            Expect::Err(&["InvalidConfig"]),
            move || outcome(c.image(0, Split::Test, 0)),
        ));
    }
    out.push(case(
        "segmentation: tiles of 0 pixels",
        Expect::Err(&["Shape"]),
        || {
            outcome(tiles(
                &LabelledImage {
                    image: ok(0.5),
                    mask: mask(16, 16, 0),
                },
                0,
            ))
        },
    ));
    let dir = std::env::temp_dir().join(format!("basis-corpus-tiff-{}", std::process::id()));
    for (name, bytes) in [
        ("empty TIFF file", &b""[..]),
        ("TIFF header only", &b"II*\x00"[..]),
        ("PNG bytes named .tif", &b"\x89PNG\r\n\x1a\n\x00\x00"[..]),
    ] {
        let dir = dir.clone();
        out.push(case(
            format!("segmentation: {name}"),
            Expect::Err(&["Format"]),
            move || {
                std::fs::create_dir_all(&dir).unwrap();
                let p = dir.join(format!("{}.tif", name.replace(' ', "-")));
                std::fs::write(&p, bytes).unwrap();
                let r = read_tiff_gray(&p);
                let _ = std::fs::remove_file(&p);
                outcome(r)
            },
        ));
    }
    out.push(case(
        "segmentation: missing TIFF file",
        Expect::Err(&["Io"]),
        || {
            outcome(read_tiff_gray(std::path::Path::new(
                "/nonexistent/basis/img2d.tif",
            )))
        },
    ));
}
