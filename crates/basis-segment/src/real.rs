//! A real image with a real mask for a foreground/background sanity check: the 2-D nuclei
//! image of the 2018 Data Science Bowl (Caicedo et al., Nature Methods 2019) and its instance
//! mask, as the PyPI package `stardist` ships them (`stardist/data/images/img2d.tif`, a
//! 512 × 512 16-bit fluorescence image, and `mask2d.tif`, one integer label per nucleus).
//! `cargo xtask setup` fetches the wheel from PyPI into the per-user cache
//! ([`nuclei_dir`]); nothing is downloaded at run time.

use crate::error::{Result, SegmentError};
use crate::image::{LabelledImage, Mask, RgbImage};
use std::path::{Path, PathBuf};

/// Environment variable naming the directory of `img2d.tif` and `mask2d.tif`.
pub const NUCLEI_DIR_ENV: &str = "BASIS_NUCLEI_DIR";

/// `$BASIS_NUCLEI_DIR`, else `$XDG_CACHE_HOME` or `~/.cache`, then
/// `basis-toolkit/stardist-0.9.2-nuclei` (where `cargo xtask setup` puts the files).
pub fn nuclei_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os(NUCLEI_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    let cache = match std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    SegmentError::InvalidConfig(format!(
                        "neither XDG_CACHE_HOME nor HOME is set; set {NUCLEI_DIR_ENV}"
                    ))
                })?,
        )
        .join(".cache"),
    };
    Ok(cache.join("basis-toolkit").join("stardist-0.9.2-nuclei"))
}

