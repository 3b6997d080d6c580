//! Images and masks: row-major RGB pixels in `[0, 1]` and one class per pixel.

use crate::error::{Result, SegmentError};
use serde::{Deserialize, Serialize};

/// An RGB image, row-major from the top-left pixel, channels in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RgbImage {
    /// Pixels across.
    pub width: usize,
    /// Pixels down.
    pub height: usize,
    /// `width · height` pixels.
    pub pixels: Vec<[f64; 3]>,
}

/// One class per pixel, row-major like [`RgbImage`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mask {
    /// Pixels across.
    pub width: usize,
    /// Pixels down.
    pub height: usize,
    /// `width · height` labels.
    pub labels: Vec<usize>,
}

/// An image and its ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledImage {
    /// The image.
    pub image: RgbImage,
    /// Its per-pixel classes.
    pub mask: Mask,
}

impl RgbImage {
    /// Checks the size (≥ 1 pixel, `pixels.len() = width · height`) and that every channel is
    /// finite.
    pub fn check(&self) -> Result<()> {
        if self.width == 0 || self.height == 0 {
            return Err(SegmentError::Empty(format!(
                "a {}×{} image has no pixels",
                self.width, self.height
            )));
        }
        if self.pixels.len() != self.width * self.height {
            return Err(SegmentError::Shape(format!(
                "a {}×{} image holds {} pixels",
                self.width,
                self.height,
                self.pixels.len()
            )));
        }
        if let Some(i) = self
            .pixels
            .iter()
            .position(|p| p.iter().any(|v| !v.is_finite()))
        {
            return Err(SegmentError::NonFinite(format!(
                "pixel ({}, {})",
                i % self.width,
                i / self.width
            )));
        }
        Ok(())
    }

    /// The pixel at column `x`, row `y`.
    pub fn at(&self, x: usize, y: usize) -> [f64; 3] {
        self.pixels[y * self.width + x]
    }

    /// Rec. 601 luma of every pixel.
    pub fn luminance(&self) -> Vec<f64> {
        self.pixels.iter().map(|p| luma(*p)).collect()
    }
}

/// Rec. 601 luma `0.299 r + 0.587 g + 0.114 b`.
pub fn luma(p: [f64; 3]) -> f64 {
    0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
}

impl Mask {
    /// Checks the size against `image` and the labels against `classes` (when given).
    pub fn check_against(&self, image: &RgbImage, classes: Option<usize>) -> Result<()> {
        if (self.width, self.height) != (image.width, image.height)
            || self.labels.len() != self.width * self.height
        {
            return Err(SegmentError::Shape(format!(
                "a {}×{} mask ({} labels) for a {}×{} image",
                self.width,
                self.height,
                self.labels.len(),
                image.width,
                image.height
            )));
        }
        if let Some(c) = classes
            && let Some(&l) = self.labels.iter().find(|&&l| l >= c)
        {
            return Err(SegmentError::Shape(format!(
                "mask label {l} out of range for {c} classes"
            )));
        }
        Ok(())
    }
}

impl LabelledImage {
    /// Checks the image and that the mask fits it.
    pub fn check(&self, classes: Option<usize>) -> Result<()> {
        self.image.check()?;
        self.mask.check_against(&self.image, classes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: usize, h: usize) -> RgbImage {
        RgbImage {
            width: w,
            height: h,
            pixels: vec![[0.5; 3]; w * h],
        }
    }

    #[test]
    fn masks_must_match_their_image() {
        let im = image(4, 3);
        let ok = Mask {
            width: 4,
            height: 3,
            labels: vec![0; 12],
        };
        ok.check_against(&im, Some(1)).unwrap();
        let wrong_size = Mask {
            width: 3,
            height: 4,
            labels: vec![0; 12],
        };
        assert!(matches!(
            wrong_size.check_against(&im, None),
            Err(SegmentError::Shape(_))
        ));
        let short = Mask {
            width: 4,
            height: 3,
            labels: vec![0; 11],
        };
        assert!(matches!(
            short.check_against(&im, None),
            Err(SegmentError::Shape(_))
        ));
        let out_of_range = Mask {
            labels: vec![2; 12],
            ..ok.clone()
        };
        assert!(matches!(
            out_of_range.check_against(&im, Some(2)),
            Err(SegmentError::Shape(_))
        ));
        let labelled = LabelledImage {
            image: image(0, 0),
            mask: ok,
        };
        assert!(matches!(labelled.check(None), Err(SegmentError::Empty(_))));
    }

    #[test]
    fn luma_weights_sum_to_one() {
        assert!((luma([1.0, 1.0, 1.0]) - 1.0).abs() < 1e-15);
        assert_eq!(image(2, 2).luminance().len(), 4);
    }
}
