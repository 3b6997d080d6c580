//! RANSAC (Fischler & Bolles 1981) around the anchor fits: robust to anchors whose
//! batch coordinates are wrong (BASiS Sec. 4.2, "using best matches").
//!
//! Each iteration fits the model to a random subset of anchors and counts the
//! anchors whose residual `‖target_i − T(source_i)‖` is below the threshold. The
//! hypothesis with most inliers (ties: smallest inlier error) wins, and the model is
//! refitted on all its inliers. Deterministic under the caller's generator.

use crate::affine::{AffineFit, AffineFitParams, AffineMap, row_distances_into};
use crate::error::{AlignError, Result};
use crate::procrustes::{AlignModel, fit_model};
use nalgebra::DMatrix;
use rand::Rng;
use rand::seq::index;
use serde::{Deserialize, Serialize};

/// RANSAC settings. The defaults are the official BASiS code's: 100 iterations,
/// samples of 20 anchors, inlier when the row error is below 0.1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RansacParams {
    /// Anchors per hypothesis; clamped to `[K + 1, l]` at fit time.
    pub sample_size: usize,
    /// Maximum hypotheses.
    pub iterations: usize,
    /// An anchor is an inlier when its residual is below this, in the units of the coordinates.
    pub inlier_threshold: f64,
    /// Stop early once this confidence of having drawn an all-inlier sample is reached (`None`: never).
    pub confidence: Option<f64>,
    /// Fewer inliers than `ceil(min_inlier_fraction · l)` (or than K + 1) is
    /// [`AlignError::NoConsensus`].
    pub min_inlier_fraction: f64,
}

impl Default for RansacParams {
    fn default() -> Self {
        Self {
            sample_size: 20,
            iterations: 100,
            inlier_threshold: 0.1,
            confidence: None,
            min_inlier_fraction: 0.5,
        }
    }
}

impl RansacParams {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        let bad = |s: String| Err(AlignError::InvalidParameter(s));
        if self.iterations == 0 {
            return bad("RANSAC needs at least one iteration".into());
        }
        if !(self.inlier_threshold.is_finite() && self.inlier_threshold > 0.0) {
            return bad(format!(
                "inlier threshold must be finite and > 0, got {}",
                self.inlier_threshold
            ));
        }
        if let Some(p) = self.confidence {
            if !(p > 0.0 && p < 1.0) {
                return bad(format!("confidence must be in (0, 1), got {p}"));
            }
        }
        if !(0.0..=1.0).contains(&self.min_inlier_fraction) {
            return bad(format!(
                "min_inlier_fraction must be in [0, 1], got {}",
                self.min_inlier_fraction
            ));
        }
        Ok(())
    }
}

/// A robust fit: the final map (refitted on the inliers) and which anchors agree with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustFit {
    /// The fit on all inliers; its residuals cover every anchor.
    pub fit: AffineFit,
    /// `inliers[i]`: anchor `i`'s residual under the final map is below the threshold.
    pub inliers: Vec<bool>,
    /// Hypotheses evaluated.
    pub iterations: usize,
}

impl RobustFit {
    /// Fraction of anchors that are inliers.
    pub fn inlier_fraction(&self) -> f64 {
        self.inliers.iter().filter(|&&b| b).count() as f64 / self.inliers.len().max(1) as f64
    }
}

/// Least squares `X β ≈ Y` for a small tall system held column-major in `a` as `[X | Y]`
/// (`s` rows, `p` columns of X, `q` of Y), by Householder reflections applied to X and Y
/// together, then back-substitution. `a` is overwritten; `beta` receives β (p × q,
/// column-major) and `rdiag` the diagonal of R (for a rank test). Written out by hand because
/// at RANSAC's sizes (20 × 11) the generic QR's bookkeeping costs more than its arithmetic.
/// Returns `false` when some `|R_jj|` is not above `rcond · max_i |R_ii|`.
pub(crate) fn householder_lstsq(
    a: &mut [f64],
    s: usize,
    p: usize,
    q: usize,
    rcond: f64,
    beta: &mut [f64],
    rdiag: &mut [f64],
) -> bool {
    debug_assert!(s >= p && a.len() == s * (p + q) && beta.len() == p * q && rdiag.len() == p);
    for j in 0..p {
        let (head, tail) = a.split_at_mut((j + 1) * s);
        let v = &mut head[j * s + j..(j + 1) * s];
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            rdiag[j] = 0.0;
            continue;
        }
        let alpha = if v[0] >= 0.0 { -norm } else { norm };
        v[0] -= alpha;
        let vnorm2: f64 = v.iter().map(|x| x * x).sum();
        rdiag[j] = alpha;
        for c in tail.chunks_exact_mut(s) {
            let col = &mut c[j..];
            let dot: f64 = v.iter().zip(col.iter()).map(|(x, y)| x * y).sum();
            let f = 2.0 * dot / vnorm2;
            col.iter_mut().zip(v.iter()).for_each(|(y, x)| *y -= f * x);
        }
    }
    let dmax = rdiag.iter().fold(0.0f64, |m, d| m.max(d.abs()));
    if dmax == 0.0 || rdiag.iter().any(|d| d.abs() <= rcond * dmax) {
        return false;
    }
    for t in 0..q {
        let qty = &a[(p + t) * s..(p + t + 1) * s];
        for j in (0..p).rev() {
            let mut acc = qty[j];
            for c in j + 1..p {
                acc -= a[c * s + j] * beta[t * p + c];
            }
            beta[t * p + j] = acc / rdiag[j];
        }
    }
    true
}

