//! Separable Gaussian filtering of single-channel images (row-major, `width × height`) with
//! mirrored borders: the blur of the generator and the derivative-of-Gaussian bank of the
//! features.

/// Which derivative of the Gaussian a 1-D kernel takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivative {
    /// `g(t)`.
    Zeroth,
    /// `g'(t)`.
    First,
    /// `g''(t)`.
    Second,
}

/// The sampled 1-D kernel of `σ > 0` on `[−⌈3σ⌉, ⌈3σ⌉]`: the Gaussian normalised to sum 1,
/// its first derivative normalised so that it maps the ramp `t` to 1, its second normalised
/// so that it maps `t²/2` to 1 and has zero sum.
pub fn gaussian_kernel(sigma: f64, derivative: Derivative) -> Vec<f64> {
    let r = (3.0 * sigma).ceil().max(1.0) as i64;
    let ts: Vec<f64> = (-r..=r).map(|t| t as f64).collect();
    let g: Vec<f64> = ts
        .iter()
        .map(|t| (-t * t / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = g.iter().sum();
    let g: Vec<f64> = g.iter().map(|v| v / sum).collect();
    match derivative {
        Derivative::Zeroth => g,
        Derivative::First => {
            let d: Vec<f64> = ts
                .iter()
                .zip(&g)
                .map(|(t, v)| -t / (sigma * sigma) * v)
                .collect();
            // Correlation with the ramp: Σ d(t) (−t) must be 1 (convolution flips t).
            let s: f64 = d.iter().zip(&ts).map(|(v, t)| -v * t).sum();
            d.iter().map(|v| v / s).collect()
        }
        Derivative::Second => {
            let d: Vec<f64> = ts
                .iter()
                .zip(&g)
                .map(|(t, v)| (t * t / sigma.powi(4) - 1.0 / (sigma * sigma)) * v)
                .collect();
            let mean = d.iter().sum::<f64>() / d.len() as f64;
            let d: Vec<f64> = d.iter().map(|v| v - mean).collect();
            let s: f64 = d.iter().zip(&ts).map(|(v, t)| v * t * t / 2.0).sum();
            d.iter().map(|v| v / s).collect()
        }
    }
}

/// Mirrored index into `0..n` (`−1 → 0`, `n → n − 1`, reflecting further out).
fn mirror(i: i64, n: usize) -> usize {
    let n = n as i64;
    if n == 1 {
        return 0;
    }
    let period = 2 * n;
    let m = i.rem_euclid(period);
    (if m < n { m } else { period - 1 - m }) as usize
}

/// The convolution of `img` with the separable kernel `kx` (along rows) ⊗ `ky` (along
/// columns), both odd-length and centred, mirrored borders.
pub fn separable_convolve(
    img: &[f64],
    width: usize,
    height: usize,
    kx: &[f64],
    ky: &[f64],
) -> Vec<f64> {
    let (rx, ry) = ((kx.len() / 2) as i64, (ky.len() / 2) as i64);
    let mut tmp = vec![0.0; img.len()];
    for y in 0..height {
        let row = &img[y * width..(y + 1) * width];
        for x in 0..width {
            let mut acc = 0.0;
            for (k, &w) in kx.iter().enumerate() {
                // Convolution: kernel index k ↔ offset r − k.
                acc += w * row[mirror(x as i64 + rx - k as i64, width)];
            }
            tmp[y * width + x] = acc;
        }
    }
    let mut out = vec![0.0; img.len()];
    for y in 0..height {
        for (k, &w) in ky.iter().enumerate() {
            let src = mirror(y as i64 + ry - k as i64, height);
            let (o, s) = (
                &mut out[y * width..(y + 1) * width],
                &tmp[src * width..(src + 1) * width],
            );
            for (a, &b) in o.iter_mut().zip(s) {
                *a += w * b;
            }
        }
    }
    out
}

/// Gaussian blur of one channel with `σ` (no change for `σ = 0`).
pub fn gaussian_blur(img: &[f64], width: usize, height: usize, sigma: f64) -> Vec<f64> {
    if sigma <= 0.0 {
        return img.to_vec();
    }
    let g = gaussian_kernel(sigma, Derivative::Zeroth);
    separable_convolve(img, width, height, &g, &g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_kernels_differentiate_polynomials_exactly() {
        let (w, h) = (41, 41);
        let sigma = 2.0;
        let g = gaussian_kernel(sigma, Derivative::Zeroth);
        let d1 = gaussian_kernel(sigma, Derivative::First);
        let d2 = gaussian_kernel(sigma, Derivative::Second);
        // f = 3x + x²/2·5 − 2y: ∂x = 3 + 5x, ∂xx = 5, ∂y = −2, ∂yy = 0.
        let f: Vec<f64> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                3.0 * x + 2.5 * x * x - 2.0 * y
            })
            .collect();
        let fx = separable_convolve(&f, w, h, &d1, &g);
        let fxx = separable_convolve(&f, w, h, &d2, &g);
        let fy = separable_convolve(&f, w, h, &g, &d1);
        // Away from the mirrored borders.
        let (x, y) = (20usize, 20usize);
        let i = y * w + x;
        // Smoothing a quadratic adds the constant 2.5σ² (the kernel's variance) but the
        // derivatives are exact up to the truncation at 3σ.
        assert!((fx[i] - (3.0 + 5.0 * x as f64)).abs() < 2e-2, "{}", fx[i]);
        assert!((fxx[i] - 5.0).abs() < 1e-9, "{}", fxx[i]);
        assert!((fy[i] + 2.0).abs() < 1e-9, "{}", fy[i]);
        assert!((g.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn blur_keeps_constants_and_mirrors_borders() {
        let img = vec![0.7; 12];
        for v in gaussian_blur(&img, 4, 3, 1.5) {
            assert!((v - 0.7).abs() < 1e-12);
        }
        assert_eq!(mirror(-1, 5), 0);
        assert_eq!(mirror(5, 5), 4);
        assert_eq!(mirror(-2, 5), 1);
        assert_eq!(mirror(3, 1), 0);
    }
}