/// A single-channel TIFF as (width, height, values row-major), any integer or float sample
/// type. Multi-channel images are refused.
pub fn read_tiff_gray(path: &Path) -> Result<(usize, usize, Vec<f64>)> {
    use tiff::decoder::{Decoder, DecodingResult};
    let shown = path.display().to_string();
    let format = |reason: String| SegmentError::Format {
        path: shown.clone(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| SegmentError::Io {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let mut dec = Decoder::new(std::io::BufReader::new(file))
        .map_err(|e| format(format!("not a readable TIFF: {e}")))?;
    let (w, h) = dec
        .dimensions()
        .map_err(|e| format(format!("no dimensions: {e}")))?;
    let colour = dec
        .colortype()
        .map_err(|e| format(format!("no colour type: {e}")))?;
    if !matches!(colour, tiff::ColorType::Gray(_)) {
        return Err(format(format!(
            "a single-channel image was expected, this one is {colour:?}"
        )));
    }
    let data = dec
        .read_image()
        .map_err(|e| format(format!("cannot decode the pixels: {e}")))?;
    let values: Vec<f64> = match data {
        DecodingResult::U8(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U64(v) => v.into_iter().map(|x| x as f64).collect(),
        DecodingResult::I8(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I64(v) => v.into_iter().map(|x| x as f64).collect(),
        DecodingResult::F16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::F32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::F64(v) => v,
    };
    let (w, h) = (w as usize, h as usize);
    if w == 0 || h == 0 || values.len() != w * h {
        return Err(format(format!(
            "{} samples for a {w}×{h} image",
            values.len()
        )));
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(format("non-finite sample values".into()));
    }
    Ok((w, h, values))
}

/// The nuclei image (intensities scaled so that the 1st and 99.8th percentiles map to 0 and 1,
/// clamped, as grey RGB) and its foreground mask (class 1 where the instance label is > 0).
pub fn load_nuclei(dir: &Path) -> Result<LabelledImage> {
    let (w, h, img) = read_tiff_gray(&dir.join("img2d.tif"))?;
    let (mw, mh, mask) = read_tiff_gray(&dir.join("mask2d.tif"))?;
    if (mw, mh) != (w, h) {
        return Err(SegmentError::Shape(format!(
            "the nuclei mask is {mw}×{mh}, the image {w}×{h}"
        )));
    }
    let mut sorted = img.clone();
    sorted.sort_by(f64::total_cmp);
    let q = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    let (lo, hi) = (q(0.01), q(0.998));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let out = LabelledImage {
        image: RgbImage {
            width: w,
            height: h,
            pixels: img
                .iter()
                .map(|v| [((v - lo) / span).clamp(0.0, 1.0); 3])
                .collect(),
        },
        mask: Mask {
            width: w,
            height: h,
            labels: mask.iter().map(|&l| usize::from(l > 0.0)).collect(),
        },
    };
    out.check(Some(2))?;
    Ok(out)
}

/// Cuts an image and its mask into `tile × tile` tiles, row by row (a trailing strip narrower
/// than a tile is dropped).
pub fn tiles(image: &LabelledImage, tile: usize) -> Result<Vec<LabelledImage>> {
    image.check(None)?;
    let (w, h) = (image.image.width, image.image.height);
    if tile == 0 || tile > w || tile > h {
        return Err(SegmentError::Shape(format!(
            "no {tile}-pixel tile fits a {w}×{h} image"
        )));
    }
    let mut out = Vec::new();
    for ty in 0..h / tile {
        for tx in 0..w / tile {
            let idx = |i: usize| (ty * tile + i / tile) * w + tx * tile + i % tile;
            out.push(LabelledImage {
                image: RgbImage {
                    width: tile,
                    height: tile,
                    pixels: (0..tile * tile)
                        .map(|i| image.image.pixels[idx(i)])
                        .collect(),
                },
                mask: Mask {
                    width: tile,
                    height: tile,
                    labels: (0..tile * tile)
                        .map(|i| image.mask.labels[idx(i)])
                        .collect(),
                },
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_image_in_order() {
        let im = LabelledImage {
            image: RgbImage {
                width: 5,
                height: 4,
                pixels: (0..20).map(|i| [i as f64 / 20.0; 3]).collect(),
            },
            mask: Mask {
                width: 5,
                height: 4,
                labels: (0..20).collect(),
            },
        };
        let t = tiles(&im, 2).unwrap();
        // 2 × 2 tiles; the fifth column is dropped.
        assert_eq!(t.len(), 4);
        assert_eq!(t[0].mask.labels, vec![0, 1, 5, 6]);
        assert_eq!(t[1].mask.labels, vec![2, 3, 7, 8]);
        assert_eq!(t[3].mask.labels, vec![12, 13, 17, 18]);
        assert!(tiles(&im, 0).is_err());
        assert!(tiles(&im, 6).is_err());
    }

    #[test]
    fn missing_and_corrupt_files_are_typed_errors() {
        let dir = std::env::temp_dir().join(format!("basis-tiff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(matches!(
            read_tiff_gray(&dir.join("absent.tif")),
            Err(SegmentError::Io { .. })
        ));
        let bad = dir.join("bad.tif");
        std::fs::write(&bad, b"II*\x00garbage that is not a TIFF directory").unwrap();
        assert!(matches!(
            read_tiff_gray(&bad),
            Err(SegmentError::Format { .. })
        ));
        std::fs::write(&bad, b"not a tiff at all").unwrap();
        assert!(matches!(
            read_tiff_gray(&bad),
            Err(SegmentError::Format { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A minimal little-endian 8-bit greyscale TIFF written by hand (3 × 2 pixels,
    /// uncompressed, one strip), read back.
    #[test]
    fn reads_a_hand_written_tiff() {
        let pixels = [0u8, 10, 20, 30, 40, 250];
        let mut b: Vec<u8> = b"II*\x00".to_vec();
        b.extend(8u32.to_le_bytes()); // first IFD at 8
        let entries: [(u16, u16, u32, u32); 8] = [
            (256, 3, 1, 3), // width
            (257, 3, 1, 2), // height
            (258, 3, 1, 8), // bits per sample
            (259, 3, 1, 1), // no compression
            (262, 3, 1, 1), // black is zero
            (273, 4, 1, 0), // strip offset (patched below)
            (278, 3, 1, 2), // rows per strip
            (279, 4, 1, 6), // strip byte count
        ];
        b.extend((entries.len() as u16).to_le_bytes());
        let data_at = 8 + 2 + 12 * entries.len() + 4;
        for (tag, ty, count, value) in entries {
            b.extend(tag.to_le_bytes());
            b.extend(ty.to_le_bytes());
            b.extend(count.to_le_bytes());
            let v = if tag == 273 { data_at as u32 } else { value };
            if ty == 3 {
                b.extend((v as u16).to_le_bytes());
                b.extend([0, 0]);
            } else {
                b.extend(v.to_le_bytes());
            }
        }
        b.extend(0u32.to_le_bytes()); // no next IFD
        b.extend(pixels);
        let path = std::env::temp_dir().join(format!("basis-tiff-ok-{}.tif", std::process::id()));
        std::fs::write(&path, &b).unwrap();
        let (w, h, v) = read_tiff_gray(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!((w, h), (3, 2));
        assert_eq!(v, pixels.iter().map(|&p| p as f64).collect::<Vec<_>>());
    }
}