/// Buffers reused by every hypothesis: the sampled system `[φ^a, 1 | φ^ref]`, the hypothesis
/// `β = Tᵀ = [Aᵀ; bᵀ]` ((K+1) × K) and the mapped anchors. One allocation per RANSAC call.
struct Workspace {
    system: Vec<f64>,
    rdiag: Vec<f64>,
    beta: DMatrix<f64>,
    fitted: DMatrix<f64>,
    shift: Vec<f64>,
    sample: usize,
}

impl Workspace {
    fn new(l: usize, k: usize, s: usize) -> Self {
        Self {
            system: vec![0.0; s * (2 * k + 1)],
            rdiag: vec![0.0; k + 1],
            beta: DMatrix::zeros(k + 1, k),
            fitted: DMatrix::zeros(l, k),
            shift: Vec::with_capacity(k),
            sample: s,
        }
    }

    fn set_map(&mut self, map: &AffineMap) {
        let k = map.dim();
        self.beta.view_mut((0, 0), (k, k)).tr_copy_from(&map.linear);
        self.beta.set_row(k, &map.translation.transpose());
    }

    /// An affine hypothesis from the sampled anchors ([`householder_lstsq`]). A sample whose
    /// R has a diagonal entry below `rcond` times the largest is degenerate: a cheap rank test,
    /// enough to discard a hypothesis (the final refit goes through [`fit_model`] and its SVD
    /// diagnostics).
    fn affine_hypothesis(
        &mut self,
        source: &DMatrix<f64>,
        target: &DMatrix<f64>,
        pick: impl Iterator<Item = usize>,
        rcond: f64,
    ) -> Result<()> {
        let (k, s) = (source.ncols(), self.sample);
        for (r, i) in pick.enumerate() {
            for j in 0..k {
                self.system[j * s + r] = source[(i, j)];
                self.system[(k + 1 + j) * s + r] = target[(i, j)];
            }
            self.system[k * s + r] = 1.0;
        }
        if householder_lstsq(
            &mut self.system,
            s,
            k + 1,
            k,
            rcond,
            self.beta.as_mut_slice(),
            &mut self.rdiag,
        ) {
            Ok(())
        } else {
            let dmax = self.rdiag.iter().fold(0.0f64, |m, d| m.max(d.abs()));
            Err(AlignError::RankDeficient {
                rank: self.rdiag.iter().filter(|d| d.abs() > rcond * dmax).count(),
                needed: k + 1,
                condition: f64::INFINITY,
            })
        }
    }

    /// `res_i = ‖target_i − (A source_i + b)‖` for the current hypothesis.
    fn residuals(&mut self, source: &DMatrix<f64>, target: &DMatrix<f64>, res: &mut Vec<f64>) {
        let k = source.ncols();
        self.fitted.gemm(1.0, source, &self.beta.rows(0, k), 0.0);
        self.shift.clear();
        self.shift.extend(self.beta.row(k).iter());
        row_distances_into(&self.fitted, &self.shift, target, res);
    }
}

/// Robust fit of `model` to the anchor pairs.
pub fn fit_ransac<R: Rng + ?Sized>(
    source: &DMatrix<f64>,
    target: &DMatrix<f64>,
    model: AlignModel,
    fit_params: &AffineFitParams,
    params: &RansacParams,
    rng: &mut R,
) -> Result<RobustFit> {
    params.check()?;
    fit_params.check()?;
    let (l, k) = crate::affine::check_anchor_pairs(source, target)?;
    let s = params.sample_size.clamp(k + 1, l);
    // The final refit needs K + 1 inliers at least.
    let needed = (k + 1).max((params.min_inlier_fraction * l as f64).ceil() as usize);
    let thr = params.inlier_threshold;

    let mut best: Option<(usize, f64, Vec<bool>)> = None;
    let mut res = Vec::with_capacity(l);
    let mut ws = Workspace::new(l, k, s);
    let mut last_error = None;
    let mut limit = params.iterations;
    let mut it = 0;
    while it < limit {
        it += 1;
        let pick = index::sample(rng, l, s);
        let hypothesis = match model {
            AlignModel::Affine => {
                ws.affine_hypothesis(source, target, pick.iter(), fit_params.rcond)
            }
            _ => {
                let pick = pick.into_vec();
                fit_model(
                    &source.select_rows(&pick),
                    &target.select_rows(&pick),
                    model,
                    fit_params,
                )
                .map(|f| ws.set_map(&f.map))
            }
        };
        match hypothesis {
            Ok(()) => {}
            Err(e @ AlignError::RankDeficient { .. }) => {
                last_error = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        }
        ws.residuals(source, target, &mut res);
        let (count, err) = res
            .iter()
            .filter(|&&r| r < thr)
            .fold((0usize, 0.0), |(c, e), r| (c + 1, e + r * r));
        let better = match &best {
            None => true,
            Some((c, e, _)) => count > *c || (count == *c && err < *e),
        };
        if better {
            best = Some((count, err, res.iter().map(|&r| r < thr).collect()));
            if let Some(p) = params.confidence {
                let w = count as f64 / l as f64;
                let all_in = w.powi(s as i32);
                let needed_iters = if all_in >= 1.0 {
                    1.0
                } else if all_in <= 0.0 {
                    f64::INFINITY
                } else {
                    ((1.0 - p).ln() / (1.0 - all_in).ln()).ceil()
                };
                if needed_iters.is_finite() {
                    limit = limit.min((needed_iters as usize).max(it));
                }
            }
        }
    }
    let Some((count, _, mask)) = best else {
        return Err(last_error.unwrap_or(AlignError::NoConsensus {
            best_inliers: 0,
            anchors: l,
            needed,
        }));
    };
    if count < needed {
        return Err(AlignError::NoConsensus {
            best_inliers: count,
            anchors: l,
            needed,
        });
    }
    let rows: Vec<usize> = (0..l).filter(|&i| mask[i]).collect();
    let mut fit = fit_model(
        &source.select_rows(&rows),
        &target.select_rows(&rows),
        model,
        fit_params,
    )?;
    fit.residuals = fit.map.residuals(source, target)?;
    let inliers = fit.residuals.iter().map(|&r| r < thr).collect();
    Ok(RobustFit {
        fit,
        inliers,
        iterations: it,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affine::lstsq;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn householder_lstsq_matches_the_svd_solution() {
        let (s, p, q) = (20, 11, 10);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut x = DMatrix::from_fn(s, p, |_, _| rng.random_range(-1.0..1.0));
        x.column_mut(p - 1).fill(1.0);
        let y = DMatrix::from_fn(s, q, |_, _| rng.random_range(-1.0..1.0));
        let (reference, _) = lstsq(x.clone(), &y, 1e-12).unwrap();
        let mut a = [x.as_slice(), y.as_slice()].concat();
        let mut beta = vec![0.0; p * q];
        let mut rdiag = vec![0.0; p];
        assert!(householder_lstsq(
            &mut a, s, p, q, 1e-12, &mut beta, &mut rdiag
        ));
        let beta = DMatrix::from_column_slice(p, q, &beta);
        assert!(
            (&beta - &reference).norm() <= 1e-10 * reference.norm(),
            "{}",
            (&beta - &reference).norm()
        );
    }

    #[test]
    fn householder_lstsq_flags_rank_deficiency() {
        // Third column = first + second: rank 2 of 3.
        let x = DMatrix::from_fn(6, 3, |i, j| match j {
            0 => i as f64,
            1 => (i * i) as f64,
            _ => (i + i * i) as f64,
        });
        let y = DMatrix::from_fn(6, 1, |i, _| i as f64);
        let mut a = [x.as_slice(), y.as_slice()].concat();
        let (mut beta, mut rdiag) = (vec![0.0; 3], vec![0.0; 3]);
        assert!(!householder_lstsq(
            &mut a, 6, 3, 1, 1e-10, &mut beta, &mut rdiag
        ));
        // A zero column.
        let mut z = vec![0.0; 6 * 2];
        z[6..]
            .iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = i as f64);
        let (mut beta, mut rdiag) = (vec![0.0; 1], vec![0.0; 1]);
        assert!(!householder_lstsq(
            &mut z, 6, 1, 1, 1e-10, &mut beta, &mut rdiag
        ));
    }
}
